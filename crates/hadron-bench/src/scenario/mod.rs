//! The workloads, one file each, and what they share: the target, the
//! per-run mailbox names, the run loop and its results (the parameters and
//! suites are in `params.rs`).
//!
//! Every scenario works in mailboxes named `bench-<run id>-...`, so repeated
//! runs on one server do not interfere. The read-only scenarios (`select`,
//! `fetch`, `search`, `sort`) and `store` use the run's *corpus* mailbox, filled by
//! `fill` (or silently, when `fill` is not among the scenarios run);
//! `resync` fills a mailbox of its own.

mod fetch;
mod fill;
mod idle;
mod imaptest;
mod lmtp;
mod mixed;
mod params;
mod resync;
mod scattered;
mod search;
mod select;
mod session;
mod sort;
mod status_list;
mod store;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hadron_proto::types::{
    AppendMessage, CommandBody, Data, DateTime, Flag, ListMailbox, Literal, LiteralMode, Mailbox,
    NonEmptyVec, Response, SeqNumber, Sequence, SequenceSet,
};
use serde::{Deserialize, Serialize};

use crate::BenchError;
use crate::client::{Client, ErrorCounts, Reply};
use crate::mailgen::{MailGen, Message};
use crate::procstat::ProcGroup;
use crate::stats::{Histogram, Summary};

pub use params::{CORPUS_SCENARIOS, MULTIAPPEND_IN_FLIGHT, Params, ResyncParams};

/// A named workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioKind {
    /// APPEND generated messages into the corpus from several clients.
    Fill,
    /// SELECT and EXAMINE of the corpus.
    Select,
    /// FETCH of flags, header fields, envelopes and whole messages.
    Fetch,
    /// SEARCH by flags, dates, addresses, subject and body text.
    Search,
    /// SORT (RFC 5256) of the corpus by date, sender, subject, arrival and
    /// size, and by display name (RFC 5957) where announced.
    Sort,
    /// STORE, COPY, MOVE and EXPUNGE (UID forms).
    Store,
    /// The command mix of Dovecot's imaptest on a mailbox of about 30
    /// messages, with and without a new login per cycle.
    Imaptest,
    /// CREATE many mailboxes, LIST them and STATUS each.
    StatusList,
    /// Many clients on one mailbox doing a weighted mix for a while.
    Mixed,
    /// Connections in IDLE, and how fast new mail reaches them.
    Idle,
    /// What a reconnecting CONDSTORE/QRESYNC client costs: `EXAMINE
    /// (QRESYNC ...)` and `FETCH (CHANGEDSINCE ...)` after changes,
    /// against fetching every message's flags.
    Resync,
    /// Local delivery: 4 KB messages over LMTP from several connections
    /// (skipped without an LMTP address).
    Lmtp,
}

impl ScenarioKind {
    /// Every scenario, in the order a suite runs them.
    pub const ALL: &'static [ScenarioKind] = &[
        ScenarioKind::Fill,
        ScenarioKind::Select,
        ScenarioKind::Fetch,
        ScenarioKind::Search,
        ScenarioKind::Sort,
        ScenarioKind::Store,
        ScenarioKind::Imaptest,
        ScenarioKind::StatusList,
        ScenarioKind::Mixed,
        ScenarioKind::Idle,
        ScenarioKind::Resync,
        ScenarioKind::Lmtp,
    ];

    /// The scenario's name (`status-list`).
    pub fn name(self) -> &'static str {
        match self {
            ScenarioKind::Fill => "fill",
            ScenarioKind::Select => "select",
            ScenarioKind::Fetch => "fetch",
            ScenarioKind::Search => "search",
            ScenarioKind::Sort => "sort",
            ScenarioKind::Store => "store",
            ScenarioKind::Imaptest => "imaptest",
            ScenarioKind::StatusList => "status-list",
            ScenarioKind::Mixed => "mixed",
            ScenarioKind::Idle => "idle",
            ScenarioKind::Resync => "resync",
            ScenarioKind::Lmtp => "lmtp",
        }
    }

    /// Whether the scenario depends on the corpus size (and so runs once per
    /// size of [`Params::corpus_sizes`]).
    pub fn per_corpus_size(self) -> bool {
        matches!(
            self,
            ScenarioKind::Fill
                | ScenarioKind::Select
                | ScenarioKind::Fetch
                | ScenarioKind::Search
                | ScenarioKind::Sort
                | ScenarioKind::Store
        )
    }
}

