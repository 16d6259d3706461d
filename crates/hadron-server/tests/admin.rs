//! The administration commands of the `hadron` binary end to end (issue
//! 15): `mailbox list|status|create|delete|rename`, `expunge`, `stats` and
//! `user list --json`, on SQLite and, with `HADRON_TEST_PG`, PostgreSQL —
//! and their writes reaching the sessions of a `hadron serve` running on the
//! same data in another process (on SQLite through the writer's
//! `PRAGMA data_version`, on PostgreSQL through LISTEN/NOTIFY).
#![allow(missing_docs)]

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{Client, assert_lines};
use hadron_store::testing::PgTestDatabase;
use serde_json::Value;

use common::binary::HADRON;

/// How long a running server may take to tell its sessions of another
/// process's write.
const TOLD_WITHIN: Duration = Duration::from_secs(5);

/// Where the commands of a test keep their data: a SQLite data directory,
/// or a fresh PostgreSQL database (dropped with this).
struct Data {
    dir: tempfile::TempDir,
    pg: Option<PgTestDatabase>,
}

impl Data {
    fn sqlite() -> Data {
        Data {
            dir: tempfile::tempdir().unwrap(),
            pg: None,
        }
    }

    /// `None` (with a printed reason) without `HADRON_TEST_PG`.
    fn postgres() -> Option<Data> {
        Some(Data {
            dir: tempfile::tempdir().unwrap(),
            pg: Some(PgTestDatabase::create("hadron_admin_test")?),
        })
    }

    /// The storage options every command takes.
    fn args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), data_dir(self.dir.path())];
        if let Some(pg) = &self.pg {
            args.extend(["--database".to_owned(), pg.url().to_owned()]);
        }
        args
    }

    /// Runs `hadron ARGS <storage options>`.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(HADRON)
            .args(args)
            .args(self.args())
            .output()
            .expect("run hadron")
    }

    /// Runs a command that must succeed; returns its standard output.
    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "hadron {args:?} failed: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command with `--json` that must succeed; returns the document.
    #[track_caller]
    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let stdout = self.ok(&all);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    /// Runs a command that must fail with exit code 1; returns its
    /// standard error.
    #[track_caller]
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(1), "hadron {args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        String::from_utf8(out.stderr).unwrap()
    }
}

fn data_dir(dir: &Path) -> String {
    dir.join("data").display().to_string()
}

/// Starts `hadron serve` on `data`; returns the child and its port.
async fn serve(data: &Data) -> (tokio::process::Child, u16) {
    let mut args = vec!["--listen".to_owned(), "127.0.0.1:0".to_owned()];
    args.extend(data.args());
    common::binary::serve(args).await
}

/// Stops a server with SIGTERM and waits for a clean exit.
async fn stop(server: tokio::process::Child) {
    common::binary::terminate(&server);
    common::binary::exits_cleanly(server).await;
}

