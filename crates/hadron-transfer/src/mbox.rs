//! mbox files: messages one after the other, each after a `From ` line.
//!
//! A message starts at a line beginning `From ` at the start of the file or
//! after an empty line (`From sender Www Mmm dd hh:mm:ss yyyy`, the
//! delivery time: the INTERNALDATE); the empty line before the next one
//! belongs to the separator. Lines of a message that would look like a
//! separator are quoted with `>`: **mboxrd** quotes `>*From ` (and unquoting
//! removes one `>` from such lines, so quoting is reversible), **mboxo**
//! only `From ` (so `>From ` in a message cannot be told from a quoted
//! line). Flags live in headers that mail programs add: `Status:` (`R`
//! read), `X-Status:` (`A` answered, `F` flagged, `T` draft, `D` deleted),
//! `X-Keywords:`, and Thunderbird's `X-Mozilla-Status:` (hex: 1 read, 2
//! replied, 4 flagged, 8 deleted) and `X-Mozilla-Keys:`. Reading removes
//! them (and `X-UID:`, `X-IMAP:`, `X-IMAPbase:`, `Content-Length:`), as
//! Dovecot does: they describe the file, not the message.

use std::io::{BufRead, Write};

use hadron_proto::types::{Date, DateTime, Flag};
use hadron_state::flags::{FlagSet, SystemFlags};

use crate::lines::{to_crlf, to_lf};

/// How lines that look like separators are quoted in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quoting {
    /// `>*From ` gains (or, read, loses) one `>`: reversible.
    #[default]
    Mboxrd,
    /// Only `From ` gains a `>`; reading unquotes `>From ` alone.
    Mboxo,
}

/// One message read from an mbox file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage {
    /// The message, unquoted, without the flag headers, with CRLF line ends.
    pub raw: Vec<u8>,
    /// Its flags from the flag headers.
    pub flags: FlagSet,
    /// The date of its `From ` line, Unix seconds, if it parsed.
    pub internal_date: Option<i64>,
    /// The line number (1-based) of its `From ` line, for reports.
    pub line: u64,
    /// Its size in the file when that is over the reader's limit
    /// ([`Reader::max_message`]): then `raw` is empty (the message was
    /// read past, not kept) and the flags are unknown.
    pub too_large: Option<u64>,
}

/// Reads the messages of an mbox file one by one ([`Iterator`] of
/// `io::Result<MboxMessage>`); the input is read in a single pass.
#[derive(Debug)]
pub struct Reader<R> {
    input: R,
    quoting: Quoting,
    /// The `From ` line starting the next message, and its line number.
    next_from: Option<(Vec<u8>, u64)>,
    line: u64,
    done: bool,
    max_message: u64,
}