impl fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ScenarioKind {
    type Err = BenchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ScenarioKind::ALL
            .iter()
            .copied()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = ScenarioKind::ALL.iter().map(|k| k.name()).collect();
                BenchError::Invalid(format!(
                    "unknown scenario {s:?} (known: {})",
                    names.join(", ")
                ))
            })
    }
}

/// A server to measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// A short name for tables and file names (`hadron`, `dovecot`).
    pub name: String,
    /// `host:port` of its plain IMAP listener.
    pub addr: String,
    /// The account to log in as.
    pub user: String,
    /// Its password (not written to reports).
    #[serde(skip_serializing, default)]
    pub password: String,
    /// The server's process id, for CPU and memory figures.
    pub server_pid: Option<u32>,
    /// Further instances of the same server (`host:port`): processes on one
    /// database serving the same user, so one cluster. The scenarios with
    /// many clients (`mixed`, `idle`, `imaptest`) spread their connections
    /// over `addr` and these in turn; the others use `addr` alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// The process ids of [`Target::also`], added to the server's CPU and
    /// memory figures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_pids: Vec<u32>,
    /// `host:port` of the server's LMTP listener, for `lmtp` (skipped
    /// without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lmtp: Option<String>,
}

impl Target {
    /// A target without a known process id.
    pub fn new(name: &str, addr: &str, user: &str, password: &str) -> Self {
        Target {
            name: name.into(),
            addr: addr.into(),
            user: user.into(),
            password: password.into(),
            server_pid: None,
            also: Vec::new(),
            also_pids: Vec::new(),
            lmtp: None,
        }
    }

    /// How many instances serve the target: 1 plus [`Target::also`].
    pub fn instances(&self) -> usize {
        1 + self.also.len()
    }

    /// The address of instance `i` (counted modulo [`Target::instances`]):
    /// 0 is [`Target::addr`].
    pub fn instance_addr(&self, i: usize) -> &str {
        match i % self.instances() {
            0 => &self.addr,
            n => &self.also[n - 1],
        }
    }

    /// A logged-in connection.
    pub async fn connect(&self) -> Result<Client, BenchError> {
        self.connect_to(0).await
    }

    /// A logged-in connection to instance `i` (see [`Target::instance_addr`]).
    pub async fn connect_to(&self, i: usize) -> Result<Client, BenchError> {
        Client::connect_login(self.instance_addr(i), &self.user, &self.password).await
    }

    /// A logged-in connection to instance `i` with a small read buffer (for
    /// idle ones).
    pub async fn connect_small_to(&self, i: usize) -> Result<Client, BenchError> {
        let addr = self.instance_addr(i);
        Client::connect_login_with_buffer(addr, &self.user, &self.password, 4096).await
    }

    /// The server's processes, when its pid is known.
    pub fn procs(&self) -> Option<ProcGroup> {
        let first = self.server_pid?;
        Some(ProcGroup::new(
            std::iter::once(first).chain(self.also_pids.iter().copied()),
        ))
    }
}

/// Whether a measurement's headline is its latency or its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Lower is better: the median time of one command.
    Latency,
    /// Higher is better: operations (or items) per second.
    Throughput,
    /// Lower is better: the server's memory in MiB
    /// ([`Measurement::value`]).
    Memory,
    /// Lower is better: bytes the server sent per command
    /// ([`Measurement::value`]).
    Bytes,
}

