//! `hadron-bench`: run the benchmark scenarios against one IMAP server, or
//! two alternately, and print and save the results.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use hadron_bench::report;
use hadron_bench::scenario::{Params, ResyncParams, ScenarioKind, Target};

/// End-to-end IMAP benchmark: drives any IMAP server with generated mail.
#[derive(Debug, Parser)]
#[command(name = "hadron-bench", version, about)]
struct Cli {
    /// The server to measure (`host:port`, plain IMAP).
    #[arg(long)]
    target: String,
    /// Its user.
    #[arg(long)]
    user: String,
    /// Its password.
    #[arg(long)]
    password: String,
    /// Its process id, for CPU and memory figures.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Its name in tables and file names.
    #[arg(long, default_value = "hadron")]
    name: String,
    /// Another instance of the same server (`host:port`, one database, the
    /// same user), repeatable: `mixed`, `idle` and `imaptest` spread their
    /// connections over all instances.
    #[arg(long = "also", value_name = "ADDR")]
    also: Vec<String>,
    /// The process id of an `--also` instance (repeatable), added to the
    /// CPU and memory figures.
    #[arg(long = "also-pid", value_name = "PID", requires = "server_pid")]
    also_pids: Vec<u32>,
    /// The first server's LMTP listener (`host:port`), for the `lmtp`
    /// scenario (skipped without it).
    #[arg(long, value_name = "ADDR")]
    lmtp: Option<String>,
    /// LMTP connections of `lmtp`.
    #[arg(long)]
    lmtp_clients: Option<usize>,
    /// Messages (4 KB) `lmtp` delivers.
    #[arg(long)]
    lmtp_messages: Option<usize>,
    /// A second server, measured alternately with the first.
    #[arg(long, requires_all = ["compare_user", "compare_password"])]
    compare: Option<String>,
    /// The second server's user.
    #[arg(long)]
    compare_user: Option<String>,
    /// The second server's password.
    #[arg(long)]
    compare_password: Option<String>,
    /// The second server's process id.
    #[arg(long)]
    compare_pid: Option<u32>,
    /// The second server's name.
    #[arg(long, default_value = "other")]
    compare_name: String,
    /// `quick` (minutes), `full` (hours: 100k and 1M messages) or `bigbox`
    /// (one corpus of 1M messages filled with MULTIAPPEND, the corpus
    /// scenarios only unless `--scenario` says otherwise).
    #[arg(long, default_value = "quick")]
    suite: String,
    /// Run only these scenarios (repeatable): fill, select, fetch, search, sort,
    /// store, imaptest, status-list, mixed, idle, resync, lmtp.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// Seed of the generated mail and random choices.
    #[arg(long)]
    seed: Option<u64>,
    /// Corpus size(s) instead of the suite's (repeatable).
    #[arg(long = "messages")]
    messages: Vec<u64>,
    /// Connections of `fill`.
    #[arg(long)]
    fill_clients: Option<usize>,
    /// APPENDs in flight per `fill` connection.
    #[arg(long)]
    fill_pipeline: Option<usize>,
    /// Messages `fill` also appends with MULTIAPPEND (0: none).
    #[arg(long)]
    multiappend_messages: Option<usize>,
    /// Messages per MULTIAPPEND command.
    #[arg(long)]
    multiappend_batch: Option<usize>,
    /// Repetitions of each timed command.
    #[arg(long)]
    repeat: Option<usize>,
    /// Mailboxes of `status-list`.
    #[arg(long)]
    mailboxes: Option<usize>,
    /// Connections of `mixed`.
    #[arg(long)]
    mixed_clients: Option<usize>,
    /// Seconds of `mixed`, and of `imaptest` per client count and login
    /// mode.
    #[arg(long)]
    mixed_secs: Option<f64>,
    /// Every SECS seconds, all `mixed` clients stop, drain updates with two
    /// NOOPs and compare their views of the mailbox (a difference is an
    /// error).
    #[arg(long, value_name = "SECS")]
    checkpoint: Option<f64>,
    /// Most seconds to wait before each scenario that reads the corpus
    /// until the server (by `--server-pid` / `--compare-pid`) is idle, its
    /// background work after the fill done (0: no wait) [default: 600].
    #[arg(long, value_name = "SECS")]
    settle: Option<f64>,
    /// Client counts of `imaptest` (repeatable; each runs with and without
    /// re-login).
    #[arg(long = "imaptest-clients")]
    imaptest_clients: Vec<usize>,
    /// Connections in IDLE.
    #[arg(long)]
    idle_connections: Option<usize>,
    /// Messages appended while they idle.
    #[arg(long)]
    idle_messages: Option<usize>,
    /// Clients of the `mixed` mix working beside `idle` (pushes under load).
    #[arg(long)]
    idle_load_clients: Option<usize>,
    /// Messages in the mailbox of `resync` [default: 10,000, or the
    /// largest corpus size when smaller or in `bigbox`].
    #[arg(long)]
    resync_messages: Option<u64>,
    /// Messages `resync` marks `\Seen` while its client is away [default:
    /// 1,000; at most a third of the mailbox].
    #[arg(long)]
    resync_changed: Option<u64>,
    /// Other messages `resync` expunges while its client is away [default:
    /// 1,000; at most a third of the mailbox].
    #[arg(long)]
    resync_expunged: Option<u64>,
    /// Keep the run's mailboxes instead of deleting them at the end.
    #[arg(long)]
    keep: bool,
    /// No progress lines on stderr.
    #[arg(long)]
    quiet: bool,
    /// Directory of the JSON and SVG files.
    #[arg(long, default_value = "target/bench")]
    out_dir: PathBuf,
    /// File name (without extension) of the JSON and SVG files
    /// [default: the target's name, or NAME-vs-COMPARE_NAME].
    #[arg(long)]
    out_name: Option<String>,
}

