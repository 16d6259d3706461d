//! Command parsing: RFC examples, edge cases and errors.

use std::num::{NonZeroU32, NonZeroU64};

use hadron_proto::encode;
use hadron_proto::parse::{self, CommandError, CommandErrorKind, ParseLimits};
use hadron_proto::types::{
    AppendData, AuthContinuation, Base64, Capability, CatPart, Command, CommandBody, Date,
    EntryType, FetchAttribute, FetchItems, FetchMacro, FetchModifier, Flag, ListReturnOption,
    ListSelectOption, Mailbox, NonEmptyVec, ObjectId, PartialRange, SearchKey, SearchReturnOption,
    Section, SelectParam, SequenceSet, SortKey, StatusItem, StoreKind, ThreadAlgorithm,
};

fn parse(line: &str) -> Command<'_> {
    parse_bytes(line.as_bytes())
}

/// Parses, then checks that encoding and re-parsing gives the same value.
fn parse_bytes(line: &[u8]) -> Command<'_> {
    let cmd = parse::command(line, &ParseLimits::default())
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(line)));
    let mut out = Vec::new();
    encode::command(&cmd, &mut out);
    let again = parse::command(&out, &ParseLimits::default())
        .unwrap_or_else(|e| panic!("re-parse of {:?}: {e}", String::from_utf8_lossy(&out)));
    assert_eq!(again, cmd, "{:?}", String::from_utf8_lossy(&out));
    cmd
}

fn error(line: &str) -> CommandError {
    parse::command(line.as_bytes(), &ParseLimits::default()).expect_err(line)
}

fn ne<T>(v: Vec<T>) -> NonEmptyVec<T> {
    NonEmptyVec::new(v).unwrap()
}

fn set(s: &str) -> SequenceSet {
    s.parse().unwrap()
}

fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap()
}

fn astr(s: &str) -> hadron_proto::types::AString<'_> {
    s.try_into().unwrap()
}

// ---- RFC 3501 §8: the sample session -------------------------------------

#[test]
fn rfc3501_sample_session_client_lines() {
    let c = parse("a001 login mrc secret\r\n");
    assert_eq!(c.tag.as_str(), "a001");
    assert_eq!(
        c.body,
        CommandBody::Login {
            username: astr("mrc"),
            password: astr("secret")
        }
    );
    assert_eq!(
        parse("a002 select inbox\r\n").body,
        CommandBody::Select {
            mailbox: Mailbox::INBOX,
            params: vec![]
        }
    );
    assert_eq!(
        parse("a003 fetch 12 full\r\n").body,
        CommandBody::Fetch {
            uid: false,
            set: set("12"),
            items: FetchItems::Macro(FetchMacro::Full),
            modifiers: vec![]
        }
    );
    let CommandBody::Fetch { items, .. } = parse("a004 fetch 12 body[header]\r\n").body else {
        panic!()
    };
    assert_eq!(
        items,
        FetchItems::Attributes(ne(vec![FetchAttribute::BodySection {
            section: Section::Header(None),
            partial: None,
            peek: false
        }]))
    );
    let CommandBody::Store {
        uid: false,
        action,
        unchanged_since: None,
        ..
    } = parse("a005 store 12 +flags \\deleted\r\n").body
    else {
        panic!()
    };
    assert_eq!(action.kind, StoreKind::Add);
    assert!(!action.silent);
    assert_eq!(action.flags, vec![Flag::Deleted]);
    assert_eq!(parse("a006 logout\r\n").body, CommandBody::Logout);
}

// ---- RFC 3501 §6 examples -------------------------------------------------

#[test]
fn rfc3501_any_state_and_non_authenticated() {
    assert_eq!(parse("abcd CAPABILITY\r\n").body, CommandBody::Capability);
    assert_eq!(parse("a002 NOOP\r\n").body, CommandBody::Noop);
    assert_eq!(parse("A023 LOGOUT\r\n").body, CommandBody::Logout);
    assert_eq!(parse("a001 STARTTLS\r\n").body, CommandBody::StartTls);
    let CommandBody::Authenticate {
        mechanism,
        initial_response: None,
    } = parse("A001 AUTHENTICATE GSSAPI\r\n").body
    else {
        panic!()
    };
    assert_eq!(mechanism.as_str(), "GSSAPI");
    assert!(matches!(
        parse("a001 LOGIN SMITH SESAME\r\n").body,
        CommandBody::Login { .. }
    ));
}

#[test]
fn rfc3501_authenticated_state() {
    assert!(matches!(
        parse("A142 SELECT INBOX\r\n").body,
        CommandBody::Select { .. }
    ));
    let CommandBody::Examine { mailbox, .. } = parse("A932 EXAMINE blurdybloop\r\n").body else {
        panic!()
    };
    assert_eq!(mailbox.as_str(), "blurdybloop");
    let CommandBody::Create { mailbox, .. } = parse("A003 CREATE owatagusiam/\r\n").body else {
        panic!()
    };
    assert_eq!(mailbox.as_str(), "owatagusiam/");
    parse("A004 CREATE owatagusiam/blurdybloop\r\n");
    parse("A682 DELETE blurdybloop\r\n");
    let CommandBody::Rename { from, to } = parse("A683 RENAME blurdybloop sarasoop\r\n").body
    else {
        panic!()
    };
    assert_eq!((from.as_str(), to.as_str()), ("blurdybloop", "sarasoop"));
    parse("A002 SUBSCRIBE #news.comp.mail.mime\r\n");
    parse("A002 UNSUBSCRIBE #news.comp.mail.mime\r\n");
    for line in [
        "A101 LIST \"\" \"\"\r\n",
        "A102 LIST #news.comp.mail.misc \"\"\r\n",
        "A103 LIST /usr/staff/jones \"\"\r\n",
        "A202 LIST ~/Mail/ %\r\n",
    ] {
        assert!(
            matches!(parse(line).body, CommandBody::List { .. }),
            "{line}"
        );
    }
    let CommandBody::List {
        reference,
        patterns,
        selection,
        return_options,
    } = parse("A202 LIST ~/Mail/ %\r\n").body
    else {
        panic!()
    };
    assert_eq!(reference.as_str(), "~/Mail/");
    assert_eq!(patterns[0].as_str(), "%");
    assert!(selection.is_empty() && return_options.is_empty());
    let CommandBody::Lsub { reference, pattern } =
        parse("A002 LSUB \"#news.\" \"comp.mail.*\"\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        (reference.as_str(), pattern.as_str()),
        ("#news.", "comp.mail.*")
    );
    assert_eq!(
        parse("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n").body,
        CommandBody::Status {
            mailbox: Mailbox::new("blurdybloop").unwrap(),
            items: ne(vec![StatusItem::UidNext, StatusItem::Messages])
        }
    );
}

const RFC3501_APPEND_MESSAGE: &str = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.COM>\r\nSubject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu\r\nMessage-Id: <B27397-0100000@Blurdybloop.COM>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

