//! SORT / UID SORT (RFC 5256 §3), with the DISPLAYFROM and DISPLAYTO keys
//! of SORT=DISPLAY (RFC 5957).
//!
//! As for SEARCH, queued updates are delivered first under
//! [`CommandContext::Search`] (flag changes yes, EXPUNGE held back with
//! `[EXPUNGEISSUED]`, RFC 3501 §7.4.1), so the keys see what the client
//! has just been told. The search criteria are evaluated by
//! [`crate::search::search`] on a copy of the snapshot; the matches are
//! then ordered by the mailbox's keys kept in memory beside its shared
//! index ([`crate::sort_index`]), as integers. Keys the index lacks (every
//! match's at the first SORT of a key, new messages' later) are read first
//! from the columns stored at ingest ([`Store::sort_rows`], by UID chunks,
//! only the keys the criteria name). A message expunged elsewhere but
//! still shown is sorted by its tombstone's keys. Messages are never
//! re-read or re-parsed to sort. An updating SORT (CONTEXT=SORT) reads the
//! keys into [`SortMessage`]s instead, which it keeps to place the
//! messages that arrive later.
//!
//! With a `MODSEQ` search key the answer carries `(MODSEQ n)` (RFC 7162
//! §3.1.5), the highest of the matches, as SEARCH does.
//!
//! `SORT RETURN (…)` (ESORT, RFC 5267 §3.2) answers `* ESEARCH` instead,
//! with the result options SEARCH has ([`super::esearch`]) applied to the
//! sorted list: MIN and MAX are its first and last message, ALL and
//! PARTIAL (RFC 9394) keep its order.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};

use hadron_proto::types::{Charset, Data, SearchKey, SortCriterion, SortKey, Tag};
use hadron_store::{SortColumns, SortRow, SortText, Store, StoredMessage, UidSet};

use super::condstore::as_of_snapshot;
use super::contexts::ContextResult;
use super::esearch::Wanted;
use super::output::data;
use super::search::{esearch, search_error};
use super::{ResponseSink, Session, no_for};
use crate::engine::{Engine, EngineError};
use crate::search::SearchResult;
use crate::snapshot::Snapshot;
use crate::sort::{
    SortMessage, base_subject, casemap, casemap_owned, first_display_of_search_text,
    first_mailbox_of_search_text, sort, uses,
};
use crate::sort_index::{SortIndex, keys_of, sort_uids};

/// The text keys `criteria` compare.
pub(super) fn columns(criteria: &[SortCriterion]) -> SortColumns {
    SortColumns {
        subject: uses(criteria, SortKey::Subject),
        from: uses(criteria, SortKey::From),
        to: uses(criteria, SortKey::To),
        cc: uses(criteria, SortKey::Cc),
        display_from: uses(criteria, SortKey::DisplayFrom),
        display_to: uses(criteria, SortKey::DisplayTo),
    }
}

/// A stored text key in comparable form; `derive` makes it from the
/// search column of a row stored before the keys were.
fn text_key(text: SortText, derive: fn(&str) -> String) -> String {
    match text {
        SortText::NotRead | SortText::Legacy(None) => String::new(),
        SortText::Key(k) => casemap_owned(k),
        SortText::Legacy(Some(v)) => casemap(&derive(&v)),
    }
}

fn sort_message(r: SortRow) -> SortMessage {
    SortMessage {
        uid: r.uid,
        size: r.size,
        arrival: r.internal_date,
        date: r.sent_date.unwrap_or(r.internal_date),
        subject: text_key(r.subject, base_subject),
        from: text_key(r.from, first_mailbox_of_search_text),
        to: text_key(r.to, first_mailbox_of_search_text),
        cc: text_key(r.cc, first_mailbox_of_search_text),
        display_from: text_key(r.display_from, first_display_of_search_text),
        display_to: text_key(r.display_to, first_display_of_search_text),
    }
}

