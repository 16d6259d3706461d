//! `idle`: K connections SELECT one mailbox and IDLE; a writer APPENDs M
//! messages one at a time; the latency from the writer's tagged OK to each
//! idler's `* n EXISTS`. With the server's pid: its RSS per idle connection.
//!
//! On a target of several instances the writer uses the first and idler *j*
//! instance *j* (modulo their number), and the latency is also reported
//! apart for idlers on the writer's instance and on the others. With
//! [`super::Params::idle_load_clients`], clients of the `mixed` scenario
//! work on a mailbox of their own while the writer appends: the pushes
//! under load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hadron_proto::types::{Data, Response, Status};
use tokio::sync::{Semaphore, mpsc, watch};

use super::mixed::Load;
use super::{Ctx, Metric, append_body, select};
use crate::BenchError;
use crate::client::ErrorCounts;
use crate::stats::Histogram;

/// Connections set up at once (logins are slow on purpose).
const CONNECT_PARALLEL: usize = 32;
/// Time between the writer's APPENDs, so that pushes are not coalesced.
const WRITE_GAP: Duration = Duration::from_millis(25);
/// How long idlers wait for the last pushes after the writer is done.
const GRACE: Duration = Duration::from_secs(5);

/// One push: whether the idler is on the writer's instance, the EXISTS
/// count, when it arrived.
type Push = (bool, u32, Instant);

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    raise_fd_limit(ctx.params.idle_connections);
    let name = ctx.mailbox("idle");
    let mut writer = ctx.target.connect().await?;
    ctx.create(&mut writer, &name).await?;
    let k = ctx.params.idle_connections.max(1);
    let m = ctx.params.idle_messages.max(1) as u32;
    let proc = ctx.target.procs();
    let rss_before = proc
        .as_ref()
        .and_then(|p| p.sample().ok())
        .map(|s| s.rss_kib);

    // Connect, log in, select and IDLE, `CONNECT_PARALLEL` at a time.
    let (pushes_tx, mut pushes_rx) = mpsc::unbounded_channel::<Push>();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<(), BenchError>>();
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(CONNECT_PARALLEL));
    let setup_start = Instant::now();
    let mut tasks = Vec::with_capacity(k);
    let instances = ctx.target.instances();
    for j in 0..k {
        let (target, name, gate) = (ctx.target.clone(), name.clone(), gate.clone());
        let local = j % instances == 0;
        let (pushes, ready, mut stop) = (pushes_tx.clone(), ready_tx.clone(), stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            let setup = async {
                let _permit = gate.acquire().await.expect("never closed");
                let mut client = target.connect_small_to(j).await?;
                select(&mut client, &name, false).await?.0.ok("SELECT")?;
                let tag = client.idle_start().await?;
                Ok::<_, BenchError>((client, tag))
            };
            let (mut client, tag) = match setup.await {
                Ok(ok) => {
                    let _ = ready.send(Ok(()));
                    ok
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return ErrorCounts::default();
                }
            };
            loop {
                tokio::select! {
                    r = client.next_response() => match r {
                        Ok(Response::Data(Data::Exists(n))) => {
                            let _ = pushes.send((local, n, Instant::now()));
                            if n >= m {
                                break;
                            }
                        }
                        Ok(Response::Status(Status::Bye(_))) | Err(_) => {
                            return client.errors();
                        }
                        Ok(_) => {}
                    },
                    _ = stop.changed() => break,
                }
            }
            let _ = client.idle_done(&tag).await;
            let errors = client.errors();
            client.logout().await;
            errors
        }));
    }
    drop((pushes_tx, ready_tx));
    let mut setup_error = None;
    for _ in 0..k {
        match ready_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => setup_error = setup_error.or(Some(e)),
            None => break,
        }
    }
    if let Some(e) = setup_error {
        let _ = stop_tx.send(true);
        return Err(e);
    }
    let setup_time = setup_start.elapsed();
    let rss_after = proc
        .as_ref()
        .and_then(|p| p.sample().ok())
        .map(|s| s.rss_kib);

    let load = match ctx.params.idle_load_clients {
        0 => None,
        n => match Load::start(ctx, n).await {
            Ok(load) => Some(load),
            Err(e) => {
                let _ = stop_tx.send(true);
                return Err(e);
            }
        },
    };

    // The writer appends; each OK's time is what pushes are measured from.
    let mode = writer.literal_mode();
    let mut ok_at = Vec::with_capacity(m as usize);
    let mut append_hist = Histogram::new();
    let write_start = Instant::now();
    for i in 0..m {
        let message = ctx.mail.message(2_000_000_000 + u64::from(i));
        let body = append_body(&name, &message, mode)?;
        let t = Instant::now();
        writer.execute(body).await?;
        let now = Instant::now();
        append_hist.record(now - t);
        ok_at.push(now);
        tokio::time::sleep(WRITE_GAP).await;
    }
    let write_time = write_start.elapsed();
    if let Some(load) = load {
        load.finish(ctx).await?;
    }
    // Idlers stop by themselves after the last push; stragglers are told to.
    let mut errors = ErrorCounts::default();
    let grace_end = Instant::now() + GRACE;
    let mut next = 0;
    while next < tasks.len() {
        let left = grace_end.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, &mut tasks[next]).await {
            Ok(result) => {
                if let Ok(e) = result {
                    errors.add(e);
                }
                next += 1;
            }
            Err(_) => break,
        }
    }
    let _ = stop_tx.send(true);
    for task in &mut tasks[next..] {
        if let Ok(e) = task.await {
            errors.add(e);
        }
    }
    ctx.errors.add(errors);
    ctx.add_errors(&writer);
    writer.logout().await;

    // All pushes, then those to idlers on the writer's instance and on
    // the others.
    let mut latency = [Histogram::new(), Histogram::new(), Histogram::new()];
    let mut received = [0u64; 3];
    while let Ok((local, n, at)) = pushes_rx.try_recv() {
        if let Some(&ok) = ok_at.get(n.saturating_sub(1) as usize) {
            let d = at.saturating_duration_since(ok);
            for i in [0, if local { 1 } else { 2 }] {
                received[i] += 1;
                latency[i].record(d);
            }
        }
    }
    let expected = k as u64 * u64::from(m);
    let mut setup_hist = Histogram::new();
    setup_hist.record(setup_time);
    ctx.push(
        &format!("connect+LOGIN+SELECT+IDLE ×{k}"),
        Metric::Latency,
        &setup_hist,
        setup_time,
        Some(k as u64),
        None,
    );
    ctx.latency("APPEND (writer)", &append_hist, write_time);
    let under = match ctx.params.idle_load_clients {
        0 => String::new(),
        n => format!(" under load ({n} mixed clients)"),
    };
    let mut note = format!("{}/{expected} pushes received", received[0]);
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        let per = after.saturating_sub(before) as f64 / k as f64;
        note.push_str(&format!(", server RSS {per:.1} KiB per IDLE connection"));
    }
    ctx.push(
        &format!("IDLE push latency{under}"),
        Metric::Latency,
        &latency[0],
        write_time,
        Some(received[0]),
        Some(note),
    );
    if instances > 1 {
        for (i, whose) in [(1, "the writer's instance"), (2, "other instances")] {
            let note = format!("{} pushes to idlers on {whose}", received[i]);
            ctx.push(
                &format!("IDLE push latency{under}, {whose}"),
                Metric::Latency,
                &latency[i],
                write_time,
                Some(received[i]),
                Some(note),
            );
        }
    }
    Ok(())
}

/// Raises the soft open-files limit towards the hard one when `needed`
/// connections (plus slack) would not fit.
fn raise_fd_limit(needed: usize) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let want = needed as u64 + 256;
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= want {
        return;
    }
    let target = limit.maximum.map_or(want, |max| want.min(max));
    let raised = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(target),
            maximum: limit.maximum,
        },
    );
    if raised.is_err() || target < want {
        eprintln!("warning: open-files limit {target} is below the {want} this scenario needs");
    }
}
