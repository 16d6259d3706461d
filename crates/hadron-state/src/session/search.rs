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
use super::messages::wire_uids;
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

/// What `RETURN (...)` asks for.
#[derive(Debug, Default, Clone, Copy)]
struct Wanted {
    min: bool,
    max: bool,
    all: bool,
    count: bool,
    save: bool,
}

impl Wanted {
    fn of(options: &[SearchReturnOption]) -> Wanted {
        let mut w = Wanted::default();
        for o in options {
            match o {
                SearchReturnOption::Min => w.min = true,
                SearchReturnOption::Max => w.max = true,
                SearchReturnOption::All => w.all = true,
                SearchReturnOption::Count => w.count = true,
                SearchReturnOption::Save => w.save = true,
            }
        }
        // RFC 4731: `RETURN ()` is `RETURN (ALL)`.
        if options.is_empty() {
            w.all = true;
        }
        w
    }
}

fn nonzero(n: u32) -> Option<NonZeroU32> {
    NonZeroU32::new(n)
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
                };
                match search(&snapshot, &criteria, charset.as_ref(), &source, &options) {
                    Ok(found) => then(store, blobs, &snapshot, found).map(Ok),
                    Err(e) => Ok(Err(e)),
                }
            })
            .await;
        Some((issued, r))
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
            && (w.min || w.max)
            && !w.all
            && !w.count
            && found.modseq.is_some()
        {
            // RFC 7162 §3.1.5 (RFC 4731 results): with only MIN and/or MAX,
            // MODSEQ is the highest of the messages returned.
            let ends: Vec<u32> = [
                w.min.then(|| found.uids.first()),
                w.max.then(|| found.uids.last()),
            ]
            .into_iter()
            .flatten()
            .flatten()
            .copied()
            .collect();
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
                if w.save {
                    // RFC 5182 §2.4: with MIN and/or MAX alone, only those
                    // are saved.
                    let only_ends = (w.min || w.max) && !w.all && !w.count;
                    let kept: Vec<u32> = if only_ends {
                        let mut v = Vec::new();
                        if w.min {
                            v.extend(found.uids.first());
                        }
                        if w.max {
                            v.extend(found.uids.last());
                        }
                        v.dedup();
                        v
                    } else {
                        found.uids.clone()
                    };
                    if let Some(m) = self.mailbox.as_mut() {
                        m.saved = Some(kept);
                    }
                }
                // RFC 5182 §2.4: SAVE alone answers no ESEARCH.
                if w.min || w.max || w.all || w.count {
                    let mut items = Vec::new();
                    if w.min
                        && let Some(n) = numbers.first().and_then(|&n| nonzero(n))
                    {
                        items.push(ESearchItem::Min(n));
                    }
                    if w.max
                        && let Some(n) = numbers.last().and_then(|&n| nonzero(n))
                    {
                        items.push(ESearchItem::Max(n));
                    }
                    if w.all
                        && let Some(set) = wire_uids(numbers.iter().copied())
                    {
                        items.push(ESearchItem::All(set.as_sequence_set().clone()));
                    }
                    if w.count {
                        items.push(ESearchItem::Count(
                            u32::try_from(numbers.len()).unwrap_or(u32::MAX),
                        ));
                    }
                    if let Some(modseq) = found.modseq {
                        items.push(ESearchItem::ModSeq(modseq));
                    }
                    out.send(data(Data::ESearch(ESearch {
                        tag: IString::try_from(tag.as_str().to_owned()).ok(),
                        uid,
                        items,
                    })));
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
