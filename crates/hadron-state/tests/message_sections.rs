//! `BODY[section]<partial>` extraction for every section form, and the
//! part map's stored form.

use std::num::NonZeroU32;

use hadron_proto::types::{AString, HeaderNames, Part, Section};
use hadron_state::message::section::Location;
use hadron_state::message::{ParsedMessage, PartMap, PartMapError, extract, read_section};

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

fn p(path: &[u32]) -> Part {
    Part::new(path.iter().map(|&n| NonZeroU32::new(n).unwrap()).collect()).unwrap()
}

fn names(list: &[&str]) -> HeaderNames<'static> {
    HeaderNames::new(
        list.iter()
            .map(|n| AString::try_from(n.to_string()).unwrap())
            .collect(),
    )
    .unwrap()
}

const MESSAGE: &str = "From: a@x.org
Subject: s
Content-Type: multipart/mixed; boundary=o

--o
Content-Type: text/plain

part one
--o
Content-Type: multipart/alternative; boundary=i

--i
Content-Type: text/plain

alt plain
--i
Content-Type: text/html

alt html
--i--
--o
Content-Type: message/rfc822

From: inner@x.org
Subject: inner
X-Folded: a
 b

inner body
--o
Content-Type: message/rfc822

Subject: inner multi
Content-Type: multipart/mixed; boundary=n

--n
Content-Type: text/plain

n1
--n
Content-Type: text/plain

n2
--n--
--o--
";

struct Fixture {
    raw: Vec<u8>,
    map: PartMap,
}

impl Fixture {
    fn new(text: &str) -> Self {
        let raw = crlf(text);
        let map = ParsedMessage::parse(&raw).part_map;
        Fixture { raw, map }
    }

    fn get(&self, section: Section<'_>) -> String {
        self.partial(section, None)
    }

    /// The section by [`extract`], checked against [`read_section`] reading
    /// ranges from "storage".
    fn partial(&self, section: Section<'_>, partial: Option<(u32, u32)>) -> String {
        let out = extract(&self.raw, &self.map, &section, partial);
        assert_eq!(
            ranged(&self.raw, &self.map, &section, partial).0,
            &*out,
            "{section:?} {partial:?}"
        );
        String::from_utf8(out.into_owned()).unwrap()
    }
}

/// [`read_section`] over `raw` as if it were a blob on disk: the content
/// and how many bytes it asked for.
fn ranged(
    raw: &[u8],
    map: &PartMap,
    section: &Section<'_>,
    partial: Option<(u32, u32)>,
) -> (Vec<u8>, usize) {
    let mut asked = 0;
    let out = read_section(map, section, partial, |r| {
        let start = r.start.min(raw.len());
        let r = start..r.end.min(raw.len()).max(start);
        asked += r.len();
        Ok::<_, ()>(raw[r].to_vec())
    })
    .unwrap();
    (out, asked)
}

#[test]
fn whole_header_and_text() {
    let f = Fixture::new(MESSAGE);
    assert_eq!(f.get(Section::Full).as_bytes(), f.raw);
    let header = "From: a@x.org\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n";
    assert_eq!(f.get(Section::Header(None)), header);
    assert_eq!(
        f.get(Section::Text(None)).as_bytes(),
        &f.raw[header.len()..]
    );
}

#[test]
fn parts_and_mime_headers() {
    let f = Fixture::new(MESSAGE);
    assert_eq!(f.get(Section::Part(p(&[1]))), "part one");
    assert_eq!(
        f.get(Section::Mime(p(&[1]))),
        "Content-Type: text/plain\r\n\r\n"
    );
    assert_eq!(
        f.get(Section::Part(p(&[2]))),
        "--i\r\nContent-Type: text/plain\r\n\r\nalt plain\r\n--i\r\n\
         Content-Type: text/html\r\n\r\nalt html\r\n--i--"
    );
    assert_eq!(f.get(Section::Part(p(&[2, 1]))), "alt plain");
    assert_eq!(f.get(Section::Part(p(&[2, 2]))), "alt html");
    assert_eq!(
        f.get(Section::Mime(p(&[2, 2]))),
        "Content-Type: text/html\r\n\r\n"
    );
    assert_eq!(
        f.get(Section::Mime(p(&[2]))),
        "Content-Type: multipart/alternative; boundary=i\r\n\r\n"
    );
}

