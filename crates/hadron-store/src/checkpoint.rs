//! SQLite WAL checkpoints off the writer's path.
//!
//! In WAL mode a commit appends the pages it changed to the log; a
//! checkpoint copies them back into the database file and syncs it. By
//! default SQLite does that inside the committing connection once the log
//! passes 1,000 pages, so the write that crosses the mark waits for all of
//! it: a fifth of the writer thread's time in a 1,000-message EXPUNGE on a
//! 300,000-message mailbox, where each deleted row touches a page of every
//! index. Here a thread of its own, on its own connection, runs a `PASSIVE`
//! checkpoint shortly after commits (never waiting for readers or the
//! writer) while the writer goes on with the next batch. The writer's own
//! automatic checkpoint stays as a backstop, at [`WRITER_BACKSTOP_PAGES`],
//! for when this thread cannot keep up or another process holds the
//! checkpoint lock.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

use crate::error::Result;

/// The log length, in pages, at which the writer checkpoints by itself
/// (`PRAGMA wal_autocheckpoint`; 64 MiB of 4 KiB pages).
pub(crate) const WRITER_BACKSTOP_PAGES: u32 = 16_384;

/// The shortest time between two checkpoints: commits that arrive closer
/// together share one (each costs two fsyncs).
const SPACING: Duration = Duration::from_millis(100);

/// The checkpointing thread. Dropping it lets the thread finish its last
/// checkpoint and joins it.
pub(crate) struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection to the database at `url` (already in WAL mode) with
    /// the writer's `synchronous` setting and starts the thread.
    pub(crate) fn start(url: &str, synchronous: &str) -> Result<Checkpointer> {
        let mut conn = SqliteConnection::establish(url)?;
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = 10000; PRAGMA synchronous = {synchronous};"
        ))?;
        let (nudge, nudged) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("hadron-sqlite-ckpt".into())
            .spawn(move || run(conn, nudged))?;
        Ok(Checkpointer {
            nudge: Some(nudge),
            thread: Some(thread),
        })
    }

    /// Tells the thread that the writer committed. Never blocks: a nudge
    /// already waiting covers this commit too.
    pub(crate) fn committed(&self) {
        if let Some(n) = &self.nudge {
            let _ = n.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.nudge.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(mut conn: SqliteConnection, nudged: Receiver<()>) {
    let mut last: Option<Instant> = None;
    while nudged.recv().is_ok() {
        if let Some(wait) = last.map(|l| SPACING.saturating_sub(l.elapsed()))
            && !wait.is_zero()
        {
            std::thread::sleep(wait);
        }
        // A nudge that came while sleeping is for a commit already in the
        // log, which the checkpoint below copies.
        let _ = nudged.try_recv();
        // A checkpoint that fails (another process holds the checkpoint
        // lock, the disk is full) leaves the log as it was: the next nudge
        // tries again, and the writer's backstop bounds the log meanwhile.
        let _ = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);");
        last = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of the main database file, which in WAL mode only a
    /// checkpoint writes.
    fn main_file(path: &std::path::Path) -> Vec<u8> {
        std::fs::read(path).unwrap()
    }

    #[test]
    fn commits_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = path.to_str().unwrap();
        let mut writer = SqliteConnection::establish(url).unwrap();
        writer
            .batch_execute(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = {WRITER_BACKSTOP_PAGES}; \
                 CREATE TABLE t (x BLOB);"
            ))
            .unwrap();
        let checkpoints = Checkpointer::start(url, "FULL").unwrap();
        checkpoints.committed();
        std::thread::sleep(SPACING * 3);
        let before = main_file(&path);

        // Without a nudge the rows stay in the log: the writer does not
        // checkpoint below its backstop.
        writer
            .batch_execute("INSERT INTO t VALUES (zeroblob(100000));")
            .unwrap();
        std::thread::sleep(SPACING * 3);
        assert_eq!(main_file(&path), before, "nothing checkpointed yet");

        // Told of the commit, the thread copies it into the database file.
        checkpoints.committed();
        let deadline = Instant::now() + Duration::from_secs(10);
        while main_file(&path) == before {
            assert!(Instant::now() < deadline, "no checkpoint within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(main_file(&path).len() > 100_000);
        drop(checkpoints);
    }
}
