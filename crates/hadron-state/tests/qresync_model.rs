//! Model-based test of QRESYNC resynchronisation and of `UNCHANGEDSINCE`
//! (RFC 7162) under random interleavings: "for any interleaving, what a
//! QRESYNC client reconstructs from VANISHED and the changed FETCHes equals
//! a full re-read, and UNCHANGEDSINCE never overwrites a concurrent change".
//!
//! Two or three real [`Session`]s share one mailbox. Session 0 is a QRESYNC
//! client: `ENABLE QRESYNC`, SELECT, a cache (UID → flags) kept from every
//! EXISTS, FETCH and VANISHED it reads (and fetching the messages an
//! EXISTS announced, `UID FETCH n:* (FLAGS)`), and its HIGHESTMODSEQ `H`
//! kept the way imaptest keeps it: after a tagged reply, `H` is the last
//! `[HIGHESTMODSEQ n]` of the command, raised to the highest MODSEQ of the
//! FETCHes that came after that code. The others enable CONDSTORE or
//! QRESYNC (chosen per case). All run random scripts of APPEND,
//! `UID STORE ±FLAGS` (system flags and keywords, `.SILENT` or not),
//! `UID STORE … (UNCHANGEDSINCE m)`, EXPUNGE, UID EXPUNGE, UID MOVE out,
//! `UID FETCH (FLAGS MODSEQ)`, `FETCH 1:* (UID FLAGS) (CHANGEDSINCE h)` and
//! NOOP, and races: an `UNCHANGEDSINCE` STORE run at the same time as
//! another session's plain STORE of the same message. The QRESYNC client
//! also logs out or is dropped, and comes back with `SELECT (QRESYNC (v H
//! [known-uids]))`, or with SELECT then `UID FETCH 1:max (FLAGS)
//! (CHANGEDSINCE H VANISHED)`; while selected it asks `UID FETCH 1:*
//! (FLAGS) (CHANGEDSINCE h VANISHED)` with `h` at or below `H`. The store's
//! expunge history is sometimes pruned (QRESYNC then reports every absent
//! UID).
//!
//! Checked:
//! - after each resynchronisation (VANISHED (EARLIER) and the changed
//!   FETCHes applied to the saved cache, then `UID FETCH max+1:* (FLAGS)`
//!   for new messages), after each CHANGEDSINCE FETCH followed by a NOOP,
//!   and at the end, the client's cache equals a full `UID FETCH 1:*
//!   (FLAGS)` of the same session, which equals the store, and `H` is
//!   between 1 and the mailbox's HIGHESTMODSEQ; the resync's FETCHes name
//!   exactly the stored messages changed after `H` (among the known UIDs
//!   when given), at the sequence numbers the cache implies, and its
//!   VANISHED only messages that are gone; a CHANGEDSINCE FETCH tells
//!   every shown message changed after `h` and none that was not;
//! - `UNCHANGEDSINCE m`, with `m` the MODSEQ the session last saw for a
//!   message: `[MODIFIED]` names exactly the messages whose stored MODSEQ
//!   is above `m` (expunged ones may be named or not), those keep their
//!   flags (the other session's change) and mod-sequence, the others get
//!   the change; after NOOP the session's FETCH FLAGS shows the stored
//!   flags. In a race, a message not `[MODIFIED]` ends with both changes
//!   (in one order or the other), one `[MODIFIED]` with the other
//!   session's change only, and both sessions then show the stored flags;
//! - in every session, a message's MODSEQ never decreases across the FETCH
//!   responses it receives; every HIGHESTMODSEQ is at least 1; with QRESYNC
//!   on there is no EXPUNGE, every FETCH names its UID, and VANISHED
//!   (EARLIER) never names a message the session still shows; EXISTS never
//!   shrinks, every VANISHED names a message of the view, and every FETCH
//!   agrees with the UIDs the client knows at its sequence number.
//!
//! Runs on SQLite; with `HADRON_TEST_PG`, on PostgreSQL and over two
//! instances on one PostgreSQL database (sessions alternate between them;
//! the QRESYNC client comes back on either; every step runs once the
//! change feed has delivered the steps before it). `PROPTEST_CASES` sets
//! the number of cases (default [`DEFAULT_CASES`]; a fifth of that for
//! each PostgreSQL variant), `PROPTEST_RNG_SEED` fixes the seed. The
//! bugs the model found (across instances only) are reproduced on their
//! own at the end, as regression tests.

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use common::{Env, lines, message};
use hadron_proto::parse::{self, ParseLimits};
use hadron_state::connector::{Connector, LocalConnector};
use hadron_state::engine::Engine;
use hadron_state::session::{Output, Session};
use hadron_store::{
    MailboxId, PackBlobStore, SqliteSync, Store, StoreOptions, SystemFlags as StoreFlags, UidSet,
    UserId,
};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

const USER: &str = "resyncer";
/// Cases without `PROPTEST_CASES` (on SQLite; a fifth on each
/// PostgreSQL variant).
const DEFAULT_CASES: u32 = 128;
/// Most steps per case.
const MAX_STEPS: usize = 60;

// ---- flags ------------------------------------------------------------------

/// The flags the test uses, bit `i` for `FLAG_NAMES[i]`.
const FLAG_NAMES: [&str; 8] = [
    "\\Answered",
    "\\Flagged",
    "\\Deleted",
    "\\Seen",
    "\\Draft",
    "$Label1",
    "$Label2",
    "NonJunk",
];

/// A message's flags (without `\Recent`).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Flags(u8);

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.list())
    }
}

impl Flags {
    fn names(self) -> impl Iterator<Item = &'static str> {
        FLAG_NAMES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
    }

    /// `(\Seen $Label1)`.
    fn list(self) -> String {
        format!("({})", self.names().collect::<Vec<_>>().join(" "))
    }

    fn apply(self, add: bool, f: Flags) -> Flags {
        if add {
            Flags(self.0 | f.0)
        } else {
            Flags(self.0 & !f.0)
        }
    }

    /// Flag names as a FETCH response lists them; `\Recent` is ignored.
    fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Flags, String> {
        let mut flags = Flags::default();
        for name in names {
            if name.eq_ignore_ascii_case("\\Recent") {
                continue;
            }
            match FLAG_NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) {
                Some(i) => flags.0 |= 1 << i,
                None => return Err(format!("unexpected flag {name:?}")),
            }
        }
        Ok(flags)
    }

    /// A store row's flags.
    fn of_row(m: &hadron_store::MessageFlags, keywords: &[String]) -> Flags {
        let mut f = Flags::default();
        for (stored, name) in [
            (StoreFlags::ANSWERED, "\\Answered"),
            (StoreFlags::FLAGGED, "\\Flagged"),
            (StoreFlags::DELETED, "\\Deleted"),
            (StoreFlags::SEEN, "\\Seen"),
            (StoreFlags::DRAFT, "\\Draft"),
        ]
        .into_iter()
        .chain(
            keywords
                .iter()
                .enumerate()
                .filter(|(i, _)| m.keywords & (1 << i) != 0)
                .map(|(_, n)| (StoreFlags::EMPTY, n.as_str())),
        ) {
            if stored == StoreFlags::EMPTY || m.flags.contains(stored) {
                let i = FLAG_NAMES
                    .iter()
                    .position(|n| *n == name)
                    .unwrap_or_else(|| panic!("stored flag {name}"));
                f.0 |= 1 << i;
            }
        }
        f
    }
}

// ---- response lines, as a client reads them ---------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fetched {
    seq: u32,
    uid: Option<u32>,
    flags: Option<Flags>,
    modseq: Option<u64>,
}

#[derive(Debug)]
enum Line {
    Exists(u32),
    Expunge(u32),
    Vanished {
        earlier: bool,
        uids: Vec<u32>,
    },
    Fetch(Fetched),
    /// `* OK [code] ...` (the code's text).
    UntaggedOk(Option<String>),
    Bye,
    Tagged {
        status: String,
        code: Option<String>,
    },
    Other,
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}

/// The text between `[` and `]` at the start of `s`, if any.
fn code_of(s: &str) -> Option<String> {
    let s = s.strip_prefix('[')?;
    Some(s[..s.find(']')?].to_owned())
}

/// Expands a set of plain numbers and ranges (`1:3,7`).
fn expand(set: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (number(a)?, number(b)?);
                out.extend(a.min(b)..=a.max(b));
            }
            None => out.push(number(part)?),
        }
    }
    Ok(out)
}

