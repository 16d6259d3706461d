//! OBJECTID (RFC 8474) through sessions: MAILBOXID in CREATE, SELECT and
//! STATUS, stable across RENAME and new after DELETE + CREATE; EMAILID
//! shared by a copy and a move; THREADID from the thread's root Message-ID;
//! the EMAILID and THREADID search keys.

mod common;

use common::Client;

/// A message in thread `root` (its own id `id`, replying to `parent`).
fn reply(id: &str, parent: Option<&str>, root: Option<&str>) -> String {
    let mut h = format!("From: a@example.org\r\nSubject: s {id}\r\nMessage-ID: {id}\r\n");
    if let Some(p) = parent {
        h.push_str(&format!("In-Reply-To: {p}\r\n"));
    }
    if let Some(r) = root {
        h.push_str(&format!("References: {r}\r\n {}\r\n", parent.unwrap_or("")));
    }
    h.push_str("\r\nbody\r\n");
    h
}

/// The value of `NAME (value)` in a response line.
fn item(line: &str, name: &str) -> String {
    let at = line
        .find(&format!("{name} ("))
        .unwrap_or_else(|| panic!("{name} in {line}"));
    let rest = &line[at + name.len() + 2..];
    rest[..rest.find(')').expect("closing paren")].to_owned()
}

async fn fetch_ids(c: &mut Client, set: &str) -> Vec<(String, String)> {
    let out = c
        .run(&format!("f UID FETCH {set} (EMAILID THREADID)"))
        .await;
    out.iter()
        .filter(|l| l.starts_with("* "))
        .map(|l| {
            let thread = if l.contains("THREADID NIL") {
                "NIL".to_owned()
            } else {
                item(l, "THREADID")
            };
            (item(l, "EMAILID"), thread)
        })
        .collect()
}

both! {
    async fn mailbox_ids_are_stable_across_rename_and_new_after_delete(env) {
        let mut c = env.client("alice").await;
        let caps = c.run("c CAPABILITY").await;
        assert!(caps[0].split(' ').any(|c| c == "OBJECTID"), "{caps:?}");
        let created = c.run("a CREATE Projects").await;
        assert!(created[0].starts_with("a OK [MAILBOXID ("), "{created:?}");
        let id = item(&created[0], "MAILBOXID");
        let status = c.run("b STATUS Projects (MESSAGES MAILBOXID)").await;
        assert_eq!(status[0], format!("* STATUS Projects (MESSAGES 0 MAILBOXID ({id}))"));
        c.run("r RENAME Projects Archive/Projects").await;
        let selected = c.run("s SELECT Archive/Projects").await;
        assert!(
            selected.contains(&format!("* OK [MAILBOXID ({id})] mailbox id")),
            "{selected:?}"
        );
        c.run("u UNSELECT").await;
        assert_eq!(c.run("d DELETE Archive/Projects").await, ["d OK DELETE completed"]);
        let again = c.run("e CREATE Archive/Projects").await;
        assert_ne!(item(&again[0], "MAILBOXID"), id, "a new mailbox, a new id");
        let other = c.run("g CREATE Other").await;
        assert_ne!(item(&other[0], "MAILBOXID"), item(&again[0], "MAILBOXID"));
    }

    async fn copies_share_the_email_id_and_threads_follow_the_root(env) {
        let mut c = env.client("alice").await;
        c.run("a CREATE Keep").await;
        c.append("1", "INBOX", "", &reply("<root@x>", None, None)).await;
        c.append("2", "INBOX", "", &reply("<r1@x>", Some("<root@x>"), Some("<root@x>"))).await;
        // Arrives before its parent: same thread all the same.
        c.append("3", "INBOX", "", &reply("<r3@x>", Some("<r2@x>"), Some("<root@x>"))).await;
        c.append("4", "INBOX", "", &reply("<lone@x>", None, None)).await;
        c.append("5", "INBOX", "", "Subject: no ids\r\n\r\nbody\r\n").await;
        c.run("s SELECT INBOX").await;
        let ids = fetch_ids(&mut c, "1:*").await;
        assert_eq!(ids.len(), 5);
        let thread = &ids[0].1;
        assert!(thread.starts_with('T'), "{ids:?}");
        assert_eq!(&ids[1].1, thread);
        assert_eq!(&ids[2].1, thread);
        assert_ne!(&ids[3].1, thread);
        assert_eq!(ids[4].1, "NIL");
        let mut emails: Vec<&String> = ids.iter().map(|i| &i.0).collect();
        emails.dedup();
        assert_eq!(emails.len(), 5, "different messages, different EMAILIDs");

        // COPY and MOVE keep the EMAILID and the THREADID.
        c.run("c UID COPY 2 Keep").await;
        c.run("m UID MOVE 4 Keep").await;
        c.run("k SELECT Keep").await;
        let kept = fetch_ids(&mut c, "1:*").await;
        assert_eq!(kept, [ids[1].clone(), ids[3].clone()]);

        // SEARCH EMAILID / THREADID find them, in this mailbox.
        let found = c.run(&format!("e UID SEARCH EMAILID {}", ids[3].0)).await;
        assert_eq!(found[0], "* SEARCH 2");
        c.run("i SELECT INBOX").await;
        let found = c.run(&format!("t UID SEARCH THREADID {thread}")).await;
        assert_eq!(found[0], "* SEARCH 1 2 3");
        let found = c.run(&format!("n UID SEARCH NOT THREADID {thread}")).await;
        assert_eq!(found[0], "* SEARCH 5");
        assert_eq!(c.run("x UID SEARCH EMAILID Enotours").await[0], "* SEARCH");
        assert_eq!(c.run("y UID SEARCH THREADID T0").await[0], "* SEARCH");
    }
}
