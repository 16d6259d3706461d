//! The framing state machine.

use bytes::{Buf, Bytes, BytesMut};

use super::error::{FrameError, FrameErrorKind, NoPendingLiteral};
use super::header::{Announcement, ResponseLines, literal_at_end};
use super::limits::FramerLimits;
use crate::types::{Tag, is_tag_char};

/// How many bytes of a line being discarded are kept to see whether it ends
/// in a literal announcement: `~{` + 20 digits + `+}` + CR is 26; the rest is
/// slack. A longer run of digits is treated as a huge literal.
const TAIL: usize = 64;

/// Which side of the connection the framer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A server reading client commands. A synchronising literal (`{n}`)
    /// makes the framer stop with [`FrameEvent::NeedContinuation`]: the
    /// client sends the data only after the server's `+`.
    Server,
    /// A client (or a test, or a proxy) reading server responses. Servers do
    /// not wait for anything, so every literal's data just follows and one
    /// over its limit is fatal.
    ///
    /// Response text is free text that may end in `{n}` without announcing
    /// anything, so continuation requests (`+ ...`) never announce literals,
    /// and status responses (`* OK ...`, `a1 NO ...`) only inside an unclosed
    /// `[` response code (the astrings of `BADCHARSET`). The text of a
    /// response skipped after an error is not interpreted this way: there,
    /// a trailing `{n}` is taken as a literal, the safe reading.
    Client,
}

/// What the framer found in the input; see [`Framer::next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameEvent {
    /// One complete command (or response): every line with its CRLF and all
    /// literal data, ready for a parser that works on complete input.
    Frame(Bytes),
    /// [`Role::Server`] only: the command announced a synchronising literal
    /// within the limits. The caller must call either
    /// [`Framer::accept_literal`] (and send a `+` continuation request) or
    /// [`Framer::reject_literal`] (and send a tagged `NO`/`BAD`; the client
    /// will not send the data, RFC 3501 §7.5).
    NeedContinuation {
        /// The command's tag, if it could be read.
        tag: Option<Tag<'static>>,
        /// The announced length of the literal in bytes.
        size: u64,
        /// Whether it is a `literal8` (`~{n}`, RFC 3516).
        binary: bool,
    },
    /// [`Role::Server`] only: a synchronising literal larger than
    /// [`FramerLimits::max_sync_literal`]. The framer has already dropped the
    /// command and resumes with the next one; the caller sends a tagged `NO`
    /// (`[TOOBIG]`, RFC 7889) and no `+`.
    LiteralTooLarge {
        /// The command's tag, if it could be read.
        tag: Option<Tag<'static>>,
        /// The announced length (saturated at `u64::MAX` on overflow).
        size: u64,
        /// The limit it exceeds.
        limit: u64,
    },
    /// A malformed or over-limit command. The framer has skipped it (up to
    /// the CRLF that ends it, including the data of any non-synchronising
    /// literal) and resumes with the next command; the caller sends a tagged
    /// `BAD` (or an untagged one when there is no tag).
    Error(FrameError),
    /// The peer is sending literal data over the limit without waiting for
    /// permission, so nothing after it can be framed safely. The framer is
    /// closed: it drops all input and yields no more events. The caller
    /// sends `* BYE` and closes the connection.
    Fatal(FrameError),
}

/// The part of the input the framer is in.
#[derive(Debug)]
enum State {
    /// Looking for the LF that ends the current line of the frame.
    Line,
    /// Collecting `remaining` more bytes of literal data into the frame.
    Literal { remaining: u64 },
    /// Waiting for [`Framer::accept_literal`] or [`Framer::reject_literal`].
    AwaitDecision { size: u64 },
    /// Throwing away the rest of a refused command, then reporting `error`:
    /// first `skip` bytes of literal data, then the line up to its LF.
    Discard {
        skip: u64,
        error: FrameError,
        tail: Tail,
    },
    /// After a fatal error: all input is ignored.
    Closed,
}