fn params(cli: &Cli) -> anyhow::Result<Params> {
    let mut p = Params::suite(&cli.suite)?;
    let custom = !cli.messages.is_empty()
        || cli.repeat.is_some()
        || cli.fill_clients.is_some()
        || cli.fill_pipeline.is_some()
        || cli.multiappend_messages.is_some()
        || cli.multiappend_batch.is_some()
        || cli.mailboxes.is_some()
        || cli.mixed_clients.is_some()
        || cli.mixed_secs.is_some()
        || cli.checkpoint.is_some()
        || cli.settle.is_some()
        || !cli.imaptest_clients.is_empty()
        || cli.idle_connections.is_some()
        || cli.idle_messages.is_some()
        || cli.idle_load_clients.is_some()
        || cli.lmtp_clients.is_some()
        || cli.lmtp_messages.is_some()
        || cli.resync_messages.is_some()
        || cli.resync_changed.is_some()
        || cli.resync_expunged.is_some();
    if custom {
        p.suite = format!("{} (custom)", p.suite);
    }
    if !cli.messages.is_empty() {
        p.corpus_sizes = cli.messages.clone();
    }
    p.seed = cli.seed.unwrap_or(p.seed);
    p.fill_clients = cli.fill_clients.unwrap_or(p.fill_clients);
    p.fill_pipeline = cli.fill_pipeline.unwrap_or(p.fill_pipeline);
    p.multiappend_messages = cli.multiappend_messages.unwrap_or(p.multiappend_messages);
    p.multiappend_batch = cli.multiappend_batch.unwrap_or(p.multiappend_batch);
    p.repeat = cli.repeat.unwrap_or(p.repeat);
    p.mailboxes = cli.mailboxes.unwrap_or(p.mailboxes);
    p.mixed_clients = cli.mixed_clients.unwrap_or(p.mixed_clients);
    p.mixed_secs = cli.mixed_secs.unwrap_or(p.mixed_secs);
    if let Some(secs) = cli.checkpoint {
        if !(secs.is_finite() && secs > 0.0) {
            bail!("--checkpoint wants a positive number of seconds, not {secs}");
        }
        p.checkpoint_secs = Some(secs);
    }
    if let Some(secs) = cli.settle {
        if !(secs.is_finite() && secs >= 0.0) {
            bail!("--settle wants a number of seconds, not {secs}");
        }
        p.settle_secs = secs;
    }
    if !cli.imaptest_clients.is_empty() {
        p.imaptest_clients = cli.imaptest_clients.clone();
    }
    p.idle_connections = cli.idle_connections.unwrap_or(p.idle_connections);
    p.idle_messages = cli.idle_messages.unwrap_or(p.idle_messages);
    p.idle_load_clients = cli.idle_load_clients.unwrap_or(p.idle_load_clients);
    p.lmtp_clients = cli.lmtp_clients.unwrap_or(p.lmtp_clients);
    p.lmtp_messages = cli.lmtp_messages.unwrap_or(p.lmtp_messages);
    p.progress = !cli.quiet;
    p.cleanup = !cli.keep;
    Ok(p)
}

fn resync_params(cli: &Cli, params: &Params) -> anyhow::Result<ResyncParams> {
    let mut r = ResyncParams::for_params(params);
    r.messages = cli.resync_messages.unwrap_or(r.messages);
    r.changed = cli.resync_changed.unwrap_or(r.changed);
    r.expunged = cli.resync_expunged.unwrap_or(r.expunged);
    if r.messages == 0 {
        bail!("--resync-messages wants at least one message");
    }
    Ok(r)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let params = params(&cli)?;
    let resync = resync_params(&cli, &params)?;
    let scenarios: Vec<ScenarioKind> = if cli.scenarios.is_empty() {
        params.default_scenarios().to_vec()
    } else {
        cli.scenarios
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?
    };
    let mut first = Target::new(&cli.name, &cli.target, &cli.user, &cli.password);
    first.server_pid = cli.server_pid;
    first.also = cli.also.clone();
    first.also_pids = cli.also_pids.clone();
    first.lmtp = cli.lmtp.clone();
    let mut targets = vec![first];
    if let Some(addr) = &cli.compare {
        if cli.compare_name == cli.name {
            bail!("--compare-name must differ from --name");
        }
        let mut other = Target::new(
            &cli.compare_name,
            addr,
            cli.compare_user.as_deref().unwrap_or_default(),
            cli.compare_password.as_deref().unwrap_or_default(),
        );
        other.server_pid = cli.compare_pid;
        targets.push(other);
    }
    let report = hadron_bench::run_with(&targets, &scenarios, &params, &resync)
        .await
        .context("benchmark failed")?;
    println!("{}", report::table(&report));
    let name = cli.out_name.clone().unwrap_or_else(|| {
        targets
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
            .join("-vs-")
    });
    let (json, svg) = report::write_files(&report, &cli.out_dir, &name)?;
    println!("wrote {} and {}", json.display(), svg.display());
    let errors = report.total_errors();
    if errors > 0 {
        eprintln!("{errors} commands failed or responses were unreadable (see the table)");
    }
    let failures = report.failures();
    if !failures.is_empty() {
        bail!(
            "{} scenario(s) stopped early:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}