/// Ascending UIDs as a compact set (`1:3,7`).
fn render(uids: impl IntoIterator<Item = u32>) -> String {
    let mut v: Vec<u32> = uids.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            v[i].to_string()
        } else {
            format!("{}:{}", v[i], v[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

fn parse_fetch(seq: u32, body: &str) -> Result<Fetched, String> {
    let inner = body
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .ok_or_else(|| format!("FETCH data not parenthesised: {body:?}"))?;
    let mut f = Fetched {
        seq,
        uid: None,
        flags: None,
        modseq: None,
    };
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("UID ") {
            let end = r.find(' ').unwrap_or(r.len());
            f.uid = Some(number(&r[..end])?);
            rest = r[end..].trim_start();
        } else if let Some(r) = rest.strip_prefix("FLAGS (") {
            let end = r.find(')').ok_or("unterminated FLAGS")?;
            f.flags = Some(Flags::parse(r[..end].split_whitespace())?);
            rest = r[end + 1..].trim_start();
        } else if let Some(r) = rest.strip_prefix("MODSEQ (") {
            let end = r.find(')').ok_or("unterminated MODSEQ")?;
            f.modseq = Some(number(&r[..end])?);
            rest = r[end + 1..].trim_start();
        } else {
            return Err(format!("unexpected FETCH item in {body:?}"));
        }
    }
    Ok(f)
}

fn parse_line(line: &str) -> Result<Line, String> {
    if let Some(rest) = line.strip_prefix("* ") {
        if let Some(r) = rest.strip_prefix("VANISHED ") {
            return Ok(match r.strip_prefix("(EARLIER) ") {
                Some(set) => Line::Vanished {
                    earlier: true,
                    uids: expand(set)?,
                },
                None => Line::Vanished {
                    earlier: false,
                    uids: expand(r)?,
                },
            });
        }
        if let Some(r) = rest.strip_prefix("OK ") {
            return Ok(Line::UntaggedOk(code_of(r)));
        }
        if rest.starts_with("BYE") {
            return Ok(Line::Bye);
        }
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            let (n, what) = rest.split_once(' ').ok_or("truncated")?;
            let n = number(n)?;
            return match what {
                "EXISTS" => Ok(Line::Exists(n)),
                "EXPUNGE" => Ok(Line::Expunge(n)),
                "RECENT" => Ok(Line::Other),
                _ => match what.strip_prefix("FETCH ") {
                    Some(body) => parse_fetch(n, body).map(Line::Fetch),
                    None => Err(format!("unexpected line {line:?}")),
                },
            };
        }
        return Ok(Line::Other);
    }
    let (_tag, rest) = line.split_once(' ').ok_or("no tag")?;
    let (status, text) = rest.split_once(' ').unwrap_or((rest, ""));
    Ok(Line::Tagged {
        status: status.to_owned(),
        code: code_of(text),
    })
}

// ---- what a client knows ----------------------------------------------------

/// One message of a client's view, by sequence number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    uid: Option<u32>,
    flags: Option<Flags>,
}

/// What one session's client knows, built only from the lines it read.
#[derive(Debug, Default)]
struct View {
    qresync: bool,
    /// The messages by sequence number.
    slots: Vec<Slot>,
    /// The highest MODSEQ read for each UID (they may never decrease).
    modseqs: HashMap<u32, u64>,
    /// HIGHESTMODSEQ, as imaptest keeps it.
    h: u64,
}

/// Something a command told, in order.
#[derive(Debug, Clone)]
enum Event {
    Earlier(Vec<u32>),
    Fetch(Fetched),
}

/// What one command said.
#[derive(Debug, Default)]
struct Said {
    out: Vec<String>,
    status: Option<String>,
    code: Option<String>,
    events: Vec<Event>,
    bye: bool,
    uidvalidity: Option<u32>,
    /// HIGHESTMODSEQ codes, untagged and tagged.
    codes: Vec<u64>,
}

impl Said {
    fn ok(&self) -> bool {
        self.status.as_deref() == Some("OK")
    }

    /// The UIDs of `[MODIFIED set]`.
    fn modified(&self) -> Result<BTreeSet<u32>, String> {
        match self
            .code
            .as_deref()
            .and_then(|c| c.strip_prefix("MODIFIED "))
        {
            Some(set) => Ok(expand(set)?.into_iter().collect()),
            None => Ok(BTreeSet::new()),
        }
    }

    /// The FETCH responses as (UID, flags), in order.
    fn fetched(&self) -> Vec<(u32, Flags)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Fetch(f) => Some((f.uid?, f.flags?)),
                Event::Earlier(_) => None,
            })
            .collect()
    }
}

impl View {
    fn new(qresync: bool) -> View {
        View {
            qresync,
            ..View::default()
        }
    }

    /// Applies a command's response lines.
    fn apply(&mut self, out: &[String]) -> Result<Said, String> {
        let mut said = Said {
            out: out.to_vec(),
            ..Said::default()
        };
        // imaptest's rule: the last HIGHESTMODSEQ code of the command, and
        // the highest MODSEQ read after it.
        let mut code: Option<u64> = None;
        let mut running = 0;
        for l in out {
            let line = parse_line(l)?;
            match line {
                Line::Exists(n) => {
                    let n = n as usize;
                    if n < self.slots.len() {
                        return Err(format!("{l:?} with {} messages", self.slots.len()));
                    }
                    self.slots.resize(n, Slot::default());
                }
                Line::Expunge(n) => {
                    if self.qresync {
                        return Err(format!("{l:?} with QRESYNC on (RFC 7162 §3.2.10)"));
                    }
                    let i = n as usize;
                    if i == 0 || i > self.slots.len() {
                        return Err(format!("{l:?} with {} messages", self.slots.len()));
                    }
                    self.slots.remove(i - 1);
                }
                Line::Vanished { earlier, uids } => {
                    if !self.qresync {
                        return Err(format!("{l:?} without QRESYNC"));
                    }
                    if earlier {
                        if let Some(u) = uids
                            .iter()
                            .find(|&&u| self.slots.iter().any(|s| s.uid == Some(u)))
                        {
                            return Err(format!("{l:?}: UID {u} is still shown"));
                        }
                        said.events.push(Event::Earlier(uids));
                    } else {
                        for u in uids {
                            self.remove_uid(u).map_err(|e| format!("{l:?}: {e}"))?;
                        }
                    }
                }
                Line::Fetch(mut f) => {
                    let i = f.seq as usize;
                    if i == 0 || i > self.slots.len() {
                        return Err(format!("{l:?} with {} messages", self.slots.len()));
                    }
                    if self.qresync && f.uid.is_none() {
                        return Err(format!("{l:?} without UID (RFC 7162 §3.2.4)"));
                    }
                    let slot = &mut self.slots[i - 1];
                    if let Some(u) = f.uid {
                        if slot.uid.is_some_and(|x| x != u) {
                            return Err(format!("{l:?}: message {i} is UID {:?}", slot.uid));
                        }
                        slot.uid = Some(u);
                    }
                    if let Some(flags) = f.flags {
                        slot.flags = Some(flags);
                    }
                    f.uid = slot.uid;
                    if let Some(m) = f.modseq {
                        if let Some(u) = f.uid {
                            let seen = self.modseqs.entry(u).or_insert(0);
                            if m < *seen {
                                return Err(format!(
                                    "{l:?}: MODSEQ of UID {u} went down from {seen}"
                                ));
                            }
                            *seen = m;
                        }
                        running = running.max(m);
                    }
                    said.events.push(Event::Fetch(f));
                }
                Line::UntaggedOk(c) => {
                    if let Some(c) = c {
                        if let Some(n) = c.strip_prefix("HIGHESTMODSEQ ") {
                            let n = number(n)?;
                            if n == 0 {
                                return Err(format!("{l:?}: HIGHESTMODSEQ 0"));
                            }
                            code = Some(n);
                            running = 0;
                            said.codes.push(n);
                        } else if let Some(v) = c.strip_prefix("UIDVALIDITY ") {
                            said.uidvalidity = Some(number(v)?);
                        }
                    }
                }
                Line::Bye => said.bye = true,
                Line::Tagged { status, code: c } => {
                    if let Some(n) = c.as_deref().and_then(|c| c.strip_prefix("HIGHESTMODSEQ ")) {
                        let n = number(n)?;
                        if n == 0 {
                            return Err(format!("{l:?}: HIGHESTMODSEQ 0"));
                        }
                        code = Some(n);
                        running = 0;
                        said.codes.push(n);
                    }
                    self.h = code.unwrap_or(self.h).max(running);
                    said.status = Some(status);
                    said.code = c;
                }
                Line::Other => {}
            }
            let known: Vec<u32> = self.slots.iter().filter_map(|s| s.uid).collect();
            if known.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("after {l:?}: UIDs out of order {known:?}"));
            }
        }
        Ok(said)
    }

    /// `* VANISHED u`: the message goes; one whose UID the client never
    /// read is among those between its known neighbours.
    fn remove_uid(&mut self, u: u32) -> Result<(), String> {
        if let Some(i) = self.slots.iter().position(|s| s.uid == Some(u)) {
            self.slots.remove(i);
            return Ok(());
        }
        let lo = self
            .slots
            .iter()
            .rposition(|s| s.uid.is_some_and(|x| x < u))
            .map_or(0, |i| i + 1);
        let hi = self
            .slots
            .iter()
            .position(|s| s.uid.is_some_and(|x| x > u))
            .unwrap_or(self.slots.len());
        match (lo..hi).find(|&i| self.slots[i].uid.is_none()) {
            Some(i) => {
                self.slots.remove(i);
                Ok(())
            }
            None => Err(format!("UID {u} is no message of the view")),
        }
    }

    /// Every message with its UID and flags, or `None` while some are
    /// unknown.
    fn cache(&self) -> Option<Vec<(u32, Flags)>> {
        self.slots
            .iter()
            .map(|s| Some((s.uid?, s.flags?)))
            .collect()
    }
}

// ---- scripts ------------------------------------------------------------------

/// Some of the mailbox's messages: `1 + len % 4` consecutive ones from
/// `start`, among the stored UIDs.
#[derive(Debug, Clone, Copy)]
struct Pick {
    start: u8,
    len: u8,
}

