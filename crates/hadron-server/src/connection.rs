//! One client connection's bytes: input through `hadron-proto`'s sans-I/O
//! [`Framer`], output encoded straight into a write buffer that is flushed
//! when the server is about to wait for the client (so a pipelined burst of
//! commands is answered with as few writes as possible). Once COMPRESS is
//! on, input is inflated before the framer sees it and every flush is a
//! deflate sync flush (`compress.rs`), above TLS.

use bytes::BytesMut;
use hadron_proto::encode::{ResponseWriter, Step};
use hadron_proto::framing::{FrameEvent, Framer, FramerLimits, Role};
use hadron_proto::types::Response;
use hadron_state::session::{Output, ResponseSink};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

use crate::compress::Deflate;
use crate::tls::Stream;

/// Bytes read from the socket per call.
const READ_CHUNK: usize = 16 * 1024;

/// Buffered output above which a long command's output is written to the
/// socket at its next flush point instead of accumulating.
const DIRECT_WRITE: usize = 64 * 1024;

/// The socket, its framer and its output buffer.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: Stream,
    read_buf: BytesMut,
    framer: Framer,
    /// The framer's limits once logged in (LITERAL+); before, non-
    /// synchronising literals are held to LITERAL-'s 4096 bytes.
    limits: FramerLimits,
    /// Output waiting for the socket, after [`Connection::queued`].
    out: Vec<u8>,
    /// Whole buffers waiting ahead of `out`, in order: a large deferred
    /// literal (a body FETCH reads) goes out as the buffer it was read
    /// into, never copied into `out` (which would hold the message twice).
    queued: VecDeque<Vec<u8>>,
    /// The bytes in `queued`.
    queued_len: usize,
    /// Set once TLS or COMPRESS is up (read by the panic supervisor, which
    /// must not write plain text into such a stream).
    layered: Arc<AtomicBool>,
    /// COMPRESS=DEFLATE, once the client turned it on.
    deflate: Option<Box<Deflate>>,
    /// How long a write may wait for a client that does not read.
    write_timeout: Duration,
    /// A write that failed in the middle of a command; reported by the
    /// next [`Connection::flush`], and until then output is dropped.
    broken: Option<std::io::Error>,
}

impl Connection {
    /// A connection over `stream`, framing commands within `limits` (with
    /// LITERAL-'s limit on non-synchronising literals until
    /// [`Connection::set_literal_plus`]).
    pub(crate) fn new(
        stream: Stream,
        limits: FramerLimits,
        layered: Arc<AtomicBool>,
        write_timeout: Duration,
    ) -> Self {
        layered.store(stream.is_tls(), Ordering::Relaxed);
        Connection {
            stream,
            read_buf: BytesMut::with_capacity(READ_CHUNK),
            framer: Framer::new(Role::Server, literal_minus(limits)),
            limits,
            out: Vec::with_capacity(8 * 1024),
            queued: VecDeque::new(),
            queued_len: 0,
            layered,
            deflate: None,
            write_timeout,
            broken: None,
        }
    }

