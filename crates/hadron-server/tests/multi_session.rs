//! Black-box tests of several sessions on one account: what one session
//! is told, and when, about another's changes (RFC 3501 §5.5, §7.4.1;
//! RFC 5530 EXPUNGEISSUED; RFC 2177 IDLE). On SQLite and, with
//! `HADRON_TEST_PG`, PostgreSQL, with all clients on one instance and
//! spread over two instances on one database (issue 11).
#![allow(missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, append_n, assert_lines, message};
use hadron_server::config::Limits;

/// Over two instances, a flag change of a message expunged before A's
/// instance read either reaches A as the expunge alone (an instance reads
/// the mailbox's state, and an expunged message has no flags row): adds
/// `flags` to `r` where missing, so one expectation holds for both.
fn unless_single_told_of_deleted(server: &TestServer, r: &mut Vec<String>, flags: &str) {
    if !server.others.is_empty() && !r.iter().any(|l| l == flags) {
        r.insert(0, flags.to_owned());
    }
}

/// Over two instances, commands other than NOOP, CHECK and IDLE report
/// another instance's change once the change feed delivered it (p99 tens
/// of milliseconds): waits that long before such a command.
async fn settle(server: &TestServer) {
    if !server.others.is_empty() {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// How quickly an IDLE session must be told of another session's change.
const PUSH_LATENCY: Duration = Duration::from_millis(100);

spread! {
    async fn another_sessions_expunge_is_held_during_fetch_and_delivered_at_noop(backend) {
        let server = TestServer::start(backend).await;
        let mut a = server.login("alice").await;
        append_n(&mut a, "INBOX", 3).await;
        a.cmd_ok("s SELECT INBOX").await;
        let mut b = server.select_inbox().await;
        b.cmd_ok("b1 STORE 2 +FLAGS.SILENT (\\Deleted)").await;
        let r = b.cmd("b2 EXPUNGE").await;
        assert_lines(&r, &["* 2 EXPUNGE", "b2 OK EXPUNGE completed"]);
        // A's sequence numbers keep their meaning during FETCH, and the
        // expunged message still answers, with [EXPUNGEISSUED].
        settle(&server).await;
        let mut r = a.cmd("a1 FETCH 1:3 (UID)").await;
        unless_single_told_of_deleted(&server, &mut r, "* 2 FETCH (FLAGS (\\Deleted \\Recent) UID 2)");
        assert_lines(&r, &[
            "* 2 FETCH (FLAGS (\\Deleted \\Recent) UID 2)",
            "* 1 FETCH (UID 1)",
            "* 2 FETCH (UID 2)",
            "* 3 FETCH (UID 3)",
            "a1 OK [EXPUNGEISSUED] FETCH completed",
        ]);
        let r = a.cmd("a2 FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])").await;
        assert_lines(&r, &[
            "* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {%}\r\nSubject: message 2\r\n\r\n)",
            "a2 OK [EXPUNGEISSUED] FETCH completed",
        ]);
        // STORE holds it too.
        let r = a.cmd("a3 STORE 3 +FLAGS (\\Flagged)").await;
        assert_lines(&r, &["* 3 FETCH (FLAGS (\\Flagged%))", "a3 OK [EXPUNGEISSUED] STORE completed"]);
        let r = a.cmd("a4 NOOP").await;
        assert_lines(&r, &["* 2 EXPUNGE", "a4 OK NOOP completed"]);
        let r = a.cmd("a5 FETCH 1:* (UID)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "a5 OK FETCH completed"]);
    }

    async fn additions_wait_behind_a_held_expunge(backend) {
        let server = TestServer::start(backend).await;
        let mut a = server.login("alice").await;
        append_n(&mut a, "INBOX", 2).await;
        a.cmd_ok("s SELECT INBOX").await;
        let mut b = server.select_inbox().await;
        b.cmd_ok("b1 STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        b.cmd_ok("b2 EXPUNGE").await;
        append_n(&mut b, "INBOX", 1).await;
        // During FETCH: no EXISTS may overtake the pending EXPUNGE.
        settle(&server).await;
        let mut r = a.cmd("a1 FETCH 1 (UID)").await;
        unless_single_told_of_deleted(&server, &mut r, "* 1 FETCH (FLAGS (\\Deleted \\Recent) UID 1)");
        assert_lines(&r, &[
            "* 1 FETCH (FLAGS (\\Deleted \\Recent) UID 1)",
            "* 1 FETCH (UID 1)",
            "a1 OK [EXPUNGEISSUED] FETCH completed",
        ]);
        let mut r = a.cmd("a2 NOOP").await;
        // Which session is given \Recent for the new message is the hub's choice.
        r.retain(|l| !l.ends_with(" RECENT"));
        assert_lines(&r, &["* 1 EXPUNGE", "* 2 EXISTS", "a2 OK NOOP completed"]);
    }

    async fn flag_changes_arrive_as_fetch_at_the_next_command(backend) {
        let server = TestServer::start(backend).await;
        let mut a = server.login("alice").await;
        append_n(&mut a, "INBOX", 2).await;
        a.cmd_ok("s SELECT INBOX").await;
        let mut b = server.select_inbox().await;
        b.cmd_ok("b1 STORE 2 +FLAGS.SILENT (\\Flagged)").await;
        // Nothing is sent between commands.
        assert_eq!(a.read_within(Duration::from_millis(50)).await, None);
        let r = a.cmd("a1 NOOP").await;
        assert_lines(&r, &["* 2 FETCH (FLAGS (\\Flagged \\Recent) UID 2)", "a1 OK NOOP completed"]);
        // During FETCH too (flag changes may be sent with FETCH).
        b.cmd_ok("b2 STORE 1 +FLAGS.SILENT (\\Seen)").await;
        settle(&server).await;
        let r = a.cmd("a2 FETCH 2 (UID)").await;
        assert_lines(&r, &[
            "* 1 FETCH (FLAGS (\\Seen \\Recent) UID 1)",
            "* 2 FETCH (UID 2)",
            "a2 OK FETCH completed",
        ]);
    }

    async fn recent_belongs_to_one_session(backend) {
        let server = TestServer::start(backend).await;
        let mut a = server.select_inbox().await;
        let mut b = server.select_inbox().await;
        let mut c = server.login("alice").await;
        append_n(&mut c, "INBOX", 1).await;
        let ra = a.cmd("a1 NOOP").await;
        let rb = b.cmd("b1 NOOP").await;
        assert_eq!(ra[0], "* 1 EXISTS");
        assert_eq!(rb[0], "* 1 EXISTS");
        // Exactly one session is told the message is \Recent.
        let recent: Vec<&String> = ra.iter().chain(&rb).filter(|l| l.ends_with("RECENT")).collect();
        assert_eq!(recent, ["* 1 RECENT"], "{ra:?} {rb:?}");
    }

    async fn idle_pushes_exists_expunge_and_fetch_promptly(backend) {
        let server = TestServer::start(backend).await;
        let mut a = server.select_inbox().await;
        let mut b = server.select_inbox().await;
        a.line("i IDLE").await;
        a.expect(&["+ idling"]).await;

        // Over two instances B's instance gives the new message's \Recent
        // to B (one session of all has it), on one server the hub to A.
        let recent = if server.others.is_empty() { " \\Recent" } else { "" };
        let m = message("pushed", "now");
        b.line(&format!("b1 APPEND INBOX {{{}+}}\r\n{m}", m.len())).await;
        b.until_tagged("b1").await;
        let t = Instant::now();
        a.expect(&["* 1 EXISTS"]).await;
        if !recent.is_empty() {
            a.expect(&["* 1 RECENT"]).await;
        }
        assert!(t.elapsed() < PUSH_LATENCY, "EXISTS took {:?}", t.elapsed());

        b.cmd_ok("b2 NOOP").await;
        b.cmd_ok("b3 STORE 1 +FLAGS.SILENT (\\Flagged)").await;
        let t = Instant::now();
        a.expect(&[&format!("* 1 FETCH (FLAGS (\\Flagged{recent}) UID 1)")]).await;
        assert!(t.elapsed() < PUSH_LATENCY, "FETCH took {:?}", t.elapsed());

        b.cmd_ok("b4 STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        a.expect(&[&format!("* 1 FETCH (FLAGS (\\Flagged \\Deleted{recent}) UID 1)")]).await;
        b.cmd_ok("b5 EXPUNGE").await;
        let t = Instant::now();
        a.expect(&["* 1 EXPUNGE"]).await;
        assert!(t.elapsed() < PUSH_LATENCY, "EXPUNGE took {:?}", t.elapsed());

        a.line("DONE").await;
        a.expect(&["i OK IDLE terminated"]).await;
        let r = a.cmd("a1 NOOP").await;
        assert_lines(&r, &["a1 OK NOOP completed"]);
    }

    async fn idle_coalesces_a_burst_and_done_cuts_the_window_short(backend) {
        let limits = Limits { idle_coalesce_ms: 1000, ..Limits::default() };
        let server = TestServer::start_with(backend, limits).await;
        let mut a = server.select_inbox().await;
        let mut b = server.select_inbox().await;
        a.line("i IDLE").await;
        a.expect(&["+ idling"]).await;
        // Three APPENDs, pipelined: three updates within the window.
        let m = message("burst", "one of three");
        let one = format!("APPEND INBOX {{{}+}}\r\n{m}", m.len());
        b.send(format!("b1 {one}\r\nb2 {one}\r\nb3 {one}\r\n").as_bytes()).await;
        b.until_tagged("b3").await;
        // One EXISTS for the three, not one per APPEND (\Recent: see
        // idle_pushes_exists_expunge_and_fetch_promptly).
        let single = server.others.is_empty();
        a.expect(&["* 3 EXISTS"]).await;
        if single {
            a.expect(&["* 3 RECENT"]).await;
        }

        // DONE during a window ends it at once, with the update delivered.
        b.cmd_ok(&format!("b4 {one}")).await;
        let t = Instant::now();
        a.line("DONE").await;
        a.expect(&["* 4 EXISTS"]).await;
        if single {
            a.expect(&["* 4 RECENT"]).await;
        }
        a.expect(&["i OK IDLE terminated"]).await;
        assert!(t.elapsed() < Duration::from_millis(900), "DONE waited {:?}", t.elapsed());
    }

    async fn idle_delivers_what_queued_before_it_started(backend) {
        let server = TestServer::start(backend).await;
        let mut a = server.select_inbox().await;
        let mut b = server.login("alice").await;
        append_n(&mut b, "INBOX", 2).await;
        a.line("i IDLE").await;
        // Delivered at once, before the continuation request.
        a.expect(&["* 2 EXISTS", "* 2 RECENT", "+ idling"]).await;
        a.line("DONE").await;
        a.expect(&["i OK IDLE terminated"]).await;
    }

    async fn a_mailbox_deleted_under_a_selected_session_closes_it(backend) {
        let server = TestServer::start(backend).await;
        let mut b = server.login("alice").await;
        b.cmd_ok("b1 CREATE Doomed").await;
        append_n(&mut b, "Doomed", 1).await;
        let mut a = server.login("alice").await;
        a.cmd_ok("a1 SELECT Doomed").await;
        b.cmd_ok("b2 DELETE Doomed").await;
        let r = a.cmd_until_closed("a2 NOOP").await;
        assert_lines(&r, &["* BYE %"]);
    }

    async fn rename_of_the_selected_mailbox_keeps_the_session_working(backend) {
        let server = TestServer::start(backend).await;
        let mut b = server.login("alice").await;
        b.cmd_ok("b1 CREATE Old").await;
        append_n(&mut b, "Old", 1).await;
        let mut a = server.login("alice").await;
        a.cmd_ok("a1 SELECT Old").await;
        b.cmd_ok("b2 RENAME Old New").await;
        let r = a.cmd("a2 FETCH 1 (UID)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1)", "a2 OK FETCH completed"]);
        // RENAME INBOX moves its messages to the new mailbox; INBOX stays, empty.
        append_n(&mut b, "INBOX", 2).await;
        b.cmd_ok("b3 RENAME INBOX Saved").await;
        let r = b.cmd("b4 STATUS Saved (MESSAGES)").await;
        assert_lines(&r, &["* STATUS Saved (MESSAGES 2)", "b4 OK STATUS completed"]);
        let r = b.cmd("b5 STATUS INBOX (MESSAGES)").await;
        assert_lines(&r, &["* STATUS INBOX (MESSAGES 0)", "b5 OK STATUS completed"]);
    }
}
