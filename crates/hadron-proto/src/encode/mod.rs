//! Types → bytes.

pub(crate) mod core;
