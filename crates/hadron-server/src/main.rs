//! `hadron`: the Hadron IMAP server and its administration commands.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use hadron_server::backend::{open_engine, redact_url};
use hadron_server::config::{Config, LogFormat, TlsConfig};
use hadron_server::listener::{Server, TlsOptions};
use hadron_server::lmtp::LmtpServer;
use hadron_server::tls::{load_acceptor, self_signed};
use hadron_state::engine::Engine;

/// The Hadron IMAP server.
#[derive(Debug, Parser)]
#[command(name = "hadron", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the IMAP server until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Make TLS certificates.
    #[command(subcommand)]
    Cert(CertCmd),
}

#[derive(Debug, Subcommand)]
enum CertCmd {
    /// Write a self-signed certificate and key (PEM) for development.
    SelfSigned {
        /// Certificate file to write.
        #[arg(long, default_value = "hadron-cert.pem")]
        cert: PathBuf,
        /// Private key file to write (mode 0600).
        #[arg(long, default_value = "hadron-key.pem")]
        key: PathBuf,
        /// Host names and IP addresses the certificate is for.
        #[arg(long = "name", default_values = ["localhost", "127.0.0.1"])]
        names: Vec<String>,
    },
}

/// Where the configuration and the data are.
#[derive(Debug, Args)]
struct StorageArgs {
    /// TOML configuration file (see docs/CONFIGURATION.md).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory of the SQLite database and message files [default: ./hadron-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Database URL; `postgres://…` uses PostgreSQL (message bodies in the database).
    #[arg(long)]
    database: Option<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// Address to listen on [default: 127.0.0.1:1143].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Address of the implicit-TLS listener (needs --tls-cert and --tls-key).
    #[arg(long)]
    tls_listen: Option<SocketAddr>,
    /// PEM certificate chain; enables STARTTLS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Address of an LMTP listener for local delivery from an MTA (sets
    /// `[lmtp] listen`; e.g. 127.0.0.1:24).
    #[arg(long)]
    lmtp_listen: Option<SocketAddr>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long)]
    log_json: bool,
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Create a user with the default mailboxes (INBOX, Sent, Drafts, Trash, Junk, Archive).
    Add(UserPasswordArgs),
    /// Set a user's password (sessions already logged in stay logged in).
    Passwd(UserPasswordArgs),
    /// Delete a user with all its mailboxes and messages.
    #[command(alias = "delete")]
    Del(UserNameArgs),
    /// List the users with their mailbox and message counts.
    List(UserListArgs),
    /// Show a user's quota (RFC 9208) with its usage, or change its limits.
    Quota(UserQuotaArgs),
}

/// `user quota NAME [--storage SIZE|none] [--messages N|none]`.
#[derive(Debug, Args)]
struct UserQuotaArgs {
    /// The login name.
    name: String,
    /// The STORAGE limit: a size with a K, M, G or T suffix (powers of 1024;
    /// a plain number is KiB, the unit of RFC 9208), or `none`.
    #[arg(long, value_parser = parse_storage_limit)]
    storage: Option<Limit>,
    /// The MESSAGE limit: a number of messages, or `none`.
    #[arg(long, value_parser = parse_message_limit)]
    messages: Option<Limit>,
    #[command(flatten)]
    storage_options: StorageArgs,
}

/// A quota limit given on the command line: a number, or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limit(Option<u64>);

/// `none`, or a size in KiB with an optional K/M/G/T suffix (powers of 1024,
/// `KiB`/`K`/`KB` alike).
fn parse_storage_limit(s: &str) -> Result<Limit, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    let lower = s.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(digits_end);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("expected a size such as 500M or 10G, or none; got {s:?}"))?;
    let kib_per_unit: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" | "k" => 1,
        "m" => 1 << 10,
        "g" => 1 << 20,
        "t" => 1 << 30,
        _ => return Err(format!("unknown size unit in {s:?} (use K, M, G or T)")),
    };
    n.checked_mul(kib_per_unit)
        .filter(|&kib| kib <= i64::MAX as u64)
        .map(|kib| Limit(Some(kib)))
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// `none`, or a number of messages.
fn parse_message_limit(s: &str) -> Result<Limit, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|&n| n <= i64::MAX as u64)
        .map(|n| Limit(Some(n)))
        .ok_or_else(|| format!("expected a number of messages, or none; got {s:?}"))
}

/// A user name and a new password.
#[derive(Debug, Args)]
struct UserPasswordArgs {
    /// The login name.
    name: String,
    /// The password (visible in the process list; prefer --password-stdin).
    #[arg(
        long,
        conflicts_with = "password_stdin",
        required_unless_present = "password_stdin"
    )]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    storage: StorageArgs,
}

