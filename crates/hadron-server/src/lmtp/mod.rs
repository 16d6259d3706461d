//! Local delivery over LMTP (RFC 2033): how an MTA (Postfix, Exim,
//! OpenSMTPD) hands mail to Hadron. Configured by the `[lmtp]` section
//! ([`LmtpConfig`]); run beside the IMAP listener by
//! [`Server::with_lmtp`](crate::Server::with_lmtp), or alone with
//! [`LmtpServer::run`].
//!
//! - this file: the listener — TCP and/or a Unix socket, an accept loop
//!   bounded by a semaphore, one task per connection (a panic ends only
//!   its connection), graceful shutdown (`421` to connections waiting for
//!   a command, deliveries in progress finish).
//! - `wire`: command lines, message data (dot-unstuffing, `BDAT` chunks),
//!   replies; bounded memory whatever the client sends.
//! - `command`: parsing commands and paths; recipient address → user names
//!   and detail.
//! - `session`: one conversation's state machine.
//! - `deliver`: recipient lookup and delivery through the engine's APPEND,
//!   so a delivered message is durable before `250` and IDLE clients see
//!   it at once.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hadron_state::engine::Engine;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::{Instrument, error, info, info_span, warn};

use crate::config::{Limits, LmtpConfig};

mod command;
mod deliver;
mod session;
mod wire;

use session::{Conversation, Settings};

/// A bound LMTP listener (TCP, a Unix socket, or both), ready to run.
#[derive(Debug)]
pub struct LmtpServer {
    tcp: Option<TcpListener>,
    #[cfg(unix)]
    unix: Option<UnixSocket>,
    engine: Arc<Engine>,
    settings: Arc<Settings>,
    max_connections: usize,
}

/// A bound Unix socket, removed when dropped.
#[cfg(unix)]
#[derive(Debug)]
struct UnixSocket {
    listener: tokio::net::UnixListener,
    path: PathBuf,
}

