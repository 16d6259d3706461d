//! The command parser: one framed command line (literals inline) → [`Command`].

use std::borrow::Cow;

use crate::parse::core::{
    astring, atom, charset, crlf, date_time, flag, flag_list, imap_tag, literal, literal8, mailbox,
    nil, nstring, number64, nz_number, sequence_set, string,
};
use crate::parse::error::{PError, PResult, Reason};
use crate::parse::fetch::{fetch_items, fetch_modifiers, mod_sequence_value};
use crate::parse::limits::{CommandError, CommandErrorKind, Ctx, ParseLimits};
use crate::parse::search::{search_keys, search_return_opts};
use crate::types::{
    AppendMessage, AuthContinuation, Base64, Capability, Command, CommandBody, ListMailbox,
    ListReturnOption, ListSelectOption, NonEmptyVec, QResync, SelectParam, SortCriterion, SortKey,
    StatusItem, StoreAction, StoreKind, ThreadAlgorithm,
};

/// A committed syntax error: `what` was expected at `i`.
pub(crate) fn fail<'a>(i: &'a [u8], what: &'static str) -> nom::Err<PError<'a>> {
    nom::Err::Failure(PError::new(i, Reason::Expected(what)))
}

/// `SP = %x20`, failing with a readable reason.
pub(crate) fn sp(i: &[u8]) -> PResult<'_, ()> {
    match i.split_first() {
        Some((b' ', rest)) => Ok((rest, ())),
        _ => Err(PError::expected(i, "SP")),
    }
}

/// A keyword: letters, digits, `.`, `-` and `=` (`BODY.PEEK`, `SPECIAL-USE`).
pub(crate) fn word(i: &[u8]) -> PResult<'_, &[u8]> {
    let n = i
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'=')))
        .unwrap_or(i.len());
    if n == 0 {
        return Err(PError::expected(i, "a keyword"));
    }
    Ok((&i[n..], &i[..n]))
}

/// `w` in upper case, using `buf`; a word longer than `buf` comes back empty
/// (and so matches no keyword).
pub(crate) fn upcase<'b>(w: &[u8], buf: &'b mut [u8; 16]) -> &'b [u8] {
    if w.len() > buf.len() {
        return &[];
    }
    for (d, s) in buf.iter_mut().zip(w) {
        *d = s.to_ascii_uppercase();
    }
    &buf[..w.len()]
}

/// Parses one complete command: `tag SP command-name [SP arguments] CRLF`,
/// with literals inline (`{n}\r\n<data>`, `{n+}`, `~{n}`), exactly as the
/// framer delivers it. Names and keywords are case-insensitive.
///
/// Bare LF, trailing bytes after CRLF, 8-bit bytes in quoted strings,
/// invalid modified UTF-7 mailbox names, `0` or `1:*:2` in sequence sets and
/// numbers out of range are errors. Errors carry the tag whenever one was
/// read.
///
/// Forms that mean the same thing parse to the same value (and so encode
/// back in one canonical form): `FETCH 1 (UID)` and `FETCH 1 UID`;
/// `LIST () "" x` and `LIST "" x`; `LIST "" (x)` and `LIST "" x`;
/// `RETURN ()` and no LIST return options; `SELECT x` has no parameters and
/// `SELECT x ()` is an error (RFC 4466 needs at least one); APPEND's `()`
/// flag list and no flag list; `CREATE x (USE ())` and `CREATE x`. Mailbox
/// names are decoded from modified UTF-7 and `INBOX` is normalised in any
/// case. `SEARCH RETURN ()` is kept distinct from plain `SEARCH` (the first
/// asks for an ESEARCH response).
///
/// ```
/// use hadron_proto::parse::{self, ParseLimits};
/// use hadron_proto::types::CommandBody;
/// let cmd = parse::command(b"A003 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\n",
///     &ParseLimits::default()).unwrap();
/// assert!(matches!(cmd.body, CommandBody::Fetch { uid: true, .. }));
/// ```
pub fn command<'a>(input: &'a [u8], limits: &ParseLimits) -> Result<Command<'a>, CommandError> {
    let (i, tag) = imap_tag(input).map_err(|e| {
        let mut err = CommandError::from_nom(None, "", e);
        err = CommandError::new(None, CommandErrorKind::MissingTag, err.message().to_owned());
        err
    })?;
    let owned_tag = || Some(tag.clone().into_static());
    let (i, _) = sp(i).map_err(|e| CommandError::from_nom(owned_tag(), "", e))?;
    let (after_name, name) = word(i).map_err(|e| CommandError::from_nom(owned_tag(), "", e))?;
    let mut buf = [0u8; 16];
    let upper = upcase(name, &mut buf);
    let ctx = Ctx::new(limits);
    let (rest, body) = match command_body(&ctx, upper, after_name) {
        Some(result) => result.map_err(|e| {
            CommandError::from_nom(owned_tag(), &display_name(upper, after_name), e)
        })?,
        None => {
            return Err(CommandError::new(
                owned_tag(),
                CommandErrorKind::UnknownCommand,
                format!("unknown command {}", name.escape_ascii()),
            ));
        }
    };
    let name = body.name();
    let (rest, _) = crlf(rest).map_err(|_| {
        let e = match rest.first() {
            Some(b' ') | None | Some(b'\r' | b'\n') => fail(rest, "CRLF"),
            _ => fail(rest, "SP or CRLF"),
        };
        CommandError::from_nom(owned_tag(), name, e)
    })?;
    if !rest.is_empty() {
        return Err(CommandError::from_nom(
            owned_tag(),
            name,
            fail(rest, "nothing after CRLF"),
        ));
    }
    Ok(Command { tag, body })
}

