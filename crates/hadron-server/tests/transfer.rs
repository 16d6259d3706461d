//! `hadron import` and `hadron export` end to end, checked over IMAP: a Maildir tree
//! written by Dovecot 2.3 (hadron-transfer's test fixture) keeps its UIDVALIDITY, UIDs,
//! flags, keywords, INTERNALDATEs and subscriptions; a second run adds nothing; an export
//! to Maildir and to mbox imported for another user serves the same messages.
#![allow(missing_docs)]

mod common;

use common::Client;
use common::binary::{hadron, serve};
use std::time::Duration;

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn login(port: u16, user: &str) -> Client {
    let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
    c.expect(&["* OK %"]).await;
    c.cmd_ok(&format!("a LOGIN {user} pw")).await;
    c
}

/// The untagged lines of a command, without its tagged OK.
async fn untagged(c: &mut Client, command: &str) -> Vec<String> {
    let mut lines = c.cmd_ok(command).await;
    lines.pop();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_maildir_in_export_and_back_over_imap() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let d = ["--data-dir", data.as_str()];
    for user in ["alice", "bob"] {
        ok(hadron(
            &[&["user", "add", user, "--password", "pw"][..], &d].concat(),
        ));
    }
    let tree = hadron_transfer::testing::dovecot_tree(dir.path());
    let tree_arg = tree.display().to_string();
    let out = ok(hadron(
        &[&["import", "maildir", &tree_arg, "--user", "alice"][..], &d].concat(),
    ));
    for line in [
        "INBOX: 6 imported, 0 already there, 0 skipped (UIDs kept)",
        "Work/Projects: 1 imported, 0 already there, 0 skipped (UIDs kept)",
        "Café: 1 imported, 0 already there, 0 skipped (UIDs kept)",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} in\n{out}");
    }
    assert!(
        out.contains("9 messages imported (0 already there, 0 skipped)"),
        "{out}"
    );
    // Again: nothing new.
    let again = ok(hadron(
        &[&["import", "maildir", &tree_arg, "--user", "alice"][..], &d].concat(),
    ));
    assert!(
        again.contains("0 messages imported (9 already there, 0 skipped)"),
        "{again}"
    );

    // Out to Maildir and mbox, in for bob.
    let out_tree = dir.path().join("exported").display().to_string();
    let mbox = dir.path().join("inbox.mbox").display().to_string();
    let exported = ok(hadron(
        &[&["export", "maildir", &out_tree, "--user", "alice"][..], &d].concat(),
    ));
    assert!(exported.contains("9 messages exported"), "{exported}");
    ok(hadron(
        &[
            &[
                "export",
                "mbox",
                &mbox,
                "--user",
                "alice",
                "--mailbox",
                "INBOX",
            ][..],
            &d,
        ]
        .concat(),
    ));
    ok(hadron(
        &[&["import", "maildir", &out_tree, "--user", "bob"][..], &d].concat(),
    ));
    ok(hadron(
        &[
            &[
                "import",
                "mbox",
                &mbox,
                "--user",
                "bob",
                "--mailbox",
                "Old mail",
            ][..],
            &d,
        ]
        .concat(),
    ));

    let (_server, port) = serve(["--listen", "127.0.0.1:0", "--data-dir", &data]).await;
    let mut alice = login(port, "alice").await;
    assert_eq!(
        untagged(
            &mut alice,
            "s STATUS INBOX (UIDVALIDITY UIDNEXT MESSAGES UNSEEN)"
        )
        .await,
        ["* STATUS INBOX (UIDVALIDITY 1796652996 UIDNEXT 9 MESSAGES 6 UNSEEN 3)"]
    );
    assert_eq!(
        untagged(&mut alice, "l LSUB \"\" *").await,
        [
            "* LSUB () \"/\" INBOX",
            "* LSUB () \"/\" Caf&AOk-",
            "* LSUB () \"/\" Work",
            "* LSUB () \"/\" Work/Projects",
        ]
    );
    // EXAMINE leaves \\Recent (the messages are new to the mailbox) to the next SELECT.
    alice.cmd_ok("e EXAMINE INBOX").await;
    let fetch = "f UID FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE)";
    let alice_inbox = untagged(&mut alice, fetch).await;
    assert_eq!(
        alice_inbox,
        [
            "* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) INTERNALDATE \" 2-Jan-2023 09:00:00 +0000\" RFC822.SIZE 204)",
            "* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen $Important \\Recent) INTERNALDATE \" 2-Jan-2023 11:46:40 +0000\" RFC822.SIZE 205)",
            "* 3 FETCH (UID 3 FLAGS (\\Answered work-item \\Recent) INTERNALDATE \" 2-Jan-2023 14:33:20 +0000\" RFC822.SIZE 204)",
            "* 4 FETCH (UID 6 FLAGS ($Forwarded \\Recent) INTERNALDATE \" 2-Jan-2023 22:53:20 +0000\" RFC822.SIZE 208)",
            "* 5 FETCH (UID 7 FLAGS (\\Seen \\Recent) INTERNALDATE \" 3-Jan-2023 01:40:00 +0000\" RFC822.SIZE 212)",
            "* 6 FETCH (UID 8 FLAGS (\\Recent) INTERNALDATE \" 3-Jan-2023 09:00:00 +0000\" RFC822.SIZE 179)",
        ]
    );
    let body = "b UID FETCH 1:* (BODY.PEEK[])";
    let alice_bodies = untagged(&mut alice, body).await;

    // Bob's copy through the exported tree: the same UIDs and everything; through the
    // mbox: the same messages under new UIDs.
    let mut bob = login(port, "bob").await;
    assert_eq!(
        untagged(
            &mut bob,
            "s STATUS INBOX (UIDVALIDITY UIDNEXT MESSAGES UNSEEN)"
        )
        .await,
        ["* STATUS INBOX (UIDVALIDITY 1796652996 UIDNEXT 9 MESSAGES 6 UNSEEN 3)"]
    );
    bob.cmd_ok("e EXAMINE INBOX").await;
    assert_eq!(untagged(&mut bob, fetch).await, alice_inbox);
    assert_eq!(untagged(&mut bob, body).await, alice_bodies);
    bob.cmd_ok("e EXAMINE \"Old mail\"").await;
    let strip_uid = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| {
                let start = l.find("(UID ").map(|i| i + 5);
                match start {
                    Some(s) => {
                        let end = s + l[s..].find(' ').unwrap();
                        format!("{}{}", &l[..s], &l[end..])
                    }
                    None => l,
                }
            })
            .collect()
    };
    assert_eq!(
        strip_uid(untagged(&mut bob, fetch).await),
        strip_uid(alice_inbox.clone())
    );
    assert_eq!(
        strip_uid(untagged(&mut bob, body).await),
        strip_uid(alice_bodies)
    );

    // Readable errors, non-zero exits.
    let missing = hadron(
        &[
            &[
                "import",
                "mbox",
                "/nonexistent/file",
                "--user",
                "alice",
                "--mailbox",
                "X",
            ][..],
            &d,
        ]
        .concat(),
    );
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file"),
        "{missing:?}"
    );
    let nobody = hadron(
        &[
            &["import", "maildir", &tree_arg, "--user", "nobody"][..],
            &d,
        ]
        .concat(),
    );
    assert!(!nobody.status.success());
    assert!(
        String::from_utf8_lossy(&nobody.stderr).contains("no user named \"nobody\""),
        "{nobody:?}"
    );
}