/// One timed operation of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was timed (`FETCH 1:* (UID FLAGS)`).
    pub op: String,
    /// Which number is the headline.
    pub metric: Metric,
    /// Latency and rate of the commands.
    pub summary: Summary,
    /// Items the commands handled in all (messages fetched, mailboxes
    /// listed, search hits), when that is more telling than the command
    /// count.
    pub items: Option<u64>,
    /// Items per second of command time, when `items` is given.
    pub items_per_s: Option<f64>,
    /// Anything else worth knowing (`4000/4000 pushes received`).
    pub note: Option<String>,
    /// The measured amount when it is neither a time nor a rate: MiB for
    /// [`Metric::Memory`], bytes for [`Metric::Bytes`].
    #[serde(default)]
    pub value: Option<f64>,
    /// Why the operation was not measured, when it was skipped (the
    /// server lacks an extension it needs): not a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl Measurement {
    /// The headline number: p50 in ms for latency, per second for
    /// throughput (items per second when counted), the value for memory
    /// and bytes (0 when skipped).
    pub fn headline(&self) -> f64 {
        match self.metric {
            Metric::Latency => self.summary.p50_ms,
            Metric::Throughput => self.items_per_s.unwrap_or(self.summary.per_s),
            Metric::Memory | Metric::Bytes => self.value.unwrap_or(0.0),
        }
    }

    /// The headline's unit.
    pub fn unit(&self) -> &'static str {
        match self.metric {
            Metric::Latency => "ms",
            Metric::Throughput => "/s",
            Metric::Memory => "MiB",
            Metric::Bytes => "B",
        }
    }

    /// Whether the operation was skipped rather than measured.
    pub fn is_skipped(&self) -> bool {
        self.skipped.is_some()
    }
}

/// Errors of a scenario, serialisable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Errors {
    /// Commands answered `NO`.
    pub no: u64,
    /// Commands answered `BAD`.
    pub bad: u64,
    /// Unreadable responses and unexpected tags.
    pub protocol: u64,
    /// Responses contradicting a client's view of its mailbox, and views
    /// that differ at a checkpoint.
    #[serde(default)]
    pub state: u64,
    /// The first few failures, described (`STORE: NO reason`).
    #[serde(default)]
    pub samples: Vec<String>,
}

impl From<ErrorCounts> for Errors {
    fn from(e: ErrorCounts) -> Self {
        Errors {
            no: e.no,
            bad: e.bad,
            protocol: e.protocol,
            state: e.state,
            samples: e.samples,
        }
    }
}

impl Errors {
    /// All errors.
    pub fn total(&self) -> u64 {
        self.no + self.bad + self.protocol + self.state
    }
}

/// The server's resource use during a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServerUse {
    /// CPU seconds (user + system) the server used.
    pub cpu_s: f64,
    /// Its peak RSS in KiB: during the scenario when `peak_reset`, else
    /// since it started.
    pub peak_rss_kib: u64,
    /// Its RSS at the end, KiB.
    pub rss_kib: u64,
    /// Whether the peak was reset at the start of the scenario.
    pub peak_reset: bool,
}

/// What one scenario measured on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// The scenario.
    pub scenario: ScenarioKind,
    /// Messages in the corpus when it ran.
    pub corpus: u64,
    /// Wall-clock seconds it took.
    pub wall_s: f64,
    /// Its timed operations.
    pub measurements: Vec<Measurement>,
    /// `NO`, `BAD` and protocol errors it met.
    pub errors: Errors,
    /// The server's CPU and memory, when its pid is known.
    pub server: Option<ServerUse>,
    /// Why the scenario stopped early, if it did (its measurements are
    /// then partial or missing).
    #[serde(default)]
    pub failure: Option<String>,
}

/// Everything measured on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// Its results in the order run.
    pub results: Vec<ScenarioResult>,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The prefix of the run's mailbox names.
    pub run_id: String,
    /// The parameters.
    pub params: Params,
    /// The sizes of `resync`.
    #[serde(default)]
    pub resync: ResyncParams,
    /// One entry per target, the first being the reference for ratios.
    pub targets: Vec<TargetReport>,
}

impl Report {
    /// Errors over all targets and scenarios.
    pub fn total_errors(&self) -> u64 {
        self.targets
            .iter()
            .flat_map(|t| &t.results)
            .map(|r| r.errors.total())
            .sum()
    }

    /// The scenarios that stopped early, as `target: scenario: why`.
    pub fn failures(&self) -> Vec<String> {
        self.targets
            .iter()
            .flat_map(|t| t.results.iter().map(move |r| (t, r)))
            .filter_map(|(t, r)| {
                let why = r.failure.as_ref()?;
                Some(format!("{}: {}: {why}", t.target.name, r.scenario))
            })
            .collect()
    }
}

