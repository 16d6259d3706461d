//! Updating searches: `SEARCH RETURN (UPDATE …)` and `SORT RETURN (UPDATE
//! …)` (RFC 5267 CONTEXT=SEARCH, CONTEXT=SORT), ended by `CANCELUPDATE` or
//! by leaving the mailbox.
//!
//! A context keeps its result (UIDs; for SORT, with their sort keys, in
//! sort order) and reports how it changes as `* ESEARCH (TAG "t") [UID]
//! REMOVEFROM (0 set) ADDTO (pos set …)`:
//!
//! - **Expunges** leave every result. Delivery reports them before the
//!   `EXPUNGE`/`VANISHED` responses, numbered as the client still numbers
//!   them ([`Contexts::before_expunges`]); nothing is evaluated.
//! - **Flag changes and new messages** (delivered from other sessions, or
//!   this session's own STORE, APPEND and COPY) mark their UIDs. Before a
//!   command's tagged response, and during IDLE, the criteria are
//!   evaluated again on the marked messages only (`UID set` ANDed to them)
//!   and the differences reported ([`Session::refresh_contexts`]). Criteria
//!   naming sequence numbers or `$` are evaluated on every message after an
//!   expunge, as an expunge moves those numbers.
//! - SEARCH results are unordered for ADDTO's purpose: positions are 0, as
//!   RFC 5267 allows and Dovecot sends. SORT results give each inserted run
//!   its 1-based position in the new order (sort keys never change, so
//!   messages already in the result keep their relative order).
//!
//! A session keeps at most [`MAX_CONTEXTS`]; one more is answered as a
//! plain search with `* NO [NOUPDATE "tag"]`.

use std::collections::HashSet;

use hadron_proto::types::{
    Atom, Charset, Code, ESearchItem, OtherCode, Response, SearchKey, SequenceSet, SortCriterion,
    Status, StatusKind, Tag, Text,
};

use super::Session;
use super::messages::wire_uids;
use super::output::{Output, ResponseSink, resp_text};
use super::search::esearch;
use super::sort::{columns, read_keys};
use crate::snapshot::Snapshot;
use crate::sort::{SortMessage, order};

/// Updating searches one session may keep at once.
pub(super) const MAX_CONTEXTS: usize = 10;

/// What an updating search's result holds.
#[derive(Debug)]
enum Members {
    /// SEARCH: the matching UIDs, ascending.
    Search(Vec<u32>),
    /// SORT: the matches with their keys, in sort order.
    Sort {
        criteria: Vec<SortCriterion>,
        sorted: Vec<SortMessage>,
    },
}

impl Members {
    fn uids(&self) -> Vec<u32> {
        match self {
            Members::Search(uids) => uids.clone(),
            Members::Sort { sorted, .. } => sorted.iter().map(|m| m.uid).collect(),
        }
    }

    fn retain(&mut self, keep: impl Fn(u32) -> bool) {
        match self {
            Members::Search(uids) => uids.retain(|&u| keep(u)),
            Members::Sort { sorted, .. } => sorted.retain(|m| keep(m.uid)),
        }
    }
}

/// One updating search.
#[derive(Debug)]
struct UpdateContext {
    /// The tag of the command that started it; names it in `* ESEARCH`.
    tag: Tag<'static>,
    /// `UID SEARCH`/`UID SORT`: numbers are UIDs.
    uid: bool,
    keys: Vec<SearchKey<'static>>,
    charset: Option<Charset<'static>>,
    /// The criteria name sequence numbers or `$`.
    by_position: bool,
    members: Members,
}

/// A session's updating searches in its selected mailbox, and what changed
/// since they were last brought up to date.
#[derive(Debug, Default)]
pub(super) struct Contexts {
    list: Vec<UpdateContext>,
    /// UIDs whose flags changed or that arrived since the last refresh.
    dirty: HashSet<u32>,
    /// Every message is to be evaluated again, for every context.
    all_dirty: bool,
    /// An expunge moved sequence numbers: contexts whose criteria name
    /// them are evaluated on every message.
    moved: bool,
}

