//! Pack files: bodies survive reopening, crashes that tear a record, other processes writing
//! beside, and compaction; loose files (large bodies and those stored before packs) stay
//! readable.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::msg;
use hadron_store::{
    BlobStore, FsBlobStore, PackBlobStore, PackLimits, StoreError, SystemFlags, content_hash,
};

/// Limits that seal a pack every few bodies.
const TINY: PackLimits = PackLimits {
    pack_bytes: 400,
    loose_from: 1000,
};

fn bodies(n: usize, tag: &str) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{tag} body number {i} {}", "x".repeat(i % 7)).into_bytes())
        .collect()
}

fn put_all(store: &PackBlobStore, bodies: &[Vec<u8>]) -> Vec<String> {
    let batch: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    store.put_many(&batch).unwrap()
}

fn files(dir: &Path, ext: &str) -> usize {
    fs::read_dir(dir.join("packs"))
        .unwrap()
        .filter(|f| {
            f.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(ext)
        })
        .count()
}

fn only_pack(dir: &Path) -> std::path::PathBuf {
    let packs: Vec<_> = fs::read_dir(dir.join("packs"))
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    assert_eq!(packs.len(), 1, "{packs:?}");
    packs[0].clone()
}

#[test]
fn bodies_round_trip_across_reopening_and_sealing() {
    let dir = tempfile::tempdir().unwrap();
    let data = bodies(40, "a");
    let hashes = {
        let store = PackBlobStore::with_limits(dir.path(), TINY).unwrap();
        let mut hashes = put_all(&store, &data[..20]);
        // One at a time too: each put rolls over a full pack.
        for d in &data[20..] {
            hashes.push(store.put(d).unwrap());
        }
        for (d, h) in data.iter().zip(&hashes) {
            assert_eq!(*h, content_hash(d));
            assert_eq!(store.get(h).unwrap(), *d);
            assert_eq!(store.get_range(h, 2..6).unwrap(), d[2..6]);
            assert_eq!(store.get_range(h, 3..10_000).unwrap(), d[3..]);
            assert_eq!(store.get_range(h, 500..600).unwrap(), b"");
        }
        hashes
    };
    assert!(files(dir.path(), ".idx") >= 2, "full packs were sealed");
    let store = PackBlobStore::open(dir.path()).unwrap();
    for (d, h) in data.iter().zip(&hashes) {
        assert_eq!(store.get(h).unwrap(), *d, "after reopening");
    }
    // Every pack is sealed: dropping the store sealed its active pack.
    assert_eq!(files(dir.path(), ".idx"), files(dir.path(), ".pack"));
    let mut listed = store.hashes().unwrap();
    listed.sort();
    let mut want = hashes.clone();
    want.sort();
    assert_eq!(listed, want);
    assert!(matches!(
        store.get(&"0".repeat(64)),
        Err(StoreError::BlobNotFound(_))
    ));
    assert!(matches!(
        store.get("not a hash"),
        Err(StoreError::BlobNotFound(_))
    ));
}

#[test]
fn a_record_torn_by_a_crash_is_cut_and_never_served() {
    for tear in ["short header", "data cut short", "zeroed data"] {
        let dir = tempfile::tempdir().unwrap();
        let data = bodies(5, "t");
        let hashes = {
            let store = PackBlobStore::open(dir.path()).unwrap();
            put_all(&store, &data)
        };
        // What a crash in the middle of the next append can leave at the end of the pack
        // (a process that dies does not seal its pack as dropping the store did).
        let pack = only_pack(dir.path());
        fs::remove_file(pack.with_extension("idx")).unwrap();
        let whole = fs::metadata(&pack).unwrap().len();
        let torn_body = b"the body that was being written".to_vec();
        let torn_hash = content_hash(&torn_body);
        let mut record = Vec::new();
        record.extend_from_slice(b"HBK1");
        record.extend_from_slice(&(torn_body.len() as u32).to_le_bytes());
        record.extend_from_slice(&0u32.to_le_bytes());
        record.extend_from_slice(&hex_to_bytes(&torn_hash));
        match tear {
            "short header" => record.truncate(20),
            "data cut short" => record.extend_from_slice(&torn_body[..10]),
            _ => record.extend_from_slice(&vec![0; torn_body.len()]),
        }
        fs::OpenOptions::new()
            .append(true)
            .open(&pack)
            .unwrap()
            .write_all(&record)
            .unwrap();

        let store = PackBlobStore::open(dir.path()).unwrap();
        assert_eq!(fs::metadata(&pack).unwrap().len(), whole, "{tear}: cut");
        for (d, h) in data.iter().zip(&hashes) {
            assert_eq!(store.get(h).unwrap(), *d, "{tear}");
        }
        assert!(
            matches!(store.get(&torn_hash), Err(StoreError::BlobNotFound(_))),
            "{tear}: a torn record is not served"
        );
        // Storing it again works, in a new pack (the cut one is sealed).
        assert_eq!(store.put(&torn_body).unwrap(), torn_hash);
        assert_eq!(store.get(&torn_hash).unwrap(), torn_body);
    }
}

fn hex_to_bytes(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

#[test]
fn two_writers_on_one_directory_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    // Two opens of one directory lock like two processes (a lock is per open file).
    let a = PackBlobStore::open(dir.path()).unwrap();
    let b = PackBlobStore::open(dir.path()).unwrap();
    let from_a = put_all(&a, &bodies(10, "from a"));
    let from_b = put_all(&b, &bodies(10, "from b"));
    assert_eq!(files(dir.path(), ".pack"), 2, "one active pack each");
    for (i, h) in from_a.iter().enumerate() {
        assert_eq!(b.get(h).unwrap(), bodies(10, "from a")[i], "b reads a's");
    }
    for (i, h) in from_b.iter().enumerate() {
        assert_eq!(a.get(h).unwrap(), bodies(10, "from b")[i], "a reads b's");
    }
    // A third open leaves both active packs alone (their writers are alive).
    let c = PackBlobStore::open(dir.path()).unwrap();
    assert_eq!(files(dir.path(), ".idx"), 0);
    assert_eq!(c.get(&from_b[3]).unwrap(), bodies(10, "from b")[3]);
    drop((a, b));
    let _ = PackBlobStore::open(dir.path()).unwrap();
    assert_eq!(files(dir.path(), ".idx"), 2, "writers gone: sealed");
}

