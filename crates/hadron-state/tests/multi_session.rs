//! Several sessions on one mailbox: what each is told, and when
//! (RFC 3501 §5.5, §7.4.1; RFC 5530 EXPUNGEISSUED).

mod common;

use common::message;
use hadron_state::session::State;

both! {
    async fn a_session_that_only_selected_still_reads_messages_expunged_since(env) {
        // C selects and issues nothing else; A expunges; everyone else
        // catches up. C's first command after SELECT is a SEARCH that must
        // still read the expunged message (deferred deletion) — found by
        // the benchmark's mixed workload as "neither in the store nor kept".
        let mut a = env.client("alice").await;
        a.append("a", "INBOX", "", &message("one")).await;
        a.append("b", "INBOX", "", &message("two")).await;
        a.run("s SELECT INBOX").await;
        let mut b = env.client("alice").await;
        b.run("s SELECT INBOX").await;
        let mut c = env.client("alice").await;
        c.run("s SELECT INBOX").await;
        a.run("t STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        assert_eq!(a.run("u EXPUNGE").await, ["* 1 EXPUNGE", "u OK EXPUNGE completed"]);
        b.run("n NOOP").await;
        assert_eq!(
            c.run("f SEARCH SUBJECT one").await,
            [
                "* 1 FETCH (FLAGS (\\Deleted) UID 1)",
                "* SEARCH 1",
                "f OK [EXPUNGEISSUED] SEARCH completed",
            ]
        );
        assert_eq!(c.run("g NOOP").await[0], "* 1 EXPUNGE");
    }

    async fn a_session_dropped_without_logout_does_not_pin_expunged_messages(env) {
        let mut a = env.client("alice").await;
        a.append("a", "INBOX", "", &message("one")).await;
        a.append("b", "INBOX", "", &message("two")).await;
        a.run("s SELECT INBOX").await;
        let mut b = env.client("alice").await;
        b.run("s SELECT INBOX").await;
        let mut c = env.client("alice").await;
        c.run("s SELECT INBOX").await;
        drop(c); // The connection went away, no LOGOUT.
        a.run("t STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        a.run("u EXPUNGE").await;
        let (user, _) = env.store.user_by_name("alice").unwrap().unwrap();
        let inbox = env.store.mailbox_by_name(user, "INBOX").unwrap().unwrap().id;
        assert_eq!(env.engine.kept_expunged(inbox), 1, "kept for B");
        b.run("n NOOP").await;
        a.run("n NOOP").await;
        assert_eq!(env.engine.kept_expunged(inbox), 0, "nobody left to tell");
    }

    async fn other_expunge_is_held_during_fetch_and_delivered_at_noop(env) {
        let mut a = env.client("alice").await;
        for s in ["1", "2", "3"] {
            a.append("p", "INBOX", "", &message(s)).await;
        }
        let mut b = env.client("alice").await;
        a.run("s SELECT INBOX").await;
        b.run("s SELECT INBOX").await;
        b.run("d STORE 2 +FLAGS.SILENT (\\Deleted)").await;
        assert_eq!(b.run("e EXPUNGE").await, ["* 2 EXPUNGE", "e OK EXPUNGE completed"]);

        // A's sequence numbers keep their meaning; message 2 still answers
        // from its last known data, and the OK says EXPUNGEISSUED. B's flag
        // change comes first: flag changes may be told during FETCH.
        assert_eq!(
            a.run("f FETCH 1:3 (UID RFC822.SIZE)").await,
            [
                "* 2 FETCH (FLAGS (\\Deleted \\Recent) UID 2)".to_owned(),
                format!("* 1 FETCH (UID 1 RFC822.SIZE {})", message("1").len()),
                format!("* 2 FETCH (UID 2 RFC822.SIZE {})", message("2").len()),
                format!("* 3 FETCH (UID 3 RFC822.SIZE {})", message("3").len()),
                "f OK [EXPUNGEISSUED] FETCH completed".to_owned(),
            ]
        );
        assert_eq!(
            a.run("g FETCH 2 BODY.PEEK[TEXT]").await,
            ["* 2 FETCH (BODY[TEXT] {9}\r\nHello 2\r\n)", "g OK [EXPUNGEISSUED] FETCH completed"],
            "deferred deletion: the body stays readable until A is told"
        );
        // STORE and COPY hold it too.
        assert_eq!(
            a.run("h STORE 3 +FLAGS (\\Answered)").await,
            [
                "* 3 FETCH (FLAGS (\\Answered \\Recent))",
                "h OK [EXPUNGEISSUED] STORE completed",
            ]
        );
        let inbox = env
            .store
            .mailbox_by_name(a.session.account().unwrap().id, "INBOX")
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(env.engine.kept_expunged(inbox), 1, "kept while A shows it");
        assert_eq!(a.run("n NOOP").await, ["* 2 EXPUNGE", "n OK NOOP completed"]);
        assert_eq!(env.engine.kept_expunged(inbox), 0, "dropped once A was told");
        assert_eq!(
            a.run("i FETCH 1:* UID").await,
            ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "i OK FETCH completed"]
        );
    }

    async fn exists_never_overtakes_a_held_expunge(env) {
        let mut a = env.client("alice").await;
        a.append("p", "INBOX", "\\Deleted", &message("1")).await;
        a.append("p", "INBOX", "", &message("2")).await;
        let mut b = env.client("alice").await;
        a.run("s SELECT INBOX").await;
        b.run("s SELECT INBOX").await;
        b.run("e EXPUNGE").await;
        let r = b.append("x", "INBOX", "", &message("3")).await;
        assert_eq!(r[0], "* 2 EXISTS", "APPEND to the selected mailbox announces it");
        assert!(r[1].starts_with("x OK [APPENDUID ") && r.len() == 2, "{r:?}");
        assert_eq!(
            a.run("f FETCH 1 UID").await,
            ["* 1 FETCH (UID 1)", "f OK [EXPUNGEISSUED] FETCH completed"],
            "no EXISTS while the expunge is held"
        );
        assert_eq!(
            a.run("n NOOP").await,
            ["* 1 EXPUNGE", "* 2 EXISTS", "n OK NOOP completed"],
            "the expunge first; the recent count (still 2) is unchanged"
        );
        assert_eq!(
            a.run("r FETCH 2 FLAGS").await[0],
            "* 2 FETCH (FLAGS (\\Recent))",
            "the new message is recent for the longest-selected session"
        );
    }

    async fn expunge_removes_deleted_messages_this_session_was_not_told_about(env) {
        // RFC 3501 §6.4.3: EXPUNGE removes *all* messages with \Deleted,
        // not only those this session has seen flagged (found by the
        // session model test).
        let mut a = env.client("alice").await;
        for s in ["1", "2"] {
            a.append("p", "INBOX", "", &message(s)).await;
        }
        let mut b = env.client("alice").await;
        a.run("s SELECT INBOX").await;
        b.run("s SELECT INBOX").await;
        b.run("d STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        b.append("x", "INBOX", "\\Deleted", &message("3")).await;
        assert_eq!(
            a.run("e EXPUNGE").await,
            [
                "* 3 EXISTS",
                "* 3 RECENT",
                "* 1 FETCH (FLAGS (\\Deleted \\Recent) UID 1)",
                "* 3 EXPUNGE",
                "* 1 EXPUNGE",
                "e OK EXPUNGE completed",
            ]
        );
        // UID EXPUNGE: by UID, told or not.
        b.append("y", "INBOX", "\\Deleted", &message("4")).await;
        assert_eq!(
            a.run("u UID EXPUNGE 1:4").await,
            ["* 2 EXISTS", "* 2 RECENT", "* 2 EXPUNGE", "u OK EXPUNGE completed"]
        );
        assert_eq!(b.run("n NOOP").await, ["* 2 EXPUNGE", "n OK NOOP completed"]);
        assert_eq!(a.run("f FETCH 1:* UID").await, ["* 1 FETCH (UID 2)", "f OK FETCH completed"]);
    }

    async fn fetching_a_body_sets_seen_even_if_another_session_just_cleared_it(env) {
        // RFC 3501 §6.4.5: BODY[...] sets \Seen. The session knew the
        // message as seen, but another session had cleared the flag (found
        // by the session model test).
        let mut a = env.client("alice").await;
        a.append("p", "INBOX", "\\Seen", &message("1")).await;
        let mut b = env.client("alice").await;
        a.run("s SELECT INBOX").await;
        b.run("s SELECT INBOX").await;
        a.run("t STORE 1 -FLAGS.SILENT (\\Seen)").await;
        assert_eq!(
            b.run("f FETCH 1 BODY[TEXT]").await,
            [
                "* 1 FETCH (FLAGS () UID 1)",
                "* 1 FETCH (BODY[TEXT] {9}\r\nHello 1\r\n FLAGS (\\Seen))",
                "f OK FETCH completed",
            ]
        );
        assert_eq!(
            a.run("n NOOP").await,
            ["* 1 FETCH (FLAGS (\\Seen \\Recent) UID 1)", "n OK NOOP completed"]
        );
    }

    async fn flag_changes_by_others_arrive_as_fetch_at_the_next_command(env) {
        let mut a = env.client("alice").await;
        a.append("p", "INBOX", "", &message("1")).await;
        let mut b = env.client("alice").await;
        a.run("s SELECT INBOX").await;
        b.run("s SELECT INBOX").await;
        // $Later is new: both sessions hear of it before its first use.
        let announce = [
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Later)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Later \\*)] limited",
        ];
        assert_eq!(
            b.run("t STORE 1 +FLAGS ($Later \\Flagged)").await,
            [announce[0], announce[1], "* 1 FETCH (FLAGS (\\Flagged $Later))", "t OK STORE completed"]
        );
        assert_eq!(
            a.run("c CHECK").await,
            [announce[0], announce[1], "* 1 FETCH (FLAGS (\\Flagged $Later \\Recent) UID 1)", "c OK CHECK completed"]
        );
        assert_eq!(a.run("n NOOP").await, ["n OK NOOP completed"], "told once");
    }

    async fn recent_goes_to_exactly_one_session(env) {
        let mut a = env.client("alice").await;
        let mut b = env.client("alice").await;
        a.run("s SELECT INBOX").await;
        b.run("s SELECT INBOX").await;
        let mut c = env.client("alice").await;
        c.append("p", "INBOX", "", &message("1")).await;
        let ra = a.run("n NOOP").await;
        let rb = b.run("n NOOP").await;
        assert_eq!(ra, ["* 1 EXISTS", "* 1 RECENT", "n OK NOOP completed"]);
        assert_eq!(rb, ["* 1 EXISTS", "n OK NOOP completed"], "B's recent count stays 0");
        assert_eq!(b.run("f FETCH 1 FLAGS").await[0], "* 1 FETCH (FLAGS ())");
        let r = c.run("x SELECT INBOX").await;
        assert!(r.contains(&"* 0 RECENT".to_owned()), "{r:?}");
        // With nobody selected, the next SELECT claims it.
        a.run("u UNSELECT").await;
        b.run("u UNSELECT").await;
        c.run("u UNSELECT").await;
        c.append("q", "INBOX", "", &message("2")).await;
        let r = a.run("s SELECT INBOX").await;
        assert!(r.contains(&"* 1 RECENT".to_owned()), "{r:?}");
        let r = b.run("s SELECT INBOX").await;
        assert!(r.contains(&"* 0 RECENT".to_owned()), "{r:?}");
    }

    async fn an_examining_session_does_not_take_recent_from_others(env) {
        // RFC 3501 §6.3.2: EXAMINE must not cause messages to lose \Recent.
        // A read-only session selected first is not the one the hub gives
        // \Recent to; with only read-only sessions, the store keeps it for
        // the next SELECT.
        let mut a = env.client("alice").await;
        let mut b = env.client("alice").await;
        let mut c = env.client("alice").await;
        a.run("x EXAMINE INBOX").await;
        b.run("s SELECT INBOX").await;
        c.append("p", "INBOX", "", &message("1")).await;
        assert_eq!(a.run("n NOOP").await, ["* 1 EXISTS", "n OK NOOP completed"]);
        assert_eq!(
            b.run("n NOOP").await,
            ["* 1 EXISTS", "* 1 RECENT", "n OK NOOP completed"]
        );
        b.run("u UNSELECT").await;
        c.append("q", "INBOX", "", &message("2")).await;
        assert_eq!(a.run("n NOOP").await, ["* 2 EXISTS", "n OK NOOP completed"]);
        let r = b.run("s SELECT INBOX").await;
        assert!(r.contains(&"* 1 RECENT".to_owned()), "{r:?}");
        assert_eq!(b.run("f FETCH 2 FLAGS").await[0], "* 2 FETCH (FLAGS (\\Recent))");
    }

    async fn copy_into_a_selected_mailbox_is_announced(env) {
        let mut a = env.client("alice").await;
        let mut b = env.client("alice").await;
        a.append("p", "INBOX", "", &message("1")).await;
        a.run("s SELECT INBOX").await;
        b.run("s SELECT Archive").await;
        a.run("c COPY 1 Archive").await;
        assert_eq!(
            b.run("n NOOP").await,
            ["* 1 EXISTS", "* 1 RECENT", "n OK NOOP completed"]
        );
        let r = a.run("t STATUS Archive (RECENT)").await;
        assert_eq!(r[0], "* STATUS Archive (RECENT 0)", "the stored \\Recent was given away");
    }

    async fn idle_delivers_at_once(env) {
        let mut a = env.client("alice").await;
        a.run("s SELECT INBOX").await;
        assert_eq!(a.run("i IDLE").await, ["+ idling"]);
        assert!(a.session.is_idling());
        let mut b = env.client("alice").await;
        let waiter = {
            // The wake-up hook fires when B's append is published.
            b.append("p", "INBOX", "", &message("1")).await;
            tokio::time::timeout(std::time::Duration::from_secs(5), a.session.wait_for_updates())
                .await
        };
        assert!(waiter.is_ok(), "IDLE was woken");
        assert_eq!(a.idle_poll(), ["* 1 EXISTS", "* 1 RECENT"]);
        b.run("s SELECT INBOX").await;
        b.run("d STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        b.run("e EXPUNGE").await;
        assert_eq!(a.idle_poll(), ["* 1 FETCH (FLAGS (\\Deleted \\Recent) UID 1)", "* 1 EXPUNGE"]);
        let mut out: Vec<hadron_state::session::Output> = Vec::new();
        a.session.idle_done(&mut out);
        assert_eq!(common::lines(&out), ["i OK IDLE terminated"]);
        assert!(!a.session.is_idling());
    }

    async fn rename_of_the_selected_mailbox_keeps_the_session_working(env) {
        let mut a = env.client("alice").await;
        a.run("c CREATE Box").await;
        a.append("p", "Box", "", &message("1")).await;
        a.run("s SELECT Box").await;
        let mut b = env.client("alice").await;
        assert_eq!(b.run("r RENAME Box Box2").await, ["r OK RENAME completed"]);
        assert_eq!(a.run("n NOOP").await, ["n OK NOOP completed"]);
        assert_eq!(a.session.selected_mailbox(), Some(("Box2", false)));
        a.run("t STORE 1 +FLAGS.SILENT (\\Seen)").await;
        assert_eq!(b.run("u STATUS Box2 (UNSEEN)").await[0], "* STATUS Box2 (UNSEEN 0)");
    }

    async fn rename_inbox_under_a_selected_session_reports_expunges(env) {
        let mut a = env.client("alice").await;
        a.append("p", "INBOX", "", &message("1")).await;
        a.append("p", "INBOX", "", &message("2")).await;
        a.run("s SELECT INBOX").await;
        let mut b = env.client("alice").await;
        assert_eq!(b.run("r RENAME INBOX Old").await, ["r OK RENAME completed"]);
        assert_eq!(
            a.run("f FETCH 1:* UID").await,
            ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "f OK [EXPUNGEISSUED] FETCH completed"]
        );
        assert_eq!(
            a.run("n NOOP").await,
            ["* 2 EXPUNGE", "* 1 EXPUNGE", "n OK NOOP completed"]
        );
        assert_eq!(a.session.selected_mailbox(), Some(("INBOX", false)));
    }

    async fn deleting_a_selected_mailbox_closes_its_sessions(env) {
        let mut a = env.client("alice").await;
        a.run("c CREATE Doomed").await;
        a.run("s SELECT Doomed").await;
        let mut b = env.client("alice").await;
        assert_eq!(b.run("d DELETE Doomed").await, ["d OK DELETE completed"]);
        let r = a.run("n NOOP").await;
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].starts_with("* BYE "), "{r:?}");
        assert_eq!(a.state(), State::Logout);
    }

    async fn a_second_select_copies_the_shared_index_and_sees_every_change(env) {
        let mut a = env.client("alice").await;
        for s in ["1", "2", "3", "4"] {
            a.append("p", "INBOX", "", &message(s)).await;
        }
        a.run("s SELECT INBOX").await;
        let copies = env.engine.index_copies();
        // Changes while only A has it open: flags, an expunge, an addition.
        let mut b = env.client("alice").await;
        b.run("x EXAMINE INBOX").await;
        assert_eq!(env.engine.index_copies(), copies + 1, "B copied the index");
        b.run("u UNSELECT").await;
        a.run("t STORE 2 +FLAGS.SILENT (\\Deleted $Old)").await;
        a.run("e EXPUNGE").await;
        a.run("t STORE 1 +FLAGS.SILENT (\\Seen)").await;
        b.append("p", "INBOX", "", &message("5")).await;

        let mut c = env.client("alice").await;
        let r = c.run("s SELECT INBOX").await;
        assert_eq!(env.engine.index_copies(), copies + 2, "C copied the index");
        assert_eq!(
            &r[..4],
            [
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Old)",
                "* 4 EXISTS",
                "* 0 RECENT",
                "* OK [UNSEEN 2] message 2 is first unseen",
            ],
            "$Old stays defined after its message left (as in Dovecot); the new message is recent for A, which had it selected"
        );
        assert_eq!(
            c.run("f FETCH 1:* (UID FLAGS)").await,
            [
                "* 1 FETCH (UID 1 FLAGS (\\Seen))",
                "* 2 FETCH (UID 3 FLAGS ())",
                "* 3 FETCH (UID 4 FLAGS ())",
                "* 4 FETCH (UID 5 FLAGS ())",
                "f OK FETCH completed",
            ]
        );
        // With nobody left the index stays warm and follows the mailbox:
        // the next SELECT copies it and claims the new message's \Recent.
        a.run("u UNSELECT").await;
        c.run("u UNSELECT").await;
        assert_eq!(env.engine.warm_indexes().mailboxes, 1);
        b.append("q", "INBOX", "", &message("6")).await;
        let r = c.run("s SELECT INBOX").await;
        assert_eq!(env.engine.index_copies(), copies + 3, "copied the warm index");
        assert_eq!(env.engine.warm_indexes().mailboxes, 0, "live again");
        assert_eq!(&r[1..4], ["* 5 EXISTS", "* 1 RECENT", "* OK [UNSEEN 2] message 2 is first unseen"]);
        assert_eq!(
            c.run("f FETCH 1:* (UID FLAGS)").await,
            [
                "* 1 FETCH (UID 1 FLAGS (\\Seen))",
                "* 2 FETCH (UID 3 FLAGS ())",
                "* 3 FETCH (UID 4 FLAGS ())",
                "* 4 FETCH (UID 5 FLAGS ())",
                "* 5 FETCH (UID 6 FLAGS (\\Recent))",
                "f OK FETCH completed",
            ]
        );
        // Claimed once: a second session does not get it \Recent.
        let r = a.run("s SELECT INBOX").await;
        assert_eq!(&r[1..3], ["* 5 EXISTS", "* 0 RECENT"]);
    }

    async fn examine_copies_a_warm_index_and_leaves_recent_for_a_later_select(env) {
        let mut a = env.client("alice").await;
        for s in ["1", "2", "3"] {
            a.append("p", "INBOX", "", &message(s)).await;
        }
        a.run("s SELECT INBOX").await;
        a.run("u UNSELECT").await;
        assert_eq!(env.engine.warm_indexes().mailboxes, 1);
        let copies = env.engine.index_copies();
        // A recent message not yet claimed, then a change while closed.
        a.append("p", "INBOX", "", &message("4")).await;
        let mut b = env.client("alice").await;
        b.run("x EXAMINE INBOX").await;
        b.run("u UNSELECT").await;
        assert_eq!(env.engine.index_copies(), copies + 1, "EXAMINE copied it");
        env.engine.tend_index_cache();
        assert_eq!(env.engine.warm_indexes().mailboxes, 1, "within budget and time");
        // EXAMINE does not claim \Recent: a later SELECT still gets it.
        let r = a.run("s SELECT INBOX").await;
        assert_eq!(&r[1..3], ["* 4 EXISTS", "* 1 RECENT"]);
        assert_eq!(env.engine.index_copies(), copies + 2);
    }

    async fn without_room_or_time_a_closed_mailbox_is_read_from_the_store(env) {
        let idle = std::time::Duration::from_secs(600);
        let no_room = hadron_state::engine::IndexCacheConfig { budget_bytes: 0, idle };
        let no_time = hadron_state::engine::IndexCacheConfig {
            budget_bytes: 1 << 30,
            idle: std::time::Duration::ZERO,
        };
        let mut env = env.with_index_cache(no_room);
        for config in [no_room, no_time] {
            env = env.with_index_cache(config);
            let mut a = env.client("alice").await;
            a.append("p", "INBOX", "", &message("1")).await;
            a.run("s SELECT INBOX").await;
            a.run("u UNSELECT").await;
            assert_eq!(env.engine.warm_indexes().mailboxes, 0, "{config:?}");
            let r = a.run("s SELECT INBOX").await;
            assert_eq!(env.engine.index_copies(), 0, "{config:?}");
            assert!(r.iter().any(|l| l.ends_with(" EXISTS")), "{r:?}");
        }
    }
}
