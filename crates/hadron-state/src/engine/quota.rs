//! Quota (RFC 9208): one quota root per user covering all its mailboxes,
//! limiting STORAGE (the sum of RFC822.SIZE, in KiB) and MESSAGE (the number
//! of messages). Limits live on the user's row (`None`: no limit), usage is
//! summed from the mailboxes' counters; see [`hadron_store::UserQuota`].
//!
//! APPEND and COPY check the quota before they change anything (before the
//! connector is asked), so a refused one changes nothing. The check reads
//! the usage without a lock: concurrent APPENDs or COPYs of one user can each
//! pass it and together go past a limit, by at most what they were adding at
//! once (each is checked with the usage of everything committed before it
//! started). MOVE between the user's own mailboxes does not change the usage
//! and is never refused. Messages the embedder's connector delivers
//! (`backend_updates`) are not the user's commands and are never refused:
//! refusing mail that already exists in the backend would only make Hadron
//! disagree with it; they count towards the usage, so the user's next APPEND
//! or COPY is refused.

use hadron_store::{QuotaLimits, UidSet, UserQuota};

use super::{Account, Engine, EngineError};

impl Engine {
    /// The account's quota: its limits and current usage (one read of its
    /// mailboxes' counters).
    pub async fn quota(&self, account: &Account) -> Result<UserQuota, EngineError> {
        let id = account.id;
        self.read_sized(true, move |store, _| Ok(store.user_quota(id)?))
            .await
    }

    /// The quota of user `name` (for the administrator's CLI).
    pub async fn user_quota(&self, name: &str) -> Result<UserQuota, EngineError> {
        let name = name.to_owned();
        self.blocking(move |store, _| {
            let Some((id, _)) = store.user_by_name(&name)? else {
                return Err(hadron_store::StoreError::UnknownUser(name).into());
            };
            Ok(store.user_quota(id)?)
        })
        .await
    }

    /// Sets the quota limits of user `name` (`None`: no limit). This is the
    /// administrator's path (`hadron user quota`): a client's SETQUOTA is
    /// refused, so that users cannot raise their own limits. Lowering a
    /// limit below the usage removes nothing; further APPENDs and COPYs are
    /// refused until the user is under it again.
    pub async fn set_quota_limits(
        &self,
        name: &str,
        limits: QuotaLimits,
    ) -> Result<(), EngineError> {
        let name = name.to_owned();
        self.blocking(move |store, _| Ok(store.set_quota_limits(&name, limits)?))
            .await
    }

    /// Refuses with [`EngineError::OverQuota`] when adding `messages`
    /// messages of `size` octets would take the account past a limit.
    pub(crate) async fn check_quota(
        &self,
        account: &Account,
        messages: u64,
        size: u64,
    ) -> Result<(), EngineError> {
        match self.quota(account).await?.exceeded_by(messages, size) {
            Some(resource) => Err(EngineError::OverQuota(resource)),
            None => Ok(()),
        }
    }

    /// [`Engine::check_quota`] for a COPY of `uids` out of `mailbox`: their
    /// count and sizes are read only when the account has a limit.
    pub(crate) async fn check_copy_quota(
        &self,
        account: &Account,
        mailbox: hadron_store::MailboxId,
        uids: &[u32],
    ) -> Result<(), EngineError> {
        let quota = self.quota(account).await?;
        if quota.limits == QuotaLimits::default() {
            return Ok(());
        }
        let set = UidSet::from_uids(uids.iter().copied());
        let (messages, size) = self
            .read_sized(uids.len() <= 64, move |store, _| {
                Ok(store.messages_size(mailbox, &set)?)
            })
            .await?;
        match quota.exceeded_by(messages, size) {
            Some(resource) => Err(EngineError::OverQuota(resource)),
            None => Ok(()),
        }
    }
}
