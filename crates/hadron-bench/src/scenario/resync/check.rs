//! The pure parts of `resync`: the random sets it changes, and what the
//! responses to a resynchronising command said, checked against them.

use std::ops::RangeInclusive;

use hadron_proto::types::{Data, FetchItem, Flag, FlagFetch, Response, SequenceSet};

use crate::rng::Rng;
use crate::scenario::{scattered, thousands};

/// What session B changed, as sorted UIDs.
pub(super) struct Changes {
    /// Messages that got `\Seen`.
    pub(super) changed: Vec<u32>,
    /// Messages expunged.
    pub(super) expunged: Vec<u32>,
    /// The messages left (A's UIDs without the expunged ones).
    pub(super) remaining: Vec<u32>,
}

/// `k` positions of `0..n` for a first set and `j` others for a second,
/// at random, each ascending (fewer when `n` is short: the second set is
/// served first).
pub(super) fn disjoint_picks(
    rng: &mut Rng,
    n: usize,
    k: usize,
    j: usize,
) -> (Vec<usize>, Vec<usize>) {
    let both = scattered::pick_distinct(rng, n, k.saturating_add(j));
    let j = j.min(both.len());
    let mut second = vec![false; both.len()];
    for i in scattered::pick_distinct(rng, both.len(), j) {
        second[i] = true;
    }
    let (mut first_set, mut second_set) = (Vec::new(), Vec::new());
    for (i, pos) in both.into_iter().enumerate() {
        if second[i] {
            second_set.push(pos);
        } else {
            first_set.push(pos);
        }
    }
    (first_set, second_set)
}

/// A set of UIDs as sorted, disjoint, non-adjacent ranges: the union of
/// the `VANISHED` responses to one command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct UidRanges(Vec<RangeInclusive<u32>>);

impl UidRanges {
    /// The union of `sets` (UID sets: no `*`).
    pub(super) fn new(sets: &[SequenceSet]) -> Self {
        let items: Vec<_> = sets
            .iter()
            .flat_map(|s| s.items().iter().copied())
            .collect();
        match SequenceSet::new(items) {
            Ok(set) => UidRanges(set.normalized(u32::MAX)),
            Err(_) => UidRanges::default(),
        }
    }

    /// Whether `uid` is in the set.
    pub(super) fn contains(&self, uid: u32) -> bool {
        let at = self.0.partition_point(|r| *r.end() < uid);
        self.0.get(at).is_some_and(|r| r.contains(&uid))
    }

    /// How many UIDs the set holds.
    pub(super) fn len(&self) -> u64 {
        self.0
            .iter()
            .map(|r| u64::from(r.end() - r.start()) + 1)
            .sum()
    }

    /// Why the set is not the UIDs `expunged`, judged on the UIDs the
    /// client knew (`expunged` and `remaining`, both sorted): an expunged
    /// UID missing, or one still there included. UIDs in neither list
    /// (never assigned, or expunged before the client's mod-sequence) are
    /// not judged.
    pub(super) fn mismatch(&self, expunged: &[u32], remaining: &[u32]) -> Option<String> {
        let missing = expunged.iter().filter(|&&u| !self.contains(u)).count();
        let wrong = remaining.iter().filter(|&&u| self.contains(u)).count();
        (missing > 0 || wrong > 0).then(|| {
            format!(
                "VANISHED named {} UIDs: {missing} of the {} expunged missing, {wrong} still present",
                self.len(),
                expunged.len()
            )
        })
    }
}

/// Why the UIDs `got` are not `expected` (sorted, distinct): counts of
/// missing, extra and repeated ones, as `what`.
pub(super) fn uid_mismatch(what: &str, expected: &[u32], got: &[u32]) -> Option<String> {
    let mut sorted = got.to_vec();
    sorted.sort_unstable();
    let before = sorted.len();
    sorted.dedup();
    let repeated = before - sorted.len();
    let missing = expected
        .iter()
        .filter(|u| sorted.binary_search(u).is_err())
        .count();
    let extra = sorted
        .iter()
        .filter(|u| expected.binary_search(u).is_err())
        .count();
    (missing + extra + repeated > 0).then(|| {
        format!(
            "{what}: {before} FETCH for {} messages ({missing} missing, {extra} extra, {repeated} repeated)",
            expected.len()
        )
    })
}

