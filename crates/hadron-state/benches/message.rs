//! Parse throughput of `ParsedMessage::parse` on a ~50 KiB multipart
//! message (text + HTML alternative, a base64 attachment and an attached
//! message), and section extraction from its part map.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use hadron_proto::types::{Part, Section};
use hadron_state::message::{ParsedMessage, extract};

fn message() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(
        b"Return-Path: <ann@example.org>\r\n\
Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n\
\tby mail.example.net with ESMTPS id abc123\r\n\
\tfor <bob@example.net>; Sat, 28 Nov 2026 13:00:00 +0000\r\n\
From: =?UTF-8?Q?Ann_M=C3=BCller?= <ann@example.org>\r\n\
To: Bob <bob@example.net>, team: carol@example.net, dave@example.net;\r\n\
Subject: =?UTF-8?B?UXVhcnRlcmx5IHJlcG9ydCDigJQgZHJhZnQ=?=\r\n\
Date: Sat, 28 Nov 2026 13:00:00 +0000\r\n\
Message-ID: <report.1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
This is a multi-part message in MIME format.\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"alt\"\r\n\
\r\n\
--alt\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n",
    );
    for i in 0..120 {
        m.extend_from_slice(
            format!("Line {i} of the report: numbers are up, costs are d=C3=A9clining.\r\n")
                .as_bytes(),
        );
    }
    m.extend_from_slice(b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>\r\n");
    for i in 0..120 {
        m.extend_from_slice(format!("<p>Line {i} of the report.</p>\r\n").as_bytes());
    }
    m.extend_from_slice(
        b"</body></html>\r\n--alt--\r\n\r\n--outer\r\n\
Content-Type: application/pdf; name=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n",
    );
    for _ in 0..520 {
        m.extend_from_slice(
            b"JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZU\r\n",
        );
    }
    m.extend_from_slice(
        b"--outer\r\nContent-Type: message/rfc822\r\n\r\n\
From: Carol <carol@example.net>\r\nSubject: Re: numbers\r\nDate: Fri, 27 Nov 2026 09:00:00 -0500\r\n\r\n\
Looks good.\r\n--outer--\r\n",
    );
    m
}

fn bench(c: &mut Criterion) {
    let raw = message();
    let mut g = c.benchmark_group("message");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.bench_function(format!("parse_{}KiB_multipart", raw.len() / 1024), |b| {
        b.iter(|| ParsedMessage::parse(black_box(&raw)))
    });
    g.finish();

    let parsed = ParsedMessage::parse(&raw);
    let mut g = c.benchmark_group("message_extract");
    let section =
        Section::Part(Part::new(vec![1.try_into().unwrap(), 2.try_into().unwrap()]).unwrap());
    g.bench_function("extract_1.2", |b| {
        b.iter(|| extract(black_box(&raw), &parsed.part_map, &section, None).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