/// Whether `keys` name messages by sequence number or by `$`, which an
/// expunge (or a later SAVE) can change without touching the message.
fn by_position(keys: &[SearchKey<'_>]) -> bool {
    keys.iter().any(|k| match k {
        SearchKey::SequenceSet(_) => true,
        SearchKey::Uid(set) => set.is_saved(),
        SearchKey::Not(k) => by_position(std::slice::from_ref(&**k)),
        SearchKey::Or(a, b) => by_position(&[(**a).clone(), (**b).clone()]),
        SearchKey::And(keys) => by_position(keys),
        _ => false,
    })
}

/// `* ESEARCH (TAG "t") [UID] REMOVEFROM (0 removed) ADDTO (pos set …)`,
/// `None` when nothing changed.
fn notification(
    tag: &Tag<'_>,
    uid: bool,
    removed: &[u32],
    added: Vec<(u32, SequenceSet)>,
) -> Option<Output> {
    let mut items = Vec::new();
    if let Some(set) = wire_uids(removed.iter().copied()) {
        items.push(ESearchItem::RemoveFrom(vec![(
            0,
            set.as_sequence_set().clone(),
        )]));
    }
    if !added.is_empty() {
        items.push(ESearchItem::AddTo(added));
    }
    (!items.is_empty()).then(|| esearch(tag, uid, items))
}

/// `numbers` (ascending) as one ADDTO pair at position 0.
fn unordered(numbers: &[u32]) -> Vec<(u32, SequenceSet)> {
    wire_uids(numbers.iter().copied())
        .map(|s| vec![(0, s.as_sequence_set().clone())])
        .unwrap_or_default()
}

/// The ADDTO pairs of `added` (UIDs) in a SORT result now `sorted`: each
/// run of consecutive positions with its 1-based position, numbered by
/// `number`.
fn positioned(
    sorted: &[SortMessage],
    added: &HashSet<u32>,
    number: impl Fn(u32) -> Option<u32>,
) -> Vec<(u32, SequenceSet)> {
    let mut pairs = Vec::new();
    let mut run: Option<(u32, Vec<u32>)> = None;
    for (i, m) in sorted.iter().enumerate() {
        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let Some(n) = added.contains(&m.uid).then(|| number(m.uid)).flatten() else {
            if let Some((p, ns)) = run.take() {
                pairs.extend(wire_uids(ns).map(|s| (p, s.as_sequence_set().clone())));
            }
            continue;
        };
        match &mut run {
            Some((_, ns)) => ns.push(n),
            None => run = Some((position, vec![n])),
        }
    }
    if let Some((p, ns)) = run {
        pairs.extend(wire_uids(ns).map(|s| (p, s.as_sequence_set().clone())));
    }
    pairs
}

impl Contexts {
    /// Whether there is an updating search.
    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Marks `uids` (changed flags, or new) for the next refresh.
    pub(super) fn mark(&mut self, uids: impl IntoIterator<Item = u32>) {
        if !self.list.is_empty() {
            self.dirty.extend(uids);
        }
    }

    /// Marks every message for the next refresh.
    pub(super) fn mark_all(&mut self) {
        if !self.list.is_empty() {
            self.all_dirty = true;
        }
    }

    /// Adds an updating search started by `tag`; `Err` with the refusal to
    /// send when the session has [`MAX_CONTEXTS`] already. A context with
    /// the same tag is replaced.
    fn add(&mut self, context: UpdateContext) -> Result<(), Box<Output>> {
        self.list.retain(|c| c.tag != context.tag);
        if self.list.len() >= MAX_CONTEXTS {
            let code = Atom::try_from("NOUPDATE")
                .ok()
                .and_then(|name| {
                    let tag = Text::try_from(format!("\"{}\"", context.tag.as_str())).ok();
                    OtherCode::new(name, tag).ok()
                })
                .map(|c| Code::Other(c.into_static()));
            return Err(Box::new(Output::new(Response::Status(Status::Untagged {
                kind: StatusKind::No,
                text: resp_text(
                    code,
                    format!("at most {MAX_CONTEXTS} updating searches per session"),
                ),
            }))));
        }
        self.list.push(context);
        Ok(())
    }

    /// Ends the contexts of `tags`; the tags no context had.
    pub(super) fn cancel<'t>(&mut self, tags: impl IntoIterator<Item = &'t [u8]>) -> Vec<String> {
        let mut unknown = Vec::new();
        for t in tags {
            let before = self.list.len();
            self.list.retain(|c| c.tag.as_str().as_bytes() != t);
            if self.list.len() == before {
                unknown.push(String::from_utf8_lossy(t).into_owned());
            }
        }
        unknown
    }

    /// Called by delivery after an expunge: every message of a result that
    /// `after` no longer has leaves it, reported as REMOVEFROM numbered as
    /// in `before` (the snapshot the client still sees), to send before
    /// the `EXPUNGE` responses.
    pub(super) fn before_expunges(&mut self, before: &Snapshot, after: &Snapshot) -> Vec<Output> {
        let mut out = Vec::new();
        let mut moved = false;
        for c in &mut self.list {
            let gone: Vec<u32> = c
                .members
                .uids()
                .into_iter()
                .filter(|&u| after.seq(u).is_none())
                .collect();
            if gone.is_empty() {
                continue;
            }
            moved |= c.by_position;
            let gone_set: HashSet<u32> = gone.iter().copied().collect();
            c.members.retain(|u| !gone_set.contains(&u));
            let mut numbers: Vec<u32> = if c.uid {
                gone
            } else {
                gone.iter().filter_map(|&u| before.seq(u)).collect()
            };
            numbers.sort_unstable();
            out.extend(notification(&c.tag, c.uid, &numbers, Vec::new()));
        }
        self.moved |= moved;
        out
    }
}

