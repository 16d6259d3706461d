//! The header block of an entity: where it ends, its fields, unfolding.
//!
//! Works on byte ranges of the raw message and tolerates bare LF line
//! endings, lines without a colon (skipped) and a missing blank line (the
//! header then runs to the end of the entity).

use std::ops::Range;

/// One header field, as byte ranges into the raw message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The field name, without the colon.
    pub(crate) name: Range<usize>,
    /// The value: after the colon up to (not including) the line ending of
    /// the field's last line, folded lines included.
    pub(crate) value: Range<usize>,
    /// The whole field, folded lines and the final line ending included.
    pub(crate) whole: Range<usize>,
}

/// A line: `start..content_end` is the content, `next` where the next line
/// starts (after CRLF or LF; equal to `content_end` on a last line without
/// line ending).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub(crate) start: usize,
    pub(crate) content_end: usize,
    pub(crate) next: usize,
}

/// Iterates the lines of `raw[start..end]`.
pub(crate) fn lines(raw: &[u8], start: usize, end: usize) -> impl Iterator<Item = Line> + '_ {
    let mut pos = start;
    std::iter::from_fn(move || {
        if pos >= end {
            return None;
        }
        let start = pos;
        let (content_end, next) = match raw[start..end].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let lf = start + i;
                let content_end = if lf > start && raw[lf - 1] == b'\r' {
                    lf - 1
                } else {
                    lf
                };
                (content_end, lf + 1)
            }
            None => (end, end),
        };
        pos = next;
        Some(Line {
            start,
            content_end,
            next,
        })
    })
}

/// Where the body of the entity at `raw[start..end]` starts: just after the
/// first empty line, or `end` when there is none.
pub(crate) fn body_start(raw: &[u8], start: usize, end: usize) -> usize {
    lines(raw, start, end)
        .find(|l| l.content_end == l.start && l.next > l.start)
        .map_or(end, |l| l.next)
}

/// The fields of the header block `raw[start..end]` (which may include the
/// terminating empty line), in order.
pub(crate) fn fields(raw: &[u8], start: usize, end: usize) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    // Whether the previous line belonged to a field that a continuation
    // line may extend.
    let mut open = false;
    for line in lines(raw, start, end) {
        let content = &raw[line.start..line.content_end];
        if content.is_empty() {
            break;
        }
        if matches!(content[0], b' ' | b'\t') {
            if open && let Some(f) = out.last_mut() {
                f.value.end = line.content_end;
                f.whole.end = line.next;
            }
            continue;
        }
        match content.iter().position(|&b| b == b':') {
            Some(colon) => {
                let mut name_end = line.start + colon;
                while name_end > line.start && matches!(raw[name_end - 1], b' ' | b'\t') {
                    name_end -= 1;
                }
                out.push(Field {
                    name: line.start..name_end,
                    value: line.start + colon + 1..line.content_end,
                    whole: line.start..line.next,
                });
                open = true;
            }
            None => open = false,
        }
    }
    out
}

/// The parsed header block of one entity.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    raw: &'a [u8],
    fields: Vec<Field>,
}

impl<'a> Header<'a> {
    /// Parses the header block `raw[start..end]`.
    pub(crate) fn parse(raw: &'a [u8], start: usize, end: usize) -> Self {
        Header {
            raw,
            fields: fields(raw, start, end),
        }
    }

    /// The raw value (folding kept) of the first field called `name`
    /// (ASCII case-insensitive).
    pub(crate) fn raw_value(&self, name: &str) -> Option<&'a [u8]> {
        let raw = self.raw;
        self.fields
            .iter()
            .find(|f| raw[f.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| &raw[f.value.clone()])
    }

    /// The unfolded, trimmed value of the first field called `name`.
    pub(crate) fn value(&self, name: &str) -> Option<Vec<u8>> {
        self.raw_value(name).map(unfold)
    }
}

/// Unfolds a header value: drops CR, LF and NUL, then trims surrounding
/// whitespace.
pub(crate) fn unfold(value: &[u8]) -> Vec<u8> {
    let v: Vec<u8> = value
        .iter()
        .copied()
        .filter(|&b| !matches!(b, b'\r' | b'\n' | 0))
        .collect();
    trim(&v).to_vec()
}

/// Trims ASCII spaces and tabs on both sides.
pub(crate) fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &v[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_start_crlf_lf_and_missing() {
        let m = b"A: 1\r\nB: 2\r\n\r\nbody";
        assert_eq!(body_start(m, 0, m.len()), 14);
        let m = b"A: 1\nB: 2\n\nbody";
        assert_eq!(body_start(m, 0, m.len()), 11);
        let m = b"A: 1\r\nB: 2\r\n";
        assert_eq!(body_start(m, 0, m.len()), m.len());
        let m = b"\r\nbody";
        assert_eq!(body_start(m, 0, m.len()), 2);
    }

    #[test]
    fn folded_fields_and_broken_lines() {
        let m = b"Subject: a\r\n b\r\nnot a field\r\n continuation of nothing\r\nX-Y : z\r\n\r\n";
        let h = Header::parse(m, 0, m.len());
        assert_eq!(h.fields.len(), 2);
        assert_eq!(h.raw_value("subject").unwrap(), b" a\r\n b");
        assert_eq!(h.value("SUBJECT").unwrap(), b"a b");
        assert_eq!(h.value("x-y").unwrap(), b"z");
        assert_eq!(&m[h.fields[0].whole.clone()], b"Subject: a\r\n b\r\n");
        assert!(h.value("Date").is_none());
    }

    #[test]
    fn first_occurrence_wins() {
        let m = b"Subject: one\nSubject: two\n\n";
        let h = Header::parse(m, 0, m.len());
        assert_eq!(h.value("subject").unwrap(), b"one");
    }
}
