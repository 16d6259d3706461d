//! Several instances on one PostgreSQL database behave as one server: a
//! session on one instance is told of what sessions on another commit
//! (issue 11's four rows), in commit order, under the usual rules.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Client, Env, message};
use hadron_state::engine::Engine;

/// A logged-in client of alice on `engine`.
async fn client(engine: &Arc<Engine>) -> Client {
    let mut c = Client::new(engine.clone());
    assert_eq!(c.run("L LOGIN alice pw").await, ["L OK LOGIN completed"]);
    c
}

/// Two instances on the test's PostgreSQL database, each following the
/// other's changes, and the user alice.
async fn two_instances(env: &Env) -> (Arc<Engine>, Arc<Engine>, [std::thread::JoinHandle<()>; 2]) {
    let one = env.engine.clone();
    let two = env.second_instance().expect("PostgreSQL");
    let feeds = [
        one.follow_other_instances().unwrap().expect("a feed"),
        two.follow_other_instances().unwrap().expect("a feed"),
    ];
    one.create_user("alice", "pw").await.unwrap();
    (one, two, feeds)
}

/// NOOPs until the untagged responses include a line starting with each
/// of `want` (or five seconds passed); returns everything seen.
async fn noop_until(c: &mut Client, want: &[&str]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen: Vec<String> = Vec::new();
    loop {
        let r = c.run("n NOOP").await;
        seen.extend(r.into_iter().filter(|l| l.starts_with('*')));
        if want.iter().all(|w| seen.iter().any(|l| l.starts_with(w))) || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_on_one_instance_is_told_what_another_instance_commits() {
    let Some(env) = Env::postgres() else { return };
    let (one, two, _feeds) = two_instances(&env).await;
    let mut a = client(&one).await;
    for s in ["1", "2", "3"] {
        a.append("p", "INBOX", "", &message(s)).await;
    }
    assert_eq!(a.run("s SELECT INBOX").await[1], "* 3 EXISTS");
    let mut b = client(&two).await;
    b.run("s SELECT INBOX").await;

    // APPEND on instance 2: A's NOOP on instance 1 sees it.
    b.append("p", "INBOX", "", &message("4")).await;
    let r = noop_until(&mut a, &["* 4 EXISTS"]).await;
    assert!(r.contains(&"* 4 EXISTS".to_owned()), "{r:?}");

    // STORE +FLAGS (\Flagged).
    b.run("f STORE 1 +FLAGS (\\Flagged)").await;
    let r = noop_until(&mut a, &["* 1 FETCH (FLAGS (\\Flagged"]).await;
    assert!(
        r.iter()
            .any(|l| l.starts_with("* 1 FETCH (FLAGS (\\Flagged \\Recent) UID 1)")),
        "{r:?}"
    );

    // STORE \Deleted + EXPUNGE.
    b.run("d STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    b.run("e EXPUNGE").await;
    let r = noop_until(&mut a, &["* 2 EXPUNGE"]).await;
    assert!(r.contains(&"* 2 EXPUNGE".to_owned()), "{r:?}");
    assert_eq!(
        a.run("f FETCH 1:* (UID FLAGS)").await,
        [
            "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))",
            "* 2 FETCH (UID 3 FLAGS (\\Recent))",
            "* 3 FETCH (UID 4 FLAGS ())",
            "f OK FETCH completed",
        ]
    );

    // UID 4 was B's \Recent (B had INBOX selected on its instance): no
    // session of A's instance gets it too.

    // A's own writes and B's, interleaved: both views end equal, in order.
    a.append("p", "INBOX", "", &message("5")).await;
    b.append("p", "INBOX", "", &message("6")).await;
    a.append("p", "INBOX", "", &message("7")).await;
    // A's last APPEND already told A of B's message (published before A's
    // own, in commit order); B learns of A's two.
    noop_until(&mut b, &["* 6 EXISTS"]).await;
    let fa = a.run("f UID SEARCH ALL").await;
    let fb = b.run("f UID SEARCH ALL").await;
    assert_eq!(fa, fb);
    assert_eq!(fa[0], "* SEARCH 1 3 4 5 6 7");
    // \Recent: each new message is recent in exactly one of the two views.
    let ra = a.run("r UID SEARCH RECENT").await;
    let rb = b.run("r UID SEARCH RECENT").await;
    assert_eq!(
        (ra[0].as_str(), rb[0].as_str()),
        ("* SEARCH 1 3 5 7", "* SEARCH 4 6")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_message_is_recent_in_exactly_one_session_of_all_instances() {
    let Some(env) = Env::postgres() else { return };
    let (one, two, _feeds) = two_instances(&env).await;
    // A read-write session on instance 1 only; the writer on instance 2
    // has nothing selected, so instance 2 stores the message \Recent and
    // instance 1 claims it for A.
    let mut a = client(&one).await;
    a.run("s SELECT INBOX").await;
    let mut w = client(&two).await;
    w.append("p", "INBOX", "", &message("1")).await;
    let r = noop_until(&mut a, &["* 1 RECENT"]).await;
    assert!(r.contains(&"* 1 RECENT".to_owned()), "{r:?}");
    // Claimed: a later SELECT anywhere does not get it again.
    let mut c = client(&two).await;
    assert_eq!(c.run("s SELECT INBOX").await[2], "* 0 RECENT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_over_two_instances_reach_every_session_once() {
    let Some(env) = Env::postgres() else { return };
    let (one, two, _feeds) = two_instances(&env).await;
    let mut a = client(&one).await;
    a.run("s SELECT INBOX").await;
    let mut b = client(&two).await;
    b.run("s SELECT INBOX").await;
    let mut writers = Vec::new();
    for i in 0..10 {
        let engine = if i % 2 == 0 { one.clone() } else { two.clone() };
        writers.push(tokio::spawn(async move {
            let mut w = client(&engine).await;
            for j in 0..5 {
                let r = w
                    .append("p", "INBOX", "", &message(&format!("{i}-{j}")))
                    .await;
                assert!(r.last().unwrap().starts_with("p OK"), "{r:?}");
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    for c in [&mut a, &mut b] {
        let r = noop_until(c, &["* 50 EXISTS"]).await;
        assert!(r.contains(&"* 50 EXISTS".to_owned()), "{r:?}");
        let uids = c.run("u UID SEARCH ALL").await;
        assert_eq!(uids[0].split(' ').count(), 52, "50 distinct UIDs: {uids:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_cut_off_by_the_database_reconnects_and_misses_nothing() {
    let Some(env) = Env::postgres() else { return };
    let one = env.engine.clone();
    let two = env.second_instance().expect("PostgreSQL");
    let _feed = one.follow_other_instances().unwrap().expect("a feed");
    one.create_user("alice", "pw").await.unwrap();
    let mut a = client(&one).await;
    a.run("s SELECT INBOX").await;
    // The database ends the listening session (as a restart or a network
    // cut would); what is committed meanwhile is never notified to it.
    let pg = env.pg().expect("PostgreSQL");
    assert_eq!(pg.terminate_sessions("LISTEN"), 1, "one listening session");
    let mut b = client(&two).await;
    b.append("p", "INBOX", "", &message("while cut off")).await;
    let r = noop_until(&mut a, &["* 1 EXISTS"]).await;
    assert!(r.contains(&"* 1 EXISTS".to_owned()), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_index_follows_what_another_instance_commits() {
    // Instance one keeps INBOX's index after its last session closes it
    // (the engine's default cache); what instance two commits meanwhile is
    // in the next SELECT on instance one, which copies the index.
    let Some(env) = Env::postgres() else { return };
    let (one, two, _feeds) = two_instances(&env).await;
    let mut a = client(&one).await;
    for s in ["1", "2", "3"] {
        a.append("p", "INBOX", "", &message(s)).await;
    }
    a.run("s SELECT INBOX").await;
    a.run("c CLOSE").await;
    let copies = one.index_copies();

    let mut b = client(&two).await;
    b.run("s SELECT INBOX").await;
    b.append("p", "INBOX", "", &message("4")).await;
    b.run("f STORE 1 +FLAGS.SILENT (\\Flagged)").await;
    b.run("d STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    b.run("e EXPUNGE").await;
    let want = b.run("f FETCH 1:* (UID FLAGS)").await;

    // At once, without waiting for the announcement to arrive.
    let r = a.run("s EXAMINE INBOX").await;
    assert!(r.contains(&"* 3 EXISTS".to_owned()), "{r:?}");
    assert_eq!(one.index_copies(), copies + 1, "the kept index was copied");
    let got = a.run("f FETCH 1:* (UID FLAGS)").await;
    let strip = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .map(|l| l.replace(" \\Recent", "").replace("\\Recent", ""))
            .collect()
    };
    assert_eq!(strip(&got), strip(&want));
    assert_eq!(got[0], "* 1 FETCH (UID 1 FLAGS (\\Flagged))");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_another_instance_expunged_is_readable_until_the_session_is_told() {
    // This instance keeps no tombstone of another instance's expunge: A's
    // FETCH and SEARCH read the expunged message's row instead, as they
    // would a local expunge's tombstone (RFC 3501 §7.4.1: A still shows it).
    let Some(env) = Env::postgres() else { return };
    let (one, two, _feeds) = two_instances(&env).await;
    let mut a = client(&one).await;
    for s in ["one", "two", "three"] {
        a.append("p", "INBOX", "", &message(s)).await;
    }
    a.run("s SELECT INBOX").await;
    let mut b = client(&two).await;
    b.run("s SELECT INBOX").await;
    b.run("d STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(b.run("e EXPUNGE").await[0], "* 2 EXPUNGE");
    // Let the announcement reach instance one: FETCH and SEARCH hold the
    // expunge back, so A still numbers the message 2.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = a.run("f FETCH 2 (UID RFC822.SIZE BODY.PEEK[TEXT])").await;
    assert!(
        r.iter()
            .any(|l| l.starts_with("* 2 FETCH (UID 2 RFC822.SIZE ") && l.contains("Hello two")),
        "{r:?}"
    );
    assert!(r.last().unwrap().starts_with("f OK"), "{r:?}");
    let r = a.run("s SEARCH BODY \"Hello two\"").await;
    assert_eq!(r[0], "* SEARCH 2", "{r:?}");
    assert!(r.last().unwrap().starts_with("s OK"), "{r:?}");
    let r = a.run("n NOOP").await;
    assert!(r.contains(&"* 2 EXPUNGE".to_owned()), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_noop_reports_what_another_instance_acknowledged_without_a_wake_up() {
    // Instance one does not listen (as if every notification were lost):
    // its NOOP, CHECK and IDLE still read what instance two committed
    // before them, so a client told out of band sees it at once.
    let Some(env) = Env::postgres() else { return };
    let one = env.engine.clone();
    let two = env.second_instance().expect("PostgreSQL");
    one.create_user("alice", "pw").await.unwrap();
    let mut a = client(&one).await;
    a.append("p", "INBOX", "", &message("1")).await;
    a.run("s SELECT INBOX").await;
    let mut b = client(&two).await;
    b.append("p", "INBOX", "", &message("2")).await;
    let r = a.run("n NOOP").await;
    assert!(r.contains(&"* 2 EXISTS".to_owned()), "{r:?}");
    b.run("s SELECT INBOX").await;
    b.run("f STORE 1 +FLAGS.SILENT (\\Flagged)").await;
    let r = a.run("c CHECK").await;
    assert!(
        r.iter()
            .any(|l| l.starts_with("* 1 FETCH (FLAGS (\\Flagged"),),
        "{r:?}"
    );
    b.append("p", "INBOX", "", &message("3")).await;
    let r = a.run("i IDLE").await;
    assert!(r.contains(&"* 3 EXISTS".to_owned()), "{r:?}");
}
