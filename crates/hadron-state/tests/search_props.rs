//! The optimised SEARCH evaluator against a naive reference: every key
//! evaluated for every message directly from the snapshot and the source,
//! over random mailboxes, random metadata and headers, and random key
//! trees. The results (numbers and highest mod-sequence) must be equal.

use hadron_proto::types::{
    AString, Atom, Date, DateTime, EntryType, Flag, ModSeqEntry, NonEmptyVec, SearchKey,
    SequenceSet,
};
use hadron_state::flags::{FlagSet, SystemFlags};
use std::borrow::Cow;

use hadron_state::search::{
    HeaderCandidates, IndexedKey, MemoryMessage, MemorySource, MessageMeta, MessageSource,
    SearchOptions, SearchResult, SourceError, search,
};
use hadron_state::snapshot::{MessageView, Snapshot};
use proptest::prelude::*;

const KEYWORDS: [&str; 3] = ["$A", "$B", "c"];
const FIELDS: [&str; 6] = ["From", "To", "Cc", "Bcc", "Subject", "X-Tag"];
const VALUES: [&str; 8] = [
    "Ada <ada@example.org>",
    "bob@example.org",
    "Grüße",
    "GRÜSSE aus Köln",
    "x y z",
    "Ökonomie",
    "",
    "Re: ÄRGER",
];
const NEEDLES: [&str; 14] = [
    "", "a", "ADA", "ada@", "grüße", "GRÜSSE", "example", "x y", "ö", "Ö", "bob@", "zzz", "ärger",
    "re:",
];
const SIZES: [u32; 7] = [0, 1, 99, 100, 101, 5000, u32::MAX];
/// 2026-11-01T00:00:00Z.
const BASE: i64 = 1_793_491_200;

/// The time OLDER and YOUNGER count back from: the end of the five days.
const NOW: i64 = BASE + 5 * 86_400;
const ZONES: [i16; 5] = [-720, -300, 0, 60, 840];

#[derive(Debug, Clone)]
struct Mailbox {
    messages: Vec<(u32, FlagSet, MemoryMessage)>,
    recent_from: u32,
    saved: Option<Vec<u32>>,
}

impl Mailbox {
    /// The session's view: the messages' flags, `\Recent` from `recent_from`.
    fn snapshot(&self) -> Snapshot {
        let mut s =
            Snapshot::from_messages(self.messages.iter().map(|(u, f, _)| (*u, f.clone()))).unwrap();
        s.set_recent_from(self.recent_from);
        s
    }

    /// What the store would answer.
    fn source(&self) -> MemorySource {
        self.messages
            .iter()
            .map(|(u, _, m)| (*u, m.clone()))
            .collect()
    }
}

fn date(day: u8) -> Date {
    Date::new(2026, 11, day).unwrap()
}

fn message() -> impl Strategy<Value = (FlagSet, MemoryMessage)> {
    let flags = (
        0u8..32,
        proptest::collection::btree_set(0..KEYWORDS.len(), 0..3),
    )
        .prop_map(|(bits, kws)| {
            let mut f = FlagSet::system(SystemFlags::from_bits_truncate(bits));
            for k in kws {
                f.insert(Flag::keyword(KEYWORDS[k]).unwrap());
            }
            f
        });
    // Times near midnight boundaries over five days, in several zones.
    let internal = || {
        (
            0i64..5,
            prop_oneof![Just(0i64), Just(1), Just(86_399), 0i64..86_400],
            0..ZONES.len(),
        )
            .prop_map(|(d, s, z)| DateTime::from_unix(BASE + d * 86_400 + s, ZONES[z]).unwrap())
    };
    let meta = (
        prop_oneof![proptest::sample::select(SIZES.to_vec()), 0u32..300],
        internal(),
        proptest::option::of((1u8..6).prop_map(date)),
        1u64..20,
        // Some without a save date, as rows stored before save dates were.
        proptest::option::of(internal()),
    )
        .prop_map(
            |(size, internal_date, sent_date, modseq, save_date)| MessageMeta {
                size,
                internal_date,
                sent_date,
                modseq,
                save_date,
            },
        );
    let headers = proptest::collection::vec((0..FIELDS.len(), 0..VALUES.len()), 0..5);
    let body = 0..VALUES.len();
    (flags, meta, headers, body).prop_map(|(flags, meta, headers, body)| {
        let mut m = MemoryMessage::new(meta).body(VALUES[body]);
        for (f, v) in headers {
            m = m.header(FIELDS[f], VALUES[v]);
        }
        (flags, m)
    })
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    (
        proptest::collection::btree_set(1u32..120, 0..25),
        proptest::collection::vec(message(), 25),
        0u32..130,
        proptest::option::of(proptest::collection::vec(1u32..130, 0..8)),
    )
        .prop_map(|(uids, messages, recent_from, saved)| Mailbox {
            messages: uids
                .into_iter()
                .zip(messages)
                .map(|(u, (f, m))| (u, f, m))
                .collect(),
            recent_from,
            saved,
        })
}

