//! Types → bytes.

pub(crate) mod core;
pub(crate) mod section;

mod response;
mod response_fetch;

pub use self::response::{ResponseWriter, Step, greeting, response};

mod command;
mod fetch;
mod search;

pub use self::command::{command, command_with_mode};
