//! Types → bytes.

pub(crate) mod core;
pub(crate) mod section;

mod response;
mod response_data;
mod response_fetch;
mod response_status;

pub use self::response::{ResponseWriter, Step, greeting, response};

mod command;
mod fetch;
mod notify;
mod search;

pub use self::command::{command, command_with_mode};
