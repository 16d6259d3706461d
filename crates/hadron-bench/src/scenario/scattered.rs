//! The rows of `store` that work on scattered message sets of the corpus,
//! the shapes real clients send and a server can get badly wrong:
//!
//! - [`pairs`]: `STORE +FLAGS.SILENT (\Deleted)` on [`PAIRS`] two-message
//!   ranges by sequence number (`1:2,1001:1002,2001:2002,…` in a million
//!   messages), then the undo — one command each;
//! - [`restore`]: `\Seen` set on about [`RESTORE_SHARE`] of the messages
//!   chosen at random (about one range per five messages), sent as
//!   several `UID STORE`s each under [`MAX_LINE`] bytes as real clients
//!   split long sets, timed in total; then the undo;
//! - [`random_expunge`]: [`EXPUNGES`] random messages get `\Deleted` and
//!   are expunged by one session, and another session's NOOP is told.
//!
//! Counts shrink to what the corpus holds, and the row's note says so.
//! After each change a `SEARCH` checks that exactly the intended messages
//! changed (a difference is a `state` error).

use std::time::{Duration, Instant};

use hadron_proto::types::{
    CommandBody, Data, Flag, NonEmptyVec, Response, SearchKey, SeqNumber, Sequence, SequenceSet,
    StoreKind,
};

use super::{Ctx, Metric, select, thousands};
use crate::BenchError;
use crate::client::Client;
use crate::rng::Rng;
use crate::stats::Histogram;

/// The longest command line a scattered STORE sends, CRLF included: under
/// the 64 KiB that Dovecot (`imap_max_line_length`) and Hadron
/// (`limits.max_line`) accept by default.
pub(super) const MAX_LINE: usize = 60_000;

/// Room on a command line for what is not the set: a tag of up to 20
/// digits, `UID STORE `, ` -FLAGS.SILENT (\Deleted)` and CRLF.
const LINE_OVERHEAD: usize = 64;

/// Two-message ranges of [`pairs`] (fewer when the corpus is small).
pub(super) const PAIRS: u32 = 1_000;

/// The share of the messages [`restore`] marks `\Seen`.
pub(super) const RESTORE_SHARE: f64 = 0.7;

/// Messages [`random_expunge`] removes (at most half the corpus).
pub(super) const EXPUNGES: usize = 1_000;

/// `want` two-message ranges `a:a+1` spread evenly over messages `1..=n`,
/// a gap of at least one message between them (so that no two touch and
/// none could be merged): every `n / want`-th pair, or every third when
/// that is closer, and then as many as fit.
pub(super) fn pair_ranges(n: u32, want: u32) -> Vec<(u32, u32)> {
    if n < 2 || want == 0 {
        return Vec::new();
    }
    let step = (n / want).max(3);
    let count = want.min((n - 2) / step + 1);
    (0..count).map(|k| (k * step + 1, k * step + 2)).collect()
}

/// The runs of consecutive `true`s, as inclusive index ranges.
pub(super) fn runs(chosen: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &c) in chosen.iter().enumerate() {
        match (c, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, chosen.len() - 1));
    }
    out
}

/// Each element chosen with probability `share`.
pub(super) fn choose(rng: &mut Rng, n: usize, share: f64) -> Vec<bool> {
    (0..n).map(|_| rng.chance(share)).collect()
}

/// `k` distinct indices of `0..n` at random (all of them when `k` ≥ `n`),
/// in increasing order.
pub(super) fn pick_distinct(rng: &mut Rng, n: usize, k: usize) -> Vec<usize> {
    let k = k.min(n);
    // Floyd's algorithm: k draws, whatever n.
    let mut picked = std::collections::BTreeSet::new();
    for j in n - k..n {
        let t = rng.below(j as u64 + 1) as usize;
        if !picked.insert(t) {
            picked.insert(j);
        }
    }
    picked.into_iter().collect()
}

