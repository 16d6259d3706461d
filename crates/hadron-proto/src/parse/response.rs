//! Parsers for server responses (RFC 3501 §7 and §9 `response`, and the
//! extensions listed in [`crate::types::Data`]).

use std::borrow::Cow;
use std::num::NonZeroU32;

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while1};
use nom::character::complete::char;
use nom::combinator::{map, opt, value};
use nom::multi::{many0, many1, separated_list0, separated_list1};
use nom::sequence::{delimited, preceded, tuple};

use crate::parse::core::{
    ascii, atom, charset, crlf, flag_list, flag_perm, imap_tag, number, number64, nz_number,
    objectid, sequence_set, sp, text,
};
use crate::parse::error::{PError, PResult};
use crate::parse::notify::event;
use crate::parse::response_data::{
    esearch, id_params, ids_with_modseq, mailbox_list, namespace, quota_data, quotaroot_data,
    status_data, thread_list,
};
use crate::parse::response_fetch::fetch_item;
use crate::types::{
    Capability, Code, Continue, Data, Greeting, GreetingKind, NonEmptyVec, OtherCode, RespText,
    Response, Status, StatusKind, Text, UidSet, is_text_char,
};

/// Deepest nesting of THREAD lists, body structures and body extensions the
/// parser follows (deeper input is refused rather than overflowing the stack).
pub(crate) const MAX_DEPTH: usize = 64;

/// Why a response could not be parsed: where, and what was expected.
///
/// ```
/// use hadron_proto::parse;
/// let err = parse::response(b"* 3 EXISTZ\r\n").unwrap_err();
/// assert_eq!(err.offset(), 4);
/// assert!(err.to_string().contains("at byte 4"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid response at byte {offset}: {reason}")]
pub struct ResponseError {
    offset: usize,
    reason: String,
}

impl ResponseError {
    /// Offset of the problem in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was wrong, in words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

fn finish<'a, O>(input: &'a [u8], r: PResult<'a, O>) -> Result<O, ResponseError> {
    match r {
        Ok(([], o)) => Ok(o),
        Ok((rest, _)) => Err(ResponseError {
            offset: input.len() - rest.len(),
            reason: "unexpected bytes after the end of the response".into(),
        }),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(ResponseError {
            offset: input.len() - e.input.len(),
            reason: e.describe(),
        }),
        Err(nom::Err::Incomplete(_)) => Err(ResponseError {
            offset: input.len(),
            reason: "the response is incomplete".into(),
        }),
    }
}

/// Parses one complete framed response (its line, inline literals and final
/// CRLF). The result borrows from `input` where it can.
///
/// ```
/// use hadron_proto::parse;
/// use hadron_proto::types::{Data, Response};
/// let r = parse::response(b"* 172 EXISTS\r\n").unwrap();
/// assert_eq!(r, Response::Data(Data::Exists(172)));
/// ```
pub fn response(input: &[u8]) -> Result<Response<'_>, ResponseError> {
    finish(input, response_line(input))
}

/// Parses the server greeting (`greeting = "*" SP (resp-cond-auth /
/// resp-cond-bye) CRLF`).
///
/// ```
/// use hadron_proto::parse;
/// use hadron_proto::types::GreetingKind;
/// let g = parse::greeting(b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n").unwrap();
/// assert_eq!(g.kind, GreetingKind::PreAuth);
/// ```
pub fn greeting(input: &[u8]) -> Result<Greeting<'_>, ResponseError> {
    finish(input, greeting_line(input))
}

/// `greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF`
///
/// `resp-cond-auth = ("OK" / "PREAUTH") SP resp-text`
fn greeting_line(i: &[u8]) -> PResult<'_, Greeting<'_>> {
    let (i, _) = tag("* ")(i)?;
    let (i, kind) = alt((
        value(GreetingKind::Ok, tag_no_case("OK")),
        value(GreetingKind::PreAuth, tag_no_case("PREAUTH")),
        value(GreetingKind::Bye, tag_no_case("BYE")),
    ))(i)?;
    let (i, text) = resp_text_after_keyword(i)?;
    let (i, ()) = crlf(i)?;
    Ok((i, Greeting { kind, text }))
}

