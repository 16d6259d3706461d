//! Backend plumbing: row types, the backend-specific bits of SQL, and a small builder for
//! SQL text with positional parameters that works on both backends.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::{PgConnection, SqliteConnection};

use crate::schema::{mailboxes, users};
use crate::types::{MailboxId, MailboxInfo, TextScope, UidSet, UserId};

/// A connection of either backend, handed to the operations.
pub(crate) enum AnyConn<'a> {
    Pg(&'a mut PgConnection),
    Sqlite(&'a mut SqliteConnection),
}

/// A full `mailboxes` row.
#[derive(Debug, Clone, Queryable)]
pub(crate) struct MailboxRow {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) name: String,
    pub(crate) special_use: Option<String>,
    pub(crate) uidvalidity: i64,
    pub(crate) uidnext: i64,
    pub(crate) highest_modseq: i64,
    pub(crate) message_count: i64,
    pub(crate) unseen_count: i64,
    pub(crate) recent_count: i64,
    pub(crate) total_size: i64,
    pub(crate) expunged_floor: i64,
}

impl MailboxRow {
    pub(crate) fn info(&self) -> MailboxInfo {
        MailboxInfo {
            id: MailboxId(self.id),
            user: UserId(self.user_id),
            name: self.name.clone(),
            special_use: self.special_use.clone(),
            uidvalidity: self.uidvalidity as u32,
            uidnext: self.uidnext as u32,
            highest_modseq: self.highest_modseq as u64,
            messages: self.message_count as u64,
            unseen: self.unseen_count as u64,
            recent: self.recent_count as u64,
            size: self.total_size as u64,
        }
    }
}

/// A UID and a text value.
#[derive(QueryableByName)]
pub(crate) struct UidTextRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) uid: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) value: String,
}

/// One `id` column.
#[derive(QueryableByName)]
pub(crate) struct IdRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
}

/// (uid, flags, keywords, modseq) of a mailbox message.
#[derive(QueryableByName)]
pub(crate) struct FlagRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) uid: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub(crate) flags: i32,
    #[diesel(sql_type = BigInt)]
    pub(crate) keywords: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) modseq: i64,
}

/// A user with totals over its mailboxes (`list_users`).
#[derive(QueryableByName)]
pub(crate) struct UserRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) name: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) created_at: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) mailboxes: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) messages: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) size: i64,
}

/// A user's quota limits and usage totals (`user_quota`).
#[derive(QueryableByName)]
pub(crate) struct QuotaRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) storage_limit: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) message_limit: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub(crate) messages: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) size: i64,
}

/// How many rows and their total size (`messages_size`).
#[derive(QueryableByName)]
pub(crate) struct SizeRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) messages: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) size: i64,
}

/// Counts of unseen and recent messages among some rows.
#[derive(QueryableByName)]
pub(crate) struct CountRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) unseen: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) recent: Option<i64>,
}

/// What COPY/MOVE/EXPUNGE need to know of a source row.
#[derive(QueryableByName)]
pub(crate) struct SourceRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) uid: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) message_id: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub(crate) flags: i32,
    #[diesel(sql_type = BigInt)]
    pub(crate) keywords: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) size: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) internal_date: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    pub(crate) sent_day: Option<i32>,
}

/// A `messages` row to insert.
#[derive(Insertable)]
#[diesel(table_name = crate::schema::messages)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct MessageInsert<'a> {
    pub(crate) id: i64,
    pub(crate) content_hash: &'a str,
    pub(crate) size: i64,
    pub(crate) internal_date: i64,
    pub(crate) sent_date: Option<i64>,
    pub(crate) envelope: &'a [u8],
    pub(crate) bodystructure: &'a [u8],
    pub(crate) subject: Option<&'a str>,
    pub(crate) from_addr: Option<&'a str>,
    pub(crate) to_addr: Option<&'a str>,
    pub(crate) cc_addr: Option<&'a str>,
    pub(crate) part_map: Option<&'a [u8]>,
    pub(crate) thread_id: Option<&'a str>,
    pub(crate) sort_subject: Option<&'a str>,
    pub(crate) sort_addresses: Option<String>,
    pub(crate) thread_refs: Option<&'a str>,
    pub(crate) preview: Option<&'a str>,
}

