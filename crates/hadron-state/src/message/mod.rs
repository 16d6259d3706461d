//! Message parsing at ingest: everything IMAP needs from a raw RFC 5322
//! message, computed once when the message enters the store (APPEND, the
//! connector), plus `BODY[section]<partial>` extraction.
//!
//! [`ParsedMessage::parse`] never fails: IMAP servers store and serve odd
//! mail, so malformed input gets a best-effort structure (bare LF line
//! endings, a missing header/body separator, broken or missing MIME
//! boundaries, missing or invalid Content-Type, unknown charsets, 8-bit
//! headers, truncated multiparts; nesting deeper than
//! [`partmap::MAX_DEPTH`] is not descended into). It yields:
//!
//! - **ENVELOPE, BODY and BODYSTRUCTURE in IMAP wire form**, encoded by
//!   hadron-proto's encoder, so answering `FETCH ENVELOPE` is a copy of
//!   stored bytes. The typed values are available from
//!   [`Structure::parse`].
//! - **The [`PartMap`]**: byte offsets of every entity's header and body,
//!   a few bytes per part in its stored form. [`extract`] /
//!   [`PartMap::locate`] answer any `BODY[section]<partial>` from the map
//!   and the byte range it names, without re-parsing; [`read_binary`] and
//!   [`binary_size`] answer `BINARY[part]` and `BINARY.SIZE[part]` the
//!   same way, decoding the part's transfer encoding.
//! - **[`SearchFields`]**: From/To/Cc/Bcc as address text (addresses
//!   without their comments, names decoded), Subject decoded (RFC 2047,
//!   charsets → UTF-8), the sent date in Unix seconds, the Message-ID.
//!   [`PartMap::text_parts`] decodes the text parts for SEARCH BODY/TEXT.
//! - **The preview** (RFC 8970, [`preview`]): the start of the main text
//!   part as one line of plain text.
//!
//! # Why a focused parser and not a MIME crate
//!
//! `mail-parser` 0.11 was the candidate. IMAP needs things a general MIME
//! library does not keep: raw (not decoded) header values and display
//! names for ENVELOPE, exact body octet ranges where the CRLF before a
//! boundary belongs to the boundary (RFC 2046 §5.1.1) for BODYSTRUCTURE
//! sizes and `BODY[n]`, and a nesting bound we choose. The parsing IMAP
//! needs is small (header fields, Content-* parameters, addresses,
//! boundaries), so it lives here in small modules, each unit-tested.
//! Charset conversion comes from `encoding_rs` (the WHATWG Encoding
//! Standard's decoders and labels): correct tables for dozens of charsets
//! are not worth rewriting.
//!
//! # Sizes and line endings
//!
//! The message is served as stored: sizes and offsets are those of the raw
//! bytes, bare LF included. Messages over 4 GiB are described up to
//! `u32::MAX` bytes (IMAP sizes are 32-bit).
//!
//! # Example
//!
//! ```
//! use hadron_proto::types::Section;
//! use hadron_state::message::{ParsedMessage, extract};
//!
//! let raw = b"From: Ann <ann@example.org>\r\nSubject: hi\r\n\r\nHello\r\n";
//! let m = ParsedMessage::parse(raw);
//! assert_eq!(
//!     m.envelope,
//!     b"(NIL \"hi\" ((\"Ann\" NIL \"ann\" \"example.org\")) \
//!       ((\"Ann\" NIL \"ann\" \"example.org\")) ((\"Ann\" NIL \"ann\" \"example.org\")) \
//!       NIL NIL NIL NIL NIL)"
//! );
//! assert_eq!(
//!     m.body,
//!     b"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 7 1)"
//! );
//! assert_eq!(&*extract(raw, &m.part_map, &Section::Text(None), None), b"Hello\r\n");
//! assert_eq!(m.fields.subject, "hi");
//! ```

mod address;
pub mod binary;
mod charset;
mod content;
mod date;
mod encoded_word;
mod fields;
mod header;
pub mod partmap;
mod preview;
pub mod section;
mod structure;
pub mod text;
mod transfer;
mod wire;

use hadron_proto::types::{BodyStructure, Envelope};

