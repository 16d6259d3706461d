//! A mailbox's SORT keys kept in memory, one column per key, so that a
//! SORT of a large mailbox orders integers instead of reading and
//! comparing every match's keys again (RFC 5256).
//!
//! A message's sort keys never change: they come from its header, its
//! size and its internal date, and a UID names one message for the life
//! of the mailbox. A column therefore only grows; it never has to be told
//! of flag changes, and a message expunged since stays correct (a session
//! that still shows it sorts it by the same keys). What a column lacks is
//! read once ([`SortIndex::missing`], then [`SortIndex::insert`]).
//!
//! Each column holds, for the UIDs it knows (ascending), one `u64` whose
//! order is the key's order ([`sort_uids`] compares nothing else):
//!
//! - ARRIVAL, DATE: the Unix time with its sign bit flipped;
//! - SIZE: the size;
//! - the text keys: the rank of the message's [`casemap`](crate::sort::casemap)ped
//!   key among the column's distinct keys, which are kept sorted. A new
//!   distinct key renumbers the ranks after it (one pass over the column).
//!
//! Invariant: [`sort_uids`] orders UIDs exactly as [`crate::sort::sort`]
//! orders their [`SortMessage`]s (a property test checks it).

use std::cmp::Ordering;
use std::sync::Arc;

use hadron_proto::types::{SortCriterion, SortKey};

use crate::sort::SortMessage;
use crate::uid_columns;

/// One key's values for the UIDs a mailbox's SORTs have needed so far.
#[derive(Debug, Clone, Default)]
pub struct SortColumn {
    /// Ascending.
    uids: Vec<u32>,
    /// `values[i]` is the key of `uids[i]`, in comparable form.
    values: Vec<u64>,
    /// For a text key: its distinct values, ascending; `values` are
    /// indexes into it.
    distinct: Vec<Box<str>>,
}

/// A text key of `m`, or `None` for a numeric one.
fn text(m: &SortMessage, key: SortKey) -> Option<&str> {
    Some(match key {
        SortKey::Subject => &m.subject,
        SortKey::From => &m.from,
        SortKey::To => &m.to,
        SortKey::Cc => &m.cc,
        SortKey::DisplayFrom => &m.display_from,
        SortKey::DisplayTo => &m.display_to,
        SortKey::Arrival | SortKey::Date | SortKey::Size => return None,
    })
}

/// A time as a `u64` of the same order.
fn time(t: i64) -> u64 {
    (t as u64) ^ (1 << 63)
}

/// A numeric key of `m` in comparable form, or `None` for a text one.
fn number(m: &SortMessage, key: SortKey) -> Option<u64> {
    match key {
        SortKey::Arrival => Some(time(m.arrival)),
        SortKey::Date => Some(time(m.date)),
        SortKey::Size => Some(m.size),
        _ => None,
    }
}

impl SortColumn {
    /// How many messages the column knows.
    pub fn len(&self) -> usize {
        self.uids.len()
    }

    /// Whether the column knows no message.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// Estimated heap bytes.
    fn heap_bytes(&self) -> usize {
        let text: usize = self
            .distinct
            .iter()
            .map(|s| s.len() + std::mem::size_of::<Box<str>>())
            .sum();
        self.uids.capacity() * 4 + self.values.capacity() * 8 + text
    }

    /// Adds the messages the column lacks.
    fn insert(&mut self, key: SortKey, messages: &[SortMessage]) {
        let mut fresh: Vec<&SortMessage> = messages
            .iter()
            .filter(|m| self.uids.binary_search(&m.uid).is_err())
            .collect();
        fresh.sort_unstable_by_key(|m| m.uid);
        fresh.dedup_by_key(|m| m.uid);
        if fresh.is_empty() {
            return;
        }
        let values: Vec<u64> = match number(fresh[0], key) {
            Some(_) => fresh.iter().filter_map(|m| number(m, key)).collect(),
            None => {
                let keys: Vec<&str> = fresh.iter().filter_map(|m| text(m, key)).collect();
                self.ranks(&keys)
            }
        };
        let fresh = fresh.iter().map(|m| m.uid).zip(values);
        uid_columns::merge(&mut self.uids, &mut self.values, fresh);
    }

