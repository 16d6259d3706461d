//! Issue 16, "kill -9 loop": a `hadron serve` is SIGKILLed at a
//! random moment while several clients write (APPEND, STORE, EXPUNGE, MOVE,
//! CREATE and RENAME), then restarted, over and over. Every client keeps a
//! journal of what the server acknowledged; after each restart a fresh
//! session must find:
//!
//! - every acknowledged APPEND, with its exact bytes, its UID and its
//!   acknowledged flags, unless an acknowledged EXPUNGE or MOVE took it;
//! - nothing acknowledged as expunged or moved away;
//! - for a command the kill cut off, either its before or its after, never
//!   anything else (no duplicate, no half-moved message, no other bytes);
//! - no UID of a mailbox ever naming two different messages, across all
//!   cycles;
//! - STATUS counters equal to a recount of the messages;
//! - acknowledged mailbox renames, and for a cut-off one either name.
//!
//! It runs on SQLite, and on PostgreSQL (bodies in the database) when
//! `HADRON_TEST_PG` is set. `HADRON_KILL_CYCLES` (default 10),
//! `HADRON_KILL_WRITERS` (default 4) and `HADRON_KILL_SEED` set the run;
//! `cargo xtask reliability kill9` runs the long version (100 cycles, 20
//! writers) on a release build.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::process::Command;
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
const RESPONSE: Duration = Duration::from_secs(10);

/// A number from the environment, or `default`.
fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift64*), so that a failing seed
/// can be replayed.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// An operation sent whose tagged response never came (the kill cut it).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Flag,
    Expunge,
    Move,
}

/// What a writer knows of one message it appended.
#[derive(Debug, Clone)]
struct Known {
    bytes: Vec<u8>,
    /// Where it is, as last acknowledged (or found after a restart).
    mailbox: String,
    uid: u32,
    /// `\Flagged` acknowledged.
    flagged: bool,
    /// An acknowledged EXPUNGE took it.
    expunged: bool,
    pending: Option<Pending>,
}

/// One writer's journal: its messages by label, the APPENDs it sent
/// without an answer, its mailboxes, and every UID ever seen per mailbox.
#[derive(Default)]
struct Journal {
    known: BTreeMap<String, Known>,
    unanswered: HashMap<String, Vec<u8>>,
    /// Created (acknowledged) and not yet renamed: its name.
    created: Option<String>,
    /// A RENAME from the first name to the second, cut off.
    renaming: Option<(String, String)>,
    /// Names an acknowledged RENAME gave.
    renamed: Vec<String>,
    /// Per mailbox, which label each UID ever named.
    uid_owner: HashMap<String, HashMap<u32, String>>,
    next_label: u64,
    acked_ops: u64,
    /// Commands the kills cut off (APPEND, STORE, EXPUNGE, MOVE, RENAME).
    cut: u64,
}

impl Journal {
    fn own_uid(&mut self, mailbox: &str, uid: u32, label: &str) {
        let owners = self.uid_owner.entry(mailbox.to_owned()).or_default();
        if let Some(before) = owners.insert(uid, label.to_owned()) {
            assert_eq!(before, label, "UID {uid} of {mailbox} reused");
        }
    }
}

/// The label in a message's `Message-ID: <label@faults.example.org>`.
fn label_of(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let rest = text.split("Message-ID: <").nth(1).expect("a Message-ID");
    rest.split('@').next().unwrap().to_owned()
}

/// `tag UID ...` for one UID, the tagged answer (or `None` if cut off).
async fn uid_cmd(c: &mut Imap, line: String) -> Option<Vec<Response>> {
    let tag = line.split(' ').next().unwrap().to_owned();
    let r = c.cmd(&line).await.ok()?;
    assert!(
        r.last().unwrap().text.starts_with(&format!("{tag} OK")),
        "{line:?} refused: {r:?}"
    );
    Some(r)
}

