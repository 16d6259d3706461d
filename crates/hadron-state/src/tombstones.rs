//! Deferred deletion in memory: the metadata of messages expunged while
//! other sessions still show them, kept exactly as long as one of them
//! may FETCH them.
//!
//! Every expunge that keeps metadata opens an *epoch*. A session reports
//! the epoch it has caught up to: read the published epoch, drain and
//! deliver, and if its snapshot then holds no pending expunge, every
//! expunge of that epoch or before is behind it. Metadata of epochs every
//! registered session is past is dropped.

use std::collections::HashMap;
use std::sync::Arc;

use hadron_store::StoredMessage;

use crate::update::SessionId;

/// The kept metadata of one mailbox and how far each session has got.
#[derive(Debug, Default)]
pub(crate) struct Tombstones {
    entries: HashMap<u32, (u64, Arc<StoredMessage>)>,
    /// The last epoch opened.
    opened: u64,
    /// The last epoch whose expunge was published to the hub.
    published: u64,
    caught_up: HashMap<SessionId, u64>,
}

impl Tombstones {
    /// Keeps `kept` under a new epoch (before the expunge is published, so
    /// that a FETCH finds them as soon as it can learn of the expunge).
    pub(crate) fn keep(&mut self, kept: Vec<StoredMessage>) -> u64 {
        self.opened += 1;
        let epoch = self.opened;
        for m in kept {
            self.entries.insert(m.uid, (epoch, Arc::new(m)));
        }
        epoch
    }

    /// The expunge of `epoch` has been published.
    pub(crate) fn published(&mut self, epoch: u64) {
        self.published = self.published.max(epoch);
    }

    /// The last published epoch: read it *before* draining a queue.
    pub(crate) fn epoch(&self) -> u64 {
        self.published
    }

    /// The message rows of everything kept (to spare from purging).
    pub(crate) fn messages(&self) -> Vec<hadron_store::MessageId> {
        self.entries.values().map(|(_, m)| m.message).collect()
    }

    /// The metadata of `uid`, if kept.
    pub(crate) fn get(&self, uid: u32) -> Option<Arc<StoredMessage>> {
        self.entries.get(&uid).map(|(_, m)| m.clone())
    }

    /// `session` shows no message expunged in `epoch` or before.
    pub(crate) fn caught_up(&mut self, session: SessionId, epoch: u64) {
        let e = self.caught_up.entry(session).or_insert(epoch);
        *e = (*e).max(epoch);
        self.prune();
    }

    /// `session` left the mailbox.
    pub(crate) fn forget(&mut self, session: SessionId) {
        if self.caught_up.remove(&session).is_some() {
            self.prune();
        }
    }

    /// Nothing kept and no session registered.
    pub(crate) fn is_unused(&self) -> bool {
        self.entries.is_empty() && self.caught_up.is_empty()
    }

    /// How many messages are kept.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn prune(&mut self) {
        let min = self
            .caught_up
            .values()
            .copied()
            .min()
            .unwrap_or(self.published);
        self.entries.retain(|_, (epoch, _)| *epoch > min);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(uid: u32) -> StoredMessage {
        StoredMessage {
            uid,
            message: hadron_store::MessageId(i64::from(uid)),
            meta: hadron_store::MessageMeta::default(),
            save_date: None,
        }
    }

    #[test]
    fn kept_until_every_session_is_past_the_epoch() {
        let (a, b) = (SessionId(1), SessionId(2));
        let mut t = Tombstones::default();
        t.caught_up(a, 0);
        t.caught_up(b, 0);
        let e = t.keep(vec![msg(3)]);
        // A reads the epoch before the publish: not yet past it.
        let before = t.epoch();
        t.published(e);
        t.caught_up(a, before);
        assert!(t.get(3).is_some());
        t.caught_up(a, t.epoch());
        assert!(t.get(3).is_some(), "B has not caught up");
        t.caught_up(b, t.epoch());
        assert!(t.get(3).is_none());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_leaving_session_no_longer_holds_them() {
        let (a, b) = (SessionId(1), SessionId(2));
        let mut t = Tombstones::default();
        t.caught_up(a, 0);
        t.caught_up(b, 0);
        let e = t.keep(vec![msg(1), msg(2)]);
        t.published(e);
        t.caught_up(a, e);
        assert_eq!(t.len(), 2);
        t.forget(b);
        assert_eq!(t.len(), 0);
    }
}
