//! Black-box tests of SAVEDATE (RFC 8514): FETCH SAVEDATE is when the
//! message was saved into its mailbox (the APPEND, or the COPY or MOVE that
//! brought it), unlike INTERNALDATE, which a copy keeps; SAVEDBEFORE,
//! SAVEDON and SAVEDSINCE compare its day; SAVEDATESUPPORTED matches every
//! message; messages stored before save dates were kept answer NIL and are
//! compared by INTERNALDATE. Every test runs on SQLite and, with
//! `HADRON_TEST_PG`, on PostgreSQL.
#![allow(missing_docs)]

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{Client, TestServer, assert_lines, message};
use hadron_proto::types::{Data, DateTime, FetchItem, Response};
use hadron_store::MailboxId;

/// An INTERNALDATE long before any save date.
const RECEIVED: &str = " 1-Jan-2001 10:00:00 +0000";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The SAVEDATE of each `* n FETCH` line of `lines` (`None` for NIL), in
/// order.
fn save_dates(lines: &[String]) -> Vec<Option<DateTime>> {
    lines
        .iter()
        .filter(|l| l.starts_with("* ") && l.contains(" FETCH ("))
        .map(|l| {
            let wire = format!("{l}\r\n");
            let resp = hadron_proto::parse::response(wire.as_bytes())
                .unwrap_or_else(|e| panic!("{l}: {e}"));
            let Response::Data(Data::Fetch { items, .. }) = resp else {
                panic!("not a FETCH: {l}")
            };
            items
                .iter()
                .find_map(|i| match i {
                    FetchItem::SaveDate(d) => Some(*d),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no SAVEDATE in {l}"))
        })
        .collect()
}

/// Appends `n` messages received on [`RECEIVED`] to `mailbox`.
async fn append_received(c: &mut Client, mailbox: &str, n: usize) {
    for i in 1..=n {
        let m = message(&format!("m{i}"), "body");
        c.cmd_ok(&format!(
            "a{i} APPEND {mailbox} \"{RECEIVED}\" {{{}+}}\r\n{m}",
            m.len()
        ))
        .await;
    }
}

/// Alice's mailbox `name` in the store.
fn mailbox_id(server: &TestServer, name: &str) -> MailboxId {
    let store = server.engine.store();
    let (user, _) = store.user_by_name("alice").unwrap().unwrap();
    store.mailbox_by_name(user, name).unwrap().unwrap().id
}

both! {
    async fn savedate_is_advertised(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.connect().await;
        let r = c.cmd_ok("a CAPABILITY").await;
        assert!(r[0].split(' ').any(|w| w == "SAVEDATE"), "{r:?}");
    }

    async fn append_saves_now_whatever_the_internaldate(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        let before = now();
        append_received(&mut c, "INBOX", 2).await;
        let after = now();
        c.cmd_ok("s SELECT INBOX").await;
        let r = c.cmd("f FETCH 1:2 (INTERNALDATE SAVEDATE)").await;
        assert_lines(
            &r,
            &[
                &format!("* 1 FETCH (INTERNALDATE \"{RECEIVED}\" SAVEDATE \"% +0000\")"),
                &format!("* 2 FETCH (INTERNALDATE \"{RECEIVED}\" SAVEDATE \"% +0000\")"),
                "f OK FETCH completed",
            ],
        );
        for saved in save_dates(&r) {
            let t = saved.expect("a save date").to_unix();
            assert!((before..=after).contains(&t), "{t} not in {before}..={after}");
        }
        // Alone, and with UID as UID FETCH adds it.
        assert_lines(
            &c.cmd("g UID FETCH 2 SAVEDATE").await,
            &["* 2 FETCH (UID 2 SAVEDATE \"%\")", "g OK FETCH completed"],
        );
    }

    async fn copy_and_move_get_a_new_save_date_and_keep_internaldate(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        c.cmd_ok("a CREATE Later").await;
        append_received(&mut c, "INBOX", 2).await;
        // Saved into INBOX on 1-Jan-2010.
        let inbox = mailbox_id(&server, "INBOX");
        assert_eq!(hadron_store::testing::set_save_dates(server.engine.store(), inbox, Some(1_262_340_000)), 2);
        c.cmd_ok("s SELECT INBOX").await;
        let before = now();
        c.cmd_ok("c COPY 1 Later").await;
        c.cmd_ok("m MOVE 2 Later").await;
        let after = now();
        // The source keeps its save date.
        assert_lines(
            &c.cmd("f FETCH 1 (INTERNALDATE SAVEDATE)").await,
            &[
                &format!("* 1 FETCH (INTERNALDATE \"{RECEIVED}\" SAVEDATE \" 1-Jan-2010 10:00:00 +0000\")"),
                "f OK FETCH completed",
            ],
        );
        // The copies were saved now, received when they were.
        c.cmd_ok("t SELECT Later").await;
        let r = c.cmd("g FETCH 1:2 (INTERNALDATE SAVEDATE)").await;
        assert_lines(
            &r,
            &[
                &format!("* 1 FETCH (INTERNALDATE \"{RECEIVED}\" SAVEDATE %)"),
                &format!("* 2 FETCH (INTERNALDATE \"{RECEIVED}\" SAVEDATE %)"),
                "g OK FETCH completed",
            ],
        );
        for saved in save_dates(&r) {
            let t = saved.expect("a save date").to_unix();
            assert!((before..=after).contains(&t), "{t} not in {before}..={after}");
        }
    }

    async fn saved_keys_search_the_save_date(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        c.cmd_ok("a CREATE Later").await;
        append_received(&mut c, "INBOX", 5).await;
        let inbox = mailbox_id(&server, "INBOX");
        hadron_store::testing::set_save_dates(server.engine.store(), inbox, Some(1_262_340_000));
        c.cmd_ok("s SELECT INBOX").await;
        c.cmd_ok("c COPY 2,4 INBOX").await;
        // Today, as the server saw it (not the test's clock: midnight may pass).
        let r = c.cmd("f FETCH 6 SAVEDATE").await;
        let today = save_dates(&r)[0].expect("a save date").date();
        let cases: Vec<(String, &str)> = vec![
            ("SAVEDON 1-Jan-2010".into(), " 1 2 3 4 5"),
            ("SAVEDBEFORE 2-Jan-2010".into(), " 1 2 3 4 5"),
            ("SAVEDSINCE 2-Jan-2010".into(), " 6 7"),
            ("SAVEDBEFORE 1-Jan-2010".into(), ""),
            (format!("SAVEDON {today}"), " 6 7"),
            (format!("SAVEDSINCE {today}"), " 6 7"),
            (format!("SAVEDBEFORE {today}"), " 1 2 3 4 5"),
            // The copies' INTERNALDATE is still the original one.
            ("ON 1-Jan-2001".into(), " 1 2 3 4 5 6 7"),
            ("SAVEDON 1-Jan-2001".into(), ""),
            ("SAVEDATESUPPORTED".into(), " 1 2 3 4 5 6 7"),
            ("NOT SAVEDATESUPPORTED".into(), ""),
            // Few candidates: read message by message, not through the index.
            (format!("UID 7 SAVEDSINCE {today}"), " 7"),
            ("UID 1 SAVEDSINCE 2-Jan-2010".into(), ""),
            // With a SENT* key the rows are read whole.
            (format!("UID 6 SENTSINCE 1-Jan-1990 SAVEDON {today}"), " 6"),
        ];
        for (args, hits) in cases {
            let r = c.cmd(&format!("k SEARCH {args}")).await;
            assert_eq!(r, [format!("* SEARCH{hits}"), "k OK SEARCH completed".into()], "SEARCH {args}");
        }
        // ESEARCH and UID SEARCH take the keys too.
        assert_lines(
            &c.cmd("u UID SEARCH RETURN (COUNT) SAVEDSINCE 2-Jan-2010").await,
            &["* ESEARCH (TAG \"u\") UID COUNT 2", "u OK UID SEARCH completed"],
        );
    }

    async fn messages_older_than_save_dates_answer_nil(backend) {
        let server = TestServer::start(backend).await;
        let mut c = server.login("alice").await;
        append_received(&mut c, "INBOX", 2).await;
        // As for rows stored before the store kept save dates.
        let inbox = mailbox_id(&server, "INBOX");
        hadron_store::testing::set_save_dates(server.engine.store(), inbox, None);
        c.cmd_ok("s SELECT INBOX").await;
        assert_lines(
            &c.cmd("f FETCH 1:2 (UID SAVEDATE)").await,
            &[
                "* 1 FETCH (UID 1 SAVEDATE NIL)",
                "* 2 FETCH (UID 2 SAVEDATE NIL)",
                "f OK FETCH completed",
            ],
        );
        // SAVED* compare their INTERNALDATE instead (RFC 8514 §4.3).
        for (args, hits) in [
            ("SAVEDON 1-Jan-2001", "* SEARCH 1 2"),
            ("SAVEDSINCE 2-Jan-2001", "* SEARCH"),
            ("UID 2 SAVEDBEFORE 2-Jan-2001", "* SEARCH 2"),
            ("SAVEDATESUPPORTED", "* SEARCH 1 2"),
        ] {
            assert_lines(
                &c.cmd(&format!("k SEARCH {args}")).await,
                &[hits, "k OK SEARCH completed"],
            );
        }
    }
}