/// `response = continue-req / response-data / response-tagged` (one line)
fn response_line(i: &[u8]) -> PResult<'_, Response<'_>> {
    let (i, resp) = match i.first() {
        Some(b'+') => map(continue_req, Response::Continue)(i)?,
        Some(b'*') => preceded(tag("* "), untagged)(i)?,
        _ => map(tagged, Response::Status)(i)?,
    };
    let (i, ()) = crlf(i)?;
    Ok((i, resp))
}

/// `response-tagged = tag SP resp-cond-state CRLF`
fn tagged(i: &[u8]) -> PResult<'_, Status<'_>> {
    let (i, t) = imap_tag(i)?;
    let (i, _) = sp(i)?;
    let (i, kind) = status_kind(i)?;
    let (i, text) = resp_text_after_keyword(i)?;
    Ok((i, Status::Tagged { tag: t, kind, text }))
}

/// `resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text`
fn status_kind(i: &[u8]) -> PResult<'_, StatusKind> {
    alt((
        value(StatusKind::Ok, tag_no_case("OK")),
        value(StatusKind::No, tag_no_case("NO")),
        value(StatusKind::Bad, tag_no_case("BAD")),
    ))(i)
}

/// `SP resp-text` after a status keyword. The SP may be missing when the
/// text is empty (as many servers send `a1 OK`).
fn resp_text_after_keyword(i: &[u8]) -> PResult<'_, RespText<'_>> {
    match i {
        [b' ', rest @ ..] => resp_text(rest),
        _ => Ok((i, RespText::unvalidated(None, Text::unvalidated("")))),
    }
}

/// `resp-text = ["[" resp-text-code "]" SP] text`
///
/// Text that starts with `[` but holds nothing like a code is read as plain
/// text; a known code with invalid arguments is an error.
pub(crate) fn resp_text(i: &[u8]) -> PResult<'_, RespText<'_>> {
    if i.first() == Some(&b'[') {
        let coded = tuple((delimited(char('['), code, char(']')), opt(sp), text))(i);
        match coded {
            Ok((rest, (c, _, t))) => return Ok((rest, RespText::unvalidated(Some(c), t))),
            // A known code with invalid arguments is an error, not text.
            Err(e @ nom::Err::Failure(_)) => return Err(e),
            Err(_) => {}
        }
    }
    let (i, t) = text(i)?;
    Ok((i, RespText::unvalidated(None, t)))
}

/// `capability = ("AUTH=" auth-type) / atom`
fn capability(i: &[u8]) -> PResult<'_, Capability<'_>> {
    map(atom, Capability::from_atom)(i)
}

/// `uid-set = (uniqueid / uid-range) *("," uid-set)` (RFC 4315)
fn uid_set(i: &[u8]) -> PResult<'_, UidSet> {
    let (rest, set) = sequence_set(usize::MAX)(i)?;
    let set = UidSet::new(set).map_err(|e| PError::invalid(i, e))?;
    Ok((rest, set))
}

