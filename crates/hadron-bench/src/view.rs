//! A client's view of its selected mailbox, kept as an IMAP client keeps it
//! — sequence number → UID → flags, the keywords the latest `FLAGS`
//! response defined, and `EXISTS` — and the checks every untagged response
//! must pass against it.
//!
//! The view is told of each command before it is sent
//! ([`MailboxView::begin`]), sees each untagged response
//! ([`MailboxView::observe`]) and the command's outcome
//! ([`MailboxView::end`]). Whatever contradicts the view or the protocol is
//! a [`Violation`], collected until [`MailboxView::take_violations`]:
//!
//! - `* n EXPUNGE` with `n` outside `1..=EXISTS`, an `EXPUNGE` while the
//!   server answers a (non-UID) `FETCH`, `STORE` or `SEARCH` (RFC 3501
//!   §7.4.1), and `EXISTS` that shrinks without `EXPUNGE`;
//! - a `FETCH` for a message beyond `EXISTS`;
//! - a keyword in `FETCH (FLAGS ...)` that the latest `* FLAGS` did not
//!   define (RFC 3501 §7.2.6);
//! - UIDs that do not increase with the sequence number, and a message whose
//!   UID changes without an `EXPUNGE` in between;
//! - after a non-silent `STORE` by sequence number, a returned `FLAGS` that
//!   does not show the change (`+FLAGS` lacking a flag, `-FLAGS` still
//!   holding one, `FLAGS` not equal to the list), `\Recent` aside.
//!
//! [`Snapshot`]s of several clients' views taken when no one changes the
//! mailbox must be equal; [`Snapshot::diff`] describes how they are not.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

mod snapshot;

pub use snapshot::Snapshot;

use hadron_proto::types::{
    CommandBody, Data, FetchItem, Flag, FlagFetch, Response, SequenceSet, StoreKind,
};

/// A message's flags without `\Recent`: system flags in their canonical
/// spelling, keywords in lower case (keywords compare case-insensitively).
pub type FlagSet = BTreeSet<String>;

/// The name a flag has in a [`FlagSet`].
pub fn flag_name(flag: &Flag<'_>) -> String {
    match flag {
        Flag::Keyword(_) | Flag::Extension(_) => flag.to_string().to_ascii_lowercase(),
        system => system.to_string(),
    }
}

/// `flags` as a [`FlagSet`] (`\Recent` left out).
pub fn flag_set<'f, 'a: 'f>(flags: impl IntoIterator<Item = &'f FlagFetch<'a>>) -> FlagSet {
    flags
        .into_iter()
        .filter_map(|f| match f {
            FlagFetch::Flag(flag) => Some(flag_name(flag)),
            FlagFetch::Recent => None,
        })
        .collect()
}

fn show(flags: &FlagSet) -> String {
    let names: Vec<&str> = flags.iter().map(String::as_str).collect();
    format!("({})", names.join(" "))
}

fn store_op(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Add => "+FLAGS",
        StoreKind::Remove => "-FLAGS",
        StoreKind::Replace => "FLAGS",
    }
}

/// Something the server sent that contradicts the client's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// `* n EXPUNGE` with `n` = 0 or above `EXISTS`.
    ExpungeOutOfRange {
        /// The expunged sequence number.
        seq: u32,
        /// `EXISTS` before it.
        exists: u32,
    },
    /// `* n EXPUNGE` while answering a command that forbids it.
    ExpungeDuringCommand {
        /// The command (`FETCH`, `STORE`, `SEARCH`).
        command: &'static str,
        /// The expunged sequence number.
        seq: u32,
    },
    /// `EXISTS` smaller than the messages left after the `EXPUNGE`s.
    ExistsShrank {
        /// `EXISTS` before.
        from: u32,
        /// The new `EXISTS`.
        to: u32,
    },
    /// `* n FETCH` with `n` above `EXISTS`.
    FetchOutOfRange {
        /// The sequence number.
        seq: u32,
        /// `EXISTS`.
        exists: u32,
    },
    /// A keyword in `FETCH (FLAGS ...)` not defined by the latest `FLAGS`.
    UndefinedKeyword {
        /// The message.
        seq: u32,
        /// The keyword (lower case).
        keyword: String,
    },
    /// A UID not between the UIDs of the nearest known neighbours.
    UidOrder {
        /// The message.
        seq: u32,
        /// Its UID as fetched.
        uid: u32,
        /// The neighbour's sequence number.
        other_seq: u32,
        /// The neighbour's UID.
        other_uid: u32,
    },
    /// A message whose UID changed without an `EXPUNGE` in between.
    UidChanged {
        /// The message.
        seq: u32,
        /// The UID it had.
        was: u32,
        /// The UID fetched now.
        now: u32,
    },
    /// A non-silent `STORE` whose returned flags do not show the change.
    StoreNotApplied {
        /// The message.
        seq: u32,
        /// Replace, add or remove.
        kind: StoreKind,
        /// The flags of the `STORE`.
        requested: FlagSet,
        /// The flags the server returned.
        returned: FlagSet,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::ExpungeOutOfRange { seq, exists } => {
                write!(f, "* {seq} EXPUNGE with EXISTS {exists}")
            }
            Violation::ExpungeDuringCommand { command, seq } => {
                write!(f, "* {seq} EXPUNGE while answering {command}")
            }
            Violation::ExistsShrank { from, to } => {
                write!(f, "EXISTS shrank from {from} to {to} without EXPUNGE")
            }
            Violation::FetchOutOfRange { seq, exists } => {
                write!(f, "* {seq} FETCH with EXISTS {exists}")
            }
            Violation::UndefinedKeyword { seq, keyword } => write!(
                f,
                "keyword used without FLAGS: {keyword} in * {seq} FETCH not in the last * FLAGS"
            ),
            Violation::UidOrder {
                seq,
                uid,
                other_seq,
                other_uid,
            } => write!(
                f,
                "UIDs not ascending: seq {seq} has UID {uid}, seq {other_seq} has UID {other_uid}"
            ),
            Violation::UidChanged { seq, was, now } => write!(
                f,
                "UID of seq {seq} changed from {was} to {now} without EXPUNGE"
            ),
            Violation::StoreNotApplied {
                seq,
                kind,
                requested,
                returned,
            } => write!(
                f,
                "STORE {seq} {} {} returned FLAGS {}",
                store_op(*kind),
                show(requested),
                show(returned)
            ),
        }
    }
}

