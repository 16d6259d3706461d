//! Message flags (RFC 3501 §2.3.2).

use std::fmt;

use crate::types::{Atom, ValidationError};

/// A flag that may be stored on a message:
/// `flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" /
///         flag-keyword / flag-extension`.
///
/// System flags are matched case-insensitively when parsed and always
/// written in their canonical spelling. `\Recent` is not settable and lives
/// in [`FlagFetch`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag<'a> {
    /// `\Answered`
    Answered,
    /// `\Flagged`
    Flagged,
    /// `\Deleted`
    Deleted,
    /// `\Seen`
    Seen,
    /// `\Draft`
    Draft,
    /// `flag-keyword = atom`, such as `$Forwarded` or `NonJunk`.
    Keyword(Atom<'a>),
    /// `flag-extension = "\" atom`: a backslash flag this crate does not
    /// know (held without the backslash).
    Extension(Atom<'a>),
}

impl<'a> Flag<'a> {
    /// Interprets a backslash flag name (without the backslash).
    pub fn system(name: Atom<'a>) -> Flag<'a> {
        match name.as_str().to_ascii_lowercase().as_str() {
            "answered" => Flag::Answered,
            "flagged" => Flag::Flagged,
            "deleted" => Flag::Deleted,
            "seen" => Flag::Seen,
            "draft" => Flag::Draft,
            _ => Flag::Extension(name),
        }
    }

    /// A keyword flag (no backslash).
    pub fn keyword(name: &'a str) -> Result<Flag<'a>, ValidationError> {
        Atom::try_from(name).map(Flag::Keyword)
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Flag<'static> {
        match self {
            Flag::Answered => Flag::Answered,
            Flag::Flagged => Flag::Flagged,
            Flag::Deleted => Flag::Deleted,
            Flag::Seen => Flag::Seen,
            Flag::Draft => Flag::Draft,
            Flag::Keyword(a) => Flag::Keyword(a.into_static()),
            Flag::Extension(a) => Flag::Extension(a.into_static()),
        }
    }
}

impl fmt::Display for Flag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Flag::Answered => f.write_str("\\Answered"),
            Flag::Flagged => f.write_str("\\Flagged"),
            Flag::Deleted => f.write_str("\\Deleted"),
            Flag::Seen => f.write_str("\\Seen"),
            Flag::Draft => f.write_str("\\Draft"),
            Flag::Keyword(a) => write!(f, "{a}"),
            Flag::Extension(a) => write!(f, "\\{a}"),
        }
    }
}

/// A flag as reported in FETCH: `flag-fetch = flag / "\Recent"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagFetch<'a> {
    /// A stored flag.
    Flag(Flag<'a>),
    /// `\Recent`
    Recent,
}

impl FlagFetch<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> FlagFetch<'static> {
        match self {
            FlagFetch::Flag(f) => FlagFetch::Flag(f.into_static()),
            FlagFetch::Recent => FlagFetch::Recent,
        }
    }
}

impl fmt::Display for FlagFetch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagFetch::Flag(flag) => write!(f, "{flag}"),
            FlagFetch::Recent => f.write_str("\\Recent"),
        }
    }
}

/// A flag in PERMANENTFLAGS: `flag-perm = flag / "\*"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm<'a> {
    /// A flag that can be stored permanently.
    Flag(Flag<'a>),
    /// `\*`: clients may create new keywords.
    Asterisk,
}

impl FlagPerm<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> FlagPerm<'static> {
        match self {
            FlagPerm::Flag(f) => FlagPerm::Flag(f.into_static()),
            FlagPerm::Asterisk => FlagPerm::Asterisk,
        }
    }
}

impl fmt::Display for FlagPerm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagPerm::Flag(flag) => write!(f, "{flag}"),
            FlagPerm::Asterisk => f.write_str("\\*"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_flags_are_case_insensitive() {
        assert_eq!(Flag::system(Atom::try_from("SEEN").unwrap()), Flag::Seen);
        assert_eq!(Flag::system(Atom::try_from("draft").unwrap()), Flag::Draft);
        assert_eq!(
            Flag::system(Atom::try_from("Important").unwrap()).to_string(),
            "\\Important"
        );
    }

    #[test]
    fn display_uses_canonical_spelling() {
        assert_eq!(Flag::Answered.to_string(), "\\Answered");
        assert_eq!(Flag::keyword("$Junk").unwrap().to_string(), "$Junk");
        assert_eq!(FlagFetch::Recent.to_string(), "\\Recent");
        assert_eq!(FlagPerm::Asterisk.to_string(), "\\*");
    }
}
