//! Parsers for the primitive productions of RFC 3501 §9.
//!
//! All parsers take complete input: running out of bytes is an error, never
//! "incomplete" (framing happens before parsing).

use std::borrow::Cow;
use std::num::NonZeroU32;

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{map, opt, value};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded, tuple};

use crate::parse::error::{PError, PResult, Reason};
use crate::types::{
    AString, Atom, Charset, Date, DateTime, Flag, FlagFetch, FlagPerm, IString, Literal,
    LiteralMode, Mailbox, NString, ObjectId, PartialRange, QuotaResource, SeqNumber, Sequence,
    SequenceSet, Tag, Text, ValidationError, is_astring_char, is_atom_char, is_objectid_char,
    is_tag_char, is_text_char, month_from_name,
};

/// `SP = %x20`
pub(crate) fn sp(i: &[u8]) -> PResult<'_, ()> {
    value((), char(' '))(i)
}

/// `CRLF = CR LF`
pub(crate) fn crlf(i: &[u8]) -> PResult<'_, ()> {
    match i {
        [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        _ => Err(PError::expected(i, "CRLF")),
    }
}

/// `number = 1*DIGIT` (unsigned 32-bit)
pub(crate) fn number(i: &[u8]) -> PResult<'_, u32> {
    let (rest, digits) = digit1(i)?;
    // digit1 only matched ASCII digits, so the text is valid UTF-8.
    let text = std::str::from_utf8(digits).unwrap_or_default();
    match text.parse::<u32>() {
        Ok(n) => Ok((rest, n)),
        Err(_) => Err(nom::Err::Failure(PError::new(
            i,
            crate::parse::error::Reason::Expected("a number below 2^32"),
        ))),
    }
}

/// `number64 = 1*DIGIT` (unsigned 63-bit, RFC 9051)
pub(crate) fn number64(i: &[u8]) -> PResult<'_, u64> {
    let (rest, digits) = digit1(i)?;
    let text = std::str::from_utf8(digits).unwrap_or_default();
    match text.parse::<u64>() {
        Ok(n) if n <= i64::MAX as u64 => Ok((rest, n)),
        _ => Err(nom::Err::Failure(PError::new(
            i,
            crate::parse::error::Reason::Expected("a number below 2^63"),
        ))),
    }
}

/// `nz-number = digit-nz *DIGIT`
pub(crate) fn nz_number(i: &[u8]) -> PResult<'_, NonZeroU32> {
    let (rest, n) = number(i)?;
    match NonZeroU32::new(n) {
        Some(n) if i[0] != b'0' => Ok((rest, n)),
        _ => Err(PError::invalid(i, ValidationError::Zero)),
    }
}

/// `atom = 1*ATOM-CHAR`
pub(crate) fn atom(i: &[u8]) -> PResult<'_, Atom<'_>> {
    let (rest, bytes) = take_while1(is_atom_char)(i)?;
    Ok((rest, Atom::unvalidated(ascii(bytes))))
}

/// `objectid = 1*255(ALPHA / DIGIT / "_" / "-")` (RFC 8474)
///
/// No id character at all is a recoverable error; more than 255 is a
/// committed one (the syntax matched, the value is too long).
pub(crate) fn objectid(i: &[u8]) -> PResult<'_, ObjectId<'_>> {
    let len = i.iter().take_while(|&&b| is_objectid_char(b)).count();
    if len == 0 {
        return Err(PError::expected(i, "an object id"));
    }
    if len > ObjectId::MAX_LEN {
        return Err(PError::invalid(
            i,
            ValidationError::TooLong {
                what: "object id",
                max: ObjectId::MAX_LEN,
                len,
            },
        ));
    }
    Ok((&i[len..], ObjectId::unvalidated(ascii(&i[..len]))))
}

