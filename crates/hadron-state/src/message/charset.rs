//! Charset conversion to UTF-8, via `encoding_rs` (the WHATWG Encoding
//! Standard's labels and decoders, as browsers use for mail-like content).

use encoding_rs::{Encoding, WINDOWS_1252};

/// Decodes `bytes` in the charset labelled `label` to UTF-8.
///
/// Unknown labels fall back to [`bytes_to_string`]; malformed sequences
/// become U+FFFD. Never fails.
pub(crate) fn decode(label: &[u8], bytes: &[u8]) -> String {
    let label = trim_label(label);
    if label.eq_ignore_ascii_case(b"us-ascii") || label.eq_ignore_ascii_case(b"ascii") {
        return bytes_to_string(bytes);
    }
    match Encoding::for_label_no_replacement(label) {
        Some(enc) => enc.decode_without_bom_handling(bytes).0.into_owned(),
        None => bytes_to_string(bytes),
    }
}

/// Text of unknown charset: UTF-8 when it is valid UTF-8, otherwise
/// Windows-1252 (a superset of ISO-8859-1, the usual charset of unlabelled
/// 8-bit mail).
pub(crate) fn bytes_to_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

fn trim_label(label: &[u8]) -> &[u8] {
    // RFC 2231 language suffix: `utf-8*en`.
    let label = match label.iter().position(|&b| b == b'*') {
        Some(i) => &label[..i],
        None => label,
    };
    super::header::trim(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_unknown_and_fallback() {
        assert_eq!(decode(b"ISO-8859-1", b"caf\xe9"), "café");
        assert_eq!(decode(b"utf-8", "café".as_bytes()), "café");
        assert_eq!(decode(b"UTF-8*fr", "café".as_bytes()), "café");
        assert_eq!(decode(b"x-unknown", b"caf\xe9"), "café");
        assert_eq!(decode(b"us-ascii", "café".as_bytes()), "café");
        assert_eq!(decode(b"utf-8", b"a\xffb"), "a\u{fffd}b");
        assert_eq!(decode(b"koi8-r", b"\xf0\xd2\xc9\xd7\xc5\xd4"), "Привет");
    }
}
