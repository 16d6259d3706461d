//! `hadron mailbox`: a user's mailboxes — list, status, create, delete,
//! rename — through the engine, so the rules of IMAP's CREATE, DELETE and
//! RENAME hold (INBOX cannot be deleted, parents are created, a deleted
//! mailbox with children stays as a `\Noselect` level) and sessions of a
//! server running on the same data are told.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hadron_proto::types::Mailbox;
use hadron_state::mailboxes::store_name;
use hadron_store::MailboxInfo;
use serde_json::json;

use crate::output::{account, print_json, table};
use crate::storage::{StorageArgs, engine};

#[derive(Debug, Subcommand)]
pub(crate) enum MailboxCmd {
    /// List a user's mailboxes with their counters.
    List(Common),
    /// Show one mailbox's counters.
    Status(NameArgs),
    /// Create a mailbox (and any missing parent).
    Create(CreateArgs),
    /// Delete a mailbox with its messages (its children are kept).
    #[command(alias = "del")]
    Delete(NameArgs),
    /// Rename a mailbox and everything below it.
    Rename(RenameArgs),
}

/// What every `mailbox` command takes.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// The user whose mailboxes these are.
    #[arg(long)]
    user: String,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    storage: StorageArgs,
}

/// `mailbox status|delete --user U NAME`.
#[derive(Debug, Args)]
pub(crate) struct NameArgs {
    /// The mailbox name (UTF-8; `/` separates levels).
    name: String,
    #[command(flatten)]
    common: Common,
}

/// `mailbox create --user U NAME [--special-use \Archive]`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The mailbox name (UTF-8; `/` separates levels).
    name: String,
    /// A special use (RFC 6154): \All, \Archive, \Drafts, \Flagged, \Junk,
    /// \Sent or \Trash (the backslash may be left out).
    #[arg(long, value_parser = parse_special_use)]
    special_use: Option<String>,
    #[command(flatten)]
    common: Common,
}

/// `mailbox rename --user U FROM TO`.
#[derive(Debug, Args)]
pub(crate) struct RenameArgs {
    /// The current name.
    from: String,
    /// The new name.
    to: String,
    #[command(flatten)]
    common: Common,
}

/// The special uses of RFC 6154, as stored.
const SPECIAL_USES: [&str; 7] = [
    "\\All",
    "\\Archive",
    "\\Drafts",
    "\\Flagged",
    "\\Junk",
    "\\Sent",
    "\\Trash",
];

/// A special use, with or without its backslash, in any case.
fn parse_special_use(s: &str) -> Result<String, String> {
    let bare = s.trim().trim_start_matches('\\');
    SPECIAL_USES
        .iter()
        .find(|u| u[1..].eq_ignore_ascii_case(bare))
        .map(|u| (*u).to_owned())
        .ok_or_else(|| {
            format!(
                "unknown special use {s:?}; one of {}",
                SPECIAL_USES.join(" ")
            )
        })
}

/// A mailbox name from the command line.
fn mailbox_name(name: &str) -> anyhow::Result<Mailbox<'static>> {
    Mailbox::new(name.to_owned()).with_context(|| format!("bad mailbox name {name:?}"))
}

/// One mailbox as JSON.
fn mailbox_json(m: &MailboxInfo, subscribed: bool) -> serde_json::Value {
    json!({
        "name": m.name,
        "messages": m.messages,
        "unseen": m.unseen,
        "recent": m.recent,
        "size": m.size,
        "uidvalidity": m.uidvalidity,
        "uidnext": m.uidnext,
        "highestmodseq": m.highest_modseq,
        "special_use": m.special_use,
        "subscribed": subscribed,
    })
}

/// The `mailbox list` table.
fn mailbox_table(mailboxes: &[(MailboxInfo, bool)]) -> String {
    let rows: Vec<Vec<String>> = mailboxes
        .iter()
        .map(|(m, subscribed)| {
            vec![
                m.name.clone(),
                m.messages.to_string(),
                m.unseen.to_string(),
                m.size.to_string(),
                m.uidvalidity.to_string(),
                m.uidnext.to_string(),
                m.special_use.clone().unwrap_or_else(|| "-".to_owned()),
                if *subscribed { "yes" } else { "no" }.to_owned(),
            ]
        })
        .collect();
    table(
        &[
            "NAME",
            "MESSAGES",
            "UNSEEN",
            "SIZE",
            "UIDVALIDITY",
            "UIDNEXT",
            "SPECIAL-USE",
            "SUBSCRIBED",
        ],
        &[false, true, true, true, true, true, false, false],
        &rows,
    )
}