/// Writes until the connection dies, journaling every acknowledgement.
async fn write(port: u16, me: usize, j: &mut Journal, mut rng: Rng) {
    let home = format!("w{me}");
    let archive = format!("w{me}-archive");
    let Ok(mut c) = Imap::connect(port).await else {
        return;
    };
    if c.cmd("L LOGIN alice secret").await.is_err()
        || c.cmd(&format!("S SELECT {home}")).await.is_err()
    {
        return;
    }
    let mut tag = 0u64;
    loop {
        tag += 1;
        let t = format!("T{tag}");
        let live: Vec<String> = j
            .known
            .iter()
            .filter(|(_, k)| !k.expunged && k.mailbox == home)
            .map(|(l, _)| l.clone())
            .collect();
        let pick = rng.below(100);
        if pick < 50 || live.is_empty() {
            let label = format!("w{me}-m{}", j.next_label);
            j.next_label += 1;
            let bytes = message(&label);
            j.unanswered.insert(label.clone(), bytes.clone());
            let mut cmd = format!("{t} APPEND {home} {{{}+}}\r\n", bytes.len()).into_bytes();
            cmd.extend_from_slice(&bytes);
            cmd.extend_from_slice(b"\r\n");
            if !c.send(&cmd).await {
                return;
            }
            let Ok(r) = c.until_tagged(&t).await else {
                return;
            };
            let Outcome::Ok(uid) = outcome(r.last().unwrap()) else {
                panic!("APPEND refused: {r:?}");
            };
            j.unanswered.remove(&label);
            j.own_uid(&home, uid, &label);
            j.known.insert(
                label,
                Known {
                    bytes,
                    mailbox: home.clone(),
                    uid,
                    flagged: false,
                    expunged: false,
                    pending: None,
                },
            );
        } else if pick < 90 {
            let label = live[rng.below(live.len() as u64) as usize].clone();
            let uid = j.known[&label].uid;
            let (op, lines) = if pick < 70 {
                (
                    Pending::Flag,
                    vec![format!("{t} UID STORE {uid} +FLAGS.SILENT (\\Flagged)")],
                )
            } else if pick < 82 {
                (
                    Pending::Expunge,
                    vec![
                        format!("{t}a UID STORE {uid} +FLAGS.SILENT (\\Deleted)"),
                        format!("{t}b UID EXPUNGE {uid}"),
                    ],
                )
            } else {
                (Pending::Move, vec![format!("{t} UID MOVE {uid} {archive}")])
            };
            j.known.get_mut(&label).unwrap().pending = Some(op.clone());
            let mut last = None;
            for line in lines {
                match uid_cmd(&mut c, line).await {
                    Some(r) => last = Some(r),
                    None => return,
                }
            }
            let k = j.known.get_mut(&label).unwrap();
            k.pending = None;
            match op {
                Pending::Flag => k.flagged = true,
                Pending::Expunge => k.expunged = true,
                Pending::Move => {
                    // `* OK [COPYUID v src dst]` names the new UID.
                    let text = last
                        .unwrap()
                        .iter()
                        .find_map(|r| r.text.split("[COPYUID ").nth(1).map(str::to_owned))
                        .expect("MOVE without COPYUID");
                    let uid: u32 = text.split([' ', ']']).nth(2).unwrap().parse().unwrap();
                    k.mailbox = archive.clone();
                    k.uid = uid;
                    j.own_uid(&archive, uid, &label);
                }
            }
        } else if let Some(from) = j.created.clone() {
            let to = format!("w{me}-r{}", j.next_label);
            j.next_label += 1;
            j.renaming = Some((from.clone(), to.clone()));
            if uid_cmd(&mut c, format!("{t} RENAME {from} {to}"))
                .await
                .is_none()
            {
                return;
            }
            j.renaming = None;
            j.created = None;
            j.renamed.push(to);
        } else {
            let name = format!("w{me}-t{}", j.next_label);
            j.next_label += 1;
            // A CREATE cut off may or may not have happened: the name is
            // unique, and it is only journaled once acknowledged.
            if uid_cmd(&mut c, format!("{t} CREATE {name}"))
                .await
                .is_none()
            {
                return;
            }
            j.created = Some(name);
        }
        j.acked_ops += 1;
    }
}

