//! `resync`: what a client reconnecting with CONDSTORE/QRESYNC (RFC 7162)
//! costs the server, beside the full flag fetch of a client without them.
//!
//! On a mailbox of its own, `bench-<run>-resync`, filled with
//! [`ResyncParams::messages`] messages without flags:
//!
//! 1. session A turns QRESYNC on (`ENABLE QRESYNC`, then `SELECT`; with
//!    CONDSTORE alone `SELECT mbox (CONDSTORE)`), remembers UIDVALIDITY,
//!    HIGHESTMODSEQ and the UIDs, and logs out;
//! 2. session B sets `\Seen` on [`ResyncParams::changed`] random messages
//!    and expunges [`ResyncParams::expunged`] other random ones (`UID
//!    STORE` with scattered sets cut under [`scattered::MAX_LINE`], then
//!    `UID EXPUNGE`), each step timed once;
//! 3. then, the server's state staying the same, `repeat` times each:
//!    - *resync select*: on a new logged-in connection, `ENABLE QRESYNC`,
//!      then `EXAMINE mbox (QRESYNC (uidvalidity modseq))` timed to its
//!      tagged OK with all its responses: its `VANISHED (EARLIER)` must
//!      name exactly the expunged UIDs (among those A knew: a UID that
//!      never existed is tolerated) and its FETCHes exactly the changed
//!      messages, each with a MODSEQ above A's;
//!    - *plain select*: the same without QRESYNC, a plain `EXAMINE mbox`
//!      on a new connection, what the resync select adds to;
//!    - *changedsince nothing*: `UID FETCH 1:* (FLAGS) (CHANGEDSINCE m)`
//!      with `m` the current HIGHESTMODSEQ, the mailbox examined with
//!      CONDSTORE: no FETCH;
//!    - *changedsince N*: the same since A's HIGHESTMODSEQ: the changed
//!      messages;
//!    - *baseline*: `UID FETCH 1:* (UID FLAGS)` on a connection without
//!      CONDSTORE, what a client without it does after its plain select:
//!      every message left, the changed ones `\Seen`.
//!
//!    Each has a row of the bytes the server sent per command beside its
//!    time. Before each new connection's EXAMINE the server gets
//!    [`SETTLE`] to finish closing the previous one, as in `select`.
//!
//! A row needing an extension the server does not announce, or a mailbox
//! without mod-sequences (`NOMODSEQ`), is reported as skipped with the
//! reason. A run whose responses contradict the changes counts one `state`
//! error and goes on.

use std::num::{NonZeroU32, NonZeroU64};
use std::time::{Duration, Instant};

use hadron_proto::types::{
    Capability, Code, CommandBody, Data, FetchAttribute, FetchItem, FetchItems, FetchModifier,
    Flag, NonEmptyVec, QResync, Response, SelectParam, SequenceSet, Status, StoreKind,
};

mod check;

use check::{Changes, Heard, disjoint_picks};

use super::fill::{self, Batches};
use super::select::SETTLE;
use super::{Ctx, Metric, ResyncParams, all, mailbox, scattered, thousands};
use crate::BenchError;
use crate::client::Client;
use crate::stats::Histogram;

/// Where the generated messages of the `resync` mailbox start: beyond any
/// corpus index, below the scratch mailbox of `fill`.
const RESYNC_INDEX: u64 = 2_000_000_000;

/// What session A remembered before the changes.
struct Before {
    /// UIDVALIDITY from the SELECT.
    uid_validity: Option<NonZeroU32>,
    /// HIGHESTMODSEQ from the SELECT, or why there is none.
    modseq: Result<NonZeroU64, String>,
    /// The mailbox's UIDs, ascending.
    uids: Vec<u32>,
}

/// What the measured rows work with once the changes are made.
struct Setup {
    /// The mailbox.
    name: String,
    /// What session A knew.
    before: Before,
    /// What session B changed.
    changes: Changes,
    /// The rows' names.
    labels: Labels,
    /// Runs of each row.
    repeat: usize,
    /// Whether the server announces QRESYNC.
    qresync: bool,
    /// Said in the notes of rows that depend on the changes (empty, or
    /// how the counts were scaled down).
    note: String,
}

/// The row names, the same on every target so that they compare.
struct Labels {
    select: String,
    plain: String,
    nothing: String,
    since: String,
    baseline: String,
}

