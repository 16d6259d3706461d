//! The streaming framer, behaviour by behaviour: each test shows the bytes a
//! peer sends and the events the framer must report.

use hadron_proto::framing::{
    FrameError, FrameErrorKind, FrameEvent, Framer, FramerLimits, NoPendingLiteral, Role,
};
use hadron_proto::types::Tag;

fn server() -> Framer {
    Framer::new(Role::Server, FramerLimits::default())
}

fn tag(t: &str) -> Option<Tag<'static>> {
    Some(Tag::try_from(t.to_owned()).unwrap())
}

fn frame(bytes: &str) -> FrameEvent {
    FrameEvent::Frame(bytes::Bytes::copy_from_slice(bytes.as_bytes()))
}

fn error(t: Option<&str>, kind: FrameErrorKind) -> FrameEvent {
    FrameEvent::Error(FrameError {
        tag: t.and_then(tag),
        kind,
    })
}

/// All events available now, accepting every continuation.
fn drain_accepting(framer: &mut Framer) -> Vec<FrameEvent> {
    let mut events = Vec::new();
    while let Some(event) = framer.next() {
        if matches!(event, FrameEvent::NeedContinuation { .. }) {
            framer.accept_literal().unwrap();
        }
        events.push(event);
    }
    events
}

/// Pushes `input` one byte at a time, accepting every continuation.
fn bytewise(framer: &mut Framer, input: &[u8]) -> Vec<FrameEvent> {
    let mut events = Vec::new();
    for b in input {
        framer.push(std::slice::from_ref(b));
        events.extend(drain_accepting(framer));
    }
    events
}

fn need(t: &str, size: u64) -> FrameEvent {
    FrameEvent::NeedContinuation {
        tag: tag(t),
        size,
        binary: false,
    }
}

#[test]
fn pipelined_commands_in_one_chunk_are_framed_separately() {
    let mut f = server();
    f.push(b"a1 NOOP\r\na2 CAPABILITY\r\na3 SELECT INBOX\r\na4 LOG");
    assert_eq!(
        drain_accepting(&mut f),
        [
            frame("a1 NOOP\r\n"),
            frame("a2 CAPABILITY\r\n"),
            frame("a3 SELECT INBOX\r\n")
        ]
    );
    f.push(b"OUT\r\n");
    assert_eq!(drain_accepting(&mut f), [frame("a4 LOGOUT\r\n")]);
}

#[test]
fn sync_literal_waits_for_acceptance_then_spans_chunks() {
    let mut f = server();
    f.push(b"a1 LOGIN {3}\r");
    assert_eq!(f.next(), None);
    f.push(b"\n");
    assert_eq!(f.next(), Some(need("a1", 3)));
    // Undecided: nothing more, even with data buffered.
    f.push(b"jo");
    assert_eq!(f.next(), None);
    f.accept_literal().unwrap();
    assert_eq!(f.next(), None);
    f.push(b"e {6}\r");
    assert_eq!(f.next(), None);
    f.push(b"\nsecret\r\n");
    assert_eq!(f.next(), Some(need("a1", 6)));
    f.accept_literal().unwrap();
    assert_eq!(
        f.next(),
        Some(frame("a1 LOGIN {3}\r\njoe {6}\r\nsecret\r\n"))
    );
    assert_eq!(f.next(), None);
}

#[test]
fn literal_data_containing_crlf_and_braces_is_not_scanned() {
    let mut f = server();
    let cmd = "a APPEND x {13+}\r\nb NOOP\r\n{3}\r\n\r\n";
    f.push(cmd.as_bytes());
    assert_eq!(drain_accepting(&mut f), [frame(cmd)]);
}

#[test]
fn zero_length_literals_work_in_both_modes() {
    let mut f = server();
    f.push(b"a LOGIN {0}\r\n");
    assert_eq!(f.next(), Some(need("a", 0)));
    f.accept_literal().unwrap();
    assert_eq!(f.next(), None);
    f.push(b" {0+}\r\n\r\n");
    assert_eq!(f.next(), Some(frame("a LOGIN {0}\r\n {0+}\r\n\r\n")));
}

