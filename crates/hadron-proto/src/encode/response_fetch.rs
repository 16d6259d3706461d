//! Writers for FETCH data items, envelopes and body structures.

use std::num::NonZeroU32;

use crate::encode::core::{
    date_time, flag_fetch, literal_header, nstring, number, paren_list, paren_objectid, string,
    string_bytes,
};
use crate::encode::response::deferred;
use crate::encode::section::section;
use crate::types::{
    Address, BinaryData, BodyData, BodyExtension, BodyFields, BodyStructure, Envelope,
    ExtensionTail, FetchItem, IString, LiteralMode, Params, SinglePartKind,
};

const SYNC: LiteralMode = LiteralMode::Sync;

/// Writes one FETCH item. Returns `Some(len)` when the item's data is
/// deferred: the buffer then ends with the literal header and the caller
/// supplies `len` bytes.
pub(crate) fn fetch_item(out: &mut Vec<u8>, item: &FetchItem<'_>) -> Option<u64> {
    match item {
        FetchItem::Flags(flags) => {
            out.extend_from_slice(b"FLAGS ");
            paren_list(out, flags, |out, f| flag_fetch(out, f));
        }
        FetchItem::Uid(n) => {
            out.extend_from_slice(b"UID ");
            number(out, u64::from(n.get()));
        }
        FetchItem::InternalDate(dt) => {
            out.extend_from_slice(b"INTERNALDATE ");
            date_time(out, *dt);
        }
        FetchItem::Rfc822Size(n) => {
            out.extend_from_slice(b"RFC822.SIZE ");
            number(out, u64::from(*n));
        }
        FetchItem::Rfc822(data) => {
            out.extend_from_slice(b"RFC822 ");
            return body_data(out, data);
        }
        FetchItem::Rfc822Header(data) => {
            out.extend_from_slice(b"RFC822.HEADER ");
            return body_data(out, data);
        }
        FetchItem::Rfc822Text(data) => {
            out.extend_from_slice(b"RFC822.TEXT ");
            return body_data(out, data);
        }
        FetchItem::Envelope(e) => {
            out.extend_from_slice(b"ENVELOPE ");
            envelope(out, e);
        }
        FetchItem::Body(b) => {
            out.extend_from_slice(b"BODY ");
            body(out, b, false);
        }
        FetchItem::BodyStructure(b) => {
            out.extend_from_slice(b"BODYSTRUCTURE ");
            body(out, b, true);
        }
        FetchItem::EnvelopeWire(w) => {
            out.extend_from_slice(b"ENVELOPE ");
            out.extend_from_slice(w.as_bytes());
        }
        FetchItem::BodyStructureWire(w) => {
            out.extend_from_slice(b"BODYSTRUCTURE ");
            out.extend_from_slice(w.as_bytes());
        }
        FetchItem::BodySection {
            section: s,
            origin,
            data,
        } => {
            out.extend_from_slice(b"BODY");
            section(out, s);
            if let Some(o) = origin {
                out.push(b'<');
                number(out, u64::from(*o));
                out.push(b'>');
            }
            out.push(b' ');
            return body_data(out, data);
        }
        FetchItem::Binary {
            part: p,
            origin,
            data,
        } => {
            out.extend_from_slice(b"BINARY");
            part(out, p);
            if let Some(o) = origin {
                out.push(b'<');
                number(out, u64::from(*o));
                out.push(b'>');
            }
            out.push(b' ');
            match data {
                BinaryData::Nil => out.extend_from_slice(b"NIL"),
                BinaryData::Bytes(b) if b.contains(&0) => {
                    literal_header(out, b.len() as u64, true, SYNC);
                    out.extend_from_slice(b);
                }
                BinaryData::Bytes(b) => string_bytes(out, b, SYNC),
                BinaryData::Deferred { len, literal8 } => return deferred(out, *len, *literal8),
            }
        }
        FetchItem::BinarySize { part: p, size } => {
            out.extend_from_slice(b"BINARY.SIZE");
            part(out, p);
            out.push(b' ');
            number(out, u64::from(*size));
        }
        FetchItem::ModSeq(n) => {
            out.extend_from_slice(b"MODSEQ (");
            number(out, *n);
            out.push(b')');
        }
        FetchItem::EmailId(id) => {
            out.extend_from_slice(b"EMAILID ");
            paren_objectid(out, id);
        }
        FetchItem::ThreadId(Some(id)) => {
            out.extend_from_slice(b"THREADID ");
            paren_objectid(out, id);
        }
        FetchItem::ThreadId(None) => out.extend_from_slice(b"THREADID NIL"),
        FetchItem::SaveDate(Some(dt)) => {
            out.extend_from_slice(b"SAVEDATE ");
            date_time(out, *dt);
        }
        FetchItem::SaveDate(None) => out.extend_from_slice(b"SAVEDATE NIL"),
        FetchItem::Preview(s) => {
            // Quoted when it can be; a preview with 8-bit (UTF-8) text is a
            // literal, which IMAP4rev1 allows to carry it.
            out.extend_from_slice(b"PREVIEW ");
            nstring(out, s, SYNC);
        }
    }
    None
}

