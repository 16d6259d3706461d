//! LMTP's bytes: command lines (bounded: a longer line is skipped and
//! reported, never buffered), message data after `DATA` (dot-unstuffed up
//! to the `.` line, bare LF made CRLF) or `BDAT` (counted octets), and
//! replies buffered until the server is about to wait for the client.
//!
//! Memory per connection is bounded by the line limit plus the message
//! size limit: a message that grows past the limit is read to its end and
//! dropped, so the client gets its `552` instead of a broken connection.

use std::borrow::Cow;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 64 * 1024;

/// One reply line: the code, the enhanced status code (RFC 3463; empty
/// for 220, 221 and 354) and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) code: u16,
    pub(crate) status: &'static str,
    pub(crate) text: Cow<'static, str>,
}

impl Reply {
    /// A reply.
    pub(crate) fn new(code: u16, status: &'static str, text: impl Into<Cow<'static, str>>) -> Self {
        Reply {
            code,
            status,
            text: text.into(),
        }
    }
}

/// A command line, or the news that one was too long (and skipped).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line without its CRLF (or bare LF).
    Text(Vec<u8>),
    /// The line was longer than the limit; it has been skipped to its end.
    TooLong,
}

/// A message being received: its bytes while within the limit, and its
/// size in all.
#[derive(Debug)]
pub(crate) struct Body {
    bytes: Vec<u8>,
    size: u64,
    max: u64,
    /// The last byte taken was a CR (a LF after it ends the line as is).
    after_cr: bool,
}

impl Body {
    /// An empty message of at most `max` bytes.
    pub(crate) fn new(max: u64) -> Body {
        Body {
            bytes: Vec::new(),
            size: 0,
            max,
            after_cr: false,
        }
    }

    /// Appends `data`; past the limit, only counts it.
    fn push(&mut self, data: &[u8]) {
        self.size = self.size.saturating_add(data.len() as u64);
        if self.size <= self.max {
            self.bytes.extend_from_slice(data);
        } else if !self.bytes.is_empty() {
            self.bytes = Vec::new();
        }
        if let Some(&last) = data.last() {
            self.after_cr = last == b'\r';
        }
    }

    /// Whether the message went past the limit.
    pub(crate) fn too_big(&self) -> bool {
        self.size > self.max
    }