    /// Whether TLS is up.
    pub(crate) fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// STARTTLS: flushes what is buffered (the tagged OK), runs the
    /// handshake, and forgets any input the client sent after STARTTLS in
    /// plaintext (RFC 3501 §6.2.1: it must not be taken as commands).
    pub(crate) async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> std::io::Result<()> {
        self.flush().await?;
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Upgrading) else {
            return Err(std::io::Error::other("TLS is already active"));
        };
        let tls = acceptor.accept(tcp).await?;
        self.stream = Stream::Tls(Box::new(tls));
        self.layered.store(true, Ordering::Relaxed);
        let limits = *self.framer.limits();
        self.framer = Framer::new(Role::Server, limits);
        Ok(())
    }

    /// LITERAL+ (logged in: non-synchronising literals up to the literal
    /// limit) or LITERAL- (at most 4096 bytes; a larger one is refused and
    /// skipped), for the commands after the current one.
    pub(crate) fn set_literal_plus(&mut self, on: bool) {
        let limits = if on {
            self.limits
        } else {
            literal_minus(self.limits)
        };
        self.framer.set_limits(limits);
    }

    /// Whether COMPRESS is on.
    pub(crate) fn is_compressed(&self) -> bool {
        self.deflate.is_some()
    }

    /// COMPRESS DEFLATE (RFC 4978): flushes what is buffered (the tagged
    /// OK, the last uncompressed bytes), then compresses everything after
    /// it, and reads input through the inflater — also input already read
    /// behind the command, from a client that did not wait for the OK.
    pub(crate) async fn start_deflate(&mut self) -> std::io::Result<()> {
        self.flush().await?;
        let unframed = self.framer.take_unframed();
        self.deflate = Some(Box::new(Deflate::new(&unframed)));
        self.layered.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The next framing event the input read so far allows, if any.
    pub(crate) fn poll_event(&mut self) -> Option<FrameEvent> {
        self.framer.next()
    }

    /// The framer, to settle a pending literal.
    pub(crate) fn framer(&mut self) -> &mut Framer {
        &mut self.framer
    }

    /// Gives the framer more input: one read from the socket, or with
    /// COMPRESS one piece of inflated input (reading only when what was
    /// read is used up). Returns `false` at end of input. Cancel-safe:
    /// nothing is lost if the future is dropped.
    pub(crate) async fn fill(&mut self) -> std::io::Result<bool> {
        loop {
            if let Some(z) = &mut self.deflate {
                let piece = z.inflate()?;
                if !piece.is_empty() {
                    self.framer.push(piece);
                    return Ok(true);
                }
                if z.ended() {
                    // The client closed its compressed stream.
                    return Ok(false);
                }
            }
            self.read_buf.clear();
            self.read_buf.reserve(READ_CHUNK);
            let n = self.stream.read_buf(&mut self.read_buf).await?;
            if n == 0 {
                return Ok(false);
            }
            match &mut self.deflate {
                Some(z) => z.feed(&self.read_buf),
                None => {
                    self.framer.push(&self.read_buf);
                    return Ok(true);
                }
            }
        }
    }

    /// Encodes `response` (without deferred literals) into the buffer.
    pub(crate) fn write(&mut self, response: &Response<'_>) {
        hadron_proto::encode::response(response, &mut self.out);
    }

    /// Appends raw protocol bytes (already CRLF-terminated).
    pub(crate) fn write_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// A [`ResponseSink`] encoding into this connection's buffer.
    pub(crate) fn sink(&mut self) -> WireSink<'_> {
        WireSink { conn: self }
    }

    /// Queues `data` (a large literal's bytes, written next) without
    /// copying it: what `out` holds goes ahead of it.
    fn queue(&mut self, data: Vec<u8>) {
        if !self.out.is_empty() {
            let head = std::mem::replace(&mut self.out, Vec::with_capacity(8 * 1024));
            self.queued_len += head.len();
            self.queued.push_back(head);
        }
        self.queued_len += data.len();
        self.queued.push_back(data);
    }

    /// Drops all output not yet written.
    fn discard_output(&mut self) {
        self.out.clear();
        self.queued.clear();
        self.queued_len = 0;
    }

    /// Writes `data` to the socket (through COMPRESS when on) within the
    /// write timeout.
    async fn write_out(
        stream: &mut Stream,
        deflate: &mut Option<Box<Deflate>>,
        timeout: Duration,
        data: &[u8],
    ) -> std::io::Result<()> {
        let wire = match deflate {
            Some(z) => z.deflate(data)?,
            None => data,
        };
        tokio::time::timeout(timeout, stream.write_all(wire))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "client stopped reading; write timed out",
                )
            })?
    }

    /// Writes everything buffered to the socket.
    /// Fails with `TimedOut` if the client does not take the data within
    /// the write timeout (it stopped reading).
    pub(crate) async fn flush(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.broken.take() {
            self.discard_output();
            return Err(e);
        }
        // A failed write leaves the rest where it is, as for `out`: the
        // connection is over, or (mid-command) `WireSink` discards it.
        while let Some(chunk) = self.queued.pop_front() {
            self.queued_len -= chunk.len();
            Self::write_out(
                &mut self.stream,
                &mut self.deflate,
                self.write_timeout,
                &chunk,
            )
            .await?;
        }
        if !self.out.is_empty() {
            Self::write_out(
                &mut self.stream,
                &mut self.deflate,
                self.write_timeout,
                &self.out,
            )
            .await?;
            self.out.clear();
            // Keep a burst's buffer from pinning memory for the connection's life.
            if self.out.capacity() > 4 * DIRECT_WRITE {
                self.out.shrink_to(8 * 1024);
            }
            if let Some(z) = &mut self.deflate {
                z.shrink(4 * DIRECT_WRITE);
            }
        }
        self.stream.flush().await
    }

    /// Whether a large amount of output is waiting (flush before more work).
    pub(crate) fn should_flush(&self) -> bool {
        self.out.len() + self.queued_len >= DIRECT_WRITE
    }

    /// Flushes and shuts down the write side.
    pub(crate) async fn close(&mut self) -> std::io::Result<()> {
        self.flush().await?;
        self.stream.shutdown().await
    }
}

/// `limits` with LITERAL-'s limit on non-synchronising literals (RFC 7888
/// §5), or a lower one configured.
fn literal_minus(limits: FramerLimits) -> FramerLimits {
    FramerLimits {
        max_non_sync_literal: limits.max_non_sync_literal.min(FramerLimits::LITERAL_MINUS),
        ..limits
    }
}

/// Encodes a session's responses into the connection's write buffer, each
/// deferred literal's bytes right after the header the encoder wrote.
/// At the session's flush points (between FETCH batches) the buffer goes
/// to the socket once it holds [`DIRECT_WRITE`] bytes, so a FETCH of a
/// whole mailbox's bodies is streamed, never held in memory whole.
pub(crate) struct WireSink<'a> {
    conn: &'a mut Connection,
}

