//! Snapshot benchmarks at 1,000,000 messages: build, sequence ↔ UID
//! lookups, delivering 1,000 expunges (the NOOP after another session's
//! EXPUNGE, DESIGN.md §6) and delivering another session's `STORE 1:*`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_main};
use hadron_proto::types::Flag;
use hadron_state::delivery::{CommandContext, Selected};
use hadron_state::flags::{FlagSet, SystemFlags};
use hadron_state::snapshot::Snapshot;
use hadron_state::update::{FlagChange, SessionId, Update};

const N: u32 = 1_000_000;

/// A realistic mix: UIDs with gaps, most messages \Seen, a few keywords.
fn messages() -> impl Iterator<Item = (u32, FlagSet)> {
    let label = Flag::keyword("$Label1").unwrap();
    (1..=N).map(move |i| {
        let mut flags = FlagSet::system(if i % 10 == 0 {
            SystemFlags::EMPTY
        } else {
            SystemFlags::SEEN
        });
        if i % 50 == 0 {
            flags.insert(label.clone());
        }
        (i * 3, flags)
    })
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot_1m");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    group.bench_function("build", |b| {
        b.iter(|| Snapshot::from_messages(black_box(messages())).unwrap())
    });

    let snapshot = Snapshot::from_messages(messages()).unwrap();
    group.bench_function("seq_to_uid_x1000", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for k in 0..1000u32 {
                sum += u64::from(snapshot.uid(black_box(k * 997 + 1)).unwrap());
            }
            sum
        })
    });
    group.bench_function("uid_to_seq_x1000", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for k in 0..1000u32 {
                sum += u64::from(snapshot.seq(black_box((k * 997 + 1) * 3)).unwrap());
            }
            sum
        })
    });

    // 1,000 UIDs spread over the whole mailbox, delivered at NOOP.
    let gone: Vec<u32> = (0..1000u32).map(|k| (k * 997 + 1) * 3).collect();
    let update = Arc::new(Update::MessagesExpunged {
        uids: gone,
        origin: Some(SessionId(2)),
    });
    group.bench_function("deliver_1000_expunges", |b| {
        b.iter_batched(
            || Selected::new(SessionId(1), snapshot.clone()),
            |mut selected| {
                let d = selected.deliver_updates([update.clone()], CommandContext::Noop);
                assert_eq!(d.events.len(), 1000);
                (selected, d)
            },
            BatchSize::LargeInput,
        )
    });
    // Another session's `STORE 1:* +FLAGS (\Flagged)`: one update with a
    // million changes, delivered at NOOP as a million FETCH responses.
    let store_all = Arc::new(Update::FlagsChanged {
        changes: snapshot
            .iter()
            .map(|m| {
                let mut flags = m.flags();
                flags.system = flags.system.union(SystemFlags::FLAGGED);
                FlagChange {
                    uid: m.uid,
                    flags,
                    modseq: None,
                }
            })
            .collect(),
        origin: Some(SessionId(2)),
    });
    group.bench_function("deliver_store_1_to_star", |b| {
        b.iter_batched(
            || Selected::new(SessionId(1), snapshot.clone()),
            |mut selected| {
                let d = selected.deliver_updates([store_all.clone()], CommandContext::Noop);
                assert_eq!(d.events.len(), N as usize);
                (selected, d)
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// The criterion group; the macro's generated function carries no docs.
mod harness {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(harness::benches);
