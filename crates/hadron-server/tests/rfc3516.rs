//! Black-box tests of BINARY (RFC 3516): FETCH BINARY, BINARY.PEEK and
//! BINARY.SIZE decoding base64 and quoted-printable parts, partials in
//! decoded bytes, `NO [UNKNOWN-CTE]`, and APPEND of a `literal8` holding
//! NUL. Every test runs on SQLite and, with `HADRON_TEST_PG`, on
//! PostgreSQL.
#![allow(missing_docs)]

mod common;

use common::{Client, TestServer, assert_lines};

/// The attachment of [`mixed`], decoded: control bytes but no NUL, so the
/// answer is a normal literal (and valid UTF-8, as the test client reads
/// text).
const ATTACHMENT: &[u8] = b"GIF89a\x01\x02\x03 binary\r\n\x7f data";

/// A message with a quoted-printable text part, a base64 attachment and a
/// part in an encoding nobody decodes.
fn mixed() -> String {
    let b64 = "R0lGODlhAQID\r\nIGJpbmFyeQ0KfyBk\r\n  YXRh\r\n";
    format!(
        "From: a@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n\
         --xx\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n\
         caf=C3=A9 au =\r\nlait   \r\nfin\r\n\
         --xx\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\
         --xx\r\nContent-Type: application/octet-stream\r\n\
         Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 f\r\n`\r\nend\r\n\
         --xx--\r\n"
    )
}

async fn with_mixed(server: &TestServer) -> Client {
    let mut c = server.login("alice").await;
    let m = mixed();
    c.cmd_ok(&format!("a APPEND INBOX {{{}+}}\r\n{m}", m.len()))
        .await;
    c.cmd_ok("s SELECT INBOX").await;
    c
}