/// A fresh run id: the time and this process, in base 36.
pub fn new_run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    format!(
        "{}{}",
        base36(now),
        base36(u64::from(std::process::id()) % 1296)
    )
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// Runs `scenarios` against every target, alternating targets scenario by
/// scenario so that a noisy machine affects them alike; `resync` with
/// [`ResyncParams::for_params`].
pub async fn run(
    targets: &[Target],
    scenarios: &[ScenarioKind],
    params: &Params,
) -> Result<Report, BenchError> {
    run_with(
        targets,
        scenarios,
        params,
        &ResyncParams::for_params(params),
    )
    .await
}

/// [`run`] with the sizes of `resync` given.
pub async fn run_with(
    targets: &[Target],
    scenarios: &[ScenarioKind],
    params: &Params,
    resync: &ResyncParams,
) -> Result<Report, BenchError> {
    let run_id = new_run_id();
    let mut kinds = scenarios.to_vec();
    kinds.sort();
    kinds.dedup();
    if targets.is_empty() || kinds.is_empty() {
        return Err(BenchError::Invalid("nothing to run".into()));
    }
    let mut states: Vec<RunState> = targets
        .iter()
        .map(|t| RunState::new(t.clone(), &run_id, params, resync))
        .collect();
    let mut sizes = params.corpus_sizes.clone();
    if sizes.is_empty() {
        sizes.push(0);
    }
    for (round, &size) in sizes.iter().enumerate() {
        for &kind in &kinds {
            if !kind.per_corpus_size() && round > 0 {
                continue;
            }
            for state in &mut states {
                if params.progress {
                    let (what, n) = match kind {
                        ScenarioKind::Resync => ("mailbox", resync.messages),
                        _ => ("corpus", size),
                    };
                    eprintln!("[{}] {kind} ({what} {n}) ...", state.target.name);
                }
                let result = state.run_scenario(kind, size).await;
                if let Some(failure) = &result.failure {
                    eprintln!("[{}] {kind} failed: {failure}", state.target.name);
                } else if params.progress {
                    eprintln!(
                        "[{}] {kind} done in {:.1} s, {} errors",
                        state.target.name,
                        result.wall_s,
                        result.errors.total()
                    );
                }
                for sample in &result.errors.samples {
                    eprintln!("[{}] {kind}: {sample}", state.target.name);
                }
                state.results.push(result);
            }
        }
    }
    let mut reports = Vec::new();
    for mut state in states {
        if params.cleanup {
            state.cleanup().await;
        }
        reports.push(TargetReport {
            target: state.target,
            results: state.results,
        });
    }
    Ok(Report {
        run_id,
        params: params.clone(),
        resync: *resync,
        targets: reports,
    })
}

/// Waits, at most [`Params::settle_secs`], until the server uses under
/// 5% of a core over a second: background work a fill set off (a text
/// index catching up) would otherwise share the cores with what is
/// measured next. Without a known pid it does not wait.
pub(crate) async fn settle(target: &Target, params: &Params) {
    let limit = params.settle_secs;
    let Some(proc) = target.procs().filter(|_| limit > 0.0) else {
        return;
    };
    let start = Instant::now();
    let Ok(mut last) = proc.sample() else {
        return;
    };
    let mut told = false;
    while start.elapsed().as_secs_f64() < limit {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let Ok(now) = proc.sample() else {
            return;
        };
        let busy = now.cpu_s - last.cpu_s;
        last = now;
        if busy < 0.05 {
            break;
        }
        if params.progress && !told {
            eprintln!(
                "[{}] waiting for the server to settle ({:.0}% of a core busy)",
                target.name,
                busy * 100.0
            );
            told = true;
        }
    }
    if told {
        eprintln!(
            "[{}] settled after {:.0} s",
            target.name,
            start.elapsed().as_secs_f64()
        );
    }
}

/// One target's state across the run.
struct RunState {
    target: Target,
    params: Params,
    resync: ResyncParams,
    run_id: String,
    corpus_count: u64,
    created: Vec<String>,
    results: Vec<ScenarioResult>,
}

impl RunState {
    fn new(target: Target, run_id: &str, params: &Params, resync: &ResyncParams) -> Self {
        RunState {
            target,
            params: params.clone(),
            resync: *resync,
            run_id: run_id.to_owned(),
            corpus_count: 0,
            created: Vec::new(),
            results: Vec::new(),
        }
    }

