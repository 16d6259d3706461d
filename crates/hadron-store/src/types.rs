//! Plain data types exchanged with the store.

use std::fmt;

/// Id of a user row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// Id of a mailbox row. Stable across renames; never reused for another mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxId(pub i64);

/// Id of an immutable message row (shared by every mailbox that holds the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for MailboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The IMAP system flags of a message in one mailbox, as a bit set.
///
/// `\Recent` is stored like the others; [`FlagOp::Replace`] leaves it untouched (RFC 3501:
/// STORE cannot change it) and only [`FlagOp::Add`] / [`FlagOp::Remove`] naming it change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SystemFlags(u8);

impl SystemFlags {
    /// No flags.
    pub const EMPTY: Self = Self(0);
    /// `\Seen`.
    pub const SEEN: Self = Self(1);
    /// `\Answered`.
    pub const ANSWERED: Self = Self(2);
    /// `\Flagged`.
    pub const FLAGGED: Self = Self(4);
    /// `\Deleted`.
    pub const DELETED: Self = Self(8);
    /// `\Draft`.
    pub const DRAFT: Self = Self(16);
    /// `\Recent`.
    pub const RECENT: Self = Self(32);
    /// All defined bits.
    pub const ALL: Self = Self(63);

    /// The raw bits (as stored in the database).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Builds a set from raw bits, dropping undefined ones.
    pub const fn from_bits_truncate(bits: u8) -> Self {
        Self(bits & Self::ALL.0)
    }

    /// Whether every flag of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self` without the flags of `other`.
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
}

impl std::ops::BitOr for SystemFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for SystemFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

/// How [`crate::Store::store_flags`] combines the given flags with the current ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// `+FLAGS`: add the given flags.
    Add,
    /// `-FLAGS`: remove the given flags.
    Remove,
    /// `FLAGS`: replace all flags (except `\Recent`, which is kept) with the given ones.
    Replace,
}

/// A set of UIDs as sorted, non-overlapping, non-adjacent inclusive ranges.
///
/// Contiguous sets stay small however many UIDs they cover (`1:*` is one range), and the
/// store turns them into `BETWEEN` conditions rather than one bind parameter per UID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UidSet {
    ranges: Vec<(u32, u32)>,
}

impl UidSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every UID (`1:*`).
    pub fn all() -> Self {
        Self::range(1, u32::MAX)
    }

    /// The UIDs `first..=last` (in either order).
    pub fn range(first: u32, last: u32) -> Self {
        let (a, b) = if first <= last {
            (first, last)
        } else {
            (last, first)
        };
        Self::from_ranges([(a, b)])
    }

    /// The given UIDs, in any order, duplicates allowed. UID 0 is ignored.
    pub fn from_uids(uids: impl IntoIterator<Item = u32>) -> Self {
        Self::from_ranges(uids.into_iter().map(|u| (u, u)))
    }

    /// The union of the given inclusive ranges (each `(first, last)` in either order).
    /// UID 0 is ignored.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut v: Vec<(u32, u32)> = ranges
            .into_iter()
            .map(|(a, b)| if a <= b { (a, b) } else { (b, a) })
            .filter_map(|(a, b)| if b == 0 { None } else { Some((a.max(1), b)) })
            .collect();
        v.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            match out.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Self { ranges: out }
    }

    /// The ranges, sorted and disjoint.
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// How many UIDs the set holds (`UidSet::all()` counts every possible UID).
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|&(a, b)| u64::from(b - a) + 1).sum()
    }

    /// Whether `uid` is in the set.
    pub fn contains(&self, uid: u32) -> bool {
        let i = self.ranges.partition_point(|&(_, b)| b < uid);
        self.ranges.get(i).is_some_and(|&(a, _)| a <= uid)
    }
}

