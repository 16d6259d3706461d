//! `select`: time to the tagged OK of SELECT (on a fresh connection each
//! time) and of EXAMINE of the corpus.

use std::time::Instant;

use super::{Ctx, select};
use crate::BenchError;
use crate::stats::Histogram;

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let corpus = ctx.corpus.clone();
    let (mut sel, mut exa) = (Histogram::new(), Histogram::new());
    let (mut sel_time, mut exa_time) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    let mut exists = 0;
    for _ in 0..ctx.params.repeat.max(1) {
        let mut client = ctx.target.connect().await?;
        let t = Instant::now();
        let (reply, n) = select(&mut client, &corpus, false).await?;
        let d = t.elapsed();
        reply.ok("SELECT")?;
        sel.record(d);
        sel_time += d;
        exists = n;
        let t = Instant::now();
        select(&mut client, &corpus, true).await?.0.ok("EXAMINE")?;
        let d = t.elapsed();
        exa.record(d);
        exa_time += d;
        ctx.add_errors(&client);
        client.logout().await;
    }
    let note = Some(format!("{exists} messages"));
    ctx.push(
        "SELECT (new connection)",
        super::Metric::Latency,
        &sel,
        sel_time,
        None,
        note,
    );
    ctx.latency("EXAMINE (after SELECT)", &exa, exa_time);
    Ok(())
}
