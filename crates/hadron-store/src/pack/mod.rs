//! Small bodies appended to shared pack files: one write and one `fdatasync` per batch instead
//! of a file (create, write, fsync, rename, directory fsync) per body.
//!
//! A pack (`ROOT/packs/NNNNNNNN.pack`) is written by one process at a time, which holds an
//! exclusive lock on it while it is that process's *active* pack. Every record carries its
//! length, the time it was written and its SHA-256, so a scan can tell a whole record from one
//! torn by a crash. When the active pack reaches its size limit, or the store is dropped, the
//! writer *seals* it: it writes the pack's index (`NNNNNNNN.idx`) and never appends to it
//! again. A pack left unsealed
//! by a process that died is scanned, cut after its last whole record and sealed by the next
//! process that opens the store. See [`format`] for the bytes.
//!
//! Reading: an in-memory map from the first 8 bytes of each hash to the record's place (the
//! rare hashes that share those bytes with another are kept whole in an overflow map); the
//! record's header holds the whole hash and is checked on every read. A body not in the map is
//! looked for as a loose file (the layout of [`FsBlobStore`], used for bodies of 1 MiB and
//! more and for every body stored before packs), then in packs other processes wrote since the
//! map was built.
//!
//! Several processes (a server and `hadron import`, say) may store into one directory: each
//! appends to its own pack, and none re-uses a body another stored (every `put` writes a new
//! record), so a record only collection may remove is one no process has vouched for within
//! the grace period. Collection marks unreferenced records dead (`NNNNNNNN.dead`) and
//! compacts a sealed pack once less than half of it is alive: its live records are copied to
//! the collector's active pack and synced before the old pack is unlinked.

mod append;
mod collect;
mod format;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use self::format::{Digest32, Entry, HEADER};
use crate::blob::{BlobStore, FsBlobStore, hex, sync_dir};
use crate::error::{Result, StoreError};
use crate::store::{Store, now_secs};

/// Sizes that decide where a body goes. The defaults suit a mail server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackLimits {
    /// A pack is sealed once it holds this many bytes (256 MiB).
    pub pack_bytes: u64,
    /// Bodies of this many bytes and more are stored as loose files (1 MiB).
    pub loose_from: usize,
}

impl Default for PackLimits {
    fn default() -> Self {
        Self {
            pack_bytes: 256 << 20,
            loose_from: 1 << 20,
        }
    }
}

/// The map key of a hash: its first 8 bytes (the record's header holds all 32, and two
/// hashes that share a key are told apart by [`Index::overflow`]).
fn key_of(hash: &Digest32) -> u64 {
    u64::from_le_bytes([
        hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7],
    ])
}

/// Where a record is: 12 bytes, so a million bodies cost the map 21–42 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    pack: u32,
    offset: u32,
    len: u32,
}

/// A pack this process knows.
#[derive(Debug)]
struct Pack {
    file: Arc<File>,
    /// Its index exists: nothing is appended any more.
    sealed: bool,
    /// Bytes of it already scanned (an unsealed pack of another process grows).
    scanned: u64,
}

/// What is known of the packs on disk.
#[derive(Debug, Default)]
struct Index {
    /// Records by the first 8 bytes of their hash.
    map: HashMap<u64, Loc>,
    /// Records whose key another hash's record holds in `map` (by whole hash; almost
    /// always empty).
    overflow: HashMap<Digest32, Loc>,
    packs: BTreeMap<u32, Pack>,
}

impl Index {
    /// The hash in the header of the record at `loc`, if it can be read.
    fn hash_at(&self, loc: Loc) -> Option<Digest32> {
        let file = &self.packs.get(&loc.pack)?.file;
        let mut h = [0u8; HEADER];
        file.read_exact_at(&mut h, u64::from(loc.offset)).ok()?;
        format::parse_header(&h).map(|h| h.2)
    }