/// `tag = 1*<any ASTRING-CHAR except "+">`
pub(crate) fn imap_tag(i: &[u8]) -> PResult<'_, Tag<'_>> {
    let (rest, bytes) = take_while1(is_tag_char)(i)
        .map_err(|_: nom::Err<PError<'_>>| PError::expected(i, "a tag"))?;
    Ok((rest, Tag::unvalidated(ascii(bytes))))
}

/// `text = 1*TEXT-CHAR` (empty admitted, see [`Text`])
pub(crate) fn text(i: &[u8]) -> PResult<'_, Text<'_>> {
    let (rest, bytes) = take_while(is_text_char)(i)?;
    Ok((rest, Text::unvalidated(ascii(bytes))))
}

/// Bytes already checked to be 7-bit ASCII, as `&str`.
pub(crate) fn ascii(bytes: &[u8]) -> &str {
    // Every caller passes bytes matched by a 7-bit character class.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// `quoted = DQUOTE *QUOTED-CHAR DQUOTE`
///
/// `QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials`.
/// 8-bit bytes are rejected (they need a literal, or UTF8=ACCEPT).
pub(crate) fn quoted(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    let Some((&b'"', body)) = i.split_first() else {
        return Err(PError::expected(i, "a quoted string"));
    };
    let mut owned: Option<Vec<u8>> = None;
    let mut pos = 0;
    while pos < body.len() {
        match body[pos] {
            b'"' => {
                let content = match owned {
                    Some(v) => Cow::Owned(v),
                    None => Cow::Borrowed(&body[..pos]),
                };
                return Ok((&body[pos + 1..], content));
            }
            b'\\' => {
                let Some(&escaped @ (b'"' | b'\\')) = body.get(pos + 1) else {
                    return Err(nom::Err::Failure(PError::new(
                        &body[pos..],
                        crate::parse::error::Reason::Expected(
                            "only \\\" or \\\\ after a backslash in a quoted string",
                        ),
                    )));
                };
                owned
                    .get_or_insert_with(|| body[..pos].to_vec())
                    .push(escaped);
                pos += 2;
            }
            b if is_text_char(b) => {
                if let Some(v) = owned.as_mut() {
                    v.push(b);
                }
                pos += 1;
            }
            _ => {
                return Err(nom::Err::Failure(PError::new(
                    &body[pos..],
                    crate::parse::error::Reason::Expected(
                        "a quoted string without CR, LF, NUL or 8-bit bytes (send a literal)",
                    ),
                )));
            }
        }
    }
    Err(nom::Err::Failure(PError::new(
        i,
        crate::parse::error::Reason::Expected("a closing quote"),
    )))
}

/// The header of a literal: `"{" number64 ["+"] "}" CRLF`, returning the
/// length and whether it was non-synchronising.
pub(crate) fn literal_header(i: &[u8]) -> PResult<'_, (u64, LiteralMode)> {
    let (i, (_, len, plus, _)) = tuple((char('{'), number64, opt(char('+')), char('}')))(i)?;
    let (i, ()) = crlf(i)?;
    let mode = if plus.is_some() {
        LiteralMode::NonSync
    } else {
        LiteralMode::Sync
    };
    Ok((i, (len, mode)))
}

/// The data of a literal whose header announced `len` bytes.
fn literal_data(i: &[u8], len: u64) -> PResult<'_, &[u8]> {
    let len = usize::try_from(len).map_err(|_| PError::expected(i, "a shorter literal"))?;
    if i.len() < len {
        return Err(nom::Err::Failure(PError::new(
            i,
            crate::parse::error::Reason::Expected("as many literal bytes as announced"),
        )));
    }
    take(len)(i)
}

/// `literal = "{" number64 ["+"] "}" CRLF *CHAR8` (CHAR8 excludes NUL)
pub(crate) fn literal(i: &[u8]) -> PResult<'_, Literal<'_>> {
    let (rest, (len, mode)) = literal_header(i)?;
    let (rest, data) = literal_data(rest, len)?;
    let lit = Literal::new(data).map_err(|e| PError::invalid(i, e))?;
    Ok((rest, lit.with_mode(mode)))
}

/// `literal8 = "~{" number64 ["+"] "}" CRLF *OCTET` (RFC 3516)
pub(crate) fn literal8(i: &[u8]) -> PResult<'_, Literal<'_>> {
    let (rest, (len, mode)) = preceded(char('~'), literal_header)(i)?;
    let (rest, data) = literal_data(rest, len)?;
    Ok((rest, Literal::binary(data).with_mode(mode)))
}

