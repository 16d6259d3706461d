//! THREAD (RFC 5256 §3–4): the ORDEREDSUBJECT and REFERENCES algorithms.
//! Pure: the session layer reads what a message is threaded by (stored at
//! ingest, see [`ThreadLinks`]) and hands it here.
//!
//! # Semantics
//!
//! - A message's **date** is its sent date (the `Date:` header in UTC, or
//!   the internal date without one, §2.2); messages of equal date keep
//!   their number order, the final tie-breaker of SORT.
//! - **ORDEREDSUBJECT** groups the messages by base subject (§2.1, compared
//!   with `i;ascii-casemap` as SORT does): each group is one thread, its
//!   earliest message the root and the others its children in date order;
//!   threads are in the order of their roots.
//! - **REFERENCES** follows §4 step by step: messages linked by their
//!   `References` (else `In-Reply-To`) Message-IDs, a duplicate Message-ID
//!   treated as none (the lowest-numbered message keeps it), a link that
//!   would close a loop never made, a message's own last reference winning
//!   over a link an earlier message's truncated `References` made; missing
//!   parents become placeholders, pruned unless they join two or more
//!   threads at the top; top-level threads with the same base subject are
//!   then merged (§4 step 5: a reply or forward under the original, else
//!   both under a new placeholder); siblings are in date order, a
//!   placeholder dated by its first child.
//! - Every walk of the tree is iterative, so a hostile chain of references
//!   cannot exhaust the stack; the answer nests at most [`MAX_NESTING`]
//!   levels deep (a subtree below that is written as one chain in date
//!   order, every message still in it once).
//!
//! Both algorithms run on [`Threadable`]s, which name Message-IDs by
//! number: [`references`] and [`ordered_subject`] number the IDs of
//! [`ThreadMessage`]s first; a caller that keeps messages numbered
//! ([`crate::thread_index`]) calls [`references_of`] and
//! [`ordered_subject_of`] directly.

mod tree;

use std::collections::HashMap;
use std::num::NonZeroU32;

use hadron_proto::types::Thread;

/// How deep a THREAD answer nests (`(1 (2 (3)(4)) …)` counts a level per
/// branching). Below it a subtree is written as one chain, so that writing
/// and dropping the answer never recurse without bound.
pub const MAX_NESTING: usize = 256;

/// What REFERENCES links a message by, computed at ingest: its own
/// Message-ID and, oldest first, the ones it names as its ancestors (the
/// `References:` IDs, else the first `In-Reply-To:` one), each without
/// its angle brackets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadLinks {
    /// The `Message-ID:`, if the message has a readable one.
    pub id: Option<String>,
    /// The ancestors' Message-IDs, oldest first, as the header names them
    /// (even the message's own).
    pub parents: Vec<String>,
}

impl ThreadLinks {
    /// The stored form: the ID (or nothing) on the first line, then one
    /// parent per line. IDs hold no white space, so the form is
    /// unambiguous.
    ///
    /// ```
    /// use hadron_state::thread::ThreadLinks;
    /// let links = ThreadLinks { id: Some("b@x".into()), parents: vec!["a@x".into()] };
    /// assert_eq!(links.to_stored(), "b@x\na@x");
    /// assert_eq!(ThreadLinks::from_stored(&links.to_stored()), links);
    /// ```
    pub fn to_stored(&self) -> String {
        let mut s = self.id.clone().unwrap_or_default();
        for p in &self.parents {
            s.push('\n');
            s.push_str(p);
        }
        s
    }

    /// Reads [`ThreadLinks::to_stored`]'s form back.
    pub fn from_stored(stored: &str) -> ThreadLinks {
        let mut lines = stored.split('\n');
        let id = lines.next().filter(|l| !l.is_empty()).map(str::to_owned);
        ThreadLinks {
            id,
            parents: lines.filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        }
    }
}

