//! What the response parser refuses, and how it says so.

use hadron_proto::parse;
use hadron_proto::types::{Code, Data, Response, Status};

fn err(wire: &[u8]) -> String {
    match parse::response(wire) {
        Ok(r) => panic!("{:?} parsed as {r:?}", String::from_utf8_lossy(wire)),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_response_must_end_with_crlf() {
    assert!(err(b"* 3 EXISTS").contains("CRLF"));
    assert!(err(b"* 3 EXISTS\n").contains("CRLF"));
}

#[test]
fn nothing_may_follow_the_response() {
    let e = err(b"* 3 EXISTS\r\n* 4 EXISTS\r\n");
    assert!(e.contains("at byte 12"), "{e}");
    assert!(e.contains("after the end"), "{e}");
}

#[test]
fn quoted_strings_may_not_hold_8bit() {
    let e = err(
        "* 1 FETCH (ENVELOPE (NIL \"caf\u{e9}\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n".as_bytes(),
    );
    assert!(e.contains("literal"), "{e}");
}

#[test]
fn literals_must_be_as_long_as_announced() {
    let e = err(b"* 1 FETCH (BODY[] {10}\r\nshort)\r\n");
    assert!(e.contains("literal"), "{e}");
}

#[test]
fn numbers_are_range_checked() {
    assert!(parse::response(b"* 4294967296 EXISTS\r\n").is_err());
    assert!(parse::response(b"* 1 FETCH (UID 0)\r\n").is_err());
    assert!(parse::response(b"* OK [UIDNEXT 0] x\r\n").is_err());
    assert!(parse::response(b"* OK [HIGHESTMODSEQ 9223372036854775808] x\r\n").is_err());
}

#[test]
fn unknown_untagged_and_fetch_items_are_errors() {
    assert!(err(b"* FROB x\r\n").contains("untagged"));
    assert!(err(b"* 1 FETCH (FROB 1)\r\n").contains("FETCH data item"));
    assert!(parse::response(b"* 1 FROB\r\n").is_err());
}

#[test]
fn names_that_are_not_modified_utf7_are_kept_raw() {
    // Servers with legacy names send them; a client keeps them as sent.
    let r = parse::response(b"* LIST () \"/\" &Jjo\r\n").expect("parses");
    let hadron_proto::types::Response::Data(hadron_proto::types::Data::List(l)) = r else {
        panic!("{r:?}")
    };
    assert!(l.mailbox.is_raw());
    assert_eq!(l.mailbox.to_wire(), "&Jjo");
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(
        parse::response(b"* 3 exists\r\n").unwrap(),
        Response::Data(Data::Exists(3))
    );
    let r = parse::response(b"a1 ok [read-only] done\r\n").unwrap();
    let Response::Status(Status::Tagged { text, .. }) = r else {
        panic!()
    };
    assert_eq!(text.code(), Some(&Code::ReadOnly));
}

#[test]
fn bracketed_text_that_is_no_code_stays_text() {
    let r = parse::response(b"* OK [unterminated text\r\n").unwrap();
    let Response::Status(Status::Untagged { text, .. }) = r else {
        panic!()
    };
    assert!(text.code().is_none());
    assert_eq!(text.text().as_str(), "[unterminated text");
}

#[test]
fn preauth_is_only_a_greeting() {
    assert!(parse::response(b"* PREAUTH hi\r\n").is_err());
    assert!(parse::greeting(b"* PREAUTH hi\r\n").is_ok());
    assert!(parse::greeting(b"* NO hi\r\n").is_err());
}

#[test]
fn parsed_values_borrow_and_detach() {
    let wire = b"* 1 FETCH (BODY[] \"abc\")\r\n".to_vec();
    let r = parse::response(&wire).unwrap().into_static();
    drop(wire);
    assert!(matches!(r, Response::Data(Data::Fetch { .. })));
}

fn nested_body(depth: usize) -> String {
    let mut body = String::from("(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)");
    for _ in 0..depth {
        body = format!("({body} \"MIXED\")");
    }
    format!("* 1 FETCH (BODYSTRUCTURE {body})\r\n")
}

#[test]
fn nesting_is_bounded_without_overflowing_the_stack() {
    assert!(parse::response(nested_body(50).as_bytes()).is_ok());
    let e = parse::response(nested_body(100).as_bytes()).unwrap_err();
    assert!(e.to_string().contains("nesting deeper"), "{e}");
    let hostile = format!("* 1 FETCH (BODY {})\r\n", "(".repeat(100_000));
    assert!(parse::response(hostile.as_bytes()).is_err());
    let ext = format!(
        "* 1 FETCH (BODYSTRUCTURE (\"A\" \"B\" NIL NIL NIL \"7BIT\" 1 NIL NIL NIL NIL {}1{}))\r\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(parse::response(ext.as_bytes()).is_err());
}