/// Immutable content metadata of a message, computed once at ingest by the caller.
///
/// `envelope`, `bodystructure` and `part_map` are opaque to the store (serialized by the layer
/// above).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageMeta {
    /// Blob reference: the content hash returned by [`crate::BlobStore::put`].
    pub content_hash: String,
    /// Size of the message in bytes (RFC822.SIZE).
    pub size: u64,
    /// INTERNALDATE as seconds since the Unix epoch.
    pub internal_date: i64,
    /// The Date: header as seconds since the Unix epoch, if it parsed.
    pub sent_date: Option<i64>,
    /// Serialized ENVELOPE.
    pub envelope: Vec<u8>,
    /// Serialized BODYSTRUCTURE.
    pub bodystructure: Vec<u8>,
    /// Decoded Subject: header (for SEARCH).
    pub subject: Option<String>,
    /// Decoded From: header (for SEARCH).
    pub from: Option<String>,
    /// Decoded To: header (for SEARCH).
    pub to: Option<String>,
    /// Decoded Cc: header (for SEARCH).
    pub cc: Option<String>,
    /// Serialized byte offsets of the message's MIME entities, so a section can be read
    /// from the blob without the rest; empty when unknown (rows stored before it existed).
    pub part_map: Vec<u8>,
    /// The OBJECTID THREADID (RFC 8474) computed at ingest; `None` for THREADID NIL.
    pub thread_id: Option<String>,
    /// The keys SORT compares, computed at ingest; `None` for rows stored before they
    /// existed (and from a caller that does not compute them).
    pub sort_keys: Option<SortKeys>,
    /// What THREAD links the message by (its Message-ID and the ones it names as ancestors),
    /// computed at ingest and opaque to the store; `None` for rows stored before it existed
    /// (and from a caller that does not compute it).
    pub thread_refs: Option<String>,
    /// The preview (RFC 8970) computed at ingest, opaque to the store (`""` for a message
    /// without text); `None` for rows stored before it existed, from a caller that does not
    /// compute it, and from a [`crate::Store::fetch_for_fetch`] that did not ask for it.
    pub preview: Option<String>,
}

/// The text keys SORT (RFC 5256) compares, computed once at ingest by the caller and stored
/// beside the message; opaque to the store. Each is `""` when its header is missing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SortKeys {
    /// The base subject (RFC 5256 §2.1).
    pub subject: String,
    /// The local part of the first `From:` address.
    pub from: String,
    /// The local part of the first `To:` address.
    pub to: String,
    /// The local part of the first `Cc:` address.
    pub cc: String,
    /// The display form of the first `From:` address (RFC 5957 DISPLAYFROM).
    pub display_from: String,
    /// The display form of the first `To:` address (RFC 5957 DISPLAYTO).
    pub display_to: String,
}

impl SortKeys {
    /// The address keys as stored in one column: joined by line feeds (a line feed inside
    /// a key, which no header value keeps, becomes a space).
    pub(crate) fn addresses(&self) -> String {
        [
            &self.from,
            &self.to,
            &self.cc,
            &self.display_from,
            &self.display_to,
        ]
        .map(|k| k.replace('\n', " "))
        .join("\n")
    }

    /// The keys from their stored columns ([`SortKeys::addresses`]).
    pub(crate) fn from_stored(subject: String, addresses: &str) -> SortKeys {
        let [from, to, cc, display_from, display_to] = split_addresses(addresses);
        SortKeys {
            subject,
            from,
            to,
            cc,
            display_from,
            display_to,
        }
    }
}

/// `from`, `to`, `cc`, `display_from` and `display_to` of a stored
/// [`SortKeys::addresses`]; missing ones are empty.
pub(crate) fn split_addresses(stored: &str) -> [String; 5] {
    let mut parts = stored.splitn(5, '\n').map(str::to_owned);
    [(); 5].map(|()| parts.next().unwrap_or_default())
}

/// Which text keys [`crate::Store::sort_rows`] reads (the fixed-size ones are always read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SortColumns {
    /// The base subject.
    pub subject: bool,
    /// The first `From:` mailbox.
    pub from: bool,
    /// The first `To:` mailbox.
    pub to: bool,
    /// The first `Cc:` mailbox.
    pub cc: bool,
    /// The first `From:` address's display form.
    pub display_from: bool,
    /// The first `To:` address's display form.
    pub display_to: bool,
}

impl SortColumns {
    /// Every text key.
    pub const ALL: SortColumns = SortColumns {
        subject: true,
        from: true,
        to: true,
        cc: true,
        display_from: true,
        display_to: true,
    };
}

/// One text key of a [`SortRow`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortText {
    /// Not asked for ([`SortColumns`]).
    NotRead,
    /// The key stored at ingest ([`SortKeys`]).
    Key(String),
    /// The row was stored before its sort keys were: the decoded search column the key
    /// derives from instead ([`MessageMeta::subject`], [`MessageMeta::from`], ...), `None`
    /// when the header is missing or empty.
    Legacy(Option<String>),
}

