//! What FETCH reads from a message's body: `BODY[section]<partial>`, the
//! RFC822 forms, and BINARY (RFC 3516): `BINARY[part]<partial>` decoded
//! from the part's Content-Transfer-Encoding and `BINARY.SIZE[part]`.
//!
//! With the part map stored at ingest only the ranges an attribute needs
//! are read from the blob (a header, one attachment, a partial), never the
//! whole message unless asked for; BINARY.SIZE reads its part in pieces
//! (`message::binary`). A message stored without a map is read whole and
//! parsed once.
//!
//! Whether a BINARY part can be decoded depends on the message's structure
//! alone ([`undecodable`]), so a FETCH that would fail `NO [UNKNOWN-CTE]`
//! is known before it sets `\Seen`.

use std::ops::Range;

use hadron_proto::types::{FetchAttribute, Part, Section};
use hadron_store::{BlobStore, MessageMeta, StoreError};

use crate::message::{
    BinaryLocation, Location, PartMap, Structure, binary_size, extract, read_binary, read_section,
};

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

/// The part map stored with the message, if there is one that reads.
fn stored_map(meta: &MessageMeta) -> Option<PartMap> {
    Some(&meta.part_map)
        .filter(|b| !b.is_empty())
        .and_then(|b| PartMap::from_bytes(b).ok())
}

/// The parts the BINARY and BINARY.SIZE attributes of `attrs` name (not
/// `BINARY[]`, the whole message, which is always served as stored).
fn binary_parts<'a>(attrs: &'a [FetchAttribute<'static>]) -> impl Iterator<Item = &'a Part> {
    attrs.iter().filter_map(|a| match a {
        FetchAttribute::Binary { part, .. } | FetchAttribute::BinarySize { part } => part.as_ref(),
        _ => None,
    })
}

/// Whether `attrs` name a BINARY part, which may be undecodable.
pub(super) fn names_binary_part(attrs: &[FetchAttribute<'static>]) -> bool {
    binary_parts(attrs).next().is_some()
}

/// Whether a BINARY or BINARY.SIZE part of `attrs` is a leaf whose
/// Content-Transfer-Encoding has no decoder in the message: the FETCH then
/// fails `NO [UNKNOWN-CTE]`. Decided from the stored part map; a message
/// stored without one is read and parsed.
pub(super) fn undecodable(
    blobs: &dyn BlobStore,
    meta: &MessageMeta,
    attrs: &[FetchAttribute<'static>],
) -> Result<bool, StoreError> {
    if !names_binary_part(attrs) {
        return Ok(false);
    }
    let map = match stored_map(meta) {
        Some(map) => map,
        None => Structure::parse(&blobs.get(&meta.content_hash)?).part_map,
    };
    Ok(binary_parts(attrs).any(|p| map.locate_binary(Some(p)) == BinaryLocation::UnknownEncoding))
}

/// The content of each body attribute of `attrs`, in order, read from the
/// message's blob (see the module docs).
pub(super) fn read_contents(
    blobs: &dyn BlobStore,
    meta: &MessageMeta,
    attrs: &[FetchAttribute<'static>],
) -> Result<Vec<Content>, StoreError> {
    let hash = &meta.content_hash;
    let stored = stored_map(meta);
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

/// What an IMAP URL of CATENATE (RFC 4469) names of a message: the whole
/// message (`section` `None`), or a section as `BODY.PEEK[section]` reads
/// it. `None` when the section names no part of the message, which FETCH
/// answers with the empty string but which fails a URL.
pub(super) fn read_url_content(
    blobs: &dyn BlobStore,
    meta: &MessageMeta,
    section: Option<&Section<'static>>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(section) = section else {
        return blobs.get(&meta.content_hash).map(Some);
    };
    let map = match stored_map(meta) {
        Some(map) => map,
        None => Structure::parse(&blobs.get(&meta.content_hash)?).part_map,
    };
    if map.locate(section) == Location::Missing {
        return Ok(None);
    }
    let attr = FetchAttribute::BodySection {
        section: section.clone(),
        partial: None,
        peek: true,
    };
    Ok(match read_contents(blobs, meta, &[attr])?.pop() {
        Some(Content::Bytes(bytes)) => Some(bytes),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use hadron_store::FsBlobStore;

    use super::*;

    fn binary(part: Option<&[u32]>) -> FetchAttribute<'static> {
        let part = part
            .map(|p| Part::new(p.iter().map(|&n| NonZeroU32::new(n).unwrap()).collect()).unwrap());
        FetchAttribute::Binary {
            part,
            partial: None,
            peek: false,
        }
    }

    #[test]
    fn undecodable_parts_are_found_from_the_structure_alone() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n\
            --b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 f\r\n\
            --b--\r\n";
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobStore::open(dir.path()).unwrap();
        let hash = blobs.put(raw).unwrap();
        let mapped = MessageMeta {
            content_hash: hash.clone(),
            part_map: Structure::parse(raw).part_map.to_bytes(),
            ..MessageMeta::default()
        };
        // Stored before part maps were: the message is parsed.
        let unmapped = MessageMeta {
            content_hash: hash,
            ..MessageMeta::default()
        };
        for meta in [&mapped, &unmapped] {
            assert!(undecodable(&blobs, meta, &[binary(Some(&[2]))]).unwrap());
            let size = FetchAttribute::BinarySize {
                part: Part::new(vec![NonZeroU32::new(2).unwrap()]).ok(),
            };
            assert!(undecodable(&blobs, meta, &[FetchAttribute::Uid, size]).unwrap());
            // A decodable part, a missing one, the whole message.
            let fine = [binary(Some(&[1])), binary(Some(&[7])), binary(None)];
            assert!(!undecodable(&blobs, meta, &fine).unwrap());
        }
        assert!(!names_binary_part(&[binary(None), FetchAttribute::Flags]));
        assert!(names_binary_part(&[binary(Some(&[1]))]));
    }
}
