//! TLS: STARTTLS on the plain port, implicit TLS on a second port, what
//! CAPABILITY says before and after, and LOGINDISABLED. On SQLite and, with
//! `HADRON_TEST_PG`, PostgreSQL.
#![allow(missing_docs)]

mod common;

use common::{Client, TestServer, assert_lines, tls_handshake};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Runs the plaintext part of a session by hand up to STARTTLS's OK (so no
/// byte of the TLS handshake is buffered by mistake), then the handshake.
async fn starttls(server: &TestServer, before: &[&str], expect_caps: &str) -> Client {
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let mut reader = BufReader::new(tcp);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert!(
        common::matches(
            &format!("* OK [CAPABILITY {expect_caps}] Hadron ready\r\n"),
            &line
        ),
        "{line}"
    );
    for cmd in before {
        reader
            .get_mut()
            .write_all(format!("{cmd}\r\n").as_bytes())
            .await
            .unwrap();
        let tag = cmd.split(' ').next().unwrap();
        loop {
            line.clear();
            reader.read_line(&mut line).await.unwrap();
            if line.starts_with(&format!("{tag} ")) {
                break;
            }
        }
    }
    reader.get_mut().write_all(b"t STARTTLS\r\n").await.unwrap();
    line.clear();
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "t OK begin TLS negotiation now\r\n");
    assert!(reader.buffer().is_empty());
    let tls = tls_handshake(server, reader.into_inner()).await;
    Client::over(Box::new(tls))
}

both! {
    async fn starttls_upgrades_and_capabilities_follow(backend) {
        let server = TestServer::start_tls(backend, false).await;
        // Before TLS: STARTTLS offered, login disabled.
        let mut c = server.connect_expecting("% STARTTLS LOGINDISABLED").await;
        let r = c.cmd("a LOGIN alice secret").await;
        assert_lines(&r, &["a NO [PRIVACYREQUIRED] plaintext login is disabled; use STARTTLS first"]);
        let r = c.cmd("b AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==").await;
        assert_lines(&r, &["b NO [PRIVACYREQUIRED] %"]);
        // After TLS: no STARTTLS, login allowed.
        let mut c = starttls(&server, &["c CAPABILITY"], "% STARTTLS LOGINDISABLED").await;
        let r = c.cmd("a CAPABILITY").await;
        assert_lines(&r, &["* CAPABILITY % LITERAL- SASL-IR AUTH=PLAIN", "a OK CAPABILITY completed"]);
        assert!(!r[0].contains("STARTTLS") && !r[0].contains("LOGINDISABLED"), "{r:?}");
        let r = c.cmd("b STARTTLS").await;
        assert_lines(&r, &["b BAD TLS is already active"]);
        c.cmd_ok("c LOGIN alice secret").await;
        c.cmd_ok("d SELECT INBOX").await;
        c.cmd_ok("e LOGOUT").await;
    }

    async fn plaintext_login_can_be_allowed_next_to_starttls(backend) {
        let server = TestServer::start_tls(backend, true).await;
        let mut c = server.connect_expecting("% STARTTLS SASL-IR AUTH=PLAIN").await;
        c.cmd_ok("a LOGIN alice secret").await;
        let r = c.cmd("b STARTTLS").await;
        assert_lines(&r, &["b BAD STARTTLS is only allowed before login"]);
    }

    async fn implicit_tls_port_serves_imap_over_tls(backend) {
        let server = TestServer::start_tls(backend, false).await;
        let tcp = TcpStream::connect(server.tls_addr.unwrap()).await.unwrap();
        let mut c = Client::over(Box::new(tls_handshake(&server, tcp).await));
        c.expect(&["* OK [CAPABILITY % LITERAL- SASL-IR AUTH=PLAIN] Hadron ready"]).await;
        let r = c.cmd("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==").await;
        assert_lines(&r, &["a OK [CAPABILITY %] AUTHENTICATE completed"]);
        c.cmd_ok("b SELECT INBOX").await;
        let r = c.cmd("c STARTTLS").await;
        assert_lines(&r, &["c BAD TLS is already active"]);
    }

    async fn commands_pipelined_after_starttls_in_plaintext_are_dropped(backend) {
        let server = TestServer::start_tls(backend, true).await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let mut reader = BufReader::new(tcp);
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        // An attacker injecting a command behind STARTTLS.
        reader.get_mut().write_all(b"t STARTTLS\r\nx LOGIN alice secret\r\n").await.unwrap();
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "t OK begin TLS negotiation now\r\n");
        let mut c = Client::over(Box::new(tls_handshake(&server, reader.into_inner()).await));
        let r = c.cmd("a SELECT INBOX").await;
        assert_lines(&r, &["a BAD SELECT needs LOGIN first"]);
    }

    async fn a_failed_handshake_closes_only_that_connection(backend) {
        let server = TestServer::start_tls(backend, true).await;
        let mut tcp = TcpStream::connect(server.tls_addr.unwrap()).await.unwrap();
        tcp.write_all(b"a LOGIN alice secret\r\n").await.unwrap();
        let mut rest = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut tcp, &mut rest).await;
        let mut c = server.login("alice").await;
        c.cmd_ok("a NOOP").await;
    }
}
