//! `mixed`: many clients on one mailbox, each doing a weighted random mix
//! of commands for a fixed time (in the spirit of imaptest): commands per
//! second by type and the protocol errors met.

use std::time::{Duration, Instant};

use hadron_proto::types::{
    AString, CommandBody, Data, FetchAttribute, FetchItem, Flag, NonEmptyVec, Response, SearchKey,
    StoreAction, StoreKind,
};

use super::{Ctx, Metric, append_body, mailbox, random_range, range, select};
use crate::BenchError;
use crate::client::{Client, ErrorCounts};
use crate::mailgen::{MailGen, SEARCH_FROM};
use crate::rng::Rng;
use crate::stats::Histogram;

/// The operations and their weights.
const OPS: &[(&str, u32)] = &[
    ("FETCH 20 (UID FLAGS)", 25),
    ("FETCH 1 header fields", 20),
    ("STORE 5 ±FLAGS", 15),
    ("SEARCH", 10),
    ("NOOP", 15),
    ("APPEND", 10),
    ("expunge 1", 5),
];

/// Messages copied from the corpus into the mixed mailbox first.
const START_MESSAGES: u32 = 1000;

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let name = ctx.mailbox("mixed");
    let mut setup = ctx.target.connect().await?;
    ctx.create(&mut setup, &name).await?;
    let (_, exists) = select(&mut setup, &ctx.corpus, true).await?;
    if exists > 0 {
        setup
            .execute(CommandBody::Copy {
                uid: false,
                set: range(1, exists.min(START_MESSAGES)),
                mailbox: mailbox(&name)?,
            })
            .await?
            .ok("COPY")?;
    }
    ctx.add_errors(&setup);
    setup.logout().await;

    let clients = ctx.params.mixed_clients.max(1);
    let duration = Duration::from_secs_f64(ctx.params.mixed_secs.max(0.1));
    // Everyone logs in and selects first; the clock starts together.
    let mut connected = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut client = ctx.target.connect().await?;
        let (reply, exists) = select(&mut client, &name, false).await?;
        reply.ok("SELECT")?;
        connected.push((client, exists));
    }
    let deadline = Instant::now() + duration;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, (client, exists)) in connected.into_iter().enumerate() {
        let rng = ctx.rng(0x313ED ^ ((i as u64) << 20));
        let (mail, name) = (ctx.mail, name.clone());
        tasks.push(tokio::spawn(worker(
            client, exists, rng, mail, name, i as u64, deadline,
        )));
    }
    let mut hists: Vec<Histogram> = OPS.iter().map(|_| Histogram::new()).collect();
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok((h, e))) => {
                for (all, one) in hists.iter_mut().zip(&h) {
                    all.merge(one);
                }
                ctx.errors.add(e);
            }
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(e) => first_error = first_error.or(Some(BenchError::Protocol(e.to_string()))),
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let elapsed = start.elapsed();
    let mut total = Histogram::new();
    for ((op, _), hist) in OPS.iter().zip(&hists) {
        ctx.throughput(op, hist, elapsed);
        total.merge(hist);
    }
    let note = Some(format!(
        "{clients} clients, {:.0} s, {} errors",
        elapsed.as_secs_f64(),
        ctx.errors.total()
    ));
    ctx.push(
        "all commands",
        Metric::Throughput,
        &total,
        elapsed,
        None,
        note,
    );
    Ok(())
}

