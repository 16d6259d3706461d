//! `cargo xtask imaptest`: Dovecot's imaptest (the compliance and stress
//! checker IMAP server authors use; we did not write it) against a fresh
//! release Hadron, on SQLite and, when `HADRON_TEST_PG` is set, on
//! PostgreSQL. Fails on any failed scripted test group and on any `Error:`
//! line (a protocol or state violation) of the stress run.
//!
//! imaptest is built from the snapshot in `../shared/tools/imaptest` by
//! `xtask/imaptest/install.sh` into `target/imaptest` (once).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use hadron_bench::mailgen::MailGen;

use hadron_store::testing::PgTestDatabase;

use crate::bench::target_dir;
use crate::process::{cargo, exec, workspace_root};
use crate::server::{LocalServer, ServerOptions};

/// Arguments of `cargo xtask imaptest`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImaptestArgs {
    /// Backends to test (repeatable): `sqlite`, `postgres` [default:
    /// sqlite, and postgres when HADRON_TEST_PG is set].
    #[arg(long = "backend")]
    backends: Vec<String>,
    /// Seconds of the stress run (0 skips it).
    #[arg(long, default_value_t = 20)]
    stress_secs: u32,
    /// Concurrent clients of the stress run, all on one mailbox.
    #[arg(long, default_value_t = 10)]
    clients: u32,
    /// Every this many seconds the stress run stops all clients and
    /// compares their views of the mailbox (0: never). Off by default:
    /// this imaptest snapshot's checkpoint mode trips its own assertions
    /// (`client->plan_size == 0` against Dovecot 2.3.19 as well, and an
    /// unguarded index of its message array after EXISTS). Without it,
    /// every response is still checked against each client's tracked
    /// state.
    #[arg(long, default_value_t = 0)]
    checkpoint: u32,
    /// Skip the scripted tests.
    #[arg(long)]
    no_scripted: bool,
    /// Instances the PostgreSQL stress run spreads over: one imaptest run
    /// per instance, started together, on the same user and mailbox (each
    /// with `--clients`), so sessions on one instance must be told what
    /// the others commit.
    #[arg(long, default_value_t = 2)]
    pg_instances: u32,
    /// Restart the local PostgreSQL server (`pg_ctlcluster … restart`) this
    /// many seconds into the PostgreSQL stress run: the instances must
    /// recover by themselves. Commands refused while the database is down
    /// (`NO database error: …`) are reported, not failures; any other
    /// error is. Not for CI: it restarts the machine's PostgreSQL.
    #[arg(long, value_name = "SECS")]
    restart_postgres_after: Option<u32>,
    /// Further `key=value` arguments for the stress run (`logout=0`).
    #[arg(last = true)]
    extra: Vec<String>,
}

/// The configuration of the server under test: a stress run logs in and
/// out all the time from one address.
const CONFIG: &str = "# Written by cargo xtask imaptest.\n\
                      [log]\nlevel = \"warn\"\n";

