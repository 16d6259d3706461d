//! `BINARY[part]<partial>` and `BINARY.SIZE[part]` (RFC 3516 §4.2): a
//! section's content with its Content-Transfer-Encoding removed, found
//! through the part map so that only the part's bytes are read.
//!
//! Which bytes are decoded:
//! - a leaf part (not multipart, not message/rfc822) is its body decoded
//!   by its own Content-Transfer-Encoding (`7bit`, `8bit` and `binary` as
//!   they are, base64 and quoted-printable by the tolerant decoders of
//!   `transfer`); any other encoding has no decoder, which the caller
//!   answers `NO [UNKNOWN-CTE]`;
//! - a composite part (multipart, message/rfc822) and `BINARY[]`, the
//!   whole message, are served as stored: RFC 2045 §6.4 allows composite
//!   entities no encoding but the identity ones, so there is nothing to
//!   remove (RFC 9051 §6.4.5 allows BINARY on leaf parts only; RFC 3516
//!   does not restrict it, and Dovecot answers this way, which imaptest's
//!   `fetch-binary-mime` checks);
//! - a part that does not exist is empty, as its `BODY[part]` is.
//!
//! A partial (`<offset.count>`) counts in the decoded data. BINARY.SIZE
//! decodes in pieces of [`SIZE_CHUNK`] bytes, so its cost in memory is one
//! piece (plus one line of quoted-printable), whatever the part's size.
//!
//! The other direction is APPEND of a `literal8` (RFC 3516 §4.4): a message
//! whose parts hold NUL is stored with those parts encoded in base64
//! ([`storable`]), as §6 asks for the BODY and BODYSTRUCTURE a client of
//! IMAP4rev1 sees; BINARY gives the original bytes back.

use std::ops::Range;

use hadron_proto::types::Part;

use super::header;
use super::partmap::{PartContent, PartMap, PartNode};
use super::section::partial_range;
use super::transfer::{TransferEncoding, b64_value, quoted_printable};

/// Bytes of encoded content read at a time by [`binary_size`].
pub const SIZE_CHUNK: usize = 1024 * 1024;

/// Where the content of `BINARY[part]` lies and how it is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryLocation {
    /// These bytes, to be decoded with this encoding.
    Encoded(Range<usize>, TransferEncoding),
    /// The part names no existing entity: its content is empty.
    Missing,
    /// A leaf whose Content-Transfer-Encoding has no decoder here.
    UnknownEncoding,
}

impl PartMap {
    /// Where the content of `BINARY[part]` lies (`None` is `BINARY[]`).
    pub fn locate_binary(&self, part: Option<&Part>) -> BinaryLocation {
        let Some(part) = part else {
            let whole = 0..self.root.body_end as usize;
            return BinaryLocation::Encoded(whole, TransferEncoding::Identity);
        };
        let Some(node) = self.part(part) else {
            return BinaryLocation::Missing;
        };
        match (&node.content, node.encoding) {
            (PartContent::Leaf, TransferEncoding::Other) => BinaryLocation::UnknownEncoding,
            (PartContent::Leaf, encoding) => BinaryLocation::Encoded(node.body(), encoding),
            _ => BinaryLocation::Encoded(node.body(), TransferEncoding::Identity),
        }
    }
}

/// The content of `BINARY[part]<partial>` of the message whose part map is
/// `map`, reading the message's bytes with `read`; `Ok(None)` when the
/// part's encoding has no decoder (`NO [UNKNOWN-CTE]`). Content that needs
/// no decoding is read only over the partial's range.
///
/// # Errors
/// Whatever `read` fails with.
pub fn read_binary<E>(
    map: &PartMap,
    part: Option<&Part>,
    partial: Option<(u32, u32)>,
    mut read: impl FnMut(Range<usize>) -> Result<Vec<u8>, E>,
) -> Result<Option<Vec<u8>>, E> {
    match map.locate_binary(part) {
        BinaryLocation::Missing => Ok(Some(Vec::new())),
        BinaryLocation::UnknownEncoding => Ok(None),
        BinaryLocation::Encoded(r, TransferEncoding::Identity) => {
            let keep = partial_range(r.len(), partial);
            read(r.start + keep.start..r.start + keep.end).map(Some)
        }
        BinaryLocation::Encoded(r, encoding) => {
            let mut decoded = encoding.decode(&read(r)?);
            let keep = partial_range(decoded.len(), partial);
            decoded.truncate(keep.end);
            decoded.drain(..keep.start);
            Ok(Some(decoded))
        }
    }
}

