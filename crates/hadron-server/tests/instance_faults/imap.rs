//! A raw IMAP client for the fault tests, and what they check with it:
//! a fresh session's view of INBOX against what was sent.

use super::*;

/// One server response: its text, in which each literal is left as its
/// `{n}` announcement, and the literals' bytes in order.
#[derive(Debug, Clone)]
pub(super) struct Response {
    /// The lines, CRLF removed, literals' data left out.
    pub(super) text: String,
    /// The literals' data.
    pub(super) literals: Vec<Vec<u8>>,
}

/// What reading the next response gave.
#[derive(Debug)]
pub(super) enum Event {
    /// A complete response.
    Response(Response),
    /// The server closed the connection (or it broke).
    Closed,
    /// Nothing arrived in time.
    Timeout,
}

/// A minimal IMAP client over TCP: raw command lines in, responses out.
pub(super) struct Imap {
    /// The socket's reading half, buffered.
    pub(super) reader: BufReader<OwnedReadHalf>,
    /// The socket's writing half (commands are written whole, unbuffered).
    pub(super) writer: OwnedWriteHalf,
}

impl Imap {
    /// Connects to 127.0.0.1:`port` and reads the greeting.
    pub(super) async fn connect(port: u16) -> std::io::Result<Imap> {
        let stream = tokio::time::timeout(RESPONSE, TcpStream::connect(("127.0.0.1", port)))
            .await
            .map_err(|_| std::io::Error::other("connect timed out"))??;
        Imap::over(stream).await
    }

    /// A client over `stream` once the `* OK` greeting has arrived.
    pub(super) async fn over(stream: TcpStream) -> std::io::Result<Imap> {
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        let mut c = Imap {
            reader: BufReader::new(r),
            writer: w,
        };
        match c.next(RESPONSE).await {
            Event::Response(r) if r.text.starts_with("* OK") => Ok(c),
            other => Err(std::io::Error::other(format!("no greeting: {other:?}"))),
        }
    }

    /// Sends raw bytes; `false` if the connection is gone.
    pub(super) async fn send(&mut self, bytes: &[u8]) -> bool {
        self.writer.write_all(bytes).await.is_ok()
    }

    /// Reads the next response, waiting at most `wait`.
    pub(super) async fn next(&mut self, wait: Duration) -> Event {
        match tokio::time::timeout(wait, self.read_response()).await {
            Ok(Some(r)) => Event::Response(r),
            Ok(None) => Event::Closed,
            Err(_) => Event::Timeout,
        }
    }

    /// One response with its literals; `None` at end of input or on error.
    pub(super) async fn read_response(&mut self) -> Option<Response> {
        let mut text = String::new();
        let mut literals = Vec::new();
        loop {
            let mut line = Vec::new();
            if self.reader.read_until(b'\n', &mut line).await.ok()? == 0 {
                return None;
            }
            let line = line.strip_suffix(b"\r\n")?;
            text.push_str(&String::from_utf8_lossy(line));
            match literal_len(line) {
                Some(n) => {
                    let mut data = vec![0; n];
                    self.reader.read_exact(&mut data).await.ok()?;
                    literals.push(data);
                }
                None => return Some(Response { text, literals }),
            }
        }
    }

    /// Reads responses up to the one tagged `tag`: `Ok` with all of them,
    /// or `Err` with those that came before the connection closed. Panics
    /// when a response takes longer than [`RESPONSE`].
    pub(super) async fn until_tagged(&mut self, tag: &str) -> Result<Vec<Response>, Vec<Response>> {
        let prefix = format!("{tag} ");
        let mut got = Vec::new();
        loop {
            match self.next(RESPONSE).await {
                Event::Response(r) => {
                    let done = r.text.starts_with(&prefix);
                    got.push(r);
                    if done {
                        return Ok(got);
                    }
                }
                Event::Closed => return Err(got),
                Event::Timeout => panic!("no response tagged {tag} within {RESPONSE:?}: {got:?}"),
            }
        }
    }

