//! `fill`: APPEND generated messages into the corpus from several
//! connections at once, several commands in flight per connection when the
//! server has LITERAL+; msgs/s and MB/s. Latency is from sending a command
//! to its completion. The corpus goes in one message per command, or — in
//! the `bigbox` suite, when the server has MULTIAPPEND (RFC 3502) — in
//! batches of [`super::Params::multiappend_batch`] messages per command.
//!
//! Then, when the server has MULTIAPPEND, batches of messages in one APPEND
//! each go into a scratch mailbox from one connection,
//! [`super::MULTIAPPEND_IN_FLIGHT`] commands in flight.
//!
//! [`append_parallel`] also fills the mailboxes of other scenarios.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hadron_proto::types::{AppendMessage, CommandBody, LiteralMode, NonEmptyVec};

use super::{Ctx, MULTIAPPEND_IN_FLIGHT, Metric, Progress, append_body, append_with, mailbox};
use crate::BenchError;
use crate::client::{Client, ErrorCounts};
use crate::mailgen::MailGen;
use crate::stats::Histogram;

/// Where the messages of the scratch MULTIAPPEND mailbox start: far beyond
/// any corpus index.
const SCRATCH_INDEX: u64 = 3_000_000_000;

/// The APPEND of generated messages `indices` into `name` (one message, or
/// several in one MULTIAPPEND command) and their size in bytes; with their
/// generated flags (`\Seen`, `\Flagged`) when `flags`, else none.
fn append_command(
    name: &str,
    mail: &MailGen,
    indices: Range<u64>,
    mode: LiteralMode,
    flags: bool,
) -> Result<(CommandBody<'static>, u64), BenchError> {
    let mut messages = Vec::with_capacity((indices.end - indices.start) as usize);
    let mut bytes = 0;
    for index in indices {
        let message = mail.message(index);
        bytes += message.data.len() as u64;
        let body = if flags {
            append_body(name, &message, mode)?
        } else {
            append_with(name, &message, Vec::new(), Some(message.date), mode)?
        };
        let CommandBody::Append { messages: one, .. } = body else {
            unreachable!("append_body builds an APPEND");
        };
        messages.extend(one.into_iter().map(AppendMessage::into_static));
    }
    let body = CommandBody::Append {
        mailbox: mailbox(name)?,
        messages: NonEmptyVec::new(messages).map_err(|e| BenchError::Invalid(e.to_string()))?,
    };
    Ok((body, bytes))
}

/// What appending did: command latencies (with bytes) and the messages
/// whose command succeeded.
pub(super) struct Appended {
    /// Each command's latency and bytes.
    pub(super) hist: Histogram,
    /// Messages appended by commands that succeeded.
    pub(super) messages: u64,
}

/// The shared work of the appending connections: message indices
/// `base + next .. base + to` are handed out `batch` at a time.
struct Work {
    name: String,
    mail: MailGen,
    base: u64,
    to: u64,
    batch: u64,
    /// Whether messages carry their generated flags.
    flags: bool,
    next: AtomicU64,
    done: Arc<AtomicU64>,
}

impl Work {
    /// The next batch of indices (relative to `base`), if any is left.
    fn take(&self) -> Option<Range<u64>> {
        let start = self.next.fetch_add(self.batch, Ordering::Relaxed);
        (start < self.to).then(|| start..(start + self.batch).min(self.to))
    }
}

/// Appends batches from `work` over `client`, up to `depth` commands in
/// flight (1 when literals must wait for the server).
async fn append_loop(
    client: &mut Client,
    work: &Work,
    depth: usize,
) -> Result<Appended, BenchError> {
    let mode = client.literal_mode();
    let depth = if client.can_pipeline() {
        depth.max(1)
    } else {
        1
    };
    let mut out = Appended {
        hist: Histogram::new(),
        messages: 0,
    };
    let mut in_flight = VecDeque::with_capacity(depth);
    let mut more = true;
    while more || !in_flight.is_empty() {
        while more && in_flight.len() < depth {
            let Some(batch) = work.take() else {
                more = false;
                break;
            };
            let n = batch.end - batch.start;
            let indices = work.base + batch.start..work.base + batch.end;
            let (body, bytes) = append_command(&work.name, &work.mail, indices, mode, work.flags)?;
            let t = Instant::now();
            let tag = client.send_pipelined(body).await?;
            in_flight.push_back((tag, t, bytes, n));
        }
        if let Some((tag, t, bytes, n)) = in_flight.pop_front() {
            let reply = client.complete(&tag).await?;
            out.hist.record_bytes(t.elapsed(), bytes);
            if reply.is_ok() {
                out.messages += n;
            }
            work.done.fetch_add(n, Ordering::Relaxed);
        }
    }
    Ok(out)
}