/// `string = quoted / literal`, as raw content.
fn string_bytes(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    match i.first() {
        Some(b'"') => quoted(i),
        Some(b'{') => map(literal, Literal::into_cow)(i),
        _ => Err(PError::expected(i, "a string")),
    }
}

/// `string = quoted / literal`
pub(crate) fn string(i: &[u8]) -> PResult<'_, IString<'_>> {
    map(string_bytes, IString::unvalidated)(i)
}

/// `astring = 1*ASTRING-CHAR / string`
pub(crate) fn astring(i: &[u8]) -> PResult<'_, AString<'_>> {
    match i.first() {
        Some(b'"' | b'{') => map(string_bytes, AString::unvalidated)(i),
        _ => {
            let (rest, bytes) = take_while1(is_astring_char)(i)
                .map_err(|_: nom::Err<PError<'_>>| PError::expected(i, "an atom or string"))?;
            Ok((rest, AString::unvalidated(bytes)))
        }
    }
}

/// `nil = "NIL"`
pub(crate) fn nil(i: &[u8]) -> PResult<'_, ()> {
    value((), tag_no_case("NIL"))(i)
}

/// `nstring = string / nil`
pub(crate) fn nstring(i: &[u8]) -> PResult<'_, NString<'_>> {
    alt((
        map(string, |s| NString(Some(s))),
        map(nil, |()| NString(None)),
    ))(i)
}

/// `mailbox = "INBOX" / astring` (modified UTF-7 decoded; INBOX in any case;
/// an astring that is not valid modified UTF-7 is kept raw, for the server
/// to answer `NO`: see [`Mailbox::from_wire_or_raw`])
pub(crate) fn mailbox(i: &[u8]) -> PResult<'_, Mailbox<'_>> {
    let (rest, name) = astring(i)?;
    let mailbox = match name.into_cow() {
        Cow::Borrowed(bytes) => Mailbox::from_wire_or_raw(bytes),
        Cow::Owned(bytes) => Mailbox::from_wire_or_raw(&bytes).map(Mailbox::into_static),
    }
    .map_err(|e| PError::invalid(i, e))?;
    Ok((rest, mailbox))
}

/// `seq-number = nz-number / "*"`
pub(crate) fn seq_number(i: &[u8]) -> PResult<'_, SeqNumber> {
    alt((
        map(nz_number, SeqNumber::Value),
        value(SeqNumber::Largest, char('*')),
    ))(i)
}

/// `seq-range = seq-number ":" seq-number`, or a single `seq-number`.
fn sequence(i: &[u8]) -> PResult<'_, Sequence> {
    let (i, a) = seq_number(i)?;
    let (i, b) = opt(preceded(char(':'), seq_number))(i)?;
    Ok((
        i,
        match b {
            Some(b) => Sequence::Range(a, b),
            None => Sequence::Single(a),
        },
    ))
}

/// `sequence-set = (seq-number / seq-range) ["," sequence-set]`
///
/// `sequence-set =/ seq-last-command` (`"$"`, RFC 5182)
///
/// At most `max_items` items are accepted.
pub(crate) fn sequence_set(max_items: usize) -> impl Fn(&[u8]) -> PResult<'_, SequenceSet> {
    move |i| {
        if let Some((b'$', rest)) = i.split_first() {
            return Ok((rest, SequenceSet::Saved));
        }
        let (rest, items) = separated_list1(char(','), sequence)(i)?;
        if items.len() > max_items {
            return Err(nom::Err::Failure(PError::new(
                i,
                crate::parse::error::Reason::TooMany("sequence set items", max_items),
            )));
        }
        // separated_list1 guarantees at least one item.
        Ok((rest, SequenceSet::List(items)))
    }
}

/// `flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" /
///         flag-keyword / flag-extension`
pub(crate) fn flag(i: &[u8]) -> PResult<'_, Flag<'_>> {
    alt((
        map(preceded(char('\\'), atom), Flag::system),
        map(atom, Flag::Keyword),
    ))(i)
}

/// `flag-list = "(" [flag *(SP flag)] ")"`
pub(crate) fn flag_list(i: &[u8]) -> PResult<'_, Vec<Flag<'_>>> {
    delimited(
        char('('),
        map(opt(separated_list1(sp, flag)), Option::unwrap_or_default),
        char(')'),
    )(i)
}

