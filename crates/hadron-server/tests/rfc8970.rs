//! Black-box tests of PREVIEW (RFC 8970): FETCH PREVIEW answers the start
//! of a message's main text as one line of plain text (the text/plain part,
//! else the text/html part without its markup; decoded to UTF-8, sent as a
//! literal when it holds 8-bit characters), an empty string for a message
//! without text; PREVIEW (LAZY) answers NIL for a message stored before
//! previews were kept, which PREVIEW computes from the body and keeps;
//! neither sets \Seen. Every test runs on SQLite and, with
//! `HADRON_TEST_PG`, on PostgreSQL.
#![allow(missing_docs)]

mod common;

use common::{Client, TestServer, assert_lines, message};
use hadron_store::MailboxId;

/// A text/plain message.
fn plain() -> String {
    message("plain", "Hello there,\r\n\r\n  this is   the plain text.")
}

/// A text/html message with a head, a style sheet and character references.
fn html() -> String {
    "Subject: html\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n\
<html><head><title>T</title><style>p {}</style></head>\
<body><p>Fish &amp; chips</p><p>tonight&#33;</p></body></html>\r\n"
        .to_owned()
}

/// A multipart/alternative message whose text/plain part comes second, in
/// ISO-8859-1 and quoted-printable.
fn alternative() -> String {
    "Subject: alternative\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/html\r\n\r\n<p>the html part</p>\r\n\
--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me\r\n--b--\r\n"
        .to_owned()
}

/// A message with attachments only.
fn attachments_only() -> String {
    "Subject: files\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n\
attached\r\n--b--\r\n"
        .to_owned()
}

async fn append(c: &mut Client, messages: &[String]) {
    for (i, m) in messages.iter().enumerate() {
        c.cmd_ok(&format!("a{i} APPEND INBOX {{{}+}}\r\n{m}", m.len()))
            .await;
    }
}

/// Alice's INBOX in the store.
fn inbox(server: &TestServer) -> MailboxId {
    let store = server.engine.store();
    let (user, _) = store.user_by_name("alice").unwrap().unwrap();
    store.mailbox_by_name(user, "INBOX").unwrap().unwrap().id
}

/// The previews of every message, as FETCH PREVIEW answers them.
const PREVIEWS: [&str; 4] = [
    "* 1 FETCH (PREVIEW \"Hello there, this is the plain text.\")",
    "* 2 FETCH (PREVIEW \"Fish & chips tonight!\")",
    // 8-bit: a literal (12 bytes of UTF-8).
    "* 3 FETCH (PREVIEW {12}\r\nCaf\u{e9} cr\u{e8}me)",
    "* 4 FETCH (PREVIEW \"\")",
];

both! {
    async fn preview_is_advertised(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.connect().await;
        let r = c.cmd_ok("a CAPABILITY").await;
        assert!(r[0].split(' ').any(|w| w == "PREVIEW"), "{r:?}");
    }

    async fn preview_is_the_main_text_of_each_message(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append(&mut c, &[plain(), html(), alternative(), attachments_only()]).await;
        c.cmd_ok("s SELECT INBOX").await;
        let mut expected = PREVIEWS.to_vec();
        expected.push("f OK FETCH completed");
        assert_lines(&c.cmd("f FETCH 1:4 PREVIEW").await, &expected);
        // Stored at ingest: LAZY has them all; and beside other items.
        expected[4] = "g OK FETCH completed";
        assert_lines(&c.cmd("g FETCH 1:4 (PREVIEW (LAZY))").await, &expected);
        assert_lines(
            &c.cmd("h UID FETCH 2 (RFC822.SIZE PREVIEW)").await,
            &[
                "* 2 FETCH (UID 2 RFC822.SIZE % PREVIEW \"Fish & chips tonight!\")",
                "h OK FETCH completed",
            ],
        );
    }

    async fn lazy_answers_nil_for_older_messages_and_preview_computes_and_keeps_them(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append(&mut c, &[plain(), html(), alternative(), attachments_only()]).await;
        // As if stored before previews were kept.
        assert_eq!(hadron_store::testing::forget_previews(server.engine.store(), inbox(&server)), 4);
        c.cmd_ok("s SELECT INBOX").await;
        assert_lines(
            &c.cmd("l FETCH 1:4 PREVIEW (LAZY)").await,
            &[
                "* 1 FETCH (PREVIEW NIL)",
                "* 2 FETCH (PREVIEW NIL)",
                "* 3 FETCH (PREVIEW NIL)",
                "* 4 FETCH (PREVIEW NIL)",
                "l OK FETCH completed",
            ],
        );
        // Computed from the body: the same previews as at ingest.
        assert_lines(
            &c.cmd("f FETCH 2:3 PREVIEW").await,
            &[PREVIEWS[1], PREVIEWS[2], "f OK FETCH completed"],
        );
        // And kept: LAZY now has those two (the lazy and the plain item together
        // compute the rest).
        assert_lines(
            &c.cmd("m FETCH 1:4 (PREVIEW (LAZY))").await,
            &[
                "* 1 FETCH (PREVIEW NIL)",
                PREVIEWS[1],
                PREVIEWS[2],
                "* 4 FETCH (PREVIEW NIL)",
                "m OK FETCH completed",
            ],
        );
        assert_lines(
            &c.cmd("n FETCH 1:4 (PREVIEW (LAZY) PREVIEW)").await,
            &[
                "* 1 FETCH (PREVIEW \"Hello there, this is the plain text.\" PREVIEW \"Hello there, this is the plain text.\")",
                "* 2 FETCH (PREVIEW \"Fish & chips tonight!\" PREVIEW \"Fish & chips tonight!\")",
                "* 3 FETCH (PREVIEW {12}\r\nCaf\u{e9} cr\u{e8}me PREVIEW {12}\r\nCaf\u{e9} cr\u{e8}me)",
                "* 4 FETCH (PREVIEW \"\" PREVIEW \"\")",
                "n OK FETCH completed",
            ],
        );
        // A new connection reads what was kept.
        let mut d = server.login("alice").await;
        d.cmd_ok("s EXAMINE INBOX").await;
        let mut expected = PREVIEWS.to_vec();
        expected.push("g OK FETCH completed");
        assert_lines(&d.cmd("g FETCH 1:4 PREVIEW (LAZY)").await, &expected);
    }

    async fn preview_does_not_set_seen(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append(&mut c, &[plain(), html()]).await;
        assert_eq!(hadron_store::testing::forget_previews(server.engine.store(), inbox(&server)), 2);
        c.cmd_ok("s SELECT INBOX").await;
        // Computed (message 1 has no stored preview) or read, neither sets \Seen.
        c.cmd_ok("f FETCH 1 PREVIEW").await;
        c.cmd_ok("g FETCH 1:2 (PREVIEW (LAZY))").await;
        c.cmd_ok("h FETCH 2 PREVIEW").await;
        let r = c.cmd("i FETCH 1:2 FLAGS").await;
        assert_lines(&r, &["* 1 FETCH (FLAGS (%))", "* 2 FETCH (FLAGS (%))", "i OK FETCH completed"]);
        assert!(!r.iter().any(|l| l.contains("\\Seen")), "{r:?}");
        assert_lines(
            &c.cmd("j SEARCH UNSEEN").await,
            &["* SEARCH 1 2", "j OK SEARCH completed"],
        );
    }
}
