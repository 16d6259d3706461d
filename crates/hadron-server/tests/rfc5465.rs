//! Black-box tests of NOTIFY (RFC 5465): a watching client asks with
//! `NOTIFY SET` to hear of other mailboxes' new, expunged and re-flagged
//! messages (`* STATUS`), of mailboxes created, renamed and deleted and of
//! subscriptions (`* LIST`), and of its selected mailbox at once
//! (`SELECTED`) or without expunges (`SELECTED-DELAYED`); another client
//! makes the changes, and the watcher reads them *without sending a
//! command*. `NOTIFY NONE` stops them; unsupported events are `NO
//! [BADEVENT (…)]`. Every test runs on SQLite and, with `HADRON_TEST_PG`,
//! on PostgreSQL; the message events also across two instances.
#![allow(missing_docs)]

mod common;

use std::time::Duration;

use common::{Client, TestServer, assert_lines, matches, message};

/// How long a watcher waits for a notification that must come.
const SOON: Duration = Duration::from_secs(10);
/// How long a watcher listens for one that must not.
const QUIET: Duration = Duration::from_millis(600);

/// APPENDs one small message to `mailbox`.
async fn append(c: &mut Client, mailbox: &str, subject: &str) {
    let m = message(subject, "hello");
    c.cmd_ok(&format!("ap APPEND {mailbox} {{{}+}}\r\n{m}", m.len()))
        .await;
}

/// The next unsolicited response, which must arrive without a command.
async fn next(c: &mut Client) -> String {
    c.read_within(SOON)
        .await
        .expect("a notification without a command")
}

/// Reads unsolicited responses until one matches `pattern`; returns the
/// lines read, the matching one last.
async fn until(c: &mut Client, pattern: &str) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let Some(line) = c.read_within(SOON).await else {
            panic!("no {pattern:?} without a command; got {got:?}");
        };
        let done = matches(pattern, &line);
        got.push(line);
        if done {
            return got;
        }
    }
}

/// Asserts nothing arrives unasked for a moment.
async fn quiet(c: &mut Client) {
    if let Some(l) = c.read_within(QUIET).await {
        panic!("unexpected notification {l:?}");
    }
}

