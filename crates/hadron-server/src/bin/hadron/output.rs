//! What the administration commands print: aligned tables for people, one
//! JSON document with `--json` for scripts.

use anyhow::{Context, anyhow};
use hadron_state::engine::{Account, Engine};

/// An aligned table: a header row, then one row per entry; columns are two
/// spaces apart, text left-aligned and numbers (`numeric[i]`) right-aligned.
pub(crate) fn table(headers: &[&str], numeric: &[bool], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        for (i, cell) in cells.enumerate() {
            let (w, pad) = (widths[i], widths[i].saturating_sub(cell.chars().count()));
            if i > 0 {
                out.push_str("  ");
            }
            if numeric.get(i).copied().unwrap_or(false) {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            } else if i + 1 < widths.len() {
                out.push_str(&format!("{cell:<w$}"));
            } else {
                out.push_str(cell);
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(&mut headers.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// Unix seconds as `YYYY-MM-DD hh:mm:ssZ` (the number itself if out of range).
pub(crate) fn utc(unix: i64) -> String {
    hadron_proto::types::DateTime::from_unix(unix, 0).map_or_else(
        |_| unix.to_string(),
        |t| {
            let (d, (h, m, s)) = (t.date(), t.time());
            format!(
                "{:04}-{:02}-{:02} {h:02}:{m:02}:{s:02}Z",
                d.year(),
                d.month(),
                d.day()
            )
        },
    )
}

/// Prints `value` as one JSON document (pretty, for people reading it too).
pub(crate) fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(value).context("writing JSON")?
    );
    Ok(())
}

/// The account of user `name`, or an error naming it.
pub(crate) async fn account(engine: &Engine, name: &str) -> anyhow::Result<Account> {
    engine
        .local_account(name)
        .await
        .with_context(|| format!("looking up user {name}"))?
        .ok_or_else(|| anyhow!("no user named {name:?}"))
}
