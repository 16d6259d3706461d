//! Deterministic, realistic generated mail.
//!
//! Message `i` of seed `s` is always the same bytes. The mix resembles a
//! real mailbox: mostly small plain-text mail, some `multipart/alternative`
//! (text and HTML), some `multipart/mixed` with base64 attachments of
//! incompressible data; display names and subjects with non-ASCII text as
//! RFC 2047 encoded words; UTF-8 bodies in quoted-printable.
//!
//! Sizes run from 2 KB to 2 MB and are mostly small: 85% under 20 KB, 13%
//! from 20 to 100 KB, 1.8% up to 1 MB and 0.2% up to 2 MB (mean about
//! 23 KB, so 1M messages are about 23 GB).

use hadron_proto::types::DateTime;

use crate::rng::Rng;

/// Smallest generated message in bytes.
pub const MIN_SIZE: usize = 2 * 1024;
/// Largest generated message in bytes (the target of the largest class;
/// a message may exceed it by a few hundred bytes of MIME framing).
pub const MAX_SIZE: usize = 2 * 1024 * 1024;

/// A surname carried by about one sender in eight (for `SEARCH FROM`).
pub const SEARCH_FROM: &str = "Hansen";
/// The end of the address of about one sender in a hundred (a surname
/// and a domain, for `SEARCH FROM` with few hits).
pub const SEARCH_FROM_ADDRESS: &str = "fischer@example.net";
/// The end of the address of about one recipient in a hundred (for
/// `SEARCH TO`).
pub const SEARCH_TO_ADDRESS: &str = "costa@example.org";
/// A word in about one subject in ten (for `SEARCH SUBJECT`).
pub const SEARCH_SUBJECT: &str = "quarterly";
/// A word in about one message body in a hundred (for `SEARCH BODY`).
pub const SEARCH_BODY: &str = "zanzibar";
/// Dates (`Date:` header and internal date) fall in
/// `[DATE_START, DATE_START + DATE_SPAN)`, Unix seconds (2020–2024).
pub const DATE_START: i64 = 1_577_836_800;
/// See [`DATE_START`]: five years.
pub const DATE_SPAN: i64 = 5 * 365 * 86_400;

/// The shape of a generated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One `text/plain` body.
    Plain,
    /// `multipart/alternative`: `text/plain` and `text/html`.
    Alternative,
    /// `multipart/mixed`: a text part and one or more base64 attachments.
    Mixed,
}

/// A generated message with what an APPEND needs besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The RFC 5322 message, CRLF line ends, no NUL.
    pub data: Vec<u8>,
    /// Its `Date:`, also used as the internal date.
    pub date: DateTime,
    /// Whether it is appended with `\Seen` (70%).
    pub seen: bool,
    /// Whether it is appended with `\Flagged` (5%).
    pub flagged: bool,
    /// Its MIME shape.
    pub kind: Kind,
}

