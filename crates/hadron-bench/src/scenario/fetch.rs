//! `fetch`: `FETCH 1:* (UID FLAGS)`, header fields and envelopes of random
//! ranges of 100, envelopes of a random range of [`ENVELOPES`] (when the
//! corpus is larger; else `1:*` is that row), `FETCH 1:* ENVELOPE` (with
//! the bytes on the wire, and again under COMPRESS=DEFLATE when offered), and
//! whole random single messages — all on the corpus opened with EXAMINE,
//! so nothing changes.

use std::time::{Duration, Instant};

use hadron_proto::types::{
    AString, BodyData, CommandBody, Data, FetchAttribute, FetchItem, FetchItems, HeaderNames,
    NonEmptyVec, Response, Section, SequenceSet,
};

use super::{Ctx, Metric, all, random_range, range, select};
use crate::BenchError;
use crate::client::Client;
use crate::procstat::ProcStat;
use crate::stats::Histogram;

/// The envelopes of one large FETCH of a range.
const ENVELOPES: u32 = 100_000;

/// A FETCH and what came back: time, messages, body bytes.
pub(super) async fn timed_fetch(
    client: &mut Client,
    set: SequenceSet,
    attributes: Vec<FetchAttribute<'static>>,
) -> Result<(Duration, u64, u64), BenchError> {
    let items = FetchItems::Attributes(
        NonEmptyVec::new(attributes).map_err(|e| BenchError::Invalid(e.to_string()))?,
    );
    let (mut messages, mut bytes) = (0u64, 0u64);
    let t = Instant::now();
    client
        .execute_with(
            CommandBody::Fetch {
                uid: false,
                set,
                items,
                modifiers: Vec::new(),
            },
            |r| {
                if let Response::Data(Data::Fetch { items, .. }) = r {
                    messages += 1;
                    for item in items {
                        if let FetchItem::BodySection {
                            data: BodyData::Inline(s),
                            ..
                        } = item
                        {
                            bytes += s.as_bytes().map_or(0, |b| b.len() as u64);
                        }
                    }
                }
            },
        )
        .await?;
    Ok((t.elapsed(), messages, bytes))
}

/// Times `times` FETCHes of `attributes`, each over the set `next_set`
/// gives, and records them as `name` (latency, and messages returned).
async fn measure(
    ctx: &mut Ctx,
    client: &mut Client,
    name: &str,
    times: usize,
    mut next_set: impl FnMut() -> SequenceSet,
    attributes: Vec<FetchAttribute<'static>>,
) -> Result<(), BenchError> {
    let (mut hist, mut busy, mut items) = (Histogram::new(), Duration::ZERO, 0);
    for _ in 0..times {
        let (d, n, _) = timed_fetch(client, next_set(), attributes.clone()).await?;
        hist.record(d);
        busy += d;
        items += n;
    }
    ctx.push(name, Metric::Latency, &hist, busy, Some(items), None);
    Ok(())
}

