//! `sort`: SORT (RFC 5256) of the whole corpus by `Date:` (DATE), first
//! sender (FROM), base subject (SUBJECT) and reversed arrival order, SORT
//! by size of the unseen messages, and `UID SORT (DISPLAYFROM)` (RFC 5957)
//! when the server announces `SORT=DISPLAY` — all on the corpus opened with
//! EXAMINE, so nothing changes.
//!
//! Every answer is checked: exactly one `* SORT` response, holding each
//! message the search criteria select exactly once (the set is taken from
//! a SEARCH of the same criteria before the timed commands). The order
//! itself is not checked (ARRIVAL is the internal date, which `fill` sets
//! at random, not the append order). Anything else counts as a state
//! error. The rows are skipped, with a note, when the server lacks `SORT`.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use hadron_proto::types::{
    Charset, CommandBody, Data, NonEmptyVec, Response, SearchKey, SortCriterion, SortKey,
};

use super::{Ctx, Metric, select};
use crate::BenchError;
use crate::client::Client;
use crate::stats::Histogram;

/// One timed SORT row.
struct Row {
    /// The row's label (`SORT (DATE) ALL`).
    op: &'static str,
    /// `UID SORT`.
    uid: bool,
    /// `(REVERSE)` and the key.
    reverse: bool,
    key: SortKey,
    /// The search criteria.
    criteria: SearchKey<'static>,
    /// The capability the row needs beyond `SORT`.
    needs: Option<&'static str>,
}

/// The rows, in the order they run.
fn rows() -> Vec<Row> {
    let row = |op, uid, reverse, key, criteria, needs| Row {
        op,
        uid,
        reverse,
        key,
        criteria,
        needs,
    };
    vec![
        row(
            "SORT (DATE) ALL",
            false,
            false,
            SortKey::Date,
            SearchKey::All,
            None,
        ),
        row(
            "SORT (FROM) ALL",
            false,
            false,
            SortKey::From,
            SearchKey::All,
            None,
        ),
        row(
            "SORT (SUBJECT) ALL",
            false,
            false,
            SortKey::Subject,
            SearchKey::All,
            None,
        ),
        row(
            "SORT (REVERSE ARRIVAL) ALL",
            false,
            true,
            SortKey::Arrival,
            SearchKey::All,
            None,
        ),
        row(
            "SORT (SIZE) UNSEEN",
            false,
            false,
            SortKey::Size,
            SearchKey::Unseen,
            None,
        ),
        row(
            "UID SORT (DISPLAYFROM) ALL",
            true,
            false,
            SortKey::DisplayFrom,
            SearchKey::All,
            Some("SORT=DISPLAY"),
        ),
    ]
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let corpus = ctx.corpus.clone();
    let mut client = ctx.target.connect().await?;
    let rows = rows();
    if !client.has_capability("SORT") {
        for row in &rows {
            ctx.skip(row.op, Metric::Latency, "the server does not announce SORT");
        }
        client.logout().await;
        return Ok(());
    }
    select(&mut client, &corpus, true).await?.0.ok("EXAMINE")?;
    let repeat = (ctx.params.repeat / 4).max(2);
    for row in rows {
        if let Some(cap) = row.needs
            && !client.has_capability(cap)
        {
            let why = format!("the server does not announce {cap}");
            ctx.skip(row.op, Metric::Latency, &why);
            continue;
        }
        let expected = search(&mut client, row.uid, row.criteria.clone()).await?;
        let check = Expected::new(&expected);
        let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
        for _ in 0..repeat {
            let body = CommandBody::Sort {
                uid: row.uid,
                criteria: NonEmptyVec::one(SortCriterion {
                    reverse: row.reverse,
                    key: row.key,
                }),
                charset: utf8(),
                keys: NonEmptyVec::one(row.criteria.clone()),
            };
            let (mut lines, mut ids) = (0u32, Vec::new());
            let t = Instant::now();
            let reply = client
                .execute_with(body, |r| {
                    if let Response::Data(Data::Sort { ids: got, .. }) = r {
                        lines += 1;
                        ids.clone_from(got);
                    }
                })
                .await?;
            let d = t.elapsed();
            if !reply.is_ok() {
                // Counted by the client as NO or BAD.
                continue;
            }
            hist.record(d);
            busy += d;
            let problem = match lines {
                1 => check.permutation(&ids).err(),
                n => Some(format!("{n} SORT responses, expected 1")),
            };
            if let Some(why) = problem {
                ctx.errors.state_error(format!("{}: {why}", row.op));
            }
        }
        let note = Some(format!("{} messages", expected.len()));
        ctx.push(
            row.op,
            Metric::Latency,
            &hist,
            busy,
            Some(expected.len() as u64 * hist.count()),
            note,
        );
    }
    ctx.add_errors(&client);
    client.logout().await;
    Ok(())
}

