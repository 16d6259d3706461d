//! Connection workers: one thread per core, each a single-threaded tokio
//! runtime with a `LocalSet`, running the connections the listener hands it
//! (round robin).
//!
//! Why not `tokio::spawn` on the multi-threaded runtime: this began because
//! session futures were not `Send`. They are now (`ResponseSink: Send`, a
//! test in hadron-state checks it), so the choice is open again; it stays
//! thread-per-core (a connection never migrates between threads) until a
//! benchmark says the work-stealing runtime does better. Blocking store work
//! still goes to each runtime's blocking pool, and everything shared
//! between sessions (the hub, the store) is thread-safe, so sessions on
//! different workers see each other's changes as usual.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use hadron_proto::framing::FramerLimits;
use hadron_state::engine::Engine;
use hadron_state::session::Session;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};
use tracing::{Instrument, info, info_span, warn};

use crate::connection::Connection;
use crate::guards::CountGuard;
use crate::handler::{Handler, Settings};
use crate::supervisor::supervise;
use crate::tls::Stream;

/// An accepted connection on its way to a worker.
pub(crate) struct Job {
    /// The socket (non-blocking, as tokio left it).
    pub(crate) stream: std::net::TcpStream,
    /// The client's address.
    pub(crate) peer: SocketAddr,
    /// Whether it arrived on the implicit-TLS port.
    pub(crate) implicit_tls: bool,
    /// Its slot under the connection limit, released when it ends.
    pub(crate) permit: OwnedSemaphorePermit,
    /// Its slot under the per-address limit.
    pub(crate) ip_slot: CountGuard<std::net::IpAddr>,
    /// Dropped when the connection ends; shutdown waits for all of them.
    pub(crate) done: mpsc::Sender<()>,
}

/// What every connection needs from the server.
#[derive(Clone)]
pub(crate) struct WorkerContext {
    pub(crate) engine: Arc<Engine>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) framer_limits: FramerLimits,
    pub(crate) stop: watch::Receiver<bool>,
}

/// The worker threads; dropping this lets them finish their connections
/// and exit.
pub(crate) struct Workers {
    queues: Vec<mpsc::UnboundedSender<Job>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    next: usize,
}

impl Workers {
    /// Starts `count` (at least one) worker threads.
    pub(crate) fn start(count: usize, context: &WorkerContext) -> std::io::Result<Workers> {
        let mut queues = Vec::new();
        let mut threads = Vec::new();
        for i in 0..count.max(1) {
            let (tx, rx) = mpsc::unbounded_channel();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let context = context.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("hadron-conn-{i}"))
                    .spawn(move || work(&runtime, rx, &context))?,
            );
            queues.push(tx);
        }
        Ok(Workers {
            queues,
            threads,
            next: 0,
        })
    }

    /// Stops handing out connections; the threads exit once their
    /// connections have ended. Returns them to be joined.
    pub(crate) fn close(self) -> Vec<std::thread::JoinHandle<()>> {
        self.threads
    }

    /// Hands a connection to the next worker.
    pub(crate) fn dispatch(&mut self, job: Job) {
        let i = self.next % self.queues.len();
        self.next = self.next.wrapping_add(1);
        if let Err(e) = self.queues[i].send(job) {
            warn!(peer = %e.0.peer, "connection worker is gone; dropping connection");
        }
    }
}

/// A worker thread: runs connections until the listener stops sending,
/// then until they have all ended.
fn work(
    runtime: &tokio::runtime::Runtime,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    context: &WorkerContext,
) {
    let local = tokio::task::LocalSet::new();
    local.block_on(runtime, async {
        while let Some(job) = jobs.recv().await {
            let span = info_span!("conn", peer = %job.peer, user = tracing::field::Empty);
            tokio::task::spawn_local(connection(job, context.clone()).instrument(span));
        }
    });
    runtime.block_on(local);
}

/// One connection, from hand-over to close.
async fn connection(job: Job, context: WorkerContext) {
    let Job {
        stream,
        implicit_tls,
        peer,
        ip_slot: _ip_slot,
        permit: _permit,
        done: _done,
    } = job;
    let spare = match stream.try_clone() {
        Ok(s) => s,
        Err(e) => return warn!(error = %e, "cannot set up connection"),
    };
    let stream = match TcpStream::from_std(stream) {
        Ok(s) => s,
        Err(e) => return warn!(error = %e, "cannot set up connection"),
    };
    let stream = if implicit_tls {
        let Some(acceptor) = context.settings.tls.clone() else {
            return warn!("implicit TLS connection without a certificate");
        };
        let timeout = context.settings.limits.login_timeout();
        match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
            Ok(Err(e)) => return info!(error = %e, "TLS handshake failed"),
            Err(_) => return info!("TLS handshake timed out"),
        }
    } else {
        Stream::Plain(stream)
    };
    let layered = Arc::new(AtomicBool::new(false));
    let write_timeout = context.settings.limits.write_timeout();
    let conn = Connection::new(
        stream,
        context.framer_limits,
        layered.clone(),
        write_timeout,
    );
    let mut url_hosts = context.settings.url_hosts.clone();
    if let Ok(local) = spare.local_addr() {
        url_hosts.push(match local.ip() {
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        });
    }
    let session = Session::new(context.engine.clone())
        .with_append_limit(Some(context.settings.limits.max_literal))
        .with_url_hosts(url_hosts);
    let handler = Handler::new(conn, session, context.settings, context.stop, peer.ip());
    supervise(handler.run(), spare, &layered).await;
}
