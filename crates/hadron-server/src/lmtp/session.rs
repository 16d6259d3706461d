//! One LMTP conversation (RFC 2033): greeting, LHLO, then transactions of
//! MAIL, RCPT (each checked against the store at once, so an unknown user
//! is refused before any data is sent), and DATA or BDAT, answered with
//! one reply per accepted recipient, in RCPT order.
//!
//! Commands may be pipelined (RFC 2920): replies are buffered and written
//! when the server is about to wait for input. A silent client is
//! disconnected after the timeout, a client that sends nothing but errors
//! after [`MAX_ERRORS`] of them, and on shutdown every connection waiting
//! for a command is told `421` (a delivery in progress finishes first).

use std::sync::Arc;
use std::time::Duration;

use hadron_state::engine::Engine;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::command::{self, Command};
use super::deliver::{Recipient, deliver, resolve};
use super::wire::{Body, Line, Reply, Wire};

/// Longest command line, in bytes (RFC 5321 asks for at least 512).
pub(crate) const MAX_LINE: usize = 4096;

/// Protocol errors (unknown commands, syntax, bad sequence) after which
/// the connection is closed.
pub(crate) const MAX_ERRORS: u32 = 20;

/// What every LMTP connection of a server shares.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The name in the greeting and in LHLO's reply.
    pub(crate) hostname: String,
    /// Largest message, in bytes.
    pub(crate) max_size: u64,
    /// Recipients per transaction.
    pub(crate) max_recipients: usize,
    /// Characters separating a user name from a detail.
    pub(crate) delimiters: String,
    /// How long the client may stay silent.
    pub(crate) timeout: Duration,
    /// How long a reply may wait for a client that does not read.
    pub(crate) write_timeout: Duration,
}

/// Whether the conversation goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// What waiting for a command produced.
enum Next {
    Line(Line),
    Eof,
    Shutdown,
}

/// A mail transaction: from MAIL to the end of its message (or RSET).
struct Transaction {
    sender: String,
    recipients: Vec<Recipient>,
    /// The message so far, once a BDAT chunk has arrived.
    chunks: Option<Body>,
}

