//! Importing a Maildir++ tree or an mbox file into a user's mailboxes.
//!
//! Messages go through [`Engine::append`] in batches (one transaction and
//! one round of fsyncs per batch), so quota, the connector and the update
//! hub see them as they see any APPEND: clients in IDLE are told. The next
//! batch is read from disk while one is stored.
//!
//! **UIDs.** A folder with a `dovecot-uidlist` imported into a mailbox that
//! has never held a message keeps its UIDVALIDITY, each listed message its
//! UID, and the mailbox its source's next UID, so a client that knew the
//! old server keeps its cache. Otherwise (no uidlist, an mbox, a mailbox
//! already used under another UIDVALIDITY) the mailbox gives new UIDs.
//!
//! **Resuming.** Into a mailbox that already holds messages, a source
//! message whose exact bytes (after line-end conversion) are already there
//! is skipped, as many times as it is there: running an import again adds
//! only what is missing. A message the user expunged since is therefore
//! added again.
//!
//! **Errors.** An unreadable file, or a message the store refuses, is
//! reported ([`Failure`]) and skipped; an unreadable tree, an unknown user
//! or an exceeded quota stops the import.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hadron_proto::types::Mailbox;
use hadron_state::engine::{Account, AppendRequest, Engine, EngineError};
use hadron_state::flags::FlagSet;
use hadron_store::MailboxId;

use crate::lines::to_crlf;
use crate::maildir::{Entry, Tree};
use crate::mbox::{MboxMessage, Quoting, Reader};
use crate::{Result, TransferError};

/// How an import runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Most messages stored in one transaction.
    pub batch_messages: usize,
    /// Most bytes of messages in one transaction.
    pub batch_bytes: usize,
    /// Keep the source's UIDVALIDITY and UIDs where it has them and the
    /// mailbox has never held a message.
    pub keep_uids: bool,
    /// How the mbox file quotes `From ` lines.
    pub quoting: Quoting,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_messages: 1000,
            batch_bytes: 32 << 20,
            keep_uids: true,
            quoting: Quoting::Mboxrd,
        }
    }
}

/// How much there is to import, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// This many messages (a Maildir tree).
    Messages(u64),
    /// This many bytes (an mbox file, whose messages are only counted by
    /// reading it).
    Bytes(u64),
}

/// Told how an import goes; [`NoProgress`] ignores it all.
pub trait Progress {
    /// Before the first message.
    fn begin(&mut self, _total: Total) {}
    /// A folder starts, into mailbox `mailbox`.
    fn folder(&mut self, _mailbox: &str) {}
    /// `messages` more source messages (of `bytes` bytes) are done: stored,
    /// found already there, or failed.
    fn advance(&mut self, _messages: u64, _bytes: u64) {}
    /// A message was skipped.
    fn failed(&mut self, _failure: &Failure) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// A source message that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Where it is: a file, or an mbox file and line.
    pub source: String,
    /// Why it was skipped.
    pub reason: String,
}

/// What an import did to one mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxReport {
    /// The mailbox.
    pub mailbox: String,
    /// Messages added.
    pub imported: u64,
    /// Source messages found already there (a resumed import).
    pub present: u64,
    /// Messages skipped ([`Report::failures`]).
    pub failed: u64,
    /// Bytes added (as stored, CRLF).
    pub bytes: u64,
    /// Whether the mailbox keeps the source's UIDVALIDITY and UIDs.
    pub uids_kept: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Per mailbox, in import order.
    pub mailboxes: Vec<MailboxReport>,
    /// The messages skipped.
    pub failures: Vec<Failure>,
    /// Subscriptions added (a Maildir tree's `subscriptions`).
    pub subscribed: usize,
}

impl Report {
    /// Messages added in all mailboxes.
    pub fn imported(&self) -> u64 {
        self.mailboxes.iter().map(|m| m.imported).sum()
    }

    /// Source messages found already there in all mailboxes.
    pub fn present(&self) -> u64 {
        self.mailboxes.iter().map(|m| m.present).sum()
    }
}

/// A source message read and ready to store.
struct Candidate {
    source: String,
    raw: Vec<u8>,
    flags: FlagSet,
    internal_date: i64,
    uid: Option<u32>,
    /// Its size in the source (for progress).
    source_bytes: u64,
}

type ReadBatch = Vec<Result<Candidate, (Failure, u64)>>;

