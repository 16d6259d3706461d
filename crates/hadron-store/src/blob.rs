//! Message bodies: content-addressed blob storage on disk or in the database.

use std::fs::{self, File};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::store::{Store, now_secs};

/// The content hash under which a body is stored: lowercase hex SHA-256.
pub fn content_hash(data: &[u8]) -> String {
    hex(&Sha256::digest(data).into())
}

/// Lowercase hex of a SHA-256 digest.
pub(crate) fn hex(digest: &[u8; 32]) -> String {
    let mut s = String::with_capacity(64);
    for &b in digest {
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    s
}

fn valid_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The bytes of `range` of a whole body (fewer where it ends first).
fn cut(mut all: Vec<u8>, range: Range<u64>) -> Vec<u8> {
    let end = usize::try_from(range.end)
        .unwrap_or(usize::MAX)
        .min(all.len());
    let start = usize::try_from(range.start).unwrap_or(usize::MAX).min(end);
    all.truncate(end);
    all.drain(..start);
    all
}

/// Where message bodies live. Identical bodies are stored once.
///
/// Protocol: `put` the body (durable when it returns), then commit the message row that names
/// the hash. [`BlobStore::collect`] removes blobs that no committed row references and that
/// were not stored or re-used within the grace period — so a body whose row is still being
/// committed is never removed, as long as that commit takes less than the grace period.
pub trait BlobStore: Send + Sync {
    /// Stores `data` durably and returns its hash ([`content_hash`]).
    fn put(&self, data: &[u8]) -> Result<String>;
    /// Stores every body of `batch` durably and returns their hashes, in order. The provided
    /// version calls [`BlobStore::put`] for each; implementations override it to make the
    /// batch durable at once (one round of syncs rather than one per body).
    fn put_many(&self, batch: &[&[u8]]) -> Result<Vec<String>> {
        batch.iter().map(|data| self.put(data)).collect()
    }
    /// Reads a body; [`StoreError::BlobNotFound`] if there is none.
    fn get(&self, hash: &str) -> Result<Vec<u8>>;
    /// Reads the bytes of `range` of a body (fewer where the body ends first), so a FETCH of
    /// one section or a partial does not read the whole message. The provided version reads
    /// the whole body and cuts it; implementations override it to read only the range.
    fn get_range(&self, hash: &str, range: Range<u64>) -> Result<Vec<u8>> {
        Ok(cut(self.get(hash)?, range))
    }
    /// Removes the blobs older than `grace` that no message row of `store` references;
    /// returns how many were removed.
    fn collect(&self, store: &Store, grace: Duration) -> Result<usize>;
}

/// Blobs as files under a directory: `ROOT/ab/abcdef…` (SHA-256 hex), written to
/// `ROOT/tmp`, fsynced, renamed into place and the directory fsynced.
#[derive(Debug)]
pub struct FsBlobStore {
    root: PathBuf,
    /// Serialises "refresh or create the final file" in `put` against "check age and unlink"
    /// in `collect`, so a blob `put` has just vouched for is never unlinked behind its back.
    gate: Mutex<()>,
    counter: AtomicU64,
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

impl FsBlobStore {
    /// Opens (creating if needed) a blob directory.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(root.join("tmp"))?;
        Ok(Self {
            root,
            gate: Mutex::new(()),
            counter: AtomicU64::new(0),
        })
    }

    fn path_of(&self, hash: &str) -> PathBuf {
        self.root.join(&hash[..2]).join(hash)
    }

    fn gate(&self) -> std::sync::MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every stored hash.
    pub(crate) fn hashes(&self) -> Result<Vec<String>> {
        Ok(self.entries()?.into_iter().map(|(h, _)| h).collect())
    }

    /// Every stored hash with its modification time.
    fn entries(&self) -> Result<Vec<(String, SystemTime)>> {
        let mut out = Vec::new();
        for shard in fs::read_dir(&self.root)? {
            let shard = shard?;
            let name = shard.file_name();
            let name = name.to_string_lossy();
            if name.len() != 2 || !shard.file_type()?.is_dir() {
                continue;
            }
            for f in fs::read_dir(shard.path())? {
                let f = f?;
                let hash = f.file_name().to_string_lossy().into_owned();
                if valid_hash(&hash) {
                    out.push((hash, f.metadata()?.modified()?));
                }
            }
        }
        Ok(out)
    }
}

/// New blobs in one [`FsBlobStore::put_many`] from which one flush of the
/// filesystem (two: contents, then names) is cheaper than a sync per file
/// and directory.
const SYNCFS_MIN: usize = 64;

/// Threads that wait on fsyncs at once in [`FsBlobStore::put_many`]: concurrent syncs share
/// the filesystem's journal commits instead of queueing for one each.
const SYNC_THREADS: usize = 16;

/// Runs `sync` on every item, on up to [`SYNC_THREADS`] threads; the first error wins.
fn sync_all_parallel<T: Sync>(items: &[T], sync: impl Fn(&T) -> Result<()> + Sync) -> Result<()> {
    if items.len() <= 1 {
        return items.iter().try_for_each(&sync);
    }
    let per_thread = items.len().div_ceil(SYNC_THREADS);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| scope.spawn(|| chunk.iter().try_for_each(&sync)))
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("fsync thread panicked").into()))
            })
            .collect::<Result<Vec<()>>>()
            .map(drop)
    })
}