#[test]
fn rfc3501_append() {
    let line = format!(
        "A003 APPEND saved-messages (\\Seen) {{{}}}\r\n{}\r\n",
        RFC3501_APPEND_MESSAGE.len(),
        RFC3501_APPEND_MESSAGE
    );
    let CommandBody::Append { mailbox, messages } = parse(&line).body else {
        panic!()
    };
    assert_eq!(RFC3501_APPEND_MESSAGE.len(), 310);
    assert_eq!(mailbox.as_str(), "saved-messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].flags, vec![Flag::Seen]);
    assert_eq!(messages[0].date, None);
    assert_eq!(
        messages[0].data.literal().unwrap().data(),
        RFC3501_APPEND_MESSAGE.as_bytes()
    );
}

#[test]
fn rfc3501_selected_state() {
    parse("FXXZ CHECK\r\n");
    assert_eq!(parse("A341 CLOSE\r\n").body, CommandBody::Close);
    assert_eq!(parse("A202 EXPUNGE\r\n").body, CommandBody::Expunge);
    let CommandBody::Search {
        uid: false,
        charset: None,
        return_options: None,
        criteria,
    } = parse("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        criteria,
        vec![
            SearchKey::Flagged,
            SearchKey::Since(date(1994, 2, 1)),
            SearchKey::Not(Box::new(SearchKey::From(astr("Smith"))))
        ]
    );
    parse("A283 SEARCH TEXT \"string not in mailbox\"\r\n");
    let CommandBody::Search {
        charset: Some(cs),
        criteria,
        ..
    } = parse("A284 SEARCH CHARSET UTF-8 TEXT {6}\r\nXXXXXX\r\n").body
    else {
        panic!()
    };
    assert!(cs.is_utf8());
    assert_eq!(criteria, vec![SearchKey::Text(astr("XXXXXX"))]);
    let CommandBody::Fetch { set: s, items, .. } =
        parse("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n").body
    else {
        panic!()
    };
    assert_eq!(s, set("2:4"));
    let FetchItems::Attributes(atts) = items else {
        panic!()
    };
    assert_eq!(atts[0], FetchAttribute::Flags);
    assert!(matches!(
        &atts[1],
        FetchAttribute::BodySection { section: Section::HeaderFields(None, names), peek: false, partial: None }
            if names.names().len() == 2
    ));
    parse("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n");
    let CommandBody::Copy {
        set: s,
        mailbox,
        uid: false,
    } = parse("A003 COPY 2:4 MEETING\r\n").body
    else {
        panic!()
    };
    assert_eq!((s, mailbox.as_str()), (set("2:4"), "MEETING"));
    let CommandBody::Fetch {
        uid: true,
        set: s,
        items,
        ..
    } = parse("A999 UID FETCH 4827313:4828442 FLAGS\r\n").body
    else {
        panic!()
    };
    assert_eq!(s, set("4827313:4828442"));
    assert_eq!(
        items,
        FetchItems::Attributes(ne(vec![FetchAttribute::Flags]))
    );
}

#[test]
fn every_search_key_parses() {
    let line = "t SEARCH ALL ANSWERED BCC x BEFORE 1-Jan-2000 BODY y CC z DELETED DRAFT FLAGGED \
        FROM a HEADER X-Foo bar KEYWORD $Junk LARGER 10 NEW NOT SEEN OLD ON 2-Feb-2001 \
        OR RECENT SEEN SENTBEFORE 3-Mar-2002 SENTON 4-Apr-2003 SENTSINCE 5-May-2004 \
        SINCE 6-Jun-2005 SMALLER 20 SUBJECT s TEXT t TO u UID 1:5,7 UNANSWERED UNDELETED \
        UNDRAFT UNFLAGGED UNKEYWORD foo UNSEEN 1,2:* (SEEN (FLAGGED)) MODSEQ 5 $\r\n";
    let CommandBody::Search { criteria, .. } = parse(line).body else {
        panic!()
    };
    assert_eq!(criteria.len(), 37);
    assert_eq!(criteria[10], SearchKey::Header(astr("X-Foo"), astr("bar")));
    assert_eq!(
        criteria[17],
        SearchKey::Or(Box::new(SearchKey::Recent), Box::new(SearchKey::Seen))
    );
    assert_eq!(criteria[33], SearchKey::SequenceSet(set("1,2:*")));
    assert_eq!(
        criteria[34],
        SearchKey::And(ne(vec![
            SearchKey::Seen,
            SearchKey::And(ne(vec![SearchKey::Flagged]))
        ]))
    );
    assert_eq!(criteria[36], SearchKey::SequenceSet(SequenceSet::Saved));
}

#[test]
fn rfc5032_within_keys() {
    let CommandBody::Search { criteria, .. } =
        parse("t SEARCH UNSEEN YOUNGER 259200 NOT OLDER 60\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        criteria[1],
        SearchKey::Younger(NonZeroU32::new(259_200).unwrap())
    );
    assert_eq!(
        criteria[2],
        SearchKey::Not(Box::new(SearchKey::Older(NonZeroU32::new(60).unwrap())))
    );
    for bad in ["t SEARCH OLDER 0\r\n", "t SEARCH OLDER -5\r\n"] {
        assert!(error(bad).to_string().contains("interval"), "{bad:?}");
    }
    assert!(!error("t SEARCH YOUNGER\r\n").to_string().is_empty());
}

#[test]
fn rfc8970_preview_item_and_lazy_modifier() {
    fn atts(line: &str) -> (Vec<FetchAttribute<'static>>, Vec<FetchModifier>) {
        match parse(line).body {
            CommandBody::Fetch {
                items: FetchItems::Attributes(atts),
                modifiers,
                ..
            } => (
                atts.into_iter().map(FetchAttribute::into_static).collect(),
                modifiers,
            ),
            other => panic!("{other:?}"),
        }
    }
    let plain = FetchAttribute::Preview { lazy: false };
    let lazy = FetchAttribute::Preview { lazy: true };
    // §5's examples.
    assert_eq!(
        atts("A2 FETCH 1 (RFC822.SIZE PREVIEW)\r\n").0,
        vec![FetchAttribute::Rfc822Size, plain.clone()]
    );
    assert_eq!(
        atts("A3 FETCH 1:4 (PREVIEW (LAZY))\r\n").0,
        vec![lazy.clone()]
    );
    // Any case, repeated, and as the single item.
    assert_eq!(
        atts("t FETCH 1 preview (lazy LAZY)\r\n").0,
        vec![lazy.clone()]
    );
    assert_eq!(
        atts("t FETCH 1 (PREVIEW (LAZY) PREVIEW UID)\r\n").0,
        vec![lazy, plain.clone(), FetchAttribute::Uid]
    );
    // A lone PREVIEW followed by the command's fetch modifiers.
    let (a, modifiers) = atts("t UID FETCH 1 PREVIEW (CHANGEDSINCE 5)\r\n");
    assert_eq!(a, vec![plain]);
    assert_eq!(modifiers.len(), 1);
    for bad in [
        "t FETCH 1 (PREVIEW ())\r\n",
        "t FETCH 1 (PREVIEW (LAZY FOO))\r\n",
        "t FETCH 1 (PREVIEW (LAZY)\r\n",
        "t FETCH 1 (PREVIEW (LAZY )\r\n",
        "t FETCH 1 (PREVIEW (FOO))\r\n",
        "t FETCH 1 (PREVIEW[])\r\n",
        "t FETCH 1 PREVIEW (LAZY\r\n",
    ] {
        error(bad);
    }
}

#[test]
fn rfc8514_savedate_item_and_keys() {
    // §4.2: FETCH SAVEDATE.
    let CommandBody::Fetch { items, .. } = parse("A101 FETCH 998 (SAVEDATE)\r\n").body else {
        panic!()
    };
    assert_eq!(
        items,
        FetchItems::Attributes(NonEmptyVec::one(FetchAttribute::SaveDate))
    );
    // §4.3: the date keys and SAVEDATESUPPORTED (longer than any key before
    // it), in any case.
    let CommandBody::Search { criteria, .. } = parse(
        "A102 SEARCH SAVEDON 28-Dec-2014 savedsince 1-Jan-2015 NOT SavedBefore 2-Feb-2015 \
         savedatesupported\r\n",
    )
    .body
    else {
        panic!()
    };
    assert_eq!(
        criteria,
        vec![
            SearchKey::SavedOn(date(2014, 12, 28)),
            SearchKey::SavedSince(date(2015, 1, 1)),
            SearchKey::Not(Box::new(SearchKey::SavedBefore(date(2015, 2, 2)))),
            SearchKey::SaveDateSupported,
        ]
    );
    for bad in [
        "t SEARCH SAVEDON\r\n",
        "t SEARCH SAVEDSINCE 28-Dec-2014 12:00:00\r\n",
        "t SEARCH SAVEDATE\r\n",
        "t SEARCH SAVEDATESUPPORTEDX\r\n",
        "t FETCH 1 SAVEDATE[]\r\n",
    ] {
        error(bad);
    }
    assert!(
        error("t SEARCH SAVEDBEFORE 32-Dec-2014\r\n")
            .to_string()
            .contains("invalid date"),
    );
}

#[test]
fn keywords_are_case_insensitive() {
    let a = parse("x uid search or seen not deleted since 1-feb-1994\r\n").body;
    let b = parse("x UID SEARCH OR SEEN NOT DELETED SINCE 1-Feb-1994\r\n").body;
    assert_eq!(a, b);
    assert_eq!(
        parse("x Fetch 1 Body.Peek[Header.Fields (from)]<0.10>\r\n").body,
        parse("x FETCH 1 BODY.PEEK[HEADER.FIELDS (from)]<0.10>\r\n").body
    );
}

#[test]
fn fetch_attributes_and_partials() {
    let CommandBody::Fetch { items, .. } = parse(
        "t FETCH 1 (ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT \
         BODY BODYSTRUCTURE UID BODY[] BODY.PEEK[1.2.MIME]<10.20> BODY[TEXT] \
         BINARY[1.2] BINARY.PEEK[]<0.100> BINARY.SIZE[3] MODSEQ)\r\n",
    )
    .body
    else {
        panic!()
    };
    let FetchItems::Attributes(atts) = items else {
        panic!()
    };
    assert_eq!(atts.len(), 17);
    assert_eq!(
        atts[11],
        FetchAttribute::BodySection {
            section: Section::Mime(
                hadron_proto::types::Part::new(vec![
                    NonZeroU32::new(1).unwrap(),
                    NonZeroU32::new(2).unwrap()
                ])
                .unwrap()
            ),
            partial: Some((10, NonZeroU32::new(20).unwrap())),
            peek: true
        }
    );
    assert_eq!(
        atts[14],
        FetchAttribute::Binary {
            part: None,
            partial: Some((0, NonZeroU32::new(100).unwrap())),
            peek: true
        }
    );
    assert_eq!(atts[16], FetchAttribute::ModSeq);
    assert!(matches!(
        parse("t FETCH 1:* ALL\r\n").body,
        CommandBody::Fetch {
            items: FetchItems::Macro(FetchMacro::All),
            ..
        }
    ));
    assert!(matches!(
        parse("t FETCH 1:* fast\r\n").body,
        CommandBody::Fetch {
            items: FetchItems::Macro(FetchMacro::Fast),
            ..
        }
    ));
    // A list of one and a bare attribute are the same request.
    assert_eq!(
        parse("t FETCH 1 (UID)\r\n").body,
        parse("t FETCH 1 UID\r\n").body
    );
}

#[test]
fn store_forms() {
    let CommandBody::Store { action, .. } = parse("t STORE 1 FLAGS.SILENT ()\r\n").body else {
        panic!()
    };
    assert_eq!(
        (action.kind, action.silent, action.flags.len()),
        (StoreKind::Replace, true, 0)
    );
    let CommandBody::Store { action, .. } =
        parse("t UID STORE 1:* -FLAGS \\Seen \\Flagged $Junk\r\n").body
    else {
        panic!()
    };
    assert_eq!(action.kind, StoreKind::Remove);
    assert_eq!(action.flags.len(), 3);
}

// ---- Extensions ---------------------------------------------------------

#[test]
fn sasl_ir_initial_responses() {
    let CommandBody::Authenticate {
        initial_response: Some(r),
        ..
    } = parse("a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n").body
    else {
        panic!()
    };
    assert_eq!(r.decode(), b"test\0test\0test");
    let CommandBody::Authenticate {
        initial_response: Some(r),
        ..
    } = parse("a AUTHENTICATE EXTERNAL =\r\n").body
    else {
        panic!()
    };
    assert!(r.is_empty());
    assert!(error("a AUTHENTICATE PLAIN abc\r\n").tag().is_some());
}

#[test]
fn authenticate_continuation_lines() {
    assert_eq!(
        parse::authenticate_continuation(b"\r\n").unwrap(),
        AuthContinuation::Response(Base64::EMPTY)
    );
    assert_eq!(
        parse::authenticate_continuation(b"*\r\n").unwrap(),
        AuthContinuation::Cancel
    );
    assert!(parse::authenticate_continuation(b"dGVzdA==\n").is_err());
    assert!(parse::authenticate_continuation(b"d GVzdA==\r\n").is_err());
}

#[test]
fn idle_and_done() {
    assert_eq!(parse("A002 IDLE\r\n").body, CommandBody::Idle);
    assert!(parse::idle_done(b"DONE\r\n").is_ok());
    assert!(parse::idle_done(b"Done\r\n").is_ok());
    assert!(parse::idle_done(b"DONE\n").is_err());
    assert!(parse::idle_done(b"DONE \r\n").is_err());
}

#[test]
fn uidplus_move_unselect_namespace_compress() {
    assert_eq!(parse("A343 UNSELECT\r\n").body, CommandBody::Unselect);
    assert_eq!(
        parse("A003 UID EXPUNGE 3000:3002\r\n").body,
        CommandBody::UidExpunge(set("3000:3002"))
    );
    assert!(matches!(
        parse("a UID MOVE 42:69 foo\r\n").body,
        CommandBody::Move { uid: true, .. }
    ));
    assert!(matches!(
        parse("a MOVE 1 foo\r\n").body,
        CommandBody::Move { uid: false, .. }
    ));
    assert_eq!(parse("A001 NAMESPACE\r\n").body, CommandBody::Namespace);
    let CommandBody::Compress { algorithm } = parse("a COMPRESS DEFLATE\r\n").body else {
        panic!()
    };
    assert_eq!(algorithm.as_str(), "DEFLATE");
}

#[test]
fn unauthenticate_takes_no_arguments() {
    // RFC 8437 §6: `command-auth =/ "UNAUTHENTICATE"`, any case.
    assert_eq!(
        parse("a UNAUTHENTICATE\r\n").body,
        CommandBody::Unauthenticate
    );
    assert_eq!(
        parse("a unAuthenticate\r\n").body,
        CommandBody::Unauthenticate
    );
    let limits = ParseLimits::default();
    assert!(parse::command(b"a UNAUTHENTICATE now\r\n", &limits).is_err());
    assert!(parse::command(b"a UNAUTHENTICATE \r\n", &limits).is_err());
    assert!(parse::command(b"a UNAUTHENTICATED\r\n", &limits).is_err());
}

#[test]
fn id_and_enable() {
    let CommandBody::Id(Some(params)) = parse(
        "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")\r\n",
    )
    .body
    else {
        panic!()
    };
    assert_eq!(params.len(), 3);
    assert_eq!(
        params[2].1.as_bytes(),
        Some(&b"Pink Floyd Music Limited"[..])
    );
    assert_eq!(parse("a ID NIL\r\n").body, CommandBody::Id(None));
    assert_eq!(
        parse("a ID (\"x\" NIL)\r\n").body,
        CommandBody::Id(Some(vec![("x".try_into().unwrap(), Default::default())]))
    );
    let CommandBody::Enable(caps) = parse("t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n").body else {
        panic!()
    };
    assert_eq!(caps[0], Capability::CondStore);
    assert_eq!(caps[1].to_string(), "X-GOOD-IDEA");
    assert!(error("t2 ENABLE\r\n").tag().is_some());
}

