//! Encoder rules for responses: exact wire strings for values built in code,
//! the choice of atom / quoted / literal, NIL versus `()`, and streamed
//! literals.

use std::borrow::Cow;
use std::num::NonZeroU32;

use hadron_proto::encode::{ResponseWriter, Step};
use hadron_proto::types::{
    Address, BinaryData, BodyData, BodyFields, BodyStructure, Code, Continue, Data, Envelope,
    FetchItem, Greeting, GreetingKind, IString, ListData, Mailbox, NString, ObjectId, OtherCode,
    RespText, Response, Section, SinglePartExt, SinglePartKind, Status, StatusItem, StatusKind,
    StatusValue, Tag, Text, UidSet,
};
use hadron_proto::{encode, parse};

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn enc(resp: &Response<'_>) -> String {
    let mut out = Vec::new();
    encode::response(resp, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn ns(s: &str) -> NString<'_> {
    NString(Some(IString::try_from(s.as_bytes()).unwrap()))
}

fn fetch(items: Vec<FetchItem<'_>>) -> Response<'_> {
    Response::Data(Data::Fetch { seq: nz(1), items })
}

#[test]
fn tagged_status_with_code() {
    let r = Response::Status(Status::Tagged {
        tag: Tag::try_from("A003").unwrap(),
        kind: StatusKind::Ok,
        text: RespText::with_code(
            Code::AppendUid {
                uid_validity: nz(38505),
                uids: UidSet::single(nz(3955)),
            },
            "APPEND completed",
        ),
    });
    assert_eq!(
        enc(&r),
        "A003 OK [APPENDUID 38505 3955] APPEND completed\r\n"
    );
}

#[test]
fn empty_text_writes_no_trailing_space() {
    let r = Response::Status(Status::Tagged {
        tag: Tag::try_from("a1").unwrap(),
        kind: StatusKind::No,
        text: RespText::new(None, Text::try_from("").unwrap()).unwrap(),
    });
    assert_eq!(enc(&r), "a1 NO\r\n");
    let r = Response::Status(Status::Untagged {
        kind: StatusKind::Ok,
        text: RespText::new(Some(Code::Closed), Text::try_from("").unwrap()).unwrap(),
    });
    assert_eq!(enc(&r), "* OK [CLOSED]\r\n");
}

#[test]
fn text_without_code_may_not_look_like_a_code() {
    assert!(RespText::new(None, Text::try_from("[oops] x").unwrap()).is_err());
}

#[test]
fn other_codes_cannot_shadow_known_ones() {
    let name = |s: &'static str| hadron_proto::types::Atom::try_from(s).unwrap();
    assert!(OtherCode::new(name("alert"), None).is_err());
    assert!(OtherCode::new(name("XFOO"), Some(Text::try_from("a]b").unwrap())).is_err());
    assert!(OtherCode::new(name("XFOO"), Some(Text::try_from("ok").unwrap())).is_ok());
    let text = Some(Text::try_from("(F1)").unwrap());
    assert!(OtherCode::new(name("MailboxId"), text).is_err());
}

#[test]
fn greeting_kinds() {
    let mut out = Vec::new();
    let g = Greeting {
        kind: GreetingKind::PreAuth,
        text: RespText::plain("logged in as Smith"),
    };
    encode::greeting(&g, &mut out);
    assert_eq!(out, b"* PREAUTH logged in as Smith\r\n");
    out.clear();
    let g = Greeting {
        kind: GreetingKind::Bye,
        text: RespText::with_code(Code::Unavailable, "try later"),
    };
    encode::greeting(&g, &mut out);
    assert_eq!(out, b"* BYE [UNAVAILABLE] try later\r\n");
    assert_eq!(parse::greeting(&out).unwrap(), g);
}

#[test]
fn empty_fetch_flags_is_an_empty_list() {
    assert_eq!(
        enc(&fetch(vec![FetchItem::Flags(vec![])])),
        "* 1 FETCH (FLAGS ())\r\n"
    );
}

#[test]
fn nil_versus_the_string_nil() {
    let env = Envelope {
        subject: ns("NIL"),
        ..Envelope::default()
    };
    let r = fetch(vec![FetchItem::Envelope(Box::new(env))]);
    let wire = enc(&r);
    assert_eq!(
        wire,
        "* 1 FETCH (ENVELOPE (NIL \"NIL\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"
    );
    assert_eq!(parse::response(wire.as_bytes()).unwrap(), r);
}

#[test]
fn empty_address_lists_are_nil_never_empty_parens() {
    let env = Envelope {
        from: vec![Address {
            name: NString::NIL,
            adl: NString::NIL,
            mailbox: ns("a"),
            host: ns("b.example"),
        }],
        ..Envelope::default()
    };
    let wire = enc(&fetch(vec![FetchItem::Envelope(Box::new(env))]));
    assert_eq!(
        wire,
        "* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"a\" \"b.example\")) NIL NIL NIL NIL NIL NIL NIL))\r\n"
    );
    assert!(!wire.contains("()"));
}

#[test]
fn group_syntax_addresses() {
    let wire = "* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL \"undisclosed\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL))\r\n";
    let r = parse::response(wire.as_bytes()).unwrap();
    assert_eq!(enc(&r), wire);
}

fn text_part(params: Vec<(IString<'static>, IString<'static>)>) -> BodyStructure<'static> {
    BodyStructure::Single {
        kind: SinglePartKind::Text {
            subtype: IString::try_from("PLAIN").unwrap(),
            lines: 1,
        },
        fields: BodyFields {
            params,
            id: NString::NIL,
            description: NString::NIL,
            encoding: IString::try_from("7BIT").unwrap(),
            octets: 3,
        },
        ext: Some(SinglePartExt::default()),
    }
}

#[test]
fn empty_body_parameters_are_nil_never_empty_parens() {
    let r = fetch(vec![FetchItem::BodyStructure(Box::new(text_part(vec![])))]);
    assert_eq!(
        enc(&r),
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 3 1 NIL NIL NIL NIL))\r\n"
    );
    // `()` from a sloppy server is read as empty and written as NIL.
    let sloppy = "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" () NIL NIL \"7BIT\" 3 1 NIL NIL NIL NIL))\r\n";
    assert_eq!(parse::response(sloppy.as_bytes()).unwrap(), r);
}

