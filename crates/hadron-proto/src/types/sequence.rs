//! Sequence sets (RFC 3501 §9 `sequence-set`, RFC 5182 `$`).

use std::fmt;
use std::num::NonZeroU32;
use std::ops::RangeInclusive;

use crate::types::ValidationError;

/// One end of a range: a number or `*` (the largest number in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNumber {
    /// `nz-number`
    Value(NonZeroU32),
    /// `*`
    Largest,
}

impl SeqNumber {
    /// The number this stands for when `largest` is the highest number in use.
    pub fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqNumber::Value(n) => n.get(),
            SeqNumber::Largest => largest,
        }
    }
}

impl TryFrom<u32> for SeqNumber {
    type Error = ValidationError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        NonZeroU32::new(value)
            .map(SeqNumber::Value)
            .ok_or(ValidationError::Zero)
    }
}

/// `seq-number / seq-range`: a single number or a range (either order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sequence {
    /// `seq-number`
    Single(SeqNumber),
    /// `seq-range = seq-number ":" seq-number`; `4:2` means `2:4`.
    Range(SeqNumber, SeqNumber),
}

impl Sequence {
    /// The inclusive range this stands for, low end first.
    pub fn resolve(self, largest: u32) -> RangeInclusive<u32> {
        match self {
            Sequence::Single(n) => {
                let n = n.resolve(largest);
                n..=n
            }
            Sequence::Range(a, b) => {
                let (a, b) = (a.resolve(largest), b.resolve(largest));
                a.min(b)..=a.max(b)
            }
        }
    }
}

/// A non-empty set of message numbers (sequence numbers or UIDs), or `$`
/// (the saved result of the last SEARCH, RFC 5182).
///
/// The set is kept as written; [`SequenceSet::ranges`] and
/// [`SequenceSet::normalized`] resolve `*` against the largest number in use
/// without ever materialising the members, so `1:4294967295` costs nothing.
///
/// ```
/// use hadron_proto::types::SequenceSet;
/// let set: SequenceSet = "2,4:*,7:5".parse().unwrap();
/// // With 6 messages: 2, 4..6 and 5..7 → 2, 4..7.
/// assert_eq!(set.normalized(6), vec![2..=2, 4..=7]);
/// // `UID 10:*` with highest UID 8 still names UID 8 (RFC 3501 §6.4.8).
/// let uids: SequenceSet = "10:*".parse().unwrap();
/// assert!(uids.contains(8, 8));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SequenceSet {
    /// An explicit list of numbers and ranges (never empty).
    List(Vec<Sequence>),
    /// `$`: the result saved by the last `SEARCH RETURN (SAVE)`.
    Saved,
}

impl SequenceSet {
    /// A set of explicit items; empty input is rejected.
    pub fn new(items: Vec<Sequence>) -> Result<Self, ValidationError> {
        if items.is_empty() {
            Err(ValidationError::Empty("sequence set"))
        } else {
            Ok(SequenceSet::List(items))
        }
    }

    /// The set `n`.
    pub fn single(n: NonZeroU32) -> Self {
        SequenceSet::List(vec![Sequence::Single(SeqNumber::Value(n))])
    }

    /// The set `a:b`.
    pub fn range(a: SeqNumber, b: SeqNumber) -> Self {
        SequenceSet::List(vec![Sequence::Range(a, b)])
    }

    /// The items as written (empty for `$`).
    pub fn items(&self) -> &[Sequence] {
        match self {
            SequenceSet::List(items) => items,
            SequenceSet::Saved => &[],
        }
    }

    /// Whether this is `$`.
    pub fn is_saved(&self) -> bool {
        matches!(self, SequenceSet::Saved)
    }