/// How the QRESYNC client resynchronises when it comes back.
#[derive(Debug, Clone, Copy)]
enum How {
    /// `SELECT (QRESYNC (v H))`.
    Qresync,
    /// `SELECT (QRESYNC (v H known-uids))`.
    QresyncKnown,
    /// SELECT, then `UID FETCH 1:max (FLAGS) (CHANGEDSINCE H VANISHED)`.
    ChangedSince,
}

#[derive(Debug, Clone)]
enum Op {
    Append {
        s: u8,
        flags: Flags,
    },
    Store {
        s: u8,
        pick: Pick,
        add: bool,
        flags: Flags,
        silent: bool,
    },
    /// `UID STORE (UNCHANGEDSINCE m)` of a message the session knows a
    /// MODSEQ of (and, when `wide`, the two after it), `m` its last MODSEQ.
    CondStore {
        s: u8,
        which: u8,
        wide: bool,
        add: bool,
        flags: Flags,
        silent: bool,
    },
    /// Session `s` runs `UID STORE u (UNCHANGEDSINCE m) ±FLAGS` of a
    /// message it knows a MODSEQ of (`m` the last one) while another
    /// session (`by` picks which) runs a plain `UID STORE u ±FLAGS` at the
    /// same time.
    Race {
        s: u8,
        by: u8,
        which: u8,
        add: bool,
        flags: Flags,
        their_add: bool,
        their_flags: Flags,
    },
    /// EXPUNGE, or UID EXPUNGE of some messages.
    Expunge {
        s: u8,
        only: Option<Pick>,
    },
    /// UID MOVE to the other mailbox.
    Move {
        s: u8,
        pick: Pick,
    },
    /// `UID FETCH set (FLAGS MODSEQ)`.
    Fetch {
        s: u8,
        pick: Pick,
    },
    /// `FETCH 1:* (UID FLAGS) (CHANGEDSINCE h)`, `h` being the session's
    /// HIGHESTMODSEQ lowered by `back` quarters.
    FetchChanged {
        s: u8,
        back: u8,
    },
    Noop {
        s: u8,
    },
    /// The QRESYNC client goes away (LOGOUT, or the connection drops).
    Leave {
        logout: bool,
    },
    /// The QRESYNC client comes back (leaving first if connected), on
    /// instance `instance`.
    Resync {
        how: How,
        instance: u8,
    },
    /// [`Op::Resync`] while session 1 runs `write` at the same time as the
    /// resynchronising SELECT; then, with `again`, the client leaves at once
    /// and resynchronises once more from what it was told.
    ResyncRace {
        how: How,
        instance: u8,
        write: Write,
        again: bool,
    },
    /// The selected QRESYNC client asks `UID FETCH 1:* (FLAGS)
    /// (CHANGEDSINCE h VANISHED)`, `h` being `H` lowered by `back` quarters.
    ChangedSince {
        back: u8,
    },
    /// The store forgets the mailbox's expunge history.
    Prune,
}

/// A write racing a resynchronisation.
#[derive(Debug, Clone, Copy)]
enum Write {
    Store {
        pick: Pick,
        add: bool,
        flags: Flags,
    },
    /// `UID EXPUNGE` of messages the QRESYNC client knows.
    Expunge {
        pick: Pick,
    },
    Append {
        flags: Flags,
    },
}

/// One or two flags, `\Deleted` more often than the others (so that
/// expunges have something to remove).
fn flags_strategy() -> impl Strategy<Value = Flags> {
    let one = prop_oneof![3 => Just(2u8), 7 => 0..8u8];
    (one, 0..12u8).prop_map(|(a, b)| Flags((1 << a) | if b < 8 { 1 << b } else { 0 }))
}

fn pick_strategy() -> impl Strategy<Value = Pick> {
    (any::<u8>(), 0..4u8).prop_map(|(start, len)| Pick { start, len })
}