impl Labels {
    fn new(changed: u64, expunged: u64, remaining: u64) -> Self {
        let (c, e) = (thousands(changed), thousands(expunged));
        Labels {
            select: format!(
                "resync select: EXAMINE (QRESYNC) new connection, {c} changed + {e} expunged"
            ),
            plain: "plain select: EXAMINE new connection (no CONDSTORE)".into(),
            nothing: "changedsince nothing: UID FETCH 1:* (FLAGS) (CHANGEDSINCE highest)".into(),
            since: format!("changedsince {c}: UID FETCH 1:* (FLAGS) (CHANGEDSINCE before)"),
            baseline: format!(
                "baseline: UID FETCH 1:* (UID FLAGS) of {} (no CONDSTORE)",
                thousands(remaining)
            ),
        }
    }
}

/// The name of the bytes row that goes with the time row `label`: the part
/// before its colon, `: bytes received`.
fn bytes_label(label: &str) -> String {
    let short = label.split_once(':').map_or(label, |(head, _)| head);
    format!("{short}: bytes received")
}

/// The timings of one row: each command's latency and bytes, their sum,
/// and the account of the first one answered.
#[derive(Default)]
struct Row {
    hist: Histogram,
    busy: Duration,
    account: Option<String>,
}

impl Row {
    /// Runs `body`, timed to its tagged OK, its responses weighed and
    /// gathered; `None` when it was refused (the client counts that).
    async fn measure(
        &mut self,
        client: &mut Client,
        body: CommandBody<'_>,
    ) -> Result<Option<Heard>, BenchError> {
        let mut heard = Heard::default();
        let before = client.received_bytes();
        let t = Instant::now();
        let reply = client.execute_with(body, |r| heard.hear(r)).await?;
        let d = t.elapsed();
        if !reply.is_ok() {
            return Ok(None);
        }
        self.hist.record_bytes(d, client.received_bytes() - before);
        self.busy += d;
        self.account.get_or_insert_with(|| heard.account());
        Ok(Some(heard))
    }

    /// Records the row and its bytes row as `label`, `items` handled by
    /// each command when they tell more than the command count.
    fn record(self, ctx: &mut Ctx, label: &str, items: Option<u64>, note: &str) {
        let mut text = self.account.unwrap_or_default();
        if !note.is_empty() {
            text = format!("{text}; {note}");
        }
        ctx.push(
            label,
            Metric::Latency,
            &self.hist,
            self.busy,
            items.map(|n| n * self.hist.count()),
            Some(text),
        );
        ctx.bytes(&bytes_label(label), &self.hist, None);
    }
}

/// Records `label` and its bytes row as skipped, `why`.
fn skip(ctx: &mut Ctx, label: &str, why: &str) {
    ctx.skip(label, Metric::Latency, why);
    ctx.skip(&bytes_label(label), Metric::Bytes, why);
}

/// Counts a state error for a run of `label` with `problems`, if any.
fn judge(ctx: &mut Ctx, label: &str, problems: Vec<String>) {
    if !problems.is_empty() {
        let short = label.split_once(':').map_or(label, |(head, _)| head);
        ctx.errors
            .state_error(format!("{short}: {}", problems.join("; ")));
    }
}

/// `ENABLE cap`, failing unless it succeeds.
async fn enable(client: &mut Client, cap: Capability<'static>) -> Result<(), BenchError> {
    let what = format!("ENABLE {cap}");
    client
        .execute(CommandBody::Enable(NonEmptyVec::one(cap)))
        .await?
        .ok(&what)?;
    Ok(())
}

/// `SELECT` or `EXAMINE` of `name` with `params`: its reply, and the
/// UIDVALIDITY and HIGHESTMODSEQ it reported (a `NOMODSEQ` is `Some(0)`).
async fn open(
    client: &mut Client,
    name: &str,
    read_only: bool,
    params: Vec<SelectParam>,
) -> Result<(crate::client::Reply, Option<NonZeroU32>, Option<u64>), BenchError> {
    let mailbox = mailbox(name)?;
    let body = if read_only {
        CommandBody::Examine { mailbox, params }
    } else {
        CommandBody::Select { mailbox, params }
    };
    let (mut validity, mut modseq) = (None, None);
    let reply = client
        .execute_with(body, |r| {
            if let Response::Status(Status::Untagged { text, .. }) = r {
                match text.code() {
                    Some(Code::UidValidity(v)) => validity = Some(*v),
                    Some(Code::HighestModSeq(m)) => modseq = Some(*m),
                    Some(Code::NoModSeq) => modseq = Some(0),
                    _ => {}
                }
            }
        })
        .await?;
    Ok((reply, validity, modseq))
}

