//! Content-Transfer-Encoding decoders (RFC 2045 §6.7 quoted-printable,
//! §6.8 base64), tolerant of bad input: invalid characters are skipped,
//! broken `=` escapes are kept literally.

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

fn b64_value(b: u8) -> Option<u8> {
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
/// trailing whitespace of lines is kept (tolerance over strictness).
pub(crate) fn quoted_printable(input: &[u8], header: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
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
