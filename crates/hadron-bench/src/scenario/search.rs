//! `search`: SEARCH on the corpus by flags (UNSEEN, FLAGGED), internal date
//! (SINCE with about half and with a tenth of the messages, BEFORE), `Date:`
//! header (SENTSINCE, a tenth), size (LARGER, about 2%), address and
//! subject substrings (FROM with about 12% and 1% hits, TO with 1%,
//! SUBJECT) and body text (BODY).

use std::time::{Duration, Instant};

use hadron_proto::types::{AString, CommandBody, Data, Date, NonEmptyVec, Response, SearchKey};

use super::{Ctx, Metric, select};
use crate::BenchError;
use crate::mailgen::{
    SEARCH_BODY, SEARCH_FROM, SEARCH_FROM_ADDRESS, SEARCH_SUBJECT, SEARCH_TO_ADDRESS,
};
use crate::stats::Histogram;

fn text(s: &'static str) -> AString<'static> {
    AString::try_from(s).expect("a valid search string")
}

fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).expect("a valid date")
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let corpus = ctx.corpus.clone();
    let mut client = ctx.target.connect().await?;
    select(&mut client, &corpus, true).await?.0.ok("EXAMINE")?;
    let keys: Vec<(&str, SearchKey<'static>)> = vec![
        ("SEARCH UNSEEN", SearchKey::Unseen),
        ("SEARCH FLAGGED", SearchKey::Flagged),
        (
            "SEARCH SINCE 1-Jul-2022",
            SearchKey::Since(date(2022, 7, 1)),
        ),
        (
            "SEARCH BEFORE 1-Jan-2021",
            SearchKey::Before(date(2021, 1, 1)),
        ),
        // Generated dates run from 2020 to the end of 2024: a tenth of
        // them are from 1-Jul-2024 on.
        (
            "SEARCH SINCE 1-Jul-2024",
            SearchKey::Since(date(2024, 7, 1)),
        ),
        (
            "SEARCH SENTSINCE 1-Jul-2024",
            SearchKey::SentSince(date(2024, 7, 1)),
        ),
        ("SEARCH LARGER 100000", SearchKey::Larger(100_000)),
        ("SEARCH FROM", SearchKey::From(text(SEARCH_FROM))),
        (
            "SEARCH FROM address (1%)",
            SearchKey::From(text(SEARCH_FROM_ADDRESS)),
        ),
        (
            "SEARCH TO address (1%)",
            SearchKey::To(text(SEARCH_TO_ADDRESS)),
        ),
        ("SEARCH SUBJECT", SearchKey::Subject(text(SEARCH_SUBJECT))),
        ("SEARCH BODY", SearchKey::Body(text(SEARCH_BODY))),
    ];
    let repeat = (ctx.params.repeat / 4).max(2);
    for (op, key) in keys {
        let (mut hist, mut busy, mut hits) = (Histogram::new(), Duration::ZERO, 0u64);
        for _ in 0..repeat {
            let body = CommandBody::Search {
                uid: false,
                return_options: None,
                charset: None,
                criteria: NonEmptyVec::one(key.clone()),
            };
            let mut found = 0;
            let t = Instant::now();
            client
                .execute_with(body, |r| {
                    if let Response::Data(Data::Search { ids, .. }) = r {
                        found += ids.len() as u64;
                    }
                })
                .await?;
            let d = t.elapsed();
            hist.record(d);
            busy += d;
            hits = found;
        }
        let note = Some(format!("{hits} hits"));
        ctx.push(op, Metric::Latency, &hist, busy, None, note);
    }
    ctx.add_errors(&client);
    client.logout().await;
    Ok(())
}
