//! Black-box tests of COMPRESS=DEFLATE (RFC 4978): a session that turns it
//! on and then selects, fetches a large body, appends with both kinds of
//! literal, receives an IDLE push from another connection and logs out,
//! all through raw deflate streams (the client side is
//! `common::deflate`); the same over TLS; the refusals; and hostile
//! compressed input. On SQLite and, with `HADRON_TEST_PG`, PostgreSQL.
#![allow(missing_docs)]

mod common;

use common::deflate::{Deflated, deflate_sync};
use common::{Client, Io, TestServer, assert_lines};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Greeting, LOGIN and COMPRESS DEFLATE read by hand (so that no
/// compressed byte is buffered as text), then a client through deflate.
async fn compressed<S: Io + 'static>(stream: S, user: &str) -> Client {
    let reader = uncompressed_until_ok(stream, user).await;
    Client::over(Box::new(Deflated::new(reader.into_inner())))
}

/// [`compressed`] up to COMPRESS's OK, without the deflate layer.
async fn uncompressed_until_ok<S: Io>(stream: S, user: &str) -> BufReader<S> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("* OK [CAPABILITY "), "{line}");
    for cmd in [
        format!("l LOGIN {user} secret"),
        "c COMPRESS DEFLATE".to_owned(),
    ] {
        let tag = &cmd[..2];
        let stream = reader.get_mut();
        stream
            .write_all(format!("{cmd}\r\n").as_bytes())
            .await
            .unwrap();
        stream.flush().await.unwrap();
        loop {
            line.clear();
            reader.read_line(&mut line).await.unwrap();
            if line.starts_with(tag) {
                break;
            }
        }
    }
    assert_eq!(line, "c OK DEFLATE active\r\n");
    assert!(reader.buffer().is_empty());
    reader
}

/// A message of about `kib` KiB of varied text.
fn big_message(subject: &str, kib: usize) -> String {
    let mut m = format!("From: a@example.org\r\nSubject: {subject}\r\n\r\n");
    let mut i = 0;
    while m.len() < kib * 1024 {
        m.push_str(&format!(
            "line {i} of {subject}, with some words to compress\r\n"
        ));
        i += 1;
    }
    m
}

/// Reads responses until one matches `want` (`%` is a wildcard).
async fn read_until(c: &mut Client, want: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let line = c
            .read()
            .await
            .unwrap_or_else(|| panic!("closed before {want}: {seen:?}"));
        let done = common::matches(want, &line);
        seen.push(line);
        if done {
            return seen;
        }
    }
}

/// SELECT, a large FETCH, APPEND with a synchronising literal (its `+`
/// must come flushed through the compressor) and a non-synchronising one.
async fn select_fetch_append(c: &mut Client, big: &str) {
    c.cmd_ok("s SELECT INBOX").await;
    let r = c.cmd("f FETCH 1 BODY.PEEK[]").await;
    assert!(
        r[0].starts_with(&format!("* 1 FETCH (BODY[] {{{}}}\r\n", big.len())),
        "{}",
        &r[0][..40]
    );
    assert!(
        r[0].ends_with(&format!("{big})")),
        "the body came back changed"
    );
    assert_lines(&r[1..], &["f OK FETCH completed"]);
    let m = big_message("sync", 8);
    c.line(&format!("a APPEND INBOX {{{}}}", m.len())).await;
    c.expect(&["+ Ready for literal data"]).await;
    c.send(format!("{m}\r\n").as_bytes()).await;
    read_until(c, "a OK [APPENDUID % 2] APPEND completed").await;
}

