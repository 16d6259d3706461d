//! What can go wrong while framing, with messages a user can act on.

use std::fmt;

use crate::types::Tag;

/// A byte count printed for humans: `40 MiB`, `1.5 KiB`, `17 bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteSize(pub(crate) u64);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let n = self.0;
        if n < 1024 {
            return if n == 1 {
                f.write_str("1 byte")
            } else {
                write!(f, "{n} bytes")
            };
        }
        // The largest unit not above `n`; `n >= 1024` so the index is at least 0.
        let exp = (63 - n.leading_zeros()) / 10;
        let unit = 1u64 << (10 * exp);
        let name = UNITS[exp as usize - 1];
        if n.is_multiple_of(unit) {
            write!(f, "{} {name}", n / unit)
        } else {
            // Precision loss is fine: this is for display only.
            #[allow(clippy::cast_precision_loss)]
            let value = n as f64 / unit as f64;
            write!(f, "{value:.1} {name}")
        }
    }
}

/// Why the framer refused a command.
///
/// The [`Display`](fmt::Display) text is meant for the human reading the
/// tagged `BAD`/`NO` (or the `BYE`) the caller sends: it says what limit was
/// hit and by how much.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameErrorKind {
    /// A line (the text between literals, without its CRLF) is longer than
    /// [`FramerLimits::max_line`](super::FramerLimits::max_line).
    #[error("line longer than the {} limit", ByteSize(*.limit as u64))]
    LineTooLong {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// A line ended in LF without CR before it. RFC 3501 §2.2 requires CRLF;
    /// Hadron does not guess, it rejects the line (the LF still ends it, so the
    /// next line is framed normally).
    #[error("line ends in a bare LF; IMAP lines must end in CRLF")]
    BareLf,
    /// The command announced more literals than
    /// [`FramerLimits::max_literals`](super::FramerLimits::max_literals).
    #[error("command has more than {limit} literals")]
    TooManyLiterals {
        /// The configured limit.
        limit: usize,
    },
    /// The command (line text plus literal data) would be larger than
    /// [`FramerLimits::max_frame`](super::FramerLimits::max_frame).
    #[error("command larger than the {} limit", ByteSize(*.limit))]
    FrameTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// A literal whose data the peer sends without waiting (`{n+}`, or any
    /// literal in [`Role::Client`](super::Role::Client)) is larger than the
    /// limit. Fatal, unless a server can skip it: a non-synchronising
    /// literal within the synchronising limit is refused as an
    /// [`FrameEvent::Error`](super::FrameEvent::Error) once its data and the
    /// rest of its command went by.
    #[error("literal of {} exceeds the {} limit", ByteSize(*.size), ByteSize(*.limit))]
    LiteralTooLarge {
        /// The announced size (saturated at `u64::MAX` if the digits overflow).
        size: u64,
        /// The configured limit in bytes.
        limit: u64,
    },
}

/// A refused command: the reason and, when one could be read, its tag.
///
/// The tag is the first token of the command when it is a valid `tag`
/// followed by a space; it lets the caller answer with a tagged `BAD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// The tag of the refused command, if it could be read.
    pub tag: Option<Tag<'static>>,
    /// What was wrong.
    pub kind: FrameErrorKind,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tag {
            Some(tag) => write!(f, "command {tag}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for FrameError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.kind)
    }
}

/// [`Framer::accept_literal`](super::Framer::accept_literal) or
/// [`Framer::reject_literal`](super::Framer::reject_literal) was called while
/// no synchronising literal was waiting for a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no synchronising literal is waiting for a decision")]
pub struct NoPendingLiteral;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_read_naturally() {
        assert_eq!(ByteSize(0).to_string(), "0 bytes");
        assert_eq!(ByteSize(1).to_string(), "1 byte");
        assert_eq!(ByteSize(1023).to_string(), "1023 bytes");
        assert_eq!(ByteSize(1024).to_string(), "1 KiB");
        assert_eq!(ByteSize(1536).to_string(), "1.5 KiB");
        assert_eq!(ByteSize(40 << 20).to_string(), "40 MiB");
        assert_eq!(ByteSize(u64::MAX).to_string(), "16.0 EiB");
    }

    #[test]
    fn literal_too_large_names_both_sizes() {
        let kind = FrameErrorKind::LiteralTooLarge {
            size: 40 << 20,
            limit: 25 << 20,
        };
        assert_eq!(
            kind.to_string(),
            "literal of 40 MiB exceeds the 25 MiB limit"
        );
    }
}
