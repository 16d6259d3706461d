//! The change feed: how an instance learns that another process committed to the database.
//!
//! **PostgreSQL** (several instances on one database). Every write to a mailbox takes the
//! mailbox's row lock first; taking it also queues a `NOTIFY` on [`CHANGE_CHANNEL`] carrying
//! the mailbox id, which PostgreSQL delivers to every listening session when (and only if) the
//! transaction commits. A [`ChangeListener`] is one such listening session: an instance polls
//! it, and for each mailbox named reads what changed since the last mod-sequence it saw with
//! [`crate::Store::changes_since`].
//!
//! **SQLite** (one server process, but administration commands and imports may open the same
//! file from other processes). The store's writer thread reads its connection's
//! `PRAGMA data_version` before each batch and every [`FOREIGN_POLL`] while idle; the value
//! changes exactly when *another* connection committed (the process's own readers are
//! `query_only`, so that is another process). Each change bumps a counter of foreign commits;
//! the listener reports a change of the counter as [`Woken::Everything`]: which mailboxes
//! changed is unknown, so the instance reads every mailbox it follows. A foreign commit is
//! seen within about [`FOREIGN_POLL`], or at the writer's next batch.
//!
//! Either way the wake-up carries no change — so one lost, coalesced or delivered twice costs
//! a read, never a change.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::backend::CHANGE_CHANNEL;
use crate::error::Result;
use crate::types::MailboxId;

/// How often the SQLite writer thread, while idle, looks for commits of other processes.
pub(crate) const FOREIGN_POLL: Duration = Duration::from_millis(25);

/// What a [`ChangeListener::poll`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Woken {
    /// These mailboxes changed, each named once in the order first notified (PostgreSQL);
    /// empty when nothing changed.
    Mailboxes(Vec<MailboxId>),
    /// Something changed, the mailboxes unknown (SQLite: another process committed): read
    /// every mailbox followed.
    Everything,
}

impl Woken {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        matches!(self, Woken::Mailboxes(ids) if ids.is_empty())
    }
}

/// Listens for changes other processes commit to the database (see
/// [`crate::Store::change_listener`]); a wake-up only tells the reader to read.
pub struct ChangeListener {
    source: Source,
}

enum Source {
    /// A dedicated PostgreSQL session that `LISTEN`s on [`CHANGE_CHANNEL`].
    Postgres(PgConnection),
    /// The SQLite writer's count of foreign commits, and its value at the last poll.
    Sqlite { foreign: Arc<AtomicU64>, seen: u64 },
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.source {
            Source::Postgres(_) => "postgres",
            Source::Sqlite { .. } => "sqlite",
        };
        f.debug_struct("ChangeListener")
            .field("backend", &kind)
            .finish_non_exhaustive()
    }
}

impl ChangeListener {
    /// Opens a session on `url` and starts listening.
    pub(crate) fn connect(url: &str) -> Result<ChangeListener> {
        let mut conn = PgConnection::establish(url)?;
        conn.batch_execute(&format!("LISTEN {CHANGE_CHANNEL}"))?;
        Ok(ChangeListener {
            source: Source::Postgres(conn),
        })
    }

    /// Follows the SQLite writer's count of foreign commits, from its current value.
    pub(crate) fn sqlite(foreign: Arc<AtomicU64>) -> ChangeListener {
        let seen = foreign.load(Ordering::Acquire);
        ChangeListener {
            source: Source::Sqlite { foreign, seen },
        }
    }

    /// What other processes committed since the last call ([`Woken::Mailboxes`] empty when
    /// nothing). Does not wait. An error means the PostgreSQL session is broken: connect a
    /// new listener, and treat every mailbox as changed (what was notified meanwhile is lost).
    pub fn poll(&mut self) -> Result<Woken> {
        match &mut self.source {
            Source::Postgres(conn) => {
                let mut out: Vec<MailboxId> = Vec::new();
                for n in conn.notifications_iter() {
                    let n = n?;
                    if n.channel != CHANGE_CHANNEL {
                        continue;
                    }
                    if let Ok(id) = n.payload.parse::<i64>()
                        && !out.contains(&MailboxId(id))
                    {
                        out.push(MailboxId(id));
                    }
                }
                Ok(Woken::Mailboxes(out))
            }
            Source::Sqlite { foreign, seen } => {
                let now = foreign.load(Ordering::Acquire);
                if now == *seen {
                    return Ok(Woken::Mailboxes(Vec::new()));
                }
                *seen = now;
                Ok(Woken::Everything)
            }
        }
    }
}
