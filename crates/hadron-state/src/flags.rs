//! Message flags as the state engine stores them: the five system flags as
//! bits, everything else (keywords and unknown `\Extension` flags) as a
//! sorted set.

use std::collections::BTreeSet;
use std::fmt;

use hadron_proto::types::Flag;

/// The five settable system flags of RFC 3501 §2.3.2, one bit each.
///
/// `\Recent` is not here: it is per session, not per message (see
/// [`crate::snapshot::Snapshot::is_recent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct SystemFlags(u8);

impl SystemFlags {
    /// No flag set.
    pub const EMPTY: SystemFlags = SystemFlags(0);
    /// `\Answered`
    pub const ANSWERED: SystemFlags = SystemFlags(1 << 0);
    /// `\Flagged`
    pub const FLAGGED: SystemFlags = SystemFlags(1 << 1);
    /// `\Deleted`
    pub const DELETED: SystemFlags = SystemFlags(1 << 2);
    /// `\Seen`
    pub const SEEN: SystemFlags = SystemFlags(1 << 3);
    /// `\Draft`
    pub const DRAFT: SystemFlags = SystemFlags(1 << 4);
    /// Every system flag.
    pub const ALL: SystemFlags = SystemFlags(0b1_1111);

    /// The flags whose bits are set in `bits`; bits above the five system
    /// flags are ignored.
    pub const fn from_bits_truncate(bits: u8) -> SystemFlags {
        SystemFlags(bits & Self::ALL.0)
    }