#[test]
fn condstore_and_qresync() {
    assert_eq!(
        parse("a103 SELECT INBOX (CONDSTORE)\r\n").body,
        CommandBody::Select {
            mailbox: Mailbox::INBOX,
            params: vec![SelectParam::CondStore]
        }
    );
    let CommandBody::Fetch { modifiers, .. } =
        parse("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        modifiers,
        vec![FetchModifier::ChangedSince(NonZeroU64::new(12345).unwrap())]
    );
    let CommandBody::Fetch { modifiers, .. } =
        parse("s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n").body
    else {
        panic!()
    };
    assert_eq!(modifiers[1], FetchModifier::Vanished);
    let CommandBody::Store {
        unchanged_since,
        action,
        ..
    } = parse("a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n")
        .body
    else {
        panic!()
    };
    assert_eq!(unchanged_since, Some(12121230045));
    assert!(action.silent);
    let CommandBody::Search { criteria, .. } =
        parse("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n").body
    else {
        panic!()
    };
    let SearchKey::ModSeq {
        entry: Some(entry),
        modseq,
    } = &criteria[0]
    else {
        panic!()
    };
    assert_eq!(
        (&entry.flag, entry.entry_type, *modseq),
        (&Flag::Draft, EntryType::All, 620162338)
    );
    let CommandBody::Select { params, .. } =
        parse("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n").body
    else {
        panic!()
    };
    let SelectParam::QResync(q) = &params[0] else {
        panic!()
    };
    assert_eq!(q.uid_validity.get(), 67890007);
    assert_eq!(q.known_uids, Some(set("41,43:211,214:541")));
    let CommandBody::Select { params, .. } = parse(
        "B01 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 \
         (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n",
    )
    .body
    else {
        panic!()
    };
    let SelectParam::QResync(q) = &params[0] else {
        panic!()
    };
    assert!(q.seq_match.is_some());
    parse("A03 EXAMINE INBOX (QRESYNC (1 2 (1 1)))\r\n");
}

