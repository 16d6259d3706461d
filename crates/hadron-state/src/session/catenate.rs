//! CATENATE (RFC 4469): the message of an `APPEND … CATENATE (…)` put
//! together from TEXT literals and the messages (or sections) IMAP URLs
//! name, before it is appended like any other.
//!
//! - A URL may name only the logged-in user's own messages on this server
//!   ([`crate::imap_url`] for its forms): an absolute URL must name the
//!   user and one of the host names the embedder gave
//!   ([`Session::with_url_hosts`]). Anything else — another user or
//!   server, a missing mailbox, a UIDVALIDITY that is not the mailbox's, a
//!   UID not in it, a section naming no part, URLAUTH — fails the whole
//!   APPEND with `NO [BADURL <url>]` (RFC 4469 §6) and appends nothing, nor
//!   any other message of a MULTIAPPEND.
//! - What a URL names is read when the APPEND runs, as
//!   `BODY.PEEK[section]<partial>` reads it (no `\Seen` is set): the bytes
//!   as stored. Stored messages are IMAP4rev1-safe (a part that held NUL is
//!   kept in base64, `message::storable`), so URL data never needs a
//!   `literal8` APPEND, and is never decoded as `BINARY[]` would; a TEXT
//!   `literal8` holding NUL is handled as a plain APPEND's (parts holding
//!   it go to base64, NUL outside them is `NO [UNKNOWN-CTE]`).
//! - Each assembled message is held to the server's literal limit
//!   (`APPENDLIMIT`, RFC 7889): larger is `NO [TOOBIG]` (RFC 4469 §5),
//!   known as soon as the parts read so far pass it. All the URL data one
//!   command reads is held to twice that limit (`NO [LIMIT]`), so URLs
//!   cannot make one small command hold unbounded memory.

use hadron_proto::types::{
    AString, Atom, CatPart, Code, NonEmptyVec, OtherCode, StatusKind, Tag, Text,
};
use hadron_store::{FetchColumns, UidSet};

use super::output::tagged;
use super::{Output, Session, fetch_body, no_for};
use crate::engine::EngineError;
use crate::imap_url::MessageUrl;
use crate::message::section::partial_range;

/// The limit on one command's URL data when the embedder sets no
/// `APPENDLIMIT`: 64 MiB per message.
const DEFAULT_LIMIT: u64 = 64 << 20;

/// Why a CATENATE message could not be put together: the tagged `NO`.
pub(super) struct Refused(pub(super) Output);

/// What the URL parts of one command have read so far.
#[derive(Debug, Default)]
pub(super) struct UrlBudget {
    read: u64,
}

/// `BADURL <url>` (RFC 4469 §6): the URL as the client sent it, with bytes
/// that cannot be in `url-resp-text` (controls, 8-bit, `]`) `%`-escaped.
fn bad_url_code(url: &[u8]) -> Code<'static> {
    let mut text = String::with_capacity(url.len());
    for &b in url {
        if b.is_ascii_graphic() && b != b']' {
            text.push(b as char);
        } else {
            text.push_str(&format!("%{b:02X}"));
        }
    }
    let name = Atom::try_from("BADURL").unwrap_or_else(|_| unreachable!("an atom"));
    let text = (!text.is_empty())
        .then(|| Text::try_from(text).ok())
        .flatten();
    match OtherCode::new(name.clone(), text) {
        Ok(code) => Code::Other(code),
        Err(_) => Code::Other(OtherCode::new(name, None).unwrap_or_else(|_| unreachable!())),
    }
}

impl Session {
    /// The host names an absolute IMAP URL may give for this server
    /// (CATENATE, RFC 4469), compared without regard to case; with none, no
    /// absolute URL is accepted (relative ones always are).
    pub fn with_url_hosts(mut self, hosts: Vec<String>) -> Session {
        self.url_hosts = hosts;
        self
    }

