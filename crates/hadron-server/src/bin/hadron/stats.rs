//! `hadron stats`: how many users, mailboxes, messages and bytes the data
//! holds (from the mailbox counters: no message is read), and the servers
//! running on it with their logged-in IMAP sessions (from their heartbeats;
//! a server silent for [`HEARTBEAT_STALE`] is not counted).

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use hadron_server::maintenance::HEARTBEAT_STALE;
use serde_json::json;

use crate::output::{print_json, table, utc};
use crate::storage::{StorageArgs, engine};

/// `stats [--json]`.
#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    storage: StorageArgs,
}

/// Runs `hadron stats`.
pub(crate) async fn stats(args: StatsArgs) -> anyhow::Result<()> {
    let engine = engine(&args.storage.config()?).await?;
    let users = engine.users().await.context("listing users")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let since = now.saturating_sub(HEARTBEAT_STALE.as_secs() as i64);
    let servers = engine
        .running_instances(since)
        .await
        .context("reading the running servers")?;
    let mailboxes: u64 = users.iter().map(|u| u.mailboxes).sum();
    let messages: u64 = users.iter().map(|u| u.messages).sum();
    let bytes: u64 = users.iter().map(|u| u.size).sum();
    let sessions: u64 = servers.iter().map(|s| s.sessions).sum();
    if args.json {
        let list: Vec<_> = servers
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "host": s.host,
                    "pid": s.pid,
                    "started": s.started,
                    "heartbeat": s.heartbeat,
                    "sessions": s.sessions,
                })
            })
            .collect();
        return print_json(&json!({
            "users": users.len(),
            "mailboxes": mailboxes,
            "messages": messages,
            "bytes": bytes,
            "sessions": sessions,
            "servers": list,
        }));
    }
    let totals = [
        ("users", users.len() as u64),
        ("mailboxes", mailboxes),
        ("messages", messages),
        ("bytes", bytes),
        ("servers", servers.len() as u64),
        ("sessions", sessions),
    ];
    let width = totals
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    for (what, n) in totals {
        println!("{what:<9}  {n:>width$}");
    }
    if !servers.is_empty() {
        let rows: Vec<Vec<String>> = servers
            .iter()
            .map(|s| {
                vec![
                    s.host.clone(),
                    s.pid.to_string(),
                    utc(s.started),
                    format!("{}s ago", now.saturating_sub(s.heartbeat)),
                    s.sessions.to_string(),
                ]
            })
            .collect();
        println!();
        print!(
            "{}",
            table(
                &["HOST", "PID", "STARTED", "HEARTBEAT", "SESSIONS"],
                &[false, true, false, false, true],
                &rows,
            )
        );
    }
    Ok(())
}
