//! `fill`: APPEND generated messages into the corpus from several
//! connections at once, one message per command, several commands in
//! flight per connection when the server has LITERAL+; msgs/s and MB/s.
//! Latency is from sending a command to its completion.
//!
//! Then, when the server has MULTIAPPEND (RFC 3502), batches of messages
//! in one APPEND each go into a scratch mailbox from one connection.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use hadron_proto::types::{AppendMessage, CommandBody, NonEmptyVec};

use super::{Ctx, Metric, Progress, append_body, mailbox};
use crate::BenchError;
use crate::client::ErrorCounts;
use crate::stats::Histogram;

/// Tops the corpus up to `to` messages (creating it first).
pub(super) async fn run(ctx: &mut Ctx, to: u64) -> Result<(), BenchError> {
    let from = ctx.corpus_count;
    if to <= from {
        return Ok(());
    }
    let corpus = ctx.corpus.clone();
    if from == 0 {
        let mut client = ctx.target.connect().await?;
        ctx.create(&mut client, &corpus).await?;
        ctx.add_errors(&client);
        client.logout().await;
    }
    let next = Arc::new(AtomicU64::new(from));
    let done = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(
        ctx.params.progress,
        format!("[{}] fill", ctx.target.name),
        "msg",
        to - from,
        done.clone(),
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..ctx.params.fill_clients.max(1) {
        let (target, mail, corpus) = (ctx.target.clone(), ctx.mail, corpus.clone());
        let (next, done) = (next.clone(), done.clone());
        let depth = ctx.params.fill_pipeline.max(1);
        tasks.push(tokio::spawn(async move {
            let mut client = target.connect().await?;
            let mode = client.literal_mode();
            let depth = if client.can_pipeline() { depth } else { 1 };
            let mut hist = Histogram::new();
            let mut in_flight = VecDeque::with_capacity(depth);
            let mut more = true;
            while more || !in_flight.is_empty() {
                while more && in_flight.len() < depth {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= to {
                        more = false;
                        break;
                    }
                    let message = mail.message(index);
                    let bytes = message.data.len() as u64;
                    let body = append_body(&corpus, &message, mode)?;
                    let t = Instant::now();
                    let tag = client.send_pipelined(body).await?;
                    in_flight.push_back((tag, t, bytes));
                }
                if let Some((tag, t, bytes)) = in_flight.pop_front() {
                    client.complete(&tag).await?;
                    hist.record_bytes(t.elapsed(), bytes);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
            let errors = client.errors();
            client.logout().await;
            Ok::<(Histogram, ErrorCounts), BenchError>((hist, errors))
        }));
    }
    let mut hist = Histogram::new();
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok((h, e))) => {
                hist.merge(&h);
                ctx.errors.add(e);
            }
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(e) => first_error = first_error.or(Some(BenchError::Protocol(e.to_string()))),
        }
    }
    drop(progress);
    if let Some(e) = first_error {
        return Err(e);
    }
    let elapsed = start.elapsed();
    ctx.corpus_count = to;
    let op = format!(
        "APPEND {}→{} ({} clients × {} in flight)",
        from,
        to,
        ctx.params.fill_clients.max(1),
        ctx.params.fill_pipeline.max(1)
    );
    let summary = hist.summary(elapsed);
    let note = Some(format!(
        "{:.1} MB/s, {:.1} MB",
        summary.mb_per_s.unwrap_or(0.0),
        hist.bytes() as f64 / 1e6
    ));
    ctx.push(&op, Metric::Throughput, &hist, elapsed, None, note);
    Ok(())
}

/// Appends [`super::Params::multiappend_messages`] messages in batches of
/// [`super::Params::multiappend_batch`] per APPEND into a scratch mailbox,
/// if the server has MULTIAPPEND.
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
    let mode = client.literal_mode();
    let (mut hist, mut items) = (Histogram::new(), 0u64);
    let start = Instant::now();
    let mut index = 0;
    while index < total {
        let n = batch.min(total - index);
        let mut messages = Vec::with_capacity(n as usize);
        let mut bytes = 0;
        for i in index..index + n {
            let message = ctx.mail.message(3_000_000_000 + i);
            bytes += message.data.len() as u64;
            let CommandBody::Append { messages: one, .. } = append_body(&name, &message, mode)?
            else {
                unreachable!("append_body builds an APPEND");
            };
            messages.extend(one.into_iter().map(AppendMessage::into_static));
        }
        let body = CommandBody::Append {
            mailbox: mailbox(&name)?,
            messages: NonEmptyVec::new(messages).map_err(|e| BenchError::Invalid(e.to_string()))?,
        };
        let t = Instant::now();
        let reply = client.execute(body).await?;
        hist.record_bytes(t.elapsed(), bytes);
        if reply.is_ok() {
            items += n;
        }
        index += n;
    }
    let elapsed = start.elapsed();
    let note = Some(format!(
        "{} msg/command, {:.1} MB/s",
        batch,
        hist.bytes() as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9)
    ));
    ctx.push(
        &format!("MULTIAPPEND {total} (1 client)"),
        Metric::Throughput,
        &hist,
        elapsed,
        Some(items),
        note,
    );
    ctx.add_errors(&client);
    client.logout().await;
    Ok(())
}
