//! The server configuration: a TOML file, overridden by command-line flags.
//! Every option is documented, with its default, in `docs/CONFIGURATION.md`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

mod search;

pub use search::SearchSection;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped options.
    #[error("invalid configuration file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its position.
        source: Box<toml::de::Error>,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// How log lines are formatted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event (the default).
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `sqlite_sync`: when a SQLite commit counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSyncMode {
    /// Every commit (group of writes) is fsynced before any of its
    /// clients is answered: nothing acknowledged is ever lost.
    #[default]
    Full,
    /// Commits are written but fsynced only at WAL checkpoints: a power
    /// loss (not a crash of the server) may lose the last acknowledged
    /// writes, never corrupting the database; Dovecot's default
    /// (`mail_fsync = optimized`) makes the same trade for flag changes.
    /// Message bodies are fsynced either way.
    Normal,
}

/// The whole configuration (`hadron serve --config FILE`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the IMAP listener binds. Default `127.0.0.1:1143`.
    pub listen: SocketAddr,
    /// Directory of the SQLite database and the message files. Default
    /// `./hadron-data`.
    pub data_dir: PathBuf,
    /// Database URL: empty for SQLite under `data_dir`, or `postgres://…`
    /// (message bodies are then stored in the database too).
    pub database: Option<String>,
    /// How durable a SQLite commit is before the client is told OK.
    /// Default `full`.
    pub sqlite_sync: SqliteSyncMode,
    /// TLS; absent: plain IMAP only.
    pub tls: Option<TlsConfig>,
    /// Log settings.
    pub log: LogConfig,
    /// Limits protecting the server from clients.
    pub limits: Limits,
    /// Garbage collection of deleted messages' rows and bodies.
    pub gc: GcConfig,
    /// Authentication.
    pub auth: AuthConfig,
    /// Indexes of recently closed mailboxes kept in memory.
    pub index_cache: IndexCacheSection,
    /// Local delivery from an MTA over LMTP (RFC 2033); off by default.
    pub lmtp: LmtpConfig,
    /// The full-text index of SEARCH BODY and TEXT.
    pub search: SearchSection,
}

/// The `[lmtp]` section: the LMTP listener an MTA (Postfix, Exim,
/// OpenSMTPD) delivers through. Off unless `listen` or `socket` is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LmtpConfig {
    /// TCP address of the LMTP listener (`127.0.0.1:24`). LMTP has no
    /// authentication: bind it where only the MTA can connect.
    pub listen: Option<SocketAddr>,
    /// Path of a Unix socket to listen on as well (or instead).
    pub socket: Option<PathBuf>,
    /// Permission bits of the Unix socket. Default `0o666`.
    pub socket_mode: u32,
    /// The name in the greeting and the LHLO reply. Default: the
    /// machine's host name.
    pub hostname: Option<String>,
    /// Largest message accepted, in bytes (advertised as `SIZE`).
    /// Default: `limits.max_literal` (64 MiB).
    pub max_message_size: Option<u64>,
    /// Recipients accepted per message; more get `452 4.5.3`. Default 100.
    pub max_recipients: usize,
    /// Simultaneous LMTP connections; more are refused with `421`.
    /// Default 100.
    pub max_connections: usize,
    /// Seconds a client may stay silent (waiting for a command or in the
    /// middle of a message) before it is disconnected. Default 300.
    pub timeout_secs: u64,
    /// Characters separating a recipient's user name from a *detail*
    /// (`alice+lists@example.org`): the message goes to the mailbox named
    /// by the detail when it exists, else to INBOX. Empty: no details.
    /// Default `"+"`.
    pub detail_delimiter: String,
}

impl Default for LmtpConfig {
    fn default() -> Self {
        LmtpConfig {
            listen: None,
            socket: None,
            socket_mode: 0o666,
            hostname: None,
            max_message_size: None,
            max_recipients: 100,
            max_connections: 100,
            timeout_secs: 300,
            detail_delimiter: "+".to_owned(),
        }
    }
}

