//! Black-box tests of CONDSTORE and QRESYNC (RFC 7162) over TCP: every
//! example exchange of the RFC that applies to this server, adapted to
//! real data (mod-sequences and UIDs are small integers here, so expected
//! values are computed from what the server answered earlier in the same
//! test), plus the behaviours around them: which commands turn CONDSTORE
//! on, what moves a mailbox's mod-sequence, conditional STORE against a
//! concurrent change, VANISHED instead of EXPUNGE, the HIGHESTMODSEQ held
//! below a delayed expunge (RFC 3501 §7.4.1 with RFC 7162 §3.2 and §6),
//! and a client's resynchronisation round trip.
//!
//! Tests with one client run on SQLite and, with `HADRON_TEST_PG`,
//! PostgreSQL (`both!`); tests with several clients also run with the
//! clients spread over two instances on one database (`spread!`).
//!
//! Not covered, because the server does not implement what they need:
//! Example 2 (NOMODSEQ: every mailbox here keeps mod-sequences) and Example
//! 14's third session (another user sharing the mailbox: no shared
//! mailboxes). Example 20 (SORT with MODSEQ) is in hadron-state's
//! `tests/session_sort.rs`.
#![allow(missing_docs)]

mod common;

#[path = "condstore/enabling.rs"]
mod enabling;
#[path = "condstore/fetch_store_search.rs"]
mod fetch_store_search;
#[path = "condstore/qresync.rs"]
mod qresync;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Client, TestServer, append_n, assert_lines, message};

/// The UIDs of a UID set such as `1:3,5`.
fn uids_of(set: &str) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
                out.extend(a.min(b)..=a.max(b));
            }
            None => {
                out.insert(part.parse().unwrap());
            }
        }
    }
    out
}

/// The number right after `key` in `line`.
#[track_caller]
fn num_after(line: &str, key: &str) -> u64 {
    let at = line
        .find(key)
        .unwrap_or_else(|| panic!("no {key:?} in {line:?}"))
        + key.len();
    line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number after {key:?} in {line:?}"))
}

/// The `MODSEQ (n)` of a FETCH response.
#[track_caller]
fn modseq_of(line: &str) -> u64 {
    num_after(line, "MODSEQ (")
}

/// The value of the last `[HIGHESTMODSEQ n]` among `lines`.
#[track_caller]
fn highest_in(lines: &[String]) -> u64 {
    let line = lines
        .iter()
        .rev()
        .find(|l| l.contains("[HIGHESTMODSEQ "))
        .unwrap_or_else(|| panic!("no HIGHESTMODSEQ in {lines:#?}"));
    num_after(line, "[HIGHESTMODSEQ ")
}

/// The UIDVALIDITY a SELECT or EXAMINE reported.
#[track_caller]
fn uidvalidity_in(lines: &[String]) -> u32 {
    let line = lines
        .iter()
        .find(|l| l.starts_with("* OK [UIDVALIDITY "))
        .unwrap_or_else(|| panic!("no UIDVALIDITY in {lines:#?}"));
    u32::try_from(num_after(line, "[UIDVALIDITY ")).unwrap()
}

/// The one response of `lines` that starts with `prefix`.
#[track_caller]
fn line_starting<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    let found: Vec<&String> = lines.iter().filter(|l| l.starts_with(prefix)).collect();
    assert_eq!(
        found.len(),
        1,
        "one response starting {prefix:?} in {lines:#?}"
    );
    found[0]
}

/// `mailbox`'s HIGHESTMODSEQ by `STATUS (HIGHESTMODSEQ)`.
async fn status_highest(c: &mut Client, mailbox: &str) -> u64 {
    let r = c
        .cmd_ok(&format!("hs STATUS {mailbox} (HIGHESTMODSEQ)"))
        .await;
    num_after(
        line_starting(&r, &format!("* STATUS {mailbox} ")),
        "HIGHESTMODSEQ ",
    )
}

/// The mod-sequence of every message of the selected mailbox, by UID.
async fn modseqs(c: &mut Client) -> BTreeMap<u32, u64> {
    let r = c.cmd_ok("ms UID FETCH 1:* (MODSEQ)").await;
    r.iter()
        .filter(|l| l.starts_with("* ") && l.contains(" FETCH (UID "))
        .map(|l| (u32::try_from(num_after(l, "UID ")).unwrap(), modseq_of(l)))
        .collect()
}

