//! A throw-away Hadron for `cargo xtask bench` and `cargo xtask imaptest`:
//! a fresh data directory (SQLite) or database (PostgreSQL), one user,
//! a free port on 127.0.0.1; stopped (and its data removed) on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::run::{random_password, with_password};

/// How to start a [`LocalServer`].
#[derive(Debug, Clone)]
pub(crate) struct ServerOptions {
    /// The user to create.
    pub(crate) user: String,
    /// A `postgres://` URL of an empty database; SQLite in the data
    /// directory when `None`.
    pub(crate) database: Option<String>,
    /// The configuration file's text.
    pub(crate) config: String,
}

impl ServerOptions {
    /// One user `bench` with room for 10,000 IDLE connections, SQLite.
    pub(crate) fn for_benchmarks() -> ServerOptions {
        ServerOptions {
            user: "bench".to_owned(),
            database: None,
            config: "# Written by cargo xtask: room for 10,000 IDLE connections of one user.\n\
                     [log]\nlevel = \"warn\"\n\n\
                     [limits]\nmax_connections = 20000\nmax_connections_per_ip = 20000\n\
                     max_sessions_per_user = 20000\n"
                .to_owned(),
        }
    }
}

/// A Hadron started for the run; stopped on drop.
pub(crate) struct LocalServer {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// Where its LMTP listener is (for the `lmtp` bench scenario).
    pub(crate) lmtp_addr: SocketAddr,
    /// The user's password (random).
    pub(crate) password: String,
    dir: PathBuf,
}

impl LocalServer {
    /// Starts `binary` with a data directory under `out_dir` and waits
    /// until it accepts connections.
    pub(crate) fn start(
        binary: &Path,
        out_dir: &Path,
        options: &ServerOptions,
    ) -> anyhow::Result<LocalServer> {
        LocalServer::start_with(binary, out_dir, options, None)
    }

    /// Another instance beside `first`, on the same PostgreSQL database
    /// (`options.database`), whose user already exists.
    pub(crate) fn start_another(
        binary: &Path,
        out_dir: &Path,
        options: &ServerOptions,
        first: &LocalServer,
    ) -> anyhow::Result<LocalServer> {
        if options.database.is_none() {
            bail!("several instances share a PostgreSQL database, not SQLite files");
        }
        LocalServer::start_with(binary, out_dir, options, Some(first.password.clone()))
    }

    /// Starts a server; creates the user with a fresh password unless
    /// `existing` gives the password of a user already in the database.
    fn start_with(
        binary: &Path,
        out_dir: &Path,
        options: &ServerOptions,
        existing: Option<String>,
    ) -> anyhow::Result<LocalServer> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = out_dir.join(format!("hadron-run-{}-{n}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        let data = dir.join("data");
        std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
        let config = dir.join("hadron.toml");
        std::fs::write(&config, &options.config)?;
        let storage = |cmd: &mut Command| {
            cmd.arg("--data-dir").arg(&data);
            if let Some(url) = &options.database {
                cmd.args(["--database", url]);
            }
        };
        let password = match existing {
            Some(p) => p,
            None => {
                let password = random_password()?;
                let mut add = Command::new(binary);
                add.args(["user", "add", &options.user, "--password-stdin"]);
                storage(&mut add);
                if !with_password(add.stdout(Stdio::null()), &password)? {
                    bail!("hadron user add failed");
                }
                password
            }
        };
        let addr = free_port()?;
        let lmtp_addr = free_port()?;
        let log = std::fs::File::create(dir.join("server.log"))?;
        eprintln!(
            "$ hadron serve --config {} --listen {addr} --lmtp-listen {lmtp_addr}{}",
            config.display(),
            if options.database.is_some() {
                " --database postgres://…"
            } else {
                ""
            }
        );
        let mut serve = Command::new(binary);
        serve.arg("serve").arg("--config").arg(&config);
        storage(&mut serve);
        let child = serve
            .args(["--listen", &addr.to_string()])
            .args(["--lmtp-listen", &lmtp_addr.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting hadron serve")?;
        let mut server = LocalServer {
            child,
            addr,
            lmtp_addr,
            password,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "hadron serve exited ({status}); see {}",
                    server.log().display()
                );
            }
            if Instant::now() > deadline {
                bail!("hadron serve did not listen on {addr} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's log file (gone after [`LocalServer::stop`]).
    pub(crate) fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Whether the process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM (a graceful shutdown), then the data directory is removed.
    pub(crate) fn stop(mut self) -> anyhow::Result<()> {
        self.terminate();
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }

    fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}
