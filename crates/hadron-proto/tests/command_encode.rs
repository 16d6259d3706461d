//! Command encoding: exact wire forms.

use hadron_proto::encode;
use hadron_proto::parse::{self, ParseLimits};
use hadron_proto::types::{
    AString, AppendMessage, Base64, Command, CommandBody, FetchAttribute, FetchItems, Flag,
    Literal, LiteralMode, Mailbox, NonEmptyVec, ObjectId, SearchKey, StatusItem, StoreAction,
    StoreKind, Tag,
};

fn cmd(body: CommandBody<'static>) -> Command<'static> {
    Command {
        tag: Tag::try_from("t1").unwrap(),
        body,
    }
}

fn enc(c: &Command<'_>) -> String {
    let mut out = Vec::new();
    encode::command(c, &mut out);
    String::from_utf8(out).unwrap()
}

/// Parses `line` and encodes it again: canonical lines come back unchanged.
fn canonical(line: &str) {
    let c = parse::command(line.as_bytes(), &ParseLimits::default()).expect(line);
    assert_eq!(enc(&c), line);
}

#[test]
fn canonical_forms_are_reproduced_exactly() {
    for line in [
        "t1 CAPABILITY\r\n",
        "t1 LOGIN fred \"pass word\"\r\n",
        "t1 AUTHENTICATE PLAIN =\r\n",
        "t1 AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0\r\n",
        "t1 SELECT INBOX (CONDSTORE)\r\n",
        "t1 EXAMINE Entw&APw-rfe (QRESYNC (1 2 1:5 (1,3 7:9)))\r\n",
        "t1 CREATE Drafts (USE (\\Drafts))\r\n",
        "t1 LIST (SUBSCRIBED) \"\" (INBOX \"Sent Items\" %) RETURN (CHILDREN STATUS (MESSAGES SIZE))\r\n",
        "t1 LSUB \"\" *\r\n",
        "t1 STATUS INBOX (UIDNEXT HIGHESTMODSEQ)\r\n",
        "t1 UID EXPUNGE 1:*\r\n",
        "t1 UID SEARCH RETURN (MIN SAVE) CHARSET UTF-8 OR SEEN (NOT DRAFT UID $) HEADER Subject \"\" MODSEQ \"/flags/\\\\Draft\" priv 7\r\n",
        "t1 FETCH 1:3,* (FLAGS BODY.PEEK[1.HEADER.FIELDS.NOT (Received)]<0.512> BINARY.SIZE[2] MODSEQ) (CHANGEDSINCE 5 VANISHED)\r\n",
        "t1 FETCH 2 FULL\r\n",
        "t1 STORE 1 (UNCHANGEDSINCE 0) -FLAGS.SILENT (\\Seen $Junk \\X)\r\n",
        "t1 UID COPY 5:7 \"Other Box\"\r\n",
        "t1 MOVE $ Archive\r\n",
        "t1 ID (\"name\" \"x\" \"os\" NIL)\r\n",
        "t1 ID NIL\r\n",
        "t1 ENABLE CONDSTORE QRESYNC X-FOO\r\n",
        "t1 UID SORT (REVERSE ARRIVAL DISPLAYFROM) US-ASCII SINCE 1-Feb-1994\r\n",
        "t1 THREAD REFERENCES UTF-8 ALL\r\n",
        "t1 COMPRESS DEFLATE\r\n",
        "t1 UNAUTHENTICATE\r\n",
        "t1 APPEND INBOX (\\Seen) \" 1-Jul-2002 22:35:08 -0700\" {3}\r\nabc ~{2+}\r\n\0x\r\n",
        "t1 STATUS foo (MESSAGES MAILBOXID)\r\n",
        "t1 LIST \"\" % RETURN (STATUS (MAILBOXID UIDNEXT))\r\n",
        "t1 UID FETCH 1:* (UID EMAILID THREADID)\r\n",
        "t1 FETCH 1 THREADID\r\n",
        "t1 UID SEARCH EMAILID M6d99ac3275bb4e OR THREADID T64b478a75b7ea9 NOT EMAILID _-9\r\n",
        "t1 UID FETCH 1:* (UID SAVEDATE)\r\n",
        "t1 FETCH 1:* (RFC822.SIZE PREVIEW)\r\n",
        "t1 UID FETCH 1 (PREVIEW (LAZY) FLAGS)\r\n",
        "t1 FETCH 1 PREVIEW (LAZY)\r\n",
        "t1 UID FETCH 1 PREVIEW (CHANGEDSINCE 5)\r\n",
        "t1 SEARCH SAVEDBEFORE 1-Feb-1994 OR SAVEDON 28-Dec-2014 SAVEDSINCE 9-Oct-2026 SAVEDATESUPPORTED\r\n",
    ] {
        canonical(line);
    }
}

#[test]
fn strings_pick_atom_quoted_or_literal_by_content() {
    let login = |user: &'static [u8]| {
        cmd(CommandBody::Login {
            username: AString::try_from(user).unwrap(),
            password: AString::try_from("p").unwrap(),
        })
    };
    assert_eq!(enc(&login(b"fred")), "t1 LOGIN fred p\r\n");
    assert_eq!(enc(&login(b"")), "t1 LOGIN \"\" p\r\n");
    assert_eq!(enc(&login(b"a\"b")), "t1 LOGIN \"a\\\"b\" p\r\n");
    assert_eq!(enc(&login(b"a\r\nb")), "t1 LOGIN {4}\r\na\r\nb p\r\n");
    assert_eq!(
        enc(&login("jos\u{e9}".as_bytes())),
        "t1 LOGIN {5}\r\njos\u{e9} p\r\n"
    );
}

