//! LMTP command lines (RFC 2033 over RFC 5321's grammar) as data: the verb,
//! the reverse or forward path, the parameters; and how a recipient address
//! names a user and a mailbox. Pure functions, no I/O.
//!
//! Parsing is lenient where MTAs differ (`MAIL FROM: <a@b>` with a space,
//! a path without angle brackets, a source route) and strict where it
//! matters: a path with control characters or a parameter that was not
//! advertised is refused with its reply.

use super::wire::Reply;

/// A parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// `LHLO <host>`.
    Lhlo,
    /// `HELO` or `EHLO`: SMTP's greetings, refused in LMTP.
    Helo,
    /// `MAIL FROM:<path>` (empty for the null sender `<>`), with its
    /// `SIZE=` estimate.
    Mail { from: String, size: Option<u64> },
    /// `RCPT TO:<path>`.
    Rcpt { to: String },
    /// `DATA`.
    Data,
    /// `BDAT <size> [LAST]` (RFC 3030).
    Bdat { size: u64, last: bool },
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `VRFY` (answered 252: we do not verify).
    Vrfy,
    /// `HELP`.
    Help,
}

/// A `501 5.5.4` syntax error.
fn syntax(text: &'static str) -> Reply {
    Reply::new(501, "5.5.4", text)
}

/// Parses one command line (without its line end).
pub(crate) fn parse(line: &[u8]) -> Result<Command, Reply> {
    let (verb, args) = match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &[][..]),
    };
    if verb.is_empty() || verb.len() > 8 || !verb.iter().all(u8::is_ascii_alphabetic) {
        return Err(Reply::new(
            500,
            "5.5.2",
            "Syntax error, command unrecognized",
        ));
    }
    let Ok(args) = std::str::from_utf8(args) else {
        return Err(syntax("Invalid characters in command arguments"));
    };
    if args.chars().any(|c| c.is_control() && c != '\t') {
        return Err(syntax("Invalid characters in command arguments"));
    }
    let args = args.trim_matches([' ', '\t']);
    let verb = String::from_utf8_lossy(verb).to_ascii_uppercase();
    let no_args = |cmd: Command| {
        if args.is_empty() {
            Ok(cmd)
        } else {
            Err(syntax("Syntax error: no arguments allowed"))
        }
    };
    match verb.as_str() {
        "LHLO" if args.is_empty() => Err(syntax("Syntax: LHLO hostname")),
        "LHLO" => Ok(Command::Lhlo),
        "HELO" | "EHLO" => Ok(Command::Helo),
        "MAIL" => mail(args),
        "RCPT" => rcpt(args),
        "DATA" => no_args(Command::Data),
        "BDAT" => bdat(args),
        "RSET" => no_args(Command::Rset),
        "NOOP" => Ok(Command::Noop),
        "QUIT" => no_args(Command::Quit),
        "VRFY" if args.is_empty() => Err(syntax("Syntax: VRFY address")),
        "VRFY" => Ok(Command::Vrfy),
        "HELP" => Ok(Command::Help),
        _ => Err(Reply::new(
            500,
            "5.5.2",
            "Syntax error, command unrecognized",
        )),
    }
}

/// `args` after a case-insensitive `keyword` (`FROM:`), and spaces.
fn after_keyword<'a>(args: &'a str, keyword: &str) -> Option<&'a str> {
    let head = args.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword)
        .then(|| args[keyword.len()..].trim_start_matches(' '))
}

/// `MAIL FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME]`.
fn mail(args: &str) -> Result<Command, Reply> {
    let Some(rest) = after_keyword(args, "FROM:") else {
        return Err(syntax("Syntax: MAIL FROM:<address>"));
    };
    let (from, params) =
        path(rest).ok_or_else(|| Reply::new(501, "5.1.7", "Bad sender address syntax"))?;
    let mut size = None;
    for param in params.split(' ').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        if key.eq_ignore_ascii_case("SIZE") {
            let n = value
                .parse::<u64>()
                .map_err(|_| syntax("Syntax: SIZE=<number of octets>"))?;
            size = Some(n);
        } else if key.eq_ignore_ascii_case("BODY")
            && (value.eq_ignore_ascii_case("7BIT") || value.eq_ignore_ascii_case("8BITMIME"))
        {
        } else {
            return Err(Reply::new(555, "5.5.4", "Unsupported MAIL parameter"));
        }
    }
    Ok(Command::Mail { from, size })
}

