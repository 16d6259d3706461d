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
use hadron_state::engine::{Account, AppendRequest, Engine, EngineError, PreparedAppend};
use hadron_state::flags::FlagSet;
use hadron_store::MailboxId;

use crate::lines::to_crlf;
use crate::maildir::{Entry, Tree};
use crate::mbox::{MboxMessage, Quoting, Reader};
use crate::{Result, TransferError, blocking, joined};

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
    /// Largest message imported (as stored, with CRLF); a larger one is
    /// reported and skipped without being held in memory. Set it to the
    /// server's APPEND limit, so nothing gets in that a client could not
    /// have stored.
    pub max_message_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_messages: 1000,
            batch_bytes: 32 << 20,
            keep_uids: true,
            quoting: Quoting::Mboxrd,
            max_message_bytes: 64 << 20,
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

/// A batch on its way: being prepared (parsed, bodies stored) while the
/// batch before it commits; with where each message came from and its size
/// there.
struct InFlight {
    prepared: tokio::task::JoinHandle<Result<PreparedAppend, EngineError>>,
    sources: Vec<(String, u64)>,
}

/// The mailbox a folder goes into and what the import knows of it.
struct Target<'a> {
    engine: &'a Arc<Engine>,
    account: &'a Account,
    id: MailboxId,
    report: MailboxReport,
    /// Content hashes already in the mailbox, with their counts; `None` when
    /// it was empty at the start (nothing to compare with).
    present: Option<HashMap<String, u32>>,
    /// The mailbox's UIDNEXT once the batches planned so far commit.
    planned_next: u32,
    keep_uids: bool,
}

