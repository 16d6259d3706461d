//! Server responses from RFC 3501 (§7 examples and the §8 sample session),
//! RFC 5530, RFC 4315, RFC 7162 and the other extension RFCs: each parses to
//! the expected value and encodes back to the same bytes.

use std::num::NonZeroU32;

use hadron_proto::types::{
    Address, BodyData, BodyStructure, Capability, Code, Continue, Data, Date, DateTime,
    ESearchItem, FetchItem, Flag, FlagFetch, FlagPerm, GreetingKind, IString, ListAttribute,
    ListExtended, NString, ObjectId, Response, Section, SinglePartKind, Status, StatusItem,
    StatusKind, StatusValue, Thread,
};
use hadron_proto::{encode, parse};

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

/// Parses `wire`, checks that encoding gives back exactly `wire`, and returns
/// the value.
fn exact(wire: &str) -> Response<'static> {
    let resp = parse::response(wire.as_bytes())
        .unwrap_or_else(|e| panic!("{wire:?}: {e}"))
        .into_static();
    let mut out = Vec::new();
    encode::response(&resp, &mut out);
    assert_eq!(String::from_utf8_lossy(&out), wire);
    resp
}

/// Parses `wire` and checks that it encodes as `canonical` (which parses to
/// the same value).
fn canonical(wire: &str, canonical: &str) -> Response<'static> {
    let resp = parse::response(wire.as_bytes())
        .unwrap_or_else(|e| panic!("{wire:?}: {e}"))
        .into_static();
    let mut out = Vec::new();
    encode::response(&resp, &mut out);
    assert_eq!(String::from_utf8_lossy(&out), canonical);
    assert_eq!(parse::response(&out).unwrap(), resp);
    resp
}

