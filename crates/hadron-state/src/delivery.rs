//! When a session may be told what: the RFC 3501 §5.5 / §7.4.1 rules.
//!
//! A [`Selected`] session owns its [`Snapshot`] and the updates it has
//! received but may not apply yet. After each command (and whenever woken
//! in IDLE) the server calls [`Selected::deliver`] with the
//! [`CommandContext`]; it gets back the untagged responses to write before
//! the tagged one, in order, and whether the tagged OK needs
//! `[EXPUNGEISSUED]`.
//!
//! The rules, each enforced here and tested by name:
//!
//! - `EXPUNGE` is never sent while responding to FETCH, STORE, SEARCH or
//!   COPY (and their UID forms), nor when no command is in progress
//!   ([`CommandContext::NoCommand`]). The expunge is *held*: the messages
//!   stay in the snapshot, marked pending
//!   ([`Snapshot::is_pending_expunge`]) so FETCH answers from last known
//!   data, and the tagged OK gets `[EXPUNGEISSUED]` (RFC 5530).
//! - Updates are applied in the order published. Once an expunge is held,
//!   every later addition is held too, so `EXISTS` never overtakes a
//!   pending `EXPUNGE`; flag changes to messages the session can see are
//!   still delivered.
//! - Flag changes by others become `FETCH (FLAGS ...)`, at most one per
//!   message per delivery, carrying the message's flags after every update
//!   applied. A session's own STORE (`origin` = this session) is applied
//!   without being echoed: the caller writes the STORE responses, *after*
//!   the delivered events, from the snapshot's flags (or nothing, for
//!   `.SILENT`).
//! - `\Recent` is set only in the snapshot of the session named by
//!   [`Update::MessagesAdded::recent_for`].
//! - Expunges are emitted in descending sequence order, so a client
//!   applying them one at a time (each renumbering the messages after it)
//!   ends with the right view.
//! - Mailbox deleted or UIDVALIDITY changed → [`CloseReason`]: the server
//!   sends `* BYE` and closes the connection. Queue overflow → the same,
//!   unless the server resynchronises the session ([`Selected::resync`]).
//!   Mailbox renamed → the session keeps its snapshot and works on under
//!   the new name ([`Delivery::renamed_to`]); no untagged response exists
//!   for this in IMAP4rev1.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use hadron_proto::types::Mailbox;

use crate::flags::FlagSet;
use crate::snapshot::Snapshot;
use crate::update::{AddedMessage, Drained, FlagChange, SessionId, Subscription, Update};

/// The command being answered when updates are delivered. The UID form of
/// a command has the same context as the plain form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandContext {
    /// FETCH / UID FETCH: no EXPUNGE.
    Fetch,
    /// STORE / UID STORE: no EXPUNGE.
    Store,
    /// SEARCH / UID SEARCH: no EXPUNGE.
    Search,
    /// COPY / UID COPY: treated like FETCH (no EXPUNGE).
    Copy,
    /// NOOP: everything.
    Noop,
    /// CHECK: everything.
    Check,
    /// EXPUNGE / UID EXPUNGE: everything.
    Expunge,
    /// MOVE / UID MOVE: everything.
    Move,
    /// APPEND while a mailbox is selected: everything.
    Append,
    /// STATUS while a mailbox is selected: everything.
    Status,
    /// IDLE (woken by an update): everything, immediately.
    Idle,
    /// CLOSE (and UNSELECT): everything is applied silently (RFC 3501
    /// §6.4.2 sends no untagged EXPUNGE); no events. The snapshot is
    /// usually dropped right after.
    Close,
    /// SELECT/EXAMINE, right after building the snapshot: updates queued
    /// since subscribing are applied silently (the SELECT response then
    /// reports the snapshot); no events.
    Select,
    /// Between commands, not in IDLE: nothing may be sent. Updates are
    /// held (expunged messages are marked pending); only a [`CloseReason`]
    /// is reported.
    NoCommand,
}

impl CommandContext {
    /// Whether an untagged EXPUNGE may be sent (or an expunge applied).
    pub fn allows_expunge(self) -> bool {
        use CommandContext::*;
        matches!(
            self,
            Noop | Check | Expunge | Move | Append | Status | Idle | Close | Select
        )
    }

    /// Whether any untagged response may be sent.
    pub fn allows_untagged(self) -> bool {
        !matches!(
            self,
            CommandContext::NoCommand | CommandContext::Close | CommandContext::Select
        )
    }

    fn silent(self) -> bool {
        matches!(self, CommandContext::Close | CommandContext::Select)
    }
}

/// A message's flags, sent as `* seq FETCH (FLAGS (...) UID uid [MODSEQ (m)])`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagsFetch {
    /// Sequence number at the point in the event list where it appears.
    pub seq: u32,
    /// The message's UID (always included; required in UID commands).
    pub uid: u32,
    /// Its flags.
    pub flags: FlagSet,
    /// Whether `\Recent` is to be listed with them.
    pub recent: bool,
    /// The modseq of the last change, if known (CONDSTORE).
    pub modseq: Option<u64>,
}

/// An untagged response produced by delivery, in the order to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untagged {
    /// `* n EXPUNGE`
    Expunge(u32),
    /// `* n EXISTS`
    Exists(u32),
    /// `* n RECENT`
    Recent(u32),
    /// `* n FETCH (FLAGS ...)`
    Fetch(FlagsFetch),
    /// `* VANISHED uid-set` (QRESYNC, RFC 7162 §3.2.10): the UIDs of
    /// messages expunged, ascending, instead of one `EXPUNGE` each; see
    /// [`Selected::set_qresync`].
    Vanished(Vec<u32>),
}

