//! The NOTIFY command's vocabulary (RFC 5465): which events a client wants
//! to hear of, for which mailboxes.

use crate::types::{Atom, FetchAttribute, Mailbox, NonEmptyVec, ValidationError};

/// `notify = "NOTIFY" SP (notify-set / notify-none)`
///
/// ```
/// use hadron_proto::parse::{self, ParseLimits};
/// use hadron_proto::types::{CommandBody, MailboxFilter, NotifyRequest};
/// let cmd = parse::command(
///     b"a NOTIFY SET STATUS (PERSONAL (MessageNew MessageExpunge))\r\n",
///     &ParseLimits::default(),
/// ).unwrap();
/// let CommandBody::Notify(NotifyRequest::Set { status, groups }) = cmd.body else { panic!() };
/// assert!(status);
/// assert_eq!(groups.first().filter, MailboxFilter::Personal);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NotifyRequest<'a> {
    /// `notify-none = "NONE"`: no unsolicited responses beyond RFC 3501's.
    None,
    /// `notify-set = "SET" [status-indicator] SP event-groups`: replaces
    /// the events the client asked for before.
    Set {
        /// `status-indicator = SP "STATUS"`: send the current STATUS of
        /// every watched mailbox first.
        status: bool,
        /// `event-groups = event-group *(SP event-group)`
        groups: NonEmptyVec<EventGroup<'a>>,
    },
}

impl NotifyRequest<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> NotifyRequest<'static> {
        match self {
            NotifyRequest::None => NotifyRequest::None,
            NotifyRequest::Set { status, groups } => NotifyRequest::Set {
                status,
                groups: groups.map(EventGroup::into_static),
            },
        }
    }
}

/// `event-group = "(" filter-mailboxes SP events ")"`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventGroup<'a> {
    /// Which mailboxes.
    pub filter: MailboxFilter<'a>,
    /// `events = ( "(" event *(SP event) ")" ) / "NONE"`: empty is `NONE`.
    pub events: Vec<NotifyEvent<'a>>,
}

impl EventGroup<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> EventGroup<'static> {
        EventGroup {
            filter: self.filter.into_static(),
            events: self
                .events
                .into_iter()
                .map(NotifyEvent::into_static)
                .collect(),
        }
    }
}

/// `filter-mailboxes = filter-mailboxes-selected / filter-mailboxes-other`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MailboxFilter<'a> {
    /// `"selected"`: the selected mailbox, told at once.
    Selected,
    /// `"selected-delayed"`: the selected mailbox, expunges told only
    /// where RFC 3501 allows EXPUNGE.
    SelectedDelayed,
    /// `"inboxes"`: the mailboxes the server delivers new mail to.
    Inboxes,
    /// `"personal"`: every mailbox of the user's personal namespace.
    Personal,
    /// `"subscribed"`: every subscribed mailbox.
    Subscribed,
    /// `"subtree" SP one-or-more-mailbox`: these mailboxes and everything
    /// below them.
    Subtree(NonEmptyVec<Mailbox<'a>>),
    /// `"mailboxes" SP one-or-more-mailbox`: exactly these mailboxes.
    Mailboxes(NonEmptyVec<Mailbox<'a>>),
}

impl MailboxFilter<'_> {
    /// Whether this is `SELECTED` or `SELECTED-DELAYED`.
    pub fn is_selected(&self) -> bool {
        matches!(
            self,
            MailboxFilter::Selected | MailboxFilter::SelectedDelayed
        )
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> MailboxFilter<'static> {
        let names = |v: NonEmptyVec<Mailbox<'_>>| v.map(Mailbox::into_static);
        match self {
            MailboxFilter::Selected => MailboxFilter::Selected,
            MailboxFilter::SelectedDelayed => MailboxFilter::SelectedDelayed,
            MailboxFilter::Inboxes => MailboxFilter::Inboxes,
            MailboxFilter::Personal => MailboxFilter::Personal,
            MailboxFilter::Subscribed => MailboxFilter::Subscribed,
            MailboxFilter::Subtree(v) => MailboxFilter::Subtree(names(v)),
            MailboxFilter::Mailboxes(v) => MailboxFilter::Mailboxes(names(v)),
        }
    }
}

