//! The evaluator: a compiled [`Node`] tree applied to candidate sets.
//!
//! Every node is evaluated against a set of candidates (positions in the
//! snapshot) and returns the subset that matches. `AND` narrows the set
//! child by child, cheapest first; `OR` asks its second child only about
//! the candidates its first did not match; `NOT` is the candidates minus
//! what its child matched. Since every key is a predicate on one message,
//! this gives exactly the result of testing each key on each message, while
//! the source is asked only about messages that are still candidates.

use std::collections::HashMap;

use super::SearchError;
use super::plan::{MetaTest, Node};
use super::source::{IndexedKey, MessageSource, TextMatches, TextScope};
use super::text::Needle;
use crate::flags::SystemFlags;
use crate::snapshot::Snapshot;

/// How many UIDs one [`MessageSource::metadata`] call asks about.
pub(crate) const META_BATCH: usize = 4096;

/// A set of snapshot positions (sequence number − 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    len: usize,
}

impl Bitset {
    pub(crate) fn empty(len: usize) -> Bitset {
        Bitset {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub(crate) fn full(len: usize) -> Bitset {
        let mut set = Bitset {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        if !len.is_multiple_of(64)
            && let Some(last) = set.words.last_mut()
        {
            *last = (1u64 << (len % 64)) - 1;
        }
        set
    }

    pub(crate) fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub(crate) fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// `self ∖ other`
    pub(crate) fn difference(&self, other: &Bitset) -> Bitset {
        Bitset {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & !b)
                .collect(),
            len: self.len,
        }
    }

    /// `self ∪= other`
    pub(crate) fn union_with(&mut self, other: &Bitset) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// The members, ascending.
    pub(crate) fn iter(&self) -> Ones<'_> {
        Ones {
            words: &self.words,
            next_word: 0,
            base: 0,
            bits: 0,
        }
    }

    /// The members for which `keep` holds.
    fn filter(&self, mut keep: impl FnMut(usize) -> bool) -> Bitset {
        match self.try_filter(|i| Ok::<_, std::convert::Infallible>(keep(i))) {
            Ok(set) => set,
            Err(never) => match never {},
        }
    }

    /// The members for which `keep` holds; stops at the first error.
    fn try_filter<E>(&self, mut keep: impl FnMut(usize) -> Result<bool, E>) -> Result<Bitset, E> {
        let mut out = Bitset::empty(self.len);
        for (w, &word) in self.words.iter().enumerate() {
            let mut bits = word;
            let mut kept = 0u64;
            while bits != 0 {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                if keep(w * 64 + b as usize)? {
                    kept |= 1 << b;
                }
            }
            out.words[w] = kept;
        }
        Ok(out)
    }
}

/// The members of a [`Bitset`], ascending.
pub(crate) struct Ones<'a> {
    words: &'a [u64],
    next_word: usize,
    base: usize,
    bits: u64,
}

impl Iterator for Ones<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.bits = *self.words.get(self.next_word)?;
            self.base = self.next_word * 64;
            self.next_word += 1;
        }
        let b = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(self.base + b)
    }
}

/// Metadata as the evaluator keeps it: dates as day numbers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Meta {
    size: u32,
    internal_day: i32,
    /// The internal date, Unix seconds.
    internal_secs: i64,
    /// `i32::MIN` when the message has no usable `Date:` header.
    sent_day: i32,
    /// [`super::MessageMeta::saved_day`].
    saved_day: i32,
    pub(crate) modseq: u64,
}

const NO_DAY: i32 = i32::MIN;

/// Candidates from which a metadata key is always asked of the source's
/// index ([`MessageSource::indexed`]) rather than per message; below, only
/// when they are at least a quarter of the mailbox.
const INDEXED_MIN_CANDIDATES: usize = 1024;