/// What a message is threaded by, in comparable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadMessage {
    /// Its number in the answer (sequence number or UID); ascending
    /// numbers are mailbox order, the final tie-breaker.
    pub number: NonZeroU32,
    /// The sent date, Unix seconds UTC (the internal date without one).
    pub date: i64,
    /// The base subject, [casemapped](crate::sort::casemap).
    pub subject: String,
    /// Whether extracting the base subject removed a reply or forward
    /// marker (§2.1), as REFERENCES step 5 asks.
    pub is_reply: bool,
    /// Its Message-IDs.
    pub links: ThreadLinks,
}

/// A message as the algorithms see it: [`ThreadMessage`] with its
/// Message-IDs numbered (equal IDs, equal numbers) and its strings
/// borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threadable<'a> {
    /// Its number in the answer (sequence number or UID).
    pub number: NonZeroU32,
    /// The sent date, Unix seconds UTC (the internal date without one).
    pub date: i64,
    /// The base subject, [casemapped](crate::sort::casemap).
    pub subject: &'a str,
    /// The number of its subject (equal subjects, equal numbers).
    pub subject_id: u32,
    /// Whether extracting the base subject removed a reply or forward
    /// marker.
    pub is_reply: bool,
    /// The number of its Message-ID.
    pub id: Option<u32>,
    /// The numbers of its ancestors' Message-IDs, oldest first.
    pub parents: &'a [u32],
}

/// `messages` as [`Threadable`]s, their Message-IDs and subjects numbered
/// in order of first appearance; `parents` holds the ancestors' numbers.
fn numbered<'a>(messages: &'a [ThreadMessage], parents: &'a mut Vec<u32>) -> Vec<Threadable<'a>> {
    let mut ids: HashMap<&'a str, u32> = HashMap::with_capacity(messages.len() * 2);
    let mut number = |id: &'a str| {
        let next = ids.len() as u32;
        *ids.entry(id).or_insert(next)
    };
    let own: Vec<Option<u32>> = messages
        .iter()
        .map(|m| {
            parents.extend(m.links.parents.iter().map(|p| number(p)));
            m.links.id.as_deref().map(&mut number)
        })
        .collect();
    let parents: &'a [u32] = parents;
    let mut subjects: HashMap<&'a str, u32> = HashMap::new();
    let mut at = 0;
    messages
        .iter()
        .zip(own)
        .map(|(m, id)| {
            let n = m.links.parents.len();
            let next = subjects.len() as u32;
            let t = Threadable {
                number: m.number,
                date: m.date,
                subject: &m.subject,
                subject_id: *subjects.entry(&m.subject).or_insert(next),
                is_reply: m.is_reply,
                id,
                parents: &parents[at..at + n],
            };
            at += n;
            t
        })
        .collect()
}

/// THREAD=REFERENCES (RFC 5256 §4) of `messages`.
pub fn references(messages: &[ThreadMessage]) -> Vec<Thread> {
    let mut parents = Vec::new();
    references_of(&numbered(messages, &mut parents))
}

