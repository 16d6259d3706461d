//! Dovecot's imaptest scripts, run against Hadron's message parsing and
//! SEARCH without a server.
//!
//! The scripts and their mbox files are read from the imaptest source
//! snapshot in the project's `shared/tools/imaptest` (beside the
//! repository, as CI and every developer machine have it), unpacked once
//! under cargo's target directory; nothing of imaptest is copied into the
//! repository. This file reads them the way imaptest does — messages split at mbox `From ` lines
//! with LF turned into CRLF, `{{{ ... }}}` blocks as literals, `$name`
//! variables bound at first use — and checks every expected response:
//! FETCH items are produced as a session produces them (stored ENVELOPE and
//! BODYSTRUCTURE bytes, sections and BINARY parts read through the stored
//! part map) and
//! compared in wire form, ASCII case-insensitively as imaptest compares;
//! SEARCH runs through `hadron_state::search` over a source that answers
//! as the store-backed one does (FROM/TO/CC/SUBJECT from the fields stored
//! at ingest, other header fields and text from the raw message).

use std::borrow::Cow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use hadron_proto::encode;
use hadron_proto::parse::{self, ParseLimits};
use hadron_proto::types::{
    BinaryData, BodyData, BodyStructure, CommandBody, Data, DateTime, FetchAttribute, FetchItem,
    IString, NString, Part, Response, Section, SinglePartKind, StoreKind, WireList,
};
use hadron_state::flags::FlagSet;
use hadron_state::message::{self, ParsedMessage, PartMap, Structure, read_section};
use hadron_state::search::{MessageMeta, MessageSource, SearchOptions, SourceError, search};
use hadron_state::snapshot::Snapshot;

/// imaptest's `src/tests`, unpacked from the snapshot on first use.
fn data_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let tarball = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/tools/imaptest/imaptest-924f619.tar.gz");
        assert!(
            tarball.is_file(),
            "imaptest's sources are not at {} (the project's shared/ folder belongs beside the repository)",
            tarball.display()
        );
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("imaptest-924f619");
        let dir = root.join("imaptest/src/tests");
        if !dir.is_dir() {
            // Unpack beside, then rename: a test binary killed halfway
            // never leaves a partial directory behind.
            let tmp = root.with_extension(format!("tmp-{}", std::process::id()));
            std::fs::create_dir_all(&tmp).expect("temporary directory");
            let status = std::process::Command::new("tar")
                .arg("-xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(&tmp)
                .arg("imaptest/src/tests")
                .status()
                .expect("running tar");
            assert!(status.success(), "tar could not unpack {}", tarball.display());
            if std::fs::rename(&tmp, &root).is_err() {
                // Another test binary won the race; use its copy.
                let _ = std::fs::remove_dir_all(&tmp);
            }
        }
        dir
    })
    .clone()
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The messages of an mbox file as imaptest APPENDs them: each runs from
/// the line after its `From ` line up to the next `From ` line (the empty
/// line before it included), with every line ending made CRLF.
fn mbox(name: &str) -> Vec<Vec<u8>> {
    let text = read(name);
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") && current.as_ref().is_none_or(|m| !m.is_empty()) {
            messages.extend(current.take());
            current = Some(Vec::new());
            continue;
        }
        let msg = current.get_or_insert_with(Vec::new);
        match line.strip_suffix(b"\n") {
            Some(content) => {
                msg.extend_from_slice(content.strip_suffix(b"\r").unwrap_or(content));
                msg.extend_from_slice(b"\r\n");
            }
            None => msg.extend_from_slice(line),
        }
    }
    messages.extend(current);
    messages
}

/// One command of a script with the untagged responses expected for it
/// (`true`) or forbidden (`false`, imaptest's `!` lines).
#[derive(Debug)]
struct Step {
    command: String,
    replies: Vec<(bool, Vec<u8>)>,
}

/// A script: its header (`messages: all`, ...) and its steps. Every
/// command in the scripts used here is expected to answer OK.
struct Script {
    header: HashMap<String, String>,
    steps: Vec<Step>,
}

