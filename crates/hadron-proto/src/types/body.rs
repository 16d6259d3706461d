//! ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2).

use crate::types::{IString, NString};

/// An address: `address = "(" addr-name SP addr-adl SP addr-mailbox SP
/// addr-host ")"`, every field an nstring.
///
/// RFC 822 group syntax is expressed with the fields: a group starts with
/// `host` NIL and the group name in `mailbox`, and ends with `mailbox` and
/// `host` both NIL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address<'a> {
    /// Display name.
    pub name: NString<'a>,
    /// Source route (obsolete).
    pub adl: NString<'a>,
    /// Local part, or group name.
    pub mailbox: NString<'a>,
    /// Domain.
    pub host: NString<'a>,
}

impl Address<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Address<'static> {
        Address {
            name: self.name.into_static(),
            adl: self.adl.into_static(),
            mailbox: self.mailbox.into_static(),
            host: self.host.into_static(),
        }
    }
}

fn addrs(v: Vec<Address<'_>>) -> Vec<Address<'static>> {
    v.into_iter().map(Address::into_static).collect()
}

/// `envelope = "(" env-date SP env-subject SP env-from SP env-sender SP
/// env-reply-to SP env-to SP env-cc SP env-bcc SP env-in-reply-to SP
/// env-message-id ")"`.
///
/// Address lists are written `NIL` when empty (never `()`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope<'a> {
    /// `Date:` as in the message.
    pub date: NString<'a>,
    /// `Subject:` (raw, possibly RFC 2047 encoded).
    pub subject: NString<'a>,
    /// `From:`
    pub from: Vec<Address<'a>>,
    /// `Sender:`
    pub sender: Vec<Address<'a>>,
    /// `Reply-To:`
    pub reply_to: Vec<Address<'a>>,
    /// `To:`
    pub to: Vec<Address<'a>>,
    /// `Cc:`
    pub cc: Vec<Address<'a>>,
    /// `Bcc:`
    pub bcc: Vec<Address<'a>>,
    /// `In-Reply-To:`
    pub in_reply_to: NString<'a>,
    /// `Message-ID:`
    pub message_id: NString<'a>,
}

impl Envelope<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Envelope<'static> {
        Envelope {
            date: self.date.into_static(),
            subject: self.subject.into_static(),
            from: addrs(self.from),
            sender: addrs(self.sender),
            reply_to: addrs(self.reply_to),
            to: addrs(self.to),
            cc: addrs(self.cc),
            bcc: addrs(self.bcc),
            in_reply_to: self.in_reply_to.into_static(),
            message_id: self.message_id.into_static(),
        }
    }
}

/// A parameter list, `body-fld-param`; written `NIL` when empty.
pub type Params<'a> = Vec<(IString<'a>, IString<'a>)>;

fn params(v: Params<'_>) -> Params<'static> {
    v.into_iter()
        .map(|(k, v)| (k.into_static(), v.into_static()))
        .collect()
}

/// `body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP
/// body-fld-enc SP body-fld-octets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyFields<'a> {
    /// Content-Type parameters (`("CHARSET" "UTF-8")`, NIL when empty).
    pub params: Params<'a>,
    /// Content-ID.
    pub id: NString<'a>,
    /// Content-Description.
    pub description: NString<'a>,
    /// Content-Transfer-Encoding (`"7BIT"`, `"BASE64"`, ...).
    pub encoding: IString<'a>,
    /// Size in octets of the encoded body.
    pub octets: u32,
}

impl BodyFields<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> BodyFields<'static> {
        BodyFields {
            params: params(self.params),
            id: self.id.into_static(),
            description: self.description.into_static(),
            encoding: self.encoding.into_static(),
            octets: self.octets,
        }
    }
}

/// `body-fld-dsp = "(" string SP body-fld-param ")" / nil`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition<'a> {
    /// `inline`, `attachment`, ...
    pub kind: IString<'a>,
    /// Parameters such as `filename`.
    pub params: Params<'a>,
}

impl Disposition<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Disposition<'static> {
        Disposition {
            kind: self.kind.into_static(),
            params: params(self.params),
        }
    }
}

/// `body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"`
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyExtension<'a> {
    /// A string or NIL.
    NString(NString<'a>),
    /// A number.
    Number(u32),
    /// A non-empty list.
    List(Vec<BodyExtension<'a>>),
}

impl BodyExtension<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> BodyExtension<'static> {
        match self {
            BodyExtension::NString(s) => BodyExtension::NString(s.into_static()),
            BodyExtension::Number(n) => BodyExtension::Number(n),
            BodyExtension::List(v) => {
                BodyExtension::List(v.into_iter().map(BodyExtension::into_static).collect())
            }
        }
    }
}

