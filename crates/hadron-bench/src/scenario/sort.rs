//! `sort`: SORT (RFC 5256) of the whole corpus by `Date:` (DATE), first
//! sender (FROM), base subject (SUBJECT) and reversed arrival order, SORT
//! by size of the unseen messages, `UID SORT (DISPLAYFROM)` (RFC 5957)
//! when the server announces `SORT=DISPLAY`, and THREAD of the whole corpus
//! by REFERENCES and ORDEREDSUBJECT when announced — all on the corpus
//! opened with EXAMINE, so nothing changes.
//!
//! Every answer is checked: exactly one `* SORT` (or `* THREAD`) response,
//! holding each message the search criteria select exactly once (the set
//! is taken from a SEARCH of the same criteria before the timed commands).
//! The order itself is not checked (ARRIVAL is the internal date, which
//! `fill` sets at random, not the append order), nor the thread shape.
//! Anything else counts as a state error. A row is skipped, with a note,
//! when the server lacks its capability.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use hadron_proto::types::{
    Charset, CommandBody, Data, NonEmptyVec, Response, SearchKey, SortCriterion, SortKey, Thread,
    ThreadAlgorithm,
};

use super::{Ctx, Metric, select};
use crate::BenchError;
use crate::client::Client;
use crate::stats::Histogram;

/// What a row asks the server to do with the matches.
#[derive(Debug, Clone, PartialEq)]
enum Order {
    /// `SORT ((REVERSE) key)`.
    Sort { reverse: bool, key: SortKey },
    /// `THREAD algorithm`.
    Thread(ThreadAlgorithm<'static>),
}

/// One timed SORT or THREAD row.
struct Row {
    /// The row's label (`SORT (DATE) ALL`).
    op: &'static str,
    /// `UID SORT` / `UID THREAD`.
    uid: bool,
    order: Order,
    /// The search criteria.
    criteria: SearchKey<'static>,
    /// The capability the row needs.
    needs: &'static str,
}

/// The rows, in the order they run.
fn rows() -> Vec<Row> {
    let sort = |op, uid, reverse, key, criteria, needs| Row {
        op,
        uid,
        order: Order::Sort { reverse, key },
        criteria,
        needs,
    };
    let thread = |op, algorithm, needs| Row {
        op,
        uid: false,
        order: Order::Thread(algorithm),
        criteria: SearchKey::All,
        needs,
    };
    use SearchKey::{All, Unseen};
    vec![
        sort("SORT (DATE) ALL", false, false, SortKey::Date, All, "SORT"),
        sort("SORT (FROM) ALL", false, false, SortKey::From, All, "SORT"),
        sort(
            "SORT (SUBJECT) ALL",
            false,
            false,
            SortKey::Subject,
            All,
            "SORT",
        ),
        sort(
            "SORT (REVERSE ARRIVAL) ALL",
            false,
            true,
            SortKey::Arrival,
            All,
            "SORT",
        ),
        sort(
            "SORT (SIZE) UNSEEN",
            false,
            false,
            SortKey::Size,
            Unseen,
            "SORT",
        ),
        sort(
            "UID SORT (DISPLAYFROM) ALL",
            true,
            false,
            SortKey::DisplayFrom,
            All,
            "SORT=DISPLAY",
        ),
        thread(
            "THREAD REFERENCES ALL",
            ThreadAlgorithm::References,
            "THREAD=REFERENCES",
        ),
        thread(
            "THREAD ORDEREDSUBJECT ALL",
            ThreadAlgorithm::OrderedSubject,
            "THREAD=ORDEREDSUBJECT",
        ),
    ]
}

/// Every message number of a THREAD answer, in answer order.
fn thread_members(threads: &[Thread]) -> Vec<NonZeroU32> {
    let mut out = Vec::new();
    let mut stack: Vec<&Thread> = threads.iter().rev().collect();
    while let Some(t) = stack.pop() {
        out.extend_from_slice(&t.members);
        stack.extend(t.children.iter().rev());
    }
    out
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let corpus = ctx.corpus.clone();
    let mut client = ctx.target.connect().await?;
    select(&mut client, &corpus, true).await?.0.ok("EXAMINE")?;
    let repeat = (ctx.params.repeat / 4).max(2);
    for row in rows() {
        if !client.has_capability(row.needs) {
            let why = format!("the server does not announce {}", row.needs);
            ctx.skip(row.op, Metric::Latency, &why);
            continue;
        }
        let expected = search(&mut client, row.uid, row.criteria.clone()).await?;
        let check = Expected::new(&expected);
        let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
        for _ in 0..repeat {
            let keys = NonEmptyVec::one(row.criteria.clone());
            let body = match &row.order {
                &Order::Sort { reverse, key } => CommandBody::Sort {
                    return_options: None,
                    uid: row.uid,
                    criteria: NonEmptyVec::one(SortCriterion { reverse, key }),
                    charset: utf8(),
                    keys,
                },
                Order::Thread(algorithm) => CommandBody::Thread {
                    uid: row.uid,
                    algorithm: algorithm.clone(),
                    charset: utf8(),
                    keys,
                },
            };
            let (mut lines, mut ids) = (0u32, Vec::new());
            let t = Instant::now();
            let reply = client
                .execute_with(body, |r| match r {
                    Response::Data(Data::Sort { ids: got, .. }) => {
                        lines += 1;
                        ids.clone_from(got);
                    }
                    Response::Data(Data::Thread(threads)) => {
                        lines += 1;
                        ids = thread_members(threads);
                    }
                    _ => {}
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
                n => Some(format!("{n} answers, expected 1")),
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
    fn rows_need_their_capability() {
        let rows = rows();
        assert_eq!(rows.len(), 8);
        for row in &rows {
            let needed = match &row.order {
                Order::Sort {
                    key: SortKey::DisplayFrom | SortKey::DisplayTo,
                    ..
                } => "SORT=DISPLAY".to_owned(),
                Order::Sort { .. } => "SORT".to_owned(),
                Order::Thread(a) => format!("THREAD={}", a.name()),
            };
            assert_eq!(row.needs, needed, "{}", row.op);
        }
    }

    #[test]
    fn thread_members_are_listed_in_answer_order() {
        let t = |members: &[u32], children| Thread {
            members: nz(members),
            children,
        };
        let answer = [
            t(&[3], vec![]),
            t(
                &[1, 2],
                vec![
                    t(&[5], vec![]),
                    t(&[], vec![t(&[4], vec![]), t(&[6], vec![])]),
                ],
            ),
        ];
        assert_eq!(thread_members(&answer), nz(&[3, 1, 2, 5, 4, 6]));
    }
}