    /// Adds the records of pack `id` (already in `packs`), but not those marked dead; a hash
    /// found twice keeps its last record.
    fn add(&mut self, id: u32, entries: &[Entry], dead: &HashSet<u32>) {
        for e in entries.iter().filter(|e| !dead.contains(&e.offset)) {
            let loc = Loc {
                pack: id,
                offset: e.offset,
                len: e.len,
            };
            let key = key_of(&e.hash);
            match self.map.get(&key).copied() {
                Some(held) if self.hash_at(held).is_some_and(|h| h != e.hash) => {
                    self.overflow.insert(e.hash, loc);
                }
                _ => {
                    self.map.insert(key, loc);
                }
            }
        }
    }

    /// The record of `hash`, if known.
    fn get(&self, hash: &Digest32) -> Option<Loc> {
        if !self.overflow.is_empty()
            && let Some(loc) = self.overflow.get(hash)
        {
            return Some(*loc);
        }
        self.map.get(&key_of(hash)).copied()
    }

    /// Forgets the record `loc` of `hash` if it is the one known.
    fn remove(&mut self, hash: &Digest32, loc: Loc) {
        if self.overflow.get(hash) == Some(&loc) {
            self.overflow.remove(hash);
        } else if self.map.get(&key_of(hash)) == Some(&loc) {
            self.map.remove(&key_of(hash));
        }
    }

    /// Forgets pack `id` and every record in it.
    fn forget(&mut self, id: u32) {
        if self.packs.remove(&id).is_some() {
            self.map.retain(|_, l| l.pack != id);
            self.overflow.retain(|_, l| l.pack != id);
        }
    }
}

/// This process's pack being written, locked against every other writer.
#[derive(Debug)]
struct Active {
    id: u32,
    /// The locked handle appends go through.
    file: File,
    len: u64,
    /// Its records, for its index when sealed.
    entries: Vec<Entry>,
}

/// Content-addressed bodies in pack files, with large ones as loose files. See the module
/// documentation for the layout and the rules that keep several writing processes safe.
#[derive(Debug)]
pub struct PackBlobStore {
    dir: PathBuf,
    loose: FsBlobStore,
    limits: PackLimits,
    index: RwLock<Index>,
    /// The pack appends go to; `None` until the first one.
    active: Mutex<Option<Active>>,
    /// Appends of concurrent callers, written and synced together.
    group: append::Group,
}

fn pack_name(id: u32, ext: &str) -> String {
    format!("{id:08}.{ext}")
}

