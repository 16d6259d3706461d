//! `mixed`: many clients on one mailbox, each doing a weighted random mix
//! of commands for a fixed time (in the spirit of imaptest): commands per
//! second by type and the protocol errors met. Every client keeps its view
//! of the mailbox and checks each response against it (see
//! [`crate::view`]); with [`super::Params::checkpoint_secs`] they also stop
//! now and then and compare their views.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hadron_proto::types::{
    AString, CommandBody, FetchAttribute, Flag, NonEmptyVec, SearchKey, StoreKind,
};

use super::session::{Checkpoint, Outcome, Session, StoreLog, fetch, join, store};
use super::{Ctx, Metric, append_body, mailbox, random_range, range, select};
use crate::BenchError;
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

/// The histogram of the FETCHes that learn new messages' UIDs and flags
/// (after [`OPS`], not among "all commands").
const SYNC: usize = OPS.len();
/// The histogram of the checkpoints.
const CHECKPOINT: usize = OPS.len() + 1;

/// Messages copied from the corpus into the mixed mailbox first.
const START_MESSAGES: u32 = 1000;

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let name = ctx.mailbox("mixed");
    prepare(ctx, &name).await?;
    let clients = ctx.params.mixed_clients.max(1);
    let duration = Duration::from_secs_f64(ctx.params.mixed_secs.max(0.1));
    // Everyone logs in, selects and learns the UIDs first; the clock starts
    // together.
    let log = Arc::new(StoreLog::default());
    let connected = sessions(ctx, &name, clients, &log).await?;
    let start = Instant::now();
    let deadline = start + duration;
    let every = ctx
        .params
        .checkpoint_secs
        .and_then(|s| Duration::try_from_secs_f64(s).ok());
    let checkpoint = Checkpoint::new(clients, every, start, deadline);
    let mut tasks = Vec::new();
    for (i, session) in connected.into_iter().enumerate() {
        let worker = Worker {
            session,
            rng: ctx.rng(0x313ED ^ ((i as u64) << 20)),
            mail: ctx.mail,
            name: name.clone(),
            id: i,
            deadline,
            checkpoint: checkpoint.clone(),
            stop: Arc::new(AtomicBool::new(false)),
        };
        tasks.push(tokio::spawn(worker.work()));
    }
    let hists = join(tasks, OPS.len() + 2, &mut ctx.errors).await?;
    let elapsed = start.elapsed();
    let mut total = Histogram::new();
    for ((op, _), hist) in OPS.iter().zip(&hists) {
        ctx.throughput(op, hist, elapsed);
        total.merge(hist);
    }
    let spread = match ctx.target.instances() {
        1 => String::new(),
        n => format!(" over {n} instances"),
    };
    let note = Some(format!(
        "{clients} clients{spread}, {:.0} s, {} errors",
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
    ctx.latency("FETCH new (UID FLAGS)", &hists[SYNC], elapsed);
    let note = Some(format!(
        "{} checkpoints of {clients} views",
        checkpoint.rounds()
    ));
    ctx.push(
        "checkpoint",
        Metric::Latency,
        &hists[CHECKPOINT],
        elapsed,
        None,
        note,
    );
    Ok(())
}

/// Creates the mailbox `name` with up to [`START_MESSAGES`] of the corpus
/// copied in.
async fn prepare(ctx: &mut Ctx, name: &str) -> Result<(), BenchError> {
    let mut setup = ctx.target.connect().await?;
    ctx.create(&mut setup, name).await?;
    let (_, exists) = select(&mut setup, &ctx.corpus, true).await?;
    if exists > 0 {
        setup
            .execute(CommandBody::Copy {
                uid: false,
                set: range(1, exists.min(START_MESSAGES)),
                mailbox: mailbox(name)?,
            })
            .await?
            .ok("COPY")?;
    }
    ctx.add_errors(&setup);
    setup.logout().await;
    Ok(())
}

/// `clients` sessions with `name` selected and its UIDs learned, client
/// *i* on the target's instance *i* (modulo their number).
async fn sessions(
    ctx: &Ctx,
    name: &str,
    clients: usize,
    log: &Arc<StoreLog>,
) -> Result<Vec<Session>, BenchError> {
    let mut connected = Vec::with_capacity(clients);
    for i in 0..clients {
        let mut session = Session::shared(ctx.target.connect_to(i).await?, log);
        session.select(name).await?.ok("SELECT")?;
        session.learn().await?;
        connected.push(session);
    }
    Ok(connected)
}

/// The mix as background load under another scenario's measurement (the
/// `idle` pushes under load): clients on a mailbox of their own, until
/// [`Load::finish`].
pub(super) struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Outcome>>,
    start: Instant,
    clients: usize,
}

impl Load {
    /// Starts `clients` clients of the mix (spread over the target's
    /// instances) on a new mailbox.
    pub(super) async fn start(ctx: &mut Ctx, clients: usize) -> Result<Load, BenchError> {
        let name = ctx.mailbox("load");
        prepare(ctx, &name).await?;
        let log = Arc::new(StoreLog::default());
        let connected = sessions(ctx, &name, clients, &log).await?;
        let start = Instant::now();
        // Far enough never to come: the load ends when told to.
        let deadline = start + Duration::from_secs(24 * 3600);
        let checkpoint = Checkpoint::new(clients, None, start, deadline);
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = connected
            .into_iter()
            .enumerate()
            .map(|(i, session)| {
                let worker = Worker {
                    session,
                    rng: ctx.rng(0x10AD ^ ((i as u64) << 20)),
                    mail: ctx.mail,
                    name: name.clone(),
                    id: i,
                    deadline,
                    checkpoint: checkpoint.clone(),
                    stop: stop.clone(),
                };
                tokio::spawn(worker.work())
            })
            .collect();
        Ok(Load {
            stop,
            tasks,
            start,
            clients,
        })
    }

