//! [`Store`]: the handle through which everything reads and writes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{PgConnection, SqliteConnection};

use crate::backend::AnyConn;
use crate::checkpoint::Checkpointer;
use crate::error::{Result, StoreError};
use crate::feed::{ChangeListener, FOREIGN_POLL};
use crate::instance::Instance;
use crate::migrate;
use crate::types::{
    Appended, ColumnRange, Copied, DeletedUser, Expunged, FetchColumns, FlagChanges, FlagEdit,
    FlagOp, IdField, IndexText, MailboxChanges, MailboxId, MailboxInfo, MessageFlags, MessageId,
    MessageSummary, NewMessage, QuotaLimits, SearchField, SortColumns, SortRow, StoredMessage,
    SystemFlags, TextHits, TextScope, ThreadRow, UidSet, UserId, UserInfo, UserQuota,
};

/// Runs the operation `$f` of the backend that `$conn` belongs to.
macro_rules! dispatch {
    ($conn:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $conn {
            AnyConn::Pg(c) => crate::ops::pg::$f(c, $($arg),*),
            AnyConn::Sqlite(c) => crate::ops::sqlite::$f(c, $($arg),*),
        }
    };
}

/// How durable a SQLite commit is (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// `FULL`: every commit is fsynced before it is acknowledged (the default).
    #[default]
    Full,
    /// `NORMAL`: in WAL mode a power loss may lose the last commits (never corrupts).
    Normal,
}

impl SqliteSync {
    /// The value of `PRAGMA synchronous`.
    fn pragma(self) -> &'static str {
        match self {
            SqliteSync::Full => "FULL",
            SqliteSync::Normal => "NORMAL",
        }
    }
}

/// Options for [`Store::open`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// SQLite: commit durability.
    pub sqlite_sync: SqliteSync,
    /// SQLite: number of reader connections; PostgreSQL: pool size.
    pub pool_size: u32,
    /// SQLite: most writes committed together in one transaction (group commit).
    pub max_group_commit: usize,
    /// Whether the pools keep a connection ready, opening one in the background after each
    /// checkout (a server: yes). A short-lived command says no: a PostgreSQL connection still
    /// being opened by the pool's thread when the process exits can crash it (libpq's TLS
    /// setup racing OpenSSL's clean-up at exit).
    pub keep_idle: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            sqlite_sync: SqliteSync::Full,
            pool_size: 8,
            max_group_commit: 512,
            keep_idle: true,
        }
    }
}

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A write queued for the SQLite writer thread. It runs inside the batch transaction (in its
/// own savepoint) and returns a completion that is told whether the batch committed.
type Job = Box<dyn FnOnce(&mut SqliteConnection) -> Completion + Send>;
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;

struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has committed what is queued.
        self.jobs.take();
        // The last handle can be dropped by the writer thread itself (a completion holding
        // a clone of the store): it ends on its own once it returns, and cannot join itself.
        if let Some(t) = self.thread.take()
            && t.thread().id() != std::thread::current().id()
        {
            let _ = t.join();
        }
    }
}

enum Backend {
    Pg {
        pool: Pool<ConnectionManager<PgConnection>>,
        /// For the change listener's own connection.
        url: String,
    },
    Sqlite {
        readers: Pool<ConnectionManager<SqliteConnection>>,
        writer: Writer,
        path: PathBuf,
        /// Commits of other processes the writer thread has noticed (see `crate::feed`).
        foreign_commits: Arc<AtomicU64>,
    },
}

/// Handle to the mail database. Cheap to clone; all clones share the connections.
///
/// All methods block: call them from `spawn_blocking` in async code. Each method is one
/// transaction: it either happens completely or (on error) not at all. Writes return only once
/// they are committed (and, with [`SqliteSync::Full`] or on PostgreSQL, on disk).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Backend>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish()
    }
}

#[derive(Debug)]
struct SqliteReaderSetup;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqliteReaderSetup {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA query_only = ON;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Opens the SQLite write connection with its pragmas.
fn open_writer(url: &str, sync: SqliteSync) -> Result<SqliteConnection> {
    let mut conn = SqliteConnection::establish(url)?;
    let sync = sync.pragma();
    // The statement journal stays a temporary file (SQLite's default): kept
    // in memory (`temp_store = MEMORY`) it made a 1,000-message EXPUNGE
    // cheaper but `STORE 1:*` on 300,000 messages 2.6 times slower (68% of
    // the writer's time in SQLite's savepoint handling), so it was reverted.
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
         PRAGMA wal_autocheckpoint = {backstop};",
        backstop = crate::checkpoint::WRITER_BACKSTOP_PAGES,
    ))?;
    Ok(conn)
}

/// `PRAGMA data_version` of `conn`: it changes exactly when another connection committed.
fn data_version(conn: &mut SqliteConnection) -> Option<i64> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        data_version: i64,
    }
    crate::backend::Prepared(crate::backend::Sql::new("PRAGMA data_version"))
        .get_result::<Row>(conn)
        .ok()
        .map(|r| r.data_version)
}

/// Counts the commits of other processes that `conn` (the writer's connection, whose own
/// commits do not count) has not yet seen into `foreign`.
struct ForeignCommits {
    counter: Arc<AtomicU64>,
    version: Option<i64>,
}

impl ForeignCommits {
    fn new(conn: &mut SqliteConnection, counter: Arc<AtomicU64>) -> ForeignCommits {
        ForeignCommits {
            version: data_version(conn),
            counter,
        }
    }

