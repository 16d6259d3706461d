//! NOTIFY (RFC 5465) → bytes: the command's arguments and the events that
//! the `BADEVENT` response code lists.

use crate::encode::core::{mailbox, paren_list};
use crate::encode::fetch::fetch_att;
use crate::types::{EventGroup, LiteralMode, Mailbox, MailboxFilter, NotifyEvent, NotifyRequest};

/// Writes `notify-set / notify-none` (what follows `NOTIFY SP`).
pub(crate) fn notify_request(out: &mut Vec<u8>, request: &NotifyRequest<'_>, mode: LiteralMode) {
    match request {
        NotifyRequest::None => out.extend_from_slice(b"NONE"),
        NotifyRequest::Set { status, groups } => {
            out.extend_from_slice(b"SET");
            if *status {
                out.extend_from_slice(b" STATUS");
            }
            for g in groups.iter() {
                out.push(b' ');
                event_group(out, g, mode);
            }
        }
    }
}

/// Writes `event-group = "(" filter-mailboxes SP events ")"`.
fn event_group(out: &mut Vec<u8>, group: &EventGroup<'_>, mode: LiteralMode) {
    out.push(b'(');
    let names = |out: &mut Vec<u8>, keyword: &[u8], names: &[Mailbox<'_>]| {
        out.extend_from_slice(keyword);
        out.push(b' ');
        match names {
            [one] => mailbox(out, one, mode),
            many => paren_list(out, many, |out, m| mailbox(out, m, mode)),
        }
    };
    match &group.filter {
        MailboxFilter::Selected => out.extend_from_slice(b"SELECTED"),
        MailboxFilter::SelectedDelayed => out.extend_from_slice(b"SELECTED-DELAYED"),
        MailboxFilter::Inboxes => out.extend_from_slice(b"INBOXES"),
        MailboxFilter::Personal => out.extend_from_slice(b"PERSONAL"),
        MailboxFilter::Subscribed => out.extend_from_slice(b"SUBSCRIBED"),
        MailboxFilter::Subtree(v) => names(out, b"SUBTREE", v.as_slice()),
        MailboxFilter::Mailboxes(v) => names(out, b"MAILBOXES", v.as_slice()),
    }
    out.push(b' ');
    if group.events.is_empty() {
        out.extend_from_slice(b"NONE");
    } else {
        paren_list(out, &group.events, event);
    }
    out.push(b')');
}

/// Writes `event`: its name, and MessageNew's FETCH items if it has any.
pub(crate) fn event(out: &mut Vec<u8>, e: &NotifyEvent<'_>) {
    out.extend_from_slice(e.name().as_bytes());
    if let NotifyEvent::MessageNew(atts) = e
        && !atts.is_empty()
    {
        out.push(b' ');
        paren_list(out, atts, |out, a| fetch_att(out, a));
    }
}
