//! A failing connector call leaves every state unchanged and surfaces as
//! `NO`; a session that falls too far behind is closed with `* BYE`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use common::{Client, Env, message};
use hadron_state::connector::{
    BackendId, Connector, ConnectorError, FlagMode, LocalConnector, OutgoingMessage,
};
use hadron_state::engine::Engine;
use hadron_state::flags::FlagSet;
use hadron_state::session::State;
use hadron_store::{PackBlobStore, Store, StoreOptions};

/// The local connector, refusing every mutation while `down` is set.
struct Flaky {
    inner: LocalConnector,
    down: AtomicBool,
}

impl Flaky {
    fn check(&self) -> Result<(), ConnectorError> {
        if self.down.load(Ordering::SeqCst) {
            Err(ConnectorError::Unavailable("backend is down".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Connector for Flaky {
    async fn authenticate(&self, u: &str, p: &str) -> Result<(), ConnectorError> {
        self.inner.authenticate(u, p).await
    }
    async fn create_mailbox(&self, u: &str, n: &str) -> Result<BackendId, ConnectorError> {
        self.check()?;
        self.inner.create_mailbox(u, n).await
    }
    async fn rename_mailbox(&self, u: &str, f: &str, t: &str) -> Result<(), ConnectorError> {
        self.check()?;
        self.inner.rename_mailbox(u, f, t).await
    }
    async fn delete_mailbox(&self, u: &str, n: &str) -> Result<(), ConnectorError> {
        self.check()?;
        self.inner.delete_mailbox(u, n).await
    }
    async fn create_messages(
        &self,
        u: &str,
        m: &str,
        msgs: &[OutgoingMessage<'_>],
    ) -> Result<Vec<BackendId>, ConnectorError> {
        self.check()?;
        self.inner.create_messages(u, m, msgs).await
    }
    async fn add_messages(
        &self,
        u: &str,
        f: &str,
        uids: &[u32],
        t: &str,
    ) -> Result<Vec<BackendId>, ConnectorError> {
        self.check()?;
        self.inner.add_messages(u, f, uids, t).await
    }
    async fn remove_messages(&self, u: &str, m: &str, uids: &[u32]) -> Result<(), ConnectorError> {
        self.check()?;
        self.inner.remove_messages(u, m, uids).await
    }
    async fn set_flags(
        &self,
        u: &str,
        m: &str,
        uids: &[u32],
        mode: FlagMode,
        flags: &FlagSet,
    ) -> Result<(), ConnectorError> {
        self.check()?;
        self.inner.set_flags(u, m, uids, mode, flags).await
    }
}

fn flaky_env(capacity: usize) -> (Env, Arc<Flaky>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("h.db").display());
    let store = Store::open(&url, &StoreOptions::default()).unwrap();
    let blobs = Arc::new(PackBlobStore::open(dir.path().join("blobs")).unwrap());
    let flaky = Arc::new(Flaky {
        inner: LocalConnector::new(store.clone()),
        down: AtomicBool::new(false),
    });
    let mut env = Env::with_connector(store.clone(), dir, None, flaky.clone(), blobs.clone());
    if capacity != 1024 {
        env.engine = Engine::new(flaky.clone(), store, blobs, capacity);
    }
    (env, flaky)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_mutation_answers_no_and_changes_nothing() {
    let (env, flaky) = flaky_env(1024);
    let mut a = env.client("alice").await;
    let mut b = env.client("alice").await;
    a.append("p", "INBOX", "\\Deleted", &message("1")).await;
    a.run("s SELECT INBOX").await;
    b.run("s SELECT INBOX").await;
    flaky.down.store(true, Ordering::SeqCst);

    let no = "NO [UNAVAILABLE] backend unavailable: backend is down";
    assert_eq!(a.run("c CREATE New").await, [format!("c {no}")]);
    assert_eq!(
        a.run("d STORE 1 +FLAGS (\\Seen)").await,
        [format!("d {no}")]
    );
    assert_eq!(a.run("e EXPUNGE").await, [format!("e {no}")]);
    assert_eq!(
        a.append("f", "INBOX", "", &message("2")).await,
        [format!("f {no}")]
    );
    assert_eq!(a.run("g COPY 1 Trash").await, [format!("g {no}")]);
    assert_eq!(a.run("h MOVE 1 Trash").await, [format!("h {no}")]);
    assert_eq!(a.run("i RENAME Sent Sent2").await, [format!("i {no}")]);
    assert_eq!(a.run("j DELETE Sent").await, [format!("j {no}")]);
    assert_eq!(
        a.run("k FETCH 1 BODY[TEXT]").await,
        [format!("k {no}")],
        "FETCH cannot set \\Seen, so it fails whole"
    );

    // Nobody heard of anything; the store is as before.
    assert_eq!(b.run("n NOOP").await, ["n OK NOOP completed"]);
    assert_eq!(
        b.run("o FETCH 1 FLAGS").await[0],
        "* 1 FETCH (FLAGS (\\Deleted))"
    );
    assert_eq!(
        b.run("t STATUS Trash (MESSAGES)").await[0],
        "* STATUS Trash (MESSAGES 0)"
    );
    assert_eq!(b.run("l LIST \"\" Sent*").await.len(), 2, "Sent, still");
    assert_eq!(b.run("m LIST \"\" New").await, ["m OK LIST completed"]);

    flaky.down.store(false, Ordering::SeqCst);
    assert_eq!(
        a.run("e EXPUNGE").await,
        ["* 1 EXPUNGE", "e OK EXPUNGE completed"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_queue_overflows_catches_up_from_the_shared_index() {
    let (env, _) = flaky_env(2);
    let mut a = env.client("alice").await;
    a.append("p", "INBOX", "\\Deleted", &message("0")).await;
    a.run("s SELECT INBOX").await;
    let mut b = env.client("alice").await;
    let mut c = env.client("alice").await;
    b.append("p", "INBOX", "", &message("1")).await;
    b.run("x SELECT INBOX").await;
    b.run("e EXPUNGE").await;
    // C's EXAMINE brings the shared index up to date (its queue drains).
    c.run("x EXAMINE INBOX").await;
    b.append("q", "INBOX", "", &message("2")).await;
    // A's queue held 2 updates; the third overflowed it.
    let r = a.run("n NOOP").await;
    assert_eq!(
        r,
        [
            "* 1 EXPUNGE",
            "* 2 EXISTS",
            "* 0 RECENT",
            "n OK NOOP completed"
        ],
        "resynchronised, told under the usual rules (A's one recent message is gone; \
         messages added while its queue was lost are not recent for it)"
    );
    assert_eq!(a.state(), State::Selected);
    assert_eq!(
        a.run("f FETCH 1:* UID").await,
        [
            "* 1 FETCH (UID 2)",
            "* 2 FETCH (UID 3)",
            "f OK FETCH completed"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_queue_overflows_is_closed_with_bye() {
    let (env, _) = flaky_env(2);
    let mut a = env.client("alice").await;
    a.run("s SELECT INBOX").await;
    let mut b = env.client("alice").await;
    for s in ["1", "2", "3"] {
        b.append("p", "INBOX", "", &message(s)).await;
    }
    // The shared index overflowed as well: nothing to catch up from.
    let r = a.run("n NOOP").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("* BYE "), "{r:?}");
    assert_eq!(a.state(), State::Logout);
    let mut c = Client::new(env.engine.clone());
    assert_eq!(c.run("x LOGIN alice pw").await, ["x OK LOGIN completed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_follows_the_bye_of_a_session_closed_during_status() {
    // Like NOOP, a STATUS whose delivery closes the session ends with the
    // `* BYE`: no STATUS data, no tagged OK after it.
    let (env, _) = flaky_env(2);
    let mut a = env.client("alice").await;
    a.run("s SELECT INBOX").await;
    let mut b = env.client("alice").await;
    for s in ["1", "2", "3"] {
        b.append("p", "INBOX", "", &message(s)).await;
    }
    let r = a.run("t STATUS Trash (MESSAGES)").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("* BYE "), "{r:?}");
    assert_eq!(a.state(), State::Logout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_by_a_session_too_far_behind_still_removes_every_deleted_message() {
    let (env, _) = flaky_env(2);
    let mut a = env.client("alice").await;
    a.append("p", "INBOX", "", &message("1")).await;
    a.run("s SELECT INBOX").await;
    let mut b = env.client("alice").await;
    b.run("s SELECT INBOX").await;
    b.run("d STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    for s in ["2", "3"] {
        b.append("p", "INBOX", "", &message(s)).await;
    }
    // A's queue overflowed: its snapshot never learnt of the \Deleted.
    assert_eq!(a.run("c CLOSE").await, ["c OK CLOSE completed"]);
    assert_eq!(
        a.run("t STATUS INBOX (MESSAGES)").await[0],
        "* STATUS INBOX (MESSAGES 2)"
    );
}