/// Extension data common to single and multipart bodies:
/// `body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]`.
///
/// When present, the encoder writes every field (NIL for absent ones), so
/// the short wire forms and the long one with NILs parse to the same value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtensionTail<'a> {
    /// Content-Disposition.
    pub disposition: Option<Disposition<'a>>,
    /// Content-Language: NIL when empty, a string for one, a list for more.
    pub language: Vec<IString<'a>>,
    /// Content-Location.
    pub location: NString<'a>,
    /// Further extension data.
    pub extensions: Vec<BodyExtension<'a>>,
}

impl ExtensionTail<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> ExtensionTail<'static> {
        ExtensionTail {
            disposition: self.disposition.map(Disposition::into_static),
            language: self
                .language
                .into_iter()
                .map(IString::into_static)
                .collect(),
            location: self.location.into_static(),
            extensions: self
                .extensions
                .into_iter()
                .map(BodyExtension::into_static)
                .collect(),
        }
    }
}

/// `body-ext-1part = body-fld-md5 [SP body-fld-dsp ...]`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SinglePartExt<'a> {
    /// Content-MD5.
    pub md5: NString<'a>,
    /// Disposition, language, location, further data.
    pub tail: ExtensionTail<'a>,
}

/// `body-ext-mpart = body-fld-param [SP body-fld-dsp ...]`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiPartExt<'a> {
    /// Content-Type parameters of the multipart (such as the boundary).
    pub params: Params<'a>,
    /// Disposition, language, location, further data.
    pub tail: ExtensionTail<'a>,
}

/// What kind of single part this is, with the fields peculiar to it.
///
/// A [`SinglePartKind::Basic`] whose type is `TEXT`, or `MESSAGE` with
/// subtype `RFC822`, reads back as the specific kind; build those with
/// [`SinglePartKind::Text`] and [`SinglePartKind::Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinglePartKind<'a> {
    /// `body-type-basic = media-basic SP body-fields`
    Basic {
        /// Media type (`"APPLICATION"`, `"IMAGE"`, ...).
        media_type: IString<'a>,
        /// Media subtype.
        subtype: IString<'a>,
    },
    /// `body-type-text = media-text SP body-fields SP body-fld-lines`
    Text {
        /// Subtype (`"PLAIN"`, `"HTML"`, ...).
        subtype: IString<'a>,
        /// Number of lines.
        lines: u32,
    },
    /// `body-type-msg = media-message SP body-fields SP envelope SP body SP
    /// body-fld-lines` (`MESSAGE/RFC822`)
    Message {
        /// The envelope of the embedded message.
        envelope: Box<Envelope<'a>>,
        /// The body of the embedded message.
        body: Box<BodyStructure<'a>>,
        /// Number of lines.
        lines: u32,
    },
}

/// A body structure: `body = "(" (body-type-1part / body-type-mpart) ")"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStructure<'a> {
    /// A single part.
    Single {
        /// The kind-specific fields.
        kind: SinglePartKind<'a>,
        /// The fields common to single parts.
        fields: BodyFields<'a>,
        /// Extension data (BODYSTRUCTURE only).
        ext: Option<SinglePartExt<'a>>,
    },
    /// `body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]`
    Multi {
        /// The parts (at least one).
        parts: Vec<BodyStructure<'a>>,
        /// `"MIXED"`, `"ALTERNATIVE"`, ...
        subtype: IString<'a>,
        /// Extension data (BODYSTRUCTURE only).
        ext: Option<MultiPartExt<'a>>,
    },
}

impl BodyStructure<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> BodyStructure<'static> {
        match self {
            BodyStructure::Single { kind, fields, ext } => BodyStructure::Single {
                kind: match kind {
                    SinglePartKind::Basic {
                        media_type,
                        subtype,
                    } => SinglePartKind::Basic {
                        media_type: media_type.into_static(),
                        subtype: subtype.into_static(),
                    },
                    SinglePartKind::Text { subtype, lines } => SinglePartKind::Text {
                        subtype: subtype.into_static(),
                        lines,
                    },
                    SinglePartKind::Message {
                        envelope,
                        body,
                        lines,
                    } => SinglePartKind::Message {
                        envelope: Box::new(envelope.into_static()),
                        body: Box::new(body.into_static()),
                        lines,
                    },
                },
                fields: fields.into_static(),
                ext: ext.map(|e| SinglePartExt {
                    md5: e.md5.into_static(),
                    tail: e.tail.into_static(),
                }),
            },
            BodyStructure::Multi {
                parts,
                subtype,
                ext,
            } => BodyStructure::Multi {
                parts: parts.into_iter().map(BodyStructure::into_static).collect(),
                subtype: subtype.into_static(),
                ext: ext.map(|e| MultiPartExt {
                    params: params(e.params),
                    tail: e.tail.into_static(),
                }),
            },
        }
    }
}
