//! `store`: flag changes, COPY, MOVE and EXPUNGE, in their UID forms.
//!
//! Flags change on the corpus (`\Flagged` on random ranges of 100, then off
//! again; `\Seen` on `1:*`, then off: afterwards every corpus message is
//! unseen), then on the scattered sets of `scattered.rs` (two-message
//! ranges by sequence number, the random 70% restore), each undone. COPY
//! goes from the corpus to a mailbox of this scenario; MOVE and EXPUNGE
//! work on that copy, and one session expunges up to 1,000 messages of it
//! while another, with the mailbox selected, times the NOOP that delivers
//! the expunges. Last, 1,000 random messages of the corpus are expunged
//! the same way (so the corpus shrinks by that much; a later, larger
//! round tops it up again).

use std::time::{Duration, Instant};

use hadron_proto::types::{
    CommandBody, Data, FetchAttribute, FetchItem, Flag, Response, SequenceSet, StoreKind,
};

use super::{Ctx, Metric, all, mailbox, range, scattered, select};
use crate::BenchError;
use crate::client::{Client, Reply};
use crate::rng::Rng;
use crate::stats::Histogram;

/// The UIDs of the selected mailbox, in sequence order.
async fn uids(client: &mut Client) -> Result<Vec<u32>, BenchError> {
    let mut uids = Vec::new();
    client
        .execute_with(
            CommandBody::Fetch {
                uid: false,
                set: all(),
                items: hadron_proto::types::FetchItems::Attributes(
                    hadron_proto::types::NonEmptyVec::one(FetchAttribute::Uid),
                ),
                modifiers: Vec::new(),
            },
            |r| {
                if let Response::Data(Data::Fetch { items, .. }) = r {
                    for item in items {
                        if let FetchItem::Uid(u) = item {
                            uids.push(u.get());
                        }
                    }
                }
            },
        )
        .await?;
    Ok(uids)
}

/// A random run of up to `len` consecutive UIDs, as the UID range covering
/// them, and the run's bounds.
fn uid_chunk(rng: &mut Rng, uids: &[u32], len: usize) -> Option<(SequenceSet, u32, u32)> {
    if uids.is_empty() {
        return None;
    }
    let len = len.clamp(1, uids.len());
    let start = rng.below((uids.len() - len + 1) as u64) as usize;
    let (a, b) = (uids[start], uids[start + len - 1]);
    Some((range(a, b), a, b))
}

/// `[UID] STORE set ±FLAGS.SILENT (flag)`.
fn store(
    uid: bool,
    set: SequenceSet,
    kind: StoreKind,
    flag: Flag<'static>,
) -> CommandBody<'static> {
    super::session::store(uid, set, kind, true, vec![flag])
}

async fn timed(
    client: &mut Client,
    body: CommandBody<'_>,
) -> Result<(Duration, Reply), BenchError> {
    let t = Instant::now();
    let reply = client.execute(body).await?;
    Ok((t.elapsed(), reply))
}

