//! SEARCH / UID SEARCH through a session, against the store: every key
//! class, ESEARCH result options (RFC 4731), the saved result `$`
//! (RFC 5182), BADCHARSET, and EXPUNGE held back during SEARCH.

mod common;

use common::{Client, Env, message};

/// `From:` and `Subject:` RFC 2047-encoded, a `Bcc:` and an arbitrary
/// field; plain body. Its `Date:` is 7 Feb in its own zone, 8 Feb in UTC.
const ENCODED: &str = "From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\r\n\
To: ann@example.org\r\n\
Bcc: secret@example.net\r\n\
Subject: =?ISO-8859-1?Q?caf=E9_menu?=\r\n\
X-Tracker: alpha-7\r\n\
Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\
\r\n\
Hello world\r\n";

/// A multipart message whose text part is base64.
const MULTIPART: &str = "From: Bob <bob@example.org>\r\n\
Subject: report\r\n\
Date: Tue, 15 Jun 2021 10:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=xyz\r\n\
\r\n\
--xyz\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
VGhlIHplYnJhIGNyb3NzaW5nIGlzIGhlcmUNCg==\r\n\
--xyz\r\n\
Content-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAECAwQFBgcICQ==\r\n\
--xyz--\r\n";

/// APPENDs `raw` with an internal date.
async fn append_dated(c: &mut Client, flags: &str, date: &str, raw: &str) {
    common::append(c, flags, Some(date), raw).await;
}

/// A literal argument (for 8-bit search strings).
fn lit(s: &str) -> String {
    format!("{{{}}}\r\n{s}", s.len())
}

/// INBOX holding, at UIDs 2, 3, 4 (sequence 1, 2, 3): ENCODED (2020),
/// MULTIPART (2021), and a small \Seen \Flagged message (2022). UID 1 was
/// expunged so that UIDs and sequence numbers differ. Returns a client
/// with INBOX selected.
async fn mailbox(env: &Env) -> Client {
    let mut c = env.client("alice").await;
    append_dated(
        &mut c,
        "\\Deleted",
        "01-Dec-2019 00:00:00 +0000",
        &message("x"),
    )
    .await;
    append_dated(&mut c, "", "01-Jan-2020 12:00:00 +0000", ENCODED).await;
    append_dated(&mut c, "", "15-Jun-2021 12:00:00 +0000", MULTIPART).await;
    append_dated(
        &mut c,
        "\\Seen \\Flagged",
        "01-Mar-2022 12:00:00 +0000",
        &message("3"),
    )
    .await;
    c.run("s SELECT INBOX").await;
    assert_eq!(
        c.run("x EXPUNGE").await,
        ["* 1 EXPUNGE", "x OK EXPUNGE completed"]
    );
    c
}

