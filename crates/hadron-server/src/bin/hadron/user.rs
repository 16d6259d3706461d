//! `hadron user`: accounts, passwords and quotas.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::storage::{StorageArgs, engine};

#[derive(Debug, Subcommand)]
pub(crate) enum UserCmd {
    /// Create a user with the default mailboxes (INBOX, Sent, Drafts, Trash, Junk, Archive).
    Add(UserPasswordArgs),
    /// Set a user's password (sessions already logged in stay logged in).
    Passwd(UserPasswordArgs),
    /// Delete a user with all its mailboxes and messages.
    #[command(alias = "delete")]
    Del(UserNameArgs),
    /// List the users with their mailbox and message counts.
    List(UserListArgs),
    /// Show a user's quota (RFC 9208) with its usage, or change its limits.
    Quota(UserQuotaArgs),
}

/// `user quota NAME [--storage SIZE|none] [--messages N|none]`.
#[derive(Debug, Args)]
pub(crate) struct UserQuotaArgs {
    /// The login name.
    name: String,
    /// The STORAGE limit: a size with a K, M, G or T suffix (powers of 1024;
    /// a plain number is KiB, the unit of RFC 9208), or `none`.
    #[arg(long, value_parser = parse_storage_limit)]
    storage: Option<Limit>,
    /// The MESSAGE limit: a number of messages, or `none`.
    #[arg(long, value_parser = parse_message_limit)]
    messages: Option<Limit>,
    #[command(flatten)]
    storage_options: StorageArgs,
}

/// A quota limit given on the command line: a number, or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limit(Option<u64>);

/// `none`, or a size in KiB with an optional K/M/G/T suffix (powers of 1024,
/// `KiB`/`K`/`KB` alike).
fn parse_storage_limit(s: &str) -> Result<Limit, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    let lower = s.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(digits_end);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("expected a size such as 500M or 10G, or none; got {s:?}"))?;
    let kib_per_unit: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" | "k" => 1,
        "m" => 1 << 10,
        "g" => 1 << 20,
        "t" => 1 << 30,
        _ => return Err(format!("unknown size unit in {s:?} (use K, M, G or T)")),
    };
    n.checked_mul(kib_per_unit)
        .filter(|&kib| kib <= i64::MAX as u64)
        .map(|kib| Limit(Some(kib)))
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// `none`, or a number of messages.
fn parse_message_limit(s: &str) -> Result<Limit, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|&n| n <= i64::MAX as u64)
        .map(|n| Limit(Some(n)))
        .ok_or_else(|| format!("expected a number of messages, or none; got {s:?}"))
}

/// A user name and a new password.
#[derive(Debug, Args)]
pub(crate) struct UserPasswordArgs {
    /// The login name.
    name: String,
    /// The password (visible in the process list; prefer --password-stdin).
    #[arg(
        long,
        conflicts_with = "password_stdin",
        required_unless_present = "password_stdin"
    )]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    storage: StorageArgs,
}

impl UserPasswordArgs {
    /// The password from `--password` or the first line of standard input.
    fn password(&self) -> anyhow::Result<String> {
        let password = match (&self.password, self.password_stdin) {
            (Some(p), _) => p.clone(),
            (None, true) => {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            }
            (None, false) => bail!("give --password or --password-stdin"),
        };
        if password.is_empty() {
            bail!("the password is empty");
        }
        Ok(password)
    }
}

/// Just a user name.
#[derive(Debug, Args)]
pub(crate) struct UserNameArgs {
    /// The login name.
    name: String,
    #[command(flatten)]
    storage: StorageArgs,
}

/// `user list [--json]`.
#[derive(Debug, Args)]
pub(crate) struct UserListArgs {
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    storage: StorageArgs,
}