/// Tops the corpus up to `to` messages (creating it first).
pub(super) async fn run(ctx: &mut Ctx, to: u64) -> Result<(), BenchError> {
    let from = ctx.corpus_count;
    if to <= from {
        return Ok(());
    }
    let corpus = ctx.corpus.clone();
    let mut probe = ctx.target.connect().await?;
    if from == 0 {
        ctx.create(&mut probe, &corpus).await?;
    }
    let multi = ctx.params.fills_corpus_with_multiappend() && probe.has_capability("MULTIAPPEND");
    ctx.add_errors(&probe);
    probe.logout().await;
    let batch = if multi {
        ctx.params.multiappend_batch.max(1) as u64
    } else {
        1
    };
    let (clients, depth) = (
        ctx.params.fill_clients.max(1),
        ctx.params.fill_pipeline.max(1),
    );
    let batches = Batches {
        name: corpus,
        base: 0,
        from,
        to,
        batch,
        flags: true,
    };
    let (Appended { hist, messages }, elapsed) = append_parallel(ctx, batches, "fill").await?;
    ctx.corpus_count = to;
    let summary = hist.summary(elapsed);
    let mb = format!(
        "{:.1} MB/s, {:.1} MB",
        summary.mb_per_s.unwrap_or(0.0),
        hist.bytes() as f64 / 1e6
    );
    if multi {
        let op = format!(
            "MULTIAPPEND {from}→{to} ({clients} clients × {depth} in flight, {batch}/command)"
        );
        ctx.push_rate(&op, &hist, elapsed, messages, Some(mb));
    } else {
        let op = format!("APPEND {from}→{to} ({clients} clients × {depth} in flight)");
        ctx.push(&op, Metric::Throughput, &hist, elapsed, None, Some(mb));
    }
    Ok(())
}

/// What [`append_parallel`] appends: generated messages `base + from ..
/// base + to` into the existing mailbox `name`, `batch` per command (more
/// than 1 only where the server has MULTIAPPEND).
pub(super) struct Batches {
    /// The mailbox.
    pub(super) name: String,
    /// Added to every message index.
    pub(super) base: u64,
    /// The first message (before `base`).
    pub(super) from: u64,
    /// The end of the messages (before `base`, exclusive).
    pub(super) to: u64,
    /// Messages per APPEND command.
    pub(super) batch: u64,
    /// Whether messages carry their generated flags (`\Seen`,
    /// `\Flagged`) or none.
    pub(super) flags: bool,
}

/// Appends `batches` over [`super::Params::fill_clients`] connections,
/// [`super::Params::fill_pipeline`] commands in flight on each (1 without
/// LITERAL+), printing progress as `label`: what was appended and the
/// wall-clock time it took. Errors are added to the context's.
pub(super) async fn append_parallel(
    ctx: &mut Ctx,
    batches: Batches,
    label: &str,
) -> Result<(Appended, Duration), BenchError> {
    let Batches {
        name,
        base,
        from,
        to,
        batch,
        flags,
    } = batches;
    let done = Arc::new(AtomicU64::new(0));
    let work = Arc::new(Work {
        name,
        mail: ctx.mail,
        base,
        to,
        batch: batch.max(1),
        flags,
        next: AtomicU64::new(from),
        done: done.clone(),
    });
    let progress = Progress::start(
        ctx.params.progress,
        format!("[{}] {label}", ctx.target.name),
        "msg",
        to.saturating_sub(from),
        done,
    );
    let (clients, depth) = (
        ctx.params.fill_clients.max(1),
        ctx.params.fill_pipeline.max(1),
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (target, work) = (ctx.target.clone(), work.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = target.connect().await?;
            let appended = append_loop(&mut client, &work, depth).await?;
            let errors = client.errors();
            client.logout().await;
            Ok::<(Appended, ErrorCounts), BenchError>((appended, errors))
        }));
    }
    let mut all = Appended {
        hist: Histogram::new(),
        messages: 0,
    };
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok((a, e))) => {
                all.hist.merge(&a.hist);
                all.messages += a.messages;
                ctx.errors.add(e);
            }
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(e) => first_error = first_error.or(Some(BenchError::Protocol(e.to_string()))),
        }
    }
    drop(progress);
    match first_error {
        Some(e) => Err(e),
        None => Ok((all, start.elapsed())),
    }
}