fn sequence_set() -> impl Strategy<Value = SequenceSet> {
    let number = prop_oneof![
        4 => (1..130u32).prop_map(|n| n.to_string()),
        1 => Just("*".to_owned()),
        1 => Just("4294967295".to_owned()),
    ];
    let item = prop_oneof![
        number.clone(),
        (number.clone(), number).prop_map(|(a, b)| format!("{a}:{b}")),
    ];
    prop_oneof![
        10 => proptest::collection::vec(item, 1..4).prop_map(|i| i.join(",").parse().unwrap()),
        1 => Just(SequenceSet::Saved),
    ]
}

fn needle() -> impl Strategy<Value = AString<'static>> {
    proptest::sample::select(NEEDLES.to_vec())
        .prop_map(|s| AString::try_from(s.to_owned()).unwrap())
}

/// Keys answered from the snapshot alone.
fn snapshot_leaf() -> impl Strategy<Value = SearchKey<'static>> {
    use SearchKey as K;
    let keyword = prop_oneof![proptest::sample::select(KEYWORDS.to_vec()), Just("$None")]
        .prop_map(|k| Atom::try_from(k.to_owned()).unwrap());
    prop_oneof![
        proptest::sample::select(vec![
            K::All,
            K::Answered,
            K::Unanswered,
            K::Deleted,
            K::Undeleted,
            K::Draft,
            K::Undraft,
            K::Flagged,
            K::Unflagged,
            K::Seen,
            K::Unseen,
            K::Recent,
            K::New,
            K::Old,
        ]),
        keyword.clone().prop_map(K::Keyword),
        keyword.prop_map(K::Unkeyword),
        sequence_set().prop_map(K::SequenceSet),
        sequence_set().prop_map(K::Uid),
    ]
}