/// The mailbox a folder goes into and what the import knows of it.
struct Target<'a> {
    engine: &'a Engine,
    account: &'a Account,
    id: MailboxId,
    report: MailboxReport,
    /// Content hashes already in the mailbox, with their counts; `None` when
    /// it was empty at the start (nothing to compare with).
    present: Option<HashMap<String, u32>>,
    /// The mailbox's UIDNEXT as of the last append.
    next_uid: u32,
    keep_uids: bool,
}

impl<'a> Target<'a> {
    /// Opens (creating if needed) mailbox `name`; `uidvalidity` is the
    /// source's, when it has one to keep.
    async fn open(
        engine: &'a Engine,
        account: &'a Account,
        name: &str,
        uidvalidity: Option<u32>,
    ) -> Result<Target<'a>> {
        let mailbox = Mailbox::new(name).map_err(|e| TransferError::Format {
            path: PathBuf::from(name),
            reason: format!("not a valid mailbox name: {e}"),
        })?;
        let name = mailbox.as_str().to_owned();
        match engine.mailbox(account.id, &name).await {
            Ok(_) => {}
            Err(EngineError::NoSuchMailbox(_)) => {
                match engine.create_mailbox(account, &mailbox, None).await {
                    Ok(_) | Err(EngineError::MailboxExists(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
        let mut info = engine.mailbox(account.id, &name).await?;
        let keep_uids = match uidvalidity {
            Some(v) => engine.adopt_uid_validity(info.id, v).await?,
            None => false,
        };
        if keep_uids {
            info = engine.mailbox(account.id, &name).await?;
        }
        let present = if info.messages > 0 {
            let mut counts: HashMap<String, u32> = HashMap::new();
            for (_, hash) in engine.content_hashes(info.id).await? {
                *counts.entry(hash).or_default() += 1;
            }
            Some(counts)
        } else {
            None
        };
        Ok(Target {
            engine,
            account,
            id: info.id,
            report: MailboxReport {
                mailbox: name,
                uids_kept: keep_uids,
                ..MailboxReport::default()
            },
            present,
            next_uid: info.uidnext,
            keep_uids,
        })
    }

    /// Stores a batch: skips what is there already, asks for the source's
    /// UIDs where they can be kept, and on a refusal retries message by
    /// message to skip only the bad ones.
    async fn store(
        &mut self,
        batch: ReadBatch,
        report: &mut Report,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        let mut ready = Vec::with_capacity(batch.len());
        let mut done_bytes = 0;
        let mut done = 0;
        for item in batch {
            match item {
                Ok(c) => {
                    if let Some(present) = &mut self.present {
                        let hash = hadron_store::content_hash(&c.raw);
                        if let Some(n) = present.get_mut(&hash).filter(|n| **n > 0) {
                            *n -= 1;
                            self.report.present += 1;
                            done += 1;
                            done_bytes += c.source_bytes;
                            continue;
                        }
                    }
                    ready.push(c);
                }
                Err((failure, bytes)) => {
                    self.fail(failure, report, progress);
                    done += 1;
                    done_bytes += bytes;
                }
            }
        }
        progress.advance(done, done_bytes);
        if ready.is_empty() {
            return Ok(());
        }
        match self.append(&ready).await {
            Ok(()) => {}
            Err(e @ EngineError::OverQuota(_)) => return Err(e.into()),
            Err(_) if ready.len() > 1 => {
                for c in ready {
                    let one = std::slice::from_ref(&c);
                    match self.append(one).await {
                        Ok(()) => {}
                        Err(e @ EngineError::OverQuota(_)) => return Err(e.into()),
                        Err(e) => {
                            let failure = Failure {
                                source: c.source.clone(),
                                reason: e.to_string(),
                            };
                            self.fail(failure, report, progress);
                        }
                    }
                    progress.advance(1, c.source_bytes);
                }
                return Ok(());
            }
            Err(e) => {
                let c = &ready[0];
                let failure = Failure {
                    source: c.source.clone(),
                    reason: e.to_string(),
                };
                self.fail(failure, report, progress);
            }
        }
        progress.advance(
            ready.len() as u64,
            ready.iter().map(|c| c.source_bytes).sum(),
        );
        Ok(())
    }

    async fn append(&mut self, batch: &[Candidate]) -> Result<(), EngineError> {
        let mut next = self.next_uid;
        let requests: Vec<AppendRequest> = batch
            .iter()
            .map(|c| {
                let uid = c.uid.filter(|&u| self.keep_uids && u >= next);
                next = uid.unwrap_or(next).saturating_add(1);
                AppendRequest {
                    raw: c.raw.clone(),
                    flags: c.flags.clone(),
                    internal_date: c.internal_date,
                    uid,
                }
            })
            .collect();
        let outcome = self
            .engine
            .append(self.account, &self.report.mailbox, requests, None)
            .await?;
        if let Some(&last) = outcome.uids.last() {
            self.next_uid = self.next_uid.max(last.saturating_add(1));
        }
        self.report.imported += batch.len() as u64;
        self.report.bytes += batch.iter().map(|c| c.raw.len() as u64).sum::<u64>();
        Ok(())
    }

    fn fail(&mut self, failure: Failure, report: &mut Report, progress: &mut dyn Progress) {
        progress.failed(&failure);
        self.report.failed += 1;
        report.failures.push(failure);
    }
}

/// Splits `items` into batches of at most `options`' size, by the size
/// `bytes` says each has.
fn batch_ends<T>(items: &[T], options: &Options, bytes: impl Fn(&T) -> u64) -> Vec<usize> {
    let mut ends = Vec::new();
    let (mut n, mut size) = (0usize, 0u64);
    for (i, item) in items.iter().enumerate() {
        let b = bytes(item);
        if n > 0 && (n >= options.batch_messages || size + b > options.batch_bytes as u64) {
            ends.push(i);
            n = 0;
            size = 0;
        }
        n += 1;
        size += b;
    }
    if n > 0 {
        ends.push(items.len());
    }
    ends
}

/// Reads the files of `entries` (one batch).
fn read_entries(entries: Vec<(Entry, u64)>) -> ReadBatch {
    entries
        .into_iter()
        .map(|(e, size)| match std::fs::read(&e.path) {
            Ok(raw) => Ok(Candidate {
                source: e.path.display().to_string(),
                raw: to_crlf(&raw).into_owned(),
                flags: e.flags,
                internal_date: e.mtime,
                uid: e.uid,
                source_bytes: raw.len() as u64,
            }),
            Err(err) => Err((
                Failure {
                    source: e.path.display().to_string(),
                    reason: err.to_string(),
                },
                size,
            )),
        })
        .collect()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| TransferError::Engine(EngineError::Internal(format!("reader task: {e}"))))
}

/// Imports the Maildir++ tree at `root` for `account`: INBOX (the root)
/// into `into` (default INBOX) and every folder `F` into `F` (or
/// `into/F`), then its subscriptions. See the [module docs](self).
pub async fn maildir(
    engine: &Arc<Engine>,
    account: &Account,
    root: &Path,
    into: Option<&str>,
    options: &Options,
    progress: &mut dyn Progress,
) -> Result<Report> {
    let tree = {
        let root = root.to_owned();
        blocking(move || Tree::open(&root)).await??
    };
    let target_name = |folder: &str| match into {
        None => folder.to_owned(),
        Some(prefix) if folder == "INBOX" => prefix.to_owned(),
        Some(prefix) => format!("{prefix}/{folder}"),
    };
    // List every folder first: the total for progress, and a tree that
    // cannot be listed fails before anything is stored.
    let mut listed = Vec::new();
    for folder in tree.folders.clone() {
        let f = folder.clone();
        let entries = blocking(move || f.entries()).await??;
        listed.push((folder, entries));
    }
    progress.begin(Total::Messages(
        listed.iter().map(|(_, e)| e.len() as u64).sum(),
    ));
    let mut report = Report::default();
    for (folder, entries) in listed {
        let name = target_name(&folder.name);
        progress.folder(&name);
        let uidvalidity = folder
            .uidlist
            .as_ref()
            .filter(|_| options.keep_uids)
            .map(|l| l.uidvalidity);
        let mut target = Target::open(engine, account, &name, uidvalidity).await?;
        // File sizes for batching, without reading the files.
        let sized: Vec<(Entry, u64)> = blocking(move || {
            entries
                .into_iter()
                .map(|e| {
                    let size = std::fs::metadata(&e.path).map_or(0, |m| m.len());
                    (e, size)
                })
                .collect()
        })
        .await?;
        let ends = batch_ends(&sized, options, |(_, s)| *s);
        let mut files = sized.into_iter();
        let mut start = 0;
        let mut batches = ends.into_iter().map(move |end| {
            let batch: Vec<(Entry, u64)> = files.by_ref().take(end - start).collect();
            start = end;
            batch
        });
        let read = |b: Vec<(Entry, u64)>| tokio::task::spawn_blocking(move || read_entries(b));
        let mut reading = batches.next().map(read);
        while let Some(task) = reading.take() {
            let batch = task.await.map_err(|e| {
                TransferError::Engine(EngineError::Internal(format!("reader task: {e}")))
            })?;
            reading = batches.next().map(read);
            target.store(batch, &mut report, progress).await?;
        }
        if target.keep_uids
            && let Some(list) = &folder.uidlist
        {
            engine.raise_uidnext(target.id, list.next_uid).await?;
        }
        report.mailboxes.push(target.report);
    }
    for name in &tree.subscriptions {
        let name = target_name(name);
        if let Ok(mailbox) = Mailbox::new(name.as_str()) {
            engine.subscribe(account, &mailbox).await?;
            report.subscribed += 1;
        }
    }
    Ok(report)
}

/// Imports the mbox file `file` into `account`'s mailbox `mailbox`
/// (created if needed). See the [module docs](self).
pub async fn mbox(
    engine: &Arc<Engine>,
    account: &Account,
    file: &Path,
    mailbox: &str,
    options: &Options,
    progress: &mut dyn Progress,
) -> Result<Report> {
    let opened = {
        let file = file.to_owned();
        blocking(move || -> Result<_> {
            let f = std::fs::File::open(&file).map_err(TransferError::io(&file))?;
            let len = f.metadata().map_err(TransferError::io(&file))?.len();
            Ok((std::io::BufReader::with_capacity(1 << 20, f), len))
        })
        .await??
    };
    let (input, len) = opened;
    progress.begin(Total::Bytes(len));
    progress.folder(mailbox);
    let mut report = Report::default();
    let mut target = Target::open(engine, account, mailbox, None).await?;
    let name = file.display().to_string();
    let read_batch = {
        let (max_n, max_bytes) = (options.batch_messages, options.batch_bytes);
        move |mut reader: Reader<std::io::BufReader<std::fs::File>>| {
            let mut batch: ReadBatch = Vec::new();
            let mut bytes = 0usize;
            let mut error = None;
            while batch.len() < max_n && bytes < max_bytes {
                match reader.next() {
                    Some(Ok(m)) => {
                        bytes += m.raw.len();
                        batch.push(Ok(candidate(&name, m)));
                    }
                    Some(Err(e)) => {
                        error = Some(e);
                        break;
                    }
                    None => break,
                }
            }
            (reader, batch, error)
        }
    };
    let spawn_read = |r| {
        let f = read_batch.clone();
        tokio::task::spawn_blocking(move || f(r))
    };
    let mut reading = spawn_read(Reader::new(input, options.quoting));
    loop {
        let (reader, batch, error) = reading.await.map_err(|e| {
            TransferError::Engine(EngineError::Internal(format!("reader task: {e}")))
        })?;
        if batch.is_empty() && error.is_none() {
            break;
        }
        // The next batch is read while this one is stored.
        reading = spawn_read(reader);
        target.store(batch, &mut report, progress).await?;
        if let Some(e) = error {
            report.mailboxes.push(target.report);
            return Err(TransferError::io(file)(e));
        }
    }
    report.mailboxes.push(target.report);
    Ok(report)
}

/// Now, Unix seconds: the INTERNALDATE of a message whose `From ` line has
/// no date.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn candidate(file: &str, m: MboxMessage) -> Candidate {
    let size = m.raw.len() as u64;
    Candidate {
        source: format!("{file}:{}", m.line),
        raw: m.raw,
        flags: m.flags,
        internal_date: m.internal_date.unwrap_or_else(now),
        uid: None,
        source_bytes: size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_by_count_and_size() {
        let options = Options {
            batch_messages: 3,
            batch_bytes: 100,
            ..Options::default()
        };
        let sizes = [10u64, 10, 10, 10, 90, 90, 200, 1];
        // A batch may reach the byte limit exactly; a message over it goes alone.
        assert_eq!(batch_ends(&sizes, &options, |s| *s), vec![3, 5, 6, 7, 8]);
        assert!(batch_ends(&[] as &[u64], &options, |s| *s).is_empty());
    }
}
