//! SEARCH evaluation (RFC 3501 §6.4.4, RFC 7162 `MODSEQ`, RFC 5182 `$`).
//!
//! [`search`] answers the keys of one SEARCH command against a session's
//! [`Snapshot`] and a [`MessageSource`] for what the snapshot does not
//! hold. It is pure: all I/O happens inside the source.
//!
//! # Plan
//!
//! The keys are compiled into a tree whose leaves fall into cost classes:
//!
//! | class | keys | reads |
//! |---|---|---|
//! | snapshot | flags, `RECENT`/`NEW`/`OLD`, sequence sets, `UID`, `$`, `KEYWORD`/`UNKEYWORD`, `ALL` | the snapshot only |
//! | metadata | `LARGER`/`SMALLER`, `BEFORE`/`ON`/`SINCE`, `SENT*`, `SAVED*`, `MODSEQ` | [`MessageSource::metadata`], batched |
//! | header | `FROM`/`TO`/`CC`/`BCC`/`SUBJECT`/`HEADER` | [`MessageSource::header_values`] per candidate |
//! | body | `BODY`, `TEXT` | [`MessageSource::body_text`] (and [`MessageSource::header_text`]) per candidate |
//!
//! The terms of every AND are evaluated cheapest first, each only on the
//! messages that matched the terms before it; the second branch of an OR
//! only on the messages its first branch did not match; NOT is the
//! complement within the current candidates. A search that uses only
//! snapshot keys never calls the source.
//!
//! # Semantics chosen
//!
//! - **Dates** compare calendar dates, ignoring time and zone (RFC 3501):
//!   the internal date is taken in the zone it was recorded in
//!   (`INTERNALDATE` as FETCH shows it), the sent date as written in the
//!   `Date:` header. A message whose `Date:` is missing or unparseable
//!   matches no `SENT*` key (so `NOT SENTON` matches it). The save date
//!   (RFC 8514) is taken in its zone too; a message whose save date the
//!   source does not know is compared by its internal date (§4.3's rule for
//!   a mailbox without save dates), and `SAVEDATESUPPORTED` matches every
//!   message, since save dates are kept for every mailbox.
//! - **Text** keys are case-insensitive substring tests after
//!   per-character lowercasing ([`text`] explains what that does and does
//!   not equate: `ß` is not `ss`). An empty string matches every message
//!   that has the field (for `HEADER`, RFC 3501's rule; the same for
//!   `FROM`, `SUBJECT`, ...) and every message for `BODY`/`TEXT`.
//! - **Addresses**: `FROM`, `TO`, `CC` and `BCC` (and `HEADER` on those
//!   four fields) match the address text computed at ingest
//!   ([`crate::message::SearchFields`]): each address as
//!   `Name <local@domain>` with the name decoded and the comments inside
//!   the address removed, so `user@example.org` finds
//!   `<user (comment)@ (comment) example.org>`, as in Dovecot.
//! - **CHARSET**: UTF-8 and US-ASCII (8-bit bytes are then an error);
//!   no CHARSET reads strings as UTF-8; anything else is
//!   [`SearchError::BadCharset`], answered `NO [BADCHARSET (UTF-8
//!   US-ASCII)]` ([`SUPPORTED_CHARSETS`]).
//! - **Sequence numbers** past the end match nothing (no error, unlike
//!   FETCH); `*` is the last message, nothing in an empty mailbox. **UID**
//!   sets follow RFC 3501 §6.4.8: `n:*` names the last message even if
//!   `n` is above the highest UID.
//! - **`$`** is the saved result passed in [`SearchOptions::saved`] (UIDs);
//!   none saved is the empty set (RFC 5182).
//! - **`MODSEQ`** compares the message's single mod-sequence; a per-flag
//!   entry name is accepted and ignored.
//! - Messages expunged elsewhere but still in the snapshot (pending
//!   expunge) are searched like the others.
//!
//! # Example
//!
//! ```
//! use hadron_proto::types::{Date, DateTime, SearchKey};
//! use hadron_state::flags::{FlagSet, SystemFlags};
//! use hadron_state::search::{search, MemoryMessage, MemorySource, MessageMeta, SearchOptions};
//! use hadron_state::snapshot::Snapshot;
//!
//! let snapshot = Snapshot::from_messages([
//!     (10, FlagSet::system(SystemFlags::SEEN)),
//!     (11, FlagSet::default()),
//! ])
//! .unwrap();
//! let day = |d| DateTime::new(Date::new(2026, 11, d).unwrap(), 12, 0, 0, 0).unwrap();
//! let meta = |d| MessageMeta {
//!     size: 100,
//!     internal_date: day(d),
//!     sent_date: None,
//!     modseq: 1,
//!     save_date: None,
//! };
//! let source: MemorySource = [
//!     (10, MemoryMessage::new(meta(1)).header("From", "Ada <ada@example.org>")),
//!     (11, MemoryMessage::new(meta(2)).header("From", "Bob <bob@example.org>")),
//! ]
//! .into_iter()
//! .collect();
//!
//! let keys = [SearchKey::Unseen];
//! let found = search(&snapshot, &keys, None, &source, &SearchOptions::default()).unwrap();
//! assert_eq!(found.numbers, [2]);
//!
//! let keys = [SearchKey::From("ADA".try_into().unwrap())];
//! let options = SearchOptions { return_uids: true, ..SearchOptions::default() };
//! let found = search(&snapshot, &keys, None, &source, &options).unwrap();
//! assert_eq!(found.numbers, [10]);
//! ```

