//! Corpus of tricky messages (`tests/messages/*.eml`) against expected
//! ENVELOPE / BODY / BODYSTRUCTURE / SEARCH fields (`*.expected`), checked
//! by hand against RFC 3501 §7.4.2.
//!
//! Wire bytes are written with `escape_ascii` so that literals (`{n}` +
//! CRLF) and 8-bit bytes stay on one line. To regenerate after a deliberate
//! change: `HADRON_BLESS=1 cargo test -p hadron-state --test message_corpus`,
//! then review the diff.

use std::fs;
use std::path::Path;

use hadron_state::message::ParsedMessage;

fn render(raw: &[u8]) -> String {
    let m = ParsedMessage::parse(raw);
    let f = &m.fields;
    format!(
        "ENVELOPE {}\nBODY {}\nBODYSTRUCTURE {}\nFROM {:?}\nTO {:?}\nCC {:?}\nBCC {:?}\n\
         SUBJECT {:?}\nTHREAD-LINKS {:?}\nSENT {:?}\nTEXT {:?}\n",
        m.envelope.escape_ascii(),
        m.body.escape_ascii(),
        m.body_structure.escape_ascii(),
        f.from,
        f.to,
        f.cc,
        f.bcc,
        f.subject,
        f.thread_links,
        f.sent_date,
        m.part_map.text_parts(raw, 1 << 20).collect::<Vec<_>>(),
    )
}

#[test]
fn corpus_matches_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/messages");
    let bless = std::env::var_os("HADRON_BLESS").is_some();
    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "corpus has {} messages", names.len());
    let mut failures = Vec::new();
    for path in &names {
        let raw = fs::read(path).unwrap();
        let got = render(&raw);
        let expected_path = path.with_extension("expected");
        if bless {
            fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
