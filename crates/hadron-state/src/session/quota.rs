//! QUOTA (RFC 9208) and the `APPENDLIMIT` STATUS item (RFC 7889).
//!
//! Every user has one quota root, named `""`, covering all its mailboxes
//! and limiting `STORAGE` (KiB) and `MESSAGE`; see `engine/quota.rs` for
//! the limits and their enforcement. A resource without a limit is left out
//! of the `QUOTA` response, and a user with no limit at all has no quota
//! root: GETQUOTAROOT names none and GETQUOTA of `""` is `NO`. SETQUOTA is
//! refused with `NO [NOPERM]` (RFC 9208 §4.3 lets a server refuse it): users
//! must not raise their own limits; the administrator sets them with
//! `hadron user quota` ([`crate::engine::Engine::set_quota_limits`]).

use hadron_proto::types::{
    AString, Code, Data, Mailbox, NonEmptyVec, QuotaResource, QuotaUsage, StatusKind, Tag,
};
use hadron_store::UserQuota;

use super::output::{ResponseSink, data, tagged};
use super::{Session, no_for};
use crate::delivery::CommandContext;
use crate::mailboxes::store_name;

/// The name of every user's one quota root.
pub(super) const ROOT: &str = "";

fn root() -> AString<'static> {
    AString::try_from(ROOT).unwrap_or_else(|_| unreachable!("the empty string is an astring"))
}

/// The `QUOTA ""` response of a user's quota: each limited resource with
/// its usage (`STORAGE` in KiB, rounded up); `None` when nothing is
/// limited.
pub(super) fn quota_data(quota: &UserQuota) -> Option<Data<'static>> {
    let mut resources = Vec::new();
    if let Some(limit) = quota.limits.storage_kib {
        resources.push(QuotaUsage {
            resource: QuotaResource::Storage,
            usage: quota.storage_kib(),
            limit,
        });
    }
    if let Some(limit) = quota.limits.messages {
        resources.push(QuotaUsage {
            resource: QuotaResource::Message,
            usage: quota.messages,
            limit,
        });
    }
    let resources = NonEmptyVec::new(resources).ok()?;
    Some(Data::Quota {
        root: root(),
        resources,
    })
}

impl Session {
    /// GETQUOTA (RFC 9208 §4.1): the usage and limits of the root `""`;
    /// any other root, or `""` for a user without limits, is `NO`.
    pub(super) async fn get_quota(
        &mut self,
        tag: &Tag<'_>,
        name: &AString<'_>,
        out: &mut dyn ResponseSink,
    ) {
        let quota = match self.engine.quota(self.acct()).await {
            Ok(q) => q,
            Err(e) => return out.send(no_for(tag, &e)),
        };
        let answer = quota_data(&quota).filter(|_| name.as_bytes() == ROOT.as_bytes());
        self.deliver(CommandContext::Status, out);
        if self.logged_out {
            return;
        }
        match answer {
            Some(d) => {
                out.send(data(d));
                out.send(tagged(tag, StatusKind::Ok, None, "GETQUOTA completed"));
            }
            None => out.send(tagged(
                tag,
                StatusKind::No,
                Some(Code::NonExistent),
                format!(
                    "no quota root {:?}",
                    String::from_utf8_lossy(name.as_bytes())
                ),
            )),
        }
    }

    /// GETQUOTAROOT (RFC 9208 §4.2): `""` for any existing mailbox (none
    /// when the user has no limit), then its QUOTA; `NO` for a mailbox that
    /// does not exist.
    pub(super) async fn get_quota_root(
        &mut self,
        tag: &Tag<'_>,
        mailbox: Mailbox<'static>,
        out: &mut dyn ResponseSink,
    ) {
        let name = store_name(&mailbox);
        if let Err(e) = self.engine.mailbox(self.acct().id, &name).await {
            return out.send(no_for(tag, &e));
        }
        let quota = match self.engine.quota(self.acct()).await {
            Ok(q) => q,
            Err(e) => return out.send(no_for(tag, &e)),
        };
        self.deliver(CommandContext::Status, out);
        if self.logged_out {
            return;
        }
        let quota = quota_data(&quota);
        let roots = if quota.is_some() {
            vec![root()]
        } else {
            Vec::new()
        };
        out.send(data(Data::QuotaRoot { mailbox, roots }));
        if let Some(d) = quota {
            out.send(data(d));
        }
        out.send(tagged(tag, StatusKind::Ok, None, "GETQUOTAROOT completed"));
    }

    /// SETQUOTA (RFC 9208 §4.3): refused, `NO [NOPERM]`.
    pub(super) fn set_quota(&mut self, tag: &Tag<'_>, out: &mut dyn ResponseSink) {
        out.send(tagged(
            tag,
            StatusKind::No,
            Some(Code::NoPerm),
            "quota limits are set by the administrator (hadron user quota)",
        ));
    }

    /// The `APPENDLIMIT` of the user's mailboxes (RFC 7889 §3): the
    /// server's largest message ([`Session::with_append_limit`]), or what is
    /// left of the STORAGE quota if that is smaller; `None` (`NIL`) when
    /// neither limits it.
    pub(super) async fn append_limit(&self) -> Result<Option<u64>, crate::engine::EngineError> {
        let quota = self.engine.quota(self.acct()).await?;
        let left = quota
            .limits
            .storage_kib
            .map(|kib| kib.saturating_mul(1024).saturating_sub(quota.size));
        Ok(match (self.append_limit, left) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }
}