#[test]
fn list_extended_status_and_special_use() {
    let CommandBody::List {
        selection,
        patterns,
        return_options,
        ..
    } = parse("A02 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"*\" RETURN (CHILDREN)\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        selection,
        vec![
            ListSelectOption::Subscribed,
            ListSelectOption::RecursiveMatch
        ]
    );
    assert_eq!(patterns[0].as_str(), "*");
    assert_eq!(return_options, vec![ListReturnOption::Children]);
    parse("A03 LIST () \"\" \"%\" RETURN (CHILDREN)\r\n");
    parse("A04 LIST (REMOTE) \"\" \"%\" RETURN (CHILDREN)\r\n");
    let CommandBody::List { patterns, .. } =
        parse("F01 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")\r\n").body
    else {
        panic!()
    };
    assert_eq!(patterns.len(), 3);
    let CommandBody::List { return_options, .. } =
        parse("A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        return_options,
        vec![ListReturnOption::Status(ne(vec![
            StatusItem::Messages,
            StatusItem::Unseen
        ]))]
    );
    parse("t1 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\n");
    parse("t1 LIST (SPECIAL-USE) \"\" \"*\"\r\n");
    let CommandBody::Create { special_use, .. } =
        parse("t3 CREATE MySpecial (USE (\\Drafts \\Sent))\r\n").body
    else {
        panic!()
    };
    assert_eq!(special_use.len(), 2);
    assert_eq!(special_use[1].as_str(), "Sent");
    let CommandBody::Status { items, .. } =
        parse("t STATUS INBOX (MESSAGES SIZE HIGHESTMODSEQ)\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        items,
        vec![
            StatusItem::Messages,
            StatusItem::Size,
            StatusItem::HighestModSeq
        ]
    );
}

fn oid(s: &str) -> ObjectId<'_> {
    ObjectId::try_from(s).unwrap()
}

#[test]
fn rfc8474_objectid() {
    // §4.2: STATUS asks for MAILBOXID (any case).
    assert_eq!(
        parse("7 status renamed (mailboxid)\r\n").body,
        CommandBody::Status {
            mailbox: Mailbox::new("renamed").unwrap(),
            items: ne(vec![StatusItem::MailboxId])
        }
    );
    let CommandBody::Status { items, .. } =
        parse("t STATUS INBOX (MESSAGES MAILBOXID UIDNEXT)\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        items,
        vec![
            StatusItem::Messages,
            StatusItem::MailboxId,
            StatusItem::UidNext
        ]
    );
    // LIST-STATUS carries the same items.
    let CommandBody::List { return_options, .. } =
        parse("A01 LIST \"\" % RETURN (STATUS (MAILBOXID))\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        return_options,
        vec![ListReturnOption::Status(ne(vec![StatusItem::MailboxId]))]
    );
    // §5: FETCH asks for EMAILID and THREADID.
    assert_eq!(
        parse("27 fetch 1:* (emailid threadid)\r\n").body,
        CommandBody::Fetch {
            uid: false,
            set: set("1:*"),
            items: FetchItems::Attributes(ne(vec![
                FetchAttribute::EmailId,
                FetchAttribute::ThreadId
            ])),
            modifiers: vec![]
        }
    );
    let CommandBody::Fetch { items, .. } = parse("t UID FETCH 1 THREADID\r\n").body else {
        panic!()
    };
    assert_eq!(
        items,
        FetchItems::Attributes(NonEmptyVec::one(FetchAttribute::ThreadId))
    );
    // §6: SEARCH by EMAILID and THREADID.
    let CommandBody::Search { criteria, .. } = parse("27 search emailid M6d99ac3275bb4e\r\n").body
    else {
        panic!()
    };
    assert_eq!(criteria, vec![SearchKey::EmailId(oid("M6d99ac3275bb4e"))]);
    let CommandBody::Search { criteria, .. } = parse("28 search threadid T64b478a75b7ea9\r\n").body
    else {
        panic!()
    };
    assert_eq!(criteria, vec![SearchKey::ThreadId(oid("T64b478a75b7ea9"))]);
    let CommandBody::Search { criteria, .. } =
        parse("t UID SEARCH OR EMAILID a_1 (THREADID NIL) EMAILID -\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        criteria,
        vec![
            SearchKey::Or(
                Box::new(SearchKey::EmailId(oid("a_1"))),
                Box::new(SearchKey::And(ne(vec![SearchKey::ThreadId(oid("NIL"))])))
            ),
            SearchKey::EmailId(oid("-"))
        ]
    );
    // The longest id the grammar allows, and one more.
    let id = "x".repeat(255);
    parse(&format!("t SEARCH EMAILID {id}\r\n"));
    let e = error(&format!("t SEARCH EMAILID {id}x\r\n"));
    assert!(e.to_string().contains("at most 255"), "{e}");
    assert_eq!(e.tag().unwrap().as_str(), "t");
    // Not an objectid: quoted, empty, other characters.
    for bad in [
        "t SEARCH EMAILID \"M1\"\r\n",
        "t SEARCH EMAILID\r\n",
        "t SEARCH THREADID \r\n",
        "t SEARCH EMAILID M.1\r\n",
        "t SEARCH THREADID (T1)\r\n",
        "t FETCH 1 EMAILID.PEEK\r\n",
        "t STATUS INBOX (MAILBOXIDS)\r\n",
    ] {
        error(bad);
    }
    let e = error("t SEARCH EMAILID \"M1\"\r\n");
    assert!(e.to_string().contains("expected an object id"), "{e}");
}

