//! The bytes of pack files, their indexes and their dead lists.
//!
//! ```text
//! NNNNNNNN.pack  record*            record = header data
//!                                   header = "HBK1" len:u32 written:u32 sha256:[u8; 32]
//! NNNNNNNN.idx   "HBX1" count:u32 entry* sha256-of-the-rest:[u8; 32]
//!                                   entry  = offset:u32 len:u32 written:u32 sha256:[u8; 32]
//! NNNNNNNN.dead  mark*              mark   = offset:u32 sha256-prefix:[u8; 8]
//! ```
//!
//! Integers are little-endian; `written` is seconds since the Unix epoch. A record is valid
//! when its header is whole and its data hashes to the header's hash: that is what a scan
//! checks, so a record torn by a crash is never served. An index is written once, when its
//! pack is sealed, and is trusted only when its trailing hash matches. Dead marks are advice
//! (losing one keeps an orphan a little longer); a mark counts only when the record at its
//! offset has the hash it names.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use sha2::{Digest, Sha256};

/// A SHA-256 digest: the key of a blob.
pub(super) type Digest32 = [u8; 32];

pub(super) const RECORD_MAGIC: &[u8; 4] = b"HBK1";
pub(super) const INDEX_MAGIC: &[u8; 4] = b"HBX1";
/// Bytes of a record header.
pub(super) const HEADER: usize = 44;
/// Bytes of an index entry.
const ENTRY: usize = 44;
/// Bytes of a dead mark.
pub(super) const MARK: usize = 12;
/// Bytes read at once while scanning a pack.
const SCAN_CHUNK: usize = 1 << 20;

/// One record of a pack, as found by a scan or in an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub offset: u32,
    pub len: u32,
    pub written: u32,
    pub hash: Digest32,
}

/// The header of a record holding `len` bytes hashing to `hash`.
pub(super) fn header(len: u32, written: u32, hash: &Digest32) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..4].copy_from_slice(RECORD_MAGIC);
    h[4..8].copy_from_slice(&len.to_le_bytes());
    h[8..12].copy_from_slice(&written.to_le_bytes());
    h[12..].copy_from_slice(hash);
    h
}

/// `(len, written, hash)` of a header, if it is one.
pub(super) fn parse_header(h: &[u8]) -> Option<(u32, u32, Digest32)> {
    if h.len() < HEADER || &h[..4] != RECORD_MAGIC {
        return None;
    }
    let len = u32::from_le_bytes(h[4..8].try_into().ok()?);
    let written = u32::from_le_bytes(h[8..12].try_into().ok()?);
    let hash = h[12..HEADER].try_into().ok()?;
    Some((len, written, hash))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The valid records of `file` from `from` on, and the offset where the valid prefix ends (the
/// first torn or foreign byte, or the end of the file). Every record's data is hashed.
pub(super) fn scan(file: &File, from: u64) -> io::Result<(Vec<Entry>, u64)> {
    let end = file.metadata()?.len();
    let mut at = from;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while at + HEADER as u64 <= end {
        let mut h = [0u8; HEADER];
        file.read_exact_at(&mut h, at)?;
        let Some((len, written, hash)) = parse_header(&h) else {
            break;
        };
        let data_at = at + HEADER as u64;
        let next = data_at + u64::from(len);
        if next > end || next > u64::from(u32::MAX) {
            break;
        }
        let mut hasher = Sha256::new();
        let mut pos = data_at;
        while pos < next {
            let n = usize::try_from(next - pos).map_or(SCAN_CHUNK, |n| n.min(SCAN_CHUNK));
            buf.resize(n, 0);
            file.read_exact_at(&mut buf, pos)?;
            hasher.update(&buf);
            pos += n as u64;
        }
        if hasher.finalize().as_slice() != hash {
            break;
        }
        out.push(Entry {
            offset: at as u32,
            len,
            written,
            hash,
        });
        at = next;
    }
    Ok((out, at))
}

/// The bytes of the index of a pack holding `entries`.
pub(super) fn encode_index(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + entries.len() * ENTRY + 32);
    out.extend_from_slice(INDEX_MAGIC);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in entries {
        out.extend_from_slice(&e.offset.to_le_bytes());
        out.extend_from_slice(&e.len.to_le_bytes());
        out.extend_from_slice(&e.written.to_le_bytes());
        out.extend_from_slice(&e.hash);
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// The entries of an index, if `bytes` is a whole one.
pub(super) fn decode_index(bytes: &[u8]) -> Option<Vec<Entry>> {
    if bytes.len() < 40 || &bytes[..4] != INDEX_MAGIC {
        return None;
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        return None;
    }
    let count = u32_at(body, 4) as usize;
    if body.len() != 8 + count * ENTRY {
        return None;
    }
    Some(
        body[8..]
            .chunks_exact(ENTRY)
            .map(|e| Entry {
                offset: u32_at(e, 0),
                len: u32_at(e, 4),
                written: u32_at(e, 8),
                hash: e[12..].try_into().unwrap_or([0; 32]),
            })
            .collect(),
    )
}

/// The dead mark of a record.
pub(super) fn mark(offset: u32, hash: &Digest32) -> [u8; MARK] {
    let mut m = [0u8; MARK];
    m[..4].copy_from_slice(&offset.to_le_bytes());
    m[4..].copy_from_slice(&hash[..8]);
    m
}

/// The `(offset, hash prefix)` pairs of a dead list (a torn last mark is ignored).
pub(super) fn decode_marks(bytes: &[u8]) -> Vec<(u32, [u8; 8])> {
    bytes
        .chunks_exact(MARK)
        .map(|m| (u32_at(m, 0), m[4..].try_into().unwrap_or([0; 8])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips_and_rejects_damage() {
        let entries = vec![
            Entry {
                offset: 0,
                len: 3,
                written: 7,
                hash: [1; 32],
            },
            Entry {
                offset: 47,
                len: 9,
                written: 8,
                hash: [2; 32],
            },
        ];
        let bytes = encode_index(&entries);
        assert_eq!(decode_index(&bytes), Some(entries));
        let mut bad = bytes.clone();
        bad[10] ^= 1;
        assert_eq!(decode_index(&bad), None);
        assert_eq!(decode_index(&bytes[..bytes.len() - 1]), None);
    }

    #[test]
    fn headers_round_trip() {
        let h = header(5, 9, &[3; 32]);
        assert_eq!(parse_header(&h), Some((5, 9, [3; 32])));
        assert_eq!(parse_header(&[0; HEADER]), None);
    }

    #[test]
    fn a_torn_mark_is_ignored() {
        let mut bytes = mark(4, &[9; 32]).to_vec();
        bytes.extend_from_slice(&[1, 2, 3]);
        assert_eq!(decode_marks(&bytes), vec![(4, [9; 8])]);
    }
}