/// `FETCH`/`UID FETCH 1:* (items) [(CHANGEDSINCE since)]`.
fn fetch_all(
    uid: bool,
    items: &[FetchAttribute<'static>],
    since: Option<NonZeroU64>,
) -> CommandBody<'static> {
    CommandBody::Fetch {
        uid,
        set: all(),
        items: FetchItems::Attributes(NonEmptyVec::new(items.to_vec()).expect("at least one item")),
        modifiers: since.map(FetchModifier::ChangedSince).into_iter().collect(),
    }
}

/// Session A: what a client knows before it goes away.
async fn remember(
    ctx: &mut Ctx,
    name: &str,
    qresync: bool,
    condstore: bool,
) -> Result<Before, BenchError> {
    let mut client = ctx.target.connect().await?;
    let outcome = async {
        let params = if qresync {
            enable(&mut client, Capability::QResync).await?;
            Vec::new()
        } else if condstore {
            vec![SelectParam::CondStore]
        } else {
            Vec::new()
        };
        let (reply, uid_validity, modseq) = open(&mut client, name, false, params).await?;
        let reply = reply.ok("SELECT")?;
        let modseq = match modseq {
            _ if !condstore => Err("the server does not announce CONDSTORE".to_owned()),
            Some(0) => Err("the mailbox has no mod-sequences (NOMODSEQ)".to_owned()),
            Some(m) => Ok(NonZeroU64::new(m).expect("not zero")),
            None if reply.code == Some(Code::NoModSeq) => {
                Err("the mailbox has no mod-sequences (NOMODSEQ)".to_owned())
            }
            None => Err("SELECT reported no HIGHESTMODSEQ".to_owned()),
        };
        let mut uids = Vec::new();
        let body = fetch_all(true, &[FetchAttribute::Uid], None);
        client
            .execute_with(body, |r| {
                if let Response::Data(Data::Fetch { items, .. }) = r {
                    for item in items {
                        if let FetchItem::Uid(u) = item {
                            uids.push(u.get());
                        }
                    }
                }
            })
            .await?
            .ok("UID FETCH 1:* (UID)")?;
        uids.sort_unstable();
        uids.dedup();
        Ok(Before {
            uid_validity,
            modseq,
            uids,
        })
    }
    .await;
    ctx.add_errors(&client);
    client.logout().await;
    outcome
}

/// `UID STORE +FLAGS.SILENT (flag)` on the UIDs at `positions` of `uids`,
/// in commands under [`scattered::MAX_LINE`]; returns the sets and the
/// time of all the commands.
async fn store_at(
    client: &mut Client,
    uids: &[u32],
    positions: &[usize],
    flag: Flag<'static>,
) -> Result<(Vec<SequenceSet>, Duration), BenchError> {
    let mut chosen = vec![false; uids.len()];
    for &p in positions {
        chosen[p] = true;
    }
    let sets = scattered::line_sets(&scattered::uid_ranges(uids, &scattered::runs(&chosen)));
    let start = Instant::now();
    for set in &sets {
        let body =
            super::session::store(true, set.clone(), StoreKind::Add, true, vec![flag.clone()]);
        client.execute(body).await?.ok("UID STORE")?;
    }
    Ok((sets, start.elapsed()))
}