/// The command name for error messages (`UID FETCH` for the UID forms).
fn display_name(upper: &[u8], after: &[u8]) -> String {
    let name = String::from_utf8_lossy(upper).into_owned();
    if upper == b"UID"
        && let Ok((_, sub)) = sp(after).and_then(|(r, _)| word(r))
    {
        return format!("UID {}", String::from_utf8_lossy(sub).to_ascii_uppercase());
    }
    name
}

/// `IDLE` ends with `"DONE" CRLF` (RFC 2177, case-insensitive).
///
/// ```
/// assert!(hadron_proto::parse::idle_done(b"done\r\n").is_ok());
/// assert!(hadron_proto::parse::idle_done(b"DONE\n").is_err());
/// ```
pub fn idle_done(line: &[u8]) -> Result<(), CommandError> {
    if line.eq_ignore_ascii_case(b"DONE\r\n") {
        Ok(())
    } else {
        Err(CommandError::new(
            None,
            CommandErrorKind::Syntax,
            format!("expected DONE to end IDLE, got '{}'", line.escape_ascii()),
        ))
    }
}

/// A client line during AUTHENTICATE: `base64 CRLF` (possibly empty), or
/// `"*" CRLF` to cancel (RFC 3501 §6.2.2).
///
/// ```
/// use hadron_proto::types::AuthContinuation;
/// let r = hadron_proto::parse::authenticate_continuation(b"dGVzdA==\r\n").unwrap();
/// assert!(matches!(r, AuthContinuation::Response(ref b) if b.decode() == b"test"));
/// assert_eq!(hadron_proto::parse::authenticate_continuation(b"*\r\n").unwrap(),
///     AuthContinuation::Cancel);
/// ```
pub fn authenticate_continuation(line: &[u8]) -> Result<AuthContinuation<'_>, CommandError> {
    let err = |message: String| CommandError::new(None, CommandErrorKind::Syntax, message);
    let Some(body) = line.strip_suffix(b"\r\n") else {
        return Err(err(
            "AUTHENTICATE: expected a line ending in CRLF".to_owned()
        ));
    };
    if body == b"*" {
        return Ok(AuthContinuation::Cancel);
    }
    let text =
        std::str::from_utf8(body).map_err(|_| err("AUTHENTICATE: expected base64".to_owned()))?;
    Base64::try_from(text)
        .map(AuthContinuation::Response)
        .map_err(|e| err(format!("AUTHENTICATE: expected base64: {e}")))
}

