//! Parsers for FETCH items and modifiers (RFC 3501 §6.4.5, RFC 3516, RFC 7162,
//! RFC 8474, RFC 8514, RFC 8970).

use std::num::{NonZeroU32, NonZeroU64};

use crate::parse::core::{number64, nz_number};
use crate::parse::error::PResult;
use crate::parse::keyword::{fail, sp, upcase, word};
use crate::parse::section::{partial, section};
use crate::types::{FetchAttribute, FetchItems, FetchMacro, FetchModifier, NonEmptyVec, Part};

/// `"ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"`
pub(crate) fn fetch_items(i: &[u8]) -> PResult<'_, FetchItems<'_>> {
    if let Some((b'(', mut rest)) = i.split_first() {
        let mut atts = Vec::new();
        loop {
            let (after, att) = fetch_att(rest)?;
            atts.push(att);
            match after.split_first() {
                Some((b' ', after)) => rest = after,
                Some((b')', after)) => {
                    return Ok((
                        after,
                        FetchItems::Attributes(NonEmptyVec::unvalidated(atts)),
                    ));
                }
                _ => return Err(fail(after, "')' or another fetch attribute")),
            }
        }
    }
    let (rest, name) = word(i).map_err(|_| fail(i, "a fetch attribute"))?;
    let mut buf = [0u8; 16];
    let mac = match upcase(name, &mut buf) {
        b"ALL" => FetchMacro::All,
        b"FAST" => FetchMacro::Fast,
        b"FULL" => FetchMacro::Full,
        _ => {
            let (rest, att) = fetch_att(i)?;
            return Ok((rest, FetchItems::Attributes(NonEmptyVec::one(att))));
        }
    };
    Ok((rest, FetchItems::Macro(mac)))
}

/// `fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" /
///   "RFC822" [".HEADER" / ".SIZE" / ".TEXT"] / "BODY" ["STRUCTURE"] / "UID" /
///   "BODY" section ["<" number "." nz-number ">"] /
///   "BODY.PEEK" section ["<" number "." nz-number ">"]`
///
/// `fetch-att =/ "BINARY" [".PEEK"] section-binary [partial] /
///   "BINARY.SIZE" section-binary` (RFC 3516), `fetch-att =/ "MODSEQ"` (RFC 7162),
/// `fetch-att =/ "EMAILID" / "THREADID"` (RFC 8474), `fetch-att =/ "SAVEDATE"` (RFC 8514),
/// `fetch-att =/ "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"]` (RFC 8970)
pub(crate) fn fetch_att(i: &[u8]) -> PResult<'_, FetchAttribute<'_>> {
    use FetchAttribute as A;
    let (rest, name) = word(i).map_err(|_| fail(i, "a fetch attribute"))?;
    let mut buf = [0u8; 16];
    let simple = |a| Ok((rest, a));
    match upcase(name, &mut buf) {
        b"ENVELOPE" => simple(A::Envelope),
        b"FLAGS" => simple(A::Flags),
        b"INTERNALDATE" => simple(A::InternalDate),
        b"RFC822" => simple(A::Rfc822),
        b"RFC822.HEADER" => simple(A::Rfc822Header),
        b"RFC822.SIZE" => simple(A::Rfc822Size),
        b"RFC822.TEXT" => simple(A::Rfc822Text),
        b"BODYSTRUCTURE" => simple(A::BodyStructure),
        b"UID" => simple(A::Uid),
        b"MODSEQ" => simple(A::ModSeq),
        b"EMAILID" => simple(A::EmailId),
        b"THREADID" => simple(A::ThreadId),
        b"SAVEDATE" => simple(A::SaveDate),
        b"PREVIEW" => preview_mods(rest),
        b"BODY" if rest.first() != Some(&b'[') => simple(A::Body),
        b"BODY" | b"BODY.PEEK" => {
            let peek = name.len() > 4;
            let (rest, section) = section(rest)?;
            let (rest, partial) = opt_partial(rest)?;
            Ok((
                rest,
                A::BodySection {
                    section,
                    partial,
                    peek,
                },
            ))
        }
        b"BINARY" | b"BINARY.PEEK" => {
            let peek = name.len() > 6;
            let (rest, part) = section_binary(rest)?;
            let (rest, partial) = opt_partial(rest)?;
            Ok((
                rest,
                A::Binary {
                    part,
                    partial,
                    peek,
                },
            ))
        }
        b"BINARY.SIZE" => {
            let (rest, part) = section_binary(rest)?;
            Ok((rest, A::BinarySize { part }))
        }
        _ => Err(fail(i, "a fetch attribute")),
    }
}

