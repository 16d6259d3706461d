//! NOTIFY (RFC 5465): which events a session is told of without asking,
//! for the selected mailbox and for other mailboxes, and when.
//!
//! `NOTIFY SET` resolves its filters (INBOXES, PERSONAL, SUBSCRIBED,
//! SUBTREE, MAILBOXES) against the user's mailboxes into a *watched set*:
//! one [`Hub::subscribe_watcher`](crate::update::Hub::subscribe_watcher)
//! queue per mailbox with message events, plus one registration for the
//! user's [`MailboxEvent`]s when a filter asks for `MailboxName` or
//! `SubscriptionChange` (and to keep the watched set current when
//! mailboxes come and go). Both wake the session; the server then calls
//! [`Session::notify_poll`] between commands (and during IDLE), which
//! writes:
//!
//! - for the selected mailbox, what RFC 3501 delivery allows at once
//!   (`SELECTED`), or everything but expunges (`SELECTED-DELAYED`), then
//!   `FETCH` of new messages for `MessageNew (fetch-att …)`;
//! - for another watched mailbox, one `* STATUS` per mailbox however many
//!   changes it had since the last poll (`MESSAGES UIDNEXT UIDVALIDITY`
//!   for MessageNew/MessageExpunge, `UIDVALIDITY UNSEEN HIGHESTMODSEQ` for
//!   FlagChange, `HIGHESTMODSEQ` also when CONDSTORE is on), read from the
//!   mailbox's counters;
//! - `* LIST` for MailboxName (`\NonExistent` for a deleted mailbox,
//!   `OLDNAME` for a renamed one) and SubscriptionChange (`\Subscribed`).
//!
//! Memory per session is bounded: changes are coalesced per mailbox (a
//! watcher queue holds at most 16 shared update pointers, and its overflow
//! only means "something changed", told as a STATUS of every item), and the
//! queue of mailbox events is bounded; when it overflows the session sends
//! `* OK [NOTIFICATIONOVERFLOW]` and stops notifying, as after `NOTIFY
//! NONE` (RFC 5465 §5.8).
//!
//! Without a `SELECTED`/`SELECTED-DELAYED` group (or with `NONE` events)
//! the selected mailbox is reported as RFC 3501 has it, only with commands.
//! RFC 5465 wants MessageNew and MessageExpunge together, and FlagChange
//! only with both; this is enforced (`BAD`) for the selected mailbox, as
//! Dovecot does, and not for other mailboxes, where a client asking for
//! fewer STATUS items harms nothing. AnnotationChange and the METADATA
//! events are not supported: `NO [BADEVENT (the events that are)]`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hadron_proto::types::{
    Code, Data, EventGroup, FetchAttribute, FetchItems, ListAttribute, ListData, ListExtended,
    Mailbox, MailboxFilter, NonEmptyVec, NotifyEvent, NotifyRequest, SeqNumber, Sequence,
    SequenceSet, StatusItem, StatusKind, Tag,
};
use hadron_store::MailboxInfo;

use super::output::{data, nz, tagged, untagged_ok};
use super::{HoldTagged, ResponseSink, Session};
use crate::delivery::CommandContext;
use crate::engine::hub_id;
use crate::mailbox_events::{DrainedEvents, EventSubscription, MailboxEvent};
use crate::mailboxes::{DELIMITER, delimiter, status_values, store_name};
use crate::update::{Drained, Subscription, Update};

/// Event bits: what a filter asks for, and what changed in a mailbox.
const NEW: u8 = 1;
const EXPUNGE: u8 = 2;
const FLAGS: u8 = 4;
const NAME: u8 = 8;
const SUBSCRIPTION: u8 = 16;
const MESSAGE_EVENTS: u8 = NEW | EXPUNGE | FLAGS;

/// How the selected mailbox's changes reach the client between commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SelectedMode {
    /// Only with commands (RFC 3501).
    Commands,
    /// `SELECTED`: at once.
    Immediate,
    /// `SELECTED-DELAYED`: at once, but expunges only with commands.
    Delayed,
}

