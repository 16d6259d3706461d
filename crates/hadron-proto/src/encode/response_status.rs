//! Writers for status responses (tagged and untagged OK/NO/BAD, BYE) and
//! their `resp-text`, including response codes.

use std::io::Write as _;

use crate::encode::core::{
    atom, charset, flag_perm, number, paren_list, paren_objectid, sequence_set, tag, text,
};
use crate::types::{Capability, Code, RespText, Status, UidSet};

/// Writes `SP resp-text`, or nothing when there is neither code nor text
/// (unless `always_space`).
pub(super) fn resp_text(out: &mut Vec<u8>, t: &RespText<'_>, always_space: bool) {
    let has_text = !t.text().as_str().is_empty();
    if always_space || has_text || t.code().is_some() {
        out.push(b' ');
    }
    if let Some(c) = t.code() {
        out.push(b'[');
        code(out, c);
        out.push(b']');
        if has_text {
            out.push(b' ');
        }
    }
    text(out, t.text());
}

pub(super) fn status(out: &mut Vec<u8>, s: &Status<'_>) {
    match s {
        Status::Tagged { tag: t, kind, text } => {
            tag(out, t);
            out.push(b' ');
            out.extend_from_slice(kind.name().as_bytes());
            resp_text(out, text, false);
        }
        Status::Untagged { kind, text } => {
            out.extend_from_slice(b"* ");
            out.extend_from_slice(kind.name().as_bytes());
            resp_text(out, text, false);
        }
        Status::Bye(text) => {
            out.extend_from_slice(b"* BYE");
            resp_text(out, text, false);
        }
    }
}

pub(super) fn uid_set(out: &mut Vec<u8>, set: &UidSet) {
    sequence_set(out, set.as_sequence_set());
}

/// Writes `resp-text-code` (without brackets).
fn code(out: &mut Vec<u8>, c: &Code<'_>) {
    out.extend_from_slice(c.name().as_bytes());
    match c {
        Code::BadCharset(v) if !v.is_empty() => {
            out.push(b' ');
            paren_list(out, v, |out, c| charset(out, c));
        }
        Code::Capability(v) => capabilities(out, v),
        Code::PermanentFlags(v) => {
            out.push(b' ');
            paren_list(out, v, |out, f| flag_perm(out, f));
        }
        Code::UidNext(n) | Code::UidValidity(n) | Code::Unseen(n) => {
            out.push(b' ');
            number(out, u64::from(n.get()));
        }
        Code::AppendUid { uid_validity, uids } => {
            out.push(b' ');
            number(out, u64::from(uid_validity.get()));
            out.push(b' ');
            uid_set(out, uids);
        }
        Code::CopyUid {
            uid_validity,
            source,
            destination,
        } => {
            out.push(b' ');
            number(out, u64::from(uid_validity.get()));
            out.push(b' ');
            uid_set(out, source);
            out.push(b' ');
            uid_set(out, destination);
        }
        Code::HighestModSeq(n) => {
            out.push(b' ');
            number(out, *n);
        }
        Code::Modified(set) => {
            out.push(b' ');
            sequence_set(out, set);
        }
        Code::MailboxId(id) => {
            out.push(b' ');
            paren_objectid(out, id);
        }
        Code::BadEvent(events) => {
            out.push(b' ');
            paren_list(out, events.as_slice(), crate::encode::notify::event);
        }
        Code::Other(o) => {
            if let Some(t) = o.text() {
                out.push(b' ');
                text(out, t);
            }
        }
        _ => {}
    }
}

/// Writes `*(SP capability)`.
pub(super) fn capabilities(out: &mut Vec<u8>, caps: &[Capability<'_>]) {
    for c in caps {
        out.push(b' ');
        capability(out, c);
    }
}

fn capability(out: &mut Vec<u8>, c: &Capability<'_>) {
    match c {
        Capability::Auth(a) => {
            out.extend_from_slice(b"AUTH=");
            atom(out, a);
        }
        Capability::Thread(a) => {
            out.extend_from_slice(b"THREAD=");
            atom(out, a);
        }
        Capability::Compress(a) => {
            out.extend_from_slice(b"COMPRESS=");
            atom(out, a);
        }
        Capability::Other(a) => atom(out, a),
        // Known names display as static strings; writing through fmt into
        // the Vec allocates nothing.
        known => {
            let _ = write!(out, "{known}");
        }
    }
}
