//! The error type threaded through every nom parser.

use nom::error::{ErrorKind, ParseError};

use crate::types::ValidationError;

/// Why a parser stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A nom combinator failed; nothing more specific is known.
    Nom(ErrorKind),
    /// The grammar expected something else here.
    Expected(&'static str),
    /// The syntax matched but the value is not valid protocol.
    Invalid(ValidationError),
    /// Nesting deeper than the caller's limit.
    TooDeep(usize),
    /// More items than the caller's limit (what, limit).
    TooMany(&'static str, usize),
}

/// A parse failure: where (`input` is the unparsed rest) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PError<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) reason: Reason,
}

impl<'a> PError<'a> {
    pub(crate) fn new(input: &'a [u8], reason: Reason) -> Self {
        PError { input, reason }
    }

    /// A recoverable error (`nom::Err::Error`), so `alt` tries the next branch.
    pub(crate) fn expected(input: &'a [u8], what: &'static str) -> nom::Err<Self> {
        nom::Err::Error(PError::new(input, Reason::Expected(what)))
    }

    /// An unrecoverable error (`nom::Err::Failure`): the syntax committed to
    /// this branch and the value is wrong.
    pub(crate) fn invalid(input: &'a [u8], error: ValidationError) -> nom::Err<Self> {
        nom::Err::Failure(PError::new(input, Reason::Invalid(error)))
    }

    /// A human-readable description.
    pub(crate) fn describe(&self) -> String {
        match &self.reason {
            Reason::Nom(kind) => format!("syntax error ({})", kind.description()),
            Reason::Expected(what) => format!("expected {what}"),
            Reason::Invalid(e) => e.to_string(),
            Reason::TooDeep(limit) => format!("nesting deeper than {limit} levels"),
            Reason::TooMany(what, limit) => format!("more than {limit} {what}"),
        }
    }
}

impl<'a> ParseError<&'a [u8]> for PError<'a> {
    fn from_error_kind(input: &'a [u8], kind: ErrorKind) -> Self {
        PError::new(input, Reason::Nom(kind))
    }

    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        // Keep the innermost (most specific) reason.
        other
    }

    fn or(self, other: Self) -> Self {
        // Prefer the branch that got further into the input.
        if other.input.len() <= self.input.len() {
            other
        } else {
            self
        }
    }
}

/// The result type of every parser in this crate.
pub(crate) type PResult<'a, O> = nom::IResult<&'a [u8], O, PError<'a>>;
