//! QUOTA (RFC 9208): resource names, the limits SETQUOTA asks for and the
//! usage a QUOTA response reports.

use crate::types::Atom;

/// `resource-name = "STORAGE" / "MESSAGE" / "MAILBOX" /
///   "ANNOTATION-STORAGE" / resource-name-ext` (RFC 9208 §9).
///
/// The four names RFC 9208 defines are variants (matched
/// case-insensitively by [`QuotaResource::from_atom`]); anything else is
/// [`QuotaResource::Other`], which never holds one of those four names when
/// built through `from_atom` (the parser's way).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QuotaResource<'a> {
    /// `STORAGE`: the sum of the messages' RFC822.SIZE, in units of 1024
    /// octets.
    Storage,
    /// `MESSAGE`: the number of messages.
    Message,
    /// `MAILBOX`: the number of mailboxes.
    Mailbox,
    /// `ANNOTATION-STORAGE`: the size of annotations, in units of 1024
    /// octets.
    AnnotationStorage,
    /// `resource-name-ext = atom`: a resource this crate does not know.
    Other(Atom<'a>),
}

impl<'a> QuotaResource<'a> {
    /// Interprets a resource name (case-insensitive).
    ///
    /// ```
    /// use hadron_proto::types::{Atom, QuotaResource};
    /// let storage = QuotaResource::from_atom(Atom::try_from("storage").unwrap());
    /// assert_eq!(storage, QuotaResource::Storage);
    /// assert_eq!(storage.name(), "STORAGE");
    /// ```
    pub fn from_atom(atom: Atom<'a>) -> QuotaResource<'a> {
        let name = atom.as_str();
        for known in [
            QuotaResource::Storage,
            QuotaResource::Message,
            QuotaResource::Mailbox,
            QuotaResource::AnnotationStorage,
        ] {
            if name.eq_ignore_ascii_case(known.name()) {
                return known;
            }
        }
        QuotaResource::Other(atom)
    }

    /// The resource's wire name (upper case for the known ones).
    pub fn name(&self) -> &str {
        match self {
            QuotaResource::Storage => "STORAGE",
            QuotaResource::Message => "MESSAGE",
            QuotaResource::Mailbox => "MAILBOX",
            QuotaResource::AnnotationStorage => "ANNOTATION-STORAGE",
            QuotaResource::Other(atom) => atom.as_str(),
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> QuotaResource<'static> {
        match self {
            QuotaResource::Storage => QuotaResource::Storage,
            QuotaResource::Message => QuotaResource::Message,
            QuotaResource::Mailbox => QuotaResource::Mailbox,
            QuotaResource::AnnotationStorage => QuotaResource::AnnotationStorage,
            QuotaResource::Other(atom) => QuotaResource::Other(atom.into_static()),
        }
    }
}

/// `setquota-resource = resource-name SP resource-limit`: one limit a
/// SETQUOTA asks for. Limits are `number64` (below 2^63).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuotaLimit<'a> {
    /// The resource.
    pub resource: QuotaResource<'a>,
    /// `resource-limit = number64`
    pub limit: u64,
}

impl QuotaLimit<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> QuotaLimit<'static> {
        QuotaLimit {
            resource: self.resource.into_static(),
            limit: self.limit,
        }
    }
}

/// `quota-resource = resource-name SP resource-usage SP resource-limit`:
/// one resource of a QUOTA response. Both numbers are `number64` (below
/// 2^63).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuotaUsage<'a> {
    /// The resource.
    pub resource: QuotaResource<'a>,
    /// `resource-usage = number64`
    pub usage: u64,
    /// `resource-limit = number64`
    pub limit: u64,
}

impl QuotaUsage<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> QuotaUsage<'static> {
        QuotaUsage {
            resource: self.resource.into_static(),
            usage: self.usage,
            limit: self.limit,
        }
    }
}