both! {
    async fn flag_and_uid_searches(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(c.run("a SEARCH FLAGGED").await, ["* SEARCH 3", "a OK SEARCH completed"]);
        assert_eq!(c.run("b SEARCH UNSEEN").await, ["* SEARCH 1 2", "b OK SEARCH completed"]);
        assert_eq!(
            c.run("c UID SEARCH UNSEEN").await,
            ["* SEARCH 2 3", "c OK UID SEARCH completed"]
        );
        assert_eq!(
            c.run("d UID SEARCH UID 3:* NOT SEEN").await,
            ["* SEARCH 3", "d OK UID SEARCH completed"]
        );
        assert_eq!(c.run("e SEARCH DELETED").await, ["* SEARCH", "e OK SEARCH completed"]);
        // Flag changes made by this session are seen at once.
        c.run("f STORE 1 +FLAGS.SILENT (\\Answered)").await;
        assert_eq!(c.run("g SEARCH ANSWERED").await, ["* SEARCH 1", "g OK SEARCH completed"]);
        // Keywords are case-insensitive, in the spelling first stored.
        c.run("h STORE 1,3 +FLAGS.SILENT ($Work)").await;
        assert_eq!(
            c.run("i STORE 3 +FLAGS ($WORK)").await,
            ["* 3 FETCH (FLAGS (\\Flagged \\Seen $Work \\Recent))", "i OK STORE completed"]
        );
        assert_eq!(c.run("j SEARCH KEYWORD $work").await, ["* SEARCH 1 3", "j OK SEARCH completed"]);
        assert_eq!(c.run("k SEARCH UNKEYWORD $WORK").await, ["* SEARCH 2", "k OK SEARCH completed"]);
        c.run("l STORE 1 -FLAGS.SILENT ($wOrK)").await;
        assert_eq!(c.run("m SEARCH KEYWORD $Work").await, ["* SEARCH 3", "m OK SEARCH completed"]);
    }

    async fn size_and_date_searches(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("a SEARCH SINCE 1-Jun-2021").await,
            ["* SEARCH 2 3", "a OK SEARCH completed"]
        );
        assert_eq!(
            c.run("b SEARCH BEFORE 1-Jan-2021").await,
            ["* SEARCH 1", "b OK SEARCH completed"]
        );
        assert_eq!(c.run("c SEARCH ON 15-Jun-2021").await, ["* SEARCH 2", "c OK SEARCH completed"]);
        let small = message("3").len();
        assert_eq!(
            c.run(&format!("d SEARCH LARGER {small}")).await,
            ["* SEARCH 1 2", "d OK SEARCH completed"]
        );
        assert_eq!(
            c.run(&format!("e SEARCH SMALLER {}", small + 1)).await,
            ["* SEARCH 3", "e OK SEARCH completed"]
        );
        // The sent date is taken in the Date: header's own zone (-0800).
        assert_eq!(
            c.run("f SEARCH SENTON 7-Feb-1994").await,
            ["* SEARCH 1 3", "f OK SEARCH completed"]
        );
        assert_eq!(c.run("g SEARCH SENTON 8-Feb-1994").await, ["* SEARCH", "g OK SEARCH completed"]);
        assert_eq!(
            c.run("h UID SEARCH SENTSINCE 1-Jan-2000").await,
            ["* SEARCH 3", "h OK UID SEARCH completed"]
        );
        // Rows stored before the day was (the column NULL) give the same
        // answers, read from the messages themselves.
        let user = c.session.account().unwrap().id;
        let inbox = env.store.mailbox_by_name(user, "INBOX").unwrap().unwrap().id;
        assert!(hadron_store::testing::forget_sent_days(&env.store, inbox) >= 3);
        assert_eq!(
            c.run("i SEARCH SENTON 7-Feb-1994").await,
            ["* SEARCH 1 3", "i OK SEARCH completed"]
        );
        assert_eq!(
            c.run("j SEARCH SENTBEFORE 8-Feb-1994").await,
            ["* SEARCH 1 3", "j OK SEARCH completed"]
        );
        assert_eq!(
            c.run("k UID SEARCH SENTSINCE 1-Jan-2000").await,
            ["* SEARCH 3", "k OK UID SEARCH completed"]
        );
    }

    async fn header_and_text_searches(env) {
        let mut c = mailbox(&env).await;
        // RFC 2047 in From: and Subject:, matched case-insensitively.
        assert_eq!(
            c.run(&format!("a SEARCH CHARSET UTF-8 FROM {}", lit("JÜRGEN"))).await,
            ["* SEARCH 1", "a OK SEARCH completed"]
        );
        assert_eq!(
            c.run(&format!("b SEARCH SUBJECT {}", lit("café"))).await,
            ["* SEARCH 1", "b OK SEARCH completed"]
        );
        assert_eq!(c.run("c SEARCH FROM bob").await, ["* SEARCH 2", "c OK SEARCH completed"]);
        assert_eq!(c.run("d SEARCH TO ann").await, ["* SEARCH 1", "d OK SEARCH completed"]);
        assert_eq!(c.run("e SEARCH BCC SECRET").await, ["* SEARCH 1", "e OK SEARCH completed"]);
        assert_eq!(
            c.run("f SEARCH HEADER X-Tracker alpha").await,
            ["* SEARCH 1", "f OK SEARCH completed"]
        );
        assert_eq!(
            c.run("g SEARCH HEADER X-Tracker \"\"").await,
            ["* SEARCH 1", "g OK SEARCH completed"]
        );
        // BODY decodes the base64 text part, and only text parts.
        assert_eq!(c.run("h SEARCH BODY ZEBRA").await, ["* SEARCH 2", "h OK SEARCH completed"]);
        assert_eq!(c.run("i SEARCH BODY AAECAwQF").await, ["* SEARCH", "i OK SEARCH completed"]);
        // TEXT covers the decoded header too.
        assert_eq!(
            c.run(&format!("j UID SEARCH TEXT {}", lit("café menu"))).await,
            ["* SEARCH 2", "j OK UID SEARCH completed"]
        );
        assert_eq!(
            c.run("k SEARCH OR BODY zebra FROM ann FLAGGED").await,
            ["* SEARCH 3", "k OK SEARCH completed"]
        );
    }

    async fn address_keys_match_addresses_without_their_comments(env) {
        // imaptest's search-addresses message 3, with comments in every
        // address field: FROM/TO/CC come from the fields stored at ingest,
        // BCC from the message itself; both must see `user@domain.org`.
        let raw = "From: <user-from (comment)@ (comment) domain.org>\r\n\
                   To: <user-to (c)@domain.org>\r\n\
                   Cc: user-cc@ (c) domain.org (Real Cc)\r\n\
                   Bcc: <user-bcc@(c)domain.org>\r\n\r\nbody3\r\n";
        let mut c = env.client("alice").await;
        append_dated(&mut c, "", "01-Jan-2020 12:00:00 +0000", raw).await;
        c.run("s SELECT INBOX").await;
        for (tag, key) in [
            ("a", "FROM user-from@domain.org"),
            ("b", "TO user-to@domain.org"),
            ("c", "CC user-cc@domain.org"),
            ("d", "BCC user-bcc@domain.org"),
            ("e", "CC \"Real Cc <user-cc@\""),
        ] {
            assert_eq!(
                c.run(&format!("{tag} SEARCH {key}")).await,
                ["* SEARCH 1".to_owned(), format!("{tag} OK SEARCH completed")],
                "{key}"
            );
        }
        assert_eq!(c.run("f SEARCH FROM comment").await, ["* SEARCH", "f OK SEARCH completed"]);
        assert_eq!(
            c.run("g FETCH 1 ENVELOPE").await,
            [
                "* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"user-from\" \"domain.org\")) \
                 ((NIL NIL \"user-from\" \"domain.org\")) ((NIL NIL \"user-from\" \"domain.org\")) \
                 ((NIL NIL \"user-to\" \"domain.org\")) ((\"Real Cc\" NIL \"user-cc\" \"domain.org\")) \
                 ((NIL NIL \"user-bcc\" \"domain.org\")) NIL NIL))",
                "g OK FETCH completed",
            ]
        );
    }

    async fn charsets(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("a SEARCH CHARSET KOI8-R FROM bob").await,
            ["a NO [BADCHARSET (UTF-8 US-ASCII)] charset KOI8-R is not supported"]
        );
        assert_eq!(
            c.run("b SEARCH CHARSET us-ascii FROM bob").await,
            ["* SEARCH 2", "b OK SEARCH completed"]
        );
        let r = c.run(&format!("c SEARCH CHARSET US-ASCII FROM {}", lit("bö"))).await;
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with("c BAD "), "{r:?}");
    }

    async fn search_needs_a_selected_mailbox(env) {
        let mut c = env.client("alice").await;
        assert_eq!(
            c.run("a SEARCH ALL").await,
            ["a BAD SEARCH needs a selected mailbox"]
        );
        assert_eq!(
            c.run("b UID SEARCH ALL").await,
            ["b BAD UID SEARCH needs a selected mailbox"]
        );
        let mut n = Client::new(env.engine.clone());
        assert_eq!(n.run("c SEARCH ALL").await, ["c BAD SEARCH needs LOGIN first"]);
    }

    async fn esearch_return_options(env) {
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("a SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN").await,
            ["* ESEARCH (TAG \"a\") MIN 1 MAX 2 ALL 1:2 COUNT 2", "a OK SEARCH completed"]
        );
        assert_eq!(
            c.run("b UID SEARCH RETURN (MIN MAX COUNT ALL) ALL").await,
            [
                "* ESEARCH (TAG \"b\") UID MIN 2 MAX 4 ALL 2:4 COUNT 3",
                "b OK UID SEARCH completed",
            ]
        );
        assert_eq!(
            c.run("c SEARCH RETURN () NOT 2").await,
            ["* ESEARCH (TAG \"c\") ALL 1,3", "c OK SEARCH completed"]
        );
        assert_eq!(
            c.run("d SEARCH RETURN (COUNT) SEEN").await,
            ["* ESEARCH (TAG \"d\") COUNT 1", "d OK SEARCH completed"]
        );
        // No match: only COUNT is given.
        assert_eq!(
            c.run("e SEARCH RETURN (MIN MAX ALL COUNT) DELETED").await,
            ["* ESEARCH (TAG \"e\") COUNT 0", "e OK SEARCH completed"]
        );
        assert_eq!(
            c.run("f SEARCH RETURN (MIN) DELETED").await,
            ["* ESEARCH (TAG \"f\")", "f OK SEARCH completed"]
        );
    }

    async fn partial_pages_of_the_result(env) {
        // RFC 9394: positions in the result (ascending), from the start or
        // from the end, in either order; past the end is NIL.
        let mut c = mailbox(&env).await;
        assert_eq!(
            c.run("a SEARCH RETURN (PARTIAL 2:3) ALL").await,
            ["* ESEARCH (TAG \"a\") PARTIAL (2:3 2:3)", "a OK SEARCH completed"]
        );
        assert_eq!(
            c.run("b UID SEARCH RETURN (PARTIAL -1:-2 COUNT) ALL").await,
            [
                "* ESEARCH (TAG \"b\") UID COUNT 3 PARTIAL (-1:-2 3:4)",
                "b OK UID SEARCH completed",
            ]
        );
        assert_eq!(
            c.run("c SEARCH RETURN (PARTIAL 9:3) NOT 2").await,
            ["* ESEARCH (TAG \"c\") PARTIAL (3:9 NIL)", "c OK SEARCH completed"]
        );
        assert_eq!(
            c.run("d UID SEARCH RETURN (PARTIAL 1:2) UNSEEN").await,
            ["* ESEARCH (TAG \"d\") UID PARTIAL (1:2 2:3)", "d OK UID SEARCH completed"]
        );
        // With SAVE, `$` is the page.
        c.run("e SEARCH RETURN (SAVE PARTIAL -1:-1) ALL").await;
        assert_eq!(
            c.run("f UID SEARCH $").await,
            ["* SEARCH 4", "f OK UID SEARCH completed"]
        );
        let caps = c.run("h CAPABILITY").await;
        assert!(caps[0].contains(" PARTIAL"), "{caps:?}");
    }

    async fn within_counts_seconds_back_from_now(env) {
        // RFC 5032: the fixture's messages arrived in 2020-2022; one more
        // arrives now.
        let mut c = mailbox(&env).await;
        let raw = message("now");
        c.run(&format!("p APPEND INBOX {{{}}}\r\n{raw}", raw.len())).await;
        c.run("n NOOP").await;
        assert_eq!(
            c.run("a SEARCH YOUNGER 3600").await,
            ["* SEARCH 4", "a OK SEARCH completed"]
        );
        assert_eq!(
            c.run("b UID SEARCH OLDER 3600").await,
            ["* SEARCH 2 3 4", "b OK UID SEARCH completed"]
        );
        // A year back reaches none of the old ones; OLDER and YOUNGER of
        // one interval split the mailbox.
        assert_eq!(
            c.run("c SEARCH OR OLDER 31536000 YOUNGER 31536000").await,
            ["* SEARCH 1 2 3 4", "c OK SEARCH completed"]
        );
        assert_eq!(
            c.run("d SEARCH YOUNGER 31536000 NOT YOUNGER 60").await,
            ["* SEARCH", "d OK SEARCH completed"]
        );
        let caps = c.run("e CAPABILITY").await;
        assert!(caps[0].contains(" WITHIN"), "{caps:?}");
    }

    async fn saved_result(env) {
        let mut c = mailbox(&env).await;
        // Nothing saved yet: `$` is empty.
        assert_eq!(c.run("a SEARCH $").await, ["* SEARCH", "a OK SEARCH completed"]);
        // SAVE alone answers no ESEARCH.
        assert_eq!(c.run("b SEARCH RETURN (SAVE) UNSEEN").await, ["b OK SEARCH completed"]);
        assert_eq!(c.run("c SEARCH $").await, ["* SEARCH 1 2", "c OK SEARCH completed"]);
        assert_eq!(c.run("d UID SEARCH $").await, ["* SEARCH 2 3", "d OK UID SEARCH completed"]);
        // `$` is a set of messages, not of the flags that selected them.
        c.run("e STORE 1 +FLAGS.SILENT (\\Seen)").await;
        assert_eq!(c.run("f SEARCH $ SEEN").await, ["* SEARCH 1", "f OK SEARCH completed"]);
        // In FETCH, STORE and COPY, both the sequence and the UID forms.
        assert_eq!(
            c.run("g FETCH $ UID").await,
            ["* 1 FETCH (UID 2)", "* 2 FETCH (UID 3)", "g OK FETCH completed"]
        );
        assert_eq!(
            c.run("h UID STORE $ +FLAGS (\\Answered)").await,
            [
                "* 1 FETCH (FLAGS (\\Answered \\Seen \\Recent) UID 2)",
                "* 2 FETCH (FLAGS (\\Answered \\Recent) UID 3)",
                "h OK STORE completed",
            ]
        );
        let r = c.run("i COPY $ Archive").await;
        assert!(r[0].starts_with("i OK [COPYUID "), "{r:?}");
        assert!(r[0].contains(" 2:3 "), "{r:?}");
        // SAVE with ESEARCH data; MIN alone saves only the minimum.
        assert_eq!(
            c.run("j SEARCH RETURN (SAVE COUNT) ALL").await,
            ["* ESEARCH (TAG \"j\") COUNT 3", "j OK SEARCH completed"]
        );
        assert_eq!(c.run("k SEARCH $").await, ["* SEARCH 1 2 3", "k OK SEARCH completed"]);
        assert_eq!(
            c.run("l SEARCH RETURN (SAVE MIN) FLAGGED").await,
            ["* ESEARCH (TAG \"l\") MIN 3", "l OK SEARCH completed"]
        );
        c.run("m SEARCH RETURN (SAVE MAX MIN) ALL").await;
        assert_eq!(c.run("n SEARCH $").await, ["* SEARCH 1 3", "n OK SEARCH completed"]);
        // A failed SEARCH with SAVE empties `$`.
        assert!(c.run("o SEARCH RETURN (SAVE) CHARSET X-UNKNOWN ALL").await[0].starts_with("o NO"));
        assert_eq!(c.run("p SEARCH $").await, ["* SEARCH", "p OK SEARCH completed"]);
        // `$` is forgotten with the selection.
        c.run("q SEARCH RETURN (SAVE) ALL").await;
        c.run("r SELECT INBOX").await;
        assert_eq!(c.run("t SEARCH $").await, ["* SEARCH", "t OK SEARCH completed"]);
    }

    async fn saved_result_loses_expunged_messages(env) {
        let mut c = mailbox(&env).await;
        c.run("a SEARCH RETURN (SAVE) ALL").await;
        c.run("b STORE 2 +FLAGS.SILENT (\\Deleted)").await;
        assert_eq!(c.run("c EXPUNGE").await, ["* 2 EXPUNGE", "c OK EXPUNGE completed"]);
        assert_eq!(c.run("d UID SEARCH $").await, ["* SEARCH 2 4", "d OK UID SEARCH completed"]);
        assert_eq!(
            c.run("e FETCH $ UID").await,
            ["* 1 FETCH (UID 2)", "* 2 FETCH (UID 4)", "e OK FETCH completed"]
        );
    }

    async fn other_expunge_is_held_during_search_and_delivered_at_noop(env) {
        let mut a = mailbox(&env).await;
        common::expunge_elsewhere(&env, "alice", 2).await;

        // The flag change is told, the EXPUNGE is not; the expunged message
        // is still searched, its body read from what is kept for A.
        assert_eq!(
            a.run("f SEARCH BODY zebra").await,
            [
                "* 2 FETCH (FLAGS (\\Deleted \\Recent) UID 3)",
                "* SEARCH 2",
                "f OK [EXPUNGEISSUED] SEARCH completed",
            ]
        );
        assert_eq!(
            a.run("g UID SEARCH SINCE 1-Jan-2021 FROM bob").await,
            ["* SEARCH 3", "g OK [EXPUNGEISSUED] UID SEARCH completed"]
        );
        assert_eq!(
            a.run("h SEARCH RETURN (COUNT) ALL").await,
            ["* ESEARCH (TAG \"h\") COUNT 3", "h OK [EXPUNGEISSUED] SEARCH completed"]
        );
        assert_eq!(a.run("n NOOP").await, ["* 2 EXPUNGE", "n OK NOOP completed"]);
        assert_eq!(a.run("i SEARCH ALL").await, ["* SEARCH 1 2", "i OK SEARCH completed"]);
        assert_eq!(a.run("j SEARCH BODY zebra").await, ["* SEARCH", "j OK SEARCH completed"]);
    }

    async fn modseq_key_answers_the_highest_modseq(env) {
        let mut c = mailbox(&env).await;
        let inbox = env
            .store
            .mailbox_by_name(c.session.account().unwrap().id, "INBOX")
            .unwrap()
            .unwrap()
            .id;
        c.run("a STORE 2 +FLAGS.SILENT (\\Answered)").await;
        let flags = env.store.fetch_flags(inbox, &hadron_store::UidSet::all()).unwrap();
        let of = |uid: u32| flags.iter().find(|f| f.uid == uid).unwrap().modseq;
        let top = of(3);
        assert!(top > of(2) && top > of(4), "{flags:?}");
        assert_eq!(
            c.run(&format!("b SEARCH MODSEQ {top}")).await,
            [
                // The first CONDSTORE-enabling command tells the selected
                // mailbox's HIGHESTMODSEQ (RFC 7162 §3.1).
                format!("* OK [HIGHESTMODSEQ {top}] highest mod-sequence"),
                format!("* SEARCH 2 (MODSEQ {top})"),
                "b OK SEARCH completed".to_owned(),
            ]
        );
        assert_eq!(
            c.run("c UID SEARCH RETURN (COUNT) MODSEQ 1").await,
            [
                format!("* ESEARCH (TAG \"c\") UID COUNT 3 MODSEQ {top}"),
                "c OK UID SEARCH completed".to_owned(),
            ]
        );
        assert_eq!(
            c.run(&format!("d SEARCH MODSEQ {}", top + 1)).await,
            ["* SEARCH", "d OK SEARCH completed"]
        );
    }
}
