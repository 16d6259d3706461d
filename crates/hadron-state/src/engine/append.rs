//! APPEND: a message parsed at ingest, its body stored durably, then its
//! row committed in the mailbox's write order and published — as one call
//! ([`Engine::append`]), or in two halves a bulk import overlaps
//! ([`Engine::prepare_append`], [`Engine::append_prepared`]).

use super::*;

/// A message for [`Engine::append`].
#[derive(Debug, Clone)]
pub struct AppendRequest {
    /// The raw RFC 5322 message.
    pub raw: Vec<u8>,
    /// Initial flags.
    pub flags: FlagSet,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: i64,
    /// The UID to give it, for an import that keeps its source's UIDs
    /// ([`hadron_store::NewMessage::uid`]: at least the mailbox's next UID,
    /// ascending within one append); `None`, as for every client APPEND,
    /// takes the next.
    pub uid: Option<u32>,
}

/// Messages parsed and their bodies stored, waiting to be appended
/// ([`Engine::prepare_append`], then [`Engine::append_prepared`]).
#[derive(Debug)]
pub struct PreparedAppend {
    messages: Vec<AppendRequest>,
    rows: Vec<NewMessage>,
}

impl PreparedAppend {
    /// How many messages it holds.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The requests it was prepared from.
    pub fn requests(&self) -> &[AppendRequest] {
        &self.messages
    }

    /// The requests it was prepared from (to retry them another way).
    pub fn into_requests(self) -> Vec<AppendRequest> {
        self.messages
    }
}

/// Result of [`Engine::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The target mailbox.
    pub mailbox: MailboxInfo,
    /// Its UIDVALIDITY.
    pub uid_validity: u32,
    /// The new UIDs, in order.
    pub uids: Vec<u32>,
}

/// Messages of an APPEND from which parsing moves to other threads.
const PARALLEL_PARSE_MIN: usize = 8;

/// The store rows of APPENDed messages, their bodies stored durably in
/// `blobs` as one batch. Parsing runs on every core while the bodies are
/// written and synced, so a big MULTIAPPEND costs about the longer of the
/// two rather than their sum.
fn ingest(
    blobs: &dyn BlobStore,
    messages: &[AppendRequest],
) -> Result<Vec<NewMessage>, EngineError> {
    let bodies: Vec<&[u8]> = messages.iter().map(|m| m.raw.as_slice()).collect();
    let (hashes, mut rows) = if messages.len() < PARALLEL_PARSE_MIN {
        let hashes = blobs.put_many(&bodies);
        (hashes, messages.iter().map(new_message).collect())
    } else {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_thread = messages.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parsers: Vec<_> = messages
                .chunks(per_thread)
                .map(|chunk| scope.spawn(|| chunk.iter().map(new_message).collect::<Vec<_>>()))
                .collect();
            let hashes = blobs.put_many(&bodies);
            let mut rows = Vec::with_capacity(messages.len());
            for p in parsers {
                rows.extend(
                    p.join()
                        .map_err(|_| EngineError::Internal("a message parser panicked".into()))?,
                );
            }
            Ok::<_, EngineError>((hashes, rows))
        })?
    };
    for (row, hash) in rows.iter_mut().zip(hashes?) {
        row.meta.content_hash = hash;
    }
    Ok(rows)
}

/// The store row of an APPENDed message (its content hash still empty):
/// flags, and everything parsed at ingest.
fn new_message(m: &AppendRequest) -> NewMessage {
    let parsed = ParsedMessage::parse(&m.raw);
    let (flags, keywords) = flags_to_store(&m.flags);
    let mut row = NewMessage {
        flags,
        keywords,
        uid: m.uid,
        sent_day: crate::message::sent_date(&m.raw).map(|d| d.days_since_epoch() as i32),
        ..NewMessage::default()
    };
    let meta = &mut row.meta;
    meta.size = m.raw.len() as u64;
    meta.internal_date = m.internal_date;
    meta.sent_date = parsed.fields.sent_date;
    meta.envelope = parsed.envelope;
    meta.bodystructure = parsed.body_structure;
    meta.part_map = parsed.part_map.to_bytes();
    meta.sort_keys = Some(crate::sort::keys_of_fields(&parsed.fields));
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    meta.subject = non_empty(parsed.fields.subject);
    meta.from = non_empty(parsed.fields.from);
    meta.to = non_empty(parsed.fields.to);
    meta.cc = non_empty(parsed.fields.cc);
    meta.thread_refs = Some(parsed.fields.thread_links.to_stored());
    // RFC 8970 §3.2: a message without text has an empty preview.
    meta.preview = Some(parsed.preview.unwrap_or_default());
    meta.thread_id = parsed
        .fields
        .thread_root
        .as_deref()
        .map(crate::objectid::thread_id);
    row
}

impl Engine {
    /// APPEND: checks the quota for all the messages together (refused
    /// whole: [`EngineError::OverQuota`]), parses each message at ingest,
    /// asks the connector, stores bodies then rows in one transaction,
    /// publishes the additions.
    pub async fn append(
        &self,
        account: &Account,
        mailbox: &str,
        messages: Vec<AppendRequest>,
        origin: Option<SessionId>,
    ) -> Result<AppendOutcome, EngineError> {
        let info = self.mailbox(account.id, mailbox).await?;
        let ids = self.admit(account, &info, &messages).await?;
        let name = info.name.clone();
        let done = self.commit_append(info, messages, origin).await?;
        self.tell_uids(account, &name, ids, done.uids.iter().copied())
            .await;
        Ok(done)
    }

