//! SEARCH: one test per key and per rule, on a small hand-built mailbox
//! whose expected answers are worked out by hand, plus the guarantees
//! about what the source is asked (counting source).

use std::borrow::Cow;
use std::cell::Cell;

use hadron_proto::parse::{self, ParseLimits};
use hadron_proto::types::{AString, Charset, CommandBody, Date, DateTime, SearchKey};
use hadron_state::flags::{FlagSet, SystemFlags};
use hadron_state::search::{
    MemoryMessage, MemorySource, MessageMeta, MessageSource, SearchError, SearchOptions,
    SearchResult, SourceError, search,
};
use hadron_state::snapshot::Snapshot;

fn at(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8, zone: i16) -> DateTime {
    DateTime::new(Date::new(y, mo, d).unwrap(), h, mi, s, zone).unwrap()
}

fn day(y: u16, mo: u8, d: u8) -> Option<Date> {
    Some(Date::new(y, mo, d).unwrap())
}

fn meta(size: u32, internal_date: DateTime, sent_date: Option<Date>, modseq: u64) -> MessageMeta {
    MessageMeta {
        size,
        internal_date,
        sent_date,
        modseq,
        save_date: None,
    }
}

fn flags(system: SystemFlags, keywords: &[&str]) -> FlagSet {
    let mut f = FlagSet::system(system);
    for k in keywords {
        f.insert(hadron_proto::types::Flag::keyword(k).unwrap());
    }
    f
}

/// Six messages (sequence number: UID):
///
/// | seq | uid | flags | size | internal date (own zone) | sent | modseq |
/// |---|---|---|---|---|---|---|
/// | 1 | 2 | \Seen \Answered $Work | 100 | 1-Nov 23:30 -0500 | 31-Oct | 5 |
/// | 2 | 4 | \Flagged \Deleted | 2000 | 2-Nov 00:00 +0000 | — | 9 |
/// | 3 | 5 | \Draft | 101 | 2-Nov 23:59:59 +0000 | 2-Nov | 7 |
/// | 4 | 9 | \Seen | 99 | 3-Nov 00:00 +1400 | 3-Nov | 12 |
/// | 5 | 10 | $Junk, \Recent | 100 | 3-Nov 10:00 +0000 | 1-Nov | 3 |
/// | 6 | 20 | \Seen, \Recent | 0 | 4-Nov 12:00 +0000 | — | 1 |
fn mailbox() -> (Snapshot, MemorySource) {
    let s = SystemFlags::SEEN;
    let mut snapshot = Snapshot::from_messages([
        (2, flags(s.union(SystemFlags::ANSWERED), &["$Work"])),
        (
            4,
            flags(SystemFlags::FLAGGED.union(SystemFlags::DELETED), &[]),
        ),
        (5, flags(SystemFlags::DRAFT, &[])),
        (9, flags(s, &[])),
        (10, flags(SystemFlags::EMPTY, &["$Junk"])),
        (20, flags(s, &[])),
    ])
    .unwrap();
    snapshot.set_recent_from(10);
    let source = [
        (
            2,
            MemoryMessage::new(meta(
                100,
                at(2026, 11, 1, 23, 30, 0, -300),
                day(2026, 10, 31),
                5,
            ))
            .header("From", "Ada Lovelace <ada@example.org>")
            .header("To", "bob@example.org")
            .header("Subject", "Grüße aus Berlin")
            .body("hello world"),
        ),
        (
            4,
            MemoryMessage::new(meta(2000, at(2026, 11, 2, 0, 0, 0, 0), None, 9))
                .header("From", "Bob <bob@example.org>")
                .header("Cc", "carol@example.org")
                .header("Subject", "Re: Invoice")
                .header("X-Spam", "yes")
                .body("Bitte überweisen Sie"),
        ),
        (
            5,
            MemoryMessage::new(meta(
                101,
                at(2026, 11, 2, 23, 59, 59, 0),
                day(2026, 11, 2),
                7,
            ))
            .header("From", "carol@example.org")
            .header("Bcc", "dave@example.org")
            .header("Subject", ""),
        ),
        (
            9,
            MemoryMessage::new(meta(
                99,
                at(2026, 11, 3, 0, 0, 0, 14 * 60),
                day(2026, 11, 3),
                12,
            ))
            .header("From", "Jörg <jorg@example.org>")
            .header("Received", "from a")
            .header("Received", "from b")
            .body("TEXT in body only"),
        ),
        (
            10,
            MemoryMessage::new(meta(100, at(2026, 11, 3, 10, 0, 0, 0), day(2026, 11, 1), 3))
                .header("From", "eve@example.org")
                .header("Subject", "GRÜSSE"),
        ),
        (
            20,
            MemoryMessage::new(meta(0, at(2026, 11, 4, 12, 0, 0, 0), None, 1)).body("x"),
        ),
    ]
    .into_iter()
    .collect();
    (snapshot, source)
}

