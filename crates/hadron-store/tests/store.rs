//! The store test suite, run on SQLite and (with `HADRON_TEST_PG`) PostgreSQL.

mod common;

use common::{check_counters, msg};
use hadron_store::{
    BlobStore, ColumnRange, DbBlobStore, FetchColumns, FlagEdit, FlagOp, FsBlobStore, IdField,
    MailboxId, NewMessage, PackBlobStore, SearchField, SortColumns, SortText, StoreError,
    SystemFlags, UidSet, UserId, Woken,
};
use std::time::Duration;

const SEEN: SystemFlags = SystemFlags::SEEN;
const RECENT: SystemFlags = SystemFlags::RECENT;
const DELETED: SystemFlags = SystemFlags::DELETED;

fn kw(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

both! {
    fn users_and_mailboxes(db) {
        let s = db.store();
        let u = s.create_user("alice", "$argon2id$fake").unwrap();
        assert!(matches!(s.create_user("alice", "x"), Err(StoreError::UserExists(_))));
        assert!(matches!(s.create_user("", "x"), Err(StoreError::InvalidName { .. })));
        assert_eq!(s.user_by_name("alice").unwrap(), Some((u, "$argon2id$fake".into())));
        assert_eq!(s.user_by_name("bob").unwrap(), None);

        let inbox = s.create_mailbox(u, "INBOX", None).unwrap();
        assert_eq!((inbox.uidnext, inbox.messages, inbox.highest_modseq), (1, 0, 1));
        assert!(inbox.uidvalidity > 0);
        assert!(matches!(
            s.create_mailbox(u, "INBOX", None),
            Err(StoreError::MailboxExists(_))
        ));
        assert!(matches!(
            s.create_mailbox(u, &"x".repeat(5000), None),
            Err(StoreError::NameTooLong { len: 5000, .. })
        ));
        assert!(matches!(
            s.create_mailbox(u, "a\0b", None),
            Err(StoreError::InvalidName { .. })
        ));
        assert!(matches!(
            s.create_mailbox(UserId(9999), "x", None),
            Err(StoreError::UnknownUser(_))
        ));
        assert!(matches!(
            s.create_mailbox(u, "Sent", Some("nope")),
            Err(StoreError::InvalidName { .. })
        ));
        let sent = s.create_mailbox(u, "Sent", Some("\\Sent")).unwrap();
        assert_eq!(sent.special_use.as_deref(), Some("\\Sent"));
        s.create_mailbox(u, "Work", None).unwrap();
        s.create_mailbox(u, "Work/a", None).unwrap();
        s.create_mailbox(u, "Work/a/b", None).unwrap();
        s.create_mailbox(u, "Workshop", None).unwrap();
        s.create_mailbox(u, "Ünïcødé", None).unwrap();

        // Rename carries the children, not the siblings sharing a prefix.
        s.rename_mailbox(u, "Work", "Job").unwrap();
        let names: Vec<String> = s.list_mailboxes(u).unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            ["INBOX", "Job", "Job/a", "Job/a/b", "Sent", "Workshop", "Ünïcødé"]
        );
        assert!(matches!(
            s.rename_mailbox(u, "Job", "Sent"),
            Err(StoreError::MailboxExists(_))
        ));
        assert!(matches!(
            s.rename_mailbox(u, "Nope", "X"),
            Err(StoreError::UnknownMailbox(_))
        ));
        assert!(matches!(
            s.rename_mailbox(u, "Job", "Job/a/c"),
            Err(StoreError::InvalidName { .. })
        ));
        // A failed rename changed nothing.
        assert!(s.mailbox_by_name(u, "Job/a/b").unwrap().is_some());

        // Subscriptions outlive their mailbox.
        s.subscribe(u, "Sent").unwrap();
        s.subscribe(u, "Sent").unwrap();
        s.subscribe(u, "Future").unwrap();
        let id = s.delete_mailbox(u, "Sent").unwrap();
        assert_eq!(id, sent.id);
        assert!(matches!(s.mailbox_status(sent.id), Err(StoreError::UnknownMailbox(_))));
        assert!(matches!(s.delete_mailbox(u, "Sent"), Err(StoreError::UnknownMailbox(_))));
        assert_eq!(s.subscriptions(u).unwrap(), ["Future", "Sent"]);
        s.unsubscribe(u, "Future").unwrap();
        assert_eq!(s.subscriptions(u).unwrap(), ["Sent"]);

        // A re-created mailbox gets a new id and a larger UIDVALIDITY.
        let again = s.create_mailbox(u, "Sent", None).unwrap();
        assert_ne!(again.id, sent.id);
        assert!(again.uidvalidity > sent.uidvalidity);
    }

    fn append_fetch_and_flags(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
        let batch: Vec<_> = (0..1500)
            .map(|i| {
                let f = if i % 3 == 0 { SEEN } else { RECENT };
                let k: &[&str] = if i % 2 == 0 { &["$Important"] } else { &[] };
                msg(i, f, k)
            })
            .collect();
        let a = s.append(mb, batch.clone()).unwrap();
        assert_eq!(a.uids, (1..=1500).collect::<Vec<_>>());
        assert_eq!(a.modseq, 2);
        let st = s.mailbox_status(mb).unwrap();
        assert_eq!((st.uidnext, st.messages, st.unseen, st.recent), (1501, 1500, 1000, 1000));
        assert_eq!(st.highest_modseq, 2);
        check_counters(s, mb);
        assert_eq!(s.keywords(mb).unwrap(), ["$Important"]);

        let all = s.fetch_flags(mb, &UidSet::all()).unwrap();
        assert_eq!(all.len(), 1500);
        assert!(all.windows(2).all(|w| w[0].uid < w[1].uid));
        assert_eq!(all[0].keywords, 1);
        assert_eq!(all[1].keywords, 0);
        let some = s.fetch_flags(mb, &UidSet::from_ranges([(10, 19), (1490, 4000)])).unwrap();
        assert_eq!(some.len(), 21);
        let metas = s.fetch_messages(mb, &UidSet::from_uids([3, 1])).unwrap();
        assert_eq!(metas.len(), 2);
        assert_eq!(metas[0].uid, 1);
        assert_eq!(metas[0].meta, batch[0].meta);
        assert_eq!(metas[1].meta, batch[2].meta);
        // The narrow summaries agree with the full rows and the flags.
        let sums = s.fetch_summaries(mb, &UidSet::from_uids([3, 1])).unwrap();
        assert_eq!(sums.iter().map(|m| m.uid).collect::<Vec<_>>(), [1, 3]);
        for (sum, full) in sums.iter().zip(&metas) {
            assert_eq!(
                (sum.size, sum.internal_date, sum.sent_date),
                (full.meta.size, full.meta.internal_date, full.meta.sent_date)
            );
            assert_eq!(sum.modseq, 2);
        }
        // SORT's keys: stored ones as written, an older row's (none stored) as the search
        // columns they derive from; only the columns asked for.
        let rows = s
            .sort_rows(mb, &UidSet::from_uids([1, 2, 9999]), SortColumns::ALL)
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].uid, rows[0].size, rows[0].internal_date, rows[0].sent_date),
            (1, metas[0].meta.size, metas[0].meta.internal_date, metas[0].meta.sent_date)
        );
        assert_eq!(rows[0].subject, SortText::Key("m0".into()));
        assert_eq!(rows[0].from, SortText::Key("a".into()));
        assert_eq!(rows[0].to, SortText::Key(String::new()));
        assert_eq!(rows[0].display_from, SortText::Key("a@example.org".into()));
        assert_eq!(rows[1].subject, SortText::Legacy(Some("m1".into())));
        assert_eq!(rows[1].from, SortText::Legacy(Some("a@example.org".into())));
        assert_eq!(rows[1].cc, SortText::Legacy(None));
        assert_eq!(rows[1].display_from, SortText::Legacy(Some("a@example.org".into())));
        let only = SortColumns {
            from: true,
            ..SortColumns::default()
        };
        let rows = s.sort_rows(mb, &UidSet::from_uids([1]), only).unwrap();
        assert_eq!(rows[0].subject, SortText::NotRead);
        assert_eq!(rows[0].display_from, SortText::NotRead);
        assert_eq!(rows[0].from, SortText::Key("a".into()));
        // Both a stored part map and none (NULL) come back as written.
        let pm = s.fetch_messages(mb, &UidSet::from_uids([1, 2])).unwrap();
        assert_eq!(pm[0].meta.part_map, [0, 7, 1]);
        assert!(pm[1].meta.part_map.is_empty());

        // +FLAGS \Seen on everything: only the 1000 unseen change.
        let ch = s
            .store_flags(mb, &UidSet::range(1, 1500), FlagOp::Add, SEEN, &[])
            .unwrap();
        assert_eq!(ch.modseq, 3);
        assert_eq!(ch.changed.len(), 1000);
        assert!(ch.changed.iter().all(|c| c.modseq == 3 && c.flags.contains(SEEN)));
        assert_eq!(s.mailbox_status(mb).unwrap().unseen, 0);
        // Repeating it changes nothing and does not bump HIGHESTMODSEQ.
        let ch = s.store_flags(mb, &UidSet::all(), FlagOp::Add, SEEN, &[]).unwrap();
        assert!(ch.changed.is_empty());
        assert_eq!(ch.modseq, 3);
        check_counters(s, mb);

        // -FLAGS with a keyword and \Seen on a sparse set.
        let set = UidSet::from_uids((1..=1500).filter(|u| u % 4 == 1));
        let ch = s
            .store_flags(mb, &set, FlagOp::Remove, SEEN, &kw(&["$important"]))
            .unwrap();
        assert_eq!(ch.changed.len(), 375);
        assert!(ch.changed.iter().all(|c| c.keywords == 0 && !c.flags.contains(SEEN)));
        assert_eq!(s.mailbox_status(mb).unwrap().unseen, 375);
        check_counters(s, mb);

        // FLAGS replace keeps \Recent and allocates a new keyword bit.
        let ch = s
            .store_flags(mb, &UidSet::range(1, 2), FlagOp::Replace, DELETED, &kw(&["Work"]))
            .unwrap();
        assert_eq!(ch.changed.len(), 2);
        assert_eq!(ch.changed[0].flags, DELETED);
        assert_eq!(ch.changed[1].flags, DELETED | RECENT);
        assert_eq!(ch.changed[1].keywords, 2);
        assert_eq!(s.keywords(mb).unwrap(), ["$Important", "Work"]);
        check_counters(s, mb);

        // Bad input: typed errors and nothing written.
        let before = s.mailbox_status(mb).unwrap();
        assert!(matches!(
            s.store_flags(mb, &UidSet::all(), FlagOp::Add, SEEN, &kw(&["ok", "bad word"])),
            Err(StoreError::InvalidName { .. })
        ));
        let mut bad = vec![msg(1, SEEN, &[]), msg(2, SEEN, &["\\Nope"])];
        bad[0].keywords.push("fresh".into());
        assert!(s.append(mb, bad).is_err());
        assert_eq!(s.mailbox_status(mb).unwrap(), before);
        assert_eq!(s.keywords(mb).unwrap().len(), 2);
        assert!(matches!(
            s.append(MailboxId(424242), vec![msg(1, SEEN, &[])]),
            Err(StoreError::UnknownMailbox(_))
        ));
        assert!(matches!(
            s.fetch_flags(MailboxId(424242), &UidSet::all()),
            Err(StoreError::UnknownMailbox(_))
        ));
        assert!(s.append(mb, vec![]).unwrap().uids.is_empty());

        // At most 63 keywords per mailbox; the 64th fails without partial writes.
        let many: Vec<String> = (0..61).map(|i| format!("k{i}")).collect();
        s.store_flags(mb, &UidSet::range(3, 3), FlagOp::Add, SystemFlags::EMPTY, &many)
            .unwrap();
        assert_eq!(s.keywords(mb).unwrap().len(), 63);
        let before = s.mailbox_status(mb).unwrap();
        assert!(matches!(
            s.store_flags(mb, &UidSet::range(3, 3), FlagOp::Add, SEEN, &kw(&["one-too-many"])),
            Err(StoreError::TooManyKeywords(_))
        ));
        assert_eq!(s.mailbox_status(mb).unwrap(), before);
        let f = s.fetch_flags(mb, &UidSet::range(3, 3)).unwrap();
        // $Important (bit 0) and k0..k60 (bits 2..=62), not Work (bit 1).
        assert_eq!(f[0].keywords, (u64::MAX >> 1) & !2);
    }

    fn column_ranges_agree_with_a_scan_and_follow_copies(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let b = s.create_mailbox(u, "B", None).unwrap().id;
        // Dates spread over days, sizes over a range, in no particular order.
        let batch: Vec<_> = (0..600u32)
            .map(|i| {
                let mut m = msg(i, SystemFlags::EMPTY, &[]);
                m.meta.internal_date = 1_700_000_000 + i64::from((i * 7_919) % 600) * 3_600;
                m.meta.size = u64::from((i * 104_729) % 5_000);
                m.sent_day = (i % 7 != 0).then_some(19_000 + (i % 50) as i32);
                m
            })
            .collect();
        s.append(a, batch.clone()).unwrap();
        s.expunge(a, &UidSet::from_uids((1..=600).step_by(5))).unwrap();
        let left: Vec<(u32, &NewMessage)> = (1..=600u32)
            .zip(&batch)
            .filter(|(uid, _)| (uid - 1) % 5 != 0)
            .collect();
        let scan = |keep: &dyn Fn(&NewMessage) -> bool| -> Vec<u32> {
            left.iter().filter(|(_, m)| keep(m)).map(|(u, _)| *u).collect()
        };
        let day = 1_700_000_000 + 86_400 * 5;
        let cases: Vec<(ColumnRange, Vec<u32>)> = vec![
            (
                ColumnRange::InternalDate { from: Some(day), until: None },
                scan(&|m| m.meta.internal_date >= day),
            ),
            (
                ColumnRange::InternalDate { from: Some(day), until: Some(day + 86_400) },
                scan(&|m| (day..day + 86_400).contains(&m.meta.internal_date)),
            ),
            (
                ColumnRange::InternalDate { from: None, until: Some(day) },
                scan(&|m| m.meta.internal_date < day),
            ),
            (
                ColumnRange::SentDay { from: Some(19_010), until: None },
                scan(&|m| m.sent_day.is_some_and(|d| d >= 19_010)),
            ),
            (
                // Open below: still never a message without a usable Date:.
                ColumnRange::SentDay { from: None, until: Some(19_005) },
                scan(&|m| m.sent_day.is_some_and(|d| d < 19_005)),
            ),
            (
                ColumnRange::Size { from: Some(1_000), until: Some(1_001) },
                scan(&|m| m.meta.size == 1_000),
            ),
            (
                ColumnRange::Size { from: Some(4_000), until: None },
                scan(&|m| m.meta.size >= 4_000),
            ),
        ];
        for (range, want) in &cases {
            assert!(!want.is_empty() || matches!(range, ColumnRange::Size { .. }));
            assert_eq!(&s.uids_in_range(a, *range).unwrap(), want, "{range:?}");
        }
        assert!(s.sent_day_unknown(a).unwrap().is_empty(), "every day stored at append");
        // A copy carries the columns: the same answers, renumbered.
        let copied = s.copy(a, &UidSet::all(), b).unwrap();
        let renumber: std::collections::HashMap<u32, u32> = copied.uid_map.into_iter().collect();
        for (range, want) in &cases {
            let mut want: Vec<u32> = want.iter().map(|u| renumber[u]).collect();
            want.sort_unstable();
            assert_eq!(s.uids_in_range(b, *range).unwrap(), want, "copy, {range:?}");
        }
    }

    fn header_candidates_hold_every_case_insensitive_match(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let subjects = [
            "Quarterly REPORT", "report", "Grüße aus Köln", "GRÜSSE", "\u{212A}elvin", "kelvin",
            "İstanbul", "istanbul", "nothing here", "100% _done_",
        ];
        let batch: Vec<_> = subjects
            .iter()
            .enumerate()
            .map(|(i, subject)| {
                let mut m = msg(i as u32, SystemFlags::EMPTY, &[]);
                m.meta.subject = Some(subject.to_string());
                m
            })
            .collect();
        let mut without = msg(99, SystemFlags::EMPTY, &[]);
        without.meta.subject = None;
        s.append(a, batch.into_iter().chain([without]).collect()).unwrap();
        let lower = |v: &str| v.chars().flat_map(char::to_lowercase).collect::<String>();
        for needle in ["report", "grüße", "k", "kelvin", "i", "istanbul", "%", "_done_", "zzz"] {
            let got = s.header_candidates(a, SearchField::Subject, needle).unwrap();
            assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "{needle}: {got:?}");
            for (i, subject) in subjects.iter().enumerate() {
                let uid = i as u32 + 1;
                let listed = got.iter().find(|(u, _)| *u == uid);
                if lower(subject).contains(needle) {
                    assert_eq!(listed.map(|(_, v)| v.as_str()), Some(*subject), "{needle} in {subject}");
                }
                if subject.is_ascii() && !lower(subject).contains(needle) {
                    assert!(listed.is_none(), "{needle} not in {subject}, yet listed");
                }
            }
            assert!(got.iter().all(|(u, _)| *u != 11), "no subject: never listed");
        }
        let from = s.header_candidates(a, SearchField::From, "a@example").unwrap();
        assert_eq!(from.len(), 11);
    }

    fn header_index_misses_no_match_and_narrows(db) {
        // Subjects drawn from an alphabet with the characters where folding rules differ
        // (U+0130 lowercases to two characters, the Kelvin sign to "k", sigma has two
        // lowercase forms, ß has no one-character uppercase) and FTS5's quoting character.
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let b = s.create_mailbox(u, "B", None).unwrap().id;
        let alphabet: Vec<char> = "aBcDxY1 \"%_İ\u{212A}kßΣςéÉ".chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut subjects: Vec<String> = (0..298)
            .map(|_| (0..4 + next(16)).map(|_| alphabet[next(alphabet.len())]).collect())
            .collect();
        // An ASCII needle can end on the "i" of U+0130's lowercase, or match the Kelvin sign.
        subjects.extend(["Quarterly ABXİ".into(), "\u{212A}ELVIN".into()]);
        let batch: Vec<_> = subjects
            .iter()
            .enumerate()
            .map(|(i, subject)| {
                let mut m = msg(i as u32, SystemFlags::EMPTY, &[]);
                m.meta.subject = Some(subject.clone());
                m.meta.from = Some(format!("{subject} <u{i}@example.org>"));
                m
            })
            .collect();
        s.append(a, batch.clone()).unwrap();
        // Another mailbox's copies of the same bodies are not this mailbox's candidates.
        s.append(b, batch).unwrap();
        let lower = |v: &str| v.chars().flat_map(char::to_lowercase).collect::<String>();
        let mut needles: Vec<String> = vec!["abxi".into(), "kelvin".into(), "\"\"\"".into()];
        for _ in 0..200 {
            let folded: Vec<char> = lower(&subjects[next(subjects.len())]).chars().collect();
            let len = (3 + next(4)).min(folded.len());
            let at = next(folded.len() - len + 1);
            needles.push(folded[at..at + len].iter().collect());
        }
        for needle in &needles {
            for (field, value_of) in [
                (SearchField::Subject, &(|i: usize| subjects[i].clone()) as &dyn Fn(usize) -> String),
                (SearchField::From, &|i: usize| format!("{} <u{i}@example.org>", subjects[i])),
            ] {
                let got = s.header_candidates(a, field, needle).unwrap();
                assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "{needle:?}: {got:?}");
                assert!(got.iter().all(|(uid, _)| (1..=300).contains(uid)));
                for i in 0..subjects.len() {
                    let value = value_of(i);
                    if lower(&value).contains(needle.as_str()) {
                        let listed = got.iter().find(|(uid, _)| *uid == i as u32 + 1);
                        assert_eq!(listed.map(|(_, v)| v), Some(&value), "{needle:?} in {value:?}");
                    }
                }
            }
        }
        // The SQLite index narrows: an ASCII needle no longer lists every non-ASCII value
        // (which the scan of the rows must, and does on PostgreSQL).
        let ascii = |v: &String| v.is_ascii();
        let non_ascii = subjects.iter().filter(|v| !ascii(v)).count();
        assert!(non_ascii > 100);
        let got = s.header_candidates(a, SearchField::Subject, "zzz").unwrap();
        let scanned = db.dir().is_none();
        assert_eq!(got.len(), if scanned { non_ascii } else { 0 });
    }

    fn database_blobs_take_a_batch_in_one_commit(db) {
        let blobs = DbBlobStore::new(db.store().clone());
        let bodies: Vec<Vec<u8>> = (0..25).map(|i| format!("b{}", i % 20).into_bytes()).collect();
        let batch: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        let hashes = blobs.put_many(&batch).unwrap();
        assert_eq!(hashes.len(), 25);
        for (data, hash) in batch.iter().zip(&hashes) {
            assert_eq!(*hash, hadron_store::content_hash(data));
            assert_eq!(blobs.get(hash).unwrap(), *data);
        }
        assert_eq!(blobs.put_many(&[]).unwrap(), Vec::<String>::new());
    }

    fn object_ids_find_messages_by_content_and_thread(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let b = s.create_mailbox(u, "B", None).unwrap().id;
        // msg(i) is UID i + 1 here, in thread T{i % 3}.
        s.append(a, (0..9).map(|i| msg(i, SystemFlags::EMPTY, &[])).collect()).unwrap();
        assert_eq!(s.uids_with_id(a, IdField::ThreadId, "T1").unwrap(), [2, 5, 8]);
        assert!(s.uids_with_id(a, IdField::ThreadId, "T9").unwrap().is_empty());
        let m = &s.fetch_messages(a, &UidSet::range(5, 5)).unwrap()[0];
        assert_eq!(m.meta.thread_id.as_deref(), Some("T1"));
        // A copy shares its content, and so its hash, in the other mailbox.
        let copied = s.copy(a, &UidSet::range(5, 5), b).unwrap();
        let in_b = copied.uid_map[0].1;
        assert_eq!(s.uids_with_id(b, IdField::ContentHash, &m.meta.content_hash).unwrap(), [in_b]);
        assert_eq!(s.uids_with_id(a, IdField::ContentHash, &m.meta.content_hash).unwrap(), [5]);
        assert_eq!(s.uids_with_id(b, IdField::ThreadId, "T1").unwrap(), [in_b]);
        assert!(matches!(
            s.uids_with_id(MailboxId(4242), IdField::ThreadId, "T1"),
            Err(StoreError::UnknownMailbox(_))
        ));
    }

    fn condstore_mod_sequences(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        // Stored \Recent: no session has the mailbox selected.
        let batch: Vec<_> = (0..300).map(|i| msg(i, RECENT, &[])).collect();
        let appended = s.append(a, batch).unwrap();
        let base = s.mailbox_status(a).unwrap().highest_modseq;
        assert_eq!(base, appended.modseq);

        // Claiming \Recent is no change for CONDSTORE: no mod-sequence moves.
        let claimed = s.store_flags(a, &UidSet::all(), FlagOp::Remove, RECENT, &[]).unwrap();
        assert_eq!(claimed.changed.len(), 300);
        assert_eq!(s.mailbox_status(a).unwrap().highest_modseq, base);
        assert!(s.fetch_flags(a, &UidSet::all()).unwrap().iter().all(|m| m.modseq == base));

        // CHANGEDSINCE: only what changed after the given mod-sequence, within the set.
        let first = s.store_flags(a, &UidSet::from_uids([5, 50, 250]), FlagOp::Add, SEEN, &[]).unwrap();
        assert_eq!(first.modseq, base + 1);
        let changed = s.changed_since(a, &UidSet::all(), base).unwrap();
        assert_eq!(changed.iter().map(|m| (m.uid, m.modseq)).collect::<Vec<_>>(),
            [(5, base + 1), (50, base + 1), (250, base + 1)]);
        let within = s.changed_since(a, &UidSet::range(1, 100), base).unwrap();
        assert_eq!(within.iter().map(|m| m.uid).collect::<Vec<_>>(), [5, 50]);
        assert!(s.changed_since(a, &UidSet::all(), base + 1).unwrap().is_empty());

        // UNCHANGEDSINCE: messages changed after it are left alone and listed, the others
        // change, in one write.
        let (tx, rx) = std::sync::mpsc::channel();
        let edit = FlagEdit {
            op: FlagOp::Add,
            flags: DELETED,
            keywords: kw(&["Checked"]),
            unchanged_since: Some(base),
        };
        s.store_flags_then(a, &UidSet::range(1, 60), edit, move |r| tx.send(r).unwrap()).unwrap();
        let (ch, names) = rx.recv().unwrap().unwrap();
        assert_eq!(ch.modified, [5, 50]);
        assert_eq!(ch.changed.len(), 58);
        assert!(ch.changed.iter().all(|m| m.uid != 5 && m.uid != 50 && m.modseq == base + 2));
        assert_eq!(names, ["Checked"]);
        let f5 = &s.fetch_flags(a, &UidSet::range(5, 5)).unwrap()[0];
        assert_eq!((f5.flags, f5.modseq), (SEEN, base + 1));
        // A test that passes but changes nothing moves nothing either.
        let (tx, rx) = std::sync::mpsc::channel();
        let edit = FlagEdit {
            op: FlagOp::Add,
            flags: DELETED,
            keywords: Vec::new(),
            unchanged_since: Some(base + 2),
        };
        s.store_flags_then(a, &UidSet::range(1, 3), edit, move |r| tx.send(r).unwrap()).unwrap();
        let (ch, _) = rx.recv().unwrap().unwrap();
        assert!(ch.changed.is_empty() && ch.modified.is_empty());
        assert_eq!(ch.modseq, base + 2);
        check_counters(s, a);
    }

    fn copy_move_expunge(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let b = s.create_mailbox(u, "B", None).unwrap().id;
        // B's dictionary gets a different keyword first, so bits must be translated.
        s.append(b, vec![msg(0, SEEN, &["Other"])]).unwrap();
        let batch: Vec<_> = (0..1200).map(|i| msg(i, SystemFlags::EMPTY, &["Tag"])).collect();
        s.append(a, batch).unwrap();
        s.store_flags(a, &UidSet::range(1, 600), FlagOp::Add, SEEN, &[]).unwrap();

        let c = s.copy(a, &UidSet::range(501, 1100), b).unwrap();
        assert_eq!(c.uid_map.len(), 600);
        assert_eq!(c.uid_map[0], (501, 2));
        assert_eq!(c.uid_map[599], (1100, 601));
        let bf = s.fetch_flags(b, &UidSet::range(2, 601)).unwrap();
        assert!(bf.iter().all(|f| f.keywords == 2 && f.flags.contains(RECENT)));
        assert_eq!(s.keywords(b).unwrap(), ["Other", "Tag"]);
        let bst = s.mailbox_status(b).unwrap();
        assert_eq!((bst.messages, bst.unseen, bst.recent), (601, 500, 600));
        check_counters(s, a);
        check_counters(s, b);
        // Copies share the message row.
        let ma = s.fetch_messages(a, &UidSet::range(501, 501)).unwrap();
        let mbm = s.fetch_messages(b, &UidSet::range(2, 2)).unwrap();
        assert_eq!(ma[0].message, mbm[0].message);

        // MOVE: copy plus expunge in one transaction.
        let (moved, ex) = s.move_messages(a, &UidSet::range(1, 100), b).unwrap();
        assert_eq!(moved.uid_map.len(), 100);
        assert_eq!(ex.uids, (1..=100).collect::<Vec<_>>());
        assert_eq!(s.mailbox_status(a).unwrap().messages, 1100);
        assert_eq!(s.expunged_since(a, ex.modseq - 1).unwrap(), Some(ex.uids.clone()));
        check_counters(s, a);
        check_counters(s, b);

        // EXPUNGE of \Deleted only, within a set.
        s.store_flags(a, &UidSet::range(101, 300), FlagOp::Add, DELETED, &[]).unwrap();
        let ex2 = s.expunge_deleted(a, &UidSet::range(200, 1200)).unwrap();
        assert_eq!(ex2.uids, (200..=300).collect::<Vec<_>>());
        let ex3 = s.expunge(a, &UidSet::from_uids([101, 102, 5000])).unwrap();
        assert_eq!(ex3.uids, [101, 102]);
        assert!(ex3.modseq > ex2.modseq);
        let gone = s.expunged_since(a, ex.modseq).unwrap().unwrap();
        assert_eq!(gone.len(), 101 + 2);
        check_counters(s, a);
        // Empty operations change nothing.
        let st = s.mailbox_status(a).unwrap();
        assert!(s.expunge(a, &UidSet::range(1, 50)).unwrap().uids.is_empty());
        assert!(s.copy(a, &UidSet::range(1, 50), b).unwrap().uid_map.is_empty());
        assert_eq!(s.mailbox_status(a).unwrap(), st);
        // Move within one mailbox renumbers.
        let (m2, e2) = s.move_messages(a, &UidSet::range(1200, 1200), a).unwrap();
        assert_eq!(m2.uid_map, [(1200, 1201)]);
        assert_eq!(e2.uids, [1200]);
        check_counters(s, a);
        assert_eq!(s.prune_expunged(a, ex.modseq).unwrap(), 100);
        // What vanished after the pruned point is still known; before it, no longer.
        assert_eq!(s.expunged_since(a, ex.modseq).unwrap().unwrap().len(), 101 + 2 + 1);
        assert_eq!(s.expunged_since(a, ex.modseq - 1).unwrap(), None);
        // By age: nothing is a day old yet; everything is older than "now + 1 s".
        assert_eq!(s.prune_expunged_older_than(Duration::from_secs(86_400)).unwrap(), 0);
        std::thread::sleep(Duration::from_millis(1_100));
        assert_eq!(s.prune_expunged_older_than(Duration::ZERO).unwrap(), 104);
        let top = s.mailbox_status(a).unwrap().highest_modseq;
        assert_eq!(s.expunged_since(a, top - 1).unwrap(), None, "history gone");
        assert_eq!(s.expunged_since(a, top).unwrap(), Some(Vec::new()));
        assert!(matches!(
            s.copy(a, &UidSet::all(), MailboxId(77777)),
            Err(StoreError::UnknownMailbox(_))
        ));
        // Deleting a mailbox leaves orphan message rows for the purge;
        // rows a session may still read (deferred deletion) are spared.
        let in_b = s.fetch_messages(b, &UidSet::all()).unwrap();
        // B's UID 1 was appended to B only: an orphan once B is gone.
        let spared = [in_b[0].message];
        s.delete_mailbox(u, "B").unwrap();
        let purged = s.purge_orphan_messages_except(&spared).unwrap();
        assert!(purged >= 1);
        assert_eq!(s.purge_orphan_messages().unwrap(), 1, "the spared row");
        assert_eq!(s.purge_orphan_messages().unwrap(), 0);
        check_counters(s, a);
    }

    fn failed_logins_count_per_key_within_the_window(db) {
        let s = db.store();
        let (ip, user) = ("ip:192.0.2.1".to_owned(), "user:alice".to_owned());
        let both = [ip.clone(), user.clone()];
        assert_eq!(s.login_failures(&both, 0).unwrap(), 0);
        assert_eq!(s.record_login_failure(&both, 100, 0).unwrap(), 1);
        assert_eq!(s.record_login_failure(std::slice::from_ref(&user), 110, 0).unwrap(), 2);
        // The highest of the keys; failures before `since` do not count.
        assert_eq!(s.login_failures(&both, 100).unwrap(), 2);
        assert_eq!(s.login_failures(std::slice::from_ref(&ip), 100).unwrap(), 1);
        assert_eq!(s.login_failures(std::slice::from_ref(&ip), 101).unwrap(), 0);
        // A failure after the window starts the count again.
        assert_eq!(s.record_login_failure(std::slice::from_ref(&ip), 500, 400).unwrap(), 1);
        assert_eq!(s.record_login_failure(&both, 501, 400).unwrap(), 2, "ip 2, user afresh 1");
        assert_eq!(s.login_failures(std::slice::from_ref(&user), 400).unwrap(), 1);
        // A success clears; old entries are pruned.
        s.clear_login_failures(std::slice::from_ref(&ip)).unwrap();
        assert_eq!(s.login_failures(&both, 0).unwrap(), 1);
        s.record_login_failure(&["ip:198.51.100.7".to_owned()], 50, 0).unwrap();
        assert_eq!(s.prune_login_failures(100).unwrap(), 1);
        assert_eq!(s.login_failures(&["ip:198.51.100.7".to_owned()], 0).unwrap(), 0);
        assert_eq!(s.login_failures(std::slice::from_ref(&user), 0).unwrap(), 1);
    }

    fn batches_beyond_bind_limits(db) {
        // > 65,535 items per call: more than either backend's bind-parameter limit.
        const N: u32 = 70_000;
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let b = s.create_mailbox(u, "B", None).unwrap().id;
        let batch: Vec<_> = (0..N).map(|i| msg(i, SystemFlags::EMPTY, &[])).collect();
        let ap = s.append(a, batch).unwrap();
        assert_eq!(ap.uids.len(), N as usize);
        assert_eq!(s.fetch_flags(a, &UidSet::all()).unwrap().len(), N as usize);
        // 70,000 single UIDs (every odd one up to 139,999): one IN list per chunk.
        let odd = UidSet::from_uids((0..N).map(|i| 2 * i + 1));
        assert_eq!(odd.ranges().len(), N as usize);
        assert_eq!(s.fetch_flags(a, &odd).unwrap().len(), N as usize / 2);
        let ch = s.store_flags(a, &odd, FlagOp::Add, SEEN, &kw(&["x"])).unwrap();
        assert_eq!(ch.changed.len(), N as usize / 2);
        let ch = s.store_flags(a, &UidSet::all(), FlagOp::Add, SEEN, &[]).unwrap();
        assert_eq!(ch.changed.len(), N as usize / 2);
        let c = s.copy(a, &UidSet::all(), b).unwrap();
        assert_eq!(c.uid_map.len(), N as usize);
        let ex = s.expunge(b, &UidSet::from_uids(1..=N)).unwrap();
        assert_eq!(ex.uids.len(), N as usize);
        let (m, e) = s.move_messages(a, &odd, b).unwrap();
        assert_eq!((m.uid_map.len(), e.uids.len()), (N as usize / 2, N as usize / 2));
        check_counters(s, a);
        check_counters(s, b);
    }

    fn concurrent_appends(db) {
        // Several threads append at once (on PostgreSQL through two separate pools, as two
        // instances would) while a reader checks that the visible UIDs are always 1..=k:
        // a higher UID never becomes visible before a lower one.
        const THREADS: usize = 6;
        const ROUNDS: usize = 20;
        const PER: usize = 3;
        let s = db.store().clone();
        let u = s.create_user("u", "h").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
        let other = db.reopen();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        std::thread::scope(|scope| {
            let reader = {
                let s = other.clone();
                let done = done.clone();
                scope.spawn(move || {
                    let mut checks = 0;
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        let f = s.fetch_flags(mb, &UidSet::all()).unwrap();
                        for (i, m) in f.iter().enumerate() {
                            assert_eq!(m.uid as usize, i + 1, "gap in visible UIDs");
                        }
                        checks += 1;
                    }
                    checks
                })
            };
            let writers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let s = if t % 2 == 0 { s.clone() } else { other.clone() };
                    scope.spawn(move || {
                        let mut last = 0;
                        let mut mine = Vec::new();
                        for r in 0..ROUNDS {
                            let batch = (0..PER)
                                .map(|i| msg((t * 1000 + r * 10 + i) as u32, SystemFlags::EMPTY, &[]))
                                .collect();
                            let a = s.append(mb, batch).unwrap();
                            assert!(a.uids[0] > last);
                            assert!(a.uids.windows(2).all(|w| w[1] == w[0] + 1));
                            last = *a.uids.last().unwrap();
                            mine.extend(a.uids);
                        }
                        mine
                    })
                })
                .collect();
            let mut all: Vec<u32> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            assert!(reader.join().unwrap() > 0);
            all.sort_unstable();
            let n = THREADS * ROUNDS * PER;
            assert_eq!(all, (1..=n as u32).collect::<Vec<_>>());
        });
        let st = s.mailbox_status(mb).unwrap();
        assert_eq!(st.messages as usize, THREADS * ROUNDS * PER);
        assert_eq!(st.uidnext as usize, THREADS * ROUNDS * PER + 1);
        assert_eq!(st.highest_modseq as usize, THREADS * ROUNDS + 1);
        check_counters(&s, mb);
    }

    fn failing_writes_do_not_poison_a_group_commit(db) {
        let s = db.store().clone();
        let u = s.create_user("u", "h").unwrap();
        std::thread::scope(|scope| {
            let hs: Vec<_> = (0..16)
                .map(|i| {
                    let s = s.clone();
                    scope.spawn(move || s.create_mailbox(u, &format!("box{}", i / 2), None))
                })
                .collect();
            let results: Vec<_> = hs.into_iter().map(|h| h.join().unwrap()).collect();
            let ok = results.iter().filter(|r| r.is_ok()).count();
            let dup = results
                .iter()
                .filter(|r| matches!(r, Err(StoreError::MailboxExists(_))))
                .count();
            assert_eq!((ok, dup), (8, 8));
        });
        assert_eq!(s.list_mailboxes(u).unwrap().len(), 8);
    }

    fn blobs_and_collection(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
        let fs_store = FsBlobStore::open(db.dir().map_or_else(
            || std::env::temp_dir().join(format!("hadron-blobs-{}", std::process::id())),
            |d| d.join("blobs"),
        ))
        .unwrap();
        let db_store = DbBlobStore::new(s.clone());
        let pack_store = PackBlobStore::open(db.dir().map_or_else(
            || std::env::temp_dir().join(format!("hadron-packs-{}", std::process::id())),
            |d| d.join("packed"),
        ))
        .unwrap();
        let stores: [&dyn BlobStore; 3] = [&fs_store, &db_store, &pack_store];
        for (i, bs) in stores.into_iter().enumerate() {
            let kept = format!("kept body {i}");
            let orphan = format!("orphan body {i}");
            let h1 = bs.put(kept.as_bytes()).unwrap();
            assert_eq!(bs.put(kept.as_bytes()).unwrap(), h1, "dedup");
            let h2 = bs.put(orphan.as_bytes()).unwrap();
            assert_eq!(bs.get(&h1).unwrap(), kept.as_bytes());
            assert!(matches!(bs.get(&"0".repeat(64)), Err(StoreError::BlobNotFound(_))));
            // Ranges: inside, running past the end, empty, wholly past the end, missing blob.
            assert_eq!(bs.get_range(&h1, 5..9).unwrap(), b"body");
            assert_eq!(bs.get_range(&h1, 5..1000).unwrap(), &kept.as_bytes()[5..]);
            assert_eq!(bs.get_range(&h1, 3..3).unwrap(), b"");
            assert_eq!(bs.get_range(&h1, 500..600).unwrap(), b"");
            assert!(matches!(
                bs.get_range(&"0".repeat(64), 0..1),
                Err(StoreError::BlobNotFound(_))
            ));
            let mut m = msg(i as u32, SEEN, &[]);
            m.meta.content_hash = h1.clone();
            let a = s.append(mb, vec![m]).unwrap();
            // Young blobs are spared by the grace period.
            assert_eq!(bs.collect(s, Duration::from_secs(3600)).unwrap(), 0);
            assert_eq!(bs.collect(s, Duration::ZERO).unwrap(), 1);
            assert!(bs.get(&h1).is_ok());
            assert!(matches!(bs.get(&h2), Err(StoreError::BlobNotFound(_))));
            // Once the message is gone and purged, its blob goes too.
            s.expunge(mb, &UidSet::from_uids(a.uids)).unwrap();
            assert_eq!(bs.collect(s, Duration::ZERO).unwrap(), 0, "row still exists");
            s.purge_orphan_messages().unwrap();
            assert_eq!(bs.collect(s, Duration::ZERO).unwrap(), 1);
            assert!(bs.get(&h1).is_err());
        }
    }
}