    /// Runs one scenario; a failure is recorded in the result (with what
    /// was measured before it) rather than ending the run.
    async fn run_scenario(&mut self, kind: ScenarioKind, size: u64) -> ScenarioResult {
        // `idle` under load copies part of the corpus for its load.
        let needs_corpus = !matches!(
            kind,
            ScenarioKind::StatusList
                | ScenarioKind::Idle
                | ScenarioKind::Imaptest
                | ScenarioKind::Resync
                | ScenarioKind::Lmtp
        ) || (kind == ScenarioKind::Idle && self.params.idle_load_clients > 0);
        if needs_corpus && kind != ScenarioKind::Fill && self.corpus_count < size.max(1) {
            // Untimed set-up: the corpus this scenario reads.
            let mut ctx = self.ctx(size.max(100));
            let filled = fill::run(&mut ctx, size.max(100)).await;
            let (count, created) = (ctx.corpus_count, ctx.created);
            self.corpus_count = count;
            self.created.extend(created);
            if let Err(e) = filled {
                return ScenarioResult {
                    scenario: kind,
                    corpus: self.corpus_count,
                    wall_s: 0.0,
                    measurements: Vec::new(),
                    errors: Errors::default(),
                    server: None,
                    failure: Some(format!("filling the corpus: {e}")),
                };
            }
        }
        if needs_corpus && kind != ScenarioKind::Fill {
            settle(&self.target, &self.params).await;
        }
        // A scenario may shrink the corpus (`store` expunges some): its
        // row is labelled with the size it started with.
        let corpus_before = self.corpus_count;
        let proc = self.target.procs();
        let peak_reset = proc.as_ref().is_some_and(ProcGroup::reset_peak);
        let before = proc.as_ref().and_then(|p| p.sample().ok());
        let start = Instant::now();
        let mut ctx = self.ctx(size);
        let outcome = match kind {
            ScenarioKind::Fill => match fill::run(&mut ctx, size).await {
                Ok(()) => fill::multiappend(&mut ctx).await,
                Err(e) => Err(e),
            },
            ScenarioKind::Select => select::run(&mut ctx).await,
            ScenarioKind::Fetch => fetch::run(&mut ctx).await,
            ScenarioKind::Search => search::run(&mut ctx).await,
            ScenarioKind::Sort => sort::run(&mut ctx).await,
            ScenarioKind::Store => store::run(&mut ctx).await,
            ScenarioKind::Imaptest => imaptest::run(&mut ctx).await,
            ScenarioKind::StatusList => status_list::run(&mut ctx).await,
            ScenarioKind::Mixed => mixed::run(&mut ctx).await,
            ScenarioKind::Idle => idle::run(&mut ctx).await,
            ScenarioKind::Resync => resync::run(&mut ctx).await,
            ScenarioKind::Lmtp => lmtp::run(&mut ctx).await,
        };
        let wall_s = start.elapsed().as_secs_f64();
        let server = match (&proc, before) {
            (Some(p), Some(before)) => p.sample().ok().map(|after| ServerUse {
                cpu_s: after.cpu_s - before.cpu_s,
                peak_rss_kib: after.peak_rss_kib,
                rss_kib: after.rss_kib,
                peak_reset,
            }),
            _ => None,
        };
        let Ctx {
            corpus_count,
            created,
            measurements,
            errors,
            ..
        } = ctx;
        self.corpus_count = corpus_count;
        self.created.extend(created);
        ScenarioResult {
            scenario: kind,
            // `resync` is labelled with the size of its own mailbox.
            corpus: match kind {
                ScenarioKind::Fill => self.corpus_count,
                ScenarioKind::Resync => self.resync.messages,
                _ => corpus_before,
            },
            wall_s,
            measurements,
            errors: errors.into(),
            server,
            failure: outcome.err().map(|e| e.to_string()),
        }
    }

    fn ctx(&self, size: u64) -> Ctx {
        Ctx {
            target: self.target.clone(),
            params: self.params.clone(),
            resync: self.resync,
            run_id: self.run_id.clone(),
            corpus: mailbox_name(&self.run_id, "corpus"),
            corpus_count: self.corpus_count,
            corpus_size: size,
            mail: MailGen::new(self.params.seed),
            created: Vec::new(),
            measurements: Vec::new(),
            errors: ErrorCounts::default(),
        }
    }

