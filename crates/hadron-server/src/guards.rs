//! Per-key connection counters (connections per IP address, sessions per
//! user) and failed-login throttling.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    /// Go ahead (after waiting this long if it fails).
    Allow,
    /// Refuse without checking the password, for about this long.
    Refuse(Duration),
}

/// Failed-login throttling per IP address and per user name: after
/// `free` failures each further failure is answered only after a delay
/// that doubles (from `delay`, at most 16 times it); after `lockout`
/// failures attempts are refused outright until `window` has passed since
/// the last failure. A success clears the user's and the address's count.
#[derive(Debug)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
    free: u32,
    lockout: u32,
    delay: Duration,
    window: Duration,
}

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;

impl LoginThrottle {
    pub(crate) fn new(free: u32, lockout: u32, delay: Duration, window: Duration) -> Self {
        LoginThrottle {
            failures: Mutex::new(HashMap::new()),
            free,
            lockout: lockout.max(1),
            delay,
            window,
        }
    }

    fn count(&self, map: &HashMap<Key, Failures>, key: &Key, now: Instant) -> u32 {
        map.get(key)
            .filter(|f| now.duration_since(f.last) < self.window)
            .map_or(0, |f| f.count)
    }

    /// Whether an attempt for `user` from `ip` may be checked now.
    pub(crate) fn check(&self, ip: IpAddr, user: &str) -> Verdict {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let n = self.count(&map, &Key::Ip(ip), now).max(self.count(
            &map,
            &Key::User(user.to_owned()),
            now,
        ));
        if n >= self.lockout {
            Verdict::Refuse(self.window)
        } else {
            Verdict::Allow
        }
    }

    /// Records a failure; returns how long to wait before answering.
    pub(crate) fn failed(&self, ip: IpAddr, user: &str) -> Duration {
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
        if worst <= self.free {
            return Duration::ZERO;
        }
        let doublings = (worst - self.free - 1).min(4);
        self.delay * (1 << doublings)
    }

    /// Records a success: the address and the user start afresh.
    pub(crate) fn succeeded(&self, ip: IpAddr, user: &str) {
        let mut map = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(&Key::Ip(ip));
        map.remove(&Key::User(user.to_owned()));
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

    #[test]
    fn failures_delay_progressively_then_lock_out() {
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t = LoginThrottle::new(2, 5, Duration::from_millis(100), Duration::from_secs(60));
        let delays: Vec<u128> = (0..5).map(|_| t.failed(ip, "alice").as_millis()).collect();
        assert_eq!(delays, [0, 0, 100, 200, 400]);
        assert_eq!(
            t.check(ip, "alice"),
            Verdict::Refuse(Duration::from_secs(60))
        );
        // Another address is locked out of that user too, and the address
        // out of every user.
        assert_ne!(t.check([10, 0, 0, 2].into(), "alice"), Verdict::Allow);
        assert_ne!(t.check(ip, "bob"), Verdict::Allow);
        assert_eq!(t.check([10, 0, 0, 2].into(), "bob"), Verdict::Allow);
        t.succeeded(ip, "alice");
        assert_eq!(t.check(ip, "alice"), Verdict::Allow);
    }

    #[test]
    fn failures_expire_after_the_window() {
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t = LoginThrottle::new(0, 1, Duration::ZERO, Duration::ZERO);
        t.failed(ip, "alice");
        assert_eq!(t.check(ip, "alice"), Verdict::Allow);
    }
}