/// The decoded size of `BINARY[part]` (`BINARY.SIZE[part]`), reading the
/// part at most [`SIZE_CHUNK`] bytes at a time; `Ok(None)` when the part's
/// encoding has no decoder.
///
/// # Errors
/// Whatever `read` fails with.
pub fn binary_size<E>(
    map: &PartMap,
    part: Option<&Part>,
    mut read: impl FnMut(Range<usize>) -> Result<Vec<u8>, E>,
) -> Result<Option<u64>, E> {
    let (range, encoding) = match map.locate_binary(part) {
        BinaryLocation::Missing => return Ok(Some(0)),
        BinaryLocation::UnknownEncoding => return Ok(None),
        BinaryLocation::Encoded(r, TransferEncoding::Identity) => return Ok(Some(r.len() as u64)),
        BinaryLocation::Encoded(r, encoding) => (r, encoding),
    };
    let mut len = DecodedLen::new(encoding);
    let mut at = range.start;
    while at < range.end {
        let end = range.end.min(at.saturating_add(SIZE_CHUNK));
        len.push(&read(at..end)?);
        at = end;
    }
    Ok(Some(len.finish()))
}

/// The length of a part's decoded content, fed its encoded bytes in pieces
/// of any size; equal to the length of `TransferEncoding::decode` of their
/// concatenation.
#[derive(Debug)]
pub struct DecodedLen {
    encoding: TransferEncoding,
    /// Identity: bytes seen. Base64: alphabet characters before the first
    /// `=`. Quoted-printable: decoded bytes of the complete lines seen.
    count: u64,
    /// Base64: an `=` was seen, the rest is ignored.
    ended: bool,
    /// Quoted-printable: the line not ended yet.
    line: Vec<u8>,
}

impl DecodedLen {
    /// A count for content encoded with `encoding`.
    pub fn new(encoding: TransferEncoding) -> Self {
        DecodedLen {
            encoding,
            count: 0,
            ended: false,
            line: Vec::new(),
        }
    }

    /// Takes the next piece of encoded content.
    pub fn push(&mut self, piece: &[u8]) {
        match self.encoding {
            TransferEncoding::Identity | TransferEncoding::Other => {
                self.count += piece.len() as u64;
            }
            TransferEncoding::Base64 => {
                if self.ended {
                    return;
                }
                let used = match piece.iter().position(|&b| b == b'=') {
                    Some(p) => {
                        self.ended = true;
                        &piece[..p]
                    }
                    None => piece,
                };
                self.count += used.iter().filter(|&&b| b64_value(b).is_some()).count() as u64;
            }
            TransferEncoding::QuotedPrintable => {
                // Decoding is line by line: decode up to the last line feed,
                // keep the unfinished line for the next piece.
                let (done, rest) = match piece.iter().rposition(|&b| b == b'\n') {
                    Some(p) => piece.split_at(p + 1),
                    None => {
                        self.line.extend_from_slice(piece);
                        return;
                    }
                };
                self.line.extend_from_slice(done);
                self.count += quoted_printable(&self.line, false).len() as u64;
                self.line.clear();
                self.line.extend_from_slice(rest);
            }
        }
    }

    /// The decoded length of everything pushed.
    pub fn finish(self) -> u64 {
        match self.encoding {
            TransferEncoding::Identity | TransferEncoding::Other => self.count,
            TransferEncoding::Base64 => self.count * 6 / 8,
            TransferEncoding::QuotedPrintable => {
                self.count + quoted_printable(&self.line, false).len() as u64
            }
        }
    }
}

