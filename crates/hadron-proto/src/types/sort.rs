//! SORT and THREAD arguments (RFC 5256, RFC 5957).

use crate::types::Atom;

/// `sort-key`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// `ARRIVAL`
    Arrival,
    /// `CC`
    Cc,
    /// `DATE`
    Date,
    /// `FROM`
    From,
    /// `SIZE`
    Size,
    /// `SUBJECT`
    Subject,
    /// `TO`
    To,
    /// `DISPLAYFROM` (RFC 5957)
    DisplayFrom,
    /// `DISPLAYTO` (RFC 5957)
    DisplayTo,
}

impl SortKey {
    /// Every key.
    pub const ALL: [SortKey; 9] = [
        SortKey::Arrival,
        SortKey::Cc,
        SortKey::Date,
        SortKey::From,
        SortKey::Size,
        SortKey::Subject,
        SortKey::To,
        SortKey::DisplayFrom,
        SortKey::DisplayTo,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Arrival => "ARRIVAL",
            SortKey::Cc => "CC",
            SortKey::Date => "DATE",
            SortKey::From => "FROM",
            SortKey::Size => "SIZE",
            SortKey::Subject => "SUBJECT",
            SortKey::To => "TO",
            SortKey::DisplayFrom => "DISPLAYFROM",
            SortKey::DisplayTo => "DISPLAYTO",
        }
    }
}

/// `sort-criterion = ["REVERSE" SP] sort-key`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// `REVERSE`
    pub reverse: bool,
    /// What to sort by.
    pub key: SortKey,
}

/// `thread-alg = "ORDEREDSUBJECT" / "REFERENCES" / thread-alg-ext`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThreadAlgorithm<'a> {
    /// `ORDEREDSUBJECT`
    OrderedSubject,
    /// `REFERENCES`
    References,
    /// Any other algorithm name.
    Other(Atom<'a>),
}

impl<'a> ThreadAlgorithm<'a> {
    /// Interprets an algorithm name (case-insensitive).
    pub fn from_atom(atom: Atom<'a>) -> Self {
        if atom.eq_ignore_case("ORDEREDSUBJECT") {
            ThreadAlgorithm::OrderedSubject
        } else if atom.eq_ignore_case("REFERENCES") {
            ThreadAlgorithm::References
        } else {
            ThreadAlgorithm::Other(atom)
        }
    }

    /// The wire name.
    pub fn name(&self) -> &str {
        match self {
            ThreadAlgorithm::OrderedSubject => "ORDEREDSUBJECT",
            ThreadAlgorithm::References => "REFERENCES",
            ThreadAlgorithm::Other(a) => a.as_str(),
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> ThreadAlgorithm<'static> {
        match self {
            ThreadAlgorithm::OrderedSubject => ThreadAlgorithm::OrderedSubject,
            ThreadAlgorithm::References => ThreadAlgorithm::References,
            ThreadAlgorithm::Other(a) => ThreadAlgorithm::Other(a.into_static()),
        }
    }
}
