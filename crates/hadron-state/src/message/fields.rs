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
    /// `Date:` as Unix seconds (UTC), if present and readable.
    pub sent_date: Option<i64>,
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
        SearchFields {
            from: addresses("From"),
            to: addresses("To"),
            cc: addresses("Cc"),
            bcc: addresses("Bcc"),
            subject: decoded("Subject"),
            message_id: h
                .value("Message-ID")
                .map(|v| super::charset::bytes_to_string(&v)),
            sent_date: h.value("Date").and_then(|v| date::parse(&v)),
        }
    }
}
