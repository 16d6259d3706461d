//! Building responses: texts that cannot break the line, tagged and
//! untagged statuses, BYE, and the capability list.

use hadron_proto::types::{Capability, Code, RespText, Response, Status, StatusKind, Tag, Text};
use hadron_state::session::Session;

/// What the connection layer offers on one connection now, beside the
/// engine's capabilities.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Offer {
    /// STARTTLS is on offer (TLS configured and not yet up).
    pub(crate) starttls: bool,
    /// Logging in is allowed on this connection now.
    pub(crate) login_allowed: bool,
    /// The largest literal accepted (`APPENDLIMIT=`, RFC 7889: a bigger
    /// APPEND is refused `NO [TOOBIG]` before its data is sent).
    pub(crate) max_literal: u64,
    /// Logged in: LITERAL+ instead of LITERAL-, and COMPRESS.
    pub(crate) authenticated: bool,
    /// UNAUTHENTICATE (RFC 8437) is offered: enabled in the configuration,
    /// logged in, and no COMPRESS layer (which RFC 8437 §4.1 would end
    /// mid-stream).
    pub(crate) unauthenticate: bool,
}

/// The capabilities the server advertises: the engine's plus what the
/// connection layer implements. Before login non-synchronising literals
/// are LITERAL- (RFC 7888 §5: at most 4096 bytes, so no client can make an
/// unauthenticated connection buffer more unasked), after it LITERAL+ up
/// to the literal limit; never both at once.
pub(crate) fn capabilities(offer: Offer) -> Vec<Capability<'static>> {
    let mut caps = Session::capabilities();
    let append_limit = format!("APPENDLIMIT={}", offer.max_literal);
    let mut extra = vec![append_limit.as_str(), "ID"];
    if offer.authenticated {
        extra.extend(["LITERAL+", "COMPRESS=DEFLATE"]);
    } else {
        extra.push("LITERAL-");
    }
    if offer.unauthenticate {
        extra.push("UNAUTHENTICATE");
    }
    if offer.starttls {
        extra.push("STARTTLS");
    }
    if offer.login_allowed {
        extra.extend(["SASL-IR", "AUTH=PLAIN"]);
    } else {
        extra.push("LOGINDISABLED");
    }
    for name in extra {
        if let Ok(atom) = hadron_proto::types::Atom::try_from(name) {
            caps.push(Capability::from_atom(atom).into_static());
        }
    }
    caps
}

/// Response text: CR and LF (which `Text` cannot hold) become spaces; a
/// leading `[` is kept from looking like a response code.
fn text(s: &str) -> Text<'static> {
    let mut s: String = s
        .chars()
        .map(|c| {
            if c == '\r' || c == '\n' || c == '\0' {
                ' '
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() {
        s.push_str("done");
    }
    if s.starts_with('[') {
        s.insert(0, ' ');
    }
    Text::try_from(s).unwrap_or_else(|_| Text::try_from("done").unwrap_or_else(|_| unreachable!()))
}

pub(super) fn resp_text(code: Option<Code<'static>>, s: &str) -> RespText<'static> {
    RespText::new(code, text(s)).unwrap_or_else(|_| RespText::plain("done").into_static())
}

pub(super) fn tagged(
    tag: &Tag<'_>,
    kind: StatusKind,
    code: Option<Code<'static>>,
    s: &str,
) -> Response<'static> {
    Response::Status(Status::Tagged {
        tag: tag.clone().into_static(),
        kind,
        text: resp_text(code, s),
    })
}

pub(super) fn untagged(kind: StatusKind, s: &str) -> Response<'static> {
    Response::Status(Status::Untagged {
        kind,
        text: resp_text(None, s),
    })
}

/// `* BYE text`.
pub(crate) fn bye(code: Option<Code<'static>>, s: &str) -> Response<'static> {
    Response::Status(Status::Bye(resp_text(code, s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_break_the_line() {
        assert_eq!(text("a\r\nb").as_str(), "a  b");
        assert_eq!(text("[x").as_str(), " [x");
    }
}
