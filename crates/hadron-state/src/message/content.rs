//! Content-Type, Content-Disposition and Content-Language values
//! (RFC 2045 §5, RFC 2183, RFC 3282), parsed tolerantly.
//!
//! Parameter names are uppercased (as in RFC 3501's examples, `"CHARSET"`);
//! values are kept as sent (boundaries are case-sensitive). RFC 2231
//! continuations are joined (`name*0*=utf-8''a; name*1=b` becomes
//! `NAME*` = `utf-8''ab`), as Dovecot does, but not decoded: the
//! BODYSTRUCTURE grammar has no place for the charset and language, so
//! clients read the extended form themselves.

use std::collections::HashMap;

/// A parameter list: (uppercased name, raw value).
pub(crate) type RawParams = Vec<(Vec<u8>, Vec<u8>)>;

/// A parsed Content-Type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentType {
    /// Uppercased type, such as `TEXT`.
    pub(crate) media_type: Vec<u8>,
    /// Uppercased subtype, such as `PLAIN`.
    pub(crate) subtype: Vec<u8>,
    /// Parameters.
    pub(crate) params: RawParams,
}

impl ContentType {
    /// The value of parameter `name` (given uppercased).
    pub(crate) fn param(&self, name: &[u8]) -> Option<&[u8]> {
        param(&self.params, name)
    }

    /// Whether this is `type/subtype` (given uppercased).
    pub(crate) fn is(&self, media_type: &[u8], subtype: &[u8]) -> bool {
        self.media_type == media_type && self.subtype == subtype
    }
}

/// The value of parameter `name` (given uppercased) in `params`.
pub(crate) fn param<'p>(params: &'p RawParams, name: &[u8]) -> Option<&'p [u8]> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