/// Runs `cargo xtask imaptest`.
pub(crate) fn imaptest(args: &ImaptestArgs) -> anyhow::Result<()> {
    let imaptest = install()?;
    exec(cargo().args([
        "build",
        "--release",
        "-p",
        "hadron-server",
        "--bin",
        "hadron",
    ]))?;
    let binary = target_dir().join("release").join("hadron");
    let out_dir = target_dir().join("imaptest-runs");
    std::fs::create_dir_all(&out_dir)?;
    let mbox = out_dir.join("stress.mbox");
    write_mbox(&mbox, 200)?;

    let backends = if args.backends.is_empty() {
        let mut b = vec!["sqlite".to_owned()];
        if std::env::var_os("HADRON_TEST_PG").is_some() {
            b.push("postgres".to_owned());
        }
        b
    } else {
        args.backends.clone()
    };
    let mut failures = Vec::new();
    for backend in &backends {
        if !matches!(backend.as_str(), "sqlite" | "postgres") {
            bail!("unknown backend {backend:?} (sqlite, postgres)");
        }
        // Every server gets a fresh database: one user, nothing left over.
        let fresh = || -> anyhow::Result<(ServerOptions, Option<PgTestDatabase>)> {
            let pg = if backend == "postgres" {
                Some(
                    PgTestDatabase::create("hadron_imaptest")
                        .context("--backend postgres needs HADRON_TEST_PG")?,
                )
            } else {
                None
            };
            let options = ServerOptions {
                user: "imaptest".to_owned(),
                database: pg.as_ref().map(|d| d.url().to_owned()),
                config: CONFIG.to_owned(),
            };
            Ok((options, pg))
        };
        if !args.no_scripted {
            let (options, _pg) = fresh()?;
            let server = LocalServer::start(&binary, &out_dir, &options)?;
            let dir = imaptest.parent().unwrap_or(Path::new(".")).join("tests");
            let test = format!("test={}", dir.display());
            let output = run(&imaptest, &server, &options, &[test.as_str()])?;
            let verdict = scripted_verdict(&output);
            println!("imaptest scripted ({backend}): {}", verdict.summary);
            if let Some(problem) = verdict.problem {
                failures.push(format!("scripted tests on {backend}: {problem}"));
                eprintln!("{output}");
            }
            check_alive(server, backend, &mut failures)?;
        }
        if args.stress_secs > 0 {
            let (options, _pg) = fresh()?;
            let server = LocalServer::start(&binary, &out_dir, &options)?;
            let instances = if backend == "postgres" {
                args.pg_instances.max(1)
            } else {
                1
            };
            let mut others = Vec::new();
            for _ in 1..instances {
                others.push(LocalServer::start_another(
                    &binary, &out_dir, &options, &server,
                )?);
            }
            let mut params = vec![
                format!("mbox={}", mbox.display()),
                format!("clients={}", args.clients),
                format!("secs={}", args.stress_secs),
            ];
            if args.checkpoint > 0 {
                params.push(format!("checkpoint={}", args.checkpoint));
            }
            params.extend(args.extra.iter().cloned());
            let params: Vec<&str> = params.iter().map(String::as_str).collect();
            let output = if others.is_empty() {
                run(&imaptest, &server, &options, &params)?
            } else {
                // One run per instance, at once; their outputs one after the other.
                std::thread::scope(|scope| {
                    if let Some(after) = args
                        .restart_postgres_after
                        .filter(|_| backend == "postgres")
                    {
                        scope.spawn(move || restart_postgres(after));
                    }
                    let runs: Vec<_> = std::iter::once(&server)
                        .chain(&others)
                        .map(|s| scope.spawn(|| run(&imaptest, s, &options, &params)))
                        .collect();
                    runs.into_iter()
                        .map(|r| {
                            r.join()
                                .unwrap_or_else(|_| bail!("an imaptest run panicked"))
                        })
                        .collect::<anyhow::Result<Vec<String>>>()
                        .map(|outputs| outputs.join("\n"))
                })?
            };
            let (refused, errors): (Vec<&str>, Vec<&str>) = output
                .lines()
                .filter(|l| l.starts_with("Error:") || l.contains(" Error: "))
                .partition(|l| {
                    args.restart_postgres_after.is_some()
                        && backend == "postgres"
                        && l.contains(" NO database error: ")
                });
            if !refused.is_empty() {
                println!(
                    "imaptest stress ({backend}): {} commands refused while PostgreSQL restarted:",
                    refused.len()
                );
                for r in refused.iter().take(10) {
                    println!("  {r}");
                }
            }
            let totals = output
                .lines()
                .skip_while(|l| !l.starts_with("Totals:"))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n");
            println!(
                "imaptest stress ({backend}, {instances} instance(s) × {} clients, {} s): {} errors\n{totals}",
                args.clients,
                args.stress_secs,
                errors.len()
            );
            if output.contains("Panic:") {
                failures.push(format!(
                    "stress on {backend}: imaptest itself panicked (the run proves nothing)"
                ));
            }
            if !errors.is_empty() {
                for e in errors.iter().take(20) {
                    eprintln!("  {e}");
                }
                failures.push(format!(
                    "stress on {backend}: {} Error: lines",
                    errors.len()
                ));
            }
            check_alive(server, backend, &mut failures)?;
            for other in others {
                check_alive(other, backend, &mut failures)?;
            }
        }
    }
    if !failures.is_empty() {
        bail!("imaptest found problems:\n  {}", failures.join("\n  "));
    }
    println!("imaptest: 0 failures, 0 errors");
    Ok(())
}

/// Sleeps `after` seconds, then restarts the machine's PostgreSQL cluster
/// (the first version under `/etc/postgresql`, cluster `main`).
fn restart_postgres(after: u32) {
    std::thread::sleep(std::time::Duration::from_secs(u64::from(after)));
    let version = std::fs::read_dir("/etc/postgresql")
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned());
    let Some(version) = version else {
        eprintln!("no /etc/postgresql: PostgreSQL not restarted");
        return;
    };
    eprintln!("restarting PostgreSQL {version} (main) under load");
    let status = std::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", "restart"])
        .status();
    match status {
        Ok(s) if s.success() => eprintln!("PostgreSQL restarted"),
        other => eprintln!("restarting PostgreSQL failed: {other:?}"),
    }
}