#[test]
fn esearch_and_searchres() {
    let CommandBody::Search { return_options, .. } =
        parse("A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n")
            .body
    else {
        panic!()
    };
    assert_eq!(
        return_options,
        Some(vec![SearchReturnOption::Min, SearchReturnOption::Count])
    );
    let CommandBody::Search { return_options, .. } =
        parse("A283 SEARCH RETURN () FLAGGED\r\n").body
    else {
        panic!()
    };
    assert_eq!(return_options, Some(vec![]));
    parse("A282 SEARCH RETURN (SAVE) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n");
    let CommandBody::Fetch { set: s, .. } =
        parse("A283 FETCH $ (UID INTERNALDATE FLAGS RFC822.SIZE)\r\n").body
    else {
        panic!()
    };
    assert!(s.is_saved());
    let CommandBody::Search { criteria, .. } = parse("A301 UID SEARCH UID $ SMALLER 4096\r\n").body
    else {
        panic!()
    };
    assert_eq!(criteria[0], SearchKey::Uid(SequenceSet::Saved));
    parse("a UID SEARCH RETURN (ALL) CHARSET UTF-8 ALL\r\n");
}

#[test]
fn esort_and_partial_return_options() {
    let nz = |n| NonZeroU32::new(n).unwrap();
    // RFC 5267 §3.2: SORT with RETURN options.
    let CommandBody::Sort {
        return_options: Some(opts),
        criteria,
        ..
    } = parse("A282 SORT RETURN (MIN MAX) (DATE) UTF-8 SINCE 1-Feb-1994\r\n").body
    else {
        panic!()
    };
    assert_eq!(opts, [SearchReturnOption::Min, SearchReturnOption::Max]);
    assert_eq!(criteria[0].key, SortKey::Date);
    // RFC 9394 §3: PARTIAL from the start and from the end, either order.
    let CommandBody::Search {
        return_options: Some(opts),
        ..
    } = parse("E01 UID SEARCH RETURN (PARTIAL 1:500) UNDELETED\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        opts,
        [SearchReturnOption::Partial(PartialRange::new(
            false,
            nz(1),
            nz(500)
        ))]
    );
    let CommandBody::Sort {
        return_options: Some(opts),
        ..
    } = parse("E02 UID SORT RETURN (PARTIAL -1:-100 COUNT) (DATE) UTF-8 ALL\r\n").body
    else {
        panic!()
    };
    let last = PartialRange::new(true, nz(100), nz(1));
    assert_eq!(
        opts,
        [SearchReturnOption::Partial(last), SearchReturnOption::Count]
    );
    assert_eq!((last.low().get(), last.high().get()), (1, 100));
    for bad in [
        "a SEARCH RETURN (PARTIAL 1) ALL\r\n",
        "a SEARCH RETURN (PARTIAL 1:*) ALL\r\n",
        "a SEARCH RETURN (PARTIAL *:1) ALL\r\n",
        "a SEARCH RETURN (PARTIAL 0:3) ALL\r\n",
        "a SEARCH RETURN (PARTIAL -1:5) ALL\r\n",
        "a SEARCH RETURN (PARTIAL 1:-5) ALL\r\n",
        "a SORT RETURN (PARTIAL) (DATE) UTF-8 ALL\r\n",
        "a SORT RETURN (MIN) UTF-8 ALL\r\n",
    ] {
        let e = error(bad);
        assert!(!e.to_string().is_empty(), "{bad:?}");
    }
}

#[test]
fn rfc5267_context_update_and_cancelupdate() {
    let CommandBody::Search {
        return_options: Some(opts),
        ..
    } = parse("B01 UID SEARCH RETURN (UPDATE CONTEXT COUNT) FROM \"alice\"\r\n").body
    else {
        panic!()
    };
    assert_eq!(
        opts,
        [
            SearchReturnOption::Update,
            SearchReturnOption::Context,
            SearchReturnOption::Count
        ]
    );
    let CommandBody::CancelUpdate(tags) = parse("B02 CANCELUPDATE \"B01\" \"A1\"\r\n").body else {
        panic!()
    };
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0].as_bytes(), b"B01");
    assert!(!error("B03 CANCELUPDATE\r\n").to_string().is_empty());
}

#[test]
fn sort_and_thread() {
    let CommandBody::Sort {
        criteria,
        charset,
        keys,
        uid: false,
        return_options: None,
    } = parse("A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n").body
    else {
        panic!()
    };
    assert_eq!(criteria[0].key, SortKey::Subject);
    assert!(charset.is_utf8());
    assert_eq!(keys, vec![SearchKey::Since(date(1994, 2, 1))]);
    let CommandBody::Sort { criteria, .. } =
        parse("A283 UID SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n").body
    else {
        panic!()
    };
    assert!(!criteria[0].reverse && criteria[1].reverse);
    assert_eq!(criteria[1].key, SortKey::Date);
    let CommandBody::Thread { algorithm, .. } =
        parse("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n").body
    else {
        panic!()
    };
    assert_eq!(algorithm, ThreadAlgorithm::OrderedSubject);
    let CommandBody::Thread { algorithm, uid, .. } =
        parse("A284 UID THREAD REFERENCES US-ASCII TEXT \"gewp\"\r\n").body
    else {
        panic!()
    };
    assert_eq!((algorithm, uid), (ThreadAlgorithm::References, true));
}

