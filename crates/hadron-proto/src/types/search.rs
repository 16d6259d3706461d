//! SEARCH criteria (RFC 3501 §6.4.4, RFC 7162 `MODSEQ`, RFC 4731 ESEARCH,
//! RFC 8474 `EMAILID`/`THREADID`, RFC 8514 `SAVED*`).

use std::num::NonZeroU32;

use crate::types::{AString, Atom, Date, Flag, NonEmptyVec, ObjectId, SequenceSet};

/// One search key: the full RFC 3501 tree plus `MODSEQ` (RFC 7162),
/// `EMAILID`/`THREADID` (RFC 8474) and the save date keys (RFC 8514).
///
/// Several keys side by side (the top level of SEARCH, or a parenthesised
/// list, [`SearchKey::And`]) must all match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchKey<'a> {
    /// `ALL`
    All,
    /// `ANSWERED`
    Answered,
    /// `BCC string`
    Bcc(AString<'a>),
    /// `BEFORE date` (internal date)
    Before(Date),
    /// `BODY string`
    Body(AString<'a>),
    /// `CC string`
    Cc(AString<'a>),
    /// `DELETED`
    Deleted,
    /// `DRAFT`
    Draft,
    /// `FLAGGED`
    Flagged,
    /// `FROM string`
    From(AString<'a>),
    /// `HEADER field-name string`
    Header(AString<'a>, AString<'a>),
    /// `KEYWORD flag-keyword`
    Keyword(Atom<'a>),
    /// `LARGER n`
    Larger(u32),
    /// `NEW`
    New,
    /// `NOT search-key`
    Not(Box<SearchKey<'a>>),
    /// `OLD`
    Old,
    /// `OLDER n` (RFC 5032 WITHIN): internal date at least `n` seconds ago.
    Older(NonZeroU32),
    /// `YOUNGER n` (RFC 5032 WITHIN): internal date less than `n` seconds
    /// ago.
    Younger(NonZeroU32),
    /// `ON date`
    On(Date),
    /// `OR search-key search-key`
    Or(Box<SearchKey<'a>>, Box<SearchKey<'a>>),
    /// `RECENT`
    Recent,
    /// `SEEN`
    Seen,
    /// `SENTBEFORE date`
    SentBefore(Date),
    /// `SENTON date`
    SentOn(Date),
    /// `SENTSINCE date`
    SentSince(Date),
    /// `SINCE date`
    Since(Date),
    /// `SMALLER n`
    Smaller(u32),
    /// `SUBJECT string`
    Subject(AString<'a>),
    /// `TEXT string`
    Text(AString<'a>),
    /// `TO string`
    To(AString<'a>),
    /// `UID sequence-set`
    Uid(SequenceSet),
    /// `UNANSWERED`
    Unanswered,
    /// `UNDELETED`
    Undeleted,
    /// `UNDRAFT`
    Undraft,
    /// `UNFLAGGED`
    Unflagged,
    /// `UNKEYWORD flag-keyword`
    Unkeyword(Atom<'a>),
    /// `UNSEEN`
    Unseen,
    /// A bare `sequence-set` of message sequence numbers.
    SequenceSet(SequenceSet),
    /// `"(" search-key *(SP search-key) ")"`: all must match.
    And(NonEmptyVec<SearchKey<'a>>),
    /// `MODSEQ [entry-name entry-type] mod-sequence-valzer` (RFC 7162).
    ModSeq {
        /// The per-flag metadata entry, if given.
        entry: Option<ModSeqEntry<'a>>,
        /// Messages whose mod-sequence is at least this.
        modseq: u64,
    },
    /// `EMAILID objectid` (RFC 8474): the message with this id.
    EmailId(ObjectId<'a>),
    /// `THREADID objectid` (RFC 8474): the messages of this thread.
    ThreadId(ObjectId<'a>),
    /// `SAVEDBEFORE date` (RFC 8514): saved into the mailbox before the date.
    SavedBefore(Date),
    /// `SAVEDON date` (RFC 8514): saved into the mailbox on the date.
    SavedOn(Date),
    /// `SAVEDSINCE date` (RFC 8514): saved into the mailbox on or after the
    /// date.
    SavedSince(Date),
    /// `SAVEDATESUPPORTED` (RFC 8514): every message, if the mailbox keeps
    /// save dates; none otherwise.
    SaveDateSupported,
}

impl SearchKey<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> SearchKey<'static> {
        use SearchKey as K;
        match self {
            K::All => K::All,
            K::Answered => K::Answered,
            K::Bcc(s) => K::Bcc(s.into_static()),
            K::Before(d) => K::Before(d),
            K::Body(s) => K::Body(s.into_static()),
            K::Cc(s) => K::Cc(s.into_static()),
            K::Deleted => K::Deleted,
            K::Draft => K::Draft,
            K::Flagged => K::Flagged,
            K::From(s) => K::From(s.into_static()),
            K::Header(f, s) => K::Header(f.into_static(), s.into_static()),
            K::Keyword(a) => K::Keyword(a.into_static()),
            K::Larger(n) => K::Larger(n),
            K::New => K::New,
            K::Not(k) => K::Not(Box::new(k.into_static())),
            K::Old => K::Old,
            K::Older(n) => K::Older(n),
            K::Younger(n) => K::Younger(n),
            K::On(d) => K::On(d),
            K::Or(a, b) => K::Or(Box::new(a.into_static()), Box::new(b.into_static())),
            K::Recent => K::Recent,
            K::Seen => K::Seen,
            K::SentBefore(d) => K::SentBefore(d),
            K::SentOn(d) => K::SentOn(d),
            K::SentSince(d) => K::SentSince(d),
            K::Since(d) => K::Since(d),
            K::Smaller(n) => K::Smaller(n),
            K::Subject(s) => K::Subject(s.into_static()),
            K::Text(s) => K::Text(s.into_static()),
            K::To(s) => K::To(s.into_static()),
            K::Uid(s) => K::Uid(s),
            K::Unanswered => K::Unanswered,
            K::Undeleted => K::Undeleted,
            K::Undraft => K::Undraft,
            K::Unflagged => K::Unflagged,
            K::Unkeyword(a) => K::Unkeyword(a.into_static()),
            K::Unseen => K::Unseen,
            K::SequenceSet(s) => K::SequenceSet(s),
            K::And(keys) => K::And(keys.map(SearchKey::into_static)),
            K::ModSeq { entry, modseq } => K::ModSeq {
                entry: entry.map(ModSeqEntry::into_static),
                modseq,
            },
            K::EmailId(id) => K::EmailId(id.into_static()),
            K::ThreadId(id) => K::ThreadId(id.into_static()),
            K::SavedBefore(d) => K::SavedBefore(d),
            K::SavedOn(d) => K::SavedOn(d),
            K::SavedSince(d) => K::SavedSince(d),
            K::SaveDateSupported => K::SaveDateSupported,
        }
    }
}

/// `entry-type-req = "priv" / "shared" / "all"` (RFC 7162).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryType {
    /// `priv`
    Private,
    /// `shared`
    Shared,
    /// `all`
    All,
}

impl EntryType {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            EntryType::Private => "priv",
            EntryType::Shared => "shared",
            EntryType::All => "all",
        }
    }
}

/// `search-modseq-ext = SP entry-name SP entry-type-req`, where
/// `entry-name = DQUOTE "/flags/" attr-flag DQUOTE` (RFC 7162).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModSeqEntry<'a> {
    /// The flag whose metadata item is meant.
    pub flag: Flag<'a>,
    /// Which metadata: private, shared or both.
    pub entry_type: EntryType,
}

impl ModSeqEntry<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> ModSeqEntry<'static> {
        ModSeqEntry {
            flag: self.flag.into_static(),
            entry_type: self.entry_type,
        }
    }
}

/// `search-return-opt` (RFC 4731 ESEARCH, RFC 5182 SEARCHRES, RFC 9394
/// PARTIAL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchReturnOption {
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// `ALL`
    All,
    /// `COUNT`
    Count,
    /// `SAVE` (RFC 5182): remember the result as `$`.
    Save,
    /// `PARTIAL partial-range` (RFC 9394): the matches at these positions.
    Partial(PartialRange),
    /// `UPDATE` (RFC 5267 CONTEXT): keep the result and report its changes
    /// as `ADDTO`/`REMOVEFROM` until `CANCELUPDATE`.
    Update,
    /// `CONTEXT` (RFC 5267): a hint that the result will be asked for again.
    Context,
}

/// `partial-range = partial-range-first / partial-range-last` (RFC 9394):
/// a window of a SEARCH or SORT result by position, `first:last` counted
/// from the start (`1:100`) or `-first:-last` from the end (`-1:-100`, the
/// last hundred). Kept with the smaller magnitude first, as the response
/// repeats it (`4:2` is `2:4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialRange {
    from_end: bool,
    low: NonZeroU32,
    high: NonZeroU32,
}

impl PartialRange {
    /// Positions `a` to `b` (either order), counted from the start or,
    /// with `from_end`, from the end (1 is the last).
    pub fn new(from_end: bool, a: NonZeroU32, b: NonZeroU32) -> PartialRange {
        PartialRange {
            from_end,
            low: a.min(b),
            high: a.max(b),
        }
    }

    /// Whether positions count from the end (`-1:-100`).
    pub fn from_end(self) -> bool {
        self.from_end
    }

    /// The nearer position (counted from the start or the end).
    pub fn low(self) -> NonZeroU32 {
        self.low
    }

    /// The farther position.
    pub fn high(self) -> NonZeroU32 {
        self.high
    }

    /// The indices (0-based, ascending) of a result of `len` entries that
    /// the range selects; empty when it starts past the end.
    ///
    /// ```
    /// use std::num::NonZeroU32;
    /// use hadron_proto::types::PartialRange;
    /// let n = |v| NonZeroU32::new(v).unwrap();
    /// assert_eq!(PartialRange::new(false, n(4), n(2)).window(5), 1..4);
    /// assert_eq!(PartialRange::new(true, n(1), n(2)).window(5), 3..5);
    /// assert_eq!(PartialRange::new(true, n(3), n(9)).window(5), 0..3);
    /// assert!(PartialRange::new(false, n(6), n(6)).window(5).is_empty());
    /// ```
    pub fn window(self, len: usize) -> std::ops::Range<usize> {
        let (low, high) = (self.low.get() as usize, self.high.get() as usize);
        if self.from_end {
            len.saturating_sub(high)..len.saturating_sub(low - 1)
        } else {
            (low - 1).min(len)..high.min(len)
        }
    }
}

impl SearchReturnOption {
    /// Every option without a parameter (all but `PARTIAL`).
    pub const ALL: [SearchReturnOption; 7] = [
        SearchReturnOption::Min,
        SearchReturnOption::Max,
        SearchReturnOption::All,
        SearchReturnOption::Count,
        SearchReturnOption::Save,
        SearchReturnOption::Update,
        SearchReturnOption::Context,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            SearchReturnOption::Min => "MIN",
            SearchReturnOption::Max => "MAX",
            SearchReturnOption::All => "ALL",
            SearchReturnOption::Count => "COUNT",
            SearchReturnOption::Save => "SAVE",
            SearchReturnOption::Partial(_) => "PARTIAL",
            SearchReturnOption::Update => "UPDATE",
            SearchReturnOption::Context => "CONTEXT",
        }
    }
}
