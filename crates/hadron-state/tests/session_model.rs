//! Model-based test of the whole session layer: 2–4 real [`Session`]s of
//! one engine (SQLite store, `LocalConnector`) on one mailbox, driven
//! through random interleavings of APPEND, STORE (`+`/`-`/replace, with
//! and without `.SILENT`, by sequence number and by UID), EXPUNGE,
//! UID EXPUNGE, COPY and MOVE (to a second mailbox, and back from it by a
//! helper session), FETCH, SEARCH, NOOP, CHECK, IDLE/DONE, re-SELECT, and
//! changes made by the backend through the connector's update path.
//!
//! The reference is deliberately simple: the mailbox's true contents as a
//! `Vec` of (UID, flags), and per session a `Vec` of what that client
//! knows (UID, flags, `\Recent` — each unknown until told), built only by
//! replaying the response lines the session wrote, the way a client does.
//!
//! Invariants, checked after every step:
//! - the client's replayed view agrees with the numbers the session uses
//!   (its snapshot), so `FETCH n (UID)` answers what the client predicts;
//!   and every FETCH, STORE and SEARCH answer matches that view;
//! - no `* n EXPUNGE` while answering FETCH, STORE, SEARCH or COPY, nor
//!   their UID forms (RFC 3501 §7.4.1; DESIGN.md §2 holds the UID forms to
//!   the same rule), and `[EXPUNGEISSUED]` exactly when an expunge is held;
//! - every view is a list of UIDs the mailbox really had at some moment,
//!   never going back in time (an EXISTS never overtakes a held EXPUNGE),
//!   and the flags of every message still in the mailbox are current after
//!   each command (flag changes may always be told);
//! - after a command that may tell everything (NOOP, CHECK, EXPUNGE, MOVE,
//!   APPEND, IDLE), the view equals the true contents;
//! - APPENDUID / COPYUID / backend UIDs are above every UID the mailbox
//!   had (never reused), and the store agrees with the model;
//! - `\Recent` is held by at most one session per message, the one the
//!   model predicts.
//!
//! The same model runs with session queues of three updates, so that
//! sessions fall behind constantly: resynchronised, or closed with
//! `* BYE` and reconnected (then only "at most one session" is checked
//! for `\Recent`, since the hub skips sessions whose queue is full).
//!
//! Another test runs the sessions' command scripts (and the backend's)
//! *concurrently* on a multi-threaded runtime, where no single order can be
//! predicted: each session's view must still agree with its own numbers
//! after every command, no forbidden EXPUNGE may appear, no UID may be
//! given twice, and once all are done a NOOP must bring every session to
//! exactly what the store holds, with `\Recent` in at most one session.
//!
//! With `HADRON_TEST_PG`, both tests also run with the sessions spread over
//! two instances on one PostgreSQL database (issue 11): every invariant
//! holds but which session gets `\Recent` (only "at most one" is checked),
//! and every step (and every poll of an idler) runs once the change feed's
//! wake-ups for the steps before it have arrived.
//!
//! `PROPTEST_CASES` sets the number of cases of the model test (128 by
//! default; a quarter of that on PostgreSQL when `HADRON_TEST_PG` is set;
//! half and an eighth for the concurrent test); `PROPTEST_RNG_SEED` fixes
//! the seed.

mod common;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use common::{Env, lines, message};
use hadron_proto::parse::{self, ParseLimits};
use hadron_state::connector::{
    Applied, BackendUpdate, Connector, IncomingMessage, LocalConnector, PendingUpdate,
};
use hadron_state::engine::Engine;
use hadron_state::flags::FlagSet;
use hadron_state::session::{Output, Session};
use hadron_state::snapshot::Snapshot;
use hadron_store::{
    MailboxId, PackBlobStore, SqliteSync, Store, StoreOptions, SystemFlags as StoreFlags, UidSet,
    UserId,
};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

const USER: &str = "modeller";
/// Cases without `PROPTEST_CASES`.
const DEFAULT_CASES: u32 = 128;
/// Most steps per case.
const MAX_STEPS: usize = 50;

// ---- flags ------------------------------------------------------------------

/// The system flags the model uses, with their bits.
const SYSTEM: [(&str, u8); 5] = [
    ("\\Answered", 1),
    ("\\Flagged", 2),
    ("\\Deleted", 4),
    ("\\Seen", 8),
    ("\\Draft", 16),
];
const DELETED: u8 = 4;
const SEEN: u8 = 8;
/// The keywords the model uses (bit `1 << i`).
const KEYWORDS: [&str; 2] = ["$Label1", "NonJunk"];

/// A message's stored flags: system bits and keyword bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Flags {
    system: u8,
    keywords: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    Remove,
    Replace,
}

impl Flags {
    fn new(system: u8, keywords: u8) -> Flags {
        Flags {
            system: system & 0b1_1111,
            keywords: keywords & 0b11,
        }
    }

    fn names(self) -> Vec<&'static str> {
        let system = SYSTEM
            .iter()
            .filter(|(_, b)| self.system & b != 0)
            .map(|(n, _)| *n);
        let keywords = KEYWORDS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.keywords & (1 << i) != 0)
            .map(|(_, n)| *n);
        system.chain(keywords).collect()
    }

    /// `(\Seen $Label1)`.
    fn list(self) -> String {
        format!("({})", self.names().join(" "))
    }

    fn apply(self, mode: Mode, f: Flags) -> Flags {
        match mode {
            Mode::Add => Flags::new(self.system | f.system, self.keywords | f.keywords),
            Mode::Remove => Flags::new(self.system & !f.system, self.keywords & !f.keywords),
            Mode::Replace => f,
        }
    }

    /// Parses flag names (as a FETCH response lists them); `\Recent` is
    /// reported separately.
    fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(Flags, bool), String> {
        let (mut flags, mut recent) = (Flags::default(), false);
        for name in names {
            if name.eq_ignore_ascii_case("\\Recent") {
                recent = true;
            } else if let Some((_, b)) = SYSTEM.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                flags.system |= b;
            } else if let Some(i) = KEYWORDS.iter().position(|n| n.eq_ignore_ascii_case(name)) {
                flags.keywords |= 1 << i;
            } else {
                return Err(format!("unexpected flag {name:?}"));
            }
        }
        Ok((flags, recent))
    }

    fn of_set(set: &FlagSet) -> Flags {
        let names: Vec<String> = set.iter().map(|f| f.to_string()).collect();
        Flags::parse(names.iter().map(String::as_str))
            .unwrap_or_else(|e| panic!("snapshot flags: {e}"))
            .0
    }

    fn flag_set(self) -> FlagSet {
        use hadron_proto::types::{Atom, Flag};
        FlagSet::from_flags(
            self.names()
                .into_iter()
                .map(|n| match n.strip_prefix('\\') {
                    Some(system) => Flag::system(Atom::try_from(system).expect("atom")),
                    None => Flag::keyword(n).expect("keyword"),
                }),
        )
    }
}

// ---- response lines, as a client reads them ---------------------------------

/// One response line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Exists(u32),
    Expunge(u32),
    Recent(u32),
    Fetch(Fetched),
    Search(Vec<u32>),
    /// `* OK [code] ...` (only the code is kept).
    UntaggedOk(Option<String>),
    Tagged {
        status: String,
        code: Option<String>,
    },
    Continue,
    Bye,
    /// Other untagged data (`* FLAGS`, ...).
    Other,
}

fn number(s: &str) -> Result<u32, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}

/// The text between `[` and `]` at the start of `s`, if any.
fn code_of(s: &str) -> Option<String> {
    let s = s.strip_prefix('[')?;
    Some(s[..s.find(']')?].to_owned())
}

fn parse_fetch(seq: u32, body: &str) -> Result<Line, String> {
    let inner = body
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .ok_or_else(|| format!("FETCH data not parenthesised: {body:?}"))?;
    let mut f = Fetched {
        seq,
        ..Fetched::default()
    };
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("UID ") {
            let end = r.find(' ').unwrap_or(r.len());
            f.uid = Some(number(&r[..end])?);
            rest = r[end..].trim_start();
        } else if let Some(r) = rest.strip_prefix("RFC822.SIZE ") {
            let end = r.find(' ').unwrap_or(r.len());
            f.size = Some(number(&r[..end])?);
            rest = r[end..].trim_start();
        } else if let Some(r) = rest.strip_prefix("FLAGS (") {
            let end = r.find(')').ok_or("unterminated FLAGS")?;
            f.flags = Some(Flags::parse(r[..end].split_whitespace())?);
            rest = r[end + 1..].trim_start();
        } else if let Some(r) = rest.strip_prefix("BODY[TEXT] {") {
            // A literal, written inline by the test's line joiner.
            let end = r.find("}\r\n").ok_or("bad literal")?;
            let len = number(&r[..end])? as usize;
            let data = r.get(end + 3..end + 3 + len).ok_or("short literal")?;
            f.text = Some(data.to_owned());
            rest = r[end + 3 + len..].trim_start();
        } else {
            return Err(format!("unexpected FETCH item in {body:?}"));
        }
    }
    Ok(Line::Fetch(f))
}

fn parse_line(line: &str) -> Result<Line, String> {
    if line.starts_with("+ ") {
        return Ok(Line::Continue);
    }
    if let Some(rest) = line.strip_prefix("* ") {
        if let Some(r) = rest.strip_prefix("SEARCH") {
            return r
                .split_whitespace()
                .map(number)
                .collect::<Result<_, _>>()
                .map(Line::Search);
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
                "RECENT" => Ok(Line::Recent(n)),
                _ => match what.strip_prefix("FETCH ") {
                    Some(body) => parse_fetch(n, body),
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

/// Expands a sequence set of plain numbers and ranges (`1:3,7`).
fn expand(set: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b) = (number(a)?, number(b)?);
                out.extend(a.min(b)..=a.max(b));
            }
            None => out.push(number(part)?),
        }
    }
    Ok(out)
}

/// `APPENDUID v uids` → the UIDs.
fn appenduid(code: &str) -> Result<Vec<u32>, String> {
    let mut w = code.split(' ');
    match (w.next(), w.next(), w.next()) {
        (Some("APPENDUID"), Some(_), Some(set)) => expand(set),
        _ => Err(format!("not APPENDUID: {code:?}")),
    }
}

/// `COPYUID v src dst` → (source UIDs, destination UIDs).
fn copyuid(code: &str) -> Result<(Vec<u32>, Vec<u32>), String> {
    let mut w = code.split(' ');
    match (w.next(), w.next(), w.next(), w.next()) {
        (Some("COPYUID"), Some(_), Some(src), Some(dst)) => Ok((expand(src)?, expand(dst)?)),
        _ => Err(format!("not COPYUID: {code:?}")),
    }
}

// ---- steps ------------------------------------------------------------------

/// A sequence set to be rendered against the acting session's view.
#[derive(Debug, Clone, Copy)]
struct SetPick {
    shape: u8,
    a: usize,
    b: usize,
}

