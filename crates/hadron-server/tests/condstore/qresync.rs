//! QRESYNC (RFC 7162 §3.2, §6): SELECT/EXAMINE (QRESYNC), the VANISHED
//! UID FETCH modifier, VANISHED instead of EXPUNGE, [CLOSED], and the
//! HIGHESTMODSEQ a client may keep while an expunge is held back.

use super::*;

/// The flag list of a FETCH response (`FLAGS (...)`).
#[track_caller]
fn flags_of(line: &str) -> String {
    let at = line
        .find("FLAGS (")
        .unwrap_or_else(|| panic!("no FLAGS in {line:?}"))
        + "FLAGS (".len();
    line[at..line[at..].find(')').unwrap() + at].to_owned()
}

/// Forgets `mailbox`'s expunge history (what the store keeps to answer
/// VANISHED (EARLIER)), as a server that prunes it would have done.
async fn forget_expunges(server: &TestServer, mailbox: &str) {
    let engine = server.engine.clone();
    let user = engine.login("alice", "secret").await.expect("login").id;
    let info = engine.mailbox(user, mailbox).await.expect("mailbox");
    let forgotten = tokio::task::spawn_blocking(move || {
        engine.store().prune_expunged(info.id, info.highest_modseq)
    })
    .await
    .unwrap()
    .expect("prune");
    assert!(forgotten > 0);
}