/// The last few bytes of a line being discarded.
#[derive(Debug, Default)]
struct Tail {
    bytes: Vec<u8>,
    /// Whether bytes were dropped from the front.
    truncated: bool,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        let bytes = if bytes.len() > TAIL {
            self.truncated = true;
            self.bytes.clear();
            &bytes[bytes.len() - TAIL..]
        } else {
            bytes
        };
        self.bytes.extend_from_slice(bytes);
        if self.bytes.len() > TAIL {
            self.truncated = true;
            self.bytes.drain(..self.bytes.len() - TAIL);
        }
    }
}

/// What one step of the state machine achieved.
enum Step {
    /// Keep going with the new state.
    Continue,
    /// Nothing more can be done until more input arrives (or a decision).
    Wait,
    /// Hand this to the caller.
    Emit(FrameEvent),
}

/// A sans-I/O IMAP framer: bytes in, complete commands (or responses) out.
///
/// See the [module documentation](super) for an example.
///
/// Memory: the framer holds the current frame (bounded by
/// [`FramerLimits::max_frame`]) plus whatever was pushed and not yet
/// processed. Call [`next`](Framer::next) until it returns `None` after every
/// [`push`](Framer::push), and settle each
/// [`NeedContinuation`](FrameEvent::NeedContinuation) before pushing more,
/// and the buffer stays within the limits plus one read.
///
/// Cost: the search for line ends never revisits a byte (the framer keeps a
/// scan offset across pushes), and a completed line is looked at once more
/// to classify it; literal data is never examined, and is copied only once,
/// by [`push`](Framer::push); frames are split off the buffer without
/// copying.
#[derive(Debug)]
pub struct Framer {
    role: Role,
    limits: FramerLimits,
    /// Outside `Discard`/`Closed`: `buf[..scan]` is the current frame so far,
    /// already examined; `buf[scan..]` is input not yet looked at.
    buf: BytesMut,
    scan: usize,
    /// Where the current line of the frame starts (after the last literal).
    line_start: usize,
    /// Literals announced so far by the current frame.
    literals: usize,
    /// [`Role::Client`]: where the current response may announce literals.
    response: ResponseLines,
    state: State,
}

impl Framer {
    /// A framer for `role` enforcing `limits`.
    pub fn new(role: Role, limits: FramerLimits) -> Self {
        Self {
            role,
            limits,
            buf: BytesMut::new(),
            scan: 0,
            line_start: 0,
            literals: 0,
            response: ResponseLines::Start,
            state: State::Line,
        }
    }

    /// The role given to [`Framer::new`].
    pub fn role(&self) -> Role {
        self.role
    }

    /// The limits in force: those given to [`Framer::new`], or to the last
    /// [`Framer::set_limits`].
    pub fn limits(&self) -> &FramerLimits {
        &self.limits
    }

    /// Changes the limits, for what the framer has not examined yet: a
    /// server that accepts larger non-synchronising literals once a client
    /// has logged in (LITERAL- before, LITERAL+ after) calls it after the
    /// command that changed the state, before taking the next event.
    pub fn set_limits(&mut self, limits: FramerLimits) {
        self.limits = limits;
    }

    /// Takes every byte pushed and not yet handed out in a frame, leaving
    /// the framer as new (a pending literal decision is dropped with it).
    /// For a layer that starts right after the command just framed, such
    /// as COMPRESS (RFC 4978), whose peer's next bytes must be read through
    /// that layer first.
    pub fn take_unframed(&mut self) -> BytesMut {
        let rest = std::mem::take(&mut self.buf);
        self.reset_frame();
        if !self.is_closed() {
            self.state = State::Line;
        }
        rest
    }

