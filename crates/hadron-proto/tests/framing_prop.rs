//! Property tests: how input is chunked never changes what the framer reports.

use hadron_proto::framing::{FrameEvent, Framer, FramerLimits, Role};
use proptest::prelude::*;

/// One literal: its data and how it is announced.
#[derive(Debug, Clone)]
struct Lit {
    data: Vec<u8>,
    non_sync: bool,
    binary: bool,
}

/// A well-formed command: a tag, text, and literals each followed by text.
#[derive(Debug, Clone)]
struct Cmd {
    tag: String,
    head: String,
    parts: Vec<(Lit, String)>,
}

impl Cmd {
    fn bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {}", self.tag, self.head).into_bytes();
        for (lit, text) in &self.parts {
            let tilde = if lit.binary { "~" } else { "" };
            let plus = if lit.non_sync { "+" } else { "" };
            out.extend(format!(" {tilde}{{{}{plus}}}\r\n", lit.data.len()).bytes());
            out.extend(&lit.data);
            out.extend(text.bytes());
        }
        out.extend(b"\r\n");
        out
    }
}

/// Any chunk of a pipeline: mostly commands, sometimes broken lines.
#[derive(Debug, Clone)]
enum Item {
    Good(Cmd),
    /// A line ending in a bare LF.
    BareLf(String),
    /// Raw bytes with no structure at all (ending in CRLF).
    Junk(Vec<u8>),
}

fn lit() -> impl Strategy<Value = Lit> {
    // Literal data is drawn from bytes that look like protocol on purpose.
    let byte = prop_oneof![
        Just(b'\r'),
        Just(b'\n'),
        Just(b'{'),
        Just(b'}'),
        Just(b'+'),
        Just(b'~'),
        Just(b'0'),
        Just(b'7'),
        Just(b' '),
        any::<u8>()
    ];
    (
        prop::collection::vec(byte, 0..24),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(data, non_sync, binary)| Lit {
            data,
            non_sync,
            binary,
        })
}

fn cmd() -> impl Strategy<Value = Cmd> {
    (
        "[a-zA-Z0-9]{1,5}",
        "[A-Z]{1,8}( [a-z()\\\\\"]{0,12})?",
        prop::collection::vec((lit(), "( [a-z)]{0,8})?"), 0..4),
    )
        .prop_map(|(tag, head, parts)| Cmd { tag, head, parts })
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        6 => cmd().prop_map(Item::Good),
        1 => "[a-z0-9 ]{0,20}".prop_map(Item::BareLf),
        1 => prop::collection::vec(any::<u8>(), 0..60).prop_map(Item::Junk),
    ]
}

fn item_bytes(item: &Item) -> Vec<u8> {
    match item {
        Item::Good(cmd) => cmd.bytes(),
        Item::BareLf(text) => format!("{text}\n").into_bytes(),
        Item::Junk(bytes) => {
            let mut out = bytes.clone();
            out.extend(b"\r\n");
            out
        }
    }
}

/// Small limits, so that the random input also hits them.
fn limits() -> FramerLimits {
    FramerLimits {
        max_line: 40,
        max_sync_literal: 20,
        max_non_sync_literal: 22,
        max_frame: 120,
        max_literals: 3,
    }
}

/// Feeds `input` in chunks of the given sizes (cycled; whole if empty),
/// accepting every continuation, and returns all events.
fn run(role: Role, limits: FramerLimits, input: &[u8], sizes: &[usize]) -> Vec<FrameEvent> {
    let mut framer = Framer::new(role, limits);
    let mut events = Vec::new();
    let mut rest = input;
    let mut sizes = sizes.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        framer.push(chunk);
        while let Some(event) = framer.next() {
            if matches!(event, FrameEvent::NeedContinuation { .. }) {
                framer.accept_literal().unwrap();
            }
            events.push(event);
        }
        let held = framer.buffered() as u64;
        assert!(held <= limits.max_frame + n as u64, "{held} bytes held");
    }
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Well-formed commands within generous limits come out exactly as sent,
    /// each sync literal announced once, however the input is split.
    #[test]
    fn good_pipeline_is_framed_exactly(cmds in prop::collection::vec(cmd(), 1..8),
                                       sizes in prop::collection::vec(1usize..17, 1..8)) {
        let input: Vec<u8> = cmds.iter().flat_map(Cmd::bytes).collect();
        let limits = FramerLimits::default();
        let events = run(Role::Server, limits, &input, &[]);
        let frames: Vec<Vec<u8>> = events
            .iter()
            .filter_map(|e| match e {
                FrameEvent::Frame(f) => Some(f.to_vec()),
                FrameEvent::NeedContinuation { .. } => None,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        let expected: Vec<Vec<u8>> = cmds.iter().map(Cmd::bytes).collect();
        prop_assert_eq!(frames, expected);
        let sync = cmds.iter().flat_map(|c| &c.parts).filter(|(l, _)| !l.non_sync).count();
        prop_assert_eq!(events.len(), cmds.len() + sync);
        prop_assert_eq!(&run(Role::Server, limits, &input, &[1]), &events);
        prop_assert_eq!(&run(Role::Server, limits, &input, &sizes), &events);
    }

    /// Any pipeline, including broken lines and over-limit commands, yields
    /// the same events whole, byte by byte, and in random chunks, in both
    /// roles.
    #[test]
    fn chunking_never_changes_events(items in prop::collection::vec(item(), 1..10),
                                     sizes in prop::collection::vec(1usize..17, 1..8)) {
        let input: Vec<u8> = items.iter().flat_map(item_bytes).collect();
        for role in [Role::Server, Role::Client] {
            let whole = run(role, limits(), &input, &[]);
            prop_assert_eq!(&run(role, limits(), &input, &[1]), &whole);
            prop_assert_eq!(&run(role, limits(), &input, &sizes), &whole);
        }
    }

    /// The framer never keeps more than a frame's worth of input, and no
    /// frame exceeds the limits.
    #[test]
    fn frames_respect_the_limits(items in prop::collection::vec(item(), 1..10)) {
        let input: Vec<u8> = items.iter().flat_map(item_bytes).collect();
        for event in run(Role::Server, limits(), &input, &[1]) {
            if let FrameEvent::Frame(f) = event {
                prop_assert!(f.len() as u64 <= limits().max_frame);
                prop_assert!(f.ends_with(b"\r\n"));
            }
        }
    }
}
