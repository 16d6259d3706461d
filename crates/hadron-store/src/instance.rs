//! [`Instance`]: a running `hadron serve` process as it registers itself in the database
//! (`Store::record_instance`), so that administration commands (`hadron stats`) can count the
//! servers and their sessions.

/// One running server process on the database, with what it last reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// A unique id the process chose at start (host, pid and start time).
    pub id: String,
    /// The host name it runs on.
    pub host: String,
    /// Its process id on that host.
    pub pid: u32,
    /// When it started, Unix seconds.
    pub started: i64,
    /// When it last reported, Unix seconds: a row whose heartbeat is older than a few of the
    /// server's intervals belongs to a process that died without removing it.
    pub heartbeat: i64,
    /// Its logged-in IMAP sessions at the last report.
    pub sessions: u64,
}