/// Runs a `mailbox` subcommand.
pub(crate) async fn mailbox(cmd: MailboxCmd) -> anyhow::Result<()> {
    match cmd {
        MailboxCmd::List(c) => {
            let engine = engine(&c.storage.config()?).await?;
            let account = account(&engine, &c.user).await?;
            let (mut mailboxes, subscriptions) = engine
                .mailboxes_and_subscriptions(account.id)
                .await
                .with_context(|| format!("listing the mailboxes of user {}", c.user))?;
            // INBOX first, then by name, as LIST answers.
            mailboxes
                .sort_by(|a, b| (a.name != "INBOX", &a.name).cmp(&(b.name != "INBOX", &b.name)));
            let listed: Vec<(MailboxInfo, bool)> = mailboxes
                .into_iter()
                .map(|m| {
                    let subscribed = subscriptions.binary_search(&m.name).is_ok();
                    (m, subscribed)
                })
                .collect();
            if c.json {
                let list: Vec<_> = listed.iter().map(|(m, s)| mailbox_json(m, *s)).collect();
                print_json(&json!({ "user": c.user, "mailboxes": list }))?;
            } else {
                print!("{}", mailbox_table(&listed));
            }
        }
        MailboxCmd::Status(a) => {
            let c = &a.common;
            let engine = engine(&c.storage.config()?).await?;
            let account = account(&engine, &c.user).await?;
            let name = store_name(&mailbox_name(&a.name)?);
            let (mailboxes, subscriptions) =
                engine
                    .mailboxes_and_subscriptions(account.id)
                    .await
                    .with_context(|| format!("reading the mailboxes of user {}", c.user))?;
            let Some(m) = mailboxes.into_iter().find(|m| m.name == name) else {
                bail!("user {} has no mailbox named {name:?}", c.user);
            };
            let subscribed = subscriptions.contains(&m.name);
            if c.json {
                let mut doc = mailbox_json(&m, subscribed);
                doc["user"] = json!(c.user);
                print_json(&doc)?;
            } else {
                let rows = [
                    ("name", m.name.clone()),
                    ("messages", m.messages.to_string()),
                    ("unseen", m.unseen.to_string()),
                    ("recent", m.recent.to_string()),
                    ("size", m.size.to_string()),
                    ("uidvalidity", m.uidvalidity.to_string()),
                    ("uidnext", m.uidnext.to_string()),
                    ("highestmodseq", m.highest_modseq.to_string()),
                    (
                        "special-use",
                        m.special_use.clone().unwrap_or_else(|| "-".to_owned()),
                    ),
                    (
                        "subscribed",
                        if subscribed { "yes" } else { "no" }.to_owned(),
                    ),
                ];
                for (k, v) in rows {
                    println!("{k:<13}  {v}");
                }
            }
        }
        MailboxCmd::Create(a) => {
            let c = &a.common;
            let engine = engine(&c.storage.config()?).await?;
            let account = account(&engine, &c.user).await?;
            let name = mailbox_name(&a.name)?;
            let info = engine
                .create_mailbox(&account, &name, a.special_use.as_deref())
                .await
                .with_context(|| format!("creating mailbox {:?} of user {}", a.name, c.user))?;
            if c.json {
                let mut doc = mailbox_json(&info, false);
                doc["user"] = json!(c.user);
                doc["created"] = json!(true);
                print_json(&doc)?;
            } else {
                println!("mailbox {} of user {} created", info.name, c.user);
            }
        }
        MailboxCmd::Delete(a) => {
            let c = &a.common;
            let engine = engine(&c.storage.config()?).await?;
            let account = account(&engine, &c.user).await?;
            let name = mailbox_name(&a.name)?;
            let info = engine
                .mailbox(account.id, &store_name(&name))
                .await
                .with_context(|| format!("user {} has no mailbox named {:?}", c.user, a.name))?;
            engine
                .delete_mailbox(&account, &name)
                .await
                .with_context(|| format!("deleting mailbox {:?} of user {}", a.name, c.user))?;
            if c.json {
                print_json(&json!({
                    "user": c.user,
                    "name": info.name,
                    "deleted": true,
                    "messages": info.messages,
                }))?;
            } else {
                println!(
                    "mailbox {} of user {} deleted with {} messages",
                    info.name, c.user, info.messages
                );
            }
        }
        MailboxCmd::Rename(a) => {
            let c = &a.common;
            let engine = engine(&c.storage.config()?).await?;
            let account = account(&engine, &c.user).await?;
            let (from, to) = (mailbox_name(&a.from)?, mailbox_name(&a.to)?);
            engine
                .rename_mailbox(&account, &from, &to)
                .await
                .with_context(|| {
                    format!(
                        "renaming mailbox {:?} of user {} to {:?}",
                        a.from, c.user, a.to
                    )
                })?;
            let (from, to) = (store_name(&from), store_name(&to));
            if c.json {
                print_json(&json!({ "user": c.user, "from": from, "to": to, "renamed": true }))?;
            } else {
                println!("mailbox {from} of user {} renamed to {to}", c.user);
            }
        }
    }
    Ok(())
}
