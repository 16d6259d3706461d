//! Extended LIST through a session, against the store: LIST-EXTENDED's
//! selection and return options (RFC 5258, with RFC 6154's SPECIAL-USE),
//! LIST-STATUS (RFC 5819) and STATUS=SIZE (RFC 8438), after the RFCs'
//! examples (one personal namespace, delimiter `/`), their errors, and
//! plain LIST and LSUB answering as before.
//!
//! Every account starts with INBOX and the special-use mailboxes Archive,
//! Drafts, Junk, Sent and Trash, none of them subscribed.

mod common;

use common::{Client, Env, message};
use hadron_proto::parse::{self, ParseLimits};
use hadron_state::session::Session;

async fn ok(c: &mut Client, line: &str) {
    let r = c.run(line).await;
    assert!(
        r.last().is_some_and(|l| l.contains(" OK ")),
        "{line}: {r:?}"
    );
}

/// RFC 5258's fruit hierarchy: `Fruit/{Apple,Banana,Peach}`, `Tofu`,
/// `Vegetable/{Broccoli,Corn}`; subscribed: INBOX, `Fruit/Banana`,
/// `Fruit/Peach` (then deleted, so subscribed but no mailbox),
/// `Vegetable` and `Vegetable/Broccoli`.
async fn fruit(env: &Env) -> Client {
    let mut c = env.client("alice").await;
    for m in [
        "Fruit/Apple",
        "Fruit/Banana",
        "Fruit/Peach",
        "Tofu",
        "Vegetable/Broccoli",
        "Vegetable/Corn",
    ] {
        ok(&mut c, &format!("c CREATE {m}")).await;
    }
    for m in [
        "INBOX",
        "Fruit/Banana",
        "Fruit/Peach",
        "Vegetable",
        "Vegetable/Broccoli",
    ] {
        ok(&mut c, &format!("s SUBSCRIBE {m}")).await;
    }
    ok(&mut c, "d DELETE Fruit/Peach").await;
    c
}

