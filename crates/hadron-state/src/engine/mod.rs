//! The shared [`Engine`]: the connector, the store, the update hub and the
//! per-mailbox state every session of one server instance shares.
//!
//! Every mutation follows one order, whoever asks for it:
//!
//! 1. the connector is asked (skipped for changes that *come from* the
//!    connector) — outside any database transaction; a refusal stops here
//!    and nothing changed;
//! 2. under the mailbox's write lock, the change is queued for the store
//!    (STORE, APPEND, EXPUNGE: `engine/ordered.rs`; on PostgreSQL, and for the other
//!    mutations, the transaction itself runs under the lock);
//! 3. after the commit, in commit order, the change is published to the
//!    [`Hub`], so every session sees the mailbox's updates in commit order.
//!
//! Message mutations live in `engine/messages.rs`, the commit-ordered write path in
//! `engine/ordered.rs`; mailbox operations in [`crate::mailboxes`].
//!
//! Reads (SELECT, STATUS, LIST, FETCH metadata, bodies) go straight to the
//! store and never wait for writers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use hadron_store::{
    BlobStore, DeletedUser, FlagEdit, FlagOp, MailboxInfo, MessageFlags, NewMessage, Store,
    StoreError, StoredMessage, SystemFlags as StoreFlags, UidSet, UserId, UserInfo,
};

use crate::connector::{Connector, ConnectorError, FlagMode, OutgoingMessage};
use crate::flags::{FlagSet, SystemFlags};
use crate::message::ParsedMessage;
use crate::update::{AddedMessage, FlagChange, Hub, MailboxId, SessionId, Update};

mod admin;
mod append;
mod feed;
mod fulltext;
mod index;
mod local_delivery;
mod messages;
mod ordered;
mod quota;
mod transfer;

pub use admin::ExpungedBefore;
pub use append::{AppendOutcome, AppendRequest, PreparedAppend};
pub use index::{IndexCacheConfig, WarmStats};
pub use transfer::ExportedMessage;

/// Why an engine operation failed. Every variant leaves state unchanged;
/// the session answers `NO` (with a response code where one fits).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The connector refused or failed.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// The store failed or refused (bad name, duplicate, limits).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No mailbox of that name.
    #[error("no mailbox named {0:?}")]
    NoSuchMailbox(String),
    /// A mailbox of that name exists already.
    #[error("mailbox {0:?} already exists")]
    MailboxExists(String),
    /// INBOX cannot be deleted (RFC 3501 §6.3.4).
    #[error("INBOX cannot be deleted")]
    InboxNotDeletable,
    /// A mailbox cannot be renamed to below itself.
    #[error("cannot rename {0:?} to below itself")]
    RenameIntoItself(String),
    /// The change would take the user past a quota limit (RFC 9208); nothing
    /// was changed.
    #[error("over quota: the {} limit would be exceeded", .0.name())]
    OverQuota(hadron_store::QuotaResourceKind),
    /// A blocking task failed (a bug or shutdown).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The special-use mailboxes every new account gets (RFC 6154), besides
/// INBOX.
pub const DEFAULT_MAILBOXES: [(&str, &str); 5] = [
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
    ("Archive", "\\Archive"),
];

/// What one instance shares about a mailbox across its sessions.
#[derive(Debug, Default)]
pub(crate) struct MailboxShared {
    /// Orders the mailbox's writes: held while a write is queued (and
    /// on PostgreSQL while it commits), so writes commit, and their
    /// updates are published, in the order they took it.
    pub(crate) write: tokio::sync::Mutex<()>,
    /// Writes queued so far, and writes published (or dropped) so far:
    /// see `Engine::writes_settled`.
    queued_writes: std::sync::atomic::AtomicU64,
    done_writes: std::sync::atomic::AtomicU64,
    /// Woken whenever `done_writes` grows.
    settled: tokio::sync::Notify,
    /// Metadata of messages expunged while other sessions had the mailbox
    /// selected: they may still FETCH them until told (deferred deletion;
    /// the store keeps the message rows and blobs until purge). Dropped
    /// until every session of the mailbox is past them.
    tombstones: Mutex<crate::tombstones::Tombstones>,
    /// The mailbox's index as a passive follower of its updates, shared
    /// by the sessions of this instance: a SELECT of a mailbox already
    /// open here copies it instead of reading every row again. Exists
    /// while some session has the mailbox selected.
    index: Mutex<Option<index::SharedIndex>>,
}