/// Reads a script; `{{{`/`~{{{` ... `}}}` blocks become literals (lines
/// joined by CRLF, or for `~{{{` by the line's own ending; the last line
/// ending dropped), as imaptest's test parser builds them.
fn script(name: &str) -> Script {
    let text = read(name);
    let mut lines = text.split(|&b| b == b'\n').peekable();
    let mut header = HashMap::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(line);
        let (k, v) = line.split_once(':').expect("header line");
        header.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    let mut steps: Vec<Step> = Vec::new();
    while let Some(line) = lines.next() {
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        if let Some(cmd) = line.strip_prefix(b"ok ") {
            steps.push(Step {
                command: String::from_utf8(cmd.to_vec()).expect("ASCII command"),
                replies: Vec::new(),
            });
            continue;
        }
        let (must, rest) = match line {
            [b'*', b' ', ..] => (true, line),
            [b'!', b' ', rest @ ..] => (false, rest),
            _ => panic!("{name}: unexpected line {}", line.escape_ascii()),
        };
        let mut reply = Vec::new();
        if must {
            reply.extend_from_slice(rest);
        } else {
            reply.extend_from_slice(b"* ");
            reply.extend_from_slice(rest);
        }
        // Literal blocks, possibly several on one reply.
        while reply.ends_with(b"{{{") {
            reply.truncate(reply.len() - 3);
            let binary = reply.last() == Some(&b'~');
            if binary {
                reply.pop();
            }
            let mut content = Vec::new();
            let mut last_line_end = 0;
            let tail = loop {
                let l = lines.next().expect("unterminated {{{");
                if let Some(tail) = l.strip_prefix(b"}}}") {
                    break tail;
                }
                content.extend_from_slice(l);
                last_line_end = content.len();
                content.extend_from_slice(if binary { b"\n" } else { b"\r\n" });
            };
            content.truncate(last_line_end);
            reply.extend_from_slice(format!("{{{}}}\r\n", content.len()).as_bytes());
            reply.extend_from_slice(&content);
            reply.extend_from_slice(tail);
        }
        reply.extend_from_slice(b"\r\n");
        steps
            .last_mut()
            .expect("a reply before any command")
            .replies
            .push((must, reply));
    }
    Script { header, steps }
}

/// A mailbox as the scripts see it: the messages, their flags, and the
/// script's variables.
struct Mailbox {
    messages: Vec<Vec<u8>>,
    parsed: Vec<ParsedMessage>,
    flags: Vec<FlagSet>,
    vars: HashMap<String, Vec<u8>>,
}

impl Mailbox {
    fn new(messages: Vec<Vec<u8>>) -> Mailbox {
        Mailbox {
            parsed: messages.iter().map(|m| ParsedMessage::parse(m)).collect(),
            flags: vec![FlagSet::default(); messages.len()],
            messages,
            vars: HashMap::new(),
        }
    }

    /// A snapshot with UIDs 1..=n, every message `\Recent` (all were just
    /// appended).
    fn snapshot(&self) -> Snapshot {
        let mut s = Snapshot::new();
        for (i, f) in self.flags.iter().enumerate() {
            s.push(i as u32 + 1, f, true).unwrap();
        }
        s
    }
}

/// Replaces every `$name` of `text` by the variable's value (`$$` is a
/// `$`, as in keywords such as `$$hello`).
fn substitute(text: &str, vars: &HashMap<String, Vec<u8>>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        if rest[at + 1..].starts_with('$') {
            out.push('$');
            rest = &rest[at + 2..];
            continue;
        }
        let name: String = rest[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let value = vars
            .get(&name)
            .unwrap_or_else(|| panic!("${name} used before it is set"));
        out.push_str(std::str::from_utf8(value).expect("ASCII variable"));
        rest = &rest[at + 1 + name.len()..];
    }
    out.push_str(rest);
    out
}

