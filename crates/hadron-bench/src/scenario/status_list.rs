//! `status-list`: CREATE M mailboxes, then `LIST "" "*"` and a STATUS of
//! each, and STATUS of the corpus.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hadron_proto::types::{CommandBody, Data, NonEmptyVec, Response, StatusItem};

use super::{Ctx, Metric, Progress, list_all, mailbox};
use crate::BenchError;
use crate::stats::Histogram;

fn status_items() -> NonEmptyVec<StatusItem> {
    NonEmptyVec::new(vec![
        StatusItem::Messages,
        StatusItem::UidNext,
        StatusItem::UidValidity,
        StatusItem::Unseen,
    ])
    .expect("four items")
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let count = ctx.params.mailboxes.max(1);
    let names: Vec<String> = (0..count)
        .map(|i| ctx.mailbox(&format!("sl-{i:05}")))
        .collect();
    let mut client = ctx.target.connect().await?;

    let done = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(
        ctx.params.progress,
        format!("[{}] create", ctx.target.name),
        "mailbox",
        count as u64,
        done.clone(),
    );
    let (mut hist, start) = (Histogram::new(), Instant::now());
    for name in &names {
        let t = Instant::now();
        ctx.create(&mut client, name).await?;
        hist.record(t.elapsed());
        done.fetch_add(1, Ordering::Relaxed);
    }
    drop(progress);
    ctx.throughput("CREATE", &hist, start.elapsed());

    let (mut hist, mut busy, mut listed) = (Histogram::new(), Duration::ZERO, 0u64);
    for _ in 0..(ctx.params.repeat / 4).max(3) {
        let body = list_all()?;
        let mut n = 0;
        let t = Instant::now();
        client
            .execute_with(body, |r| {
                if let Response::Data(Data::List(_)) = r {
                    n += 1;
                }
            })
            .await?
            .ok("LIST")?;
        let d = t.elapsed();
        hist.record(d);
        busy += d;
        listed = n;
    }
    let note = Some(format!("{listed} mailboxes listed"));
    ctx.push("LIST \"\" \"*\"", Metric::Latency, &hist, busy, None, note);

    let (mut hist, start) = (Histogram::new(), Instant::now());
    for name in &names {
        let body = CommandBody::Status {
            mailbox: mailbox(name)?,
            items: status_items(),
        };
        let t = Instant::now();
        client.execute(body).await?;
        hist.record(t.elapsed());
    }
    ctx.latency("STATUS (empty mailbox)", &hist, start.elapsed());

    if ctx.corpus_count > 0 {
        let (mut hist, start) = (Histogram::new(), Instant::now());
        for _ in 0..ctx.params.repeat.max(1) {
            let body = CommandBody::Status {
                mailbox: mailbox(&ctx.corpus)?,
                items: status_items(),
            };
            let t = Instant::now();
            client.execute(body).await?;
            hist.record(t.elapsed());
        }
        let note = Some(format!("{} messages", ctx.corpus_count));
        ctx.push(
            "STATUS (corpus)",
            Metric::Latency,
            &hist,
            start.elapsed(),
            None,
            note,
        );
    }
    ctx.add_errors(&client);
    client.logout().await;
    Ok(())
}
