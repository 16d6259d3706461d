//! The operations, compiled once per backend from `ops_impl.rs`.

/// Operations on PostgreSQL connections.
pub(crate) mod pg {
    #![allow(clippy::too_many_arguments)]
    type Conn = diesel::PgConnection;
    type DB = diesel::pg::Pg;
    include!("ops_impl.rs");
    include!("ops_search.rs");
    include!("ops_modseq.rs");
    include!("ops_fulltext.rs");
    include!("ops_feed.rs");
    include!("ops_auth.rs");
    include!("ops_transfer.rs");
    include!("ops_instances.rs");
}

/// Operations on SQLite connections.
pub(crate) mod sqlite {
    #![allow(clippy::too_many_arguments)]
    type Conn = diesel::SqliteConnection;
    type DB = diesel::sqlite::Sqlite;
    include!("ops_impl.rs");
    include!("ops_search.rs");
    include!("ops_modseq.rs");
    include!("ops_fulltext.rs");
    include!("ops_feed.rs");
    include!("ops_auth.rs");
    include!("ops_transfer.rs");
    include!("ops_instances.rs");
}

#[cfg(test)]
mod plan_tests {
    //! Every statement the set operations send for a UID set reads `mailbox_messages`
    //! through its index, whatever the set's shape: checked with SQLite's
    //! `EXPLAIN QUERY PLAN` on the statements actually run (captured by diesel's
    //! instrumentation), on a mailbox of 3,000 messages; on PostgreSQL (when
    //! `HADRON_TEST_PG` is set) by counting the sequential scans the same operations
    //! need when the planner may avoid them.

    use std::sync::{Arc, Mutex};

    use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
    use diesel::prelude::*;

    use super::{pg, sqlite};
    use crate::FlagOp;
    use crate::types::{ColumnRange, MessageMeta, NewMessage, SystemFlags, UidSet};

    #[derive(QueryableByName)]
    struct PlanRow {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    pub(super) fn message(i: u32) -> NewMessage {
        NewMessage {
            meta: MessageMeta {
                content_hash: format!("{i:064x}"),
                size: 100 + u64::from(i % 1_000),
                internal_date: 1_700_000_000 + 60 * i64::from(i),
                sent_date: None,
                envelope: b"NIL".to_vec(),
                bodystructure: b"NIL".to_vec(),
                subject: None,
                from: None,
                to: None,
                cc: None,
                part_map: Vec::new(),
                thread_id: None,
                sort_keys: None,
                thread_refs: None,
                preview: None,
            },
            flags: SystemFlags::EMPTY,
            keywords: Vec::new(),
            sent_day: None,
            text: None,
            uid: None,
        }
    }

    /// The plan of `sql`, one line per step.
    fn plan(c: &mut SqliteConnection, sql: &str) -> Vec<String> {
        diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<PlanRow>(c)
            .unwrap_or_else(|e| panic!("EXPLAIN of {sql}: {e}"))
            .into_iter()
            .map(|r| r.detail)
            .collect()
    }

    /// A fresh SQLite database (in `dir`) with user alice and her INBOX.
    pub(super) fn inbox_db(
        dir: &tempfile::TempDir,
    ) -> (SqliteConnection, crate::UserId, crate::MailboxId) {
        let url = dir.path().join("plans.db");
        let mut c = SqliteConnection::establish(url.to_str().unwrap()).unwrap();
        crate::migrate::run_sqlite(&mut c).unwrap();
        let user = sqlite::create_user(&mut c, "alice", "x", 0).unwrap();
        let inbox = sqlite::create_mailbox(&mut c, user, "INBOX", None, 0)
            .unwrap()
            .id;
        (c, user, inbox)
    }

