//! `hadron serve`: the IMAP server (with its LMTP listener and background
//! jobs) until SIGINT or SIGTERM.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use hadron_server::backend::redact_url;
use hadron_server::config::{Config, LogFormat, TlsConfig};
use hadron_server::listener::{Server, TlsOptions};
use hadron_server::lmtp::LmtpServer;
use hadron_server::maintenance::{HEARTBEAT_INTERVAL, Registration};
use hadron_server::tls::load_acceptor;

use crate::storage::{StorageArgs, server_engine};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
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

/// Runs the server until a shutdown signal.
pub(crate) async fn serve(args: ServeArgs) -> anyhow::Result<()> {
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
    let engine = server_engine(&config).await?;
    let gc = hadron_server::maintenance::spawn_gc(engine.clone(), config.gc);
    // Other instances' changes (PostgreSQL), and those of administration
    // commands and imports in other processes (SQLite), reach this one's
    // sessions.
    if engine
        .follow_other_instances()
        .context("listening for other processes' changes")?
        .is_some()
    {
        tracing::info!("following changes committed by other processes on the database");
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
    let store = engine.store().clone();
    let mut server = Server::bind(config.listen, engine, config.limits)
        .await
        .with_context(|| format!("listening on {}", config.listen))?
        .with_unauthenticate(config.auth.unauthenticate);
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
    // Registered for `hadron stats`: the heartbeat carries the session count.
    let registration = Registration::register(store)
        .await
        .context("registering the server on the database")?;
    let heartbeat = registration.spawn_heartbeat(server.session_count(), HEARTBEAT_INTERVAL);
    tracing::info!(
        listen = %server.local_addr()?,
        tls_listen = ?server.tls_local_addr(),
        starttls = config.tls.is_some(),
        database = %redact_url(&config.database_url()),
        "Hadron IMAP server ready"
    );
    let served = server.run(shutdown_signal()).await;
    heartbeat.abort();
    if let Err(e) = registration.remove().await {
        tracing::warn!(error = %e, "removing the server's registration failed");
    }
    served?;
    tending.abort();
    if let Some(indexer) = indexer {
        indexer.abort();
    }
    if let Some(gc) = gc {
        gc.abort();
    }
    Ok(())
}