fn write_strategy() -> impl Strategy<Value = Write> {
    prop_oneof![
        2 => (pick_strategy(), any::<bool>(), flags_strategy())
            .prop_map(|(pick, add, flags)| Write::Store { pick, add, flags }),
        1 => pick_strategy().prop_map(|pick| Write::Expunge { pick }),
        1 => flags_strategy().prop_map(|flags| Write::Append { flags }),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let how = prop_oneof![
        Just(How::Qresync),
        Just(How::QresyncKnown),
        Just(How::ChangedSince)
    ];
    prop_oneof![
        4 => (0..3u8, flags_strategy()).prop_map(|(s, flags)| Op::Append { s, flags }),
        4 => (0..3u8, pick_strategy(), any::<bool>(), flags_strategy(), any::<bool>())
            .prop_map(|(s, pick, add, flags, silent)| Op::Store { s, pick, add, flags, silent }),
        4 => (0..3u8, any::<u8>(), any::<bool>(), any::<bool>(), flags_strategy(), any::<bool>())
            .prop_map(|(s, which, wide, add, flags, silent)| Op::CondStore {
                s, which, wide, add, flags, silent,
            }),
        2 => (
            (0..3u8, any::<u8>(), any::<u8>()),
            (any::<bool>(), flags_strategy(), any::<bool>(), flags_strategy())
        )
            .prop_map(|((s, by, which), (add, flags, their_add, their_flags))| Op::Race {
                s, by, which, add, flags, their_add, their_flags,
            }),
        3 => (0..3u8, proptest::option::of(pick_strategy()))
            .prop_map(|(s, only)| Op::Expunge { s, only }),
        1 => (0..3u8, pick_strategy()).prop_map(|(s, pick)| Op::Move { s, pick }),
        2 => (0..3u8, pick_strategy()).prop_map(|(s, pick)| Op::Fetch { s, pick }),
        1 => (0..3u8, 0..4u8).prop_map(|(s, back)| Op::FetchChanged { s, back }),
        1 => (0..3u8).prop_map(|s| Op::Noop { s }),
        2 => any::<bool>().prop_map(|logout| Op::Leave { logout }),
        3 => (how.clone(), 0..2u8).prop_map(|(how, instance)| Op::Resync { how, instance }),
        2 => (how, 0..2u8, write_strategy(), any::<bool>())
            .prop_map(|(how, instance, write, again)| Op::ResyncRace { how, instance, write, again }),
        2 => (0..4u8).prop_map(|back| Op::ChangedSince { back }),
        1 => Just(Op::Prune),
    ]
}

/// Sessions (2 or 3), whether sessions 1 and 2 enable QRESYNC (else
/// CONDSTORE), the flags of the messages session 1 appends first, the
/// steps.
fn scenario() -> impl Strategy<Value = (usize, [bool; 2], Vec<Flags>, Vec<Op>)> {
    (
        2..=3usize,
        any::<[bool; 2]>(),
        proptest::collection::vec(flags_strategy(), 1..6),
        proptest::collection::vec(op_strategy(), 1..MAX_STEPS),
    )
}

// ---- the harness ----------------------------------------------------------------

/// A session and what its client knows.
struct Client {
    /// `None` while the QRESYNC client is away.
    session: Option<Session>,
    view: View,
    qresync: bool,
    uidvalidity: u32,
    /// The highest UID the client ever knew (QRESYNC client).
    maxknown: u32,
    /// What the QRESYNC client kept when it went away.
    saved: Option<Saved>,
}

#[derive(Debug, Clone)]
struct Saved {
    uidvalidity: u32,
    h: u64,
    cache: BTreeMap<u32, Flags>,
    maxknown: u32,
}

/// One case's mailboxes and clients.
struct Case {
    clients: Vec<Client>,
    id: MailboxId,
    name: String,
    other: String,
}

/// A stored message.
#[derive(Debug, Clone, Copy)]
struct Row {
    uid: u32,
    flags: Flags,
    modseq: u64,
}

/// What the cases exercised, printed at the end (so that a change that
/// makes the test vacuous shows).
#[derive(Debug, Default)]
struct Stats {
    steps: u64,
    lines: u64,
    resyncs: u64,
    resync_vanished: u64,
    resync_fetches: u64,
    changedsince_checks: u64,
    conditional_stores: u64,
    modified: u64,
    races: u64,
    /// Races in which the other session's change came first.
    race_modified: u64,
    held_modseq_codes: u64,
    prunes: u64,
    /// Resynchronisations raced by a write.
    resync_races: u64,
    skipped: u64,
}

/// Sends one command line (literals inline) and returns the response lines.
async fn exec(session: &mut Session, line: &str) -> Vec<String> {
    let input = format!("{line}\r\n");
    let cmd = parse::command(input.as_bytes(), &ParseLimits::default())
        .unwrap_or_else(|e| panic!("test command {line:?} does not parse: {e}"));
    let mut out: Vec<Output> = Vec::new();
    session.execute(cmd, &mut out).await;
    lines(&out)
}

fn fail(e: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(e.into())
}

struct Harness {
    env: Env,
    rt: tokio::runtime::Runtime,
    user: UserId,
    /// The instances (one, or two on one PostgreSQL database).
    engines: Vec<Arc<Engine>>,
    cases: RefCell<u32>,
    stats: RefCell<Stats>,
}

impl Harness {
    fn new(env: Env) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let user = rt
            .block_on(env.engine.create_user(USER, "pw"))
            .expect("user")
            .id;
        let engines = vec![env.engine.clone()];
        Harness {
            env,
            rt,
            user,
            engines,
            cases: RefCell::new(0),
            stats: RefCell::new(Stats::default()),
        }
    }

    fn sqlite() -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        // Durability is not under test: skip the fsync per commit.
        let options = StoreOptions {
            sqlite_sync: SqliteSync::Normal,
            ..StoreOptions::default()
        };
        let store = Store::open_sqlite(&dir.path().join("h.db"), &options).expect("sqlite");
        let blobs = Arc::new(PackBlobStore::open(dir.path().join("blobs")).expect("blobs"));
        let connector: Arc<dyn Connector> = Arc::new(LocalConnector::new(store.clone()));
        Harness::new(Env::with_connector(store, dir, None, connector, blobs))
    }

    fn postgres() -> Option<Harness> {
        Env::postgres().map(Harness::new)
    }

    /// Two instances on one PostgreSQL database, each following the
    /// other's changes.
    fn postgres_two_instances() -> Option<Harness> {
        let env = Env::postgres()?;
        let second = env.second_instance().expect("PostgreSQL");
        let mut h = Harness::new(env);
        h.engines.push(second);
        for engine in &h.engines {
            let _guard = h.rt.enter();
            engine
                .follow_other_instances()
                .expect("listening")
                .expect("a change feed on PostgreSQL");
        }
        Some(h)
    }

    /// Runs `1 / share` of the configured number of cases.
    fn run(&self, share: u32) {
        let base = ProptestConfig::default();
        let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
            base.cases
        } else {
            DEFAULT_CASES
        };
        let config = ProptestConfig {
            cases: (cases / share).max(1),
            // Failures are kept as `#[ignore]`d tests below, not in a file.
            failure_persistence: None,
            max_shrink_iters: 4096,
            ..base
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&scenario(), |(n, qresync, initial, ops)| {
            self.case(n, qresync, &initial, &ops)
        });
        eprintln!("qresync model: {:?}", self.stats.borrow());
        if let Err(e) = result {
            panic!("{e}");
        }
    }

    fn truth(&self, id: MailboxId) -> Vec<Row> {
        let store = &self.env.store;
        let names = store.keywords(id).expect("keywords");
        let rows = store.fetch_flags(id, &UidSet::all()).expect("fetch_flags");
        rows.iter()
            .map(|m| Row {
                uid: m.uid,
                flags: Flags::of_row(m, &names),
                modseq: m.modseq,
            })
            .collect()
    }

    fn case(
        &self,
        n: usize,
        qresync: [bool; 2],
        initial: &[Flags],
        ops: &[Op],
    ) -> Result<(), TestCaseError> {
        let case = {
            let mut c = self.cases.borrow_mut();
            *c += 1;
            *c
        };
        self.rt.block_on(async {
            let name = format!("T{case}");
            let other = format!("O{case}");
            let info = self
                .env
                .store
                .create_mailbox(self.user, &name, None)
                .expect("create");
            self.env
                .store
                .create_mailbox(self.user, &other, None)
                .expect("create");
            let mut cx = Case {
                clients: Vec::new(),
                id: info.id,
                name,
                other,
            };
            for i in 0..n {
                let q = i == 0 || qresync[i - 1];
                let mut c = Client {
                    session: None,
                    view: View::new(q),
                    qresync: q,
                    uidvalidity: 0,
                    maxknown: 0,
                    saved: None,
                };
                // Sessions alternate between the instances.
                self.connect(&cx, &mut c, i % self.engines.len()).await?;
                cx.clients.push(c);
            }
            for &flags in initial {
                self.step(&mut cx, &Op::Append { s: 1, flags }).await?;
            }
            for (i, op) in ops.iter().enumerate() {
                self.stats.borrow_mut().steps += 1;
                self.step(&mut cx, op)
                    .await
                    .map_err(|e| fail(format!("step {i} {op:?}: {e}")))?;
            }
            // The end: the QRESYNC client comes back if away; everyone
            // must then see exactly what is stored.
            self.catch_up(&cx).await;
            if cx.clients[0].session.is_none() {
                self.resync(&mut cx, How::QresyncKnown, 0, None)
                    .await
                    .map_err(|e| fail(format!("final resync: {e}")))?;
            }
            for s in 0..cx.clients.len() {
                let c = &mut cx.clients[s];
                self.ok(c, "n NOOP").await?;
                if s == 0 {
                    self.fill(c).await?;
                    self.compare(&mut cx, "at the end").await?;
                } else {
                    self.ok(c, "f UID FETCH 1:* (FLAGS)").await?;
                    let cache = c.view.cache().ok_or_else(|| fail("incomplete view"))?;
                    let truth: Vec<(u32, Flags)> =
                        self.truth(cx.id).iter().map(|r| (r.uid, r.flags)).collect();
                    prop_assert_eq!(cache, truth, "session {} at the end", s);
                }
            }
            Ok(())
        })
    }

    /// On two instances, every session first hears what the change feed
    /// has for it (the feed's latency is benchmarked, not modelled).
    async fn catch_up(&self, cx: &Case) {
        if self.engines.len() > 1 {
            for c in &cx.clients {
                if let Some(s) = &c.session {
                    s.catch_up().await;
                }
            }
        }
    }

    /// Runs `line` on `c`'s session and applies the answer to its view.
    async fn cmd(&self, c: &mut Client, line: &str) -> Result<Said, TestCaseError> {
        let session = c.session.as_mut().expect("connected");
        let out = exec(session, line).await;
        self.absorb(c, line, out)
    }

    /// `c`'s client reads `out`, the answer to `line`.
    fn absorb(&self, c: &mut Client, line: &str, out: Vec<String>) -> Result<Said, TestCaseError> {
        self.stats.borrow_mut().lines += out.len() as u64;
        let said = c
            .view
            .apply(&out)
            .map_err(|e| fail(format!("{line:?} → {out:?}: {e}")))?;
        prop_assert!(
            said.status.is_some(),
            "{:?} → {:?}: no tagged response",
            line,
            out
        );
        let untagged_code = said
            .out
            .iter()
            .any(|l| l.starts_with("* OK [HIGHESTMODSEQ "));
        if untagged_code && !line.starts_with("s SELECT") {
            // The HIGHESTMODSEQ below an expunge held back.
            self.stats.borrow_mut().held_modseq_codes += 1;
        }
        Ok(said)
    }

    /// [`Harness::cmd`], which must answer OK.
    async fn ok(&self, c: &mut Client, line: &str) -> Result<Said, TestCaseError> {
        let said = self.cmd(c, line).await?;
        prop_assert!(said.ok(), "{:?} → {:?}", line, said.out);
        Ok(said)
    }

    /// A new session for `c` on instance `engine`: LOGIN, ENABLE, SELECT.
    async fn connect(&self, cx: &Case, c: &mut Client, engine: usize) -> Result<(), TestCaseError> {
        c.session = Some(Session::new(self.engines[engine].clone()));
        c.view = View::new(c.qresync);
        self.ok(c, &format!("l LOGIN {USER} pw")).await?;
        let ext = if c.qresync { "QRESYNC" } else { "CONDSTORE" };
        self.ok(c, &format!("e ENABLE {ext}")).await?;
        let said = self.ok(c, &format!("s SELECT {}", cx.name)).await?;
        prop_assert!(
            !said.codes.is_empty(),
            "SELECT without HIGHESTMODSEQ: {:?}",
            said.out
        );
        c.uidvalidity = said
            .uidvalidity
            .ok_or_else(|| fail("SELECT without UIDVALIDITY"))?;
        if c.qresync {
            self.fill(c).await?;
        }
        Ok(())
    }

    /// The QRESYNC client learns the messages it was told exist:
    /// `UID FETCH n:* (FLAGS)` from above the last UID before them.
    async fn fill(&self, c: &mut Client) -> Result<(), TestCaseError> {
        let slots = &c.view.slots;
        if let Some(first) = slots
            .iter()
            .position(|s| s.uid.is_none() || s.flags.is_none())
        {
            let fence = slots[..first]
                .iter()
                .filter_map(|s| s.uid)
                .max()
                .unwrap_or(0);
            let line = format!("w UID FETCH {}:* (FLAGS)", fence + 1);
            let said = self.ok(c, &line).await?;
            prop_assert!(
                c.view.cache().is_some(),
                "{:?} → {:?}: still unknown messages: {:?}",
                line,
                said.out,
                c.view.slots
            );
        }
        let top = c.view.slots.iter().filter_map(|s| s.uid).max().unwrap_or(0);
        c.maxknown = c.maxknown.max(top);
        Ok(())
    }

    /// The QRESYNC client's cache equals a full re-read by its session,
    /// which equals the store; its H is within the mailbox's.
    async fn compare(&self, cx: &mut Case, when: &str) -> Result<(), TestCaseError> {
        let id = cx.id;
        let c = &mut cx.clients[0];
        let cache = c
            .view
            .cache()
            .ok_or_else(|| fail(format!("{when}: incomplete cache {:?}", c.view.slots)))?;
        let said = self.ok(c, "r UID FETCH 1:* (FLAGS)").await?;
        let reread = said.fetched();
        prop_assert_eq!(
            &cache,
            &reread,
            "{}: the cache is not a full re-read {:?}",
            when,
            said.out
        );
        let truth: Vec<(u32, Flags)> = self.truth(id).iter().map(|r| (r.uid, r.flags)).collect();
        prop_assert_eq!(
            &reread,
            &truth,
            "{}: the full re-read is not the store",
            when
        );
        let info = self.env.store.mailbox_status(id).expect("status");
        let h = c.view.h;
        prop_assert!(
            h >= 1 && h <= info.highest_modseq,
            "{}: H {} outside 1..={}",
            when,
            h,
            info.highest_modseq
        );
        Ok(())
    }

    async fn step(&self, cx: &mut Case, op: &Op) -> Result<(), TestCaseError> {
        self.catch_up(cx).await;
        let n = cx.clients.len();
        let actor = match op {
            Op::Append { s, .. }
            | Op::Store { s, .. }
            | Op::CondStore { s, .. }
            | Op::Race { s, .. }
            | Op::Expunge { s, .. }
            | Op::Move { s, .. }
            | Op::Fetch { s, .. }
            | Op::FetchChanged { s, .. }
            | Op::Noop { s } => Some(*s as usize % n),
            _ => None,
        };
        // While the QRESYNC client is away, session 1 acts for it.
        let actor = actor.map(|s| match cx.clients[s].session {
            Some(_) => s,
            None => 1,
        });
        let truth = self.truth(cx.id);
        let picked = |p: &Pick| -> Vec<u32> {
            if truth.is_empty() {
                return Vec::new();
            }
            let start = p.start as usize % truth.len();
            let end = (start + 1 + p.len as usize % 4).min(truth.len());
            truth[start..end].iter().map(|r| r.uid).collect()
        };
        match op {
            Op::Append { flags, .. } => {
                let c = &mut cx.clients[actor.unwrap_or(0)];
                let raw = message("resync");
                let line = format!(
                    "a APPEND {} {} {{{}}}\r\n{raw}",
                    cx.name,
                    flags.list(),
                    raw.len()
                );
                self.ok(c, &line).await?;
            }
            Op::Store {
                pick,
                add,
                flags,
                silent,
                ..
            } => {
                let uids = picked(pick);
                if uids.is_empty() {
                    self.stats.borrow_mut().skipped += 1;
                    return Ok(());
                }
                let c = &mut cx.clients[actor.unwrap_or(0)];
                // The client can only assume its change for the messages it
                // knew: the server's view may not have the others yet.
                let known: Vec<u32> = c.view.slots.iter().filter_map(|s| s.uid).collect();
                let line = format!(
                    "t UID STORE {} {}FLAGS{} {}",
                    render(uids.iter().copied()),
                    if *add { '+' } else { '-' },
                    if *silent { ".SILENT" } else { "" },
                    flags.list()
                );
                let said = self.ok(c, &line).await?;
                prop_assert!(
                    said.modified().map_err(fail)?.is_empty(),
                    "{:?} → {:?}",
                    line,
                    said.out
                );
                if *silent {
                    // The client applies what it asked for.
                    let own: Vec<u32> = uids.into_iter().filter(|u| known.contains(u)).collect();
                    apply_own(&mut c.view, &own, &BTreeSet::new(), *add, *flags);
                }
            }
            Op::CondStore {
                which,
                wide,
                add,
                flags,
                silent,
                ..
            } => {
                let s = actor.unwrap_or(0);
                self.cond_store(cx, s, *which, *wide, *add, *flags, *silent)
                    .await?;
            }
            &Op::Race {
                by,
                which,
                add,
                flags,
                their_add,
                their_flags,
                ..
            } => {
                let s = actor.unwrap_or(0);
                let by = (s + 1 + by as usize % (n - 1)) % n;
                if by == s || cx.clients[by].session.is_none() {
                    self.stats.borrow_mut().skipped += 1;
                    return Ok(());
                }
                let ours = (add, flags);
                self.race(cx, s, by, which, ours, (their_add, their_flags))
                    .await?;
            }
            Op::Expunge { only, .. } => {
                let c = &mut cx.clients[actor.unwrap_or(0)];
                let line = match only.map(|p| picked(&p)) {
                    Some(uids) if !uids.is_empty() => format!("x UID EXPUNGE {}", render(uids)),
                    _ => "x EXPUNGE".to_owned(),
                };
                self.ok(c, &line).await?;
            }
            Op::Move { pick, .. } => {
                let uids = picked(pick);
                if uids.is_empty() {
                    self.stats.borrow_mut().skipped += 1;
                    return Ok(());
                }
                let c = &mut cx.clients[actor.unwrap_or(0)];
                let line = format!("m UID MOVE {} {}", render(uids), cx.other);
                self.ok(c, &line).await?;
            }
            Op::Fetch { pick, .. } => {
                let uids = picked(pick);
                if uids.is_empty() {
                    self.stats.borrow_mut().skipped += 1;
                    return Ok(());
                }
                let c = &mut cx.clients[actor.unwrap_or(0)];
                let line = format!("f UID FETCH {} (FLAGS MODSEQ)", render(uids));
                self.ok(c, &line).await?;
            }
            Op::FetchChanged { back, .. } => {
                let c = &mut cx.clients[actor.unwrap_or(0)];
                if c.view.slots.is_empty() {
                    self.stats.borrow_mut().skipped += 1;
                    return Ok(());
                }
                let since = lowered(c.view.h, *back);
                let shown: BTreeSet<u32> = c.view.slots.iter().filter_map(|s| s.uid).collect();
                let line = format!("h FETCH 1:* (UID FLAGS) (CHANGEDSINCE {since})");
                let said = self.ok(c, &line).await?;
                told_changes(&line, &said, &truth, &shown, since)?;
                self.stats.borrow_mut().changedsince_checks += 1;
            }
            Op::Noop { .. } => {
                let c = &mut cx.clients[actor.unwrap_or(0)];
                self.ok(c, "n NOOP").await?;
            }
            Op::Leave { logout } => {
                if cx.clients[0].session.is_none() {
                    self.stats.borrow_mut().skipped += 1;
                    return Ok(());
                }
                let c = &mut cx.clients[0];
                if *logout {
                    let said = self.ok(c, "q LOGOUT").await?;
                    prop_assert!(said.bye, "LOGOUT → {:?}", said.out);
                }
                leave(c)?;
            }
            Op::Resync { how, instance } => {
                if cx.clients[0].session.is_some() {
                    leave(&mut cx.clients[0])?;
                }
                let engine = *instance as usize % self.engines.len();
                self.resync(cx, *how, engine, None).await?;
            }
            Op::ResyncRace {
                how,
                instance,
                write,
                again,
            } => {
                if cx.clients[0].session.is_some() {
                    leave(&mut cx.clients[0])?;
                }
                let saved = cx.clients[0].saved.as_ref().expect("just left");
                let line = match *write {
                    Write::Store { pick, add, flags } => {
                        let uids = picked(&pick);
                        let sign = if add { '+' } else { '-' };
                        match uids.is_empty() {
                            true => "n NOOP".to_owned(),
                            false => {
                                format!("t UID STORE {} {sign}FLAGS {}", render(uids), flags.list())
                            }
                        }
                    }
                    Write::Expunge { pick } => {
                        // Only messages the client knows: of those it does
                        // not, it cannot tell where an expunged one was.
                        let uids: Vec<u32> = picked(&pick)
                            .into_iter()
                            .filter(|&u| u <= saved.maxknown)
                            .collect();
                        match uids.is_empty() {
                            true => "n NOOP".to_owned(),
                            false => format!("x UID EXPUNGE {}", render(uids)),
                        }
                    }
                    Write::Append { flags } => {
                        let raw = message("racing");
                        format!(
                            "a APPEND {} {} {{{}}}\r\n{raw}",
                            cx.name,
                            flags.list(),
                            raw.len()
                        )
                    }
                };
                let engine = *instance as usize % self.engines.len();
                // Session 1 writes on instance 1. When the client is on the
                // other one, the write reaches its session through the
                // change feed, maybe after the client left (see
                // `modseq_is_never_told_with_flags_from_before_it`).
                let again = *again;
                self.resync(cx, *how, engine, Some((line, again))).await?;
                if again {
                    self.catch_up(cx).await;
                    self.resync(cx, How::QresyncKnown, engine, None).await?;
                }
            }
            Op::ChangedSince { back } => {
                if cx.clients[0].session.is_none() {
                    self.stats.borrow_mut().skipped += 1;
                    return Ok(());
                }
                self.changed_since(cx, *back).await?;
            }
            Op::Prune => {
                // Other instances may not have read the expunges pruned
                // here (see `the_feed_resynchronises_when_expunges_were_pruned_before_it_read_them`).
                let info = self.env.store.mailbox_status(cx.id).expect("status");
                self.env
                    .store
                    .prune_expunged(cx.id, info.highest_modseq)
                    .expect("prune");
                self.stats.borrow_mut().prunes += 1;
            }
        }
        // The QRESYNC client learns the messages it was told exist.
        if (actor == Some(0) || matches!(op, Op::Race { .. })) && cx.clients[0].session.is_some() {
            self.fill(&mut cx.clients[0]).await?;
        }
        Ok(())
    }

    /// `UID STORE (UNCHANGEDSINCE m)` by session `s`; see the module docs.
    #[allow(clippy::too_many_arguments)]
    async fn cond_store(
        &self,
        cx: &mut Case,
        s: usize,
        which: u8,
        wide: bool,
        add: bool,
        flags: Flags,
        silent: bool,
    ) -> Result<(), TestCaseError> {
        let c = &mut cx.clients[s];
        if c.view.cache().is_none() {
            // A client that knows every UID first.
            self.ok(c, "w UID FETCH 1:* (FLAGS)").await?;
        }
        let with_modseq = |v: &View| -> Vec<u32> {
            v.slots
                .iter()
                .filter_map(|s| s.uid)
                .filter(|u| v.modseqs.contains_key(u))
                .collect()
        };
        let mut known = with_modseq(&c.view);
        if known.is_empty() {
            // It reads one first.
            let all: Vec<u32> = c.view.slots.iter().filter_map(|s| s.uid).collect();
            if all.is_empty() {
                self.stats.borrow_mut().skipped += 1;
                return Ok(());
            }
            let u = all[which as usize % all.len()];
            self.ok(c, &format!("f UID FETCH {u} (MODSEQ)")).await?;
            known = with_modseq(&c.view);
            if known.is_empty() {
                self.stats.borrow_mut().skipped += 1;
                return Ok(());
            }
        }
        let i = which as usize % known.len();
        let m = c.view.modseqs[&known[i]];
        let set: Vec<u32> = known[i..(if wide { i + 3 } else { i + 1 }).min(known.len())].to_vec();
        let before: HashMap<u32, Row> = self.truth(cx.id).into_iter().map(|r| (r.uid, r)).collect();
        let expected: BTreeSet<u32> = set
            .iter()
            .filter(|u| before.get(u).is_some_and(|r| r.modseq > m))
            .copied()
            .collect();
        let line = format!(
            "c UID STORE {} (UNCHANGEDSINCE {m}) {}FLAGS{} {}",
            render(set.iter().copied()),
            if add { '+' } else { '-' },
            if silent { ".SILENT" } else { "" },
            flags.list()
        );
        let said = self.ok(c, &line).await?;
        let modified = said.modified().map_err(fail)?;
        {
            let mut st = self.stats.borrow_mut();
            st.conditional_stores += 1;
            st.modified += expected.len() as u64;
        }
        // Messages expunged meanwhile may be named or not.
        let named: BTreeSet<u32> = modified
            .iter()
            .filter(|u| before.contains_key(u))
            .copied()
            .collect();
        prop_assert_eq!(
            &named,
            &expected,
            "{:?} → {:?}: [MODIFIED] is not the messages changed after {}",
            line,
            said.out,
            m
        );
        let after: HashMap<u32, Row> = self.truth(cx.id).into_iter().map(|r| (r.uid, r)).collect();
        for u in &set {
            let (Some(b), Some(a)) = (before.get(u), after.get(u)) else {
                continue;
            };
            if expected.contains(u) {
                prop_assert!(
                    a.flags == b.flags && a.modseq == b.modseq,
                    "{:?} → {:?}: UID {} changed after {} was overwritten: {:?} → {:?}",
                    line,
                    said.out,
                    u,
                    m,
                    b,
                    a
                );
            } else {
                prop_assert_eq!(
                    a.flags,
                    b.flags.apply(add, flags),
                    "{:?} → {:?}: UID {} not stored",
                    line,
                    said.out,
                    u
                );
            }
        }
        if silent {
            apply_own(&mut c.view, &set, &modified, add, flags);
        }
        // After NOOP the session shows the stored flags: the other
        // session's, for the messages left alone.
        self.ok(c, "n NOOP").await?;
        let fline = format!("g UID FETCH {} (FLAGS)", render(set.iter().copied()));
        let fetched: HashMap<u32, Flags> =
            self.ok(c, &fline).await?.fetched().into_iter().collect();
        let now: HashMap<u32, Row> = self.truth(cx.id).into_iter().map(|r| (r.uid, r)).collect();
        for u in &set {
            if let Some(r) = now.get(u) {
                prop_assert_eq!(
                    fetched.get(u).copied(),
                    Some(r.flags),
                    "after {:?} and NOOP, FETCH of UID {}",
                    line,
                    u
                );
            }
        }
        Ok(())
    }

    /// [`Op::Race`]: session `s` stores `ours` under `UNCHANGEDSINCE m`
    /// while session `by` stores `theirs`, on one message. Whatever the
    /// order of their commits, a message left out by `[MODIFIED]` ends with
    /// both changes (in one order or the other), and one named there with
    /// the other session's change only, which must have happened first.
    async fn race(
        &self,
        cx: &mut Case,
        s: usize,
        by: usize,
        which: u8,
        ours: (bool, Flags),
        theirs: (bool, Flags),
    ) -> Result<(), TestCaseError> {
        // A message both know, stored, whose MODSEQ `s` read (or reads).
        for c in [s, by] {
            if cx.clients[c].view.cache().is_none() {
                self.ok(&mut cx.clients[c], "w UID FETCH 1:* (FLAGS)")
                    .await?;
            }
        }
        let before = self.truth(cx.id);
        let known: Vec<u32> = cx.clients[s]
            .view
            .slots
            .iter()
            .filter_map(|x| x.uid)
            .filter(|u| cx.clients[by].view.slots.iter().any(|x| x.uid == Some(*u)))
            .filter(|u| before.iter().any(|r| r.uid == *u))
            .collect();
        if known.is_empty() {
            self.stats.borrow_mut().skipped += 1;
            return Ok(());
        }
        let seen: Vec<u32> = known
            .iter()
            .copied()
            .filter(|u| cx.clients[s].view.modseqs.contains_key(u))
            .collect();
        let u = match seen.is_empty() {
            true => {
                let u = known[which as usize % known.len()];
                let c = &mut cx.clients[s];
                self.ok(c, &format!("f UID FETCH {u} (MODSEQ)")).await?;
                u
            }
            false => seen[which as usize % seen.len()],
        };
        let Some(&m) = cx.clients[s].view.modseqs.get(&u) else {
            return Err(fail(format!("no MODSEQ read for UID {u}")));
        };
        let before = self.truth(cx.id);
        let b = *before.iter().find(|r| r.uid == u).expect("stored");
        let sign = |add: bool| if add { '+' } else { '-' };
        let ours_line = format!(
            "c UID STORE {u} (UNCHANGEDSINCE {m}) {}FLAGS {}",
            sign(ours.0),
            ours.1.list()
        );
        let theirs_line = format!(
            "t UID STORE {u} {}FLAGS {}",
            sign(theirs.0),
            theirs.1.list()
        );
        let (ca, cb) = if s < by {
            let (x, y) = cx.clients.split_at_mut(by);
            (&mut x[s], &mut y[0])
        } else {
            let (x, y) = cx.clients.split_at_mut(s);
            (&mut y[0], &mut x[by])
        };
        let (out_a, out_b) = {
            let sa = ca.session.as_mut().expect("connected");
            let sb = cb.session.as_mut().expect("connected");
            tokio::join!(exec(sa, &ours_line), exec(sb, &theirs_line))
        };
        let said_a = self.absorb(ca, &ours_line, out_a)?;
        let said_b = self.absorb(cb, &theirs_line, out_b)?;
        prop_assert!(said_a.ok(), "{:?} → {:?}", ours_line, said_a.out);
        prop_assert!(said_b.ok(), "{:?} → {:?}", theirs_line, said_b.out);
        let a = self.truth(cx.id);
        let a = *a.iter().find(|r| r.uid == u).expect("stored");
        let (fa, fb) = (
            |f: Flags| f.apply(ours.0, ours.1),
            |f: Flags| f.apply(theirs.0, theirs.1),
        );
        let modified = said_a.modified().map_err(fail)?.contains(&u);
        let what = format!(
            "{ours_line:?} → {:?} while {theirs_line:?} → {:?}: UID {u} from {b:?} to {a:?}",
            said_a.out, said_b.out
        );
        {
            let mut st = self.stats.borrow_mut();
            st.races += 1;
            st.race_modified += u64::from(modified && b.modseq <= m);
        }
        if modified {
            // Their change came first: ours was refused, theirs kept.
            prop_assert!(
                a.flags == fb(b.flags) && (b.modseq > m || a.flags != b.flags),
                "{}",
                what
            );
        } else {
            prop_assert!(b.modseq <= m, "{}: not [MODIFIED]", what);
            prop_assert!(
                a.flags == fb(fa(b.flags)) || a.flags == fa(fb(b.flags)),
                "{}: a change was lost",
                what
            );
        }
        // Both sessions then show the stored flags.
        for c in [ca, cb] {
            self.ok(c, "n NOOP").await?;
            let line = format!("g UID FETCH {u} (FLAGS)");
            let said = self.ok(c, &line).await?;
            prop_assert_eq!(
                said.fetched(),
                vec![(u, a.flags)],
                "{}, then {:?}",
                what,
                line
            );
        }
        Ok(())
    }

    /// The QRESYNC client comes back on instance `engine` and
    /// resynchronises as `how` says; then its cache must be a full re-read.
    /// With `write`, session 1 runs that command at the same time as the
    /// first resynchronising command: then what the answers must name is
    /// only bounded (the write may or may not be in them), and the client
    /// is compared after a NOOP has told it the rest — or, with `leave`,
    /// leaves at once, keeping the H it has then.
    async fn resync(
        &self,
        cx: &mut Case,
        how: How,
        engine: usize,
        write: Option<(String, bool)>,
    ) -> Result<(), TestCaseError> {
        let c = &mut cx.clients[0];
        let saved = c.saved.take().expect("left before");
        c.session = Some(Session::new(self.engines[engine].clone()));
        c.view = View::new(true);
        self.ok(c, &format!("l LOGIN {USER} pw")).await?;
        self.ok(c, "e ENABLE QRESYNC").await?;
        let before = self.truth(cx.id);
        let mut cache = saved.cache.clone();
        // The commands, and the UIDs they ask about (all when `None`).
        let (first, second, asked) = match how {
            How::Qresync => (
                format!(
                    "s SELECT {} (QRESYNC ({} {}))",
                    cx.name, saved.uidvalidity, saved.h
                ),
                None,
                None,
            ),
            How::QresyncKnown => {
                let known = match cache.is_empty() {
                    true => String::new(),
                    false => format!(" {}", render(cache.keys().copied())),
                };
                let line = format!(
                    "s SELECT {} (QRESYNC ({} {}{known}))",
                    cx.name, saved.uidvalidity, saved.h
                );
                let asked = (!cache.is_empty()).then(|| cache.keys().copied().collect());
                (line, None, asked)
            }
            How::ChangedSince => (
                format!("s SELECT {}", cx.name),
                (saved.maxknown > 0).then(|| {
                    format!(
                        "v UID FETCH 1:{} (FLAGS) (CHANGEDSINCE {} VANISHED)",
                        saved.maxknown, saved.h
                    )
                }),
                Some((1..=saved.maxknown).collect::<BTreeSet<u32>>()),
            ),
        };
        let mut saids = Vec::new();
        match &write {
            None => saids.push((first.clone(), self.ok(&mut cx.clients[0], &first).await?)),
            Some((w, _)) => {
                let (q, rest) = cx.clients.split_at_mut(1);
                let (q, other) = (&mut q[0], &mut rest[0]);
                let (out_q, out_w) = {
                    let sq = q.session.as_mut().expect("connected");
                    let so = other.session.as_mut().expect("connected");
                    tokio::join!(exec(sq, &first), exec(so, w))
                };
                let said = self.absorb(q, &first, out_q)?;
                prop_assert!(said.ok(), "{:?} → {:?}", first, said.out);
                let said_w = self.absorb(other, w, out_w)?;
                prop_assert!(said_w.ok(), "{:?} → {:?}", w, said_w.out);
                saids.push((first.clone(), said));
                self.stats.borrow_mut().resync_races += 1;
            }
        }
        let c = &mut cx.clients[0];
        if let Some(line) = second {
            saids.push((line.clone(), self.ok(c, &line).await?));
        }
        prop_assert_eq!(saids[0].1.uidvalidity, Some(saved.uidvalidity));
        let after: HashMap<u32, Row> = self.truth(cx.id).iter().map(|r| (r.uid, *r)).collect();
        let mut changed = BTreeSet::new();
        let mut told = Vec::new();
        for (line, said) in &saids {
            for e in &said.events {
                match e {
                    Event::Earlier(uids) => {
                        for u in uids {
                            prop_assert!(
                                !after.contains_key(u),
                                "{:?} → {:?}: UID {} is not gone",
                                line,
                                said.out,
                                u
                            );
                            cache.remove(u);
                        }
                        self.stats.borrow_mut().resync_vanished += uids.len() as u64;
                    }
                    Event::Fetch(f) => {
                        let (Some(u), Some(flags)) = (f.uid, f.flags) else {
                            return Err(fail(format!("{line:?} → {:?}: {f:?}", said.out)));
                        };
                        if asked.is_some() && u > saved.maxknown {
                            // A new message, told because the racing write
                            // changed it: learnt below like the others.
                            continue;
                        }
                        cache.insert(u, flags);
                        changed.insert(u);
                        told.push((f.seq, u));
                        self.stats.borrow_mut().resync_fetches += 1;
                    }
                }
            }
        }
        let out: Vec<&String> = saids.iter().flat_map(|(_, s)| &s.out).collect();
        // The changed FETCHes: every stored message changed after H that
        // was asked about (and not touched by the write), and nothing
        // unchanged since H.
        let asked = |u: &u32| asked.as_ref().is_none_or(|a| a.contains(u));
        for r in &before {
            let now = after.get(&r.uid);
            if r.modseq > saved.h && asked(&r.uid) && (write.is_none() || now.is_some()) {
                prop_assert!(
                    changed.contains(&r.uid),
                    "{:?} → {:?}: UID {} changed at {} after {} is not told",
                    how,
                    out,
                    r.uid,
                    r.modseq,
                    saved.h
                );
            }
        }
        for u in &changed {
            let stored = match write {
                None => before.iter().find(|r| r.uid == *u).copied(),
                Some(_) => after.get(u).copied(),
            };
            prop_assert!(
                stored.is_none_or(|r| r.modseq > saved.h) && (write.is_some() || stored.is_some()),
                "{:?} → {:?}: UID {} told, stored {:?}, unchanged since {}",
                how,
                out,
                u,
                stored,
                saved.h
            );
        }
        // The client's messages come first, in UID order.
        let keys: Vec<u32> = cache.keys().copied().collect();
        for (seq, u) in told {
            prop_assert_eq!(
                keys.iter().position(|&k| k == u).map(|i| i as u32 + 1),
                Some(seq),
                "{:?} → {:?}: UID {} as message {}",
                how,
                out,
                u,
                seq
            );
        }
        prop_assert!(
            cache.len() <= c.view.slots.len(),
            "{:?} → {:?}: the client keeps {:?}",
            how,
            out,
            cache
        );
        for (i, (&u, &flags)) in cache.iter().enumerate() {
            let slot = &mut c.view.slots[i];
            prop_assert!(
                slot.uid.is_none_or(|x| x == u),
                "{:?} → {:?}: message {} is UID {:?}, the client has {}",
                how,
                out,
                i + 1,
                slot.uid,
                u
            );
            slot.uid = Some(u);
            slot.flags = Some(flags);
        }
        // Then the new messages.
        let line = format!("n UID FETCH {}:* (FLAGS)", saved.maxknown + 1);
        let said = self.ok(c, &line).await?;
        prop_assert!(
            write.is_some() || c.view.cache().is_some(),
            "{:?} after {:?} → {:?}: unknown messages {:?}",
            line,
            how,
            said.out,
            c.view.slots
        );
        c.maxknown = saved.maxknown;
        self.fill(c).await?;
        self.stats.borrow_mut().resyncs += 1;
        if let Some((_, leave_now)) = write {
            if leave_now {
                return leave(c);
            }
            // What the write changed after the SELECT's snapshot.
            self.ok(c, "n NOOP").await?;
            self.fill(c).await?;
        }
        self.compare(cx, &format!("after {how:?}")).await
    }

    /// `UID FETCH 1:* (FLAGS) (CHANGEDSINCE h VANISHED)` while selected,
    /// then NOOP: the cache is a full re-read.
    async fn changed_since(&self, cx: &mut Case, back: u8) -> Result<(), TestCaseError> {
        let c = &mut cx.clients[0];
        let since = lowered(c.view.h, back);
        let shown: BTreeSet<u32> = c.view.slots.iter().filter_map(|s| s.uid).collect();
        let truth = self.truth(cx.id);
        let line = format!("v UID FETCH 1:* (FLAGS) (CHANGEDSINCE {since} VANISHED)");
        let said = self.ok(c, &line).await?;
        told_changes(&line, &said, &truth, &shown, since)?;
        self.ok(c, "n NOOP").await?;
        self.fill(c).await?;
        self.stats.borrow_mut().changedsince_checks += 1;
        self.compare(cx, &format!("after {line:?}")).await
    }
}

