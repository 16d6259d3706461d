//! SEARCH BODY and TEXT through the store's full-text index (filled by the
//! background indexer, `Engine::index_pending_texts`), against the
//! same searches answered by reading every message (the path for rows
//! stored before the index) and, for BODY, against the text the test put
//! in the messages: random mail with non-ASCII text in quoted-printable,
//! base64 and ISO-8859-1, RFC 2047 subjects, alternatives and attachments.

mod common;

use common::Client;

/// Words the messages are made of: case pairs that lowercase alike (and
/// ß, which does not uppercase to one character), characters the index's
/// query syntaxes treat specially, scripts of two, three and four bytes.
const WORDS: &[&str] = &[
    "zanzibar",
    "Quarterly",
    "REPORT",
    "Grüße",
    "GRÜSSE",
    "ΣΊΣΥΦΟΣ",
    "σίσυφος",
    "İstanbul",
    "\u{212A}elvin",
    "café",
    "naïve",
    "日本語テキスト",
    "x%y_z",
    "\"quoted\"",
    "back\\slash",
    "🦀rust🦀",
    "Ölçü",
    "été",
];

/// A word only ever written in attachments (which BODY does not read).
const ATTACHED: &str = "attachmentonly";

/// A small xorshift generator: the same mail on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Quoted-printable with a soft line break every 20 encoded characters, so
/// that words are split across lines of the encoding.
fn quoted_printable(data: &[u8]) -> String {
    let mut out = String::new();
    let mut line = 0;
    for &b in data {
        let piece = if (33..=126).contains(&b) && b != b'=' || b == b' ' {
            (b as char).to_string()
        } else {
            format!("={b:02X}")
        };
        if line + piece.len() > 20 {
            out.push_str("=\r\n");
            line = 0;
        }
        line += piece.len();
        out.push_str(&piece);
    }
    out
}

/// One random message and the text its body holds for SEARCH BODY.
fn random_message(rng: &mut Rng, i: usize) -> (String, String) {
    let subject = rng.words(2);
    let header = format!(
        "From: Sender {i} <s{i}@example.org>\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\n",
        base64(subject.as_bytes())
    );
    let count = 3 + rng.below(10);
    let text = rng.words(count);
    let part = |rng: &mut Rng, text: &str| -> String {
        let latin1: Option<Vec<u8>> = text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect();
        match (rng.below(4), latin1) {
            (0, _) => format!(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"
            ),
            (1, _) => format!(
                "Content-Type: text/plain; charset=utf-8\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n{}",
                quoted_printable(text.as_bytes())
            ),
            (2, Some(bytes)) => format!(
                "Content-Type: text/plain; charset=iso-8859-1\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n{}",
                quoted_printable(&bytes)
            ),
            _ => format!(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
                base64(text.as_bytes())
            ),
        }
    };
    match rng.below(3) {
        0 => {
            let body = part(rng, &text);
            (format!("{header}{body}\r\n"), text)
        }
        1 => {
            let html = format!("<p>{}</p>", rng.words(2));
            let raw = format!(
                "{header}Content-Type: multipart/alternative; boundary=b{i}\r\n\r\n\
                 --b{i}\r\n{}\r\n--b{i}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n\
                 --b{i}--\r\n",
                part(rng, &text)
            );
            (raw, format!("{text}\n{html}"))
        }
        _ => {
            let raw = format!(
                "{header}Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n\
                 --b{i}\r\n{}\r\n--b{i}\r\nContent-Type: application/octet-stream\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b{i}--\r\n",
                part(rng, &text),
                base64(format!("{ATTACHED} {}", rng.words(2)).as_bytes())
            );
            (raw, text)
        }
    }
}

/// Lowercases as SEARCH does, independently of the server's code.
fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Runs the background indexer until nothing waits; returns how many
/// messages it took.
async fn index_everything(env: &common::Env) -> usize {
    let mut taken = 0;
    loop {
        match env.engine.index_pending_texts(50).await.unwrap() {
            0 => return taken,
            n => taken += n,
        }
    }
}

/// APPENDs `raw` to mailbox `to`.
async fn append_to(c: &mut Client, to: &str, raw: &str) {
    let r = c
        .run(&format!("a APPEND {to} {{{}}}\r\n{raw}", raw.len()))
        .await;
    assert!(r.last().unwrap().starts_with("a OK"), "{r:?}");
}

/// `UID SEARCH CHARSET UTF-8 <key> <needle>`'s UIDs.
async fn search(c: &mut Client, key: &str, needle: &str) -> Vec<u32> {
    let r = c
        .run(&format!(
            "s UID SEARCH CHARSET UTF-8 {key} {{{}}}\r\n{needle}",
            needle.len()
        ))
        .await;
    let done = r.last().unwrap();
    assert!(
        done.starts_with("s OK ") && done.ends_with("UID SEARCH completed"),
        "{key} {needle:?}: {r:?}"
    );
    let line = r
        .iter()
        .find(|l| l.starts_with("* SEARCH"))
        .expect("a SEARCH line");
    line["* SEARCH".len()..]
        .split_whitespace()
        .map(|u| u.parse().unwrap())
        .collect()
}