    /// Records the text (without binds) of every statement `c` runs from now on.
    pub(super) fn record_statements(c: &mut SqliteConnection) -> Arc<Mutex<Vec<String>>> {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = seen.clone();
        c.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                let text = query.to_string();
                let sql = text.split(" -- binds:").next().unwrap_or(&text).to_owned();
                record.lock().unwrap().push(sql);
            }
        });
        seen
    }

    /// Runs every set operation of backend module `$ops` on connection `$c`, over UID sets
    /// of every shape, plus the indexed reads.
    macro_rules! exercise {
        ($ops:ident, $c:ident, $inbox:ident, $other:ident) => {{
            let (c, inbox, other) = (&mut $c, $inbox, $other);
            let shapes = [
                UidSet::range(10, 2_000),
                // 1,000 two-message ranges.
                UidSet::from_ranges((0..1_000).map(|i| (3 * i + 1, 3 * i + 2))),
                UidSet::from_uids((1..3_000).step_by(7)),
                UidSet::from_ranges((0..50).map(|i| (60 * i + 1, 60 * i + 40))),
                UidSet::all(),
            ];
            for set in &shapes {
                $ops::fetch_flags(c, inbox, set).unwrap();
                $ops::fetch_messages(c, inbox, set).unwrap();
                let envelope = crate::FetchColumns {
                    envelope: true,
                    ..crate::FetchColumns::default()
                };
                $ops::fetch_for_fetch(c, inbox, set, envelope).unwrap();
                $ops::sort_rows(c, inbox, set, crate::SortColumns::ALL).unwrap();
                $ops::thread_rows(c, inbox, set).unwrap();
                $ops::store_flags(c, inbox, set, FlagOp::Add, SystemFlags::SEEN, &[]).unwrap();
                $ops::store_flags(c, inbox, set, FlagOp::Remove, SystemFlags::SEEN, &[]).unwrap();
            }
            // Destructive ones last, on sets that still exist.
            $ops::copy(c, inbox, &shapes[1], other, false).unwrap();
            $ops::copy(c, inbox, &shapes[3], other, true).unwrap();
            $ops::expunge(c, inbox, &shapes[2], false).unwrap();
            $ops::recent_uids(c, inbox).unwrap();
            // The newest tenth, as SEARCH SINCE usually asks.
            let (from, until) = (Some(1_700_000_000 + 60 * 2_700), None);
            $ops::uids_in_range(c, inbox, ColumnRange::InternalDate { from, until }).unwrap();
            let (from, until) = (Some(50), Some(200));
            $ops::uids_in_range(c, inbox, ColumnRange::Size { from, until }).unwrap();
            // The last minute, as SEARCH SAVEDSINCE today asks: the rows with a save date and
            // those stored before save dates were kept.
            let (from, until) = (Some(crate::store::now_secs() - 60), None);
            $ops::uids_in_range(c, inbox, ColumnRange::SaveDate { from, until }).unwrap();
        }};
    }

    #[test]
    fn set_operations_never_seq_scan_the_mailbox_on_postgres() {
        let Some(db) = crate::testing::PgTestDatabase::create("hadron_plans") else {
            return;
        };
        let mut c = PgConnection::establish(db.url()).unwrap();
        crate::migrate::run_postgres(&mut c).unwrap();
        let user = pg::create_user(&mut c, "alice", "x", 0).unwrap();
        let inbox = pg::create_mailbox(&mut c, user, "INBOX", None, 0)
            .unwrap()
            .id;
        let other = pg::create_mailbox(&mut c, user, "Other", None, 0)
            .unwrap()
            .id;
        let batch: Vec<NewMessage> = (0..3_000).map(message).collect();
        pg::append(&mut c, inbox, &batch).unwrap();
        c.batch_execute("ANALYZE").unwrap();
        // With sequential scans priced out, one still happens only where no index can answer;
        // the transaction's own statistics count them.
        #[derive(QueryableByName)]
        struct Scans {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            seq_scan: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            idx_scan: i64,
        }
        // The backend's statistics not yet reported (earlier transactions' included).
        let scans = |c: &mut PgConnection| -> Scans {
            diesel::sql_query(
                "SELECT seq_scan, COALESCE(idx_scan, 0) AS idx_scan \
                 FROM pg_stat_xact_user_tables WHERE relname = 'mailbox_messages'",
            )
            .get_result(c)
            .unwrap()
        };
        // With sequential scans priced out, one still happens only where no index can answer.
        c.batch_execute("BEGIN; SET LOCAL enable_seqscan = off;")
            .unwrap();
        let before = scans(&mut c);
        exercise!(pg, c, inbox, other);
        let after = scans(&mut c);
        c.batch_execute("ROLLBACK").unwrap();
        assert!(after.idx_scan - before.idx_scan > 20, "the operations ran");
        assert_eq!(
            after.seq_scan - before.seq_scan,
            0,
            "a statement on mailbox_messages needed a sequential scan"
        );
    }

    /// "What changed after mod-sequence m" (CHANGEDSINCE, QRESYNC, the change feed) is
    /// answered from the mod-sequence index alone: no scan, no lookup in the table per
    /// changed row.
    #[test]
    fn changes_since_a_modseq_read_the_covering_index() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, _, inbox) = inbox_db(&dir);
        let batch: Vec<NewMessage> = (0..3_000).map(message).collect();
        sqlite::append(&mut c, inbox, &batch).unwrap();
        let before: Option<i64> = crate::schema::mailbox_messages::table
            .select(diesel::dsl::max(crate::schema::mailbox_messages::modseq))
            .first(&mut c)
            .unwrap();
        let before = before.unwrap() as u64;
        let set = UidSet::from_uids((1..3_000).step_by(3));
        sqlite::store_flags(&mut c, inbox, &set, FlagOp::Add, SystemFlags::SEEN, &[]).unwrap();
        diesel::sql_query("ANALYZE").execute(&mut c).unwrap();

        let seen = record_statements(&mut c);
        let changed = sqlite::changed_since(&mut c, inbox, &UidSet::all(), before).unwrap();
        assert_eq!(changed.len(), 1_000);
        assert!(changed.iter().all(|m| m.flags.contains(SystemFlags::SEEN)));
        let feed = sqlite::changes_since(&mut c, inbox, before, None, 3_001)
            .unwrap()
            .unwrap();
        assert_eq!(feed.changed.len(), 1_000);
        let statements = seen.lock().unwrap().clone();
        // Written by hand or by diesel's query builder (which quotes names).
        let by_modseq: Vec<&String> = statements
            .iter()
            .filter(|s| {
                let bare = s.replace(['`', '"'], "");
                bare.contains("FROM mailbox_messages") && bare.contains("modseq >")
            })
            .collect();
        assert_eq!(by_modseq.len(), 2, "{statements:#?}");
        for sql in by_modseq {
            let steps = plan(&mut c, sql);
            assert!(
                steps
                    .iter()
                    .any(|s| s.contains("USING COVERING INDEX mailbox_messages_modseq"))
                    && steps.iter().all(|s| !s.starts_with("SCAN")),
                "{sql}: {steps:?}"
            );
        }
    }

    #[test]
    fn set_operations_never_scan_the_mailbox() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, user, inbox) = inbox_db(&dir);
        let other = sqlite::create_mailbox(&mut c, user, "Other", None, 0)
            .unwrap()
            .id;
        let batch: Vec<NewMessage> = (0..3_000).map(message).collect();
        sqlite::append(&mut c, inbox, &batch).unwrap();
        diesel::sql_query("ANALYZE").execute(&mut c).unwrap();

        let seen = record_statements(&mut c);
        exercise!(sqlite, c, inbox, other);
        c.set_instrumentation(
            diesel::connection::get_default_instrumentation().unwrap_or_else(|| {
                Box::new(|_: InstrumentationEvent<'_>| {}) as Box<dyn Instrumentation>
            }),
        );

        let statements = seen.lock().unwrap().clone();
        let recent = statements
            .iter()
            .find(|s| s.contains("(flags & 32) <> 0 ORDER BY uid"))
            .unwrap_or_else(|| panic!("recent_uids ran: {statements:#?}"));
        let steps = plan(&mut c, recent);
        assert!(
            steps.iter().all(|s| !s.starts_with("SCAN"))
                && steps.iter().any(|s| s.contains("mailbox_messages_recent")),
            "recent_uids must read the partial index: {steps:?}"
        );
        let ranges: Vec<&String> = statements
            .iter()
            .filter(|s| {
                s.contains("internal_date >=")
                    || s.contains("size >=")
                    || s.contains("save_date >=")
            })
            .collect();
        assert_eq!(ranges.len(), 4, "{statements:#?}");
        for sql in &ranges {
            let steps = plan(&mut c, sql);
            let index = if sql.contains("save_date IS NULL") {
                "mailbox_messages_save_unknown"
            } else if sql.contains("save_date") {
                "mailbox_messages_save_date"
            } else if sql.contains("size") {
                "mailbox_messages_size"
            } else {
                "mailbox_messages_internal_date"
            };
            assert!(
                steps.iter().all(|s| !s.starts_with("SCAN"))
                    && steps.iter().any(|s| s.contains(index)),
                "uids_in_range must read {index}: {steps:?}"
            );
        }
        let on_messages: Vec<&String> = statements
            .iter()
            .filter(|s| {
                s.contains("mailbox_messages")
                    && !s.starts_with("INSERT")
                    && *s != recent
                    && !ranges.contains(s)
            })
            .collect();
        assert!(on_messages.len() > 20, "{statements:#?}");
        for sql in on_messages {
            for step in plan(&mut c, sql) {
                let table = step.contains("mailbox_messages") || step.contains(" mm ");
                // Reading a mailbox's rows by `mailbox_id` alone walks all of them.
                let by_uid =
                    step.contains("uid=") || step.contains("uid>") || step.contains("uid<");
                assert!(
                    !table || !step.starts_with("SCAN") && by_uid,
                    "reads every row of the mailbox: {step}\n  in {sql}"
                );
            }
        }
    }
}

