//! Mailbox operations: CREATE, DELETE, RENAME, SUBSCRIBE and STATUS
//! (RFC 3501 §6.3), on the [`Engine`]; LIST and LSUB, extended LIST
//! (RFC 5258) and LIST-STATUS's counters (RFC 5819) are in `mailboxes/list.rs`
//! ([`Engine::list_extended`], [`ListOptions`]).
//!
//! The hierarchy delimiter is `/` and the hierarchy is derived from names:
//! a name with mailboxes below it but no mailbox of its own (left by a
//! DELETE, or created by a backend) is listed `\Noselect`. LIST answers in
//! one deterministic order: INBOX first, then bytewise by name.

mod list;

pub use self::list::{ListEntry, ListOptions, pattern_matches};

use hadron_proto::types::{Delimiter, ListAttribute, Mailbox, StatusItem, StatusValue};
use hadron_store::{MailboxInfo, StoreError, UidSet};

use crate::engine::{Account, Engine, EngineError, hub_id};
use crate::mailbox_events::MailboxEvent;
use crate::update::Update;

/// The hierarchy delimiter.
pub const DELIMITER: char = '/';

/// The name the store keeps for an IMAP mailbox name (INBOX in any case is
/// `INBOX`; a trailing delimiter is dropped, RFC 3501 §6.3.3).
pub fn store_name(mailbox: &Mailbox<'_>) -> String {
    let s = mailbox.as_str();
    let s = s.strip_suffix(DELIMITER).unwrap_or(s);
    if s.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_owned()
    } else if s.len() > 6 && s[..6].eq_ignore_ascii_case("INBOX/") {
        format!("INBOX{}", &s[5..])
    } else {
        s.to_owned()
    }
}

fn special_use_attribute(s: &str) -> Option<ListAttribute<'static>> {
    Some(
        match s.trim_start_matches('\\').to_ascii_lowercase().as_str() {
            "all" => ListAttribute::All,
            "archive" => ListAttribute::Archive,
            "drafts" => ListAttribute::Drafts,
            "flagged" => ListAttribute::Flagged,
            "junk" => ListAttribute::Junk,
            "sent" => ListAttribute::Sent,
            "trash" => ListAttribute::Trash,
            _ => return None,
        },
    )
}

pub(crate) fn delimiter() -> Delimiter {
    // '/' is a valid delimiter character.
    Delimiter::new(DELIMITER).unwrap_or_else(|_| unreachable!("'/' is a TEXT-CHAR"))
}

fn mailbox_of(name: &str) -> Result<Mailbox<'static>, EngineError> {
    Mailbox::new(name.to_owned())
        .map_err(|e| EngineError::Internal(format!("stored mailbox name {name:?}: {e}")))
}

/// Every parent name of `name` (`a/b/c` → `a`, `a/b`).
fn parents(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices(DELIMITER).map(move |(i, _)| &name[..i])
}

impl Engine {
    /// CREATE: creates `name` and any missing parents. The parents are
    /// ordinary mailboxes.
    pub async fn create_mailbox(
        &self,
        account: &Account,
        name: &Mailbox<'_>,
        special_use: Option<&str>,
    ) -> Result<MailboxInfo, EngineError> {
        let name = store_name(name);
        let existing = self.mailbox(account.id, &name).await;
        if existing.is_ok() {
            return Err(EngineError::MailboxExists(name));
        }
        let mut created = None;
        let missing: Vec<String> = {
            let mut v = Vec::new();
            for p in parents(&name).chain(std::iter::once(name.as_str())) {
                if self.mailbox(account.id, p).await.is_err() {
                    v.push(p.to_owned());
                }
            }
            v
        };
        for n in missing {
            self.connector().create_mailbox(&account.name, &n).await?;
            let su = if n == name {
                special_use.map(str::to_owned)
            } else {
                None
            };
            let user = account.id;
            let n2 = n.clone();
            let info = self
                .blocking(move |store, _| {
                    store
                        .create_mailbox(user, &n2, su.as_deref())
                        .map_err(|e| match e {
                            StoreError::MailboxExists(n) => EngineError::MailboxExists(n),
                            e => e.into(),
                        })
                })
                .await;
            match info {
                Ok(info) => {
                    self.announce(account, MailboxEvent::Created(info.name.clone()));
                    created = Some(info);
                }
                // A parent created meanwhile is fine.
                Err(EngineError::MailboxExists(_)) if n != name => {}
                Err(e) => return Err(e),
            }
        }
        created.ok_or(EngineError::MailboxExists(name))
    }