#[derive(Debug, Clone, Copy)]
enum SearchKey {
    All,
    Seen,
    Unseen,
    Deleted,
    Uid(SetPick),
}

#[derive(Debug, Clone)]
enum Step {
    /// APPEND by a session, to the test mailbox or (`other`) the second one.
    Append {
        by: usize,
        flags: Flags,
        other: bool,
    },
    Store {
        by: usize,
        set: SetPick,
        uid: bool,
        mode: Mode,
        flags: Flags,
        silent: bool,
    },
    Expunge {
        by: usize,
        uid_set: Option<SetPick>,
    },
    /// COPY (or MOVE) to the second mailbox.
    Copy {
        by: usize,
        set: SetPick,
        uid: bool,
        is_move: bool,
        /// Into the selected mailbox itself.
        to_self: bool,
    },
    /// The helper session, which has the second mailbox selected, copies
    /// or moves one of its messages into the test mailbox.
    Back {
        pick: usize,
        is_move: bool,
    },
    Fetch {
        by: usize,
        set: SetPick,
        uid: bool,
        /// 0: FLAGS, 1: UID, 2: both, 3: FLAGS RFC822.SIZE, 4: UID
        /// RFC822.SIZE, 5: BODY[TEXT], 6: BODY.PEEK[TEXT].
        items: u8,
    },
    Search {
        by: usize,
        uid: bool,
        key: SearchKey,
    },
    Noop {
        by: usize,
        check: bool,
    },
    /// IDLE, or DONE when already idling.
    Idle {
        by: usize,
    },
    /// SELECT again, or EXAMINE (read-only; never session 0, so that a
    /// read-write session always has the mailbox selected).
    Reselect {
        by: usize,
        examine: bool,
    },
    /// CLOSE (or UNSELECT), then SELECT again.
    Close {
        by: usize,
        expunge: bool,
    },
    /// STATUS of the selected mailbox (or the second one).
    Status {
        by: usize,
        other: bool,
    },
    BackendAdd {
        flags: Flags,
    },
    BackendFlags {
        pick: usize,
        flags: Flags,
    },
    BackendDelete {
        pick: usize,
    },
}

impl Step {
    fn actor(&self) -> Option<usize> {
        match self {
            Step::Append { by, .. }
            | Step::Store { by, .. }
            | Step::Expunge { by, .. }
            | Step::Copy { by, .. }
            | Step::Fetch { by, .. }
            | Step::Search { by, .. }
            | Step::Noop { by, .. }
            | Step::Idle { by }
            | Step::Reselect { by, .. }
            | Step::Close { by, .. }
            | Step::Status { by, .. } => Some(*by),
            _ => None,
        }
    }
}

fn flags_strategy() -> impl Strategy<Value = Flags> {
    // Mostly few flags, so that +FLAGS and -FLAGS often change something.
    (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, k)| Flags::new(a & b, k & (k >> 2)))
}

fn set_strategy() -> impl Strategy<Value = SetPick> {
    (0..6u8, any::<usize>(), any::<usize>()).prop_map(|(shape, a, b)| SetPick { shape, a, b })
}

fn step_strategy(sessions: usize) -> impl Strategy<Value = Step> {
    let by = 0..sessions;
    let mode = prop_oneof![Just(Mode::Add), Just(Mode::Remove), Just(Mode::Replace)];
    let key = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::Seen),
        Just(SearchKey::Unseen),
        Just(SearchKey::Deleted),
        set_strategy().prop_map(SearchKey::Uid),
    ];
    prop_oneof![
        4 => (by.clone(), flags_strategy(), prop::bool::weighted(0.2))
            .prop_map(|(by, flags, other)| Step::Append { by, flags, other }),
        6 => (by.clone(), set_strategy(), any::<bool>(), mode, flags_strategy(), any::<bool>())
            .prop_map(|(by, set, uid, mode, flags, silent)| Step::Store { by, set, uid, mode, flags, silent }),
        3 => (by.clone(), prop::option::of(set_strategy()))
            .prop_map(|(by, uid_set)| Step::Expunge { by, uid_set }),
        3 => (by.clone(), set_strategy(), any::<bool>(), any::<bool>(), prop::bool::weighted(0.3))
            .prop_map(|(by, set, uid, is_move, to_self)| Step::Copy { by, set, uid, is_move, to_self }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(pick, is_move)| Step::Back { pick, is_move }),
        6 => (by.clone(), set_strategy(), any::<bool>(), 0..7u8)
            .prop_map(|(by, set, uid, items)| Step::Fetch { by, set, uid, items }),
        3 => (by.clone(), any::<bool>(), key).prop_map(|(by, uid, key)| Step::Search { by, uid, key }),
        4 => (by.clone(), any::<bool>()).prop_map(|(by, check)| Step::Noop { by, check }),
        2 => by.clone().prop_map(|by| Step::Idle { by }),
        2 => (by.clone(), any::<bool>()).prop_map(|(by, examine)| Step::Reselect { by, examine }),
        1 => (by.clone(), any::<bool>()).prop_map(|(by, expunge)| Step::Close { by, expunge }),
        2 => (by, any::<bool>()).prop_map(|(by, other)| Step::Status { by, other }),
        2 => flags_strategy().prop_map(|flags| Step::BackendAdd { flags }),
        2 => (any::<usize>(), flags_strategy()).prop_map(|(pick, flags)| Step::BackendFlags { pick, flags }),
        1 => any::<usize>().prop_map(|pick| Step::BackendDelete { pick }),
    ]
}

/// (sessions, initial messages, steps).
fn scenario() -> impl Strategy<Value = (usize, usize, Vec<Step>)> {
    (2..=4usize, 0..5usize).prop_flat_map(|(sessions, initial)| {
        (
            Just(sessions),
            Just(initial),
            prop::collection::vec(step_strategy(sessions), 1..=MAX_STEPS),
        )
    })
}

// ---- the model --------------------------------------------------------------

/// What a client knows about one message; `None` until told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    uid: Option<u32>,
    flags: Option<Flags>,
    recent: Option<bool>,
}

/// One client's view, replayed from its responses only.
#[derive(Debug, Default)]
struct View {
    slots: Vec<Slot>,
    /// The oldest mailbox state (index into `Model::history`) this view
    /// may still show.
    version: usize,
    idling: bool,
    /// Selected with EXAMINE.
    read_only: bool,
    /// Closed with `* BYE`: the client reconnects.
    closed: bool,
    /// The last command delivered updates: flags must be current.
    told: bool,
    /// Something changed in the mailbox since this session last delivered.
    woken: bool,
}

/// The truth about one mailbox.
#[derive(Debug, Default)]
struct Mbox {
    id: Option<MailboxId>,
    name: String,
    messages: Vec<(u32, Flags)>,
    /// Highest UID it ever had.
    max_uid: u32,
    /// The subject of every message it ever had (bodies stay readable
    /// while a session still shows them).
    subjects: HashMap<u32, String>,
}

impl Mbox {
    fn flags(&self, uid: u32) -> Option<Flags> {
        self.messages
            .binary_search_by_key(&uid, |m| m.0)
            .ok()
            .map(|i| self.messages[i].1)
    }

    /// RFC822.SIZE and BODY[TEXT] of a message the mailbox had.
    fn content(&self, uid: u32) -> (u32, String) {
        let subject = self.subjects.get(&uid).map_or("?", String::as_str);
        (
            message(subject).len() as u32,
            format!("Hello {subject}\r\n"),
        )
    }

    fn alive(&self, uid: u32) -> bool {
        self.flags(uid).is_some()
    }

    /// Records newly assigned UIDs, checking that they were never used.
    fn add(
        &mut self,
        uids: &[u32],
        flags: &[Flags],
        subjects: &[String],
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(uids.len(), flags.len(), "one UID per message");
        prop_assert_eq!(uids.len(), subjects.len(), "one UID per message");
        for ((&uid, &f), subject) in uids.iter().zip(flags).zip(subjects) {
            self.subjects.insert(uid, subject.clone());
            prop_assert!(
                uid > self.max_uid,
                "UID {} reused in {} (highest so far {})",
                uid,
                self.name,
                self.max_uid
            );
            self.max_uid = uid;
            self.messages.push((uid, f));
        }
        Ok(())
    }

    fn remove(&mut self, uids: &[u32]) {
        self.messages.retain(|m| !uids.contains(&m.0));
    }

    fn set(&mut self, uid: u32, f: Flags) {
        if let Ok(i) = self.messages.binary_search_by_key(&uid, |m| m.0) {
            self.messages[i].1 = f;
        }
    }
}

/// The whole reference state of one case.
#[derive(Debug, Default)]
struct Model {
    test: Mbox,
    other: Mbox,
    /// Every list of UIDs the test mailbox has had, oldest first.
    history: Vec<Vec<u32>>,
    /// Which session holds `\Recent` for a message of the test mailbox.
    recent: HashMap<u32, usize>,
    /// Messages stored `\Recent` (added while nobody had the mailbox
    /// selected), for the next read-write SELECT to claim.
    stored_recent: Vec<u32>,
    /// Sessions with the test mailbox selected, longest-selected first
    /// (the hub gives `\Recent` to the first).
    order: Vec<usize>,
    views: Vec<View>,
    /// Messages made so far (for distinct subjects).
    made: u32,
    /// Queues overflow: which session gets `\\Recent` depends on queue
    /// fill, so only "at most one" is checked.
    lenient_recent: bool,
}

impl Model {
    /// A fresh subject.
    fn subject(&mut self) -> String {
        self.made += 1;
        format!("message {}", self.made)
    }

    /// Records the test mailbox's state after a change; wakes idlers.
    fn changed(&mut self) {
        let uids: Vec<u32> = self.test.messages.iter().map(|m| m.0).collect();
        if self.history.last() != Some(&uids) {
            self.history.push(uids);
        }
        for v in &mut self.views {
            v.woken = true;
        }
    }

    /// New messages in the test mailbox: `\Recent` for the longest
    /// selected session, or stored when there is none.
    fn added(&mut self, uids: &[u32]) {
        for &u in uids {
            match self.order.first() {
                Some(&s) => {
                    self.recent.insert(u, s);
                }
                None => self.stored_recent.push(u),
            }
        }
    }
}

/// What a command context lets the server say (RFC 3501 §7.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// FETCH, STORE, SEARCH, COPY (and UID forms): no EXPUNGE.
    NoExpunge,
    /// NOOP, CHECK, EXPUNGE, MOVE, APPEND, IDLE: everything, so the view
    /// must be current afterwards.
    All,
    /// Like `All`, but the caller checks currency once the model knows
    /// the command's outcome (APPEND: the new UID).
    AllLater,
}

/// One FETCH response's items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fetched {
    seq: u32,
    uid: Option<u32>,
    /// Flags and `\Recent`.
    flags: Option<(Flags, bool)>,
    size: Option<u32>,
    text: Option<String>,
}

