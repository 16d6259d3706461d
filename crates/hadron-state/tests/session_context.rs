//! Updating searches (RFC 5267 CONTEXT=SEARCH and CONTEXT=SORT) through
//! sessions, against the store: what another session's STORE, APPEND and
//! EXPUNGE and this session's own STORE tell an `UPDATE` context, SORT
//! positions, criteria that name sequence numbers, CANCELUPDATE and the
//! per-session limit.

mod common;

use common::{Client, Env, message};

/// APPENDs `raw` to INBOX with these flags.
async fn append(c: &mut Client, flags: &str, raw: &str) {
    let r = c
        .run(&format!(
            "p APPEND INBOX ({flags}) {{{}}}\r\n{raw}",
            raw.len()
        ))
        .await;
    assert!(r.last().unwrap().starts_with("p OK"), "{r:?}");
}

/// A message of `size` bytes or more, by padding its body.
fn sized(subject: &str, size: usize) -> String {
    let m = message(subject);
    let pad = size.saturating_sub(m.len());
    format!("{m}{}\r\n", "x".repeat(pad))
}

/// Two sessions of one user on INBOX with five messages (UIDs 2..=6,
/// sequence 1..=5; UID 1 expunged so that the numberings differ): 1 and 3
/// are \Seen. `a` is the session under test, `b` the other client.
async fn sessions(env: &Env) -> (Client, Client) {
    let mut b = env.client("alice").await;
    append(&mut b, "\\Deleted", &message("gone")).await;
    for (i, flags) in ["\\Seen", "", "\\Seen", "", ""].iter().enumerate() {
        append(&mut b, flags, &sized(&format!("m{i}"), 200 + 100 * i)).await;
    }
    b.run("s SELECT INBOX").await;
    b.run("x EXPUNGE").await;
    let mut a = env.client("alice").await;
    a.run("s SELECT INBOX").await;
    (a, b)
}

