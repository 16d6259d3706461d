//! Parsers for body sections, shared by FETCH commands and FETCH responses.

use std::num::NonZeroU32;

use nom::branch::alt;
use nom::bytes::complete::tag_no_case;
use nom::character::complete::char;
use nom::combinator::{map, opt, value};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded, tuple};

use crate::parse::core::{astring, number, nz_number, sp};
use crate::parse::error::{PError, PResult};
use crate::types::{HeaderNames, Part, Section};

/// `header-list = "(" header-fld-name *(SP header-fld-name) ")"`
///
/// `header-fld-name = astring`
fn header_list(i: &[u8]) -> PResult<'_, HeaderNames<'_>> {
    let start = i;
    let (i, names) = delimited(char('('), separated_list1(sp, astring), char(')'))(i)?;
    let names = HeaderNames::new(names).map_err(|e| PError::invalid(start, e))?;
    Ok((i, names))
}

/// `section-part = nz-number *("." nz-number)`
///
/// Stops before a `.` that is not followed by a digit (`1.HEADER`).
fn section_part(i: &[u8]) -> PResult<'_, Part> {
    let (mut i, first) = nz_number(i)?;
    let mut path: Vec<NonZeroU32> = vec![first];
    while let [b'.', d, ..] = i {
        if !d.is_ascii_digit() {
            break;
        }
        let (rest, n) = nz_number(&i[1..])?;
        path.push(n);
        i = rest;
    }
    // The path holds at least `first`.
    Ok((i, Part::new(path).map_err(|e| PError::invalid(i, e))?))
}

enum MsgText<'a> {
    Header,
    Fields(HeaderNames<'a>),
    FieldsNot(HeaderNames<'a>),
    Text,
    Mime,
}

/// `section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"`
///
/// With `allow_mime`, also `"MIME"` (the rest of `section-text`).
fn section_text(allow_mime: bool) -> impl Fn(&[u8]) -> PResult<'_, MsgText<'_>> {
    move |i| {
        let (i, text) = alt((
            map(
                preceded(tag_no_case("HEADER.FIELDS.NOT"), preceded(sp, header_list)),
                MsgText::FieldsNot,
            ),
            map(
                preceded(tag_no_case("HEADER.FIELDS"), preceded(sp, header_list)),
                MsgText::Fields,
            ),
            value(MsgText::Header, tag_no_case("HEADER")),
            value(MsgText::Text, tag_no_case("TEXT")),
            value(MsgText::Mime, tag_no_case("MIME")),
        ))(i)?;
        if matches!(text, MsgText::Mime) && !allow_mime {
            return Err(PError::expected(i, "MIME only after a part number"));
        }
        Ok((i, text))
    }
}

impl Clone for MsgText<'_> {
    fn clone(&self) -> Self {
        match self {
            MsgText::Header => MsgText::Header,
            MsgText::Fields(h) => MsgText::Fields(h.clone()),
            MsgText::FieldsNot(h) => MsgText::FieldsNot(h.clone()),
            MsgText::Text => MsgText::Text,
            MsgText::Mime => MsgText::Mime,
        }
    }
}

/// `section = "[" [section-spec] "]"`
pub(crate) fn section(i: &[u8]) -> PResult<'_, Section<'_>> {
    delimited(
        char('['),
        map(opt(section_spec), |s| s.unwrap_or(Section::Full)),
        char(']'),
    )(i)
}

/// A `section-spec` that is all of `input` (no brackets): what an IMAP URL
/// names after `;SECTION=` once percent-decoded (RFC 5092 `isection`).
/// `None` for anything else, the empty input included.
///
/// ```
/// use hadron_proto::parse::section_spec;
/// use hadron_proto::types::Section;
/// assert_eq!(section_spec(b"HEADER"), Some(Section::Header(None)));
/// assert!(section_spec(b"1.MIME").is_some());
/// assert_eq!(section_spec(b"HEADER]"), None);
/// ```
pub fn section_spec_only(input: &[u8]) -> Option<Section<'_>> {
    match section_spec(input) {
        Ok(([], section)) => Some(section),
        _ => None,
    }
}

/// `section-spec = section-msgtext / (section-part ["." section-text])`
fn section_spec(i: &[u8]) -> PResult<'_, Section<'_>> {
    {
        if i.first().is_some_and(u8::is_ascii_digit) {
            let (i, part) = section_part(i)?;
            let (i, text) = opt(preceded(char('.'), section_text(true)))(i)?;
            let section = match text {
                None => Section::Part(part),
                Some(MsgText::Header) => Section::Header(Some(part)),
                Some(MsgText::Fields(h)) => Section::HeaderFields(Some(part), h),
                Some(MsgText::FieldsNot(h)) => Section::HeaderFieldsNot(Some(part), h),
                Some(MsgText::Text) => Section::Text(Some(part)),
                Some(MsgText::Mime) => Section::Mime(part),
            };
            Ok((i, section))
        } else {
            let (i, text) = section_text(false)(i)?;
            let section = match text {
                MsgText::Header => Section::Header(None),
                MsgText::Fields(h) => Section::HeaderFields(None, h),
                MsgText::FieldsNot(h) => Section::HeaderFieldsNot(None, h),
                MsgText::Text | MsgText::Mime => Section::Text(None),
            };
            Ok((i, section))
        }
    }
}

/// `partial = "<" number "." nz-number ">"` (in FETCH commands)
pub(crate) fn partial(i: &[u8]) -> PResult<'_, (u32, NonZeroU32)> {
    map(
        tuple((char('<'), number, char('.'), nz_number, char('>'))),
        |(_, offset, _, len, _)| (offset, len),
    )(i)
}

/// `"<" number ">"` — the origin octet in a FETCH response.
pub(crate) fn origin(i: &[u8]) -> PResult<'_, u32> {
    delimited(char('<'), number, char('>'))(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode;

    fn round_trip(wire: &str) {
        let (rest, s) = section(wire.as_bytes()).expect(wire);
        assert!(rest.is_empty(), "{wire}: left {rest:?}");
        let mut out = Vec::new();
        encode::section::section(&mut out, &s);
        assert_eq!(String::from_utf8(out).unwrap(), wire);
    }

    #[test]
    fn every_form_round_trips() {
        for wire in [
            "[]",
            "[HEADER]",
            "[TEXT]",
            "[1]",
            "[1.2.3]",
            "[1.MIME]",
            "[2.HEADER]",
            "[3.TEXT]",
            "[HEADER.FIELDS (From To)]",
            "[1.HEADER.FIELDS.NOT (\"X Y\" Date)]",
        ] {
            round_trip(wire);
        }
    }

    #[test]
    fn invalid_sections_are_rejected() {
        for bad in [
            "[MIME]",
            "[0]",
            "[1.]",
            "[HEADER.FIELDS ()]",
            "[HEADER.FIELDS]",
            "[FOO]",
        ] {
            let r = section(bad.as_bytes());
            assert!(!matches!(r, Ok((b"", _))), "{bad} parsed as {r:?}");
        }
    }

    #[test]
    fn partials() {
        assert_eq!(
            partial(b"<0.100>").unwrap().1,
            (0, NonZeroU32::new(100).unwrap())
        );
        assert!(partial(b"<0.0>").is_err());
        assert_eq!(origin(b"<42>").unwrap().1, 42);
    }
}
