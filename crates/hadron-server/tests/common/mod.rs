//! The black-box harness: a Hadron server on 127.0.0.1 (ephemeral port,
//! temporary data dir; SQLite, or PostgreSQL in a database created and
//! dropped per test when `HADRON_TEST_PG` is set), and scripted clients
//! that send raw lines and expect responses exactly or by pattern, in the
//! style of Dovecot's imaptest scripts.
//!
//! Patterns: `%` matches any run of characters (possibly empty); every
//! other character matches itself.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod binary;
pub mod deflate;
pub mod ports;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hadron_server::Server;
use hadron_server::backend::open_engine;
use hadron_server::config::{Config, Limits, LmtpConfig};
use hadron_state::engine::Engine;
use hadron_store::testing::PgTestDatabase;
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadHalf,
    WriteHalf,
};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// A client's socket: TCP or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How long a test waits for a response before failing.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Which database a test server uses.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The database created for the test (dropped with the last clone).
    Postgres(Arc<PgTestDatabase>),
    /// Two instances on the test's PostgreSQL database, each following
    /// the other's changes: clients connect to them in turn.
    TwoInstances(Arc<PgTestDatabase>),
}

impl Backend {
    /// A fresh PostgreSQL database, or `None` (with a printed reason)
    /// without `HADRON_TEST_PG`.
    pub fn postgres() -> Option<Backend> {
        PgTestDatabase::create("hadron_server_test").map(|db| Backend::Postgres(Arc::new(db)))
    }

    /// [`Backend::TwoInstances`] on a fresh database, or `None` without
    /// `HADRON_TEST_PG`.
    pub fn two_instances() -> Option<Backend> {
        PgTestDatabase::create("hadron_server_test").map(|db| Backend::TwoInstances(Arc::new(db)))
    }
}

/// A running server; stopped (and its PostgreSQL database dropped) on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The implicit-TLS port, when started with TLS.
    pub tls_addr: Option<SocketAddr>,
    /// A client TLS config trusting the server's certificate.
    pub tls_client: Option<Arc<rustls::ClientConfig>>,
    /// The LMTP listener's TCP address, when started with LMTP.
    pub lmtp_addr: Option<SocketAddr>,
    /// The LMTP listener's Unix socket, when its configuration named one.
    pub lmtp_socket: Option<std::path::PathBuf>,
    pub engine: Arc<Engine>,
    /// The server's count of logged-in sessions.
    pub sessions: hadron_server::listener::SessionCount,
    /// Further instances on the same database ([`Backend::TwoInstances`]).
    pub others: Vec<TestServer>,
    /// How many clients [`TestServer::connect`] made (it takes the
    /// instances in turn).
    connected: std::sync::atomic::AtomicUsize,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    dir: tempfile::TempDir,
    backend: Backend,
}