/// What one command's responses said, besides the view changes.
#[derive(Debug, Default)]
struct Said {
    fetches: Vec<Fetched>,
    search: Option<Vec<u32>>,
    status: Option<String>,
    code: Option<String>,
    untagged_codes: Vec<String>,
    continued: bool,
    /// Every line, as sent.
    lines: Vec<String>,
    /// The session was closed with `* BYE`.
    bye: bool,
}

/// Replays `out` onto `view` the way a client does; checks each line
/// against what the view already knows and what `ctx` allows.
fn replay(view: &mut View, out: &[String], ctx: Ctx) -> Result<Said, TestCaseError> {
    let mut said = Said {
        lines: out.to_vec(),
        ..Said::default()
    };
    for line in out {
        let parsed = parse_line(line).map_err(TestCaseError::fail)?;
        let len = view.slots.len() as u32;
        match parsed {
            Line::Expunge(n) => {
                prop_assert!(
                    ctx != Ctx::NoExpunge,
                    "EXPUNGE sent where RFC 3501 forbids it: {:?}",
                    out
                );
                prop_assert!(n >= 1 && n <= len, "* {} EXPUNGE of {} messages", n, len);
                view.slots.remove(n as usize - 1);
            }
            Line::Exists(n) => {
                prop_assert!(n >= len, "EXISTS shrank the mailbox: {} < {}", n, len);
                view.slots.resize(n as usize, Slot::default());
            }
            Line::Recent(_) | Line::Other => {}
            Line::Fetch(fetched) => {
                let Fetched {
                    seq, uid, flags, ..
                } = fetched.clone();
                prop_assert!(
                    seq >= 1 && seq <= len,
                    "* {} FETCH of {} messages",
                    seq,
                    len
                );
                let slot = &mut view.slots[seq as usize - 1];
                if let Some(u) = uid {
                    prop_assert!(
                        slot.uid.is_none_or(|k| k == u),
                        "* {} FETCH says UID {}, the client knows UID {:?}: {:?}",
                        seq,
                        u,
                        slot.uid,
                        out
                    );
                    slot.uid = Some(u);
                }
                if let Some((f, r)) = flags {
                    slot.flags = Some(f);
                    slot.recent = Some(r);
                }
                said.fetches.push(fetched);
            }
            Line::Search(ids) => said.search = Some(ids),
            Line::UntaggedOk(code) => said.untagged_codes.extend(code),
            Line::Continue => said.continued = true,
            Line::Bye => said.bye = true,
            Line::Tagged { status, code } => {
                said.status = Some(status);
                said.code = code;
            }
        }
    }
    Ok(said)
}

// ---- the harness --------------------------------------------------------------

/// Sessions that survive from case to case (logging in costs an Argon2
/// verification), each case selecting fresh mailboxes.
struct Harness {
    env: Env,
    rt: tokio::runtime::Runtime,
    user: UserId,
    pool: RefCell<Vec<Session>>,
    cases: RefCell<u32>,
    stats: RefCell<Stats>,
    /// Session queues are tiny: sessions are resynchronised or closed.
    overflow: bool,
    /// Further instances on the same PostgreSQL database: new sessions go
    /// to each engine in turn (the backend's changes go through the first).
    others: Vec<Arc<Engine>>,
    /// Sessions made so far (for the turn).
    made: std::cell::Cell<usize>,
    _blob_dir: Option<tempfile::TempDir>,
}

/// What the cases exercised, printed at the end (so that a change that
/// makes the test vacuous shows).
#[derive(Debug, Default)]
struct Stats {
    steps: u64,
    lines: u64,
    expunges_told: u64,
    expunges_held: u64,
    exists: u64,
    fetches: u64,
    bad: u64,
    byes: u64,
}