/// Session B: `\Seen` on `changed` random messages and `\Deleted` plus
/// `UID EXPUNGE` (plain `EXPUNGE` without UIDPLUS) on `expunged` others,
/// each step timed once.
async fn change(
    ctx: &mut Ctx,
    name: &str,
    uids: &[u32],
    (changed, expunged): (u64, u64),
    note: &str,
) -> Result<Changes, BenchError> {
    let mut rng = ctx.rng(0x2E5_71C);
    let (seen_at, gone_at) =
        disjoint_picks(&mut rng, uids.len(), changed as usize, expunged as usize);
    let mut client = ctx.target.connect().await?;
    let uidplus = client.has_capability("UIDPLUS");
    let outcome = async {
        open(&mut client, name, false, Vec::new())
            .await?
            .0
            .ok("SELECT")?;
        let (c, e) = (
            thousands(seen_at.len() as u64),
            thousands(gone_at.len() as u64),
        );
        let (sets, d) = store_at(&mut client, uids, &seen_at, Flag::Seen).await?;
        let one = |d: Duration| {
            let mut h = Histogram::new();
            h.record(d);
            h
        };
        let shape = format!("{} UID STORE", sets.len());
        let with = |s: String| {
            if note.is_empty() {
                s
            } else {
                format!("{s}; {note}")
            }
        };
        ctx.push(
            &format!("change: UID STORE +FLAGS.SILENT (\\Seen) on {c} random"),
            Metric::Latency,
            &one(d),
            d,
            Some(seen_at.len() as u64),
            Some(with(shape)),
        );
        let t = Instant::now();
        let (sets, _) = store_at(&mut client, uids, &gone_at, Flag::Deleted).await?;
        let mut told = 0u64;
        for set in &sets {
            let body = if uidplus {
                CommandBody::UidExpunge(set.clone())
            } else {
                CommandBody::Expunge
            };
            client
                .execute_with(body, |r| {
                    if let Response::Data(Data::Expunge(_)) = r {
                        told += 1;
                    }
                })
                .await?
                .ok("EXPUNGE")?;
            if !uidplus {
                break;
            }
        }
        let d = t.elapsed();
        let how = if uidplus { "UID EXPUNGE" } else { "EXPUNGE" };
        ctx.push(
            &format!("change: UID STORE +FLAGS.SILENT (\\Deleted), {how} {e} random"),
            Metric::Latency,
            &one(d),
            d,
            Some(gone_at.len() as u64),
            Some(with(format!("{}/{e} EXPUNGE responses", thousands(told)))),
        );
        if told != gone_at.len() as u64 {
            ctx.errors.state_error(format!(
                "change: {how} reported {told} of {} expunges",
                gone_at.len()
            ));
        }
        Ok::<(), BenchError>(())
    }
    .await;
    ctx.add_errors(&client);
    client.logout().await;
    outcome?;
    let pick = |at: &[usize]| at.iter().map(|&p| uids[p]).collect::<Vec<u32>>();
    let expunged = pick(&gone_at);
    let remaining = uids
        .iter()
        .copied()
        .filter(|u| expunged.binary_search(u).is_err())
        .collect();
    Ok(Changes {
        changed: pick(&seen_at),
        expunged,
        remaining,
    })
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let sizes: ResyncParams = ctx.resync;
    let (changed, expunged, cut) = sizes.scaled();
    let note = if cut {
        format!(
            "scaled down from {} changed, {} expunged: mailbox of {} messages",
            thousands(sizes.changed),
            thousands(sizes.expunged),
            thousands(sizes.messages)
        )
    } else {
        String::new()
    };
    let name = ctx.mailbox("resync");
    let mut probe = ctx.target.connect().await?;
    let qresync = probe.has_capability("QRESYNC");
    let condstore = qresync || probe.has_capability("CONDSTORE");
    let multi = probe.has_capability("MULTIAPPEND");
    let created = ctx.create(&mut probe, &name).await;
    ctx.add_errors(&probe);
    probe.logout().await;
    created?;

    // Untimed set-up: the mailbox, messages without flags.
    let batches = Batches {
        name: name.clone(),
        base: RESYNC_INDEX,
        from: 0,
        to: sizes.messages,
        batch: if multi {
            ctx.params.multiappend_batch.max(1) as u64
        } else {
            1
        },
        flags: false,
    };
    let (appended, _) = fill::append_parallel(ctx, batches, "resync fill").await?;
    if appended.messages != sizes.messages {
        return Err(BenchError::Refused(format!(
            "filling {name}: {} of {} messages appended",
            appended.messages, sizes.messages
        )));
    }
    // Background work the fill set off would share the cores with what
    // is measured.
    super::settle(&ctx.target, &ctx.params).await;

    let before = remember(ctx, &name, qresync, condstore).await?;
    let changes = change(ctx, &name, &before.uids, (changed, expunged), &note).await?;
    let labels = Labels::new(
        changes.changed.len() as u64,
        changes.expunged.len() as u64,
        changes.remaining.len() as u64,
    );
    let setup = Setup {
        name,
        before,
        changes,
        labels,
        repeat: ctx.params.repeat.max(1),
        qresync,
        note,
    };
    resync_select(ctx, &setup).await?;
    plain_select(ctx, &setup).await?;
    changed_since(ctx, &setup).await?;
    baseline(ctx, &setup).await
}