/// The generator: a seed; [`MailGen::message`] is a pure function of it and
/// the index.
#[derive(Debug, Clone, Copy)]
pub struct MailGen {
    seed: u64,
}

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin",
    "Lars", "Maria", "Nils", "Olivia", "Paul", "Rosa", "Sven", "Tina", "Umar", "Jürgen", "Zoë",
    "José", "Łukasz", "Søren", "Chloé", "Björn", "Ana", "Ñora", "Dmitri",
];
const LAST_NAMES: &[&str] = &[
    "Hansen",
    "Schmidt",
    "Garcia",
    "Novak",
    "Keller",
    "Weber",
    "Rossi",
    "Dubois",
    "Larsen",
    "Müller",
    "Ødegaard",
    "Wójcik",
    "Fernández",
    "Berg",
    "Hansen",
    "Lindqvist",
    "Ivanov",
    "Moreau",
    "Fischer",
    "Costa",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
    "lists.example.org",
];
const WORDS: &[&str] = &[
    "the",
    "meeting",
    "project",
    "report",
    "budget",
    "team",
    "review",
    "update",
    "plan",
    "schedule",
    "customer",
    "release",
    "draft",
    "please",
    "attached",
    "thanks",
    "regards",
    "next",
    "week",
    "tomorrow",
    "agenda",
    "notes",
    "question",
    "about",
    "invoice",
    "order",
    "shipping",
    "server",
    "database",
    "deadline",
    "proposal",
    "contract",
    "feedback",
    "design",
    "with",
    "for",
    "and",
    "from",
    "this",
    "that",
    "will",
    "have",
    "we",
    "you",
    "our",
    "new",
    "quarterly",
    "results",
    "office",
    "travel",
    "lunch",
    "call",
    "summary",
    "status",
];
const INTL_WORDS: &[&str] = &[
    "Grüße",
    "Besprechung",
    "réunion",
    "été",
    "año",
    "mañana",
    "Übersicht",
    "København",
    "Zürich",
    "naïve",
    "façade",
    "crème",
    "Łódź",
    "smörgåsbord",
];
const SUBJECT_STARTS: &[&str] = &["", "Re: ", "Fwd: ", "Re: Re: ", "AW: ", ""];
const ATTACHMENTS: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("application/zip", "zip"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl MailGen {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        MailGen { seed }
    }

    /// The target size of message `index` (the message is within a few
    /// hundred bytes of it, never below [`MIN_SIZE`]).
    pub fn target_size(&self, index: u64) -> usize {
        let mut rng = Rng::for_item(self.seed ^ 0x5153_4953_5a45, index);
        let class = rng.unit();
        let (lo, hi) = if class < 0.85 {
            (MIN_SIZE, 20 * 1024)
        } else if class < 0.98 {
            (20 * 1024, 100 * 1024)
        } else if class < 0.998 {
            (100 * 1024, 1024 * 1024)
        } else {
            (1024 * 1024, MAX_SIZE)
        };
        // Log-uniform within the class: small sizes are more common.
        let (lo_f, hi_f) = (lo as f64, hi as f64);
        let size = lo_f * (hi_f / lo_f).powf(rng.unit());
        (size as usize).clamp(lo, hi)
    }

    /// Message `index`.
    pub fn message(&self, index: u64) -> Message {
        let target = self.target_size(index);
        let mut message = self.build(index, target);
        // The body is sized from an estimate of the framing; aim higher when
        // that left the message under the minimum (the same random choices
        // are made again, only lengths change).
        let mut aim = target;
        while message.data.len() < MIN_SIZE.max(target.saturating_sub(1024)) && aim < target + 8192
        {
            aim += target - message.data.len().min(target) + 64;
            message = self.build(index, aim);
        }
        message
    }

    fn build(&self, index: u64, target: usize) -> Message {
        let mut rng = Rng::for_item(self.seed, index);
        let unix = DATE_START + rng.below(DATE_SPAN as u64) as i64;
        let zone = *rng.pick(&[0i16, 60, 120, -300, -420, 330, 540]);
        let date = DateTime::from_unix(unix, zone).expect("dates 2020-2024 are valid");
        let seen = rng.chance(0.7);
        let flagged = rng.chance(0.05);
        let kind = if target > 60 * 1024 {
            Kind::Mixed
        } else {
            match rng.weighted(&[55, 30, 15]) {
                0 => Kind::Plain,
                1 => Kind::Alternative,
                _ => Kind::Mixed,
            }
        };
        let international = rng.chance(0.25);
        let needle = rng.chance(0.01);

        let mut out = Vec::with_capacity(target + 1024);
        let from = person(&mut rng);
        let to = person(&mut rng);
        header(&mut out, "Return-Path", &format!("<{}>", from.1));
        header(
            &mut out,
            "Received",
            &format!(
                "from mx{}.{} (mx.{} [192.0.2.{}])\r\n\tby imap.example.net with ESMTPS id {:016x}\r\n\tfor <{}>; {}",
                rng.below(9),
                DOMAINS[0],
                DOMAINS[1],
                rng.range(1, 254),
                rng.next_u64(),
                to.1,
                rfc5322_date(date)
            ),
        );
        header(&mut out, "Date", &rfc5322_date(date));
        header(&mut out, "From", &mailbox(&from));
        header(&mut out, "To", &mailbox(&to));
        if rng.chance(0.3) {
            let cc = person(&mut rng);
            header(&mut out, "Cc", &mailbox(&cc));
        }
        let subject = subject(&mut rng, international);
        header(&mut out, "Subject", &encode_header_text(&subject));
        header(
            &mut out,
            "Message-ID",
            &format!("<{:x}.{index}@bench.hadron.invalid>", self.seed),
        );
        if subject.starts_with("Re:") && index > 0 {
            let parent = rng.below(index);
            let reference = format!("<{:x}.{parent}@bench.hadron.invalid>", self.seed);
            header(&mut out, "In-Reply-To", &reference);
            header(&mut out, "References", &reference);
        }
        header(&mut out, "MIME-Version", "1.0");

        let remaining = target.saturating_sub(out.len() + 200);
        match kind {
            Kind::Plain => {
                let (ct, cte, body) = text_part(&mut rng, remaining, international, needle);
                header(&mut out, "Content-Type", &ct);
                header(&mut out, "Content-Transfer-Encoding", cte);
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&body);
            }
            Kind::Alternative => {
                let boundary = format!("=_alt_{:016x}", rng.next_u64());
                header(
                    &mut out,
                    "Content-Type",
                    &format!("multipart/alternative; boundary=\"{boundary}\""),
                );
                out.extend_from_slice(b"\r\nThis is a multi-part message in MIME format.\r\n");
                let half = remaining / 2;
                let (ct, cte, text) = text_part(&mut rng, half, international, needle);
                part(&mut out, &boundary, &ct, cte, None, &text);
                let html = html_part(&text);
                part(
                    &mut out,
                    &boundary,
                    "text/html; charset=utf-8",
                    cte,
                    None,
                    &html,
                );
                close(&mut out, &boundary);
            }
            Kind::Mixed => {
                let boundary = format!("=_mix_{:016x}", rng.next_u64());
                header(
                    &mut out,
                    "Content-Type",
                    &format!("multipart/mixed; boundary=\"{boundary}\""),
                );
                out.extend_from_slice(b"\r\nThis is a multi-part message in MIME format.\r\n");
                let text_len = remaining.min(rng.range(400, 3000) as usize);
                let (ct, cte, text) = text_part(&mut rng, text_len, international, needle);
                part(&mut out, &boundary, &ct, cte, None, &text);
                let mut left = remaining.saturating_sub(text.len() + 200);
                let count = if left > 20 * 1024 { rng.range(1, 3) } else { 1 };
                for n in 0..count {
                    let share = if n + 1 == count {
                        left
                    } else {
                        left / (count - n) as usize
                    };
                    left -= share;
                    // base64 with CRLF every 76 characters: 78 bytes per 57 raw.
                    let raw_len = (share.saturating_sub(300) * 57 / 78).max(64);
                    let mut raw = vec![0u8; raw_len];
                    for chunk in raw.chunks_mut(8) {
                        let bits = rng.next_u64().to_le_bytes();
                        chunk.copy_from_slice(&bits[..chunk.len()]);
                    }
                    let (mime, ext) = *rng.pick(ATTACHMENTS);
                    let name = if international && n == 0 {
                        encode_header_text(&format!("Übersicht {index}.{ext}"))
                    } else {
                        format!("attachment-{index}-{n}.{ext}")
                    };
                    let disposition = format!("attachment; filename=\"{name}\"");
                    let ct = format!("{mime}; name=\"{name}\"");
                    part(
                        &mut out,
                        &boundary,
                        &ct,
                        "base64",
                        Some(&disposition),
                        &base64_lines(&raw),
                    );
                }
                close(&mut out, &boundary);
            }
        }
        Message {
            data: out,
            date,
            seen,
            flagged,
            kind,
        }
    }
}

fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn part(
    out: &mut Vec<u8>,
    boundary: &str,
    content_type: &str,
    encoding: &str,
    disposition: Option<&str>,
    body: &[u8],
) {
    out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
    header(out, "Content-Type", content_type);
    header(out, "Content-Transfer-Encoding", encoding);
    if let Some(d) = disposition {
        header(out, "Content-Disposition", d);
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

fn close(out: &mut Vec<u8>, boundary: &str) {
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
}

/// `(display name, address)`.
fn person(rng: &mut Rng) -> (String, String) {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let local: String = format!("{first}.{last}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c.to_ascii_lowercase()
            } else {
                'x'
            }
        })
        .collect();
    (
        format!("{first} {last}"),
        format!("{local}@{}", rng.pick(DOMAINS)),
    )
}

fn mailbox((name, addr): &(String, String)) -> String {
    if name.is_ascii() {
        format!("\"{name}\" <{addr}>")
    } else {
        format!("{} <{addr}>", encode_header_text(name))
    }
}

fn subject(rng: &mut Rng, international: bool) -> String {
    let mut s = String::from(*rng.pick(SUBJECT_STARTS));
    let n = rng.range(2, 8);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let word = if international && rng.chance(0.3) {
            *rng.pick(INTL_WORDS)
        } else {
            *rng.pick(WORDS)
        };
        if i == 0 {
            let mut chars = word.chars();
            if let Some(c) = chars.next() {
                s.extend(c.to_uppercase());
                s.push_str(chars.as_str());
            }
        } else {
            s.push_str(word);
        }
    }
    s
}