pub use self::binary::{BinaryLocation, NulOutsideParts, binary_size, read_binary, storable};
pub use self::fields::SearchFields;
pub use self::partmap::{PartContent, PartMap, PartMapError, PartNode};
pub use self::preview::{MAX_PREVIEW_CHARS, preview};
pub use self::section::{Location, extract, read_section};
pub use self::transfer::TransferEncoding;

/// The typed ENVELOPE and BODYSTRUCTURE of a message, with its part map
/// and search fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structure {
    /// The message's envelope.
    pub envelope: Envelope<'static>,
    /// The body structure, with extension data (BODY is the same without).
    pub body: BodyStructure<'static>,
    /// Offsets of every entity.
    pub part_map: PartMap,
    /// Decoded header fields for SEARCH.
    pub fields: SearchFields,
}

impl Structure {
    /// Parses `raw`; never fails (see the module docs).
    pub fn parse(raw: &[u8]) -> Structure {
        let raw = &raw[..raw.len().min(u32::MAX as usize)];
        let root = structure::entity(raw, 0, raw.len(), 0, false);
        Structure {
            envelope: structure::envelope(&root.header),
            fields: SearchFields::from_header(&root.header),
            body: root.body,
            part_map: PartMap { root: root.node },
        }
    }
}

/// The header fields SEARCH has address keys for; their values are
/// matched as address text.
const ADDRESS_FIELDS: [&str; 4] = ["From", "To", "Cc", "Bcc"];

