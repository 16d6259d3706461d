//! Moving mail in and out in bulk (`hadron import`, `hadron export`): what
//! an import needs besides [`Engine::append`] (keeping its source's
//! UIDVALIDITY and UIDs, finding what a resumed run already added) and the
//! reads of an export (messages with their flags, dates and bodies).

use hadron_store::MailboxId;

use super::*;

/// A stored message as an export writes it ([`Engine::export_messages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedMessage {
    /// Its UID.
    pub uid: u32,
    /// Its flags and keywords (without `\Recent`, which belongs to a session).
    pub flags: FlagSet,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: i64,
    /// The message as stored (CRLF line ends).
    pub raw: Vec<u8>,
}

impl Engine {
    /// Gives mailbox `id`, if it has never held a message, the UIDVALIDITY
    /// of the mailbox an import copies ([`Store::adopt_uid_validity`]);
    /// `false` when it already held messages under another one, so the
    /// import must let the mailbox choose UIDs.
    pub async fn adopt_uid_validity(
        &self,
        id: MailboxId,
        uidvalidity: u32,
    ) -> Result<bool, EngineError> {
        self.blocking(move |store, _| Ok(store.adopt_uid_validity(id, uidvalidity)?))
            .await
    }

    /// Raises mailbox `id`'s UIDNEXT to `uidnext` (never lowers it); returns
    /// the UIDNEXT afterwards.
    pub async fn raise_uidnext(&self, id: MailboxId, uidnext: u32) -> Result<u32, EngineError> {
        self.blocking(move |store, _| Ok(store.raise_uidnext(id, uidnext)?))
            .await
    }

    /// Every message of mailbox `id` as `(uid, content hash)` in UID order
    /// ([`hadron_store::content_hash`] of its bytes): what a resumed import
    /// compares its source with.
    pub async fn content_hashes(&self, id: MailboxId) -> Result<Vec<(u32, String)>, EngineError> {
        self.blocking(move |store, _| Ok(store.content_hashes(id)?))
            .await
    }

    /// The messages of mailbox `id` among `uids`, in UID order, with their
    /// flags, INTERNALDATE and bytes. A message expunged meanwhile is left
    /// out; an unreadable body is an error.
    pub async fn export_messages(
        &self,
        id: MailboxId,
        uids: UidSet,
    ) -> Result<Vec<ExportedMessage>, EngineError> {
        self.blocking(move |store, blobs| {
            let keywords = store.keywords(id)?;
            let flags: HashMap<u32, FlagSet> = store
                .fetch_flags(id, &uids)?
                .iter()
                .map(|f| (f.uid, flags_from_store(f, &keywords).0))
                .collect();
            let mut out = Vec::new();
            for m in store.fetch_messages(id, &uids)? {
                let Some(flags) = flags.get(&m.uid) else {
                    continue;
                };
                out.push(ExportedMessage {
                    uid: m.uid,
                    flags: flags.clone(),
                    internal_date: m.meta.internal_date,
                    raw: blobs.get(&m.meta.content_hash)?,
                });
            }
            Ok(out)
        })
        .await
    }
}
