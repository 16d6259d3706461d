//! One `hadron serve` process on a fixed port, killed with SIGKILL and
//! restarted on the same data, for the tests that break a server on
//! purpose (`kill_loop.rs`, `disk_full.rs`). Its standard error goes to a
//! log file, printed when a test fails.
//!
//! Included by path next to `instance_faults/imap.rs` (as `imap`), whose
//! client it uses to wait for the greeting.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::imap::Imap;

/// The server binary under test.
const HADRON: &str = env!("CARGO_BIN_EXE_hadron");
/// How long a server may take to start answering.
const STARTUP: Duration = Duration::from_secs(20);

/// A `hadron serve` on a data directory (and a database), not yet started.
pub struct Server {
    child: Option<Child>,
    /// Its plain listener's port, the same across restarts.
    pub port: u16,
    data: PathBuf,
    /// A PostgreSQL URL, or `None` for SQLite in `data`.
    database: Option<String>,
    log: PathBuf,
}

impl Server {
    /// A server for `data` (and `database`) on 127.0.0.1:`port`, logging to
    /// `log`; [`Server::start`] runs it.
    pub fn new(port: u16, data: PathBuf, database: Option<String>, log: PathBuf) -> Server {
        Server {
            child: None,
            port,
            data,
            database,
            log,
        }
    }

    /// Starts the server and waits for its greeting; returns how long that
    /// took (the restart time, after a kill).
    pub async fn start(&mut self) -> Duration {
        let began = Instant::now();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(HADRON)
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--data-dir")
            .arg(&self.data)
            .args(self.database.iter().flat_map(|url| ["--database", url]))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start hadron serve");
        self.child = Some(child);
        loop {
            assert!(self.alive(), "hadron serve exited:\n{}", self.log());
            // Our own process must still be running after the greeting, so
            // the greeting was not another program's on a reused port.
            if Imap::connect(self.port).await.is_ok() && self.alive() {
                return began.elapsed();
            }
            assert!(
                began.elapsed() < STARTUP,
                "no greeting within {STARTUP:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether the process is running.
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// SIGKILL, no shutdown of any kind, and reaping.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("SIGKILL");
            c.wait().expect("reap");
        }
    }

    /// What the server wrote to standard error, over all its runs.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("---- server log ----\n{}", self.log());
        }
    }
}
