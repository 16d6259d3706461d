//! Property: any generated response encodes, parses back equal, and
//! re-encodes to the same bytes.
#![cfg(feature = "testing")]

use std::num::NonZeroU32;

use hadron_proto::testing::{arb_body, arb_envelope, arb_greeting, arb_response};
use hadron_proto::types::{Data, FetchItem, Response, WireList};
use hadron_proto::{encode, parse};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn response_encode_parse_round_trip(resp in arb_response()) {
        let mut wire = Vec::new();
        encode::response(&resp, &mut wire);
        let parsed = parse::response(&wire).map_err(|e| {
            TestCaseError::fail(format!("{e}\nwire: {:?}", String::from_utf8_lossy(&wire)))
        })?;
        prop_assert_eq!(&parsed, &resp, "wire: {:?}", String::from_utf8_lossy(&wire));
        let mut again = Vec::new();
        encode::response(&parsed, &mut again);
        prop_assert_eq!(again, wire);
    }

    #[test]
    fn greeting_encode_parse_round_trip(g in arb_greeting()) {
        let mut wire = Vec::new();
        encode::greeting(&g, &mut wire);
        let parsed = parse::greeting(&wire).map_err(|e| {
            TestCaseError::fail(format!("{e}\nwire: {:?}", String::from_utf8_lossy(&wire)))
        })?;
        prop_assert_eq!(parsed, g);
    }

    /// Whatever the parser accepts (here: generated wire with one byte
    /// changed), it parses again, equal, after encoding.
    #[test]
    fn accepted_input_survives_re_encoding(
        resp in arb_response(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut wire = Vec::new();
        encode::response(&resp, &mut wire);
        let at = at.index(wire.len());
        wire[at] = byte;
        if let Ok(parsed) = parse::response(&wire) {
            let mut again = Vec::new();
            encode::response(&parsed, &mut again);
            let reparsed = parse::response(&again).map_err(|e| {
                TestCaseError::fail(format!("{e}\nwire: {:?}", String::from_utf8_lossy(&again)))
            })?;
            prop_assert_eq!(reparsed, parsed);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// What the encoder writes for an ENVELOPE or BODYSTRUCTURE is a valid
    /// `WireList`, and writing it back as one gives the same bytes (how a
    /// server answers FETCH from what it stored at ingest).
    #[test]
    fn stored_wire_forms_pass_and_encode_identically(
        envelope in arb_envelope(),
        body in arb_body(true),
    ) {
        let typed = [
            ("ENVELOPE", FetchItem::Envelope(Box::new(envelope))),
            ("BODYSTRUCTURE", FetchItem::BodyStructure(Box::new(body))),
        ];
        for (name, item) in typed {
            let wire = fetch_wire(item);
            let prefix = format!("* 1 FETCH ({name} ");
            let value = &wire[prefix.len()..wire.len() - 3];
            let list = WireList::new(value).map_err(|e| {
                TestCaseError::fail(format!("{e}: {:?}", String::from_utf8_lossy(value)))
            })?;
            let stored = match name {
                "ENVELOPE" => FetchItem::EnvelopeWire(list),
                _ => FetchItem::BodyStructureWire(list),
            };
            prop_assert_eq!(fetch_wire(stored), wire);
        }
    }
}

/// `* 1 FETCH (item)` CRLF.
fn fetch_wire(item: FetchItem<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let seq = NonZeroU32::MIN;
    encode::response(
        &Response::Data(Data::Fetch {
            seq,
            items: vec![item],
        }),
        &mut out,
    );
    out
}
