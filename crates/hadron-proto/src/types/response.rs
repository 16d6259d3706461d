//! Server responses (RFC 3501 §7 and extensions): the greeting, status
//! responses with their codes, untagged data and continuation requests.
//!
//! FETCH data items ([`FetchItem`]) and envelopes and body structures
//! ([`Envelope`](super::Envelope), [`BodyStructure`](super::BodyStructure))
//! have their own modules.

use std::borrow::Cow;
use std::num::NonZeroU32;

use crate::types::{
    AString, Atom, Capability, Charset, FetchItem, Flag, FlagPerm, IString, Mailbox, NString,
    SeqNumber, Sequence, SequenceSet, StatusItem, Tag, Text, ValidationError,
};

/// One response line (with its inline literals), as the server sends it:
/// `response-data / response-done / continue-req`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    /// A tagged or untagged status response (`OK`, `NO`, `BAD`, `BYE`).
    Status(Status<'a>),
    /// Untagged data (`* CAPABILITY ...`, `* 3 FETCH ...`, ...).
    Data(Data<'a>),
    /// A continuation request (`+ ...`).
    Continue(Continue<'a>),
}

impl Response<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Response<'static> {
        match self {
            Response::Status(s) => Response::Status(s.into_static()),
            Response::Data(d) => Response::Data(d.into_static()),
            Response::Continue(c) => Response::Continue(c.into_static()),
        }
    }
}

/// The condition of a tagged or untagged `OK`/`NO`/`BAD` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BAD`
    Bad,
}

impl StatusKind {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            StatusKind::Ok => "OK",
            StatusKind::No => "NO",
            StatusKind::Bad => "BAD",
        }
    }
}

/// `resp-text = ["[" resp-text-code "]" SP] text`: an optional code and
/// human-readable text.
///
/// Text without a code must not start with `[` (it would read as a code);
/// [`RespText::new`] refuses such text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespText<'a> {
    code: Option<Code<'a>>,
    text: Text<'a>,
}

impl<'a> RespText<'a> {
    /// Text with an optional code.
    pub fn new(code: Option<Code<'a>>, text: Text<'a>) -> Result<Self, ValidationError> {
        if code.is_none() && text.as_str().starts_with('[') {
            return Err(ValidationError::InvalidByte {
                what: "response text without a code",
                byte: b'[',
                at: 0,
            });
        }
        Ok(RespText { code, text })
    }

    /// Plain text without a code. Panics if `text` is not valid `text` or
    /// starts with `[`; meant for literals in server code.
    pub fn plain(text: &'a str) -> Self {
        let text = Text::try_from(text).expect("valid response text");
        RespText::new(None, text).expect("response text must not start with '['")
    }

    /// Text with a code. Panics if `text` is not valid `text`.
    pub fn with_code(code: Code<'a>, text: &'a str) -> Self {
        RespText {
            code: Some(code),
            text: Text::try_from(text).expect("valid response text"),
        }
    }

    /// The response code, if any.
    pub fn code(&self) -> Option<&Code<'a>> {
        self.code.as_ref()
    }

    /// The human-readable text (may be empty).
    pub fn text(&self) -> &Text<'a> {
        &self.text
    }

    pub(crate) fn unvalidated(code: Option<Code<'a>>, text: Text<'a>) -> Self {
        RespText { code, text }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> RespText<'static> {
        RespText {
            code: self.code.map(Code::into_static),
            text: self.text.into_static(),
        }
    }
}

/// A status response.
///
/// ```text
/// response-tagged = tag SP resp-cond-state CRLF
/// response-data   = "*" SP (resp-cond-state / resp-cond-bye / ...) CRLF
/// resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
/// resp-cond-bye   = "BYE" SP resp-text
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<'a> {
    /// `tag OK/NO/BAD ...`: the completion of a command.
    Tagged {
        /// The command's tag.
        tag: Tag<'a>,
        /// OK, NO or BAD.
        kind: StatusKind,
        /// Code and text.
        text: RespText<'a>,
    },
    /// `* OK/NO/BAD ...`
    Untagged {
        /// OK, NO or BAD.
        kind: StatusKind,
        /// Code and text.
        text: RespText<'a>,
    },
    /// `* BYE ...`: the server is closing the connection.
    Bye(RespText<'a>),
}

