//! `hadron-bench`: an end-to-end IMAP load generator.
//!
//! It drives any IMAP server (`host:port`, user, password) over many
//! connections with generated mail and measures what a user would feel:
//! latency percentiles and throughput per command, protocol errors, and —
//! given the server's process id — the server's CPU time and memory. It is
//! a client of the wire protocol only: commands are encoded and responses
//! framed and parsed with `hadron-proto`, so it measures Hadron and any other
//! server the same way, and two servers alternately in the same run.
//!
//! - [`client`]: one connection (LOGIN, commands, literals, responses).
//! - [`mailgen`]: deterministic realistic messages from a seed.
//! - [`stats`]: latency histograms and throughput.
//! - [`scenario`]: the workloads (`fill`, `select`, `fetch`, `search`, `sort`,
//!   `store`, `status-list`, `mixed`, `imaptest`, `idle`, `resync`, and
//!   `lmtp`: delivery over LMTP, the one scenario that speaks another
//!   protocol) and the suites that run them.
//! - [`view`]: a client's view of its selected mailbox and the checks of
//!   every response against it.
//! - [`procstat`]: server CPU and RSS from `/proc`.
//! - [`report`]: the table, JSON and an SVG bar chart.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hadron_bench::BenchError> {
//! use hadron_bench::scenario::{Params, ScenarioKind, Target};
//! let target = Target::new("hadron", "127.0.0.1:1143", "demo", "secret");
//! let params = Params::quick();
//! let report = hadron_bench::run(&[target], ScenarioKind::ALL, &params).await?;
//! println!("{}", hadron_bench::report::table(&report));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod client;
pub mod mailgen;
pub mod procstat;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod view;

pub use scenario::{run, run_with};

/// Why a benchmark could not go on.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A socket or file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// The server refused something the benchmark cannot do without
    /// (greeting BYE, LOGIN, creating its mailbox).
    #[error("the server refused: {0}")]
    Refused(String),
    /// The server's responses could not be read.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A command did not complete in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// `/proc/<pid>` could not be read.
    #[error("process statistics: {0}")]
    Proc(String),
    /// A parameter or name is unusable.
    #[error("invalid: {0}")]
    Invalid(String),
}

impl BenchError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        BenchError::Io {
            context: context.into(),
            source,
        }
    }
}
