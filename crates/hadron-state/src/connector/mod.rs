//! The embedder boundary (DESIGN.md §4): how a mail backend plugs into
//! Hadron.
//!
//! An embedder implements [`Connector`]. The engine calls it for every
//! mutation a client asks for — *before* touching the local store and
//! never inside a database transaction — and only when the call succeeds
//! does it commit the change locally and tell the other sessions. A failed
//! call leaves every local state unchanged and reaches the client as `NO`
//! with the connector's message.
//!
//! Changes that start in the backend travel the other way, through an
//! [`UpdateSender`]: each [`BackendUpdate`] is applied by the engine
//! (stored, then fanned out to the sessions under the RFC 3501 rules) and
//! the sender's future resolves once that is done, so the backend can wait
//! for Hadron to have taken a change in ([`BackendUpdate::Barrier`] waits for
//! nothing but the updates before it).
//!
//! Mailboxes are named by their full Hadron name (hierarchy delimiter
//! `/`), messages by their UID in a mailbox: the identifiers every
//! session shares. The backend's own ids are returned by the mutation
//! calls ([`BackendId`]) for the embedder's bookkeeping.
//!
//! The `hadron` server uses [`LocalConnector`], whose backend is the
//! Hadron database itself.
//!
//! Optional capabilities are defaulted methods: a backend without a native
//! MOVE inherits [`Connector::move_messages`], which adds then removes.

mod auth_cache;
mod local;
mod password;
mod updates;

pub use self::auth_cache::AuthCache;
pub use self::local::LocalConnector;
pub use self::password::{hash_password, verify_password};
pub use self::updates::{
    Applied, BackendUpdate, IncomingMessage, PendingUpdate, UpdateReceiver, UpdateSender,
    update_channel,
};

use async_trait::async_trait;

use crate::flags::FlagSet;

/// An identifier the backend gives to a mailbox or message; opaque to
/// Hadron.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BackendId(pub String);

/// Why a connector call failed. The session answers `NO` with this text;
/// local state is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// Wrong user name or password.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The backend refused the operation (it explains why).
    #[error("{0}")]
    Refused(String),
    /// The backend could not be reached or failed; the client may retry.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
}

/// How [`Connector::set_flags`] combines the flags with the current ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagMode {
    /// `+FLAGS`
    Add,
    /// `-FLAGS`
    Remove,
    /// `FLAGS`: replace.
    Replace,
}

/// A message a client appends, as handed to [`Connector::create_messages`].
#[derive(Debug, Clone, Copy)]
pub struct OutgoingMessage<'a> {
    /// The raw RFC 5322 message.
    pub raw: &'a [u8],
    /// Its initial flags.
    pub flags: &'a FlagSet,
    /// Its INTERNALDATE, Unix seconds.
    pub internal_date: i64,
}

/// The embedder's backend. Every method is called outside any database
/// transaction; an `Err` leaves Hadron's state unchanged.
///
/// # Example
///
/// `examples/embedder.rs` implements it over an in-memory backend.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// Checks a user name and password. On success the engine opens (or
    /// creates, with the default mailboxes) the local account of that name.
    async fn authenticate(&self, username: &str, password: &str) -> Result<(), ConnectorError>;

    /// Creates a mailbox.
    async fn create_mailbox(&self, user: &str, name: &str) -> Result<BackendId, ConnectorError>;

    /// Renames a mailbox (and the mailboxes below it).
    async fn rename_mailbox(&self, user: &str, from: &str, to: &str) -> Result<(), ConnectorError>;

    /// Deletes a mailbox (not the mailboxes below it).
    async fn delete_mailbox(&self, user: &str, name: &str) -> Result<(), ConnectorError>;

    /// Creates messages in a mailbox (APPEND); one id per message, in order.
    async fn create_messages(
        &self,
        user: &str,
        mailbox: &str,
        messages: &[OutgoingMessage<'_>],
    ) -> Result<Vec<BackendId>, ConnectorError>;

    /// Adds existing messages to another mailbox (COPY); one id per UID.
    async fn add_messages(
        &self,
        user: &str,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Result<Vec<BackendId>, ConnectorError>;

    /// Removes messages from a mailbox (EXPUNGE).
    async fn remove_messages(
        &self,
        user: &str,
        mailbox: &str,
        uids: &[u32],
    ) -> Result<(), ConnectorError>;

    /// Moves messages (MOVE). Defaults to [`Connector::add_messages`] then
    /// [`Connector::remove_messages`]; override when the backend moves
    /// natively.
    async fn move_messages(
        &self,
        user: &str,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Result<Vec<BackendId>, ConnectorError> {
        let ids = self.add_messages(user, from, uids, to).await?;
        self.remove_messages(user, from, uids).await?;
        Ok(ids)
    }

    /// Told after a successful APPEND, COPY or MOVE was committed locally:
    /// the UID each new backend message got in `mailbox`, so the backend
    /// can address it later (the other calls name messages by UID).
    /// Defaults to doing nothing.
    async fn uids_assigned(&self, user: &str, mailbox: &str, assigned: &[(BackendId, u32)]) {
        let _ = (user, mailbox, assigned);
    }

    /// Changes the flags of messages (STORE, and `\Seen` set by FETCH).
    async fn set_flags(
        &self,
        user: &str,
        mailbox: &str,
        uids: &[u32],
        mode: FlagMode,
        flags: &FlagSet,
    ) -> Result<(), ConnectorError>;
}