#[test]
fn multiappend_with_dates_and_literal8() {
    let line = b"A003 APPEND saved-messages (\\Seen) {3}\r\nabc (\\Seen $Draft) \" 1-Jul-2002 22:35:08 -0700\" {2+}\r\nde \"11-Jul-2002 01:00:00 +0000\" ~{3}\r\nf\0g\r\n";
    let CommandBody::Append { messages, .. } = parse_bytes(line).body else {
        panic!()
    };
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1].flags.len(), 2);
    assert_eq!(messages[1].date.unwrap().zone_minutes(), -420);
    assert_eq!(
        messages[1].data.literal().unwrap().mode(),
        hadron_proto::types::LiteralMode::NonSync
    );
    assert!(messages[2].data.literal().unwrap().is_binary());
    assert_eq!(messages[2].data.literal().unwrap().data(), b"f\0g");
}

/// The CATENATE parts of message `n` of an APPEND.
fn cat_parts(c: Command<'_>, n: usize) -> Vec<CatPart<'_>> {
    let CommandBody::Append { messages, .. } = c.body else {
        panic!("not an APPEND")
    };
    match &messages[n].data {
        AppendData::Catenate(parts) => parts.to_vec(),
        AppendData::Literal(_) => panic!("message {n} is a literal"),
    }
}

fn url(s: &str) -> CatPart<'static> {
    CatPart::Url(astr(s).into_static())
}

#[test]
fn rfc4469_catenate_examples() {
    // RFC 4469 §4 (first example, the client waiting for each `+`).
    let line = "A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE \
        (URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER\" \
        TEXT {42}\r\n\r\n--------------030308070208000400050907\r\n \
        URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME\" \
        URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1\" \
        TEXT {42}\r\n\r\n--------------030308070208000400050907\r\n \
        URL \"/Drafts;UIDVALIDITY=385759045/;UID=30\" \
        TEXT {44}\r\n\r\n--------------030308070208000400050907--\r\n)\r\n";
    let c = parse(line);
    let CommandBody::Append { messages, .. } = &c.body else {
        panic!()
    };
    assert_eq!(messages[0].flags.len(), 3);
    let parts = cat_parts(c.clone(), 0);
    assert_eq!(parts.len(), 7);
    assert_eq!(
        parts[0],
        url("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER")
    );
    let CatPart::Text(t) = &parts[1] else {
        panic!("{:?}", parts[1])
    };
    assert_eq!(t.data(), b"\r\n--------------030308070208000400050907\r\n");
    assert_eq!(parts[5], url("/Drafts;UIDVALIDITY=385759045/;UID=30"));
    // RFC 4469 §4 (second example): LITERAL+ inside CATENATE, keyword in
    // any case, a URL as an atom.
    let parts = cat_parts(
        parse("A003 APPEND Drafts catenate (text {3+}\r\nabc url /Drafts/;UID=1)\r\n"),
        0,
    );
    assert_eq!(parts[1], url("/Drafts/;UID=1"));
    let CatPart::Text(t) = &parts[0] else {
        panic!()
    };
    assert_eq!(t.mode(), hadron_proto::types::LiteralMode::NonSync);
}

#[test]
fn catenate_in_multiappend_and_with_literal8() {
    let line = b"a APPEND x CATENATE (TEXT ~{3}\r\nf\0g) (\\Seen) {2}\r\nhi \
        \"11-Jul-2002 01:00:00 +0000\" CATENATE (URL \"/x/;UID=2\")\r\n";
    let c = parse_bytes(line);
    let CommandBody::Append { messages, .. } = &c.body else {
        panic!()
    };
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1].data.literal().unwrap().data(), b"hi");
    assert!(messages[2].date.is_some());
    let CatPart::Text(t) = &cat_parts(c.clone(), 0)[0] else {
        panic!()
    };
    assert!(t.is_binary());
    assert_eq!(cat_parts(c, 2), vec![url("/x/;UID=2")]);
}

#[test]
fn malformed_catenate_is_an_error() {
    for line in [
        "a APPEND x CATENATE ()\r\n",
        "a APPEND x CATENATE\r\n",
        "a APPEND x CATENATE (TEXT \"abc\")\r\n",
        "a APPEND x CATENATE (URL)\r\n",
        "a APPEND x CATENATE (BODY {1}\r\nx)\r\n",
        "a APPEND x CATENATE (URL /x/;UID=1\r\n",
        "a APPEND x CATENATE (URL /x/;UID=1  URL /x/;UID=2)\r\n",
        "a APPEND x CONCATENATE (URL /x/;UID=1)\r\n",
        "a APPEND x (\\Seen) CATENATE(URL /x/;UID=1)\r\n",
    ] {
        let e = error(line);
        assert_eq!(e.tag().map(|t| t.as_str()), Some("a"), "{line:?}");
    }
    // A literal TEXT holding NUL needs literal8.
    error("a APPEND x CATENATE (TEXT {1}\r\n\0)\r\n");
}

#[test]
fn literal_plus_login() {
    let c = parse("A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n");
    assert_eq!(
        c.body,
        CommandBody::Login {
            username: astr("FRED FOOBAR"),
            password: astr("fat man")
        }
    );
}

// ---- Edge cases -----------------------------------------------------------

#[test]
fn empty_literal_is_fine() {
    let c = parse("a LOGIN {0}\r\n {0}\r\n\r\n");
    assert_eq!(
        c.body,
        CommandBody::Login {
            username: astr(""),
            password: astr("")
        }
    );
    let CommandBody::Append { messages, .. } = parse("a APPEND INBOX {0}\r\n\r\n").body else {
        panic!()
    };
    assert!(messages[0].data.literal().unwrap().data().is_empty());
}

#[test]
fn eight_bit_in_quoted_strings_is_rejected() {
    let e = parse::command(
        "a LOGIN \"jos\u{e9}\" x\r\n".as_bytes(),
        &ParseLimits::default(),
    )
    .unwrap_err();
    assert_eq!(e.tag().unwrap().as_str(), "a");
    assert_eq!(e.kind(), CommandErrorKind::Syntax);
    // The same bytes in a literal are fine.
    parse("a LOGIN {5}\r\njos\u{e9} x\r\n");
}

#[test]
fn bad_sequence_sets_are_rejected() {
    for line in [
        "a FETCH 1:*:2 FLAGS\r\n",
        "a FETCH 0 FLAGS\r\n",
        "a FETCH 1:0 FLAGS\r\n",
        "a FETCH 01 FLAGS\r\n",
        "a FETCH 4294967296 FLAGS\r\n",
        "a SEARCH UID 0\r\n",
        "a COPY , INBOX\r\n",
    ] {
        let e = error(line);
        assert_eq!(e.tag().unwrap().as_str(), "a", "{line}");
    }
    parse("a FETCH 4294967295 FLAGS\r\n");
}

#[test]
fn huge_numbers_are_rejected() {
    error("a SEARCH LARGER 99999999999999999999\r\n");
    error("a STORE 1 (UNCHANGEDSINCE 9223372036854775808) FLAGS ()\r\n");
    parse("a STORE 1 (UNCHANGEDSINCE 9223372036854775807) FLAGS ()\r\n");
    error("a FETCH 1 FLAGS (CHANGEDSINCE 0)\r\n");
    error("a FETCH 1 BODY[]<0.0>\r\n");
    error("a APPEND INBOX {99999999999999999999}\r\nx\r\n");
}

