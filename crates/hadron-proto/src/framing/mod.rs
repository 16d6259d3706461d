//! Streaming framing: turning a chunked byte stream into complete commands.
//!
//! IMAP input arrives in arbitrary pieces, and a command may carry literals
//! (`{n}` CRLF followed by n bytes of data) whose data can contain anything,
//! CRLF included. The [`Framer`] finds where each command (or, for a client,
//! each response) ends, and hands it over whole — line text, CRLFs and
//! literal data — so that the parser can work on complete input.
//!
//! The framer is sans-I/O: the caller [`push`](Framer::push)es the bytes it
//! read, then calls [`next`](Framer::next) until it returns `None`, acting on
//! each [`FrameEvent`]:
//!
//! ```
//! use hadron_proto::framing::{FrameEvent, Framer, FramerLimits, Role};
//!
//! let mut framer = Framer::new(Role::Server, FramerLimits::default());
//! framer.push(b"a1 NOOP\r\na2 LOGIN joe {6}\r\n");
//! assert!(matches!(framer.next(), Some(FrameEvent::Frame(f)) if f == "a1 NOOP\r\n"));
//! match framer.next() {
//!     Some(FrameEvent::NeedContinuation { size: 6, .. }) => {
//!         framer.accept_literal().unwrap(); // and send "+ Ready\r\n"
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert_eq!(framer.next(), None); // waiting for the literal data
//! framer.push(b"secret\r\n");
//! assert!(matches!(framer.next(), Some(FrameEvent::Frame(f)) if f == "a2 LOGIN joe {6}\r\nsecret\r\n"));
//! ```
//!
//! Bad input never makes the framer lose its place: a refused command is
//! skipped up to the CRLF that ends it (skipping the data of any
//! non-synchronising literal it announced), and framing resumes with the next
//! command. A server also skips the data of a non-synchronising literal over
//! [`FramerLimits::max_non_sync_literal`] (a LITERAL- server's 4096 bytes,
//! RFC 7888 §5) as long as it is within
//! [`FramerLimits::max_sync_literal`], and reports the command as an
//! error. The only exception is a literal whose data the peer sends unasked
//! and that is over every limit: its bytes must not be read as commands,
//! and skipping them would let the peer keep the connection busy without
//! bound, so the framer reports [`FrameEvent::Fatal`] and stops.

mod error;
mod framer;
mod header;
mod limits;

pub use self::error::{FrameError, FrameErrorKind, NoPendingLiteral};
pub use self::framer::{FrameEvent, Framer, Role};
pub use self::limits::FramerLimits;