impl MetaTest {
    /// The key as a source index may answer it, if one can.
    fn indexed_key(self) -> Option<IndexedKey> {
        let days = |first, last| Some(IndexedKey::InternalDays { first, last });
        let sent = |first, last| Some(IndexedKey::SentDays { first, last });
        let saved = |first, last| Some(IndexedKey::SavedDays { first, last });
        match self {
            MetaTest::Larger(n) => Some(IndexedKey::Size {
                min: n.checked_add(1)?,
                max: u32::MAX,
            }),
            MetaTest::Smaller(n) => Some(IndexedKey::Size {
                min: 0,
                max: n.checked_sub(1)?,
            }),
            MetaTest::Before(d) => days(None, Some(d.checked_sub(1)?)),
            MetaTest::On(d) => days(Some(d), Some(d)),
            MetaTest::Since(d) => days(Some(d), None),
            MetaTest::SentBefore(d) => sent(None, Some(d.checked_sub(1)?)),
            MetaTest::SentOn(d) => sent(Some(d), Some(d)),
            MetaTest::SentSince(d) => sent(Some(d), None),
            MetaTest::SavedBefore(d) => saved(None, Some(d.checked_sub(1)?)),
            MetaTest::SavedOn(d) => saved(Some(d), Some(d)),
            MetaTest::SavedSince(d) => saved(Some(d), None),
            MetaTest::ModSeq(_) => None,
            MetaTest::Arrived { from, until } => Some(IndexedKey::InternalSeconds { from, until }),
        }
    }

    fn matches(self, m: &Meta) -> bool {
        match self {
            MetaTest::Larger(n) => m.size > n,
            MetaTest::Smaller(n) => m.size < n,
            MetaTest::Before(d) => m.internal_day < d,
            MetaTest::On(d) => m.internal_day == d,
            MetaTest::Since(d) => m.internal_day >= d,
            MetaTest::SentBefore(d) => m.sent_day != NO_DAY && m.sent_day < d,
            MetaTest::SentOn(d) => m.sent_day != NO_DAY && m.sent_day == d,
            MetaTest::SentSince(d) => m.sent_day != NO_DAY && m.sent_day >= d,
            MetaTest::SavedBefore(d) => m.saved_day < d,
            MetaTest::SavedOn(d) => m.saved_day == d,
            MetaTest::SavedSince(d) => m.saved_day >= d,
            MetaTest::ModSeq(n) => m.modseq >= n,
            MetaTest::Arrived { from, until } => {
                from.is_none_or(|f| m.internal_secs >= f)
                    && until.is_none_or(|u| m.internal_secs < u)
            }
        }
    }
}

/// Metadata loaded so far, by position: a hash map while few messages
/// are needed (`UID 500000:* LARGER 10` on a big mailbox), an array once
/// more than one in [`DENSE_FRACTION`] are.
#[derive(Debug)]
enum MetaCache {
    Sparse(HashMap<usize, Meta>),
    Dense(Vec<Meta>),
}

/// Above `len / DENSE_FRACTION` entries the cache becomes an array.
const DENSE_FRACTION: usize = 16;

impl MetaCache {
    fn get(&self, i: usize) -> &Meta {
        match self {
            MetaCache::Sparse(map) => &map[&i],
            MetaCache::Dense(v) => &v[i],
        }
    }

    /// Makes room for `more` entries among `len` messages.
    fn reserve(&mut self, more: usize, len: usize) {
        if let MetaCache::Sparse(map) = self
            && map.len() + more > len / DENSE_FRACTION
        {
            let mut dense = vec![Meta::default(); len];
            for (&i, m) in map.iter() {
                dense[i] = *m;
            }
            *self = MetaCache::Dense(dense);
        }
    }

    fn insert(&mut self, i: usize, m: Meta) {
        match self {
            MetaCache::Sparse(map) => {
                map.insert(i, m);
            }
            MetaCache::Dense(v) => v[i] = m,
        }
    }
}

/// Per-search state: the snapshot, the source, what was fetched.
pub(crate) struct Evaluator<'a, S: MessageSource + ?Sized> {
    snapshot: &'a Snapshot,
    source: &'a S,
    /// Metadata by position, valid where `have` is set.
    meta: MetaCache,
    /// Which positions `meta` holds; allocated at the first metadata key.
    have: Option<Bitset>,
    scratch: String,
}

