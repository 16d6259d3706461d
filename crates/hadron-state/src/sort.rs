//! SORT ordering (RFC 5256): the keys a message is compared by and the
//! comparison itself. Pure: the session layer reads the keys (stored at
//! ingest, see [`keys_of_fields`]) and hands them here.
//!
//! # Semantics
//!
//! - **ARRIVAL** is the internal date; **SIZE** is RFC822.SIZE.
//! - **DATE** is the `Date:` header (compared in UTC), or the internal date
//!   when the header is missing or unreadable (§2.2).
//! - **SUBJECT** is the base subject ([`base_subject`]) of the RFC
//!   2047-decoded `Subject:`.
//! - **FROM**, **TO** and **CC** are the `addr-mailbox` of the first
//!   ENVELOPE address of the header: a mailbox's local part, or the name
//!   of a group the list starts with (ENVELOPE's group-start address; so
//!   Dovecot sorts, and imaptest expects).
//! - **DISPLAYFROM** and **DISPLAYTO** (RFC 5957, `SORT=DISPLAY`) are the
//!   display form of the first address: its decoded display name, else
//!   its `local@domain`; a group's name for a list that starts with one.
//! - Text compares with `i;ascii-casemap` (RFC 4790: ASCII letters
//!   uppercased, then octet by octet); a missing header is the empty
//!   string, which sorts first.
//! - Messages equal on every key are in sequence order; `REVERSE` reverses
//!   its own key only (§3: "the sequence number ... is used as the final
//!   tie-breaker", never reversed).

use std::cmp::Ordering;

use hadron_proto::types::{SortCriterion, SortKey};
use hadron_store::SortKeys;

use crate::message::SearchFields;

/// What a message is sorted by, already in comparable form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SortMessage {
    /// Its UID; also the final tie-breaker (UID order is sequence order).
    pub uid: u32,
    /// RFC822.SIZE.
    pub size: u64,
    /// INTERNALDATE, Unix seconds.
    pub arrival: i64,
    /// The sent date, Unix seconds UTC (the internal date without one).
    pub date: i64,
    /// The base subject, [casemapped](casemap).
    pub subject: String,
    /// The first `From:` mailbox, [casemapped](casemap).
    pub from: String,
    /// The first `To:` mailbox, [casemapped](casemap).
    pub to: String,
    /// The first `Cc:` mailbox, [casemapped](casemap).
    pub cc: String,
    /// The first `From:` address's display form, [casemapped](casemap).
    pub display_from: String,
    /// The first `To:` address's display form, [casemapped](casemap).
    pub display_to: String,
}

/// The text keys SORT compares, computed at ingest from a message's
/// header and stored beside it.
pub fn keys_of_fields(fields: &SearchFields) -> SortKeys {
    SortKeys {
        subject: base_subject(&fields.subject),
        from: fields.from_mailbox.clone(),
        to: fields.to_mailbox.clone(),
        cc: fields.cc_mailbox.clone(),
        display_from: fields.from_display.clone(),
        display_to: fields.to_display.clone(),
    }
}

/// `i;ascii-casemap` (RFC 4790 §9.2) as a sort key: ASCII letters
/// uppercased, so that comparing the results octet by octet is the
/// collation's ordering.
pub fn casemap(s: &str) -> String {
    s.to_ascii_uppercase()
}

/// [`casemap`] of an owned string, in place (no allocation).
///
/// ```
/// use hadron_state::sort::{casemap, casemap_owned};
/// assert_eq!(casemap_owned("ann@Example.org".to_owned()), casemap("ann@Example.org"));
/// ```
pub fn casemap_owned(mut s: String) -> String {
    s.make_ascii_uppercase();
    s
}

/// Whether the SORT criteria need the text keys of `key`.
pub fn uses(criteria: &[SortCriterion], key: SortKey) -> bool {
    criteria.iter().any(|c| c.key == key)
}

/// Sorts `messages` by `criteria` (the first key first), equal ones by
/// UID.
pub fn sort(messages: &mut [SortMessage], criteria: &[SortCriterion]) {
    messages.sort_unstable_by(|a, b| order(a, b, criteria));
}

