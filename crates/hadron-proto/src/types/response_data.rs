//! Untagged response data (RFC 3501 §7.2-7.4 and extensions).

use std::num::NonZeroU32;

use crate::types::{
    AString, Atom, Capability, FetchItem, Flag, IString, Mailbox, NString, NonEmptyVec,
    PartialRange, QuotaUsage, SequenceSet, StatusValue, UidSet, ValidationError,
};

/// A mailbox hierarchy delimiter: one `QUOTED-CHAR` (7-bit, not CR/LF/NUL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiter(u8);

impl Delimiter {
    /// The delimiter `c`.
    pub fn new(c: char) -> Result<Self, ValidationError> {
        let b = u32::from(c);
        if b < 0x80 && crate::types::is_text_char(b as u8) {
            Ok(Delimiter(b as u8))
        } else {
            Err(ValidationError::InvalidByte {
                what: "hierarchy delimiter",
                byte: b as u8,
                at: 0,
            })
        }
    }

    /// The delimiter character.
    pub fn as_char(self) -> char {
        char::from(self.0)
    }

    pub(crate) fn byte(self) -> u8 {
        self.0
    }
}

macro_rules! list_attributes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// A mailbox attribute in LIST/LSUB (`mbx-list-flags`, RFC 3501,
        /// RFC 5258 LIST-EXTENDED, RFC 3348 CHILDREN, RFC 6154 SPECIAL-USE).
        /// Known names are matched case-insensitively and written canonically.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ListAttribute<'a> {
            $($(#[$doc])* $variant,)*
            /// Another `"\" atom` attribute (held without the backslash).
            Extension(Atom<'a>),
        }

        impl<'a> ListAttribute<'a> {
            /// Interprets a backslash attribute name (without the backslash).
            pub fn from_atom(atom: Atom<'a>) -> ListAttribute<'a> {
                $(if atom.eq_ignore_case($name) { return ListAttribute::$variant; })*
                ListAttribute::Extension(atom)
            }

            /// The name without the backslash.
            pub fn name(&self) -> &str {
                match self {
                    $(ListAttribute::$variant => $name,)*
                    ListAttribute::Extension(a) => a.as_str(),
                }
            }

            /// Every known attribute.
            pub const KNOWN: &'static [ListAttribute<'static>] = &[$(ListAttribute::$variant,)*];

            /// Detaches the value from the buffer it was parsed from.
            pub fn into_static(self) -> ListAttribute<'static> {
                match self {
                    $(ListAttribute::$variant => ListAttribute::$variant,)*
                    ListAttribute::Extension(a) => ListAttribute::Extension(a.into_static()),
                }
            }
        }
    };
}

list_attributes! {
    /// `\Noinferiors`
    NoInferiors => "Noinferiors",
    /// `\Noselect`
    NoSelect => "Noselect",
    /// `\Marked`
    Marked => "Marked",
    /// `\Unmarked`
    Unmarked => "Unmarked",
    /// `\NonExistent` (RFC 5258)
    NonExistent => "NonExistent",
    /// `\Subscribed` (RFC 5258)
    Subscribed => "Subscribed",
    /// `\Remote` (RFC 5258)
    Remote => "Remote",
    /// `\HasChildren` (RFC 3348)
    HasChildren => "HasChildren",
    /// `\HasNoChildren` (RFC 3348)
    HasNoChildren => "HasNoChildren",
    /// `\All` (RFC 6154)
    All => "All",
    /// `\Archive` (RFC 6154)
    Archive => "Archive",
    /// `\Drafts` (RFC 6154)
    Drafts => "Drafts",
    /// `\Flagged` (RFC 6154)
    Flagged => "Flagged",
    /// `\Junk` (RFC 6154)
    Junk => "Junk",
    /// `\Sent` (RFC 6154)
    Sent => "Sent",
    /// `\Trash` (RFC 6154)
    Trash => "Trash",
}

/// An extended data item of a LIST response (RFC 5258 `mbox-list-extended`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListExtended<'a> {
    /// `("CHILDINFO" ("SUBSCRIBED"))`: why a non-matching parent is listed.
    ChildInfo(Vec<AString<'a>>),
    /// `("OLDNAME" ("old"))` (RFC 5465): the mailbox was renamed from this.
    OldName(Mailbox<'a>),
}

impl ListExtended<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> ListExtended<'static> {
        match self {
            ListExtended::ChildInfo(v) => {
                ListExtended::ChildInfo(v.into_iter().map(AString::into_static).collect())
            }
            ListExtended::OldName(m) => ListExtended::OldName(m.into_static()),
        }
    }
}

