//! APPEND messages (RFC 3501 §6.3.11, RFC 3502 MULTIAPPEND, RFC 3516,
//! RFC 4469 CATENATE).

use crate::types::{AString, DateTime, Flag, Literal, NonEmptyVec};

/// One message of an APPEND: `append-message = [SP flag-list] [SP date-time] SP append-data`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppendMessage<'a> {
    /// Flags to set (an empty list is not written).
    pub flags: Vec<Flag<'a>>,
    /// The internal date to give the message.
    pub date: Option<DateTime>,
    /// The message, sent whole or to be assembled by the server.
    pub data: AppendData<'a>,
}

impl AppendMessage<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> AppendMessage<'static> {
        AppendMessage {
            flags: self.flags.into_iter().map(Flag::into_static).collect(),
            date: self.date,
            data: self.data.into_static(),
        }
    }
}

/// `append-data = literal / literal8 / "CATENATE" SP "(" cat-part *(SP cat-part) ")"`
/// (RFC 3501, RFC 3516, RFC 4469 §5).
///
/// ```
/// use hadron_proto::types::{AppendData, Literal};
/// let data: AppendData<'_> = Literal::new(&b"Subject: hi\r\n\r\nbody\r\n"[..]).unwrap().into();
/// assert!(matches!(data, AppendData::Literal(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppendData<'a> {
    /// The whole message: a `literal`, or a `literal8` (`~{n}`, BINARY).
    Literal(Literal<'a>),
    /// `CATENATE (...)`: the message is the concatenation of the parts, in
    /// order (RFC 4469).
    Catenate(NonEmptyVec<CatPart<'a>>),
}

impl<'a> AppendData<'a> {
    /// The message literal, unless the message is to be catenated.
    pub fn literal(&self) -> Option<&Literal<'a>> {
        match self {
            AppendData::Literal(l) => Some(l),
            AppendData::Catenate(_) => None,
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> AppendData<'static> {
        match self {
            AppendData::Literal(l) => AppendData::Literal(l.into_static()),
            AppendData::Catenate(parts) => AppendData::Catenate(parts.map(CatPart::into_static)),
        }
    }
}

impl<'a> From<Literal<'a>> for AppendData<'a> {
    fn from(literal: Literal<'a>) -> Self {
        AppendData::Literal(literal)
    }
}

/// `cat-part = text-literal / url` (RFC 4469 §5): one piece of a CATENATE
/// message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CatPart<'a> {
    /// `text-literal = "TEXT" SP literal` — data sent by the client; a
    /// `literal8` with BINARY (RFC 3516).
    Text(Literal<'a>),
    /// `url = "URL" SP astring` — an IMAP URL (RFC 5092) naming a message
    /// or part of one on the server, kept as sent: what it names is the
    /// server's business, and a URL it cannot use fails the APPEND with
    /// `BADURL`, not a syntax error.
    Url(AString<'a>),
}

impl CatPart<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> CatPart<'static> {
        match self {
            CatPart::Text(l) => CatPart::Text(l.into_static()),
            CatPart::Url(u) => CatPart::Url(u.into_static()),
        }
    }
}
