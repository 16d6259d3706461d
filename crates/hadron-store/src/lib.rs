//! SQL persistence for Hadron (DESIGN.md §5, layer 2): schema, embedded migrations and
//! queries on SQLite and PostgreSQL behind one [`Store`] type, durable group-committed writes,
//! and message blob storage ([`BlobStore`]).
//!
//! # Architecture
//!
//! **Sync diesel, blocking API.** The store uses synchronous diesel 2 with r2d2 pools; every
//! [`Store`] method blocks and async callers wrap it in `spawn_blocking`. diesel-async was
//! rejected: it has no SQLite connection of its own (it wraps the sync one in a blocking
//! thread anyway), so it would not remove any blocking for the embedded default, and the one
//! thing SQLite needs — a single writer with group commit — is a dedicated thread either way.
//! Sync diesel also keeps one code path for both backends and avoids pinning a tokio version
//! in this layer (it depends on nothing async).
//!
//! **SQLite: one writer thread, many readers.** The database runs in WAL mode. Writes are
//! closures sent over a channel to a single writer thread that owns the only write
//! connection. It takes the first queued write plus everything else already queued (up to
//! [`StoreOptions::max_group_commit`]), runs them in one `BEGIN IMMEDIATE` transaction — each
//! in its own savepoint, so a failing write rolls back alone — commits once (one fsync with
//! `synchronous = FULL`, the default) and only then answers every caller. Readers use a pool
//! of `query_only` connections and never wait for the writer (WAL snapshots). UIDs are
//! allocated by the single writer, so UID order is commit order.
//!
//! **PostgreSQL: a pool, row locks.** Every write is a transaction on a pooled connection.
//! An operation that changes a mailbox first locks its row with `SELECT … FOR UPDATE` and
//! keeps the lock to commit, so UID allocation, MODSEQ and counters are serialised per mailbox
//! (not per user, not globally) and a higher UID never becomes visible before a lower one,
//! across any number of instances. Operations touching two mailboxes (COPY/MOVE) lock them in
//! id order. Reads run in `REPEATABLE READ, READ ONLY` transactions. Migrations at startup are
//! serialised between instances by an advisory lock.
//!
//! **One operation = one transaction**, so errors never leave partial writes; input is
//! validated first ([`StoreError`] variants for unknown ids, duplicate or bad names).
//!
//! # Schema
//!
//! See `migrations/*/…_init/up.sql`. Highlights:
//! - `mailboxes` carries UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the counters (messages,
//!   unseen, recent, total size), updated in the same transaction as every change: STATUS is
//!   one primary-key read. Hierarchy is derived from names (delimiter
//!   [`HIERARCHY_DELIMITER`]).
//! - `messages` holds immutable content metadata (size, dates, blob hash, opaque serialized
//!   ENVELOPE/BODYSTRUCTURE, SEARCH header fields); COPY shares the row.
//! - `mailbox_messages` is keyed by `(mailbox_id, uid)` (a clustered `WITHOUT ROWID` table on
//!   SQLite) with system flags as a bit set, keywords as a 64-bit set, and MODSEQ. Reading
//!   "all (uid, flags, modseq) of a mailbox in UID order" is one range scan; flag changes are
//!   single `UPDATE … SET flags = flags | ?` statements over UID ranges.
//! - **Keywords** are a per-mailbox dictionary (`mailbox_keywords`: name → bit) and a bit set
//!   per message, at most [`MAX_KEYWORDS`] per mailbox (Cyrus has the same design with 128).
//!   Chosen over a `(mailbox, uid, keyword)` join table because the hot paths — loading a
//!   snapshot of a million messages, `STORE 1:* +FLAGS` — then touch one narrow row per
//!   message and need no join or per-keyword rows; the snapshot can keep keywords as a `u64`.
//! - `expunged (mailbox_id, uid, modseq)` remembers expunges for QRESYNC; prunable.
//! - `message_text` (SQLite only) is an FTS5 trigram index of the SEARCH header fields, one
//!   row per `messages` row, kept by triggers: [`Store::header_candidates`] reads it for
//!   substrings instead of reading every row of the mailbox.
//! - Schema version: diesel's `__diesel_schema_migrations`; a database with a migration this
//!   build does not know is refused with [`StoreError::SchemaTooNew`].
//!
//! UID sets are passed as ranges ([`UidSet`]) and turned into `BETWEEN` conditions and `IN`
//! lists chunked well below the bind-parameter limits (SQLite 32,766, PostgreSQL 65,535), so
//! one call can cover any number of UIDs.
//!
//! # Blobs
//!
//! [`PackBlobStore`] (the server's default with SQLite) appends bodies under 1 MiB to shared
//! pack files, one write and one sync per batch, and keeps larger ones as [`FsBlobStore`]
//! files, named by SHA-256, written to a temp file, fsynced, renamed and the directory fsynced. [`DbBlobStore`] stores them in the
//! database (PostgreSQL deployments without a shared disk). Write the blob first, then commit
//! the row naming it; collection spares blobs younger than a grace period.
#![forbid(unsafe_code)]

mod backend;
mod blob;
mod checkpoint;
pub mod codegen;
mod error;
mod feed;
mod instance;
mod migrate;
mod ops;
mod pack;
pub mod schema;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod types;
mod validate;

pub use blob::{BlobStore, DbBlobStore, FsBlobStore, content_hash};
pub use error::{Result, StoreError};
pub use feed::{ChangeListener, Woken};
pub use instance::Instance;
pub use migrate::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
pub use pack::{PackBlobStore, PackLimits};
pub use store::{BackendKind, SqliteSync, Store, StoreOptions};
pub use types::{
    Appended, ColumnRange, Copied, DeletedUser, Expunged, FetchColumns, FlagChanges, FlagEdit,
    FlagOp, IdField, IndexText, MailboxChanges, MailboxId, MailboxInfo, MessageFlags, MessageId,
    MessageMeta, MessageSummary, NewMessage, QuotaLimits, QuotaResourceKind, SearchField,
    SortColumns, SortKeys, SortRow, SortText, StoredMessage, SystemFlags, TextHits, TextScope,
    ThreadRow, UidSet, UserId, UserInfo, UserQuota,
};
pub use validate::{HIERARCHY_DELIMITER, MAX_KEYWORD_LEN, MAX_MAILBOX_NAME_LEN, MAX_USER_NAME_LEN};

/// Most distinct keywords one mailbox can use (bits of [`MessageFlags::keywords`]).
pub const MAX_KEYWORDS: usize = 63;
