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
    /// A `postgres://` URL: keep the mailboxes there instead of SQLite in
    /// the data directory (which still holds the message files unless the
    /// server's configuration says otherwise).
    #[arg(long)]
    pub(crate) database: Option<String>,
    /// Start this many instances on consecutive ports from `--listen`, all
    /// on the one `--database`: a cluster on one machine, to try a client
    /// on each (they see each other's changes).
    #[arg(long, default_value_t = 1)]
    pub(crate) instances: u16,
}

/// The demo account created on first run.
const DEMO_USER: &str = "demo";
const CREDENTIALS: &str = "demo-credentials.txt";

/// Runs `cargo xtask run`.
pub(crate) fn run(args: &RunArgs) -> anyhow::Result<()> {
    let addrs = instance_addrs(args.listen, args.instances, args.database.is_some())?;
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
    let storage = |cmd: &mut Command| {
        cmd.arg("--data-dir").arg(&data_dir);
        if let Some(url) = &args.database {
            cmd.args(["--database", url]);
        }
    };
    let password = demo_password(&binary, &data_dir, &storage)?;
    println!();
    println!("Hadron IMAP server");
    println!("  host:     {}", args.listen.ip());
    let ports: Vec<String> = addrs.iter().map(|a| a.port().to_string()).collect();
    let port_label = if ports.len() == 1 { "port: " } else { "ports:" };
    println!(
        "  {port_label}    {}  (plain IMAP, no TLS)",
        ports.join(", ")
    );
    println!("  user:     {DEMO_USER}");
    println!("  password: {password}");
    println!("  data:     {}", data_dir.display());
    if args.database.is_some() {
        println!("  database: PostgreSQL (--database)");
    }
    println!("Stop it with Ctrl-C.");
    println!();
    if let [addr] = addrs.as_slice() {
        let mut serve = Command::new(&binary);
        serve.arg("serve");
        storage(&mut serve);
        return exec(serve.arg("--listen").arg(addr.to_string()));
    }
    // Ctrl-C reaches every instance (one process group); wait for them all.
    let mut children = Vec::new();
    for addr in &addrs {
        let mut serve = Command::new(&binary);
        serve.arg("serve");
        storage(&mut serve);
        serve.arg("--listen").arg(addr.to_string());
        children.push((addr, serve.spawn().context("starting hadron serve")?));
    }
    let mut failed = Vec::new();
    for (addr, mut child) in children {
        let status = child.wait()?;
        if !status.success() {
            failed.push(format!("{addr}: {status}"));
        }
    }
    if !failed.is_empty() {
        bail!("instances failed: {}", failed.join("; "));
    }
    Ok(())
}

/// The addresses of `n` instances: `listen`'s port and the ones after it.
/// More than one needs a PostgreSQL database (SQLite is one process's).
fn instance_addrs(listen: SocketAddr, n: u16, postgres: bool) -> anyhow::Result<Vec<SocketAddr>> {
    if n == 0 {
        bail!("--instances must be at least 1");
    }
    if n > 1 && !postgres {
        bail!("several instances share a PostgreSQL database: pass --database postgres://…");
    }
    (0..n)
        .map(|i| {
            let port = listen
                .port()
                .checked_add(i)
                .context("--instances runs past port 65535")?;
            Ok(SocketAddr::new(listen.ip(), port))
        })
        .collect()
}

/// The demo user's password: read from the credentials file, or created
/// (with the user) on first run.
fn demo_password(
    binary: &Path,
    data_dir: &Path,
    storage: &dyn Fn(&mut Command),
) -> anyhow::Result<String> {
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
    add.args(["user", "add", DEMO_USER, "--password-stdin"]);
    storage(&mut add);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_take_consecutive_ports_on_postgres_only() {
        let listen: SocketAddr = "127.0.0.1:1143".parse().unwrap();
        let ports = |n, pg| {
            instance_addrs(listen, n, pg)
                .map(|a| a.iter().map(SocketAddr::port).collect::<Vec<_>>())
        };
        assert_eq!(ports(1, false).unwrap(), [1143]);
        assert_eq!(ports(3, true).unwrap(), [1143, 1144, 1145]);
        assert!(
            ports(2, false)
                .unwrap_err()
                .to_string()
                .contains("PostgreSQL")
        );
        assert!(ports(0, true).is_err());
        let high: SocketAddr = "127.0.0.1:65535".parse().unwrap();
        assert!(instance_addrs(high, 2, true).is_err());
    }
}