/// `command-any / command-auth / command-nonauth / command-select`, after
/// the name. `None` for an unknown name.
fn command_body<'a>(
    ctx: &Ctx<'_>,
    name: &[u8],
    i: &'a [u8],
) -> Option<PResult<'a, CommandBody<'a>>> {
    use CommandBody as C;
    let simple = |b: CommandBody<'a>| Some(Ok((i, b)));
    Some(match name {
        b"CAPABILITY" => return simple(C::Capability),
        b"NOOP" => return simple(C::Noop),
        b"LOGOUT" => return simple(C::Logout),
        b"STARTTLS" => return simple(C::StartTls),
        b"NAMESPACE" => return simple(C::Namespace),
        b"CHECK" => return simple(C::Check),
        b"CLOSE" => return simple(C::Close),
        b"UNSELECT" => return simple(C::Unselect),
        b"EXPUNGE" => return simple(C::Expunge),
        b"IDLE" => return simple(C::Idle),
        b"AUTHENTICATE" => authenticate(i),
        b"LOGIN" => login(i),
        b"SELECT" | b"EXAMINE" => select(ctx, i, name == b"EXAMINE"),
        b"CREATE" => create(i),
        b"DELETE" => one_mailbox(i, |mailbox| C::Delete { mailbox }),
        b"SUBSCRIBE" => one_mailbox(i, |mailbox| C::Subscribe { mailbox }),
        b"UNSUBSCRIBE" => one_mailbox(i, |mailbox| C::Unsubscribe { mailbox }),
        b"RENAME" => rename(i),
        b"LIST" => list(i),
        b"LSUB" => lsub(i),
        b"STATUS" => status(i),
        b"APPEND" => append(i),
        b"SEARCH" => search(ctx, i, false),
        b"FETCH" => fetch(ctx, i, false),
        b"STORE" => store(ctx, i, false),
        b"COPY" | b"MOVE" => copy_move(ctx, i, false, name == b"MOVE"),
        b"SORT" => sort(ctx, i, false),
        b"THREAD" => thread(ctx, i, false),
        b"ID" => id(i),
        b"ENABLE" => enable(i),
        b"COMPRESS" => compress(i),
        b"UID" => uid(ctx, i),
        _ => return None,
    })
}

/// `uid = "UID" SP ("COPY" / "MOVE" / "FETCH" / "SEARCH" / "STORE" / "SORT" /
///   "THREAD" / "EXPUNGE") ...`
fn uid<'a>(ctx: &Ctx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (rest, name) = word(i).map_err(|_| fail(i, "a UID command"))?;
    let mut buf = [0u8; 16];
    match upcase(name, &mut buf) {
        b"SEARCH" => search(ctx, rest, true),
        b"FETCH" => fetch(ctx, rest, true),
        b"STORE" => store(ctx, rest, true),
        b"COPY" => copy_move(ctx, rest, true, false),
        b"MOVE" => copy_move(ctx, rest, true, true),
        b"SORT" => sort(ctx, rest, true),
        b"THREAD" => thread(ctx, rest, true),
        b"EXPUNGE" => {
            let (rest, _) = sp(rest)?;
            let (rest, set) = sequence_set(ctx.limits.max_sequence_items)(rest)?;
            Ok((rest, CommandBody::UidExpunge(set)))
        }
        _ => Err(fail(
            i,
            "COPY, MOVE, FETCH, SEARCH, STORE, SORT, THREAD or EXPUNGE",
        )),
    }
}

/// `authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]`
fn authenticate(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
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
fn login(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, username) = astring(i)?;
    let (i, _) = sp(i)?;
    let (i, password) = astring(i)?;
    Ok((i, CommandBody::Login { username, password }))
}

/// `select = "SELECT" SP mailbox [select-params]`,
/// `examine = "EXAMINE" SP mailbox [select-params]`
///
/// `select-params = SP "(" select-param *(SP select-param) ")"`
fn select<'a>(ctx: &Ctx<'_>, i: &'a [u8], examine: bool) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (mut i, mailbox) = mailbox(i)?;
    let mut params = Vec::new();
    if let [b' ', b'(', rest @ ..] = i {
        let mut rest = rest;
        loop {
            let (after, p) = select_param(ctx, rest)?;
            params.push(p);
            match after.split_first() {
                Some((b' ', after)) => rest = after,
                Some((b')', after)) => {
                    i = after;
                    break;
                }
                _ => return Err(fail(after, "')' or another select parameter")),
            }
        }
    }
    Ok((
        i,
        if examine {
            CommandBody::Examine { mailbox, params }
        } else {
            CommandBody::Select { mailbox, params }
        },
    ))
}

