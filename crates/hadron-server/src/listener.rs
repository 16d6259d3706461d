//! The listener: accepts connections, bounds how many run at once with a
//! semaphore, hands each to a connection worker (`workers.rs`)
//! that runs its handler under a supervisor containing panics
//! (`supervisor.rs`), and shuts down gracefully.
//!
//! Shutdown: the listener stops accepting, flips a `watch` flag every
//! handler selects on while it waits for client input (never in the middle
//! of a command, so in-flight commands finish and their responses are
//! written), each handler sends `* BYE` and closes, and the listener waits
//! for them (mini-redis's "every connection holds a sender" trick) for up
//! to [`SHUTDOWN_GRACE`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hadron_proto::framing::FramerLimits;
use hadron_proto::types::Code;
use hadron_state::engine::Engine;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::{info, warn};

use crate::config::Limits;
use crate::guards::Counter;
use crate::handler::{Settings, bye};
use crate::workers::{Job, WorkerContext, Workers};

/// How long shutdown waits for connections to finish their command and
/// say BYE before they are abandoned.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A bound IMAP listener, ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    tls_listener: Option<TcpListener>,
    engine: Arc<Engine>,
    settings: Settings,
    lmtp: Option<crate::lmtp::LmtpServer>,
}

/// The logged-in IMAP sessions of a [`Server`] (one per successful LOGIN
/// or AUTHENTICATE, until its connection ends), readable while it runs:
/// see [`Server::session_count`].
#[derive(Debug, Clone)]
pub struct SessionCount(Arc<Counter<String>>);

impl SessionCount {
    /// How many sessions are logged in now.
    pub fn logged_in(&self) -> usize {
        self.0.total()
    }
}

/// TLS for [`Server::with_tls`].
#[derive(Clone)]
pub struct TlsOptions {
    /// The certificate and key (see [`crate::tls::load_acceptor`]).
    pub acceptor: tokio_rustls::TlsAcceptor,
    /// A second port where connections are TLS from the first byte.
    pub implicit_listen: Option<SocketAddr>,
    /// Whether LOGIN / AUTHENTICATE are allowed before STARTTLS (if not,
    /// `LOGINDISABLED` is advertised until TLS is up).
    pub plaintext_auth: bool,
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("implicit_listen", &self.implicit_listen)
            .field("plaintext_auth", &self.plaintext_auth)
            .finish_non_exhaustive()
    }
}

/// Binds a listening socket whose accept queue holds a burst of `backlog`
/// connections (the kernel caps it at `net.core.somaxconn`).
///
/// `TcpListener::bind` asks for 128. When more clients than that connect at
/// once, Linux drops the final handshake packet of those that do not fit
/// and, if the queue stays full through the SYN-ACK retries, forgets them:
/// the client believes it is connected and waits for a greeting that never
/// comes. So the queue is sized for every connection the server accepts
/// (`max_connections`).
fn listen(addr: SocketAddr, backlog: usize) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restarted server can rebind at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(u32::try_from(backlog).unwrap_or(u32::MAX).max(128))
}

impl Server {
    /// Binds `addr` (port 0 picks a free port; see
    /// [`local_addr`](Server::local_addr)).
    pub async fn bind(
        addr: SocketAddr,
        engine: Arc<Engine>,
        limits: Limits,
    ) -> std::io::Result<Server> {
        let listener = listen(addr, limits.max_connections)?;
        Ok(Server {
            listener,
            tls_listener: None,
            settings: Settings::for_engine(limits, &engine),
            engine,
            lmtp: None,
        })
    }

    /// Offers STARTTLS on the plain port and, with
    /// [`TlsOptions::implicit_listen`], binds the implicit-TLS port.
    pub async fn with_tls(mut self, tls: TlsOptions) -> std::io::Result<Server> {
        if let Some(addr) = tls.implicit_listen {
            self.tls_listener = Some(listen(addr, self.settings.limits.max_connections)?);
        }
        self.settings.tls = Some(tls.acceptor);
        self.settings.plaintext_auth = tls.plaintext_auth;
        Ok(self)
    }

    /// Offers UNAUTHENTICATE (RFC 8437) or not (`[auth] unauthenticate`;
    /// offered unless turned off).
    pub fn with_unauthenticate(mut self, offered: bool) -> Server {
        self.settings.unauthenticate = offered;
        self
    }

    /// Also serves local delivery over LMTP: `lmtp` runs with this server
    /// and shuts down with it.
    pub fn with_lmtp(mut self, lmtp: crate::lmtp::LmtpServer) -> Server {
        self.lmtp = Some(lmtp);
        self
    }

