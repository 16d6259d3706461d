//! Recognising a literal announced at the end of a line.
//!
//! A line announces a literal when its last token before CRLF is
//! `"{" number64 ["+"] "}"` (RFC 3501 §4.3, RFC 7888), optionally preceded by
//! `~` for a `literal8` (RFC 3516). Looking only at the end of the line is
//! sound for commands:
//! - `{` is an `atom-special`, so no atom, tag or flag can end in `{n}`;
//! - a quoted string cannot be open at the end of a line, because
//!   `QUOTED-CHAR` excludes CR and LF, so every valid quoted string closes
//!   (with `"`) before the CRLF; a line that ends in `}` is therefore not
//!   inside a quoted string, and an unclosed quote is a syntax error the
//!   parser reports once the frame is complete;
//! - commands have no free-text fields (`text` appears only in responses).
//!
//! Responses do have free text (`resp-text`): [`ResponseLines`] keeps track
//! of where a server response may announce a literal.

/// A literal announced by the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Announcement {
    /// The announced length; saturates at `u64::MAX` if the digits overflow.
    pub(super) size: u64,
    /// `{n+}`: the data follows without a continuation request.
    pub(super) non_sync: bool,
    /// `~{n}`: a `literal8`.
    pub(super) binary: bool,
}

/// The literal announced at the end of `line` (which excludes its CRLF).
///
/// `truncated` says that `line` is only the tail of a longer line: if the
/// digits reach its start, the `{` may have been cut off, and the line is
/// taken to announce a literal of unknown (maximal) size — the safe reading
/// when deciding whether bytes that follow may be read as commands.
pub(super) fn literal_at_end(line: &[u8], truncated: bool) -> Option<Announcement> {
    let rest = line.strip_suffix(b"}")?;
    let (rest, non_sync) = match rest.strip_suffix(b"+") {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let start = rest
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |p| p + 1);
    let digits = &rest[start..];
    if start == 0 && truncated {
        return Some(Announcement {
            size: u64::MAX,
            non_sync,
            binary: false,
        });
    }
    if digits.is_empty() {
        return None;
    }
    let before = rest[..start].strip_suffix(b"{")?;
    let size = digits.iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(Announcement {
        size,
        non_sync,
        binary: before.ends_with(b"~"),
    })
}

/// Where in a server response (read by [`Role::Client`](super::Role::Client))
/// a line may end in a literal announcement.
///
/// `resp-text = ["[" resp-text-code "]" SP] text` is free text, and text may
/// end in `{5}` without announcing anything. So:
/// - a continuation request (`"+" SP ...`) never announces a literal;
/// - a status response (`OK`/`NO`/`BAD`/`BYE`/`PREAUTH`) announces one only
///   inside an unclosed `[resp-text-code` (the astrings of `BADCHARSET` may be
///   literals); once a `]` is seen, the rest of the response is text;
/// - any other (data) response may announce literals on any line.
///
/// The `]` is looked for without regard to quoting: a `BADCHARSET` charset
/// containing `]` followed by a literal would be misread. No real charset
/// name contains `]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum ResponseLines {
    /// The first line of the response has not been seen yet.
    #[default]
    Start,
    /// A data response: literals may follow any line.
    Data,
    /// A status response inside its `[resp-text-code`.
    Code,
    /// Free text: no literals up to the end of the response.
    Text,
}

impl ResponseLines {
    /// Takes note of the next `line` (without CRLF) of the response and says
    /// whether it may announce a literal.
    pub(super) fn may_announce(&mut self, line: &[u8]) -> bool {
        *self = match *self {
            Self::Start if line.first() == Some(&b'+') => Self::Text,
            Self::Start => match status_text(line) {
                Some(text) if text.first() == Some(&b'[') && !text.contains(&b']') => Self::Code,
                Some(_) => Self::Text,
                None => Self::Data,
            },
            Self::Code if line.contains(&b']') => Self::Text,
            other => other,
        };
        *self != Self::Text
    }
}

/// The `resp-text` of a status response line
/// (`("*" / tag) SP ("OK" / "NO" / "BAD" / "BYE" / "PREAUTH") [SP resp-text]`),
/// or `None` for any other line.
fn status_text(line: &[u8]) -> Option<&[u8]> {
    const STATUS: [&[u8]; 5] = [b"OK", b"NO", b"BAD", b"BYE", b"PREAUTH"];
    let rest = &line[line.iter().position(|&b| b == b' ')? + 1..];
    let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    let word = &rest[..end];
    STATUS
        .iter()
        .any(|status| word.eq_ignore_ascii_case(status))
        .then(|| rest.get(end + 1..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(size: u64, non_sync: bool, binary: bool) -> Option<Announcement> {
        Some(Announcement {
            size,
            non_sync,
            binary,
        })
    }

    #[test]
    fn recognises_every_literal_form() {
        assert_eq!(
            literal_at_end(b"a APPEND x {12}", false),
            ann(12, false, false)
        );
        assert_eq!(
            literal_at_end(b"a APPEND x {12+}", false),
            ann(12, true, false)
        );
        assert_eq!(
            literal_at_end(b"a APPEND x ~{12}", false),
            ann(12, false, true)
        );
        assert_eq!(
            literal_at_end(b"a APPEND x ~{0+}", false),
            ann(0, true, true)
        );
        assert_eq!(literal_at_end(b"{7}", false), ann(7, false, false));
    }

    #[test]
    fn rejects_lookalikes() {
        assert_eq!(literal_at_end(b"a NOOP", false), None);
        assert_eq!(literal_at_end(b"a X {}", false), None);
        assert_eq!(literal_at_end(b"a X {+}", false), None);
        assert_eq!(literal_at_end(b"a X 12}", false), None);
        assert_eq!(literal_at_end(b"a X {1a}", false), None);
        assert_eq!(literal_at_end(b"a X {1++}", false), None);
        assert_eq!(literal_at_end(b"a X \"{1}\"", false), None);
    }

    #[test]
    fn huge_sizes_saturate() {
        assert_eq!(
            literal_at_end(b"a X {99999999999999999999}", false),
            ann(u64::MAX, false, false)
        );
    }

    #[test]
    fn truncated_digit_run_is_taken_as_a_huge_literal() {
        assert_eq!(literal_at_end(b"99999+}", true), ann(u64::MAX, true, false));
        assert_eq!(literal_at_end(b"99999+}", false), None);
    }

    fn lines(response: &[&[u8]]) -> Vec<bool> {
        let mut state = ResponseLines::default();
        response
            .iter()
            .map(|line| state.may_announce(line))
            .collect()
    }

    #[test]
    fn response_text_never_announces_literals() {
        assert_eq!(lines(&[b"+ send {5}"]), [false]);
        assert_eq!(lines(&[b"* OK all done {5}"]), [false]);
        assert_eq!(lines(&[b"a1 ok [ALERT] mind the {5}"]), [false]);
        assert_eq!(lines(&[b"* BYE"]), [false]);
    }

    #[test]
    fn data_responses_and_open_codes_may_announce_literals() {
        assert_eq!(lines(&[b"* 1 FETCH (BODY[] {5}", b")"]), [true, true]);
        assert_eq!(lines(&[b"* 3 EXISTS"]), [true]);
        assert_eq!(
            lines(&[b"a NO [BADCHARSET ({5}", b" {3}", b")] no {4}", b"x"]),
            [true, true, false, false]
        );
    }
}
