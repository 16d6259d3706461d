//! SORT / UID SORT (RFC 5256) through a session, against the store: each
//! sort key, REVERSE, several keys, ties, base subjects (RFC 2047 encoded
//! too), search criteria, charsets, and EXPUNGE held back during SORT.

mod common;

use common::{Client, Env, message};

/// A message of exactly `size` bytes: `headers` (each ending in CRLF),
/// then a body of filler.
fn sized(headers: &str, size: usize) -> String {
    let head = format!("{headers}\r\n");
    assert!(head.len() + 2 < size, "{size} is too small for {headers:?}");
    format!("{head}{}\r\n", "x".repeat(size - head.len() - 2))
}

/// APPENDs `raw` with an internal date.
async fn append_dated(c: &mut Client, date: &str, raw: &str) {
    common::append(c, "", Some(date), raw).await;
}

/// INBOX holding five messages at UIDs 2..=6 (sequence 1..=5; UID 1 was
/// expunged so that the numberings differ):
///
/// | seq | UID | arrival | Date: (UTC) | size | base subject | from | to | cc |
/// |---|---|---|---|---|---|---|---|---|
/// | 1 | 2 | 2022-03 | 2021-03-01 10:00 | 900 | Lunch | zed | bob | carol |
/// | 2 | 3 | 2022-01 | 2020-05-01 | 600 | été (encoded) | alice | dave | — |
/// | 3 | 4 | 2022-02 | — (2022-02-01 12:00) | 700 | lunch | BOB | alice | ann |
/// | 4 | 5 | 2022-02 | 2021-03-01 10:00 (+0100) | 600 | — | — | group | — |
/// | 5 | 6 | 2022-05 | 2023-01-01 | 800 | Breakfast | alice | _under | — |
async fn mailbox(env: &Env) -> Client {
    let mut c = env.client("alice").await;
    append_dated(&mut c, "01-Dec-2019 00:00:00 +0000", &message("gone")).await;
    let messages = [
        (
            "01-Mar-2022 12:00:00 +0000",
            sized(
                "From: Zed <zed@x.org>\r\nTo: bob@x.org\r\nCc: Carol <carol@x.org>\r\n\
                 Subject: Re: Lunch\r\nDate: Mon, 1 Mar 2021 10:00:00 +0000\r\n",
                900,
            ),
        ),
        (
            "01-Jan-2022 12:00:00 +0000",
            sized(
                "From: alice@x.org\r\nTo: Dave <dave@x.org>\r\n\
                 Subject: [list] Fwd: =?UTF-8?Q?=C3=A9t=C3=A9?= (fwd)\r\n\
                 Date: Fri, 1 May 2020 08:00:00 +0000\r\n",
                600,
            ),
        ),
        (
            "01-Feb-2022 12:00:00 +0000",
            sized(
                "From: Bob <BOB@x.org>\r\nTo: alice@x.org\r\nCc: Ann <ann@x.org>, z@x.org\r\n\
                 Subject: lunch\r\n",
                700,
            ),
        ),
        (
            "01-Feb-2022 12:00:00 +0000",
            sized(
                "To: group: amy@x.org;\r\nDate: Mon, 1 Mar 2021 11:00:00 +0100\r\n",
                600,
            ),
        ),
        (
            "01-May-2022 12:00:00 +0000",
            sized(
                "From: \"Alice, Other\" <alice@y.org>\r\nTo: _under@x.org\r\n\
                 Subject: =?UTF-8?B?UmU6?= [fwd: Breakfast]\r\n\
                 Date: Sun, 1 Jan 2023 00:00:00 +0000\r\n",
                800,
            ),
        ),
    ];
    for (date, raw) in &messages {
        append_dated(&mut c, date, raw).await;
    }
    c.run("s SELECT INBOX").await;
    c.run("d STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.run("x EXPUNGE").await,
        ["* 1 EXPUNGE", "x OK EXPUNGE completed"]
    );
    c
}