/// Like [`measure`] of `1:*`, noting the bytes the server sent on the wire per command and
/// the server's CPU time per command (when its process is known).
async fn measure_wire(
    ctx: &mut Ctx,
    client: &mut Client,
    name: &str,
    times: usize,
    attributes: &[FetchAttribute<'static>],
) -> Result<(), BenchError> {
    let server = ctx.target.server_pid.map(ProcStat::new);
    let cpu = |s: &Option<ProcStat>| s.as_ref().and_then(|p| p.sample().ok()).map(|x| x.cpu_s);
    let (mut hist, mut busy, mut items) = (Histogram::new(), Duration::ZERO, 0);
    let (wire, plain) = (client.wire_bytes(), client.received_bytes());
    let cpu_before = cpu(&server);
    for _ in 0..times {
        let (d, n, _) = timed_fetch(client, all(), attributes.to_vec()).await?;
        hist.record(d);
        busy += d;
        items += n;
    }
    let per = |total: u64| total as f64 / times as f64 / 1e6;
    let mut note = format!(
        "{:.2} MB on the wire ({:.2} MB of responses)",
        per(client.wire_bytes() - wire),
        per(client.received_bytes() - plain)
    );
    if let (Some(a), Some(b)) = (cpu_before, cpu(&server)) {
        note.push_str(&format!(
            ", server CPU {:.0} ms",
            (b - a) * 1e3 / times as f64
        ));
    }
    ctx.push(name, Metric::Latency, &hist, busy, Some(items), Some(note));
    Ok(())
}

fn header_fields() -> FetchAttribute<'static> {
    let names = ["FROM", "TO", "SUBJECT", "DATE"]
        .into_iter()
        .map(|n| AString::try_from(n).expect("a valid header name"))
        .collect();
    FetchAttribute::BodySection {
        section: Section::HeaderFields(None, HeaderNames::new(names).expect("four names")),
        partial: None,
        peek: true,
    }
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let corpus = ctx.corpus.clone();
    let mut client = ctx.target.connect().await?;
    let (reply, exists) = select(&mut client, &corpus, true).await?;
    reply.ok("EXAMINE")?;
    if exists == 0 {
        return Err(BenchError::Invalid(format!("{corpus} is empty")));
    }
    let repeat = ctx.params.repeat.max(1);
    let mut rng = ctx.rng(0xFE7C);

    // The whole mailbox's UIDs and flags, as a client syncing would.
    let uid_flags = vec![FetchAttribute::Uid, FetchAttribute::Flags];
    let times = (repeat / 4).max(3);
    measure(
        ctx,
        &mut client,
        "FETCH 1:* (UID FLAGS)",
        times,
        all,
        uid_flags,
    )
    .await?;

    // Header fields of random ranges of 100, as a message list would.
    let mut hundred = || {
        let (a, b) = random_range(&mut rng, exists, 100);
        range(a, b)
    };
    let headers = vec![FetchAttribute::Uid, header_fields()];
    let name = "FETCH 100 BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)]";
    measure(ctx, &mut client, name, repeat, &mut hundred, headers).await?;

    let envelope = vec![FetchAttribute::Envelope];
    let name = "FETCH 100 ENVELOPE";
    measure(
        ctx,
        &mut client,
        name,
        repeat,
        &mut hundred,
        envelope.clone(),
    )
    .await?;

    let times = (repeat / 10).max(1);
    if exists > ENVELOPES {
        let name = format!("FETCH {} ENVELOPE", super::thousands(ENVELOPES.into()));
        let mut large = || {
            let (a, b) = random_range(&mut rng, exists, ENVELOPES);
            range(a, b)
        };
        let envelope = envelope.clone();
        measure(ctx, &mut client, &name, times, &mut large, envelope).await?;
    }
    measure_wire(ctx, &mut client, "FETCH 1:* ENVELOPE", times, &envelope).await?;
    // The same through COMPRESS=DEFLATE, where the server offers it.
    let mut compressed = ctx.target.connect().await?;
    if compressed.compress().await? {
        select(&mut compressed, &corpus, true)
            .await?
            .0
            .ok("EXAMINE")?;
        let name = "FETCH 1:* ENVELOPE, COMPRESS=DEFLATE";
        measure_wire(ctx, &mut compressed, name, times, &envelope).await?;
    }
    ctx.add_errors(&compressed);
    compressed.logout().await;

    // Whole messages, as opening one does.
    let (mut hist, mut busy) = (Histogram::new(), Duration::ZERO);
    for _ in 0..repeat * 2 {
        let (a, _) = random_range(&mut rng, exists, 1);
        let attribute = FetchAttribute::BodySection {
            section: Section::Full,
            partial: None,
            peek: true,
        };
        let (d, _, bytes) = timed_fetch(&mut client, range(a, a), vec![attribute]).await?;
        hist.record_bytes(d, bytes);
        busy += d;
    }
    let note = Some(format!(
        "{:.1} MB/s",
        hist.bytes() as f64 / 1e6 / busy.as_secs_f64().max(1e-9)
    ));
    ctx.push(
        "FETCH 1 BODY.PEEK[]",
        Metric::Latency,
        &hist,
        busy,
        None,
        note,
    );

    ctx.add_errors(&client);
    client.logout().await;
    Ok(())
}
