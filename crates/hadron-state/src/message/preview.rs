//! The preview of a message (RFC 8970): the start of its main text as one
//! line of plain text, computed once at ingest and kept with the message.
//!
//! The text is that of the first `text/plain` part that is not an
//! attachment, else of the first such `text/html` part with its markup
//! removed (tags, comments, `script`, `style` and `head` dropped, character
//! references decoded). Parts of attached messages are not the message's
//! text. The part is decoded from its transfer encoding and charset by the
//! decoder SEARCH's text uses ([`PartNode::decoded_text`]), then every run
//! of white space and control characters becomes one space, the ends are
//! trimmed, and the result is cut to [`MAX_PREVIEW_CHARS`] characters.

use hadron_proto::types::{BodyStructure, ExtensionTail, SinglePartKind};

use super::Structure;
use super::partmap::{PartContent, PartNode};

/// The most characters (Unicode scalar values) a preview holds: RFC 8970
/// says a preview SHOULD hold at most 200 (and MUST NOT exceed 256); what
/// clients lay out is sized for 200.
pub const MAX_PREVIEW_CHARS: usize = 200;

/// Encoded bytes of the chosen part that are read: a long HTML head and
/// style sheet still leave room for the text.
const MAX_ENCODED: usize = 256 * 1024;

/// The preview of the message `raw` (see the module docs); `None` when it
/// has no text part to make one from (only attachments, images, ...), and
/// `Some("")` when its text is empty.
///
/// ```
/// use hadron_state::message::preview;
///
/// let raw = b"Subject: hi\r\nContent-Type: text/html\r\n\r\n<p>Hello&nbsp;<b>there</b></p>\r\n";
/// assert_eq!(preview(raw).as_deref(), Some("Hello there"));
/// ```
pub fn preview(raw: &[u8]) -> Option<String> {
    of_structure(raw, &Structure::parse(raw))
}

/// [`preview`] of `raw` whose structure `s` is already parsed (at ingest).
pub(crate) fn of_structure(raw: &[u8], s: &Structure) -> Option<String> {
    let mut found = Found::default();
    find(&s.body, &s.part_map.root, &mut found);
    let (node, html) = match (found.plain, found.html) {
        (Some(plain), _) => (plain, false),
        (None, Some(html)) => (html, true),
        (None, None) => return None,
    };
    let (text, _) = node.decoded_text(raw, MAX_ENCODED);
    Some(if html {
        normalise(&html_to_text(&text))
    } else {
        normalise(&text)
    })
}

/// The candidate parts met so far.
#[derive(Default)]
struct Found<'a> {
    plain: Option<&'a PartNode>,
    html: Option<&'a PartNode>,
}

fn is_attachment(tail: &ExtensionTail<'_>) -> bool {
    tail.disposition
        .as_ref()
        .is_some_and(|d| d.kind.as_bytes().eq_ignore_ascii_case(b"ATTACHMENT"))
}

/// Walks the body structure and the part map together (they have the same
/// shape, and the map's depth is bounded by [`super::partmap::MAX_DEPTH`]),
/// in order, until a `text/plain` part is found.
fn find<'a>(body: &BodyStructure<'_>, node: &'a PartNode, found: &mut Found<'a>) {
    if found.plain.is_some() {
        return;
    }
    match (body, &node.content) {
        (BodyStructure::Multi { parts, ext, .. }, PartContent::Multipart(nodes)) => {
            if ext.as_ref().is_some_and(|e| is_attachment(&e.tail)) {
                return;
            }
            for (b, n) in parts.iter().zip(nodes) {
                find(b, n, found);
            }
        }
        (
            BodyStructure::Single {
                kind: SinglePartKind::Text { subtype, .. },
                ext,
                ..
            },
            PartContent::Leaf,
        ) => {
            if node.text_charset.is_none() || ext.as_ref().is_some_and(|e| is_attachment(&e.tail)) {
                return;
            }
            let subtype = subtype.as_bytes();
            if subtype.eq_ignore_ascii_case(b"PLAIN") {
                found.plain = Some(node);
            } else if subtype.eq_ignore_ascii_case(b"HTML") && found.html.is_none() {
                found.html = Some(node);
            }
        }
        // Other media, and attached messages (their text is not this message's).
        _ => {}
    }
}