impl<'a, S: MessageSource + ?Sized> Evaluator<'a, S> {
    pub(crate) fn new(snapshot: &'a Snapshot, source: &'a S) -> Self {
        Evaluator {
            snapshot,
            source,
            meta: MetaCache::Sparse(HashMap::new()),
            have: None,
            scratch: String::new(),
        }
    }

    fn uid(&self, i: usize) -> u32 {
        self.snapshot.uids()[i]
    }

    /// The members of `cand` that match `node`.
    pub(crate) fn eval(&mut self, node: &Node, cand: &Bitset) -> Result<Bitset, SearchError> {
        if cand.is_empty() {
            return Ok(cand.clone());
        }
        let snap = self.snapshot;
        Ok(match node {
            Node::Const(true) => cand.clone(),
            Node::Const(false) => Bitset::empty(cand.len),
            Node::System { flag, set } => cand.filter(|i| {
                let m = snap.get(i as u32 + 1).expect("position in snapshot");
                m.system.contains(*flag) == *set
            }),
            Node::Recent(set) => cand.filter(|i| snap.is_recent(i as u32 + 1) == *set),
            Node::New => cand.filter(|i| {
                let m = snap.get(i as u32 + 1).expect("position in snapshot");
                m.recent && !m.system.contains(SystemFlags::SEEN)
            }),
            Node::Keyword { flag, set } => cand.filter(|i| {
                let m = snap.get(i as u32 + 1).expect("position in snapshot");
                crate::flags::keyword_in(m.keywords, flag) == *set
            }),
            Node::Seqs(ranges) => {
                let mut out = Bitset::empty(cand.len);
                for r in ranges {
                    for seq in r.clone() {
                        let i = seq as usize - 1;
                        if cand.contains(i) {
                            out.insert(i);
                        }
                    }
                }
                out
            }
            Node::Meta(test) => {
                if self.worth_an_index(cand)
                    && let Some(key) = test.indexed_key()
                    && let Some(found) = self.source.indexed(key)
                {
                    return self.index_matches(&found.map_err(SearchError::Source)?, *test, cand);
                }
                self.fetch_meta(cand)?;
                let meta = &self.meta;
                cand.filter(|i| test.matches(meta.get(i)))
            }
            Node::Object(key) => {
                let found = self
                    .source
                    .with_object_id(key)
                    .map_err(SearchError::Source)?;
                cand.filter(|i| found.binary_search(&snap.uids()[i]).is_ok())
            }
            Node::Header { name, needle } => {
                if !needle.is_empty()
                    && self.worth_an_index(cand)
                    && let Some(found) = self.source.header_candidates(name, needle.folded())
                {
                    return self.header_matches(
                        &found.map_err(SearchError::Source)?,
                        name,
                        needle,
                        cand,
                    );
                }
                let (source, scratch) = (self.source, &mut self.scratch);
                cand.try_filter(|i| {
                    let values = source
                        .header_values(snap.uids()[i], name)
                        .map_err(SearchError::Source)?;
                    Ok::<_, SearchError>(if needle.is_empty() {
                        !values.is_empty()
                    } else {
                        values.iter().any(|v| needle.is_in(v, scratch))
                    })
                })?
            }
            // Every message has a body (if empty) and a header: the empty
            // string is in both, without reading either.
            Node::Body(needle) | Node::Text(needle) if needle.is_empty() => cand.clone(),
            Node::Body(needle) | Node::Text(needle) => {
                let scope = match node {
                    Node::Body(_) => TextScope::Body,
                    _ => TextScope::HeaderOrBody,
                };
                if self.worth_an_index(cand)
                    && let Some(found) = self.source.text_matches(scope, needle.folded())
                {
                    return self.text_index_matches(
                        &found.map_err(SearchError::Source)?,
                        scope,
                        needle,
                        cand,
                    );
                }
                let (source, scratch) = (self.source, &mut self.scratch);
                cand.try_filter(|i| text_in(source, snap.uids()[i], scope, needle, scratch))?
            }
            Node::Not(inner) => {
                let matched = self.eval(inner, cand)?;
                cand.difference(&matched)
            }
            Node::And(nodes) => {
                let mut cur = cand.clone();
                for n in nodes {
                    if cur.is_empty() {
                        break;
                    }
                    cur = self.eval(n, &cur)?;
                }
                cur
            }
            Node::Or(a, b) => {
                let mut matched = self.eval(a, cand)?;
                let rest = cand.difference(&matched);
                if !rest.is_empty() {
                    matched.union_with(&self.eval(b, &rest)?);
                }
                matched
            }
        })
    }

