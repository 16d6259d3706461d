//! Mailbox commands: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST,
//! LSUB, STATUS, APPEND and the QUOTA commands (RFC 9208).

use std::borrow::Cow;

use crate::parse::core::{
    astring, atom, date_time, flag_list, literal, literal8, mailbox, number64, resource_name,
    string,
};
use crate::parse::error::{PError, PResult};
use crate::parse::keyword::{fail, from_names, paren_words, sp, upcase, word};
use crate::types::{
    AppendData, AppendMessage, CatPart, CommandBody, ListMailbox, ListReturnOption,
    ListSelectOption, NonEmptyVec, QuotaLimit, StatusItem,
};

/// `create = "CREATE" SP mailbox [create-params]`
///
/// `create-params = SP "(" create-param *(SP create-param) ")"`,
/// `create-param =/ "USE" SP "(" [use-attr *(SP use-attr)] ")"` (RFC 6154)
pub(super) fn create(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (mut i, mailbox) = mailbox(i)?;
    let mut special_use = Vec::new();
    if let [b' ', b'(', rest @ ..] = i {
        let (rest, name) = word(rest)?;
        if !name.eq_ignore_ascii_case(b"USE") {
            return Err(fail(rest, "USE"));
        }
        let (rest, _) = sp(rest)?;
        let Some((b'(', mut rest)) = rest.split_first() else {
            return Err(fail(rest, "'(' after USE"));
        };
        loop {
            if let Some((b')', after)) = rest.split_first() {
                rest = after;
                break;
            }
            if !special_use.is_empty() {
                (rest, _) = sp(rest)?;
            }
            let Some((b'\\', after)) = rest.split_first() else {
                return Err(fail(rest, "a special-use attribute (\\Drafts)"));
            };
            let (after, a) = atom(after)?;
            special_use.push(a);
            rest = after;
        }
        let Some((b')', rest)) = rest.split_first() else {
            return Err(fail(rest, "')' to end the create parameters"));
        };
        i = rest;
    }
    Ok((
        i,
        CommandBody::Create {
            mailbox,
            special_use,
        },
    ))
}

/// `delete = "DELETE" SP mailbox`, `subscribe = "SUBSCRIBE" SP mailbox`,
/// `unsubscribe = "UNSUBSCRIBE" SP mailbox` (after the name)
pub(super) fn one_mailbox<'a>(
    i: &'a [u8],
    make: impl FnOnce(crate::types::Mailbox<'a>) -> CommandBody<'a>,
) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (i, m) = mailbox(i)?;
    Ok((i, make(m)))
}

/// `rename = "RENAME" SP mailbox SP mailbox`
pub(super) fn rename(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, from) = mailbox(i)?;
    let (i, _) = sp(i)?;
    let (i, to) = mailbox(i)?;
    Ok((i, CommandBody::Rename { from, to }))
}

/// `list-char = ATOM-CHAR / list-wildcards / resp-specials`
fn is_list_char(b: u8) -> bool {
    crate::types::is_atom_char(b) || matches!(b, b'%' | b'*' | b']')
}

/// `list-mailbox = 1*list-char / string` (modified UTF-7 decoded, or kept
/// raw when it is not valid modified UTF-7)
fn list_mailbox(i: &[u8]) -> PResult<'_, ListMailbox<'_>> {
    let start = i;
    let (rest, wire): (_, Cow<'_, [u8]>) = match i.first() {
        Some(b'"' | b'{') => {
            let (rest, s) = string(i)?;
            (rest, s.into_cow())
        }
        _ => {
            let n = i.iter().position(|&b| !is_list_char(b)).unwrap_or(i.len());
            if n == 0 {
                return Err(fail(i, "a mailbox pattern"));
            }
            (&i[n..], Cow::Borrowed(&i[..n]))
        }
    };
    let pattern = match wire {
        Cow::Borrowed(b) => ListMailbox::from_wire_or_raw(b),
        Cow::Owned(b) => ListMailbox::from_wire_or_raw(&b).map(ListMailbox::into_static),
    }
    .map_err(|e| PError::invalid(start, e))?;
    Ok((rest, pattern))
}

/// `status-att = "MESSAGES" / "RECENT" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN"
///   / "DELETED" / "SIZE" / "HIGHESTMODSEQ"`, `status-att =/ "MAILBOXID"` (RFC 8474)
fn status_att(i: &[u8]) -> PResult<'_, StatusItem> {
    let (rest, w) = word(i).map_err(|_| fail(i, "a status item"))?;
    match StatusItem::from_name(w) {
        Some(item) => Ok((rest, item)),
        None => Err(fail(i, "a status item")),
    }
}