impl fmt::Display for Untagged {
    /// The response line without CRLF; for logs and tests (the server
    /// encodes through `hadron-proto`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Untagged::Expunge(n) => write!(f, "* {n} EXPUNGE"),
            Untagged::Exists(n) => write!(f, "* {n} EXISTS"),
            Untagged::Recent(n) => write!(f, "* {n} RECENT"),
            Untagged::Vanished(uids) => {
                f.write_str("* VANISHED ")?;
                for (i, u) in uids.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{u}")?;
                }
                Ok(())
            }
            Untagged::Fetch(m) => {
                write!(f, "* {} FETCH (FLAGS ({}", m.seq, m.flags)?;
                if m.recent {
                    f.write_str(if m.flags.is_empty() {
                        "\\Recent"
                    } else {
                        " \\Recent"
                    })?;
                }
                write!(f, ") UID {}", m.uid)?;
                if let Some(modseq) = m.modseq {
                    write!(f, " MODSEQ ({modseq})")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Why a selected session must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The mailbox was deleted.
    MailboxDeleted,
    /// The mailbox's UIDs were reassigned.
    UidValidityChanged,
    /// The session fell too far behind: its queue overflowed and updates
    /// were dropped, or too many updates were held back
    /// ([`Selected::set_held_limit`]). The server may instead
    /// resynchronise it ([`Selected::resync`]).
    QueueOverflow,
}

impl CloseReason {
    /// Human-readable text for `* BYE`.
    pub fn bye_text(self) -> &'static str {
        match self {
            CloseReason::MailboxDeleted => "Selected mailbox was deleted",
            CloseReason::UidValidityChanged => "Selected mailbox's UIDVALIDITY changed",
            CloseReason::QueueOverflow => "Too many changes to the selected mailbox; reconnect",
        }
    }
}

/// The outcome of one [`Selected::deliver`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivery {
    /// Untagged responses to send, in order, before the command's own.
    pub events: Vec<Untagged>,
    /// Add `[EXPUNGEISSUED]` to the tagged OK: an expunge by someone else
    /// is being held back and messages in the snapshot are gone.
    pub expunge_issued: bool,
    /// The mailbox now has this name.
    pub renamed_to: Option<Mailbox<'static>>,
    /// The session must be ended with `* BYE` — or, for
    /// [`CloseReason::QueueOverflow`], resynchronised. Sticky. Any `events`
    /// (only possible when the held-update limit was just exceeded) are
    /// still to be sent first.
    pub close: Option<CloseReason>,
}

/// A session in the selected state: its snapshot plus held updates.
#[derive(Debug, Clone)]
pub struct Selected {
    session: SessionId,
    snapshot: Snapshot,
    held: VecDeque<Arc<Update>>,
    held_limit: usize,
    reported_recent: u32,
    closed: Option<CloseReason>,
    /// Expunges are told as `* VANISHED` (QRESYNC enabled).
    qresync: bool,
}

/// The lowest mod-sequence `update` carries, if it carries one.
fn lowest_modseq(update: &Update) -> Option<u64> {
    match update {
        Update::MessagesAdded { modseq, .. } | Update::MessagesExpunged { modseq, .. } => *modseq,
        Update::FlagsChanged { changes, .. } => changes.iter().filter_map(|c| c.modseq).min(),
        _ => None,
    }
}

/// Work-in-progress output of one delivery.
struct Emitter {
    events: Vec<Untagged>,
    emit: bool,
    exists_dirty: bool,
    /// Messages whose flags were changed by others, with the change's
    /// modseq, in the order changed (duplicates allowed).
    flags_dirty: Vec<(u32, Option<u64>)>,
}

impl Emitter {
    /// Sends what has accumulated, before anything that renumbers.
    fn flush(&mut self, snapshot: &Snapshot, reported_recent: &mut u32) {
        if self.exists_dirty {
            self.exists_dirty = false;
            if self.emit {
                self.events.push(Untagged::Exists(snapshot.len()));
                if snapshot.recent_count() != *reported_recent {
                    *reported_recent = snapshot.recent_count();
                    self.events.push(Untagged::Recent(*reported_recent));
                }
            }
        }
        let mut dirty = std::mem::take(&mut self.flags_dirty);
        // One FETCH per message, in sequence order, with the last modseq
        // (the sort is stable, so the last change of a UID comes last).
        if !dirty.is_sorted_by_key(|d| d.0) {
            dirty.sort_by_key(|d| d.0);
        }
        let mut hint = 0;
        for (k, &(uid, modseq)) in dirty.iter().enumerate() {
            if dirty.get(k + 1).is_some_and(|next| next.0 == uid) {
                continue;
            }
            let Some(seq) = snapshot.seq_near(uid, hint + 1) else {
                continue;
            };
            hint = seq;
            let m = snapshot.get(seq).expect("seq from snapshot");
            self.events.push(Untagged::Fetch(FlagsFetch {
                seq,
                uid,
                flags: m.flags(),
                recent: m.recent,
                modseq,
            }));
        }
    }
}