    /// Reads the data version and counts a foreign commit when it moved.
    fn check(&mut self, conn: &mut SqliteConnection) {
        let now = data_version(conn);
        if now.is_some() && now != self.version {
            self.version = now;
            self.counter.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The writer's connection was replaced: what happened meanwhile is unknown, so it counts
    /// as a foreign commit (a spurious one costs the followers a read).
    fn reconnected(&mut self, conn: &mut SqliteConnection) {
        self.version = data_version(conn);
        self.counter.fetch_add(1, Ordering::AcqRel);
    }
}

fn writer_loop(
    mut conn: SqliteConnection,
    jobs: mpsc::Receiver<Job>,
    max: usize,
    url: String,
    sync: SqliteSync,
    foreign: Arc<AtomicU64>,
    checkpoints: Checkpointer,
) {
    let mut foreign = ForeignCommits::new(&mut conn, foreign);
    loop {
        // Idle, the thread still looks for other processes' commits every FOREIGN_POLL;
        // busy, before each batch (one PRAGMA per group commit).
        let first = match jobs.recv_timeout(FOREIGN_POLL) {
            Ok(job) => Some(job),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        foreign.check(&mut conn);
        let Some(first) = first else { continue };
        let mut batch = vec![first];
        while batch.len() < max {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        // Group commit: every queued write in one transaction, one fsync, then all answered.
        let mut done = Vec::with_capacity(batch.len());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            conn.immediate_transaction::<_, diesel::result::Error, _>(|c| {
                for job in batch {
                    done.push(job(c));
                }
                Ok(())
            })
        }));
        match r {
            Ok(r) => {
                if r.is_ok() {
                    checkpoints.committed();
                }
                let err = r.err().map(|e| e.to_string());
                for d in done {
                    d(err.as_deref());
                }
            }
            Err(_) => {
                // A write panicked mid-batch: the transaction state is unknown. Dropping the
                // connection rolls the whole batch back; its callers see the error when their
                // completions are dropped. Carry on with a fresh connection.
                drop(done);
                conn = match open_writer(&url, sync) {
                    Ok(c) => c,
                    Err(_) => return,
                };
                foreign.reconnected(&mut conn);
            }
        }
    }
}

/// Attempts of a PostgreSQL operation whose connection the database ended under it (a read,
/// or a write before it committed: see [`retry_write`]), at least.
const CONNECTION_TRIES: u32 = 3;

/// Attempts for an operation on `pool`: when the database ends every session at once (a
/// restart, a failover), each pooled connection is found dead only when used, so one more
/// than the pool holds always reaches a fresh one.
fn connection_tries<M: diesel::r2d2::R2D2Connection + 'static>(
    pool: &diesel::r2d2::Pool<diesel::r2d2::ConnectionManager<M>>,
) -> u32 {
    CONNECTION_TRIES.max(pool.max_size() + 1)
}

