//! FETCH / UID FETCH (RFC 3501 §6.4.5).
//!
//! FLAGS and UID come from the snapshot. ENVELOPE, BODYSTRUCTURE, BODY,
//! INTERNALDATE, SAVEDATE (RFC 8514), PREVIEW (RFC 8970) and RFC822.SIZE come from the stored
//! metadata, read in batches (one query per batch). Sections, RFC822 forms and BINARY parts
//! come from the blob (`fetch_body`) and are written as deferred literals.
//!
//! A message stored before previews were kept has none: `PREVIEW` computes it from the body
//! and stores it for the next FETCH; `PREVIEW (LAZY)` answers `NIL` without reading the body
//! (RFC 8970 §4.1).
//! A message expunged elsewhere but not yet announced is answered from the
//! metadata the engine kept for it, or with its flags alone.
//!
//! A FETCH that fails changes no flag: one that sets `\Seen` and names a
//! BINARY part first checks, from the messages' structure, that every such
//! part decodes, and otherwise answers `NO [UNKNOWN-CTE]` before anything.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use hadron_proto::types::{
    BinaryData, BodyData, BodyStructure, Code, Data, DateTime, FetchAttribute, FetchItem,
    FetchItems, FetchModifier, IString, NString, Response, SequenceSet, StatusKind, Tag, WireList,
};
use hadron_store::{BlobStore, FetchColumns, MailboxId, Store, StoredMessage, UidSet};

use super::condstore::uid_set_of;
use super::fetch_body::{Content, names_binary_part, read_contents, reads_body, undecodable};
use super::messages::wire_uids;
use super::output::{Output, data, flag_fetch, nz, tagged};
use super::{ResponseSink, Session, no_for};
use crate::connector::FlagMode;
use crate::delivery::CommandContext;
use crate::engine::{Engine, EngineError, SMALL_READ_BYTES, SMALL_READ_ROWS};
use crate::flags::{FlagSet, SystemFlags};
use crate::objectid::{email_id, thread_object_id};

/// Messages per metadata query.
const META_BATCH: usize = 512;
/// Messages per batch when everything comes from the snapshot (FLAGS, UID,
/// MODSEQ): one flush of the output per batch.
const SNAPSHOT_BATCH: usize = 4096;
/// Messages per batch when bodies are read (bounds memory).
const BODY_BATCH: usize = 16;

/// Decodes a stored wire-form ENVELOPE or BODYSTRUCTURE into its typed
/// value by parsing it as the FETCH item it is.
fn decode_item(name: &str, wire: &[u8]) -> Option<FetchItem<'static>> {
    let mut line = format!("* 1 FETCH ({name} ").into_bytes();
    line.extend_from_slice(wire);
    line.extend_from_slice(b")\r\n");
    match hadron_proto::parse::response(&line).ok()? {
        Response::Data(Data::Fetch { mut items, .. }) if items.len() == 1 => {
            items.pop().map(FetchItem::into_static)
        }
        _ => None,
    }
}

/// A stored wire-form ENVELOPE or BODYSTRUCTURE, written as it is (the
/// store holds what the encoder wrote at ingest; bytes that fail the
/// lexical check are not sent).
fn stored(wire: &[u8]) -> Option<WireList<'static>> {
    WireList::new(wire.to_vec()).ok()
}

fn body_structure(wire: &[u8]) -> Option<Box<BodyStructure<'static>>> {
    match decode_item("BODYSTRUCTURE", wire)? {
        FetchItem::BodyStructure(b) => Some(b),
        _ => None,
    }
}

