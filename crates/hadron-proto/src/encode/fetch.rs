//! Writers for FETCH items and modifiers.

use crate::encode::core::number;
use crate::encode::section::section;
use crate::types::{FetchAttribute, FetchItems, FetchMacro, FetchModifier, Part, Partial};

/// Writes the items of a FETCH: a macro, a bare attribute, or a list.
pub(crate) fn fetch_items(out: &mut Vec<u8>, items: &FetchItems<'_>) {
    match items {
        FetchItems::Macro(m) => out.extend_from_slice(match m {
            FetchMacro::All => b"ALL",
            FetchMacro::Fast => b"FAST",
            FetchMacro::Full => b"FULL",
        }),
        FetchItems::Attributes(atts) if atts.len() == 1 => fetch_att(out, &atts[0]),
        FetchItems::Attributes(atts) => {
            out.push(b'(');
            for (n, att) in atts.iter().enumerate() {
                if n > 0 {
                    out.push(b' ');
                }
                fetch_att(out, att);
            }
            out.push(b')');
        }
    }
}

fn partial(out: &mut Vec<u8>, p: Option<Partial>) {
    if let Some((offset, len)) = p {
        out.push(b'<');
        number(out, u64::from(offset));
        out.push(b'.');
        number(out, u64::from(len.get()));
        out.push(b'>');
    }
}

fn section_binary(out: &mut Vec<u8>, part: Option<&Part>) {
    out.push(b'[');
    if let Some(part) = part {
        for (n, p) in part.path().iter().enumerate() {
            if n > 0 {
                out.push(b'.');
            }
            number(out, u64::from(p.get()));
        }
    }
    out.push(b']');
}

/// Writes one `fetch-att`.
pub(crate) fn fetch_att(out: &mut Vec<u8>, att: &FetchAttribute<'_>) {
    use FetchAttribute as A;
    let name: &[u8] = match att {
        A::Envelope => b"ENVELOPE",
        A::Flags => b"FLAGS",
        A::InternalDate => b"INTERNALDATE",
        A::Rfc822 => b"RFC822",
        A::Rfc822Header => b"RFC822.HEADER",
        A::Rfc822Size => b"RFC822.SIZE",
        A::Rfc822Text => b"RFC822.TEXT",
        A::Body => b"BODY",
        A::BodyStructure => b"BODYSTRUCTURE",
        A::Uid => b"UID",
        A::ModSeq => b"MODSEQ",
        A::EmailId => b"EMAILID",
        A::ThreadId => b"THREADID",
        A::SaveDate => b"SAVEDATE",
        A::Preview { lazy: false } => b"PREVIEW",
        A::Preview { lazy: true } => b"PREVIEW (LAZY)",
        A::BodySection {
            section: s,
            partial: p,
            peek,
        } => {
            out.extend_from_slice(if *peek { b"BODY.PEEK" } else { b"BODY" });
            section(out, s);
            partial(out, *p);
            return;
        }
        A::Binary {
            part,
            partial: p,
            peek,
        } => {
            out.extend_from_slice(if *peek { b"BINARY.PEEK" } else { b"BINARY" });
            section_binary(out, part.as_ref());
            partial(out, *p);
            return;
        }
        A::BinarySize { part } => {
            out.extend_from_slice(b"BINARY.SIZE");
            section_binary(out, part.as_ref());
            return;
        }
    };
    out.extend_from_slice(name);
}

/// Writes ` (modifier ...)`, or nothing for no modifiers.
pub(crate) fn fetch_modifiers(out: &mut Vec<u8>, mods: &[FetchModifier]) {
    if mods.is_empty() {
        return;
    }
    out.extend_from_slice(b" (");
    for (n, m) in mods.iter().enumerate() {
        if n > 0 {
            out.push(b' ');
        }
        match m {
            FetchModifier::ChangedSince(v) => {
                out.extend_from_slice(b"CHANGEDSINCE ");
                number(out, v.get());
            }
            FetchModifier::Vanished => out.extend_from_slice(b"VANISHED"),
        }
    }
    out.push(b')');
}
