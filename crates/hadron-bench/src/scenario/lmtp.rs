//! `lmtp`: local delivery throughput — 4 KB messages delivered over LMTP
//! (RFC 2033) from [`Params::lmtp_clients`](super::Params) concurrent
//! connections, as an MTA would (`MAIL`, `RCPT`, `DATA` pipelined, then the
//! message), reported as deliveries per second of wall-clock time with the
//! latency of each delivery (from `MAIL` to the recipient's `250`).
//!
//! The messages go to `<user>+<run mailbox>@…`, so a server that maps the
//! detail to a mailbox (Hadron, Dovecot with `lmtp_save_to_detail_mailbox`)
//! delivers them into the run's own mailbox; the count there (IMAP STATUS)
//! must equal the deliveries acknowledged. Skipped when the target has no
//! LMTP address ([`Target::lmtp`](super::Target)).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hadron_proto::types::{CommandBody, Data, NonEmptyVec, Response, StatusItem, StatusValue};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{Ctx, Metric, Progress, mailbox};
use crate::BenchError;
use crate::client::ErrorCounts;
use crate::stats::Histogram;

/// The size of every delivered message.
pub(super) const MESSAGE_SIZE: usize = 4096;

/// How long one reply may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// The row's name.
fn op(clients: usize) -> String {
    format!("LMTP delivery (4 KB, {clients} connections)")
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let clients = ctx.params.lmtp_clients.max(1);
    let Some(addr) = ctx.target.lmtp.clone() else {
        ctx.skip(&op(clients), Metric::Throughput, "no LMTP address (--lmtp)");
        return Ok(());
    };
    let name = ctx.mailbox("lmtp");
    let mut imap = ctx.target.connect().await?;
    ctx.create(&mut imap, &name).await?;
    let rcpt = recipient(&ctx.target.user, &name);
    let total = ctx.params.lmtp_messages as u64;
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(
        ctx.params.progress,
        format!("[{}] lmtp", ctx.target.name),
        "msg",
        total,
        done.clone(),
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (addr, rcpt) = (addr.clone(), rcpt.clone());
        let (next, done) = (next.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            deliver_many(&addr, &rcpt, total, &next, &done).await
        }));
    }
    let mut hist = Histogram::new();
    let mut failure = None;
    for task in tasks {
        match task.await {
            Ok(Ok((h, errors))) => {
                hist.merge(&h);
                ctx.errors.add(errors);
            }
            Ok(Err(e)) => failure = Some(e),
            Err(e) => failure = Some(BenchError::Protocol(format!("LMTP client: {e}"))),
        }
    }
    let elapsed = start.elapsed();
    drop(progress);
    let delivered = hist.count();
    let stored = messages(&mut imap, &name).await?;
    if stored != delivered {
        ctx.errors.state_error(format!(
            "{delivered} deliveries acknowledged but {stored} messages in {name}"
        ));
    }
    let note = Some(format!("{delivered}/{total} delivered, {stored} stored"));
    ctx.push_rate(&op(clients), &hist, elapsed, delivered, note);
    ctx.add_errors(&imap);
    imap.logout().await;
    failure.map_or(Ok(()), Err)
}

/// `user+mailbox@bench.invalid`, or `local+mailbox@domain` for a user
/// named by a whole address.
fn recipient(user: &str, mailbox: &str) -> String {
    match user.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+{mailbox}@{domain}"),
        None => format!("{user}+{mailbox}@bench.invalid"),
    }
}

/// The MESSAGES count of `name`.
async fn messages(imap: &mut crate::client::Client, name: &str) -> Result<u64, BenchError> {
    let body = CommandBody::Status {
        mailbox: mailbox(name)?,
        items: NonEmptyVec::one(StatusItem::Messages),
    };
    let mut count = 0;
    imap.execute_with(body, |r| {
        if let Response::Data(Data::Status { items, .. }) = r {
            for item in items {
                if let StatusValue::Number(StatusItem::Messages, n) = item {
                    count = *n;
                }
            }
        }
    })
    .await?
    .ok("STATUS")?;
    Ok(count)
}

