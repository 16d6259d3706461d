//! Types → bytes.

#[allow(dead_code)] // used by the command and response encoders as they land
pub(crate) mod core;
#[allow(dead_code)]
pub(crate) mod section;

mod response;
mod response_fetch;

pub use self::response::{ResponseWriter, Step, greeting, response};
