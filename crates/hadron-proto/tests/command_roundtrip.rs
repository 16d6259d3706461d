//! Property: any generated command encodes to bytes that parse back equal.
#![cfg(feature = "testing")]

use hadron_proto::encode;
use hadron_proto::parse::{self, ParseLimits};
use hadron_proto::testing::arb_command;
use hadron_proto::types::LiteralMode;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn encode_then_parse_is_identity(cmd in arb_command()) {
        for mode in [LiteralMode::Sync, LiteralMode::NonSync] {
            let mut out = Vec::new();
            encode::command_with_mode(&cmd, mode, &mut out);
            let parsed = parse::command(&out, &ParseLimits::default());
            prop_assert!(parsed.is_ok(), "{:?}: {}", String::from_utf8_lossy(&out), parsed.unwrap_err());
            prop_assert_eq!(parsed.unwrap(), cmd.clone(), "{:?}", String::from_utf8_lossy(&out));
        }
    }

    #[test]
    fn parsing_then_encoding_again_is_stable(cmd in arb_command()) {
        let mut first = Vec::new();
        encode::command(&cmd, &mut first);
        let parsed = parse::command(&first, &ParseLimits::default()).expect("parses");
        let mut second = Vec::new();
        encode::command(&parsed, &mut second);
        prop_assert_eq!(first, second);
    }

    #[test]
    fn every_strict_prefix_is_rejected(cmd in arb_command(), cut in any::<prop::sample::Index>()) {
        let mut out = Vec::new();
        encode::command(&cmd, &mut out);
        let cut = cut.index(out.len());
        prop_assert!(parse::command(&out[..cut], &ParseLimits::default()).is_err());
    }

    #[test]
    fn corrupted_commands_never_panic_and_keep_the_tag(
        cmd in arb_command(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut out = Vec::new();
        encode::command(&cmd, &mut out);
        let tag_len = cmd.tag.as_str().len() + 1;
        let at = tag_len + at.index(out.len() - tag_len);
        out[at] = byte;
        if let Err(e) = parse::command(&out, &ParseLimits::default()) {
            prop_assert_eq!(e.tag(), Some(&cmd.tag));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse::command(&bytes, &ParseLimits::default());
    }
}
