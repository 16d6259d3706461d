//! Parser throughput, Hadron side by side with imap-codec on the same corpus.
//!
//! Run with `cargo bench -p hadron-proto --bench parse` (or
//! `cargo xtask bench --micro`). Numbers are reported in the crate README.

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hadron_proto::parse::{self, ParseLimits};
use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;

mod corpus;

fn parse_corpus(c: &mut Criterion) {
    let corpus = corpus::commands();
    let small: Vec<&Vec<u8>> = corpus.iter().filter(|c| c.len() < 4096).collect();
    let limits = ParseLimits::default();
    let codec = CommandCodec::default();

    // Both parsers must accept the whole corpus, or the comparison is void.
    for cmd in &corpus {
        parse::command(cmd, &limits).expect("hadron parses the corpus");
        codec.decode(cmd).expect("imap-codec parses the corpus");
    }

    let mut group = c.benchmark_group("parse/commands");
    group.throughput(Throughput::Elements(small.len() as u64));
    group.bench_function("hadron", |b| {
        b.iter(|| {
            for cmd in &small {
                black_box(parse::command(black_box(cmd), &limits).ok());
            }
        })
    });
    group.bench_function("imap-codec", |b| {
        b.iter(|| {
            for cmd in &small {
                black_box(codec.decode(black_box(cmd)).ok());
            }
        })
    });
    group.finish();

    let append = corpus::append_with_body(50 * 1024);
    let mut group = c.benchmark_group("parse/append_50KiB");
    group.throughput(Throughput::Bytes(append.len() as u64));
    group.bench_function("hadron", |b| {
        b.iter(|| black_box(parse::command(black_box(&append), &limits).ok()))
    });
    group.bench_function("imap-codec", |b| {
        b.iter(|| black_box(codec.decode(black_box(&append)).ok()))
    });
    group.finish();
}

criterion_group!(benches, parse_corpus);
criterion_main!(benches);
