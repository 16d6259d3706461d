//! The per-connection IMAP driver: greets the client, frames and parses its
//! commands, runs each through the engine's [`Session`] in order, and
//! handles what belongs to the connection rather than the mailbox state —
//! literal continuations, AUTHENTICATE's exchange, IDLE, timeouts, limits
//! on bad input and shutdown.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hadron_proto::framing::{FrameErrorKind, FrameEvent};
use hadron_proto::parse::{self, ParseLimits};
use hadron_proto::types::{
    Base64, Code, Command, CommandBody, Continue, Data, IString, NString, RespText, Response,
    StatusKind, Tag,
};
use hadron_state::session::{Session, State};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info};

mod auth;
mod idle;
mod layers;
mod wire;

pub(crate) use self::wire::bye;
use self::wire::{resp_text, tagged, untagged};

use crate::config::Limits;
use crate::connection::Connection;
use crate::guards::{CountGuard, Counter, LoginThrottle};

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
    /// Whether UNAUTHENTICATE (RFC 8437) is offered; RFC 8437 §8 wants a
    /// way to turn it off (`[auth] unauthenticate`).
    pub(crate) unauthenticate: bool,
    /// The host names by which absolute IMAP URLs of CATENATE (RFC 4469)
    /// may name this server: the machine's host name and `localhost`; each
    /// connection adds the address it was accepted on.
    pub(crate) url_hosts: Vec<String>,
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
            unauthenticate: true,
            url_hosts: vec![crate::maintenance::host_name(), "localhost".to_owned()],
        }
    }
}

impl Settings {
    /// [`Settings::new`] for a server of `engine`: on a database other
    /// instances share, failed logins are counted there, for the cluster.
    pub(crate) fn for_engine(limits: Limits, engine: &hadron_state::engine::Engine) -> Settings {
        let mut settings = Settings::new(limits);
        if engine.store().is_shared() {
            settings.throttle = settings.throttle.shared(engine.store().clone());
        }
        settings
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("limits", &self.limits)
            .field("tls", &self.tls.is_some())
            .field("plaintext_auth", &self.plaintext_auth)
            .field("unauthenticate", &self.unauthenticate)
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
        // Input restarts the client's time; notifications sent meanwhile
        // (NOTIFY) do not.
        let timeout = self.timeout();
        let mut deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(event) = self.conn.poll_event() {
                return Ok(Input::Event(event));
            }
            if self.session.notifications_pending() {
                // NOTIFY (RFC 5465): what the client asked to hear of goes
                // out while no command is in progress.
                self.session.notify_poll(&mut self.conn.sink()).await;
            }
            self.conn.flush().await?;
            let notify = self.session.notify_active();
            tokio::select! {
                more = self.conn.fill() => {
                    if !more? {
                        return Ok(Input::Eof);
                    }
                    deadline = tokio::time::Instant::now() + timeout;
                }
                () = self.session.wait_for_notifications(), if notify => {}
                _ = self.shutdown.wait_for(|stop| *stop) => return Ok(Input::Shutdown),
                () = tokio::time::sleep_until(deadline) => return Ok(Input::Timeout),
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
            FrameEvent::Error(e) => {
                let why = e.kind.to_string();
                if let FrameErrorKind::LiteralTooLarge { .. } = e.kind {
                    // A non-synchronising literal over LITERAL-'s 4096
                    // bytes, skipped: `BAD [TOOBIG]` (RFC 7888 §5).
                    return Ok(self.bad_input_with(e.tag.as_ref(), Some(Code::TooBig), &why));
                }
                Ok(self.bad_input(e.tag.as_ref(), &why))
            }
            FrameEvent::Fatal(e) => {
                info!(reason = %e.kind, "closing connection: input cannot be framed");
                self.conn.write(&bye(None, &e.kind.to_string()));
                Ok(Flow::Close)
            }
        }
    }

    /// `BAD` for malformed input; too many of them close the connection.
    fn bad_input(&mut self, tag: Option<&Tag<'static>>, why: &str) -> Flow {
        self.bad_input_with(tag, None, why)
    }

    /// [`Handler::bad_input`] with a response code on the tagged `BAD`.
    fn bad_input_with(
        &mut self,
        tag: Option<&Tag<'static>>,
        code: Option<Code<'static>>,
        why: &str,
    ) -> Flow {
        match tag {
            Some(tag) => self.conn.write(&tagged(tag, StatusKind::Bad, code, why)),
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
            CommandBody::Id(params) => {
                self.id(&tag, params.as_deref().unwrap_or_default());
                Ok(Flow::Continue)
            }
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
            CommandBody::Idle => self.idle(command).await,
            CommandBody::Compress { algorithm } => self.compress(&tag, algorithm.as_str()).await,
            CommandBody::Unauthenticate => Ok(self.unauthenticate(command).await),
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

    /// ID (RFC 2971): logs the client's name and version, answers with the
    /// server's.
    fn id(&mut self, tag: &Tag<'static>, params: &[(IString<'_>, NString<'_>)]) {
        let field = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(key.as_bytes()))
                .and_then(|(_, v)| v.as_bytes())
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        debug!(client = ?field("name"), client_version = ?field("version"), "client ID");
        let ours = [("name", "Hadron"), ("version", env!("CARGO_PKG_VERSION"))]
            .into_iter()
            .filter_map(|(k, v)| {
                Some((
                    IString::try_from(k).ok()?,
                    NString(Some(IString::try_from(v).ok()?)),
                ))
            })
            .collect();
        self.conn.write(&Response::Data(Data::Id(ours)));
        self.conn
            .write(&tagged(tag, StatusKind::Ok, None, "ID completed"));
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
}
