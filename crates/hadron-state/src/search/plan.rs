//! The planner: a [`SearchKey`] tree compiled into a [`Node`] tree whose
//! leaves are ready to evaluate (strings decoded and lowercased, sequence
//! sets resolved against the snapshot), each with a cost class used to
//! evaluate cheap keys first.

use std::ops::RangeInclusive;

use hadron_proto::types::{Date, Flag, SearchKey, SequenceSet};

use super::SearchError;
use super::source::ObjectKey;
use super::text::{Needle, TextCharset};
use crate::flags::SystemFlags;
use crate::snapshot::Snapshot;

/// A test on a message's metadata ([`super::MessageMeta`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetaTest {
    /// `LARGER n`: size > n.
    Larger(u32),
    /// `SMALLER n`: size < n.
    Smaller(u32),
    /// `BEFORE`: internal date (its own zone) < day.
    Before(i32),
    /// `ON`: internal date = day.
    On(i32),
    /// `SINCE`: internal date ≥ day.
    Since(i32),
    /// `SENTBEFORE`: `Date:` header date < day.
    SentBefore(i32),
    /// `SENTON`: `Date:` header date = day.
    SentOn(i32),
    /// `SENTSINCE`: `Date:` header date ≥ day.
    SentSince(i32),
    /// `SAVEDBEFORE` (RFC 8514): save date (else internal date) < day.
    SavedBefore(i32),
    /// `SAVEDON`: save date (else internal date) = day.
    SavedOn(i32),
    /// `SAVEDSINCE`: save date (else internal date) ≥ day.
    SavedSince(i32),
    /// `MODSEQ n`: mod-sequence ≥ n.
    ModSeq(u64),
    /// `OLDER`/`YOUNGER` (RFC 5032): internal date, Unix seconds, in
    /// `from..until` (`None`: open).
    Arrived {
        /// Earliest second included.
        from: Option<i64>,
        /// First second no longer included.
        until: Option<i64>,
    },
}

/// A compiled search key.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Matches all (`ALL`) or none.
    Const(bool),
    /// System flag `flag` is set (`set`) or clear.
    System { flag: SystemFlags, set: bool },
    /// `\Recent` is set (`RECENT`) or clear (`OLD`).
    Recent(bool),
    /// `NEW`: `\Recent` and not `\Seen`.
    New,
    /// Keyword present (`KEYWORD`) or absent (`UNKEYWORD`).
    Keyword { flag: Flag<'static>, set: bool },
    /// Sequence numbers, as sorted disjoint ranges within `1..=len`
    /// (sequence sets, `UID` sets and `$`, all resolved).
    Seqs(Vec<RangeInclusive<u32>>),
    /// A metadata test.
    Meta(MetaTest),
    /// A header field contains a string; an empty string tests presence.
    Header { name: String, needle: Needle },
    /// `EMAILID` / `THREADID` (RFC 8474): the messages the source finds
    /// by that id.
    Object(ObjectKey),
    /// `BODY`.
    Body(Needle),
    /// `TEXT`: header or body.
    Text(Needle),
    /// `NOT`.
    Not(Box<Node>),
    /// All must match.
    And(Vec<Node>),
    /// Either matches.
    Or(Box<Node>, Box<Node>),
}

/// Cost classes: what evaluating a key on one message touches.
pub(crate) mod cost {
    /// Nothing.
    pub(crate) const CONST: u32 = 0;
    /// The snapshot's flag byte or a precomputed range list.
    pub(crate) const SNAPSHOT: u32 = 1;
    /// The snapshot's keyword sets.
    pub(crate) const KEYWORD: u32 = 2;
    /// The source's batched metadata.
    pub(crate) const META: u32 = 10;
    /// One header field per message from the source.
    pub(crate) const HEADER: u32 = 100;
    /// The body text from the source.
    pub(crate) const BODY: u32 = 1_000;
    /// The whole header and the body.
    pub(crate) const TEXT: u32 = 2_000;
}

impl Node {
    /// The most expensive thing evaluating this node may touch.
    pub(crate) fn cost(&self) -> u32 {
        match self {
            Node::Const(_) => cost::CONST,
            Node::System { .. } | Node::Recent(_) | Node::New | Node::Seqs(_) => cost::SNAPSHOT,
            Node::Keyword { .. } => cost::KEYWORD,
            Node::Meta(_) | Node::Object(_) => cost::META,
            Node::Header { .. } => cost::HEADER,
            Node::Body(_) => cost::BODY,
            Node::Text(_) => cost::TEXT,
            Node::Not(n) => n.cost(),
            Node::And(nodes) => nodes.iter().map(Node::cost).max().unwrap_or(cost::CONST),
            Node::Or(a, b) => a.cost().max(b.cost()),
        }
    }
}