#[cfg(unix)]
impl Drop for UnixSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A connection from either listener.
enum Accepted {
    Tcp(TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

impl LmtpServer {
    /// Binds the listeners `config` names (`listen`, `socket`; at least
    /// one must be set). Message sizes default to `limits.max_literal`,
    /// the write timeout is `limits.write_timeout_secs`.
    pub async fn bind(
        config: &LmtpConfig,
        limits: &Limits,
        engine: Arc<Engine>,
    ) -> std::io::Result<LmtpServer> {
        if !config.enabled() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "LMTP needs lmtp.listen or lmtp.socket",
            ));
        }
        let tcp = match config.listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        #[cfg(unix)]
        let unix = match &config.socket {
            Some(path) => Some(bind_unix(path, config.socket_mode)?),
            None => None,
        };
        #[cfg(not(unix))]
        if config.socket.is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "Unix sockets need a Unix system",
            ));
        }
        let settings = Settings {
            hostname: config.hostname.clone().unwrap_or_else(hostname),
            max_size: config.max_message_size.unwrap_or(limits.max_literal),
            max_recipients: config.max_recipients,
            delimiters: config.detail_delimiter.clone(),
            timeout: Duration::from_secs(config.timeout_secs),
            write_timeout: limits.write_timeout(),
        };
        Ok(LmtpServer {
            tcp,
            #[cfg(unix)]
            unix,
            engine,
            settings: Arc::new(settings),
            max_connections: config.max_connections,
        })
    }

    /// The TCP listener's address (port 0 in the configuration picks a
    /// free port), if there is one.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The Unix socket's path, if there is one.
    pub fn socket_path(&self) -> Option<&Path> {
        #[cfg(unix)]
        return self.unix.as_ref().map(|u| u.path.as_path());
        #[cfg(not(unix))]
        None
    }

    /// Serves until `shutdown` completes, then tells connections waiting
    /// for a command `421` and waits for them (at most
    /// [`crate::listener::SHUTDOWN_GRACE`]). Used alone; beside IMAP,
    /// [`Server::run`](crate::Server::run) runs it.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
        let serving = tokio::spawn(self.serve(stop_rx, done_tx));
        shutdown.await;
        let _ = stop_tx.send(true);
        let _ = serving.await;
        let grace = crate::listener::SHUTDOWN_GRACE;
        if tokio::time::timeout(grace, done_rx.recv()).await.is_err() {
            warn!("LMTP connections did not finish in time; abandoning them");
        }
        Ok(())
    }

    /// The accept loop, until `stop` turns true. Every connection task
    /// holds a clone of `done`, so whoever holds its receiver can wait
    /// for them all.
    pub(crate) async fn serve(self, mut stop: watch::Receiver<bool>, done: mpsc::Sender<()>) {
        let permits = Arc::new(Semaphore::new(self.max_connections));
        loop {
            let accepted = tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                a = self.accept() => a,
            };
            let (stream, peer) = match accepted {
                Ok(Accepted::Tcp(stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    (Accepted::Tcp(stream, peer), peer.to_string())
                }
                #[cfg(unix)]
                Ok(a @ Accepted::Unix(_)) => (a, "unix".to_owned()),
                Err(e) => {
                    warn!(error = %e, "LMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                warn!(%peer, "LMTP connection limit reached; refusing");
                tokio::spawn(refuse(stream, self.settings.hostname.clone()));
                continue;
            };
            let span = info_span!("lmtp", %peer);
            let (engine, settings) = (self.engine.clone(), self.settings.clone());
            let conversation = converse(stream, engine, settings, stop.clone());
            let task = tokio::spawn(conversation.instrument(span.clone()));
            let done = done.clone();
            tokio::spawn(
                async move {
                    let _held = (permit, done);
                    match task.await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => info!(error = %e, "LMTP connection ended with an I/O error"),
                        Err(e) if e.is_panic() => {
                            error!("LMTP connection handler panicked; connection closed");
                        }
                        Err(e) => info!(error = %e, "LMTP connection task cancelled"),
                    }
                }
                .instrument(span),
            );
        }
        info!("LMTP listener stopped");
    }

    /// The next connection from either listener.
    async fn accept(&self) -> std::io::Result<Accepted> {
        let tcp = async {
            match &self.tcp {
                Some(l) => l.accept().await.map(|(s, a)| Accepted::Tcp(s, a)),
                None => std::future::pending().await,
            }
        };
        #[cfg(unix)]
        let unix = async {
            match &self.unix {
                Some(u) => u.listener.accept().await.map(|(s, _)| Accepted::Unix(s)),
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let unix = std::future::pending();
        tokio::select! {
            a = tcp => a,
            a = unix => a,
        }
    }
}

/// Runs one conversation over either kind of socket.
async fn converse(
    stream: Accepted,
    engine: Arc<Engine>,
    settings: Arc<Settings>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    match stream {
        Accepted::Tcp(s, _) => Conversation::new(s, engine, settings, stop).run().await,
        #[cfg(unix)]
        Accepted::Unix(s) => Conversation::new(s, engine, settings, stop).run().await,
    }
}

/// Tells a connection over the limit `421` and closes it.
async fn refuse(stream: Accepted, hostname: String) {
    let line = format!("421 4.3.2 {hostname} Too many connections; try again later\r\n");
    match stream {
        Accepted::Tcp(mut s, _) => {
            let _ = s.write_all(line.as_bytes()).await;
            let _ = s.shutdown().await;
        }
        #[cfg(unix)]
        Accepted::Unix(mut s) => {
            let _ = s.write_all(line.as_bytes()).await;
            let _ = s.shutdown().await;
        }
    }
}

/// Binds a Unix socket at `path` with permissions `mode`. A socket file
/// left by a server that is gone is replaced; one a live server listens on
/// is not, nor is any other kind of file.
#[cfg(unix)]
fn bind_unix(path: &Path, mode: u32) -> std::io::Result<UnixSocket> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("another server listens on {}", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    let socket = UnixSocket {
        listener,
        path: path.to_owned(),
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(socket)
}

/// The machine's host name, for the greeting: the kernel's on Linux, else
/// `localhost`.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .unwrap_or_else(|| "localhost".to_owned())
}