/// The body of a LIST or LSUB response:
/// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
///  SP mailbox [SP mbox-list-extended]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListData<'a> {
    /// The mailbox's attributes.
    pub attributes: Vec<ListAttribute<'a>>,
    /// The hierarchy delimiter, or `None` for NIL (flat namespace).
    pub delimiter: Option<Delimiter>,
    /// The mailbox.
    pub mailbox: Mailbox<'a>,
    /// Extended data items (written only when non-empty).
    pub extended: Vec<ListExtended<'a>>,
}

impl ListData<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> ListData<'static> {
        ListData {
            attributes: self
                .attributes
                .into_iter()
                .map(ListAttribute::into_static)
                .collect(),
            delimiter: self.delimiter,
            mailbox: self.mailbox.into_static(),
            extended: self
                .extended
                .into_iter()
                .map(ListExtended::into_static)
                .collect(),
        }
    }
}

/// One item of ESEARCH data (RFC 4731 `search-return-data`, RFC 7162 MODSEQ).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ESearchItem {
    /// `MIN nz-number`
    Min(NonZeroU32),
    /// `MAX nz-number`
    Max(NonZeroU32),
    /// `ALL sequence-set`
    All(SequenceSet),
    /// `COUNT number`
    Count(u32),
    /// `MODSEQ mod-sequence-value`
    ModSeq(u64),
    /// `PARTIAL (partial-range SP partial-results)` (RFC 9394); `None`
    /// for `NIL`, no match at those positions.
    Partial(PartialRange, Option<SequenceSet>),
    /// `ADDTO (context-position SP sequence-set ...)` (RFC 5267): messages
    /// that joined an updating result, each set inserted at its position
    /// (0: the position is not given, as for SEARCH).
    AddTo(Vec<(u32, SequenceSet)>),
    /// `REMOVEFROM (context-position SP sequence-set ...)` (RFC 5267):
    /// messages that left an updating result.
    RemoveFrom(Vec<(u32, SequenceSet)>),
}

/// `esearch-response = "ESEARCH" [search-correlator] [SP "UID"]
/// *(SP search-return-data)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ESearch<'a> {
    /// `(TAG "a1")`: the tag of the command this answers.
    pub tag: Option<IString<'a>>,
    /// Whether the numbers are UIDs.
    pub uid: bool,
    /// The returned data, in order.
    pub items: Vec<ESearchItem>,
}

/// A namespace description (RFC 2342):
/// `"(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) *(Namespace-Response-Extension) ")"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceDescr<'a> {
    /// The prefix, such as `""` or `"#shared/"`.
    pub prefix: IString<'a>,
    /// The hierarchy delimiter, or `None` for NIL.
    pub delimiter: Option<Delimiter>,
    /// Extensions: `SP string SP "(" string *(SP string) ")"` (values non-empty).
    pub extensions: Vec<(IString<'a>, Vec<IString<'a>>)>,
}

impl NamespaceDescr<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> NamespaceDescr<'static> {
        NamespaceDescr {
            prefix: self.prefix.into_static(),
            delimiter: self.delimiter,
            extensions: self
                .extensions
                .into_iter()
                .map(|(k, v)| {
                    (
                        k.into_static(),
                        v.into_iter().map(IString::into_static).collect(),
                    )
                })
                .collect(),
        }
    }
}

/// A node of a THREAD response (RFC 5256): a chain of messages, each the
/// parent of the next, then the branches under the last one.
///
/// `thread-list = "(" (thread-members / thread-nested) ")"`. In canonical
/// form `children` is empty or has at least two entries (one child would be
/// part of the chain).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Thread {
    /// The chain of messages (may be empty when the root is missing).
    pub members: Vec<NonZeroU32>,
    /// Sub-threads of the last member.
    pub children: Vec<Thread>,
}

