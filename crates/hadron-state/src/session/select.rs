//! SELECT and EXAMINE (RFC 3501 §6.3.1–2): subscribing to the mailbox's
//! updates, building the session's snapshot (from the instance's shared
//! index when it has one, else from the store) and the untagged responses.

use std::sync::Arc;

use hadron_proto::types::{Code, Data, Mailbox, QResync, SelectParam, StatusKind, Tag};
use hadron_store::{MailboxInfo, UidSet};

use super::condstore::{ToldModseqs, highest_modseq, uid_set_of, vouched_uid};
use super::output::{data, nz, tagged, untagged_ok};
use super::{ResponseSink, SelectedMailbox, Session, flag_responses, no_for};
use crate::delivery::{CommandContext, Selected};
use crate::engine::{EngineError, claim_stored_recent, flags_from_store, hub_id};
use crate::mailboxes::store_name;
use crate::snapshot::Snapshot;

impl Session {
    /// SELECT / EXAMINE (RFC 3501 §6.3.1–2), with the CONDSTORE and
    /// QRESYNC parameters (RFC 7162 §3.1.8, §3.2.5).
    pub(super) async fn select(
        &mut self,
        tag: &Tag<'_>,
        mailbox: &Mailbox<'_>,
        params: &[SelectParam],
        read_only: bool,
        out: &mut dyn ResponseSink,
    ) {
        let mut resync: Option<&QResync> = None;
        for p in params {
            match p {
                SelectParam::CondStore => self.enable_condstore(out),
                SelectParam::QResync(q) if self.qresync() => resync = Some(q),
                SelectParam::QResync(_) => {
                    self.leave();
                    return out.send(tagged(
                        tag,
                        StatusKind::Bad,
                        None,
                        "QRESYNC parameter without ENABLE QRESYNC (RFC 7162 §3.2.5)",
                    ));
                }
            }
        }
        // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1);
        // the client is told the old one is closed.
        let was_selected = self.mailbox.is_some();
        self.leave();
        if was_selected {
            // RFC 7162 §3.2.11: a server with CONDSTORE says so whether or
            // not the client enabled anything.
            out.send(untagged_ok(Some(Code::Closed), "previous mailbox closed"));
        }
        let name = store_name(mailbox);
        let info = match self.engine.mailbox(self.acct().id, &name).await {
            Ok(i) => i,
            Err(e) => return out.send(no_for(tag, &e)),
        };
        let wake = self.wake.clone();
        // Subscribe first, read second: updates in between are in both,
        // which is harmless (updates are absolute).
        let notify: Arc<dyn crate::update::Notify> = Arc::new(move || wake.notify_one());
        let subscription = if read_only {
            self.engine
                .hub()
                .subscribe_read_only(hub_id(info.id), self.id, Some(notify))
        } else {
            self.engine
                .hub()
                .subscribe(hub_id(info.id), self.id, Some(notify))
        };
        let (info, snapshot) = match self.read_index(info.id, read_only).await {
            Ok(r) => r,
            Err(e) => {
                self.engine.forget_session(info.id, self.id);
                return out.send(no_for(tag, &e));
            }
        };
        let mut selected = Selected::new(self.id, snapshot);
        selected.set_qresync(self.qresync());
        selected.deliver(&subscription, CommandContext::Select);
        let snap = selected.snapshot();
        let [flags, permanent] = flag_responses(snap, read_only);
        out.send(flags);
        out.send(data(Data::Exists(snap.len())));
        out.send(data(Data::Recent(snap.recent_count())));
        if let Some(seq) = (1..=snap.len()).find(|&s| {
            snap.get(s)
                .is_some_and(|m| !m.system.contains(crate::flags::SystemFlags::SEEN))
        }) {
            out.send(untagged_ok(
                Some(Code::Unseen(nz(seq))),
                format!("message {seq} is first unseen"),
            ));
        }
        out.send(untagged_ok(
            Some(Code::UidValidity(nz(info.uidvalidity))),
            "UIDs valid",
        ));
        let uidnext = info.uidnext.max(snap.max_uid().saturating_add(1));
        out.send(untagged_ok(
            Some(Code::UidNext(nz(uidnext))),
            "predicted next UID",
        ));
        out.send(permanent);
        // RFC 8474 §4.1.
        out.send(untagged_ok(
            Some(Code::MailboxId(crate::objectid::mailbox_id(&info))),
            "mailbox id",
        ));
        let reported = if self.condstore() {
            let m = selected.modseq().max(1);
            out.send(highest_modseq(m));
            m
        } else {
            0
        };
        let snap_keywords = snap.defined_keywords().len();
        let (code, what) = if read_only {
            (Code::ReadOnly, "EXAMINE completed")
        } else {
            (Code::ReadWrite, "SELECT completed")
        };
        let uidvalidity = info.uidvalidity;
        self.mailbox = Some(SelectedMailbox {
            info,
            read_only,
            subscription,
            announced: snap_keywords,
            selected,
            saved: None,
            contexts: Default::default(),
            told: ToldModseqs::reported(reported),
        });
        if let Some(q) = resync.filter(|q| q.uid_validity.get() == uidvalidity)
            && let Err(e) = self.resync(q, out).await
        {
            // Selected all the same; the client resynchronises the long way.
            tracing::warn!(error = %e, "QRESYNC resynchronisation failed");
        }
        out.send(tagged(tag, StatusKind::Ok, Some(code), what));
    }