/// Needles drawn from the messages' words: substrings of every length,
/// across word boundaries, with their case changed at random.
fn needles(rng: &mut Rng, bodies: &[String]) -> Vec<String> {
    let mut out: Vec<String> = ["zzz", ATTACHED, "x%y", "\"quo", "k\\s", "ss", "é", "REP"]
        .map(String::from)
        .to_vec();
    while out.len() < 70 {
        let chars: Vec<char> = bodies[rng.below(bodies.len())].chars().collect();
        let len = 1 + rng.below(chars.len().min(12));
        let at = rng.below(chars.len() - len + 1);
        let mut needle: String = chars[at..at + len].iter().collect();
        if rng.below(2) == 0 {
            needle = needle.to_uppercase();
        }
        if !needle.trim().is_empty() {
            out.push(needle);
        }
    }
    out
}

both! {
    async fn index_agrees_with_reading_every_message(env) {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut c = env.client("alice").await;
        assert!(c.run("c CREATE Legacy").await.last().unwrap().starts_with("c OK"));
        // The same mail in INBOX (indexed) and in Legacy, which then loses
        // its index entries as rows stored before the index have none.
        let mail: Vec<(String, String)> = (0..60).map(|i| random_message(&mut rng, i)).collect();
        for (raw, _) in &mail {
            append_to(&mut c, "INBOX", raw).await;
            append_to(&mut c, "Legacy", raw).await;
        }
        // Appended mail waits for the background indexer.
        assert_eq!(index_everything(&env).await, 120);
        let legacy = env
            .store
            .mailbox_by_name(c.session.account().unwrap().id, "Legacy")
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(hadron_store::testing::forget_text_index(&env.store, legacy), 60);
        // Newer mail is indexed in both: Legacy is read for some messages only.
        let newer: Vec<(String, String)> = (60..75).map(|i| random_message(&mut rng, i)).collect();
        for (raw, _) in &newer {
            append_to(&mut c, "INBOX", raw).await;
            append_to(&mut c, "Legacy", raw).await;
        }
        assert_eq!(index_everything(&env).await, 30);
        assert!(env.store.pending_texts(1).unwrap().is_empty());
        let bodies: Vec<String> = mail.iter().chain(&newer).map(|(_, text)| text.clone()).collect();
        let mut d = env.client("alice").await;
        let mut found = 0;
        for needle in needles(&mut rng, &bodies) {
            let want: Vec<u32> = (1..)
                .zip(&bodies)
                .filter(|(_, text)| lower(text).contains(&lower(&needle)))
                .map(|(uid, _)| uid)
                .collect();
            c.run("s SELECT INBOX").await;
            d.run("s SELECT Legacy").await;
            let body = search(&mut c, "BODY", &needle).await;
            assert_eq!(body, want, "BODY {needle:?}");
            assert_eq!(search(&mut d, "BODY", &needle).await, want, "BODY {needle:?}, read");
            let text = search(&mut c, "TEXT", &needle).await;
            assert_eq!(search(&mut d, "TEXT", &needle).await, text, "TEXT {needle:?}");
            assert!(want.iter().all(|u| text.contains(u)), "TEXT {needle:?} holds BODY's");
            found += want.len();
        }
        assert!(found > 100, "the needles find mail: {found}");
        // The subject is in the header (RFC 2047-encoded there), not the body.
        let subject = "xylophone umbrella";
        let raw = format!("Subject: =?UTF-8?Q?{}?=\r\n\r\nnothing\r\n", subject.replace(' ', "_"));
        append_to(&mut c, "INBOX", &raw).await;
        index_everything(&env).await;
        c.run("s SELECT INBOX").await;
        assert_eq!(search(&mut c, "TEXT", "XYLOPHONE UMBRELLA").await, [76]);
        assert_eq!(search(&mut c, "BODY", "xylophone").await, Vec::<u32>::new());
        assert_eq!(search(&mut c, "BODY", "NOTHING").await, [76]);
        assert_eq!(search(&mut c, "BODY", ATTACHED).await, Vec::<u32>::new());
    }

    async fn a_message_expunged_elsewhere_is_still_found_until_told(env) {
        let mut c = env.client("alice").await;
        for word in ["zanzibar one", "nothing", "zanzibar two"] {
            append_to(&mut c, "INBOX", &format!("Subject: s\r\n\r\n{word}\r\n")).await;
        }
        c.run("s SELECT INBOX").await;
        assert_eq!(search(&mut c, "BODY", "zanzibar").await, [1, 3], "before indexing");
        assert_eq!(index_everything(&env).await, 3);
        common::expunge_elsewhere(&env, "alice", 1).await;
        // The session was not told: message 1 is still there for it.
        assert_eq!(search(&mut c, "BODY", "ZANZIBAR").await, [1, 3]);
        let r = c.run("n NOOP").await;
        assert_eq!(r[0], "* 1 EXPUNGE");
        assert_eq!(search(&mut c, "BODY", "zanzibar").await, [3]);
    }
}