impl TestServer {
    /// A server with default limits and users `alice` and `bob` (password
    /// `secret`).
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::start_with(backend, Limits::default()).await
    }

    pub async fn start_with(backend: Backend, limits: Limits) -> TestServer {
        TestServer::start_full(backend, limits, None).await
    }

    /// A server with STARTTLS and an implicit-TLS port, with a fresh
    /// self-signed certificate for `localhost`.
    pub async fn start_tls(backend: Backend, plaintext_auth: bool) -> TestServer {
        TestServer::start_full(backend, Limits::default(), Some(plaintext_auth)).await
    }

    /// A server with default limits, users `alice` and `bob`, and an LMTP
    /// listener configured by `lmtp`, its TCP side on 127.0.0.1 port 0 (a
    /// relative `socket` path is taken inside the server's directory). On
    /// two instances, the first serves LMTP.
    pub async fn start_lmtp(backend: Backend, lmtp: LmtpConfig) -> TestServer {
        TestServer::start_full_lmtp(backend, Limits::default(), None, Some(lmtp)).await
    }

    async fn start_full(backend: Backend, limits: Limits, tls: Option<bool>) -> TestServer {
        TestServer::start_full_lmtp(backend, limits, tls, None).await
    }

    async fn start_full_lmtp(
        backend: Backend,
        limits: Limits,
        tls: Option<bool>,
        lmtp: Option<LmtpConfig>,
    ) -> TestServer {
        let Backend::TwoInstances(db) = backend else {
            return TestServer::start_instance(backend, limits, tls, true, lmtp).await;
        };
        let pg = Backend::Postgres(db);
        let mut first = TestServer::start_instance(pg.clone(), limits, tls, true, lmtp).await;
        let second = TestServer::start_instance(pg, limits, None, false, None).await;
        for engine in [&first.engine, &second.engine] {
            engine
                .follow_other_instances()
                .expect("listening to the database")
                .expect("a change feed on PostgreSQL");
        }
        first.others.push(second);
        first
    }

    /// A server on `backend`; creates the users when `users` (the first
    /// instance on a database).
    async fn start_instance(
        backend: Backend,
        limits: Limits,
        tls: Option<bool>,
        users: bool,
        lmtp: Option<LmtpConfig>,
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            database: match &backend {
                Backend::Sqlite => None,
                Backend::Postgres(db) | Backend::TwoInstances(db) => Some(db.url().to_owned()),
            },
            limits,
            ..Config::default()
        };
        let engine = tokio::task::spawn_blocking(move || open_engine(&config))
            .await
            .unwrap()
            .expect("open storage");
        for user in ["alice", "bob"].into_iter().filter(|_| users) {
            engine
                .create_user(user, "secret")
                .await
                .expect("create user");
        }
        let mut server = Server::bind("127.0.0.1:0".parse().unwrap(), engine.clone(), limits)
            .await
            .expect("bind");
        let mut tls_client = None;
        if let Some(plaintext_auth) = tls {
            let (cert, key) = hadron_server::tls::self_signed(&["localhost".to_owned()]).unwrap();
            let (c, k) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            std::fs::write(&c, &cert).unwrap();
            std::fs::write(&k, &key).unwrap();
            let acceptor = hadron_server::tls::load_acceptor(&c, &k).unwrap();
            server = server
                .with_tls(hadron_server::TlsOptions {
                    acceptor,
                    implicit_listen: Some("127.0.0.1:0".parse().unwrap()),
                    plaintext_auth,
                })
                .await
                .unwrap();
            tls_client = Some(client_config(&cert));
        }
        let mut lmtp_socket = None;
        if let Some(mut lmtp) = lmtp {
            lmtp.listen = Some("127.0.0.1:0".parse().unwrap());
            lmtp.socket = lmtp.socket.map(|name| dir.path().join(name));
            lmtp_socket = lmtp.socket.clone();
            let bound = hadron_server::lmtp::LmtpServer::bind(&lmtp, &limits, engine.clone())
                .await
                .expect("bind LMTP");
            server = server.with_lmtp(bound);
        }
        let addr = server.local_addr().unwrap();
        let tls_addr = server.tls_local_addr();
        let lmtp_addr = server.lmtp_local_addr();
        let sessions = server.session_count();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            tls_addr,
            tls_client,
            lmtp_addr,
            lmtp_socket,
            engine,
            sessions,
            others: Vec::new(),
            connected: std::sync::atomic::AtomicUsize::new(0),
            stop: Some(stop),
            task: Some(task),
            dir,
            backend,
        }
    }

    /// A connected client that has read the greeting.
    /// A connected client (greeting read), of each instance in turn.
    pub async fn connect(&self) -> Client {
        let n = self
            .connected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let addr = match n % (1 + self.others.len()) {
            0 => self.addr,
            i => self.others[i - 1].addr,
        };
        let mut c = Client::connect(addr).await;
        c.expect(&["* OK [CAPABILITY %] Hadron ready"]).await;
        c
    }

    /// A connected client whose greeting's capability list matches `caps`.
    pub async fn connect_expecting(&self, caps: &str) -> Client {
        let mut c = Client::connect(self.addr).await;
        c.expect(&[&format!("* OK [CAPABILITY {caps}] Hadron ready")])
            .await;
        c
    }

    /// A client logged in as `user`.
    pub async fn login(&self, user: &str) -> Client {
        let mut c = self.connect().await;
        c.cmd_ok(&format!("L LOGIN {user} secret")).await;
        c
    }

    /// A client logged in as alice with INBOX selected.
    pub async fn select_inbox(&self) -> Client {
        let mut c = self.login("alice").await;
        c.cmd_ok("S SELECT INBOX").await;
        c
    }

    /// Stops the server (BYE to everyone) and waits for it.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Whether `line` matches `pattern` (`%` = any run of characters).