    /// The raw bits (only the low five may be set).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every flag in `other` is set in `self`.
    pub const fn contains(self, other: SystemFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self ∪ other`
    pub const fn union(self, other: SystemFlags) -> SystemFlags {
        SystemFlags(self.0 | other.0)
    }

    /// `self ∖ other`
    pub const fn difference(self, other: SystemFlags) -> SystemFlags {
        SystemFlags(self.0 & !other.0)
    }

    /// The system flag a [`Flag`] names, if it is one.
    pub fn of(flag: &Flag<'_>) -> Option<SystemFlags> {
        match flag {
            Flag::Answered => Some(Self::ANSWERED),
            Flag::Flagged => Some(Self::FLAGGED),
            Flag::Deleted => Some(Self::DELETED),
            Flag::Seen => Some(Self::SEEN),
            Flag::Draft => Some(Self::DRAFT),
            Flag::Keyword(_) | Flag::Extension(_) => None,
        }
    }

    /// The flags set, as [`Flag`]s, in canonical order.
    pub fn iter(self) -> impl Iterator<Item = Flag<'static>> {
        [
            (Self::ANSWERED, Flag::Answered),
            (Self::FLAGGED, Flag::Flagged),
            (Self::DELETED, Flag::Deleted),
            (Self::SEEN, Flag::Seen),
            (Self::DRAFT, Flag::Draft),
        ]
        .into_iter()
        .filter(move |(bit, _)| self.contains(*bit))
        .map(|(_, flag)| flag)
    }
}

/// The flags stored on one message: system flags as bits plus a sorted set
/// of keywords (and `\Extension` flags the protocol crate does not know).
///
/// Keywords are case-insensitive (ASCII), as IMAP's atoms are and as the
/// store keeps them: `$Forwarded` and `$forwarded` are one keyword, kept
/// in the spelling first inserted, so SEARCH KEYWORD, STORE -FLAGS and
/// delivery agree with the store whatever case a client writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FlagSet {
    /// The system flags.
    pub system: SystemFlags,
    /// Every flag that is not a system flag (only `Flag::Keyword` and
    /// `Flag::Extension` values belong here).
    pub keywords: BTreeSet<Flag<'static>>,
}

impl FlagSet {
    /// Only system flags, no keywords.
    pub fn system(system: SystemFlags) -> FlagSet {
        FlagSet {
            system,
            keywords: BTreeSet::new(),
        }
    }

    /// Collects flags, sorting system flags into bits.
    pub fn from_flags<'a>(flags: impl IntoIterator<Item = Flag<'a>>) -> FlagSet {
        let mut set = FlagSet::default();
        for flag in flags {
            set.insert(flag);
        }
        set
    }

    /// Adds one flag (a keyword already present in another case is kept
    /// as it is).
    pub fn insert(&mut self, flag: Flag<'_>) {
        match SystemFlags::of(&flag) {
            Some(bit) => self.system = self.system.union(bit),
            None => {
                if !self.has_keyword(&flag) {
                    self.keywords.insert(flag.into_static());
                }
            }
        }
    }

    /// Whether `flag` is set.
    pub fn contains(&self, flag: &Flag<'_>) -> bool {
        match SystemFlags::of(flag) {
            Some(bit) => self.system.contains(bit),
            None => self.has_keyword(flag),
        }
    }

    /// Whether a keyword equal to `flag` but for ASCII case is present.
    fn has_keyword(&self, flag: &Flag<'_>) -> bool {
        keyword_in(&self.keywords, flag)
    }

    /// `self ∪ other` (STORE `+FLAGS`).
    pub fn union(&self, other: &FlagSet) -> FlagSet {
        let mut out = self.clone();
        out.system = out.system.union(other.system);
        for k in &other.keywords {
            out.insert(k.clone());
        }
        out
    }

    /// `self ∖ other` (STORE `-FLAGS`).
    pub fn difference(&self, other: &FlagSet) -> FlagSet {
        FlagSet {
            system: self.system.difference(other.system),
            keywords: self
                .keywords
                .iter()
                .filter(|k| !other.has_keyword(k))
                .cloned()
                .collect(),
        }
    }

    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        self.system.is_empty() && self.keywords.is_empty()
    }

    /// Every flag, system flags first in canonical order, then keywords.
    pub fn iter(&self) -> impl Iterator<Item = Flag<'static>> + '_ {
        self.system.iter().chain(self.keywords.iter().cloned())
    }
}

/// Whether `keywords` holds `flag` (a keyword or extension flag),
/// ignoring ASCII case.
pub(crate) fn keyword_in(keywords: &BTreeSet<Flag<'static>>, flag: &Flag<'_>) -> bool {
    keywords.iter().any(|k| same_keyword(k, flag))
}

/// Whether two non-system flags are the same keyword (or extension flag)
/// but for ASCII case.
pub(crate) fn same_keyword(a: &Flag<'_>, b: &Flag<'_>) -> bool {
    match (a, b) {
        (Flag::Keyword(x), Flag::Keyword(y)) | (Flag::Extension(x), Flag::Extension(y)) => {
            x.as_str().eq_ignore_ascii_case(y.as_str())
        }
        _ => false,
    }
}

impl fmt::Display for FlagSet {
    /// The flags separated by spaces, as inside `FLAGS (...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, flag) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{flag}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_case_insensitive_and_keep_their_first_spelling() {
        let kw = |s| Flag::keyword(s).unwrap();
        let mut set = FlagSet::from_flags([kw("$Forwarded"), kw("$FORWARDED"), kw("Work")]);
        assert_eq!(set.to_string(), "$Forwarded Work");
        assert!(set.contains(&kw("$forwarded")));
        assert!(!set.contains(&kw("$Forwarde")));
        let other = FlagSet::from_flags([kw("work"), kw("Home")]);
        assert_eq!(set.union(&other).to_string(), "$Forwarded Home Work");
        assert_eq!(set.difference(&other).to_string(), "$Forwarded");
        set.insert(kw("WORK"));
        assert_eq!(set.keywords.len(), 2);
    }

    #[test]
    fn system_flags_become_bits_and_keywords_stay_a_set() {
        let set = FlagSet::from_flags([
            Flag::Seen,
            Flag::keyword("$Forwarded").unwrap(),
            Flag::Draft,
            Flag::keyword("$Forwarded").unwrap(),
        ]);
        assert_eq!(set.system, SystemFlags::SEEN.union(SystemFlags::DRAFT));
        assert_eq!(set.keywords.len(), 1);
        assert_eq!(set.to_string(), "\\Seen \\Draft $Forwarded");
        assert!(set.contains(&Flag::Seen));
        assert!(!set.contains(&Flag::Deleted));
    }

    #[test]
    fn union_and_difference_follow_store_semantics() {
        let a = FlagSet::from_flags([Flag::Seen, Flag::keyword("a").unwrap()]);
        let b = FlagSet::from_flags([Flag::Flagged, Flag::keyword("a").unwrap()]);
        assert_eq!(a.union(&b).to_string(), "\\Flagged \\Seen a");
        assert_eq!(a.difference(&b).to_string(), "\\Seen");
        assert!(FlagSet::default().is_empty());
    }
}