/// What the responses to one command said, gathered as they arrive (the
/// checks come after the command is timed).
#[derive(Debug, Default)]
pub(super) struct Heard {
    /// The sets of `VANISHED` responses.
    vanished: Vec<SequenceSet>,
    /// `VANISHED` responses without `(EARLIER)`.
    not_earlier: u64,
    /// FETCH responses.
    fetches: u64,
    /// The UIDs they carried.
    uids: Vec<u32>,
    /// FETCH responses without a UID.
    without_uid: u64,
    /// The UIDs of messages whose flags include `\Seen`.
    seen: Vec<u32>,
    /// FETCH responses without MODSEQ.
    without_modseq: u64,
    /// The lowest MODSEQ they carried.
    lowest_modseq: Option<u64>,
    /// The last `EXISTS`.
    exists: Option<u32>,
}

impl Heard {
    /// Takes note of one untagged response.
    pub(super) fn hear(&mut self, response: &Response<'_>) {
        match response {
            Response::Data(Data::Exists(n)) => self.exists = Some(*n),
            Response::Data(Data::Vanished { earlier, uids }) => {
                self.vanished.push(uids.as_sequence_set().clone());
                self.not_earlier += u64::from(!earlier);
            }
            Response::Data(Data::Fetch { items, .. }) => {
                self.fetches += 1;
                let (mut uid, mut modseq, mut seen) = (None, None, false);
                for item in items {
                    match item {
                        FetchItem::Uid(u) => uid = Some(u.get()),
                        FetchItem::ModSeq(m) => modseq = Some(*m),
                        FetchItem::Flags(flags) => {
                            seen = flags.contains(&FlagFetch::Flag(Flag::Seen));
                        }
                        _ => {}
                    }
                }
                match uid {
                    Some(u) => {
                        self.uids.push(u);
                        if seen {
                            self.seen.push(u);
                        }
                    }
                    None => self.without_uid += 1,
                }
                match modseq {
                    Some(m) => {
                        self.lowest_modseq = Some(self.lowest_modseq.map_or(m, |l| l.min(m)));
                    }
                    None => self.without_modseq += 1,
                }
            }
            _ => {}
        }
    }

    /// Why the `EXISTS` reported is not `count`.
    pub(super) fn exists_problem(&self, count: usize) -> Option<String> {
        match self.exists {
            Some(n) if n as usize == count => None,
            Some(n) => Some(format!("{n} EXISTS, expected {count}")),
            None => Some("no EXISTS".into()),
        }
    }

    /// The union of the `VANISHED` sets.
    pub(super) fn vanished(&self) -> UidRanges {
        UidRanges::new(&self.vanished)
    }

    /// Problems with the FETCHes of a CONDSTORE command expected to report
    /// exactly the messages `changed`, each with a MODSEQ above `since`.
    pub(super) fn changed_problems(&self, changed: &[u32], since: u64) -> Vec<String> {
        let mut out = Vec::new();
        if self.without_uid > 0 {
            out.push(format!("{} FETCH without UID", self.without_uid));
        }
        if let Some(p) = uid_mismatch("changed", changed, &self.uids) {
            out.push(p);
        }
        if self.without_modseq > 0 {
            out.push(format!("{} FETCH without MODSEQ", self.without_modseq));
        }
        if let Some(low) = self.lowest_modseq.filter(|&m| m <= since) {
            out.push(format!("a FETCH with MODSEQ {low}, not above {since}"));
        }
        out
    }

    /// Problems with the responses to `EXAMINE (QRESYNC (v since))` after
    /// `changes`: the changed messages' FETCHes, `VANISHED (EARLIER)` of
    /// the expunged ones, and `EXISTS` of those left.
    pub(super) fn resync_problems(&self, changes: &Changes, since: u64) -> Vec<String> {
        let mut out = self.changed_problems(&changes.changed, since);
        out.extend(
            self.vanished()
                .mismatch(&changes.expunged, &changes.remaining),
        );
        if self.not_earlier > 0 {
            out.push(format!("{} VANISHED without (EARLIER)", self.not_earlier));
        }
        out.extend(self.exists_problem(changes.remaining.len()));
        out
    }

    /// Problems with the responses to `UID FETCH 1:* (UID FLAGS)` after
    /// `changes`: a FETCH for each message left, the changed ones `\Seen`.
    pub(super) fn full_fetch_problems(&self, changes: &Changes) -> Vec<String> {
        let mut out = Vec::new();
        if self.without_uid > 0 {
            out.push(format!("{} FETCH without UID", self.without_uid));
        }
        out.extend(uid_mismatch(
            "every message",
            &changes.remaining,
            &self.uids,
        ));
        out.extend(uid_mismatch("\\Seen", &changes.changed, &self.seen));
        out
    }

