//! ENVELOPE / BODY / BODYSTRUCTURE rules of RFC 3501 §7.4.2, and the
//! RFC 3501 example responses reproduced from constructed messages.

use hadron_proto::parse;
use hadron_proto::types::{Data, FetchItem, Response};
use hadron_state::message::{ParsedMessage, Structure};

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

fn envelope(raw: &[u8]) -> String {
    String::from_utf8(ParsedMessage::parse(raw).envelope).unwrap()
}

fn body(raw: &[u8]) -> String {
    String::from_utf8(ParsedMessage::parse(raw).body).unwrap()
}

fn bodystructure(raw: &[u8]) -> String {
    String::from_utf8(ParsedMessage::parse(raw).body_structure).unwrap()
}

/// `n` lines of `width` letters joined by CRLF (no final CRLF).
fn lines(n: usize, width: usize) -> String {
    vec!["x".repeat(width); n].join("\r\n")
}

/// RFC 3501 §8: `* 12 FETCH (... ENVELOPE (...) BODY ("TEXT" "PLAIN"
/// ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))`.
#[test]
fn rfc3501_section8_fetch_full_example() {
    let mut raw = crlf(
        "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n\
         From: Terry Gray <gray@cac.washington.edu>\n\
         Subject: IMAP4rev1 WG mtg summary and minutes\n\
         To: imap@cac.washington.edu\n\
         cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\n\
         Message-Id: <B27397-0100000@cac.washington.edu>\n\
         MIME-Version: 1.0\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n\n",
    );
    // 92 lines, 3028 octets: 91 lines of 31 letters and one of 23, each
    // with CRLF.
    raw.extend_from_slice(lines(91, 31).as_bytes());
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice("y".repeat(23).as_bytes());
    raw.extend_from_slice(b"\r\n");
    assert_eq!(
        envelope(&raw),
        "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
         \"IMAP4rev1 WG mtg summary and minutes\" \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((NIL NIL \"imap\" \"cac.washington.edu\")) \
         ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
         (\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
         \"<B27397-0100000@cac.washington.edu>\")"
    );
    assert_eq!(
        body(&raw),
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)"
    );
}

/// RFC 3501 §7.4.2 BODYSTRUCTURE example (a BODY-shaped two-part mixed).
#[test]
fn rfc3501_section7_4_2_bodystructure_example() {
    let mut raw = crlf(
        "From: gray@cac.washington.edu\n\
         Content-Type: MULTIPART/MIXED; BOUNDARY=\"b\"\n\n\
         --b\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n\n",
    );
    // 1152 octets, 23 lines: 22 lines of 48 letters and one of 50, each
    // with CRLF; the CRLF after them belongs to the delimiter.
    raw.extend_from_slice(lines(22, 48).as_bytes());
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice("z".repeat(50).as_bytes());
    raw.extend_from_slice(&crlf(
        "\n\n--b\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=\"cc.diff\"\n\
         Content-ID: <960723163407.20117h@cac.washington.edu>\n\
         Content-Description: Compiler diff\n\
         Content-Transfer-Encoding: BASE64\n\n",
    ));
    // 4554 octets, 73 lines: 72 lines of 60 and one of 88, each with CRLF.
    raw.extend_from_slice(lines(72, 60).as_bytes());
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice("Q".repeat(88).as_bytes());
    raw.extend_from_slice(b"\r\n\r\n--b--\r\n");
    assert_eq!(
        body(&raw),
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)\
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") \
         \"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" 4554 73) \
         \"MIXED\")"
    );
}

