//! STATUS data items (RFC 3501 §6.3.10, RFC 7162, RFC 8438, RFC 9051).

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
}

impl StatusItem {
    /// Every item, in the order they are usually reported.
    pub const ALL: [StatusItem; 8] = [
        StatusItem::Messages,
        StatusItem::Recent,
        StatusItem::UidNext,
        StatusItem::UidValidity,
        StatusItem::Unseen,
        StatusItem::Deleted,
        StatusItem::Size,
        StatusItem::HighestModSeq,
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
        }
    }

    /// The item named `name` (case-insensitive).
    pub fn from_name(name: &[u8]) -> Option<StatusItem> {
        StatusItem::ALL
            .into_iter()
            .find(|item| item.name().as_bytes().eq_ignore_ascii_case(name))
    }
}