/// `list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
///   [SP list-return-opts]` (RFC 5258)
///
/// `list-select-opts = "(" [list-select-opt *(SP list-select-opt)] ")"`,
/// `mbox-or-pat = list-mailbox / patterns`,
/// `patterns = "(" list-mailbox *(SP list-mailbox) ")"`,
/// `list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"`,
/// `return-option = "SUBSCRIBED" / "CHILDREN" / "SPECIAL-USE" /
///   "STATUS" SP "(" status-att *(SP status-att) ")"` (RFC 5819)
pub(super) fn list(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (mut i, _) = sp(i)?;
    let mut selection = Vec::new();
    if i.first() == Some(&b'(') {
        let select_opt = from_names(
            &ListSelectOption::ALL,
            ListSelectOption::name,
            "a LIST selection option",
        );
        let (rest, opts) = paren_words(i, true, "", select_opt)?;
        // RFC 5258 §3: RECURSIVEMATCH only refines a base option.
        if opts.contains(&ListSelectOption::RecursiveMatch)
            && !opts.contains(&ListSelectOption::Subscribed)
        {
            return Err(fail(i, "SUBSCRIBED with RECURSIVEMATCH"));
        }
        selection = opts;
        (i, _) = sp(rest)?;
    }
    let (i, reference) = mailbox(i)?;
    let (i, _) = sp(i)?;
    let (mut i, patterns) = if i.first() == Some(&b'(') {
        let (i, p) = paren_words(i, false, "a mailbox pattern", list_mailbox)?;
        (i, NonEmptyVec::unvalidated(p))
    } else {
        let (i, p) = list_mailbox(i)?;
        (i, NonEmptyVec::one(p))
    };
    let mut return_options = Vec::new();
    if let [b' ', rest @ ..] = i {
        let (rest, w) = word(rest)?;
        if !w.eq_ignore_ascii_case(b"RETURN") {
            return Err(fail(&i[1..], "RETURN"));
        }
        let (rest, _) = sp(rest)?;
        let (rest, opts) = paren_words(rest, true, "", return_option)?;
        return_options = opts;
        i = rest;
    }
    Ok((
        i,
        CommandBody::List {
            selection,
            reference,
            patterns,
            return_options,
        },
    ))
}

/// `return-option = "SUBSCRIBED" / "CHILDREN" / "SPECIAL-USE" /
///   "STATUS" SP "(" status-att *(SP status-att) ")"`
fn return_option(i: &[u8]) -> PResult<'_, ListReturnOption> {
    let (rest, w) = word(i).map_err(|_| fail(i, "a LIST return option"))?;
    let mut buf = [0u8; 16];
    match upcase(w, &mut buf) {
        b"SUBSCRIBED" => Ok((rest, ListReturnOption::Subscribed)),
        b"CHILDREN" => Ok((rest, ListReturnOption::Children)),
        b"SPECIAL-USE" => Ok((rest, ListReturnOption::SpecialUse)),
        b"STATUS" => {
            let (rest, _) = sp(rest)?;
            let (rest, items) = paren_words(rest, false, "a status item", status_att)?;
            Ok((
                rest,
                ListReturnOption::Status(NonEmptyVec::unvalidated(items)),
            ))
        }
        _ => Err(fail(i, "SUBSCRIBED, CHILDREN, SPECIAL-USE or STATUS")),
    }
}

/// `lsub = "LSUB" SP mailbox SP list-mailbox`
pub(super) fn lsub(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, reference) = mailbox(i)?;
    let (i, _) = sp(i)?;
    let (i, pattern) = list_mailbox(i)?;
    Ok((i, CommandBody::Lsub { reference, pattern }))
}

/// `status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"`
pub(super) fn status(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, mailbox) = mailbox(i)?;
    let (i, _) = sp(i)?;
    let (i, items) = paren_words(i, false, "a status item", status_att)?;
    let items = NonEmptyVec::unvalidated(items);
    Ok((i, CommandBody::Status { mailbox, items }))
}

