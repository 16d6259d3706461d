//! Encoder throughput: the FETCH responses a client gets when it opens a
//! mailbox (`FETCH 1:1000 (FLAGS UID ENVELOPE)`).
//!
//! Run with `cargo bench -p hadron-proto --bench encode`.

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::num::NonZeroU32;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hadron_proto::encode;
use hadron_proto::types::{
    Address, Data, Envelope, FetchItem, Flag, FlagFetch, IString, NString, Response,
};

fn nstring(s: &str) -> NString<'static> {
    NString(Some(IString::try_from(s.to_owned()).expect("no NUL")))
}

fn address(name: &str, mailbox: &str, host: &str) -> Address<'static> {
    Address {
        name: nstring(name),
        adl: NString::NIL,
        mailbox: nstring(mailbox),
        host: nstring(host),
    }
}

/// One realistic FETCH response for message `seq`.
fn fetch_response(seq: u32) -> Response<'static> {
    let mut flags = vec![FlagFetch::Flag(Flag::Seen)];
    if seq.is_multiple_of(7) {
        flags.push(FlagFetch::Flag(Flag::Flagged));
    }
    if seq.is_multiple_of(11) {
        flags.push(FlagFetch::Flag(Flag::keyword("$Forwarded").expect("atom")));
    }
    let envelope = Envelope {
        date: nstring("Tue, 5 Mar 2024 10:00:00 +0100"),
        subject: nstring(&format!("Re: quarterly report, part {seq}")),
        from: vec![address("Alice Example", "alice", "example.com")],
        sender: vec![address("Alice Example", "alice", "example.com")],
        reply_to: vec![address("Alice Example", "alice", "example.com")],
        to: vec![
            address("Bob", "bob", "example.org"),
            address("Carol \"CJ\" Jones", "carol", "example.org"),
        ],
        cc: vec![],
        bcc: vec![],
        in_reply_to: nstring("<1233@example.com>"),
        message_id: nstring(&format!("<{seq}@example.com>")),
    };
    let seq = NonZeroU32::new(seq).expect("sequence numbers start at 1");
    Response::Data(Data::Fetch {
        seq,
        items: vec![
            FetchItem::Flags(flags),
            FetchItem::Uid(seq),
            FetchItem::Envelope(Box::new(envelope)),
        ],
    })
}

fn encode_fetch(c: &mut Criterion) {
    let responses: Vec<Response<'static>> = (1..=1000).map(fetch_response).collect();
    let mut out = Vec::with_capacity(1 << 20);
    for r in &responses {
        encode::response(r, &mut out);
    }
    let bytes = out.len() as u64;

    let mut group = c.benchmark_group("encode/fetch_1000_flags_uid_envelope");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("hadron", |b| {
        b.iter(|| {
            out.clear();
            for r in &responses {
                encode::response(black_box(r), &mut out);
            }
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, encode_fetch);
criterion_main!(benches);
