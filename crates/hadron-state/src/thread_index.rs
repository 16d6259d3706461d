//! What a mailbox's messages are threaded by, kept in memory with their
//! Message-IDs and subjects numbered, so that a THREAD (RFC 5256) of a
//! large mailbox neither reads every match from the store again nor
//! hashes its strings: [`ThreadIndex::threadable`] hands the algorithms
//! ([`crate::thread::references_of`], [`crate::thread::ordered_subject_of`])
//! borrowed [`Threadable`]s.
//!
//! As with [`crate::sort_index`], what a message is threaded by (its sent
//! date, base subject and Message-ID links) never changes while its UID
//! names it, so the index only grows: the messages it lacks are read once
//! ([`ThreadIndex::missing`], then [`ThreadIndex::insert`]), and one
//! expunged since is still threaded right by a session that shows it.
//!
//! Invariant: equal Message-IDs have equal numbers, and so do equal
//! subjects; the numbers are indexes into the index's own tables.

use std::collections::HashMap;
use std::num::NonZeroU32;

use crate::thread::{ThreadMessage, Threadable};
use crate::uid_columns;

/// One message, its strings numbered.
#[derive(Debug, Clone)]
struct Entry {
    date: i64,
    subject: u32,
    is_reply: bool,
    id: Option<u32>,
    parents: Box<[u32]>,
}

/// Strings numbered in order of first appearance; the strings by number
/// are kept only where asked for (subjects, not Message-IDs, which are
/// the bulk and are never needed back).
///
/// The table hashes with foldhash's seeded quality hasher rather than
/// SipHash: a first THREAD of a million messages numbers millions of
/// Message-IDs, and SipHash was an eighth of its time. The seed is random
/// per process, so senders cannot choose colliding Message-IDs.
#[derive(Debug, Default)]
struct Numbering {
    numbers: HashMap<Box<str>, u32, foldhash::quality::RandomState>,
    /// By number, when kept.
    strings: Option<Vec<Box<str>>>,
}

impl Numbering {
    /// A numbering that keeps the strings by number.
    fn keeping_strings() -> Numbering {
        Numbering {
            numbers: HashMap::default(),
            strings: Some(Vec::new()),
        }
    }

    /// Makes room for `more` strings, so that a large batch does not
    /// grow the table step by step.
    fn reserve(&mut self, more: usize) {
        self.numbers.reserve(more);
    }

    fn number(&mut self, s: &str) -> u32 {
        if let Some(&n) = self.numbers.get(s) {
            return n;
        }
        let n = self.numbers.len() as u32;
        if let Some(strings) = &mut self.strings {
            strings.push(s.into());
        }
        self.numbers.insert(s.into(), n);
        n
    }

    /// How many strings are numbered.
    fn len(&self) -> usize {
        self.numbers.len()
    }

    /// The string numbered `n` (empty when the strings are not kept).
    fn string(&self, n: u32) -> &str {
        self.strings.as_ref().map_or("", |s| &s[n as usize])
    }

    /// Estimated heap bytes: the table's strings and slots, and the kept
    /// strings.
    fn heap_bytes(&self) -> usize {
        let per = std::mem::size_of::<Box<str>>();
        let table: usize = self.numbers.keys().map(|s| s.len() + per + 8).sum();
        let kept: usize = self.strings.iter().flatten().map(|s| s.len() + per).sum();
        table + kept
    }
}

/// The threading keys of one mailbox's messages; see the
/// [module docs](self).
#[derive(Debug)]
pub struct ThreadIndex {
    /// Ascending.
    uids: Vec<u32>,
    /// `entries[i]` is the message of `uids[i]`.
    entries: Vec<Entry>,
    ids: Numbering,
    subjects: Numbering,
}

impl Default for ThreadIndex {
    fn default() -> Self {
        ThreadIndex {
            uids: Vec::new(),
            entries: Vec::new(),
            ids: Numbering::default(),
            subjects: Numbering::keeping_strings(),
        }
    }
}

impl ThreadIndex {
    /// How many messages the index knows.
    pub fn len(&self) -> usize {
        self.uids.len()
    }

    /// Whether the index knows no message.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// The UIDs of `uids` (ascending) the index lacks.
    pub fn missing(&self, uids: &[u32]) -> Vec<u32> {
        uid_columns::missing(&self.uids, uids)
    }

    /// Adds `messages`, numbered by UID (a message the index knows
    /// already is left as it is).
    pub fn insert(&mut self, messages: &[ThreadMessage]) {
        // Most messages bring a Message-ID of their own.
        self.ids.reserve(messages.len());
        let mut fresh: Vec<(u32, Entry)> = messages
            .iter()
            .filter(|m| self.uids.binary_search(&m.number.get()).is_err())
            .map(|m| {
                let entry = Entry {
                    date: m.date,
                    subject: self.subjects.number(&m.subject),
                    is_reply: m.is_reply,
                    id: m.links.id.as_deref().map(|id| self.ids.number(id)),
                    parents: m.links.parents.iter().map(|p| self.ids.number(p)).collect(),
                };
                (m.number.get(), entry)
            })
            .collect();
        if fresh.is_empty() {
            return;
        }
        fresh.sort_unstable_by_key(|(u, _)| *u);
        fresh.dedup_by_key(|(u, _)| *u);
        uid_columns::merge(&mut self.uids, &mut self.entries, fresh);
    }