/// `select-param = "CONDSTORE" / "QRESYNC" SP "(" uidvalidity SP
///   mod-sequence-value [SP known-uids] [SP seq-match-data] ")"`
///
/// `seq-match-data = "(" known-sequence-set SP known-uid-set ")"`
fn select_param<'a>(ctx: &Ctx<'_>, i: &'a [u8]) -> PResult<'a, SelectParam> {
    let (rest, name) = word(i).map_err(|_| fail(i, "a select parameter"))?;
    let mut buf = [0u8; 16];
    match upcase(name, &mut buf) {
        b"CONDSTORE" => Ok((rest, SelectParam::CondStore)),
        b"QRESYNC" => {
            let (i, _) = sp(rest)?;
            let Some((b'(', i)) = i.split_first() else {
                return Err(fail(i, "'(' after QRESYNC"));
            };
            let (i, uid_validity) = nz_number(i)?;
            let (i, _) = sp(i)?;
            let (mut i, mod_seq) = mod_sequence_value(i)?;
            let set = sequence_set(ctx.limits.max_sequence_items);
            let mut known_uids = None;
            let mut seq_match = None;
            if let [b' ', c, ..] = i
                && *c != b'('
            {
                let (rest, s) = set(&i[1..])?;
                known_uids = Some(s);
                i = rest;
            }
            if let [b' ', b'(', rest @ ..] = i {
                let (rest, seqs) = set(rest)?;
                let (rest, _) = sp(rest)?;
                let (rest, uids) = set(rest)?;
                let Some((b')', rest)) = rest.split_first() else {
                    return Err(fail(rest, "')' after the sequence match data"));
                };
                seq_match = Some((seqs, uids));
                i = rest;
            }
            let Some((b')', i)) = i.split_first() else {
                return Err(fail(i, "')' to end QRESYNC"));
            };
            Ok((
                i,
                SelectParam::QResync(QResync {
                    uid_validity,
                    mod_seq,
                    known_uids,
                    seq_match,
                }),
            ))
        }
        _ => Err(fail(i, "CONDSTORE or QRESYNC")),
    }
}

/// `create = "CREATE" SP mailbox [create-params]`
///
/// `create-params = SP "(" create-param *(SP create-param) ")"`,
/// `create-param =/ "USE" SP "(" [use-attr *(SP use-attr)] ")"` (RFC 6154)
fn create(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
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
fn one_mailbox<'a>(
    i: &'a [u8],
    make: impl FnOnce(crate::types::Mailbox<'a>) -> CommandBody<'a>,
) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (i, m) = mailbox(i)?;
    Ok((i, make(m)))
}

/// `rename = "RENAME" SP mailbox SP mailbox`
fn rename(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
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

/// `list-mailbox = 1*list-char / string` (modified UTF-7 decoded)
pub(crate) fn list_mailbox(i: &[u8]) -> PResult<'_, ListMailbox<'_>> {
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
        Cow::Borrowed(b) => ListMailbox::from_wire(b),
        Cow::Owned(b) => ListMailbox::from_wire(&b).map(ListMailbox::into_static),
    }
    .map_err(|e| PError::invalid(start, e))?;
    Ok((rest, pattern))
}

/// `"(" item *(SP item) ")"` where the list may be empty if `allow_empty`.
fn paren_words<'a, T>(
    i: &'a [u8],
    allow_empty: bool,
    what: &'static str,
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let Some((b'(', mut i)) = i.split_first() else {
        return Err(fail(i, "'('"));
    };
    let mut items = Vec::new();
    loop {
        if let Some((b')', rest)) = i.split_first() {
            if items.is_empty() && !allow_empty {
                return Err(fail(i, what));
            }
            return Ok((rest, items));
        }
        if !items.is_empty() {
            (i, _) = sp(i).map_err(|_| fail(i, "SP or ')'"))?;
        }
        let (rest, x) = item(i)?;
        items.push(x);
        i = rest;
    }
}

