//! Where SEARCH gets what the snapshot does not hold: per-message metadata,
//! decoded header fields and body text.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use hadron_proto::types::{Date, DateTime};

/// An error reported by a [`MessageSource`] (typically the store failing
/// to read). SEARCH stops and passes it on as
/// [`SearchError::Source`](super::SearchError::Source).
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The compact metadata of one message, computed at ingest and read in
/// batches: everything the size, date and `MODSEQ` keys need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageMeta {
    /// `RFC822.SIZE` in octets (`LARGER`, `SMALLER`).
    pub size: u32,
    /// `INTERNALDATE` with the zone it was recorded in (`BEFORE`, `ON`,
    /// `SINCE` compare its date in that zone).
    pub internal_date: DateTime,
    /// The calendar date written in the `Date:` header, in the header's
    /// own zone, or `None` if the header is missing or unparseable
    /// (`SENTBEFORE`, `SENTON`, `SENTSINCE` then never match).
    pub sent_date: Option<Date>,
    /// The message's mod-sequence (RFC 7162; `MODSEQ` key, highest
    /// mod-sequence of a CONDSTORE search).
    pub modseq: u64,
    /// When the message was saved into the mailbox (RFC 8514; `SAVEDBEFORE`,
    /// `SAVEDON`, `SAVEDSINCE` compare its date in its zone), or `None`
    /// when the source does not know: those keys then compare the internal
    /// date, as RFC 8514 §4.3 has a mailbox without save dates do.
    pub save_date: Option<DateTime>,
}

impl MessageMeta {
    /// The date the `SAVED*` keys compare: the save date's, or the internal
    /// date's when the save date is not known.
    pub fn saved_day(&self) -> Date {
        self.save_date.unwrap_or(self.internal_date).date()
    }
}

/// A metadata key a source may answer for the whole mailbox at once from
/// an index ([`MessageSource::indexed`]). Days count from 1970-01-01 in
/// the zone of the source's internal dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IndexedKey {
    /// Internal date on the days `first..=last` (`BEFORE`, `ON`, `SINCE`);
    /// `None` leaves that end open.
    InternalDays {
        /// First day included.
        first: Option<i32>,
        /// Last day included.
        last: Option<i32>,
    },
    /// The `Date:` header's calendar day (in its own zone) on the days
    /// `first..=last` (`SENTBEFORE`, `SENTON`, `SENTSINCE`); a message
    /// without a usable header never matches.
    SentDays {
        /// First day included.
        first: Option<i32>,
        /// Last day included.
        last: Option<i32>,
    },
    /// The day of [`MessageMeta::saved_day`] on the days `first..=last`
    /// (`SAVEDBEFORE`, `SAVEDON`, `SAVEDSINCE`): the save date, or the
    /// internal date of a message without one.
    SavedDays {
        /// First day included.
        first: Option<i32>,
        /// Last day included.
        last: Option<i32>,
    },
    /// Internal date in Unix seconds `from..until` (`OLDER`, `YOUNGER`);
    /// `None` leaves that end open.
    InternalSeconds {
        /// Earliest second included.
        from: Option<i64>,
        /// First second no longer included.
        until: Option<i64>,
    },
    /// Size in `min..=max` octets (`LARGER`, `SMALLER`).
    Size {
        /// Smallest size included.
        min: u32,
        /// Largest size included.
        max: u32,
    },
}

impl IndexedKey {
    /// Whether `meta` matches the key (what an index must agree with).
    pub fn matches(&self, meta: &MessageMeta) -> bool {
        match *self {
            IndexedKey::InternalDays { first, last } => {
                let day = meta.internal_date.date().days_since_epoch() as i32;
                first.is_none_or(|f| day >= f) && last.is_none_or(|l| day <= l)
            }
            IndexedKey::SentDays { first, last } => meta.sent_date.is_some_and(|d| {
                let day = d.days_since_epoch() as i32;
                first.is_none_or(|f| day >= f) && last.is_none_or(|l| day <= l)
            }),
            IndexedKey::SavedDays { first, last } => {
                let day = meta.saved_day().days_since_epoch() as i32;
                first.is_none_or(|f| day >= f) && last.is_none_or(|l| day <= l)
            }
            IndexedKey::InternalSeconds { from, until } => {
                let t = meta.internal_date.to_unix();
                from.is_none_or(|f| t >= f) && until.is_none_or(|u| t < u)
            }
            IndexedKey::Size { min, max } => (min..=max).contains(&meta.size),
        }
    }
}

