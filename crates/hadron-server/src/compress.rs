//! COMPRESS=DEFLATE (RFC 4978): after the tagged OK of `COMPRESS DEFLATE`
//! both directions are raw deflate streams (RFC 1951, no zlib header), the
//! layer above TLS. [`Deflate`] is the connection's side of it, sans I/O:
//! compressed input goes in ([`Deflate::feed`]) and comes out inflated in
//! bounded pieces for the framer ([`Deflate::inflate`]); output is
//! compressed with a sync flush at every point where the server flushes
//! ([`Deflate::deflate`]), so a client never waits for bytes held in the
//! compressor.
//!
//! Memory stays bounded whatever the client sends: input is inflated at
//! most [`INFLATE_CHUNK`] bytes at a time and only when the framer has used
//! up what came before, so a decompression bomb reaches the framer at the
//! pace of uncompressed input and meets the same line and literal limits.
//! A connection's compressor and decompressor hold about 300 KiB
//! (miniz_oxide's dictionary and hash tables).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The most inflated bytes handed to the framer at once.
pub(crate) const INFLATE_CHUNK: usize = 16 * 1024;

/// Compressed input held without progress (the inflater takes no more and
/// gives nothing) before the stream is declared broken.
const MAX_STALLED_INPUT: usize = 64 * 1024;

/// zlib's default level (Dovecot's too): most of the gain of higher levels
/// at a fraction of their CPU.
const LEVEL: u32 = 6;

/// One connection's deflate layer, both directions.
pub(crate) struct Deflate {
    inflater: Decompress,
    deflater: Compress,
    /// Compressed input read from the socket; `consumed` bytes of it are
    /// already inflated.
    input: Vec<u8>,
    consumed: usize,
    /// The last piece inflated, for the framer.
    inflated: Vec<u8>,
    /// Compressed output of the last [`Deflate::deflate`].
    output: Vec<u8>,
    /// The last inflate filled its buffer: the inflater may hold more
    /// output even with no input left.
    more_output: bool,
    /// The client ended its stream (a final block): nothing more comes.
    ended: bool,
}

impl std::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate")
            .field("bytes_in", &self.inflater.total_in())
            .field("bytes_out", &self.deflater.total_out())
            .finish_non_exhaustive()
    }
}

fn broken(what: &str, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{what} (COMPRESS): {e}"),
    )
}

impl Deflate {
    /// A fresh layer; `unframed` is input already read behind the COMPRESS
    /// command (a client that did not wait for the OK), compressed.
    pub(crate) fn new(unframed: &[u8]) -> Deflate {
        Deflate {
            inflater: Decompress::new(false),
            deflater: Compress::new(Compression::new(LEVEL), false),
            input: unframed.to_vec(),
            consumed: 0,
            inflated: Vec::with_capacity(INFLATE_CHUNK),
            output: Vec::new(),
            more_output: false,
            ended: false,
        }
    }

    /// Whether inflating may give something without more input.
    pub(crate) fn has_input(&self) -> bool {
        (self.consumed < self.input.len() || self.more_output) && !self.ended
    }