/// Whether a PostgreSQL write that failed with `e` may run again: only when the connection was
/// lost before COMMIT was sent (`body_ok`: the transaction's statements had all run), so that
/// nothing was committed. A write lost at COMMIT may have committed: retrying it could apply
/// it twice (an APPEND stored twice), so its error is the caller's answer.
fn retry_write(body_ok: bool, e: &StoreError) -> bool {
    !body_ok && e.is_connection_lost()
}

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date:
    /// `sqlite://PATH` (or `sqlite:PATH`) or `postgres://…` / `postgresql://…`.
    ///
    /// Fails with [`StoreError::SchemaTooNew`] if a newer Hadron migrated the database.
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url, options)
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Self::open_sqlite(Path::new(path), options)
        } else {
            Err(StoreError::BadUrl(url.to_owned()))
        }
    }

    /// Opens (creating if needed) the SQLite database file at `path`: WAL mode, one writer
    /// thread fed by a queue, a pool of reader connections.
    pub fn open_sqlite(path: &Path, options: &StoreOptions) -> Result<Self> {
        let url = path
            .to_str()
            .ok_or_else(|| StoreError::BadUrl(path.display().to_string()))?
            .to_owned();
        let mut conn = open_writer(&url, options.sqlite_sync)?;
        migrate::run_sqlite(&mut conn)?;
        let readers = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(u32::from(options.keep_idle)))
            // A local file does not go stale: no `SELECT 1` before every read.
            .test_on_check_out(false)
            .connection_customizer(Box::new(SqliteReaderSetup))
            .build(ConnectionManager::<SqliteConnection>::new(url.clone()))?;
        let (tx, rx) = mpsc::channel::<Job>();
        let max = options.max_group_commit.max(1);
        let sync = options.sqlite_sync;
        let foreign_commits = Arc::new(AtomicU64::new(0));
        let foreign = foreign_commits.clone();
        let checkpoints = Checkpointer::start(&url, sync.pragma())?;
        let thread = std::thread::Builder::new()
            .name("hadron-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, max, url, sync, foreign, checkpoints))?;
        Ok(Self {
            inner: Arc::new(Backend::Sqlite {
                readers,
                writer: Writer {
                    jobs: Some(tx),
                    thread: Some(thread),
                },
                path: path.to_owned(),
                foreign_commits,
            }),
        })
    }

    /// Connects to PostgreSQL at `url` with a pool and runs pending migrations (serialised
    /// between instances by an advisory lock).
    pub fn open_postgres(url: &str, options: &StoreOptions) -> Result<Self> {
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(u32::from(options.keep_idle)))
            .build(ConnectionManager::<PgConnection>::new(url))?;
        let mut conn = pool.get()?;
        migrate::run_postgres(&mut conn)?;
        drop(conn);
        Ok(Self {
            inner: Arc::new(Backend::Pg {
                pool,
                url: url.to_owned(),
            }),
        })
    }

    /// Applies pending migrations to the database at `url` without keeping it open; returns
    /// the versions applied. Used by `cargo xtask migrate`.
    pub fn migrate(url: &str) -> Result<Vec<String>> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            migrate::run_postgres(&mut PgConnection::establish(url)?)
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let mut c = SqliteConnection::establish(path)?;
            c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
            migrate::run_sqlite(&mut c)
        } else {
            Err(StoreError::BadUrl(url.to_owned()))
        }
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> BackendKind {
        match &*self.inner {
            Backend::Pg { .. } => BackendKind::Postgres,
            Backend::Sqlite { .. } => BackendKind::Sqlite,
        }
    }

    /// The SQLite database file, if this is a SQLite store.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &*self.inner {
            Backend::Sqlite { path, .. } => Some(path),
            Backend::Pg { .. } => None,
        }
    }

    /// Runs `f` in a read transaction (a consistent snapshot; never waits for writers).
    fn read<T>(&self, mut f: impl FnMut(AnyConn<'_>) -> Result<T>) -> Result<T> {
        match &*self.inner {
            Backend::Pg { pool, .. } => {
                let mut run = || -> Result<T> {
                    let mut c = pool.get()?;
                    c.build_transaction()
                        .read_only()
                        .repeatable_read()
                        .run(|c| f(AnyConn::Pg(c)))
                };
                // A read changes nothing: on a connection the server ended
                // (restart, failover, a cut) it runs again on a fresh one.
                let (mut tries, most) = (1, connection_tries(pool));
                loop {
                    match run() {
                        Err(e) if e.is_connection_lost() && tries < most => tries += 1,
                        r => return r,
                    }
                }
            }
            Backend::Sqlite { readers, .. } => {
                let mut c = readers.get()?;
                c.transaction(|c| f(AnyConn::Sqlite(c)))
            }
        }
    }

    /// Runs `f` in a write transaction and waits until it is durably committed.
    fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(AnyConn<'_>) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<Result<T>>(1);
        self.write_then(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Runs `f` as one write transaction and calls `done` with its result once it committed
    /// (durably) or failed. On SQLite this returns as soon as the write is queued: `done` runs
    /// on the writer thread after the group commit, and the `done`s of all writes run in the
    /// order the writes were queued, which is their commit order. On PostgreSQL the
    /// transaction runs here and `done` before this returns. An `Err` means the write was not
    /// queued (and `done` is dropped uncalled).
    fn write_then<T, F, D>(&self, mut f: F, done: D) -> Result<()>
    where
        T: Send + 'static,
        F: FnMut(AnyConn<'_>) -> Result<T> + Send + 'static,
        D: FnOnce(Result<T>) + Send + 'static,
    {
        match &*self.inner {
            Backend::Pg { pool, .. } => {
                let (mut tries, most) = (1, connection_tries(pool));
                loop {
                    let mut c = pool.get()?;
                    let mut body_ok = false;
                    let r = c.transaction(|c| {
                        let r = f(AnyConn::Pg(c));
                        body_ok = r.is_ok();
                        r
                    });
                    match r {
                        Err(e) if retry_write(body_ok, &e) && tries < most => tries += 1,
                        r => {
                            done(r);
                            return Ok(());
                        }
                    }
                }
            }
            Backend::Sqlite { writer, .. } => {
                let job: Job = Box::new(move |conn| {
                    // A savepoint: a failing write rolls back alone, the batch goes on.
                    let r = conn.transaction(|c| f(AnyConn::Sqlite(c)));
                    Box::new(move |commit_error: Option<&str>| {
                        done(match (r, commit_error) {
                            (Ok(_), Some(e)) => Err(StoreError::Commit(e.to_owned())),
                            (r, _) => r,
                        });
                    })
                });
                writer
                    .jobs
                    .as_ref()
                    .ok_or(StoreError::WriterGone)?
                    .send(job)
                    .map_err(|_| StoreError::WriterGone)
            }
        }
    }

    /// Whether several processes may use this database at once (PostgreSQL): state that must
    /// hold across them, such as failed-login counts, is kept in it rather than in memory.
    pub fn is_shared(&self) -> bool {
        matches!(&*self.inner, Backend::Pg { .. })
    }

    /// Whether the `*_then` writes ([`Store::store_flags_then`], [`Store::append_then`],
    /// [`Store::expunge_then`]) return before the write
    /// is done (SQLite, whose writes queue for one writer thread), so an async caller may call
    /// them without a blocking thread. On PostgreSQL they run the transaction and block.
    pub fn queues_writes(&self) -> bool {
        matches!(&*self.inner, Backend::Sqlite { .. })
    }

    // ---- users ---------------------------------------------------------------------------

    /// Creates a user. `password_hash` is stored as given (hash it — e.g. argon2 PHC string —
    /// before calling; the store never sees passwords).
    pub fn create_user(&self, name: &str, password_hash: &str) -> Result<UserId> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.write(move |c| dispatch!(c, create_user(&name, &hash, now_secs())))
    }

    /// Looks a user up by name: its id and stored password hash.
    pub fn user_by_name(&self, name: &str) -> Result<Option<(UserId, String)>> {
        self.read(|c| dispatch!(c, user_by_name(name)))
    }

    /// Replaces a user's stored password hash (hashed by the caller, as for
    /// [`Store::create_user`]). [`StoreError::UnknownUser`] if there is no such user.
    pub fn set_password_hash(&self, name: &str, password_hash: &str) -> Result<()> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.write(move |c| dispatch!(c, set_password_hash(&name, &hash)))
    }

    /// Every user, sorted by name (bytewise), with its mailbox count and message totals (read
    /// from the mailbox counters, so this costs one grouped query whatever the mail volume).
    pub fn list_users(&self) -> Result<Vec<UserInfo>> {
        self.read(|c| dispatch!(c, list_users()))
    }

    /// A user's quota (RFC 9208): its limits and its usage, summed from its mailboxes'
    /// counters in one query (no message row is read). [`StoreError::UnknownUser`] if there is
    /// no such user.
    pub fn user_quota(&self, user: UserId) -> Result<UserQuota> {
        self.read(|c| dispatch!(c, user_quota(user)))
    }

    /// Sets a user's quota limits (`None`: no limit), replacing both. Limits above 2^63 - 1
    /// are [`StoreError::InvalidInput`]; [`StoreError::UnknownUser`] if there is no such
    /// user. Nothing already stored is removed when a limit is lowered below the usage: the
    /// user just cannot add more until under it.
    pub fn set_quota_limits(&self, name: &str, limits: QuotaLimits) -> Result<()> {
        let name = name.to_owned();
        self.write(move |c| dispatch!(c, set_quota_limits(&name, limits)))
    }

    /// How many of `uids` mailbox `mailbox` holds and their total size in octets: what a COPY
    /// of them adds to the owner's quota usage. Reads only the rows named.
    pub fn messages_size(&self, mailbox: MailboxId, uids: &UidSet) -> Result<(u64, u64)> {
        self.read(|c| dispatch!(c, messages_size(mailbox, uids)))
    }

    /// Deletes a user in one transaction: its mailboxes with their messages, keywords and
    /// expunge records, its subscriptions, then the user row. [`StoreError::UnknownUser`] if
    /// there is no such user.
    ///
    /// Like [`Store::delete_mailbox`], message content is not removed here: the message rows
    /// only the user's mailboxes held become orphans for [`Store::purge_orphan_messages`], and
    /// their bodies then for blob collection. A body another user also has is kept, since that
    /// user's own message row still references it.
    pub fn delete_user(&self, name: &str) -> Result<DeletedUser> {
        let name = name.to_owned();
        self.write(move |c| dispatch!(c, delete_user(&name)))
    }

    // ---- mailboxes -----------------------------------------------------------------------

    /// Creates a mailbox (UIDVALIDITY fresh, UIDNEXT 1, HIGHESTMODSEQ 1).
    pub fn create_mailbox(
        &self,
        user: UserId,
        name: &str,
        special_use: Option<&str>,
    ) -> Result<MailboxInfo> {
        let name = name.to_owned();
        let su = special_use.map(str::to_owned);
        self.write(move |c| dispatch!(c, create_mailbox(user, &name, su.as_deref(), now_secs())))
    }

    /// Renames a mailbox and every mailbox below it; ids, UIDs and UIDVALIDITY are kept.
    pub fn rename_mailbox(&self, user: UserId, from: &str, to: &str) -> Result<()> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.write(move |c| dispatch!(c, rename_mailbox(user, &from, &to)))
    }

    /// Deletes a mailbox and its messages (mailboxes below it are kept). The message content
    /// stays until [`Store::purge_orphan_messages`] and blob collection run.
    pub fn delete_mailbox(&self, user: UserId, name: &str) -> Result<MailboxId> {
        let name = name.to_owned();
        self.write(move |c| dispatch!(c, delete_mailbox(user, &name)))
    }

    /// Gives a mailbox that has never held a message the UIDVALIDITY of the mailbox it is
    /// imported from, so clients that knew that one keep their cached UIDs; `false` (and no
    /// change) when the mailbox has held messages under another UIDVALIDITY.
    pub fn adopt_uid_validity(&self, mailbox: MailboxId, uidvalidity: u32) -> Result<bool> {
        self.write(move |c| dispatch!(c, adopt_uid_validity(mailbox, uidvalidity)))
    }

    /// Raises a mailbox's UIDNEXT (never lowers it), so an import's later messages never take
    /// a UID its source had already given; returns the UIDNEXT afterwards.
    pub fn raise_uidnext(&self, mailbox: MailboxId, uidnext: u32) -> Result<u32> {
        self.write(move |c| dispatch!(c, raise_uidnext(mailbox, uidnext)))
    }

    /// Every message of a mailbox as `(uid, content hash)`, in UID order.
    pub fn content_hashes(&self, mailbox: MailboxId) -> Result<Vec<(u32, String)>> {
        self.read(|c| dispatch!(c, content_hashes(mailbox)))
    }

    /// All mailboxes of a user with their counters, sorted by name (bytewise).
    pub fn list_mailboxes(&self, user: UserId) -> Result<Vec<MailboxInfo>> {
        self.read(|c| dispatch!(c, list_mailboxes(user)))
    }

    /// A user's mailbox by name.
    pub fn mailbox_by_name(&self, user: UserId, name: &str) -> Result<Option<MailboxInfo>> {
        self.read(|c| dispatch!(c, mailbox_by_name(user, name)))
    }

    /// STATUS: the mailbox row with its counters (one primary-key read).
    pub fn mailbox_status(&self, mailbox: MailboxId) -> Result<MailboxInfo> {
        self.read(|c| dispatch!(c, mailbox_status(mailbox)))
    }

    /// Subscribes the user to a name (which need not exist).
    pub fn subscribe(&self, user: UserId, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |c| dispatch!(c, subscribe(user, &name)))
    }

    /// Removes a subscription (no error if there was none).
    pub fn unsubscribe(&self, user: UserId, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |c| dispatch!(c, unsubscribe(user, &name)))
    }

    /// The user's subscribed names, sorted.
    pub fn subscriptions(&self, user: UserId) -> Result<Vec<String>> {
        self.read(|c| dispatch!(c, subscriptions(user)))
    }

    /// The keywords in use in a mailbox; index `i` is bit `i` of [`MessageFlags::keywords`].
    pub fn keywords(&self, mailbox: MailboxId) -> Result<Vec<String>> {
        self.read(|c| dispatch!(c, keywords(mailbox)))
    }

    // ---- messages ------------------------------------------------------------------------

    /// Appends messages in one transaction; they get consecutive UIDs and one MODSEQ. Store
    /// each body with [`crate::BlobStore::put`] first.
    pub fn append(&self, mailbox: MailboxId, messages: Vec<NewMessage>) -> Result<Appended> {
        self.write(move |c| dispatch!(c, append(mailbox, &messages)))
    }

    /// `(uid, flags, keywords, modseq)` of the messages of `uids` (use [`UidSet::all`] for the
    /// whole mailbox), in UID order. A contiguous set is one indexed range query.
    pub fn fetch_flags(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<MessageFlags>> {
        self.read(|c| dispatch!(c, fetch_flags(mailbox, uids)))
    }

    /// The UIDs of the messages stored `\Recent` (no session has claimed them yet), ascending.
    /// Reads a partial index: the cost follows the answer, not the mailbox's size.
    pub fn recent_uids(&self, mailbox: MailboxId) -> Result<Vec<u32>> {
        self.read(|c| dispatch!(c, recent_uids(mailbox)))
    }

    /// The UIDs of the messages whose internal date, size, `Date:` day or save date lies in
    /// `range`, ascending (SEARCH `SINCE`/`BEFORE`/`ON`, `LARGER`/`SMALLER`, `SENT*`,
    /// `SAVED*`). Reads the column's index: the cost follows the answer, not the mailbox's
    /// size.
    pub fn uids_in_range(&self, mailbox: MailboxId, range: ColumnRange) -> Result<Vec<u32>> {
        self.read(|c| dispatch!(c, uids_in_range(mailbox, range)))
    }

    /// `(uid, value)` of the messages whose `field` may contain `needle` (given lowercase),
    /// ascending by UID: a superset of SEARCH's matches, narrowed in the database. On SQLite
    /// an ASCII needle of three characters or more is looked up in a trigram index (its cost
    /// follows the hits, unless the needle is so common that one read of the mailbox is
    /// cheaper); otherwise the mailbox's rows are read once, keeping values that contain the
    /// needle with ASCII letters compared case-insensitively and every value with non-ASCII
    /// characters (which SQL cannot lowercase as Unicode does). The caller tests each value.
    /// Messages without the field are left out.
    pub fn header_candidates(
        &self,
        mailbox: MailboxId,
        field: SearchField,
        needle: &str,
    ) -> Result<Vec<(u32, String)>> {
        self.read(|c| dispatch!(c, header_candidates(mailbox, field, needle)))
    }

    /// What the full-text index says about `needle` in `scope` (SEARCH `BODY`, `TEXT`) for the
    /// messages of `mailbox`: the indexed ones whose text contains it, and the ones the index
    /// does not hold, which the caller tests itself (see [`TextHits`]). `needle` must be
    /// lowercased as [`IndexText`] is; the answer is exact, by plain substring. `None` when
    /// the index cannot answer: a needle of fewer than three characters (no trigram) or with
    /// NUL, or one so common in the whole store that testing the mailbox's messages is
    /// cheaper. The cost follows the number of hits, not the size of the mailbox.
    pub fn text_hits(
        &self,
        mailbox: MailboxId,
        scope: TextScope,
        needle: &str,
    ) -> Result<Option<TextHits>> {
        self.read(|c| dispatch!(c, text_hits(mailbox, scope, needle)))
    }

    /// Up to `limit` messages appended without their [`IndexText`] (or stored before the
    /// full-text index existed) that the index still waits for, oldest first: each message's
    /// id and content hash, for a background indexer to read, compute the text of, and give
    /// to [`Store::index_texts`].
    pub fn pending_texts(&self, limit: usize) -> Result<Vec<(MessageId, String)>> {
        self.read(|c| dispatch!(c, pending_texts(limit)))
    }

    /// Puts the texts a background indexer computed for messages from
    /// [`Store::pending_texts`] into the full-text index, in one transaction; `None` (or a
    /// text that is not [`IndexText::indexable`]) marks the message as one the index cannot
    /// hold, so it is not offered again. Messages deleted or indexed meanwhile (by another
    /// instance) are skipped. Returns how many entered the index.
    pub fn index_texts(&self, texts: Vec<(MessageId, Option<IndexText>)>) -> Result<usize> {
        self.write(move |c| dispatch!(c, store_texts(&texts)))
    }

    /// The UIDs of the messages of `mailbox` whose `field` equals `value`, ascending (OBJECTID
    /// SEARCH EMAILID / THREADID), through an index.
    pub fn uids_with_id(
        &self,
        mailbox: MailboxId,
        field: IdField,
        value: &str,
    ) -> Result<Vec<u32>> {
        self.read(|c| dispatch!(c, uids_with_id(mailbox, field, value)))
    }

    /// What changed in `mailbox` after mod-sequence `after` (see [`MailboxChanges`]); `None`
    /// when the mailbox no longer exists. Changed flags and expunges are those with a
    /// mod-sequence in `after < m < until` (no upper bound without `until`); added messages are
    /// those with a UID of at least `uidnext`, whatever their mod-sequence. One consistent read.
    pub fn changes_since(
        &self,
        mailbox: MailboxId,
        after: u64,
        until: Option<u64>,
        uidnext: u32,
    ) -> Result<Option<MailboxChanges>> {
        self.read(|c| dispatch!(c, changes_since(mailbox, after, until, uidnext)))
    }

    /// The metadata of the messages of `uids` that were expunged from `mailbox` and whose
    /// message rows are not yet purged, ascending. An instance reads it for a message another
    /// instance expunged while a session here still shows it (it has no tombstone of it).
    pub fn expunged_messages(
        &self,
        mailbox: MailboxId,
        uids: &UidSet,
    ) -> Result<Vec<StoredMessage>> {
        self.read(|c| dispatch!(c, expunged_messages(mailbox, uids)))
    }

    /// The highest count of failed logins among `keys` (such as `ip:192.0.2.1` and
    /// `user:alice`) whose last failure was at or after `since` (Unix seconds); 0 when none.
    /// Kept in the database so that instances sharing it throttle logins together.
    pub fn login_failures(&self, keys: &[String], since: i64) -> Result<u32> {
        self.read(|c| dispatch!(c, login_failures(keys, since)))
    }

    /// Counts a failed login for each of `keys` at `now` (a count whose last failure is before
    /// `since` starts again at 1); returns the highest count after it.
    pub fn record_login_failure(&self, keys: &[String], now: i64, since: i64) -> Result<u32> {
        let keys = keys.to_vec();
        self.write(move |c| dispatch!(c, record_login_failure(&keys, now, since)))
    }

    /// Forgets the failed logins of `keys` (after a successful one).
    pub fn clear_login_failures(&self, keys: &[String]) -> Result<()> {
        let keys = keys.to_vec();
        self.write(move |c| dispatch!(c, clear_login_failures(&keys)))
    }

    /// Forgets failed logins older than `before` (Unix seconds); returns how many keys.
    pub fn prune_login_failures(&self, before: i64) -> Result<usize> {
        self.write(move |c| dispatch!(c, prune_login_failures(before)))
    }

    /// Stores the previews (RFC 8970, [`crate::MessageMeta::preview`]) a reader computed for
    /// messages stored without one (before the column existed), in one transaction: each only
    /// where the row still has none. Returns how many rows took one. The preview is not
    /// mailbox state: no mod-sequence moves.
    pub fn store_previews(&self, previews: Vec<(MessageId, String)>) -> Result<usize> {
        self.write(move |c| dispatch!(c, store_previews(&previews)))
    }

    /// The UIDs of the messages of `mailbox` whose `Date:` day was never stored (appended
    /// before the store kept it), ascending: [`ColumnRange::SentDay`] leaves them out, so a
    /// SEARCH tests them from the message itself.
    pub fn sent_day_unknown(&self, mailbox: MailboxId) -> Result<Vec<u32>> {
        self.read(|c| dispatch!(c, sent_day_unknown(mailbox)))
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn set_save_dates(&self, mailbox: MailboxId, when: Option<i64>) -> Result<usize> {
        self.write(move |c| dispatch!(c, set_save_dates(mailbox, when)))
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn forget_sent_days(&self, mailbox: MailboxId) -> Result<usize> {
        self.write(move |c| dispatch!(c, forget_sent_days(mailbox)))
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn forget_sort_keys(&self, mailbox: MailboxId) -> Result<usize> {
        self.write(move |c| dispatch!(c, forget_sort_keys(mailbox)))
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn forget_previews(&self, mailbox: MailboxId) -> Result<usize> {
        self.write(move |c| dispatch!(c, forget_previews(mailbox)))
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn forget_text_index(&self, mailbox: MailboxId) -> Result<usize> {
        self.write(move |c| dispatch!(c, forget_text_index(mailbox)))
    }

    /// A listener for the changes other processes commit to the database
    /// ([`ChangeListener`]): other instances on PostgreSQL (a `LISTEN` session, naming each
    /// mailbox); on SQLite, administration commands and imports that open the same file
    /// (noticed by the writer thread, mailboxes unknown). Never `None` today; `None` would mean
    /// that no other process can write.
    pub fn change_listener(&self) -> Result<Option<ChangeListener>> {
        match &*self.inner {
            Backend::Pg { url, .. } => Ok(Some(ChangeListener::connect(url)?)),
            Backend::Sqlite {
                foreign_commits, ..
            } => Ok(Some(ChangeListener::sqlite(foreign_commits.clone()))),
        }
    }

    // ---- running instances ----------------------------------------------------------------

    /// Registers a running server process, or records its heartbeat and session count when
    /// it is registered (an upsert keyed by [`Instance::id`]).
    pub fn record_instance(&self, instance: &Instance) -> Result<()> {
        let instance = instance.clone();
        self.write(move |c| dispatch!(c, record_instance(&instance)))
    }

    /// Removes a server process's registration (at its clean shutdown); whether it had one.
    pub fn remove_instance(&self, id: &str) -> Result<bool> {
        let id = id.to_owned();
        self.write(move |c| dispatch!(c, remove_instance(&id)))
    }

    /// Removes the registrations whose heartbeat is before `before` (Unix seconds): processes
    /// that died without removing theirs. Returns how many.
    pub fn prune_instances(&self, before: i64) -> Result<usize> {
        self.write(move |c| dispatch!(c, prune_instances(before)))
    }

    /// The server processes whose heartbeat is at or after `since` (Unix seconds), oldest
    /// first.
    pub fn instances(&self, since: i64) -> Result<Vec<Instance>> {
        self.read(|c| dispatch!(c, instances(since)))
    }

    /// Content metadata of the messages of `uids`, in UID order.
    pub fn fetch_messages(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<StoredMessage>> {
        self.read(|c| dispatch!(c, fetch_messages(mailbox, uids)))
    }

    /// What FETCH needs of the messages of `uids`, in UID order: like
    /// [`Store::fetch_messages`] but reading only the large columns `columns` names (the
    /// others come back empty) and none of SEARCH's and SORT's (subject, addresses, sort
    /// keys, thread links: `None`).
    pub fn fetch_for_fetch(
        &self,
        mailbox: MailboxId,
        uids: &UidSet,
        columns: FetchColumns,
    ) -> Result<Vec<StoredMessage>> {
        self.read(|c| dispatch!(c, fetch_for_fetch(mailbox, uids, columns)))
    }

    /// Size, dates and mod-sequence of the messages of `uids`, in UID order: one narrow read
    /// (no ENVELOPE/BODYSTRUCTURE bytes) for SEARCH's size and date keys.
    pub fn fetch_summaries(
        &self,
        mailbox: MailboxId,
        uids: &UidSet,
    ) -> Result<Vec<MessageSummary>> {
        self.read(|c| dispatch!(c, fetch_summaries(mailbox, uids)))
    }

    /// What SORT (RFC 5256) compares of the messages of `uids`, in UID order: size, dates and
    /// the text keys `columns` names, from narrow columns stored at ingest (never the
    /// message). Messages not in the mailbox are left out.
    pub fn sort_rows(
        &self,
        mailbox: MailboxId,
        uids: &UidSet,
        columns: SortColumns,
    ) -> Result<Vec<SortRow>> {
        self.read(|c| dispatch!(c, sort_rows(mailbox, uids, columns)))
    }

    /// What THREAD (RFC 5256) orders and links the messages of `uids` by, in UID order: dates,
    /// the decoded subject and [`crate::MessageMeta::thread_refs`] (with the content hash of a
    /// row stored before those were kept). Messages not in the mailbox are left out.
    pub fn thread_rows(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Vec<ThreadRow>> {
        self.read(|c| dispatch!(c, thread_rows(mailbox, uids)))
    }

    /// Changes the flags of the messages of `uids`. Only messages whose flags actually change
    /// get the new MODSEQ and are returned. Any number of UIDs in one call.
    pub fn store_flags(
        &self,
        mailbox: MailboxId,
        uids: &UidSet,
        op: FlagOp,
        flags: SystemFlags,
        keywords: &[String],
    ) -> Result<FlagChanges> {
        let (uids, keywords) = (uids.clone(), keywords.to_vec());
        self.write(move |c| dispatch!(c, store_flags(mailbox, &uids, op, flags, &keywords)))
    }

    /// [`Store::store_flags`] for callers that must act on writes in commit order without
    /// holding a lock while the write becomes durable: returns once the write is queued (see
    /// [`Store::queues_writes`]) and calls `done` after the commit, in commit order, with the
    /// changes and the mailbox's keyword dictionary (to name the keyword bits). On SQLite
    /// `done` runs on the writer thread: keep it short and never block in it.
    ///
    /// The edit may carry a CONDSTORE `UNCHANGEDSINCE` test ([`FlagEdit::unchanged_since`]):
    /// messages that fail it are not changed and come back in [`FlagChanges::modified`].
    pub fn store_flags_then(
        &self,
        mailbox: MailboxId,
        uids: &UidSet,
        edit: FlagEdit,
        done: impl FnOnce(Result<(FlagChanges, Vec<String>)>) + Send + 'static,
    ) -> Result<()> {
        let uids = uids.clone();
        self.write_then(
            move |c| dispatch!(c, store_flags_named(mailbox, &uids, &edit)),
            done,
        )
    }

    /// [`Store::append`] the way [`Store::store_flags_then`] is [`Store::store_flags`]: `done`
    /// gets the result after the commit, in commit order (so in UID order).
    pub fn append_then(
        &self,
        mailbox: MailboxId,
        messages: Vec<NewMessage>,
        done: impl FnOnce(Result<Appended>) + Send + 'static,
    ) -> Result<()> {
        self.write_then(move |c| dispatch!(c, append(mailbox, &messages)), done)
    }

    /// Copies the messages of `uids` to `dst` (the copies get `\Recent`). The message content
    /// is shared, not duplicated.
    pub fn copy(&self, src: MailboxId, uids: &UidSet, dst: MailboxId) -> Result<Copied> {
        let uids = uids.clone();
        self.write(move |c| dispatch!(c, copy(src, &uids, dst, false)))
            .map(|(copied, _)| copied)
    }

    /// Moves the messages of `uids` to `dst` atomically: a copy plus an expunge from `src`.
    pub fn move_messages(
        &self,
        src: MailboxId,
        uids: &UidSet,
        dst: MailboxId,
    ) -> Result<(Copied, Expunged)> {
        let uids = uids.clone();
        self.write(move |c| dispatch!(c, copy(src, &uids, dst, true)))
    }

    /// Expunges the messages of `uids` (whatever their flags), returning the expunged UIDs.
    pub fn expunge(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Expunged> {
        let uids = uids.clone();
        self.write(move |c| dispatch!(c, expunge(mailbox, &uids, false)))
    }

    /// [`Store::expunge`] the way [`Store::store_flags_then`] is [`Store::store_flags`]: `done`
    /// gets the result after the commit, in commit order.
    pub fn expunge_then(
        &self,
        mailbox: MailboxId,
        uids: &UidSet,
        done: impl FnOnce(Result<Expunged>) + Send + 'static,
    ) -> Result<()> {
        let uids = uids.clone();
        self.write_then(move |c| dispatch!(c, expunge(mailbox, &uids, false)), done)
    }

    /// Expunges the messages of `uids` that have `\Deleted` (EXPUNGE, UID EXPUNGE, CLOSE).
    pub fn expunge_deleted(&self, mailbox: MailboxId, uids: &UidSet) -> Result<Expunged> {
        let uids = uids.clone();
        self.write(move |c| dispatch!(c, expunge(mailbox, &uids, true)))
    }

    /// UIDs expunged with a MODSEQ above `modseq` (QRESYNC VANISHED), ascending; `None` when
    /// some of them may have been forgotten ([`Store::prune_expunged`] went past `modseq`):
    /// then only a comparison with the UIDs that exist can say what vanished.
    pub fn expunged_since(&self, mailbox: MailboxId, modseq: u64) -> Result<Option<Vec<u32>>> {
        self.read(|c| dispatch!(c, expunged_since(mailbox, modseq)))
    }

    /// The messages of `uids` whose MODSEQ is above `modseq`, ascending, with their flags
    /// (CONDSTORE `CHANGEDSINCE`, QRESYNC): read through an index on the mod-sequence, so it
    /// costs what changed, not the size of the mailbox.
    pub fn changed_since(
        &self,
        mailbox: MailboxId,
        uids: &UidSet,
        modseq: u64,
    ) -> Result<Vec<MessageFlags>> {
        self.read(|c| dispatch!(c, changed_since(mailbox, uids, modseq)))
    }

    /// Forgets expunged UIDs with a MODSEQ up to `up_to_modseq` (at most the mailbox's
    /// HIGHESTMODSEQ) and remembers that it did, so that [`Store::expunged_since`] never
    /// answers an incomplete list; returns how many were forgotten.
    pub fn prune_expunged(&self, mailbox: MailboxId, up_to_modseq: u64) -> Result<usize> {
        self.write(move |c| dispatch!(c, prune_expunged(mailbox, up_to_modseq)))
    }

    /// Forgets the expunged UIDs of every mailbox recorded more than `age` ago (QRESYNC's
    /// history, see [`Store::prune_expunged`]); returns how many.
    pub fn prune_expunged_older_than(&self, age: Duration) -> Result<usize> {
        let cutoff = now_secs().saturating_sub(age.as_secs().min(i64::MAX as u64) as i64);
        self.write(move |c| dispatch!(c, prune_expunged_before(cutoff)))
    }

    /// Deletes message rows that no mailbox holds any more; returns how many. Call it only
    /// when no session can still refer to an expunged message (e.g. at startup); afterwards
    /// blob collection can reclaim their bodies.
    pub fn purge_orphan_messages(&self) -> Result<usize> {
        self.purge_orphan_messages_except(&[])
    }

    /// [`Store::purge_orphan_messages`], sparing the rows in `keep`: messages expunged that
    /// some session may still FETCH (deferred deletion), whose bodies must stay readable
    /// until it has been told.
    pub fn purge_orphan_messages_except(&self, keep: &[MessageId]) -> Result<usize> {
        let keep = keep.to_vec();
        self.write(move |c| dispatch!(c, purge_orphan_messages(&keep)))
    }

    /// Which of `hashes` a committed message row references.
    pub fn referenced_hashes(&self, hashes: &[String]) -> Result<Vec<String>> {
        self.read(|c| dispatch!(c, referenced_hashes(hashes)))
    }

    /// Stores `(hash, body)` pairs durably in one commit.
    pub(crate) fn blob_put(&self, bodies: Vec<(String, Vec<u8>)>) -> Result<()> {
        self.write(move |c| dispatch!(c, blob_put(&bodies, now_secs())))
    }

    pub(crate) fn blob_get(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c| dispatch!(c, blob_get(hash)))
    }

    pub(crate) fn blob_get_range(
        &self,
        hash: &str,
        start: i32,
        len: i32,
    ) -> Result<Option<Vec<u8>>> {
        self.read(|c| dispatch!(c, blob_get_range(hash, start, len)))
    }

    pub(crate) fn blob_collect(&self, cutoff: i64) -> Result<usize> {
        self.write(move |c| dispatch!(c, blob_collect(cutoff)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_writes_lost_before_commit_are_retried() {
        let lost = || {
            StoreError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                Box::new("server closed the connection unexpectedly".to_owned()),
            ))
        };
        assert!(lost().is_connection_lost());
        assert!(
            retry_write(false, &lost()),
            "lost under a statement: nothing committed"
        );
        assert!(
            !retry_write(true, &lost()),
            "lost at COMMIT: it may have committed"
        );
        let other = StoreError::UnknownMailbox("x".into());
        assert!(!retry_write(false, &other), "only lost connections");
    }

    #[test]
    fn a_panicking_write_rolls_back_its_batch_and_the_writer_survives() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("t.db"), &StoreOptions::default()).unwrap();
        let r: Result<()> = store.write(|c| {
            dispatch!(c, create_user("ghost", "h", 0))?;
            panic!("injected");
        });
        assert!(matches!(r, Err(StoreError::WriterGone)));
        assert_eq!(store.user_by_name("ghost").unwrap(), None);
        let u = store.create_user("alive", "h").unwrap();
        assert_eq!(store.user_by_name("alive").unwrap().map(|x| x.0), Some(u));
    }
}