fn is_separator(line: &[u8]) -> bool {
    line.starts_with(b"From ")
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

impl<R: BufRead> Reader<R> {
    /// A reader of `input`. Text before the first `From ` line (other than
    /// empty lines) makes the first item an error of kind `InvalidData`.
    pub fn new(input: R, quoting: Quoting) -> Reader<R> {
        Reader {
            input,
            quoting,
            next_from: None,
            line: 0,
            done: false,
            max_message: u64::MAX,
        }
    }

    /// Keeps no message over `bytes` in memory: one that is longer is read
    /// past and given with [`MboxMessage::too_large`] set.
    pub fn max_message(mut self, bytes: u64) -> Reader<R> {
        self.max_message = bytes;
        self
    }

    /// Reads one line into `buf`, keeping at most the message limit of it
    /// (a line without end, however long, is read past in pieces); returns
    /// its whole length, 0 at the end of the input.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<u64> {
        buf.clear();
        let keep = usize::try_from(self.max_message.saturating_add(1)).unwrap_or(usize::MAX);
        let mut total = 0u64;
        loop {
            let available = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let (piece, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..=i], true),
                None => (available, false),
            };
            let room = keep.saturating_sub(buf.len()).min(piece.len());
            buf.extend_from_slice(&piece[..room]);
            let used = piece.len();
            total += used as u64;
            self.input.consume(used);
            if done {
                break;
            }
        }
        if total > 0 {
            self.line += 1;
        }
        Ok(total)
    }

    fn next_message(&mut self) -> std::io::Result<Option<MboxMessage>> {
        let mut line = Vec::new();
        if self.next_from.is_none() {
            loop {
                if self.read_line(&mut line)? == 0 {
                    return Ok(None);
                }
                if is_blank(&line) {
                    continue;
                }
                if !is_separator(&line) {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "line {}: not an mbox file (no `From ` line first)",
                            self.line
                        ),
                    ));
                }
                self.next_from = Some((std::mem::take(&mut line), self.line));
                break;
            }
        }
        let Some((from, from_line)) = self.next_from.take() else {
            return Ok(None);
        };
        let mut body: Vec<u8> = Vec::new();
        let mut previous_blank = false;
        let mut size = 0u64;
        loop {
            let length = self.read_line(&mut line)?;
            if length == 0 {
                break;
            }
            if previous_blank && is_separator(&line) {
                self.next_from = Some((std::mem::take(&mut line), self.line));
                break;
            }
            previous_blank = is_blank(&line);
            size += length;
            if size <= self.max_message {
                self.unquote_into(&line, &mut body);
            } else if !body.is_empty() {
                body = Vec::new();
            }
        }
        if size > self.max_message {
            return Ok(Some(MboxMessage {
                raw: Vec::new(),
                flags: FlagSet::default(),
                internal_date: from_line_date(&from),
                line: from_line,
                too_large: Some(size),
            }));
        }
        // The empty line before the next `From ` (or at the end) is the separator's.
        if body.ends_with(b"\r\n\r\n") {
            body.truncate(body.len() - 2);
        } else if body.ends_with(b"\n\n") {
            body.truncate(body.len() - 1);
        }
        let (raw, flags) = take_flag_headers(&body);
        Ok(Some(MboxMessage {
            raw: to_crlf(&raw).into_owned(),
            flags,
            internal_date: from_line_date(&from),
            line: from_line,
            too_large: None,
        }))
    }

    fn unquote_into(&self, line: &[u8], out: &mut Vec<u8>) {
        let quoted = match self.quoting {
            Quoting::Mboxrd => {
                let gts = line.iter().take_while(|&&b| b == b'>').count();
                gts > 0 && line[gts..].starts_with(b"From ")
            }
            Quoting::Mboxo => line.starts_with(b">From "),
        };
        out.extend_from_slice(if quoted { &line[1..] } else { line });
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = std::io::Result<MboxMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_message().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

/// The `X-Status:` letters of the flags other than `\Seen` (which is
/// `Status: R`).
const X_STATUS: [(char, SystemFlags); 4] = [
    ('A', SystemFlags::ANSWERED),
    ('F', SystemFlags::FLAGGED),
    ('T', SystemFlags::DRAFT),
    ('D', SystemFlags::DELETED),
];

/// Headers that describe the mbox file rather than the message.
const FILE_HEADERS: [&str; 10] = [
    "status",
    "x-status",
    "x-keywords",
    "x-uid",
    "x-imap",
    "x-imapbase",
    "content-length",
    "x-mozilla-status",
    "x-mozilla-status2",
    "x-mozilla-keys",
];

/// `message` without the [`FILE_HEADERS`] of its header, and the flags
/// they give.
fn take_flag_headers(message: &[u8]) -> (Vec<u8>, FlagSet) {
    let mut flags = FlagSet::default();
    let mut out = Vec::with_capacity(message.len());
    let mut rest = message;
    let mut dropping = false;
    while !rest.is_empty() {
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        if is_blank(line) {
            break;
        }
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            dropping = false;
            if let Some(colon) = memchr::memchr(b':', line) {
                let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
                if FILE_HEADERS.contains(&name.trim_end()) {
                    dropping = true;
                    let value = String::from_utf8_lossy(&line[colon + 1..]);
                    apply_flag_header(&name, value.trim(), &mut flags);
                }
            }
        }
        if !dropping {
            out.extend_from_slice(line);
        }
        rest = tail;
    }
    out.extend_from_slice(rest);
    (out, flags)
}