/// What SORT compares of one message ([`crate::Store::sort_rows`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortRow {
    /// Its UID in the mailbox.
    pub uid: u32,
    /// RFC822.SIZE.
    pub size: u64,
    /// INTERNALDATE, seconds since the Unix epoch.
    pub internal_date: i64,
    /// The Date: header, seconds since the Unix epoch, if it parsed.
    pub sent_date: Option<i64>,
    /// The base subject.
    pub subject: SortText,
    /// The first `From:` mailbox.
    pub from: SortText,
    /// The first `To:` mailbox.
    pub to: SortText,
    /// The first `Cc:` mailbox.
    pub cc: SortText,
    /// The first `From:` address's display form.
    pub display_from: SortText,
    /// The first `To:` address's display form.
    pub display_to: SortText,
}

/// What THREAD (RFC 5256) orders and links one message by ([`crate::Store::thread_rows`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    /// Its UID in the mailbox.
    pub uid: u32,
    /// INTERNALDATE, seconds since the Unix epoch.
    pub internal_date: i64,
    /// The Date: header, seconds since the Unix epoch, if it parsed.
    pub sent_date: Option<i64>,
    /// The decoded `Subject:` ([`MessageMeta::subject`]).
    pub subject: Option<String>,
    /// [`MessageMeta::thread_refs`].
    pub thread_refs: Option<String>,
    /// The content hash when `thread_refs` is `None` (a row stored before it existed), so the
    /// caller can compute them from the message; `None` otherwise.
    pub content_hash: Option<String>,
}

/// A message to append to a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewMessage {
    /// Its content metadata.
    pub meta: MessageMeta,
    /// Initial system flags.
    pub flags: SystemFlags,
    /// Initial keywords.
    pub keywords: Vec<String>,
    /// The calendar day of its `Date:` header in the header's own zone (days since
    /// 1970-01-01), for SEARCH `SENTBEFORE`/`SENTON`/`SENTSINCE`; `None` when the header is
    /// missing or unparseable.
    pub sent_day: Option<i32>,
    /// What SEARCH `BODY` and `TEXT` look in, for the full-text index; `None` leaves the
    /// message out of it (SEARCH then reads its body).
    pub text: Option<IndexText>,
    /// The UID to give it (an import keeping the UIDs a client already knows); `None` takes
    /// the mailbox's next. One asked for must be at least the mailbox's next UID and above
    /// those given before it in the same append, else the append fails whole.
    pub uid: Option<u32>,
}

/// The text of a message the full-text index holds, computed once at ingest by the caller:
/// its whole decoded header and the decoded text of its body, each **already lowercased**
/// the way SEARCH lowercases its needles. The index answers "contains this (lowercased)
/// needle" for it exactly, by plain substring: it folds nothing itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexText {
    /// The decoded header, lowercased (`TEXT` searches it with the body).
    pub header: String,
    /// The decoded body text, lowercased (`BODY`, `TEXT`).
    pub body: String,
}

impl IndexText {
    /// Longest text (of either part, in bytes) the index takes; a message with more is left
    /// out of it.
    pub const MAX_BYTES: usize = 4 << 20;

    /// Whether the index can hold this text: neither part longer than
    /// [`IndexText::MAX_BYTES`] nor holding NUL (which SQL text cannot carry intact, and no
    /// IMAP search string holds).
    pub fn indexable(&self) -> bool {
        [&self.header, &self.body]
            .iter()
            .all(|t| t.len() <= Self::MAX_BYTES && !t.contains('\0'))
    }
}

/// Where [`crate::Store::text_hits`] looks for a needle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextScope {
    /// The body text (SEARCH `BODY`).
    Body,
    /// The header or the body text (SEARCH `TEXT`).
    HeaderOrBody,
}

/// What the full-text index says about a needle in one mailbox ([`crate::Store::text_hits`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextHits {
    /// The UIDs of the indexed messages whose text contains the needle, ascending.
    pub found: Vec<u32>,
    /// The UIDs of the messages the index does not hold (stored before it existed, or not
    /// indexable), ascending: the caller tests those itself.
    pub unindexed: Vec<u32>,
}

