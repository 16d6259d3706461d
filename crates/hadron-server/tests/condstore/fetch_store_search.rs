//! CONDSTORE's FETCH, STORE and SEARCH (RFC 7162 §3.1.3–§3.1.6, §3.1.10):
//! Examples 3–13, 15, 16 and 19.

use super::*;

both! {
    async fn fetch_modseq_item_returns_each_messages_mod_sequence(backend) {
        // RFC 7162 §3.1.4.2 Example 13; §3.2.4 (a FETCH that sets \Seen).
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append_n(&mut c, "INBOX", 3).await;
        let r = c.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let h = highest_in(&r);
        let r = c.cmd("a FETCH 1:3 (MODSEQ)").await;
        assert_lines(&r, &[
            "* 1 FETCH (MODSEQ (%))",
            "* 2 FETCH (MODSEQ (%))",
            "* 3 FETCH (MODSEQ (%))",
            "a OK FETCH completed",
        ]);
        let (m1, m2, m3) = (modseq_of(&r[0]), modseq_of(&r[1]), modseq_of(&r[2]));
        // Each APPEND moved the mailbox's mod-sequence.
        assert!(m1 < m2 && m2 < m3 && m3 == h, "{r:?}");

        let r = c.cmd("b STORE 2 +FLAGS.SILENT (\\Flagged)").await;
        assert_lines(&r, &["* 2 FETCH (UID 2 MODSEQ (%))", "b OK STORE completed"]);
        let n = modseq_of(&r[0]);
        assert!(n > h);
        let r = c.cmd("a2 FETCH 1:3 (MODSEQ)").await;
        assert_patterns(&r, &[
            format!("* 1 FETCH (MODSEQ ({m1}))"),
            format!("* 2 FETCH (MODSEQ ({n}))"),
            format!("* 3 FETCH (MODSEQ ({m3}))"),
            "a2 OK FETCH completed".to_owned(),
        ]);
        // With other items, and by UID.
        let r = c.cmd("c FETCH 2 (FLAGS MODSEQ)").await;
        assert_patterns(&r, &[format!("* 2 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ ({n}))"), "c OK FETCH completed".to_owned()]);
        let r = c.cmd("d UID FETCH 3 (MODSEQ)").await;
        assert_patterns(&r, &[format!("* 3 FETCH (UID 3 MODSEQ ({m3}))"), "d OK FETCH completed".to_owned()]);
        // A FETCH that sets \Seen tells the new flags with the new
        // mod-sequence (RFC 7162 §3.2.4), unasked.
        let r = c.cmd("e FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])").await;
        assert_lines(&r, &[
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {%}\r\nSubject: message 1\r\n\r\n FLAGS (\\Seen \\Recent) MODSEQ (%))",
            "e OK FETCH completed",
        ]);
        let seen = modseq_of(&r[0]);
        assert!(seen > n, "{r:?}");
        assert_eq!(status_highest(&mut c, "INBOX").await, seen);
    }

    async fn fetch_changedsince_returns_only_messages_changed_after_it(backend) {
        // RFC 7162 §3.1.4.1 Example 12: UIDs 4, 6, 7 and 8 at 1 to 4.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        mailbox_with_gaps(&mut c, "INBOX", 8, "1:3,5").await;
        let r = c.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let h = highest_in(&r);
        let r = c.cmd("t1 UID STORE 4 +FLAGS.SILENT (\\Seen)").await;
        let a = modseq_of(line_starting(&r, "* 1 FETCH (UID 4 "));
        let r = c.cmd("t2 UID STORE 6 +FLAGS.SILENT (\\Deleted)").await;
        let b = modseq_of(line_starting(&r, "* 2 FETCH (UID 6 "));
        let r = c.cmd_ok("t3 UID STORE 8 +FLAGS.SILENT ($NoJunk $AutoJunk $MDNSent)").await;
        let k = modseq_of(line_starting(&r, "* 4 FETCH (UID 8 "));
        assert!(h < a && a < b && b < k);

        let r = c.cmd(&format!("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h})")).await;
        assert_patterns(&r, &[
            format!("* 1 FETCH (UID 4 FLAGS (\\Seen) MODSEQ ({a}))"),
            format!("* 2 FETCH (UID 6 FLAGS (\\Deleted) MODSEQ ({b}))"),
            format!("* 4 FETCH (UID 8 FLAGS ($AutoJunk $MDNSent $NoJunk) MODSEQ ({k}))"),
            "s100 OK FETCH completed".to_owned(),
        ]);
        // By sequence number; strictly after the given mod-sequence.
        let r = c.cmd(&format!("s101 FETCH 1:4 (FLAGS) (CHANGEDSINCE {a})")).await;
        assert_patterns(&r, &[
            format!("* 2 FETCH (FLAGS (\\Deleted) MODSEQ ({b}))"),
            format!("* 4 FETCH (FLAGS ($AutoJunk $MDNSent $NoJunk) MODSEQ ({k}))"),
            "s101 OK FETCH completed".to_owned(),
        ]);
        // Within the set asked for; MODSEQ asked for too is sent once.
        let r = c.cmd(&format!("s102 UID FETCH 5:7 (FLAGS MODSEQ) (CHANGEDSINCE {h})")).await;
        assert_patterns(&r, &[
            format!("* 2 FETCH (UID 6 FLAGS (\\Deleted) MODSEQ ({b}))"),
            "s102 OK FETCH completed".to_owned(),
        ]);
        // Nothing changed since: only the tagged OK.
        let r = c.cmd(&format!("s103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE {k})")).await;
        assert_lines(&r, &["s103 OK FETCH completed"]);
        let r = c.cmd(&format!("s104 FETCH 1:* (UID) (CHANGEDSINCE {k})")).await;
        assert_lines(&r, &["s104 OK FETCH completed"]);
    }

    async fn conditional_store_that_passes_for_every_message_reports_each_new_modseq_even_when_silent(backend) {
        // RFC 7162 §3.1.3 Examples 3 and 4: UIDs 4, 6, 7 and 8 at 1 to 4.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        mailbox_with_gaps(&mut c, "INBOX", 8, "1:3,5").await;
        let r = c.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let h = highest_in(&r);
        let before = modseqs(&mut c).await;

        let r = c.cmd(&format!("a103 UID STORE 6,4,8 (UNCHANGEDSINCE {h}) +FLAGS.SILENT (\\Deleted)")).await;
        assert_lines(&r, &[
            "* 1 FETCH (UID 4 MODSEQ (%))",
            "* 2 FETCH (UID 6 MODSEQ (%))",
            "* 4 FETCH (UID 8 MODSEQ (%))",
            "a103 OK STORE completed",
        ]);
        let stored: Vec<u64> = r[..3].iter().map(|l| modseq_of(l)).collect();
        assert!(stored.iter().all(|&m| m > h), "{r:?}");
        let mut after = before.clone();
        after.insert(4, stored[0]);
        after.insert(6, stored[1]);
        after.insert(8, stored[2]);
        assert_eq!(modseqs(&mut c).await, after);
        let r = c.cmd("f FETCH 1:4 (FLAGS)").await;
        assert_lines(&r, &[
            "* 1 FETCH (FLAGS (\\Deleted))",
            "* 2 FETCH (FLAGS (\\Deleted))",
            "* 3 FETCH (FLAGS ())",
            "* 4 FETCH (FLAGS (\\Deleted))",
            "f OK FETCH completed",
        ]);

        // Example 4 (a new keyword is announced before its first use).
        let h2 = status_highest(&mut c, "INBOX").await;
        let r = c.cmd(&format!("a104 STORE * (UNCHANGEDSINCE {h2}) +FLAGS.SILENT (\\Deleted $Processed)")).await;
        assert_lines(&r, &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Processed)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Processed \\*)] %",
            "* 4 FETCH (UID 8 MODSEQ (%))",
            "a104 OK STORE completed",
        ]);
        assert!(modseq_of(&r[2]) > h2, "{r:?}");
        let r = c.cmd("g FETCH 4 (FLAGS)").await;
        assert_lines(&r, &["* 4 FETCH (FLAGS (\\Deleted $Processed))", "g OK FETCH completed"]);
    }

    async fn conditional_store_leaves_messages_modified_since_and_names_them_by_number_or_uid(backend) {
        // RFC 7162 §3.1.3 Example 6 (both variants): UIDs 4, 6 to 13 at 1 to 9.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        mailbox_with_gaps(&mut c, "INBOX", 13, "1:3,5").await;
        let r = c.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let x = highest_in(&r);
        // 7 and 9 change after x.
        c.cmd_ok("p1 STORE 7,9 +FLAGS.SILENT (\\Seen)").await;
        let r = c.cmd(&format!("d105 STORE 7,5,9 (UNCHANGEDSINCE {x}) +FLAGS.SILENT (\\Deleted)")).await;
        assert_lines(&r, &["* 5 FETCH (UID 9 MODSEQ (%))", "d105 OK [MODIFIED 7,9] %"]);
        let y = modseq_of(&r[0]);
        assert!(y > x);
        let r = c.cmd("f1 FETCH 5,7,9 (FLAGS)").await;
        assert_lines(&r, &[
            "* 5 FETCH (FLAGS (\\Deleted))",
            "* 7 FETCH (FLAGS (\\Seen))",
            "* 9 FETCH (FLAGS (\\Seen))",
            "f1 OK FETCH completed",
        ]);

        // Not .SILENT: the message changed is told with its flags.
        c.cmd_ok("p2 STORE 7,9 -FLAGS.SILENT (\\Seen)").await;
        let r = c.cmd(&format!("d106 STORE 7,5,9 (UNCHANGEDSINCE {y}) +FLAGS (\\Answered)")).await;
        assert_lines(&r, &["* 5 FETCH (FLAGS (\\Answered \\Deleted) UID 9 MODSEQ (%))", "d106 OK [MODIFIED 7,9] %"]);
        assert!(modseq_of(&r[0]) > y);

        // UID STORE names UIDs (seq 5, 7, 9 = UID 9, 11, 13).
        let z = status_highest(&mut c, "INBOX").await;
        c.cmd_ok("p3 UID STORE 11,13 +FLAGS.SILENT (\\Flagged)").await;
        let r = c.cmd(&format!("d107 UID STORE 13,9,11 (UNCHANGEDSINCE {z}) -FLAGS.SILENT (\\Deleted)")).await;
        assert_lines(&r, &["* 5 FETCH (UID 9 MODSEQ (%))", "d107 OK [MODIFIED 11,13] %"]);
        let r = c.cmd("f2 UID FETCH 9,11,13 (FLAGS)").await;
        assert_lines(&r, &[
            "* 5 FETCH (UID 9 FLAGS (\\Answered))",
            "* 7 FETCH (UID 11 FLAGS (\\Flagged))",
            "* 9 FETCH (UID 13 FLAGS (\\Flagged))",
            "f2 OK FETCH completed",
        ]);
    }

    async fn unchangedsince_zero_fails_for_every_message(backend) {
        // RFC 7162 §3.1.3 Examples 7 and 8.
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        mailbox_with_gaps(&mut c, "INBOX", 12, "").await;
        let r = c.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let h = highest_in(&r);
        let r = c.cmd("a102 STORE 12 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)").await;
        assert_lines(&r, &["a102 OK [MODIFIED 12] %"]);
        let r = c.cmd("b STORE 1:* (UNCHANGEDSINCE 0) -FLAGS (\\Seen)").await;
        assert_lines(&r, &["b OK [MODIFIED 1:12] %"]);
        let r = c.cmd("c UID STORE 2:4 (UNCHANGEDSINCE 0) FLAGS ()").await;
        assert_lines(&r, &["c OK [MODIFIED 2:4] %"]);
        // Nothing changed.
        let r = c.cmd("f FETCH 12 (FLAGS)").await;
        assert_lines(&r, &["* 12 FETCH (FLAGS ())", "f OK FETCH completed"]);
        assert_eq!(status_highest(&mut c, "INBOX").await, h);
    }

    async fn a_message_named_twice_in_a_conditional_store_passes_the_second_time(backend) {
        // RFC 7162 §3.1.3, the note after Example 11 ("e105 STORE 7,3:9").
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        mailbox_with_gaps(&mut c, "INBOX", 9, "").await;
        let r = c.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let h = highest_in(&r);
        let r = c.cmd(&format!("e105 STORE 7,3:9 (UNCHANGEDSINCE {h}) +FLAGS.SILENT (\\Deleted)")).await;
        let mut expected: Vec<String> = (3..=9).map(|n| format!("* {n} FETCH (UID {n} MODSEQ (%))")).collect();
        expected.push("e105 OK STORE completed".to_owned());
        assert_patterns(&r, &expected);
        let r = c.cmd("f FETCH 7 (FLAGS)").await;
        assert_lines(&r, &["* 7 FETCH (FLAGS (\\Deleted))", "f OK FETCH completed"]);
    }

    async fn search_modseq_appends_the_highest_mod_sequence_of_the_matches(backend) {
        // RFC 7162 §3.1.5 Examples 15 and 16, §3.1.10 Example 19. UIDs 2
        // to 7 at 1 to 6; \Draft set on 2, 5 and 6 (UIDs 3, 6, 7).
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        mailbox_with_gaps(&mut c, "INBOX", 7, "1").await;
        c.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let min = *modseqs(&mut c).await.values().min().unwrap();
        let mut d = Vec::new();
        for n in [2, 5, 6] {
            let r = c.cmd(&format!("t{n} STORE {n} +FLAGS.SILENT (\\Draft)")).await;
            d.push(modseq_of(&r[0]));
        }
        let (d2, d6) = (d[0], d[2]);

        // Example 15: the entry name and type are accepted, and ignored
        // (one mod-sequence per message).
        let r = c.cmd(&format!("a SEARCH MODSEQ \"/flags/\\\\draft\" all {d2}")).await;
        assert_patterns(&r, &[format!("* SEARCH 2 5 6 (MODSEQ {d6})"), "a OK SEARCH completed".to_owned()]);
        // "equal to or greater than".
        let r = c.cmd(&format!("a2 SEARCH MODSEQ {}", d2 + 1)).await;
        assert_patterns(&r, &[format!("* SEARCH 5 6 (MODSEQ {d6})"), "a2 OK SEARCH completed".to_owned()]);
        let r = c.cmd(&format!("a3 UID SEARCH MODSEQ \"/flags/\\\\seen\" priv {d2}")).await;
        assert_patterns(&r, &[format!("* SEARCH 3 6 7 (MODSEQ {d6})"), "a3 OK UID SEARCH completed".to_owned()]);
        let r = c.cmd(&format!("a4 SEARCH MODSEQ \"/flags/$work\" shared {d2} NOT DRAFT")).await;
        assert_lines(&r, &["* SEARCH", "a4 OK SEARCH completed"]);
        // The highest of the messages found, not of the mailbox.
        let r = c.cmd(&format!("a5 SEARCH MODSEQ {min} NOT DRAFT")).await;
        assert_lines(&r, &["* SEARCH 1 3 4 (MODSEQ %)", "a5 OK SEARCH completed"]);
        assert!(num_after(&r[0], "(MODSEQ ") < d2, "{r:?}");

        // Example 16: nothing found, no MODSEQ.
        let r = c.cmd(&format!("t SEARCH OR NOT MODSEQ {min} LARGER 50000")).await;
        assert_lines(&r, &["* SEARCH", "t OK SEARCH completed"]);

        // Example 19: ESEARCH.
        let r = c.cmd(&format!("a SEARCH RETURN (ALL) MODSEQ {d2}")).await;
        assert_patterns(&r, &[format!("* ESEARCH (TAG \"a\") ALL 2,5:6 MODSEQ {d6}"), "a OK SEARCH completed".to_owned()]);
        let r = c.cmd(&format!("b UID SEARCH RETURN (COUNT ALL) MODSEQ {d2}")).await;
        assert_patterns(&r, &[format!("* ESEARCH (TAG \"b\") UID ALL 3,6:7 COUNT 3 MODSEQ {d6}"), "b OK UID SEARCH completed".to_owned()]);
        let r = c.cmd(&format!("c SEARCH RETURN (ALL) MODSEQ {}", d6 + 1)).await;
        assert_lines(&r, &["* ESEARCH (TAG \"c\")", "c OK SEARCH completed"]);
    }
}