    /// Whether the client ended its compressed stream.
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }

    /// Adds compressed input read from the socket.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        if self.consumed == self.input.len() {
            self.input.clear();
            self.consumed = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// Inflates what the input allows, at most [`INFLATE_CHUNK`] bytes.
    /// Empty when more input is needed (or the stream ended). Fails on
    /// input that is not a deflate stream.
    pub(crate) fn inflate(&mut self) -> std::io::Result<&[u8]> {
        self.inflated.clear();
        let room = self.inflated.capacity().min(INFLATE_CHUNK);
        while self.inflated.len() < room && self.has_input() {
            let before = self.inflater.total_in();
            let produced_before = self.inflated.len();
            let status = self
                .inflater
                .decompress_vec(
                    &self.input[self.consumed..],
                    &mut self.inflated,
                    FlushDecompress::None,
                )
                .map_err(|e| broken("invalid compressed input", e))?;
            let used = usize::try_from(self.inflater.total_in() - before).unwrap_or(usize::MAX);
            self.consumed = self.consumed.saturating_add(used).min(self.input.len());
            self.more_output = self.inflated.len() == self.inflated.capacity();
            if status == Status::StreamEnd {
                self.ended = true;
            } else if used == 0 && self.inflated.len() == produced_before {
                // Needs more input than there is.
                break;
            }
        }
        if self.consumed == self.input.len() {
            self.input.clear();
            self.consumed = 0;
        } else if self.inflated.is_empty() && self.input.len() - self.consumed > MAX_STALLED_INPUT {
            return Err(broken("invalid compressed input", "no progress"));
        }
        if self.input.capacity() > 4 * MAX_STALLED_INPUT && self.input.is_empty() {
            self.input.shrink_to(0);
        }
        Ok(&self.inflated)
    }

    /// Compresses `data` and flushes the compressor (a sync flush: the
    /// client can inflate everything up to here); returns the bytes for
    /// the socket.
    pub(crate) fn deflate(&mut self, data: &[u8]) -> std::io::Result<&[u8]> {
        self.output.clear();
        // Incompressible data grows by a few bytes per 16 KiB block.
        self.output.reserve(data.len() + data.len() / 1000 + 64);
        let mut rest = data;
        loop {
            if self.output.len() == self.output.capacity() {
                self.output.reserve(8 * 1024);
            }
            let before = self.deflater.total_in();
            self.deflater
                .compress_vec(rest, &mut self.output, FlushCompress::Sync)
                .map_err(|e| broken("compressing output", e))?;
            let used = usize::try_from(self.deflater.total_in() - before).unwrap_or(usize::MAX);
            rest = &rest[used.min(rest.len())..];
            // Done once everything went in and the flush did not fill the
            // buffer (a full buffer may mean flushed output is still held).
            if rest.is_empty() && self.output.len() < self.output.capacity() {
                break;
            }
        }
        Ok(&self.output)
    }

    /// Lets go of a large output buffer after a burst.
    pub(crate) fn shrink(&mut self, keep: usize) {
        if self.output.capacity() > keep {
            self.output = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client sends: `data` deflated with a sync flush.
    fn client_deflate(c: &mut Compress, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 1024);
        c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
        assert_eq!(c.total_in() as usize, data.len(), "test input fits at once");
        out
    }

    /// Inflates everything the layer can give now.
    fn drain(z: &mut Deflate) -> Vec<u8> {
        let mut all = Vec::new();
        loop {
            let piece = z.inflate().unwrap();
            if piece.is_empty() {
                return all;
            }
            assert!(piece.len() <= INFLATE_CHUNK);
            all.extend_from_slice(piece);
        }
    }

    #[test]
    fn input_split_anywhere_inflates_to_the_same_bytes() {
        let mut c = Compress::new(Compression::default(), false);
        let text = b"a1 LOGIN alice secret\r\na2 SELECT INBOX\r\n".repeat(50);
        let wire = client_deflate(&mut c, &text);
        for split in [1, 7, wire.len() / 2, wire.len()] {
            let mut z = Deflate::new(&[]);
            let mut got = Vec::new();
            for piece in wire.chunks(split) {
                z.feed(piece);
                got.extend(drain(&mut z));
            }
            assert_eq!(got, text, "split every {split}");
        }
    }

    #[test]
    fn a_bomb_comes_out_in_bounded_pieces() {
        // 8 MiB of zeros is about 8 KiB compressed.
        let mut c = Compress::new(Compression::best(), false);
        let wire = client_deflate(&mut c, &vec![0u8; 8 << 20]);
        assert!(wire.len() < 64 * 1024);
        let mut z = Deflate::new(&wire);
        let mut total = 0;
        loop {
            let piece = z.inflate().unwrap().len();
            if piece == 0 {
                break;
            }
            assert!(piece <= INFLATE_CHUNK);
            total += piece;
        }
        assert_eq!(total, 8 << 20);
    }

    #[test]
    fn output_is_flushed_so_the_client_reads_it_all() {
        let mut z = Deflate::new(&[]);
        let mut d = Decompress::new(false);
        for text in [&b"* OK hello\r\n"[..], &b"* 1 EXISTS\r\n".repeat(10_000)] {
            let wire = z.deflate(text).unwrap().to_vec();
            let mut out = Vec::with_capacity(text.len() + 16);
            d.decompress_vec(&wire, &mut out, FlushDecompress::Sync)
                .unwrap();
            assert_eq!(out, text);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut z = Deflate::new(b"a1 NOOP\r\n\xff\xff\xff\xff");
        assert!(z.inflate().is_err());
    }

    #[test]
    fn the_end_of_the_stream_is_seen() {
        let mut c = Compress::new(Compression::default(), false);
        let mut wire = Vec::with_capacity(256);
        c.compress_vec(b"a LOGOUT\r\n", &mut wire, FlushCompress::Finish)
            .unwrap();
        wire.extend_from_slice(b"trailing garbage");
        let mut z = Deflate::new(&wire);
        assert_eq!(drain(&mut z), b"a LOGOUT\r\n");
        assert!(z.ended());
        assert!(!z.has_input());
    }
}
