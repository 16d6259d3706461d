//! Types → bytes.

#[allow(dead_code)] // used by the command and response encoders as they land
pub(crate) mod core;
#[allow(dead_code)]
pub(crate) mod section;

mod command;
mod fetch;
mod search;

pub use self::command::{command, command_with_mode};
