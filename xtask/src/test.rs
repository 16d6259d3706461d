//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use clap::Args;

use crate::process::{cargo, exec, has_cargo_plugin};

/// Options of `cargo xtask test`.
#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// Skip the fmt and clippy checks (tests only).
    #[arg(long)]
    no_lint: bool,
}

/// Runs fmt, clippy, the tests (nextest when installed), doc tests and rustdoc.
pub(crate) fn run(args: &TestArgs) -> anyhow::Result<()> {
    if !args.no_lint {
        exec(cargo().args(["fmt", "--all", "--", "--check"]))?;
        exec(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    if has_cargo_plugin("nextest") {
        exec(cargo().args([
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--no-fail-fast",
        ]))?;
    } else {
        eprintln!("cargo-nextest not installed; using cargo test");
        exec(cargo().args([
            "test",
            "--workspace",
            "--all-features",
            "--lib",
            "--bins",
            "--tests",
        ]))?;
    }
    // nextest does not run doc tests.
    exec(cargo().args(["test", "--workspace", "--all-features", "--doc"]))?;
    exec(
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    Ok(())
}