/// Header text as is when ASCII, else as RFC 2047 `B` encoded words of at
/// most 75 characters, folded onto continuation lines.
pub fn encode_header_text(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        // 45 bytes of input make 60 base64 characters; with `=?UTF-8?B?` and
        // `?=` that is 72.
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// `(content type, transfer encoding, body)` of a text part of about `len`
/// bytes.
fn text_part(
    rng: &mut Rng,
    len: usize,
    international: bool,
    needle: bool,
) -> (String, &'static str, Vec<u8>) {
    let mut text = String::with_capacity(len + 100);
    let mut line = String::new();
    let mut needle_at = if needle { rng.below(20) } else { u64::MAX };
    let mut words = 0u64;
    let len = len.max(200);
    while text.len() < len {
        let word = if words == needle_at {
            needle_at = u64::MAX;
            SEARCH_BODY
        } else if international && rng.chance(0.08) {
            *rng.pick(INTL_WORDS)
        } else {
            *rng.pick(WORDS)
        };
        words += 1;
        if !line.is_empty() && line.len() + word.len() + 1 > 72 {
            text.push_str(&line);
            text.push_str("\r\n");
            if rng.chance(0.15) {
                text.push_str("\r\n");
            }
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    text.push_str(&line);
    text.push_str("\r\n");
    if international {
        (
            "text/plain; charset=utf-8; format=flowed".to_owned(),
            "quoted-printable",
            quoted_printable(text.as_bytes()),
        )
    } else {
        (
            "text/plain; charset=us-ascii".to_owned(),
            "7bit",
            text.into_bytes(),
        )
    }
}

/// The same text wrapped in minimal HTML (lines stay short and CRLF-ended).
fn html_part(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 200);
    out.extend_from_slice(b"<html><head><meta charset=\"utf-8\"></head><body>\r\n<p>\r\n");
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            out.extend_from_slice(b"</p>\r\n<p>\r\n");
        } else {
            out.extend_from_slice(line);
            out.extend_from_slice(b"<br>\r\n");
        }
    }
    out.extend_from_slice(b"</p>\r\n</body></html>\r\n");
    out
}