/// What the planner needs besides the keys.
pub(crate) struct Planner<'a> {
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) charset: TextCharset,
    /// The UIDs of the saved result `$` (RFC 5182), ascending; `None` is
    /// the empty set.
    pub(crate) saved: Option<&'a [u32]>,
    /// Now, Unix seconds: what `OLDER` and `YOUNGER` count back from.
    pub(crate) now: i64,
}

fn day(date: Date) -> i32 {
    // Years 1-9999: about ±3.6 million days, far inside i32.
    date.days_since_epoch() as i32
}

impl Planner<'_> {
    /// Compiles the keys of a command (ANDed), cheapest first.
    pub(crate) fn plan(&self, keys: &[SearchKey<'_>]) -> Result<Node, SearchError> {
        let nodes = keys
            .iter()
            .map(|k| self.compile(k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(and(nodes))
    }

    fn text(&self, s: &hadron_proto::types::AString<'_>) -> Result<Needle, SearchError> {
        Ok(Needle::new(self.charset.decode(s.as_bytes())?))
    }

    fn header(
        &self,
        name: &str,
        s: &hadron_proto::types::AString<'_>,
    ) -> Result<Node, SearchError> {
        Ok(Node::Header {
            name: name.to_owned(),
            needle: self.text(s)?,
        })
    }

    fn compile(&self, key: &SearchKey<'_>) -> Result<Node, SearchError> {
        use SearchKey as K;
        let system = |flag, set| Node::System { flag, set };
        Ok(match key {
            K::All => Node::Const(true),
            K::Answered => system(SystemFlags::ANSWERED, true),
            K::Unanswered => system(SystemFlags::ANSWERED, false),
            K::Deleted => system(SystemFlags::DELETED, true),
            K::Undeleted => system(SystemFlags::DELETED, false),
            K::Draft => system(SystemFlags::DRAFT, true),
            K::Undraft => system(SystemFlags::DRAFT, false),
            K::Flagged => system(SystemFlags::FLAGGED, true),
            K::Unflagged => system(SystemFlags::FLAGGED, false),
            K::Seen => system(SystemFlags::SEEN, true),
            K::Unseen => system(SystemFlags::SEEN, false),
            K::Recent => Node::Recent(true),
            K::Old => Node::Recent(false),
            K::New => Node::New,
            K::Keyword(a) => Node::Keyword {
                flag: Flag::Keyword(a.clone().into_static()),
                set: true,
            },
            K::Unkeyword(a) => Node::Keyword {
                flag: Flag::Keyword(a.clone().into_static()),
                set: false,
            },
            K::SequenceSet(set) => Node::Seqs(self.seqs(set)),
            K::Uid(set) => Node::Seqs(self.uids(set)),
            K::Larger(n) => Node::Meta(MetaTest::Larger(*n)),
            K::Smaller(n) => Node::Meta(MetaTest::Smaller(*n)),
            K::Before(d) => Node::Meta(MetaTest::Before(day(*d))),
            K::On(d) => Node::Meta(MetaTest::On(day(*d))),
            K::Since(d) => Node::Meta(MetaTest::Since(day(*d))),
            K::SentBefore(d) => Node::Meta(MetaTest::SentBefore(day(*d))),
            K::SentOn(d) => Node::Meta(MetaTest::SentOn(day(*d))),
            K::SentSince(d) => Node::Meta(MetaTest::SentSince(day(*d))),
            K::SavedBefore(d) => Node::Meta(MetaTest::SavedBefore(day(*d))),
            K::SavedOn(d) => Node::Meta(MetaTest::SavedOn(day(*d))),
            K::SavedSince(d) => Node::Meta(MetaTest::SavedSince(day(*d))),
            // Every mailbox keeps save dates (rows older than them compare
            // their internal date), so it matches every message (RFC 8514
            // §4.3).
            K::SaveDateSupported => Node::Const(true),
            // RFC 5032: OLDER n is at least n seconds ago, YOUNGER n less;
            // the two split the mailbox.
            K::Older(n) => Node::Meta(MetaTest::Arrived {
                from: None,
                until: Some(self.now - i64::from(n.get()) + 1),
            }),
            K::Younger(n) => Node::Meta(MetaTest::Arrived {
                from: Some(self.now - i64::from(n.get()) + 1),
                until: None,
            }),
            // Hadron keeps one mod-sequence per message: the per-flag
            // entry RFC 7162 allows is accepted and ignored (§3.1.5 lets
            // a server do so).
            K::ModSeq { modseq, .. } => Node::Meta(MetaTest::ModSeq(*modseq)),
            K::From(s) => self.header("From", s)?,
            K::To(s) => self.header("To", s)?,
            K::Cc(s) => self.header("Cc", s)?,
            K::Bcc(s) => self.header("Bcc", s)?,
            K::Subject(s) => self.header("Subject", s)?,
            K::Header(name, s) => {
                let name = self.charset.decode(name.as_bytes())?;
                self.header(name, s)?
            }
            K::EmailId(id) => match crate::objectid::content_hash_of(id.as_str()) {
                Some(hash) => Node::Object(ObjectKey::Content(hash.to_owned())),
                // Not an id Hadron gives: no message has it.
                None => Node::Const(false),
            },
            K::ThreadId(id) => Node::Object(ObjectKey::Thread(id.as_str().to_owned())),
            K::Body(s) => Node::Body(self.text(s)?),
            K::Text(s) => Node::Text(self.text(s)?),
            K::Not(k) => match self.compile(k)? {
                Node::Const(b) => Node::Const(!b),
                Node::Not(inner) => *inner,
                n => Node::Not(Box::new(n)),
            },
            K::Or(a, b) => {
                let (a, b) = (self.compile(a)?, self.compile(b)?);
                match (a, b) {
                    (Node::Const(true), _) | (_, Node::Const(true)) => Node::Const(true),
                    (Node::Const(false), n) | (n, Node::Const(false)) => n,
                    // Cheaper side first: the other is asked only about
                    // the messages the first did not match.
                    (a, b) if b.cost() < a.cost() => Node::Or(Box::new(b), Box::new(a)),
                    (a, b) => Node::Or(Box::new(a), Box::new(b)),
                }
            }
            K::And(keys) => self.plan(keys)?,
        })
    }

    /// A set of sequence numbers. Numbers past the end name no message:
    /// for SEARCH that is a key that matches nothing there, not an error
    /// (unlike FETCH; RFC 3501 §6.4.4 gives no error case).
    fn seqs(&self, set: &SequenceSet) -> Vec<RangeInclusive<u32>> {
        if set.is_saved() {
            return self.saved();
        }
        let len = self.snapshot.len();
        set.normalized(len)
            .into_iter()
            .filter_map(|r| {
                let lo = (*r.start()).max(1);
                let hi = (*r.end()).min(len);
                (lo <= hi).then_some(lo..=hi)
            })
            .collect()
    }

    /// A set of UIDs, as sequence numbers; `n:*` with `n` above the
    /// highest UID names the last message (RFC 3501 §6.4.8).
    fn uids(&self, set: &SequenceSet) -> Vec<RangeInclusive<u32>> {
        if set.is_saved() {
            return self.saved();
        }
        match self.snapshot.resolve_uids(set) {
            Ok(r) => r.ranges().to_vec(),
            Err(_) => Vec::new(),
        }
    }

    /// `$`: the saved UIDs still in the snapshot.
    fn saved(&self) -> Vec<RangeInclusive<u32>> {
        let mut out: Vec<RangeInclusive<u32>> = Vec::new();
        let mut seqs: Vec<u32> = self
            .saved
            .unwrap_or(&[])
            .iter()
            .filter_map(|&uid| self.snapshot.seq(uid))
            .collect();
        seqs.sort_unstable();
        for s in seqs {
            match out.last_mut() {
                Some(last) if s <= last.end().saturating_add(1) => {
                    *last = *last.start()..=s.max(*last.end());
                }
                _ => out.push(s..=s),
            }
        }
        out
    }
}

/// The conjunction of `nodes`: flattened, constants folded, ordered
/// cheapest first (stable, so equal costs keep the client's order).
fn and(nodes: Vec<Node>) -> Node {
    let mut flat = Vec::with_capacity(nodes.len());
    for node in nodes {
        match node {
            Node::Const(true) => {}
            Node::Const(false) => return Node::Const(false),
            Node::And(inner) => flat.extend(inner),
            n => flat.push(n),
        }
    }
    match flat.len() {
        0 => Node::Const(true),
        1 => flat.pop().expect("one node"),
        _ => {
            flat.sort_by_key(Node::cost);
            Node::And(flat)
        }
    }
}