/// Writes `nstring` content, or the literal header of deferred content.
fn body_data(out: &mut Vec<u8>, data: &BodyData<'_>) -> Option<u64> {
    match data {
        BodyData::Inline(s) => {
            nstring(out, s, SYNC);
            None
        }
        BodyData::Deferred { len } => deferred(out, *len, false),
    }
}

/// `section-binary = "[" [section-part] "]"`
fn part(out: &mut Vec<u8>, p: &[NonZeroU32]) {
    out.push(b'[');
    for (i, n) in p.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        number(out, u64::from(n.get()));
    }
    out.push(b']');
}

fn address_list(out: &mut Vec<u8>, list: &[Address<'_>]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        out.push(b'(');
        nstring(out, &a.name, SYNC);
        out.push(b' ');
        nstring(out, &a.adl, SYNC);
        out.push(b' ');
        nstring(out, &a.mailbox, SYNC);
        out.push(b' ');
        nstring(out, &a.host, SYNC);
        out.push(b')');
    }
    out.push(b')');
}

/// Writes an `envelope`; empty address lists are `NIL`.
pub(crate) fn envelope(out: &mut Vec<u8>, e: &Envelope<'_>) {
    out.push(b'(');
    nstring(out, &e.date, SYNC);
    out.push(b' ');
    nstring(out, &e.subject, SYNC);
    for list in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        out.push(b' ');
        address_list(out, list);
    }
    out.push(b' ');
    nstring(out, &e.in_reply_to, SYNC);
    out.push(b' ');
    nstring(out, &e.message_id, SYNC);
    out.push(b')');
}

/// `body-fld-param`: NIL when empty.
fn params(out: &mut Vec<u8>, p: &Params<'_>) {
    if p.is_empty() {
        out.extend_from_slice(b"NIL");
    } else {
        paren_list(out, p, |out, (k, v)| {
            string(out, k, SYNC);
            out.push(b' ');
            string(out, v, SYNC);
        });
    }
}

fn fields(out: &mut Vec<u8>, f: &BodyFields<'_>) {
    params(out, &f.params);
    out.push(b' ');
    nstring(out, &f.id, SYNC);
    out.push(b' ');
    nstring(out, &f.description, SYNC);
    out.push(b' ');
    string(out, &f.encoding, SYNC);
    out.push(b' ');
    number(out, u64::from(f.octets));
}

fn language(out: &mut Vec<u8>, langs: &[IString<'_>]) {
    match langs {
        [] => out.extend_from_slice(b"NIL"),
        [one] => string(out, one, SYNC),
        many => paren_list(out, many, |out, l| string(out, l, SYNC)),
    }
}

fn extension(out: &mut Vec<u8>, e: &BodyExtension<'_>) {
    match e {
        BodyExtension::NString(s) => nstring(out, s, SYNC),
        BodyExtension::Number(n) => number(out, u64::from(*n)),
        BodyExtension::List(v) => paren_list(out, v, extension),
    }
}

/// `SP body-fld-dsp SP body-fld-lang SP body-fld-loc *(SP body-extension)`
fn tail(out: &mut Vec<u8>, t: &ExtensionTail<'_>) {
    out.push(b' ');
    match &t.disposition {
        None => out.extend_from_slice(b"NIL"),
        Some(d) => {
            out.push(b'(');
            string(out, &d.kind, SYNC);
            out.push(b' ');
            params(out, &d.params);
            out.push(b')');
        }
    }
    out.push(b' ');
    language(out, &t.language);
    out.push(b' ');
    nstring(out, &t.location, SYNC);
    for e in &t.extensions {
        out.push(b' ');
        extension(out, e);
    }
}

/// Writes a `body`, with extension data only when `ext` is set.
pub(crate) fn body(out: &mut Vec<u8>, b: &BodyStructure<'_>, ext: bool) {
    out.push(b'(');
    match b {
        BodyStructure::Single {
            kind,
            fields: f,
            ext: e,
        } => {
            match kind {
                SinglePartKind::Basic {
                    media_type,
                    subtype,
                } => {
                    string(out, media_type, SYNC);
                    out.push(b' ');
                    string(out, subtype, SYNC);
                    out.push(b' ');
                    fields(out, f);
                }
                SinglePartKind::Text { subtype, lines } => {
                    out.extend_from_slice(b"\"TEXT\" ");
                    string(out, subtype, SYNC);
                    out.push(b' ');
                    fields(out, f);
                    out.push(b' ');
                    number(out, u64::from(*lines));
                }
                SinglePartKind::Message {
                    envelope: env,
                    body: inner,
                    lines,
                } => {
                    out.extend_from_slice(b"\"MESSAGE\" \"RFC822\" ");
                    fields(out, f);
                    out.push(b' ');
                    envelope(out, env);
                    out.push(b' ');
                    body(out, inner, ext);
                    out.push(b' ');
                    number(out, u64::from(*lines));
                }
            }
            if let (true, Some(e)) = (ext, e) {
                out.push(b' ');
                nstring(out, &e.md5, SYNC);
                tail(out, &e.tail);
            }
        }
        BodyStructure::Multi {
            parts,
            subtype,
            ext: e,
        } => {
            for p in parts {
                body(out, p, ext);
            }
            out.push(b' ');
            string(out, subtype, SYNC);
            if let (true, Some(e)) = (ext, e) {
                out.push(b' ');
                params(out, &e.params);
                tail(out, &e.tail);
            }
        }
    }
    out.push(b')');
}