/// A filter of other mailboxes, with names as the store keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Filter {
    Inboxes,
    Personal,
    Subscribed,
    Subtree(Vec<String>),
    Mailboxes(Vec<String>),
}

impl Filter {
    fn matches(&self, name: &str, subscribed: &HashSet<String>) -> bool {
        match self {
            Filter::Inboxes => name == "INBOX",
            Filter::Personal => true,
            Filter::Subscribed => subscribed.contains(name),
            Filter::Subtree(roots) => roots.iter().any(|r| {
                name == r
                    || (name.len() > r.len()
                        && name.starts_with(r.as_str())
                        && name[r.len()..].starts_with(DELIMITER))
            }),
            Filter::Mailboxes(names) => names.iter().any(|n| n == name),
        }
    }
}

/// One watched mailbox that is not (necessarily) selected.
struct Watched {
    name: String,
    /// The events asked for (bits).
    events: u8,
    subscription: Subscription,
}

/// A session's NOTIFY state: `None` until `NOTIFY SET`.
pub(super) struct NotifyState {
    selected: SelectedMode,
    /// MessageNew's FETCH items for the selected mailbox.
    new_fetch: Vec<FetchAttribute<'static>>,
    /// The highest UID of the selected mailbox (by id) already fetched for
    /// MessageNew.
    fetched: Option<(i64, u32)>,
    groups: Vec<(Filter, u8)>,
    /// Whether a group has the SUBSCRIBED filter.
    by_subscription: bool,
    /// The subscribed names (kept only for a SUBSCRIBED filter).
    subscribed: HashSet<String>,
    watched: HashMap<i64, Watched>,
    events: EventSubscription,
    /// Set by every wake-up of the watchers and the event queue.
    dirty: Arc<AtomicBool>,
}

impl NotifyState {
    /// The events asked for `name` (store form), from every group that
    /// matches it.
    fn mask(&self, name: &str) -> u8 {
        self.groups
            .iter()
            .filter(|(f, _)| f.matches(name, &self.subscribed))
            .fold(0, |m, (_, e)| m | e)
    }

    /// The bytes this state holds beyond its own struct (for the memory
    /// figure in docs/BENCHMARKS.md): names, filters, the watched map and
    /// each watcher's queue in the hub.
    pub(super) fn heap_size(&self) -> usize {
        let strings = |v: &[String]| v.iter().map(|s| s.capacity() + 24).sum::<usize>();
        let groups: usize = self
            .groups
            .iter()
            .map(|(f, _)| {
                40 + match f {
                    Filter::Subtree(v) | Filter::Mailboxes(v) => strings(v),
                    _ => 0,
                }
            })
            .sum();
        let subscribed: usize = self.subscribed.iter().map(|s| s.capacity() + 32).sum();
        // A watcher queue in the hub: its Arc, mutex, empty deque and
        // flags (about 96 bytes), and its pointer in the hub's list.
        let watched: usize = self
            .watched
            .values()
            .map(|w| std::mem::size_of::<(i64, Watched)>() + 8 + w.name.capacity() + 96 + 8)
            .sum();
        groups + subscribed + watched + self.new_fetch.len() * 64
    }
}

/// The events this server supports, as `BADEVENT` lists them (RFC 5465
/// §3.1: all of them).
fn supported_events() -> NonEmptyVec<NotifyEvent<'static>> {
    let mut all = NonEmptyVec::one(NotifyEvent::MessageNew(Vec::new())).into_vec();
    all.extend([
        NotifyEvent::MessageExpunge,
        NotifyEvent::FlagChange,
        NotifyEvent::MailboxName,
        NotifyEvent::SubscriptionChange,
    ]);
    NonEmptyVec::new(all).unwrap_or_else(|_| unreachable!("five events"))
}