/// `RCPT TO:<path>` (no parameters are advertised, so none are taken).
fn rcpt(args: &str) -> Result<Command, Reply> {
    let Some(rest) = after_keyword(args, "TO:") else {
        return Err(syntax("Syntax: RCPT TO:<address>"));
    };
    let bad = || Reply::new(501, "5.1.3", "Bad recipient address syntax");
    let (to, params) = path(rest).ok_or_else(bad)?;
    if to.is_empty() || split_address(&to).is_none() {
        return Err(bad());
    }
    if !params.trim().is_empty() {
        return Err(Reply::new(555, "5.5.4", "Unsupported RCPT parameter"));
    }
    Ok(Command::Rcpt { to })
}

/// `BDAT <size> [LAST]`.
fn bdat(args: &str) -> Result<Command, Reply> {
    let mut words = args.split(' ').filter(|w| !w.is_empty());
    let size = words.next().and_then(|w| w.parse::<u64>().ok());
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return Err(syntax("Syntax: BDAT <size> [LAST]")),
    };
    match (size, words.next()) {
        (Some(size), None) => Ok(Command::Bdat { size, last }),
        _ => Err(syntax("Syntax: BDAT <size> [LAST]")),
    }
}

/// A reverse or forward path and what follows it: `<a@b>` (quotes may
/// hide `>`), `<>`, `<@route,@r2:a@b>` (the route is dropped), or a bare
/// `a@b`. `None` when malformed.
fn path(s: &str) -> Option<(String, &str)> {
    let (inner, rest) = if let Some(body) = s.strip_prefix('<') {
        let (mut quoted, mut escaped) = (false, false);
        let mut end = None;
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                '>' if !quoted => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end?;
        (&body[..end], &body[end + 1..])
    } else {
        s.split_once(' ').unwrap_or((s, ""))
    };
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let inner = match inner.strip_prefix('@') {
        Some(routed) => routed.split_once(':')?.1,
        None => inner,
    };
    if inner.chars().any(|c| c.is_control()) || inner.len() > 512 {
        return None;
    }
    Some((inner.to_owned(), rest))
}

/// An address's local part (unquoted) and domain (`None` when it has no
/// `@`). `None` when the local part is empty.
pub(crate) fn split_address(address: &str) -> Option<(String, Option<&str>)> {
    let (local, domain) = match address.rfind('@') {
        Some(i) => (&address[..i], Some(&address[i + 1..])),
        None => (address, None),
    };
    let local = match local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(quoted) => {
            let mut out = String::with_capacity(quoted.len());
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next()? } else { c });
            }
            out
        }
        None => local.to_owned(),
    };
    if local.is_empty() || domain.is_some_and(str::is_empty) {
        return None;
    }
    Some((local, domain))
}

