//! Parsers for FETCH response items, envelopes and body structures.

use std::borrow::Cow;
use std::num::NonZeroU32;

use nom::branch::alt;
use nom::bytes::complete::take_while1;
use nom::character::complete::char;
use nom::combinator::{map, opt};
use nom::multi::{many0, many1, separated_list0, separated_list1};
use nom::sequence::{delimited, preceded, tuple};

use crate::parse::core::{
    date_time, flag_fetch, literal8, nil, nstring, number, number64, nz_number, objectid, sp,
    string,
};
use crate::parse::error::{PError, PResult, Reason};
use crate::parse::response::MAX_DEPTH;
use crate::parse::section::{origin, section};
use crate::types::{
    Address, BinaryData, BodyData, BodyExtension, BodyFields, BodyStructure, Disposition, Envelope,
    ExtensionTail, FetchItem, IString, MultiPartExt, Params, SinglePartExt, SinglePartKind,
};

/// `msg-att-dynamic / msg-att-static`: one FETCH data item.
///
/// ```text
/// msg-att-dynamic = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")" /
///                   "MODSEQ" SP "(" permsg-modsequence ")"
/// msg-att-static  = "ENVELOPE" SP envelope / "INTERNALDATE" SP date-time /
///                   "RFC822" [".HEADER" / ".TEXT"] SP nstring /
///                   "RFC822.SIZE" SP number / "BODY" ["STRUCTURE"] SP body /
///                   "BODY" section ["<" number ">"] SP nstring /
///                   "UID" SP uniqueid /
///                   "BINARY" section-binary ["<" number ">"] SP (nstring / literal8) /
///                   "BINARY.SIZE" section-binary SP number
/// msg-att-static  =/ "EMAILID" SP "(" objectid ")" /
///                    "THREADID" SP ( "(" objectid ")" / nil )   ; RFC 8474
/// msg-att-static  =/ "SAVEDATE" SP (date-time / nil)            ; RFC 8514
/// msg-att-dynamic =/ "PREVIEW" SP nstring                       ; RFC 8970
/// ```
pub(crate) fn fetch_item(i: &[u8]) -> PResult<'_, FetchItem<'_>> {
    let start = i;
    let (i, name) = take_while1(|b: u8| b.is_ascii_alphanumeric() || b == b'.')(i)?;
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    if is("FLAGS") {
        return map(
            preceded(
                sp,
                delimited(char('('), separated_list0(sp, flag_fetch), char(')')),
            ),
            FetchItem::Flags,
        )(i);
    }
    if is("UID") {
        return map(preceded(sp, nz_number), FetchItem::Uid)(i);
    }
    if is("INTERNALDATE") {
        return map(preceded(sp, date_time), FetchItem::InternalDate)(i);
    }
    if is("RFC822.SIZE") {
        return map(preceded(sp, number), FetchItem::Rfc822Size)(i);
    }
    if is("RFC822") {
        return map(preceded(sp, nstring), |s| {
            FetchItem::Rfc822(BodyData::Inline(s))
        })(i);
    }
    if is("RFC822.HEADER") {
        return map(preceded(sp, nstring), |s| {
            FetchItem::Rfc822Header(BodyData::Inline(s))
        })(i);
    }
    if is("RFC822.TEXT") {
        return map(preceded(sp, nstring), |s| {
            FetchItem::Rfc822Text(BodyData::Inline(s))
        })(i);
    }
    if is("ENVELOPE") {
        return map(preceded(sp, envelope), |e| FetchItem::Envelope(Box::new(e)))(i);
    }
    if is("BODYSTRUCTURE") {
        return map(preceded(sp, |i| body(i, 0)), |b| {
            FetchItem::BodyStructure(Box::new(b))
        })(i);
    }
    if is("BODY") {
        if i.first() == Some(&b'[') {
            return map(
                tuple((section, opt(origin), sp, nstring)),
                |(section, origin, _, s)| FetchItem::BodySection {
                    section,
                    origin,
                    data: BodyData::Inline(s),
                },
            )(i);
        }
        return map(preceded(sp, |i| body(i, 0)), |b| {
            FetchItem::Body(Box::new(b))
        })(i);
    }
    if is("BINARY") {
        let data = alt((
            map(literal8, |l| BinaryData::Bytes(Cow::Owned(l.into_data()))),
            map(nstring, |s| match s.0 {
                None => BinaryData::Nil,
                Some(s) => BinaryData::Bytes(s.into_cow()),
            }),
        ));
        return map(
            tuple((section_binary, opt(origin), sp, data)),
            |(part, origin, _, data)| FetchItem::Binary { part, origin, data },
        )(i);
    }
    if is("BINARY.SIZE") {
        return map(tuple((section_binary, sp, number)), |(part, _, size)| {
            FetchItem::BinarySize { part, size }
        })(i);
    }
    if is("MODSEQ") {
        return map(
            preceded(sp, delimited(char('('), number64, char(')'))),
            FetchItem::ModSeq,
        )(i);
    }
    if is("EMAILID") {
        return map(
            preceded(sp, delimited(char('('), objectid, char(')'))),
            FetchItem::EmailId,
        )(i);
    }
    if is("THREADID") {
        return map(
            preceded(
                sp,
                alt((
                    map(delimited(char('('), objectid, char(')')), Some),
                    map(nil, |()| None),
                )),
            ),
            FetchItem::ThreadId,
        )(i);
    }
    if is("SAVEDATE") {
        return map(
            preceded(sp, alt((map(date_time, Some), map(nil, |()| None)))),
            FetchItem::SaveDate,
        )(i);
    }
    if is("PREVIEW") {
        return map(preceded(sp, nstring), FetchItem::Preview)(i);
    }
    Err(nom::Err::Failure(PError::new(
        start,
        Reason::Expected("a FETCH data item"),
    )))
}

