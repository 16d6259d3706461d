//! Writers for server responses: greeting, status, untagged data and
//! continuation requests.
//!
//! Everything is appended to a caller-owned buffer; numbers are written
//! directly and nothing is formatted through intermediate strings.

use std::io::Write as _;

use crate::encode::core::{
    atom, charset, flag, flag_perm, literal_header, mailbox, nstring, number, paren_list, quoted,
    sequence_set, string, string_bytes, tag, text,
};
use crate::encode::response_fetch::fetch_item;
use crate::types::{
    Capability, Code, Continue, Data, Delimiter, ESearch, ESearchItem, FetchItem, Greeting,
    GreetingKind, ListAttribute, ListData, ListExtended, LiteralMode, NamespaceDescr, RespText,
    Response, Status, Thread, UidSet,
};

const SYNC: LiteralMode = LiteralMode::Sync;

/// What the caller must do after [`ResponseWriter::write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The response is complete, including its final CRLF.
    Done,
    /// The buffer ends with a literal header (`{len}\r\n` or `~{len}\r\n`):
    /// the caller must now send exactly `len` bytes of data, then call
    /// [`ResponseWriter::write`] again for the rest of the response.
    Literal {
        /// Number of bytes the caller must write.
        len: u64,
    },
}

/// Writes a response in pieces, stopping at each deferred literal
/// ([`BodyData::Deferred`](crate::types::BodyData::Deferred) /
/// [`BinaryData::Deferred`](crate::types::BinaryData::Deferred)) so that a
/// message body can be streamed from storage instead of copied into the
/// buffer.
///
/// ```
/// use std::num::NonZeroU32;
/// use hadron_proto::encode::{ResponseWriter, Step};
/// use hadron_proto::types::{BodyData, Data, FetchItem, Response, Section};
///
/// let body: &[u8] = b"Subject: hi\r\n\r\nHello\r\n";
/// let resp = Response::Data(Data::Fetch {
///     seq: NonZeroU32::new(12).unwrap(),
///     items: vec![
///         FetchItem::BodySection {
///             section: Section::Full,
///             origin: None,
///             data: BodyData::Deferred { len: body.len() as u64 },
///         },
///         FetchItem::Uid(NonZeroU32::new(7).unwrap()),
///     ],
/// });
/// let mut out = Vec::new();
/// let mut writer = ResponseWriter::new(&resp);
/// loop {
///     match writer.write(&mut out) {
///         Step::Literal { len } => {
///             // A server flushes `out` and streams `len` bytes here.
///             assert_eq!(len, body.len() as u64);
///             out.extend_from_slice(body);
///         }
///         Step::Done => break,
///     }
/// }
/// assert_eq!(
///     out,
///     b"* 12 FETCH (BODY[] {22}\r\nSubject: hi\r\n\r\nHello\r\n UID 7)\r\n"
/// );
/// ```
#[derive(Debug)]
pub struct ResponseWriter<'r, 'a> {
    resp: &'r Response<'a>,
    state: WriterState,
}

#[derive(Debug, Clone, Copy)]
enum WriterState {
    Start,
    /// Inside a FETCH response; the next item to write.
    FetchItems(usize),
    Done,
}

impl<'r, 'a> ResponseWriter<'r, 'a> {
    /// A writer for `resp`.
    pub fn new(resp: &'r Response<'a>) -> Self {
        ResponseWriter {
            resp,
            state: WriterState::Start,
        }
    }

    /// Appends the next piece of the response to `out`. After
    /// [`Step::Done`], further calls write nothing and return `Done`.
    pub fn write(&mut self, out: &mut Vec<u8>) -> Step {
        let next = match self.state {
            WriterState::Done => return Step::Done,
            WriterState::FetchItems(next) => next,
            WriterState::Start => match self.resp {
                Response::Data(Data::Fetch { seq, .. }) => {
                    out.extend_from_slice(b"* ");
                    number(out, u64::from(seq.get()));
                    out.extend_from_slice(b" FETCH (");
                    0
                }
                other => {
                    write_whole(out, other);
                    self.state = WriterState::Done;
                    return Step::Done;
                }
            },
        };
        let Response::Data(Data::Fetch { items, .. }) = self.resp else {
            unreachable!("only FETCH responses are written in pieces");
        };
        for (i, item) in items.iter().enumerate().skip(next) {
            if i > 0 {
                out.push(b' ');
            }
            if let Some(len) = fetch_item(out, item) {
                self.state = WriterState::FetchItems(i + 1);
                return Step::Literal { len };
            }
        }
        out.extend_from_slice(b")\r\n");
        self.state = WriterState::Done;
        Step::Done
    }
}

