//! AUTHENTICATE data (RFC 3501 §6.2.2, RFC 4959 SASL-IR).

use std::borrow::Cow;
use std::fmt;

use crate::types::ValidationError;

/// `base64 = *(4base64-char) [base64-terminal]` — SASL data as sent, still
/// encoded. May be empty (an empty response, written `=` after the
/// mechanism name in SASL-IR and as an empty line in a continuation).
///
/// ```
/// use hadron_proto::types::Base64;
/// assert_eq!(Base64::try_from("AGZyZWQAc2VjcmV0").unwrap().decode(), b"\0fred\0secret");
/// assert!(Base64::try_from("abc").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Base64<'a>(Cow<'a, str>);

fn b64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

impl Base64<'_> {
    fn validate(value: &[u8]) -> Result<(), ValidationError> {
        if !value.len().is_multiple_of(4) {
            return Err(ValidationError::InvalidByte {
                what: "base64 (length not a multiple of 4)",
                byte: value.last().copied().unwrap_or(0),
                at: value.len(),
            });
        }
        let pad = value.iter().rev().take_while(|&&b| b == b'=').count();
        let body = &value[..value.len() - pad];
        if pad > 2 {
            return Err(ValidationError::InvalidByte {
                what: "base64",
                byte: b'=',
                at: body.len(),
            });
        }
        match body.iter().position(|&b| b64_value(b).is_none()) {
            Some(at) => Err(ValidationError::InvalidByte {
                what: "base64",
                byte: body[at],
                at,
            }),
            None => Ok(()),
        }
    }

    /// The empty response.
    pub const EMPTY: Base64<'static> = Base64(Cow::Borrowed(""));

    /// Encodes raw bytes.
    pub fn encode(data: &[u8]) -> Base64<'static> {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
        for chunk in data.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            for k in 0..4 {
                if k <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        Base64(Cow::Owned(out))
    }

    /// The decoded bytes.
    pub fn decode(&self) -> Vec<u8> {
        let body = self.0.trim_end_matches('=').as_bytes();
        let mut out = Vec::with_capacity(body.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0u32);
        for &b in body {
            // Validated on construction.
            acc = (acc << 6) | u32::from(b64_value(b).unwrap_or(0));
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        out
    }

    /// Whether this is the empty response.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The encoded text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Base64<'static> {
        Base64(Cow::Owned(self.0.into_owned()))
    }
}

impl<'a> TryFrom<&'a str> for Base64<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        Self::validate(value.as_bytes())?;
        Ok(Base64(Cow::Borrowed(value)))
    }
}

impl fmt::Display for Base64<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client line during an AUTHENTICATE exchange: `base64 CRLF` or `"*" CRLF`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuthContinuation<'a> {
    /// The client's response to a server challenge.
    Response(Base64<'a>),
    /// `*`: the client cancels the exchange (answer `BAD`).
    Cancel,
}

impl AuthContinuation<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> AuthContinuation<'static> {
        match self {
            AuthContinuation::Response(r) => AuthContinuation::Response(r.into_static()),
            AuthContinuation::Cancel => AuthContinuation::Cancel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"\0user\0pass\xff"] {
            let enc = Base64::encode(data);
            assert!(Base64::try_from(enc.as_str()).is_ok(), "{enc}");
            assert_eq!(enc.decode(), data);
        }
        assert_eq!(Base64::encode(b"foob").as_str(), "Zm9vYg==");
    }

    #[test]
    fn rejects_bad_alphabet_and_padding() {
        for bad in ["a", "ab=c", "a===", "ab c", "abc*"] {
            assert!(Base64::try_from(bad).is_err(), "{bad}");
        }
    }
}
