//! Text matching for the string keys: case-insensitive substring search
//! on UTF-8, and decoding of the search string per `CHARSET`.
//!
//! Case-insensitivity is per-character lowercase mapping
//! ([`char::to_lowercase`]) of both sides, then a plain substring test.
//! This is not full Unicode case folding: `"GRÜSSE"` matches `"grüsse"`
//! and `"Grüße"` matches `"GRÜßE"`, but `"grüße"` does **not** match
//! `"GRÜSSE"` (that needs the full folding ß → ss, which changes lengths
//! and is not what IMAP servers commonly do). No regex, no normalisation:
//! composed and decomposed accents are different strings.

use hadron_proto::types::Charset;

use super::SearchError;

/// How the strings of a SEARCH command are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextCharset {
    /// `CHARSET UTF-8`, or no `CHARSET` at all (see [`TextCharset::of`]).
    Utf8,
    /// `CHARSET US-ASCII`: 8-bit bytes are an error.
    UsAscii,
}

impl TextCharset {
    /// The charset a command names. Without `CHARSET`, strings are read as
    /// UTF-8: RFC 3501 makes US-ASCII the default, and UTF-8 is a
    /// superset of it that clients send without asking (the 8-bit string
    /// must still be valid UTF-8). Anything but UTF-8 and US-ASCII is
    /// [`SearchError::BadCharset`].
    pub(crate) fn of(charset: Option<&Charset<'_>>) -> Result<TextCharset, SearchError> {
        match charset {
            None => Ok(TextCharset::Utf8),
            Some(c) if c.is_utf8() => Ok(TextCharset::Utf8),
            Some(c) if c.is_us_ascii() => Ok(TextCharset::UsAscii),
            Some(c) => Err(SearchError::BadCharset(c.as_str().to_owned())),
        }
    }

    /// Decodes a search string.
    pub(crate) fn decode(self, bytes: &[u8]) -> Result<&str, SearchError> {
        if self == TextCharset::UsAscii && !bytes.is_ascii() {
            return Err(SearchError::NotAscii);
        }
        std::str::from_utf8(bytes).map_err(|_| SearchError::InvalidUtf8)
    }
}

/// Lowercases `s` character by character into `out` (cleared first).
pub(crate) fn fold_into(s: &str, out: &mut String) {
    out.clear();
    out.reserve(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        // Copy the ASCII run in one go, then map one non-ASCII char.
        let ascii = rest.bytes().take_while(u8::is_ascii).count();
        let (run, tail) = rest.split_at(ascii);
        let start = out.len();
        out.push_str(run);
        out[start..].make_ascii_lowercase();
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_lowercase());
        }
        rest = chars.as_str();
    }
}

/// Lowercases `s` character by character.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// A search string, lowercased once, matched against many haystacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Needle {
    folded: String,
}

impl Needle {
    /// The needle for search string `s`.
    pub(crate) fn new(s: &str) -> Needle {
        Needle { folded: fold(s) }
    }

    /// The needle, lowercased.
    pub(crate) fn folded(&self) -> &str {
        &self.folded
    }

    /// Whether the needle is empty (matches every haystack).
    pub(crate) fn is_empty(&self) -> bool {
        self.folded.is_empty()
    }

    /// Whether `haystack` contains the needle, ignoring case. ASCII
    /// haystacks are compared in place; others are lowercased into
    /// `scratch`, so a search allocates once, not once per message.
    pub(crate) fn is_in(&self, haystack: &str, scratch: &mut String) -> bool {
        if self.folded.is_empty() {
            return true;
        }
        if haystack.is_ascii() {
            // The lowercase of an ASCII string is ASCII: a needle with
            // anything else cannot occur in it.
            return self.folded.is_ascii()
                && contains_ascii_ci(haystack.as_bytes(), self.folded.as_bytes());
        }
        fold_into(haystack, scratch);
        scratch.contains(self.folded.as_str())
    }
}