#[test]
fn strings_pick_their_form_by_content() {
    let subject = |s: &'static [u8]| {
        let env = Envelope {
            subject: NString(Some(IString::try_from(s).unwrap())),
            ..Envelope::default()
        };
        let r = fetch(vec![FetchItem::Envelope(Box::new(env))]);
        let wire = enc(&r);
        assert_eq!(parse::response(wire.as_bytes()).unwrap(), r, "{wire}");
        wire
    };
    // CRLF forces a literal.
    assert!(subject(b"two\r\nlines").contains("{10}\r\ntwo\r\nlines"));
    // 8-bit forces a literal.
    assert!(subject("caf\u{e9}".as_bytes()).contains("{5}\r\ncaf\u{e9}"));
    // Quotes and backslashes are escaped, nothing else.
    assert!(subject(br#"say "hi" \o/ 100%"#).contains(r#""say \"hi\" \\o/ 100%""#));
    // The empty string is quoted.
    assert!(subject(b"").contains("(NIL \"\" NIL"));
}

#[test]
fn zero_length_literal_is_accepted() {
    let r = parse::response(b"* 1 FETCH (BODY[] {0}\r\n)\r\n").unwrap();
    assert_eq!(
        r,
        fetch(vec![FetchItem::BodySection {
            section: Section::Full,
            origin: None,
            data: BodyData::Inline(ns("")),
        }])
    );
    let r =
        parse::response(b"* 1 FETCH (ENVELOPE (NIL {0}\r\n NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn binary_with_nul_is_a_literal8() {
    let r = fetch(vec![FetchItem::Binary {
        part: vec![nz(1)],
        origin: None,
        data: BinaryData::Bytes(Cow::Borrowed(b"a\0b")),
    }]);
    assert_eq!(enc(&r), "* 1 FETCH (BINARY[1] ~{3}\r\na\0b)\r\n");
}

#[test]
fn binary_without_nul_is_a_string_and_a_partial_names_its_origin() {
    let r = fetch(vec![FetchItem::Binary {
        part: vec![nz(2), nz(1)],
        origin: Some(10),
        data: BinaryData::Bytes(Cow::Borrowed(b"a\r\nb")),
    }]);
    assert_eq!(enc(&r), "* 1 FETCH (BINARY[2.1]<10> {4}\r\na\r\nb)\r\n");
    assert_eq!(parse::response(enc(&r).as_bytes()).unwrap(), r);
    let r = fetch(vec![FetchItem::Binary {
        part: vec![],
        origin: None,
        data: BinaryData::Deferred {
            len: 3,
            literal8: false,
        },
    }]);
    let mut w = ResponseWriter::new(&r);
    let mut out = Vec::new();
    assert_eq!(w.write(&mut out), Step::Literal { len: 3 });
    assert_eq!(out, b"* 1 FETCH (BINARY[] {3}\r\n");
}

#[test]
fn mailbox_names_go_out_in_modified_utf7() {
    let r = Response::Data(Data::List(ListData {
        attributes: vec![],
        delimiter: Some(hadron_proto::types::Delimiter::new('/').unwrap()),
        mailbox: Mailbox::new("Entwürfe").unwrap(),
        extended: vec![],
    }));
    assert_eq!(enc(&r), "* LIST () \"/\" Entw&APw-rfe\r\n");
}

#[test]
fn base64_continuation() {
    let r = Response::Continue(Continue::Base64(Cow::Borrowed(b"\x00\x01\xff")));
    assert_eq!(enc(&r), "+ AAH/\r\n");
    let r = Response::Continue(Continue::Base64(Cow::Borrowed(b"ab")));
    assert_eq!(enc(&r), "+ YWI=\r\n");
    assert_eq!(parse::response(b"+ YWI=\r\n").unwrap(), r);
}

#[test]
fn streamed_literals_resume_after_each_deferred_item() {
    let r = fetch(vec![
        FetchItem::Uid(nz(9)),
        FetchItem::BodySection {
            section: Section::Text(None),
            origin: Some(100),
            data: BodyData::Deferred { len: 5 },
        },
        FetchItem::Binary {
            part: vec![nz(2)],
            origin: None,
            data: BinaryData::Deferred {
                len: 2,
                literal8: true,
            },
        },
    ]);
    let mut w = ResponseWriter::new(&r);
    let mut out = Vec::new();
    assert_eq!(w.write(&mut out), Step::Literal { len: 5 });
    assert_eq!(out, b"* 1 FETCH (UID 9 BODY[TEXT]<100> {5}\r\n");
    out.extend_from_slice(b"hello");
    assert_eq!(w.write(&mut out), Step::Literal { len: 2 });
    out.extend_from_slice(b"\0\x01");
    assert_eq!(w.write(&mut out), Step::Done);
    assert_eq!(w.write(&mut out), Step::Done);
    assert_eq!(
        out,
        b"* 1 FETCH (UID 9 BODY[TEXT]<100> {5}\r\nhello BINARY[2] ~{2}\r\n\0\x01)\r\n"
    );
    // What the writer produced is a valid response.
    let parsed = parse::response(&out).unwrap();
    let Response::Data(Data::Fetch { items, .. }) = parsed else {
        panic!()
    };
    assert_eq!(
        items[1],
        FetchItem::BodySection {
            section: Section::Text(None),
            origin: Some(100),
            data: BodyData::Inline(ns("hello")),
        }
    );
}

#[test]
fn writer_handles_non_fetch_responses_in_one_step() {
    let r = Response::Data(Data::Exists(3));
    let mut w = ResponseWriter::new(&r);
    let mut out = Vec::new();
    assert_eq!(w.write(&mut out), Step::Done);
    assert_eq!(out, b"* 3 EXISTS\r\n");
}

#[test]
fn encoder_appends_without_clearing() {
    let mut out = b"prefix".to_vec();
    encode::response(&Response::Data(Data::Recent(1)), &mut out);
    assert_eq!(out, b"prefix* 1 RECENT\r\n");
}

#[test]
fn rfc822_items_stream_like_body_sections() {
    let r = fetch(vec![
        FetchItem::Rfc822(BodyData::Deferred { len: 3 }),
        FetchItem::Rfc822Size(3),
    ]);
    let mut w = ResponseWriter::new(&r);
    let mut out = Vec::new();
    assert_eq!(w.write(&mut out), Step::Literal { len: 3 });
    out.extend_from_slice(b"a\r\n");
    assert_eq!(w.write(&mut out), Step::Done);
    assert_eq!(out, b"* 1 FETCH (RFC822 {3}\r\na\r\n RFC822.SIZE 3)\r\n");
    assert!(parse::response(&out).is_ok());
}

#[test]
fn objectid_items_built_in_code() {
    let id = |s: &'static str| ObjectId::try_from(s).unwrap();
    let r = Response::Status(Status::Tagged {
        tag: Tag::try_from("3").unwrap(),
        kind: StatusKind::Ok,
        text: RespText::with_code(
            Code::MailboxId(id("F2212ea87-6097-4256-9d51-71338625")),
            "Completed",
        ),
    });
    assert_eq!(
        enc(&r),
        "3 OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Completed\r\n"
    );
    let r = fetch(vec![
        FetchItem::Uid(nz(7)),
        FetchItem::EmailId(id("M6d99ac3275bb4e")),
        FetchItem::ThreadId(Some(id("T64b478a75b7ea9"))),
    ]);
    assert_eq!(
        enc(&r),
        "* 1 FETCH (UID 7 EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9))\r\n"
    );
    // The streaming writer takes the same path.
    let mut w = ResponseWriter::new(&r);
    let mut out = Vec::new();
    assert_eq!(w.write(&mut out), Step::Done);
    assert_eq!(String::from_utf8_lossy(&out), enc(&r));
    assert_eq!(
        enc(&fetch(vec![FetchItem::ThreadId(None)])),
        "* 1 FETCH (THREADID NIL)\r\n"
    );
    let status = |items| {
        Response::Data(Data::Status {
            mailbox: Mailbox::new("foo").unwrap(),
            items,
        })
    };
    assert_eq!(
        enc(&status(vec![
            (StatusItem::Messages, 2).into(),
            id("F2212ea87-6097-4256-9d51-71338625").into(),
        ])),
        "* STATUS foo (MESSAGES 2 MAILBOXID (F2212ea87-6097-4256-9d51-71338625))\r\n"
    );
    // MAILBOXID has no number: such an entry is left out, never written
    // as `MAILBOXID 5`.
    assert_eq!(
        enc(&status(vec![
            StatusValue::Number(StatusItem::MailboxId, 5),
            StatusValue::Number(StatusItem::Unseen, 0),
        ])),
        "* STATUS foo (UNSEEN 0)\r\n"
    );
    let only = status(vec![StatusValue::Number(StatusItem::MailboxId, 5)]);
    assert_eq!(enc(&only), "* STATUS foo ()\r\n");
    assert!(parse::response(enc(&only).as_bytes()).is_ok());
}