    /// Deletes the run's mailboxes (best effort).
    async fn cleanup(&mut self) {
        let Ok(mut client) = self.target.connect().await else {
            return;
        };
        if self.params.progress && !self.created.is_empty() {
            eprintln!(
                "[{}] deleting {} mailboxes of run {}",
                self.target.name,
                self.created.len(),
                self.run_id
            );
        }
        for name in self.created.drain(..).rev() {
            if let Ok(mailbox) = Mailbox::new(name) {
                let _ = client.execute(CommandBody::Delete { mailbox }).await;
            }
        }
        client.logout().await;
    }
}

/// `bench-<run id>-<suffix>`.
pub fn mailbox_name(run_id: &str, suffix: &str) -> String {
    format!("bench-{run_id}-{suffix}")
}

/// What a scenario works with and what it reports.
pub(crate) struct Ctx {
    pub(crate) target: Target,
    pub(crate) params: Params,
    /// The sizes of `resync`.
    pub(crate) resync: ResyncParams,
    pub(crate) run_id: String,
    /// The corpus mailbox's name.
    pub(crate) corpus: String,
    /// Messages appended to the corpus so far.
    pub(crate) corpus_count: u64,
    /// The corpus size of this round.
    pub(crate) corpus_size: u64,
    pub(crate) mail: MailGen,
    /// Mailboxes created (deleted at the end of the run).
    pub(crate) created: Vec<String>,
    pub(crate) measurements: Vec<Measurement>,
    pub(crate) errors: ErrorCounts,
}

impl Ctx {
    /// A mailbox name private to this run.
    pub(crate) fn mailbox(&self, suffix: &str) -> String {
        mailbox_name(&self.run_id, suffix)
    }

    /// A random generator for this scenario, from the run's seed.
    pub(crate) fn rng(&self, salt: u64) -> crate::rng::Rng {
        crate::rng::Rng::for_item(self.params.seed ^ 0xB3C4_D5E6, salt)
    }

    /// Records a latency measurement.
    pub(crate) fn latency(&mut self, op: &str, hist: &Histogram, elapsed: Duration) {
        self.push(op, Metric::Latency, hist, elapsed, None, None);
    }

    /// Records a throughput measurement.
    pub(crate) fn throughput(&mut self, op: &str, hist: &Histogram, elapsed: Duration) {
        self.push(op, Metric::Throughput, hist, elapsed, None, None);
    }

    /// Records a measurement.
    pub(crate) fn push(
        &mut self,
        op: &str,
        metric: Metric,
        hist: &Histogram,
        elapsed: Duration,
        items: Option<u64>,
        note: Option<String>,
    ) {
        if hist.count() == 0 {
            return;
        }
        let summary = hist.summary(elapsed);
        let busy_s = summary.mean_ms * summary.count as f64 / 1000.0;
        self.measurements.push(Measurement {
            op: op.to_owned(),
            metric,
            summary,
            items,
            items_per_s: items.map(|n| if busy_s > 0.0 { n as f64 / busy_s } else { 0.0 }),
            note,
            value: None,
            skipped: None,
        });
    }

    /// Records a throughput of `items` over the wall-clock `elapsed` rather
    /// than over the commands' summed latency (which overcounts when
    /// commands were pipelined).
    pub(crate) fn push_rate(
        &mut self,
        op: &str,
        hist: &Histogram,
        elapsed: Duration,
        items: u64,
        note: Option<String>,
    ) {
        if hist.count() == 0 {
            return;
        }
        let secs = elapsed.as_secs_f64();
        self.measurements.push(Measurement {
            op: op.to_owned(),
            metric: Metric::Throughput,
            summary: hist.summary(elapsed),
            items: Some(items),
            items_per_s: Some(if secs > 0.0 { items as f64 / secs } else { 0.0 }),
            note,
            value: None,
            skipped: None,
        });
    }