impl Status<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Status<'static> {
        match self {
            Status::Tagged { tag, kind, text } => Status::Tagged {
                tag: tag.into_static(),
                kind,
                text: text.into_static(),
            },
            Status::Untagged { kind, text } => Status::Untagged {
                kind,
                text: text.into_static(),
            },
            Status::Bye(t) => Status::Bye(t.into_static()),
        }
    }
}

/// What a greeting announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GreetingKind {
    /// `OK`: not yet authenticated.
    Ok,
    /// `PREAUTH`: already authenticated.
    PreAuth,
    /// `BYE`: the server refuses the connection.
    Bye,
}

/// The server greeting: `greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF`,
/// `resp-cond-auth = ("OK" / "PREAUTH") SP resp-text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting<'a> {
    /// OK, PREAUTH or BYE.
    pub kind: GreetingKind,
    /// Code (often CAPABILITY) and text.
    pub text: RespText<'a>,
}

impl Greeting<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Greeting<'static> {
        Greeting {
            kind: self.kind,
            text: self.text.into_static(),
        }
    }
}

/// A set of UIDs as in UIDPLUS and QRESYNC responses: like a sequence set,
/// but without `*` or `$` (`uid-set = (uniqueid / uid-range) *("," uid-set)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UidSet(SequenceSet);

impl UidSet {
    /// A UID set from a sequence set without `*` and `$`.
    pub fn new(set: SequenceSet) -> Result<Self, ValidationError> {
        let has_star = set.items().iter().any(|s| match *s {
            Sequence::Single(n) => n == SeqNumber::Largest,
            Sequence::Range(a, b) => a == SeqNumber::Largest || b == SeqNumber::Largest,
        });
        if set.is_saved() || has_star {
            return Err(ValidationError::BadSequence(set.to_string()));
        }
        Ok(UidSet(set))
    }

    /// The single UID `uid`.
    pub fn single(uid: NonZeroU32) -> Self {
        UidSet(SequenceSet::single(uid))
    }

    /// The set as a sequence set.
    pub fn as_sequence_set(&self) -> &SequenceSet {
        &self.0
    }
}

/// An unknown response code, kept as sent:
/// `atom [SP 1*<any TEXT-CHAR except "]">]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherCode<'a> {
    name: Atom<'a>,
    text: Option<Text<'a>>,
}

impl<'a> OtherCode<'a> {
    /// An unknown code. Refuses names that [`Code`] knows (they would come
    /// back as the known variant) and text that is empty or holds `]`.
    pub fn new(name: Atom<'a>, text: Option<Text<'a>>) -> Result<Self, ValidationError> {
        if Code::is_known_name(name.as_str()) {
            return Err(ValidationError::BadSequence(format!(
                "{name} is a known response code"
            )));
        }
        if let Some(t) = &text {
            if t.as_str().is_empty() {
                return Err(ValidationError::Empty("response code text"));
            }
            if let Some(at) = t.as_str().find(']') {
                return Err(ValidationError::InvalidByte {
                    what: "response code text",
                    byte: b']',
                    at,
                });
            }
        }
        Ok(OtherCode { name, text })
    }

    pub(crate) fn unvalidated(name: Atom<'a>, text: Option<Text<'a>>) -> Self {
        OtherCode { name, text }
    }

    /// The code's name.
    pub fn name(&self) -> &Atom<'a> {
        &self.name
    }

    /// The code's argument text, if any.
    pub fn text(&self) -> Option<&Text<'a>> {
        self.text.as_ref()
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> OtherCode<'static> {
        OtherCode {
            name: self.name.into_static(),
            text: self.text.map(Text::into_static),
        }
    }
}

