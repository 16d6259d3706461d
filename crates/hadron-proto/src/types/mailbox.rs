//! Mailbox names (RFC 3501 §5.1).

use std::borrow::Cow;
use std::fmt;

use crate::types::{AString, ValidationError, utf7};

/// A mailbox name, held as UTF-8.
///
/// On the wire a name is an `astring` in modified UTF-7 (RFC 3501 §5.1.3);
/// [`Mailbox::from_wire`] decodes it (rejecting invalid UTF-7) and
/// [`Mailbox::to_wire`] encodes it back. `INBOX` is case-insensitive, so any
/// spelling of it is normalised to `INBOX` and compares equal.
///
/// ```
/// use hadron_proto::types::Mailbox;
/// let m = Mailbox::from_wire(b"inbox").unwrap();
/// assert!(m.is_inbox());
/// assert_eq!(m.as_str(), "INBOX");
/// let m = Mailbox::from_wire(b"&ZeVnLIqe-").unwrap();
/// assert_eq!(m.as_str(), "日本語");
/// assert_eq!(m.to_wire(), "&ZeVnLIqe-");
/// assert!(Mailbox::from_wire(b"&bad").is_err());
/// // What a parser accepts: a valid astring that is not modified UTF-7
/// // is kept as received, marked raw (no mailbox can have that name).
/// let raw = Mailbox::from_wire_or_raw(b"&bad").unwrap();
/// assert!(raw.is_raw());
/// assert_eq!(raw.to_wire(), "&bad");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mailbox<'a>(Cow<'a, str>, Form);

/// How a [`Mailbox`] or [`crate::types::ListMailbox`] name was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Form {
    /// UTF-8, decoded from (or encodable as) modified UTF-7.
    Decoded,
    /// The wire bytes as received: valid `astring` but not valid modified
    /// UTF-7 (RFC 3501 §5.1.3), so not a name any mailbox can have.
    Raw,
}

/// A name or pattern as received: plain ASCII borrowed, modified UTF-7
/// decoded; with `raw_ok`, one that is not valid modified UTF-7 is kept as
/// received ([`Form::Raw`]) instead of rejected. Bytes that are not UTF-8
/// are always an error.
pub(crate) fn decode_name(
    wire: &[u8],
    raw_ok: bool,
) -> Result<(Cow<'_, str>, Form), ValidationError> {
    let utf8 = || std::str::from_utf8(wire).map_err(|_| ValidationError::NotUtf8);
    if utf7::is_plain(wire) {
        return Ok((Cow::Borrowed(utf8()?), Form::Decoded));
    }
    match utf7::decode(wire) {
        Ok(name) => Ok((Cow::Owned(name), Form::Decoded)),
        Err(ValidationError::InvalidUtf7 { .. }) if raw_ok => {
            Ok((Cow::Borrowed(utf8()?), Form::Raw))
        }
        Err(e) => Err(e),
    }
}

impl<'a> Mailbox<'a> {
    /// The mailbox `INBOX`.
    pub const INBOX: Mailbox<'static> = Mailbox(Cow::Borrowed("INBOX"), Form::Decoded);

    /// Decodes a name as received on the wire (modified UTF-7).
    pub fn from_wire(wire: &'a [u8]) -> Result<Self, ValidationError> {
        Mailbox::decode(wire, false)
    }

    /// Like [`Mailbox::from_wire`], but a name that is not valid modified
    /// UTF-7 is kept as received and marked [raw](Mailbox::is_raw) instead
    /// of rejected: the grammar allows any `astring`, and a server answers
    /// such a name with `NO` (it cannot exist), not `BAD`. Fails only for
    /// bytes that are not UTF-8.
    pub fn from_wire_or_raw(wire: &'a [u8]) -> Result<Self, ValidationError> {
        Mailbox::decode(wire, true)
    }

    fn decode(wire: &'a [u8], raw_ok: bool) -> Result<Self, ValidationError> {
        if wire.eq_ignore_ascii_case(b"INBOX") {
            return Ok(Mailbox::INBOX);
        }
        let (name, form) = decode_name(wire, raw_ok)?;
        Ok(Mailbox(name, form))
    }