    /// Records an amount of server memory, `mib`.
    pub(crate) fn memory(&mut self, op: &str, mib: f64, note: Option<String>) {
        self.measurements.push(Measurement {
            op: op.to_owned(),
            metric: Metric::Memory,
            summary: Histogram::new().summary(Duration::ZERO),
            items: None,
            items_per_s: None,
            note,
            value: Some(mib),
            skipped: None,
        });
    }

    /// Records the bytes the server sent per command over the commands of
    /// `hist` (recorded with [`Histogram::record_bytes`]); nothing when
    /// there were none.
    pub(crate) fn bytes(&mut self, op: &str, hist: &Histogram, note: Option<String>) {
        if hist.count() == 0 {
            return;
        }
        self.measurements.push(Measurement {
            op: op.to_owned(),
            metric: Metric::Bytes,
            summary: hist.summary(Duration::ZERO),
            items: None,
            items_per_s: None,
            note,
            value: Some(hist.bytes() as f64 / hist.count() as f64),
            skipped: None,
        });
    }

    /// Records that `op` was not measured, and why.
    pub(crate) fn skip(&mut self, op: &str, metric: Metric, why: &str) {
        self.measurements.push(Measurement {
            op: op.to_owned(),
            metric,
            summary: Histogram::new().summary(Duration::ZERO),
            items: None,
            items_per_s: None,
            note: None,
            value: None,
            skipped: Some(why.to_owned()),
        });
    }

    /// Creates `name` (remembered for clean-up); fails if refused.
    pub(crate) async fn create(
        &mut self,
        client: &mut Client,
        name: &str,
    ) -> Result<(), BenchError> {
        client
            .execute(CommandBody::Create {
                mailbox: mailbox(name)?,
                special_use: Vec::new(),
            })
            .await?
            .ok(&format!("CREATE {name}"))?;
        self.created.push(name.to_owned());
        Ok(())
    }

    /// Adds a client's error counts.
    pub(crate) fn add_errors(&mut self, client: &Client) {
        self.errors.add(client.errors());
    }
}

/// A mailbox name as a protocol value.
pub(crate) fn mailbox(name: &str) -> Result<Mailbox<'static>, BenchError> {
    Mailbox::new(name.to_owned()).map_err(|e| BenchError::Invalid(format!("mailbox {name}: {e}")))
}

/// `LIST "" "*"`.
pub(crate) fn list_all() -> Result<CommandBody<'static>, BenchError> {
    Ok(CommandBody::List {
        selection: Vec::new(),
        reference: Mailbox::from_wire(b"").map_err(|e| BenchError::Invalid(e.to_string()))?,
        patterns: NonEmptyVec::one(
            ListMailbox::new("*").map_err(|e| BenchError::Invalid(e.to_string()))?,
        ),
        return_options: Vec::new(),
    })
}

/// A sequence set from its text (`1:100`, `5`).
pub(crate) fn set(text: &str) -> SequenceSet {
    text.parse().expect("a valid sequence set")
}

/// The range `a:b`.
pub(crate) fn range(a: u32, b: u32) -> SequenceSet {
    let n = |v: u32| SeqNumber::Value(std::num::NonZeroU32::new(v.max(1)).expect("not zero"));
    if a == b {
        SequenceSet::List(vec![Sequence::Single(n(a))])
    } else {
        SequenceSet::range(n(a), n(b))
    }
}

/// `1:*`.
pub(crate) fn all() -> SequenceSet {
    set("1:*")
}

/// A random range of `len` numbers within `1..=max` (`max` > 0).
pub(crate) fn random_range(rng: &mut crate::rng::Rng, max: u32, len: u32) -> (u32, u32) {
    let len = len.clamp(1, max.max(1));
    let start = 1 + rng.below(u64::from(max - len + 1)) as u32;
    (start, start + len - 1)
}

/// `SELECT` (or `EXAMINE`) and the message count it reported.
pub(crate) async fn select(
    client: &mut Client,
    name: &str,
    read_only: bool,
) -> Result<(Reply, u32), BenchError> {
    let mailbox = mailbox(name)?;
    let body = if read_only {
        CommandBody::Examine {
            mailbox,
            params: Vec::new(),
        }
    } else {
        CommandBody::Select {
            mailbox,
            params: Vec::new(),
        }
    };
    let mut exists = 0;
    let reply = client
        .execute_with(body, |r| {
            if let Response::Data(Data::Exists(n)) = r {
                exists = *n;
            }
        })
        .await?;
    Ok((reply, exists))
}