/// Why an event group is refused.
enum Refusal {
    /// An event this server does not support: `NO [BADEVENT]`.
    Unsupported,
    /// A misuse of the grammar's pieces: `BAD` with the reason.
    Bad(&'static str),
}

/// The bits of a group's events, or why the group is refused.
fn event_bits(group: &EventGroup<'_>) -> Result<u8, Refusal> {
    let mut bits = 0;
    for e in &group.events {
        bits |= match e {
            NotifyEvent::MessageNew(atts) => {
                if !atts.is_empty() && !group.filter.is_selected() {
                    return Err(Refusal::Bad(
                        "MessageNew takes FETCH items only for SELECTED or SELECTED-DELAYED",
                    ));
                }
                NEW
            }
            NotifyEvent::MessageExpunge => EXPUNGE,
            NotifyEvent::FlagChange => FLAGS,
            NotifyEvent::MailboxName => NAME,
            NotifyEvent::SubscriptionChange => SUBSCRIPTION,
            NotifyEvent::AnnotationChange
            | NotifyEvent::MailboxMetadataChange
            | NotifyEvent::ServerMetadataChange
            | NotifyEvent::Other(_) => return Err(Refusal::Unsupported),
        };
    }
    if group.filter.is_selected() {
        if bits & !MESSAGE_EVENTS != 0 {
            return Err(Refusal::Bad(
                "SELECTED and SELECTED-DELAYED take message events only",
            ));
        }
        let pair = bits & (NEW | EXPUNGE);
        if pair != 0 && pair != NEW | EXPUNGE {
            return Err(Refusal::Bad(
                "MessageNew and MessageExpunge go together (RFC 5465 section 5)",
            ));
        }
        if bits & FLAGS != 0 && pair == 0 {
            return Err(Refusal::Bad(
                "FlagChange needs MessageNew and MessageExpunge (RFC 5465 section 5)",
            ));
        }
    }
    Ok(bits)
}

/// The STATUS items that tell of `bits` (changes, or the events watched).
fn status_items(bits: u8, condstore: bool) -> Vec<StatusItem> {
    let mut items = Vec::new();
    if bits & (NEW | EXPUNGE) != 0 {
        items.extend([
            StatusItem::Messages,
            StatusItem::UidNext,
            StatusItem::UidValidity,
        ]);
        if condstore {
            items.push(StatusItem::HighestModSeq);
        }
    }
    if bits & FLAGS != 0 {
        for i in [
            StatusItem::UidValidity,
            StatusItem::Unseen,
            StatusItem::HighestModSeq,
        ] {
            if !items.contains(&i) {
                items.push(i);
            }
        }
    }
    items
}

/// The bits an update to a mailbox stands for.
fn update_bits(u: &Update) -> u8 {
    match u {
        Update::MessagesAdded { .. } => NEW,
        Update::MessagesExpunged { .. } => EXPUNGE,
        Update::FlagsChanged { .. } => FLAGS,
        Update::UidValidityChanged { .. } => NEW | EXPUNGE | FLAGS,
        Update::MailboxRenamed { .. } | Update::MailboxDeleted => 0,
    }
}

fn list(
    name: &str,
    attributes: Vec<ListAttribute<'static>>,
    old: Option<&str>,
) -> Option<Data<'static>> {
    let mailbox = Mailbox::new(name.to_owned()).ok()?;
    let extended = old
        .and_then(|o| Mailbox::new(o.to_owned()).ok())
        .map(ListExtended::OldName)
        .into_iter()
        .collect();
    Some(Data::List(ListData {
        attributes,
        delimiter: Some(delimiter()),
        mailbox,
        extended,
    }))
}

