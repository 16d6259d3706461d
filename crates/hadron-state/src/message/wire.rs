//! IMAP wire form of ENVELOPE, BODY and BODYSTRUCTURE, produced by
//! hadron-proto's encoder so that the bytes are exactly what a FETCH
//! response would carry.
//!
//! hadron-proto exposes no single-item encoder, so this encodes a one-item
//! `* 1 FETCH (...)` response and slices the item's value out of it. The
//! prefix and suffix are fixed by the grammar, so the slice is exact.

use std::num::NonZeroU32;

use hadron_proto::encode;
use hadron_proto::types::{BodyStructure, Data, Envelope, FetchItem, Response};

fn item_value(item: FetchItem<'_>, name: &[u8]) -> Vec<u8> {
    let resp = Response::Data(Data::Fetch {
        seq: NonZeroU32::MIN,
        items: vec![item],
    });
    let mut out = Vec::new();
    encode::response(&resp, &mut out);
    let prefix_len = b"* 1 FETCH (".len() + name.len() + 1;
    let suffix_len = b")\r\n".len();
    debug_assert!(out.len() >= prefix_len + suffix_len);
    debug_assert_eq!(&out[b"* 1 FETCH (".len()..prefix_len - 1], name);
    out.truncate(out.len().saturating_sub(suffix_len));
    out.drain(..prefix_len.min(out.len()));
    out
}

/// `(date subject from ...)` as sent after `ENVELOPE `.
pub(crate) fn envelope(e: Envelope<'static>) -> Vec<u8> {
    item_value(FetchItem::Envelope(Box::new(e)), b"ENVELOPE")
}

/// The body structure as sent after `BODY ` (no extension data).
pub(crate) fn body(b: BodyStructure<'static>) -> Vec<u8> {
    item_value(FetchItem::Body(Box::new(b)), b"BODY")
}

/// The body structure as sent after `BODYSTRUCTURE ` (with extension
/// data).
pub(crate) fn body_structure(b: BodyStructure<'static>) -> Vec<u8> {
    item_value(FetchItem::BodyStructure(Box::new(b)), b"BODYSTRUCTURE")
}
