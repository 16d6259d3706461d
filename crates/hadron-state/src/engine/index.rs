//! Shared indexes: one snapshot per mailbox, kept current by a passive hub
//! subscription, that a SELECT copies instead of reading every row of the
//! mailbox again.
//!
//! An index is *live* while some session of this instance has its mailbox
//! selected. When the last one leaves it becomes *warm*: still following
//! the mailbox's updates, so the next SELECT — a client that reconnects, a
//! webmail that opens the folder for each page — costs a copy, not a
//! million-row read. Warm indexes are bounded by [`IndexCacheConfig`]: they
//! are dropped after `idle` without a SELECT, and the least recently closed
//! go first when their estimated size passes `budget_bytes`.
//! [`Engine::tend_index_cache`] applies their queued updates and enforces
//! both limits; the server calls it periodically, and every release does
//! too.
//!
//! Invariants:
//! - an index never holds a message as `\Recent` (that is per session);
//! - an index that fell behind (its queue overflowed) or whose mailbox
//!   went away is dropped at its next use, never copied;
//! - a mailbox's entry is in the warm list only while no session has it
//!   selected (a SELECT takes it out before copying).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Engine, hub_id};
use crate::delivery::{CommandContext, Selected};
use crate::snapshot::Snapshot;
use crate::sort_index::SortIndex;
use crate::thread_index::ThreadIndex;
use crate::update::Subscription;

/// A snapshot kept current by a passive hub subscription. Its messages are
/// never `\Recent`.
#[derive(Debug)]
pub(crate) struct SharedIndex {
    subscription: Subscription,
    follower: Selected,
    /// The mailbox's SORT keys read so far; they live and go with the
    /// index, and count towards its size.
    sort: Arc<Mutex<SortIndex>>,
    /// The same for THREAD.
    thread: Arc<Mutex<ThreadIndex>>,
    /// The estimated size of `sort` and `thread` when last measured.
    kept_bytes: (usize, usize),
}

impl SharedIndex {
    /// Estimated heap bytes of the snapshot and the kept SORT and THREAD
    /// keys (these as last measured while a command holds them).
    fn heap_bytes(&mut self) -> usize {
        if let Ok(s) = self.sort.try_lock() {
            self.kept_bytes.0 = s.heap_bytes();
        }
        if let Ok(t) = self.thread.try_lock() {
            self.kept_bytes.1 = t.heap_bytes();
        }
        self.follower.snapshot().heap_bytes() + self.kept_bytes.0 + self.kept_bytes.1
    }

    /// Applies the queued updates; `false` when the index must be dropped
    /// (it fell behind, or its mailbox went away).
    fn catch_up(&mut self) -> bool {
        let d = self
            .follower
            .deliver(&self.subscription, CommandContext::Select);
        d.close.is_none()
    }
}

/// How many closed mailboxes' indexes an engine keeps warm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexCacheConfig {
    /// Most bytes (estimated heap size of the snapshots) kept for closed
    /// mailboxes; 0 keeps none. About 9 bytes per message.
    pub budget_bytes: usize,
    /// How long a closed mailbox's index is kept without a SELECT.
    pub idle: Duration,
}

impl Default for IndexCacheConfig {
    /// 256 MiB (about 25 mailboxes of a million messages, or thousands of
    /// ordinary ones) for 10 minutes.
    fn default() -> Self {
        IndexCacheConfig {
            budget_bytes: 256 << 20,
            idle: Duration::from_secs(600),
        }
    }
}

/// The warm indexes' bookkeeping: when each was closed and its estimated
/// size.
#[derive(Debug, Default)]
pub(crate) struct WarmIndexes {
    /// `(closed at, mailbox)` → estimated bytes, oldest first.
    by_age: BTreeMap<(Instant, i64), usize>,
    closed_at: HashMap<i64, Instant>,
    bytes: usize,
}

impl WarmIndexes {
    /// Records `mailbox` as closed at `now`, holding `bytes`.
    fn insert(&mut self, mailbox: i64, now: Instant, bytes: usize) {
        self.remove(mailbox);
        self.by_age.insert((now, mailbox), bytes);
        self.closed_at.insert(mailbox, now);
        self.bytes += bytes;
    }

    /// Forgets `mailbox` (opened again, or dropped).
    fn remove(&mut self, mailbox: i64) {
        if let Some(at) = self.closed_at.remove(&mailbox)
            && let Some(bytes) = self.by_age.remove(&(at, mailbox))
        {
            self.bytes -= bytes;
        }
    }

