//! Strict modified UTF-7 (RFC 3501 §5.1.3), written for this test so that
//! imap-codec's raw mailbox names are decoded independently of Hadron.
//!
//! Rejected: bytes outside printable US-ASCII, an unterminated shift,
//! base64 outside the modified alphabet, leftover bits that are not zero or
//! amount to a whole sextet, unpaired surrogates, printable ASCII inside a
//! shift (it must be sent directly), and two shifts back to back (the
//! encoding would not be the unique shortest one).

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes `wire`, or `None` if it is not valid modified UTF-7.
pub(crate) fn decode(wire: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut pos = 0;
    let mut last_shift_end = usize::MAX;
    while pos < wire.len() {
        let b = wire[pos];
        if b != b'&' {
            if !(0x20..=0x7e).contains(&b) {
                return None;
            }
            out.push(char::from(b));
            pos += 1;
            continue;
        }
        let close = pos + 1 + wire[pos + 1..].iter().position(|&c| c == b'-')?;
        let run = &wire[pos + 1..close];
        if run.is_empty() {
            out.push('&');
            pos = close + 1;
            continue;
        }
        if last_shift_end == pos {
            return None;
        }
        let (mut acc, mut nbits) = (0u32, 0u32);
        let mut units = Vec::new();
        for &c in run {
            acc = (acc << 6) | sextet(c)?;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push((acc >> nbits) as u16);
                acc &= (1 << nbits) - 1;
            }
        }
        if units.is_empty() || nbits >= 6 || acc != 0 {
            return None;
        }
        let decoded = String::from_utf16(&units).ok()?;
        if decoded.chars().any(|c| (' '..='~').contains(&c)) {
            return None;
        }
        out.push_str(&decoded);
        pos = close + 1;
        last_shift_end = pos;
    }
    Some(out)
}

#[test]
fn decoder_examples() {
    assert_eq!(
        decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(),
        Some("~peter/mail/台北/日本語")
    );
    assert_eq!(decode(b"A&-B").as_deref(), Some("A&B"));
    for bad in [
        &b"&"[..],
        b"&Jjo",
        b"&AGE-",
        b"&Jjo-&Jjo-",
        b"a\xc3\xa9",
        b"&Jj-",
        b"&2D0-",
    ] {
        assert_eq!(decode(bad), None, "{}", bad.escape_ascii());
    }
}
