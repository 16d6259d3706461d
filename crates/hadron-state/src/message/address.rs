//! RFC 5322 address lists (with RFC 822 groups): ENVELOPE addresses and
//! the address text SEARCH FROM/TO/CC/BCC match.
//!
//! A tolerant tokenizer-driven parser over the unfolded header value:
//! display names keep their raw form (encoded-words undecoded, as RFC 3501
//! wants the envelope raw) with quoted strings unquoted and words joined by
//! single spaces; a comment serves as the name of a bare `addr-spec`
//! (`user@host (Name)`); comments and white space inside an `addr-spec`
//! (CFWS, RFC 5322 §3.2.2, §3.4.1) are dropped, so
//! `<user (c)@ (c) host>` is `user` at `host`; a missing local part or
//! domain becomes `MISSING_MAILBOX` / `.MISSING-HOST-NAME.` (never NIL,
//! which would read as group syntax), the convention of UW-IMAP.
//!
//! [`search_text`] writes the same parse back as one line of text, the
//! form SEARCH matches against (as Dovecot does): names decoded, addresses
//! without comments, placeholders left out.

use super::{charset, encoded_word};

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
    let mut balanced = true;
    while i < v.len() {
        match v[i] {
            // Every byte `ends_word` stops at is consumed by an arm below,
            // so the word arm always advances.
            b if b.is_ascii_whitespace() => i += 1,
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
                // Once a scan found no '>' outside quotes and comments, the
                // rest of the value is unbalanced: later '<'s take the
                // first '>', so that hostile values stay linear.
                let aware = if balanced { angle_end(v, i + 1) } else { None };
                balanced = aware.is_some();
                let end = aware.unwrap_or_else(|| {
                    v[i + 1..]
                        .iter()
                        .position(|&b| b == b'>')
                        .map_or(v.len(), |p| i + 1 + p)
                });
                out.push(Token::Angle(v[i + 1..end].to_vec()));
                i = (end + 1).min(v.len());
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

/// Where the `<...>` whose content starts at `v[start]` ends: the first
/// `>` outside quoted strings and comments (`<a (x>y) @b>`); `None` when
/// unbalanced quotes or parentheses hide every `>`.
fn angle_end(v: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    let mut quoted = false;
    let mut depth = 0usize;
    while i < v.len() {
        match v[i] {
            b'\\' => i += 1,
            b'"' if depth == 0 => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth = depth.saturating_sub(1),
            b'>' if !quoted && depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether `b` ends an atom-like word.
fn ends_word(b: u8) -> bool {
    b.is_ascii_whitespace() || b"\"(<>),:;@".contains(&b)
}

/// One entry of an address list as parsed, before ENVELOPE's conventions
/// (placeholders for missing parts, NIL for group syntax) apply.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// `name:` opening a group.
    GroupStart(Vec<u8>),
    /// `;` closing a group.
    GroupEnd,
    /// A mailbox; empty parts are missing.
    Mailbox {
        /// Display name (raw, unquoted), possibly empty.
        name: Vec<u8>,
        /// Source route (`@a,@b`), if any.
        adl: Option<Vec<u8>>,
        /// Local part, unquoted; empty when missing.
        local: Vec<u8>,
        /// Domain; empty when missing.
        domain: Vec<u8>,
    },
}

/// Parses an address-list header value (unfolded) into entries.
fn entries(value: &[u8]) -> Vec<Entry> {
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
                out.push(Entry::GroupStart(name));
                in_group = true;
            }
            Token::Special(b';') => {
                finish(&mut cur, &mut out);
                if in_group {
                    out.push(Entry::GroupEnd);
                    in_group = false;
                }
            }
            t => cur.push(t),
        }
    }
    finish(&mut cur, &mut out);
    if in_group {
        out.push(Entry::GroupEnd);
    }
    out
}

/// Parses an address-list header value (unfolded) into ENVELOPE addresses.
pub(crate) fn parse_list(value: &[u8]) -> Vec<RawAddress> {
    let or_missing =
        |v: Vec<u8>, missing: &[u8]| Some(if v.is_empty() { missing.to_vec() } else { v });
    entries(value)
        .into_iter()
        .map(|e| match e {
            Entry::GroupStart(name) => RawAddress {
                mailbox: Some(name),
                ..RawAddress::default()
            },
            Entry::GroupEnd => RawAddress::default(),
            Entry::Mailbox {
                name,
                adl,
                local,
                domain,
            } => RawAddress {
                name: (!name.is_empty()).then_some(name),
                adl,
                mailbox: or_missing(local, MISSING_MAILBOX),
                host: or_missing(domain, MISSING_HOST),
            },
        })
        .collect()
}

/// The `addr-mailbox` of the first ENVELOPE address of an address-list
/// header value, for SORT FROM/TO/CC (RFC 5256): a mailbox's local part
/// (unquoted), or, when the list starts with a group, the group's name (the
/// mailbox field of ENVELOPE's group-start address, as Dovecot sorts too);
/// `""` when there is none.
pub(crate) fn first_mailbox(value: &[u8]) -> String {
    entries(value)
        .into_iter()
        .find_map(|e| match e {
            Entry::GroupStart(name) => Some(charset::bytes_to_string(&name)),
            Entry::Mailbox { name, local, .. } if !(name.is_empty() && local.is_empty()) => {
                Some(charset::bytes_to_string(&local))
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// The display form of the first ENVELOPE address of an address-list
/// header value, for SORT DISPLAYFROM/DISPLAYTO (RFC 5957 §3): its display
/// name (RFC 2047-decoded) if it has one, else its `local@domain`; a
/// group's name when the list starts with a group; `""` when there is
/// none.
pub(crate) fn first_display(value: &[u8]) -> String {
    entries(value)
        .into_iter()
        .find_map(|e| match e {
            Entry::GroupStart(name) => Some(encoded_word::decode(&name)),
            Entry::Mailbox {
                name,
                local,
                domain,
                ..
            } if !(name.is_empty() && local.is_empty()) => {
                let name = encoded_word::decode(&name);
                if !name.trim().is_empty() {
                    return Some(name);
                }
                let mut addr = charset::bytes_to_string(&local);
                if !domain.is_empty() {
                    addr.push('@');
                    addr.push_str(&charset::bytes_to_string(&domain));
                }
                Some(addr)
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// The text SEARCH FROM/TO/CC/BCC match for an address-list header value
/// (unfolded, raw): each mailbox as `Name <local@domain>` (or
/// `local@domain` without a name), separated by `, `, a group as
/// `name: members;`. Display names are RFC 2047-decoded and unquoted;
/// comments and white space inside addresses are gone; missing parts are
/// left out rather than written as placeholders; source routes are
/// dropped.
pub(crate) fn search_text(value: &[u8]) -> String {
    let mut out = String::new();
    let separate = |out: &mut String| {
        if out.ends_with(':') {
            out.push(' ');
        } else if !out.is_empty() {
            out.push_str(", ");
        }
    };
    for e in entries(value) {
        match e {
            Entry::GroupStart(name) => {
                separate(&mut out);
                out.push_str(&encoded_word::decode(&name));
                out.push(':');
            }
            Entry::GroupEnd => out.push(';'),
            Entry::Mailbox {
                name,
                local,
                domain,
                ..
            } => {
                let mut addr = charset::bytes_to_string(&local);
                if !domain.is_empty() {
                    addr.push('@');
                    addr.push_str(&charset::bytes_to_string(&domain));
                }
                let name = encoded_word::decode(&name);
                if name.is_empty() && addr.is_empty() {
                    continue;
                }
                separate(&mut out);
                out.push_str(&name);
                if !addr.is_empty() {
                    if name.is_empty() {
                        out.push_str(&addr);
                    } else {
                        out.push_str(" <");
                        out.push_str(&addr);
                        out.push('>');
                    }
                }
            }
        }
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
fn finish(cur: &mut Vec<Token>, out: &mut Vec<Entry>) {
    let tokens = std::mem::take(cur);
    if tokens.iter().all(|t| matches!(t, Token::Comment(_))) {
        return;
    }
    let angle = tokens.iter().find_map(|t| match t {
        Token::Angle(a) => Some(a.clone()),
        _ => None,
    });
    let words = tokens
        .iter()
        .filter(|t| matches!(t, Token::Word(_) | Token::Quoted(_)))
        .count();
    let has_at = tokens.contains(&Token::Special(b'@'));
    let (name, spec) = match angle {
        Some(inner) => {
            let before: Vec<Token> = tokens
                .iter()
                .take_while(|t| !matches!(t, Token::Angle(_)))
                .cloned()
                .collect();
            (phrase(&before), inner)
        }
        // Several words and no address at all (`From: John Doe`): a
        // display name without a mailbox, as Dovecot reads it, rather than
        // the words glued into one local part.
        None if words > 1 && !has_at => (phrase(&tokens), Vec::new()),
        None => {
            // A bare addr-spec: its tokens glued together (comments inside
            // it dropped); the last comment after its start is the name,
            // as in `user@host (Name)` (Dovecot's reading).
            let mut spec = Vec::new();
            let mut comment = Vec::new();
            for t in &tokens {
                match t {
                    Token::Comment(c) if !spec.is_empty() => comment.clone_from(c),
                    Token::Comment(_) | Token::Angle(_) => {}
                    Token::Word(w) => spec.extend_from_slice(w),
                    Token::Quoted(q) => {
                        spec.push(b'"');
                        for &b in q {
                            if b == b'"' || b == b'\\' {
                                spec.push(b'\\');
                            }
                            spec.push(b);
                        }
                        spec.push(b'"');
                    }
                    Token::Special(b) => spec.push(*b),
                }
            }
            (comment, spec)
        }
    };
    let (adl, local, domain) = split_spec(&strip_cfws(&spec));
    out.push(Entry::Mailbox {
        name: super::header::trim(&name).to_vec(),
        adl,
        local,
        domain,
    });
}

/// An `addr-spec` (or route-addr content) without its CFWS: comments and
/// white space outside quoted strings are removed (RFC 5322 §3.4.1 allows
/// CFWS around every atom of it); a `(` inside a domain literal opens no
/// comment. Quoted strings keep their quotes, escapes and spaces, for
/// [`split_spec`].
fn strip_cfws(spec: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(spec.len());
    let mut i = 0;
    while i < spec.len() {
        match spec[i] {
            b'"' => {
                // Through the closing quote (or the end).
                out.push(b'"');
                i += 1;
                while i < spec.len() && spec[i] != b'"' {
                    if spec[i] == b'\\' && i + 1 < spec.len() {
                        out.push(b'\\');
                        i += 1;
                    }
                    out.push(spec[i]);
                    i += 1;
                }
                if i < spec.len() {
                    out.push(b'"');
                }
            }
            b'[' => {
                // A domain literal: no comments in it, its white space
                // (obsolete FWS) dropped as in the bare form, whose words
                // arrive without it.
                let end = spec[i..]
                    .iter()
                    .position(|&b| b == b']')
                    .map_or(spec.len(), |p| i + p + 1);
                out.extend(spec[i..end].iter().filter(|b| !b.is_ascii_whitespace()));
                i = end;
                continue;
            }
            b'(' => {
                i = super::content::skip_cfws(spec, i);
                continue;
            }
            b if b.is_ascii_whitespace() => {}
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Position of the last `@` of `spec` outside quoted strings.
fn last_at(spec: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut at = None;
    let mut i = 0;
    while i < spec.len() {
        match spec[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'@' if !quoted => at = Some(i),
            _ => {}
        }
        i += 1;
    }
    at
}

/// Splits `[@route,@route:]local@domain` (CFWS already removed) into
/// route, local part (unquoted) and domain; a missing part is empty.
fn split_spec(spec: &[u8]) -> (Option<Vec<u8>>, Vec<u8>, Vec<u8>) {
    let (adl, rest) = if spec.first() == Some(&b'@') {
        match spec.iter().position(|&b| b == b':') {
            Some(c) => (Some(spec[..c].to_vec()), &spec[c + 1..]),
            None => (None, spec),
        }
    } else {
        (None, spec)
    };
    let (local, domain) = match last_at(rest) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b""[..]),
    };
    (adl, unquote_local(local), domain.to_vec())
}

/// `"john doe"@x` keeps its local part unquoted (escapes undone), as
/// servers send it.
fn unquote_local(local: &[u8]) -> Vec<u8> {
    match local {
        [b'"', inner @ .., b'"'] => {
            let mut out = Vec::with_capacity(inner.len());
            let mut escaped = false;
            for &b in inner {
                if b == b'\\' && !escaped {
                    escaped = true;
                } else {
                    out.push(b);
                    escaped = false;
                }
            }
            out
        }
        _ => local.to_vec(),
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
    fn every_ascii_white_space_separates_words() {
        // A form feed ended a word without being consumed: the tokenizer
        // pushed empty words until memory ran out (found by the
        // `message_ingest` fuzz target). A vertical tab is part of a word.
        for space in [b'\x0b', b'\x0c'] {
            let value = [b"MAILER".as_slice(), &[space], b"DAEMON@example.org"].concat();
            let parsed = parse_list(&value);
            assert_eq!(parsed.len(), 1, "{parsed:?}");
            assert_eq!(parsed[0].host.as_deref(), Some(b"example.org".as_slice()));
        }
    }

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

    #[test]
    fn comments_and_white_space_inside_an_addr_spec_are_dropped() {
        assert_eq!(
            parse_list(b"<user-from (comment)@ (comment) domain.org>"),
            [a(None, None, Some("user-from"), Some("domain.org"))]
        );
        assert_eq!(
            parse_list(b"(lead) user-from (c) @ (c)domain.org"),
            [a(Some("c"), None, Some("user-from"), Some("domain.org"))],
            "bare: the last comment after the address starts is the name"
        );
        assert_eq!(
            parse_list(b"Ann (x) <ann(a > b)@(c)x.org> (y)"),
            [a(Some("Ann"), None, Some("ann"), Some("x.org"))],
            "a '>' inside a comment does not end the angle brackets"
        );
        assert_eq!(
            parse_list(b"user (c1) @ (c2) host (Real)"),
            [a(Some("Real"), None, Some("user"), Some("host"))],
            "the last comment is the name"
        );
        assert_eq!(
            parse_list(b"<\"a (not a comment) \\\" b\"@x.org>"),
            [a(None, None, Some("a (not a comment) \" b"), Some("x.org"))]
        );
        assert_eq!(
            parse_list(b"\"q\\\"uote\"@x.org"),
            [a(None, None, Some("q\"uote"), Some("x.org"))]
        );
        for v in [&b"a@[1.2 .3.4]"[..], b"<a @ [1.2 .3.4] (c)>"] {
            assert_eq!(parse_list(v), [a(None, None, Some("a"), Some("[1.2.3.4]"))]);
        }
        assert_eq!(
            parse_list(b"<a@[(x)]>"),
            [a(None, None, Some("a"), Some("[(x)]"))]
        );
        // Unbalanced: the first '>' still ends the address.
        assert_eq!(
            parse_list(b"<a(b@c>, d@e"),
            [
                a(None, None, Some("a"), Some(MISSING_HOST_STR)),
                a(None, None, Some("d"), Some("e"))
            ]
        );
    }

    #[test]
    fn unbalanced_angle_brackets_stay_linear() {
        // Each '<' opens a comment that never closes: scanning to the end
        // for every one of them would be quadratic.
        let v = b"<(>".repeat(200_000);
        let start = std::time::Instant::now();
        assert_eq!(parse_list(&v).len(), 1);
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn words_without_an_address_are_a_name() {
        assert_eq!(
            parse_list(b"just some text"),
            [a(
                Some("just some text"),
                None,
                Some("MISSING_MAILBOX"),
                Some(MISSING_HOST_STR)
            )]
        );
        assert_eq!(search_text(b"just some text"), "just some text");
        assert_eq!(
            parse_list(b"john . doe @ example.org"),
            [a(None, None, Some("john.doe"), Some("example.org"))]
        );
    }

    #[test]
    fn first_mailbox_is_the_first_local_part() {
        assert_eq!(first_mailbox(b"\"Doe, John\" <JD@x.org>, b@y.org"), "JD");
        assert_eq!(first_mailbox(b"<user (c)@ (c) domain.org>"), "user");
        assert_eq!(
            first_mailbox(b"group: g1@x.org, g2@x.org;, h@x.org"),
            "group"
        );
        assert_eq!(first_mailbox(b"user2: blah@domain1.org;"), "user2");
        assert_eq!(first_mailbox(b", after@x.org"), "after");
        assert_eq!(first_mailbox(b"\"quoted local\"@x.org"), "quoted local");
        assert_eq!(first_mailbox(b"<@route:joe@example.com>"), "joe");
        assert_eq!(first_mailbox(b""), "");
        assert_eq!(
            first_mailbox(b"undisclosed-recipients:;"),
            "undisclosed-recipients"
        );
    }

    #[test]
    fn first_display_is_the_name_else_the_address() {
        assert_eq!(first_display(b"foo bar <a@b.c>, x@y.z"), "foo bar");
        assert_eq!(first_display(b"b@c.d"), "b@c.d");
        assert_eq!(first_display(b"d"), "d");
        assert_eq!(
            first_display(b"=?iso-8859-1?q?foo_aar?= <e@f.g>"),
            "foo aar"
        );
        assert_eq!(first_display(b"a: xx@xx.org, yy@yy.org;"), "a");
        assert_eq!(first_display(b"user@x.org (Real Name)"), "Real Name");
        assert_eq!(first_display(b"\"\" <e@x.org>"), "e@x.org");
        assert_eq!(first_display(b""), "");
    }

    #[test]
    fn search_text_forms() {
        assert_eq!(
            search_text(b"<user-from (comment)@ (comment) domain.org>"),
            "user-from@domain.org"
        );
        assert_eq!(
            search_text(b"user-from@domain.org (RealFrom)"),
            "RealFrom <user-from@domain.org>"
        );
        assert_eq!(
            search_text(b"\"Doe, John\" <jd@x.org>, b@y.org"),
            "Doe, John <jd@x.org>, b@y.org"
        );
        assert_eq!(
            search_text(b"=?UTF-8?Q?J=C3=B6rg?= <j@x.de>"),
            "J\u{f6}rg <j@x.de>"
        );
        assert_eq!(
            search_text(
                b"groupname: groupuser1@domain.org, groupuser2@domain.org;, \
                  groupname2: groupuser3@domain.org;"
            ),
            "groupname: groupuser1@domain.org, groupuser2@domain.org;, \
             groupname2: groupuser3@domain.org;"
        );
        assert_eq!(search_text(b"groupname:;"), "groupname:;");
        assert_eq!(search_text(b"<@route:joe@example.com>"), "joe@example.com");
        assert_eq!(search_text(b"john"), "john");
        assert_eq!(search_text(b"<>, @"), "");
        assert_eq!(search_text(b"(only a comment)"), "");
        assert_eq!(search_text("Zoë <z@x.org>".as_bytes()), "Zoë <z@x.org>");
    }
}