/// Quoted-printable (RFC 2045 §6.7) of CRLF-separated text: 8-bit and `=`
/// escaped, soft line breaks keep lines within 76 characters.
fn quoted_printable(text: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(text.len() * 11 / 10);
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut col = 0;
        for &b in line {
            let plain = (b' '..=b'~').contains(&b) && b != b'=';
            let width = if plain { 1 } else { 3 };
            if col + width > 75 {
                out.extend_from_slice(b"=\r\n");
                col = 0;
            }
            if plain {
                out.push(b);
            } else {
                out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
            col += width;
        }
        out.extend_from_slice(b"\r\n");
    }
    // `split` yields an empty last piece after the final LF.
    out.truncate(out.len() - 2);
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, on one line.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in lines of 76 characters, each ended by CRLF.
fn base64_lines(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 78 / 57 + 4);
    for chunk in data.chunks(57) {
        out.extend_from_slice(base64(chunk).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// `Tue, 05 Mar 2024 10:22:31 +0100`.
fn rfc5322_date(date: DateTime) -> String {
    let d = date.date();
    let (h, m, s) = date.time();
    let zone = date.zone_minutes();
    let local_days = (date.to_unix() + i64::from(zone) * 60).div_euclid(86_400);
    let weekday = DAYS[local_days.rem_euclid(7) as usize];
    let sign = if zone < 0 { '-' } else { '+' };
    let z = zone.unsigned_abs();
    format!(
        "{weekday}, {:02} {} {} {h:02}:{m:02}:{s:02} {sign}{:02}{:02}",
        d.day(),
        MONTHS[usize::from(d.month() - 1)],
        d.year(),
        z / 60,
        z % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn the_same_seed_and_index_give_the_same_message() {
        let g = MailGen::new(42);
        for i in [0, 1, 17, 999] {
            assert_eq!(g.message(i), g.message(i));
        }
        assert_ne!(g.message(3).data, MailGen::new(43).message(3).data);
        assert_ne!(g.message(3).data, g.message(4).data);
    }

    #[test]
    fn messages_are_well_formed() {
        let g = MailGen::new(7);
        let mut kinds = [0usize; 3];
        for i in 0..300 {
            let m = g.message(i);
            let data = &m.data;
            assert!(data.len() >= MIN_SIZE, "message {i}: {} bytes", data.len());
            assert!(
                data.len() <= MAX_SIZE + 8 * 1024,
                "message {i}: {} bytes",
                data.len()
            );
            assert!(!data.contains(&0), "NUL in message {i}");
            assert!(data.is_ascii(), "8-bit byte in message {i}");
            // Every line ends in CRLF and is within RFC 5322's 998 characters.
            assert!(data.ends_with(b"\r\n"));
            let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            let (last, lines) = lines.split_last().unwrap();
            assert!(last.is_empty(), "message {i} does not end in a line end");
            for (n, line) in lines.iter().enumerate() {
                assert!(line.ends_with(b"\r"), "bare LF in message {i} line {n}");
                assert!(line.len() <= 999, "long line in message {i}");
            }
            let head_end = find(data, b"\r\n\r\n").expect("header/body separator");
            let head = std::str::from_utf8(&data[..head_end]).unwrap();
            for name in [
                "Date: ",
                "From: ",
                "To: ",
                "Subject: ",
                "Message-ID: ",
                "MIME-Version: 1.0",
            ] {
                assert!(head.contains(name), "message {i} lacks {name}");
            }
            match m.kind {
                Kind::Plain => {
                    kinds[0] += 1;
                    assert!(head.contains("Content-Type: text/plain"));
                }
                Kind::Alternative | Kind::Mixed => {
                    kinds[if m.kind == Kind::Alternative { 1 } else { 2 }] += 1;
                    let at = head.find("boundary=\"").expect("boundary parameter") + 10;
                    let boundary = &head[at..at + head[at..].find('"').unwrap()];
                    let open = format!("\r\n--{boundary}\r\n");
                    let close = format!("\r\n--{boundary}--\r\n");
                    let body = &data[head_end..];
                    assert!(
                        body.windows(open.len())
                            .filter(|w| *w == open.as_bytes())
                            .count()
                            >= 2,
                        "message {i}: fewer than two parts"
                    );
                    assert!(
                        data.ends_with(close.as_bytes()),
                        "message {i}: no closing boundary"
                    );
                    if m.kind == Kind::Mixed {
                        assert!(head.contains("multipart/mixed"));
                        assert!(find(body, b"Content-Transfer-Encoding: base64").is_some());
                    } else {
                        assert!(find(body, b"Content-Type: text/html").is_some());
                    }
                }
            }
        }
        assert!(
            kinds.iter().all(|&k| k > 0),
            "every kind appears: {kinds:?}"
        );
    }

    #[test]
    fn sizes_are_mostly_small() {
        let g = MailGen::new(1);
        let n = 5000;
        let sizes: Vec<usize> = (0..n).map(|i| g.target_size(i)).collect();
        let small = sizes.iter().filter(|&&s| s < 20 * 1024).count();
        assert!(small * 100 >= 80 * n as usize, "{small} of {n} under 20 KB");
        assert!(sizes.iter().any(|&s| s > 100 * 1024), "no large messages");
        assert!(sizes.iter().all(|&s| (MIN_SIZE..=MAX_SIZE).contains(&s)));
        // The message is about its target size.
        for i in 0..50 {
            let (target, real) = (g.target_size(i), g.message(i).data.len());
            assert!(
                real + 1024 >= target && real <= target + 4096,
                "{i}: {target} vs {real}"
            );
        }
    }

    #[test]
    fn non_ascii_headers_are_encoded_words() {
        let e = encode_header_text("Grüße aus Zürich");
        assert_eq!(e, "=?UTF-8?B?R3LDvMOfZSBhdXMgWsO8cmljaA==?=");
        assert_eq!(encode_header_text("plain"), "plain");
        let long = encode_header_text(&"ä".repeat(60));
        assert!(
            long.split("\r\n ")
                .all(|w| w.len() <= 75 && w.starts_with("=?UTF-8?B?"))
        );
        let g = MailGen::new(9);
        let any_encoded = (0..100).any(|i| find(&g.message(i).data, b"=?UTF-8?B?").is_some());
        assert!(any_encoded);
    }

    #[test]
    fn base64_and_quoted_printable() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(quoted_printable("a=é\r\n".as_bytes()), b"a=3D=C3=A9\r\n");
    }

    #[test]
    fn rare_addresses_are_about_one_in_a_hundred() {
        let g = MailGen::new(1);
        let n = 2000;
        let (mut from, mut to) = (0, 0);
        for i in 0..n {
            let data = g.message(i).data;
            let head_end = find(&data, b"\r\n\r\n").unwrap();
            let head = std::str::from_utf8(&data[..head_end]).unwrap();
            let field = |name: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            };
            from += usize::from(field("From: ").contains(SEARCH_FROM_ADDRESS));
            to += usize::from(field("To: ").contains(SEARCH_TO_ADDRESS));
        }
        // 1% of 2,000 is 20.
        assert!(
            (8..=40).contains(&from),
            "{from} of {n} from {SEARCH_FROM_ADDRESS}"
        );
        assert!((8..=40).contains(&to), "{to} of {n} to {SEARCH_TO_ADDRESS}");
    }

    #[test]
    fn dates_are_formatted() {
        let d = DateTime::from_unix(1_709_630_551, 60).unwrap(); // 2024-03-05 09:22:31 UTC
        assert_eq!(rfc5322_date(d), "Tue, 05 Mar 2024 10:22:31 +0100");
    }
}
