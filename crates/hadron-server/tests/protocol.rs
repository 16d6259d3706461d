//! Black-box tests of one session at a time over TCP: the wire exchange of
//! each command family, literals, AUTHENTICATE, IDLE, bad input, limits and
//! shutdown. Every test runs on SQLite and, with `HADRON_TEST_PG`, on
//! PostgreSQL.
#![allow(missing_docs)]

mod common;

use std::time::Duration;

use common::{TestServer, append_n, assert_lines, message};
use hadron_server::config::Limits;

/// The engine's capabilities plus what the connection layer implements
/// before login (`APPENDLIMIT=` is the test server's literal limit).
fn caps() -> String {
    let engine: Vec<String> = hadron_state::session::Session::capabilities()
        .iter()
        .map(ToString::to_string)
        .collect();
    format!(
        "{} APPENDLIMIT={} ID LITERAL- SASL-IR AUTH=PLAIN",
        engine.join(" "),
        Limits::default().max_literal
    )
}

both! {
    async fn greeting_capability_login_logout(backend) {
        let server = TestServer::start(backend).await;
        let mut c = common::Client::connect(server.addr).await;
        let caps = caps();
        assert!(caps.starts_with("IMAP4rev1 IDLE "), "{caps}");
        c.expect(&[&format!("* OK [CAPABILITY {caps}] Hadron ready")]).await;
        let r = c.cmd("a CAPABILITY").await;
        assert_lines(&r, &[&format!("* CAPABILITY {caps}"), "a OK CAPABILITY completed"]);
        let r = c.cmd("b LOGIN alice wrong").await;
        assert_lines(&r, &["b NO [AUTHENTICATIONFAILED] %"]);
        let r = c.cmd("c SELECT INBOX").await;
        assert_lines(&r, &["c BAD SELECT needs LOGIN first"]);
        let r = c.cmd("d LOGIN alice secret").await;
        assert_lines(&r, &["d OK [CAPABILITY %] LOGIN completed"]);
        let r = c.cmd("e LOGIN alice secret").await;
        assert_lines(&r, &["e BAD already logged in"]);
        let r = c.cmd("f ID (\"name\" \"test\" \"version\" \"1\")").await;
        assert_lines(&r, &["* ID (\"name\" \"Hadron\" \"version\" \"%\")", "f OK ID completed"]);
        let r = c.cmd("g ID NIL").await;
        assert_lines(&r, &["* ID (%)", "g OK ID completed"]);
        let r = c.cmd("f LOGOUT").await;
        assert_lines(&r, &["* BYE logging out", "f OK LOGOUT completed"]);
        c.expect_closed().await;
    }

    async fn authenticate_plain_with_initial_response_and_continuation(backend) {
        let server = TestServer::start(backend).await;
        // SASL-IR: base64("\0alice\0secret").
        let mut c = server.connect().await;
        let r = c.cmd("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==").await;
        assert_lines(&r, &["a OK [CAPABILITY %] AUTHENTICATE completed"]);
        c.cmd_ok("b SELECT INBOX").await;
        // Continuation: an empty challenge, then the response.
        let mut c = server.connect().await;
        c.line("a AUTHENTICATE PLAIN").await;
        c.expect(&["+ "]).await;
        c.line("AGJvYgBzZWNyZXQ=").await; // "\0bob\0secret"
        c.expect(&["a OK [CAPABILITY %] AUTHENTICATE completed"]).await;
        // Wrong password, cancellation, other mechanisms, another user's authzid.
        let mut c = server.connect().await;
        let r = c.cmd("a AUTHENTICATE PLAIN AGFsaWNlAHdyb25n").await; // "\0alice\0wrong"
        assert_lines(&r, &["a NO [AUTHENTICATIONFAILED] %"]);
        c.line("b AUTHENTICATE PLAIN").await;
        c.expect(&["+ "]).await;
        c.line("*").await;
        c.expect(&["b BAD AUTHENTICATE cancelled"]).await;
        let r = c.cmd("c AUTHENTICATE CRAM-MD5").await;
        assert_lines(&r, &["c NO [CANNOT] unsupported authentication mechanism CRAM-MD5; use PLAIN"]);
        let r = c.cmd("d AUTHENTICATE PLAIN Ym9iAGFsaWNlAHNlY3JldA==").await; // "bob\0alice\0secret"
        assert_lines(&r, &["d NO [AUTHORIZATIONFAILED] %"]);
        let r = c.cmd("e AUTHENTICATE PLAIN YWxpY2U=").await; // "alice": no NULs
        assert_lines(&r, &["e BAD AUTHENTICATE PLAIN: expected authzid NUL authcid NUL password"]);
        let r = c.cmd("f NOOP").await;
        assert_lines(&r, &["f OK NOOP completed"]);
    }

    async fn select_sends_the_rfc_3501_sequence(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let m = message("one", "x");
        c.line(&format!("a APPEND INBOX (\\Seen) {{{}+}}\r\n{m}", m.len())).await;
        c.expect(&["a OK [APPENDUID % 1] APPEND completed"]).await;
        append_n(&mut c, "INBOX", 1).await;
        let r = c.cmd("s SELECT INBOX").await;
        assert_lines(&r, &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* 2 EXISTS",
            "* 2 RECENT",
            "* OK [UNSEEN 2] %",
            "* OK [UIDVALIDITY %] %",
            "* OK [UIDNEXT 3] %",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] %",
            "* OK [MAILBOXID (%)] %",
            "s OK [READ-WRITE] SELECT completed",
        ]);
        // Selecting again closes the first (RFC 7162 §3.2.11: CLOSED).
        let r = c.cmd("e EXAMINE INBOX").await;
        assert_lines(&r, &[
            "* OK [CLOSED] %",
            "* FLAGS (%)",
            "* 2 EXISTS",
            "* 0 RECENT",
            "* OK [UNSEEN 2] %",
            "* OK [UIDVALIDITY %] %",
            "* OK [UIDNEXT 3] %",
            "* OK [PERMANENTFLAGS ()] %",
            "* OK [MAILBOXID (%)] %",
            "e OK [READ-ONLY] EXAMINE completed",
        ]);
        let r = c.cmd("n SELECT Nope").await;
        assert_lines(&r, &["* OK [CLOSED] %", "n NO [NONEXISTENT] %"]);
        // A failed SELECT leaves no mailbox selected.
        let r = c.cmd("f FETCH 1 FLAGS").await;
        assert_lines(&r, &["f BAD FETCH needs a selected mailbox"]);
    }

    async fn fetch_and_store(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append_n(&mut c, "INBOX", 2).await;
        c.cmd_ok("s SELECT INBOX").await;
        let r = c.cmd("a FETCH 1:2 (UID FLAGS)").await;
        assert_lines(&r, &[
            "* 1 FETCH (UID 1 FLAGS (\\Recent))",
            "* 2 FETCH (UID 2 FLAGS (\\Recent))",
            "a OK FETCH completed",
        ]);
        let m = message("message 1", "body 1");
        let r = c.cmd("b FETCH 1 BODY.PEEK[]").await;
        assert_lines(&r, &[&format!("* 1 FETCH (BODY[] {{{}}}\r\n{m})", m.len()), "b OK FETCH completed"]);
        // BODY[] sets \Seen and reports it.
        let r = c.cmd("c FETCH 1 BODY[HEADER.FIELDS (SUBJECT)]").await;
        assert_lines(&r, &[
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {%}\r\nSubject: message 1\r\n\r\n FLAGS (\\Seen \\Recent))",
            "c OK FETCH completed",
        ]);
        let r = c.cmd("d STORE 2 +FLAGS (\\Flagged $Work)").await;
        // $Work is new: announced before its first use (RFC 3501 §7.2.6).
        assert_lines(&r, &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] limited",
            "* 2 FETCH (FLAGS (\\Flagged $Work \\Recent))",
            "d OK STORE completed",
        ]);
        let r = c.cmd("e STORE 2 -FLAGS.SILENT (\\Flagged)").await;
        assert_lines(&r, &["e OK STORE completed"]);
        let r = c.cmd("f UID FETCH 2:* (FLAGS)").await;
        assert_lines(&r, &["* 2 FETCH (UID 2 FLAGS ($Work \\Recent))", "f OK FETCH completed"]);
        // `UID n:*` above the top UID still matches the highest message.
        let r = c.cmd("g UID FETCH 10:* (UID)").await;
        assert_lines(&r, &["* 2 FETCH (UID 2)", "g OK FETCH completed"]);
        let r = c.cmd("h FETCH 3 FLAGS").await;
        assert_lines(&r, &["h BAD %"]);
        let r = c.cmd("i FETCH 1 (ENVELOPE)").await;
        assert_lines(&r, &["* 1 FETCH (ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"message 1\" %))", "i OK FETCH completed"]);
    }

    async fn append_with_a_synchronising_literal_waits_for_the_continuation(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let m = message("sync", "hello");
        c.line(&format!("a APPEND INBOX (\\Draft) {{{}}}", m.len())).await;
        c.expect(&["+ Ready for literal data"]).await;
        c.send(m.as_bytes()).await;
        c.line("").await;
        c.expect(&["a OK [APPENDUID % 1] APPEND completed"]).await;
        // `{0}` is a valid (empty) literal.
        c.line("b APPEND INBOX {0}").await;
        c.expect(&["+ Ready for literal data"]).await;
        c.line("").await;
        c.expect(&["b OK [APPENDUID % 2] APPEND completed"]).await;
        // Into a mailbox that does not exist: TRYCREATE.
        let r = c.cmd(&format!("c APPEND Nope {{{}+}}\r\n{m}", m.len())).await;
        assert_lines(&r, &["c NO [TRYCREATE] %"]);
        let r = c.cmd("d STATUS INBOX (MESSAGES UIDNEXT)").await;
        assert_lines(&r, &["* STATUS INBOX (MESSAGES 2 UIDNEXT 3)", "d OK STATUS completed"]);
    }

    async fn multiappend_stores_all_messages_in_one_command_or_none(backend) {
        // RFC 3502: several messages in one APPEND, with their own flags
        // and dates, committed together; APPENDUID names all of them.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let (m1, m2) = (message("one", "first"), message("two", "second"));
        let r = c
            .cmd(&format!(
                "a APPEND INBOX (\\Seen) {{{}+}}\r\n{m1} (\\Flagged) \"01-Jan-2020 10:00:00 +0000\" {{{}+}}\r\n{m2}",
                m1.len(),
                m2.len()
            ))
            .await;
        assert_lines(&r, &["a OK [APPENDUID % 1:2] APPEND completed"]);
        c.cmd_ok("b SELECT INBOX").await;
        let r = c.cmd("c FETCH 1:2 (FLAGS INTERNALDATE)").await;
        assert_lines(&r, &[
            "* 1 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE %)",
            "* 2 FETCH (FLAGS (\\Flagged \\Recent) INTERNALDATE \" 1-Jan-2020 10:00:00 +0000\")",
            "c OK FETCH completed",
        ]);
        // Into a mailbox that does not exist: nothing is stored.
        let r = c
            .cmd(&format!("d APPEND Nope {{{}+}}\r\n{m1} {{{}+}}\r\n{m2}", m1.len(), m2.len()))
            .await;
        assert_lines(&r, &["d NO [TRYCREATE] %"]);
        let r = c.cmd("e STATUS INBOX (MESSAGES)").await;
        assert_lines(&r, &["* STATUS INBOX (MESSAGES 2)", "e OK STATUS completed"]);
        // Migration tools send hundreds per command: bounded by bytes,
        // not by a literal count (imaptest found a limit of 128).
        let mut cmd = "f APPEND INBOX".to_owned();
        for i in 0..300 {
            let m = message("bulk", &format!("number {i}"));
            cmd.push_str(&format!(" {{{}+}}\r\n{m}", m.len()));
        }
        assert_lines(&c.cmd(&cmd).await, &[
            "* 302 EXISTS",
            "* 302 RECENT",
            "f OK [APPENDUID % 3:302] APPEND completed",
        ]);
    }

    async fn copy_move_and_expunge(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append_n(&mut c, "INBOX", 3).await;
        c.cmd_ok("s SELECT INBOX").await;
        let r = c.cmd("a COPY 1:2 Trash").await;
        assert_lines(&r, &["a OK [COPYUID % 1:2 1:2] COPY completed"]);
        let r = c.cmd("b COPY 1 Nope").await;
        assert_lines(&r, &["b NO [TRYCREATE] %"]);
        let r = c.cmd("c MOVE 2 Archive").await;
        assert_lines(&r, &["* OK [COPYUID % 2 1] %", "* 2 EXPUNGE", "c OK MOVE completed"]);
        let r = c.cmd("d STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        assert_lines(&r, &["d OK STORE completed"]);
        let r = c.cmd("e EXPUNGE").await;
        assert_lines(&r, &["* 1 EXPUNGE", "e OK EXPUNGE completed"]);
        let r = c.cmd("f FETCH 1:* (UID)").await;
        assert_lines(&r, &["* 1 FETCH (UID 3)", "f OK FETCH completed"]);
        let r = c.cmd("g STATUS Trash (MESSAGES)").await;
        assert_lines(&r, &["* STATUS Trash (MESSAGES 2)", "g OK STATUS completed"]);
        // CLOSE expunges silently.
        c.cmd_ok("h STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        let r = c.cmd("i CLOSE").await;
        assert_lines(&r, &["i OK CLOSE completed"]);
        let r = c.cmd("j STATUS INBOX (MESSAGES)").await;
        assert_lines(&r, &["* STATUS INBOX (MESSAGES 0)", "j OK STATUS completed"]);
    }

    async fn mailbox_commands_and_special_use(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let r = c.cmd("a LIST \"\" *").await;
        assert_lines(&r, &[
            "* LIST (\\HasNoChildren) \"/\" INBOX",
            "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
            "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
            "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
            "a OK LIST completed",
        ]);
        let r = c.cmd("n NAMESPACE").await;
        assert_lines(&r, &["* NAMESPACE ((\"\" \"/\")) NIL NIL", "n OK %"]);
        c.cmd_ok("b CREATE Projects/Hadron").await;
        let r = c.cmd("c CREATE Projects/Hadron").await;
        assert_lines(&r, &["c NO [ALREADYEXISTS] %"]);
        c.cmd_ok("d RENAME Projects Work").await;
        let r = c.cmd("e LIST \"\" Work*").await;
        assert_lines(&r, &[
            "* LIST (\\HasChildren) \"/\" Work",
            "* LIST (\\HasNoChildren) \"/\" Work/Hadron",
            "e OK LIST completed",
        ]);
        c.cmd_ok("f DELETE Work/Hadron").await;
        let r = c.cmd("g DELETE INBOX").await;
        assert_lines(&r, &["g NO %"]);
        // Users cannot see each other's mailboxes.
        let mut b = server.login("bob").await;
        let r = b.cmd("h LIST \"\" Work*").await;
        assert_lines(&r, &["h OK LIST completed"]);
        let r = b.cmd("i SELECT Work").await;
        assert_lines(&r, &["i NO [NONEXISTENT] %"]);
    }

    async fn malformed_input_gets_bad_with_a_reason(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let r = c.cmd("a FOOBAR x").await;
        assert_lines(&r, &["a BAD unknown command FOOBAR"]);
        let r = c.cmd("b SELECT").await;
        assert_lines(&r, &["b BAD SELECT: %"]);
        c.line("(garbage) NOOP").await;
        c.expect(&["* BAD %"]).await;
        c.send(b"c NOOP\n").await;
        c.expect(&["c BAD line ends in a bare LF; IMAP lines must end in CRLF"]).await;
        c.send(b"d LOGIN a\0b c\r\n").await;
        c.expect(&["d BAD %"]).await;
        c.send("e SELECT \"Ünïcode\"\r\n".as_bytes()).await;
        c.expect(&["e BAD %"]).await;
        let long = format!("f NOOP {}", "x".repeat(100 * 1024));
        c.line(&long).await;
        c.expect(&["f BAD line longer than the 64 KiB limit"]).await;
        // The connection is still fine.
        let r = c.cmd("g NOOP").await;
        assert_lines(&r, &["g OK NOOP completed"]);
    }

    async fn an_oversized_literal_is_refused_before_it_is_sent(backend) {
        let limits = Limits { max_literal: 16 * 1024, ..Limits::default() };
        let server = TestServer::start_with(backend, limits).await;
        let mut c = server.login("alice").await;
        c.line("a APPEND INBOX {999999999}").await;
        c.expect(&["a NO [TOOBIG] literal of 999999999 bytes exceeds the 16384 byte limit"]).await;
        // The client never sends the data; the next command is read normally.
        let r = c.cmd("b NOOP").await;
        assert_lines(&r, &["b OK NOOP completed"]);
        // Before login, literals are small (user names and passwords).
        let mut d = server.connect().await;
        d.line("a LOGIN {10000}").await;
        d.expect(&["a BAD literal of 10000 bytes before login (at most 8192)"]).await;
        // A non-synchronising literal over the limit cannot be skipped: BYE.
        c.line("c APPEND INBOX {50000+}").await;
        c.expect(&["* BYE literal of 48.8 KiB exceeds the 16 KiB limit"]).await;
        c.expect_closed().await;
    }

    async fn pipelined_commands_are_answered_in_order(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let m = message("p", "q");
        let mut burst = String::new();
        for i in 0..20 {
            burst.push_str(&format!("p{i} APPEND INBOX {{{}+}}\r\n{m}\r\n", m.len()));
        }
        burst.push_str("s SELECT INBOX\r\nf FETCH 20 (UID)\r\nn NOOP\r\n");
        c.send(burst.as_bytes()).await;
        for i in 0..20 {
            c.expect(&[&format!("p{i} OK [APPENDUID % {}] APPEND completed", i + 1)]).await;
        }
        let r = c.until_tagged("s").await;
        assert_eq!(r[1], "* 20 EXISTS");
        c.expect(&["* 20 FETCH (UID 20)", "f OK FETCH completed", "n OK NOOP completed"]).await;
        // Byte by byte works as well.
        for b in b"b1 NOOP\r\n" {
            c.send(&[*b]).await;
        }
        c.expect(&["b1 OK NOOP completed"]).await;
    }

    async fn idle_ends_with_done(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.connect().await;
        let r = c.cmd("a IDLE").await;
        assert_lines(&r, &["a BAD IDLE needs LOGIN first"]);
        c.cmd_ok("b LOGIN alice secret").await;
        c.line("c IDLE").await;
        c.expect(&["+ idling"]).await;
        c.line("DONE").await;
        c.expect(&["c OK IDLE terminated"]).await;
        c.line("d IDLE").await;
        c.expect(&["+ idling"]).await;
        c.line("NOOP").await;
        c.expect(&["d BAD expected DONE to end IDLE"]).await;
    }

    async fn too_many_bad_commands_close_the_connection(backend) {
        let limits = Limits { max_bad_commands: 3, ..Limits::default() };
        let server = TestServer::start_with(backend, limits).await;
        let mut c = server.connect().await;
        c.send(b"a X\r\nb Y\r\nc Z\r\nd NOOP\r\n").await;
        c.expect(&[
            "a BAD unknown command X",
            "b BAD unknown command Y",
            "c BAD unknown command Z",
            "* BYE too many invalid commands; closing",
        ]).await;
        c.expect_closed().await;
    }

    async fn connections_over_the_limit_are_refused(backend) {
        let limits = Limits { max_connections: 1, ..Limits::default() };
        let server = TestServer::start_with(backend, limits).await;
        let mut first = server.connect().await;
        let mut second = common::Client::connect(server.addr).await;
        second.expect(&["* BYE [UNAVAILABLE] too many connections; try again later"]).await;
        second.expect_closed().await;
        first.cmd_ok("a LOGOUT").await;
        first.expect_closed().await;
    }

    async fn silent_clients_are_logged_out(backend) {
        let limits = Limits { login_timeout_secs: 1, ..Limits::default() };
        let server = TestServer::start_with(backend, limits).await;
        let mut c = server.connect().await;
        c.expect(&["* BYE autologout; idle for too long"]).await;
        c.expect_closed().await;
    }

    async fn shutdown_says_bye_to_every_connection(backend) {
        let mut server = TestServer::start(backend).await;
        let mut a = server.connect().await;
        let mut b = server.login("alice").await;
        b.line("i IDLE").await;
        b.expect(&["+ idling"]).await;
        server.stop().await;
        a.expect(&["* BYE server shutting down; please reconnect"]).await;
        a.expect_closed().await;
        b.expect(&["* BYE server shutting down; please reconnect"]).await;
        b.expect_closed().await;
        assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
    }

    async fn failed_logins_are_delayed_then_refused(backend) {
        let limits = Limits {
            login_free_failures: 1,
            login_delay_ms: 50,
            login_lockout_failures: 3,
            ..Limits::default()
        };
        let server = TestServer::start_with(backend, limits).await;
        let mut c = server.connect().await;
        let r = c.cmd("a LOGIN alice wrong").await;
        assert_lines(&r, &["a NO [AUTHENTICATIONFAILED] %"]);
        let t = std::time::Instant::now();
        let r = c.cmd("b LOGIN alice wrong").await;
        assert_lines(&r, &["b NO [AUTHENTICATIONFAILED] %"]);
        assert!(t.elapsed() >= Duration::from_millis(50), "{:?}", t.elapsed());
        let t = std::time::Instant::now();
        let r = c.cmd("c AUTHENTICATE PLAIN AGFsaWNlAHdyb25n").await; // "\0alice\0wrong"
        assert_lines(&r, &["c NO [AUTHENTICATIONFAILED] %"]);
        assert!(t.elapsed() >= Duration::from_millis(100), "{:?}", t.elapsed());
        // Locked out: even the right password is refused, for every user
        // from this address.
        let r = c.cmd("d LOGIN alice secret").await;
        assert_lines(&r, &["d NO [UNAVAILABLE] too many failed logins; try again in 5 minutes"]);
        let mut other = server.connect().await;
        let r = other.cmd("e LOGIN bob secret").await;
        assert_lines(&r, &["e NO [UNAVAILABLE] %"]);
    }

    async fn connections_per_address_and_sessions_per_user_are_limited(backend) {
        let limits = Limits {
            max_connections_per_ip: 2,
            max_sessions_per_user: 1,
            ..Limits::default()
        };
        let server = TestServer::start_with(backend, limits).await;
        let mut a = server.login("alice").await;
        let mut b = server.connect().await;
        let mut third = common::Client::connect(server.addr).await;
        third.expect(&["* BYE [UNAVAILABLE] too many connections from your address"]).await;
        third.expect_closed().await;
        let r = b.cmd("x LOGIN alice secret").await;
        assert_lines(&r, &["x NO [LIMIT] too many sessions for this user"]);
        a.cmd_ok("y LOGOUT").await;
        a.expect_closed().await;
        b.cmd_ok("z LOGIN alice secret").await;
    }

    async fn a_client_that_stops_reading_is_dropped(backend) {
        let limits = Limits { write_timeout_secs: 1, ..Limits::default() };
        let server = TestServer::start_with(backend, limits).await;
        let mut c = server.login("alice").await;
        let m = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(4 << 20));
        let r = c.cmd(&format!("a APPEND INBOX {{{}+}}\r\n{m}", m.len())).await;
        assert_lines(&r, &["a OK %"]);
        c.cmd_ok("s SELECT INBOX").await;
        // 40 MiB of responses that the client does not read.
        let burst: String = (0..10).map(|i| format!("f{i} FETCH 1 BODY.PEEK[]\r\n")).collect();
        c.send(burst.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        // The server gave up: reading now ends before the last response.
        let mut tags = Vec::new();
        while let Some(line) = c.read().await {
            if let Some(tag) = line.split(' ').next().filter(|t| t.starts_with('f')) {
                tags.push(tag.to_owned());
            }
        }
        assert!(!tags.contains(&"f9".to_owned()), "all responses were written: {tags:?}");
    }
}

/// `n` clients connect and are all open at once, then each logs in
/// (a real Argon2 check at the default cost, at most
/// `max_concurrent_logins` at a time), selects INBOX and logs out; every
/// step must succeed. The last logins wait behind all the others' Argon2
/// checks (about 30 ms of CPU each), hence the long per-response wait;
/// the time taken is printed.
async fn concurrent_logins(backend: common::Backend, n: usize) {
    let limits = Limits {
        max_connections: 2 * n,
        max_connections_per_ip: 2 * n,
        max_sessions_per_user: 2 * n,
        ..Limits::default()
    };
    let server = TestServer::start_with(backend, limits).await;
    let all_open = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..n {
        let (addr, all_open) = (server.addr, all_open.clone());
        let user = if i % 2 == 0 { "alice" } else { "bob" };
        tasks.push(tokio::spawn(async move {
            let mut c = common::Client::connect(addr).await;
            c.expect(&["* OK [CAPABILITY %] Hadron ready"]).await;
            // Every connection is greeted quickly, so all are open at once;
            // if one is not, fail instead of waiting here for ever.
            tokio::time::timeout(common::TIMEOUT, all_open.wait())
                .await
                .expect("not every client was greeted");
            let mut c = c.with_timeout(Duration::from_secs(300));
            let r = c.cmd(&format!("a LOGIN {user} secret")).await;
            assert_lines(&r, &["a OK [CAPABILITY %] LOGIN completed"]);
            let r = c.cmd("b SELECT INBOX").await;
            assert_eq!(
                r.last().unwrap(),
                "b OK [READ-WRITE] SELECT completed",
                "{r:?}"
            );
            let r = c.cmd("c LOGOUT").await;
            assert_lines(&r, &["* BYE logging out", "c OK LOGOUT completed"]);
            c.expect_closed().await;
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(300), t)
            .await
            .expect("client hung")
            .unwrap();
    }
    eprintln!("{n} concurrent logins took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_connections_log_in_select_and_log_out_sqlite() {
    concurrent_logins(common::Backend::Sqlite, 500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_connections_log_in_select_and_log_out_postgres() {
    if let Some(b) = common::Backend::postgres() {
        concurrent_logins(b, 50).await;
    }
}

/// Failed logins count for the cluster: failures spread over two instances
/// on one database lock the address and the user out of both (issue 11).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_lock_out_across_instances() {
    let Some(backend) = common::Backend::two_instances() else {
        return;
    };
    let limits = Limits {
        login_free_failures: 0,
        login_delay_ms: 1,
        login_lockout_failures: 3,
        ..Limits::default()
    };
    let server = TestServer::start_with(backend, limits).await;
    // `connect` takes the instances in turn: one, two, one, two.
    let mut one = server.connect().await;
    let mut two = server.connect().await;
    for (on_one, tag) in [(true, "a"), (false, "b"), (true, "c")] {
        let c = if on_one { &mut one } else { &mut two };
        let r = c.cmd(&format!("{tag} LOGIN alice wrong")).await;
        assert_lines(&r, &[&format!("{tag} NO [AUTHENTICATIONFAILED] %")]);
    }
    // Instance two saw one failure itself; the cluster saw three.
    let r = two.cmd("d LOGIN alice secret").await;
    assert_lines(&r, &["d NO [UNAVAILABLE] too many failed logins; %"]);
    let mut another = server.connect().await;
    let r = another.cmd("e LOGIN bob secret").await;
    assert_lines(&r, &["e NO [UNAVAILABLE] too many failed logins; %"]);
}
