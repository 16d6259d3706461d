//! Changes committed by other processes on the same database: other
//! instances on PostgreSQL; on SQLite, administration commands (`hadron
//! expunge`, `hadron mailbox delete`, …) and imports that open the same
//! file while the server runs.
//!
//! The store tells every instance that something changed
//! ([`hadron_store::ChangeListener`]): on PostgreSQL which mailboxes, on
//! SQLite only that another process committed ([`Woken::Everything`]: every
//! followed mailbox is read). The notification is only a wake-up.
//! For each mailbox this instance follows (some session, or a shared
//! index, subscribed to it), the [`Feed`] remembers what it has published:
//! the highest mod-sequence and the next UID ([`Seen`]). Woken, it reads
//! what changed after that ([`Store::changes_since`]) and publishes it to
//! the hub like a local change, so sessions here learn of it under the
//! same rules (RFC 3501 §7.4.1) — a lost or doubled wake-up costs a read,
//! never a change.
//!
//! Commit order per mailbox is kept: both paths publish under the
//! mailbox's write lock. A local write whose mod-sequence is not the next
//! one after [`Seen`] first publishes what other instances committed in
//! between. Updates are absolute (flags replaced, UIDs added or removed),
//! so publishing something twice — a session that read the store after a
//! change the feed had not yet published — changes nothing.
//!
//! `\Recent` goes to exactly one session of all instances: an instance
//! with a session to give a new message to stores it without the flag;
//! otherwise another instance with such a session claims it by clearing
//! the stored flag (the row lock makes one claim win), else it stays
//! stored for the next SELECT.
//!
//! A message another instance expunged leaves no tombstone here: a session
//! still showing it reads it through the store's expunged UIDs
//! ([`Store::expunged_messages`]) until garbage collection purges the row.
//! NOOP, CHECK, IDLE and DONE first compare the stored mod-sequence with
//! what is published ([`Engine::catch_up_if_behind`]), so a write
//! acknowledged on another instance is reported by the next poll here;
//! other commands report what the feed delivered by then, and never wait
//! behind the mailbox's writers for it.
//!
//! Expunges are read from the store's expunge history. When it was pruned
//! past what an instance published ([`MailboxChanges::expunged`] is
//! `None`), they cannot be told in order: every follower resynchronises
//! from the store (a session without a current shared index to do it from
//! is closed with `* BYE`, and its client reconnects to the right state).
//!
//! On SQLite this instance's own writes all come from its one writer
//! thread, so a local write's mod-sequence is the next one after [`Seen`]
//! unless another process committed in between: the common write costs
//! no read (a map look-up). The publish then runs on the writer thread,
//! which cannot wait for a write of its own: messages another process
//! added are published there without claiming their stored `\Recent`
//! (the next SELECT claims it). NOOP, CHECK, IDLE and DONE pay one
//! primary-key read of the mailbox's status, run in place (no thread
//! hop); a SELECT reads nothing more unless that status shows unpublished
//! changes. The 10 s sweep reads nothing on SQLite (the wake-up is a
//! counter, never lost): it only lets go of mailboxes nothing follows.
//!
//! Known limits: an instance reads state, not a log, so a flag change of a
//! message expunged before the instance read either reaches its sessions
//! as the expunge alone; garbage collection on one instance spares only its own
//! tombstones, so a FETCH racing another instance's expunge *and* a
//! collection can fail; renames are not announced (IMAP4rev1 has no
//! response for them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use hadron_store::{
    BackendKind, MailboxChanges, MailboxId as StoreMailbox, MailboxInfo, Store, Woken,
};

use super::{Engine, EngineError, claim_stored_recent, flags_from_store, hub_id, recent_runs};
use crate::update::{AddedMessage, FlagChange, Hub, SessionId, Update};

/// What this instance has published of one mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    /// The highest mod-sequence whose changes are published.
    pub(crate) modseq: u64,
    /// Every UID below it is published (or was expunged).
    pub(crate) uidnext: u32,
}

impl Seen {
    /// The mod-sequence published once `changes` (read up to `until`, the
    /// caller's own write, exclusive) are: everything below the caller's
    /// own mod-sequence, else everything the read saw.
    fn published_through(self, changes: &MailboxChanges, until: Option<u64>) -> u64 {
        match until {
            Some(m) => self.modseq.max(m - 1),
            None => self.modseq.max(changes.highest_modseq),
        }
    }
}

