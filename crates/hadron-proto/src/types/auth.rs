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

impl Base64<'_> {
    fn validate(value: &[u8]) -> Result<(), ValidationError> {
        crate::base64::decode(value)
            .map(drop)
            .map_err(|e| ValidationError::InvalidByte {
                what: e.reason,
                byte: value.get(e.at).copied().unwrap_or(0),
                at: e.at,
            })
    }

    /// The empty response.
    pub const EMPTY: Base64<'static> = Base64(Cow::Borrowed(""));

    /// Encodes raw bytes.
    pub fn encode(data: &[u8]) -> Base64<'static> {
        let mut out = Vec::new();
        crate::base64::encode(&mut out, data);
        // The alphabet is ASCII.
        Base64(Cow::Owned(String::from_utf8(out).unwrap_or_default()))
    }

    /// The decoded bytes.
    pub fn decode(&self) -> Vec<u8> {
        // Validated on construction, so decoding cannot fail.
        crate::base64::decode(self.0.as_bytes()).unwrap_or_default()
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
        for bad in ["a", "ab=c", "a===", "ab c", "abc*", "9W=="] {
            assert!(Base64::try_from(bad).is_err(), "{bad}");
        }
    }
}
