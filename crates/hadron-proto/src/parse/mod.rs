//! Bytes → types. Parsers work on complete input (one framed command or
//! response); the framer finds where those end.

pub(crate) mod core;
pub(crate) mod error;
pub(crate) mod section;

mod response;
mod response_data;
mod response_fetch;

#[cfg(feature = "testing")]
pub(crate) use self::response::decode_base64 as decode_base64_for_tests;
pub use self::response::{ResponseError, greeting, response};

mod command;
mod fetch;
mod keyword;
mod limits;
mod mailbox_commands;
mod notify;
mod search;
mod selected_commands;
mod session_commands;

pub use self::command::{authenticate_continuation, command, idle_done};
pub use self::limits::{CommandError, CommandErrorKind, ParseLimits};
pub use self::section::section_spec_only as section_spec;
