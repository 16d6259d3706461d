//! LIST and LSUB (RFC 3501 §6.3.8, §6.3.9) and extended LIST: selection
//! and return options (RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE) and
//! the mailbox rows LIST-STATUS reports from (RFC 5819).
//!
//! Every answer is read from one `list_mailboxes` of the store (the rows
//! carry the STATUS counters) and, when subscriptions matter, one read of
//! the subscriptions; each name is listed once however many patterns
//! match it, INBOX first, then bytewise.

use std::collections::{BTreeMap, BTreeSet};

use hadron_proto::types::{AString, ListAttribute, ListData, ListExtended, Mailbox};
use hadron_store::MailboxInfo;

use super::{DELIMITER, delimiter, mailbox_of, parents, special_use_attribute};
use crate::engine::{Account, Engine, EngineError};

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

/// What an extended LIST selects and returns beyond its reference and
/// patterns (RFC 5258 §3). The default is a plain LIST: every mailbox and
/// `\Noselect` level that matches.
///
/// `REMOTE` has no field: there are no remote mailboxes, so it changes
/// nothing. `RETURN (CHILDREN)` and `RETURN (SPECIAL-USE)` have none
/// either: `\HasChildren`/`\HasNoChildren` and the special-use attributes
/// are always returned. `RETURN (STATUS …)` is the caller's, from
/// [`ListEntry::info`].
///
/// ```
/// use hadron_state::mailboxes::ListOptions;
/// // LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"
/// let options = ListOptions { subscribed: true, recursive_match: true, ..Default::default() };
/// assert!(options.tells_subscribed());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Selection `SUBSCRIBED`: only subscribed names, those that are no
    /// mailbox included (`\NonExistent`); each with `\Subscribed`.
    pub subscribed: bool,
    /// Selection `SPECIAL-USE` (RFC 6154): only mailboxes with a special
    /// use.
    pub special_use: bool,
    /// Selection `RECURSIVEMATCH` (with `SUBSCRIBED`): a name that matches
    /// a pattern and has a descendant meeting the selection that matches
    /// no pattern is listed with `("CHILDINFO" ("SUBSCRIBED"))`, whether
    /// or not it meets the selection itself (RFC 5258 §3.5).
    pub recursive_match: bool,
    /// `RETURN (SUBSCRIBED)`: `\Subscribed` on the subscribed names.
    pub return_subscribed: bool,
}

impl ListOptions {
    /// Whether the answer carries `\Subscribed` (asked for by either the
    /// selection or the return option).
    pub fn tells_subscribed(&self) -> bool {
        self.subscribed || self.return_subscribed
    }
}

/// One listed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// The `* LIST` data.
    pub data: ListData<'static>,
    /// The mailbox's row, counters included, when the name is a selectable
    /// mailbox; `None` for `\Noselect` levels and `\NonExistent` names.
    /// LIST-STATUS answers from it, as STATUS does.
    pub info: Option<MailboxInfo>,
}

/// The names of an account's hierarchy: each mailbox, and each level that
/// has mailboxes below it but is none itself.
struct Tree<'m> {
    /// name → its row, or `None` for a level that is no mailbox.
    names: BTreeMap<&'m str, Option<&'m MailboxInfo>>,
}