#[test]
fn a_batch_of_bodies_is_stored_once_each_and_in_order() {
    // 30 new bodies are synced file by file; 300 with two flushes of the filesystem.
    for distinct in [30usize, 300] {
        let dir = tempfile::tempdir().unwrap();
        let fs_store = FsBlobStore::open(dir.path()).unwrap();
        let before = fs_store.put(b"already here").unwrap();
        let n = distinct + distinct / 3;
        let bodies: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("body {}", i % distinct).into_bytes())
            .collect();
        let mut batch: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        batch.push(b"already here");
        let hashes = fs_store.put_many(&batch).unwrap();
        assert_eq!(hashes.len(), n + 1);
        for (data, hash) in batch.iter().zip(&hashes) {
            assert_eq!(*hash, hadron_store::content_hash(data));
            assert_eq!(fs_store.get(hash).unwrap(), *data);
        }
        assert_eq!(hashes[n], before);
        assert_eq!(hashes[0], hashes[distinct], "a body twice in the batch");
        let left: Vec<_> = std::fs::read_dir(dir.path().join("tmp")).unwrap().collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
        assert_eq!(fs_store.put_many(&[]).unwrap(), Vec::<String>::new());
    }
}

#[test]
fn schema_newer_than_code_is_refused() {
    use diesel::prelude::*;
    let db = common::sqlite();
    let path = db.store().sqlite_path().unwrap().to_owned();
    let mut c = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('29990101000000')")
        .execute(&mut c)
        .unwrap();
    match db.reopen_result() {
        Err(StoreError::SchemaTooNew { unknown }) => assert_eq!(unknown, "29990101000000"),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn schema_newer_than_code_is_refused_postgres() {
    use diesel::prelude::*;
    let Some(db) = common::postgres() else { return };
    let mut c = PgConnection::establish(&db.url).unwrap();
    diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('29990101000000')")
        .execute(&mut c)
        .unwrap();
    assert!(matches!(
        db.reopen_result(),
        Err(StoreError::SchemaTooNew { .. })
    ));
}

#[test]
fn bad_urls() {
    assert!(matches!(
        hadron_store::Store::open("mysql://x", &Default::default()),
        Err(StoreError::BadUrl(_))
    ));
}

both! {
    fn schema_rs_matches_migrations(db) {
        let norm = |s: &str| s.split_whitespace().collect::<String>();
        let generated = hadron_store::codegen::generate_schema(&db.url).unwrap();
        assert_eq!(
            norm(&generated),
            norm(hadron_store::codegen::CHECKED_IN_SCHEMA),
            "src/schema.rs drifted from the migrations: run `cargo xtask codegen`\n{generated}"
        );
    }

    fn rows_older_than_save_dates_have_none(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
        s.append(mb, (1..=3).map(|i| msg(i, SystemFlags::EMPTY, &[])).collect()).unwrap();
        // Back to the schema before migration 000015 (its down.sql), then forward again as
        // an upgrade does when the store opens: the rows written before it keep no save
        // date, since when they were saved is recorded nowhere.
        revert_migrations_to(&db.url, "20261211000015");
        let s = db.reopen();
        let rows = s.fetch_messages(mb, &UidSet::all()).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.save_date.is_none()), "no save date made up");
        let all = FetchColumns { save_date: true, ..FetchColumns::default() };
        let fetched = s.fetch_for_fetch(mb, &UidSet::all(), all).unwrap();
        assert!(fetched.iter().all(|r| r.save_date.is_none()));
        // SAVED* compare their INTERNALDATE instead; new rows have a save date.
        let second = rows[1].meta.internal_date;
        let range = ColumnRange::SaveDate { from: Some(second), until: None };
        assert_eq!(s.uids_in_range(mb, range).unwrap(), [2, 3]);
        s.append(mb, vec![msg(4, SystemFlags::EMPTY, &[])]).unwrap();
        let new = s.fetch_messages(mb, &UidSet::from_uids([4])).unwrap();
        assert!(new[0].save_date.is_some());
    }
}