/// Whom a recipient address may name, in the order they are tried: each
/// a user name and the detail (the mailbox asked for) that goes with it.
///
/// For `alice+lists@example.org` with delimiter `+`: `alice@example.org`
/// and `alice` with detail `lists`, then `alice+lists@example.org` and
/// `alice+lists` without one; each followed by its lower-case form when
/// that differs.
pub(crate) fn candidates(address: &str, delimiters: &str) -> Vec<(String, Option<String>)> {
    let Some((local, domain)) = split_address(address) else {
        return Vec::new();
    };
    let with_domain = |user: &str| match domain {
        Some(d) => vec![format!("{user}@{d}"), user.to_owned()],
        None => vec![user.to_owned()],
    };
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let split = local
        .find(|c| delimiters.contains(c))
        .filter(|&i| i > 0)
        .map(|i| (&local[..i], &local[i + 1..]));
    if let Some((base, detail)) = split {
        let detail = (!detail.is_empty()).then(|| detail.to_owned());
        for name in with_domain(base) {
            out.push((name, detail.clone()));
        }
    }
    for name in with_domain(&local) {
        out.push((name, None));
    }
    let mut all = Vec::with_capacity(out.len() * 2);
    for (name, detail) in out {
        let lower = name.to_lowercase();
        let differs = lower != name;
        all.push((name, detail.clone()));
        if differs {
            all.push((lower, detail));
        }
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|(name, _)| seen.insert(name.clone()));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        parse(line.as_bytes()).unwrap_or_else(|r| panic!("{line}: {r:?}"))
    }

    fn code(line: &[u8]) -> (u16, &'static str) {
        let r = parse(line).expect_err("refused");
        (r.code, r.status)
    }

    #[test]
    fn commands_parse_leniently() {
        assert_eq!(ok("lhlo mx.example.org"), Command::Lhlo);
        assert_eq!(
            ok("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME"),
            Command::Mail {
                from: "a@b.example".into(),
                size: Some(100)
            }
        );
        assert_eq!(
            ok("mail from: <>"),
            Command::Mail {
                from: String::new(),
                size: None
            }
        );
        assert_eq!(
            ok("RCPT TO:<@relay.example:bob@x.example>"),
            Command::Rcpt {
                to: "bob@x.example".into()
            }
        );
        assert_eq!(
            ok("RCPT TO:<\"odd>name\"@x.example>"),
            Command::Rcpt {
                to: "\"odd>name\"@x.example".into()
            }
        );
        assert_eq!(ok("RCPT TO:bob"), Command::Rcpt { to: "bob".into() });
        assert_eq!(
            ok("BDAT 10 last"),
            Command::Bdat {
                size: 10,
                last: true
            }
        );
        assert_eq!(ok("NOOP whatever"), Command::Noop);
        assert_eq!(ok("EHLO x"), Command::Helo);
    }

    #[test]
    fn malformed_commands_get_their_replies() {
        assert_eq!(code(b"FROB"), (500, "5.5.2"));
        assert_eq!(code(b"\0\x01\xff junk"), (500, "5.5.2"));
        assert_eq!(code(b""), (500, "5.5.2"));
        assert_eq!(code(b"LHLO"), (501, "5.5.4"));
        assert_eq!(code(b"MAIL TO:<a@b>"), (501, "5.5.4"));
        assert_eq!(code(b"MAIL FROM:<a@b"), (501, "5.1.7"));
        assert_eq!(code(b"MAIL FROM:<a@b> RET=FULL"), (555, "5.5.4"));
        assert_eq!(code(b"MAIL FROM:<a@b> SIZE=x"), (501, "5.5.4"));
        assert_eq!(code(b"RCPT TO:<>"), (501, "5.1.3"));
        assert_eq!(code(b"RCPT TO:<a\x00b@c>"), (501, "5.5.4"));
        assert_eq!(code(b"RCPT TO:<a@b> NOTIFY=NEVER"), (555, "5.5.4"));
        assert_eq!(code(b"RCPT TO:<a\xff@b>"), (501, "5.5.4"));
        assert_eq!(code(b"DATA now"), (501, "5.5.4"));
        assert_eq!(code(b"BDAT"), (501, "5.5.4"));
        assert_eq!(code(b"BDAT 5 NOW"), (501, "5.5.4"));
        assert_eq!(code(b"BDAT -1"), (501, "5.5.4"));
    }

    #[test]
    fn recipients_name_users_and_details() {
        let names = |a: &str, d: &str| -> Vec<(String, Option<String>)> { candidates(a, d) };
        let s = |n: &str, d: Option<&str>| (n.to_owned(), d.map(str::to_owned));
        assert_eq!(
            names("alice+lists@example.org", "+"),
            [
                s("alice@example.org", Some("lists")),
                s("alice", Some("lists")),
                s("alice+lists@example.org", None),
                s("alice+lists", None),
            ]
        );
        assert_eq!(
            names("Bob@X.org", "+"),
            [
                s("Bob@X.org", None),
                s("bob@x.org", None),
                s("Bob", None),
                s("bob", None)
            ]
        );
        assert_eq!(
            names("alice+lists@example.org", ""),
            [s("alice+lists@example.org", None), s("alice+lists", None)]
        );
        assert_eq!(names("a-b@x", "+-")[0], s("a@x", Some("b")));
        assert_eq!(names("+x@y", "+"), [s("+x@y", None), s("+x", None)]);
        assert_eq!(names("alice+@y", "+")[0], s("alice@y", None));
        assert_eq!(names("\"al ice\"@y", "+")[1], s("al ice", None));
        assert!(names("@y", "+").is_empty());
        assert!(names("x@", "+").is_empty());
    }
}
