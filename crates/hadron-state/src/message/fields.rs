//! The header fields SEARCH matches on, decoded once at ingest.

use super::address;
use super::date;
use super::encoded_word;
use super::header::Header;

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
    /// `Message-ID:` as sent (unfolded), if present.
    pub message_id: Option<String>,
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
            message_id: h
                .value("Message-ID")
                .map(|v| super::charset::bytes_to_string(&v)),
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