#[test]
fn non_sync_literal_needs_no_continuation() {
    let mut f = server();
    assert_eq!(
        bytewise(&mut f, b"a APPEND INBOX {5+}\r\nhello\r\nb NOOP\r\n"),
        [
            frame("a APPEND INBOX {5+}\r\nhello\r\n"),
            frame("b NOOP\r\n")
        ]
    );
}

#[test]
fn literal8_is_reported_as_binary() {
    let mut f = server();
    f.push(b"a APPEND INBOX ~{3}\r\n");
    assert_eq!(
        f.next(),
        Some(FrameEvent::NeedContinuation {
            tag: tag("a"),
            size: 3,
            binary: true
        })
    );
    f.accept_literal().unwrap();
    f.push(b"\0\x01\n\r\n");
    assert_eq!(
        f.next(),
        Some(FrameEvent::Frame(bytes::Bytes::from_static(
            b"a APPEND INBOX ~{3}\r\n\0\x01\n\r\n"
        )))
    );
    f.push(b"b APPEND INBOX ~{2+}\r\n\0\0\r\n");
    assert_eq!(
        f.next(),
        Some(FrameEvent::Frame(bytes::Bytes::from_static(
            b"b APPEND INBOX ~{2+}\r\n\0\0\r\n"
        )))
    );
}

#[test]
fn rejected_literal_drops_the_command_and_frames_the_next() {
    let mut f = server();
    f.push(b"a1 APPEND INBOX {100}\r\na2 NOOP\r\n");
    assert_eq!(f.next(), Some(need("a1", 100)));
    f.reject_literal().unwrap();
    assert_eq!(f.next(), Some(frame("a2 NOOP\r\n")));
    assert_eq!(f.next(), None);
}

#[test]
fn accept_or_reject_without_pending_literal_is_an_error() {
    let mut f = server();
    assert_eq!(f.accept_literal(), Err(NoPendingLiteral));
    assert_eq!(f.reject_literal(), Err(NoPendingLiteral));
}

#[test]
fn sync_literal_over_the_limit_is_refused_before_the_data() {
    let mut f = Framer::new(
        Role::Server,
        FramerLimits {
            max_sync_literal: 25 << 20,
            ..FramerLimits::default()
        },
    );
    f.push(b"a1 APPEND INBOX {41943040}\r\na2 NOOP\r\n");
    assert_eq!(
        f.next(),
        Some(FrameEvent::LiteralTooLarge {
            tag: tag("a1"),
            size: 40 << 20,
            limit: 25 << 20
        })
    );
    assert_eq!(f.next(), Some(frame("a2 NOOP\r\n")));
}

#[test]
fn huge_literal_number_saturates_and_is_refused() {
    let mut f = server();
    f.push(b"a1 APPEND INBOX {99999999999999999999}\r\na2 NOOP\r\n");
    assert_eq!(
        f.next(),
        Some(FrameEvent::LiteralTooLarge {
            tag: tag("a1"),
            size: u64::MAX,
            limit: 64 << 20
        })
    );
    assert_eq!(f.next(), Some(frame("a2 NOOP\r\n")));
}

#[test]
fn non_sync_literal_over_literal_minus_is_skipped_and_refused() {
    // RFC 7888 §5: a LITERAL- server refuses a `{n+}` over 4096 bytes; its
    // data is skipped, never read as commands, and the next command works.
    let mut input = b"a1 APPEND INBOX {5000+}\r\n".to_vec();
    let mut data = b"b1 DELETE INBOX\r\n".repeat(300);
    data.truncate(5000);
    input.extend_from_slice(&data);
    input.extend_from_slice(b" more {1+}\r\nx\r\na2 NOOP\r\n");
    let expected = [
        error(
            Some("a1"),
            FrameErrorKind::LiteralTooLarge {
                size: 5000,
                limit: 4096,
            },
        ),
        frame("a2 NOOP\r\n"),
    ];
    let mut whole = Framer::new(Role::Server, FramerLimits::literal_minus());
    whole.push(&input);
    assert_eq!(drain_accepting(&mut whole), expected);
    let mut f = Framer::new(Role::Server, FramerLimits::literal_minus());
    assert_eq!(bytewise(&mut f, &input), expected);
    assert!(!f.is_closed());
    if let FrameEvent::Error(e) = &expected[0] {
        assert_eq!(
            e.to_string(),
            "command a1: literal of 4.9 KiB exceeds the 4 KiB limit"
        );
    }
}

