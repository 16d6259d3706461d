//! The store's error type.

use crate::types::MailboxId;

/// Everything that can go wrong in the store.
///
/// Input errors (unknown ids, bad names, …) are detected before anything is written: an
/// operation that returns an error has changed nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No user has this id or name.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// A user with this name already exists.
    #[error("user {0:?} already exists")]
    UserExists(String),
    /// No mailbox has this id (or name, for the given user).
    #[error("unknown mailbox {0}")]
    UnknownMailbox(String),
    /// A mailbox with this name already exists for the user.
    #[error("mailbox {0:?} already exists")]
    MailboxExists(String),
    /// A user, mailbox or keyword name is longer than allowed.
    #[error("name too long: {len} bytes, at most {max} allowed")]
    NameTooLong {
        /// Length of the rejected name in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// A name is empty or contains characters the store does not accept.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Some other input is out of range (e.g. a message size above `i64::MAX`).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A mailbox may hold at most [`crate::MAX_KEYWORDS`] distinct keywords.
    #[error("mailbox {0} already uses the maximum number of keywords")]
    TooManyKeywords(MailboxId),
    /// The mailbox has used up its UID space (UIDNEXT would exceed 2^32 - 1).
    #[error("mailbox {0} has no UIDs left")]
    UidsExhausted(MailboxId),
    /// The database was migrated by a newer version of Hadron than this one.
    #[error(
        "database schema is newer than this build of Hadron (unknown migration {unknown}); upgrade Hadron"
    )]
    SchemaTooNew {
        /// A migration version present in the database but unknown to this build.
        unknown: String,
    },
    /// A database URL that is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL {0:?} (expected sqlite://PATH or postgres://...)")]
    BadUrl(String),
    /// A blob that should exist does not.
    #[error("blob {0} not found")]
    BlobNotFound(String),
    /// Running the embedded migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Opening a database connection failed.
    #[error("connection failed: {0}")]
    Connection(#[from] diesel::ConnectionError),
    /// Getting a connection from the pool failed.
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// A database error.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// The group commit of a batch of SQLite writes failed; the write was not applied.
    #[error("commit failed: {0}")]
    Commit(String),
    /// The write was not committed: the SQLite writer thread has stopped (the store is
    /// shutting down), or another write in the same group commit panicked and the whole batch
    /// was rolled back (retrying is safe).
    #[error("the write was not committed (database writer stopped or batch rolled back)")]
    WriterGone,
    /// A filesystem error (blob store).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Whether the database connection was lost under the operation (the
    /// server restarted or ended the session, the network broke): a read
    /// may be retried on a fresh connection; a write's outcome is unknown
    /// unless it failed before committing.
    pub fn is_connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        /// What PostgreSQL and libpq say when a session ends under a query.
        const LOST: &[&str] = &[
            "terminating connection",
            "server closed the connection",
            "connection has been closed",
            "the database system is shutting down",
            "no connection to the server",
        ];
        match self {
            StoreError::Database(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => {
                true
            }
            StoreError::Database(Error::DatabaseError(_, info)) => {
                LOST.iter().any(|m| info.message().contains(m))
            }
            _ => false,
        }
    }
}

impl StoreError {
    /// Whether the operation failed because the disk is full: a body could
    /// not be written (`ENOSPC`), or the database could not grow (SQLite's
    /// `SQLITE_FULL`, PostgreSQL's `disk_full`). Nothing was stored; the
    /// same write succeeds once space is freed.
    pub fn is_out_of_space(&self) -> bool {
        use diesel::result::Error;
        /// How SQLite and PostgreSQL say it.
        const FULL: &[&str] = &[
            "database or disk is full",
            "No space left on device",
            "could not extend file",
        ];
        match self {
            StoreError::Io(e) => e.kind() == std::io::ErrorKind::StorageFull,
            StoreError::Database(Error::DatabaseError(_, info)) => {
                FULL.iter().any(|m| info.message().contains(m))
            }
            StoreError::Commit(m) => FULL.iter().any(|f| m.contains(f)),
            _ => false,
        }
    }
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_told_apart_from_other_failures() {
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert!(StoreError::Io(full).is_out_of_space());
        assert!(StoreError::Commit("database or disk is full".into()).is_out_of_space());
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!StoreError::Io(denied).is_out_of_space());
        assert!(!StoreError::Commit("database is locked".into()).is_out_of_space());
        assert!(!StoreError::WriterGone.is_out_of_space());
    }
}
