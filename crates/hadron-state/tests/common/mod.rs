//! Test harness: an engine on SQLite (always) and PostgreSQL (when
//! `HADRON_TEST_PG` is set, in a database created and dropped per test),
//! and a scripted client that sends command lines and returns the
//! response lines.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::Arc;

use hadron_proto::parse::{self, ParseLimits};
use hadron_state::connector::{Connector, LocalConnector};
use hadron_state::engine::Engine;
use hadron_state::session::{Output, Session, State};
use hadron_store::testing::PgTestDatabase;
use hadron_store::{PackBlobStore, Store, StoreOptions};

pub struct Env {
    pub engine: Arc<Engine>,
    pub store: Store,
    _dir: tempfile::TempDir,
    pg: Option<PgTestDatabase>,
}

impl Env {
    fn build(store: Store, dir: tempfile::TempDir, pg: Option<PgTestDatabase>) -> Env {
        let blobs = Arc::new(PackBlobStore::open(dir.path().join("blobs")).expect("blobs"));
        let connector: Arc<dyn Connector> = Arc::new(LocalConnector::new(store.clone()));
        Env::with_connector(store, dir, pg, connector, blobs)
    }

    pub fn with_connector(
        store: Store,
        dir: tempfile::TempDir,
        pg: Option<PgTestDatabase>,
        connector: Arc<dyn Connector>,
        blobs: Arc<PackBlobStore>,
    ) -> Env {
        let engine = Engine::new(connector, store.clone(), blobs, 1024);
        Env {
            engine,
            store,
            _dir: dir,
            pg,
        }
    }

    /// The same store and bodies under a fresh engine that keeps closed
    /// mailboxes' indexes as `cache` says.
    pub fn with_index_cache(mut self, cache: hadron_state::engine::IndexCacheConfig) -> Env {
        let blobs = Arc::new(PackBlobStore::open(self._dir.path().join("blobs")).expect("blobs"));
        let connector: Arc<dyn Connector> = Arc::new(LocalConnector::new(self.store.clone()));
        self.engine = Engine::with_index_cache(connector, self.store.clone(), blobs, 1024, cache);
        self
    }

    /// Another instance on the same PostgreSQL database (and the same
    /// body directory); `None` on SQLite.
    pub fn second_instance(&self) -> Option<Arc<Engine>> {
        let pg = self.pg.as_ref()?;
        let store = Store::open(pg.url(), &StoreOptions::default()).expect("open postgres");
        let blobs = Arc::new(PackBlobStore::open(self._dir.path().join("blobs")).expect("blobs"));
        let connector: Arc<dyn Connector> = Arc::new(LocalConnector::new(store.clone()));
        Some(Engine::new(connector, store, blobs, 1024))
    }

    /// The PostgreSQL test database; `None` on SQLite.
    pub fn pg(&self) -> Option<&PgTestDatabase> {
        self.pg.as_ref()
    }

    pub fn sqlite() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("hadron.db").display());
        let store = Store::open(&url, &StoreOptions::default()).expect("open sqlite");
        Env::build(store, dir, None)
    }

    pub fn postgres() -> Option<Env> {
        let pg = PgTestDatabase::create("hadron_state_test")?;
        let store = Store::open(pg.url(), &StoreOptions::default()).expect("open postgres");
        let dir = tempfile::tempdir().expect("tempdir");
        Some(Env::build(store, dir, Some(pg)))
    }

    /// A logged-in client of `user` (created with password `pw` if new).
    pub async fn client(&self, user: &str) -> Client {
        if self.store.user_by_name(user).unwrap().is_none() {
            self.engine.create_user(user, "pw").await.unwrap();
        }
        let mut c = Client::new(self.engine.clone());
        let r = c.run(&format!("L LOGIN {user} pw")).await;
        assert_eq!(r, ["L OK LOGIN completed"]);
        c
    }
}

pub struct Client {
    pub session: Session,
}

impl Client {
    pub fn new(engine: Arc<Engine>) -> Client {
        Client {
            session: Session::new(engine),
        }
    }

    /// Sends one command (a line without CRLF; literals written inline as
    /// `{n}\r\n...`) and returns the response lines, each without its
    /// final CRLF.
    pub async fn run(&mut self, line: &str) -> Vec<String> {
        let input = format!("{line}\r\n");
        let cmd = parse::command(input.as_bytes(), &ParseLimits::default())
            .unwrap_or_else(|e| panic!("test command {line:?} does not parse: {e}"));
        let mut out: Vec<Output> = Vec::new();
        self.session.execute(cmd, &mut out).await;
        lines(&out)
    }

    /// IDLE: the updates delivered right now.
    pub fn idle_poll(&mut self) -> Vec<String> {
        let mut out: Vec<Output> = Vec::new();
        self.session.idle_poll(&mut out);
        lines(&out)
    }

    pub fn state(&self) -> State {
        self.session.state()
    }

    /// APPENDs `raw` to `mailbox`.
    pub async fn append(
        &mut self,
        tag: &str,
        mailbox: &str,
        flags: &str,
        raw: &str,
    ) -> Vec<String> {
        self.run(&format!(
            "{tag} APPEND {mailbox} ({flags}) {{{}}}\r\n{raw}",
            raw.len()
        ))
        .await
    }
}

pub fn lines(out: &[Output]) -> Vec<String> {
    out.iter()
        .map(|o| {
            let b = o.to_bytes();
            let s = String::from_utf8_lossy(&b).into_owned();
            s.strip_suffix("\r\n").unwrap_or(&s).to_owned()
        })
        .collect()
}

/// A small message.
pub fn message(subject: &str) -> String {
    format!(
        "From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: {subject}\r\n\
         Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\nHello {subject}\r\n"
    )
}

/// Runs an async test body on SQLite and, with `HADRON_TEST_PG`, PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($(#[$meta:meta])* async fn $name:ident($env:ident) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($env: common::Env) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(common::Env::sqlite()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(env) = common::Env::postgres() {
                    run(env).await;
                }
            }
        }
    )*};
}

/// APPENDs `raw` to INBOX with `flags` (space-separated, may be empty) and,
/// when given, an internal date (`"01-Jan-2020 12:00:00 +0000"`); panics
/// unless the server answers OK.
pub async fn append(c: &mut Client, flags: &str, date: Option<&str>, raw: &str) {
    let date = date.map(|d| format!(" \"{d}\"")).unwrap_or_default();
    let r = c
        .run(&format!(
            "p APPEND INBOX ({flags}){date} {{{}}}\r\n{raw}",
            raw.len()
        ))
        .await;
    assert!(r.last().unwrap().starts_with("p OK"), "{r:?}");
}

/// Another session of `user` expunges message `seq` of INBOX (the session
/// under test still shows it until told).
pub async fn expunge_elsewhere(env: &Env, user: &str, seq: u32) {
    let mut b = env.client(user).await;
    b.run("s SELECT INBOX").await;
    b.run(&format!("d STORE {seq} +FLAGS.SILENT (\\Deleted)"))
        .await;
    assert_eq!(
        b.run("e EXPUNGE").await,
        [
            format!("* {seq} EXPUNGE"),
            "e OK EXPUNGE completed".to_owned()
        ]
    );
}
