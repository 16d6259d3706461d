//! Issue 16, "user isolation": no command sequence of one user reads,
//! lists or changes another user's data.
//!
//! User `bob` owns mailboxes and messages whose names and text carry
//! markers (`BobPrivate`, `bob-secret`) that `alice`'s commands never
//! contain. A property test drives `alice` through random sequences of
//! mailbox and message commands whose mailbox names are built from the
//! tricks a hostile client tries: `..`, `/` at either end or doubled, `%`
//! and `*`, `~bob`, `#`-namespaces, other users' paths, modified UTF-7
//! (valid, invalid and overlong), case variants of INBOX, and bob's own
//! mailbox names without the marker. After every case:
//!
//! - nothing `alice` was sent names bob's mailboxes or holds bob's text;
//! - bob's account is unchanged: the same mailboxes, subscriptions, and per
//!   mailbox the same STATUS and the same messages, flags and bytes.
//!
//! `PROPTEST_CASES` sets the number of cases (48 by default);
//! `PROPTEST_RNG_SEED` fixes the seed.

mod common;

use common::{Client, Env, message};
use hadron_proto::parse::{self, ParseLimits};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// What only bob's data contains.
const MARKERS: &[&str] = &["BobPrivate", "bob-secret"];

/// Mailbox names a hostile client tries.
const NAMES: &[&str] = &[
    "INBOX",
    "inbox",
    "InBoX/..",
    "..",
    "../bob",
    "../../bob/INBOX",
    "/",
    "//",
    "/bob",
    "/INBOX",
    "bob",
    "bob/INBOX",
    "~bob",
    "~bob/INBOX",
    "#bob",
    "#user/bob",
    "#shared/bob/INBOX",
    "Other Users/bob",
    "Shared",
    "%",
    "*",
    "%/%",
    "*/..",
    "&AGIAbwBi-",
    "&AGIAbwBi-/INBOX",
    "&-",
    "&",
    "&Jjo-",
    "&AAA-",
    "&2D3eAA-",
    "Private",
    "Private/Deep",
    "Trash",
    "Sent/../INBOX",
    "a/./b",
    "a",
    "a/b",
    "\"quoted name\"",
    "NIL",
];

/// One command of alice's, `{n}`/`{m}` standing for mailbox names.
const COMMANDS: &[&str] = &[
    "CREATE {n}",
    "DELETE {n}",
    "RENAME {n} {m}",
    "SELECT {n}",
    "EXAMINE {n}",
    "STATUS {n} (MESSAGES UIDNEXT UNSEEN SIZE)",
    "LIST \"\" {n}",
    "LIST {n} *",
    "LIST {n} {m}",
    "LIST (SUBSCRIBED) \"\" *",
    "LIST \"\" * RETURN (STATUS (MESSAGES))",
    "LSUB \"\" *",
    "LSUB {n} %",
    "SUBSCRIBE {n}",
    "UNSUBSCRIBE {n}",
    "APPEND {n}",
    "COPY 1:* {n}",
    "MOVE 1:* {n}",
    "UID COPY 1:* {n}",
    "FETCH 1:* (FLAGS BODY.PEEK[])",
    "SEARCH TEXT secret",
    "SEARCH OR SUBJECT bob FROM bob",
    "STORE 1:* +FLAGS (\\Deleted)",
    "EXPUNGE",
    "GETQUOTAROOT {n}",
    "NAMESPACE",
    "CLOSE",
    "UNSELECT",
];

/// Everything of `user` another session can see: mailboxes, subscriptions,
/// and each mailbox's STATUS and messages (flags and bytes).
async fn fingerprint(env: &Env, user: &str) -> Vec<String> {
    let mut c = env.client(user).await;
    let mut out = c.run("l LIST \"\" *").await;
    out.extend(c.run("s LSUB \"\" *").await);
    let names: Vec<String> = out
        .iter()
        .filter(|l| l.starts_with("* LIST"))
        .map(|l| l.rsplit(' ').next().unwrap().to_owned())
        .collect();
    for name in names {
        out.extend(
            c.run(&format!(
                "t STATUS {name} (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)"
            ))
            .await,
        );
        out.extend(c.run(&format!("e EXAMINE {name}")).await);
        out.extend(c.run("f FETCH 1:* (UID FLAGS BODY.PEEK[])").await);
    }
    out
}