/// Replaces each `$name` of an expected reply by a placeholder the parser
/// reads (`0` after `RFC822.SIZE`, else `NIL`; `$$` is a `$`); returns the
/// names in order.
fn placeholders(reply: &[u8]) -> (Vec<u8>, Vec<String>) {
    let mut out = Vec::new();
    let mut names = Vec::new();
    let mut i = 0;
    while i < reply.len() {
        if reply[i] != b'$' {
            out.push(reply[i]);
            i += 1;
            continue;
        }
        if reply.get(i + 1) == Some(&b'$') {
            out.push(b'$');
            i += 2;
            continue;
        }
        let len = reply[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        names.push(String::from_utf8(reply[i + 1..i + 1 + len].to_vec()).unwrap());
        let size = out.to_ascii_lowercase().ends_with(b"rfc822.size ");
        out.extend_from_slice(if size { b"0" } else { b"NIL" });
        i += 1 + len;
    }
    (out, names)
}

fn inline(bytes: Vec<u8>) -> BodyData<'static> {
    BodyData::Inline(NString(Some(IString::try_from(bytes).expect("no NUL"))))
}

/// What a FETCH item carries, for a variable: the content or the number.
fn item_value(item: &FetchItem<'_>) -> Option<Vec<u8>> {
    match item {
        FetchItem::Rfc822(d)
        | FetchItem::Rfc822Header(d)
        | FetchItem::Rfc822Text(d)
        | FetchItem::BodySection { data: d, .. } => match d {
            BodyData::Inline(NString(Some(s))) => Some(s.as_bytes().to_vec()),
            _ => None,
        },
        FetchItem::Rfc822Size(n) => Some(n.to_string().into_bytes()),
        _ => None,
    }
}

/// Whether an expected item stands for a variable: the `NIL` or `0`
/// [`placeholders`] put in its place.
fn is_placeholder(item: &FetchItem<'_>) -> bool {
    match item {
        FetchItem::Rfc822Size(n) => *n == 0,
        FetchItem::Rfc822(d)
        | FetchItem::Rfc822Header(d)
        | FetchItem::Rfc822Text(d)
        | FetchItem::BodySection { data: d, .. } => matches!(d, BodyData::Inline(NString(None))),
        _ => false,
    }
}

/// One FETCH item in wire form.
fn wire(item: FetchItem<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode::response(
        &Response::Data(Data::Fetch {
            seq: NonZeroU32::MIN,
            items: vec![item],
        }),
        &mut out,
    );
    out
}

/// Whether `ours` answers the same attribute as `expected`.
fn same_attribute(ours: &FetchItem<'_>, expected: &FetchItem<'_>) -> bool {
    use FetchItem as F;
    match (ours, expected) {
        (F::BodySection { section: a, .. }, F::BodySection { section: b, .. }) => a == b,
        (F::Binary { part: a, .. }, F::Binary { part: b, .. })
        | (F::BinarySize { part: a, .. }, F::BinarySize { part: b, .. }) => a == b,
        (F::EnvelopeWire(_), F::Envelope(_)) | (F::BodyStructureWire(_), F::BodyStructure(_)) => {
            true
        }
        _ => std::mem::discriminant(ours) == std::mem::discriminant(expected),
    }
}

