//! FETCH response data items (RFC 3501 §7.4.2, RFC 3516 BINARY, RFC 7162
//! MODSEQ, RFC 8474 EMAILID and THREADID).

use std::borrow::Cow;
use std::num::NonZeroU32;

use crate::types::{
    BodyStructure, DateTime, Envelope, FlagFetch, NString, ObjectId, Section, WireList,
};

/// The content of a `BODY[section]` item.
///
/// [`BodyData::Deferred`] lets a server stream a large body instead of
/// copying it into the response buffer: the encoder writes only the literal
/// header `{len}\r\n` and hands control back (see
/// [`encode::ResponseWriter`](crate::encode::ResponseWriter)). The parser
/// never produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyData<'a> {
    /// The content (or NIL), written as quoted string or literal.
    Inline(NString<'a>),
    /// `len` bytes that the caller writes itself, as a `{len}` literal.
    Deferred {
        /// Exact number of bytes the caller will write.
        len: u64,
    },
}

impl BodyData<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> BodyData<'static> {
        match self {
            BodyData::Inline(s) => BodyData::Inline(s.into_static()),
            BodyData::Deferred { len } => BodyData::Deferred { len },
        }
    }
}

/// The content of a `BINARY[part]` item (RFC 3516): `nstring / literal8`.
///
/// Content holding NUL goes out as `~{n}` (literal8); other content as a
/// string (RFC 3516 §4.3: a `literal8` only when the data holds NUL).
/// [`BinaryData::Deferred`] streams like [`BodyData::Deferred`], as
/// `~{len}` or `{len}` as the caller says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryData<'a> {
    /// `NIL`
    Nil,
    /// The decoded content, any bytes.
    Bytes(Cow<'a, [u8]>),
    /// `len` bytes that the caller writes itself, as a literal.
    Deferred {
        /// Exact number of bytes the caller will write.
        len: u64,
        /// Whether they go out as a `literal8` (`~{len}`, for content
        /// holding NUL) rather than a `literal` (`{len}`).
        literal8: bool,
    },
}

impl BinaryData<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> BinaryData<'static> {
        match self {
            BinaryData::Nil => BinaryData::Nil,
            BinaryData::Bytes(b) => BinaryData::Bytes(Cow::Owned(b.into_owned())),
            BinaryData::Deferred { len, literal8 } => BinaryData::Deferred { len, literal8 },
        }
    }
}