/// One line of at most [`MAX_PREVIEW_CHARS`] characters: runs of white
/// space and control characters become one space, the ends trimmed, a byte
/// order mark dropped.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut space = false;
    for c in text.chars() {
        if c == '\u{feff}' {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            if count + 1 >= MAX_PREVIEW_CHARS {
                break;
            }
            out.push(' ');
            count += 1;
        }
        space = false;
        if count == MAX_PREVIEW_CHARS {
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// Elements whose content is not text to show.
const HIDDEN: [&str; 5] = ["script", "style", "head", "title", "template"];

/// Elements that separate words: replaced by a space.
const BLOCKS: [&str; 27] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
];

/// The text of an HTML document: tags and comments removed (a block
/// element's tag leaves a space), the content of [`HIDDEN`] elements
/// dropped, character references decoded. Tolerant: a `<` that starts no
/// tag is text, an unclosed comment or hidden element runs to the end.
fn html_to_text(html: &str) -> String {
    // ASCII lowercasing keeps every byte offset, so positions found in
    // `lower` slice `html` on the same (ASCII) characters.
    let lower = html.to_ascii_lowercase();
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let rest = &lower[i + 1..];
                if rest.starts_with("!--") {
                    i = lower[i + 4..]
                        .find("-->")
                        .map_or(bytes.len(), |e| i + 4 + e + 3);
                    continue;
                }
                let closing = rest.starts_with('/');
                let name_start = i + 1 + usize::from(closing);
                let name_len = lower[name_start..]
                    .bytes()
                    .take_while(u8::is_ascii_alphanumeric)
                    .count();
                let markup = rest.starts_with('!') || rest.starts_with('?');
                if name_len == 0 && !markup {
                    out.push('<');
                    i += 1;
                    continue;
                }
                let name = &lower[name_start..name_start + name_len];
                let Some(end) = lower[i..].find('>').map(|e| i + e + 1) else {
                    break;
                };
                i = end;
                if BLOCKS.contains(&name) {
                    out.push(' ');
                }
                if !closing && HIDDEN.contains(&name) {
                    let close = format!("</{name}");
                    i = match lower[i..].find(&close) {
                        Some(c) => lower[i + c..]
                            .find('>')
                            .map_or(bytes.len(), |e| i + c + e + 1),
                        None => bytes.len(),
                    };
                    out.push(' ');
                }
            }
            b'&' => match reference(&html[i + 1..]) {
                Some((c, len)) => {
                    out.push(c);
                    i += 1 + len;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            _ => {
                let next = html[i..].find(['<', '&']).map_or(bytes.len(), |n| i + n);
                out.push_str(&html[i..next]);
                i = next;
            }
        }
    }
    out
}

