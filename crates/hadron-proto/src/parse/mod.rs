//! Bytes → types. Parsers work on complete input (one framed command or
//! response); the framer finds where those end.

#[allow(dead_code)] // used by the command and response parsers as they land
pub(crate) mod core;
pub(crate) mod error;
#[allow(dead_code)]
pub(crate) mod section;

mod response;
mod response_data;
mod response_fetch;

#[cfg(feature = "testing")]
pub(crate) use self::response::decode_base64 as decode_base64_for_tests;
pub use self::response::{ResponseError, greeting, response};