/// One data item of a FETCH response (`msg-att-dynamic / msg-att-static`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchItem<'a> {
    /// `FLAGS (flag-fetch ...)`; the empty list is `FLAGS ()`.
    Flags(Vec<FlagFetch<'a>>),
    /// `UID n`
    Uid(NonZeroU32),
    /// `INTERNALDATE "..."`
    InternalDate(DateTime),
    /// `RFC822.SIZE n`
    Rfc822Size(u32),
    /// `RFC822 nstring` (streamable like `BODY[]`)
    Rfc822(BodyData<'a>),
    /// `RFC822.HEADER nstring` (streamable like `BODY[]`)
    Rfc822Header(BodyData<'a>),
    /// `RFC822.TEXT nstring` (streamable like `BODY[]`)
    Rfc822Text(BodyData<'a>),
    /// `ENVELOPE (...)`
    Envelope(Box<Envelope<'a>>),
    /// `BODY (...)`: the structure without extension data (the encoder omits
    /// any extension data held here).
    Body(Box<BodyStructure<'a>>),
    /// `BODYSTRUCTURE (...)`: with extension data when present.
    BodyStructure(Box<BodyStructure<'a>>),
    /// `ENVELOPE (...)` whose value is already in wire form: a server
    /// writing the encoding it stored at ingest instead of decoding and
    /// re-encoding it. The parser never produces it (it gives
    /// [`FetchItem::Envelope`]).
    EnvelopeWire(WireList<'a>),
    /// `BODYSTRUCTURE (...)` whose value is already in wire form; see
    /// [`FetchItem::EnvelopeWire`].
    BodyStructureWire(WireList<'a>),
    /// `BODY[section]<origin> data`
    BodySection {
        /// The section.
        section: Section<'a>,
        /// The offset of a partial fetch.
        origin: Option<u32>,
        /// The content.
        data: BodyData<'a>,
    },
    /// `BINARY[part]<origin> data` (RFC 3516); an empty part is the whole
    /// message. RFC 3516 §4.3 and RFC 9051 §7.5.2 describe the `<origin>`
    /// of a partial fetch in prose (their ABNF omits it); it is written,
    /// as Dovecot does, and read back.
    Binary {
        /// The part path (possibly empty).
        part: Vec<NonZeroU32>,
        /// The offset of a partial fetch, in the decoded data.
        origin: Option<u32>,
        /// The content.
        data: BinaryData<'a>,
    },
    /// `BINARY.SIZE[part] n` (RFC 3516)
    BinarySize {
        /// The part path (possibly empty).
        part: Vec<NonZeroU32>,
        /// The decoded size.
        size: u32,
    },
    /// `MODSEQ (n)` (RFC 7162)
    ModSeq(u64),
    /// `EMAILID (objectid)` (RFC 8474)
    EmailId(ObjectId<'a>),
    /// `THREADID (objectid)`, or `THREADID NIL` (`None`) for a message the
    /// server puts in no thread (RFC 8474)
    ThreadId(Option<ObjectId<'a>>),
    /// `SAVEDATE date-time`, or `SAVEDATE NIL` (`None`) when the server
    /// has no save date for the message (RFC 8514)
    SaveDate(Option<DateTime>),
    /// `PREVIEW nstring` (RFC 8970): the preview text (UTF-8, at most 256
    /// characters; empty when the server can make none), or `NIL` when the
    /// client asked `LAZY` and the server has none at hand
    Preview(NString<'a>),
}

impl FetchItem<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> FetchItem<'static> {
        match self {
            FetchItem::Flags(v) => {
                FetchItem::Flags(v.into_iter().map(FlagFetch::into_static).collect())
            }
            FetchItem::Uid(n) => FetchItem::Uid(n),
            FetchItem::InternalDate(d) => FetchItem::InternalDate(d),
            FetchItem::Rfc822Size(n) => FetchItem::Rfc822Size(n),
            FetchItem::Rfc822(s) => FetchItem::Rfc822(s.into_static()),
            FetchItem::Rfc822Header(s) => FetchItem::Rfc822Header(s.into_static()),
            FetchItem::Rfc822Text(s) => FetchItem::Rfc822Text(s.into_static()),
            FetchItem::Envelope(e) => FetchItem::Envelope(Box::new(e.into_static())),
            FetchItem::Body(b) => FetchItem::Body(Box::new(b.into_static())),
            FetchItem::BodyStructure(b) => FetchItem::BodyStructure(Box::new(b.into_static())),
            FetchItem::EnvelopeWire(w) => FetchItem::EnvelopeWire(w.into_static()),
            FetchItem::BodyStructureWire(w) => FetchItem::BodyStructureWire(w.into_static()),
            FetchItem::BodySection {
                section,
                origin,
                data,
            } => FetchItem::BodySection {
                section: section.into_static(),
                origin,
                data: data.into_static(),
            },
            FetchItem::Binary { part, origin, data } => FetchItem::Binary {
                part,
                origin,
                data: data.into_static(),
            },
            FetchItem::BinarySize { part, size } => FetchItem::BinarySize { part, size },
            FetchItem::ModSeq(n) => FetchItem::ModSeq(n),
            FetchItem::EmailId(id) => FetchItem::EmailId(id.into_static()),
            FetchItem::ThreadId(id) => FetchItem::ThreadId(id.map(ObjectId::into_static)),
            FetchItem::SaveDate(d) => FetchItem::SaveDate(d),
            FetchItem::Preview(s) => FetchItem::Preview(s.into_static()),
        }
    }

    /// Whether the item's data is deferred to the caller (streamed).
    pub fn is_deferred(&self) -> bool {
        matches!(
            self,
            FetchItem::BodySection {
                data: BodyData::Deferred { .. },
                ..
            } | FetchItem::Rfc822(BodyData::Deferred { .. })
                | FetchItem::Rfc822Header(BodyData::Deferred { .. })
                | FetchItem::Rfc822Text(BodyData::Deferred { .. })
                | FetchItem::Binary {
                    data: BinaryData::Deferred { .. },
                    ..
                }
        )
    }
}