impl<'a> Target<'a> {
    /// Opens (creating if needed) mailbox `name`; `uidvalidity` is the
    /// source's, when it has one to keep.
    async fn open(
        engine: &'a Arc<Engine>,
        account: &'a Account,
        name: &str,
        uidvalidity: Option<u32>,
    ) -> Result<Target<'a>> {
        let mailbox = Mailbox::new(name).map_err(|e| TransferError::Format {
            path: PathBuf::from(name),
            reason: format!("not a valid mailbox name: {e}"),
        })?;
        let name = mailbox.as_str().to_owned();
        let info = match engine.mailbox(account.id, &name).await {
            Err(EngineError::NoSuchMailbox(_)) => {
                match engine.create_mailbox(account, &mailbox, None).await {
                    // Created meanwhile by someone else.
                    Err(EngineError::MailboxExists(_)) => engine.mailbox(account.id, &name).await,
                    created => created,
                }
            }
            found => found,
        }?;
        // Adopting changes only the UIDVALIDITY, which is not read below.
        let keep_uids = match uidvalidity {
            Some(v) => engine.adopt_uid_validity(info.id, v).await?,
            None => false,
        };
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
            planned_next: info.uidnext,
            keep_uids,
        })
    }

    /// Skips what is there already (and what could not be read), asks for
    /// the source's UIDs where they can be kept, and starts preparing the
    /// rest; `None` when nothing is left to store.
    fn plan(
        &mut self,
        batch: ReadBatch,
        report: &mut Report,
        progress: &mut dyn Progress,
    ) -> Option<InFlight> {
        let (mut done, mut done_bytes) = (0, 0);
        let mut requests = Vec::with_capacity(batch.len());
        let mut sources = Vec::with_capacity(batch.len());
        for item in batch {
            let c = match item {
                Ok(c) => c,
                Err((failure, bytes)) => {
                    self.fail(failure, report, progress);
                    done += 1;
                    done_bytes += bytes;
                    continue;
                }
            };
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
            // What the store will give: the UID asked for, else the next.
            let uid = c.uid.filter(|&u| self.keep_uids && u >= self.planned_next);
            self.planned_next = uid.unwrap_or(self.planned_next).saturating_add(1);
            sources.push((c.source, c.source_bytes));
            requests.push(AppendRequest {
                raw: c.raw,
                flags: c.flags,
                internal_date: c.internal_date,
                uid,
            });
        }
        progress.advance(done, done_bytes);
        if requests.is_empty() {
            return None;
        }
        let engine = self.engine.clone();
        Some(InFlight {
            prepared: tokio::spawn(async move { engine.prepare_append(requests).await }),
            sources,
        })
    }

    /// Commits a prepared batch; when it is refused (other than for quota),
    /// retries message by message so that only the bad ones are skipped.
    async fn commit(
        &mut self,
        batch: InFlight,
        report: &mut Report,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        let prepared = joined("preparing a batch", batch.prepared).await??;
        let bytes: u64 = prepared.requests().iter().map(|r| r.raw.len() as u64).sum();
        let result = self
            .engine
            .append_prepared(self.account, &self.report.mailbox, &prepared, None)
            .await;
        match result {
            Ok(outcome) => {
                self.stored(bytes, &outcome.uids);
                progress.advance(
                    batch.sources.len() as u64,
                    batch.sources.iter().map(|(_, b)| b).sum(),
                );
                Ok(())
            }
            Err(e @ EngineError::OverQuota(_)) => Err(e.into()),
            Err(_) => {
                for (request, (source, source_bytes)) in
                    prepared.into_requests().into_iter().zip(batch.sources)
                {
                    self.one_by_one(request, source, report, progress).await?;
                    progress.advance(1, source_bytes);
                }
                Ok(())
            }
        }
    }

    /// Appends one message on its own (after its batch was refused), with
    /// the UID it asked for only if that is still free.
    async fn one_by_one(
        &mut self,
        mut request: AppendRequest,
        source: String,
        report: &mut Report,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        let next = self
            .engine
            .mailbox(self.account.id, &self.report.mailbox)
            .await?
            .uidnext;
        request.uid = request.uid.filter(|&u| u >= next);
        let bytes = request.raw.len() as u64;
        match self
            .engine
            .append(self.account, &self.report.mailbox, vec![request], None)
            .await
        {
            Ok(outcome) => self.stored(bytes, &outcome.uids),
            Err(e @ EngineError::OverQuota(_)) => return Err(e.into()),
            Err(e) => self.fail(
                Failure {
                    source,
                    reason: e.to_string(),
                },
                report,
                progress,
            ),
        }
        Ok(())
    }

    /// Counts the messages stored with `uids`; batches planned after them
    /// continue above.
    fn stored(&mut self, bytes: u64, uids: &[u32]) {
        self.report.imported += uids.len() as u64;
        self.report.bytes += bytes;
        if let Some(&last) = uids.last() {
            self.planned_next = self.planned_next.max(last.saturating_add(1));
        }
    }

    fn fail(&mut self, failure: Failure, report: &mut Report, progress: &mut dyn Progress) {
        progress.failed(&failure);
        self.report.failed += 1;
        report.failures.push(failure);
    }

    /// Stores every batch `batches` brings: the next one is prepared while
    /// one commits (and the reader reads the one after).
    async fn run(
        &mut self,
        mut batches: tokio::sync::mpsc::Receiver<ReadBatch>,
        report: &mut Report,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        let mut in_flight: Option<InFlight> = None;
        while let Some(batch) = batches.recv().await {
            let next = self.plan(batch, report, progress);
            if let Some(previous) = in_flight.take() {
                self.commit(previous, report, progress).await?;
            }
            in_flight = next;
        }
        if let Some(last) = in_flight {
            self.commit(last, report, progress).await?;
        }
        Ok(())
    }
}

