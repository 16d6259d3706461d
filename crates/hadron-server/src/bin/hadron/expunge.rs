//! `hadron expunge`: removes a mailbox's messages whose INTERNALDATE is
//! before a date, through the engine's expunge (sessions of a server on the
//! same data are told, in this process through the hub, in another through
//! the change feed).

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use hadron_proto::types::{Date, Mailbox};
use hadron_state::mailboxes::store_name;
use serde_json::json;

use crate::output::{account, print_json, utc};
use crate::storage::{StorageArgs, engine};

/// `expunge --user U --mailbox M --before DATE [--dry-run] [--json]`.
#[derive(Debug, Args)]
pub(crate) struct ExpungeArgs {
    /// The user whose mailbox it is.
    #[arg(long)]
    user: String,
    /// The mailbox (UTF-8; `/` separates levels).
    #[arg(long)]
    mailbox: String,
    /// Messages received before this are expunged: a day as YYYY-MM-DD
    /// (midnight UTC), or an age such as 30d, 12h, 2w (s, m, h, d, w).
    #[arg(long, value_parser = parse_before)]
    before: Before,
    /// Only say how many messages would be expunged.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    storage: StorageArgs,
}

/// The cut-off of `--before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    /// A point in time, Unix seconds.
    At(i64),
    /// This many seconds before now.
    Ago(i64),
}

impl Before {
    /// The cut-off in Unix seconds, `now` being now.
    fn unix(self, now: i64) -> i64 {
        match self {
            Before::At(t) => t,
            Before::Ago(age) => now.saturating_sub(age),
        }
    }
}

/// `YYYY-MM-DD` (midnight UTC of that day) or `<n><unit>` with unit s, m,
/// h, d or w.
fn parse_before(s: &str) -> Result<Before, String> {
    let s = s.trim();
    let bad = || format!("expected a day such as 2024-01-31 or an age such as 30d; got {s:?}");
    if let Some((y, rest)) = s.split_once('-') {
        let (m, d) = rest.split_once('-').ok_or_else(bad)?;
        let (y, m, d) = (
            y.parse::<u16>().map_err(|_| bad())?,
            m.parse::<u8>().map_err(|_| bad())?,
            d.parse::<u8>().map_err(|_| bad())?,
        );
        let date = Date::new(y, m, d).map_err(|e| format!("{s:?}: {e}"))?;
        return Ok(Before::At(date.days_since_epoch() * 86_400));
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(secs)
        .map(Before::Ago)
        .ok_or_else(|| format!("{s:?} is too long ago"))
}

/// Runs `hadron expunge`.
pub(crate) async fn expunge(args: ExpungeArgs) -> anyhow::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let before = args.before.unix(now);
    let name = store_name(
        &Mailbox::new(args.mailbox.clone())
            .with_context(|| format!("bad mailbox name {:?}", args.mailbox))?,
    );
    let engine = engine(&args.storage.config()?).await?;
    let account = account(&engine, &args.user).await?;
    let done = engine
        .expunge_before(&account, &name, before, args.dry_run)
        .await
        .with_context(|| format!("expunging from mailbox {name:?} of user {}", args.user))?;
    let count = if args.dry_run {
        done.matched.len()
    } else {
        done.expunged.len()
    };
    if args.json {
        print_json(&json!({
            "user": args.user,
            "mailbox": done.mailbox.name,
            "before": before,
            "dry_run": args.dry_run,
            "matched": done.matched.len(),
            "expunged": done.expunged.len(),
            "uids": if args.dry_run { &done.matched } else { &done.expunged },
        }))?;
    } else if args.dry_run {
        println!(
            "{count} messages of mailbox {} of user {} received before {} would be expunged",
            done.mailbox.name,
            args.user,
            utc(before)
        );
    } else {
        println!(
            "{count} messages expunged from mailbox {} of user {} (received before {})",
            done.mailbox.name,
            args.user,
            utc(before)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_is_a_day_or_an_age() {
        assert_eq!(parse_before("1970-01-02"), Ok(Before::At(86_400)));
        assert_eq!(parse_before("2024-03-01"), Ok(Before::At(1_709_251_200)));
        assert_eq!(parse_before("30d"), Ok(Before::Ago(30 * 86_400)));
        assert_eq!(parse_before("2w"), Ok(Before::Ago(14 * 86_400)));
        assert_eq!(parse_before("90m"), Ok(Before::Ago(5_400)));
        assert_eq!(Before::Ago(10).unix(100), 90);
        for bad in ["", "30", "30y", "d", "2024-02-30", "2024-13-01", "2024-1"] {
            assert!(parse_before(bad).is_err(), "{bad:?} accepted");
        }
    }
}
