//! `cargo xtask`: the developer tasks of the Hadron workspace.
//!
//! Thin wrappers over cargo and the crates; logic that belongs in a crate
//! lives there, not here.

mod bench;
mod codegen;
mod fuzz;
mod imaptest;
mod migrate;
mod process;
mod reliability;
mod run;
mod server;
mod test;

use clap::{Parser, Subcommand};

/// Developer tasks for Hadron.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the whole test suite: fmt check, clippy -D warnings, tests, doc tests, docs.
    Test(test::TestArgs),
    /// Run the cargo-fuzz targets (`--smoke` for a short bounded run of each).
    Fuzz(fuzz::FuzzArgs),
    /// Apply the store's migrations to a database (or `new NAME` to scaffold one).
    Migrate(migrate::MigrateArgs),
    /// Regenerate crates/hadron-store/src/schema.rs from the migrations.
    Codegen(codegen::CodegenArgs),
    /// Build and start the hadron server (first run: data dir and a demo user).
    Run(run::RunArgs),
    /// End-to-end benchmark (`hadron-bench`) against a fresh Hadron or any
    /// server; `--micro` runs the criterion benches.
    Bench(Box<bench::BenchArgs>),
    /// Dovecot's imaptest against a fresh release server: every scripted
    /// test and a stress run with state checking, SQLite and PostgreSQL.
    Imaptest(imaptest::ImaptestArgs),
    /// The long versions of the reliability harnesses (docs/RELIABILITY.md):
    /// `kill9` SIGKILLs a server under write load 100 times.
    Reliability(reliability::ReliabilityArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().task {
        Task::Test(args) => test::run(&args),
        Task::Fuzz(args) => fuzz::run(&args),
        Task::Migrate(args) => migrate::migrate(args),
        Task::Codegen(args) => codegen::codegen(args),
        Task::Run(args) => run::run(&args),
        Task::Bench(args) => bench::bench(&args),
        Task::Imaptest(args) => imaptest::imaptest(&args),
        Task::Reliability(args) => reliability::run(&args),
    }
}
