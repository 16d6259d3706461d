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

/// THREAD=ORDEREDSUBJECT (RFC 5256 §3) of `messages`.
pub fn ordered_subject(messages: &[ThreadMessage]) -> Vec<Thread> {
    let mut order: Vec<&ThreadMessage> = messages.iter().collect();
    order.sort_unstable_by(|a, b| {
        (&a.subject, a.date, a.number).cmp(&(&b.subject, b.date, b.number))
    });
    let mut threads: Vec<(&ThreadMessage, Vec<NonZeroU32>)> = Vec::new();
    for group in order.chunk_by(|a, b| a.subject == b.subject) {
        let (root, rest) = group.split_first().unwrap_or_else(|| unreachable!());
        threads.push((root, rest.iter().map(|m| m.number).collect()));
    }
    threads.sort_unstable_by_key(|(root, _)| (root.date, root.number));
    threads
        .into_iter()
        .map(|(root, rest)| match rest.as_slice() {
            [only] => chain(vec![root.number, *only]),
            _ => Thread {
                members: vec![root.number],
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

/// One node of the REFERENCES tree: a message, or a placeholder (dummy)
/// for a Message-ID no message in the set has.
#[derive(Debug, Default)]
struct Container {
    /// Index into the messages; `None` for a dummy.
    message: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// The REFERENCES tree under construction: containers in an arena.
struct Tree<'m> {
    messages: &'m [ThreadMessage],
    nodes: Vec<Container>,
}

impl<'m> Tree<'m> {
    fn add(&mut self, message: Option<usize>) -> usize {
        self.nodes.push(Container {
            message,
            ..Container::default()
        });
        self.nodes.len() - 1
    }

    /// Whether making `parent` the parent of `child` would close a loop.
    fn would_loop(&self, parent: usize, child: usize) -> bool {
        if parent == child {
            return true;
        }
        // A childless container is nobody's ancestor: the common case
        // (a new message) needs no walk.
        if self.nodes[child].children.is_empty() {
            return false;
        }
        let mut up = self.nodes[parent].parent;
        while let Some(p) = up {
            if p == child {
                return true;
            }
            up = self.nodes[p].parent;
        }
        false
    }

    fn link(&mut self, parent: usize, child: usize) {
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children.push(child);
    }

    fn unlink(&mut self, child: usize) {
        if let Some(p) = self.nodes[child].parent.take() {
            self.nodes[p].children.retain(|&c| c != child);
        }
    }

    /// §4 step 1: one container per message, linked by references.
    fn build(messages: &'m [ThreadMessage]) -> Tree<'m> {
        let mut tree = Tree {
            messages,
            nodes: Vec::with_capacity(messages.len() * 2),
        };
        let mut ids: HashMap<&'m str, usize> = HashMap::with_capacity(messages.len() * 2);
        let mut order: Vec<usize> = (0..messages.len()).collect();
        order.sort_unstable_by_key(|&i| messages[i].number);
        for i in order {
            let links = &messages[i].links;
            let own = match links.id.as_deref() {
                Some(id) => match ids.get(id) {
                    Some(&c) if tree.nodes[c].message.is_none() => {
                        tree.nodes[c].message = Some(i);
                        c
                    }
                    // A duplicate: as if it had no Message-ID.
                    Some(_) => tree.add(Some(i)),
                    None => {
                        let c = tree.add(Some(i));
                        ids.insert(id, c);
                        c
                    }
                },
                None => tree.add(Some(i)),
            };
            // Step 1.A: the references linked in order, each link only
            // where the child has no parent yet and no loop results.
            let mut previous: Option<usize> = None;
            for r in &links.parents {
                let c = match ids.get(r.as_str()) {
                    Some(&c) => c,
                    None => {
                        let c = tree.add(None);
                        ids.insert(r.as_str(), c);
                        c
                    }
                };
                if let Some(p) = previous
                    && tree.nodes[c].parent.is_none()
                    && !tree.would_loop(p, c)
                {
                    tree.link(p, c);
                }
                previous = Some(c);
            }
            // Step 1.B: the last reference is the parent, replacing one an
            // earlier message's truncated References made.
            tree.unlink(own);
            if let Some(p) = previous
                && !tree.would_loop(p, own)
            {
                tree.link(p, own);
            }
        }
        tree
    }

    /// The containers of `root`'s subtree, parents before children.
    fn pre_order(&self, root: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.nodes[n].children.iter().rev());
        }
        out
    }

    /// §4 step 3 below the top: every dummy under `root` replaced by its
    /// children (a childless one disappears).
    fn prune_below(&mut self, root: usize) {
        for n in self.pre_order(root).into_iter().rev() {
            let children = std::mem::take(&mut self.nodes[n].children);
            let mut kept = Vec::with_capacity(children.len());
            for c in children {
                if self.nodes[c].message.is_some() {
                    kept.push(c);
                } else {
                    kept.append(&mut self.nodes[c].children);
                }
            }
            for &c in &kept {
                self.nodes[c].parent = Some(n);
            }
            self.nodes[n].children = kept;
        }
    }

    /// The sort key of a container: its message's date and number, or for
    /// a dummy its first child's (children sorted first).
    fn key(&self, mut n: usize) -> (i64, NonZeroU32) {
        loop {
            match self.nodes[n].message {
                Some(i) => return (self.messages[i].date, self.messages[i].number),
                None => match self.nodes[n].children.first() {
                    Some(&c) => n = c,
                    None => return (i64::MIN, NonZeroU32::MIN),
                },
            }
        }
    }

    /// Step 6 for `root`'s subtree: every set of siblings in date order.
    fn sort_below(&mut self, root: usize) {
        for n in self.pre_order(root).into_iter().rev() {
            let mut children = std::mem::take(&mut self.nodes[n].children);
            children.sort_by_cached_key(|&c| self.key(c));
            self.nodes[n].children = children;
        }
    }

    /// The subject of a top-level thread (§4 step 5.B.i) and whether it is
    /// a reply: its message's, or a dummy's first child's.
    fn thread_subject(&self, n: usize) -> Option<(&'m str, bool)> {
        let m = match self.nodes[n].message {
            Some(i) => i,
            None => self.nodes[*self.nodes[n].children.first()?].message?,
        };
        let m = &self.messages[m];
        (!m.subject.is_empty()).then_some((m.subject.as_str(), m.is_reply))
    }

    /// §4 step 5: top-level threads with the same base subject merged.
    fn gather_by_subject(&mut self, roots: Vec<usize>) -> Vec<usize> {
        let dummy = |t: &Tree<'_>, n: usize| t.nodes[n].message.is_none();
        let mut table: HashMap<&'m str, usize> = HashMap::new();
        for &r in &roots {
            let Some((subject, reply)) = self.thread_subject(r) else {
                continue;
            };
            match table.get(subject) {
                None => {
                    table.insert(subject, r);
                }
                Some(&t) => {
                    let t_reply = self.thread_subject(t).is_some_and(|(_, reply)| reply);
                    if !dummy(self, t) && (dummy(self, r) || (t_reply && !reply)) {
                        table.insert(subject, r);
                    }
                }
            }
        }
        let mut removed = vec![false; self.nodes.len()];
        let mut out = Vec::with_capacity(roots.len());
        for r in roots {
            if removed[r] {
                // Merged under a new placeholder as the table's entry.
                continue;
            }
            let Some((subject, reply)) = self.thread_subject(r) else {
                out.push(r);
                continue;
            };
            let t = table[subject];
            if t == r {
                out.push(r);
                continue;
            }
            let t_reply = self.thread_subject(t).is_some_and(|(_, reply)| reply);
            if dummy(self, t) && dummy(self, r) {
                let mut moved = std::mem::take(&mut self.nodes[r].children);
                for &c in &moved {
                    self.nodes[c].parent = Some(t);
                }
                self.nodes[t].children.append(&mut moved);
            } else if dummy(self, t) || (reply && !t_reply) {
                self.link(t, r);
            } else {
                let d = self.add(None);
                removed.push(false);
                self.link(d, t);
                self.link(d, r);
                removed[t] = true;
                table.insert(subject, d);
                out.push(d);
            }
            removed[r] = true;
        }
        out.retain(|&n| !removed[n]);
        out
    }

    /// The answer for the top-level containers `roots`, in order.
    fn answer(&self, roots: &[usize]) -> Vec<Thread> {
        // Each container's nesting level (one more below a branching);
        // a subtree that would start at MAX_NESTING is written flat.
        let mut level = vec![0usize; self.nodes.len()];
        let mut flat = vec![false; self.nodes.len()];
        let mut built: Vec<Option<Thread>> = Vec::new();
        built.resize_with(self.nodes.len(), || None);
        let mut out = Vec::with_capacity(roots.len());
        for &root in roots {
            let mut visit = Vec::new();
            let mut stack = vec![root];
            while let Some(n) = stack.pop() {
                visit.push(n);
                if flat[n] {
                    continue;
                }
                let kids = &self.nodes[n].children;
                let deeper = level[n] + usize::from(kids.len() > 1);
                for &c in kids.iter().rev() {
                    level[c] = deeper;
                    flat[c] = deeper >= MAX_NESTING;
                    stack.push(c);
                }
            }
            // Children first: each container's answer from its children's.
            for &n in visit.iter().rev() {
                let thread = if flat[n] {
                    self.flat(n)
                } else {
                    self.join(
                        n,
                        self.nodes[n]
                            .children
                            .iter()
                            .filter_map(|&c| built[c].take())
                            .collect(),
                    )
                };
                built[n] = Some(thread);
            }
            out.push(built[root].take().unwrap_or_else(|| chain(Vec::new())));
        }
        out
    }

    /// The answer for container `n` given its children's: a single child
    /// continues `n`'s chain; a dummy has no member.
    fn join(&self, n: usize, mut kids: Vec<Thread>) -> Thread {
        let number = self.nodes[n].message.map(|i| self.messages[i].number);
        match (number, kids.len()) {
            (None, 1) => kids.pop().unwrap_or_else(|| unreachable!()),
            (Some(number), 1) => {
                let kid = kids.pop().unwrap_or_else(|| unreachable!());
                let mut members = Vec::with_capacity(kid.members.len() + 1);
                members.push(number);
                members.extend(kid.members);
                Thread {
                    members,
                    children: kid.children,
                }
            }
            (number, _) => Thread {
                members: number.into_iter().collect(),
                children: kids,
            },
        }
    }

    /// `n`'s subtree as one chain, in date order.
    fn flat(&self, n: usize) -> Thread {
        let mut members: Vec<(i64, NonZeroU32)> = self
            .pre_order(n)
            .into_iter()
            .filter_map(|c| self.nodes[c].message)
            .map(|i| (self.messages[i].date, self.messages[i].number))
            .collect();
        members.sort_unstable();
        chain(members.into_iter().map(|(_, n)| n).collect())
    }
}

/// THREAD=REFERENCES (RFC 5256 §4) of `messages`.
pub fn references(messages: &[ThreadMessage]) -> Vec<Thread> {
    let mut tree = Tree::build(messages);
    // Step 2: the containers without a parent are the top level.
    let tops: Vec<usize> = (0..tree.nodes.len())
        .filter(|&n| tree.nodes[n].parent.is_none())
        .collect();
    // Step 3: dummies pruned; at the top only a dummy joining two or more
    // threads stays.
    let mut roots = Vec::with_capacity(tops.len());
    for t in tops {
        tree.prune_below(t);
        match (tree.nodes[t].message, tree.nodes[t].children.as_slice()) {
            (Some(_), _) => roots.push(t),
            (None, []) => {}
            (None, &[only]) => {
                tree.nodes[only].parent = None;
                roots.push(only);
            }
            (None, _) => roots.push(t),
        }
    }
    // Step 4: the top level in date order (a dummy's children first).
    for &r in &roots {
        tree.sort_below(r);
    }
    roots.sort_by_cached_key(|&r| tree.key(r));
    // Step 5, then step 6 again over what merging moved.
    let mut roots = tree.gather_by_subject(roots);
    for &r in &roots {
        tree.sort_below(r);
    }
    roots.sort_by_cached_key(|&r| tree.key(r));
    tree.answer(&roots)
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