/// The names of `mailbox list --json`'s mailboxes, in order.
fn names(list: &Value) -> Vec<&str> {
    list["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}

/// One mailbox of `mailbox list --json`.
fn entry<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

/// A message APPENDed with an INTERNALDATE on `day` (`DD-Mon-YYYY`).
async fn append_on(c: &mut Client, tag: &str, mailbox: &str, day: &str, subject: &str) {
    let m = common::message(subject, "body");
    let line = format!(
        "{tag} APPEND {mailbox} \"{day} 12:00:00 +0000\" {{{}+}}\r\n{m}",
        m.len()
    );
    c.line(&line).await;
    let r = c.until_tagged(tag).await;
    assert!(r.last().unwrap().starts_with(&format!("{tag} OK")), "{r:?}");
}

/// Reads `n` untagged EXPUNGE responses within [`TOLD_WITHIN`], NOOPing
/// when `poll` (a client that polls instead of IDLE).
async fn expect_expunges(c: &mut Client, n: usize, poll: bool) {
    let deadline = Instant::now() + TOLD_WITHIN;
    let mut got = Vec::new();
    let mut tag = 0;
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {got:?} of {n} EXPUNGEs within {TOLD_WITHIN:?}"
        );
        if poll {
            tag += 1;
            for line in c.cmd_ok(&format!("n{tag} NOOP")).await {
                if line.ends_with(" EXPUNGE") {
                    got.push(line);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        } else if let Some(line) = c.read_within(Duration::from_millis(200)).await {
            assert!(line.ends_with(" EXPUNGE"), "{line}");
            got.push(line);
        }
    }
    assert_eq!(got.len(), n, "{got:?}");
    for line in &got {
        assert!(common::matches("* % EXPUNGE", line), "{line}");
    }
}

/// Waits until `stats --json` counts `sessions` sessions (servers report
/// every few seconds); returns the document.
fn stats_with_sessions(data: &Data, sessions: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stats = data.json(&["stats"]);
        if stats["sessions"] == sessions || Instant::now() > deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn mailbox_commands(data: &Data) {
    data.ok(&["user", "add", "alice", "--password", "pw"]);
    data.ok(&["user", "add", "bob", "--password", "pw"]);

    let list = data.json(&["mailbox", "list", "--user", "alice"]);
    assert_eq!(list["user"], "alice");
    assert_eq!(
        names(&list),
        ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"]
    );
    let inbox = entry(&list, "INBOX");
    assert_eq!(inbox["messages"], 0);
    assert_eq!(inbox["uidnext"], 1);
    assert_eq!(inbox["special_use"], Value::Null);
    assert_eq!(inbox["subscribed"], false);
    assert!(inbox["uidvalidity"].as_u64().unwrap() > 0);
    assert_eq!(entry(&list, "Archive")["special_use"], "\\Archive");

    // The table: a header, then one aligned row per mailbox.
    let table = data.ok(&["mailbox", "list", "--user", "alice"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 7, "{table}");
    assert!(
        lines[0].starts_with(
            "NAME     MESSAGES  UNSEEN  SIZE  UIDVALIDITY  UIDNEXT  SPECIAL-USE  SUBSCRIBED"
        ),
        "{table}"
    );
    assert!(
        lines[1].starts_with("INBOX           0       0     0  "),
        "{table}"
    );
    assert!(lines[2].contains("\\Archive     no"), "{table}");

    // CREATE's rules: parents are created, a special use is set and checked.
    let created = data.json(&[
        "mailbox",
        "create",
        "--user",
        "alice",
        "Work/Projects",
        "--special-use",
        "flagged",
    ]);
    assert_eq!(created["name"], "Work/Projects");
    assert_eq!(created["created"], true);
    let list = data.json(&["mailbox", "list", "--user", "alice"]);
    assert_eq!(names(&list).len(), 8);
    assert_eq!(entry(&list, "Work")["special_use"], Value::Null);
    assert_eq!(entry(&list, "Work/Projects")["special_use"], "\\Flagged");
    assert_eq!(
        data.ok(&["mailbox", "create", "--user", "alice", "Lists"]),
        "mailbox Lists of user alice created\n"
    );
    let err = data.fails(&["mailbox", "create", "--user", "alice", "Lists"]);
    assert!(err.contains("already exists"), "{err}");
    let err = data.run(&[
        "mailbox",
        "create",
        "--user",
        "alice",
        "X",
        "--special-use",
        "\\Bogus",
    ]);
    assert_eq!(err.status.code(), Some(2), "a usage error: {err:?}");

    // DELETE's rules: never INBOX; a parent's name stays (as \Noselect).
    let err = data.fails(&["mailbox", "delete", "--user", "alice", "INBOX"]);
    assert!(err.contains("INBOX cannot be deleted"), "{err}");
    let deleted = data.json(&["mailbox", "delete", "--user", "alice", "Work"]);
    assert_eq!(deleted["deleted"], true);
    let list = data.json(&["mailbox", "list", "--user", "alice"]);
    assert!(!names(&list).contains(&"Work"));
    assert!(names(&list).contains(&"Work/Projects"));
    let err = data.fails(&["mailbox", "delete", "--user", "alice", "Work"]);
    assert!(err.contains("no mailbox named \"Work\""), "{err}");

    // RENAME moves children with their mailbox and creates parents.
    assert_eq!(
        data.ok(&[
            "mailbox",
            "rename",
            "--user",
            "alice",
            "Work/Projects",
            "Old/2024"
        ]),
        "mailbox Work/Projects of user alice renamed to Old/2024\n"
    );
    let list = data.json(&["mailbox", "list", "--user", "alice"]);
    assert_eq!(
        names(&list),
        [
            "INBOX", "Archive", "Drafts", "Junk", "Lists", "Old", "Old/2024", "Sent", "Trash"
        ]
    );
    assert_eq!(entry(&list, "Old/2024")["special_use"], "\\Flagged");
    let err = data.fails(&["mailbox", "rename", "--user", "alice", "Nope", "Other"]);
    assert!(err.contains("Nope"), "{err}");

    // STATUS of one mailbox; unknown names and users are errors.
    let status = data.json(&["mailbox", "status", "--user", "alice", "Old/2024"]);
    assert_eq!(status["user"], "alice");
    assert_eq!(status["name"], "Old/2024");
    assert_eq!(status["messages"], 0);
    assert_eq!(status["uidnext"], 1);
    let human = data.ok(&["mailbox", "status", "--user", "alice", "inbox"]);
    assert!(
        human.starts_with("name           INBOX\nmessages       0\n"),
        "{human}"
    );
    let err = data.fails(&["mailbox", "status", "--user", "alice", "Missing"]);
    assert!(err.contains("no mailbox named \"Missing\""), "{err}");
    for args in [
        &["mailbox", "list", "--user", "nobody"][..],
        &["mailbox", "status", "--user", "nobody", "INBOX"],
        &["mailbox", "create", "--user", "nobody", "X"],
        &[
            "expunge",
            "--user",
            "nobody",
            "--mailbox",
            "INBOX",
            "--before",
            "1d",
        ],
    ] {
        let err = data.fails(args);
        assert!(err.contains("no user named \"nobody\""), "{args:?}: {err}");
    }
    // Bob's mailboxes were never touched.
    assert_eq!(
        names(&data.json(&["mailbox", "list", "--user", "bob"])).len(),
        6
    );

    // `user list --json`.
    let users = data.json(&["user", "list"]);
    let users = users["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["name"], "alice");
    assert_eq!(users[0]["mailboxes"], 9);
    assert_eq!(users[1]["name"], "bob");
    assert_eq!(users[1]["mailboxes"], 6);
    assert_eq!(users[1]["messages"], 0);
}

#[test]
fn mailbox_commands_on_sqlite() {
    mailbox_commands(&Data::sqlite());
}

#[test]
fn mailbox_commands_on_postgres() {
    if let Some(data) = Data::postgres() {
        mailbox_commands(&data);
    }
}

/// A server runs; `hadron expunge` and `hadron mailbox delete` in other
/// processes change what its sessions have selected, and they are told:
/// the IDLE one at once, the polling one at its next NOOP. `hadron stats`
/// counts the server's logged-in sessions while it runs, and nothing once
/// it stopped.
async fn a_running_servers_sessions_are_told(data: Data) {
    data.ok(&["user", "add", "alice", "--password", "pw"]);
    let (server, port) = serve(&data).await;
    let addr = ([127, 0, 0, 1], port).into();
    let login = || async move {
        let mut c = Client::connect(addr).await;
        c.expect(&["* OK %"]).await;
        c.cmd_ok("a LOGIN alice pw").await;
        c
    };
    let mut idler = login().await;
    for (i, day) in [
        "01-Jan-2020",
        "15-Jun-2021",
        "31-Dec-2022",
        "01-Jan-2024",
        "02-Jan-2024",
    ]
    .into_iter()
    .enumerate()
    {
        append_on(&mut idler, &format!("p{i}"), "INBOX", day, &format!("m{i}")).await;
    }
    append_on(&mut idler, "t", "Trash", "01-Jan-2020", "old").await;
    let mut bytes = 0;
    for mailbox in ["INBOX", "Trash"] {
        let r = idler.cmd_ok(&format!("s STATUS {mailbox} (SIZE)")).await;
        let digits: String = r[0]
            .split("SIZE ")
            .nth(1)
            .unwrap()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        bytes += digits.parse::<u64>().unwrap();
    }
    idler.cmd_ok("b SELECT INBOX").await;
    let mut poller = login().await;
    poller.cmd_ok("b SELECT INBOX").await;
    let mut trash = login().await;
    trash.cmd_ok("b SELECT Trash").await;

    // Three sessions logged in on one server.
    let stats = stats_with_sessions(&data, 3);
    assert_eq!(stats["sessions"], 3, "{stats}");
    assert_eq!(stats["users"], 1);
    assert_eq!(stats["mailboxes"], 6);
    assert_eq!(stats["messages"], 6);
    assert_eq!(stats["bytes"], bytes);
    let servers = stats["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "{stats}");
    assert_eq!(servers[0]["pid"], server.id().unwrap());
    assert_eq!(servers[0]["sessions"], 3);
    let human = data.ok(&["stats"]);
    assert!(human.starts_with("users      "), "{human}");
    assert!(human.contains("\nsessions   "), "{human}");
    assert!(human.contains("HOST"), "{human}");

    idler.line("i IDLE").await;
    idler.expect(&["+ idling"]).await;

    // A dry run counts and changes nothing.
    let dry = data.json(&[
        "expunge",
        "--user",
        "alice",
        "--mailbox",
        "INBOX",
        "--before",
        "2023-01-01",
        "--dry-run",
    ]);
    assert_eq!(dry["matched"], 3, "{dry}");
    assert_eq!(dry["expunged"], 0);
    assert_eq!(dry["uids"], serde_json::json!([1, 2, 3]));
    assert_eq!(
        idler.read_within(Duration::from_millis(300)).await,
        None,
        "a dry run tells no one"
    );
    let out = data.ok(&[
        "expunge",
        "--user",
        "alice",
        "--mailbox",
        "INBOX",
        "--before",
        "2023-01-01",
    ]);
    assert!(
        out.starts_with("3 messages expunged from mailbox INBOX of user alice"),
        "{out}"
    );
    // Told while idling, and at the next NOOP.
    expect_expunges(&mut idler, 3, false).await;
    idler.line("DONE").await;
    idler.expect(&["i OK %"]).await;
    expect_expunges(&mut poller, 3, true).await;
    for c in [&mut idler, &mut poller] {
        let r = c.cmd_ok("u UID SEARCH ALL").await;
        assert_lines(&r, &["* SEARCH 4 5", "u OK %"]);
    }
    // Nothing is before 2020: nothing to expunge, and an age works too.
    let none = data.json(&[
        "expunge",
        "--user",
        "alice",
        "--mailbox",
        "INBOX",
        "--before",
        "2020-01-01",
    ]);
    assert_eq!(none["expunged"], 0);
    let err = data.fails(&[
        "expunge",
        "--user",
        "alice",
        "--mailbox",
        "Nope",
        "--before",
        "1d",
    ]);
    assert!(err.contains("no mailbox named \"Nope\""), "{err}");
    let all = data.json(&[
        "expunge",
        "--user",
        "alice",
        "--mailbox",
        "INBOX",
        "--before",
        "0d",
    ]);
    assert_eq!(all["expunged"], 2, "{all}");
    expect_expunges(&mut poller, 2, true).await;

    // Deleting a selected mailbox closes its sessions.
    data.ok(&["mailbox", "delete", "--user", "alice", "Trash"]);
    let deadline = Instant::now() + TOLD_WITHIN;
    let mut told = Vec::new();
    while !told.iter().any(|l: &String| l.starts_with("* BYE")) {
        assert!(
            Instant::now() < deadline,
            "Trash's session not told: {told:?}"
        );
        trash.line("n NOOP").await;
        while let Some(l) = trash.read_within(Duration::from_millis(200)).await {
            told.push(l);
        }
    }
    let stats = stats_with_sessions(&data, 2);
    assert_eq!(stats["sessions"], 2, "{stats}");
    assert_eq!(stats["messages"], 0);
    assert_eq!(stats["mailboxes"], 5);
    assert_eq!(stats["bytes"], 0);

    // A clean shutdown removes the server's registration.
    stop(server).await;
    let stats = data.json(&["stats"]);
    assert_eq!(stats["servers"], serde_json::json!([]), "{stats}");
    assert_eq!(stats["sessions"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_servers_sessions_are_told_on_sqlite() {
    a_running_servers_sessions_are_told(Data::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_servers_sessions_are_told_on_postgres() {
    if let Some(data) = Data::postgres() {
        a_running_servers_sessions_are_told(data).await;
    }
}