/// Runs `produce` on a blocking thread, giving it a channel to send batches
/// on (one waits while the importer is busy, so reading stays one batch
/// ahead); its result says whether the source was read to its end.
fn spawn_reader(
    produce: impl FnOnce(&tokio::sync::mpsc::Sender<ReadBatch>) -> Result<()> + Send + 'static,
) -> (
    tokio::sync::mpsc::Receiver<ReadBatch>,
    tokio::task::JoinHandle<Result<()>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    (rx, tokio::task::spawn_blocking(move || produce(&tx)))
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

/// Reads the files of `entries` (one batch); a file over `max` bytes (as
/// it will be stored) is reported, not read.
fn read_entries(entries: Vec<Entry>, max: u64) -> ReadBatch {
    entries
        .into_iter()
        .map(|e| {
            let source = e.path.display().to_string();
            let fail = |reason: String| {
                Err((
                    Failure {
                        source: source.clone(),
                        reason,
                    },
                    e.size,
                ))
            };
            if e.size > max {
                return fail(too_large(e.size, max));
            }
            match std::fs::read(&e.path) {
                Ok(raw) => {
                    let stored = to_crlf(&raw).into_owned();
                    if stored.len() as u64 > max {
                        return fail(too_large(stored.len() as u64, max));
                    }
                    Ok(Candidate {
                        source: source.clone(),
                        raw: stored,
                        flags: e.flags,
                        internal_date: e.mtime,
                        uid: e.uid,
                        source_bytes: raw.len() as u64,
                    })
                }
                Err(err) => fail(err.to_string()),
            }
        })
        .collect()
}

fn too_large(size: u64, max: u64) -> String {
    format!("{size} bytes, over the {max}-byte limit on a message")
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
        blocking("reading the tree", move || Tree::open(&root)).await??
    };
    let target_name = |folder: &str| match into {
        None => folder.to_owned(),
        Some(prefix) if folder == "INBOX" => prefix.to_owned(),
        Some(prefix) => format!("{prefix}/{folder}"),
    };
    // List every folder first: the total for progress, and a tree that
    // cannot be listed fails before anything is stored.
    let mut listed = Vec::new();
    for folder in &tree.folders {
        let f = folder.clone();
        let entries = blocking("listing a folder", move || f.entries()).await??;
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
        let limits = options.clone();
        let max = options.max_message_bytes;
        let (batches, reader) = spawn_reader(move |tx| {
            let ends = batch_ends(&entries, &limits, |e| e.size);
            let mut files = entries.into_iter();
            let mut start = 0;
            for end in ends {
                let batch: Vec<Entry> = files.by_ref().take(end - start).collect();
                start = end;
                if tx.blocking_send(read_entries(batch, max)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        target.run(batches, &mut report, progress).await?;
        joined("reading the source", reader).await??;
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
        blocking("opening the file", move || -> Result<_> {
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
    let (max_n, max_bytes) = (options.batch_messages, options.batch_bytes);
    let path = file.to_owned();
    let quoting = options.quoting;
    let max = options.max_message_bytes;
    let (batches, reader) = spawn_reader(move |tx| {
        let mut reader = Reader::new(input, quoting).max_message(max);
        loop {
            let mut batch: ReadBatch = Vec::new();
            let mut bytes = 0usize;
            while batch.len() < max_n && bytes < max_bytes {
                match reader.next() {
                    Some(Ok(m)) => {
                        bytes += m.raw.len();
                        batch.push(candidate(&name, m, max));
                    }
                    Some(Err(e)) => {
                        // What was read before the error is still stored.
                        let _ = tx.blocking_send(batch);
                        return Err(TransferError::io(&path)(e));
                    }
                    None => {
                        if !batch.is_empty() {
                            let _ = tx.blocking_send(batch);
                        }
                        return Ok(());
                    }
                }
            }
            if tx.blocking_send(batch).is_err() {
                return Ok(());
            }
        }
    });
    let stored = target.run(batches, &mut report, progress).await;
    report.mailboxes.push(target.report);
    stored?;
    joined("reading the source", reader).await??;
    Ok(report)
}

/// Now, Unix seconds: the INTERNALDATE of a message whose `From ` line has
/// no date.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn candidate(file: &str, m: MboxMessage, max: u64) -> Result<Candidate, (Failure, u64)> {
    let source = format!("{file}:{}", m.line);
    let size = m.too_large.unwrap_or(m.raw.len() as u64);
    if size > max {
        let reason = too_large(size, max);
        return Err((Failure { source, reason }, size));
    }
    Ok(Candidate {
        source,
        raw: m.raw,
        flags: m.flags,
        internal_date: m.internal_date.unwrap_or_else(now),
        uid: None,
        source_bytes: size,
    })
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
