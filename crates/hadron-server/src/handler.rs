//! The per-connection IMAP driver: greets the client, frames and parses its
//! commands, runs each through the engine's [`Session`] in order, and
//! handles what belongs to the connection rather than the mailbox state —
//! literal continuations, AUTHENTICATE's exchange, IDLE, timeouts, limits
//! on bad input and shutdown.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hadron_proto::framing::FrameEvent;
use hadron_proto::parse::{self, ParseLimits};
use hadron_proto::types::{
    AString, AuthContinuation, Base64, Capability, Code, Command, CommandBody, Continue, Data,
    RespText, Response, Status, StatusKind, Tag, Text,
};
use hadron_state::session::{Output, Session, State};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info};

use crate::config::Limits;
use crate::connection::Connection;
use crate::guards::{CountGuard, Counter, LoginThrottle, Verdict};

/// The largest synchronising literal accepted before login (a user name or
/// password); larger ones are refused without a `+`.
const PRE_LOGIN_LITERAL: u64 = 8 * 1024;

/// What every connection of one server shares.
pub(crate) struct Settings {
    pub(crate) limits: Limits,
    pub(crate) parse_limits: ParseLimits,
    /// TLS, when a certificate is configured: STARTTLS is offered on
    /// plain connections.
    pub(crate) tls: Option<TlsAcceptor>,
    /// Whether LOGIN and AUTHENTICATE are allowed without TLS when TLS is
    /// available (without TLS configured they always are).
    pub(crate) plaintext_auth: bool,
    /// Logged-in sessions per user.
    pub(crate) per_user: Arc<Counter<String>>,
    /// Password checks running at once.
    pub(crate) login_slots: Semaphore,
    /// Failed-login throttling.
    pub(crate) throttle: LoginThrottle,
}

impl Settings {
    /// Settings for `limits`, without TLS.
    pub(crate) fn new(limits: Limits) -> Settings {
        Settings {
            limits,
            parse_limits: ParseLimits::default(),
            tls: None,
            plaintext_auth: true,
            per_user: Counter::new(limits.max_sessions_per_user),
            login_slots: Semaphore::new(limits.max_concurrent_logins),
            throttle: LoginThrottle::new(
                limits.login_free_failures,
                limits.login_lockout_failures,
                Duration::from_millis(limits.login_delay_ms),
                Duration::from_secs(limits.login_lockout_secs),
            ),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("limits", &self.limits)
            .field("tls", &self.tls.is_some())
            .field("plaintext_auth", &self.plaintext_auth)
            .finish_non_exhaustive()
    }
}

/// Whether the connection goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// What waiting for client input produced.
enum Input {
    Event(FrameEvent),
    Eof,
    Shutdown,
    Timeout,
}

/// The capabilities the server advertises: the engine's plus what the
/// connection layer implements, given whether STARTTLS is on offer and
/// whether logging in is allowed on this connection now.
pub(crate) fn capabilities(starttls: bool, login_allowed: bool) -> Vec<Capability<'static>> {
    let mut caps = Session::capabilities();
    let mut extra = vec!["LITERAL+"];
    if starttls {
        extra.push("STARTTLS");
    }
    if login_allowed {
        extra.extend(["SASL-IR", "AUTH=PLAIN"]);
    } else {
        extra.push("LOGINDISABLED");
    }
    for name in extra {
        if let Ok(atom) = hadron_proto::types::Atom::try_from(name) {
            caps.push(Capability::from_atom(atom).into_static());
        }
    }
    caps
}