impl LmtpConfig {
    /// Whether an LMTP listener is configured.
    pub fn enabled(&self) -> bool {
        self.listen.is_some() || self.socket.is_some()
    }
}

/// The `[auth]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Seconds a successful password check is remembered, so a client
    /// that reconnects often does not pay for Argon2 each time; 0 turns
    /// the cache off. A changed password or deleted user is never let in
    /// from it (each login compares the stored hash). Default 300.
    pub cache_ttl_secs: u64,
    /// Whether UNAUTHENTICATE (RFC 8437) is offered: a logged-in client
    /// may log in again as another user on the same connection. RFC 8437
    /// §8 asks for a way to turn it off (behind a proxy that checks only
    /// the first login). Default true.
    pub unauthenticate: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            cache_ttl_secs: 300,
            unauthenticate: true,
        }
    }
}

/// The `[index_cache]` section: after the last session closes a mailbox,
/// its index (about 9 bytes per message) stays in memory and follows the
/// mailbox's changes, so the next SELECT copies it instead of reading every
/// row (a 1M-message mailbox: milliseconds instead of seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct IndexCacheSection {
    /// Most memory, in MiB, kept for closed mailboxes; the least recently
    /// closed are dropped first. 0 turns the cache off. Default 256 (on
    /// PostgreSQL a kept index follows other instances' changes through
    /// the change feed, and is brought up to date at each SELECT).
    pub memory_mb: Option<usize>,
    /// Seconds a closed mailbox's index is kept without a SELECT.
    /// Default 600.
    pub idle_secs: Option<u64>,
}

impl IndexCacheSection {
    /// The engine's form of it.
    pub fn engine_config(&self) -> hadron_state::engine::IndexCacheConfig {
        let d = hadron_state::engine::IndexCacheConfig::default();
        let budget_bytes = self
            .memory_mb
            .map_or(d.budget_bytes, |mb| mb.saturating_mul(1 << 20));
        hadron_state::engine::IndexCacheConfig {
            budget_bytes,
            idle: self
                .idle_secs
                .map_or(d.idle, std::time::Duration::from_secs),
        }
    }
}

/// The `[gc]` section: removing what no mailbox holds any more (message
/// rows of expunged messages, deleted mailboxes and users, then bodies no
/// row references).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GcConfig {
    /// Seconds between runs; the first runs at startup. 0 turns collection
    /// off. Default 3,600.
    pub interval_secs: u64,
    /// Bodies stored more recently than this many seconds are kept even if
    /// unreferenced (an APPEND writes the body before its row commits).
    /// Default 3,600; at least 60.
    pub blob_grace_secs: u64,
    /// Days an expunged UID is remembered for QRESYNC (RFC 7162): a client
    /// resynchronising from before that is told every UID it may know that
    /// is gone, instead of exactly the expunged ones. 0 keeps them forever.
    /// Default 365.
    pub expunged_history_days: u64,
}

impl GcConfig {
    /// How long expunged UIDs are kept; `None` for ever.
    pub fn expunged_history(&self) -> Option<Duration> {
        (self.expunged_history_days > 0)
            .then(|| Duration::from_secs(self.expunged_history_days.saturating_mul(86_400)))
    }
}

impl Default for GcConfig {
    fn default() -> Self {
        GcConfig {
            interval_secs: 3600,
            blob_grace_secs: 3600,
            expunged_history_days: 365,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 1143)),
            data_dir: PathBuf::from("./hadron-data"),
            database: None,
            sqlite_sync: SqliteSyncMode::Full,
            tls: None,
            log: LogConfig::default(),
            limits: Limits::default(),
            gc: GcConfig::default(),
            auth: AuthConfig::default(),
            index_cache: IndexCacheSection::default(),
            lmtp: LmtpConfig::default(),
            search: SearchSection::default(),
        }
    }
}

