//! `cargo xtask fuzz`: the cargo-fuzz targets under `fuzz/`.

use std::time::Duration;

use anyhow::bail;
use clap::Args;

use crate::process::{cargo, exec, has_cargo_plugin};

/// The fuzz targets, each a file in `fuzz/fuzz_targets/`.
const TARGETS: &[&str] = &["command_framer", "response_roundtrip"];

/// Options of `cargo xtask fuzz`.
#[derive(Debug, Args)]
pub(crate) struct FuzzArgs {
    /// Run every target briefly (CI): a fixed time per target.
    #[arg(long)]
    smoke: bool,
    /// Only this target (default: all).
    #[arg(long)]
    target: Option<String>,
    /// Seconds per target (default: 30 with --smoke, 600 otherwise).
    #[arg(long)]
    seconds: Option<u64>,
}

/// Runs the fuzz targets with libFuzzer via cargo-fuzz on the stable toolchain.
pub(crate) fn run(args: &FuzzArgs) -> anyhow::Result<()> {
    if !has_cargo_plugin("fuzz") {
        bail!("cargo-fuzz is not installed: run `cargo install cargo-fuzz --locked`");
    }
    let seconds = args.seconds.unwrap_or(if args.smoke { 30 } else { 600 });
    let targets: Vec<&str> = match &args.target {
        Some(t) if TARGETS.contains(&t.as_str()) => vec![t.as_str()],
        Some(t) => bail!("unknown fuzz target {t:?}; known: {}", TARGETS.join(", ")),
        None => TARGETS.to_vec(),
    };
    for target in targets {
        let time = Duration::from_secs(seconds).as_secs().to_string();
        exec(
            cargo()
                .args(["fuzz", "run", target, "--"])
                .arg(format!("-max_total_time={time}"))
                .arg("-max_len=65536")
                // cargo-fuzz needs nightly flags; the stable compiler accepts them
                // with RUSTC_BOOTSTRAP (documented in docs/FUZZING.md).
                .env("RUSTC_BOOTSTRAP", "1"),
        )?;
    }
    Ok(())
}
