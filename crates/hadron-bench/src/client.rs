//! One async IMAP client connection: greeting, LOGIN, commands (with
//! literals sent as the server allows), responses framed and parsed with
//! `hadron-proto`, and counts of failed commands and unreadable responses.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use hadron_proto::encode;
use hadron_proto::framing::{FrameEvent, Framer, FramerLimits, Role};
use hadron_proto::parse;
use hadron_proto::types::{
    AString, Atom, Capability, Code, Command, CommandBody, Continue, Data, GreetingKind,
    LiteralMode, Response, Status, StatusKind, Tag,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::BenchError;

/// How long one command may take before the run is abandoned.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// The completion of a command.
#[derive(Debug, Clone)]
pub struct Reply {
    /// `OK`, `NO` or `BAD`.
    pub kind: StatusKind,
    /// The response code of the tagged response, if any.
    pub code: Option<Code<'static>>,
    /// Its text.
    pub text: String,
    /// The untagged responses that came before it (empty when a handler
    /// consumed them, see [`Client::execute_with`]).
    pub untagged: Vec<Response<'static>>,
}

impl Reply {
    /// Whether the command succeeded.
    pub fn is_ok(&self) -> bool {
        self.kind == StatusKind::Ok
    }

    /// Fails unless the command succeeded; `what` names it in the error.
    pub fn ok(self, what: &str) -> Result<Reply, BenchError> {
        if self.is_ok() {
            Ok(self)
        } else {
            Err(BenchError::Refused(format!(
                "{what}: {} {}",
                self.kind.name(),
                self.text
            )))
        }
    }
}

/// How many failure descriptions [`ErrorCounts`] keeps.
pub const MAX_SAMPLES: usize = 10;

/// What went wrong on a connection, counted, with the first few failures
/// described.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorCounts {
    /// Commands answered `NO`.
    pub no: u64,
    /// Commands answered `BAD`.
    pub bad: u64,
    /// Responses that could not be framed or parsed, and unexpected tags.
    pub protocol: u64,
    /// Responses that contradict the client's view of its mailbox (see
    /// [`crate::view`]) or of the other clients' views.
    pub state: u64,
    /// The first [`MAX_SAMPLES`] failures (`STORE: NO reason`).
    pub samples: Vec<String>,
}

impl ErrorCounts {
    /// All of them.
    pub fn total(&self) -> u64 {
        self.no + self.bad + self.protocol + self.state
    }

    /// Adds `other`.
    pub fn add(&mut self, other: ErrorCounts) {
        self.no += other.no;
        self.bad += other.bad;
        self.protocol += other.protocol;
        self.state += other.state;
        for sample in other.samples {
            self.sample(sample);
        }
    }

    /// Keeps a description of a failure, if there is room.
    pub fn sample(&mut self, what: String) {
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(what);
        }
    }

    /// Counts a response that contradicts the client's view, described.
    pub fn state_error(&mut self, what: impl std::fmt::Display) {
        self.state += 1;
        self.sample(format!("state: {what}"));
    }

    /// Counts a command's failure (`NO` or `BAD`; `OK` is not counted).
    fn count(&mut self, command: &str, reply: &Reply) {
        match reply.kind {
            StatusKind::Ok => return,
            StatusKind::No => self.no += 1,
            StatusKind::Bad => self.bad += 1,
        }
        self.sample(format!("{command}: {} {}", reply.kind.name(), reply.text));
    }
}

/// A connection to an IMAP server.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    framer: Framer,
    read_buf: Box<[u8]>,
    out: Vec<u8>,
    next_tag: u64,
    capabilities: Vec<String>,
    errors: ErrorCounts,
    /// Tags of pipelined commands sent and not yet awaited.
    in_flight: Vec<String>,
    /// Replies of pipelined commands that completed before being awaited.
    completed: Vec<(String, Reply)>,
    /// Bytes of the responses framed so far.
    received: u64,
    /// Bytes read from the socket so far (compressed, under COMPRESS).
    wire_received: u64,
    /// COMPRESS=DEFLATE, once turned on.
    deflate: Option<Deflate>,
}