    /// Whether the name arrived in a form that is not valid modified UTF-7
    /// (see [`Mailbox::from_wire_or_raw`]): [`Mailbox::as_str`] then holds
    /// the wire bytes, and no mailbox can have this name.
    pub fn is_raw(&self) -> bool {
        self.1 == Form::Raw
    }

    /// Decodes a name from an owned wire `astring`.
    pub fn from_astring(name: AString<'a>) -> Result<Mailbox<'static>, ValidationError> {
        Mailbox::from_wire(name.as_bytes()).map(Mailbox::into_static)
    }

    /// A mailbox from its UTF-8 name. Rejects control characters (which no
    /// encoding can carry) and the empty name.
    pub fn new(name: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ValidationError::Empty("mailbox name"));
        }
        if let Some((at, ch)) = name.char_indices().find(|(_, c)| c.is_control()) {
            return Err(ValidationError::InvalidByte {
                what: "mailbox name",
                byte: ch as u32 as u8,
                at,
            });
        }
        if name.eq_ignore_ascii_case("INBOX") {
            return Ok(Mailbox::INBOX);
        }
        Ok(Mailbox(name, Form::Decoded))
    }

    /// The name as UTF-8.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `INBOX`.
    pub fn is_inbox(&self) -> bool {
        self.0 == "INBOX"
    }

    /// The name in modified UTF-7, as it goes on the wire (a raw name as
    /// it was received).
    pub fn to_wire(&self) -> Cow<'_, str> {
        if self.1 == Form::Raw || utf7::is_plain(self.0.as_bytes()) {
            Cow::Borrowed(&self.0)
        } else {
            Cow::Owned(utf7::encode(&self.0))
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Mailbox<'static> {
        Mailbox(Cow::Owned(self.0.into_owned()), self.1)
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'a> TryFrom<&'a str> for Mailbox<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        Mailbox::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_is_case_insensitive() {
        assert_eq!(Mailbox::from_wire(b"InBoX").unwrap(), Mailbox::INBOX);
        assert_eq!(Mailbox::new("inbox").unwrap(), Mailbox::INBOX);
        // Only the whole name: children keep their spelling.
        assert_eq!(
            Mailbox::from_wire(b"inbox/Sub").unwrap().as_str(),
            "inbox/Sub"
        );
    }

    #[test]
    fn invalid_utf7_is_kept_raw_only_on_request() {
        for wire in [&b"&bad"[..], b"!#$&'+,-.0123456789:;<=>?@^_`|[}", b"a&Jjo"] {
            assert!(Mailbox::from_wire(wire).is_err());
            let raw = Mailbox::from_wire_or_raw(wire).unwrap();
            assert!(raw.is_raw());
            assert_eq!(raw.to_wire().as_bytes(), wire);
            assert_ne!(raw, Mailbox::new(raw.as_str().to_owned()).unwrap());
        }
        let fine = Mailbox::from_wire_or_raw(b"&ZeVnLIqe-").unwrap();
        assert!(!fine.is_raw());
        assert_eq!(fine.as_str(), "日本語");
        // Not UTF-8 at all: nothing to keep.
        assert!(Mailbox::from_wire_or_raw(&[0xff, b'&']).is_err());
    }

    #[test]
    fn plain_names_borrow() {
        let m = Mailbox::from_wire(b"Archive/2024").unwrap();
        assert!(matches!(m.0, Cow::Borrowed(_)));
    }

    #[test]
    fn round_trips_through_utf7() {
        for name in ["Entwürfe", "A&B", "Gesendete Objekte", "📁/x"] {
            let m = Mailbox::new(name).unwrap();
            let wire = m.to_wire().into_owned();
            assert_eq!(Mailbox::from_wire(wire.as_bytes()).unwrap(), m);
        }
    }

    #[test]
    fn rejects_controls_and_empty() {
        assert!(Mailbox::new("").is_err());
        assert!(Mailbox::new("a\nb").is_err());
        assert!(Mailbox::from_wire(b"a\x01").is_err());
    }
}