impl Session {
    /// `NOTIFY NONE` / `NOTIFY SET …` (RFC 5465).
    pub(super) async fn notify(
        &mut self,
        tag: &Tag<'_>,
        request: NotifyRequest<'static>,
        out: &mut dyn ResponseSink,
    ) {
        let NotifyRequest::Set { status, groups } = request else {
            self.notify = None;
            return out.send(tagged(tag, StatusKind::Ok, None, "NOTIFY completed"));
        };
        let mut selected = SelectedMode::Commands;
        let mut selected_seen = false;
        let mut new_fetch = Vec::new();
        let mut filters = Vec::new();
        let mut unsupported = false;
        for group in groups.iter() {
            let bits = match event_bits(group) {
                Ok(bits) => bits,
                Err(Refusal::Unsupported) => {
                    unsupported = true;
                    continue;
                }
                Err(Refusal::Bad(why)) => return out.send(tagged(tag, StatusKind::Bad, None, why)),
            };
            let names = |v: &NonEmptyVec<Mailbox<'_>>| {
                v.iter().filter(|m| !m.is_raw()).map(store_name).collect()
            };
            let filter = match &group.filter {
                MailboxFilter::Selected | MailboxFilter::SelectedDelayed => {
                    if selected_seen {
                        let why = "only one SELECTED or SELECTED-DELAYED group";
                        return out.send(tagged(tag, StatusKind::Bad, None, why));
                    }
                    selected_seen = true;
                    if bits != 0 {
                        selected = if group.filter == MailboxFilter::Selected {
                            SelectedMode::Immediate
                        } else {
                            SelectedMode::Delayed
                        };
                    }
                    for e in &group.events {
                        if let NotifyEvent::MessageNew(atts) = e {
                            new_fetch = atts.clone();
                        }
                    }
                    continue;
                }
                MailboxFilter::Inboxes => Filter::Inboxes,
                MailboxFilter::Personal => Filter::Personal,
                MailboxFilter::Subscribed => Filter::Subscribed,
                MailboxFilter::Subtree(v) => Filter::Subtree(names(v)),
                MailboxFilter::Mailboxes(v) => Filter::Mailboxes(names(v)),
            };
            if bits != 0 {
                filters.push((filter, bits));
            }
        }
        if unsupported {
            let code = Code::BadEvent(supported_events());
            return out.send(tagged(
                tag,
                StatusKind::No,
                Some(code),
                "unsupported NOTIFY event",
            ));
        }
        let wake = self.wake.clone();
        let dirty = Arc::new(AtomicBool::new(false));
        let d = dirty.clone();
        let events = self.engine.hub().mailbox_events().subscribe(
            self.acct().id.0 as u64,
            Some(Arc::new(move || {
                d.store(true, Ordering::Release);
                wake.notify_one();
            })),
        );
        let fetched = self
            .mailbox
            .as_ref()
            .map(|m| (m.info.id.0, m.selected.snapshot().max_uid()));
        let mut state = NotifyState {
            selected,
            new_fetch,
            fetched,
            by_subscription: filters.iter().any(|(f, _)| *f == Filter::Subscribed),
            groups: filters,
            subscribed: HashSet::new(),
            watched: HashMap::new(),
            events,
            dirty,
        };
        let infos = match self.resolve_watched(&mut state).await {
            Ok(infos) => infos,
            Err(e) => return out.send(super::no_for(tag, &e)),
        };
        if status {
            let condstore = self.condstore();
            let selected_id = self.mailbox.as_ref().map(|m| m.info.id);
            for info in infos {
                let bits = state.mask(&info.name) & MESSAGE_EVENTS;
                if bits == 0 || Some(info.id) == selected_id {
                    continue;
                }
                self.send_status(&info, status_items(bits, condstore), out);
            }
        }
        self.notify = Some(state);
        // What the selected mailbox holds for the client goes out now
        // under the new rules.
        self.notify_selected(out).await;
        out.send(tagged(tag, StatusKind::Ok, None, "NOTIFY completed"));
    }

    /// Reads the user's mailboxes (and subscriptions) and brings the
    /// watched set in line with the filters; returns the mailboxes read.
    async fn resolve_watched(
        &self,
        state: &mut NotifyState,
    ) -> Result<Vec<MailboxInfo>, crate::engine::EngineError> {
        let (infos, subscribed) = self
            .engine
            .mailboxes_and_subscriptions(self.acct().id)
            .await?;
        if state.by_subscription {
            state.subscribed = subscribed.into_iter().collect();
        }
        let mut keep = HashSet::new();
        for info in &infos {
            let events = state.mask(&info.name) & MESSAGE_EVENTS;
            if events == 0 {
                continue;
            }
            keep.insert(info.id.0);
            if let Some(w) = state.watched.get_mut(&info.id.0) {
                w.name.clone_from(&info.name);
                w.events = events;
                continue;
            }
            let (dirty, wake) = (state.dirty.clone(), self.wake.clone());
            let subscription = self.engine.hub().subscribe_watcher(
                hub_id(info.id),
                Arc::new(move || {
                    dirty.store(true, Ordering::Release);
                    wake.notify_one();
                }),
            );
            // Other processes' changes to it are published here too.
            self.engine.follow_changes(info.id, info);
            state.watched.insert(
                info.id.0,
                Watched {
                    name: info.name.clone(),
                    events,
                    subscription,
                },
            );
        }
        state.watched.retain(|id, _| keep.contains(id));
        Ok(infos)
    }

    fn send_status(&self, info: &MailboxInfo, items: Vec<StatusItem>, out: &mut dyn ResponseSink) {
        if let Ok(mailbox) = Mailbox::new(info.name.clone()) {
            let items = status_values(info, &items);
            out.send(data(Data::Status { mailbox, items }));
        }
    }

    /// Whether NOTIFY is on: the server then waits for
    /// [`Session::wait_for_notifications`] between commands.
    pub fn notify_active(&self) -> bool {
        self.notify.is_some()
    }

    /// Whether [`Session::notify_poll`] has something to write.
    pub fn notifications_pending(&self) -> bool {
        let Some(n) = &self.notify else {
            return false;
        };
        if n.dirty.load(Ordering::Acquire) || n.events.pending() {
            return true;
        }
        let Some(m) = &self.mailbox else {
            return false;
        };
        (n.selected != SelectedMode::Commands && m.subscription.pending() > 0)
            || (!n.new_fetch.is_empty()
                && n.fetched.is_some_and(|(id, uid)| {
                    id == m.info.id.0 && m.selected.snapshot().max_uid() > uid
                }))
    }

    /// Waits until [`Session::notifications_pending`]; never returns
    /// without NOTIFY on.
    pub async fn wait_for_notifications(&self) {
        loop {
            if self.notifications_pending() {
                return;
            }
            self.wake.notified().await;
        }
    }

    /// Writes what NOTIFY asked for that is waiting (see the module docs);
    /// called by the server between commands and during IDLE.
    pub async fn notify_poll(&mut self, out: &mut dyn ResponseSink) {
        let condstore = self.condstore();
        // Out of the session while it works; put back unless it ends.
        let Some(mut n) = self.notify.take() else {
            return;
        };
        n.dirty.store(false, Ordering::Release);
        // Mailbox names and subscriptions.
        let events = match n.events.drain() {
            DrainedEvents::Events(e) => e,
            DrainedEvents::Overflowed => return notification_overflow(out),
        };
        for e in &events {
            if let Some(d) = name_event(&mut n, e) {
                out.send(data(d));
            }
        }
        if !events.is_empty()
            && let Err(e) = self.resolve_watched(&mut n).await
        {
            tracing::warn!(error = %e, "NOTIFY: reading the mailboxes failed");
        }
        // Other mailboxes' message events, one STATUS per mailbox.
        let selected_id = self.mailbox.as_ref().map(|m| m.info.id.0);
        let mut changed = Vec::new();
        for (&id, w) in &n.watched {
            let bits = match w.subscription.drain() {
                Drained::Updates(u) => u.iter().fold(0, |b, u| b | update_bits(u)),
                Drained::Overflowed => {
                    // Only "something changed" is needed: a STATUS says it.
                    w.subscription.reset();
                    MESSAGE_EVENTS
                }
            };
            let bits = bits & w.events;
            if bits != 0 && Some(id) != selected_id {
                changed.push((id, bits));
            }
        }
        self.notify = Some(n);
        for (id, bits) in changed {
            let store_id = hadron_store::MailboxId(id);
            let info = self
                .engine
                .read_sized(true, move |store, _| Ok(store.mailbox_status(store_id)?))
                .await;
            // A mailbox deleted meanwhile has its `\NonExistent` LIST (or
            // nothing, if names are not watched).
            if let Ok(info) = info {
                self.send_status(&info, status_items(bits, condstore), out);
            }
        }
        self.notify_selected(out).await;
    }

    /// The selected mailbox under `SELECTED`/`SELECTED-DELAYED`, and
    /// MessageNew's FETCH of new messages.
    async fn notify_selected(&mut self, out: &mut dyn ResponseSink) {
        let Some(n) = &self.notify else { return };
        let context = match n.selected {
            SelectedMode::Commands => return,
            SelectedMode::Immediate => CommandContext::Idle,
            SelectedMode::Delayed => CommandContext::Fetch,
        };
        let Some(m) = &self.mailbox else { return };
        let now = (m.info.id.0, m.selected.snapshot().max_uid());
        if let Some(n) = &mut self.notify
            && n.fetched.is_none_or(|(id, _)| id != now.0)
        {
            // Selected since the last poll: what arrives from now on is new.
            n.fetched = Some(now);
        }
        self.deliver(context, out);
        self.refresh_contexts(out).await;
        let Some(n) = &mut self.notify else { return };
        let Some(m) = &self.mailbox else { return };
        let (id, max) = (m.info.id.0, m.selected.snapshot().max_uid());
        let from = match n.fetched {
            Some((fid, uid)) if fid == id => uid,
            _ => max,
        };
        n.fetched = Some((id, max));
        if n.new_fetch.is_empty() || max <= from {
            return;
        }
        let Ok(items) = NonEmptyVec::new(n.new_fetch.clone()) else {
            return;
        };
        let set = SequenceSet::new(vec![Sequence::Range(
            SeqNumber::Value(nz(from + 1)),
            SeqNumber::Value(nz(max)),
        )]);
        let (Ok(set), Ok(tag)) = (set, Tag::try_from("notify")) else {
            return;
        };
        let mut held = HoldTagged {
            inner: out,
            tagged: None,
        };
        let items = FetchItems::Attributes(items);
        self.fetch(&tag, true, &set, &items, &[], &mut held).await;
    }

    /// The memory this session's NOTIFY state holds (bytes, estimated), for
    /// measurements; 0 without NOTIFY.
    pub fn notify_memory(&self) -> usize {
        self.notify
            .as_ref()
            .map_or(0, |n| std::mem::size_of::<NotifyState>() + n.heap_size())
    }
}

