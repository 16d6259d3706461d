//! Bytes → types. Parsers work on complete input (one framed command or
//! response); the framer finds where those end.

#[allow(dead_code)] // used by the command and response parsers as they land
pub(crate) mod core;
pub(crate) mod error;
#[allow(dead_code)]
pub(crate) mod section;

mod command;
mod fetch;
mod limits;
mod search;

pub use self::command::{authenticate_continuation, command, idle_done};
pub use self::limits::{CommandError, CommandErrorKind, ParseLimits};