/// What one message is known to be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Message {
    uid: Option<u32>,
    flags: Option<FlagSet>,
}

/// A non-silent `STORE` by sequence number whose results are being checked.
#[derive(Debug)]
struct StoreCheck {
    set: SequenceSet,
    exists: u32,
    kind: StoreKind,
    flags: FlagSet,
    /// Per message: whether a returned `FLAGS` showed the change, and the
    /// last one returned.
    results: BTreeMap<u32, (bool, FlagSet)>,
}

impl StoreCheck {
    fn shows_change(&self, returned: &FlagSet) -> bool {
        match self.kind {
            StoreKind::Add => self.flags.is_subset(returned),
            StoreKind::Remove => self.flags.is_disjoint(returned),
            StoreKind::Replace => &self.flags == returned,
        }
    }
}

/// The command being answered.
#[derive(Debug)]
struct Pending {
    name: &'static str,
    /// Whether `EXPUNGE` is forbidden while it is answered.
    no_expunge: bool,
    store: Option<StoreCheck>,
    /// A silent `STORE`: the flags it names become unknown (by UID when
    /// `uid`).
    forget: Option<(bool, SequenceSet)>,
}

/// One client's view of its selected mailbox.
#[derive(Debug, Default)]
pub struct MailboxView {
    messages: Vec<Message>,
    keywords: BTreeSet<String>,
    pending: Option<Pending>,
    violations: Vec<Violation>,
}

impl MailboxView {
    /// An empty view (nothing selected).
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets everything: a new `SELECT` is about to start.
    pub fn reset(&mut self) {
        self.messages.clear();
        self.keywords.clear();
        self.pending = None;
    }

    /// `EXISTS` as the client knows it.
    pub fn exists(&self) -> u32 {
        u32::try_from(self.messages.len()).unwrap_or(u32::MAX)
    }

    /// The UID of message `seq`, if learned.
    pub fn uid(&self, seq: u32) -> Option<u32> {
        self.message(seq).and_then(|m| m.uid)
    }

    /// The flags of message `seq`, if known.
    pub fn flags(&self, seq: u32) -> Option<&FlagSet> {
        self.message(seq).and_then(|m| m.flags.as_ref())
    }

    /// The keywords the latest `FLAGS` response defined (lower case).
    pub fn keywords(&self) -> &BTreeSet<String> {
        &self.keywords
    }

    /// The messages from the first whose UID is not known to the last, as
    /// `(first, last)` sequence numbers; `None` when every UID is known.
    pub fn unknown_uids(&self) -> Option<(u32, u32)> {
        let first = self.messages.iter().position(|m| m.uid.is_none())?;
        Some((first as u32 + 1, self.exists()))
    }

    fn message(&self, seq: u32) -> Option<&Message> {
        self.messages
            .get(usize::try_from(seq).ok()?.checked_sub(1)?)
    }

