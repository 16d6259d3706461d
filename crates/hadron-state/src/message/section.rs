//! `BODY[section]<partial>` (RFC 3501 §6.4.5) from the part map.
//!
//! [`PartMap::locate`] turns a section into the byte range it needs, using
//! only the map; [`extract`] then cuts that range (or filters the header
//! fields out of it) and applies the partial. A store can therefore read
//! just the needed range of a blob.
//!
//! Part numbering follows RFC 3501: the parts of a multipart are numbered
//! from 1; a message (the top-level one or a message/rfc822 part) whose
//! body is not multipart has that body as its part 1; `n.HEADER`,
//! `n.TEXT` and `n.HEADER.FIELDS` apply to message/rfc822 parts, `n.MIME`
//! to any part (for the part 1 of a non-multipart message it is the
//! message header).
//!
//! A section that does not exist (part 4 of a 3-part message, `1.HEADER`
//! of a text part) yields the empty string, as Dovecot and Cyrus answer
//! `BODY[4] ""` rather than failing the FETCH.

use std::borrow::Cow;
use std::convert::Infallible;
use std::ops::Range;

use hadron_proto::types::{HeaderNames, Part, Section};

use super::header;
use super::partmap::{PartContent, PartMap, PartNode};

/// What a section needs from the raw message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Exactly these bytes.
    Range(Range<usize>),
    /// The header fields of this header block (empty line included) that
    /// are — or with `not`, are not — among the section's names, followed
    /// by an empty line.
    HeaderFields {
        /// The header block to filter.
        header: Range<usize>,
        /// Whether the names are excluded (`HEADER.FIELDS.NOT`).
        not: bool,
    },
    /// The section names no existing part: its content is empty.
    Missing,
}

/// Steps from `node` into part `n` (1-based). `as_message` is set when
/// `node` is a message's root entity, whose non-multipart body is part 1.
fn step(node: &PartNode, n: u32, as_message: bool) -> Option<&PartNode> {
    match &node.content {
        PartContent::Multipart(parts) => parts.get(n.checked_sub(1)? as usize),
        PartContent::Message(inner) if !as_message => step(inner, n, true),
        _ if as_message && n == 1 => Some(node),
        _ => None,
    }
}

impl PartMap {
    /// The entity a part path names, if it exists.
    pub fn part(&self, part: &Part) -> Option<&PartNode> {
        let mut node = &self.root;
        let mut as_message = true;
        for n in part.path() {
            node = step(node, n.get(), as_message)?;
            as_message = false;
        }
        Some(node)
    }

    /// The embedded message's root entity of the section's part (the
    /// top-level message for no part), for HEADER, TEXT and HEADER.FIELDS.
    fn message(&self, part: Option<&Part>) -> Option<&PartNode> {
        match part {
            None => Some(&self.root),
            Some(p) => match &self.part(p)?.content {
                PartContent::Message(inner) => Some(inner),
                _ => None,
            },
        }
    }

    /// Where the content of `section` lies.
    pub fn locate(&self, section: &Section<'_>) -> Location {
        let found = match section {
            Section::Full => Some(Location::Range(0..self.root.body_end as usize)),
            Section::Part(p) => self.part(p).map(|n| Location::Range(n.body())),
            Section::Mime(p) => self.part(p).map(|n| Location::Range(n.header())),
            Section::Header(p) => self
                .message(p.as_ref())
                .map(|n| Location::Range(n.header())),
            Section::Text(p) => self.message(p.as_ref()).map(|n| Location::Range(n.body())),
            Section::HeaderFields(p, _) => {
                self.message(p.as_ref()).map(|n| Location::HeaderFields {
                    header: n.header(),
                    not: false,
                })
            }
            Section::HeaderFieldsNot(p, _) => {
                self.message(p.as_ref()).map(|n| Location::HeaderFields {
                    header: n.header(),
                    not: true,
                })
            }
        };
        found.unwrap_or(Location::Missing)
    }
}

/// The fields of the header block `raw[range]` whose names are (or, with
/// `not`, are not) in `names` (ASCII case-insensitive), each whole with its
/// folded lines, then the empty line that ends a header (RFC 3501 §6.4.5).
/// A last field without a line ending gets CRLF.
pub fn header_fields(
    raw: &[u8],
    range: Range<usize>,
    names: &HeaderNames<'_>,
    not: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    for f in header::fields(raw, range.start, range.end) {
        let name = &raw[f.name.clone()];
        let listed = names
            .names()
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(name));
        if listed != not {
            let whole = &raw[f.whole.clone()];
            out.extend_from_slice(whole);
            if !whole.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The sub-range `<offset.len>` of content `len` bytes long: empty when
/// `offset` is past the end, shortened at the end (RFC 3501 §6.4.5).
pub fn partial_range(len: usize, partial: Option<(u32, u32)>) -> Range<usize> {
    match partial {
        None => 0..len,
        Some((offset, count)) => {
            let start = (offset as usize).min(len);
            let end = start.saturating_add(count as usize).min(len);
            start..end
        }
    }
}

/// The content of `BODY[section]<partial>` of a message whose bytes are
/// not in memory: `read` is asked only for the byte ranges the section (and
/// its partial) needs — for a message's header or one attachment, a small
/// part of the whole. Equal to [`extract`] over the whole message.
///
/// # Errors
/// Whatever `read` fails with.
pub fn read_section<E>(
    map: &PartMap,
    section: &Section<'_>,
    partial: Option<(u32, u32)>,
    mut read: impl FnMut(Range<usize>) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    match map.locate(section) {
        Location::Missing => Ok(Vec::new()),
        Location::Range(r) => {
            let keep = partial_range(r.len(), partial);
            read(r.start + keep.start..r.start + keep.end)
        }
        Location::HeaderFields { header, not } => {
            let names = match section {
                Section::HeaderFields(_, n) | Section::HeaderFieldsNot(_, n) => n,
                _ => return Ok(Vec::new()),
            };
            let block = read(header)?;
            let mut v = header_fields(&block, 0..block.len(), names, not);
            let keep = partial_range(v.len(), partial);
            v.truncate(keep.end);
            v.drain(..keep.start);
            Ok(v)
        }
    }
}

/// The content of `BODY[section]<partial>` of the message `raw` with part
/// map `map`.
///
/// Borrowed from `raw` except for HEADER.FIELDS(.NOT), whose lines are
/// copied. A map that does not fit `raw` (a bug elsewhere) yields what lies
/// within `raw`, never a panic.
pub fn extract<'a>(
    raw: &'a [u8],
    map: &PartMap,
    section: &Section<'_>,
    partial: Option<(u32, u32)>,
) -> Cow<'a, [u8]> {
    let clamp = |r: Range<usize>| {
        let start = r.start.min(raw.len());
        start..r.end.min(raw.len()).max(start)
    };
    match map.locate(section) {
        Location::Missing => Cow::Borrowed(&[]),
        Location::Range(r) => {
            let content = &raw[clamp(r)];
            Cow::Borrowed(&content[partial_range(content.len(), partial)])
        }
        Location::HeaderFields { .. } => {
            let read = |r: Range<usize>| Ok::<_, Infallible>(raw[clamp(r)].to_vec());
            match read_section(map, section, partial, read) {
                Ok(v) => Cow::Owned(v),
                Err(never) => match never {},
            }
        }
    }
}
