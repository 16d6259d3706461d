//! The header fields SEARCH matches on, decoded once at ingest.

use super::address;
use super::date;
use super::encoded_word;
use super::header::Header;
use crate::thread::ThreadLinks;

/// Decoded header fields for SEARCH FROM/TO/CC/BCC/SUBJECT, SENT* and
/// `HEADER Message-ID`.
///
/// Strings are the unfolded header values with RFC 2047 encoded-words
/// decoded and every charset converted to UTF-8 (unlabelled 8-bit text is
/// taken as UTF-8 when valid, else Windows-1252); an absent field is the
/// empty string. Address fields hold their address text, which substring
/// search matches: every address parsed and written back as
/// `Name <local@domain>` with the name decoded and the comments and white
/// space inside the address removed (`<user (c)@ (c) example.org>` is
/// `user@example.org`), groups as `name: members;` — the value
/// [`super::header_values`] gives for the same field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchFields {
    /// `From:`
    pub from: String,
    /// `To:`
    pub to: String,
    /// `Cc:`
    pub cc: String,
    /// `Bcc:`
    pub bcc: String,
    /// `Subject:`
    pub subject: String,
    /// What THREAD=REFERENCES links the message by: its `Message-ID:` and
    /// the ancestors its `References:` (else `In-Reply-To:`) names.
    pub thread_links: ThreadLinks,
    /// The Message-ID of the thread's root as this message names it: the
    /// first `References:` entry, else the first `In-Reply-To:` one, else
    /// its own `Message-ID:` (see [`crate::objectid::thread_id`]).
    pub thread_root: Option<String>,
    /// `Date:` as Unix seconds (UTC), if present and readable.
    pub sent_date: Option<i64>,
    /// The local part of the first `From:` address (SORT FROM), `""` if
    /// none.
    pub from_mailbox: String,
    /// The local part of the first `To:` address (SORT TO), `""` if none.
    pub to_mailbox: String,
    /// The local part of the first `Cc:` address (SORT CC), `""` if none.
    pub cc_mailbox: String,
    /// The display form of the first `From:` address (SORT DISPLAYFROM,
    /// RFC 5957), `""` if none.
    pub from_display: String,
    /// The display form of the first `To:` address (SORT DISPLAYTO), `""`
    /// if none.
    pub to_display: String,
}

impl SearchFields {
    pub(crate) fn from_header(h: &Header<'_>) -> Self {
        let decoded = |name: &str| {
            h.value(name)
                .map(|v| encoded_word::decode(&v))
                .unwrap_or_default()
        };
        let addresses = |name: &str| {
            h.value(name)
                .map(|v| address::search_text(&v))
                .unwrap_or_default()
        };
        let first_mailbox = |name: &str| {
            h.value(name)
                .map(|v| address::first_mailbox(&v))
                .unwrap_or_default()
        };
        let first_display = |name: &str| {
            h.value(name)
                .map(|v| address::first_display(&v))
                .unwrap_or_default()
        };
        let first_id = |name: &str| h.value(name).and_then(|v| first_msg_id(&v));
        let thread_root = first_id("References")
            .or_else(|| first_id("In-Reply-To"))
            .or_else(|| first_id("Message-ID"));
        SearchFields {
            thread_root,
            from: addresses("From"),
            to: addresses("To"),
            cc: addresses("Cc"),
            bcc: addresses("Bcc"),
            subject: decoded("Subject"),
            thread_links: thread_links(h),
            sent_date: h.value("Date").and_then(|v| date::parse(&v)),
            from_mailbox: first_mailbox("From"),
            to_mailbox: first_mailbox("To"),
            cc_mailbox: first_mailbox("Cc"),
            from_display: first_display("From"),
            to_display: first_display("To"),
        }
    }
}

