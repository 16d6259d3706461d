//! Raw message → part tree, ENVELOPE and BODYSTRUCTURE, in one pass.
//!
//! Every rule here is RFC 3501 §7.4.2 (with RFC 2045/2046 for MIME), applied
//! best-effort: nothing fails. Type, subtype, parameter names, encoding and
//! disposition kind are uppercased (as in RFC 3501's examples and as Cyrus
//! sends them); parameter values and all other strings are as sent.

use hadron_proto::types::{
    Address, BodyFields, BodyStructure, Disposition, Envelope, ExtensionTail, IString,
    MultiPartExt, NString, Params, SinglePartExt, SinglePartKind,
};

use super::address::{self, RawAddress};
use super::content::{self, ContentType, RawParams};
use super::header::{self, Header};
use super::partmap::{MAX_DEPTH, PartContent, PartNode};
use super::transfer::TransferEncoding;

/// A string without NUL (IMAP strings cannot carry NUL; such bytes are
/// dropped).
pub(crate) fn istr(mut v: Vec<u8>) -> IString<'static> {
    v.retain(|&b| b != 0);
    IString::try_from(v).expect("NUL bytes were removed")
}

fn nstr(v: Option<Vec<u8>>) -> NString<'static> {
    NString(v.map(istr))
}

fn addresses(list: Vec<RawAddress>) -> Vec<Address<'static>> {
    list.into_iter()
        .map(|a| Address {
            name: nstr(a.name),
            adl: nstr(a.adl),
            mailbox: nstr(a.mailbox),
            host: nstr(a.host),
        })
        .collect()
}

/// The ENVELOPE of a message with header `h`.
pub(crate) fn envelope(h: &Header<'_>) -> Envelope<'static> {
    let list = |name: &str| {
        h.value(name)
            .map(|v| addresses(address::parse_list(&v)))
            .unwrap_or_default()
    };
    let from = list("From");
    // RFC 3501: absent or empty Sender/Reply-To default to From.
    let or_from = |v: Vec<Address<'static>>| if v.is_empty() { from.clone() } else { v };
    Envelope {
        date: nstr(h.value("Date")),
        subject: nstr(h.value("Subject")),
        sender: or_from(list("Sender")),
        reply_to: or_from(list("Reply-To")),
        to: list("To"),
        cc: list("Cc"),
        bcc: list("Bcc"),
        in_reply_to: nstr(h.value("In-Reply-To")),
        message_id: nstr(h.value("Message-ID")),
        from,
    }
}

fn params(p: RawParams) -> Params<'static> {
    p.into_iter().map(|(k, v)| (istr(k), istr(v))).collect()
}

/// Lines of a body (`body-fld-lines`): its line endings (LF, bare or
/// after CR). A last line without a line ending is not counted: in a part
/// of a multipart that is the line whose CRLF belongs to the next boundary
/// delimiter (RFC 2046 §5.1.1), so counting it would count that CRLF back.
/// Dovecot, whose imaptest is the reference, and UW-IMAP count the same way.
fn lines(body: &[u8]) -> u32 {
    let n = body.iter().filter(|&&b| b == b'\n').count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A parsed entity.
pub(crate) struct Entity<'a> {
    pub(crate) node: PartNode,
    pub(crate) body: BodyStructure<'static>,
    pub(crate) header: Header<'a>,
}