spread! {
    async fn conditional_store_after_another_sessions_change_reports_modified_and_keeps_that_change(backend) {
        // RFC 7162 §3.1.3 Examples 9 and 10: another client changes a
        // message between this client's FETCH and its conditional STORE.
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        mailbox_with_gaps(&mut setup, "INBOX", 5, "").await;
        let mut a = server.login("alice").await;
        let mut b = server.login("alice").await;
        let r = a.cmd_ok("a1 SELECT INBOX (CONDSTORE)").await;
        let h = highest_in(&r);
        b.cmd_ok("b1 SELECT INBOX").await;

        // Example 10: $Processed was set on message 2 by another client;
        // the server tells it, unasked, with the STORE.
        b.cmd_ok("b2 STORE 2 +FLAGS.SILENT ($Processed)").await;
        settle(&server).await;
        let r = a.cmd(&format!("a106 STORE 1:5 (UNCHANGEDSINCE {h}) +FLAGS.SILENT ($Processed)")).await;
        assert_lines(&r, &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Processed)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Processed \\*)] %",
            "* 2 FETCH (FLAGS ($Processed) UID 2 MODSEQ (%))",
            "* 1 FETCH (UID 1 MODSEQ (%))",
            "* 3 FETCH (UID 3 MODSEQ (%))",
            "* 4 FETCH (UID 4 MODSEQ (%))",
            "* 5 FETCH (UID 5 MODSEQ (%))",
            "a106 OK [MODIFIED 2] %",
        ]);
        let p = modseq_of(&r[2]);
        assert!(p > h && r[3..7].iter().all(|l| modseq_of(l) > p), "{r:?}");
        // Example 9: told already, so NOOP has nothing to add.
        let r = a.cmd("a107 NOOP").await;
        assert_lines(&r, &["a107 OK NOOP completed"]);

        // Example 9's second case: another flag changed. One mod-sequence
        // per message, so the STORE fails for it; the retry with the new
        // mod-sequence passes.
        let cur = status_highest(&mut a, "INBOX").await;
        b.cmd_ok("b3 STORE 3 +FLAGS.SILENT (\\Deleted \\Answered)").await;
        settle(&server).await;
        let r = a.cmd(&format!("a108 STORE 3:4 (UNCHANGEDSINCE {cur}) +FLAGS.SILENT (\\Seen)")).await;
        assert_lines(&r, &[
            "* 3 FETCH (FLAGS (\\Answered \\Deleted $Processed) UID 3 MODSEQ (%))",
            "* 4 FETCH (UID 4 MODSEQ (%))",
            "a108 OK [MODIFIED 3] %",
        ]);
        let q = modseq_of(&r[0]);
        let r = a.cmd(&format!("b108 STORE 3 (UNCHANGEDSINCE {q}) +FLAGS.SILENT (\\Seen)")).await;
        assert_lines(&r, &["* 3 FETCH (UID 3 MODSEQ (%))", "b108 OK STORE completed"]);
        assert!(modseq_of(&r[0]) > q);

        // A replacing STORE that would undo another session's change.
        let r = a.cmd("c1 FETCH 1 (FLAGS MODSEQ)").await;
        assert_lines(&r, &["* 1 FETCH (FLAGS ($Processed) MODSEQ (%))", "c1 OK FETCH completed"]);
        let m = modseq_of(&r[0]);
        b.cmd_ok("b4 STORE 1 +FLAGS.SILENT (\\Flagged)").await;
        settle(&server).await;
        let r = a.cmd(&format!("c2 STORE 1 (UNCHANGEDSINCE {m}) FLAGS (\\Seen)")).await;
        assert_lines(&r, &["* 1 FETCH (FLAGS (\\Flagged $Processed) UID 1 MODSEQ (%))", "c2 OK [MODIFIED 1] %"]);
        let f = modseq_of(&r[0]);
        assert!(f > m);
        let r = a.cmd("c3 FETCH 1 (FLAGS MODSEQ)").await;
        assert_patterns(&r, &[format!("* 1 FETCH (FLAGS (\\Flagged $Processed) MODSEQ ({f}))"), "c3 OK FETCH completed".to_owned()]);
        b.cmd_ok("b5 NOOP").await;
        let r = b.cmd("b6 FETCH 1 (FLAGS)").await;
        assert_lines(&r, &["* 1 FETCH (FLAGS (\\Flagged $Processed))", "b6 OK FETCH completed"]);
        // The retry with what it was just told passes.
        let r = a.cmd(&format!("c4 STORE 1 (UNCHANGEDSINCE {f}) FLAGS (\\Seen)")).await;
        assert_lines(&r, &["* 1 FETCH (FLAGS (\\Seen) UID 1 MODSEQ (%))", "c4 OK STORE completed"]);
    }

    async fn concurrent_conditional_stores_let_exactly_one_win_for_each_message(backend) {
        // RFC 7162 §3.1.3: the UNCHANGEDSINCE test and the change are one
        // step. Two sessions replace the flags of the same 20 messages at
        // once, both unchanged since the same mod-sequence: each message
        // ends with the flags of exactly one of them, and the other names
        // it in [MODIFIED].
        let server = TestServer::start(backend).await;
        let mut setup = server.login("alice").await;
        mailbox_with_gaps(&mut setup, "INBOX", 20, "").await;
        let mut a = server.login("alice").await;
        let mut b = server.login("alice").await;
        let r = a.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        let m = highest_in(&r);
        b.cmd_ok("s SELECT INBOX (CONDSTORE)").await;
        a.line(&format!("ca UID STORE 1:20 (UNCHANGEDSINCE {m}) FLAGS.SILENT ($A)")).await;
        b.line(&format!("cb UID STORE 1:20 (UNCHANGEDSINCE {m}) FLAGS.SILENT ($B)")).await;
        let ra = a.until_tagged("ca").await;
        let rb = b.until_tagged("cb").await;
        let modified = |r: &[String]| -> BTreeSet<u32> {
            let last = r.last().unwrap();
            assert!(last.starts_with("c") && last[3..].starts_with("OK "), "{r:?}");
            match last.find("[MODIFIED ") {
                Some(at) => uids_of(&last[at + "[MODIFIED ".len()..last.find(']').unwrap()]),
                None => BTreeSet::new(),
            }
        };
        let (lost_a, lost_b) = (modified(&ra), modified(&rb));
        assert!(lost_a.is_disjoint(&lost_b), "{ra:?} {rb:?}");
        let all: BTreeSet<u32> = (1..=20).collect();
        assert_eq!(lost_a.union(&lost_b).copied().collect::<BTreeSet<u32>>(), all, "{ra:?} {rb:?}");
        a.cmd_ok("n NOOP").await;
        let r = a.cmd_ok("f UID FETCH 1:20 (FLAGS)").await;
        for l in r.iter().filter(|l| l.starts_with("* ")) {
            let uid = u32::try_from(num_after(l, "UID ")).unwrap();
            let winner = if lost_a.contains(&uid) { "$B" } else { "$A" };
            assert!(l.ends_with(&format!("FLAGS ({winner}))")), "{l} ({ra:?} {rb:?})");
        }
    }

    async fn conditional_store_over_messages_another_session_expunged_stores_the_rest(backend) {
        // RFC 7162 §3.1.3 Example 11, with .SILENT: messages 4 to 7 were
        // expunged and 2 was changed by another session since.
        let (server, mut a, f, held) = example_11_setup(backend).await;
        settle(&server).await;
        let r = a.cmd(&format!("B001 STORE 1:7 (UNCHANGEDSINCE {}) +FLAGS.SILENT (\\Seen)", held.x)).await;
        let s = stored_modseq(&r);
        let mut expected = held.told.clone();
        expected.extend([format!("* 1 FETCH (UID 1 MODSEQ ({s}))"), format!("* 3 FETCH (UID 3 MODSEQ ({s}))")]);
        held.check(&server, &r, &expected, "B001 OK [MODIFIED 2] %");

        let r = a.cmd("B002 NOOP").await;
        let mut view: Vec<u32> = (1..=7).collect();
        assert_eq!(r.len(), 5, "{r:?}");
        apply_expunges(&mut view, &r, &["B002 OK NOOP completed"]);
        assert_eq!(view, [1, 2, 3]);
        let r = a.cmd(&format!("b003 STORE 2 (UNCHANGEDSINCE {f}) +FLAGS (\\Seen)")).await;
        assert_lines(&r, &["* 2 FETCH (FLAGS (\\Flagged \\Seen) UID 2 MODSEQ (%))", "b003 OK STORE completed"]);
        assert!(modseq_of(&r[0]) > s);
        let r = a.cmd("f FETCH 1:* (FLAGS)").await;
        assert_lines(&r, &[
            "* 1 FETCH (FLAGS (\\Seen))",
            "* 2 FETCH (FLAGS (\\Flagged \\Seen))",
            "* 3 FETCH (FLAGS (\\Seen))",
            "f OK FETCH completed",
        ]);
    }
}