/// Untagged data: `response-data` other than status responses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data<'a> {
    /// `CAPABILITY ...`
    Capability(Vec<Capability<'a>>),
    /// `LIST ...`
    List(ListData<'a>),
    /// `LSUB ...`
    Lsub(ListData<'a>),
    /// `STATUS mailbox (item value ...)`
    Status {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Items and their values, in order (a numeric item's
        /// `(StatusItem, u64)` converts with `.into()`).
        items: Vec<StatusValue<'a>>,
    },
    /// `SEARCH n ... [(MODSEQ m)]`
    Search {
        /// Matching numbers.
        ids: Vec<NonZeroU32>,
        /// Highest mod-sequence of the matches (RFC 7162).
        modseq: Option<u64>,
    },
    /// `ESEARCH ...` (RFC 4731)
    ESearch(ESearch<'a>),
    /// `FLAGS (flag ...)`
    Flags(Vec<Flag<'a>>),
    /// `n EXISTS`
    Exists(u32),
    /// `n RECENT`
    Recent(u32),
    /// `n EXPUNGE`
    Expunge(NonZeroU32),
    /// `VANISHED [(EARLIER)] uids` (RFC 7162)
    Vanished {
        /// Whether this answers a FETCH/SELECT (`(EARLIER)`).
        earlier: bool,
        /// The expunged UIDs.
        uids: UidSet,
    },
    /// `n FETCH (item ...)`
    Fetch {
        /// Message sequence number.
        seq: NonZeroU32,
        /// The data items (the grammar wants at least one).
        items: Vec<FetchItem<'a>>,
    },
    /// `ENABLED cap ...` (RFC 5161)
    Enabled(Vec<Capability<'a>>),
    /// `ID (field value ...)` or `ID NIL` when empty (RFC 2971).
    Id(Vec<(IString<'a>, NString<'a>)>),
    /// `NAMESPACE personal other shared`; an empty list is NIL (RFC 2342).
    Namespace {
        /// Personal namespaces.
        personal: Vec<NamespaceDescr<'a>>,
        /// Other users' namespaces.
        other: Vec<NamespaceDescr<'a>>,
        /// Shared namespaces.
        shared: Vec<NamespaceDescr<'a>>,
    },
    /// `SORT n ... [(MODSEQ m)]` (RFC 5256, RFC 7162)
    Sort {
        /// Numbers in sort order.
        ids: Vec<NonZeroU32>,
        /// Highest mod-sequence of the results.
        modseq: Option<u64>,
    },
    /// `THREAD thread-list...` (RFC 5256)
    Thread(Vec<Thread>),
    /// `QUOTA quota-root-name SP "(" quota-resource *(SP quota-resource) ")"`
    /// (RFC 9208)
    Quota {
        /// `quota-root-name = astring` (Hadron's one root is `""`).
        root: AString<'a>,
        /// Usage and limit of each resource the root limits.
        resources: NonEmptyVec<QuotaUsage<'a>>,
    },
    /// `QUOTAROOT mailbox *(SP quota-root-name)` (RFC 9208)
    QuotaRoot {
        /// The mailbox GETQUOTAROOT named.
        mailbox: Mailbox<'a>,
        /// Its quota roots (none when no quota applies).
        roots: Vec<AString<'a>>,
    },
}

impl Data<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Data<'static> {
        fn caps(v: Vec<Capability<'_>>) -> Vec<Capability<'static>> {
            v.into_iter().map(Capability::into_static).collect()
        }
        fn ns(v: Vec<NamespaceDescr<'_>>) -> Vec<NamespaceDescr<'static>> {
            v.into_iter().map(NamespaceDescr::into_static).collect()
        }
        match self {
            Data::Capability(v) => Data::Capability(caps(v)),
            Data::List(l) => Data::List(l.into_static()),
            Data::Lsub(l) => Data::Lsub(l.into_static()),
            Data::Status { mailbox, items } => Data::Status {
                mailbox: mailbox.into_static(),
                items: items.into_iter().map(StatusValue::into_static).collect(),
            },
            Data::Search { ids, modseq } => Data::Search { ids, modseq },
            Data::ESearch(e) => Data::ESearch(ESearch {
                tag: e.tag.map(IString::into_static),
                uid: e.uid,
                items: e.items,
            }),
            Data::Flags(v) => Data::Flags(v.into_iter().map(Flag::into_static).collect()),
            Data::Exists(n) => Data::Exists(n),
            Data::Recent(n) => Data::Recent(n),
            Data::Expunge(n) => Data::Expunge(n),
            Data::Vanished { earlier, uids } => Data::Vanished { earlier, uids },
            Data::Fetch { seq, items } => Data::Fetch {
                seq,
                items: items.into_iter().map(FetchItem::into_static).collect(),
            },
            Data::Enabled(v) => Data::Enabled(caps(v)),
            Data::Id(v) => Data::Id(
                v.into_iter()
                    .map(|(k, v)| (k.into_static(), v.into_static()))
                    .collect(),
            ),
            Data::Namespace {
                personal,
                other,
                shared,
            } => Data::Namespace {
                personal: ns(personal),
                other: ns(other),
                shared: ns(shared),
            },
            Data::Sort { ids, modseq } => Data::Sort { ids, modseq },
            Data::Thread(t) => Data::Thread(t),
            Data::Quota { root, resources } => Data::Quota {
                root: root.into_static(),
                resources: resources.map(QuotaUsage::into_static),
            },
            Data::QuotaRoot { mailbox, roots } => Data::QuotaRoot {
                mailbox: mailbox.into_static(),
                roots: roots.into_iter().map(AString::into_static).collect(),
            },
        }
    }
}
