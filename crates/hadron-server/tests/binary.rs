//! The `hadron` binary end to end: `user add`/`passwd`/`del`/`list`/`quota`,
//! `serve` with a config file, TLS flags and `cert self-signed`, SIGTERM
//! shutdown with BYE, LMTP over `--lmtp-listen` and a Unix socket, and
//! readable errors for bad configuration.
#![allow(missing_docs)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::binary::{HADRON, hadron, serve};
use common::{Client, assert_lines};
use tokio::io::{AsyncBufReadExt, BufReader};

fn data_dir(dir: &Path) -> String {
    dir.join("data").display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_serve_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let out = hadron(&[
        "user",
        "add",
        "carol",
        "--password",
        "pw1",
        "--data-dir",
        &data,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "user carol created\n");
    // A second user, password on stdin.
    let mut child = Command::new(HADRON)
        .args([
            "user",
            "add",
            "dave",
            "--password-stdin",
            "--data-dir",
            &data,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"pw2\n").unwrap();
    assert!(child.wait().unwrap().success());
    // The same name twice is refused with a reason.
    let out = hadron(&[
        "user",
        "add",
        "carol",
        "--password",
        "x",
        "--data-dir",
        &data,
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("carol"),
        "{out:?}"
    );

    let config = dir.path().join("hadron.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\n[limits]\nmax_bad_commands = 5\n",
    )
    .unwrap();
    let (server, port) = serve(&["--config", config.to_str().unwrap(), "--data-dir", &data]).await;
    let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
    c.expect(&["* OK [CAPABILITY %] Hadron ready"]).await;
    c.cmd_ok("a LOGIN carol pw1").await;
    let mut d = Client::connect(([127, 0, 0, 1], port).into()).await;
    d.expect(&["* OK %"]).await;
    d.cmd_ok("a LOGIN dave pw2").await;
    d.cmd_ok("b SELECT INBOX").await;

    common::binary::terminate(&server);
    c.expect(&["* BYE server shutting down; please reconnect"])
        .await;
    c.expect_closed().await;
    d.expect(&["* BYE server shutting down; please reconnect"])
        .await;
    d.expect_closed().await;
    common::binary::exits_cleanly(server).await;
}

fn stdout(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_list_passwd_and_del_work_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let d = ["--data-dir", data.as_str()];
    for (name, pw) in [("carol", "pw1"), ("dave", "pw2")] {
        let out = hadron(&[&["user", "add", name, "--password", pw][..], &d].concat());
        assert_eq!(stdout(&out), format!("user {name} created\n"));
    }
    let list = stdout(&hadron(&[&["user", "list"][..], &d].concat()));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "CREATED", "MAILBOXES", "MESSAGES", "BYTES"]
    );
    for (line, name) in lines[1..].iter().zip(["carol", "dave"]) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // NAME, date, time, then 6 mailboxes, no messages, 0 bytes.
        assert_eq!(
            (cols[0], &cols[3..]),
            (name, &["6", "0", "0"][..]),
            "{list}"
        );
        assert!(
            cols[1].starts_with("20") && cols[2].ends_with('Z'),
            "{list}"
        );
    }

    let (_server, port) = serve(&[&["--listen", "127.0.0.1:0"][..], &d].concat()).await;
    let connect = || async move {
        let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
        c.expect(&["* OK %"]).await;
        c
    };
    let mut carol = connect().await;
    carol.cmd_ok("a LOGIN carol pw1").await;
    let mut dave = connect().await;
    dave.cmd_ok("a LOGIN dave pw2").await;
    let m = "Subject: hi\r\n\r\nhello\r\n";
    dave.cmd_ok(&format!("a APPEND INBOX {{{}+}}\r\n{m}", m.len()))
        .await;
    dave.cmd_ok("b SELECT INBOX").await;
    let mut dave2 = connect().await;
    dave2.cmd_ok("a LOGIN dave pw2").await;

    // passwd (from stdin) takes effect at the next login; sessions stay.
    let mut child = Command::new(HADRON)
        .args([&["user", "passwd", "carol", "--password-stdin"][..], &d].concat())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"pw3\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "password of user carol changed\n");
    carol.cmd_ok("b NOOP").await;
    let mut c = connect().await;
    assert_lines(
        &c.cmd("a LOGIN carol pw1").await,
        &["a NO [AUTHENTICATIONFAILED] %"],
    );
    c.cmd_ok("b LOGIN carol pw3").await;
    let err = stderr(&hadron(
        &[&["user", "passwd", "nobody", "--password", "x"][..], &d].concat(),
    ));
    assert!(err.contains("nobody"), "{err}");

    // del while dave is logged in twice, once with INBOX selected: this
    // server learns of it through its change feed (another process's
    // commit), so the session with the deleted INBOX selected is closed
    // at its next poll; the other goes on, finds no data, and is answered,
    // not dropped.
    let out = hadron(&[&["user", "del", "dave"][..], &d].concat());
    assert_eq!(stdout(&out), "user dave deleted with 6 mailboxes\n");
    assert_eq!(
        dave.cmd_until_closed("c NOOP").await,
        ["* BYE Selected mailbox was deleted"]
    );
    assert_lines(&dave2.cmd("e SELECT INBOX").await, &["e NO %"]);
    assert_lines(&dave2.cmd("f LIST \"\" *").await, &["f OK LIST completed"]);
    assert_lines(&dave2.cmd("g CREATE Again").await, &["g NO %"]);
    assert_lines(&dave2.cmd("h STATUS INBOX (MESSAGES)").await, &["h NO %"]);
    assert_lines(
        &dave2.cmd("i LOGOUT").await,
        &["* BYE logging out", "i OK LOGOUT completed"],
    );
    let mut c = connect().await;
    assert_lines(
        &c.cmd("a LOGIN dave pw2").await,
        &["a NO [AUTHENTICATIONFAILED] %"],
    );
    let err = stderr(&hadron(&[&["user", "del", "dave"][..], &d].concat()));
    assert!(err.contains("dave"), "{err}");
    let list = stdout(&hadron(&[&["user", "list"][..], &d].concat()));
    let names: Vec<&str> = list
        .lines()
        .skip(1)
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(names, ["carol"], "{list}");
    carol.cmd_ok("z LOGOUT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_quota_shows_and_sets_limits_that_a_running_server_enforces() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let d = ["--data-dir", data.as_str()];
    let quota = |args: &[&str]| hadron(&[&["user", "quota"][..], args, &d].concat());
    hadron(&[&["user", "add", "erin", "--password", "pw"][..], &d].concat());
    let table = |out: &std::process::Output| -> Vec<Vec<String>> {
        assert!(out.status.success(), "{out:?}");
        stdout(out)
            .lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect()
    };
    // Without options: usage and limits, none set.
    assert_eq!(
        table(&quota(&["erin"])),
        [
            vec!["RESOURCE", "USAGE", "LIMIT"],
            vec!["STORAGE", "0", "KiB", "none"],
            vec!["MESSAGE", "0", "none"],
        ]
    );
    // Each option changes its own limit and leaves the other.
    assert_eq!(
        table(&quota(&["erin", "--storage", "10G"]))[1],
        ["STORAGE", "0", "KiB", "10485760", "KiB"]
    );
    let t = table(&quota(&["erin", "--messages", "1"]));
    assert_eq!(t[1][3], "10485760");
    assert_eq!(t[2], ["MESSAGE", "0", "1"]);
    // Bad values and unknown users are refused with a reason.
    for bad in [
        &["erin", "--storage", "10X"][..],
        &["erin", "--messages", "-1"],
    ] {
        let out = quota(bad);
        assert!(!out.status.success(), "{out:?}");
        assert!(stderr(&out).contains(bad[2]), "{}", stderr(&out));
    }
    let out = quota(&["nobody", "--messages", "5"]);
    assert!(
        !out.status.success() && stderr(&out).contains("nobody"),
        "{out:?}"
    );

    // A real server advertises QUOTA and APPENDLIMIT (its literal limit) and
    // enforces the limits the CLI set.
    let config = dir.path().join("hadron.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\n[limits]\nmax_literal = 100000\n",
    )
    .unwrap();
    let (_server, port) = serve(&[&["--config", config.to_str().unwrap()][..], &d].concat()).await;
    let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
    c.expect(&["* OK %"]).await;
    let caps = c.cmd("a CAPABILITY").await;
    let caps: Vec<&str> = caps[0].split(' ').collect();
    for cap in [
        "QUOTA",
        "QUOTA=RES-STORAGE",
        "QUOTA=RES-MESSAGE",
        "APPENDLIMIT=100000",
    ] {
        assert!(caps.contains(&cap), "{cap} missing from {caps:?}");
    }
    c.cmd_ok("b LOGIN erin pw").await;
    let m = "Subject: hi\r\n\r\nhello\r\n";
    c.cmd_ok(&format!("c APPEND INBOX {{{}+}}\r\n{m}", m.len()))
        .await;
    assert_lines(
        &c.cmd(&format!("d APPEND INBOX {{{}+}}\r\n{m}", m.len()))
            .await,
        &["d NO [OVERQUOTA] %"],
    );
    // A message over APPENDLIMIT is refused before its data is sent.
    assert_lines(
        &c.cmd("e APPEND INBOX {100001}").await,
        &["e NO [TOOBIG] %"],
    );
    assert_lines(
        &c.cmd("f STATUS INBOX (MESSAGES APPENDLIMIT)").await,
        &[
            "* STATUS INBOX (MESSAGES 1 APPENDLIMIT 100000)",
            "f OK STATUS completed",
        ],
    );
    // The CLI sees the usage.
    let t = table(&quota(&["erin", "--messages", "none"]));
    assert_eq!(t[2], ["MESSAGE", "1", "none"]);
    assert_eq!(t[1][1], "1");
    c.cmd_ok(&format!("g APPEND INBOX {{{}+}}\r\n{m}", m.len()))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_certificate_and_starttls_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let out = hadron(&["cert", "self-signed", "--cert", cert, "--key", key]);
    assert!(out.status.success(), "{out:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let data = data_dir(dir.path());
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--tls-cert",
        cert,
        "--tls-key",
        key,
    ];
    let (_server, port) = serve(&args).await;
    let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
    c.expect(&["* OK [CAPABILITY % STARTTLS LOGINDISABLED] Hadron ready"])
        .await;
}

#[test]
fn bad_configuration_is_reported_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hadron.toml");
    std::fs::write(&config, "[limits]\nidle_timeout_secs = 10\n").unwrap();
    let out = hadron(&["serve", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("idle_timeout_secs") && err.contains("RFC 3501"),
        "{err}"
    );
    let out = hadron(&[
        "serve",
        "--tls-listen",
        "127.0.0.1:0",
        "--data-dir",
        &data_dir(dir.path()),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls-cert"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_message_content_or_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let out = hadron(&[
        "user",
        "add",
        "erin",
        "--password",
        "hunter2secret",
        "--data-dir",
        &data,
    ]);
    assert!(out.status.success());
    let mut child = tokio::process::Command::new(HADRON)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", &data])
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = Vec::new();
    let port = loop {
        let line = stderr.next_line().await.unwrap().expect("server exited");
        log.push(line.clone());
        if let Some(rest) = line.split("listen=127.0.0.1:").nth(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            break digits.parse::<u16>().unwrap();
        }
    };
    let mut c = Client::connect(([127, 0, 0, 1], port).into()).await;
    c.expect(&["* OK %"]).await;
    c.cmd_ok("a LOGIN erin hunter2secret").await;
    let m = "Subject: TopSecretSubject\r\n\r\nTopSecretBody\r\n";
    let r = c
        .cmd(&format!("b APPEND INBOX {{{}+}}\r\n{m}", m.len()))
        .await;
    assert_lines(&r, &["b OK %"]);
    c.cmd_ok("c SELECT INBOX").await;
    c.cmd_ok("d FETCH 1 BODY[]").await;
    c.cmd_ok("e LOGOUT").await;
    common::binary::terminate(&child);
    while let Ok(Some(line)) = stderr.next_line().await {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(
        log.contains("user=\"erin\"") || log.contains("user=erin"),
        "{log}"
    );
    for secret in ["hunter2secret", "TopSecretSubject", "TopSecretBody"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

/// One LMTP delivery to erin, from the greeting on.
async fn lmtp_delivery(c: &mut Client) {
    c.expect(&["220 % LMTP Hadron ready"]).await;
    c.line("LHLO mta.example").await;
    c.expect(&[
        "250-%",
        "250-%",
        "250-%",
        "250-%",
        "250-SIZE %",
        "250 CHUNKING",
    ])
    .await;
    c.send(b"MAIL FROM:<s@example.net>\r\nRCPT TO:<erin@example.org>\r\nDATA\r\n")
        .await;
    c.expect(&["250 2.1.0 %", "250 2.1.5 %", "354 %"]).await;
    c.send(b"Subject: hi\r\n\r\nhello\r\n.\r\n").await;
    c.expect(&["250 2.0.0 <erin@example.org> Delivered %"])
        .await;
}

/// `serve --lmtp-listen` and `[lmtp] socket`: delivery over both, the
/// socket's mode, `421` to an LMTP client on SIGTERM, and the socket file
/// removed at exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_delivers_over_lmtp_on_tcp_and_a_unix_socket() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let out = hadron(&[
        "user",
        "add",
        "erin",
        "--password",
        "pw",
        "--data-dir",
        &data,
    ]);
    assert!(out.status.success(), "{out:?}");
    let socket = dir.path().join("lmtp.sock");
    let config = dir.path().join("hadron.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n[lmtp]\nsocket = \"{}\"\nsocket_mode = 0o600\n",
            socket.display()
        ),
    )
    .unwrap();
    let lmtp_addr = std::net::SocketAddr::from(([127, 0, 0, 1], common::ports::unclaimable_port()));
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        &data,
        "--lmtp-listen",
        &lmtp_addr.to_string(),
    ];
    let (server, port) = serve(&args).await;
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let mut tcp = Client::connect(lmtp_addr).await;
    lmtp_delivery(&mut tcp).await;
    let unix = tokio::net::UnixStream::connect(&socket).await.unwrap();
    let mut unix = Client::over(Box::new(unix));
    lmtp_delivery(&mut unix).await;

    let mut imap = Client::connect(([127, 0, 0, 1], port).into()).await;
    imap.expect(&["* OK %"]).await;
    imap.cmd_ok("a LOGIN erin pw").await;
    let r = imap.cmd_ok("b STATUS INBOX (MESSAGES)").await;
    assert_lines(&r, &["* STATUS INBOX (MESSAGES 2)", "b OK%"]);

    common::binary::terminate(&server);
    tcp.expect(&["421 4.3.2 % Server shutting down"]).await;
    tcp.expect_closed().await;
    common::binary::exits_cleanly(server).await;
    assert!(!socket.exists(), "the socket file is removed at exit");
}