impl MailboxShared {
    /// The expunge that opened `epoch` has been published (or failed).
    fn tombstones_published(&self, epoch: Option<u64>) {
        if let Some(e) = epoch {
            self.tombstones
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .published(e);
        }
    }
}

/// A user's account as the engine knows it after LOGIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The store's user id.
    pub id: UserId,
    /// The login name (what the connector knows the user by).
    pub name: String,
}

/// A STORE's change for [`Engine::store_flags_if`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagStore {
    /// Add, remove or replace.
    pub mode: FlagMode,
    /// The flags.
    pub flags: FlagSet,
    /// CONDSTORE `UNCHANGEDSINCE` (RFC 7162 §3.1.3): leave alone the
    /// messages whose mod-sequence is above it.
    pub unchanged_since: Option<u64>,
}

impl FlagStore {
    /// Replaces the flags, unconditionally.
    pub fn replace(flags: FlagSet) -> FlagStore {
        FlagStore {
            mode: FlagMode::Replace,
            flags,
            unchanged_since: None,
        }
    }
}

/// Result of [`Engine::store_flags_if`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlagsStored {
    /// The mod-sequence of the changed messages (0 when none changed).
    pub modseq: u64,
    /// The messages whose flags changed, in UID order, with their new flags.
    pub changed: Vec<(u32, FlagSet)>,
    /// The UIDs that failed the `UNCHANGEDSINCE` test, ascending.
    pub modified: Vec<u32>,
}

/// Result of [`Engine::copy`] / [`Engine::move_messages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOutcome {
    /// UIDVALIDITY of the destination.
    pub uid_validity: u32,
    /// `(source UID, destination UID)` pairs, in source UID order.
    pub uid_map: Vec<(u32, u32)>,
}

/// Most rows a read may touch to count as small (see [`Engine::read_sized`]).
pub(crate) const SMALL_READ_ROWS: u64 = 64;

/// Most message bytes a read may touch to count as small.
pub(crate) const SMALL_READ_BYTES: u64 = 256 * 1024;

/// The engine of one server instance; share it with `Arc`.
pub struct Engine {
    connector: Arc<dyn Connector>,
    store: Store,
    blobs: Arc<dyn BlobStore>,
    hub: Hub,
    shared: Mutex<HashMap<i64, Arc<MailboxShared>>>,
    index_copies: std::sync::atomic::AtomicU64,
    index_cache: IndexCacheConfig,
    warm: Mutex<index::WarmIndexes>,
    /// Other instances' changes, and the order of this one's (PostgreSQL).
    feed: Arc<feed::Feed>,
    /// Expunges hold it shared from the store's expunge until their
    /// tombstones are kept; garbage collection holds it exclusively while
    /// it reads the tombstones and purges, so it never purges a row a
    /// session may still FETCH.
    gc: tokio::sync::RwLock<()>,
    /// Messages appended so far, for background jobs that yield to ingest
    /// ([`Engine::appended`]).
    appended: std::sync::atomic::AtomicU64,
}

/// What [`Engine::collect_garbage`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    /// Message rows no mailbox held any more.
    pub messages: usize,
    /// Bodies no message row referenced any more.
    pub blobs: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.store)
            .field("hub", &self.hub)
            .finish_non_exhaustive()
    }
}

/// The hub's id for a store mailbox.
pub(crate) fn hub_id(id: hadron_store::MailboxId) -> MailboxId {
    MailboxId(id.0 as u64)
}

/// Converts the store's flag bits and keyword bit set into a [`FlagSet`]
/// plus the stored `\Recent` bit.
pub(crate) fn flags_from_store(m: &MessageFlags, keywords: &[String]) -> (FlagSet, bool) {
    let s = m.flags;
    let mut system = SystemFlags::EMPTY;
    for (from, to) in [
        (StoreFlags::SEEN, SystemFlags::SEEN),
        (StoreFlags::ANSWERED, SystemFlags::ANSWERED),
        (StoreFlags::FLAGGED, SystemFlags::FLAGGED),
        (StoreFlags::DELETED, SystemFlags::DELETED),
        (StoreFlags::DRAFT, SystemFlags::DRAFT),
    ] {
        if s.contains(from) {
            system = system.union(to);
        }
    }
    let mut set = FlagSet::system(system);
    for (i, name) in keywords.iter().enumerate().take(64) {
        if m.keywords & (1u64 << i) != 0
            && let Ok(flag) = hadron_proto::types::Flag::keyword(name)
        {
            set.insert(flag);
        }
    }
    (set, s.contains(StoreFlags::RECENT))
}

