//! `cargo xtask reliability`: the long versions of the reliability
//! harnesses whose short versions run in the test suite (docs/RELIABILITY.md).

use clap::{Args, ValueEnum};

use crate::process::{cargo, exec};

/// A harness.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Harness {
    /// `hadron serve` SIGKILLed at random moments under a mixed write load,
    /// restarted and checked against the clients' journals, on SQLite and
    /// (with `HADRON_TEST_PG`) on PostgreSQL
    /// (crates/hadron-server/tests/kill_loop.rs).
    Kill9,
}

/// Options of `cargo xtask reliability`.
#[derive(Debug, Args)]
pub(crate) struct ReliabilityArgs {
    /// Which harness to run.
    harness: Harness,
    /// Kill-and-restart cycles.
    #[arg(long, default_value_t = 100)]
    cycles: u64,
    /// Concurrent writing clients.
    #[arg(long, default_value_t = 20)]
    writers: u64,
    /// Seed of the kill moments and the clients' choices (to replay a run).
    #[arg(long)]
    seed: Option<u64>,
}

/// Runs the harness's test on a release build with the long settings.
pub(crate) fn run(args: &ReliabilityArgs) -> anyhow::Result<()> {
    let test = match args.harness {
        Harness::Kill9 => "kill_loop",
    };
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--release",
        "-p",
        "hadron-server",
        "--test",
        test,
        "--",
        "--nocapture",
    ])
    .env("HADRON_KILL_CYCLES", args.cycles.to_string())
    .env("HADRON_KILL_WRITERS", args.writers.to_string());
    if let Some(seed) = args.seed {
        cmd.env("HADRON_KILL_SEED", seed.to_string());
    }
    exec(&mut cmd)
}