    /// A short account for a row's note: EXISTS, FETCHes and VANISHED
    /// UIDs.
    pub(super) fn account(&self) -> String {
        let mut out = String::new();
        if let Some(n) = self.exists {
            out.push_str(&format!("{} EXISTS, ", thousands(n.into())));
        }
        out.push_str(&format!("{} FETCH", thousands(self.fetches)));
        if !self.vanished.is_empty() {
            out.push_str(&format!(
                ", VANISHED of {} UIDs",
                thousands(self.vanished().len())
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadron_proto::parse;

    fn set(text: &str) -> SequenceSet {
        text.parse().unwrap()
    }

    #[test]
    fn vanished_sets_merge_into_ranges() {
        let r = UidRanges::new(&[set("5:3,9,1"), set("4,10:12,2")]);
        assert_eq!(r, UidRanges(vec![1..=5, 9..=12]));
        assert_eq!(r.len(), 9);
        for uid in [1, 3, 5, 9, 12] {
            assert!(r.contains(uid), "{uid}");
        }
        for uid in [0, 6, 8, 13, u32::MAX] {
            assert!(!r.contains(uid), "{uid}");
        }
        let none = UidRanges::new(&[]);
        assert_eq!(none.len(), 0);
        assert!(!none.contains(1));
        let wide = UidRanges::new(&[set("1:4294967295")]);
        assert_eq!(wide.len(), u64::from(u32::MAX));
    }

    #[test]
    fn vanished_must_name_the_expunged_and_no_survivor() {
        let r = UidRanges::new(&[set("2,4:5,100:200")]);
        // UIDs nobody knew (100:200) are not judged.
        assert_eq!(r.mismatch(&[2, 4, 5], &[1, 3, 6]), None);
        let m = r.mismatch(&[2, 4, 5, 7], &[1, 3]).unwrap();
        assert!(
            m.contains("1 of the 4 expunged missing, 0 still present"),
            "{m}"
        );
        let m = r.mismatch(&[2], &[4, 5, 6]).unwrap();
        assert!(m.contains("2 still present"), "{m}");
    }

    #[test]
    fn fetched_uids_against_the_expected() {
        assert_eq!(uid_mismatch("x", &[1, 5, 9], &[9, 1, 5]), None);
        let m = uid_mismatch("changed", &[1, 5, 9], &[1, 5, 5, 7]).unwrap();
        assert_eq!(
            m,
            "changed: 4 FETCH for 3 messages (1 missing, 1 extra, 1 repeated)"
        );
        assert_eq!(uid_mismatch("none", &[], &[]), None);
        assert!(uid_mismatch("none", &[], &[3]).is_some());
    }

    #[test]
    fn disjoint_random_sets() {
        let mut rng = Rng::new(12);
        let (a, b) = disjoint_picks(&mut rng, 10_000, 1_000, 1_000);
        assert_eq!((a.len(), b.len()), (1_000, 1_000));
        for s in [&a, &b] {
            assert!(s.windows(2).all(|w| w[0] < w[1]) && *s.last().unwrap() < 10_000);
        }
        assert!(a.iter().all(|p| b.binary_search(p).is_err()), "disjoint");
        // Interleaved, not one block after the other.
        assert!(a[0] < *b.last().unwrap() && b[0] < *a.last().unwrap());
        // Too few positions: the second set is served first.
        let (a, b) = disjoint_picks(&mut rng, 5, 4, 3);
        assert_eq!((a.len(), b.len()), (2, 3));
        let (a, b) = disjoint_picks(&mut rng, 0, 4, 3);
        assert!(a.is_empty() && b.is_empty());
        let (a, b) = disjoint_picks(&mut rng, 9, 0, 0);
        assert!(a.is_empty() && b.is_empty());
    }

    /// Parses `line` (CRLF added) and lets `heard` take note of it.
    fn hear(heard: &mut Heard, line: &str) {
        let frame = format!("{line}\r\n");
        let response = parse::response(frame.as_bytes()).expect(line);
        heard.hear(&response);
    }

    #[test]
    fn qresync_responses_are_gathered() {
        let mut heard = Heard::default();
        for line in [
            "* VANISHED (EARLIER) 3:5,9",
            "* VANISHED 20",
            "* 1 FETCH (UID 7 FLAGS (\\Seen) MODSEQ (120))",
            "* 2 FETCH (FLAGS (\\Seen \\Recent) UID 8 MODSEQ (101))",
            "* 3 FETCH (UID 11 FLAGS ())",
            "* 4 FETCH (FLAGS (\\Flagged) MODSEQ (130))",
            "* OK [HIGHESTMODSEQ 130] Highest",
            "* 5 EXISTS",
            "* 6 EXISTS",
        ] {
            hear(&mut heard, line);
        }
        assert_eq!(heard.fetches, 4);
        assert_eq!(heard.uids, [7, 8, 11]);
        assert_eq!(heard.seen, [7, 8]);
        assert_eq!((heard.without_uid, heard.without_modseq), (1, 1));
        assert_eq!(heard.lowest_modseq, Some(101));
        assert_eq!(heard.not_earlier, 1);
        assert_eq!(heard.vanished(), UidRanges(vec![3..=5, 9..=9, 20..=20]));
        assert_eq!(heard.account(), "6 EXISTS, 4 FETCH, VANISHED of 5 UIDs");
        assert_eq!(Heard::default().account(), "0 FETCH");
        assert_eq!(heard.exists_problem(6), None, "the last EXISTS counts");
        assert_eq!(
            heard.exists_problem(5).as_deref(),
            Some("6 EXISTS, expected 5")
        );
        assert_eq!(
            Heard::default().exists_problem(0).as_deref(),
            Some("no EXISTS")
        );
        let problems = heard.changed_problems(&[7, 8, 11], 110);
        assert_eq!(
            problems,
            [
                "1 FETCH without UID",
                "1 FETCH without MODSEQ",
                "a FETCH with MODSEQ 101, not above 110",
            ]
        );
    }

    fn changes() -> Changes {
        Changes {
            changed: vec![1, 3],
            expunged: vec![2, 4],
            remaining: vec![1, 3, 5],
        }
    }

    #[test]
    fn a_resync_select_is_judged_whole() {
        let mut heard = Heard::default();
        for line in [
            "* 3 EXISTS",
            "* VANISHED (EARLIER) 2,4",
            "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (12))",
            "* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (13))",
        ] {
            hear(&mut heard, line);
        }
        assert!(heard.resync_problems(&changes(), 11).is_empty());
        hear(&mut heard, "* VANISHED 5");
        hear(&mut heard, "* 4 EXISTS");
        assert_eq!(
            heard.resync_problems(&changes(), 11),
            [
                "VANISHED named 3 UIDs: 0 of the 2 expunged missing, 1 still present",
                "1 VANISHED without (EARLIER)",
                "4 EXISTS, expected 3",
            ]
        );
    }

    #[test]
    fn a_full_fetch_is_judged_whole() {
        let mut heard = Heard::default();
        for line in [
            "* 1 FETCH (UID 1 FLAGS (\\Seen))",
            "* 2 FETCH (UID 3 FLAGS (\\Seen \\Flagged))",
            "* 3 FETCH (UID 5 FLAGS ())",
        ] {
            hear(&mut heard, line);
        }
        assert!(heard.full_fetch_problems(&changes()).is_empty());
        hear(&mut heard, "* 4 FETCH (FLAGS (\\Seen))");
        hear(&mut heard, "* 4 FETCH (UID 4 FLAGS (\\Seen))");
        assert_eq!(
            heard.full_fetch_problems(&changes()),
            [
                "1 FETCH without UID",
                "every message: 4 FETCH for 3 messages (0 missing, 1 extra, 0 repeated)",
                "\\Seen: 3 FETCH for 2 messages (0 missing, 1 extra, 0 repeated)",
            ]
        );
    }

    #[test]
    fn a_clean_resync_has_no_problems() {
        let mut heard = Heard::default();
        hear(&mut heard, "* VANISHED (EARLIER) 2,4");
        hear(&mut heard, "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (12))");
        hear(&mut heard, "* 2 FETCH (UID 3 MODSEQ (13) FLAGS (\\Seen))");
        assert!(heard.changed_problems(&[1, 3], 11).is_empty());
        assert_eq!(heard.vanished().mismatch(&[2, 4], &[1, 3, 5]), None);
        assert_eq!(heard.not_earlier, 0);
        assert!(Heard::default().changed_problems(&[], 5).is_empty());
    }
}