both! {
    async fn qresync_parameters_need_enable_qresync_and_vanished_needs_uid_fetch_with_changedsince(backend) {
        // RFC 7162 §3.2.3, §3.2.5, §3.2.6.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append_n(&mut c, "INBOX", 1).await;
        let r = c.cmd("s1 SELECT INBOX (QRESYNC (1 1))").await;
        assert_lines(&r, &["s1 BAD %"]);
        let r = c.cmd("s2 EXAMINE INBOX (QRESYNC (1 1 1:5))").await;
        assert_lines(&r, &["s2 BAD %"]);
        // CONDSTORE is not QRESYNC.
        c.cmd_ok("e ENABLE CONDSTORE").await;
        let r = c.cmd("s3 SELECT INBOX (QRESYNC (1 1))").await;
        assert_lines(&r, &["s3 BAD %"]);
        // The mailbox remains unselected.
        let r = c.cmd("f FETCH 1 (FLAGS)").await;
        assert_lines(&r, &["f BAD %"]);
        c.cmd_ok("s4 SELECT INBOX").await;
        let r = c.cmd("v1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)").await;
        assert_lines(&r, &["v1 BAD %"]);

        let mut q = server.login("alice").await;
        q.cmd_ok("e ENABLE QRESYNC").await;
        q.cmd_ok("s SELECT INBOX").await;
        // Not on FETCH; not without CHANGEDSINCE.
        let r = q.cmd("v2 FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)").await;
        assert_lines(&r, &["v2 BAD %"]);
        let r = q.cmd("v3 UID FETCH 1:* (FLAGS) (VANISHED)").await;
        assert_lines(&r, &["v3 BAD %"]);
        let r = q.cmd("v4 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1 FLAGS () MODSEQ (%))", "v4 OK FETCH completed"]);
    }

    async fn qresync_select_after_the_expunge_history_was_forgotten_reports_every_absent_known_uid(backend) {
        // RFC 7162 §3.2.5.2, example A04 (a server that cannot remember
        // expunges; only UIDs divisible by 3 are left), and §3.2.6's note:
        // with a mod-sequence older than what it remembers, the server
        // reports every expunged UID of the set.
        let server = TestServer::start(backend).await;
        let (v, m0, h, fetched) = uids_divisible_by_three(&server).await;
        // With the history: only what vanished since m0 (1 and 2 went before).
        let mut d = server.login("alice").await;
        d.cmd_ok("e ENABLE QRESYNC").await;
        let r = d.cmd(&format!("A03 SELECT INBOX (QRESYNC ({v} {m0} 1:14))")).await;
        let mut expected = opening(5, 0, Some(2), 16, Some(h));
        expected.push("* VANISHED (EARLIER) 4:5,7:8,10:11,13:14".to_owned());
        expected.extend(fetched.iter().cloned());
        expected.push("A03 OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
        d.cmd_ok("q LOGOUT").await;

        forget_expunges(&server, "INBOX").await;
        let mut e = server.login("alice").await;
        e.cmd_ok("e ENABLE QRESYNC").await;
        let r = e.cmd(&format!("A04 SELECT INBOX (QRESYNC ({v} {m0} 1:14))")).await;
        expected[8] = "* VANISHED (EARLIER) 1:2,4:5,7:8,10:11,13:14".to_owned();
        *expected.last_mut().unwrap() = "A04 OK [READ-WRITE] SELECT completed".to_owned();
        assert_patterns(&r, &expected);
        let r = e.cmd(&format!("f UID FETCH 1:14 (FLAGS) (CHANGEDSINCE {m0} VANISHED)")).await;
        let mut expected = vec!["* VANISHED (EARLIER) 1:2,4:5,7:8,10:11,13:14".to_owned()];
        expected.extend(fetched.iter().cloned());
        expected.push("f OK FETCH completed".to_owned());
        assert_patterns(&r, &expected);
    }

    async fn expunge_is_told_as_vanished_with_highestmodseq_once_qresync_is_enabled(backend) {
        // RFC 7162 §3.2.7, §3.2.9 and §3.2.10's examples (EXPUNGE, UID
        // EXPUNGE, without and with QRESYNC), §3.2.8 (CLOSE); RFC 6851 §4.4
        // (MOVE: VANISHED). Seq 1 to 11 = UIDs 1:3,5:6,8:12,14; the
        // examples' \Deleted messages are 3, 4, 7 and 11.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        mailbox_with_gaps(&mut c, "INBOX", 14, "4,7,13").await;
        c.cmd_ok("c CREATE Q").await;
        mailbox_with_gaps(&mut c, "Q", 14, "4,7,13").await;

        // Without QRESYNC: EXPUNGE responses (HIGHESTMODSEQ optional).
        let mut x = server.login("alice").await;
        x.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        x.cmd_ok("d STORE 3,4,7,11 +FLAGS.SILENT (\\Deleted)").await;
        // (The RFC's "3, 3, 5, 8"; any order that names the same messages
        // will do, such as "11, 7, 4, 3".)
        let r = x.cmd("A202 EXPUNGE").await;
        let mut view = vec![1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14];
        assert_eq!(r.len(), 5, "{r:?}");
        apply_expunges(&mut view, &r, &["A202 OK %"]);
        assert_eq!(view, [1, 2, 6, 8, 10, 11, 12]);
        // UID EXPUNGE 3000:3002, messages 3 to 5 = UIDs 6, 8, 10.
        x.cmd_ok("d UID STORE 6,8,10 +FLAGS.SILENT (\\Deleted)").await;
        let r = x.cmd(". UID EXPUNGE 6:10").await;
        assert_eq!(r.len(), 4, "{r:?}");
        apply_expunges(&mut view, &r, &[". OK %"]);
        assert_eq!(view, [1, 2, 11, 12]);

        // With QRESYNC: VANISHED, and the new HIGHESTMODSEQ in the tagged OK.
        let mut y = server.login("alice").await;
        y.cmd_ok("e ENABLE QRESYNC").await;
        let r = y.cmd_ok("s SELECT Q").await;
        let v = uidvalidity_in(&r);
        let mut h = highest_in(&r);
        y.cmd_ok("d STORE 3,4,7,11 +FLAGS.SILENT (\\Deleted)").await;
        let r = y.cmd("B202 EXPUNGE").await;
        assert_lines(&r, &["* VANISHED 3,5,9,14", "B202 OK [HIGHESTMODSEQ %] %"]);
        let next = highest_in(&r);
        assert!(next > h);
        assert_eq!(status_highest(&mut c, "Q").await, next);
        h = next;
        // Then 504 and 508: messages 2 and 3 now, UIDs 2 and 6.
        y.cmd_ok("d STORE 2,3 +FLAGS.SILENT (\\Deleted)").await;
        let r = y.cmd("A210 EXPUNGE").await;
        assert_lines(&r, &["* VANISHED 2,6", "A210 OK [HIGHESTMODSEQ %] %"]);
        let next = highest_in(&r);
        assert!(next > h);
        h = next;
        // UID EXPUNGE removes the \Deleted messages of its set only.
        y.cmd_ok("d UID STORE 8,10,12 +FLAGS.SILENT (\\Deleted)").await;
        let r = y.cmd(". UID EXPUNGE 8:11").await;
        assert_lines(&r, &["* VANISHED 8,10", ". OK [HIGHESTMODSEQ %] %"]);
        let next = highest_in(&r);
        assert!(next > h);
        assert_eq!(status_highest(&mut c, "Q").await, next);
        // MOVE tells VANISHED too.
        let r = y.cmd("m UID MOVE 1 INBOX").await;
        assert!(r.contains(&"* VANISHED 1".to_owned()), "{r:?}");
        assert!(!r.iter().any(|l| l.ends_with(" EXPUNGE")), "{r:?}");
        assert!(r.last().unwrap().starts_with("m OK "), "{r:?}");
        let r = y.cmd("f UID FETCH 1:* (FLAGS)").await;
        assert_lines(&r, &["* 1 FETCH (UID 11 FLAGS ())", "* 2 FETCH (UID 12 FLAGS (\\Deleted))", "f OK FETCH completed"]);

        // CLOSE: nothing told, no HIGHESTMODSEQ (§3.2.8); the expunge is
        // remembered all the same.
        let before = status_highest(&mut c, "Q").await;
        let r = y.cmd("A202 CLOSE").await;
        assert_lines(&r, &["A202 OK %"]);
        assert!(!r[0].contains("HIGHESTMODSEQ"), "{r:?}");
        let after = status_highest(&mut c, "Q").await;
        assert!(after > before);
        let r = y.cmd(&format!("s SELECT Q (QRESYNC ({v} {before}))")).await;
        let mut expected = opening(1, 0, Some(1), 15, Some(after));
        expected.push("* VANISHED (EARLIER) 12".to_owned());
        expected.push("s OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
    }

    async fn selecting_another_mailbox_with_qresync_on_says_closed_first(backend) {
        // RFC 7162 §3.2.11.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        c.cmd_ok("c CREATE Other").await;
        c.cmd_ok("e ENABLE QRESYNC").await;
        let r = c.cmd_ok("s1 SELECT INBOX").await;
        assert!(!r.iter().any(|l| l.contains("[CLOSED]")), "{r:?}");
        let h = status_highest(&mut c, "Other").await;
        let r = c.cmd("s2 SELECT Other").await;
        let mut expected = vec!["* OK [CLOSED] %".to_owned()];
        expected.extend(opening(0, 0, None, 1, Some(h)));
        expected.push("s2 OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
        let r = c.cmd("s3 EXAMINE INBOX").await;
        assert_lines(&r[..1], &["* OK [CLOSED] %"]);
        assert_lines(&r[r.len() - 1..], &["s3 OK [READ-ONLY] EXAMINE completed"]);
        // A SELECT that fails closes the mailbox too.
        let r = c.cmd("s4 SELECT Nope").await;
        assert_lines(&r, &["* OK [CLOSED] %", "s4 NO [NONEXISTENT] %"]);
        // Nothing to close.
        let r = c.cmd_ok("s5 SELECT INBOX").await;
        assert!(!r.iter().any(|l| l.contains("[CLOSED]")), "{r:?}");
        c.cmd_ok("u UNSELECT").await;
        let r = c.cmd_ok("s6 SELECT INBOX").await;
        assert!(!r.iter().any(|l| l.contains("[CLOSED]")), "{r:?}");
        c.cmd_ok("x CLOSE").await;
        let r = c.cmd_ok("s7 EXAMINE INBOX").await;
        assert!(!r.iter().any(|l| l.contains("[CLOSED]")), "{r:?}");
    }
}

both! {
    async fn qresync_select_leaves_out_uids_that_matching_sequence_match_data_vouches_for(backend) {
        // RFC 7162 §3.2.5.2 example B04: seq 1 = UID 3 and seq 4 = UID 12
        // match, so the client knows of every expunge up to UID 12, and
        // "no UIDs equal to or less than" 12 are in the VANISHED response.
        let server = TestServer::start(backend).await;
        let (v, m0, h, fetched) = uids_divisible_by_three(&server).await;
        forget_expunges(&server, "INBOX").await;
        let mut c = server.login("alice").await;
        c.cmd_ok("e ENABLE QRESYNC").await;
        let r = c.cmd(&format!("B04 SELECT INBOX (QRESYNC ({v} {m0} 1:14 (1,4 3,12)))")).await;
        let mut expected = opening(5, 0, Some(2), 16, Some(h));
        expected.push("* VANISHED (EARLIER) 13:14".to_owned());
        expected.extend(fetched);
        expected.push("B04 OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
    }
}

both! {
    async fn selecting_another_mailbox_says_closed_even_without_an_enabling_command(backend) {
        // RFC 7162 §3.2.11: "A server that advertises "QRESYNC" or
        // "CONDSTORE" in the capability string must return the CLOSED
        // response code in this case, whether or not a CONDSTORE enabling
        // command was issued."
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        c.cmd_ok("c CREATE Other").await;
        c.cmd_ok("s1 SELECT INBOX").await;
        let r = c.cmd("s2 SELECT Other").await;
        let mut expected = vec!["* OK [CLOSED] %".to_owned()];
        expected.extend(opening(0, 0, None, 1, None));
        expected.push("s2 OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
    }
}

both! {
    async fn move_with_qresync_reports_the_new_highestmodseq(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        c.cmd_ok("c CREATE Other").await;
        mailbox_with_gaps(&mut c, "INBOX", 2, "").await;
        c.cmd_ok("e ENABLE QRESYNC").await;
        c.cmd_ok("s SELECT INBOX").await;
        let r = c.cmd("m MOVE 1 Other").await;
        let h = status_highest(&mut c, "INBOX").await;
        // (The harness leaves out COPYUID's untagged OK: RFC 4315's.)
        assert_patterns(&r, &["* VANISHED 1".to_owned(), format!("m OK [HIGHESTMODSEQ {h}] %")]);
    }
}

spread! {
    async fn highestmodseq_told_while_an_expunge_is_held_is_not_below_what_the_client_knew(backend) {
        // RFC 7162 §3.2 / §6: the HIGHESTMODSEQ sent while an expunge is
        // held must be below the expunge's mod-sequence; every change up
        // to what SELECT reported, or a MODSEQ the client was told, is
        // older than the expunge, so nothing requires going below those.
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        setup.cmd_ok("c CREATE Other").await;
        mailbox_with_gaps(&mut setup, "INBOX", 3, "").await;
        let mut a = server.login("alice").await;
        a.cmd_ok("e ENABLE QRESYNC").await;
        let r = a.cmd_ok("s SELECT INBOX").await;
        let h0 = highest_in(&r);
        let mut b = server.login("alice").await;
        b.cmd_ok("s SELECT INBOX").await;

        // An expunge alone (MOVE).
        b.cmd_ok("m UID MOVE 2 Other").await;
        settle(&server).await;
        let r = a.cmd("a1 FETCH 1:* (UID)").await;
        let (own, tail) = r.split_at(r.len() - 1);
        assert_lines(tail, &["a1 OK [EXPUNGEISSUED] FETCH completed"]);
        if own.last().is_some_and(|l| l.contains("[HIGHESTMODSEQ ")) {
            let n = highest_in(own);
            assert!(n >= h0, "HIGHESTMODSEQ {n} after SELECT's {h0}: {r:?}");
        }
        let r = a.cmd("a2 NOOP").await;
        assert_lines(&r, &["* VANISHED 2", "a2 OK %"]);

        // A flag change the client is told, then the expunge of that message.
        b.cmd_ok("n NOOP").await;
        b.cmd_ok("d UID STORE 3 +FLAGS.SILENT (\\Deleted)").await;
        let r = a.cmd("a3 NOOP").await;
        assert_lines(&r, &["* 2 FETCH (FLAGS (\\Deleted) UID 3 MODSEQ (%))", "a3 OK NOOP completed"]);
        let d = modseq_of(&r[0]);
        b.cmd_ok("x EXPUNGE").await;
        settle(&server).await;
        let r = a.cmd("a4 FETCH 1:* (UID)").await;
        let (own, tail) = r.split_at(r.len() - 1);
        assert_lines(tail, &["a4 OK [EXPUNGEISSUED] FETCH completed"]);
        if own.last().is_some_and(|l| l.contains("[HIGHESTMODSEQ ")) {
            let n = highest_in(own);
            assert!(n >= d, "HIGHESTMODSEQ {n} after MODSEQ {d} was told: {r:?}");
        }
    }
}

/// The mailbox of examples A04 and B04: UIDs 1 to 15 of which 1 and 2
/// were expunged before the client's last synchronisation (UIDVALIDITY v,
/// HIGHESTMODSEQ m0) and every other UID not divisible by 3 after it; then
/// 3 and 12 changed flags (they are in the client's known UIDs, 1:14) and
/// 15 too (it is not). Returns v, m0, the mailbox's HIGHESTMODSEQ and the
/// FETCH responses of 3 and 12.
async fn uids_divisible_by_three(server: &TestServer) -> (u32, u64, u64, Vec<String>) {
    let mut c = server.login("alice").await;
    mailbox_with_gaps(&mut c, "INBOX", 15, "1:2").await;
    c.cmd_ok("e ENABLE QRESYNC").await;
    let r = c.cmd_ok("s SELECT INBOX").await;
    let (v, m0) = (uidvalidity_in(&r), highest_in(&r));
    let gone = "4:5,7:8,10:11,13:14";
    c.cmd_ok(&format!("d UID STORE {gone} +FLAGS.SILENT (\\Deleted)"))
        .await;
    let r = c.cmd(&format!("x UID EXPUNGE {gone}")).await;
    assert_lines(
        &r,
        &[&format!("* VANISHED {gone}"), "x OK [HIGHESTMODSEQ %] %"],
    );
    let r = c
        .cmd_ok("t1 UID STORE 3 +FLAGS.SILENT (\\Seen \\Answered $Important)")
        .await;
    let a = modseq_of(line_starting(&r, "* 1 FETCH (UID 3 "));
    let r = c
        .cmd_ok("t2 UID STORE 12 +FLAGS.SILENT (\\Seen \\Answered)")
        .await;
    let b = modseq_of(line_starting(&r, "* 4 FETCH (UID 12 "));
    let r = c
        .cmd_ok("t3 UID STORE 15 +FLAGS.SILENT (\\Draft $MDNSent)")
        .await;
    let h = modseq_of(line_starting(&r, "* 5 FETCH (UID 15 "));
    c.cmd_ok("q LOGOUT").await;
    let fetched = vec![
        format!("* 1 FETCH (UID 3 FLAGS (\\Answered \\Seen $Important) MODSEQ ({a}))"),
        format!("* 4 FETCH (UID 12 FLAGS (\\Answered \\Seen) MODSEQ ({b}))"),
    ];
    (v, m0, h, fetched)
}

spread! {
    async fn qresync_select_reports_vanished_uids_then_messages_changed_since(backend) {
        // RFC 7162 §3.2.5 (example A02: UIDVALIDITY mismatch) and §3.2.5.1
        // (example A03: [CLOSED], VANISHED (EARLIER), FETCH with UID FLAGS
        // MODSEQ; known UIDs limit both; an unchanged message is not told).
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        setup.cmd_ok("c CREATE Other").await;
        append_n(&mut setup, "INBOX", 10).await;
        let mut a = server.login("alice").await;
        a.cmd_ok("e ENABLE QRESYNC").await;
        let r = a.cmd_ok("s SELECT INBOX").await;
        let (v, m) = (uidvalidity_in(&r), highest_in(&r));
        a.cmd_ok("o SELECT Other").await;

        let mut b = server.login("alice").await;
        b.cmd_ok("e ENABLE QRESYNC").await;
        b.cmd_ok("s SELECT INBOX").await;
        b.cmd_ok("d UID STORE 2:4,6,9 +FLAGS.SILENT (\\Deleted)").await;
        let r = b.cmd("x UID EXPUNGE 2:4,6,9").await;
        assert_lines(&r, &["* VANISHED 2:4,6,9", "x OK [HIGHESTMODSEQ %] %"]);
        let e = highest_in(&r);
        let r = b.cmd_ok("t1 UID STORE 5 +FLAGS.SILENT (\\Seen \\Answered)").await;
        let x = modseq_of(line_starting(&r, "* 2 FETCH (UID 5 "));
        let r = b.cmd_ok("t2 UID STORE 7 +FLAGS.SILENT (\\Draft $MDNSent)").await;
        let y = modseq_of(line_starting(&r, "* 3 FETCH (UID 7 "));
        let r = b.cmd_ok("t3 UID STORE 10 +FLAGS.SILENT (\\Seen $Forwarded)").await;
        let z = modseq_of(line_starting(&r, "* 5 FETCH (UID 10 "));
        assert!(m < e && e < x && x < y && y < z);

        // UIDs 1, 5, 7, 8 and 10 are left, at 1 to 5.
        let changed = [
            format!("* 2 FETCH (UID 5 FLAGS (\\Answered \\Seen) MODSEQ ({x}))"),
            format!("* 3 FETCH (UID 7 FLAGS (\\Draft $MDNSent) MODSEQ ({y}))"),
            format!("* 5 FETCH (UID 10 FLAGS (\\Seen $Forwarded) MODSEQ ({z}))"),
        ];
        let expected = |tag: &str, read_only: bool, vanished: Option<&str>, fetched: &[String]| {
            let mut v = vec!["* OK [CLOSED] %".to_owned()];
            v.extend(opening(5, 0, Some(1), 11, Some(z)));
            v.extend(vanished.map(|u| format!("* VANISHED (EARLIER) {u}")));
            v.extend(fetched.iter().cloned());
            let done = if read_only { "[READ-ONLY] EXAMINE" } else { "[READ-WRITE] SELECT" };
            v.push(format!("{tag} OK {done} completed"));
            v
        };

        // A03: UID 9 vanished too, but is not among the known UIDs.
        let r = a.cmd(&format!("A03 SELECT INBOX (QRESYNC ({v} {m} 1:8,10))")).await;
        assert_patterns(&r, &expected("A03", false, Some("2:4,6"), &changed));
        a.cmd_ok("o SELECT Other").await;
        // Without known UIDs: every UID.
        let r = a.cmd(&format!("A05 EXAMINE INBOX (QRESYNC ({v} {m}))")).await;
        assert_patterns(&r, &expected("A05", true, Some("2:4,6,9"), &changed));
        // "*" in the known UIDs.
        let r = a.cmd(&format!("A08 SELECT INBOX (QRESYNC ({v} {m} 1:*))")).await;
        assert_patterns(&r, &expected("A08", false, Some("2:4,6,9"), &changed));
        // Since a later mod-sequence: what changed after it only.
        let r = a.cmd(&format!("A06 SELECT INBOX (QRESYNC ({v} {x}))")).await;
        assert_patterns(&r, &expected("A06", false, None, &changed[1..]));
        // Up to date: nothing.
        let r = a.cmd(&format!("A07 SELECT INBOX (QRESYNC ({v} {z}))")).await;
        assert_patterns(&r, &expected("A07", false, None, &[]));
        // A02: another UIDVALIDITY, an ordinary SELECT.
        let r = a.cmd(&format!("A02 SELECT INBOX (QRESYNC ({} {m} 1:10))", v.wrapping_add(1).max(1))).await;
        assert_patterns(&r, &expected("A02", false, None, &[]));
        assert_eq!(uidvalidity_in(&r), v);
    }

    async fn uid_fetch_vanished_reports_expunged_uids_before_the_changed_messages(backend) {
        // RFC 7162 §3.2.6 Example 1: UIDs 1 to 12 are the client's cache
        // (300:500); since its last synchronisation 1:3, 5 and 11 were
        // expunged (300:310, 405, 411) and 4, 6 and 8 changed flags.
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        mailbox_with_gaps(&mut setup, "INBOX", 12, "").await;
        let mut c1 = server.login("alice").await;
        let r = c1.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let m = highest_in(&r);
        c1.cmd_ok("q LOGOUT").await;

        let mut b = server.login("alice").await;
        b.cmd_ok("e ENABLE QRESYNC").await;
        b.cmd_ok("s SELECT INBOX").await;
        b.cmd_ok("d UID STORE 1:3,5,11 +FLAGS.SILENT (\\Deleted)").await;
        b.cmd_ok("x UID EXPUNGE 1:3,5,11").await;
        let r = b.cmd_ok("t1 UID STORE 4 +FLAGS.SILENT (\\Seen)").await;
        let s = modseq_of(line_starting(&r, "* 1 FETCH (UID 4 "));
        let r = b.cmd_ok("t2 UID STORE 6 +FLAGS.SILENT (\\Deleted)").await;
        let d = modseq_of(line_starting(&r, "* 2 FETCH (UID 6 "));
        let r = b.cmd_ok("t3 UID STORE 8 +FLAGS.SILENT ($NoJunk $AutoJunk $MDNSent)").await;
        let k = modseq_of(line_starting(&r, "* 4 FETCH (UID 8 "));
        let changed = [
            format!("* 1 FETCH (UID 4 FLAGS (\\Seen) MODSEQ ({s}))"),
            format!("* 2 FETCH (UID 6 FLAGS (\\Deleted) MODSEQ ({d}))"),
            format!("* 4 FETCH (UID 8 FLAGS ($AutoJunk $MDNSent $NoJunk) MODSEQ ({k}))"),
        ];

        // A CONDSTORE client: FETCH CHANGEDSINCE, then a UID SEARCH for
        // what is left (the RFC's "UID SEARCH 300:500" means UIDs).
        let mut c2 = server.login("alice").await;
        c2.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let r = c2.cmd(&format!("s100 UID FETCH 1:12 (FLAGS) (CHANGEDSINCE {m})")).await;
        let mut expected = changed.to_vec();
        expected.push("s100 OK FETCH completed".to_owned());
        assert_patterns(&r, &expected);
        let r = c2.cmd("s101 UID SEARCH UID 1:12").await;
        assert_lines(&r, &["* SEARCH 4 6 7 8 9 10 12", "s101 OK UID SEARCH completed"]);

        // A QRESYNC client: one command, VANISHED (EARLIER) first.
        let mut c3 = server.login("alice").await;
        c3.cmd_ok("e ENABLE QRESYNC").await;
        c3.cmd_ok("s SELECT INBOX").await;
        let r = c3.cmd(&format!("s100 UID FETCH 1:12 (FLAGS) (CHANGEDSINCE {m} VANISHED)")).await;
        let mut expected = vec!["* VANISHED (EARLIER) 1:3,5,11".to_owned()];
        expected.extend(changed.iter().cloned());
        expected.push("s100 OK FETCH completed".to_owned());
        assert_patterns(&r, &expected);
        // Limited to the UID set.
        let r = c3.cmd(&format!("s102 UID FETCH 5:12 (FLAGS) (CHANGEDSINCE {m} VANISHED)")).await;
        let mut expected = vec!["* VANISHED (EARLIER) 5,11".to_owned()];
        expected.extend(changed[1..].iter().cloned());
        expected.push("s102 OK FETCH completed".to_owned());
        assert_patterns(&r, &expected);
        // Nothing since.
        let r = c3.cmd(&format!("s103 UID FETCH 1:12 (FLAGS) (CHANGEDSINCE {k} VANISHED)")).await;
        assert_lines(&r, &["s103 OK FETCH completed"]);
    }

    async fn another_sessions_expunge_reaches_a_qresync_session_as_vanished(backend) {
        // RFC 7162 §3.2.10.2: VANISHED instead of EXPUNGE, for expunges by
        // other connections too, at NOOP and during IDLE.
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        mailbox_with_gaps(&mut setup, "INBOX", 5, "").await;
        let mut a = server.login("alice").await;
        a.cmd_ok("e ENABLE QRESYNC").await;
        a.cmd_ok("s SELECT INBOX").await;
        let mut b = server.login("alice").await;
        b.cmd_ok("s SELECT INBOX").await;

        b.cmd_ok("d UID STORE 2,4 +FLAGS.SILENT (\\Deleted)").await;
        let r = a.cmd("a1 NOOP").await;
        assert_lines(&r, &[
            "* 2 FETCH (FLAGS (\\Deleted) UID 2 MODSEQ (%))",
            "* 4 FETCH (FLAGS (\\Deleted) UID 4 MODSEQ (%))",
            "a1 OK NOOP completed",
        ]);
        b.cmd_ok("x UID EXPUNGE 2,4").await;
        let r = a.cmd("a2 NOOP").await;
        assert_lines(&r, &["* VANISHED 2,4", "a2 OK NOOP completed"]);
        let r = a.cmd("a3 FETCH 1:* (UID)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "* 3 FETCH (UID 5)", "a3 OK FETCH completed"]);

        // Pushed during IDLE.
        a.line("i IDLE").await;
        a.expect(&["+ idling"]).await;
        b.cmd_ok("d2 UID STORE 3 +FLAGS.SILENT (\\Deleted)").await;
        a.expect(&["* 2 FETCH (FLAGS (\\Deleted) UID 3 MODSEQ (%))"]).await;
        b.cmd_ok("x2 UID EXPUNGE 3").await;
        a.expect(&["* VANISHED 3"]).await;
        a.line("DONE").await;
        a.expect(&["i OK IDLE terminated"]).await;

        // A message that arrives and goes between two commands: never
        // VANISHED without the EXISTS that announced it (§3.2.10.2).
        append_n(&mut setup, "INBOX", 1).await;
        b.cmd_ok("n NOOP").await;
        b.cmd_ok("d3 UID STORE 6 +FLAGS.SILENT (\\Deleted)").await;
        b.cmd_ok("x3 UID EXPUNGE 6").await;
        let r = a.cmd("a4 NOOP").await;
        let vanished = r.iter().position(|l| l == "* VANISHED 6");
        let exists = r.iter().position(|l| l == "* 3 EXISTS");
        match vanished {
            None => assert!(!r.iter().any(|l| l.starts_with("* VANISHED")), "{r:?}"),
            Some(at) => assert!(exists.is_some_and(|e| e < at), "{r:?}"),
        }
        assert!(!r.iter().any(|l| l.ends_with(" EXPUNGE")), "{r:?}");
        let r = a.cmd("a5 UID FETCH 1:* (UID)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1)", "* 2 FETCH (UID 5)", "a5 OK FETCH completed"]);
    }

    async fn an_expunge_held_back_keeps_highestmodseq_below_it_until_vanished_is_told(backend) {
        // RFC 7162 §3.2 and §6's example (A150-A152): while RFC 3501
        // §7.4.1 holds another session's expunge back during FETCH, STORE
        // and SEARCH, the client is told MODSEQ values above it, so each
        // tagged OK is preceded by a HIGHESTMODSEQ below the expunge's
        // mod-sequence; NOOP then tells VANISHED. A client that resyncs
        // from that HIGHESTMODSEQ learns of the expunge.
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        mailbox_with_gaps(&mut setup, "INBOX", 4, "").await;
        let mut a = server.login("alice").await;
        a.cmd_ok("e ENABLE QRESYNC").await;
        let r = a.cmd_ok("s SELECT INBOX").await;
        let (v, h0) = (uidvalidity_in(&r), highest_in(&r));
        let mut b = server.login("alice").await;
        b.cmd_ok("e ENABLE QRESYNC").await;
        b.cmd_ok("s SELECT INBOX").await;
        let r = b.cmd_ok("b1 STORE 3 +FLAGS.SILENT (\\Deleted)").await;
        let d = modseq_of(&r[0]);
        let r = b.cmd("b2 EXPUNGE").await;
        assert_lines(&r, &["* VANISHED 3", "b2 OK [HIGHESTMODSEQ %] %"]);
        let e = highest_in(&r);
        let r = b.cmd_ok("b3 STORE 1 +FLAGS.SILENT (\\Answered)").await;
        let f = modseq_of(&r[0]);
        assert!(h0 < d && d < e && e < f);

        // FETCH: the flag changes are told, with MODSEQ; the expunge is not.
        settle(&server).await;
        let r = a.cmd("a1 FETCH 1:4 (UID)").await;
        let told = [
            format!("* 1 FETCH (FLAGS (\\Answered) UID 1 MODSEQ ({f}))"),
            // Over two instances, possibly told as the expunge alone.
            format!("* 3 FETCH (FLAGS (\\Deleted) UID 3 MODSEQ ({d}))"),
        ];
        let own = ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)", "* 4 FETCH (UID 4)"];
        let split = r.len() - own.len() - 2;
        let mut unsolicited = r[..split].to_vec();
        unsolicited.sort();
        let mut want = told.to_vec();
        if !server.others.is_empty() && !unsolicited.contains(&told[1]) {
            want.pop();
        }
        want.sort();
        assert_eq!(unsolicited, want, "{r:#?}");
        assert_lines(&r[split..split + own.len()], &own);
        assert_lines(&r[r.len() - 2..], &["* OK [HIGHESTMODSEQ %] %", "a1 OK [EXPUNGEISSUED] FETCH completed"]);
        let n = highest_in(&r);
        assert!(n < e, "HIGHESTMODSEQ {n} is not below the held expunge's {e}");
        // Not below what SELECT said either (over two instances it can be:
        // see highestmodseq_told_while_an_expunge_is_held_is_not_below_what_the_client_knew).
        if server.others.is_empty() {
            assert!(h0 <= n, "HIGHESTMODSEQ {n} is below SELECT's {h0}");
        }

        // STORE (§6's A151): its own MODSEQ is above the expunge's too.
        let r = a.cmd("a2 STORE 2 +FLAGS.SILENT (\\Seen)").await;
        assert_lines(&r, &["* 2 FETCH (UID 2 MODSEQ (%))", "* OK [HIGHESTMODSEQ %] %", "a2 OK %"]);
        let s = modseq_of(&r[0]);
        assert!(s > f && highest_in(&r) < e, "{r:?}");
        // A conditional STORE (§6's A150) of the messages still there.
        let r = a.cmd(&format!("a3 STORE 2,4 (UNCHANGEDSINCE {s}) +FLAGS.SILENT (\\Flagged)")).await;
        assert_lines(&r, &["* 2 FETCH (UID 2 MODSEQ (%))", "* 4 FETCH (UID 4 MODSEQ (%))", "* OK [HIGHESTMODSEQ %] %", "a3 OK %"]);
        let t = modseq_of(&r[0]);
        assert!(t > s && highest_in(&r) < e, "{r:?}");
        // SEARCH: the expunged message is still found.
        let r = a.cmd("a4 SEARCH ALL").await;
        assert_lines(&r, &["* SEARCH 1 2 3 4", "* OK [HIGHESTMODSEQ %] %", "a4 OK %"]);
        assert!(highest_in(&r) < e, "{r:?}");

        // NOOP (§6's A152): VANISHED at last; nothing is held any more.
        let r = a.cmd("a5 NOOP").await;
        assert_lines(&r, &["* VANISHED 3", "a5 OK %"]);
        if r[1].contains("[HIGHESTMODSEQ ") {
            assert_eq!(highest_in(&r), t, "{r:?}");
        }
        let r = a.cmd("a6 FETCH 1:* (UID)").await;
        assert_lines(&r, &["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 4)", "a6 OK FETCH completed"]);

        // Had the client left after a1, its HIGHESTMODSEQ n would bring
        // the expunge back with everything changed since.
        let mut c = server.login("alice").await;
        c.cmd_ok("e ENABLE QRESYNC").await;
        let r = c.cmd(&format!("s SELECT INBOX (QRESYNC ({v} {n}))")).await;
        let mut expected = opening(3, 0, Some(1), 5, Some(t));
        expected.push("* VANISHED (EARLIER) 3".to_owned());
        expected.push(format!("* 1 FETCH (UID 1 FLAGS (\\Answered) MODSEQ ({f}))"));
        expected.push(format!("* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen) MODSEQ ({t}))"));
        expected.push(format!("* 3 FETCH (UID 4 FLAGS (\\Flagged) MODSEQ ({t}))"));
        expected.push("s OK [READ-WRITE] SELECT completed".to_owned());
        assert_patterns(&r, &expected);
    }

    async fn resync_round_trip_rebuilds_the_clients_cache(backend) {
        // RFC 7162 §6: a client caches flags by UID with UIDVALIDITY and
        // HIGHESTMODSEQ, logs out; another client changes, expunges and
        // appends; the first reconnects with SELECT (QRESYNC) and applies
        // VANISHED (EARLIER), the FETCHes, then fetches what is new. Its
        // cache then equals a full fetch.
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        mailbox_with_gaps(&mut setup, "INBOX", 8, "").await;
        let mut a = server.login("alice").await;
        a.cmd_ok("e ENABLE QRESYNC").await;
        let r = a.cmd_ok("s SELECT INBOX").await;
        let (v, h) = (uidvalidity_in(&r), highest_in(&r));
        let uidnext = num_after(line_starting(&r, "* OK [UIDNEXT "), "[UIDNEXT ");
        let mut cache: BTreeMap<u32, String> = BTreeMap::new();
        for l in a.cmd_ok("f UID FETCH 1:* (FLAGS)").await.iter().filter(|l| l.starts_with("* ")) {
            cache.insert(u32::try_from(num_after(l, "UID ")).unwrap(), flags_of(l));
        }
        assert_eq!(cache.len(), 8);
        a.cmd_ok("q LOGOUT").await;

        let mut b = server.login("alice").await;
        b.cmd_ok("s SELECT INBOX").await;
        b.cmd_ok("t1 UID STORE 2 +FLAGS.SILENT (\\Seen)").await;
        b.cmd_ok("t2 UID STORE 3 +FLAGS.SILENT (\\Flagged $Label)").await;
        b.cmd_ok("t3 UID STORE 7 FLAGS.SILENT (\\Answered)").await;
        b.cmd_ok("t4 UID STORE 4:5 +FLAGS.SILENT (\\Deleted)").await;
        b.cmd_ok("x1 UID EXPUNGE 4:5").await;
        append_n(&mut b, "INBOX", 2).await;
        append_flagged(&mut b, "INBOX", "\\Seen").await;
        b.cmd_ok("n NOOP").await;
        b.cmd_ok("t5 UID STORE 10 +FLAGS.SILENT (\\Answered)").await;
        b.cmd_ok("t6 UID STORE 9 +FLAGS.SILENT (\\Deleted)").await;
        b.cmd_ok("x2 UID EXPUNGE 9").await;
        b.cmd_ok("q LOGOUT").await;

        let mut a = server.login("alice").await;
        a.cmd_ok("e ENABLE QRESYNC").await;
        let r = a.cmd_ok(&format!("s SELECT INBOX (QRESYNC ({v} {h}))")).await;
        assert_eq!(uidvalidity_in(&r), v);
        let exists = num_after(r.iter().find(|l| l.ends_with(" EXISTS")).unwrap(), "* ");
        let mut vanished = BTreeSet::new();
        for l in &r {
            if let Some(set) = l.strip_prefix("* VANISHED (EARLIER) ") {
                vanished.extend(uids_of(set));
            } else if l.starts_with("* ") && l.contains(" FETCH (UID ") {
                assert!(l.contains(" MODSEQ ("), "{l}");
                cache.insert(u32::try_from(num_after(l, "UID ")).unwrap(), flags_of(l));
            }
        }
        assert_eq!(vanished, BTreeSet::from([4, 5, 9]), "{r:#?}");
        for u in &vanished {
            cache.remove(u);
        }
        for l in a.cmd_ok(&format!("n UID FETCH {uidnext}:* (FLAGS)")).await.iter().filter(|l| l.starts_with("* ")) {
            cache.insert(u32::try_from(num_after(l, "UID ")).unwrap(), flags_of(l));
        }
        assert_eq!(cache.len() as u64, exists);
        let mut full = BTreeMap::new();
        for l in a.cmd_ok("g UID FETCH 1:* (FLAGS)").await.iter().filter(|l| l.starts_with("* ")) {
            full.insert(u32::try_from(num_after(l, "UID ")).unwrap(), flags_of(l));
        }
        assert_eq!(cache, full);
        assert_eq!(full.keys().copied().collect::<Vec<_>>(), [1, 2, 3, 6, 7, 8, 10, 11]);
        // Which session the new messages' \\Recent went to is the server's choice.
        let flags = |u: u32| full[&u].replace(" \\Recent", "");
        assert_eq!(flags(3), "\\Flagged $Label");
        assert_eq!(flags(7), "\\Answered");
        assert_eq!(flags(10), "\\Answered");
        assert_eq!(flags(11), "\\Seen");
    }
}
