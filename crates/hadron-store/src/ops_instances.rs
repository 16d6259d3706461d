// The registry of running server processes (`instances`, read by `hadron stats`), compiled once
// per backend like `ops_impl.rs`: `src/ops.rs` includes this file next to it, in the same
// module, so it shares that file's imports and helpers.

/// An `instances` row as read.
#[derive(QueryableByName)]
struct InstanceRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    host: String,
    #[diesel(sql_type = BigInt)]
    pid: i64,
    #[diesel(sql_type = BigInt)]
    started_at: i64,
    #[diesel(sql_type = BigInt)]
    heartbeat_at: i64,
    #[diesel(sql_type = BigInt)]
    sessions: i64,
}

/// Inserts `instance`'s row, or replaces what it reported (heartbeat, sessions) when it has
/// one: a row pruned as stale meanwhile comes back whole.
pub(crate) fn record_instance(c: &mut Conn, instance: &crate::instance::Instance) -> Result<()> {
    let mut s = Sql::new(
        "INSERT INTO instances (id, host, pid, started_at, heartbeat_at, sessions) VALUES (",
    );
    s.arg(Arg::Text(instance.id.clone()))
        .push(", ")
        .arg(Arg::Text(instance.host.clone()))
        .push(", ")
        .i64(i64::from(instance.pid))
        .push(", ")
        .i64(instance.started)
        .push(", ")
        .i64(instance.heartbeat)
        .push(", ")
        .i64(i64::try_from(instance.sessions).unwrap_or(i64::MAX))
        .push(
            ") ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, \
             sessions = excluded.sessions",
        );
    q(s).execute(c)?;
    Ok(())
}

/// Removes the row of instance `id` (a clean shutdown); whether there was one.
pub(crate) fn remove_instance(c: &mut Conn, id: &str) -> Result<bool> {
    let mut s = Sql::new("DELETE FROM instances WHERE id = ");
    s.arg(Arg::Text(id.to_owned()));
    Ok(q(s).execute(c)? > 0)
}

/// Removes the rows whose heartbeat is before `before` (processes that died); returns how many.
pub(crate) fn prune_instances(c: &mut Conn, before: i64) -> Result<usize> {
    let mut s = Sql::new("DELETE FROM instances WHERE heartbeat_at < ");
    s.i64(before);
    Ok(q(s).execute(c)?)
}

/// The instances whose heartbeat is at or after `since`, oldest start first.
pub(crate) fn instances(c: &mut Conn, since: i64) -> Result<Vec<crate::instance::Instance>> {
    let mut s = Sql::new(
        "SELECT id, host, pid, started_at, heartbeat_at, sessions FROM instances \
         WHERE heartbeat_at >= ",
    );
    s.i64(since).push(" ORDER BY started_at, id");
    let rows: Vec<InstanceRow> = q(s).load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| crate::instance::Instance {
            id: r.id,
            host: r.host,
            pid: u32::try_from(r.pid).unwrap_or(0),
            started: r.started_at,
            heartbeat: r.heartbeat_at,
            sessions: u64::try_from(r.sessions).unwrap_or(0),
        })
        .collect())
}