macro_rules! simple_codes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// A response code: `resp-text-code` of RFC 3501 §9, RFC 5530, RFC
        /// 4315 (UIDPLUS), RFC 7162 (CONDSTORE/QRESYNC), RFC 4469 (TOOBIG)
        /// and RFC 4978 (COMPRESSIONACTIVE). Unknown codes are kept as
        /// [`Code::Other`]; known names are matched case-insensitively and
        /// written in upper case.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Code<'a> {
            $($(#[$doc])* $variant,)*
            /// `BADCHARSET [SP "(" charset *(SP charset) ")"]`
            BadCharset(Vec<Charset<'a>>),
            /// `CAPABILITY ...` (capability-data)
            Capability(Vec<Capability<'a>>),
            /// `PERMANENTFLAGS (flag-perm ...)`
            PermanentFlags(Vec<FlagPerm<'a>>),
            /// `UIDNEXT nz-number`
            UidNext(NonZeroU32),
            /// `UIDVALIDITY nz-number`
            UidValidity(NonZeroU32),
            /// `UNSEEN nz-number`
            Unseen(NonZeroU32),
            /// `APPENDUID nz-number SP append-uid` (RFC 4315)
            AppendUid {
                /// UIDVALIDITY of the destination mailbox.
                uid_validity: NonZeroU32,
                /// The UID(s) assigned.
                uids: UidSet,
            },
            /// `COPYUID nz-number SP uid-set SP uid-set` (RFC 4315)
            CopyUid {
                /// UIDVALIDITY of the destination mailbox.
                uid_validity: NonZeroU32,
                /// UIDs of the source messages.
                source: UidSet,
                /// UIDs assigned in the destination, in the same order.
                destination: UidSet,
            },
            /// `HIGHESTMODSEQ mod-sequence-value` (RFC 7162; 1..2^63)
            HighestModSeq(u64),
            /// `MODIFIED sequence-set` (RFC 7162)
            Modified(SequenceSet),
            /// An unknown code, preserved.
            Other(OtherCode<'a>),
        }

        impl Code<'_> {
            /// Detaches the value from the buffer it was parsed from.
            pub fn into_static(self) -> Code<'static> {
                match self {
                    $(Code::$variant => Code::$variant,)*
                    Code::BadCharset(v) => {
                        Code::BadCharset(v.into_iter().map(Charset::into_static).collect())
                    }
                    Code::Capability(v) => {
                        Code::Capability(v.into_iter().map(Capability::into_static).collect())
                    }
                    Code::PermanentFlags(v) => {
                        Code::PermanentFlags(v.into_iter().map(FlagPerm::into_static).collect())
                    }
                    Code::UidNext(n) => Code::UidNext(n),
                    Code::UidValidity(n) => Code::UidValidity(n),
                    Code::Unseen(n) => Code::Unseen(n),
                    Code::AppendUid { uid_validity, uids } => Code::AppendUid { uid_validity, uids },
                    Code::CopyUid { uid_validity, source, destination } => Code::CopyUid {
                        uid_validity,
                        source,
                        destination,
                    },
                    Code::HighestModSeq(n) => Code::HighestModSeq(n),
                    Code::Modified(s) => Code::Modified(s),
                    Code::Other(o) => Code::Other(o.into_static()),
                }
            }

            /// The code's name as written on the wire.
            pub fn name(&self) -> &str {
                match self {
                    $(Code::$variant => $name,)*
                    Code::BadCharset(_) => "BADCHARSET",
                    Code::Capability(_) => "CAPABILITY",
                    Code::PermanentFlags(_) => "PERMANENTFLAGS",
                    Code::UidNext(_) => "UIDNEXT",
                    Code::UidValidity(_) => "UIDVALIDITY",
                    Code::Unseen(_) => "UNSEEN",
                    Code::AppendUid { .. } => "APPENDUID",
                    Code::CopyUid { .. } => "COPYUID",
                    Code::HighestModSeq(_) => "HIGHESTMODSEQ",
                    Code::Modified(_) => "MODIFIED",
                    Code::Other(o) => o.name.as_str(),
                }
            }

            /// The argument-less code named `name` (case-insensitive).
            pub(crate) fn simple_from_name(name: &str) -> Option<Code<'static>> {
                $(if name.eq_ignore_ascii_case($name) { return Some(Code::$variant); })*
                None
            }

            /// Every argument-less code.
            pub const SIMPLE: &'static [Code<'static>] = &[$(Code::$variant,)*];

            /// Whether `name` is a code this type knows (case-insensitive).
            pub fn is_known_name(name: &str) -> bool {
                Self::simple_from_name(name).is_some()
                    || [
                        "BADCHARSET", "CAPABILITY", "PERMANENTFLAGS", "UIDNEXT",
                        "UIDVALIDITY", "UNSEEN", "APPENDUID", "COPYUID",
                        "HIGHESTMODSEQ", "MODIFIED",
                    ]
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(name))
            }
        }
    };
}