/// `h` lowered by `back` quarters, at least 1.
fn lowered(h: u64, back: u8) -> u64 {
    (h - h * u64::from(back) / 4).max(1)
}

/// A CHANGEDSINCE FETCH told every message the session showed that
/// changed after `since` (by the store, read just before), and none that
/// did not.
fn told_changes(
    line: &str,
    said: &Said,
    truth: &[Row],
    shown: &BTreeSet<u32>,
    since: u64,
) -> Result<(), TestCaseError> {
    let told: BTreeSet<u32> = said
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Fetch(f) => f.uid,
            Event::Earlier(_) => None,
        })
        .collect();
    for r in truth {
        if r.modseq > since && shown.contains(&r.uid) {
            prop_assert!(
                told.contains(&r.uid),
                "{:?} → {:?}: UID {} changed at {} is missing",
                line,
                said.out,
                r.uid,
                r.modseq
            );
        } else if r.modseq <= since {
            prop_assert!(
                !told.contains(&r.uid),
                "{:?} → {:?}: UID {} unchanged since {}",
                line,
                said.out,
                r.uid,
                r.modseq
            );
        }
    }
    Ok(())
}

/// The client's own `.SILENT` change: `add`/remove `flags` on `uids` but
/// those in `[MODIFIED]`.
fn apply_own(view: &mut View, uids: &[u32], modified: &BTreeSet<u32>, add: bool, flags: Flags) {
    for slot in &mut view.slots {
        if let (Some(u), Some(f)) = (slot.uid, slot.flags)
            && uids.contains(&u)
            && !modified.contains(&u)
        {
            slot.flags = Some(f.apply(add, flags));
        }
    }
}