#[test]
fn non_sync_literal_over_the_sync_limit_too_is_fatal_and_its_bytes_never_framed() {
    let limits = FramerLimits {
        max_sync_literal: 8192,
        ..FramerLimits::literal_minus()
    };
    let mut f = Framer::new(Role::Server, limits);
    f.push(b"a1 APPEND INBOX {8193+}\r\nb1 DELETE INBOX\r\n");
    assert_eq!(
        f.next(),
        Some(FrameEvent::Fatal(FrameError {
            tag: tag("a1"),
            kind: FrameErrorKind::LiteralTooLarge {
                size: 8193,
                limit: 4096
            }
        }))
    );
    assert!(f.is_closed());
    assert_eq!(f.next(), None);
    f.push(b"b2 DELETE INBOX\r\n");
    assert_eq!(f.next(), None);
}

#[test]
fn new_limits_apply_to_the_next_command() {
    // A server moves from LITERAL- (before login) to LITERAL+ (after).
    let mut f = Framer::new(Role::Server, FramerLimits::literal_minus());
    let mut input = b"a1 APPEND INBOX {5000+}\r\n".to_vec();
    input.extend([b'x'; 5000]);
    input.extend_from_slice(b"\r\n");
    f.push(&input);
    assert!(matches!(f.next(), Some(FrameEvent::Error(_))));
    f.set_limits(FramerLimits::default());
    assert_eq!(f.limits(), &FramerLimits::default());
    f.push(&input);
    assert_eq!(f.next(), Some(FrameEvent::Frame(input.into())));
}

#[test]
fn literal_minus_admits_4096_bytes() {
    let mut f = Framer::new(Role::Server, FramerLimits::literal_minus());
    let mut cmd = b"a APPEND INBOX {4096+}\r\n".to_vec();
    cmd.extend(std::iter::repeat_n(b'x', 4096));
    cmd.extend_from_slice(b"\r\n");
    f.push(&cmd);
    assert_eq!(f.next(), Some(FrameEvent::Frame(cmd.into())));
}

#[test]
fn too_long_line_is_skipped_and_the_next_command_kept() {
    let limits = FramerLimits {
        max_line: 16,
        ..FramerLimits::default()
    };
    let long = "a1 SELECT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\na2 NOOP\r\n";
    let expected = [
        error(Some("a1"), FrameErrorKind::LineTooLong { limit: 16 }),
        frame("a2 NOOP\r\n"),
    ];
    let mut whole = Framer::new(Role::Server, limits);
    whole.push(long.as_bytes());
    assert_eq!(drain_accepting(&mut whole), expected);
    let mut f = Framer::new(Role::Server, limits);
    assert_eq!(bytewise(&mut f, long.as_bytes()), expected);
}

#[test]
fn line_at_exactly_the_limit_is_accepted() {
    let limits = FramerLimits {
        max_line: 7,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Server, limits);
    assert_eq!(
        bytewise(&mut f, b"a1 NOOP\r\na2 NOOPS\r\n"),
        [
            frame("a1 NOOP\r\n"),
            error(Some("a2"), FrameErrorKind::LineTooLong { limit: 7 })
        ]
    );
}

#[test]
fn too_long_line_is_not_buffered_while_waiting_for_crlf() {
    let limits = FramerLimits {
        max_line: 1024,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Server, limits);
    f.push(b"a1 SEARCH ");
    for _ in 0..10_000 {
        f.push(&[b'x'; 100]);
        assert_eq!(f.next(), None);
        assert!(f.buffered() <= 1024 + 100, "{} bytes held", f.buffered());
    }
    f.push(b"\r\na2 NOOP\r\n");
    assert_eq!(
        drain_accepting(&mut f),
        [
            error(Some("a1"), FrameErrorKind::LineTooLong { limit: 1024 }),
            frame("a2 NOOP\r\n")
        ]
    );
}