/// The `APPEND` of a generated message with its flags and date.
pub(crate) fn append_body(
    mailbox_name: &str,
    message: &Message,
    mode: LiteralMode,
) -> Result<CommandBody<'static>, BenchError> {
    let mut flags = Vec::new();
    if message.seen {
        flags.push(Flag::Seen);
    }
    if message.flagged {
        flags.push(Flag::Flagged);
    }
    append_with(mailbox_name, message, flags, Some(message.date), mode)
}

/// The `APPEND` of a generated message with the given flags and date.
pub(crate) fn append_with(
    mailbox_name: &str,
    message: &Message,
    flags: Vec<Flag<'static>>,
    date: Option<DateTime>,
    mode: LiteralMode,
) -> Result<CommandBody<'static>, BenchError> {
    let data = Literal::new(message.data.clone())
        .map_err(|e| BenchError::Invalid(format!("generated message: {e}")))?
        .with_mode(mode);
    Ok(CommandBody::Append {
        mailbox: mailbox(mailbox_name)?,
        messages: NonEmptyVec::one(AppendMessage {
            flags,
            date,
            data: data.into(),
        }),
    })
}

/// Prints `label done/total (rate/s)` to stderr every 2 s until dropped.
pub(crate) struct Progress {
    stop: Arc<AtomicBool>,
}

impl Progress {
    /// Starts printing when `enabled`.
    pub(crate) fn start(
        enabled: bool,
        label: String,
        unit: &'static str,
        total: u64,
        done: Arc<AtomicU64>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        if enabled {
            let stop = stop.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let mut tick = tokio::time::interval(Duration::from_secs(2));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let n = done.load(Ordering::Relaxed);
                    let rate = n as f64 / start.elapsed().as_secs_f64().max(1e-9);
                    eprintln!("{label} {n}/{total} ({} {unit}/s)", thousands(rate as u64));
                }
            });
        }
        Progress { stop }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// `12345678` → `12,345,678`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `settle` waits while the server's process is busy, and not once it
    /// is idle: a shell that spins for two seconds, then sleeps.
    #[tokio::test]
    async fn settle_waits_for_a_busy_server() {
        let script =
            "end=$(($(date +%s) + 2)); while [ $(date +%s) -lt $end ]; do :; done; exec sleep 60";
        let mut busy = std::process::Command::new("sh")
            .args(["-c", script])
            .spawn()
            .expect("sh");
        let mut target = Target::new("busy", "127.0.0.1:1", "u", "p");
        target.server_pid = Some(busy.id());
        let mut params = Params::quick();
        params.progress = false;
        params.settle_secs = 30.0;
        let start = Instant::now();
        settle(&target, &params).await;
        let first = start.elapsed();
        let start = Instant::now();
        settle(&target, &params).await;
        let again = start.elapsed();
        busy.kill().ok();
        busy.wait().ok();
        assert!(first.as_secs_f64() >= 1.0, "did not wait: {first:?}");
        assert!(
            first.as_secs_f64() < 25.0,
            "waited past the spin: {first:?}"
        );
        assert!(again.as_secs_f64() < 2.5, "an idle server waited {again:?}");
    }

    #[test]
    fn scenario_names_round_trip() {
        for &k in ScenarioKind::ALL {
            assert_eq!(k.name().parse::<ScenarioKind>().unwrap(), k);
        }
        assert!("nope".parse::<ScenarioKind>().is_err());
    }

    #[test]
    fn ranges_stay_inside() {
        let mut rng = crate::rng::Rng::new(5);
        for _ in 0..1000 {
            let (a, b) = random_range(&mut rng, 250, 100);
            assert!(a >= 1 && b <= 250 && b - a == 99);
        }
        assert_eq!(random_range(&mut rng, 10, 100), (1, 10));
        assert_eq!(range(3, 3).to_string(), "3");
        assert_eq!(range(3, 9).to_string(), "3:9");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn run_ids_are_mailbox_safe() {
        let id = new_run_id();
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        assert!(mailbox(&mailbox_name(&id, "corpus")).is_ok());
    }
}