    /// Sends `line` (first word: the tag) and reads up to its tagged
    /// response; `Err` as for [`Imap::until_tagged`].
    pub(super) async fn cmd(&mut self, line: &str) -> Result<Vec<Response>, Vec<Response>> {
        let tag = line.split(' ').next().unwrap();
        if !self.send(format!("{line}\r\n").as_bytes()).await {
            return Err(Vec::new());
        }
        self.until_tagged(tag).await
    }

    /// Like [`Imap::cmd`], asserting a tagged `OK`.
    pub(super) async fn cmd_ok(&mut self, line: &str) -> Vec<Response> {
        let tag = line.split(' ').next().unwrap();
        let r = self
            .cmd(line)
            .await
            .unwrap_or_else(|r| panic!("connection closed during {line:?}: {r:?}"));
        assert!(
            r.last().unwrap().text.starts_with(&format!("{tag} OK")),
            "{line:?} failed: {r:?}"
        );
        r
    }

    /// APPENDs `raw` to INBOX (LITERAL+) and says how it went.
    pub(super) async fn append(&mut self, tag: &str, raw: &[u8]) -> Outcome {
        if !self.send(&append_command(tag, raw)).await {
            return Outcome::Lost;
        }
        match self.until_tagged(tag).await {
            Ok(r) => outcome(r.last().unwrap()),
            Err(_) => Outcome::Lost,
        }
    }

    /// The UIDs of the selected mailbox in sequence order, from
    /// `FETCH 1:* (UID)`.
    pub(super) async fn uids(&mut self) -> Vec<u32> {
        let r = self.cmd_ok("U FETCH 1:* (UID)").await;
        r.iter()
            .filter(|r| r.text.contains(" FETCH ("))
            .map(|r| uid_of(&r.text).expect("a UID"))
            .collect()
    }

    /// Every message of the selected mailbox by UID, with its full body
    /// (`UID FETCH 1:* (UID BODY.PEEK[])`). Panics on a UID seen twice.
    pub(super) async fn bodies(&mut self) -> BTreeMap<u32, Vec<u8>> {
        let r = self.cmd_ok("B UID FETCH 1:* (UID BODY.PEEK[])").await;
        let mut out = BTreeMap::new();
        for resp in r.iter().filter(|r| r.text.contains(" FETCH (")) {
            let uid = uid_of(&resp.text).expect("a UID");
            assert_eq!(resp.literals.len(), 1, "one body per FETCH: {resp:?}");
            let previous = out.insert(uid, resp.literals[0].clone());
            assert!(previous.is_none(), "UID {uid} fetched twice");
        }
        out
    }
}

/// How an APPEND ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Tagged `OK` with this APPENDUID.
    Ok(u32),
    /// Tagged `NO` or `BAD` (the text).
    Refused(String),
    /// The connection closed before the tagged response.
    Lost,
}

/// The outcome a tagged APPEND response tells.
pub(super) fn outcome(tagged: &Response) -> Outcome {
    let mut words = tagged.text.split(' ');
    let _tag = words.next();
    if words.next() == Some("OK") {
        let uid = tagged
            .text
            .split("[APPENDUID ")
            .nth(1)
            .and_then(|rest| rest.split([' ', ']']).nth(1))
            .and_then(|uid| uid.parse().ok())
            .unwrap_or_else(|| panic!("APPEND OK without APPENDUID: {}", tagged.text));
        Outcome::Ok(uid)
    } else {
        Outcome::Refused(tagged.text.clone())
    }
}

/// `tag APPEND INBOX {n+}` with `raw` and the final CRLF.
pub(super) fn append_command(tag: &str, raw: &[u8]) -> Vec<u8> {
    let mut cmd = format!("{tag} APPEND INBOX {{{}+}}\r\n", raw.len()).into_bytes();
    cmd.extend_from_slice(raw);
    cmd.extend_from_slice(b"\r\n");
    cmd
}