#[test]
fn too_long_line_ending_in_non_sync_literal_skips_the_literal_data() {
    let limits = FramerLimits {
        max_line: 16,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Server, limits);
    let input = b"a1 APPEND a-very-long-mailbox-name {11+}\r\nb1 DELETE\r\n more\r\na2 NOOP\r\n";
    assert_eq!(
        bytewise(&mut f, input),
        [
            error(Some("a1"), FrameErrorKind::LineTooLong { limit: 16 }),
            frame("a2 NOOP\r\n")
        ]
    );
}

#[test]
fn bare_lf_is_rejected_and_ends_the_line() {
    let mut f = server();
    f.push(b"a1 NOOP\na2 NOOP\r\n");
    let events = drain_accepting(&mut f);
    assert_eq!(
        events,
        [
            error(Some("a1"), FrameErrorKind::BareLf),
            frame("a2 NOOP\r\n")
        ]
    );
    if let FrameEvent::Error(e) = &events[0] {
        assert_eq!(
            e.to_string(),
            "command a1: line ends in a bare LF; IMAP lines must end in CRLF"
        );
    }
}

#[test]
fn bare_lf_inside_literal_data_is_data() {
    let mut f = server();
    f.push(b"a APPEND INBOX {3+}\r\na\nb\r\n");
    assert_eq!(f.next(), Some(frame("a APPEND INBOX {3+}\r\na\nb\r\n")));
}

#[test]
fn error_without_a_readable_tag_has_none() {
    let mut f = server();
    f.push(b"* NOOP\n+x\nabc\n");
    assert_eq!(
        drain_accepting(&mut f),
        [
            error(None, FrameErrorKind::BareLf),
            error(None, FrameErrorKind::BareLf),
            error(None, FrameErrorKind::BareLf)
        ]
    );
}

#[test]
fn too_many_literals_skips_the_command() {
    let limits = FramerLimits {
        max_literals: 2,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Server, limits);
    let input = b"a1 X {1+}\r\na {1+}\r\nb {1+}\r\nc {1+}\r\nd\r\na2 NOOP\r\n";
    assert_eq!(
        bytewise(&mut f, input),
        [
            error(Some("a1"), FrameErrorKind::TooManyLiterals { limit: 2 }),
            frame("a2 NOOP\r\n")
        ]
    );
}

#[test]
fn a_multiappend_of_thousands_of_messages_is_one_frame_by_default() {
    // Migration tools append hundreds of messages per command: the
    // default limits bound a command by bytes, not by its literal count.
    let mut f = server();
    let mut input = b"a1 APPEND INBOX".to_vec();
    for i in 0..2000 {
        let body = format!("Subject: {i}\r\n\r\nbody {i}\r\n");
        input.extend_from_slice(format!(" {{{}+}}\r\n{body}", body.len()).as_bytes());
    }
    input.extend_from_slice(b"\r\n");
    f.push(&input);
    let events = drain_accepting(&mut f);
    assert_eq!(events.len(), 1, "{:?}", &events[..events.len().min(3)]);
    assert!(matches!(&events[0], FrameEvent::Frame(b) if b.len() == input.len()));
}

#[test]
fn too_many_sync_literals_end_the_command_at_once() {
    let limits = FramerLimits {
        max_literals: 1,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Server, limits);
    assert_eq!(
        bytewise(&mut f, b"a1 LOGIN {1}\r\nx {1}\r\na2 NOOP\r\n"),
        [
            need("a1", 1),
            error(Some("a1"), FrameErrorKind::TooManyLiterals { limit: 1 }),
            frame("a2 NOOP\r\n")
        ]
    );
}

