//! Background upkeep: garbage collection of what no mailbox holds any more
//! ([`hadron_state::engine::Engine::collect_garbage`]) at startup and then
//! periodically, as `[gc]` in the configuration says; tending the
//! closed mailboxes' indexes ([`Engine::tend_index_cache`]) every 30 s;
//! and the server's registration on the database ([`Registration`]) with
//! its heartbeat and session count every [`HEARTBEAT_INTERVAL`], which
//! `hadron stats` reads.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hadron_state::engine::Engine;
use hadron_store::{Instance, Store, StoreError};
use tokio::task::JoinHandle;

use crate::config::GcConfig;
use crate::listener::SessionCount;

/// Starts collecting garbage now and every `config.interval_secs`; `None`
/// when collection is turned off. Abort the handle to stop it.
pub fn spawn_gc(engine: Arc<Engine>, config: GcConfig) -> Option<JoinHandle<()>> {
    if config.interval_secs == 0 {
        return None;
    }
    let interval = Duration::from_secs(config.interval_secs);
    let grace = Duration::from_secs(config.blob_grace_secs);
    let history = config.expunged_history();
    Some(tokio::spawn(collect_every(
        engine, interval, grace, history,
    )))
}

/// How often the closed mailboxes' indexes are caught up and trimmed.
pub const INDEX_CACHE_TEND_INTERVAL: Duration = Duration::from_secs(30);

/// Tends the index cache every `interval` (see [`Engine::tend_index_cache`]).
/// Abort the handle to stop it.
pub fn spawn_index_cache_tending(engine: Arc<Engine>, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let engine = engine.clone();
            // Catching up copies no rows but may apply many updates.
            if let Err(e) = tokio::task::spawn_blocking(move || engine.tend_index_cache()).await {
                tracing::warn!(error = %e, "tending the index cache failed");
            }
        }
    })
}

/// Messages the full-text indexer takes per batch (one store transaction).
pub const TEXT_INDEX_BATCH: usize = 50;

/// How long the full-text indexer waits when nothing is left to index.
pub const TEXT_INDEX_IDLE: Duration = Duration::from_secs(2);

/// Fills the full-text index of SEARCH BODY and TEXT in the background
/// ([`Engine::index_pending_texts`]): batches of `batch` messages, back to
/// back while nothing else is appended; while mail comes in
/// ([`Engine::appended`] moved during the batch), each batch is followed by
/// a pause three times as long as it took, so the job then takes at most a
/// quarter of a core and of the store's writer from ingest. `idle` between
/// polls when nothing waits. A failed batch is logged and retried after
/// `idle`. Abort the handle to stop it.
pub fn spawn_text_indexer(engine: Arc<Engine>, batch: usize, idle: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let started = tokio::time::Instant::now();
            let appended = engine.appended();
            match engine.index_pending_texts(batch).await {
                Ok(0) => tokio::time::sleep(idle).await,
                Ok(n) => {
                    tracing::debug!(messages = n, "indexed message text");
                    if engine.appended() != appended {
                        tokio::time::sleep(started.elapsed() * 3).await;
                    } else {
                        tokio::task::yield_now().await;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "indexing message text failed");
                    tokio::time::sleep(idle).await;
                }
            }
        }
    })
}

/// How often a running server reports its heartbeat and session count.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

/// A registration whose heartbeat is older than this belongs to a server
/// that is no longer running (three missed heartbeats).
pub const HEARTBEAT_STALE: Duration = Duration::from_secs(3 * HEARTBEAT_INTERVAL.as_secs());

/// Registrations older than this are removed when a server starts: a
/// process that died without removing its own.
const PRUNE_AFTER: Duration = Duration::from_secs(3600);

/// A running server's row in the store's `instances` table: registered at
/// start ([`Registration::register`]), refreshed by
/// [`Registration::spawn_heartbeat`], removed at a clean shutdown
/// ([`Registration::remove`]).
#[derive(Debug, Clone)]
pub struct Registration {
    store: Store,
    instance: Instance,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// This machine's host name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`,
/// else `localhost`).
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

impl Registration {
    /// Registers this process (id `host:pid:start`) and removes the rows
    /// of processes whose heartbeat stopped long ago.
    pub async fn register(store: Store) -> Result<Registration, StoreError> {
        let started = now_secs();
        let host = host_name();
        let pid = std::process::id();
        let instance = Instance {
            id: format!("{host}:{pid}:{started}"),
            host,
            pid,
            started,
            heartbeat: started,
            sessions: 0,
        };
        let registration = Registration { store, instance };
        let r = registration.clone();
        tokio::task::spawn_blocking(move || {
            let cutoff = started.saturating_sub(PRUNE_AFTER.as_secs() as i64);
            r.store.prune_instances(cutoff)?;
            r.store.record_instance(&r.instance)
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))??;
        Ok(registration)
    }