pub fn matches(pattern: &str, line: &str) -> bool {
    let (p, l) = (pattern.as_bytes(), line.as_bytes());
    // Iterative glob with backtracking to the last `%`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < l.len() {
        if i < p.len() && p[i] == b'%' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == l[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == b'%' {
        i += 1;
    }
    i == p.len()
}

/// A rustls client config trusting only `cert_pem`.
fn client_config(cert_pem: &str) -> Arc<rustls::ClientConfig> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A TLS handshake as a client of `server` (name `localhost`) over `tcp`.
pub async fn tls_handshake(
    server: &TestServer,
    tcp: TcpStream,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let config = server.tls_client.clone().expect("server started with TLS");
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(
        TIMEOUT,
        tokio_rustls::TlsConnector::from(config).connect(name, tcp),
    )
    .await
    .expect("TLS handshake timed out")
    .expect("TLS handshake")
}

/// A raw IMAP client.
pub struct Client {
    reader: BufReader<ReadHalf<Box<dyn Io>>>,
    writer: WriteHalf<Box<dyn Io>>,
    /// How long [`Client::read`] waits; [`TIMEOUT`] unless changed.
    timeout: Duration,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Client::over(Box::new(stream))
    }

    /// A client over an established stream (e.g. TLS).
    pub fn over(stream: Box<dyn Io>) -> Client {
        let (r, w) = tokio::io::split(stream);
        Client {
            reader: BufReader::new(r),
            writer: w,
            timeout: TIMEOUT,
        }
    }

    /// Waits up to `timeout` for each response instead of [`TIMEOUT`]
    /// (e.g. behind hundreds of queued Argon2 checks).
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// Sends raw bytes (flushed: a layer such as COMPRESS may hold them).
    pub async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("send");
        self.writer.flush().await.expect("send");
    }

    /// Sends one line (CRLF appended).
    pub async fn line(&mut self, line: &str) {
        self.send(format!("{line}\r\n").as_bytes()).await;
    }

    /// Reads one response: a line, plus any literal it announces (inline,
    /// with its CRLFs), without the final CRLF. `None` at end of input.
    pub async fn read(&mut self) -> Option<String> {
        tokio::time::timeout(self.timeout, self.read_inner())
            .await
            .expect("timed out waiting for a response")
    }

    /// Like [`read`](Self::read) with a short timeout: `None` if nothing
    /// arrives within `wait`.
    pub async fn read_within(&mut self, wait: Duration) -> Option<String> {
        tokio::time::timeout(wait, self.read_inner())
            .await
            .ok()
            .flatten()
    }

    async fn read_inner(&mut self) -> Option<String> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            let n = self.reader.read_until(b'\n', &mut line).await.ok()?;
            if n == 0 {
                return if out.is_empty() {
                    None
                } else {
                    Some(String::from_utf8_lossy(&out).into_owned())
                };
            }
            out.extend_from_slice(&line);
            let body = line.strip_suffix(b"\r\n").unwrap_or(&line);
            if let Some(len) = literal_len(body) {
                let mut data = vec![0; len];
                self.reader.read_exact(&mut data).await.ok()?;
                out.extend_from_slice(&data);
                continue;
            }
            if out.ends_with(b"\r\n") {
                out.truncate(out.len() - 2);
            }
            return Some(String::from_utf8_lossy(&out).into_owned());
        }
    }

    /// Reads responses until the one tagged `tag`; returns them all.
    pub async fn until_tagged(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        let prefix = format!("{tag} ");
        loop {
            let line = self
                .read()
                .await
                .unwrap_or_else(|| panic!("connection closed before {tag} completed: {lines:?}"));
            let done = line.starts_with(&prefix);
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Sends `line` (whose first word is the tag) and returns every
    /// response up to and including the tagged one.
    pub async fn cmd(&mut self, line: &str) -> Vec<String> {
        let tag = line.split(' ').next().unwrap().to_owned();
        self.line(line).await;
        self.until_tagged(&tag).await
    }

    /// Sends `line` and returns every response until the server closes
    /// the connection (which must happen before any tagged response).
    pub async fn cmd_until_closed(&mut self, line: &str) -> Vec<String> {
        self.line(line).await;
        let mut lines = Vec::new();
        while let Some(l) = self.read().await {
            lines.push(l);
        }
        lines
    }

    /// Like [`cmd`](Self::cmd), asserting the tagged response is OK.
    pub async fn cmd_ok(&mut self, line: &str) -> Vec<String> {
        let r = self.cmd(line).await;
        let tag = line.split(' ').next().unwrap();
        assert!(
            r.last().unwrap().starts_with(&format!("{tag} OK")),
            "{line} failed: {r:?}"
        );
        r
    }

    /// Reads exactly `patterns.len()` responses and matches them in order.
    pub async fn expect(&mut self, patterns: &[&str]) {
        let mut got = Vec::new();
        for _ in patterns {
            match self.read().await {
                Some(l) => got.push(l),
                None => break,
            }
        }
        assert_lines(&got, patterns);
    }

    /// Asserts the server closes the connection (after any responses).
    pub async fn expect_closed(&mut self) {
        if let Some(l) = self.read().await {
            panic!("expected the connection to close, got {l:?}");
        }
    }
}

/// Asserts `got` matches `patterns` line by line.
#[track_caller]
pub fn assert_lines(got: &[String], patterns: &[&str]) {
    let ok = got.len() == patterns.len() && got.iter().zip(patterns).all(|(l, p)| matches(p, l));
    assert!(
        ok,
        "responses do not match\n  expected: {patterns:#?}\n  got: {got:#?}"
    );
}

/// The length of the literal a response line ends with (`{n}`).
fn literal_len(line: &[u8]) -> Option<usize> {
    let open = line.iter().rposition(|&b| b == b'{')?;
    let digits = line.strip_suffix(b"}")?.get(open + 1..)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A small RFC 5322 message with CRLF line ends.
pub fn message(subject: &str, body: &str) -> String {
    format!(
        "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: {subject}\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n{body}\r\n"
    )
}

/// APPENDs `n` messages to `mailbox` with LITERAL+ (no round trip).
pub async fn append_n(c: &mut Client, mailbox: &str, n: usize) {
    for i in 1..=n {
        let m = message(&format!("message {i}"), &format!("body {i}"));
        let line = format!("A{i} APPEND {mailbox} {{{}+}}\r\n{m}", m.len());
        c.line(&line).await;
        let r = c.until_tagged(&format!("A{i}")).await;
        assert!(r.last().unwrap().starts_with(&format!("A{i} OK")), "{r:?}");
    }
}

/// The SQLite and PostgreSQL tests of a module generated by [`both!`] or
/// [`spread!`], each calling the module's `run` with its backend.
#[macro_export]
macro_rules! backend_cases {
    () => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn sqlite() {
            run(common::Backend::Sqlite).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres() {
            if let Some(b) = common::Backend::postgres() {
                run(b).await;
            }
        }
    };
}

/// Runs each test body on SQLite and, with `HADRON_TEST_PG`, PostgreSQL.
#[macro_export]
macro_rules! both {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($backend: common::Backend) $body
            $crate::backend_cases!();
        }
    )*};
}

/// Like [`both!`], and a third time with clients spread over two instances
/// on one PostgreSQL database ([`Backend::TwoInstances`]).
#[macro_export]
macro_rules! spread {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($backend: common::Backend) $body
            $crate::backend_cases!();
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn two_instances() {
                if let Some(b) = common::Backend::two_instances() {
                    run(b).await;
                }
            }
        }
    )*};
}

#[test]
fn patterns_match_like_imaptest() {
    assert!(matches(
        "* OK [CAPABILITY %] Hadron ready",
        "* OK [CAPABILITY IMAP4rev1 IDLE] Hadron ready"
    ));
    assert!(matches("a OK%", "a OK done"));
    assert!(!matches("a OK", "a OK done"));
    assert!(matches("%", ""));
    assert_eq!(literal_len(b"* 1 FETCH (BODY[] {12}"), Some(12));
    assert_eq!(literal_len(b"* OK {x}"), None);
}