simple_codes! {
    /// `ALERT`
    Alert => "ALERT",
    /// `PARSE`
    Parse => "PARSE",
    /// `READ-ONLY`
    ReadOnly => "READ-ONLY",
    /// `READ-WRITE`
    ReadWrite => "READ-WRITE",
    /// `TRYCREATE`
    TryCreate => "TRYCREATE",
    /// `UNAVAILABLE` (RFC 5530)
    Unavailable => "UNAVAILABLE",
    /// `AUTHENTICATIONFAILED` (RFC 5530)
    AuthenticationFailed => "AUTHENTICATIONFAILED",
    /// `AUTHORIZATIONFAILED` (RFC 5530)
    AuthorizationFailed => "AUTHORIZATIONFAILED",
    /// `EXPIRED` (RFC 5530)
    Expired => "EXPIRED",
    /// `PRIVACYREQUIRED` (RFC 5530)
    PrivacyRequired => "PRIVACYREQUIRED",
    /// `CONTACTADMIN` (RFC 5530)
    ContactAdmin => "CONTACTADMIN",
    /// `NOPERM` (RFC 5530)
    NoPerm => "NOPERM",
    /// `INUSE` (RFC 5530)
    InUse => "INUSE",
    /// `EXPUNGEISSUED` (RFC 5530)
    ExpungeIssued => "EXPUNGEISSUED",
    /// `CORRUPTION` (RFC 5530)
    Corruption => "CORRUPTION",
    /// `SERVERBUG` (RFC 5530)
    ServerBug => "SERVERBUG",
    /// `CLIENTBUG` (RFC 5530)
    ClientBug => "CLIENTBUG",
    /// `CANNOT` (RFC 5530)
    Cannot => "CANNOT",
    /// `LIMIT` (RFC 5530)
    Limit => "LIMIT",
    /// `OVERQUOTA` (RFC 5530)
    OverQuota => "OVERQUOTA",
    /// `ALREADYEXISTS` (RFC 5530)
    AlreadyExists => "ALREADYEXISTS",
    /// `NONEXISTENT` (RFC 5530)
    NonExistent => "NONEXISTENT",
    /// `UIDNOTSTICKY` (RFC 4315)
    UidNotSticky => "UIDNOTSTICKY",
    /// `NOMODSEQ` (RFC 7162)
    NoModSeq => "NOMODSEQ",
    /// `CLOSED` (RFC 7162)
    Closed => "CLOSED",
    /// `TOOBIG` (RFC 4469)
    TooBig => "TOOBIG",
    /// `COMPRESSIONACTIVE` (RFC 4978)
    CompressionActive => "COMPRESSIONACTIVE",
}

/// A continuation request: `continue-req = "+" SP (resp-text / base64) CRLF`.
///
/// On the wire the two forms can look alike (`+ abcd` is valid text and valid
/// base64). The parser reads a non-empty line made only of base64 characters
/// whose length is a multiple of 4 as [`Continue::Base64`], anything else as
/// text; so empty base64 data reads back as empty text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continue<'a> {
    /// `+ [code] text`, such as `+ Ready for literal data`.
    Text(RespText<'a>),
    /// `+ base64` (a SASL challenge), held decoded.
    Base64(Cow<'a, [u8]>),
}

impl Continue<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Continue<'static> {
        match self {
            Continue::Text(t) => Continue::Text(t.into_static()),
            Continue::Base64(b) => Continue::Base64(Cow::Owned(b.into_owned())),
        }
    }
}

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
        /// Items and their values.
        items: Vec<(StatusItem, u64)>,
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
                items,
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
        }
    }
}
