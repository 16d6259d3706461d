//! Issue 16, "disk full": `hadron serve` (SQLite) with its data directory
//! on a small tmpfs that APPENDs fill up. The server must answer APPEND with
//! a tagged `NO` and a human reason (not a dropped connection, not a
//! panic), keep serving reads, lose nothing it acknowledged, and accept
//! writes again once space returns, also after a restart.
//!
//! It needs to mount a tmpfs (root, as in CI); elsewhere it says so and
//! passes without running.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

#[path = "instance_faults/imap.rs"]
#[allow(dead_code, unreachable_pub)]
mod imap;
#[path = "common/ports.rs"]
#[allow(unreachable_pub)]
mod ports;
#[path = "common/served.rs"]
#[allow(unreachable_pub)]
mod served;

use imap::*;
use served::Server;

/// The server binary under test.
const HADRON: &str = env!("CARGO_BIN_EXE_hadron");
/// How long a client waits for one response before the test fails.
const RESPONSE: Duration = Duration::from_secs(20);

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_owned()))
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .expect("mount -o remount");
        assert!(ok.success(), "remount {size}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A distinct message of about 48 KB (incompressible enough that tmpfs
/// pages fill at the rate we write).
fn big(label: &str) -> Vec<u8> {
    let mut m = message(label);
    let mut x: u32 = label
        .bytes()
        .fold(7, |a, b| a.wrapping_mul(31).wrapping_add(b.into()));
    for _ in 0..800 {
        let line: String = (0..60)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                char::from(b'a' + (x % 26) as u8)
            })
            .collect();
        m.extend_from_slice(line.as_bytes());
        m.extend_from_slice(b"\r\n");
    }
    m
}

async fn login(port: u16) -> Imap {
    let mut c = Imap::connect(port).await.expect("connect");
    c.cmd_ok("L LOGIN alice secret").await;
    c
}

/// Checks that INBOX holds exactly the acknowledged messages (and
/// possibly none else), byte for byte.
async fn check(port: u16, acked: &BTreeMap<u32, Vec<u8>>) {
    let mut c = login(port).await;
    c.cmd_ok("S SELECT INBOX").await;
    let bodies = c.bodies().await;
    let keys: BTreeSet<u32> = bodies.keys().copied().collect();
    let want: BTreeSet<u32> = acked.keys().copied().collect();
    assert_eq!(
        keys, want,
        "INBOX holds other messages than were acknowledged"
    );
    for (uid, raw) in acked {
        assert!(bodies[uid] == *raw, "UID {uid}: other bytes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_clearly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(&dir.path().join("fs"), "12m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let data = fs.0.join("data");
    let out = Command::new(HADRON)
        .args(["user", "add", "alice", "--password", "secret", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let port = ports::unclaimable_port();
    let mut server = Server::new(port, data, None, dir.path().join("hadron.log"));
    server.start().await;

    // Fill the disk: APPEND until refused.
    let mut c = login(port).await;
    c.cmd_ok("C CREATE Other").await;
    let mut acked: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut refusal = None;
    for i in 0..1000 {
        let raw = big(&format!("fill-{i}"));
        match c.append(&format!("A{i}"), &raw).await {
            Outcome::Ok(uid) => {
                acked.insert(uid, raw);
            }
            Outcome::Refused(text) => {
                refusal = Some(text);
                break;
            }
            Outcome::Lost => panic!("the connection was dropped after {} APPENDs", acked.len()),
        }
    }
    let refusal = refusal.expect("12 MB never filled");
    eprintln!("{} APPENDs acknowledged, then: {refusal}", acked.len());
    assert!(acked.len() > 10, "refused too early: {refusal}");
    assert!(refusal.contains(" NO "), "not a NO: {refusal}");
    assert!(
        refusal.contains(" NO [OVERQUOTA] not enough disk space"),
        "no response code and human reason: {refusal}"
    );

    // Further writes are refused the same way, the session lives on. (One
    // may fit again: a failed write gives back what it had taken, and the
    // server's own files shrink at times, so an OK is allowed, and then
    // must be kept like any other.)
    for i in 0..3 {
        let raw = big(&format!("more-{i}"));
        match c.append(&format!("B{i}"), &raw).await {
            Outcome::Refused(t) => assert!(t.contains(" NO [OVERQUOTA]"), "{t}"),
            Outcome::Ok(uid) => {
                acked.insert(uid, raw);
            }
            Outcome::Lost => panic!("the connection was dropped on a full disk"),
        }
    }
    c.cmd_ok("S SELECT INBOX").await;
    let copy = c
        .cmd("K UID COPY 1:* Other")
        .await
        .expect("connection kept");
    let tagged = &copy.last().unwrap().text;
    assert!(
        tagged.starts_with("K OK") || tagged.starts_with("K NO"),
        "COPY on a full disk: {tagged}"
    );
    assert!(server.alive(), "the server died on a full disk");

    // Reads keep working, and everything acknowledged is there.
    check(port, &acked).await;
    let r = c.cmd_ok("N NOOP").await;
    assert!(!r.is_empty());

    // Space returns: writes succeed again on the same connection.
    fs.resize("64m");
    let mut resumed = None;
    for i in 0..20 {
        let raw = big(&format!("after-{i}"));
        if let Outcome::Ok(uid) = c.append(&format!("R{i}"), &raw).await {
            acked.insert(uid, raw);
            resumed = Some(i);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        resumed.is_some(),
        "writes did not resume once space returned"
    );
    for i in 0..5 {
        let raw = big(&format!("later-{i}"));
        match c.append(&format!("M{i}"), &raw).await {
            Outcome::Ok(uid) => {
                acked.insert(uid, raw);
            }
            other => panic!("APPEND after space returned: {other:?}"),
        }
    }
    check(port, &acked).await;

    // And after a restart (a SIGKILL: nothing flushed on the way out).
    drop(c);
    server.kill();
    server.start().await;
    check(port, &acked).await;
    let mut c = login(port).await;
    let raw = big("after-restart");
    assert!(
        matches!(c.append("Z", &raw).await, Outcome::Ok(_)),
        "APPEND after the restart:\n{}",
        server.log()
    );
}
