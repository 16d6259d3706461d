//! One client connection's bytes: input through `hadron-proto`'s sans-I/O
//! [`Framer`], output encoded straight into a write buffer that is flushed
//! when the server is about to wait for the client (so a pipelined burst of
//! commands is answered with as few writes as possible).

use bytes::BytesMut;
use hadron_proto::encode::{ResponseWriter, Step};
use hadron_proto::framing::{FrameEvent, Framer, FramerLimits, Role};
use hadron_proto::types::Response;
use hadron_state::session::{Output, ResponseSink};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

use crate::tls::Stream;

/// Bytes read from the socket per call.
const READ_CHUNK: usize = 16 * 1024;

/// Above this many buffered output bytes a literal is written straight to
/// the socket instead of being copied into the buffer.
const DIRECT_WRITE: usize = 64 * 1024;

/// The socket, its framer and its output buffer.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: Stream,
    read_buf: BytesMut,
    framer: Framer,
    out: Vec<u8>,
    /// Set once TLS is up (read by the panic supervisor, which must not
    /// write plaintext into a TLS session).
    tls: Arc<AtomicBool>,
    /// How long a write may wait for a client that does not read.
    write_timeout: Duration,
}

impl Connection {
    /// A connection over `stream`, framing commands within `limits`.
    pub(crate) fn new(
        stream: Stream,
        limits: FramerLimits,
        tls: Arc<AtomicBool>,
        write_timeout: Duration,
    ) -> Self {
        tls.store(stream.is_tls(), Ordering::Relaxed);
        Connection {
            stream,
            read_buf: BytesMut::with_capacity(READ_CHUNK),
            framer: Framer::new(Role::Server, limits),
            out: Vec::with_capacity(8 * 1024),
            tls,
            write_timeout,
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
        self.tls.store(true, Ordering::Relaxed);
        let limits = *self.framer.limits();
        self.framer = Framer::new(Role::Server, limits);
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

    /// Reads once from the socket into the framer. Returns `false` at end
    /// of input. Cancel-safe: nothing is lost if the future is dropped.
    pub(crate) async fn fill(&mut self) -> std::io::Result<bool> {
        self.read_buf.clear();
        self.read_buf.reserve(READ_CHUNK);
        let n = self.stream.read_buf(&mut self.read_buf).await?;
        if n == 0 {
            return Ok(false);
        }
        self.framer.push(&self.read_buf);
        Ok(true)
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
        WireSink { out: &mut self.out }
    }

    /// Writes everything buffered to the socket.
    /// Fails with `TimedOut` if the client does not take the data within
    /// the write timeout (it stopped reading).
    pub(crate) async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            tokio::time::timeout(self.write_timeout, self.stream.write_all(&self.out))
                .await
                .map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "client stopped reading; write timed out",
                    )
                })??;
            self.out.clear();
            // Keep a burst's buffer from pinning memory for the connection's life.
            if self.out.capacity() > 4 * DIRECT_WRITE {
                self.out.shrink_to(8 * 1024);
            }
        }
        self.stream.flush().await
    }

    /// Whether a large amount of output is waiting (flush before more work).
    pub(crate) fn should_flush(&self) -> bool {
        self.out.len() >= DIRECT_WRITE
    }

    /// Flushes and shuts down the write side.
    pub(crate) async fn close(&mut self) -> std::io::Result<()> {
        self.flush().await?;
        self.stream.shutdown().await
    }
}

/// Encodes a session's responses into the connection's write buffer, each
/// deferred literal's bytes right after the header the encoder wrote.
pub(crate) struct WireSink<'a> {
    out: &'a mut Vec<u8>,
}

impl ResponseSink for WireSink<'_> {
    fn send(&mut self, output: Output) {
        let mut writer = ResponseWriter::new(&output.response);
        let mut literals = output.literals.iter();
        loop {
            match writer.write(self.out) {
                Step::Done => break,
                Step::Literal { len } => {
                    let data = literals.next().map_or(&[][..], Vec::as_slice);
                    // The engine gives exactly `len` bytes; never let a
                    // mismatch desynchronise the client.
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    let take = data.len().min(len);
                    self.out.extend_from_slice(&data[..take]);
                    self.out.resize(self.out.len() + (len - take), b' ');
                }
            }
        }
    }
}
