//! Updates and their fan-out to the sessions that have a mailbox selected.
//!
//! Every change to a mailbox — made by a session or arriving from the
//! connector — is published once to the [`Hub`] as an [`Update`]. The hub
//! appends it to the bounded queue of every session subscribed to that
//! mailbox and wakes the session through its [`Notify`] hook. The session
//! later drains its queue ([`Subscription::drain`]) and hands the updates to
//! [`crate::delivery::Selected`], which decides what may be told when.
//!
//! Publishing never blocks on a slow session: a full queue marks that
//! session [`Drained::Overflowed`], its pending updates are dropped, and the
//! session must be closed (or resynchronised) — it is never left silently
//! wrong.
//!
//! Ordering: the hub serialises publishes per hub, so every session sees
//! the updates of a mailbox in one order. The publisher must publish in
//! the order the changes were committed (e.g. publish while still holding
//! the mailbox's write lock).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hadron_proto::types::Mailbox;

use crate::flags::FlagSet;
use crate::mailbox_events::MailboxEvents;

/// Identifies a session (one client connection) within a [`Hub`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

impl SessionId {
    /// No session: as [`Update::MessagesAdded::recent_for`], nobody here
    /// sees the messages as `\Recent` (another instance gave it, or the
    /// store keeps it for a later SELECT). Never a real session's id.
    pub const NOBODY: SessionId = SessionId(u64::MAX);
}

/// Identifies a mailbox; stable across renames (e.g. the database id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxId(pub u64);

/// A message added to a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedMessage {
    /// Its UID, above every UID the mailbox has had.
    pub uid: u32,
    /// Its flags.
    pub flags: FlagSet,
}

/// New flags for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagChange {
    /// The message.
    pub uid: u32,
    /// Its complete new flags (not a delta).
    pub flags: FlagSet,
    /// Its new modification sequence (CONDSTORE), if the store keeps one.
    pub modseq: Option<u64>,
}

/// One change to a mailbox, as fanned out to its sessions.
///
/// Every variant is *absolute* (new flags, not a delta; "UID n exists"),
/// so applying an update a snapshot already reflects is harmless — which is
/// what lets a session subscribe *before* reading the mailbox for SELECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// Messages appended (APPEND, COPY/MOVE into the mailbox, connector),
    /// in ascending UID order.
    MessagesAdded {
        /// The new messages.
        messages: Vec<AddedMessage>,
        /// The one session that sees these messages as `\Recent`. Left
        /// `None` by the publisher, the hub gives them to the session that
        /// has been subscribed longest ([`PublishReport::recent_to`]).
        recent_for: Option<SessionId>,
        /// The session whose command caused this, if any.
        origin: Option<SessionId>,
        /// The mod-sequence the store gave the messages, if known (CONDSTORE).
        modseq: Option<u64>,
    },
    /// Flags replaced on messages (STORE, connector).
    FlagsChanged {
        /// The changes.
        changes: Vec<FlagChange>,
        /// The session whose STORE caused this: that session's own FETCH
        /// responses are produced by its command, so delivery applies the
        /// change without echoing it.
        origin: Option<SessionId>,
    },
    /// Messages removed (EXPUNGE, UID EXPUNGE, CLOSE, MOVE, connector).
    MessagesExpunged {
        /// Their UIDs (any order).
        uids: Vec<u32>,
        /// The session whose command caused this, if any.
        origin: Option<SessionId>,
        /// The mod-sequence of the expunge, if known (CONDSTORE), or a lower
        /// bound of it: a session that holds the expunge back reports a
        /// HIGHESTMODSEQ below it ([`crate::delivery::Selected::modseq`]).
        modseq: Option<u64>,
    },
    /// The mailbox was renamed; selected sessions keep working on it.
    MailboxRenamed {
        /// Its new name.
        new_name: Mailbox<'static>,
    },
    /// The mailbox was deleted; selected sessions must be closed.
    MailboxDeleted,
    /// UIDs were reassigned; selected sessions must be closed.
    UidValidityChanged {
        /// The new UIDVALIDITY.
        uid_validity: u32,
    },
}