/// Every message of `mailbox` with its flags and bytes, and its STATUS.
async fn read_mailbox(c: &mut Imap, mailbox: &str) -> Vec<(u32, String, Vec<u8>)> {
    let status = c
        .cmd_ok(&format!("ST STATUS {mailbox} (MESSAGES UNSEEN)"))
        .await;
    let status = status
        .iter()
        .find(|r| r.text.starts_with("* STATUS"))
        .unwrap()
        .text
        .clone();
    c.cmd_ok(&format!("S EXAMINE {mailbox}")).await;
    let r = c.cmd_ok("F UID FETCH 1:* (UID FLAGS BODY.PEEK[])").await;
    let mut out = Vec::new();
    for resp in r.iter().filter(|r| r.text.contains(" FETCH (")) {
        let uid = uid_of(&resp.text).expect("a UID");
        let flags = resp
            .text
            .split("FLAGS (")
            .nth(1)
            .and_then(|f| f.split(')').next())
            .unwrap_or("")
            .to_owned();
        out.push((uid, flags, resp.literals[0].clone()));
    }
    // Counters equal a recount.
    let unseen = out.iter().filter(|(_, f, _)| !f.contains("\\Seen")).count();
    assert_eq!(
        status_item(&status, "MESSAGES"),
        out.len() as u64,
        "{status}"
    );
    assert_eq!(status_item(&status, "UNSEEN"), unseen as u64, "{status}");
    out
}

/// Checks one writer's journal against what a fresh session sees, and
/// settles what the kill left uncertain to what was found.
async fn verify(port: u16, me: usize, j: &mut Journal) {
    let home = format!("w{me}");
    let archive = format!("w{me}-archive");
    let mut c = Imap::connect(port).await.expect("connect after restart");
    c.cmd_ok("L LOGIN alice secret").await;

    let listed: HashSet<String> = c
        .cmd_ok(&format!("LI LIST \"\" w{me}*"))
        .await
        .iter()
        .filter_map(|r| {
            r.text
                .rsplit(' ')
                .next()
                .map(|n| n.trim_matches('"').to_owned())
        })
        .collect();
    for name in &j.renamed {
        assert!(
            listed.contains(name),
            "acknowledged RENAME to {name} lost: {listed:?}"
        );
    }
    j.cut += j.unanswered.len() as u64
        + j.known.values().filter(|k| k.pending.is_some()).count() as u64
        + u64::from(j.renaming.is_some());
    if let Some((from, to)) = j.renaming.take() {
        match (listed.contains(&from), listed.contains(&to)) {
            (true, false) => j.created = Some(from),
            (false, true) => {
                j.created = None;
                j.renamed.push(to);
            }
            other => panic!("a cut-off RENAME {from} -> {to} left {other:?}"),
        }
    } else if let Some(name) = &j.created {
        assert!(listed.contains(name), "acknowledged CREATE {name} lost");
    }

    let mut found: HashMap<String, (String, u32, String, Vec<u8>)> = HashMap::new();
    for mailbox in [&home, &archive] {
        for (uid, flags, bytes) in read_mailbox(&mut c, mailbox).await {
            let label = label_of(&bytes);
            assert!(
                label.starts_with(&format!("w{me}-")),
                "{label} in {mailbox}"
            );
            j.own_uid(mailbox, uid, &label);
            let again = found.insert(label.clone(), (mailbox.clone(), uid, flags, bytes));
            assert!(again.is_none(), "{label} found twice");
        }
    }

    for (label, k) in j.known.iter_mut() {
        let here = found.remove(label);
        match (&k.pending, here) {
            (_, Some((_, _, _, bytes))) if bytes != k.bytes => {
                panic!("{label}: other bytes after the restart")
            }
            (None, None) => assert!(k.expunged, "acknowledged {label} lost"),
            (None, Some((mailbox, uid, flags, _))) => {
                assert!(!k.expunged, "{label} expunged (acknowledged) but back");
                assert_eq!((&mailbox, uid), (&k.mailbox, k.uid), "{label} moved");
                assert_eq!(flags.contains("\\Flagged"), k.flagged, "{label}: {flags}");
            }
            (Some(Pending::Expunge), None) => k.expunged = true,
            (Some(Pending::Move), None) | (Some(Pending::Flag), None) => {
                panic!("{label} lost by a cut-off {:?}", k.pending)
            }
            (Some(op), Some((mailbox, uid, flags, _))) => {
                if *op == Pending::Move && mailbox == archive {
                    (k.mailbox, k.uid) = (mailbox, uid);
                } else {
                    assert_eq!((&mailbox, uid), (&k.mailbox, k.uid), "{label} moved");
                }
                if *op != Pending::Flag {
                    assert_eq!(flags.contains("\\Flagged"), k.flagged, "{label}: {flags}");
                }
                k.flagged = flags.contains("\\Flagged");
            }
        }
        k.pending = None;
    }
    // What is left was never acknowledged: an APPEND the kill cut off
    // that committed, with the bytes that were sent.
    for (label, (mailbox, uid, flags, bytes)) in found {
        let sent = j
            .unanswered
            .remove(&label)
            .unwrap_or_else(|| panic!("{label} in {mailbox} was never sent"));
        assert_eq!(bytes, sent, "{label}: other bytes");
        j.known.insert(
            label,
            Known {
                bytes,
                mailbox,
                uid,
                flagged: flags.contains("\\Flagged"),
                expunged: false,
                pending: None,
            },
        );
    }
    j.unanswered.clear();
    // Messages expunged under a deferred \Deleted flag (a STORE
    // acknowledged, its EXPUNGE cut off) stay flagged \Deleted; that is
    // their before-state and harmless to the next cycle.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_acknowledged_on_sqlite() {
    kill_loop(None).await;
}

