//! Model-based test of the state engine: 2–4 sessions on one mailbox,
//! random interleavings of APPEND / STORE / EXPUNGE (by a session or by the
//! connector) and random command contexts, checked against a trivially
//! simple reference: the mailbox's true contents as a plain `Vec`, and for
//! each session a plain `Vec` built only from the events it was sent.
//!
//! Invariants checked after every step:
//! - each session's snapshot equals what its events told it (replayed one
//!   by one the way a client applies them);
//! - no EXPUNGE in a context that forbids it, nothing at all between
//!   commands;
//! - after any command that allows everything (NOOP, IDLE, ...), the
//!   session's view equals the mailbox's true state and nothing is held;
//! - every session's list of UIDs is one the mailbox really had at some
//!   moment, never going back in time (so an EXISTS can never overtake a
//!   held EXPUNGE: that would produce a list that never existed);
//! - UIDs strictly increase in every view (never reused);
//! - a session whose queue overflows (or that holds too many updates) is
//!   re-SELECTed or resynchronised in place, and the rules above still hold through the resync;
//! - `\Recent` is held by at most one session, and at the end by exactly
//!   the one the hub chose.

use std::collections::HashMap;

use hadron_proto::types::Flag;
use hadron_state::delivery::{CloseReason, CommandContext, Delivery, Selected, Untagged};
use hadron_state::flags::{FlagSet, SystemFlags};
use hadron_state::snapshot::Snapshot;
use hadron_state::update::{
    AddedMessage, FlagChange, Hub, MailboxId, SessionId, Subscription, Update,
};
use proptest::prelude::*;

const MB: MailboxId = MailboxId(1);

#[derive(Debug, Clone, Copy)]
enum StoreKind {
    Replace,
    Add,
    Remove,
}

#[derive(Debug, Clone)]
enum Op {
    /// APPEND by a session (`Some`) or a message from the connector.
    Append {
        by: Option<usize>,
        count: usize,
        flags: u8,
    },
    /// STORE by a session (on a message it sees) or the connector.
    Store {
        by: Option<usize>,
        pick: usize,
        kind: StoreKind,
        flags: u8,
        keyword: Option<usize>,
        silent: bool,
    },
    /// EXPUNGE of some messages, by a session or the connector.
    Expunge {
        by: Option<usize>,
        picks: Vec<usize>,
    },
    /// A session runs a command that changes nothing, in this context.
    Command { who: usize, ctx: CommandContext },
}

const KEYWORDS: [&str; 2] = ["$Label1", "NonJunk"];

fn flag_set(bits: u8, keyword: Option<usize>) -> FlagSet {
    let mut f = FlagSet::system(SystemFlags::from_bits_truncate(bits));
    if let Some(k) = keyword {
        f.insert(Flag::keyword(KEYWORDS[k % KEYWORDS.len()]).unwrap());
    }
    f
}

fn context() -> impl Strategy<Value = CommandContext> {
    use CommandContext::*;
    prop_oneof![
        Just(Fetch),
        Just(Store),
        Just(Search),
        Just(Copy),
        Just(Noop),
        Just(Check),
        Just(Status),
        Just(Idle),
        Just(NoCommand),
        Just(NoCommand),
    ]
}

fn op(sessions: usize) -> impl Strategy<Value = Op> {
    let actor = prop_oneof![1 => Just(None), 4 => (0..sessions).prop_map(Some)];
    let kind = prop_oneof![
        Just(StoreKind::Replace),
        Just(StoreKind::Add),
        Just(StoreKind::Remove)
    ];
    prop_oneof![
        3 => (actor.clone(), 1..=3usize, any::<u8>())
            .prop_map(|(by, count, flags)| Op::Append { by, count, flags }),
        3 => (actor.clone(), any::<usize>(), kind, any::<u8>(), proptest::option::of(0..2usize), any::<bool>())
            .prop_map(|(by, pick, kind, flags, keyword, silent)| Op::Store { by, pick, kind, flags, keyword, silent }),
        2 => (actor, proptest::collection::vec(any::<usize>(), 1..4))
            .prop_map(|(by, picks)| Op::Expunge { by, picks }),
        6 => ((0..sessions), context()).prop_map(|(who, ctx)| Op::Command { who, ctx }),
    ]
}

/// What a client believes about one message.
#[derive(Debug, Clone, PartialEq)]
struct Known {
    /// 0 until learnt.
    uid: u32,
    flags: Option<FlagSet>,
    recent: bool,
}

struct Client {
    id: SessionId,
    sub: Subscription,
    selected: Selected,
    view: Vec<Known>,
    /// Index into `World::history` of the state this session's view shows.
    epoch: usize,
}

