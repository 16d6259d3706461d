//! Per-key connection counters (connections per IP address, sessions per
//! user) and failed-login throttling — per process, or on a database other
//! instances share, per cluster.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hadron_store::Store;
use tracing::warn;

/// Counts holders per key, refusing more than `max` for one key.
#[derive(Debug)]
pub(crate) struct Counter<K: Hash + Eq + Clone> {
    counts: Mutex<HashMap<K, usize>>,
    max: usize,
}

impl<K: Hash + Eq + Clone> Counter<K> {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Counter {
            counts: Mutex::new(HashMap::new()),
            max,
        })
    }

    /// How many slots are held, over every key.
    pub(crate) fn total(&self) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .sum()
    }

    /// A slot for `key`, or `None` if `key` already holds `max`.
    pub(crate) fn try_acquire(self: &Arc<Self>, key: K) -> Option<CountGuard<K>> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let n = counts.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(CountGuard {
            counter: self.clone(),
            key,
        })
    }
}

/// One slot of a [`Counter`], released on drop.
#[derive(Debug)]
pub(crate) struct CountGuard<K: Hash + Eq + Clone> {
    counter: Arc<Counter<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Drop for CountGuard<K> {
    fn drop(&mut self) {
        let mut counts = self
            .counter
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// Whom a failed login is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    User(String),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// What the throttle decides for a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Go ahead; this many failures are counted against the attempt (a
    /// success clears them).
    Allow {
        /// The failures counted so far.
        failures: u32,
    },
    /// Refuse without checking the password, for about this long.
    Refuse(Duration),
}

/// Failed-login throttling per IP address and per user name: after
/// `free` failures each further failure is answered only after a delay
/// that doubles (from `delay`, at most 16 times it); after `lockout`
/// failures attempts are refused outright until `window` has passed since
/// the last failure. A success clears the user's and the address's count.
///
/// The counts live in memory, or with [`LoginThrottle::shared`] in a
/// database that other instances share, so that an attacker spread over
/// the instances of a cluster meets one limit.
#[derive(Debug)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
    /// The database keeping the counts for every instance, if any.
    shared: Option<Store>,
    /// Failures recorded in `shared`, to prune expired counts now and then.
    recorded: AtomicU64,
    free: u32,
    lockout: u32,
    delay: Duration,
    window: Duration,
}

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;
/// Failures recorded in a shared database between two prunings of the
/// expired counts.
const PRUNE_EVERY: u64 = 256;

/// The keys of an attempt in a shared database.
fn shared_keys(ip: IpAddr, user: &str) -> Vec<String> {
    vec![format!("ip:{ip}"), format!("user:{user}")]
}

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl LoginThrottle {
    pub(crate) fn new(free: u32, lockout: u32, delay: Duration, window: Duration) -> Self {
        LoginThrottle {
            failures: Mutex::new(HashMap::new()),
            shared: None,
            recorded: AtomicU64::new(0),
            free,
            lockout: lockout.max(1),
            delay,
            window,
        }
    }

    /// Keeps the counts in `store`, shared with the other instances on it.
    pub(crate) fn shared(mut self, store: Store) -> Self {
        self.shared = Some(store);
        self
    }

    /// The start of the window, in Unix seconds, for the shared counts.
    fn since(&self, now: i64) -> i64 {
        now.saturating_sub(i64::try_from(self.window.as_secs()).unwrap_or(i64::MAX))
    }

    /// Runs `f` on the shared store on the blocking pool.
    async fn on_store<T: Send + 'static>(
        store: &Store,
        f: impl FnOnce(&Store) -> hadron_store::Result<T> + Send + 'static,
    ) -> Option<T> {
        let store = store.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                warn!(error = %e, "failed-login counts: database error; counting in this instance");
                None
            }
            Err(_) => None,
        }
    }

    fn count(&self, map: &HashMap<Key, Failures>, key: &Key, now: Instant) -> u32 {
        map.get(key)
            .filter(|f| now.duration_since(f.last) < self.window)
            .map_or(0, |f| f.count)
    }

    /// Whether an attempt for `user` from `ip` may be checked now.
    pub(crate) async fn check(&self, ip: IpAddr, user: &str) -> Verdict {
        let mut n = self.local_count(ip, user);
        if let Some(store) = &self.shared {
            let (keys, since) = (shared_keys(ip, user), self.since(unix_now()));
            let shared = Self::on_store(store, move |s| s.login_failures(&keys, since)).await;
            n = n.max(shared.unwrap_or(0));
        }
        if n >= self.lockout {
            Verdict::Refuse(self.window)
        } else {
            Verdict::Allow { failures: n }
        }
    }

    /// This instance's count for `user` from `ip`.
    fn local_count(&self, ip: IpAddr, user: &str) -> u32 {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        self.count(&map, &Key::Ip(ip), now)
            .max(self.count(&map, &Key::User(user.to_owned()), now))
    }

    /// Records a failure; returns how long to wait before answering.
    pub(crate) async fn failed(&self, ip: IpAddr, user: &str) -> Duration {
        let mut worst = self.record_local(ip, user);
        if let Some(store) = &self.shared {
            let now = unix_now();
            let (keys, since) = (shared_keys(ip, user), self.since(now));
            let prune = self
                .recorded
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(PRUNE_EVERY);
            let recorded = Self::on_store(store, move |s| {
                let n = s.record_login_failure(&keys, now, since)?;
                if prune {
                    s.prune_login_failures(since)?;
                }
                Ok(n)
            })
            .await;
            worst = worst.max(recorded.unwrap_or(0));
        }
        if worst <= self.free {
            return Duration::ZERO;
        }
        let doublings = (worst - self.free - 1).min(4);
        self.delay * (1 << doublings)
    }

    /// Records a failure in this instance's counts; returns the highest.
    fn record_local(&self, ip: IpAddr, user: &str) -> u32 {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= SWEEP_AT {
            let window = self.window;
            map.retain(|_, f| now.duration_since(f.last) < window);
        }
        let mut worst = 0;
        for key in [Key::Ip(ip), Key::User(user.to_owned())] {
            let n = self.count(&map, &key, now) + 1;
            map.insert(
                key,
                Failures {
                    count: n,
                    last: now,
                },
            );
            worst = worst.max(n);
        }
        worst
    }

    /// Records a success: the address and the user start afresh (in the
    /// shared database only when `had_failures`, the attempt's check having
    /// found some, so that a normal login writes nothing).
    pub(crate) async fn succeeded(&self, ip: IpAddr, user: &str, had_failures: bool) {
        {
            let mut map = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            map.remove(&Key::Ip(ip));
            map.remove(&Key::User(user.to_owned()));
        }
        if let Some(store) = self.shared.as_ref().filter(|_| had_failures) {
            let keys = shared_keys(ip, user);
            Self::on_store(store, move |s| s.clear_login_failures(&keys)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_refuse_over_the_limit_and_release_on_drop() {
        let c = Counter::new(2);
        let a = c.try_acquire("x").unwrap();
        let _b = c.try_acquire("x").unwrap();
        assert!(c.try_acquire("x").is_none());
        assert!(c.try_acquire("y").is_some());
        drop(a);
        assert!(c.try_acquire("x").is_some());
    }

    const FRESH: Verdict = Verdict::Allow { failures: 0 };

    #[tokio::test]
    async fn failures_delay_progressively_then_lock_out() {
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t = LoginThrottle::new(2, 5, Duration::from_millis(100), Duration::from_secs(60));
        let mut delays = Vec::new();
        for _ in 0..5 {
            delays.push(t.failed(ip, "alice").await.as_millis());
        }
        assert_eq!(delays, [0, 0, 100, 200, 400]);
        assert_eq!(
            t.check(ip, "alice").await,
            Verdict::Refuse(Duration::from_secs(60))
        );
        // Another address is locked out of that user too, and the address
        // out of every user.
        assert!(matches!(
            t.check([10, 0, 0, 2].into(), "alice").await,
            Verdict::Refuse(_)
        ));
        assert!(matches!(t.check(ip, "bob").await, Verdict::Refuse(_)));
        assert_eq!(t.check([10, 0, 0, 2].into(), "bob").await, FRESH);
        t.succeeded(ip, "alice", true).await;
        assert_eq!(t.check(ip, "alice").await, FRESH);
    }

    #[tokio::test]
    async fn failures_expire_after_the_window() {
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t = LoginThrottle::new(0, 1, Duration::ZERO, Duration::ZERO);
        t.failed(ip, "alice").await;
        assert_eq!(t.check(ip, "alice").await, FRESH);
    }
}
