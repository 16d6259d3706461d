//! Snapshot build at 10k, 100k and 1M messages; at 1,000,000 messages:
//! sequence ↔ UID
//! lookups, delivering 1,000 expunges (the NOOP after another session's
//! EXPUNGE, DESIGN.md §6) and delivering another session's `STORE 1:*`;
//! and fan-out of one update to 100 sessions.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_main};
use hadron_proto::types::Flag;
use hadron_state::delivery::{CommandContext, Selected};
use hadron_state::flags::{FlagSet, SystemFlags};
use hadron_state::snapshot::Snapshot;
use hadron_state::update::{FlagChange, Hub, MailboxId, SessionId, Subscription, Update};

const N: u32 = 1_000_000;

/// A realistic mix of `N` messages: UIDs with gaps, most messages \Seen, a
/// few keywords.
fn messages() -> impl Iterator<Item = (u32, FlagSet)> {
    messages_n(N)
}

/// [`messages`] with `n` messages.
fn messages_n(n: u32) -> impl Iterator<Item = (u32, FlagSet)> {
    let label = Flag::keyword("$Label1").unwrap();
    (1..=n).map(move |i| {
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
    let mut sizes = c.benchmark_group("snapshot_build");
    sizes
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for n in [10_000u32, 100_000] {
        sizes.bench_function(format!("{}k", n / 1000), |b| {
            b.iter(|| Snapshot::from_messages(black_box(messages_n(n))).unwrap())
        });
    }
    sizes.finish();

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
        modseq: None,
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

/// One update fanned out to 100 sessions on a 10,000-message mailbox, each
/// woken and delivering it (as in IDLE).
fn fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout_100");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let hub = Hub::new(1024);
    let mailbox = MailboxId(1);
    let base = Snapshot::from_messages((1..=10_000).map(|u| (u, FlagSet::default()))).unwrap();
    let mut sessions: Vec<(Subscription, Selected)> = (0..100)
        .map(|_| {
            let id = hub.new_session_id();
            (
                hub.subscribe(mailbox, id, None),
                Selected::new(id, base.clone()),
            )
        })
        .collect();
    let mut seen = false;
    group.bench_function("publish_and_deliver_flag_change", |b| {
        b.iter(|| {
            seen = !seen;
            let system = if seen {
                SystemFlags::SEEN
            } else {
                SystemFlags::EMPTY
            };
            hub.publish(
                mailbox,
                Update::FlagsChanged {
                    changes: vec![FlagChange {
                        uid: 5_000,
                        flags: FlagSet::system(system),
                        modseq: None,
                    }],
                    origin: None,
                },
            );
            for (sub, selected) in &mut sessions {
                let d = selected.deliver(sub, CommandContext::Idle);
                assert_eq!(d.events.len(), 1);
            }
        })
    });
    group.finish();
}

/// The criterion group; the macro's generated function carries no docs.
mod harness {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(benches, super::bench, super::fanout);
}
criterion_main!(harness::benches);