/// `[SP "(" preview-mod *(SP preview-mod) ")"]`, `preview-mod = "LAZY"` (RFC 8970 §6):
/// what may follow `PREVIEW`, as [`FetchAttribute::Preview`] (`LAZY` given once or more).
///
/// A parenthesized list whose first word is not a preview modifier is left unread: after a
/// lone `PREVIEW` it is the command's fetch modifiers (`FETCH 1 PREVIEW (CHANGEDSINCE 5)`).
fn preview_mods(i: &[u8]) -> PResult<'_, FetchAttribute<'_>> {
    let is_lazy = |w: &[u8]| w.eq_ignore_ascii_case(b"LAZY");
    let Some(mut list) = i.strip_prefix(b" (") else {
        return Ok((i, FetchAttribute::Preview { lazy: false }));
    };
    match word(list) {
        Ok((_, w)) if is_lazy(w) => {}
        _ => return Ok((i, FetchAttribute::Preview { lazy: false })),
    }
    loop {
        let (rest, w) = word(list).map_err(|_| fail(list, "a preview modifier"))?;
        if !is_lazy(w) {
            return Err(fail(list, "a preview modifier (LAZY)"));
        }
        match rest.split_first() {
            Some((b' ', rest)) => list = rest,
            Some((b')', rest)) => return Ok((rest, FetchAttribute::Preview { lazy: true })),
            _ => return Err(fail(rest, "')' or another preview modifier")),
        }
    }
}

/// `["<" number "." nz-number ">"]`
fn opt_partial(i: &[u8]) -> PResult<'_, Option<(u32, NonZeroU32)>> {
    if i.first() == Some(&b'<') {
        let (i, p) = partial(i)?;
        Ok((i, Some(p)))
    } else {
        Ok((i, None))
    }
}

/// `section-binary = "[" [section-part] "]"`, `section-part = nz-number *("." nz-number)`
fn section_binary(i: &[u8]) -> PResult<'_, Option<Part>> {
    let Some((b'[', mut i)) = i.split_first() else {
        return Err(fail(i, "'['"));
    };
    let mut path = Vec::new();
    loop {
        if let Some((b']', rest)) = i.split_first() {
            let part = if path.is_empty() {
                None
            } else {
                Part::new(path).ok()
            };
            return Ok((rest, part));
        }
        if !path.is_empty() {
            match i.split_first() {
                Some((b'.', rest)) => i = rest,
                _ => return Err(fail(i, "'.' or ']' in a binary section")),
            }
        }
        let (rest, n) = nz_number(i)?;
        path.push(n);
        i = rest;
    }
}

/// `fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"` (here
/// from the `(`)
///
/// `fetch-modifier = chgsince-fetch-mod / "VANISHED"`,
/// `chgsince-fetch-mod = "CHANGEDSINCE" SP mod-sequence-value`
pub(crate) fn fetch_modifiers(i: &[u8]) -> PResult<'_, Vec<FetchModifier>> {
    let Some((b'(', mut i)) = i.split_first() else {
        return Err(fail(i, "'('"));
    };
    let mut mods = Vec::new();
    loop {
        let (rest, name) = word(i).map_err(|_| fail(i, "a fetch modifier"))?;
        let mut buf = [0u8; 16];
        let (rest, m) = match upcase(name, &mut buf) {
            b"CHANGEDSINCE" => {
                let (rest, _) = sp(rest)?;
                let (rest, n) = mod_sequence_value(rest)?;
                (rest, FetchModifier::ChangedSince(n))
            }
            b"VANISHED" => (rest, FetchModifier::Vanished),
            _ => return Err(fail(i, "CHANGEDSINCE or VANISHED")),
        };
        mods.push(m);
        match rest.split_first() {
            Some((b' ', rest)) => i = rest,
            Some((b')', rest)) => return Ok((rest, mods)),
            _ => return Err(fail(rest, "')' or another fetch modifier")),
        }
    }
}

/// `mod-sequence-value = 1*DIGIT` (1 to 2^63-1)
pub(crate) fn mod_sequence_value(i: &[u8]) -> PResult<'_, NonZeroU64> {
    let (rest, n) = number64(i)?;
    match NonZeroU64::new(n) {
        Some(n) => Ok((rest, n)),
        None => Err(fail(i, "a non-zero mod-sequence")),
    }
}
