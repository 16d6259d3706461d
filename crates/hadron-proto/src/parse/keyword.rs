//! The pieces every command parser shares: `SP`, keywords, lists of
//! keywords and the committed syntax error. Below `command` and its
//! sibling parsers (`fetch`, `search`, the command families), which all
//! import from here.

use crate::parse::error::{PError, PResult, Reason};

/// A committed syntax error: `what` was expected at `i`.
pub(crate) fn fail<'a>(i: &'a [u8], what: &'static str) -> nom::Err<PError<'a>> {
    nom::Err::Failure(PError::new(i, Reason::Expected(what)))
}

/// `SP = %x20`, failing with a readable reason.
pub(crate) fn sp(i: &[u8]) -> PResult<'_, ()> {
    match i.split_first() {
        Some((b' ', rest)) => Ok((rest, ())),
        _ => Err(PError::expected(i, "SP")),
    }
}

/// A keyword: letters, digits, `.`, `-` and `=` (`BODY.PEEK`, `SPECIAL-USE`).
pub(crate) fn word(i: &[u8]) -> PResult<'_, &[u8]> {
    let n = i
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'=')))
        .unwrap_or(i.len());
    if n == 0 {
        return Err(PError::expected(i, "a keyword"));
    }
    Ok((&i[n..], &i[..n]))
}

/// `w` in upper case, using `buf` (as long as the longest keyword the caller
/// matches); a word longer than `buf` comes back empty (and so matches no
/// keyword).
pub(crate) fn upcase<'b, const N: usize>(w: &[u8], buf: &'b mut [u8; N]) -> &'b [u8] {
    if w.len() > buf.len() {
        return &[];
    }
    for (d, s) in buf.iter_mut().zip(w) {
        *d = s.to_ascii_uppercase();
    }
    &buf[..w.len()]
}

/// `"(" item *(SP item) ")"` where the list may be empty if `allow_empty`.
pub(crate) fn paren_words<'a, T>(
    i: &'a [u8],
    allow_empty: bool,
    what: &'static str,
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let Some((b'(', mut i)) = i.split_first() else {
        return Err(fail(i, "'('"));
    };
    let mut items = Vec::new();
    loop {
        if let Some((b')', rest)) = i.split_first() {
            if items.is_empty() && !allow_empty {
                return Err(fail(i, what));
            }
            return Ok((rest, items));
        }
        if !items.is_empty() {
            (i, _) = sp(i).map_err(|_| fail(i, "SP or ')'"))?;
        }
        let (rest, x) = item(i)?;
        items.push(x);
        i = rest;
    }
}

/// One of a fixed set of keywords (`all`, spelled by `name`), case-insensitive.
pub(crate) fn from_names<'a, T: Copy>(
    all: &'static [T],
    name: impl Fn(T) -> &'static str,
    what: &'static str,
) -> impl Fn(&'a [u8]) -> PResult<'a, T> {
    move |i| {
        let (rest, w) = word(i).map_err(|_| fail(i, what))?;
        all.iter()
            .copied()
            .find(|&x| name(x).as_bytes().eq_ignore_ascii_case(w))
            .map(|x| (rest, x))
            .ok_or_else(|| fail(i, what))
    }
}
