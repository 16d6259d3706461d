//! `cargo xtask fuzz`: the cargo-fuzz targets under `fuzz/`.

use anyhow::bail;
use clap::Args;

use crate::process::{cargo, exec, has_cargo_plugin};

/// The fuzz targets, each a file in `fuzz/fuzz_targets/`.
const TARGETS: &[&str] = &["command_framer", "response_roundtrip", "message_ingest"];

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
    let root = crate::process::workspace_root();
    for target in targets {
        // libFuzzer writes new inputs to the first directory (not committed)
        // and also reads the committed seeds from the second.
        let corpus = format!("fuzz/corpus/{target}");
        let seeds = format!("fuzz/seeds/{target}");
        std::fs::create_dir_all(root.join(&corpus))?;
        let log = root.join(format!("target/fuzz-{target}.log"));
        std::fs::create_dir_all(log.parent().expect("a file in target/"))?;
        eprintln!(
            "fuzzing {target} for {seconds} s (libFuzzer output: {})",
            log.display()
        );
        let result = exec(
            cargo()
                .args(["fuzz", "run", target, &corpus, &seeds, "--"])
                .arg(format!("-max_total_time={seconds}"))
                .arg("-max_len=65536")
                // cargo-fuzz needs nightly flags; the stable compiler accepts
                // them with RUSTC_BOOTSTRAP (see docs/FUZZING.md).
                .env("RUSTC_BOOTSTRAP", "1")
                .stdout(std::fs::File::create(&log)?)
                .stderr(std::fs::File::options().append(true).open(&log)?),
        );
        // The last lines say how many runs were done, or why it failed.
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = output.lines().collect();
        let shown = if result.is_ok() { 2 } else { 80 };
        for line in &lines[lines.len().saturating_sub(shown)..] {
            eprintln!("  {line}");
        }
        result?;
    }
    Ok(())
}