/// Reverts the migrations of the database at `url` down to and including `version`.
fn revert_migrations_to(url: &str, version: &str) {
    use diesel::Connection;
    use diesel_migrations::MigrationHarness;
    fn revert<DB: diesel::backend::Backend>(
        c: &mut impl MigrationHarness<DB>,
        migrations: fn() -> diesel_migrations::EmbeddedMigrations,
        version: &str,
    ) where
        diesel_migrations::EmbeddedMigrations: diesel::migration::MigrationSource<DB>,
    {
        while c.revert_last_migration(migrations()).unwrap().to_string() != version {}
    }
    match url.strip_prefix("sqlite://") {
        Some(path) => revert(
            &mut diesel::SqliteConnection::establish(path).unwrap(),
            || hadron_store::SQLITE_MIGRATIONS,
            version,
        ),
        None => revert(
            &mut diesel::PgConnection::establish(url).unwrap(),
            || hadron_store::POSTGRES_MIGRATIONS,
            version,
        ),
    }
}

both! {
    fn readers_do_not_wait_for_writers(db) {
        // Another connection holds the write lock (SQLite) / the mailbox row lock
        // (PostgreSQL) in an open transaction; reads through the store still answer at once.
        use diesel::prelude::*;
        use std::time::Instant;
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
        s.append(mb, (0..10).map(|i| msg(i, SEEN, &[])).collect()).unwrap();
        let sql = format!("UPDATE mailboxes SET message_count = 999 WHERE id = {}", mb.0);
        let check = |s: &hadron_store::Store| {
            let t = Instant::now();
            assert_eq!(s.mailbox_status(mb).unwrap().messages, 10);
            assert_eq!(s.fetch_flags(mb, &UidSet::all()).unwrap().len(), 10);
            assert!(t.elapsed() < Duration::from_secs(2), "a read waited for a writer");
        };
        if let Some(dir) = db.dir() {
            let path = dir.join("hadron.db");
            let mut c = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
            diesel::sql_query("BEGIN IMMEDIATE").execute(&mut c).unwrap();
            diesel::sql_query(sql).execute(&mut c).unwrap();
            check(s);
            diesel::sql_query("ROLLBACK").execute(&mut c).unwrap();
        } else {
            let mut c = diesel::PgConnection::establish(&db.url).unwrap();
            diesel::sql_query("BEGIN").execute(&mut c).unwrap();
            diesel::sql_query(sql).execute(&mut c).unwrap();
            check(s);
            diesel::sql_query("ROLLBACK").execute(&mut c).unwrap();
        }
        check(s);
    }
}