    /// Stops the clients and reports their commands per second as
    /// `load: all commands`.
    pub(super) async fn finish(self, ctx: &mut Ctx) -> Result<(), BenchError> {
        self.stop.store(true, Ordering::Relaxed);
        let hists = join(self.tasks, OPS.len() + 2, &mut ctx.errors).await?;
        let elapsed = self.start.elapsed();
        let mut total = Histogram::new();
        for hist in &hists[..OPS.len()] {
            total.merge(hist);
        }
        let note = Some(format!(
            "{} clients of the mixed scenario on their own mailbox",
            self.clients
        ));
        ctx.push(
            "load: all commands",
            Metric::Throughput,
            &total,
            elapsed,
            None,
            note,
        );
        Ok(())
    }
}

/// One client of the mix.
struct Worker {
    session: Session,
    rng: Rng,
    mail: MailGen,
    /// The mailbox.
    name: String,
    id: usize,
    deadline: Instant,
    checkpoint: Arc<Checkpoint>,
    /// Set to end the loop before `deadline`.
    stop: Arc<AtomicBool>,
}

impl Worker {
    /// The client's loop; its histograms are in the order of [`OPS`], then
    /// [`SYNC`] and [`CHECKPOINT`].
    async fn work(mut self) -> Outcome {
        let mut hists = vec![Histogram::new(); OPS.len() + 2];
        let weights: Vec<u32> = OPS.iter().map(|&(_, w)| w).collect();
        let mut appended = 0u64;
        let mut checkpoints = 0;
        loop {
            let finished = Instant::now() >= self.deadline || self.stop.load(Ordering::Relaxed);
            if self.checkpoint.due(checkpoints, finished) {
                let t = Instant::now();
                self.checkpoint.run(self.id, &mut self.session).await?;
                hists[CHECKPOINT].record(t.elapsed());
                checkpoints += 1;
                continue;
            }
            if finished {
                break;
            }
            let op = self.rng.weighted(&weights);
            let t = Instant::now();
            let done = self.step(op, &mut appended).await?;
            hists[done].record(t.elapsed());
            if let Some(d) = self.session.learn().await? {
                hists[SYNC].record(d);
            }
        }
        let errors = self.session.errors();
        self.session.client.logout().await;
        Ok((hists, errors))
    }

    /// Does operation `op` of [`OPS`] (a NOOP when the mailbox is too small
    /// for it); returns the operation done.
    async fn step(&mut self, op: usize, appended: &mut u64) -> Result<usize, BenchError> {
        let s = &mut self.session;
        let rng = &mut self.rng;
        let exists = s.view.exists();
        match op {
            0 if exists > 0 => {
                let (a, b) = random_range(rng, exists, 20);
                let body = fetch(
                    range(a, b),
                    vec![FetchAttribute::Uid, FetchAttribute::Flags],
                );
                s.run(body).await?;
            }
            1 if exists > 0 => {
                let (a, _) = random_range(rng, exists, 1);
                let body = fetch(
                    range(a, a),
                    vec![
                        FetchAttribute::Uid,
                        FetchAttribute::Envelope,
                        FetchAttribute::Rfc822Size,
                    ],
                );
                s.run(body).await?;
            }
            2 if exists > 0 => {
                let (a, b) = random_range(rng, exists, 5);
                let kind = if rng.chance(0.5) {
                    StoreKind::Add
                } else {
                    StoreKind::Remove
                };
                let flag = match *rng.pick(&[0u8, 1, 2]) {
                    0 => Flag::Seen,
                    1 => Flag::Flagged,
                    _ => Flag::Answered,
                };
                s.run(store(false, range(a, b), kind, false, vec![flag]))
                    .await?;
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
                s.run(body).await?;
            }
            5 => {
                // Small new mail: index far beyond any corpus.
                let index = 1_000_000_000 + self.id as u64 * 1_000_000 + *appended;
                *appended += 1;
                let message = self.mail.message(index);
                let body = append_body(&self.name, &message, s.client.literal_mode())?;
                s.run(body).await?;
            }
            6 if exists > 100 => {
                let (a, _) = random_range(rng, exists, 1);
                s.run(fetch(range(a, a), vec![FetchAttribute::Uid])).await?;
                if let Some(uid) = s.view.uid(a) {
                    let set = range(uid, uid);
                    s.run(store(
                        true,
                        set.clone(),
                        StoreKind::Add,
                        true,
                        vec![Flag::Deleted],
                    ))
                    .await?;
                    let body = if s.client.has_capability("UIDPLUS") {
                        CommandBody::UidExpunge(set)
                    } else {
                        CommandBody::Expunge
                    };
                    s.run(body).await?;
                }
            }
            _ => {
                s.run(CommandBody::Noop).await?;
                return Ok(4);
            }
        }
        Ok(op)
    }
}
