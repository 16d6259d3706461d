//! `hadron`: the Hadron IMAP server and its administration commands.
//!
//! One module per command family: `serve`, `user`, `cert`, `mailbox`,
//! `expunge`, `stats`, `transfer` (`import`, `export`); `storage` holds
//! what they share (where the configuration and the data are, opening the
//! engine), `output` the tables and JSON of the admin commands.
#![forbid(unsafe_code)]

mod cert;
mod expunge;
mod mailbox;
mod output;
mod serve;
mod stats;
mod storage;
mod transfer;
mod user;

use clap::{Parser, Subcommand};

/// The Hadron IMAP server.
#[derive(Debug, Parser)]
#[command(name = "hadron", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the IMAP server until SIGINT or SIGTERM.
    Serve(serve::ServeArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(user::UserCmd),
    /// Make TLS certificates.
    #[command(subcommand)]
    Cert(cert::CertCmd),
    /// Manage a user's mailboxes.
    #[command(subcommand)]
    Mailbox(mailbox::MailboxCmd),
    /// Expunge a mailbox's messages older than a date.
    Expunge(expunge::ExpungeArgs),
    /// Count users, mailboxes, messages and the sessions of running servers.
    Stats(stats::StatsArgs),
    /// Import mail from a Maildir++ tree or an mbox file.
    #[command(subcommand)]
    Import(transfer::ImportCmd),
    /// Export mail to a Maildir++ tree or an mbox file.
    #[command(subcommand)]
    Export(transfer::ExportCmd),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Serve(args) => serve::serve(args).await,
        Cmd::User(cmd) => user::user(cmd).await,
        Cmd::Cert(cmd) => cert::cert(cmd),
        Cmd::Mailbox(cmd) => mailbox::mailbox(cmd).await,
        Cmd::Expunge(args) => expunge::expunge(args).await,
        Cmd::Stats(args) => stats::stats(args).await,
        Cmd::Import(cmd) => transfer::import(cmd).await,
        Cmd::Export(cmd) => transfer::export(cmd).await,
    }
}