/// A message whose body is `body` (stored in `blobs`), for the user-deletion tests.
fn with_body(blobs: &dyn BlobStore, i: u32, body: &str) -> hadron_store::NewMessage {
    let mut m = msg(i, SEEN, &["$Work"]);
    m.meta.content_hash = blobs.put(body.as_bytes()).unwrap();
    m.meta.size = body.len() as u64;
    m
}

both! {
    fn a_users_quota_is_its_limits_and_the_sum_of_its_mailboxes_counters(db) {
        use hadron_store::{QuotaLimits, QuotaResourceKind};
        let s = db.store();
        let alice = s.create_user("alice", "h").unwrap();
        let bob = s.create_user("bob", "h").unwrap();
        // No mailbox, no limit.
        let q = s.user_quota(alice).unwrap();
        assert_eq!((q.limits, q.messages, q.size), (QuotaLimits::default(), 0, 0));
        let inbox = s.create_mailbox(alice, "INBOX", None).unwrap().id;
        let work = s.create_mailbox(alice, "Work", None).unwrap().id;
        let bobs = s.create_mailbox(bob, "INBOX", None).unwrap().id;
        s.append(inbox, vec![msg(1, SEEN, &[]), msg(2, RECENT, &[])]).unwrap();
        s.append(work, vec![msg(3, SEEN, &[])]).unwrap();
        s.append(bobs, vec![msg(4, SEEN, &[])]).unwrap();
        let size = |id| s.mailbox_status(id).unwrap().size;
        let q = s.user_quota(alice).unwrap();
        assert_eq!((q.messages, q.size), (3, size(inbox) + size(work)));
        assert_eq!(q.storage_kib(), q.size.div_ceil(1024));

        // Limits are stored per user; None is no limit.
        let limits = QuotaLimits { storage_kib: Some(1), messages: Some(4) };
        s.set_quota_limits("alice", limits).unwrap();
        let q = s.user_quota(alice).unwrap();
        assert_eq!(q.limits, limits);
        assert_eq!(s.user_quota(bob).unwrap().limits, QuotaLimits::default());
        assert_eq!(q.exceeded_by(1, 0), None);
        assert_eq!(q.exceeded_by(2, 0), Some(QuotaResourceKind::Message));
        assert_eq!(q.exceeded_by(0, 1024 - q.size), None);
        assert_eq!(q.exceeded_by(0, 1025 - q.size), Some(QuotaResourceKind::Storage));

        // COPY's cost: the named messages' count and size, read by UID.
        let (n, bytes) = s.messages_size(inbox, &UidSet::from_uids([1, 2, 9])).unwrap();
        assert_eq!((n, bytes), (2, size(inbox)));

        // Usage follows copies and expunges through the counters.
        s.copy(inbox, &UidSet::from_uids([1]), work).unwrap();
        assert_eq!(s.user_quota(alice).unwrap().messages, 4);
        s.expunge(inbox, &UidSet::from_uids([1, 2])).unwrap();
        let q = s.user_quota(alice).unwrap();
        assert_eq!((q.messages, q.size), (2, size(inbox) + size(work)));

        s.set_quota_limits("alice", QuotaLimits::default()).unwrap();
        assert_eq!(s.user_quota(alice).unwrap().limits, QuotaLimits::default());
        assert!(matches!(
            s.set_quota_limits("carol", limits),
            Err(StoreError::UnknownUser(name)) if name == "carol"
        ));
        assert!(matches!(
            s.set_quota_limits("alice", QuotaLimits { storage_kib: Some(u64::MAX), messages: None }),
            Err(StoreError::InvalidInput(_))
        ));
        assert!(matches!(s.user_quota(UserId(9999)), Err(StoreError::UnknownUser(_))));
    }

    fn users_are_listed_and_their_passwords_replaced(db) {
        let s = db.store();
        assert!(s.list_users().unwrap().is_empty());
        let bob = s.create_user("bob", "h1").unwrap();
        let alice = s.create_user("alice", "h2").unwrap();
        let inbox = s.create_mailbox(alice, "INBOX", None).unwrap().id;
        s.create_mailbox(alice, "Work", None).unwrap();
        s.append(inbox, vec![msg(1, SEEN, &[]), msg(2, RECENT, &[])]).unwrap();
        let users = s.list_users().unwrap();
        let rows: Vec<_> = users
            .iter()
            .map(|u| (u.id, u.name.as_str(), u.mailboxes, u.messages))
            .collect();
        assert_eq!(rows, [(alice, "alice", 2, 2), (bob, "bob", 0, 0)]);
        let st = s.mailbox_status(inbox).unwrap();
        assert_eq!(users[0].size, st.size);
        assert!(users.iter().all(|u| u.created > 1_700_000_000));

        s.set_password_hash("alice", "$argon2id$new").unwrap();
        assert_eq!(s.user_by_name("alice").unwrap(), Some((alice, "$argon2id$new".into())));
        assert_eq!(s.user_by_name("bob").unwrap(), Some((bob, "h1".into())));
        assert!(matches!(
            s.set_password_hash("carol", "x"),
            Err(StoreError::UnknownUser(name)) if name == "carol"
        ));
    }

    fn deleting_a_user_removes_everything_it_owns_and_nothing_else(db) {
        let s = db.store();
        let blob_dir = db.dir().map_or_else(
            || std::env::temp_dir().join(format!("hadron-userdel-{}", std::process::id())),
            |d| d.join("blobs"),
        );
        let fs_blobs = FsBlobStore::open(&blob_dir).unwrap();
        let db_blobs = DbBlobStore::new(s.clone());
        let blob_stores: [&dyn BlobStore; 2] = [&fs_blobs, &db_blobs];

        let alice = s.create_user("alice", "h").unwrap();
        let bob = s.create_user("bob", "h").unwrap();
        let a_inbox = s.create_mailbox(alice, "INBOX", None).unwrap().id;
        let a_work = s.create_mailbox(alice, "Work", None).unwrap().id;
        let b_inbox = s.create_mailbox(bob, "INBOX", None).unwrap().id;
        s.subscribe(alice, "Work").unwrap();
        s.subscribe(bob, "INBOX").unwrap();
        for (n, bs) in blob_stores.into_iter().enumerate() {
            let n = n as u32 * 10;
            let own = format!("alice only {n}");
            let shared = format!("both have it {n}");
            // Alice: her own body, and one bob has too (each user has its own message row).
            let a = s
                .append(a_inbox, vec![with_body(bs, n, &own), with_body(bs, n + 1, &shared)])
                .unwrap();
            s.append(b_inbox, vec![with_body(bs, n + 2, &shared)]).unwrap();
            // A copy (shared message row) and an expunge record in alice's mailboxes.
            s.copy(a_inbox, &UidSet::from_uids(a.uids.clone()), a_work).unwrap();
            s.expunge(a_work, &UidSet::from_uids([s.mailbox_status(a_work).unwrap().uidnext - 1]))
                .unwrap();
        }

        assert!(matches!(
            s.delete_user("carol"),
            Err(StoreError::UnknownUser(name)) if name == "carol"
        ));
        let gone = s.delete_user("alice").unwrap();
        assert_eq!(gone.id, alice);
        assert_eq!(gone.mailboxes, [a_inbox, a_work]);
        assert_eq!(s.user_by_name("alice").unwrap(), None);
        assert!(matches!(s.mailbox_status(a_inbox), Err(StoreError::UnknownMailbox(_))));
        assert!(matches!(s.mailbox_status(a_work), Err(StoreError::UnknownMailbox(_))));
        assert!(s.list_mailboxes(alice).unwrap().is_empty());
        assert!(s.subscriptions(alice).unwrap().is_empty());
        assert!(matches!(s.delete_user("alice"), Err(StoreError::UnknownUser(_))));
        let names: Vec<String> = s.list_users().unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(names, ["bob"]);

        // Alice's 4 message rows (2 per blob store) are now orphans; bob's are not.
        assert_eq!(s.purge_orphan_messages().unwrap(), 4);
        for (n, bs) in blob_stores.into_iter().enumerate() {
            let n = n * 10;
            let (own, shared) = (format!("alice only {n}"), format!("both have it {n}"));
            let (own, shared) = (
                hadron_store::content_hash(own.as_bytes()),
                hadron_store::content_hash(shared.as_bytes()),
            );
            // Only the body no one else has is collected.
            assert_eq!(bs.collect(s, Duration::ZERO).unwrap(), 1);
            assert!(matches!(bs.get(&own), Err(StoreError::BlobNotFound(_))));
            assert!(bs.get(&shared).is_ok());
        }
        // Bob is untouched.
        assert_eq!(s.subscriptions(bob).unwrap(), ["INBOX"]);
        assert_eq!(s.fetch_messages(b_inbox, &UidSet::all()).unwrap().len(), 2);
        check_counters(s, b_inbox);
        assert_eq!(s.keywords(b_inbox).unwrap(), ["$Work"]);

        // The name can be used again: a new account with nothing of the old one.
        let again = s.create_user("alice", "h").unwrap();
        assert_ne!(again, alice);
        assert!(s.list_mailboxes(again).unwrap().is_empty());
        assert!(s.subscriptions(again).unwrap().is_empty());
        if db.dir().is_none() {
            let _ = std::fs::remove_dir_all(&blob_dir);
        }
    }
}