/// The QRESYNC client goes away, keeping UIDVALIDITY, H, its cache and the
/// highest UID it knew.
fn leave(c: &mut Client) -> Result<(), TestCaseError> {
    let cache = c
        .view
        .cache()
        .ok_or_else(|| fail(format!("leaving with unknown messages {:?}", c.view.slots)))?;
    let top = cache.iter().map(|x| x.0).max().unwrap_or(0);
    c.maxknown = c.maxknown.max(top);
    c.saved = Some(Saved {
        uidvalidity: c.uidvalidity,
        h: c.view.h,
        cache: cache.into_iter().collect(),
        maxknown: c.maxknown,
    });
    c.session = None;
    Ok(())
}

#[test]
fn qresync_client_reconstructs_a_full_reread() {
    Harness::sqlite().run(1);
}

#[test]
fn qresync_client_reconstructs_a_full_reread_on_postgres() {
    if let Some(h) = Harness::postgres() {
        h.run(5);
    }
}

#[test]
fn qresync_client_reconstructs_a_full_reread_over_two_instances() {
    if let Some(h) = Harness::postgres_two_instances() {
        h.run(5);
    }
}

// ---- bugs the model found, reproduced on their own -----------------------------

/// Two instances on one PostgreSQL database, no change-feed thread (so
/// that nothing runs between the steps): a session on the second instance
/// shows a `\Deleted` message, the first instance expunges it, the store's
/// expunge history is pruned (`prune` only) and the session polls. What
/// the NOOP answered, what a `UID FETCH 1:*` then shows, and the EXISTS of
/// a new session's SELECT on the second instance.
async fn expunge_told_across_instances(env: Env, prune: bool) -> [Vec<String>; 3] {
    let second = env.second_instance().expect("PostgreSQL");
    let mut a = env.client("alice").await;
    a.append("a", "INBOX", "\\Deleted", &message("gone")).await;
    let mut b = common::Client::new(second.clone());
    assert_eq!(b.run("l LOGIN alice pw").await, ["l OK LOGIN completed"]);
    b.run("e ENABLE QRESYNC").await;
    let r = b.run("s SELECT INBOX").await;
    assert!(r.contains(&"* 1 EXISTS".to_owned()), "{r:?}");
    a.run("s SELECT INBOX").await;
    let r = a.run("x EXPUNGE").await;
    assert_eq!(r[0], "* 1 EXPUNGE");
    if prune {
        let (user, _) = env.store.user_by_name("alice").unwrap().unwrap();
        let info = env.store.mailbox_by_name(user, "INBOX").unwrap().unwrap();
        env.store
            .prune_expunged(info.id, info.highest_modseq)
            .unwrap();
    }
    let noop = b.run("n NOOP").await;
    let fetch = b.run("f UID FETCH 1:* (FLAGS)").await;
    let mut c = common::Client::new(second);
    c.run("l LOGIN alice pw").await;
    let exists = c.run("s SELECT INBOX").await;
    let exists = exists
        .into_iter()
        .filter(|l| l.ends_with(" EXISTS"))
        .collect();
    [noop, fetch, exists]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expunge_on_another_instance_is_told_at_the_next_noop() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let [noop, fetch, exists] = expunge_told_across_instances(env, false).await;
    assert_eq!(noop, ["* VANISHED 1", "n OK NOOP completed"]);
    assert_eq!(fetch, ["f OK FETCH completed"]);
    assert_eq!(exists, ["* 0 EXISTS"]);
}

