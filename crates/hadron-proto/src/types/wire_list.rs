//! [`WireList`]: a parenthesized value already in wire form.
//!
//! A server computes ENVELOPE and BODYSTRUCTURE once, when a message
//! arrives, and stores their encoding. Answering FETCH by parsing the
//! stored bytes back into typed values only to encode them again costs
//! more than the rest of the item's work; a `WireList` lets the stored
//! bytes be written as they are.
//!
//! The check is lexical, one pass, no allocation: the bytes must be one
//! parenthesized list of atoms, quoted strings, literals and nested lists,
//! so they cannot end the response line early, open an unterminated
//! string or literal, or smuggle in another response. That they form the
//! *right* list (an envelope has ten fields) is the producer's promise —
//! normally the bytes come from this crate's own encoder.

use std::borrow::Cow;

use crate::types::ValidationError;
use crate::types::{is_atom_char, is_text_char};

/// A parenthesized list in wire form, lexically valid:
///
/// ```abnf
/// wire-list  = "(" [wire-value *(sep wire-value)] ")"
/// wire-value = 1*ATOM-CHAR / quoted / literal / wire-list
/// sep        = SP / "" ; nothing only between ")" and "("
///                      ; (body-type-mpart = 1*body SP media-subtype)
/// ```
///
/// `quoted` and `literal` are RFC 3501's: quoted strings hold 7-bit
/// TEXT-CHARs with `"` and `\` escaped; literals are `{n}` CRLF and `n`
/// bytes without NUL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WireList<'a>(Cow<'a, [u8]>);

impl<'a> WireList<'a> {
    /// Checks `bytes` (see the type's grammar).
    ///
    /// # Errors
    /// [`ValidationError::BadWireList`] with the offset of the first
    /// problem.
    pub fn new(bytes: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValidationError> {
        let bytes = bytes.into();
        check(&bytes)?;
        Ok(WireList(bytes))
    }

    /// The bytes, ready to write.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Detaches the value from the buffer it borrows.
    pub fn into_static(self) -> WireList<'static> {
        WireList(Cow::Owned(self.0.into_owned()))
    }
}

fn bad(at: usize, reason: &'static str) -> ValidationError {
    ValidationError::BadWireList { at, reason }
}

/// Nested lists deeper than this are refused (a body structure nests one
/// level per MIME level and a few for parameters).
const MAX_DEPTH: usize = 256;

/// The lexical check of [`WireList`].
fn check(b: &[u8]) -> Result<(), ValidationError> {
    if b.first() != Some(&b'(') {
        return Err(bad(0, "must start with \"(\""));
    }
    let mut depth = 0usize;
    let mut i = 0;
    // What the previous token was, to check separators.
    let mut after_value = false;
    let mut after_close = false;
    while i < b.len() {
        let c = b[i];
        if depth == 0 && i > 0 {
            return Err(bad(i, "bytes after the closing \")\""));
        }
        match c {
            b')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| bad(i, "unbalanced \")\""))?;
                i += 1;
                after_value = true;
                after_close = true;
                continue;
            }
            b' ' => {
                if !after_value || b.get(i + 1).is_none_or(|&n| n == b' ' || n == b')') {
                    return Err(bad(i, "misplaced space"));
                }
                i += 1;
                after_value = false;
                after_close = false;
                continue;
            }
            _ => {}
        }
        if !(matches!(c, b'(' | b'"' | b'{') || is_atom_char(c)) {
            return Err(bad(i, "byte not allowed outside a string"));
        }
        if after_value && !(after_close && c == b'(') {
            return Err(bad(i, "values must be separated by a space"));
        }
        i = match c {
            b'(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(bad(i, "nested too deeply"));
                }
                after_value = false;
                after_close = false;
                i += 1;
                continue;
            }
            b'"' => quoted_end(b, i)?,
            b'{' => literal_end(b, i)?,
            _ => i + b[i..].iter().take_while(|&&c| is_atom_char(c)).count(),
        };
        after_value = true;
        after_close = false;
    }
    if depth != 0 {
        return Err(bad(b.len(), "unclosed \"(\""));
    }
    Ok(())
}