/// Two stores on one PostgreSQL database (two instances): a listener on the second hears of
/// every write committed through the first, and `changes_since` reads what changed.
#[test]
fn other_instances_hear_of_changes_and_read_them() {
    let Some(db) = common::postgres() else { return };
    let one = db.store();
    let two = db.reopen();
    let mut listener = two.change_listener().unwrap().expect("PostgreSQL listens");
    let u = one.create_user("u", "h").unwrap();
    let a = one.create_mailbox(u, "A", None).unwrap().id;
    let heard = |listener: &mut hadron_store::ChangeListener| {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let got = listener.poll().unwrap();
            if !got.is_empty() || std::time::Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let before = two.mailbox_status(a).unwrap();
    let batch: Vec<_> = (0..5)
        .map(|i| msg(i, SystemFlags::EMPTY, &["$X"]))
        .collect();
    one.append(a, batch).unwrap();
    assert_eq!(heard(&mut listener), Woken::Mailboxes(vec![a]));
    let ch = two
        .changes_since(a, before.highest_modseq, None, before.uidnext)
        .unwrap()
        .unwrap();
    assert_eq!(
        ch.added.iter().map(|m| m.uid).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert!(ch.changed.is_empty());
    assert_eq!(ch.expunged, Some(vec![]));
    assert_eq!(ch.keywords, ["$X"]);
    let seen = (ch.highest_modseq, ch.uidnext);

    one.store_flags(a, &UidSet::from_uids([2, 4]), FlagOp::Add, SEEN, &[])
        .unwrap();
    one.expunge(a, &UidSet::from_uids([5])).unwrap();
    assert_eq!(
        heard(&mut listener),
        Woken::Mailboxes(vec![a]),
        "two commits, one wake-up"
    );
    let ch = two.changes_since(a, seen.0, None, seen.1).unwrap().unwrap();
    assert!(ch.added.is_empty());
    assert_eq!(ch.changed.iter().map(|m| m.uid).collect::<Vec<_>>(), [2, 4]);
    assert!(ch.changed.iter().all(|m| m.flags.contains(SEEN)));
    assert_eq!(ch.expunged, Some(vec![5]));
    // The other instance still reads what it expunged, through the expunged UID, until
    // the purge; UIDs never expunged (or still there) read as nothing.
    let gone = two.expunged_messages(a, &UidSet::range(1, 9)).unwrap();
    assert_eq!(gone.iter().map(|m| m.uid).collect::<Vec<_>>(), [5]);
    assert_eq!(
        gone[0].meta.envelope, b"(env 4)",
        "UID 5 is the fifth message"
    );
    assert_eq!(one.purge_orphan_messages().unwrap(), 1);
    assert!(
        two.expunged_messages(a, &UidSet::range(1, 9))
            .unwrap()
            .is_empty()
    );
    // Bounded above: the expunge's own mod-sequence is left out.
    let ch = two
        .changes_since(a, seen.0, Some(seen.0 + 2), seen.1)
        .unwrap()
        .unwrap();
    assert_eq!((ch.changed.len(), ch.expunged), (2, Some(vec![])));
    // Once the history is pruned past the reader's point, it cannot name what vanished
    // there; from the prune point on it can.
    assert_eq!(one.prune_expunged(a, seen.0 + 3).unwrap(), 1);
    let ch = two.changes_since(a, seen.0, None, seen.1).unwrap().unwrap();
    assert_eq!(ch.expunged, None, "expunge of UID 5 forgotten");
    assert_eq!(ch.changed.len(), 2, "flag changes are still read");
    let ch = two
        .changes_since(a, seen.0 + 2, None, seen.1)
        .unwrap()
        .unwrap();
    assert_eq!(ch.expunged, Some(vec![]));

    // A rolled-back write tells no one; a deleted mailbox reads as gone.
    assert!(
        one.append(MailboxId(a.0 + 1000), vec![msg(9, SystemFlags::EMPTY, &[])])
            .is_err()
    );
    one.delete_mailbox(u, "A").unwrap();
    assert_eq!(heard(&mut listener), Woken::Mailboxes(vec![a]));
    assert_eq!(two.changes_since(a, 0, None, 1).unwrap(), None);
}

/// Two stores on one SQLite file (a server and an administration command in another
/// process): the writer thread of each notices the other's commits through
/// `PRAGMA data_version`, and its listener reports them as [`Woken::Everything`]; a store's
/// own writes are never reported to its own listener.
#[test]
fn sqlite_listeners_hear_of_other_connections_commits_only() {
    let db = common::sqlite();
    let one = db.store();
    let two = db.reopen();
    let mut mine = one.change_listener().unwrap().expect("SQLite listens too");
    let mut theirs = two.change_listener().unwrap().expect("SQLite listens too");
    let within = |listener: &mut hadron_store::ChangeListener, wait: Duration| {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let got = listener.poll().unwrap();
            if !got.is_empty() || std::time::Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let u = one.create_user("u", "h").unwrap();
    let a = one.create_mailbox(u, "A", None).unwrap().id;
    one.append(a, (0..3).map(|i| msg(i, SystemFlags::EMPTY, &[])).collect())
        .unwrap();
    assert_eq!(
        within(&mut theirs, Duration::from_secs(5)),
        Woken::Everything
    );
    // The three commits may be noticed at one poll of the writer or at several: once
    // the writer has polled a few times, none is reported again without a new commit.
    std::thread::sleep(Duration::from_millis(200));
    theirs.poll().unwrap();
    assert!(theirs.poll().unwrap().is_empty());
    // Its own writes: nothing, however long it waits (many idle polls of the writer).
    assert!(
        within(&mut mine, Duration::from_millis(300)).is_empty(),
        "a store's own commits are not foreign"
    );
    // The other way round: an expunge through the second store wakes the first.
    let before = one.mailbox_status(a).unwrap();
    two.expunge(a, &UidSet::from_uids([2])).unwrap();
    assert_eq!(within(&mut mine, Duration::from_secs(5)), Woken::Everything);
    let ch = one
        .changes_since(a, before.highest_modseq, None, before.uidnext)
        .unwrap()
        .unwrap();
    assert_eq!(ch.expunged, Some(vec![2]));
    assert!(
        within(&mut theirs, Duration::from_millis(300)).is_empty(),
        "the second store's own expunge is not reported to it"
    );
    // A write queued while a foreign commit is pending is noticed before its batch: the
    // writer of the first store reads the version before committing its own write.
    two.store_flags(a, &UidSet::from_uids([1]), FlagOp::Add, SEEN, &[])
        .unwrap();
    one.store_flags(a, &UidSet::from_uids([3]), FlagOp::Add, SEEN, &[])
        .unwrap();
    assert_eq!(within(&mut mine, Duration::ZERO), Woken::Everything);
}

/// A read on a connection the database ended (a restart, a failover, a cut) runs again on a
/// fresh one: after every session of the database is terminated, reads answer at once.
#[test]
fn reads_survive_the_database_ending_their_connections() {
    let Some(db) = common::postgres() else { return };
    let s = db.store();
    let u = s.create_user("u", "h").unwrap();
    let a = s.create_mailbox(u, "A", None).unwrap().id;
    s.append(a, vec![msg(1, SystemFlags::EMPTY, &[])]).unwrap();
    // Readers busy all the time, so that sessions end under their queries
    // (not only between them, which the pool's check-out test catches).
    let stop = std::sync::atomic::AtomicBool::new(false);
    let failures = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut failed = Vec::new();
                    let mut reads = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        if let Err(e) = s.fetch_flags(a, &UidSet::all()) {
                            failed.push(e.to_string());
                        }
                        reads += 1;
                    }
                    (reads, failed)
                })
            })
            .collect();
        let mut ended = 0;
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(30));
            ended += db.pg().expect("PostgreSQL").terminate_sessions("");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(ended >= 10, "sessions ended: {ended}");
        let mut failed = Vec::new();
        for r in readers {
            let (reads, f) = r.join().expect("reader");
            assert!(reads > 10, "{reads} reads");
            failed.extend(f);
        }
        failed
    });
    assert!(
        failures.is_empty(),
        "{} reads failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    assert_eq!(s.mailbox_status(a).unwrap().messages, 1);
    // Other errors are not taken for a lost connection.
    let gone = s.mailbox_status(MailboxId(a.0 + 1000)).unwrap_err();
    assert!(!gone.is_connection_lost(), "{gone}");
}

