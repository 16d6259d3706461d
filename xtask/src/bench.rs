//! `cargo xtask bench`: build the release server and `hadron-bench`, start a
//! fresh Hadron on a free port (or use `--target`), run a benchmark suite
//! and stop the server; `--micro` runs the criterion benches instead.
//!
//! The workload itself lives in `crates/hadron-bench`; this only starts and
//! stops processes around it.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{cargo, exec, workspace_root};
use crate::server::{LocalServer, ServerOptions};

/// Arguments of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// `quick` (a few minutes), `full` (hours: 100k and 1M messages,
    /// 10,000 IDLE connections) or `bigbox` (one corpus of 1M messages,
    /// filled with MULTIAPPEND, and only the corpus scenarios; `--
    /// --messages 100000` for a smaller one).
    #[arg(long, default_value = "quick")]
    suite: String,
    /// Run only this scenario (repeatable): fill, select, fetch, search, sort,
    /// store, status-list, mixed, idle, imaptest.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// Start Hadron on this PostgreSQL database (a `postgres://` URL of an
    /// empty database) instead of SQLite in its data directory.
    #[arg(long, conflicts_with = "target")]
    database: Option<String>,
    /// Start this many instances on `--database` (one cluster): `mixed`,
    /// `idle` and `imaptest` spread their clients over all of them, and
    /// CPU and memory are their sums.
    #[arg(long, default_value_t = 1, requires = "database")]
    instances: u16,
    /// Measure this server (`host:port`) instead of starting Hadron.
    #[arg(long, requires_all = ["user", "password"])]
    target: Option<String>,
    /// The user of `--target`.
    #[arg(long)]
    user: Option<String>,
    /// The password of `--target`.
    #[arg(long)]
    password: Option<String>,
    /// The process id of `--target`, for CPU and memory figures.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The name of `--target` in tables and file names [default: hadron
    /// when started here, else the address].
    #[arg(long)]
    name: Option<String>,
    /// Also measure this server, alternately with Hadron (or `--target`).
    #[arg(long, requires_all = ["compare_user", "compare_password"])]
    compare: Option<String>,
    /// The user of `--compare`.
    #[arg(long)]
    compare_user: Option<String>,
    /// The password of `--compare`.
    #[arg(long)]
    compare_password: Option<String>,
    /// The process id of `--compare`.
    #[arg(long)]
    compare_pid: Option<u32>,
    /// The name of `--compare` in tables and file names [default: the
    /// address].
    #[arg(long)]
    compare_name: Option<String>,
    /// Run the criterion micro-benchmarks (`cargo bench --workspace`) instead.
    #[arg(long)]
    micro: bool,
    /// Further arguments: to `cargo bench` with `--micro`, else to
    /// `hadron-bench` (such as `--messages 20000 --repeat 50`).
    #[arg(last = true)]
    extra: Vec<String>,
}

/// Runs `cargo xtask bench`.
pub(crate) fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    if args.micro {
        return exec(cargo().args(["bench", "--workspace"]).args(&args.extra));
    }
    let mut build = cargo();
    build.args(["build", "--release", "-p", "hadron-bench"]);
    if args.target.is_none() {
        build.args(["-p", "hadron-server"]);
    }
    exec(&mut build)?;
    let release = target_dir().join("release");
    let out_dir = target_dir().join("bench");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;

    if args.instances == 0 {
        bail!("--instances must be at least 1");
    }
    let mut servers = Vec::new();
    let (addr, user, password, pid, name) = match &args.target {
        Some(addr) => (
            addr.clone(),
            args.user.clone().unwrap_or_default(),
            args.password.clone().unwrap_or_default(),
            args.server_pid,
            args.name.clone().unwrap_or_else(|| file_name(addr)),
        ),
        None => {
            let options = ServerOptions {
                database: args.database.clone(),
                ..ServerOptions::for_benchmarks()
            };
            let binary = release.join("hadron");
            let started = LocalServer::start(&binary, &out_dir, &options)?;
            let target = (
                started.addr.to_string(),
                options.user.clone(),
                started.password.clone(),
                Some(started.pid()),
                args.name.clone().unwrap_or_else(|| "hadron".to_owned()),
            );
            servers.push(started);
            for _ in 1..args.instances {
                let another = LocalServer::start_another(&binary, &out_dir, &options, &servers[0])?;
                servers.push(another);
            }
            target
        }
    };

    let mut cmd = Command::new(release.join("hadron-bench"));
    cmd.current_dir(workspace_root())
        .args(["--target", &addr, "--user", &user, "--password", &password])
        .args(["--name", &name, "--suite", &args.suite])
        .arg("--out-dir")
        .arg(&out_dir);
    if let Some(pid) = pid {
        cmd.args(["--server-pid", &pid.to_string()]);
    }
    if let Some(first) = servers.first() {
        cmd.args(["--lmtp", &first.lmtp_addr.to_string()]);
    }
    for another in servers.iter().skip(1) {
        cmd.args(["--also", &another.addr.to_string()]);
        cmd.args(["--also-pid", &another.pid().to_string()]);
    }
    for s in &args.scenarios {
        cmd.args(["--scenario", s]);
    }
    if let Some(other) = &args.compare {
        let other_name = args
            .compare_name
            .clone()
            .unwrap_or_else(|| file_name(other));
        cmd.args(["--compare", other, "--compare-name", &other_name]);
        cmd.args([
            "--compare-user",
            args.compare_user.as_deref().unwrap_or_default(),
        ]);
        cmd.args([
            "--compare-password",
            args.compare_password.as_deref().unwrap_or_default(),
        ]);
        if let Some(pid) = args.compare_pid {
            cmd.args(["--compare-pid", &pid.to_string()]);
        }
    }
    cmd.args(&args.extra);
    // The password is on the command line of a local, short-lived process
    // of this user; `exec` would echo it, so run it directly.
    eprintln!(
        "$ hadron-bench --target {addr} --name {name} --suite {} ...",
        args.suite
    );
    let status = cmd.status().context("starting hadron-bench")?;
    for server in servers.into_iter().rev() {
        server.stop()?;
    }
    if !status.success() {
        bail!("hadron-bench failed ({status})");
    }
    Ok(())
}

/// The cargo target directory.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// `127.0.0.1:143` → `127.0.0.1-143`: usable as a file name.
fn file_name(addr: &str) -> String {
    addr.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
