//! Message mutations: STORE, EXPUNGE, COPY and MOVE (APPEND is in
//! `append.rs`), each as
//! *connector call → store commit → hub publish* (see the [module
//! docs](super)), with the tombstones that let other sessions FETCH what
//! they have not yet been told is expunged.

use super::*;

impl Engine {
    /// STORE (and FETCH's implicit `\Seen`): asks the connector, changes the
    /// flags, publishes the messages whose flags changed. Returns their
    /// complete new flags, in UID order.
    pub async fn store_flags(
        &self,
        account: &Account,
        mailbox: &MailboxInfo,
        uids: Vec<u32>,
        mode: FlagMode,
        flags: FlagSet,
        origin: Option<SessionId>,
    ) -> Result<Vec<(u32, FlagSet)>, EngineError> {
        let change = FlagStore {
            mode,
            flags,
            unchanged_since: None,
        };
        Ok(self
            .store_flags_if(account, mailbox, uids, change, origin)
            .await?
            .changed)
    }

    /// [`Engine::store_flags`] with CONDSTORE's `UNCHANGEDSINCE` test
    /// (RFC 7162 §3.1.3) when `change` has one: messages whose mod-sequence
    /// is above it are left alone, atomically with the change of the
    /// others, and listed in [`FlagsStored::modified`]. The connector is
    /// asked only for the messages that passed the test when it was read
    /// (just before); one that fails at the write is still reported as
    /// modified.
    pub async fn store_flags_if(
        &self,
        account: &Account,
        mailbox: &MailboxInfo,
        mut uids: Vec<u32>,
        change: FlagStore,
        origin: Option<SessionId>,
    ) -> Result<FlagsStored, EngineError> {
        let mut modified = Vec::new();
        if let Some(limit) = change.unchanged_since {
            let (id, set) = (mailbox.id, UidSet::from_uids(uids.iter().copied()));
            let newer: Vec<u32> = self
                .blocking(move |store, _| {
                    Ok(store
                        .changed_since(id, &set, limit)?
                        .into_iter()
                        .map(|m| m.uid)
                        .collect())
                })
                .await?;
            if !newer.is_empty() {
                uids.retain(|u| newer.binary_search(u).is_err());
                modified = newer;
            }
        }
        if uids.is_empty() {
            return Ok(FlagsStored {
                modseq: 0,
                changed: Vec::new(),
                modified,
            });
        }
        self.connector
            .set_flags(
                &account.name,
                &mailbox.name,
                &uids,
                change.mode,
                &change.flags,
            )
            .await?;
        let mut stored = self.commit_flags(mailbox.id, uids, change, origin).await?;
        if !modified.is_empty() {
            stored.modified.extend(modified);
            stored.modified.sort_unstable();
            stored.modified.dedup();
        }
        Ok(stored)
    }

    pub(crate) async fn commit_flags(
        &self,
        id: hadron_store::MailboxId,
        uids: Vec<u32>,
        change: FlagStore,
        origin: Option<SessionId>,
    ) -> Result<FlagsStored, EngineError> {
        let op = match change.mode {
            FlagMode::Add => FlagOp::Add,
            FlagMode::Remove => FlagOp::Remove,
            FlagMode::Replace => FlagOp::Replace,
        };
        let (bits, keywords) = flags_to_store(&change.flags);
        let edit = FlagEdit {
            op,
            flags: bits,
            keywords,
            unchanged_since: change.unchanged_since,
        };
        let feed = self.feed.clone();
        self.ordered_write(id, move |store, done| {
            let set = UidSet::from_uids(uids);
            store.store_flags_then(id, &set, edit, move |r| {
                done(r.map(|(changes, names)| {
                    let changed: Vec<(u32, FlagSet)> = changes
                        .changed
                        .iter()
                        .map(|m| (m.uid, flags_from_store(m, &names).0))
                        .collect();
                    if !changed.is_empty() {
                        feed.publish_local(
                            id,
                            changes.modseq,
                            None,
                            Update::FlagsChanged {
                                changes: changed
                                    .iter()
                                    .map(|(uid, flags)| FlagChange {
                                        uid: *uid,
                                        flags: flags.clone(),
                                        modseq: Some(changes.modseq),
                                    })
                                    .collect(),
                                origin,
                            },
                        );
                    }
                    FlagsStored {
                        modseq: changes.modseq,
                        changed,
                        modified: changes.modified,
                    }
                }))
            })
        })
        .await
    }