/// Appends `resp` (with its CRLF) to `out`.
///
/// Deferred FETCH data ([`FetchItem::is_deferred`]) cannot be written this
/// way — only its literal header would appear; use [`ResponseWriter`] for
/// responses that hold it.
///
/// ```
/// use hadron_proto::encode;
/// use hadron_proto::types::{Data, Response};
/// let mut out = Vec::new();
/// encode::response(&Response::Data(Data::Exists(23)), &mut out);
/// assert_eq!(out, b"* 23 EXISTS\r\n");
/// ```
pub fn response(resp: &Response<'_>, out: &mut Vec<u8>) {
    if let Response::Data(Data::Fetch { items, .. }) = resp {
        debug_assert!(
            !items.iter().any(FetchItem::is_deferred),
            "deferred FETCH data needs ResponseWriter"
        );
    }
    let mut writer = ResponseWriter::new(resp);
    while writer.write(out) != Step::Done {}
}

/// Appends the greeting (with its CRLF) to `out`.
///
/// ```
/// use hadron_proto::encode;
/// use hadron_proto::types::{Greeting, GreetingKind, RespText};
/// let mut out = Vec::new();
/// let g = Greeting { kind: GreetingKind::Ok, text: RespText::plain("Hadron ready") };
/// encode::greeting(&g, &mut out);
/// assert_eq!(out, b"* OK Hadron ready\r\n");
/// ```
pub fn greeting(g: &Greeting<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(match g.kind {
        GreetingKind::Ok => b"* OK",
        GreetingKind::PreAuth => b"* PREAUTH",
        GreetingKind::Bye => b"* BYE",
    });
    resp_text(out, &g.text, false);
    out.extend_from_slice(b"\r\n");
}