/// The ids of the packs in `dir`.
fn pack_ids(dir: &Path) -> Result<Vec<u32>> {
    let mut ids = Vec::new();
    for f in fs::read_dir(dir)? {
        let name = f?.file_name();
        let name = name.to_string_lossy();
        if let Some(id) = name.strip_suffix(".pack").and_then(|n| n.parse().ok()) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The contents of the file at `path`, or `None` if there is none.
fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn decode_hex(hash: &str) -> Option<Digest32> {
    if hash.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hash.as_bytes().chunks_exact(2).enumerate() {
        let nib = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        };
        out[i] = nib(pair[0])? << 4 | nib(pair[1])?;
    }
    Some(out)
}

fn now32() -> u32 {
    u32::try_from(now_secs()).unwrap_or(u32::MAX)
}

impl PackBlobStore {
    /// Opens (creating if needed) a blob directory with the default [`PackLimits`]; bodies
    /// stored as files by [`FsBlobStore`] in it stay readable.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        Self::with_limits(root, PackLimits::default())
    }

    /// Opens a blob directory with the given limits. Seals the unsealed packs of processes
    /// that are gone (cutting a record torn by a crash) and loads every pack's records.
    pub fn with_limits(root: impl Into<PathBuf>, limits: PackLimits) -> Result<Self> {
        let root = root.into();
        let loose = FsBlobStore::open(&root)?;
        let dir = root.join("packs");
        fs::create_dir_all(&dir)?;
        let store = Self {
            dir,
            loose,
            limits,
            index: RwLock::new(Index::default()),
            active: Mutex::new(None),
            group: append::Group::default(),
        };
        store.refresh()?;
        Ok(store)
    }

    fn path(&self, id: u32, ext: &str) -> PathBuf {
        self.dir.join(pack_name(id, ext))
    }

    fn read_index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_index(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_active(&self) -> MutexGuard<'_, Option<Active>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The offsets of pack `id` marked dead whose records (in `entries`) match their marks.
    fn dead_offsets(&self, id: u32, entries: &[Entry]) -> Result<HashSet<u32>> {
        let Some(bytes) = read_if_exists(&self.path(id, "dead"))? else {
            return Ok(HashSet::new());
        };
        let by_offset: HashMap<u32, &Entry> = entries.iter().map(|e| (e.offset, e)).collect();
        Ok(format::decode_marks(&bytes)
            .into_iter()
            .filter(|(off, prefix)| by_offset.get(off).is_some_and(|e| &e.hash[..8] == prefix))
            .map(|(off, _)| off)
            .collect())
    }

    /// The records of sealed pack `id` from its index, if the index is whole.
    fn sealed_entries(&self, id: u32) -> Result<Option<Vec<Entry>>> {
        Ok(read_if_exists(&self.path(id, "idx"))?.and_then(|b| format::decode_index(&b)))
    }

    /// Writes the index of pack `id` (durably) and thereby seals it.
    fn seal(&self, id: u32, entries: &[Entry]) -> Result<()> {
        let tmp = self.path(id, "idx.tmp");
        let mut f = File::create(&tmp)?;
        f.write_all(&format::encode_index(entries))?;
        f.sync_all()?;
        fs::rename(&tmp, self.path(id, "idx"))?;
        sync_dir(&self.dir)
    }

    /// Brings the index up to date with the directory: packs that are gone (compacted) are
    /// forgotten, new ones loaded, and unsealed ones of other processes scanned further. An
    /// unsealed pack nobody holds (its writer died) is cut after its last whole record and
    /// sealed.
    fn refresh(&self) -> Result<()> {
        let on_disk = pack_ids(&self.dir)?;
        let own = self.lock_active().as_ref().map(|a| a.id);
        let mut index = self.write_index();
        let gone: Vec<u32> = index
            .packs
            .keys()
            .copied()
            .filter(|id| on_disk.binary_search(id).is_err())
            .collect();
        for id in gone {
            index.forget(id);
        }
        for id in on_disk {
            if Some(id) == own || index.packs.get(&id).is_some_and(|p| p.sealed) {
                continue;
            }
            let file = match File::options()
                .read(true)
                .write(true)
                .open(self.path(id, "pack"))
            {
                Ok(f) => f,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            if let Some(entries) = self.sealed_entries(id)? {
                let dead = self.dead_offsets(id, &entries)?;
                index.forget(id);
                let scanned = file.metadata()?.len();
                index.packs.insert(
                    id,
                    Pack {
                        file: Arc::new(file),
                        sealed: true,
                        scanned,
                    },
                );
                index.add(id, &entries, &dead);
                continue;
            }
            let orphan = file.try_lock().is_ok();
            let from = index.packs.get(&id).map_or(0, |p| p.scanned);
            let (entries, end) = format::scan(&file, from)?;
            let dead = self.dead_offsets(id, &entries)?;
            if orphan {
                // Its writer is gone: nothing more will come. Cut what a crash tore
                // and seal it (every record, from the start, goes into the index).
                file.set_len(end)?;
                file.sync_all()?;
                if from == 0 {
                    self.seal(id, &entries)?;
                } else {
                    self.seal(id, &format::scan(&file, 0)?.0)?;
                }
                let _ = file.unlock();
            }
            index.packs.insert(
                id,
                Pack {
                    file: Arc::new(file),
                    sealed: orphan,
                    scanned: end,
                },
            );
            index.add(id, &entries, &dead);
        }
        Ok(())
    }

    /// Creates and locks a new pack, past every id on disk.
    fn new_active(&self) -> Result<Active> {
        let mut id = pack_ids(&self.dir)?.last().map_or(1, |l| l + 1);
        loop {
            match File::options()
                .read(true)
                .append(true)
                .create_new(true)
                .open(self.path(id, "pack"))
            {
                Ok(file) => {
                    if file.try_lock().is_err() || self.path(id, "idx").exists() {
                        // Another process took it between its creation and the lock,
                        // or sealed it as an orphan: never append to a sealed pack.
                        id += 1;
                        continue;
                    }
                    sync_dir(&self.dir)?;
                    let reader = File::open(self.path(id, "pack"))?;
                    self.write_index().packs.insert(
                        id,
                        Pack {
                            file: Arc::new(reader),
                            sealed: false,
                            scanned: 0,
                        },
                    );
                    return Ok(Active {
                        id,
                        file,
                        len: 0,
                        entries: Vec::new(),
                    });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => id += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The record of `hash` in a pack, with the pack's file, if the map knows one.
    fn locate(&self, hash: &Digest32) -> Option<(Loc, Arc<File>)> {
        let index = self.read_index();
        let loc = index.get(hash)?;
        let file = index.packs.get(&loc.pack)?.file.clone();
        Some((loc, file))
    }

    /// Reads `range` of the record of `hash` from packs, checking its header; `None` if the
    /// packs known now do not hold it.
    fn read_packed(&self, hash: &Digest32, range: Range<u64>) -> Result<Option<Vec<u8>>> {
        let Some((loc, file)) = self.locate(hash) else {
            return Ok(None);
        };
        let start = range.start.min(u64::from(loc.len));
        let end = range.end.clamp(start, u64::from(loc.len));
        let base = u64::from(loc.offset);
        if start == 0 {
            // Header and data in one read.
            let mut buf = vec![0u8; HEADER + (end as usize)];
            file.read_exact_at(&mut buf, base)?;
            if format::parse_header(&buf).map(|h| h.2) != Some(*hash) {
                return Ok(None);
            }
            buf.drain(..HEADER);
            return Ok(Some(buf));
        }
        let mut h = [0u8; HEADER];
        file.read_exact_at(&mut h, base)?;
        if format::parse_header(&h).map(|h| h.2) != Some(*hash) {
            return Ok(None);
        }
        let mut buf = vec![0u8; (end - start) as usize];
        file.read_exact_at(&mut buf, base + HEADER as u64 + start)?;
        Ok(Some(buf))
    }

    /// Reads `range` of a body: packs, loose files, then packs other processes wrote since.
    fn read(&self, hash: &str, range: Range<u64>) -> Result<Vec<u8>> {
        let Some(digest) = decode_hex(hash) else {
            return Err(StoreError::BlobNotFound(hash.to_owned()));
        };
        if let Some(data) = self.read_packed(&digest, range.clone())? {
            return Ok(data);
        }
        match self.loose.get_range(hash, range.clone()) {
            Err(StoreError::BlobNotFound(_)) => {}
            other => return other,
        }
        self.refresh()?;
        self.read_packed(&digest, range)?
            .ok_or_else(|| StoreError::BlobNotFound(hash.to_owned()))
    }

    /// Every body stored, live (not marked dead), as hashes: for checks and statistics.
    pub fn hashes(&self) -> Result<Vec<String>> {
        self.refresh()?;
        let mut out: HashSet<String> = self.loose.hashes()?.into_iter().collect();
        for (id, entries) in self.pack_entries()? {
            let dead = self.dead_offsets(id, &entries)?;
            out.extend(
                entries
                    .iter()
                    .filter(|e| !dead.contains(&e.offset))
                    .map(|e| hex(&e.hash)),
            );
        }
        Ok(out.into_iter().collect())
    }

    /// Every pack's records with its id: from its index when sealed, from this process's
    /// memory for its active pack, from a scan for another process's.
    fn pack_entries(&self) -> Result<Vec<(u32, Vec<Entry>)>> {
        let active = self.lock_active();
        let own = active.as_ref().map(|a| (a.id, a.entries.clone()));
        drop(active);
        let packs: Vec<(u32, bool, Arc<File>)> = self
            .read_index()
            .packs
            .iter()
            .map(|(id, p)| (*id, p.sealed, p.file.clone()))
            .collect();
        let mut out = Vec::with_capacity(packs.len());
        for (id, sealed, file) in packs {
            let entries = match &own {
                Some((own_id, e)) if *own_id == id => e.clone(),
                _ if sealed => match self.sealed_entries(id)? {
                    Some(e) => e,
                    None => format::scan(&file, 0)?.0,
                },
                _ => format::scan(&file, 0)?.0,
            };
            out.push((id, entries));
        }
        Ok(out)
    }
}

impl BlobStore for PackBlobStore {
    fn put(&self, data: &[u8]) -> Result<String> {
        Ok(self.put_many(&[data])?.remove(0))
    }

    /// Small bodies are appended to the active pack with one write and one `fdatasync` for
    /// the batch; large ones go to loose files ([`FsBlobStore::put_many`]).
    fn put_many(&self, batch: &[&[u8]]) -> Result<Vec<String>> {
        let written = now32();
        let mut hashes = Vec::with_capacity(batch.len());
        let mut small: Vec<(Digest32, u32, &[u8])> = Vec::new();
        let mut large: Vec<&[u8]> = Vec::new();
        let mut seen = HashSet::new();
        for data in batch {
            let digest: Digest32 = Sha256::digest(data).into();
            hashes.push(hex(&digest));
            if data.len() >= self.limits.loose_from {
                large.push(data);
            } else if seen.insert(digest) {
                small.push((digest, written, data));
            }
        }
        self.append(&small)?;
        if !large.is_empty() {
            self.loose.put_many(&large)?;
        }
        Ok(hashes)
    }

    fn get(&self, hash: &str) -> Result<Vec<u8>> {
        self.read(hash, 0..u64::MAX)
    }

    fn get_range(&self, hash: &str, range: Range<u64>) -> Result<Vec<u8>> {
        self.read(hash, range)
    }

    fn collect(&self, store: &Store, grace: Duration) -> Result<usize> {
        collect::collect(self, store, grace)
    }
}

impl Drop for PackBlobStore {
    /// Seals this process's active pack, so the next opener reads its index instead of
    /// scanning and hashing it (a process that dies leaves that to the next opener).
    fn drop(&mut self) {
        if let Some(active) = self.lock_active().take() {
            let _ = self.seal(active.id, &active.entries);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two hashes sharing the map's 8-byte key (crafted: SHA-256 gives none to test with)
    /// are both found, through the overflow, and each is forgotten on its own.
    #[test]
    fn hashes_sharing_a_key_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000001.pack");
        let (a, b) = ([7u8; 32], {
            let mut b = [7u8; 32];
            b[31] = 8;
            b
        });
        assert_eq!(key_of(&a), key_of(&b));
        let mut bytes = format::header(1, 0, &a).to_vec();
        bytes.push(b'a');
        bytes.extend_from_slice(&format::header(1, 0, &b));
        bytes.push(b'b');
        fs::write(&path, &bytes).unwrap();
        let mut index = Index::default();
        index.packs.insert(
            1,
            Pack {
                file: Arc::new(File::open(&path).unwrap()),
                sealed: true,
                scanned: bytes.len() as u64,
            },
        );
        let entry = |offset: usize, hash| Entry {
            offset: offset as u32,
            len: 1,
            written: 0,
            hash,
        };
        index.add(1, &[entry(0, a), entry(HEADER + 1, b)], &HashSet::new());
        let (la, lb) = (index.get(&a).unwrap(), index.get(&b).unwrap());
        assert_eq!((la.offset, lb.offset), (0, HEADER as u32 + 1));
        assert_eq!(index.overflow.len(), 1);
        // The same record again (a rescan) does not go to the overflow.
        index.add(1, &[entry(HEADER + 1, b)], &HashSet::new());
        assert_eq!(index.overflow.len(), 1);
        index.remove(&b, lb);
        assert!(index.get(&b).is_none_or(|l| l == la), "b forgotten");
        assert_eq!(index.get(&a), Some(la));
        index.remove(&a, la);
        assert_eq!(index.get(&a), None);
    }
}