/// `append = "APPEND" SP mailbox 1*append-message` (RFC 3502)
///
/// `append-message = append-opts SP append-data`,
/// `append-opts = [SP flag-list] [SP date-time]`
pub(super) fn append(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (mut i, mailbox) = mailbox(i)?;
    let mut messages = Vec::new();
    while let [b' ', b'(' | b'"' | b'{' | b'~' | b'C' | b'c', ..] = i {
        let mut rest = &i[1..];
        let mut flags = Vec::new();
        let mut date = None;
        if rest.first() == Some(&b'(') {
            let (after, f) = flag_list(rest).map_err(|_| fail(rest, "a flag list"))?;
            flags = f;
            (rest, _) = sp(after)?;
        }
        if rest.first() == Some(&b'"') {
            let (after, d) = date_time(rest).map_err(|e| match e {
                nom::Err::Error(_) => fail(rest, "a date-time (\"01-Feb-1994 21:52:25 -0800\")"),
                e => e,
            })?;
            date = Some(d);
            (rest, _) = sp(after)?;
        }
        let (after, data) = append_data(rest)?;
        messages.push(AppendMessage { flags, date, data });
        i = after;
    }
    if messages.is_empty() {
        return Err(fail(i, "SP and a message literal"));
    }
    let messages = NonEmptyVec::unvalidated(messages);
    Ok((i, CommandBody::Append { mailbox, messages }))
}

/// `append-data = literal / literal8` (RFC 3501, RFC 3516),
/// `append-data =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")"` (RFC 4469)
fn append_data(i: &[u8]) -> PResult<'_, AppendData<'_>> {
    match i.first() {
        Some(b'{') => literal(i).map(|(rest, l)| (rest, AppendData::Literal(l))),
        Some(b'~') => literal8(i).map(|(rest, l)| (rest, AppendData::Literal(l))),
        _ => {
            let (rest, w) =
                word(i).map_err(|_| fail(i, "a literal with the message or CATENATE"))?;
            if !w.eq_ignore_ascii_case(b"CATENATE") {
                return Err(fail(i, "a literal with the message or CATENATE"));
            }
            let (rest, _) = sp(rest)?;
            let (rest, parts) =
                paren_words(rest, false, "a CATENATE part (TEXT or URL)", cat_part)?;
            Ok((rest, AppendData::Catenate(NonEmptyVec::unvalidated(parts))))
        }
    }
}

/// `cat-part = text-literal / url`, `text-literal = "TEXT" SP literal`,
/// `url = "URL" SP astring` (RFC 4469 §5); with BINARY (RFC 3516) the text
/// may be a `literal8`.
fn cat_part(i: &[u8]) -> PResult<'_, CatPart<'_>> {
    let (rest, w) = word(i).map_err(|_| fail(i, "a CATENATE part (TEXT or URL)"))?;
    let mut buf = [0u8; 4];
    match upcase(w, &mut buf) {
        b"TEXT" => {
            let (rest, _) = sp(rest)?;
            let (rest, text) = match rest.first() {
                Some(b'{') => literal(rest)?,
                Some(b'~') => literal8(rest)?,
                _ => return Err(fail(rest, "a literal after TEXT")),
            };
            Ok((rest, CatPart::Text(text)))
        }
        b"URL" => {
            let (rest, _) = sp(rest)?;
            let (rest, url) = astring(rest).map_err(|e| match e {
                nom::Err::Error(_) => fail(rest, "an IMAP URL (astring) after URL"),
                e => e,
            })?;
            Ok((rest, CatPart::Url(url)))
        }
        _ => Err(fail(i, "a CATENATE part (TEXT or URL)")),
    }
}

/// `getquota = "GETQUOTA" SP quota-root-name` (RFC 9208)
///
/// `quota-root-name = astring`
pub(super) fn getquota(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, root) = astring(i).map_err(|_| fail(i, "a quota root name"))?;
    Ok((i, CommandBody::GetQuota { root }))
}

/// `setquota = "SETQUOTA" SP quota-root-name SP setquota-list` (RFC 9208)
///
/// `setquota-list = "(" [setquota-resource *(SP setquota-resource)] ")"`,
/// `setquota-resource = resource-name SP resource-limit`,
/// `resource-limit = number64`
pub(super) fn setquota(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, root) = astring(i).map_err(|_| fail(i, "a quota root name"))?;
    let (i, _) = sp(i)?;
    let (i, limits) = paren_words(i, true, "a quota resource", |i| {
        let (i, resource) = resource_name(i)?;
        let (i, _) = sp(i)?;
        let (i, limit) = number64(i).map_err(|e| match e {
            nom::Err::Error(_) => fail(i, "a resource limit (number)"),
            e => e,
        })?;
        Ok((i, QuotaLimit { resource, limit }))
    })?;
    Ok((i, CommandBody::SetQuota { root, limits }))
}