    /// Whether to ask the source's index for the whole mailbox rather than
    /// each candidate: for many candidates, or a good part of the mailbox.
    fn worth_an_index(&self, cand: &Bitset) -> bool {
        let count = cand.count();
        count >= INDEXED_MIN_CANDIDATES || count >= cand.len.div_ceil(4)
    }

    /// The positions of `cand` that the pending expunges (messages the
    /// source may no longer store) occupy.
    fn pending_in(&self, cand: &Bitset) -> Bitset {
        let uids = self.snapshot.uids();
        let mut gone = Bitset::empty(cand.len);
        for uid in self.snapshot.pending_expunges() {
            if let Ok(i) = uids.binary_search(&uid)
                && cand.contains(i)
            {
                gone.insert(i);
            }
        }
        gone
    }

    /// The members of `cand` whose field `name` contains `needle`, given
    /// the source's narrowed `found` (ascending UIDs with their values),
    /// plus those pending expunge, read one by one.
    fn header_matches(
        &mut self,
        found: &[(u32, Vec<String>)],
        name: &str,
        needle: &super::text::Needle,
        cand: &Bitset,
    ) -> Result<Bitset, SearchError> {
        let uids = self.snapshot.uids();
        let mut out = Bitset::empty(cand.len);
        let mut at = 0;
        for (uid, values) in found {
            at += uids[at..].partition_point(|u| u < uid);
            if uids.get(at) == Some(uid)
                && cand.contains(at)
                && values.iter().any(|v| needle.is_in(v, &mut self.scratch))
            {
                out.insert(at);
            }
        }
        for i in self.pending_in(cand).iter() {
            let values = self
                .source
                .header_values(uids[i], name)
                .map_err(SearchError::Source)?;
            if values.iter().any(|v| needle.is_in(v, &mut self.scratch)) {
                out.insert(i);
            }
        }
        Ok(out)
    }

    /// The members of `cand` whose text in `scope` contains `needle`, given
    /// the source's full-text index answer: its `found`, plus those it does
    /// not hold and those pending expunge, read one by one.
    fn text_index_matches(
        &mut self,
        matches: &TextMatches,
        scope: TextScope,
        needle: &Needle,
        cand: &Bitset,
    ) -> Result<Bitset, SearchError> {
        let uids = self.snapshot.uids();
        let mut out = Bitset::empty(cand.len);
        mark_members(uids, &matches.found, cand, &mut out);
        let mut unknown = self.pending_in(cand);
        mark_members(uids, &matches.unindexed, cand, &mut unknown);
        for i in unknown.difference(&out).iter() {
            if text_in(self.source, uids[i], scope, needle, &mut self.scratch)? {
                out.insert(i);
            }
        }
        Ok(out)
    }

    /// The members of `cand` among `found` (the source index's answer for
    /// `test`, ascending UIDs), plus those the source no longer stores
    /// (pending expunge here) that match `test` by their metadata.
    fn index_matches(
        &mut self,
        found: &[u32],
        test: MetaTest,
        cand: &Bitset,
    ) -> Result<Bitset, SearchError> {
        let mut out = Bitset::empty(cand.len);
        mark_members(self.snapshot.uids(), found, cand, &mut out);
        let gone = self.pending_in(cand);
        if !gone.is_empty() {
            self.fetch_meta(&gone)?;
            for i in gone.iter() {
                if test.matches(self.meta.get(i)) {
                    out.insert(i);
                }
            }
        }
        Ok(out)
    }