/// The items a session sends for `attrs` of message `seq`: stored
/// ENVELOPE/BODYSTRUCTURE bytes, sections read through the stored part
/// map. FLAGS, UID and INTERNALDATE are the session's business, not the
/// message's, and are left out.
fn fetch_items(mb: &Mailbox, seq: u32, attrs: &[FetchAttribute<'_>]) -> Vec<FetchItem<'static>> {
    let raw = &mb.messages[seq as usize - 1];
    let parsed = &mb.parsed[seq as usize - 1];
    let map = PartMap::from_bytes(&parsed.part_map.to_bytes()).expect("stored part map");
    let section = |s: &Section<'_>, partial: Option<(u32, u32)>| {
        let read = |r: std::ops::Range<usize>| Ok::<_, std::convert::Infallible>(raw[r].to_vec());
        match read_section(&map, s, partial, read) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    };
    let mut items = Vec::new();
    for a in attrs {
        items.push(match a {
            FetchAttribute::Envelope => {
                FetchItem::EnvelopeWire(WireList::new(parsed.envelope.clone()).unwrap())
            }
            FetchAttribute::BodyStructure => {
                FetchItem::BodyStructureWire(WireList::new(parsed.body_structure.clone()).unwrap())
            }
            FetchAttribute::Body => FetchItem::Body(Box::new(Structure::parse(raw).body)),
            FetchAttribute::Rfc822Size => FetchItem::Rfc822Size(raw.len() as u32),
            FetchAttribute::Rfc822 => FetchItem::Rfc822(inline(section(&Section::Full, None))),
            FetchAttribute::Rfc822Header => {
                FetchItem::Rfc822Header(inline(section(&Section::Header(None), None)))
            }
            FetchAttribute::Rfc822Text => {
                FetchItem::Rfc822Text(inline(section(&Section::Text(None), None)))
            }
            FetchAttribute::BodySection {
                section: s,
                partial,
                ..
            } => FetchItem::BodySection {
                section: s.clone().into_static(),
                origin: partial.map(|p| p.0),
                data: inline(section(s, partial.map(|(o, n)| (o, n.get())))),
            },
            FetchAttribute::Binary { part, partial, .. } => {
                let partial = partial.map(|(o, n)| (o, n.get()));
                let read = |r: std::ops::Range<usize>| Ok::<_, Infallible>(raw[r].to_vec());
                let Ok(data) = message::read_binary(&map, part.as_ref(), partial, read);
                FetchItem::Binary {
                    part: part.as_ref().map(|p| p.path().to_vec()).unwrap_or_default(),
                    origin: partial.map(|p| p.0),
                    data: BinaryData::Bytes(data.expect("a known encoding").into()),
                }
            }
            FetchAttribute::BinarySize { part } => {
                let read = |r: std::ops::Range<usize>| Ok::<_, Infallible>(raw[r].to_vec());
                let Ok(size) = message::binary_size(&map, part.as_ref(), read);
                FetchItem::BinarySize {
                    part: part.as_ref().map(|p| p.path().to_vec()).unwrap_or_default(),
                    size: size.expect("a known encoding") as u32,
                }
            }
            FetchAttribute::Flags | FetchAttribute::Uid | FetchAttribute::InternalDate => continue,
            other => panic!("attribute not covered: {other:?}"),
        });
    }
    items
}

/// Checks the replies of one FETCH step; binds variables at first use.
fn check_fetch(mb: &mut Mailbox, step: &Step, attrs: &[FetchAttribute<'_>], name: &str) {
    for (must, reply) in &step.replies {
        let (line, vars) = placeholders(reply);
        let parsed = parse::response(&line)
            .unwrap_or_else(|e| panic!("{name}: cannot parse {}: {e:?}", line.escape_ascii()));
        let Response::Data(Data::Fetch { seq, items }) = parsed else {
            panic!("{name}: not a FETCH: {}", line.escape_ascii());
        };
        let ours = fetch_items(mb, seq.get(), attrs);
        let mut vars = vars.into_iter();
        let mut mismatches = Vec::new();
        for expected in items {
            if matches!(expected, FetchItem::Flags(_)) {
                continue;
            }
            let Some(mine) = ours.iter().find(|o| same_attribute(o, &expected)) else {
                panic!("{name}: `{}`: no such item produced", step.command);
            };
            if is_placeholder(&expected) {
                let var = vars.next().expect("a variable per placeholder");
                let value = item_value(mine).expect("a value");
                match mb.vars.get(&var) {
                    Some(bound) if *bound != value => mismatches.push(format!(
                        "${var}: {} then {}",
                        bound.escape_ascii(),
                        value.escape_ascii()
                    )),
                    Some(_) => {}
                    None => {
                        mb.vars.insert(var, value);
                    }
                }
                continue;
            }
            let (a, b) = (wire(mine.clone()), wire(expected));
            if !a.eq_ignore_ascii_case(&b) {
                mismatches.push(format!(
                    "got      {}\nexpected {}",
                    a.escape_ascii(),
                    b.escape_ascii()
                ));
            }
        }
        if *must {
            assert!(
                mismatches.is_empty(),
                "{name}: `{}`:\n{}",
                step.command,
                mismatches.join("\n")
            );
        } else {
            assert!(
                !mismatches.is_empty(),
                "{name}: `{}` gave the forbidden {}",
                step.command,
                reply.escape_ascii()
            );
        }
    }
}

/// The numbers of a `* SEARCH n n ...` reply.
fn search_numbers(reply: &[u8]) -> Vec<u32> {
    let text = std::str::from_utf8(reply).unwrap();
    let mut words = text.split_whitespace();
    assert_eq!(words.next(), Some("*"));
    assert!(words.next().unwrap().eq_ignore_ascii_case("search"));
    words.map(|w| w.parse().unwrap()).collect()
}

/// A [`MessageSource`] over raw messages (UID n is message n) answering as
/// the store-backed source does.
struct Raw<'a>(&'a Mailbox);

impl Raw<'_> {
    fn raw(&self, uid: u32) -> &[u8] {
        &self.0.messages[uid as usize - 1]
    }
}