/// Appends [`super::Params::multiappend_messages`] messages in batches of
/// [`super::Params::multiappend_batch`] per APPEND into a scratch mailbox
/// from one connection, [`MULTIAPPEND_IN_FLIGHT`] commands in flight, if
/// the server has MULTIAPPEND.
pub(super) async fn multiappend(ctx: &mut Ctx) -> Result<(), BenchError> {
    let (total, batch) = (
        ctx.params.multiappend_messages as u64,
        ctx.params.multiappend_batch.max(1) as u64,
    );
    if total == 0 {
        return Ok(());
    }
    let mut client = ctx.target.connect().await?;
    if !client.has_capability("MULTIAPPEND") {
        ctx.add_errors(&client);
        client.logout().await;
        return Ok(());
    }
    let name = ctx.mailbox(&format!("fill-multi-{}", ctx.corpus_size));
    ctx.create(&mut client, &name).await?;
    let depth = if client.can_pipeline() {
        MULTIAPPEND_IN_FLIGHT
    } else {
        1
    };
    let work = Work {
        name,
        mail: ctx.mail,
        base: SCRATCH_INDEX,
        to: total,
        batch,
        flags: true,
        next: AtomicU64::new(0),
        done: Arc::new(AtomicU64::new(0)),
    };
    let start = Instant::now();
    let appended = append_loop(&mut client, &work, depth).await;
    let elapsed = start.elapsed();
    ctx.add_errors(&client);
    client.logout().await;
    let Appended { hist, messages } = appended?;
    let note = Some(format!(
        "{batch} msg/command, {:.1} MB/s",
        hist.bytes() as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9)
    ));
    ctx.push_rate(
        &format!("MULTIAPPEND {total} (1 client × {depth} in flight)"),
        &hist,
        elapsed,
        messages,
        note,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(from: u64, to: u64, batch: u64) -> Work {
        Work {
            name: "x".into(),
            mail: MailGen::new(1),
            base: 0,
            to,
            batch,
            flags: true,
            next: AtomicU64::new(from),
            done: Arc::new(AtomicU64::new(0)),
        }
    }

    #[test]
    fn batches_cover_the_range_once() {
        let w = work(5, 257, 100);
        let batches: Vec<_> = std::iter::from_fn(|| w.take()).collect();
        assert_eq!(batches, [5..105, 105..205, 205..257]);
        assert_eq!(w.take(), None);
        let single = work(0, 3, 1);
        assert_eq!(std::iter::from_fn(|| single.take()).count(), 3);
        assert_eq!(work(7, 7, 10).take(), None);
    }

    #[test]
    fn a_batch_is_one_multiappend() {
        let mail = MailGen::new(3);
        let (body, bytes) =
            append_command("bench-x-corpus", &mail, 10..14, LiteralMode::NonSync, true)
                .expect("a command");
        let CommandBody::Append { messages, .. } = body else {
            panic!("not an APPEND");
        };
        assert_eq!(messages.as_slice().len(), 4);
        let flagged = |m: &AppendMessage<'_>| !m.flags.is_empty();
        assert!(
            messages.as_slice().iter().any(flagged),
            "generated flags kept"
        );
        let (plain, _) =
            append_command("bench-x-corpus", &mail, 10..14, LiteralMode::NonSync, false)
                .expect("a command");
        let CommandBody::Append { messages, .. } = plain else {
            panic!("not an APPEND");
        };
        assert!(!messages.as_slice().iter().any(flagged), "no flags");
        let expected: u64 = (10..14).map(|i| mail.message(i).data.len() as u64).sum();
        assert_eq!(bytes, expected);
    }
}
