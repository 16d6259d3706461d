//! Deterministic inputs: Hadron's generated commands restricted to the
//! grammar imap-codec shares, and byte-level mutations of valid commands.

use std::num::NonZeroU32;

use hadron_proto::testing::arb_command;
use hadron_proto::types::{
    AppendData, Atom, CatPart, Command, CommandBody, DateTime, FetchAttribute, FetchItems, Literal,
    NonEmptyVec, SearchKey, SelectParam, SequenceSet, StatusItem,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A runner with a fixed seed: every run sees the same inputs.
pub(crate) fn runner(seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// Draws `n` values of `strategy` from `runner`.
pub(crate) fn sample<S: Strategy>(
    runner: &mut TestRunner,
    strategy: &S,
    n: usize,
) -> Vec<S::Value> {
    (0..n)
        .map(|_| {
            strategy
                .new_tree(runner)
                .expect("strategy never rejects")
                .current()
        })
        .collect()
}

fn shared_set(set: &mut SequenceSet) {
    // `$` (SEARCHRES) is Hadron-only.
    if set.is_saved() {
        *set = SequenceSet::single(NonZeroU32::MIN);
    }
}

fn shared_key(key: &mut SearchKey<'_>) {
    match key {
        SearchKey::Uid(set) | SearchKey::SequenceSet(set) => shared_set(set),
        SearchKey::Not(k) => shared_key(k),
        SearchKey::Or(a, b) => {
            shared_key(a);
            shared_key(b);
        }
        SearchKey::And(keys) => {
            let mut v = keys.to_vec();
            v.iter_mut().for_each(shared_key);
            *keys = NonEmptyVec::new(v).expect("non-empty");
        }
        // OBJECTID (RFC 8474) is Hadron-only.
        SearchKey::EmailId(_) | SearchKey::ThreadId(_) => *key = SearchKey::All,
        // WITHIN (RFC 5032) is left out of the comparison.
        SearchKey::Older(_) | SearchKey::Younger(_) => *key = SearchKey::All,
        // SAVEDATE (RFC 8514) is Hadron-only.
        SearchKey::SavedBefore(_)
        | SearchKey::SavedOn(_)
        | SearchKey::SavedSince(_)
        | SearchKey::SaveDateSupported => *key = SearchKey::All,
        _ => {}
    }
}

/// `v` without the items `hadron_only` picks, or `fallback` alone if none
/// is left.
fn shared_items<T: Clone>(v: &mut NonEmptyVec<T>, hadron_only: impl Fn(&T) -> bool, fallback: T) {
    if v.iter().any(&hadron_only) {
        let kept: Vec<T> = v.iter().filter(|x| !hadron_only(x)).cloned().collect();
        *v = NonEmptyVec::new(kept).unwrap_or_else(|_| NonEmptyVec::one(fallback));
    }
}

fn shared_keys(keys: &mut NonEmptyVec<SearchKey<'_>>) {
    let mut v = keys.to_vec();
    v.iter_mut().for_each(shared_key);
    *keys = NonEmptyVec::new(v).expect("non-empty");
}

fn shared_date_time(dt: &mut DateTime) {
    // imap-codec (chrono) knows no leap second and no zone of a day or more.
    let (h, m, s) = dt.time();
    let zone = dt.zone_minutes() % (24 * 60);
    *dt = DateTime::new(dt.date(), h, m, s.min(59), zone).expect("still valid");
}

/// Rewrites a generated command into the grammar both parsers share, by
/// dropping or replacing what only Hadron speaks (see the allow-list).
pub(crate) fn restrict(mut cmd: Command<'static>) -> Command<'static> {
    use CommandBody as C;
    match &mut cmd.body {
        C::Select { params, .. } | C::Examine { params, .. } => {
            for p in params.iter_mut() {
                if let SelectParam::QResync(q) = p {
                    if let Some(s) = q.known_uids.as_mut() {
                        shared_set(s);
                    }
                    if let Some((a, b)) = q.seq_match.as_mut() {
                        shared_set(a);
                        shared_set(b);
                    }
                }
            }
        }
        C::Create { special_use, .. } => special_use.clear(),
        C::List {
            selection,
            patterns,
            return_options,
            ..
        } => {
            selection.clear();
            return_options.clear();
            *patterns = NonEmptyVec::one(patterns.first().clone());
        }
        C::Append { messages, .. } => {
            let mut first = messages.first().clone();
            if let Some(dt) = first.date.as_mut() {
                shared_date_time(dt);
            }
            // CATENATE (RFC 4469) is Hadron-only: its first TEXT, or no data.
            if let AppendData::Catenate(parts) = &first.data {
                let text = parts.iter().find_map(|p| match p {
                    CatPart::Text(l) => Some(l.clone()),
                    CatPart::Url(_) => None,
                });
                first.data = AppendData::Literal(
                    text.unwrap_or_else(|| Literal::new(&b""[..]).expect("no NUL")),
                );
            }
            *messages = NonEmptyVec::one(first);
        }
        C::UidExpunge(set) => shared_set(set),
        C::Search {
            return_options,
            criteria,
            ..
        } => {
            *return_options = None;
            shared_keys(criteria);
        }
        // ESORT and PARTIAL (RFC 5267, RFC 9394) are Hadron-only.
        C::Sort {
            return_options,
            keys,
            ..
        } => {
            *return_options = None;
            shared_keys(keys);
        }
        C::Thread { keys, .. } => shared_keys(keys),
        // OBJECTID (RFC 8474), APPENDLIMIT (RFC 7889), SAVEDATE (RFC 8514) and PREVIEW
        // (RFC 8970) are Hadron-only.
        C::Status { items, .. } => shared_items(
            items,
            |i| matches!(i, StatusItem::MailboxId | StatusItem::AppendLimit),
            StatusItem::Messages,
        ),
        C::Fetch { set, items, .. } => {
            shared_set(set);
            if let FetchItems::Attributes(atts) = items {
                shared_items(
                    atts,
                    |a| {
                        matches!(
                            a,
                            FetchAttribute::EmailId
                                | FetchAttribute::ThreadId
                                | FetchAttribute::SaveDate
                                | FetchAttribute::Preview { .. }
                        )
                    },
                    FetchAttribute::Uid,
                );
            }
        }
        C::Store { set, .. } | C::Copy { set, .. } | C::Move { set, .. } => shared_set(set),
        C::Compress { algorithm } => *algorithm = Atom::try_from("DEFLATE").expect("atom"),
        // CONTEXT (RFC 5267), UNAUTHENTICATE (RFC 8437) and NOTIFY (RFC
        // 5465) are Hadron-only.
        C::CancelUpdate(_) | C::Unauthenticate | C::Notify(_) => cmd.body = C::Noop,
        _ => {}
    }
    cmd
}

/// Generated commands in the shared grammar.
pub(crate) fn shared_command() -> impl Strategy<Value = Command<'static>> {
    arb_command().prop_map(restrict)
}

/// Encodes a command with Hadron's encoder.
pub(crate) fn encode(cmd: &Command<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    hadron_proto::encode::command(cmd, &mut out);
    out
}

/// Bytes a mutation inserts or substitutes: separators, specials, digits,
/// line ends, NUL and 8-bit.
const INTERESTING: &[u8] = b" ()[]<>{}\"\\*%:,.$&-+~0019AaZz\r\n\x00\x01\x7f\x80\xc3\xff";

/// One edit of a valid command.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// Delete the byte at the position.
    Delete(usize),
    /// Insert an interesting byte.
    Insert(usize, usize),
    /// Replace a byte by an interesting one.
    Replace(usize, usize),
    /// Flip the ASCII case of a byte (odd case).
    FlipCase(usize),
    /// Double a space (extra spaces), or insert one.
    ExtraSpace(usize),
    /// Cut the command short and end it with CRLF (missing arguments).
    Truncate(usize),
    /// Put a zero in front of a number.
    LeadingZero(usize),
}

/// One to three edits.
pub(crate) fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let one = (0u8..7, any::<usize>(), any::<usize>()).prop_map(|(op, at, b)| match op {
        0 => Mutation::Delete(at),
        1 => Mutation::Insert(at, b),
        2 => Mutation::Replace(at, b),
        3 => Mutation::FlipCase(at),
        4 => Mutation::ExtraSpace(at),
        5 => Mutation::Truncate(at),
        _ => Mutation::LeadingZero(at),
    });
    proptest::collection::vec(one, 1..4)
}