/// A `mailbox_messages` row to insert.
#[derive(Insertable)]
#[diesel(table_name = crate::schema::mailbox_messages)]
pub(crate) struct MailboxMessageInsert {
    pub(crate) mailbox_id: i64,
    pub(crate) uid: i64,
    pub(crate) message_id: i64,
    pub(crate) flags: i32,
    pub(crate) keywords: i64,
    pub(crate) modseq: i64,
    pub(crate) internal_date: i64,
    pub(crate) size: i64,
    pub(crate) sent_day: Option<i32>,
    /// When the row was written (SAVEDATE), Unix seconds.
    pub(crate) save_date: i64,
}

/// An `expunged` row to insert.
#[derive(Insertable)]
#[diesel(table_name = crate::schema::expunged)]
pub(crate) struct ExpungedInsert {
    pub(crate) mailbox_id: i64,
    pub(crate) uid: i64,
    pub(crate) modseq: i64,
    /// The message row the UID referred to.
    pub(crate) message_id: Option<i64>,
    /// When (Unix seconds).
    pub(crate) expunged_at: i64,
}

/// A message joined with its mailbox row.
#[derive(QueryableByName)]
pub(crate) struct MetaRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) uid: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) content_hash: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) size: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) internal_date: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) sent_date: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    pub(crate) envelope: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    pub(crate) bodystructure: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) subject: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) from_addr: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) to_addr: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) cc_addr: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Binary>)]
    pub(crate) part_map: Option<Vec<u8>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) thread_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) sort_subject: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) sort_addresses: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) thread_refs: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) preview: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) save_date: Option<i64>,
}

/// A message row as FETCH reads it: the large columns (and the save date) it did not ask for
/// are NULL. Kept apart from [`MetaRow`] (which could take NULLs for the rest) because diesel
/// finds each by-name column with a search of the row's names: twelve columns instead of
/// nineteen are a measurable part of a `FETCH 1:100000 ENVELOPE`.
#[derive(QueryableByName)]
pub(crate) struct FetchRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) uid: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) content_hash: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) size: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) internal_date: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) sent_date: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) thread_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Binary>)]
    pub(crate) envelope: Option<Vec<u8>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Binary>)]
    pub(crate) bodystructure: Option<Vec<u8>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Binary>)]
    pub(crate) part_map: Option<Vec<u8>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) save_date: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) preview: Option<String>,
}

/// A [`crate::ThreadRow`] as read.
#[derive(QueryableByName)]
pub(crate) struct ThreadRowSql {
    #[diesel(sql_type = BigInt)]
    pub(crate) uid: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) internal_date: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) sent_date: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) subject: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) thread_refs: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) legacy_hash: Option<String>,
}

/// A [`crate::SortRow`] as read: each text key stored at ingest, or for an older row
/// (`legacy_*`) the search column it derives from.
#[derive(QueryableByName)]
pub(crate) struct SortRowSql {
    #[diesel(sql_type = BigInt)]
    pub(crate) uid: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) size: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) internal_date: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) sent_date: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) sort_subject: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) legacy_subject: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) sort_addresses: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) legacy_from: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) legacy_to: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) legacy_cc: Option<String>,
}

/// A message's size, dates and mod-sequence.
#[derive(QueryableByName)]
pub(crate) struct SummaryRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) uid: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) size: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) internal_date: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) sent_date: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub(crate) modseq: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub(crate) save_date: Option<i64>,
}

/// One blob's bytes (or a range of them).
#[derive(QueryableByName)]
pub(crate) struct BlobData {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    pub(crate) data: Vec<u8>,
}

