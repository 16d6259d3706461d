//! Object identifiers (RFC 8474, OBJECTID): how Hadron names a mailbox, a
//! message's content and a thread, durably and without a lookup table.
//!
//! - **MAILBOXID** `M<id>-<uidvalidity>` (hex): the mailbox row's id, which a
//!   RENAME keeps, and its UIDVALIDITY, so that a mailbox created after
//!   another was deleted never gets its id even if the database reuses the
//!   row id.
//! - **EMAILID** `E<content hash>`: the SHA-256 of the message as stored;
//!   a COPY or MOVE shares it (RFC 8474 §5.1), and so do two APPENDs of the
//!   very same bytes, which the RFC allows.
//! - **THREADID** `T<24 hex digits>`: a digest of the thread's root
//!   Message-ID, computed at ingest from the message's own header — the
//!   first `References` entry (RFC 5322 §3.6.4 keeps the root first), else
//!   `In-Reply-To`, else its own `Message-ID` — so every message of a thread
//!   gets the same one whatever order they arrive in, with no lookup of
//!   other messages. A message with none of the three has THREADID NIL.

use hadron_proto::types::ObjectId;
use hadron_store::MailboxInfo;
use sha2::{Digest, Sha256};

/// The MAILBOXID of a mailbox.
pub fn mailbox_id(info: &MailboxInfo) -> ObjectId<'static> {
    let id = format!("M{:x}-{:x}", info.id.0, info.uidvalidity);
    ObjectId::try_from(id).unwrap_or_else(|_| unreachable!("hex digits, M and -"))
}

/// The EMAILID of a message stored under `content_hash` (lowercase hex);
/// `None` if the hash is not one (never, for what the store writes).
pub fn email_id(content_hash: &str) -> Option<ObjectId<'static>> {
    ObjectId::try_from(format!("E{content_hash}")).ok()
}

/// The content hash an EMAILID names, if it is one of Hadron's.
pub fn content_hash_of(email_id: &str) -> Option<&str> {
    email_id
        .strip_prefix('E')
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The THREADID of a thread whose root message has Message-ID `root` (as
/// written, angle brackets included).
pub fn thread_id(root: &str) -> String {
    let digest = Sha256::digest(root.trim().as_bytes());
    let mut id = String::with_capacity(25);
    id.push('T');
    for b in &digest[..12] {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// The THREADID value as an object id; `None` (THREADID NIL) for a message
/// stored without one.
pub fn thread_object_id(stored: Option<&str>) -> Option<ObjectId<'static>> {
    stored.and_then(|t| ObjectId::try_from(t.to_owned()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadron_store::{MailboxId, UserId};

    #[test]
    fn ids_are_valid_object_ids_and_round_trip() {
        let info = MailboxInfo {
            id: MailboxId(42),
            user: UserId(1),
            name: "INBOX".into(),
            special_use: None,
            uidvalidity: 0x6b1d_2a3c,
            uidnext: 1,
            highest_modseq: 1,
            messages: 0,
            unseen: 0,
            recent: 0,
            size: 0,
        };
        assert_eq!(mailbox_id(&info).as_str(), "M2a-6b1d2a3c");
        let hash = "ab".repeat(32);
        let e = email_id(&hash).unwrap();
        assert_eq!(content_hash_of(e.as_str()), Some(hash.as_str()));
        assert_eq!(content_hash_of("Exyz"), None);
        assert_eq!(content_hash_of("T0011"), None);
        let t = thread_id("<root@example.org>");
        assert_eq!(t.len(), 25);
        assert_eq!(t, thread_id(" <root@example.org> "));
        assert_ne!(t, thread_id("<other@example.org>"));
        assert!(thread_object_id(Some(&t)).is_some());
        assert!(thread_object_id(None).is_none());
    }
}