#[cfg(test)]
mod text_index_tests {
    //! `message_text`, SQLite's trigram index of the header fields: filled for the rows
    //! already there when its migration runs, kept in step by its triggers, and read first
    //! when SEARCH asks for a field's candidates.

    use diesel::migration::MigrationSource;
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;
    use diesel_migrations::MigrationHarness;

    use super::sqlite;
    use crate::types::SearchField;

    #[derive(QueryableByName)]
    struct Hit {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }

    /// The message ids whose `col` the index says holds `needle`.
    fn hits(c: &mut SqliteConnection, col: &str, needle: &str) -> Vec<i64> {
        let query = format!("{col} : \"{needle}\"");
        diesel::sql_query(
            "SELECT rowid AS id FROM message_text WHERE message_text MATCH ? ORDER BY rowid",
        )
        .bind::<diesel::sql_types::Text, _>(query)
        .load::<Hit>(c)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
    }

    fn insert(c: &mut SqliteConnection, id: i64, subject: &str, from: &str) {
        diesel::sql_query(
            "INSERT INTO messages (id, content_hash, size, internal_date, envelope, bodystructure, \
             subject, from_addr) VALUES (?, 'h', 1, 0, x'', x'', ?, ?)",
        )
        .bind::<diesel::sql_types::BigInt, _>(id)
        .bind::<diesel::sql_types::Text, _>(subject)
        .bind::<diesel::sql_types::Text, _>(from)
        .execute(c)
        .unwrap();
    }