/// The `[tls]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain (leaf first).
    pub cert: PathBuf,
    /// PEM file with the private key.
    pub key: PathBuf,
    /// Address of the implicit-TLS listener (port 993 in production);
    /// absent: STARTTLS on the plain port only.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// Whether LOGIN / AUTHENTICATE work on the plain port before
    /// STARTTLS. Default `false`: `LOGINDISABLED` is advertised until TLS
    /// is up.
    #[serde(default)]
    pub plaintext_auth: bool,
}

/// The `[log]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `human` or `json`. Default `human`.
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `hadron_server=debug`; the
    /// `RUST_LOG` environment variable wins when set. Default `info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Human,
            level: "info".to_owned(),
        }
    }
}

/// The `[limits]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most simultaneous connections; more are greeted with `* BYE` and
    /// closed. Also the listen backlog (capped by the kernel). Default
    /// 1,000.
    pub max_connections: usize,
    /// Longest command line in bytes (literal data not counted). Default
    /// 65,536.
    pub max_line: usize,
    /// Largest literal (an APPENDed message) in bytes. Default 64 MiB.
    pub max_literal: u64,
    /// Seconds a logged-in client may stay silent (RFC 3501 §5.4 asks for
    /// at least 30 minutes; smaller values are refused). Default 1,800.
    pub idle_timeout_secs: u64,
    /// Seconds a client that has not logged in may stay silent. Default 60.
    pub login_timeout_secs: u64,
    /// Seconds a response may wait for a client that does not read it
    /// before the connection is dropped. Default 300.
    pub write_timeout_secs: u64,
    /// Milliseconds an IDLE client's first pending update waits for more to
    /// arrive, so that a burst (many APPENDs, a big flag change by another
    /// client) is written as one set of responses rather than one write per
    /// update; 0 writes each update at once. Default 5.
    pub idle_coalesce_ms: u64,
    /// Malformed commands a connection may send before it is closed with
    /// `* BYE`. Default 20.
    pub max_bad_commands: u32,
    /// Updates from other sessions queued per session before it is closed
    /// as too far behind. Default 100,000.
    pub session_queue: usize,
    /// Simultaneous connections from one IP address. Default 100.
    pub max_connections_per_ip: usize,
    /// Simultaneous logged-in sessions of one user. Default 100.
    pub max_sessions_per_user: usize,
    /// Password checks (deliberately slow Argon2) run at once; further
    /// logins wait. Default 8.
    pub max_concurrent_logins: usize,
    /// Failed logins (per IP address and per user) answered without delay.
    /// Default 3.
    pub login_free_failures: u32,
    /// Delay before answering the first failure after the free ones; it
    /// doubles with each further failure (at most 16 times). Default 1,000.
    pub login_delay_ms: u64,
    /// Failed logins after which the IP address and the user are refused
    /// outright for `login_lockout_secs`. Default 10.
    pub login_lockout_failures: u32,
    /// How long failures are remembered and a lockout lasts. Default 300.
    pub login_lockout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1000,
            max_line: 64 * 1024,
            max_literal: 64 << 20,
            idle_timeout_secs: 30 * 60,
            login_timeout_secs: 60,
            write_timeout_secs: 300,
            idle_coalesce_ms: 5,
            max_bad_commands: 20,
            session_queue: 100_000,
            max_connections_per_ip: 100,
            max_sessions_per_user: 100,
            max_concurrent_logins: 8,
            login_free_failures: 3,
            login_delay_ms: 1000,
            login_lockout_failures: 10,
            login_lockout_secs: 300,
        }
    }
}

impl Limits {
    /// The authenticated idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    /// How long an IDLE client's first pending update waits for others.
    pub fn idle_coalesce(&self) -> Duration {
        Duration::from_millis(self.idle_coalesce_ms)
    }

    /// How long a write may wait for a client that does not read.
    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_secs)
    }

    /// The idle timeout before login.
    pub fn login_timeout(&self) -> Duration {
        Duration::from_secs(self.login_timeout_secs)
    }
}