/// Writes whose connection the database ended before COMMIT run again on a fresh one; none is
/// ever applied twice: APPENDs from four threads while every session of the database is
/// terminated 10 times — every acknowledged message is stored exactly once, and a message is
/// stored only if it was acknowledged or its APPEND failed (lost at COMMIT: unknown outcome).
#[test]
fn writes_survive_the_database_ending_their_connections_and_never_apply_twice() {
    let Some(db) = common::postgres() else { return };
    let s = db.store();
    let u = s.create_user("u", "h").unwrap();
    let a = s.create_mailbox(u, "A", None).unwrap().id;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let next = std::sync::atomic::AtomicU32::new(0);
    let (acked, failed) = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let (mut acked, mut failed) = (Vec::new(), Vec::new());
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        match s.append(a, vec![msg(i, SystemFlags::EMPTY, &[])]) {
                            Ok(_) => acked.push(i),
                            Err(e) => failed.push((i, e.to_string())),
                        }
                    }
                    (acked, failed)
                })
            })
            .collect();
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(50));
            db.pg().expect("PostgreSQL").terminate_sessions("");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (mut acked, mut failed) = (Vec::new(), Vec::new());
        for w in writers {
            let (a, f) = w.join().expect("writer");
            acked.extend(a);
            failed.extend(f);
        }
        (acked, failed)
    });
    assert!(acked.len() > 20, "{} appends acknowledged", acked.len());
    let stored = s.fetch_messages(a, &UidSet::all()).unwrap();
    let mut envelopes: Vec<Vec<u8>> = stored.iter().map(|m| m.meta.envelope.clone()).collect();
    envelopes.sort();
    let n = envelopes.len();
    envelopes.dedup();
    assert_eq!(envelopes.len(), n, "a message stored twice");
    let known: std::collections::HashSet<Vec<u8>> = acked
        .iter()
        .chain(failed.iter().map(|(i, _)| i))
        .map(|i| format!("(env {i})").into_bytes())
        .collect();
    for e in &envelopes {
        assert!(
            known.contains(e),
            "stored but never sent: {}",
            String::from_utf8_lossy(e)
        );
    }
    for i in &acked {
        let e = format!("(env {i})").into_bytes();
        assert!(envelopes.contains(&e), "acknowledged APPEND {i} missing");
    }
    // Lost at COMMIT only: with the retry, the rare failure is one whose COMMIT was cut.
    assert!(
        failed.len() <= acked.len() / 20 + 3,
        "{} of {} appends failed: {:?}",
        failed.len(),
        acked.len() + failed.len(),
        &failed[..failed.len().min(3)]
    );
}