/// What [`MessageSource::header_candidates`] returns: `(uid, values)`,
/// ascending by UID.
pub type HeaderCandidates = Result<Vec<(u32, Vec<String>)>, SourceError>;

/// The data SEARCH reads besides the snapshot.
///
/// The trait is object-safe: [`search`](super::search) takes any
/// `S: MessageSource + ?Sized`, so callers can pass a concrete source
/// (monomorphised, for the in-memory source and benches) or a
/// `&dyn MessageSource` (the server, choosing its backend at run time).
///
/// Text is handed out already decoded — RFC 2047 encoded words, MIME
/// transfer encodings and charsets are undone at ingest — as `Cow<str>`,
/// borrowed when the source holds it in memory, owned when it had to read
/// it. The evaluator asks only for messages still candidates after every
/// cheaper key, and never asks for anything when the search can be
/// answered from the snapshot.
pub trait MessageSource {
    /// The metadata of the messages with these UIDs, one entry per UID in
    /// the same order. The evaluator calls it with batches of at most a
    /// few thousand UIDs, ascending; every UID is one the snapshot shows
    /// (possibly pending expunge: its data must still be readable).
    fn metadata(&self, uids: &[u32]) -> Result<Vec<MessageMeta>, SourceError>;

    /// The UIDs of the messages matching `key`, ascending, when the source
    /// can answer from an index (the evaluator then asks it instead of
    /// [`MessageSource::metadata`] for many candidates); `None`, the
    /// default, when it cannot. Messages the evaluator's snapshot still
    /// shows but the source no longer stores (expunged elsewhere) may be
    /// left out: their metadata is asked for separately.
    fn indexed(&self, key: IndexedKey) -> Option<Result<Vec<u32>, SourceError>> {
        let _ = key;
        None
    }

    /// Every value of header field `name` (matched ASCII
    /// case-insensitively, `"from"` finds `From:`) of message `uid`, in
    /// order of appearance, decoded and unfolded; empty if the message has
    /// no such field.
    fn header_values(&self, uid: u32, name: &str) -> Result<Vec<Cow<'_, str>>, SourceError>;

    /// The messages whose header field `name` may contain `needle` (given
    /// lowercase, non-empty), each with the values
    /// [`MessageSource::header_values`] would give, ascending by UID, when
    /// the source can narrow the search cheaply (an index, a query); `None`,
    /// the default, when it cannot. A superset of the matches: the
    /// evaluator tests every value. Messages the source no longer stores
    /// (expunged elsewhere) may be left out: they are asked separately.
    fn header_candidates(&self, name: &str, needle: &str) -> Option<HeaderCandidates> {
        let _ = (name, needle);
        None
    }

    /// What a full-text index says about `needle` (given lowercase, at
    /// least one character) in `scope`, when the source has one that can
    /// answer it; `None`, the default, when it cannot. The evaluator then
    /// tests only the messages in [`TextMatches::unindexed`] (and those
    /// pending expunge) itself: `found` must be exactly the indexed messages
    /// whose text contains the needle, as [`MessageSource::body_text`] and
    /// [`MessageSource::header_text`] would give it.
    fn text_matches(
        &self,
        scope: TextScope,
        needle: &str,
    ) -> Option<Result<TextMatches, SourceError>> {
        let _ = (scope, needle);
        None
    }

    /// The UIDs of the messages `key` names (OBJECTID `EMAILID` and
    /// `THREADID`, RFC 8474), ascending. The default is a source that keeps
    /// no object ids: no message has one, so none matches.
    fn with_object_id(&self, key: &ObjectKey) -> Result<Vec<u32>, SourceError> {
        let _ = key;
        Ok(Vec::new())
    }