impl Selected {
    /// A session that has just selected a mailbox and built `snapshot`.
    /// Deliver with [`CommandContext::Select`] next to apply updates queued
    /// since subscribing.
    pub fn new(session: SessionId, snapshot: Snapshot) -> Selected {
        Selected {
            session,
            reported_recent: snapshot.recent_count(),
            snapshot,
            held: VecDeque::new(),
            held_limit: Selected::DEFAULT_HELD_LIMIT,
            closed: None,
            qresync: false,
        }
    }

    /// Tells expunges as `* VANISHED uid-set` from now on (the client
    /// enabled QRESYNC, RFC 7162 §3.2.10), never as `* n EXPUNGE`; when
    /// they may be told stays the same.
    pub fn set_qresync(&mut self, on: bool) {
        self.qresync = on;
    }

    /// The HIGHESTMODSEQ this session may report (CONDSTORE, RFC 7162):
    /// every change with a mod-sequence up to it has been told, or is
    /// being told with this delivery. Below the snapshot's own while an
    /// update is held back, so that a client that remembers it and
    /// reconnects is told the held change then (RFC 7162 §3.2.10, the
    /// erratum on delayed expunges).
    pub fn modseq(&self) -> u64 {
        self.held
            .iter()
            .filter_map(|u| lowest_modseq(u))
            .map(|m| m.saturating_sub(1))
            .fold(self.snapshot.modseq(), u64::min)
    }

    /// The default of [`Selected::set_held_limit`].
    pub const DEFAULT_HELD_LIMIT: usize = 1024;

    /// Bounds the updates held back. A client that only ever FETCHes while
    /// others expunge and append would otherwise make them pile up; past
    /// the limit the session is treated like a queue overflow
    /// ([`CloseReason::QueueOverflow`]), and a [`Selected::resync`]
    /// replaces the pile by at most three updates.
    pub fn set_held_limit(&mut self, limit: usize) {
        self.held_limit = limit.max(1);
    }

    /// The session.
    pub fn session(&self) -> SessionId {
        self.session
    }

