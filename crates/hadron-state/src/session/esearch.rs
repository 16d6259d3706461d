//! The result options SEARCH and SORT share: `RETURN (MIN MAX ALL COUNT
//! SAVE PARTIAL …)` (RFC 4731 ESEARCH, RFC 5182 SEARCHRES, RFC 5267 ESORT,
//! RFC 9394 PARTIAL) and the `* ESEARCH` items they ask for.
//!
//! A result is a list of numbers in *result order*: ascending for SEARCH,
//! the sort order for SORT. MIN and MAX are its first and last entries, ALL
//! lists it in that order (ascending runs written as ranges, so a SEARCH
//! result is the usual compact set), PARTIAL selects by position in it.

use std::num::NonZeroU32;

use hadron_proto::types::{ESearchItem, PartialRange, SearchReturnOption};

use super::messages::wire_uids;

/// What `RETURN (...)` asks for.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Wanted {
    pub(super) min: bool,
    pub(super) max: bool,
    pub(super) all: bool,
    pub(super) count: bool,
    pub(super) save: bool,
    pub(super) partial: Option<PartialRange>,
    /// `UPDATE` (RFC 5267): keep the result updated ([`super::contexts`]).
    pub(super) update: bool,
}

impl Wanted {
    pub(super) fn of(options: &[SearchReturnOption]) -> Wanted {
        let mut w = Wanted::default();
        for o in options {
            match *o {
                SearchReturnOption::Min => w.min = true,
                SearchReturnOption::Max => w.max = true,
                SearchReturnOption::All => w.all = true,
                SearchReturnOption::Count => w.count = true,
                SearchReturnOption::Save => w.save = true,
                SearchReturnOption::Partial(r) => w.partial = Some(r),
                SearchReturnOption::Update => w.update = true,
                // A hint (RFC 5267 §4.1): results are computed anew anyway.
                SearchReturnOption::Context => {}
            }
        }
        // RFC 4731: `RETURN ()` is `RETURN (ALL)`; so is a hint alone.
        if options.iter().all(|o| *o == SearchReturnOption::Context) {
            w.all = true;
        }
        w
    }

    /// Whether an `* ESEARCH` answers (RFC 5182 §2.4: SAVE alone does
    /// not; an updating search always does, its tag naming the context).
    pub(super) fn answers(&self) -> bool {
        self.min || self.max || self.all || self.count || self.partial.is_some() || self.update
    }

    /// The part of a result (in result order) the answer names when it
    /// names only a part: MIN, MAX and PARTIAL's window without ALL or
    /// COUNT. `None` when it stands for the whole result.
    pub(super) fn returned(&self, result: &[u32]) -> Option<Vec<u32>> {
        if self.all || self.count || !(self.min || self.max || self.partial.is_some()) {
            return None;
        }
        let mut v = Vec::new();
        if self.min {
            v.extend(result.first());
        }
        if self.max {
            v.extend(result.last());
        }
        if let Some(r) = self.partial {
            v.extend_from_slice(&result[r.window(result.len())]);
        }
        Some(v)
    }

    /// What SAVE keeps of a result (UIDs in result order), ascending: what
    /// the answer names (RFC 5182 §2.4: with MIN and/or MAX alone only
    /// those; likewise PARTIAL's window), else the whole result.
    pub(super) fn saved(&self, uids: &[u32]) -> Vec<u32> {
        let mut kept = self.returned(uids).unwrap_or_else(|| uids.to_vec());
        kept.sort_unstable();
        kept.dedup();
        kept
    }

    /// The `* ESEARCH` items of a result (`numbers` in result order), in
    /// the order RFC 4731 lists them, with `modseq` last when given.
    pub(super) fn items(&self, numbers: &[u32], modseq: Option<u64>) -> Vec<ESearchItem> {
        let mut items = Vec::new();
        if self.min
            && let Some(n) = numbers.first().copied().and_then(NonZeroU32::new)
        {
            items.push(ESearchItem::Min(n));
        }
        if self.max
            && let Some(n) = numbers.last().copied().and_then(NonZeroU32::new)
        {
            items.push(ESearchItem::Max(n));
        }
        if self.all
            && let Some(set) = wire_uids(numbers.iter().copied())
        {
            items.push(ESearchItem::All(set.as_sequence_set().clone()));
        }
        if self.count {
            items.push(ESearchItem::Count(
                u32::try_from(numbers.len()).unwrap_or(u32::MAX),
            ));
        }
        if let Some(r) = self.partial {
            let window = &numbers[r.window(numbers.len())];
            let set = wire_uids(window.iter().copied()).map(|s| s.as_sequence_set().clone());
            items.push(ESearchItem::Partial(r, set));
        }
        if let Some(modseq) = modseq {
            items.push(ESearchItem::ModSeq(modseq));
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from_end: bool, a: u32, b: u32) -> PartialRange {
        let n = |v| NonZeroU32::new(v).unwrap();
        PartialRange::new(from_end, n(a), n(b))
    }

    fn wire(items: &[ESearchItem]) -> String {
        let e = hadron_proto::types::ESearch {
            tag: None,
            uid: false,
            items: items.to_vec(),
        };
        let mut out = Vec::new();
        hadron_proto::encode::response(
            &hadron_proto::types::Response::Data(hadron_proto::types::Data::ESearch(e)),
            &mut out,
        );
        String::from_utf8(out).unwrap().trim_end().to_owned()
    }

    #[test]
    fn partial_windows_follow_result_order() {
        let w = Wanted {
            partial: Some(range(false, 2, 4)),
            ..Wanted::default()
        };
        // A SORT result keeps its order: ascending runs only.
        assert_eq!(
            wire(&w.items(&[5, 3, 4, 2, 1], None)),
            "* ESEARCH PARTIAL (2:4 3:4,2)"
        );
        let last = Wanted {
            partial: Some(range(true, 1, 2)),
            count: true,
            ..Wanted::default()
        };
        assert_eq!(
            wire(&last.items(&[1, 2, 4, 5], None)),
            "* ESEARCH COUNT 4 PARTIAL (-1:-2 4:5)"
        );
        let past = Wanted {
            partial: Some(range(false, 6, 9)),
            ..Wanted::default()
        };
        assert_eq!(
            wire(&past.items(&[1, 2], None)),
            "* ESEARCH PARTIAL (6:9 NIL)"
        );
    }

    #[test]
    fn min_max_and_all_of_a_sorted_result() {
        let w = Wanted::of(&[
            SearchReturnOption::Min,
            SearchReturnOption::Max,
            SearchReturnOption::All,
        ]);
        assert_eq!(
            wire(&w.items(&[5, 3, 4, 2, 1], Some(7))),
            "* ESEARCH MIN 5 MAX 1 ALL 5,3:4,2,1 MODSEQ 7"
        );
        assert!(Wanted::of(&[]).all);
        assert!(!Wanted::of(&[SearchReturnOption::Save]).answers());
    }

    #[test]
    fn save_keeps_what_was_returned() {
        let uids = [9, 3, 7, 1];
        let ends = Wanted::of(&[SearchReturnOption::Min, SearchReturnOption::Save]);
        assert_eq!(ends.saved(&uids), [9]);
        let page = Wanted::of(&[
            SearchReturnOption::Partial(range(false, 2, 3)),
            SearchReturnOption::Save,
        ]);
        assert_eq!(page.saved(&uids), [3, 7]);
        let all = Wanted::of(&[SearchReturnOption::Save]);
        assert_eq!(all.saved(&uids), [1, 3, 7, 9]);
    }
}