/// The first `<…>` message identifier in a header value (RFC 5322
/// `msg-id`), brackets included; `None` when there is none.
fn first_msg_id(value: &[u8]) -> Option<String> {
    let start = value.iter().position(|&b| b == b'<')?;
    let len = value[start..].iter().position(|&b| b == b'>')?;
    let id = &value[start..=start + len];
    (id.len() > 2).then(|| String::from_utf8_lossy(id).into_owned())
}

/// The `msg-id`s of a header value, without their angle brackets, in
/// order: every `<…>` with something inside, white space (folding) removed.
fn msg_ids(value: &[u8]) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.iter().position(|&b| b == b'<') {
        let after = &rest[start + 1..];
        let Some(len) = after.iter().position(|&b| matches!(b, b'>' | b'<')) else {
            break;
        };
        let inner: Vec<u8> = after[..len]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if after[len] == b'>' && !inner.is_empty() {
            ids.push(String::from_utf8_lossy(&inner).into_owned());
        }
        rest = &after[len..];
        if rest.first() == Some(&b'>') {
            rest = &rest[1..];
        }
    }
    ids
}

/// [`SearchFields::thread_links`] of a header (RFC 5256 §4 step 1): the
/// first `Message-ID:` ID; the `References:` IDs, else the first
/// `In-Reply-To:` one. A reference to the message itself is kept: RFC 5256
/// threads by the header as written (the link it asks for would close a
/// loop, so it only breaks the one an earlier reference made), as Dovecot
/// does.
pub(crate) fn thread_links(h: &Header<'_>) -> ThreadLinks {
    let ids = |name: &str| h.value(name).map(|v| msg_ids(&v)).unwrap_or_default();
    let id = ids("Message-ID").into_iter().next();
    let mut parents = ids("References");
    if parents.is_empty() {
        parents = ids("In-Reply-To").into_iter().take(1).collect();
    }
    ThreadLinks { id, parents }
}

#[cfg(test)]
mod thread_links_tests {
    use super::*;

    fn links(header: &str) -> ThreadLinks {
        let raw = header.as_bytes();
        thread_links(&Header::parse(raw, 0, raw.len()))
    }

    #[test]
    fn references_win_over_in_reply_to() {
        let l = links(
            "Message-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <a@x>\r\n <b@x> <c@x>\r\n\r\n",
        );
        assert_eq!(l.id.as_deref(), Some("c@x"));
        assert_eq!(l.parents, ["a@x", "b@x", "c@x"]);
        let l = links("Message-Id: <c@x>\r\nIn-Reply-To: <b@x> (Ann's) <z@x>\r\n\r\n");
        assert_eq!(l.parents, ["b@x"]);
    }

    #[test]
    fn malformed_ids_are_skipped() {
        let l = links("Message-ID: no brackets\r\nReferences: <> <a\r\n @x> <<b@x> <c@x\r\n\r\n");
        assert_eq!(l.id, None);
        assert_eq!(l.parents, ["a@x", "b@x"]);
        assert_eq!(links("Subject: s\r\n\r\n"), ThreadLinks::default());
    }
}

#[cfg(test)]
mod thread_root_tests {
    use super::*;

    fn root(header: &str) -> Option<String> {
        let raw = header.as_bytes();
        SearchFields::from_header(&Header::parse(raw, 0, raw.len())).thread_root
    }

    #[test]
    fn the_root_is_the_first_reference_else_the_parent_else_the_message() {
        assert_eq!(
            root("Message-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <a@x>\r\n <b@x>\r\n\r\n")
                .as_deref(),
            Some("<a@x>")
        );
        assert_eq!(
            root("Message-ID: <c@x>\r\nIn-Reply-To: Your message <b@x>\r\n\r\n").as_deref(),
            Some("<b@x>")
        );
        assert_eq!(root("Message-ID: <c@x>\r\n\r\n").as_deref(), Some("<c@x>"));
        assert_eq!(root("References: <>\r\nSubject: s\r\n\r\n"), None);
        assert_eq!(root("Subject: none\r\n\r\n"), None);
    }
}
