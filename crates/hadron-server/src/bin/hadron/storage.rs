//! What every command shares: where the configuration and the data are, and
//! opening the engine over them.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use hadron_server::backend::{open_command_engine, open_engine, redact_url};
use hadron_server::config::Config;
use hadron_state::engine::Engine;

/// Where the configuration and the data are.
#[derive(Debug, Args)]
pub(crate) struct StorageArgs {
    /// TOML configuration file (see docs/CONFIGURATION.md).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory of the SQLite database and message files [default: ./hadron-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Database URL; `postgres://…` uses PostgreSQL (message bodies in the database).
    #[arg(long)]
    database: Option<String>,
}

impl StorageArgs {
    /// The configuration file (or the defaults) with the command line's overrides.
    pub(crate) fn config(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &self.database {
            config.database = Some(url.clone());
        }
        Ok(config)
    }
}

/// Opens the engine (and migrates the database) a configuration names, for
/// a command that exits when done (see `backend::open_command_engine`).
pub(crate) async fn engine(config: &Config) -> anyhow::Result<Arc<Engine>> {
    let config = config.clone();
    let url = redact_url(&config.database_url());
    tokio::task::spawn_blocking(move || open_command_engine(&config))
        .await?
        .with_context(|| format!("opening {url}"))
}

/// Opens the engine for `hadron serve`: its pools keep connections ready.
pub(crate) async fn server_engine(config: &Config) -> anyhow::Result<Arc<Engine>> {
    let config = config.clone();
    let url = redact_url(&config.database_url());
    tokio::task::spawn_blocking(move || open_engine(&config))
        .await?
        .with_context(|| format!("opening {url}"))
}