/// Ranges of the parts of a multipart body `raw[start..end]` delimited by
/// `boundary` (RFC 2046 §5.1.1). The line ending before a delimiter belongs
/// to the delimiter; a missing close delimiter ends the last part at `end`.
pub(crate) fn split_parts(
    raw: &[u8],
    start: usize,
    end: usize,
    boundary: &[u8],
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for line in header::lines(raw, start, end) {
        let content = &raw[line.start..line.content_end];
        let Some(rest) = content
            .strip_prefix(b"--")
            .and_then(|c| c.strip_prefix(boundary))
        else {
            continue;
        };
        let (close, rest) = match rest.strip_prefix(b"--") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if !rest.iter().all(|&b| b == b' ' || b == b'\t') {
            continue;
        }
        if let Some(part_start) = open {
            let mut part_end = line.start;
            if part_end > part_start && raw[part_end - 1] == b'\n' {
                part_end -= 1;
                if part_end > part_start && raw[part_end - 1] == b'\r' {
                    part_end -= 1;
                }
            }
            out.push((part_start, part_end));
        }
        if close {
            return out;
        }
        open = Some(line.next);
    }
    if let Some(part_start) = open {
        out.push((part_start, end));
    }
    out
}

/// The type an entity without a (valid) Content-Type has.
fn default_type(in_digest: bool) -> ContentType {
    if in_digest {
        ContentType {
            media_type: b"MESSAGE".to_vec(),
            subtype: b"RFC822".to_vec(),
            params: Vec::new(),
        }
    } else {
        ContentType {
            media_type: b"TEXT".to_vec(),
            subtype: b"PLAIN".to_vec(),
            params: vec![(b"CHARSET".to_vec(), b"US-ASCII".to_vec())],
        }
    }
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses the entity at `raw[start..end]` (`end` ≤ `u32::MAX`).
pub(crate) fn entity(
    raw: &[u8],
    start: usize,
    end: usize,
    depth: usize,
    in_digest: bool,
) -> Entity<'_> {
    let body_start = header::body_start(raw, start, end);
    let h = Header::parse(raw, start, body_start);
    let mut ct = h
        .value("Content-Type")
        .and_then(|v| content::content_type(&v))
        .unwrap_or_else(|| default_type(in_digest));
    let enc_value = h.value("Content-Transfer-Encoding").unwrap_or_default();
    let encoding = TransferEncoding::from_value(&enc_value);
    let enc_name = if enc_value.is_empty() {
        b"7BIT".to_vec()
    } else {
        enc_value.to_ascii_uppercase()
    };
    let body_bytes = &raw[body_start..end];
    let tail = ExtensionTail {
        disposition: h
            .value("Content-Disposition")
            .and_then(|v| content::disposition(&v))
            .map(|(kind, p)| Disposition {
                kind: istr(kind),
                params: params(p),
            }),
        language: h
            .value("Content-Language")
            .map(|v| content::languages(&v).into_iter().map(istr).collect())
            .unwrap_or_default(),
        location: nstr(h.value("Content-Location")),
        extensions: Vec::new(),
    };
    let mut node = PartNode {
        header_start: u32_of(start),
        body_start: u32_of(body_start),
        body_end: u32_of(end),
        encoding,
        text_charset: None,
        content: PartContent::Leaf,
    };

    let deep = depth >= MAX_DEPTH;
    if ct.media_type == b"MULTIPART" {
        let boundary = ct.param(b"BOUNDARY").filter(|b| !b.is_empty());
        match boundary {
            Some(boundary) if !deep => {
                let digest = ct.subtype == b"DIGEST";
                let mut ranges = split_parts(raw, body_start, end, boundary);
                if ranges.is_empty() {
                    // No delimiter at all: one empty part, so that the
                    // structure stays valid (a multipart has ≥ 1 part).
                    ranges.push((end, end));
                }
                let (nodes, bodies): (Vec<_>, Vec<_>) = ranges
                    .into_iter()
                    .map(|(s, e)| {
                        let child = entity(raw, s, e, depth + 1, digest);
                        (child.node, child.body)
                    })
                    .unzip();
                node.content = PartContent::Multipart(nodes);
                let body = BodyStructure::Multi {
                    parts: bodies,
                    subtype: istr(ct.subtype),
                    ext: Some(MultiPartExt {
                        params: params(ct.params),
                        tail,
                    }),
                };
                return Entity {
                    node,
                    body,
                    header: h,
                };
            }
            _ => {
                // Too deep, or no boundary: an opaque leaf.
                ct.media_type = b"APPLICATION".to_vec();
                ct.subtype = b"OCTET-STREAM".to_vec();
            }
        }
    }
    let fields = BodyFields {
        params: Vec::new(),
        id: nstr(h.value("Content-ID")),
        description: nstr(h.value("Content-Description")),
        encoding: istr(enc_name),
        octets: u32_of(end - body_start),
    };
    let ext = Some(SinglePartExt {
        md5: nstr(h.value("Content-MD5")),
        tail,
    });
    let kind = if ct.is(b"MESSAGE", b"RFC822") && !deep {
        let inner = entity(raw, body_start, end, depth + 1, false);
        let env = envelope(&inner.header);
        node.content = PartContent::Message(Box::new(inner.node));
        SinglePartKind::Message {
            envelope: Box::new(env),
            body: Box::new(inner.body),
            lines: lines(body_bytes),
        }
    } else if ct.media_type == b"TEXT" {
        // RFC 2045 §5.2: text without a charset is US-ASCII; say so, as
        // Dovecot does, so clients need not know the default.
        if ct.param(b"CHARSET").is_none() {
            ct.params.push((b"CHARSET".to_vec(), b"US-ASCII".to_vec()));
        }
        let cs = ct.param(b"CHARSET").unwrap_or_default();
        node.text_charset = Some(String::from_utf8_lossy(cs).into());
        SinglePartKind::Text {
            subtype: istr(std::mem::take(&mut ct.subtype)),
            lines: lines(body_bytes),
        }
    } else {
        if ct.media_type == b"MESSAGE" && ct.subtype == b"RFC822" {
            // Too deep to describe as a message.
            ct.media_type = b"APPLICATION".to_vec();
            ct.subtype = b"OCTET-STREAM".to_vec();
        }
        SinglePartKind::Basic {
            media_type: istr(std::mem::take(&mut ct.media_type)),
            subtype: istr(std::mem::take(&mut ct.subtype)),
        }
    };
    let body = BodyStructure::Single {
        kind,
        fields: BodyFields {
            params: params(ct.params),
            ..fields
        },
        ext,
    };
    Entity {
        node,
        body,
        header: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_parts_rules() {
        let body = b"preamble\r\n--b\r\nA\r\n--b \r\nB\r\n\r\n--b--\r\nepilogue";
        let parts = split_parts(body, 0, body.len(), b"b");
        let got: Vec<&[u8]> = parts.iter().map(|&(s, e)| &body[s..e]).collect();
        assert_eq!(got, [&b"A"[..], b"B\r\n"]);
        // Truncated: no close delimiter.
        let body = b"--b\nA\n--b\nB";
        let parts = split_parts(body, 0, body.len(), b"b");
        let got: Vec<&[u8]> = parts.iter().map(|&(s, e)| &body[s..e]).collect();
        assert_eq!(got, [&b"A"[..], b"B"]);
        // A longer boundary sharing the prefix is not a delimiter.
        let body = b"--b\r\n--bc\r\n--b--";
        let parts = split_parts(body, 0, body.len(), b"b");
        let got: Vec<&[u8]> = parts.iter().map(|&(s, e)| &body[s..e]).collect();
        assert_eq!(got, [&b"--bc"[..]]);
        assert!(split_parts(b"no delimiters", 0, 13, b"b").is_empty());
    }

    #[test]
    fn line_counts() {
        assert_eq!(lines(b""), 0);
        assert_eq!(lines(b"a"), 0);
        assert_eq!(lines(b"a\r\n"), 1);
        assert_eq!(lines(b"a\r\nb"), 1);
        assert_eq!(lines(b"a\nb\n"), 2);
        assert_eq!(lines(b"\r\n\r\n"), 2);
        assert_eq!(lines(b"a\rb\r"), 0, "a bare CR ends no line");
    }
}