/// `resp-text-code = "ALERT" / "BADCHARSET" [SP "(" charset *(SP charset) ")"] /
///    capability-data / "PARSE" / "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")" /
///    "READ-ONLY" / "READ-WRITE" / "TRYCREATE" / "UIDNEXT" SP nz-number /
///    "UIDVALIDITY" SP nz-number / "UNSEEN" SP nz-number /
///    atom [SP 1*<any TEXT-CHAR except "]">]`
///
/// plus the RFC 5530 codes, `"APPENDUID" SP nz-number SP append-uid`,
/// `"COPYUID" SP nz-number SP uid-set SP uid-set`, `"UIDNOTSTICKY"` (RFC
/// 4315), `"HIGHESTMODSEQ" SP mod-sequence-value`, `"NOMODSEQ"`,
/// `"MODIFIED" SP sequence-set`, `"CLOSED"` (RFC 7162), `"TOOBIG"`,
/// `"COMPRESSIONACTIVE"`, `"MAILBOXID" SP "(" objectid ")"` (RFC 8474),
/// `"NOTIFICATIONOVERFLOW"` and `"BADEVENT" SP "(" event *(SP event) ")"` (RFC 5465).
fn code(i: &[u8]) -> PResult<'_, Code<'_>> {
    let (i, name) = atom(i)?;
    let n = name.as_str();
    let is = |s: &str| n.eq_ignore_ascii_case(s);
    if let Some(simple) = Code::simple_from_name(n) {
        return Ok((i, simple));
    }
    if is("BADCHARSET") {
        return map(
            opt(preceded(
                sp,
                delimited(char('('), separated_list1(sp, charset), char(')')),
            )),
            |v| Code::BadCharset(v.unwrap_or_default()),
        )(i);
    }
    if is("CAPABILITY") {
        return map(many0(preceded(sp, capability)), Code::Capability)(i);
    }
    if is("PERMANENTFLAGS") {
        return map(
            preceded(
                sp,
                delimited(char('('), separated_list0(sp, flag_perm), char(')')),
            ),
            Code::PermanentFlags,
        )(i);
    }
    if is("UIDNEXT") {
        return map(preceded(sp, nz_number), Code::UidNext)(i);
    }
    if is("UIDVALIDITY") {
        return map(preceded(sp, nz_number), Code::UidValidity)(i);
    }
    if is("UNSEEN") {
        return map(preceded(sp, nz_number), Code::Unseen)(i);
    }
    if is("APPENDUID") {
        return map(
            tuple((sp, nz_number, sp, uid_set)),
            |(_, uid_validity, _, uids)| Code::AppendUid { uid_validity, uids },
        )(i);
    }
    if is("COPYUID") {
        return map(
            tuple((sp, nz_number, sp, uid_set, sp, uid_set)),
            |(_, uid_validity, _, source, _, destination)| Code::CopyUid {
                uid_validity,
                source,
                destination,
            },
        )(i);
    }
    if is("HIGHESTMODSEQ") {
        return map(preceded(sp, number64), Code::HighestModSeq)(i);
    }
    if is("MODIFIED") {
        return map(preceded(sp, sequence_set(usize::MAX)), Code::Modified)(i);
    }
    if is("BADEVENT") {
        return map(
            preceded(
                sp,
                delimited(char('('), separated_list1(sp, event), char(')')),
            ),
            |v| Code::BadEvent(NonEmptyVec::unvalidated(v)),
        )(i);
    }
    if is("MAILBOXID") {
        return map(
            preceded(sp, delimited(char('('), objectid, char(')'))),
            Code::MailboxId,
        )(i);
    }
    let (i, arg) = opt(preceded(sp, take_while1(|b| is_text_char(b) && b != b']')))(i)?;
    let arg = arg.map(|a| Text::unvalidated(ascii(a)));
    Ok((i, Code::Other(OtherCode::unvalidated(name, arg))))
}

/// `continue-req = "+" SP (resp-text / base64) CRLF`
///
/// A missing SP before empty text is tolerated (`+` alone).
fn continue_req(i: &[u8]) -> PResult<'_, Continue<'_>> {
    let (i, _) = char('+')(i)?;
    let (i, _) = opt(sp)(i)?;
    let line_len = i.iter().position(|&b| !is_text_char(b)).unwrap_or(i.len());
    let line = &i[..line_len];
    if let Some(decoded) = decode_base64(line) {
        return Ok((&i[line_len..], Continue::Base64(Cow::Owned(decoded))));
    }
    map(resp_text, Continue::Text)(i)
}

/// Decodes `line` if it is non-empty canonical base64; `None` if it is not
/// base64 and so must be text.
pub(crate) fn decode_base64(line: &[u8]) -> Option<Vec<u8>> {
    if line.is_empty() {
        return None;
    }
    crate::base64::decode(line).ok()
}