#[test]
fn frame_size_limit_counts_literal_data() {
    let limits = FramerLimits {
        max_frame: 40,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Server, limits);
    // Sync: refused before the data is sent.
    f.push(b"a1 APPEND INBOX {30}\r\n");
    assert_eq!(
        f.next(),
        Some(error(
            Some("a1"),
            FrameErrorKind::FrameTooLarge { limit: 40 }
        ))
    );
    // Non-sync: the data is skipped, then the error reported.
    let mut input = b"a2 APPEND INBOX {30+}\r\n".to_vec();
    input.extend([b'\n'; 30]);
    input.extend_from_slice(b"\r\na3 NOOP\r\n");
    assert_eq!(
        bytewise(&mut f, &input),
        [
            error(Some("a2"), FrameErrorKind::FrameTooLarge { limit: 40 }),
            frame("a3 NOOP\r\n")
        ]
    );
}

#[test]
fn one_byte_at_a_time_matches_whole_input() {
    let input: &[u8] =
        b"a1 LOGIN {3}\r\njoe {0}\r\n\r\na2 APPEND INBOX (\\Seen) ~{4+}\r\n\0\r\n\n\r\na3 NOOP\r\n";
    let mut whole = server();
    whole.push(input);
    let expected = drain_accepting(&mut whole);
    assert_eq!(expected.len(), 5);
    assert_eq!(bytewise(&mut server(), input), expected);
}

#[test]
fn client_role_reads_fetch_literals_without_continuations() {
    let mut f = Framer::new(Role::Client, FramerLimits::default());
    let input = b"* 1 FETCH (UID 7 BODY[] {11}\r\nhello\r\nworld FLAGS (\\Seen))\r\n\
+ Ready for {5}\r\n\
* 2 FETCH (BODY[HEADER] {0}\r\n)\r\n\
a1 OK FETCH done\r\n";
    assert_eq!(
        bytewise(&mut f, input),
        [
            frame("* 1 FETCH (UID 7 BODY[] {11}\r\nhello\r\nworld FLAGS (\\Seen))\r\n"),
            frame("+ Ready for {5}\r\n"),
            frame("* 2 FETCH (BODY[HEADER] {0}\r\n)\r\n"),
            frame("a1 OK FETCH done\r\n"),
        ]
    );
}

#[test]
fn client_role_literal_over_the_limit_is_fatal() {
    let limits = FramerLimits {
        max_sync_literal: 10,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Client, limits);
    f.push(b"* 1 FETCH (BODY[] {11}\r\n");
    assert_eq!(
        f.next(),
        Some(FrameEvent::Fatal(FrameError {
            tag: None,
            kind: FrameErrorKind::LiteralTooLarge {
                size: 11,
                limit: 10
            }
        }))
    );
    assert!(f.is_closed());
}

#[test]
fn error_messages_name_the_limit() {
    let e = FrameError {
        tag: tag("a7"),
        kind: FrameErrorKind::LineTooLong { limit: 64 * 1024 },
    };
    assert_eq!(
        e.to_string(),
        "command a7: line longer than the 64 KiB limit"
    );
    let e = FrameErrorKind::LiteralTooLarge {
        size: 40 << 20,
        limit: 25 << 20,
    };
    assert_eq!(e.to_string(), "literal of 40 MiB exceeds the 25 MiB limit");
}

#[test]
fn default_limits_are_documented_values() {
    let l = FramerLimits::default();
    assert_eq!(l.max_line, 65_536);
    assert_eq!(l.max_sync_literal, 64 << 20);
    assert_eq!(l.max_non_sync_literal, 64 << 20);
    assert_eq!(FramerLimits::literal_minus().max_non_sync_literal, 4096);
}

