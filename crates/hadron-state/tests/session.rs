//! One session at a time: each command's exact RFC 3501 response sequence.

mod common;

use common::{Client, message};
use hadron_state::session::State;

/// Whether `out` is a CREATE's success: `OK [MAILBOXID (…)]` (RFC 8474).
fn created(out: &[String]) -> bool {
    matches!(out, [l] if l.contains(" OK [MAILBOXID (") && l.ends_with("] CREATE completed"))
}

both! {
    async fn with_qresync_every_fetch_names_its_uid(env) {
        // imaptest's QRESYNC stress: "FETCH didn't return UID while QRESYNC
        // was enabled" (RFC 7162 §3.2.4).
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "", &message("one")).await;
        c.run("e ENABLE QRESYNC").await;
        c.run("s SELECT INBOX").await;
        let r = c.run("f FETCH 1 (FLAGS)").await;
        assert_eq!(r[0], "* 1 FETCH (UID 1 FLAGS (\\Recent))");
        let r = c.run("t STORE 1 +FLAGS (\\Seen)").await;
        assert!(r[0].starts_with("* 1 FETCH (FLAGS (\\Seen \\Recent) UID 1 MODSEQ ("), "{r:?}");
    }

    async fn login_checks_the_argon2_password(env) {
        env.engine.create_user("alice", "right").await.unwrap();
        let mut c = Client::new(env.engine.clone());
        assert_eq!(c.run("a SELECT INBOX").await, ["a BAD SELECT needs LOGIN first"]);
        assert_eq!(
            c.run("b LOGIN alice wrong").await,
            ["b NO [AUTHENTICATIONFAILED] authentication failed"]
        );
        assert_eq!(c.state(), State::NotAuthenticated);
        assert_eq!(c.run("c LOGIN alice right").await, ["c OK LOGIN completed"]);
        assert_eq!(c.state(), State::Authenticated);
        assert_eq!(
            c.run("e UID FETCH 1 FLAGS").await,
            ["e BAD UID FETCH needs a selected mailbox"]
        );
        assert_eq!(c.run("f LOGIN alice right").await, ["f BAD already logged in"]);
        assert_eq!(
            c.run("g NAMESPACE").await,
            ["* NAMESPACE ((\"\" \"/\")) NIL NIL", "g OK NAMESPACE completed"]
        );
        assert_eq!(
            c.run("h CAPABILITY").await,
            [
                "* CAPABILITY IMAP4rev1 IDLE UNSELECT UIDPLUS MULTIAPPEND MOVE CHILDREN \
                 LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE STATUS=SIZE NAMESPACE ESEARCH SEARCHRES \
                 ENABLE CONDSTORE QRESYNC OBJECTID SAVEDATE PREVIEW SORT SORT=DISPLAY ESORT PARTIAL \
                 CONTEXT=SEARCH CONTEXT=SORT WITHIN QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE BINARY \
                 CATENATE NOTIFY THREAD=ORDEREDSUBJECT THREAD=REFERENCES",
                "h OK CAPABILITY completed",
            ]
        );
        assert_eq!(c.run("d LOGOUT").await, ["* BYE logging out", "d OK LOGOUT completed"]);
        assert_eq!(c.state(), State::Logout);
    }

    async fn new_users_get_special_use_mailboxes_listed_in_order(env) {
        let mut c = env.client("alice").await;
        assert_eq!(
            c.run("a LIST \"\" *").await,
            [
                "* LIST (\\HasNoChildren) \"/\" INBOX",
                "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
                "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
                "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
                "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
                "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
                "a OK LIST completed",
            ]
        );
        assert_eq!(
            c.run("b LIST \"\" \"\"").await,
            ["* LIST (\\Noselect) \"/\" \"\"", "b OK LIST completed"]
        );
    }

    async fn create_makes_parents_and_list_patterns_follow_the_hierarchy(env) {
        let mut c = env.client("alice").await;
        assert!(created(&c.run("a CREATE Work/2024/Q1").await));
        assert_eq!(
            c.run("b CREATE Work").await,
            ["b NO [ALREADYEXISTS] mailbox \"Work\" already exists"]
        );
        assert_eq!(
            c.run("c LIST \"\" Work/%").await,
            ["* LIST (\\HasChildren) \"/\" Work/2024", "c OK LIST completed"]
        );
        assert_eq!(
            c.run("d LIST Work *").await,
            [
                "* LIST (\\HasChildren) \"/\" Work/2024",
                "* LIST (\\HasNoChildren) \"/\" Work/2024/Q1",
                "d OK LIST completed",
            ]
        );
        assert_eq!(
            c.run("e LIST \"\" %").await.len(),
            8,
            "INBOX, five special-use mailboxes, Work, and OK"
        );
    }

    async fn delete_with_inferiors_leaves_a_noselect_level_and_inbox_stays(env) {
        let mut c = env.client("alice").await;
        c.run("a CREATE A/B").await;
        assert_eq!(c.run("b DELETE A").await, ["b OK DELETE completed"]);
        assert_eq!(
            c.run("c LIST \"\" A*").await,
            [
                "* LIST (\\Noselect \\HasChildren) \"/\" A",
                "* LIST (\\HasNoChildren) \"/\" A/B",
                "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
                "c OK LIST completed",
            ]
        );
        assert_eq!(c.run("d DELETE A").await, ["d NO [NONEXISTENT] no mailbox named \"A\""]);
        assert_eq!(c.run("e SELECT A").await, ["e NO [NONEXISTENT] no mailbox named \"A\""]);
        assert_eq!(c.run("f DELETE inbox").await, ["f NO [CANNOT] INBOX cannot be deleted"]);
    }

    async fn rename_takes_children_along(env) {
        let mut c = env.client("alice").await;
        c.run("a CREATE P/C").await;
        assert_eq!(c.run("b RENAME P Q").await, ["b OK RENAME completed"]);
        assert_eq!(
            c.run("c LIST \"\" Q*").await,
            [
                "* LIST (\\HasChildren) \"/\" Q",
                "* LIST (\\HasNoChildren) \"/\" Q/C",
                "c OK LIST completed",
            ]
        );
        assert_eq!(c.run("d LIST \"\" P*").await, ["d OK LIST completed"]);
        assert_eq!(
            c.run("e RENAME Q Q/C/D").await,
            ["e NO [CANNOT] cannot rename \"Q\" to below itself"]
        );
    }

    async fn rename_inbox_moves_its_messages_and_leaves_it_empty(env) {
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "", &message("one")).await;
        c.append("b", "INBOX", "\\Seen", &message("two")).await;
        assert_eq!(c.run("c RENAME INBOX Old").await, ["c OK RENAME completed"]);
        assert_eq!(
            c.run("d STATUS INBOX (MESSAGES UIDNEXT)").await,
            ["* STATUS INBOX (MESSAGES 0 UIDNEXT 3)", "d OK STATUS completed"]
        );
        assert_eq!(
            c.run("e STATUS Old (MESSAGES UNSEEN)").await,
            ["* STATUS Old (MESSAGES 2 UNSEEN 1)", "e OK STATUS completed"]
        );
    }

    async fn subscribe_and_lsub(env) {
        let mut c = env.client("alice").await;
        assert_eq!(c.run("a SUBSCRIBE Sent").await, ["a OK SUBSCRIBE completed"]);
        assert_eq!(c.run("b SUBSCRIBE Gone").await, ["b OK SUBSCRIBE completed"]);
        assert_eq!(
            c.run("c LSUB \"\" *").await,
            [
                "* LSUB (\\Noselect) \"/\" Gone",
                "* LSUB () \"/\" Sent",
                "c OK LSUB completed",
            ]
        );
        assert_eq!(c.run("d UNSUBSCRIBE Gone").await, ["d OK UNSUBSCRIBE completed"]);
        assert_eq!(
            c.run("e LSUB \"\" %").await,
            ["* LSUB () \"/\" Sent", "e OK LSUB completed"]
        );
    }

    async fn append_reports_appenduid_and_trycreate(env) {
        let mut c = env.client("alice").await;
        let v = env.store.user_by_name("alice").unwrap().unwrap().0;
        let uv = env.store.mailbox_by_name(v, "Drafts").unwrap().unwrap().uidvalidity;
        assert_eq!(
            c.append("a", "Drafts", "\\Draft", &message("x")).await,
            [format!("a OK [APPENDUID {uv} 1] APPEND completed")]
        );
        assert_eq!(
            c.append("b", "Nope", "", &message("x")).await,
            ["b NO [TRYCREATE] no mailbox named \"Nope\""]
        );
        assert_eq!(
            c.run("c STATUS Drafts (MESSAGES RECENT UIDNEXT UNSEEN)").await,
            ["* STATUS Drafts (MESSAGES 1 RECENT 1 UIDNEXT 2 UNSEEN 1)", "c OK STATUS completed"]
        );
    }

    async fn select_sends_the_rfc3501_sequence(env) {
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "\\Seen", &message("one")).await;
        c.append("b", "INBOX", "$Work", &message("two")).await;
        let inbox = env
            .store
            .mailbox_by_name(c.session.account().unwrap().id, "INBOX")
            .unwrap()
            .unwrap();
        let uv = inbox.uidvalidity;
        let id = hadron_state::objectid::mailbox_id(&inbox);
        assert_eq!(
            c.run("s SELECT INBOX").await,
            [
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)".to_owned(),
                "* 2 EXISTS".to_owned(),
                "* 2 RECENT".to_owned(),
                "* OK [UNSEEN 2] message 2 is first unseen".to_owned(),
                format!("* OK [UIDVALIDITY {uv}] UIDs valid"),
                "* OK [UIDNEXT 3] predicted next UID".to_owned(),
                "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] limited"
                    .to_owned(),
                format!("* OK [MAILBOXID ({id})] mailbox id"),
                "s OK [READ-WRITE] SELECT completed".to_owned(),
            ]
        );
        assert_eq!(c.state(), State::Selected);
        // \Recent went to that session: a second SELECT sees none.
        let mut d = env.client("alice").await;
        let r = d.run("x EXAMINE INBOX").await;
        assert!(r.contains(&"* 0 RECENT".to_owned()), "{r:?}");
        assert!(r.contains(&"* OK [PERMANENTFLAGS ()] no permanent flags".to_owned()), "{r:?}");
        assert_eq!(r.last().unwrap(), "x OK [READ-ONLY] EXAMINE completed");
        // The EXAMINEd mailbox is closed by the attempt (RFC 7162 §3.2.11).
        assert_eq!(
            d.run("y SELECT Nope").await,
            [
                "* OK [CLOSED] previous mailbox closed",
                "y NO [NONEXISTENT] no mailbox named \"Nope\""
            ]
        );
        assert_eq!(d.state(), State::Authenticated, "a failed SELECT deselects");
    }

    async fn fetch_answers_from_snapshot_metadata_and_sections(env) {
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "\\Flagged", &message("one")).await;
        c.run("s SELECT INBOX").await;
        assert_eq!(
            c.run("f FETCH 1 (FLAGS UID RFC822.SIZE)").await,
            [
                format!(
                    "* 1 FETCH (FLAGS (\\Flagged \\Recent) UID 1 RFC822.SIZE {})",
                    message("one").len()
                ),
                "f OK FETCH completed".to_owned(),
            ]
        );
        assert_eq!(
            c.run("g FETCH 1 (ENVELOPE)").await,
            [
                "* 1 FETCH (ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"one\" ((\"Ann\" NIL \"ann\" \"example.org\")) ((\"Ann\" NIL \"ann\" \"example.org\")) ((\"Ann\" NIL \"ann\" \"example.org\")) ((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL NIL))",
                "g OK FETCH completed",
            ]
        );
        assert_eq!(
            c.run("h UID FETCH 1 (BODY.PEEK[TEXT] BODY.PEEK[HEADER.FIELDS (Subject)])").await,
            [
                "* 1 FETCH (UID 1 BODY[TEXT] {11}\r\nHello one\r\n BODY[HEADER.FIELDS (Subject)] {16}\r\nSubject: one\r\n\r\n)",
                "h OK FETCH completed",
            ]
        );
        assert_eq!(
            c.run("i FETCH 1 BODY.PEEK[]<0.4>").await,
            ["* 1 FETCH (BODY[]<0> {4}\r\nFrom)", "i OK FETCH completed"]
        );
        let r = c.run("j FETCH 2 FLAGS").await;
        assert!(r.len() == 1 && r[0].starts_with("j BAD "), "{r:?}");
        assert_eq!(
            c.run("l UID FETCH 7:* FLAGS").await,
            ["* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))", "l OK FETCH completed"],
            "UID n:* above the top UID still matches the highest message"
        );
    }

    async fn fetch_structure_dates_and_rfc822_items(env) {
        let mut c = env.client("alice").await;
        let raw = message("one");
        c.run(&format!(
            "a APPEND INBOX (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {{{}}}\r\n{raw}",
            raw.len()
        ))
        .await;
        c.run("s SELECT INBOX").await;
        assert_eq!(
            c.run("f FETCH 1 (INTERNALDATE BODY BODYSTRUCTURE)").await,
            [
                "* 1 FETCH (INTERNALDATE \"17-Jul-1996 09:44:25 +0000\" \
                 BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 11 1) \
                 BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 11 1 NIL NIL NIL NIL))",
                "f OK FETCH completed",
            ]
        );
        let header_len = raw.len() - "Hello one\r\n".len();
        assert_eq!(
            c.run("g FETCH 1 (RFC822.HEADER RFC822.TEXT)").await,
            [
                format!(
                    "* 1 FETCH (RFC822.HEADER {{{header_len}}}\r\n{} RFC822.TEXT {{11}}\r\nHello one\r\n)",
                    &raw[..header_len]
                ),
                "g OK FETCH completed".to_owned(),
            ]
        );
        assert_eq!(
            c.run("h FETCH 1 RFC822").await,
            [
                format!("* 1 FETCH (RFC822 {{{}}}\r\n{raw})", raw.len()),
                "h OK FETCH completed".to_owned(),
            ]
        );
        assert_eq!(
            c.run("i FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1] BINARY[]<0.4>)").await,
            [
                "* 1 FETCH (BINARY.SIZE[1] 11 BINARY[1] {11}\r\nHello one\r\n BINARY[]<0> {4}\r\nFrom)",
                "i OK FETCH completed",
            ]
        );
    }

    async fn sections_of_a_message_stored_without_part_map_match(env) {
        // Sections are read by range through the part map stored at ingest;
        // a row written before part maps existed is read whole and parsed.
        // Both must answer byte for byte the same.
        let mut c = env.client("alice").await;
        let raw = "From: a@example.org\r\nSubject: parts\r\n\
                   Content-Type: multipart/mixed; boundary=b\r\n\r\n\
                   --b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n\
                   --b\r\nContent-Type: text/html\r\n\r\n<p>second</p>\r\n--b--\r\n";
        assert_eq!(c.append("a", "INBOX", "", raw).await.len(), 1);
        assert!(created(&c.run("b CREATE Old").await));
        let (user, _) = env.store.user_by_name("alice").unwrap().unwrap();
        let inbox = env.store.mailbox_by_name(user, "INBOX").unwrap().unwrap().id;
        let old = env.store.mailbox_by_name(user, "Old").unwrap().unwrap().id;
        let mut row = env
            .store
            .fetch_messages(inbox, &hadron_store::UidSet::all())
            .unwrap()
            .remove(0);
        assert!(!row.meta.part_map.is_empty(), "ingest stores the part map");
        row.meta.part_map.clear();
        let legacy = hadron_store::NewMessage {
            meta: row.meta,
            ..hadron_store::NewMessage::default()
        };
        env.store.append(old, vec![legacy]).unwrap();

        let fetch = "FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS (SUBJECT)] \
                     BODY.PEEK[]<10.20> BODY.PEEK[TEXT]<4.1000> RFC822.HEADER RFC822.TEXT RFC822)";
        assert_eq!(c.run("c EXAMINE INBOX").await.last().unwrap(), "c OK [READ-ONLY] EXAMINE completed");
        let new = c.run(&format!("d {fetch}")).await;
        assert_eq!(c.run("e EXAMINE Old").await.last().unwrap(), "e OK [READ-ONLY] EXAMINE completed");
        let legacy = c.run(&format!("d {fetch}")).await;
        assert_eq!(new, legacy);
        assert!(new[0].contains("BODY[1] {5}\r\nfirst BODY[2.MIME]"), "{}", new[0]);
        assert!(new[0].contains("BODY[]<10> {20}\r\nample.org\r\nSubject: "), "{}", new[0]);
    }

    async fn a_long_fetch_offers_flush_points_between_batches(env) {
        // A network sink writes at flush points; a FETCH of many bodies
        // must offer them as it goes, not only at the end.
        let mut c = env.client("alice").await;
        for i in 0..40 {
            c.append("a", "INBOX", "", &message(&format!("m{i}"))).await;
        }
        c.run("s SELECT INBOX").await;
        let cmd = hadron_proto::parse::command(
            b"f FETCH 1:* BODY.PEEK[]\r\n",
            &hadron_proto::parse::ParseLimits::default(),
        )
        .unwrap();
        let mut sink = FlushLog::default();
        c.session.execute(cmd, &mut sink).await;
        assert_eq!(sink.sent, 41, "40 FETCH responses and the tagged OK");
        // Flushed after each batch of bodies, with output in between.
        assert!(sink.flushed_at.len() >= 3, "{:?}", sink.flushed_at);
        assert!(sink.flushed_at.windows(2).all(|w| w[0] < w[1]), "{:?}", sink.flushed_at);
        assert!(*sink.flushed_at.first().unwrap() < 40, "{:?}", sink.flushed_at);
    }

    async fn fetch_body_sets_seen_but_examine_and_peek_do_not(env) {
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "", &message("one")).await;
        c.run("e EXAMINE INBOX").await;
        assert_eq!(
            c.run("f FETCH 1 BODY[TEXT]").await,
            ["* 1 FETCH (BODY[TEXT] {11}\r\nHello one\r\n)", "f OK FETCH completed"]
        );
        assert_eq!(c.run("g FETCH 1 FLAGS").await[0], "* 1 FETCH (FLAGS (\\Recent))");
        c.run("s SELECT INBOX").await;
        assert_eq!(
            c.run("h FETCH 1 BODY.PEEK[TEXT]").await[0],
            "* 1 FETCH (BODY[TEXT] {11}\r\nHello one\r\n)"
        );
        assert_eq!(
            c.run("i FETCH 1 BODY[TEXT]").await,
            [
                "* 1 FETCH (BODY[TEXT] {11}\r\nHello one\r\n FLAGS (\\Seen \\Recent))",
                "i OK FETCH completed",
            ]
        );
        assert_eq!(
            c.run("j FETCH 1 (FLAGS BODY[TEXT])").await[0],
            "* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[TEXT] {11}\r\nHello one\r\n)"
        );
    }

    async fn store_modes_and_silent(env) {
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "", &message("one")).await;
        c.append("b", "INBOX", "", &message("two")).await;
        c.run("s SELECT INBOX").await;
        assert_eq!(
            c.run("c STORE 1:2 +FLAGS (\\Flagged $Todo)").await,
            [
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Todo)",
                "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Todo \\*)] limited",
                "* 1 FETCH (FLAGS (\\Flagged $Todo \\Recent))",
                "* 2 FETCH (FLAGS (\\Flagged $Todo \\Recent))",
                "c OK STORE completed",
            ]
        );
        assert_eq!(
            c.run("d UID STORE 2 -FLAGS ($Todo)").await,
            ["* 2 FETCH (FLAGS (\\Flagged \\Recent) UID 2)", "d OK STORE completed"]
        );
        assert_eq!(c.run("e STORE 1 FLAGS.SILENT (\\Seen)").await, ["e OK STORE completed"]);
        assert_eq!(
            c.run("f FETCH 1:* FLAGS").await,
            [
                "* 1 FETCH (FLAGS (\\Seen \\Recent))",
                "* 2 FETCH (FLAGS (\\Flagged \\Recent))",
                "f OK FETCH completed",
            ]
        );
        c.run("x EXAMINE INBOX").await;
        assert_eq!(
            c.run("g STORE 1 +FLAGS (\\Deleted)").await,
            ["g NO [READ-ONLY] mailbox is read-only"]
        );
    }

    async fn copy_reports_copyuid_and_works_read_only(env) {
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "\\Seen", &message("one")).await;
        c.append("b", "INBOX", "", &message("two")).await;
        c.run("x EXAMINE INBOX").await;
        let id = c.session.account().unwrap().id;
        let (src, dst) = (
            env.store.mailbox_by_name(id, "INBOX").unwrap().unwrap(),
            env.store.mailbox_by_name(id, "Archive").unwrap().unwrap(),
        );
        let _ = src;
        assert_eq!(
            c.run("c COPY 1:2 Archive").await,
            [format!("c OK [COPYUID {} 1:2 1:2] COPY completed", dst.uidvalidity)]
        );
        assert_eq!(
            c.run("d UID COPY 2 Nope").await,
            ["d NO [TRYCREATE] no mailbox named \"Nope\""]
        );
        assert_eq!(
            c.run("e STATUS Archive (MESSAGES UNSEEN RECENT)").await,
            ["* STATUS Archive (MESSAGES 2 UNSEEN 1 RECENT 2)", "e OK STATUS completed"]
        );
    }

    async fn move_sends_copyuid_then_expunges(env) {
        let mut c = env.client("alice").await;
        for s in ["one", "two", "three"] {
            c.append("a", "INBOX", "", &message(s)).await;
        }
        c.run("s SELECT INBOX").await;
        let id = c.session.account().unwrap().id;
        let uv = env.store.mailbox_by_name(id, "Trash").unwrap().unwrap().uidvalidity;
        assert_eq!(
            c.run("m MOVE 1,3 Trash").await,
            [
                format!("* OK [COPYUID {uv} 1,3 1:2] moved"),
                "* 3 EXPUNGE".to_owned(),
                "* 1 EXPUNGE".to_owned(),
                "m OK MOVE completed".to_owned(),
            ]
        );
        assert_eq!(
            c.run("f FETCH 1:* UID").await,
            ["* 1 FETCH (UID 2)", "f OK FETCH completed"]
        );
    }

    async fn expunge_and_uid_expunge_remove_only_deleted(env) {
        let mut c = env.client("alice").await;
        for s in ["1", "2", "3", "4"] {
            c.append("a", "INBOX", "\\Deleted", &message(s)).await;
        }
        c.run("s SELECT INBOX").await;
        c.run("t STORE 2 -FLAGS.SILENT (\\Deleted)").await;
        assert_eq!(
            c.run("u UID EXPUNGE 3:4").await,
            ["* 4 EXPUNGE", "* 3 EXPUNGE", "u OK EXPUNGE completed"]
        );
        assert_eq!(c.run("e EXPUNGE").await, ["* 1 EXPUNGE", "e OK EXPUNGE completed"]);
        assert_eq!(
            c.run("f FETCH 1:* UID").await,
            ["* 1 FETCH (UID 2)", "f OK FETCH completed"]
        );
    }

    async fn close_expunges_silently_and_unselect_does_not(env) {
        let mut c = env.client("alice").await;
        c.append("a", "INBOX", "\\Deleted", &message("1")).await;
        c.append("b", "INBOX", "\\Deleted", &message("2")).await;
        c.run("x EXAMINE INBOX").await;
        assert_eq!(c.run("c CLOSE").await, ["c OK CLOSE completed"]);
        assert_eq!(c.state(), State::Authenticated);
        c.run("s SELECT INBOX").await;
        assert_eq!(c.run("u UNSELECT").await, ["u OK UNSELECT completed"]);
        assert_eq!(
            c.run("v STATUS INBOX (MESSAGES)").await[0],
            "* STATUS INBOX (MESSAGES 2)",
            "neither EXAMINE+CLOSE nor UNSELECT expunges"
        );
        c.run("s SELECT INBOX").await;
        assert_eq!(c.run("c CLOSE").await, ["c OK CLOSE completed"]);
        assert_eq!(c.run("v STATUS INBOX (MESSAGES)").await[0], "* STATUS INBOX (MESSAGES 0)");
        assert_eq!(c.run("w FETCH 1 FLAGS").await, ["w BAD FETCH needs a selected mailbox"]);
    }

    async fn status_is_answered_from_counters(env) {
        let mut c = env.client("alice").await;
        c.append("a", "Sent", "\\Seen", &message("1")).await;
        c.append("b", "Sent", "", &message("22")).await;
        let id = c.session.account().unwrap().id;
        let info = env.store.mailbox_by_name(id, "Sent").unwrap().unwrap();
        assert_eq!(
            c.run("s STATUS Sent (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE)").await,
            [
                format!(
                    "* STATUS Sent (MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY {} UNSEEN 1 SIZE {})",
                    info.uidvalidity, info.size
                ),
                "s OK STATUS completed".to_owned(),
            ]
        );
        assert_eq!(info.size, (message("1").len() + message("22").len()) as u64);
    }
}