    /// The message the CATENATE `parts` make, for an APPEND to `tag`; see
    /// the [module docs](self).
    pub(super) async fn catenate(
        &self,
        tag: &Tag<'_>,
        parts: &NonEmptyVec<CatPart<'static>>,
        budget: &mut UrlBudget,
    ) -> Result<Vec<u8>, Refused> {
        let limit = self.append_limit.unwrap_or(DEFAULT_LIMIT);
        let mut message = Vec::new();
        for part in parts {
            match part {
                CatPart::Text(text) => message.extend_from_slice(text.data()),
                CatPart::Url(url) => {
                    let data = self.read_url(tag, url).await?;
                    budget.read = budget.read.saturating_add(data.len() as u64);
                    if budget.read > limit.saturating_mul(2) {
                        let why = format!(
                            "the URLs of this APPEND name more than {} bytes",
                            limit.saturating_mul(2)
                        );
                        return Err(Refused(tagged(tag, StatusKind::No, Some(Code::Limit), why)));
                    }
                    message.extend_from_slice(&data);
                }
            }
            if message.len() as u64 > limit {
                let why = format!("the message would exceed the {limit} byte limit");
                return Err(Refused(tagged(
                    tag,
                    StatusKind::No,
                    Some(Code::TooBig),
                    why,
                )));
            }
        }
        Ok(message)
    }

    /// The bytes `url` names, or the `NO [BADURL]` that refuses it.
    async fn read_url(&self, tag: &Tag<'_>, url: &AString<'static>) -> Result<Vec<u8>, Refused> {
        let bad = |why: &str| {
            Refused(tagged(
                tag,
                StatusKind::No,
                Some(bad_url_code(url.as_bytes())),
                format!("cannot use this URL: {why}"),
            ))
        };
        let text = std::str::from_utf8(url.as_bytes()).map_err(|_| bad("not ASCII"))?;
        let parsed = MessageUrl::parse(text).map_err(|e| bad(&e.to_string()))?;
        let account = self.acct();
        if let Some(server) = &parsed.server {
            if server.user.as_deref() != Some(account.name.as_str()) {
                return Err(bad("it names another user (or none)"));
            }
            if !self
                .url_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&server.host))
            {
                return Err(bad("it names another server"));
            }
        }
        let name = match parsed.mailbox {
            Some(name) => name,
            None => match self.selected_mailbox() {
                Some((name, _)) => name.to_owned(),
                None => return Err(bad("no mailbox is selected")),
            },
        };
        let info = match self.engine.mailbox(account.id, &name).await {
            Ok(info) => info,
            Err(EngineError::NoSuchMailbox(_)) => return Err(bad("no such mailbox")),
            Err(e) => return Err(Refused(no_for(tag, &e))),
        };
        if parsed.uid_validity.is_some_and(|v| v != info.uidvalidity) {
            return Err(bad("its UIDVALIDITY is not the mailbox's"));
        }
        let (uid, section) = (parsed.uid, parsed.section);
        let read = self
            .engine
            .blocking(move |store, blobs| {
                let columns = FetchColumns {
                    part_map: true,
                    ..FetchColumns::default()
                };
                let Some(row) = store
                    .fetch_for_fetch(info.id, &UidSet::from_uids([uid]), columns)?
                    .pop()
                else {
                    return Ok(None);
                };
                Ok(Some(fetch_body::read_url_content(
                    blobs,
                    &row.meta,
                    section.as_ref(),
                )?))
            })
            .await;
        let data = match read {
            Ok(Some(Some(data))) => data,
            Ok(None) => return Err(bad("no message with that UID")),
            Ok(Some(None)) => return Err(bad("no such section in the message")),
            Err(e) => return Err(Refused(no_for(tag, &e))),
        };
        // No length reads to the end, as the longest count would.
        let partial = parsed.partial.map(|(o, l)| (o, l.unwrap_or(u32::MAX)));
        let range = partial_range(data.len(), partial);
        Ok(if range == (0..data.len()) {
            data
        } else {
            data[range].to_vec()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_url_codes_carry_the_url_escaped_to_fit_the_response() {
        let code = bad_url_code(b"/INBOX/;UID=1");
        assert_eq!(code.name(), "BADURL");
        let Code::Other(o) = &code else { panic!() };
        assert_eq!(o.text().unwrap().as_str(), "/INBOX/;UID=1");
        let Code::Other(o) = bad_url_code(b"/a]b c\r\n\xff") else {
            panic!()
        };
        assert_eq!(o.text().unwrap().as_str(), "/a%5Db%20c%0D%0A%FF");
        let Code::Other(o) = bad_url_code(b"") else {
            panic!()
        };
        assert!(o.text().is_none());
    }
}
