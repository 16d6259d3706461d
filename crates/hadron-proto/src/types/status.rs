//! STATUS data items (RFC 3501 §6.3.10, RFC 7162, RFC 7889, RFC 8438,
//! RFC 8474, RFC 9051).

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
    /// `APPENDLIMIT`: the largest message APPEND accepts into the mailbox
    /// (RFC 7889 §3). Its value may be `NIL`: see
    /// [`StatusValue::AppendLimit`].
    AppendLimit,
}

impl StatusItem {
    /// Every item, in the order they are usually reported.
    pub const ALL: [StatusItem; 10] = [
        StatusItem::Messages,
        StatusItem::Recent,
        StatusItem::UidNext,
        StatusItem::UidValidity,
        StatusItem::Unseen,
        StatusItem::Deleted,
        StatusItem::Size,
        StatusItem::HighestModSeq,
        StatusItem::MailboxId,
        StatusItem::AppendLimit,
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
            StatusItem::AppendLimit => "APPENDLIMIT",
        }
    }

    /// The item named `name` (case-insensitive).
    pub fn from_name(name: &[u8]) -> Option<StatusItem> {
        StatusItem::ALL
            .into_iter()
            .find(|item| item.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// Whether the item's value is always a number (every item but
    /// `MAILBOXID` and `APPENDLIMIT`, which may be `NIL`).
    pub fn is_numeric(self) -> bool {
        !matches!(self, StatusItem::MailboxId | StatusItem::AppendLimit)
    }
}

/// `status-att-value`: one item of a STATUS response, with its value.
///
/// `status-att-value = status-att SP number` for the numeric items,
/// `"MAILBOXID" SP "(" objectid ")"` (RFC 8474) and
/// `"APPENDLIMIT" SP (number / nil)` (RFC 7889).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusValue<'a> {
    /// A numeric item and its value. The item is one for which
    /// [`StatusItem::is_numeric`] holds: `MAILBOXID` has no number, so an
    /// entry `Number(StatusItem::MailboxId, _)` is not written (the parser
    /// never produces one); `APPENDLIMIT` is [`StatusValue::AppendLimit`].
    Number(StatusItem, u64),
    /// `MAILBOXID (objectid)` (RFC 8474).
    MailboxId(ObjectId<'a>),
    /// `APPENDLIMIT n` or `APPENDLIMIT NIL` (RFC 7889): the largest message
    /// APPEND accepts into the mailbox, `None` when there is no limit.
    AppendLimit(Option<u64>),
}

impl StatusValue<'_> {
    /// The item this value answers.
    pub fn item(&self) -> StatusItem {
        match self {
            StatusValue::Number(item, _) => *item,
            StatusValue::MailboxId(_) => StatusItem::MailboxId,
            StatusValue::AppendLimit(_) => StatusItem::AppendLimit,
        }
    }

    /// The number, for a numeric item.
    pub fn number(&self) -> Option<u64> {
        match self {
            StatusValue::Number(_, n) => Some(*n),
            StatusValue::MailboxId(_) => None,
            StatusValue::AppendLimit(n) => *n,
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> StatusValue<'static> {
        match self {
            StatusValue::Number(item, n) => StatusValue::Number(item, n),
            StatusValue::MailboxId(id) => StatusValue::MailboxId(id.into_static()),
            StatusValue::AppendLimit(n) => StatusValue::AppendLimit(n),
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