impl Stats {
    fn tally(&mut self, out: &[String]) {
        for l in out {
            self.lines += 1;
            if l.ends_with(" EXPUNGE") {
                self.expunges_told += 1;
            } else if l.ends_with(" EXISTS") {
                self.exists += 1;
            } else if l.contains(" FETCH (") {
                self.fetches += 1;
            } else if l.contains(" OK [EXPUNGEISSUED]") {
                self.expunges_held += 1;
            } else if l.contains(" BAD ") {
                self.bad += 1;
            } else if l.starts_with("* BYE") {
                self.byes += 1;
            }
        }
    }
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
        Harness {
            env,
            rt,
            user,
            pool: RefCell::new(Vec::new()),
            cases: RefCell::new(0),
            stats: RefCell::new(Stats::default()),
            overflow: false,
            others: Vec::new(),
            made: std::cell::Cell::new(0),
            _blob_dir: None,
        }
    }

    /// SQLite with session queues of `capacity` updates.
    fn sqlite_overflowing(capacity: usize) -> Harness {
        let mut h = Harness::sqlite();
        let store = h.env.store.clone();
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = Arc::new(PackBlobStore::open(dir.path().join("blobs")).expect("blobs"));
        let connector: Arc<dyn Connector> = Arc::new(LocalConnector::new(store.clone()));
        h.env.engine = Engine::new(connector, store, blobs, capacity);
        h.overflow = true;
        h._blob_dir = Some(dir);
        h
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
    /// other's changes; sessions alternate between them. Which session of
    /// all gets a new message's `\Recent` is then up to the instances (the
    /// writer's, when it has a session to give it to), so only "at most
    /// one" is checked for it.
    fn postgres_two_instances() -> Option<Harness> {
        let env = Env::postgres()?;
        let second = env.second_instance().expect("PostgreSQL");
        let mut h = Harness::new(env);
        for engine in [&h.env.engine, &second] {
            let _guard = h.rt.enter();
            engine
                .follow_other_instances()
                .expect("listening")
                .expect("a change feed on PostgreSQL");
        }
        h.others.push(second);
        Some(h)
    }

    /// The engine of the next new session: each instance in turn.
    fn next_engine(&self) -> Arc<Engine> {
        let n = self.made.get();
        self.made.set(n + 1);
        match n % (1 + self.others.len()) {
            0 => self.env.engine.clone(),
            i => self.others[i - 1].clone(),
        }
    }

    /// `n` logged-in sessions with nothing selected.
    fn sessions(&self, n: usize) -> Vec<Session> {
        let mut pool = self.pool.borrow_mut();
        let mut out = Vec::new();
        while out.len() < n {
            let mut s = pool.pop().unwrap_or_else(|| {
                let mut s = Session::new(self.next_engine());
                let r = self
                    .rt
                    .block_on(exec(&mut s, &format!("l LOGIN {USER} pw")));
                assert_eq!(r, ["l OK LOGIN completed"]);
                s
            });
            let mut sink: Vec<Output> = Vec::new();
            s.idle_done(&mut sink);
            if s.state() == hadron_state::session::State::Logout {
                continue;
            }
            let r = self.rt.block_on(exec(&mut s, "u UNSELECT"));
            assert!(r.last().is_some_and(|l| l.starts_with("u ")), "{r:?}");
            out.push(s);
        }
        out
    }

    fn give_back(&self, sessions: Vec<Session>) {
        self.pool.borrow_mut().extend(sessions);
    }

    /// Runs `1 / share` of the configured number of cases.
    fn run(&self, share: u32) {
        let base = ProptestConfig::default();
        let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
            base.cases
        } else {
            DEFAULT_CASES
        } / share;
        let config = ProptestConfig {
            cases,
            source_file: Some(file!()),
            max_shrink_iters: 2048,
            ..base
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&scenario(), |(n, initial, steps)| {
            let mut sessions = self.sessions(n + 1);
            let r = self.case(&mut sessions, initial, &steps);
            self.give_back(sessions);
            r
        });
        eprintln!("session model: {:?}", self.stats.borrow());
        if let Err(e) = result {
            panic!("{e}");
        }
    }

    fn store_truth(&self, id: MailboxId) -> Vec<(u32, Flags)> {
        let store = &self.env.store;
        let names = store.keywords(id).expect("keywords");
        let rows = store.fetch_flags(id, &UidSet::all()).expect("fetch_flags");
        rows.iter()
            .map(|m| (m.uid, store_flags(m, &names)))
            .collect()
    }

    async fn backend(&self, update: BackendUpdate) -> Applied {
        backend(&self.env.engine, update).await
    }

    /// One case: `sessions[..n]` on the test mailbox, `sessions[n]` the
    /// helper on the other one.
    fn case(
        &self,
        sessions: &mut [Session],
        initial: usize,
        steps: &[Step],
    ) -> Result<(), TestCaseError> {
        let case = {
            let mut c = self.cases.borrow_mut();
            *c += 1;
            *c
        };
        self.rt.block_on(async {
            let n = sessions.len() - 1;
            let mut m = Model::default();
            for (mb, name) in [
                (&mut m.test, format!("T{case}")),
                (&mut m.other, format!("O{case}")),
            ] {
                let info = self
                    .env
                    .store
                    .create_mailbox(self.user, &name, None)
                    .expect("create");
                mb.id = Some(info.id);
                mb.name = name;
            }
            m.views = (0..n).map(|_| View::default()).collect();
            m.lenient_recent = self.overflow || !self.others.is_empty();
            // Initial messages from the backend, before anyone selects:
            // stored \Recent, claimed by the first SELECT.
            if initial > 0 {
                let messages = (0..initial)
                    .map(|i| IncomingMessage {
                        raw: message(&format!("initial {i}")).into_bytes(),
                        flags: FlagSet::default(),
                        internal_date: 0,
                    })
                    .collect();
                let uids = match self
                    .backend(BackendUpdate::MessagesCreated {
                        user: USER.into(),
                        mailbox: m.test.name.clone(),
                        messages,
                    })
                    .await
                {
                    Applied::Uids(u) => u,
                    other => panic!("{other:?}"),
                };
                let subjects: Vec<String> = (0..initial).map(|i| format!("initial {i}")).collect();
                m.test
                    .add(&uids, &vec![Flags::default(); uids.len()], &subjects)?;
                m.added(&uids);
            }
            m.history
                .push(m.test.messages.iter().map(|x| x.0).collect());
            let r = exec(&mut sessions[n], &format!("s SELECT {}", m.other.name)).await;
            prop_assert_eq!(
                r.last().map(String::as_str),
                Some("s OK [READ-WRITE] SELECT completed")
            );
            for s in 0..n {
                self.select(&mut m, sessions, s).await?;
            }
            self.check(&mut m, sessions)?;
            for (i, step) in steps.iter().enumerate() {
                self.stats.borrow_mut().steps += 1;
                self.step(&mut m, sessions, step)
                    .await
                    .map_err(|e| TestCaseError::fail(format!("step {i} {step:?}: {e}")))?;
                self.check(&mut m, sessions)
                    .map_err(|e| TestCaseError::fail(format!("after step {i} {step:?}: {e}")))?;
            }
            // The end: everyone catches up and must see the truth exactly.
            for s in 0..n {
                // A session closed with BYE reconnects and tries again.
                loop {
                    self.reconnect(&mut m, sessions).await?;
                    if m.views[s].idling {
                        self.idle_done(&mut m, sessions, s)?;
                    }
                    let noop = self
                        .command(&mut m, sessions, s, "n NOOP", Ctx::All)
                        .await?;
                    if noop.bye {
                        continue;
                    }
                    let line = "f FETCH 1:* (UID FLAGS)";
                    let said = self
                        .command(&mut m, sessions, s, line, Ctx::NoExpunge)
                        .await?;
                    if !said.bye {
                        break;
                    }
                }
                let view: Vec<(Option<u32>, Option<Flags>)> =
                    m.views[s].slots.iter().map(|x| (x.uid, x.flags)).collect();
                let truth: Vec<(Option<u32>, Option<Flags>)> = m
                    .test
                    .messages
                    .iter()
                    .map(|x| (Some(x.0), Some(x.1)))
                    .collect();
                prop_assert_eq!(view, truth, "session {} at the end", s);
            }
            self.check(&mut m, sessions)?;
            Ok(())
        })
    }

    /// SELECT of the test mailbox by session `s` (first time or again).
    async fn select(
        &self,
        m: &mut Model,
        sessions: &mut [Session],
        s: usize,
    ) -> Result<(), TestCaseError> {
        if m.views[s].idling {
            self.idle_done(m, sessions, s)?;
        }
        // Leaving ends this session's \Recent.
        m.order.retain(|&x| x != s);
        m.recent.retain(|_, owner| *owner != s);
        let read_only = m.views[s].read_only;
        let verb = if read_only { "EXAMINE" } else { "SELECT" };
        let r = exec(&mut sessions[s], &format!("s {verb} {}", m.test.name)).await;
        let mut exists = None;
        let mut recent = None;
        let mut uidnext = None;
        for l in &r {
            if let Some(n) = l.strip_prefix("* ").and_then(|x| x.strip_suffix(" EXISTS")) {
                exists = Some(number(n).map_err(TestCaseError::fail)?);
            }
            if let Some(n) = l.strip_prefix("* ").and_then(|x| x.strip_suffix(" RECENT")) {
                recent = Some(number(n).map_err(TestCaseError::fail)?);
            }
            if let Some(c) = l.strip_prefix("* OK ").and_then(code_of)
                && let Some(n) = c.strip_prefix("UIDNEXT ")
            {
                uidnext = Some(number(n).map_err(TestCaseError::fail)?);
            }
        }
        let done = if read_only {
            "s OK [READ-ONLY] EXAMINE completed"
        } else {
            "s OK [READ-WRITE] SELECT completed"
        };
        prop_assert_eq!(r.last().map(String::as_str), Some(done));
        let truth_len = m.test.messages.len() as u32;
        prop_assert_eq!(exists, Some(truth_len), "SELECT EXISTS: {:?}", r);
        // Only session 0 may claim stored \Recent, at its first SELECT
        // (read-write sessions are selected from then on).
        prop_assert!(read_only || s == 0 || m.stored_recent.is_empty());
        let claimed = std::mem::take(&mut m.stored_recent);
        prop_assert_eq!(recent, Some(claimed.len() as u32), "SELECT RECENT: {:?}", r);
        for u in claimed {
            m.recent.insert(u, s);
        }
        prop_assert!(
            uidnext.is_some_and(|u| u > m.test.max_uid),
            "UIDNEXT {:?} not above UID {}",
            uidnext,
            m.test.max_uid
        );
        if !read_only {
            // EXAMINE is never given \Recent (RFC 3501 §6.3.2).
            m.order.push(s);
        }
        let v = &mut m.views[s];
        v.slots = vec![Slot::default(); truth_len as usize];
        v.version = m.history.len() - 1;
        v.woken = false;
        Ok(())
    }

    /// Runs `line` on session `s`, replays the answer, checks it ended
    /// with a tagged response.
    async fn command(
        &self,
        m: &mut Model,
        sessions: &mut [Session],
        s: usize,
        line: &str,
        ctx: Ctx,
    ) -> Result<Said, TestCaseError> {
        if m.views[s].idling {
            self.idle_done(m, sessions, s)?;
        }
        let out = exec(&mut sessions[s], line).await;
        self.stats.borrow_mut().tally(&out);
        let said = replay(&mut m.views[s], &out, ctx)
            .map_err(|e| TestCaseError::fail(format!("{line:?} → {out:?}: {e}")))?;
        if said.bye {
            self.closed(m, s, &out)?;
            return Ok(said);
        }
        prop_assert!(
            said.status.is_some(),
            "{:?} → {:?}: no tagged response",
            line,
            out
        );
        m.views[s].woken = false;
        m.views[s].told = said.status.as_deref() == Some("OK");
        if ctx == Ctx::All && said.status.as_deref() == Some("OK") {
            current(m, s).map_err(|e| TestCaseError::fail(format!("{line:?} → {out:?}: {e}")))?;
        }
        Ok(said)
    }

    fn idle_done(
        &self,
        m: &mut Model,
        sessions: &mut [Session],
        s: usize,
    ) -> Result<(), TestCaseError> {
        let mut out: Vec<Output> = Vec::new();
        sessions[s].idle_done(&mut out);
        let out = lines(&out);
        self.stats.borrow_mut().tally(&out);
        let said = replay(&mut m.views[s], &out, Ctx::All)?;
        if said.bye {
            return self.closed(m, s, &out);
        }
        prop_assert_eq!(said.status.as_deref(), Some("OK"), "DONE → {:?}", out);
        prop_assert!(!sessions[s].is_idling());
        m.views[s].idling = false;
        m.views[s].woken = false;
        current(m, s).map_err(|e| TestCaseError::fail(format!("DONE → {out:?}: {e}")))
    }

    /// Session `s` was closed with `* BYE` (only when queues overflow).
    fn closed(&self, m: &mut Model, s: usize, out: &[String]) -> Result<(), TestCaseError> {
        prop_assert!(self.overflow, "unexpected BYE: {:?}", out);
        let v = &mut m.views[s];
        v.closed = true;
        v.idling = false;
        v.told = false;
        Ok(())
    }

    /// Closed sessions reconnect: LOGIN and SELECT (or EXAMINE) again.
    async fn reconnect(
        &self,
        m: &mut Model,
        sessions: &mut [Session],
    ) -> Result<(), TestCaseError> {
        for s in 0..m.views.len() {
            if !m.views[s].closed {
                continue;
            }
            let mut fresh = Session::new(self.next_engine());
            let r = exec(&mut fresh, &format!("l LOGIN {USER} pw")).await;
            prop_assert_eq!(r, ["l OK LOGIN completed"]);
            sessions[s] = fresh;
            m.views[s].closed = false;
            self.select(m, sessions, s).await?;
        }
        Ok(())
    }

    /// Replaces the helper session (closed with `* BYE`).
    async fn new_helper(&self, m: &Model, sessions: &mut [Session]) -> Result<(), TestCaseError> {
        let mut fresh = Session::new(self.next_engine());
        let r = exec(&mut fresh, &format!("l LOGIN {USER} pw")).await;
        prop_assert_eq!(r, ["l OK LOGIN completed"]);
        let r = exec(&mut fresh, &format!("s SELECT {}", m.other.name)).await;
        prop_assert_eq!(
            r.last().map(String::as_str),
            Some("s OK [READ-WRITE] SELECT completed")
        );
        sessions[m.views.len()] = fresh;
        Ok(())
    }

    /// The UIDs of `mailbox` above `above` (new messages whose APPENDUID or
    /// COPYUID was lost with a `* BYE`).
    fn uids_above(&self, mailbox: MailboxId, above: u32) -> Vec<u32> {
        self.store_truth(mailbox)
            .into_iter()
            .map(|x| x.0)
            .filter(|&u| u > above)
            .collect()
    }

    /// Idling sessions are woken by changes and told at once.
    fn poll_idlers(&self, m: &mut Model, sessions: &mut [Session]) -> Result<(), TestCaseError> {
        for (s, session) in sessions.iter_mut().enumerate().take(m.views.len()) {
            if !m.views[s].idling {
                continue;
            }
            if m.views[s].woken {
                let mut wait = std::pin::pin!(session.wait_for_updates());
                let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                prop_assert!(
                    wait.as_mut().poll(&mut cx).is_ready(),
                    "idling session {} was not woken",
                    s
                );
            }
            let mut out: Vec<Output> = Vec::new();
            session.idle_poll(&mut out);
            let out = lines(&out);
            self.stats.borrow_mut().tally(&out);
            let said = replay(&mut m.views[s], &out, Ctx::All)?;
            if said.bye {
                self.closed(m, s, &out)?;
                continue;
            }
            prop_assert!(
                said.status.is_none(),
                "IDLE poll wrote a tagged response: {:?}",
                out
            );
            m.views[s].woken = false;
            current(m, s).map_err(|e| TestCaseError::fail(format!("IDLE → {out:?}: {e}")))?;
        }
        Ok(())
    }

    async fn step(
        &self,
        m: &mut Model,
        sessions: &mut [Session],
        step: &Step,
    ) -> Result<(), TestCaseError> {
        self.reconnect(m, sessions).await?;
        if !self.others.is_empty() {
            // Across instances, commands other than NOOP, CHECK and IDLE
            // report what the change feed has delivered, tens of
            // milliseconds after the commit (benchmarked, not modelled):
            // make every earlier step's wake-up arrive before this one.
            for session in sessions.iter() {
                session.catch_up().await;
            }
        }
        self.step_body(m, sessions, step).await?;
        for s in 0..m.views.len() {
            if std::mem::take(&mut m.views[s].told) && !m.views[s].closed {
                fresh(m, s)?;
            }
        }
        if !self.others.is_empty() {
            // Across instances a change reaches idlers when the change
            // feed's wake-up arrives (its latency is benchmarked, not
            // modelled): make it arrive now.
            for (s, session) in sessions.iter().enumerate().take(m.views.len()) {
                if m.views[s].idling {
                    session.catch_up().await;
                }
            }
        }
        self.poll_idlers(m, sessions)?;
        self.reconnect(m, sessions).await
    }

    async fn step_body(
        &self,
        m: &mut Model,
        sessions: &mut [Session],
        step: &Step,
    ) -> Result<(), TestCaseError> {
        if let Some(s) = step.actor()
            && m.views[s].idling
            && !matches!(step, Step::Idle { .. })
        {
            self.idle_done(m, sessions, s)?;
        }
        match *step {
            Step::Append { by, flags, other } => {
                let subject = m.subject();
                let name = if other { &m.other.name } else { &m.test.name };
                let raw = message(&subject);
                let line = format!(
                    "a APPEND {name} {} {{{}}}\r\n{raw}",
                    flags.list(),
                    raw.len()
                );
                let mb = if other { &m.other } else { &m.test };
                let (id, max) = (mb.id.expect("created"), mb.max_uid);
                let said = self.command(m, sessions, by, &line, Ctx::AllLater).await?;
                let uids = if said.bye {
                    self.uids_above(id, max)
                } else {
                    prop_assert_eq!(said.status.as_deref(), Some("OK"));
                    appenduid(said.code.as_deref().unwrap_or_default())
                        .map_err(TestCaseError::fail)?
                };
                prop_assert_eq!(uids.len(), 1);
                if other {
                    m.other.add(&uids, &[flags], &[subject])?;
                } else {
                    m.test.add(&uids, &[flags], &[subject])?;
                    m.added(&uids);
                    m.changed();
                }
                // APPEND to the selected mailbox tells everything.
                if !said.bye {
                    m.views[by].woken = false;
                    current(m, by)?;
                }
            }
            Step::Store {
                by,
                set,
                uid,
                mode,
                flags,
                silent,
            } => {
                let (text, targets, bad) = render(snapshot(sessions, by), m.test.max_uid, set, uid);
                let line = format!(
                    "s {}STORE {text} {}FLAGS{} {}",
                    if uid { "UID " } else { "" },
                    match mode {
                        Mode::Add => "+",
                        Mode::Remove => "-",
                        Mode::Replace => "",
                    },
                    if silent { ".SILENT" } else { "" },
                    flags.list()
                );
                let said = self.command(m, sessions, by, &line, Ctx::NoExpunge).await?;
                if m.views[by].read_only {
                    return read_only_refused(&said, &line);
                }
                if expect_bad(&said, bad, &line)? {
                    return Ok(());
                }
                let mut changed = false;
                for &(_, u) in &targets {
                    if let Some(f) = m.test.flags(u) {
                        let new = f.apply(mode, flags);
                        changed |= new != f;
                        m.test.set(u, new);
                    }
                }
                if changed {
                    m.changed();
                }
                if said.bye {
                    return Ok(());
                }
                m.views[by].woken = false;
                let view = &mut m.views[by];
                if silent {
                    // The client applies its own change.
                    for &(seq, u) in &targets {
                        if m.test.alive(u) {
                            let slot = &mut view.slots[seq as usize - 1];
                            slot.flags = match (slot.flags, mode) {
                                (Some(f), _) => Some(f.apply(mode, flags)),
                                (None, Mode::Replace) => Some(flags),
                                (None, _) => None,
                            };
                        }
                    }
                } else {
                    let want = Want {
                        uid,
                        flags: true,
                        ..Want::default()
                    };
                    answered(m, &said, &targets, want, &line)?;
                }
                issued(m, sessions, by, &said, &line)?;
            }
            Step::Expunge { by, uid_set } => {
                let (line, only) = match uid_set {
                    None => ("e EXPUNGE".to_owned(), None),
                    Some(p) => {
                        let (text, set) = explicit_uids(m, by, p);
                        (format!("e UID EXPUNGE {text}"), Some(set))
                    }
                };
                if m.views[by].read_only {
                    let said = self.command(m, sessions, by, &line, Ctx::NoExpunge).await?;
                    return read_only_refused(&said, &line);
                }
                let before = (m.test.messages.clone(), m.history.len());
                // RFC 3501 §6.4.3 / RFC 4315 §2.1: every message of the
                // mailbox with \Deleted (and a UID in the set).
                let gone: Vec<u32> = m
                    .test
                    .messages
                    .iter()
                    .filter(|(u, f)| {
                        f.system & DELETED != 0 && only.as_ref().is_none_or(|o| o.contains(u))
                    })
                    .map(|x| x.0)
                    .collect();
                m.test.remove(&gone);
                if !gone.is_empty() {
                    m.changed();
                }
                let said = self.command(m, sessions, by, &line, Ctx::All).await?;
                if said.bye {
                    // Closed by the delivery that precedes the expunge:
                    // nothing was expunged.
                    m.test.messages = before.0;
                    m.history.truncate(before.1);
                    return Ok(());
                }
                prop_assert_eq!(said.status.as_deref(), Some("OK"), "{}", line);
            }
            Step::Copy {
                by,
                set,
                uid,
                is_move,
                to_self,
            } => {
                let (text, targets, bad) = render(snapshot(sessions, by), m.test.max_uid, set, uid);
                let line = format!(
                    "c {}{} {text} {}",
                    if uid { "UID " } else { "" },
                    if is_move { "MOVE" } else { "COPY" },
                    if to_self { &m.test.name } else { &m.other.name }
                );
                let copied: Vec<u32> = targets
                    .iter()
                    .map(|t| t.1)
                    .filter(|&u| m.test.alive(u))
                    .collect();
                let flags: Vec<Flags> = copied.iter().filter_map(|&u| m.test.flags(u)).collect();
                if is_move && m.views[by].read_only {
                    let said = self.command(m, sessions, by, &line, Ctx::NoExpunge).await?;
                    return read_only_refused(&said, &line);
                }
                if is_move && !bad && !to_self {
                    m.test.remove(&copied);
                    if !copied.is_empty() {
                        m.changed();
                    }
                }
                let ctx = match (is_move, to_self) {
                    (true, false) => Ctx::All,
                    (true, true) => Ctx::AllLater,
                    (false, _) => Ctx::NoExpunge,
                };
                let target = if to_self { &m.test } else { &m.other };
                let (target_id, target_max) = (target.id.expect("created"), target.max_uid);
                let said = self.command(m, sessions, by, &line, ctx).await?;
                if expect_bad(&said, bad, &line)? {
                    return Ok(());
                }
                prop_assert!(said.bye || said.status.as_deref() == Some("OK"), "{}", line);
                let code = if is_move {
                    said.untagged_codes
                        .iter()
                        .find(|c| c.starts_with("COPYUID"))
                        .cloned()
                } else {
                    said.code.clone().filter(|c| c.starts_with("COPYUID"))
                };
                let uid_map = match code {
                    Some(code) => Some(copyuid(&code).map_err(TestCaseError::fail)?),
                    // COPYUID was in the tagged OK the BYE replaced.
                    None if said.bye && !copied.is_empty() => {
                        Some((copied.clone(), self.uids_above(target_id, target_max)))
                    }
                    None => None,
                };
                match uid_map {
                    Some((src, dst)) => {
                        prop_assert_eq!(&src, &copied, "{}: COPYUID source", line);
                        let subjects: Vec<String> =
                            copied.iter().map(|u| m.test.subjects[u].clone()).collect();
                        if to_self {
                            // The copies are published first, then (MOVE)
                            // the expunge of the originals.
                            m.test.add(&dst, &flags, &subjects)?;
                            m.added(&dst);
                            m.changed();
                            if is_move {
                                m.test.remove(&copied);
                                m.changed();
                            }
                        } else {
                            m.other.add(&dst, &flags, &subjects)?;
                        }
                    }
                    None => prop_assert!(copied.is_empty(), "{}: no COPYUID", line),
                }
                if said.bye {
                } else if !is_move {
                    issued(m, sessions, by, &said, &line)?;
                } else if to_self {
                    current(m, by)?;
                }
            }
            Step::Back { pick, is_move } => {
                if m.other.messages.is_empty() {
                    return Ok(());
                }
                let (u, f) = m.other.messages[pick % m.other.messages.len()];
                let helper = m.views.len();
                let r = exec(&mut sessions[helper], "n NOOP").await;
                if r.iter().any(|l| l.starts_with("* BYE")) {
                    prop_assert!(self.overflow, "helper: {:?}", r);
                    self.new_helper(m, sessions).await?;
                } else {
                    prop_assert_eq!(r.last().map(String::as_str), Some("n OK NOOP completed"));
                }
                let verb = if is_move { "MOVE" } else { "COPY" };
                let line = format!("b UID {verb} {u} {}", m.test.name);
                let t_max = m.test.max_uid;
                let r = exec(&mut sessions[helper], &line).await;
                let bye = r.iter().any(|l| l.starts_with("* BYE"));
                let code = r
                    .iter()
                    .filter_map(|l| {
                        l.strip_prefix("* OK ")
                            .or_else(|| l.strip_prefix("b OK "))
                            .and_then(code_of)
                    })
                    .find(|c| c.starts_with("COPYUID"));
                let (src, dst) = match code {
                    None if bye => (vec![u], self.uids_above(m.test.id.expect("created"), t_max)),
                    _ => copyuid(code.as_deref().unwrap_or_default())
                        .map_err(|e| TestCaseError::fail(format!("{line} → {r:?}: {e}")))?,
                };
                if bye {
                    prop_assert!(self.overflow, "helper: {:?}", r);
                    self.new_helper(m, sessions).await?;
                }
                prop_assert_eq!(src, vec![u]);
                let subject = m.other.subjects[&u].clone();
                m.test.add(&dst, &[f], &[subject])?;
                m.added(&dst);
                if is_move {
                    m.other.remove(&[u]);
                }
                m.changed();
            }
            Step::Fetch {
                by,
                set,
                uid,
                items,
            } => {
                let (text, targets, bad) = render(snapshot(sessions, by), m.test.max_uid, set, uid);
                let what = [
                    "FLAGS",
                    "UID",
                    "(UID FLAGS)",
                    "(FLAGS RFC822.SIZE)",
                    "(UID RFC822.SIZE)",
                    "BODY[TEXT]",
                    "BODY.PEEK[TEXT]",
                ][items as usize];
                let line = format!("f {}FETCH {text} {what}", if uid { "UID " } else { "" });
                // BODY[TEXT] sets \Seen (RFC 3501 §6.4.5) on the messages
                // still there.
                let mut seen_now = Vec::new();
                if items == 5 && !bad && !m.views[by].read_only {
                    for &(_, u) in &targets {
                        if let Some(f) = m.test.flags(u)
                            && f.system & SEEN == 0
                        {
                            m.test.set(u, f.apply(Mode::Add, Flags::new(SEEN, 0)));
                            seen_now.push(u);
                        }
                    }
                    if !seen_now.is_empty() {
                        m.changed();
                    }
                }
                let said = self.command(m, sessions, by, &line, Ctx::NoExpunge).await?;
                if expect_bad(&said, bad, &line)? {
                    return Ok(());
                }
                if said.bye {
                    // Closed by the delivery before \Seen was stored.
                    for &u in &seen_now {
                        if let Some(f) = m.test.flags(u) {
                            m.test.set(u, f.apply(Mode::Remove, Flags::new(SEEN, 0)));
                        }
                    }
                    return Ok(());
                }
                let want = Want {
                    uid: uid || matches!(items, 1 | 2 | 4),
                    flags: matches!(items, 0 | 2 | 3),
                    size: matches!(items, 3 | 4),
                    text: matches!(items, 5 | 6),
                };
                answered(m, &said, &targets, want, &line)?;
                // The flags \Seen changed are told with the data.
                let told: Vec<(u32, u32)> = targets
                    .iter()
                    .copied()
                    .filter(|t| seen_now.contains(&t.1))
                    .collect();
                let want = Want {
                    flags: true,
                    ..Want::default()
                };
                answered(m, &said, &told, want, &line)?;
                issued(m, sessions, by, &said, &line)?;
            }
            Step::Search { by, uid, key } => {
                let (text, set) = match key {
                    SearchKey::All => ("ALL".to_owned(), None),
                    SearchKey::Seen => ("SEEN".to_owned(), None),
                    SearchKey::Unseen => ("UNSEEN".to_owned(), None),
                    SearchKey::Deleted => ("DELETED".to_owned(), None),
                    SearchKey::Uid(p) => {
                        let (text, set) = explicit_uids(m, by, p);
                        (format!("UID {text}"), Some(set))
                    }
                };
                let line = format!("q {}SEARCH {text}", if uid { "UID " } else { "" });
                let said = self.command(m, sessions, by, &line, Ctx::NoExpunge).await?;
                if said.bye {
                    return Ok(());
                }
                prop_assert_eq!(said.status.as_deref(), Some("OK"), "{}", line);
                // What the client expects from what it knows (for messages
                // whose flags it was not told, the session's own numbers).
                let snap = sessions[by].snapshot().expect("selected");
                let mut expected = Vec::new();
                for (i, slot) in m.views[by].slots.iter().enumerate() {
                    let seq = i as u32 + 1;
                    let u = slot.uid.or(snap.uid(seq)).expect("in snapshot");
                    let f = slot
                        .flags
                        .or_else(|| m.test.flags(u))
                        .or_else(|| snap.flags(seq).map(|f| Flags::of_set(&f)))
                        .expect("flags");
                    let hit = match key {
                        SearchKey::All => true,
                        SearchKey::Seen => f.system & SEEN != 0,
                        SearchKey::Unseen => f.system & SEEN == 0,
                        SearchKey::Deleted => f.system & DELETED != 0,
                        SearchKey::Uid(_) => set.as_ref().is_some_and(|s| s.contains(&u)),
                    };
                    if hit {
                        expected.push(if uid { u } else { seq });
                    }
                }
                prop_assert_eq!(said.search.as_ref(), Some(&expected), "{}", line);
                issued(m, sessions, by, &said, &line)?;
            }
            Step::Noop { by, check } => {
                let line = if check { "n CHECK" } else { "n NOOP" };
                let said = self.command(m, sessions, by, line, Ctx::All).await?;
                prop_assert_eq!(said.code, None);
            }
            Step::Idle { by } => {
                if m.views[by].idling {
                    self.idle_done(m, sessions, by)?;
                } else {
                    let out = exec(&mut sessions[by], "i IDLE").await;
                    let said = replay(&mut m.views[by], &out, Ctx::All)?;
                    if said.bye {
                        return self.closed(m, by, &out);
                    }
                    prop_assert!(said.continued && said.status.is_none(), "IDLE → {:?}", out);
                    prop_assert!(sessions[by].is_idling());
                    m.views[by].idling = true;
                    m.views[by].woken = false;
                    current(m, by)?;
                }
            }
            Step::Reselect { by, examine } => {
                m.views[by].read_only = examine && by != 0;
                self.select(m, sessions, by).await?
            }
            Step::Close { by, expunge } => {
                let line = if expunge { "c CLOSE" } else { "c UNSELECT" };
                if expunge && !m.views[by].read_only {
                    // RFC 3501 §6.4.2: every \Deleted message, silently.
                    let gone: Vec<u32> = m
                        .test
                        .messages
                        .iter()
                        .filter(|(_, f)| f.system & DELETED != 0)
                        .map(|x| x.0)
                        .collect();
                    if !gone.is_empty() {
                        m.test.remove(&gone);
                        m.changed();
                    }
                }
                let out = exec(&mut sessions[by], line).await;
                self.stats.borrow_mut().tally(&out);
                let done = if expunge {
                    "c OK CLOSE completed"
                } else {
                    "c OK UNSELECT completed"
                };
                prop_assert_eq!(&out, &[done], "{}", line);
                self.select(m, sessions, by).await?;
            }
            Step::Status { by, other } => {
                let mb = if other { &m.other } else { &m.test };
                let line = format!("t STATUS {} (MESSAGES UIDNEXT UNSEEN)", mb.name);
                let expected_prefix = format!("* STATUS {} (", mb.name);
                let (messages, unseen, max_uid) = (
                    mb.messages.len() as u32,
                    mb.messages
                        .iter()
                        .filter(|x| x.1.system & SEEN == 0)
                        .count() as u32,
                    mb.max_uid,
                );
                let said = self.command(m, sessions, by, &line, Ctx::All).await?;
                if said.bye {
                    return Ok(());
                }
                prop_assert_eq!(said.status.as_deref(), Some("OK"), "{}", line);
                let status = said
                    .lines
                    .iter()
                    .find_map(|l| l.strip_prefix(&expected_prefix))
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| TestCaseError::fail(format!("{line} → {:?}", said.lines)))?;
                let items: Vec<&str> = status.split(' ').collect();
                let value = |name: &str| -> Option<u32> {
                    let i = items.iter().position(|x| *x == name)?;
                    items.get(i + 1)?.parse().ok()
                };
                prop_assert_eq!(value("MESSAGES"), Some(messages), "{}: {}", line, status);
                prop_assert_eq!(value("UNSEEN"), Some(unseen), "{}: {}", line, status);
                prop_assert!(
                    value("UIDNEXT").is_some_and(|u| u > max_uid),
                    "{}: {} (highest UID {})",
                    line,
                    status,
                    max_uid
                );
            }
            Step::BackendAdd { flags } => {
                let subject = m.subject();
                let applied = self
                    .backend(BackendUpdate::MessagesCreated {
                        user: USER.into(),
                        mailbox: m.test.name.clone(),
                        messages: vec![IncomingMessage {
                            raw: message(&subject).into_bytes(),
                            flags: flags.flag_set(),
                            internal_date: 0,
                        }],
                    })
                    .await;
                let Applied::Uids(uids) = applied else {
                    return Err(TestCaseError::fail(format!("{applied:?}")));
                };
                m.test.add(&uids, &[flags], &[subject])?;
                m.added(&uids);
                m.changed();
            }
            Step::BackendFlags { pick, flags } => {
                if m.test.messages.is_empty() {
                    return Ok(());
                }
                let (u, old) = m.test.messages[pick % m.test.messages.len()];
                self.backend(BackendUpdate::FlagsChanged {
                    user: USER.into(),
                    mailbox: m.test.name.clone(),
                    uid: u,
                    flags: flags.flag_set(),
                })
                .await;
                m.test.set(u, flags);
                if old != flags {
                    m.changed();
                }
            }
            Step::BackendDelete { pick } => {
                if m.test.messages.is_empty() {
                    return Ok(());
                }
                let u = m.test.messages[pick % m.test.messages.len()].0;
                self.backend(BackendUpdate::MessagesDeleted {
                    user: USER.into(),
                    mailbox: m.test.name.clone(),
                    uids: vec![u],
                })
                .await;
                m.test.remove(&[u]);
                m.changed();
            }
        }
        Ok(())
    }

    /// The invariants that hold after every step, for every session.
    fn check(&self, m: &mut Model, sessions: &[Session]) -> Result<(), TestCaseError> {
        // The store agrees with the model.
        for mb in [&m.test, &m.other] {
            let stored = self.store_truth(mb.id.expect("created"));
            prop_assert_eq!(&stored, &mb.messages, "store vs model for {}", mb.name);
        }
        let mut recent_holders: HashMap<u32, Vec<usize>> = HashMap::new();
        for (s, view) in m.views.iter_mut().enumerate() {
            let snap = sessions[s].snapshot().expect("selected");
            // What the client was told is what the session goes by.
            prop_assert_eq!(view.slots.len() as u32, snap.len(), "session {} length", s);
            for (i, slot) in view.slots.iter().enumerate() {
                let msg = snap.get(i as u32 + 1).expect("in range");
                if let Some(u) = slot.uid {
                    prop_assert_eq!(u, msg.uid, "session {} seq {}: UID", s, i + 1);
                }
                if let Some(f) = slot.flags {
                    prop_assert_eq!(
                        f,
                        Flags::of_set(&msg.flags()),
                        "session {} seq {} (UID {}): flags",
                        s,
                        i + 1,
                        msg.uid
                    );
                }
                if let Some(r) = slot.recent {
                    prop_assert_eq!(r, msg.recent, "session {} seq {}: \\Recent", s, i + 1);
                }
                if msg.recent {
                    recent_holders.entry(msg.uid).or_default().push(s);
                    prop_assert!(
                        m.lenient_recent || m.recent.get(&msg.uid) == Some(&s),
                        "session {} has \\Recent on UID {}",
                        s,
                        msg.uid
                    );
                }
            }
            // A state the mailbox really had, not older than the last one
            // this session showed.
            let matches = |uids: &Vec<u32>| {
                uids.len() == view.slots.len()
                    && uids
                        .iter()
                        .zip(&view.slots)
                        .all(|(u, slot)| slot.uid.is_none_or(|k| k == *u))
            };
            let first = m.history[view.version..].iter().position(matches);
            prop_assert!(
                first.is_some(),
                "session {} shows {:?}, which the mailbox never had since {:?}",
                s,
                view.slots.iter().map(|x| x.uid).collect::<Vec<_>>(),
                m.history.get(view.version)
            );
            view.version += first.unwrap_or(0);
        }
        for (uid, holders) in recent_holders {
            prop_assert!(holders.len() <= 1, "UID {} recent in {:?}", uid, holders);
        }
        Ok(())
    }
}

