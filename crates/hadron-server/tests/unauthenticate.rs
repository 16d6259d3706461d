//! Black-box tests of UNAUTHENTICATE (RFC 8437) and of LITERAL- before
//! login (RFC 7888 §5): what a connection offers and keeps as it goes from
//! one user to the next. Every test runs on SQLite and, with
//! `HADRON_TEST_PG`, on PostgreSQL.
#![allow(missing_docs)]

mod common;

use common::{TestServer, append_n, assert_lines};
use hadron_server::config::Limits;

/// The words of a `* CAPABILITY` line.
fn words(caps: &[String]) -> Vec<String> {
    caps[0].split(' ').map(str::to_owned).collect()
}

/// `n` bytes of `x`.
fn xs(n: usize) -> String {
    "x".repeat(n)
}

both! {
    async fn non_sync_literals_are_literal_minus_before_login_and_literal_plus_after(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.connect().await;
        let caps = words(&c.cmd("a CAPABILITY").await);
        assert!(caps.contains(&"LITERAL-".to_owned()), "{caps:?}");
        assert!(!caps.contains(&"LITERAL+".to_owned()), "{caps:?}");
        assert!(!caps.contains(&"UNAUTHENTICATE".to_owned()), "{caps:?}");
        assert!(!caps.contains(&"COMPRESS=DEFLATE".to_owned()), "{caps:?}");
        // 4096 bytes are fine (a wrong password, but read as one).
        c.send(format!("b LOGIN {{4096+}}\r\n{} secret\r\n", xs(4096)).as_bytes()).await;
        c.expect(&["b NO [AUTHENTICATIONFAILED] %"]).await;
        // 5000 are refused, the data skipped, and the connection in step.
        c.send(format!("c LOGIN {{5000+}}\r\n{} secret\r\n", xs(5000)).as_bytes()).await;
        c.expect(&["c BAD [TOOBIG] literal of 4.9 KiB exceeds the 4 KiB limit"]).await;
        // Literal data that looks like commands is never run.
        let trap = format!("d1 LOGIN alice secret\r\n{}", xs(5000 - 23));
        c.send(format!("d LOGIN {{5000+}}\r\n{trap} secret\r\n").as_bytes()).await;
        c.expect(&["d BAD [TOOBIG] %"]).await;
        let r = c.cmd("e SELECT INBOX").await;
        assert_lines(&r, &["e BAD SELECT needs LOGIN first"]);
        // LOGIN's OK says what changed, without a round trip.
        let r = c.cmd_ok("f LOGIN alice secret").await;
        assert!(r[0].starts_with("f OK [CAPABILITY IMAP4rev1 "), "{r:?}");
        assert!(r[0].contains(" LITERAL+ COMPRESS=DEFLATE UNAUTHENTICATE "), "{r:?}");
        let caps = words(&c.cmd("g CAPABILITY").await);
        assert!(caps.contains(&"LITERAL+".to_owned()), "{caps:?}");
        assert!(!caps.contains(&"LITERAL-".to_owned()), "{caps:?}");
        assert!(caps.contains(&"UNAUTHENTICATE".to_owned()), "{caps:?}");
        assert!(caps.contains(&"COMPRESS=DEFLATE".to_owned()), "{caps:?}");
        // Logged in, LITERAL+ takes a large message unasked.
        let m = format!("Subject: big\r\n\r\n{}\r\n", xs(20_000));
        c.send(format!("h APPEND INBOX {{{}+}}\r\n{m}\r\n", m.len()).as_bytes()).await;
        c.expect(&["h OK [APPENDUID % 1] APPEND completed"]).await;
        // Back to not authenticated: LITERAL- again.
        c.cmd_ok("i UNAUTHENTICATE").await;
        let caps = words(&c.cmd("j CAPABILITY").await);
        assert!(caps.contains(&"LITERAL-".to_owned()), "{caps:?}");
        c.send(format!("k LOGIN {{5000+}}\r\n{} secret\r\n", xs(5000)).as_bytes()).await;
        c.expect(&["k BAD [TOOBIG] %"]).await;
        c.cmd_ok("l LOGIN alice secret").await;
    }

    async fn unauthenticate_lets_another_user_log_in_and_keeps_nothing_of_the_first(backend) {
        let limits = Limits { max_sessions_per_user: 1, ..Limits::default() };
        let server = TestServer::start_with(backend, limits).await;
        let mut c = server.connect().await;
        let r = c.cmd("a UNAUTHENTICATE").await;
        assert_lines(&r, &["a BAD UNAUTHENTICATE needs LOGIN first"]);
        c.cmd_ok("b LOGIN alice secret").await;
        assert_eq!(server.sessions.logged_in(), 1);
        c.cmd_ok("c CREATE alice-only").await;
        append_n(&mut c, "INBOX", 2).await;
        let r = c.cmd("d ENABLE CONDSTORE").await;
        assert_lines(&r, &["* ENABLED CONDSTORE", "d OK ENABLE completed"]);
        c.cmd_ok("e SELECT INBOX").await;
        c.cmd_ok("f SEARCH RETURN (SAVE) ALL").await;
        c.cmd_ok("g STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        // The user's one session is taken.
        let mut other = server.connect().await;
        let r = other.cmd("h LOGIN alice secret").await;
        assert_lines(&r, &["h NO [LIMIT] %"]);

        let r = c.cmd("i UNAUTHENTICATE").await;
        assert_lines(&r, &["i OK UNAUTHENTICATE completed; not authenticated"]);
        assert_eq!(server.sessions.logged_in(), 0);
        let r = c.cmd("j FETCH 1 FLAGS").await;
        assert_lines(&r, &["j BAD FETCH needs LOGIN first"]);
        let r = c.cmd("k LIST \"\" *").await;
        assert_lines(&r, &["k BAD LIST needs LOGIN first"]);

        // The slot is free again; the mailbox was left without expunging.
        other.cmd_ok("l LOGIN alice secret").await;
        let r = other.cmd("m STATUS INBOX (MESSAGES)").await;
        assert_lines(&r, &["* STATUS INBOX (MESSAGES 2)", "m OK %"]);

        // Bob on the same connection sees only his own mailboxes.
        c.cmd_ok("n LOGIN bob secret").await;
        let r = c.cmd("o LIST \"\" *").await;
        assert!(!r.iter().any(|l| l.contains("alice-only")), "{r:?}");
        assert!(r.iter().any(|l| l.contains("INBOX")), "{r:?}");
        // ENABLE starts over: CONDSTORE is newly enabled.
        let r = c.cmd("p ENABLE CONDSTORE").await;
        assert_lines(&r, &["* ENABLED CONDSTORE", "p OK ENABLE completed"]);
        let r = c.cmd("q SELECT INBOX").await;
        assert!(r.iter().any(|l| l.starts_with("* 0 EXISTS")), "{r:?}");
        // Alice's saved result is gone with her selection.
        let r = c.cmd("r SEARCH $").await;
        assert_lines(&r, &["* SEARCH", "r OK %"]);
        assert_eq!(server.sessions.logged_in(), 2);
    }

    async fn unauthenticate_pipelined_with_authenticate(backend) {
        // RFC 8437 §3: without a SASL layer the client may pipeline
        // UNAUTHENTICATE and AUTHENTICATE (SASL-IR): one round trip.
        let server = TestServer::start(backend).await;
        let mut c = server.select_inbox().await;
        // base64("\0bob\0secret")
        c.send(b"u UNAUTHENTICATE\r\nv AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\n").await;
        c.expect(&["u OK %", "v OK [CAPABILITY %] AUTHENTICATE completed"]).await;
        let r = c.cmd("w SELECT INBOX").await;
        assert!(r.iter().any(|l| l.starts_with("* 0 EXISTS")), "{r:?}");
        // Logged in, so UNAUTHENTICATE is on offer again and works again.
        c.cmd_ok("x UNAUTHENTICATE").await;
        c.cmd_ok("y LOGIN alice secret").await;
        c.cmd_ok("z LOGOUT").await;
    }
}