/// One of a fixed set of keywords (`all`, spelled by `name`), case-insensitive.
fn from_names<'a, T: Copy>(
    all: &'static [T],
    name: impl Fn(T) -> &'static str,
    what: &'static str,
) -> impl Fn(&'a [u8]) -> PResult<'a, T> {
    move |i| {
        let (rest, w) = word(i).map_err(|_| fail(i, what))?;
        all.iter()
            .copied()
            .find(|&x| name(x).as_bytes().eq_ignore_ascii_case(w))
            .map(|x| (rest, x))
            .ok_or_else(|| fail(i, what))
    }
}

/// `status-att = "MESSAGES" / "RECENT" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN"
///   / "DELETED" / "SIZE" / "HIGHESTMODSEQ"`
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
fn list(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
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
fn lsub(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, reference) = mailbox(i)?;
    let (i, _) = sp(i)?;
    let (i, pattern) = list_mailbox(i)?;
    Ok((i, CommandBody::Lsub { reference, pattern }))
}

/// `status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"`
fn status(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
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
/// `append-opts = [SP flag-list] [SP date-time]`,
/// `append-data = literal / literal8`
fn append(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (mut i, mailbox) = mailbox(i)?;
    let mut messages = Vec::new();
    while let [b' ', b'(' | b'"' | b'{' | b'~', ..] = i {
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
        let (after, data) = match rest.first() {
            Some(b'{') => literal(rest)?,
            Some(b'~') => literal8(rest)?,
            _ => return Err(fail(rest, "a literal with the message")),
        };
        messages.push(AppendMessage { flags, date, data });
        i = after;
    }
    if messages.is_empty() {
        return Err(fail(i, "SP and a message literal"));
    }
    let messages = NonEmptyVec::unvalidated(messages);
    Ok((i, CommandBody::Append { mailbox, messages }))
}

/// `search = "SEARCH" [search-return-opts] [SP "CHARSET" SP charset]
///   1*(SP search-key)` (RFC 3501, RFC 4731)
fn search<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let mut i = i;
    let mut return_options = None;
    let mut charset_ = None;
    if let Some((b' ', rest)) = i.split_first()
        && let Ok((after, w)) = word(rest)
        && w.eq_ignore_ascii_case(b"RETURN")
    {
        let (after, _) = sp(after)?;
        let (after, opts) = search_return_opts(after)?;
        return_options = Some(opts);
        i = after;
    }
    if let Some((b' ', rest)) = i.split_first()
        && let Ok((after, w)) = word(rest)
        && w.eq_ignore_ascii_case(b"CHARSET")
    {
        let (after, _) = sp(after)?;
        let (after, c) = charset(after).map_err(|_| fail(after, "a charset name"))?;
        charset_ = Some(c);
        i = after;
    }
    let (i, criteria) = search_keys(ctx, i)?;
    Ok((
        i,
        CommandBody::Search {
            uid,
            return_options,
            charset: charset_,
            criteria,
        },
    ))
}

/// `fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
///   "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]`
fn fetch<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (i, set) = sequence_set(ctx.limits.max_sequence_items)(i)?;
    let (i, _) = sp(i)?;
    let (mut i, items) = fetch_items(i)?;
    let mut modifiers = Vec::new();
    if let [b' ', rest @ ..] = i {
        let (rest, mods) = fetch_modifiers(rest)?;
        modifiers = mods;
        i = rest;
    }
    Ok((
        i,
        CommandBody::Fetch {
            uid,
            set,
            items,
            modifiers,
        },
    ))
}