/// `event = message-event / mailbox-event / user-event / event-ext`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NotifyEvent<'a> {
    /// `"MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"]`: what to
    /// FETCH of a new message in the selected mailbox (empty: none).
    MessageNew(Vec<FetchAttribute<'a>>),
    /// `"MessageExpunge"`
    MessageExpunge,
    /// `"FlagChange"`
    FlagChange,
    /// `"AnnotationChange"`
    AnnotationChange,
    /// `"MailboxName"`
    MailboxName,
    /// `"SubscriptionChange"`
    SubscriptionChange,
    /// `"MailboxMetadataChange"`
    MailboxMetadataChange,
    /// `"ServerMetadataChange"`
    ServerMetadataChange,
    /// `event-ext = atom`: an event this crate does not know.
    Other(EventName<'a>),
}

/// The names of the events RFC 5465 defines, as written on the wire.
const KNOWN_EVENTS: [&str; 8] = [
    "MessageNew",
    "MessageExpunge",
    "FlagChange",
    "AnnotationChange",
    "MailboxName",
    "SubscriptionChange",
    "MailboxMetadataChange",
    "ServerMetadataChange",
];

impl<'a> NotifyEvent<'a> {
    /// The event's name as written on the wire.
    pub fn name(&self) -> &str {
        match self {
            NotifyEvent::MessageNew(_) => KNOWN_EVENTS[0],
            NotifyEvent::MessageExpunge => KNOWN_EVENTS[1],
            NotifyEvent::FlagChange => KNOWN_EVENTS[2],
            NotifyEvent::AnnotationChange => KNOWN_EVENTS[3],
            NotifyEvent::MailboxName => KNOWN_EVENTS[4],
            NotifyEvent::SubscriptionChange => KNOWN_EVENTS[5],
            NotifyEvent::MailboxMetadataChange => KNOWN_EVENTS[6],
            NotifyEvent::ServerMetadataChange => KNOWN_EVENTS[7],
            NotifyEvent::Other(n) => n.as_str(),
        }
    }

    /// The argument-less event named `name` (case-insensitive), or an
    /// [`NotifyEvent::Other`]; `MessageNew` comes without FETCH items.
    pub fn from_atom(name: Atom<'a>) -> NotifyEvent<'a> {
        let is = |s: &str| name.eq_ignore_case(s);
        if is("MessageNew") {
            NotifyEvent::MessageNew(Vec::new())
        } else if is("MessageExpunge") {
            NotifyEvent::MessageExpunge
        } else if is("FlagChange") {
            NotifyEvent::FlagChange
        } else if is("AnnotationChange") {
            NotifyEvent::AnnotationChange
        } else if is("MailboxName") {
            NotifyEvent::MailboxName
        } else if is("SubscriptionChange") {
            NotifyEvent::SubscriptionChange
        } else if is("MailboxMetadataChange") {
            NotifyEvent::MailboxMetadataChange
        } else if is("ServerMetadataChange") {
            NotifyEvent::ServerMetadataChange
        } else {
            NotifyEvent::Other(EventName(name))
        }
    }

    /// Whether this is a message event (`message-event`): MessageNew,
    /// MessageExpunge, FlagChange or AnnotationChange.
    pub fn is_message_event(&self) -> bool {
        matches!(
            self,
            NotifyEvent::MessageNew(_)
                | NotifyEvent::MessageExpunge
                | NotifyEvent::FlagChange
                | NotifyEvent::AnnotationChange
        )
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> NotifyEvent<'static> {
        match self {
            NotifyEvent::MessageNew(v) => {
                NotifyEvent::MessageNew(v.into_iter().map(FetchAttribute::into_static).collect())
            }
            NotifyEvent::MessageExpunge => NotifyEvent::MessageExpunge,
            NotifyEvent::FlagChange => NotifyEvent::FlagChange,
            NotifyEvent::AnnotationChange => NotifyEvent::AnnotationChange,
            NotifyEvent::MailboxName => NotifyEvent::MailboxName,
            NotifyEvent::SubscriptionChange => NotifyEvent::SubscriptionChange,
            NotifyEvent::MailboxMetadataChange => NotifyEvent::MailboxMetadataChange,
            NotifyEvent::ServerMetadataChange => NotifyEvent::ServerMetadataChange,
            NotifyEvent::Other(n) => NotifyEvent::Other(EventName(n.0.into_static())),
        }
    }
}

/// The name of an extension event (`event-ext = atom`): never one of the
/// events RFC 5465 defines, which have variants of their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventName<'a>(Atom<'a>);

impl<'a> EventName<'a> {
    /// An extension event's name; refuses the names RFC 5465 defines
    /// (case-insensitive), which would parse back as their own variants.
    pub fn new(name: Atom<'a>) -> Result<Self, ValidationError> {
        if KNOWN_EVENTS.iter().any(|k| name.eq_ignore_case(k)) {
            return Err(ValidationError::BadSequence(format!(
                "{name} is an event RFC 5465 defines"
            )));
        }
        Ok(EventName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The name as an atom.
    pub fn as_atom(&self) -> &Atom<'a> {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_not_extension_events() {
        let atom = |s: &'static str| Atom::try_from(s).unwrap();
        assert!(EventName::new(atom("flagchange")).is_err());
        assert!(EventName::new(atom("X-Custom")).is_ok());
        assert_eq!(
            NotifyEvent::from_atom(atom("messageNEW")),
            NotifyEvent::MessageNew(Vec::new())
        );
        assert_eq!(
            NotifyEvent::from_atom(atom("FlagChange")).name(),
            "FlagChange"
        );
    }
}