    /// Updates the size of a warm `mailbox`.
    fn resize(&mut self, mailbox: i64, bytes: usize) {
        if let Some(&at) = self.closed_at.get(&mailbox)
            && let Some(old) = self.by_age.insert((at, mailbox), bytes)
        {
            self.bytes = self.bytes - old + bytes;
        }
    }

    /// Takes out and returns the mailboxes over the limits at `now`: idle
    /// too long, then the oldest while over budget.
    fn evict(&mut self, now: Instant, config: &IndexCacheConfig) -> Vec<i64> {
        let mut out = Vec::new();
        while let Some((&(at, mailbox), _)) = self.by_age.first_key_value() {
            let expired = now.saturating_duration_since(at) >= config.idle;
            if !expired && self.bytes <= config.budget_bytes {
                break;
            }
            self.remove(mailbox);
            out.push(mailbox);
        }
        out
    }

    /// The warm mailboxes, oldest first.
    fn mailboxes(&self) -> Vec<i64> {
        self.by_age.keys().map(|&(_, m)| m).collect()
    }
}

/// The warm indexes, as a metric.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WarmStats {
    /// Closed mailboxes whose index is kept.
    pub mailboxes: usize,
    /// Their estimated size in bytes.
    pub bytes: usize,
}

impl Engine {
    fn warm(&self) -> std::sync::MutexGuard<'_, WarmIndexes> {
        self.warm.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Called by a session after it left `id` (and forgot its place in
    /// the tombstones). Once no session has the mailbox selected, its
    /// shared index turns warm (or is dropped when the cache is off or it
    /// alone exceeds the budget), and the mailbox's entry is dropped once
    /// nothing in it is in use. Tombstones are never wiped here: a session
    /// may be selecting the mailbox concurrently (subscribed just after the
    /// check) and already be registered in them; they empty themselves as
    /// sessions catch up or leave.
    pub(crate) fn release(&self, id: hadron_store::MailboxId) {
        if self.hub.subscribers(hub_id(id)) == 0 {
            let mut map = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(s) = map.get(&id.0) {
                let mut slot = s.index.lock().unwrap_or_else(PoisonError::into_inner);
                let bytes = slot.as_mut().map(SharedIndex::heap_bytes);
                let warm = match bytes {
                    Some(b) if b <= self.index_cache.budget_bytes => {
                        self.warm().insert(id.0, Instant::now(), b);
                        true
                    }
                    _ => {
                        slot.take();
                        false
                    }
                };
                drop(slot);
                let unused = s
                    .tombstones
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_unused();
                if !warm && unused && Arc::strong_count(s) == 1 {
                    map.remove(&id.0);
                }
            }
        }
        self.evict_warm();
    }

    /// Applies the queued updates of every warm index (so that their
    /// queues stay short and their sizes known), then drops those idle
    /// for longer than [`IndexCacheConfig::idle`] and, oldest first, those
    /// over [`IndexCacheConfig::budget_bytes`]. Call it periodically (the
    /// server does, every 30 s).
    pub fn tend_index_cache(&self) {
        let mailboxes = self.warm().mailboxes();
        for m in mailboxes {
            let shared = self.shared(hadron_store::MailboxId(m));
            let mut slot = shared.index.lock().unwrap_or_else(PoisonError::into_inner);
            let bytes = slot
                .as_mut()
                .and_then(|index| index.catch_up().then(|| index.heap_bytes()));
            match bytes {
                Some(bytes) => self.warm().resize(m, bytes),
                None => {
                    slot.take();
                    self.warm().remove(m);
                }
            }
        }
        self.evict_warm();
    }

    /// Drops the warm indexes over the limits.
    fn evict_warm(&self) {
        let victims = self.warm().evict(Instant::now(), &self.index_cache);
        if victims.is_empty() {
            return;
        }
        let mut map = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        for m in victims {
            let id = hadron_store::MailboxId(m);
            if self.hub.subscribers(hub_id(id)) > 0 {
                // Selected again meanwhile: live, not warm.
                continue;
            }
            if let Some(s) = map.get(&m) {
                s.index
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                let unused = s
                    .tombstones
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_unused();
                if unused && Arc::strong_count(s) == 1 {
                    map.remove(&m);
                }
            }
        }
    }

    /// The warm indexes kept now (a metric).
    pub fn warm_indexes(&self) -> WarmStats {
        let warm = self.warm();
        WarmStats {
            mailboxes: warm.closed_at.len(),
            bytes: warm.bytes,
        }
    }

    /// A copy of the shared index of `id`, brought up to date, if this
    /// instance has one (live or warm); the index is live from here on. An
    /// index that fell behind (queue overflow) or whose mailbox went away
    /// is dropped and `None` returned: the caller reads the store.
    pub(crate) fn shared_index(&self, id: hadron_store::MailboxId) -> Option<Snapshot> {
        let shared = self.shared(id);
        let mut slot = shared.index.lock().unwrap_or_else(PoisonError::into_inner);
        self.warm().remove(id.0);
        let index = slot.as_mut()?;
        if !index.catch_up() {
            *slot = None;
            return None;
        }
        self.index_copies.fetch_add(1, Ordering::Relaxed);
        Some(index.follower.snapshot().clone())
    }

    /// Starts following `id` for a shared index: subscribe before reading
    /// the store, then hand the snapshot read to [`Engine::keep_index`].
    pub(crate) fn follow(&self, id: hadron_store::MailboxId) -> Subscription {
        self.hub.subscribe_passive(hub_id(id))
    }

    /// Keeps `snapshot` (read after `subscription` was made; no message
    /// `\Recent`) as the shared index of `id`, unless one exists.
    pub(crate) fn keep_index(
        &self,
        id: hadron_store::MailboxId,
        subscription: Subscription,
        snapshot: Snapshot,
    ) {
        let shared = self.shared(id);
        let mut slot = shared.index.lock().unwrap_or_else(PoisonError::into_inner);
        self.warm().remove(id.0);
        if slot.is_none() {
            let mut index = SharedIndex {
                follower: Selected::new(subscription.session(), snapshot),
                subscription,
                sort: Arc::default(),
                thread: Arc::default(),
                kept_bytes: (0, 0),
            };
            if index.catch_up() {
                *slot = Some(index);
            }
        }
    }

    /// The SORT keys kept beside the shared index of `id`, if this instance
    /// has one (it has while a session has the mailbox selected, unless
    /// the index fell behind).
    pub(crate) fn sort_index(&self, id: hadron_store::MailboxId) -> Option<Arc<Mutex<SortIndex>>> {
        let shared = self.shared(id);
        let slot = shared.index.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref().map(|i| i.sort.clone())
    }

    /// The THREAD keys kept beside the shared index of `id`, as
    /// [`Engine::sort_index`].
    pub(crate) fn thread_index(
        &self,
        id: hadron_store::MailboxId,
    ) -> Option<Arc<Mutex<ThreadIndex>>> {
        let shared = self.shared(id);
        let slot = shared.index.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref().map(|i| i.thread.clone())
    }

    /// How many SELECTs were answered from a shared index instead of the
    /// store (a metric).
    pub fn index_copies(&self) -> u64 {
        self.index_copies.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(budget_bytes: usize, idle_secs: u64) -> IndexCacheConfig {
        IndexCacheConfig {
            budget_bytes,
            idle: Duration::from_secs(idle_secs),
        }
    }

    #[test]
    fn evicts_the_oldest_while_over_budget() {
        let t0 = Instant::now();
        let mut warm = WarmIndexes::default();
        warm.insert(1, t0, 100);
        warm.insert(2, t0 + Duration::from_secs(1), 100);
        warm.insert(3, t0 + Duration::from_secs(2), 100);
        assert_eq!(warm.bytes, 300);
        assert_eq!(warm.evict(t0, &config(200, 600)), vec![1]);
        assert_eq!(warm.bytes, 200);
        assert_eq!(warm.evict(t0, &config(200, 600)), Vec::<i64>::new());
        assert_eq!(warm.mailboxes(), vec![2, 3]);
    }

    #[test]
    fn evicts_what_was_idle_too_long() {
        let t0 = Instant::now();
        let mut warm = WarmIndexes::default();
        warm.insert(1, t0, 10);
        warm.insert(2, t0 + Duration::from_secs(5), 10);
        let later = t0 + Duration::from_secs(12);
        assert_eq!(warm.evict(later, &config(1000, 10)), vec![1]);
        assert_eq!(warm.mailboxes(), vec![2]);
    }

    #[test]
    fn reinserting_or_resizing_keeps_the_total_right() {
        let t0 = Instant::now();
        let mut warm = WarmIndexes::default();
        warm.insert(7, t0, 50);
        warm.insert(7, t0 + Duration::from_secs(1), 80);
        assert_eq!(warm.bytes, 80);
        warm.resize(7, 120);
        assert_eq!(warm.bytes, 120);
        warm.resize(8, 1_000);
        assert_eq!(warm.bytes, 120);
        warm.remove(7);
        assert_eq!((warm.bytes, warm.mailboxes().len()), (0, 0));
    }
}
