//! Server responses (RFC 3501 §7 and extensions): the greeting, status
//! responses and continuation requests.
//!
//! Response codes are in [`Code`](super::Code), untagged data in
//! [`Data`](super::Data), FETCH items in [`FetchItem`](super::FetchItem).

use std::borrow::Cow;

use crate::types::{Code, Data, Tag, Text, ValidationError};

/// One response line (with its inline literals), as the server sends it:
/// `response-data / response-done / continue-req`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    /// A tagged or untagged status response (`OK`, `NO`, `BAD`, `BYE`).
    Status(Status<'a>),
    /// Untagged data (`* CAPABILITY ...`, `* 3 FETCH ...`, ...).
    Data(Data<'a>),
    /// A continuation request (`+ ...`).
    Continue(Continue<'a>),
}

impl Response<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Response<'static> {
        match self {
            Response::Status(s) => Response::Status(s.into_static()),
            Response::Data(d) => Response::Data(d.into_static()),
            Response::Continue(c) => Response::Continue(c.into_static()),
        }
    }
}

/// The condition of a tagged or untagged `OK`/`NO`/`BAD` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BAD`
    Bad,
}

impl StatusKind {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            StatusKind::Ok => "OK",
            StatusKind::No => "NO",
            StatusKind::Bad => "BAD",
        }
    }
}

/// `resp-text = ["[" resp-text-code "]" SP] text`: an optional code and
/// human-readable text.
///
/// Text without a code must not start with `[` (it would read as a code);
/// [`RespText::new`] refuses such text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespText<'a> {
    code: Option<Code<'a>>,
    text: Text<'a>,
}

impl<'a> RespText<'a> {
    /// Text with an optional code.
    pub fn new(code: Option<Code<'a>>, text: Text<'a>) -> Result<Self, ValidationError> {
        if code.is_none() && text.as_str().starts_with('[') {
            return Err(ValidationError::InvalidByte {
                what: "response text without a code",
                byte: b'[',
                at: 0,
            });
        }
        Ok(RespText { code, text })
    }

    /// Plain text without a code. Panics if `text` is not valid `text` or
    /// starts with `[`; meant for literals in server code.
    pub fn plain(text: &'a str) -> Self {
        let text = Text::try_from(text).expect("valid response text");
        RespText::new(None, text).expect("response text must not start with '['")
    }

    /// Text with a code. Panics if `text` is not valid `text`.
    pub fn with_code(code: Code<'a>, text: &'a str) -> Self {
        RespText {
            code: Some(code),
            text: Text::try_from(text).expect("valid response text"),
        }
    }

    /// The response code, if any.
    pub fn code(&self) -> Option<&Code<'a>> {
        self.code.as_ref()
    }

    /// The human-readable text (may be empty).
    pub fn text(&self) -> &Text<'a> {
        &self.text
    }

    pub(crate) fn unvalidated(code: Option<Code<'a>>, text: Text<'a>) -> Self {
        RespText { code, text }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> RespText<'static> {
        RespText {
            code: self.code.map(Code::into_static),
            text: self.text.into_static(),
        }
    }
}

/// A status response.
///
/// ```text
/// response-tagged = tag SP resp-cond-state CRLF
/// response-data   = "*" SP (resp-cond-state / resp-cond-bye / ...) CRLF
/// resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
/// resp-cond-bye   = "BYE" SP resp-text
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<'a> {
    /// `tag OK/NO/BAD ...`: the completion of a command.
    Tagged {
        /// The command's tag.
        tag: Tag<'a>,
        /// OK, NO or BAD.
        kind: StatusKind,
        /// Code and text.
        text: RespText<'a>,
    },
    /// `* OK/NO/BAD ...`
    Untagged {
        /// OK, NO or BAD.
        kind: StatusKind,
        /// Code and text.
        text: RespText<'a>,
    },
    /// `* BYE ...`: the server is closing the connection.
    Bye(RespText<'a>),
}

impl Status<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Status<'static> {
        match self {
            Status::Tagged { tag, kind, text } => Status::Tagged {
                tag: tag.into_static(),
                kind,
                text: text.into_static(),
            },
            Status::Untagged { kind, text } => Status::Untagged {
                kind,
                text: text.into_static(),
            },
            Status::Bye(t) => Status::Bye(t.into_static()),
        }
    }
}

/// What a greeting announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GreetingKind {
    /// `OK`: not yet authenticated.
    Ok,
    /// `PREAUTH`: already authenticated.
    PreAuth,
    /// `BYE`: the server refuses the connection.
    Bye,
}

/// The server greeting: `greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF`,
/// `resp-cond-auth = ("OK" / "PREAUTH") SP resp-text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting<'a> {
    /// OK, PREAUTH or BYE.
    pub kind: GreetingKind,
    /// Code (often CAPABILITY) and text.
    pub text: RespText<'a>,
}

impl Greeting<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Greeting<'static> {
        Greeting {
            kind: self.kind,
            text: self.text.into_static(),
        }
    }
}

/// A continuation request: `continue-req = "+" SP (resp-text / base64) CRLF`.
///
/// On the wire the two forms can look alike (`+ abcd` is valid text and valid
/// base64). The parser reads a non-empty line made only of base64 characters
/// whose length is a multiple of 4 as [`Continue::Base64`], anything else as
/// text; so empty base64 data reads back as empty text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continue<'a> {
    /// `+ [code] text`, such as `+ Ready for literal data`.
    Text(RespText<'a>),
    /// `+ base64` (a SASL challenge), held decoded.
    Base64(Cow<'a, [u8]>),
}

impl Continue<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Continue<'static> {
        match self {
            Continue::Text(t) => Continue::Text(t.into_static()),
            Continue::Base64(b) => Continue::Base64(Cow::Owned(b.into_owned())),
        }
    }
}