fn leaf() -> impl Strategy<Value = SearchKey<'static>> {
    use SearchKey as K;
    let day = (1u8..6).prop_map(date);
    let keyword = prop_oneof![proptest::sample::select(KEYWORDS.to_vec()), Just("$None")]
        .prop_map(|k| Atom::try_from(k.to_owned()).unwrap());
    let size = prop_oneof![proptest::sample::select(SIZES.to_vec()), 0u32..300];
    let header_name = proptest::sample::select(vec!["x-tag", "FROM", "Subject", "X-None"])
        .prop_map(|s| AString::try_from(s.to_owned()).unwrap());
    prop_oneof![
        proptest::sample::select(vec![
            K::All,
            K::Answered,
            K::Unanswered,
            K::Deleted,
            K::Undeleted,
            K::Draft,
            K::Undraft,
            K::Flagged,
            K::Unflagged,
            K::Seen,
            K::Unseen,
            K::Recent,
            K::New,
            K::Old,
        ]),
        keyword.clone().prop_map(K::Keyword),
        keyword.prop_map(K::Unkeyword),
        sequence_set().prop_map(K::SequenceSet),
        sequence_set().prop_map(K::Uid),
        size.clone().prop_map(K::Larger),
        size.prop_map(K::Smaller),
        // Intervals around the generated times' boundaries.
        prop_oneof![Just(1u32), Just(86_400), Just(86_401), 1u32..(6 * 86_400)]
            .prop_map(|n| K::Older(std::num::NonZeroU32::new(n).unwrap())),
        prop_oneof![Just(1u32), Just(86_400), Just(86_399), 1u32..(6 * 86_400)]
            .prop_map(|n| K::Younger(std::num::NonZeroU32::new(n).unwrap())),
        day.clone().prop_map(K::Before),
        day.clone().prop_map(K::On),
        day.clone().prop_map(K::Since),
        day.clone().prop_map(K::SentBefore),
        day.clone().prop_map(K::SentOn),
        day.clone().prop_map(K::SentSince),
        day.clone().prop_map(K::SavedBefore),
        day.clone().prop_map(K::SavedOn),
        day.prop_map(K::SavedSince),
        Just(K::SaveDateSupported),
        (0u64..22, any::<bool>()).prop_map(|(modseq, entry)| K::ModSeq {
            entry: entry.then_some(ModSeqEntry {
                flag: Flag::Seen,
                entry_type: EntryType::All,
            }),
            modseq,
        }),
        needle().prop_map(K::From),
        needle().prop_map(K::To),
        needle().prop_map(K::Cc),
        needle().prop_map(K::Bcc),
        needle().prop_map(K::Subject),
        (header_name, needle()).prop_map(|(n, s)| K::Header(n, s)),
        needle().prop_map(K::Body),
        needle().prop_map(K::Text),
    ]
}

fn key() -> impl Strategy<Value = SearchKey<'static>> {
    tree(leaf())
}

fn tree(
    leaf: impl Strategy<Value = SearchKey<'static>> + 'static,
) -> impl Strategy<Value = SearchKey<'static>> {
    leaf.prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| SearchKey::Not(Box::new(k))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            proptest::collection::vec(inner, 1..4)
                .prop_map(|v| SearchKey::And(NonEmptyVec::new(v).unwrap())),
        ]
    })
}

/// A source that must not be called.
struct Untouchable;

impl MessageSource for Untouchable {
    fn metadata(&self, _: &[u32]) -> Result<Vec<MessageMeta>, SourceError> {
        panic!("metadata asked for a snapshot-only search")
    }
    fn header_values(&self, _: u32, _: &str) -> Result<Vec<Cow<'_, str>>, SourceError> {
        panic!("header asked for a snapshot-only search")
    }
    fn header_text(&self, _: u32) -> Result<Cow<'_, str>, SourceError> {
        panic!("header asked for a snapshot-only search")
    }
    fn body_text(&self, _: u32) -> Result<Cow<'_, str>, SourceError> {
        panic!("body asked for a snapshot-only search")
    }
}

// ---- the reference ----

fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

fn contains(hay: &str, needle: &AString<'_>) -> bool {
    lower(hay).contains(&lower(needle.to_str().unwrap()))
}

struct Reference<'a> {
    snapshot: &'a Snapshot,
    source: &'a MemorySource,
    saved: &'a [u32],
}