/// The length of `a` or `a:b` in a sequence set.
fn range_len(a: u32, b: u32) -> usize {
    let digits = |v: u32| v.checked_ilog10().map_or(1, |l| l as usize + 1);
    if a == b {
        digits(a)
    } else {
        digits(a) + 1 + digits(b)
    }
}

/// The ranges cut, in order, into sets of at most `max_len` bytes as
/// written (`a:b,c,d:e`); every range is in exactly one set (a single
/// range longer than `max_len` alone in its own).
pub(super) fn split_sets(ranges: &[(u32, u32)], max_len: usize) -> Vec<Vec<(u32, u32)>> {
    let mut sets = Vec::new();
    let (mut current, mut len) = (Vec::new(), 0);
    for &(a, b) in ranges {
        let add = range_len(a, b) + usize::from(!current.is_empty());
        if !current.is_empty() && len + add > max_len {
            sets.push(std::mem::take(&mut current));
            len = 0;
        }
        len += range_len(a, b) + usize::from(!current.is_empty());
        current.push((a, b));
    }
    if !current.is_empty() {
        sets.push(current);
    }
    sets
}

/// The ranges cut into sets that keep a STORE's command line within
/// [`MAX_LINE`].
pub(super) fn line_sets(ranges: &[(u32, u32)]) -> Vec<SequenceSet> {
    split_sets(ranges, MAX_LINE - LINE_OVERHEAD)
        .iter()
        .map(|set| to_set(set))
        .collect()
}

/// A sequence set of the given (non-empty, non-zero) ranges.
fn to_set(ranges: &[(u32, u32)]) -> SequenceSet {
    let n = |v: u32| SeqNumber::Value(std::num::NonZeroU32::new(v).expect("numbers start at 1"));
    SequenceSet::List(
        ranges
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    Sequence::Single(n(a))
                } else {
                    Sequence::Range(n(a), n(b))
                }
            })
            .collect(),
    )
}

/// The UID ranges of the messages at `runs` of positions.
pub(super) fn uid_ranges(uids: &[u32], runs: &[(usize, usize)]) -> Vec<(u32, u32)> {
    runs.iter().map(|&(a, b)| (uids[a], uids[b])).collect()
}

/// `[UID] STORE set ±FLAGS.SILENT (flag)` for each set in turn: the time
/// of each command and of all of them.
async fn store_all(
    client: &mut Client,
    uid: bool,
    sets: &[SequenceSet],
    kind: StoreKind,
    flag: &Flag<'static>,
) -> Result<(Histogram, Duration), BenchError> {
    let mut hist = Histogram::new();
    let start = Instant::now();
    for set in sets {
        let body = super::session::store(uid, set.clone(), kind, true, vec![flag.clone()]);
        let t = Instant::now();
        client.execute(body).await?;
        hist.record(t.elapsed());
    }
    Ok((hist, start.elapsed()))
}

/// The sequence numbers `SEARCH key` finds, in increasing order.
async fn search(client: &mut Client, key: SearchKey<'static>) -> Result<Vec<u32>, BenchError> {
    let mut found = Vec::new();
    let body = CommandBody::Search {
        uid: false,
        return_options: None,
        charset: None,
        criteria: NonEmptyVec::one(key),
    };
    client
        .execute_with(body, |r| {
            if let Response::Data(Data::Search { ids, .. }) = r {
                found.extend(ids.iter().map(|n| n.get()));
            }
        })
        .await?;
    found.sort_unstable();
    Ok(found)
}

/// Counts a state error unless `SEARCH key` finds exactly `expected`
/// (sorted sequence numbers).
async fn check(
    ctx: &mut Ctx,
    client: &mut Client,
    key: SearchKey<'static>,
    expected: &[u32],
    after: &str,
) -> Result<(), BenchError> {
    let found = search(client, key).await?;
    if found != expected {
        let missing = expected.iter().filter(|n| found.binary_search(n).is_err());
        let extra = found.iter().filter(|n| expected.binary_search(n).is_err());
        ctx.errors.state_error(format!(
            "after {after}: SEARCH found {} messages, expected {} ({} missing, {} extra)",
            found.len(),
            expected.len(),
            missing.count(),
            extra.count()
        ));
    }
    Ok(())
}

