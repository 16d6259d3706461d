//! The `hadron` binary end to end: `user add`, `serve` with a config file,
//! TLS flags and `cert self-signed`, SIGTERM shutdown with BYE, and
//! readable errors for bad configuration.
#![allow(missing_docs)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Client, assert_lines};
use tokio::io::{AsyncBufReadExt, BufReader};

const HADRON: &str = env!("CARGO_BIN_EXE_hadron");

fn hadron(args: &[&str]) -> std::process::Output {
    Command::new(HADRON)
        .args(args)
        .output()
        .expect("run hadron")
}

/// Starts `hadron serve` with `args`; returns the child and the port from
/// its "ready" log line.
async fn serve(args: &[&str]) -> (tokio::process::Child, u16) {
    let mut child = tokio::process::Command::new(HADRON)
        .arg("serve")
        .args(args)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start hadron serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("listen=127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                return digits.parse::<u16>().unwrap();
            }
        }
        panic!("hadron serve exited before it was ready");
    })
    .await
    .expect("hadron serve did not become ready");
    // Keep draining the log so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, port)
}

fn data_dir(dir: &Path) -> String {
    dir.join("data").display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_serve_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let out = hadron(&[
        "user",
        "add",
        "carol",
        "--password",
        "pw1",
        "--data-dir",
        &data,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "user carol created\n");
    // A second user, password on stdin.
    let mut child = Command::new(HADRON)
        .args([
            "user",
            "add",
            "dave",
            "--password-stdin",
            "--data-dir",
            &data,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"pw2\n").unwrap();
    assert!(child.wait().unwrap().success());
    // The same name twice is refused with a reason.
    let out = hadron(&[
        "user",
        "add",
        "carol",
        "--password",
        "x",
        "--data-dir",
        &data,
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("carol"),
        "{out:?}"
    );

    let config = dir.path().join("hadron.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\n[limits]\nmax_bad_commands = 5\n",
    )
    .unwrap();
    let (mut server, port) =
        serve(&["--config", config.to_str().unwrap(), "--data-dir", &data]).await;
    let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
    c.expect(&["* OK [CAPABILITY %] Hadron ready"]).await;
    c.cmd_ok("a LOGIN carol pw1").await;
    let mut d = Client::connect(([127, 0, 0, 1], port).into()).await;
    d.expect(&["* OK %"]).await;
    d.cmd_ok("a LOGIN dave pw2").await;
    d.cmd_ok("b SELECT INBOX").await;

    let pid = server.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    c.expect(&["* BYE server shutting down; please reconnect"])
        .await;
    c.expect_closed().await;
    d.expect(&["* BYE server shutting down; please reconnect"])
        .await;
    d.expect_closed().await;
    let status = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_certificate_and_starttls_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let out = hadron(&["cert", "self-signed", "--cert", cert, "--key", key]);
    assert!(out.status.success(), "{out:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let data = data_dir(dir.path());
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--tls-cert",
        cert,
        "--tls-key",
        key,
    ];
    let (_server, port) = serve(&args).await;
    let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
    c.expect(&["* OK [CAPABILITY % STARTTLS LOGINDISABLED] Hadron ready"])
        .await;
}

#[test]
fn bad_configuration_is_reported_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hadron.toml");
    std::fs::write(&config, "[limits]\nidle_timeout_secs = 10\n").unwrap();
    let out = hadron(&["serve", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("idle_timeout_secs") && err.contains("RFC 3501"),
        "{err}"
    );
    let out = hadron(&[
        "serve",
        "--tls-listen",
        "127.0.0.1:0",
        "--data-dir",
        &data_dir(dir.path()),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls-cert"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_message_content_or_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let out = hadron(&[
        "user",
        "add",
        "erin",
        "--password",
        "hunter2secret",
        "--data-dir",
        &data,
    ]);
    assert!(out.status.success());
    let mut child = tokio::process::Command::new(HADRON)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", &data])
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = Vec::new();
    let port = loop {
        let line = stderr.next_line().await.unwrap().expect("server exited");
        log.push(line.clone());
        if let Some(rest) = line.split("listen=127.0.0.1:").nth(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            break digits.parse::<u16>().unwrap();
        }
    };
    let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
    c.expect(&["* OK %"]).await;
    c.cmd_ok("a LOGIN erin hunter2secret").await;
    let m = "Subject: TopSecretSubject\r\n\r\nTopSecretBody\r\n";
    let r = c
        .cmd(&format!("b APPEND INBOX {{{}+}}\r\n{m}", m.len()))
        .await;
    assert_lines(&r, &["b OK %"]);
    c.cmd_ok("c SELECT INBOX").await;
    c.cmd_ok("d FETCH 1 BODY[]").await;
    c.cmd_ok("e LOGOUT").await;
    let pid = child.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    while let Ok(Some(line)) = stderr.next_line().await {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(
        log.contains("user=\"erin\"") || log.contains("user=erin"),
        "{log}"
    );
    for secret in ["hunter2secret", "TopSecretSubject", "TopSecretBody"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}