/// Row *resync select*: `EXAMINE mbox (QRESYNC (uidvalidity modseq))` on
/// new connections.
async fn resync_select(ctx: &mut Ctx, setup: &Setup) -> Result<(), BenchError> {
    let Setup {
        name,
        before,
        changes,
        labels,
        repeat,
        qresync,
        note,
    } = setup;
    let label = &labels.select;
    let (uid_validity, mod_seq) = match (*qresync, before.uid_validity, &before.modseq) {
        (true, Some(v), Ok(m)) => (v, *m),
        (false, _, _) => {
            skip(ctx, label, "the server does not announce QRESYNC");
            return Ok(());
        }
        (_, _, Err(why)) => {
            skip(ctx, label, why);
            return Ok(());
        }
        (_, None, _) => {
            skip(ctx, label, "SELECT reported no UIDVALIDITY");
            return Ok(());
        }
    };
    let mut row = Row::default();
    for _ in 0..*repeat {
        tokio::time::sleep(SETTLE).await;
        let mut client = ctx.target.connect().await?;
        let outcome = async {
            enable(&mut client, Capability::QResync).await?;
            let body = CommandBody::Examine {
                mailbox: mailbox(name)?,
                params: vec![SelectParam::QResync(QResync {
                    uid_validity,
                    mod_seq,
                    known_uids: None,
                    seq_match: None,
                })],
            };
            row.measure(&mut client, body).await
        }
        .await;
        ctx.add_errors(&client);
        client.logout().await;
        if let Some(heard) = outcome? {
            judge(ctx, label, heard.resync_problems(changes, mod_seq.get()));
        }
    }
    let items = (changes.changed.len() + changes.expunged.len()) as u64;
    row.record(ctx, label, Some(items), note);
    Ok(())
}

/// Rows *changedsince nothing* and *changedsince N*, on one connection
/// that examined the mailbox with CONDSTORE.
async fn changed_since(ctx: &mut Ctx, setup: &Setup) -> Result<(), BenchError> {
    let Setup {
        name,
        before,
        changes,
        labels,
        repeat,
        note,
        ..
    } = setup;
    let old = match &before.modseq {
        Ok(m) => *m,
        Err(why) => {
            skip(ctx, &labels.nothing, why);
            skip(ctx, &labels.since, why);
            return Ok(());
        }
    };
    let mut client = ctx.target.connect().await?;
    let outcome = async {
        let (reply, _, current) =
            open(&mut client, name, true, vec![SelectParam::CondStore]).await?;
        reply.ok("EXAMINE (CONDSTORE)")?;
        let current = match current.and_then(NonZeroU64::new) {
            Some(m) if m > old => m,
            other => {
                let why = match other {
                    Some(m) => format!("HIGHESTMODSEQ {m} after the changes, {old} before"),
                    None => "EXAMINE (CONDSTORE) reported no HIGHESTMODSEQ".to_owned(),
                };
                ctx.errors.state_error(format!("changedsince: {why}"));
                skip(ctx, &labels.nothing, &why);
                skip(ctx, &labels.since, &why);
                return Ok(());
            }
        };
        let mut row = Row::default();
        for _ in 0..*repeat {
            let body = fetch_all(true, &[FetchAttribute::Flags], Some(current));
            if let Some(heard) = row.measure(&mut client, body).await? {
                judge(
                    ctx,
                    &labels.nothing,
                    heard.changed_problems(&[], current.get()),
                );
            }
        }
        row.record(ctx, &labels.nothing, None, "");
        let mut row = Row::default();
        for _ in 0..*repeat {
            let body = fetch_all(true, &[FetchAttribute::Flags], Some(old));
            if let Some(heard) = row.measure(&mut client, body).await? {
                judge(
                    ctx,
                    &labels.since,
                    heard.changed_problems(&changes.changed, old.get()),
                );
            }
        }
        row.record(ctx, &labels.since, Some(changes.changed.len() as u64), note);
        Ok::<(), BenchError>(())
    }
    .await;
    ctx.add_errors(&client);
    client.logout().await;
    outcome
}