    /// What changed since the client's last HIGHESTMODSEQ (RFC 7162
    /// §3.2.5): the known UIDs that vanished, then the messages that
    /// changed, among the known UIDs when the client listed them.
    async fn resync(&mut self, q: &QResync, out: &mut dyn ResponseSink) -> Result<(), EngineError> {
        let known = q.known_uids.as_ref().map_or_else(UidSet::all, uid_set_of);
        let since = q.mod_seq.get();
        let vouched = match (&q.seq_match, self.mailbox.as_ref()) {
            (Some(pairs), Some(m)) => vouched_uid(pairs, m.selected.snapshot()),
            _ => 0,
        };
        let found = self.changes_since(&known, since, true, vouched).await?;
        self.tell_resync(&found.vanished, &found.changed, out);
        Ok(())
    }

    /// The mailbox's row and this session's snapshot of it. A mailbox
    /// whose index this instance holds (open in another session, or closed
    /// recently: see `engine/index.rs`) is copied from it, and the messages
    /// still stored `\Recent` are claimed through their partial index;
    /// otherwise every (UID, flags) is read in one query, the `\Recent`
    /// ones claimed, and the result becomes the shared index. Claiming
    /// (read-write sessions only) happens under the mailbox's write lock,
    /// so exactly one session gets each new message as `\Recent`.
    async fn read_index(
        &self,
        id: hadron_store::MailboxId,
        read_only: bool,
    ) -> Result<(MailboxInfo, Snapshot), EngineError> {
        // Writes queued before this session subscribed did not count it
        // (for \Recent, say): their rows must be in what is read below.
        self.engine.writes_settled(id).await;
        // No expunge of this epoch or before is in what is read below.
        let epoch = self.engine.expunge_epoch(id);
        self.engine.caught_up(id, self.id, epoch);
        // Called after subscribing: from here on no new message is stored
        // \Recent, so a zero count means there is nothing to claim.
        let info = self
            .engine
            .blocking(move |store, _| Ok(store.mailbox_status(id)?))
            .await?;
        self.engine.follow_changes(id, &info);
        // A kept index follows other processes' changes as they are
        // announced; this makes it current with what they committed
        // before this SELECT (one read of what changed, when `info` shows
        // something unpublished).
        self.engine.catch_up_to(id, &info).await?;
        if let Some(mut snapshot) = self.engine.shared_index(id) {
            if info.recent == 0 {
                return Ok((info, snapshot));
            }
            let shared = self.engine.shared(id);
            let _guard = shared.write.lock().await;
            let (info, recent) = self
                .engine
                .blocking(move |store, _| {
                    let info = store.mailbox_status(id)?;
                    let mut recent = store.recent_uids(id)?;
                    if !read_only && !recent.is_empty() {
                        // This session is the first to see them.
                        recent = claim_stored_recent(store, id, recent)?;
                    }
                    Ok((info, recent))
                })
                .await?;
            // Every stored \Recent message was published before this
            // session subscribed, so the copy holds it unless it was
            // expunged since (then it is simply not there).
            snapshot.set_recent(&recent);
            return Ok((info, snapshot));
        }
        let follow = self.engine.follow(id);
        let shared = self.engine.shared(id);
        // The write lock makes claiming \Recent exclusive.
        let _guard = shared.write.lock().await;
        let (info, snapshot, index) = self
            .engine
            .blocking(move |store, _| {
                let info = store.mailbox_status(id)?;
                let rows = store.fetch_flags(id, &UidSet::all())?;
                let names = store.keywords(id)?;
                let bad = |e: crate::snapshot::SnapshotError| EngineError::Internal(e.to_string());
                let mut index = Snapshot::new();
                // Read before the rows: they reflect at least this.
                index.note_modseq(info.highest_modseq);
                index.reserve(rows.len());
                let mut recent = Vec::new();
                for m in &rows {
                    let (flags, is_recent) = flags_from_store(m, &names);
                    if is_recent {
                        recent.push(m.uid);
                    }
                    index.push(m.uid, &flags, false).map_err(bad)?;
                }
                if !read_only && !recent.is_empty() {
                    // This session is the first to see them.
                    recent = claim_stored_recent(store, id, recent)?;
                }
                let mut snapshot = index.clone();
                snapshot.set_recent(&recent);
                Ok((info, snapshot, index))
            })
            .await?;
        self.engine.keep_index(id, follow, index);
        Ok((info, snapshot))
    }
}