/// A hook that wakes a session when an update is queued for it (an IDLE-ing
/// session then drains and delivers at once).
///
/// Called on the publisher's thread after the update is queued and after
/// the hub's locks are released. It must be quick and must not block: set
/// a flag, notify a task, write to a pipe. Any `Fn() + Send + Sync` closure
/// is a `Notify`.
pub trait Notify: Send + Sync {
    /// An update has been queued (or the queue has overflowed).
    fn notify(&self);
}

impl<F: Fn() + Send + Sync> Notify for F {
    fn notify(&self) {
        self()
    }
}

/// What a session finds when it drains its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drained {
    /// The updates queued since the last drain, oldest first.
    Updates(Vec<Arc<Update>>),
    /// The queue overflowed: updates were lost, so the session's snapshot
    /// can no longer be brought up to date from the queue. Close it with
    /// `* BYE` or resynchronise it from the store. Sticky: every later drain
    /// says the same.
    Overflowed,
}

/// What [`Hub::publish`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublishReport {
    /// How many sessions the update was queued for.
    pub queued: usize,
    /// Sessions whose queue overflowed with this update.
    pub overflowed: Vec<SessionId>,
    /// For [`Update::MessagesAdded`]: the session that got `\Recent`, or
    /// `None` if no session has the mailbox selected (the store keeps the
    /// messages recent for the next SELECT).
    pub recent_to: Option<SessionId>,
}

struct QueueState {
    updates: VecDeque<Arc<Update>>,
    overflowed: bool,
}

struct Queue {
    session: SessionId,
    state: Mutex<QueueState>,
    notify: Option<Arc<dyn Notify>>,
    /// A follower that is not a client session ([`Hub::subscribe_passive`]):
    /// never given `\Recent`, not counted by [`Hub::subscribers`].
    passive: bool,
    /// A read-only (EXAMINE) session ([`Hub::subscribe_read_only`]): never
    /// given `\Recent`.
    read_only: bool,
    /// The most updates it holds before it overflows: the hub's capacity,
    /// or [`WATCHER_CAPACITY`] for a watcher.
    limit: usize,
}