/// The change feed reads other instances' expunges from the expunge
/// history (`changes_since` in `ops_feed.rs`). An expunge pruned before an
/// instance read it cannot be named there any more: the store says so, and
/// the feed has every follower resynchronise from the store. Before, its
/// sessions (and its warm index, which the next SELECT copies: EXISTS too
/// high, the message left out of QRESYNC's VANISHED and changed FETCHes)
/// showed the message for good. Found by the model with `Op::Prune` right
/// after an expunge (with `[gc] expunged_history_days` at least one day it
/// needs an instance a day behind).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_resynchronises_when_expunges_were_pruned_before_it_read_them() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let [noop, fetch, exists] = expunge_told_across_instances(env, true).await;
    // It was: ["n OK NOOP completed"]; UID 1 still fetched with its
    // flags; and a new SELECT there said "* 1 EXISTS". Now the session
    // resynchronises from the store: told the expunge, or (with no
    // current shared index to resynchronise from) closed with BYE, so
    // that its client reconnects to the right state.
    if noop.first().is_some_and(|l| l.starts_with("* BYE")) {
        assert_eq!(noop.len(), 1, "{noop:?}");
    } else {
        assert_eq!(noop, ["* VANISHED 1", "n OK NOOP completed"]);
        assert_eq!(fetch, ["f OK FETCH completed"]);
    }
    assert_eq!(exists, ["* 0 EXISTS"]);
}