struct World {
    hub: Hub,
    truth: Vec<(u32, FlagSet)>,
    next_uid: u32,
    clients: Vec<Client>,
    recent_owner: HashMap<u32, SessionId>,
    /// Every list of UIDs the mailbox has had, oldest first.
    history: Vec<Vec<u32>>,
    /// On queue overflow: resynchronise in place (true) or re-SELECT.
    resync: bool,
}

fn view_of(snapshot: &Snapshot) -> Vec<Known> {
    snapshot
        .iter()
        .map(|m| Known {
            uid: m.uid,
            flags: Some(m.flags()),
            recent: m.recent,
        })
        .collect()
}

impl World {
    fn new(sessions: usize, initial: usize, capacity: usize, resync: bool) -> World {
        let hub = Hub::new(capacity);
        let truth: Vec<(u32, FlagSet)> = (1..=initial as u32)
            .map(|u| (u * 2, flag_set(u as u8, None)))
            .collect();
        let mut world = World {
            hub,
            next_uid: initial as u32 * 2 + 1,
            truth,
            clients: Vec::new(),
            recent_owner: HashMap::new(),
            history: Vec::new(),
            resync,
        };
        world.record();
        for i in 0..sessions {
            let id = SessionId(i as u64 + 1);
            let client = world.select(id);
            world.clients.push(client);
        }
        world
    }

    /// SELECT: subscribe first, then read the mailbox, then catch up.
    fn select(&self, id: SessionId) -> Client {
        let sub = self.hub.subscribe(MB, id, None);
        let snapshot = Snapshot::from_messages(self.truth.iter().cloned()).unwrap();
        let mut selected = Selected::new(id, snapshot);
        // Bound held updates as tightly as the queue, to exercise both.
        selected.set_held_limit(self.hub.capacity());
        let d = selected.deliver(&sub, CommandContext::Select);
        assert!(d.events.is_empty());
        let view = view_of(selected.snapshot());
        Client {
            id,
            sub,
            selected,
            view,
            epoch: self.history.len() - 1,
        }
    }

    fn record(&mut self) {
        self.history
            .push(self.truth.iter().map(|(u, _)| *u).collect());
    }

