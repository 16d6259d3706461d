//! Regression tests for protocol slips that Dovecot's imaptest (and
//! black-box clients) found: each asserts the exact responses RFC 3501
//! requires where Hadron once answered otherwise.

mod common;

use common::message;

/// Whether `out` is a CREATE's success: `OK [MAILBOXID (…)]` (RFC 8474).
fn created(out: &[String]) -> bool {
    matches!(out, [l] if l.contains(" OK [MAILBOXID (") && l.ends_with("] CREATE completed"))
}

both! {
    /// RFC 3501 §7.2.6: a keyword another session creates is announced
    /// with `* FLAGS` (and `PERMANENTFLAGS`) before the FETCH that uses it.
    async fn a_new_keyword_is_announced_before_the_fetch_that_uses_it(env) {
        let mut a = env.client("alice").await;
        a.append("a", "INBOX", "", &message("one")).await;
        a.append("a", "INBOX", "$Known", &message("two")).await;
        let mut b = env.client("alice").await;
        let select = a.run("s SELECT INBOX").await;
        assert!(
            select.contains(&"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Known)".to_owned()),
            "{select:?}"
        );
        b.run("s SELECT INBOX").await;
        // The session that stores it is told as well, even when silent.
        assert_eq!(
            b.run("t STORE 1 +FLAGS.SILENT ($Label5)").await,
            [
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Known $Label5)",
                "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Known $Label5 \\*)] limited",
                "t OK STORE completed",
            ]
        );
        assert_eq!(
            a.run("n NOOP").await,
            [
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Known $Label5)",
                "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Known $Label5 \\*)] limited",
                "* 1 FETCH (FLAGS ($Label5 \\Recent) UID 1)",
                "n OK NOOP completed",
            ]
        );
        // Known now: no second announcement, also not in another case.
        b.run("u STORE 2 +FLAGS.SILENT ($label5)").await;
        assert_eq!(
            a.run("n NOOP").await,
            ["* 2 FETCH (FLAGS ($Known $Label5 \\Recent) UID 2)", "n OK NOOP completed"]
        );
    }

    /// The session that creates a keyword, by STORE or by APPEND into the
    /// selected mailbox, is told first as well.
    async fn the_session_that_creates_a_keyword_is_told_too(env) {
        let mut a = env.client("alice").await;
        a.append("a", "INBOX", "", &message("one")).await;
        a.run("s EXAMINE INBOX").await;
        let mut b = env.client("alice").await;
        b.run("s SELECT INBOX").await;
        assert_eq!(
            b.run("t STORE 1 +FLAGS (Work)").await,
            [
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work)",
                "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work \\*)] limited",
                "* 1 FETCH (FLAGS (Work \\Recent))",
                "t OK STORE completed",
            ]
        );
        let appended = b.append("p", "INBOX", "\\Seen Later", &message("two")).await;
        assert_eq!(
            appended[..3],
            [
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work Later)".to_owned(),
                "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work Later \\*)] limited"
                    .to_owned(),
                "* 2 EXISTS".to_owned(),
            ],
            "{appended:?}"
        );
        // A read-only session is told of the flags, with no permanent ones.
        let told = a.run("n NOOP").await;
        assert_eq!(
            told[..2],
            [
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work Later)".to_owned(),
                "* OK [PERMANENTFLAGS ()] no permanent flags".to_owned(),
            ],
            "{told:?}"
        );
    }

    /// RFC 3501 §6.3.9: `%` stops at a level that is not subscribed but
    /// has a subscribed child; that level is listed as `\Noselect`.
    async fn lsub_percent_lists_an_unsubscribed_parent_as_noselect(env) {
        let mut c = env.client("alice").await;
        c.run("c CREATE base/child").await;
        c.run("s SUBSCRIBE base/child").await;
        assert_eq!(
            c.run("l LSUB \"\" \"base%\"").await,
            ["* LSUB (\\Noselect) \"/\" base", "l OK LSUB completed"]
        );
        assert_eq!(
            c.run("l LSUB \"\" \"base/%\"").await,
            ["* LSUB () \"/\" base/child", "l OK LSUB completed"]
        );
        // `*` reaches the child itself; the parent is not invented.
        assert_eq!(
            c.run("l LSUB \"\" \"base*\"").await,
            ["* LSUB () \"/\" base/child", "l OK LSUB completed"]
        );
        c.run("s SUBSCRIBE base").await;
        assert_eq!(
            c.run("l LSUB \"\" \"base%\"").await,
            ["* LSUB () \"/\" base", "l OK LSUB completed"]
        );
    }

    /// MOVE into the selected mailbox itself: the copy arrives (EXISTS)
    /// and the original goes (EXPUNGE), both in the MOVE's response.
    async fn move_into_the_selected_mailbox_reports_expunge_and_exists(env) {
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "", &message("one")).await;
        c.append("a", "INBOX", "", &message("two")).await;
        c.run("s SELECT INBOX").await;
        let id = c.session.account().unwrap().id;
        let uv = env.store.mailbox_by_name(id, "INBOX").unwrap().unwrap().uidvalidity;
        let moved = c.run("m MOVE 1 INBOX").await;
        assert_eq!(
            moved,
            [
                format!("* OK [COPYUID {uv} 1 3] moved"),
                "* 1 EXPUNGE".to_owned(),
                "* 2 EXISTS".to_owned(),
                "m OK MOVE completed".to_owned(),
            ]
        );
        assert_eq!(
            c.run("f FETCH 1:* UID").await,
            ["* 1 FETCH (UID 2)", "* 2 FETCH (UID 3)", "f OK FETCH completed"]
        );
    }

    /// imaptest's `atoms`: a valid astring that is not modified UTF-7
    /// names no mailbox. The command is well formed, so the answer is NO
    /// (never BAD), and LIST with such a pattern lists nothing.
    async fn names_that_are_not_modified_utf7_get_no_not_bad(env) {
        let mut c = env.client("alice").await;
        let name = "!#$&'+,-.0123456789:;<=>?@^_`|[}";
        c.run("s SELECT INBOX").await;
        assert_eq!(
            c.run(&format!("s SELECT {name}")).await,
            [format!("s NO [NONEXISTENT] no mailbox named {name:?}")]
        );
        assert_eq!(c.state(), hadron_state::session::State::Authenticated, "SELECT failed");
        assert_eq!(
            c.run(&format!("l LIST \"\" {name}%*")).await,
            ["l OK LIST completed"]
        );
        assert_eq!(
            c.run("c CREATE a&Jjo").await,
            ["c NO [CANNOT] \"a&Jjo\" is not valid modified UTF-7 (RFC 3501 5.1.3)"]
        );
        assert_eq!(
            c.run("r RENAME INBOX &bad").await,
            ["r NO [CANNOT] \"&bad\" is not valid modified UTF-7 (RFC 3501 5.1.3)"]
        );
        // The same name encoded properly is an ordinary mailbox.
        assert!(created(&c.run("c CREATE a&-Jjo").await));
        assert_eq!(
            c.run("l LIST \"\" a*").await,
            ["* LIST (\\HasNoChildren) \"/\" a&-Jjo", "l OK LIST completed"]
        );
        assert_eq!(
            c.run("s STATUS a&Jjo (MESSAGES)").await,
            ["s NO [NONEXISTENT] no mailbox named \"a&Jjo\""]
        );
    }
}