/// The stored `sent_day` of a message without a usable `Date:` header (NULL means not
/// computed: a row older than the column).
pub(crate) const NO_SENT_DAY: i32 = i32::MIN;

/// A user account as `hadron user list` shows it: identity plus totals over its mailboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// Its id.
    pub id: UserId,
    /// The login name.
    pub name: String,
    /// When it was created, Unix seconds.
    pub created: i64,
    /// How many mailboxes it has.
    pub mailboxes: u64,
    /// Messages over all its mailboxes (a message copied to two mailboxes counts twice), from
    /// the mailbox counters: no message row is read.
    pub messages: u64,
    /// Total size of those messages in bytes, from the mailbox counters.
    pub size: u64,
}

/// A user's quota limits (RFC 9208, one quota root covering all its mailboxes); `None` is
/// no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotaLimits {
    /// The STORAGE limit, in units of 1024 octets (as RFC 9208 counts it).
    pub storage_kib: Option<u64>,
    /// The MESSAGE limit: how many messages all its mailboxes may hold together.
    pub messages: Option<u64>,
}

/// A user's quota: its limits and its usage, summed from its mailboxes' counters in one query
/// (no message row is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserQuota {
    /// The limits.
    pub limits: QuotaLimits,
    /// Messages over all its mailboxes (a message copied to two mailboxes counts twice).
    pub messages: u64,
    /// Total RFC822.SIZE of those messages, in octets.
    pub size: u64,
}

impl UserQuota {
    /// The STORAGE usage in units of 1024 octets, rounded up (RFC 9208 §5.1).
    pub fn storage_kib(&self) -> u64 {
        self.size.div_ceil(1024)
    }

    /// Whether adding `messages` messages of `size` octets in total would go past a limit:
    /// the resource that would, or `None` when they fit.
    pub fn exceeded_by(&self, messages: u64, size: u64) -> Option<QuotaResourceKind> {
        if let Some(limit) = self.limits.messages
            && self.messages.saturating_add(messages) > limit
        {
            return Some(QuotaResourceKind::Message);
        }
        if let Some(limit) = self.limits.storage_kib
            && self.size.saturating_add(size).div_ceil(1024) > limit
        {
            return Some(QuotaResourceKind::Storage);
        }
        None
    }
}

/// The quota resources Hadron limits (RFC 9208 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaResourceKind {
    /// `STORAGE`: octets, counted in units of 1024.
    Storage,
    /// `MESSAGE`: messages.
    Message,
}

impl QuotaResourceKind {
    /// The resource's RFC 9208 name (`STORAGE`, `MESSAGE`).
    pub fn name(self) -> &'static str {
        match self {
            QuotaResourceKind::Storage => "STORAGE",
            QuotaResourceKind::Message => "MESSAGE",
        }
    }
}

/// What [`crate::Store::delete_user`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedUser {
    /// The id the user had.
    pub id: UserId,
    /// The mailboxes deleted with it, in id order (sessions that have one selected must be
    /// told it is gone).
    pub mailboxes: Vec<MailboxId>,
}

/// A mailbox row: identity, UID state and counters (everything STATUS needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    /// Its id.
    pub id: MailboxId,
    /// Owner.
    pub user: UserId,
    /// Full name (UTF-8, hierarchy delimiter [`crate::HIERARCHY_DELIMITER`]).
    pub name: String,
    /// SPECIAL-USE attribute such as `\Sent`, if any.
    pub special_use: Option<String>,
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// UIDNEXT.
    pub uidnext: u32,
    /// HIGHESTMODSEQ.
    pub highest_modseq: u64,
    /// Number of messages.
    pub messages: u64,
    /// Number of messages without `\Seen`.
    pub unseen: u64,
    /// Number of messages with `\Recent`.
    pub recent: u64,
    /// Total size of the messages in bytes (STATUS=SIZE).
    pub size: u64,
}

/// The per-mailbox state of one message: what a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageFlags {
    /// Its UID.
    pub uid: u32,
    /// System flags.
    pub flags: SystemFlags,
    /// Keywords as a bit set over the mailbox's keyword list ([`crate::Store::keywords`]):
    /// bit `i` set means keyword `i` is set.
    pub keywords: u64,
    /// MODSEQ of the last change.
    pub modseq: u64,
}

