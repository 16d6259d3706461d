//! Real clients against the server: Python's `imaplib` (standard library)
//! runs APPEND, SELECT, FETCH, STORE, COPY, EXPUNGE, IDLE-free NOOP and
//! LOGOUT. Skipped, with the reason printed, when `python3` is missing.
#![allow(missing_docs)]

mod common;

use common::TestServer;

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
