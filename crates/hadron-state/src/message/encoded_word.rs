//! RFC 2047 encoded-words in header values, decoded to UTF-8 for SEARCH.
//!
//! `=?charset?B|Q?text?=` anywhere in the value (tolerating encoded-words
//! inside quoted strings and words glued to text, as real mail has them);
//! whitespace between two adjacent encoded-words is dropped (RFC 2047 §6.2).
//! Text outside encoded-words is UTF-8 if valid, else Windows-1252.

use super::charset;
use super::transfer;

/// One decoded encoded-word: its end in the input, and its bytes in its
/// charset.
struct Word<'a> {
    end: usize,
    charset: &'a [u8],
    bytes: Vec<u8>,
}

/// Tries to read an encoded-word starting at `input[at]` (which is `=`).
fn word(input: &[u8], at: usize) -> Option<Word<'_>> {
    let rest = input.get(at..)?;
    if !rest.starts_with(b"=?") {
        return None;
    }
    let mut parts = [0usize; 3];
    // Positions of the three '?' after "=?".
    let mut found = 0;
    let mut i = 2;
    while i < rest.len() && found < 3 {
        match rest[i] {
            b'?' => {
                parts[found] = i;
                found += 1;
                // The text part may contain '?' only when it is the "?="
                // terminator, so stop at the third '?'.
            }
            b' ' | b'\t' | b'\r' | b'\n' => return None,
            _ => {}
        }
        i += 1;
    }
    if found < 3 || rest.get(parts[2] + 1) != Some(&b'=') {
        return None;
    }
    let cs = &rest[2..parts[0]];
    let enc = &rest[parts[0] + 1..parts[1]];
    let text = &rest[parts[1] + 1..parts[2]];
    if cs.is_empty() || enc.len() != 1 {
        return None;
    }
    let bytes = match enc[0] {
        b'B' | b'b' => transfer::base64(text),
        b'Q' | b'q' => transfer::quoted_printable(text, true),
        _ => return None,
    };
    Some(Word {
        end: at + parts[2] + 2,
        charset: cs,
        bytes,
    })
}

/// Decodes a header value (unfolded or not) to UTF-8.
pub(crate) fn decode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len());
    let mut plain_start = 0;
    let mut i = 0;
    // Consecutive encoded-words in the same charset are joined before
    // conversion, so multi-byte characters split across words survive.
    let mut pending: Option<(Vec<u8>, Vec<u8>)> = None;
    let mut last_word_end: Option<usize> = None;
    while i < input.len() {
        if input[i] == b'='
            && let Some(w) = word(input, i)
        {
            let between = &input[plain_start..i];
            let adjacent = last_word_end == Some(plain_start)
                && between.iter().all(|b| b.is_ascii_whitespace());
            if !adjacent {
                flush(&mut out, &mut pending);
                out.push_str(&charset::bytes_to_string(between));
            }
            match &mut pending {
                Some((cs, bytes)) if cs.eq_ignore_ascii_case(w.charset) => {
                    bytes.extend_from_slice(&w.bytes);
                }
                _ => {
                    flush(&mut out, &mut pending);
                    pending = Some((w.charset.to_vec(), w.bytes));
                }
            }
            i = w.end;
            plain_start = i;
            last_word_end = Some(i);
            continue;
        }
        i += 1;
    }
    flush(&mut out, &mut pending);
    out.push_str(&charset::bytes_to_string(&input[plain_start..]));
    out
}

fn flush(out: &mut String, pending: &mut Option<(Vec<u8>, Vec<u8>)>) {
    if let Some((cs, bytes)) = pending.take() {
        out.push_str(&charset::decode(&cs, &bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn b_and_q_in_utf8_and_latin1() {
        assert_eq!(decode(b"=?UTF-8?B?Y2Fmw6k=?="), "café");
        assert_eq!(decode(b"=?utf-8?q?caf=C3=A9_au_lait?="), "café au lait");
        assert_eq!(decode(b"=?ISO-8859-1?Q?Andr=E9?= Pirard"), "André Pirard");
        assert_eq!(decode(b"=?iso-8859-1?b?Y2Fm6Q==?="), "café");
    }

    #[test]
    fn adjacent_words_join_and_text_between_stays() {
        assert_eq!(decode(b"=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");
        assert_eq!(decode(b"=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?="), "ab");
        assert_eq!(decode(b"=?UTF-8?Q?a?= x =?UTF-8?Q?b?="), "a x b");
        // A UTF-8 character split across two words.
        assert_eq!(decode(b"=?UTF-8?B?w6?= =?UTF-8?B?qQ?="), "é");
    }

    #[test]
    fn malformed_words_stay_literal() {
        assert_eq!(decode(b"=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
        assert_eq!(decode(b"=?UTF-8?Q?no end"), "=?UTF-8?Q?no end");
        assert_eq!(decode(b"a = b ?= c"), "a = b ?= c");
        assert_eq!(decode(b"plain \xe9t\xe9"), "plain été");
    }
}