    /// Takes the violations found so far.
    pub fn take_violations(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.violations)
    }

    /// A command is about to be sent.
    pub fn begin(&mut self, body: &CommandBody<'_>) {
        let mut pending = Pending {
            name: body.name(),
            no_expunge: matches!(
                body,
                CommandBody::Fetch { uid: false, .. }
                    | CommandBody::Store { uid: false, .. }
                    | CommandBody::Search { uid: false, .. }
            ),
            store: None,
            forget: None,
        };
        if let CommandBody::Store {
            uid, set, action, ..
        } = body
        {
            if action.silent {
                pending.forget = Some((*uid, set.clone()));
            } else if !uid {
                pending.store = Some(StoreCheck {
                    set: set.clone(),
                    exists: self.exists(),
                    kind: action.kind,
                    flags: action.flags.iter().map(flag_name).collect(),
                    results: BTreeMap::new(),
                });
            }
        }
        self.pending = Some(pending);
    }

    /// The command sent with [`MailboxView::begin`] completed (`ok`: with
    /// `OK`).
    pub fn end(&mut self, ok: bool) {
        self.end_except(ok, |_| false);
    }

    /// [`MailboxView::end`], except that the results of a `STORE` are not
    /// checked for the messages `contested` names: another session may
    /// have changed their flags meanwhile, and the server may return those
    /// changes too.
    pub fn end_except(&mut self, ok: bool, contested: impl Fn(u32) -> bool) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        if let Some(check) = pending.store.filter(|_| ok) {
            for (seq, (shown, returned)) in &check.results {
                if !shown && !contested(*seq) {
                    self.violations.push(Violation::StoreNotApplied {
                        seq: *seq,
                        kind: check.kind,
                        requested: check.flags.clone(),
                        returned: returned.clone(),
                    });
                }
            }
        }
        if let Some((by_uid, set)) = pending.forget {
            let max_uid = self.messages.iter().filter_map(|m| m.uid).max();
            let exists = self.exists();
            for (i, m) in self.messages.iter_mut().enumerate() {
                let hit = if by_uid {
                    m.uid.is_some_and(|u| set.contains(u, max_uid.unwrap_or(u)))
                } else {
                    set.contains(i as u32 + 1, exists)
                };
                if hit {
                    m.flags = None;
                }
            }
        }
    }

    /// An untagged response arrived.
    pub fn observe(&mut self, response: &Response<'_>) {
        let Response::Data(data) = response else {
            return;
        };
        match data {
            Data::Flags(flags) => {
                self.keywords = flags
                    .iter()
                    .filter(|f| matches!(f, Flag::Keyword(_)))
                    .map(flag_name)
                    .collect();
            }
            Data::Exists(n) => {
                let n = *n as usize;
                if n < self.messages.len() {
                    self.violations.push(Violation::ExistsShrank {
                        from: self.exists(),
                        to: n as u32,
                    });
                    self.messages.truncate(n);
                } else {
                    self.messages.resize(n, Message::default());
                }
            }
            Data::Expunge(seq) => {
                let seq = seq.get();
                if let Some(p) = self.pending.as_ref().filter(|p| p.no_expunge) {
                    self.violations.push(Violation::ExpungeDuringCommand {
                        command: p.name,
                        seq,
                    });
                }
                if seq as usize > self.messages.len() {
                    self.violations.push(Violation::ExpungeOutOfRange {
                        seq,
                        exists: self.exists(),
                    });
                } else {
                    self.messages.remove(seq as usize - 1);
                }
            }
            Data::Fetch { seq, items } => self.fetched(seq.get(), items),
            _ => {}
        }
    }

    fn fetched(&mut self, seq: u32, items: &[FetchItem<'_>]) {
        if seq as usize > self.messages.len() {
            self.violations.push(Violation::FetchOutOfRange {
                seq,
                exists: self.exists(),
            });
            return;
        }
        for item in items {
            match item {
                FetchItem::Uid(uid) => self.learn_uid(seq, uid.get()),
                FetchItem::Flags(flags) => {
                    let set = flag_set(flags);
                    for f in flags {
                        if let FlagFetch::Flag(flag @ Flag::Keyword(_)) = f {
                            let name = flag_name(flag);
                            if !self.keywords.contains(&name) {
                                self.violations
                                    .push(Violation::UndefinedKeyword { seq, keyword: name });
                            }
                        }
                    }
                    if let Some(check) = self.pending.as_mut().and_then(|p| p.store.as_mut())
                        && check.set.contains(seq, check.exists)
                    {
                        let shown = check.shows_change(&set);
                        let entry = check.results.entry(seq).or_insert((false, FlagSet::new()));
                        entry.0 |= shown;
                        entry.1 = set.clone();
                    }
                    self.messages[seq as usize - 1].flags = Some(set);
                }
                _ => {}
            }
        }
    }

    fn learn_uid(&mut self, seq: u32, uid: u32) {
        let i = seq as usize - 1;
        if let Some(was) = self.messages[i].uid
            && was != uid
        {
            self.violations
                .push(Violation::UidChanged { seq, was, now: uid });
        }
        let below = self.messages[..i]
            .iter()
            .enumerate()
            .rev()
            .find_map(|(j, m)| m.uid.map(|u| (j, u)));
        let above = self.messages[i + 1..]
            .iter()
            .enumerate()
            .find_map(|(j, m)| m.uid.map(|u| (i + 1 + j, u)));
        let out_of_order = match (below, above) {
            (Some((j, u)), _) if u >= uid => Some((j, u)),
            (_, Some((j, u))) if u <= uid => Some((j, u)),
            _ => None,
        };
        if let Some((j, other_uid)) = out_of_order {
            self.violations.push(Violation::UidOrder {
                seq,
                uid,
                other_seq: j as u32 + 1,
                other_uid,
            });
        }
        self.messages[i].uid = Some(uid);
    }

    /// The view as UIDs and their flags, in sequence order (messages whose
    /// UID is not known are left out).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(
            self.messages
                .iter()
                .filter_map(|m| m.uid.map(|u| (u, m.flags.clone())))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests;