    /// DELETE (RFC 3501 §6.3.4): INBOX cannot be deleted; a mailbox with
    /// inferiors is deleted and its name stays as a `\Noselect` level; a
    /// `\Noselect` level itself cannot be deleted. Sessions that have the
    /// mailbox selected are closed.
    pub async fn delete_mailbox(
        &self,
        account: &Account,
        name: &Mailbox<'_>,
    ) -> Result<(), EngineError> {
        let name = store_name(name);
        if name == "INBOX" {
            return Err(EngineError::InboxNotDeletable);
        }
        let info = self.mailbox(account.id, &name).await?;
        self.connector()
            .delete_mailbox(&account.name, &name)
            .await?;
        self.commit_delete(account, info).await
    }

    pub(crate) async fn commit_delete(
        &self,
        account: &Account,
        info: MailboxInfo,
    ) -> Result<(), EngineError> {
        let shared = self.shared(info.id);
        let _guard = shared.write.lock().await;
        let (user, name) = (account.id, info.name.clone());
        self.blocking(move |store, _| Ok(store.delete_mailbox(user, &name)?))
            .await?;
        self.hub().publish(hub_id(info.id), Update::MailboxDeleted);
        self.announce(account, MailboxEvent::Deleted(info.name));
        Ok(())
    }

    /// RENAME: renames the mailbox and everything below it; sessions that
    /// have one of them selected work on under the new name. RENAME INBOX
    /// creates the new mailbox, moves every message of INBOX there and
    /// leaves INBOX empty (its inferiors stay).
    pub async fn rename_mailbox(
        &self,
        account: &Account,
        from: &Mailbox<'_>,
        to: &Mailbox<'_>,
    ) -> Result<(), EngineError> {
        let (from, to) = (store_name(from), store_name(to));
        let src = self.mailbox(account.id, &from).await?;
        if self.mailbox(account.id, &to).await.is_ok() {
            return Err(EngineError::MailboxExists(to));
        }
        if to.starts_with(&format!("{from}{DELIMITER}")) {
            return Err(EngineError::RenameIntoItself(from));
        }
        if from == "INBOX" {
            let target = Mailbox::new(to.clone())
                .map_err(|e| EngineError::Store(StoreError::InvalidInput(e.to_string())))?;
            self.create_mailbox(account, &target, None).await?;
            let uids: Vec<u32> = self
                .blocking(move |store, _| {
                    Ok(store
                        .fetch_flags(src.id, &UidSet::all())?
                        .into_iter()
                        .map(|m| m.uid)
                        .collect())
                })
                .await?;
            if !uids.is_empty() {
                let src = self.mailbox(account.id, "INBOX").await?;
                self.move_messages(account, &src, uids, &to, None).await?;
            }
            return Ok(());
        }
        // Parents of the new name are created as for CREATE.
        for p in parents(&to) {
            if self.mailbox(account.id, p).await.is_err() {
                let m = Mailbox::new(p.to_owned())
                    .map_err(|e| EngineError::Store(StoreError::InvalidInput(e.to_string())))?;
                self.create_mailbox(account, &m, None).await?;
            }
        }
        self.connector()
            .rename_mailbox(&account.name, &from, &to)
            .await?;
        self.commit_rename(account, &from, &to).await
    }

