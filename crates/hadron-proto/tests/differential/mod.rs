//! Helpers of the differential test against imap-codec: a neutral canonical
//! form for commands parsed by either side, facts the allow-list of intended
//! differences is decided on, a strict modified UTF-7 decoder of our own
//! (so imap-codec's raw mailbox names are judged independently of Hadron's
//! decoder) and the deterministic input generators.

pub(crate) mod allow;
pub(crate) mod codec;
pub(crate) mod generate;
pub(crate) mod hadron;
pub(crate) mod utf7;

/// Bytes as an unambiguous quoted token of the canonical form.
pub(crate) fn bytes(b: &[u8]) -> String {
    format!("\"{}\"", b.escape_ascii())
}

/// Text as an unambiguous quoted token of the canonical form.
pub(crate) fn text(s: &str) -> String {
    format!("\"{}\"", s.escape_default())
}

/// A mailbox name: decoded UTF-8, or a marker if it is not valid modified
/// UTF-7 (imap-codec keeps names raw).
pub(crate) fn mailbox_token(decoded: Option<&str>, raw: &[u8]) -> String {
    match decoded {
        Some(s) => format!("mbox:{}", text(s)),
        None => format!("mbox-invalid:{}", bytes(raw)),
    }
}

/// Joins canonical items with a space, in brackets.
pub(crate) fn list<I: IntoIterator<Item = String>>(items: I) -> String {
    let v: Vec<String> = items.into_iter().collect();
    format!("[{}]", v.join(" "))
}

/// `None` as `-`.
pub(crate) fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".to_owned())
}

/// A date as `YYYY-MM-DD`.
pub(crate) fn date(y: i32, m: u32, d: u32) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// A date-time as `YYYY-MM-DD hh:mm:ss +minutes`.
pub(crate) fn date_time(date: String, h: u32, mi: u32, s: u32, zone_minutes: i32) -> String {
    format!("{date} {h:02}:{mi:02}:{s:02} {zone_minutes:+}")
}

/// One end of a sequence range.
pub(crate) fn seq_number(n: Option<u32>) -> String {
    n.map_or_else(|| "*".to_owned(), |n| n.to_string())
}

/// A part path `1.2.3` (`""` when empty).
pub(crate) fn part(path: &[u32]) -> String {
    path.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}
