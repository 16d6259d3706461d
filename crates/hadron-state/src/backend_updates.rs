//! Applying the changes that start in the backend ([`BackendUpdate`]):
//! stored, then fanned out like any client's change — without asking the
//! connector, which reported them.

use crate::connector::{Applied, BackendUpdate, PendingUpdate, UpdateReceiver};
use crate::engine::{Account, AppendRequest, Engine, EngineError, FlagStore};

impl Engine {
    /// Applies one backend update and reports the outcome on its
    /// completion handle.
    pub async fn apply_backend_update(&self, pending: PendingUpdate) {
        let result = self.apply(pending.update).await.map_err(|e| e.to_string());
        // The backend may have stopped waiting; nothing to do then.
        let _ = pending.done.send(result);
    }

    /// Applies every update from `updates`, in order, until every sender is
    /// gone. Spawn it once per backend stream.
    pub async fn run_backend_updates(&self, mut updates: UpdateReceiver) {
        while let Some(p) = updates.recv().await {
            self.apply_backend_update(p).await;
        }
    }

    async fn account(&self, user: &str) -> Result<Account, EngineError> {
        let name = user.to_owned();
        self.blocking(move |store, _| match store.user_by_name(&name)? {
            Some((id, _)) => Ok(Account { id, name }),
            None => Err(EngineError::Store(hadron_store::StoreError::UnknownUser(
                name,
            ))),
        })
        .await
    }

    async fn apply(&self, update: BackendUpdate) -> Result<Applied, EngineError> {
        match update {
            BackendUpdate::Barrier => Ok(Applied::Done),
            BackendUpdate::MailboxCreated { user, name } => {
                let account = self.account(&user).await?;
                let id = account.id;
                let created = name.clone();
                self.blocking(move |store, _| Ok(store.create_mailbox(id, &name, None)?))
                    .await?;
                self.hub().mailbox_events().publish(
                    id.0 as u64,
                    crate::mailbox_events::MailboxEvent::Created(created),
                );
                Ok(Applied::Done)
            }
            BackendUpdate::MailboxRenamed { user, from, to } => {
                let account = self.account(&user).await?;
                self.commit_rename(&account, &from, &to).await?;
                Ok(Applied::Done)
            }
            BackendUpdate::MailboxDeleted { user, name } => {
                let account = self.account(&user).await?;
                let info = self.mailbox(account.id, &name).await?;
                self.commit_delete(&account, info).await?;
                Ok(Applied::Done)
            }
            BackendUpdate::MessagesCreated {
                user,
                mailbox,
                messages,
            } => {
                let account = self.account(&user).await?;
                let info = self.mailbox(account.id, &mailbox).await?;
                let requests = messages
                    .into_iter()
                    .map(|m| AppendRequest {
                        raw: m.raw,
                        flags: m.flags,
                        internal_date: m.internal_date,
                        uid: None,
                    })
                    .collect();
                let done = self.commit_append(info, requests, None).await?;
                Ok(Applied::Uids(done.uids))
            }
            BackendUpdate::FlagsChanged {
                user,
                mailbox,
                uid,
                flags,
            } => {
                let account = self.account(&user).await?;
                let info = self.mailbox(account.id, &mailbox).await?;
                self.commit_flags(info.id, vec![uid], FlagStore::replace(flags), None)
                    .await?;
                Ok(Applied::Done)
            }
            BackendUpdate::MessagesDeleted {
                user,
                mailbox,
                uids,
            } => {
                let account = self.account(&user).await?;
                let info = self.mailbox(account.id, &mailbox).await?;
                self.commit_expunge(info.id, uids).await?;
                Ok(Applied::Done)
            }
        }
    }
}