/// The stored metadata a FETCH reads beyond the fixed columns
/// ([`crate::Store::fetch_for_fetch`]): the large ones, the save date and the preview; what is
/// not asked for comes back empty (`None` for the save date and the preview). UID, hash, size, internal and sent dates
/// and THREADID always come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchColumns {
    /// [`MessageMeta::envelope`] (ENVELOPE).
    pub envelope: bool,
    /// [`MessageMeta::bodystructure`] (BODY, BODYSTRUCTURE).
    pub bodystructure: bool,
    /// [`MessageMeta::part_map`] (body sections, BINARY).
    pub part_map: bool,
    /// [`StoredMessage::save_date`] (SAVEDATE, RFC 8514).
    pub save_date: bool,
    /// [`MessageMeta::preview`] (PREVIEW, RFC 8970).
    pub preview: bool,
}

/// A message in a mailbox with its content metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its UID in the mailbox.
    pub uid: u32,
    /// The immutable message row it refers to.
    pub message: MessageId,
    /// Content metadata.
    pub meta: MessageMeta,
    /// When the message was saved into this mailbox (RFC 8514 SAVEDATE), Unix seconds: the
    /// time of the APPEND, delivery, import, COPY or MOVE that put it there (a copy gets its
    /// own, unlike [`MessageMeta::internal_date`]). `None` when not known: a row stored
    /// before the store kept save dates, a message expunged from the mailbox, or a
    /// [`crate::Store::fetch_for_fetch`] that did not ask for it.
    pub save_date: Option<i64>,
}

/// What changed in a mailbox after a mod-sequence ([`crate::Store::changes_since`]): what an
/// instance reads when told that another instance changed the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxChanges {
    /// The mailbox's highest mod-sequence when read.
    pub highest_modseq: u64,
    /// Its next UID when read.
    pub uidnext: u32,
    /// The messages at or above the given `uidnext` (new to the reader), ascending.
    pub added: Vec<MessageFlags>,
    /// The messages below it whose flags changed in the range asked for, ascending.
    pub changed: Vec<MessageFlags>,
    /// The UIDs expunged in the range asked for, ascending; `None` when the expunge history
    /// was pruned past its start ([`crate::Store::prune_expunged`]), so that some expunges in
    /// the range can no longer be named: the reader must compare UIDs with the mailbox instead.
    pub expunged: Option<Vec<u32>>,
    /// The mailbox's keyword names by bit (for the `keywords` masks above).
    pub keywords: Vec<String>,
}

/// A message identity column, for [`crate::Store::uids_with_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdField {
    /// The content hash (what OBJECTID's EMAILID names: copies share it).
    ContentHash,
    /// The THREADID computed at ingest ([`MessageMeta::thread_id`]).
    ThreadId,
}

/// A header field the store keeps decoded in a column of its own (written at ingest), for
/// [`crate::Store::header_candidates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    /// The `From:` addresses.
    From,
    /// The `To:` addresses.
    To,
    /// The `Cc:` addresses.
    Cc,
    /// The `Subject:`.
    Subject,
}

impl SearchField {
    /// Its column in `messages`.
    pub(crate) fn column(self) -> &'static str {
        match self {
            SearchField::From => "from_addr",
            SearchField::To => "to_addr",
            SearchField::Cc => "cc_addr",
            SearchField::Subject => "subject",
        }
    }
}

/// A range of one indexed column of a mailbox's messages, for
/// [`crate::Store::uids_in_range`]: `from` inclusive, `until` exclusive, either
/// end open when `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRange {
    /// The internal date, in Unix seconds.
    InternalDate {
        /// Earliest second included.
        from: Option<i64>,
        /// First second no longer included.
        until: Option<i64>,
    },
    /// The calendar day of the `Date:` header in its own zone (days since 1970-01-01);
    /// messages without a usable header are never in range, nor rows written before the
    /// column existed (see [`crate::Store::sent_day_unknown`]).
    SentDay {
        /// First day included.
        from: Option<i64>,
        /// First day no longer included.
        until: Option<i64>,
    },
    /// The size in bytes.
    Size {
        /// Smallest size included.
        from: Option<i64>,
        /// First size no longer included.
        until: Option<i64>,
    },
    /// The save date ([`StoredMessage::save_date`]), in Unix seconds. A row stored before
    /// the store kept save dates is in range when its internal date is: RFC 8514 §4.3's
    /// fallback for messages without one.
    SaveDate {
        /// Earliest second included.
        from: Option<i64>,
        /// First second no longer included.
        until: Option<i64>,
    },
}