fn apply_flag_header(name: &str, value: &str, flags: &mut FlagSet) {
    let mut set = |f: SystemFlags| flags.system = flags.system.union(f);
    match name {
        "status" if value.contains('R') => set(SystemFlags::SEEN),
        "x-status" => {
            for &(c, f) in &X_STATUS {
                if value.contains(c) {
                    set(f);
                }
            }
        }
        "x-mozilla-status" => {
            let bits = u32::from_str_radix(value.trim_start_matches("0x"), 16).unwrap_or(0);
            for (bit, f) in [
                (1, SystemFlags::SEEN),
                (2, SystemFlags::ANSWERED),
                (4, SystemFlags::FLAGGED),
                (8, SystemFlags::DELETED),
            ] {
                if bits & bit != 0 {
                    set(f);
                }
            }
        }
        "x-keywords" | "x-mozilla-keys" => {
            for word in value.split([' ', ',', '\t']).filter(|w| !w.is_empty()) {
                if let Ok(k) = Flag::keyword(word) {
                    flags.insert(k);
                }
            }
        }
        _ => {}
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The date of a `From ` line (`… Mmm dd hh:mm:ss [zone] yyyy [zone]`),
/// Unix seconds; UTC unless a numeric zone (`+0100`) is given.
pub fn from_line_date(line: &[u8]) -> Option<i64> {
    let text = String::from_utf8_lossy(line);
    let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
    let at = tokens.iter().position(|t| MONTHS.contains(t))?;
    let month = MONTHS.iter().position(|m| *m == tokens[at])? as u8 + 1;
    let day: u8 = tokens.get(at + 1)?.parse().ok()?;
    let mut hms = tokens.get(at + 2)?.split(':').map(|p| p.parse::<i64>());
    let (h, m, s) = (
        hms.next()?.ok()?,
        hms.next()?.ok()?,
        hms.next().unwrap_or(Ok(0)).ok()?,
    );
    let mut year = None;
    let mut zone = 0i64;
    for t in tokens.iter().skip(at + 3).take(3) {
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            year = t.parse::<u16>().ok();
        } else if let Some(sign) = t.strip_prefix(['+', '-'])
            && sign.len() == 4
            && let Ok(hhmm) = sign.parse::<i64>()
        {
            zone = (hhmm / 100 * 60 + hhmm % 100) * if t.starts_with('-') { -1 } else { 1 };
        }
    }
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = Date::new(year?, month, day).ok()?.days_since_epoch();
    Some(days * 86_400 + h * 3600 + m * 60 + s - zone * 60)
}

/// `asctime`-style UTC date of a `From ` line: `Thu Jan  1 00:00:00 1970`.
pub fn asctime(unix: i64) -> String {
    let t = DateTime::from_unix(unix, 0).or_else(|_| DateTime::from_unix(0, 0));
    let Ok(t) = t else {
        return "Thu Jan  1 00:00:00 1970".into();
    };
    let (d, (h, m, s)) = (t.date(), t.time());
    let weekday = WEEKDAYS[(d.days_since_epoch() + 4).rem_euclid(7) as usize];
    format!(
        "{weekday} {} {:>2} {h:02}:{m:02}:{s:02} {:04}",
        MONTHS[usize::from(d.month() - 1)],
        d.day(),
        d.year()
    )
}

/// Writes messages to an mbox file with mboxrd quoting, each with a `From `
/// line of its INTERNALDATE and its flags in `Status:`, `X-Status:` and
/// `X-Keywords:` at the end of its header; LF line ends.
#[derive(Debug)]
pub struct Writer<W> {
    out: W,
}

impl<W: Write> Writer<W> {
    /// A writer appending to `out`.
    pub fn new(out: W) -> Writer<W> {
        Writer { out }
    }

    /// Writes one message (`raw` with CRLF or LF line ends).
    pub fn write(
        &mut self,
        raw: &[u8],
        flags: &FlagSet,
        internal_date: i64,
    ) -> std::io::Result<()> {
        let lf = to_lf(raw);
        let (header, body) = match memchr::memmem::find(&lf, b"\n\n") {
            Some(i) => (&lf[..=i], Some(&lf[i + 1..])),
            None => (&lf[..], None),
        };
        writeln!(self.out, "From MAILER-DAEMON {}", asctime(internal_date))?;
        self.write_quoted(header)?;
        if !header.is_empty() && !header.ends_with(b"\n") {
            self.out.write_all(b"\n")?;
        }
        let s = flags.system;
        let status = if s.contains(SystemFlags::SEEN) {
            "RO"
        } else {
            "O"
        };
        writeln!(self.out, "Status: {status}")?;
        let x_status: String = X_STATUS
            .iter()
            .filter(|(_, f)| s.contains(*f))
            .map(|(c, _)| *c)
            .collect();
        if !x_status.is_empty() {
            writeln!(self.out, "X-Status: {x_status}")?;
        }
        let keywords: Vec<String> = flags.keywords.iter().map(|k| k.to_string()).collect();
        if !keywords.is_empty() {
            writeln!(self.out, "X-Keywords: {}", keywords.join(" "))?;
        }
        match body {
            Some(body) => {
                self.write_quoted(body)?;
                if !body.ends_with(b"\n") {
                    self.out.write_all(b"\n")?;
                }
            }
            None => self.out.write_all(b"\n")?,
        }
        self.out.write_all(b"\n")
    }

    fn write_quoted(&mut self, text: &[u8]) -> std::io::Result<()> {
        for line in text.split_inclusive(|&b| b == b'\n') {
            let gts = line.iter().take_while(|&&b| b == b'>').count();
            if line[gts..].starts_with(b"From ") {
                self.out.write_all(b">")?;
            }
            self.out.write_all(line)?;
        }
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, quoting: Quoting) -> Vec<MboxMessage> {
        Reader::new(text.as_bytes(), quoting)
            .collect::<std::io::Result<Vec<_>>>()
            .unwrap()
    }

    #[test]
    fn from_lines() {
        assert_eq!(
            from_line_date(b"From a@b Thu Jan  1 00:00:00 1970\n"),
            Some(0)
        );
        assert_eq!(
            from_line_date(b"From a@b Mon Jan  2 10:00:00 2023"),
            Some(1_672_653_600)
        );
        // Google Takeout puts a zone before the year.
        assert_eq!(
            from_line_date(b"From 1234@xxx Mon Jan 02 11:00:00 +0100 2023"),
            Some(1_672_653_600)
        );
        assert_eq!(from_line_date(b"From a@b sometime"), None);
        assert_eq!(from_line_date(b"From a@b Mon Feb 30 10:00:00 2023"), None);
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_672_653_600), "Mon Jan  2 10:00:00 2023");
        assert_eq!(
            from_line_date(asctime(1_700_000_123).as_bytes()),
            Some(1_700_000_123)
        );
    }

    #[test]
    fn splits_unquotes_and_reads_flags() {
        let text = "\nFrom a@b Mon Jan  2 10:00:00 2023\nSubject: one\nStatus: RO\nX-Status: AF\nX-Keywords: $Label1, work\n\nbody\n>From here\n>>From there\nFrom mid-paragraph is content\n\nFrom b@c Tue Jan  3 10:00:00 2023\nSubject: two\nX-Mozilla-Status: 0009\nX-Mozilla-Keys: todo\n  more\n\nlast\n";
        let rd = read(text, Quoting::Mboxrd);
        assert_eq!(rd.len(), 2);
        assert_eq!(
            String::from_utf8(rd[0].raw.clone()).unwrap(),
            "Subject: one\r\n\r\nbody\r\nFrom here\r\n>From there\r\nFrom mid-paragraph is content\r\n"
        );
        assert_eq!((rd[0].internal_date, rd[0].line), (Some(1_672_653_600), 2));
        let f = &rd[0].flags;
        assert_eq!(
            f.system,
            SystemFlags::SEEN
                .union(SystemFlags::ANSWERED)
                .union(SystemFlags::FLAGGED)
        );
        let names: Vec<String> = f.keywords.iter().map(|k| k.to_string()).collect();
        assert_eq!(names, ["$Label1", "work"]);
        assert_eq!(
            String::from_utf8(rd[1].raw.clone()).unwrap(),
            "Subject: two\r\n\r\nlast\r\n"
        );
        assert_eq!(
            rd[1].flags.system,
            SystemFlags::SEEN.union(SystemFlags::DELETED)
        );
        assert_eq!(rd[1].flags.keywords.len(), 1);
        // mboxo leaves `>>From` alone.
        let o = read(text, Quoting::Mboxo);
        assert!(String::from_utf8_lossy(&o[0].raw).contains("\r\n>>From there\r\n"));
    }

    #[test]
    fn a_message_over_the_limit_is_read_past() {
        let text = "From a Mon Jan  2 10:00:00 2023\nSubject: big\n\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\nFrom b Mon Jan  2 10:00:01 2023\nSubject: small\n\nok\n";
        let got: Vec<MboxMessage> = Reader::new(text.as_bytes(), Quoting::Mboxrd)
            .max_message(40)
            .collect::<std::io::Result<_>>()
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].too_large, got[0].raw.len(), got[0].line),
            (Some(75), 0, 1)
        );
        assert_eq!(got[1].too_large, None);
        assert_eq!(got[1].raw, b"Subject: small\r\n\r\nok\r\n");
    }

    proptest::proptest! {
        /// Whatever lines a message holds (separator look-alikes, quoted
        /// ones, empty ones), writing then reading gives it back exactly,
        /// with its flags and date.
        #[test]
        fn any_message_survives_a_round_trip(
            messages in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        proptest::sample::select(vec![
                            "From me", ">From me", ">>From me", "From", "", " ", "text",
                            "Status: RO", "From: header-like", ">", "From  two spaces",
                        ]),
                        0..12,
                    ),
                    0u8..32,
                    0i64..4_000_000_000,
                ),
                1..6,
            )
        ) {
            let mut w = Writer::new(Vec::new());
            let mut expected = Vec::new();
            for (lines, bits, date) in &messages {
                let mut raw = b"Subject: t\r\n\r\n".to_vec();
                for l in lines {
                    raw.extend_from_slice(l.as_bytes());
                    raw.extend_from_slice(b"\r\n");
                }
                let mut flags = FlagSet::default();
                for (i, f) in [Flag::Seen, Flag::Answered, Flag::Flagged, Flag::Deleted, Flag::Draft]
                    .into_iter()
                    .enumerate()
                {
                    if bits & (1 << i) != 0 {
                        flags.insert(f);
                    }
                }
                w.write(&raw, &flags, *date).unwrap();
                expected.push((raw, flags, *date));
            }
            let file = w.into_inner().unwrap();
            let back: Vec<MboxMessage> = Reader::new(&file[..], Quoting::Mboxrd)
                .collect::<std::io::Result<_>>()
                .unwrap();
            proptest::prop_assert_eq!(back.len(), expected.len());
            for (got, (raw, flags, date)) in back.iter().zip(&expected) {
                proptest::prop_assert_eq!(&got.raw, raw);
                proptest::prop_assert_eq!(&got.flags, flags);
                proptest::prop_assert_eq!(got.internal_date, Some(*date));
            }
        }
    }

    #[test]
    fn an_endless_line_is_read_past_in_pieces() {
        // 8 MiB without a line end, under a 1 KiB limit: never held whole.
        let mut text = b"From a Mon Jan  2 10:00:00 2023\nSubject: long\n\n".to_vec();
        text.extend(std::iter::repeat_n(b'y', 8 << 20));
        text.extend_from_slice(b"\n\nFrom b Mon Jan  2 10:00:01 2023\nSubject: next\n\nok\n");
        let input = std::io::BufReader::with_capacity(4096, &text[..]);
        let got: Vec<MboxMessage> = Reader::new(input, Quoting::Mboxrd)
            .max_message(1024)
            .collect::<std::io::Result<_>>()
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].too_large, Some(15 + (8 << 20) + 2));
        assert_eq!(got[1].raw, b"Subject: next\r\n\r\nok\r\n");
    }

    #[test]
    fn not_an_mbox() {
        let mut r = Reader::new(&b"Subject: x\n\nbody\n"[..], Quoting::Mboxrd);
        let err = r.next().unwrap().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(r.next().is_none());
        assert_eq!(read("", Quoting::Mboxrd), vec![]);
    }

    #[test]
    fn written_messages_read_back() {
        let messages: Vec<(&[u8], FlagSet, i64)> = vec![
            (
                b"Subject: a\r\n\r\nFrom me\r\n>From you\r\n\r\nFrom\r\n",
                FlagSet::from_flags([Flag::Seen, Flag::Flagged, Flag::keyword("k1").unwrap()]),
                1_672_653_600,
            ),
            (
                b"Subject: b\r\n\r\nno final line end",
                FlagSet::default(),
                0,
            ),
            (
                b"Subject: headers only\r\n",
                FlagSet::system(SystemFlags::DRAFT),
                86_400,
            ),
            (
                b"Subject: c\r\n\r\n\r\n\r\n",
                FlagSet::system(SystemFlags::DELETED),
                5,
            ),
        ];
        let mut w = Writer::new(Vec::new());
        for (raw, flags, date) in &messages {
            w.write(raw, flags, *date).unwrap();
        }
        let file = w.into_inner().unwrap();
        let back = read(std::str::from_utf8(&file).unwrap(), Quoting::Mboxrd);
        assert_eq!(back.len(), messages.len());
        for (got, (raw, flags, date)) in back.iter().zip(&messages) {
            let expected: Vec<u8> = match *raw {
                b"Subject: b\r\n\r\nno final line end" => {
                    b"Subject: b\r\n\r\nno final line end\r\n".to_vec()
                }
                b"Subject: headers only\r\n" => b"Subject: headers only\r\n\r\n".to_vec(),
                r => r.to_vec(),
            };
            assert_eq!(
                String::from_utf8_lossy(&got.raw),
                String::from_utf8_lossy(&expected)
            );
            assert_eq!(&got.flags, flags);
            assert_eq!(got.internal_date, Some(*date));
        }
    }
}