both! {
    async fn notify_is_advertised(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let r = c.cmd_ok("a CAPABILITY").await;
        assert!(r[0].split(' ').any(|w| w == "NOTIFY"), "{r:?}");
    }

    async fn set_status_sends_the_initial_status_of_each_watched_mailbox(backend) {
        // imaptest's `notify` script, and RFC 5465 §3.1's STATUS indicator.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        c.cmd_ok("c CREATE box2").await;
        append(&mut c, "box2", "one").await;
        let r = c
            .cmd("n1 NOTIFY SET STATUS (mailboxes box2 (MessageNew MessageExpunge))")
            .await;
        assert_lines(
            &r,
            &[
                "* STATUS box2 (MESSAGES 1 UIDNEXT 2 UIDVALIDITY %)",
                "n1 OK NOTIFY completed",
            ],
        );
        let r = c.cmd("n2 NOTIFY SET STATUS (mailboxes box2 (FlagChange))").await;
        assert_lines(
            &r,
            &[
                "* STATUS box2 (UIDVALIDITY % UNSEEN 1 HIGHESTMODSEQ %)",
                "n2 OK NOTIFY completed",
            ],
        );
        // Without STATUS, no STATUS; and never for the selected mailbox.
        let r = c.cmd("n3 NOTIFY SET (mailboxes box2 (MessageNew MessageExpunge))").await;
        assert_lines(&r, &["n3 OK NOTIFY completed"]);
        c.cmd_ok("s SELECT box2").await;
        let r = c
            .cmd("n4 NOTIFY SET STATUS (personal (MessageNew MessageExpunge))")
            .await;
        assert!(!r.iter().any(|l| l.starts_with("* STATUS box2")), "{r:?}");
        assert!(
            r.iter().any(|l| matches("* STATUS INBOX (MESSAGES 0 UIDNEXT 1 UIDVALIDITY %)", l)),
            "{r:?}"
        );
        assert_eq!(r.len(), 7, "INBOX, the five special-use mailboxes, OK: {r:?}");
    }

    async fn message_events_of_other_mailboxes_arrive_without_a_command(backend) {
        let server = TestServer::start(backend).await;
        let mut other = server.login("alice").await;
        other.cmd_ok("c CREATE box").await;
        let mut watcher = server.login("alice").await;
        watcher
            .cmd_ok("n NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))")
            .await;
        append(&mut other, "box", "one").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS box (MESSAGES 1 UIDNEXT 2 UIDVALIDITY %)"],
        );
        other.cmd_ok("s SELECT box").await;
        other.cmd_ok("f STORE 1 +FLAGS (\\Seen \\Deleted)").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS box (UIDVALIDITY % UNSEEN 0 HIGHESTMODSEQ %)"],
        );
        other.cmd_ok("x EXPUNGE").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS box (MESSAGES 0 UIDNEXT 2 UIDVALIDITY %)"],
        );
        // The watcher's connection is still in step.
        assert_lines(&watcher.cmd("z NOOP").await, &["z OK NOOP completed"]);
    }

    async fn only_the_watched_mailboxes_and_events_are_reported(backend) {
        let server = TestServer::start(backend).await;
        let mut other = server.login("alice").await;
        other.cmd_ok("c1 CREATE lists/a").await;
        other.cmd_ok("c2 CREATE misc").await;
        let mut watcher = server.login("alice").await;
        watcher
            .cmd_ok("n NOTIFY SET (subtree lists (MessageNew MessageExpunge)) (inboxes (FlagChange))")
            .await;
        append(&mut other, "misc", "not watched").await;
        append(&mut other, "INBOX", "flags only").await;
        quiet(&mut watcher).await;
        append(&mut other, "lists/a", "watched").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS lists/a (MESSAGES 1 UIDNEXT 2 UIDVALIDITY %)"],
        );
        other.cmd_ok("s SELECT INBOX").await;
        other.cmd_ok("f STORE 1 +FLAGS (\\Flagged)").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS INBOX (UIDVALIDITY % UNSEEN 1 HIGHESTMODSEQ %)"],
        );
        quiet(&mut watcher).await;
    }

    async fn mailbox_names_are_reported_as_list(backend) {
        let server = TestServer::start(backend).await;
        let mut watcher = server.login("alice").await;
        watcher.cmd_ok("n NOTIFY SET (personal (MailboxName))").await;
        let mut other = server.login("alice").await;
        other.cmd_ok("c CREATE fresh").await;
        assert_lines(&[next(&mut watcher).await], &["* LIST () \"/\" fresh"]);
        other.cmd_ok("r RENAME fresh renamed").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* LIST () \"/\" renamed (\"OLDNAME\" (fresh))"],
        );
        other.cmd_ok("d DELETE renamed").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* LIST (\\NonExistent) \"/\" renamed"],
        );
        // A mailbox created after NOTIFY SET is watched for its messages
        // too when the filter covers it.
        watcher
            .cmd_ok("m NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))")
            .await;
        other.cmd_ok("c2 CREATE later").await;
        assert_lines(&[next(&mut watcher).await], &["* LIST () \"/\" later"]);
        append(&mut other, "later", "new").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS later (MESSAGES 1 UIDNEXT 2 UIDVALIDITY %)"],
        );
    }

    async fn subscriptions_are_reported_as_list(backend) {
        let server = TestServer::start(backend).await;
        let mut watcher = server.login("alice").await;
        watcher
            .cmd_ok("n NOTIFY SET (subscribed (SubscriptionChange MessageNew MessageExpunge))")
            .await;
        let mut other = server.login("alice").await;
        other.cmd_ok("c CREATE news").await;
        other.cmd_ok("s SUBSCRIBE news").await;
        assert_lines(&[next(&mut watcher).await], &["* LIST (\\Subscribed) \"/\" news"]);
        // Now subscribed, its messages are watched.
        append(&mut other, "news", "now watched").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS news (MESSAGES 1 UIDNEXT 2 UIDVALIDITY %)"],
        );
        other.cmd_ok("u UNSUBSCRIBE news").await;
        assert_lines(&[next(&mut watcher).await], &["* LIST () \"/\" news"]);
        append(&mut other, "news", "no longer").await;
        quiet(&mut watcher).await;
    }

    async fn notify_none_stops_the_notifications(backend) {
        let server = TestServer::start(backend).await;
        let mut watcher = server.login("alice").await;
        watcher
            .cmd_ok("n NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))")
            .await;
        let mut other = server.login("alice").await;
        append(&mut other, "Drafts", "heard").await;
        until(&mut watcher, "* STATUS Drafts (MESSAGES 1 %)").await;
        assert_lines(&watcher.cmd("o NOTIFY NONE").await, &["o OK NOTIFY completed"]);
        append(&mut other, "Drafts", "unheard").await;
        other.cmd_ok("c CREATE unheard").await;
        quiet(&mut watcher).await;
    }

    async fn unsupported_events_are_badevent_and_misuse_is_bad(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let supported =
            "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)";
        for (line, reply) in [
            (
                "a NOTIFY SET (selected (MessageNew MessageExpunge AnnotationChange))",
                format!("a NO [BADEVENT {supported}] %"),
            ),
            (
                "b NOTIFY SET (personal (MailboxMetadataChange)) (inboxes (MessageNew))",
                format!("b NO [BADEVENT {supported}] %"),
            ),
            ("c NOTIFY SET (personal (X-Later))", format!("c NO [BADEVENT {supported}] %")),
            ("d NOTIFY SET (selected (MessageNew))", "d BAD %".to_owned()),
            ("e NOTIFY SET (selected (FlagChange))", "e BAD %".to_owned()),
            ("f NOTIFY SET (selected-delayed (MailboxName))", "f BAD %".to_owned()),
            (
                "g NOTIFY SET (selected NONE) (selected-delayed (MessageNew MessageExpunge))",
                "g BAD %".to_owned(),
            ),
            ("h NOTIFY SET (personal (MessageNew (UID)))", "h BAD %".to_owned()),
            ("i NOTIFY SET (nowhere (MessageNew))", "i BAD %".to_owned()),
            ("j NOTIFY", "j BAD %".to_owned()),
        ] {
            assert_lines(&c.cmd(line).await, &[&reply]);
        }
        // A refused NOTIFY SET changes nothing; unknown mailboxes are
        // ignored.
        let r = c
            .cmd("k NOTIFY SET STATUS (mailboxes (nosuch INBOX) (MessageNew MessageExpunge))")
            .await;
        assert_lines(
            &r,
            &["* STATUS INBOX (MESSAGES 0 UIDNEXT 1 UIDVALIDITY %)", "k OK NOTIFY completed"],
        );
    }

    async fn selected_reports_the_selected_mailbox_at_once(backend) {
        let server = TestServer::start(backend).await;
        let mut watcher = server.login("alice").await;
        watcher.cmd_ok("s SELECT INBOX").await;
        watcher
            .cmd_ok("n NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge FlagChange))")
            .await;
        let mut other = server.login("alice").await;
        append(&mut other, "INBOX", "one").await;
        let got = until(&mut watcher, "* 1 FETCH (%UID 1%)").await;
        assert!(got.iter().any(|l| l == "* 1 EXISTS"), "{got:?}");
        other.cmd_ok("o SELECT INBOX").await;
        other.cmd_ok("f STORE 1 +FLAGS (\\Deleted)").await;
        until(&mut watcher, "* 1 FETCH (FLAGS (\\Deleted%").await;
        other.cmd_ok("x EXPUNGE").await;
        until(&mut watcher, "* 1 EXPUNGE").await;
    }

    async fn selected_delayed_holds_expunges_for_a_command(backend) {
        let server = TestServer::start(backend).await;
        let mut other = server.login("alice").await;
        append(&mut other, "INBOX", "one").await;
        let mut watcher = server.login("alice").await;
        watcher.cmd_ok("s SELECT INBOX").await;
        watcher
            .cmd_ok("n NOTIFY SET (selected-delayed (MessageNew MessageExpunge))")
            .await;
        other.cmd_ok("o SELECT INBOX").await;
        append(&mut other, "INBOX", "two").await;
        until(&mut watcher, "* 2 EXISTS").await;
        other.cmd_ok("f STORE 1 +FLAGS (\\Deleted)").await;
        other.cmd_ok("x EXPUNGE").await;
        // The flag change may come; the expunge must wait for a command.
        while let Some(l) = watcher.read_within(QUIET).await {
            assert!(!l.contains("EXPUNGE"), "{l:?}");
        }
        let r = watcher.cmd("z NOOP").await;
        assert!(r.iter().any(|l| l == "* 1 EXPUNGE"), "{r:?}");
    }

    async fn notifications_arrive_during_idle(backend) {
        let server = TestServer::start(backend).await;
        let mut watcher = server.login("alice").await;
        watcher.cmd_ok("s SELECT INBOX").await;
        watcher.cmd_ok("n NOTIFY SET (mailboxes Sent (MessageNew MessageExpunge))").await;
        watcher.line("i IDLE").await;
        watcher.expect(&["+ idling"]).await;
        let mut other = server.login("alice").await;
        append(&mut other, "Sent", "while idle").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS Sent (MESSAGES 1 UIDNEXT 2 UIDVALIDITY %)"],
        );
        watcher.line("DONE").await;
        watcher.expect(&["i OK IDLE terminated"]).await;
    }

    async fn status_carries_highestmodseq_once_condstore_is_on(backend) {
        let server = TestServer::start(backend).await;
        let mut watcher = server.login("alice").await;
        watcher.cmd_ok("e ENABLE CONDSTORE").await;
        let r = watcher
            .cmd("n NOTIFY SET STATUS (mailboxes Junk (MessageNew MessageExpunge))")
            .await;
        assert_lines(
            &r,
            &[
                "* STATUS Junk (MESSAGES 0 UIDNEXT 1 UIDVALIDITY % HIGHESTMODSEQ %)",
                "n OK NOTIFY completed",
            ],
        );
    }
}

spread! {
    async fn another_instances_new_message_is_reported(backend) {
        let server = TestServer::start(backend).await;
        let mut watcher = server.login("alice").await;
        watcher
            .cmd_ok("n NOTIFY SET (mailboxes Archive (MessageNew MessageExpunge))")
            .await;
        // The second client is on the other instance when there are two.
        let mut other = server.login("alice").await;
        append(&mut other, "Archive", "from afar").await;
        assert_lines(
            &[next(&mut watcher).await],
            &["* STATUS Archive (MESSAGES 1 UIDNEXT 2 UIDVALIDITY %)"],
        );
    }
}