#[test]
fn collection_marks_orphans_dead_and_compacts_mostly_dead_packs() {
    let db = common::sqlite();
    let s = db.store();
    let u = s.create_user("u", "h").unwrap();
    let mb = s.create_mailbox(u, "INBOX", None).unwrap().id;
    let dir = tempfile::tempdir().unwrap();
    let store = PackBlobStore::with_limits(dir.path(), TINY).unwrap();
    let data = bodies(30, "c");
    // Batches of five: a batch goes into one pack, and a full pack is sealed.
    let hashes: Vec<String> = data.chunks(5).flat_map(|b| put_all(&store, b)).collect();
    let packs_before = files(dir.path(), ".pack");
    assert!(packs_before >= 3);
    // Every third body is a message's.
    let kept: Vec<usize> = (0..30).step_by(3).collect();
    let messages = kept
        .iter()
        .map(|&i| {
            let mut m = msg(i as u32, SystemFlags::from_bits_truncate(0), &[]);
            m.meta.content_hash = hashes[i].clone();
            m
        })
        .collect();
    s.append(mb, messages).unwrap();
    assert_eq!(
        store.collect(s, Duration::from_secs(3600)).unwrap(),
        0,
        "grace"
    );
    assert_eq!(store.collect(s, Duration::ZERO).unwrap(), 20);
    for (i, h) in hashes.iter().enumerate() {
        let got = store.get(h);
        if kept.contains(&i) {
            assert_eq!(got.unwrap(), data[i]);
        } else {
            assert!(matches!(got, Err(StoreError::BlobNotFound(_))), "{i}");
        }
    }
    // Two thirds dead: the sealed packs were rewritten into fewer.
    assert!(files(dir.path(), ".pack") < packs_before);
    assert_eq!(store.collect(s, Duration::ZERO).unwrap(), 0, "nothing more");
    drop(store);
    let store = PackBlobStore::with_limits(dir.path(), TINY).unwrap();
    let mut listed = store.hashes().unwrap();
    listed.sort();
    let mut want: Vec<String> = kept.iter().map(|&i| hashes[i].clone()).collect();
    want.sort();
    assert_eq!(
        listed, want,
        "after reopening: exactly the referenced bodies"
    );
    for &i in &kept {
        assert_eq!(store.get(&hashes[i]).unwrap(), data[i]);
    }
}

#[test]
fn large_and_older_bodies_live_in_loose_files() {
    let dir = tempfile::tempdir().unwrap();
    let old = FsBlobStore::open(dir.path())
        .unwrap()
        .put(b"stored before packs")
        .unwrap();
    let store = PackBlobStore::with_limits(dir.path(), TINY).unwrap();
    assert_eq!(store.get(&old).unwrap(), b"stored before packs");
    assert_eq!(store.get_range(&old, 7..13).unwrap(), b"before");
    let large = vec![b'L'; 5000];
    let h = store.put(&large).unwrap();
    assert!(dir.path().join(&h[..2]).join(&h).exists(), "a loose file");
    assert_eq!(store.get(&h).unwrap(), large);
    let mut listed = store.hashes().unwrap();
    listed.sort();
    let mut want = vec![old, h];
    want.sort();
    assert_eq!(listed, want);
}

#[test]
fn a_body_twice_in_a_batch_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = PackBlobStore::open(dir.path()).unwrap();
    let hashes = store
        .put_many(&[b"same".as_slice(), b"other", b"same"])
        .unwrap();
    assert_eq!(hashes[0], hashes[2]);
    let pack = only_pack(dir.path());
    // Two records of 44-byte headers: "same" and "other".
    assert_eq!(fs::metadata(pack).unwrap().len(), 44 * 2 + 4 + 5);
    assert_eq!(store.put_many(&[]).unwrap(), Vec::<String>::new());
}

#[test]
fn concurrent_writers_and_readers_share_the_active_pack() {
    let dir = tempfile::tempdir().unwrap();
    // Small packs, so that concurrent batches also roll over and seal.
    let limits = PackLimits {
        pack_bytes: 8 << 10,
        loose_from: 1 << 20,
    };
    let store = PackBlobStore::with_limits(dir.path(), limits).unwrap();
    let written: Vec<Vec<(String, Vec<u8>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|t| {
                let store = &store;
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for round in 0..25 {
                        let data = bodies(1 + round % 4, &format!("thread {t} round {round}"));
                        let hashes = put_all(store, &data);
                        // What this thread wrote reads back at once, from any thread.
                        for (h, d) in hashes.iter().zip(&data) {
                            assert_eq!(store.get(h).unwrap(), *d);
                        }
                        mine.extend(hashes.into_iter().zip(data));
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let all: Vec<(String, Vec<u8>)> = written.into_iter().flatten().collect();
    // 25 rounds of 1, 2, 3, 4, 1, … bodies: 61 per thread.
    assert_eq!(all.len(), 8 * 61);
    drop(store);
    let store = PackBlobStore::with_limits(dir.path(), limits).unwrap();
    for (h, d) in &all {
        assert_eq!(store.get(h).unwrap(), *d, "after reopening");
    }
    assert!(files(dir.path(), ".pack") > 1, "rolled over");
}
