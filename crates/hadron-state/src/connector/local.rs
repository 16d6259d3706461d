//! [`LocalConnector`]: the backend is Hadron's own database.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hadron_store::Store;

use super::auth_cache::AuthCache;
use super::{BackendId, Connector, ConnectorError, FlagMode, OutgoingMessage, verify_password};
use crate::flags::FlagSet;

/// The connector of the `hadron` server: users and their argon2 password
/// hashes live in the store, and there is no other backend to tell about
/// mutations — the engine's own store write *is* the backend write. Its
/// mutation methods therefore only accept, and its [`BackendId`]s are the
/// Hadron names (`mailbox`) and `mailbox/uid`-free placeholders are never
/// invented: message ids are returned empty, as the store assigns UIDs.
///
/// Successful logins are remembered for [`LocalConnector::DEFAULT_AUTH_CACHE_TTL`]
/// (see [`AuthCache`]; [`LocalConnector::with_auth_cache_ttl`] changes it,
/// zero turns it off).
#[derive(Debug, Clone)]
pub struct LocalConnector {
    store: Store,
    auth_cache: Arc<AuthCache>,
}

impl LocalConnector {
    /// How long a successful password verification is remembered by
    /// default: five minutes, as Dovecot's `auth_cache_ttl` suggests.
    pub const DEFAULT_AUTH_CACHE_TTL: Duration = Duration::from_secs(300);

    /// A connector over `store`, with the default auth cache.
    pub fn new(store: Store) -> LocalConnector {
        LocalConnector::with_auth_cache_ttl(store, Self::DEFAULT_AUTH_CACHE_TTL)
    }

    /// A connector over `store` whose auth cache keeps a verification for
    /// `ttl` (`Duration::ZERO`: every login runs Argon2).
    pub fn with_auth_cache_ttl(store: Store, ttl: Duration) -> LocalConnector {
        LocalConnector {
            store,
            auth_cache: Arc::new(AuthCache::new(ttl)),
        }
    }

    /// The auth cache (for statistics and tests).
    pub fn auth_cache(&self) -> &AuthCache {
        &self.auth_cache
    }
}

#[async_trait]
impl Connector for LocalConnector {
    async fn authenticate(&self, username: &str, password: &str) -> Result<(), ConnectorError> {
        let (store, cache) = (self.store.clone(), self.auth_cache.clone());
        let (name, password) = (username.to_owned(), password.to_owned());
        // Both the lookup and Argon2 (deliberately slow) block. The row is
        // read on every login, so a changed or deleted user is never let
        // in from the cache.
        let ok = tokio::task::spawn_blocking(move || {
            let user = store
                .user_by_name(&name)
                .map_err(|e| ConnectorError::Unavailable(e.to_string()))?;
            let Some((_, phc)) = user else {
                return Ok(false);
            };
            if cache.check(&name, &phc, &password) {
                return Ok(true);
            }
            let ok = verify_password(&phc, &password);
            if ok {
                cache.remember(&name, &phc, &password);
            }
            Ok::<bool, ConnectorError>(ok)
        })
        .await
        .map_err(|e| ConnectorError::Unavailable(e.to_string()))??;
        if ok {
            Ok(())
        } else {
            Err(ConnectorError::AuthenticationFailed)
        }
    }

    async fn create_mailbox(&self, _user: &str, name: &str) -> Result<BackendId, ConnectorError> {
        Ok(BackendId(name.to_owned()))
    }

    async fn rename_mailbox(
        &self,
        _user: &str,
        _from: &str,
        _to: &str,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn delete_mailbox(&self, _user: &str, _name: &str) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn create_messages(
        &self,
        _user: &str,
        _mailbox: &str,
        _messages: &[OutgoingMessage<'_>],
    ) -> Result<Vec<BackendId>, ConnectorError> {
        Ok(Vec::new())
    }

    async fn add_messages(
        &self,
        _user: &str,
        _from: &str,
        _uids: &[u32],
        _to: &str,
    ) -> Result<Vec<BackendId>, ConnectorError> {
        Ok(Vec::new())
    }

    async fn remove_messages(
        &self,
        _user: &str,
        _mailbox: &str,
        _uids: &[u32],
    ) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn move_messages(
        &self,
        _user: &str,
        _from: &str,
        _uids: &[u32],
        _to: &str,
    ) -> Result<Vec<BackendId>, ConnectorError> {
        Ok(Vec::new())
    }

    async fn set_flags(
        &self,
        _user: &str,
        _mailbox: &str,
        _uids: &[u32],
        _mode: FlagMode,
        _flags: &FlagSet,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }
}
