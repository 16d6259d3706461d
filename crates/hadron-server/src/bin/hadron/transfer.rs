//! `hadron import` and `hadron export`: mail in and out in bulk (Maildir++
//! trees and mbox files; see the `hadron-transfer` crate), with a progress
//! bar on a terminal and a progress line every few seconds otherwise.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hadron_server::config::Config;
use hadron_state::engine::{Account, Engine};
use hadron_transfer::export;
use hadron_transfer::import::{self, Failure, Options, Progress, Total};
use hadron_transfer::mbox::Quoting;
use indicatif::{ProgressBar, ProgressStyle};

use crate::storage::{StorageArgs, engine};

/// `hadron import …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportCmd {
    /// Import a Maildir++ tree (Dovecot, Courier): every folder, flags,
    /// keywords, dates, subscriptions, and Dovecot's UIDs.
    Maildir(ImportMaildirArgs),
    /// Import an mbox file into one mailbox.
    Mbox(ImportMboxArgs),
}

/// `hadron export …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExportCmd {
    /// Export every mailbox (or one and those below it) to a Maildir++ tree
    /// with a dovecot-uidlist per folder.
    Maildir(ExportMaildirArgs),
    /// Export one mailbox to an mbox file (mboxrd).
    Mbox(ExportMboxArgs),
}

/// What every import takes.
#[derive(Debug, Args)]
pub(crate) struct ImportCommon {
    /// The user to import for.
    #[arg(long)]
    user: String,
    /// Messages stored per transaction.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
    #[command(flatten)]
    storage: StorageArgs,
}

/// `hadron import maildir PATH --user U [--mailbox M]`.
#[derive(Debug, Args)]
pub(crate) struct ImportMaildirArgs {
    /// The Maildir's root directory (the one holding cur/ and new/).
    path: PathBuf,
    /// Import the root into this mailbox and the folders below it
    /// [default: the root into INBOX, each folder into its own name].
    #[arg(long)]
    mailbox: Option<String>,
    /// Let the mailboxes give new UIDs instead of keeping Dovecot's
    /// (clients then download everything again).
    #[arg(long)]
    new_uids: bool,
    #[command(flatten)]
    common: ImportCommon,
}

/// `hadron import mbox FILE --user U --mailbox M`.
#[derive(Debug, Args)]
pub(crate) struct ImportMboxArgs {
    /// The mbox file.
    file: PathBuf,
    /// The mailbox to import into (created if missing).
    #[arg(long)]
    mailbox: String,
    /// The file quotes only `From ` lines (mboxo), so `>From ` is left as
    /// it is; by default (mboxrd) every `>*From ` line loses one `>`.
    #[arg(long)]
    mboxo: bool,
    #[command(flatten)]
    common: ImportCommon,
}

/// `hadron export maildir DIR --user U [--mailbox M]`.
#[derive(Debug, Args)]
pub(crate) struct ExportMaildirArgs {
    /// The directory to write the tree to (created if missing).
    dir: PathBuf,
    /// The user to export.
    #[arg(long)]
    user: String,
    /// Only this mailbox and those below it.
    #[arg(long)]
    mailbox: Option<String>,
    #[command(flatten)]
    storage: StorageArgs,
}

/// `hadron export mbox FILE --user U --mailbox M`.
#[derive(Debug, Args)]
pub(crate) struct ExportMboxArgs {
    /// The mbox file to write (replaced if it exists).
    file: PathBuf,
    /// The user to export.
    #[arg(long)]
    user: String,
    /// The mailbox to export.
    #[arg(long)]
    mailbox: String,
    #[command(flatten)]
    storage: StorageArgs,
}

/// Opens the engine and finds the user.
async fn open(
    storage: &StorageArgs,
    user: &str,
) -> anyhow::Result<(std::sync::Arc<Engine>, Account, Config)> {
    let config = storage.config()?;
    let engine = engine(&config).await?;
    let account = crate::output::account(&engine, user).await?;
    Ok((engine, account, config))
}

/// What every import takes: batches of `--batch`, no message over the
/// server's APPEND limit.
async fn open_import(
    common: &ImportCommon,
) -> anyhow::Result<(std::sync::Arc<Engine>, Account, Options)> {
    let (engine, account, config) = open(&common.storage, &common.user).await?;
    let options = Options {
        batch_messages: common.batch as usize,
        max_message_bytes: config.limits.max_literal,
        ..Options::default()
    };
    Ok((engine, account, options))
}

