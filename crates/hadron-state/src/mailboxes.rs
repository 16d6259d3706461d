//! Mailbox operations: CREATE, DELETE, RENAME, SUBSCRIBE, LIST, LSUB and
//! STATUS (RFC 3501 §6.3), on the [`Engine`].
//!
//! The hierarchy delimiter is `/` and the hierarchy is derived from names:
//! a name with mailboxes below it but no mailbox of its own (left by a
//! DELETE, or created by a backend) is listed `\Noselect`. LIST answers in
//! one deterministic order: INBOX first, then bytewise by name.

use std::collections::{BTreeMap, BTreeSet};

use hadron_proto::types::{Delimiter, ListAttribute, ListData, Mailbox, StatusItem, StatusValue};
use hadron_store::{MailboxInfo, StoreError, UidSet};

use crate::engine::{Account, Engine, EngineError, hub_id};
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

/// Whether `name` matches the LIST pattern `pattern`: `*` matches anything,
/// `%` anything but the delimiter (RFC 3501 §6.3.8). A leading `INBOX` of
/// the pattern matches case-insensitively.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let pattern = if pattern.len() >= 5
        && pattern.is_char_boundary(5)
        && pattern[..5].eq_ignore_ascii_case("INBOX")
        && name.starts_with("INBOX")
    {
        format!("INBOX{}", &pattern[5..])
    } else {
        pattern.to_owned()
    };
    wildcard(pattern.as_bytes(), name.as_bytes())
}

/// Wildcard match by dynamic programming over (pattern, name) suffixes:
/// O(|pattern| × |name|) time whatever the pattern, so no client pattern
/// (`*%*%*%…`) can make LIST slow.
fn wildcard(p: &[u8], s: &[u8]) -> bool {
    // next[j]: does p[i+1..] match s[j..]; cur[j]: does p[i..] match s[j..].
    let n = s.len();
    let mut next = vec![false; n + 1];
    next[n] = true; // the empty pattern matches the empty name
    let mut cur = vec![false; n + 1];
    for &c in p.iter().rev() {
        for j in (0..=n).rev() {
            cur[j] = match c {
                b'*' => next[j] || (j < n && cur[j + 1]),
                b'%' => next[j] || (j < n && s[j] != DELIMITER as u8 && cur[j + 1]),
                c => j < n && s[j] == c && next[j + 1],
            };
        }
        std::mem::swap(&mut cur, &mut next);
    }
    next[0]
}

/// Orders INBOX first, then bytewise.
fn list_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a != "INBOX", a).cmp(&(b != "INBOX", b))
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

fn delimiter() -> Delimiter {
    // '/' is a valid delimiter character.
    Delimiter::new(DELIMITER).unwrap_or_else(|_| unreachable!("'/' is a TEXT-CHAR"))
}

fn mailbox_of(name: &str) -> Result<Mailbox<'static>, EngineError> {
    Mailbox::new(name.to_owned())
        .map_err(|e| EngineError::Internal(format!("stored mailbox name {name:?}: {e}")))
}