spread! {
    async fn conditional_store_over_messages_another_session_expunged_example_11(backend) {
        // RFC 7162 §3.1.3 Example 11 as written (not .SILENT). Once
        // CONDSTORE is on, every untagged FETCH carries MODSEQ (§3.1), and
        // UID too with QRESYNC advertised (§3.2.4).
        let (server, mut a, f, held) = example_11_setup(backend).await;
        settle(&server).await;
        let r = a.cmd(&format!("B001 STORE 1:7 (UNCHANGEDSINCE {}) +FLAGS (\\Seen)", held.x)).await;
        let without: Vec<&String> = r
            .iter()
            .filter(|l| l.contains(" FETCH (") && !(l.contains(" UID ") && l.contains(" MODSEQ (")))
            .collect();
        assert!(without.is_empty(), "FETCH without UID and MODSEQ: {without:#?}");
        let s = stored_modseq(&r);
        for n in [1, 3] {
            let l = format!("* {n} FETCH (FLAGS (\\Seen) UID {n} MODSEQ ({s}))");
            assert!(r.contains(&l), "no {l:?} in {r:#?}");
        }
        for l in &held.told {
            if server.others.is_empty() || !held.of_expunged.contains(l) {
                assert!(r.contains(l), "no {l:?} in {r:#?}");
            }
        }
        assert_lines(&r[r.len() - 2..], &["* OK [HIGHESTMODSEQ %] %", "B001 % [MODIFIED 2] %"]);
        held.check_highest(&server, &r);
        let r = a.cmd("B002 NOOP").await;
        let mut view: Vec<u32> = (1..=7).collect();
        assert_eq!(r.len(), 5, "{r:?}");
        apply_expunges(&mut view, &r, &["B002 OK NOOP completed"]);
        assert_eq!(view, [1, 2, 3]);
        let r = a.cmd(&format!("b003 STORE 2 (UNCHANGEDSINCE {f}) +FLAGS (\\Seen)")).await;
        assert_lines(&r, &["* 2 FETCH (FLAGS (\\Flagged \\Seen) UID 2 MODSEQ (%))", "b003 OK STORE completed"]);
    }
}