#[test]
fn embedded_message_sections() {
    let f = Fixture::new(MESSAGE);
    let inner_header = "From: inner@x.org\r\nSubject: inner\r\nX-Folded: a\r\n b\r\n\r\n";
    assert_eq!(
        f.get(Section::Part(p(&[3]))),
        format!("{inner_header}inner body")
    );
    assert_eq!(f.get(Section::Header(Some(p(&[3])))), inner_header);
    assert_eq!(f.get(Section::Text(Some(p(&[3])))), "inner body");
    // A non-multipart embedded message's body is its part 1.
    assert_eq!(f.get(Section::Part(p(&[3, 1]))), "inner body");
    assert_eq!(
        f.get(Section::Mime(p(&[3]))),
        "Content-Type: message/rfc822\r\n\r\n"
    );
    // Multipart embedded message.
    assert_eq!(f.get(Section::Part(p(&[4, 1]))), "n1");
    assert_eq!(f.get(Section::Part(p(&[4, 2]))), "n2");
    assert_eq!(
        f.get(Section::Mime(p(&[4, 2]))),
        "Content-Type: text/plain\r\n\r\n"
    );
    assert_eq!(
        f.get(Section::Header(Some(p(&[4])))),
        "Subject: inner multi\r\nContent-Type: multipart/mixed; boundary=n\r\n\r\n"
    );
    assert!(f.get(Section::Text(Some(p(&[4])))).starts_with("--n\r\n"));
    assert!(f.get(Section::Text(Some(p(&[4])))).ends_with("n2\r\n--n--"));
}

#[test]
fn header_fields_and_not() {
    let f = Fixture::new(MESSAGE);
    // Case-insensitive names, message order, trailing blank line.
    assert_eq!(
        f.get(Section::HeaderFields(None, names(&["SUBJECT", "from"]))),
        "From: a@x.org\r\nSubject: s\r\n\r\n"
    );
    assert_eq!(
        f.get(Section::HeaderFieldsNot(
            None,
            names(&["subject", "Content-Type"])
        )),
        "From: a@x.org\r\n\r\n"
    );
    // Folded fields are kept whole; nested message headers.
    assert_eq!(
        f.get(Section::HeaderFields(Some(p(&[3])), names(&["x-folded"]))),
        "X-Folded: a\r\n b\r\n\r\n"
    );
    assert_eq!(
        f.get(Section::HeaderFieldsNot(
            Some(p(&[3])),
            names(&["x-folded", "from"])
        )),
        "Subject: inner\r\n\r\n"
    );
    // No match: just the blank line.
    assert_eq!(
        f.get(Section::HeaderFields(None, names(&["x-none"]))),
        "\r\n"
    );
}

#[test]
fn nonexistent_sections_are_empty() {
    let f = Fixture::new(MESSAGE);
    for s in [
        Section::Part(p(&[5])),
        Section::Part(p(&[1, 1])),
        Section::Part(p(&[2, 3])),
        Section::Part(p(&[3, 2])),
        Section::Part(p(&[9, 9, 9])),
        Section::Mime(p(&[5])),
        Section::Header(Some(p(&[1]))),
        Section::Text(Some(p(&[2]))),
        Section::HeaderFields(Some(p(&[1])), names(&["subject"])),
    ] {
        assert_eq!(f.map.locate(&s), Location::Missing, "{s:?}");
        assert_eq!(f.get(s), "");
    }
}

#[test]
fn single_part_message_numbering() {
    let f = Fixture::new("Subject: one\nContent-Type: text/plain\n\nthe body\n");
    assert_eq!(f.get(Section::Part(p(&[1]))), "the body\r\n");
    assert_eq!(
        f.get(Section::Mime(p(&[1]))),
        "Subject: one\r\nContent-Type: text/plain\r\n\r\n"
    );
    assert_eq!(f.get(Section::Part(p(&[2]))), "");
    assert_eq!(f.get(Section::Part(p(&[1, 1]))), "");
}