    /// Makes sure the metadata of every member of `cand` is loaded,
    /// asking the source in batches for the ones that are not.
    pub(crate) fn fetch_meta(&mut self, cand: &Bitset) -> Result<(), SearchError> {
        let have = self.have.get_or_insert_with(|| Bitset::empty(cand.len));
        let missing = cand.difference(have);
        self.meta.reserve(missing.count(), cand.len);
        let mut positions = Vec::with_capacity(META_BATCH);
        let mut uids = Vec::with_capacity(META_BATCH);
        let mut members = missing.iter().peekable();
        while members.peek().is_some() {
            positions.clear();
            uids.clear();
            for i in members.by_ref().take(META_BATCH) {
                positions.push(i);
                uids.push(self.snapshot.uids()[i]);
            }
            let got = self.source.metadata(&uids).map_err(SearchError::Source)?;
            if got.len() != uids.len() {
                return Err(SearchError::SourceMismatch {
                    asked: uids.len(),
                    got: got.len(),
                });
            }
            let have = self.have.as_mut().expect("allocated above");
            for (&i, m) in positions.iter().zip(got) {
                let meta = Meta {
                    size: m.size,
                    internal_day: m.internal_date.date().days_since_epoch() as i32,
                    internal_secs: m.internal_date.to_unix(),
                    sent_day: m.sent_date.map_or(NO_DAY, |d| d.days_since_epoch() as i32),
                    saved_day: m.saved_day().days_since_epoch() as i32,
                    modseq: m.modseq,
                };
                self.meta.insert(i, meta);
                have.insert(i);
            }
        }
        Ok(())
    }

    /// The highest mod-sequence among `matches` (loading what is missing).
    pub(crate) fn highest_modseq(&mut self, matches: &Bitset) -> Result<Option<u64>, SearchError> {
        if matches.is_empty() {
            return Ok(None);
        }
        self.fetch_meta(matches)?;
        Ok(matches.iter().map(|i| self.meta.get(i).modseq).max())
    }

    /// Sequence numbers or UIDs of `matches`, ascending.
    pub(crate) fn numbers(&self, matches: &Bitset, uids: bool) -> Vec<u32> {
        let mut out = Vec::with_capacity(matches.count());
        if uids {
            out.extend(matches.iter().map(|i| self.uid(i)));
        } else {
            out.extend(matches.iter().map(|i| i as u32 + 1));
        }
        out
    }
}

/// Inserts into `into` the positions in `uids` (the snapshot's, ascending)
/// of the UIDs of `list` (ascending) that are members of `cand`: one merge
/// walk.
fn mark_members(uids: &[u32], list: &[u32], cand: &Bitset, into: &mut Bitset) {
    let mut at = 0;
    for uid in list {
        at += uids[at..].partition_point(|u| u < uid);
        if uids.get(at) == Some(uid) && cand.contains(at) {
            into.insert(at);
        }
    }
}

/// Whether the text of message `uid` in `scope` contains `needle`, read
/// from the source (the header first: it is shorter).
fn text_in<S: MessageSource + ?Sized>(
    source: &S,
    uid: u32,
    scope: TextScope,
    needle: &Needle,
    scratch: &mut String,
) -> Result<bool, SearchError> {
    if scope == TextScope::HeaderOrBody {
        let header = source.header_text(uid).map_err(SearchError::Source)?;
        if needle.is_in(&header, scratch) {
            return Ok(true);
        }
    }
    let body = source.body_text(uid).map_err(SearchError::Source)?;
    Ok(needle.is_in(&body, scratch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitset_edges() {
        for len in [0usize, 1, 63, 64, 65, 128, 130] {
            let full = Bitset::full(len);
            assert_eq!(full.count(), len, "{len}");
            assert_eq!(
                full.iter().collect::<Vec<_>>(),
                (0..len).collect::<Vec<_>>()
            );
            assert_eq!(full.is_empty(), len == 0);
            let odd = full.filter(|i| i % 2 == 1);
            assert_eq!(odd.count(), len / 2);
            let even = full.difference(&odd);
            assert!(even.iter().all(|i| i % 2 == 0));
            let mut union = even.clone();
            union.union_with(&odd);
            assert_eq!(union, full);
            assert!(Bitset::empty(len).is_empty());
        }
        let mut s = Bitset::empty(200);
        for i in [0, 63, 64, 127, 199] {
            s.insert(i);
        }
        assert!(s.contains(64) && !s.contains(65));
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 63, 64, 127, 199]);
    }
}