/// The same with PostgreSQL as the database (bodies in it too); skipped
/// without `HADRON_TEST_PG`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_acknowledged_on_postgres() {
    let Some(db) = hadron_store::testing::PgTestDatabase::create("hadron_kill") else {
        eprintln!("skipped: HADRON_TEST_PG is not set");
        return;
    };
    kill_loop(Some(db.url())).await;
}

async fn kill_loop(database: Option<&str>) {
    let cycles = setting("HADRON_KILL_CYCLES", 10);
    let writers = setting("HADRON_KILL_WRITERS", 4) as usize;
    let seed = setting("HADRON_KILL_SEED", 0x5EED_1616);
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = Command::new(HADRON)
        .args(["user", "add", "alice", "--password", "secret", "--data-dir"])
        .arg(&data)
        .args(database.iter().flat_map(|url| ["--database", url]))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut server = Server::new(
        ports::unclaimable_port(),
        data,
        database.map(str::to_owned),
        dir.path().join("hadron.log"),
    );
    server.start().await;
    {
        let mut c = Imap::connect(server.port).await.unwrap();
        c.cmd_ok("L LOGIN alice secret").await;
        for me in 0..writers {
            c.cmd_ok(&format!("C1 CREATE w{me}")).await;
            c.cmd_ok(&format!("C2 CREATE w{me}-archive")).await;
        }
    }
    let mut journals: Vec<Journal> = (0..writers).map(|_| Journal::default()).collect();
    let mut slowest = Duration::ZERO;
    for cycle in 0..cycles {
        let kill_after = Duration::from_millis(30 + rng.below(470));
        let mut tasks = Vec::new();
        for (me, mut j) in journals.drain(..).enumerate() {
            let (port, r) = (server.port, Rng(rng.next() | 1));
            tasks.push(tokio::spawn(async move {
                write(port, me, &mut j, r).await;
                j
            }));
        }
        tokio::time::sleep(kill_after).await;
        server.kill();
        for t in tasks {
            journals.push(t.await.expect("a writer panicked"));
        }
        let restart = server.start().await;
        slowest = slowest.max(restart);
        for (me, j) in journals.iter_mut().enumerate() {
            verify(server.port, me, j).await;
        }
        eprintln!(
            "cycle {cycle}: killed after {kill_after:?}, restarted in {restart:?}, \
             {} acknowledged writes and {} cut off so far, {} messages",
            journals.iter().map(|j| j.acked_ops).sum::<u64>(),
            journals.iter().map(|j| j.cut).sum::<u64>(),
            journals
                .iter()
                .map(|j| j.known.values().filter(|k| !k.expunged).count())
                .sum::<usize>(),
        );
    }
    eprintln!(
        "{}: {cycles} cycles, {writers} writers, seed {seed:#x}: 0 lost, 0 corrupt, \
         slowest restart {slowest:?}",
        if database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    assert!(journals.iter().map(|j| j.acked_ops).sum::<u64>() > cycles);
}