/// One connection's conversation.
pub(crate) struct Conversation<S> {
    wire: Wire<S>,
    engine: Arc<Engine>,
    settings: Arc<Settings>,
    stop: watch::Receiver<bool>,
    greeted: bool,
    transaction: Option<Transaction>,
    errors: u32,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conversation<S> {
    /// A conversation over `stream`.
    pub(crate) fn new(
        stream: S,
        engine: Arc<Engine>,
        settings: Arc<Settings>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Conversation {
            wire: Wire::new(stream, settings.timeout, settings.write_timeout),
            engine,
            settings,
            stop,
            greeted: false,
            transaction: None,
            errors: 0,
        }
    }

    /// Runs the conversation to its end: QUIT, the client closing, a
    /// timeout, too many errors or shutdown.
    pub(crate) async fn run(mut self) -> std::io::Result<()> {
        let host = self.settings.hostname.clone();
        self.wire
            .reply(&Reply::new(220, "", format!("{host} LMTP Hadron ready")));
        match self.converse().await {
            Ok(Flow::Close) => self.wire.close().await,
            Ok(Flow::Continue) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                info!("closing a silent LMTP connection");
                self.wire.reply(&Reply::new(
                    421,
                    "4.4.2",
                    format!("{host} Timeout; closing connection"),
                ));
                // The client may be the one not reading: do not wait on it.
                let _ = self.wire.close().await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The command loop; `Continue` when the client went away.
    async fn converse(&mut self) -> std::io::Result<Flow> {
        loop {
            let line = match self.next().await? {
                Next::Line(line) => line,
                Next::Eof => {
                    debug!("LMTP client closed the connection");
                    return Ok(Flow::Continue);
                }
                Next::Shutdown => {
                    let text = format!("{} Server shutting down", self.settings.hostname);
                    self.wire.reply(&Reply::new(421, "4.3.2", text));
                    return Ok(Flow::Close);
                }
            };
            let flow = match line {
                Line::TooLong => {
                    self.refuse(Reply::new(500, "5.5.2", "Line too long"));
                    Flow::Continue
                }
                Line::Text(text) => match command::parse(&text) {
                    Ok(cmd) => self.command(cmd).await?,
                    Err(reply) => {
                        self.refuse(reply);
                        Flow::Continue
                    }
                },
            };
            if flow == Flow::Close {
                return Ok(Flow::Close);
            }
            if self.errors >= MAX_ERRORS {
                let text = format!(
                    "{} Too many errors; closing connection",
                    self.settings.hostname
                );
                self.wire.reply(&Reply::new(421, "4.7.0", text));
                return Ok(Flow::Close);
            }
        }
    }

    /// The next command line, reading (after writing the buffered
    /// replies) when none is complete.
    async fn next(&mut self) -> std::io::Result<Next> {
        loop {
            if let Some(line) = self.wire.take_line(MAX_LINE) {
                return Ok(Next::Line(line));
            }
            self.wire.flush().await?;
            tokio::select! {
                more = self.wire.fill() => if !more? { return Ok(Next::Eof) },
                _ = self.stop.wait_for(|stop| *stop) => return Ok(Next::Shutdown),
            }
        }
    }

    /// Answers a refused command, counting it towards [`MAX_ERRORS`].
    fn refuse(&mut self, reply: Reply) {
        self.errors += 1;
        self.wire.reply(&reply);
    }

    /// A bad-sequence refusal (`503 5.5.1`).
    fn out_of_order(&mut self, text: &'static str) {
        self.refuse(Reply::new(503, "5.5.1", text));
    }

    async fn command(&mut self, cmd: Command) -> std::io::Result<Flow> {
        let ok = |text: &'static str| Reply::new(250, "2.0.0", text);
        match cmd {
            Command::Lhlo => {
                self.greeted = true;
                self.transaction = None;
                self.capabilities();
            }
            Command::Helo => self.refuse(Reply::new(
                500,
                "5.5.1",
                "This is LMTP (RFC 2033): say LHLO, not HELO or EHLO",
            )),
            Command::Mail { from, size } => self.mail(from, size),
            Command::Rcpt { to } => self.rcpt(to).await,
            Command::Data => return self.data().await,
            Command::Bdat { size, last } => return self.bdat(size, last).await,
            Command::Rset => {
                self.transaction = None;
                self.wire.reply(&ok("OK"));
            }
            Command::Noop => self.wire.reply(&ok("OK")),
            Command::Vrfy => self.wire.reply(&Reply::new(
                252,
                "2.3.3",
                "Cannot verify the user; send the message and it will be tried",
            )),
            Command::Help => self.wire.reply(&Reply::new(
                214,
                "2.0.0",
                "Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP",
            )),
            Command::Quit => {
                let text = format!("{} Bye", self.settings.hostname);
                self.wire.reply(&Reply::new(221, "2.0.0", text));
                return Ok(Flow::Close);
            }
        }
        Ok(Flow::Continue)
    }

    /// LHLO's multi-line reply.
    fn capabilities(&mut self) {
        let lines = [
            self.settings.hostname.clone(),
            "PIPELINING".to_owned(),
            "ENHANCEDSTATUSCODES".to_owned(),
            "8BITMIME".to_owned(),
            format!("SIZE {}", self.settings.max_size),
            "CHUNKING".to_owned(),
        ];
        for (i, line) in lines.iter().enumerate() {
            // RFC 2034: no enhanced code on EHLO/LHLO's reply lines.
            let reply = Reply::new(250, "", line.clone());
            self.wire.reply_line(&reply, i + 1 == lines.len());
        }
    }

    fn mail(&mut self, from: String, size: Option<u64>) {
        if !self.greeted {
            return self.out_of_order("Send LHLO first");
        }
        if self.transaction.is_some() {
            return self.out_of_order("Nested MAIL command");
        }
        if size.is_some_and(|s| s > self.settings.max_size) {
            return self.wire.reply(&Reply::new(
                552,
                "5.3.4",
                "Message size exceeds fixed maximum message size",
            ));
        }
        self.wire
            .reply(&Reply::new(250, "2.1.0", format!("<{from}> Sender OK")));
        self.transaction = Some(Transaction {
            sender: from,
            recipients: Vec::new(),
            chunks: None,
        });
    }

    async fn rcpt(&mut self, to: String) {
        let Some(t) = self.transaction.as_ref() else {
            return self.out_of_order("Send MAIL first");
        };
        if t.chunks.is_some() {
            return self.out_of_order("RCPT after BDAT");
        }
        if t.recipients.len() >= self.settings.max_recipients {
            return self
                .wire
                .reply(&Reply::new(452, "4.5.3", "Too many recipients"));
        }
        let reply = match resolve(&self.engine, &to, &self.settings.delimiters).await {
            Ok(Some(recipient)) => {
                if let Some(t) = self.transaction.as_mut() {
                    t.recipients.push(recipient);
                }
                Reply::new(250, "2.1.5", format!("<{to}> Recipient OK"))
            }
            Ok(None) => Reply::new(550, "5.1.1", format!("<{to}> User unknown")),
            Err(e) => {
                warn!(rcpt = %to, error = %e, "looking up a recipient failed");
                Reply::new(451, "4.3.0", format!("<{to}> Temporary failure"))
            }
        };
        self.wire.reply(&reply);
    }

    /// Why the current transaction cannot take a message, if it cannot.
    fn not_ready(&self) -> Option<&'static str> {
        match &self.transaction {
            None => Some("Send MAIL first"),
            Some(t) if t.recipients.is_empty() => Some("No valid recipients"),
            Some(_) => None,
        }
    }

    async fn data(&mut self) -> std::io::Result<Flow> {
        if let Some(why) = self.not_ready() {
            self.out_of_order(why);
            return Ok(Flow::Continue);
        }
        if self
            .transaction
            .as_ref()
            .is_some_and(|t| t.chunks.is_some())
        {
            self.out_of_order("DATA after BDAT");
            return Ok(Flow::Continue);
        }
        self.wire.reply(&Reply::new(
            354,
            "",
            "Start mail input; end with <CRLF>.<CRLF>",
        ));
        self.wire.flush().await?;
        let Some(body) = self.wire.read_data(self.settings.max_size).await? else {
            debug!("LMTP client went away in the middle of a message");
            return Ok(Flow::Continue);
        };
        self.finish(body).await?;
        Ok(Flow::Continue)
    }

    /// BDAT (RFC 3030): the chunk is always read, even when refused, so
    /// that its bytes are not taken as commands.
    async fn bdat(&mut self, size: u64, last: bool) -> std::io::Result<Flow> {
        let refusal = self.not_ready();
        let mut discard = Body::new(0);
        let body = match (refusal, self.transaction.as_mut()) {
            (None, Some(t)) => t
                .chunks
                .get_or_insert_with(|| Body::new(self.settings.max_size)),
            _ => &mut discard,
        };
        if !self.wire.read_chunk(size, body).await? {
            debug!("LMTP client went away in the middle of a chunk");
            return Ok(Flow::Continue);
        }
        if let Some(why) = refusal {
            self.out_of_order(why);
        } else if last {
            let body = self
                .transaction
                .as_mut()
                .and_then(|t| t.chunks.take())
                .unwrap_or_else(|| Body::new(0));
            self.finish(body).await?;
        } else {
            self.wire
                .reply(&Reply::new(250, "2.0.0", format!("{size} octets received")));
        }
        Ok(Flow::Continue)
    }

    /// Delivers the transaction's message to each recipient in turn and
    /// answers for each, in RCPT order, as soon as its delivery is done.
    async fn finish(&mut self, body: Body) -> std::io::Result<()> {
        let Some(t) = self.transaction.take() else {
            return Ok(());
        };
        for recipient in &t.recipients {
            let reply = if body.too_big() {
                Reply::new(
                    552,
                    "5.3.4",
                    format!("<{}> Message too big", recipient.address),
                )
            } else {
                deliver(&self.engine, &t.sender, recipient, body.bytes()).await
            };
            self.wire.reply(&reply);
            if t.recipients.len() > 1 {
                self.wire.flush().await?;
            }
        }
        Ok(())
    }
}