#[test]
fn literal_plus_mode_for_clients_of_literal_plus_servers() {
    let c = cmd(CommandBody::Search {
        uid: false,
        return_options: None,
        charset: None,
        criteria: NonEmptyVec::one(SearchKey::Subject(AString::try_from("caf\u{e9}").unwrap())),
    });
    let mut out = Vec::new();
    encode::command_with_mode(&c, LiteralMode::NonSync, &mut out);
    assert_eq!(out, "t1 SEARCH SUBJECT {5+}\r\ncaf\u{e9}\r\n".as_bytes());
}

#[test]
fn append_literals_keep_their_framing() {
    let c = cmd(CommandBody::Append {
        mailbox: Mailbox::INBOX,
        messages: NonEmptyVec::new(vec![
            AppendMessage {
                flags: vec![],
                date: None,
                data: Literal::new(&b"hi"[..])
                    .unwrap()
                    .with_mode(LiteralMode::NonSync)
                    .into(),
            },
            AppendMessage {
                flags: vec![Flag::Draft],
                date: None,
                data: Literal::binary(&b"\0"[..]).into(),
            },
        ])
        .unwrap(),
    });
    assert_eq!(
        enc(&c),
        "t1 APPEND INBOX {2+}\r\nhi (\\Draft) ~{1}\r\n\0\r\n"
    );
}

#[test]
fn empty_lists_have_neutral_forms() {
    // A STORE with no flags clears them: `FLAGS ()`.
    let c = cmd(CommandBody::Store {
        uid: true,
        set: "1".parse().unwrap(),
        unchanged_since: None,
        action: StoreAction {
            kind: StoreKind::Replace,
            silent: false,
            flags: vec![],
        },
    });
    assert_eq!(enc(&c), "t1 UID STORE 1 FLAGS ()\r\n");
    // Lists the grammar needs non-empty cannot be built empty.
    assert!(NonEmptyVec::<SearchKey<'_>>::new(vec![]).is_err());
    // An empty SASL-IR response is `=`.
    let c = cmd(CommandBody::Authenticate {
        mechanism: "EXTERNAL".try_into().unwrap(),
        initial_response: Some(Base64::EMPTY),
    });
    assert_eq!(enc(&c), "t1 AUTHENTICATE EXTERNAL =\r\n");
}

#[test]
fn non_canonical_input_encodes_canonically() {
    let c = parse::command(
        b"t1 uid fetch 1 (body.peek[header.fields (from)])\r\n",
        &ParseLimits::default(),
    )
    .unwrap();
    assert_eq!(
        enc(&c),
        "t1 UID FETCH 1 BODY.PEEK[HEADER.FIELDS (from)]\r\n"
    );
    let c = parse::command(
        b"t1 LIST () \"\" (\"*\") RETURN ()\r\n",
        &ParseLimits::default(),
    )
    .unwrap();
    assert_eq!(enc(&c), "t1 LIST \"\" *\r\n");
}

#[test]
fn objectid_commands_built_in_code() {
    let id = |s: &'static str| ObjectId::try_from(s).unwrap();
    let c = cmd(CommandBody::Search {
        uid: true,
        return_options: None,
        charset: None,
        criteria: NonEmptyVec::new(vec![
            SearchKey::EmailId(id("M6d99ac3275bb4e")),
            SearchKey::ThreadId(id("NIL")),
        ])
        .unwrap(),
    });
    assert_eq!(
        enc(&c),
        "t1 UID SEARCH EMAILID M6d99ac3275bb4e THREADID NIL\r\n"
    );
    let c = cmd(CommandBody::Fetch {
        uid: false,
        set: "1:*".parse().unwrap(),
        items: FetchItems::Attributes(
            NonEmptyVec::new(vec![FetchAttribute::EmailId, FetchAttribute::ThreadId]).unwrap(),
        ),
        modifiers: vec![],
    });
    assert_eq!(enc(&c), "t1 FETCH 1:* (EMAILID THREADID)\r\n");
    let c = cmd(CommandBody::Status {
        mailbox: Mailbox::new("foo").unwrap(),
        items: NonEmptyVec::one(StatusItem::MailboxId),
    });
    assert_eq!(enc(&c), "t1 STATUS foo (MAILBOXID)\r\n");
    let c = parse::command(
        b"t1 uid search emailid Mx threadid Ty\r\n",
        &ParseLimits::default(),
    )
    .unwrap();
    assert_eq!(enc(&c), "t1 UID SEARCH EMAILID Mx THREADID Ty\r\n");
}