/// The offset after the quoted string that starts at `start`.
fn quoted_end(b: &[u8], start: usize) -> Result<usize, ValidationError> {
    let mut i = start + 1;
    loop {
        match b.get(i) {
            None => return Err(bad(start, "unterminated quoted string")),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match b.get(i + 1) {
                Some(b'"' | b'\\') => i += 2,
                _ => return Err(bad(i, "\"\\\" must escape '\"' or '\\' in a quoted string")),
            },
            Some(&c) if is_text_char(c) => i += 1,
            Some(_) => return Err(bad(i, "byte not allowed in a quoted string")),
        }
    }
}

/// The offset after the literal (`{n}` CRLF and `n` bytes) at `start`.
fn literal_end(b: &[u8], start: usize) -> Result<usize, ValidationError> {
    let digits = b[start + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let close = start + 1 + digits;
    if digits == 0 || digits > 10 || b.get(close) != Some(&b'}') {
        return Err(bad(start, "malformed literal length"));
    }
    if b.get(close + 1..close + 3) != Some(b"\r\n") {
        return Err(bad(close + 1, "literal length must be followed by CRLF"));
    }
    let len: usize = std::str::from_utf8(&b[start + 1..close])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(start, "malformed literal length"))?;
    let data = close + 3;
    let end = data
        .checked_add(len)
        .filter(|&e| e <= b.len())
        .ok_or_else(|| bad(data, "literal shorter than its length"))?;
    if let Some(nul) = memchr::memchr(0, &b[data..end]) {
        return Err(bad(data + nul, "NUL in a literal"));
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &[u8]) {
        if let Err(e) = WireList::new(s) {
            panic!("{:?} refused: {e}", String::from_utf8_lossy(s));
        }
    }

    fn refused(s: &[u8], why: &str) {
        match WireList::new(s) {
            Ok(_) => panic!("{:?} accepted", String::from_utf8_lossy(s)),
            Err(e) => assert!(e.to_string().contains(why), "{e}"),
        }
    }

    #[test]
    fn lists_of_every_value_kind_pass() {
        ok(b"()");
        ok(b"(NIL)");
        ok(b"(\"a \\\"b\\\" \\\\\" NIL 12 (\"x\" NIL) {3}\r\n\xc3\xa9!)");
        ok(b"((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"text\" \"html\" NIL NIL NIL \"7bit\" 1 1) \"alternative\")");
        ok(b"({0}\r\n)");
        ok(b"({2}\r\n\r\n)");
    }

    #[test]
    fn anything_that_could_break_the_line_is_refused() {
        refused(b"", "start");
        refused(b"NIL", "start");
        refused(b"(NIL", "unclosed");
        refused(b"(NIL))", "after the closing");
        refused(b"(NIL) ", "after the closing");
        refused(b"(NIL)\r\n* 1 EXISTS", "after the closing");
        refused(b"(\"a\r\nb\")", "quoted");
        refused(b"(\"a)", "unterminated");
        refused(b"(\"\\a\")", "escape");
        refused(b"(\"\xc3\xa9\")", "quoted");
        refused(b"({5}\r\nab)", "shorter");
        refused(b"({2}\nab)", "CRLF");
        refused(b"({}\r\n)", "length");
        refused(b"({99999999999}\r\n)", "length");
        refused(b"({1}\r\n\0)", "NUL");
        refused(b"(a\rb)", "outside a string");
        refused(b"(a  b)", "space");
        refused(b"( a)", "space");
        refused(b"(a )", "space");
        refused(b"(\"a\"\"b\")", "separated");
        refused(b"(a(b))", "separated");
        refused(b"(NIL)(NIL)", "after the closing");
        let deep = [vec![b'('; 300], vec![b')'; 300]].concat();
        refused(&deep, "deeply");
    }
}
