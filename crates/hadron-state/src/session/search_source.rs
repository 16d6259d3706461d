//! A [`MessageSource`] over the engine's store and blob store, for one
//! mailbox: what SEARCH reads besides the snapshot.
//!
//! The store is blocking, and so is [`MessageSource`]: the session builds
//! this source inside `spawn_blocking` ([`Engine::blocking`]) and runs the
//! whole evaluation there.
//!
//! # Where each answer comes from
//!
//! - **Metadata** (size, dates, mod-sequence): one narrow query per batch
//!   the evaluator asks for; for many candidates, `BEFORE`/`ON`/`SINCE`,
//!   `SAVED*` and `LARGER`/`SMALLER` are answered instead by one query on
//!   the column's index ([`MessageSource::indexed`]), whose cost follows the
//!   number of hits. A message expunged elsewhere but still in the
//!   snapshot is answered from the engine's tombstone.
//! - **Internal date** and **save date**: the store keeps Unix seconds
//!   only, so they are taken in UTC — the dates FETCH INTERNALDATE and
//!   SAVEDATE show. A row stored before save dates were kept has none (the
//!   `SAVED*` keys then compare its internal date, in the store's index as
//!   here).
//! - **Sent date**: when the search has a `SENT*` key the `Date:` header is
//!   re-read from the blob, so that its calendar date is the one in its own
//!   zone (RFC 3501). Otherwise no key reads it, and it is derived from the
//!   stored UTC seconds.
//! - **FROM/TO/CC/SUBJECT** come from the decoded columns stored at
//!   ingest. For many candidates the database narrows them first
//!   ([`MessageSource::header_candidates`]: values containing the needle
//!   with ASCII letters compared case-insensitively, and every non-ASCII
//!   value), and only those values are tested here; for few, the rows
//!   are read through a window (one query per 1,024 UIDs).
//!   Those columns hold the first occurrence of the field only, and an
//!   empty field is stored as absent, so `FROM ""` does not match a
//!   message whose `From:` is empty.
//! - **`TEXT`, `BODY`** for many candidates and a needle of three
//!   characters or more: the store's full-text index
//!   ([`MessageSource::text_matches`]), which holds each message's decoded
//!   header and body text as ingest lowercased them and answers exactly;
//!   only the messages it does not hold (stored before it, or with text it
//!   cannot take) are read as below.
//! - **BCC, any other `HEADER` field, `TEXT`, `BODY`** otherwise: the blob
//!   is read and parsed (RFC 2047 words, transfer encodings and charsets
//!   decoded by [`crate::message`]). Text parts are decoded up to
//!   [`message::MAX_TEXT_BYTES`] of encoded body per message. The last blob
//!   read is kept, so `TEXT` (header then body) reads a message once.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hadron_proto::types::{Date, DateTime, SearchKey};
use hadron_store::{
    BlobStore, ColumnRange, IdField, MailboxId, SearchField, Store, StoredMessage, UidSet,
};

use crate::engine::Engine;
use crate::message::{self, Structure};
use crate::search::{
    HeaderCandidates, IndexedKey, MessageMeta, MessageSource, ObjectKey, SourceError, TextMatches,
    TextScope,
};

/// UIDs per window of rows read for the header keys.
const ROW_WINDOW: u32 = 1024;

