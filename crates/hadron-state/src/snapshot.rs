//! A session's view of its selected mailbox.
//!
//! A [`Snapshot`] is the ordered list of messages a session has been told
//! about: for each, its UID, its flags, whether it is `\Recent` for this
//! session, and whether it has been expunged elsewhere without the session
//! having been told yet ("pending expunge"). The sequence number of a
//! message is its position plus one.
//!
//! The layout is struct-of-arrays: a `Vec<u32>` of UIDs, a `Vec<u8>` of
//! flag bits (five system flags, `\Recent`, pending expunge) and a
//! `Vec<u32>` keyword-set id, interned per snapshot. That is 9 bytes per
//! message plus one copy of each distinct keyword combination
//! ([`Snapshot::heap_bytes`]).
//!
//! Each array is shared between clones and copied on its first change
//! (`Arc::make_mut`): a SELECT that copies a mailbox's shared index costs
//! a few reference counts, not 9 bytes per message, and a session pays
//! for an array of its own only once something it shows changes — a flag
//! change copies the flag bytes (plus the keyword ids when keywords
//! changed), a new or expunged message all three.

use std::collections::{BTreeSet, HashMap};
use std::ops::RangeInclusive;
use std::sync::Arc;

use hadron_proto::types::{Flag, SequenceSet};

use crate::flags::{FlagSet, SystemFlags};

/// Bit in the per-message flag byte: `\Recent` for this session.
const RECENT: u8 = 1 << 5;
/// Bit in the per-message flag byte: expunged elsewhere, not yet told.
const PENDING_EXPUNGE: u8 = 1 << 6;

/// Why a snapshot could not be built or extended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// UIDs must strictly increase (RFC 3501 §2.3.1.1); `uid` came after
    /// `previous`.
    #[error("UID {uid} does not follow UID {previous}: UIDs must strictly increase")]
    UidNotIncreasing {
        /// The highest UID already present.
        previous: u32,
        /// The offending UID.
        uid: u32,
    },
    /// UID 0 is not a valid UID.
    #[error("UID 0 is not valid")]
    ZeroUid,
    /// The mailbox would exceed `u32::MAX` messages.
    #[error("too many messages for one mailbox")]
    TooManyMessages,
}

/// Why a sequence set could not be resolved against a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A message sequence number above the number of messages (RFC 3501
    /// §9: an error for sequence numbers, never for UIDs).
    #[error("no message with sequence number {0}")]
    NoSuchMessage(u32),
    /// `$` must be replaced by the saved search result before resolving.
    #[error("the saved search result `$` must be resolved by the caller")]
    SavedResult,
}

/// Distinct keyword sets of one snapshot, each stored once. Id 0 is the
/// empty set.
#[derive(Debug, Clone)]
struct KeywordSets {
    sets: Vec<Arc<BTreeSet<Flag<'static>>>>,
    ids: HashMap<Arc<BTreeSet<Flag<'static>>>, u32>,
}

impl Default for KeywordSets {
    fn default() -> Self {
        let empty = Arc::new(BTreeSet::new());
        KeywordSets {
            sets: vec![empty.clone()],
            ids: HashMap::from([(empty, 0)]),
        }
    }
}

impl KeywordSets {
    fn intern(&mut self, keywords: &BTreeSet<Flag<'static>>) -> u32 {
        if keywords.is_empty() {
            return 0;
        }
        if let Some(&id) = self.ids.get(keywords) {
            return id;
        }
        let id = u32::try_from(self.sets.len()).expect("fewer than 2^32 keyword sets");
        let set = Arc::new(keywords.clone());
        self.sets.push(set.clone());
        self.ids.insert(set, id);
        id
    }

    fn len(&self) -> usize {
        self.sets.len()
    }

    /// Keeps only the sets whose ids `used` marks; returns the old → new
    /// id mapping.
    fn retain(&mut self, used: &[bool]) -> Vec<u32> {
        let mut map = vec![0; self.sets.len()];
        let old = std::mem::take(&mut self.sets);
        self.ids.clear();
        for (id, set) in old.into_iter().enumerate() {
            if id == 0 || used[id] {
                map[id] = self.sets.len() as u32;
                self.ids.insert(set.clone(), map[id]);
                self.sets.push(set);
            }
        }
        map
    }

    fn get(&self, id: u32) -> &BTreeSet<Flag<'static>> {
        &self.sets[id as usize]
    }

    fn heap_bytes(&self) -> usize {
        let per_set: usize = self
            .sets
            .iter()
            .map(|s| {
                s.iter()
                    .map(|f| std::mem::size_of_val(f) + f.to_string().len() + 16)
                    .sum::<usize>()
            })
            .sum();
        self.sets.capacity() * std::mem::size_of::<Arc<BTreeSet<Flag<'static>>>>()
            + self.ids.capacity() * (std::mem::size_of::<Arc<BTreeSet<Flag<'static>>>>() + 4)
            + per_set
    }
}