/// `UID STORE set +FLAGS.SILENT (\Deleted)` and `UID EXPUNGE set` (or plain
/// EXPUNGE without UIDPLUS).
async fn expunge(
    client: &mut Client,
    set: SequenceSet,
    uidplus: bool,
) -> Result<Duration, BenchError> {
    let t = Instant::now();
    client
        .execute(store(true, set.clone(), StoreKind::Add, Flag::Deleted))
        .await?;
    let body = if uidplus {
        CommandBody::UidExpunge(set)
    } else {
        CommandBody::Expunge
    };
    client.execute(body).await?;
    Ok(t.elapsed())
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let corpus = ctx.corpus.clone();
    let repeat = ctx.params.repeat.max(1);
    let mut rng = ctx.rng(0x5702E);
    let mut client = ctx.target.connect().await?;
    let uidplus = client.has_capability("UIDPLUS");
    let has_move = client.has_capability("MOVE");
    select(&mut client, &corpus, false).await?.0.ok("SELECT")?;
    let corpus_uids = uids(&mut client).await?;

    // Flags on random ranges of 100, then off again.
    let mut sets = Vec::new();
    let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
    for _ in 0..repeat {
        let Some((set, _, _)) = uid_chunk(&mut rng, &corpus_uids, 100) else {
            break;
        };
        let (d, _) = timed(
            &mut client,
            store(true, set.clone(), StoreKind::Add, Flag::Flagged),
        )
        .await?;
        hist.record(d);
        busy += d;
        sets.push(set);
    }
    ctx.latency("UID STORE 100 +FLAGS.SILENT (\\Flagged)", &hist, busy);
    let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
    for set in sets {
        let (d, _) = timed(
            &mut client,
            store(true, set, StoreKind::Remove, Flag::Flagged),
        )
        .await?;
        hist.record(d);
        busy += d;
    }
    ctx.latency("UID STORE 100 -FLAGS.SILENT (\\Flagged)", &hist, busy);

    for (op, kind) in [
        ("STORE 1:* +FLAGS.SILENT (\\Seen)", StoreKind::Add),
        ("STORE 1:* -FLAGS.SILENT (\\Seen)", StoreKind::Remove),
    ] {
        let (d, _) = timed(&mut client, store(false, all(), kind, Flag::Seen)).await?;
        let mut hist = Histogram::new();
        hist.record(d);
        let note = Some(format!("{} messages", corpus_uids.len()));
        ctx.push(
            op,
            Metric::Latency,
            &hist,
            d,
            Some(corpus_uids.len() as u64),
            note,
        );
    }
    scattered::pairs(ctx, &mut client, corpus_uids.len() as u32).await?;
    scattered::restore(ctx, &mut client, &corpus_uids).await?;

    // COPY random ranges of 100 to this scenario's mailbox.
    let copy = ctx.mailbox(&format!("store-copy-{}", ctx.corpus_size));
    let moved = ctx.mailbox(&format!("store-moved-{}", ctx.corpus_size));
    ctx.create(&mut client, &copy).await?;
    ctx.create(&mut client, &moved).await?;
    let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
    for _ in 0..repeat {
        let Some((set, _, _)) = uid_chunk(&mut rng, &corpus_uids, 100) else {
            break;
        };
        let body = CommandBody::Copy {
            uid: true,
            set,
            mailbox: mailbox(&copy)?,
        };
        let (d, _) = timed(&mut client, body).await?;
        hist.record(d);
        busy += d;
    }
    ctx.latency("UID COPY 100", &hist, busy);

    select(&mut client, &copy, false).await?.0.ok("SELECT")?;
    let mut copy_uids = uids(&mut client).await?;
    if has_move {
        let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
        for _ in 0..repeat {
            let Some((set, a, b)) = uid_chunk(&mut rng, &copy_uids, 20) else {
                break;
            };
            let body = CommandBody::Move {
                uid: true,
                set,
                mailbox: mailbox(&moved)?,
            };
            let (d, _) = timed(&mut client, body).await?;
            hist.record(d);
            busy += d;
            copy_uids.retain(|&u| u < a || u > b);
        }
        ctx.latency("UID MOVE 20", &hist, busy);
    }

    let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
    for _ in 0..repeat {
        if copy_uids.len() < 40 {
            break;
        }
        let Some((set, a, b)) = uid_chunk(&mut rng, &copy_uids, 20) else {
            break;
        };
        let d = expunge(&mut client, set, uidplus).await?;
        hist.record(d);
        busy += d;
        copy_uids.retain(|&u| u < a || u > b);
    }
    ctx.latency("UID STORE +\\Deleted, UID EXPUNGE 20", &hist, busy);

    // Another session sees the expunges at its next NOOP.
    let mut other = ctx.target.connect().await?;
    select(&mut other, &copy, false).await?.0.ok("SELECT")?;
    let k = (copy_uids.len() / 2).min(1000);
    if k > 0 {
        let start = rng.below((copy_uids.len() - k + 1) as u64) as usize;
        let set = range(copy_uids[start], copy_uids[start + k - 1]);
        let d = expunge(&mut client, set, uidplus).await?;
        let mut hist = Histogram::new();
        hist.record(d);
        ctx.push(
            &format!("expunge {k} (one session)"),
            Metric::Latency,
            &hist,
            d,
            Some(k as u64),
            None,
        );
        let mut received = 0u64;
        let t = Instant::now();
        other
            .execute_with(CommandBody::Noop, |r| {
                if let Response::Data(Data::Expunge(_)) = r {
                    received += 1;
                }
            })
            .await?;
        let d = t.elapsed();
        let mut hist = Histogram::new();
        hist.record(d);
        let note = Some(format!("{received}/{k} EXPUNGE responses"));
        ctx.push(
            "NOOP delivering them (other session)",
            Metric::Latency,
            &hist,
            d,
            Some(received),
            note,
        );
    }
    ctx.add_errors(&other);
    other.logout().await;

    select(&mut client, &corpus, false).await?.0.ok("SELECT")?;
    let expunged = scattered::random_expunge(ctx, &mut client, &corpus_uids, uidplus).await?;
    ctx.corpus_count = ctx.corpus_count.saturating_sub(expunged);
    ctx.add_errors(&client);
    client.logout().await;
    Ok(())
}
