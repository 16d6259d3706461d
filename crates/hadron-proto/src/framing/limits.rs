//! The bounds a [`Framer`](super::Framer) enforces.

/// Limits on what one command (or response) may contain.
///
/// Every limit is enforced as bytes arrive, so the framer never buffers more
/// than about `max_frame` bytes of one command, whatever the peer sends.
///
/// ```
/// use hadron_proto::framing::FramerLimits;
/// let limits = FramerLimits {
///     max_sync_literal: 25 << 20,
///     ..FramerLimits::default()
/// };
/// assert_eq!(limits.max_line, 64 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerLimits {
    /// Longest line, not counting its CRLF and not counting literal data
    /// (each stretch of text between literals is a line). Default 64 KiB.
    pub max_line: usize,
    /// Largest synchronising literal (`{n}`, `~{n}`). A larger one is refused
    /// with [`FrameEvent::LiteralTooLarge`](super::FrameEvent::LiteralTooLarge)
    /// before the peer sends it. Default 64 MiB.
    pub max_sync_literal: u64,
    /// Largest non-synchronising literal (`{n+}`, `~{n+}`). Its data arrives
    /// unasked: a larger one within `max_sync_literal` is refused with
    /// [`FrameEvent::Error`](super::FrameEvent::Error) and its data skipped
    /// ([`Role::Server`](super::Role::Server)), one larger than both is
    /// fatal. Default 64 MiB (LITERAL+); use
    /// [`FramerLimits::LITERAL_MINUS`] (4096) for LITERAL- (RFC 7888 §5).
    pub max_non_sync_literal: u64,
    /// Largest whole command: all lines, CRLFs and literal data. Default 80 MiB,
    /// so one literal of the default maximum fits with room to spare.
    pub max_frame: u64,
    /// Most literals in one command. Commands are bounded by bytes
    /// (`max_frame`); this count only caps the per-literal bookkeeping a
    /// command of tiny literals could make the framer and parser keep.
    /// MULTIAPPEND sends one literal per message and migration tools send
    /// hundreds or thousands, so the default is high: 100,000.
    pub max_literals: usize,
}

impl FramerLimits {
    /// The non-synchronising literal limit a LITERAL- server advertises
    /// (RFC 7888 §5): 4096 bytes.
    pub const LITERAL_MINUS: u64 = 4096;

    /// The defaults with `max_non_sync_literal` set for LITERAL- (4096 bytes).
    pub fn literal_minus() -> Self {
        Self {
            max_non_sync_literal: Self::LITERAL_MINUS,
            ..Self::default()
        }
    }
}

impl Default for FramerLimits {
    fn default() -> Self {
        Self {
            max_line: 64 * 1024,
            max_sync_literal: 64 << 20,
            max_non_sync_literal: 64 << 20,
            max_frame: 80 << 20,
            max_literals: 100_000,
        }
    }
}
