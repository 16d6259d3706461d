//! SEARCH / UID SEARCH (RFC 3501 §6.4.4), with ESEARCH result options
//! (RFC 4731) and the saved result `$` (RFC 5182).
//!
//! Queued updates are delivered first, as SEARCH allows (flag changes
//! yes, EXPUNGE held back with `[EXPUNGEISSUED]`), so the keys see the
//! flags the client has just been told. The snapshot is then copied and
//! the keys evaluated inside `spawn_blocking` against a
//! [`StoreSource`](super::search_source::StoreSource).

use std::num::NonZeroU32;

use hadron_proto::types::{
    Charset, Code, Data, ESearch, ESearchItem, IString, SearchKey, SearchReturnOption, StatusKind,
    Tag,
};

use super::condstore::as_of_snapshot;
use super::contexts::ContextResult;
use super::esearch::Wanted;
use super::output::{Output, data, tagged};
use super::search_source::StoreSource;
use super::{ResponseSink, Session, no_for};
use hadron_store::{BlobStore, Store};

use crate::delivery::CommandContext;
use crate::engine::EngineError;
use crate::search::{
    SUPPORTED_CHARSETS, SearchError, SearchOptions, SearchResult, search, uses_modseq,
};
use crate::snapshot::Snapshot;

/// The matches of one search, in both numberings.
struct Found {
    uids: Vec<u32>,
    seqs: Vec<u32>,
    modseq: Option<u64>,
}

fn nonzero(n: u32) -> Option<NonZeroU32> {
    NonZeroU32::new(n)
}

/// `* ESEARCH (TAG "tag") [UID] items`.
pub(super) fn esearch(tag: &Tag<'_>, uid: bool, items: Vec<ESearchItem>) -> Output {
    data(Data::ESearch(ESearch {
        tag: IString::try_from(tag.as_str().to_owned()).ok(),
        uid,
        items,
    }))
}

/// The tagged answer to a search that could not be evaluated.
pub(super) fn search_error(tag: &Tag<'_>, e: &SearchError) -> Output {
    match e {
        SearchError::BadCharset(name) => tagged(
            tag,
            StatusKind::No,
            Some(Code::BadCharset(
                SUPPORTED_CHARSETS
                    .iter()
                    .filter_map(|c| Charset::try_from(*c).ok())
                    .collect(),
            )),
            format!("charset {name} is not supported"),
        ),
        SearchError::NotAscii | SearchError::InvalidUtf8 => {
            tagged(tag, StatusKind::Bad, None, e.to_string())
        }
        SearchError::Source(_) | SearchError::SourceMismatch { .. } => {
            tagged(tag, StatusKind::No, Some(Code::ServerBug), e.to_string())
        }
    }
}

