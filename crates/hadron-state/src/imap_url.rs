//! IMAP URLs (RFC 5092) that name a message or a part of one, as the URL
//! parts of CATENATE use them (RFC 4469 §5): parsed here, resolved by the
//! session (`session/catenate.rs`).
//!
//! Three forms are read:
//! - absolute, `imap://user[;AUTH=…]@host[:port]/mailbox…`;
//! - relative to the server (an absolute path), `/mailbox…`;
//! - relative to the selected mailbox, `;UID=…` (RFC 3986 resolution
//!   against `imap://user@host/mailbox/`).
//!
//! After the server part (`ABNF` of RFC 5092 §11, names case-insensitive):
//!
//! ```text
//! imessagepart = imailbox-ref iuid [isection] [ipartial]
//! imailbox-ref = enc-mailbox [uidvalidity]
//! uidvalidity  = ";UIDVALIDITY=" nz-number
//! iuid         = "/;UID=" nz-number
//! isection     = "/;SECTION=" enc-section
//! ipartial     = "/;PARTIAL=" partial-range
//! partial-range = number ["." nz-number]
//! ```
//!
//! The mailbox name is percent-decoded, then read as modified UTF-7 when
//! it is ASCII and valid as such (what RFC 2192 clients send), otherwise as
//! UTF-8 (RFC 5092 §3.3). URLAUTH (`;EXPIRE=`, `;URLAUTH=`) is not
//! supported: such a URL is refused like any URL Hadron cannot use.
//!
//! ```
//! use hadron_state::imap_url::MessageUrl;
//! let url = MessageUrl::parse("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME").unwrap();
//! assert_eq!(url.mailbox.as_deref(), Some("Drafts"));
//! assert_eq!((url.uid_validity, url.uid), (Some(385759045), 20));
//! assert!(url.section.is_some());
//! ```

use hadron_proto::types::{Mailbox, Section};

/// The server an absolute URL names: `imap://[user[;AUTH=…]@]host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlServer {
    /// The user (percent-decoded), if the URL names one.
    pub user: Option<String>,
    /// The host, as written (an IP literal keeps its brackets).
    pub host: String,
    /// The port, if given.
    pub port: Option<u16>,
}

/// A parsed IMAP URL naming a message, or a section of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageUrl {
    /// The server of an absolute URL; `None` for a relative one.
    pub server: Option<UrlServer>,
    /// The mailbox's name (UTF-8, as the store keeps it, `INBOX`
    /// normalised); `None` for the selected mailbox (`;UID=…`).
    pub mailbox: Option<String>,
    /// The UIDVALIDITY the message's UID belongs to, if given.
    pub uid_validity: Option<u32>,
    /// The message's UID.
    pub uid: u32,
    /// The section (`None`: the whole message, as `BODY[]`).
    pub section: Option<Section<'static>>,
    /// The partial range `(offset, length)`; no length reads to the end.
    pub partial: Option<(u32, Option<u32>)>,
}

/// Why a URL cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(&'static str);

/// The value of `name=` at the start of `token`, case-insensitively.
fn param<'t>(token: &'t str, name: &str) -> Option<&'t str> {
    let head = token.get(..name.len())?;
    head.eq_ignore_ascii_case(name)
        .then(|| &token[name.len()..])
}

