//! Properties: parsing never panics on any input, the wire forms always
//! parse back with hadron-proto's parser, and extraction never panics nor
//! returns bytes from outside the message, for any section and partial.

use std::borrow::Cow;
use std::num::NonZeroU32;

use hadron_proto::parse;
use hadron_proto::types::{AString, Data, FetchItem, HeaderNames, Part, Response, Section};
use hadron_state::message::{ParsedMessage, PartMap, Structure, extract};
use proptest::prelude::*;

/// Fragments that steer random input towards the parser's decisions.
const FRAGMENTS: &[&str] = &[
    "\r\n",
    "\n",
    "\r\n\r\n",
    "From: A <a@x.org>\r\n",
    "To: g: b@y, \"q\\\" z\" <c@z>;, (c) d\r\n",
    "Subject: =?UTF-8?B?w6k=?= =?iso-8859-1?q?=E9_?=\r\n",
    "Date: Sat, 28 Nov 2026 13:00:00 +0000\r\n",
    "Content-Type: multipart/mixed; boundary=b\r\n",
    "Content-Type: multipart/digest; boundary=\"c\"\r\n",
    "Content-Type: message/rfc822\r\n",
    "Content-Type: text/plain; charset=koi8-r\r\n",
    "Content-Type: text\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "Content-Disposition: attachment; filename*=utf-8''%41\r\n",
    "Content-Language: en, (x) fr\r\n",
    " folded\r\n",
    "--b\r\n",
    "--b--\r\n",
    "--c\r\n",
    "--c--",
    "=?",
    "?=",
    "=E9=\r\n",
    "aGVsbG8=",
    "\0",
    "\u{e9}",
    "<",
    ">",
    "(",
    "\"",
    ":",
    ";",
];

fn mail_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => proptest::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

fn section() -> impl Strategy<Value = Section<'static>> {
    let path = proptest::collection::vec(1u32..5, 1..4).prop_map(|v| {
        Part::new(v.into_iter().map(|n| NonZeroU32::new(n).unwrap()).collect()).unwrap()
    });
    let opt_path = proptest::option::of(path.clone());
    let names = proptest::collection::vec(
        proptest::sample::select(&["subject", "FROM", "content-type", "x"][..]),
        1..3,
    )
    .prop_map(|v| {
        HeaderNames::new(
            v.into_iter()
                .map(|n| AString::try_from(n).unwrap())
                .collect(),
        )
        .unwrap()
    });
    prop_oneof![
        Just(Section::Full),
        path.clone().prop_map(Section::Part),
        path.prop_map(Section::Mime),
        opt_path.clone().prop_map(Section::Header),
        opt_path.clone().prop_map(Section::Text),
        (opt_path.clone(), names.clone()).prop_map(|(p, n)| Section::HeaderFields(p, n)),
        (opt_path, names).prop_map(|(p, n)| Section::HeaderFieldsNot(p, n)),
    ]
}

fn check_wire(raw: &[u8]) -> Result<(), TestCaseError> {
    let s = Structure::parse(raw);
    let m = ParsedMessage::parse(raw);
    let mut line = b"* 1 FETCH (ENVELOPE ".to_vec();
    line.extend_from_slice(&m.envelope);
    line.extend_from_slice(b" BODYSTRUCTURE ");
    line.extend_from_slice(&m.body_structure);
    line.extend_from_slice(b" BODY ");
    line.extend_from_slice(&m.body);
    line.extend_from_slice(b")\r\n");
    let parsed = parse::response(&line);
    prop_assert!(parsed.is_ok(), "{:?} for {}", parsed, line.escape_ascii());
    let Ok(Response::Data(Data::Fetch { items, .. })) = parsed else {
        return Err(TestCaseError::fail("not a FETCH"));
    };
    prop_assert_eq!(&items[0], &FetchItem::Envelope(Box::new(s.envelope)));
    prop_assert_eq!(&items[1], &FetchItem::BodyStructure(Box::new(s.body)));
    Ok(())
}

fn check_extract(
    raw: &[u8],
    map: &PartMap,
    section: &Section<'_>,
    partial: Option<(u32, u32)>,
) -> Result<(), TestCaseError> {
    let out = extract(raw, map, section, partial);
    match out {
        Cow::Borrowed(b) => {
            // A sub-slice of the message (or the empty static slice).
            let r = raw.as_ptr_range();
            let inside = b.is_empty() || (r.start <= b.as_ptr() && b.as_ptr_range().end <= r.end);
            prop_assert!(inside, "bytes from outside the message");
        }
        Cow::Owned(v) => {
            prop_assert!(matches!(
                section,
                Section::HeaderFields(..) | Section::HeaderFieldsNot(..)
            ));
            // Each byte at most doubles (bare LF → CRLF); an unterminated last
            // line gains a CRLF, and the blank line ending the header another.
            prop_assert!(v.len() <= 2 * raw.len() + 4);
            if partial.is_none() {
                prop_assert!(v.ends_with(b"\r\n"));
            }
        }
    }
    if let Some((_, len)) = partial {
        let out = extract(raw, map, section, partial);
        prop_assert!(out.len() <= len as usize);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let m = ParsedMessage::parse(&raw);
        let bytes = m.part_map.to_bytes();
        prop_assert_eq!(PartMap::from_bytes(&bytes).unwrap(), m.part_map.clone());
        let _ = m.part_map.text_parts(&raw, 4096).count();
    }

    #[test]
    fn mail_like_input_parses_to_valid_wire_forms(raw in mail_like()) {
        check_wire(&raw)?;
        let m = ParsedMessage::parse(&raw);
        prop_assert_eq!(PartMap::from_bytes(&m.part_map.to_bytes()).unwrap(), m.part_map.clone());
        for t in m.part_map.text_parts(&raw, 1 << 16) {
            prop_assert!(t.len() < 4 * raw.len() + 16);
        }
    }

    #[test]
    fn extract_stays_inside_the_message(
        raw in mail_like(),
        sections in proptest::collection::vec(section(), 1..8),
        partial in proptest::option::of((0u32..300, 0u32..300)),
    ) {
        let m = ParsedMessage::parse(&raw);
        for s in &sections {
            check_extract(&raw, &m.part_map, s, partial)?;
            check_extract(&raw, &m.part_map, s, None)?;
        }
        // A map that does not fit the message (wrong blob) must not panic.
        for s in &sections {
            let _ = extract(&raw[..raw.len() / 2], &m.part_map, s, partial);
        }
    }

    #[test]
    fn part_map_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = PartMap::from_bytes(&bytes);
        let mut v = vec![1u8];
        v.extend_from_slice(&bytes);
        let _ = PartMap::from_bytes(&v);
    }
}