impl Reference<'_> {
    fn header(&self, uid: u32, name: &str, needle: &AString<'_>) -> bool {
        let values = self.source.header_values(uid, name).unwrap();
        if needle.as_bytes().is_empty() {
            !values.is_empty()
        } else {
            values.iter().any(|v| contains(v, needle))
        }
    }

    fn matches(&self, key: &SearchKey<'_>, seq: u32, m: &MessageView<'_>) -> bool {
        use SearchKey as K;
        let uid = m.uid;
        let meta = self.source.metadata(&[uid]).unwrap()[0];
        let sys = |f| m.system.contains(f);
        let kw = |a: &Atom<'_>| m.keywords.contains(&Flag::Keyword(a.clone().into_static()));
        let n = self.snapshot.len();
        let max_uid = self.snapshot.max_uid();
        let internal = meta.internal_date.date();
        let saved = meta.save_date.unwrap_or(meta.internal_date).date();
        match key {
            K::All => true,
            K::Answered => sys(SystemFlags::ANSWERED),
            K::Unanswered => !sys(SystemFlags::ANSWERED),
            K::Deleted => sys(SystemFlags::DELETED),
            K::Undeleted => !sys(SystemFlags::DELETED),
            K::Draft => sys(SystemFlags::DRAFT),
            K::Undraft => !sys(SystemFlags::DRAFT),
            K::Flagged => sys(SystemFlags::FLAGGED),
            K::Unflagged => !sys(SystemFlags::FLAGGED),
            K::Seen => sys(SystemFlags::SEEN),
            K::Unseen => !sys(SystemFlags::SEEN),
            K::Recent => m.recent,
            K::New => m.recent && !sys(SystemFlags::SEEN),
            K::Old => !m.recent,
            K::Keyword(a) => kw(a),
            K::Unkeyword(a) => !kw(a),
            K::SequenceSet(SequenceSet::Saved) | K::Uid(SequenceSet::Saved) => {
                self.saved.contains(&uid)
            }
            K::SequenceSet(set) => set.contains(seq, n),
            K::Uid(set) => set.contains(uid, max_uid),
            K::Larger(x) => meta.size > *x,
            K::Older(n) => meta.internal_date.to_unix() <= NOW - i64::from(n.get()),
            K::Younger(n) => meta.internal_date.to_unix() > NOW - i64::from(n.get()),
            K::Smaller(x) => meta.size < *x,
            K::Before(d) => internal < *d,
            K::On(d) => internal == *d,
            K::Since(d) => internal >= *d,
            K::SentBefore(d) => meta.sent_date.is_some_and(|s| s < *d),
            K::SentOn(d) => meta.sent_date == Some(*d),
            K::SentSince(d) => meta.sent_date.is_some_and(|s| s >= *d),
            K::SavedBefore(d) => saved < *d,
            K::SavedOn(d) => saved == *d,
            K::SavedSince(d) => saved >= *d,
            K::SaveDateSupported => true,
            K::ModSeq { modseq, .. } => meta.modseq >= *modseq,
            // Not generated: the memory source keeps no object ids.
            K::EmailId(_) | K::ThreadId(_) => false,
            K::From(s) => self.header(uid, "From", s),
            K::To(s) => self.header(uid, "To", s),
            K::Cc(s) => self.header(uid, "Cc", s),
            K::Bcc(s) => self.header(uid, "Bcc", s),
            K::Subject(s) => self.header(uid, "Subject", s),
            K::Header(name, s) => self.header(uid, name.to_str().unwrap(), s),
            K::Body(s) => contains(&self.source.body_text(uid).unwrap(), s),
            K::Text(s) => {
                contains(&self.source.header_text(uid).unwrap(), s)
                    || contains(&self.source.body_text(uid).unwrap(), s)
            }
            K::Not(k) => !self.matches(k, seq, m),
            K::Or(a, b) => self.matches(a, seq, m) || self.matches(b, seq, m),
            K::And(keys) => keys.iter().all(|k| self.matches(k, seq, m)),
        }
    }

    fn search(&self, keys: &[SearchKey<'_>], options: &SearchOptions<'_>) -> SearchResult {
        let mut numbers = Vec::new();
        let mut highest = None;
        for (i, m) in self.snapshot.iter().enumerate() {
            let seq = i as u32 + 1;
            if keys.iter().all(|k| self.matches(k, seq, &m)) {
                numbers.push(if options.return_uids { m.uid } else { seq });
                let modseq = self.source.get(m.uid).unwrap().meta.modseq;
                highest = highest.max(Some(modseq));
            }
        }
        SearchResult {
            numbers,
            highest_modseq: if options.highest_modseq {
                highest
            } else {
                None
            },
        }
    }
}

/// A source that also answers [`MessageSource::indexed`], by brute force,
/// as a store's index does: without the messages in `gone` (expunged from
/// the store, still in the session's snapshot).
struct Indexed<'a> {
    source: &'a MemorySource,
    uids: Vec<u32>,
    gone: Vec<u32>,
}