    /// The rank of text key `k` among the distinct ones.
    fn rank(&self, k: &str) -> Option<usize> {
        self.distinct.binary_search_by(|d| (**d).cmp(k)).ok()
    }

    /// The rank of each of `keys`, adding those not yet known to the
    /// distinct ones and renumbering the stored ranks to match: one sort
    /// of `keys` and one pass over the distinct ones, so that filling a
    /// column of a million messages costs no million binary searches.
    fn ranks(&mut self, keys: &[&str]) -> Vec<u64> {
        if keys.len() * 16 < self.distinct.len() {
            // A few new messages: a search each, if all their keys are known.
            let known: Option<Vec<u64>> = keys
                .iter()
                .map(|k| self.rank(k).map(|r| r as u64))
                .collect();
            if let Some(ranks) = known {
                return ranks;
            }
        }
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_unstable_by(|&a, &b| keys[a].cmp(keys[b]));
        let mut order = order.into_iter().peekable();
        let old = std::mem::take(&mut self.distinct);
        let mut merged: Vec<Box<str>> = Vec::with_capacity(old.len() + keys.len().min(1024));
        let mut ranks = vec![0; keys.len()];
        // Places the keys of `order` below `bound` (all when `None`) in
        // `merged`, each new one once, and notes their ranks.
        let mut place_below = |merged: &mut Vec<Box<str>>, bound: Option<&str>| {
            while let Some(i) = order.next_if(|&i| bound.is_none_or(|b| keys[i] <= b)) {
                if bound != Some(keys[i]) && merged.last().is_none_or(|l| **l != *keys[i]) {
                    merged.push(keys[i].into());
                }
                ranks[i] = if bound == Some(keys[i]) {
                    merged.len() as u64
                } else {
                    merged.len() as u64 - 1
                };
            }
        };
        // `moved[r]` is where old rank r goes.
        let mut moved: Vec<u64> = Vec::with_capacity(old.len());
        for d in old {
            place_below(&mut merged, Some(&d));
            moved.push(merged.len() as u64);
            merged.push(d);
        }
        place_below(&mut merged, None);
        let renumbered = moved.iter().enumerate().any(|(r, &to)| r as u64 != to);
        if renumbered {
            for v in &mut self.values {
                *v = moved[*v as usize];
            }
        }
        self.distinct = merged;
        ranks
    }
}

/// The sort keys of one mailbox, by key; see the [module docs](self).
#[derive(Debug, Default)]
pub struct SortIndex {
    columns: [Option<Arc<SortColumn>>; SortKey::ALL.len()],
}

fn slot(key: SortKey) -> usize {
    SortKey::ALL
        .iter()
        .position(|k| *k == key)
        .expect("every key is in ALL")
}

/// The distinct keys of `criteria`, in order of first use.
pub fn keys_of(criteria: &[SortCriterion]) -> Vec<SortKey> {
    let mut keys: Vec<SortKey> = Vec::with_capacity(criteria.len());
    for c in criteria {
        if !keys.contains(&c.key) {
            keys.push(c.key);
        }
    }
    keys
}

