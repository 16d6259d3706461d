//! What changes the connection under the session: COMPRESS (RFC 4978), a
//! deflate layer above TLS for the rest of the connection, and
//! UNAUTHENTICATE (RFC 8437), back to the not authenticated state on the
//! same connection (TLS kept).

use hadron_proto::types::{Code, Command, StatusKind, Tag};
use hadron_state::session::State;
use tracing::info;

use super::wire::tagged;
use super::{Flow, Handler};

impl Handler {
    /// `COMPRESS DEFLATE`: the tagged OK goes out uncompressed, everything
    /// after it compressed both ways. A second COMPRESS is `NO
    /// [COMPRESSIONACTIVE]` (as Dovecot answers), an algorithm other than
    /// DEFLATE `BAD` (RFC 4978 §3).
    pub(super) async fn compress(
        &mut self,
        tag: &Tag<'static>,
        algorithm: &str,
    ) -> std::io::Result<Flow> {
        if !self.is_authenticated() {
            return Ok(self.bad_input(Some(tag), "COMPRESS needs LOGIN first"));
        }
        if self.conn.is_compressed() {
            self.conn.write(&tagged(
                tag,
                StatusKind::No,
                Some(Code::CompressionActive),
                "DEFLATE is already active via COMPRESS",
            ));
            return Ok(Flow::Continue);
        }
        if !algorithm.eq_ignore_ascii_case("DEFLATE") {
            let why = format!("unknown compression algorithm {algorithm}; DEFLATE is supported");
            return Ok(self.bad_input(Some(tag), &why));
        }
        self.conn
            .write(&tagged(tag, StatusKind::Ok, None, "DEFLATE active"));
        self.conn.start_deflate().await?;
        info!("COMPRESS DEFLATE active");
        Ok(Flow::Continue)
    }

    /// UNAUTHENTICATE: the engine leaves the selected mailbox (no
    /// expunge) and forgets the user and what the client enabled; here
    /// the user's session slot is freed and non-synchronising literals go
    /// back to LITERAL-. Refused (`BAD`, as for a command not advertised)
    /// when turned off, and while COMPRESS is active: RFC 8437 §4.1 ends
    /// the compression layer at the command, and where the client's
    /// compressed stream stops in the bytes already read cannot be told
    /// reliably, so the server does not offer it then.
    pub(super) async fn unauthenticate(&mut self, command: Command<'_>) -> Flow {
        let tag = command.tag.clone().into_static();
        if !self.settings.unauthenticate {
            return self.bad_input(Some(&tag), "UNAUTHENTICATE is not enabled on this server");
        }
        if self.conn.is_compressed() {
            return self.bad_input(
                Some(&tag),
                "UNAUTHENTICATE is not available while COMPRESS is active",
            );
        }
        let was_authenticated = self.is_authenticated();
        self.session.execute(command, &mut self.conn.sink()).await;
        if was_authenticated && self.session.state() == State::NotAuthenticated {
            // The per-user limit and the logged-in count drop now.
            self.user_slot = None;
            self.conn.set_literal_plus(false);
            tracing::Span::current().record("user", "");
            info!("unauthenticated; the connection stays open");
        }
        self.flow()
    }
}