impl UserPasswordArgs {
    /// The password from `--password` or the first line of standard input.
    fn password(&self) -> anyhow::Result<String> {
        let password = match (&self.password, self.password_stdin) {
            (Some(p), _) => p.clone(),
            (None, true) => {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            }
            (None, false) => bail!("give --password or --password-stdin"),
        };
        if password.is_empty() {
            bail!("the password is empty");
        }
        Ok(password)
    }
}

/// Just a user name.
#[derive(Debug, Args)]
struct UserNameArgs {
    /// The login name.
    name: String,
    #[command(flatten)]
    storage: StorageArgs,
}

/// `user list` takes only the storage options.
#[derive(Debug, Args)]
struct UserListArgs {
    #[command(flatten)]
    storage: StorageArgs,
}

impl StorageArgs {
    fn config(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &self.database {
            config.database = Some(url.clone());
        }
        Ok(config)
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown requested");
}

async fn engine(config: &Config) -> anyhow::Result<Arc<Engine>> {
    let config = config.clone();
    let url = redact_url(&config.database_url());
    tokio::task::spawn_blocking(move || open_engine(&config))
        .await?
        .with_context(|| format!("opening {url}"))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = args.storage.config()?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if args.log_json {
        config.log.format = LogFormat::Json;
    }
    if let Some(listen) = args.lmtp_listen {
        config.lmtp.listen = Some(listen);
    }
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        let previous = config.tls.take();
        config.tls = Some(TlsConfig {
            cert,
            key,
            listen: previous.as_ref().and_then(|t| t.listen),
            plaintext_auth: previous.is_some_and(|t| t.plaintext_auth),
        });
    }
    if let Some(listen) = args.tls_listen {
        match config.tls.as_mut() {
            Some(tls) => tls.listen = Some(listen),
            None => bail!("--tls-listen needs a certificate: --tls-cert and --tls-key"),
        }
    }
    init_logging(&config);
    let engine = engine(&config).await?;
    let gc = hadron_server::maintenance::spawn_gc(engine.clone(), config.gc);
    // On PostgreSQL, other instances' changes reach this one's sessions.
    if engine
        .follow_other_instances()
        .context("listening for other instances' changes")?
        .is_some()
    {
        tracing::info!("following changes committed by other instances on the database");
    }
    let tending = hadron_server::maintenance::spawn_index_cache_tending(
        engine.clone(),
        hadron_server::maintenance::INDEX_CACHE_TEND_INTERVAL,
    );
    let indexer = config.search.index_text.then(|| {
        hadron_server::maintenance::spawn_text_indexer(
            engine.clone(),
            hadron_server::maintenance::TEXT_INDEX_BATCH,
            hadron_server::maintenance::TEXT_INDEX_IDLE,
        )
    });
    let lmtp = if config.lmtp.enabled() {
        let lmtp = LmtpServer::bind(&config.lmtp, &config.limits, engine.clone())
            .await
            .with_context(|| {
                format!(
                    "listening for LMTP on {:?} / {:?}",
                    config.lmtp.listen, config.lmtp.socket
                )
            })?;
        tracing::info!(
            listen = ?lmtp.local_addr(),
            socket = ?lmtp.socket_path(),
            "LMTP delivery ready"
        );
        Some(lmtp)
    } else {
        None
    };
    let mut server = Server::bind(config.listen, engine, config.limits)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    if let Some(lmtp) = lmtp {
        server = server.with_lmtp(lmtp);
    }
    if let Some(tls) = &config.tls {
        let acceptor = load_acceptor(&tls.cert, &tls.key)?;
        server = server
            .with_tls(TlsOptions {
                acceptor,
                implicit_listen: tls.listen,
                plaintext_auth: tls.plaintext_auth,
            })
            .await
            .with_context(|| format!("listening for TLS on {:?}", tls.listen))?;
    }
    tracing::info!(
        listen = %server.local_addr()?,
        tls_listen = ?server.tls_local_addr(),
        starttls = config.tls.is_some(),
        database = %redact_url(&config.database_url()),
        "Hadron IMAP server ready"
    );
    server.run(shutdown_signal()).await?;
    tending.abort();
    if let Some(indexer) = indexer {
        indexer.abort();
    }
    if let Some(gc) = gc {
        gc.abort();
    }
    Ok(())
}

