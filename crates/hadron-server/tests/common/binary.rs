//! The `hadron` binary as a test drives it: commands run to completion, and
//! `hadron serve` started in the background on an ephemeral port.

use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// The binary Cargo built for these tests.
pub const HADRON: &str = env!("CARGO_BIN_EXE_hadron");

/// Runs `hadron ARGS` to completion.
pub fn hadron(args: &[&str]) -> Output {
    Command::new(HADRON)
        .args(args)
        .output()
        .expect("run hadron")
}

/// Starts `hadron serve ARGS` (which should listen on `127.0.0.1:0`); returns
/// the child (killed on drop) and the port from its "ready" log line. The
/// log keeps being drained so the server never blocks on a full pipe.
pub async fn serve<S: AsRef<OsStr>>(
    args: impl IntoIterator<Item = S>,
) -> (tokio::process::Child, u16) {
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
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, port)
}

/// Sends SIGTERM to `child` (a `hadron serve`), asking it to shut down.
pub fn terminate(child: &tokio::process::Child) {
    let pid = child.id().expect("the server is running").to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {pid}: {sent:?}");
}

/// Waits (30 s at most) for `child` to exit, and checks it exited cleanly.
pub async fn exits_cleanly(mut child: tokio::process::Child) {
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the server did not exit within 30 s")
        .expect("wait for the server");
    assert!(status.success(), "{status:?}");
}