/// Whether any key reads the sent date (`SENTBEFORE`, `SENTON`,
/// `SENTSINCE`).
pub(crate) fn uses_sent_date(keys: &[SearchKey<'_>]) -> bool {
    keys.iter().any(|k| match k {
        SearchKey::SentBefore(_) | SearchKey::SentOn(_) | SearchKey::SentSince(_) => true,
        SearchKey::Not(k) => uses_sent_date(std::slice::from_ref(k)),
        SearchKey::Or(a, b) => {
            uses_sent_date(std::slice::from_ref(a)) || uses_sent_date(std::slice::from_ref(b))
        }
        SearchKey::And(keys) => uses_sent_date(keys),
        _ => false,
    })
}

/// Rows of the UIDs `first..=last` of a window, by UID.
type RowWindow = ((u32, u32), BTreeMap<u32, Arc<StoredMessage>>);

#[derive(Debug, thiserror::Error)]
#[error("message UID {0} is neither in the store nor kept for this session")]
struct Missing(u32);

/// The store-backed source; see the [module docs](self).
pub(crate) struct StoreSource<'a> {
    store: &'a Store,
    blobs: &'a dyn BlobStore,
    engine: &'a Engine,
    mailbox: MailboxId,
    /// Re-read `Date:` from the blob (a `SENT*` key is present).
    sent_from_header: bool,
    /// Read mod-sequences (a `MODSEQ` key or CONDSTORE result).
    want_modseq: bool,
    /// Rows of UIDs `window.0..=window.1`.
    rows: RefCell<RowWindow>,
    /// The last blob read.
    blob: RefCell<Option<(u32, Arc<Vec<u8>>)>>,
}

impl<'a> StoreSource<'a> {
    pub(crate) fn new(
        store: &'a Store,
        blobs: &'a dyn BlobStore,
        engine: &'a Engine,
        mailbox: MailboxId,
        keys: &[SearchKey<'_>],
        want_modseq: bool,
    ) -> StoreSource<'a> {
        StoreSource {
            store,
            blobs,
            engine,
            mailbox,
            sent_from_header: uses_sent_date(keys),
            want_modseq,
            rows: RefCell::new(((1, 0), BTreeMap::new())),
            blob: RefCell::new(None),
        }
    }

    /// The row of `uid`: from the window, reading the window starting at
    /// `uid` when outside it, else the engine's tombstone.
    fn row(&self, uid: u32) -> Result<Arc<StoredMessage>, SourceError> {
        let mut rows = self.rows.borrow_mut();
        let ((lo, hi), _) = *rows;
        if !(lo..=hi).contains(&uid) {
            let end = uid.saturating_add(ROW_WINDOW - 1);
            let read = self
                .store
                .fetch_messages(self.mailbox, &UidSet::range(uid, end))?;
            *rows = (
                (uid, end),
                read.into_iter().map(|r| (r.uid, Arc::new(r))).collect(),
            );
        }
        if let Some(r) = rows.1.get(&uid) {
            return Ok(r.clone());
        }
        drop(rows);
        self.gone(uid)
    }

    /// The metadata of `uid`, which the store no longer lists in the
    /// mailbox: the tombstone of a local expunge, or, on a database other
    /// instances share, the message row another instance expunged (kept
    /// until garbage collection).
    fn gone(&self, uid: u32) -> Result<Arc<StoredMessage>, SourceError> {
        self.engine
            .expunged_metadata(self.store, self.mailbox, &[uid])?
            .pop()
            .ok_or_else(|| Box::new(Missing(uid)) as SourceError)
    }

    /// The raw message `uid`.
    fn raw(&self, uid: u32, row: Option<&StoredMessage>) -> Result<Arc<Vec<u8>>, SourceError> {
        if let Some((u, raw)) = &*self.blob.borrow()
            && *u == uid
        {
            return Ok(raw.clone());
        }
        let hash = match row {
            Some(r) => r.meta.content_hash.clone(),
            None => self.row(uid)?.meta.content_hash.clone(),
        };
        let raw = Arc::new(self.blobs.get(&hash)?);
        *self.blob.borrow_mut() = Some((uid, raw.clone()));
        Ok(raw)
    }
}