/// A single-sample histogram of `d`.
fn one(d: Duration) -> Histogram {
    let mut hist = Histogram::new();
    hist.record(d);
    hist
}

/// `STORE ±FLAGS.SILENT (\Deleted)` on [`PAIRS`] two-message ranges by
/// sequence number, on a client with the corpus of `n` messages selected
/// (none of them `\Deleted`); each way timed `repeat / 4` times.
pub(super) async fn pairs(ctx: &mut Ctx, client: &mut Client, n: u32) -> Result<(), BenchError> {
    let ranges = pair_ranges(n, PAIRS);
    let Some(&(_, last)) = ranges.last() else {
        return Ok(());
    };
    let count = ranges.len() as u32;
    let sets = line_sets(&ranges);
    let set_len: usize = ranges.iter().map(|&(a, b)| range_len(a, b) + 1).sum();
    let mut note = format!("1:2,…,{}:{last}", last - 1);
    if let [first, second, ..] = ranges[..] {
        note.push_str(&format!(", every {}", second.0 - first.0));
    }
    note.push_str(&format!(" ({} bytes of set", thousands(set_len as u64 - 1)));
    if sets.len() > 1 {
        note.push_str(&format!(", {} commands", sets.len()));
    }
    note.push(')');
    if count < PAIRS {
        note.push_str(&format!(
            "; scaled down from {}: corpus of {} messages",
            thousands(PAIRS.into()),
            thousands(n.into())
        ));
    }
    let expected: Vec<u32> = ranges.iter().flat_map(|&(a, b)| [a, b]).collect();
    let (mut set_hist, mut undo_hist) = (Histogram::new(), Histogram::new());
    let (mut set_busy, mut undo_busy) = (Duration::ZERO, Duration::ZERO);
    for round in 0..(ctx.params.repeat / 4).max(1) {
        let (_, d) = store_all(client, false, &sets, StoreKind::Add, &Flag::Deleted).await?;
        set_hist.record(d);
        set_busy += d;
        if round == 0 {
            check(
                ctx,
                client,
                SearchKey::Deleted,
                &expected,
                "STORE +FLAGS on pairs",
            )
            .await?;
        }
        let (_, d) = store_all(client, false, &sets, StoreKind::Remove, &Flag::Deleted).await?;
        undo_hist.record(d);
        undo_busy += d;
        if round == 0 {
            check(
                ctx,
                client,
                SearchKey::Deleted,
                &[],
                "STORE -FLAGS on pairs",
            )
            .await?;
        }
    }
    let messages = Some(u64::from(2 * count));
    let pairs = thousands(count.into());
    ctx.push(
        &format!("STORE {pairs} 2-message ranges +FLAGS.SILENT (\\Deleted)"),
        Metric::Latency,
        &set_hist,
        set_busy,
        messages,
        Some(note.clone()),
    );
    ctx.push(
        &format!("STORE {pairs} 2-message ranges -FLAGS.SILENT (\\Deleted) (undo)"),
        Metric::Latency,
        &undo_hist,
        undo_busy,
        messages,
        Some(note),
    );
    Ok(())
}

