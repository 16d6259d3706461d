//! Changes to a user's *set* of mailboxes — created, deleted, renamed,
//! (un)subscribed — fanned out to that user's sessions that asked for them
//! with NOTIFY (RFC 5465 `MailboxName`, `SubscriptionChange`).
//!
//! The [`crate::update::Hub`] fans out changes *inside* a mailbox to the
//! sessions following it; these events belong to no mailbox (a CREATE has
//! none yet), so they go by user instead: [`MailboxEvents::publish`]
//! appends the event to the bounded queue of every session of the user
//! that subscribed ([`MailboxEvents::subscribe`]) and wakes it. Like the
//! hub it never blocks the publisher: a full queue is marked overflowed
//! (the session then sends `* OK [NOTIFICATIONOVERFLOW]` and stops
//! notifying, as RFC 5465 §4 allows) and holds nothing more.
//!
//! Scope: the engine publishes the events of the commands it runs, so
//! sessions of one instance hear of each other's mailbox changes. Other
//! instances on one PostgreSQL database, and administration commands run in
//! another process, reach these sessions only through their effect on
//! mailboxes being watched (the change feed), not as name events.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::update::Notify;

/// One change to a user's mailboxes, with names as the store keeps them
/// (UTF-8, `/` as the hierarchy delimiter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxEvent {
    /// A mailbox was created.
    Created(String),
    /// A mailbox was deleted.
    Deleted(String),
    /// A mailbox was renamed (one event per mailbox moved, inferiors too).
    Renamed {
        /// The name it had.
        from: String,
        /// The name it has now.
        to: String,
    },
    /// A name was subscribed to.
    Subscribed(String),
    /// A name was unsubscribed from.
    Unsubscribed(String),
}

impl MailboxEvent {
    /// Whether this is a subscription change (else a name change).
    pub fn is_subscription(&self) -> bool {
        matches!(
            self,
            MailboxEvent::Subscribed(_) | MailboxEvent::Unsubscribed(_)
        )
    }
}

/// What a session finds when it drains its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainedEvents {
    /// The events since the last drain, oldest first.
    Events(Vec<MailboxEvent>),
    /// The queue overflowed: events were lost. Sticky.
    Overflowed,
}

struct QueueState {
    events: VecDeque<MailboxEvent>,
    overflowed: bool,
}

struct Queue {
    state: Mutex<QueueState>,
    notify: Option<Arc<dyn Notify>>,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // Each critical section is one push or take: a panic cannot leave
        // the queue half updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Users = HashMap<u64, Vec<Arc<Queue>>>;

struct Inner {
    capacity: usize,
    users: Mutex<Users>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Users> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The per-user fan-out of [`MailboxEvent`]s. Cheap to clone (shared).
#[derive(Clone)]
pub struct MailboxEvents {
    inner: Arc<Inner>,
}

impl fmt::Debug for MailboxEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxEvents")
            .field("capacity", &self.inner.capacity)
            .finish_non_exhaustive()
    }
}

impl MailboxEvents {
    /// A fan-out whose session queues hold at most `capacity` events each
    /// (at least 1).
    pub fn new(capacity: usize) -> MailboxEvents {
        MailboxEvents {
            inner: Arc::new(Inner {
                capacity: capacity.max(1),
                users: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The queue capacity.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Subscribes to the events of `user` (the store's user id) until the
    /// returned [`EventSubscription`] is dropped; `notify` is called after
    /// each event queued for it.
    pub fn subscribe(&self, user: u64, notify: Option<Arc<dyn Notify>>) -> EventSubscription {
        let queue = Arc::new(Queue {
            state: Mutex::new(QueueState {
                events: VecDeque::new(),
                overflowed: false,
            }),
            notify,
        });
        self.inner
            .lock()
            .entry(user)
            .or_default()
            .push(queue.clone());
        EventSubscription {
            inner: self.inner.clone(),
            user,
            queue,
        }
    }

    /// How many sessions follow the events of `user`.
    pub fn subscribers(&self, user: u64) -> usize {
        self.inner.lock().get(&user).map_or(0, Vec::len)
    }

    /// Queues `event` for every session subscribed to `user`'s events,
    /// without waiting for any; returns how many it was queued for.
    pub fn publish(&self, user: u64, event: MailboxEvent) -> usize {
        let mut wake = Vec::new();
        let mut queued = 0;
        {
            let users = self.inner.lock();
            for queue in users.get(&user).map(Vec::as_slice).unwrap_or(&[]) {
                let mut state = queue.lock();
                if state.overflowed {
                    continue;
                }
                if state.events.len() >= self.inner.capacity {
                    state.overflowed = true;
                    state.events = VecDeque::new();
                } else {
                    state.events.push_back(event.clone());
                    queued += 1;
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
        queued
    }
}

/// A session's registration for one user's [`MailboxEvent`]s; dropping it
/// unsubscribes.
pub struct EventSubscription {
    inner: Arc<Inner>,
    user: u64,
    queue: Arc<Queue>,
}

impl fmt::Debug for EventSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSubscription")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl EventSubscription {
    /// Takes every queued event (oldest first), or reports an overflow.
    pub fn drain(&self) -> DrainedEvents {
        let mut state = self.queue.lock();
        if state.overflowed {
            DrainedEvents::Overflowed
        } else {
            DrainedEvents::Events(state.events.drain(..).collect())
        }
    }

    /// Whether events (or an overflow) are waiting.
    pub fn pending(&self) -> bool {
        let state = self.queue.lock();
        state.overflowed || !state.events.is_empty()
    }
}

impl Drop for EventSubscription {
    fn drop(&mut self) {
        let mut users = self.inner.lock();
        if let Some(queues) = users.get_mut(&self.user) {
            queues.retain(|q| !Arc::ptr_eq(q, &self.queue));
            if queues.is_empty() {
                users.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn created(n: &str) -> MailboxEvent {
        MailboxEvent::Created(n.to_owned())
    }

    #[test]
    fn events_reach_the_users_sessions_only() {
        let events = MailboxEvents::new(8);
        let woken = Arc::new(AtomicUsize::new(0));
        let w = woken.clone();
        let a = events.subscribe(
            1,
            Some(Arc::new(move || {
                w.fetch_add(1, Ordering::SeqCst);
            })),
        );
        let other = events.subscribe(2, None);
        assert_eq!(events.publish(1, created("x")), 1);
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        assert!(a.pending());
        assert_eq!(a.drain(), DrainedEvents::Events(vec![created("x")]));
        assert!(!a.pending());
        assert_eq!(other.drain(), DrainedEvents::Events(vec![]));
        drop(a);
        assert_eq!(events.subscribers(1), 0);
        assert_eq!(events.publish(1, created("y")), 0);
    }

    #[test]
    fn a_full_queue_overflows_and_stays_overflowed() {
        let events = MailboxEvents::new(2);
        let a = events.subscribe(1, None);
        events.publish(1, created("a"));
        events.publish(1, created("b"));
        assert_eq!(events.publish(1, created("c")), 0);
        assert_eq!(a.drain(), DrainedEvents::Overflowed);
        assert_eq!(a.drain(), DrainedEvents::Overflowed, "sticky");
        assert!(a.pending());
    }
}
