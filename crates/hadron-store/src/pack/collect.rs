//! Collection of pack records: dead marks for what no row references, and compaction of
//! sealed packs that are mostly dead.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::FileExt;
use std::time::Duration;

use super::format::{self, Digest32, Entry, HEADER};
use super::{PackBlobStore, now32, pack_ids};
use crate::blob::{BlobStore, hex, sync_dir};
use crate::error::Result;
use crate::store::Store;

/// Bytes of live records copied per append while compacting.
const COPY_BATCH: u64 = 16 << 20;

/// See [`BlobStore::collect`]: loose files as [`crate::FsBlobStore`] collects them, then every
/// pack record older than `grace` whose hash no row references is marked dead, and sealed
/// packs less than half alive are compacted. Returns the bodies removed (files and records).
pub(super) fn collect(packs: &PackBlobStore, store: &Store, grace: Duration) -> Result<usize> {
    let removed = packs.loose.collect(store, grace)?;
    packs.refresh()?;
    remove_leftovers(packs)?;
    let cutoff = now32().saturating_sub(u32::try_from(grace.as_secs()).unwrap_or(u32::MAX));
    let own = packs.lock_active().as_ref().map(|a| a.id);
    let mut all = Vec::new();
    let mut candidates: HashSet<Digest32> = HashSet::new();
    for (id, entries) in packs.pack_entries()? {
        let dead = packs.dead_offsets(id, &entries)?;
        candidates.extend(
            entries
                .iter()
                .filter(|e| !dead.contains(&e.offset) && e.written <= cutoff)
                .map(|e| e.hash),
        );
        all.push((id, entries, dead));
    }
    let candidates: Vec<String> = candidates.iter().map(hex).collect();
    let referenced: HashSet<String> = store.referenced_hashes(&candidates)?.into_iter().collect();
    let mut dropped: HashSet<Digest32> = HashSet::new();
    for (id, entries, mut dead) in all {
        let newly: Vec<&Entry> = entries
            .iter()
            .filter(|e| {
                !dead.contains(&e.offset)
                    && e.written <= cutoff
                    && !referenced.contains(&hex(&e.hash))
            })
            .collect();
        if !newly.is_empty() {
            mark_dead(packs, id, &newly)?;
            dropped.extend(newly.iter().map(|e| e.hash));
            dead.extend(newly.iter().map(|e| e.offset));
        }
        let sealed = packs.read_index().packs.get(&id).is_some_and(|p| p.sealed);
        if !sealed || Some(id) == own {
            continue;
        }
        let live: Vec<Entry> = entries
            .into_iter()
            .filter(|e| !dead.contains(&e.offset))
            .collect();
        let live_bytes: u64 = live
            .iter()
            .map(|e| (HEADER as u64) + u64::from(e.len))
            .sum();
        let size = fs::metadata(packs.path(id, "pack")).map_or(0, |m| m.len());
        if live.is_empty() || live_bytes * 2 < size {
            compact(packs, id, &live)?;
        }
    }
    Ok(removed + dropped.len())
}

/// Appends dead marks for `records` of pack `id` and drops them from the map.
fn mark_dead(packs: &PackBlobStore, id: u32, records: &[&Entry]) -> Result<()> {
    let mut bytes = Vec::with_capacity(records.len() * format::MARK);
    for e in records {
        bytes.extend_from_slice(&format::mark(e.offset, &e.hash));
    }
    // Marks are advice (one lost keeps an orphan longer), so they are not synced; one
    // write with O_APPEND keeps writers of other processes from interleaving inside it.
    File::options()
        .create(true)
        .append(true)
        .open(packs.path(id, "dead"))?
        .write_all(&bytes)?;
    let mut index = packs.write_index();
    for e in records {
        let loc = super::Loc {
            pack: id,
            offset: e.offset,
            len: e.len,
        };
        index.remove(&e.hash, loc);
    }
    Ok(())
}

/// Copies the `live` records of sealed pack `id` to this process's active pack (synced), then
/// unlinks the pack, its index and its dead list. Skipped when another process holds the pack
/// (it is compacting it) or it is gone.
fn compact(packs: &PackBlobStore, id: u32, live: &[Entry]) -> Result<()> {
    let file = match File::options()
        .read(true)
        .write(true)
        .open(packs.path(id, "pack"))
    {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if file.try_lock().is_err() {
        return Ok(());
    }
    let mut start = 0;
    while start < live.len() {
        let mut bytes = 0;
        let mut end = start;
        while end < live.len() && (end == start || bytes < COPY_BATCH) {
            bytes += u64::from(live[end].len);
            end += 1;
        }
        let mut data = Vec::with_capacity(end - start);
        for e in &live[start..end] {
            let mut buf = vec![0u8; e.len as usize];
            file.read_exact_at(&mut buf, u64::from(e.offset) + HEADER as u64)?;
            data.push(buf);
        }
        let records: Vec<(Digest32, u32, &[u8])> = live[start..end]
            .iter()
            .zip(&data)
            .map(|(e, d)| (e.hash, e.written, d.as_slice()))
            .collect();
        packs.append(&records)?;
        start = end;
    }
    // The copies are durable: the old pack may go.
    fs::remove_file(packs.path(id, "pack"))?;
    for ext in ["idx", "dead"] {
        match fs::remove_file(packs.path(id, ext)) {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    sync_dir(&packs.dir)?;
    packs.write_index().forget(id);
    Ok(())
}

/// Indexes, dead lists and unfinished indexes whose pack is gone (a compaction interrupted
/// after unlinking its pack).
fn remove_leftovers(packs: &PackBlobStore) -> Result<()> {
    let ids = pack_ids(&packs.dir)?;
    for f in fs::read_dir(&packs.dir)? {
        let name = f?.file_name();
        let name = name.to_string_lossy();
        let Some((stem, _)) = name.split_once('.') else {
            continue;
        };
        if name.ends_with(".pack") {
            continue;
        }
        if let Ok(id) = stem.parse::<u32>()
            && ids.binary_search(&id).is_err()
        {
            let _ = fs::remove_file(packs.dir.join(&*name));
        }
    }
    Ok(())
}