#[test]
fn absent_fields_are_nil_and_lists_nil() {
    let raw = crlf("X-Other: 1\n\nbody\n");
    assert_eq!(envelope(&raw), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

#[test]
fn sender_and_reply_to_default_to_from_when_absent_or_empty() {
    let raw = crlf("From: a@x.org\nSender:\n\n");
    let from = "((NIL NIL \"a\" \"x.org\"))";
    assert_eq!(
        envelope(&raw),
        format!("(NIL NIL {from} {from} {from} NIL NIL NIL NIL NIL)")
    );
    let raw = crlf("From: a@x.org\nSender: s@x.org\nReply-To: r@x.org\n\n");
    assert_eq!(
        envelope(&raw),
        format!(
            "(NIL NIL {from} ((NIL NIL \"s\" \"x.org\")) ((NIL NIL \"r\" \"x.org\")) \
             NIL NIL NIL NIL NIL)"
        )
    );
}

#[test]
fn raw_values_unfolded_not_decoded() {
    let raw = crlf(
        "Subject: =?UTF-8?Q?caf=C3=A9?=\n  folded\nIn-Reply-To: <a@b>\n <c@d>\n\
         Message-ID: <id@x>\n\n",
    );
    assert_eq!(
        envelope(&raw),
        "(NIL \"=?UTF-8?Q?caf=C3=A9?=  folded\" NIL NIL NIL NIL NIL NIL \"<a@b> <c@d>\" \
         \"<id@x>\")"
    );
    let m = ParsedMessage::parse(&raw);
    assert_eq!(m.fields.subject, "café  folded");
}

#[test]
fn groups_start_with_host_nil_and_end_all_nil() {
    let raw = crlf("To: Team: a@x.org;\nCc: Empty:;\n\n");
    assert_eq!(
        envelope(&raw),
        "(NIL NIL NIL NIL NIL ((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.org\")(NIL NIL NIL NIL)) \
         ((NIL NIL \"Empty\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL)"
    );
}

#[test]
fn eight_bit_and_long_values_become_literals() {
    let raw = "Subject: café\r\n\r\n".as_bytes();
    assert_eq!(
        envelope(raw),
        "(NIL {5}\r\ncafé NIL NIL NIL NIL NIL NIL NIL NIL)"
    );
}

#[test]
fn nul_bytes_are_dropped_from_strings() {
    let raw = b"Subject: a\0b\r\n\r\n";
    assert_eq!(
        envelope(raw),
        "(NIL \"ab\" NIL NIL NIL NIL NIL NIL NIL NIL)"
    );
}

#[test]
fn missing_content_type_defaults_to_text_plain_us_ascii() {
    assert_eq!(
        body(b"\r\nab\r\ncd"),
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 6 1)"
    );
}

#[test]
fn single_part_extension_data() {
    let raw = crlf(
        "Content-Type: image/jpeg; name=a.jpg\nContent-Transfer-Encoding: base64\n\
         Content-MD5: bWQ1\nContent-Disposition: inline; filename=a.jpg\n\
         Content-Language: fr\nContent-Location: a.jpg\n\nAAAA",
    );
    assert_eq!(
        bodystructure(&raw),
        "(\"IMAGE\" \"JPEG\" (\"NAME\" \"a.jpg\") NIL NIL \"BASE64\" 4 \"bWQ1\" \
         (\"INLINE\" (\"FILENAME\" \"a.jpg\")) \"fr\" \"a.jpg\")"
    );
    assert_eq!(
        body(&raw),
        "(\"IMAGE\" \"JPEG\" (\"NAME\" \"a.jpg\") NIL NIL \"BASE64\" 4)"
    );
}

#[test]
fn multipart_extension_data() {
    let raw = crlf(
        "Content-Type: multipart/alternative; boundary=q\n\
         Content-Disposition: inline\nContent-Language: en, fr\n\n\
         --q\n\nx\n--q--\n",
    );
    assert_eq!(
        bodystructure(&raw),
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1 0 NIL NIL NIL NIL) \
         \"ALTERNATIVE\" (\"BOUNDARY\" \"q\") (\"INLINE\" NIL) (\"en\" \"fr\") NIL)"
    );
}

#[test]
fn message_rfc822_has_envelope_body_and_lines() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=m\n\n--m\n\
         Content-Type: message/rfc822\n\n\
         Subject: inner\nFrom: i@x.org\n\ninner text\n--m--\n",
    );
    let inner_from = "((NIL NIL \"i\" \"x.org\"))";
    assert_eq!(
        body(&raw),
        format!(
            "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 43 \
             (NIL \"inner\" {inner_from} {inner_from} {inner_from} NIL NIL NIL NIL NIL) \
             (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 0) 3) \"MIXED\")"
        )
    );
}

