//! Arbitrary bytes, in arbitrary chunks, through the server-side framer and
//! the command parser. Nothing may panic; every command that parses must
//! survive encode → parse unchanged.
#![no_main]

use hadron_proto::framing::{FrameEvent, Framer, FramerLimits, Role};
use hadron_proto::parse::{self, ParseLimits};
use hadron_proto::{encode, types::LiteralMode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    // The first byte picks the chunk size and the literal policy.
    let chunk = usize::from(first % 32) + 1;
    let mut accept = first & 0x80 == 0;
    let limits = FramerLimits {
        max_line: 2048,
        max_sync_literal: 4096,
        max_non_sync_literal: 4096,
        max_frame: 16 * 1024,
        max_literals: 16,
    };
    let mut framer = Framer::new(Role::Server, limits);
    let parse_limits = ParseLimits::default();
    for piece in input.chunks(chunk) {
        framer.push(piece);
        while let Some(event) = framer.next() {
            match event {
                FrameEvent::Frame(frame) => check_command(&frame, &parse_limits),
                FrameEvent::NeedContinuation { .. } => {
                    let decided = if accept {
                        framer.accept_literal()
                    } else {
                        framer.reject_literal()
                    };
                    decided.expect("a literal is pending after NeedContinuation");
                    accept = !accept;
                }
                FrameEvent::Fatal(_) => return,
                FrameEvent::LiteralTooLarge { .. } | FrameEvent::Error(_) => {}
            }
        }
    }
});

fn check_command(frame: &[u8], limits: &ParseLimits) {
    let Ok(command) = parse::command(frame, limits) else {
        return;
    };
    for mode in [LiteralMode::Sync, LiteralMode::NonSync] {
        let mut out = Vec::new();
        encode::command_with_mode(&command, mode, &mut out);
        let again = parse::command(&out, limits).unwrap_or_else(|e| {
            panic!(
                "re-encoded command does not parse: {e}\n{:?}",
                String::from_utf8_lossy(&out)
            )
        });
        assert_eq!(again, command, "{:?}", String::from_utf8_lossy(&out));
    }
}
