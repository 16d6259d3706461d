//! The instances under test: `hadron serve` processes on one fresh
//! PostgreSQL database, killed, restarted and cleaned up.

use super::*;

/// One `hadron serve` process and what it needs to be restarted alike.
pub(super) struct Instance {
    /// The running process, `None` while killed.
    pub(super) child: Option<Child>,
    /// The fixed port of its plain listener (the same after a restart).
    pub(super) port: u16,
    /// Its configuration file.
    pub(super) config: PathBuf,
    /// Its standard error, appended to across restarts.
    pub(super) log: PathBuf,
}

/// Instances on one fresh PostgreSQL database with the user `alice`
/// (password `secret`). Dropping it kills every instance, then removes the
/// files and drops the database (`WITH (FORCE)`), also when a test panics;
/// it prints the instances' logs when a test fails (or always, with
/// `HADRON_FAULTS_LOGS` set).
pub(super) struct Cluster {
    /// The instances; index 0 is "instance 1" in messages.
    pub(super) instances: Vec<Instance>,
    /// Configurations, logs and data directories.
    pub(super) dir: tempfile::TempDir,
    /// Declared last: dropped after the instances are dead.
    pub(super) db: PgTestDatabase,
}

impl Cluster {
    /// `n` running instances on a new database, or `None` without
    /// `HADRON_TEST_PG`.
    pub(super) async fn start(n: usize) -> Option<Cluster> {
        let db = PgTestDatabase::create("hadron_faults")?;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut instances = Vec::new();
        for i in 0..n {
            let port = unclaimable_port();
            let config = dir.path().join(format!("hadron-{i}.toml"));
            let data = dir.path().join(format!("data-{i}"));
            std::fs::write(
                &config,
                format!(
                    "listen = \"127.0.0.1:{port}\"\n\
                     data_dir = {data:?}\n\
                     database = {url:?}\n\
                     [log]\n\
                     level = \"info\"\n",
                    url = db.url(),
                ),
            )
            .expect("write config");
            let log = dir.path().join(format!("hadron-{i}.log"));
            instances.push(Instance {
                child: None,
                port,
                config,
                log,
            });
        }
        let mut cluster = Cluster { instances, dir, db };
        // The schema is created here, before any instance runs.
        cluster.add_user("alice", "secret").await;
        for i in 0..n {
            cluster.start_instance(i).await;
        }
        Some(cluster)
    }

    /// `hadron user add` with the password on standard input.
    pub(super) async fn add_user(&self, name: &str, password: &str) {
        let mut child = tokio::process::Command::new(HADRON)
            .args(["user", "add", name, "--password-stdin", "--config"])
            .arg(&self.instances[0].config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run hadron user add");
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!("{password}\n").as_bytes())
            .await
            .unwrap();
        drop(stdin);
        let out = tokio::time::timeout(STARTUP, child.wait_with_output())
            .await
            .expect("hadron user add timed out")
            .unwrap();
        assert!(out.status.success(), "hadron user add failed: {out:?}");
    }

    /// Starts instance `i` (0-based) again or for the first time, on its
    /// configuration, and waits until it greets a client.
    pub(super) async fn start_instance(&mut self, i: usize) {
        let n = i + 1;
        let inst = &mut self.instances[i];
        assert!(inst.child.is_none(), "instance {n} is already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&inst.log)
            .expect("open log");
        let child = Command::new(HADRON)
            .arg("serve")
            .arg("--config")
            .arg(&inst.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start hadron serve");
        inst.child = Some(child);
        let port = inst.port;
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some(status) = self.instances[i]
                .child
                .as_mut()
                .unwrap()
                .try_wait()
                .unwrap()
            {
                panic!(
                    "instance {n} exited before it was ready ({status}):\n{}",
                    self.log_of(i)
                );
            }
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(2), async {
                let stream = TcpStream::connect(("127.0.0.1", port)).await?;
                Imap::over(stream).await
            })
            .await
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "instance {n} did not greet within {STARTUP:?}:\n{}",
                self.log_of(i)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills instance `i` with SIGKILL (no shutdown of any kind) and reaps it.
    pub(super) fn kill(&mut self, i: usize) {
        let mut child = self.instances[i].child.take().expect("instance running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }

    /// The port of instance `i`.
    pub(super) fn port(&self, i: usize) -> u16 {
        self.instances[i].port
    }

    /// A client logged in as alice on instance `i`.
    pub(super) async fn login(&self, i: usize) -> Imap {
        let mut c = Imap::connect(self.port(i)).await.expect("connect");
        c.cmd_ok("L LOGIN alice secret").await;
        c
    }

    /// A client logged in as alice on instance `i` with INBOX selected.
    pub(super) async fn select(&self, i: usize) -> Imap {
        let mut c = self.login(i).await;
        c.cmd_ok("S SELECT INBOX").await;
        c
    }

    /// Terminates every session on the test database but the caller's:
    /// both instances' pooled connections and change listeners, as a
    /// PostgreSQL restart would. Returns how many were ended.
    pub(super) fn cut_database_connections(&self) -> usize {
        self.db.terminate_sessions("")
    }

    /// The log of instance `i` (its last 8 KB).
    pub(super) fn log_of(&self, i: usize) -> String {
        let text = std::fs::read(&self.instances[i].log).unwrap_or_default();
        let tail = &text[text.len().saturating_sub(8192)..];
        String::from_utf8_lossy(tail).into_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for inst in &mut self.instances {
            if let Some(mut child) = inst.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if std::thread::panicking() || std::env::var_os("HADRON_FAULTS_LOGS").is_some() {
            for i in 0..self.instances.len() {
                eprintln!(
                    "---- log of instance {} ({}) ----\n{}",
                    i + 1,
                    self.dir.path().display(),
                    self.log_of(i)
                );
            }
        }
    }
}
