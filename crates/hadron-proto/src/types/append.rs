//! APPEND messages (RFC 3501 §6.3.11, RFC 3502 MULTIAPPEND, RFC 3516).

use crate::types::{DateTime, Flag, Literal};

/// One message of an APPEND: `append-message = [SP flag-list] [SP date-time] SP append-data`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppendMessage<'a> {
    /// Flags to set (an empty list is not written).
    pub flags: Vec<Flag<'a>>,
    /// The internal date to give the message.
    pub date: Option<DateTime>,
    /// The message: a `literal`, or a `literal8` (`~{n}`, BINARY).
    pub data: Literal<'a>,
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