    /// EXPUNGE / UID EXPUNGE / CLOSE: expunges the messages of
    /// `candidates` that have `\Deleted` in the store. The session brings
    /// its snapshot up to date before choosing them, so that messages
    /// flagged or added by others count too (RFC 3501 §6.4.3: *all*
    /// messages with `\Deleted`). Returns the expunged UIDs.
    pub async fn expunge_deleted(
        &self,
        account: &Account,
        mailbox: &MailboxInfo,
        candidates: UidSet,
        origin: Option<SessionId>,
    ) -> Result<Vec<u32>, EngineError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let id = mailbox.id;
        let shared = self.shared(id);
        let guard = shared.write.lock().await;
        // The candidates with \Deleted, and (when others may still FETCH
        // them) their metadata for the tombstones, in one blocking trip.
        let keep = self.keeps_tombstones(id, origin);
        let small = candidates.len() <= SMALL_READ_ROWS;
        let read = move |store: &Store, _: &dyn BlobStore| {
            let uids: Vec<u32> = store
                .fetch_flags(id, &candidates)?
                .into_iter()
                .filter(|m| m.flags.contains(StoreFlags::DELETED))
                .map(|m| m.uid)
                .collect();
            let kept = if keep && !uids.is_empty() {
                store.fetch_messages(id, &UidSet::from_uids(uids.iter().copied()))?
            } else {
                Vec::new()
            };
            Ok((uids, kept))
        };
        let (uids, kept) = self.read_sized(small, read).await?;
        if uids.is_empty() {
            return Ok(uids);
        }
        self.connector
            .remove_messages(&account.name, &mailbox.name, &uids)
            .await?;
        self.commit_expunge_locked(&shared, guard, id, uids, origin, Some(kept))
            .await
    }

    /// Whether an expunge in `id` by `origin` must keep tombstones: some
    /// other session has the mailbox selected and may still FETCH.
    fn keeps_tombstones(&self, id: hadron_store::MailboxId, origin: Option<SessionId>) -> bool {
        self.hub.subscribers(hub_id(id)) > usize::from(origin.is_some())
    }

    /// Expunges `uids` in the store and publishes it; the caller holds the
    /// mailbox's write lock and hands it over: it is let go once the
    /// expunge is queued (see [`Engine::ordered_write`]), the tombstones
    /// registered before that. `prefetched`: the metadata of `uids`, if
    /// the caller read it already (read here when tombstones are needed).
    async fn commit_expunge_locked(
        &self,
        shared: &Arc<MailboxShared>,
        guard: tokio::sync::MutexGuard<'_, ()>,
        id: hadron_store::MailboxId,
        uids: Vec<u32>,
        origin: Option<SessionId>,
        prefetched: Option<Vec<StoredMessage>>,
    ) -> Result<Vec<u32>, EngineError> {
        // Others may still FETCH these until told: keep their metadata.
        let keep = self.keeps_tombstones(id, origin);
        // The collector stays off until the tombstones are registered.
        let gc = self.gc.read().await;
        let set = UidSet::from_uids(uids);
        let epoch = if keep {
            self.keep_tombstones(shared, id, &set, prefetched).await?
        } else {
            None
        };
        let (feed, after) = (self.feed.clone(), shared.clone());
        let queued = self
            .queue_write(shared, move |store, done| {
                store.expunge_then(id, &set, move |r| {
                    if let Ok(expunged) = &r
                        && !expunged.uids.is_empty()
                    {
                        feed.publish_local(
                            id,
                            expunged.modseq,
                            None,
                            Update::MessagesExpunged {
                                uids: expunged.uids.clone(),
                                origin,
                                modseq: Some(expunged.modseq),
                            },
                        );
                    }
                    // Published, or failed: either way the epoch is closed.
                    after.tombstones_published(epoch);
                    done(r.map(|e| e.uids));
                })
            })
            .await;
        drop((guard, gc));
        match queued {
            Ok(queued) => queued.result().await,
            Err(e) => {
                shared.tombstones_published(epoch);
                Err(e)
            }
        }
    }

    /// Removes `uids` from mailbox `id` with `remove` (an expunge or a
    /// move), keeping their metadata as tombstones first when `keep`: a
    /// FETCH or SEARCH of another session reads the store without waiting
    /// for the expunge to be published, and must find every row either
    /// there or here. Holds the garbage collector off until the tombstones
    /// are registered. Returns the removal's result and the tombstones'
    /// epoch, which the caller marks published after publishing; on a
    /// failed removal it is marked here, so the entries can be pruned.
    async fn remove_keeping<T: Send + 'static>(
        &self,
        shared: &MailboxShared,
        id: hadron_store::MailboxId,
        uids: Vec<u32>,
        keep: bool,
        remove: impl FnOnce(&Store, &UidSet) -> Result<T, hadron_store::StoreError> + Send + 'static,
    ) -> Result<(T, Option<u64>), EngineError> {
        let _gc = self.gc.read().await;
        let set = UidSet::from_uids(uids);
        let epoch = if keep {
            self.keep_tombstones(shared, id, &set, None).await?
        } else {
            None
        };
        match self
            .blocking(move |store, _| Ok(remove(store, &set)?))
            .await
        {
            Ok(done) => Ok((done, epoch)),
            Err(e) => {
                shared.tombstones_published(epoch);
                Err(e)
            }
        }
    }

    /// Keeps the metadata of `set` as tombstones under a new epoch (none if
    /// there is nothing to keep). `prefetched`: that metadata, if the caller
    /// read it already; else it is read here.
    async fn keep_tombstones(
        &self,
        shared: &MailboxShared,
        id: hadron_store::MailboxId,
        set: &UidSet,
        prefetched: Option<Vec<StoredMessage>>,
    ) -> Result<Option<u64>, EngineError> {
        let kept = match prefetched {
            Some(kept) if !kept.is_empty() => kept,
            _ => {
                let wanted = set.clone();
                self.blocking(move |store, _| Ok(store.fetch_messages(id, &wanted)?))
                    .await?
            }
        };
        if kept.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            shared
                .tombstones
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .keep(kept),
        ))
    }

    /// Removes messages whatever their flags (a backend deletion).
    pub(crate) async fn commit_expunge(
        &self,
        id: hadron_store::MailboxId,
        uids: Vec<u32>,
    ) -> Result<Vec<u32>, EngineError> {
        let shared = self.shared(id);
        let guard = shared.write.lock().await;
        self.commit_expunge_locked(&shared, guard, id, uids, None, None)
            .await
    }

    /// COPY: checks the quota (the copies count as new messages:
    /// [`EngineError::OverQuota`]), asks the connector, copies (content
    /// shared), publishes the additions to the destination.
    pub async fn copy(
        &self,
        account: &Account,
        from: &MailboxInfo,
        uids: Vec<u32>,
        to: &str,
    ) -> Result<CopyOutcome, EngineError> {
        let dst = self.mailbox(account.id, to).await?;
        if uids.is_empty() {
            return Ok(CopyOutcome {
                uid_validity: dst.uidvalidity,
                uid_map: Vec::new(),
            });
        }
        self.check_copy_quota(account, from.id, &uids).await?;
        let ids = self
            .connector
            .add_messages(&account.name, &from.name, &uids, &dst.name)
            .await?;
        let shared = self.shared(dst.id);
        let _guard = shared.write.lock().await;
        let (src, dst_id) = (from.id, dst.id);
        let copied = self
            .blocking(move |store, _| Ok(store.copy(src, &UidSet::from_uids(uids), dst_id)?))
            .await?;
        self.publish_copies(src, dst_id, &copied).await?;
        drop(_guard);
        self.tell_uids(account, &dst.name, ids, copied.uid_map.iter().map(|p| p.1))
            .await;
        Ok(CopyOutcome {
            uid_validity: copied.uidvalidity,
            uid_map: copied.uid_map,
        })
    }

    /// MOVE: asks the connector, moves atomically, publishes the additions
    /// to the destination and the expunges from the source. The quota is
    /// not checked: a move between the user's mailboxes leaves its usage
    /// unchanged.
    pub async fn move_messages(
        &self,
        account: &Account,
        from: &MailboxInfo,
        uids: Vec<u32>,
        to: &str,
        origin: Option<SessionId>,
    ) -> Result<CopyOutcome, EngineError> {
        let dst = self.mailbox(account.id, to).await?;
        if uids.is_empty() {
            return Ok(CopyOutcome {
                uid_validity: dst.uidvalidity,
                uid_map: Vec::new(),
            });
        }
        let ids = self
            .connector
            .move_messages(&account.name, &from.name, &uids, &dst.name)
            .await?;
        let (src_shared, dst_shared) = (self.shared(from.id), self.shared(dst.id));
        // Both write locks, in id order (no deadlock between crossing MOVEs).
        let (first, second) = if from.id <= dst.id {
            (&src_shared, &dst_shared)
        } else {
            (&dst_shared, &src_shared)
        };
        let _g1 = first.write.lock().await;
        let _g2 = if from.id == dst.id {
            None
        } else {
            Some(second.write.lock().await)
        };
        let (src, dst_id) = (from.id, dst.id);
        let keep = self.keeps_tombstones(src, origin);
        let ((copied, expunged), epoch) = self
            .remove_keeping(&src_shared, src, uids, keep, move |store, set| {
                store.move_messages(src, set, dst_id)
            })
            .await?;
        // The originals go first: a MOVE into the selected mailbox itself
        // then reads `* n EXPUNGE` before the copy's `* m EXISTS`, as
        // clients expect (and as counting sequence numbers is easiest).
        if !expunged.uids.is_empty() {
            // Into the mailbox itself: the copies are published next, by
            // this MOVE (not as another instance's additions).
            let own = (src == dst_id).then(|| copied.uid_map.first().map(|p| p.1));
            self.feed.publish_local(
                src,
                expunged.modseq,
                own.flatten(),
                Update::MessagesExpunged {
                    uids: expunged.uids,
                    origin,
                    modseq: Some(expunged.modseq),
                },
            );
        }
        src_shared.tombstones_published(epoch);
        self.publish_copies(src, dst_id, &copied).await?;
        drop((_g1, _g2));
        self.tell_uids(account, &dst.name, ids, copied.uid_map.iter().map(|p| p.1))
            .await;
        Ok(CopyOutcome {
            uid_validity: copied.uidvalidity,
            uid_map: copied.uid_map,
        })
    }

    /// Publishes copies into `dst`. The store marks copies `\Recent`; when a
    /// session will be given them by the hub, the stored bit is cleared so
    /// that no later SELECT claims them a second time — and only the copies
    /// whose bit this cleared go to a session here: on a database other
    /// instances share, one of them may have claimed some since the commit.
    async fn publish_copies(
        &self,
        _src: hadron_store::MailboxId,
        dst: hadron_store::MailboxId,
        copied: &hadron_store::Copied,
    ) -> Result<(), EngineError> {
        let uid_map = &copied.uid_map;
        if uid_map.is_empty() {
            return Ok(());
        }
        let new: Vec<u32> = uid_map.iter().map(|&(_, d)| d).collect();
        let selected = self.hub.recent_takers(hub_id(dst)) > 0;
        let (rows, claimed) = self
            .blocking(move |store, _| {
                let claimed = if selected {
                    claim_stored_recent(store, dst, new.iter().copied())?
                } else {
                    Vec::new()
                };
                let set = UidSet::from_uids(new);
                let names = store.keywords(dst)?;
                let rows = store
                    .fetch_flags(dst, &set)?
                    .iter()
                    .map(|m| AddedMessage {
                        uid: m.uid,
                        flags: flags_from_store(m, &names).0,
                    })
                    .collect::<Vec<_>>();
                Ok((rows, claimed))
            })
            .await?;
        // A session here gets \Recent for the copies claimed (or for all,
        // when nobody here takes \Recent: the stored bit then waits for a
        // SELECT), nobody for the others.
        let runs = recent_runs(rows, |u| !selected || claimed.binary_search(&u).is_ok());
        let (feed, modseq, first) = (self.feed.clone(), copied.modseq, uid_map[0].1);
        self.blocking(move |_, _| {
            // The first run catches up on others' changes before this write;
            // the rest follow it at the same mod-sequence.
            for (messages, mine) in runs {
                feed.publish_local(
                    dst,
                    modseq,
                    Some(first),
                    Update::MessagesAdded {
                        messages,
                        recent_for: (!mine).then_some(SessionId::NOBODY),
                        origin: None,
                        modseq: Some(modseq),
                    },
                );
            }
            Ok(())
        })
        .await
    }
}