/// One client's loop; its histograms are in the order of [`OPS`].
async fn worker(
    mut client: Client,
    mut exists: u32,
    mut rng: Rng,
    mail: MailGen,
    name: String,
    id: u64,
    deadline: Instant,
) -> Result<(Vec<Histogram>, ErrorCounts), BenchError> {
    let mut hists: Vec<Histogram> = OPS.iter().map(|_| Histogram::new()).collect();
    let weights: Vec<u32> = OPS.iter().map(|&(_, w)| w).collect();
    let mode = client.literal_mode();
    let uidplus = client.has_capability("UIDPLUS");
    let mut appended = 0u64;
    while Instant::now() < deadline {
        let op = rng.weighted(&weights);
        let t = Instant::now();
        match op {
            0 if exists > 0 => {
                let (a, b) = random_range(&mut rng, exists, 20);
                let body = fetch(
                    range(a, b),
                    vec![FetchAttribute::Uid, FetchAttribute::Flags],
                );
                client.execute_with(body, |r| track(&mut exists, r)).await?;
            }
            1 if exists > 0 => {
                let (a, _) = random_range(&mut rng, exists, 1);
                let body = fetch(
                    range(a, a),
                    vec![FetchAttribute::Envelope, FetchAttribute::Rfc822Size],
                );
                client.execute_with(body, |r| track(&mut exists, r)).await?;
            }
            2 if exists > 0 => {
                let (a, b) = random_range(&mut rng, exists, 5);
                let kind = if rng.chance(0.5) {
                    StoreKind::Add
                } else {
                    StoreKind::Remove
                };
                let flag = *rng.pick(&[0u8, 1, 2]);
                let flag = match flag {
                    0 => Flag::Seen,
                    1 => Flag::Flagged,
                    _ => Flag::Answered,
                };
                let body = CommandBody::Store {
                    uid: false,
                    set: range(a, b),
                    unchanged_since: None,
                    action: StoreAction {
                        kind,
                        silent: false,
                        flags: vec![flag],
                    },
                };
                client.execute_with(body, |r| track(&mut exists, r)).await?;
            }
            3 => {
                let key = if rng.chance(0.5) {
                    SearchKey::Unseen
                } else {
                    SearchKey::From(AString::try_from(SEARCH_FROM).expect("valid"))
                };
                let body = CommandBody::Search {
                    uid: false,
                    return_options: None,
                    charset: None,
                    criteria: NonEmptyVec::one(key),
                };
                client.execute_with(body, |r| track(&mut exists, r)).await?;
            }
            5 => {
                // Small new mail: index far beyond any corpus.
                let index = 1_000_000_000 + id * 1_000_000 + appended;
                appended += 1;
                let message = mail.message(index);
                let body = append_body(&name, &message, mode)?;
                client.execute_with(body, |r| track(&mut exists, r)).await?;
            }
            6 if exists > 100 => {
                let (a, _) = random_range(&mut rng, exists, 1);
                let mut uid = None;
                let body = fetch(range(a, a), vec![FetchAttribute::Uid]);
                client
                    .execute_with(body, |r| {
                        if let Response::Data(Data::Fetch { items, .. }) = r {
                            for item in items {
                                if let FetchItem::Uid(u) = item {
                                    uid = Some(u.get());
                                }
                            }
                        }
                        track(&mut exists, r);
                    })
                    .await?;
                if let Some(uid) = uid {
                    let body = CommandBody::Store {
                        uid: true,
                        set: range(uid, uid),
                        unchanged_since: None,
                        action: StoreAction {
                            kind: StoreKind::Add,
                            silent: true,
                            flags: vec![Flag::Deleted],
                        },
                    };
                    client.execute_with(body, |r| track(&mut exists, r)).await?;
                    let body = if uidplus {
                        CommandBody::UidExpunge(range(uid, uid))
                    } else {
                        CommandBody::Expunge
                    };
                    client.execute_with(body, |r| track(&mut exists, r)).await?;
                }
            }
            _ => {
                client
                    .execute_with(CommandBody::Noop, |r| track(&mut exists, r))
                    .await?;
                hists[4].record(t.elapsed());
                continue;
            }
        }
        hists[op].record(t.elapsed());
    }
    let errors = client.errors();
    client.logout().await;
    Ok((hists, errors))
}

/// Keeps `exists` equal to what the server told this session.
fn track(exists: &mut u32, r: &Response<'_>) {
    match r {
        Response::Data(Data::Exists(n)) => *exists = *n,
        Response::Data(Data::Expunge(_)) => *exists = exists.saturating_sub(1),
        _ => {}
    }
}

fn fetch(
    set: hadron_proto::types::SequenceSet,
    attributes: Vec<FetchAttribute<'static>>,
) -> CommandBody<'static> {
    CommandBody::Fetch {
        uid: false,
        set,
        items: hadron_proto::types::FetchItems::Attributes(
            NonEmptyVec::new(attributes).expect("not empty"),
        ),
        modifiers: Vec::new(),
    }
}