impl FsBlobStore {
    /// Refreshes the age of the stored blob `hash` if there is one (so collection spares it
    /// while the row naming it commits); `false` when it must be written.
    fn reuse(&self, path: &Path) -> Result<bool> {
        let _g = self.gate();
        match File::options().write(true).open(path) {
            Ok(f) => {
                f.set_modified(SystemTime::now())?;
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes `data` to a fresh file under `tmp/`, not yet synced.
    fn write_tmp(&self, hash: &str, data: &[u8]) -> Result<(PathBuf, File)> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{hash}.{}.{n}", std::process::id()));
        let mut f = File::create(&tmp)?;
        f.write_all(data)?;
        Ok((tmp, f))
    }

    /// Flushes the whole filesystem holding the blobs (`syncfs(2)`): for a
    /// large batch, one flush instead of one per file and directory. Linux
    /// only; elsewhere an error, and the caller syncs file by file.
    fn sync_filesystem(&self) -> Result<()> {
        #[cfg(target_os = "linux")]
        {
            let root = File::open(&self.root)?;
            rustix::fs::syncfs(&root).map_err(std::io::Error::from)?;
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(std::io::Error::from(ErrorKind::Unsupported).into())
        }
    }

    /// Moves written temporary files into place, creating the shard
    /// directories missing; syncs nothing. Returns the shards touched and
    /// whether one of them is new.
    fn rename_into_place(&self, moves: &[(PathBuf, PathBuf)]) -> Result<(Vec<PathBuf>, bool)> {
        // At most 256 shards: a set keeps a large batch linear.
        let shards: Vec<PathBuf> = moves
            .iter()
            .map(|(_, path)| path.parent().unwrap_or(&self.root).to_owned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut new_shard = false;
        for shard in &shards {
            if !shard.exists() {
                fs::create_dir_all(shard)?;
                new_shard = true;
            }
        }
        let _g = self.gate();
        for (tmp, path) in moves {
            fs::rename(tmp, path)?;
        }
        Ok((shards, new_shard))
    }

    /// Moves synced temporary files into place, then syncs the directories that changed.
    fn publish(&self, moves: &[(PathBuf, PathBuf)]) -> Result<()> {
        let (shards, new_shard) = self.rename_into_place(moves)?;
        if new_shard {
            sync_dir(&self.root)?;
        }
        sync_all_parallel(&shards, |d| sync_dir(d))
    }
}

impl BlobStore for FsBlobStore {
    fn put(&self, data: &[u8]) -> Result<String> {
        let hash = content_hash(data);
        let path = self.path_of(&hash);
        if self.reuse(&path)? {
            return Ok(hash);
        }
        let (tmp, f) = self.write_tmp(&hash, data)?;
        f.sync_all()?;
        drop(f);
        self.publish(&[(tmp, path)])?;
        Ok(hash)
    }

    /// Writes every new body, syncs them all at once (on several threads, so the syncs share
    /// journal commits), moves them into place and syncs each directory touched once; from
    /// 64 new bodies on, two flushes of the filesystem (`syncfs`, Linux) do the syncing instead.
    fn put_many(&self, batch: &[&[u8]]) -> Result<Vec<String>> {
        let mut hashes = Vec::with_capacity(batch.len());
        let mut written: Vec<(PathBuf, File, PathBuf)> = Vec::new();
        let mut pending = std::collections::HashSet::new();
        for data in batch {
            let hash = content_hash(data);
            let path = self.path_of(&hash);
            // A body twice in one batch is written once.
            if pending.insert(hash.clone()) && !self.reuse(&path)? {
                let (tmp, f) = self.write_tmp(&hash, data)?;
                written.push((tmp, f, path));
            }
            hashes.push(hash);
        }
        // A large batch: its contents are made durable (one flush of the
        // filesystem) before any name points at them, and the renames (and
        // new shard directories) before the caller commits rows naming them.
        let flush_once = written.len() >= SYNCFS_MIN && self.sync_filesystem().is_ok();
        if !flush_once {
            sync_all_parallel(&written, |(_, f, _)| Ok(f.sync_all()?))?;
        }
        let moves: Vec<(PathBuf, PathBuf)> = written
            .into_iter()
            .map(|(tmp, _, path)| (tmp, path))
            .collect();
        if flush_once {
            self.rename_into_place(&moves)?;
            self.sync_filesystem()?;
        } else {
            self.publish(&moves)?;
        }
        Ok(hashes)
    }

    fn get(&self, hash: &str) -> Result<Vec<u8>> {
        if !valid_hash(hash) {
            return Err(StoreError::BlobNotFound(hash.to_owned()));
        }
        match fs::read(self.path_of(hash)) {
            Ok(d) => Ok(d),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                Err(StoreError::BlobNotFound(hash.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn get_range(&self, hash: &str, range: Range<u64>) -> Result<Vec<u8>> {
        if !valid_hash(hash) {
            return Err(StoreError::BlobNotFound(hash.to_owned()));
        }
        let mut file = match File::open(self.path_of(hash)) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(StoreError::BlobNotFound(hash.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        let len = range.end.saturating_sub(range.start);
        file.seek(SeekFrom::Start(range.start))?;
        let mut out = Vec::with_capacity(usize::try_from(len.min(1 << 20)).unwrap_or(0));
        file.take(len).read_to_end(&mut out)?;
        Ok(out)
    }

    fn collect(&self, store: &Store, grace: Duration) -> Result<usize> {
        let cutoff = SystemTime::now()
            .checked_sub(grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        // Leftover temporary files of interrupted puts.
        for f in fs::read_dir(self.root.join("tmp"))? {
            let f = f?;
            if f.metadata()?.modified()? < cutoff {
                let _ = fs::remove_file(f.path());
            }
        }
        let old: Vec<String> = self
            .entries()?
            .into_iter()
            .filter(|(_, t)| *t < cutoff)
            .map(|(h, _)| h)
            .collect();
        let referenced: std::collections::HashSet<String> =
            store.referenced_hashes(&old)?.into_iter().collect();
        let mut removed = 0;
        for hash in old.iter().filter(|h| !referenced.contains(*h)) {
            let path = self.path_of(hash);
            let _g = self.gate();
            // Re-check the age under the gate: a put may have re-used it meanwhile.
            match fs::metadata(&path).and_then(|m| m.modified()) {
                Ok(t) if t < cutoff => {
                    fs::remove_file(&path)?;
                    removed += 1;
                }
                _ => {}
            }
        }
        Ok(removed)
    }
}

/// Blobs in the database's `blobs` table (for PostgreSQL deployments whose instances do not
/// share a disk). Writes go through the store's durable write path.
#[derive(Debug, Clone)]
pub struct DbBlobStore {
    store: Store,
}

impl DbBlobStore {
    /// Blob storage in `store`'s database.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

impl BlobStore for DbBlobStore {
    fn put(&self, data: &[u8]) -> Result<String> {
        let hash = content_hash(data);
        self.store.blob_put(vec![(hash.clone(), data.to_vec())])?;
        Ok(hash)
    }

    /// The whole batch in one transaction: one commit (and one sync) for a MULTIAPPEND.
    fn put_many(&self, batch: &[&[u8]]) -> Result<Vec<String>> {
        let bodies: Vec<(String, Vec<u8>)> = batch
            .iter()
            .map(|data| (content_hash(data), data.to_vec()))
            .collect();
        let hashes = bodies.iter().map(|(h, _)| h.clone()).collect();
        if !bodies.is_empty() {
            self.store.blob_put(bodies)?;
        }
        Ok(hashes)
    }

    fn get(&self, hash: &str) -> Result<Vec<u8>> {
        self.store
            .blob_get(hash)?
            .ok_or_else(|| StoreError::BlobNotFound(hash.to_owned()))
    }

    fn get_range(&self, hash: &str, range: Range<u64>) -> Result<Vec<u8>> {
        // SQL offsets are 32-bit; bodies are far below 2 GiB (the literal limit), and a
        // range beyond that falls back to reading the body whole.
        let (Ok(start), Ok(len)) = (
            i32::try_from(range.start),
            i32::try_from(range.end.saturating_sub(range.start)),
        ) else {
            return Ok(cut(self.get(hash)?, range));
        };
        self.store
            .blob_get_range(hash, start, len)?
            .ok_or_else(|| StoreError::BlobNotFound(hash.to_owned()))
    }

    fn collect(&self, _store: &Store, grace: Duration) -> Result<usize> {
        // One statement: age and reference are checked atomically with the delete.
        let cutoff = now_secs().saturating_sub(grace.as_secs() as i64);
        self.store.blob_collect(cutoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            content_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(valid_hash(&content_hash(b"")));
        assert!(!valid_hash("../etc/passwd"));
    }
}