/// What Example 11's STORE is told of the other session's changes.
struct Held {
    /// The client's mod-sequence before the other session's changes.
    x: u64,
    /// The unsolicited FETCHes of those changes.
    told: Vec<String>,
    /// Of those, the flag changes of the expunged messages: over two
    /// instances they may reach the session as the expunge alone (an
    /// instance reads the mailbox's state, and an expunged message has no
    /// flags row).
    of_expunged: Vec<String>,
    /// The expunge's mod-sequence.
    expunge: u64,
}

impl Held {
    /// Checks `r`, the STORE's responses: `untagged` in any order (RFC
    /// 7162 leaves the order of FETCHes open), then the HIGHESTMODSEQ
    /// below the held expunge, then `tagged`.
    #[track_caller]
    fn check(&self, server: &TestServer, r: &[String], untagged: &[String], tagged: &str) {
        let (body, tail) = r.split_at(r.len().saturating_sub(2));
        let mut got: Vec<String> = body.to_vec();
        let mut want: Vec<String> = untagged.to_vec();
        if !server.others.is_empty() {
            for l in &self.of_expunged {
                if !got.contains(l) {
                    want.retain(|w| w != l);
                }
            }
        }
        got.sort();
        want.sort();
        assert_patterns(&got, &want);
        assert_patterns(
            tail,
            &["* OK [HIGHESTMODSEQ %] %".to_owned(), tagged.to_owned()],
        );
        self.check_highest(server, tail);
    }

