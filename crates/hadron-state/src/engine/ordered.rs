//! Writes in commit order without waiting for durability under a lock:
//! the mailbox's write lock covers queuing a write; the store calls back
//! after the commit, in commit order, and the callback publishes.

use std::sync::atomic::Ordering;

use super::*;

/// Where a queued write's result goes, after its commit (see
/// [`Engine::ordered_write`]).
pub(super) type WriteDone<T> = Box<dyn FnOnce(Result<T, hadron_store::StoreError>) + Send>;

/// A write queued by [`Engine::queue_write`]: its result, once committed.
pub(super) struct QueuedWrite<T>(
    tokio::sync::oneshot::Receiver<Result<T, hadron_store::StoreError>>,
);

impl<T> QueuedWrite<T> {
    pub(super) async fn result(self) -> Result<T, EngineError> {
        let r = self
            .0
            .await
            .map_err(|_| EngineError::Internal("a queued write was lost".to_owned()))?;
        Ok(r?)
    }
}

/// A queued write of a mailbox, counted when queued and again when its
/// result was published (or the write was dropped).
struct Pending(Arc<MailboxShared>);

impl Pending {
    fn new(shared: Arc<MailboxShared>) -> Pending {
        shared.queued_writes.fetch_add(1, Ordering::SeqCst);
        Pending(shared)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.done_writes.fetch_add(1, Ordering::SeqCst);
        self.0.settled.notify_waiters();
    }
}

impl Engine {
    /// Waits until the writes queued for mailbox `id` before this call have
    /// committed and been published (writes queued later are not waited
    /// for, so a busy mailbox cannot starve the caller; they complete in
    /// queue order). A session that just subscribed calls it before reading
    /// the mailbox: a write queued before it subscribed decided without it
    /// (whether to store `\Recent`, for one), so its row must be in what
    /// the session reads, not only in its queue.
    pub(crate) async fn writes_settled(&self, id: hadron_store::MailboxId) {
        let shared = self.shared(id);
        let target = shared.queued_writes.load(Ordering::SeqCst);
        loop {
            let settled = shared.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if shared.done_writes.load(Ordering::SeqCst) >= target {
                return;
            }
            settled.await;
        }
    }

    /// One write to mailbox `id` in its commit order, without holding the
    /// mailbox's lock while the write becomes durable. `submit` queues the
    /// write with one of the store's `*_then` methods, passing `done` the
    /// result; the store calls it after the commit, in commit order, so
    /// whatever it publishes reaches the hub in commit order. The lock is
    /// held only while the write is queued: on SQLite, concurrent writes to
    /// one mailbox then share a group commit instead of waiting for each
    /// other's fsync. On PostgreSQL the transaction runs while queuing, on
    /// a blocking thread, under the lock as before.
    pub(super) async fn ordered_write<T: Send + 'static>(
        &self,
        id: hadron_store::MailboxId,
        submit: impl FnOnce(&Store, WriteDone<T>) -> Result<(), hadron_store::StoreError>
        + Send
        + 'static,
    ) -> Result<T, EngineError> {
        let shared = self.shared(id);
        let guard = shared.write.lock().await;
        let result = self.queue_write(&shared, submit).await;
        drop(guard);
        result?.result().await
    }

    /// Queues one write (see [`Engine::ordered_write`]); the caller holds
    /// the mailbox's lock until this returns, and awaits the result after
    /// letting go of it.
    pub(super) async fn queue_write<T: Send + 'static>(
        &self,
        shared: &Arc<MailboxShared>,
        submit: impl FnOnce(&Store, WriteDone<T>) -> Result<(), hadron_store::StoreError>
        + Send
        + 'static,
    ) -> Result<QueuedWrite<T>, EngineError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Counted until called after the commit and publish, or dropped
        // uncalled (a write that never ran): see `Engine::writes_settled`.
        let pending = Pending::new(shared.clone());
        let done: WriteDone<T> = Box::new(move |r| {
            let _ = tx.send(r);
            drop(pending);
        });
        if self.store.queues_writes() {
            submit(&self.store, done)?;
        } else {
            self.blocking(move |store, _| Ok(submit(store, done)?))
                .await?;
        }
        Ok(QueuedWrite(rx))
    }
}