/// Two instances on one PostgreSQL database, no change-feed thread (what
/// the feed would deliver tens of milliseconds later is never delivered
/// here, so nothing depends on timing): alice's message UID 1 is `\Seen`;
/// `q`, a QRESYNC session on the second instance, selects INBOX; then a
/// session on the first instance adds `\Flagged` to it. Returns `q`, its
/// HIGHESTMODSEQ before the change, and the change's MODSEQ.
async fn flagged_on_the_other_instance(env: &Env) -> (common::Client, u64, u64) {
    let second = env.second_instance().expect("PostgreSQL");
    let mut a = env.client("alice").await;
    a.append("a", "INBOX", "\\Seen", &message("flagged elsewhere"))
        .await;
    let mut q = common::Client::new(second);
    assert_eq!(q.run("l LOGIN alice pw").await, ["l OK LOGIN completed"]);
    q.run("e ENABLE QRESYNC").await;
    let r = q.run("s SELECT INBOX").await;
    let code = |r: &[String], what: &str| -> u64 {
        let l = r.iter().find(|l| l.contains(what)).expect(what);
        let at = l.find(what).unwrap() + what.len();
        l[at..].split([']', ')']).next().unwrap().parse().unwrap()
    };
    let h = code(&r, "[HIGHESTMODSEQ ");
    a.run("s SELECT INBOX (CONDSTORE)").await;
    let r = a.run("t UID STORE 1 +FLAGS (\\Flagged)").await;
    let m = code(&r, "MODSEQ (");
    assert!(m > h, "{r:?}");
    (q, h, m)
}

/// Whether the store holds UID 1 of alice's INBOX with `\Flagged`.
fn stored_flagged(env: &Env) -> bool {
    let (user, _) = env.store.user_by_name("alice").unwrap().unwrap();
    let info = env.store.mailbox_by_name(user, "INBOX").unwrap().unwrap();
    let rows = env.store.fetch_flags(info.id, &UidSet::all()).unwrap();
    rows[0].flags.contains(StoreFlags::FLAGGED)
}

/// A session's MODSEQ values are read from the store, its flags from its
/// snapshot, which learns other instances' changes only through the change
/// feed. Until then a FETCH (`CHANGEDSINCE`, a `MODSEQ` item, QRESYNC's
/// changed FETCHes) reported the new MODSEQ with the flags from before it;
/// a QRESYNC client keeps that MODSEQ as its HIGHESTMODSEQ and, leaving
/// before the feed's FETCH reached it, skipped the change for good at its
/// next `SELECT (QRESYNC …)`. A MODSEQ is now told as of the snapshot.
/// Found by the model: a resynchronisation raced by a STORE on the other
/// instance, then the client leaving at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modseq_is_never_told_with_flags_from_before_it() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let (mut q, h, m) = flagged_on_the_other_instance(&env).await;
    let r = q
        .run(&format!(
            "v UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h} VANISHED)"
        ))
        .await;
    // It was "* 1 FETCH (UID 1 FLAGS (\Seen) MODSEQ (m))". Telling no
    // change, or the flags with \Flagged, would both do.
    let told = r.iter().find(|l| l.contains(&format!("MODSEQ ({m})")));
    assert!(
        told.is_none_or(|l| l.contains("\\Flagged")),
        "MODSEQ {m} told with the flags from before it: {r:?}"
    );
}

/// The same stale pair made `UNCHANGEDSINCE` overwrite the other
/// instance's change: the client read (`\Seen`, MODSEQ m), replaced the
/// flags it saw under `UNCHANGEDSINCE m`, and `\Flagged`, which it never
/// saw, was gone without `[MODIFIED]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchangedsince_never_overwrites_a_change_the_client_was_not_shown() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let (mut q, _, _) = flagged_on_the_other_instance(&env).await;
    let r = q.run("f UID FETCH 1 (FLAGS MODSEQ)").await;
    let line = r
        .iter()
        .find(|l| l.starts_with("* 1 FETCH"))
        .expect("FETCH");
    let flags = &line[line.find("FLAGS (").unwrap() + 7..];
    let flags: Vec<&str> = flags[..flags.find(')').unwrap()]
        .split_whitespace()
        .filter(|f| *f != "\\Recent")
        .collect();
    let modseq = &line[line.find("MODSEQ (").unwrap() + 8..];
    let modseq: u64 = modseq[..modseq.find(')').unwrap()].parse().unwrap();
    // The client adds \Answered to what it saw, unless it changed since.
    let r = q
        .run(&format!(
            "c UID STORE 1 (UNCHANGEDSINCE {modseq}) FLAGS ({} \\Answered)",
            flags.join(" ")
        ))
        .await;
    let modified = r.last().is_some_and(|l| l.contains("[MODIFIED 1]"));
    // It read "FLAGS (\Seen) MODSEQ (m)", the STORE succeeded and the
    // store held (\Seen \Answered).
    assert!(
        modified || stored_flagged(&env),
        "saw {line:?}, then {r:?}: \\Flagged was overwritten"
    );
}