impl<'m> Tree<'m> {
    fn new(mailboxes: &'m [MailboxInfo]) -> Tree<'m> {
        let mut names = BTreeMap::new();
        for m in mailboxes {
            for p in parents(&m.name) {
                names.entry(p).or_insert(None);
            }
            names.insert(m.name.as_str(), Some(m));
        }
        Tree { names }
    }

    fn has_children(&self, name: &str) -> bool {
        let prefix = format!("{name}{DELIMITER}");
        self.names
            .range(prefix.as_str()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    fn special_use(&self, name: &str) -> Option<ListAttribute<'static>> {
        self.names
            .get(name)
            .copied()
            .flatten()
            .and_then(|i| i.special_use.as_deref())
            .and_then(special_use_attribute)
    }

    /// The attributes plain LIST gives `name` (which is in the tree):
    /// `\Noselect` for a level, the children attribute, the special use.
    fn attributes(&self, name: &str, info: Option<&MailboxInfo>) -> Vec<ListAttribute<'static>> {
        let mut attributes = Vec::new();
        if info.is_none() {
            attributes.push(ListAttribute::NoSelect);
        }
        attributes.push(if self.has_children(name) {
            ListAttribute::HasChildren
        } else {
            ListAttribute::HasNoChildren
        });
        attributes.extend(self.special_use(name));
        attributes
    }
}

/// The answer to a LIST of `patterns` (already joined with the reference)
/// over `mailboxes` and `subscriptions`, as [`Engine::list_extended`]
/// describes it.
fn select(
    mailboxes: &[MailboxInfo],
    subscriptions: &[String],
    patterns: &[String],
    options: ListOptions,
) -> Result<Vec<ListEntry>, EngineError> {
    let tree = Tree::new(mailboxes);
    let subscribed: BTreeSet<&str> = subscriptions.iter().map(String::as_str).collect();
    let matches = |name: &str| patterns.iter().any(|p| pattern_matches(p, name));
    // The names that can meet the selection, and whether one does.
    let candidates: Box<dyn Iterator<Item = &str>> = if options.subscribed {
        Box::new(subscribed.iter().copied())
    } else {
        Box::new(tree.names.keys().copied())
    };
    let meets = |name: &str| !options.special_use || tree.special_use(name).is_some();
    // name → whether it carries CHILDINFO.
    let mut listed: BTreeMap<&str, bool> = BTreeMap::new();
    for name in candidates.filter(|n| meets(n)) {
        if matches(name) {
            listed.entry(name).or_insert(false);
        } else if options.recursive_match {
            for p in parents(name).filter(|p| matches(p)) {
                listed.insert(p, true);
            }
        }
    }
    let mut names: Vec<(&str, bool)> = listed.into_iter().collect();
    names.sort_by(|a, b| list_order(a.0, b.0));
    names
        .into_iter()
        .map(|(name, child_info)| {
            let info = tree.names.get(name).copied();
            let mut attributes = match info {
                Some(info) => tree.attributes(name, info),
                None => vec![ListAttribute::NonExistent],
            };
            if options.tells_subscribed() && subscribed.contains(name) {
                attributes.push(ListAttribute::Subscribed);
            }
            let extended = if child_info {
                let criterion = AString::try_from("SUBSCRIBED")
                    .map_err(|e| EngineError::Internal(e.to_string()))?;
                vec![ListExtended::ChildInfo(vec![criterion])]
            } else {
                Vec::new()
            };
            Ok(ListEntry {
                data: ListData {
                    attributes,
                    delimiter: Some(delimiter()),
                    mailbox: mailbox_of(name)?,
                    extended,
                },
                info: info.flatten().cloned(),
            })
        })
        .collect()
}

impl Engine {
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
        let entries = self
            .list_extended(account, reference, &[pattern], ListOptions::default())
            .await?;
        Ok(entries.into_iter().map(|e| e.data).collect())
    }

    /// Extended LIST (RFC 5258): the names that match one of `patterns`
    /// (each joined with `reference`) and meet the selection of `options`,
    /// each once, INBOX first then bytewise. With [`ListOptions::default`]
    /// this is [`Engine::list`] with several patterns. One empty pattern
    /// alone asks for the delimiter, as in plain LIST.
    ///
    /// Attributes: `\Noselect` (a level that is no mailbox),
    /// `\HasChildren`/`\HasNoChildren`, the special use, then
    /// `\Subscribed` when [`ListOptions::tells_subscribed`]; a subscribed
    /// name that is neither a mailbox nor a level is `\NonExistent` (listed
    /// only with the `SUBSCRIBED` selection, or for its CHILDINFO).
    pub async fn list_extended(
        &self,
        account: &Account,
        reference: &str,
        patterns: &[&str],
        options: ListOptions,
    ) -> Result<Vec<ListEntry>, EngineError> {
        if let [""] = patterns {
            return Ok(vec![ListEntry {
                data: ListData {
                    attributes: vec![ListAttribute::NoSelect],
                    delimiter: Some(delimiter()),
                    // The empty name (valid on the wire, rejected by `Mailbox::new`).
                    mailbox: Mailbox::from_wire(b"")
                        .map_err(|e| EngineError::Internal(e.to_string()))?
                        .into_static(),
                    extended: Vec::new(),
                },
                info: None,
            }]);
        }
        let user = account.id;
        let read_subscriptions = options.tells_subscribed();
        let (mailboxes, subscriptions) = self
            .blocking(move |store, _| {
                let mailboxes = store.list_mailboxes(user)?;
                let subscriptions = if read_subscriptions {
                    store.subscriptions(user)?
                } else {
                    Vec::new()
                };
                Ok((mailboxes, subscriptions))
            })
            .await?;
        let patterns: Vec<String> = patterns
            .iter()
            .map(|p| canonical_pattern(reference, p))
            .collect();
        select(&mailboxes, &subscriptions, &patterns, options)
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
    fn list_order_puts_inbox_first() {
        let mut v = vec!["Archive", "INBOX", "Drafts", "A"];
        v.sort_by(|a, b| list_order(a, b));
        assert_eq!(v, ["INBOX", "A", "Archive", "Drafts"]);
    }
}
