//! Building responses: texts that cannot break the line, tagged and
//! untagged statuses, BYE, and the capability list.

use hadron_proto::types::{Capability, Code, RespText, Response, Status, StatusKind, Tag, Text};
use hadron_state::session::Session;

/// The capabilities the server advertises: the engine's plus what the
/// connection layer implements, given whether STARTTLS is on offer,
/// whether logging in is allowed on this connection now, and the largest
/// literal it accepts (`APPENDLIMIT=`, RFC 7889: a bigger APPEND is refused
/// `NO [TOOBIG]` before its data is sent).
pub(crate) fn capabilities(
    starttls: bool,
    login_allowed: bool,
    max_literal: u64,
) -> Vec<Capability<'static>> {
    let mut caps = Session::capabilities();
    let append_limit = format!("APPENDLIMIT={max_literal}");
    let mut extra = vec![append_limit.as_str(), "ID", "LITERAL+"];
    if starttls {
        extra.push("STARTTLS");
    }
    if login_allowed {
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
