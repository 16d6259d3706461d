//! Real clients against the server: Python's `imaplib` (standard library)
//! runs APPEND, SELECT, FETCH, STORE, COPY, EXPUNGE, IDLE-free NOOP and
//! LOGOUT. Skipped, with the reason printed, when `python3` is missing.
#![allow(missing_docs)]

mod common;

use common::{TestServer, assert_lines};

const SCRIPT: &str = r#"
import imaplib, sys
port = int(sys.argv[1])
M = imaplib.IMAP4("127.0.0.1", port)
assert "IDLE" in M.capabilities and "AUTH=PLAIN" in M.capabilities, M.capabilities
typ, _ = M.login("alice", "secret"); assert typ == "OK"
for i in range(3):
    msg = ("From: a@example.org\r\nSubject: test %d\r\n\r\nbody %d\r\n" % (i, i)).encode()
    typ, data = M.append("INBOX", "(\\Flagged)" if i == 0 else None, None, msg)
    assert typ == "OK", data
typ, data = M.select("INBOX"); assert typ == "OK" and data == [b"3"], data
typ, data = M.fetch("1:3", "(UID FLAGS)"); assert typ == "OK", data
assert data[0] == b"1 (UID 1 FLAGS (\\Flagged \\Recent))", data
typ, data = M.fetch("2", "(BODY[HEADER.FIELDS (SUBJECT)])")
assert data[0][1] == b"Subject: test 1\r\n\r\n", data
typ, data = M.uid("FETCH", "3", "(BODY.PEEK[TEXT])")
assert data[0][1] == b"body 2\r\n", data
typ, data = M.store("1:2", "+FLAGS", "(\\Seen)"); assert typ == "OK", data
typ, data = M.copy("1:2", "Archive"); assert typ == "OK", data
typ, data = M.store("1", "+FLAGS.SILENT", "(\\Deleted)"); assert typ == "OK"
typ, data = M.expunge(); assert typ == "OK" and data == [b"1"], data
typ, data = M.status("Archive", "(MESSAGES)"); assert data == [b"Archive (MESSAGES 2)"], data
typ, data = M.list(); assert typ == "OK" and len(data) == 6, data
typ, data = M.noop(); assert typ == "OK"
M.close()
typ, _ = M.logout(); assert typ == "BYE"
print("imaplib ok")
"#;

both! {
    async fn python_imaplib_session(backend) {
        let Ok(version) = std::process::Command::new("python3").arg("--version").output() else {
            eprintln!("skipping the imaplib test: python3 is not installed");
            return;
        };
        assert!(version.status.success());
        let server = TestServer::start(backend).await;
        let port = server.addr.port().to_string();
        let out = tokio::process::Command::new("python3")
            .args(["-c", SCRIPT, &port])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "imaplib failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "imaplib ok");
    }
}

/// The Maildir files of `dir` (`new/` and `cur/`).
fn maildir_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            files.extend(entries.map(|e| e.unwrap().path()));
        }
    }
    files
}

both! {
    async fn mbsync_round_trip_of_a_thousand_messages(backend) {
        if std::process::Command::new("mbsync").arg("--version").output().is_err() {
            eprintln!("skipping the mbsync test: mbsync (Debian package isync) is not installed");
            return;
        }
        let server = TestServer::start(backend).await;
        let account = server.engine.login("alice", "secret").await.unwrap();
        let messages = (1..=1000)
            .map(|i| hadron_state::engine::AppendRequest {
                raw: format!("Message-ID: <{i}@example.org>\r\nSubject: m{i}\r\n\r\nbody {i}\r\n")
                    .into_bytes(),
                flags: hadron_state::flags::FlagSet::default(),
                internal_date: 1_700_000_000,
                uid: None,
            })
            .collect();
        server.engine.append(&account, "INBOX", messages, None).await.unwrap();

        let dir = tempfile::tempdir().unwrap();
        let mail = dir.path().join("mail");
        std::fs::create_dir_all(&mail).unwrap();
        let rc = dir.path().join("mbsyncrc");
        std::fs::write(&rc, format!(
            "IMAPAccount h\nHost 127.0.0.1\nPort {port}\nUser alice\nPass secret\nSSLType None\nAuthMechs LOGIN\n\n\
             IMAPStore remote\nAccount h\n\n\
             MaildirStore local\nPath {mail}/\nInbox {mail}/INBOX\n\n\
             Channel c\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Both\nExpunge Both\nSyncState *\n",
            port = server.addr.port(),
            mail = mail.display(),
        )).unwrap();
        let sync = || async {
            let out = tokio::process::Command::new("mbsync")
                .arg("-c").arg(&rc).arg("-a")
                .output().await.unwrap();
            assert!(out.status.success(), "mbsync failed: {}", String::from_utf8_lossy(&out.stderr));
        };

        // Hadron → Maildir.
        sync().await;
        let inbox = mail.join("INBOX");
        let files = maildir_files(&inbox);
        assert_eq!(files.len(), 1000);

        // Local changes: delete UIDs 1-10, flag UID 11, add a message.
        for f in &files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let uid: u32 = name.split(",U=").nth(1).unwrap().split(':').next().unwrap().parse().unwrap();
            if uid <= 10 {
                std::fs::remove_file(f).unwrap();
            } else if uid == 11 {
                let base = name.split(":2,").next().unwrap();
                std::fs::rename(f, inbox.join("cur").join(format!("{base}:2,F"))).unwrap();
            }
        }
        std::fs::write(
            inbox.join("new").join("local-1"),
            "Message-ID: <local@example.org>\r\nSubject: written locally\r\n\r\nhi\r\n",
        ).unwrap();

        // Maildir → Hadron.
        sync().await;
        let mut c = server.login("alice").await;
        let r = c.cmd("s SELECT INBOX").await;
        assert!(r.contains(&"* 991 EXISTS".to_owned()), "{r:?}");
        let r = c.cmd("a UID FETCH 1:11 (FLAGS)").await;
        assert_lines(&r, &["* 1 FETCH (UID 11 FLAGS (\\Flagged%))", "a OK FETCH completed"]);
        let r = c.cmd("b FETCH 991 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])").await;
        assert_lines(&r, &[
            "* 991 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {%}\r\nSubject: written locally\r\n\r\n)",
            "b OK FETCH completed",
        ]);
        // And both sides agree.
        sync().await;
        assert_eq!(maildir_files(&inbox).len(), 991);
    }
}