/// `response-data = "*" SP (resp-cond-state / resp-cond-bye /
///   mailbox-data / message-data / capability-data / enable-data /
///   id-response / namespace-response / esearch-response /
///   quota-response / quotaroot-response) CRLF`
fn untagged(i: &[u8]) -> PResult<'_, Response<'_>> {
    if i.first().is_some_and(u8::is_ascii_digit) {
        return map(message_data, Response::Data)(i);
    }
    let start = i;
    let (i, keyword) = take_while1(|b: u8| b.is_ascii_alphabetic())(i)?;
    let kw = |s: &str| keyword.eq_ignore_ascii_case(s.as_bytes());
    if let Ok((_, kind)) = status_kind(keyword)
        && keyword.len() == kind.name().len()
    {
        let (i, text) = resp_text_after_keyword(i)?;
        return Ok((i, Response::Status(Status::Untagged { kind, text })));
    }
    if kw("BYE") {
        let (i, text) = resp_text_after_keyword(i)?;
        return Ok((i, Response::Status(Status::Bye(text))));
    }
    fn data<'a>(r: PResult<'a, Data<'a>>) -> PResult<'a, Response<'a>> {
        r.map(|(i, d)| (i, Response::Data(d)))
    }
    if kw("CAPABILITY") {
        return data(map(many0(preceded(sp, capability)), Data::Capability)(i));
    }
    if kw("ENABLED") {
        return data(map(many0(preceded(sp, capability)), Data::Enabled)(i));
    }
    if kw("LIST") {
        return data(map(preceded(sp, mailbox_list), Data::List)(i));
    }
    if kw("LSUB") {
        return data(map(preceded(sp, mailbox_list), Data::Lsub)(i));
    }
    if kw("STATUS") {
        return data(status_data(i));
    }
    if kw("SEARCH") {
        return data(map(ids_with_modseq, |(ids, modseq)| Data::Search {
            ids,
            modseq,
        })(i));
    }
    if kw("SORT") {
        return data(map(ids_with_modseq, |(ids, modseq)| Data::Sort {
            ids,
            modseq,
        })(i));
    }
    if kw("ESEARCH") {
        return data(map(esearch, Data::ESearch)(i));
    }
    if kw("FLAGS") {
        return data(map(preceded(sp, flag_list), Data::Flags)(i));
    }
    if kw("VANISHED") {
        return data(map(
            tuple((sp, opt(tag_no_case("(EARLIER) ")), uid_set)),
            |(_, earlier, uids)| Data::Vanished {
                earlier: earlier.is_some(),
                uids,
            },
        )(i));
    }
    if kw("ID") {
        return data(map(preceded(sp, id_params), Data::Id)(i));
    }
    if kw("NAMESPACE") {
        return data(map(
            tuple((sp, namespace, sp, namespace, sp, namespace)),
            |(_, personal, _, other, _, shared)| Data::Namespace {
                personal,
                other,
                shared,
            },
        )(i));
    }
    if kw("QUOTA") {
        return data(quota_data(i));
    }
    if kw("QUOTAROOT") {
        return data(quotaroot_data(i));
    }
    if kw("THREAD") {
        return data(map(opt(preceded(sp, many1(|i| thread_list(i, 0)))), |t| {
            Data::Thread(t.unwrap_or_default())
        })(i));
    }
    Err(PError::expected(start, "a known untagged response"))
}

/// `message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))`, and
/// `mailbox-data =/ number SP "EXISTS" / number SP "RECENT"`
fn message_data(i: &[u8]) -> PResult<'_, Data<'_>> {
    let start = i;
    let (i, n) = number(i)?;
    let (i, _) = sp(i)?;
    let (after, keyword) = take_while1(|b: u8| b.is_ascii_alphabetic())(i)?;
    let kw = |s: &str| keyword.eq_ignore_ascii_case(s.as_bytes());
    if kw("EXISTS") {
        return Ok((after, Data::Exists(n)));
    }
    if kw("RECENT") {
        return Ok((after, Data::Recent(n)));
    }
    let nz = NonZeroU32::new(n)
        .ok_or_else(|| PError::invalid(start, crate::types::ValidationError::Zero))?;
    if kw("EXPUNGE") {
        return Ok((after, Data::Expunge(nz)));
    }
    if kw("FETCH") {
        let (i, items) = preceded(
            sp,
            delimited(char('('), separated_list0(sp, fetch_item), char(')')),
        )(after)?;
        return Ok((i, Data::Fetch { seq: nz, items }));
    }
    Err(PError::expected(i, "EXISTS, RECENT, EXPUNGE or FETCH"))
}
