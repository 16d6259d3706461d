//! The change feed between instances on one PostgreSQL database.
//!
//! Every write to a mailbox takes the mailbox's row lock first; taking it also queues a
//! `NOTIFY` on [`CHANGE_CHANNEL`] carrying the mailbox id, which PostgreSQL delivers to every
//! listening session when (and only if) the transaction commits. A [`ChangeListener`] is one
//! such listening session: an instance polls it, and for each mailbox named reads what changed
//! since the last mod-sequence it saw with [`crate::Store::changes_since`]. The notification is
//! only a wake-up — it carries no change — so one lost, coalesced or delivered twice costs a
//! read, never a change.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::backend::CHANGE_CHANNEL;
use crate::error::Result;
use crate::types::MailboxId;

/// A dedicated PostgreSQL session listening for mailbox changes (see
/// [`crate::Store::change_listener`]); the notification only wakes the reader up.
pub struct ChangeListener {
    conn: PgConnection,
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeListener").finish_non_exhaustive()
    }
}

impl ChangeListener {
    /// Opens a session on `url` and starts listening.
    pub(crate) fn connect(url: &str) -> Result<ChangeListener> {
        let mut conn = PgConnection::establish(url)?;
        conn.batch_execute(&format!("LISTEN {CHANGE_CHANNEL}"))?;
        Ok(ChangeListener { conn })
    }

    /// The mailboxes whose changes were committed since the last call, each once, in the
    /// order first notified; empty when there were none. Does not wait. An error means the
    /// session is broken: connect a new listener, and treat every mailbox as changed (what
    /// was notified meanwhile is lost).
    pub fn poll(&mut self) -> Result<Vec<MailboxId>> {
        let mut out: Vec<MailboxId> = Vec::new();
        for n in self.conn.notifications_iter() {
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
        Ok(out)
    }
}