/// A set of message sequence numbers, as sorted, disjoint, non-adjacent
/// inclusive ranges. The result of resolving a [`SequenceSet`] against a
/// [`Snapshot`]; never materialises its members.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeqRanges(Vec<RangeInclusive<u32>>);

impl FromIterator<u32> for SeqRanges {
    /// Collects sequence numbers (any order, duplicates allowed; 0 is
    /// skipped).
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> SeqRanges {
        let mut seqs: Vec<u32> = iter.into_iter().filter(|&s| s > 0).collect();
        seqs.sort_unstable();
        let mut out = SeqRanges::default();
        for s in seqs {
            out.push(s..=s);
        }
        out
    }
}

impl SeqRanges {
    fn push(&mut self, range: RangeInclusive<u32>) {
        match self.0.last_mut() {
            Some(last) if *range.start() <= last.end().saturating_add(1) => {
                let end = (*last.end()).max(*range.end());
                *last = *last.start()..=end;
            }
            _ => self.0.push(range),
        }
    }

    /// The ranges, ascending.
    pub fn ranges(&self) -> &[RangeInclusive<u32>] {
        &self.0
    }

    /// The sequence numbers, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().cloned().flatten()
    }

    /// How many sequence numbers there are.
    pub fn count(&self) -> u64 {
        self.0
            .iter()
            .map(|r| u64::from(r.end() - r.start()) + 1)
            .sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `seq` is a member (O(log ranges)).
    pub fn contains(&self, seq: u32) -> bool {
        let i = self.0.partition_point(|r| *r.end() < seq);
        self.0.get(i).is_some_and(|r| r.contains(&seq))
    }
}

/// One message of a snapshot, as returned by [`Snapshot::get`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView<'a> {
    /// Its UID.
    pub uid: u32,
    /// Its system flags.
    pub system: SystemFlags,
    /// Its keywords.
    pub keywords: &'a BTreeSet<Flag<'static>>,
    /// Whether it is `\Recent` for this session.
    pub recent: bool,
    /// Whether it was expunged elsewhere and the session has not been told:
    /// answer FETCH from last known data and add `[EXPUNGEISSUED]`.
    pub pending_expunge: bool,
}

impl MessageView<'_> {
    /// Its flags as an owned set (without `\Recent`).
    pub fn flags(&self) -> FlagSet {
        FlagSet {
            system: self.system,
            keywords: self.keywords.clone(),
        }
    }
}