impl MessageSource for Raw<'_> {
    fn metadata(&self, uids: &[u32]) -> Result<Vec<MessageMeta>, SourceError> {
        let internal = DateTime::from_unix(1_200_000_000, 0)?;
        Ok(uids
            .iter()
            .map(|&uid| MessageMeta {
                size: self.raw(uid).len() as u32,
                internal_date: internal,
                sent_date: message::sent_date(self.raw(uid)),
                modseq: 1,
                save_date: None,
            })
            .collect())
    }

    fn header_values(&self, uid: u32, name: &str) -> Result<Vec<Cow<'_, str>>, SourceError> {
        // FROM/TO/CC/SUBJECT: the fields stored at ingest (absent when
        // empty), as the store keeps them; the rest from the message.
        let f = &self.0.parsed[uid as usize - 1].fields;
        let stored = match name.to_ascii_lowercase().as_str() {
            "from" => Some(&f.from),
            "to" => Some(&f.to),
            "cc" => Some(&f.cc),
            "subject" => Some(&f.subject),
            _ => None,
        };
        Ok(match stored {
            Some(v) if v.is_empty() => Vec::new(),
            Some(v) => vec![Cow::Borrowed(v.as_str())],
            None => message::header_values(self.raw(uid), name)
                .into_iter()
                .map(Cow::Owned)
                .collect(),
        })
    }

    fn header_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        Ok(Cow::Owned(message::header_text(self.raw(uid))))
    }

    fn body_text(&self, uid: u32) -> Result<Cow<'_, str>, SourceError> {
        let raw = self.raw(uid);
        let parts: Vec<String> = Structure::parse(raw)
            .part_map
            .text_parts(raw, usize::MAX)
            .collect();
        Ok(Cow::Owned(parts.join("\n")))
    }
}

/// Runs script `name` on the messages of its mbox (or, for `messages: N`
/// without an mbox, on N small messages).
fn run(name: &str) {
    let s = script(name);
    let messages = if data_dir().join(format!("{name}.mbox")).exists() {
        mbox(&format!("{name}.mbox"))
    } else {
        let n: usize = s.header["messages"].parse().expect("a message count");
        (1..=n)
            .map(|i| format!("Subject: {i}\r\n\r\nbody {i}\r\n").into_bytes())
            .collect()
    };
    let mut mb = Mailbox::new(messages);
    for step in &s.steps {
        let line = format!("a {}\r\n", substitute(&step.command, &mb.vars));
        let cmd = parse::command(line.as_bytes(), &ParseLimits::default())
            .unwrap_or_else(|e| panic!("{name}: `{}`: {}", step.command, e.message()));
        match cmd.body {
            CommandBody::Fetch { items, .. } => {
                check_fetch(&mut mb, step, &items.attributes(), name);
            }
            CommandBody::Search {
                charset, criteria, ..
            } => {
                let snapshot = mb.snapshot();
                let keys = criteria.into_vec();
                let found = search(
                    &snapshot,
                    &keys,
                    charset.as_ref(),
                    &Raw(&mb),
                    &SearchOptions::default(),
                )
                .unwrap_or_else(|e| panic!("{name}: `{}`: {e}", step.command));
                for (must, reply) in &step.replies {
                    assert!(must, "{name}: no `!` SEARCH replies are expected");
                    assert_eq!(
                        found.numbers,
                        search_numbers(reply),
                        "{name}: `{}`",
                        step.command
                    );
                }
            }
            CommandBody::Store { set, action, .. } => {
                let snapshot = mb.snapshot();
                let given = FlagSet::from_flags(action.flags.iter().cloned());
                for seq in snapshot.resolve_seqs(&set).unwrap().iter() {
                    let f = &mut mb.flags[seq as usize - 1];
                    *f = match action.kind {
                        StoreKind::Replace => given.clone(),
                        StoreKind::Add => f.union(&given),
                        StoreKind::Remove => f.difference(&given),
                    };
                }
            }
            other => panic!("{name}: command not covered: {other:?}"),
        }
    }
}