/// Runs an `import` subcommand.
pub(crate) async fn import(cmd: ImportCmd) -> anyhow::Result<()> {
    let started = Instant::now();
    let (report, source) = match cmd {
        ImportCmd::Maildir(args) => {
            let (engine, account, options) = open_import(&args.common).await?;
            let options = Options {
                keep_uids: !args.new_uids,
                ..options
            };
            let mut progress = Shown::new("imported");
            let report = import::maildir(
                &engine,
                &account,
                &args.path,
                args.mailbox.as_deref(),
                &options,
                &mut progress,
            )
            .await;
            progress.finish();
            (report, args.path)
        }
        ImportCmd::Mbox(args) => {
            let (engine, account, options) = open_import(&args.common).await?;
            let options = Options {
                quoting: if args.mboxo {
                    Quoting::Mboxo
                } else {
                    Quoting::Mboxrd
                },
                ..options
            };
            let mut progress = Shown::new("imported");
            let report = import::mbox(
                &engine,
                &account,
                &args.file,
                &args.mailbox,
                &options,
                &mut progress,
            )
            .await;
            progress.finish();
            (report, args.file)
        }
    };
    let report = report.with_context(|| format!("importing {}", source.display()))?;
    for m in &report.mailboxes {
        println!(
            "{}: {} imported, {} already there, {} skipped{}",
            m.mailbox,
            m.imported,
            m.present,
            m.failed,
            if m.uids_kept { " (UIDs kept)" } else { "" }
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} messages imported ({} already there, {} skipped) in {seconds:.1} s ({:.0} msg/s){}",
        report.imported(),
        report.present(),
        report.failures.len(),
        report.imported() as f64 / seconds.max(1e-3),
        if report.subscribed > 0 {
            format!("; {} subscriptions", report.subscribed)
        } else {
            String::new()
        }
    );
    if !report.failures.is_empty() {
        bail!(
            "{} messages could not be imported (listed above); running the import again retries them",
            report.failures.len()
        );
    }
    Ok(())
}

/// Runs an `export` subcommand.
pub(crate) async fn export(cmd: ExportCmd) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = match cmd {
        ExportCmd::Maildir(args) => {
            let (engine, account, _) = open(&args.storage, &args.user).await?;
            let mut progress = Shown::new("exported");
            let report = export::maildir(
                &engine,
                &account,
                &args.dir,
                args.mailbox.as_deref(),
                &mut progress,
            )
            .await;
            progress.finish();
            report.with_context(|| format!("exporting to {}", args.dir.display()))?
        }
        ExportCmd::Mbox(args) => {
            let (engine, account, _) = open(&args.storage, &args.user).await?;
            let mut progress = Shown::new("exported");
            let report =
                export::mbox(&engine, &account, &args.mailbox, &args.file, &mut progress).await;
            progress.finish();
            report.with_context(|| format!("exporting to {}", args.file.display()))?
        }
    };
    for (mailbox, n) in &report.mailboxes {
        println!("{mailbox}: {n} messages");
    }
    for (mailbox, lost) in &report.lost_keywords {
        eprintln!(
            "{mailbox}: keywords beyond the 26 a Maildir file name can carry were left out: {}",
            lost.join(" ")
        );
    }
    println!(
        "{} messages exported in {:.1} s",
        report.messages(),
        started.elapsed().as_secs_f64()
    );
    if !report.skipped.is_empty() {
        for (mailbox, why) in &report.skipped {
            eprintln!("{mailbox}: not exported: {why}");
        }
        bail!(
            "{} mailboxes could not be exported (listed above)",
            report.skipped.len()
        );
    }
    Ok(())
}

/// How often a progress line is printed when standard error is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Progress on standard error: a bar on a terminal, a line every
/// [`PLAIN_EVERY`] otherwise; skipped messages on their own lines.
struct Shown {
    verb: &'static str,
    bar: Option<ProgressBar>,
    total: Option<Total>,
    messages: u64,
    bytes: u64,
    started: Instant,
    last_line: Instant,
}

impl Shown {
    fn new(verb: &'static str) -> Shown {
        let bar = std::io::stderr().is_terminal().then(ProgressBar::hidden);
        Shown {
            verb,
            bar,
            total: None,
            messages: 0,
            bytes: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn line(&self) -> String {
        let rate = self.messages as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        let of = match self.total {
            Some(Total::Messages(n)) => format!(" of {n}"),
            Some(Total::Bytes(n)) => format!(" ({} of {} MB)", self.bytes >> 20, n >> 20),
            None => String::new(),
        };
        format!(
            "{} {}{of} messages, {rate:.0} msg/s",
            self.verb, self.messages
        )
    }

    fn finish(&mut self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None if self.messages > 0 => eprintln!("{}", self.line()),
            None => {}
        }
    }
}

impl Progress for Shown {
    fn begin(&mut self, total: Total) {
        self.total = Some(total);
        if let Some(bar) = &self.bar {
            let (len, template) = match total {
                Total::Messages(n) => (
                    n,
                    "{msg:20!} [{bar:30}] {human_pos}/{human_len} ({per_sec}, ETA {eta})",
                ),
                Total::Bytes(n) => (
                    n,
                    "{msg:20!} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta})",
                ),
            };
            bar.set_length(len);
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn folder(&mut self, mailbox: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(mailbox.to_owned());
        }
    }

    fn advance(&mut self, messages: u64, bytes: u64) {
        self.messages += messages;
        self.bytes += bytes;
        match (&self.bar, self.total) {
            (Some(bar), Some(Total::Bytes(_))) => bar.inc(bytes),
            (Some(bar), _) => bar.inc(messages),
            (None, _) if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                eprintln!("{}", self.line());
            }
            (None, _) => {}
        }
    }

    fn failed(&mut self, failure: &Failure) {
        let text = format!("skipped {}: {}", failure.source, failure.reason);
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}