#[test]
fn invalid_utf7_mailbox_names_parse_raw_and_write_back_as_received() {
    // Valid astrings that are not modified UTF-7: the command is well
    // formed (the server answers NO), and encodes back byte for byte.
    for (line, name) in [
        ("a SELECT &Jjo\r\n", "&Jjo"),
        ("a CREATE \"&AGE-\"\r\n", "&AGE-"),
        ("a RENAME x &-&\r\n", "&-&"),
    ] {
        let cmd = parse(line);
        let mailbox = match &cmd.body {
            CommandBody::Select { mailbox, .. } | CommandBody::Create { mailbox, .. } => mailbox,
            CommandBody::Rename { to, .. } => to,
            other => panic!("{other:?}"),
        };
        assert!(mailbox.is_raw(), "{line}");
        assert_eq!(mailbox.as_str(), name);
    }
    let CommandBody::List { patterns, .. } = parse("a LIST \"\" &bad\r\n").body else {
        panic!()
    };
    assert!(patterns.as_slice()[0].is_raw());
    // A name that is not even UTF-8 is still refused, with the tag.
    let e = parse::command(b"a SELECT {2}\r\n\xff&\r\n", &ParseLimits::default())
        .expect_err("not UTF-8");
    assert!(e.tag().is_some());
    let CommandBody::Select { mailbox, .. } = parse("a SELECT &ZeVnLIqe-\r\n").body else {
        panic!()
    };
    assert_eq!(mailbox.as_str(), "日本語");
}

#[test]
fn line_endings_and_trailing_garbage() {
    let e = error("a NOOP\n");
    assert_eq!(e.tag().unwrap().as_str(), "a");
    error("a NOOP");
    error("a NOOP\r");
    error("a NOOP \r\n");
    error("a NOOP\r\n\r\n");
    error("a NOOP\r\nb NOOP\r\n");
    error("a SELECT INBOX extra\r\n");
    error("a LOGIN a b\n");
}

#[test]
fn unknown_command_keeps_the_tag() {
    let e = error("a001 FOOBAR baz\r\n");
    assert_eq!(e.tag().unwrap().as_str(), "a001");
    assert_eq!(e.kind(), CommandErrorKind::UnknownCommand);
    assert_eq!(e.to_string(), "unknown command FOOBAR");
    let e = error("x1 XATOM\r\n");
    assert_eq!(e.kind(), CommandErrorKind::UnknownCommand);
    let e = error("x1 UID FROB 1\r\n");
    assert_eq!(e.tag().unwrap().as_str(), "x1");
}

#[test]
fn errors_say_where_and_what() {
    let e = error("t1 SEARCH XYZ\r\n");
    assert_eq!(e.tag().unwrap().as_str(), "t1");
    assert_eq!(e.to_string(), "SEARCH: expected a search key at 'XYZ'");
    let e = error("t1 UID FETCH 1 FLAGZ\r\n");
    assert!(
        e.to_string()
            .starts_with("UID FETCH: expected a fetch attribute"),
        "{e}"
    );
}

#[test]
fn missing_or_bad_tag() {
    for line in ["\r\n", " NOOP\r\n", "a+b NOOP\r\n", "(x NOOP\r\n"] {
        let e = error(line);
        assert!(e.tag().is_none() || line.starts_with("a+"), "{line}: {e}");
    }
    assert_eq!(error("\r\n").kind(), CommandErrorKind::MissingTag);
    // A tag without a command.
    assert_eq!(error("abc\r\n").tag().unwrap().as_str(), "abc");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let limits = ParseLimits::default();
    for depth in [limits.max_search_depth + 1, 10_000, 200_000] {
        let line = format!("a SEARCH {}ALL{}\r\n", "(".repeat(depth), ")".repeat(depth));
        let e = parse::command(line.as_bytes(), &limits).unwrap_err();
        assert_eq!(e.kind(), CommandErrorKind::TooDeep, "{depth}");
        assert_eq!(e.tag().unwrap().as_str(), "a");
        let line = format!("a SEARCH {}ALL\r\n", "NOT ".repeat(depth));
        let e = parse::command(line.as_bytes(), &limits).unwrap_err();
        assert_eq!(e.kind(), CommandErrorKind::TooDeep, "{depth}");
        let line = format!("a SEARCH {}ALL{}\r\n", "OR ALL ".repeat(depth), "");
        let e = parse::command(line.as_bytes(), &limits).unwrap_err();
        assert_eq!(e.kind(), CommandErrorKind::TooDeep, "{depth}");
    }
    // Exactly at the limit is fine.
    let depth = limits.max_search_depth - 1;
    let line = format!("a SEARCH {}ALL{}\r\n", "(".repeat(depth), ")".repeat(depth));
    parse(&line);
}

#[test]
fn key_and_sequence_limits() {
    let limits = ParseLimits {
        max_search_keys: 3,
        max_sequence_items: 2,
        ..ParseLimits::default()
    };
    assert!(parse::command(b"a SEARCH SEEN NOT DRAFT\r\n", &limits).is_ok());
    let e = parse::command(b"a SEARCH SEEN NOT (DRAFT OLD)\r\n", &limits).unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::TooMany);
    assert!(parse::command(b"a FETCH 1,2 FLAGS\r\n", &limits).is_ok());
    let e = parse::command(b"a FETCH 1,2,3 FLAGS\r\n", &limits).unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::TooMany);
    assert_eq!(e.tag().unwrap().as_str(), "a");
    // Many keys without nesting: a long flat search within the default limit.
    let line = format!("a SEARCH{}\r\n", " SEEN".repeat(1000));
    assert!(parse::command(line.as_bytes(), &ParseLimits::default()).is_ok());
    let line = format!("a SEARCH{}\r\n", " SEEN".repeat(1001));
    assert!(parse::command(line.as_bytes(), &ParseLimits::default()).is_err());
}

#[test]
fn malformed_arguments_keep_the_tag() {
    for line in [
        "t LOGIN onlyuser\r\n",
        "t SELECT\r\n",
        "t STATUS INBOX ()\r\n",
        "t STATUS INBOX (FOO)\r\n",
        "t FETCH 1 ()\r\n",
        "t STORE 1 FLAGS\r\n",
        "t STORE 1 +FLAGZ (\\Seen)\r\n",
        "t LIST \"\"\r\n",
        "t LIST \"\" ()\r\n",
        "t APPEND INBOX\r\n",
        "t APPEND INBOX (\\Seen)\r\n",
        "t SEARCH\r\n",
        "t SEARCH BEFORE 31-Feb-2000\r\n",
        "t SEARCH (SEEN\r\n",
        "t SORT () UTF-8 ALL\r\n",
        "t SORT (SIZE) UTF-8\r\n",
        "t SELECT INBOX ()\r\n",
        "t ID (\"a\")\r\n",
        "t FETCH 1 BODY[MIME]\r\n",
        "t APPEND INBOX {5}\r\nab\r\n",
    ] {
        let e = error(line);
        assert_eq!(e.tag().map(|t| t.as_str()), Some("t"), "{line}: {e}");
    }
}