#[test]
fn fetch_bodystructure() {
    run("fetch-bodystructure");
}

#[test]
fn fetch_envelope() {
    run("fetch-envelope");
}

#[test]
fn fetch_body() {
    run("fetch-body");
}

#[test]
fn fetch_body_mime() {
    run("fetch-body-mime");
}

#[test]
fn fetch_body_message_rfc822() {
    run("fetch-body-message-rfc822");
}

#[test]
fn fetch_body_message_rfc822_mime() {
    run("fetch-body-message-rfc822-mime");
}

#[test]
fn fetch_body_message_rfc822_x2() {
    run("fetch-body-message-rfc822-x2");
}

#[test]
fn fetch_binary_mime() {
    run("fetch-binary-mime");
}

#[test]
fn fetch_binary_mime_qp() {
    run("fetch-binary-mime-qp");
}

#[test]
fn fetch_binary_mime_base64() {
    run("fetch-binary-mime-base64");
}

#[test]
fn search_addresses() {
    run("search-addresses");
}

#[test]
fn search_header() {
    run("search-header");
}

#[test]
fn search_body() {
    run("search-body");
}

#[test]
fn search_date() {
    run("search-date");
}

#[test]
fn search_size() {
    run("search-size");
}

#[test]
fn search_flags() {
    run("search-flags");
}

/// The body structure of `part` (RFC 3501 numbering) of a message whose
/// structure is `root`, as BODYPARTSTRUCTURE (RFC 5524) gives it.
fn part_structure<'s>(
    root: &'s BodyStructure<'static>,
    path: &[u32],
) -> &'s BodyStructure<'static> {
    let mut node = root;
    // Whether `node` is a message's body, whose part 1 it is when single.
    let mut in_message = true;
    for &n in path {
        node = match node {
            BodyStructure::Multi { parts, .. } => &parts[n as usize - 1],
            BodyStructure::Single { .. } if in_message && n == 1 => node,
            BodyStructure::Single {
                kind: SinglePartKind::Message { body, .. },
                ..
            } => match &**body {
                BodyStructure::Multi { parts, .. } => &parts[n as usize - 1],
                single => {
                    assert_eq!(n, 1);
                    single
                }
            },
            _ => panic!("no part {path:?}"),
        };
        in_message = false;
    }
    node
}

/// `urlauth-binary` expects these BODYPARTSTRUCTUREs for parts 1 and 1.1
/// of its message (the script needs URLAUTH; the structures are this
/// crate's business).
#[test]
fn urlauth_binary_bodypartstructure() {
    let raw = &mbox("urlauth-binary.mbox")[0];
    let root = Structure::parse(raw).body;
    let expected = [
        (
            &[1][..],
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 437 (\"Sun, 12 Aug 2012 12:34:56 +0300\" \
             \"submsg\" ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) \
             ((NIL NIL \"sub\" \"domain.org\")) NIL NIL NIL NIL NIL) ((\"text\" \"x-myown\" \
             (\"charset\" \"us-ascii\") NIL NIL \"base64\" 22 3 NIL NIL NIL NIL)(\"text\" \"x-myown\" \
             (\"charset\" \"us-ascii\") NIL NIL \"base64\" 47 5 NIL NIL NIL NIL) \"alternative\" \
             (\"boundary\" \"sub1\") NIL NIL NIL) 26 NIL NIL NIL NIL)",
        ),
        (
            &[1, 1][..],
            "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" 22 3 NIL NIL NIL NIL)",
        ),
    ];
    for (path, want) in expected {
        let got = wire(FetchItem::BodyStructure(Box::new(
            part_structure(&root, path).clone(),
        )));
        let want = wire(FetchItem::BodyStructureWire(
            WireList::new(want.as_bytes()).unwrap(),
        ));
        assert!(
            got.eq_ignore_ascii_case(&want),
            "part {path:?}:\ngot      {}\nexpected {}",
            got.escape_ascii(),
            want.escape_ascii()
        );
    }
}

