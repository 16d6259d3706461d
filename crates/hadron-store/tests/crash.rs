//! Crash test: a child process appending batches is killed with SIGKILL at random points, 20
//! times. After every kill the database must reopen without repair, hold every acknowledged
//! write, hold no half batch, have counters that match its rows and blobs for every row, and
//! blob collection must remove only orphans.
//!
//! The child is this same test binary, re-run on the ignored `crash_child` test with
//! `HADRON_CRASH_URL` set (and `HADRON_CRASH_BLOBS`, a directory, for blobs in packs and files; without it
//! the blobs are kept in the database). SQLite with pack and file blobs always; PostgreSQL with
//! database blobs when `HADRON_TEST_PG` is set.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hadron_store::{
    BlobStore, DbBlobStore, FlagOp, MailboxId, PackBlobStore, PackLimits, Store, StoreOptions,
    SystemFlags, UidSet,
};

const BATCH: usize = 5;

/// Small packs, so that the child seals packs and collection compacts them; bodies of 740
/// bytes and more (about half of them) go to loose files.
const LIMITS: PackLimits = PackLimits {
    pack_bytes: 8 << 10,
    loose_from: 740,
};

fn open(url: &str, blob_dir: Option<&Path>) -> (Store, Box<dyn BlobStore>) {
    let store = Store::open(url, &StoreOptions::default()).unwrap();
    let blobs: Box<dyn BlobStore> = match blob_dir {
        Some(dir) => Box::new(PackBlobStore::with_limits(dir, LIMITS).unwrap()),
        None => Box::new(DbBlobStore::new(store.clone())),
    };
    (store, blobs)
}

/// The child: appends batches forever, printing `ACK <uid>...` after each acknowledged one.
#[test]
#[ignore = "run by crash_recovery as a child process"]
fn crash_child() {
    let Ok(url) = std::env::var("HADRON_CRASH_URL") else {
        return;
    };
    let blob_dir = std::env::var("HADRON_CRASH_BLOBS").ok();
    let (store, blobs) = open(&url, blob_dir.as_deref().map(Path::new));
    let user = match store.user_by_name("crash").unwrap() {
        Some((u, _)) => u,
        None => store.create_user("crash", "h").unwrap(),
    };
    let mb = match store.mailbox_by_name(user, "INBOX").unwrap() {
        Some(m) => m.id,
        None => store.create_mailbox(user, "INBOX", None).unwrap().id,
    };
    let pid = std::process::id();
    let mut out = std::io::stdout().lock();
    for round in 0u64.. {
        // An orphan: stored, never referenced.
        blobs
            .put(format!("orphan {pid} {round}").as_bytes())
            .unwrap();
        let mut batch = Vec::new();
        for j in 0..BATCH {
            let body = format!("From: {pid}\r\n\r\nround {round} message {j}\r\n").repeat(20);
            let mut m = common::msg(j as u32, SystemFlags::EMPTY, &["crash"]);
            m.meta.content_hash = blobs.put(body.as_bytes()).unwrap();
            m.meta.size = body.len() as u64;
            batch.push(m);
        }
        let a = store.append(mb, batch).unwrap();
        let uids: Vec<String> = a.uids.iter().map(u32::to_string).collect();
        writeln!(out, "ACK {}", uids.join(" ")).unwrap();
        out.flush().unwrap();
        if round % 3 == 0 {
            let first = a.uids[0];
            store
                .store_flags(
                    mb,
                    &UidSet::range(first, first),
                    FlagOp::Add,
                    SystemFlags::SEEN,
                    &[],
                )
                .unwrap();
        }
    }
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The blobs present: in packs and files under `root`, or rows of the `blobs` table.
fn stored_blobs(url: &str, root: Option<&Path>) -> HashSet<String> {
    use diesel::prelude::*;
    if let Some(root) = root {
        let packs = PackBlobStore::with_limits(root, LIMITS).unwrap();
        return packs.hashes().unwrap().into_iter().collect();
    }
    #[derive(QueryableByName)]
    struct H {
        #[diesel(sql_type = diesel::sql_types::Text)]
        hash: String,
    }
    let mut c = diesel::PgConnection::establish(url).unwrap();
    let rows: Vec<H> = diesel::sql_query("SELECT hash FROM blobs")
        .load(&mut c)
        .unwrap();
    rows.into_iter().map(|h| h.hash).collect()
}

#[test]
fn crash_recovery_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hadron.db").display());
    crash_recovery(&url, Some(&dir.path().join("blobs")));
}

#[test]
fn crash_recovery_postgres() {
    let Some(db) = common::postgres() else { return };
    crash_recovery(&db.url, None);
}

fn crash_recovery(url: &str, blob_dir: Option<&Path>) {
    let exe = std::env::current_exe().unwrap();
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash_recovery seed {seed}");
    let mut acked: HashSet<u32> = HashSet::new();
    for round in 0..20 {
        let mut cmd = Command::new(&exe);
        cmd.args(["crash_child", "--exact", "--ignored", "--nocapture"])
            .env("HADRON_CRASH_URL", url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(d) = blob_dir {
            cmd.env("HADRON_CRASH_BLOBS", d);
        }
        let mut child = cmd.spawn().unwrap();
        let wait_for = xorshift(&mut seed) % 6;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        while seen < wait_for {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.strip_prefix("ACK ") {
                acked.extend(rest.split(' ').map(|u| u.parse::<u32>().unwrap()));
                seen += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(xorshift(&mut seed) % 20_000));
        child.kill().unwrap(); // SIGKILL
        // Acknowledgements printed before the kill landed count too.
        for line in lines.map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("ACK ") {
                acked.extend(rest.split(' ').map(|u| u.parse::<u32>().unwrap()));
            }
        }
        child.wait().unwrap();

        let (store, blobs) = open(url, blob_dir);
        let Some((user, _)) = store.user_by_name("crash").unwrap() else {
            assert!(acked.is_empty());
            continue;
        };
        let Some(mb) = store.mailbox_by_name(user, "INBOX").unwrap() else {
            assert!(acked.is_empty());
            continue;
        };
        let mb: MailboxId = mb.id;
        let rows = store.fetch_flags(mb, &UidSet::all()).unwrap();
        let present: HashSet<u32> = rows.iter().map(|r| r.uid).collect();
        assert!(
            acked.is_subset(&present),
            "round {round}: an acknowledged write was lost"
        );
        assert_eq!(
            rows.len() % BATCH,
            0,
            "round {round}: half a batch is visible"
        );
        assert!(
            rows.iter()
                .enumerate()
                .all(|(i, r)| r.uid as usize == i + 1)
        );
        common::check_counters(&store, mb);
        eprintln!(
            "round {round}: {} acknowledged, {} present",
            acked.len(),
            rows.len()
        );
        let metas = store.fetch_messages(mb, &UidSet::all()).unwrap();
        let referenced: HashSet<String> =
            metas.iter().map(|m| m.meta.content_hash.clone()).collect();
        for h in &referenced {
            assert!(
                blobs.get(h).is_ok(),
                "round {round}: a committed row lost its blob"
            );
        }
        blobs.collect(&store, Duration::ZERO).unwrap();
        let left = stored_blobs(url, blob_dir);
        assert_eq!(
            left, referenced,
            "round {round}: collection kept an orphan or lost a blob"
        );
    }
    assert!(!acked.is_empty(), "the child never acknowledged a write");
}