/// Found by `chunking_never_changes_events`: a long line ending in a bare LF
/// used to be `BareLf` when whole and `LineTooLong` when split.
#[test]
fn verdict_on_a_bad_line_does_not_depend_on_chunking() {
    let limits = |max_frame| FramerLimits {
        max_line: 12,
        max_frame,
        ..FramerLimits::default()
    };
    let line_too_long = FrameErrorKind::LineTooLong { limit: 12 };
    let cases: [(&[u8], u64, FrameErrorKind); 4] = [
        (b"a1 SEARCH ALL\n", 40, line_too_long.clone()),
        (
            b"a1 X {1+}\r\nyz1234567890\r\n",
            24,
            FrameErrorKind::FrameTooLarge { limit: 24 },
        ),
        (
            b"a1 X {1+}\r\nyz1234567890abc\r\n",
            24,
            FrameErrorKind::FrameTooLarge { limit: 24 },
        ),
        (b"a1 X {1+}\r\nyz1234567890abc\r\n", 40, line_too_long),
    ];
    for (input, max_frame, kind) in cases {
        let mut whole = Framer::new(Role::Server, limits(max_frame));
        whole.push(input);
        let expected = [FrameEvent::Error(FrameError {
            tag: tag("a1"),
            kind,
        })];
        assert_eq!(drain_accepting(&mut whole), expected, "{input:?}");
        let mut split = Framer::new(Role::Server, limits(max_frame));
        assert_eq!(bytewise(&mut split, input), expected, "{input:?}");
    }
    // One byte less of line text and the frame fits.
    let mut f = Framer::new(Role::Server, limits(24));
    assert_eq!(
        bytewise(&mut f, b"a1 X {1+}\r\nyz123456789\r\n"),
        [frame("a1 X {1+}\r\nyz123456789\r\n")]
    );
}

#[test]
fn huge_non_sync_literal_number_is_fatal() {
    let mut f = server();
    f.push(b"a1 APPEND INBOX {99999999999999999999+}\r\na2 NOOP\r\n");
    assert_eq!(
        f.next(),
        Some(FrameEvent::Fatal(FrameError {
            tag: tag("a1"),
            kind: FrameErrorKind::LiteralTooLarge {
                size: u64::MAX,
                limit: 64 << 20
            }
        }))
    );
    assert_eq!(f.next(), None);
}

#[test]
fn too_long_line_ending_in_sync_literal_is_reported_at_once() {
    // The client waits for `+` before sending the data, so the command ends
    // at this line and the caller can answer immediately.
    let limits = FramerLimits {
        max_line: 16,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Server, limits);
    assert_eq!(
        bytewise(
            &mut f,
            b"a1 APPEND a-very-long-mailbox-name {10}\r\na2 NOOP\r\n"
        ),
        [
            error(Some("a1"), FrameErrorKind::LineTooLong { limit: 16 }),
            frame("a2 NOOP\r\n")
        ]
    );
}

#[test]
fn discarded_line_with_an_endless_digit_run_is_taken_as_a_huge_literal() {
    // The `{` scrolled out of the kept tail: assume the worst rather than
    // read what may be literal data as commands.
    let limits = FramerLimits {
        max_line: 16,
        ..FramerLimits::default()
    };
    let mut f = Framer::new(Role::Server, limits);
    let mut input = b"a1 X {".to_vec();
    input.extend([b'9'; 100]);
    input.extend_from_slice(b"+}\r\na2 NOOP\r\n");
    f.push(&input);
    assert_eq!(
        f.next(),
        Some(FrameEvent::Fatal(FrameError {
            tag: tag("a1"),
            kind: FrameErrorKind::LiteralTooLarge {
                size: u64::MAX,
                limit: 64 << 20
            }
        }))
    );
}

#[test]
fn client_role_status_text_ending_in_braces_is_text() {
    let mut f = Framer::new(Role::Client, FramerLimits::default());
    let input = b"* OK [ALERT] quota at {95}\r\n\
a1 NO [BADCHARSET ({5}\r\nUTF-8)] try {5}\r\n\
a2 OK done\r\n";
    assert_eq!(
        bytewise(&mut f, input),
        [
            frame("* OK [ALERT] quota at {95}\r\n"),
            frame("a1 NO [BADCHARSET ({5}\r\nUTF-8)] try {5}\r\n"),
            frame("a2 OK done\r\n"),
        ]
    );
}

#[test]
fn unframed_input_is_taken_whole() {
    let mut f = server();
    f.push(b"a1 COMPRESS DEFLATE\r\n\x02\x03a2 NO");
    assert_eq!(f.next(), Some(frame("a1 COMPRESS DEFLATE\r\n")));
    assert_eq!(f.next(), None);
    assert_eq!(&f.take_unframed()[..], b"\x02\x03a2 NO");
    assert_eq!(f.buffered(), 0);
    f.push(b"a3 NOOP\r\n");
    assert_eq!(f.next(), Some(frame("a3 NOOP\r\n")));
}
