//! From a recipient address to an account and mailbox, and from a received
//! message to a stored one: the part of LMTP that talks to the engine.
//!
//! Delivery is the engine's APPEND ([`Engine::append`]): the quota is
//! checked, the body is written and fsynced, the row committed, and the
//! new message published to the update hub (so sessions in IDLE see it at
//! once) before the engine returns, and so before the `250` reply.

use hadron_proto::types::Mailbox;
use hadron_state::engine::{Account, AppendRequest, Engine, EngineError};
use hadron_state::flags::FlagSet;
use hadron_state::mailboxes::store_name;
use tracing::{info, warn};

use super::command::candidates;
use super::wire::Reply;

/// An accepted recipient: the address as the client gave it, the account
/// it names and the mailbox its message goes to.
#[derive(Debug, Clone)]
pub(crate) struct Recipient {
    pub(crate) address: String,
    pub(crate) account: Account,
    pub(crate) mailbox: String,
}

/// The recipient `address` names (see [`candidates`] for the order in
/// which user names are tried), or `None` for an unknown user. A detail
/// names a mailbox (compared as IMAP compares mailbox names: INBOX in any
/// case); whether it exists is found at delivery, which falls back to
/// INBOX (one mailbox read per delivery instead of two).
pub(crate) async fn resolve(
    engine: &Engine,
    address: &str,
    delimiters: &str,
) -> Result<Option<Recipient>, EngineError> {
    for (name, detail) in candidates(address, delimiters) {
        let Some(account) = engine.local_account(&name).await? else {
            continue;
        };
        let mailbox = detail.map_or_else(|| "INBOX".to_owned(), detail_mailbox);
        return Ok(Some(Recipient {
            address: address.to_owned(),
            account,
            mailbox,
        }));
    }
    Ok(None)
}

/// The stored name of the mailbox `detail` names (INBOX for a name no
/// mailbox can have).
fn detail_mailbox(detail: String) -> String {
    Mailbox::new(detail).map_or_else(|_| "INBOX".to_owned(), |m| store_name(&m))
}

/// The stored message: `Return-Path` and `Delivered-To` (as Dovecot's LMTP
/// writes them) followed by the message as received.
fn with_trace_headers(sender: &str, recipient: &str, message: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(message.len() + sender.len() + recipient.len() + 36);
    raw.extend_from_slice(b"Return-Path: <");
    raw.extend_from_slice(sender.as_bytes());
    raw.extend_from_slice(b">\r\nDelivered-To: ");
    raw.extend_from_slice(recipient.as_bytes());
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(message);
    raw
}

/// Delivers `message` from `sender` to one recipient and says how it went:
/// `250` once the message is durable, `552 5.2.2` over quota, `451 4.3.0`
/// (the MTA tries again later) for anything else.
pub(crate) async fn deliver(
    engine: &Engine,
    sender: &str,
    recipient: &Recipient,
    message: &[u8],
) -> Reply {
    let request = || AppendRequest {
        raw: with_trace_headers(sender, &recipient.address, message),
        flags: FlagSet::default(),
        internal_date: now_unix(),
        uid: None,
    };
    let mut mailbox = recipient.mailbox.as_str();
    let mut result = engine
        .append(&recipient.account, mailbox, vec![request()], None)
        .await;
    if matches!(result, Err(EngineError::NoSuchMailbox(_))) && mailbox != "INBOX" {
        // No mailbox of the detail's name.
        mailbox = "INBOX";
        result = engine
            .append(&recipient.account, mailbox, vec![request()], None)
            .await;
    }
    let to = &recipient.address;
    match result {
        Ok(done) => {
            let uid = done.uids.first().copied().unwrap_or_default();
            info!(
                rcpt = %to,
                user = %recipient.account.name,
                mailbox,
                uid,
                size = message.len(),
                "delivered"
            );
            Reply::new(250, "2.0.0", format!("<{to}> Delivered (UID {uid})"))
        }
        Err(EngineError::OverQuota(resource)) => {
            info!(rcpt = %to, resource = resource.name(), "refused: over quota");
            Reply::new(552, "5.2.2", format!("<{to}> Mailbox full: over quota"))
        }
        Err(e) => {
            warn!(rcpt = %to, error = %e, "delivery failed; the client should retry");
            Reply::new(
                451,
                "4.3.0",
                format!("<{to}> Temporary failure; try again later"),
            )
        }
    }
}

/// Now, in Unix seconds (the INTERNALDATE of a delivered message).
fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_headers_come_first() {
        assert_eq!(
            with_trace_headers("", "bob@x", b"Subject: s\r\n\r\nhi\r\n"),
            b"Return-Path: <>\r\nDelivered-To: bob@x\r\nSubject: s\r\n\r\nhi\r\n"
        );
    }
}