    /// Each item as an inclusive range, with `*` standing for `largest`.
    /// Ranges may overlap and come in the order written.
    pub fn ranges(&self, largest: u32) -> impl Iterator<Item = RangeInclusive<u32>> + '_ {
        self.items().iter().map(move |s| s.resolve(largest))
    }

    /// The members as sorted, disjoint, non-adjacent ranges.
    pub fn normalized(&self, largest: u32) -> Vec<RangeInclusive<u32>> {
        let mut ranges: Vec<_> = self.ranges(largest).collect();
        ranges.sort_unstable_by_key(|r| *r.start());
        let mut out: Vec<RangeInclusive<u32>> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match out.last_mut() {
                Some(last) if *r.start() <= last.end().saturating_add(1) => {
                    if r.end() > last.end() {
                        *last = *last.start()..=*r.end();
                    }
                }
                _ => out.push(r),
            }
        }
        out
    }

    /// Whether `n` is a member, with `*` standing for `largest`.
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.ranges(largest).any(|r| r.contains(&n))
    }

    /// The members in ascending order without duplicates, clipped to
    /// `1..=largest` — the sequence numbers a command names in a mailbox of
    /// `largest` messages. Lazy: never materialises a range.
    pub fn iter_clipped(&self, largest: u32) -> impl Iterator<Item = u32> {
        self.normalized(largest)
            .into_iter()
            .filter_map(move |r| {
                let lo = (*r.start()).max(1);
                let hi = (*r.end()).min(largest);
                (lo <= hi).then_some(lo..=hi)
            })
            .flatten()
    }

    /// The largest explicit number that exceeds `largest` — a sequence
    /// number that does not exist (RFC 3501 §9 makes this an error for
    /// message sequence numbers, not for UIDs).
    pub fn first_out_of_range(&self, largest: u32) -> Option<u32> {
        self.ranges(largest)
            .map(|r| *r.end())
            .find(|&end| end > largest)
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeqNumber::Value(n) => write!(f, "{n}"),
            SeqNumber::Largest => f.write_str("*"),
        }
    }
}

impl fmt::Display for Sequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sequence::Single(n) => write!(f, "{n}"),
            Sequence::Range(a, b) => write!(f, "{a}:{b}"),
        }
    }
}

impl fmt::Display for SequenceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SequenceSet::Saved => f.write_str("$"),
            SequenceSet::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::str::FromStr for SequenceSet {
    type Err = ValidationError;

    /// Parses the wire form (`1,3:5,7:*` or `$`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "$" {
            return Ok(SequenceSet::Saved);
        }
        let number = |t: &str| -> Result<SeqNumber, ValidationError> {
            if t == "*" {
                return Ok(SeqNumber::Largest);
            }
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.starts_with('0') {
                return Err(ValidationError::BadSequence(t.to_owned()));
            }
            let n: u32 = t
                .parse()
                .map_err(|_| ValidationError::BadSequence(t.to_owned()))?;
            SeqNumber::try_from(n)
        };
        let items = s
            .split(',')
            .map(|item| match item.split_once(':') {
                Some((a, b)) => Ok(Sequence::Range(number(a)?, number(b)?)),
                None => Ok(Sequence::Single(number(item)?)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        SequenceSet::new(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> SequenceSet {
        s.parse().unwrap()
    }

    #[test]
    fn reversed_ranges_mean_the_same() {
        assert_eq!(set("5:2").normalized(10), set("2:5").normalized(10));
    }

    #[test]
    fn star_resolves_to_largest() {
        assert_eq!(set("*").normalized(7), vec![7..=7]);
        assert_eq!(set("3:*").normalized(7), vec![3..=7]);
        // Above the top: still includes the top (RFC 3501 §6.4.8).
        assert_eq!(set("9:*").normalized(7), vec![7..=9]);
        assert_eq!(set("9:*").iter_clipped(7).collect::<Vec<_>>(), vec![7]);
    }

    #[test]
    fn huge_ranges_are_not_materialised() {
        let s = set("1:4294967295");
        assert!(s.contains(4_000_000_000, 0));
        assert_eq!(s.iter_clipped(3).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(s.first_out_of_range(3), Some(4294967295));
    }

    #[test]
    fn overlapping_and_adjacent_ranges_merge() {
        assert_eq!(
            set("1,2,3:4,10,6:8,7").normalized(100),
            vec![1..=4, 6..=8, 10..=10]
        );
    }

    #[test]
    fn empty_zero_and_junk_are_rejected() {
        for bad in [
            "",
            "0",
            "1:0",
            "1:*:2",
            "01",
            "1,,2",
            "a",
            "4294967296",
            "-1",
        ] {
            assert!(bad.parse::<SequenceSet>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["1", "1:*", "*:4,7", "$", "4294967295"] {
            assert_eq!(set(s).to_string(), s);
        }
    }
}
