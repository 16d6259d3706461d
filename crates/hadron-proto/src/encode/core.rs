//! Writers for the primitive productions.
//!
//! Each writer appends to a caller-owned `Vec<u8>` and allocates nothing of
//! its own. Strings are written in the cheapest form their content allows:
//! an atom when every byte is an `ASTRING-CHAR` (for `astring`), a quoted
//! string when every byte is a 7-bit `TEXT-CHAR` and the string is short,
//! otherwise a literal. Quoted strings escape only `"` and `\`.

use crate::types::{
    AString, Atom, Charset, Date, DateTime, Flag, FlagFetch, FlagPerm, IString, Literal,
    LiteralMode, Mailbox, NString, ObjectId, PartialRange, QuotaResource, SeqNumber, Sequence,
    SequenceSet, Tag, Text, is_astring_char, is_text_char,
};

/// Strings longer than this go out as literals even when they could be
/// quoted, so that no line grows past what peers comfortably accept.
pub(crate) const MAX_QUOTED_LEN: usize = 1024;

/// Appends the decimal form of `n`.
pub(crate) fn number(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Writes `tag`.
pub(crate) fn tag(out: &mut Vec<u8>, tag: &Tag<'_>) {
    out.extend_from_slice(tag.as_str().as_bytes());
}

/// Writes `atom`.
pub(crate) fn atom(out: &mut Vec<u8>, atom: &Atom<'_>) {
    out.extend_from_slice(atom.as_str().as_bytes());
}

/// Writes `objectid` (RFC 8474) bare; [`ObjectId`] holds only id characters.
pub(crate) fn objectid(out: &mut Vec<u8>, id: &ObjectId<'_>) {
    out.extend_from_slice(id.as_str().as_bytes());
}

/// Writes `"(" objectid ")"`, the form the RFC 8474 response items use.
pub(crate) fn paren_objectid(out: &mut Vec<u8>, id: &ObjectId<'_>) {
    out.push(b'(');
    objectid(out, id);
    out.push(b')');
}

/// Writes `text` (nothing for the empty text).
pub(crate) fn text(out: &mut Vec<u8>, text: &Text<'_>) {
    out.extend_from_slice(text.as_str().as_bytes());
}

/// Whether `bytes` can travel as a quoted string.
fn quotable(bytes: &[u8]) -> bool {
    bytes.len() <= MAX_QUOTED_LEN && bytes.iter().all(|&b| is_text_char(b))
}

/// Writes `bytes` as a quoted string, escaping `"` and `\`. The caller has
/// checked that every byte is a `TEXT-CHAR`.
pub(crate) fn quoted(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    for &b in bytes {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Writes a literal header (`{n}` / `{n+}` / `~{n}`) and its CRLF, but not
/// the data: the caller streams `len` bytes after it.
pub(crate) fn literal_header(out: &mut Vec<u8>, len: u64, binary: bool, mode: LiteralMode) {
    if binary {
        out.push(b'~');
    }
    out.push(b'{');
    number(out, len);
    if mode == LiteralMode::NonSync {
        out.push(b'+');
    }
    out.extend_from_slice(b"}\r\n");
}

/// Writes `bytes` as a literal with its data.
pub(crate) fn literal_bytes(out: &mut Vec<u8>, bytes: &[u8], mode: LiteralMode) {
    literal_header(out, bytes.len() as u64, false, mode);
    out.extend_from_slice(bytes);
}

/// Writes a [`Literal`] exactly as it was framed (`literal` or `literal8`,
/// sync or non-sync).
pub(crate) fn literal(out: &mut Vec<u8>, lit: &Literal<'_>) {
    literal_header(out, lit.data().len() as u64, lit.is_binary(), lit.mode());
    out.extend_from_slice(lit.data());
}

/// Writes string content as quoted or literal (`string`), choosing by
/// content; literals use `mode`.
pub(crate) fn string_bytes(out: &mut Vec<u8>, bytes: &[u8], mode: LiteralMode) {
    if quotable(bytes) {
        quoted(out, bytes);
    } else {
        literal_bytes(out, bytes, mode);
    }
}

/// Writes an [`IString`] (`string = quoted / literal`).
pub(crate) fn string(out: &mut Vec<u8>, s: &IString<'_>, mode: LiteralMode) {
    string_bytes(out, s.as_bytes(), mode);
}

/// Writes astring content: atom when possible, else quoted or literal.
pub(crate) fn astring_bytes(out: &mut Vec<u8>, bytes: &[u8], mode: LiteralMode) {
    // An atom spelled NIL is still an astring, never nil, so it may stay bare.
    if !bytes.is_empty() && bytes.iter().all(|&b| is_astring_char(b)) {
        out.extend_from_slice(bytes);
    } else {
        string_bytes(out, bytes, mode);
    }
}

/// Writes an [`AString`].
pub(crate) fn astring(out: &mut Vec<u8>, s: &AString<'_>, mode: LiteralMode) {
    astring_bytes(out, s.as_bytes(), mode);
}

/// Writes an [`NString`]: `NIL`, or the string (quoted/literal).
pub(crate) fn nstring(out: &mut Vec<u8>, s: &NString<'_>, mode: LiteralMode) {
    match &s.0 {
        None => out.extend_from_slice(b"NIL"),
        Some(s) => string(out, s, mode),
    }
}

/// Writes a mailbox name in modified UTF-7 as an astring.
pub(crate) fn mailbox(out: &mut Vec<u8>, m: &Mailbox<'_>, mode: LiteralMode) {
    astring_bytes(out, m.to_wire().as_bytes(), mode);
}

/// Writes a quota resource name (RFC 9208 `resource-name`, an atom).
pub(crate) fn quota_resource(out: &mut Vec<u8>, r: &QuotaResource<'_>) {
    out.extend_from_slice(r.name().as_bytes());
}

/// Writes a charset name (atom or quoted).
pub(crate) fn charset(out: &mut Vec<u8>, c: &Charset<'_>) {
    let bytes = c.as_str().as_bytes();
    if bytes.iter().all(|&b| crate::types::is_atom_char(b)) {
        out.extend_from_slice(bytes);
    } else {
        quoted(out, bytes);
    }
}

fn seq_number(out: &mut Vec<u8>, n: SeqNumber) {
    match n {
        SeqNumber::Value(n) => number(out, u64::from(n.get())),
        SeqNumber::Largest => out.push(b'*'),
    }
}

/// Writes a `partial-range` (RFC 9394): `low:high`, or `-low:-high`
/// counted from the end.
pub(crate) fn partial_range(out: &mut Vec<u8>, r: PartialRange) {
    let minus = |out: &mut Vec<u8>| {
        if r.from_end() {
            out.push(b'-');
        }
    };
    minus(out);
    number(out, u64::from(r.low().get()));
    out.push(b':');
    minus(out);
    number(out, u64::from(r.high().get()));
}

/// Writes a `sequence-set` as given (or `$`).
pub(crate) fn sequence_set(out: &mut Vec<u8>, set: &SequenceSet) {
    if set.is_saved() {
        out.push(b'$');
        return;
    }
    for (i, item) in set.items().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match *item {
            Sequence::Single(n) => seq_number(out, n),
            Sequence::Range(a, b) => {
                seq_number(out, a);
                out.push(b':');
                seq_number(out, b);
            }
        }
    }
}

/// Writes a flag in its canonical spelling.
pub(crate) fn flag(out: &mut Vec<u8>, f: &Flag<'_>) {
    let system: &[u8] = match f {
        Flag::Answered => b"\\Answered",
        Flag::Flagged => b"\\Flagged",
        Flag::Deleted => b"\\Deleted",
        Flag::Seen => b"\\Seen",
        Flag::Draft => b"\\Draft",
        Flag::Keyword(a) => return atom(out, a),
        Flag::Extension(a) => {
            out.push(b'\\');
            return atom(out, a);
        }
    };
    out.extend_from_slice(system);
}

/// Writes a `flag-fetch`.
pub(crate) fn flag_fetch(out: &mut Vec<u8>, f: &FlagFetch<'_>) {
    match f {
        FlagFetch::Flag(f) => flag(out, f),
        FlagFetch::Recent => out.extend_from_slice(b"\\Recent"),
    }
}

/// Writes a `flag-perm`.
pub(crate) fn flag_perm(out: &mut Vec<u8>, f: &FlagPerm<'_>) {
    match f {
        FlagPerm::Flag(f) => flag(out, f),
        FlagPerm::Asterisk => out.extend_from_slice(b"\\*"),
    }
}

/// Writes `"(" [item *(SP item)] ")"` using `write` for each item.
pub(crate) fn paren_list<T>(
    out: &mut Vec<u8>,
    items: &[T],
    mut write: impl FnMut(&mut Vec<u8>, &T),
) {
    out.push(b'(');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        write(out, item);
    }
    out.push(b')');
}

fn two_digits(out: &mut Vec<u8>, n: u8) {
    out.push(b'0' + n / 10);
    out.push(b'0' + n % 10);
}

/// Writes a `date` (`1-Feb-1994`, unquoted).
pub(crate) fn date(out: &mut Vec<u8>, d: Date) {
    number(out, u64::from(d.day()));
    out.push(b'-');
    out.extend_from_slice(crate::types::month_name(d.month()).as_bytes());
    out.push(b'-');
    let year = d.year();
    two_digits(out, (year / 100) as u8);
    two_digits(out, (year % 100) as u8);
}

/// Writes a quoted `date-time` (`" 1-Feb-1994 21:52:25 -0800"`).
pub(crate) fn date_time(out: &mut Vec<u8>, dt: DateTime) {
    let d = dt.date();
    let (h, m, s) = dt.time();
    out.push(b'"');
    if d.day() < 10 {
        out.push(b' ');
    }
    date(out, d);
    out.push(b' ');
    two_digits(out, h);
    out.push(b':');
    two_digits(out, m);
    out.push(b':');
    two_digits(out, s);
    out.push(b' ');
    let zone = dt.zone_minutes();
    out.push(if zone < 0 { b'-' } else { b'+' });
    let zone = zone.unsigned_abs();
    two_digits(out, (zone / 60) as u8);
    two_digits(out, (zone % 60) as u8);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn astring_picks_form_by_content() {
        let m = LiteralMode::Sync;
        assert_eq!(enc(|o| astring_bytes(o, b"INBOX", m)), "INBOX");
        assert_eq!(enc(|o| astring_bytes(o, b"a]b", m)), "a]b");
        assert_eq!(enc(|o| astring_bytes(o, b"", m)), "\"\"");
        assert_eq!(enc(|o| astring_bytes(o, b"two words", m)), "\"two words\"");
        assert_eq!(enc(|o| astring_bytes(o, br#"q"b\"#, m)), r#""q\"b\\""#);
        assert_eq!(enc(|o| astring_bytes(o, b"a\r\nb", m)), "{4}\r\na\r\nb");
        assert_eq!(
            enc(|o| astring_bytes(o, "caf\u{e9}".as_bytes(), LiteralMode::NonSync)),
            "{5+}\r\ncaf\u{e9}"
        );
    }

    #[test]
    fn nstring_nil_versus_the_string_nil() {
        let m = LiteralMode::Sync;
        assert_eq!(enc(|o| nstring(o, &NString::NIL, m)), "NIL");
        let nil_text = NString(Some(IString::try_from("NIL").unwrap()));
        assert_eq!(enc(|o| nstring(o, &nil_text, m)), "\"NIL\"");
    }

    #[test]
    fn long_strings_become_literals() {
        let long = vec![b'a'; MAX_QUOTED_LEN + 1];
        assert!(enc(|o| string_bytes(o, &long, LiteralMode::Sync)).starts_with("{1025}\r\n"));
    }

    #[test]
    fn dates_and_numbers() {
        let d = Date::new(1994, 2, 1).unwrap();
        let dt = DateTime::new(d, 21, 2, 5, -480).unwrap();
        assert_eq!(enc(|o| date_time(o, dt)), "\" 1-Feb-1994 21:02:05 -0800\"");
        assert_eq!(enc(|o| date(o, d)), "1-Feb-1994");
        assert_eq!(enc(|o| number(o, 0)), "0");
        assert_eq!(enc(|o| number(o, u64::MAX)), u64::MAX.to_string());
    }

    #[test]
    fn mailbox_goes_out_in_utf7() {
        let m = Mailbox::new("Entwürfe").unwrap();
        assert_eq!(enc(|o| mailbox(o, &m, LiteralMode::Sync)), "Entw&APw-rfe");
        let m = Mailbox::new("My Box").unwrap();
        assert_eq!(enc(|o| mailbox(o, &m, LiteralMode::Sync)), "\"My Box\"");
    }
}