/// The imaptest binary, built once into `target/imaptest`.
fn install() -> anyhow::Result<PathBuf> {
    let out = target_dir().join("imaptest");
    let binary = out.join("imaptest");
    if binary.is_file() && out.join("tests").is_dir() {
        return Ok(binary);
    }
    let script = workspace_root().join("xtask/imaptest/install.sh");
    exec(Command::new("bash").arg(&script).arg(&out))?;
    if !binary.is_file() {
        bail!("{} did not produce {}", script.display(), binary.display());
    }
    Ok(binary)
}

/// Runs imaptest against `server` with `params`; its whole output.
fn run(
    imaptest: &Path,
    server: &LocalServer,
    options: &ServerOptions,
    params: &[&str],
) -> anyhow::Result<String> {
    eprintln!(
        "$ imaptest host=127.0.0.1 port={} user={} pass=… {}",
        server.addr.port(),
        options.user,
        params.join(" ")
    );
    let output = Command::new(imaptest)
        .arg("host=127.0.0.1")
        .arg(format!("port={}", server.addr.port()))
        .arg(format!("user={}", options.user))
        .arg(format!("pass={}", server.password))
        .args(params)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {}", imaptest.display()))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(text)
}

/// A server that died under test is a failure of its own; its log tells why.
fn check_alive(
    mut server: LocalServer,
    backend: &str,
    failures: &mut Vec<String>,
) -> anyhow::Result<()> {
    if !server.is_running() {
        let log = std::fs::read_to_string(server.log()).unwrap_or_default();
        eprintln!("{log}");
        failures.push(format!("the server ({backend}) died under imaptest"));
    }
    server.stop()
}

/// What a scripted run's output says.
#[derive(Debug, PartialEq, Eq)]
struct ScriptedVerdict {
    /// The closing lines, joined.
    summary: String,
    /// Why the run counts as failed, if it does.
    problem: Option<String>,
}

/// Reads imaptest's closing line `N test groups: F failed, S skipped due
/// to missing capabilities` (and any `Error:` line): failed groups or
/// errors fail the run; a missing summary too (imaptest did not finish).
fn scripted_verdict(output: &str) -> ScriptedVerdict {
    let summary_line = output.lines().find(|l| l.contains(" test groups: "));
    let summary = output
        .lines()
        .skip_while(|l| !l.contains(" test groups: "))
        .collect::<Vec<_>>()
        .join("; ");
    let errors = output.lines().filter(|l| l.starts_with("Error:")).count();
    let failed = summary_line.and_then(|l| {
        let after = l.split(" test groups: ").nth(1)?;
        after.split(" failed").next()?.trim().parse::<u32>().ok()
    });
    let problem = match failed {
        None => Some("no summary line: imaptest did not finish".to_owned()),
        Some(n) if n > 0 => Some(format!("{n} test groups failed")),
        Some(_) if errors > 0 => Some(format!("{errors} Error: lines")),
        Some(_) => None,
    };
    ScriptedVerdict { summary, problem }
}

/// Writes `count` generated messages (hadron-bench's corpus: 2 KB–2 MB,
/// plain, alternative and mixed with attachments) as an mbox for the
/// stress run: LF line ends, `From ` lines in bodies quoted (mboxrd).
fn write_mbox(path: &Path, count: u64) -> anyhow::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let tmp = path.with_extension("tmp");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    let mail = MailGen::new(0x1A_9735);
    for i in 0..count {
        let m = mail.message(i);
        writeln!(out, "From sender@example.org Thu Jan  1 00:00:00 2026")?;
        let text = String::from_utf8_lossy(&m.data).replace("\r\n", "\n");
        for line in text.lines() {
            let unquoted = line.trim_start_matches('>');
            if unquoted.starts_with("From ") {
                out.write_all(b">")?;
            }
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    drop(out);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_verdicts() {
        let pass = "x\n71 test groups: 0 failed, 4 skipped due to missing capabilities\n\
                    base protocol: 0/455 individual commands failed\n";
        assert_eq!(scripted_verdict(pass).problem, None);
        let fail = "71 test groups: 4 failed, 0 skipped due to missing capabilities\n";
        assert_eq!(
            scripted_verdict(fail).problem.as_deref(),
            Some("4 test groups failed")
        );
        let errors = "Error: imaptest[10]: Keyword used without being in FLAGS: $k\n\
                      71 test groups: 0 failed, 0 skipped due to missing capabilities\n";
        assert_eq!(
            scripted_verdict(errors).problem.as_deref(),
            Some("1 Error: lines")
        );
        assert!(scripted_verdict("connection refused\n").problem.is_some());
    }

    #[test]
    fn mbox_quotes_from_lines() {
        let dir = std::env::temp_dir().join(format!("xtask-mbox-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.mbox");
        write_mbox(&path, 5).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("\nFrom sender@").count() + 1, 5);
        assert!(!text.contains('\r'));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