/// `flag-fetch = flag / "\Recent"`
pub(crate) fn flag_fetch(i: &[u8]) -> PResult<'_, FlagFetch<'_>> {
    map(flag, |f| match f {
        Flag::Extension(ref a) if a.eq_ignore_case("Recent") => FlagFetch::Recent,
        f => FlagFetch::Flag(f),
    })(i)
}

/// `flag-perm = flag / "\*"`
pub(crate) fn flag_perm(i: &[u8]) -> PResult<'_, FlagPerm<'_>> {
    alt((
        value(FlagPerm::Asterisk, tag("\\*")),
        map(flag, FlagPerm::Flag),
    ))(i)
}

/// `date-month = "Jan" / "Feb" / ... / "Dec"`
fn date_month(i: &[u8]) -> PResult<'_, u8> {
    match i.get(..3).and_then(month_from_name) {
        Some(month) => Ok((&i[3..], month)),
        None => Err(PError::expected(i, "a month name (Jan..Dec)")),
    }
}

fn fixed_digits(n: usize) -> impl Fn(&[u8]) -> PResult<'_, u32> {
    move |i| {
        let (rest, digits) = take(n)(i)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(PError::expected(i, "digits"));
        }
        Ok((
            rest,
            digits
                .iter()
                .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
        ))
    }
}

/// `date-day = 1*2DIGIT`
fn date_day(i: &[u8]) -> PResult<'_, u32> {
    let (rest, digits) = take_while1(|b: u8| b.is_ascii_digit())(i)?;
    if digits.len() > 2 {
        return Err(PError::expected(i, "a day of at most two digits"));
    }
    Ok((
        rest,
        digits
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
    ))
}

fn make_date(i: &[u8], year: u32, month: u8, day: u32) -> Result<Date, nom::Err<PError<'_>>> {
    let year = u16::try_from(year).map_err(|_| PError::invalid(i, ValidationError::BadDate))?;
    let day = u8::try_from(day).map_err(|_| PError::invalid(i, ValidationError::BadDate))?;
    Date::new(year, month, day).map_err(|e| PError::invalid(i, e))
}

/// `date = date-text / DQUOTE date-text DQUOTE`
///
/// `date-text = date-day "-" date-month "-" date-year`
pub(crate) fn date(i: &[u8]) -> PResult<'_, Date> {
    let date_text = |i| {
        let start = i;
        let (i, (day, _, month, _, year)) =
            tuple((date_day, char('-'), date_month, char('-'), fixed_digits(4)))(i)?;
        Ok((i, make_date(start, year, month, day)?))
    };
    alt((delimited(char('"'), date_text, char('"')), date_text))(i)
}

/// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time
///              SP zone DQUOTE`
///
/// `date-day-fixed = (SP DIGIT) / 2DIGIT`, `time = 2DIGIT ":" 2DIGIT ":" 2DIGIT`,
/// `zone = ("+" / "-") 4DIGIT`
pub(crate) fn date_time(i: &[u8]) -> PResult<'_, DateTime> {
    let start = i;
    let day_fixed = alt((preceded(char(' '), fixed_digits(1)), fixed_digits(2)));
    let (i, (_, day, _, month, _, year, _)) = tuple((
        char('"'),
        day_fixed,
        char('-'),
        date_month,
        char('-'),
        fixed_digits(4),
        sp,
    ))(i)?;
    let (i, (hour, _, minute, _, second, _)) = tuple((
        fixed_digits(2),
        char(':'),
        fixed_digits(2),
        char(':'),
        fixed_digits(2),
        sp,
    ))(i)?;
    let (i, (sign, zone, _)) = tuple((alt((char('+'), char('-'))), fixed_digits(4), char('"')))(i)?;
    let date = make_date(start, year, month, day)?;
    if zone % 100 > 59 {
        return Err(PError::invalid(start, ValidationError::BadDate));
    }
    let zone = (zone / 100 * 60 + zone % 100) as i16;
    let zone = if sign == '-' { -zone } else { zone };
    let dt = DateTime::new(date, hour as u8, minute as u8, second as u8, zone)
        .map_err(|e| PError::invalid(start, e))?;
    Ok((i, dt))
}