/// How `a` and `b` compare under `criteria` (the first key first), equal
/// ones by UID: the order [`sort`] puts them in.
pub fn order(a: &SortMessage, b: &SortMessage, criteria: &[SortCriterion]) -> Ordering {
    criteria
        .iter()
        .map(|c| {
            let o = compare(a, b, c.key);
            if c.reverse { o.reverse() } else { o }
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then(a.uid.cmp(&b.uid))
}

fn compare(a: &SortMessage, b: &SortMessage, key: SortKey) -> Ordering {
    match key {
        SortKey::Arrival => a.arrival.cmp(&b.arrival),
        SortKey::Date => a.date.cmp(&b.date),
        SortKey::Size => a.size.cmp(&b.size),
        SortKey::Subject => a.subject.cmp(&b.subject),
        SortKey::From => a.from.cmp(&b.from),
        SortKey::To => a.to.cmp(&b.to),
        SortKey::Cc => a.cc.cmp(&b.cc),
        SortKey::DisplayFrom => a.display_from.cmp(&b.display_from),
        SortKey::DisplayTo => a.display_to.cmp(&b.display_to),
    }
}

/// The base subject of a (decoded) subject, RFC 5256 §2.1:
///
/// 1. runs of white space (tabs, folding) become one space;
/// 2. trailers are removed while any is left:
///    `subj-trailer = "(fwd)" / WSP`;
/// 3. a leader is removed:
///    `subj-leader = (*subj-blob subj-refwd) / WSP`,
///    `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"`,
///    `subj-blob = "[" *BLOBCHAR "]" *WSP`,
///    `BLOBCHAR = %x01-5a / %x5c / %x5e-ff`;
/// 4. a leading `subj-blob` is removed if what is left is not empty;
/// 5. 3 and 4 repeat until nothing changes;
/// 6. `"[fwd:" … "]"` around the whole is removed, then again from 2.
///
/// Matching is ASCII case-insensitive. RFC 2047 decoding (the first half
/// of step 1) happened at ingest: the stored subject is decoded.
///
/// ```
/// use hadron_state::sort::base_subject;
/// assert_eq!(base_subject("Re: [list] Fwd: Lunch (fwd)"), "Lunch");
/// assert_eq!(base_subject("[fwd: Re[2]: Lunch]"), "Lunch");
/// assert_eq!(base_subject("[list]"), "[list]");
/// ```
pub fn base_subject(subject: &str) -> String {
    base_subject_and_reply(subject).0
}

/// [`base_subject`], and whether the subject is a reply or forward: step 2
/// removed a `(fwd)` trailer, step 3 a `Re:`/`Fw:`/`Fwd:` leader or step 6
/// a `[fwd: …]` wrapper (RFC 5256 §2.1, for THREAD=REFERENCES).
///
/// ```
/// use hadron_state::sort::base_subject_and_reply;
/// assert_eq!(base_subject_and_reply("[list] Re: Lunch"), ("Lunch".into(), true));
/// assert_eq!(base_subject_and_reply("[list] Lunch"), ("Lunch".into(), false));
/// ```
pub fn base_subject_and_reply(subject: &str) -> (String, bool) {
    let folded = fold_white_space(subject);
    let mut s = folded.as_str();
    let mut reply = false;
    loop {
        let (rest, fwd) = strip_trailers(s);
        s = rest;
        reply |= fwd;
        loop {
            let before = s.len();
            let (rest, refwd) = strip_leader(s);
            s = rest;
            reply |= refwd;
            if let Some(rest) = blob(s)
                && rest.bytes().any(|b| b != b' ')
            {
                s = rest;
            }
            if s.len() == before {
                break;
            }
        }
        match strip_ci_prefix(s, "[fwd:").and_then(|r| r.strip_suffix(']')) {
            Some(inner) => {
                s = inner;
                reply = true;
            }
            None => return (s.to_owned(), reply),
        }
    }
}

/// Step 1: every run of spaces, tabs, CR and LF becomes one space.
fn fold_white_space(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for ch in s.chars() {
        if matches!(ch, ' ' | '\t' | '\r' | '\n') {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(ch);
            in_space = false;
        }
    }
    out
}

/// Step 2: `subj-trailer` removed until none is left; and whether one was
/// `(fwd)`.
fn strip_trailers(mut s: &str) -> (&str, bool) {
    let mut fwd = false;
    loop {
        if let Some(r) = s.strip_suffix(' ') {
            s = r;
        } else if s.len() >= 5
            && s.is_char_boundary(s.len() - 5)
            && s[s.len() - 5..].eq_ignore_ascii_case("(fwd)")
        {
            s = &s[..s.len() - 5];
            fwd = true;
        } else {
            return (s, fwd);
        }
    }
}

/// Step 3: one `subj-leader` removed, if `s` starts with one; and whether
/// it held a `subj-refwd`.
fn strip_leader(s: &str) -> (&str, bool) {
    if let Some(r) = s.strip_prefix(' ') {
        return (r, false);
    }
    let mut t = s;
    while let Some(r) = blob(t) {
        t = r;
    }
    match refwd(t) {
        Some(r) => (r, true),
        None => (s, false),
    }
}

/// `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"`: what follows
/// it, if `s` starts with one.
fn refwd(s: &str) -> Option<&str> {
    let r = strip_ci_prefix(s, "re")
        .or_else(|| strip_ci_prefix(s, "fwd"))
        .or_else(|| strip_ci_prefix(s, "fw"))?;
    let r = r.trim_start_matches(' ');
    let r = blob(r).unwrap_or(r);
    r.strip_prefix(':')
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP`: what follows it, if `s` starts
/// with one. BLOBCHAR is any octet but NUL, `[` and `]`, so a UTF-8
/// character never ends it early.
fn blob(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let end = inner.bytes().position(|b| matches!(b, b'[' | b']' | 0))?;
    let rest = inner[end..].strip_prefix(']')?;
    Some(rest.trim_start_matches(' '))
}

/// `s` without `prefix` (ASCII, compared case-insensitively).
fn strip_ci_prefix<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The `addr-mailbox` of the first address in SEARCH's address text (`Name
/// <local@domain>, local@domain, group: ...;`, see
/// [`crate::message::SearchFields`]): the key of a message stored before
/// its sort keys were. That text does not mark where a display name ends,
/// so a name holding `@`, `<` or `:` can mislead this; messages stored
/// since carry the exact key.
pub fn first_mailbox_of_search_text(text: &str) -> String {
    let bytes = text.as_bytes();
    if let Some(colon) = text.find(':')
        && !text[..colon].contains(['@', '<', ','])
    {
        return text[..colon].trim().to_owned();
    }
    let (lo, hi) = match (text.find('<'), text.find('@')) {
        (Some(open), Some(at)) if open < at => {
            let end = text[open..]
                .find(['@', '>'])
                .map_or(text.len(), |e| open + e);
            (open + 1, end)
        }
        (_, Some(at)) => {
            let start = bytes[..at]
                .iter()
                .rposition(|b| matches!(b, b' ' | b',' | b':' | b'<'))
                .map_or(0, |p| p + 1);
            (start, at)
        }
        (Some(open), None) => {
            let end = text[open..].find('>').map_or(text.len(), |e| open + e);
            (open + 1, end)
        }
        (None, None) => {
            let first = text.split(", ").next().unwrap_or("");
            let first = first.rsplit(": ").next().unwrap_or(first);
            return first.trim_end_matches(';').trim().to_owned();
        }
    };
    text[lo..hi].to_owned()
}

/// The display form of the first address in SEARCH's address text (see
/// [`first_mailbox_of_search_text`], with the same limits): the name
/// before ` <`, else the address, else a group's name.
pub fn first_display_of_search_text(text: &str) -> String {
    if let Some(colon) = text.find(':')
        && !text[..colon].contains(['@', '<', ','])
    {
        return text[..colon].trim().to_owned();
    }
    match text.find(" <") {
        Some(open) if !text[..open].contains('@') => text[..open].to_owned(),
        _ => text.split(", ").next().unwrap_or("").trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_and_forward_markers_are_removed() {
        for (subject, base) in [
            ("Re: hello", "hello"),
            ("RE: re: Fwd: hello", "hello"),
            ("Fw: hello", "hello"),
            ("fwd:hello", "hello"),
            ("Re : hello", "hello"),
            ("Re[2]: hello", "hello"),
            ("Re [2] : hello", "hello"),
            ("Re:", ""),
            ("Rehello", "Rehello"),
            ("Re hello", "Re hello"),
            ("Fwdx: hello", "Fwdx: hello"),
            ("Re: Re: Re:  ", ""),
        ] {
            assert_eq!(base_subject(subject), base, "{subject:?}");
        }
    }

    #[test]
    fn trailers_and_white_space() {
        for (subject, base) in [
            ("hello (fwd)", "hello"),
            ("hello (FWD) (fwd)  ", "hello"),
            ("hello(fwd)", "hello"),
            ("  hello \t\r\n world  ", "hello world"),
            ("(fwd)", ""),
            ("hello (fwd) world", "hello (fwd) world"),
        ] {
            assert_eq!(base_subject(subject), base, "{subject:?}");
        }
    }

    #[test]
    fn list_tags_go_only_when_something_is_left() {
        for (subject, base) in [
            ("[list] hello", "hello"),
            ("[list] Re: hello", "hello"),
            ("[a] [b] Re: hello", "hello"),
            ("[list]", "[list]"),
            ("[list]   ", "[list]"),
            ("[a] [b]", "[b]"),
            ("[a[b] hello", "[a[b] hello"),
            ("[] hello", "hello"),
            ("[unclosed hello", "[unclosed hello"),
        ] {
            assert_eq!(base_subject(subject), base, "{subject:?}");
        }
    }

    #[test]
    fn nested_combinations() {
        for (subject, base) in [
            ("Re: [list] Fwd: hello (fwd)", "hello"),
            ("[list] Re: [other] Fwd[3]: hello (fwd) (fwd)", "hello"),
            ("[fwd: hello]", "hello"),
            ("[Fwd: Re: [list] hello (fwd)]", "hello"),
            ("Re: [fwd: [FWD: hello]] (fwd)", "hello"),
            // A blob with text after it is a list tag (step 4), not a
            // forward wrapper.
            ("[fwd: hello] tail", "tail"),
            ("[fwd: ]", ""),
            ("[fwd: hello", "[fwd: hello"),
            ("Re: Re[2]: Fw: [x] [fwd: Re: caf\u{e9} ]", "caf\u{e9}"),
        ] {
            assert_eq!(base_subject(subject), base, "{subject:?}");
        }
    }

    #[test]
    fn replies_and_forwards_are_told_apart_from_list_tags() {
        for (subject, reply) in [
            ("hello", false),
            ("[list] hello", false),
            ("  hello  ", false),
            ("Re: hello", true),
            ("[list] Fwd[2]: hello", true),
            ("hello (fwd)", true),
            ("[fwd: hello]", true),
            ("[list]", false),
        ] {
            assert_eq!(base_subject_and_reply(subject).1, reply, "{subject:?}");
        }
    }

    #[test]
    fn non_ascii_text_is_kept_whole() {
        assert_eq!(base_subject("Re: \u{e9}t\u{e9}"), "\u{e9}t\u{e9}");
        assert_eq!(base_subject("[\u{fc}ber] Re: x"), "x");
        assert_eq!(base_subject("\u{e9}(fwd)"), "\u{e9}");
        assert_eq!(base_subject("\u{1f600}"), "\u{1f600}");
    }

    #[test]
    fn keys_at_ingest_decode_encoded_words_first() {
        let raw = "From: =?UTF-8?Q?J=C3=B6rg?= <Joerg@x.de>, b@x.de\r\n\
                   To: list: m1@x.org;\r\n\
                   Subject: =?UTF-8?B?UmU6IFtsaXN0XSBGd2Q6?= =?ISO-8859-1?Q?caf=E9?=\r\n\
                    (fwd)\r\n\r\nbody\r\n";
        let parsed = crate::message::ParsedMessage::parse(raw.as_bytes());
        let keys = keys_of_fields(&parsed.fields);
        assert_eq!(
            keys,
            SortKeys {
                subject: "caf\u{e9}".into(),
                from: "Joerg".into(),
                to: "list".into(),
                cc: String::new(),
                display_from: "J\u{f6}rg".into(),
                display_to: "list".into(),
            }
        );
    }

    #[test]
    fn casemap_uppercases_ascii_only() {
        assert_eq!(casemap("abc_\u{e9}"), "ABC_\u{e9}");
        // `_` (0x5F) sorts after the letters, as i;ascii-casemap says.
        assert!(casemap("a") < casemap("_"));
    }

    #[test]
    fn first_mailbox_of_legacy_search_text() {
        for (text, local) in [
            ("Ada <ada@example.org>, bob@example.org", "ada"),
            ("bob@example.org", "bob"),
            ("Doe, John <jd@x.org>", "jd"),
            ("group: a@x.org, b@x.org;", "group"),
            ("empty:;", "empty"),
            ("just-local", "just-local"),
            ("Name <local>", "local"),
            ("", ""),
        ] {
            assert_eq!(first_mailbox_of_search_text(text), local, "{text:?}");
        }
    }

    #[test]
    fn first_display_of_legacy_search_text() {
        for (text, display) in [
            (
                "Ada Lovelace <ada@example.org>, bob@example.org",
                "Ada Lovelace",
            ),
            ("Doe, John <jd@x.org>", "Doe, John"),
            ("bob@example.org, Ann <ann@x.org>", "bob@example.org"),
            ("group: a@x.org;", "group"),
            ("d", "d"),
            ("", ""),
        ] {
            assert_eq!(first_display_of_search_text(text), display, "{text:?}");
        }
    }

    fn msg(uid: u32, size: u64, subject: &str) -> SortMessage {
        SortMessage {
            uid,
            size,
            subject: casemap(subject),
            ..SortMessage::default()
        }
    }

    #[test]
    fn reverse_applies_to_its_key_and_ties_stay_ascending() {
        let mut m = vec![
            msg(1, 10, "b"),
            msg(2, 20, "a"),
            msg(3, 10, "a"),
            msg(4, 20, "b"),
        ];
        let c = |reverse, key| SortCriterion { reverse, key };
        sort(
            &mut m,
            &[c(true, SortKey::Size), c(false, SortKey::Subject)],
        );
        assert_eq!(m.iter().map(|m| m.uid).collect::<Vec<_>>(), [2, 4, 3, 1]);
        sort(&mut m, &[c(true, SortKey::Subject)]);
        assert_eq!(m.iter().map(|m| m.uid).collect::<Vec<_>>(), [1, 4, 2, 3]);
    }
}
