//! NOTIFY (RFC 5465): the command's event groups, and the events that the
//! `BADEVENT` response code lists.

use crate::parse::core::{atom, mailbox};
use crate::parse::error::PResult;
use crate::parse::fetch::fetch_att;
use crate::parse::keyword::{fail, paren_words, sp, upcase, word};
use crate::types::{
    CommandBody, EventGroup, Mailbox, MailboxFilter, NonEmptyVec, NotifyEvent, NotifyRequest,
};

/// `notify = "NOTIFY" SP (notify-set / notify-none)`
///
/// `notify-none = "NONE"`,
/// `notify-set = "SET" [status-indicator] SP event-groups`,
/// `status-indicator = SP "STATUS"`,
/// `event-groups = event-group *(SP event-group)`
pub(super) fn notify(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (rest, w) = word(i).map_err(|_| fail(i, "SET or NONE"))?;
    let mut buf = [0u8; 4];
    match upcase(w, &mut buf) {
        b"NONE" => Ok((rest, CommandBody::Notify(NotifyRequest::None))),
        b"SET" => {
            let (mut i, _) = sp(rest)?;
            let mut status = false;
            if let Ok((after, w)) = word(i)
                && w.eq_ignore_ascii_case(b"STATUS")
            {
                (i, _) = sp(after)?;
                status = true;
            }
            let mut groups = Vec::new();
            loop {
                let (rest, group) = event_group(i)?;
                groups.push(group);
                match rest {
                    [b' ', after @ ..] => i = after,
                    _ => {
                        let groups = NonEmptyVec::unvalidated(groups);
                        let request = NotifyRequest::Set { status, groups };
                        return Ok((rest, CommandBody::Notify(request)));
                    }
                }
            }
        }
        _ => Err(fail(i, "SET or NONE")),
    }
}

/// `event-group = "(" filter-mailboxes SP events ")"`
///
/// `events = ( "(" event *(SP event) ")" ) / "NONE"`
fn event_group(i: &[u8]) -> PResult<'_, EventGroup<'_>> {
    let Some((b'(', i)) = i.split_first() else {
        return Err(fail(i, "'(' starting an event group"));
    };
    let (i, filter) = filter_mailboxes(i)?;
    let (i, _) = sp(i)?;
    let (i, events) = match word(i) {
        Ok((rest, w)) if w.eq_ignore_ascii_case(b"NONE") => (rest, Vec::new()),
        _ => paren_words(i, false, "an event", event)
            .map_err(|_| fail(i, "NONE or a parenthesized list of events"))?,
    };
    let Some((b')', i)) = i.split_first() else {
        return Err(fail(i, "')' ending the event group"));
    };
    Ok((i, EventGroup { filter, events }))
}

/// `filter-mailboxes = filter-mailboxes-selected / filter-mailboxes-other`
///
/// `filter-mailboxes-selected = "selected" / "selected-delayed"`,
/// `filter-mailboxes-other = "inboxes" / "personal" / "subscribed" /
///   ( "subtree" SP one-or-more-mailbox ) / ( "mailboxes" SP one-or-more-mailbox )`
fn filter_mailboxes(i: &[u8]) -> PResult<'_, MailboxFilter<'_>> {
    const WHAT: &str =
        "SELECTED, SELECTED-DELAYED, INBOXES, PERSONAL, SUBSCRIBED, SUBTREE or MAILBOXES";
    let (rest, w) = word(i).map_err(|_| fail(i, WHAT))?;
    let mut buf = [0u8; 16];
    Ok(match upcase(w, &mut buf) {
        b"SELECTED" => (rest, MailboxFilter::Selected),
        b"SELECTED-DELAYED" => (rest, MailboxFilter::SelectedDelayed),
        b"INBOXES" => (rest, MailboxFilter::Inboxes),
        b"PERSONAL" => (rest, MailboxFilter::Personal),
        b"SUBSCRIBED" => (rest, MailboxFilter::Subscribed),
        b"SUBTREE" => {
            let (rest, names) = one_or_more_mailbox(rest)?;
            (rest, MailboxFilter::Subtree(names))
        }
        b"MAILBOXES" => {
            let (rest, names) = one_or_more_mailbox(rest)?;
            (rest, MailboxFilter::Mailboxes(names))
        }
        _ => return Err(fail(i, WHAT)),
    })
}

/// `SP one-or-more-mailbox`, `one-or-more-mailbox = mailbox / many-mailboxes`,
/// `many-mailboxes = "(" mailbox *(SP mailbox) ")"`
fn one_or_more_mailbox(i: &[u8]) -> PResult<'_, NonEmptyVec<Mailbox<'_>>> {
    let (i, _) = sp(i)?;
    if i.first() == Some(&b'(') {
        let (i, names) = paren_words(i, false, "a mailbox name", mailbox)?;
        return Ok((i, NonEmptyVec::unvalidated(names)));
    }
    let (i, name) = mailbox(i).map_err(|_| fail(i, "a mailbox name or a list of them"))?;
    Ok((i, NonEmptyVec::one(name)))
}

/// `event = message-event / mailbox-event / user-event / event-ext`
///
/// `message-event = ( "MessageNew" [SP "(" fetch-att *(SP fetch-att) ")" ] ) /
///   "MessageExpunge" / "FlagChange" / "AnnotationChange"`,
/// `mailbox-event = "MailboxName" / "SubscriptionChange" / "MailboxMetadataChange"`,
/// `user-event = "ServerMetadataChange"`, `event-ext = atom`
pub(crate) fn event(i: &[u8]) -> PResult<'_, NotifyEvent<'_>> {
    let (rest, name) = atom(i).map_err(|_| fail(i, "an event name"))?;
    let event = NotifyEvent::from_atom(name);
    if matches!(event, NotifyEvent::MessageNew(_))
        && let [b' ', b'(', ..] = rest
    {
        let (rest, atts) = paren_words(&rest[1..], false, "a fetch attribute", fetch_att)?;
        return Ok((rest, NotifyEvent::MessageNew(atts)));
    }
    Ok((rest, event))
}
