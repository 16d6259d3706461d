//! LMTP delivery (RFC 2033) against a real server: the conversation, one
//! reply per recipient, `+detail` mailboxes, dot-unstuffing, size and
//! quota limits, hostile input, and the end-to-end criterion — a message
//! delivered over LMTP reaches a client in IMAP IDLE at once, and FETCH
//! returns its exact bytes after the `Return-Path` and `Delivered-To`
//! lines. Real MTA-side clients: Python's `smtplib.LMTP` (over the Unix
//! socket) and `swaks --protocol LMTP`, each skipped with a message when
//! missing.
#![allow(missing_docs)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Backend, TIMEOUT, TestServer, assert_lines};
use hadron_server::config::LmtpConfig;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A raw LMTP client.
struct Lmtp {
    stream: BufReader<TcpStream>,
}

impl Lmtp {
    /// Connects and reads the greeting.
    async fn connect(addr: SocketAddr) -> Lmtp {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let mut c = Lmtp {
            stream: BufReader::new(stream),
        };
        let greeting = c.reply().await;
        assert!(greeting[0].starts_with("220 "), "{greeting:?}");
        c
    }

    /// Connects and says LHLO.
    async fn greeted(addr: SocketAddr) -> Lmtp {
        let mut c = Lmtp::connect(addr).await;
        let r = c.cmd_lines("LHLO mta.example").await;
        assert!(r.last().unwrap().starts_with("250 "), "{r:?}");
        c
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).await.expect("send");
    }

    /// One reply, all its lines (without CRLF); empty when the server
    /// closed the connection.
    async fn reply(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(TIMEOUT, self.stream.read_line(&mut line))
                .await
                .expect("timed out waiting for a reply")
                .unwrap_or(0);
            if n == 0 {
                return lines;
            }
            let line = line.trim_end_matches(['\r', '\n']).to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines;
            }
        }
    }

    /// One single-line reply.
    async fn line(&mut self) -> String {
        let r = self.reply().await;
        assert_eq!(r.len(), 1, "expected one line: {r:?}");
        r.into_iter().next().unwrap()
    }

    async fn cmd_lines(&mut self, line: &str) -> Vec<String> {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// Sends a command and returns its one-line reply.
    async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.line().await
    }

    /// Sends the message (dot-stuffed here) after `354`, and returns the
    /// `n` replies that follow.
    async fn data(&mut self, message: &[u8], n: usize) -> Vec<String> {
        let r = self.cmd("DATA").await;
        assert!(r.starts_with("354 "), "{r}");
        self.send(&stuff(message)).await;
        self.send(b".\r\n").await;
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.line().await);
        }
        out
    }

    /// Whether the server closed the connection.
    async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(TIMEOUT, self.stream.read_to_end(&mut rest)).await,
            Ok(Ok(_))
        ) && rest.is_empty()
    }
}

/// Dot-stuffing: a line starting with `.` gets another.
fn stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    let mut line_start = true;
    for &b in message {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    out
}

fn message(subject: &str) -> Vec<u8> {
    common::message(subject, "Hello over LMTP.").into_bytes()
}

/// What FETCH BODY[] of the message delivered from `from` to `to` holds.
fn stored(from: &str, to: &str, message: &[u8]) -> String {
    format!(
        "Return-Path: <{from}>\r\nDelivered-To: {to}\r\n{}",
        String::from_utf8_lossy(message)
    )
}

async fn lmtp_server(backend: Backend) -> (TestServer, SocketAddr) {
    lmtp_server_with(backend, LmtpConfig::default()).await
}

async fn lmtp_server_with(backend: Backend, config: LmtpConfig) -> (TestServer, SocketAddr) {
    let server = TestServer::start_lmtp(backend, config).await;
    let addr = server.lmtp_addr.expect("an LMTP listener");
    (server, addr)
}

/// `BODY[]` of message `seq` of `mailbox` as `user` sees it.
async fn fetch_body(server: &TestServer, user: &str, mailbox: &str, seq: u32) -> String {
    let mut c = server.login(user).await;
    c.cmd_ok(&format!("s SELECT \"{mailbox}\"")).await;
    let r = c.cmd_ok(&format!("f FETCH {seq} BODY.PEEK[]")).await;
    let fetched = &r[0];
    let start = fetched.find("}\r\n").expect("a literal") + 3;
    fetched[start..fetched.len() - 1].to_owned()
}