/// Message `i`: headers, then lines of text up to [`MESSAGE_SIZE`] bytes,
/// dot-stuffed and followed by the `.` line.
fn message(i: u64, rcpt: &str) -> Vec<u8> {
    let mut m = format!(
        "From: Bench <bench@bench.invalid>\r\nTo: <{rcpt}>\r\nSubject: lmtp delivery {i}\r\n\
         Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <lmtp-{i}@bench.invalid>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
    )
    .into_bytes();
    let line = b"The quick brown fox jumps over the lazy dog; a line of a 4 KB message.\r\n";
    while m.len() + line.len() <= MESSAGE_SIZE {
        m.extend_from_slice(line);
    }
    m.resize(MESSAGE_SIZE - 2, b'.');
    m.extend_from_slice(b"\r\n");
    // The only line starting with a dot is the padding's, when present.
    let mut wire = Vec::with_capacity(m.len() + 8);
    let mut line_start = true;
    for &b in &m {
        if line_start && b == b'.' {
            wire.push(b'.');
        }
        wire.push(b);
        line_start = b == b'\n';
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

/// One LMTP connection delivering messages until `total` have been taken.
async fn deliver_many(
    addr: &str,
    rcpt: &str,
    total: u64,
    next: &AtomicU64,
    done: &AtomicU64,
) -> Result<(Histogram, ErrorCounts), BenchError> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| BenchError::io(format!("connecting to LMTP at {addr}"), e))?;
    let _ = stream.set_nodelay(true);
    let mut conn = BufReader::new(stream);
    let mut hist = Histogram::new();
    let mut errors = ErrorCounts::default();
    expect(&mut conn, "greeting", 220).await?;
    send(&mut conn, b"LHLO bench.invalid\r\n").await?;
    expect(&mut conn, "LHLO", 250).await?;
    let envelope = format!("MAIL FROM:<bench@bench.invalid>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n");
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        let data = message(i, rcpt);
        let t = Instant::now();
        send(&mut conn, envelope.as_bytes()).await?;
        let mail = reply(&mut conn).await?;
        let to = reply(&mut conn).await?;
        let go = reply(&mut conn).await?;
        if !go.starts_with("354") {
            errors.no += 1;
            errors.sample(format!("LMTP: {mail} / {to} / {go}"));
            continue;
        }
        send(&mut conn, &data).await?;
        let r = reply(&mut conn).await?;
        if r.starts_with("250") {
            hist.record(t.elapsed());
            done.fetch_add(1, Ordering::Relaxed);
        } else {
            errors.no += 1;
            errors.sample(format!("LMTP delivery: {r}"));
        }
    }
    let _ = send(&mut conn, b"QUIT\r\n").await;
    Ok((hist, errors))
}

async fn send(conn: &mut BufReader<TcpStream>, bytes: &[u8]) -> Result<(), BenchError> {
    conn.get_mut()
        .write_all(bytes)
        .await
        .map_err(|e| BenchError::io("sending to LMTP", e))
}

/// One reply (its last line, for a multi-line reply).
async fn reply(conn: &mut BufReader<TcpStream>) -> Result<String, BenchError> {
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(REPLY_TIMEOUT, conn.read_line(&mut line))
            .await
            .map_err(|_| BenchError::Timeout("an LMTP reply".into()))?
            .map_err(|e| BenchError::io("reading from LMTP", e))?;
        if n == 0 {
            return Err(BenchError::Closed);
        }
        let line = line.trim_end().to_owned();
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(line);
        }
    }
}

/// Reads a reply and fails unless it has `code`.
async fn expect(conn: &mut BufReader<TcpStream>, what: &str, code: u16) -> Result<(), BenchError> {
    let r = reply(conn).await?;
    if r.starts_with(&code.to_string()) {
        Ok(())
    } else {
        Err(BenchError::Refused(format!("LMTP {what}: {r}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_4_kb_once_unstuffed() {
        let wire = message(7, "a+b@c");
        assert!(wire.ends_with(b"\r\n.\r\n"));
        let body = &wire[..wire.len() - 3];
        let unstuffed = body.len() - body.windows(3).filter(|w| w == b"\n..").count();
        assert_eq!(unstuffed, MESSAGE_SIZE);
        assert_eq!(recipient("bench", "m"), "bench+m@bench.invalid");
        assert_eq!(recipient("u@x.org", "m"), "u+m@x.org");
    }
}
