//! The client's side of COMPRESS=DEFLATE (RFC 4978) for black-box tests: a
//! stream wrapper that deflates what the test writes (a sync flush per
//! write, so each command reaches the server whole) and inflates what the
//! server sends, over TCP or TLS. Raw deflate (RFC 1951), as the RFC
//! wants: no zlib header.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// `inner` with a deflate layer above it.
pub struct Deflated<S> {
    inner: S,
    inflater: Decompress,
    deflater: Compress,
    /// Compressed bytes read; `pos` of them inflated.
    raw: Vec<u8>,
    pos: usize,
    /// The last inflate filled the reader's buffer: more output may be
    /// held in the inflater with no input left.
    more_output: bool,
    /// Compressed bytes to write; `sent` of them written.
    out: Vec<u8>,
    sent: usize,
}

impl<S> Deflated<S> {
    pub fn new(inner: S) -> Deflated<S> {
        Deflated {
            inner,
            inflater: Decompress::new(false),
            deflater: Compress::new(Compression::default(), false),
            raw: Vec::new(),
            pos: 0,
            more_output: false,
            out: Vec::new(),
            sent: 0,
        }
    }
}

/// `data` deflated by `c` with a sync flush.
pub fn deflate_sync(c: &mut Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    let mut rest = data;
    loop {
        if out.len() == out.capacity() {
            out.reserve(4096);
        }
        let before = c.total_in();
        c.compress_vec(rest, &mut out, FlushCompress::Sync)
            .expect("deflate");
        rest = &rest[(c.total_in() - before) as usize..];
        if rest.is_empty() && out.len() < out.capacity() {
            return out;
        }
    }
}

impl<S: AsyncWrite + Unpin> Deflated<S> {
    /// Writes what is pending to `inner`.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Deflated<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.pos < this.raw.len() || this.more_output {
                let (in0, out0) = (this.inflater.total_in(), this.inflater.total_out());
                let room = buf.remaining();
                this.inflater
                    .decompress(
                        &this.raw[this.pos..],
                        buf.initialize_unfilled(),
                        FlushDecompress::Sync,
                    )
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                let used = (this.inflater.total_in() - in0) as usize;
                let produced = (this.inflater.total_out() - out0) as usize;
                this.pos += used;
                this.more_output = produced == room;
                buf.advance(produced);
                if produced > 0 {
                    return Poll::Ready(Ok(()));
                }
                if used > 0 {
                    continue;
                }
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut rb = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            if rb.filled().is_empty() {
                return Poll::Ready(Ok(()));
            }
            this.raw.drain(..this.pos);
            this.pos = 0;
            this.raw.extend_from_slice(rb.filled());
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deflated<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        this.out = deflate_sync(&mut this.deflater, data);
        this.sent = 0;
        // Start writing; the rest goes at the next write or flush.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
