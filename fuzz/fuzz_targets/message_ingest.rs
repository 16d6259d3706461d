//! Arbitrary bytes as a message, through everything Hadron computes at
//! ingest (ENVELOPE, BODYSTRUCTURE, part map, search fields, preview,
//! threading links, sent date) and then through what FETCH and SEARCH read
//! back from it (`BODY[section]<partial>`, `BINARY[part]`, `BINARY.SIZE`,
//! header and body text). Nothing may panic; the stored part map must read
//! back as itself. Time and memory are bounded by libFuzzer's `-timeout`
//! and `-rss_limit_mb` (see `cargo xtask fuzz`).
#![no_main]

use std::convert::Infallible;
use std::num::NonZeroU32;

use hadron_proto::types::{Part, Section};
use hadron_state::message::{
    ParsedMessage, PartMap, binary_size, body_text, extract, header_text, read_binary,
    sent_date, thread_links,
};
use libfuzzer_sys::fuzz_target;

/// The part paths tried on every message: the first few parts, and nested
/// ones down a few levels (deeper ones are covered by `Missing`).
fn paths() -> Vec<Part> {
    let n = |v: u32| NonZeroU32::new(v).expect("not zero");
    let mut out = Vec::new();
    for a in 1..=3 {
        out.push(vec![n(a)]);
        for b in 1..=2 {
            out.push(vec![n(a), n(b)]);
            out.push(vec![n(a), n(b), n(1)]);
        }
    }
    out.into_iter().filter_map(|p| Part::new(p).ok()).collect()
}

fuzz_target!(|raw: &[u8]| {
    let parsed = ParsedMessage::parse(raw);
    let stored = parsed.part_map.to_bytes();
    let map = PartMap::from_bytes(&stored).expect("a stored part map reads back");
    assert_eq!(map, parsed.part_map, "the part map survives its stored form");

    let _ = thread_links(raw);
    let _ = sent_date(raw);
    let _ = header_text(raw);
    let _ = body_text(raw, &map);

    let read = |r: std::ops::Range<usize>| {
        let start = r.start.min(raw.len());
        Ok::<_, Infallible>(raw[start..r.end.min(raw.len()).max(start)].to_vec())
    };
    let partials = [None, Some((0, 1)), Some((3, 10)), Some((u32::MAX - 1, 5))];
    for partial in partials {
        let _ = extract(raw, &map, &Section::Full, partial);
        let _ = extract(raw, &map, &Section::Header(None), partial);
        let _ = extract(raw, &map, &Section::Text(None), partial);
        let _ = read_binary(&map, None, partial, read);
    }
    let _ = binary_size(&map, None, read);
    for part in paths() {
        for section in [
            Section::Part(part.clone()),
            Section::Mime(part.clone()),
            Section::Header(Some(part.clone())),
            Section::Text(Some(part.clone())),
        ] {
            let _ = extract(raw, &map, &section, None);
            let _ = extract(raw, &map, &section, Some((1, 7)));
        }
        let _ = read_binary(&map, Some(&part), Some((2, 9)), read);
        let _ = binary_size(&map, Some(&part), read);
    }
});
