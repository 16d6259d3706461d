//! Line ends: IMAP messages end lines with CRLF; Maildir and mbox files
//! conventionally with LF.

use std::borrow::Cow;

/// `raw` with every bare LF made CRLF (lines already ending in CRLF are
/// kept); borrowed when there is nothing to change.
pub fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let bare = memchr::memchr_iter(b'\n', raw).any(|i| i == 0 || raw[i - 1] != b'\r');
    if !bare {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32 + 2);
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', raw) {
        if i > 0 && raw[i - 1] == b'\r' {
            out.extend_from_slice(&raw[start..=i]);
        } else {
            out.extend_from_slice(&raw[start..i]);
            out.extend_from_slice(b"\r\n");
        }
        start = i + 1;
    }
    out.extend_from_slice(&raw[start..]);
    Cow::Owned(out)
}

/// `raw` with every CRLF made LF (a lone CR is kept); borrowed when there is
/// nothing to change.
pub fn to_lf(raw: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memmem::find(raw, b"\r\n").is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut start = 0;
    for i in memchr::memmem::find_iter(raw, b"\r\n") {
        out.extend_from_slice(&raw[start..i]);
        start = i + 1;
    }
    out.extend_from_slice(&raw[start..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_back() {
        for (lf, crlf) in [
            (&b""[..], &b""[..]),
            (b"a", b"a"),
            (b"a\nb\n", b"a\r\nb\r\n"),
            (b"\n\n", b"\r\n\r\n"),
            (b"a\rb\n", b"a\rb\r\n"),
        ] {
            assert_eq!(&*to_crlf(lf), crlf, "{lf:?}");
            assert_eq!(&*to_lf(crlf), lf, "{crlf:?}");
            assert_eq!(&*to_crlf(crlf), crlf, "already CRLF: {crlf:?}");
        }
        // Mixed input: only the bare LF changes.
        assert_eq!(&*to_crlf(b"a\r\nb\nc"), b"a\r\nb\r\nc");
        assert!(matches!(to_crlf(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert!(matches!(to_lf(b"a\nb\n"), Cow::Borrowed(_)));
    }
}