/// A message holds NUL outside any leaf part's body (in a header, a
/// boundary, a multipart's preamble): no transfer encoding can carry it,
/// so it cannot be stored (`NO [UNKNOWN-CTE]`, RFC 3516 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the message holds NUL outside the body of its parts")]
pub struct NulOutsideParts;

/// Input bytes per base64 line (76 characters, RFC 2045 §6.8).
const BASE64_LINE: usize = 57;

fn leaves<'a>(node: &'a PartNode, out: &mut Vec<&'a PartNode>) {
    match &node.content {
        PartContent::Leaf => out.push(node),
        PartContent::Multipart(parts) => parts.iter().for_each(|p| leaves(p, out)),
        PartContent::Message(inner) => leaves(inner, out),
    }
}

/// `raw` made storable for IMAP4rev1 clients: when it holds NUL, each leaf
/// part whose body holds NUL is encoded in base64 (its
/// Content-Transfer-Encoding fields replaced by `base64`, written first in
/// its header; nothing else changes). A message without NUL is returned as
/// it is.
///
/// # Errors
/// [`NulOutsideParts`] when a NUL lies outside every leaf body.
pub fn storable(raw: Vec<u8>) -> Result<Vec<u8>, NulOutsideParts> {
    if !raw.contains(&0) {
        return Ok(raw);
    }
    let map = super::Structure::parse(&raw).part_map;
    let mut parts = Vec::new();
    leaves(&map.root, &mut parts);
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 3);
    let mut at = 0;
    for node in parts {
        let (head, body) = (node.header(), node.body());
        if !raw[body.clone()].contains(&0) || head.start < at {
            continue;
        }
        out.extend_from_slice(&raw[at..head.start]);
        out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n");
        let mut kept = head.start;
        for f in header::fields(&raw, head.start, head.end) {
            if raw[f.name.clone()].eq_ignore_ascii_case(b"Content-Transfer-Encoding") {
                out.extend_from_slice(&raw[kept..f.whole.start]);
                kept = f.whole.end;
            }
        }
        out.extend_from_slice(&raw[kept..head.end]);
        let lines: Vec<_> = raw[body.clone()].chunks(BASE64_LINE).collect();
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\r\n");
            }
            let encoded = hadron_proto::types::Base64::encode(line);
            out.extend_from_slice(encoded.as_str().as_bytes());
        }
        at = body.end;
    }
    out.extend_from_slice(&raw[at..]);
    if out.contains(&0) {
        return Err(NulOutsideParts);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::num::NonZeroU32;

    use super::*;
    use crate::message::Structure;

    fn part(path: &[u32]) -> Part {
        Part::new(path.iter().map(|&n| NonZeroU32::new(n).unwrap()).collect()).unwrap()
    }

    const MIXED: &[u8] = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs\r\n bG8g d29y\r\nbGQ=\r\n\
--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nau lait  \r\nx\r\n\
--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n\
--b--\r\n";

    fn binary(raw: &[u8], path: Option<&[u32]>, partial: Option<(u32, u32)>) -> Option<Vec<u8>> {
        let map = Structure::parse(raw).part_map;
        let read = |r: Range<usize>| Ok::<_, Infallible>(raw[r].to_vec());
        let p = path.map(part);
        let Ok(content) = read_binary(&map, p.as_ref(), partial, read);
        let Ok(size) = binary_size(&map, p.as_ref(), read);
        assert_eq!(
            size,
            read_binary(&map, p.as_ref(), None, read)
                .unwrap_or_else(|e: Infallible| match e {})
                .map(|c| c.len() as u64),
            "BINARY.SIZE is the length of BINARY"
        );
        content
    }

    #[test]
    fn leaf_parts_are_decoded() {
        assert_eq!(binary(MIXED, Some(&[1]), None).unwrap(), b"hello world");
        assert_eq!(
            binary(MIXED, Some(&[2]), None).unwrap(),
            "café au lait\r\nx".as_bytes()
        );
        assert_eq!(binary(MIXED, Some(&[3]), None), None, "unknown CTE");
    }

    #[test]
    fn partials_count_in_decoded_bytes() {
        assert_eq!(binary(MIXED, Some(&[1]), Some((6, 3))).unwrap(), b"wor");
        assert_eq!(binary(MIXED, Some(&[1]), Some((6, 100))).unwrap(), b"world");
        assert_eq!(binary(MIXED, Some(&[1]), Some((60, 3))).unwrap(), b"");
    }

    #[test]
    fn composites_and_the_whole_message_are_served_as_stored() {
        assert_eq!(binary(MIXED, None, None).unwrap(), MIXED);
        assert_eq!(
            binary(MIXED, Some(&[4]), None).unwrap(),
            b"Subject: inner\r\n\r\nbody"
        );
        assert_eq!(binary(MIXED, Some(&[4, 1]), None).unwrap(), b"body");
        assert_eq!(binary(MIXED, None, Some((0, 12))).unwrap(), &MIXED[..12]);
        assert_eq!(binary(MIXED, Some(&[9]), None).unwrap(), b"", "missing");
    }

    #[test]
    fn a_single_part_message_decodes_its_body_as_part_1() {
        let raw = b"Content-Transfer-Encoding: BASE64\r\n\r\nAAEC/w==\r\n";
        assert_eq!(binary(raw, Some(&[1]), None).unwrap(), b"\0\x01\x02\xff");
        assert_eq!(binary(raw, None, None).unwrap(), raw);
    }

    #[test]
    fn binary_parts_are_stored_in_base64_and_read_back_whole() {
        let raw = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\n\r\ntext\r\n--b\r\nContent-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: binary\r\n\r\n\0\x01\xff\r\n\0\r\n--b--\r\n";
        let stored = storable(raw.to_vec()).unwrap();
        assert!(!stored.contains(&0));
        let text = String::from_utf8_lossy(&stored);
        assert!(
            text.contains("--b\r\nContent-Transfer-Encoding: base64\r\nContent-Type: application/octet-stream\r\n\r\nAAH/DQoA\r\n--b--"),
            "{text}"
        );
        assert_eq!(
            binary(&stored, Some(&[2]), None).unwrap(),
            b"\0\x01\xff\r\n\0"
        );
        assert_eq!(
            binary(&stored, Some(&[1]), None).unwrap(),
            b"text",
            "untouched"
        );
        // Long bodies go out in 76-character lines.
        let mut big = b"Content-Type: application/octet-stream\r\n\r\n".to_vec();
        big.extend((0..=255u8).cycle().take(1000));
        let stored = storable(big.clone()).unwrap();
        assert!(stored.split(|&b| b == b'\n').all(|l| l.len() <= 77));
        assert_eq!(binary(&stored, Some(&[1]), None).unwrap(), &big[42..]);
        // Without NUL nothing changes; NUL in a header cannot be stored.
        assert_eq!(storable(raw[..20].to_vec()).unwrap(), &raw[..20]);
        assert_eq!(
            storable(b"X: \0\r\n\r\nbody".to_vec()),
            Err(NulOutsideParts)
        );
    }

    #[test]
    fn decoded_len_agrees_with_decode_for_any_split() {
        let samples: [(&[u8], TransferEncoding); 3] = [
            (
                b"aGVs\r\n bG8g d29y\r\nbGQ=\r\nignored",
                TransferEncoding::Base64,
            ),
            (
                b"a \r\nb=\r\nc=3D=\r\n  \t\r\nlast  ",
                TransferEncoding::QuotedPrintable,
            ),
            (b"plain\0bytes", TransferEncoding::Identity),
        ];
        for (input, encoding) in samples {
            let want = encoding.decode(input).len() as u64;
            for step in 1..=input.len() {
                let mut len = DecodedLen::new(encoding);
                input.chunks(step).for_each(|c| len.push(c));
                assert_eq!(len.finish(), want, "{encoding:?} in pieces of {step}");
            }
        }
    }
}
