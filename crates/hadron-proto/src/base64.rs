//! Base64 (RFC 4648 §4, padded) for SASL exchanges and continuation data.
//!
//! Decoding is strict: the length is a multiple of 4, at most two `=`, and
//! the bits below the last full byte are zero. Every accepted text is then
//! the one canonical encoding of its bytes, so decode → encode gives it
//! back unchanged (RFC 4648 §3.5 lets decoders reject the other forms).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn value(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Appends the padded encoding of `data`.
pub(crate) fn encode(out: &mut Vec<u8>, data: &[u8]) {
    out.reserve(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
}

/// Why a text is not canonical base64, with the offset of the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// Offset of the offending byte (or the length, for a bad length).
    pub(crate) at: usize,
    /// What is wrong.
    pub(crate) reason: &'static str,
}

/// Decodes canonical padded base64 (the empty text is the empty string).
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, Invalid> {
    if !text.len().is_multiple_of(4) {
        return Err(Invalid {
            at: text.len(),
            reason: "length is not a multiple of 4",
        });
    }
    let pad = text.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 {
        return Err(Invalid {
            at: text.len() - pad,
            reason: "more than two '=' at the end",
        });
    }
    let body = &text[..text.len() - pad];
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (at, &b) in body.iter().enumerate() {
        let v = value(b).ok_or(Invalid {
            at,
            reason: "not a base64 character",
        })?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return Err(Invalid {
            at: body.len().saturating_sub(1),
            reason: "non-zero bits after the last byte",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_canonical() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"\0user\0pass\xff"] {
            let mut text = Vec::new();
            encode(&mut text, data);
            assert_eq!(decode(&text).unwrap(), data);
        }
        let mut text = Vec::new();
        encode(&mut text, b"foob");
        assert_eq!(text, b"Zm9vYg==");
    }

    #[test]
    fn rejects_non_canonical_and_malformed_text() {
        for bad in [
            &b"a"[..],
            b"ab=c",
            b"a===",
            b"ab c",
            b"abc*",
            b"9W==",
            b"Zm9=",
            b"====",
        ] {
            assert!(decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