/// APPENDs `n` messages to `mailbox` (of a client in the authenticated
/// state), then expunges the UIDs of `expunged` (a UID set, may be empty)
/// by SELECT, UID STORE and CLOSE: the mailbox's UIDs then have the gaps
/// the RFC's examples have, and this client has claimed their `\Recent`.
async fn mailbox_with_gaps(c: &mut Client, mailbox: &str, n: usize, expunged: &str) {
    append_n(c, mailbox, n).await;
    c.cmd_ok(&format!("g1 SELECT {mailbox}")).await;
    if !expunged.is_empty() {
        c.cmd_ok(&format!(
            "g2 UID STORE {expunged} +FLAGS.SILENT (\\Deleted)"
        ))
        .await;
    }
    c.cmd_ok("g3 CLOSE").await;
}

/// APPENDs one message with `flags` (a flag list without parentheses) to
/// `mailbox`; returns its UID.
async fn append_flagged(c: &mut Client, mailbox: &str, flags: &str) -> u32 {
    let m = message("flagged", "with flags");
    let r = c
        .cmd_ok(&format!(
            "ap APPEND {mailbox} ({flags}) {{{}+}}\r\n{m}",
            m.len()
        ))
        .await;
    let uids = r
        .last()
        .unwrap()
        .split(' ')
        .nth(4)
        .unwrap()
        .trim_end_matches(']');
    uids.parse().unwrap()
}

/// The responses of a successful SELECT/EXAMINE before anything specific
/// to QRESYNC: RFC 3501 §6.3.1's, then HIGHESTMODSEQ when given.
fn opening(
    exists: u32,
    recent: u32,
    unseen: Option<u32>,
    uidnext: u32,
    highest: Option<u64>,
) -> Vec<String> {
    let mut v = vec![
        "* FLAGS (%)".to_owned(),
        format!("* {exists} EXISTS"),
        format!("* {recent} RECENT"),
    ];
    v.extend(unseen.map(|u| format!("* OK [UNSEEN {u}] %")));
    v.push("* OK [UIDVALIDITY %] %".to_owned());
    v.push(format!("* OK [UIDNEXT {uidnext}] %"));
    v.push("* OK [PERMANENTFLAGS (%)] %".to_owned());
    v.extend(highest.map(|h| format!("* OK [HIGHESTMODSEQ {h}] %")));
    v
}

/// The response codes of RFC 3501 and RFC 7162. An untagged OK with any
/// other comes from another extension (such as OBJECTID's MAILBOXID in
/// SELECT), which these tests leave to that extension's tests.
const CODES: &[&str] = &[
    "ALERT",
    "BADCHARSET",
    "CAPABILITY",
    "PARSE",
    "PERMANENTFLAGS",
    "READ-ONLY",
    "READ-WRITE",
    "TRYCREATE",
    "UIDNEXT",
    "UIDVALIDITY",
    "UNSEEN",
    "HIGHESTMODSEQ",
    "NOMODSEQ",
    "MODIFIED",
    "CLOSED",
];

/// [`assert_lines`] with owned patterns, on `got` without the untagged
/// OKs of other extensions (see [`CODES`]).
#[track_caller]
fn assert_patterns(got: &[String], patterns: &[String]) {
    let ours = |l: &&String| {
        l.strip_prefix("* OK [").is_none_or(|code| {
            let name = code.split([' ', ']']).next().unwrap_or_default();
            CODES.contains(&name)
        })
    };
    let got: Vec<String> = got.iter().filter(ours).cloned().collect();
    let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
    assert_lines(&got, &p);
}

/// Applies the `* n EXPUNGE` responses among `lines`, in order, to `uids`
/// (a client's view: the UID of each sequence number); checks that the
/// other responses are `others`.
#[track_caller]
fn apply_expunges(uids: &mut Vec<u32>, lines: &[String], others: &[&str]) {
    let mut rest = Vec::new();
    for l in lines {
        match l
            .strip_prefix("* ")
            .and_then(|n| n.strip_suffix(" EXPUNGE"))
        {
            Some(n) => {
                let n: usize = n.parse().unwrap();
                assert!(
                    n >= 1 && n <= uids.len(),
                    "{l:?} with {} messages",
                    uids.len()
                );
                uids.remove(n - 1);
            }
            None => rest.push(l.clone()),
        }
    }
    assert_lines(&rest, others);
}

/// Over two instances, commands other than NOOP, CHECK, IDLE and SELECT
/// report another instance's change once the change feed delivered it
/// (p99 tens of milliseconds): waits that long before such a command.
async fn settle(server: &TestServer) {
    if !server.others.is_empty() {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
