//! Limits on what one command may contain, and the command parser's error.

use std::cell::Cell;

use crate::parse::error::{PError, Reason};
use crate::types::Tag;

/// Bounds on the size of a parsed command, so that a hostile client cannot
/// make the parser recurse or allocate without limit. The framer bounds the
/// byte length of a command; these bound its structure.
///
/// ```
/// use hadron_proto::parse::{self, ParseLimits};
/// let limits = ParseLimits { max_search_depth: 2, ..ParseLimits::default() };
/// assert!(parse::command(b"a SEARCH NOT SEEN\r\n", &limits).is_ok());
/// assert!(parse::command(b"a SEARCH NOT NOT NOT SEEN\r\n", &limits).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// How deeply search keys may nest: every `(`, `NOT` and `OR` adds a
    /// level; a plain key at the top is level 1. Default 64.
    pub max_search_depth: usize,
    /// How many search keys one command may hold in total (counting nested
    /// ones). Default 1,000.
    pub max_search_keys: usize,
    /// How many items (numbers or ranges) one sequence set may hold.
    /// Default 100,000.
    pub max_sequence_items: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_search_depth: 64,
            max_search_keys: 1_000,
            max_sequence_items: 100_000,
        }
    }
}

/// Per-command parsing state: the limits and what has been used of them.
pub(crate) struct Ctx<'l> {
    pub(crate) limits: &'l ParseLimits,
    keys: Cell<usize>,
}

impl<'l> Ctx<'l> {
    pub(crate) fn new(limits: &'l ParseLimits) -> Self {
        Ctx {
            limits,
            keys: Cell::new(0),
        }
    }

    /// Counts one more search key at `depth`, failing over the limits.
    pub(crate) fn enter_key<'a>(
        &self,
        i: &'a [u8],
        depth: usize,
    ) -> Result<(), nom::Err<PError<'a>>> {
        if depth > self.limits.max_search_depth {
            return Err(nom::Err::Failure(PError::new(
                i,
                Reason::TooDeep(self.limits.max_search_depth),
            )));
        }
        let n = self.keys.get() + 1;
        if n > self.limits.max_search_keys {
            return Err(nom::Err::Failure(PError::new(
                i,
                Reason::TooMany("search keys", self.limits.max_search_keys),
            )));
        }
        self.keys.set(n);
        Ok(())
    }
}

/// What kind of problem a [`CommandError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandErrorKind {
    /// The line does not start with a valid tag (answer `* BAD`).
    MissingTag,
    /// The command name is not one this crate knows.
    UnknownCommand,
    /// The arguments do not follow the grammar, or a value is invalid.
    Syntax,
    /// Search keys nest deeper than [`ParseLimits::max_search_depth`].
    TooDeep,
    /// More items than a [`ParseLimits`] bound allows.
    TooMany,
}

/// Why a command line was refused. Carries the tag whenever one was read,
/// so the server can answer `tag BAD <message>`.
///
/// ```
/// use hadron_proto::parse::{self, ParseLimits};
/// let err = parse::command(b"a7 FOOBAR x\r\n", &ParseLimits::default()).unwrap_err();
/// assert_eq!(err.tag().unwrap().as_str(), "a7");
/// assert_eq!(err.to_string(), "unknown command FOOBAR");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    tag: Option<Tag<'static>>,
    kind: CommandErrorKind,
    message: String,
}

impl CommandError {
    pub(crate) fn new(tag: Option<Tag<'static>>, kind: CommandErrorKind, message: String) -> Self {
        CommandError { tag, kind, message }
    }

    /// Builds the error for a failed nom parse of command `name`.
    pub(crate) fn from_nom(
        tag: Option<Tag<'static>>,
        name: &str,
        err: nom::Err<PError<'_>>,
    ) -> Self {
        let err = match err {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => {
                return CommandError::new(
                    tag,
                    CommandErrorKind::Syntax,
                    format!("{name}: incomplete"),
                );
            }
        };
        let kind = match err.reason {
            Reason::TooDeep(_) => CommandErrorKind::TooDeep,
            Reason::TooMany(..) => CommandErrorKind::TooMany,
            _ => CommandErrorKind::Syntax,
        };
        let reason = match err.reason {
            Reason::Nom(nom::error::ErrorKind::Digit) => "expected a number".to_owned(),
            Reason::Nom(nom::error::ErrorKind::TakeWhile1) => "expected an atom".to_owned(),
            Reason::Nom(nom::error::ErrorKind::Tag) => "expected a keyword".to_owned(),
            Reason::Nom(nom::error::ErrorKind::Char) => "unexpected character".to_owned(),
            _ => err.describe(),
        };
        let at = if err.input.is_empty() {
            "at end of input".to_owned()
        } else {
            // Up to the end of the line, unless the problem is the line end.
            let line_end = err
                .input
                .iter()
                .position(|&b| b == b'\r' || b == b'\n')
                .filter(|&n| n > 0)
                .unwrap_or(err.input.len());
            let snippet: String = err.input[..line_end.min(24)].escape_ascii().to_string();
            format!("at '{snippet}'")
        };
        let prefix = if name.is_empty() {
            String::new()
        } else {
            format!("{name}: ")
        };
        CommandError::new(tag, kind, format!("{prefix}{reason} {at}"))
    }

    /// The tag of the failed command, if one could be read.
    pub fn tag(&self) -> Option<&Tag<'static>> {
        self.tag.as_ref()
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> CommandErrorKind {
        self.kind
    }

    /// The human-readable reason (the same as `Display`), suitable for the
    /// text of a `BAD` response.
    pub fn message(&self) -> &str {
        &self.message
    }
}