impl Config {
    /// Reads `path` (options it does not set keep their defaults).
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { source, .. } => ConfigError::Parse {
                path: path.to_owned(),
                source,
            },
            other => other,
        })
    }

    /// Parses a configuration from TOML text and checks it.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            source: Box::new(e),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values a client relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        if l.idle_timeout_secs < 30 * 60 {
            return Err(ConfigError::Invalid(format!(
                "limits.idle_timeout_secs = {} is below the 1800 seconds RFC 3501 §5.4 requires",
                l.idle_timeout_secs
            )));
        }
        for (name, value) in [
            ("max_connections", l.max_connections as u64),
            ("max_line", l.max_line as u64),
            ("login_timeout_secs", l.login_timeout_secs),
            ("write_timeout_secs", l.write_timeout_secs),
            ("session_queue", l.session_queue as u64),
            ("max_connections_per_ip", l.max_connections_per_ip as u64),
            ("max_sessions_per_user", l.max_sessions_per_user as u64),
            ("max_concurrent_logins", l.max_concurrent_logins as u64),
            (
                "login_lockout_failures",
                u64::from(l.login_lockout_failures),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!(
                    "limits.{name} must be at least 1"
                )));
            }
        }
        if self.gc.blob_grace_secs < 60 {
            return Err(ConfigError::Invalid(format!(
                "gc.blob_grace_secs = {} is too short: a body being appended could be removed \
                 before its message commits (at least 60)",
                self.gc.blob_grace_secs
            )));
        }
        if l.idle_coalesce_ms > 1000 {
            return Err(ConfigError::Invalid(format!(
                "limits.idle_coalesce_ms = {} would delay IDLE pushes by over a second (at most 1000)",
                l.idle_coalesce_ms
            )));
        }
        if l.max_line < 1024 {
            return Err(ConfigError::Invalid(format!(
                "limits.max_line = {} is too small for IMAP (at least 1024)",
                l.max_line
            )));
        }
        let m = &self.lmtp;
        for (name, value) in [
            ("max_recipients", m.max_recipients as u64),
            ("max_connections", m.max_connections as u64),
            ("timeout_secs", m.timeout_secs),
            ("max_message_size", m.max_message_size.unwrap_or(1)),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!(
                    "lmtp.{name} must be at least 1"
                )));
            }
        }
        if m.socket_mode > 0o777 {
            return Err(ConfigError::Invalid(format!(
                "lmtp.socket_mode = {:#o} is not a permission mode (at most 0o777)",
                m.socket_mode
            )));
        }
        if let Some(host) = &m.hostname
            && (host.is_empty() || !host.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ConfigError::Invalid(format!(
                "lmtp.hostname = {host:?}: use a host name (printable ASCII, no spaces)"
            )));
        }
        if m.detail_delimiter
            .chars()
            .any(|c| c == '@' || !c.is_ascii_graphic())
        {
            return Err(ConfigError::Invalid(format!(
                "lmtp.detail_delimiter = {:?}: use printable ASCII characters other than @",
                m.detail_delimiter
            )));
        }
        Ok(())
    }

    /// The database URL: the configured one, or SQLite under `data_dir`.
    pub fn database_url(&self) -> String {
        match &self.database {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!("sqlite://{}", self.data_dir.join("hadron.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_the_defaults() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }

    #[test]
    fn every_section_parses() {
        let c = Config::from_toml(
            r#"
            listen = "0.0.0.0:143"
            data_dir = "/var/lib/hadron"
            database = "postgres://u@h/db"
            [tls]
            cert = "c.pem"
            key = "k.pem"
            listen = "0.0.0.0:993"
            [log]
            format = "json"
            level = "debug"
            [limits]
            max_connections = 5
            max_line = 2048
            max_literal = 1000
            idle_timeout_secs = 3600
            login_timeout_secs = 10
            max_bad_commands = 3
            session_queue = 50
            "#,
        )
        .unwrap();
        assert_eq!(c.listen.port(), 143);
        let tls = c.tls.as_ref().unwrap();
        assert_eq!(tls.listen.unwrap().port(), 993);
        assert!(!tls.plaintext_auth);
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.limits.max_bad_commands, 3);
        assert_eq!(c.database_url(), "postgres://u@h/db");
    }

    #[test]
    fn unknown_options_and_short_idle_timeouts_are_refused() {
        let e = Config::from_toml("lisen = \"1.2.3.4:1\"").unwrap_err();
        assert!(e.to_string().contains("lisen"), "{e}");
        let e = Config::from_toml("[limits]\nidle_timeout_secs = 60").unwrap_err();
        assert!(e.to_string().contains("RFC 3501"), "{e}");
        let e = Config::from_toml("[limits]\nidle_coalesce_ms = 5000").unwrap_err();
        assert!(e.to_string().contains("idle_coalesce_ms"), "{e}");
        let e = Config::from_toml("[gc]\nblob_grace_secs = 5").unwrap_err();
        assert!(e.to_string().contains("blob_grace_secs"), "{e}");
        let c = Config::from_toml("[gc]\ninterval_secs = 0").unwrap();
        assert_eq!(c.gc.interval_secs, 0);
        assert_eq!(
            c.gc.expunged_history(),
            Some(Duration::from_secs(365 * 86_400))
        );
        let c = Config::from_toml("[gc]\nexpunged_history_days = 0").unwrap();
        assert_eq!(c.gc.expunged_history(), None);
        let c = Config::from_toml("[limits]\nidle_coalesce_ms = 0").unwrap();
        assert_eq!(c.limits.idle_coalesce(), Duration::ZERO);
        assert_eq!(Config::default().auth.cache_ttl_secs, 300);
        let c = Config::from_toml("[index_cache]\nmemory_mb = 8\nidle_secs = 5").unwrap();
        let cache = c.index_cache.engine_config();
        assert_eq!(cache.budget_bytes, 8 << 20);
        assert_eq!(cache.idle, std::time::Duration::from_secs(5));
        let default = Config::default().index_cache;
        assert_eq!(default.engine_config().budget_bytes, 256 << 20);
        assert_eq!(Config::default().sqlite_sync, SqliteSyncMode::Full);
        let c = Config::from_toml("sqlite_sync = \"normal\"").unwrap();
        assert_eq!(c.sqlite_sync, SqliteSyncMode::Normal);
        assert!(Config::from_toml("sqlite_sync = \"off\"").is_err());
        let c = Config::from_toml("[auth]\ncache_ttl_secs = 0").unwrap();
        assert_eq!(c.auth.cache_ttl_secs, 0);
        assert!(c.auth.unauthenticate);
        let c = Config::from_toml("[auth]\nunauthenticate = false").unwrap();
        assert!(!c.auth.unauthenticate);
        assert!(Config::from_toml("[auth]\nttl = 1").is_err());
    }

    #[test]
    fn the_lmtp_section_is_off_by_default_and_checked() {
        assert!(!Config::default().lmtp.enabled());
        let c = Config::from_toml(
            "[lmtp]\nlisten = \"127.0.0.1:24\"\nsocket = \"/run/h.sock\"\nsocket_mode = 0o660\n\
             detail_delimiter = \"+-\"\nmax_message_size = 1000",
        )
        .unwrap();
        assert!(c.lmtp.enabled());
        assert_eq!(c.lmtp.socket_mode, 0o660);
        assert_eq!(c.lmtp.max_message_size, Some(1000));
        assert_eq!(c.lmtp.max_recipients, 100);
        for bad in [
            "max_recipients = 0",
            "socket_mode = 0o1777",
            "detail_delimiter = \"@\"",
            "detail_delimiter = \" \"",
            "timeout_secs = 0",
            "hostname = \"a b\"",
            "lisen = \"127.0.0.1:24\"",
        ] {
            assert!(
                Config::from_toml(&format!("[lmtp]\n{bad}")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn sqlite_lives_under_the_data_dir_by_default() {
        let c = Config {
            data_dir: PathBuf::from("/tmp/x"),
            ..Config::default()
        };
        assert_eq!(c.database_url(), "sqlite:///tmp/x/hadron.db");
    }
}