/// Skips whitespace and (nested) comments.
pub(crate) fn skip_cfws(v: &[u8], mut i: usize) -> usize {
    loop {
        while i < v.len() && v[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < v.len() && v[i] == b'(' {
            let mut depth = 0usize;
            while i < v.len() {
                match v[i] {
                    b'\\' => i += 1,
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            return i.min(v.len());
        }
    }
}

fn is_tspecial(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')'
            | b'<'
            | b'>'
            | b'@'
            | b','
            | b';'
            | b':'
            | b'\\'
            | b'"'
            | b'/'
            | b'['
            | b']'
            | b'?'
            | b'='
    )
}

/// A token (RFC 2045): stops at whitespace, controls and tspecials.
fn token(v: &[u8], i: usize) -> (Vec<u8>, usize) {
    let end = v[i..]
        .iter()
        .position(|&b| b <= b' ' || b == 0x7f || is_tspecial(b))
        .map_or(v.len(), |p| i + p);
    (v[i..end].to_vec(), end)
}

/// A quoted string starting at `v[i] == '"'`; unterminated runs to the end.
fn quoted(v: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    i += 1;
    while i < v.len() && v[i] != b'"' {
        if v[i] == b'\\' && i + 1 < v.len() {
            i += 1;
        }
        out.push(v[i]);
        i += 1;
    }
    (out, (i + 1).min(v.len()))
}

/// Parses `*(";" attribute "=" value)` from `v[i..]`. Tolerates missing
/// semicolons, values with tspecials (read up to `;`), empty entries and
/// attributes without a value (skipped).
fn params(v: &[u8], i: usize) -> RawParams {
    join_continuations(raw_params(v, i))
}

/// [`params`] before joining RFC 2231 continuations.
fn raw_params(v: &[u8], mut i: usize) -> RawParams {
    let mut out: RawParams = Vec::new();
    loop {
        i = skip_cfws(v, i);
        while i < v.len() && v[i] == b';' {
            i = skip_cfws(v, i + 1);
        }
        if i >= v.len() {
            return out;
        }
        let (name, after) = token(v, i);
        let mut j = skip_cfws(v, after);
        if name.is_empty() || j >= v.len() || v[j] != b'=' {
            // Not a parameter: skip to the next ';'.
            i = v[i..]
                .iter()
                .position(|&b| b == b';')
                .map_or(v.len(), |p| i + p + 1);
            continue;
        }
        j = skip_cfws(v, j + 1);
        let (value, next) = if j < v.len() && v[j] == b'"' {
            quoted(v, j)
        } else {
            let end = v[j..]
                .iter()
                .position(|&b| b == b';' || b.is_ascii_whitespace())
                .map_or(v.len(), |p| j + p);
            (v[j..end].to_vec(), end)
        };
        out.push((name.to_ascii_uppercase(), value));
        i = next;
    }
}

/// An RFC 2231 parameter name: base, section number, extended flag.
fn rfc2231_name(name: &[u8]) -> Option<(&[u8], Option<u32>, bool)> {
    let star = name.iter().position(|&b| b == b'*')?;
    let (base, rest) = (&name[..star], &name[star + 1..]);
    if rest.is_empty() {
        return Some((base, None, true));
    }
    let (digits, extended) = match rest.strip_suffix(b"*") {
        Some(d) => (d, true),
        None => (rest, false),
    };
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((base, Some(n), extended))
}

/// Percent-encodes what an RFC 2231 extended value cannot hold raw.
fn percent_encode(out: &mut Vec<u8>, v: &[u8]) {
    for &b in v {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
}

/// Joins RFC 2231 continuations (`NAME*0`, `NAME*1*`, ...) into one
/// parameter at the place of the first: `NAME*` when section 0 is
/// extended (non-extended sections are then percent-encoded), else
/// `NAME`. Other parameters are untouched.
fn join_continuations(params: RawParams) -> RawParams {
    if !params
        .iter()
        .any(|(k, _)| rfc2231_name(k).is_some_and(|(_, n, _)| n.is_some()))
    {
        return params;
    }
    // Sections of each base name, in one pass (hostile mail may carry
    // thousands of parameters).
    let mut groups: HashMap<Vec<u8>, Vec<(u32, bool, usize)>> = HashMap::new();
    for (i, (k, _)) in params.iter().enumerate() {
        if let Some((base, Some(n), ext)) = rfc2231_name(k) {
            groups.entry(base.to_vec()).or_default().push((n, ext, i));
        }
    }
    let mut out: RawParams = Vec::with_capacity(params.len());
    for (k, v) in &params {
        let Some((base, Some(_), _)) = rfc2231_name(k) else {
            out.push((k.clone(), v.clone()));
            continue;
        };
        // The first section met emits the joined parameter.
        let Some(mut sections) = groups.remove(base) else {
            continue;
        };
        sections.sort_by_key(|s| s.0);
        let extended = sections.first().is_some_and(|s| s.0 == 0 && s.1);
        let mut value = Vec::new();
        for (_, ext, i) in sections {
            let part = &params[i].1;
            if extended && !ext {
                percent_encode(&mut value, part);
            } else {
                value.extend_from_slice(part);
            }
        }
        let mut name = base.to_vec();
        if extended {
            name.push(b'*');
        }
        out.push((name, value));
    }
    out
}

/// Parses a Content-Type value; `None` when it has no `type/subtype`
/// (RFC 2045 §5.2 then prescribes the default).
pub(crate) fn content_type(v: &[u8]) -> Option<ContentType> {
    let i = skip_cfws(v, 0);
    let (media_type, i) = token(v, i);
    let i = skip_cfws(v, i);
    if media_type.is_empty() || v.get(i) != Some(&b'/') {
        return None;
    }
    let i = skip_cfws(v, i + 1);
    let (subtype, i) = token(v, i);
    if subtype.is_empty() {
        return None;
    }
    Some(ContentType {
        media_type: media_type.to_ascii_uppercase(),
        subtype: subtype.to_ascii_uppercase(),
        params: params(v, i),
    })
}

/// Parses a Content-Disposition value: uppercased kind and parameters.
pub(crate) fn disposition(v: &[u8]) -> Option<(Vec<u8>, RawParams)> {
    let i = skip_cfws(v, 0);
    let (kind, i) = token(v, i);
    if kind.is_empty() {
        return None;
    }
    Some((kind.to_ascii_uppercase(), params(v, i)))
}

/// Parses Content-Language: comma-separated tags, comments dropped.
pub(crate) fn languages(v: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        i = skip_cfws(v, i);
        let (tag, next) = token(v, i);
        if !tag.is_empty() {
            out.push(tag);
        }
        i = if next == i { next + 1 } else { next };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> RawParams {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn type_subtype_params() {
        let ct = content_type(b"text/plain; charset=\"utf-8\"; format=flowed").unwrap();
        assert!(ct.is(b"TEXT", b"PLAIN"));
        assert_eq!(ct.params, p(&[("CHARSET", "utf-8"), ("FORMAT", "flowed")]));
        let ct = content_type(b"Multipart/Mixed;\r\n boundary=\"b1 \\\"x\\\"\" (comment)").unwrap();
        assert!(ct.is(b"MULTIPART", b"MIXED"));
        assert_eq!(ct.param(b"BOUNDARY"), Some(&b"b1 \"x\""[..]));
        let ct = content_type(b" (c) text / html ;; charset=us-ascii;").unwrap();
        assert!(ct.is(b"TEXT", b"HTML"));
        assert_eq!(ct.params, p(&[("CHARSET", "us-ascii")]));
    }

    #[test]
    fn invalid_and_odd_params() {
        assert_eq!(content_type(b"text"), None);
        assert_eq!(content_type(b""), None);
        assert_eq!(content_type(b"/plain"), None);
        let ct = content_type(b"application/x; name=a/b@c; junk; q=\"unterminated").unwrap();
        assert_eq!(ct.params, p(&[("NAME", "a/b@c"), ("Q", "unterminated")]));
        let ct = content_type(b"application/x; name*0*=utf-8''a%20b; x=y; name*1=\"c d\"").unwrap();
        assert_eq!(ct.params, p(&[("NAME*", "utf-8''a%20bc%20d"), ("X", "y")]));
        let ct = content_type(b"application/x; title*1=\"b\"; title*0=\"a\"").unwrap();
        assert_eq!(ct.params, p(&[("TITLE", "ab")]));
        let ct = content_type(b"application/x; name*=utf-8''%41; a*b=c").unwrap();
        assert_eq!(ct.params, p(&[("NAME*", "utf-8''%41"), ("A*B", "c")]));
        // Many continuations: joined in section order, in linear time.
        let mut v = b"application/x".to_vec();
        for i in (0..20_000).rev() {
            v.extend_from_slice(format!("; n*{}=\"{}\"", i % 10_000, i % 10).as_bytes());
        }
        let ct = content_type(&v).unwrap();
        assert_eq!(ct.params.len(), 1);
        assert_eq!(ct.params[0].1.len(), 20_000);
    }

    #[test]
    fn disposition_and_language() {
        let (kind, params) = disposition(b"attachment; filename=\"a b.pdf\"").unwrap();
        assert_eq!(kind, b"ATTACHMENT");
        assert_eq!(params, p(&[("FILENAME", "a b.pdf")]));
        assert_eq!(disposition(b"  "), None);
        assert_eq!(
            languages(b"en, de (German)"),
            [b"en".to_vec(), b"de".to_vec()]
        );
        assert!(languages(b"").is_empty());
    }
}
