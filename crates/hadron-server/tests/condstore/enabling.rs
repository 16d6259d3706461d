//! Turning CONDSTORE and QRESYNC on (RFC 7162 §3.1, §3.1.2, §3.1.8,
//! §3.2.3), what moves a mailbox's mod-sequence, and unsolicited FETCH
//! with MODSEQ (Example 14).

use super::*;

/// Whether `lines` hold a `[HIGHESTMODSEQ]` response code.
fn has_highest(lines: &[String]) -> bool {
    lines.iter().any(|l| l.contains("[HIGHESTMODSEQ "))
}

both! {
    async fn capability_advertises_condstore_and_qresync_and_enable_turns_them_on(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.connect().await;
        let r = c.cmd("c CAPABILITY").await;
        assert_lines(&r, &["* CAPABILITY %", "c OK CAPABILITY completed"]);
        let caps: Vec<&str> = r[0].split(' ').collect();
        for cap in ["CONDSTORE", "QRESYNC", "ENABLE"] {
            assert!(caps.contains(&cap), "{cap} is not advertised: {r:?}");
        }
        // ENABLE is for the authenticated state (RFC 5161 §3.1).
        let r = c.cmd("e0 ENABLE CONDSTORE").await;
        assert_lines(&r, &["e0 BAD %"]);
        c.cmd_ok("l LOGIN alice secret").await;
        let r = c.cmd("e1 ENABLE CONDSTORE").await;
        assert_lines(&r, &["* ENABLED CONDSTORE", "e1 OK ENABLE completed"]);
        let r = c.cmd("e2 ENABLE QRESYNC").await;
        assert_lines(&r, &["* ENABLED QRESYNC", "e2 OK ENABLE completed"]);
        // Nothing new to enable: an empty ENABLED.
        let r = c.cmd("e3 ENABLE QRESYNC CONDSTORE").await;
        assert_lines(&r, &["* ENABLED", "e3 OK ENABLE completed"]);

        // ENABLE QRESYNC turns CONDSTORE on too (§3.2.3): a later ENABLE
        // CONDSTORE has nothing to add, and SELECT reports HIGHESTMODSEQ.
        let mut q = server.login("alice").await;
        let r = q.cmd("e1 ENABLE QRESYNC").await;
        assert_lines(&r, &["* ENABLED QRESYNC", "e1 OK ENABLE completed"]);
        let r = q.cmd("e2 ENABLE CONDSTORE").await;
        assert_lines(&r, &["* ENABLED", "e2 OK ENABLE completed"]);
        let r = q.cmd("s SELECT INBOX").await;
        let mut expected = opening(0, 0, None, 1, Some(status_highest(&mut c, "INBOX").await));
        expected.push("s OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
        // Not with a mailbox selected (RFC 5161 §3.1).
        let r = q.cmd("e3 ENABLE CONDSTORE").await;
        assert_lines(&r, &["e3 BAD %"]);

        // "ENABLE QRESYNC CONDSTORE" in one command lists both.
        let mut b = server.login("alice").await;
        let r = b.cmd("e ENABLE QRESYNC CONDSTORE").await;
        assert_lines(&r, &["* ENABLED QRESYNC CONDSTORE", "e OK ENABLE completed"]);
    }

    async fn select_reports_highestmodseq_once_condstore_is_on(backend) {
        // RFC 7162 §3.1.2.1 Example 1 and §3.1.8 Example 18.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append_n(&mut c, "INBOX", 3).await;
        // No CONDSTORE-enabling command yet: no HIGHESTMODSEQ.
        let r = c.cmd("s1 SELECT INBOX").await;
        let mut expected = opening(3, 3, Some(1), 4, None);
        expected.push("s1 OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
        c.cmd_ok("u1 UNSELECT").await;

        // Example 18: SELECT (CONDSTORE) reports it, after the RFC 3501 responses.
        let r = c.cmd("A142 SELECT INBOX (CONDSTORE)").await;
        let h = highest_in(&r);
        let mut expected = opening(3, 0, Some(1), 4, Some(h));
        expected.push("A142 OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
        // It is the highest mod-sequence of all messages, and what another
        // session's STATUS says.
        let ms = modseqs(&mut c).await;
        assert_eq!(ms.len(), 3);
        assert_eq!(ms.values().max(), Some(&h), "{ms:?}");
        let mut w = server.login("alice").await;
        assert_eq!(status_highest(&mut w, "INBOX").await, h);

        // Example 1: from now on every SELECT and EXAMINE reports it.
        c.cmd_ok("u2 UNSELECT").await;
        let r = c.cmd("A143 SELECT INBOX").await;
        let mut expected = opening(3, 0, Some(1), 4, Some(h));
        expected.push("A143 OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
        c.cmd_ok("u3 UNSELECT").await;
        let r = c.cmd("e1 EXAMINE INBOX").await;
        let mut expected = opening(3, 0, Some(1), 4, Some(h));
        expected.push("e1 OK [READ-ONLY] EXAMINE completed".to_owned());
        assert_patterns(&r, &expected);

        // EXAMINE (CONDSTORE) on a connection of its own.
        let mut d = server.login("alice").await;
        let r = d.cmd("e2 EXAMINE INBOX (CONDSTORE)").await;
        let mut expected = opening(3, 0, Some(1), 4, Some(h));
        expected.push("e2 OK [READ-ONLY] EXAMINE completed".to_owned());
        assert_patterns(&r, &expected);
    }

    async fn first_condstore_enabling_command_reports_the_selected_mailboxs_highestmodseq_once(backend) {
        // RFC 7162 §3.1: "A first CONDSTORE enabling command executed in the
        // session with a mailbox selected MUST cause the server to return
        // HIGHESTMODSEQ"; Example 5 (its first conditional STORE).
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        mailbox_with_gaps(&mut setup, "INBOX", 3, "").await;
        setup.cmd_ok("s SELECT INBOX").await;
        setup.cmd_ok("d STORE 3 +FLAGS.SILENT (\\Deleted)").await;
        let ms = modseqs(&mut setup).await;
        let h = status_highest(&mut setup, "INBOX").await;
        assert_eq!(ms.values().max(), Some(&h));
        let m1 = ms[&1];

        // Each enabling command, first and second time, each on a
        // connection with INBOX selected and CONDSTORE off.
        let cases: Vec<(String, Vec<String>)> = vec![
            ("FETCH 1 (MODSEQ)".to_owned(), vec![format!("* 1 FETCH (MODSEQ ({m1}))")]),
            (format!("UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h})"), vec![]),
            ("SEARCH MODSEQ 1".to_owned(), vec![format!("* SEARCH 1 2 3 (MODSEQ {h})")]),
            ("STATUS INBOX (HIGHESTMODSEQ)".to_owned(), vec![format!("* STATUS INBOX (HIGHESTMODSEQ {h})")]),
        ];
        for (command, data) in cases {
            let mut c = server.login("alice").await;
            let r = c.cmd("s SELECT INBOX").await;
            assert!(!has_highest(&r), "{r:?}");
            // Not an enabling command.
            let r = c.cmd("n FETCH 1 (FLAGS)").await;
            assert_lines(&r, &["* 1 FETCH (FLAGS ())", "n OK FETCH completed"]);
            let verb = if command.starts_with("UID") { "FETCH" } else { command.split(' ').next().unwrap() };
            let r = c.cmd(&format!("f1 {command}")).await;
            let mut expected = vec![format!("* OK [HIGHESTMODSEQ {h}] %")];
            expected.extend(data.iter().cloned());
            expected.push(format!("f1 OK {verb} completed"));
            assert_patterns(&r, &expected);
            // Told once only.
            let r = c.cmd(&format!("f2 {command}")).await;
            let mut expected = data.clone();
            expected.push(format!("f2 OK {verb} completed"));
            assert_patterns(&r, &expected);
        }

        // Example 5: a conditional STORE as the first enabling command.
        let mut c = server.login("alice").await;
        let r = c.cmd("s SELECT INBOX").await;
        assert!(!has_highest(&r), "{r:?}");
        let r = c.cmd(&format!("c101 STORE 3 (UNCHANGEDSINCE {h}) -FLAGS.SILENT (\\Deleted)")).await;
        assert_patterns(&r, &[
            format!("* OK [HIGHESTMODSEQ {h}] %"),
            "* 3 FETCH (UID 3 MODSEQ (%))".to_owned(),
            "c101 OK STORE completed".to_owned(),
        ]);
        let h2 = modseq_of(&r[1]);
        assert!(h2 > h, "{r:?}");
        let r = c.cmd(&format!("c102 STORE 3 (UNCHANGEDSINCE {h2}) +FLAGS.SILENT (\\Deleted)")).await;
        assert_lines(&r, &["* 3 FETCH (UID 3 MODSEQ (%))", "c102 OK STORE completed"]);
        assert!(modseq_of(&r[0]) > h2, "{r:?}");

        // ENABLE CONDSTORE before SELECT: SELECT reports it, and nothing else does.
        let mut c = server.login("alice").await;
        c.cmd_ok("e ENABLE CONDSTORE").await;
        let r = c.cmd_ok("s SELECT INBOX").await;
        let h3 = highest_in(&r);
        let r = c.cmd("f FETCH 1 (MODSEQ)").await;
        assert_patterns(&r, &[format!("* 1 FETCH (MODSEQ ({m1}))"), "f OK FETCH completed".to_owned()]);
        assert_eq!(h3, status_highest(&mut c, "INBOX").await);
    }

    async fn mod_sequences_start_above_zero_and_status_reports_highestmodseq(backend) {
        // RFC 7162 §3.1.7 Example 17.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        c.cmd_ok("c CREATE blurdybloop").await;
        // An empty mailbox that keeps mod-sequences never reports 0 (§3.1.7).
        let empty = status_highest(&mut c, "blurdybloop").await;
        assert!(empty > 0);
        append_n(&mut c, "blurdybloop", 3).await;
        let r = c.cmd("A042 STATUS blurdybloop (UIDNEXT MESSAGES HIGHESTMODSEQ)").await;
        assert_lines(&r, &[
            "* STATUS blurdybloop (UIDNEXT 4 MESSAGES 3 HIGHESTMODSEQ %)",
            "A042 OK STATUS completed",
        ]);
        let h = num_after(&r[0], "HIGHESTMODSEQ ");
        assert!(h > empty, "{r:?}");
        // The value SELECT reports.
        let r = c.cmd_ok("s SELECT blurdybloop").await;
        assert_eq!(highest_in(&r), h);
    }
}

spread! {
    async fn unsolicited_fetch_carries_modseq_once_condstore_is_on(backend) {
        // RFC 7162 §3.1.4.2 Example 14 (sessions 1 and 2: one user), and
        // §3.1: MODSEQ only after a CONDSTORE-enabling command.
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        append_flagged(&mut setup, "INBOX", "\\Answered").await;
        mailbox_with_gaps(&mut setup, "INBOX", 0, "").await;
        let mut s1 = server.login("alice").await;
        let mut s2 = server.login("alice").await;
        s1.cmd_ok("A142 SELECT INBOX (CONDSTORE)").await;
        s2.cmd_ok("C142 SELECT INBOX").await;

        let r = s1.cmd("A160 STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1 MODSEQ (%))", "A160 OK STORE completed"]);
        let m1 = modseq_of(&r[0]);
        // CONDSTORE is off in session 2: no MODSEQ.
        let r = s2.cmd("C180 NOOP").await;
        assert_lines(&r, &["* 1 FETCH (FLAGS (\\Answered \\Deleted) UID 1)", "C180 OK NOOP completed"]);
        // Turned on by FETCH MODSEQ.
        settle(&server).await;
        let r = s2.cmd("C190 FETCH 1 (MODSEQ)").await;
        assert_patterns(&r, &[
            format!("* OK [HIGHESTMODSEQ {m1}] %"),
            format!("* 1 FETCH (MODSEQ ({m1}))"),
            "C190 OK FETCH completed".to_owned(),
        ]);

        let r = s1.cmd("A240 STORE 1 +FLAGS.SILENT (\\Seen)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1 MODSEQ (%))", "A240 OK STORE completed"]);
        let m2 = modseq_of(&r[0]);
        assert!(m2 > m1);
        let r = s2.cmd("C270 NOOP").await;
        assert_patterns(&r, &[
            format!("* 1 FETCH (FLAGS (\\Answered \\Deleted \\Seen) UID 1 MODSEQ ({m2}))"),
            "C270 OK NOOP completed".to_owned(),
        ]);

        let r = s1.cmd("A330 STORE 1 -FLAGS.SILENT (\\Answered \\Seen)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1 MODSEQ (%))", "A330 OK STORE completed"]);
        let m3 = modseq_of(&r[0]);
        assert!(m3 > m2);
        let r = s2.cmd("C360 NOOP").await;
        assert_patterns(&r, &[
            format!("* 1 FETCH (FLAGS (\\Deleted) UID 1 MODSEQ ({m3}))"),
            "C360 OK NOOP completed".to_owned(),
        ]);
        // Nothing else is pending.
        let r = s2.cmd("C370 NOOP").await;
        assert_lines(&r, &["C370 OK NOOP completed"]);
    }

    async fn every_change_raises_highestmodseq_and_stores_that_change_nothing_do_not(backend) {
        // RFC 7162 §3.1.3, §3.1.11, §3.2, §3.2.7; RFC 6851 §4.4 (MOVE).
        let server = TestServer::start(backend).await;
        let mut w = server.login("alice").await; // only STATUS
        let mut c = server.login("alice").await;
        c.cmd_ok("c1 CREATE Other").await;
        let mut h = status_highest(&mut w, "INBOX").await;

        // APPEND, each.
        for _ in 0..3 {
            append_n(&mut c, "INBOX", 1).await;
            let next = status_highest(&mut w, "INBOX").await;
            assert!(next > h, "APPEND: {next} after {h}");
            h = next;
        }
        let r = c.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        assert_eq!(highest_in(&r), h);
        let ms = modseqs(&mut c).await;
        let values: Vec<u64> = ms.values().copied().collect();
        assert!(values.windows(2).all(|p| p[0] < p[1]), "{ms:?}");
        assert_eq!(values.last(), Some(&h));

        // STORE that changes a flag.
        let r = c.cmd("t1 STORE 1 +FLAGS (\\Flagged)").await;
        assert_lines(&r, &["* 1 FETCH (FLAGS (\\Flagged \\Recent) UID 1 MODSEQ (%))", "t1 OK STORE completed"]);
        let m1 = modseq_of(&r[0]);
        assert!(m1 > h);
        assert_eq!(status_highest(&mut w, "INBOX").await, m1);
        h = m1;
        // STOREs that change nothing move nothing (§3.1.11).
        for (tag, store) in [("t2", "+FLAGS (\\Flagged)"), ("t3", "-FLAGS (\\Seen)"), ("t4", "FLAGS (\\Flagged)")] {
            let r = c.cmd(&format!("{tag} STORE 1 {store}")).await;
            assert_patterns(&r, &[
                format!("* 1 FETCH (FLAGS (\\Flagged \\Recent) UID 1 MODSEQ ({h}))"),
                format!("{tag} OK STORE completed"),
            ]);
        }
        assert_eq!(status_highest(&mut w, "INBOX").await, h);
        // Of two messages, only the one whose flags change moves.
        let r = c.cmd("t5 STORE 1:2 +FLAGS (\\Flagged)").await;
        assert_lines(&r, &[
            "* 1 FETCH (FLAGS (\\Flagged \\Recent) UID 1 MODSEQ (%))",
            "* 2 FETCH (FLAGS (\\Flagged \\Recent) UID 2 MODSEQ (%))",
            "t5 OK STORE completed",
        ]);
        assert_eq!(modseq_of(&r[0]), h);
        let m2 = modseq_of(&r[1]);
        assert!(m2 > h);
        assert_eq!(status_highest(&mut w, "INBOX").await, m2);

        // EXPUNGE.
        c.cmd_ok("t6 STORE 3 +FLAGS.SILENT (\\Deleted)").await;
        h = status_highest(&mut w, "INBOX").await;
        c.cmd_ok("x1 EXPUNGE").await;
        let next = status_highest(&mut w, "INBOX").await;
        assert!(next > h, "EXPUNGE: {next} after {h}");
        h = next;
        // Above every message's own after an expunge.
        assert!(modseqs(&mut c).await.values().all(|&m| m < h));

        // COPY and MOVE into the mailbox, by another session.
        append_n(&mut c, "Other", 2).await;
        let mut o = server.login("alice").await;
        o.cmd_ok("o1 SELECT Other (CONDSTORE)").await;
        let other = status_highest(&mut w, "Other").await;
        o.cmd_ok("o2 UID COPY 1 INBOX").await;
        let next = status_highest(&mut w, "INBOX").await;
        assert!(next > h, "COPY: {next} after {h}");
        h = next;
        o.cmd_ok("o3 UID MOVE 2 INBOX").await;
        let next = status_highest(&mut w, "INBOX").await;
        assert!(next > h, "MOVE into: {next} after {h}");
        h = next;
        // MOVE expunges from its source too.
        assert!(status_highest(&mut w, "Other").await > other);
        // The copied and moved messages (UIDs 4 and 5) have mod-sequences
        // above every message that was in INBOX before them (RFC 6851 §4.4).
        c.cmd_ok("n NOOP").await;
        let ms = modseqs(&mut c).await;
        assert_eq!(ms.keys().copied().collect::<Vec<_>>(), [1, 2, 4, 5], "{ms:?}");
        assert!(ms[&4] > ms[&1].max(ms[&2]) && ms[&5] > ms[&4], "{ms:?}");
        assert_eq!(ms[&5], h);

        // UID EXPUNGE.
        c.cmd_ok("x2 UID STORE 4 +FLAGS.SILENT (\\Deleted)").await;
        h = status_highest(&mut w, "INBOX").await;
        c.cmd_ok("x3 UID EXPUNGE 4").await;
        let next = status_highest(&mut w, "INBOX").await;
        assert!(next > h, "UID EXPUNGE: {next} after {h}");
    }

    async fn claiming_recent_does_not_change_mod_sequences(backend) {
        let server = TestServer::start(backend).await;
        let mut w = server.login("alice").await;
        append_n(&mut w, "INBOX", 2).await;
        let h = status_highest(&mut w, "INBOX").await;
        // EXAMINE claims no \Recent.
        let mut e = server.login("alice").await;
        e.cmd_ok("e EXAMINE INBOX (CONDSTORE)").await;
        let before = modseqs(&mut e).await;
        // The SELECT that claims the new messages' \Recent.
        let mut c = server.login("alice").await;
        let r = c.cmd("s SELECT INBOX").await;
        let mut expected = opening(2, 2, Some(1), 3, None);
        expected.push("s OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
        assert_eq!(status_highest(&mut w, "INBOX").await, h);
        let r = c.cmd("f FETCH 1:* (FLAGS MODSEQ)").await;
        assert_patterns(&r, &[
            format!("* OK [HIGHESTMODSEQ {h}] %"),
            format!("* 1 FETCH (FLAGS (\\Recent) MODSEQ ({}))", before[&1]),
            format!("* 2 FETCH (FLAGS (\\Recent) MODSEQ ({}))", before[&2]),
            "f OK FETCH completed".to_owned(),
        ]);
        // A message arriving while a session has the mailbox selected: its
        // APPEND moves the mod-sequence, the \Recent it is given does not.
        append_n(&mut w, "INBOX", 1).await;
        let h = status_highest(&mut w, "INBOX").await;
        let r = c.cmd_ok("n NOOP").await;
        assert_eq!(r[0], "* 3 EXISTS", "{r:?}");
        assert_eq!(status_highest(&mut w, "INBOX").await, h);
        assert_eq!(modseqs(&mut c).await.get(&3), Some(&h));
        // Reselecting (which claims what is left) moves nothing either.
        c.cmd_ok("u UNSELECT").await;
        c.cmd_ok("s2 SELECT INBOX").await;
        assert_eq!(status_highest(&mut w, "INBOX").await, h);
        let mut after = before.clone();
        after.insert(3, h);
        assert_eq!(modseqs(&mut c).await, after);
    }
}

/// A server started on a data directory (and database) that outlive it,
/// so that another can be started on them: [`TestServer`] makes a fresh
/// directory per server.
struct Restartable {
    dir: tempfile::TempDir,
    db: Option<std::sync::Arc<hadron_store::testing::PgTestDatabase>>,
}

/// One running server of a [`Restartable`].
struct Running {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Restartable {
    async fn start(&self, create_users: bool) -> Running {
        use hadron_server::config::{Config, Limits};
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: self.dir.path().join("data"),
            database: self.db.as_ref().map(|d| d.url().to_owned()),
            limits: Limits::default(),
            ..Config::default()
        };
        let engine =
            tokio::task::spawn_blocking(move || hadron_server::backend::open_engine(&config))
                .await
                .unwrap()
                .expect("open storage");
        if create_users {
            engine
                .create_user("alice", "secret")
                .await
                .expect("create user");
        }
        let server =
            hadron_server::Server::bind("127.0.0.1:0".parse().unwrap(), engine, Limits::default())
                .await
                .expect("bind");
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Running { addr, stop, task }
    }
}

impl Running {
    async fn login(&self) -> Client {
        let mut c = Client::connect(self.addr).await;
        c.expect(&["* OK [CAPABILITY %] Hadron ready"]).await;
        c.cmd_ok("l LOGIN alice secret").await;
        c
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// Mod-sequences, HIGHESTMODSEQ and the expunge history are the same
/// after a restart, and new changes go on above them.
async fn mod_sequences_survive_a_restart(db: Option<hadron_store::testing::PgTestDatabase>) {
    let place = Restartable {
        dir: tempfile::tempdir().unwrap(),
        db: db.map(std::sync::Arc::new),
    };
    let first = place.start(true).await;
    let mut c = first.login().await;
    append_n(&mut c, "INBOX", 3).await;
    c.cmd_ok("e ENABLE QRESYNC").await;
    let s = c.cmd_ok("s SELECT INBOX").await;
    let v = uidvalidity_in(&s);
    c.cmd_ok("t1 STORE 2 +FLAGS (\\Seen)").await;
    let before_expunge = status_highest(&mut c, "INBOX").await;
    c.cmd_ok("t2 STORE 3 +FLAGS.SILENT (\\Deleted)").await;
    let r = c.cmd_ok("x EXPUNGE").await;
    let h = highest_in(&r);
    let ms = modseqs(&mut c).await;
    c.cmd_ok("q LOGOUT").await;
    first.stop().await;

    let second = place.start(false).await;
    let mut c = second.login().await;
    c.cmd_ok("e ENABLE QRESYNC").await;
    let r = c
        .cmd(&format!("s SELECT INBOX (QRESYNC ({v} {before_expunge}))"))
        .await;
    let mut expected = opening(2, 0, Some(1), 4, Some(h));
    expected.push("* VANISHED (EARLIER) 3".to_owned());
    expected.push("s OK [READ-WRITE] SELECT completed".to_owned());
    assert_patterns(&r, &expected);
    assert_eq!(uidvalidity_in(&r), v);
    assert_eq!(modseqs(&mut c).await, ms);
    let r = c.cmd("t STORE 1 +FLAGS.SILENT (\\Flagged)").await;
    assert_lines(
        &r,
        &["* 1 FETCH (UID 1 MODSEQ (%))", "t OK STORE completed"],
    );
    assert!(modseq_of(&r[0]) > h, "{r:?}");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mod_sequences_survive_a_restart_sqlite() {
    mod_sequences_survive_a_restart(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mod_sequences_survive_a_restart_postgres() {
    if let Some(db) = hadron_store::testing::PgTestDatabase::create("hadron_server_test") {
        mod_sequences_survive_a_restart(Some(db)).await;
    }
}