/// The fixed-size facts of a message that SEARCH's size and date keys
/// need, without its serialized structures ([`crate::Store::fetch_summaries`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageSummary {
    /// Its UID in the mailbox.
    pub uid: u32,
    /// RFC822.SIZE.
    pub size: u64,
    /// INTERNALDATE, seconds since the Unix epoch.
    pub internal_date: i64,
    /// The Date: header, seconds since the Unix epoch, if it parsed.
    pub sent_date: Option<i64>,
    /// The message's last mod-sequence in the mailbox.
    pub modseq: u64,
    /// [`StoredMessage::save_date`].
    pub save_date: Option<i64>,
}

/// Result of [`crate::Store::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// UIDVALIDITY of the mailbox (for APPENDUID).
    pub uidvalidity: u32,
    /// The UIDs given to the messages, in input order (consecutive).
    pub uids: Vec<u32>,
    /// The MODSEQ of the new messages.
    pub modseq: u64,
}

/// Result of [`crate::Store::store_flags`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagChanges {
    /// The MODSEQ given to the changed messages (unchanged HIGHESTMODSEQ if none changed).
    pub modseq: u64,
    /// The messages whose flags actually changed, in UID order, with their new flags.
    pub changed: Vec<MessageFlags>,
    /// The UIDs left alone because their mod-sequence was above the edit's
    /// [`FlagEdit::unchanged_since`], ascending (CONDSTORE `MODIFIED`); empty without one.
    pub modified: Vec<u32>,
}

/// A flag change for [`crate::Store::store_flags_then`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagEdit {
    /// Add, remove or replace.
    pub op: FlagOp,
    /// The system flags.
    pub flags: SystemFlags,
    /// The keywords, by name (new ones are defined in the mailbox).
    pub keywords: Vec<String>,
    /// CONDSTORE `UNCHANGEDSINCE` (RFC 7162 §3.1.3): change only messages whose
    /// mod-sequence is at most this; the others are listed in [`FlagChanges::modified`].
    pub unchanged_since: Option<u64>,
}

/// Result of [`crate::Store::copy`] and [`crate::Store::move_messages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// UIDVALIDITY of the destination (for COPYUID).
    pub uidvalidity: u32,
    /// `(source UID, destination UID)` pairs in source UID order.
    pub uid_map: Vec<(u32, u32)>,
    /// MODSEQ of the new messages in the destination.
    pub modseq: u64,
}

/// Result of [`crate::Store::expunge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expunged {
    /// The MODSEQ of the expunge (HIGHESTMODSEQ unchanged if nothing was expunged).
    pub modseq: u64,
    /// The UIDs removed, ascending.
    pub uids: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_set_normalises() {
        let s = UidSet::from_uids([5, 3, 4, 9, 0, 10, 1]);
        assert_eq!(s.ranges(), &[(1, 1), (3, 5), (9, 10)]);
        assert!(s.contains(4) && !s.contains(2) && !s.contains(11) && !s.contains(0));
        assert_eq!(UidSet::range(7, 2).ranges(), &[(2, 7)]);
        assert_eq!(
            UidSet::from_ranges([(1, 5), (3, 9), (10, 12)]).ranges(),
            &[(1, 12)]
        );
        assert!(UidSet::from_uids([0]).is_empty());
        assert_eq!(UidSet::all().ranges(), &[(1, u32::MAX)]);
        assert_eq!(s.len(), 6);
        assert_eq!(UidSet::new().len(), 0);
        assert_eq!(UidSet::all().len(), u64::from(u32::MAX));
    }

    #[test]
    fn flags_bits() {
        let f = SystemFlags::SEEN | SystemFlags::DELETED;
        assert!(f.contains(SystemFlags::SEEN) && !f.contains(SystemFlags::DRAFT));
        assert_eq!(SystemFlags::from_bits_truncate(0xff), SystemFlags::ALL);
        assert_eq!(f.difference(SystemFlags::SEEN), SystemFlags::DELETED);
    }
}