/// Bob's account: his INBOX and a small tree, subscribed, with messages.
async fn bob(env: &Env) {
    let mut c = env.client("bob").await;
    for line in [
        "c CREATE BobPrivate",
        "c CREATE BobPrivate/Deep",
        "c CREATE Private",
        "s SUBSCRIBE BobPrivate",
        "s SUBSCRIBE BobPrivate/Deep",
    ] {
        let r = c.run(line).await;
        assert!(r.last().unwrap().contains(" OK "), "{line}: {r:?}");
    }
    for (i, mailbox) in ["INBOX", "BobPrivate", "BobPrivate/Deep", "Private"]
        .iter()
        .enumerate()
    {
        let r = c
            .append(
                "a",
                mailbox,
                "\\Flagged",
                &message(&format!("bob-secret {i}")),
            )
            .await;
        assert!(r.last().unwrap().contains(" OK "), "{r:?}");
    }
}

/// Runs one of alice's commands; a line the parser refuses never reaches a
/// session (the server answers it BAD), so it is skipped.
async fn run(c: &mut Client, tag: usize, command: &str, n: &str, m: &str) -> Vec<String> {
    let mut line = format!("a{tag} {}", command.replace("{n}", n).replace("{m}", m));
    if command.starts_with("APPEND") {
        let raw = message("alice's own");
        line = format!("{line} {{{}}}\r\n{raw}", raw.len());
    }
    let input = format!("{line}\r\n");
    if parse::command(input.as_bytes(), &ParseLimits::default()).is_err() {
        return Vec::new();
    }
    c.run(&line).await
}

#[test]
fn no_command_sequence_of_one_user_reaches_another_users_data() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(48);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = Env::sqlite();
    rt.block_on(bob(&env));
    let before = rt.block_on(fingerprint(&env, "bob"));
    assert!(before.iter().any(|l| l.contains("BobPrivate/Deep")));

    let step = (0..COMMANDS.len(), 0..NAMES.len(), 0..NAMES.len());
    // Tagged OK / NO / BAD answers and lines the parser refused.
    let tally = std::cell::Cell::new([0u32; 4]);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(step, 1..24), |steps| {
            rt.block_on(async {
                let mut alice = env.client("alice").await;
                for (i, (cmd, n, m)) in steps.iter().enumerate() {
                    let out = run(&mut alice, i, COMMANDS[*cmd], NAMES[*n], NAMES[*m]).await;
                    let mut t = tally.get();
                    let tag = format!("a{i} ");
                    match out.iter().rev().find(|l| l.starts_with(&tag)) {
                        Some(l) if l[tag.len()..].starts_with("OK") => t[0] += 1,
                        Some(l) if l[tag.len()..].starts_with("NO") => t[1] += 1,
                        Some(_) => t[2] += 1,
                        None => t[3] += 1,
                    }
                    tally.set(t);
                    for line in &out {
                        for marker in MARKERS {
                            prop_assert!(
                                !line.contains(marker),
                                "alice was sent {marker:?}: {line:?} after {:?}",
                                &steps[..=i]
                            );
                        }
                    }
                }
                let after = fingerprint(&env, "bob").await;
                if after != before {
                    return Err(TestCaseError::fail(format!(
                        "bob's account changed after {steps:?}:\n{before:#?}\n{after:#?}"
                    )));
                }
                Ok(())
            })
        })
        .unwrap();
    let [ok, no, bad, refused] = tally.get();
    eprintln!("alice's commands: {ok} OK, {no} NO, {bad} BAD, {refused} refused by the parser");
    assert!(ok > 0 && no > 0, "the sequences exercised nothing");
}
