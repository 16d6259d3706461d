//! The command parser: one framed command line (literals inline) → [`Command`].
//!
//! This module holds the entry points and the dispatch on the command name;
//! the families live in `session_commands`, `mailbox_commands` and
//! `selected_commands`, and the pieces they share in `keyword`.

use crate::parse::core::{crlf, imap_tag, sequence_set};
use crate::parse::error::PResult;
use crate::parse::keyword::{fail, sp, upcase, word};
use crate::parse::limits::{CommandError, CommandErrorKind, Ctx, ParseLimits};
use crate::parse::mailbox_commands::{
    append, create, getquota, list, lsub, one_mailbox, rename, setquota, status,
};
use crate::parse::notify::notify;
use crate::parse::selected_commands::{copy_move, fetch, search, select, sort, store, thread};
use crate::parse::session_commands::{authenticate, cancel_update, compress, enable, id, login};
use crate::types::{AuthContinuation, Base64, Command, CommandBody};

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
        b"UNAUTHENTICATE" => return simple(C::Unauthenticate),
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
        b"CANCELUPDATE" => cancel_update(i),
        b"GETQUOTA" => getquota(i),
        b"GETQUOTAROOT" => one_mailbox(i, |mailbox| C::GetQuotaRoot { mailbox }),
        b"SETQUOTA" => setquota(i),
        b"NOTIFY" => notify(i),
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
