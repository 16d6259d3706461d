//! `hadron`: the Hadron IMAP server and its administration commands.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use hadron_server::backend::{open_engine, redact_url};
use hadron_server::config::{Config, LogFormat};
use hadron_server::listener::Server;
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
    /// Log as JSON lines instead of human-readable text.
    #[arg(long)]
    log_json: bool,
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Create a user with the default mailboxes (INBOX, Sent, Drafts, Trash, Junk, Archive).
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
struct UserAddArgs {
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
    init_logging(&config);
    let engine = engine(&config).await?;
    let server = Server::bind(config.listen, engine, config.limits)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(
        listen = %server.local_addr()?,
        database = %redact_url(&config.database_url()),
        "Hadron IMAP server ready"
    );
    server.run(shutdown_signal()).await?;
    Ok(())
}

async fn user(cmd: UserCmd) -> anyhow::Result<()> {
    match cmd {
        UserCmd::Add(args) => {
            let password = match (args.password, args.password_stdin) {
                (Some(p), _) => p,
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
            let config = args.storage.config()?;
            let engine = engine(&config).await?;
            engine
                .create_user(&args.name, &password)
                .await
                .with_context(|| format!("creating user {}", args.name))?;
            println!("user {} created", args.name);
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Serve(args) => serve(args).await,
        Cmd::User(cmd) => user(cmd).await,
    }
}