#[test]
fn nesting_is_bounded() {
    // 10,000 nested multiparts and messages: no stack overflow, and the
    // structure stops at the depth bound with an opaque leaf.
    let mut raw = Vec::new();
    for i in 0..5_000 {
        raw.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes(),
        );
        raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    }
    raw.extend_from_slice(b"\r\nend");
    let s = Structure::parse(&raw);
    let wire = String::from_utf8(ParsedMessage::parse(&raw).body).unwrap();
    assert!(wire.contains("\"APPLICATION\" \"OCTET-STREAM\""));
    let mut depth = 0;
    let mut node = &s.part_map.root;
    loop {
        node = match &node.content {
            hadron_state::message::PartContent::Multipart(p) => &p[0],
            hadron_state::message::PartContent::Message(m) => m,
            hadron_state::message::PartContent::Leaf => break,
        };
        depth += 1;
    }
    assert_eq!(depth, hadron_state::message::partmap::MAX_DEPTH);
}

/// The stored wire bytes parse back, with hadron-proto's response parser,
/// to the typed structure.
#[test]
fn wire_forms_parse_back_to_the_structure() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/messages");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        check_roundtrip(&raw);
    }
}

fn check_roundtrip(raw: &[u8]) {
    let s = Structure::parse(raw);
    let m = ParsedMessage::parse(raw);
    let mut line = b"* 1 FETCH (ENVELOPE ".to_vec();
    line.extend_from_slice(&m.envelope);
    line.extend_from_slice(b" BODYSTRUCTURE ");
    line.extend_from_slice(&m.body_structure);
    line.extend_from_slice(b" BODY ");
    line.extend_from_slice(&m.body);
    line.extend_from_slice(b")\r\n");
    let parsed = parse::response(&line).unwrap_or_else(|e| {
        panic!("{e:?} in {}", line.escape_ascii());
    });
    let Response::Data(Data::Fetch { items, .. }) = parsed else {
        panic!("not a FETCH");
    };
    assert_eq!(items[0], FetchItem::Envelope(Box::new(s.envelope.clone())));
    assert_eq!(items[1], FetchItem::BodyStructure(Box::new(s.body.clone())));
    assert!(matches!(items[2], FetchItem::Body(_)));
}

/// The line ending before a boundary delimiter belongs to the delimiter
/// (RFC 2046 §5.1.1): it counts neither in a part's octets nor in its
/// lines, and a last line without a line ending of its own is not a line.
/// Line counts are the line endings of the body, as Dovecot (whose imaptest
/// is the reference) and UW-IMAP count them; the expected values below are
/// Dovecot 2.3.19's answers for the same messages.
#[test]
fn the_line_ending_before_a_boundary_is_not_a_line_of_the_part() {
    // A one-line text part followed by an empty line, inside an attached
    // message: the text keeps its own line ending, the empty line's goes to
    // the delimiter.
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n\
         Content-Type: message/rfc822\n\nSubject: x\n\nhello\n\n--b--\n",
    );
    assert_eq!(
        body(&raw),
        "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 21 \
         (NIL \"x\" NIL NIL NIL NIL NIL NIL NIL NIL) \
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 7 1) 3) \"MIXED\")"
    );
    // The delimiter right after the text: the text has no line ending
    // left, so no line; the attached message has two (its header's).
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n\
         Content-Type: message/rfc822\n\nSubject: x\n\nhello\n--b--\n",
    );
    assert_eq!(
        body(&raw),
        "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 19 \
         (NIL \"x\" NIL NIL NIL NIL NIL NIL NIL NIL) \
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 0) 2) \"MIXED\")"
    );
    // Nested: the parts of a multipart inside an attached message, the
    // last one ending at the outer delimiter.
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n\
         Subject: x\nContent-Type: multipart/alternative; boundary=c\n\n\
         --c\n\nhello\n--c\n\nworld\n--b--\n",
    );
    assert_eq!(
        body(&raw),
        "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 89 \
         (NIL \"x\" NIL NIL NIL NIL NIL NIL NIL NIL) \
         ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 0)\
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 0) \"ALTERNATIVE\") 8) \
         \"MIXED\")"
    );
    // A message whose body does not end with a line ending.
    assert_eq!(
        body(b"Subject: x\r\n\r\nhello\r\nworld"),
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 12 1)"
    );
}