/// A session's view of a selected mailbox; see the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    uids: Arc<Vec<u32>>,
    bits: Arc<Vec<u8>>,
    keyword_ids: Arc<Vec<u32>>,
    keyword_sets: Arc<KeywordSets>,
    compact_keywords_at: usize,
    /// Every keyword any message of this snapshot has carried, in the
    /// order first met (never shrinks: the mailbox's defined flags).
    defined: Vec<Flag<'static>>,
    recent: u32,
    pending: u32,
    /// The highest mod-sequence of the changes this snapshot reflects
    /// (CONDSTORE); 0 when unknown.
    modseq: u64,
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// Builds a snapshot in one pass from `(uid, flags)` in ascending UID
    /// order. No message is `\Recent`; see [`Snapshot::set_recent_from`].
    pub fn from_messages<I>(messages: I) -> Result<Snapshot, SnapshotError>
    where
        I: IntoIterator<Item = (u32, FlagSet)>,
    {
        let messages = messages.into_iter();
        let mut snapshot = Snapshot::new();
        let (lower, _) = messages.size_hint();
        snapshot.reserve(lower);
        for (uid, flags) in messages {
            snapshot.push(uid, &flags, false)?;
        }
        Ok(snapshot)
    }

    /// Reserves room for `additional` more messages (in the arrays this
    /// snapshot does not share with a clone; a shared one is copied by the
    /// next change anyway).
    pub fn reserve(&mut self, additional: usize) {
        if let Some(v) = Arc::get_mut(&mut self.uids) {
            v.reserve(additional);
        }
        if let Some(v) = Arc::get_mut(&mut self.bits) {
            v.reserve(additional);
        }
        if let Some(v) = Arc::get_mut(&mut self.keyword_ids) {
            v.reserve(additional);
        }
    }

    /// Appends a message; its UID must exceed every UID present. Returns
    /// its sequence number.
    pub fn push(&mut self, uid: u32, flags: &FlagSet, recent: bool) -> Result<u32, SnapshotError> {
        if uid == 0 {
            return Err(SnapshotError::ZeroUid);
        }
        let previous = self.max_uid();
        if uid <= previous {
            return Err(SnapshotError::UidNotIncreasing { previous, uid });
        }
        let seq = u32::try_from(self.uids.len() + 1).map_err(|_| SnapshotError::TooManyMessages)?;
        let id = self.intern(&flags.keywords);
        Arc::make_mut(&mut self.uids).push(uid);
        Arc::make_mut(&mut self.bits).push(flags.system.bits() | if recent { RECENT } else { 0 });
        Arc::make_mut(&mut self.keyword_ids).push(id);
        self.recent += u32::from(recent);
        Ok(seq)
    }

    /// The highest mod-sequence among the changes this snapshot reflects
    /// (CONDSTORE, RFC 7162); 0 when unknown. Every change with a lower
    /// mod-sequence is reflected too, as updates apply in commit order.
    pub fn modseq(&self) -> u64 {
        self.modseq
    }

    /// Records that the snapshot reflects a change of mod-sequence
    /// `modseq` (and everything before it); never moves backwards.
    pub fn note_modseq(&mut self, modseq: u64) {
        self.modseq = self.modseq.max(modseq);
    }

    /// Number of messages (the session's `EXISTS`).
    pub fn len(&self) -> u32 {
        self.uids.len() as u32
    }

    /// Whether there are no messages.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// The highest UID, or 0 when empty.
    pub fn max_uid(&self) -> u32 {
        self.uids.last().copied().unwrap_or(0)
    }

    /// Number of messages that are `\Recent` for this session.
    pub fn recent_count(&self) -> u32 {
        self.recent
    }

    /// Number of messages expunged elsewhere that the session has not been
    /// told about.
    pub fn pending_expunge_count(&self) -> u32 {
        self.pending
    }

    fn index(&self, seq: u32) -> Option<usize> {
        let i = (seq as usize).checked_sub(1)?;
        (i < self.uids.len()).then_some(i)
    }

    /// The UID of sequence number `seq` (O(1)).
    pub fn uid(&self, seq: u32) -> Option<u32> {
        self.index(seq).map(|i| self.uids[i])
    }

    /// The sequence number of `uid` (O(log n)).
    pub fn seq(&self, uid: u32) -> Option<u32> {
        self.uids.binary_search(&uid).ok().map(|i| i as u32 + 1)
    }

    /// The sequence number of `uid`, trying `hint` (a sequence number)
    /// first: O(1) when walking UIDs in ascending order, O(log n) else.
    pub fn seq_near(&self, uid: u32, hint: u32) -> Option<u32> {
        match self.index(hint) {
            Some(i) if self.uids[i] == uid => Some(hint),
            _ => self.seq(uid),
        }
    }

    /// Everything known about sequence number `seq`.
    pub fn get(&self, seq: u32) -> Option<MessageView<'_>> {
        let i = self.index(seq)?;
        let bits = self.bits[i];
        Some(MessageView {
            uid: self.uids[i],
            system: SystemFlags::from_bits_truncate(bits),
            keywords: self.keyword_sets.get(self.keyword_ids[i]),
            recent: bits & RECENT != 0,
            pending_expunge: bits & PENDING_EXPUNGE != 0,
        })
    }

    /// The flags of `seq` (without `\Recent`).
    pub fn flags(&self, seq: u32) -> Option<FlagSet> {
        self.get(seq).map(|m| m.flags())
    }

    /// Whether `seq` is `\Recent` for this session.
    pub fn is_recent(&self, seq: u32) -> bool {
        self.index(seq).is_some_and(|i| self.bits[i] & RECENT != 0)
    }

    /// Whether `seq` was expunged elsewhere without the session being told.
    pub fn is_pending_expunge(&self, seq: u32) -> bool {
        self.index(seq)
            .is_some_and(|i| self.bits[i] & PENDING_EXPUNGE != 0)
    }

    /// UIDs of messages expunged elsewhere that this session still shows:
    /// their content must stay readable (deferred deletion, DESIGN.md §2)
    /// until the session is told or closes. O(n).
    pub fn pending_expunges(&self) -> impl Iterator<Item = u32> + '_ {
        self.uids
            .iter()
            .zip(self.bits.iter())
            .filter(|(_, b)| **b & PENDING_EXPUNGE != 0)
            .map(|(u, _)| *u)
    }

    /// All messages in sequence order.
    pub fn iter(&self) -> impl Iterator<Item = MessageView<'_>> + '_ {
        (1..=self.len()).filter_map(|seq| self.get(seq))
    }

    /// Every keyword a message of this snapshot has carried since it was
    /// built, in the order first met: the mailbox's defined keywords for
    /// the `FLAGS` response (RFC 3501 §7.2.6). It only grows, so a caller
    /// that announced the first `n` need only compare the length. O(1).
    pub fn defined_keywords(&self) -> &[Flag<'static>] {
        &self.defined
    }

    /// All UIDs in sequence order.
    pub fn uids(&self) -> &[u32] {
        &self.uids
    }

    /// Replaces the flags of `seq`; returns whether they changed.
    pub fn set_flags(&mut self, seq: u32, flags: &FlagSet) -> bool {
        let Some(i) = self.index(seq) else {
            return false;
        };
        let id = self.intern(&flags.keywords);
        let bits = (self.bits[i] & !SystemFlags::ALL.bits()) | flags.system.bits();
        let mut changed = false;
        if bits != self.bits[i] {
            Arc::make_mut(&mut self.bits)[i] = bits;
            changed = true;
        }
        if id != self.keyword_ids[i] {
            Arc::make_mut(&mut self.keyword_ids)[i] = id;
            changed = true;
        }
        changed
    }

    /// Interns a keyword set; when the table has grown to twice its size
    /// after the last clean-up, drops the sets no message uses any more,
    /// so a long session storing ever new keyword combinations stays
    /// bounded (amortised O(1) per call).
    fn intern(&mut self, keywords: &BTreeSet<Flag<'static>>) -> u32 {
        if keywords.is_empty() {
            return 0;
        }
        if let Some(&id) = self.keyword_sets.ids.get(keywords) {
            return id;
        }
        let before = self.keyword_sets.len();
        let id = Arc::make_mut(&mut self.keyword_sets).intern(keywords);
        if self.keyword_sets.len() > before {
            // A combination not seen before may carry a new keyword.
            for k in keywords {
                if !self
                    .defined
                    .iter()
                    .any(|d| crate::flags::same_keyword(d, k))
                {
                    self.defined.push(k.clone());
                }
            }
        }
        if self.keyword_sets.len() > self.compact_keywords_at.max(64) {
            let mut used = vec![false; self.keyword_sets.len()];
            used[id as usize] = true;
            for &k in self.keyword_ids.iter() {
                used[k as usize] = true;
            }
            let map = Arc::make_mut(&mut self.keyword_sets).retain(&used);
            for k in Arc::make_mut(&mut self.keyword_ids) {
                *k = map[*k as usize];
            }
            self.compact_keywords_at = 2 * self.keyword_sets.len() + 64;
            return map[id as usize];
        }
        id
    }

    /// Marks every message with UID ≥ `uid` as `\Recent` for this session
    /// (at SELECT: the messages this session is the first to see).
    pub fn set_recent_from(&mut self, uid: u32) {
        let start = self.uids.partition_point(|&u| u < uid);
        if self.bits[start..].iter().all(|b| b & RECENT != 0) {
            return;
        }
        for bits in &mut Arc::make_mut(&mut self.bits)[start..] {
            if *bits & RECENT == 0 {
                *bits |= RECENT;
                self.recent += 1;
            }
        }
    }

    /// Marks the messages with these UIDs (ascending) as `\Recent` for this
    /// session; UIDs not present are ignored. O(k log n).
    pub fn set_recent(&mut self, uids: &[u32]) {
        let mut from = 0;
        for &uid in uids {
            let i = from + self.uids[from..].partition_point(|&u| u < uid);
            if self.uids.get(i) == Some(&uid) && self.bits[i] & RECENT == 0 {
                Arc::make_mut(&mut self.bits)[i] |= RECENT;
                self.recent += 1;
            }
            from = i;
        }
    }

    /// Marks the messages with these UIDs as expunged elsewhere; UIDs not
    /// present are ignored. O(k log n).
    pub fn mark_pending_expunge(&mut self, uids: &[u32]) {
        for &uid in uids {
            if let Ok(i) = self.uids.binary_search(&uid)
                && self.bits[i] & PENDING_EXPUNGE == 0
            {
                Arc::make_mut(&mut self.bits)[i] |= PENDING_EXPUNGE;
                self.pending += 1;
            }
        }
    }

    /// Removes the messages with these UIDs in one pass over the messages
    /// after the first one removed, whatever the number of UIDs. UIDs not
    /// present are ignored. Returns the removed messages' sequence numbers
    /// *before* removal, ascending.
    pub fn remove_uids(&mut self, uids: &[u32]) -> Vec<u32> {
        let sorted_storage;
        let del: &[u32] = if uids.is_sorted() {
            uids
        } else {
            let mut v = uids.to_vec();
            v.sort_unstable();
            sorted_storage = v;
            &sorted_storage
        };
        let Some(&first) = del.first() else {
            return Vec::new();
        };
        let start = self.uids.partition_point(|&u| u < first);
        // Nothing to remove: keep the arrays shared.
        if !del.iter().any(|u| self.uids.binary_search(u).is_ok()) {
            return Vec::new();
        }
        let (uids, bits, keyword_ids) = (
            Arc::make_mut(&mut self.uids),
            Arc::make_mut(&mut self.bits),
            Arc::make_mut(&mut self.keyword_ids),
        );
        let mut removed = Vec::new();
        let mut j = del.partition_point(|&u| u < uids.get(start).copied().unwrap_or(0));
        let mut w = start;
        for r in start..uids.len() {
            let uid = uids[r];
            while j < del.len() && del[j] < uid {
                j += 1;
            }
            if j < del.len() && del[j] == uid {
                j += 1;
                let b = bits[r];
                self.recent -= u32::from(b & RECENT != 0);
                self.pending -= u32::from(b & PENDING_EXPUNGE != 0);
                removed.push(r as u32 + 1);
                continue;
            }
            if w != r {
                uids[w] = uid;
                bits[w] = bits[r];
                keyword_ids[w] = keyword_ids[r];
            }
            w += 1;
        }
        uids.truncate(w);
        bits.truncate(w);
        keyword_ids.truncate(w);
        removed
    }

    /// Resolves a message-sequence-number set (FETCH, STORE, ...). `*` is
    /// the last message; a number above the count is an error
    /// ([`ResolveError::NoSuchMessage`]). `1:*` on an empty mailbox is an
    /// error too (there is no message 1); `*` alone is the empty set.
    pub fn resolve_seqs(&self, set: &SequenceSet) -> Result<SeqRanges, ResolveError> {
        if set.is_saved() {
            return Err(ResolveError::SavedResult);
        }
        let len = self.len();
        if let Some(n) = set.first_out_of_range(len) {
            return Err(ResolveError::NoSuchMessage(n));
        }
        let mut out = SeqRanges::default();
        for r in set.normalized(len) {
            let lo = (*r.start()).max(1);
            let hi = (*r.end()).min(len);
            if lo <= hi {
                out.push(lo..=hi);
            }
        }
        Ok(out)
    }

    /// Resolves a UID set (UID FETCH, UID STORE, ...) to the sequence
    /// numbers of the messages whose UIDs it contains. `*` is the highest
    /// UID, so `UID n:*` with `n` above it still names the last message
    /// (RFC 3501 §6.4.8). UIDs that do not exist are skipped, never an
    /// error. O(ranges · log n).
    pub fn resolve_uids(&self, set: &SequenceSet) -> Result<SeqRanges, ResolveError> {
        if set.is_saved() {
            return Err(ResolveError::SavedResult);
        }
        let mut out = SeqRanges::default();
        for r in set.normalized(self.max_uid()) {
            let lo = self.uids.partition_point(|&u| u < *r.start());
            let hi = self.uids.partition_point(|&u| u <= *r.end());
            if lo < hi {
                out.push(lo as u32 + 1..=hi as u32);
            }
        }
        Ok(out)
    }

    /// Heap bytes used, computed from capacities: the three per-message
    /// arrays plus the keyword-set table, shared with clones or not (see
    /// [`Snapshot::unshared_bytes`]).
    pub fn heap_bytes(&self) -> usize {
        self.per_message_bytes() + self.keyword_sets.heap_bytes()
    }

    /// Heap bytes of the per-message arrays alone (by capacity).
    pub fn per_message_bytes(&self) -> usize {
        self.uids.capacity() * size_of::<u32>()
            + self.bits.capacity() * size_of::<u8>()
            + self.keyword_ids.capacity() * size_of::<u32>()
    }

    /// Heap bytes of the per-message arrays this snapshot holds alone (not
    /// shared with a clone): what it costs beyond the snapshot it was
    /// copied from.
    pub fn unshared_bytes(&self) -> usize {
        fn alone<T>(v: &Arc<Vec<T>>) -> usize {
            if Arc::strong_count(v) == 1 {
                v.capacity() * size_of::<T>()
            } else {
                0
            }
        }
        alone(&self.uids) + alone(&self.bits) + alone(&self.keyword_ids)
    }

    /// Releases spare capacity (of the arrays not shared with a clone).
    pub fn shrink_to_fit(&mut self) {
        if let Some(v) = Arc::get_mut(&mut self.uids) {
            v.shrink_to_fit();
        }
        if let Some(v) = Arc::get_mut(&mut self.bits) {
            v.shrink_to_fit();
        }
        if let Some(v) = Arc::get_mut(&mut self.keyword_ids) {
            v.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadron_proto::types::Flag;

    fn seen() -> FlagSet {
        FlagSet::system(SystemFlags::SEEN)
    }

    fn snap(uids: &[u32]) -> Snapshot {
        Snapshot::from_messages(uids.iter().map(|&u| (u, FlagSet::default()))).unwrap()
    }

    fn set(s: &str) -> SequenceSet {
        s.parse().unwrap()
    }

    fn seqs(r: &SeqRanges) -> Vec<u32> {
        r.iter().collect()
    }

    /// A clone shares the per-message arrays; each is copied on its first
    /// change, and only that one, and the original never sees the change.
    #[test]
    fn clones_share_arrays_until_one_changes() {
        let original = snap(&(1..=1_000).collect::<Vec<_>>());
        let mut copy = original.clone();
        assert_eq!(copy.unshared_bytes(), 0, "a clone copies nothing");
        assert!(!copy.set_flags(5, &FlagSet::default()), "no change");
        copy.set_recent_from(2_000);
        copy.mark_pending_expunge(&[5_000]);
        assert!(copy.remove_uids(&[5_000]).is_empty());
        assert_eq!(copy.unshared_bytes(), 0, "no-op changes copy nothing");

        assert!(copy.set_flags(5, &seen()));
        assert_eq!(copy.unshared_bytes(), 1_000, "the flag bytes alone");
        assert_eq!(copy.flags(5), Some(seen()));
        assert_eq!(original.flags(5), Some(FlagSet::default()));

        let keywords = FlagSet::from_flags([Flag::keyword("$Label").unwrap()]);
        assert!(copy.set_flags(6, &keywords));
        assert_eq!(copy.unshared_bytes(), 1_000 + 4_000, "and the keyword ids");
        assert!(original.get(6).unwrap().keywords.is_empty());
        assert!(original.defined_keywords().is_empty());

        assert_eq!(copy.remove_uids(&[3]), [3]);
        copy.push(1_001, &FlagSet::default(), true).unwrap();
        assert_eq!(original.len(), 1_000);
        assert_eq!(original.uid(3), Some(3));
        assert_eq!(copy.len(), 1_000);
        assert_eq!(copy.uid(3), Some(4));
        assert_eq!((copy.recent_count(), original.recent_count()), (1, 0));

        // Marks made on a clone stay there.
        let mut other = original.clone();
        other.mark_pending_expunge(&[7]);
        other.set_recent(&[8]);
        assert!(other.is_pending_expunge(7) && other.is_recent(8));
        assert!(!original.is_pending_expunge(7) && !original.is_recent(8));
    }

    #[test]
    fn sequence_number_is_position_plus_one() {
        let s = snap(&[3, 7, 9]);
        assert_eq!(s.len(), 3);
        assert_eq!(s.uid(1), Some(3));
        assert_eq!(s.uid(3), Some(9));
        assert_eq!(s.uid(0), None);
        assert_eq!(s.uid(4), None);
        assert_eq!(s.seq(7), Some(2));
        assert_eq!(s.seq(8), None);
        assert_eq!(s.max_uid(), 9);
        assert_eq!(s.seq_near(7, 2), Some(2), "hint right");
        assert_eq!(s.seq_near(7, 3), Some(2), "hint wrong");
        assert_eq!(s.seq_near(7, 99), Some(2), "hint out of range");
        assert_eq!(s.seq_near(8, 2), None);
    }

    #[test]
    fn uids_must_strictly_increase() {
        let err = Snapshot::from_messages([(5, seen()), (5, seen())]).unwrap_err();
        assert_eq!(
            err,
            SnapshotError::UidNotIncreasing {
                previous: 5,
                uid: 5
            }
        );
        assert_eq!(
            Snapshot::from_messages([(0, seen())]).unwrap_err(),
            SnapshotError::ZeroUid
        );
    }

    #[test]
    fn flags_and_keywords_round_trip() {
        let kw = FlagSet::from_flags([Flag::Seen, Flag::keyword("$Junk").unwrap()]);
        let mut s =
            Snapshot::from_messages([(1, kw.clone()), (2, seen()), (3, kw.clone())]).unwrap();
        assert_eq!(s.flags(1), Some(kw.clone()));
        assert_eq!(s.flags(2), Some(seen()));
        assert!(!s.set_flags(2, &seen()), "unchanged flags report no change");
        assert!(s.set_flags(2, &kw));
        assert_eq!(s.flags(2), Some(kw));
        // Three messages, one distinct keyword set besides the empty one.
        assert_eq!(s.keyword_sets.sets.len(), 2);
    }

    #[test]
    fn unused_keyword_sets_are_dropped() {
        let a = FlagSet::from_flags([Flag::keyword("a").unwrap()]);
        let mut s = Snapshot::from_messages([(1, a.clone()), (2, FlagSet::default())]).unwrap();
        for k in 0..10_000 {
            let kw = FlagSet::from_flags([Flag::keyword(&format!("k{k}")).unwrap()]);
            s.set_flags(2, &kw);
            // Live: empty, {a}, message 2's old and new set; the table
            // may grow to twice that plus 64 before the next clean-up.
            let len = s.keyword_sets.sets.len();
            assert!(len <= 2 * 4 + 64 + 1, "{k}: {len}");
        }
        assert_eq!(s.flags(1), Some(a));
        let last = FlagSet::from_flags([Flag::keyword("k9999").unwrap()]);
        assert_eq!(s.flags(2), Some(last));
    }

    #[test]
    fn memory_is_at_most_16_bytes_per_message() {
        let n = 100_000u32;
        let mut s = Snapshot::from_messages((1..=n).map(|u| {
            let mut f = FlagSet::system(SystemFlags::from_bits_truncate(u as u8));
            if u % 3 == 0 {
                f.insert(Flag::keyword("$Label1").unwrap());
            }
            (u * 2, f)
        }))
        .unwrap();
        s.shrink_to_fit();
        let per_message = s.per_message_bytes() as f64 / f64::from(n);
        assert_eq!(
            per_message, 9.0,
            "4 (UID) + 1 (flag bits) + 4 (keyword-set id)"
        );
        let total = s.heap_bytes() as f64 / f64::from(n);
        assert!(
            total <= 16.0,
            "{total} bytes/message including keyword table"
        );
    }

    #[test]
    fn recent_is_counted() {
        let mut s = snap(&[1, 2, 3, 4]);
        s.set_recent_from(3);
        assert_eq!(s.recent_count(), 2);
        assert!(s.is_recent(3) && s.is_recent(4) && !s.is_recent(2));
        s.set_recent(&[1, 4, 99]);
        assert_eq!(s.recent_count(), 3, "4 was already recent, 99 is absent");
        assert!(s.is_recent(1) && !s.is_recent(2));
        s.remove_uids(&[4]);
        assert_eq!(s.recent_count(), 2);
    }

    #[test]
    fn batch_removal_returns_pre_removal_sequence_numbers() {
        let mut s = snap(&[10, 20, 30, 40, 50, 60]);
        s.mark_pending_expunge(&[20, 50, 99]);
        assert_eq!(s.pending_expunge_count(), 2);
        assert!(s.is_pending_expunge(2));
        assert_eq!(s.pending_expunges().collect::<Vec<_>>(), vec![20, 50]);
        let removed = s.remove_uids(&[50, 20, 99, 60]);
        assert_eq!(removed, vec![2, 5, 6]);
        assert_eq!(s.uids(), &[10, 30, 40]);
        assert_eq!(s.pending_expunge_count(), 0);
        assert!(s.remove_uids(&[]).is_empty());
        assert!(s.remove_uids(&[1, 2, 1000]).is_empty());
    }

    #[test]
    fn sequence_sets_resolve_and_reject_numbers_past_the_end() {
        let s = snap(&[3, 7, 9, 12]);
        assert_eq!(seqs(&s.resolve_seqs(&set("2:*")).unwrap()), vec![2, 3, 4]);
        assert_eq!(seqs(&s.resolve_seqs(&set("4,1,2")).unwrap()), vec![1, 2, 4]);
        assert_eq!(
            s.resolve_seqs(&set("3:5")),
            Err(ResolveError::NoSuchMessage(5))
        );
        assert_eq!(s.resolve_seqs(&set("$")), Err(ResolveError::SavedResult));
        // Never materialised: a huge range costs one range.
        let s = snap(&[1]);
        assert_eq!(
            s.resolve_seqs(&set("1:4294967295")),
            Err(ResolveError::NoSuchMessage(4294967295))
        );
        assert_eq!(
            s.resolve_uids(&set("1:4294967295")).unwrap().ranges(),
            &[1..=1]
        );
        let empty = Snapshot::new();
        assert!(empty.resolve_seqs(&set("*")).unwrap().is_empty());
        assert!(empty.resolve_seqs(&set("1:*")).is_err());
        assert!(empty.resolve_uids(&set("1:*")).unwrap().is_empty());
    }

    #[test]
    fn uid_range_above_the_top_uid_still_names_the_last_message() {
        let s = snap(&[3, 7, 9, 12]);
        assert_eq!(seqs(&s.resolve_uids(&set("100:*")).unwrap()), vec![4]);
        assert_eq!(seqs(&s.resolve_uids(&set("*")).unwrap()), vec![4]);
        assert_eq!(seqs(&s.resolve_uids(&set("4:9")).unwrap()), vec![2, 3]);
        // Missing UIDs are skipped; adjacent results merge into one range.
        let r = s.resolve_uids(&set("1:3,5:7,8,9,13:20")).unwrap();
        assert_eq!(r.ranges(), &[1..=3]);
        assert_eq!(r.count(), 3);
        assert!(r.contains(2) && !r.contains(4));
        assert!(s.resolve_uids(&set("100")).unwrap().is_empty());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn uid_list() -> impl Strategy<Value = Vec<u32>> {
            proptest::collection::btree_set(1..300u32, 0..60).prop_map(|s| s.into_iter().collect())
        }

        /// A sequence set as written by a client: numbers, ranges either
        /// way round, `*`, and numbers far past the end.
        fn sequence_set() -> impl Strategy<Value = SequenceSet> {
            let number = prop_oneof![
                4 => (1..320u32).prop_map(|n| n.to_string()),
                1 => Just("*".to_owned()),
                1 => Just("4294967295".to_owned()),
            ];
            let item = prop_oneof![
                number.clone(),
                (number.clone(), number).prop_map(|(a, b)| format!("{a}:{b}")),
            ];
            proptest::collection::vec(item, 1..5).prop_map(|items| items.join(",").parse().unwrap())
        }

        proptest! {
            #[test]
            fn resolve_uids_matches_membership(uids in uid_list(), set in sequence_set()) {
                let snap = Snapshot::from_messages(uids.iter().map(|&u| (u, FlagSet::default()))).unwrap();
                let max = uids.last().copied().unwrap_or(0);
                let expected: Vec<u32> = uids
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| set.contains(**u, max))
                    .map(|(i, _)| i as u32 + 1)
                    .collect();
                let got = snap.resolve_uids(&set).unwrap();
                prop_assert_eq!(got.iter().collect::<Vec<_>>(), expected.clone());
                prop_assert_eq!(got.count(), expected.len() as u64);
                prop_assert!(got.ranges().windows(2).all(|w| w[0].end() + 1 < *w[1].start()));
            }

            #[test]
            fn resolve_seqs_matches_membership(uids in uid_list(), set in sequence_set()) {
                let snap = Snapshot::from_messages(uids.iter().map(|&u| (u, FlagSet::default()))).unwrap();
                let len = snap.len();
                let too_big = set.ranges(len).any(|r| *r.end() > len);
                match snap.resolve_seqs(&set) {
                    Err(ResolveError::NoSuchMessage(n)) => {
                        prop_assert!(too_big);
                        prop_assert!(n > len);
                    }
                    Err(e) => prop_assert!(false, "{e}"),
                    Ok(got) => {
                        prop_assert!(!too_big);
                        let expected: Vec<u32> = (1..=len).filter(|&s| set.contains(s, len)).collect();
                        prop_assert_eq!(got.iter().collect::<Vec<_>>(), expected);
                    }
                }
            }

            #[test]
            fn remove_uids_matches_naive_removal(
                uids in uid_list(),
                del in proptest::collection::vec(1..300u32, 0..40),
            ) {
                let mut snap = Snapshot::from_messages(uids.iter().map(|&u| (u, FlagSet::system(SystemFlags::from_bits_truncate(u as u8))))).unwrap();
                snap.set_recent_from(150);
                let removed = snap.remove_uids(&del);
                let expected: Vec<u32> = uids
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| del.contains(u))
                    .map(|(i, _)| i as u32 + 1)
                    .collect();
                prop_assert_eq!(removed, expected);
                let kept: Vec<u32> = uids.iter().copied().filter(|u| !del.contains(u)).collect();
                prop_assert_eq!(snap.uids(), &kept[..]);
                for (i, &u) in kept.iter().enumerate() {
                    let m = snap.get(i as u32 + 1).unwrap();
                    prop_assert_eq!(m.system, SystemFlags::from_bits_truncate(u as u8));
                    prop_assert_eq!(m.recent, u >= 150);
                }
                prop_assert_eq!(snap.recent_count() as usize, kept.iter().filter(|&&u| u >= 150).count());
            }
        }
    }
}