impl SortIndex {
    /// The UIDs of `uids` (ascending) that some column of `keys` lacks,
    /// ascending.
    pub fn missing(&self, keys: &[SortKey], uids: &[u32]) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for &k in keys {
            let lacking = match &self.columns[slot(k)] {
                Some(c) => uid_columns::missing(&c.uids, uids),
                None => uids.to_vec(),
            };
            if out.is_empty() {
                out = lacking;
            } else if !lacking.is_empty() {
                out.extend(lacking);
                out.sort_unstable();
                out.dedup();
            }
        }
        out
    }

    /// Adds the keys `keys` of `messages` to their columns (a message a
    /// column knows already is left as it is).
    pub fn insert(&mut self, keys: &[SortKey], messages: &[SortMessage]) {
        for &k in keys {
            let column = self.columns[slot(k)].get_or_insert_with(Default::default);
            Arc::make_mut(column).insert(k, messages);
        }
    }

    /// The column of each criterion, in order; `None` if one was never
    /// filled.
    pub fn columns(&self, criteria: &[SortCriterion]) -> Option<Vec<Arc<SortColumn>>> {
        criteria
            .iter()
            .map(|c| self.columns[slot(c.key)].clone())
            .collect()
    }

    /// Drops the columns that know more than `limit` messages (UIDs
    /// expunged since they were filled), to be filled again when needed.
    pub fn trim(&mut self, limit: usize) {
        for c in &mut self.columns {
            if c.as_ref().is_some_and(|c| c.len() > limit) {
                *c = None;
            }
        }
    }

    /// Estimated heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().flatten().map(|c| c.heap_bytes()).sum()
    }
}

/// The comparable values of `uids` (ascending, all in `column`), in
/// order, reversed if asked.
fn values_of(uids: &[u32], column: &SortColumn, reverse: bool) -> Option<Vec<u64>> {
    let flip = if reverse { u64::MAX } else { 0 };
    uid_columns::positions(&column.uids, uids)
        .map(|at| Some(column.values[at?] ^ flip))
        .collect()
}