    /// This process's registration as first recorded.
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// Records the heartbeat and `sessions`' count every `interval`. A
    /// failed report is logged and made again at the next tick. Abort the
    /// handle to stop it.
    pub fn spawn_heartbeat(&self, sessions: SessionCount, interval: Duration) -> JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let mut report = this.instance.clone();
                report.heartbeat = now_secs();
                report.sessions = sessions.logged_in() as u64;
                let store = this.store.clone();
                match tokio::task::spawn_blocking(move || store.record_instance(&report)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "recording the heartbeat failed"),
                    Err(e) => tracing::warn!(error = %e, "recording the heartbeat failed"),
                }
            }
        })
    }

    /// Removes this process's registration (at a clean shutdown).
    pub async fn remove(self) -> Result<(), StoreError> {
        tokio::task::spawn_blocking(move || self.store.remove_instance(&self.instance.id))
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
            .map(drop)
    }
}

/// Collects (and forgets expunged UIDs older than `history`), then waits
/// `interval`, forever. A failed run is logged and retried at the next one.
async fn collect_every(
    engine: Arc<Engine>,
    interval: Duration,
    grace: Duration,
    history: Option<Duration>,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Some(age) = history {
            let store = engine.store().clone();
            match tokio::task::spawn_blocking(move || store.prune_expunged_older_than(age)).await {
                Ok(Ok(n)) if n > 0 => tracing::info!(uids = n, "expunged UIDs forgotten"),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "forgetting old expunged UIDs failed"),
                Err(e) => tracing::warn!(error = %e, "forgetting old expunged UIDs failed"),
            }
        }
        match engine.collect_garbage(grace).await {
            Ok(c) if c.messages > 0 || c.blobs > 0 => {
                tracing::info!(messages = c.messages, blobs = c.blobs, "garbage collected");
            }
            Ok(_) => tracing::debug!("garbage collection: nothing to remove"),
            Err(e) => tracing::warn!(error = %e, "garbage collection failed; retrying later"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::open_engine;
    use crate::config::Config;

    /// An engine on SQLite in `dir`, as `hadron serve` opens it.
    async fn engine_in(dir: &tempfile::TempDir) -> Arc<Engine> {
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        tokio::task::spawn_blocking(move || open_engine(&config))
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_text_indexer_indexes_what_is_appended() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_in(&dir).await;
        let store = engine.store().clone();
        let account = engine.create_user("u", "password").await.unwrap();
        let request = hadron_state::engine::AppendRequest {
            raw: b"Subject: s\r\n\r\nfind these Words\r\n".to_vec(),
            flags: Default::default(),
            internal_date: 1_700_000_000,
            uid: None,
        };
        engine
            .append(&account, "INBOX", vec![request], None)
            .await
            .unwrap();
        let inbox = engine.mailbox(account.id, "INBOX").await.unwrap().id;
        assert_eq!(
            store.pending_texts(10).unwrap().len(),
            1,
            "APPEND leaves it waiting"
        );
        let task = spawn_text_indexer(engine.clone(), 1, Duration::from_millis(20));
        let mut hits = None;
        for _ in 0..100 {
            let got = store
                .text_hits(inbox, hadron_store::TextScope::Body, "these words")
                .unwrap()
                .unwrap();
            if !got.found.is_empty() {
                hits = Some(got);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        task.abort();
        let hits = hits.expect("indexed within 5 s");
        assert_eq!((hits.found, hits.unindexed), (vec![1], vec![]));
    }

    #[tokio::test]
    async fn runs_at_startup_and_again_each_interval() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_in(&dir).await;
        let store = engine.store().clone();
        let user = store.create_user("u", "h").unwrap();
        let orphan = |name: &str| {
            let mb = store.create_mailbox(user, name, None).unwrap().id;
            let msg = hadron_store::NewMessage {
                meta: hadron_store::MessageMeta {
                    content_hash: name.to_owned(),
                    ..Default::default()
                },
                ..Default::default()
            };
            store.append(mb, vec![msg]).unwrap();
            store.delete_mailbox(user, name).unwrap();
        };
        orphan("First");
        // Expunged UIDs older than 0 s are forgotten at once.
        let mb = store.create_mailbox(user, "Kept", None).unwrap().id;
        store
            .append(mb, vec![hadron_store::NewMessage::default()])
            .unwrap();
        store.expunge(mb, &hadron_store::UidSet::all()).unwrap();
        std::thread::sleep(Duration::from_millis(1_100));
        let task = tokio::spawn(collect_every(
            engine.clone(),
            Duration::from_millis(100),
            Duration::ZERO,
            Some(Duration::ZERO),
        ));
        let gone = |store: &hadron_store::Store| {
            store
                .referenced_hashes(&["First".into(), "Second".into()])
                .unwrap()
        };
        // At startup...
        for _ in 0..50 {
            if gone(&store).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone(&store).is_empty(), "not collected at startup");
        let top = store.mailbox_status(mb).unwrap().highest_modseq;
        assert_eq!(
            store.expunged_since(mb, top - 1).unwrap(),
            None,
            "history kept"
        );
        // ...and at a later tick.
        orphan("Second");
        assert_eq!(gone(&store), ["Second"]);
        for _ in 0..50 {
            if gone(&store).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone(&store).is_empty(), "not collected periodically");
        task.abort();
    }

    #[test]
    fn zero_interval_turns_it_off() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let engine = open_engine(&config).unwrap();
        let off = GcConfig {
            interval_secs: 0,
            ..GcConfig::default()
        };
        assert!(spawn_gc(engine, off).is_none());
    }
}
