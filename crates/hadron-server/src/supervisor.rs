//! The supervisor of one connection: its handler runs in a task of its
//! own, so that a panic (a bug) ends that connection only — logged, and
//! answered with `* BYE` — never the worker or the server. Used by the
//! connection workers (`workers.rs`); below them and the listener.

use std::future::Future;
use std::io::Write;

use hadron_proto::types::Code;
use tracing::{Instrument, error, info};

use crate::handler::bye;

/// Runs a connection's handler in its own task, so that a panic (a bug)
/// ends only that connection: it is logged, and the client gets `* BYE`
/// through `spare` before the socket is closed.
pub(crate) async fn supervise<F>(
    handler: F,
    spare: std::net::TcpStream,
    layered: &std::sync::atomic::AtomicBool,
) where
    F: Future<Output = std::io::Result<()>> + 'static,
{
    // A local task (connections stay on their worker thread, see
    // `workers`); it must run inside a `LocalSet`, as connection workers do.
    let task = tokio::task::spawn_local(handler.in_current_span());
    match task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => info!(error = %e, "connection ended with an I/O error"),
        Err(e) if e.is_panic() => {
            let what = e.into_panic();
            let msg = what
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| what.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            error!(panic = %msg, "connection handler panicked; closing the connection");
            let mut out = Vec::new();
            hadron_proto::encode::response(
                &bye(Some(Code::ServerBug), "internal server error; closing"),
                &mut out,
            );
            // Best effort: the socket is non-blocking, and a few bytes fit.
            // Plain text cannot be written into a TLS session or a
            // compressed stream.
            if !layered.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = (&spare).write_all(&out);
            }
        }
        Err(e) => info!(error = %e, "connection task cancelled"),
    }
    let _ = spare.shutdown(std::net::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    #[tokio::test]
    async fn a_panicking_handler_says_bye_and_closes_only_its_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        let stream = server_side.into_std().unwrap();
        let spare = stream.try_clone().unwrap();
        let stream = TcpStream::from_std(stream).unwrap();
        tokio::task::LocalSet::new()
            .run_until(supervise(
                async move {
                    let _held = stream;
                    panic!("bug in a handler");
                },
                spare,
                &std::sync::atomic::AtomicBool::new(false),
            ))
            .await;
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"* BYE [SERVERBUG] internal server error; closing\r\n");
    }
}
