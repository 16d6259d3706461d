//! IDLE (RFC 2177), driven through the engine: [`Session::execute`] answers
//! `+ idling` (after delivering what is queued), the handler then writes
//! updates as they arrive ([`Session::wait_for_updates`] +
//! [`Session::idle_poll`], then [`Session::refresh_contexts`] for updating
//! searches) until the client's `DONE`, which
//! [`Session::idle_done`] answers.
//!
//! [`Session::execute`]: hadron_state::session::Session::execute
//! [`Session::wait_for_updates`]: hadron_state::session::Session::wait_for_updates
//! [`Session::idle_poll`]: hadron_state::session::Session::idle_poll
//! [`Session::refresh_contexts`]: hadron_state::session::Session::refresh_contexts
//! [`Session::idle_done`]: hadron_state::session::Session::idle_done

use hadron_proto::framing::FrameEvent;
use hadron_proto::parse;
use hadron_proto::types::{Command, Response, Status, Tag};
use hadron_state::session::{Output, ResponseSink, State};

use super::wire::bye;
use super::{Flow, Handler};

impl Handler {
    /// IDLE: runs until `DONE`, anything else (answered `BAD`), the client
    /// closing, a timeout or shutdown.
    pub(super) async fn idle(&mut self, command: Command<'_>) -> std::io::Result<Flow> {
        let tag = command.tag.clone().into_static();
        self.session.execute(command, &mut self.conn.sink()).await;
        if !self.session.is_idling() {
            // Refused (not logged in) or the session was closed.
            return Ok(self.flow());
        }
        loop {
            if self.session.state() == State::Logout {
                return Ok(Flow::Close);
            }
            if let Some(event) = self.conn.poll_event() {
                return Ok(self.idle_input(&tag, event).await);
            }
            self.conn.flush().await?;
            let timeout = self.settings.limits.idle_timeout();
            tokio::select! {
                more = self.conn.fill() => if !more? { return Ok(Flow::Close) },
                () = self.session.wait_for_updates() => {
                    // Short coalescing: updates that follow within the
                    // window go out with this one, as one write.
                    let window = self.settings.limits.idle_coalesce();
                    if !window.is_zero() {
                        tokio::select! {
                            () = tokio::time::sleep(window) => {}
                            // DONE (or anything) ends the window early.
                            more = self.conn.fill() => if !more? { return Ok(Flow::Close) },
                        }
                    }
                    self.session.idle_poll(&mut self.conn.sink());
                    // Updating searches (RFC 5267) report what changed.
                    self.session.refresh_contexts(&mut self.conn.sink()).await;
                    // NOTIFY (RFC 5465): other mailboxes, names, subscriptions.
                    self.session.notify_poll(&mut self.conn.sink()).await;
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

    /// What the client sent during IDLE: `DONE` ends it normally; anything
    /// else ends it with `BAD` (the updates delivered on the way out are
    /// still written).
    async fn idle_input(&mut self, tag: &Tag<'static>, event: FrameEvent) -> Flow {
        // What other instances committed before the client's input is
        // delivered with it, as one server would.
        self.session.catch_up().await;
        if let FrameEvent::Frame(line) = &event
            && parse::idle_done(line).is_ok()
        {
            self.session.idle_done(&mut self.conn.sink());
            return self.flow();
        }
        let mut out: Vec<Output> = Vec::new();
        self.session.idle_done(&mut out);
        let mut sink = self.conn.sink();
        for o in out {
            if !matches!(o.response, Response::Status(Status::Tagged { .. })) {
                sink.send(o);
            }
        }
        match event {
            FrameEvent::Fatal(e) => {
                self.conn.write(&bye(None, &e.kind.to_string()));
                Flow::Close
            }
            FrameEvent::NeedContinuation { .. } => {
                // The client sends no literal data without our `+`.
                let _ = self.conn.framer().reject_literal();
                self.bad_input(Some(tag), "expected DONE to end IDLE")
            }
            _ => self.bad_input(Some(tag), "expected DONE to end IDLE"),
        }
    }
}