async fn user(cmd: UserCmd) -> anyhow::Result<()> {
    match cmd {
        UserCmd::Add(args) => {
            let password = args.password()?;
            let engine = engine(&args.storage.config()?).await?;
            engine
                .create_user(&args.name, &password)
                .await
                .with_context(|| format!("creating user {}", args.name))?;
            println!("user {} created", args.name);
        }
        UserCmd::Passwd(args) => {
            let password = args.password()?;
            let engine = engine(&args.storage.config()?).await?;
            engine
                .set_password(&args.name, &password)
                .await
                .with_context(|| format!("setting the password of user {}", args.name))?;
            println!("password of user {} changed", args.name);
        }
        UserCmd::Del(args) => {
            let engine = engine(&args.storage.config()?).await?;
            let deleted = engine
                .delete_user(&args.name)
                .await
                .with_context(|| format!("deleting user {}", args.name))?;
            println!(
                "user {} deleted with {} mailboxes",
                args.name,
                deleted.mailboxes.len()
            );
        }
        UserCmd::List(args) => {
            let engine = engine(&args.storage.config()?).await?;
            let users = engine.users().await.context("listing users")?;
            print!("{}", user_table(&users));
        }
        UserCmd::Quota(args) => {
            let engine = engine(&args.storage_options.config()?).await?;
            let name = &args.name;
            let read = || async {
                engine
                    .user_quota(name)
                    .await
                    .with_context(|| format!("reading the quota of user {name}"))
            };
            let mut quota = read().await?;
            if args.storage.is_some() || args.messages.is_some() {
                let mut limits = quota.limits;
                if let Some(Limit(l)) = args.storage {
                    limits.storage_kib = l;
                }
                if let Some(Limit(l)) = args.messages {
                    limits.messages = l;
                }
                engine
                    .set_quota_limits(name, limits)
                    .await
                    .with_context(|| format!("setting the quota of user {name}"))?;
                quota = read().await?;
            }
            print!("{}", quota_table(&quota));
        }
    }
    Ok(())
}

/// `user quota` output: each resource with its usage and limit (`none`
/// when unlimited); STORAGE in KiB as RFC 9208 counts it.
fn quota_table(quota: &hadron_store::UserQuota) -> String {
    let limit = |l: Option<u64>| l.map_or_else(|| "none".to_owned(), |n| n.to_string());
    format!(
        "{:<8}  {:>20}  {:>20}\n{:<8}  {:>20}  {:>20}\n{:<8}  {:>20}  {:>20}\n",
        "RESOURCE",
        "USAGE",
        "LIMIT",
        "STORAGE",
        format!("{} KiB", quota.storage_kib()),
        quota
            .limits
            .storage_kib
            .map_or_else(|| "none".to_owned(), |n| format!("{n} KiB")),
        "MESSAGE",
        quota.messages,
        limit(quota.limits.messages),
    )
}

/// `user list` output: a header and one aligned row per user.
fn user_table(users: &[hadron_store::UserInfo]) -> String {
    let width = users
        .iter()
        .map(|u| u.name.chars().count())
        .chain([4])
        .max()
        .unwrap_or(4);
    let mut out = format!(
        "{:<width$}  {:<20}  {:>9}  {:>9}  {:>12}\n",
        "NAME", "CREATED", "MAILBOXES", "MESSAGES", "BYTES"
    );
    for u in users {
        let created = hadron_proto::types::DateTime::from_unix(u.created, 0).map_or_else(
            |_| u.created.to_string(),
            |t| {
                let (d, (h, m, s)) = (t.date(), t.time());
                format!(
                    "{:04}-{:02}-{:02} {h:02}:{m:02}:{s:02}Z",
                    d.year(),
                    d.month(),
                    d.day()
                )
            },
        );
        out.push_str(&format!(
            "{:<width$}  {created:<20}  {:>9}  {:>9}  {:>12}\n",
            u.name, u.mailboxes, u.messages, u.size
        ));
    }
    out
}

fn cert(cmd: CertCmd) -> anyhow::Result<()> {
    match cmd {
        CertCmd::SelfSigned { cert, key, names } => {
            let (cert_pem, key_pem) = self_signed(&names)?;
            std::fs::write(&cert, cert_pem)
                .with_context(|| format!("writing {}", cert.display()))?;
            write_private(&key, key_pem.as_bytes())
                .with_context(|| format!("writing {}", key.display()))?;
            println!(
                "wrote {} and {} for {}",
                cert.display(),
                key.display(),
                names.join(", ")
            );
            Ok(())
        }
    }
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Serve(args) => serve(args).await,
        Cmd::User(cmd) => user(cmd).await,
        Cmd::Cert(cmd) => cert(cmd),
    }
}