/// Line counts of the base64 parts of `fetch-binary-mime-base64.mbox`
/// (its script tests BINARY): the fourth part's only line ends at the
/// delimiter, so it has no line ending and no line — Dovecot 2.3.19
/// answers `24 0` for it, as for the others `4`, `5`, `3` and `1`.
#[test]
fn fetch_binary_mime_base64_line_counts() {
    let raw = &mbox("fetch-binary-mime-base64.mbox")[0];
    let BodyStructure::Multi { parts, .. } = Structure::parse(raw).body else {
        panic!("not a multipart");
    };
    let counts: Vec<(u32, u32)> = parts
        .iter()
        .map(|p| match p {
            BodyStructure::Single {
                kind: SinglePartKind::Text { lines, .. },
                fields,
                ..
            } => (fields.octets, *lines),
            other => panic!("not text: {other:?}"),
        })
        .collect();
    assert_eq!(counts, [(24, 4), (47, 5), (30, 3), (24, 0), (42, 1)]);
}

/// Checks `structure`, the part at `path` of `raw`, and every part inside
/// it against what `BODY[part]` returns: the same octets, and for text and
/// message/rfc822 parts as many lines as line endings, the latter being
/// their `HEADER` followed by their `TEXT`.
fn check_part(
    raw: &[u8],
    map: &PartMap,
    structure: &BodyStructure<'_>,
    path: Vec<NonZeroU32>,
    what: &str,
) {
    let nz = |n: usize| NonZeroU32::new(n as u32).unwrap();
    let child = |n: usize| {
        let mut p = path.clone();
        p.push(nz(n));
        p
    };
    match structure {
        BodyStructure::Multi { parts, .. } => {
            for (i, p) in parts.iter().enumerate() {
                check_part(raw, map, p, child(i + 1), what);
            }
        }
        BodyStructure::Single { kind, fields, .. } => {
            let part = Part::new(path.clone()).unwrap();
            let bytes = message::extract(raw, map, &Section::Part(part.clone()), None);
            let at = format!("{what} part {:?}", path);
            assert_eq!(bytes.len() as u32, fields.octets, "{at}: octets");
            let line_endings = bytes.iter().filter(|&&b| b == b'\n').count() as u32;
            match kind {
                SinglePartKind::Text { lines, .. } => {
                    assert_eq!(*lines, line_endings, "{at}: lines");
                }
                SinglePartKind::Message { body, lines, .. } => {
                    assert_eq!(*lines, line_endings, "{at}: lines");
                    // The attached message is its header, then its text.
                    let sub = |s: Section<'_>| message::extract(raw, map, &s, None).into_owned();
                    let mut whole = sub(Section::Header(Some(part.clone())));
                    whole.extend(sub(Section::Text(Some(part.clone()))));
                    assert_eq!(whole, *bytes, "{at}: HEADER + TEXT");
                    match &**body {
                        BodyStructure::Multi { parts, .. } => {
                            for (i, p) in parts.iter().enumerate() {
                                check_part(raw, map, p, child(i + 1), what);
                            }
                        }
                        single => check_part(raw, map, single, child(1), what),
                    }
                }
                SinglePartKind::Basic { .. } => {}
            }
        }
    }
}

/// `BODY[n]` returns exactly the octets BODYSTRUCTURE reports for part n,
/// holding as many line endings as the part's line count, for every part
/// of every message here and of the corpus in `tests/messages` (nested
/// multiparts, attached messages, the last part before a close delimiter,
/// preambles and epilogues, truncated and broken mail).
#[test]
fn body_sections_agree_with_bodystructure() {
    let mut messages: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "mbox") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for (i, m) in mbox(&name).into_iter().enumerate() {
                messages.push((format!("{name} #{}", i + 1), m));
            }
        }
    }
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/messages");
    for entry in std::fs::read_dir(corpus).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            messages.push((name, std::fs::read(&path).unwrap()));
        }
    }
    assert!(messages.len() > 60, "{} messages", messages.len());
    for (what, raw) in &messages {
        let s = Structure::parse(raw);
        let path = match s.body {
            // A message whose body is single is its own part 1.
            BodyStructure::Single { .. } => vec![NonZeroU32::MIN],
            BodyStructure::Multi { .. } => Vec::new(),
        };
        check_part(raw, &s.part_map, &s.body, path, what);
    }
}
