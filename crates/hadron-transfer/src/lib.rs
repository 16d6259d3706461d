//! Mail in and out of Hadron in bulk.
//!
//! Users arrive with years of mail in a Maildir++ tree (Dovecot, Courier) or
//! in mbox files (Thunderbird, Google Takeout), and leave the same way. This
//! crate reads and writes both formats and moves mail between them and a
//! Hadron [`Engine`](hadron_state::engine::Engine):
//!
//! - [`maildir`] — a Maildir++ tree: folders (`.A.B` → `A/B`, names in
//!   modified UTF-7), `:2,` flags, Dovecot's `dovecot-keywords` (filename
//!   letters `a`–`z`), `dovecot-uidlist` (UIDVALIDITY, next UID, each
//!   file's UID) and `subscriptions`.
//! - [`mbox`] — one mbox file: `From ` separator lines (their date is the
//!   INTERNALDATE), mboxrd or mboxo quoting, flags in `Status:`,
//!   `X-Status:`, `X-Keywords:` and Thunderbird's `X-Mozilla-*` headers.
//! - [`import`] — either into a user's mailboxes through the engine, in
//!   batches, keeping the source's UIDVALIDITY and UIDs where the source has
//!   them and the mailbox is new, resumable (a second run adds only what is
//!   missing, by content), reporting each unreadable message and going on.
//! - [`export`] — a user's mailboxes to a Maildir++ tree (with a
//!   `dovecot-uidlist`, so a re-import keeps the UIDs) or a mailbox to an
//!   mbox file.
//!
//! Messages are stored with CRLF line ends, as IMAP serves them; both file
//! formats conventionally hold LF, so reading converts bare LF to CRLF and
//! writing converts back ([`lines`]).
#![forbid(unsafe_code)]

pub mod export;
pub mod import;
pub mod lines;
pub mod maildir;
pub mod mbox;
#[cfg(feature = "testing")]
pub mod testing;

use std::path::PathBuf;

use hadron_state::engine::EngineError;

/// What can go wrong moving mail in or out (a single unreadable message is
/// not an error: it is reported and skipped, see [`import::Failure`]).
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A source is not what the format says it should be.
    #[error("{path}: {reason}")]
    Format {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The engine refused (unknown user or mailbox, over quota, store error).
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl TransferError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TransferError {
        let path = path.into();
        move |source| TransferError::Io { path, source }
    }
}

/// The result type of this crate.
pub type Result<T, E = TransferError> = std::result::Result<T, E>;

/// What `task` returned; an error naming `what` if its thread panicked.
pub(crate) async fn joined<T>(what: &str, task: tokio::task::JoinHandle<T>) -> Result<T> {
    task.await
        .map_err(|e| EngineError::Internal(format!("{what}: {e}")).into())
}

/// Runs `f` (file I/O) on a blocking thread, never on the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    joined(what, tokio::task::spawn_blocking(f)).await
}