/// Every value of the top-level header field `name` (ASCII
/// case-insensitive) of `raw`, in order, unfolded and with RFC 2047
/// encoded words decoded to UTF-8 (for SEARCH `HEADER`, `BCC`).
///
/// The address fields `From`, `To`, `Cc` and `Bcc` are given as address
/// text, the form [`SearchFields`] holds (comments and white space inside
/// addresses removed, names decoded), so that `FROM`, `BCC` and `HEADER`
/// on those fields match the same text whichever the source reads.
pub fn header_values(raw: &[u8], name: &str) -> Vec<String> {
    let end = header::body_start(raw, 0, raw.len());
    let is_address = ADDRESS_FIELDS.iter().any(|a| a.eq_ignore_ascii_case(name));
    header::fields(raw, 0, end)
        .into_iter()
        .filter(|f| raw[f.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
        .map(|f| {
            let value = header::unfold(&raw[f.value.clone()]);
            if is_address {
                address::search_text(&value)
            } else {
                encoded_word::decode(&value)
            }
        })
        .collect()
}

/// The top-level header of `raw` decoded for SEARCH `TEXT`: one
/// `Name: value` line per field, each value unfolded and RFC 2047-decoded.
pub fn header_text(raw: &[u8]) -> String {
    let end = header::body_start(raw, 0, raw.len());
    let mut text = String::new();
    for f in header::fields(raw, 0, end) {
        text.push_str(&charset::bytes_to_string(&raw[f.name.clone()]));
        text.push_str(": ");
        text.push_str(&encoded_word::decode(&header::unfold(
            &raw[f.value.clone()],
        )));
        text.push_str("\r\n");
    }
    text
}

/// Bytes of encoded body decoded per message for SEARCH `BODY`/`TEXT`.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// The body of `raw` decoded for SEARCH `BODY` and `TEXT`: its text parts
/// (transfer encodings and charsets undone; `parts` is `raw`'s part map),
/// joined by line feeds, up to [`MAX_TEXT_BYTES`] of encoded body.
pub fn body_text(raw: &[u8], parts: &PartMap) -> String {
    let parts: Vec<String> = parts.text_parts(raw, MAX_TEXT_BYTES).collect();
    parts.join("\n")
}

/// The calendar date of the top-level `Date:` field of `raw`, in the zone
/// written in the field (UTC when it names none); `None` when the field is
/// missing or unreadable. For SEARCH `SENTBEFORE`/`SENTON`/`SENTSINCE`.
pub fn sent_date(raw: &[u8]) -> Option<hadron_proto::types::Date> {
    let end = header::body_start(raw, 0, raw.len());
    let h = header::Header::parse(raw, 0, end);
    let (utc, zone) = date::parse_zoned(&h.value("Date")?)?;
    let minutes = i16::try_from(zone / 60).ok()?;
    hadron_proto::types::DateTime::from_unix(utc, minutes)
        .ok()
        .map(hadron_proto::types::DateTime::date)
}

/// What THREAD=REFERENCES links a message by, from its top-level header
/// ([`SearchFields::thread_links`]): for a message stored before the links
/// were.
pub fn thread_links(raw: &[u8]) -> crate::thread::ThreadLinks {
    let end = header::body_start(raw, 0, raw.len());
    fields::thread_links(&header::Header::parse(raw, 0, end))
}

/// What the store keeps for a message, computed once at ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    /// ENVELOPE in wire form: the bytes after `ENVELOPE `.
    pub envelope: Vec<u8>,
    /// BODY in wire form: the bytes after `BODY ` (no extension data).
    pub body: Vec<u8>,
    /// BODYSTRUCTURE in wire form: the bytes after `BODYSTRUCTURE `.
    pub body_structure: Vec<u8>,
    /// Offsets of every entity, for section extraction and text search.
    pub part_map: PartMap,
    /// Decoded header fields for SEARCH.
    pub fields: SearchFields,
    /// The preview (RFC 8970; see [`preview`]): `None` when the message has
    /// no text part.
    pub preview: Option<String>,
}

impl ParsedMessage {
    /// Parses `raw`; never fails (see the module docs).
    pub fn parse(raw: &[u8]) -> ParsedMessage {
        let s = Structure::parse(raw);
        ParsedMessage {
            preview: preview::of_structure(raw, &s),
            envelope: wire::envelope(s.envelope),
            body: wire::body(s.body.clone()),
            body_structure: wire::body_structure(s.body),
            part_map: s.part_map,
            fields: s.fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &[u8] = b"Received: one\r\nX-Tag: =?UTF-8?Q?caf=C3=A9?=\r\n\
Subject: first\r\n  folded\r\nx-tag: second\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n\
\r\nX-Tag: in the body\r\n";

    #[test]
    fn header_values_are_every_occurrence_decoded_and_unfolded() {
        assert_eq!(header_values(RAW, "X-TAG"), ["café", "second"]);
        assert_eq!(header_values(RAW, "subject"), ["first  folded"]);
        assert!(header_values(RAW, "Bcc").is_empty());
        assert!(header_values(b"no header at all", "X-Tag").is_empty());
    }

    #[test]
    fn address_fields_are_address_text_in_header_values_and_search_fields() {
        let raw = b"From: <user-from (comment)@ (comment) domain.org>\r\n\
To: user-to@domain.org (RealTo)\r\nCC: =?UTF-8?Q?Zo=C3=AB?= <z@x.org>\r\n\
Bcc: undisclosed:;\r\nReply-To: <r (c)@x.org>\r\n\r\n";
        let fields = ParsedMessage::parse(raw).fields;
        for (name, stored) in [
            ("From", &fields.from),
            ("to", &fields.to),
            ("Cc", &fields.cc),
            ("BCC", &fields.bcc),
        ] {
            assert_eq!(header_values(raw, name), [stored.as_str()], "{name}");
        }
        assert_eq!(fields.from, "user-from@domain.org");
        assert_eq!(fields.to, "RealTo <user-to@domain.org>");
        assert_eq!(fields.cc, "Zoë <z@x.org>");
        assert_eq!(fields.bcc, "undisclosed:;");
        // Other fields stay as sent (decoded), comments included.
        assert_eq!(header_values(raw, "Reply-To"), ["<r (c)@x.org>"]);
        assert!(header_text(raw).contains("From: <user-from (comment)@"));
    }

    #[test]
    fn header_text_holds_every_field_decoded() {
        let text = header_text(RAW);
        assert!(
            text.starts_with("Received: one\r\nX-Tag: café\r\n"),
            "{text:?}"
        );
        assert!(!text.contains("in the body"), "{text:?}");
    }

    #[test]
    fn sent_date_is_the_date_in_the_header_zone() {
        let d = sent_date(RAW).unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (1994, 2, 7));
        let utc = sent_date(b"Date: 7 Feb 1994 23:30 +0000\r\n\r\n").unwrap();
        assert_eq!(utc.day(), 7);
        let east = sent_date(b"Date: 7 Feb 1994 23:30 -0100\r\n\r\n").unwrap();
        assert_eq!(east.day(), 7, "local date, not the UTC one (8 Feb)");
        assert!(sent_date(b"Date: someday\r\n\r\n").is_none());
        assert!(sent_date(b"Subject: x\r\n\r\n").is_none());
    }
}
