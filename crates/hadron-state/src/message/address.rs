//! RFC 5322 address lists (with RFC 822 groups) for ENVELOPE.
//!
//! A tolerant tokenizer-driven parser over the unfolded header value:
//! display names keep their raw form (encoded-words undecoded, as RFC 3501
//! wants the envelope raw) with quoted strings unquoted and words joined by
//! single spaces; a comment serves as the name of a bare `addr-spec`
//! (`user@host (Name)`); a missing local part or domain becomes
//! `MISSING_MAILBOX` / `.MISSING-HOST-NAME.` (never NIL, which would read
//! as group syntax), the convention of UW-IMAP and Dovecot.

/// One address of ENVELOPE, fields as raw bytes (`None` is NIL).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RawAddress {
    pub(crate) name: Option<Vec<u8>>,
    pub(crate) adl: Option<Vec<u8>>,
    pub(crate) mailbox: Option<Vec<u8>>,
    pub(crate) host: Option<Vec<u8>>,
}

pub(crate) const MISSING_MAILBOX: &[u8] = b"MISSING_MAILBOX";
pub(crate) const MISSING_HOST: &[u8] = b".MISSING-HOST-NAME.";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An atom or dot-atom run (any bytes except specials and space).
    Word(Vec<u8>),
    /// A quoted string's content, unescaped.
    Quoted(Vec<u8>),
    /// A comment's content (outer parentheses removed).
    Comment(Vec<u8>),
    /// `<...>` content, raw.
    Angle(Vec<u8>),
    /// `,` `:` `;` `@` `.`
    Special(u8),
}

fn tokenize(v: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'"' => {
                let mut s = Vec::new();
                i += 1;
                while i < v.len() && v[i] != b'"' {
                    if v[i] == b'\\' && i + 1 < v.len() {
                        i += 1;
                    }
                    s.push(v[i]);
                    i += 1;
                }
                i += 1;
                out.push(Token::Quoted(s));
            }
            b'(' => {
                let mut depth = 0usize;
                let mut s = Vec::new();
                while i < v.len() {
                    match v[i] {
                        b'\\' if i + 1 < v.len() => {
                            i += 1;
                            s.push(v[i]);
                        }
                        b'(' => {
                            if depth > 0 {
                                s.push(b'(');
                            }
                            depth += 1;
                        }
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                            s.push(b')');
                        }
                        b => s.push(b),
                    }
                    i += 1;
                }
                out.push(Token::Comment(s));
            }
            b'<' => {
                let end = v[i..].iter().position(|&b| b == b'>').map(|p| i + p);
                let inner_end = end.unwrap_or(v.len());
                out.push(Token::Angle(v[i + 1..inner_end].to_vec()));
                i = end.map_or(v.len(), |e| e + 1);
            }
            b @ (b',' | b':' | b';' | b'@') => {
                out.push(Token::Special(b));
                i += 1;
            }
            b'>' | b')' => i += 1,
            _ => {
                let start = i;
                while i < v.len() && !ends_word(v[i]) {
                    i += 1;
                }
                out.push(Token::Word(v[start..i].to_vec()));
            }
        }
    }
    out
}

/// Whether `b` ends an atom-like word.
fn ends_word(b: u8) -> bool {
    b.is_ascii_whitespace() || b"\"(<>),:;@".contains(&b)
}

/// Parses an address-list header value (unfolded) into ENVELOPE addresses.
pub(crate) fn parse_list(value: &[u8]) -> Vec<RawAddress> {
    let tokens = tokenize(value);
    let mut out = Vec::new();
    let mut cur: Vec<Token> = Vec::new();
    let mut in_group = false;
    for t in tokens {
        match t {
            Token::Special(b',') => finish(&mut cur, &mut out),
            Token::Special(b':') if !in_group && !has_angle(&cur) => {
                // Group start: the phrase so far is the group name. A colon
                // after an '@' would be odd; treat it the same way.
                let name = phrase(&cur);
                cur.clear();
                out.push(RawAddress {
                    mailbox: Some(name),
                    ..RawAddress::default()
                });
                in_group = true;
            }
            Token::Special(b';') => {
                finish(&mut cur, &mut out);
                if in_group {
                    out.push(RawAddress::default());
                    in_group = false;
                }
            }
            t => cur.push(t),
        }
    }
    finish(&mut cur, &mut out);
    if in_group {
        out.push(RawAddress::default());
    }
    out
}