    pub(crate) async fn commit_rename(
        &self,
        account: &Account,
        from: &str,
        to: &str,
    ) -> Result<(), EngineError> {
        let (user, f, t) = (account.id, from.to_owned(), to.to_owned());
        let renamed = self
            .blocking(move |store, _| {
                let prefix = format!("{f}{DELIMITER}");
                let affected: Vec<MailboxInfo> = store
                    .list_mailboxes(user)?
                    .into_iter()
                    .filter(|m| m.name == f || m.name.starts_with(&prefix))
                    .collect();
                store.rename_mailbox(user, &f, &t)?;
                Ok(affected
                    .into_iter()
                    .map(|m| (m.id, format!("{t}{}", &m.name[f.len()..]), m.name))
                    .collect::<Vec<_>>())
            })
            .await?;
        for (id, new_name, old_name) in renamed {
            self.announce(
                account,
                MailboxEvent::Renamed {
                    from: old_name,
                    to: new_name.clone(),
                },
            );
            if let Ok(new_name) = mailbox_of(&new_name) {
                self.hub()
                    .publish(hub_id(id), Update::MailboxRenamed { new_name });
            }
        }
        Ok(())
    }

    /// SUBSCRIBE. The name need not exist (RFC 3501 allows either; Hadron
    /// accepts it, as subscriptions outlive mailboxes anyway).
    pub async fn subscribe(
        &self,
        account: &Account,
        name: &Mailbox<'_>,
    ) -> Result<(), EngineError> {
        let (user, name) = (account.id, store_name(name));
        let event = MailboxEvent::Subscribed(name.clone());
        self.blocking(move |store, _| Ok(store.subscribe(user, &name)?))
            .await?;
        self.announce(account, event);
        Ok(())
    }

    /// UNSUBSCRIBE.
    pub async fn unsubscribe(
        &self,
        account: &Account,
        name: &Mailbox<'_>,
    ) -> Result<(), EngineError> {
        let (user, name) = (account.id, store_name(name));
        let event = MailboxEvent::Unsubscribed(name.clone());
        self.blocking(move |store, _| Ok(store.unsubscribe(user, &name)?))
            .await?;
        self.announce(account, event);
        Ok(())
    }

    /// Tells the user's NOTIFY sessions of a change to their mailboxes
    /// (see [`crate::mailbox_events`]).
    fn announce(&self, account: &Account, event: MailboxEvent) {
        self.hub()
            .mailbox_events()
            .publish(account.id.0 as u64, event);
    }

    /// STATUS: the requested items from the mailbox's counters — one row
    /// read, no snapshot (see [`status_values`]).
    pub async fn status(
        &self,
        account: &Account,
        name: &Mailbox<'_>,
        items: &[StatusItem],
    ) -> Result<Vec<StatusValue<'static>>, EngineError> {
        let info = self.mailbox(account.id, &store_name(name)).await?;
        Ok(status_values(&info, items))
    }
}

/// The STATUS items `items` of a mailbox, from the counters of its row
/// (what STATUS and LIST-STATUS answer), in the order asked. `DELETED` is
/// not kept as a counter and is left out of the answer; `SIZE` (RFC 8438)
/// is the total size of the mailbox's messages in octets.
pub fn status_values(info: &MailboxInfo, items: &[StatusItem]) -> Vec<StatusValue<'static>> {
    items
        .iter()
        .filter_map(|&item| {
            let v = match item {
                StatusItem::MailboxId => {
                    return Some(StatusValue::MailboxId(crate::objectid::mailbox_id(info)));
                }
                StatusItem::Messages => info.messages,
                StatusItem::Recent => info.recent,
                StatusItem::UidNext => u64::from(info.uidnext),
                StatusItem::UidValidity => u64::from(info.uidvalidity),
                StatusItem::Unseen => info.unseen,
                StatusItem::Size => info.size,
                StatusItem::HighestModSeq => info.highest_modseq,
                // APPENDLIMIT depends on the server's literal limit and the
                // user's quota: the session answers it.
                StatusItem::Deleted | StatusItem::AppendLimit => return None,
            };
            Some(StatusValue::Number(item, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_normalise_inbox_and_trailing_delimiter() {
        let m = |s: &str| Mailbox::new(s.to_owned()).unwrap();
        assert_eq!(store_name(&m("inbox")), "INBOX");
        assert_eq!(store_name(&m("inbox/x")), "INBOX/x");
        assert_eq!(store_name(&m("a/b/")), "a/b");
    }
}
