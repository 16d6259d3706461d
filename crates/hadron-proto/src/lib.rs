//! The IMAP4rev1 wire protocol for Hadron.
//!
//! This crate knows the grammar of IMAP (RFC 3501 and the extensions Hadron
//! speaks) and nothing else: no sockets, no async, no storage. It has three
//! layers, each in its own module:
//!
//! - [`types`]: the vocabulary — validated newtypes ([`types::Tag`],
//!   [`types::Mailbox`], [`types::SequenceSet`], ...) that cannot hold
//!   invalid protocol.
//! - [`parse`]: bytes → types, written with `nom`; every function carries its
//!   ABNF production.
//! - [`encode`]: types → bytes, choosing atom, quoted or literal by content.
#![forbid(unsafe_code)]

pub mod encode;
pub mod framing;
pub mod parse;
#[cfg(feature = "testing")]
pub mod testing;
pub mod types;