/// The scattered restore: `\Seen` on about [`RESTORE_SHARE`] of the
/// messages at random, as `UID STORE`s of at most [`MAX_LINE`] bytes,
/// timed in total; then the same sets with `-FLAGS.SILENT`. `uids` are
/// the selected corpus's UIDs in sequence order, none of them `\Seen`.
pub(super) async fn restore(
    ctx: &mut Ctx,
    client: &mut Client,
    uids: &[u32],
) -> Result<(), BenchError> {
    if uids.is_empty() {
        return Ok(());
    }
    let mut rng = ctx.rng(0x5CA7_7E2D);
    let chosen = choose(&mut rng, uids.len(), RESTORE_SHARE);
    let runs = runs(&chosen);
    let ranges = uid_ranges(uids, &runs);
    let sets = line_sets(&ranges);
    let expected: Vec<u32> = (1..=uids.len() as u32)
        .zip(&chosen)
        .filter_map(|(seq, &c)| c.then_some(seq))
        .collect();
    let messages = expected.len() as u64;
    let share = (RESTORE_SHARE * 100.0).round();
    let shape = format!(
        "{} messages in {} ranges, {} UID STORE{} ≤ {} KB",
        thousands(messages),
        thousands(ranges.len() as u64),
        sets.len(),
        if sets.len() == 1 { "" } else { "s" },
        MAX_LINE / 1000
    );
    let (hist, total) = store_all(client, true, &sets, StoreKind::Add, &Flag::Seen).await?;
    check(
        ctx,
        client,
        SearchKey::Seen,
        &expected,
        "the scattered restore",
    )
    .await?;
    let p50 = hist.summary(total).p50_ms;
    ctx.push(
        &format!("UID STORE +FLAGS.SILENT (\\Seen) on {share}% at random (scattered restore)"),
        Metric::Latency,
        &one(total),
        total,
        Some(messages),
        Some(format!("{shape}, p50 {p50:.1} ms each")),
    );
    let (hist, total) = store_all(client, true, &sets, StoreKind::Remove, &Flag::Seen).await?;
    check(
        ctx,
        client,
        SearchKey::Seen,
        &[],
        "undoing the scattered restore",
    )
    .await?;
    let p50 = hist.summary(total).p50_ms;
    ctx.push(
        "UID STORE -FLAGS.SILENT (\\Seen) undo of the scattered restore",
        Metric::Latency,
        &one(total),
        total,
        Some(messages),
        Some(format!("{shape}, p50 {p50:.1} ms each")),
    );
    Ok(())
}

