//! FETCH data items and modifiers (RFC 3501 §6.4.5, RFC 3516, RFC 7162,
//! RFC 8474).

use std::num::{NonZeroU32, NonZeroU64};

use crate::types::{NonEmptyVec, Part, Section};

/// `"ALL" / "FULL" / "FAST"`: shorthand for a list of attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchMacro {
    /// `ALL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`
    All,
    /// `FAST` = `(FLAGS INTERNALDATE RFC822.SIZE)`
    Fast,
    /// `FULL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`
    Full,
}

impl FetchMacro {
    /// The attributes the macro stands for.
    pub fn expand(self) -> Vec<FetchAttribute<'static>> {
        use FetchAttribute as A;
        let mut atts = vec![A::Flags, A::InternalDate, A::Rfc822Size];
        match self {
            FetchMacro::Fast => {}
            FetchMacro::All => atts.push(A::Envelope),
            FetchMacro::Full => atts.extend([A::Envelope, A::Body]),
        }
        atts
    }
}

/// What a FETCH asks for: a macro or a list of attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchItems<'a> {
    /// `ALL`, `FAST` or `FULL`.
    Macro(FetchMacro),
    /// One attribute, or a parenthesised list (a single attribute is
    /// written bare).
    Attributes(NonEmptyVec<FetchAttribute<'a>>),
}

impl FetchItems<'_> {
    /// The attributes asked for, with macros expanded.
    pub fn attributes(&self) -> Vec<FetchAttribute<'_>> {
        match self {
            FetchItems::Macro(m) => m.expand(),
            FetchItems::Attributes(a) => a.to_vec(),
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> FetchItems<'static> {
        match self {
            FetchItems::Macro(m) => FetchItems::Macro(m),
            FetchItems::Attributes(a) => FetchItems::Attributes(a.map(FetchAttribute::into_static)),
        }
    }
}

/// `partial = "<" number "." nz-number ">"`: octet offset and length.
pub type Partial = (u32, NonZeroU32);

/// `fetch-att`: one FETCH data item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchAttribute<'a> {
    /// `ENVELOPE`
    Envelope,
    /// `FLAGS`
    Flags,
    /// `INTERNALDATE`
    InternalDate,
    /// `RFC822` (sets `\Seen`)
    Rfc822,
    /// `RFC822.HEADER`
    Rfc822Header,
    /// `RFC822.SIZE`
    Rfc822Size,
    /// `RFC822.TEXT` (sets `\Seen`)
    Rfc822Text,
    /// `BODY` (structure without extensions)
    Body,
    /// `BODYSTRUCTURE`
    BodyStructure,
    /// `UID`
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[section]<partial>`.
    BodySection {
        /// Which part of the message.
        section: Section<'a>,
        /// `<offset.length>`, if given.
        partial: Option<Partial>,
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
    },
    /// `BINARY[part]<partial>` / `BINARY.PEEK[...]` (RFC 3516).
    Binary {
        /// `section-binary = "[" [section-part] "]"`; `None` is `[]`.
        part: Option<Part>,
        /// `<offset.length>`, if given.
        partial: Option<Partial>,
        /// `.PEEK`
        peek: bool,
    },
    /// `BINARY.SIZE[part]` (RFC 3516).
    BinarySize {
        /// `None` is `[]`.
        part: Option<Part>,
    },
    /// `MODSEQ` (RFC 7162)
    ModSeq,
    /// `EMAILID`: the message's object identifier (RFC 8474)
    EmailId,
    /// `THREADID`: the object identifier of the message's thread (RFC 8474)
    ThreadId,
    /// `SAVEDATE`: when the message was saved into its mailbox (RFC 8514)
    SaveDate,
    /// `PREVIEW` / `PREVIEW (LAZY)`: a short plain-text preview of the
    /// message (RFC 8970). `lazy`: the client accepts `NIL` rather than
    /// have the server compute a preview it does not have at hand.
    Preview {
        /// The `LAZY` modifier (RFC 8970 §4).
        lazy: bool,
    },
}

impl FetchAttribute<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> FetchAttribute<'static> {
        use FetchAttribute as A;
        match self {
            A::Envelope => A::Envelope,
            A::Flags => A::Flags,
            A::InternalDate => A::InternalDate,
            A::Rfc822 => A::Rfc822,
            A::Rfc822Header => A::Rfc822Header,
            A::Rfc822Size => A::Rfc822Size,
            A::Rfc822Text => A::Rfc822Text,
            A::Body => A::Body,
            A::BodyStructure => A::BodyStructure,
            A::Uid => A::Uid,
            A::BodySection {
                section,
                partial,
                peek,
            } => A::BodySection {
                section: section.into_static(),
                partial,
                peek,
            },
            A::Binary {
                part,
                partial,
                peek,
            } => A::Binary {
                part,
                partial,
                peek,
            },
            A::BinarySize { part } => A::BinarySize { part },
            A::ModSeq => A::ModSeq,
            A::EmailId => A::EmailId,
            A::ThreadId => A::ThreadId,
            A::SaveDate => A::SaveDate,
            A::Preview { lazy } => A::Preview { lazy },
        }
    }
}

/// `fetch-modifier` (RFC 7162).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchModifier {
    /// `CHANGEDSINCE mod-sequence-value`
    ChangedSince(NonZeroU64),
    /// `VANISHED` (QRESYNC; UID FETCH only)
    Vanished,
}