/// The SQL that differs between backends.
pub(crate) trait Specific {
    /// Reads the mailbox row and locks it until commit (`FOR UPDATE` on PostgreSQL; on SQLite
    /// the single writer already holds the database lock).
    fn lock_mailbox(&mut self, id: i64) -> QueryResult<Option<MailboxRow>>;
    /// Reads the id of the user named `name` and locks its row until commit (`FOR UPDATE` on
    /// PostgreSQL, which also holds off a concurrent insert of a mailbox for it; on SQLite the
    /// single writer already holds the database lock).
    fn lock_user(&mut self, name: &str) -> QueryResult<Option<i64>>;
    /// Reserves `n` fresh ids for the `messages` table.
    fn alloc_message_ids(&mut self, n: usize) -> QueryResult<Vec<i64>>;
    /// The SQL before and after a text parameter for "text column `col` contains the
    /// parameter, ASCII letters compared case-insensitively" (non-ASCII compared as is).
    fn contains_ascii_ci(col: &str) -> (String, &'static str);
    /// Whether the database has `message_text`, the trigram index of the header fields
    /// SEARCH reads as text (SQLite's FTS5; PostgreSQL reads the rows instead).
    const TEXT_INDEX: bool;
    /// A condition true when text column `col` holds a non-ASCII character.
    fn has_non_ascii(col: &str) -> String;
    /// The column of `message_fulltext` holding the message id.
    const FULLTEXT_ID: &'static str;
    /// Appends to `s` a condition on `message_fulltext`: its `scope` text contains `needle`
    /// (lowercased, at least three characters, no NUL), by plain substring.
    fn fulltext_match(s: &mut Sql, scope: TextScope, needle: &str);
    /// The join that reads its left table first (SQLite's `CROSS JOIN` fixes the order;
    /// PostgreSQL's planner chooses from its statistics).
    const OUTER_FIRST_JOIN: &'static str;
    /// Tells the other instances on the database, once the transaction commits, that mailbox
    /// `id` changed (PostgreSQL `NOTIFY` on [`CHANGE_CHANNEL`]; nothing on SQLite, where the
    /// server's writer notices another process's commit by `PRAGMA data_version`: see
    /// `crate::feed`).
    fn notify_change(&mut self, id: i64) -> QueryResult<()>;
    /// Whether this transaction may run the collection that only one instance at a time
    /// should run (a transaction-scoped advisory lock on PostgreSQL, taken without waiting;
    /// always on SQLite, which one instance owns).
    fn collection_turn(&mut self) -> QueryResult<bool>;
}

/// The advisory lock key of garbage collection ("hadrongc" in ASCII; 7521403295343994723).
const GC_LOCK: i64 = 0x6861_6472_6f6e_6763;

/// The PostgreSQL notification channel of mailbox changes; the payload is the mailbox id.
pub(crate) const CHANGE_CHANNEL: &str = "hadron_mailbox_changed";

impl Specific for PgConnection {
    const TEXT_INDEX: bool = false;
    const FULLTEXT_ID: &'static str = "message_id";
    const OUTER_FIRST_JOIN: &'static str = "JOIN";

    fn fulltext_match(s: &mut Sql, scope: TextScope, needle: &str) {
        // `LIKE` with its default escape character, the backslash.
        let mut pattern = String::with_capacity(needle.len() + 2);
        pattern.push('%');
        for ch in needle.chars() {
            if matches!(ch, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(ch);
        }
        pattern.push('%');
        match scope {
            TextScope::Body => s.push("body LIKE ").arg(Arg::Text(pattern)),
            TextScope::HeaderOrBody => s
                .push("(header LIKE ")
                .arg(Arg::Text(pattern.clone()))
                .push(" OR body LIKE ")
                .arg(Arg::Text(pattern))
                .push(")"),
        };
    }

    fn collection_turn(&mut self) -> QueryResult<bool> {
        #[derive(QueryableByName)]
        struct Turn {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            turn: bool,
        }
        let t: Turn = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS turn")
            .bind::<BigInt, _>(GC_LOCK)
            .get_result(self)?;
        Ok(t.turn)
    }

    fn notify_change(&mut self, id: i64) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(CHANGE_CHANNEL)
            .bind::<diesel::sql_types::Text, _>(id.to_string())
            .execute(self)
            .map(drop)
    }

    fn contains_ascii_ci(col: &str) -> (String, &'static str) {
        // The "C" collation lowercases ASCII letters only, whatever the database's locale.
        (format!("strpos(lower({col} COLLATE \"C\"), "), ") > 0")
    }

    fn has_non_ascii(col: &str) -> String {
        format!("octet_length({col}) <> char_length({col})")
    }

    fn lock_mailbox(&mut self, id: i64) -> QueryResult<Option<MailboxRow>> {
        mailboxes::table
            .find(id)
            .for_update()
            .first::<MailboxRow>(self)
            .optional()
    }

    fn lock_user(&mut self, name: &str) -> QueryResult<Option<i64>> {
        users::table
            .filter(users::name.eq(name))
            .select(users::id)
            .for_update()
            .first::<i64>(self)
            .optional()
    }

    fn alloc_message_ids(&mut self, n: usize) -> QueryResult<Vec<i64>> {
        let rows: Vec<IdRow> = diesel::sql_query(
            "SELECT nextval('messages_id_seq') AS id FROM generate_series(1, $1)",
        )
        .bind::<BigInt, _>(n as i64)
        .load(self)?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}

impl Specific for SqliteConnection {
    const TEXT_INDEX: bool = true;
    const FULLTEXT_ID: &'static str = "rowid";
    const OUTER_FIRST_JOIN: &'static str = "CROSS JOIN";