/// Clears the stored `\Recent` of `uids` in mailbox `id` for a session of
/// this instance; returns the UIDs whose flag this cleared, ascending. Only
/// those are this instance's to give: on a database other instances share,
/// one of them may have claimed some since they were read (the clear runs
/// under the mailbox's row lock, so exactly one claim wins each).
///
/// On a full disk the claim cannot be written: it claims nothing and
/// succeeds, so that SELECT (a read for the client) still works; the
/// messages stay stored `\Recent` for a later session, once there is room.
pub(crate) fn claim_stored_recent(
    store: &Store,
    id: hadron_store::MailboxId,
    uids: impl IntoIterator<Item = u32>,
) -> Result<Vec<u32>, StoreError> {
    let set = UidSet::from_uids(uids);
    let changes = match store.store_flags(id, &set, FlagOp::Remove, StoreFlags::RECENT, &[]) {
        Err(e) if e.is_out_of_space() => return Ok(Vec::new()),
        r => r?,
    };
    let mut claimed: Vec<u32> = changes.changed.iter().map(|m| m.uid).collect();
    claimed.sort_unstable();
    Ok(claimed)
}

/// `added` (ascending) cut into runs in UID order, each with whether its
/// messages are `\Recent` for a session here (`mine`): a publisher gives
/// each run its own `\Recent` owner, so no update mixes the two.
pub(crate) fn recent_runs(
    added: impl IntoIterator<Item = AddedMessage>,
    mine: impl Fn(u32) -> bool,
) -> Vec<(Vec<AddedMessage>, bool)> {
    let mut runs: Vec<(Vec<AddedMessage>, bool)> = Vec::new();
    for m in added {
        let here = mine(m.uid);
        match runs.last_mut() {
            Some((run, r)) if *r == here => run.push(m),
            _ => runs.push((vec![m], here)),
        }
    }
    runs
}

/// Converts a [`FlagSet`] into the store's system bits and keyword names.
/// `\Extension` flags the protocol crate does not know are not stored.
pub(crate) fn flags_to_store(flags: &FlagSet) -> (StoreFlags, Vec<String>) {
    let mut bits = StoreFlags::EMPTY;
    for (from, to) in [
        (SystemFlags::SEEN, StoreFlags::SEEN),
        (SystemFlags::ANSWERED, StoreFlags::ANSWERED),
        (SystemFlags::FLAGGED, StoreFlags::FLAGGED),
        (SystemFlags::DELETED, StoreFlags::DELETED),
        (SystemFlags::DRAFT, StoreFlags::DRAFT),
    ] {
        if flags.system.contains(from) {
            bits |= to;
        }
    }
    let keywords = flags
        .keywords
        .iter()
        .filter_map(|f| match f {
            hadron_proto::types::Flag::Keyword(a) => Some(a.as_str().to_owned()),
            _ => None,
        })
        .collect();
    (bits, keywords)
}

impl Engine {
    /// An engine over `connector`, `store` and `blobs`, with session queues
    /// of `queue_capacity` updates and the default [`IndexCacheConfig`].
    pub fn new(
        connector: Arc<dyn Connector>,
        store: Store,
        blobs: Arc<dyn BlobStore>,
        queue_capacity: usize,
    ) -> Arc<Engine> {
        Engine::with_index_cache(
            connector,
            store,
            blobs,
            queue_capacity,
            IndexCacheConfig::default(),
        )
    }

