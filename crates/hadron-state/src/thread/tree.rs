//! THREAD=REFERENCES (RFC 5256 §4) over messages whose Message-IDs are
//! numbers ([`Threadable`]): the tree is an arena of containers, found by
//! ID through a vector, not a hash map of strings.

use std::num::NonZeroU32;

use hadron_proto::types::Thread;

use super::{MAX_NESTING, Threadable, chain};
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
    messages: &'m [Threadable<'m>],
    nodes: Vec<Container>,
    /// Buffers of the walks ([`Tree::pre_order_into`]), reused.
    scratch: (Vec<usize>, Vec<usize>),
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
    fn build(messages: &'m [Threadable<'m>]) -> Tree<'m> {
        let mut tree = Tree {
            messages,
            nodes: Vec::with_capacity(messages.len() * 2),
            scratch: (Vec::new(), Vec::new()),
        };
        let id_count = messages
            .iter()
            .flat_map(|m| m.id.iter().chain(m.parents))
            .max()
            .map_or(0, |&n| n as usize + 1);
        // The container of each Message-ID, by its number.
        let mut ids: Vec<Option<usize>> = vec![None; id_count];
        let mut order: Vec<usize> = (0..messages.len()).collect();
        order.sort_unstable_by_key(|&i| messages[i].number);
        for i in order {
            let m = &messages[i];
            let own = match m.id {
                Some(id) => match ids[id as usize] {
                    Some(c) if tree.nodes[c].message.is_none() => {
                        tree.nodes[c].message = Some(i);
                        c
                    }
                    // A duplicate: as if it had no Message-ID.
                    Some(_) => tree.add(Some(i)),
                    None => {
                        let c = tree.add(Some(i));
                        ids[id as usize] = Some(c);
                        c
                    }
                },
                None => tree.add(Some(i)),
            };
            // Step 1.A: the references linked in order, each link only
            // where the child has no parent yet and no loop results.
            let mut previous: Option<usize> = None;
            for &r in m.parents {
                let c = match ids[r as usize] {
                    Some(c) => c,
                    None => {
                        let c = tree.add(None);
                        ids[r as usize] = Some(c);
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
        let (mut out, mut stack) = (Vec::new(), Vec::new());
        self.pre_order_into(root, &mut out, &mut stack);
        out
    }

    /// [`Tree::pre_order`] into `out`, with `stack` as the walk's stack
    /// (both emptied first; kept by the caller to spare allocations).
    fn pre_order_into(&self, root: usize, out: &mut Vec<usize>, stack: &mut Vec<usize>) {
        out.clear();
        stack.clear();
        stack.push(root);
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.nodes[n].children.iter().rev());
        }
    }

    /// §4 step 3 below the top: every dummy under `root` replaced by its
    /// children (a childless one disappears).
    fn prune_below(&mut self, root: usize) {
        if self.nodes[root].children.is_empty() {
            return;
        }
        let (mut order, mut stack) = std::mem::take(&mut self.scratch);
        self.pre_order_into(root, &mut order, &mut stack);
        for &n in order.iter().rev() {
            if self.nodes[n]
                .children
                .iter()
                .all(|&c| self.nodes[c].message.is_some())
            {
                continue;
            }
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
        self.scratch = (order, stack);
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
        if self.nodes[root].children.is_empty() {
            return;
        }
        let (mut order, mut stack) = std::mem::take(&mut self.scratch);
        self.pre_order_into(root, &mut order, &mut stack);
        for &n in order.iter().rev() {
            if self.nodes[n].children.len() < 2 {
                continue;
            }
            let mut children = std::mem::take(&mut self.nodes[n].children);
            children.sort_by_cached_key(|&c| self.key(c));
            self.nodes[n].children = children;
        }
        self.scratch = (order, stack);
    }

    /// The subject of a top-level thread (§4 step 5.B.i) and whether it is
    /// a reply: its message's, or a dummy's first child's.
    fn thread_subject(&self, n: usize) -> Option<(u32, bool)> {
        let m = match self.nodes[n].message {
            Some(i) => i,
            None => self.nodes[*self.nodes[n].children.first()?].message?,
        };
        let m = &self.messages[m];
        (!m.subject.is_empty()).then_some((m.subject_id, m.is_reply))
    }

    /// §4 step 5: top-level threads with the same base subject merged.
    fn gather_by_subject(&mut self, roots: Vec<usize>) -> Vec<usize> {
        let dummy = |t: &Tree<'_>, n: usize| t.nodes[n].message.is_none();
        // The thread chosen for each subject, by subject number.
        let subjects = self
            .messages
            .iter()
            .map(|m| m.subject_id)
            .max()
            .map_or(0, |n| n as usize + 1);
        let mut table: Vec<Option<usize>> = vec![None; subjects];
        for &r in &roots {
            let Some((subject, reply)) = self.thread_subject(r) else {
                continue;
            };
            match table[subject as usize] {
                None => table[subject as usize] = Some(r),
                Some(t) => {
                    let t_reply = self.thread_subject(t).is_some_and(|(_, reply)| reply);
                    if !dummy(self, t) && (dummy(self, r) || (t_reply && !reply)) {
                        table[subject as usize] = Some(r);
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
            let Some(t) = table[subject as usize] else {
                unreachable!("every subject of a root is in the table")
            };
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
                table[subject as usize] = Some(d);
                out.push(d);
            }
            removed[r] = true;
        }
        out.retain(|&n| !removed[n]);
        out
    }

    /// The answer for the top-level containers `roots`, in order.
    fn answer(&self, roots: &[usize]) -> Vec<Thread> {
        let mut out = Vec::with_capacity(roots.len());
        // Per root: its containers in pre-order with their flatness, the
        // walk's stack (container, nesting level: one more below a
        // branching), and the answers of containers done, whose parents
        // are not yet.
        let (mut visit, mut stack, mut done) = (Vec::new(), Vec::new(), Vec::new());
        for &root in roots {
            if self.nodes[root].children.is_empty() {
                out.push(self.join(root, Vec::new()));
                continue;
            }
            visit.clear();
            stack.push((root, 0usize));
            while let Some((n, level)) = stack.pop() {
                // A subtree that would start at MAX_NESTING is written flat.
                let flat = level >= MAX_NESTING;
                visit.push((n, flat));
                if flat {
                    continue;
                }
                let kids = &self.nodes[n].children;
                let deeper = level + usize::from(kids.len() > 1);
                stack.extend(kids.iter().rev().map(|&c| (c, deeper)));
            }
            // Children first: a container's children are done just before
            // it, the first child's answer last.
            for &(n, flat) in visit.iter().rev() {
                let thread = if flat {
                    self.flat(n)
                } else {
                    let first = done.len() - self.nodes[n].children.len();
                    let mut kids: Vec<Thread> = done.split_off(first);
                    kids.reverse();
                    self.join(n, kids)
                };
                done.push(thread);
            }
            out.push(done.pop().unwrap_or_else(|| chain(Vec::new())));
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
pub(super) fn references_of(messages: &[Threadable<'_>]) -> Vec<Thread> {
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
