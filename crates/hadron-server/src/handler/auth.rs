//! Getting in: STARTTLS, LOGIN and AUTHENTICATE PLAIN, with throttling,
//! the per-user session limit and LOGINDISABLED before TLS.

use hadron_proto::framing::FrameEvent;
use hadron_proto::parse;
use hadron_proto::types::{
    AString, AuthContinuation, Base64, Capability, Code, Command, CommandBody, Continue, Response,
    StatusKind, Tag,
};
use hadron_state::session::{Output, State};
use tracing::{debug, info};

use super::wire::{Offer, bye, capabilities, tagged};
use super::{Flow, Handler, Input};
use crate::guards::Verdict;

impl Handler {
    /// Whether STARTTLS is on offer: TLS configured and not yet up.
    pub(super) fn starttls_available(&self) -> bool {
        self.settings.tls.is_some() && !self.conn.is_tls()
    }

    /// Whether LOGIN / AUTHENTICATE may be used now.
    pub(super) fn login_allowed(&self) -> bool {
        self.conn.is_tls() || self.settings.tls.is_none() || self.settings.plaintext_auth
    }

    pub(super) fn capabilities(&self) -> Vec<Capability<'static>> {
        let authenticated = self.is_authenticated();
        capabilities(Offer {
            starttls: self.starttls_available(),
            login_allowed: self.login_allowed(),
            max_literal: self.settings.limits.max_literal,
            authenticated,
            unauthenticate: self.settings.unauthenticate
                && authenticated
                && !self.conn.is_compressed(),
        })
    }

    /// `NO [PRIVACYREQUIRED]` for a login attempt before TLS, if needed.
    pub(super) fn refuse_plaintext_login(&mut self, tag: &Tag<'_>) -> bool {
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
    pub(super) async fn start_tls(&mut self, tag: &Tag<'static>) -> std::io::Result<Flow> {
        if self.conn.is_tls() {
            return Ok(self.bad_input(Some(tag), "TLS is already active"));
        }
        if self.conn.is_compressed() {
            // TLS goes below COMPRESS (RFC 4978 §3), never above it.
            return Ok(self.bad_input(Some(tag), "STARTTLS after COMPRESS is not allowed"));
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

    pub(super) fn is_authenticated(&self) -> bool {
        self.session.state() != State::NotAuthenticated
    }

    /// LOGIN and AUTHENTICATE's common end: throttling, the per-user
    /// session limit, a bounded number of concurrent password checks, then
    /// the engine's LOGIN.
    pub(super) async fn login(
        &mut self,
        tag: &Tag<'static>,
        username: AString<'static>,
        password: AString<'static>,
        ok_text: &str,
    ) {
        let name = String::from_utf8_lossy(username.as_bytes()).into_owned();
        let settings = self.settings.clone();
        let failures = match settings.throttle.check(self.peer, &name).await {
            Verdict::Allow { failures } => failures,
            Verdict::Refuse(wait) => {
                info!(attempted_user = %name, "login refused: too many failures");
                let why = format!(
                    "too many failed logins; try again in {} minutes",
                    wait.as_secs().div_ceil(60).max(1)
                );
                self.conn
                    .write(&tagged(tag, StatusKind::No, Some(Code::Unavailable), &why));
                return;
            }
        };
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
            settings
                .throttle
                .succeeded(self.peer, &name, failures > 0)
                .await;
            self.user_slot = Some(slot);
            self.conn.set_literal_plus(true);
            tracing::Span::current().record("user", name.as_str());
            info!("logged in");
            // What login changed (LITERAL+, COMPRESS, UNAUTHENTICATE), so
            // the client needs no CAPABILITY round trip (as Dovecot does).
            let caps = Code::Capability(self.capabilities());
            self.conn
                .write(&tagged(tag, StatusKind::Ok, Some(caps), ok_text));
        } else {
            drop(slot);
            let delay = settings.throttle.failed(self.peer, &name).await;
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
    pub(super) async fn authenticate(
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
}
