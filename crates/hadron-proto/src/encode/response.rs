//! Writers for server responses: the entry points (greeting, whole
//! responses, [`ResponseWriter`] for streamed FETCH data) and continuation
//! requests. Status responses and untagged data have their own modules
//! (`response_status`, `response_data`).
//!
//! Everything is appended to a caller-owned buffer; numbers are written
//! directly and nothing is formatted through intermediate strings.

use crate::encode::core::{literal_header, number};
use crate::encode::response_data::data;
use crate::encode::response_fetch::fetch_item;
use crate::encode::response_status::{resp_text, status};
use crate::types::{Continue, Data, FetchItem, Greeting, GreetingKind, LiteralMode, Response};

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