/// The parser refuses `line`: the server answers such a command `BAD`
/// with the reason (hadron-server's handler), before any session sees it.
fn refused(line: &str) -> String {
    let input = format!("{line}\r\n");
    match parse::command(input.as_bytes(), &ParseLimits::default()) {
        Ok(cmd) => panic!("{line:?} parsed as {cmd:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_extensions_are_announced() {
    let caps: Vec<String> = Session::capabilities()
        .iter()
        .map(|c| c.to_string())
        .collect();
    for cap in [
        "LIST-EXTENDED",
        "LIST-STATUS",
        "STATUS=SIZE",
        "SPECIAL-USE",
        "CREATE-SPECIAL-USE",
    ] {
        assert!(caps.iter().any(|c| c == cap), "{cap} missing from {caps:?}");
    }
}

#[test]
fn unknown_or_lone_options_are_refused() {
    // RFC 5258 §3: unknown selection or return options, and RECURSIVEMATCH
    // without a base selection option, are BAD.
    assert!(refused("a LIST (IMAPTEST) \"\" \"\"").contains("selection option"));
    refused("a LIST (RECURSIVEMATCH) \"\" \"\"");
    refused("a LIST (RECURSIVEMATCH REMOTE) \"\" %");
    refused("a LIST \"\" \"\" RETURN (IMAPTEST)");
    refused("a LIST \"\" % RETURN (STATUS (MESSAGES BOGUS))");
    refused("a LIST \"\" % RETURN (STATUS ())");
    refused("a STATUS INBOX (SIZES)");
}

both! {
    async fn create_special_use(env) {
        // RFC 6154 §3: CREATE with USE gives the mailbox its attribute; an
        // attribute Hadron cannot assign is refused with USEATTR and
        // nothing is created.
        let mut c = env.client("alice").await;
        let r = c.run("a CREATE MyDrafts (USE (\\Drafts))").await;
        assert!(r[0].starts_with("a OK [MAILBOXID"), "{r:?}");
        // (A new user's default mailboxes carry their special uses too.)
        assert_eq!(
            c.run("b LIST (SPECIAL-USE) \"\" My*").await,
            [
                "* LIST (\\HasNoChildren \\Drafts) \"/\" MyDrafts",
                "b OK LIST completed",
            ]
        );
        assert_eq!(
            c.run("c CREATE Everything (USE (\\All))").await,
            ["c NO [USEATTR] cannot create a mailbox with special use \\All"]
        );
        assert_eq!(
            c.run("d CREATE Two (USE (\\Sent \\Trash))").await,
            ["d NO [USEATTR] a mailbox can have one special use"]
        );
        assert_eq!(
            c.run("e LIST \"\" Everything").await,
            ["e OK LIST completed"]
        );
    }

    async fn plain_list_and_lsub_answer_as_before(env) {
        let mut c = fruit(&env).await;
        assert_eq!(
            c.run("a LIST \"\" %").await,
            [
                "* LIST (\\HasNoChildren) \"/\" INBOX",
                "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
                "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
                "* LIST (\\HasChildren) \"/\" Fruit",
                "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
                "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
                "* LIST (\\HasNoChildren) \"/\" Tofu",
                "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
                "* LIST (\\HasChildren) \"/\" Vegetable",
                "a OK LIST completed",
            ]
        );
        assert_eq!(
            c.run("b LIST Fruit *").await,
            [
                "* LIST (\\HasNoChildren) \"/\" Fruit/Apple",
                "* LIST (\\HasNoChildren) \"/\" Fruit/Banana",
                "b OK LIST completed",
            ]
        );
        assert_eq!(
            c.run("c LIST \"\" \"\"").await,
            ["* LIST (\\Noselect) \"/\" \"\"", "c OK LIST completed"]
        );
        assert_eq!(
            c.run("d LSUB \"\" *").await,
            [
                "* LSUB () \"/\" INBOX",
                "* LSUB () \"/\" Fruit/Banana",
                "* LSUB (\\Noselect) \"/\" Fruit/Peach",
                "* LSUB () \"/\" Vegetable",
                "* LSUB () \"/\" Vegetable/Broccoli",
                "d OK LSUB completed",
            ]
        );
        // An empty selection and return list are a plain LIST, REMOTE too
        // (there are no remote mailboxes).
        let plain = c.run("e LIST \"\" *").await;
        assert_eq!(c.run("e LIST () \"\" * RETURN ()").await, plain);
        assert_eq!(c.run("e LIST (REMOTE) \"\" *").await, plain);
        // CHILDREN and SPECIAL-USE are always returned.
        assert_eq!(
            c.run("e LIST \"\" * RETURN (CHILDREN SPECIAL-USE)").await,
            plain
        );
    }

    async fn subscribed_selection_lists_subscriptions_with_nonexistent_ones(env) {
        let mut c = fruit(&env).await;
        // RFC 5258: `Fruit/Peach` is subscribed but no mailbox.
        assert_eq!(
            c.run("a LIST (SUBSCRIBED) \"\" *").await,
            [
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Fruit/Banana",
                "* LIST (\\NonExistent \\Subscribed) \"/\" Fruit/Peach",
                "* LIST (\\HasChildren \\Subscribed) \"/\" Vegetable",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Vegetable/Broccoli",
                "a OK LIST completed",
            ]
        );
        // Without RECURSIVEMATCH a parent of subscribed names is not
        // listed (unlike LSUB's \Noselect levels).
        assert_eq!(
            c.run("b LIST (SUBSCRIBED) \"\" Fruit").await,
            ["b OK LIST completed"]
        );
    }

    async fn return_subscribed_marks_subscribed_mailboxes(env) {
        let mut c = fruit(&env).await;
        assert_eq!(
            c.run("a LIST \"\" % RETURN (CHILDREN SUBSCRIBED)").await,
            [
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX",
                "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
                "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
                "* LIST (\\HasChildren) \"/\" Fruit",
                "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
                "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
                "* LIST (\\HasNoChildren) \"/\" Tofu",
                "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
                "* LIST (\\HasChildren \\Subscribed) \"/\" Vegetable",
                "a OK LIST completed",
            ]
        );
        // A subscription that is no mailbox is not listed without the
        // SUBSCRIBED selection.
        assert_eq!(
            c.run("b LIST \"\" Fruit/* RETURN (SUBSCRIBED)").await,
            [
                "* LIST (\\HasNoChildren) \"/\" Fruit/Apple",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Fruit/Banana",
                "b OK LIST completed",
            ]
        );
    }

    async fn several_patterns_list_each_mailbox_once(env) {
        let mut c = env.client("alice").await;
        for m in ["Sent/2024", "Sent/2025", "Sent/2025/Q1", "Drafts/old"] {
            ok(&mut c, &format!("c CREATE {m}")).await;
        }
        // RFC 5258: LIST "" ("INBOX" "Drafts" "Sent/%").
        assert_eq!(
            c.run("a LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")").await,
            [
                "* LIST (\\HasNoChildren) \"/\" INBOX",
                "* LIST (\\HasChildren \\Drafts) \"/\" Drafts",
                "* LIST (\\HasNoChildren) \"/\" Sent/2024",
                "* LIST (\\HasChildren) \"/\" Sent/2025",
                "a OK LIST completed",
            ]
        );
        assert_eq!(
            c.run("b LIST \"\" (Sent/* Sent/% *2025* Sent/2024)").await,
            [
                "* LIST (\\HasNoChildren) \"/\" Sent/2024",
                "* LIST (\\HasChildren) \"/\" Sent/2025",
                "* LIST (\\HasNoChildren) \"/\" Sent/2025/Q1",
                "b OK LIST completed",
            ]
        );
        // The reference applies to every pattern.
        assert_eq!(
            c.run("c LIST Sent (2024 2025/%)").await,
            [
                "* LIST (\\HasNoChildren) \"/\" Sent/2024",
                "* LIST (\\HasNoChildren) \"/\" Sent/2025/Q1",
                "c OK LIST completed",
            ]
        );
    }

    async fn recursivematch_names_parents_of_subscribed_children_the_pattern_misses(env) {
        let mut c = fruit(&env).await;
        // RFC 5258: Fruit is not subscribed but has a subscribed child `%`
        // does not reach; Vegetable is subscribed and has one too.
        assert_eq!(
            c.run("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" % RETURN (CHILDREN)").await,
            [
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX",
                "* LIST (\\HasChildren) \"/\" Fruit (\"CHILDINFO\" (\"SUBSCRIBED\"))",
                "* LIST (\\HasChildren \\Subscribed) \"/\" Vegetable \
                 (\"CHILDINFO\" (\"SUBSCRIBED\"))",
                "a OK LIST completed",
            ]
        );
        // `*` reaches the children themselves: no CHILDINFO.
        assert_eq!(
            c.run("b LIST (SUBSCRIBED RECURSIVEMATCH) \"\" *").await,
            c.run("b LIST (SUBSCRIBED) \"\" *").await
        );
        // A subscribed child of a name that is no mailbox at all.
        ok(&mut c, "s SUBSCRIBE Gone/Child").await;
        assert_eq!(
            c.run("c LIST (SUBSCRIBED RECURSIVEMATCH) \"\" G%").await,
            [
                "* LIST (\\NonExistent) \"/\" Gone (\"CHILDINFO\" (\"SUBSCRIBED\"))",
                "c OK LIST completed",
            ]
        );
    }

    async fn recursivematch_follows_the_rfc_example_with_star_2(env) {
        // RFC 5258's RECURSIVEMATCH example with the pattern `*2`.
        let mut c = env.client("alice").await;
        let subscribed = [
            "Foo2/Bar1",
            "Foo2/Bar2",
            "Baz2/Bar2",
            "Baz2/Bar22",
            "Baz2/Bar222",
            "Eps2",
            "Eps2/Mamba",
            "Qux2/Bar2",
        ];
        for m in subscribed {
            ok(&mut c, &format!("c CREATE {m}")).await;
            ok(&mut c, &format!("s SUBSCRIBE {m}")).await;
        }
        assert_eq!(
            c.run("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" *2").await,
            [
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Baz2/Bar2",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Baz2/Bar22",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Baz2/Bar222",
                "* LIST (\\HasChildren \\Subscribed) \"/\" Eps2 \
                 (\"CHILDINFO\" (\"SUBSCRIBED\"))",
                "* LIST (\\HasChildren) \"/\" Foo2 (\"CHILDINFO\" (\"SUBSCRIBED\"))",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Foo2/Bar2",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Qux2/Bar2",
                "a OK LIST completed",
            ]
        );
        // A child matched by another pattern is listed itself: no CHILDINFO.
        assert_eq!(
            c.run("b LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (Foo2 Foo2/Bar1)").await,
            [
                "* LIST (\\HasChildren) \"/\" Foo2 (\"CHILDINFO\" (\"SUBSCRIBED\"))",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Foo2/Bar1",
                "b OK LIST completed",
            ]
        );
        assert_eq!(
            c.run("c LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (Foo2 Foo2/%)").await,
            [
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Foo2/Bar1",
                "* LIST (\\HasNoChildren \\Subscribed) \"/\" Foo2/Bar2",
                "c OK LIST completed",
            ]
        );
    }

    async fn special_use_selection_lists_special_use_mailboxes(env) {
        let mut c = fruit(&env).await;
        // RFC 6154 §5.2 (one personal namespace).
        assert_eq!(
            c.run("a LIST (SPECIAL-USE) \"\" *").await,
            [
                "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
                "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
                "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
                "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
                "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
                "a OK LIST completed",
            ]
        );
        ok(&mut c, "s SUBSCRIBE Sent").await;
        assert_eq!(
            c.run("b LIST (SPECIAL-USE SUBSCRIBED) \"\" *").await,
            [
                "* LIST (\\HasNoChildren \\Sent \\Subscribed) \"/\" Sent",
                "b OK LIST completed",
            ]
        );
        assert_eq!(
            c.run("c LIST (SPECIAL-USE) \"\" Fruit/*").await,
            ["c OK LIST completed"]
        );
    }

    async fn list_status_follows_each_selectable_mailbox(env) {
        let mut c = env.client("alice").await;
        for (flags, subject) in [("\\Seen", "one"), ("", "two"), ("", "three")] {
            let r = c.append("p", "INBOX", flags, &message(subject)).await;
            assert!(r.last().unwrap().starts_with("p OK"), "{r:?}");
        }
        ok(&mut c, "c CREATE foo").await;
        let r = c.append("p", "foo", "", &message("four")).await;
        assert!(r.last().unwrap().starts_with("p OK"), "{r:?}");
        ok(&mut c, "c CREATE bar/baz").await;
        ok(&mut c, "d DELETE bar").await;
        // RFC 5819 §2's example: no STATUS for the \Noselect bar.
        let r = c
            .run("a LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))")
            .await;
        assert_eq!(
            r,
            [
                "* LIST (\\HasNoChildren) \"/\" INBOX",
                "* STATUS INBOX (MESSAGES 3 UNSEEN 2)",
                "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
                "* STATUS Archive (MESSAGES 0 UNSEEN 0)",
                "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
                "* STATUS Drafts (MESSAGES 0 UNSEEN 0)",
                "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
                "* STATUS Junk (MESSAGES 0 UNSEEN 0)",
                "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
                "* STATUS Sent (MESSAGES 0 UNSEEN 0)",
                "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
                "* STATUS Trash (MESSAGES 0 UNSEEN 0)",
                "* LIST (\\Noselect \\HasChildren) \"/\" bar",
                "* LIST (\\HasNoChildren) \"/\" foo",
                "* STATUS foo (MESSAGES 1 UNSEEN 1)",
                "a OK LIST completed",
            ]
        );
        // The values are STATUS's, every item included.
        let items = "MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE MAILBOXID";
        for mailbox in ["INBOX", "foo"] {
            let listed = c
                .run(&format!("b LIST \"\" {mailbox} RETURN (STATUS ({items}))"))
                .await;
            let status = c.run(&format!("s STATUS {mailbox} ({items})")).await;
            assert_eq!(listed[1], status[0]);
        }
        // Nor for a subscribed name that is no mailbox.
        ok(&mut c, "s SUBSCRIBE gone").await;
        assert_eq!(
            c.run("c LIST (SUBSCRIBED) \"\" * RETURN (STATUS (MESSAGES))").await,
            [
                "* LIST (\\NonExistent \\Subscribed) \"/\" gone",
                "c OK LIST completed",
            ]
        );
    }

    async fn list_status_highestmodseq_turns_condstore_on(env) {
        let mut c = env.client("alice").await;
        let r = c.run("a LIST \"\" INBOX RETURN (STATUS (HIGHESTMODSEQ))").await;
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(r[1].starts_with("* STATUS INBOX (HIGHESTMODSEQ "), "{r:?}");
        assert!(
            c.session
                .enabled()
                .contains(&hadron_proto::types::Capability::CondStore)
        );
    }

    async fn status_size_is_the_total_of_the_messages_octets(env) {
        let mut c = env.client("alice").await;
        let sizes: Vec<usize> = ["one", "two"]
            .iter()
            .map(|s| message(s).len())
            .collect();
        for s in ["one", "two"] {
            let r = c.append("p", "INBOX", "", &message(s)).await;
            assert!(r.last().unwrap().starts_with("p OK"), "{r:?}");
        }
        // RFC 8438 §2's example shape: STATUS INBOX (MESSAGES SIZE UIDNEXT).
        assert_eq!(
            c.run("a STATUS INBOX (MESSAGES SIZE UIDNEXT)").await,
            [
                format!("* STATUS INBOX (MESSAGES 2 SIZE {} UIDNEXT 3)", sizes[0] + sizes[1]),
                "a OK STATUS completed".to_owned(),
            ]
        );
        assert_eq!(
            c.run("b STATUS Trash (SIZE)").await,
            ["* STATUS Trash (SIZE 0)", "b OK STATUS completed"]
        );
    }

    async fn raw_patterns_match_nothing(env) {
        let mut c = env.client("alice").await;
        // `&` opening an unterminated modified UTF-7 run.
        assert_eq!(
            c.run("a LIST \"\" (&Jjo INBOX) RETURN (STATUS (MESSAGES))").await,
            [
                "* LIST (\\HasNoChildren) \"/\" INBOX",
                "* STATUS INBOX (MESSAGES 0)",
                "a OK LIST completed",
            ]
        );
    }
}