/// How often the listener looks for notifications.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// How often every followed mailbox is read anyway on PostgreSQL (a safety
/// net for lost notifications); on SQLite, how often mailboxes nothing
/// follows any more are let go.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);
/// The pauses before each read of what other instances committed before a
/// local write (a first read at once, then two retries on a fresh
/// connection).
const CATCH_UP_RETRIES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(20),
    Duration::from_millis(200),
];
/// How long to wait before reconnecting a broken listener.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// The publishing side of the change feed; shared with the write callbacks.
#[derive(Debug)]
pub(crate) struct Feed {
    hub: Hub,
    store: Store,
    /// Whether a local write's publication runs on the store's writer
    /// thread (SQLite), where it must not write: see the module docs.
    publishes_on_writer: bool,
    seen: Mutex<HashMap<i64, Seen>>,
}

impl Feed {
    pub(crate) fn new(hub: Hub, store: Store) -> Feed {
        let publishes_on_writer = store.queues_writes();
        Feed {
            hub,
            store,
            publishes_on_writer,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Seen>> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A session read mailbox `id` as of `info` (its status read before its
    /// rows): start following it from there, unless already followed.
    pub(crate) fn start(&self, id: StoreMailbox, info: &MailboxInfo) {
        self.seen().entry(id.0).or_insert(Seen {
            modseq: info.highest_modseq,
            uidnext: info.uidnext,
        });
    }

    /// Nothing here follows mailbox `id` any more.
    pub(crate) fn stop(&self, id: StoreMailbox) {
        self.seen().remove(&id.0);
    }

    /// The mailboxes followed.
    fn followed(&self) -> Vec<StoreMailbox> {
        self.seen().keys().map(|&id| StoreMailbox(id)).collect()
    }

    /// Publishes `update`, a change this instance committed to mailbox
    /// `id` at mod-sequence `modseq` (called under the mailbox's write
    /// lock, after the commit). What other instances committed before it
    /// is published first; `first_uid` is the first UID this instance's
    /// write added (published by the caller, with this update or next).
    pub(crate) fn publish_local(
        &self,
        id: StoreMailbox,
        modseq: u64,
        first_uid: Option<u32>,
        update: Update,
    ) {
        // The mailbox's write lock orders every change of its entry but
        // `start`, which never overwrites one: the map's lock need not be
        // held across the read.
        let followed = self.seen().get(&id.0).copied();
        if let Some(s) = followed {
            let mut next = s;
            if modseq > s.modseq + 1 {
                // Others committed in between: they go first. A read that
                // fails (the database connection was cut) is retried;
                // failing still, this write cannot be published in order,
                // so every follower resynchronises from the store instead.
                let caught_up = CATCH_UP_RETRIES.iter().find_map(|&pause| {
                    std::thread::sleep(pause);
                    self.catch_up(id, s, Some(modseq), first_uid, !self.publishes_on_writer)
                });
                match caught_up {
                    Some(n) => next = n,
                    None => {
                        let marked = self.hub.lose_updates(hub_id(id));
                        tracing::warn!(
                            mailbox = id.0,
                            sessions = marked,
                            "could not read other instances' changes; resynchronising"
                        );
                    }
                }
            }
            next.modseq = next.modseq.max(modseq);
            if let Update::MessagesAdded { messages, .. } = &update
                && let Some(last) = messages.last()
            {
                next.uidnext = next.uidnext.max(last.uid + 1);
            }
            self.seen().insert(id.0, next);
        }
        self.hub.publish(hub_id(id), update);
    }

    /// The mod-sequence up to which mailbox `id`'s changes are published
    /// here, if this instance follows it.
    pub(crate) fn published_modseq(&self, id: StoreMailbox) -> Option<u64> {
        self.seen().get(&id.0).map(|s| s.modseq)
    }

    /// Publishes what other instances committed to mailbox `id` (called
    /// under its write lock).
    pub(crate) fn catch_up_now(&self, id: StoreMailbox) {
        let followed = self.seen().get(&id.0).copied();
        if let Some(s) = followed
            && let Some(next) = self.catch_up(id, s, None, None, true)
        {
            self.seen().insert(id.0, next);
        }
    }

    /// Reads and publishes the changes after `seen` (below mod-sequence
    /// `until` and UID `below` when given: those are the caller's own);
    /// returns what is then published, or `None` when the read failed and
    /// nothing was published. `claim`: whether stored `\Recent` of added
    /// messages may be claimed (a write; not on the SQLite writer thread).
    fn catch_up(
        &self,
        id: StoreMailbox,
        seen: Seen,
        until: Option<u64>,
        below: Option<u32>,
        claim: bool,
    ) -> Option<Seen> {
        let changes = match self
            .store
            .changes_since(id, seen.modseq, until, seen.uidnext)
        {
            Ok(Some(c)) => c,
            Ok(None) => {
                self.hub.publish(hub_id(id), Update::MailboxDeleted);
                return Some(seen);
            }
            Err(e) => {
                tracing::warn!(mailbox = id.0, error = %e, "reading another instance's changes failed");
                return None;
            }
        };
        Some(self.publish_changes(id, seen, changes, until, below, claim))
    }

    fn publish_changes(
        &self,
        id: StoreMailbox,
        seen: Seen,
        changes: MailboxChanges,
        until: Option<u64>,
        below: Option<u32>,
        claim: bool,
    ) -> Seen {
        let names = &changes.keywords;
        let Some(expunged) = &changes.expunged else {
            // The expunge history was pruned past `seen`: what vanished
            // since cannot be told in order, so every follower (sessions
            // and the warm index) resynchronises from the store, which
            // holds everything read here.
            let marked = self.hub.lose_updates(hub_id(id));
            tracing::info!(
                mailbox = id.0,
                sessions = marked,
                "expunges were pruned before this instance read them; resynchronising"
            );
            return Seen {
                modseq: seen.published_through(&changes, until),
                uidnext: seen.uidnext.max(changes.uidnext),
            };
        };
        // Expunges first, with the mod-sequence published before them as
        // theirs (the store does not say which expunge came when): a
        // session that applies or holds them before the flag changes
        // below are published never reports a HIGHESTMODSEQ past a change
        // it was not told of.
        if !expunged.is_empty() {
            self.hub.publish(
                hub_id(id),
                Update::MessagesExpunged {
                    uids: expunged.clone(),
                    origin: None,
                    modseq: Some(seen.modseq),
                },
            );
        }
        if !changes.changed.is_empty() {
            let changes = changes
                .changed
                .iter()
                .map(|m| FlagChange {
                    uid: m.uid,
                    flags: flags_from_store(m, names).0,
                    modseq: Some(m.modseq),
                })
                .collect();
            self.hub.publish(
                hub_id(id),
                Update::FlagsChanged {
                    changes,
                    origin: None,
                },
            );
        }
        let added: Vec<(AddedMessage, bool)> = changes
            .added
            .iter()
            .filter(|m| below.is_none_or(|b| m.uid < b))
            .map(|m| {
                let (flags, recent) = flags_from_store(m, names);
                (AddedMessage { uid: m.uid, flags }, recent)
            })
            .collect();
        let added_modseq = changes.added.iter().map(|m| m.modseq).max();
        let mut next = seen;
        if let Some((last, _)) = added.last() {
            next.uidnext = next.uidnext.max(last.uid + 1);
            let claimed = if claim {
                self.claim_recent(id, &added)
            } else {
                Vec::new()
            };
            let added = added.into_iter().map(|(m, _)| m);
            for (run, mine) in recent_runs(added, |u| claimed.binary_search(&u).is_ok()) {
                self.publish_added(id, run, mine, added_modseq);
            }
        }
        next.modseq = next.published_through(&changes, until);
        next
    }
}

impl Feed {
    /// Of messages another instance added (with whether the store still
    /// holds them `\Recent`: that instance had no session to give it to),
    /// the UIDs this instance claims for one of its sessions, ascending.
    /// Claiming clears the stored bit under the mailbox's row lock, so
    /// exactly one instance (and one session) gets each.
    fn claim_recent(&self, id: StoreMailbox, added: &[(AddedMessage, bool)]) -> Vec<u32> {
        let unclaimed: Vec<u32> = added
            .iter()
            .filter(|(_, r)| *r)
            .map(|(m, _)| m.uid)
            .collect();
        if unclaimed.is_empty() || self.hub.recent_takers(hub_id(id)) == 0 {
            return Vec::new();
        }
        match claim_stored_recent(&self.store, id, unclaimed) {
            Ok(uids) => uids,
            Err(e) => {
                tracing::warn!(mailbox = id.0, error = %e, "claiming \\Recent failed");
                Vec::new()
            }
        }
    }

    /// Publishes messages another instance added; `claimed`: the hub gives
    /// them `\Recent` to one session here, else to none.
    fn publish_added(
        &self,
        id: StoreMailbox,
        messages: Vec<AddedMessage>,
        claimed: bool,
        modseq: Option<u64>,
    ) {
        if messages.is_empty() {
            return;
        }
        self.hub.publish(
            hub_id(id),
            Update::MessagesAdded {
                messages,
                recent_for: (!claimed).then_some(SessionId::NOBODY),
                origin: None,
                modseq,
            },
        );
    }
}

impl Engine {
    /// A session read mailbox `id` as of `info` (its status, read before
    /// its rows): other instances' changes after it are published here
    /// from now on (see [`Feed::start`]).
    pub(crate) fn follow_changes(&self, id: StoreMailbox, info: &MailboxInfo) {
        self.feed.start(id, info);
    }

    /// Before a poll (NOOP, CHECK, IDLE, DONE) of a session with `id`
    /// selected (other processes may write the database): when the mailbox
    /// holds a change this instance has not published (one read of its
    /// mod-sequence, in place on SQLite), publishes it first, so that the
    /// poll reports a write another process acknowledged, as one server
    /// would, without waiting for the wake-up.
    pub(crate) async fn catch_up_if_behind(&self, id: StoreMailbox) -> Result<(), EngineError> {
        let Some(published) = self.feed.published_modseq(id) else {
            return Ok(());
        };
        let status = self
            .read_sized(true, move |store, _| Ok(store.mailbox_status(id)?))
            .await;
        match status {
            Ok(info) if info.highest_modseq <= published => Ok(()),
            // Changed, or gone (deleted by another instance: the catch-up
            // tells the sessions), or unreadable (it logs why).
            _ => self.catch_up_mailbox(id).await,
        }
    }

    /// A SELECT read mailbox `id`'s status as `stored` (after it started
    /// following it): publishes first what other processes committed and
    /// this instance has not (only when `stored` is past what is
    /// published: no read otherwise), so that a shared index it copies is
    /// never behind the database.
    pub(crate) async fn catch_up_to(
        &self,
        id: StoreMailbox,
        stored: &MailboxInfo,
    ) -> Result<(), EngineError> {
        match self.feed.published_modseq(id) {
            Some(published) if stored.highest_modseq <= published => Ok(()),
            _ => self.catch_up_mailbox(id).await,
        }
    }

    /// Publishes what other processes committed to mailbox `id`, in order
    /// with this instance's own writes.
    pub async fn catch_up_mailbox(&self, id: StoreMailbox) -> Result<(), EngineError> {
        if self.hub.followers(hub_id(id)) == 0 {
            self.feed.stop(id);
            return Ok(());
        }
        let shared = self.shared(id);
        let _guard = shared.write.lock().await;
        let feed = self.feed.clone();
        self.blocking(move |_, _| {
            feed.catch_up_now(id);
            Ok(())
        })
        .await
    }

    /// Starts the thread that listens for other processes' changes (other
    /// instances on PostgreSQL; administration commands and imports on
    /// SQLite) and publishes them here (see `engine/feed.rs`); `None` when
    /// the store has no listener. Call it inside the Tokio runtime; the
    /// thread ends when the engine is dropped.
    pub fn follow_other_instances(
        self: &Arc<Self>,
    ) -> Result<Option<std::thread::JoinHandle<()>>, EngineError> {
        let Some(listener) = self.store.change_listener()? else {
            return Ok(None);
        };
        let engine = Arc::downgrade(self);
        let runtime = tokio::runtime::Handle::current();
        let thread = std::thread::Builder::new()
            .name("hadron-change-feed".into())
            .spawn(move || listen(engine, runtime, listener))
            .map_err(|e| EngineError::Internal(format!("starting the change feed: {e}")))?;
        Ok(Some(thread))
    }
}

/// The listener thread: wakes the catch-up of each mailbox notified, of
/// every followed mailbox on [`Woken::Everything`] and after a reconnect,
/// and every [`SWEEP_INTERVAL`] of every followed mailbox (PostgreSQL) or
/// of those nothing follows any more (SQLite, to let go of them).
fn listen(
    engine: Weak<Engine>,
    runtime: tokio::runtime::Handle,
    mut listener: hadron_store::ChangeListener,
) {
    let mut last_sweep = std::time::Instant::now();
    loop {
        let Some(e) = engine.upgrade() else { return };
        let woken = match listener.poll() {
            Ok(Woken::Mailboxes(ids)) => ids,
            Ok(Woken::Everything) => e.feed.followed(),
            Err(err) => {
                tracing::warn!(error = %err, "change feed lost; reconnecting");
                loop {
                    std::thread::sleep(RECONNECT_DELAY);
                    match e.store.change_listener() {
                        Ok(Some(l)) => break listener = l,
                        Ok(None) => return,
                        Err(err) => tracing::warn!(error = %err, "change feed: reconnect failed"),
                    }
                }
                // Whatever was notified meanwhile is lost: read everything.
                e.feed.followed()
            }
        };
        let woken = if last_sweep.elapsed() >= SWEEP_INTERVAL {
            last_sweep = std::time::Instant::now();
            // SQLite's wake-ups are a counter, never lost: nothing to read.
            let lossless = e.store.backend() == BackendKind::Sqlite;
            let mut all: Vec<StoreMailbox> = e
                .feed
                .followed()
                .into_iter()
                .filter(|&id| !lossless || e.hub.followers(hub_id(id)) == 0)
                .collect();
            for id in woken {
                if !all.contains(&id) {
                    all.push(id);
                }
            }
            all
        } else {
            woken
        };
        for id in woken {
            let e = e.clone();
            runtime.spawn(async move {
                if let Err(err) = e.catch_up_mailbox(id).await {
                    tracing::warn!(mailbox = id.0, error = %err, "change feed: catching up failed");
                }
            });
        }
        drop(e);
        std::thread::sleep(POLL_INTERVAL);
    }
}
