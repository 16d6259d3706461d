//! What FETCH reads from a message's body: `BODY[section]<partial>`, the
//! RFC822 forms, and BINARY (RFC 3516): `BINARY[part]<partial>` decoded
//! from the part's Content-Transfer-Encoding and `BINARY.SIZE[part]`.
//!
//! With the part map stored at ingest only the ranges an attribute needs
//! are read from the blob (a header, one attachment, a partial), never the
//! whole message unless asked for; BINARY.SIZE reads its part in pieces
//! (`message::binary`). A message stored without a map is read whole and
//! parsed once.

use std::ops::Range;

use hadron_proto::types::{FetchAttribute, Part, Section};
use hadron_store::{BlobStore, MessageMeta, StoreError};

use crate::message::{PartMap, Structure, binary_size, extract, read_binary, read_section};

/// What one body attribute of a FETCH yields for one message.
#[derive(Debug)]
pub(super) enum Content {
    /// The bytes of a body section, RFC822 form or BINARY part.
    Bytes(Vec<u8>),
    /// A BINARY.SIZE.
    Size(u64),
    /// A BINARY part whose Content-Transfer-Encoding has no decoder: the
    /// FETCH fails `NO [UNKNOWN-CTE]` (RFC 3516 §4.3).
    UnknownCte,
}

/// What a body attribute reads from the message.
enum BodyRead {
    /// The whole message (RFC822).
    Whole,
    /// Part of it.
    Part(PartRead),
}

/// What a body attribute reads through the part map.
enum PartRead {
    /// A section, with its partial `(offset, count)`.
    Section(Section<'static>, Option<(u32, u32)>),
    /// A BINARY part (`None`: the whole message), with its partial.
    Binary(Option<Part>, Option<(u32, u32)>),
    /// The decoded size of a BINARY part.
    BinarySize(Option<Part>),
}

/// What `a` reads from the message body, if it reads from it at all.
fn body_read(a: &FetchAttribute<'static>) -> Option<BodyRead> {
    use FetchAttribute as A;
    match a {
        A::Rfc822 => return Some(BodyRead::Whole),
        A::Rfc822Header => Some(PartRead::Section(Section::Header(None), None)),
        A::Rfc822Text => Some(PartRead::Section(Section::Text(None), None)),
        A::BodySection {
            section, partial, ..
        } => Some(PartRead::Section(
            section.clone(),
            partial.map(|(o, n)| (o, n.get())),
        )),
        A::Binary { part, partial, .. } => Some(PartRead::Binary(
            part.clone(),
            partial.map(|(o, n)| (o, n.get())),
        )),
        A::BinarySize { part } => Some(PartRead::BinarySize(part.clone())),
        _ => None,
    }
    .map(BodyRead::Part)
}

/// Whether `a` is answered from the message body.
pub(super) fn reads_body(a: &FetchAttribute<'_>) -> bool {
    use FetchAttribute as A;
    matches!(
        a,
        A::BodySection { .. }
            | A::Rfc822
            | A::Rfc822Header
            | A::Rfc822Text
            | A::Binary { .. }
            | A::BinarySize { .. }
    )
}

/// What one attribute yields, given the message's part map and a reader
/// of its byte ranges.
fn content<E>(
    wanted: &PartRead,
    map: &PartMap,
    read: impl FnMut(Range<usize>) -> Result<Vec<u8>, E>,
) -> Result<Content, E> {
    Ok(match wanted {
        PartRead::Section(section, partial) => {
            Content::Bytes(read_section(map, section, *partial, read)?)
        }
        PartRead::Binary(part, partial) => read_binary(map, part.as_ref(), *partial, read)?
            .map_or(Content::UnknownCte, Content::Bytes),
        PartRead::BinarySize(part) => {
            binary_size(map, part.as_ref(), read)?.map_or(Content::UnknownCte, Content::Size)
        }
    })
}

/// The content of each body attribute of `attrs`, in order, read from the
/// message's blob (see the module docs).
pub(super) fn read_contents(
    blobs: &dyn BlobStore,
    meta: &MessageMeta,
    attrs: &[FetchAttribute<'static>],
) -> Result<Vec<Content>, StoreError> {
    let hash = &meta.content_hash;
    let stored = Some(&meta.part_map)
        .filter(|b| !b.is_empty())
        .and_then(|b| PartMap::from_bytes(b).ok());
    let mut whole: Option<(Vec<u8>, PartMap)> = None;
    let mut out = Vec::new();
    for wanted in attrs.iter().filter_map(body_read) {
        let BodyRead::Part(wanted) = wanted else {
            out.push(Content::Bytes(blobs.get(hash)?));
            continue;
        };
        if let Some(map) = &stored {
            let range = |r: Range<usize>| blobs.get_range(hash, r.start as u64..r.end as u64);
            out.push(content(&wanted, map, range)?);
            continue;
        }
        if whole.is_none() {
            let raw = blobs.get(hash)?;
            let map = Structure::parse(&raw).part_map;
            whole = Some((raw, map));
        }
        if let Some((raw, map)) = &whole {
            if let PartRead::Section(section, partial) = &wanted {
                out.push(Content::Bytes(
                    extract(raw, map, section, *partial).into_owned(),
                ));
                continue;
            }
            let clamp = |r: Range<usize>| {
                let start = r.start.min(raw.len());
                Ok::<_, StoreError>(raw[start..r.end.clamp(start, raw.len())].to_vec())
            };
            out.push(content(&wanted, map, clamp)?);
        }
    }
    Ok(out)
}