/// An import run while `hadron serve` runs on the same SQLite data reaches the server's
/// sessions as any APPEND does: a client in IDLE on the mailbox is told of the new messages,
/// and can read them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_beside_a_running_server_reaches_idle() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let d = ["--data-dir", data.as_str()];
    ok(hadron(
        &[&["user", "add", "carol", "--password", "pw"][..], &d].concat(),
    ));
    let (_server, port) = serve(["--listen", "127.0.0.1:0", "--data-dir", &data]).await;
    let mut idler = login(port, "carol").await;
    idler.cmd_ok("s SELECT INBOX").await;
    idler.line("i IDLE").await;
    idler.expect(&["+ idling"]).await;

    let file = dir.path().join("in.mbox");
    std::fs::write(
        &file,
        "From a Mon Jan  2 10:00:00 2023\nSubject: one\nStatus: RO\n\nfirst\n\n\
         From a Mon Jan  2 10:00:01 2023\nSubject: two\n\nsecond\n",
    )
    .unwrap();
    let file = file.display().to_string();
    let out = ok(hadron(
        &[
            &[
                "import",
                "mbox",
                &file,
                "--user",
                "carol",
                "--mailbox",
                "INBOX",
            ][..],
            &d,
        ]
        .concat(),
    ));
    assert!(out.contains("2 messages imported"), "{out}");
    let told = idler.read_within(Duration::from_secs(5)).await;
    assert_eq!(told.as_deref(), Some("* 2 EXISTS"), "told while idling");
    idler.line("DONE").await;
    let done = idler.until_tagged("i").await;
    assert!(done.last().unwrap().starts_with("i OK"), "{done:?}");
    let fetched = untagged(
        &mut idler,
        "f FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
    )
    .await;
    assert_eq!(fetched.len(), 2, "{fetched:?}");
    assert!(fetched[0].contains("Subject: one"), "{fetched:?}");
    assert!(fetched[1].contains("Subject: two"), "{fetched:?}");
    assert!(
        fetched[0].starts_with("* 1 FETCH (FLAGS (\\Seen"),
        "{fetched:?}"
    );
}