/// The charset and keys of `SEARCH <args>`, through the real parser.
fn parse(args: &str) -> (Option<Charset<'static>>, Vec<SearchKey<'static>>) {
    let line = format!("a SEARCH {args}\r\n");
    let cmd = parse::command(line.as_bytes(), &ParseLimits::default())
        .unwrap_or_else(|e| panic!("{args}: {}", e.message()))
        .into_static();
    match cmd.body {
        CommandBody::Search {
            charset, criteria, ..
        } => (charset, criteria.into_vec()),
        other => panic!("not a SEARCH: {other:?}"),
    }
}

/// Sequence numbers matching `SEARCH <args>` in `snapshot` over `source`.
fn numbers_in<S: MessageSource>(snapshot: &Snapshot, source: &S, args: &str) -> Vec<u32> {
    let (charset, keys) = parse(args);
    search(
        snapshot,
        &keys,
        charset.as_ref(),
        source,
        &SearchOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{args}: {e}"))
    .numbers
}

fn run_with(args: &str, options: &SearchOptions<'_>) -> Result<SearchResult, SearchError> {
    let (snapshot, source) = mailbox();
    let (charset, keys) = parse(args);
    search(&snapshot, &keys, charset.as_ref(), &source, options)
}

/// Sequence numbers matching `SEARCH <args>` in [`mailbox`].
fn seqs(args: &str) -> Vec<u32> {
    run_with(args, &SearchOptions::default())
        .unwrap_or_else(|e| panic!("{args}: {e}"))
        .numbers
}

fn keys_seqs(keys: &[SearchKey<'_>]) -> Vec<u32> {
    let (snapshot, source) = mailbox();
    search(&snapshot, keys, None, &source, &SearchOptions::default())
        .unwrap()
        .numbers
}

fn s(text: &str) -> AString<'_> {
    AString::try_from(text).unwrap()
}

#[test]
fn all_and_system_flags() {
    assert_eq!(seqs("ALL"), [1, 2, 3, 4, 5, 6]);
    assert_eq!(seqs("ANSWERED"), [1]);
    assert_eq!(seqs("UNANSWERED"), [2, 3, 4, 5, 6]);
    assert_eq!(seqs("DELETED"), [2]);
    assert_eq!(seqs("UNDELETED"), [1, 3, 4, 5, 6]);
    assert_eq!(seqs("DRAFT"), [3]);
    assert_eq!(seqs("UNDRAFT"), [1, 2, 4, 5, 6]);
    assert_eq!(seqs("FLAGGED"), [2]);
    assert_eq!(seqs("UNFLAGGED"), [1, 3, 4, 5, 6]);
    assert_eq!(seqs("SEEN"), [1, 4, 6]);
    assert_eq!(seqs("UNSEEN"), [2, 3, 5]);
}

#[test]
fn no_keys_match_everything() {
    assert_eq!(keys_seqs(&[]), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn recent_new_old() {
    assert_eq!(seqs("RECENT"), [5, 6]);
    assert_eq!(seqs("NEW"), [5], "recent and not seen");
    assert_eq!(seqs("OLD"), [1, 2, 3, 4]);
    assert_eq!(seqs("NOT NEW"), [1, 2, 3, 4, 6]);
}

#[test]
fn keywords() {
    assert_eq!(seqs("KEYWORD $Work"), [1]);
    assert_eq!(seqs("UNKEYWORD $Work"), [2, 3, 4, 5, 6]);
    assert_eq!(seqs("KEYWORD $Junk"), [5]);
    assert_eq!(seqs("KEYWORD $Nothing"), Vec::<u32>::new());
    assert_eq!(seqs("UNKEYWORD $Nothing"), [1, 2, 3, 4, 5, 6]);
    // Keywords are case-insensitive, as the store keeps them.
    assert_eq!(seqs("KEYWORD $work"), [1]);
    assert_eq!(seqs("UNKEYWORD $WORK"), [2, 3, 4, 5, 6]);
}

#[test]
fn sequence_sets_with_star_ranges_and_numbers_past_the_end() {
    assert_eq!(seqs("2:4"), [2, 3, 4]);
    assert_eq!(seqs("4:2"), [2, 3, 4]);
    assert_eq!(seqs("*"), [6]);
    assert_eq!(seqs("5:*"), [5, 6]);
    assert_eq!(seqs("*:5"), [5, 6]);
    assert_eq!(seqs("1,3,6"), [1, 3, 6]);
    assert_eq!(
        seqs("7"),
        Vec::<u32>::new(),
        "past the end: no match, no error"
    );
    assert_eq!(seqs("3:100"), [3, 4, 5, 6]);
    assert_eq!(seqs("100:*"), [6], "100:* is 6:100");
    assert_eq!(seqs("1:4294967295"), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn uid_sets_including_ranges_above_the_top_uid() {
    assert_eq!(seqs("UID 4:9"), [2, 3, 4]);
    assert_eq!(seqs("UID 1:3"), [1]);
    assert_eq!(seqs("UID 3"), Vec::<u32>::new(), "missing UID");
    assert_eq!(seqs("UID 100"), Vec::<u32>::new());
    assert_eq!(seqs("UID 21:*"), [6], "n:* with n above the top UID");
    assert_eq!(seqs("UID *"), [6]);
    assert_eq!(seqs("UID 10:5,20"), [3, 4, 5, 6]);
    let uids = SearchOptions {
        return_uids: true,
        ..SearchOptions::default()
    };
    assert_eq!(run_with("UID 4:9", &uids).unwrap().numbers, [4, 5, 9]);
    assert_eq!(run_with("SEEN", &uids).unwrap().numbers, [2, 9, 20]);
}

#[test]
fn saved_result_dollar() {
    let saved = [10, 4, 99];
    let options = SearchOptions {
        saved: Some(&saved),
        ..SearchOptions::default()
    };
    assert_eq!(run_with("$", &options).unwrap().numbers, [2, 5]);
    assert_eq!(run_with("UID $", &options).unwrap().numbers, [2, 5]);
    assert_eq!(run_with("NOT $", &options).unwrap().numbers, [1, 3, 4, 6]);
    assert_eq!(
        run_with("$ SEEN", &options).unwrap().numbers,
        Vec::<u32>::new()
    );
    let none = SearchOptions::default();
    assert_eq!(run_with("$", &none).unwrap().numbers, Vec::<u32>::new());
    assert_eq!(
        run_with("NOT $", &none).unwrap().numbers,
        [1, 2, 3, 4, 5, 6]
    );
}

#[test]
fn not_or_nested_or_and_parentheses() {
    assert_eq!(seqs("NOT SEEN"), [2, 3, 5]);
    assert_eq!(seqs("NOT NOT SEEN"), [1, 4, 6]);
    assert_eq!(seqs("OR SEEN FLAGGED"), [1, 2, 4, 6]);
    assert_eq!(seqs("OR OR DRAFT DELETED ANSWERED"), [1, 2, 3]);
    assert_eq!(seqs("OR DRAFT OR DELETED ANSWERED"), [1, 2, 3]);
    assert_eq!(seqs("OR (SEEN ANSWERED) (DELETED FLAGGED)"), [1, 2]);
    assert_eq!(seqs("NOT (SEEN RECENT)"), [1, 2, 3, 4, 5]);
    assert_eq!(seqs("(SEEN) (RECENT)"), [6]);
    assert_eq!(seqs("SEEN NOT OR RECENT ANSWERED"), [4]);
    assert_eq!(seqs("NOT OR SEEN UNSEEN"), Vec::<u32>::new());
    assert_eq!(seqs("OR NOT ALL 2"), [2]);
    // OR with an expensive side and a cheap side, either order.
    assert_eq!(seqs("OR FROM bob SEEN"), [1, 2, 4, 6]);
    assert_eq!(seqs("OR SEEN FROM bob"), [1, 2, 4, 6]);
    assert_eq!(seqs("NOT OR FROM bob LARGER 100"), [1, 4, 5, 6]);
}

#[test]
fn larger_and_smaller_are_strict() {
    assert_eq!(seqs("LARGER 100"), [2, 3]);
    assert_eq!(seqs("LARGER 99"), [1, 2, 3, 5]);
    assert_eq!(seqs("SMALLER 100"), [4, 6]);
    assert_eq!(seqs("SMALLER 101"), [1, 4, 5, 6]);
    assert_eq!(seqs("LARGER 100 SMALLER 101"), Vec::<u32>::new());
    assert_eq!(seqs("LARGER 99 SMALLER 101"), [1, 5]);
    assert_eq!(seqs("SMALLER 0"), Vec::<u32>::new());
    assert_eq!(seqs("LARGER 0"), [1, 2, 3, 4, 5]);
    assert_eq!(seqs("LARGER 4294967295"), Vec::<u32>::new());
}

#[test]
fn internal_date_keys_use_the_date_in_its_own_zone() {
    // Message 2 is at midnight exactly, message 3 a second before the next.
    assert_eq!(seqs("ON 2-Nov-2026"), [2, 3]);
    assert_eq!(seqs("BEFORE 2-Nov-2026"), [1]);
    assert_eq!(seqs("SINCE 2-Nov-2026"), [2, 3, 4, 5, 6]);
    assert_eq!(seqs("BEFORE 3-Nov-2026"), [1, 2, 3]);
    assert_eq!(seqs("SINCE 3-Nov-2026"), [4, 5, 6]);
    // Message 1 is 1-Nov 23:30 -0500 (2-Nov in UTC): its own date counts.
    assert_eq!(seqs("ON 1-Nov-2026"), [1]);
    // Message 4 is 3-Nov 00:00 +1400 (2-Nov 10:00 UTC).
    assert_eq!(seqs("ON 3-Nov-2026"), [4, 5]);
    assert_eq!(seqs("BEFORE 1-Nov-2026"), Vec::<u32>::new());
    assert_eq!(seqs("SINCE 5-Nov-2026"), Vec::<u32>::new());
    assert_eq!(seqs("SINCE 2-Nov-2026 BEFORE 3-Nov-2026"), [2, 3]);
    assert_eq!(seqs("NOT ON 2-Nov-2026"), [1, 4, 5, 6]);
}

#[test]
fn saved_date_keys_use_the_save_date_or_else_the_internal_date() {
    let none = || flags(SystemFlags::EMPTY, &[]);
    let snapshot = Snapshot::from_messages([(1, none()), (2, none()), (3, none())]).unwrap();
    let with = |internal, save_date| MessageMeta {
        save_date,
        ..meta(10, internal, None, 1)
    };
    let source: MemorySource = [
        // Received 1-Nov, copied here 4-Nov.
        (
            1,
            with(
                at(2026, 11, 1, 9, 0, 0, 0),
                Some(at(2026, 11, 4, 9, 0, 0, 0)),
            ),
        ),
        // Saved 2-Nov 23:30 -0500 (3-Nov in UTC): its own date counts.
        (
            2,
            with(
                at(2026, 10, 1, 9, 0, 0, 0),
                Some(at(2026, 11, 2, 23, 30, 0, -300)),
            ),
        ),
        // Stored before save dates were kept: its internal date stands in.
        (3, with(at(2026, 11, 3, 12, 0, 0, 0), None)),
    ]
    .into_iter()
    .map(|(uid, m)| (uid, MemoryMessage::new(m)))
    .collect();
    let find = |args: &str| numbers_in(&snapshot, &source, args);
    assert_eq!(find("SAVEDON 4-Nov-2026"), [1]);
    assert_eq!(find("SAVEDON 2-Nov-2026"), [2]);
    assert_eq!(find("SAVEDON 3-Nov-2026"), [3]);
    assert_eq!(find("SAVEDBEFORE 3-Nov-2026"), [2]);
    assert_eq!(find("SAVEDSINCE 3-Nov-2026"), [1, 3]);
    assert_eq!(
        find("SAVEDSINCE 1-Nov-2026 NOT SAVEDSINCE 4-Nov-2026"),
        [2, 3]
    );
    // INTERNALDATE is not the save date.
    assert_eq!(find("ON 1-Nov-2026"), [1]);
    assert!(find("SAVEDON 1-Nov-2026").is_empty());
    // Every mailbox keeps save dates.
    assert_eq!(find("SAVEDATESUPPORTED"), [1, 2, 3]);
    assert!(find("NOT SAVEDATESUPPORTED").is_empty());
}

#[test]
fn sent_date_keys_use_the_date_header_and_skip_messages_without_one() {
    assert_eq!(seqs("SENTON 1-Nov-2026"), [5]);
    assert_eq!(seqs("SENTBEFORE 2-Nov-2026"), [1, 5]);
    assert_eq!(seqs("SENTSINCE 2-Nov-2026"), [3, 4]);
    assert_eq!(seqs("SENTSINCE 1-Jan-1970"), [1, 3, 4, 5]);
    assert_eq!(seqs("NOT SENTON 1-Nov-2026"), [1, 2, 3, 4, 6]);
    assert_eq!(
        seqs("OR SENTBEFORE 1-Jan-2100 SENTSINCE 1-Jan-1900"),
        [1, 3, 4, 5]
    );
}

#[test]
fn modseq_key_and_highest_modseq() {
    assert_eq!(seqs("MODSEQ 7"), [2, 3, 4]);
    assert_eq!(seqs("MODSEQ 13"), Vec::<u32>::new());
    assert_eq!(seqs("MODSEQ 1"), [1, 2, 3, 4, 5, 6]);
    // The per-flag entry is accepted and ignored.
    assert_eq!(seqs("MODSEQ \"/flags/\\\\seen\" all 7"), [2, 3, 4]);
    let with = SearchOptions {
        highest_modseq: true,
        ..SearchOptions::default()
    };
    let r = run_with("SEEN", &with).unwrap();
    assert_eq!(r.numbers, [1, 4, 6]);
    assert_eq!(r.highest_modseq, Some(12));
    let r = run_with("MODSEQ 4 UNSEEN", &with).unwrap();
    assert_eq!((r.numbers, r.highest_modseq), (vec![2, 3], Some(9)));
    let r = run_with("DRAFT DELETED", &with).unwrap();
    assert_eq!(r.highest_modseq, None, "no match, no MODSEQ");
    let r = run_with("SEEN", &SearchOptions::default()).unwrap();
    assert_eq!(r.highest_modseq, None, "not asked for");
}

#[test]
fn address_and_subject_keys() {
    assert_eq!(seqs("FROM example.org"), [1, 2, 3, 4, 5]);
    assert_eq!(seqs("FROM ADA"), [1]);
    assert_eq!(seqs("FROM \"ada lovelace\""), [1]);
    assert_eq!(seqs("TO bob"), [1]);
    assert_eq!(seqs("CC CAROL"), [2]);
    assert_eq!(seqs("BCC dave"), [3]);
    assert_eq!(seqs("SUBJECT invoice"), [2]);
    assert_eq!(seqs("SUBJECT nothing-like-this"), Vec::<u32>::new());
    // Empty strings match the messages that have the field.
    assert_eq!(seqs("SUBJECT \"\""), [1, 2, 3, 5]);
    assert_eq!(seqs("FROM \"\""), [1, 2, 3, 4, 5]);
    assert_eq!(seqs("BCC \"\""), [3]);
}

#[test]
fn non_ascii_text_matches_with_simple_lowercase_mapping() {
    assert_eq!(keys_seqs(&[SearchKey::From(s("jörg"))]), [4]);
    assert_eq!(keys_seqs(&[SearchKey::From(s("JÖRG"))]), [4]);
    assert_eq!(keys_seqs(&[SearchKey::Subject(s("grüße"))]), [1]);
    assert_eq!(keys_seqs(&[SearchKey::Subject(s("GRÜSSE"))]), [5]);
    assert_eq!(keys_seqs(&[SearchKey::Subject(s("grüsse"))]), [5]);
    // Documented: ß is not folded to ss.
    assert_eq!(keys_seqs(&[SearchKey::Subject(s("GRÜßE"))]), [1]);
    assert_eq!(keys_seqs(&[SearchKey::Body(s("ÜBERWEISEN"))]), [2]);
}

#[test]
fn header_key() {
    assert_eq!(seqs("HEADER X-Spam \"\""), [2], "empty value: presence");
    assert_eq!(seqs("HEADER x-spam YES"), [2]);
    assert_eq!(seqs("HEADER X-Spam no"), Vec::<u32>::new());
    assert_eq!(seqs("HEADER X-Missing \"\""), Vec::<u32>::new());
    assert_eq!(seqs("HEADER Received \"from b\""), [4], "any occurrence");
    assert_eq!(seqs("HEADER SUBJECT \"\""), seqs("SUBJECT \"\""));
    assert_eq!(seqs("NOT HEADER X-Spam \"\""), [1, 3, 4, 5, 6]);
}

#[test]
fn body_and_text_keys() {
    assert_eq!(seqs("BODY text"), [4]);
    assert_eq!(seqs("BODY HELLO"), [1]);
    assert_eq!(
        seqs("BODY ada"),
        Vec::<u32>::new(),
        "BODY ignores the header"
    );
    assert_eq!(seqs("TEXT ada"), [1], "TEXT searches the header");
    assert_eq!(seqs("TEXT hello"), [1], "and the body");
    assert_eq!(seqs("TEXT \"Subject: Re\""), [2], "field names too");
    assert_eq!(seqs("BODY \"\""), [1, 2, 3, 4, 5, 6]);
    assert_eq!(seqs("TEXT \"\""), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn charsets() {
    assert_eq!(seqs("CHARSET UTF-8 FROM ada"), [1]);
    assert_eq!(seqs("CHARSET us-ascii FROM ada"), [1]);
    for args in ["CHARSET ISO-8859-1 SEEN", "CHARSET KOI8-R FROM ada"] {
        let err = run_with(args, &SearchOptions::default()).unwrap_err();
        assert!(matches!(err, SearchError::BadCharset(_)), "{args}: {err}");
    }
    let (snapshot, source) = mailbox();
    let ascii = Charset::try_from("US-ASCII").unwrap();
    let utf8 = Charset::try_from("UTF-8").unwrap();
    let jorg = [SearchKey::From(s("jörg"))];
    let err = search(
        &snapshot,
        &jorg,
        Some(&ascii),
        &source,
        &SearchOptions::default(),
    );
    assert!(matches!(err, Err(SearchError::NotAscii)));
    let ok = search(
        &snapshot,
        &jorg,
        Some(&utf8),
        &source,
        &SearchOptions::default(),
    );
    assert_eq!(ok.unwrap().numbers, [4]);
    let bad = [SearchKey::Body(
        AString::try_from(&b"\xff\xfe"[..]).unwrap(),
    )];
    let err = search(
        &snapshot,
        &bad,
        Some(&utf8),
        &source,
        &SearchOptions::default(),
    );
    assert!(matches!(err, Err(SearchError::InvalidUtf8)));
    assert_eq!(
        hadron_state::search::SUPPORTED_CHARSETS.join(" "),
        "UTF-8 US-ASCII"
    );
}

#[test]
fn empty_mailbox() {
    let snapshot = Snapshot::new();
    let source = Counting::new(MemorySource::new());
    for args in [
        "ALL",
        "*",
        "1:*",
        "1",
        "UID 1:*",
        "UID *",
        "UNSEEN",
        "SINCE 1-Jan-2000",
        "FROM x",
        "TEXT \"\"",
        "NOT ALL",
        "OR SEEN NOT SEEN",
    ] {
        let (charset, keys) = parse(args);
        let r = search(
            &snapshot,
            &keys,
            charset.as_ref(),
            &source,
            &SearchOptions {
                highest_modseq: true,
                ..SearchOptions::default()
            },
        )
        .unwrap();
        assert_eq!(r, SearchResult::default(), "{args}");
    }
    assert_eq!(source.total(), 0);
}

#[test]
fn pending_expunge_messages_are_still_searched() {
    let (mut snapshot, source) = mailbox();
    snapshot.mark_pending_expunge(&[4]);
    let (charset, keys) = parse("FROM bob");
    let r = search(
        &snapshot,
        &keys,
        charset.as_ref(),
        &source,
        &SearchOptions::default(),
    );
    assert_eq!(r.unwrap().numbers, [2]);
}

/// A source that counts what it is asked.
struct Counting<S> {
    inner: S,
    metadata_calls: Cell<usize>,
    metadata_uids: Cell<usize>,
    header_calls: Cell<usize>,
    header_text_calls: Cell<usize>,
    body_calls: Cell<usize>,
}

impl<S> Counting<S> {
    fn new(inner: S) -> Self {
        Counting {
            inner,
            metadata_calls: Cell::new(0),
            metadata_uids: Cell::new(0),
            header_calls: Cell::new(0),
            header_text_calls: Cell::new(0),
            body_calls: Cell::new(0),
        }
    }

    fn total(&self) -> usize {
        self.metadata_calls.get()
            + self.header_calls.get()
            + self.header_text_calls.get()
            + self.body_calls.get()
    }
}

fn bump(c: &Cell<usize>, by: usize) {
    c.set(c.get() + by);
}

impl<S: MessageSource> MessageSource for Counting<S> {
    fn metadata(&self, uids: &[u32]) -> Result<Vec<MessageMeta>, SourceError> {
        bump(&self.metadata_calls, 1);
        bump(&self.metadata_uids, uids.len());
        assert!(uids.is_sorted(), "batches come ascending");
        self.inner.metadata(uids)
    }
    fn header_values(&self, uid: u32, name: &str) -> Result<Vec<Cow<'_, str>>, SourceError> {
        bump(&self.header_calls, 1);
        self.inner.header_values(uid, name)
    }
    fn header_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        bump(&self.header_text_calls, 1);
        self.inner.header_text(uid)
    }
    fn body_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        bump(&self.body_calls, 1);
        self.inner.body_text(uid)
    }
}

/// A source that fails on everything.
struct Broken;

impl MessageSource for Broken {
    fn metadata(&self, _: &[u32]) -> Result<Vec<MessageMeta>, SourceError> {
        Err("disk on fire".into())
    }
    fn header_values(&self, _: u32, _: &str) -> Result<Vec<Cow<'_, str>>, SourceError> {
        Err("disk on fire".into())
    }
    fn header_text(&self, _: u32) -> Result<Cow<'_, str>, SourceError> {
        Err("disk on fire".into())
    }
    fn body_text(&self, _: u32) -> Result<Cow<'_, str>, SourceError> {
        Err("disk on fire".into())
    }
}

#[test]
fn snapshot_only_searches_never_call_the_source() {
    let saved = [2, 9];
    let options = SearchOptions {
        saved: Some(&saved),
        return_uids: true,
        highest_modseq: false,
        now: None,
    };
    for args in [
        "ALL",
        "SEEN UNSEEN ANSWERED UNANSWERED",
        "OR DELETED UNDELETED",
        "OR DRAFT OR UNDRAFT OR FLAGGED UNFLAGGED",
        "RECENT",
        "NEW",
        "NOT OLD",
        "KEYWORD $Work",
        "UNKEYWORD $Junk",
        "1:* UID 4:* $",
        "NOT (2,4:* OR UID $ SEEN)",
        "OR (NOT KEYWORD $Junk) (UID 1:5 NOT *)",
    ] {
        let (snapshot, source) = mailbox();
        let counting = Counting::new(source);
        let (charset, keys) = parse(args);
        search(&snapshot, &keys, charset.as_ref(), &counting, &options).unwrap();
        // Even a source that fails on every call is fine.
        search(&snapshot, &keys, charset.as_ref(), &Broken, &options).unwrap();
        assert_eq!(counting.total(), 0, "{args}");
    }
}

#[test]
fn command_errors_come_before_any_source_call() {
    let (snapshot, _) = mailbox();
    let (charset, keys) = parse("CHARSET UTF-16 LARGER 5 FROM x");
    let r = search(
        &snapshot,
        &keys,
        charset.as_ref(),
        &Broken,
        &SearchOptions::default(),
    );
    assert!(matches!(r, Err(SearchError::BadCharset(c)) if c == "UTF-16"));
}

#[test]
fn source_errors_are_passed_on() {
    let (snapshot, _) = mailbox();
    for args in ["LARGER 5", "FROM x", "BODY x", "TEXT x", "SEEN SUBJECT y"] {
        let (charset, keys) = parse(args);
        let r = search(
            &snapshot,
            &keys,
            charset.as_ref(),
            &Broken,
            &SearchOptions::default(),
        );
        match r {
            Err(SearchError::Source(e)) => assert_eq!(e.to_string(), "disk on fire"),
            other => panic!("{args}: {other:?}"),
        }
    }
    // An empty candidate set never reaches the source.
    let (charset, keys) = parse("DRAFT DELETED FROM x");
    let r = search(
        &snapshot,
        &keys,
        charset.as_ref(),
        &Broken,
        &SearchOptions::default(),
    );
    assert!(r.unwrap().numbers.is_empty());
}

/// A mailbox of `n` messages: every 10th unseen, sizes `uid % 1000`,
/// one day per 1000 messages, From `user{uid % 100}`.
fn big(n: u32) -> (Snapshot, MemorySource) {
    let snapshot = Snapshot::from_messages((1..=n).map(|u| {
        let f = if u % 10 == 0 {
            SystemFlags::EMPTY
        } else {
            SystemFlags::SEEN
        };
        (u, FlagSet::system(f))
    }))
    .unwrap();
    let source = (1..=n)
        .map(|u| {
            let date =
                DateTime::from_unix(1_700_000_000 + i64::from(u / 1000) * 86_400, 0).unwrap();
            let m = MemoryMessage::new(meta(u % 1000, date, None, u64::from(u)))
                .header("From", format!("user{} <u@example.org>", u % 100))
                .body(format!("message {u}"));
            (u, m)
        })
        .collect();
    (snapshot, source)
}

#[test]
fn cheap_keys_first_and_the_source_only_for_candidates() {
    let (snapshot, source) = big(10_000);
    let source = Counting::new(source);
    let run = |args: &str| numbers_in(&snapshot, &source, args);

    // Metadata in batches of at most 4096 UIDs, each message once even
    // with two metadata keys.
    let r = run("SINCE 1-Jan-2000 LARGER 500");
    assert_eq!(r.len(), 10_000 / 1000 * 499);
    assert_eq!(source.metadata_calls.get(), 3);
    assert_eq!(source.metadata_uids.get(), 10_000);
    assert_eq!(source.header_calls.get(), 0);

    // FROM written first, UNSEEN second: UNSEEN still narrows first, so
    // the header is read for the 1,000 unseen messages only.
    let before = source.header_calls.get();
    let r = run("FROM \"user7 <\" UNSEEN");
    assert!(r.is_empty(), "unseen messages are multiples of 10");
    assert_eq!(source.header_calls.get() - before, 1_000);

    // Header keys after metadata keys: LARGER 990 leaves 9 per 1000.
    let before = source.header_calls.get();
    let r = run("FROM user99 LARGER 990");
    assert_eq!(
        r.len(),
        10,
        "sizes 991..999 and uid % 100 == 99: uid % 1000 == 999"
    );
    assert_eq!(source.header_calls.get() - before, 90);

    // OR: the expensive side only for what the cheap side did not match.
    let before = source.header_calls.get();
    let r = run("OR FROM user1> SEEN");
    assert_eq!(r.len(), 9_000);
    assert_eq!(source.header_calls.get() - before, 1_000);

    // NOT (A B): B only where A matched.
    let before = source.body_calls.get();
    run("NOT (UNSEEN BODY \"message 1\")");
    assert_eq!(source.body_calls.get() - before, 1_000);

    // Empty BODY/TEXT strings match without reading anything.
    let (bt, hb) = (source.header_text_calls.get(), source.body_calls.get());
    assert_eq!(run("BODY \"\" TEXT \"\"").len(), 10_000);
    assert_eq!(source.header_text_calls.get() - bt, 0);
    assert_eq!(source.body_calls.get() - hb, 0);

    // TEXT reads the body only when the header did not match.
    let (bt, hb) = (source.header_text_calls.get(), source.body_calls.get());
    run("UID 1:100 TEXT example.org");
    assert_eq!(source.header_text_calls.get() - bt, 100);
    assert_eq!(source.body_calls.get() - hb, 0);
}

#[test]
fn metadata_for_few_candidates_then_many() {
    let (snapshot, source) = big(10_000);
    let source = Counting::new(source);
    let run = |args: &str| numbers_in(&snapshot, &source, args);
    // Few candidates: only they are fetched.
    let r = run("UID 9990:* LARGER 995");
    assert_eq!(r, [9996, 9997, 9998, 9999]);
    assert_eq!(source.metadata_uids.get(), 11);
    // A few first (LARGER on ten), then all of them (SMALLER on the rest).
    let r = run("OR (UID 1:10 LARGER 5) SMALLER 3");
    let expected: Vec<u32> = (1..=10_000)
        .filter(|&u| (u <= 10 && u % 1000 > 5) || u % 1000 < 3)
        .collect();
    assert_eq!(r, expected);
    assert_eq!(source.metadata_uids.get(), 11 + 10 + 9_990);
    // Highest modseq over a mix of cached and new entries.
    let (charset, keys) = parse("OR (UID 1:10 LARGER 5) UID 9000:*");
    let r = search(
        &snapshot,
        &keys,
        charset.as_ref(),
        &source,
        &SearchOptions {
            highest_modseq: true,
            ..SearchOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.highest_modseq, Some(10_000));
}

#[test]
fn uses_modseq_looks_everywhere() {
    use hadron_state::search::uses_modseq;
    assert!(!uses_modseq(&parse("SEEN OR FROM x (LARGER 5)").1));
    assert!(uses_modseq(&parse("MODSEQ 5").1));
    assert!(uses_modseq(&parse("SEEN NOT (UNSEEN OR DRAFT MODSEQ 5)").1));
}

#[test]
fn works_through_a_trait_object() {
    let (snapshot, source) = mailbox();
    let dynamic: &dyn MessageSource = &source;
    let (charset, keys) = parse("FROM bob");
    let r = search(
        &snapshot,
        &keys,
        charset.as_ref(),
        dynamic,
        &SearchOptions::default(),
    );
    assert_eq!(r.unwrap().numbers, [2]);
}