    /// What every APPEND asks before it stores anything: the quota for all
    /// the messages together, then the connector; returns the backend's ids.
    async fn admit(
        &self,
        account: &Account,
        info: &MailboxInfo,
        messages: &[AppendRequest],
    ) -> Result<Vec<crate::connector::BackendId>, EngineError> {
        let size = messages.iter().map(|m| m.raw.len() as u64).sum();
        self.check_quota(account, messages.len() as u64, size)
            .await?;
        let outgoing: Vec<OutgoingMessage<'_>> = messages
            .iter()
            .map(|m| OutgoingMessage {
                raw: &m.raw,
                flags: &m.flags,
                internal_date: m.internal_date,
            })
            .collect();
        Ok(self
            .connector
            .create_messages(&account.name, &info.name, &outgoing)
            .await?)
    }

    /// [`Connector::uids_assigned`], when the backend returned one id per
    /// new message.
    pub(super) async fn tell_uids(
        &self,
        account: &Account,
        mailbox: &str,
        ids: Vec<crate::connector::BackendId>,
        uids: impl ExactSizeIterator<Item = u32>,
    ) {
        if !ids.is_empty() && ids.len() == uids.len() {
            let pairs: Vec<_> = ids.into_iter().zip(uids).collect();
            self.connector
                .uids_assigned(&account.name, mailbox, &pairs)
                .await;
        }
    }

    /// The first half of an APPEND, for callers that overlap it with the
    /// previous batch's commit (a bulk import): parses each message and
    /// stores its body durably. Nothing is visible until
    /// [`Engine::append_prepared`]; bodies of a batch never appended are
    /// collected as garbage.
    pub async fn prepare_append(
        &self,
        messages: Vec<AppendRequest>,
    ) -> Result<PreparedAppend, EngineError> {
        let (messages, rows) = self
            .blocking(move |_, blobs| {
                let rows = ingest(blobs, &messages)?;
                Ok((messages, rows))
            })
            .await?;
        Ok(PreparedAppend { messages, rows })
    }

    /// The second half of an APPEND ([`Engine::prepare_append`]): checks
    /// the quota, asks the connector, commits the rows and publishes the
    /// additions, as [`Engine::append`] does. The batch stays the caller's,
    /// to retry otherwise if this fails (its rows are copied for the
    /// commit).
    pub async fn append_prepared(
        &self,
        account: &Account,
        mailbox: &str,
        prepared: &PreparedAppend,
        origin: Option<SessionId>,
    ) -> Result<AppendOutcome, EngineError> {
        let info = self.mailbox(account.id, mailbox).await?;
        let ids = self.admit(account, &info, &prepared.messages).await?;
        let name = info.name.clone();
        let flags = prepared.messages.iter().map(|m| m.flags.clone()).collect();
        let done = self
            .commit_rows(info, flags, prepared.rows.clone(), origin)
            .await?;
        self.tell_uids(account, &name, ids, done.uids.iter().copied())
            .await;
        Ok(done)
    }

    pub(crate) async fn commit_append(
        &self,
        info: MailboxInfo,
        messages: Vec<AppendRequest>,
        origin: Option<SessionId>,
    ) -> Result<AppendOutcome, EngineError> {
        let flags: Vec<FlagSet> = messages.iter().map(|m| m.flags.clone()).collect();
        // Parsing and the durable body writes need no ordering: they run
        // before the mailbox's lock, so concurrent APPENDs overlap them and
        // the lock covers only the row commit and the publish.
        let rows = self
            .blocking(move |_, blobs| ingest(blobs, &messages))
            .await?;
        self.commit_rows(info, flags, rows, origin).await
    }

    /// Commits the rows of parsed messages whose bodies are stored, in the
    /// mailbox's write order, and publishes them.
    async fn commit_rows(
        &self,
        info: MailboxInfo,
        flags: Vec<FlagSet>,
        mut rows: Vec<NewMessage>,
        origin: Option<SessionId>,
    ) -> Result<AppendOutcome, EngineError> {
        let id = info.id;
        // \Recent is stored only for messages no session will be given it
        // by the hub: the next SELECT claims those. Decided under the
        // mailbox's lock, as sessions subscribe under it too.
        let (hub, feed) = (self.hub.clone(), self.feed.clone());
        let appended = self
            .ordered_write(id, move |store, done| {
                if hub.recent_takers(hub_id(id)) == 0 {
                    for row in &mut rows {
                        row.flags |= StoreFlags::RECENT;
                    }
                }
                store.append_then(id, rows, move |r| {
                    done(r.inspect(|appended| {
                        let added = appended
                            .uids
                            .iter()
                            .zip(flags)
                            .map(|(&uid, flags)| AddedMessage { uid, flags })
                            .collect();
                        feed.publish_local(
                            id,
                            appended.modseq,
                            appended.uids.first().copied(),
                            Update::MessagesAdded {
                                messages: added,
                                recent_for: None,
                                origin,
                                modseq: Some(appended.modseq),
                            },
                        );
                    }))
                })
            })
            .await?;
        self.appended.fetch_add(
            appended.uids.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        Ok(AppendOutcome {
            mailbox: info,
            uid_validity: appended.uidvalidity,
            uids: appended.uids,
        })
    }
}