    fn fulltext_match(s: &mut Sql, scope: TextScope, needle: &str) {
        // One FTS5 phrase: within double quotes only `"` needs escaping (doubled). The
        // trigram tokenizer makes a phrase of the needle's trigrams in a row: a substring.
        let columns = match scope {
            TextScope::Body => "body",
            TextScope::HeaderOrBody => "{header body}",
        };
        let query = format!("{columns} : \"{}\"", needle.replace('"', "\"\""));
        s.push("message_fulltext MATCH ").arg(Arg::Text(query));
    }

    fn collection_turn(&mut self) -> QueryResult<bool> {
        Ok(true)
    }

    fn notify_change(&mut self, _id: i64) -> QueryResult<()> {
        Ok(())
    }

    fn contains_ascii_ci(col: &str) -> (String, &'static str) {
        // SQLite's lower() folds ASCII letters only (no ICU).
        (format!("instr(lower({col}), "), ") > 0")
    }

    fn has_non_ascii(col: &str) -> String {
        format!("length({col}) <> length(CAST({col} AS BLOB))")
    }

    fn lock_mailbox(&mut self, id: i64) -> QueryResult<Option<MailboxRow>> {
        mailboxes::table
            .find(id)
            .first::<MailboxRow>(self)
            .optional()
    }

    fn lock_user(&mut self, name: &str) -> QueryResult<Option<i64>> {
        users::table
            .filter(users::name.eq(name))
            .select(users::id)
            .first::<i64>(self)
            .optional()
    }

    fn alloc_message_ids(&mut self, n: usize) -> QueryResult<Vec<i64>> {
        let base: IdRow = diesel::sql_query("SELECT COALESCE(MAX(id), 0) AS id FROM messages")
            .get_result(self)?;
        Ok((1..=n as i64).map(|i| base.id + i).collect())
    }
}

/// A bind value for [`Sql`].
pub(crate) enum Arg {
    I64(i64),
    I32(i32),
    Text(String),
}

/// SQL text with positional parameters; diesel writes the placeholders (`$n` for PostgreSQL,
/// `?` for SQLite) when it runs the statement.
///
/// Run through diesel as a [`Prepared`] query: a statement whose text does not depend on the
/// size of a UID set is kept prepared by the connection's statement cache (keyed by its
/// text), so SQLite parses and plans it once per connection instead of on every call.
pub(crate) struct Sql {
    pub(crate) args: Vec<Arg>,
    /// The text between the placeholders: `parts[i]` comes before `args[i]`.
    parts: Vec<String>,
    /// Whether the text has a list whose length varies with the data (a UID set of more
    /// than one element): such texts are not worth a place in the statement cache.
    variable: bool,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            args: Vec::new(),
            parts: vec![text.to_owned()],
            variable: false,
        }
    }

    pub(crate) fn push(&mut self, s: &str) -> &mut Self {
        if let Some(last) = self.parts.last_mut() {
            last.push_str(s);
        }
        self
    }

    pub(crate) fn arg(&mut self, a: Arg) -> &mut Self {
        self.args.push(a);
        self.parts.push(String::new());
        self
    }

    /// The whole text with SQLite's `?` placeholders; for tests.
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        self.parts.join("?")
    }

    pub(crate) fn i64(&mut self, v: i64) -> &mut Self {
        self.arg(Arg::I64(v))
    }

    pub(crate) fn i32(&mut self, v: i32) -> &mut Self {
        self.arg(Arg::I32(v))
    }

    /// Appends a condition on `col` selecting the UIDs of `chunk`: one `BETWEEN` or one `IN`
    /// list, each answered from the `(mailbox_id, uid)` index (never `OR`ed ranges, which
    /// SQLite answers by scanning the mailbox).
    pub(crate) fn uid_chunk(&mut self, col: &str, chunk: &UidChunk) -> &mut Self {
        match chunk {
            UidChunk::Range(a, b) => {
                self.push(col).push(" BETWEEN ").i64((*a).into());
                self.push(" AND ").i64((*b).into())
            }
            UidChunk::Singles(u) => self.in_list(col, u.iter().map(|&uid| i64::from(uid))),
        }
    }

    /// Appends `col IN (…)` with one parameter per value (at most
    /// [`MAX_SINGLES_PER_STATEMENT`], which the caller chunks by).
    pub(crate) fn in_list(
        &mut self,
        col: &str,
        values: impl ExactSizeIterator<Item = i64>,
    ) -> &mut Self {
        self.variable |= values.len() > 1;
        self.push(col).push(" IN (");
        for (i, v) in values.enumerate() {
            if i > 0 {
                self.push(",");
            }
            self.i64(v);
        }
        self.push(")")
    }
}