/// The client's side of COMPRESS=DEFLATE (RFC 4978): raw deflate streams both ways, the
/// output flushed (sync flush) with every write.
struct Deflate {
    inflater: Decompress,
    deflater: Compress,
}

impl fmt::Debug for Deflate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deflate")
            .field("in", &self.inflater.total_in())
            .field("out", &self.deflater.total_out())
            .finish()
    }
}

impl Deflate {
    fn new() -> Self {
        Deflate {
            inflater: Decompress::new(false),
            deflater: Compress::new(Compression::default(), false),
        }
    }

    /// Inflates all of `input`.
    fn inflate(&mut self, input: &[u8]) -> Result<Vec<u8>, BenchError> {
        let inflater = &mut self.inflater;
        drain(input, 4, |rest, out| {
            let before = inflater.total_in();
            inflater
                .decompress_vec(rest, out, FlushDecompress::Sync)
                .map_err(|e| BenchError::Protocol(format!("COMPRESS input: {e}")))?;
            Ok((inflater.total_in() - before) as usize)
        })
    }

    /// Deflates `bytes`, flushed so the server can read all of it.
    fn deflate(&mut self, bytes: &[u8]) -> Result<Vec<u8>, BenchError> {
        let deflater = &mut self.deflater;
        drain(bytes, 1, |rest, out| {
            let before = deflater.total_in();
            deflater
                .compress_vec(rest, out, FlushCompress::Sync)
                .map_err(|e| BenchError::Protocol(format!("COMPRESS output: {e}")))?;
            Ok((deflater.total_in() - before) as usize)
        })
    }
}

/// Runs `step` (which takes what it can of its input, writes into the spare room of its
/// output and says how much input it took) until all of `input` is taken and the output
/// did not fill its room, growing the room by about `growth` times the input each time.
fn drain(
    mut input: &[u8],
    growth: usize,
    mut step: impl FnMut(&[u8], &mut Vec<u8>) -> Result<usize, BenchError>,
) -> Result<Vec<u8>, BenchError> {
    let mut out = Vec::new();
    loop {
        out.reserve(input.len().max(1024) * growth);
        let used = step(input, &mut out)?;
        input = &input[used..];
        if input.is_empty() && out.len() < out.capacity() {
            return Ok(out);
        }
    }
}

/// Limits for reading responses: a `SEARCH` of a million messages is one
/// line of several megabytes.
fn client_limits() -> FramerLimits {
    FramerLimits {
        max_line: 256 << 20,
        max_sync_literal: 256 << 20,
        max_non_sync_literal: 256 << 20,
        max_frame: 512 << 20,
        max_literals: 4096,
    }
}

impl Client {
    /// Connects to `addr` (`host:port`) and reads the greeting.
    pub async fn connect(addr: &str) -> Result<Client, BenchError> {
        Client::connect_with_buffer(addr, 64 * 1024).await
    }