/// Row *plain select*: `EXAMINE mbox` on new connections.
async fn plain_select(ctx: &mut Ctx, setup: &Setup) -> Result<(), BenchError> {
    let Setup {
        name,
        changes,
        labels,
        repeat,
        ..
    } = setup;
    let mut row = Row::default();
    for _ in 0..*repeat {
        tokio::time::sleep(SETTLE).await;
        let mut client = ctx.target.connect().await?;
        let outcome = async {
            let body = CommandBody::Examine {
                mailbox: mailbox(name)?,
                params: Vec::new(),
            };
            row.measure(&mut client, body).await
        }
        .await;
        ctx.add_errors(&client);
        client.logout().await;
        if let Some(heard) = outcome? {
            let problems = heard.exists_problem(changes.remaining.len());
            judge(ctx, &labels.plain, problems.into_iter().collect());
        }
    }
    row.record(ctx, &labels.plain, None, "");
    Ok(())
}

/// Row *baseline*: `UID FETCH 1:* (UID FLAGS)` on a connection without
/// CONDSTORE.
async fn baseline(ctx: &mut Ctx, setup: &Setup) -> Result<(), BenchError> {
    let Setup {
        name,
        changes,
        labels,
        repeat,
        ..
    } = setup;
    let mut client = ctx.target.connect().await?;
    let outcome = async {
        open(&mut client, name, true, Vec::new())
            .await?
            .0
            .ok("EXAMINE")?;
        let mut row = Row::default();
        for _ in 0..*repeat {
            let body = fetch_all(true, &[FetchAttribute::Uid, FetchAttribute::Flags], None);
            if let Some(heard) = row.measure(&mut client, body).await? {
                judge(ctx, &labels.baseline, heard.full_fetch_problems(changes));
            }
        }
        let items = Some(changes.remaining.len() as u64);
        row.record(ctx, &labels.baseline, items, "");
        Ok::<(), BenchError>(())
    }
    .await;
    ctx.add_errors(&client);
    client.logout().await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_have_a_bytes_twin() {
        let labels = Labels::new(1_000, 1_000, 9_000);
        assert_eq!(
            labels.select,
            "resync select: EXAMINE (QRESYNC) new connection, 1,000 changed + 1,000 expunged"
        );
        assert_eq!(bytes_label(&labels.select), "resync select: bytes received");
        assert_eq!(
            bytes_label(&labels.since),
            "changedsince 1,000: bytes received"
        );
        assert_eq!(bytes_label(&labels.baseline), "baseline: bytes received");
        assert_eq!(bytes_label(&labels.plain), "plain select: bytes received");
        assert_eq!(bytes_label("plain"), "plain: bytes received");
    }

    #[test]
    fn fetch_commands_as_written() {
        use hadron_proto::encode;
        use hadron_proto::types::{Command, LiteralMode, Tag};
        let write = |body| {
            let mut out = Vec::new();
            let tag = Tag::try_from("t").unwrap();
            encode::command_with_mode(&Command { tag, body }, LiteralMode::NonSync, &mut out);
            String::from_utf8(out).unwrap()
        };
        let since = NonZeroU64::new(77);
        assert_eq!(
            write(fetch_all(true, &[FetchAttribute::Flags], since)),
            "t UID FETCH 1:* FLAGS (CHANGEDSINCE 77)\r\n"
        );
        assert_eq!(
            write(fetch_all(
                true,
                &[FetchAttribute::Uid, FetchAttribute::Flags],
                None
            )),
            "t UID FETCH 1:* (UID FLAGS)\r\n"
        );
        let examine = CommandBody::Examine {
            mailbox: mailbox("bench-x-resync").unwrap(),
            params: vec![SelectParam::QResync(QResync {
                uid_validity: NonZeroU32::new(5).unwrap(),
                mod_seq: NonZeroU64::new(9).unwrap(),
                known_uids: None,
                seq_match: None,
            })],
        };
        assert_eq!(
            write(examine),
            "t EXAMINE bench-x-resync (QRESYNC (5 9))\r\n"
        );
    }
}