    /// [`Engine::new`] keeping closed mailboxes' indexes as `index_cache`
    /// says.
    pub fn with_index_cache(
        connector: Arc<dyn Connector>,
        store: Store,
        blobs: Arc<dyn BlobStore>,
        queue_capacity: usize,
        index_cache: IndexCacheConfig,
    ) -> Arc<Engine> {
        let hub = Hub::new(queue_capacity);
        Arc::new(Engine {
            connector,
            feed: Arc::new(feed::Feed::new(hub.clone(), store.clone())),
            store,
            blobs,
            hub,
            shared: Mutex::new(HashMap::new()),
            index_copies: std::sync::atomic::AtomicU64::new(0),
            index_cache,
            warm: Mutex::default(),
            gc: tokio::sync::RwLock::new(()),
            appended: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Removes what no mailbox holds any more: message rows that are
    /// orphans (deleted mailboxes and users, expunged messages), then the
    /// bodies no row references that are older than `grace` (a body whose
    /// APPEND is still committing is younger). Messages expunged that a
    /// session may still FETCH, because it has not been told yet, are
    /// spared until a later run (deferred deletion). Run it at startup and
    /// periodically; it is safe alongside every other operation.
    pub async fn collect_garbage(
        &self,
        grace: std::time::Duration,
    ) -> Result<Collected, EngineError> {
        let gc = self.gc.write().await;
        let held: Vec<hadron_store::MessageId> = {
            let shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            shared
                .values()
                .flat_map(|s| {
                    s.tombstones
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .messages()
                })
                .collect()
        };
        let messages = self
            .blocking(move |store, _| Ok(store.purge_orphan_messages_except(&held)?))
            .await?;
        // Spared rows still reference their bodies: blob collection needs
        // no exclusion and no lock.
        drop(gc);
        let blobs = self
            .blocking(move |store, blobs| Ok(blobs.collect(store, grace)?))
            .await?;
        Ok(Collected { messages, blobs })
    }

    /// The store (for reads).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The update hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The connector.
    pub fn connector(&self) -> &Arc<dyn Connector> {
        &self.connector
    }

    /// Runs blocking store work on tokio's blocking pool.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &dyn BlobStore) -> Result<T, EngineError> + Send + 'static,
    {
        let store = self.store.clone();
        let blobs = self.blobs.clone();
        tokio::task::spawn_blocking(move || f(&store, &*blobs))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?
    }

    /// Runs a read: a *small* one (a few rows, a few hundred KiB of bodies
    /// at most: `small`) right here on SQLite, whose local reads take tens
    /// of microseconds, less than the two context switches of a trip to the
    /// blocking pool ([`Engine::blocking`]), which cost the server a large
    /// part of its CPU under many small commands. Larger reads, and every
    /// read on PostgreSQL (a network round trip), go to the blocking pool.
    pub(crate) async fn read_sized<T, F>(&self, small: bool, f: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &dyn BlobStore) -> Result<T, EngineError> + Send + 'static,
    {
        if small && self.store.queues_writes() {
            f(&self.store, &*self.blobs)
        } else {
            self.blocking(f).await
        }
    }

    pub(crate) fn shared(&self, id: hadron_store::MailboxId) -> Arc<MailboxShared> {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id.0)
            .or_default()
            .clone()
    }

    /// Metadata of an expunged message kept for sessions not yet told.
    pub(crate) fn tombstone(
        &self,
        id: hadron_store::MailboxId,
        uid: u32,
    ) -> Option<Arc<StoredMessage>> {
        let map = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&id.0).and_then(|s| {
            s.tombstones
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(uid)
        })
    }

    /// The metadata of those of `uids` that the store no longer lists in
    /// mailbox `id`: the tombstones of local expunges, and the message rows
    /// another process expunged (another instance, or an administration
    /// command; kept until garbage collection). UIDs found in neither are
    /// left out.
    pub(crate) fn expunged_metadata(
        &self,
        store: &Store,
        id: hadron_store::MailboxId,
        uids: &[u32],
    ) -> Result<Vec<Arc<StoredMessage>>, StoreError> {
        let mut found = Vec::with_capacity(uids.len());
        let mut elsewhere = Vec::new();
        for &u in uids {
            match self.tombstone(id, u) {
                Some(t) => found.push(t),
                None => elsewhere.push(u),
            }
        }
        if !elsewhere.is_empty() {
            let rows = store.expunged_messages(id, &UidSet::from_uids(elsewhere))?;
            found.extend(rows.into_iter().map(Arc::new));
        }
        Ok(found)
    }

    /// The last published expunge epoch of `id` (see
    /// [`crate::tombstones`]); read before draining.
    pub(crate) fn expunge_epoch(&self, id: hadron_store::MailboxId) -> u64 {
        self.shared(id)
            .tombstones
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .epoch()
    }

    /// `session` shows no message of `id` expunged in `epoch` or before.
    pub(crate) fn caught_up(&self, id: hadron_store::MailboxId, session: SessionId, epoch: u64) {
        self.shared(id)
            .tombstones
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .caught_up(session, epoch);
    }

    /// `session` left `id`.
    pub(crate) fn forget_session(&self, id: hadron_store::MailboxId, session: SessionId) {
        self.shared(id)
            .tombstones
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forget(session);
    }

    /// How many expunged messages of `id` are kept for sessions not yet
    /// told (a metric).
    pub fn kept_expunged(&self, id: hadron_store::MailboxId) -> usize {
        self.shared(id)
            .tombstones
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    // ---- accounts ----------------------------------------------------------

    /// Creates a user with an argon2 hash of `password` and the default
    /// mailboxes (INBOX, Sent, Drafts, Trash, Junk, Archive).
    pub async fn create_user(&self, name: &str, password: &str) -> Result<Account, EngineError> {
        let (name, password) = (name.to_owned(), password.to_owned());
        self.blocking(move |store, _| {
            let phc = crate::connector::hash_password(&password);
            let id = store.create_user(&name, &phc)?;
            create_default_mailboxes(store, id)?;
            Ok(Account { id, name })
        })
        .await
    }

    /// Replaces the stored password of the user `name` with an argon2 hash
    /// of `password`, made as [`Engine::create_user`] makes it. Sessions
    /// already logged in stay logged in.
    pub async fn set_password(&self, name: &str, password: &str) -> Result<(), EngineError> {
        let (name, password) = (name.to_owned(), password.to_owned());
        self.blocking(move |store, _| {
            let phc = crate::connector::hash_password(&password);
            Ok(store.set_password_hash(&name, &phc)?)
        })
        .await
    }

    /// Every user of the store with its mailbox and message totals, sorted
    /// by name.
    pub async fn users(&self) -> Result<Vec<UserInfo>, EngineError> {
        self.blocking(|store, _| Ok(store.list_users()?)).await
    }

    /// Deletes the user `name` with its mailboxes, messages and
    /// subscriptions ([`Store::delete_user`]); message bodies are reclaimed
    /// later by the orphan purge and blob collection.
    ///
    /// Sessions of this instance are told as for DELETE: one that has a
    /// mailbox of the user selected is closed with `* BYE` at its next
    /// command (on another instance, or on the server when this runs in an
    /// administration command, once its change feed reads the deletion). A
    /// session of the user in the Authenticated state stays open, but every command
    /// that needs the account's data fails with `NO`. With
    /// [`LocalConnector`](crate::connector::LocalConnector) the user can no
    /// longer log in; with an embedder's connector that still accepts the
    /// user, the next LOGIN creates a fresh, empty local account.
    pub async fn delete_user(&self, name: &str) -> Result<DeletedUser, EngineError> {
        let owned = name.to_owned();
        let mut ids: Vec<hadron_store::MailboxId> = self
            .blocking(move |store, _| {
                let Some((id, _)) = store.user_by_name(&owned)? else {
                    return Err(StoreError::UnknownUser(owned).into());
                };
                Ok(store
                    .list_mailboxes(id)?
                    .into_iter()
                    .map(|m| m.id)
                    .collect())
            })
            .await?;
        // Hold every mailbox's write lock (in id order, as MOVE takes two)
        // so that no commit to one of them is published after its deletion.
        ids.sort_unstable();
        let shared: Vec<Arc<MailboxShared>> = ids.iter().map(|&id| self.shared(id)).collect();
        let mut guards = Vec::with_capacity(shared.len());
        for s in &shared {
            guards.push(s.write.lock().await);
        }
        let owned = name.to_owned();
        let deleted = self
            .blocking(move |store, _| Ok(store.delete_user(&owned)?))
            .await?;
        for &id in &deleted.mailboxes {
            self.hub().publish(hub_id(id), Update::MailboxDeleted);
        }
        drop(guards);
        drop(shared);
        for &id in &deleted.mailboxes {
            self.release(id);
        }
        Ok(deleted)
    }

    /// LOGIN: asks the connector, then opens the local account — creating
    /// it (with the default mailboxes and no usable local password) the
    /// first time a backend user logs in.
    pub async fn login(&self, name: &str, password: &str) -> Result<Account, EngineError> {
        self.connector.authenticate(name, password).await?;
        let name = name.to_owned();
        self.blocking(move |store, _| match store.user_by_name(&name)? {
            Some((id, _)) => Ok(Account { id, name }),
            None => {
                let id = store.create_user(&name, "!")?;
                create_default_mailboxes(store, id)?;
                Ok(Account { id, name })
            }
        })
        .await
    }

    /// A mailbox of `user` by name.
    pub async fn mailbox(&self, user: UserId, name: &str) -> Result<MailboxInfo, EngineError> {
        let name = name.to_owned();
        self.read_sized(true, move |store, _| {
            store
                .mailbox_by_name(user, &name)?
                .ok_or(EngineError::NoSuchMailbox(name))
        })
        .await
    }
}

/// Creates INBOX and the special-use mailboxes for a new user.
fn create_default_mailboxes(store: &Store, user: UserId) -> Result<(), EngineError> {
    store.create_mailbox(user, "INBOX", None)?;
    for (name, special) in DEFAULT_MAILBOXES {
        store.create_mailbox(user, name, Some(special))?;
    }
    Ok(())
}