impl ResponseSink for WireSink<'_> {
    fn send(&mut self, output: Output) {
        if self.conn.broken.is_some() {
            // The client is gone; the command's end will report it.
            return;
        }
        let mut writer = ResponseWriter::new(&output.response);
        let mut literals = output.literals.into_iter();
        loop {
            match writer.write(&mut self.conn.out) {
                Step::Done => break,
                Step::Literal { len } => {
                    let data = literals.next().unwrap_or_default();
                    // The engine gives exactly `len` bytes; never let a
                    // mismatch desynchronise the client.
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    if data.len() == len && len >= DIRECT_WRITE {
                        self.conn.queue(data);
                        continue;
                    }
                    let out = &mut self.conn.out;
                    let take = data.len().min(len);
                    out.extend_from_slice(&data[..take]);
                    out.resize(out.len() + (len - take), b' ');
                }
            }
        }
    }

    fn flush(&mut self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if self.conn.broken.is_none()
                && self.conn.should_flush()
                && let Err(e) = self.conn.flush().await
            {
                self.conn.broken = Some(e);
                self.conn.discard_output();
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadron_proto::types::Data;
    use tokio::net::{TcpListener, TcpStream};

    /// A connection on one end of a loopback socket, and the other end.
    async fn pair(write_timeout: Duration) -> (Connection, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let conn = Connection::new(
            Stream::Plain(server),
            FramerLimits::default(),
            Arc::new(AtomicBool::new(false)),
            write_timeout,
        );
        (conn, client)
    }

    /// About `n` × 12 bytes of output.
    fn send_many(sink: &mut WireSink<'_>, n: u32) {
        for i in 0..n {
            sink.send(Output::new(Response::Data(Data::Exists(100_000 + i))));
        }
    }

    #[tokio::test]
    async fn output_reaches_the_socket_at_flush_points_once_large() {
        let (mut conn, mut client) = pair(Duration::from_secs(5)).await;
        let mut sink = conn.sink();
        send_many(&mut sink, 10);
        sink.flush().await;
        // Small output stays buffered until the command ends...
        assert_eq!(conn.out.len(), 10 * "* 100000 EXISTS\r\n".len());
        let mut sink = conn.sink();
        send_many(&mut sink, 6_000);
        sink.flush().await;
        // ...large output goes out mid-command.
        assert!(conn.out.is_empty());
        let mut got = vec![0u8; DIRECT_WRITE];
        client.read_exact(&mut got).await.unwrap();
        assert!(got.starts_with(b"* 100000 EXISTS\r\n"));
    }

    /// A `* 1 FETCH (BODY[] {len}...)` whose body is `len` bytes of a
    /// pattern, as FETCH hands it over (a deferred literal).
    fn body_fetch(len: usize) -> Output {
        use hadron_proto::types::{BodyData, FetchItem, Section};
        let mut out = Output::new(Response::Data(Data::Fetch {
            seq: std::num::NonZeroU32::MIN,
            items: vec![FetchItem::BodySection {
                section: Section::Full,
                origin: None,
                data: BodyData::Deferred { len: len as u64 },
            }],
        }));
        out.literals
            .push((0..len).map(|i| b'a' + (i % 26) as u8).collect());
        out
    }

    #[tokio::test]
    async fn a_large_body_goes_out_whole_and_in_order_without_a_copy() {
        let (mut conn, mut client) = pair(Duration::from_secs(5)).await;
        let small = Output::new(Response::Data(Data::Exists(7)));
        let (big, tiny) = (body_fetch(5 * DIRECT_WRITE + 3), body_fetch(10));
        let mut want = small.to_bytes();
        want.extend(big.to_bytes());
        want.extend(tiny.to_bytes());
        want.extend(small.to_bytes());
        let mut sink = conn.sink();
        sink.send(small.clone());
        sink.send(big);
        sink.send(tiny);
        sink.send(small);
        // The large body is queued as it came, not copied into the buffer.
        assert_eq!(conn.queued.len(), 2, "the buffer before it, then the body");
        assert!(conn.out.len() < DIRECT_WRITE);
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; want.len()];
            client.read_exact(&mut got).await.unwrap();
            assert!(got == want, "the bytes on the wire differ");
        });
        conn.flush().await.unwrap();
        assert!(conn.queued.is_empty() && conn.out.is_empty());
        reader.await.unwrap();
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_breaks_the_command_not_memory() {
        let (mut conn, _client) = pair(Duration::from_millis(100)).await;
        // The client never reads: once the socket buffers are full the
        // write times out, later output is dropped, and the next flush
        // (the command's end) reports the failure.
        let mut rounds = 0;
        while conn.broken.is_none() {
            rounds += 1;
            assert!(rounds < 10_000, "socket never filled up");
            let mut sink = conn.sink();
            send_many(&mut sink, 6_000);
            sink.flush().await;
        }
        let mut sink = conn.sink();
        send_many(&mut sink, 6_000);
        assert!(conn.out.is_empty(), "output after the failure is dropped");
        let e = conn.flush().await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    }
}