fn has_angle(tokens: &[Token]) -> bool {
    tokens.iter().any(|t| matches!(t, Token::Angle(_)))
}

/// Words and quoted strings joined by single spaces (the display name).
fn phrase(tokens: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in tokens {
        let w = match t {
            Token::Word(w) | Token::Quoted(w) => w,
            Token::Special(b) => {
                out.push(*b);
                continue;
            }
            _ => continue,
        };
        if !out.is_empty() && !out.ends_with(b"@") {
            out.push(b' ');
        }
        out.extend_from_slice(w);
    }
    out
}

/// The mailbox of the tokens collected since the last separator.
fn finish(cur: &mut Vec<Token>, out: &mut Vec<RawAddress>) {
    let tokens = std::mem::take(cur);
    if tokens.iter().all(|t| matches!(t, Token::Comment(_))) {
        return;
    }
    let angle = tokens.iter().find_map(|t| match t {
        Token::Angle(a) => Some(a.clone()),
        _ => None,
    });
    let (name, spec) = match angle {
        Some(inner) => {
            let before: Vec<Token> = tokens
                .iter()
                .take_while(|t| !matches!(t, Token::Angle(_)))
                .cloned()
                .collect();
            let name = phrase(&before);
            (name, inner)
        }
        None => {
            // A bare addr-spec: its tokens glued together; a comment is the
            // name.
            let mut spec = Vec::new();
            let mut comment = Vec::new();
            for t in &tokens {
                match t {
                    Token::Word(w) => spec.extend_from_slice(w),
                    Token::Quoted(q) => {
                        spec.push(b'"');
                        spec.extend_from_slice(q);
                        spec.push(b'"');
                    }
                    Token::Special(b) => spec.push(*b),
                    Token::Comment(c) if comment.is_empty() => comment = c.clone(),
                    _ => {}
                }
            }
            (comment, spec)
        }
    };
    let (adl, mailbox, host) = split_spec(&spec);
    let name = super::header::trim(&name).to_vec();
    out.push(RawAddress {
        name: (!name.is_empty()).then_some(name),
        adl,
        mailbox: Some(mailbox),
        host: Some(host),
    });
}

/// Splits `[@route,@route:]local@domain` (the content of `<...>` or a bare
/// spec) into adl, mailbox and host.
fn split_spec(spec: &[u8]) -> (Option<Vec<u8>>, Vec<u8>, Vec<u8>) {
    // Whitespace is insignificant outside quoted local parts.
    let mut quoted = false;
    let spec: Vec<u8> = spec
        .iter()
        .copied()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            quoted || !b.is_ascii_whitespace()
        })
        .collect();
    let (adl, rest) = if spec.first() == Some(&b'@') {
        match spec.iter().position(|&b| b == b':') {
            Some(c) => (Some(spec[..c].to_vec()), &spec[c + 1..]),
            None => (None, &spec[..]),
        }
    } else {
        (None, &spec[..])
    };
    let (local, domain) = match rest.iter().rposition(|&b| b == b'@') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b""[..]),
    };
    let local = unquote_local(local);
    let mailbox = if local.is_empty() {
        MISSING_MAILBOX.to_vec()
    } else {
        local
    };
    let host = if domain.is_empty() {
        MISSING_HOST.to_vec()
    } else {
        domain.to_vec()
    };
    (adl, mailbox, host)
}