    fn publish(&mut self, update: Update) {
        let report = self.hub.publish(MB, update.clone());
        if let Update::MessagesAdded { messages, .. } = &update
            && let Some(owner) = report.recent_to
        {
            for m in messages {
                self.recent_owner.insert(m.uid, owner);
            }
        }
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Append { by, count, flags } => {
                let origin = by.map(|i| self.clients[i].id);
                let messages: Vec<AddedMessage> = (0..*count)
                    .map(|k| {
                        let uid = self.next_uid;
                        self.next_uid += 1 + k as u32 % 2;
                        AddedMessage {
                            uid,
                            flags: flag_set(flags.wrapping_add(k as u8), None),
                        }
                    })
                    .collect();
                for m in &messages {
                    prop_assert!(self.truth.last().is_none_or(|(u, _)| *u < m.uid));
                    self.truth.push((m.uid, m.flags.clone()));
                }
                self.record();
                self.publish(Update::MessagesAdded {
                    messages,
                    recent_for: None,
                    origin,
                    modseq: None,
                });
                if let Some(i) = by {
                    self.deliver(*i, CommandContext::Append, None)?;
                }
            }
            Op::Store {
                by,
                pick,
                kind,
                flags,
                keyword,
                silent,
            } => {
                let operand = flag_set(*flags, *keyword);
                let uid = match by {
                    Some(i) => {
                        let snap = self.clients[*i].selected.snapshot();
                        if snap.is_empty() {
                            None
                        } else {
                            snap.uid((*pick % snap.len() as usize) as u32 + 1)
                        }
                    }
                    None if self.truth.is_empty() => None,
                    None => Some(self.truth[*pick % self.truth.len()].0),
                };
                let apply = |old: &FlagSet| match kind {
                    StoreKind::Replace => operand.clone(),
                    StoreKind::Add => old.union(&operand),
                    StoreKind::Remove => old.difference(&operand),
                };
                // The store succeeds only if the message still exists.
                let stored = uid.and_then(|uid| {
                    let entry = self.truth.iter_mut().find(|(u, _)| *u == uid)?;
                    entry.1 = apply(&entry.1);
                    Some((uid, entry.1.clone()))
                });
                if let Some((uid, new)) = &stored {
                    self.publish(Update::FlagsChanged {
                        changes: vec![FlagChange {
                            uid: *uid,
                            flags: new.clone(),
                            modseq: None,
                        }],
                        origin: by.map(|i| self.clients[i].id),
                    });
                }
                if let Some(i) = by {
                    let own = stored.map(|(uid, _)| (uid, *silent));
                    if let (Some((uid, true)), client) = (own, &mut self.clients[*i]) {
                        // .SILENT: the client applies the change itself.
                        let known = client.view.iter_mut().find(|k| k.uid == uid).unwrap();
                        known.flags = Some(apply(known.flags.as_ref().unwrap()));
                    }
                    self.deliver(*i, CommandContext::Store, own)?;
                }
            }
            Op::Expunge { by, picks } => {
                let candidates: Vec<u32> = match by {
                    Some(i) => self.clients[*i].selected.snapshot().uids().to_vec(),
                    None => self.truth.iter().map(|(u, _)| *u).collect(),
                };
                let mut uids: Vec<u32> = if candidates.is_empty() {
                    Vec::new()
                } else {
                    picks
                        .iter()
                        .map(|p| candidates[p % candidates.len()])
                        .collect()
                };
                uids.retain(|u| self.truth.iter().any(|(t, _)| t == u));
                uids.sort_unstable();
                uids.dedup();
                if !uids.is_empty() {
                    self.truth.retain(|(u, _)| !uids.contains(u));
                    self.record();
                    self.publish(Update::MessagesExpunged {
                        uids,
                        origin: by.map(|i| self.clients[i].id),
                        modseq: None,
                    });
                }
                if let Some(i) = by {
                    self.deliver(*i, CommandContext::Expunge, None)?;
                }
            }
            Op::Command { who, ctx } => self.deliver(*who, *ctx, None)?,
        }
        self.check_recent_unique()
    }

    /// Delivers to session `i` in `ctx`, replays the events on its client
    /// view and checks the invariants. `own_store` is a STORE this command
    /// made (UID, silent), whose response the command writes itself.
    fn deliver(
        &mut self,
        i: usize,
        ctx: CommandContext,
        own_store: Option<(u32, bool)>,
    ) -> Result<(), TestCaseError> {
        let client = &mut self.clients[i];
        let d = client.selected.deliver(&client.sub, ctx);
        if ctx == CommandContext::NoCommand {
            prop_assert!(d.events.is_empty());
            prop_assert!(!d.expunge_issued);
        }
        if d.close.is_some() {
            // Queue overflow, or too many updates held: events produced
            // before that are still sent, then BYE or a resync.
            prop_assert_eq!(d.close, Some(CloseReason::QueueOverflow));
            // (The view is checked after the resync: an own .SILENT STORE
            // lost with the queue is only told by the resync.)
            replay(client, &d, ctx)?;
            let id = client.id;
            if !self.resync {
                // Start over the way a client would after BYE: SELECT.
                self.recent_owner.retain(|_, owner| *owner != id);
                let fresh = self.select(id);
                self.clients[i] = fresh;
                return Ok(());
            }
            // Resynchronise in place: reset, read, diff, deliver as usual.
            // \Recent for additions lost with the queue is lost too.
            let snapshot = client.selected.snapshot();
            self.recent_owner.retain(|uid, owner| {
                *owner != id
                    || snapshot
                        .seq(*uid)
                        .is_some_and(|seq| snapshot.is_recent(seq))
            });
            client.sub.reset();
            let fresh = Snapshot::from_messages(self.truth.iter().cloned()).unwrap();
            prop_assert!(client.selected.resync(&fresh));
            return self.deliver(i, ctx, own_store);
        }
        if ctx == CommandContext::NoCommand {
            prop_assert_eq!(&d, &Delivery::default());
        }
        replay(client, &d, ctx)?;
        // The STORE command's own FETCH responses, from the snapshot.
        if let Some((uid, false)) = own_store
            && let Some(seq) = client.selected.snapshot().seq(uid)
        {
            let m = client.selected.snapshot().get(seq).unwrap();
            let known = &mut client.view[seq as usize - 1];
            prop_assert_eq!(known.uid, uid);
            known.flags = Some(m.flags());
            known.recent = m.recent;
        }
        // Each session's snapshot equals what it was told.
        prop_assert_eq!(&client.view, &view_of(client.selected.snapshot()));
        prop_assert!(client.view.windows(2).all(|w| w[0].uid < w[1].uid));
        // The view is a state the mailbox really had, not older than the
        // one shown before.
        let uids = client.selected.snapshot().uids();
        let epoch = (client.epoch..self.history.len()).find(|&e| self.history[e] == uids);
        prop_assert!(epoch.is_some(), "view {:?} never existed", uids);
        client.epoch = epoch.unwrap_or_default();
        // [EXPUNGEISSUED] exactly when the command answered from a view
        // that still holds messages expunged elsewhere.
        prop_assert_eq!(
            d.expunge_issued,
            ctx != CommandContext::NoCommand
                && client.selected.snapshot().pending_expunge_count() > 0
        );
        if may_expunge(ctx) {
            // After NOOP & co the view is the mailbox's true state.
            prop_assert_eq!(client.selected.held(), 0);
            let uids: Vec<u32> = self.truth.iter().map(|(u, _)| *u).collect();
            prop_assert_eq!(client.selected.snapshot().uids(), &uids[..]);
            for (k, (_, flags)) in self.truth.iter().enumerate() {
                prop_assert_eq!(client.view[k].flags.as_ref(), Some(flags));
            }
        }
        Ok(())
    }

    fn check_recent_unique(&self) -> Result<(), TestCaseError> {
        let mut holders: HashMap<u32, usize> = HashMap::new();
        for c in &self.clients {
            for m in c.selected.snapshot().iter().filter(|m| m.recent) {
                *holders.entry(m.uid).or_default() += 1;
            }
        }
        prop_assert!(holders.values().all(|&n| n == 1), "{holders:?}");
        Ok(())
    }
}