    /// The whole decoded header of message `uid` (`TEXT` searches it with
    /// the body).
    fn header_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError>;

    /// The decoded text of message `uid`'s body (`BODY`, `TEXT`): for a
    /// multipart message, its text parts, decoded and concatenated.
    fn body_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError>;
}

impl<S: MessageSource + ?Sized> MessageSource for &S {
    fn metadata(&self, uids: &[u32]) -> Result<Vec<MessageMeta>, SourceError> {
        (**self).metadata(uids)
    }
    fn indexed(&self, key: IndexedKey) -> Option<Result<Vec<u32>, SourceError>> {
        (**self).indexed(key)
    }
    fn header_values(&self, uid: u32, name: &str) -> Result<Vec<Cow<'_, str>>, SourceError> {
        (**self).header_values(uid, name)
    }
    fn header_candidates(&self, name: &str, needle: &str) -> Option<HeaderCandidates> {
        (**self).header_candidates(name, needle)
    }
    fn text_matches(
        &self,
        scope: TextScope,
        needle: &str,
    ) -> Option<Result<TextMatches, SourceError>> {
        (**self).text_matches(scope, needle)
    }
    fn with_object_id(&self, key: &ObjectKey) -> Result<Vec<u32>, SourceError> {
        (**self).with_object_id(key)
    }
    fn header_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        (**self).header_text(uid)
    }
    fn body_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        (**self).body_text(uid)
    }
}

/// Where a text key looks ([`MessageSource::text_matches`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextScope {
    /// The body text (`BODY`).
    Body,
    /// The header or the body text (`TEXT`).
    HeaderOrBody,
}

/// A full-text index's answer for one needle
/// ([`MessageSource::text_matches`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextMatches {
    /// The UIDs of the indexed messages whose text contains the needle,
    /// ascending.
    pub found: Vec<u32>,
    /// The UIDs of the messages the index does not hold, ascending: the
    /// evaluator reads and tests those.
    pub unindexed: Vec<u32>,
}

/// What an OBJECTID search key names (RFC 8474 §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ObjectKey {
    /// `EMAILID`: the messages with this content hash.
    Content(String),
    /// `THREADID`: the messages of this thread.
    Thread(String),
}

/// One message held by a [`MemorySource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryMessage {
    /// Its metadata.
    pub meta: MessageMeta,
    /// Its header fields `(name, decoded value)`, in order.
    pub headers: Vec<(String, String)>,
    /// Its decoded body text.
    pub body: String,
    /// Its object ids: content hash and THREADID, if it has them.
    pub ids: Option<(String, Option<String>)>,
}

impl MemoryMessage {
    /// A message with this metadata, no header fields and an empty body.
    pub fn new(meta: MessageMeta) -> MemoryMessage {
        MemoryMessage {
            meta,
            headers: Vec::new(),
            body: String::new(),
            ids: None,
        }
    }

    /// Sets its content hash and THREADID (builder style).
    pub fn ids(mut self, content_hash: impl Into<String>, thread: Option<String>) -> MemoryMessage {
        self.ids = Some((content_hash.into(), thread));
        self
    }

    /// Adds a header field (builder style).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> MemoryMessage {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body text (builder style).
    pub fn body(mut self, body: impl Into<String>) -> MemoryMessage {
        self.body = body.into();
        self
    }
}

/// A [`MessageSource`] holding every message in memory, sorted by UID:
/// for tests, benches and embedders with small mailboxes.
///
/// Lookups try the message after the last one found, then fall back to
/// a binary search; asking for a UID it does not hold is an
/// error, as it would be for a store that lost a message.
#[derive(Debug, Default)]
pub struct MemorySource {
    uids: Vec<u32>,
    messages: Vec<MemoryMessage>,
    /// Lookup hint: the position after the last message found.
    next: AtomicUsize,
}