/// Applies edits; positions wrap around the current length.
pub(crate) fn mutate(input: &[u8], edits: &[Mutation]) -> Vec<u8> {
    let mut v = input.to_vec();
    for edit in edits {
        if v.is_empty() {
            break;
        }
        let len = v.len();
        let byte = |b: usize| INTERESTING[b % INTERESTING.len()];
        match *edit {
            Mutation::Delete(at) => {
                v.remove(at % len);
            }
            Mutation::Insert(at, b) => v.insert(at % (len + 1), byte(b)),
            Mutation::Replace(at, b) => v[at % len] = byte(b),
            Mutation::FlipCase(at) => {
                // A letter, scanning forward from the position.
                if let Some(i) = (0..len)
                    .map(|k| (at + k) % len)
                    .find(|&i| v[i].is_ascii_alphabetic())
                {
                    v[i] ^= 0x20;
                }
            }
            Mutation::ExtraSpace(at) => {
                let i = (0..len)
                    .map(|k| (at + k) % len)
                    .find(|&i| v[i] == b' ')
                    .unwrap_or(at % len);
                v.insert(i, b' ');
            }
            Mutation::Truncate(at) => {
                v.truncate(at % len);
                v.extend_from_slice(b"\r\n");
            }
            Mutation::LeadingZero(at) => {
                if let Some(i) = (0..len)
                    .map(|k| (at + k) % len)
                    .find(|&i| v[i].is_ascii_digit() && (i == 0 || !v[i - 1].is_ascii_digit()))
                {
                    v.insert(i, b'0');
                }
            }
        }
    }
    v
}

/// Whether a generated command only uses what both parsers share (checked
/// on every generated command, so `restrict` cannot silently fall behind).
pub(crate) fn is_shared(cmd: &Command<'_>) -> bool {
    restrict(cmd.clone().into_static()) == *cmd
}
