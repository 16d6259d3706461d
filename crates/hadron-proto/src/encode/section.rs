//! Writers for body sections.

use crate::encode::core::{astring, number, paren_list};
use crate::types::{LiteralMode, Part, Section};

fn part(out: &mut Vec<u8>, p: &Part) {
    for (i, n) in p.path().iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        number(out, u64::from(n.get()));
    }
}

/// Writes `"[" [section-spec] "]"`.
pub(crate) fn section(out: &mut Vec<u8>, s: &Section<'_>) {
    out.push(b'[');
    let with_part = |out: &mut Vec<u8>, p: Option<&Part>, text: &[u8]| {
        if let Some(p) = p {
            part(out, p);
            out.push(b'.');
        }
        out.extend_from_slice(text);
    };
    match s {
        Section::Full => {}
        Section::Part(p) => part(out, p),
        Section::Header(p) => with_part(out, p.as_ref(), b"HEADER"),
        Section::Text(p) => with_part(out, p.as_ref(), b"TEXT"),
        Section::Mime(p) => with_part(out, Some(p), b"MIME"),
        Section::HeaderFields(p, names) | Section::HeaderFieldsNot(p, names) => {
            let text: &[u8] = if matches!(s, Section::HeaderFields(..)) {
                b"HEADER.FIELDS "
            } else {
                b"HEADER.FIELDS.NOT "
            };
            with_part(out, p.as_ref(), text);
            paren_list(out, names.names(), |out, n| {
                astring(out, n, LiteralMode::Sync)
            });
        }
    }
    out.push(b']');
}
