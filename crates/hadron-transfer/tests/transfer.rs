//! Import and export through an engine, on SQLite and (with `HADRON_TEST_PG`)
//! PostgreSQL: a Maildir tree written by Dovecot 2.3 (`data/dovecot-maildir`,
//! its index files left out) imported with its UIDs, flags, keywords, dates
//! and subscriptions; a resumed import adding nothing; export to Maildir and
//! mbox and re-import giving the same messages; bad messages skipped.
#![allow(missing_docs)]

use std::sync::Arc;

use hadron_state::connector::{Connector, LocalConnector};
use hadron_state::engine::{Account, Engine};
use hadron_state::flags::SystemFlags;
use hadron_store::testing::PgTestDatabase;
use hadron_store::{FsBlobStore, Store, StoreOptions, UidSet};
use hadron_transfer::import::{self, NoProgress, Options};
use hadron_transfer::{export, mbox};

struct Env {
    engine: Arc<Engine>,
    dir: tempfile::TempDir,
    _pg: Option<PgTestDatabase>,
}

impl Env {
    fn open(store: Store, dir: tempfile::TempDir, pg: Option<PgTestDatabase>) -> Env {
        let blobs = Arc::new(FsBlobStore::open(dir.path().join("blobs")).unwrap());
        let connector: Arc<dyn Connector> = Arc::new(LocalConnector::new(store.clone()));
        Env {
            engine: Engine::new(connector, store, blobs, 1024),
            dir,
            _pg: pg,
        }
    }

    fn sqlite() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_sqlite(&dir.path().join("db.sqlite"), &StoreOptions::default()).unwrap();
        Env::open(store, dir, None)
    }

    fn postgres() -> Option<Env> {
        let pg = PgTestDatabase::create("transfer")?;
        let store = Store::open(pg.url(), &StoreOptions::default()).unwrap();
        Some(Env::open(store, tempfile::tempdir().unwrap(), Some(pg)))
    }

    async fn user(&self, name: &str) -> Account {
        self.engine.create_user(name, "pw").await.unwrap()
    }

    /// Every message of a mailbox: (uid, flags as text, internal date, bytes).
    async fn messages(&self, account: &Account, mailbox: &str) -> Vec<(u32, String, i64, Vec<u8>)> {
        let info = self.engine.mailbox(account.id, mailbox).await.unwrap();
        self.engine
            .export_messages(info.id, UidSet::range(1, u32::MAX - 1))
            .await
            .unwrap()
            .into_iter()
            .map(|m| {
                let flags: Vec<String> = m.flags.iter().map(|f| f.to_string()).collect();
                (m.uid, flags.join(" "), m.internal_date, m.raw)
            })
            .collect()
    }
}

fn without_uids(messages: Vec<(u32, String, i64, Vec<u8>)>) -> Vec<(String, i64, Vec<u8>)> {
    messages.into_iter().map(|(_, f, d, r)| (f, d, r)).collect()
}

