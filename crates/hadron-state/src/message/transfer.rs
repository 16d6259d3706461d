//! Content-Transfer-Encoding decoders (RFC 2045 §6.7 quoted-printable,
//! §6.8 base64), tolerant of bad input as Dovecot's are: characters outside
//! the base64 alphabet (line breaks, white space) are skipped, broken `=`
//! escapes are kept literally.
//!
//! One decoder serves SEARCH's text (`text_parts`), FETCH BINARY and
//! BINARY.SIZE (`super::binary`), so all of them see the same bytes.

/// A body's Content-Transfer-Encoding, as far as decoding cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TransferEncoding {
    /// `7bit`, `8bit`, `binary` or absent: the bytes are the content.
    #[default]
    Identity,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `base64`.
    Base64,
    /// Anything else (`x-uuencode`, ...): not decoded.
    Other,
}

impl TransferEncoding {
    /// Classifies an (unfolded) Content-Transfer-Encoding value.
    pub(crate) fn from_value(v: &[u8]) -> Self {
        let v = super::header::trim(v);
        if v.is_empty()
            || v.eq_ignore_ascii_case(b"7bit")
            || v.eq_ignore_ascii_case(b"8bit")
            || v.eq_ignore_ascii_case(b"binary")
        {
            TransferEncoding::Identity
        } else if v.eq_ignore_ascii_case(b"quoted-printable") {
            TransferEncoding::QuotedPrintable
        } else if v.eq_ignore_ascii_case(b"base64") {
            TransferEncoding::Base64
        } else {
            TransferEncoding::Other
        }
    }

    pub(crate) fn to_byte(self) -> u8 {
        match self {
            TransferEncoding::Identity => 0,
            TransferEncoding::QuotedPrintable => 1,
            TransferEncoding::Base64 => 2,
            TransferEncoding::Other => 3,
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => TransferEncoding::Identity,
            1 => TransferEncoding::QuotedPrintable,
            2 => TransferEncoding::Base64,
            3 => TransferEncoding::Other,
            _ => return None,
        })
    }

    /// Decodes `bytes` (identity and unknown encodings are returned as is).
    pub fn decode(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            TransferEncoding::QuotedPrintable => quoted_printable(bytes, false),
            TransferEncoding::Base64 => base64(bytes),
            TransferEncoding::Identity | TransferEncoding::Other => bytes.to_vec(),
        }
    }
}

pub(crate) fn b64_value(b: u8) -> Option<u8> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Decodes base64, skipping characters outside the alphabet and stopping
/// at the first `=`; a trailing partial group yields its whole bytes.
pub(crate) fn base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in input {
        if b == b'=' {
            break;
        }
        let Some(v) = b64_value(b) else { continue };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes quoted-printable. With `header` set (RFC 2047 "Q"), `_` is a
/// space. Soft line breaks (`=` at line end, before CRLF or LF) vanish;
/// white space written as is at the end of a line (before CRLF, LF or the
/// end of the input) is removed, as RFC 2045 §6.7 rule 3 says a decoder
/// must (encoded `=20` stays).
///
/// Decoding is line by line: the decoding of input split after a line
/// feed is the concatenation of the decodings of its pieces.
pub(crate) fn quoted_printable(input: &[u8], header: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    // Where the run of literal white space at the end of `out` starts.
    let mut blank_from: Option<usize> = None;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        let line_end = match (b, input.get(i + 1)) {
            (b'\n', _) => 1,
            (b'\r', Some(b'\n')) => 2,
            _ => 0,
        };
        if line_end > 0 && !header {
            if let Some(from) = blank_from.take() {
                out.truncate(from);
            }
            out.extend_from_slice(&input[i..i + line_end]);
            i += line_end;
            continue;
        }
        if b == b' ' || b == b'\t' {
            blank_from.get_or_insert(out.len());
            out.push(b);
            i += 1;
            continue;
        }
        blank_from = None;
        match b {
            b'=' => {
                let rest = &input[i + 1..];
                if let [h, l, ..] = rest
                    && let (Some(h), Some(l)) = (hex(*h), hex(*l))
                {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                // Soft line break: "=" [WSP] CRLF / LF.
                let ws = rest
                    .iter()
                    .take_while(|&&c| c == b' ' || c == b'\t')
                    .count();
                match &rest[ws..] {
                    [b'\r', b'\n', ..] => i += 1 + ws + 2,
                    [b'\n', ..] => i += 1 + ws + 1,
                    [] => i += 1 + ws,
                    _ => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if header => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    if let Some(from) = blank_from.filter(|_| !header) {
        out.truncate(from);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_plain_padded_and_dirty() {
        assert_eq!(base64(b"aGVsbG8="), b"hello");
        assert_eq!(base64(b"aGVs\r\nbG8gd29y\r\nbGQ="), b"hello world");
        assert_eq!(base64(b"aGVsbG8"), b"hello");
        assert_eq!(base64(b"a*G!V sbG8="), b"hello");
        assert_eq!(base64(b""), b"");
    }

    #[test]
    fn quoted_printable_rules() {
        assert_eq!(quoted_printable(b"caf=C3=A9", false), "café".as_bytes());
        assert_eq!(quoted_printable(b"soft=\r\nbreak", false), b"softbreak");
        assert_eq!(quoted_printable(b"soft= \nbreak", false), b"softbreak");
        assert_eq!(quoted_printable(b"bad=ZZ=", false), b"bad=ZZ");
        assert_eq!(quoted_printable(b"a_b", false), b"a_b");
        assert_eq!(quoted_printable(b"a_b=5F", true), b"a b_");
        assert_eq!(quoted_printable(b"lower=c3=a9", false), "loweré".as_bytes());
    }

    #[test]
    fn quoted_printable_drops_literal_blanks_at_line_ends_only() {
        assert_eq!(quoted_printable(b"a \t\r\nb  \nc \t", false), b"a\r\nb\nc");
        assert_eq!(quoted_printable(b"a=20\r\nb =09\n", false), b"a \r\nb \t\n");
        assert_eq!(quoted_printable(b"a b\r\n", false), b"a b\r\n");
        // RFC 2047 words keep theirs (no lines there).
        assert_eq!(quoted_printable(b"a ", true), b"a ");
        // imaptest's fetch-binary-mime-qp part, as a whole and line by line.
        let qp: &[u8] = b"hello  \r\nbar=\r\n\r\nfoo\t=\r\nbar\r\nfoo\t \t= \r\n=62\r\n\
foo = \t\r\nbar\r\nfoo =\r\n=62\r\nfoo  \r\nbar=\r\n\r\nfoo_bar\r\n";
        let decoded = quoted_printable(qp, false);
        assert_eq!(
            decoded,
            b"hello\r\nbar\r\nfoo\tbar\r\nfoo\t \tb\r\nfoo bar\r\nfoo b\r\nfoo\r\nbar\r\nfoo_bar\r\n"
        );
        assert_eq!(decoded.len(), 65);
        let by_lines: Vec<u8> = qp
            .split_inclusive(|&b| b == b'\n')
            .flat_map(|l| quoted_printable(l, false))
            .collect();
        assert_eq!(by_lines, decoded);
    }

    #[test]
    fn classify() {
        assert_eq!(
            TransferEncoding::from_value(b" BASE64 "),
            TransferEncoding::Base64
        );
        assert_eq!(
            TransferEncoding::from_value(b"Quoted-Printable"),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(
            TransferEncoding::from_value(b"8bit"),
            TransferEncoding::Identity
        );
        assert_eq!(
            TransferEncoding::from_value(b"x-uue"),
            TransferEncoding::Other
        );
    }
}