fn snapshot(sessions: &[Session], s: usize) -> &Snapshot {
    sessions[s].snapshot().expect("selected")
}

/// After a command that may tell everything: the view is the truth.
fn current(m: &mut Model, s: usize) -> Result<(), TestCaseError> {
    let view = &mut m.views[s];
    let truth = &m.test.messages;
    prop_assert_eq!(
        view.slots.len(),
        truth.len(),
        "session {} not current: {:?} vs {:?}",
        s,
        view.slots,
        truth
    );
    for (slot, (u, f)) in view.slots.iter().zip(truth) {
        prop_assert!(
            slot.uid.is_none_or(|k| k == *u),
            "session {}: UID {:?} vs {}",
            s,
            slot.uid,
            u
        );
        prop_assert!(
            slot.flags.is_none_or(|k| k == *f),
            "session {} UID {}: flags {:?} vs {:?}",
            s,
            u,
            slot.flags,
            f
        );
        let owner = m.recent.get(u) == Some(&s);
        prop_assert!(
            m.lenient_recent || slot.recent.is_none_or(|r| r == owner),
            "session {} UID {}: \\Recent",
            s,
            u
        );
    }
    view.version = m.history.len() - 1;
    Ok(())
}

/// After a command that delivered updates: every message the client
/// knows and that is still in the mailbox has its current flags (flag
/// changes may be told during any command).
fn fresh(m: &Model, s: usize) -> Result<(), TestCaseError> {
    for slot in &m.views[s].slots {
        if let (Some(u), Some(f)) = (slot.uid, slot.flags)
            && let Some(truth) = m.test.flags(u)
        {
            prop_assert_eq!(f, truth, "session {} UID {}: stale flags", s, u);
        }
    }
    Ok(())
}

