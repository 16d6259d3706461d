//! Mailbox names that cannot exist: an `astring` that is not valid
//! modified UTF-7 (RFC 3501 §5.1.3) parses (the grammar allows it) but is
//! kept [raw](hadron_proto::types::Mailbox::is_raw). Such a command is
//! well formed, so the answer is `NO`, never `BAD`: the mailbox does not
//! exist, or the name cannot be given to one.

use hadron_proto::types::{Code, CommandBody, Mailbox, StatusKind, Tag};

use super::output::{Output, tagged};

/// The refusal for a command naming a raw mailbox, if it does: `NO
/// [NONEXISTENT]` where the mailbox is looked up, `NO [CANNOT]` where the
/// name would be created (CREATE, RENAME's target, SUBSCRIBE). LIST and
/// LSUB are not refused: a raw pattern matches nothing.
pub(super) fn refuse_raw(tag: &Tag<'_>, body: &CommandBody<'_>) -> Option<Output> {
    use CommandBody as C;
    let (looked_up, created): (Option<&Mailbox<'_>>, Option<&Mailbox<'_>>) = match body {
        C::Select { mailbox, .. }
        | C::Examine { mailbox, .. }
        | C::Delete { mailbox }
        | C::Unsubscribe { mailbox }
        | C::Status { mailbox, .. }
        | C::Append { mailbox, .. }
        | C::GetQuotaRoot { mailbox }
        | C::Copy { mailbox, .. }
        | C::Move { mailbox, .. } => (Some(mailbox), None),
        C::Create { mailbox, .. } | C::Subscribe { mailbox } => (None, Some(mailbox)),
        C::Rename { from, to } => (Some(from), Some(to)),
        _ => (None, None),
    };
    if let Some(m) = looked_up.filter(|m| m.is_raw()) {
        return Some(tagged(
            tag,
            StatusKind::No,
            Some(Code::NonExistent),
            format!("no mailbox named {:?}", m.as_str()),
        ));
    }
    created.filter(|m| m.is_raw()).map(|m| {
        tagged(
            tag,
            StatusKind::No,
            Some(Code::Cannot),
            format!(
                "{:?} is not valid modified UTF-7 (RFC 3501 5.1.3)",
                m.as_str()
            ),
        )
    })
}
