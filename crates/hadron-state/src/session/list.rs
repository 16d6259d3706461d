//! LIST (RFC 3501 §6.3.8, extended by RFC 5258 LIST-EXTENDED, RFC 6154
//! SPECIAL-USE and RFC 5819 LIST-STATUS) and LSUB (§6.3.9).
//!
//! The selection and return options become [`ListOptions`]; the engine
//! lists the names ([`Engine::list_extended`](crate::engine::Engine)).
//! `RETURN (STATUS (…))` answers a `* STATUS` right after the `* LIST` of
//! each selectable mailbox, from the counters of the row the listing read
//! (the values STATUS gives), so one store read serves every mailbox.

use hadron_proto::types::{
    Data, ListMailbox, ListReturnOption, ListSelectOption, Mailbox, StatusItem, StatusKind,
    StatusValue, Tag,
};

use super::output::{ResponseSink, data, tagged};
use super::{Session, no_for};
use crate::mailboxes::{ListOptions, status_values};

/// How many entries are written between two [`ResponseSink::flush`]
/// points, so that a LIST of many mailboxes leaves as it is written.
const FLUSH_EVERY: usize = 512;

/// The engine's options and the STATUS items (none: no LIST-STATUS) of an
/// extended LIST's selection and return options. `REMOTE`, `CHILDREN` and
/// `SPECIAL-USE` returned change nothing (see [`ListOptions`]).
fn options(
    selection: &[ListSelectOption],
    return_options: &[ListReturnOption],
) -> (ListOptions, Vec<StatusItem>) {
    let mut options = ListOptions::default();
    for s in selection {
        match s {
            ListSelectOption::Subscribed => options.subscribed = true,
            ListSelectOption::RecursiveMatch => options.recursive_match = true,
            ListSelectOption::SpecialUse => options.special_use = true,
            ListSelectOption::Remote => {}
        }
    }
    let mut status = Vec::new();
    for r in return_options {
        match r {
            ListReturnOption::Subscribed => options.return_subscribed = true,
            ListReturnOption::Status(items) => {
                for &item in items.as_slice() {
                    if !status.contains(&item) {
                        status.push(item);
                    }
                }
            }
            ListReturnOption::Children | ListReturnOption::SpecialUse => {}
        }
    }
    (options, status)
}

impl Session {
    /// LIST, plain or extended.
    pub(super) async fn list(
        &mut self,
        tag: &Tag<'_>,
        selection: &[ListSelectOption],
        reference: &Mailbox<'_>,
        patterns: &[ListMailbox<'_>],
        return_options: &[ListReturnOption],
        out: &mut dyn ResponseSink,
    ) {
        let (options, status) = options(selection, return_options);
        if status.contains(&StatusItem::HighestModSeq) {
            // As STATUS (HIGHESTMODSEQ) does (RFC 7162 §3.1).
            self.enable_condstore(out);
        }
        // A raw (invalid modified UTF-7) name matches nothing.
        let patterns: Vec<&str> = if reference.is_raw() {
            Vec::new()
        } else {
            patterns
                .iter()
                .filter(|p| !p.is_raw())
                .map(ListMailbox::as_str)
                .collect()
        };
        let entries = if patterns.is_empty() {
            Vec::new()
        } else {
            let r = self
                .engine
                .list_extended(self.acct(), reference.as_str(), &patterns, options)
                .await;
            match r {
                Ok(entries) => entries,
                Err(e) => return out.send(no_for(tag, &e)),
            }
        };
        // RFC 7889 §3 through LIST-STATUS: one value for every mailbox.
        let append_limit = if status.contains(&StatusItem::AppendLimit) && !entries.is_empty() {
            match self.append_limit().await {
                Ok(limit) => Some(StatusValue::AppendLimit(limit)),
                Err(e) => return out.send(no_for(tag, &e)),
            }
        } else {
            None
        };
        for (i, entry) in entries.into_iter().enumerate() {
            if i > 0 && i % FLUSH_EVERY == 0 {
                out.flush().await;
            }
            let status = match &entry.info {
                Some(info) if !status.is_empty() => Some(Data::Status {
                    mailbox: entry.data.mailbox.clone(),
                    items: status_values(info, &status)
                        .into_iter()
                        .chain(append_limit.clone())
                        .collect(),
                }),
                _ => None,
            };
            out.send(data(Data::List(entry.data)));
            if let Some(s) = status {
                out.send(data(s));
            }
        }
        out.send(tagged(tag, StatusKind::Ok, None, "LIST completed"));
    }

    /// LSUB.
    pub(super) async fn lsub(
        &mut self,
        tag: &Tag<'_>,
        reference: &Mailbox<'_>,
        pattern: &ListMailbox<'_>,
        out: &mut dyn ResponseSink,
    ) {
        if !pattern.is_raw() && !reference.is_raw() {
            let r = self
                .engine
                .lsub(self.acct(), reference.as_str(), pattern.as_str())
                .await;
            match r {
                Ok(v) => {
                    for d in v {
                        out.send(data(Data::Lsub(d)));
                    }
                }
                Err(e) => return out.send(no_for(tag, &e)),
            }
        }
        out.send(tagged(tag, StatusKind::Ok, None, "LSUB completed"));
    }
}
