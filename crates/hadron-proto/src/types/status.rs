//! STATUS data items (RFC 3501 §6.3.10, RFC 7162, RFC 8438, RFC 8474,
//! RFC 9051).

use crate::types::ObjectId;

/// `status-att`: what STATUS may ask for and report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusItem {
    /// `MESSAGES`: number of messages.
    Messages,
    /// `RECENT`: number of messages with `\Recent`.
    Recent,
    /// `UIDNEXT`: the next UID.
    UidNext,
    /// `UIDVALIDITY`
    UidValidity,
    /// `UNSEEN`: number of messages without `\Seen`.
    Unseen,
    /// `DELETED`: number of messages with `\Deleted` (RFC 9051).
    Deleted,
    /// `SIZE`: total size in octets (RFC 8438, STATUS=SIZE).
    Size,
    /// `HIGHESTMODSEQ` (RFC 7162, CONDSTORE).
    HighestModSeq,
    /// `MAILBOXID`: the mailbox's object identifier (RFC 8474, OBJECTID).
    /// Its value is not a number: see [`StatusValue::MailboxId`].
    MailboxId,
}

impl StatusItem {
    /// Every item, in the order they are usually reported.
    pub const ALL: [StatusItem; 9] = [
        StatusItem::Messages,
        StatusItem::Recent,
        StatusItem::UidNext,
        StatusItem::UidValidity,
        StatusItem::Unseen,
        StatusItem::Deleted,
        StatusItem::Size,
        StatusItem::HighestModSeq,
        StatusItem::MailboxId,
    ];

    /// The item's wire name.
    pub fn name(self) -> &'static str {
        match self {
            StatusItem::Messages => "MESSAGES",
            StatusItem::Recent => "RECENT",
            StatusItem::UidNext => "UIDNEXT",
            StatusItem::UidValidity => "UIDVALIDITY",
            StatusItem::Unseen => "UNSEEN",
            StatusItem::Deleted => "DELETED",
            StatusItem::Size => "SIZE",
            StatusItem::HighestModSeq => "HIGHESTMODSEQ",
            StatusItem::MailboxId => "MAILBOXID",
        }
    }

    /// The item named `name` (case-insensitive).
    pub fn from_name(name: &[u8]) -> Option<StatusItem> {
        StatusItem::ALL
            .into_iter()
            .find(|item| item.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// Whether the item's value is a number (every item but `MAILBOXID`).
    pub fn is_numeric(self) -> bool {
        self != StatusItem::MailboxId
    }
}

/// `status-att-value`: one item of a STATUS response, with its value.
///
/// `status-att-value = status-att SP number` for the numeric items, and
/// `"MAILBOXID" SP "(" objectid ")"` (RFC 8474).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusValue<'a> {
    /// A numeric item and its value. The item is one for which
    /// [`StatusItem::is_numeric`] holds: `MAILBOXID` has no number, so an
    /// entry `Number(StatusItem::MailboxId, _)` is not written (the parser
    /// never produces one).
    Number(StatusItem, u64),
    /// `MAILBOXID (objectid)` (RFC 8474).
    MailboxId(ObjectId<'a>),
}

impl StatusValue<'_> {
    /// The item this value answers.
    pub fn item(&self) -> StatusItem {
        match self {
            StatusValue::Number(item, _) => *item,
            StatusValue::MailboxId(_) => StatusItem::MailboxId,
        }
    }

    /// The number, for a numeric item.
    pub fn number(&self) -> Option<u64> {
        match self {
            StatusValue::Number(_, n) => Some(*n),
            StatusValue::MailboxId(_) => None,
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> StatusValue<'static> {
        match self {
            StatusValue::Number(item, n) => StatusValue::Number(item, n),
            StatusValue::MailboxId(id) => StatusValue::MailboxId(id.into_static()),
        }
    }
}

impl From<(StatusItem, u64)> for StatusValue<'_> {
    /// A numeric item and its value ([`StatusValue::Number`]).
    fn from((item, n): (StatusItem, u64)) -> Self {
        StatusValue::Number(item, n)
    }
}

impl<'a> From<ObjectId<'a>> for StatusValue<'a> {
    /// A mailbox id ([`StatusValue::MailboxId`]).
    fn from(id: ObjectId<'a>) -> Self {
        StatusValue::MailboxId(id)
    }
}