#[test]
fn recursivematch_needs_a_base_option() {
    // RFC 5258 §3: "RECURSIVEMATCH ... MUST NOT occur as the only selection option".
    let e = error("A06 LIST (RECURSIVEMATCH) \"\" \"%\"\r\n");
    assert_eq!(e.tag().unwrap().as_str(), "A06");
    let e = error("A06 LIST (REMOTE RECURSIVEMATCH) \"\" \"%\"\r\n");
    assert!(e.to_string().contains("RECURSIVEMATCH"), "{e}");
    parse("A05 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"\r\n");
}

#[test]
fn error_snippets_stop_at_the_line_end() {
    assert_eq!(
        error("a NOOP\n").to_string(),
        "NOOP: expected CRLF at '\\n'"
    );
    assert_eq!(
        error("a LOGIN x\r\n").to_string(),
        "LOGIN: expected SP at '\\r\\n'"
    );
    assert_eq!(
        error("a STATUS INBOX (FOO)\r\n").to_string(),
        "STATUS: expected a status item at 'FOO)'"
    );
}

#[test]
fn qresync_sets_obey_the_sequence_limit() {
    let limits = ParseLimits {
        max_sequence_items: 2,
        ..ParseLimits::default()
    };
    let e = parse::command(b"a SELECT INBOX (QRESYNC (1 2 1,2,3))\r\n", &limits).unwrap_err();
    assert_eq!(e.kind(), CommandErrorKind::TooMany);
}

// ---- RFC 9208 (QUOTA) ------------------------------------------------------

#[test]
fn rfc9208_getquota_getquotaroot_setquota_examples() {
    use hadron_proto::types::{QuotaLimit, QuotaResource};
    assert_eq!(
        parse("G0001 GETQUOTA \"!partition/sda4\"\r\n").body,
        CommandBody::GetQuota {
            root: astr("!partition/sda4")
        }
    );
    assert_eq!(
        parse("G0002 GETQUOTAROOT INBOX\r\n").body,
        CommandBody::GetQuotaRoot {
            mailbox: Mailbox::INBOX
        }
    );
    assert_eq!(
        parse("S0001 SETQUOTA \"#user/alice\" (STORAGE 510)\r\n").body,
        CommandBody::SetQuota {
            root: astr("#user/alice"),
            limits: vec![QuotaLimit {
                resource: QuotaResource::Storage,
                limit: 510
            }]
        }
    );
    // Hadron's one root is the empty name; an empty list removes every limit;
    // resource names are case-insensitive and unknown ones are kept.
    assert_eq!(
        parse("a setquota \"\" (message 1000 storage 0 X-FOO 7)\r\n").body,
        CommandBody::SetQuota {
            root: astr(""),
            limits: vec![
                QuotaLimit {
                    resource: QuotaResource::Message,
                    limit: 1000
                },
                QuotaLimit {
                    resource: QuotaResource::Storage,
                    limit: 0
                },
                QuotaLimit {
                    resource: QuotaResource::Other("X-FOO".try_into().unwrap()),
                    limit: 7
                },
            ]
        }
    );
    assert_eq!(
        parse("a SETQUOTA \"\" ()\r\n").body,
        CommandBody::SetQuota {
            root: astr(""),
            limits: vec![]
        }
    );
}

#[test]
fn malformed_quota_commands_are_errors() {
    for line in [
        "a GETQUOTA\r\n",
        "a GETQUOTAROOT\r\n",
        "a SETQUOTA \"\"\r\n",
        "a SETQUOTA \"\" STORAGE 1\r\n",
        "a SETQUOTA \"\" (STORAGE)\r\n",
        "a SETQUOTA \"\" (STORAGE x)\r\n",
        "a SETQUOTA \"\" (STORAGE -1)\r\n",
        "a SETQUOTA \"\" (STORAGE 9223372036854775808)\r\n",
        "a SETQUOTA \"\" (STORAGE 1 )\r\n",
    ] {
        let e = error(line);
        assert_eq!(e.tag().map(|t| t.as_str()), Some("a"), "{line}");
    }
}

#[test]
fn rfc7889_appendlimit_status_item() {
    assert_eq!(
        parse("t1 STATUS INBOX (APPENDLIMIT)\r\n").body,
        CommandBody::Status {
            mailbox: Mailbox::INBOX,
            items: ne(vec![StatusItem::AppendLimit])
        }
    );
}

#[test]
fn rfc5465_notify_examples() {
    use hadron_proto::types::{EventGroup, MailboxFilter, NotifyEvent, NotifyRequest};
    let notify = |line: &str| match parse(line).body {
        CommandBody::Notify(r) => r.into_static(),
        other => panic!("{other:?}"),
    };
    assert_eq!(notify("a NOTIFY NONE\r\n"), NotifyRequest::None);
    // §8's example: the selected mailbox with FETCH items, then every
    // personal mailbox's names and subscriptions.
    let r = notify(
        "a NOTIFY SET (selected (MessageNew (uid body.peek[header.fields (from to subject)]) \
         MessageExpunge)) (subtree Lists (MessageNew MessageExpunge)) (mailboxes misc (MessageNew))\r\n",
    );
    assert!(
        matches!(r, NotifyRequest::Set { status: false, .. }),
        "{r:?}"
    );
    let r = notify(
        "a notify set status (selected-delayed (MessageNew MessageExpunge FlagChange)) \
         (personal (MailboxName SubscriptionChange)) (subtree (Lists \"a b\") NONE) \
         (MAILBOXES INBOX (MessageNew (UID FLAGS) MessageExpunge X-Other))\r\n",
    );
    let NotifyRequest::Set { status, groups } = r else {
        panic!("{r:?}")
    };
    assert!(status);
    let groups = groups.into_vec();
    assert_eq!(
        groups[0],
        EventGroup {
            filter: MailboxFilter::SelectedDelayed,
            events: vec![
                NotifyEvent::MessageNew(vec![]),
                NotifyEvent::MessageExpunge,
                NotifyEvent::FlagChange
            ],
        }
    );
    assert_eq!(groups[1].filter, MailboxFilter::Personal);
    assert_eq!(
        groups[2].filter,
        MailboxFilter::Subtree(ne(vec![
            Mailbox::new("Lists").unwrap(),
            Mailbox::new("a b").unwrap()
        ]))
    );
    assert!(groups[2].events.is_empty(), "NONE");
    assert_eq!(
        groups[3].events[0],
        NotifyEvent::MessageNew(vec![FetchAttribute::Uid, FetchAttribute::Flags])
    );
    assert_eq!(groups[3].events[2].name(), "X-Other");
}

#[test]
fn malformed_notify_commands_are_errors() {
    for line in [
        "a NOTIFY\r\n",
        "a NOTIFY SET\r\n",
        "a NOTIFY SET STATUS\r\n",
        "a NOTIFY SET ()\r\n",
        "a NOTIFY SET (selected)\r\n",
        "a NOTIFY SET (selected ())\r\n",
        "a NOTIFY SET (nowhere (MessageNew))\r\n",
        "a NOTIFY SET (subtree (MessageNew))\r\n",
        "a NOTIFY SET (mailboxes () (MessageNew))\r\n",
        "a NOTIFY SET (selected (MessageNew ()))\r\n",
        "a NOTIFY SET (selected (MessageNew)) \r\n",
        "a NOTIFY SOMETIMES\r\n",
        "a NOTIFY NONE (selected (MessageNew))\r\n",
    ] {
        let e = error(line);
        assert_eq!(e.tag().map(|t| t.as_str()), Some("a"), "{line:?}: {e}");
    }
}
