//! Fixed ports for servers a test must restart on the same address, or
//! whose address it must name before the server runs.
//!
//! A port taken from `127.0.0.1:0` and released is in the kernel's
//! ephemeral range, so another test's `bind(…:0)` or outgoing connection
//! may be handed it before our server binds it (seen in CI: the instance
//! failed with "Address already in use" and the test talked to another
//! test's server). Ports below that range are never handed out
//! automatically; only another caller of this function could pick the same
//! one, and the bind check below skips every port already in use.

use std::net::TcpListener;
use std::time::{SystemTime, UNIX_EPOCH};

/// A port on 127.0.0.1, currently free and outside the ephemeral range, so
/// nothing but an explicit bind can take it.
pub fn unclaimable_port() -> u16 {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    // Candidates in [low / 2, low): thousands of ports on any usual setup.
    let base = (ephemeral_low / 2).max(1024);
    let span = u32::from(ephemeral_low.saturating_sub(base).max(1));
    // A different start per process and call (pid and clock), then a walk.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut x = nanos ^ std::process::id().wrapping_mul(2_654_435_761);
    for _ in 0..span {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let port = base + ((x >> 8) % span) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below the ephemeral range {ephemeral_low}")
}
