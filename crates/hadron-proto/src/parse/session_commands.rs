//! Session commands: AUTHENTICATE, LOGIN, ID, ENABLE and COMPRESS.

use crate::parse::core::{astring, atom, nil, nstring, string};
use crate::parse::error::{PError, PResult};
use crate::parse::keyword::{fail, paren_words, sp};
use crate::types::{Base64, Capability, CommandBody, NonEmptyVec};

/// `authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]`
pub(super) fn authenticate(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, mechanism) = atom(i).map_err(|_| fail(i, "a SASL mechanism name"))?;
    let (i, initial_response) = match i.split_first() {
        Some((b' ', rest)) => {
            let n = rest
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
                .unwrap_or(rest.len());
            if n == 0 {
                return Err(fail(rest, "a base64 initial response or '='"));
            }
            let text = crate::parse::core::ascii(&rest[..n]);
            let response = if text == "=" {
                Base64::EMPTY
            } else {
                Base64::try_from(text).map_err(|e| PError::invalid(rest, e))?
            };
            (&rest[n..], Some(response))
        }
        _ => (i, None),
    };
    Ok((
        i,
        CommandBody::Authenticate {
            mechanism,
            initial_response,
        },
    ))
}

/// `login = "LOGIN" SP userid SP password`
pub(super) fn login(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, username) = astring(i)?;
    let (i, _) = sp(i)?;
    let (i, password) = astring(i)?;
    Ok((i, CommandBody::Login { username, password }))
}

/// `id = "ID" SP id-params-list` (RFC 2971)
///
/// `id-params-list = "(" [string SP nstring *(SP string SP nstring)] ")" / nil`
pub(super) fn id(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, CommandBody::Id(None)));
    }
    let (i, params) = paren_words(i, true, "", |i| {
        let (i, key) = string(i).map_err(|_| fail(i, "an ID field name string"))?;
        let (i, _) = sp(i)?;
        let (i, value) = nstring(i).map_err(|_| fail(i, "an ID value (string or NIL)"))?;
        Ok((i, (key, value)))
    })?;
    Ok((i, CommandBody::Id(Some(params))))
}

/// `enable = "ENABLE" 1*(SP capability)` (RFC 5161)
pub(super) fn enable(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let mut caps = Vec::new();
    let mut i = i;
    while let [b' ', rest @ ..] = i {
        let (rest, a) = atom(rest).map_err(|_| fail(rest, "a capability name"))?;
        caps.push(Capability::from_atom(a));
        i = rest;
    }
    if caps.is_empty() {
        return Err(fail(i, "SP and a capability name"));
    }
    Ok((i, CommandBody::Enable(NonEmptyVec::unvalidated(caps))))
}

/// `compress = "COMPRESS" SP algorithm` (RFC 4978)
pub(super) fn compress(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, algorithm) = atom(i).map_err(|_| fail(i, "a compression algorithm"))?;
    Ok((i, CommandBody::Compress { algorithm }))
}

/// `cancelupdate = "CANCELUPDATE" 1*(SP tag-string)`, `tag-string = string`
/// (RFC 5267)
pub(super) fn cancel_update(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let mut tags = Vec::new();
    let mut i = i;
    while let Some((b' ', rest)) = i.split_first() {
        let (rest, tag) = string(rest).map_err(|_| fail(rest, "a search tag (a string)"))?;
        tags.push(tag);
        i = rest;
    }
    if tags.is_empty() {
        return Err(fail(i, "SP and a search tag"));
    }
    Ok((i, CommandBody::CancelUpdate(NonEmptyVec::unvalidated(tags))))
}
