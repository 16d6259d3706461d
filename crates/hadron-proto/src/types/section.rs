//! Body sections of `BODY[section]` (RFC 3501 §6.4.5, §9 `section`).

use std::num::NonZeroU32;

use crate::types::{AString, ValidationError};

/// A part path such as `1.2.3`: `section-part = nz-number *("." nz-number)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Part(Vec<NonZeroU32>);

impl Part {
    /// A part path; empty paths are rejected.
    pub fn new(path: Vec<NonZeroU32>) -> Result<Self, ValidationError> {
        if path.is_empty() {
            Err(ValidationError::Empty("section part"))
        } else {
            Ok(Part(path))
        }
    }

    /// The path's numbers, outermost first.
    pub fn path(&self) -> &[NonZeroU32] {
        &self.0
    }
}

/// The field names of `HEADER.FIELDS (...)`: `header-list = "(" header-fld-name
/// *(SP header-fld-name) ")"` — never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderNames<'a>(Vec<AString<'a>>);

impl<'a> HeaderNames<'a> {
    /// A list of field names; empty lists are rejected.
    pub fn new(names: Vec<AString<'a>>) -> Result<Self, ValidationError> {
        if names.is_empty() {
            Err(ValidationError::Empty("header field list"))
        } else {
            Ok(HeaderNames(names))
        }
    }

    /// The names as sent.
    pub fn names(&self) -> &[AString<'a>] {
        &self.0
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> HeaderNames<'static> {
        HeaderNames(self.0.into_iter().map(AString::into_static).collect())
    }
}

/// What `BODY[...]` names. Invalid combinations (such as `MIME` of the whole
/// message) cannot be built.
///
/// ```text
/// section      = "[" [section-spec] "]"
/// section-spec = section-msgtext / (section-part ["." section-text])
/// section-text = section-msgtext / "MIME"
/// section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Section<'a> {
    /// `[]`: the whole message.
    Full,
    /// `[1.2]`: the body of a part.
    Part(Part),
    /// `[HEADER]` or `[1.2.HEADER]` (of an embedded message/rfc822).
    Header(Option<Part>),
    /// `[HEADER.FIELDS (...)]`
    HeaderFields(Option<Part>, HeaderNames<'a>),
    /// `[HEADER.FIELDS.NOT (...)]`
    HeaderFieldsNot(Option<Part>, HeaderNames<'a>),
    /// `[TEXT]` or `[1.TEXT]`
    Text(Option<Part>),
    /// `[1.MIME]`: the MIME header of a part.
    Mime(Part),
}

impl Section<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Section<'static> {
        match self {
            Section::Full => Section::Full,
            Section::Part(p) => Section::Part(p),
            Section::Header(p) => Section::Header(p),
            Section::HeaderFields(p, h) => Section::HeaderFields(p, h.into_static()),
            Section::HeaderFieldsNot(p, h) => Section::HeaderFieldsNot(p, h.into_static()),
            Section::Text(p) => Section::Text(p),
            Section::Mime(p) => Section::Mime(p),
        }
    }

    /// The part path, if any.
    pub fn part(&self) -> Option<&Part> {
        match self {
            Section::Full => None,
            Section::Part(p) | Section::Mime(p) => Some(p),
            Section::Header(p)
            | Section::HeaderFields(p, _)
            | Section::HeaderFieldsNot(p, _)
            | Section::Text(p) => p.as_ref(),
        }
    }
}
