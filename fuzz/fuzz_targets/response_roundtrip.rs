//! Arbitrary bytes through the client-side framer and the response parser.
//! Nothing may panic; every response that parses must survive
//! encode → parse unchanged.
#![no_main]

use hadron_proto::framing::{FrameEvent, Framer, FramerLimits, Role};
use hadron_proto::testing::check_response_round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = FramerLimits {
        max_line: 4096,
        max_sync_literal: 8192,
        max_non_sync_literal: 8192,
        max_frame: 32 * 1024,
        max_literals: 32,
    };
    let mut framer = Framer::new(Role::Client, limits);
    framer.push(data);
    while let Some(event) = framer.next() {
        match event {
            FrameEvent::Frame(frame) => check_response_round_trip(&frame),
            FrameEvent::Fatal(_) => return,
            _ => {}
        }
    }
});