/// What one context's evaluation found: the matches among the tested
/// messages, and the keys of those that joined a SORT result.
struct Evaluated {
    matches: Vec<u32>,
    joined: Vec<SortMessage>,
}

impl Session {
    /// Starts an updating search of `tag` with this result (UIDs, in
    /// result order; for SORT with their keys); sends the refusal when
    /// there are too many.
    pub(super) fn start_context(
        &mut self,
        tag: &Tag<'_>,
        uid: bool,
        keys: Vec<SearchKey<'static>>,
        charset: Option<Charset<'static>>,
        result: ContextResult,
        out: &mut dyn ResponseSink,
    ) {
        let Some(m) = self.mailbox.as_mut() else {
            return;
        };
        let members = match result {
            ContextResult::Search(uids) => Members::Search(uids),
            ContextResult::Sort { criteria, sorted } => Members::Sort { criteria, sorted },
        };
        let context = UpdateContext {
            tag: tag.clone().into_static(),
            uid,
            by_position: by_position(&keys),
            keys,
            charset,
            members,
        };
        if let Err(refusal) = m.contexts.add(context) {
            out.send(*refusal);
        }
    }

    /// Brings the updating searches up to date with what this session was
    /// told since the last time (RFC 5267 §4.3): evaluates them on the
    /// changed messages and writes `* ESEARCH … ADDTO/REMOVEFROM`. Runs
    /// before each command's tagged response; the server calls it during
    /// IDLE after [`Session::idle_poll`].
    pub async fn refresh_contexts(&mut self, out: &mut dyn ResponseSink) {
        let Some(m) = self.mailbox.as_mut() else {
            return;
        };
        let contexts = &mut m.contexts;
        if contexts.list.is_empty()
            || (contexts.dirty.is_empty() && !contexts.all_dirty && !contexts.moved)
        {
            return;
        }
        let all = std::mem::take(&mut contexts.all_dirty);
        let moved = std::mem::take(&mut contexts.moved);
        let mut dirty: Vec<u32> = std::mem::take(&mut contexts.dirty).into_iter().collect();
        dirty.sort_unstable();
        let marked = wire_uids(dirty.iter().copied()).map(|s| s.as_sequence_set().clone());
        let mailbox = m.info.id;
        for i in 0..contexts.list.len() {
            let Some(m) = self.mailbox.as_ref() else {
                return;
            };
            let Some(c) = m.contexts.list.get(i) else {
                break;
            };
            // Only the marked messages can have changed, unless an expunge
            // moved the numbers the criteria name.
            let tested_all = all || (moved && c.by_position);
            let mut keys = c.keys.clone();
            if !tested_all {
                let Some(set) = marked.clone() else {
                    continue;
                };
                keys.insert(0, SearchKey::Uid(set));
            }
            let criteria = match &c.members {
                Members::Sort { criteria, .. } => Some(criteria.clone()),
                Members::Search(_) => None,
            };
            let members: HashSet<u32> = c.members.uids().into_iter().collect();
            let charset = c.charset.clone();
            let engine = self.engine.clone();
            let r = self
                .evaluate(keys, charset, false, move |store, _, _, found| {
                    let joined = match criteria {
                        Some(criteria) => {
                            let new: Vec<u32> = found
                                .numbers
                                .iter()
                                .copied()
                                .filter(|u| !members.contains(u))
                                .collect();
                            read_keys(store, &engine, mailbox, &new, columns(&criteria))?
                        }
                        None => Vec::new(),
                    };
                    Ok(Evaluated {
                        matches: found.numbers,
                        joined,
                    })
                })
                .await;
            let Some(Ok(Ok(evaluated))) = r else {
                // The context stays as it was; a later change retries.
                tracing::warn!("an updating search could not be evaluated again");
                continue;
            };
            if let Some(o) = self.apply(i, &dirty, tested_all, evaluated) {
                out.send(o);
            }
        }
    }