both! {
    async fn search_context_follows_other_sessions(env) {
        let (mut a, mut b) = sessions(&env).await;
        assert_eq!(
            a.run("A1 SEARCH RETURN (UPDATE COUNT) UNSEEN").await,
            ["* ESEARCH (TAG \"A1\") COUNT 3", "A1 OK SEARCH completed"]
        );
        // Another session reads message 2 and a new unseen one arrives.
        b.run("b1 STORE 2 +FLAGS.SILENT (\\Seen)").await;
        append(&mut b, "", &message("new")).await;
        assert_eq!(
            a.run("A2 NOOP").await,
            [
                "* 6 EXISTS",
                "* 2 FETCH (FLAGS (\\Seen) UID 3)",
                "* ESEARCH (TAG \"A1\") REMOVEFROM (0 2) ADDTO (0 6)",
                "A2 OK NOOP completed",
            ]
        );
        // An expunge of a member is told before the EXPUNGE, numbered as
        // the client still numbers it.
        b.run("b2 STORE 4 +FLAGS.SILENT (\\Deleted)").await;
        b.run("b3 EXPUNGE").await;
        assert_eq!(
            a.run("A3 NOOP").await,
            [
                "* 4 FETCH (FLAGS (\\Deleted) UID 5)",
                "* ESEARCH (TAG \"A1\") REMOVEFROM (0 4)",
                "* 4 EXPUNGE",
                "A3 OK NOOP completed",
            ]
        );
        // Nothing changed: nothing told.
        assert_eq!(a.run("A4 NOOP").await, ["A4 OK NOOP completed"]);
    }

    async fn own_store_is_told_before_the_tagged_ok(env) {
        let (mut a, _b) = sessions(&env).await;
        assert_eq!(
            a.run("A1 UID SEARCH RETURN (UPDATE ALL) SEEN").await,
            ["* ESEARCH (TAG \"A1\") UID ALL 2,4", "A1 OK UID SEARCH completed"]
        );
        assert_eq!(
            a.run("A2 STORE 1:2 FLAGS.SILENT (\\Seen)").await,
            ["* ESEARCH (TAG \"A1\") UID ADDTO (0 3)", "A2 OK STORE completed"]
        );
        assert_eq!(
            a.run("A3 STORE 1,3 -FLAGS.SILENT (\\Seen)").await,
            ["* ESEARCH (TAG \"A1\") UID REMOVEFROM (0 2,4)", "A3 OK STORE completed"]
        );
        // After CANCELUPDATE nothing more is told.
        assert_eq!(
            a.run("A4 CANCELUPDATE \"A1\"").await,
            ["A4 OK CANCELUPDATE completed"]
        );
        assert_eq!(
            a.run("A5 STORE 5 +FLAGS.SILENT (\\Seen)").await,
            ["A5 OK STORE completed"]
        );
        assert_eq!(
            a.run("A6 CANCELUPDATE \"A1\" \"X\"").await,
            ["A6 NO no updating search is tagged A1, X"]
        );
    }

    async fn sort_context_places_new_messages(env) {
        // Sizes grow with the sequence number; a new message between the
        // second and the third goes to position 3.
        let (mut a, mut b) = sessions(&env).await;
        assert_eq!(
            a.run("A1 SORT RETURN (UPDATE ALL) (SIZE) UTF-8 ALL").await,
            ["* ESEARCH (TAG \"A1\") ALL 1:5", "A1 OK SORT completed"]
        );
        append(&mut b, "", &sized("mid", 350)).await;
        assert_eq!(
            a.run("A2 NOOP").await,
            [
                "* 6 EXISTS",
                "* ESEARCH (TAG \"A1\") ADDTO (3 6)",
                "A2 OK NOOP completed",
            ]
        );
        // REVERSE: the largest first.
        assert_eq!(
            a.run("A3 UID SORT RETURN (UPDATE) (REVERSE SIZE) UTF-8 UNSEEN").await,
            ["* ESEARCH (TAG \"A3\") UID", "A3 OK UID SORT completed"]
        );
        append(&mut b, "", &sized("big", 5000)).await;
        b.run("b1 STORE 2 +FLAGS.SILENT (\\Seen)").await;
        let r = a.run("A4 NOOP").await;
        assert!(
            r.contains(&"* ESEARCH (TAG \"A3\") UID REMOVEFROM (0 3) ADDTO (1 8)".to_owned()),
            "{r:?}"
        );
        assert!(r.contains(&"* ESEARCH (TAG \"A1\") ADDTO (7 7)".to_owned()), "{r:?}");
    }

    async fn criteria_by_sequence_number_follow_expunges(env) {
        // `1:2` names other messages once the first is expunged.
        let (mut a, mut b) = sessions(&env).await;
        assert_eq!(
            a.run("A1 SEARCH RETURN (UPDATE ALL) 1:2").await,
            ["* ESEARCH (TAG \"A1\") ALL 1:2", "A1 OK SEARCH completed"]
        );
        b.run("b1 STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        b.run("b2 EXPUNGE").await;
        assert_eq!(
            a.run("A2 NOOP").await,
            [
                "* 1 FETCH (FLAGS (\\Deleted \\Seen) UID 2)",
                "* ESEARCH (TAG \"A1\") REMOVEFROM (0 1)",
                "* 1 EXPUNGE",
                "* ESEARCH (TAG \"A1\") ADDTO (0 2)",
                "A2 OK NOOP completed",
            ]
        );
    }

    async fn contexts_are_limited_and_end_with_the_selection(env) {
        let (mut a, mut b) = sessions(&env).await;
        for i in 0..10 {
            let r = a.run(&format!("C{i} SEARCH RETURN (UPDATE) UNSEEN")).await;
            assert_eq!(r.len(), 2, "{r:?}");
        }
        assert_eq!(
            a.run("C10 SEARCH RETURN (UPDATE) UNSEEN").await,
            [
                "* ESEARCH (TAG \"C10\")",
                "* NO [NOUPDATE \"C10\"] at most 10 updating searches per session",
                "C10 OK SEARCH completed",
            ]
        );
        // Re-selecting ends them all.
        a.run("s SELECT INBOX").await;
        b.run("b1 STORE 2 +FLAGS.SILENT (\\Seen)").await;
        let r = a.run("A1 NOOP").await;
        assert!(!r.iter().any(|l| l.contains("ESEARCH")), "{r:?}");
        assert_eq!(
            a.run("A2 CANCELUPDATE \"C1\"").await,
            ["A2 NO no updating search is tagged C1"]
        );
        let caps = a.run("A3 CAPABILITY").await;
        assert!(
            caps[0].contains(" CONTEXT=SEARCH") && caps[0].contains(" CONTEXT=SORT"),
            "{caps:?}"
        );
    }
}
