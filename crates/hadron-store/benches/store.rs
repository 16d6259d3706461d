//! Store benchmarks (DESIGN.md §6): append 10,000 messages in batches of 250, read
//! (uid, flags) of a 1,000,000-message mailbox, set a flag on 100,000 messages.
//!
//! SQLite always; PostgreSQL too when `HADRON_BENCH_PG` is set to a server URL (a database
//! named `hadron_bench` is created there and dropped afterwards).
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use diesel::prelude::*;
use hadron_store::{
    FlagOp, MailboxId, MessageMeta, NewMessage, Store, StoreOptions, SystemFlags, UidSet,
    content_hash,
};

fn message(i: u64) -> NewMessage {
    let hash = content_hash(&i.to_le_bytes());
    NewMessage {
        meta: MessageMeta {
            content_hash: hash,
            size: 2_000 + i % 5_000,
            internal_date: 1_700_000_000 + i as i64,
            sent_date: Some(1_700_000_000 + i as i64),
            envelope: vec![b'e'; 200],
            bodystructure: vec![b'b'; 100],
            subject: Some(format!("Message number {i}")),
            from: Some("Sender <sender@example.org>".into()),
            to: Some("rcpt@example.org".into()),
            cc: None,
            thread_refs: Some(format!("{i}@example.org")),
            preview: Some(format!("preview of message {i}")),
            part_map: vec![b'p'; 24],
            thread_id: None,
            sort_keys: None,
        },
        flags: if i.is_multiple_of(2) {
            SystemFlags::SEEN
        } else {
            SystemFlags::EMPTY
        },
        keywords: Vec::new(),
        sent_day: None,
        text: None,
        uid: None,
    }
}

fn fill(store: &Store, mb: MailboxId, n: u64) {
    let mut i = 0;
    while i < n {
        let k = 10_000.min(n - i);
        store.append(mb, (i..i + k).map(message).collect()).unwrap();
        i += k;
    }
}

fn bench_backend(c: &mut Criterion, name: &str, url: &str) {
    let store = Store::open(url, &StoreOptions::default()).unwrap();
    let user = store.create_user("bench", "x").unwrap();

    let mut g = c.benchmark_group(format!("{name}/append"));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let mb = store.create_mailbox(user, "append", None).unwrap().id;
    let mut next = 0u64;
    g.bench_function("10k_messages_in_batches_of_250", |b| {
        b.iter_batched(
            || {
                let v: Vec<Vec<NewMessage>> = (0..40)
                    .map(|j| (0..250).map(|k| message(next + j * 250 + k)).collect())
                    .collect();
                next += 10_000;
                v
            },
            |batches| {
                for batch in batches {
                    black_box(store.append(mb, batch).unwrap());
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    // Concurrent single-message appends: group commit shares one fsync among writers.
    let mut g = c.benchmark_group(format!("{name}/append_concurrent"));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let mb1 = store.create_mailbox(user, "single", None).unwrap().id;
    g.bench_function("2000_single_appends_from_8_threads", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                for t in 0..8u64 {
                    let store = &store;
                    s.spawn(move || {
                        for i in 0..250 {
                            black_box(store.append(mb1, vec![message(t * 1000 + i)]).unwrap());
                        }
                    });
                }
            })
        })
    });
    g.finish();

    // The 1M-message mailbox is only built if a benchmark that needs it is selected.
    let big_cell = std::cell::OnceCell::new();
    let big_mailbox = || {
        *big_cell.get_or_init(|| {
            let big = store.create_mailbox(user, "big", None).unwrap().id;
            fill(&store, big, 1_000_000);
            big
        })
    };
    let mut g = c.benchmark_group(format!("{name}/read"));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("uid_flags_of_1M", |b| {
        let big = big_mailbox();
        b.iter(|| {
            let v = store.fetch_flags(big, &UidSet::all()).unwrap();
            assert_eq!(v.len(), 1_000_000);
            black_box(v)
        })
    });
    g.finish();

    let mut g = c.benchmark_group(format!("{name}/flags"));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let mut add = true;
    g.bench_function("flag_100k", |b| {
        let big = big_mailbox();
        b.iter(|| {
            let op = if add { FlagOp::Add } else { FlagOp::Remove };
            add = !add;
            let r = store
                .store_flags(
                    big,
                    &UidSet::range(1, 100_000),
                    op,
                    SystemFlags::FLAGGED,
                    &[],
                )
                .unwrap();
            assert_eq!(r.changed.len(), 100_000);
            black_box(r)
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    bench_backend(c, "sqlite", &url);

    if let Ok(admin) = std::env::var("HADRON_BENCH_PG") {
        let mut conn = PgConnection::establish(&admin).unwrap();
        let drop = "DROP DATABASE IF EXISTS hadron_bench WITH (FORCE)";
        diesel::sql_query(drop).execute(&mut conn).unwrap();
        diesel::sql_query("CREATE DATABASE hadron_bench")
            .execute(&mut conn)
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(h, _)| h);
        bench_backend(c, "postgres", &format!("{base}/hadron_bench"));
        diesel::sql_query(drop).execute(&mut conn).unwrap();
    }
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);