both! {
    async fn binary_is_advertised(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.connect().await;
        let r = c.cmd_ok("a CAPABILITY").await;
        assert!(r[0].split(' ').any(|w| w == "BINARY"), "{r:?}");
    }

    async fn base64_attachment_is_decoded(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_mixed(&server).await;
        let text = String::from_utf8(ATTACHMENT.to_vec()).unwrap();
        assert_lines(
            &c.cmd("b FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2])").await,
            &[
                &format!(
                    "* 1 FETCH (BINARY.SIZE[2] {} BINARY[2] {{{}}}\r\n{text})",
                    ATTACHMENT.len(),
                    ATTACHMENT.len()
                ),
                "b OK FETCH completed",
            ],
        );
        // A partial counts in decoded bytes and names its origin.
        assert_lines(
            &c.cmd("c FETCH 1 BINARY.PEEK[2]<0.10>").await,
            &[
                &format!("* 1 FETCH (BINARY[2]<0> {{10}}\r\n{})", &text[..10]),
                "c OK FETCH completed",
            ],
        );
        assert_lines(
            &c.cmd("d FETCH 1 BINARY.PEEK[2]<20.100>").await,
            &[
                &format!("* 1 FETCH (BINARY[2]<20> {{{}}}\r\n{})", text.len() - 20, &text[20..]),
                "d OK FETCH completed",
            ],
        );
        // The encoded bytes are still what BODY[2] gives.
        assert_lines(
            &c.cmd("e FETCH 1 BODY.PEEK[2]").await,
            &["* 1 FETCH (BODY[2] {38}\r\nR0lGODlhAQID\r\nIGJpbmFyeQ0KfyBk\r\n  YXRh)", "e OK %"],
        );
    }

    async fn quoted_printable_part_is_decoded(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_mixed(&server).await;
        let want = "café au lait\r\nfin";
        assert_lines(
            &c.cmd("b FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])").await,
            &[
                &format!(
                    "* 1 FETCH (BINARY.SIZE[1] {n} BINARY[1] {{{n}}}\r\n{want})",
                    n = want.len()
                ),
                "b OK FETCH completed",
            ],
        );
    }

    async fn composites_and_missing_parts(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_mixed(&server).await;
        let m = mixed();
        // BINARY[] is the message as stored; a missing part is empty.
        assert_lines(
            &c.cmd("b FETCH 1 (BINARY.SIZE[] BINARY.PEEK[] BINARY.PEEK[7])").await,
            &[
                &format!(
                    "* 1 FETCH (BINARY.SIZE[] {n} BINARY[] {{{n}}}\r\n{m} BINARY[7] {{0}}\r\n)",
                    n = m.len()
                ),
                "b OK FETCH completed",
            ],
        );
    }

    async fn unknown_encoding_fails_with_unknown_cte(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_mixed(&server).await;
        for cmd in ["b FETCH 1 BINARY.PEEK[3]", "c FETCH 1 (UID BINARY.SIZE[3])"] {
            let tag = &cmd[..1];
            assert_lines(&c.cmd(cmd).await, &[&format!("{tag} NO [UNKNOWN-CTE] %")]);
        }
        assert_lines(
            &c.cmd("d FETCH 1 FLAGS").await,
            &["* 1 FETCH (FLAGS (\\Recent))", "d OK FETCH completed"],
        );
        // The other parts still decode.
        c.cmd_ok("e FETCH 1 BINARY.PEEK[2]").await;
    }

    async fn a_failed_binary_fetch_sets_no_seen(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_mixed(&server).await;
        // BINARY[3] is undecodable: whatever else the FETCH asks for, it fails
        // whole and changes no flag (RFC 3516 §4.3, RFC 3501 §6.4.5).
        for cmd in [
            "b FETCH 1 BINARY[3]",
            "c FETCH 1 (BINARY[1] BINARY.SIZE[3])",
            "d FETCH 1 (BODY[1] BINARY.PEEK[3])",
            "e UID FETCH 1 (RFC822.TEXT BINARY[3]<0.2>)",
        ] {
            let tag = &cmd[..1];
            assert_lines(&c.cmd(cmd).await, &[&format!("{tag} NO [UNKNOWN-CTE] %")]);
        }
        assert_lines(
            &c.cmd("f FETCH 1 FLAGS").await,
            &["* 1 FETCH (FLAGS (\\Recent))", "f OK FETCH completed"],
        );
        // The undecodable message after more than a batch of good ones: none
        // of them is marked seen either, and none is sent.
        let plain = common::message("plain", "text");
        for i in 0..20 {
            c.cmd_ok(&format!("a{i} APPEND INBOX {{{}+}}\r\n{plain}", plain.len())).await;
        }
        c.cmd_ok("g COPY 1 INBOX").await;
        assert_lines(&c.cmd("h FETCH 2:* BINARY[3]").await, &["h NO [UNKNOWN-CTE] %"]);
        let r = c.cmd_ok("i SEARCH SEEN").await;
        assert_eq!(r[0], "* SEARCH", "{r:?}");
        // The same FETCH of the decodable messages succeeds and sets \Seen.
        c.cmd_ok("j FETCH 2:21 BINARY[3]").await;
        let r = c.cmd_ok("k SEARCH SEEN").await;
        let seen: Vec<String> = (2..=21).map(|n| n.to_string()).collect();
        assert_eq!(r[0], format!("* SEARCH {}", seen.join(" ")), "{r:?}");
    }

    async fn binary_without_peek_sets_seen(backend) {
        let server = TestServer::start(backend).await;
        let mut c = with_mixed(&server).await;
        assert_lines(
            &c.cmd("b FETCH 1 BINARY[1]<0.4>").await,
            &[
                "* 1 FETCH (BINARY[1]<0> {4}\r\ncaf% FLAGS (\\Seen \\Recent))",
                "b OK FETCH completed",
            ],
        );
    }

    async fn literal8_append_keeps_nul_bytes(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let body = "\0-\u{7f}\n\r\n\0";
        let m = format!(
            "From: a@example.org\r\nContent-Type: application/octet-stream\r\n\
             Content-Transfer-Encoding: binary\r\n\r\n{body}"
        );
        // Synchronising literal8: the server asks for the data.
        c.line(&format!("a APPEND INBOX ~{{{}}}", m.len())).await;
        c.expect(&["+ %"]).await;
        c.send(format!("{m}\r\n").as_bytes()).await;
        c.expect(&["a OK [APPENDUID % 1] APPEND completed"]).await;
        // Non-synchronising, in a MULTIAPPEND.
        c.send(format!("b APPEND INBOX ~{{{n}+}}\r\n{m} ~{{{n}+}}\r\n{m}\r\n", n = m.len()).as_bytes())
            .await;
        c.expect(&["b OK [APPENDUID % 2:3] APPEND completed"]).await;
        // NUL in a normal literal stays refused.
        c.send(format!("c APPEND INBOX {{{}+}}\r\n{m}\r\n", m.len()).as_bytes()).await;
        c.expect(&["c BAD %"]).await;
        // NUL outside any part's body cannot be stored.
        let bad = "X-Bad: \0\r\n\r\nbody";
        c.send(format!("d APPEND INBOX ~{{{}+}}\r\n{bad}\r\n", bad.len()).as_bytes()).await;
        c.expect(&["d NO [UNKNOWN-CTE] %"]).await;

        c.cmd_ok("s SELECT INBOX").await;
        // BINARY gives the bytes back, as a literal8 since they hold NUL.
        for seq in 1..=3 {
            assert_lines(
                &c.cmd(&format!("f FETCH {seq} (BINARY.SIZE[1] BINARY.PEEK[1])")).await,
                &[
                    &format!("* {seq} FETCH (BINARY.SIZE[1] 7 BINARY[1] ~{{7}}\r\n{body})"),
                    "f OK FETCH completed",
                ],
            );
        }
        // BODY, BODYSTRUCTURE and BINARY[] see the part in base64.
        assert_lines(
            &c.cmd("g FETCH 1 (BODY.PEEK[1] BINARY.PEEK[]<0.33>)").await,
            &[
                "* 1 FETCH (BODY[1] {12}\r\nAC1/Cg0KAA== BINARY[]<0> {33}\r\nContent-Transfer-Encoding: base64)",
                "g OK FETCH completed",
            ],
        );
        let r = c.cmd_ok("h FETCH 1 BODYSTRUCTURE").await;
        assert!(r[0].contains("\"BASE64\" 12 "), "{r:?}");
    }
}
