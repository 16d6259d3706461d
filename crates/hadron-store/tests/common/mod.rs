//! Test harness: the same test body against SQLite (always) and PostgreSQL (when
//! `HADRON_TEST_PG` is set), each on a fresh database that is dropped afterwards.
#![allow(dead_code, unreachable_pub, missing_docs)]

use hadron_store::testing::PgTestDatabase;
use hadron_store::{
    MailboxId, MessageMeta, NewMessage, SortKeys, Store, StoreOptions, SystemFlags, UidSet,
    content_hash,
};

pub struct TestDb {
    pub store: Option<Store>,
    pub url: String,
    dir: Option<tempfile::TempDir>,
    pg: Option<PgTestDatabase>,
}

impl TestDb {
    pub fn store(&self) -> &Store {
        self.store.as_ref().expect("store open")
    }

    /// Another independent `Store` (another pool; "another instance") on the same database.
    /// The PostgreSQL test database; `None` on SQLite.
    pub fn pg(&self) -> Option<&PgTestDatabase> {
        self.pg.as_ref()
    }

    pub fn reopen(&self) -> Store {
        Store::open(&self.url, &StoreOptions::default()).expect("reopen")
    }

    pub fn reopen_result(&self) -> hadron_store::Result<Store> {
        Store::open(&self.url, &StoreOptions::default())
    }

    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|d| d.path())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Close the pools before the database is dropped.
        self.store.take();
        self.pg.take();
    }
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("hadron.db").display());
    let store = Store::open(&url, &StoreOptions::default()).expect("open sqlite");
    TestDb {
        store: Some(store),
        url,
        dir: Some(dir),
        pg: None,
    }
}

pub fn postgres() -> Option<TestDb> {
    let pg = PgTestDatabase::create("hadron_test")?;
    let url = pg.url().to_owned();
    let store = Store::open(&url, &StoreOptions::default()).expect("open postgres");
    Some(TestDb {
        store: Some(store),
        url,
        dir: None,
        pg: Some(pg),
    })
}

/// Defines `mod NAME { fn sqlite(); fn postgres(); }` running the body on each backend.
#[macro_export]
macro_rules! both {
    ($(fn $name:ident($db:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn run($db: &common::TestDb) $body
            #[test]
            fn sqlite() {
                run(&common::sqlite());
            }
            #[test]
            fn postgres() {
                if let Some(db) = common::postgres() {
                    run(&db);
                }
            }
        }
    )*};
}

/// A small synthetic message.
pub fn msg(i: u32, flags: SystemFlags, keywords: &[&str]) -> NewMessage {
    let body = format!("Subject: m{i}\r\n\r\nbody {i}\r\n");
    NewMessage {
        meta: MessageMeta {
            content_hash: content_hash(body.as_bytes()),
            size: body.len() as u64,
            internal_date: 1_700_000_000 + i64::from(i),
            sent_date: Some(1_700_000_000),
            envelope: format!("(env {i})").into_bytes(),
            bodystructure: b"(\"text\" \"plain\")".to_vec(),
            subject: Some(format!("m{i}")),
            from: Some("a@example.org".into()),
            to: None,
            cc: None,
            thread_refs: Some(format!("{i}@example.org")),
            preview: Some(format!("preview of message {i}")),
            // Odd messages have none, as rows written before the column existed.
            part_map: if i.is_multiple_of(2) {
                vec![i as u8, 7, 1]
            } else {
                Vec::new()
            },
            thread_id: Some(format!("T{}", i % 3)),
            // Likewise for the sort keys.
            sort_keys: i.is_multiple_of(2).then(|| SortKeys {
                subject: format!("m{i}"),
                from: "a".into(),
                to: String::new(),
                cc: String::new(),
                display_from: "a@example.org".into(),
                display_to: String::new(),
            }),
        },
        flags,
        keywords: keywords.iter().map(|s| s.to_string()).collect(),
        sent_day: None,
        text: None,
        uid: None,
    }
}

/// Asserts that the mailbox counters equal a recount of its rows.
pub fn check_counters(store: &Store, mailbox: MailboxId) {
    let st = store.mailbox_status(mailbox).unwrap();
    let flags = store.fetch_flags(mailbox, &UidSet::all()).unwrap();
    let metas = store.fetch_messages(mailbox, &UidSet::all()).unwrap();
    assert_eq!(st.messages, flags.len() as u64, "message count");
    let unseen = flags
        .iter()
        .filter(|f| !f.flags.contains(SystemFlags::SEEN))
        .count();
    let recent = flags
        .iter()
        .filter(|f| f.flags.contains(SystemFlags::RECENT))
        .count();
    assert_eq!(st.unseen, unseen as u64, "unseen count");
    assert_eq!(st.recent, recent as u64, "recent count");
    assert_eq!(
        st.size,
        metas.iter().map(|m| m.meta.size).sum::<u64>(),
        "size"
    );
    if let Some(last) = flags.last() {
        assert!(st.uidnext > last.uid);
        assert!(flags.iter().all(|f| f.modseq <= st.highest_modseq));
    }
}
