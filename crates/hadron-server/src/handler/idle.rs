//! IDLE (RFC 2177).

use hadron_proto::framing::FrameEvent;
use hadron_proto::parse;
use hadron_proto::types::{Continue, RespText, Response, StatusKind, Tag};
use hadron_state::session::State;

use super::wire::{bye, tagged};
use super::{Flow, Handler};

impl Handler {
    /// IDLE (RFC 2177): `+ idling`, then every update as it arrives, until
    /// `DONE`.
    pub(super) async fn idle(&mut self, tag: &Tag<'static>) -> std::io::Result<Flow> {
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