    /// Like [`Client::connect`] with a read buffer of `size` bytes (small
    /// for thousands of idle connections, large for bulk transfers).
    pub async fn connect_with_buffer(addr: &str, size: usize) -> Result<Client, BenchError> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| BenchError::io(format!("connecting to {addr}"), e))?;
        stream
            .set_nodelay(true)
            .map_err(|e| BenchError::io("setting TCP_NODELAY", e))?;
        let mut client = Client {
            stream,
            framer: Framer::new(Role::Client, client_limits()),
            read_buf: vec![0u8; size.max(512)].into_boxed_slice(),
            out: Vec::with_capacity(4096),
            next_tag: 1,
            capabilities: Vec::new(),
            errors: ErrorCounts::default(),
            in_flight: Vec::new(),
            completed: Vec::new(),
            received: 0,
            wire_received: 0,
            deflate: None,
        };
        let frame = client.read_frame().await?;
        let greeting = parse::greeting(&frame)
            .map_err(|e| BenchError::Protocol(format!("greeting from {addr}: {e}")))?;
        if greeting.kind == GreetingKind::Bye {
            return Err(BenchError::Refused(format!(
                "{addr} greeted with BYE: {}",
                greeting.text.text()
            )));
        }
        if let Some(Code::Capability(caps)) = greeting.text.code() {
            client.capabilities = caps.iter().map(cap_name).collect();
        }
        Ok(client)
    }

    /// Connects and logs in as `user`, then asks for the capabilities.
    pub async fn connect_login(
        addr: &str,
        user: &str,
        password: &str,
    ) -> Result<Client, BenchError> {
        let mut client = Client::connect(addr).await?;
        client.login(user, password).await?;
        Ok(client)
    }

    /// [`Client::connect_login`] with a read buffer of `size` bytes.
    pub async fn connect_login_with_buffer(
        addr: &str,
        user: &str,
        password: &str,
        size: usize,
    ) -> Result<Client, BenchError> {
        let mut client = Client::connect_with_buffer(addr, size).await?;
        client.login(user, password).await?;
        Ok(client)
    }

    /// `LOGIN`, then `CAPABILITY` (they may change after login).
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), BenchError> {
        self.login_only(user, password).await?;
        let reply = self
            .execute(CommandBody::Capability)
            .await?
            .ok("CAPABILITY")?;
        for r in &reply.untagged {
            if let Response::Data(Data::Capability(caps)) = r {
                self.capabilities = caps.iter().map(cap_name).collect();
            }
        }
        Ok(())
    }

    /// `LOGIN` alone; the capabilities are updated when its `OK` carries
    /// them. Fails unless it succeeds.
    pub async fn login_only(&mut self, user: &str, password: &str) -> Result<(), BenchError> {
        let body = CommandBody::Login {
            username: AString::try_from(user)
                .map_err(|e| BenchError::Invalid(format!("user name: {e}")))?,
            password: AString::try_from(password)
                .map_err(|e| BenchError::Invalid(format!("password: {e}")))?,
        };
        let reply = self.execute(body).await?;
        if !reply.is_ok() {
            return Err(BenchError::Refused(format!("LOGIN {user}: {}", reply.text)));
        }
        if let Some(Code::Capability(caps)) = &reply.code {
            self.capabilities = caps.iter().map(cap_name).collect();
        }
        Ok(())
    }

    /// Whether the server announced capability `name` (case-insensitive).
    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
    }

    /// The announced capabilities.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// Bytes the server has sent so far in complete responses (CRLFs and
    /// literals included, the greeting too): the difference around a
    /// command is what its responses weighed, uncompressed (on the wire
    /// without COMPRESS; see [`Client::wire_bytes`]).
    pub fn received_bytes(&self) -> u64 {
        self.received
    }

    /// Bytes read from the socket so far: what the server sent on the wire, compressed
    /// under COMPRESS.
    pub fn wire_bytes(&self) -> u64 {
        self.wire_received
    }

    /// Turns on COMPRESS=DEFLATE (RFC 4978) if the server offers it; `false` if it does not.
    pub async fn compress(&mut self) -> Result<bool, BenchError> {
        if !self.has_capability("COMPRESS=DEFLATE") {
            return Ok(false);
        }
        let algorithm = Atom::try_from("DEFLATE").expect("an atom");
        self.execute(CommandBody::Compress { algorithm })
            .await?
            .ok("COMPRESS DEFLATE")?;
        self.deflate = Some(Deflate::new());
        Ok(true)
    }

    /// The failures counted so far.
    pub fn errors(&self) -> ErrorCounts {
        self.errors.clone()
    }

    /// How literals should be sent: without waiting when the server has
    /// LITERAL+.
    pub fn literal_mode(&self) -> LiteralMode {
        if self.has_capability("LITERAL+") {
            LiteralMode::NonSync
        } else {
            LiteralMode::Sync
        }
    }

    /// Runs a command and collects its untagged responses.
    pub async fn execute(&mut self, body: CommandBody<'_>) -> Result<Reply, BenchError> {
        let mut untagged = Vec::new();
        let mut reply = self
            .execute_with(body, |r| untagged.push(r.clone().into_static()))
            .await?;
        reply.untagged = untagged;
        Ok(reply)
    }

    /// Runs a command, handing each untagged response to `on_untagged`
    /// instead of keeping it. `NO` and `BAD` are counted, not errors.
    pub async fn execute_with(
        &mut self,
        body: CommandBody<'_>,
        mut on_untagged: impl FnMut(&Response<'_>),
    ) -> Result<Reply, BenchError> {
        let name = body.name();
        let run = async {
            let tag = self.send(body, &mut on_untagged).await?;
            match tag {
                Sent::Tag(tag) => self.read_until_tagged(&tag, &mut on_untagged).await,
                Sent::Refused(reply) => Ok(reply),
            }
        };
        let reply = tokio::time::timeout(COMMAND_TIMEOUT, run)
            .await
            .map_err(|_| BenchError::Timeout(format!("{name} took over {COMMAND_TIMEOUT:?}")))??;
        self.errors.count(name, &reply);
        Ok(reply)
    }

    /// Whether commands with literals can be pipelined: only with
    /// LITERAL+, since a synchronising literal waits for the server.
    pub fn can_pipeline(&self) -> bool {
        self.literal_mode() == LiteralMode::NonSync
    }

    /// Sends a command without waiting for its completion; returns the tag
    /// to pass to [`Client::complete`]. Untagged responses that arrive while
    /// a synchronising literal waits for `+` are dropped, so pipeline only
    /// when [`Client::can_pipeline`].
    pub async fn send_pipelined(&mut self, body: CommandBody<'_>) -> Result<String, BenchError> {
        let mut ignore = |_: &Response<'_>| {};
        match self.send(body, &mut ignore).await? {
            Sent::Tag(tag) => {
                self.in_flight.push(tag.clone());
                Ok(tag)
            }
            Sent::Refused(reply) => {
                let tag = format!("b{}", self.next_tag - 1);
                self.completed.push((tag.clone(), reply));
                Ok(tag)
            }
        }
    }

    /// Waits for the completion of a pipelined command (untagged responses
    /// are dropped). `NO` and `BAD` are counted, not errors.
    pub async fn complete(&mut self, tag: &str) -> Result<Reply, BenchError> {
        self.in_flight.retain(|t| t != tag);
        let mut ignore = |_: &Response<'_>| {};
        let reply = tokio::time::timeout(COMMAND_TIMEOUT, self.read_until_tagged(tag, &mut ignore))
            .await
            .map_err(|_| {
                BenchError::Timeout(format!("command {tag} took over {COMMAND_TIMEOUT:?}"))
            })??;
        self.errors.count("pipelined command", &reply);
        Ok(reply)
    }

    /// Starts `IDLE`: sends it and waits for the continuation request.
    /// Returns the tag to pass to [`Client::idle_done`].
    pub async fn idle_start(&mut self) -> Result<String, BenchError> {
        let mut ignore = |_: &Response<'_>| {};
        let tag = match self.send(CommandBody::Idle, &mut ignore).await? {
            Sent::Tag(tag) => tag,
            Sent::Refused(reply) => {
                return Err(BenchError::Refused(format!("IDLE: {}", reply.text)));
            }
        };
        loop {
            let frame = self.read_frame().await?;
            match self.parse(&frame) {
                Some(Response::Continue(_)) => return Ok(tag),
                Some(Response::Status(Status::Tagged { kind, text, .. })) => {
                    return Err(BenchError::Refused(format!(
                        "IDLE: {} {}",
                        kind.name(),
                        text.text()
                    )));
                }
                _ => {}
            }
        }
    }

    /// The next response the server sends (in IDLE: untagged updates).
    pub async fn next_response(&mut self) -> Result<Response<'static>, BenchError> {
        loop {
            let frame = self.read_frame().await?;
            if let Some(r) = self.parse(&frame) {
                return Ok(r.into_static());
            }
        }
    }

    /// Ends `IDLE` (`DONE`) and reads up to its tagged response.
    pub async fn idle_done(&mut self, tag: &str) -> Result<Reply, BenchError> {
        self.write(b"DONE\r\n").await?;
        let mut ignore = |_: &Response<'_>| {};
        self.read_until_tagged(tag, &mut ignore).await
    }

    /// `LOGOUT`, ignoring what happens after the request is sent.
    pub async fn logout(mut self) {
        let _ =
            tokio::time::timeout(Duration::from_secs(5), self.execute(CommandBody::Logout)).await;
    }

    /// Encodes and sends a command, waiting for `+` before the data of
    /// each synchronising literal.
    async fn send(
        &mut self,
        body: CommandBody<'_>,
        on_untagged: &mut impl FnMut(&Response<'_>),
    ) -> Result<Sent, BenchError> {
        let tag_text = format!("b{}", self.next_tag);
        self.next_tag += 1;
        let tag = Tag::try_from(tag_text.as_str()).expect("b<n> is a valid tag");
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        encode::command_with_mode(&Command { tag, body }, self.literal_mode(), &mut out);
        let result = self.send_encoded(&out, &tag_text, on_untagged).await;
        self.out = out;
        result
    }

    async fn send_encoded(
        &mut self,
        bytes: &[u8],
        tag: &str,
        on_untagged: &mut impl FnMut(&Response<'_>),
    ) -> Result<Sent, BenchError> {
        let mut start = 0;
        let mut pos = 0;
        while pos < bytes.len() {
            let Some(lf) = memchr(b'\n', &bytes[pos..]) else {
                break;
            };
            let line_end = pos + lf + 1;
            let line = &bytes[pos..line_end];
            pos = line_end;
            if let Some((size, sync)) = literal_at_end(line) {
                if sync {
                    self.write(&bytes[start..pos]).await?;
                    start = pos;
                    if let Some(refused) = self.await_continuation(tag, on_untagged).await? {
                        return Ok(Sent::Refused(refused));
                    }
                }
                pos += usize::try_from(size)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len() - pos);
            }
        }
        self.write(&bytes[start..]).await?;
        Ok(Sent::Tag(tag.to_owned()))
    }

    /// Waits for `+`; returns the tagged reply instead if the server refuses
    /// the literal.
    async fn await_continuation(
        &mut self,
        tag: &str,
        on_untagged: &mut impl FnMut(&Response<'_>),
    ) -> Result<Option<Reply>, BenchError> {
        loop {
            let frame = self.read_frame().await?;
            let Some(response) = self.parse(&frame) else {
                continue;
            };
            match response {
                Response::Continue(Continue::Text(_) | Continue::Base64(_)) => return Ok(None),
                Response::Status(Status::Tagged { tag: t, kind, text }) if t.as_str() == tag => {
                    return Ok(Some(Reply {
                        kind,
                        code: text.code().cloned().map(Code::into_static),
                        text: text.text().to_string(),
                        untagged: Vec::new(),
                    }));
                }
                Response::Status(Status::Tagged { .. }) => self.errors.protocol += 1,
                other => on_untagged(&other),
            }
        }
    }

    async fn read_until_tagged(
        &mut self,
        tag: &str,
        on_untagged: &mut impl FnMut(&Response<'_>),
    ) -> Result<Reply, BenchError> {
        if let Some(at) = self.completed.iter().position(|(t, _)| t == tag) {
            return Ok(self.completed.remove(at).1);
        }
        loop {
            let frame = self.read_frame().await?;
            let Some(response) = self.parse(&frame) else {
                continue;
            };
            match response {
                Response::Status(Status::Tagged { tag: t, kind, text }) => {
                    let reply = Reply {
                        kind,
                        code: text.code().cloned().map(Code::into_static),
                        text: text.text().to_string(),
                        untagged: Vec::new(),
                    };
                    if t.as_str() == tag {
                        return Ok(reply);
                    }
                    if let Some(at) = self.in_flight.iter().position(|f| f == t.as_str()) {
                        // Another pipelined command finished first.
                        self.in_flight.remove(at);
                        self.completed.push((t.as_str().to_owned(), reply));
                    } else {
                        self.errors.protocol += 1;
                    }
                }
                Response::Status(Status::Bye(text)) => {
                    on_untagged(&Response::Status(Status::Bye(text)));
                }
                Response::Continue(_) => self.errors.protocol += 1,
                other => on_untagged(&other),
            }
        }
    }

    /// Parses a frame; an unreadable one is counted and skipped.
    fn parse<'f>(&mut self, frame: &'f [u8]) -> Option<Response<'f>> {
        match parse::response(frame) {
            Ok(r) => Some(r),
            Err(_) => {
                self.errors.protocol += 1;
                None
            }
        }
    }

    /// The next complete response from the server.
    async fn read_frame(&mut self) -> Result<Bytes, BenchError> {
        loop {
            while let Some(event) = self.framer.next() {
                match event {
                    FrameEvent::Frame(frame) => {
                        self.received += frame.len() as u64;
                        return Ok(frame);
                    }
                    FrameEvent::Fatal(e) => {
                        return Err(BenchError::Protocol(format!("unframeable response: {e}")));
                    }
                    FrameEvent::Error(_)
                    | FrameEvent::NeedContinuation { .. }
                    | FrameEvent::LiteralTooLarge { .. } => self.errors.protocol += 1,
                }
            }
            let n = self
                .stream
                .read(&mut self.read_buf)
                .await
                .map_err(|e| BenchError::io("reading from the server", e))?;
            if n == 0 {
                return Err(BenchError::Closed);
            }
            self.wire_received += n as u64;
            match &mut self.deflate {
                Some(d) => {
                    let plain = d.inflate(&self.read_buf[..n])?;
                    self.framer.push(&plain);
                }
                None => self.framer.push(&self.read_buf[..n]),
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), BenchError> {
        let compressed;
        let bytes = match &mut self.deflate {
            Some(d) => {
                compressed = d.deflate(bytes)?;
                &compressed[..]
            }
            None => bytes,
        };
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| BenchError::io("writing to the server", e))
    }
}

/// What sending a command led to.
enum Sent {
    /// Sent whole; the tagged response is still to come.
    Tag(String),
    /// The server answered before taking a literal.
    Refused(Reply),
}

fn cap_name(c: &Capability<'_>) -> String {
    c.to_string()
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// `Some((size, synchronising))` when `line` (ending in CRLF) ends with a
/// literal announcement `{n}`, `{n+}`, `~{n}` or `~{n+}`.
pub fn literal_at_end(line: &[u8]) -> Option<(u64, bool)> {
    let line = line.strip_suffix(b"\r\n")?;
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let (digits, sync) = match digits.strip_suffix(b"+") {
        Some(d) => (d, false),
        None => (digits, true),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let size = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((size, sync))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_announcements() {
        assert_eq!(literal_at_end(b"a APPEND x {12}\r\n"), Some((12, true)));
        assert_eq!(literal_at_end(b"a APPEND x {12+}\r\n"), Some((12, false)));
        assert_eq!(literal_at_end(b"a APPEND x ~{3}\r\n"), Some((3, true)));
        assert_eq!(literal_at_end(b"a NOOP\r\n"), None);
        assert_eq!(literal_at_end(b"a LOGIN \"{1}\"\r\n"), None);
        assert_eq!(literal_at_end(b"a X {}\r\n"), None);
        assert_eq!(literal_at_end(b"a X {1a}\r\n"), None);
    }
}
