//! Why a value was refused.

/// Why a value cannot be a valid protocol element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The value must not be empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// The value is longer than the grammar allows.
    #[error("{what} may be at most {max} bytes long, not {len}")]
    TooLong {
        /// What was being validated.
        what: &'static str,
        /// The longest value allowed.
        max: usize,
        /// The value's length.
        len: usize,
    },
    /// A byte the grammar does not allow.
    #[error("{what} may not contain byte 0x{byte:02x} (at offset {at})")]
    InvalidByte {
        /// What was being validated.
        what: &'static str,
        /// The offending byte.
        byte: u8,
        /// Its offset in the value.
        at: usize,
    },
    /// The bytes are not UTF-8.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// A mailbox name is not valid modified UTF-7 (RFC 3501 §5.1.3).
    #[error("invalid modified UTF-7 at offset {at}: {reason}")]
    InvalidUtf7 {
        /// Offset of the problem in the encoded name.
        at: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Zero where a non-zero number is required.
    #[error("0 is not a valid message number")]
    Zero,
    /// A sequence set that does not follow `sequence-set`.
    #[error("invalid sequence set item {0:?}")]
    BadSequence(String),
    /// A date or time that does not exist.
    #[error("invalid date or time")]
    BadDate,
    /// Bytes that are not one lexically valid parenthesized list
    /// ([`crate::types::WireList`]).
    #[error("invalid wire-form list at offset {at}: {reason}")]
    BadWireList {
        /// Offset of the problem.
        at: usize,
        /// What is wrong.
        reason: &'static str,
    },
}