fn code_of(resp: &Response<'_>) -> Code<'static> {
    match resp {
        Response::Status(
            Status::Tagged { text, .. } | Status::Untagged { text, .. } | Status::Bye(text),
        ) => text.code().cloned().expect("a code").into_static(),
        other => panic!("not a status: {other:?}"),
    }
}

#[test]
fn rfc3501_section8_sample_session_server_lines() {
    let g = parse::greeting(b"* OK IMAP4rev1 Service Ready\r\n").unwrap();
    assert_eq!(g.kind, GreetingKind::Ok);
    assert_eq!(g.text.text().as_str(), "IMAP4rev1 Service Ready");
    let mut out = Vec::new();
    encode::greeting(&g, &mut out);
    assert_eq!(out, b"* OK IMAP4rev1 Service Ready\r\n");

    assert!(matches!(
        exact("a001 OK LOGIN completed\r\n"),
        Response::Status(Status::Tagged {
            kind: StatusKind::Ok,
            ..
        })
    ));
    assert_eq!(exact("* 18 EXISTS\r\n"), Response::Data(Data::Exists(18)));
    assert_eq!(
        exact("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"),
        Response::Data(Data::Flags(vec![
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Seen,
            Flag::Draft
        ]))
    );
    assert_eq!(exact("* 2 RECENT\r\n"), Response::Data(Data::Recent(2)));
    let r = exact("* OK [UNSEEN 17] Message 17 is the first unseen message\r\n");
    assert_eq!(code_of(&r), Code::Unseen(nz(17)));
    let r = exact("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
    assert_eq!(code_of(&r), Code::UidValidity(nz(3857529045)));
    let r = exact("a002 OK [READ-WRITE] SELECT completed\r\n");
    assert_eq!(code_of(&r), Code::ReadWrite);

    let header = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
                  From: Terry Gray <gray@cac.washington.edu>\r\n\
                  Subject: IMAP4rev1 WG mtg summary and minutes\r\n\r\n";
    let wire = format!(
        "* 12 FETCH (BODY[HEADER] {{{}}}\r\n{header})\r\n",
        header.len()
    );
    let r = exact(&wire);
    let Response::Data(Data::Fetch { seq, items }) = r else {
        panic!()
    };
    assert_eq!(seq, nz(12));
    assert_eq!(
        items,
        vec![FetchItem::BodySection {
            section: Section::Header(None),
            origin: None,
            data: BodyData::Inline(NString(Some(IString::try_from(header).unwrap()))),
        }]
    );
    exact("a003 OK FETCH completed\r\n");
    let r = exact("* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n");
    assert_eq!(
        r,
        Response::Data(Data::Fetch {
            seq: nz(12),
            items: vec![FetchItem::Flags(vec![
                FlagFetch::Flag(Flag::Seen),
                FlagFetch::Flag(Flag::Deleted)
            ])]
        })
    );
    exact("a005 OK +FLAGS completed\r\n");
    assert!(matches!(
        exact("* BYE IMAP4rev1 server logging out\r\n"),
        Response::Status(Status::Bye(_))
    ));
    exact("a006 OK LOGOUT completed\r\n");
}

#[test]
fn rfc3501_section7_status_responses() {
    let r = exact("* OK [ALERT] System shutdown in 10 minutes\r\n");
    assert_eq!(code_of(&r), Code::Alert);
    exact("A001 OK LOGIN completed\r\n");
    exact("* NO Disk is 98% full, please delete unnecessary data\r\n");
    exact("A222 NO COPY failed: disk is full\r\n");
    exact("* BAD Command line too long\r\n");
    exact("A443 BAD Expected DATE\r\n");
    let g = parse::greeting(b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n").unwrap();
    assert_eq!(g.kind, GreetingKind::PreAuth);
    exact("* BYE Autologout; idle for too long\r\n");
    let r = exact("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n");
    assert_eq!(
        code_of(&r),
        Code::PermanentFlags(vec![
            FlagPerm::Flag(Flag::Deleted),
            FlagPerm::Flag(Flag::Seen),
            FlagPerm::Asterisk
        ])
    );
    assert_eq!(
        code_of(&exact("* OK [UIDNEXT 4392] Predicted next UID\r\n")),
        Code::UidNext(nz(4392))
    );
    assert_eq!(
        code_of(&exact("A932 OK [READ-ONLY] EXAMINE completed\r\n")),
        Code::ReadOnly
    );
    assert_eq!(
        code_of(&exact("A003 NO [TRYCREATE] No such mailbox\r\n")),
        Code::TryCreate
    );
    assert_eq!(
        code_of(&exact(
            "A1 NO [BADCHARSET (UTF-8 US-ASCII)] unsupported\r\n"
        )),
        Code::BadCharset(vec![
            "UTF-8".try_into().unwrap(),
            "US-ASCII".try_into().unwrap()
        ])
    );
    assert_eq!(
        code_of(&exact("A1 NO [BADCHARSET] unsupported\r\n")),
        Code::BadCharset(vec![])
    );
    assert_eq!(
        code_of(&exact("A1 BAD [PARSE] bad header\r\n")),
        Code::Parse
    );
    let r = exact("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Hadron ready\r\n");
    let Code::Capability(caps) = code_of(&r) else {
        panic!()
    };
    assert_eq!(caps[0], Capability::Imap4Rev1);
    assert_eq!(caps[2].to_string(), "AUTH=PLAIN");
}

#[test]
fn unknown_codes_are_preserved() {
    let r = exact("* OK [XPROPRIETARY some args] text\r\n");
    let Code::Other(o) = code_of(&r) else {
        panic!()
    };
    assert_eq!(o.name().as_str(), "XPROPRIETARY");
    assert_eq!(o.text().unwrap().as_str(), "some args");
    let r = exact("a NO [XBARE] text\r\n");
    assert!(matches!(code_of(&r), Code::Other(o) if o.text().is_none()));
}

#[test]
fn rfc5530_codes() {
    for (name, code) in [
        ("UNAVAILABLE", Code::Unavailable),
        ("AUTHENTICATIONFAILED", Code::AuthenticationFailed),
        ("AUTHORIZATIONFAILED", Code::AuthorizationFailed),
        ("EXPIRED", Code::Expired),
        ("PRIVACYREQUIRED", Code::PrivacyRequired),
        ("CONTACTADMIN", Code::ContactAdmin),
        ("NOPERM", Code::NoPerm),
        ("INUSE", Code::InUse),
        ("EXPUNGEISSUED", Code::ExpungeIssued),
        ("CORRUPTION", Code::Corruption),
        ("SERVERBUG", Code::ServerBug),
        ("CLIENTBUG", Code::ClientBug),
        ("CANNOT", Code::Cannot),
        ("LIMIT", Code::Limit),
        ("OVERQUOTA", Code::OverQuota),
        ("USEATTR", Code::UseAttr),
        ("ALREADYEXISTS", Code::AlreadyExists),
        ("NONEXISTENT", Code::NonExistent),
    ] {
        let r = exact(&format!("a NO [{name}] text\r\n"));
        assert_eq!(code_of(&r), code, "{name}");
    }
    // The examples of RFC 5530 §3.
    exact("a NO [UNAVAILABLE] User's backend down for maintenance\r\n");
    exact("b NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
    exact("c NO [AUTHORIZATIONFAILED] No such authorization-ID\r\n");
    exact("d NO [EXPIRED] That password isn't valid any more\r\n");
    exact("e NO [PRIVACYREQUIRED] Connection offers no privacy\r\n");
    exact("f NO [CONTACTADMIN] You need to contact the system administrator\r\n");
    exact("g NO [NOPERM] Access denied\r\n");
    exact("h NO [INUSE] Mailbox in use\r\n");
    exact("i OK [EXPUNGEISSUED] Search completed\r\n");
    exact("j NO [CORRUPTION] Cannot open mailbox\r\n");
    exact("k NO [SERVERBUG] Unexpected error\r\n");
    exact("l NO [CLIENTBUG] Please fix your client\r\n");
    exact("m NO [CANNOT] Too many mailboxes\r\n");
    exact("n NO [LIMIT] At most 1000 messages may be deleted\r\n");
    exact("o NO [OVERQUOTA] Sorry\r\n");
    exact("p NO [ALREADYEXISTS] Mailbox \"that\" already exists\r\n");
    exact("q NO [NONEXISTENT] No such mailbox\r\n");
    // Codes are case-insensitive on input and canonical on output.
    canonical("a NO [overquota] x\r\n", "a NO [OVERQUOTA] x\r\n");
}

#[test]
fn rfc4315_uidplus_codes() {
    let r = exact("A003 OK [APPENDUID 38505 3955] APPEND completed\r\n");
    let Code::AppendUid { uid_validity, uids } = code_of(&r) else {
        panic!()
    };
    assert_eq!(uid_validity, nz(38505));
    assert_eq!(uids.as_sequence_set().to_string(), "3955");
    let r = exact("A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n");
    let Code::CopyUid {
        source,
        destination,
        ..
    } = code_of(&r)
    else {
        panic!()
    };
    assert_eq!(source.as_sequence_set().to_string(), "304,319:320");
    assert_eq!(destination.as_sequence_set().to_string(), "3956:3958");
    assert_eq!(
        code_of(&exact("A003 OK [UIDNOTSTICKY] Non-persistent UIDs\r\n")),
        Code::UidNotSticky
    );
    // MULTIAPPEND reports a set; `*` is not a UID.
    exact("A005 OK [APPENDUID 38505 3955:3957] APPEND completed\r\n");
    assert!(parse::response(b"A OK [APPENDUID 1 3:*] x\r\n").is_err());
}

#[test]
fn rfc7162_condstore_qresync() {
    assert_eq!(
        code_of(&exact("* OK [HIGHESTMODSEQ 715194045007] Highest\r\n")),
        Code::HighestModSeq(715194045007)
    );
    assert_eq!(
        code_of(&exact(
            "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n"
        )),
        Code::NoModSeq
    );
    let r = exact("d105 OK [MODIFIED 7,9] Conditional STORE failed\r\n");
    assert!(matches!(code_of(&r), Code::Modified(s) if s.to_string() == "7,9"));
    assert_eq!(
        code_of(&exact("* OK [CLOSED] Previous mailbox closed\r\n")),
        Code::Closed
    );
    let r = exact("* 7 FETCH (MODSEQ (12121231000) FLAGS (\\Seen))\r\n");
    let Response::Data(Data::Fetch { items, .. }) = r else {
        panic!()
    };
    assert_eq!(items[0], FetchItem::ModSeq(12121231000));
    assert_eq!(
        exact("* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n"),
        Response::Data(Data::Search {
            ids: [2, 5, 6, 7, 11, 12, 18, 19, 20, 23].map(nz).to_vec(),
            modseq: Some(917162500)
        })
    );
    let r = exact("* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n");
    assert!(matches!(
        r,
        Response::Data(Data::Vanished { earlier: true, .. })
    ));
    let r = exact("* VANISHED 405,407,410,425\r\n");
    assert!(matches!(
        r,
        Response::Data(Data::Vanished { earlier: false, .. })
    ));
    exact("* ESEARCH (TAG \"a\") ALL 1:3,5 MODSEQ 1236\r\n");
    exact("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 7 HIGHESTMODSEQ 7011231777)\r\n");
}

fn oid(s: &str) -> ObjectId<'static> {
    ObjectId::try_from(s.to_owned()).unwrap()
}

fn fetch_items(resp: Response<'static>) -> Vec<FetchItem<'static>> {
    match resp {
        Response::Data(Data::Fetch { items, .. }) => items,
        other => panic!("not a FETCH: {other:?}"),
    }
}

#[test]
fn rfc8474_objectid() {
    // §3: the capability.
    let r = exact("* CAPABILITY IMAP4rev1 OBJECTID\r\n");
    assert_eq!(
        r,
        Response::Data(Data::Capability(vec![
            Capability::Imap4Rev1,
            Capability::ObjectId
        ]))
    );
    // §4.1: CREATE answers with the new mailbox's id.
    assert_eq!(
        code_of(&exact(
            "3 OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Completed\r\n"
        )),
        Code::MailboxId(oid("F2212ea87-6097-4256-9d51-71338625"))
    );
    assert_eq!(
        code_of(&exact(
            "a OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Completed\r\n"
        )),
        Code::MailboxId(oid("F2212ea87-6097-4256-9d51-71338625"))
    );
    // §4.2: STATUS reports it.
    assert_eq!(
        exact("* STATUS foo (MAILBOXID (F2212ea87-6097-4256-9d51-71338625))\r\n"),
        Response::Data(Data::Status {
            mailbox: "foo".try_into().unwrap(),
            items: vec![StatusValue::MailboxId(oid(
                "F2212ea87-6097-4256-9d51-71338625"
            ))]
        })
    );
    let r = exact(
        "* STATUS bar (MESSAGES 2 MAILBOXID (F6352ae03-b7f5-463c-896f-d8b48ee3) UIDNEXT 3)\r\n",
    );
    let Response::Data(Data::Status { items, .. }) = r else {
        panic!()
    };
    assert_eq!(
        items,
        vec![
            StatusValue::Number(StatusItem::Messages, 2),
            StatusValue::MailboxId(oid("F6352ae03-b7f5-463c-896f-d8b48ee3")),
            StatusValue::Number(StatusItem::UidNext, 3),
        ]
    );
    assert_eq!(items[1].item(), StatusItem::MailboxId);
    assert_eq!(items[1].number(), None);
    assert_eq!(items[2].number(), Some(3));
    // §5.1, §5.2: FETCH EMAILID and THREADID, including a message in no
    // thread.
    assert_eq!(
        fetch_items(exact(
            "* 1 FETCH (EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9))\r\n"
        )),
        vec![
            FetchItem::EmailId(oid("M6d99ac3275bb4e")),
            FetchItem::ThreadId(Some(oid("T64b478a75b7ea9")))
        ]
    );
    assert_eq!(
        fetch_items(exact("* 2 FETCH (THREADID NIL)\r\n")),
        vec![FetchItem::ThreadId(None)]
    );
    assert_eq!(
        fetch_items(exact(
            "* 3 FETCH (UID 3 EMAILID (M5fdc09b49ea703) THREADID NIL)\r\n"
        )),
        vec![
            FetchItem::Uid(nz(3)),
            FetchItem::EmailId(oid("M5fdc09b49ea703")),
            FetchItem::ThreadId(None)
        ]
    );
    // An id spelled NIL is an id, in parentheses.
    assert_eq!(
        fetch_items(exact("* 4 FETCH (THREADID (NIL))\r\n")),
        vec![FetchItem::ThreadId(Some(oid("NIL")))]
    );
    // Names in any case; written in upper case.
    let r = canonical(
        "* 1 FETCH (emailid (Mabc) threadid nil)\r\n",
        "* 1 FETCH (EMAILID (Mabc) THREADID NIL)\r\n",
    );
    assert_eq!(
        fetch_items(r),
        vec![FetchItem::EmailId(oid("Mabc")), FetchItem::ThreadId(None)]
    );
    canonical(
        "* STATUS foo (mailboxid (Fx))\r\n",
        "* STATUS foo (MAILBOXID (Fx))\r\n",
    );
    canonical(
        "t OK [mailboxid (Fx)] done\r\n",
        "t OK [MAILBOXID (Fx)] done\r\n",
    );
    // Ids the grammar refuses: without parentheses, empty, other
    // characters, EMAILID NIL (only THREADID may be NIL), too long.
    let long = "x".repeat(256);
    for bad in [
        "* 1 FETCH (EMAILID M1)\r\n".to_owned(),
        "* 1 FETCH (EMAILID ())\r\n".to_owned(),
        "* 1 FETCH (EMAILID NIL)\r\n".to_owned(),
        "* 1 FETCH (THREADID (T.1))\r\n".to_owned(),
        "* 1 FETCH (THREADID T1)\r\n".to_owned(),
        "* STATUS foo (MAILBOXID 5)\r\n".to_owned(),
        "* STATUS foo (MAILBOXID (F 1))\r\n".to_owned(),
        format!("* 1 FETCH (EMAILID ({long}))\r\n"),
        format!("t OK [MAILBOXID ({long})] x\r\n"),
    ] {
        assert!(parse::response(bad.as_bytes()).is_err(), "{bad:?}");
    }
    exact(&format!("* 1 FETCH (EMAILID ({}))\r\n", "x".repeat(255)));
    // A MAILBOXID code without the parenthesised id is not the code: the
    // line is plain text, as for other known codes with bad arguments.
    let r = exact("t OK [MAILBOXID F1] x\r\n");
    let Response::Status(Status::Tagged { text, .. }) = r else {
        panic!()
    };
    assert!(text.code().is_none());
    assert_eq!(text.text().as_str(), "[MAILBOXID F1] x");
}

#[test]
fn rfc3501_untagged_data() {
    let r = exact("* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI XPIG-LATIN\r\n");
    let Response::Data(Data::Capability(caps)) = r else {
        panic!()
    };
    assert_eq!(caps.len(), 4);
    let r = exact("* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n");
    let Response::Data(Data::List(l)) = r else {
        panic!()
    };
    assert_eq!(l.attributes, vec![ListAttribute::NoSelect]);
    assert_eq!(l.delimiter.unwrap().as_char(), '/');
    assert_eq!(l.mailbox.as_str(), "~/Mail/foo");
    exact("* LIST () NIL INBOX\r\n");
    exact("* LSUB () \".\" #news.comp.mail.misc\r\n");
    let r = exact("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n");
    assert_eq!(
        r,
        Response::Data(Data::Status {
            mailbox: "blurdybloop".try_into().unwrap(),
            items: vec![
                StatusValue::Number(StatusItem::Messages, 231),
                StatusValue::Number(StatusItem::UidNext, 44292)
            ]
        })
    );
    exact("* SEARCH 2 3 6\r\n");
    exact("* SEARCH\r\n");
    assert_eq!(exact("* 23 EXISTS\r\n"), Response::Data(Data::Exists(23)));
    assert_eq!(exact("* 0 EXISTS\r\n"), Response::Data(Data::Exists(0)));
    assert_eq!(exact("* 5 RECENT\r\n"), Response::Data(Data::Recent(5)));
    assert_eq!(
        exact("* 44 EXPUNGE\r\n"),
        Response::Data(Data::Expunge(nz(44)))
    );
    assert!(parse::response(b"* 0 EXPUNGE\r\n").is_err());
    exact("* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)\r\n");
    assert!(matches!(
        exact("+ Ready for additional command text\r\n"),
        Response::Continue(Continue::Text(_))
    ));
}

const RFC3501_FETCH: &str = "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) \
NIL NIL \"<B27397-0100000@cac.washington.edu>\") \
BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n";

#[test]
fn rfc3501_fetch_with_envelope_and_body() {
    let r = exact(RFC3501_FETCH);
    let Response::Data(Data::Fetch { items, .. }) = r else {
        panic!()
    };
    let FetchItem::Envelope(env) = &items[3] else {
        panic!()
    };
    assert_eq!(
        env.subject.as_bytes(),
        Some(&b"IMAP4rev1 WG mtg summary and minutes"[..])
    );
    assert_eq!(env.cc.len(), 2);
    assert!(env.bcc.is_empty());
    assert_eq!(env.in_reply_to, NString::NIL);
    assert_eq!(
        env.from[0],
        Address {
            name: NString(Some("Terry Gray".try_into().unwrap())),
            adl: NString::NIL,
            mailbox: NString(Some("gray".try_into().unwrap())),
            host: NString(Some("cac.washington.edu".try_into().unwrap())),
        }
    );
    let FetchItem::Body(body) = &items[4] else {
        panic!()
    };
    let BodyStructure::Single { kind, fields, ext } = &**body else {
        panic!()
    };
    assert!(matches!(kind, SinglePartKind::Text { lines: 92, .. }));
    assert_eq!(fields.octets, 3028);
    assert_eq!(fields.params.len(), 1);
    assert!(ext.is_none());
}

#[test]
fn rfc3501_multipart_bodystructure() {
    let wire = "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)\
(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") \
\"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" 4554 73) \"MIXED\"))\r\n";
    let r = exact(wire);
    let Response::Data(Data::Fetch { items, .. }) = r else {
        panic!()
    };
    let FetchItem::BodyStructure(b) = &items[0] else {
        panic!()
    };
    let BodyStructure::Multi { parts, subtype, .. } = &**b else {
        panic!()
    };
    assert_eq!(parts.len(), 2);
    assert_eq!(subtype.as_bytes(), b"MIXED");
}

#[test]
fn bodystructure_extension_data() {
    // Short forms of the extension data are read, and written back in full
    // with NIL for what was absent.
    canonical(
        "* 1 FETCH (BODYSTRUCTURE (\"APPLICATION\" \"PDF\" NIL NIL NIL \"BASE64\" 100 \"md5sum\"))\r\n",
        "* 1 FETCH (BODYSTRUCTURE (\"APPLICATION\" \"PDF\" NIL NIL NIL \"BASE64\" 100 \"md5sum\" NIL NIL NIL))\r\n",
    );
    exact(
        "* 1 FETCH (BODYSTRUCTURE (\"IMAGE\" \"PNG\" (\"NAME\" \"a.png\") \"<id@x>\" NIL \"BASE64\" 2048 NIL \
(\"attachment\" (\"filename\" \"a.png\")) (\"en\" \"de\") \"http://x/a.png\" 7 (\"x\" 1)))\r\n",
    );
    exact(
        "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1 NIL NIL \"en\" NIL)\
(\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 20 2 NIL (\"inline\" NIL) NIL NIL) \"ALTERNATIVE\" \
(\"BOUNDARY\" \"xyz\") NIL NIL NIL))\r\n",
    );
    // A message/rfc822 part carries an envelope and a body.
    let r = exact(
        "* 2 FETCH (BODY (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 500 \
(NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) \
(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 100 4) 12))\r\n",
    );
    let Response::Data(Data::Fetch { items, .. }) = r else {
        panic!()
    };
    let FetchItem::Body(b) = &items[0] else {
        panic!()
    };
    assert!(matches!(
        &**b,
        BodyStructure::Single {
            kind: SinglePartKind::Message { lines: 12, .. },
            ..
        }
    ));
}

#[test]
fn body_item_omits_extension_data() {
    let r = parse::response(
        b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 \"md5\" NIL NIL NIL))\r\n",
    )
    .unwrap();
    let Response::Data(Data::Fetch { seq, mut items }) = r else {
        panic!()
    };
    let FetchItem::BodyStructure(b) = items.remove(0) else {
        panic!()
    };
    let resp = Response::Data(Data::Fetch {
        seq,
        items: vec![FetchItem::Body(b)],
    });
    let mut out = Vec::new();
    encode::response(&resp, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "* 1 FETCH (BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1))\r\n"
    );
}

#[test]
fn rfc3516_binary() {
    let r = exact("* 12 FETCH (BINARY[1] ~{4}\r\n\0abc)\r\n");
    let Response::Data(Data::Fetch { items, .. }) = r else {
        panic!()
    };
    assert!(
        matches!(&items[0], FetchItem::Binary { data: hadron_proto::types::BinaryData::Bytes(b), .. } if &**b == b"\0abc")
    );
    exact("* 12 FETCH (BINARY.SIZE[1.2] 2000)\r\n");
    exact("* 12 FETCH (BINARY[] \"plain\")\r\n");
    exact("* 12 FETCH (BINARY[3] NIL)\r\n");
    exact("* 12 FETCH (BINARY[1]<7> \"abc\")\r\n");
}

#[test]
fn partial_body_sections() {
    exact("* 1 FETCH (BODY[TEXT]<0> \"Hello\")\r\n");
    exact("* 1 FETCH (BODY[1.2.MIME] NIL UID 4)\r\n");
    exact("* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)] {5}\r\nx\r\n\r\n)\r\n");
    exact("* 1 FETCH (RFC822 NIL RFC822.HEADER \"a\" RFC822.TEXT \"b\")\r\n");
}

#[test]
fn rfc4731_esearch() {
    let r = exact("* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n");
    let Response::Data(Data::ESearch(e)) = r else {
        panic!()
    };
    assert_eq!(e.tag.unwrap().as_bytes(), b"A282");
    assert!(!e.uid);
    assert_eq!(
        e.items,
        vec![ESearchItem::Min(nz(2)), ESearchItem::Count(3)]
    );
    let r = exact("* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800\r\n");
    assert!(matches!(r, Response::Data(Data::ESearch(e)) if e.uid));
    exact("* ESEARCH (TAG \"A284\")\r\n");
    exact("* ESEARCH (TAG \"A283\") ALL 2,10:11\r\n");
    exact("* ESEARCH UID COUNT 17 ALL 4:18,21,28\r\n");
}

#[test]
fn rfc9394_partial_and_rfc5267_esort() {
    // RFC 9394 §3.1's answers, and an empty window.
    let r = exact("* ESEARCH (TAG \"A01\") UID PARTIAL (-1:-100 200:250,252:300)\r\n");
    let Response::Data(Data::ESearch(e)) = r else {
        panic!()
    };
    let ESearchItem::Partial(range, Some(_)) = &e.items[0] else {
        panic!("{:?}", e.items)
    };
    assert!(range.from_end() && range.low() == nz(1) && range.high() == nz(100));
    exact("* ESEARCH (TAG \"A02\") UID PARTIAL (1:500 NIL)\r\n");
    exact("* ESEARCH (TAG \"A03\") COUNT 5 PARTIAL (2:4 3:4,2)\r\n");
    // RFC 5267 §4.3's update notifications.
    let r = exact("* ESEARCH (TAG \"B01\") UID ADDTO (1 2733 1 2732 1 2731)\r\n");
    let Response::Data(Data::ESearch(e)) = r else {
        panic!()
    };
    let ESearchItem::AddTo(pairs) = &e.items[0] else {
        panic!("{:?}", e.items)
    };
    assert_eq!(pairs.len(), 3);
    assert_eq!(pairs[0].0, 1);
    exact("* ESEARCH (TAG \"B01\") UID REMOVEFROM (0 32768)\r\n");
    exact("* ESEARCH (TAG \"C01\") REMOVEFROM (0 3) ADDTO (0 1:2,4)\r\n");
}

#[test]
fn list_extensions() {
    // RFC 6154 special-use and RFC 3348 children.
    let r = exact("* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n");
    let Response::Data(Data::List(l)) = r else {
        panic!()
    };
    assert_eq!(
        l.attributes,
        vec![ListAttribute::HasNoChildren, ListAttribute::Drafts]
    );
    for a in [
        "All",
        "Archive",
        "Drafts",
        "Flagged",
        "Junk",
        "Sent",
        "Trash",
        "Marked",
        "Unmarked",
        "NonExistent",
        "Subscribed",
        "Remote",
        "HasChildren",
        "Noinferiors",
    ] {
        let r = exact(&format!("* LIST (\\{a}) \".\" x\r\n"));
        let Response::Data(Data::List(l)) = r else {
            panic!()
        };
        assert!(
            !matches!(l.attributes[0], ListAttribute::Extension(_)),
            "{a}"
        );
    }
    // RFC 5258 examples: quoted names come back as atoms where they can.
    let r = canonical(
        "* LIST () \"/\" \"Foo\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
        "* LIST () \"/\" Foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
    );
    let Response::Data(Data::List(l)) = r else {
        panic!()
    };
    assert!(
        matches!(&l.extended[0], ListExtended::ChildInfo(v) if v[0].as_bytes() == b"SUBSCRIBED")
    );
    exact("* LIST (\\Subscribed \\NonExistent) \"/\" Fruit/Peach\r\n");
    exact("* LIST () \"/\" NewName (\"OLDNAME\" (OldName))\r\n");
    // Modified UTF-7 mailbox names are decoded.
    let r = exact("* LIST () \"/\" &ZeVnLIqe-\r\n");
    let Response::Data(Data::List(l)) = r else {
        panic!()
    };
    assert_eq!(l.mailbox.as_str(), "日本語");
    exact("* LIST () \"/\" \"My Box\"\r\n");
    exact("* LIST () \"\\\\\" a\r\n");
}

#[test]
fn rfc5256_sort_and_thread() {
    exact("* SORT 2 84 882\r\n");
    exact("* SORT\r\n");
    let r = exact("* THREAD (2)(3 6 (4 23)(44 7 96))\r\n");
    let Response::Data(Data::Thread(t)) = r else {
        panic!()
    };
    assert_eq!(
        t[1],
        Thread {
            members: vec![nz(3), nz(6)],
            children: vec![
                Thread {
                    members: vec![nz(4), nz(23)],
                    children: vec![]
                },
                Thread {
                    members: vec![nz(44), nz(7), nz(96)],
                    children: vec![]
                },
            ]
        }
    );
    exact("* THREAD ((3)(5))\r\n");
    exact("* THREAD\r\n");
    exact(
        "* THREAD (166)(167)(168)(169)(172)(170)(171)(173)(174 (175)(176)(178)(181)(180))(179)(177 (183)(182)(188)(184)(185)(186)(187)(189))\r\n",
    );
    // Hostile nesting is refused, not a stack overflow.
    let deep = format!("* THREAD {}1{}\r\n", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse::response(deep.as_bytes()).is_err());
}

#[test]
fn rfc5161_enable_rfc2971_id_rfc2342_namespace() {
    exact("* ENABLED CONDSTORE QRESYNC\r\n");
    exact("* ENABLED\r\n");
    let r = exact(
        "* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" \"sunos\" \"os-version\" \"5.5\" \"support-url\" \"mailto:cyrus-bugs+@andrew.cmu.edu\")\r\n",
    );
    assert!(matches!(r, Response::Data(Data::Id(v)) if v.len() == 5));
    assert_eq!(exact("* ID NIL\r\n"), Response::Data(Data::Id(vec![])));
    canonical("* ID ()\r\n", "* ID NIL\r\n");
    exact("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
    exact("* NAMESPACE NIL NIL ((\"\" \".\"))\r\n");
    exact(
        "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n",
    );
    exact("* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL\r\n");
}

#[test]
fn continuation_requests() {
    let r = exact("+ dGVzdA==\r\n");
    assert_eq!(r, Response::Continue(Continue::Base64(b"test"[..].into())));
    exact("+ \r\n");
    canonical("+\r\n", "+ \r\n");
    let r = exact("+ idling\r\n");
    assert!(matches!(r, Response::Continue(Continue::Text(_))));
    exact("+ [ALERT] go ahead\r\n");
}

#[test]
fn real_server_lines() {
    // LIST "" "" asks for the delimiter: the name is empty.
    let r = exact("* LIST (\\Noselect) \"/\" \"\"\r\n");
    let Response::Data(Data::List(l)) = r else {
        panic!()
    };
    assert_eq!(l.mailbox.as_str(), "");
    let g = parse::greeting(
        b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n",
    )
    .unwrap();
    assert!(matches!(g.text.code(), Some(Code::Capability(c)) if c.len() == 8));
    exact("* OK [UNSEEN 3]\r\n");
    exact("* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n");
    exact("* 1 FETCH (UID 1 FLAGS ())\r\n");
    exact("* 3 FETCH (UID 3 MODSEQ (5) FLAGS (\\Seen $Forwarded \\Recent))\r\n");
    exact("* STATUS \"Sent Items\" (MESSAGES 0 UNSEEN 0 SIZE 0)\r\n");
}

#[test]
fn every_argumentless_code_round_trips() {
    for code in Code::SIMPLE {
        let wire = format!("t NO [{}] x\r\n", code.name());
        assert_eq!(&code_of(&exact(&wire)), code);
    }
    assert_eq!(
        code_of(&exact("t NO [TOOBIG] Message too big\r\n")),
        Code::TooBig
    );
    assert_eq!(
        code_of(&exact(
            "t NO [COMPRESSIONACTIVE] DEFLATE active via TLS\r\n"
        )),
        Code::CompressionActive
    );
}

#[test]
fn base64_continuations_are_canonical_or_text() {
    assert_eq!(
        exact("+ YQ==\r\n"),
        Response::Continue(Continue::Base64(b"a"[..].into()))
    );
    // Non-zero padding bits would not re-encode the same way: read as text.
    assert!(matches!(
        exact("+ YR==\r\n"),
        Response::Continue(Continue::Text(_))
    ));
    assert!(matches!(
        exact("+ Y===\r\n"),
        Response::Continue(Continue::Text(_))
    ));
}

fn quota(
    resource: hadron_proto::types::QuotaResource<'static>,
    usage: u64,
    limit: u64,
) -> hadron_proto::types::QuotaUsage<'static> {
    hadron_proto::types::QuotaUsage {
        resource,
        usage,
        limit,
    }
}

#[test]
fn rfc9208_quota_and_quotaroot_responses() {
    use hadron_proto::types::{AString, Mailbox, NonEmptyVec, QuotaResource};
    let astr = |s: &'static str| AString::try_from(s).unwrap();
    // §4.1 (the root is an atom, so it is written bare).
    let r = canonical(
        "* QUOTA \"!partition/sda4\" (STORAGE 104 10923847)\r\n",
        "* QUOTA !partition/sda4 (STORAGE 104 10923847)\r\n",
    );
    assert_eq!(
        r,
        Response::Data(Data::Quota {
            root: astr("!partition/sda4"),
            resources: NonEmptyVec::one(quota(QuotaResource::Storage, 104, 10923847)),
        })
    );
    // §4.2
    let r = canonical(
        "* QUOTAROOT INBOX \"#user/alice\" \"!partition/sda4\"\r\n",
        "* QUOTAROOT INBOX #user/alice !partition/sda4\r\n",
    );
    assert_eq!(
        r,
        Response::Data(Data::QuotaRoot {
            mailbox: Mailbox::INBOX,
            roots: vec![astr("#user/alice"), astr("!partition/sda4")],
        })
    );
    exact("* QUOTA #user/alice (MESSAGE 42 1000)\r\n");
    // §4.3
    let r = exact("* QUOTA #user/alice (STORAGE 54 111 MESSAGE 42 1000)\r\n");
    assert_eq!(
        r,
        Response::Data(Data::Quota {
            root: astr("#user/alice"),
            resources: NonEmptyVec::new(vec![
                quota(QuotaResource::Storage, 54, 111),
                quota(QuotaResource::Message, 42, 1000),
            ])
            .unwrap(),
        })
    );
    // Hadron's root is the empty name; a mailbox with no root.
    exact("* QUOTA \"\" (STORAGE 0 512 MESSAGE 0 1000)\r\n");
    exact("* QUOTAROOT INBOX \"\"\r\n");
    exact("* QUOTAROOT Archive\r\n");
    canonical(
        "* quota \"\" (storage 1 2 x-other 3 4)\r\n",
        "* QUOTA \"\" (STORAGE 1 2 x-other 3 4)\r\n",
    );
    // §4.3.1: OVERQUOTA comes from RFC 5530.
    let r = exact("A003 NO [OVERQUOTA] APPEND Failed\r\n");
    assert_eq!(code_of(&r), Code::OverQuota);
    // quota-list has at least one resource.
    assert!(parse::response(b"* QUOTA \"\" ()\r\n").is_err());
    assert!(parse::response(b"* QUOTA \"\" (STORAGE 1)\r\n").is_err());
}

#[test]
fn rfc7889_appendlimit_status_values() {
    let r = exact("* STATUS INBOX (APPENDLIMIT 257890)\r\n");
    let Response::Data(Data::Status { items, .. }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(items, vec![StatusValue::AppendLimit(Some(257890))]);
    assert_eq!(items[0].item(), StatusItem::AppendLimit);
    let r = exact("* STATUS Sent (MESSAGES 2 APPENDLIMIT NIL)\r\n");
    let Response::Data(Data::Status { items, .. }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        items,
        vec![
            StatusValue::Number(StatusItem::Messages, 2),
            StatusValue::AppendLimit(None)
        ]
    );
}

#[test]
fn rfc8970_preview_fetch_items() {
    // §5's examples: quoted text, NIL (LAZY, none at hand), the empty string (no
    // preview can be made).
    assert_eq!(
        fetch_items(exact(
            "* 1 FETCH (RFC822.SIZE 5647 PREVIEW \"Lorem ipsum dolor sit amet\")\r\n"
        )),
        vec![
            FetchItem::Rfc822Size(5647),
            FetchItem::Preview(NString(Some(
                IString::try_from("Lorem ipsum dolor sit amet").unwrap()
            ))),
        ]
    );
    assert_eq!(
        fetch_items(exact("* 2 FETCH (PREVIEW NIL)\r\n")),
        vec![FetchItem::Preview(NString::NIL)]
    );
    assert_eq!(
        fetch_items(exact("* 3 FETCH (PREVIEW \"\")\r\n")),
        vec![FetchItem::Preview(NString(Some(
            IString::try_from("").unwrap()
        )))]
    );
    // UTF-8 is 8-bit: a literal, as IMAP4rev1 allows it there and not in a quoted string.
    assert_eq!(
        fetch_items(exact("* 4 FETCH (PREVIEW {9}\r\ncaf\u{e9} \u{2014})\r\n")),
        vec![FetchItem::Preview(NString(Some(
            IString::try_from("caf\u{e9} \u{2014}").unwrap()
        )))]
    );
    canonical(
        "* 1 FETCH (preview \"a\")\r\n",
        "* 1 FETCH (PREVIEW \"a\")\r\n",
    );
    for bad in [
        "* 1 FETCH (PREVIEW)\r\n",
        "* 1 FETCH (PREVIEW (LAZY))\r\n",
        "* 1 FETCH (PREVIEW abc)\r\n",
    ] {
        assert!(parse::response(bad.as_bytes()).is_err(), "{bad:?}");
    }
}

#[test]
fn rfc8514_savedate_fetch_items() {
    // §4.2's example (written with the day space-padded, as INTERNALDATE
    // is), and NIL for a message without a save date.
    let r = canonical(
        "* 998 FETCH (SAVEDATE \"01-Jan-2015 18:50:53 +0100\")\r\n",
        "* 998 FETCH (SAVEDATE \" 1-Jan-2015 18:50:53 +0100\")\r\n",
    );
    let day = Date::new(2015, 1, 1).unwrap();
    assert_eq!(
        fetch_items(r),
        vec![FetchItem::SaveDate(Some(
            DateTime::new(day, 18, 50, 53, 60).unwrap()
        ))]
    );
    assert_eq!(
        fetch_items(exact("* 1 FETCH (UID 4 SAVEDATE NIL)\r\n")),
        vec![FetchItem::Uid(nz(4)), FetchItem::SaveDate(None)]
    );
    canonical(
        "* 1 FETCH (savedate nil)\r\n",
        "* 1 FETCH (SAVEDATE NIL)\r\n",
    );
    for bad in [
        "* 1 FETCH (SAVEDATE)\r\n",
        "* 1 FETCH (SAVEDATE \"01-Jan-2015\")\r\n",
        "* 1 FETCH (SAVEDATE (NIL))\r\n",
    ] {
        assert!(parse::response(bad.as_bytes()).is_err(), "{bad:?}");
    }
}

#[test]
fn rfc5465_notify_response_codes() {
    use hadron_proto::types::{NonEmptyVec, NotifyEvent};
    assert_eq!(
        code_of(&exact("* OK [NOTIFICATIONOVERFLOW] ...\r\n")),
        Code::NotificationOverflow
    );
    assert_eq!(
        code_of(&exact(
            "a NO [BADEVENT (MailboxMetadataChange ServerMetadataChange)] Not supported\r\n"
        )),
        Code::BadEvent(
            NonEmptyVec::new(vec![
                NotifyEvent::MailboxMetadataChange,
                NotifyEvent::ServerMetadataChange
            ])
            .unwrap()
        )
    );
    // An empty list is not a BADEVENT code.
    assert!(!matches!(
        parse::response(b"a NO [BADEVENT ()] x\r\n").map(|r| code_of(&r)),
        Ok(Code::BadEvent(_))
    ));
}