/// THREAD=REFERENCES (RFC 5256 §4) of `messages`.
pub fn references_of(messages: &[Threadable<'_>]) -> Vec<Thread> {
    tree::references_of(messages)
}

/// THREAD=ORDEREDSUBJECT (RFC 5256 §3) of `messages`.
pub fn ordered_subject(messages: &[ThreadMessage]) -> Vec<Thread> {
    let mut parents = Vec::new();
    ordered_subject_of(&numbered(messages, &mut parents))
}

/// THREAD=ORDEREDSUBJECT (RFC 5256 §3) of `messages`.
pub fn ordered_subject_of(messages: &[Threadable<'_>]) -> Vec<Thread> {
    // Grouped by subject number (equal subjects, equal numbers): the
    // groups' order is their roots', so the subjects need no comparing.
    let mut order: Vec<(u32, i64, NonZeroU32)> = messages
        .iter()
        .map(|m| (m.subject_id, m.date, m.number))
        .collect();
    order.sort_unstable();
    let mut threads: Vec<((i64, NonZeroU32), Vec<NonZeroU32>)> = order
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| {
            let (&(_, date, root), rest) = group.split_first().unwrap_or_else(|| unreachable!());
            ((date, root), rest.iter().map(|&(_, _, n)| n).collect())
        })
        .collect();
    threads.sort_unstable_by_key(|(root, _)| *root);
    threads
        .into_iter()
        .map(|((_, root), rest)| match rest.as_slice() {
            [only] => chain(vec![root, *only]),
            _ => Thread {
                members: vec![root],
                children: rest.into_iter().map(|n| chain(vec![n])).collect(),
            },
        })
        .collect()
}

fn chain(members: Vec<NonZeroU32>) -> Thread {
    Thread {
        members,
        children: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message numbered `n`, dated `n` unless told, with Message-ID `id`
    /// and ancestors `parents` (space-separated).
    fn m(n: u32, id: &str, parents: &str) -> ThreadMessage {
        ThreadMessage {
            number: NonZeroU32::new(n).unwrap(),
            date: i64::from(n),
            subject: String::new(),
            is_reply: false,
            links: ThreadLinks {
                id: (!id.is_empty()).then(|| id.to_owned()),
                parents: parents.split_whitespace().map(str::to_owned).collect(),
            },
        }
    }

    fn dated(mut message: ThreadMessage, date: i64) -> ThreadMessage {
        message.date = date;
        message
    }

    fn subject(mut message: ThreadMessage, subject: &str, is_reply: bool) -> ThreadMessage {
        message.subject = crate::sort::casemap(subject);
        message.is_reply = is_reply;
        message
    }

    /// The wire form of an answer, as the encoder writes it.
    fn wire(threads: &[Thread]) -> String {
        fn one(t: &Thread, out: &mut String) {
            out.push('(');
            let members: Vec<String> = t.members.iter().map(|n| n.to_string()).collect();
            out.push_str(&members.join(" "));
            if !t.members.is_empty() && !t.children.is_empty() {
                out.push(' ');
            }
            for c in &t.children {
                one(c, out);
            }
            out.push(')');
        }
        let mut out = String::new();
        for t in threads {
            one(t, &mut out);
        }
        out
    }

    #[test]
    fn replies_chain_and_branch_in_date_order() {
        let msgs = [
            m(1, "1@x", ""),
            m(2, "2@x", "1@x"),
            m(3, "3@x", "1@x"),
            m(4, "4@x", "1@x 2@x"),
        ];
        assert_eq!(wire(&references(&msgs)), "(1 (2 4)(3))");
        let msgs = [dated(m(1, "1@x", ""), 10), dated(m(2, "2@x", ""), 5)];
        assert_eq!(wire(&references(&msgs)), "(2)(1)");
    }

    #[test]
    fn a_missing_parent_joins_its_children_only_at_the_top() {
        // Two replies to a message not in the set: a placeholder root.
        let msgs = [m(1, "", "a@x"), m(2, "", "a@x")];
        assert_eq!(wire(&references(&msgs)), "((1)(2))");
        // One reply: the placeholder goes.
        assert_eq!(wire(&references(&msgs[..1])), "(1)");
        // Below the top, a placeholder's children are promoted.
        let msgs = [
            m(1, "r@x", ""),
            m(2, "", "r@x gone@x"),
            m(3, "", "r@x gone@x"),
        ];
        assert_eq!(wire(&references(&msgs)), "(1 (2)(3))");
    }

    #[test]
    fn duplicate_message_ids_count_once() {
        let msgs = [m(1, "a@b", ""), m(2, "a@b", "")];
        assert_eq!(wire(&references(&msgs)), "(1)(2)");
        // A reply goes under the first holder of the ID.
        let msgs = [
            m(1, "a@b", ""),
            m(2, "b@b", "a@b"),
            m(3, "c@b", "b@b"),
            m(4, "b@b", "a@b"),
        ];
        assert_eq!(wire(&references(&msgs)), "(1 (2 3)(4))");
    }

    #[test]
    fn a_loop_in_references_is_never_closed() {
        // imaptest's thread test: 2 names c as its parent, 3 (= c) names 2.
        let msgs = [
            dated(m(1, "a@b", ""), 17),
            dated(m(2, "b@b", "a@b c@b"), 15),
            dated(m(3, "c@b", "b@b"), 16),
        ];
        assert_eq!(wire(&references(&msgs)), "(3 2)(1)");
        // A message whose References end with itself: the link the first
        // reference made is broken and none replaces it, so 1 is a root,
        // 2 alone under the missing m23, and both (replies) merge under 3
        // by subject. Dovecot 2.3 answers the same.
        let msgs = [
            subject(dated(m(1, "m16", "m23 m16"), 5), "Plans", true),
            subject(dated(m(2, "m101", "m23"), 9), "Plans", true),
            subject(dated(m(3, "m106", ""), 5), "Plans", false),
        ];
        assert_eq!(wire(&references(&msgs)), "(3 (1)(2))");
        // A cycle among the references of one message.
        let msgs = [m(1, "a@x", ""), m(2, "b@x", "c@x b@x c@x a@x")];
        assert_eq!(wire(&references(&msgs)), "(1 2)");
    }

    #[test]
    fn same_subject_threads_merge_replies_under_the_original() {
        let msgs = [
            subject(m(1, "a@b", ""), "foo", false),
            subject(m(2, "b@b", "c@b"), "foo", true),
        ];
        assert_eq!(wire(&references(&msgs)), "(1 2)");
        // Neither a reply: both under a new placeholder.
        let msgs = [
            subject(m(1, "a@b", ""), "foo", false),
            subject(m(2, "b@b", ""), "foo", false),
            subject(m(3, "c@b", ""), "bar", false),
        ];
        assert_eq!(wire(&references(&msgs)), "((1)(2))(3)");
        // Empty subjects never merge.
        let msgs = [m(1, "a@b", ""), m(2, "b@b", "")];
        assert_eq!(wire(&references(&msgs)), "(1)(2)");
    }

    #[test]
    fn ordered_subject_groups_by_base_subject() {
        let msgs = [
            subject(m(1, "", ""), "b", false),
            subject(m(2, "", ""), "a", false),
            subject(m(3, "", ""), "a", true),
            subject(m(4, "", ""), "b", true),
            subject(m(5, "", ""), "a", true),
            subject(m(6, "", ""), "c", false),
        ];
        assert_eq!(wire(&ordered_subject(&msgs)), "(1 4)(2 (3)(5))(6)");
    }

    #[test]
    fn a_hostile_depth_is_answered_flat_below_the_limit() {
        // Every message replies to the previous one and gets a second,
        // childless reply: one branching per level.
        let n = 20_000u32;
        let mut msgs = Vec::new();
        for i in 0..n {
            let parents = if i == 0 {
                String::new()
            } else {
                format!("p{}", i - 1)
            };
            msgs.push(m(2 * i + 1, &format!("p{i}"), &parents));
            msgs.push(m(2 * i + 2, &format!("q{i}"), &format!("p{i}")));
        }
        let threads = references(&msgs);
        assert_eq!(threads.len(), 1);
        let mut depth = 0;
        let mut seen = 0;
        let mut level = vec![&threads[0]];
        while !level.is_empty() {
            depth += 1;
            seen += level.iter().map(|t| t.members.len()).sum::<usize>();
            level = level.iter().flat_map(|t| t.children.iter()).collect();
        }
        assert!(depth <= MAX_NESTING + 1, "{depth}");
        assert_eq!(seen, 2 * n as usize);
        // A straight chain as long is one flat list.
        let chain: Vec<_> = (1..=n)
            .map(|i| {
                m(
                    i,
                    &format!("c{i}"),
                    &if i == 1 {
                        String::new()
                    } else {
                        format!("c{}", i - 1)
                    },
                )
            })
            .collect();
        let threads = references(&chain);
        assert_eq!(threads.len(), 1);
        assert_eq!(threads[0].members.len(), n as usize);
    }
}