/// Garbage collection runs on one instance at a time: while another holds the turn, a run
/// removes nothing (and does not wait); afterwards it removes the orphans.
#[test]
fn one_instance_collects_at_a_time() {
    use diesel::prelude::*;
    let Some(db) = common::postgres() else { return };
    let s = db.store();
    let u = s.create_user("u", "h").unwrap();
    let a = s.create_mailbox(u, "A", None).unwrap().id;
    s.append(a, vec![msg(1, SystemFlags::EMPTY, &[])]).unwrap();
    s.expunge(a, &UidSet::all()).unwrap();
    let mut other = PgConnection::establish(&db.url).unwrap();
    other
        .transaction(|c| {
            diesel::sql_query("SELECT pg_advisory_xact_lock(7521403295343994723)").execute(c)?;
            assert_eq!(
                s.purge_orphan_messages().unwrap(),
                0,
                "another instance's turn"
            );
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    assert_eq!(s.purge_orphan_messages().unwrap(), 1);
}

/// The text index's migration relies on this: apart from ASCII itself, only U+0130 and the
/// Kelvin sign lowercase to something holding an ASCII character. Fails when a new Unicode
/// version adds one (the migration must then index it as its ASCII letter too).
#[test]
fn only_two_non_ascii_characters_lowercase_to_ascii() {
    let found: Vec<char> = (0..=u32::from(char::MAX))
        .filter_map(char::from_u32)
        .filter(|c| !c.is_ascii() && c.to_lowercase().any(|l| l.is_ascii()))
        .collect();
    assert_eq!(found, ['\u{130}', '\u{212A}']);
}

both! {
    fn running_instances_register_report_and_leave(db) {
        let s = db.store();
        let at = |id: &str, heartbeat: i64, sessions: u64| hadron_store::Instance {
            id: id.to_owned(),
            host: "mail1".to_owned(),
            pid: 4242,
            started: 1_000,
            heartbeat,
            sessions,
        };
        assert!(s.instances(0).unwrap().is_empty());
        s.record_instance(&at("a", 1_000, 0)).unwrap();
        s.record_instance(&at("b", 1_000, 0)).unwrap();
        // A heartbeat replaces what was reported, never the identity.
        let mut moved = at("a", 1_010, 7);
        moved.host = "elsewhere".to_owned();
        s.record_instance(&moved).unwrap();
        assert_eq!(s.instances(1_005).unwrap(), [at("a", 1_010, 7)], "b is stale");
        assert_eq!(s.instances(0).unwrap().len(), 2);
        assert_eq!(s.prune_instances(1_005).unwrap(), 1);
        assert_eq!(s.instances(0).unwrap(), [at("a", 1_010, 7)]);
        assert!(s.remove_instance("a").unwrap());
        assert!(!s.remove_instance("a").unwrap());
        assert!(s.instances(0).unwrap().is_empty());
    }
}

both! {
    fn fetch_for_fetch_reads_only_the_columns_asked_for(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
        s.append(mb, (0..6).map(|i| msg(i, SEEN, &[])).collect()).unwrap();
        let full = s.fetch_messages(mb, &UidSet::all()).unwrap();
        assert!(full.iter().all(|f| f.save_date.is_some()));
        assert!(full.iter().all(|f| f.meta.preview.is_some()));
        for bits in 0..32u8 {
            let columns = FetchColumns {
                envelope: bits & 1 != 0,
                bodystructure: bits & 2 != 0,
                part_map: bits & 4 != 0,
                save_date: bits & 8 != 0,
                preview: bits & 16 != 0,
            };
            let narrow = s.fetch_for_fetch(mb, &UidSet::range(2, 5), columns).unwrap();
            assert_eq!(narrow.len(), 4);
            for (n, f) in narrow.iter().zip(&full[1..5]) {
                assert_eq!((n.uid, n.message), (f.uid, f.message));
                let (nm, fm) = (&n.meta, &f.meta);
                assert_eq!(
                    (&nm.content_hash, nm.size, nm.internal_date, nm.sent_date, &nm.thread_id),
                    (&fm.content_hash, fm.size, fm.internal_date, fm.sent_date, &fm.thread_id)
                );
                let or_empty = |wanted: bool, v: &Vec<u8>| if wanted { v.clone() } else { Vec::new() };
                assert_eq!(nm.envelope, or_empty(columns.envelope, &fm.envelope));
                assert_eq!(nm.bodystructure, or_empty(columns.bodystructure, &fm.bodystructure));
                assert_eq!(nm.part_map, or_empty(columns.part_map, &fm.part_map));
                assert_eq!((&nm.subject, &nm.sort_keys, &nm.thread_refs), (&None, &None, &None));
                assert_eq!(n.save_date, f.save_date.filter(|_| columns.save_date));
                assert_eq!(nm.preview, fm.preview.clone().filter(|_| columns.preview));
            }
        }
    }

    fn previews_are_stored_at_ingest_and_once_after(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
        s.append(mb, (1..=3).map(|i| msg(i, SystemFlags::EMPTY, &[])).collect()).unwrap();
        let preview = FetchColumns { preview: true, ..FetchColumns::default() };
        let read = |s: &hadron_store::Store| -> Vec<Option<String>> {
            s.fetch_for_fetch(mb, &UidSet::all(), preview)
                .unwrap()
                .into_iter()
                .map(|m| m.meta.preview)
                .collect()
        };
        assert_eq!(read(s), (1..=3).map(|i| Some(format!("preview of message {i}"))).collect::<Vec<_>>());
        let rows = s.fetch_messages(mb, &UidSet::all()).unwrap();
        assert_eq!(rows[0].meta.preview.as_deref(), Some("preview of message 1"));
        // Rows from before the column: none, until a reader stores one (once: a second
        // writer of the same message changes nothing). No mod-sequence moves.
        let modseq = s.mailbox_status(mb).unwrap().highest_modseq;
        assert_eq!(hadron_store::testing::forget_previews(s, mb), 3);
        assert_eq!(read(s), vec![None, None, None]);
        let ids: Vec<_> = rows.iter().map(|r| r.message).collect();
        let stored = vec![(ids[0], "computed".to_owned()), (ids[2], String::new())];
        assert_eq!(s.store_previews(stored).unwrap(), 2);
        assert_eq!(s.store_previews(vec![(ids[0], "again".to_owned())]).unwrap(), 0);
        assert_eq!(read(s), vec![Some("computed".into()), None, Some(String::new())]);
        assert_eq!(s.mailbox_status(mb).unwrap().highest_modseq, modseq);
    }

    fn rows_older_than_previews_have_none(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
        s.append(mb, vec![msg(1, SystemFlags::EMPTY, &[])]).unwrap();
        // Down past migration 000016 and up again, as an upgrade meets rows written before.
        revert_migrations_to(&db.url, "20261212000016");
        let s = db.reopen();
        let preview = FetchColumns { preview: true, ..FetchColumns::default() };
        let rows = s.fetch_for_fetch(mb, &UidSet::all(), preview).unwrap();
        assert_eq!(rows[0].meta.preview, None);
        s.append(mb, vec![msg(2, SystemFlags::EMPTY, &[])]).unwrap();
        let rows = s.fetch_for_fetch(mb, &UidSet::all(), preview).unwrap();
        assert_eq!(rows[1].meta.preview.as_deref(), Some("preview of message 2"));
    }

    fn save_dates_are_when_each_mailbox_got_the_message(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let b = s.create_mailbox(u, "B", None).unwrap().id;
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64
        };
        // APPEND: the time of the append, whatever INTERNALDATE the client gave.
        let before = now();
        s.append(a, (1..=3).map(|i| msg(i, SystemFlags::EMPTY, &[])).collect()).unwrap();
        let after = now();
        let rows = s.fetch_messages(a, &UidSet::all()).unwrap();
        for r in &rows {
            let saved = r.save_date.expect("a save date");
            assert!((before..=after).contains(&saved), "{saved} not in {before}..={after}");
            assert!(r.meta.internal_date < before, "INTERNALDATE as given");
        }
        let summaries = s.fetch_summaries(a, &UidSet::all()).unwrap();
        assert_eq!(
            summaries.iter().map(|m| m.save_date).collect::<Vec<_>>(),
            rows.iter().map(|m| m.save_date).collect::<Vec<_>>()
        );

        // COPY and MOVE: the copy is saved now, keeps its INTERNALDATE, and the source
        // keeps its own save date.
        let long_ago = 1_000_000_000;
        assert_eq!(hadron_store::testing::set_save_dates(s, a, Some(long_ago)), 3);
        let before = now();
        s.copy(a, &UidSet::from_uids([1]), b).unwrap();
        s.move_messages(a, &UidSet::from_uids([2]), b).unwrap();
        let after = now();
        let copies = s.fetch_messages(b, &UidSet::all()).unwrap();
        assert_eq!(copies.len(), 2);
        for (copy, source) in copies.iter().zip(&rows) {
            let saved = copy.save_date.expect("a save date");
            assert!((before..=after).contains(&saved), "{saved} not in {before}..={after}");
            assert_eq!(copy.meta.internal_date, source.meta.internal_date);
        }
        let left = s.fetch_messages(a, &UidSet::all()).unwrap();
        assert_eq!(
            left.iter().map(|m| (m.uid, m.save_date)).collect::<Vec<_>>(),
            [(1, Some(long_ago)), (3, Some(long_ago))]
        );

        // SAVED* read the save date: the index agrees with the rows.
        let range = |from, until| ColumnRange::SaveDate { from, until };
        assert_eq!(s.uids_in_range(b, range(Some(before), None)).unwrap(), [1, 2]);
        assert!(s.uids_in_range(b, range(None, Some(before))).unwrap().is_empty());
        assert_eq!(s.uids_in_range(a, range(None, Some(long_ago + 1))).unwrap(), [1, 3]);
        assert_eq!(
            s.uids_in_range(a, range(Some(long_ago), Some(long_ago + 1))).unwrap(),
            [1, 3]
        );
        assert!(s.uids_in_range(a, range(Some(long_ago + 1), None)).unwrap().is_empty());

        // Rows stored before save dates were kept have none, and SAVED* compare their
        // INTERNALDATE instead (RFC 8514 §4.3).
        assert_eq!(hadron_store::testing::set_save_dates(s, a, None), 2);
        let unknown = s.fetch_messages(a, &UidSet::all()).unwrap();
        assert!(unknown.iter().all(|m| m.save_date.is_none()));
        let third = unknown[1].meta.internal_date;
        assert_eq!(
            s.uids_in_range(a, range(Some(third), Some(third + 1))).unwrap(),
            [3]
        );
        assert_eq!(s.uids_in_range(a, range(None, Some(third))).unwrap(), [1]);
        // Both kinds of row in one answer.
        s.copy(a, &UidSet::from_uids([1]), a).unwrap();
        assert_eq!(s.uids_in_range(a, range(Some(third), None)).unwrap(), [3, 4]);
    }
}
