//! NOTIFY (RFC 5465) inside the engine: what a watching session holds
//! (coalesced per mailbox, bounded) and what it does when its queue of
//! mailbox events overflows. The wire behaviour is tested black-box in
//! hadron-server's `tests/rfc5465.rs`.

mod common;

use std::sync::Arc;

use common::{Client, Env, lines, message};
use hadron_state::connector::LocalConnector;
use hadron_state::engine::Engine;
use hadron_state::session::Output;

/// What the session writes when the server polls it between commands.
async fn poll(c: &mut Client) -> Vec<String> {
    let mut out: Vec<Output> = Vec::new();
    c.session.notify_poll(&mut out).await;
    lines(&out)
}

both! {
    async fn changes_to_one_mailbox_are_told_as_one_status(env) {
        let mut other = env.client("alice").await;
        let mut watcher = env.client("alice").await;
        watcher.run("n NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))").await;
        for i in 0..50 {
            other.append("a", "Sent", "", &message(&format!("m{i}"))).await;
        }
        assert!(watcher.session.notifications_pending());
        let r = poll(&mut watcher).await;
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].starts_with("* STATUS Sent (MESSAGES 50 UIDNEXT 51 UIDVALIDITY "), "{r:?}");
        assert!(!watcher.session.notifications_pending());
        assert!(poll(&mut watcher).await.is_empty());
    }

    async fn the_state_of_a_watching_session_is_small(env) {
        // The figure docs/BENCHMARKS.md reports: NOTIFY state per watching
        // session with 1,000 watched mailboxes.
        let mut watcher = env.client("alice").await;
        let user = env.store.user_by_name("alice").unwrap().unwrap().0;
        for i in 0..994 {
            env.store.create_mailbox(user, &format!("folder/{i:04}"), None).unwrap();
        }
        watcher.run("n NOTIFY SET (personal (MessageNew MessageExpunge FlagChange MailboxName))").await;
        let bytes = watcher.session.notify_memory();
        println!("NOTIFY state with 1000 watched mailboxes: {bytes} bytes ({} per mailbox)", bytes / 1000);
        assert!(bytes > 1000 * 100, "every mailbox is counted: {bytes}");
        assert!(bytes < 1000 * 400, "{bytes} bytes");
        watcher.run("o NOTIFY NONE").await;
        assert_eq!(watcher.session.notify_memory(), 0);
    }
}

#[tokio::test]
async fn an_overflowing_event_queue_is_notificationoverflow_and_stops_notify() {
    let env = Env::sqlite();
    let blob_dir = tempfile::tempdir().unwrap();
    let blobs = hadron_store::FsBlobStore::open(blob_dir.path()).unwrap();
    // Queues of two: the third event overflows.
    let engine = Engine::new(
        Arc::new(LocalConnector::new(env.store.clone())),
        env.store.clone(),
        Arc::new(blobs),
        2,
    );
    engine.create_user("alice", "pw").await.unwrap();
    let mut watcher = Client::new(engine.clone());
    watcher.run("L LOGIN alice pw").await;
    let mut other = Client::new(engine.clone());
    other.run("L LOGIN alice pw").await;
    assert_eq!(
        watcher.run("n NOTIFY SET (personal (MailboxName))").await,
        ["n OK NOTIFY completed"]
    );
    for name in ["a", "b", "c"] {
        let r = other.run(&format!("c CREATE {name}")).await;
        assert!(r[0].starts_with("c OK"), "{r:?}");
    }
    assert_eq!(
        poll(&mut watcher).await,
        ["* OK [NOTIFICATIONOVERFLOW] too many changes; NOTIFY is off, use NOTIFY SET again"]
    );
    assert!(!watcher.session.notify_active(), "as after NOTIFY NONE");
    other.run("d CREATE d").await;
    assert!(!watcher.session.notifications_pending());
    assert!(poll(&mut watcher).await.is_empty());
    // NOTIFY SET starts again.
    watcher.run("m NOTIFY SET (personal (MailboxName))").await;
    other.run("e CREATE e").await;
    assert_eq!(poll(&mut watcher).await, ["* LIST () \"/\" e"]);
}