/// Whether `hay` contains `needle` (ASCII, already lowercase), comparing
/// `hay` ASCII case-insensitively.
fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last_start) = hay.len().checked_sub(needle.len()) else {
        return false;
    };
    let upper = first.to_ascii_uppercase();
    let mut i = 0;
    // Scan for the first byte in either case, then compare the rest.
    while i <= last_start {
        match hay[i..=last_start]
            .iter()
            .position(|&b| b == first || b == upper)
        {
            None => return false,
            Some(p) => i += p,
        }
        if hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(needle: &str, hay: &str) -> bool {
        Needle::new(needle).is_in(hay, &mut String::new())
    }

    #[test]
    fn ascii_case_insensitive_substring() {
        assert!(m("hello", "Say HeLLo there"));
        assert!(m("", "anything"));
        assert!(m("", ""));
        assert!(!m("hello", "hell"));
        assert!(m("o t", "hello there"));
        assert!(!m("x", ""));
        assert!(m("THERE", "there"));
        assert!(m("abc", "ababABC"));
        assert!(m("a", "xxA"));
        assert!(!m("abc", "ab"));
        assert!(m("9", "1-9"));
    }

    #[test]
    fn non_ascii_uses_simple_lowercase_mapping() {
        assert!(m("GRÜSSE", "viele grüsse"));
        assert!(m("grüße", "VIELE GRÜßE"));
        assert!(m("ÄÖÜ", "äöü"));
        assert!(!m("grüße", "GRÜSSE"), "no full folding: ß is not ss");
        // Kelvin sign lowercases to ASCII k, so it finds k in ASCII text.
        assert!(m("\u{212A}", "ok"));
        assert!(!m("ü", "u"));
        assert!(m("ΣΊΣΥΦΟΣ", "σίσυφοσ"));
        assert!(m("i\u{307}", "İstanbul"), "İ lowercases to two chars");
        assert_eq!(fold("AbC Ölçü ÉTÉ \u{212A}"), "abc ölçü été k");
    }

    #[test]
    fn charsets() {
        let utf8 = Charset::try_from("utf-8").unwrap();
        let ascii = Charset::try_from("US-ASCII").unwrap();
        let latin1 = Charset::try_from("ISO-8859-1").unwrap();
        assert_eq!(TextCharset::of(None).unwrap(), TextCharset::Utf8);
        assert_eq!(TextCharset::of(Some(&utf8)).unwrap(), TextCharset::Utf8);
        assert_eq!(TextCharset::of(Some(&ascii)).unwrap(), TextCharset::UsAscii);
        assert!(matches!(
            TextCharset::of(Some(&latin1)),
            Err(SearchError::BadCharset(c)) if c == "ISO-8859-1"
        ));
        assert!(matches!(
            TextCharset::UsAscii.decode("ü".as_bytes()),
            Err(SearchError::NotAscii)
        ));
        assert!(matches!(
            TextCharset::Utf8.decode(b"\xff"),
            Err(SearchError::InvalidUtf8)
        ));
        assert_eq!(TextCharset::Utf8.decode("ü".as_bytes()).unwrap(), "ü");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Strings mixing ASCII, letters with case, and the awkward ones
        /// (ß, İ, Kelvin sign, final sigma).
        fn text() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                proptest::sample::select(vec![
                    'a', 'B', 'k', 'K', 'i', 'I', ' ', '@', 'ä', 'Ä', 'ß', 'ẞ', 'İ', '\u{307}',
                    '\u{212A}', 'Σ', 'σ', 'ς', 'Ω', '日',
                ]),
                0..12,
            )
            .prop_map(|v| v.into_iter().collect())
        }

        proptest! {
            #[test]
            fn fold_is_per_char_lowercase(s in text()) {
                let expected: String = s.chars().flat_map(char::to_lowercase).collect();
                prop_assert_eq!(fold(&s), expected);
            }

            #[test]
            fn is_in_is_substring_of_folded(needle in text(), hay in text()) {
                let expected = fold(&hay).contains(&fold(&needle));
                prop_assert_eq!(Needle::new(&needle).is_in(&hay, &mut String::new()), expected);
            }

            #[test]
            fn ascii_fast_path_agrees(needle in "[a-cA-C]{0,3}", hay in "[a-cA-C ]{0,12}") {
                let expected = hay.to_lowercase().contains(&needle.to_lowercase());
                prop_assert_eq!(Needle::new(&needle).is_in(&hay, &mut String::new()), expected);
            }
        }
    }
}