/// Runs a `user` subcommand.
pub(crate) async fn user(cmd: UserCmd) -> anyhow::Result<()> {
    match cmd {
        UserCmd::Add(args) => {
            let password = args.password()?;
            let engine = engine(&args.storage.config()?).await?;
            engine
                .create_user(&args.name, &password)
                .await
                .with_context(|| format!("creating user {}", args.name))?;
            println!("user {} created", args.name);
        }
        UserCmd::Passwd(args) => {
            let password = args.password()?;
            let engine = engine(&args.storage.config()?).await?;
            engine
                .set_password(&args.name, &password)
                .await
                .with_context(|| format!("setting the password of user {}", args.name))?;
            println!("password of user {} changed", args.name);
        }
        UserCmd::Del(args) => {
            let engine = engine(&args.storage.config()?).await?;
            let deleted = engine
                .delete_user(&args.name)
                .await
                .with_context(|| format!("deleting user {}", args.name))?;
            println!(
                "user {} deleted with {} mailboxes",
                args.name,
                deleted.mailboxes.len()
            );
        }
        UserCmd::List(args) => {
            let engine = engine(&args.storage.config()?).await?;
            let users = engine.users().await.context("listing users")?;
            if args.json {
                crate::output::print_json(&user_json(&users))?;
            } else {
                print!("{}", user_table(&users));
            }
        }
        UserCmd::Quota(args) => {
            let engine = engine(&args.storage_options.config()?).await?;
            let name = &args.name;
            let read = || async {
                engine
                    .user_quota(name)
                    .await
                    .with_context(|| format!("reading the quota of user {name}"))
            };
            let mut quota = read().await?;
            if args.storage.is_some() || args.messages.is_some() {
                let mut limits = quota.limits;
                if let Some(Limit(l)) = args.storage {
                    limits.storage_kib = l;
                }
                if let Some(Limit(l)) = args.messages {
                    limits.messages = l;
                }
                engine
                    .set_quota_limits(name, limits)
                    .await
                    .with_context(|| format!("setting the quota of user {name}"))?;
                quota = read().await?;
            }
            print!("{}", quota_table(&quota));
        }
    }
    Ok(())
}

/// `user quota` output: each resource with its usage and limit (`none`
/// when unlimited); STORAGE in KiB as RFC 9208 counts it.
fn quota_table(quota: &hadron_store::UserQuota) -> String {
    let limit = |l: Option<u64>| l.map_or_else(|| "none".to_owned(), |n| n.to_string());
    format!(
        "{:<8}  {:>20}  {:>20}\n{:<8}  {:>20}  {:>20}\n{:<8}  {:>20}  {:>20}\n",
        "RESOURCE",
        "USAGE",
        "LIMIT",
        "STORAGE",
        format!("{} KiB", quota.storage_kib()),
        quota
            .limits
            .storage_kib
            .map_or_else(|| "none".to_owned(), |n| format!("{n} KiB")),
        "MESSAGE",
        quota.messages,
        limit(quota.limits.messages),
    )
}

/// `user list --json` output: `{"users": [...]}`, `created` in Unix seconds.
fn user_json(users: &[hadron_store::UserInfo]) -> serde_json::Value {
    let list: Vec<_> = users
        .iter()
        .map(|u| {
            serde_json::json!({
                "name": u.name,
                "created": u.created,
                "mailboxes": u.mailboxes,
                "messages": u.messages,
                "bytes": u.size,
            })
        })
        .collect();
    serde_json::json!({ "users": list })
}

/// `user list` output: a header and one aligned row per user.
fn user_table(users: &[hadron_store::UserInfo]) -> String {
    let width = users
        .iter()
        .map(|u| u.name.chars().count())
        .chain([4])
        .max()
        .unwrap_or(4);
    let mut out = format!(
        "{:<width$}  {:<20}  {:>9}  {:>9}  {:>12}\n",
        "NAME", "CREATED", "MAILBOXES", "MESSAGES", "BYTES"
    );
    for u in users {
        let created = crate::output::utc(u.created);
        out.push_str(&format!(
            "{:<width$}  {created:<20}  {:>9}  {:>9}  {:>12}\n",
            u.name, u.mailboxes, u.messages, u.size
        ));
    }
    out
}