/// RFC 3501 §7.4.1, written out independently of the code under test.
fn may_expunge(ctx: CommandContext) -> bool {
    use CommandContext::*;
    match ctx {
        Fetch | Store | Search | Copy | NoCommand => false,
        Noop | Check | Expunge | Move | Append | Status | Idle | Close | Select => true,
    }
}

/// Applies events one by one as a client does; new messages are learnt by
/// the client's own FETCH afterwards (answered from the snapshot).
fn replay(client: &mut Client, d: &Delivery, ctx: CommandContext) -> Result<(), TestCaseError> {
    let view = &mut client.view;
    for e in &d.events {
        match e {
            Untagged::Expunge(n) => {
                prop_assert!(may_expunge(ctx), "EXPUNGE sent during {:?}", ctx);
                prop_assert!(*n >= 1 && *n as usize <= view.len());
                view.remove(*n as usize - 1);
            }
            Untagged::Exists(n) => {
                prop_assert!(*n as usize >= view.len(), "EXISTS shrank the mailbox");
                view.resize(
                    *n as usize,
                    Known {
                        uid: 0,
                        flags: None,
                        recent: false,
                    },
                );
            }
            Untagged::Recent(_) => {}
            Untagged::Fetch(f) => {
                prop_assert!(f.seq >= 1 && f.seq as usize <= view.len());
                let known = &mut view[f.seq as usize - 1];
                prop_assert!(known.uid == 0 || known.uid == f.uid);
                known.uid = f.uid;
                known.flags = Some(f.flags.clone());
                known.recent = f.recent;
            }
            Untagged::Vanished(uids) => {
                // The model's sessions never enable QRESYNC.
                prop_assert!(false, "VANISHED without QRESYNC: {uids:?}");
            }
        }
    }
    let snapshot = client.selected.snapshot();
    prop_assert_eq!(view.len(), snapshot.len() as usize);
    for (k, known) in view.iter_mut().enumerate() {
        if known.uid == 0 {
            let m = snapshot.get(k as u32 + 1).unwrap();
            *known = Known {
                uid: m.uid,
                flags: Some(m.flags()),
                recent: m.recent,
            };
        }
    }
    Ok(())
}

fn scenario() -> impl Strategy<Value = (usize, usize, usize, bool, Vec<Op>)> {
    (2..=4usize, 0..6usize, 3..40usize, any::<bool>()).prop_flat_map(
        |(sessions, initial, capacity, resync)| {
            (
                Just(sessions),
                Just(initial),
                Just(capacity),
                Just(resync),
                proptest::collection::vec(op(sessions), 1..80),
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn sessions_see_a_consistent_mailbox((sessions, initial, capacity, resync, ops) in scenario()) {
        let mut world = World::new(sessions, initial, capacity, resync);
        for op in &ops {
            world.apply(op)?;
        }
        // Everyone runs NOOP: every view is now the true mailbox.
        for i in 0..sessions {
            world.deliver(i, CommandContext::Noop, None)?;
        }
        for (uid, _) in &world.truth {
            let holders: Vec<SessionId> = world
                .clients
                .iter()
                .filter(|c| {
                    let s = c.selected.snapshot();
                    s.seq(*uid).is_some_and(|seq| s.is_recent(seq))
                })
                .map(|c| c.id)
                .collect();
            let expected: Vec<SessionId> = world.recent_owner.get(uid).copied().into_iter().collect();
            prop_assert_eq!(holders, expected, "\\Recent of UID {}", uid);
        }
    }
}
