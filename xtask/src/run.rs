//! `cargo xtask run`: build the `hadron` server and start it for a newcomer.
//!
//! On first run it creates the data directory and a demo user with a
//! random password (kept in `DATA_DIR/demo-credentials.txt` so later runs
//! can print it again), then prints where to point a mail client.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::process::{cargo, exec, workspace_root};

/// Arguments of `cargo xtask run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:1143")]
    pub(crate) listen: SocketAddr,
    /// Data directory (SQLite database and message files).
    #[arg(long, default_value = "hadron-data")]
    pub(crate) data_dir: PathBuf,
    /// Build and run the unoptimised debug build (for development; the
    /// default is the release build, which is what users and benchmarks
    /// should see).
    #[arg(long)]
    pub(crate) debug: bool,
}

/// The demo account created on first run.
const DEMO_USER: &str = "demo";
const CREDENTIALS: &str = "demo-credentials.txt";

/// Runs `cargo xtask run`.
pub(crate) fn run(args: &RunArgs) -> anyhow::Result<()> {
    let mut build = cargo();
    build.args(["build", "-p", "hadron-server", "--bin", "hadron"]);
    if !args.debug {
        build.arg("--release");
    }
    exec(&mut build)?;
    let profile = if args.debug { "debug" } else { "release" };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let binary = target.join(profile).join("hadron");
    let data_dir = if args.data_dir.is_absolute() {
        args.data_dir.clone()
    } else {
        workspace_root().join(&args.data_dir)
    };
    let password = demo_password(&binary, &data_dir)?;
    println!();
    println!("Hadron IMAP server");
    println!("  host:     {}", args.listen.ip());
    println!("  port:     {}  (plain IMAP, no TLS)", args.listen.port());
    println!("  user:     {DEMO_USER}");
    println!("  password: {password}");
    println!("  data:     {}", data_dir.display());
    println!("Stop it with Ctrl-C.");
    println!();
    exec(
        Command::new(&binary)
            .arg("serve")
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--listen")
            .arg(args.listen.to_string()),
    )
}

/// The demo user's password: read from the credentials file, or created
/// (with the user) on first run.
fn demo_password(binary: &Path, data_dir: &Path) -> anyhow::Result<String> {
    let file = data_dir.join(CREDENTIALS);
    if let Ok(text) = std::fs::read_to_string(&file)
        && let Some(password) = text.lines().find_map(|l| l.strip_prefix("password: "))
    {
        return Ok(password.to_owned());
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let password = random_password()?;
    let mut add = Command::new(binary);
    add.args(["user", "add", DEMO_USER, "--password-stdin", "--data-dir"])
        .arg(data_dir);
    if !with_password(&mut add, &password)? {
        bail!(
            "could not create the demo user; if {} holds an older demo account, remove the directory",
            data_dir.display()
        );
    }
    std::fs::write(&file, format!("user: {DEMO_USER}\npassword: {password}\n"))
        .with_context(|| format!("writing {}", file.display()))?;
    Ok(password)
}

/// Runs `cmd` (a `hadron user add|passwd … --password-stdin`) with `password` on its
/// standard input; whether it succeeded.
pub(crate) fn with_password(cmd: &mut Command, password: &str) -> anyhow::Result<bool> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .spawn()
        .context("starting hadron user")?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{password}")?;
    }
    Ok(child.wait()?.success())
}

/// 16 random letters and digits from the operating system's generator.
pub(crate) fn random_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .context("reading /dev/urandom")?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}
