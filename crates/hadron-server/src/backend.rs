//! Opening the store, the blob store and the engine the configuration names.

use std::sync::Arc;

use hadron_state::connector::LocalConnector;
use hadron_state::engine::Engine;
use hadron_store::{
    BackendKind, BlobStore, DbBlobStore, PackBlobStore, SqliteSync, Store, StoreOptions,
};

use crate::config::{Config, SqliteSyncMode};

/// Why the storage could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database or blob store refused to open.
    #[error("cannot open storage at {url}: {source}")]
    Store {
        /// The database URL (PostgreSQL passwords are not shown).
        url: String,
        /// The store's error.
        source: hadron_store::StoreError,
    },
}

/// A URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.split_once('@')
        && let Some((user, _)) = creds.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

/// Opens the store and blob store of `config` (SQLite with message files
/// under `data_dir`, or PostgreSQL with bodies in the database) and builds
/// the engine with the local connector. Blocks: call it before starting
/// the runtime's work, or from `spawn_blocking`.
pub fn open_engine(config: &Config) -> Result<Arc<Engine>, OpenError> {
    open_engine_with(config, true)
}

/// [`open_engine`] for a short-lived administration command: the store's
/// pools open connections only when asked (see
/// [`StoreOptions::keep_idle`]), so none is being opened when it exits.
pub fn open_command_engine(config: &Config) -> Result<Arc<Engine>, OpenError> {
    open_engine_with(config, false)
}

fn open_engine_with(config: &Config, keep_idle: bool) -> Result<Arc<Engine>, OpenError> {
    let url = config.database_url();
    let store_err = |source| OpenError::Store {
        url: redact_url(&url),
        source,
    };
    let sqlite = !url.starts_with("postgres");
    if sqlite {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| OpenError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
    }
    let options = StoreOptions {
        sqlite_sync: match config.sqlite_sync {
            SqliteSyncMode::Full => SqliteSync::Full,
            SqliteSyncMode::Normal => SqliteSync::Normal,
        },
        keep_idle,
        ..StoreOptions::default()
    };
    let store = Store::open(&url, &options).map_err(store_err)?;
    let blobs: Arc<dyn BlobStore> = match store.backend() {
        BackendKind::Sqlite => {
            Arc::new(PackBlobStore::open(config.data_dir.join("blobs")).map_err(store_err)?)
        }
        BackendKind::Postgres => Arc::new(DbBlobStore::new(store.clone())),
    };
    let connector = Arc::new(LocalConnector::with_auth_cache_ttl(
        store.clone(),
        std::time::Duration::from_secs(config.auth.cache_ttl_secs),
    ));
    Ok(Engine::with_index_cache(
        connector,
        store,
        blobs,
        config.limits.session_queue,
        config.index_cache.engine_config(),
    ))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact_url("postgres://bob:secret@db:5432/mail"),
            "postgres://bob:***@db:5432/mail"
        );
        assert_eq!(
            redact_url("postgres://bob@db/mail"),
            "postgres://bob@db/mail"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