    /// The messages of `uids` (ascending, all known) to thread, numbered
    /// by `number` (a UID without a number is left out); `None` if the
    /// index lacks one.
    pub fn threadable(
        &self,
        uids: &[u32],
        number: impl Fn(u32) -> Option<NonZeroU32>,
    ) -> Option<Vec<Threadable<'_>>> {
        let mut out = Vec::with_capacity(uids.len());
        for (&u, at) in uids.iter().zip(uid_columns::positions(&self.uids, uids)) {
            let e = &self.entries[at?];
            let Some(n) = number(u) else {
                continue;
            };
            out.push(Threadable {
                number: n,
                date: e.date,
                subject: self.subjects.string(e.subject),
                subject_id: e.subject,
                is_reply: e.is_reply,
                id: e.id,
                parents: &e.parents,
            });
        }
        Some(out)
    }

    /// Empties the index when it knows more than `limit` messages (UIDs
    /// expunged since it was filled), to be filled again when needed.
    pub fn trim(&mut self, limit: usize) {
        if self.uids.len() > limit || self.ids.len() > 8 * limit {
            *self = ThreadIndex::default();
        }
    }

    /// Estimated heap bytes.
    pub fn heap_bytes(&self) -> usize {
        let entries: usize = self
            .entries
            .iter()
            .map(|e| std::mem::size_of::<Entry>() + 4 + 4 * e.parents.len())
            .sum();
        entries + self.ids.heap_bytes() + self.subjects.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thread::{
        ThreadLinks, ordered_subject, ordered_subject_of, references, references_of,
    };
    use proptest::prelude::*;

    fn message() -> impl Strategy<Value = ThreadMessage> {
        let id = || prop::sample::select(vec!["a@x", "b@x", "c@x", "d@x", "e@x"]);
        (
            -3i64..3,
            prop::sample::select(vec!["", "LUNCH", "TEA"]),
            any::<bool>(),
            prop::option::of(id()),
            prop::collection::vec(id(), 0..3),
        )
            .prop_map(|(date, subject, is_reply, own, parents)| ThreadMessage {
                number: NonZeroU32::MIN,
                date,
                subject: subject.into(),
                is_reply,
                links: ThreadLinks {
                    id: own.map(str::to_owned),
                    parents: parents.into_iter().map(str::to_owned).collect(),
                },
            })
    }

    proptest! {
        /// Filled in random batches (new and old UIDs mixed), the index
        /// threads any subset, numbered by UID or by position, as the
        /// algorithms do on the messages themselves.
        #[test]
        fn threads_as_the_messages_do(
            messages in prop::collection::vec(message(), 1..40),
            batches in prop::collection::vec(prop::collection::vec(any::<prop::sample::Index>(), 0..20), 1..4),
            subset in prop::collection::vec(any::<bool>(), 40),
            by_uid in any::<bool>(),
        ) {
            let by = |uid: u32| NonZeroU32::new(uid);
            let messages: Vec<ThreadMessage> = messages
                .into_iter()
                .enumerate()
                .map(|(i, m)| ThreadMessage { number: by(2 * i as u32 + 1).unwrap(), ..m })
                .collect();
            let mut index = ThreadIndex::default();
            for batch in &batches {
                let some: Vec<ThreadMessage> =
                    batch.iter().map(|i| i.get(&messages).clone()).collect();
                index.insert(&some);
            }
            let wanted: Vec<&ThreadMessage> = messages
                .iter()
                .zip(&subset)
                .filter(|(_, keep)| **keep)
                .map(|(m, _)| m)
                .collect();
            let uids: Vec<u32> = wanted.iter().map(|m| m.number.get()).collect();
            let lacking = index.missing(&uids);
            let fill: Vec<ThreadMessage> = wanted
                .iter()
                .filter(|m| lacking.contains(&m.number.get()))
                .map(|m| (*m).clone())
                .collect();
            index.insert(&fill);
            prop_assert!(index.missing(&uids).is_empty());
            // Numbered by UID, or by position (as sequence numbers are).
            let number = |u: u32| {
                if by_uid { by(u) } else { by(uids.iter().position(|&x| x == u)? as u32 + 1) }
            };
            let direct: Vec<ThreadMessage> = wanted
                .iter()
                .map(|m| ThreadMessage { number: number(m.number.get()).unwrap(), ..(*m).clone() })
                .collect();
            let kept = index.threadable(&uids, number).expect("all known");
            prop_assert_eq!(references_of(&kept), references(&direct));
            prop_assert_eq!(ordered_subject_of(&kept), ordered_subject(&direct));
        }
    }

    #[test]
    fn an_unknown_uid_is_none_and_trim_empties() {
        let m = |uid: u32| ThreadMessage {
            number: NonZeroU32::new(uid).unwrap(),
            date: 0,
            subject: String::new(),
            is_reply: false,
            links: ThreadLinks::default(),
        };
        let mut index = ThreadIndex::default();
        index.insert(&[m(5), m(2)]);
        index.insert(&[m(3), m(5)]);
        assert_eq!(index.len(), 3);
        assert_eq!(index.missing(&[1, 2, 3, 4]), vec![1, 4]);
        assert!(index.threadable(&[2, 4], NonZeroU32::new).is_none());
        assert_eq!(
            index.threadable(&[2, 3], NonZeroU32::new).map(|t| t.len()),
            Some(2)
        );
        assert!(index.heap_bytes() > 0);
        index.trim(2);
        assert!(index.is_empty());
    }
}
