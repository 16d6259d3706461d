//! Appending to the active pack with group commit: callers that append while another's write
//! and `fdatasync` are in flight are written and synced together by the next one, so eight
//! concurrent deliveries cost one or two syncs, not eight in a row.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::mem;
use std::sync::{Condvar, Mutex, MutexGuard};

use super::format::{self, Digest32, Entry, HEADER};
use super::{Active, PackBlobStore};
use crate::error::{Result, StoreError};

/// One caller's records, encoded, waiting to be written.
#[derive(Debug)]
struct Request {
    ticket: u64,
    /// Headers and data, back to back.
    bytes: Vec<u8>,
    /// The records, with offsets relative to the start of `bytes`.
    entries: Vec<Entry>,
}

#[derive(Debug, Default)]
struct State {
    next_ticket: u64,
    queue: Vec<Request>,
    /// A caller is writing a batch.
    writing: bool,
    /// Outcomes not yet picked up by their callers (an error as its kind and text).
    done: HashMap<u64, std::result::Result<(), (std::io::ErrorKind, String)>>,
}

/// The appends waiting for, or being, written.
#[derive(Debug, Default)]
pub(super) struct Group {
    state: Mutex<State>,
    finished: Condvar,
}

impl Group {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `records` as they go into a pack, with offsets from the start of the bytes.
fn encode(records: &[(Digest32, u32, &[u8])]) -> (Vec<u8>, Vec<Entry>) {
    let total: usize = records.iter().map(|(_, _, d)| HEADER + d.len()).sum();
    let mut bytes = Vec::with_capacity(total);
    let mut entries = Vec::with_capacity(records.len());
    for (hash, written, data) in records {
        let len = u32::try_from(data.len()).expect("small bodies only");
        entries.push(Entry {
            offset: bytes.len() as u32,
            len,
            written: *written,
            hash: *hash,
        });
        bytes.extend_from_slice(&format::header(len, *written, hash));
        bytes.extend_from_slice(data);
    }
    (bytes, entries)
}

impl PackBlobStore {
    /// Appends `records` (hash, written, data) to this process's active pack, durably, and
    /// maps them. Rolls over to a new pack first when the active one is full.
    pub(super) fn append(&self, records: &[(Digest32, u32, &[u8])]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let (bytes, entries) = encode(records);
        let mut state = self.group.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push(Request {
            ticket,
            bytes,
            entries,
        });
        loop {
            if let Some(outcome) = state.done.remove(&ticket) {
                return outcome
                    .map_err(|(kind, text)| StoreError::Io(std::io::Error::new(kind, text)));
            }
            if state.writing {
                state = self
                    .group
                    .finished
                    .wait(state)
                    .unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // Nobody is writing: write everything queued, ours included.
            state.writing = true;
            let batch = mem::take(&mut state.queue);
            drop(state);
            let tickets: Vec<u64> = batch.iter().map(|r| r.ticket).collect();
            let outcome = self.write_batch(batch).map_err(|e| match e {
                StoreError::Io(io) => (io.kind(), io.to_string()),
                other => (std::io::ErrorKind::Other, other.to_string()),
            });
            state = self.group.lock();
            for t in tickets {
                state.done.insert(t, outcome.clone());
            }
            state.writing = false;
            self.group.finished.notify_all();
        }
    }

    /// Writes `batch` to the active pack (a write per caller) with one `fdatasync`, then maps
    /// it.
    fn write_batch(&self, batch: Vec<Request>) -> Result<()> {
        let mut guard = self.lock_active();
        if let Some(a) = guard.as_ref()
            && a.len > 0
            && a.len >= self.limits.pack_bytes
        {
            let full = guard.take().expect("checked above");
            self.seal(full.id, &full.entries)?;
            if let Some(p) = self.write_index().packs.get_mut(&full.id) {
                p.sealed = true;
                p.scanned = full.len;
            }
        }
        if guard.is_none() {
            *guard = Some(self.new_active()?);
        }
        let active: &mut Active = guard.as_mut().expect("set above");
        let total: usize = batch.iter().map(|r| r.bytes.len()).sum();
        if active.len + total as u64 > u64::from(u32::MAX) {
            return Err(StoreError::Io(std::io::Error::other(
                "a pack would pass 4 GiB",
            )));
        }
        let mut entries = Vec::new();
        let mut at = active.len;
        for r in &batch {
            entries.extend(r.entries.iter().map(|e| Entry {
                offset: at as u32 + e.offset,
                ..*e
            }));
            at += r.bytes.len() as u64;
        }
        let file = &mut active.file;
        if let Err(e) = batch
            .iter()
            .try_for_each(|r| file.write_all(&r.bytes))
            .and_then(|()| file.sync_data())
        {
            // Take back what may have been written; if even that fails, leave the pack
            // to the next opener's scan and start a new one.
            if active.file.set_len(active.len).is_err() {
                *guard = None;
            }
            return Err(e.into());
        }
        active.len = at;
        let id = active.id;
        self.write_index().add(id, &entries, &HashSet::new());
        active.entries.extend(entries);
        Ok(())
    }
}
