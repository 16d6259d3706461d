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

/// A view's UIDs and flags (`None`: not known), in sequence order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot(pub Vec<(u32, Option<FlagSet>)>);

impl Snapshot {
    /// How `other` differs from `self`, in a line; `None` when they agree
    /// (flags unknown on either side are not compared).
    pub fn diff(&self, other: &Snapshot) -> Option<String> {
        const SHOWN: usize = 5;
        let mine: BTreeMap<u32, &Option<FlagSet>> = self.0.iter().map(|(u, f)| (*u, f)).collect();
        let theirs: BTreeMap<u32, &Option<FlagSet>> =
            other.0.iter().map(|(u, f)| (*u, f)).collect();
        let only = |a: &BTreeMap<u32, _>, b: &BTreeMap<u32, _>| -> Vec<u32> {
            a.keys().filter(|u| !b.contains_key(u)).copied().collect()
        };
        let (missing, extra) = (only(&mine, &theirs), only(&theirs, &mine));
        let flags: Vec<String> = mine
            .iter()
            .filter_map(|(uid, a)| {
                let (Some(a), Some(Some(b))) = (a, theirs.get(uid)) else {
                    return None;
                };
                (a != b).then(|| format!("UID {uid} {} vs {}", show(a), show(b)))
            })
            .collect();
        let mine_order: Vec<u32> = self.0.iter().map(|(u, _)| *u).collect();
        let their_order: Vec<u32> = other.0.iter().map(|(u, _)| *u).collect();
        let reordered = missing.is_empty() && extra.is_empty() && mine_order != their_order;
        if missing.is_empty() && extra.is_empty() && flags.is_empty() && !reordered {
            return None;
        }
        let list = |v: &[u32]| {
            let head: Vec<String> = v.iter().take(SHOWN).map(u32::to_string).collect();
            let more = v.len().saturating_sub(SHOWN);
            if more > 0 {
                format!("{} (+{more})", head.join(","))
            } else {
                head.join(",")
            }
        };
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("lacks UIDs {}", list(&missing)));
        }
        if !extra.is_empty() {
            parts.push(format!("has extra UIDs {}", list(&extra)));
        }
        if reordered {
            parts.push("has the UIDs in another order".to_owned());
        }
        if !flags.is_empty() {
            let more = flags.len().saturating_sub(SHOWN);
            let mut text = flags[..flags.len().min(SHOWN)].join("; ");
            if more > 0 {
                text.push_str(&format!(" (+{more})"));
            }
            parts.push(format!("flags differ: {text}"));
        }
        Some(parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadron_proto::parse::{self, ParseLimits};
    use hadron_proto::types::StoreAction;

    /// Feeds server lines (without CRLF) to the view.
    fn feed(view: &mut MailboxView, lines: &[&str]) {
        for line in lines {
            let bytes = format!("{line}\r\n");
            let response = parse::response(bytes.as_bytes()).expect(line);
            view.observe(&response);
        }
    }

    fn command(text: &str) -> CommandBody<'static> {
        let bytes = format!("t {text}\r\n");
        let command = parse::command(bytes.as_bytes(), &ParseLimits::default()).expect(text);
        command.body.into_static()
    }

    /// A view after SELECT of three messages with UIDs 10, 20, 30.
    fn selected() -> MailboxView {
        let mut view = MailboxView::new();
        view.begin(&command("SELECT INBOX"));
        feed(
            &mut view,
            &[
                "* FLAGS (\\Seen \\Deleted $Label1)",
                "* 3 EXISTS",
                "* 0 RECENT",
                "* OK [UIDVALIDITY 7] ok",
            ],
        );
        view.end(true);
        assert_eq!(view.unknown_uids(), Some((1, 3)));
        view.begin(&command("FETCH 1:* (UID FLAGS)"));
        feed(
            &mut view,
            &[
                "* 1 FETCH (UID 10 FLAGS (\\Seen \\Recent))",
                "* 2 FETCH (UID 20 FLAGS ())",
                "* 3 FETCH (UID 30 FLAGS ($label1))",
            ],
        );
        view.end(true);
        view
    }

    #[test]
    fn a_correct_stream_yields_no_violation() {
        let mut view = selected();
        assert_eq!(view.unknown_uids(), None);
        view.begin(&command("STORE 2 +FLAGS (\\Seen $New)"));
        feed(
            &mut view,
            &[
                "* FLAGS (\\Seen \\Deleted $Label1 $New)",
                "* 2 FETCH (FLAGS (\\Seen $New \\Recent))",
            ],
        );
        view.end(true);
        view.begin(&command("NOOP"));
        feed(
            &mut view,
            &[
                "* 1 EXPUNGE",
                "* 3 EXISTS",
                "* 3 FETCH (UID 31 FLAGS (\\Seen))",
                "* 1 FETCH (FLAGS ())",
            ],
        );
        view.end(true);
        view.begin(&command("STORE 1:2 -FLAGS ($Label1)"));
        feed(&mut view, &["* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS ())"]);
        view.end(true);
        view.begin(&command("STORE 3 FLAGS (\\Deleted)"));
        feed(&mut view, &["* 3 FETCH (FLAGS (\\Deleted \\Recent))"]);
        view.end(true);
        view.begin(&command("UID EXPUNGE 31"));
        feed(&mut view, &["* 3 EXPUNGE", "* 2 EXISTS"]);
        view.end(true);
        assert_eq!(view.take_violations(), Vec::new());
        assert_eq!(view.exists(), 2);
        assert_eq!((view.uid(1), view.uid(2)), (Some(20), Some(30)));
        assert_eq!(view.flags(1), Some(&FlagSet::new()));
        assert_eq!(
            view.snapshot(),
            Snapshot(vec![(20, Some(FlagSet::new())), (30, Some(FlagSet::new()))])
        );
    }

    #[test]
    fn expunges_out_of_range_and_shrinking_exists_are_caught() {
        let mut view = selected();
        view.begin(&command("NOOP"));
        feed(&mut view, &["* 4 EXPUNGE"]);
        view.end(true);
        assert_eq!(
            view.take_violations(),
            vec![Violation::ExpungeOutOfRange { seq: 4, exists: 3 }]
        );
        assert_eq!(view.exists(), 3);
        feed(&mut view, &["* 2 EXPUNGE", "* 1 EXISTS"]);
        assert_eq!(
            view.take_violations(),
            vec![Violation::ExistsShrank { from: 2, to: 1 }]
        );
        assert_eq!(view.exists(), 1);
        assert!(view.take_violations().is_empty());
    }

    #[test]
    fn expunge_while_answering_fetch_store_or_search_is_caught() {
        for cmd in [
            "FETCH 1 FLAGS",
            "STORE 1 +FLAGS.SILENT (\\Seen)",
            "SEARCH ALL",
        ] {
            let mut view = selected();
            view.begin(&command(cmd));
            feed(&mut view, &["* 1 EXPUNGE"]);
            view.end(true);
            let v = view.take_violations();
            assert!(
                matches!(v[..], [Violation::ExpungeDuringCommand { seq: 1, .. }]),
                "{cmd}: {v:?}"
            );
        }
        let mut view = selected();
        view.begin(&command("UID FETCH 1:* FLAGS"));
        feed(&mut view, &["* 1 EXPUNGE"]);
        view.end(true);
        assert!(view.take_violations().is_empty());
    }

    #[test]
    fn fetch_beyond_exists_is_caught() {
        let mut view = selected();
        feed(&mut view, &["* 4 FETCH (FLAGS ())"]);
        assert_eq!(
            view.take_violations(),
            vec![Violation::FetchOutOfRange { seq: 4, exists: 3 }]
        );
    }

    #[test]
    fn keywords_must_be_defined_by_the_last_flags() {
        let mut view = selected();
        feed(
            &mut view,
            &["* 1 FETCH (FLAGS (\\Seen $Label2 \\Answered))"],
        );
        let v = view.take_violations();
        assert_eq!(
            v,
            vec![Violation::UndefinedKeyword {
                seq: 1,
                keyword: "$label2".into()
            }]
        );
        assert!(v[0].to_string().contains("keyword used without FLAGS"));
        // A newer FLAGS without $Label1 makes it undefined too.
        feed(
            &mut view,
            &[
                "* FLAGS (\\Seen $Label2)",
                "* 2 FETCH (FLAGS ($LABEL2 $Label1))",
            ],
        );
        assert_eq!(
            view.take_violations(),
            vec![Violation::UndefinedKeyword {
                seq: 2,
                keyword: "$label1".into()
            }]
        );
    }

    #[test]
    fn uids_must_ascend_and_stay() {
        let mut view = selected();
        feed(&mut view, &["* 2 FETCH (UID 5)"]);
        assert_eq!(
            view.take_violations(),
            vec![
                Violation::UidChanged {
                    seq: 2,
                    was: 20,
                    now: 5
                },
                Violation::UidOrder {
                    seq: 2,
                    uid: 5,
                    other_seq: 1,
                    other_uid: 10
                }
            ]
        );
        let mut view = selected();
        feed(&mut view, &["* 4 EXISTS", "* 4 FETCH (UID 30)"]);
        assert_eq!(
            view.take_violations(),
            vec![Violation::UidOrder {
                seq: 4,
                uid: 30,
                other_seq: 3,
                other_uid: 30
            }]
        );
        // Unknown neighbours are skipped over to the nearest known one.
        let mut view = MailboxView::new();
        feed(
            &mut view,
            &["* 5 EXISTS", "* 1 FETCH (UID 3)", "* 4 FETCH (UID 2)"],
        );
        assert!(matches!(
            view.take_violations()[..],
            [Violation::UidOrder {
                seq: 4,
                other_seq: 1,
                ..
            }]
        ));
    }

    #[test]
    fn store_results_must_show_the_change() {
        let cases = [
            ("STORE 1 +FLAGS (\\Flagged)", "(\\Seen)"),
            ("STORE 1 -FLAGS (\\Seen)", "(\\Seen)"),
            ("STORE 1 FLAGS (\\Draft)", "(\\Draft \\Seen)"),
            ("STORE 1 FLAGS ()", "(\\Seen)"),
        ];
        for (cmd, returned) in cases {
            let mut view = selected();
            view.begin(&command(cmd));
            feed(&mut view, &[&format!("* 1 FETCH (FLAGS {returned})")]);
            view.end(true);
            let v = view.take_violations();
            assert!(
                matches!(v[..], [Violation::StoreNotApplied { seq: 1, .. }]),
                "{cmd}: {v:?}"
            );
        }
        // \Recent is ignored; a refused STORE is not checked.
        let mut view = selected();
        view.begin(&command("STORE 1 FLAGS (\\Seen)"));
        feed(&mut view, &["* 1 FETCH (FLAGS (\\Recent \\Seen))"]);
        view.end(true);
        view.begin(&command("STORE 2 +FLAGS (\\Seen)"));
        feed(&mut view, &["* 2 FETCH (FLAGS ())"]);
        view.end(false);
        assert!(view.take_violations().is_empty());
        // Contested messages are not checked.
        view.begin(&command("STORE 1:2 +FLAGS (\\Flagged)"));
        feed(&mut view, &["* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS ())"]);
        view.end_except(true, |seq| seq == 2);
        let v = view.take_violations();
        assert!(
            matches!(v[..], [Violation::StoreNotApplied { seq: 1, .. }]),
            "{v:?}"
        );
        // Among several FETCHes of one message, one showing the change is
        // enough (another session may change it right after).
        view.begin(&command("STORE 2 +FLAGS (\\Seen)"));
        feed(
            &mut view,
            &["* 2 FETCH (FLAGS (\\Seen))", "* 2 FETCH (FLAGS ())"],
        );
        view.end(true);
        assert!(view.take_violations().is_empty());
    }

    #[test]
    fn silent_stores_make_flags_unknown() {
        let mut view = selected();
        view.begin(&CommandBody::Store {
            uid: true,
            set: "20".parse().unwrap(),
            unchanged_since: None,
            action: StoreAction {
                kind: StoreKind::Add,
                silent: true,
                flags: vec![Flag::Deleted],
            },
        });
        view.end(true);
        assert_eq!(view.flags(2), None);
        assert!(view.flags(1).is_some() && view.flags(3).is_some());
        assert_eq!(view.unknown_uids(), None);
        view.begin(&command("STORE 3 FLAGS.SILENT (\\Seen)"));
        view.end(true);
        assert_eq!(view.flags(3), None);
    }

    #[test]
    fn snapshots_differ_by_uid_order_and_flags() {
        let set = |names: &[&str]| -> Option<FlagSet> {
            Some(names.iter().map(|s| (*s).to_owned()).collect())
        };
        let a = Snapshot(vec![(1, set(&["\\Seen"])), (2, set(&[])), (3, None)]);
        assert_eq!(a.diff(&a.clone()), None);
        // Unknown flags are not compared.
        let b = Snapshot(vec![(1, set(&["\\Seen"])), (2, set(&[])), (3, set(&["x"]))]);
        assert_eq!(a.diff(&b), None);
        let c = Snapshot(vec![(1, set(&[])), (2, set(&[])), (4, set(&[]))]);
        let d = a.diff(&c).unwrap();
        assert!(d.contains("lacks UIDs 3"), "{d}");
        assert!(d.contains("has extra UIDs 4"), "{d}");
        assert!(d.contains("UID 1 (\\Seen) vs ()"), "{d}");
        let e = Snapshot(vec![(2, set(&[])), (1, set(&["\\Seen"])), (3, None)]);
        assert!(a.diff(&e).unwrap().contains("another order"));
    }
}