mod eval;
mod plan;
mod source;
pub mod text;

use hadron_proto::types::{Charset, SearchKey};

use crate::snapshot::Snapshot;

pub use self::source::{
    HeaderCandidates, IndexedKey, MemoryMessage, MemorySource, MessageMeta, MessageSource,
    ObjectKey, SourceError, TextMatches, TextScope, UnknownUid,
};

/// The charsets SEARCH accepts, for `[BADCHARSET (...)]`.
pub const SUPPORTED_CHARSETS: [&str; 2] = ["UTF-8", "US-ASCII"];

/// Why a search could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The command named a charset other than UTF-8 and US-ASCII: answer
    /// `NO [BADCHARSET (UTF-8 US-ASCII)]`.
    #[error("unsupported charset {0}")]
    BadCharset(String),
    /// `CHARSET US-ASCII` with a string holding 8-bit bytes (answer BAD).
    #[error("a search string is not US-ASCII")]
    NotAscii,
    /// A search string is not valid UTF-8 (answer BAD).
    #[error("a search string is not valid UTF-8")]
    InvalidUtf8,
    /// The source failed (answer NO).
    #[error("reading messages failed: {0}")]
    Source(#[source] SourceError),
    /// The source answered a metadata batch with the wrong number of
    /// entries.
    #[error("the source returned {got} metadata entries for {asked} UIDs")]
    SourceMismatch {
        /// How many UIDs were asked about.
        asked: usize,
        /// How many entries came back.
        got: usize,
    },
}

/// What the caller wants besides the keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchOptions<'a> {
    /// Return UIDs (UID SEARCH) instead of sequence numbers.
    pub return_uids: bool,
    /// Also compute the highest mod-sequence among the matches (CONDSTORE,
    /// RFC 7162 §3.1.5: `(MODSEQ n)` after the result; see
    /// [`uses_modseq`]). This reads the matches' metadata from the source,
    /// even for a search otherwise answered from the snapshot.
    pub highest_modseq: bool,
    /// The UIDs of the saved result `$` (RFC 5182), ascending or not; `None`
    /// when nothing is saved (then `$` is empty).
    pub saved: Option<&'a [u32]>,
    /// The time `OLDER` and `YOUNGER` (RFC 5032) count back from, Unix
    /// seconds; `None` for the system clock.
    pub now: Option<i64>,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResult {
    /// The matching messages' sequence numbers, or UIDs if
    /// [`SearchOptions::return_uids`], ascending.
    pub numbers: Vec<u32>,
    /// The highest mod-sequence among the matches, if asked for and there
    /// is at least one match.
    pub highest_modseq: Option<u64>,
}

/// Whether `MODSEQ` appears anywhere in the keys. RFC 7162 §3.1.5: a
/// SEARCH using it answers with the highest mod-sequence of the matches,
/// so the caller sets [`SearchOptions::highest_modseq`] from this (and
/// from whether CONDSTORE is otherwise enabled).
pub fn uses_modseq(keys: &[SearchKey<'_>]) -> bool {
    keys.iter().any(|k| match k {
        SearchKey::ModSeq { .. } => true,
        SearchKey::Not(k) => uses_modseq(std::slice::from_ref(k)),
        SearchKey::Or(a, b) => {
            uses_modseq(std::slice::from_ref(a)) || uses_modseq(std::slice::from_ref(b))
        }
        SearchKey::And(keys) => uses_modseq(keys),
        _ => false,
    })
}

/// Evaluates the keys of a SEARCH command (all must match) on the
/// messages of `snapshot`; see the [module docs](self) for the plan and
/// the semantics. No keys at all matches every message.
///
/// Errors in the command (charset, strings) are reported before the source
/// is asked anything. Recursion follows the depth of the key tree, which
/// the parser bounds (`ParseLimits::max_search_depth`).
pub fn search<S: MessageSource + ?Sized>(
    snapshot: &Snapshot,
    keys: &[SearchKey<'_>],
    charset: Option<&Charset<'_>>,
    source: &S,
    options: &SearchOptions<'_>,
) -> Result<SearchResult, SearchError> {
    let charset = text::TextCharset::of(charset)?;
    let now = options.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    let planner = plan::Planner {
        snapshot,
        charset,
        saved: options.saved,
        now,
    };
    let node = planner.plan(keys)?;
    let mut evaluator = eval::Evaluator::new(snapshot, source);
    let all = eval::Bitset::full(snapshot.len() as usize);
    let matches = evaluator.eval(&node, &all)?;
    let highest_modseq = if options.highest_modseq {
        evaluator.highest_modseq(&matches)?
    } else {
        None
    };
    Ok(SearchResult {
        numbers: evaluator.numbers(&matches, options.return_uids),
        highest_modseq,
    })
}
