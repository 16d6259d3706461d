//! Response codes (`resp-text-code`, RFC 3501 §7.1 and extensions).

use std::num::NonZeroU32;

use crate::types::{
    Atom, Capability, Charset, FlagPerm, NonEmptyVec, NotifyEvent, ObjectId, SeqNumber, Sequence,
    SequenceSet, Text, ValidationError,
};

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
        /// 4315 (UIDPLUS), RFC 7162 (CONDSTORE/QRESYNC), RFC 4469 (TOOBIG),
        /// RFC 4978 (COMPRESSIONACTIVE), RFC 8474 (MAILBOXID) and RFC 5465
        /// (NOTIFICATIONOVERFLOW, BADEVENT). Unknown
        /// codes are kept as [`Code::Other`]; known names are matched
        /// case-insensitively and written in upper case.
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
            /// `MAILBOXID SP "(" objectid ")"` (RFC 8474): the id of the
            /// mailbox a CREATE made.
            MailboxId(ObjectId<'a>),
            /// `BADEVENT SP "(" event *(SP event) ")"` (RFC 5465): the
            /// NOTIFY events the server does not support.
            BadEvent(NonEmptyVec<NotifyEvent<'a>>),
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
                    Code::MailboxId(id) => Code::MailboxId(id.into_static()),
                    Code::BadEvent(v) => Code::BadEvent(v.map(NotifyEvent::into_static)),
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
                    Code::MailboxId(_) => "MAILBOXID",
                    Code::BadEvent(_) => "BADEVENT",
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
                        "HIGHESTMODSEQ", "MODIFIED", "MAILBOXID", "BADEVENT",
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
    /// `USEATTR` (RFC 6154): a special-use attribute CREATE cannot assign.
    UseAttr => "USEATTR",
    /// `UNKNOWN-CTE` (RFC 3516): a section's Content-Transfer-Encoding the
    /// server cannot decode, or binary content it cannot store.
    UnknownCte => "UNKNOWN-CTE",
    /// `NOTIFICATIONOVERFLOW` (RFC 5465): the server stopped sending the
    /// notifications NOTIFY asked for.
    NotificationOverflow => "NOTIFICATIONOVERFLOW",
}