/// Renders a sequence set (or UID set) for a session; returns it, the
/// (seq, UID) pairs it names in the session's view, and whether a BAD is
/// expected (a sequence number past the end).
fn render(snap: &Snapshot, max_uid: u32, p: SetPick, uid: bool) -> (String, Vec<(u32, u32)>, bool) {
    let len = snap.len();
    let uids = snap.uids();
    if !uid {
        if len == 0 {
            return ("1".into(), Vec::new(), true);
        }
        let x = (p.a % len as usize) as u32 + 1;
        let y = (p.b % len as usize) as u32 + 1;
        let (text, seqs): (String, Vec<u32>) = match p.shape {
            0 | 1 => (x.to_string(), vec![x]),
            2 => (format!("{x}:{y}"), (x.min(y)..=x.max(y)).collect()),
            3 => (format!("{x}:*"), (x..=len).collect()),
            4 => ("1:*".into(), (1..=len).collect()),
            _ => return ((len + 1).to_string(), Vec::new(), true),
        };
        let pairs = seqs.iter().map(|&q| (q, uids[q as usize - 1])).collect();
        return (text, pairs, false);
    }
    // UIDs: known ones, ones the session never saw, or none at all.
    let max = max_uid.max(1);
    let pick = |k: usize| -> u32 {
        if !uids.is_empty() && !k.is_multiple_of(3) {
            uids[k / 3 % uids.len()]
        } else {
            (k % (max as usize + 3)) as u32 + 1
        }
    };
    let (x, y) = (pick(p.a), pick(p.b));
    let last = uids.last().copied();
    let (text, hit): (String, Box<dyn Fn(u32) -> bool>) = match p.shape {
        0 | 1 => (x.to_string(), Box::new(move |u| u == x)),
        2 | 5 => (
            format!("{x}:{y}"),
            Box::new(move |u| u >= x.min(y) && u <= x.max(y)),
        ),
        3 => (
            format!("{x}:*"),
            // RFC 3501 §6.4.8: `n:*` includes the highest UID even when n
            // is above it.
            Box::new(move |u| u >= x || Some(u) == last),
        ),
        _ => ("1:*".into(), Box::new(|_| true)),
    };
    let pairs = uids
        .iter()
        .enumerate()
        .filter(|(_, u)| hit(**u))
        .map(|(i, &u)| (i as u32 + 1, u))
        .collect();
    (text, pairs, false)
}