/// `STATUS mailbox (MESSAGES)` of `user`.
async fn messages(server: &TestServer, user: &str, mailbox: &str) -> u32 {
    let mut c = server.login(user).await;
    let r = c
        .cmd_ok(&format!("s STATUS \"{mailbox}\" (MESSAGES)"))
        .await;
    let n = r[0].rsplit(' ').next().unwrap().trim_end_matches(')');
    n.parse().unwrap_or_else(|_| panic!("{r:?}"))
}

both! {
    async fn lhlo_advertises_the_extensions_and_helo_is_refused(backend) {
        let (_server, addr) = lmtp_server(backend).await;
        let mut c = Lmtp::connect(addr).await;
        assert_eq!(c.cmd("EHLO mta.example").await, "500 5.5.1 This is LMTP (RFC 2033): say LHLO, not HELO or EHLO");
        assert!(c.cmd("HELO mta.example").await.starts_with("500 5.5.1 "));
        assert!(c.cmd("MAIL FROM:<a@example.org>").await.starts_with("503 5.5.1 "));
        let r = c.cmd_lines("LHLO mta.example").await;
        assert_lines(&r, &[
            "250-%",
            "250-PIPELINING",
            "250-ENHANCEDSTATUSCODES",
            "250-8BITMIME",
            "250-SIZE 67108864",
            "250 CHUNKING",
        ]);
        assert!(c.cmd("VRFY alice").await.starts_with("252 "));
        assert_eq!(c.cmd("NOOP").await, "250 2.0.0 OK");
        assert!(c.cmd("QUIT").await.starts_with("221 2.0.0 "));
        assert!(c.closed().await);
    }

    async fn one_recipient_gets_the_exact_bytes_with_trace_headers(backend) {
        let (server, addr) = lmtp_server(backend).await;
        let mut c = Lmtp::greeted(addr).await;
        assert_eq!(c.cmd("MAIL FROM:<sender@example.net> SIZE=200 BODY=8BITMIME").await,
                   "250 2.1.0 <sender@example.net> Sender OK");
        assert_eq!(c.cmd("RCPT TO:<alice@example.org>").await,
                   "250 2.1.5 <alice@example.org> Recipient OK");
        let mut msg = message("exact");
        msg.extend_from_slice("8-bit: caf\u{e9}\r\n".as_bytes());
        let r = c.data(&msg, 1).await;
        assert_lines(&r, &["250 2.0.0 <alice@example.org> Delivered (UID 1)"]);
        assert_eq!(
            fetch_body(&server, "alice", "INBOX", 1).await,
            stored("sender@example.net", "alice@example.org", &msg)
        );
        // The null sender, and a second transaction on the connection.
        assert!(c.cmd("MAIL FROM:<>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        c.data(&msg, 1).await;
        assert!(fetch_body(&server, "alice", "INBOX", 2).await.starts_with("Return-Path: <>\r\n"));
    }

    async fn delivered_mail_has_its_preview(backend) {
        // LMTP delivery stores the preview (RFC 8970) at ingest, as APPEND does.
        let (server, addr) = lmtp_server(backend).await;
        let mut c = Lmtp::greeted(addr).await;
        assert!(c.cmd("MAIL FROM:<sender@example.net>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        c.data(&message("preview"), 1).await;
        let mut imap = server.login("alice").await;
        imap.cmd_ok("s EXAMINE INBOX").await;
        assert_lines(
            &imap.cmd("f FETCH 1 PREVIEW (LAZY)").await,
            &["* 1 FETCH (PREVIEW \"Hello over LMTP.\")", "f OK FETCH completed"],
        );
    }

    async fn each_accepted_recipient_gets_its_reply_in_order(backend) {
        let (server, addr) = lmtp_server(backend).await;
        let mut c = Lmtp::greeted(addr).await;
        // Pipelined, as Postfix sends it.
        c.send(b"MAIL FROM:<s@example.net>\r\nRCPT TO:<bob@example.org>\r\n\
                 RCPT TO:<nobody@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n").await;
        let mut r = Vec::new();
        for _ in 0..5 {
            r.push(c.line().await);
        }
        assert_lines(&r, &[
            "250 2.1.0 %",
            "250 2.1.5 <bob@example.org> Recipient OK",
            "550 5.1.1 <nobody@example.org> User unknown",
            "250 2.1.5 <alice@example.org> Recipient OK",
            "354 %",
        ]);
        c.send(&message("two of three")).await;
        c.send(b".\r\n").await;
        let replies = [c.line().await, c.line().await];
        assert_lines(&replies, &[
            "250 2.0.0 <bob@example.org> Delivered (UID 1)",
            "250 2.0.0 <alice@example.org> Delivered (UID 1)",
        ]);
        assert_eq!(messages(&server, "alice", "INBOX").await, 1);
        assert_eq!(messages(&server, "bob", "INBOX").await, 1);
        let bob = fetch_body(&server, "bob", "INBOX", 1).await;
        assert!(bob.starts_with("Return-Path: <s@example.net>\r\nDelivered-To: bob@example.org\r\n"), "{bob}");
        // A bare local part and a user name that is a whole address.
        server.engine.create_user("carol@example.com", "secret").await.unwrap();
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<Alice>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<carol@example.com>").await.starts_with("250 "));
        assert_lines(&c.data(&message("x"), 2).await, &["250 %", "250 %"]);
        assert_eq!(messages(&server, "carol@example.com", "INBOX").await, 1);
        assert_eq!(messages(&server, "alice", "INBOX").await, 2);
    }

    async fn detail_picks_an_existing_mailbox_else_inbox(backend) {
        let (server, addr) = lmtp_server(backend).await;
        let mut imap = server.login("alice").await;
        imap.cmd_ok("c CREATE lists").await;
        let mut c = Lmtp::greeted(addr).await;
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        for rcpt in ["alice+lists@example.org", "alice+nosuch@example.org", "alice+inbox@example.org", "alice+Archive@x"] {
            assert!(c.cmd(&format!("RCPT TO:<{rcpt}>")).await.starts_with("250 "), "{rcpt}");
        }
        assert_lines(&c.data(&message("detail"), 4).await, &["250 %"; 4]);
        assert_eq!(messages(&server, "alice", "lists").await, 1);
        assert_eq!(messages(&server, "alice", "INBOX").await, 2);
        assert_eq!(messages(&server, "alice", "Archive").await, 1);
        let body = fetch_body(&server, "alice", "lists", 1).await;
        assert!(body.starts_with("Return-Path: <s@example.net>\r\nDelivered-To: alice+lists@example.org\r\n"), "{body}");
    }

    async fn dots_are_unstuffed(backend) {
        let (server, addr) = lmtp_server(backend).await;
        let mut c = Lmtp::greeted(addr).await;
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        let msg = b"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmiddle . dot\r\n.\r\n";
        assert!(c.cmd("DATA").await.starts_with("354 "));
        c.send(b"Subject: dots\r\n\r\n..\r\n...\r\n..leading\r\nmiddle . dot\r\n..\r\n.\r\n").await;
        assert!(c.line().await.starts_with("250 2.0.0 "));
        assert_eq!(fetch_body(&server, "alice", "INBOX", 1).await, stored("s@example.net", "alice@example.org", msg));
    }

    async fn bdat_chunks_deliver_like_data(backend) {
        let (server, addr) = lmtp_server(backend).await;
        let mut c = Lmtp::greeted(addr).await;
        // A chunk without a transaction is read (not taken as commands) and refused.
        c.send(b"BDAT 6\r\nQUIT\r\n").await;
        assert!(c.line().await.starts_with("503 5.5.1 "));
        let msg = message("chunks");
        let (a, b) = msg.split_at(10);
        c.send(b"MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n").await;
        for _ in 0..3 {
            assert!(c.line().await.starts_with("250 "));
        }
        c.send(format!("BDAT {}\r\n", a.len()).as_bytes()).await;
        c.send(a).await;
        assert_eq!(c.line().await, "250 2.0.0 10 octets received");
        c.send(format!("BDAT {} LAST\r\n", b.len()).as_bytes()).await;
        c.send(b).await;
        assert_lines(&[c.line().await, c.line().await], &["250 2.0.0 <alice@%", "250 2.0.0 <bob@%"]);
        assert_eq!(fetch_body(&server, "bob", "INBOX", 1).await, stored("s@example.net", "bob@example.org", &msg));
        assert_eq!(c.cmd("NOOP").await, "250 2.0.0 OK");
    }

    async fn the_size_limit_is_enforced_for_every_recipient(backend) {
        let config = LmtpConfig { max_message_size: Some(1000), ..LmtpConfig::default() };
        let (server, addr) = lmtp_server_with(backend, config).await;
        let mut c = Lmtp::greeted(addr).await;
        assert_eq!(c.cmd("MAIL FROM:<s@example.net> SIZE=1001").await,
                   "552 5.3.4 Message size exceeds fixed maximum message size");
        assert!(c.cmd("MAIL FROM:<s@example.net> SIZE=1000").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<bob@example.org>").await.starts_with("250 "));
        let big = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(2000));
        assert_lines(&c.data(big.as_bytes(), 2).await, &[
            "552 5.3.4 <alice@example.org> Message too big",
            "552 5.3.4 <bob@example.org> Message too big",
        ]);
        // The connection goes on, and nothing was stored.
        assert_eq!(c.cmd("NOOP").await, "250 2.0.0 OK");
        assert_eq!(messages(&server, "alice", "INBOX").await, 0);
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        assert_lines(&c.data(&message("small"), 1).await, &["250 %"]);
    }

    async fn commands_out_of_sequence_are_refused(backend) {
        let (_server, addr) = lmtp_server(backend).await;
        let mut c = Lmtp::greeted(addr).await;
        assert_eq!(c.cmd("RCPT TO:<alice@example.org>").await, "503 5.5.1 Send MAIL first");
        assert_eq!(c.cmd("DATA").await, "503 5.5.1 Send MAIL first");
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        assert_eq!(c.cmd("MAIL FROM:<s@example.net>").await, "503 5.5.1 Nested MAIL command");
        assert!(c.cmd("RCPT TO:<nobody@example.org>").await.starts_with("550 5.1.1 "));
        assert_eq!(c.cmd("DATA").await, "503 5.5.1 No valid recipients");
        assert_eq!(c.cmd("RSET").await, "250 2.0.0 OK");
        assert_eq!(c.cmd("RCPT TO:<alice@example.org>").await, "503 5.5.1 Send MAIL first");
        assert_eq!(c.cmd("FROB").await, "500 5.5.2 Syntax error, command unrecognized");
        assert!(c.cmd("MAIL FROM:<s@example.net> RET=HDRS").await.starts_with("555 5.5.4 "));
        assert!(c.cmd("RCPT TO:<>").await.starts_with("501 5.1.3 "));
        assert!(c.cmd("QUIT").await.starts_with("221 "));
        assert!(c.closed().await);
    }

    async fn an_idle_client_sees_the_delivery_at_once(backend) {
        let (server, addr) = lmtp_server(backend).await;
        let mut imap = server.select_inbox().await;
        imap.line("i IDLE").await;
        imap.expect(&["+ idling"]).await;
        let mut c = Lmtp::greeted(addr).await;
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        assert_lines(&c.data(&message("push"), 1).await, &["250 2.0.0 %"]);
        let pushed = imap.read_within(Duration::from_secs(5)).await;
        assert_eq!(pushed.as_deref(), Some("* 1 EXISTS"), "no push after the 250");
        imap.expect(&["* 1 RECENT"]).await;
        imap.line("DONE").await;
        imap.expect(&["i OK%"]).await;
    }

    async fn over_quota_is_refused_for_that_recipient_only(backend) {
        let (server, addr) = lmtp_server(backend).await;
        let limits = hadron_store::QuotaLimits { storage_kib: Some(1), messages: None };
        server.engine.set_quota_limits("alice", limits).await.unwrap();
        let mut c = Lmtp::greeted(addr).await;
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<bob@example.org>").await.starts_with("250 "));
        let big = format!("Subject: big\r\n\r\n{}\r\n", "y".repeat(2000));
        assert_lines(&c.data(big.as_bytes(), 2).await, &[
            "552 5.2.2 <alice@example.org> Mailbox full: over quota",
            "250 2.0.0 <bob@example.org> Delivered (UID 1)",
        ]);
        assert_eq!(messages(&server, "alice", "INBOX").await, 0);
    }

    async fn hostile_input_leaves_the_server_serving(backend) {
        let (server, addr) = lmtp_server(backend).await;
        let mut c = Lmtp::greeted(addr).await;
        // A 1 MB line.
        let mut long = vec![b'A'; 1 << 20];
        long.extend_from_slice(b"\r\n");
        c.send(&long).await;
        assert_eq!(c.line().await, "500 5.5.2 Line too long");
        // NUL bytes, binary junk, invalid UTF-8.
        c.send(b"\0\0\0\r\n").await;
        assert!(c.line().await.starts_with("500 5.5.2 "));
        c.send(b"MAIL FROM:<\xff\xfe@x>\r\n").await;
        assert!(c.line().await.starts_with("501 "));
        c.send(b"RCPT TO:<a\0b@example.org>\r\n").await;
        assert!(c.line().await.starts_with("501 "));
        assert_eq!(c.cmd("NOOP").await, "250 2.0.0 OK");
        // Vanishing in the middle of a message delivers nothing.
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        assert!(c.cmd("DATA").await.starts_with("354 "));
        c.send(b"Subject: cut\r\n\r\nhalf a mess").await;
        drop(c);
        // Too many errors end the connection with 421.
        let mut c = Lmtp::greeted(addr).await;
        let mut replies = Vec::new();
        c.send(&b"\x01\x02 junk\r\n".repeat(20)).await;
        loop {
            let r = c.reply().await;
            if r.is_empty() {
                break;
            }
            replies.extend(r);
        }
        assert_eq!(replies.len(), 21, "{replies:?}");
        assert!(replies[20].starts_with("421 4.7.0 "), "{replies:?}");
        // Both protocols still serve.
        let mut c = Lmtp::greeted(addr).await;
        assert!(c.cmd("MAIL FROM:<s@example.net>").await.starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@example.org>").await.starts_with("250 "));
        assert_lines(&c.data(&message("after"), 1).await, &["250 2.0.0 %"]);
        assert_eq!(messages(&server, "alice", "INBOX").await, 1);
    }

    async fn silent_clients_time_out_and_shutdown_says_421(backend) {
        let config = LmtpConfig { timeout_secs: 1, ..LmtpConfig::default() };
        let (mut server, addr) = lmtp_server_with(backend, config).await;
        let mut c = Lmtp::greeted(addr).await;
        assert!(c.reply().await[0].starts_with("421 4.4.2 "));
        assert!(c.closed().await);
        let mut c = Lmtp::greeted(addr).await;
        server.stop().await;
        assert!(c.reply().await[0].starts_with("421 4.3.2 "));
        assert!(c.closed().await);
    }
}

/// Whether `program --version` runs; prints why the test is skipped if not.
fn have(program: &str, what: &str) -> bool {
    match std::process::Command::new(program)
        .arg("--version")
        .output()
    {
        Ok(_) => true,
        Err(_) => {
            eprintln!("skipping the {what} test: {program} is not installed");
            false
        }
    }
}

const SMTPLIB: &str = r#"
import smtplib, sys
path = sys.argv[1]
s = smtplib.LMTP(path)
code, _ = s.ehlo()
assert code == 250, code
assert s.does_esmtp and s.has_extn("pipelining") and s.has_extn("size"), s.esmtp_features
msg = b"From: s@example.net\r\nSubject: smtplib\r\n\r\n.dotted line\r\nbody\r\n"
refused = s.sendmail("s@example.net", ["alice@example.org", "nobody@example.org"], msg)
assert list(refused) == ["nobody@example.org"] and refused["nobody@example.org"][0] == 550, refused
try:
    s.sendmail("s@example.net", ["nobody@example.org"], msg)
    raise SystemExit("an unknown only recipient was accepted")
except smtplib.SMTPRecipientsRefused:
    pass
s.quit()
print("smtplib ok")
"#;

both! {
    async fn python_smtplib_delivers_over_the_unix_socket(backend) {
        if !have("python3", "smtplib.LMTP") {
            return;
        }
        let config = LmtpConfig { socket: Some("lmtp.sock".into()), ..LmtpConfig::default() };
        let server = TestServer::start_lmtp(backend, config).await;
        let socket = server.lmtp_socket.clone().expect("a socket");
        let out = tokio::process::Command::new("python3")
            .args(["-c", SMTPLIB, socket.to_str().unwrap()])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "smtplib failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let body = fetch_body(&server, "alice", "INBOX", 1).await;
        assert_eq!(body, "Return-Path: <s@example.net>\r\nDelivered-To: alice@example.org\r\n\
                          From: s@example.net\r\nSubject: smtplib\r\n\r\n.dotted line\r\nbody\r\n");
    }

    async fn swaks_delivers_over_lmtp(backend) {
        if !have("swaks", "swaks") {
            return;
        }
        let (server, addr) = lmtp_server(backend).await;
        let out = tokio::process::Command::new("swaks")
            .args([
                "--protocol", "LMTP",
                "--server", &addr.ip().to_string(),
                "--port", &addr.port().to_string(),
                "--from", "s@example.net",
                "--to", "alice@example.org,bob+Archive@example.org",
                "--header", "Subject: swaks",
                "--body", "from swaks",
            ])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "swaks failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(messages(&server, "alice", "INBOX").await, 1);
        assert_eq!(messages(&server, "bob", "Archive").await, 1);
        let body = fetch_body(&server, "bob", "Archive", 1).await;
        assert!(body.starts_with("Return-Path: <s@example.net>\r\nDelivered-To: bob+Archive@example.org\r\n"), "{body}");
        assert!(body.contains("Subject: swaks\r\n"), "{body}");
    }
}
