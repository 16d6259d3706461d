//! SEARCH on a 1,000,000-message mailbox (DESIGN.md §6 targets: UNSEEN
//! ≤ 50 ms, SINCE ≤ 0.3 s, FROM ≤ 1 s): a flag key from the snapshot,
//! an internal-date key on metadata from a `MemorySource`, and a
//! substring key on its decoded `From:` headers.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_main};
use hadron_proto::types::{AString, Date, DateTime, Flag, SearchKey};
use hadron_state::flags::{FlagSet, SystemFlags};
use hadron_state::search::{MemoryMessage, MemorySource, MessageMeta, SearchOptions, search};
use hadron_state::snapshot::Snapshot;

const N: u32 = 1_000_000;
/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600;

/// UIDs with gaps, 90 % \Seen, a keyword on every 50th.
fn snapshot() -> Snapshot {
    let label = Flag::keyword("$Label1").unwrap();
    Snapshot::from_messages((1..=N).map(|i| {
        let mut flags = FlagSet::system(if i % 10 == 0 {
            SystemFlags::EMPTY
        } else {
            SystemFlags::SEEN
        });
        if i % 50 == 0 {
            flags.insert(label.clone());
        }
        (i * 3, flags)
    }))
    .unwrap()
}

/// One message every ~31 s over a year, sizes 1-100 kB, 5,000 senders,
/// some with non-ASCII names.
fn source() -> MemorySource {
    (1..=N)
        .map(|i| {
            let meta = MessageMeta {
                size: 1_000 + (i * 7919) % 100_000,
                internal_date: DateTime::from_unix(START + i64::from(i) * 31, 60).unwrap(),
                sent_date: None,
                modseq: u64::from(i),
                save_date: None,
            };
            let from = if i % 7 == 0 {
                format!("Jörg Müller {} <jm{}@example.de>", i % 5000, i % 5000)
            } else {
                format!("Sender {} <sender{}@example.org>", i % 5000, i % 5000)
            };
            (i * 3, MemoryMessage::new(meta).header("From", from))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let snapshot = snapshot();
    let source = source();
    let mut group = c.benchmark_group("search_1m");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    let options = SearchOptions::default();
    let mut run = |name: &str, keys: Vec<SearchKey<'static>>, expected: usize| {
        let found = search(&snapshot, &keys, None, &source, &options).unwrap();
        assert_eq!(found.numbers.len(), expected, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| search(&snapshot, black_box(&keys), None, &source, &options).unwrap())
        });
    };

    run("unseen", vec![SearchKey::Unseen], 100_000);
    // Messages from day 180 on: the second half of the year, roughly.
    let since = Date::new(2026, 6, 30).unwrap();
    let expected_since = (1..=N)
        .filter(|&i| {
            DateTime::from_unix(START + i64::from(i) * 31, 60)
                .unwrap()
                .date()
                >= since
        })
        .count();
    run("since", vec![SearchKey::Since(since)], expected_since);
    let needle = |s: &str| AString::try_from(s.to_owned()).unwrap();
    // "sender42" is in the From of senders 42 and 420-429 and 4200-4299
    // (except every 7th message, which has a Müller address).
    let expected_from = (1..=N)
        .filter(|&i| i % 7 != 0 && format!("sender{}", i % 5000).contains("sender42"))
        .count();
    run(
        "from_ascii",
        vec![SearchKey::From(needle("SENDER42"))],
        expected_from,
    );
    let expected_müller = (1..=N).filter(|&i| i % 7 == 0).count();
    run(
        "from_non_ascii",
        vec![SearchKey::From(needle("MÜLLER"))],
        expected_müller,
    );
    run(
        "unseen_from",
        vec![SearchKey::From(needle("müller")), SearchKey::Unseen],
        (1..=N).filter(|&i| i % 7 == 0 && i % 10 == 0).count(),
    );
    group.finish();
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
