//! Black-box tests of CATENATE (RFC 4469): `APPEND … CATENATE (TEXT … URL
//! …)` puts a message together from client data and the user's own
//! messages (or sections of them) named by IMAP URLs (RFC 5092), with
//! synchronising and non-synchronising literals inside, in MULTIAPPEND
//! too; any unusable URL fails the whole command with `NO [BADURL url]`
//! and appends nothing; a message over the literal limit is `NO [TOOBIG]`.
//! Every test runs on SQLite and, with `HADRON_TEST_PG`, on PostgreSQL.
#![allow(missing_docs)]

mod common;

use common::{Client, TestServer, assert_lines, message};
use hadron_server::config::Limits;

/// The multipart draft of RFC 4469 §4's example (shortened): a header, a
/// text part and an attachment.
const BOUNDARY: &str = "------------030308070208000400050907";

fn draft() -> String {
    format!(
        "From: Alice <alice@example.org>\r\nSubject: the draft\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n\r\n\
         This is a multi-part message in MIME format.\r\n\
         --{BOUNDARY}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
         Part one\r\n\
         --{BOUNDARY}\r\nContent-Type: application/octet-stream\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n\
         --{BOUNDARY}--\r\n"
    )
}

/// APPENDs `m` to `mailbox` with LITERAL+ and returns the response lines.
async fn append(c: &mut Client, tag: &str, mailbox: &str, m: &str) -> Vec<String> {
    c.cmd_ok(&format!("{tag} APPEND {mailbox} {{{}+}}\r\n{m}", m.len()))
        .await
}

/// The UIDVALIDITY of `mailbox`.
async fn uid_validity(c: &mut Client, mailbox: &str) -> String {
    let r = c
        .cmd_ok(&format!("uv STATUS {mailbox} (UIDVALIDITY)"))
        .await;
    let line = &r[0];
    let at = line.find("UIDVALIDITY ").unwrap() + "UIDVALIDITY ".len();
    line[at..].trim_end_matches(')').to_owned()
}

/// The body of message `seq` of the selected mailbox (`BODY.PEEK[]`).
async fn body(c: &mut Client, seq: u32) -> String {
    let r = c.cmd_ok(&format!("b{seq} FETCH {seq} BODY.PEEK[]")).await;
    let line = &r[0];
    let start = line.find("}\r\n").unwrap() + 3;
    line[start..line.len() - 1].to_owned()
}

/// How many messages `mailbox` holds.
async fn count(c: &mut Client, mailbox: &str) -> String {
    let r = c.cmd_ok(&format!("n STATUS {mailbox} (MESSAGES)")).await;
    r[0].clone()
}

/// A server, alice logged in, with the draft as UID 1 of Drafts and a
/// plain message as UID 2 of Drafts.
async fn with_draft(server: &TestServer) -> Client {
    let mut c = server.login("alice").await;
    append(&mut c, "d1", "Drafts", &draft()).await;
    append(&mut c, "d2", "Drafts", &message("second", "Hello")).await;
    c
}