fn write_whole(out: &mut Vec<u8>, resp: &Response<'_>) {
    match resp {
        Response::Status(s) => status(out, s),
        Response::Data(d) => data(out, d),
        Response::Continue(c) => continue_req(out, c),
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes `SP resp-text`, or nothing when there is neither code nor text
/// (unless `always_space`).
fn resp_text(out: &mut Vec<u8>, t: &RespText<'_>, always_space: bool) {
    let has_text = !t.text().as_str().is_empty();
    if always_space || has_text || t.code().is_some() {
        out.push(b' ');
    }
    if let Some(c) = t.code() {
        out.push(b'[');
        code(out, c);
        out.push(b']');
        if has_text {
            out.push(b' ');
        }
    }
    text(out, t.text());
}

fn status(out: &mut Vec<u8>, s: &Status<'_>) {
    match s {
        Status::Tagged { tag: t, kind, text } => {
            tag(out, t);
            out.push(b' ');
            out.extend_from_slice(kind.name().as_bytes());
            resp_text(out, text, false);
        }
        Status::Untagged { kind, text } => {
            out.extend_from_slice(b"* ");
            out.extend_from_slice(kind.name().as_bytes());
            resp_text(out, text, false);
        }
        Status::Bye(text) => {
            out.extend_from_slice(b"* BYE");
            resp_text(out, text, false);
        }
    }
}

fn uid_set(out: &mut Vec<u8>, set: &UidSet) {
    sequence_set(out, set.as_sequence_set());
}

/// Writes `resp-text-code` (without brackets).
fn code(out: &mut Vec<u8>, c: &Code<'_>) {
    out.extend_from_slice(c.name().as_bytes());
    match c {
        Code::BadCharset(v) if !v.is_empty() => {
            out.push(b' ');
            paren_list(out, v, |out, c| charset(out, c));
        }
        Code::Capability(v) => capabilities(out, v),
        Code::PermanentFlags(v) => {
            out.push(b' ');
            paren_list(out, v, |out, f| flag_perm(out, f));
        }
        Code::UidNext(n) | Code::UidValidity(n) | Code::Unseen(n) => {
            out.push(b' ');
            number(out, u64::from(n.get()));
        }
        Code::AppendUid { uid_validity, uids } => {
            out.push(b' ');
            number(out, u64::from(uid_validity.get()));
            out.push(b' ');
            uid_set(out, uids);
        }
        Code::CopyUid {
            uid_validity,
            source,
            destination,
        } => {
            out.push(b' ');
            number(out, u64::from(uid_validity.get()));
            out.push(b' ');
            uid_set(out, source);
            out.push(b' ');
            uid_set(out, destination);
        }
        Code::HighestModSeq(n) => {
            out.push(b' ');
            number(out, *n);
        }
        Code::Modified(set) => {
            out.push(b' ');
            sequence_set(out, set);
        }
        Code::Other(o) => {
            if let Some(t) = o.text() {
                out.push(b' ');
                text(out, t);
            }
        }
        _ => {}
    }
}

/// Writes `*(SP capability)`.
fn capabilities(out: &mut Vec<u8>, caps: &[Capability<'_>]) {
    for c in caps {
        out.push(b' ');
        capability(out, c);
    }
}

fn capability(out: &mut Vec<u8>, c: &Capability<'_>) {
    match c {
        Capability::Auth(a) => {
            out.extend_from_slice(b"AUTH=");
            atom(out, a);
        }
        Capability::Thread(a) => {
            out.extend_from_slice(b"THREAD=");
            atom(out, a);
        }
        Capability::Compress(a) => {
            out.extend_from_slice(b"COMPRESS=");
            atom(out, a);
        }
        Capability::Other(a) => atom(out, a),
        // Known names display as static strings; writing through fmt into
        // the Vec allocates nothing.
        known => {
            let _ = write!(out, "{known}");
        }
    }
}

fn delimiter(out: &mut Vec<u8>, d: Option<Delimiter>) {
    match d {
        None => out.extend_from_slice(b"NIL"),
        Some(d) => quoted(out, &[d.byte()]),
    }
}

fn list_data(out: &mut Vec<u8>, l: &ListData<'_>) {
    paren_list(out, &l.attributes, |out, a| {
        out.push(b'\\');
        match a {
            ListAttribute::Extension(a) => atom(out, a),
            known => out.extend_from_slice(known.name().as_bytes()),
        }
    });
    out.push(b' ');
    delimiter(out, l.delimiter);
    out.push(b' ');
    mailbox(out, &l.mailbox, SYNC);
    if !l.extended.is_empty() {
        out.push(b' ');
        paren_list(out, &l.extended, |out, e| match e {
            ListExtended::ChildInfo(v) => {
                out.extend_from_slice(b"\"CHILDINFO\" ");
                paren_list(out, v, |out, s| string_bytes(out, s.as_bytes(), SYNC));
            }
            ListExtended::OldName(m) => {
                out.extend_from_slice(b"\"OLDNAME\" (");
                mailbox(out, m, SYNC);
                out.push(b')');
            }
        });
    }
}

fn numbers_with_modseq(out: &mut Vec<u8>, ids: &[std::num::NonZeroU32], modseq: Option<u64>) {
    for id in ids {
        out.push(b' ');
        number(out, u64::from(id.get()));
    }
    if let Some(m) = modseq {
        out.extend_from_slice(b" (MODSEQ ");
        number(out, m);
        out.push(b')');
    }
}

fn esearch(out: &mut Vec<u8>, e: &ESearch<'_>) {
    out.extend_from_slice(b"ESEARCH");
    if let Some(t) = &e.tag {
        out.extend_from_slice(b" (TAG ");
        string(out, t, SYNC);
        out.push(b')');
    }
    if e.uid {
        out.extend_from_slice(b" UID");
    }
    for item in &e.items {
        out.push(b' ');
        match item {
            ESearchItem::Min(n) => {
                out.extend_from_slice(b"MIN ");
                number(out, u64::from(n.get()));
            }
            ESearchItem::Max(n) => {
                out.extend_from_slice(b"MAX ");
                number(out, u64::from(n.get()));
            }
            ESearchItem::All(set) => {
                out.extend_from_slice(b"ALL ");
                sequence_set(out, set);
            }
            ESearchItem::Count(n) => {
                out.extend_from_slice(b"COUNT ");
                number(out, u64::from(*n));
            }
            ESearchItem::ModSeq(n) => {
                out.extend_from_slice(b"MODSEQ ");
                number(out, *n);
            }
        }
    }
}

fn namespace(out: &mut Vec<u8>, list: &[NamespaceDescr<'_>]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for d in list {
        out.push(b'(');
        string(out, &d.prefix, SYNC);
        out.push(b' ');
        delimiter(out, d.delimiter);
        for (name, values) in &d.extensions {
            out.push(b' ');
            string(out, name, SYNC);
            out.push(b' ');
            paren_list(out, values, |out, v| string(out, v, SYNC));
        }
        out.push(b')');
    }
    out.push(b')');
}

fn thread(out: &mut Vec<u8>, t: &Thread) {
    out.push(b'(');
    for (i, m) in t.members.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        number(out, u64::from(m.get()));
    }
    if !t.members.is_empty() && !t.children.is_empty() {
        out.push(b' ');
    }
    for c in &t.children {
        thread(out, c);
    }
    out.push(b')');
}

fn data(out: &mut Vec<u8>, d: &Data<'_>) {
    out.extend_from_slice(b"* ");
    match d {
        Data::Capability(caps) => {
            out.extend_from_slice(b"CAPABILITY");
            capabilities(out, caps);
        }
        Data::List(l) => {
            out.extend_from_slice(b"LIST ");
            list_data(out, l);
        }
        Data::Lsub(l) => {
            out.extend_from_slice(b"LSUB ");
            list_data(out, l);
        }
        Data::Status { mailbox: m, items } => {
            out.extend_from_slice(b"STATUS ");
            mailbox(out, m, SYNC);
            out.push(b' ');
            paren_list(out, items, |out, (item, value)| {
                out.extend_from_slice(item.name().as_bytes());
                out.push(b' ');
                number(out, *value);
            });
        }
        Data::Search { ids, modseq } => {
            out.extend_from_slice(b"SEARCH");
            numbers_with_modseq(out, ids, *modseq);
        }
        Data::Sort { ids, modseq } => {
            out.extend_from_slice(b"SORT");
            numbers_with_modseq(out, ids, *modseq);
        }
        Data::ESearch(e) => esearch(out, e),
        Data::Flags(flags) => {
            out.extend_from_slice(b"FLAGS ");
            paren_list(out, flags, |out, f| flag(out, f));
        }
        Data::Exists(n) => {
            number(out, u64::from(*n));
            out.extend_from_slice(b" EXISTS");
        }
        Data::Recent(n) => {
            number(out, u64::from(*n));
            out.extend_from_slice(b" RECENT");
        }
        Data::Expunge(n) => {
            number(out, u64::from(n.get()));
            out.extend_from_slice(b" EXPUNGE");
        }
        Data::Vanished { earlier, uids } => {
            out.extend_from_slice(if *earlier {
                b"VANISHED (EARLIER) "
            } else {
                b"VANISHED "
            });
            uid_set(out, uids);
        }
        Data::Fetch { seq, items } => {
            // Reached only through `write_whole`, which ResponseWriter never
            // uses for FETCH; kept for completeness.
            number(out, u64::from(seq.get()));
            out.extend_from_slice(b" FETCH ");
            paren_list(out, items, |out, i| {
                fetch_item(out, i);
            });
        }
        Data::Enabled(caps) => {
            out.extend_from_slice(b"ENABLED");
            capabilities(out, caps);
        }
        Data::Id(params) => {
            out.extend_from_slice(b"ID ");
            if params.is_empty() {
                out.extend_from_slice(b"NIL");
            } else {
                paren_list(out, params, |out, (k, v)| {
                    string(out, k, SYNC);
                    out.push(b' ');
                    nstring(out, v, SYNC);
                });
            }
        }
        Data::Namespace {
            personal,
            other,
            shared,
        } => {
            out.extend_from_slice(b"NAMESPACE ");
            namespace(out, personal);
            out.push(b' ');
            namespace(out, other);
            out.push(b' ');
            namespace(out, shared);
        }
        Data::Thread(threads) => {
            out.extend_from_slice(b"THREAD");
            if !threads.is_empty() {
                out.push(b' ');
            }
            for t in threads {
                thread(out, t);
            }
        }
    }
}

fn continue_req(out: &mut Vec<u8>, c: &Continue<'_>) {
    out.push(b'+');
    match c {
        Continue::Text(t) => resp_text(out, t, true),
        Continue::Base64(data) => {
            out.push(b' ');
            crate::base64::encode(out, data);
        }
    }
}

/// Writes a literal header for deferred data and reports its length.
pub(crate) fn deferred(out: &mut Vec<u8>, len: u64, binary: bool) -> Option<u64> {
    literal_header(out, len, binary, SYNC);
    Some(len)
}