/// Response text: CR and LF (which `Text` cannot hold) become spaces; a
/// leading `[` is kept from looking like a response code.
fn text(s: &str) -> Text<'static> {
    let mut s: String = s
        .chars()
        .map(|c| {
            if c == '\r' || c == '\n' || c == '\0' {
                ' '
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() {
        s.push_str("done");
    }
    if s.starts_with('[') {
        s.insert(0, ' ');
    }
    Text::try_from(s).unwrap_or_else(|_| Text::try_from("done").unwrap_or_else(|_| unreachable!()))
}

fn resp_text(code: Option<Code<'static>>, s: &str) -> RespText<'static> {
    RespText::new(code, text(s)).unwrap_or_else(|_| RespText::plain("done").into_static())
}

fn tagged(
    tag: &Tag<'_>,
    kind: StatusKind,
    code: Option<Code<'static>>,
    s: &str,
) -> Response<'static> {
    Response::Status(Status::Tagged {
        tag: tag.clone().into_static(),
        kind,
        text: resp_text(code, s),
    })
}

fn untagged(kind: StatusKind, s: &str) -> Response<'static> {
    Response::Status(Status::Untagged {
        kind,
        text: resp_text(None, s),
    })
}

/// `* BYE text`.
pub(crate) fn bye(code: Option<Code<'static>>, s: &str) -> Response<'static> {
    Response::Status(Status::Bye(resp_text(code, s)))
}

/// One connection's IMAP conversation.
pub(crate) struct Handler {
    conn: Connection,
    session: Session,
    settings: Arc<Settings>,
    shutdown: watch::Receiver<bool>,
    bad_commands: u32,
    peer: IpAddr,
    /// This session's slot under the per-user limit, once logged in.
    user_slot: Option<CountGuard<String>>,
}

impl Handler {
    pub(crate) fn new(
        conn: Connection,
        session: Session,
        settings: Arc<Settings>,
        shutdown: watch::Receiver<bool>,
        peer: IpAddr,
    ) -> Self {
        Handler {
            conn,
            session,
            settings,
            shutdown,
            bad_commands: 0,
            peer,
            user_slot: None,
        }
    }

    /// Runs the conversation to its end: LOGOUT, the client closing, a
    /// timeout, a fatal framing error or server shutdown.
    pub(crate) async fn run(mut self) -> std::io::Result<()> {
        let greeting = hadron_proto::types::Greeting {
            kind: hadron_proto::types::GreetingKind::Ok,
            text: resp_text(Some(Code::Capability(self.capabilities())), "Hadron ready"),
        };
        let mut buf = Vec::new();
        hadron_proto::encode::greeting(&greeting, &mut buf);
        self.conn.write_raw(&buf);
        loop {
            let event = match self.next_input().await? {
                Input::Event(event) => event,
                Input::Eof => {
                    debug!("client closed the connection");
                    return Ok(());
                }
                Input::Shutdown => {
                    self.conn
                        .write(&bye(None, "server shutting down; please reconnect"));
                    return self.conn.close().await;
                }
                Input::Timeout => {
                    info!("closing idle connection");
                    self.conn.write(&bye(None, "autologout; idle for too long"));
                    return self.conn.close().await;
                }
            };
            if self.on_event(event).await? == Flow::Close {
                return self.conn.close().await;
            }
            if self.conn.should_flush() {
                self.conn.flush().await?;
            }
        }
    }

    /// Whether STARTTLS is on offer: TLS configured and not yet up.
    fn starttls_available(&self) -> bool {
        self.settings.tls.is_some() && !self.conn.is_tls()
    }

    /// Whether LOGIN / AUTHENTICATE may be used now.
    fn login_allowed(&self) -> bool {
        self.conn.is_tls() || self.settings.tls.is_none() || self.settings.plaintext_auth
    }

    fn capabilities(&self) -> Vec<Capability<'static>> {
        capabilities(self.starttls_available(), self.login_allowed())
    }

    /// `NO [PRIVACYREQUIRED]` for a login attempt before TLS, if needed.
    fn refuse_plaintext_login(&mut self, tag: &Tag<'_>) -> bool {
        if self.login_allowed() || self.session.state() != State::NotAuthenticated {
            return false;
        }
        self.conn.write(&tagged(
            tag,
            StatusKind::No,
            Some(Code::PrivacyRequired),
            "plaintext login is disabled; use STARTTLS first",
        ));
        true
    }

    /// STARTTLS (RFC 3501 §6.2.1).
    async fn start_tls(&mut self, tag: &Tag<'static>) -> std::io::Result<Flow> {
        if self.conn.is_tls() {
            return Ok(self.bad_input(Some(tag), "TLS is already active"));
        }
        let Some(acceptor) = self.settings.tls.clone() else {
            return Ok(self.bad_input(
                Some(tag),
                "STARTTLS is not available: no certificate configured",
            ));
        };
        if self.session.state() != State::NotAuthenticated {
            return Ok(self.bad_input(Some(tag), "STARTTLS is only allowed before login"));
        }
        self.conn.write(&tagged(
            tag,
            StatusKind::Ok,
            None,
            "begin TLS negotiation now",
        ));
        let timeout = self.settings.limits.login_timeout();
        match tokio::time::timeout(timeout, self.conn.start_tls(&acceptor)).await {
            Ok(Ok(())) => {
                debug!("TLS established");
                Ok(Flow::Continue)
            }
            Ok(Err(e)) => {
                info!(error = %e, "TLS handshake failed");
                Ok(Flow::Close)
            }
            Err(_) => {
                info!("TLS handshake timed out");
                Ok(Flow::Close)
            }
        }
    }

    /// How long the client may stay silent in the current state.
    fn timeout(&self) -> Duration {
        if self.session.state() == State::NotAuthenticated {
            self.settings.limits.login_timeout()
        } else {
            self.settings.limits.idle_timeout()
        }
    }

    /// The next framing event, reading (after flushing what is buffered)
    /// when none is complete yet.
    async fn next_input(&mut self) -> std::io::Result<Input> {
        loop {
            if let Some(event) = self.conn.poll_event() {
                return Ok(Input::Event(event));
            }
            self.conn.flush().await?;
            let timeout = self.timeout();
            tokio::select! {
                more = self.conn.fill() => if !more? { return Ok(Input::Eof) },
                _ = self.shutdown.wait_for(|stop| *stop) => return Ok(Input::Shutdown),
                () = tokio::time::sleep(timeout) => return Ok(Input::Timeout),
            }
        }
    }

    async fn on_event(&mut self, event: FrameEvent) -> std::io::Result<Flow> {
        match event {
            FrameEvent::Frame(frame) => {
                let limits = self.settings.parse_limits;
                match parse::command(&frame, &limits) {
                    Ok(command) => self.on_command(command).await,
                    Err(e) => Ok(self.bad_input(e.tag(), e.message())),
                }
            }
            FrameEvent::NeedContinuation { tag, size, .. } => {
                let refusal = match &tag {
                    None => Some("literal in a line without a tag".to_owned()),
                    Some(_)
                        if self.session.state() == State::NotAuthenticated
                            && size > PRE_LOGIN_LITERAL =>
                    {
                        Some(format!(
                            "literal of {size} bytes before login (at most {PRE_LOGIN_LITERAL})"
                        ))
                    }
                    Some(_) => None,
                };
                if let Some(why) = refusal {
                    // The client sends no data without our `+`.
                    let _ = self.conn.framer().reject_literal();
                    return Ok(self.bad_input(tag.as_ref(), &why));
                }
                if self.conn.framer().accept_literal().is_ok() {
                    self.conn.write(&Response::Continue(Continue::Text(
                        RespText::plain("Ready for literal data").into_static(),
                    )));
                }
                Ok(Flow::Continue)
            }
            FrameEvent::LiteralTooLarge { tag, size, limit } => {
                let why = format!("literal of {size} bytes exceeds the {limit} byte limit");
                match tag {
                    Some(tag) => {
                        self.conn
                            .write(&tagged(&tag, StatusKind::No, Some(Code::TooBig), &why));
                        Ok(Flow::Continue)
                    }
                    None => Ok(self.bad_input(None, &why)),
                }
            }
            FrameEvent::Error(e) => Ok(self.bad_input(e.tag.as_ref(), &e.kind.to_string())),
            FrameEvent::Fatal(e) => {
                info!(reason = %e.kind, "closing connection: input cannot be framed");
                self.conn.write(&bye(None, &e.kind.to_string()));
                Ok(Flow::Close)
            }
        }
    }

    /// `BAD` for malformed input; too many of them close the connection.
    fn bad_input(&mut self, tag: Option<&Tag<'static>>, why: &str) -> Flow {
        match tag {
            Some(tag) => self.conn.write(&tagged(tag, StatusKind::Bad, None, why)),
            None => self.conn.write(&untagged(StatusKind::Bad, why)),
        }
        self.bad_commands += 1;
        if self.bad_commands >= self.settings.limits.max_bad_commands {
            info!("closing connection after too many invalid commands");
            self.conn
                .write(&bye(None, "too many invalid commands; closing"));
            return Flow::Close;
        }
        Flow::Continue
    }

    async fn on_command(&mut self, command: Command<'_>) -> std::io::Result<Flow> {
        debug!(command = command.body.name(), "command");
        let tag = command.tag.clone().into_static();
        match command.body {
            CommandBody::Capability => {
                self.conn
                    .write(&Response::Data(Data::Capability(self.capabilities())));
                self.conn
                    .write(&tagged(&tag, StatusKind::Ok, None, "CAPABILITY completed"));
                Ok(Flow::Continue)
            }
            CommandBody::StartTls => self.start_tls(&tag).await,
            CommandBody::Login { .. } | CommandBody::Authenticate { .. }
                if self.refuse_plaintext_login(&tag) =>
            {
                Ok(Flow::Continue)
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => {
                let initial = initial_response.map(Base64::into_static);
                self.authenticate(&tag, mechanism.as_str(), initial).await
            }
            CommandBody::Idle => self.idle(&tag).await,
            CommandBody::Login { username, password } if !self.is_authenticated() => {
                let username = username.into_static();
                let password = password.into_static();
                self.login(&tag, username, password, "LOGIN completed")
                    .await;
                Ok(Flow::Continue)
            }
            _ => {
                self.session.execute(command, &mut self.conn.sink()).await;
                Ok(self.flow())
            }
        }
    }

    /// Closes once the session has ended (LOGOUT, or `* BYE` from the engine).
    fn flow(&mut self) -> Flow {
        if self.session.state() == State::Logout {
            // Free the user's session slot before the client can see the
            // end of this one (the responses are still buffered).
            self.user_slot = None;
            Flow::Close
        } else {
            Flow::Continue
        }
    }

    fn is_authenticated(&self) -> bool {
        self.session.state() != State::NotAuthenticated
    }

    /// LOGIN and AUTHENTICATE's common end: throttling, the per-user
    /// session limit, a bounded number of concurrent password checks, then
    /// the engine's LOGIN.
    async fn login(
        &mut self,
        tag: &Tag<'static>,
        username: AString<'static>,
        password: AString<'static>,
        ok_text: &str,
    ) {
        let name = String::from_utf8_lossy(username.as_bytes()).into_owned();
        let settings = self.settings.clone();
        if let Verdict::Refuse(wait) = settings.throttle.check(self.peer, &name) {
            info!(attempted_user = %name, "login refused: too many failures");
            let why = format!(
                "too many failed logins; try again in {} minutes",
                wait.as_secs().div_ceil(60).max(1)
            );
            self.conn
                .write(&tagged(tag, StatusKind::No, Some(Code::Unavailable), &why));
            return;
        }
        let Some(slot) = settings.per_user.try_acquire(name.clone()) else {
            info!(attempted_user = %name, "login refused: too many sessions");
            self.conn.write(&tagged(
                tag,
                StatusKind::No,
                Some(Code::Limit),
                "too many sessions for this user",
            ));
            return;
        };
        let login = Command {
            tag: tag.clone(),
            body: CommandBody::Login { username, password },
        };
        let mut out: Vec<Output> = Vec::new();
        {
            let _check = settings.login_slots.acquire().await;
            self.session.execute(login, &mut out).await;
        }
        if self.session.account().is_some() {
            settings.throttle.succeeded(self.peer, &name);
            self.user_slot = Some(slot);
            tracing::Span::current().record("user", name.as_str());
            info!("logged in");
            self.conn.write(&tagged(tag, StatusKind::Ok, None, ok_text));
        } else {
            drop(slot);
            let delay = settings.throttle.failed(self.peer, &name);
            info!(attempted_user = %name, "login failed");
            tokio::time::sleep(delay).await;
            let mut sink = self.conn.sink();
            for o in out {
                hadron_state::session::ResponseSink::send(&mut sink, o);
            }
        }
    }

    /// AUTHENTICATE PLAIN (RFC 4616), with an initial response (SASL-IR,
    /// RFC 4959) or after an empty `+` challenge.
    async fn authenticate(
        &mut self,
        tag: &Tag<'static>,
        mechanism: &str,
        initial: Option<Base64<'static>>,
    ) -> std::io::Result<Flow> {
        if self.session.state() != State::NotAuthenticated {
            self.conn
                .write(&tagged(tag, StatusKind::Bad, None, "already logged in"));
            return Ok(Flow::Continue);
        }
        if !mechanism.eq_ignore_ascii_case("PLAIN") {
            let why = format!("unsupported authentication mechanism {mechanism}; use PLAIN");
            self.conn
                .write(&tagged(tag, StatusKind::No, Some(Code::Cannot), &why));
            return Ok(Flow::Continue);
        }
        let response = match initial {
            Some(r) => r.decode(),
            None => {
                self.conn
                    .write(&Response::Continue(Continue::Base64(Vec::new().into())));
                let event = match self.next_input().await? {
                    Input::Event(event) => event,
                    Input::Eof => return Ok(Flow::Close),
                    Input::Shutdown | Input::Timeout => {
                        self.conn.write(&bye(None, "authentication not completed"));
                        return Ok(Flow::Close);
                    }
                };
                let line = match event {
                    FrameEvent::Frame(line) => line,
                    FrameEvent::Fatal(e) => {
                        self.conn.write(&bye(None, &e.kind.to_string()));
                        return Ok(Flow::Close);
                    }
                    other => {
                        // A literal or an over-long line is no SASL response;
                        // the client sends no literal data after this refusal.
                        if matches!(other, FrameEvent::NeedContinuation { .. }) {
                            let _ = self.conn.framer().reject_literal();
                        }
                        return Ok(self.bad_input(
                            Some(tag),
                            "AUTHENTICATE: expected a base64 response line",
                        ));
                    }
                };
                match parse::authenticate_continuation(&line) {
                    Ok(AuthContinuation::Response(r)) => r.decode(),
                    Ok(AuthContinuation::Cancel) => {
                        self.conn.write(&tagged(
                            tag,
                            StatusKind::Bad,
                            None,
                            "AUTHENTICATE cancelled",
                        ));
                        return Ok(Flow::Continue);
                    }
                    Err(e) => {
                        let why = format!("AUTHENTICATE: {}", e.message());
                        return Ok(self.bad_input(Some(tag), &why));
                    }
                }
            }
        };
        let Some((authzid, authcid, password)) = split_plain(&response) else {
            return Ok(self.bad_input(
                Some(tag),
                "AUTHENTICATE PLAIN: expected authzid NUL authcid NUL password",
            ));
        };
        if !authzid.is_empty() && authzid != authcid {
            self.conn.write(&tagged(
                tag,
                StatusKind::No,
                Some(Code::AuthorizationFailed),
                "acting as another user is not allowed",
            ));
            return Ok(Flow::Continue);
        }
        let (Ok(username), Ok(password)) = (
            AString::try_from(authcid.to_vec()),
            AString::try_from(password.to_vec()),
        ) else {
            self.conn.write(&tagged(
                tag,
                StatusKind::No,
                Some(Code::AuthenticationFailed),
                "invalid credentials",
            ));
            return Ok(Flow::Continue);
        };
        self.login(tag, username, password, "AUTHENTICATE completed")
            .await;
        Ok(Flow::Continue)
    }

    /// IDLE (RFC 2177): `+ idling`, then every update as it arrives, until
    /// `DONE`.
    async fn idle(&mut self, tag: &Tag<'static>) -> std::io::Result<Flow> {
        if self.session.state() == State::NotAuthenticated {
            return Ok(self.bad_input(Some(tag), "IDLE needs LOGIN first"));
        }
        self.conn.write(&Response::Continue(Continue::Text(
            RespText::plain("idling").into_static(),
        )));
        self.session.idle_poll(&mut self.conn.sink());
        loop {
            if self.session.state() == State::Logout {
                return Ok(Flow::Close);
            }
            if let Some(event) = self.conn.poll_event() {
                return match event {
                    FrameEvent::Frame(line) => {
                        if parse::idle_done(&line).is_ok() {
                            self.conn
                                .write(&tagged(tag, StatusKind::Ok, None, "IDLE terminated"));
                            Ok(Flow::Continue)
                        } else {
                            Ok(self.bad_input(Some(tag), "expected DONE to end IDLE"))
                        }
                    }
                    FrameEvent::NeedContinuation { .. } => {
                        let _ = self.conn.framer().reject_literal();
                        Ok(self.bad_input(Some(tag), "expected DONE to end IDLE"))
                    }
                    FrameEvent::LiteralTooLarge { .. } | FrameEvent::Error(_) => {
                        Ok(self.bad_input(Some(tag), "expected DONE to end IDLE"))
                    }
                    FrameEvent::Fatal(e) => {
                        self.conn.write(&bye(None, &e.kind.to_string()));
                        Ok(Flow::Close)
                    }
                };
            }
            self.conn.flush().await?;
            let timeout = self.settings.limits.idle_timeout();
            tokio::select! {
                more = self.conn.fill() => if !more? { return Ok(Flow::Close) },
                () = self.session.wait_for_updates() => {
                    self.session.idle_poll(&mut self.conn.sink());
                }
                _ = self.shutdown.wait_for(|stop| *stop) => {
                    self.conn.write(&bye(None, "server shutting down; please reconnect"));
                    return Ok(Flow::Close);
                }
                () = tokio::time::sleep(timeout) => {
                    self.conn.write(&bye(None, "autologout; idle for too long"));
                    return Ok(Flow::Close);
                }
            }
        }
    }
}

/// Splits a PLAIN response `authzid NUL authcid NUL passwd`.
fn split_plain(response: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let mut parts = response.splitn(3, |&b| b == 0);
    let authzid = parts.next()?;
    let authcid = parts.next()?;
    let password = parts.next()?;
    if authcid.is_empty() || password.contains(&0) {
        return None;
    }
    Some((authzid, authcid, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_responses_split_in_three() {
        assert_eq!(
            split_plain(b"\0alice\0pw"),
            Some((&b""[..], &b"alice"[..], &b"pw"[..]))
        );
        assert_eq!(split_plain(b"alice\0pw"), None);
        assert_eq!(split_plain(b"\0\0pw"), None);
        assert_eq!(split_plain(b"a\0b\0c\0d"), None);
    }

    #[test]
    fn text_cannot_break_the_line() {
        assert_eq!(text("a\r\nb").as_str(), "a  b");
        assert_eq!(text("[x").as_str(), " [x");
    }
}
