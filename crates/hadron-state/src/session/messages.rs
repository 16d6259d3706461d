//! Commands that change messages: APPEND, STORE, COPY, MOVE, EXPUNGE,
//! UID EXPUNGE, CLOSE and UNSELECT.

use hadron_proto::types::{
    AppendData, AppendMessage, Code, Data, FetchItem, Mailbox, SequenceSet, StatusKind,
    StoreAction, StoreKind, Tag, UidSet as WireUidSet,
};

use super::catenate::{Refused, UrlBudget};
use super::output::{data, flag_fetch, nz, tagged, untagged_ok};
use super::{ResponseSink, Session, flag_set, no_for};
use crate::connector::FlagMode;
use crate::delivery::{CloseReason, CommandContext};
use crate::engine::{AppendRequest, EngineError, FlagStore};
use crate::flags::SystemFlags;
use crate::mailboxes::store_name;
use crate::snapshot::SeqRanges;
use hadron_store::UidSet;
use std::collections::{HashMap, HashSet};

/// A wire UID set (for APPENDUID / COPYUID) from ascending UIDs.
pub(crate) fn wire_uids(uids: impl IntoIterator<Item = u32>) -> Option<WireUidSet> {
    use hadron_proto::types::{SeqNumber, Sequence};
    let mut items: Vec<Sequence> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    let push = |(a, b): (u32, u32), items: &mut Vec<Sequence>| {
        let (a, b) = (SeqNumber::Value(nz(a)), SeqNumber::Value(nz(b)));
        items.push(if a == b {
            Sequence::Single(a)
        } else {
            Sequence::Range(a, b)
        });
    };
    for u in uids {
        run = match run {
            Some((a, b)) if u == b.wrapping_add(1) => Some((a, u)),
            Some(r) => {
                push(r, &mut items);
                Some((u, u))
            }
            None => Some((u, u)),
        };
    }
    if let Some(r) = run {
        push(r, &mut items);
    }
    SequenceSet::new(items)
        .ok()
        .and_then(|s| WireUidSet::new(s).ok())
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Session {
    /// Resolves a (UID) sequence set against the snapshot; `None` after
    /// writing `BAD` for a sequence number out of range.
    pub(super) fn resolve(
        &self,
        tag: &Tag<'_>,
        uid: bool,
        set: &SequenceSet,
        out: &mut dyn ResponseSink,
    ) -> Option<SeqRanges> {
        let m = self.mailbox.as_ref()?;
        let snap = m.selected.snapshot();
        if set.is_saved() {
            // RFC 5182: `$` names the saved UIDs still in the mailbox,
            // for the sequence-number and UID forms alike.
            let saved = m.saved.as_deref().unwrap_or_default();
            return Some(saved.iter().filter_map(|&u| snap.seq(u)).collect());
        }
        let r = if uid {
            snap.resolve_uids(set)
        } else {
            snap.resolve_seqs(set)
        };
        match r {
            Ok(r) => Some(r),
            Err(e) => {
                out.send(tagged(tag, StatusKind::Bad, None, e.to_string()));
                None
            }
        }
    }

    /// The UIDs of resolved sequence numbers, ascending.
    pub(super) fn uids_of(&self, seqs: &SeqRanges) -> Vec<u32> {
        let Some(m) = self.mailbox.as_ref() else {
            return Vec::new();
        };
        let snap = m.selected.snapshot();
        seqs.iter().filter_map(|s| snap.uid(s)).collect()
    }

    /// APPEND (RFC 3501 §6.3.11, RFC 3502 MULTIAPPEND, RFC 4315 APPENDUID,
    /// RFC 4469 CATENATE: a message put together by `catenate.rs` first;
    /// one that cannot be refuses the whole command). A message sent as a
    /// `literal8` with NUL in parts is stored with those parts in base64
    /// (RFC 3516 §4.4, [`crate::message::storable`]).
    pub(super) async fn append(
        &mut self,
        tag: &Tag<'_>,
        mailbox: &Mailbox<'_>,
        messages: Vec<AppendMessage<'static>>,
        out: &mut dyn ResponseSink,
    ) {
        let no_mailbox = |name: &str| {
            tagged(
                tag,
                StatusKind::No,
                Some(Code::TryCreate),
                format!("no mailbox named {name:?}"),
            )
        };
        if messages
            .iter()
            .any(|m| matches!(m.data, AppendData::Catenate(_)))
        {
            // A missing target is TRYCREATE before any URL is looked at.
            match self
                .engine
                .mailbox(self.acct().id, &store_name(mailbox))
                .await
            {
                Ok(_) => {}
                Err(EngineError::NoSuchMailbox(name)) => return out.send(no_mailbox(&name)),
                Err(e) => return out.send(no_for(tag, &e)),
            }
        }
        let mut requests = Vec::with_capacity(messages.len());
        let mut budget = UrlBudget::default();
        for m in messages {
            let data = match m.data {
                AppendData::Literal(literal) => literal.into_data(),
                AppendData::Catenate(parts) => {
                    match self.catenate(tag, &parts, &mut budget).await {
                        Ok(data) => data,
                        Err(Refused(no)) => return out.send(no),
                    }
                }
            };
            let Ok(raw) = crate::message::storable(data) else {
                let why = "the message holds NUL outside its parts' bodies";
                return out.send(tagged(tag, StatusKind::No, Some(Code::UnknownCte), why));
            };
            requests.push(AppendRequest {
                flags: flag_set(&m.flags),
                internal_date: m.date.map_or_else(now_unix, |d| d.to_unix()),
                uid: None,
                raw,
            });
        }
        let r = self
            .engine
            .append(self.acct(), &store_name(mailbox), requests, Some(self.id))
            .await;
        match r {
            Ok(done) => {
                let issued = self.deliver(CommandContext::Append, out);
                let code = wire_uids(done.uids.iter().copied()).map(|uids| Code::AppendUid {
                    uid_validity: nz(done.uid_validity),
                    uids,
                });
                let code = if issued && code.is_none() {
                    Some(Code::ExpungeIssued)
                } else {
                    code
                };
                if !self.logged_out {
                    out.send(tagged(tag, StatusKind::Ok, code, "APPEND completed"));
                }
            }
            Err(EngineError::NoSuchMailbox(name)) => out.send(no_mailbox(&name)),
            Err(e) => out.send(no_for(tag, &e)),
        }
    }

    /// STORE / UID STORE (RFC 3501 §6.4.6, RFC 7162 §3.1.3): the change is
    /// committed and published, delivery applies it (and others' changes,
    /// as FETCH) without EXPUNGE, then — unless `.SILENT` — one FETCH per
    /// message of the set with its flags as this session now knows them.
    /// With CONDSTORE on, those carry `MODSEQ` (and `.SILENT` still sends
    /// `UID` and `MODSEQ` of the messages it changed); messages that fail
    /// `UNCHANGEDSINCE` are left alone and named by `[MODIFIED …]`.
    pub(super) async fn store(
        &mut self,
        tag: &Tag<'_>,
        uid: bool,
        set: &SequenceSet,
        unchanged_since: Option<u64>,
        action: &StoreAction<'_>,
        out: &mut dyn ResponseSink,
    ) {
        if self.mailbox.as_ref().is_some_and(|m| m.read_only) {
            return out.send(tagged(
                tag,
                StatusKind::No,
                Some(Code::ReadOnly),
                "mailbox is read-only",
            ));
        }
        let Some(seqs) = self.resolve(tag, uid, set, out) else {
            return;
        };
        if unchanged_since.is_some() {
            self.enable_condstore(out);
        }
        let uids: Vec<u32> = {
            let Some(m) = self.mailbox.as_ref() else {
                return;
            };
            let snap = m.selected.snapshot();
            // Messages expunged elsewhere are left alone.
            seqs.iter()
                .filter(|&s| !snap.is_pending_expunge(s))
                .filter_map(|s| snap.uid(s))
                .collect()
        };
        let mode = match action.kind {
            StoreKind::Add => FlagMode::Add,
            StoreKind::Remove => FlagMode::Remove,
            StoreKind::Replace => FlagMode::Replace,
        };
        let info = match self.mailbox.as_ref() {
            Some(m) => m.info.clone(),
            None => return,
        };
        let change = FlagStore {
            mode,
            flags: flag_set(&action.flags),
            unchanged_since,
        };
        let stored = match self
            .engine
            .store_flags_if(self.acct(), &info, uids, change, Some(self.id))
            .await
        {
            Ok(s) => s,
            Err(e) => return out.send(no_for(tag, &e)),
        };
        let issued = self.deliver(CommandContext::Store, out);
        if self.logged_out {
            return;
        }
        let (condstore, qresync) = (self.condstore(), self.qresync());
        // The mod-sequence of each message to report: those changed have
        // the write's; with CONDSTORE on and FLAGS to send, the others'
        // are read.
        let changed: HashSet<u32> = stored.changed.iter().map(|c| c.0).collect();
        if let Some(m) = self.mailbox.as_mut() {
            m.contexts.mark(changed.iter().copied());
        }
        let mut modseqs: HashMap<u32, u64> = changed.iter().map(|&u| (u, stored.modseq)).collect();
        if condstore && !action.silent {
            let unchanged: Vec<u32> = self
                .uids_of(&seqs)
                .into_iter()
                .filter(|u| !changed.contains(u))
                .collect();
            if !unchanged.is_empty() {
                let id = info.id;
                let read = self
                    .engine
                    .blocking(move |store, _| {
                        Ok(store.fetch_flags(id, &UidSet::from_uids(unchanged))?)
                    })
                    .await;
                match read {
                    Ok(rows) => modseqs.extend(rows.into_iter().map(|r| (r.uid, r.modseq))),
                    Err(e) => return out.send(no_for(tag, &e)),
                }
            }
        }
        let Some(m) = self.mailbox.as_mut() else {
            return;
        };
        let snap = m.selected.snapshot();
        let modified: HashSet<u32> = stored.modified.iter().copied().collect();
        let mut modified_ids = Vec::new();
        for seq in seqs.iter() {
            let Some(msg) = snap.get(seq) else {
                continue;
            };
            if modified.contains(&msg.uid) {
                modified_ids.push(if uid { msg.uid } else { seq });
                continue;
            }
            if condstore && msg.pending_expunge {
                // Expunged elsewhere, left alone, and its MODSEQ (which
                // every FETCH must carry now) is gone with it.
                continue;
            }
            let modseq = modseqs
                .get(&msg.uid)
                .filter(|_| condstore)
                .map(|&s| m.told.tell(msg.uid, s, snap.modseq()));
            let mut items = Vec::new();
            if !action.silent {
                items.push(FetchItem::Flags(flag_fetch(&msg.flags(), msg.recent)));
            } else if modseq.is_none() || !changed.contains(&msg.uid) {
                continue;
            }
            // With QRESYNC every FETCH names its message (RFC 7162 §3.2.4).
            if uid || modseq.is_some() || qresync {
                items.push(FetchItem::Uid(nz(msg.uid)));
            }
            items.extend(modseq.map(FetchItem::ModSeq));
            out.send(data(Data::Fetch {
                seq: nz(seq),
                items,
            }));
        }
        if let Some(set) = wire_uids(modified_ids) {
            self.tell_held_modseq(out);
            let code = Code::Modified(set.as_sequence_set().clone());
            out.send(tagged(
                tag,
                StatusKind::Ok,
                Some(code),
                "conditional STORE failed for some",
            ));
            return;
        }
        self.ok(tag, issued, "STORE completed", out);
    }

    /// COPY / MOVE and their UID forms (RFC 3501 §6.4.7, RFC 6851, RFC 4315
    /// COPYUID). COPY is allowed in a read-only mailbox.
    pub(super) async fn copy(
        &mut self,
        tag: &Tag<'_>,
        uid: bool,
        set: &SequenceSet,
        target: &Mailbox<'_>,
        is_move: bool,
        out: &mut dyn ResponseSink,
    ) {
        if is_move && self.mailbox.as_ref().is_some_and(|m| m.read_only) {
            return out.send(tagged(
                tag,
                StatusKind::No,
                Some(Code::ReadOnly),
                "mailbox is read-only",
            ));
        }
        let Some(seqs) = self.resolve(tag, uid, set, out) else {
            return;
        };
        let uids = self.uids_of(&seqs);
        let info = match self.mailbox.as_ref() {
            Some(m) => m.info.clone(),
            None => return,
        };
        let to = store_name(target);
        let r = if is_move {
            self.engine
                .move_messages(self.acct(), &info, uids, &to, Some(self.id))
                .await
        } else {
            self.engine.copy(self.acct(), &info, uids, &to).await
        };
        let done = match r {
            Ok(d) => d,
            Err(EngineError::NoSuchMailbox(name)) => {
                return out.send(tagged(
                    tag,
                    StatusKind::No,
                    Some(Code::TryCreate),
                    format!("no mailbox named {name:?}"),
                ));
            }
            Err(e) => return out.send(no_for(tag, &e)),
        };
        let copyuid = match (
            wire_uids(done.uid_map.iter().map(|p| p.0)),
            wire_uids(done.uid_map.iter().map(|p| p.1)),
        ) {
            (Some(source), Some(destination)) => Some(Code::CopyUid {
                uid_validity: nz(done.uid_validity),
                source,
                destination,
            }),
            _ => None,
        };
        if is_move {
            // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges.
            if let Some(code) = copyuid {
                out.send(untagged_ok(Some(code), "moved"));
            }
            let issued = self.deliver(CommandContext::Move, out);
            // RFC 6851 §4.4 with QRESYNC.
            self.ok_after_expunge(tag, issued, "MOVE completed", out);
        } else {
            let issued = self.deliver(CommandContext::Copy, out);
            if self.logged_out {
                return;
            }
            let code = copyuid.or(issued.then_some(Code::ExpungeIssued));
            self.tell_held_modseq(out);
            out.send(tagged(tag, StatusKind::Ok, code, "COPY completed"));
        }
    }

    /// The UIDs of messages this session sees with `\Deleted` (none
    /// pending expunge), optionally limited to some sequence numbers.
    fn deleted_uids(&self, only: Option<&SeqRanges>) -> UidSet {
        let Some(m) = self.mailbox.as_ref() else {
            return UidSet::new();
        };
        let snap = m.selected.snapshot();
        UidSet::from_uids(
            snap.iter()
                .enumerate()
                .filter(|(i, msg)| {
                    msg.system.contains(SystemFlags::DELETED)
                        && !msg.pending_expunge
                        && only.is_none_or(|r| r.contains(*i as u32 + 1))
                })
                .map(|(_, msg)| msg.uid),
        )
    }

    /// EXPUNGE / UID EXPUNGE (RFC 3501 §6.4.3, RFC 4315 §2.1).
    pub(super) async fn expunge(
        &mut self,
        tag: &Tag<'_>,
        uid_set: Option<SequenceSet>,
        out: &mut dyn ResponseSink,
    ) {
        if self.mailbox.as_ref().is_some_and(|m| m.read_only) {
            return out.send(tagged(
                tag,
                StatusKind::No,
                Some(Code::ReadOnly),
                "mailbox is read-only",
            ));
        }
        // EXPUNGE removes every message with \Deleted, also those flagged
        // or added by others since this session was last told: tell it
        // first (EXPUNGE may say everything), then choose from its
        // snapshot, which is current now — without reading every row.
        self.deliver(CommandContext::Expunge, out);
        if self.logged_out {
            return;
        }
        let only = match &uid_set {
            Some(set) => match self.resolve(tag, true, set, out) {
                Some(r) => Some(r),
                None => return,
            },
            None => None,
        };
        let candidates = self.deleted_uids(only.as_ref());
        let info = match self.mailbox.as_ref() {
            Some(m) => m.info.clone(),
            None => return,
        };
        let r = self
            .engine
            .expunge_deleted(self.acct(), &info, candidates, Some(self.id))
            .await;
        if let Err(e) = r {
            return out.send(no_for(tag, &e));
        }
        let issued = self.deliver(CommandContext::Expunge, out);
        // RFC 7162 §3.2.10.
        self.ok_after_expunge(tag, issued, "EXPUNGE completed", out);
    }

    /// CLOSE (silently expunges `\Deleted` messages when read-write) and
    /// UNSELECT (RFC 3691): back to the Authenticated state.
    pub(super) async fn close(&mut self, tag: &Tag<'_>, expunge: bool, out: &mut dyn ResponseSink) {
        let Some(m) = self.mailbox.as_ref() else {
            return;
        };
        if expunge && !m.read_only {
            let info = m.info.clone();
            // Silently up to date first (CLOSE says nothing), so that
            // \Deleted set by others counts too. A session too far behind
            // cannot know: then every message is a candidate.
            let lost = self.mailbox.as_mut().is_some_and(|m| {
                let d = m.selected.deliver(&m.subscription, CommandContext::Close);
                d.close == Some(CloseReason::QueueOverflow)
            });
            let candidates = if lost {
                UidSet::all()
            } else {
                self.deleted_uids(None)
            };
            if let Err(e) = self
                .engine
                .expunge_deleted(self.acct(), &info, candidates, Some(self.id))
                .await
            {
                return out.send(no_for(tag, &e));
            }
        }
        if let Some(m) = self.mailbox.as_mut() {
            // Applied silently: CLOSE sends no EXPUNGE.
            m.selected.deliver(&m.subscription, CommandContext::Close);
        }
        self.leave();
        let what = if expunge {
            "CLOSE completed"
        } else {
            "UNSELECT completed"
        };
        out.send(tagged(tag, StatusKind::Ok, None, what));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_collapse_runs() {
        let s = wire_uids([1, 2, 3, 5, 7, 8]).unwrap();
        assert_eq!(s.as_sequence_set().to_string(), "1:3,5,7:8");
        assert!(wire_uids([]).is_none());
    }
}
