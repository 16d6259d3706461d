//! The state engine of Hadron (placeholder docs, replaced below).
#![forbid(unsafe_code)]

pub mod delivery;
pub mod flags;
pub mod snapshot;
pub mod update;
