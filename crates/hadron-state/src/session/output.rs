//! What a session writes: typed responses, each with the bytes of its
//! deferred literals, through a [`ResponseSink`].

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;

use hadron_proto::encode::{ResponseWriter, Step};
use hadron_proto::types::{
    Code, Data, FetchItem, FlagFetch, RespText, Response, Status, StatusKind, Tag, Text,
};

use crate::delivery::Untagged;
use crate::flags::FlagSet;

/// One response, ready to encode. Message content (`BODY[...]`,
/// `RFC822*`) is never inlined in `response`: it appears there as
/// `BodyData::Deferred { len }` and its bytes travel in `literals`, in the
/// order the deferred items appear, so the server streams each one straight
/// after the literal header [`ResponseWriter`] writes
/// ([`Step::Literal`]). No body is copied into the encoder's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The response.
    pub response: Response<'static>,
    /// Contents of its deferred literals, in order.
    pub literals: Vec<Vec<u8>>,
}

impl Output {
    /// A response without deferred literals.
    pub fn new(response: Response<'static>) -> Output {
        Output {
            response,
            literals: Vec::new(),
        }
    }

    /// The wire bytes (with CRLF), literals included; for tests and logs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = ResponseWriter::new(&self.response);
        let mut literals = self.literals.iter();
        loop {
            match writer.write(&mut out) {
                Step::Done => break,
                Step::Literal { .. } => {
                    if let Some(l) = literals.next() {
                        out.extend_from_slice(l);
                    }
                }
            }
        }
        out
    }
}

/// Where a session writes its responses, in order (go-imap's writer
/// pattern: handlers never produce bytes themselves). `Send`, so a
/// session's command future can run on any tokio worker.
pub trait ResponseSink: Send {
    /// Writes one response.
    fn send(&mut self, output: Output);

    /// A point where a long command may wait for the client to take what
    /// was sent so far. Commands with large output (FETCH of many messages
    /// or of bodies) call it between batches, so that a network sink writes
    /// the output as it is produced instead of holding all of it: memory
    /// per FETCH stays bounded by one batch. The default does nothing
    /// (right for sinks that collect, like `Vec<Output>`).
    fn flush(&mut self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(std::future::ready(()))
    }
}

impl ResponseSink for Vec<Output> {
    fn send(&mut self, output: Output) {
        self.push(output);
    }
}

/// Response text; characters a `Text` cannot hold (CR, LF) become spaces.
pub(crate) fn text(s: impl Into<String>) -> Text<'static> {
    let s: String = s
        .into()
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    let s = if s.is_empty() { "done".to_owned() } else { s };
    Text::try_from(s).unwrap_or_else(|_| Text::try_from("done").unwrap_or_else(|_| unreachable!()))
}

/// A `RespText`, with an optional code.
pub(crate) fn resp_text(code: Option<Code<'static>>, s: impl Into<String>) -> RespText<'static> {
    let mut t = text(s);
    if code.is_none() && t.as_str().starts_with('[') {
        t = text(format!(" {}", t.as_str()));
    }
    RespText::new(code, t.clone())
        .unwrap_or_else(|_| RespText::new(None, text("done")).unwrap_or_else(|_| unreachable!()))
}

/// The tagged status ending a command.
pub(crate) fn tagged(
    tag: &Tag<'_>,
    kind: StatusKind,
    code: Option<Code<'static>>,
    s: impl Into<String>,
) -> Output {
    Output::new(Response::Status(Status::Tagged {
        tag: tag.clone().into_static(),
        kind,
        text: resp_text(code, s),
    }))
}

/// An untagged `* OK [code] text`.
pub(crate) fn untagged_ok(code: Option<Code<'static>>, s: impl Into<String>) -> Output {
    Output::new(Response::Status(Status::Untagged {
        kind: StatusKind::Ok,
        text: resp_text(code, s),
    }))
}

/// `* data`.
pub(crate) fn data(d: Data<'static>) -> Output {
    Output::new(Response::Data(d))
}

/// `FLAGS (...)` items for a message.
pub(crate) fn flag_fetch(flags: &FlagSet, recent: bool) -> Vec<FlagFetch<'static>> {
    let mut v: Vec<FlagFetch<'static>> = flags.iter().map(FlagFetch::Flag).collect();
    if recent {
        v.push(FlagFetch::Recent);
    }
    v
}

/// A non-zero number (sequence numbers and UIDs are ≥ 1 by construction).
pub(crate) fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// The wire form of an event produced by delivery (`None` for nothing to
/// say: an empty `VANISHED`, which delivery does not produce).
pub(crate) fn event(e: &Untagged, condstore: bool) -> Option<Output> {
    Some(data(match e {
        Untagged::Expunge(n) => Data::Expunge(nz(*n)),
        Untagged::Exists(n) => Data::Exists(*n),
        Untagged::Recent(n) => Data::Recent(*n),
        Untagged::Fetch(f) => {
            let mut items = vec![
                FetchItem::Flags(flag_fetch(&f.flags, f.recent)),
                FetchItem::Uid(nz(f.uid)),
            ];
            // RFC 7162 §3.1: once CONDSTORE is on, unsolicited FETCHes
            // carry the message's mod-sequence.
            if condstore && let Some(m) = f.modseq {
                items.push(FetchItem::ModSeq(m));
            }
            Data::Fetch {
                seq: nz(f.seq),
                items,
            }
        }
        Untagged::Vanished(uids) => Data::Vanished {
            earlier: false,
            uids: super::messages::wire_uids(uids.iter().copied())?,
        },
    }))
}