/// `charset = atom / quoted`
pub(crate) fn charset(i: &[u8]) -> PResult<'_, Charset<'_>> {
    if i.first() == Some(&b'"') {
        let (rest, q) = quoted(i)?;
        let charset = match q {
            Cow::Borrowed(b) => Charset::try_from(b),
            Cow::Owned(b) => Charset::try_from(String::from_utf8(b).unwrap_or_default()),
        };
        return Ok((rest, charset.map_err(|e| PError::invalid(i, e))?));
    }
    let (rest, name) = take_while1(is_atom_char)(i)?;
    Ok((rest, Charset::unvalidated(ascii(name))))
}

/// A committed failure: `what` was expected at `i`.
fn committed<'a>(i: &'a [u8], what: &'static str) -> nom::Err<PError<'a>> {
    nom::Err::Failure(PError::new(i, Reason::Expected(what)))
}

/// `partial-range = partial-range-first / partial-range-last`,
/// `partial-range-first = nz-number ":" nz-number`,
/// `partial-range-last = MINUS nz-number ":" MINUS nz-number` (RFC 9394)
pub(crate) fn partial_range(i: &[u8]) -> PResult<'_, PartialRange> {
    /// The `MINUS` before a position: there exactly when `from_end`.
    fn minus(i: &[u8], from_end: bool) -> PResult<'_, ()> {
        match i {
            [b'-', rest @ ..] if from_end => Ok((rest, ())),
            _ if from_end => Err(committed(i, "'-' (both ends of a range from the end)")),
            [b'-', ..] => Err(committed(i, "a position (both ends count from the start)")),
            _ => Ok((i, ())),
        }
    }
    let from_end = i.first() == Some(&b'-');
    let (i, ()) = minus(i, from_end)?;
    let (i, a) = nz_number(i).map_err(|_| committed(i, "a position (a non-zero number)"))?;
    let Some((b':', i)) = i.split_first() else {
        return Err(committed(i, "':' in a partial range"));
    };
    let (i, ()) = minus(i, from_end)?;
    let (i, b) = nz_number(i).map_err(|_| committed(i, "a position (a non-zero number)"))?;
    Ok((i, PartialRange::new(from_end, a, b)))
}