/// A UID set without `*` (UID EXPUNGE, SEARCH UID), for session `s`.
fn explicit_uids(m: &Model, s: usize, p: SetPick) -> (String, Vec<u32>) {
    let known: Vec<u32> = m.views[s].slots.iter().filter_map(|x| x.uid).collect();
    let max = m.test.max_uid as usize + 2;
    let pick = |k: usize| -> u32 {
        if !known.is_empty() && k.is_multiple_of(2) {
            known[k / 2 % known.len()]
        } else {
            (k % max) as u32 + 1
        }
    };
    let (x, y) = (pick(p.a), pick(p.b));
    if p.shape.is_multiple_of(2) {
        (x.to_string(), vec![x])
    } else {
        let (lo, hi) = (x.min(y), x.max(y));
        (format!("{lo}:{hi}"), (lo..=hi).collect())
    }
}

/// A change refused in a read-only (EXAMINE) session, with nothing else
/// said.
fn read_only_refused(said: &Said, line: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(said.status.as_deref(), Some("NO"), "{}", line);
    prop_assert_eq!(said.code.as_deref(), Some("READ-ONLY"), "{}", line);
    prop_assert_eq!(said.lines.len(), 1, "{}: {:?}", line, said.lines);
    Ok(())
}

/// Whether the command was (rightly) refused with BAD; a BAD says
/// nothing else.
fn expect_bad(said: &Said, bad: bool, line: &str) -> Result<bool, TestCaseError> {
    if said.bye {
        // Closed while delivering: the command was valid.
        prop_assert!(!bad, "{}: BYE instead of BAD", line);
        return Ok(false);
    }
    if bad {
        prop_assert_eq!(said.status.as_deref(), Some("BAD"), "{}", line);
        prop_assert!(said.fetches.is_empty(), "{}: BAD with data", line);
    } else {
        prop_assert_eq!(said.status.as_deref(), Some("OK"), "{}", line);
    }
    Ok(bad)
}

/// What a FETCH (or STORE) answer must carry for each message.
#[derive(Debug, Clone, Copy, Default)]
struct Want {
    uid: bool,
    flags: bool,
    size: bool,
    text: bool,
}

/// Every target message got a FETCH with the wanted items, their values
/// those of the message as the model knows it.
fn answered(
    m: &Model,
    said: &Said,
    targets: &[(u32, u32)],
    want: Want,
    line: &str,
) -> Result<(), TestCaseError> {
    for &(seq, u) in targets {
        let (size, text) = m.test.content(u);
        let found = said.fetches.iter().any(|f| {
            f.seq == seq
                && (!want.uid || f.uid == Some(u))
                && (!want.flags || f.flags.is_some())
                && (!want.size || f.size == Some(size))
                && (!want.text || f.text.as_deref() == Some(text.as_str()))
        });
        prop_assert!(
            found,
            "{}: no FETCH for {} (UID {}, size {}) with {:?}: {:?}",
            line,
            seq,
            u,
            size,
            want,
            said.fetches
        );
    }
    Ok(())
}

/// `[EXPUNGEISSUED]` exactly when the view still shows a message that is
/// gone (RFC 5530).
fn issued(
    m: &Model,
    sessions: &[Session],
    s: usize,
    said: &Said,
    line: &str,
) -> Result<(), TestCaseError> {
    if said.code.as_ref().is_some_and(|c| c.starts_with("COPYUID")) {
        return Ok(());
    }
    let snap = sessions[s].snapshot().expect("selected");
    let held = snap.uids().iter().any(|&u| !m.test.alive(u));
    let told = said.code.as_deref() == Some("EXPUNGEISSUED");
    prop_assert_eq!(told, held, "{}: EXPUNGEISSUED", line);
    Ok(())
}

// ---- concurrent sessions -------------------------------------------------------

/// Applies one backend update and waits for it.
async fn backend(engine: &Engine, update: BackendUpdate) -> Applied {
    let (done, wait) = tokio::sync::oneshot::channel();
    engine
        .apply_backend_update(PendingUpdate { update, done })
        .await;
    wait.await
        .expect("completion")
        .unwrap_or_else(|e| panic!("backend update failed: {e}"))
}

/// A command of a session's script in the concurrent test.
#[derive(Debug, Clone)]
enum Op {
    Append(Flags),
    Store {
        set: SetPick,
        uid: bool,
        mode: Mode,
        flags: Flags,
    },
    Expunge,
    Fetch {
        set: SetPick,
        uid: bool,
    },
    Search,
    Noop,
    Copy {
        set: SetPick,
        uid: bool,
        is_move: bool,
    },
    Reselect,
}

/// A change by the backend in the concurrent test; picks index the
/// mailbox's messages at the time.
#[derive(Debug, Clone)]
enum BackendOp {
    Add(Flags),
    Flags { pick: usize, flags: Flags },
    Delete { pick: usize },
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let mode = prop_oneof![Just(Mode::Add), Just(Mode::Remove), Just(Mode::Replace)];
    prop_oneof![
        3 => flags_strategy().prop_map(Op::Append),
        4 => (set_strategy(), any::<bool>(), mode, flags_strategy())
            .prop_map(|(set, uid, mode, flags)| Op::Store { set, uid, mode, flags }),
        2 => Just(Op::Expunge),
        4 => (set_strategy(), any::<bool>()).prop_map(|(set, uid)| Op::Fetch { set, uid }),
        1 => Just(Op::Search),
        3 => Just(Op::Noop),
        2 => (set_strategy(), any::<bool>(), any::<bool>())
            .prop_map(|(set, uid, is_move)| Op::Copy { set, uid, is_move }),
        1 => Just(Op::Reselect),
    ]
}

fn backend_op_strategy() -> impl Strategy<Value = BackendOp> {
    prop_oneof![
        flags_strategy().prop_map(BackendOp::Add),
        (any::<usize>(), flags_strategy())
            .prop_map(|(pick, flags)| BackendOp::Flags { pick, flags }),
        any::<usize>().prop_map(|pick| BackendOp::Delete { pick }),
    ]
}

/// One script per session, and the backend's.
fn concurrent_scenario() -> impl Strategy<Value = (Vec<Vec<Op>>, Vec<BackendOp>)> {
    (2..=4usize).prop_flat_map(|n| {
        (
            prop::collection::vec(prop::collection::vec(op_strategy(), 1..=15), n),
            prop::collection::vec(backend_op_strategy(), 0..=8),
        )
    })
}

/// Checks a view against the session's snapshot: the client's idea of
/// every sequence number is the session's, and UIDs ascend.
fn agrees(view: &View, session: &Session) -> Result<(), TestCaseError> {
    let snap = session.snapshot().expect("selected");
    prop_assert_eq!(view.slots.len() as u32, snap.len(), "length");
    let mut last = 0;
    for (i, slot) in view.slots.iter().enumerate() {
        let msg = snap.get(i as u32 + 1).expect("in range");
        if let Some(u) = slot.uid {
            prop_assert_eq!(u, msg.uid, "seq {}: UID", i + 1);
            prop_assert!(u > last, "UIDs not ascending at seq {}", i + 1);
            last = u;
        }
        if let Some(f) = slot.flags {
            prop_assert_eq!(
                f,
                Flags::of_set(&msg.flags()),
                "seq {} (UID {})",
                i + 1,
                msg.uid
            );
        }
        if let Some(r) = slot.recent {
            prop_assert_eq!(r, msg.recent, "seq {}: \\Recent", i + 1);
        }
    }
    Ok(())
}

/// SELECT, with the view rebuilt from its EXISTS.
async fn select_view(session: &mut Session, name: &str) -> Result<View, TestCaseError> {
    let r = exec(session, &format!("s SELECT {name}")).await;
    prop_assert_eq!(
        r.last().map(String::as_str),
        Some("s OK [READ-WRITE] SELECT completed")
    );
    let n = r
        .iter()
        .find_map(|l| l.strip_prefix("* ").and_then(|x| x.strip_suffix(" EXISTS")))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| TestCaseError::fail(format!("no EXISTS: {r:?}")))?;
    Ok(View {
        slots: vec![Slot::default(); n],
        ..View::default()
    })
}

/// Runs one session's script while the others run theirs; returns the
/// session, its view and the UIDs its APPENDs were given.
async fn script(
    mut session: Session,
    test: String,
    other: String,
    ops: Vec<Op>,
) -> (Session, Result<(View, Vec<u32>), TestCaseError>) {
    let r = script_steps(&mut session, &test, &other, &ops).await;
    (session, r)
}