/// A sink that counts responses and notes how many had been sent at each
/// flush point.
#[derive(Default)]
struct FlushLog {
    sent: usize,
    flushed_at: Vec<usize>,
}

impl hadron_state::session::ResponseSink for FlushLog {
    fn send(&mut self, _output: hadron_state::session::Output) {
        self.sent += 1;
    }

    fn flush(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.flushed_at.push(self.sent);
        Box::pin(std::future::ready(()))
    }
}

/// The server spawns one task per connection: a command's future must be
/// `Send`.
#[test]
fn command_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let env = common::Env::sqlite();
    let mut session = hadron_state::session::Session::new(env.engine.clone());
    let mut out: Vec<hadron_state::session::Output> = Vec::new();
    let cmd = hadron_proto::parse::command(
        b"a FETCH 1 BODY[]\r\n",
        &hadron_proto::parse::ParseLimits::default(),
    )
    .unwrap();
    let fut = session.execute(cmd, &mut out);
    assert_send(&fut);
}

both! {
    async fn enable_is_for_the_authenticated_state_and_ignores_what_it_cannot_enable(env) {
        env.engine.create_user("alice", "pw").await.unwrap();
        let mut c = Client::new(env.engine.clone());
        assert_eq!(c.run("a ENABLE CONDSTORE").await, ["a BAD ENABLE needs LOGIN first"]);
        assert_eq!(c.run("b LOGIN alice pw").await, ["b OK LOGIN completed"]);
        // Names it cannot enable are ignored; those it can are listed once.
        assert_eq!(
            c.run("c ENABLE UTF8=ACCEPT X-NOT-A-THING IDLE CONDSTORE").await,
            ["* ENABLED CONDSTORE", "c OK ENABLE completed"]
        );
        assert_eq!(c.run("c2 ENABLE X-NOT-A-THING").await, ["* ENABLED", "c2 OK ENABLE completed"]);
        assert_eq!(c.run("d SELECT INBOX").await.last().unwrap(), "d OK [READ-WRITE] SELECT completed");
        assert_eq!(
            c.run("e ENABLE QRESYNC").await,
            ["e BAD ENABLE is only valid before a mailbox is selected (RFC 5161)"]
        );
        assert_eq!(c.state(), State::Selected);
        assert_eq!(c.run("f UNSELECT").await, ["f OK UNSELECT completed"]);
        assert_eq!(c.run("g ENABLE CONDSTORE QRESYNC").await, ["* ENABLED QRESYNC", "g OK ENABLE completed"]);
        let on: Vec<String> = c.session.enabled().iter().map(|c| c.to_string()).collect();
        assert_eq!(on, ["CONDSTORE", "QRESYNC"]);
    }

    async fn passwords_are_replaced_with_a_fresh_argon2_hash(env) {
        env.engine.create_user("alice", "old").await.unwrap();
        env.engine.set_password("alice", "new").await.unwrap();
        let (_, phc) = env.store.user_by_name("alice").unwrap().unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        let mut c = Client::new(env.engine.clone());
        assert_eq!(
            c.run("a LOGIN alice old").await,
            ["a NO [AUTHENTICATIONFAILED] authentication failed"]
        );
        assert_eq!(c.run("b LOGIN alice new").await, ["b OK LOGIN completed"]);
        assert!(matches!(
            env.engine.set_password("nobody", "x").await,
            Err(hadron_state::engine::EngineError::Store(hadron_store::StoreError::UnknownUser(_)))
        ));
        let users = env.engine.users().await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!((users[0].name.as_str(), users[0].mailboxes), ("alice", 6));
    }

    async fn the_auth_cache_never_outlives_a_password_change_or_deletion(env) {
        // The engine's connector remembers verified logins; changes made
        // straight in the store (as `hadron user passwd`/`del` do from
        // another process, or another instance) must shut it out at once.
        let connector = hadron_state::connector::LocalConnector::new(env.store.clone());
        let cache = connector.clone();
        let blob_dir = tempfile::tempdir().unwrap();
        let blobs = hadron_store::FsBlobStore::open(blob_dir.path()).unwrap();
        let engine = hadron_state::engine::Engine::new(
            std::sync::Arc::new(connector),
            env.store.clone(),
            std::sync::Arc::new(blobs),
            64,
        );
        engine.create_user("alice", "old").await.unwrap();
        let mut c = Client::new(engine.clone());
        assert_eq!(c.run("a LOGIN alice old").await, ["a OK LOGIN completed"]);
        assert_eq!(cache.auth_cache().len(), 1, "remembered");
        let mut c = Client::new(engine.clone());
        assert_eq!(c.run("a LOGIN alice old").await, ["a OK LOGIN completed"], "from the cache");
        let mut c = Client::new(engine.clone());
        assert_eq!(
            c.run("b LOGIN alice wrong").await,
            ["b NO [AUTHENTICATIONFAILED] authentication failed"]
        );
        let phc = hadron_state::connector::hash_password("new");
        env.store.set_password_hash("alice", &phc).unwrap();
        let mut c = Client::new(engine.clone());
        assert_eq!(
            c.run("c LOGIN alice old").await,
            ["c NO [AUTHENTICATIONFAILED] authentication failed"],
            "the old password is gone although it was cached"
        );
        assert_eq!(c.run("d LOGIN alice new").await, ["d OK LOGIN completed"]);
        env.store.delete_user("alice").unwrap();
        let mut c = Client::new(engine.clone());
        assert_eq!(
            c.run("e LOGIN alice new").await,
            ["e NO [AUTHENTICATIONFAILED] authentication failed"],
            "a deleted user is gone although cached"
        );
    }

    async fn deleting_a_user_closes_its_selected_sessions_and_refuses_the_rest(env) {
        let mut selected = env.client("alice").await;
        let r = selected.append("a", "INBOX", "", &message("hello")).await;
        assert!(r.last().unwrap().starts_with("a OK"), "{r:?}");
        assert!(selected.run("s SELECT INBOX").await.last().unwrap().starts_with("s OK"));
        let mut authenticated = env.client("alice").await;
        let mut bob = env.client("bob").await;
        assert!(bob.run("s SELECT INBOX").await.last().unwrap().starts_with("s OK"));

        let gone = env.engine.delete_user("alice").await.unwrap();
        assert_eq!(gone.mailboxes.len(), 6);
        // The selected session is told its mailbox went away, as for DELETE.
        assert_eq!(selected.run("n NOOP").await, ["* BYE Selected mailbox was deleted"]);
        assert_eq!(selected.state(), State::Logout);
        // The other stays logged in, but finds nothing and may create nothing.
        assert_eq!(authenticated.run("l LIST \"\" *").await, ["l OK LIST completed"]);
        let r = authenticated.run("s SELECT INBOX").await;
        assert!(r.last().unwrap().starts_with("s NO"), "{r:?}");
        let r = authenticated.run("c CREATE Again").await;
        assert!(r.last().unwrap().starts_with("c NO"), "{r:?}");
        let r = authenticated.append("p", "INBOX", "", &message("late")).await;
        assert!(r.last().unwrap().starts_with("p NO"), "{r:?}");
        assert_eq!(
            authenticated.run("z LOGOUT").await,
            ["* BYE logging out", "z OK LOGOUT completed"]
        );
        // Nobody can log in as alice any more; bob is untouched.
        let mut again = Client::new(env.engine.clone());
        assert_eq!(
            again.run("a LOGIN alice pw").await,
            ["a NO [AUTHENTICATIONFAILED] authentication failed"]
        );
        assert_eq!(bob.run("n NOOP").await, ["n OK NOOP completed"]);
        assert!(matches!(
            env.engine.delete_user("alice").await,
            Err(hadron_state::engine::EngineError::Store(hadron_store::StoreError::UnknownUser(_)))
        ));
    }
}

