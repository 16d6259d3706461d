//! The part map: where each MIME entity's header and body lie in the raw
//! message, computed once at ingest and stored next to the blob.
//!
//! Section extraction ([`super::section`]) and SEARCH text extraction
//! ([`super::text`]) need only this map plus the byte ranges it names —
//! never a re-parse of the message. The map is small (a few bytes per
//! part) and has a versioned binary form ([`PartMap::to_bytes`],
//! [`PartMap::from_bytes`]) for the store.

use thiserror::Error;

use super::transfer::TransferEncoding;

/// Deepest nesting of multiparts and message/rfc822 the parser descends
/// into; deeper entities are leaves. Bounds recursion on hostile mail.
pub const MAX_DEPTH: usize = 64;

/// What an entity contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartContent {
    /// A single part that is not message/rfc822.
    Leaf,
    /// A multipart with its parts (at least one).
    Multipart(Vec<PartNode>),
    /// A message/rfc822 part: the embedded message's root entity, whose
    /// header is the embedded message's header.
    Message(Box<PartNode>),
}

/// One MIME entity: offsets into the raw message.
///
/// `header_start..body_start` is the header block including its
/// terminating empty line; `body_start..body_end` the body (for a part of a
/// multipart, up to but excluding the line ending that precedes the next
/// boundary, RFC 2046 §5.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartNode {
    /// Offset of the entity's first header byte.
    pub header_start: u32,
    /// Offset of the first body byte (the header's end).
    pub body_start: u32,
    /// Offset just past the body.
    pub body_end: u32,
    /// The body's Content-Transfer-Encoding.
    pub encoding: TransferEncoding,
    /// For `text/*` parts, the charset parameter (empty when absent);
    /// `None` for every other type.
    pub text_charset: Option<Box<str>>,
    /// Children, if any.
    pub content: PartContent,
}

impl PartNode {
    /// The header range (with its terminating empty line).
    pub fn header(&self) -> std::ops::Range<usize> {
        self.header_start as usize..self.body_start as usize
    }

    /// The body range.
    pub fn body(&self) -> std::ops::Range<usize> {
        self.body_start as usize..self.body_end as usize
    }
}

/// The part map of a message: its root entity (header = the message
/// header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartMap {
    /// The message itself.
    pub root: PartNode,
}

/// A stored part map could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PartMapError {
    /// The bytes end early or hold an invalid value.
    #[error("malformed part map at byte {0}")]
    Malformed(usize),
    /// The format version is not one this code reads.
    #[error("unsupported part map version {0}")]
    Version(u8),
}

const VERSION: u8 = 1;

fn put_varint(out: &mut Vec<u8>, mut n: u32) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, PartMapError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(PartMapError::Malformed(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u32, PartMapError> {
        let mut n: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(n).map_err(|_| PartMapError::Malformed(self.pos));
            }
        }
        Err(PartMapError::Malformed(self.pos))
    }
}

impl PartMap {
    /// The compact binary form: a version byte, then each node in
    /// pre-order as varints (header start, header length, body length), a
    /// tag byte (content kind, encoding, text flag), the charset and the
    /// child count or embedded node.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![VERSION];
        write_node(&mut out, &self.root);
        out
    }

    /// Reads the form written by [`PartMap::to_bytes`], checking that
    /// offsets nest properly.
    pub fn from_bytes(bytes: &[u8]) -> Result<PartMap, PartMapError> {
        let mut r = Reader { bytes, pos: 0 };
        let v = r.byte()?;
        if v != VERSION {
            return Err(PartMapError::Version(v));
        }
        let root = read_node(&mut r, 0, 0, u32::MAX)?;
        if r.pos != bytes.len() {
            return Err(PartMapError::Malformed(r.pos));
        }
        Ok(PartMap { root })
    }
}

fn write_node(out: &mut Vec<u8>, n: &PartNode) {
    put_varint(out, n.header_start);
    put_varint(out, n.body_start - n.header_start);
    put_varint(out, n.body_end - n.body_start);
    let kind = match n.content {
        PartContent::Leaf => 0,
        PartContent::Multipart(_) => 1,
        PartContent::Message(_) => 2,
    };
    let text = u8::from(n.text_charset.is_some());
    out.push(kind | n.encoding.to_byte() << 2 | text << 4);
    if let Some(cs) = &n.text_charset {
        put_varint(out, cs.len() as u32);
        out.extend_from_slice(cs.as_bytes());
    }
    match &n.content {
        PartContent::Leaf => {}
        PartContent::Multipart(parts) => {
            put_varint(out, parts.len() as u32);
            for p in parts {
                write_node(out, p);
            }
        }
        PartContent::Message(inner) => write_node(out, inner),
    }
}

fn read_node(r: &mut Reader<'_>, depth: usize, lo: u32, hi: u32) -> Result<PartNode, PartMapError> {
    let at = r.pos;
    let bad = || PartMapError::Malformed(at);
    if depth > MAX_DEPTH + 1 {
        return Err(bad());
    }
    let header_start = r.varint()?;
    let body_start = header_start.checked_add(r.varint()?).ok_or_else(bad)?;
    let body_end = body_start.checked_add(r.varint()?).ok_or_else(bad)?;
    if header_start < lo || body_end > hi {
        return Err(bad());
    }
    let tag = r.byte()?;
    let encoding = TransferEncoding::from_byte((tag >> 2) & 0x3).ok_or_else(bad)?;
    if tag >> 5 != 0 {
        return Err(bad());
    }
    let text_charset = if tag & 0x10 != 0 {
        let len = r.varint()? as usize;
        let end = r.pos.checked_add(len).ok_or_else(bad)?;
        let cs = r.bytes.get(r.pos..end).ok_or_else(bad)?;
        let cs = std::str::from_utf8(cs).map_err(|_| bad())?;
        r.pos = end;
        Some(cs.into())
    } else {
        None
    };
    let content = match tag & 0x3 {
        0 => PartContent::Leaf,
        1 => {
            let count = r.varint()?;
            if count == 0 {
                return Err(bad());
            }
            let mut parts = Vec::new();
            let mut lo = body_start;
            for _ in 0..count {
                let p = read_node(r, depth + 1, lo, body_end)?;
                lo = p.body_end;
                parts.push(p);
            }
            PartContent::Multipart(parts)
        }
        2 => PartContent::Message(Box::new(read_node(r, depth + 1, body_start, body_end)?)),
        _ => return Err(bad()),
    };
    Ok(PartNode {
        header_start,
        body_start,
        body_end,
        encoding,
        text_charset,
        content,
    })
}