#[test]
fn partials() {
    let f = Fixture::new(MESSAGE);
    let text = f.get(Section::Part(p(&[1])));
    assert_eq!(f.partial(Section::Part(p(&[1])), Some((0, 4))), "part");
    assert_eq!(f.partial(Section::Part(p(&[1])), Some((5, 100))), "one");
    assert_eq!(f.partial(Section::Part(p(&[1])), Some((5, 0))), "");
    assert_eq!(f.partial(Section::Part(p(&[1])), Some((8, 1))), "");
    assert_eq!(f.partial(Section::Part(p(&[1])), Some((1000, 1))), "");
    assert_eq!(f.partial(Section::Part(p(&[1])), Some((0, u32::MAX))), text);
    assert_eq!(
        f.partial(
            Section::HeaderFields(None, names(&["subject"])),
            Some((9, 100))
        ),
        "s\r\n\r\n"
    );
    assert_eq!(f.partial(Section::Full, Some((0, 4))), "From");
    assert_eq!(
        f.partial(Section::Header(Some(p(&[3]))), Some((6, 5))),
        "inner"
    );
}

#[test]
fn missing_separator_and_bare_lf() {
    let f = Fixture::new("Subject: only header");
    assert_eq!(f.get(Section::Header(None)), "Subject: only header");
    assert_eq!(f.get(Section::Text(None)), "");
    assert_eq!(
        f.get(Section::HeaderFields(None, names(&["subject"]))),
        "Subject: only header\r\n\r\n"
    );
    let raw =
        b"Subject: lf\nContent-Type: multipart/mixed; boundary=z\n\n--z\n\nA\n--z\n\nB\n--z--\n";
    let map = ParsedMessage::parse(raw).part_map;
    assert_eq!(&*extract(raw, &map, &Section::Part(p(&[1])), None), b"A");
    assert_eq!(&*extract(raw, &map, &Section::Part(p(&[2])), None), b"B");
    assert_eq!(
        &*extract(
            raw,
            &map,
            &Section::HeaderFields(None, names(&["subject"])),
            None
        ),
        b"Subject: lf\n\r\n"
    );
}

#[test]
fn part_map_stored_form_roundtrips_and_rejects_garbage() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/messages");
    let mut sizes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        let map = ParsedMessage::parse(&raw).part_map;
        let bytes = map.to_bytes();
        sizes.push(bytes.len());
        assert_eq!(
            PartMap::from_bytes(&bytes).unwrap(),
            map,
            "{}",
            path.display()
        );
        for cut in 0..bytes.len() {
            assert!(PartMap::from_bytes(&bytes[..cut]).is_err());
        }
        // The stored map serves every section as the parse does, reading
        // only what the section needs.
        let stored = PartMap::from_bytes(&bytes).unwrap();
        let fields = names(&["subject", "from"]);
        let sections = [
            Section::Full,
            Section::Header(None),
            Section::Text(None),
            Section::HeaderFields(None, fields.clone()),
            Section::HeaderFieldsNot(None, fields),
            Section::Part(p(&[1])),
            Section::Part(p(&[2])),
            Section::Part(p(&[1, 1])),
            Section::Mime(p(&[1])),
            Section::Header(Some(p(&[2]))),
        ];
        for section in &sections {
            for partial in [None, Some((3, 40))] {
                let whole = extract(&raw, &map, section, partial);
                let (got, asked) = ranged(&raw, &stored, section, partial);
                assert_eq!(got, &*whole, "{} {section:?}", path.display());
                if !matches!(
                    section,
                    Section::HeaderFields(..) | Section::HeaderFieldsNot(..)
                ) {
                    assert_eq!(asked, got.len(), "{} {section:?}", path.display());
                }
            }
        }
    }
    assert!(sizes.iter().all(|&s| s < 128), "{sizes:?}");
    assert_eq!(PartMap::from_bytes(&[9, 0]), Err(PartMapError::Version(9)));
    assert!(PartMap::from_bytes(&[]).is_err());
}