impl StoreSource<'_> {
    /// [`MessageSource::indexed`] for the `Date:` day: the stored days'
    /// index, plus the rows stored before the day was (tested from the
    /// message's own header).
    fn sent_days(
        &self,
        key: IndexedKey,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Vec<u32>, SourceError> {
        let range = ColumnRange::SentDay {
            from: first.map(i64::from),
            until: last.map(|d| i64::from(d) + 1),
        };
        let mut uids = self.store.uids_in_range(self.mailbox, range)?;
        let unknown = self.store.sent_day_unknown(self.mailbox)?;
        if !unknown.is_empty() {
            for uid in unknown {
                let meta = MessageMeta {
                    size: 0,
                    internal_date: DateTime::from_unix(0, 0)?,
                    sent_date: message::sent_date(&self.raw(uid, None)?),
                    modseq: 0,
                    save_date: None,
                };
                if key.matches(&meta) {
                    uids.push(uid);
                }
            }
            uids.sort_unstable();
        }
        Ok(uids)
    }

    /// [`MessageSource::metadata`] from the store's narrow summary rows
    /// (size, dates, mod-sequence; no serialized structures), falling back
    /// to the tombstones for messages expunged elsewhere.
    fn summaries(&self, uids: &[u32], set: &UidSet) -> Result<Vec<MessageMeta>, SourceError> {
        let mut rows: HashMap<u32, hadron_store::MessageSummary> = self
            .store
            .fetch_summaries(self.mailbox, set)?
            .into_iter()
            .map(|r| (r.uid, r))
            .collect();
        let date = |secs: Option<i64>| {
            secs.and_then(|s| DateTime::from_unix(s, 0).ok())
                .map(DateTime::date)
        };
        let mut out = Vec::with_capacity(uids.len());
        for &uid in uids {
            let (size, internal, sent, modseq, saved) = match rows.remove(&uid) {
                Some(r) => (r.size, r.internal_date, r.sent_date, r.modseq, r.save_date),
                None => {
                    let row = self.gone(uid)?;
                    // Expunged elsewhere: no flags row left, mod-sequence
                    // unknown and taken as 0.
                    let m = &row.meta;
                    (m.size, m.internal_date, m.sent_date, 0, row.save_date)
                }
            };
            out.push(MessageMeta {
                size: u32::try_from(size).unwrap_or(u32::MAX),
                internal_date: DateTime::from_unix(internal, 0)?,
                sent_date: date(sent),
                modseq,
                save_date: saved.map(|s| DateTime::from_unix(s, 0)).transpose()?,
            });
        }
        Ok(out)
    }
}