/// The sort row of a message the store no longer lists in the mailbox,
/// from its kept metadata.
fn kept_row(m: &StoredMessage, columns: SortColumns) -> SortRow {
    let meta = &m.meta;
    let text = |wanted: bool, key: Option<&String>, legacy: &Option<String>| match key {
        _ if !wanted => SortText::NotRead,
        Some(k) => SortText::Key(k.clone()),
        None => SortText::Legacy(legacy.clone()),
    };
    let keys = meta.sort_keys.as_ref();
    SortRow {
        uid: m.uid,
        size: meta.size,
        internal_date: meta.internal_date,
        sent_date: meta.sent_date,
        subject: text(columns.subject, keys.map(|k| &k.subject), &meta.subject),
        from: text(columns.from, keys.map(|k| &k.from), &meta.from),
        to: text(columns.to, keys.map(|k| &k.to), &meta.to),
        cc: text(columns.cc, keys.map(|k| &k.cc), &meta.cc),
        display_from: text(
            columns.display_from,
            keys.map(|k| &k.display_from),
            &meta.from,
        ),
        display_to: text(columns.display_to, keys.map(|k| &k.display_to), &meta.to),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("message UID {0} is neither in the store nor kept for this session")]
struct Missing(u32);

/// The sort keys of `uids` (ascending): the store's rows, and for those it
/// no longer lists, the engine's kept metadata.
pub(super) fn read_keys(
    store: &Store,
    engine: &Engine,
    mailbox: hadron_store::MailboxId,
    uids: &[u32],
    columns: SortColumns,
) -> Result<Vec<SortMessage>, EngineError> {
    let rows = store.sort_rows(mailbox, &UidSet::from_uids(uids.iter().copied()), columns)?;
    let mut out: Vec<SortMessage> = Vec::with_capacity(uids.len());
    if rows.len() == uids.len() {
        out.extend(rows.into_iter().map(sort_message));
        return Ok(out);
    }
    let mut listed: HashMap<u32, SortRow> = rows.into_iter().map(|r| (r.uid, r)).collect();
    let gone: Vec<u32> = uids
        .iter()
        .copied()
        .filter(|u| !listed.contains_key(u))
        .collect();
    let mut kept: HashMap<u32, SortRow> = engine
        .expunged_metadata(store, mailbox, &gone)?
        .iter()
        .map(|m| (m.uid, kept_row(m, columns)))
        .collect();
    for &u in uids {
        let row = listed
            .remove(&u)
            .or_else(|| kept.remove(&u))
            .ok_or_else(|| EngineError::Internal(Missing(u).to_string()))?;
        out.push(sort_message(row));
    }
    Ok(out)
}

/// The matches in `criteria`'s order, by the keys `index` keeps for the
/// mailbox: those it lacks are read first (every match's, the first time),
/// after dropping columns grown past `limit` UIDs by expunges since.
fn sort_kept(
    store: &Store,
    engine: &Engine,
    mailbox: hadron_store::MailboxId,
    index: &Mutex<SortIndex>,
    limit: usize,
    found: &SearchResult,
    criteria: &[SortCriterion],
) -> Result<Vec<u32>, EngineError> {
    if found.numbers.is_empty() {
        return Ok(Vec::new());
    }
    let keys = keys_of(criteria);
    let columns = {
        let mut index = index.lock().unwrap_or_else(PoisonError::into_inner);
        index.trim(limit);
        let missing = index.missing(&keys, &found.numbers);
        if !missing.is_empty() {
            let messages = read_keys(store, engine, mailbox, &missing, columns(criteria))?;
            index.insert(&keys, &messages);
        }
        index.columns(criteria)
    };
    columns
        .and_then(|c| sort_uids(&found.numbers, criteria, &c))
        .ok_or_else(|| EngineError::Internal("a sort column lacks a match".into()))
}

/// The matches of one SORT by UID, in order.
struct Sorted {
    uids: Vec<u32>,
    modseq: Option<u64>,
    /// The matches with their keys, kept for an updating SORT.
    kept: Option<Vec<SortMessage>>,
}

/// A SORT command's parts besides its search.
pub(super) struct SortRequest {
    /// `UID SORT`.
    pub(super) uid: bool,
    /// `RETURN (…)` (ESORT); `None` for a `* SORT` answer.
    pub(super) wanted: Option<Wanted>,
    /// The sort order.
    pub(super) criteria: Vec<SortCriterion>,
}

fn numbers(snapshot: &Snapshot, sorted: &Sorted, uid: bool) -> Vec<NonZeroU32> {
    sorted
        .uids
        .iter()
        .filter_map(|&u| if uid { Some(u) } else { snapshot.seq(u) })
        .filter_map(NonZeroU32::new)
        .collect()
}

impl Session {
    /// SORT / UID SORT; see the [module docs](self).
    pub(super) async fn sort(
        &mut self,
        tag: &Tag<'_>,
        request: SortRequest,
        charset: Charset<'static>,
        keys: Vec<SearchKey<'static>>,
        out: &mut dyn ResponseSink,
    ) {
        let engine = self.engine.clone();
        let Some(mailbox) = self.mailbox.as_ref().map(|m| m.info.id) else {
            return;
        };
        let SortRequest {
            uid,
            wanted,
            criteria,
        } = request;
        let context = wanted
            .is_some_and(|w| w.update)
            .then(|| (keys.clone(), charset.clone(), criteria.clone()));
        let r = self
            .evaluate_search(
                keys,
                Some(charset),
                out,
                move |store, _, snapshot, found| {
                    let update = wanted.is_some_and(|w| w.update);
                    let kept_keys = if update {
                        None
                    } else {
                        engine.sort_index(mailbox)
                    };
                    let (uids, kept) = match kept_keys {
                        Some(index) => {
                            let limit = crate::uid_columns::kept_limit(snapshot.len());
                            let uids = sort_kept(
                                store, &engine, mailbox, &index, limit, &found, &criteria,
                            )?;
                            (uids, None)
                        }
                        None => {
                            let mut messages = read_keys(
                                store,
                                &engine,
                                mailbox,
                                &found.numbers,
                                columns(&criteria),
                            )?;
                            sort(&mut messages, &criteria);
                            let uids: Vec<u32> = messages.iter().map(|m| m.uid).collect();
                            (uids, update.then_some(messages))
                        }
                    };
                    let mut modseq = found.highest_modseq;
                    // RFC 7162 §3.1.5: with only MIN, MAX or PARTIAL, MODSEQ is
                    // the highest of the messages returned.
                    if modseq.is_some()
                        && let Some(returned) = wanted.and_then(|w| w.returned(&uids))
                    {
                        let rows = store.fetch_flags(mailbox, &UidSet::from_uids(returned))?;
                        modseq = rows.iter().map(|r| r.modseq).max().or(modseq);
                    }
                    Ok(Sorted { uids, modseq, kept })
                },
            )
            .await;
        let Some((issued, r)) = r else {
            return;
        };
        let sorted = match r {
            Ok(Ok(sorted)) => sorted,
            Ok(Err(e)) => return out.send(search_error(tag, &e)),
            Err(e) => return out.send(no_for(tag, &e)),
        };
        let Some(m) = self.mailbox.as_mut() else {
            return;
        };
        if let Some(w) = wanted
            && w.save
        {
            m.saved = Some(w.saved(&sorted.uids));
        }
        let snapshot = m.selected.snapshot();
        let ids = numbers(snapshot, &sorted, uid);
        // Beside results from the snapshot, a newer change is not told.
        let modseq = sorted.modseq.map(|s| as_of_snapshot(s, snapshot.modseq()));
        match wanted {
            None => out.send(data(Data::Sort { ids, modseq })),
            Some(w) if w.answers() => {
                let numbers: Vec<u32> = ids.iter().map(|n| n.get()).collect();
                out.send(esearch(tag, uid, w.items(&numbers, modseq)));
            }
            Some(_) => {}
        }
        if let Some((keys, charset, criteria)) = context
            && let Some(sorted) = sorted.kept
        {
            let result = ContextResult::Sort { criteria, sorted };
            self.start_context(tag, uid, keys, Some(charset), result, out);
        }
        let done = if uid {
            "UID SORT completed"
        } else {
            "SORT completed"
        };
        self.ok(tag, issued, done, out);
    }
}
