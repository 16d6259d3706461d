//! The Hadron IMAP server: a thin tokio layer over the state engine
//! (`hadron-state`).
//!
//! - [`listener`]: accepts connections (bounded by a semaphore), runs one
//!   handler task per connection under a supervisor that contains panics,
//!   and shuts down gracefully (`* BYE` to everyone).
//! - `connection`: the socket, `hadron-proto`'s sans-I/O framer and a write
//!   buffer responses are encoded straight into; `compress`: the
//!   COMPRESS=DEFLATE layer (RFC 4978) between them once a client turns it
//!   on.
//! - `workers`: one single-threaded runtime per core running connections
//!   as local tasks (thread-per-core; a connection never changes thread).
//! - `handler`: one IMAP conversation — greeting, pipelined commands in
//!   order, literal continuations, timeouts and limits on bad input —
//!   driving one engine [`hadron_state::session::Session`]; `handler/auth`
//!   (STARTTLS, LOGIN, AUTHENTICATE PLAIN), `handler/idle`, `handler/wire`
//!   (response helpers, capabilities).
//! - `guards`: connections per IP, sessions per user, failed-login
//!   throttling.
//! - [`config`]: the TOML configuration (`docs/CONFIGURATION.md`).
//! - [`tls`]: rustls — PEM certificate and key, STARTTLS and implicit TLS,
//!   self-signed development certificates.
//! - [`backend`]: opening the store, blob store and engine a configuration
//!   names.
//! - [`maintenance`]: garbage collection at startup and periodically.
//! - [`lmtp`]: local delivery from an MTA over LMTP (RFC 2033), on TCP
//!   and/or a Unix socket, beside the IMAP listener
//!   ([`Server::with_lmtp`]); a delivery is the engine's APPEND, durable
//!   before `250` and pushed to IDLE clients at once.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use hadron_server::{backend, config::Config, listener::Server};
//! let config = Config::default();
//! let engine = backend::open_engine(&config)?;
//! let server = Server::bind(config.listen, engine, config.limits).await?;
//! server.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod backend;
mod compress;
pub mod config;
mod connection;
mod guards;
mod handler;
pub mod listener;
pub mod lmtp;
pub mod maintenance;
mod supervisor;
pub mod tls;
mod workers;

pub use listener::{Server, TlsOptions};
