//! LIST arguments (RFC 3501 §6.3.8, RFC 5258 LIST-EXTENDED, RFC 5819
//! LIST-STATUS, RFC 6154 SPECIAL-USE).

use std::borrow::Cow;
use std::fmt;

use crate::types::mailbox::{Form, decode_name};
use crate::types::{NonEmptyVec, StatusItem, ValidationError, utf7};

/// A LIST/LSUB pattern: `list-mailbox = 1*list-char / string`, held as UTF-8
/// (modified UTF-7 decoded, like [`crate::types::Mailbox`]). `*` and `%` are
/// wildcards; the empty pattern is allowed (it asks for the hierarchy
/// delimiter).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListMailbox<'a>(Cow<'a, str>, Form);

impl<'a> ListMailbox<'a> {
    /// Decodes a pattern as received on the wire; rejects invalid UTF-7.
    pub fn from_wire(wire: &'a [u8]) -> Result<Self, ValidationError> {
        let (pattern, form) = decode_name(wire, false)?;
        Ok(ListMailbox(pattern, form))
    }

    /// Like [`ListMailbox::from_wire`], but a pattern that is not valid
    /// modified UTF-7 is kept as received and marked
    /// [raw](ListMailbox::is_raw) (it matches no mailbox) instead of
    /// rejected, as [`crate::types::Mailbox::from_wire_or_raw`] does.
    pub fn from_wire_or_raw(wire: &'a [u8]) -> Result<Self, ValidationError> {
        let (pattern, form) = decode_name(wire, true)?;
        Ok(ListMailbox(pattern, form))
    }

    /// Whether the pattern was not valid modified UTF-7 on the wire (and
    /// so matches no mailbox); [`ListMailbox::as_str`] holds the wire form.
    pub fn is_raw(&self) -> bool {
        self.1 == Form::Raw
    }

    /// A pattern from UTF-8 text; rejects control characters.
    pub fn new(pattern: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let pattern = pattern.into();
        if let Some((at, ch)) = pattern.char_indices().find(|(_, c)| c.is_control()) {
            return Err(ValidationError::InvalidByte {
                what: "list pattern",
                byte: ch as u32 as u8,
                at,
            });
        }
        Ok(ListMailbox(pattern, Form::Decoded))
    }

    /// The pattern as UTF-8.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The pattern in modified UTF-7, as it goes on the wire.
    pub fn to_wire(&self) -> Cow<'_, str> {
        if self.1 == Form::Raw || utf7::is_plain(self.0.as_bytes()) {
            Cow::Borrowed(&self.0)
        } else {
            Cow::Owned(utf7::encode(&self.0))
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> ListMailbox<'static> {
        ListMailbox(Cow::Owned(self.0.into_owned()), self.1)
    }
}

impl fmt::Display for ListMailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `list-select-opt` (RFC 5258, RFC 6154).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListSelectOption {
    /// `SUBSCRIBED`
    Subscribed,
    /// `REMOTE`
    Remote,
    /// `RECURSIVEMATCH` (only with `SUBSCRIBED`; the parser rejects it alone)
    RecursiveMatch,
    /// `SPECIAL-USE` (RFC 6154)
    SpecialUse,
}

impl ListSelectOption {
    /// Every option.
    pub const ALL: [ListSelectOption; 4] = [
        ListSelectOption::Subscribed,
        ListSelectOption::Remote,
        ListSelectOption::RecursiveMatch,
        ListSelectOption::SpecialUse,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            ListSelectOption::Subscribed => "SUBSCRIBED",
            ListSelectOption::Remote => "REMOTE",
            ListSelectOption::RecursiveMatch => "RECURSIVEMATCH",
            ListSelectOption::SpecialUse => "SPECIAL-USE",
        }
    }
}

/// `return-option` (RFC 5258, RFC 5819, RFC 6154).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListReturnOption {
    /// `SUBSCRIBED`
    Subscribed,
    /// `CHILDREN`
    Children,
    /// `SPECIAL-USE`
    SpecialUse,
    /// `STATUS (status-att ...)` (LIST-STATUS).
    Status(NonEmptyVec<StatusItem>),
}