impl Session {
    /// What SEARCH and SORT share: turns CONDSTORE on for a `MODSEQ`
    /// key, delivers the updates SEARCH allows (flag changes; expunges
    /// held back, RFC 3501 §7.4.1), then evaluates `criteria` on a
    /// blocking thread against a copy of the snapshot (its arrays are
    /// shared, not copied) and hands the matches to `then` there, with
    /// the store and blobs for further reads. `None` when the session ended or has
    /// no mailbox; else whether the tagged OK owes `[EXPUNGEISSUED]`, and
    /// the outcome.
    pub(super) async fn evaluate_search<T, F>(
        &mut self,
        criteria: Vec<SearchKey<'static>>,
        charset: Option<Charset<'static>>,
        out: &mut dyn ResponseSink,
        then: F,
    ) -> Option<(bool, Result<Result<T, SearchError>, EngineError>)>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &dyn BlobStore, &Snapshot, SearchResult) -> Result<T, EngineError>
            + Send
            + 'static,
    {
        let modseq = uses_modseq(&criteria);
        if modseq {
            self.enable_condstore(out);
        }
        let issued = self.deliver(CommandContext::Search, out);
        if self.logged_out {
            return None;
        }
        let r = self.evaluate(criteria, charset, modseq, then).await?;
        Some((issued, r))
    }

    /// Evaluates `criteria` against the snapshot as it is now (nothing
    /// delivered), on a blocking thread, and hands the matches (UIDs) to
    /// `then` there. `None` without a selected mailbox.
    pub(super) async fn evaluate<T, F>(
        &self,
        criteria: Vec<SearchKey<'static>>,
        charset: Option<Charset<'static>>,
        modseq: bool,
        then: F,
    ) -> Option<Result<Result<T, SearchError>, EngineError>>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &dyn BlobStore, &Snapshot, SearchResult) -> Result<T, EngineError>
            + Send
            + 'static,
    {
        let m = self.mailbox.as_ref()?;
        let snapshot = m.selected.snapshot().clone();
        let saved = m.saved.clone();
        let mailbox = m.info.id;
        let engine = self.engine.clone();
        let r = self
            .engine
            .blocking(move |store, blobs| {
                let source = StoreSource::new(store, blobs, &engine, mailbox, &criteria, modseq);
                let options = SearchOptions {
                    return_uids: true,
                    highest_modseq: modseq,
                    saved: saved.as_deref(),
                    now: None,
                };
                match search(&snapshot, &criteria, charset.as_ref(), &source, &options) {
                    Ok(found) => then(store, blobs, &snapshot, found).map(Ok),
                    Err(e) => Ok(Err(e)),
                }
            })
            .await;
        Some(r)
    }

    /// Writes `answer`; a failed SEARCH with SAVE empties `$` (RFC 5182
    /// §2.1).
    fn search_failed(&mut self, save: bool, answer: Output, out: &mut dyn ResponseSink) {
        if save && let Some(m) = self.mailbox.as_mut() {
            m.saved = Some(Vec::new());
        }
        out.send(answer);
    }

    /// SEARCH / UID SEARCH; see the [module docs](self).
    pub(super) async fn search(
        &mut self,
        tag: &Tag<'_>,
        uid: bool,
        return_options: Option<Vec<SearchReturnOption>>,
        charset: Option<Charset<'static>>,
        criteria: Vec<SearchKey<'static>>,
        out: &mut dyn ResponseSink,
    ) {
        let wanted = return_options.as_deref().map(Wanted::of);
        let save = wanted.is_some_and(|w| w.save);
        let context = wanted
            .is_some_and(|w| w.update)
            .then(|| (criteria.clone(), charset.clone()));
        let r = self
            .evaluate_search(criteria, charset, out, |_, _, snapshot, r| {
                let seqs = r.numbers.iter().filter_map(|&u| snapshot.seq(u)).collect();
                Ok(Found {
                    uids: r.numbers,
                    seqs,
                    modseq: r.highest_modseq,
                })
            })
            .await;
        let Some((issued, r)) = r else {
            return;
        };
        let Some(mailbox) = self.mailbox.as_ref().map(|m| m.info.id) else {
            return;
        };
        let mut found = match r {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => return self.search_failed(save, search_error(tag, &e), out),
            Err(e) => return self.search_failed(save, no_for(tag, &e), out),
        };
        if let Some(w) = wanted
            && found.modseq.is_some()
            && let Some(ends) = w.returned(&found.uids)
        {
            // RFC 7162 §3.1.5 (RFC 4731 results): with only MIN, MAX or
            // PARTIAL, MODSEQ is the highest of the messages returned.
            let read = self
                .engine
                .blocking(move |store, _| {
                    Ok(store.fetch_flags(mailbox, &hadron_store::UidSet::from_uids(ends))?)
                })
                .await;
            match read {
                Ok(rows) => found.modseq = rows.iter().map(|r| r.modseq).max().or(found.modseq),
                Err(e) => return self.search_failed(save, no_for(tag, &e), out),
            }
        }
        if let Some(m) = self.mailbox.as_ref() {
            // Beside results from the snapshot, a newer change is not told.
            let snapshot = m.selected.snapshot().modseq();
            found.modseq = found.modseq.map(|s| as_of_snapshot(s, snapshot));
        }
        let numbers = if uid { &found.uids } else { &found.seqs };
        match wanted {
            None => out.send(data(Data::Search {
                ids: numbers.iter().filter_map(|&n| nonzero(n)).collect(),
                modseq: found.modseq,
            })),
            Some(w) => {
                if w.save
                    && let Some(m) = self.mailbox.as_mut()
                {
                    m.saved = Some(w.saved(&found.uids));
                }
                if w.answers() {
                    out.send(esearch(tag, uid, w.items(numbers, found.modseq)));
                }
                if let Some((keys, charset)) = context {
                    let result = ContextResult::Search(found.uids);
                    self.start_context(tag, uid, keys, charset, result, out);
                }
            }
        }
        let done = if uid {
            "UID SEARCH completed"
        } else {
            "SEARCH completed"
        };
        self.ok(tag, issued, done, out);
    }
}