/// The length of the literal a response line ends with (`{n}`).
pub(super) fn literal_len(line: &[u8]) -> Option<usize> {
    let open = line.iter().rposition(|&b| b == b'{')?;
    let digits = line.strip_suffix(b"}")?.get(open + 1..)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The number after `UID ` in a FETCH response.
pub(super) fn uid_of(text: &str) -> Option<u32> {
    let rest = text.split("UID ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `n` from `* n EXISTS`.
pub(super) fn exists_of(text: &str) -> Option<usize> {
    text.strip_prefix("* ")?
        .strip_suffix(" EXISTS")?
        .parse()
        .ok()
}

/// The value of `key` in a `* STATUS` response.
pub(super) fn status_item(text: &str, key: &str) -> u64 {
    let rest = text
        .split(&format!("{key} "))
        .nth(1)
        .unwrap_or_else(|| panic!("no {key} in {text}"));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// A distinct message for `label`; some are a few KB, with line lengths
/// and content varying by label.
pub(super) fn message(label: &str) -> Vec<u8> {
    let n = label.bytes().map(usize::from).sum::<usize>() % 7;
    let mut m = format!(
        "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: fault {label}\r\n\
         Message-ID: <{label}@faults.example.org>\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n\
         body of {label}\r\n"
    );
    for line in 0..n * 40 {
        m.push_str(&format!("{label} line {line}: the quick brown fox\r\n"));
    }
    m.into_bytes()
}

/// What a fresh session on an instance sees of INBOX.
#[derive(Debug)]
pub(super) struct View {
    /// Which instance, for messages.
    pub(super) instance: usize,
    /// STATUS MESSAGES (the stored counter).
    pub(super) messages: u64,
    /// STATUS UIDNEXT.
    pub(super) uidnext: u64,
    /// Every message by UID with its full body.
    pub(super) bodies: BTreeMap<u32, Vec<u8>>,
}

impl View {
    /// The UIDs in order.
    pub(super) fn uids(&self) -> Vec<u32> {
        self.bodies.keys().copied().collect()
    }
}

/// What a fresh session on instance number `instance` (1-based, for
/// messages) on `port` sees: STATUS's
/// MESSAGES and UIDNEXT, then SELECT's EXISTS, `UID SEARCH ALL` and every
/// body by UID — the last three checked to agree with each other, no UID
/// twice. (STATUS is checked by [`check`].)
pub(super) async fn recount(instance: usize, port: u16) -> View {
    let mut c = Imap::connect(port).await.expect("connect");
    c.cmd_ok("L LOGIN alice secret").await;
    let status = c.cmd_ok("T STATUS INBOX (MESSAGES UIDNEXT)").await;
    let status = &status
        .iter()
        .find(|r| r.text.starts_with("* STATUS"))
        .expect("a STATUS response")
        .text;
    let (messages, uidnext) = (
        status_item(status, "MESSAGES"),
        status_item(status, "UIDNEXT"),
    );
    let exists = c
        .cmd_ok("S SELECT INBOX")
        .await
        .iter()
        .find_map(|r| exists_of(&r.text))
        .expect("EXISTS");
    let search = c.cmd_ok("R UID SEARCH ALL").await;
    let searched: Vec<u32> = search
        .iter()
        .find(|r| r.text.starts_with("* SEARCH"))
        .expect("a SEARCH response")
        .text
        .split(' ')
        .skip(2)
        .map(|u| u.parse().unwrap())
        .collect();
    let unique: BTreeSet<u32> = searched.iter().copied().collect();
    assert_eq!(
        unique.len(),
        searched.len(),
        "instance {instance}: a UID twice: {searched:?}"
    );
    assert_eq!(
        exists,
        searched.len(),
        "instance {instance}: EXISTS and SEARCH ALL disagree"
    );
    let bodies = c.bodies().await;
    assert_eq!(
        bodies.keys().copied().collect::<BTreeSet<_>>(),
        unique,
        "instance {instance}: FETCH and SEARCH list different UIDs"
    );
    let _ = c.cmd("Z LOGOUT").await;
    View {
        instance,
        messages,
        uidnext,
        bodies,
    }
}

/// What a test sent, by outcome.
#[derive(Debug, Default)]
pub(super) struct Sent {
    /// Acknowledged APPENDs by APPENDUID.
    pub(super) acked: BTreeMap<u32, Vec<u8>>,
    /// APPENDs whose connection closed before their answer: each may or
    /// may not have been committed.
    pub(super) unanswered: Vec<Vec<u8>>,
    /// APPENDs answered NO: none may have been stored.
    pub(super) refused: Vec<Vec<u8>>,
}

/// Checks `view` against what was sent — every acknowledged APPEND is there
/// under its UID with its bytes, every message present is one that was
/// sent, no message is there twice, no refused APPEND left a message — and
/// then that STATUS's MESSAGES and UIDNEXT agree with what the session sees.
pub(super) fn check(view: &View, sent: &Sent) {
    let i = view.instance;
    let present = &view.bodies;
    let missing: Vec<u32> = sent
        .acked
        .keys()
        .filter(|uid| !present.contains_key(uid))
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "instance {i}: acknowledged UIDs {missing:?} missing from a fresh session's view \
         (STATUS MESSAGES {}, the session sees {})",
        view.messages,
        present.len()
    );
    for (uid, body) in &sent.acked {
        assert!(
            present[uid] == *body,
            "instance {i}: UID {uid} has other bytes than were appended"
        );
    }
    let all: BTreeSet<&[u8]> = sent
        .acked
        .values()
        .chain(&sent.unanswered)
        .map(Vec::as_slice)
        .collect();
    let refused: BTreeSet<&[u8]> = sent.refused.iter().map(Vec::as_slice).collect();
    let mut seen: HashMap<&[u8], u32> = HashMap::new();
    for (uid, body) in present {
        if let Some(other) = seen.insert(body.as_slice(), *uid) {
            panic!("instance {i}: the same message under UIDs {other} and {uid}");
        }
        assert!(
            !refused.contains(body.as_slice()),
            "instance {i}: UID {uid} is an APPEND that was answered NO"
        );
        assert!(
            all.contains(body.as_slice()),
            "instance {i}: UID {uid} is no message that was sent"
        );
    }
    assert_eq!(
        view.messages,
        present.len() as u64,
        "instance {i}: STATUS MESSAGES and the messages a session sees disagree"
    );
    let max = present.keys().copied().max().unwrap_or(0);
    assert!(
        view.uidnext > u64::from(max),
        "instance {i}: UIDNEXT {} not above UID {max}",
        view.uidnext
    );
}

/// Reads during IDLE until `* n EXISTS` with `n >= at_least`, `seen` being
/// the highest already read; returns the highest `n` seen. Panics after
/// `wait`.
pub(super) async fn idle_until_exists(
    c: &mut Imap,
    seen: usize,
    at_least: usize,
    wait: Duration,
) -> usize {
    let deadline = Instant::now() + wait;
    let mut highest = seen;
    while highest < at_least {
        let left = deadline.saturating_duration_since(Instant::now());
        match c.next(left).await {
            Event::Response(r) => {
                if let Some(n) = exists_of(&r.text) {
                    highest = highest.max(n);
                }
            }
            Event::Closed => panic!("the IDLE session was closed"),
            Event::Timeout => {
                panic!("IDLE saw {highest} EXISTS, not {at_least}, within {wait:?}")
            }
        }
    }
    highest
}

/// Starts IDLE: sends it and reads up to the `+` continuation.
pub(super) async fn idle_start(c: &mut Imap) {
    assert!(c.send(b"I IDLE\r\n").await);
    loop {
        match c.next(RESPONSE).await {
            Event::Response(r) if r.text.starts_with('+') => return,
            Event::Response(_) => {}
            other => panic!("IDLE not accepted: {other:?}"),
        }
    }
}

/// Ends IDLE (`DONE`) and reads its tagged OK.
pub(super) async fn idle_done(c: &mut Imap) {
    assert!(c.send(b"DONE\r\n").await);
    let r = c.until_tagged("I").await.expect("IDLE ended");
    assert!(r.last().unwrap().text.starts_with("I OK"), "{r:?}");
}