/// `store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags`
///
/// `store-modifiers = SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"` (RFC 7162),
/// `store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
///   (flag-list / (flag *(SP flag)))`
fn store<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (mut i, set) = sequence_set(ctx.limits.max_sequence_items)(i)?;
    let mut unchanged_since = None;
    if let [b' ', b'(', rest @ ..] = i {
        let (rest, w) = word(rest)?;
        if !w.eq_ignore_ascii_case(b"UNCHANGEDSINCE") {
            return Err(fail(&i[2..], "UNCHANGEDSINCE"));
        }
        let (rest, _) = sp(rest)?;
        let (rest, n) = number64(rest)?;
        let Some((b')', rest)) = rest.split_first() else {
            return Err(fail(rest, "')' after UNCHANGEDSINCE"));
        };
        unchanged_since = Some(n);
        i = rest;
    }
    let (i, _) = sp(i)?;
    let (i, kind) = match i.first() {
        Some(b'+') => (&i[1..], StoreKind::Add),
        Some(b'-') => (&i[1..], StoreKind::Remove),
        _ => (i, StoreKind::Replace),
    };
    let (rest, w) = word(i).map_err(|_| fail(i, "FLAGS or FLAGS.SILENT"))?;
    let silent = if w.eq_ignore_ascii_case(b"FLAGS") {
        false
    } else if w.eq_ignore_ascii_case(b"FLAGS.SILENT") {
        true
    } else {
        return Err(fail(i, "FLAGS or FLAGS.SILENT"));
    };
    let (mut i, _) = sp(rest)?;
    let flags = if i.first() == Some(&b'(') {
        let (rest, flags) = flag_list(i).map_err(|_| fail(i, "a flag list"))?;
        i = rest;
        flags
    } else {
        let (rest, first) = flag(i).map_err(|_| fail(i, "a flag"))?;
        let mut flags = vec![first];
        i = rest;
        while let [b' ', rest @ ..] = i {
            let (rest, f) = flag(rest).map_err(|_| fail(rest, "a flag"))?;
            flags.push(f);
            i = rest;
        }
        flags
    };
    Ok((
        i,
        CommandBody::Store {
            uid,
            set,
            unchanged_since,
            action: StoreAction {
                kind,
                silent,
                flags,
            },
        },
    ))
}

/// `copy = "COPY" SP sequence-set SP mailbox`, `move = "MOVE" SP sequence-set SP mailbox`
fn copy_move<'a>(
    ctx: &Ctx<'_>,
    i: &'a [u8],
    uid: bool,
    is_move: bool,
) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (i, set) = sequence_set(ctx.limits.max_sequence_items)(i)?;
    let (i, _) = sp(i)?;
    let (i, mailbox) = mailbox(i)?;
    Ok((
        i,
        if is_move {
            CommandBody::Move { uid, set, mailbox }
        } else {
            CommandBody::Copy { uid, set, mailbox }
        },
    ))
}

/// `sort = ["UID" SP] "SORT" SP sort-criteria SP search-criteria` (RFC 5256)
///
/// `sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"`,
/// `sort-criterion = ["REVERSE" SP] sort-key`,
/// `search-criteria = charset 1*(SP search-key)`
fn sort<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let key = from_names(&SortKey::ALL, SortKey::name, "a sort key");
    let (i, criteria) = paren_words(i, false, "a sort criterion", |i| {
        let (rest, w) = word(i).map_err(|_| fail(i, "a sort criterion"))?;
        if w.eq_ignore_ascii_case(b"REVERSE") {
            let (rest, _) = sp(rest)?;
            let (rest, key) = key(rest)?;
            Ok((rest, SortCriterion { reverse: true, key }))
        } else {
            let (rest, key) = key(i)?;
            Ok((
                rest,
                SortCriterion {
                    reverse: false,
                    key,
                },
            ))
        }
    })?;
    let criteria = NonEmptyVec::unvalidated(criteria);
    let (i, _) = sp(i)?;
    let (i, charset) = charset(i).map_err(|_| fail(i, "a charset name"))?;
    let (i, keys) = search_keys(ctx, i)?;
    Ok((
        i,
        CommandBody::Sort {
            uid,
            criteria,
            charset,
            keys,
        },
    ))
}

/// `thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria` (RFC 5256)
fn thread<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (i, alg) = atom(i).map_err(|_| fail(i, "a threading algorithm"))?;
    let (i, _) = sp(i)?;
    let (i, charset) = charset(i).map_err(|_| fail(i, "a charset name"))?;
    let (i, keys) = search_keys(ctx, i)?;
    Ok((
        i,
        CommandBody::Thread {
            uid,
            algorithm: ThreadAlgorithm::from_atom(alg),
            charset,
            keys,
        },
    ))
}

/// `id = "ID" SP id-params-list` (RFC 2971)
///
/// `id-params-list = "(" [string SP nstring *(SP string SP nstring)] ")" / nil`
fn id(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
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
fn enable(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
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
fn compress(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (i, _) = sp(i)?;
    let (i, algorithm) = atom(i).map_err(|_| fail(i, "a compression algorithm"))?;
    Ok((i, CommandBody::Compress { algorithm }))
}