impl MessageSource for StoreSource<'_> {
    fn with_object_id(&self, key: &ObjectKey) -> Result<Vec<u32>, SourceError> {
        let (field, value) = match key {
            ObjectKey::Content(h) => (IdField::ContentHash, h),
            ObjectKey::Thread(t) => (IdField::ThreadId, t),
        };
        Ok(self.store.uids_with_id(self.mailbox, field, value)?)
    }

    fn header_candidates(&self, name: &str, needle: &str) -> Option<HeaderCandidates> {
        let field = match name.to_ascii_lowercase().as_str() {
            "from" => SearchField::From,
            "to" => SearchField::To,
            "cc" => SearchField::Cc,
            "subject" => SearchField::Subject,
            _ => return None,
        };
        Some(
            self.store
                .header_candidates(self.mailbox, field, needle)
                .map(|rows| rows.into_iter().map(|(u, v)| (u, vec![v])).collect())
                .map_err(|e| Box::new(e) as SourceError),
        )
    }

    fn text_matches(
        &self,
        scope: TextScope,
        needle: &str,
    ) -> Option<Result<TextMatches, SourceError>> {
        let scope = match scope {
            TextScope::Body => hadron_store::TextScope::Body,
            TextScope::HeaderOrBody => hadron_store::TextScope::HeaderOrBody,
        };
        self.store
            .text_hits(self.mailbox, scope, needle)
            .map_err(|e| Box::new(e) as SourceError)
            .map(|hits| {
                hits.map(|h| TextMatches {
                    found: h.found,
                    unindexed: h.unindexed,
                })
            })
            .transpose()
    }

    fn indexed(&self, key: IndexedKey) -> Option<Result<Vec<u32>, SourceError>> {
        const DAY: i64 = 86_400;
        let range = match key {
            IndexedKey::InternalDays { first, last } => ColumnRange::InternalDate {
                from: first.map(|d| i64::from(d) * DAY),
                until: last.map(|d| (i64::from(d) + 1) * DAY),
            },
            IndexedKey::InternalSeconds { from, until } => {
                ColumnRange::InternalDate { from, until }
            }
            IndexedKey::SavedDays { first, last } => ColumnRange::SaveDate {
                from: first.map(|d| i64::from(d) * DAY),
                until: last.map(|d| (i64::from(d) + 1) * DAY),
            },
            IndexedKey::Size { min, max } => ColumnRange::Size {
                from: Some(i64::from(min)),
                until: Some(i64::from(max) + 1),
            },
            IndexedKey::SentDays { first, last } => {
                return Some(self.sent_days(key, first, last));
            }
        };
        Some(
            self.store
                .uids_in_range(self.mailbox, range)
                .map_err(|e| Box::new(e) as SourceError),
        )
    }

    fn metadata(&self, uids: &[u32]) -> Result<Vec<MessageMeta>, SourceError> {
        let set = UidSet::from_uids(uids.iter().copied());
        if !self.sent_from_header {
            return self.summaries(uids, &set);
        }
        let mut rows: HashMap<u32, Arc<StoredMessage>> = self
            .store
            .fetch_messages(self.mailbox, &set)?
            .into_iter()
            .map(|r| (r.uid, Arc::new(r)))
            .collect();
        let modseqs: HashMap<u32, u64> = if self.want_modseq {
            self.store
                .fetch_flags(self.mailbox, &set)?
                .into_iter()
                .map(|f| (f.uid, f.modseq))
                .collect()
        } else {
            HashMap::new()
        };
        let mut out = Vec::with_capacity(uids.len());
        for &uid in uids {
            let row = match rows.remove(&uid) {
                Some(r) => r,
                None => self.gone(uid)?,
            };
            let meta = &row.meta;
            let internal_date = DateTime::from_unix(meta.internal_date, 0)?;
            let sent_date: Option<Date> = if self.sent_from_header {
                message::sent_date(&self.raw(uid, Some(&row))?)
            } else {
                meta.sent_date
                    .and_then(|s| DateTime::from_unix(s, 0).ok())
                    .map(DateTime::date)
            };
            out.push(MessageMeta {
                size: u32::try_from(meta.size).unwrap_or(u32::MAX),
                internal_date,
                sent_date,
                // A message expunged elsewhere has no flags row left: its
                // last mod-sequence is unknown and taken as 0.
                modseq: modseqs.get(&uid).copied().unwrap_or(0),
                save_date: row
                    .save_date
                    .map(|s| DateTime::from_unix(s, 0))
                    .transpose()?,
            });
        }
        Ok(out)
    }

    fn header_values(&self, uid: u32, name: &str) -> Result<Vec<Cow<'_, str>>, SourceError> {
        let stored = |row: &StoredMessage| -> Option<Option<String>> {
            let m = &row.meta;
            let column = match name.to_ascii_lowercase().as_str() {
                "from" => &m.from,
                "to" => &m.to,
                "cc" => &m.cc,
                "subject" => &m.subject,
                _ => return None,
            };
            Some(column.clone())
        };
        let row = self.row(uid)?;
        if let Some(value) = stored(&row) {
            return Ok(value.into_iter().map(Cow::Owned).collect());
        }
        let raw = self.raw(uid, Some(&row))?;
        Ok(message::header_values(&raw, name)
            .into_iter()
            .map(Cow::Owned)
            .collect())
    }

    fn header_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        let raw = self.raw(uid, None)?;
        Ok(Cow::Owned(message::header_text(&raw)))
    }

    fn body_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        let raw = self.raw(uid, None)?;
        let structure = Structure::parse(&raw);
        Ok(Cow::Owned(message::body_text(&raw, &structure.part_map)))
    }
}