    /// The message's bytes (empty when it is too big).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The socket with its input and output buffers.
pub(crate) struct Wire<S> {
    stream: S,
    buf: Vec<u8>,
    /// Where unread input starts in `buf`.
    pos: usize,
    /// A too-long line is being skipped.
    skipping: bool,
    out: Vec<u8>,
    read_timeout: Duration,
    write_timeout: Duration,
}

/// A read that waited longer than the timeout.
fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "client timed out")
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    /// Wraps `stream`.
    pub(crate) fn new(stream: S, read_timeout: Duration, write_timeout: Duration) -> Self {
        Wire {
            stream,
            buf: Vec::with_capacity(READ_CHUNK),
            pos: 0,
            skipping: false,
            out: Vec::with_capacity(1024),
            read_timeout,
            write_timeout,
        }
    }

    /// The next complete command line in the buffer, if any. A line longer
    /// than `max` is dropped as it arrives and reported once its end is
    /// read.
    pub(crate) fn take_line(&mut self, max: usize) -> Option<Line> {
        let avail = &self.buf[self.pos..];
        match memchr::memchr(b'\n', avail) {
            Some(i) => {
                let text = avail[..i].strip_suffix(b"\r").unwrap_or(&avail[..i]);
                let line = if std::mem::take(&mut self.skipping) || text.len() > max {
                    Line::TooLong
                } else {
                    Line::Text(text.to_vec())
                };
                self.pos += i + 1;
                Some(line)
            }
            None => {
                if avail.len() > max {
                    self.skipping = true;
                    self.pos = self.buf.len();
                }
                None
            }
        }
    }

    /// Reads more input; `false` when the client has closed the
    /// connection. Fails with `TimedOut` after the read timeout.
    /// Cancel-safe (used in `select!` with shutdown).
    pub(crate) async fn fill(&mut self) -> std::io::Result<bool> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.reserve(READ_CHUNK);
        match tokio::time::timeout(self.read_timeout, self.stream.read_buf(&mut self.buf)).await {
            Ok(Ok(n)) => Ok(n > 0),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(timed_out()),
        }
    }

    /// Reads message data after `354` up to the line holding only `.`:
    /// dot-unstuffed, with bare LF line ends made CRLF. `None` when the
    /// client closed the connection before the end.
    pub(crate) async fn read_data(&mut self, max: u64) -> std::io::Result<Option<Body>> {
        let mut body = Body::new(max);
        let mut line_start = true;
        loop {
            let avail = &self.buf[self.pos..];
            if avail.is_empty() {
                if !self.fill().await? {
                    return Ok(None);
                }
                continue;
            }
            if line_start && avail[0] == b'.' {
                match avail.get(1..3) {
                    _ if avail.get(1) == Some(&b'\n') => {
                        self.pos += 2;
                        return Ok(Some(body));
                    }
                    Some(b"\r\n") => {
                        self.pos += 3;
                        return Ok(Some(body));
                    }
                    // Not enough to tell the end from a stuffed dot.
                    None if avail.len() < 3 && avail.get(1).is_none_or(|&b| b == b'\r') => {
                        if !self.fill().await? {
                            return Ok(None);
                        }
                        continue;
                    }
                    // A leading dot is removed (RFC 5321 §4.5.2).
                    _ => {
                        self.pos += 1;
                        line_start = false;
                        continue;
                    }
                }
            }
            match memchr::memchr(b'\n', avail) {
                Some(i) => {
                    let line = &avail[..i];
                    if line.ends_with(b"\r") || (i == 0 && body.after_cr) {
                        body.push(&avail[..=i]);
                    } else {
                        body.push(line);
                        body.push(b"\r\n");
                    }
                    self.pos += i + 1;
                    line_start = true;
                }
                None => {
                    body.push(avail);
                    self.pos = self.buf.len();
                    line_start = false;
                }
            }
        }
    }

    /// Reads a `BDAT` chunk of `size` octets into `body` (as they are: no
    /// dot-stuffing, no line-end changes). `false` when the client closed
    /// the connection first.
    pub(crate) async fn read_chunk(&mut self, size: u64, body: &mut Body) -> std::io::Result<bool> {
        let mut left = size;
        while left > 0 {
            if self.pos == self.buf.len() && !self.fill().await? {
                return Ok(false);
            }
            let avail = &self.buf[self.pos..];
            let n = avail.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            body.push(&avail[..n]);
            self.pos += n;
            left -= n as u64;
        }
        Ok(true)
    }

    /// Buffers a reply.
    pub(crate) fn reply(&mut self, reply: &Reply) {
        self.reply_line(reply, true);
    }

    /// Buffers a reply line, `last` of its reply or followed by more
    /// (`250-`).
    pub(crate) fn reply_line(&mut self, reply: &Reply, last: bool) {
        let sep = if last { ' ' } else { '-' };
        let line = if reply.status.is_empty() {
            format!("{}{sep}{}\r\n", reply.code, reply.text)
        } else {
            format!("{}{sep}{} {}\r\n", reply.code, reply.status, reply.text)
        };
        self.out.extend_from_slice(line.as_bytes());
    }

    /// Writes the buffered replies, waiting at most the write timeout for a
    /// client that does not read.
    pub(crate) async fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let write = async {
            self.stream.write_all(&self.out).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.write_timeout, write).await {
            Ok(r) => r?,
            Err(_) => return Err(timed_out()),
        }
        self.out.clear();
        Ok(())
    }

    /// Flushes and closes the connection (best effort).
    pub(crate) async fn close(mut self) -> std::io::Result<()> {
        self.flush().await?;
        let _ = self.stream.shutdown().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(5);

    /// A wire whose client sent `input` and then closed.
    async fn wire(input: &[u8]) -> Wire<tokio::io::DuplexStream> {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        client.write_all(input).await.unwrap();
        drop(client);
        Wire::new(server, T, T)
    }

    #[tokio::test]
    async fn data_is_unstuffed_and_ends_at_the_dot_line() {
        let mut w = wire(b"a\r\n..b\r\n.c\nbare\n\r\n.\r\nNOOP\r\n").await;
        let body = w.read_data(1000).await.unwrap().unwrap();
        assert_eq!(body.bytes(), b"a\r\n.b\r\nc\r\nbare\r\n\r\n");
        assert!(w.fill().await.is_ok());
        assert_eq!(w.take_line(100), Some(Line::Text(b"NOOP".to_vec())));
        let mut w = wire(b".\n").await;
        assert_eq!(w.read_data(10).await.unwrap().unwrap().bytes(), b"");
    }

    #[tokio::test]
    async fn data_over_the_limit_is_read_and_dropped() {
        let mut w = wire(b"0123456789\r\n0123456789\r\n.\r\nQUIT\r\n").await;
        let body = w.read_data(15).await.unwrap().unwrap();
        assert!(body.too_big());
        assert!(body.bytes().is_empty());
        w.fill().await.unwrap();
        assert_eq!(w.take_line(100), Some(Line::Text(b"QUIT".to_vec())));
    }

    #[tokio::test]
    async fn data_cut_short_is_none() {
        let mut w = wire(b"Subject: x\r\n\r\nhalf a mess").await;
        assert!(w.read_data(1000).await.unwrap().is_none());
        let mut w = wire(b"x\r\n.").await;
        assert!(w.read_data(1000).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn long_lines_are_skipped_not_kept() {
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b"\r\nNOOP\r\n");
        let mut w = wire(&input).await;
        let mut got = Vec::new();
        while got.len() < 2 {
            match w.take_line(512) {
                Some(l) => got.push(l),
                None => assert!(w.fill().await.unwrap()),
            }
            assert!(w.buf.len() < 3 * READ_CHUNK);
        }
        assert_eq!(got, [Line::TooLong, Line::Text(b"NOOP".to_vec())]);
    }

    #[tokio::test]
    async fn chunks_are_counted_octets() {
        let mut w = wire(b"a\r\n.\r\nxyzQUIT\r\n").await;
        let mut body = Body::new(100);
        assert!(w.read_chunk(6, &mut body).await.unwrap());
        assert!(w.read_chunk(3, &mut body).await.unwrap());
        assert_eq!(body.bytes(), b"a\r\n.\r\nxyz");
        assert_eq!(w.take_line(100), Some(Line::Text(b"QUIT".to_vec())));
        assert!(!w.read_chunk(1, &mut body).await.unwrap());
    }
}