impl MessageSource for Indexed<'_> {
    fn metadata(&self, uids: &[u32]) -> Result<Vec<MessageMeta>, SourceError> {
        self.source.metadata(uids)
    }
    fn indexed(&self, key: IndexedKey) -> Option<Result<Vec<u32>, SourceError>> {
        let mut out = Vec::new();
        for &uid in self.uids.iter().filter(|u| !self.gone.contains(u)) {
            match self.source.metadata(&[uid]) {
                Ok(m) if key.matches(&m[0]) => out.push(uid),
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(out))
    }
    fn header_values(&self, uid: u32, name: &str) -> Result<Vec<Cow<'_, str>>, SourceError> {
        self.source.header_values(uid, name)
    }
    /// The messages with the field whose values contain the needle, and
    /// every third one as a false positive, as a narrowing query may give.
    fn header_candidates(&self, name: &str, needle: &str) -> Option<HeaderCandidates> {
        let mut out = Vec::new();
        for &uid in self.uids.iter().filter(|u| !self.gone.contains(u)) {
            let values: Vec<String> = match self.source.header_values(uid, name) {
                Ok(v) => v.into_iter().map(Cow::into_owned).collect(),
                Err(e) => return Some(Err(e)),
            };
            let hit = values.iter().any(|v| lower(v).contains(needle));
            if !values.is_empty() && (hit || uid % 3 == 0) {
                out.push((uid, values));
            }
        }
        Some(Ok(out))
    }
    fn header_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        self.source.header_text(uid)
    }
    fn body_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        self.source.body_text(uid)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn answers_from_a_source_index_equal_the_reference(
        mailbox in mailbox(),
        keys in proptest::collection::vec(key(), 1..4),
        gone_every in 2usize..6,
        return_uids in any::<bool>(),
    ) {
        let mut snapshot = mailbox.snapshot();
        let uids: Vec<u32> = mailbox.messages.iter().map(|(u, _, _)| *u).collect();
        let gone: Vec<u32> = uids.iter().copied().step_by(gone_every).collect();
        snapshot.mark_pending_expunge(&gone);
        let source = mailbox.source();
        let options = SearchOptions {
            return_uids,
            highest_modseq: false,
            saved: mailbox.saved.as_deref(),
            now: Some(NOW),
        };
        let indexed = Indexed { source: &source, uids, gone };
        let got = search(&snapshot, &keys, None, &indexed, &options).unwrap();
        let reference = Reference {
            snapshot: &snapshot,
            source: &source,
            saved: mailbox.saved.as_deref().unwrap_or(&[]),
        };
        prop_assert_eq!(got, reference.search(&keys, &options));
    }

    #[test]
    fn optimised_evaluator_equals_the_reference(
        mailbox in mailbox(),
        keys in proptest::collection::vec(key(), 1..4),
        return_uids in any::<bool>(),
        highest_modseq in any::<bool>(),
    ) {
        let snapshot = mailbox.snapshot();
        let source = mailbox.source();
        let options = SearchOptions {
            return_uids,
            highest_modseq,
            saved: mailbox.saved.as_deref(),
            now: Some(NOW),
        };
        let got = search(&snapshot, &keys, None, &source, &options).unwrap();
        let reference = Reference {
            snapshot: &snapshot,
            source: &source,
            saved: mailbox.saved.as_deref().unwrap_or(&[]),
        };
        prop_assert_eq!(got, reference.search(&keys, &options));
    }

    #[test]
    fn snapshot_only_trees_never_call_the_source(
        mailbox in mailbox(),
        keys in proptest::collection::vec(tree(snapshot_leaf()), 1..4),
        return_uids in any::<bool>(),
    ) {
        let snapshot = mailbox.snapshot();
        let source = mailbox.source();
        let options = SearchOptions {
            return_uids,
            highest_modseq: false,
            saved: mailbox.saved.as_deref(),
            now: Some(NOW),
        };
        let got = search(&snapshot, &keys, None, &Untouchable, &options).unwrap();
        let reference = Reference {
            snapshot: &snapshot,
            source: &source,
            saved: mailbox.saved.as_deref().unwrap_or(&[]),
        };
        prop_assert_eq!(got, reference.search(&keys, &options));
    }
}