/// `section-binary = "[" [section-part] "]"`
fn section_binary(i: &[u8]) -> PResult<'_, Vec<NonZeroU32>> {
    delimited(
        char('['),
        map(
            opt(separated_list1(char('.'), nz_number)),
            Option::unwrap_or_default,
        ),
        char(']'),
    )(i)
}

/// `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"`
fn address(i: &[u8]) -> PResult<'_, Address<'_>> {
    map(
        delimited(
            char('('),
            tuple((nstring, sp, nstring, sp, nstring, sp, nstring)),
            char(')'),
        ),
        |(name, _, adl, _, mailbox, _, host)| Address {
            name,
            adl,
            mailbox,
            host,
        },
    )(i)
}

/// `env-from = "(" 1*address ")" / nil` (and the other address lists;
/// `()` is tolerated as empty)
fn address_list(i: &[u8]) -> PResult<'_, Vec<Address<'_>>> {
    alt((
        map(nil, |()| Vec::new()),
        delimited(char('('), many0(address), char(')')),
    ))(i)
}

/// `envelope = "(" env-date SP env-subject SP env-from SP env-sender SP
///  env-reply-to SP env-to SP env-cc SP env-bcc SP env-in-reply-to SP
///  env-message-id ")"`
pub(crate) fn envelope(i: &[u8]) -> PResult<'_, Envelope<'_>> {
    let (i, _) = char('(')(i)?;
    let (i, (date, _, subject)) = tuple((nstring, sp, nstring))(i)?;
    let (i, (_, from, _, sender, _, reply_to)) =
        tuple((sp, address_list, sp, address_list, sp, address_list))(i)?;
    let (i, (_, to, _, cc, _, bcc)) =
        tuple((sp, address_list, sp, address_list, sp, address_list))(i)?;
    let (i, (_, in_reply_to, _, message_id)) = tuple((sp, nstring, sp, nstring))(i)?;
    let (i, _) = char(')')(i)?;
    Ok((
        i,
        Envelope {
            date,
            subject,
            from,
            sender,
            reply_to,
            to,
            cc,
            bcc,
            in_reply_to,
            message_id,
        },
    ))
}

/// `body-fld-param = "(" string SP string *(SP string SP string) ")" / nil`
/// (`()` is tolerated as empty)
fn params(i: &[u8]) -> PResult<'_, Params<'_>> {
    alt((
        map(nil, |()| Vec::new()),
        delimited(
            char('('),
            separated_list0(sp, map(tuple((string, sp, string)), |(k, _, v)| (k, v))),
            char(')'),
        ),
    ))(i)
}

/// `body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP
///  body-fld-enc SP body-fld-octets`
fn body_fields(i: &[u8]) -> PResult<'_, BodyFields<'_>> {
    map(
        tuple((params, sp, nstring, sp, nstring, sp, string, sp, number)),
        |(params, _, id, _, description, _, encoding, _, octets)| BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        },
    )(i)
}

/// `body-fld-dsp = "(" string SP body-fld-param ")" / nil`
fn disposition(i: &[u8]) -> PResult<'_, Option<Disposition<'_>>> {
    alt((
        map(nil, |()| None),
        map(
            delimited(char('('), tuple((string, sp, params)), char(')')),
            |(kind, _, params)| Some(Disposition { kind, params }),
        ),
    ))(i)
}