    /// Applies context `i`'s new matches among the tested messages (every
    /// message when `tested_all`, else `dirty`): the notification to send.
    fn apply(
        &mut self,
        i: usize,
        dirty: &[u32],
        tested_all: bool,
        evaluated: Evaluated,
    ) -> Option<Output> {
        let m = self.mailbox.as_mut()?;
        let snapshot = m.selected.snapshot();
        let c = m.contexts.list.get_mut(i)?;
        let matches: HashSet<u32> = evaluated.matches.iter().copied().collect();
        let tested: HashSet<u32> = dirty.iter().copied().collect();
        let before: Vec<u32> = c.members.uids();
        let left: Vec<u32> = before
            .iter()
            .copied()
            .filter(|u| (tested_all || tested.contains(u)) && !matches.contains(u))
            .collect();
        let had: HashSet<u32> = before.iter().copied().collect();
        let joined: HashSet<u32> = evaluated
            .matches
            .iter()
            .copied()
            .filter(|u| !had.contains(u) && snapshot.seq(*u).is_some())
            .collect();
        if left.is_empty() && joined.is_empty() {
            return None;
        }
        let left_set: HashSet<u32> = left.iter().copied().collect();
        c.members.retain(|u| !left_set.contains(&u));
        let number = |u: u32| if c.uid { Some(u) } else { snapshot.seq(u) };
        let mut removed: Vec<u32> = left.iter().filter_map(|&u| number(u)).collect();
        removed.sort_unstable();
        let added = match &mut c.members {
            Members::Search(uids) => {
                uids.extend(joined.iter().copied());
                uids.sort_unstable();
                let mut numbers: Vec<u32> = joined.iter().filter_map(|&u| number(u)).collect();
                numbers.sort_unstable();
                unordered(&numbers)
            }
            Members::Sort { criteria, sorted } => {
                for k in evaluated.joined {
                    if !joined.contains(&k.uid) {
                        continue;
                    }
                    let at = sorted
                        .binary_search_by(|probe| order(probe, &k, criteria))
                        .unwrap_or_else(|e| e);
                    sorted.insert(at, k);
                }
                positioned(sorted, &joined, number)
            }
        };
        notification(&c.tag, c.uid, &removed, added)
    }
}

/// The result an updating search starts with.
pub(super) enum ContextResult {
    /// SEARCH: the matching UIDs, ascending.
    Search(Vec<u32>),
    /// SORT: the matches with their keys, in sort order.
    Sort {
        criteria: Vec<SortCriterion>,
        sorted: Vec<SortMessage>,
    },
}