/// `uids` (ascending) in the order of `criteria`, whose columns are
/// `columns` (one per criterion, as [`SortIndex::columns`] gives them);
/// equal ones by UID. `None` if a column lacks one of the UIDs.
pub fn sort_uids(
    uids: &[u32],
    criteria: &[SortCriterion],
    columns: &[Arc<SortColumn>],
) -> Option<Vec<u32>> {
    let keys: Vec<Vec<u64>> = criteria
        .iter()
        .zip(columns)
        .map(|(c, column)| values_of(uids, column, c.reverse))
        .collect::<Option<_>>()?;
    if let [only] = keys.as_slice() {
        let mut pairs: Vec<(u64, u32)> = only.iter().copied().zip(uids.iter().copied()).collect();
        pairs.sort_unstable();
        return Some(pairs.into_iter().map(|(_, u)| u).collect());
    }
    let mut order: Vec<u32> = (0..uids.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        keys.iter()
            .map(|k| k[a as usize].cmp(&k[b as usize]))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
            .then(uids[a as usize].cmp(&uids[b as usize]))
    });
    Some(order.into_iter().map(|i| uids[i as usize]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sort::sort;
    use proptest::prelude::*;

    fn message() -> impl Strategy<Value = SortMessage> {
        let text = || prop::sample::select(vec!["", "A", "AB", "B", "BOB", "Z", "ZED"]);
        (
            0u64..5,
            -3i64..3,
            -3i64..3,
            (text(), text(), text()),
            (text(), text(), text()),
        )
            .prop_map(
                |(size, arrival, date, (s, f, t), (c, df, dt))| SortMessage {
                    uid: 0,
                    size,
                    arrival,
                    date,
                    subject: s.into(),
                    from: f.into(),
                    to: t.into(),
                    cc: c.into(),
                    display_from: df.into(),
                    display_to: dt.into(),
                },
            )
    }

    fn criteria() -> impl Strategy<Value = Vec<SortCriterion>> {
        prop::collection::vec(
            (any::<bool>(), prop::sample::select(SortKey::ALL.to_vec()))
                .prop_map(|(reverse, key)| SortCriterion { reverse, key }),
            1..4,
        )
    }

    proptest! {
        /// Filled in random batches (new and old UIDs mixed, some twice),
        /// the index sorts any subset as `sort::sort` does.
        #[test]
        fn sorts_as_sort_does(
            messages in prop::collection::vec(message(), 1..60),
            batches in prop::collection::vec(prop::collection::vec(any::<prop::sample::Index>(), 0..30), 1..5),
            subset in prop::collection::vec(any::<bool>(), 60),
            criteria in criteria(),
        ) {
            let messages: Vec<SortMessage> = messages
                .into_iter()
                .enumerate()
                .map(|(i, m)| SortMessage { uid: 3 * i as u32 + 1, ..m })
                .collect();
            let keys = keys_of(&criteria);
            let mut index = SortIndex::default();
            for batch in &batches {
                let some: Vec<SortMessage> =
                    batch.iter().map(|i| i.get(&messages).clone()).collect();
                index.insert(&keys, &some);
            }
            let mut wanted: Vec<SortMessage> = messages
                .iter()
                .zip(&subset)
                .filter(|(_, keep)| **keep)
                .map(|(m, _)| m.clone())
                .collect();
            let uids: Vec<u32> = wanted.iter().map(|m| m.uid).collect();
            let lacking = index.missing(&keys, &uids);
            let fill: Vec<SortMessage> =
                wanted.iter().filter(|m| lacking.contains(&m.uid)).cloned().collect();
            index.insert(&keys, &fill);
            prop_assert!(index.missing(&keys, &uids).is_empty());
            for column in index.columns.iter().flatten() {
                prop_assert!(column.distinct.windows(2).all(|w| w[0] < w[1]), "distinct keys ascending, each once");
            }
            let columns = index.columns(&criteria).expect("filled");
            let got = sort_uids(&uids, &criteria, &columns).expect("all known");
            sort(&mut wanted, &criteria);
            let expected: Vec<u32> = wanted.iter().map(|m| m.uid).collect();
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn a_new_key_renumbers_the_ones_after_it() {
        let m = |uid, from: &str| SortMessage {
            uid,
            from: from.into(),
            ..SortMessage::default()
        };
        let by_from = [SortCriterion {
            reverse: false,
            key: SortKey::From,
        }];
        let mut index = SortIndex::default();
        index.insert(&[SortKey::From], &[m(1, "C"), m(2, "A")]);
        index.insert(&[SortKey::From], &[m(3, "B"), m(4, "A"), m(5, "D")]);
        let columns = index.columns(&by_from).expect("filled");
        assert_eq!(columns[0].distinct.len(), 4);
        let sorted = sort_uids(&[1, 2, 3, 4, 5], &by_from, &columns);
        assert_eq!(sorted, Some(vec![2, 4, 3, 1, 5]));
        assert_eq!(sort_uids(&[1, 6], &by_from, &columns), None);
    }

    #[test]
    fn few_new_messages_rank_by_search_or_by_merge() {
        let m = |uid, subject: String| SortMessage {
            uid,
            subject,
            ..SortMessage::default()
        };
        let by_subject = [SortCriterion {
            reverse: true,
            key: SortKey::Subject,
        }];
        let mut index = SortIndex::default();
        let many: Vec<SortMessage> = (0..40).map(|i| m(i + 1, format!("K{i:02}"))).collect();
        index.insert(&[SortKey::Subject], &many);
        // A known key (searched), then an unknown one (merged in).
        index.insert(&[SortKey::Subject], &[m(41, "K05".into())]);
        index.insert(&[SortKey::Subject], &[m(42, "K055".into())]);
        let columns = index.columns(&by_subject).expect("filled");
        assert_eq!(columns[0].distinct.len(), 41);
        let sorted = sort_uids(&[5, 6, 7, 41, 42], &by_subject, &columns);
        assert_eq!(sorted, Some(vec![7, 42, 6, 41, 5]), "ties by UID");
    }

    #[test]
    fn trim_drops_columns_past_the_limit() {
        let mut index = SortIndex::default();
        let ms: Vec<SortMessage> = (1..=10)
            .map(|uid| SortMessage {
                uid,
                ..SortMessage::default()
            })
            .collect();
        index.insert(&[SortKey::Size], &ms);
        index.insert(&[SortKey::Date], &ms[..3]);
        assert!(index.heap_bytes() > 0);
        index.trim(5);
        let size = [SortCriterion {
            reverse: false,
            key: SortKey::Size,
        }];
        assert!(index.columns(&size).is_none());
        assert_eq!(index.missing(&[SortKey::Date], &[1, 2, 3, 4]), vec![4]);
    }
}