/// `body-fld-lang = nstring / "(" string *(SP string) ")"`
fn language(i: &[u8]) -> PResult<'_, Vec<IString<'_>>> {
    alt((
        delimited(char('('), separated_list1(sp, string), char(')')),
        map(nstring, |s| s.0.into_iter().collect()),
    ))(i)
}

/// `body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"`
fn body_extension(i: &[u8], depth: usize) -> PResult<'_, BodyExtension<'_>> {
    if depth >= MAX_DEPTH {
        return Err(nom::Err::Failure(PError::new(
            i,
            Reason::TooDeep(MAX_DEPTH),
        )));
    }
    alt((
        map(nstring, BodyExtension::NString),
        map(number, BodyExtension::Number),
        map(
            delimited(
                char('('),
                separated_list1(sp, |i| body_extension(i, depth + 1)),
                char(')'),
            ),
            BodyExtension::List,
        ),
    ))(i)
}

/// `[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`
fn extension_tail(i: &[u8], depth: usize) -> PResult<'_, ExtensionTail<'_>> {
    let mut tail = ExtensionTail::default();
    let Ok((i, d)) = preceded(sp, disposition)(i) else {
        return Ok((i, tail));
    };
    tail.disposition = d;
    let Ok((i, l)) = preceded(sp, language)(i) else {
        return Ok((i, tail));
    };
    tail.language = l;
    let Ok((i, loc)) = preceded(sp, nstring)(i) else {
        return Ok((i, tail));
    };
    tail.location = loc;
    let (i, ext) = many0(preceded(sp, |i| body_extension(i, depth + 1)))(i)?;
    tail.extensions = ext;
    Ok((i, tail))
}

/// `body = "(" (body-type-1part / body-type-mpart) ")"`
///
/// ```text
/// body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
/// body-type-basic = media-basic SP body-fields
/// body-type-msg   = media-message SP body-fields SP envelope SP body SP body-fld-lines
/// body-type-text  = media-text SP body-fields SP body-fld-lines
/// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
/// body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]
/// body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]
/// ```
pub(crate) fn body(i: &[u8], depth: usize) -> PResult<'_, BodyStructure<'_>> {
    if depth >= MAX_DEPTH {
        return Err(nom::Err::Failure(PError::new(
            i,
            Reason::TooDeep(MAX_DEPTH),
        )));
    }
    let (i, _) = char('(')(i)?;
    let (i, b) = if i.first() == Some(&b'(') {
        let (i, parts) = many1(|i| body(i, depth + 1))(i)?;
        let (i, _) = sp(i)?;
        let (i, subtype) = string(i)?;
        let (i, ext) = opt(preceded(sp, |i| {
            let (i, params) = params(i)?;
            let (i, tail) = extension_tail(i, depth)?;
            Ok((i, MultiPartExt { params, tail }))
        }))(i)?;
        (
            i,
            BodyStructure::Multi {
                parts,
                subtype,
                ext,
            },
        )
    } else {
        let (i, (media_type, _, subtype, _, fields)) =
            tuple((string, sp, string, sp, body_fields))(i)?;
        let ty = media_type.as_bytes();
        let (i, kind) = if ty.eq_ignore_ascii_case(b"TEXT") {
            map(preceded(sp, number), |lines| SinglePartKind::Text {
                subtype: subtype.clone(),
                lines,
            })(i)?
        } else if ty.eq_ignore_ascii_case(b"MESSAGE")
            && subtype.as_bytes().eq_ignore_ascii_case(b"RFC822")
        {
            map(
                tuple((sp, envelope, sp, |i| body(i, depth + 1), sp, number)),
                |(_, envelope, _, body, _, lines)| SinglePartKind::Message {
                    envelope: Box::new(envelope),
                    body: Box::new(body),
                    lines,
                },
            )(i)?
        } else {
            (
                i,
                SinglePartKind::Basic {
                    media_type,
                    subtype,
                },
            )
        };
        let (i, ext) = opt(preceded(sp, |i| {
            let (i, md5) = nstring(i)?;
            let (i, tail) = extension_tail(i, depth)?;
            Ok((i, SinglePartExt { md5, tail }))
        }))(i)?;
        (i, BodyStructure::Single { kind, fields, ext })
    };
    let (i, _) = char(')')(i)?;
    Ok((i, b))
}