/// The reference and pattern of LIST/LSUB joined (RFC 3501 §6.3.8).
fn canonical_pattern(reference: &str, pattern: &str) -> String {
    if reference.is_empty() || pattern.starts_with(DELIMITER) {
        pattern.to_owned()
    } else if reference.ends_with(DELIMITER) {
        format!("{reference}{pattern}")
    } else {
        format!("{reference}{DELIMITER}{pattern}")
    }
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
                Ok(info) => created = Some(info),
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
                    .map(|m| (m.id, format!("{t}{}", &m.name[f.len()..])))
                    .collect::<Vec<_>>())
            })
            .await?;
        for (id, new_name) in renamed {
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
        self.blocking(move |store, _| Ok(store.subscribe(user, &name)?))
            .await
    }

    /// UNSUBSCRIBE.
    pub async fn unsubscribe(
        &self,
        account: &Account,
        name: &Mailbox<'_>,
    ) -> Result<(), EngineError> {
        let (user, name) = (account.id, store_name(name));
        self.blocking(move |store, _| Ok(store.unsubscribe(user, &name)?))
            .await
    }

    /// LIST `reference` `pattern`: the matching mailboxes (and `\Noselect`
    /// levels) with `\HasChildren`/`\HasNoChildren` and special-use
    /// attributes, INBOX first then bytewise. An empty pattern asks for the
    /// delimiter: `* LIST (\Noselect) "/" ""`.
    pub async fn list(
        &self,
        account: &Account,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<ListData<'static>>, EngineError> {
        if pattern.is_empty() {
            return Ok(vec![ListData {
                attributes: vec![ListAttribute::NoSelect],
                delimiter: Some(delimiter()),
                // The empty name (valid on the wire, rejected by `Mailbox::new`).
                mailbox: Mailbox::from_wire(b"")
                    .map_err(|e| EngineError::Internal(e.to_string()))?
                    .into_static(),
                extended: Vec::new(),
            }]);
        }
        let user = account.id;
        let mailboxes = self
            .blocking(move |store, _| Ok(store.list_mailboxes(user)?))
            .await?;
        let pattern = canonical_pattern(reference, pattern);
        // name → Some(info) for mailboxes, None for implied levels.
        let mut all: BTreeMap<String, Option<&MailboxInfo>> = BTreeMap::new();
        for m in &mailboxes {
            for p in parents(&m.name) {
                all.entry(p.to_owned()).or_insert(None);
            }
            all.insert(m.name.clone(), Some(m));
        }
        let has_children = |name: &str| {
            let prefix = format!("{name}{DELIMITER}");
            all.range(prefix.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&prefix))
        };
        let mut out: Vec<(String, ListData<'static>)> = Vec::new();
        for (name, info) in &all {
            if !pattern_matches(&pattern, name) {
                continue;
            }
            let mut attributes = Vec::new();
            if info.is_none() {
                attributes.push(ListAttribute::NoSelect);
            }
            attributes.push(if has_children(name) {
                ListAttribute::HasChildren
            } else {
                ListAttribute::HasNoChildren
            });
            if let Some(a) = info
                .and_then(|i| i.special_use.as_deref())
                .and_then(special_use_attribute)
            {
                attributes.push(a);
            }
            out.push((
                name.clone(),
                ListData {
                    attributes,
                    delimiter: Some(delimiter()),
                    mailbox: mailbox_of(name)?,
                    extended: Vec::new(),
                },
            ));
        }
        out.sort_by(|a, b| list_order(&a.0, &b.0));
        Ok(out.into_iter().map(|(_, d)| d).collect())
    }

    /// LSUB `reference` `pattern`: the matching subscribed names; one that
    /// is not a mailbox (any more) is `\Noselect`. A level that is not
    /// subscribed but has a subscribed descendant the pattern stops short
    /// of (`%` at `foo` when only `foo/bar` is subscribed) is listed too,
    /// as `\Noselect` (RFC 3501 §6.3.9).
    pub async fn lsub(
        &self,
        account: &Account,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<ListData<'static>>, EngineError> {
        let user = account.id;
        let (subs, mailboxes) = self
            .blocking(move |store, _| Ok((store.subscriptions(user)?, store.list_mailboxes(user)?)))
            .await?;
        let existing: BTreeSet<&str> = mailboxes.iter().map(|m| m.name.as_str()).collect();
        let subscribed: BTreeSet<&str> = subs.iter().map(String::as_str).collect();
        let pattern = canonical_pattern(reference, pattern);
        // name → whether it is selectable.
        let mut names: BTreeMap<&str, bool> = BTreeMap::new();
        for n in &subscribed {
            if pattern_matches(&pattern, n) {
                names.insert(n, existing.contains(n));
                continue;
            }
            for p in parents(n) {
                if !subscribed.contains(p) && pattern_matches(&pattern, p) {
                    names.insert(p, false);
                }
            }
        }
        let mut names: Vec<(&str, bool)> = names.into_iter().collect();
        names.sort_by(|a, b| list_order(a.0, b.0));
        names
            .into_iter()
            .map(|(n, selectable)| {
                Ok(ListData {
                    attributes: if selectable {
                        Vec::new()
                    } else {
                        vec![ListAttribute::NoSelect]
                    },
                    delimiter: Some(delimiter()),
                    mailbox: mailbox_of(n)?,
                    extended: Vec::new(),
                })
            })
            .collect()
    }

    /// STATUS: the requested items from the mailbox's counters — one row
    /// read, no snapshot. `DELETED` is not kept as a counter and is left
    /// out of the answer.
    pub async fn status(
        &self,
        account: &Account,
        name: &Mailbox<'_>,
        items: &[StatusItem],
    ) -> Result<Vec<StatusValue<'static>>, EngineError> {
        let info = self.mailbox(account.id, &store_name(name)).await?;
        Ok(items
            .iter()
            .filter_map(|&item| {
                let v = match item {
                    StatusItem::MailboxId => {
                        return Some(StatusValue::MailboxId(crate::objectid::mailbox_id(&info)));
                    }
                    StatusItem::Messages => info.messages,
                    StatusItem::Recent => info.recent,
                    StatusItem::UidNext => u64::from(info.uidnext),
                    StatusItem::UidValidity => u64::from(info.uidvalidity),
                    StatusItem::Unseen => info.unseen,
                    StatusItem::Size => info.size,
                    StatusItem::HighestModSeq => info.highest_modseq,
                    StatusItem::Deleted => return None,
                };
                Some(StatusValue::Number(item, v))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_stops_at_the_delimiter() {
        assert!(pattern_matches("%", "Sent"));
        assert!(!pattern_matches("%", "Sent/2024"));
        assert!(pattern_matches("Sent/%", "Sent/2024"));
        assert!(pattern_matches("*", "Sent/2024/Jan"));
        assert!(pattern_matches("S*t", "Sent"));
        assert!(!pattern_matches("S%t", "Se/nt"));
    }

    #[test]
    fn pathological_patterns_stay_linear() {
        let name = "a/".repeat(100) + "b";
        let pattern = "*%".repeat(200) + "c";
        let t = std::time::Instant::now();
        assert!(!pattern_matches(&pattern, &name));
        assert!(pattern_matches(&"*".repeat(300), &name));
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
        assert!(pattern_matches("a/%/*b", &name));
        assert!(!pattern_matches("%b", &name));
        assert!(pattern_matches("", ""));
        assert!(!pattern_matches("", "a"));
    }

    #[test]
    fn inbox_matches_case_insensitively() {
        assert!(pattern_matches("inbox", "INBOX"));
        assert!(pattern_matches("InBoX/%", "INBOX/a"));
        assert!(!pattern_matches("inbox", "Inbox2"));
    }

    #[test]
    fn reference_is_joined_with_the_delimiter() {
        assert_eq!(canonical_pattern("", "%"), "%");
        assert_eq!(canonical_pattern("Archive", "%"), "Archive/%");
        assert_eq!(canonical_pattern("Archive/", "%"), "Archive/%");
    }

    #[test]
    fn store_names_normalise_inbox_and_trailing_delimiter() {
        let m = |s: &str| Mailbox::new(s.to_owned()).unwrap();
        assert_eq!(store_name(&m("inbox")), "INBOX");
        assert_eq!(store_name(&m("inbox/x")), "INBOX/x");
        assert_eq!(store_name(&m("a/b/")), "a/b");
    }

    #[test]
    fn list_order_puts_inbox_first() {
        let mut v = vec!["Archive", "INBOX", "Drafts", "A"];
        v.sort_by(|a, b| list_order(a, b));
        assert_eq!(v, ["INBOX", "A", "Archive", "Drafts"]);
    }
}