/// What a FETCH needs beyond the snapshot.
fn needs(attrs: &[FetchAttribute<'_>]) -> (bool, bool) {
    use FetchAttribute as A;
    let body = attrs.iter().any(reads_body);
    let meta = body
        || attrs.iter().any(|a| {
            matches!(
                a,
                A::Envelope
                    | A::InternalDate
                    | A::Rfc822Size
                    | A::Body
                    | A::BodyStructure
                    | A::EmailId
                    | A::ThreadId
                    | A::SaveDate
                    | A::Preview { .. }
            )
        });
    (meta, body)
}

/// Whether `attrs` ask for a preview that must be computed when the store
/// has none (`PREVIEW` without `LAZY`).
fn computes_previews(attrs: &[FetchAttribute<'_>]) -> bool {
    attrs
        .iter()
        .any(|a| matches!(a, FetchAttribute::Preview { lazy: false }))
}

/// The previews of `missing` (messages stored before previews were kept),
/// computed from their bodies, by UID (`""` for a message without text,
/// as RFC 8970 §3.2 answers it); stored back so that the next FETCH reads
/// them. A failure to store them is only logged: they are computed again.
fn compute_previews(
    store: &Store,
    blobs: &dyn BlobStore,
    missing: &[Arc<StoredMessage>],
) -> Result<Vec<(u32, String)>, EngineError> {
    let mut computed = Vec::with_capacity(missing.len());
    let mut stored = Vec::with_capacity(missing.len());
    for m in missing {
        let raw = blobs.get(&m.meta.content_hash)?;
        let preview = crate::message::preview(&raw).unwrap_or_default();
        stored.push((m.message, preview.clone()));
        computed.push((m.uid, preview));
    }
    if let Err(e) = store.store_previews(stored) {
        tracing::warn!("previews computed on FETCH not stored: {e}");
    }
    Ok(computed)
}

/// The large stored metadata and the save date `attrs` read: a FETCH of
/// ENVELOPE reads no BODYSTRUCTURE or part map, and no FETCH reads SEARCH's
/// and SORT's columns.
fn columns(attrs: &[FetchAttribute<'_>]) -> FetchColumns {
    use FetchAttribute as A;
    FetchColumns {
        envelope: attrs.contains(&A::Envelope),
        bodystructure: attrs
            .iter()
            .any(|a| matches!(a, A::Body | A::BodyStructure)),
        part_map: attrs.iter().any(reads_body),
        save_date: attrs.contains(&A::SaveDate),
        preview: attrs.iter().any(|a| matches!(a, A::Preview { .. })),
    }
}

/// Whether fetching `attrs` sets `\Seen` (RFC 3501: BODY[...] without
/// PEEK, RFC822, RFC822.TEXT; RFC 3516: BINARY[...] without PEEK).
fn sets_seen(attrs: &[FetchAttribute<'_>]) -> bool {
    attrs.iter().any(|a| {
        matches!(
            a,
            FetchAttribute::BodySection { peek: false, .. }
                | FetchAttribute::Binary { peek: false, .. }
                | FetchAttribute::Rfc822
                | FetchAttribute::Rfc822Text
        )
    })
}

/// `NO [UNKNOWN-CTE]` (RFC 3516 §4.3): a BINARY part cannot be decoded.
fn unknown_cte(tag: &Tag<'_>) -> Output {
    let why = "a part's Content-Transfer-Encoding cannot be decoded";
    tagged(tag, StatusKind::No, Some(Code::UnknownCte), why)
}

/// The stored metadata of `uids` in mailbox `id` (the `columns` asked
/// for), by UID; for those the store no longer lists, the engine's
/// tombstones and the rows other processes expunged. UIDs found nowhere are
/// left out.
fn read_metas(
    engine: &Engine,
    store: &Store,
    id: MailboxId,
    uids: &[u32],
    columns: FetchColumns,
) -> Result<HashMap<u32, Arc<StoredMessage>>, EngineError> {
    let rows = store.fetch_for_fetch(id, &UidSet::from_uids(uids.iter().copied()), columns)?;
    let mut metas: HashMap<u32, Arc<StoredMessage>> =
        rows.into_iter().map(|r| (r.uid, Arc::new(r))).collect();
    let missing: Vec<u32> = uids
        .iter()
        .copied()
        .filter(|u| !metas.contains_key(u))
        .collect();
    if !missing.is_empty() {
        for m in engine.expunged_metadata(store, id, &missing)? {
            metas.insert(m.uid, m);
        }
    }
    Ok(metas)
}

/// The FETCH modifiers of RFC 7162: `CHANGEDSINCE m` and whether
/// `VANISHED` was given.
fn modifiers_of(modifiers: &[FetchModifier]) -> (Option<u64>, bool) {
    let mut since = None;
    let mut vanished = false;
    for m in modifiers {
        match m {
            FetchModifier::ChangedSince(n) => since = Some(n.get()),
            FetchModifier::Vanished => vanished = true,
        }
    }
    (since, vanished)
}

impl Session {
    pub(super) async fn fetch(
        &mut self,
        tag: &Tag<'_>,
        uid: bool,
        set: &SequenceSet,
        items: &FetchItems<'_>,
        modifiers: &[FetchModifier],
        out: &mut dyn ResponseSink,
    ) {
        let mut attrs: Vec<FetchAttribute<'static>> = items
            .attributes()
            .into_iter()
            .map(FetchAttribute::into_static)
            .collect();
        let (changed_since, vanished) = modifiers_of(modifiers);
        if vanished && !(uid && changed_since.is_some() && self.qresync()) {
            // RFC 7162 §3.2.6.
            return out.send(tagged(
                tag,
                StatusKind::Bad,
                None,
                "VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC",
            ));
        }
        if changed_since.is_some() && !attrs.contains(&FetchAttribute::ModSeq) {
            // CHANGEDSINCE implies the MODSEQ item (RFC 7162 §3.1.4.1).
            attrs.push(FetchAttribute::ModSeq);
        }
        let want_modseq = attrs.contains(&FetchAttribute::ModSeq);
        if want_modseq {
            self.enable_condstore(out);
        }
        // With QRESYNC every FETCH names its message (RFC 7162 §3.2.4).
        if (uid || self.qresync()) && !attrs.contains(&FetchAttribute::Uid) {
            attrs.insert(0, FetchAttribute::Uid);
        }
        let Some(mut seqs) = self.resolve(tag, uid, set, out) else {
            return;
        };
        // Known mod-sequences, by UID: those CHANGEDSINCE read.
        let mut modseqs: HashMap<u32, u64> = HashMap::new();
        if let Some(since) = changed_since {
            // The changed rows come through the mod-sequence index, then
            // are matched with the set: the cost follows what changed,
            // not the size of the set.
            let asked = if uid { uid_set_of(set) } else { UidSet::all() };
            let found = match self.changes_since(&asked, since, vanished, 0).await {
                Ok(f) => f,
                Err(e) => return out.send(no_for(tag, &e)),
            };
            if let Some(uids) = wire_uids(found.vanished) {
                out.send(data(Data::Vanished {
                    earlier: true,
                    uids,
                }));
            }
            let mut hits: Vec<u32> = Vec::with_capacity(found.changed.len());
            for c in found.changed {
                if seqs.contains(c.seq) {
                    hits.push(c.seq);
                    modseqs.insert(c.uid, c.modseq);
                }
            }
            hits.sort_unstable();
            seqs = hits.into_iter().collect();
        }
        let condstore = self.condstore();
        let Some(m) = self.mailbox.as_ref() else {
            return;
        };
        let info = m.info.clone();

        if !m.read_only && sets_seen(&attrs) && names_binary_part(&attrs) {
            // Before \Seen is set: a FETCH that fails must change no flag.
            let snap = m.selected.snapshot();
            let uids: Vec<u32> = seqs.iter().filter_map(|s| snap.uid(s)).collect();
            match self.binary_parts_decode(info.id, uids, &attrs).await {
                Ok(true) => {}
                Ok(false) => return out.send(unknown_cte(tag)),
                Err(e) => return out.send(no_for(tag, &e)),
            }
        }

        // \Seen first, so that delivery below applies it to the snapshot.
        let mut seen_now: HashSet<u32> = HashSet::new();
        let mut issued = false;
        if !m.read_only && sets_seen(&attrs) {
            // Deliver first (FETCH may tell flag changes): the snapshot then
            // knows about a \Seen another session or the backend removed,
            // and the message is marked seen again (RFC 3501 §6.4.5).
            issued = self.deliver(CommandContext::Fetch, out);
            if self.logged_out {
                return;
            }
            let Some(m) = self.mailbox.as_ref() else {
                return;
            };
            let snap = m.selected.snapshot();
            let unseen: Vec<u32> = seqs
                .iter()
                .filter_map(|s| snap.get(s))
                .filter(|msg| !msg.pending_expunge && !msg.system.contains(SystemFlags::SEEN))
                .map(|msg| msg.uid)
                .collect();
            match self
                .engine
                .store_flags(
                    self.acct(),
                    &info,
                    unseen,
                    FlagMode::Add,
                    FlagSet::system(SystemFlags::SEEN),
                    Some(self.id),
                )
                .await
            {
                Ok(changed) => seen_now.extend(changed.into_iter().map(|(u, _)| u)),
                Err(e) => return out.send(no_for(tag, &e)),
            }
        }
        let issued = self.deliver(CommandContext::Fetch, out) || issued;
        if self.logged_out {
            return;
        }

        let (need_meta, need_body) = needs(&attrs);
        let wanted = columns(&attrs);
        let previews_computed = computes_previews(&attrs);
        let batch = match (need_meta, need_body) {
            (_, true) => BODY_BATCH,
            (true, false) => META_BATCH,
            (false, false) => SNAPSHOT_BATCH,
        };
        let all: Vec<u32> = seqs.iter().collect();
        for chunk in all.chunks(batch) {
            let Some(m) = self.mailbox.as_ref() else {
                return;
            };
            let snap = m.selected.snapshot();
            let uids: Vec<u32> = chunk.iter().filter_map(|&s| snap.uid(s)).collect();
            // MODSEQ when asked, or with FLAGS this FETCH changed (\Seen).
            let unknown: Vec<u32> = uids
                .iter()
                .copied()
                .filter(|u| {
                    (want_modseq || (condstore && seen_now.contains(u))) && !modseqs.contains_key(u)
                })
                .collect();
            if !unknown.is_empty() {
                let id = info.id;
                let small = unknown.len() as u64 <= SMALL_READ_ROWS;
                let read = move |store: &Store, _: &dyn BlobStore| {
                    Ok(store.fetch_flags(id, &UidSet::from_uids(unknown.clone()))?)
                };
                match self.engine.read_sized(small, read).await {
                    Ok(rows) => modseqs.extend(rows.into_iter().map(|r| (r.uid, r.modseq))),
                    Err(e) => return out.send(no_for(tag, &e)),
                }
            }
            let mut metas: HashMap<u32, Arc<StoredMessage>> = HashMap::new();
            let mut bodies: HashMap<u32, Vec<Content>> = HashMap::new();
            if need_meta {
                // Metadata and tombstones, then bodies: right here for a few
                // small messages (SQLite answers in microseconds), else each
                // in a trip to a blocking thread (two context switches).
                let (id, engine) = (info.id, self.engine.clone());
                let read = move |store: &Store, _: &dyn BlobStore| {
                    read_metas(&engine, store, id, &uids, wanted)
                };
                let small = chunk.len() as u64 <= SMALL_READ_ROWS;
                let read = self.engine.read_sized(small, read).await;
                match read {
                    Ok(m) => metas = m,
                    Err(e) => return out.send(no_for(tag, &e)),
                }
            }
            if previews_computed {
                let missing: Vec<Arc<StoredMessage>> = metas
                    .values()
                    .filter(|m| m.meta.preview.is_none())
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    // Bodies read and a write queued: never in place.
                    let read = move |store: &Store, blobs: &dyn BlobStore| {
                        compute_previews(store, blobs, &missing)
                    };
                    match self.engine.blocking(read).await {
                        Ok(computed) => {
                            for (uid, preview) in computed {
                                if let Some(m) = metas.get_mut(&uid) {
                                    Arc::make_mut(m).meta.preview = Some(preview);
                                }
                            }
                        }
                        Err(e) => return out.send(no_for(tag, &e)),
                    }
                }
            }
            if need_body {
                let wanted: Vec<Arc<StoredMessage>> = metas.values().cloned().collect();
                let size: u64 = wanted.iter().map(|m| m.meta.size).sum();
                let body_attrs = attrs.clone();
                let read = move |_: &Store, blobs: &dyn BlobStore| {
                    wanted
                        .iter()
                        .map(|m| Ok((m.uid, read_contents(blobs, &m.meta, &body_attrs)?)))
                        .collect::<Result<Vec<_>, crate::engine::EngineError>>()
                };
                let read = self.engine.read_sized(size <= SMALL_READ_BYTES, read).await;
                match read {
                    Ok(v) => bodies.extend(v),
                    Err(e) => return out.send(no_for(tag, &e)),
                }
                if bodies
                    .values()
                    .flatten()
                    .any(|c| matches!(c, Content::UnknownCte))
                {
                    return out.send(unknown_cte(tag));
                }
            }
            let Some(m) = self.mailbox.as_mut() else {
                return;
            };
            let snap = m.selected.snapshot();
            for &seq in chunk {
                let Some(msg) = snap.get(seq) else {
                    continue;
                };
                let meta = metas.get(&msg.uid);
                // (`remove` hashes even on an empty map: not for FLAGS alone.)
                let contents = if bodies.is_empty() {
                    Vec::new()
                } else {
                    bodies.remove(&msg.uid).unwrap_or_default()
                };
                let seen = seen_now.contains(&msg.uid);
                let modseq = modseqs
                    .get(&msg.uid)
                    .map(|&s| m.told.tell(msg.uid, s, snap.modseq()));
                out.send(fetch_one(
                    seq,
                    msg.uid,
                    &msg.flags(),
                    msg.recent,
                    &attrs,
                    meta.map(|m| &**m),
                    contents,
                    seen.then_some(modseq.filter(|_| condstore)),
                    modseq,
                ));
            }
            // Let the output go to the client before the next batch.
            out.flush().await;
        }
        self.ok(tag, issued, "FETCH completed", out);
    }

    /// Whether every BINARY part `attrs` name decodes in each message of
    /// `uids` (see [`undecodable`]): the part maps read in metadata batches,
    /// before the FETCH changes anything.
    async fn binary_parts_decode(
        &self,
        id: MailboxId,
        uids: Vec<u32>,
        attrs: &[FetchAttribute<'static>],
    ) -> Result<bool, EngineError> {
        let columns = FetchColumns {
            part_map: true,
            ..FetchColumns::default()
        };
        for chunk in uids.chunks(META_BATCH) {
            let small = chunk.len() as u64 <= SMALL_READ_ROWS;
            let (chunk, engine, attrs) = (chunk.to_vec(), self.engine.clone(), attrs.to_vec());
            let read = move |store: &Store, blobs: &dyn BlobStore| {
                let metas = read_metas(&engine, store, id, &chunk, columns)?;
                for m in metas.values() {
                    if undecodable(blobs, &m.meta, &attrs)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            };
            if !self.engine.read_sized(small, read).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A body's content of `len` bytes, written by the caller.
fn body(len: u64) -> BodyData<'static> {
    BodyData::Deferred { len }
}

/// The `* seq FETCH (...)` of one message; `contents` holds the content of
/// each of its body attributes in order (empty when the message has none).
/// `seen_now`: this FETCH set `\Seen`, so FLAGS are sent even when not
/// asked for, with the new mod-sequence when CONDSTORE is on (`Some(m)`).
#[allow(clippy::too_many_arguments)]
fn fetch_one(
    seq: u32,
    uid: u32,
    flags: &FlagSet,
    recent: bool,
    attrs: &[FetchAttribute<'static>],
    meta: Option<&StoredMessage>,
    contents: Vec<Content>,
    seen_now: Option<Option<u64>>,
    modseq: Option<u64>,
) -> Output {
    use FetchAttribute as A;
    let mut items = Vec::with_capacity(attrs.len() + 1);
    let mut literals = Vec::new();
    let mut contents = contents.into_iter();
    // The next content's bytes as a deferred literal, and whether they hold
    // NUL; or the next BINARY.SIZE.
    let mut deferred = || match contents.next()? {
        Content::Bytes(bytes) => {
            let len = bytes.len() as u64;
            let nul = bytes.contains(&0);
            literals.push(bytes);
            Some((len, nul))
        }
        Content::Size(size) => Some((size, false)),
        Content::UnknownCte => None,
    };
    for a in attrs {
        match a {
            A::Flags => items.push(FetchItem::Flags(flag_fetch(flags, recent))),
            A::Uid => items.push(FetchItem::Uid(nz(uid))),
            A::InternalDate => {
                if let Some(d) =
                    meta.and_then(|m| DateTime::from_unix(m.meta.internal_date, 0).ok())
                {
                    items.push(FetchItem::InternalDate(d));
                }
            }
            A::Rfc822Size => {
                if let Some(m) = meta {
                    items.push(FetchItem::Rfc822Size(
                        u32::try_from(m.meta.size).unwrap_or(u32::MAX),
                    ));
                }
            }
            A::Envelope => {
                if let Some(w) = meta.and_then(|m| stored(&m.meta.envelope)) {
                    items.push(FetchItem::EnvelopeWire(w));
                }
            }
            A::BodyStructure => {
                if let Some(w) = meta.and_then(|m| stored(&m.meta.bodystructure)) {
                    items.push(FetchItem::BodyStructureWire(w));
                }
            }
            A::Body => {
                // The encoder writes BODY without extension data.
                if let Some(b) = meta.and_then(|m| body_structure(&m.meta.bodystructure)) {
                    items.push(FetchItem::Body(b));
                }
            }
            A::Rfc822 => items.extend(deferred().map(|(len, _)| FetchItem::Rfc822(body(len)))),
            A::Rfc822Header => {
                items.extend(deferred().map(|(len, _)| FetchItem::Rfc822Header(body(len))));
            }
            A::Rfc822Text => {
                items.extend(deferred().map(|(len, _)| FetchItem::Rfc822Text(body(len))));
            }
            A::BodySection {
                section, partial, ..
            } => items.extend(deferred().map(|(len, _)| FetchItem::BodySection {
                section: section.clone(),
                origin: partial.map(|(o, _)| o),
                data: body(len),
            })),
            A::ModSeq => items.extend(modseq.map(FetchItem::ModSeq)),
            A::EmailId => {
                if let Some(id) = meta.and_then(|m| email_id(&m.meta.content_hash)) {
                    items.push(FetchItem::EmailId(id));
                }
            }
            A::ThreadId => {
                if let Some(m) = meta {
                    items.push(FetchItem::ThreadId(thread_object_id(
                        m.meta.thread_id.as_deref(),
                    )));
                }
            }
            A::SaveDate => {
                // NIL for a message stored before save dates were kept (RFC
                // 8514 §4.2 answers NIL where the storage has none).
                if let Some(m) = meta {
                    let saved = m.save_date.and_then(|s| DateTime::from_unix(s, 0).ok());
                    items.push(FetchItem::SaveDate(saved));
                }
            }
            A::Preview { .. } => {
                // The stored (or just computed) preview; NIL for a message
                // stored without one when LAZY spared computing it.
                if let Some(m) = meta {
                    let text = m
                        .meta
                        .preview
                        .clone()
                        .and_then(|p| IString::try_from(p).ok());
                    items.push(FetchItem::Preview(NString(text)));
                }
            }
            A::Binary { part, partial, .. } => {
                items.extend(deferred().map(|(len, literal8)| FetchItem::Binary {
                    part: part.as_ref().map(|p| p.path().to_vec()).unwrap_or_default(),
                    origin: partial.map(|(o, _)| o),
                    data: BinaryData::Deferred { len, literal8 },
                }));
            }
            A::BinarySize { part } => {
                items.extend(deferred().map(|(size, _)| FetchItem::BinarySize {
                    part: part.as_ref().map(|p| p.path().to_vec()).unwrap_or_default(),
                    size: u32::try_from(size).unwrap_or(u32::MAX),
                }));
            }
        }
    }
    if let Some(seen_modseq) = seen_now {
        if !attrs.contains(&A::Flags) {
            items.push(FetchItem::Flags(flag_fetch(flags, recent)));
        }
        if let Some(m) = seen_modseq
            && !attrs.contains(&A::ModSeq)
        {
            items.push(FetchItem::ModSeq(m));
        }
    }
    Output {
        response: Response::Data(Data::Fetch {
            seq: nz(seq),
            items,
        }),
        literals,
    }
}