/// `nz-number`: no leading zero, below 2^32.
fn nz_number(s: &str) -> Option<u32> {
    if s.starts_with('0') || s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `number`: digits, below 2^32.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Percent-decoding (`pct-encoded = "%" HEXDIG HEXDIG`).
fn percent_decode(s: &str) -> Result<Vec<u8>, UrlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(UrlError("a % not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// The store's name of a percent-decoded URL mailbox name.
fn mailbox_name(encoded: &str) -> Result<String, UrlError> {
    let decoded = percent_decode(encoded)?;
    if decoded.is_empty() {
        return Err(UrlError("no mailbox name"));
    }
    let utf8 = String::from_utf8(decoded).map_err(|_| UrlError("a mailbox name not in UTF-8"))?;
    let mailbox = match Mailbox::from_wire_or_raw(utf8.as_bytes()) {
        Ok(m) if utf8.is_ascii() && !m.is_raw() => m.into_static(),
        _ => Mailbox::new(utf8.clone()).map_err(|_| UrlError("an invalid mailbox name"))?,
    };
    Ok(crate::mailboxes::store_name(&mailbox))
}

/// `iserver = [iuserinfo "@"] host [":" port]`,
/// `iuserinfo = enc-user [iauth] / [enc-user] iauth`.
fn server(authority: &str) -> Result<UrlServer, UrlError> {
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let user = match userinfo {
        None => None,
        Some(u) => {
            let enc_user = match u.find(';') {
                Some(at) if param(&u[at..], ";AUTH=").is_some() => &u[..at],
                Some(_) => return Err(UrlError("an unknown parameter in the user part")),
                None => u,
            };
            let user = String::from_utf8(percent_decode(enc_user)?)
                .map_err(|_| UrlError("a user name not in UTF-8"))?;
            (!user.is_empty()).then_some(user)
        }
    };
    let (host, port) = match hostport.rfind(':') {
        Some(at) if !hostport[at..].contains(']') => {
            let port = hostport[at + 1..]
                .parse::<u16>()
                .map_err(|_| UrlError("an invalid port"))?;
            (&hostport[..at], Some(port))
        }
        _ => (hostport, None),
    };
    if host.is_empty() {
        return Err(UrlError("no host"));
    }
    Ok(UrlServer {
        user,
        host: host.to_owned(),
        port,
    })
}

impl MessageUrl {
    /// Parses `url` (see the [module docs](self) for the forms read).
    pub fn parse(url: &str) -> Result<MessageUrl, UrlError> {
        let (server, path, relative_to_mailbox) = if let Some(rest) = param(url, "imap://") {
            let slash = rest
                .find('/')
                .ok_or(UrlError("no mailbox after the server"))?;
            (Some(server(&rest[..slash])?), &rest[slash + 1..], false)
        } else if let Some(path) = url.strip_prefix('/') {
            (None, path, false)
        } else if url.starts_with(';') {
            (None, url, true)
        } else {
            return Err(UrlError("not an IMAP URL of a message"));
        };
        let mut tokens = path.split(';');
        let mailbox_token = tokens.next().unwrap_or_default();
        let mut tokens = tokens.peekable();
        let mut uid_validity = None;
        let mailbox = if relative_to_mailbox {
            None
        } else if tokens
            .peek()
            .is_some_and(|t| param(t, "UIDVALIDITY=").is_some())
        {
            let v = tokens.next().and_then(|t| param(t, "UIDVALIDITY="));
            let v = v
                .and_then(|v| v.strip_suffix('/'))
                .and_then(nz_number)
                .ok_or(UrlError("an invalid UIDVALIDITY"))?;
            uid_validity = Some(v);
            Some(mailbox_name(mailbox_token)?)
        } else {
            let name = mailbox_token
                .strip_suffix('/')
                .ok_or(UrlError("no /;UID= after the mailbox"))?;
            Some(mailbox_name(name)?)
        };
        // The remaining parameters in order; each but the last ends in `/`.
        let rest: Vec<&str> = tokens.collect();
        let last = rest.len().saturating_sub(1);
        let rest = rest
            .into_iter()
            .enumerate()
            .map(|(i, t)| match i < last {
                true => t
                    .strip_suffix('/')
                    .ok_or(UrlError("parameters not separated by /")),
                false => Ok(t),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut rest = rest.into_iter();
        let uid = rest
            .next()
            .and_then(|t| param(t, "UID="))
            .and_then(nz_number)
            .ok_or(UrlError("no valid ;UID="))?;
        let mut section = None;
        let mut partial = None;
        let mut next = rest.next();
        if let Some(s) = next.and_then(|t| param(t, "SECTION=")) {
            let bytes = percent_decode(s)?;
            let parsed =
                hadron_proto::parse::section_spec(&bytes).ok_or(UrlError("an invalid section"))?;
            section = Some(parsed.into_static());
            next = rest.next();
        }
        if let Some(p) = next.and_then(|t| param(t, "PARTIAL=")) {
            let (offset, length) = match p.split_once('.') {
                Some((o, l)) => (o, Some(nz_number(l).ok_or(UrlError("an invalid partial"))?)),
                None => (p, None),
            };
            partial = Some((
                number(offset).ok_or(UrlError("an invalid partial"))?,
                length,
            ));
            next = rest.next();
        }
        if next.is_some() {
            return Err(UrlError("an unsupported URL parameter (URLAUTH?)"));
        }
        Ok(MessageUrl {
            server,
            mailbox,
            uid_validity,
            uid,
            section,
            partial,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use hadron_proto::types::Part;

    use super::*;

    fn part(p: &[u32]) -> Part {
        Part::new(p.iter().map(|&n| NonZeroU32::new(n).unwrap()).collect()).unwrap()
    }

    #[test]
    fn the_forms_rfc_4469_uses_parse() {
        let url =
            MessageUrl::parse("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME").unwrap();
        assert_eq!(url.server, None);
        assert_eq!(url.section, Some(Section::Mime(part(&[1]))));
        let url = MessageUrl::parse("/Drafts;UIDVALIDITY=385759045/;UID=30").unwrap();
        assert_eq!((url.uid, url.section, url.partial), (30, None, None));
        let url = MessageUrl::parse("/INBOX/;uid=5/;section=header").unwrap();
        assert_eq!(url.mailbox.as_deref(), Some("INBOX"));
        assert_eq!(url.uid_validity, None);
        assert_eq!(url.section, Some(Section::Header(None)));
        let url = MessageUrl::parse("/inbox/;UID=5/;PARTIAL=100000.1").unwrap();
        assert_eq!(url.mailbox.as_deref(), Some("INBOX"));
        assert_eq!(url.partial, Some((100000, Some(1))));
        let url =
            MessageUrl::parse("/a/b;UIDVALIDITY=1/;UID=2/;SECTION=2.TEXT/;PARTIAL=3").unwrap();
        assert_eq!(url.mailbox.as_deref(), Some("a/b"));
        assert_eq!(url.section, Some(Section::Text(Some(part(&[2])))));
        assert_eq!(url.partial, Some((3, None)));
    }

    #[test]
    fn absolute_urls_name_their_server_and_user() {
        let url = MessageUrl::parse("imap://fred%40example@mail.example:143/INBOX/;UID=7").unwrap();
        let server = url.server.unwrap();
        assert_eq!(server.user.as_deref(), Some("fred@example"));
        assert_eq!(
            (server.host.as_str(), server.port),
            ("mail.example", Some(143))
        );
        let url = MessageUrl::parse("IMAP://joe;AUTH=*@[::1]/INBOX/;UID=7").unwrap();
        let server = url.server.unwrap();
        assert_eq!(
            (server.user.as_deref(), server.host.as_str()),
            (Some("joe"), "[::1]")
        );
        let url = MessageUrl::parse("imap://host/INBOX/;UID=7").unwrap();
        assert_eq!(url.server.unwrap().user, None);
    }

    #[test]
    fn a_mailbox_relative_url_names_the_selected_mailbox() {
        let url = MessageUrl::parse(";UID=3/;SECTION=1").unwrap();
        assert_eq!((url.mailbox, url.uid), (None, 3));
        assert_eq!(url.section, Some(Section::Part(part(&[1]))));
    }

    #[test]
    fn mailbox_names_are_percent_decoded_utf8_or_modified_utf7() {
        let name = |u: &str| MessageUrl::parse(u).unwrap().mailbox.unwrap();
        assert_eq!(name("/Entw%C3%BCrfe/;UID=1"), "Entwürfe");
        assert_eq!(name("/Entw&APw-rfe/;UID=1"), "Entwürfe");
        assert_eq!(name("/a%20b/;UID=1"), "a b");
        // Not valid modified UTF-7: the name as written.
        assert_eq!(name("/R&D/;UID=1"), "R&D");
        let url = MessageUrl::parse("/x/;UID=1/;SECTION=HEADER.FIELDS%20(FROM%20TO)").unwrap();
        assert!(matches!(url.section, Some(Section::HeaderFields(None, _))));
    }

    #[test]
    fn unusable_urls_are_errors() {
        for bad in [
            "",
            "INBOX/;UID=1",
            "/INBOX",
            "/INBOX;UID=1",
            "/INBOX/;UID=0",
            "/INBOX/;UID=01",
            "/INBOX/;UID=4294967296",
            "/INBOX/;UID=x",
            "/INBOX;UIDVALIDITY=0/;UID=1",
            "/INBOX;UIDVALIDITY=5;UID=1",
            "/INBOX/;UID=1;SECTION=1",
            "/INBOX/;UID=1/;SECTION=1.2.FOO",
            "/INBOX/;UID=1/;SECTION=",
            "/INBOX/;UID=1/;PARTIAL=1.0",
            "/INBOX/;UID=1/;PARTIAL=",
            "/INBOX/;UID=1/;URLAUTH=anonymous:internal:abc",
            "/INBOX/;UID=1/;SECTION=1/;PARTIAL=0.5/;EXPIRE=2030-01-01T00:00:00Z",
            "/%ZZ/;UID=1",
            "/%FF/;UID=1",
            "/;UID=1",
            "imap://host",
            "imap://@/INBOX/;UID=1",
            "imap://u@host:99999/INBOX/;UID=1",
            "imap://u;X=1@host/INBOX/;UID=1",
            "http://host/INBOX/;UID=1",
        ] {
            assert!(MessageUrl::parse(bad).is_err(), "{bad:?}");
        }
    }
}
