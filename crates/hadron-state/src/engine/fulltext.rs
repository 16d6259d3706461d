//! The background indexer of the full-text index (SEARCH BODY and TEXT):
//! APPEND stores messages without their index text, so ingest pays nothing
//! for it, and this job computes the text of the messages the store lists
//! as waiting and hands it back in batches. Until a message is indexed,
//! SEARCH reads it as it reads any message the index does not hold: the
//! answers are the same either way, only slower.

use hadron_store::IndexText;

use super::{Engine, EngineError};
use crate::message::{self, Structure};
use crate::search::text::fold;

/// What the full-text index holds for message `raw`: its decoded header and
/// body text, lowercased exactly as SEARCH lowercases needles, so that the
/// index answers as reading the message would.
pub(crate) fn index_text(raw: &[u8]) -> IndexText {
    let structure = Structure::parse(raw);
    IndexText {
        header: fold(&message::header_text(raw)),
        body: fold(&message::body_text(raw, &structure.part_map)),
    }
}

impl Engine {
    /// How many messages this engine has appended since it started: a
    /// background job that sees it move knows ingest is busy and can rest.
    pub fn appended(&self) -> u64 {
        self.appended.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Indexes up to `limit` of the messages the full-text index waits
    /// for (the oldest first), in one store transaction, and returns how
    /// many were taken (0 when none waits). A message whose body cannot be
    /// read is marked as one the index cannot hold: SEARCH reads it (and
    /// reports the failure) as before.
    pub async fn index_pending_texts(&self, limit: usize) -> Result<usize, EngineError> {
        self.blocking(move |store, blobs| {
            let pending = store.pending_texts(limit)?;
            let taken = pending.len();
            let texts = pending
                .into_iter()
                .map(|(id, hash)| (id, blobs.get(&hash).ok().map(|raw| index_text(&raw))))
                .collect();
            store.index_texts(texts)?;
            Ok(taken)
        })
        .await
    }
}
