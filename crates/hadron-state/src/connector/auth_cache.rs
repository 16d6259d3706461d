//! A cache of successful password verifications (what Dovecot calls the
//! auth cache): a client that reconnects every minute costs a keyed hash
//! and one row read, not an Argon2 run (~15 ms of CPU and 19 MiB).
//!
//! An entry remembers, per user, the stored PHC string the password was
//! verified against and a keyed SHA-256 of the password under a secret
//! drawn at random for this process. A hit needs the same password, the
//! same stored hash *now* (the caller reads the user's row on every login)
//! and an entry younger than the time to live. So `hadron user passwd` and
//! `hadron user del` invalidate it at once — from another process or
//! another instance on the same database too — because they change or
//! remove the row it is compared with. Failed logins are never cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// Most users remembered at once; past it, expired entries are dropped
/// and, if none were, nothing new is remembered until some expire.
const MAX_ENTRIES: usize = 100_000;

/// Successful verifications, for a bounded time. See the module docs.
#[derive(Debug)]
pub struct AuthCache {
    ttl: Duration,
    secret: [u8; 32],
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    /// The stored hash the password was verified against.
    phc: String,
    /// Keyed hash of the password.
    mac: [u8; 32],
    verified_at: Instant,
}

impl AuthCache {
    /// A cache whose entries live `ttl`; `Duration::ZERO` disables it.
    pub fn new(ttl: Duration) -> AuthCache {
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        AuthCache {
            ttl,
            secret,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the cache is on.
    pub fn is_enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// Whether `password` was verified for `user` against the stored hash
    /// `phc` less than the time to live ago.
    pub fn check(&self, user: &str, phc: &str, password: &str) -> bool {
        if !self.is_enabled() {
            return false;
        }
        let mac = self.mac(user, phc, password);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(user).is_some_and(|e| {
            e.verified_at.elapsed() < self.ttl && e.phc == phc && constant_time_eq(&e.mac, &mac)
        })
    }

    /// Remembers that `password` matched `phc` for `user`.
    pub fn remember(&self, user: &str, phc: &str, password: &str) {
        if !self.is_enabled() {
            return;
        }
        let entry = Entry {
            phc: phc.to_owned(),
            mac: self.mac(user, phc, password),
            verified_at: Instant::now(),
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(user) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.verified_at.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        entries.insert(user.to_owned(), entry);
    }

    /// Forgets `user` (after a password change or deletion made through
    /// this process; other processes are covered by the stored hash).
    pub fn forget(&self, user: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(user);
    }

    /// Number of users remembered (expired ones included until evicted).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nobody is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// SHA-256 over the secret and each field with its length, so no two
    /// different (user, hash, password) triples share an input.
    fn mac(&self, user: &str, phc: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.secret);
        for field in [user, phc, password] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        h.finalize().into()
    }
}

/// Equality that takes the same time wherever the first difference is.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_needs_the_same_password_hash_and_user() {
        let c = AuthCache::new(Duration::from_secs(60));
        assert!(!c.check("alice", "$phc1", "pw"));
        c.remember("alice", "$phc1", "pw");
        assert!(c.check("alice", "$phc1", "pw"));
        assert!(!c.check("alice", "$phc1", "pW"), "another password");
        assert!(!c.check("alice", "$phc2", "pw"), "the stored hash changed");
        assert!(!c.check("bob", "$phc1", "pw"), "another user");
        c.forget("alice");
        assert!(!c.check("alice", "$phc1", "pw"));
    }

    #[test]
    fn entries_expire_and_zero_disables() {
        let c = AuthCache::new(Duration::from_millis(30));
        c.remember("alice", "$phc", "pw");
        assert!(c.check("alice", "$phc", "pw"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!c.check("alice", "$phc", "pw"));

        let off = AuthCache::new(Duration::ZERO);
        off.remember("alice", "$phc", "pw");
        assert!(!off.check("alice", "$phc", "pw"));
        assert!(off.is_empty());
    }

    #[test]
    fn secrets_differ_per_cache() {
        let (a, b) = (
            AuthCache::new(Duration::from_secs(1)),
            AuthCache::new(Duration::from_secs(1)),
        );
        assert_ne!(a.mac("u", "h", "p"), b.mac("u", "h", "p"));
        assert_ne!(
            a.mac("u", "hp", ""),
            a.mac("u", "h", "p"),
            "fields are delimited"
        );
    }
}