both! {
    async fn catenate_is_advertised(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let r = c.cmd_ok("a CAPABILITY").await;
        assert!(r[0].split(' ').any(|w| w == "CATENATE"), "{r:?}");
    }

    async fn rfc4469_example_with_a_continuation_for_each_literal(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_draft(&server).await;
        let v = uid_validity(&mut c, "Drafts").await;
        let sep = format!("\r\n--{BOUNDARY}\r\n");
        let end = format!("\r\n--{BOUNDARY}--\r\n");
        // The client waits for `+` before each synchronising literal.
        c.send(format!(
            "A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE \
             (URL \"/Drafts;UIDVALIDITY={v}/;UID=1/;section=HEADER\" TEXT {{{}}}\r\n",
            sep.len()
        ).as_bytes()).await;
        c.expect(&["+ %"]).await;
        c.send(format!(
            "{sep} URL \"/Drafts;UIDVALIDITY={v}/;UID=1/;section=1.MIME\" \
             URL \"/Drafts;UIDVALIDITY={v}/;UID=1/;section=1\" TEXT {{{}}}\r\n",
            sep.len()
        ).as_bytes()).await;
        c.expect(&["+ %"]).await;
        c.send(format!(
            "{sep} URL \"/Drafts;UIDVALIDITY={v}/;UID=2\" TEXT {{{}}}\r\n",
            end.len()
        ).as_bytes()).await;
        c.expect(&["+ %"]).await;
        c.send(format!("{end})\r\n").as_bytes()).await;
        let r = c.until_tagged("A003").await;
        assert_lines(&r, &[&format!("A003 OK [APPENDUID {v} 3] APPEND completed")]);

        c.cmd_ok("s SELECT Drafts").await;
        let header = draft()[..draft().find("\r\n\r\n").unwrap() + 4].to_owned();
        let expected = format!(
            "{header}{sep}Content-Type: text/plain; charset=us-ascii\r\n\r\n\
             Part one{sep}{}{end}",
            message("second", "Hello")
        );
        assert_eq!(body(&mut c, 3).await, expected);
        let r = c.cmd_ok("f FETCH 3 FLAGS").await;
        assert!(r[0].contains("\\Seen") && r[0].contains("$MDNSent"), "{r:?}");
        // Reading the URLs set no flag on the draft.
        let r = c.cmd_ok("g FETCH 1 FLAGS").await;
        assert!(!r[0].contains("\\Seen"), "{r:?}");
    }

    async fn literal_plus_parts_and_the_url_forms_that_name_the_user(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_draft(&server).await;
        let v = uid_validity(&mut c, "Drafts").await;
        let r = c.cmd_ok(&format!(
            "a APPEND INBOX CATENATE (TEXT {{9+}}\r\nSubject:  {} {})",
            format_args!("URL \"imap://alice@localhost/Drafts;UIDVALIDITY={v}/;UID=2/;SECTION=TEXT\""),
            "URL \"IMAP://alice;AUTH=*@127.0.0.1:143/%44rafts/;uid=1/;section=1/;partial=2.3\"",
        )).await;
        assert_lines(&r, &["a OK [APPENDUID % 1] APPEND completed"]);
        // Relative to the selected mailbox.
        c.cmd_ok("s SELECT Drafts").await;
        let r = c.cmd_ok("b APPEND INBOX CATENATE (URL \";UID=2/;SECTION=HEADER\")").await;
        assert_lines(&r, &["b OK [APPENDUID % 2] APPEND completed"]);
        // A partial without a length reads to the end of the section.
        let r = c.cmd_ok("p APPEND INBOX CATENATE (URL \";UID=2/;SECTION=HEADER/;PARTIAL=5\")").await;
        assert_lines(&r, &["p OK [APPENDUID % 3] APPEND completed"]);
        c.cmd_ok("s2 SELECT INBOX").await;
        assert_eq!(body(&mut c, 1).await, "Subject: Hello\r\nrt ");
        let second = message("second", "Hello");
        let header = &second[..second.find("\r\n\r\n").unwrap() + 4];
        assert_eq!(body(&mut c, 2).await, header);
        assert_eq!(body(&mut c, 3).await, header[5..]);
    }

    async fn an_unusable_url_fails_the_append_with_badurl(backend) {
        let server = TestServer::start(backend).await;
        let mut bob = server.login("bob").await;
        append(&mut bob, "x", "INBOX", &message("bob's", "private")).await;
        let mut c = with_draft(&server).await;
        let v = uid_validity(&mut c, "Drafts").await;
        let wrong = v.parse::<u32>().unwrap().wrapping_add(1).max(1);
        let bad = [
            // Another user's message, and a server that is not this one.
            "imap://bob@localhost/INBOX/;UID=1".to_owned(),
            "imap://localhost/Drafts/;UID=1".to_owned(),
            "imap://alice@mail.elsewhere.example/Drafts/;UID=1".to_owned(),
            format!("/Drafts;UIDVALIDITY={wrong}/;UID=1"),
            "/Drafts/;UID=9".to_owned(),
            "/Drafts/;UID=2/;SECTION=3".to_owned(),
            "/Drafts/;UID=2/;SECTION=1.HEADER".to_owned(),
            "/Nonexistent/;UID=1".to_owned(),
            ";UID=1".to_owned(),
            "/Drafts/;UID=1/;URLAUTH=anonymous:internal:0123".to_owned(),
            "not-a-url".to_owned(),
        ];
        for (i, url) in bad.iter().enumerate() {
            let r = c.cmd(&format!(
                "t{i} APPEND INBOX CATENATE (TEXT {{4+}}\r\nhi\r\n URL \"{url}\")"
            )).await;
            assert_lines(&r, &[&format!("t{i} NO [BADURL {url}] cannot use this URL: %")]);
        }
        // Bytes that cannot be in the response code are escaped.
        let r = c.cmd("u APPEND INBOX CATENATE (URL \"/a]b/;UID=1\")").await;
        assert_lines(&r, &["u NO [BADURL /a%5Db/;UID=1] %"]);
        assert_lines(&[count(&mut c, "INBOX").await], &["* STATUS INBOX (MESSAGES 0)"]);
        // The same URLs are fine once right.
        c.cmd_ok("ok APPEND INBOX CATENATE (URL \"/Drafts/;UID=2/;SECTION=1\")").await;
    }

    async fn a_missing_target_is_trycreate_before_any_url(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_draft(&server).await;
        let r = c.cmd("a APPEND Nowhere CATENATE (URL \"/Drafts;UIDVALIDITY=1/;UID=99\")").await;
        assert_lines(&r, &["a NO [TRYCREATE] %"]);
    }

    async fn multiappend_is_all_or_nothing(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_draft(&server).await;
        let mut watcher = server.login("alice").await;
        watcher.cmd_ok("w SELECT INBOX").await;
        let m = message("plain", "one");
        let r = c.cmd(&format!(
            "a APPEND INBOX {{{}+}}\r\n{m} CATENATE (URL \"/Drafts/;UID=1\") \
             (\\Flagged) CATENATE (URL \"/Drafts/;UID=7\")",
            m.len()
        )).await;
        assert_lines(&r, &["a NO [BADURL /Drafts/;UID=7] %"]);
        assert_lines(&[count(&mut c, "INBOX").await], &["* STATUS INBOX (MESSAGES 0)"]);
        // Plain and CATENATE messages in one MULTIAPPEND; the selected
        // session is told of all of them.
        let r = c.cmd_ok(&format!(
            "b APPEND INBOX {{{}+}}\r\n{m} CATENATE (URL \"/Drafts/;UID=1\") \
             (\\Flagged) CATENATE (TEXT {{3+}}\r\nabc)",
            m.len()
        )).await;
        assert_lines(&r, &["b OK [APPENDUID % 1:3] APPEND completed"]);
        let r = watcher.cmd_ok("n NOOP").await;
        assert!(r.iter().any(|l| l == "* 3 EXISTS"), "{r:?}");
        assert_eq!(body(&mut watcher, 2).await, draft());
        assert_eq!(body(&mut watcher, 3).await, "abc");
    }

    async fn a_catenated_message_over_the_literal_limit_is_toobig(backend) {
        let limits = Limits { max_literal: 1024, ..Limits::default() };
        let server = TestServer::start_with(backend, limits).await;
        let mut c = server.login("alice").await;
        let m = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(700));
        append(&mut c, "d", "Drafts", &m).await;
        // Each piece fits, the whole does not.
        let r = c.cmd("a APPEND INBOX CATENATE (URL \"/Drafts/;UID=1\" URL \"/Drafts/;UID=1\")").await;
        assert_lines(&r, &["a NO [TOOBIG] the message would exceed the 1024 byte limit"]);
        let text = "y".repeat(600);
        let r = c.cmd(&format!(
            "b APPEND INBOX CATENATE (TEXT {{600+}}\r\n{text} TEXT {{600+}}\r\n{text})"
        )).await;
        assert_lines(&r, &["b NO [TOOBIG] %"]);
        assert_lines(&[count(&mut c, "INBOX").await], &["* STATUS INBOX (MESSAGES 0)"]);
        // One copy fits.
        c.cmd_ok("c APPEND INBOX CATENATE (URL \"/Drafts/;UID=1\")").await;
    }

    async fn malformed_catenate_is_bad_and_the_connection_goes_on(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let r = c.cmd("a APPEND INBOX CATENATE ()").await;
        assert_lines(&r, &["a BAD %"]);
        let r = c.cmd("b APPEND INBOX CATENATE (TEXT \"quoted\")").await;
        assert_lines(&r, &["b BAD %"]);
        c.cmd_ok("c NOOP").await;
    }
}