    #[test]
    fn filled_by_its_migration_then_kept_by_triggers() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        // The schema as it was before the index, with rows in it.
        diesel::migration::MigrationConnection::setup(&mut c).unwrap();
        let migrations = MigrationSource::<Sqlite>::migrations(&crate::SQLITE_MIGRATIONS).unwrap();
        for m in migrations
            .iter()
            .filter(|m| m.name().version().to_string().as_str() < "20261206000005")
        {
            c.run_migration(m).unwrap();
        }
        insert(&mut c, 1, "Quarterly ABXİ", "Ann <ann@example.org>");
        insert(&mut c, 2, "\u{212A}elvin scale", "Bob <bob@example.org>");
        crate::migrate::run_sqlite(&mut c).unwrap();
        assert_eq!(hits(&mut c, "subject", "quarterly"), [1]);
        assert_eq!(hits(&mut c, "subject", "abxi"), [1], "U+0130 indexed as I");
        assert_eq!(
            hits(&mut c, "subject", "kelvin"),
            [2],
            "the Kelvin sign as K"
        );
        assert_eq!(hits(&mut c, "from_addr", "example.org"), [1, 2]);
        assert!(
            hits(&mut c, "from_addr", "quarterly").is_empty(),
            "one column at a time"
        );

        insert(&mut c, 3, "quarterly too", "Cy <cy@example.net>");
        assert_eq!(hits(&mut c, "subject", "QUARTERLY"), [1, 3]);
        diesel::sql_query("DELETE FROM messages WHERE id = 1")
            .execute(&mut c)
            .unwrap();
        assert_eq!(hits(&mut c, "subject", "quarterly"), [3]);
        assert!(hits(&mut c, "subject", "abxi").is_empty());
    }

    #[test]
    fn candidates_come_from_the_index_then_the_rows_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, _, inbox) = super::plan_tests::inbox_db(&dir);
        let batch: Vec<_> = (0..2_000)
            .map(|i| {
                let mut m = super::plan_tests::message(i);
                m.meta.from = Some(format!("u{i}@example.org"));
                m
            })
            .collect();
        sqlite::append(&mut c, inbox, &batch).unwrap();
        diesel::sql_query("ANALYZE").execute(&mut c).unwrap();
        let seen = super::plan_tests::record_statements(&mut c);
        let found = sqlite::header_candidates(&mut c, inbox, SearchField::From, "12@").unwrap();
        let uids: Vec<u32> = found.iter().map(|(uid, _)| *uid).collect();
        let want: Vec<u32> = (0..2_000)
            .filter(|i| i % 100 == 12)
            .map(|i| i + 1)
            .collect();
        assert_eq!(uids, want, "u12@, u112@, …, u1912@");
        let statements = seen.lock().unwrap().clone();
        assert!(
            statements
                .iter()
                .any(|s| s.contains("FROM message_text WHERE message_text MATCH")),
            "the index was asked: {statements:#?}"
        );
        let rows = statements
            .iter()
            .find(|s| s.contains("mm.message_id IN ("))
            .unwrap_or_else(|| panic!("the hits' rows were read: {statements:#?}"));
        #[derive(QueryableByName)]
        struct Step {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let steps: Vec<String> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {rows}"))
            .bind::<diesel::sql_types::BigInt, _>(inbox.0)
            .bind::<diesel::sql_types::BigInt, _>(1)
            .bind::<diesel::sql_types::BigInt, _>(2)
            .bind::<diesel::sql_types::BigInt, _>(3)
            .bind::<diesel::sql_types::BigInt, _>(4)
            .load::<Step>(&mut c)
            .unwrap()
            .into_iter()
            .map(|s| s.detail)
            .collect();
        assert!(
            steps.iter().all(|s| s.starts_with("SEARCH")),
            "no scan of the mailbox: {steps:?}"
        );
        assert!(
            steps.iter().any(|s| s.contains("mailbox_messages_message")),
            "{steps:?}"
        );
    }
}
