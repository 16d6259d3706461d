//! THREAD / UID THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES.
//!
//! As for SORT, queued updates are delivered first under
//! [`crate::delivery::CommandContext::Search`] and the search criteria are
//! evaluated on a copy of the snapshot; the matches' dates, decoded
//! subjects and Message-ID links are then read from the columns stored at
//! ingest ([`Store::thread_rows`], by UID chunks) into the mailbox's
//! [`crate::thread_index`] kept beside its shared index, once per message,
//! and threaded from there by [`crate::thread`] (without a shared index,
//! straight from the rows). A message expunged elsewhere but still shown is
//! threaded by its tombstone's metadata; a message stored before the links
//! were kept has its header read once.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::PoisonError;

use hadron_proto::types::{Charset, Data, SearchKey, StatusKind, Tag, Thread, ThreadAlgorithm};
use hadron_store::{BlobStore, Store, ThreadRow, UidSet};

use super::output::{data, tagged};
use super::search::search_error;
use super::{ResponseSink, Session, no_for};
use crate::engine::{Engine, EngineError};
use crate::snapshot::Snapshot;
use crate::sort::{base_subject_and_reply, casemap_owned};
use crate::thread::{
    ThreadLinks, ThreadMessage, ordered_subject, ordered_subject_of, references, references_of,
};

/// The algorithms this engine threads by, as advertised (`THREAD=…`).
pub(crate) const ALGORITHMS: [&str; 2] = ["ORDEREDSUBJECT", "REFERENCES"];

#[derive(Debug, thiserror::Error)]
#[error("message UID {0} is neither in the store nor kept for this session")]
struct Missing(u32);

/// Most messages read into the thread index at once.
const FILL_CHUNK: usize = 65_536;

/// The thread row of a message the store no longer lists in the mailbox,
/// from its kept metadata.
fn kept_row(m: &hadron_store::StoredMessage) -> ThreadRow {
    ThreadRow {
        uid: m.uid,
        internal_date: m.meta.internal_date,
        sent_date: m.meta.sent_date,
        subject: m.meta.subject.clone(),
        thread_refs: m.meta.thread_refs.clone(),
        content_hash: m
            .meta
            .thread_refs
            .is_none()
            .then(|| m.meta.content_hash.clone()),
    }
}

/// What `row` is threaded by, numbered `number`.
fn thread_message(
    blobs: &dyn BlobStore,
    row: ThreadRow,
    number: NonZeroU32,
) -> Result<ThreadMessage, EngineError> {
    let links = match (&row.thread_refs, &row.content_hash) {
        (Some(stored), _) => ThreadLinks::from_stored(stored),
        (None, Some(hash)) => crate::message::thread_links(&blobs.get(hash)?),
        (None, None) => ThreadLinks::default(),
    };
    let (subject, is_reply) = base_subject_and_reply(row.subject.as_deref().unwrap_or(""));
    Ok(ThreadMessage {
        number,
        date: row.sent_date.unwrap_or(row.internal_date),
        subject: casemap_owned(subject),
        is_reply,
        links,
    })
}

/// The messages of `uids` (ascending) to thread, numbered by UID or by
/// sequence number in `snapshot`: the store's rows, and for those it no
/// longer lists, the engine's kept metadata.
fn read_messages(
    store: &Store,
    blobs: &dyn BlobStore,
    engine: &Engine,
    mailbox: hadron_store::MailboxId,
    snapshot: &Snapshot,
    uids: &[u32],
    by_uid: bool,
) -> Result<Vec<ThreadMessage>, EngineError> {
    let mut rows = store.thread_rows(mailbox, &UidSet::from_uids(uids.iter().copied()))?;
    if rows.len() != uids.len() {
        let mut listed: HashMap<u32, ThreadRow> = rows.into_iter().map(|r| (r.uid, r)).collect();
        let gone: Vec<u32> = uids
            .iter()
            .copied()
            .filter(|u| !listed.contains_key(u))
            .collect();
        let mut kept: HashMap<u32, ThreadRow> = engine
            .expunged_metadata(store, mailbox, &gone)?
            .iter()
            .map(|m| (m.uid, kept_row(m)))
            .collect();
        rows = uids
            .iter()
            .map(|u| {
                listed
                    .remove(u)
                    .or_else(|| kept.remove(u))
                    .ok_or_else(|| EngineError::Internal(Missing(*u).to_string()))
            })
            .collect::<Result<_, _>>()?;
    }
    rows.into_iter()
        .filter_map(|row| {
            let number = if by_uid {
                Some(row.uid)
            } else {
                snapshot.seq(row.uid)
            };
            NonZeroU32::new(number?).map(|n| thread_message(blobs, row, n))
        })
        .collect()
}

impl Session {
    /// THREAD / UID THREAD; see the [module docs](self).
    pub(super) async fn thread(
        &mut self,
        tag: &Tag<'_>,
        uid: bool,
        algorithm: ThreadAlgorithm<'static>,
        charset: Charset<'static>,
        keys: Vec<SearchKey<'static>>,
        out: &mut dyn ResponseSink,
    ) {
        let by_references = match algorithm {
            ThreadAlgorithm::References => true,
            ThreadAlgorithm::OrderedSubject => false,
            ThreadAlgorithm::Other(name) => {
                return out.send(tagged(
                    tag,
                    StatusKind::Bad,
                    None,
                    format!("unknown threading algorithm {name}"),
                ));
            }
        };
        let engine = self.engine.clone();
        let Some(mailbox) = self.mailbox.as_ref().map(|m| m.info.id) else {
            return;
        };
        let r = self
            .evaluate_search(
                keys,
                Some(charset),
                out,
                move |store, blobs, snapshot, found| {
                    let Some(index) = engine.thread_index(mailbox) else {
                        let messages = read_messages(
                            store,
                            blobs,
                            &engine,
                            mailbox,
                            snapshot,
                            &found.numbers,
                            uid,
                        )?;
                        return Ok(if by_references {
                            references(&messages)
                        } else {
                            ordered_subject(&messages)
                        });
                    };
                    let mut index = index.lock().unwrap_or_else(PoisonError::into_inner);
                    index.trim(crate::uid_columns::kept_limit(snapshot.len()));
                    // By chunks: what one chunk's rows and messages allocate is
                    // freed and reused by the next, instead of a million of each
                    // alive at once.
                    for chunk in index.missing(&found.numbers).chunks(FILL_CHUNK) {
                        let by_uid =
                            read_messages(store, blobs, &engine, mailbox, snapshot, chunk, true)?;
                        index.insert(&by_uid);
                    }
                    let number = |u: u32| NonZeroU32::new(if uid { u } else { snapshot.seq(u)? });
                    let messages = index.threadable(&found.numbers, number).ok_or_else(|| {
                        EngineError::Internal("the thread index lacks a match".into())
                    })?;
                    Ok(if by_references {
                        references_of(&messages)
                    } else {
                        ordered_subject_of(&messages)
                    })
                },
            )
            .await;
        let Some((issued, r)) = r else {
            return;
        };
        let threads: Vec<Thread> = match r {
            Ok(Ok(threads)) => threads,
            Ok(Err(e)) => return out.send(search_error(tag, &e)),
            Err(e) => return out.send(no_for(tag, &e)),
        };
        out.send(data(Data::Thread(threads)));
        let done = if uid {
            "UID THREAD completed"
        } else {
            "THREAD completed"
        };
        self.ok(tag, issued, done, out);
    }
}