both! {
    async fn garbage_collection_spares_what_a_session_may_still_fetch(env) {
        let grace = std::time::Duration::ZERO;
        let mut a = env.client("alice").await;
        a.append("a", "INBOX", "", &message("one")).await;
        a.append("b", "INBOX", "", &message("two")).await;
        a.run("c CREATE Doomed").await;
        a.append("d", "Doomed", "", &message("doomed")).await;
        a.run("e DELETE Doomed").await;
        a.run("s SELECT INBOX").await;
        let mut b = env.client("alice").await;
        b.run("s SELECT INBOX").await;
        b.run("t STORE 1 +FLAGS.SILENT (\\Deleted)").await;
        b.run("u EXPUNGE").await;

        // The deleted mailbox's message goes; the one A has not been told
        // of stays, row and body.
        let first = env.engine.collect_garbage(grace).await.unwrap();
        assert_eq!(first, hadron_state::engine::Collected { messages: 1, blobs: 1 });
        let fetched = a.run("f FETCH 1 BODY.PEEK[TEXT]").await;
        assert_eq!(
            fetched,
            [
                "* 1 FETCH (FLAGS (\\Deleted \\Recent) UID 1)",
                "* 1 FETCH (BODY[TEXT] {11}\r\nHello one\r\n)",
                "f OK [EXPUNGEISSUED] FETCH completed",
            ]
        );

        // Once A is told, the next run takes it.
        assert_eq!(a.run("g NOOP").await[0], "* 1 EXPUNGE");
        let second = env.engine.collect_garbage(grace).await.unwrap();
        assert_eq!(second, hadron_state::engine::Collected { messages: 1, blobs: 1 });
        let third = env.engine.collect_garbage(grace).await.unwrap();
        assert_eq!(third, hadron_state::engine::Collected::default());
        assert_eq!(
            a.run("h FETCH 1 BODY.PEEK[TEXT]").await,
            ["* 1 FETCH (BODY[TEXT] {11}\r\nHello two\r\n)", "h OK FETCH completed"]
        );
    }
}