    /// The snapshot: the mailbox exactly as this session has been told.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// How many updates are held back.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Why the session must end, once it must.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.closed
    }

    /// Drains `subscription` and delivers what `context` allows. A queue
    /// overflow closes the session ([`CloseReason::QueueOverflow`]).
    pub fn deliver(&mut self, subscription: &Subscription, context: CommandContext) -> Delivery {
        match subscription.drain() {
            Drained::Updates(updates) => self.deliver_updates(updates, context),
            Drained::Overflowed => {
                self.close(CloseReason::QueueOverflow);
                Delivery {
                    close: self.closed,
                    ..Delivery::default()
                }
            }
        }
    }

    /// Brings a session closed by [`CloseReason::QueueOverflow`] back in
    /// step, instead of ending it with `* BYE`. Call
    /// [`Subscription::reset`] first, then read `fresh` from the store,
    /// then this, then [`Selected::deliver`] as usual.
    ///
    /// The difference between the current snapshot and `fresh` becomes
    /// ordinary updates — flag changes, then expunges, then additions —
    /// queued ahead of anything else, so the client is told under the
    /// usual rules: during FETCH the expunges wait (with
    /// `[EXPUNGEISSUED]`), at NOOP everything is said. Messages added while
    /// the queue was lost are not `\Recent` for this session. Returns
    /// `false`, changing nothing, if the session was not closed by an
    /// overflow (a deleted mailbox stays closed).
    pub fn resync(&mut self, fresh: &Snapshot) -> bool {
        if self.closed != Some(CloseReason::QueueOverflow) {
            return false;
        }
        self.closed = None;
        self.held.clear();
        let (old, new) = (self.snapshot.uids(), fresh.uids());
        let (mut i, mut j) = (0, 0);
        let (mut changes, mut gone) = (Vec::new(), Vec::new());
        while i < old.len() && j < new.len() {
            match old[i].cmp(&new[j]) {
                std::cmp::Ordering::Less => {
                    gone.push(old[i]);
                    i += 1;
                }
                // A UID below the old maximum that the session never saw
                // cannot exist (UIDs only grow); skip it.
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let a = self.snapshot.get(i as u32 + 1).expect("in range");
                    let b = fresh.get(j as u32 + 1).expect("in range");
                    if a.system != b.system || a.keywords != b.keywords {
                        changes.push(FlagChange {
                            uid: b.uid,
                            flags: b.flags(),
                            modseq: None,
                        });
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        gone.extend_from_slice(&old[i..]);
        let added: Vec<AddedMessage> = fresh
            .iter()
            .skip(j)
            .filter(|m| m.uid > self.snapshot.max_uid())
            .map(|m| AddedMessage {
                uid: m.uid,
                flags: m.flags(),
            })
            .collect();
        // The store's per-message mod-sequences are not in `fresh`: the
        // flag changes carry none, the others `fresh`'s own.
        let synthetic = [
            Update::FlagsChanged {
                changes,
                origin: None,
            },
            Update::MessagesExpunged {
                uids: gone,
                origin: None,
                modseq: Some(fresh.modseq()),
            },
            Update::MessagesAdded {
                messages: added,
                recent_for: None,
                origin: None,
                modseq: Some(fresh.modseq()),
            },
        ];
        self.held.extend(synthetic.into_iter().map(Arc::new));
        true
    }

    fn close(&mut self, reason: CloseReason) {
        if self.closed.is_none() {
            self.closed = Some(reason);
        }
        self.held.clear();
    }

    /// Applies held and `incoming` updates (oldest first) as far as
    /// `context` allows, holding the rest, and returns what to send.
    pub fn deliver_updates<I>(&mut self, incoming: I, context: CommandContext) -> Delivery
    where
        I: IntoIterator<Item = Arc<Update>>,
    {
        let mut delivery = Delivery::default();
        if self.closed.is_some() {
            delivery.close = self.closed;
            return delivery;
        }
        let mut queue = std::mem::take(&mut self.held);
        queue.extend(incoming);
        let mut out = Emitter {
            events: Vec::new(),
            emit: context.allows_untagged(),
            exists_dirty: false,
            flags_dirty: Vec::new(),
        };
        let hold_all = context == CommandContext::NoCommand;
        let mut blocked = false;
        for update in queue {
            match &*update {
                Update::MailboxDeleted => {
                    self.close(CloseReason::MailboxDeleted);
                    break;
                }
                Update::UidValidityChanged { .. } => {
                    self.close(CloseReason::UidValidityChanged);
                    break;
                }
                Update::MailboxRenamed { new_name } => {
                    delivery.renamed_to = Some(new_name.clone());
                }
                Update::MessagesExpunged { uids, modseq, .. } => {
                    if hold_all || blocked || !context.allows_expunge() {
                        self.snapshot.mark_pending_expunge(uids);
                        self.held.push_back(update.clone());
                        blocked = true;
                    } else {
                        out.flush(&self.snapshot, &mut self.reported_recent);
                        let mut vanished: Vec<u32> = Vec::new();
                        if self.qresync && out.emit {
                            vanished = uids
                                .iter()
                                .copied()
                                .filter(|&u| self.snapshot.seq(u).is_some())
                                .collect();
                            vanished.sort_unstable();
                            vanished.dedup();
                        }
                        let removed = self.snapshot.remove_uids(uids);
                        if let Some(m) = modseq {
                            self.snapshot.note_modseq(*m);
                        }
                        if out.emit && self.qresync {
                            if !vanished.is_empty() {
                                out.events.push(Untagged::Vanished(vanished));
                            }
                        } else if out.emit {
                            out.events
                                .extend(removed.iter().rev().map(|&seq| Untagged::Expunge(seq)));
                        }
                    }
                }
                Update::MessagesAdded {
                    messages,
                    recent_for,
                    modseq,
                    ..
                } => {
                    if hold_all || blocked {
                        self.held.push_back(update.clone());
                        continue;
                    }
                    if let Some(m) = modseq {
                        self.snapshot.note_modseq(*m);
                    }
                    let recent = *recent_for == Some(self.session);
                    for m in messages {
                        if m.uid > self.snapshot.max_uid() {
                            self.snapshot
                                .push(m.uid, &m.flags, recent)
                                .expect("UID above the maximum");
                            out.exists_dirty = true;
                        }
                    }
                }
                Update::FlagsChanged { changes, origin } => {
                    if hold_all {
                        self.held.push_back(update.clone());
                        continue;
                    }
                    let own = *origin == Some(self.session);
                    let mut later = Vec::new();
                    let mut hint = 0;
                    for change in changes {
                        if let Some(seq) = self.snapshot.seq_near(change.uid, hint + 1) {
                            if let Some(m) = change.modseq {
                                self.snapshot.note_modseq(m);
                            }
                            hint = seq;
                            let changed = self.snapshot.set_flags(seq, &change.flags);
                            if changed && !own && out.emit {
                                out.flags_dirty.push((change.uid, change.modseq));
                            }
                        } else if blocked && change.uid > self.snapshot.max_uid() {
                            // A message added after a held expunge: apply
                            // after the addition.
                            later.push(change.clone());
                        } else if let Some(m) = change.modseq {
                            // Already expunged from this view: nothing to
                            // tell, but the change is known.
                            self.snapshot.note_modseq(m);
                        }
                    }
                    if !later.is_empty() {
                        self.held.push_back(Arc::new(Update::FlagsChanged {
                            changes: later,
                            origin: *origin,
                        }));
                    }
                }
            }
        }
        if self.closed.is_some() {
            delivery.close = self.closed;
            return delivery;
        }
        out.flush(&self.snapshot, &mut self.reported_recent);
        if context.silent() {
            self.reported_recent = self.snapshot.recent_count();
        }
        delivery.events = out.events;
        delivery.expunge_issued =
            context != CommandContext::NoCommand && self.snapshot.pending_expunge_count() > 0;
        if self.held.len() > self.held_limit {
            // The events above are valid and already applied: send them,
            // then BYE or resync.
            self.close(CloseReason::QueueOverflow);
            delivery.close = self.closed;
        }
        delivery
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::SystemFlags;
    use crate::update::{Hub, MailboxId};
    use CommandContext::*;

    const ME: SessionId = SessionId(1);
    const OTHER: SessionId = SessionId(2);

    fn session(uids: &[u32]) -> Selected {
        let snap = Snapshot::from_messages(uids.iter().map(|&u| (u, FlagSet::default()))).unwrap();
        Selected::new(ME, snap)
    }

    fn expunged(uids: &[u32]) -> Arc<Update> {
        Arc::new(Update::MessagesExpunged {
            uids: uids.to_vec(),
            origin: Some(OTHER),
            modseq: None,
        })
    }

    fn added(uids: &[u32], recent_for: Option<SessionId>) -> Arc<Update> {
        Arc::new(Update::MessagesAdded {
            messages: uids
                .iter()
                .map(|&uid| AddedMessage {
                    uid,
                    flags: FlagSet::default(),
                })
                .collect(),
            recent_for,
            origin: Some(OTHER),
            modseq: None,
        })
    }

    fn flags(uid: u32, system: SystemFlags, origin: SessionId) -> Arc<Update> {
        Arc::new(Update::FlagsChanged {
            changes: vec![FlagChange {
                uid,
                flags: FlagSet::system(system),
                modseq: None,
            }],
            origin: Some(origin),
        })
    }

    fn lines(d: &Delivery) -> Vec<String> {
        d.events.iter().map(ToString::to_string).collect()
    }

    /// Applies events the way a client does, to its list of UIDs (new
    /// messages get UID 0 = unknown).
    fn replay(client: &mut Vec<u32>, d: &Delivery) {
        for e in &d.events {
            match e {
                Untagged::Expunge(n) => {
                    client.remove(*n as usize - 1);
                }
                Untagged::Exists(n) => client.resize(*n as usize, 0),
                Untagged::Recent(_) => {}
                Untagged::Fetch(f) => {
                    let slot = &mut client[f.seq as usize - 1];
                    assert!(*slot == 0 || *slot == f.uid);
                    *slot = f.uid;
                }
                Untagged::Vanished(uids) => client.retain(|u| !uids.contains(u)),
            }
        }
    }

    fn with_modseq(update: Arc<Update>, m: u64) -> Arc<Update> {
        let mut u = (*update).clone();
        match &mut u {
            Update::MessagesAdded { modseq, .. } | Update::MessagesExpunged { modseq, .. } => {
                *modseq = Some(m)
            }
            Update::FlagsChanged { changes, .. } => {
                for c in changes {
                    c.modseq = Some(m);
                }
            }
            _ => {}
        }
        Arc::new(u)
    }

    #[test]
    fn modseq_stays_below_a_held_expunge_and_catches_up_when_told() {
        let mut s = session(&[1, 2, 3]);
        s.snapshot.note_modseq(10);
        // During FETCH: the expunge (11) is held, the flag change (12) told.
        let d = s.deliver_updates(
            [
                with_modseq(expunged(&[2]), 11),
                with_modseq(flags(3, SystemFlags::SEEN, OTHER), 12),
            ],
            Fetch,
        );
        assert_eq!(lines(&d), ["* 3 FETCH (FLAGS (\\Seen) UID 3 MODSEQ (12))"]);
        assert_eq!(s.snapshot().modseq(), 12);
        assert_eq!(s.modseq(), 10, "below the held expunge");
        // At NOOP the expunge is told: everything up to 12 is known.
        let d = s.deliver_updates([], Noop);
        assert_eq!(lines(&d), ["* 2 EXPUNGE"]);
        assert_eq!(s.modseq(), 12);
        // Nothing moves it backwards.
        s.deliver_updates([with_modseq(added(&[4], None), 5)], Noop);
        assert_eq!(s.modseq(), 12);
    }

    #[test]
    fn with_qresync_expunges_are_told_as_vanished_uids() {
        let mut s = session(&[1, 2, 3, 5, 8]);
        s.set_qresync(true);
        let mut client = vec![1, 2, 3, 5, 8];
        // Held during FETCH as usual, then one VANISHED with the UIDs
        // still shown, ascending (UIDs the session never saw are left out).
        let d = s.deliver_updates([expunged(&[8, 2, 4])], Fetch);
        assert!(d.events.is_empty() && d.expunge_issued);
        let d = s.deliver_updates([expunged(&[5])], Noop);
        replay(&mut client, &d);
        assert_eq!(lines(&d), ["* VANISHED 2,8", "* VANISHED 5"]);
        assert_eq!(client, [1, 3]);
        assert_eq!(s.snapshot().uids(), [1, 3]);
    }

    #[test]
    fn engine_types_can_move_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Hub>();
        send_sync::<crate::update::Subscription>();
        send_sync::<Selected>();
        send_sync::<Update>();
        send_sync::<Delivery>();
    }

    #[test]
    fn expunge_is_not_sent_during_fetch() {
        for ctx in [Fetch, Store, Search, Copy, NoCommand] {
            let mut s = session(&[1, 2, 3]);
            let d = s.deliver_updates([expunged(&[2])], ctx);
            assert!(d.events.is_empty(), "{ctx:?}: {:?}", lines(&d));
            assert_eq!(
                s.snapshot().len(),
                3,
                "{ctx:?}: sequence numbers keep their meaning"
            );
            assert!(s.snapshot().is_pending_expunge(2));
            assert_eq!(d.expunge_issued, ctx != NoCommand, "{ctx:?}");
            // The next NOOP delivers it.
            let d = s.deliver_updates([], Noop);
            assert_eq!(lines(&d), ["* 2 EXPUNGE"]);
            assert!(!d.expunge_issued);
            assert_eq!(s.snapshot().uids(), &[1, 3]);
        }
    }

    #[test]
    fn expunge_is_sent_where_allowed() {
        for ctx in [Noop, Check, Expunge, Move, Append, Status, Idle] {
            let mut s = session(&[1, 2, 3]);
            let d = s.deliver_updates([expunged(&[2])], ctx);
            assert_eq!(lines(&d), ["* 2 EXPUNGE"], "{ctx:?}");
        }
    }

    #[test]
    fn nothing_is_sent_when_no_command_is_in_progress() {
        let mut s = session(&[1, 2]);
        let d = s.deliver_updates(
            [added(&[5], Some(ME)), flags(1, SystemFlags::SEEN, OTHER)],
            NoCommand,
        );
        assert_eq!(d, Delivery::default());
        assert_eq!(s.held(), 2);
        assert_eq!(s.snapshot().len(), 2);
        let d = s.deliver_updates([], Idle);
        assert_eq!(
            lines(&d),
            [
                "* 3 EXISTS",
                "* 1 RECENT",
                "* 1 FETCH (FLAGS (\\Seen) UID 1)"
            ]
        );
    }

    #[test]
    fn exists_never_overtakes_pending_expunge() {
        let mut s = session(&[1, 2, 3]);
        // Someone expunges 2, then appends 4: during FETCH neither may be
        // told — an EXISTS 3 now would mean "one message was added".
        let d = s.deliver_updates([expunged(&[2]), added(&[4], None)], Fetch);
        assert!(d.events.is_empty(), "{:?}", lines(&d));
        assert_eq!(s.snapshot().len(), 3);
        let mut client = vec![1, 2, 3];
        let d = s.deliver_updates([], Noop);
        assert_eq!(lines(&d), ["* 2 EXPUNGE", "* 3 EXISTS"]);
        replay(&mut client, &d);
        assert_eq!(client, [1, 3, 0]);
        assert_eq!(s.snapshot().uids(), &[1, 3, 4]);
    }

    #[test]
    fn additions_before_a_held_expunge_are_delivered() {
        let mut s = session(&[1, 2]);
        let d = s.deliver_updates([added(&[3], None), expunged(&[1])], Search);
        assert_eq!(lines(&d), ["* 3 EXISTS"]);
        assert!(d.expunge_issued);
        assert_eq!(lines(&s.deliver_updates([], Noop)), ["* 1 EXPUNGE"]);
    }

    #[test]
    fn flag_changes_to_visible_messages_pass_a_held_expunge() {
        let mut s = session(&[1, 2, 3]);
        let d = s.deliver_updates(
            [
                expunged(&[1]),
                added(&[4], None),
                flags(3, SystemFlags::FLAGGED, OTHER),
                flags(4, SystemFlags::SEEN, OTHER),
            ],
            Fetch,
        );
        // 3 is visible: told now, at its current sequence number. 4 is not
        // visible yet: held with its addition.
        assert_eq!(lines(&d), ["* 3 FETCH (FLAGS (\\Flagged) UID 3)"]);
        let d = s.deliver_updates([], Noop);
        assert_eq!(
            lines(&d),
            [
                "* 1 EXPUNGE",
                "* 3 EXISTS",
                "* 3 FETCH (FLAGS (\\Seen) UID 4)"
            ]
        );
        assert_eq!(
            s.snapshot().flags(3),
            Some(FlagSet::system(SystemFlags::SEEN))
        );
    }

    #[test]
    fn flag_changes_arrive_as_fetch_at_next_command() {
        let hub = Hub::new(16);
        let mb = MailboxId(1);
        let sub = hub.subscribe(mb, ME, None);
        let mut s = session(&[10, 20]);
        hub.publish(
            mb,
            Arc::unwrap_or_clone(flags(20, SystemFlags::DELETED, OTHER)),
        );
        // Not while idle between commands...
        assert!(s.deliver(&sub, NoCommand).events.is_empty());
        // ...but at the next command, whichever it is.
        let d = s.deliver(&sub, Fetch);
        assert_eq!(lines(&d), ["* 2 FETCH (FLAGS (\\Deleted) UID 20)"]);
        // Setting the same flags again tells nothing new.
        hub.publish(
            mb,
            Arc::unwrap_or_clone(flags(20, SystemFlags::DELETED, OTHER)),
        );
        assert!(s.deliver(&sub, Noop).events.is_empty());
    }

    #[test]
    fn own_store_is_not_echoed_twice() {
        let mut s = session(&[1, 2]);
        let d = s.deliver_updates([flags(2, SystemFlags::SEEN, ME)], Store);
        assert!(
            d.events.is_empty(),
            "the STORE command writes its own FETCH"
        );
        assert_eq!(
            s.snapshot().flags(2),
            Some(FlagSet::system(SystemFlags::SEEN))
        );
    }

    #[test]
    fn own_store_after_foreign_change_reports_final_flags_once() {
        let mut s = session(&[1]);
        let d = s.deliver_updates(
            [
                flags(1, SystemFlags::FLAGGED, OTHER),
                flags(1, SystemFlags::SEEN, ME),
            ],
            Store,
        );
        // The foreign change is reported with the flags as they are now, so
        // a `.SILENT` client is not left believing \Flagged.
        assert_eq!(lines(&d), ["* 1 FETCH (FLAGS (\\Seen) UID 1)"]);
    }

    #[test]
    fn recent_goes_to_exactly_one_session() {
        let hub = Hub::new(16);
        let mb = MailboxId(9);
        let (a, b) = (SessionId(1), SessionId(2));
        let sub_a = hub.subscribe(mb, a, None);
        let sub_b = hub.subscribe(mb, b, None);
        let mut sa = Selected::new(a, Snapshot::new());
        let mut sb = Selected::new(b, Snapshot::new());
        let report = hub.publish(mb, Arc::unwrap_or_clone(added(&[1, 2], None)));
        assert_eq!(report.recent_to, Some(a));
        let da = sa.deliver(&sub_a, Noop);
        let db = sb.deliver(&sub_b, Noop);
        assert_eq!(lines(&da), ["* 2 EXISTS", "* 2 RECENT"]);
        assert_eq!(lines(&db), ["* 2 EXISTS"]);
        assert!(sa.snapshot().is_recent(1) && sa.snapshot().is_recent(2));
        assert!(!sb.snapshot().is_recent(1) && !sb.snapshot().is_recent(2));
    }

    #[test]
    fn expunges_are_emitted_so_one_by_one_application_is_right() {
        let mut s = session(&[1, 2, 3, 4, 5, 6, 7]);
        let d = s.deliver_updates([expunged(&[6, 2, 3])], Expunge);
        assert_eq!(lines(&d), ["* 6 EXPUNGE", "* 3 EXPUNGE", "* 2 EXPUNGE"]);
        let mut client = vec![1, 2, 3, 4, 5, 6, 7];
        replay(&mut client, &d);
        assert_eq!(client, s.snapshot().uids());
    }

    #[test]
    fn additions_then_expunges_in_one_delivery_keep_order() {
        let mut s = session(&[1, 2]);
        let d = s.deliver_updates(
            [
                added(&[3], None),
                flags(3, SystemFlags::SEEN, OTHER),
                expunged(&[1, 3]),
                added(&[4], None),
            ],
            Noop,
        );
        assert_eq!(
            lines(&d),
            [
                "* 3 EXISTS",
                "* 3 FETCH (FLAGS (\\Seen) UID 3)",
                "* 3 EXPUNGE",
                "* 1 EXPUNGE",
                "* 2 EXISTS"
            ]
        );
        let mut client = vec![1, 2];
        replay(&mut client, &d);
        assert_eq!(client, [2, 0]);
        assert_eq!(s.snapshot().uids(), &[2, 4]);
    }

    #[test]
    fn overflow_marks_session_for_resync() {
        let hub = Hub::new(2);
        let mb = MailboxId(1);
        let sub = hub.subscribe(mb, ME, None);
        let mut s = session(&[1, 2, 3]);
        for uid in 1..=3 {
            hub.publish(mb, Arc::unwrap_or_clone(expunged(&[uid])));
        }
        let d = s.deliver(&sub, Fetch);
        assert_eq!(d.close, Some(CloseReason::QueueOverflow));
        assert!(d.events.is_empty());
        assert_eq!(s.close_reason(), Some(CloseReason::QueueOverflow));
        assert_eq!(
            s.deliver_updates([], Noop).close,
            Some(CloseReason::QueueOverflow),
            "sticky"
        );
        assert!(!CloseReason::QueueOverflow.bye_text().is_empty());
    }

    #[test]
    fn overflowed_session_can_be_resynchronised_under_the_same_rules() {
        let hub = Hub::new(1);
        let mb = MailboxId(1);
        let sub = hub.subscribe(mb, ME, None);
        let mut s = session(&[1, 2, 3]);
        // Lost: UID 2 expunged, UID 3 flagged, UID 4 added.
        hub.publish(mb, Arc::unwrap_or_clone(expunged(&[2])));
        hub.publish(
            mb,
            Arc::unwrap_or_clone(flags(3, SystemFlags::FLAGGED, OTHER)),
        );
        assert_eq!(
            s.deliver(&sub, Fetch).close,
            Some(CloseReason::QueueOverflow)
        );
        assert!(sub.reset());
        let fresh = Snapshot::from_messages([
            (1, FlagSet::default()),
            (3, FlagSet::system(SystemFlags::FLAGGED)),
            (4, FlagSet::default()),
        ])
        .unwrap();
        assert!(s.resync(&fresh));
        // Still in FETCH: the expunge waits, the addition waits behind it.
        let d = s.deliver(&sub, Fetch);
        assert_eq!(lines(&d), ["* 3 FETCH (FLAGS (\\Flagged) UID 3)"]);
        assert!(d.expunge_issued);
        let mut client = vec![1, 2, 3];
        let d = s.deliver(&sub, Noop);
        assert_eq!(lines(&d), ["* 2 EXPUNGE", "* 3 EXISTS"]);
        replay(&mut client, &d);
        assert_eq!(client, [1, 3, 0]);
        assert_eq!(s.snapshot().uids(), fresh.uids());
        // Only an overflow can be resynchronised.
        assert!(!s.resync(&fresh));
        let mut deleted = session(&[1]);
        deleted.deliver_updates([Arc::new(Update::MailboxDeleted)], Noop);
        assert!(!deleted.resync(&fresh));
        assert_eq!(deleted.close_reason(), Some(CloseReason::MailboxDeleted));
    }

    #[test]
    fn held_updates_are_bounded_too() {
        let mut s = session(&[1, 2, 3, 4, 5]);
        s.set_held_limit(3);
        // A client that only FETCHes while others expunge and append.
        let mut d = Delivery::default();
        for uid in 1..=4 {
            d = s.deliver_updates([expunged(&[uid]), added(&[10 + uid], None)], Fetch);
            if d.close.is_some() {
                break;
            }
        }
        assert_eq!(d.close, Some(CloseReason::QueueOverflow));
        assert!(s.held() == 0, "nothing kept once over the limit");
        let fresh = Snapshot::from_messages(
            [3, 4, 5, 11, 12]
                .into_iter()
                .map(|u| (u, FlagSet::default())),
        )
        .unwrap();
        assert!(s.resync(&fresh));
        assert!(s.deliver_updates([], Fetch).events.is_empty());
        assert!(s.held() <= 3, "a resync holds at most three updates");
        let mut client = vec![1, 2, 3, 4, 5];
        let d = s.deliver_updates([], Noop);
        replay(&mut client, &d);
        assert_eq!(client, [3, 4, 5, 0, 0]);
        assert_eq!(s.snapshot().uids(), &[3, 4, 5, 11, 12]);
    }

    #[test]
    fn mailbox_deleted_closes_session_even_between_commands() {
        for ctx in [NoCommand, Fetch, Noop] {
            let mut s = session(&[1]);
            let d = s.deliver_updates([added(&[2], None), Arc::new(Update::MailboxDeleted)], ctx);
            assert_eq!(d.close, Some(CloseReason::MailboxDeleted), "{ctx:?}");
            assert!(d.events.is_empty());
            assert_eq!(s.held(), 0);
        }
        let mut s = session(&[1]);
        let d = s.deliver_updates(
            [Arc::new(Update::UidValidityChanged { uid_validity: 7 })],
            Fetch,
        );
        assert_eq!(d.close, Some(CloseReason::UidValidityChanged));
    }

    #[test]
    fn mailbox_renamed_keeps_session_working() {
        let mut s = session(&[1, 2]);
        let name = Mailbox::new("Archive/2026").unwrap().into_static();
        let d = s.deliver_updates(
            [
                Arc::new(Update::MailboxRenamed {
                    new_name: name.clone(),
                }),
                expunged(&[1]),
            ],
            Noop,
        );
        assert_eq!(d.renamed_to, Some(name));
        assert_eq!(d.close, None);
        assert_eq!(lines(&d), ["* 1 EXPUNGE"]);
    }

    #[test]
    fn select_catch_up_is_silent_and_idempotent() {
        // The snapshot was read after some updates were already queued.
        let snap =
            Snapshot::from_messages([(1, FlagSet::default()), (3, FlagSet::default())]).unwrap();
        let mut s = Selected::new(ME, snap);
        let d = s.deliver_updates(
            [
                added(&[3], None), // already in the snapshot
                expunged(&[2]),    // already gone
                added(&[4], Some(ME)),
            ],
            Select,
        );
        assert!(d.events.is_empty());
        assert_eq!(s.snapshot().uids(), &[1, 3, 4]);
        // The SELECT response reports RECENT 1; no later RECENT repeats it.
        let d = s.deliver_updates([added(&[5], None)], Noop);
        assert_eq!(lines(&d), ["* 4 EXISTS"]);
    }

    #[test]
    fn close_applies_everything_silently() {
        let mut s = session(&[1, 2]);
        let d = s.deliver_updates([expunged(&[1]), added(&[3], None)], Close);
        assert!(d.events.is_empty());
        assert_eq!(s.snapshot().uids(), &[2, 3]);
    }

    #[test]
    fn fetch_of_message_expunged_elsewhere_sees_last_known_flags() {
        let mut s = session(&[1, 2]);
        s.deliver_updates([flags(2, SystemFlags::ANSWERED, OTHER)], Noop);
        s.deliver_updates([expunged(&[2])], Fetch);
        let m = s.snapshot().get(2).unwrap();
        assert!(m.pending_expunge);
        assert_eq!(m.system, SystemFlags::ANSWERED);
    }

    #[test]
    fn modseq_and_recent_are_reported_in_flag_fetches() {
        let mut s = session(&[]);
        s.deliver_updates([added(&[1], Some(ME))], Noop);
        let change = Arc::new(Update::FlagsChanged {
            changes: vec![FlagChange {
                uid: 1,
                flags: FlagSet::default(),
                modseq: Some(42),
            }],
            origin: None,
        });
        let set_seen = Arc::new(Update::FlagsChanged {
            changes: vec![FlagChange {
                uid: 1,
                flags: FlagSet::system(SystemFlags::SEEN),
                modseq: Some(41),
            }],
            origin: None,
        });
        let d = s.deliver_updates([set_seen, change], Noop);
        assert_eq!(
            lines(&d),
            ["* 1 FETCH (FLAGS (\\Recent) UID 1 MODSEQ (42))"]
        );
    }

    #[test]
    fn expunge_of_100k_from_1m_delivers_correct_sequence_numbers() {
        let n = 1_000_000u32;
        let snap = Snapshot::from_messages((1..=n).map(|u| (u, FlagSet::default()))).unwrap();
        let mut s = Selected::new(ME, snap);
        let gone: Vec<u32> = (1..=n).filter(|u| u % 10 == 3).collect();
        let d = s.deliver_updates([expunged(&gone)], Noop);
        assert_eq!(d.events.len(), gone.len());
        // UID u sits at sequence u; descending order needs no adjustment.
        let expected: Vec<Untagged> = gone.iter().rev().map(|&u| Untagged::Expunge(u)).collect();
        assert_eq!(d.events, expected);
        assert_eq!(s.snapshot().len(), n - gone.len() as u32);
        assert_eq!(s.snapshot().uid(3), Some(4));
    }
}
