// Failed-login counts shared by the instances on one database (the server's login throttling
// on PostgreSQL), compiled once per backend like `ops_impl.rs`: `src/ops.rs` includes this file
// next to it, in the same module, so it shares that file's imports and helpers.

/// The highest failure count among `keys` whose last failure was at or after `since`
/// (Unix seconds); 0 when none.
pub(crate) fn login_failures(c: &mut Conn, keys: &[String], since: i64) -> Result<u32> {
    let mut worst = 0;
    for key in keys {
        let mut s = Sql::new("SELECT failures AS id FROM login_failures WHERE key = ");
        s.arg(Arg::Text(key.clone())).push(" AND last_at >= ").i64(since);
        if let Some(row) = q(s).load::<IdRow>(c)?.first() {
            worst = worst.max(row.id);
        }
    }
    Ok(u32::try_from(worst).unwrap_or(u32::MAX))
}

/// Counts one more failure for each of `keys` at `now`, starting afresh for a key whose last
/// failure was before `since`; returns the highest count after it. One statement per key, so
/// concurrent failures on several instances all count.
pub(crate) fn record_login_failure(
    c: &mut Conn,
    keys: &[String],
    now: i64,
    since: i64,
) -> Result<u32> {
    let mut worst = 0;
    for key in keys {
        let mut s = Sql::new("INSERT INTO login_failures (key, failures, last_at) VALUES (");
        s.arg(Arg::Text(key.clone()))
            .push(", 1, ")
            .i64(now)
            .push(
                ") ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_failures.last_at >= ",
            )
            .i64(since)
            .push(" THEN login_failures.failures + 1 ELSE 1 END, last_at = ")
            .i64(now)
            .push(" RETURNING failures AS id");
        if let Some(row) = q(s).load::<IdRow>(c)?.first() {
            worst = worst.max(row.id);
        }
    }
    Ok(u32::try_from(worst).unwrap_or(u32::MAX))
}

/// Forgets the failures of `keys` (a successful login).
pub(crate) fn clear_login_failures(c: &mut Conn, keys: &[String]) -> Result<()> {
    for key in keys {
        let mut s = Sql::new("DELETE FROM login_failures WHERE key = ");
        s.arg(Arg::Text(key.clone()));
        q(s).execute(c)?;
    }
    Ok(())
}

/// Forgets every failure older than `before` (Unix seconds); returns how many keys.
pub(crate) fn prune_login_failures(c: &mut Conn, before: i64) -> Result<usize> {
    let mut s = Sql::new("DELETE FROM login_failures WHERE last_at < ");
    s.i64(before);
    Ok(q(s).execute(c)?)
}
