//! What the administration commands of the `hadron` binary (`hadron
//! mailbox`, `hadron expunge`, `hadron stats`) need of the engine beyond
//! the IMAP operations they share with sessions: a user's mailboxes with
//! their subscriptions, an expunge by INTERNALDATE, and the server
//! processes registered on the database.
//!
//! An expunge goes the way of a session's: connector first, then the
//! store under the mailbox's write lock, then the hub — so a server
//! running in this process tells its sessions at once, and one in another
//! process learns of it through the change feed (`engine/feed.rs`).

use hadron_store::{ColumnRange, Instance, MailboxInfo, UserId};

use super::{Account, Engine, EngineError};

/// What [`Engine::expunge_before`] found, or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpungedBefore {
    /// The mailbox, as read before the expunge.
    pub mailbox: MailboxInfo,
    /// The UIDs whose INTERNALDATE is before the cut-off, ascending.
    pub matched: Vec<u32>,
    /// The UIDs expunged (empty for a dry run; fewer than `matched` when
    /// some were expunged meanwhile by someone else).
    pub expunged: Vec<u32>,
}

impl Engine {
    /// The mailboxes of `user` with their counters, sorted by name
    /// (bytewise), and the names the user is subscribed to (which need not
    /// exist), sorted.
    pub async fn mailboxes_and_subscriptions(
        &self,
        user: UserId,
    ) -> Result<(Vec<MailboxInfo>, Vec<String>), EngineError> {
        self.blocking(move |store, _| Ok((store.list_mailboxes(user)?, store.subscriptions(user)?)))
            .await
    }

    /// Expunges from `account`'s mailbox `name` (a store name, see
    /// [`crate::mailboxes::store_name`]) every message whose INTERNALDATE
    /// is before `before` (Unix seconds), whatever its flags — or with
    /// `dry_run` only says which. [`EngineError::NoSuchMailbox`] when there
    /// is no such mailbox. Sessions with the mailbox selected are told
    /// under the usual rules (RFC 3501 §7.4.1).
    pub async fn expunge_before(
        &self,
        account: &Account,
        name: &str,
        before: i64,
        dry_run: bool,
    ) -> Result<ExpungedBefore, EngineError> {
        let mailbox = self.mailbox(account.id, name).await?;
        let id = mailbox.id;
        let range = ColumnRange::InternalDate {
            from: None,
            until: Some(before),
        };
        let matched = self
            .blocking(move |store, _| Ok(store.uids_in_range(id, range)?))
            .await?;
        if dry_run || matched.is_empty() {
            return Ok(ExpungedBefore {
                mailbox,
                matched,
                expunged: Vec::new(),
            });
        }
        self.connector
            .remove_messages(&account.name, &mailbox.name, &matched)
            .await?;
        let expunged = self.commit_expunge(id, matched.clone()).await?;
        Ok(ExpungedBefore {
            mailbox,
            matched,
            expunged,
        })
    }

    /// The server processes registered on the database whose heartbeat is
    /// at or after `since` (Unix seconds): those still running.
    pub async fn running_instances(&self, since: i64) -> Result<Vec<Instance>, EngineError> {
        self.blocking(move |store, _| Ok(store.instances(since)?))
            .await
    }
}