/// Named character references common in mail.
const NAMED: [(&str, char); 24] = [
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("euro", '€'),
    ("pound", '£'),
    ("yen", '¥'),
    ("cent", '¢'),
    ("sect", '§'),
    ("deg", '°'),
    ("hellip", '…'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bull", '•'),
    ("middot", '·'),
];

/// The character reference at the start of `s` (just after its `&`) and
/// its length through the `;`: `#n;`, `#xh;` or a name of [`NAMED`]. A
/// numeric reference to no character is U+FFFD.
fn reference(s: &str) -> Option<(char, usize)> {
    let end = s.bytes().take(12).position(|b| b == b';')?;
    let body = &s[..end];
    let c = if let Some(num) = body.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        char::from_u32(n)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{fffd}')
    } else {
        NAMED.iter().find(|(name, _)| *name == body)?.1
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: &str) -> Option<String> {
        preview(raw.as_bytes())
    }

    #[test]
    fn plain_text_is_one_line_with_white_space_collapsed() {
        let raw = "Subject: x\r\n\r\n  Hello,\r\n\r\n\tthis  is\u{b} the\r\ntext.  \r\n";
        assert_eq!(p(raw).as_deref(), Some("Hello, this is the text."));
        // No Content-Type is text/plain; US-ASCII.
        assert_eq!(p("\r\nHi").as_deref(), Some("Hi"));
    }

    #[test]
    fn empty_text_is_an_empty_preview() {
        assert_eq!(p("Subject: x\r\n\r\n").as_deref(), Some(""));
        assert_eq!(p("Subject: x\r\n\r\n \r\n\t\r\n").as_deref(), Some(""));
    }

    #[test]
    fn transfer_encodings_are_decoded() {
        let qp = "Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\n\
Caf=C3=A9 cr=C3=A8me, a soft=\r\n line break.\r\n";
        assert_eq!(p(qp).as_deref(), Some("Café crème, a soft line break."));
        let b64 = "Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8sIHfDtnJsZCE=\r\n";
        assert_eq!(p(b64).as_deref(), Some("Hello, wörld!"));
    }

    #[test]
    fn charsets_are_converted_to_utf8() {
        let mut raw = b"Content-Type: text/plain; charset=ISO-8859-1\r\n\r\n".to_vec();
        raw.extend_from_slice(b"Gr\xfc\xdfe aus K\xf6ln\r\n");
        assert_eq!(preview(&raw).as_deref(), Some("Grüße aus Köln"));
    }

    #[test]
    fn html_loses_its_markup_scripts_and_styles() {
        let raw = "Content-Type: text/html; charset=utf-8\r\n\r\n\
<!DOCTYPE html><html><head><title>Title</title>\r\n<style>p { color: red }</style></head>\r\n\
<body><!-- a comment <p>hidden</p> --><script type=\"text/javascript\">if (a < b) x();</script>\
<p>Fish &amp; chips&nbsp;&#8212; &#x263A; &lt;tag&gt;</p><div>bold<b>ly</b> 1 < 2</div>\
<STYLE>.x{}</STYLE><p>&unknown; &amp</p></body></html>\r\n";
        assert_eq!(
            p(raw).as_deref(),
            Some("Fish & chips — ☺ <tag> boldly 1 < 2 &unknown; &amp")
        );
    }

    #[test]
    fn multipart_alternative_prefers_text_plain() {
        let raw = "Content-Type: multipart/alternative; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/html\r\n\r\n<p>the html</p>\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nthe plain text\r\n--b--\r\n";
        assert_eq!(p(raw).as_deref(), Some("the plain text"));
        let html_only = "Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n\
--b\r\nContent-Type: text/html\r\n\r\n<p>the&nbsp;html</p>\r\n--b--\r\n";
        assert_eq!(p(html_only).as_deref(), Some("the html"));
    }

    #[test]
    fn attachments_and_attached_messages_are_not_the_text() {
        let attachments = "Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n\
attached text\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner text\r\n\
--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n";
        assert_eq!(p(attachments), None);
        let image = "Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/\r\n";
        assert_eq!(p(image), None);
        let after = "Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnot this\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Disposition: inline\r\n\r\nbut this\r\n--b--\r\n";
        assert_eq!(p(after).as_deref(), Some("but this"));
    }

    #[test]
    fn long_text_is_cut_at_200_characters_not_bytes() {
        let body = "é".repeat(300);
        let got = p(&format!(
            "Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
        ))
        .unwrap();
        assert_eq!(got.chars().count(), MAX_PREVIEW_CHARS);
        assert_eq!(got, "é".repeat(MAX_PREVIEW_CHARS));
        // A cut never leaves a trailing space.
        let words = "ab ".repeat(150);
        let got = p(&format!("\r\n{words}")).unwrap();
        assert!(got.chars().count() <= MAX_PREVIEW_CHARS, "{got:?}");
        assert!(!got.ends_with(' '), "{got:?}");
        assert!(got.starts_with("ab ab"), "{got:?}");
    }

    #[test]
    fn normalise_drops_controls_and_byte_order_marks() {
        assert_eq!(normalise("\u{feff}a\0b\u{1b}c\r\n"), "a b c");
        assert_eq!(normalise("   "), "");
    }

    #[test]
    fn html_edge_cases_do_not_panic() {
        for html in [
            "<",
            "<!--",
            "<script>",
            "<p",
            "&",
            "&#;",
            "&#xZZ;",
            "&#1114112;",
            "</",
            "<!x",
            "é<é",
        ] {
            let _ = html_to_text(html);
        }
        assert_eq!(html_to_text("a<br>b<span>c</span>"), "a bc");
        assert_eq!(html_to_text("&#0;"), "\u{fffd}");
    }
}
