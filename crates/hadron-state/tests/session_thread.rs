//! THREAD / UID THREAD (RFC 5256) through a session, against the store:
//! both algorithms on one mailbox of replies, a missing parent, a
//! duplicate Message-ID and subject-only replies; search criteria; rows
//! stored before the links were; and EXPUNGE held back during THREAD.

mod common;

use common::{Client, Env};

/// APPENDs `raw` with an internal date.
async fn append(c: &mut Client, raw: &str) {
    common::append(c, "", Some("01-Dec-2022 00:00:00 +0000"), raw).await;
}

/// A message with these header fields and a `Date:` in January 2021 on
/// `day` (31 is 31 Dec 2020).
fn mail(headers: &str, day: u32) -> String {
    let date = if day == 31 {
        "Thu, 31 Dec 2020 12:00:00 +0000".to_owned()
    } else {
        format!("Fri, {day} Jan 2021 12:00:00 +0000")
    };
    format!("From: a@x.org\r\n{headers}Date: {date}\r\n\r\nbody\r\n")
}

/// INBOX holding nine messages at UIDs 2..=10 (sequence 1..=9; UID 1 was
/// expunged so that the numberings differ):
///
/// | seq | UID | Message-ID | links to | subject | day |
/// |---|---|---|---|---|---|
/// | 1 | 2 | r | — | Plans | Jan 1 |
/// | 2 | 3 | a | r (In-Reply-To) | Re: Plans | Jan 3 |
/// | 3 | 4 | b | r | Re: Plans | Jan 2 |
/// | 4 | 5 | c | r a | Re: Plans | Jan 4 |
/// | 5 | 6 | d | gone (not in the mailbox) | Lunch | Jan 5 |
/// | 6 | 7 | e | gone | Re: Lunch | Jan 6 |
/// | 7 | 8 | f | — | Re: Plans | Jan 7 |
/// | 8 | 9 | — | — | Dinner | Dec 31 |
/// | 9 | 10 | r (a duplicate) | — | Other | Jan 8 |
async fn mailbox(env: &Env) -> Client {
    let mut c = env.client("alice").await;
    append(&mut c, &common::message("gone")).await;
    let messages = [
        mail("Message-ID: <r@x>\r\nSubject: Plans\r\n", 1),
        mail(
            "Message-ID: <a@x>\r\nIn-Reply-To: <r@x>\r\nSubject: Re: Plans\r\n",
            3,
        ),
        mail(
            "Message-ID: <b@x>\r\nReferences: <r@x>\r\nSubject: Re: Plans\r\n",
            2,
        ),
        mail(
            "Message-ID: <c@x>\r\nReferences: <r@x>\r\n <a@x>\r\nSubject: Re: Plans\r\n",
            4,
        ),
        mail(
            "Message-ID: <d@x>\r\nReferences: <gone@x>\r\nSubject: Lunch\r\n",
            5,
        ),
        mail(
            "Message-ID: <e@x>\r\nReferences: <gone@x>\r\nSubject: Re: Lunch\r\n",
            6,
        ),
        mail("Message-ID: <f@x>\r\nSubject: Re: Plans\r\n", 7),
        mail("Subject: Dinner\r\n", 31),
        mail("Message-ID: <r@x>\r\nSubject: Other\r\n", 8),
    ];
    for raw in &messages {
        append(&mut c, raw).await;
    }
    c.run("s SELECT INBOX").await;
    c.run("d STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.run("x EXPUNGE").await,
        ["* 1 EXPUNGE", "x OK EXPUNGE completed"]
    );
    c
}

/// `THREAD algorithm UTF-8 criteria`'s answer after `* THREAD `.
async fn threaded(c: &mut Client, algorithm: &str, criteria: &str) -> String {
    let r = c
        .run(&format!("t THREAD {algorithm} UTF-8 {criteria}"))
        .await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[1], "t OK THREAD completed");
    r[0].strip_prefix("* THREAD").unwrap().trim().to_owned()
}

/// The REFERENCES answer for the whole mailbox of [`mailbox`]: the
/// undated-by-reference 8 first; 1 with its replies (3 before 2 by date,
/// 4 under 2, and 7, a subject-only reply, merged under 1); the two
/// replies to the missing message under a placeholder; the duplicate 9
/// on its own.
const REFERENCES: &str = "(8)(1 (3)(2 4)(7))((5)(6))(9)";