/// `resource-name = "STORAGE" / "MESSAGE" / "MAILBOX" /
///   "ANNOTATION-STORAGE" / resource-name-ext`, `resource-name-ext = atom`
/// (RFC 9208)
pub(crate) fn resource_name(i: &[u8]) -> PResult<'_, QuotaResource<'_>> {
    let (i, name) = atom(i).map_err(|_| PError::expected(i, "a quota resource name"))?;
    Ok((i, QuotaResource::from_atom(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<'a, O>(r: PResult<'a, O>) -> (O, &'a [u8]) {
        let (rest, o) = r.expect("parse failed");
        (o, rest)
    }

    #[test]
    fn quoted_unescapes_and_borrows_when_it_can() {
        let (s, rest) = ok(quoted(b"\"a b\" x"));
        assert!(matches!(s, Cow::Borrowed(b"a b")));
        assert_eq!(rest, b" x");
        let (s, _) = ok(quoted(br#""say \"hi\" \\o/""#));
        assert_eq!(&*s, br#"say "hi" \o/"#);
    }

    #[test]
    fn quoted_rejects_8bit_controls_and_bad_escapes() {
        assert!(quoted("\"caf\u{e9}\"".as_bytes()).is_err());
        assert!(quoted(b"\"a\r\nb\"").is_err());
        assert!(quoted(b"\"a\\nb\"").is_err());
        assert!(quoted(b"\"open").is_err());
    }

    #[test]
    fn literals_including_empty_and_non_sync() {
        let (l, rest) = ok(literal(b"{0}\r\n rest"));
        assert_eq!(l.data(), b"");
        assert_eq!(rest, b" rest");
        let (l, _) = ok(literal(b"{3+}\r\na\r\n"));
        assert_eq!(l.data(), b"a\r\n");
        assert_eq!(l.mode(), LiteralMode::NonSync);
        assert!(literal(b"{5}\r\nabc").is_err());
        assert!(literal(b"{1}\r\n\0").is_err());
        let (l, _) = ok(literal8(b"~{1}\r\n\0"));
        assert!(l.is_binary());
    }

    #[test]
    fn astring_forms() {
        assert_eq!(ok(astring(b"foo] bar")).0.as_bytes(), b"foo]");
        assert_eq!(ok(astring(b"\"\"")).0.as_bytes(), b"");
        assert_eq!(ok(astring(b"{2}\r\nhi")).0.as_bytes(), b"hi");
        assert!(astring(b"(x)").is_err());
    }

    #[test]
    fn objectids() {
        let (id, rest) = ok(objectid(b"F2212ea87-6097-4256-9d51-71338625)"));
        assert_eq!(id.as_str(), "F2212ea87-6097-4256-9d51-71338625");
        assert_eq!(rest, b")");
        assert_eq!(ok(objectid(b"a_b c")).0.as_str(), "a_b");
        assert!(matches!(objectid(b"(x)"), Err(nom::Err::Error(_))));
        assert!(matches!(objectid(b""), Err(nom::Err::Error(_))));
        let max = "x".repeat(255);
        assert_eq!(ok(objectid(max.as_bytes())).0.as_str(), max);
        let long = "x".repeat(256);
        assert!(matches!(
            objectid(long.as_bytes()),
            Err(nom::Err::Failure(_))
        ));
    }

    #[test]
    fn numbers() {
        assert_eq!(ok(number(b"4294967295")).0, u32::MAX);
        assert!(number(b"4294967296").is_err());
        assert!(nz_number(b"0").is_err());
        assert!(nz_number(b"01").is_err());
        assert_eq!(ok(number64(b"9223372036854775807")).0, i64::MAX as u64);
    }

    #[test]
    fn sequence_sets() {
        let p = sequence_set(1000);
        assert_eq!(ok(p(b"1:*,5")).0.to_string(), "1:*,5");
        assert_eq!(ok(p(b"$")).0, SequenceSet::Saved);
        // `1:*:2` stops after `1:*`, leaving `:2` for the caller to reject.
        assert_eq!(ok(p(b"1:*:2")).1, b":2");
        assert!(p(b"0").is_err());
        assert!(sequence_set(2)(b"1,2,3").is_err());
    }

    #[test]
    fn flags() {
        let (flags, _) = ok(flag_list(br"(\Seen \ANSWERED $Junk \Custom)"));
        assert_eq!(flags[0], Flag::Seen);
        assert_eq!(flags[1], Flag::Answered);
        assert_eq!(flags[2].to_string(), "$Junk");
        assert_eq!(flags[3].to_string(), "\\Custom");
        assert_eq!(ok(flag_list(b"()")).0, vec![]);
        assert_eq!(ok(flag_fetch(br"\recent")).0, FlagFetch::Recent);
        assert_eq!(ok(flag_perm(br"\*")).0, FlagPerm::Asterisk);
    }

    #[test]
    fn dates() {
        assert_eq!(ok(date(b"1-Feb-1994")).0.to_string(), "1-Feb-1994");
        assert_eq!(ok(date(b"\"01-feb-1994\"")).0.to_string(), "1-Feb-1994");
        assert!(date(b"30-Feb-1994").is_err());
        let (dt, _) = ok(date_time(b"\" 1-Feb-1994 21:52:25 -0800\""));
        assert_eq!(dt.zone_minutes(), -480);
        assert!(date_time(b"\"1-Feb-1994 21:52:25 -0800\"").is_err());
        assert!(date_time(b"\"01-Feb-1994 25:52:25 -0800\"").is_err());
        assert!(date_time(b"\"01-Feb-1994 21:52:25 -0870\"").is_err());
    }

    #[test]
    fn mailboxes() {
        assert!(ok(mailbox(b"inbox")).0.is_inbox());
        assert_eq!(ok(mailbox(b"\"&ZeVnLIqe-\"")).0.as_str(), "日本語");
        // Valid astring, invalid modified UTF-7: parsed, kept raw.
        let (raw, _) = ok(mailbox(b"&Jjo"));
        assert!(raw.is_raw());
        assert_eq!(raw.as_str(), "&Jjo");
        assert!(!ok(mailbox(b"&-Jjo")).0.is_raw());
        // Not an astring at all is still an error.
        assert!(mailbox(b"(x").is_err());
    }
}