/// `"john doe"@x` keeps its local part unquoted, as servers send it.
fn unquote_local(local: &[u8]) -> Vec<u8> {
    if local.len() >= 2 && local[0] == b'"' && local[local.len() - 1] == b'"' {
        local[1..local.len() - 1].to_vec()
    } else {
        local.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(
        name: Option<&str>,
        adl: Option<&str>,
        mb: Option<&str>,
        host: Option<&str>,
    ) -> RawAddress {
        let f = |s: Option<&str>| s.map(|s| s.as_bytes().to_vec());
        RawAddress {
            name: f(name),
            adl: f(adl),
            mailbox: f(mb),
            host: f(host),
        }
    }

    #[test]
    fn display_name_and_angle() {
        assert_eq!(
            parse_list(b"Terry Gray <gray@cac.washington.edu>"),
            [a(
                Some("Terry Gray"),
                None,
                Some("gray"),
                Some("cac.washington.edu")
            )]
        );
        assert_eq!(
            parse_list(b"\"Gray, Terry \\\"T\\\"\" <gray@x.org>"),
            [a(
                Some("Gray, Terry \"T\""),
                None,
                Some("gray"),
                Some("x.org")
            )]
        );
    }

    #[test]
    fn bare_spec_with_comment_and_several() {
        assert_eq!(
            parse_list(b"minutes@CNRI.Reston.VA.US, john (John Doe), <a@b>"),
            [
                a(None, None, Some("minutes"), Some("CNRI.Reston.VA.US")),
                a(Some("John Doe"), None, Some("john"), Some(MISSING_HOST_STR)),
                a(None, None, Some("a"), Some("b")),
            ]
        );
    }

    const MISSING_HOST_STR: &str = ".MISSING-HOST-NAME.";

    #[test]
    fn groups_start_and_end() {
        assert_eq!(
            parse_list(b"A Group: ed@x.org, <b@y.org>; c@z.org"),
            [
                a(None, None, Some("A Group"), None),
                a(None, None, Some("ed"), Some("x.org")),
                a(None, None, Some("b"), Some("y.org")),
                a(None, None, None, None),
                a(None, None, Some("c"), Some("z.org")),
            ]
        );
        assert_eq!(
            parse_list(b"undisclosed-recipients:;"),
            [
                a(None, None, Some("undisclosed-recipients"), None),
                a(None, None, None, None)
            ]
        );
        // Unterminated group still ends.
        assert_eq!(parse_list(b"g: x@y").len(), 3);
    }

    #[test]
    fn quoted_local_part_keeps_its_spaces() {
        assert_eq!(
            parse_list(b"<\"jane smith\"@example.org>"),
            [a(None, None, Some("jane smith"), Some("example.org"))]
        );
        assert_eq!(
            parse_list(b"< joe @ example.com >"),
            [a(None, None, Some("joe"), Some("example.com"))]
        );
    }

    #[test]
    fn route_encoded_words_and_garbage() {
        assert_eq!(
            parse_list(b"<@relay1,@relay2:joe@example.com>"),
            [a(
                None,
                Some("@relay1,@relay2"),
                Some("joe"),
                Some("example.com")
            )]
        );
        assert_eq!(
            parse_list(b"=?UTF-8?Q?Andr=C3=A9?= <andre@x.fr>"),
            [a(
                Some("=?UTF-8?Q?Andr=C3=A9?="),
                None,
                Some("andre"),
                Some("x.fr")
            )]
        );
        assert_eq!(parse_list(b""), []);
        assert_eq!(parse_list(b" , ,"), []);
        assert_eq!(
            parse_list(b"<>"),
            [a(
                None,
                None,
                Some("MISSING_MAILBOX"),
                Some(MISSING_HOST_STR)
            )]
        );
        // No panic on unbalanced syntax.
        for v in [
            &b"\"unterminated"[..],
            b"(((",
            b"<<<",
            b"a@",
            b"@",
            b":;:;",
            b")>",
        ] {
            let _ = parse_list(v);
        }
    }
}
