//! Changes that start in the backend, each with a completion handle.

use tokio::sync::{mpsc, oneshot};

use crate::flags::FlagSet;

/// A message that appeared in the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// The raw RFC 5322 message (parsed by Hadron at ingest).
    pub raw: Vec<u8>,
    /// Its flags.
    pub flags: FlagSet,
    /// Its INTERNALDATE, Unix seconds.
    pub internal_date: i64,
}

/// One change made in the backend, for Hadron to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendUpdate {
    /// A mailbox was created.
    MailboxCreated {
        /// Owner.
        user: String,
        /// Full name.
        name: String,
    },
    /// A mailbox (and those below it) was renamed.
    MailboxRenamed {
        /// Owner.
        user: String,
        /// Old full name.
        from: String,
        /// New full name.
        to: String,
    },
    /// A mailbox was deleted; sessions that have it selected are closed.
    MailboxDeleted {
        /// Owner.
        user: String,
        /// Full name.
        name: String,
    },
    /// Messages arrived in a mailbox. Applied → [`Applied::Uids`].
    MessagesCreated {
        /// Owner.
        user: String,
        /// Mailbox name.
        mailbox: String,
        /// The messages, in order.
        messages: Vec<IncomingMessage>,
    },
    /// A message's flags are now exactly `flags`.
    FlagsChanged {
        /// Owner.
        user: String,
        /// Mailbox name.
        mailbox: String,
        /// The message.
        uid: u32,
        /// Its complete new flags.
        flags: FlagSet,
    },
    /// Messages were removed from a mailbox.
    MessagesDeleted {
        /// Owner.
        user: String,
        /// Mailbox name.
        mailbox: String,
        /// Their UIDs.
        uids: Vec<u32>,
    },
    /// Changes nothing: resolves once every update sent before it has been
    /// applied.
    Barrier,
}

/// What applying an update produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Applied; nothing to report.
    Done,
    /// The UIDs given to [`BackendUpdate::MessagesCreated`], in order.
    Uids(Vec<u32>),
}

/// An update waiting to be applied, with the handle that tells its sender
/// the outcome. Produced by [`UpdateReceiver::recv`]; consumed by
/// [`crate::engine::Engine::apply_backend_update`].
#[derive(Debug)]
pub struct PendingUpdate {
    /// The change.
    pub update: BackendUpdate,
    /// Completion: the result of applying it (an error as text).
    pub done: oneshot::Sender<Result<Applied, String>>,
}

/// The backend's end of the update stream. Cheap to clone.
#[derive(Debug, Clone)]
pub struct UpdateSender {
    tx: mpsc::Sender<PendingUpdate>,
}

/// Hadron's end of the update stream; see
/// [`crate::engine::Engine::run_backend_updates`].
#[derive(Debug)]
pub struct UpdateReceiver {
    rx: mpsc::Receiver<PendingUpdate>,
}

/// A bounded update stream holding at most `capacity` unapplied updates
/// (senders wait beyond that).
pub fn update_channel(capacity: usize) -> (UpdateSender, UpdateReceiver) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (UpdateSender { tx }, UpdateReceiver { rx })
}

impl UpdateSender {
    /// Sends `update` and waits until Hadron has applied it (stored it and
    /// queued it for every session). `Err` carries why it was not applied,
    /// or that the engine has stopped.
    pub async fn send(&self, update: BackendUpdate) -> Result<Applied, String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(PendingUpdate { update, done })
            .await
            .map_err(|_| "the engine has stopped".to_owned())?;
        wait.await
            .map_err(|_| "the engine dropped the update".to_owned())?
    }
}

impl UpdateReceiver {
    /// The next update, or `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<PendingUpdate> {
        self.rx.recv().await
    }
}