async fn script_steps(
    session: &mut Session,
    test: &str,
    other: &str,
    ops: &[Op],
) -> Result<(View, Vec<u32>), TestCaseError> {
    let mut view = select_view(session, test).await?;
    let mut appended = Vec::new();
    for op in ops {
        tokio::task::yield_now().await;
        let snap = session.snapshot().expect("selected");
        let max = snap.max_uid() + 2;
        let (line, ctx, targets, bad) = match *op {
            Op::Append(flags) => {
                let raw = message("concurrent");
                let line = format!(
                    "a APPEND {test} {} {{{}}}\r\n{raw}",
                    flags.list(),
                    raw.len()
                );
                (line, Ctx::AllLater, Vec::new(), false)
            }
            Op::Store {
                set,
                uid,
                mode,
                flags,
            } => {
                let (text, targets, bad) = render(snap, max, set, uid);
                let sign = match mode {
                    Mode::Add => "+",
                    Mode::Remove => "-",
                    Mode::Replace => "",
                };
                let u = if uid { "UID " } else { "" };
                let line = format!("s {u}STORE {text} {sign}FLAGS {}", flags.list());
                (line, Ctx::NoExpunge, targets, bad)
            }
            Op::Expunge => ("e EXPUNGE".to_owned(), Ctx::AllLater, Vec::new(), false),
            Op::Fetch { set, uid } => {
                let (text, targets, bad) = render(snap, max, set, uid);
                let u = if uid { "UID " } else { "" };
                let line = format!("f {u}FETCH {text} (UID FLAGS)");
                (line, Ctx::NoExpunge, targets, bad)
            }
            Op::Search => (
                "q SEARCH UNSEEN".to_owned(),
                Ctx::NoExpunge,
                Vec::new(),
                false,
            ),
            Op::Noop => ("n NOOP".to_owned(), Ctx::AllLater, Vec::new(), false),
            Op::Copy { set, uid, is_move } => {
                let (text, targets, bad) = render(snap, max, set, uid);
                let u = if uid { "UID " } else { "" };
                let (verb, ctx) = if is_move {
                    ("MOVE", Ctx::AllLater)
                } else {
                    ("COPY", Ctx::NoExpunge)
                };
                (format!("c {u}{verb} {text} {other}"), ctx, targets, bad)
            }
            Op::Reselect => {
                view = select_view(session, test).await?;
                continue;
            }
        };
        let out = exec(session, &line).await;
        let said = replay(&mut view, &out, ctx)
            .map_err(|e| TestCaseError::fail(format!("{line:?} → {out:?}: {e}")))?;
        let want = if bad { "BAD" } else { "OK" };
        prop_assert_eq!(said.status.as_deref(), Some(want), "{:?} → {:?}", line, out);
        if matches!(op, Op::Fetch { .. } | Op::Store { .. }) {
            for &(seq, u) in &targets {
                prop_assert!(
                    said.fetches.iter().any(|f| f.seq == seq
                        && f.flags.is_some()
                        && (f.uid.is_none() || f.uid == Some(u))),
                    "{:?}: no FETCH for {} (UID {}): {:?}",
                    line,
                    seq,
                    u,
                    out
                );
            }
        }
        if let Op::Append(_) = op {
            appended.extend(
                appenduid(said.code.as_deref().unwrap_or_default()).map_err(TestCaseError::fail)?,
            );
        }
        agrees(&view, session)
            .map_err(|e| TestCaseError::fail(format!("{line:?} → {out:?}: {e}")))?;
    }
    Ok((view, appended))
}

/// The backend's script, concurrent with the sessions'.
async fn backend_script(
    engine: Arc<Engine>,
    store: Store,
    mailbox: MailboxId,
    name: String,
    ops: Vec<BackendOp>,
) -> Vec<u32> {
    let mut added = Vec::new();
    for op in ops {
        tokio::task::yield_now().await;
        let s = store.clone();
        let uids: Vec<u32> = tokio::task::spawn_blocking(move || {
            s.fetch_flags(mailbox, &UidSet::all()).expect("read")
        })
        .await
        .expect("join")
        .iter()
        .map(|m| m.uid)
        .collect();
        let update = match op {
            BackendOp::Add(flags) => BackendUpdate::MessagesCreated {
                user: USER.into(),
                mailbox: name.clone(),
                messages: vec![IncomingMessage {
                    raw: message("backend").into_bytes(),
                    flags: flags.flag_set(),
                    internal_date: 0,
                }],
            },
            _ if uids.is_empty() => continue,
            BackendOp::Flags { pick, flags } => BackendUpdate::FlagsChanged {
                user: USER.into(),
                mailbox: name.clone(),
                uid: uids[pick % uids.len()],
                flags: flags.flag_set(),
            },
            BackendOp::Delete { pick } => BackendUpdate::MessagesDeleted {
                user: USER.into(),
                mailbox: name.clone(),
                uids: vec![uids[pick % uids.len()]],
            },
        };
        if let Applied::Uids(u) = backend(&engine, update).await {
            added.extend(u);
        }
    }
    added
}

impl Harness {
    fn run_concurrent(&self, share: u32) {
        let base = ProptestConfig::default();
        let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
            base.cases
        } else {
            DEFAULT_CASES
        } / share;
        let config = ProptestConfig {
            cases,
            source_file: Some(file!()),
            ..base
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&concurrent_scenario(), |(scripts, backend_ops)| {
            let sessions = self.sessions(scripts.len());
            let (sessions, r) = self.concurrent_case(sessions, scripts, backend_ops);
            self.give_back(sessions);
            r
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }

    /// Every session runs its script at once (and the backend its own);
    /// then everyone catches up and must see the store's contents.
    fn concurrent_case(
        &self,
        sessions: Vec<Session>,
        scripts: Vec<Vec<Op>>,
        backend_ops: Vec<BackendOp>,
    ) -> (Vec<Session>, Result<(), TestCaseError>) {
        let case = {
            let mut c = self.cases.borrow_mut();
            *c += 1;
            *c
        };
        let (test, other) = (format!("CT{case}"), format!("CO{case}"));
        let mut test_id = None;
        for name in [&test, &other] {
            let info = self
                .env
                .store
                .create_mailbox(self.user, name, None)
                .expect("create");
            test_id.get_or_insert(info.id);
        }
        let test_id = test_id.expect("created");
        self.rt.block_on(async {
            let backend_task = tokio::spawn(backend_script(
                self.env.engine.clone(),
                self.env.store.clone(),
                test_id,
                test.clone(),
                backend_ops,
            ));
            let tasks: Vec<_> = sessions
                .into_iter()
                .zip(scripts)
                .map(|(s, ops)| tokio::spawn(script(s, test.clone(), other.clone(), ops)))
                .collect();
            let mut sessions = Vec::new();
            let mut views = Vec::new();
            let mut failure = None;
            let mut uids = backend_task.await.expect("backend task");
            for t in tasks {
                let (s, r) = t.await.expect("session task");
                sessions.push(s);
                match r {
                    Ok((view, appended)) => {
                        views.push(view);
                        uids.extend(appended);
                    }
                    Err(e) => failure = failure.or(Some(e)),
                }
            }
            if let Some(e) = failure {
                return (sessions, Err(e));
            }
            let r = self
                .catch_up(&mut sessions, &mut views, uids, test_id)
                .await;
            (sessions, r)
        })
    }

    async fn catch_up(
        &self,
        sessions: &mut [Session],
        views: &mut [View],
        mut uids: Vec<u32>,
        test: MailboxId,
    ) -> Result<(), TestCaseError> {
        let n = uids.len();
        uids.sort_unstable();
        uids.dedup();
        prop_assert_eq!(uids.len(), n, "a UID was given twice");
        let store = self.env.store.clone();
        let truth: Vec<(u32, Flags)> = tokio::task::spawn_blocking(move || {
            let names = store.keywords(test).expect("keywords");
            let rows = store.fetch_flags(test, &UidSet::all()).expect("rows");
            (names, rows)
        })
        .await
        .map(|(names, rows)| {
            rows.iter()
                .map(|m| (m.uid, store_flags(m, &names)))
                .collect()
        })
        .expect("join");
        let mut recent: HashMap<u32, usize> = HashMap::new();
        for (s, (session, view)) in sessions.iter_mut().zip(views.iter_mut()).enumerate() {
            for (line, ctx) in [
                ("n NOOP", Ctx::All),
                ("f FETCH 1:* (UID FLAGS)", Ctx::NoExpunge),
            ] {
                let out = exec(session, line).await;
                replay(view, &out, ctx).map_err(|e| {
                    TestCaseError::fail(format!("session {s} {line:?} → {out:?}: {e}"))
                })?;
            }
            agrees(view, session)?;
            let told: Vec<(Option<u32>, Option<Flags>)> =
                view.slots.iter().map(|x| (x.uid, x.flags)).collect();
            let expected: Vec<(Option<u32>, Option<Flags>)> =
                truth.iter().map(|x| (Some(x.0), Some(x.1))).collect();
            prop_assert_eq!(told, expected, "session {} after NOOP", s);
            for slot in &view.slots {
                if slot.recent == Some(true) {
                    let u = slot.uid.expect("fetched");
                    prop_assert!(recent.insert(u, s).is_none(), "UID {} recent twice", u);
                }
            }
        }
        Ok(())
    }
}

/// A store row's flags in the model's terms.
fn store_flags(m: &hadron_store::MessageFlags, names: &[String]) -> Flags {
    let mut f = Flags::default();
    for (stored, bit) in [
        (StoreFlags::ANSWERED, 1),
        (StoreFlags::FLAGGED, 2),
        (StoreFlags::DELETED, 4),
        (StoreFlags::SEEN, 8),
        (StoreFlags::DRAFT, 16),
    ] {
        if m.flags.contains(stored) {
            f.system |= bit;
        }
    }
    for (i, n) in names.iter().enumerate() {
        if m.keywords & (1 << i) != 0 {
            let k = KEYWORDS
                .iter()
                .position(|k| k == n)
                .unwrap_or_else(|| panic!("stored keyword {n}"));
            f.keywords |= 1 << k;
        }
    }
    f
}

#[test]
fn concurrent_sessions_end_up_agreeing_with_the_store() {
    Harness::sqlite().run_concurrent(2);
}

#[test]
fn concurrent_sessions_end_up_agreeing_with_the_store_on_postgres() {
    if let Some(h) = Harness::postgres() {
        h.run_concurrent(8);
    }
}

#[test]
fn sessions_agree_with_the_model() {
    Harness::sqlite().run(1);
}

/// Session queues of three updates: sessions fall behind all the time and
/// are resynchronised from the shared index, or closed with `* BYE` and
/// reconnected; every invariant but which session gets `\Recent` still
/// holds.
#[test]
fn sessions_agree_with_the_model_when_queues_overflow() {
    Harness::sqlite_overflowing(3).run(2);
}

#[test]
fn sessions_agree_with_the_model_on_postgres() {
    if let Some(h) = Harness::postgres() {
        h.run(4);
    }
}

#[test]
fn sessions_agree_with_the_model_over_two_instances() {
    if let Some(h) = Harness::postgres_two_instances() {
        h.run(4);
    }
}

#[test]
fn concurrent_sessions_end_up_agreeing_with_the_store_over_two_instances() {
    if let Some(h) = Harness::postgres_two_instances() {
        h.run_concurrent(8);
    }
}