/// A [`Sql`] as a diesel query (raw SQL, untyped rows) that, unlike `diesel::sql_query`,
/// may be kept in the connection's prepared-statement cache: see [`Sql`].
pub(crate) struct Prepared(pub(crate) Sql);

impl diesel::query_builder::QueryId for Prepared {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Prepared {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for Prepared {}

impl<DB> diesel::query_builder::QueryFragment<DB> for Prepared
where
    DB: diesel::backend::Backend,
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
    i32: diesel::serialize::ToSql<diesel::sql_types::Integer, DB>,
    String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        use diesel::sql_types::{BigInt, Integer, Text};
        if self.0.variable {
            out.unsafe_to_cache_prepared();
        }
        for (i, part) in self.0.parts.iter().enumerate() {
            out.push_sql(part);
            match self.0.args.get(i) {
                Some(Arg::I64(v)) => out.push_bind_param::<BigInt, _>(v)?,
                Some(Arg::I32(v)) => out.push_bind_param::<Integer, _>(v)?,
                Some(Arg::Text(v)) => out.push_bind_param::<Text, _>(v)?,
                None => {}
            }
        }
        Ok(())
    }
}

/// Most single UIDs bound in one statement (SQLite allows 32766 parameters, PostgreSQL 65535).
pub(crate) const MAX_SINGLES_PER_STATEMENT: usize = 10_000;

/// Ranges of at most this many UIDs are sent as single UIDs: a set of many short ranges
/// (a client's selection `3:4,9,12:15,…`) then costs a few `IN` statements, not one
/// statement per range.
const SHORT_RANGE: u32 = 16;

/// A piece of a [`UidSet`] small enough for one statement, and shaped so that the statement
/// reads only the rows it names through the `(mailbox_id, uid)` index: O(size · log n)
/// whatever the shape of the set.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UidChunk {
    /// `uid BETWEEN a AND b`: one index range.
    Range(u32, u32),
    /// `uid IN (…)`: one index lookup each.
    Singles(Vec<u32>),
}

/// Splits a UID set into statement-sized chunks: single UIDs and short ranges become `IN`
/// lists of up to [`MAX_SINGLES_PER_STATEMENT`], each longer range a `BETWEEN` of its own.
pub(crate) fn uid_chunks(set: &UidSet) -> Vec<UidChunk> {
    let mut out = Vec::new();
    let mut singles = Vec::new();
    for &(a, b) in set.ranges() {
        if b - a < SHORT_RANGE {
            for uid in a..=b {
                singles.push(uid);
                if singles.len() == MAX_SINGLES_PER_STATEMENT {
                    out.push(UidChunk::Singles(std::mem::take(&mut singles)));
                }
            }
        } else {
            out.push(UidChunk::Range(a, b));
        }
    }
    if !singles.is_empty() {
        out.push(UidChunk::Singles(singles));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_limits_and_keep_short_ranges_together() {
        let set = UidSet::from_uids((1..=50_000).map(|i| i * 2));
        assert_eq!(uid_chunks(&set).len(), 5);
        // 250 short ranges of 5: 1,250 singles in one IN list.
        let set = UidSet::from_ranges((0..250).map(|i| (i * 10 + 1, i * 10 + 5)));
        let chunks = uid_chunks(&set);
        assert_eq!(chunks.len(), 1);
        assert!(matches!(&chunks[0], UidChunk::Singles(u) if u.len() == 1_250));
        // Long ranges each get their own BETWEEN; the whole mailbox is one.
        let set = UidSet::from_ranges([(1, 1), (3, 100), (200, 203)]);
        assert_eq!(
            uid_chunks(&set),
            [
                UidChunk::Range(3, 100),
                UidChunk::Singles(vec![1, 200, 201, 202, 203])
            ]
        );
        assert_eq!(uid_chunks(&UidSet::all()), [UidChunk::Range(1, u32::MAX)]);
        let mut s = Sql::new("x WHERE ");
        s.uid_chunk("uid", &UidChunk::Range(3, 9));
        assert_eq!(s.text(), "x WHERE uid BETWEEN ? AND ?");
        assert!(!s.variable, "a range's text does not depend on the set");
        let mut s = Sql::new("");
        s.uid_chunk("uid", &UidChunk::Singles(vec![1, 4]));
        assert_eq!(s.text(), "uid IN (?,?)");
        assert!(s.variable);
    }
}
