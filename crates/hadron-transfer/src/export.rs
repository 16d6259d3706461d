//! Exporting a user's mail: every mailbox to a Maildir++ tree, or one
//! mailbox to an mbox file, with flags, keywords and INTERNALDATEs.
//!
//! The tree carries a `dovecot-uidlist` per folder and the `subscriptions`
//! file, so Dovecot (or `hadron import`) reading it keeps UIDVALIDITY, UIDs
//! and subscriptions: import → export → import gives the same mailboxes.
//! Messages are read in batches through [`Engine::export_messages`].

use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use hadron_state::engine::{Account, Engine, EngineError, ExportedMessage};
use hadron_store::{MailboxInfo, UidSet};

use crate::import::{Progress, Total};
use crate::maildir::{FolderWriter, write_subscriptions};
use crate::mbox::Writer;
use crate::{Result, TransferError, blocking};

/// Messages read from the store at a time.
const BATCH: usize = 500;

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Mailboxes written, with their message counts.
    pub mailboxes: Vec<(String, u64)>,
    /// Mailboxes that could not be written, and why (a name Maildir++
    /// cannot hold).
    pub skipped: Vec<(String, String)>,
    /// Keywords a Maildir file name could not carry (over 26 in a folder),
    /// by mailbox.
    pub lost_keywords: Vec<(String, Vec<String>)>,
}

impl Report {
    /// Messages written.
    pub fn messages(&self) -> u64 {
        self.mailboxes.iter().map(|(_, n)| n).sum()
    }
}

/// Hands every message of `mailbox` to `write`, a batch at a time, in UID
/// order, on a blocking thread (the files are written there, never on the
/// async runtime); `state` (the writer) travels with each batch. Returns it
/// and how many messages there were.
async fn each_batch<S: Send + 'static>(
    engine: &Engine,
    mailbox: &MailboxInfo,
    progress: &mut dyn Progress,
    mut state: S,
    write: fn(&mut S, &[ExportedMessage]) -> Result<()>,
) -> Result<(S, u64)> {
    let uids: Vec<u32> = engine
        .content_hashes(mailbox.id)
        .await?
        .into_iter()
        .map(|(uid, _)| uid)
        .collect();
    let mut count = 0;
    for chunk in uids.chunks(BATCH) {
        let batch = engine
            .export_messages(mailbox.id, UidSet::from_uids(chunk.iter().copied()))
            .await?;
        let bytes = batch.iter().map(|m| m.raw.len() as u64).sum();
        count += batch.len() as u64;
        state = blocking("writing a batch", move || {
            write(&mut state, &batch).map(|()| state)
        })
        .await??;
        // A message expunged meanwhile is not there: it still counts as done.
        progress.advance(chunk.len() as u64, bytes);
    }
    Ok((state, count))
}

/// Writes every mailbox of `account` (or only `only` and the mailboxes
/// below it) to a Maildir++ tree at `root`, created if needed; INBOX is the
/// root. A tree already there gets the files added beside its own.
pub async fn maildir(
    engine: &Arc<Engine>,
    account: &Account,
    root: &Path,
    only: Option<&str>,
    progress: &mut dyn Progress,
) -> Result<Report> {
    let (all, mut subscribed) = engine.mailboxes_and_subscriptions(account.id).await?;
    let chosen: Vec<MailboxInfo> = all
        .into_iter()
        .filter(|m| match only {
            None => true,
            Some(o) => m.name == o || m.name.starts_with(&format!("{o}/")),
        })
        .collect();
    if let Some(o) = only
        && chosen.is_empty()
    {
        return Err(EngineError::NoSuchMailbox(o.to_owned()).into());
    }
    progress.begin(Total::Messages(chosen.iter().map(|m| m.messages).sum()));
    let mut report = Report::default();
    for mailbox in &chosen {
        progress.folder(&mailbox.name);
        let writer =
            match FolderWriter::create(root, &mailbox.name, mailbox.uidvalidity, mailbox.uidnext) {
                Ok(w) => w,
                Err(TransferError::Format { reason, .. }) => {
                    report.skipped.push((mailbox.name.clone(), reason));
                    continue;
                }
                Err(e) => return Err(e),
            };
        let (writer, count) = each_batch(engine, mailbox, progress, writer, |w, batch| {
            batch
                .iter()
                .try_for_each(|m| w.write(m.uid, &m.flags, m.internal_date, &m.raw))
        })
        .await?;
        let lost = blocking("writing a folder", move || writer.finish()).await??;
        if !lost.is_empty() {
            report.lost_keywords.push((mailbox.name.clone(), lost));
        }
        report.mailboxes.push((mailbox.name.clone(), count));
    }
    subscribed.retain(|s| chosen.iter().any(|m| &m.name == s));
    write_subscriptions(root, &subscribed)?;
    Ok(report)
}

/// Writes `account`'s mailbox `mailbox` to the mbox file `file` (replaced
/// if it exists).
pub async fn mbox(
    engine: &Arc<Engine>,
    account: &Account,
    mailbox: &str,
    file: &Path,
    progress: &mut dyn Progress,
) -> Result<Report> {
    let info = engine.mailbox(account.id, mailbox).await?;
    let out = std::fs::File::create(file).map_err(TransferError::io(file))?;
    let writer = (
        Writer::new(BufWriter::with_capacity(1 << 20, out)),
        file.to_owned(),
    );
    progress.begin(Total::Messages(info.messages));
    progress.folder(&info.name);
    let ((writer, path), count) =
        each_batch(engine, &info, progress, writer, |(w, path), batch| {
            batch.iter().try_for_each(|m| {
                w.write(&m.raw, &m.flags, m.internal_date)
                    .map_err(TransferError::io(path.as_path()))
            })
        })
        .await?;
    blocking("writing the mbox file", move || -> Result<()> {
        let buffered = writer.into_inner().map_err(TransferError::io(&path))?;
        buffered
            .into_inner()
            .map_err(|e| TransferError::io(&path)(e.into_error()))?
            .sync_all()
            .map_err(TransferError::io(&path))
    })
    .await??;
    Ok(Report {
        mailboxes: vec![(info.name, count)],
        ..Report::default()
    })
}