    /// The LMTP listener's TCP address, if LMTP is served over TCP.
    pub fn lmtp_local_addr(&self) -> Option<SocketAddr> {
        self.lmtp
            .as_ref()
            .and_then(crate::lmtp::LmtpServer::local_addr)
    }

    /// A handle on the number of logged-in sessions, for reports made while
    /// the server runs (`hadron stats`).
    pub fn session_count(&self) -> SessionCount {
        SessionCount(self.settings.per_user.clone())
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The address of the implicit-TLS listener, if there is one.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.tls_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` completes, then says BYE to every
    /// connection (`421` to LMTP clients waiting for a command) and waits
    /// for them (at most [`SHUTDOWN_GRACE`]).
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let Server {
            listener,
            tls_listener,
            engine,
            settings,
            lmtp,
        } = self;
        let settings = Arc::new(settings);
        let limits = settings.limits;
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        let per_ip = Counter::new(limits.max_connections_per_ip);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
        let framer_limits = FramerLimits {
            max_line: limits.max_line,
            max_sync_literal: limits.max_literal,
            max_non_sync_literal: limits.max_literal,
            max_frame: limits.max_literal.saturating_add(1 << 20),
            ..FramerLimits::default()
        };
        // LMTP connections run on this runtime (they are few, and each
        // delivery is mostly the store's work); shutdown waits for them
        // as for IMAP's.
        let lmtp = lmtp.map(|l| tokio::spawn(l.serve(stop_rx.clone(), done_tx.clone())));
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        let mut workers = Workers::start(
            threads,
            &WorkerContext {
                engine,
                settings,
                framer_limits,
                stop: stop_rx,
            },
        )?;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                (accepted, implicit_tls) = accept(&listener, tls_listener.as_ref()) => {
                    let (stream, peer) = match accepted {
                        Ok((stream, peer)) => {
                            // Output is buffered and written in whole
                            // responses: Nagle's algorithm would only hold
                            // a tagged OK back until the client's delayed
                            // ACK (~40 ms per APPEND with a literal).
                            if let Err(e) = stream.set_nodelay(true) {
                                warn!(%peer, error = %e, "cannot set TCP_NODELAY");
                            }
                            (stream, peer)
                        }
                        Err(e) => {
                            // Out of file descriptors and the like: back off
                            // instead of spinning.
                            warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        warn!(%peer, "connection limit reached; refusing");
                        tokio::spawn(refuse(stream, "too many connections; try again later"));
                        continue;
                    };
                    let Some(ip_slot) = per_ip.try_acquire(peer.ip()) else {
                        warn!(%peer, "per-address connection limit reached; refusing");
                        tokio::spawn(refuse(stream, "too many connections from your address"));
                        continue;
                    };
                    match stream.into_std() {
                        Ok(stream) => workers.dispatch(Job {
                            stream,
                            peer,
                            implicit_tls,
                            permit,
                            ip_slot,
                            done: done_tx.clone(),
                        }),
                        Err(e) => warn!(%peer, error = %e, "cannot hand over connection"),
                    }
                }
            }
        }
        drop(listener);
        drop(tls_listener);
        info!("shutting down: saying BYE to every connection");
        let _ = stop_tx.send(true);
        if let Some(lmtp) = lmtp {
            let _ = lmtp.await;
        }
        let threads = workers.close();
        drop(done_tx);
        if tokio::time::timeout(SHUTDOWN_GRACE, done_rx.recv())
            .await
            .is_err()
        {
            warn!("connections did not finish in time; abandoning them");
        } else {
            // Every connection has ended: the workers exit, dropping their
            // handles on the engine, so that the store closes cleanly
            // when its last owner lets go.
            let _ = tokio::task::spawn_blocking(move || {
                for t in threads {
                    let _ = t.join();
                }
            })
            .await;
        }
        info!("server stopped");
        Ok(())
    }
}

/// The next connection from either listener, and whether it came from
/// the implicit-TLS one.
async fn accept(
    plain: &TcpListener,
    tls: Option<&TcpListener>,
) -> (std::io::Result<(TcpStream, SocketAddr)>, bool) {
    match tls {
        None => (plain.accept().await, false),
        Some(tls) => tokio::select! {
            a = plain.accept() => (a, false),
            a = tls.accept() => (a, true),
        },
    }
}

/// Greets a connection over the limit with `* BYE` and closes it.
async fn refuse(mut stream: TcpStream, why: &'static str) {
    let mut out = Vec::new();
    hadron_proto::encode::response(&bye(Some(Code::Unavailable), why), &mut out);
    let _ = stream.write_all(&out).await;
    let _ = stream.shutdown().await;
}
