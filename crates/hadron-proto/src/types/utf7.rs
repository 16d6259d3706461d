//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
//!
//! Printable US-ASCII except `&` stands for itself; `&-` is `&`; anything
//! else is UTF-16 in modified base64 (`,` instead of `/`, no padding) between
//! `&` and `-`. Decoding is strict: every name has exactly one valid
//! encoding, so a name that decodes also re-encodes to the same bytes.

use crate::types::ValidationError;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn sextet(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    } as u32)
}

fn is_direct(b: u8) -> bool {
    (0x20..=0x7e).contains(&b) && b != b'&'
}

/// Whether `input` contains nothing that needs decoding (the common case).
pub(crate) fn is_plain(input: &[u8]) -> bool {
    input.iter().all(|&b| is_direct(b))
}

/// Decodes a modified UTF-7 mailbox name into UTF-8.
///
/// Rejects bytes outside printable ASCII, unterminated or empty shifts
/// (other than `&-`), bad base64, non-zero padding bits, ill-formed UTF-16,
/// characters that must be sent directly, and two adjacent shifts.
pub fn decode(input: &[u8]) -> Result<String, ValidationError> {
    let invalid = |at: usize, reason: &'static str| ValidationError::InvalidUtf7 { at, reason };
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    let mut last_shift_end = None;
    while i < input.len() {
        let b = input[i];
        if is_direct(b) {
            out.push(b as char);
            i += 1;
            continue;
        }
        if b != b'&' {
            return Err(invalid(i, "byte outside printable US-ASCII"));
        }
        let start = i;
        i += 1;
        if input.get(i) == Some(&b'-') {
            out.push('&');
            i += 1;
            continue;
        }
        if last_shift_end == Some(start) {
            return Err(invalid(start, "two adjacent encoded runs"));
        }
        let mut bits: u32 = 0;
        let mut nbits = 0u32;
        let mut units: Vec<u16> = Vec::new();
        loop {
            let Some(&c) = input.get(i) else {
                return Err(invalid(start, "unterminated encoded run"));
            };
            i += 1;
            if c == b'-' {
                break;
            }
            let Some(v) = sextet(c) else {
                return Err(invalid(i - 1, "not a modified base64 character"));
            };
            bits = (bits << 6) | v;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push((bits >> nbits) as u16);
                bits &= (1 << nbits) - 1;
            }
        }
        if units.is_empty() {
            return Err(invalid(start, "empty encoded run"));
        }
        if nbits >= 6 || bits != 0 {
            return Err(invalid(i - 1, "bad padding in encoded run"));
        }
        for ch in char::decode_utf16(units.iter().copied()) {
            let ch = ch.map_err(|_| invalid(start, "ill-formed UTF-16"))?;
            if (ch as u32) < 0x80 && is_direct(ch as u8) || ch == '&' {
                return Err(invalid(start, "printable ASCII must not be encoded"));
            }
            out.push(ch);
        }
        last_shift_end = Some(i);
    }
    Ok(out)
}

/// Encodes a UTF-8 mailbox name as modified UTF-7.
pub fn encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        out.push('&');
        let mut bits: u32 = 0;
        let mut nbits = 0u32;
        for &unit in pending.iter() {
            bits = (bits << 16) | unit as u32;
            nbits += 16;
            while nbits >= 6 {
                nbits -= 6;
                out.push(ALPHABET[((bits >> nbits) & 0x3f) as usize] as char);
            }
            bits &= (1 << nbits) - 1;
        }
        if nbits > 0 {
            out.push(ALPHABET[((bits << (6 - nbits)) & 0x3f) as usize] as char);
        }
        out.push('-');
        pending.clear();
    };
    for ch in input.chars() {
        if ch.is_ascii() && is_direct(ch as u8) {
            flush(&mut pending, &mut out);
            out.push(ch);
        } else if ch == '&' {
            flush(&mut pending, &mut out);
            out.push_str("&-");
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_example() {
        // RFC 3501 §5.1.3: "~peter/mail/台北/日本語"
        let wire = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        assert_eq!(decode(wire.as_bytes()).unwrap(), "~peter/mail/台北/日本語");
        assert_eq!(encode("~peter/mail/台北/日本語"), wire);
    }

    #[test]
    fn ampersand_and_astral_plane() {
        assert_eq!(decode(b"A&-B").unwrap(), "A&B");
        assert_eq!(encode("A&B"), "A&-B");
        let s = "mail 😀 box";
        assert_eq!(decode(encode(s).as_bytes()).unwrap(), s);
    }

    #[test]
    fn rejects_invalid_encodings() {
        for bad in [
            &b"&"[..],
            b"&U,BTFw",
            b"&Jjo!",
            b"&AGE-",              // 'a' encoded
            b"&U,BTFw-&ZeVnLIqe-", // adjacent runs
            b"caf\xc3\xa9",        // raw UTF-8
            b"&2D0-",              // lone surrogate
            b"&U,BTF-",            // truncated unit / bad padding
            b"tab\there",
        ] {
            assert!(decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