both! {
    async fn references_follows_links_then_subjects(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(threaded(&mut c, "REFERENCES", "ALL").await, REFERENCES);
        assert_eq!(
            c.run("u UID THREAD REFERENCES UTF-8 ALL").await,
            [
                "* THREAD (9)(2 (4)(3 5)(8))((6)(7))(10)",
                "u OK UID THREAD completed"
            ]
        );
    }

    async fn ordered_subject_groups_by_base_subject(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(
            threaded(&mut c, "ORDEREDSUBJECT", "ALL").await,
            "(8)(1 (3)(2)(4)(7))(5 6)(9)"
        );
        // Algorithm names are case-insensitive.
        assert_eq!(
            threaded(&mut c, "orderedsubject", "SUBJECT lunch").await,
            "(5 6)"
        );
    }

    async fn search_criteria_choose_what_is_threaded(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(
            threaded(&mut c, "REFERENCES", "SUBJECT plans").await,
            "(1 (3)(2 4)(7))"
        );
        // Without the root, its replies meet under a placeholder.
        assert_eq!(threaded(&mut c, "REFERENCES", "2:4").await, "((3)(2 4))");
        assert_eq!(threaded(&mut c, "REFERENCES", "SUBJECT nothing").await, "");
    }

    async fn messages_stored_before_the_links_thread_alike(env) {
        let mut c = mailbox(&env).await;
        let inbox = env
            .store
            .mailbox_by_name(c.session.account().unwrap().id, "INBOX")
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(hadron_store::testing::forget_sort_keys(&env.store, inbox), 9);
        assert_eq!(threaded(&mut c, "REFERENCES", "ALL").await, REFERENCES);
    }

    async fn numbers_follow_the_session_after_an_expunge(env) {
        let mut a = mailbox(&env).await;
        common::expunge_elsewhere(&env, "alice", 4).await;

        // A still shows message 4: its EXPUNGE is held back during THREAD
        // (RFC 3501 §7.4.1), and it is threaded by its kept metadata.
        assert_eq!(
            a.run("f THREAD REFERENCES UTF-8 ALL").await,
            [
                "* 4 FETCH (FLAGS (\\Deleted \\Recent) UID 5)".to_owned(),
                format!("* THREAD {REFERENCES}"),
                "f OK [EXPUNGEISSUED] THREAD completed".to_owned(),
            ]
        );
        assert_eq!(a.run("n NOOP").await, ["* 4 EXPUNGE", "n OK NOOP completed"]);
        assert_eq!(
            threaded(&mut a, "REFERENCES", "ALL").await,
            "(7)(1 (3)(2)(6))((4)(5))(8)"
        );
    }

    async fn kept_links_take_in_new_messages(env) {
        // The first THREAD keeps the mailbox's links; messages appended
        // since join them: the missing parent of 5 and 6 arrives, and a
        // reply to 3.
        let mut a = mailbox(&env).await;
        assert_eq!(threaded(&mut a, "REFERENCES", "ALL").await, REFERENCES);
        let mut b = env.client("alice").await;
        append(&mut b, &mail("Message-ID: <gone@x>\r\nSubject: Lunch\r\n", 2)).await;
        let reply = "Message-ID: <g@x>\r\nReferences: <r@x> <b@x>\r\nSubject: Re: Plans\r\n";
        append(&mut b, &mail(reply, 9)).await;
        let r = a.run("n NOOP").await;
        assert_eq!(r[0], "* 11 EXISTS", "{r:?}");
        let now = "(8)(1 (3 11)(2 4)(7))(10 (5)(6))(9)";
        assert_eq!(threaded(&mut a, "REFERENCES", "ALL").await, now);
        assert_eq!(
            threaded(&mut a, "ORDEREDSUBJECT", "ALL").await,
            "(8)(1 (3)(2)(4)(7)(11))(10 (5)(6))(9)"
        );
        // Another session of the mailbox threads from the same keys.
        b.run("s SELECT INBOX").await;
        assert_eq!(threaded(&mut b, "REFERENCES", "ALL").await, now);
    }

    async fn refusals_say_why(env) {
        let mut c = env.client("alice").await;
        assert_eq!(
            c.run("a THREAD REFERENCES UTF-8 ALL").await,
            ["a BAD THREAD needs a selected mailbox"]
        );
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("b THREAD REFS UTF-8 ALL").await,
            ["b BAD unknown threading algorithm REFS"]
        );
        let r = c.run("c THREAD REFERENCES X-UNKNOWN ALL").await;
        assert!(r[0].starts_with("c NO [BADCHARSET"), "{r:?}");
        let caps = c.run("d CAPABILITY").await;
        assert!(
            caps[0].contains(" THREAD=ORDEREDSUBJECT") && caps[0].contains(" THREAD=REFERENCES"),
            "{caps:?}"
        );
    }
}
