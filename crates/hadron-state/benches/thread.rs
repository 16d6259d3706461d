//! THREAD (RFC 5256) of a 100,000-message mailbox, the algorithms alone
//! (issue 13's bound for the whole command is 0.3 s): a third of the
//! messages answer an earlier one by References (a chain of up to four
//! ancestors, some of them not in the mailbox), one in twenty has no
//! Message-ID, subjects repeat with `Re:` prefixes.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Duration;

use criterion::{Criterion, criterion_main};
use hadron_state::sort::{base_subject_and_reply, casemap_owned};
use hadron_state::thread::{
    ThreadLinks, ThreadMessage, ordered_subject, ordered_subject_of, references, references_of,
};
use hadron_state::thread_index::ThreadIndex;

const N: u32 = 100_000;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(n)) as u32
    }
}

fn messages() -> Vec<ThreadMessage> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parents: Vec<Vec<String>> = Vec::with_capacity(N as usize);
    (1..=N)
        .map(|i| {
            let id = (rng.below(20) != 0).then(|| format!("m{i}@bench.invalid"));
            let chain = if i > 1 && rng.below(3) == 0 {
                let p = rng.below(i - 1) as usize;
                let mut chain = parents[p].clone();
                chain.push(format!("m{}@bench.invalid", p + 1));
                if chain.len() > 4 {
                    chain.remove(0);
                }
                chain
            } else {
                Vec::new()
            };
            parents.push(chain.clone());
            let topic = rng.below(5_000);
            let raw = if chain.is_empty() {
                format!("Topic {topic}")
            } else {
                format!("Re: Topic {topic}")
            };
            let (subject, is_reply) = base_subject_and_reply(&raw);
            ThreadMessage {
                number: NonZeroU32::new(i).unwrap(),
                date: 1_767_225_600 + i64::from(rng.below(30 * 86_400)),
                subject: casemap_owned(subject),
                is_reply,
                links: ThreadLinks { id, parents: chain },
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let messages = messages();
    // As a session finds them kept in memory: numbered by UID, the
    // numbers here.
    let mut index = ThreadIndex::default();
    index.insert(&messages);
    let uids: Vec<u32> = messages.iter().map(|m| m.number.get()).collect();
    let kept = index.threadable(&uids, NonZeroU32::new).unwrap();
    let mut group = c.benchmark_group("thread_100k");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    let count = |threads: &[hadron_proto::types::Thread]| {
        let mut n = 0;
        let mut stack: Vec<_> = threads.iter().collect();
        while let Some(t) = stack.pop() {
            n += t.members.len();
            stack.extend(t.children.iter());
        }
        n
    };
    assert_eq!(count(&references(&messages)), N as usize);
    assert_eq!(count(&ordered_subject(&messages)), N as usize);
    group.bench_function("references", |b| {
        b.iter(|| references(black_box(&messages)))
    });
    group.bench_function("ordered_subject", |b| {
        b.iter(|| ordered_subject(black_box(&messages)))
    });
    assert_eq!(references_of(&kept), references(&messages));
    group.bench_function("references_of_numbered", |b| {
        b.iter(|| references_of(black_box(&kept)))
    });
    group.bench_function("ordered_subject_of_numbered", |b| {
        b.iter(|| ordered_subject_of(black_box(&kept)))
    });
    group.finish();
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