async fn dovecot_tree_round_trip(env: Env) {
    let e = &env.engine;
    let alice = env.user("alice").await;
    let root = hadron_transfer::testing::dovecot_tree(env.dir.path());
    let report = import::maildir(e, &alice, &root, None, &Options::default(), &mut NoProgress)
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.imported(), 9);
    assert_eq!(report.subscribed, 4);
    assert!(report.mailboxes.iter().all(|m| m.uids_kept), "{report:?}");

    // INBOX: Dovecot's UIDVALIDITY and UIDs (4 and 5 were expunged there), the message
    // still in new/ after them, flags and keywords from the letters, dates from mtimes.
    let inbox = e.mailbox(alice.id, "INBOX").await.unwrap();
    assert_eq!(inbox.uidvalidity, 1_796_652_996);
    let got = env.messages(&alice, "INBOX").await;
    let summary: Vec<(u32, &str, i64)> = got
        .iter()
        .map(|(u, f, d, _)| (*u, f.as_str(), *d))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "\\Seen", 1_672_650_000),
            (2, "\\Flagged \\Seen $Important", 1_672_660_000),
            (3, "\\Answered work-item", 1_672_670_000),
            (6, "$Forwarded", 1_672_700_000),
            (7, "\\Seen", 1_672_710_000),
            (8, "", 1_672_736_400),
        ]
    );
    // Stored with CRLF: Dovecot's W= (its "virtual size") is that size, S= the file's.
    assert!(
        got[0]
            .3
            .starts_with(b"From: Sender 1 <s1@example.org>\r\nTo: ")
    );
    assert_eq!(got[0].3.len(), 204);
    assert!(
        !got.iter()
            .any(|m| m.3.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'))
    );
    assert_eq!(e.mailbox(alice.id, "INBOX").await.unwrap().uidnext, 9);

    let work = env.messages(&alice, "Work").await;
    assert_eq!((work[0].0, work[0].1.as_str()), (1, "\\Seen work-item"));
    let projects = env.messages(&alice, "Work/Projects").await;
    assert_eq!(
        (projects[0].0, projects[0].1.as_str(), projects[0].2),
        (1, "", 1_672_730_000)
    );
    let cafe = e.mailbox(alice.id, "Café").await.unwrap();
    assert_eq!((cafe.uidvalidity, cafe.messages), (1_796_652_995, 1));
    // An empty folder (Archive exists as a default mailbox, never used): Dovecot's
    // UIDVALIDITY too.
    assert_eq!(
        e.mailbox(alice.id, "Archive").await.unwrap().uidvalidity,
        1_796_652_997
    );
    let mut subscribed = e.store().subscriptions(alice.id).unwrap();
    subscribed.sort();
    assert_eq!(subscribed, ["Café", "INBOX", "Work", "Work/Projects"]);

    // Again: nothing added, everything found.
    let again = import::maildir(e, &alice, &root, None, &Options::default(), &mut NoProgress)
        .await
        .unwrap();
    assert_eq!((again.imported(), again.present()), (0, 9));
    assert_eq!(e.mailbox(alice.id, "INBOX").await.unwrap().messages, 6);

    // A message lost from the mailbox comes back on the next run (with a new UID: 6 is
    // below UIDNEXT).
    e.store().expunge(inbox.id, &UidSet::range(6, 6)).unwrap();
    let resumed = import::maildir(e, &alice, &root, None, &Options::default(), &mut NoProgress)
        .await
        .unwrap();
    assert_eq!((resumed.imported(), resumed.present()), (1, 8));
    let back = env.messages(&alice, "INBOX").await;
    assert_eq!((back[5].0, back[5].1.as_str()), (9, "$Forwarded"));
    e.store().expunge(inbox.id, &UidSet::range(9, 9)).unwrap();

    // Export to a Maildir tree and import that for another user: the same mailboxes,
    // UIDVALIDITYs, UIDs, flags, dates and bytes.
    let out = env.dir.path().join("exported");
    let exported = export::maildir(e, &alice, &out, None, &mut NoProgress)
        .await
        .unwrap();
    assert_eq!(exported.messages(), 8);
    assert!(exported.skipped.is_empty());
    let bob = env.user("bob").await;
    let re = import::maildir(e, &bob, &out, None, &Options::default(), &mut NoProgress)
        .await
        .unwrap();
    assert!(re.failures.is_empty());
    for mailbox in ["INBOX", "Work", "Work/Projects", "Café", "Archive"] {
        let a = e.mailbox(alice.id, mailbox).await.unwrap();
        let b = e.mailbox(bob.id, mailbox).await.unwrap();
        assert_eq!(
            (a.uidvalidity, a.uidnext, a.messages),
            (b.uidvalidity, b.uidnext, b.messages),
            "{mailbox}"
        );
        assert_eq!(
            env.messages(&alice, mailbox).await,
            env.messages(&bob, mailbox).await,
            "{mailbox}"
        );
    }
    let mut bob_subscribed = e.store().subscriptions(bob.id).unwrap();
    bob_subscribed.sort();
    assert_eq!(bob_subscribed, subscribed);

    // To mbox and back: the same messages, flags and dates (new UIDs).
    let file = env.dir.path().join("inbox.mbox");
    let to_mbox = export::mbox(e, &alice, "INBOX", &file, &mut NoProgress)
        .await
        .unwrap();
    assert_eq!(to_mbox.messages(), 5);
    let from_mbox = import::mbox(
        e,
        &bob,
        &file,
        "From mbox",
        &Options::default(),
        &mut NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(from_mbox.imported(), 5);
    assert_eq!(
        without_uids(env.messages(&alice, "INBOX").await),
        without_uids(env.messages(&bob, "From mbox").await)
    );
    // Resumed: nothing more.
    let again = import::mbox(
        e,
        &bob,
        &file,
        "From mbox",
        &Options::default(),
        &mut NoProgress,
    )
    .await
    .unwrap();
    assert_eq!((again.imported(), again.present()), (0, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_tree_round_trip_sqlite() {
    dovecot_tree_round_trip(Env::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_tree_round_trip_postgres() {
    if let Some(env) = Env::postgres() {
        dovecot_tree_round_trip(env).await;
    }
}

/// The report skipped exactly one message, from a source ending in `source`, for a reason
/// containing `reason`.
#[track_caller]
fn one_failure(report: &import::Report, source: &str, reason: &str) {
    let f = &report.failures;
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].source.ends_with(source), "{f:?}");
    assert!(f[0].reason.contains(reason), "{f:?}");
}

/// A message the store refuses is reported and skipped; the rest of its batch is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_is_skipped() {
    let env = Env::sqlite();
    let carol = env.user("carol").await;
    // Mailboxes hold at most 63 keywords: the second message brings 70 new ones.
    let many: Vec<String> = (0..70).map(|i| format!("k{i}")).collect();
    let text = format!(
        "From a Mon Jan  2 10:00:00 2023\nSubject: one\n\nfirst\n\n\
         From a Mon Jan  2 10:00:01 2023\nSubject: two\nX-Keywords: {}\n\nsecond\n\n\
         From a Mon Jan  2 10:00:02 2023\nSubject: three\n\nthird\n",
        many.join(" ")
    );
    let file = env.dir.path().join("bad.mbox");
    std::fs::write(&file, text).unwrap();
    let report = import::mbox(
        &env.engine,
        &carol,
        &file,
        "INBOX",
        &Options::default(),
        &mut NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.imported(), 2);
    one_failure(&report, "bad.mbox:6", "keywords");
    let subjects: Vec<bool> = env
        .messages(&carol, "INBOX")
        .await
        .iter()
        .map(|m| m.3.starts_with(b"Subject: two"))
        .collect();
    assert_eq!(subjects, [false, false]);

    // Not an mbox at all: an error, nothing stored.
    let junk = env.dir.path().join("junk");
    std::fs::write(&junk, "just text\n").unwrap();
    assert!(
        import::mbox(
            &env.engine,
            &carol,
            &junk,
            "Junk",
            &Options::default(),
            &mut NoProgress
        )
        .await
        .is_err()
    );
    // Not a Maildir.
    assert!(
        import::maildir(
            &env.engine,
            &carol,
            env.dir.path(),
            None,
            &Options::default(),
            &mut NoProgress
        )
        .await
        .is_err()
    );
    let _ = SystemFlags::SEEN;
    let _ = mbox::Quoting::Mboxrd;
}

/// Appends a message of its own on the first progress report: mail arriving while an
/// import runs takes the UIDs the import planned for its next batches.
struct ArrivingMail {
    store: Store,
    blobs: FsBlobStore,
    mailbox: hadron_store::MailboxId,
    arrived: bool,
}

impl import::Progress for ArrivingMail {
    fn advance(&mut self, messages: u64, _bytes: u64) {
        if messages > 0 && !self.arrived {
            self.arrived = true;
            let body = b"Subject: arrived meanwhile\r\n\r\nhi\r\n";
            hadron_store::BlobStore::put(&self.blobs, body).unwrap();
            let msg = hadron_store::NewMessage {
                meta: hadron_store::MessageMeta {
                    content_hash: hadron_store::content_hash(body),
                    size: body.len() as u64,
                    ..Default::default()
                },
                ..Default::default()
            };
            self.store.append(self.mailbox, vec![msg]).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_arriving_during_an_import_takes_planned_uids() {
    let env = Env::sqlite();
    let dave = env.user("dave").await;
    let root = env.dir.path().join("md");
    std::fs::create_dir_all(root.join("cur")).unwrap();
    let mut uidlist = String::from("3 V777 N10\n");
    for uid in 1..=4 {
        let base = format!("{uid}.M{uid}.host");
        std::fs::write(
            root.join("cur").join(format!("{base}:2,S")),
            format!("Subject: {uid}\n\nbody {uid}\n"),
        )
        .unwrap();
        uidlist.push_str(&format!("{uid} :{base}\n"));
    }
    std::fs::write(root.join("dovecot-uidlist"), uidlist).unwrap();
    let inbox = env.engine.mailbox(dave.id, "INBOX").await.unwrap();
    let mut progress = ArrivingMail {
        store: env.engine.store().clone(),
        blobs: FsBlobStore::open(env.dir.path().join("blobs")).unwrap(),
        mailbox: inbox.id,
        arrived: false,
    };
    let options = Options {
        batch_messages: 1,
        ..Options::default()
    };
    let report = import::maildir(&env.engine, &dave, &root, None, &options, &mut progress)
        .await
        .unwrap();
    assert!(progress.arrived);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.imported(), 4);
    let messages = env.messages(&dave, "INBOX").await;
    let subjects: Vec<(u32, String)> = messages
        .iter()
        .map(|(uid, _, _, raw)| {
            let first = String::from_utf8_lossy(raw)
                .lines()
                .next()
                .unwrap()
                .to_owned();
            (*uid, first)
        })
        .collect();
    // UID 1 kept; the arrival took 2; the rest follow in order; UIDNEXT as Dovecot had it.
    assert_eq!(
        subjects,
        [
            (1, "Subject: 1".to_owned()),
            (2, "Subject: arrived meanwhile".to_owned()),
            (3, "Subject: 2".to_owned()),
            (4, "Subject: 3".to_owned()),
            (5, "Subject: 4".to_owned()),
        ]
    );
    let info = env.engine.mailbox(dave.id, "INBOX").await.unwrap();
    assert_eq!((info.uidvalidity, info.uidnext), (777, 10));
}

/// A message over the size limit is reported and skipped, from an mbox file (read past,
/// never held whole) and from a Maildir (never read); the others are imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_the_size_limit_are_skipped() {
    let env = Env::sqlite();
    let erin = env.user("erin").await;
    let options = Options {
        max_message_bytes: 200,
        ..Options::default()
    };
    let big = "x".repeat(300);
    let file = env.dir.path().join("sizes.mbox");
    std::fs::write(
        &file,
        format!(
            "From a Mon Jan  2 10:00:00 2023\nSubject: small\n\nok\n\n\
             From a Mon Jan  2 10:00:01 2023\nSubject: big\n\n{big}\n\n\
             From a Mon Jan  2 10:00:02 2023\nSubject: small too\n\nok\n"
        ),
    )
    .unwrap();
    let report = import::mbox(
        &env.engine,
        &erin,
        &file,
        "INBOX",
        &options,
        &mut NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.imported(), 2);
    one_failure(&report, "sizes.mbox:6", "over the 200-byte limit");

    let root = env.dir.path().join("md");
    std::fs::create_dir_all(root.join("cur")).unwrap();
    std::fs::write(root.join("cur/1.M1.h:2,S"), "Subject: small\n\nok\n").unwrap();
    std::fs::write(
        root.join("cur/2.M2.h:2,S"),
        format!("Subject: big\n\n{big}\n"),
    )
    .unwrap();
    let report = import::maildir(
        &env.engine,
        &erin,
        &root,
        Some("Sized"),
        &options,
        &mut NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.imported(), 1);
    one_failure(&report, "2.M2.h:2,S", "over the 200-byte limit");
}