/// [`EXPUNGES`] random messages of the corpus: session B (`client`, the
/// corpus selected, `uids` its UIDs in sequence order) sets `\Deleted` on
/// them and expunges them (`UID EXPUNGE`, or `EXPUNGE` without UIDPLUS);
/// session A, which has the corpus selected too, times the NOOP that tells
/// it. Returns how many were expunged (the corpus is that much smaller).
pub(super) async fn random_expunge(
    ctx: &mut Ctx,
    client: &mut Client,
    uids: &[u32],
    uidplus: bool,
) -> Result<u64, BenchError> {
    let k = EXPUNGES.min(uids.len() / 2);
    if k == 0 {
        return Ok(0);
    }
    let mut rng = ctx.rng(0x00E8_B06E);
    let mut chosen = vec![false; uids.len()];
    for i in pick_distinct(&mut rng, uids.len(), k) {
        chosen[i] = true;
    }
    let sets = line_sets(&uid_ranges(uids, &runs(&chosen)));
    let mut note = None;
    if k < EXPUNGES {
        note = Some(format!(
            "scaled down from {}: corpus of {} messages",
            thousands(EXPUNGES as u64),
            thousands(uids.len() as u64)
        ));
    }
    let mut other = ctx.target.connect().await?;
    let outcome = async {
        select(&mut other, &ctx.corpus, false)
            .await?
            .0
            .ok("SELECT")?;
        let (_, d) = store_all(client, true, &sets, StoreKind::Add, &Flag::Deleted).await?;
        let count = thousands(k as u64);
        ctx.push(
            &format!("UID STORE +FLAGS.SILENT (\\Deleted) {count} random (session B)"),
            Metric::Latency,
            &one(d),
            d,
            Some(k as u64),
            note.clone(),
        );
        let mut told_b = 0u64;
        let t = Instant::now();
        for set in &sets {
            let body = if uidplus {
                CommandBody::UidExpunge(set.clone())
            } else {
                CommandBody::Expunge
            };
            client
                .execute_with(body, |r| {
                    if let Response::Data(Data::Expunge(_)) = r {
                        told_b += 1;
                    }
                })
                .await?;
            if !uidplus {
                break;
            }
        }
        let d = t.elapsed();
        let how = if uidplus { "UID EXPUNGE" } else { "EXPUNGE" };
        ctx.push(
            &format!("EXPUNGE {count} random (session B)"),
            Metric::Latency,
            &one(d),
            d,
            Some(told_b),
            Some(format!("{how}, {told_b}/{k} EXPUNGE responses")),
        );
        let mut told_a = 0u64;
        let t = Instant::now();
        other
            .execute_with(CommandBody::Noop, |r| {
                if let Response::Data(Data::Expunge(_)) = r {
                    told_a += 1;
                }
            })
            .await?;
        let d = t.elapsed();
        ctx.push(
            &format!("NOOP told of {count} random expunges (session A)"),
            Metric::Latency,
            &one(d),
            d,
            Some(told_a),
            Some(format!("{told_a}/{k} EXPUNGE responses")),
        );
        for (who, told) in [("B's EXPUNGE", told_b), ("A's NOOP", told_a)] {
            if told != k as u64 {
                ctx.errors
                    .state_error(format!("{who} reported {told} of {k} random expunges"));
            }
        }
        Ok::<u64, BenchError>(told_b)
    }
    .await;
    ctx.add_errors(&other);
    other.logout().await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadron_proto::encode;
    use hadron_proto::types::{Command, LiteralMode, Tag};

    #[test]
    fn pairs_are_spread_and_never_touch() {
        let million = pair_ranges(1_000_000, PAIRS);
        assert_eq!(million.len(), 1000);
        assert_eq!(&million[..3], &[(1, 2), (1001, 1002), (2001, 2002)]);
        assert_eq!(million.last(), Some(&(999_001, 999_002)));
        // 3,000 messages: the `1:2,4:5,…,2998:2999` of the first measurement.
        let small = pair_ranges(3_000, PAIRS);
        assert_eq!(small.len(), 1000);
        assert_eq!(small.last(), Some(&(2998, 2999)));
        for n in [2, 3, 5, 30, 2_999, 20_000, 100_000, 1_000_003] {
            let r = pair_ranges(n, PAIRS);
            assert!(!r.is_empty() && r.len() <= 1000, "{n}");
            assert!(r.iter().all(|&(a, b)| b == a + 1 && b <= n), "{n}");
            assert!(
                r.windows(2).all(|w| w[1].0 >= w[0].1 + 2),
                "{n}: ranges touch"
            );
        }
        // Scaled down: as many as fit with a gap.
        assert_eq!(pair_ranges(30, PAIRS).len(), 10);
        assert_eq!(pair_ranges(20_000, PAIRS).len(), 1000);
        assert!(pair_ranges(1, PAIRS).is_empty());
        assert!(pair_ranges(100, 0).is_empty());
    }

    #[test]
    fn runs_of_chosen_positions() {
        let chosen = [true, true, false, true, false, false, true, true, true];
        assert_eq!(runs(&chosen), [(0, 1), (3, 3), (6, 8)]);
        assert_eq!(runs(&[false, true]), [(1, 1)]);
        assert!(runs(&[]).is_empty());
        assert!(runs(&[false, false]).is_empty());
        assert_eq!(runs(&[true; 4]), [(0, 3)]);
    }

    #[test]
    fn seventy_percent_at_random_is_about_a_range_per_five_messages() {
        let mut rng = Rng::new(9);
        let n = 100_000;
        let chosen = choose(&mut rng, n, RESTORE_SHARE);
        let marked = chosen.iter().filter(|&&c| c).count();
        assert!((68_000..72_000).contains(&marked), "{marked}");
        // Expected runs: n · p · (1 − p) = 21,000.
        let r = runs(&chosen);
        assert!((20_000..22_000).contains(&r.len()), "{}", r.len());
        assert_eq!(r.iter().map(|&(a, b)| b - a + 1).sum::<usize>(), marked);
    }

    #[test]
    fn distinct_random_picks() {
        let mut rng = Rng::new(4);
        let p = pick_distinct(&mut rng, 1_000_000, 1000);
        assert_eq!(p.len(), 1000);
        assert!(p.windows(2).all(|w| w[0] < w[1]) && p[999] < 1_000_000);
        assert_eq!(pick_distinct(&mut rng, 5, 9), [0, 1, 2, 3, 4]);
        assert!(pick_distinct(&mut rng, 0, 3).is_empty());
        let half = pick_distinct(&mut rng, 10, 5);
        assert_eq!(half.len(), 5);
        assert!(half.windows(2).all(|w| w[0] < w[1]) && half[4] < 10);
    }

    #[test]
    fn lengths_as_written() {
        for (a, b) in [
            (1, 1),
            (9, 10),
            (10, 10),
            (999_999, 1_000_000),
            (7, 4_294_967_295),
        ] {
            assert_eq!(
                range_len(a, b),
                to_set(&[(a, b)]).to_string().len(),
                "{a}:{b}"
            );
        }
    }

    #[test]
    fn sets_split_under_the_limit_keep_every_range_once() {
        let ranges: Vec<(u32, u32)> = (0..5000u32)
            .map(|k| (k * 7 + 1, k * 7 + 1 + k % 3))
            .collect();
        let sets = split_sets(&ranges, 1000);
        assert!(sets.len() > 1);
        assert_eq!(sets.concat(), ranges, "order and membership kept");
        for (i, set) in sets.iter().enumerate() {
            let text = to_set(set).to_string();
            assert!(text.len() <= 1000, "set {i}: {} bytes", text.len());
            // Greedy: the next range would not have fitted.
            if let Some(next) = sets.get(i + 1) {
                assert!(text.len() + 1 + range_len(next[0].0, next[0].1) > 1000);
            }
        }
        assert!(split_sets(&[], 10).is_empty());
        // A range longer than the limit still goes, alone.
        assert_eq!(split_sets(&[(1, 2), (100, 200), (3, 3)], 4).len(), 3);
    }

    #[test]
    fn store_lines_stay_under_max_line() {
        // A million messages, 70% at random: about 210,000 ranges.
        let mut rng = Rng::new(1);
        let chosen = choose(&mut rng, 1_000_000, RESTORE_SHARE);
        let uids: Vec<u32> = (1..=1_000_000).map(|u| u + 4_000_000_000).collect();
        let ranges = uid_ranges(&uids, &runs(&chosen));
        let sets = line_sets(&ranges);
        assert!(sets.len() > 40, "{} commands", sets.len());
        let last = sets.len() - 1;
        let mut covered = 0;
        for (i, set) in sets.into_iter().enumerate() {
            covered += set.items().len();
            for flag in [Flag::Seen, Flag::Deleted] {
                let body = crate::scenario::session::store(
                    true,
                    set.clone(),
                    StoreKind::Remove,
                    true,
                    vec![flag],
                );
                let tag = Tag::try_from("b18446744073709551615").unwrap();
                let mut out = Vec::new();
                encode::command_with_mode(&Command { tag, body }, LiteralMode::NonSync, &mut out);
                assert!(out.len() <= MAX_LINE, "{} bytes", out.len());
                if i < last {
                    assert!(
                        out.len() > MAX_LINE - 2 * LINE_OVERHEAD,
                        "sets are nearly full"
                    );
                }
            }
        }
        assert_eq!(covered, ranges.len());
    }
}