/// `UTF-8`, the charset of every SORT command (there are no strings).
fn utf8() -> Charset<'static> {
    Charset::try_from("UTF-8").expect("a valid charset")
}

/// The numbers `[UID] SEARCH criteria` returns: what a SORT of the same
/// criteria must hold.
async fn search(
    client: &mut Client,
    uid: bool,
    criteria: SearchKey<'static>,
) -> Result<Vec<NonZeroU32>, BenchError> {
    let mut found = Vec::new();
    client
        .execute_with(
            CommandBody::Search {
                uid,
                return_options: None,
                charset: None,
                criteria: NonEmptyVec::one(criteria),
            },
            |r| {
                if let Response::Data(Data::Search { ids, .. }) = r {
                    found.extend_from_slice(ids);
                }
            },
        )
        .await?
        .ok("SEARCH")?;
    Ok(found)
}

/// The set of numbers a SORT must return, as a bitmap over `0..=max`.
struct Expected {
    member: Vec<bool>,
    len: usize,
}

impl Expected {
    fn new(ids: &[NonZeroU32]) -> Self {
        let max = ids.iter().map(|n| n.get() as usize).max().unwrap_or(0);
        let mut member = vec![false; max + 1];
        for n in ids {
            member[n.get() as usize] = true;
        }
        let len = member.iter().filter(|&&m| m).count();
        Expected { member, len }
    }

    /// `Ok` when `got` holds every expected number exactly once and
    /// nothing else; else what is wrong (linear in `got`).
    fn permutation(&self, got: &[NonZeroU32]) -> Result<(), String> {
        if got.len() != self.len {
            return Err(format!("{} numbers, expected {}", got.len(), self.len));
        }
        let mut seen = vec![false; self.member.len()];
        for n in got {
            let i = n.get() as usize;
            if !self.member.get(i).copied().unwrap_or(false) {
                return Err(format!("{n} is not among the searched messages"));
            }
            if std::mem::replace(&mut seen[i], true) {
                return Err(format!("{n} appears twice"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(v: &[u32]) -> Vec<NonZeroU32> {
        v.iter().map(|&n| NonZeroU32::new(n).unwrap()).collect()
    }

    #[test]
    fn permutations_are_accepted() {
        let e = Expected::new(&nz(&[1, 2, 3, 7]));
        assert!(e.permutation(&nz(&[7, 1, 3, 2])).is_ok());
        assert!(Expected::new(&[]).permutation(&[]).is_ok());
    }

    #[test]
    fn wrong_answers_are_described() {
        let e = Expected::new(&nz(&[1, 2, 3, 7]));
        assert!(
            e.permutation(&nz(&[1, 2, 3]))
                .unwrap_err()
                .contains("3 numbers")
        );
        assert!(
            e.permutation(&nz(&[1, 2, 3, 3]))
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            e.permutation(&nz(&[1, 2, 3, 4]))
                .unwrap_err()
                .contains("4 is not")
        );
        assert!(
            e.permutation(&nz(&[1, 2, 3, 9]))
                .unwrap_err()
                .contains("9 is not")
        );
    }

    #[test]
    fn display_row_needs_its_capability() {
        let rows = rows();
        assert_eq!(rows.len(), 6);
        let display: Vec<_> = rows.iter().filter(|r| r.needs.is_some()).collect();
        assert_eq!(display.len(), 1);
        assert!(display[0].uid && display[0].key == SortKey::DisplayFrom);
    }
}