    /// The HIGHESTMODSEQ the client is told is below the held expunge's,
    /// and (on one instance; see
    /// `highestmodseq_told_while_an_expunge_is_held_is_not_below_what_the_client_knew`)
    /// not below what it knew before.
    #[track_caller]
    fn check_highest(&self, server: &TestServer, r: &[String]) {
        let n = highest_in(r);
        assert!(
            n < self.expunge,
            "HIGHESTMODSEQ {n} is not below {}",
            self.expunge
        );
        if server.others.is_empty() {
            assert!(self.x <= n, "HIGHESTMODSEQ {n} is below {}", self.x);
        }
    }
}

/// The mod-sequence of the STORE's own FETCHes (`* 1 FETCH`).
fn stored_modseq(r: &[String]) -> u64 {
    modseq_of(
        r.iter()
            .find(|l| l.starts_with("* 1 FETCH ("))
            .unwrap_or_else(|| panic!("no FETCH of message 1: {r:#?}")),
    )
}

/// Example 11's mailbox: seven messages; client A (CONDSTORE, not
/// QRESYNC) has it selected when session B sets \Deleted on 4 to 7,
/// expunges them, then flags 2. Returns A, the mod-sequence of 2's change
/// and what A's next STORE will be told.
async fn example_11_setup(backend: common::Backend) -> (TestServer, Client, u64, Held) {
    let server = TestServer::start(backend).await;
    let mut setup = server.login("alice").await;
    mailbox_with_gaps(&mut setup, "INBOX", 7, "").await;
    let mut a = server.login("alice").await;
    let r = a.cmd_ok("a SELECT INBOX (CONDSTORE)").await;
    let x = highest_in(&r);
    let mut b = server.login("alice").await;
    b.cmd_ok("e ENABLE QRESYNC").await;
    b.cmd_ok("s SELECT INBOX").await;
    let r = b.cmd_ok("b1 STORE 4:7 +FLAGS.SILENT (\\Deleted)").await;
    let d = modseq_of(&r[0]);
    let r = b.cmd("b2 EXPUNGE").await;
    assert_lines(&r, &["* VANISHED 4:7", "b2 OK [HIGHESTMODSEQ %] %"]);
    let expunge = highest_in(&r);
    let r = b.cmd("b3 STORE 2 +FLAGS.SILENT (\\Flagged)").await;
    assert_lines(
        &r,
        &["* 2 FETCH (UID 2 MODSEQ (%))", "b3 OK STORE completed"],
    );
    let f = modseq_of(&r[0]);
    assert!(x < d && d < expunge && expunge < f);
    let of_expunged: Vec<String> = (4..=7)
        .map(|n| format!("* {n} FETCH (FLAGS (\\Deleted) UID {n} MODSEQ ({d}))"))
        .collect();
    let mut told = vec![format!("* 2 FETCH (FLAGS (\\Flagged) UID 2 MODSEQ ({f}))")];
    told.extend(of_expunged.iter().cloned());
    (
        server,
        a,
        f,
        Held {
            x,
            told,
            of_expunged,
            expunge,
        },
    )
}