    /// Whether a [`FrameEvent::Fatal`] was reported; the framer then ignores
    /// all input.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// How many bytes of input the framer holds: the current frame so far plus
    /// input not yet examined. Useful for back-pressure; after
    /// [`next`](Framer::next) has returned `None` (with no literal awaiting a
    /// decision) it is at most [`FramerLimits::max_frame`] plus the last push.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends input read from the peer. Chunks may be of any size, down to a
    /// single byte. Ignored once the framer is closed.
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.is_closed() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The next event the input so far allows, or `None` if more input (or a
    /// decision on a pending literal) is needed.
    #[allow(clippy::should_implement_trait)] // not an iterator: `None` is not the end
    pub fn next(&mut self) -> Option<FrameEvent> {
        loop {
            let step = match std::mem::replace(&mut self.state, State::Line) {
                State::Line => self.step_line(),
                State::Literal { remaining } => self.step_literal(remaining),
                State::Discard { skip, error, tail } => self.step_discard(skip, error, tail),
                state @ (State::AwaitDecision { .. } | State::Closed) => {
                    self.state = state;
                    Step::Wait
                }
            };
            match step {
                Step::Continue => {}
                Step::Wait => return None,
                Step::Emit(event) => return Some(event),
            }
        }
    }

    /// Lets the pending synchronising literal in: the caller sends a `+`
    /// continuation request, and the framer reads the data as part of the
    /// command.
    pub fn accept_literal(&mut self) -> Result<(), NoPendingLiteral> {
        match self.state {
            State::AwaitDecision { size } => {
                self.state = State::Literal { remaining: size };
                Ok(())
            }
            _ => Err(NoPendingLiteral),
        }
    }

    /// Refuses the pending synchronising literal: the framer drops the
    /// command, and reads what follows as the next command (the client sends
    /// no data without a `+`). The caller sends a tagged `NO` or `BAD`.
    pub fn reject_literal(&mut self) -> Result<(), NoPendingLiteral> {
        match self.state {
            State::AwaitDecision { .. } => {
                self.drop_frame();
                self.state = State::Line;
                Ok(())
            }
            _ => Err(NoPendingLiteral),
        }
    }

    /// Looks for the end of the current line.
    fn step_line(&mut self) -> Step {
        // Where a limit is certainly broken if no LF comes first: a line of
        // `max_line` bytes may still be waiting for its LF after the CR, so one
        // byte more is too long whatever follows; and the frame may not grow
        // past `max_frame`. Searching no further than that makes the outcome
        // the same however the input was chunked.
        let line_end = self
            .line_start
            .saturating_add(self.limits.max_line)
            .saturating_add(2);
        let frame_end =
            usize::try_from(self.limits.max_frame).map_or(usize::MAX, |max| max.saturating_add(1));
        let window_end = self.buf.len().min(line_end).min(frame_end);
        // Literal data is never scanned; line text is, once, vectorised.
        let found = memchr::memchr(b'\n', &self.buf[self.scan..window_end]);
        let Some(offset) = found else {
            self.scan = window_end;
            if window_end == line_end {
                let limit = self.limits.max_line;
                return self.discard_partial_line(FrameErrorKind::LineTooLong { limit });
            }
            if window_end == frame_end {
                let limit = self.limits.max_frame;
                return self.discard_partial_line(FrameErrorKind::FrameTooLarge { limit });
            }
            return Step::Wait;
        };
        let lf = self.scan + offset;
        self.scan = lf + 1;
        let raw = &self.buf[self.line_start..lf];
        let (line, has_cr) = match raw.strip_suffix(b"\r") {
            Some(line) => (line, true),
            None => (raw, false),
        };
        let line_len = line.len();
        let may_announce = match self.role {
            Role::Server => true,
            Role::Client => self.response.may_announce(line),
        };
        let announced = may_announce.then(|| literal_at_end(line, false)).flatten();

        // Checked in a fixed order, on the complete line only, so that the
        // verdict does not depend on chunking.
        let refused = if line_len > self.limits.max_line {
            Some(FrameErrorKind::LineTooLong {
                limit: self.limits.max_line,
            })
        } else if self.scan as u64 > self.limits.max_frame {
            Some(FrameErrorKind::FrameTooLarge {
                limit: self.limits.max_frame,
            })
        } else if !has_cr {
            Some(FrameErrorKind::BareLf)
        } else {
            None
        };
        if let Some(kind) = refused {
            let error = self.frame_error(kind);
            self.drop_frame();
            return self.after_discarded_line(announced, error);
        }

        let Some(literal) = announced else {
            let frame = self.buf.split_to(self.scan).freeze();
            self.reset_frame();
            return Step::Emit(FrameEvent::Frame(frame));
        };
        self.literals += 1;
        if self.literals > self.limits.max_literals {
            let limit = self.limits.max_literals;
            let error = self.frame_error(FrameErrorKind::TooManyLiterals { limit });
            self.drop_frame();
            return self.after_discarded_line(Some(literal), error);
        }
        let fits_frame = (self.scan as u64).saturating_add(literal.size) <= self.limits.max_frame;

        if self.waits_for_continuation(literal) {
            let tag = self.tag();
            if literal.size > self.limits.max_sync_literal {
                self.drop_frame();
                return Step::Emit(FrameEvent::LiteralTooLarge {
                    tag,
                    size: literal.size,
                    limit: self.limits.max_sync_literal,
                });
            }
            if !fits_frame {
                let limit = self.limits.max_frame;
                self.drop_frame();
                return Step::Emit(FrameEvent::Error(FrameError {
                    tag,
                    kind: FrameErrorKind::FrameTooLarge { limit },
                }));
            }
            self.state = State::AwaitDecision { size: literal.size };
            return Step::Emit(FrameEvent::NeedContinuation {
                tag,
                size: literal.size,
                binary: literal.binary,
            });
        }

        let limit = self.unasked_limit(literal);
        if literal.size > limit {
            let kind = FrameErrorKind::LiteralTooLarge {
                size: literal.size,
                limit,
            };
            let error = self.frame_error(kind);
            self.drop_frame();
            return self.refuse_unasked(literal, error);
        }
        if !fits_frame {
            let limit = self.limits.max_frame;
            let error = self.frame_error(FrameErrorKind::FrameTooLarge { limit });
            self.drop_frame();
            self.state = State::Discard {
                skip: literal.size,
                error,
                tail: Tail::default(),
            };
            return Step::Continue;
        }
        self.state = State::Literal {
            remaining: literal.size,
        };
        Step::Continue
    }

    /// Moves up to `remaining` bytes of literal data into the frame.
    fn step_literal(&mut self, remaining: u64) -> Step {
        let available = self.buf.len() - self.scan;
        let taken = usize::try_from(remaining).map_or(available, |r| r.min(available));
        self.scan += taken;
        let remaining = remaining - taken as u64;
        if remaining > 0 {
            self.state = State::Literal { remaining };
            return Step::Wait;
        }
        self.line_start = self.scan;
        Step::Continue
    }

    /// Throws away the rest of a refused command.
    fn step_discard(&mut self, mut skip: u64, error: FrameError, mut tail: Tail) -> Step {
        if skip > 0 {
            let skipped = usize::try_from(skip).map_or(self.buf.len(), |s| s.min(self.buf.len()));
            self.buf.advance(skipped);
            skip -= skipped as u64;
            if skip > 0 {
                self.state = State::Discard { skip, error, tail };
                return Step::Wait;
            }
        }
        let Some(lf) = memchr::memchr(b'\n', &self.buf) else {
            tail.push(&self.buf);
            self.buf.clear();
            self.state = State::Discard { skip, error, tail };
            return Step::Wait;
        };
        tail.push(&self.buf[..lf]);
        self.buf.advance(lf + 1);
        let line = tail.bytes.strip_suffix(b"\r").unwrap_or(&tail.bytes);
        // The start of the command is gone, so a client-side `+` line cannot
        // be recognised here; reading a literal into it is the safe side.
        let announced = literal_at_end(line, tail.truncated);
        self.after_discarded_line(announced, error)
    }

    /// Called at the end of a line of a refused command (its bytes already
    /// dropped): if the line announced a literal whose data will come anyway,
    /// skip that data and the rest of the command; otherwise report `error`.
    fn after_discarded_line(&mut self, announced: Option<Announcement>, error: FrameError) -> Step {
        match announced {
            Some(literal) if !self.waits_for_continuation(literal) => {
                let limit = self.unasked_limit(literal);
                if literal.size > limit {
                    let kind = FrameErrorKind::LiteralTooLarge {
                        size: literal.size,
                        limit,
                    };
                    let error = FrameError {
                        tag: error.tag,
                        kind,
                    };
                    return self.refuse_unasked(literal, error);
                }
                self.state = State::Discard {
                    skip: literal.size,
                    error,
                    tail: Tail::default(),
                };
                Step::Continue
            }
            // No literal, or a synchronising one the client will not send
            // without our `+`: the command ends here.
            _ => {
                self.state = State::Line;
                Step::Emit(FrameEvent::Error(error))
            }
        }
    }

    /// Gives up on a line that has no LF yet but is already over a limit:
    /// keeps only its tail and its tag, and discards until its end.
    fn discard_partial_line(&mut self, kind: FrameErrorKind) -> Step {
        let error = self.frame_error(kind);
        let mut tail = Tail::default();
        tail.push(&self.buf[self.line_start..self.scan]);
        self.buf.advance(self.scan);
        self.reset_frame();
        self.state = State::Discard {
            skip: 0,
            error,
            tail,
        };
        Step::Continue
    }

    /// A literal over its limit whose data comes unasked (its frame already
    /// dropped). A server skips the data of a non-synchronising literal
    /// that a synchronising one could have carried — over a LITERAL- limit
    /// (RFC 7888 §5: refused, the connection kept) — and reports `error`
    /// at the end of the command; anything larger cannot be told from an
    /// attack, so the framer closes.
    fn refuse_unasked(&mut self, literal: Announcement, error: FrameError) -> Step {
        let skippable = self.role == Role::Server
            && literal.non_sync
            && literal.size <= self.limits.max_sync_literal;
        if !skippable {
            return self.fatal(error);
        }
        self.state = State::Discard {
            skip: literal.size,
            error,
            tail: Tail::default(),
        };
        Step::Continue
    }

    /// Closes the framer for good.
    fn fatal(&mut self, error: FrameError) -> Step {
        self.buf = BytesMut::new();
        self.reset_frame();
        self.state = State::Closed;
        Step::Emit(FrameEvent::Fatal(error))
    }

    /// Whether the peer waits for a `+` before sending this literal's data.
    fn waits_for_continuation(&self, literal: Announcement) -> bool {
        self.role == Role::Server && !literal.non_sync
    }

    /// The limit for a literal whose data comes without asking.
    fn unasked_limit(&self, literal: Announcement) -> u64 {
        if literal.non_sync {
            self.limits.max_non_sync_literal
        } else {
            self.limits.max_sync_literal
        }
    }

    /// The tag of the current frame: its first token, if that is a valid tag
    /// followed by a space.
    fn tag(&self) -> Option<Tag<'static>> {
        let frame = &self.buf[..self.scan];
        let len = frame.iter().position(|&b| !is_tag_char(b))?;
        if len == 0 || frame[len] != b' ' {
            return None;
        }
        Tag::try_from(&frame[..len]).ok().map(Tag::into_static)
    }

    fn frame_error(&self, kind: FrameErrorKind) -> FrameError {
        FrameError {
            tag: self.tag(),
            kind,
        }
    }

    /// Drops the current frame (the bytes already scanned) from the buffer.
    fn drop_frame(&mut self) {
        self.buf.advance(self.scan);
        self.reset_frame();
    }

    fn reset_frame(&mut self) {
        self.scan = 0;
        self.line_start = 0;
        self.literals = 0;
        self.response = ResponseLines::Start;
    }
}