impl Queue {
    /// Whether `\Recent` may be given to this subscriber.
    fn takes_recent(&self) -> bool {
        !self.passive && !self.read_only
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A panic while holding the lock cannot leave the queue half
        // updated (each critical section is a single push or take).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The most mailbox events ([`MailboxEvents`]) a session may have waiting:
/// more than any client's burst of CREATE/RENAME/SUBSCRIBE, and small
/// enough that a stuck session holds little.
const MAILBOX_EVENTS_CAPACITY: usize = 1024;

/// The most updates a watcher ([`Hub::subscribe_watcher`]) holds: it needs
/// only to know *that* its mailbox changed (an overflow says so too), so a
/// session that stops reading keeps a few pointers per mailbox, not the
/// hub's capacity of them.
const WATCHER_CAPACITY: usize = 16;

struct HubInner {
    capacity: usize,
    next_session: AtomicU64,
    mailboxes: Mutex<HashMap<MailboxId, Vec<Arc<Queue>>>>,
    /// Changes to users' sets of mailboxes (NOTIFY), beside the changes
    /// inside mailboxes.
    mailbox_events: MailboxEvents,
}

impl HubInner {
    fn lock(&self) -> MutexGuard<'_, HashMap<MailboxId, Vec<Arc<Queue>>>> {
        self.mailboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The fan-out point: per mailbox, the sessions that have it selected, each
/// with a bounded queue. Cheap to clone (shared).
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("capacity", &self.inner.capacity)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub whose session queues hold at most `capacity` updates each
    /// (at least 1). An update is one publish, whatever its size: a STORE on
    /// a million messages is one update.
    pub fn new(capacity: usize) -> Hub {
        Hub {
            inner: Arc::new(HubInner {
                capacity: capacity.max(1),
                next_session: AtomicU64::new(1),
                mailboxes: Mutex::new(HashMap::new()),
                mailbox_events: MailboxEvents::new(capacity.min(MAILBOX_EVENTS_CAPACITY)),
            }),
        }
    }

    /// The queue capacity.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// The fan-out of changes to users' sets of mailboxes (created,
    /// deleted, renamed, subscribed), whose queues hold the hub's capacity
    /// of events, at most 1,024.
    pub fn mailbox_events(&self) -> &MailboxEvents {
        &self.inner.mailbox_events
    }

    /// A fresh session id, unique within this hub.
    pub fn new_session_id(&self) -> SessionId {
        SessionId(self.inner.next_session.fetch_add(1, Ordering::Relaxed))
    }

    /// Subscribes `session` to the updates of `mailbox` until the returned
    /// [`Subscription`] is dropped. At SELECT, subscribe first and read the
    /// mailbox second: updates published in between are then both in the
    /// snapshot and in the queue, which is harmless (updates are absolute).
    pub fn subscribe(
        &self,
        mailbox: MailboxId,
        session: SessionId,
        notify: Option<Arc<dyn Notify>>,
    ) -> Subscription {
        self.subscribe_queue(mailbox, session, notify, false, false, self.inner.capacity)
    }

    /// Like [`Hub::subscribe`], for a read-only (EXAMINE) session: it is
    /// never given `\Recent`, which stays for a read-write session (RFC
    /// 3501 §6.3.2: EXAMINE must not cause messages to lose `\Recent`).
    pub fn subscribe_read_only(
        &self,
        mailbox: MailboxId,
        session: SessionId,
        notify: Option<Arc<dyn Notify>>,
    ) -> Subscription {
        self.subscribe_queue(mailbox, session, notify, false, true, self.inner.capacity)
    }

    /// Subscribes a follower that is not a client session (e.g. a shared
    /// copy of a mailbox's index kept up to date for later SELECTs): it
    /// receives every update but is never given `\Recent` and is not
    /// counted by [`Hub::subscribers`].
    pub fn subscribe_passive(&self, mailbox: MailboxId) -> Subscription {
        let id = self.new_session_id();
        self.subscribe_queue(mailbox, id, None, true, false, self.inner.capacity)
    }

    /// Subscribes a session that *watches* `mailbox` without having it
    /// selected (NOTIFY, RFC 5465): woken through `notify` like a selected
    /// session, but like a passive follower never given `\Recent` and not
    /// counted by [`Hub::subscribers`]. It keeps the change feed following
    /// the mailbox ([`Hub::followers`]).
    pub fn subscribe_watcher(&self, mailbox: MailboxId, notify: Arc<dyn Notify>) -> Subscription {
        let id = self.new_session_id();
        let limit = WATCHER_CAPACITY.min(self.inner.capacity);
        self.subscribe_queue(mailbox, id, Some(notify), true, false, limit)
    }

    fn subscribe_queue(
        &self,
        mailbox: MailboxId,
        session: SessionId,
        notify: Option<Arc<dyn Notify>>,
        passive: bool,
        read_only: bool,
        limit: usize,
    ) -> Subscription {
        let queue = Arc::new(Queue {
            session,
            state: Mutex::new(QueueState {
                updates: VecDeque::new(),
                overflowed: false,
            }),
            notify,
            passive,
            read_only,
            limit,
        });
        self.inner
            .lock()
            .entry(mailbox)
            .or_default()
            .push(queue.clone());
        Subscription {
            hub: self.inner.clone(),
            mailbox,
            queue,
        }
    }

    /// How many sessions are subscribed to `mailbox`.
    pub fn subscribers(&self, mailbox: MailboxId) -> usize {
        self.inner
            .lock()
            .get(&mailbox)
            .map_or(0, |v| v.iter().filter(|q| !q.passive).count())
    }

    /// How many queues follow `mailbox`: sessions and passive followers.
    pub fn followers(&self, mailbox: MailboxId) -> usize {
        self.inner.lock().get(&mailbox).map_or(0, Vec::len)
    }

    /// How many sessions subscribed to `mailbox` may be given `\Recent`
    /// (read-write client sessions). With none, new messages keep `\Recent`
    /// in the store for the next read-write SELECT.
    pub fn recent_takers(&self, mailbox: MailboxId) -> usize {
        self.inner
            .lock()
            .get(&mailbox)
            .map_or(0, |v| v.iter().filter(|q| q.takes_recent()).count())
    }

    /// Marks every queue of `mailbox` as overflowed (and wakes its
    /// session), as if each had fallen behind: for a publisher that cannot
    /// tell them what changed in order, so that every follower closes or
    /// resynchronises from the store ([`Drained::Overflowed`]). Returns
    /// how many were marked.
    pub fn lose_updates(&self, mailbox: MailboxId) -> usize {
        let mut wake = Vec::new();
        let mut marked = 0;
        {
            let map = self.inner.lock();
            for queue in map.get(&mailbox).map(Vec::as_slice).unwrap_or(&[]) {
                let mut state = queue.lock();
                if !state.overflowed {
                    state.overflowed = true;
                    state.updates = VecDeque::new();
                    marked += 1;
                    if let Some(n) = &queue.notify {
                        wake.push(n.clone());
                    }
                }
            }
        }
        for n in wake {
            n.notify();
        }
        marked
    }

    /// Queues `update` for every session subscribed to `mailbox`, without
    /// waiting for any of them. For [`Update::MessagesAdded`] with no
    /// `recent_for`, `\Recent` goes to the longest-subscribed read-write
    /// session.
    pub fn publish(&self, mailbox: MailboxId, mut update: Update) -> PublishReport {
        let mut report = PublishReport::default();
        let mut wake = Vec::new();
        {
            let map = self.inner.lock();
            let queues = map.get(&mailbox).map(Vec::as_slice).unwrap_or(&[]);
            if let Update::MessagesAdded { recent_for, .. } = &mut update {
                if recent_for.is_none() {
                    // The longest-subscribed session that will receive it
                    // (not one whose queue overflowed or is about to).
                    // Draining only makes room, so the choice stays valid.
                    *recent_for = queues
                        .iter()
                        .find(|q| {
                            let state = q.lock();
                            q.takes_recent()
                                && !state.overflowed
                                && state.updates.len() < self.inner.capacity
                        })
                        .map(|q| q.session);
                }
                report.recent_to = *recent_for;
            }
            let update = Arc::new(update);
            for queue in queues {
                let mut state = queue.lock();
                if state.overflowed {
                    continue;
                }
                if state.updates.len() >= queue.limit {
                    state.overflowed = true;
                    state.updates = VecDeque::new();
                    report.overflowed.push(queue.session);
                } else {
                    state.updates.push_back(update.clone());
                    report.queued += 1;
                }
                drop(state);
                if let Some(n) = &queue.notify {
                    wake.push(n.clone());
                }
            }
        }
        for n in wake {
            n.notify();
        }
        report
    }
}

/// A session's registration with the [`Hub`] for one mailbox; dropping it
/// unsubscribes.
pub struct Subscription {
    hub: Arc<HubInner>,
    mailbox: MailboxId,
    queue: Arc<Queue>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("mailbox", &self.mailbox)
            .field("session", &self.queue.session)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// The subscribed session.
    pub fn session(&self) -> SessionId {
        self.queue.session
    }

    /// The mailbox subscribed to.
    pub fn mailbox(&self) -> MailboxId {
        self.mailbox
    }

    /// Takes every queued update (oldest first), or reports an overflow.
    pub fn drain(&self) -> Drained {
        let mut state = self.queue.lock();
        if state.overflowed {
            Drained::Overflowed
        } else {
            Drained::Updates(state.updates.drain(..).collect())
        }
    }

    /// Clears an overflow so updates are queued again; returns whether the
    /// queue had overflowed. To resynchronise: reset, then read the mailbox
    /// from the store, then [`crate::delivery::Selected::resync`] — updates
    /// published in between are both queued and read, which is harmless.
    pub fn reset(&self) -> bool {
        let mut state = self.queue.lock();
        std::mem::replace(&mut state.overflowed, false)
    }

    /// How many updates are waiting.
    pub fn pending(&self) -> usize {
        self.queue.lock().updates.len()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut map = self.hub.lock();
        if let Some(queues) = map.get_mut(&self.mailbox) {
            queues.retain(|q| !Arc::ptr_eq(q, &self.queue));
            if queues.is_empty() {
                map.remove(&self.mailbox);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    const MB: MailboxId = MailboxId(1);

    fn expunge(uid: u32) -> Update {
        Update::MessagesExpunged {
            uids: vec![uid],
            origin: None,
            modseq: None,
        }
    }

    fn updates(d: Drained) -> Vec<Arc<Update>> {
        match d {
            Drained::Updates(u) => u,
            Drained::Overflowed => panic!("unexpected overflow"),
        }
    }

    #[test]
    fn publish_reaches_every_subscriber_of_the_mailbox_only() {
        let hub = Hub::new(8);
        let a = hub.subscribe(MB, hub.new_session_id(), None);
        let b = hub.subscribe(MB, hub.new_session_id(), None);
        let other = hub.subscribe(MailboxId(2), hub.new_session_id(), None);
        let report = hub.publish(MB, expunge(3));
        assert_eq!(report.queued, 2);
        assert_eq!(updates(a.drain()), vec![Arc::new(expunge(3))]);
        assert_eq!(updates(b.drain()).len(), 1);
        assert!(updates(other.drain()).is_empty());
        assert!(updates(a.drain()).is_empty(), "drain takes");
    }

    #[test]
    fn lost_updates_overflow_every_queue_of_the_mailbox_only() {
        let hub = Hub::new(8);
        let a = hub.subscribe(MB, hub.new_session_id(), None);
        let b = hub.subscribe_passive(MB);
        let other = hub.subscribe(MailboxId(2), hub.new_session_id(), None);
        hub.publish(MB, expunge(3));
        assert_eq!(hub.lose_updates(MB), 2);
        assert_eq!(hub.lose_updates(MB), 0, "already marked");
        assert_eq!(a.drain(), Drained::Overflowed);
        assert_eq!(b.drain(), Drained::Overflowed);
        assert!(updates(other.drain()).is_empty());
        assert_eq!(hub.publish(MB, expunge(4)).queued, 0, "sticky until reset");
        assert!(a.reset());
        assert_eq!(hub.publish(MB, expunge(5)).queued, 1);
        assert_eq!(updates(a.drain()), vec![Arc::new(expunge(5))]);
    }

    #[test]
    fn dropping_a_subscription_unsubscribes() {
        let hub = Hub::new(8);
        let a = hub.subscribe(MB, SessionId(1), None);
        assert_eq!(hub.subscribers(MB), 1);
        drop(a);
        assert_eq!(hub.subscribers(MB), 0);
        assert_eq!(hub.publish(MB, expunge(1)).queued, 0);
    }

    #[test]
    fn overflow_marks_session_for_resync() {
        let hub = Hub::new(2);
        let slow = hub.subscribe(MB, SessionId(1), None);
        let fast = hub.subscribe(MB, SessionId(2), None);
        hub.publish(MB, expunge(1));
        hub.publish(MB, expunge(2));
        assert_eq!(updates(fast.drain()).len(), 2);
        let report = hub.publish(MB, expunge(3));
        assert_eq!(report.overflowed, vec![SessionId(1)]);
        assert_eq!(report.queued, 1);
        assert_eq!(slow.drain(), Drained::Overflowed);
        hub.publish(MB, expunge(4));
        assert_eq!(slow.drain(), Drained::Overflowed, "overflow is sticky");
        assert_eq!(slow.pending(), 0, "nothing kept for an overflowed session");
        assert_eq!(updates(fast.drain()).len(), 2);
        assert!(slow.reset());
        assert!(!slow.reset());
        hub.publish(MB, expunge(5));
        assert_eq!(updates(slow.drain()), vec![Arc::new(expunge(5))]);
    }

    #[test]
    fn a_watcher_holds_a_few_updates_then_overflows_and_is_never_given_recent() {
        let hub = Hub::new(1000);
        let watcher = hub.subscribe_watcher(MB, Arc::new(|| {}));
        assert_eq!(
            hub.subscribers(MB),
            0,
            "not a session with the mailbox selected"
        );
        assert_eq!(hub.followers(MB), 1, "the change feed follows it");
        for uid in 0..WATCHER_CAPACITY as u32 {
            hub.publish(MB, expunge(uid));
        }
        assert_eq!(watcher.pending(), WATCHER_CAPACITY);
        let report = hub.publish(MB, expunge(99));
        assert_eq!(report.overflowed, vec![watcher.session()]);
        assert_eq!(watcher.drain(), Drained::Overflowed);
        assert!(watcher.reset());
        let add = Update::MessagesAdded {
            messages: vec![AddedMessage {
                uid: 100,
                flags: FlagSet::default(),
            }],
            recent_for: None,
            origin: None,
            modseq: None,
        };
        assert_eq!(hub.publish(MB, add).recent_to, None);
    }

    #[test]
    fn recent_skips_a_session_whose_queue_is_full() {
        let hub = Hub::new(1);
        let full = hub.subscribe(MB, SessionId(1), None);
        hub.publish(MB, expunge(1));
        let other = hub.subscribe(MB, SessionId(2), None);
        let add = Update::MessagesAdded {
            messages: vec![AddedMessage {
                uid: 9,
                flags: FlagSet::default(),
            }],
            recent_for: None,
            origin: None,
            modseq: None,
        };
        let report = hub.publish(MB, add.clone());
        assert_eq!(report.overflowed, vec![SessionId(1)]);
        assert_eq!(report.recent_to, Some(SessionId(2)));
        // Both full now: nobody will see the next one, the store keeps it.
        assert_eq!(hub.publish(MB, add).recent_to, None);
        drop((full, other));
    }

    #[test]
    fn notify_wakes_the_session_after_queueing() {
        let hub = Hub::new(8);
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let sub = hub.subscribe(
            MB,
            SessionId(1),
            Some(Arc::new(move || {
                c.fetch_add(1, Ordering::SeqCst);
            })),
        );
        hub.publish(MB, expunge(1));
        hub.publish(MB, expunge(2));
        assert_eq!(count.load(Ordering::SeqCst), 2);
        assert_eq!(sub.pending(), 2);
    }

    #[test]
    fn recent_goes_to_the_longest_subscribed_session() {
        let hub = Hub::new(8);
        let first = hub.subscribe(MB, SessionId(7), None);
        let _second = hub.subscribe(MB, SessionId(3), None);
        let add = Update::MessagesAdded {
            messages: vec![AddedMessage {
                uid: 1,
                flags: FlagSet::default(),
            }],
            recent_for: None,
            origin: None,
            modseq: None,
        };
        assert_eq!(hub.publish(MB, add.clone()).recent_to, Some(SessionId(7)));
        drop(first);
        assert_eq!(hub.publish(MB, add.clone()).recent_to, Some(SessionId(3)));
        let hub2 = Hub::new(8);
        assert_eq!(hub2.publish(MB, add).recent_to, None);
    }

    #[test]
    fn recent_is_never_given_to_a_read_only_session() {
        let hub = Hub::new(8);
        let examine = hub.subscribe_read_only(MB, SessionId(1), None);
        assert_eq!(hub.subscribers(MB), 1);
        assert_eq!(hub.recent_takers(MB), 0, "the store keeps \\Recent");
        let add = Update::MessagesAdded {
            messages: vec![AddedMessage {
                uid: 1,
                flags: FlagSet::default(),
            }],
            recent_for: None,
            origin: None,
            modseq: None,
        };
        assert_eq!(hub.publish(MB, add.clone()).recent_to, None);
        let _select = hub.subscribe(MB, SessionId(2), None);
        assert_eq!(hub.recent_takers(MB), 1);
        assert_eq!(hub.publish(MB, add).recent_to, Some(SessionId(2)));
        assert_eq!(updates(examine.drain()).len(), 2, "told all the same");
    }

    #[test]
    fn publish_from_many_threads_keeps_one_order_for_all_sessions() {
        let hub = Hub::new(10_000);
        let a = hub.subscribe(MB, SessionId(1), None);
        let b = hub.subscribe(MB, SessionId(2), None);
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let hub = hub.clone();
                s.spawn(move || {
                    for i in 0..500 {
                        hub.publish(MB, expunge(t * 1000 + i));
                    }
                });
            }
        });
        let ua = updates(a.drain());
        assert_eq!(ua.len(), 2000);
        assert_eq!(ua, updates(b.drain()));
    }
}