/// `SORT (criteria) UTF-8 ALL`'s numbers.
async fn sorted(c: &mut Client, criteria: &str) -> String {
    let r = c.run(&format!("t SORT ({criteria}) UTF-8 ALL")).await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[1], "t OK SORT completed");
    r[0].strip_prefix("* SORT").unwrap().trim().to_owned()
}

both! {
    async fn each_key_in_ascending_order(env) {
        let mut c = mailbox(&env).await;
        // Equal arrivals (3, 4) and sent dates (1, 4) stay in sequence order.
        assert_eq!(sorted(&mut c, "ARRIVAL").await, "2 3 4 1 5");
        // A message without Date: sorts by its internal date (3); dates
        // compare in UTC (4 equals 1).
        assert_eq!(sorted(&mut c, "DATE").await, "2 1 4 3 5");
        assert_eq!(sorted(&mut c, "SIZE").await, "2 4 3 5 1");
        // Base subjects: "" < BREAKFAST < LUNCH (1 and 3 equal) < été.
        assert_eq!(sorted(&mut c, "SUBJECT").await, "4 5 1 3 2");
        // The first address's local part, case-insensitively; none is "".
        assert_eq!(sorted(&mut c, "FROM").await, "4 2 5 3 1");
        // i;ascii-casemap: `_` sorts after every letter; a list that starts
        // with a group sorts by the group's name.
        assert_eq!(sorted(&mut c, "TO").await, "3 1 2 4 5");
        assert_eq!(sorted(&mut c, "CC").await, "2 4 5 3 1");
    }

    async fn reverse_applies_to_its_own_key_only(env) {
        let mut c = mailbox(&env).await;
        // Ties (3, 4) stay ascending under REVERSE.
        assert_eq!(sorted(&mut c, "REVERSE ARRIVAL").await, "5 1 3 4 2");
        assert_eq!(sorted(&mut c, "REVERSE SIZE").await, "1 5 3 2 4");
        assert_eq!(sorted(&mut c, "REVERSE FROM").await, "1 3 2 5 4");
    }

    async fn several_keys(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(sorted(&mut c, "SUBJECT REVERSE DATE").await, "4 5 3 1 2");
        assert_eq!(sorted(&mut c, "REVERSE SUBJECT SIZE").await, "2 3 1 5 4");
        assert_eq!(sorted(&mut c, "FROM SUBJECT").await, "4 5 2 3 1");
        assert_eq!(sorted(&mut c, "SIZE REVERSE ARRIVAL").await, "4 2 3 5 1");
        // A key repeated changes nothing.
        assert_eq!(sorted(&mut c, "CC CC").await, "2 4 5 3 1");
    }

    async fn uid_sort_answers_uids(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("a UID SORT (SIZE) UTF-8 ALL").await,
            ["* SORT 3 5 4 6 2", "a OK UID SORT completed"]
        );
        assert_eq!(
            c.run("b UID SORT (REVERSE DATE) US-ASCII UID 2:4").await,
            ["* SORT 4 2 3", "b OK UID SORT completed"]
        );
    }

    async fn search_criteria_choose_what_is_sorted(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("a SORT (SUBJECT) UTF-8 FROM alice").await,
            ["* SORT 5 2", "a OK SORT completed"]
        );
        assert_eq!(
            c.run("b SORT (ARRIVAL) utf-8 OR SUBJECT lunch LARGER 750 NOT 1").await,
            ["* SORT 3 5", "b OK SORT completed"]
        );
        // No match: an empty SORT response.
        assert_eq!(
            c.run("c SORT (ARRIVAL) UTF-8 SUBJECT nothing-like-this").await,
            ["* SORT", "c OK SORT completed"]
        );
        assert_eq!(
            c.run("d UID SORT (FROM) UTF-8 DELETED").await,
            ["* SORT", "d OK UID SORT completed"]
        );
        // The saved result `$` (RFC 5182) is a search key like any.
        c.run("e SEARCH RETURN (SAVE) LARGER 650").await;
        assert_eq!(
            c.run("f SORT (REVERSE SIZE) UTF-8 $").await,
            ["* SORT 1 5 3", "f OK SORT completed"]
        );
    }

    async fn charsets_as_search_accepts_them(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("a SORT (ARRIVAL) KOI8-R ALL").await,
            ["a NO [BADCHARSET (UTF-8 US-ASCII)] charset KOI8-R is not supported"]
        );
        assert_eq!(
            c.run("b SORT (ARRIVAL) US-ASCII FROM bob").await,
            ["* SORT 3", "b OK SORT completed"]
        );
        let r = c.run("c SORT (ARRIVAL) US-ASCII SUBJECT {2}\r\n\u{e9}").await;
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with("c BAD "), "{r:?}");
    }

    async fn display_keys_sort_by_name_else_address(env) {
        let mut c = mailbox(&env).await;
        // RFC 5957: the display name ("Alice, Other" before the bare
        // "alice@x.org": `,` < `@`), else the address; "" when missing.
        assert_eq!(sorted(&mut c, "DISPLAYFROM").await, "4 5 2 3 1");
        assert_eq!(sorted(&mut c, "REVERSE DISPLAYFROM").await, "1 3 2 5 4");
        // A group's name; `_` after the letters.
        assert_eq!(sorted(&mut c, "DISPLAYTO").await, "3 1 2 4 5");
        assert_eq!(sorted(&mut c, "DISPLAYTO REVERSE SIZE").await, "3 1 2 4 5");
        assert_eq!(
            c.run("a UID SORT (DISPLAYFROM SUBJECT) UTF-8 ALL").await,
            ["* SORT 5 6 3 4 2", "a OK UID SORT completed"]
        );
    }

    async fn messages_stored_before_the_sort_keys_sort_alike(env) {
        let mut c = mailbox(&env).await;
        let inbox = env
            .store
            .mailbox_by_name(c.session.account().unwrap().id, "INBOX")
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(hadron_store::testing::forget_sort_keys(&env.store, inbox), 5);
        // Derived from the decoded subject and address text instead: the
        // same orders as from the keys stored at ingest.
        assert_eq!(sorted(&mut c, "SUBJECT").await, "4 5 1 3 2");
        assert_eq!(sorted(&mut c, "FROM").await, "4 2 5 3 1");
        assert_eq!(sorted(&mut c, "TO").await, "3 1 2 4 5");
        assert_eq!(sorted(&mut c, "CC").await, "2 4 5 3 1");
        assert_eq!(sorted(&mut c, "DISPLAYFROM").await, "4 5 2 3 1");
        assert_eq!(sorted(&mut c, "DISPLAYTO").await, "3 1 2 4 5");
    }

    async fn sort_needs_a_selected_mailbox(env) {
        let mut c = env.client("alice").await;
        assert_eq!(
            c.run("a SORT (ARRIVAL) UTF-8 ALL").await,
            ["a BAD SORT needs a selected mailbox"]
        );
        assert_eq!(
            c.run("b UID SORT (ARRIVAL) UTF-8 ALL").await,
            ["b BAD UID SORT needs a selected mailbox"]
        );
        let mut n = Client::new(env.engine.clone());
        assert_eq!(
            n.run("c SORT (ARRIVAL) UTF-8 ALL").await,
            ["c BAD SORT needs LOGIN first"]
        );
    }

    async fn numbers_follow_the_session_after_an_expunge(env) {
        let mut a = mailbox(&env).await;
        common::expunge_elsewhere(&env, "alice", 2).await;

        // A still shows UID 3 at sequence 2: its EXPUNGE is held back during
        // SORT (RFC 3501 §7.4.1), and it is sorted by its kept keys.
        assert_eq!(
            a.run("f SORT (SUBJECT) UTF-8 ALL").await,
            [
                "* 2 FETCH (FLAGS (\\Deleted \\Recent) UID 3)",
                "* SORT 4 5 1 3 2",
                "f OK [EXPUNGEISSUED] SORT completed",
            ]
        );
        assert_eq!(
            a.run("g UID SORT (SIZE) UTF-8 ALL").await,
            ["* SORT 3 5 4 6 2", "g OK [EXPUNGEISSUED] UID SORT completed"]
        );
        assert_eq!(a.run("n NOOP").await, ["* 2 EXPUNGE", "n OK NOOP completed"]);
        // Now sequence numbers shift down past the gap; UIDs do not.
        assert_eq!(
            a.run("h SORT (SIZE) UTF-8 ALL").await,
            ["* SORT 3 2 4 1", "h OK SORT completed"]
        );
        assert_eq!(
            a.run("i UID SORT (SIZE) UTF-8 ALL").await,
            ["* SORT 5 4 6 2", "i OK UID SORT completed"]
        );
    }

    async fn keys_kept_in_memory_take_in_new_messages(env) {
        // The first SORT keeps the mailbox's FROM keys; messages appended
        // since bring keys that fall between the kept ones.
        let mut a = mailbox(&env).await;
        assert_eq!(sorted(&mut a, "FROM").await, "4 2 5 3 1");
        let mut b = env.client("alice").await;
        for from in ["carl@x.org", "Aaron <aaron@x.org>"] {
            let raw = format!("From: {from}\r\nSubject: new\r\n\r\nbody\r\n");
            common::append(&mut b, "", None, &raw).await;
        }
        let r = a.run("n NOOP").await;
        assert_eq!(r[0], "* 7 EXISTS", "{r:?}");
        assert_eq!(sorted(&mut a, "FROM").await, "4 7 2 5 3 6 1");
        assert_eq!(sorted(&mut a, "REVERSE FROM").await, "1 6 3 2 5 7 4");
        // Another session of the mailbox sorts from the same keys.
        b.run("s SELECT INBOX").await;
        assert_eq!(sorted(&mut b, "FROM").await, "4 7 2 5 3 6 1");
        assert_eq!(sorted(&mut b, "SUBJECT FROM").await, "4 5 3 1 7 6 2");
    }

    async fn esort_return_options_keep_the_sort_order(env) {
        // RFC 5267 §3.2 (ESORT) with RFC 9394's PARTIAL: the options apply
        // to the sorted list; MIN/MAX are its ends, ALL and PARTIAL keep
        // its order (ascending runs as ranges).
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("a SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL").await,
            [
                "* ESEARCH (TAG \"a\") MIN 2 MAX 5 ALL 2,1,4,3,5 COUNT 5",
                "a OK SORT completed",
            ]
        );
        assert_eq!(
            c.run("b UID SORT RETURN (PARTIAL 2:3) (SUBJECT) UTF-8 ALL").await,
            ["* ESEARCH (TAG \"b\") UID PARTIAL (2:3 6,2)", "b OK UID SORT completed"]
        );
        // REVERSE SIZE is 1 5 3 2 4 (equal sizes stay in sequence order).
        assert_eq!(
            c.run("c SORT RETURN (PARTIAL -1:-2) (REVERSE SIZE) UTF-8 ALL").await,
            ["* ESEARCH (TAG \"c\") PARTIAL (-1:-2 2,4)", "c OK SORT completed"]
        );
        // SORT RETURN () is ALL; SAVE alone answers nothing and saves it.
        assert_eq!(
            c.run("d SORT RETURN () (SIZE) UTF-8 NOT 1").await,
            ["* ESEARCH (TAG \"d\") ALL 2,4,3,5", "d OK SORT completed"]
        );
        assert_eq!(
            c.run("e SORT RETURN (SAVE) (SIZE) UTF-8 SUBJECT lunch").await,
            ["e OK SORT completed"]
        );
        assert_eq!(c.run("f SEARCH $").await, ["* SEARCH 1 3", "f OK SEARCH completed"]);
        let caps = c.run("g CAPABILITY").await;
        assert!(caps[0].contains(" ESORT"), "{caps:?}");
    }

    async fn modseq_key_answers_the_highest_modseq(env) {
        let mut c = mailbox(&env).await;
        let r = c.run("a SORT (REVERSE ARRIVAL) UTF-8 MODSEQ 1").await;
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(r[0].starts_with("* OK [HIGHESTMODSEQ "), "{r:?}");
        assert!(r[1].starts_with("* SORT 5 1 3 4 2 (MODSEQ "), "{r:?}");
        assert_eq!(r[2], "a OK SORT completed");
    }
}