/// The mailbox-event queue overflowed: tells the client, whose session
/// then notifies nothing more, as after `NOTIFY NONE` (RFC 5465 §5.8).
fn notification_overflow(out: &mut dyn ResponseSink) {
    out.send(untagged_ok(
        Some(Code::NotificationOverflow),
        "too many changes; NOTIFY is off, use NOTIFY SET again",
    ));
}

/// The `* LIST` a mailbox event produces for this state, if it asked for
/// it; keeps the subscribed names current.
fn name_event(n: &mut NotifyState, e: &MailboxEvent) -> Option<Data<'static>> {
    match e {
        MailboxEvent::Created(name) => {
            (n.mask(name) & NAME != 0).then(|| list(name, Vec::new(), None))?
        }
        MailboxEvent::Deleted(name) => (n.mask(name) & NAME != 0)
            .then(|| list(name, vec![ListAttribute::NonExistent], None))?,
        MailboxEvent::Renamed { from, to } => {
            ((n.mask(from) | n.mask(to)) & NAME != 0).then(|| list(to, Vec::new(), Some(from)))?
        }
        MailboxEvent::Subscribed(name) => {
            if n.by_subscription {
                n.subscribed.insert(name.clone());
            }
            (n.mask(name) & SUBSCRIPTION != 0)
                .then(|| list(name, vec![ListAttribute::Subscribed], None))?
        }
        MailboxEvent::Unsubscribed(name) => {
            if n.by_subscription {
                n.subscribed.insert(name.clone());
            }
            let bits = n.mask(name);
            n.subscribed.remove(name);
            (bits & SUBSCRIPTION != 0).then(|| list(name, Vec::new(), None))?
        }
    }
}
