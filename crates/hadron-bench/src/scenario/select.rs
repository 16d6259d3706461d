//! `select`: first [`SESSIONS`] sessions open the corpus at once and
//! hold it selected; given the server's pid, its RSS is read with one and
//! with all of them, and the growth per extra session reported (this also
//! settles the mailbox before anything is timed). Then the time to the
//! tagged OK of SELECT of the corpus on a fresh connection each time, when
//! no other session has it open (each earlier one closed it, [`SETTLE`]
//! before), and of EXAMINE after it; last, SELECT on a fresh connection
//! while another session has the corpus selected. (Without the pause a
//! SELECT races the previous session's close: Dovecot, writing its index
//! then, takes ~60 ms instead of under 1 ms.)

use std::time::{Duration, Instant};

use super::{Ctx, Metric, select};
use crate::BenchError;
use crate::client::Client;
use crate::procstat::ProcGroup;
use crate::stats::Histogram;

/// Sessions holding the corpus selected at the second memory reading.
const SESSIONS: usize = 10;

/// Time the server gets to finish closing earlier sessions (and to free
/// their memory) before its RSS is read or the corpus is opened again.
pub(super) const SETTLE: Duration = Duration::from_millis(300);

/// `SELECT` on `repeat` fresh connections, each logged out before the
/// next: the latencies and their sum.
async fn fresh_selects(ctx: &mut Ctx, repeat: usize) -> Result<(Histogram, Duration), BenchError> {
    let corpus = ctx.corpus.clone();
    let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
    for _ in 0..repeat {
        let mut client = ctx.target.connect().await?;
        let t = Instant::now();
        select(&mut client, &corpus, false).await?.0.ok("SELECT")?;
        let d = t.elapsed();
        hist.record(d);
        busy += d;
        ctx.add_errors(&client);
        client.logout().await;
    }
    Ok((hist, busy))
}

/// A new session with the corpus selected.
async fn holder(ctx: &Ctx) -> Result<Client, BenchError> {
    let mut client = ctx.target.connect().await?;
    select(&mut client, &ctx.corpus, false)
        .await?
        .0
        .ok("SELECT")?;
    Ok(client)
}

/// The server's RSS in MiB after [`SETTLE`].
async fn rss_mib(proc: &ProcGroup) -> Result<f64, BenchError> {
    tokio::time::sleep(SETTLE).await;
    Ok(proc.sample()?.rss_kib as f64 / 1024.0)
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    // Sessions first, before this scenario's own sessions come and go and
    // leave freed memory that the server's allocator could reuse for the
    // sessions measured; always, so that what follows is timed alike
    // with and without the pid.
    let proc = ctx.target.procs();
    let rss = sessions(ctx, proc.as_ref()).await?;

    let corpus = ctx.corpus.clone();
    let repeat = ctx.params.repeat.max(1);
    let (mut sel, mut exa) = (Histogram::new(), Histogram::new());
    let (mut sel_time, mut exa_time) = (Duration::ZERO, Duration::ZERO);
    let mut exists = 0;
    for _ in 0..repeat {
        // The last session closed it: give the server time to finish
        // closing (Dovecot writes its index then), as a user's next
        // SELECT would.
        tokio::time::sleep(SETTLE).await;
        let mut client = ctx.target.connect().await?;
        let t = Instant::now();
        let (reply, n) = select(&mut client, &corpus, false).await?;
        let d = t.elapsed();
        reply.ok("SELECT")?;
        sel.record(d);
        sel_time += d;
        exists = n;
        let t = Instant::now();
        select(&mut client, &corpus, true).await?.0.ok("EXAMINE")?;
        let d = t.elapsed();
        exa.record(d);
        exa_time += d;
        ctx.add_errors(&client);
        client.logout().await;
    }
    let note = Some(format!("{exists} messages, no other session has it open"));
    ctx.push(
        "SELECT (new connection)",
        Metric::Latency,
        &sel,
        sel_time,
        None,
        note,
    );
    ctx.latency("EXAMINE (after SELECT)", &exa, exa_time);

    // Another session keeps the mailbox selected meanwhile.
    let first = holder(ctx).await?;
    let timed = fresh_selects(ctx, repeat).await;
    ctx.add_errors(&first);
    first.logout().await;
    let (hist, busy) = timed?;
    ctx.push(
        "SELECT (new connection, another session has it selected)",
        Metric::Latency,
        &hist,
        busy,
        None,
        Some(format!("{exists} messages")),
    );

    if let Some((one, many)) = rss {
        let extra = (SESSIONS - 1) as f64;
        ctx.memory("server RSS, 1 session with it selected", one, None);
        ctx.memory(
            &format!("server RSS, {SESSIONS} sessions with it selected"),
            many,
            None,
        );
        // RSS counts pages in use: memory the server freed before (the
        // fill's buffers) and reuses for the sessions does not show, and a
        // process tree's RSS counts shared pages once per process.
        let note =
            format!("({many:.1} − {one:.1} MiB) / {extra}; reused freed memory does not show");
        ctx.memory(
            "server RSS per extra session with it selected",
            (many - one) / extra,
            Some(note),
        );
    }
    Ok(())
}

/// Opens [`SESSIONS`] sessions holding the corpus selected, one after the
/// other, and closes them; given the server, its RSS in MiB with the first
/// one open and with all of them.
async fn sessions(
    ctx: &mut Ctx,
    proc: Option<&ProcGroup>,
) -> Result<Option<(f64, f64)>, BenchError> {
    let mut open = Vec::with_capacity(SESSIONS);
    let outcome = async {
        open.push(holder(ctx).await?);
        let one = match proc {
            Some(p) => Some(rss_mib(p).await?),
            None => None,
        };
        for _ in 1..SESSIONS {
            open.push(holder(ctx).await?);
        }
        match (proc, one) {
            (Some(p), Some(one)) => Ok(Some((one, rss_mib(p).await?))),
            _ => Ok(None),
        }
    }
    .await;
    for client in open {
        ctx.add_errors(&client);
        client.logout().await;
    }
    outcome
}