both! {
    async fn a_compressed_session_from_select_to_logout(backend) {
        let server = TestServer::start(backend).await;
        let mut plain = server.login("alice").await;
        let big = big_message("big", 600);
        plain.send(format!("p APPEND INBOX {{{}+}}\r\n{big}\r\n", big.len()).as_bytes()).await;
        plain.expect(&["p OK [APPENDUID % 1] APPEND completed"]).await;

        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let mut c = compressed(tcp, "alice").await;
        let mut r = c.cmd("k CAPABILITY").await;
        assert!(r[0].contains(" COMPRESS=DEFLATE"), "{r:?}");
        assert!(!r[0].contains("UNAUTHENTICATE"), "{r:?}");
        select_fetch_append(&mut c, &big).await;
        let m = common::message("plus", "x");
        c.send(format!("b APPEND INBOX {{{}+}}\r\n{m}\r\n", m.len()).as_bytes()).await;
        read_until(&mut c, "b OK [APPENDUID % 3] APPEND completed").await;

        // IDLE: another connection's APPEND is pushed at once, flushed.
        c.line("i IDLE").await;
        read_until(&mut c, "+ idling").await;
        let m = common::message("pushed", "y");
        plain.send(format!("q APPEND INBOX {{{}+}}\r\n{m}\r\n", m.len()).as_bytes()).await;
        plain.expect(&["q OK %"]).await;
        read_until(&mut c, "* 4 EXISTS").await;
        c.line("DONE").await;
        read_until(&mut c, "i OK IDLE terminated").await;

        // Refusals while compressed.
        r = c.cmd("z COMPRESS DEFLATE").await;
        assert_lines(&r, &["z NO [COMPRESSIONACTIVE] DEFLATE is already active via COMPRESS"]);
        r = c.cmd("u UNAUTHENTICATE").await;
        assert_lines(&r, &["u BAD UNAUTHENTICATE is not available while COMPRESS is active"]);
        r = c.cmd("o LOGOUT").await;
        assert_lines(&r, &["* BYE logging out", "o OK LOGOUT completed"]);
        c.expect_closed().await;
    }

    async fn compress_over_tls(backend) {
        let server = TestServer::start_tls(backend, true).await;
        let mut plain = server.login("alice").await;
        let big = big_message("over tls", 200);
        plain.send(format!("p APPEND INBOX {{{}+}}\r\n{big}\r\n", big.len()).as_bytes()).await;
        plain.expect(&["p OK %"]).await;
        let tcp = TcpStream::connect(server.tls_addr.unwrap()).await.unwrap();
        let tls = common::tls_handshake(&server, tcp).await;
        let mut c = compressed(tls, "alice").await;
        select_fetch_append(&mut c, &big).await;
        c.cmd_ok("o LOGOUT").await;
        c.expect_closed().await;
    }

    async fn compress_is_refused_where_it_does_not_fit(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.connect().await;
        assert_lines(&c.cmd("a COMPRESS DEFLATE").await, &["a BAD COMPRESS needs LOGIN first"]);
        c.cmd_ok("b LOGIN alice secret").await;
        assert_lines(
            &c.cmd("c COMPRESS GZIP").await,
            &["c BAD unknown compression algorithm GZIP; DEFLATE is supported"],
        );
        assert_lines(&c.cmd("d COMPRESS").await, &["d BAD %"]);
        // Still uncompressed.
        c.cmd_ok("e NOOP").await;
    }

    async fn a_decompression_bomb_meets_the_line_limit(backend) {
        let server = TestServer::start(backend).await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let mut c = compressed(tcp, "alice").await;
        // 16 MiB without a line end deflate to a few KiB; the server
        // inflates them piece by piece and drops the line at its limit.
        let mut bomb = vec![b'a'; 16 << 20];
        bomb.extend_from_slice(b"\r\nn NOOP\r\n");
        c.send(&bomb).await;
        c.expect(&["* BAD line longer than the 64 KiB limit", "n OK NOOP completed"]).await;
    }

    async fn input_that_is_not_deflate_closes_the_connection(backend) {
        let server = TestServer::start(backend).await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let mut reader = uncompressed_until_ok(tcp, "alice").await;
        // Plain text where deflate is expected: a stored block whose
        // lengths do not match, then more.
        let mut garbage = b"x NOOP\r\n".to_vec();
        garbage.extend_from_slice(&deflate_sync(&mut flate2::Compress::new(flate2::Compression::default(), false), b"y NOOP\r\n"));
        reader.get_mut().write_all(&garbage).await.unwrap();
        let mut rest = Vec::new();
        let read = tokio::time::timeout(common::TIMEOUT, reader.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "the server kept a broken stream open");
    }
}