/// The error a [`MemorySource`] reports for a UID it does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no message with UID {0} in the source")]
pub struct UnknownUid(pub u32);

impl Clone for MemorySource {
    fn clone(&self) -> MemorySource {
        MemorySource {
            uids: self.uids.clone(),
            messages: self.messages.clone(),
            next: AtomicUsize::new(0),
        }
    }
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> MemorySource {
        MemorySource::default()
    }

    /// Adds or replaces message `uid`.
    pub fn insert(&mut self, uid: u32, message: MemoryMessage) {
        match self.uids.binary_search(&uid) {
            Ok(i) => self.messages[i] = message,
            Err(i) => {
                self.uids.insert(i, uid);
                self.messages.insert(i, message);
            }
        }
    }

    /// Number of messages held.
    pub fn len(&self) -> usize {
        self.uids.len()
    }

    /// Whether no message is held.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// Message `uid`, if held.
    pub fn get(&self, uid: u32) -> Option<&MemoryMessage> {
        self.uids
            .binary_search(&uid)
            .ok()
            .map(|i| &self.messages[i])
    }

    /// The position of `uid`, trying the one after the last found first:
    /// the evaluator asks about candidates in ascending UID order.
    fn position(&self, uid: u32) -> Result<usize, SourceError> {
        let next = self.next.load(Ordering::Relaxed);
        let i = match self.uids.get(next) {
            Some(&u) if u == uid => next,
            _ => self
                .uids
                .binary_search(&uid)
                .map_err(|_| Box::new(UnknownUid(uid)) as SourceError)?,
        };
        self.next.store(i + 1, Ordering::Relaxed);
        Ok(i)
    }

    fn message(&self, uid: u32) -> Result<&MemoryMessage, SourceError> {
        self.position(uid).map(|i| &self.messages[i])
    }
}

impl FromIterator<(u32, MemoryMessage)> for MemorySource {
    /// Collects messages; in ascending UID order this is O(n).
    fn from_iter<I: IntoIterator<Item = (u32, MemoryMessage)>>(iter: I) -> MemorySource {
        let mut pairs: Vec<(u32, MemoryMessage)> = iter.into_iter().collect();
        if !pairs.is_sorted_by_key(|(u, _)| *u) {
            pairs.sort_by_key(|(u, _)| *u);
        }
        // Later duplicates win, as with `insert`.
        pairs.reverse();
        pairs.dedup_by_key(|(u, _)| *u);
        pairs.reverse();
        let (uids, messages) = pairs.into_iter().unzip();
        MemorySource {
            uids,
            messages,
            next: AtomicUsize::new(0),
        }
    }
}

impl MessageSource for MemorySource {
    fn metadata(&self, uids: &[u32]) -> Result<Vec<MessageMeta>, SourceError> {
        uids.iter()
            .map(|&uid| self.message(uid).map(|m| m.meta))
            .collect()
    }

    fn header_values(&self, uid: u32, name: &str) -> Result<Vec<Cow<'_, str>>, SourceError> {
        Ok(self
            .message(uid)?
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| Cow::Borrowed(v.as_str()))
            .collect())
    }

    fn with_object_id(&self, key: &ObjectKey) -> Result<Vec<u32>, SourceError> {
        Ok(self
            .uids
            .iter()
            .zip(&self.messages)
            .filter(|(_, m)| match (key, &m.ids) {
                (ObjectKey::Content(h), Some((c, _))) => c == h,
                (ObjectKey::Thread(t), Some((_, Some(x)))) => x == t,
                _ => false,
            })
            .map(|(uid, _)| *uid)
            .collect())
    }

    fn header_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        let message = self.message(uid)?;
        let mut text = String::new();
        for (name, value) in &message.headers {
            text.push_str(name);
            text.push_str(": ");
            text.push_str(value);
            text.push_str("\r\n");
        }
        Ok(Cow::Owned(text))
    }

    fn body_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        Ok(Cow::Borrowed(self.message(uid)?.body.as_str()))
    }
}
