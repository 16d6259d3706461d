//! The results as a text table, JSON, and an SVG bar chart written by hand.

use std::fmt::Write as _;
use std::path::Path;

use crate::BenchError;
use crate::scenario::{Measurement, Metric, Report, ScenarioKind, thousands};

/// One row of the comparison: a measurement of the first target and the
/// same measurement of each other target, when it has one.
struct Row<'r> {
    scenario: ScenarioKind,
    corpus: u64,
    values: Vec<Option<&'r Measurement>>,
}

fn rows(report: &Report) -> Vec<Row<'_>> {
    let Some(first) = report.targets.first() else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for result in &first.results {
        for m in &result.measurements {
            let values = report
                .targets
                .iter()
                .map(|t| {
                    t.results
                        .iter()
                        .filter(|r| r.scenario == result.scenario && r.corpus == result.corpus)
                        .flat_map(|r| &r.measurements)
                        .find(|o| o.op == m.op)
                })
                .collect();
            rows.push(Row {
                scenario: result.scenario,
                corpus: result.corpus,
                values,
            });
        }
    }
    rows
}

/// The headline of a measurement as text: `12.3 ms`, `6,012 /s`,
/// `48.2 MiB` or, under a MiB, `310 KiB`, `35,120 B`; `skipped` when it
/// was not measured.
pub fn headline(m: &Measurement) -> String {
    if m.is_skipped() {
        return "skipped".into();
    }
    match m.metric {
        Metric::Latency => format!("{} ms", ms(m.summary.p50_ms)),
        Metric::Throughput => format!("{} /s", thousands(m.headline().round() as u64)),
        Metric::Memory => {
            let mib = m.headline();
            if mib.abs() < 1.0 {
                format!("{:.0} KiB", mib * 1024.0)
            } else {
                format!("{} MiB", ms(mib))
            }
        }
        Metric::Bytes => format!("{} B", thousands(m.headline().round() as u64)),
    }
}

/// The smallest memory figure a ratio is taken of: one 4 KiB page, what
/// RSS resolves (a growth below it is noise, and a ratio to it
/// meaningless).
const MIN_MEMORY_MIB: f64 = 4.0 / 1024.0;

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// How much better the first target is than `other` on `m`: other/first
/// for times, memory and bytes, first/other for rates (above 1: the first
/// is better). None for memory below a page on either side (a growth that
/// came out zero or negative), and when either was skipped.
pub fn ratio(first: &Measurement, other: &Measurement) -> Option<f64> {
    if first.is_skipped() || other.is_skipped() {
        return None;
    }
    let (a, b) = (first.headline(), other.headline());
    let r = match first.metric {
        Metric::Latency | Metric::Bytes => b / a,
        Metric::Throughput => a / b,
        Metric::Memory if a >= MIN_MEMORY_MIB && b >= MIN_MEMORY_MIB => b / a,
        Metric::Memory => return None,
    };
    r.is_finite().then_some(r)
}

/// Lays out cells in aligned columns.
fn layout(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c > 0 {
                line.push_str("  ");
            }
            // Numbers right-aligned, text (and the last column) left-aligned.
            if c > 0
                && c + 1 < row.len()
                && cell.starts_with(|ch: char| ch.is_ascii_digit() || ch == '-')
            {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if i == 0 {
            let total = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out
}

/// The results as an aligned text table. With one target: count, p50,
/// p99, max and rate of each operation (memory, bytes and skipped ones
/// in the note column), then each scenario's errors and server use. With
/// several: each target's headline and the ratios.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let names: Vec<&str> = report
        .targets
        .iter()
        .map(|t| t.target.name.as_str())
        .collect();
    if report.targets.len() == 1 {
        let mut cells = vec![
            [
                "scenario", "op", "n", "p50 ms", "p99 ms", "max ms", "rate /s", "note",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for row in rows(report) {
            let Some(m) = row.values[0] else { continue };
            let s = &m.summary;
            if matches!(m.metric, Metric::Memory | Metric::Bytes) || m.is_skipped() {
                let head = match &m.skipped {
                    Some(why) => format!("skipped: {why}"),
                    None => headline(m),
                };
                let note = match &m.note {
                    Some(n) => format!("{head}; {n}"),
                    None => head,
                };
                let mut line = vec![format!("{} @{}", row.scenario, row.corpus), m.op.clone()];
                line.extend(std::iter::repeat_n("-".to_owned(), 5));
                line.push(note);
                cells.push(line);
                continue;
            }
            let rate = m.items_per_s.unwrap_or(s.per_s);
            cells.push(vec![
                format!("{} @{}", row.scenario, row.corpus),
                m.op.clone(),
                thousands(s.count),
                ms(s.p50_ms),
                ms(s.p99_ms),
                ms(s.max_ms),
                thousands(rate.round() as u64),
                m.note.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&layout(&cells));
    } else {
        let mut header = vec!["scenario".to_owned(), "op".to_owned()];
        header.extend(names.iter().map(|n| (*n).to_owned()));
        header.extend(names[1..].iter().map(|n| format!("{n}/{}", names[0])));
        let mut cells = vec![header];
        for row in rows(report) {
            let Some(first) = row.values[0] else { continue };
            let mut line = vec![
                format!("{} @{}", row.scenario, row.corpus),
                first.op.clone(),
            ];
            line.extend(row.values.iter().map(|v| v.map_or("-".into(), headline)));
            line.extend(row.values[1..].iter().map(|v| {
                v.and_then(|o| ratio(first, o))
                    .map_or("-".into(), |r| format!("{r:.2}×"))
            }));
            cells.push(line);
        }
        out.push_str(&layout(&cells));
        out.push_str(&format!(
            "ratios: other time / {0} time, {0} rate / other rate (above 1: {0} is faster)\n",
            names[0]
        ));
    }
    out.push('\n');
    let mut cells = vec![
        [
            "target",
            "scenario",
            "wall s",
            "NO",
            "BAD",
            "protocol",
            "state",
            "server CPU s",
            "server peak RSS MiB",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for t in &report.targets {
        for r in &t.results {
            cells.push(vec![
                t.target.name.clone(),
                format!("{} @{}", r.scenario, r.corpus),
                format!("{:.1}", r.wall_s),
                r.errors.no.to_string(),
                r.errors.bad.to_string(),
                r.errors.protocol.to_string(),
                r.errors.state.to_string(),
                r.server.map_or("-".into(), |s| format!("{:.1}", s.cpu_s)),
                r.server.map_or("-".into(), |s| {
                    format!("{:.0}", s.peak_rss_kib as f64 / 1024.0)
                }),
            ]);
        }
    }
    out.push_str(&layout(&cells));
    for t in &report.targets {
        for r in &t.results {
            for sample in &r.errors.samples {
                out.push_str(&format!(
                    "{} {} @{}: {sample}\n",
                    t.target.name, r.scenario, r.corpus
                ));
            }
        }
    }
    for failure in report.failures() {
        out.push_str(&format!("FAILED {failure}\n"));
    }
    out
}

/// The report as pretty-printed JSON.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("a report always serialises")
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

const COLORS: [&str; 4] = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5"];

/// A horizontal bar chart: one group per measurement, one bar per target,
/// labelled with its headline (p50 time or rate). With several targets a
/// bar's length is relative to the group's largest value; with one, it is
/// on a log scale shared by all measurements of the same kind (times, rates).
pub fn svg(report: &Report) -> String {
    const LABEL_W: f64 = 430.0;
    const BAR_W: f64 = 380.0;
    const BAR_H: f64 = 14.0;
    const TOP: f64 = 50.0;
    let rows = rows(report);
    let n_targets = report.targets.len().max(1);
    let group_h = BAR_H * n_targets as f64 + 10.0;
    let width = LABEL_W + BAR_W + 120.0;
    let height = TOP + group_h * rows.len() as f64 + 20.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let single = report.targets.len() == 1;
    let title = format!(
        "hadron-bench {} suite, run {} (bars: p50 time or rate{}; shorter time / longer rate is better)",
        report.params.suite,
        report.run_id,
        if single { ", log scale" } else { "" }
    );
    // With one target: the largest value of each metric, for the log scale.
    let metric_max = |metric: Metric| {
        rows.iter()
            .filter_map(|r| r.values[0])
            .filter(|m| m.metric == metric)
            .map(Measurement::headline)
            .fold(0.0f64, f64::max)
    };
    let (max_latency, max_rate, max_memory, max_bytes) = (
        metric_max(Metric::Latency),
        metric_max(Metric::Throughput),
        metric_max(Metric::Memory),
        metric_max(Metric::Bytes),
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="18" font-size="13">{}</text>"#,
        escape(&title)
    );
    for (i, t) in report.targets.iter().enumerate() {
        let x = 10.0 + 160.0 * i as f64;
        let color = COLORS[i % COLORS.len()];
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="28" width="12" height="12" fill="{color}"/><text x="{}" y="38">{}</text>"#,
            x + 16.0,
            escape(&t.target.name)
        );
    }
    for (g, row) in rows.iter().enumerate() {
        let y0 = TOP + group_h * g as f64;
        let Some(first) = row.values[0] else { continue };
        let label = format!("{} @{}: {}", row.scenario, row.corpus, first.op);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y0 + BAR_H * 0.8,
            escape(&label)
        );
        let max = row
            .values
            .iter()
            .flatten()
            .map(|m| m.headline())
            .fold(0.0f64, f64::max);
        for (i, value) in row.values.iter().enumerate() {
            let Some(m) = value else { continue };
            let y = y0 + BAR_H * i as f64;
            if m.is_skipped() {
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" fill="{}">skipped</text>"#,
                    LABEL_W + 4.0,
                    y + BAR_H * 0.75,
                    COLORS[i % COLORS.len()]
                );
                continue;
            }
            let w = if single {
                let top = match m.metric {
                    Metric::Latency => max_latency,
                    Metric::Throughput => max_rate,
                    Metric::Memory => max_memory,
                    Metric::Bytes => max_bytes,
                };
                // log10(1 + v) keeps values below 1 (ms) visible and positive.
                let scale = (1.0 + top).log10();
                if scale > 0.0 {
                    ((1.0 + m.headline().max(0.0)).log10() / scale * BAR_W).max(1.0)
                } else {
                    1.0
                }
            } else if max > 0.0 {
                (m.headline().max(0.0) / max * BAR_W).max(1.0)
            } else {
                1.0
            };
            let color = COLORS[i % COLORS.len()];
            let _ = writeln!(
                s,
                r#"<rect x="{LABEL_W}" y="{y}" width="{w:.1}" height="{}" fill="{color}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
                BAR_H - 2.0,
                LABEL_W + w + 4.0,
                y + BAR_H * 0.75,
                escape(&headline(m))
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// Writes `dir/name.json` and `dir/name.svg`; returns their paths.
pub fn write_files(
    report: &Report,
    dir: &Path,
    name: &str,
) -> Result<(std::path::PathBuf, std::path::PathBuf), BenchError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| BenchError::io(format!("creating {}", dir.display()), e))?;
    let json_path = dir.join(format!("{name}.json"));
    let svg_path = dir.join(format!("{name}.svg"));
    std::fs::write(&json_path, json(report))
        .map_err(|e| BenchError::io(format!("writing {}", json_path.display()), e))?;
    std::fs::write(&svg_path, svg(report))
        .map_err(|e| BenchError::io(format!("writing {}", svg_path.display()), e))?;
    Ok((json_path, svg_path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Errors, Params, ScenarioResult, Target, TargetReport};
    use crate::stats::Histogram;
    use std::time::Duration;

    fn measurement(op: &str, metric: Metric, ms_each: u64, n: u64) -> Measurement {
        let mut h = Histogram::new();
        for _ in 0..n {
            h.record(Duration::from_millis(ms_each));
        }
        Measurement {
            op: op.into(),
            metric,
            summary: h.summary(Duration::from_secs(1)),
            items: None,
            items_per_s: None,
            note: Some("a <note> & more".into()),
            value: None,
            skipped: None,
        }
    }

    fn memory(op: &str, mib: f64) -> Measurement {
        Measurement {
            op: op.into(),
            metric: Metric::Memory,
            summary: Histogram::new().summary(Duration::ZERO),
            items: None,
            items_per_s: None,
            note: None,
            value: Some(mib),
            skipped: None,
        }
    }

    fn report(targets: &[(&str, u64)]) -> Report {
        Report {
            run_id: "abc".into(),
            params: Params::quick(),
            resync: crate::scenario::ResyncParams::default(),
            targets: targets
                .iter()
                .map(|&(name, ms_each)| TargetReport {
                    target: Target::new(name, "127.0.0.1:1", "u", "secret-password"),
                    results: vec![ScenarioResult {
                        scenario: ScenarioKind::Select,
                        corpus: 10,
                        wall_s: 1.0,
                        measurements: vec![
                            measurement("SELECT", Metric::Latency, ms_each, 4),
                            measurement("APPEND", Metric::Throughput, 1, 100 / ms_each),
                        ],
                        errors: Errors::default(),
                        server: None,
                        failure: None,
                    }],
                })
                .collect(),
        }
    }

    #[test]
    fn json_round_trips_without_the_password() {
        let r = report(&[("hadron", 2)]);
        let text = json(&r);
        assert!(!text.contains("secret-password"));
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back.targets[0].results, r.targets[0].results);
        assert_eq!(back.run_id, "abc");
    }

    #[test]
    fn table_of_one_target() {
        let t = table(&report(&[("hadron", 2)]));
        assert!(t.contains("select @10"), "{t}");
        assert!(t.contains("SELECT"));
        assert!(t.contains("2.00"), "{t}");
    }

    #[test]
    fn ratios_favour_the_faster_server() {
        let r = report(&[("hadron", 2), ("other", 4)]);
        let t = table(&r);
        assert!(t.contains("other/hadron"), "{t}");
        // SELECT: other takes 4 ms, hadron 2 → 2.00×; APPEND: hadron does
        // 50/s, other 25/s → 2.00×.
        assert_eq!(t.matches("2.00×").count(), 2, "{t}");
        let sel = &r.targets[0].results[0].measurements[0];
        let other = &r.targets[1].results[0].measurements[0];
        assert_eq!(ratio(sel, other), Some(2.0));
    }

    #[test]
    fn less_memory_is_better_and_a_negative_growth_has_no_ratio() {
        let (small, large) = (memory("RSS", 2.0), memory("RSS", 5.0));
        assert_eq!(ratio(&small, &large), Some(2.5));
        assert_eq!(ratio(&large, &small), Some(0.4));
        assert_eq!(ratio(&memory("RSS", -0.5), &large), None);
        assert_eq!(ratio(&memory("RSS", 0.0004), &large), None, "below a page");
        assert_eq!(headline(&large), "5.00 MiB");
        assert_eq!(headline(&memory("RSS", 0.25)), "256 KiB");
        assert_eq!(headline(&memory("RSS", -0.5)), "-512 KiB");
        assert_eq!(large.unit(), "MiB");
        let mut r = report(&[("hadron", 2), ("other", 4)]);
        r.targets[0].results[0].measurements.push(small);
        r.targets[1].results[0].measurements.push(large);
        let t = table(&r);
        assert!(t.contains("2.00 MiB") && t.contains("2.50×"), "{t}");
        let one = table(&report(&[("hadron", 2)]));
        let mut r = report(&[("hadron", 2)]);
        r.targets[0].results[0]
            .measurements
            .push(memory("RSS", 7.25));
        let with_memory = table(&r);
        assert!(with_memory.contains("7.25 MiB"), "{with_memory}");
        assert_eq!(with_memory.lines().count(), one.lines().count() + 1);
        assert!(svg(&r).contains("7.25 MiB"));
    }

    fn bytes(op: &str, b: f64) -> Measurement {
        Measurement {
            metric: Metric::Bytes,
            value: Some(b),
            ..memory(op, 0.0)
        }
    }

    fn skipped(op: &str, metric: Metric) -> Measurement {
        Measurement {
            metric,
            value: None,
            skipped: Some("no QRESYNC".into()),
            ..memory(op, 0.0)
        }
    }

    #[test]
    fn bytes_and_skipped_rows() {
        let mut r = report(&[("hadron", 2), ("other", 4)]);
        let first = &mut r.targets[0].results[0].measurements;
        first.push(skipped("resync select", Metric::Latency));
        first.push(skipped("resync select: bytes received", Metric::Bytes));
        first.push(bytes("baseline: bytes received", 1_500.0));
        let other = &mut r.targets[1].results[0].measurements;
        other.push(measurement("resync select", Metric::Latency, 3, 2));
        other.push(bytes("resync select: bytes received", 5_000.0));
        other.push(bytes("baseline: bytes received", 3_000.0));
        assert!(r.targets[0].results[0].measurements[2].is_skipped());
        assert_eq!(r.targets[0].results[0].measurements[4].unit(), "B");
        let t = table(&r);
        let line = |op: &str| {
            t.lines()
                .find(|l| l.contains(op))
                .unwrap_or_else(|| panic!("no {op}: {t}"))
                .to_owned()
        };
        // Skipped on the first target: the other's figure, no ratio.
        let select = line("resync select  ");
        assert!(
            select.contains("skipped") && select.contains("3.00 ms"),
            "{t}"
        );
        assert!(select.trim_end().ends_with('-'), "{select}");
        assert!(line("resync select: bytes").contains("5,000 B"), "{t}");
        // Fewer bytes is better: 3,000 / 1,500.
        let baseline = line("baseline: bytes");
        assert!(
            baseline.contains("1,500 B") && baseline.contains("2.00×"),
            "{t}"
        );
        let s = svg(&r);
        assert!(
            s.contains(">skipped</text>") && s.contains("5,000 B"),
            "{s}"
        );
        let back: Report = serde_json::from_str(&json(&r)).unwrap();
        for (back, t) in back.targets.iter().zip(&r.targets) {
            assert_eq!(back.results, t.results, "skipped rows survive JSON");
        }
        // One target: the reason in the note column.
        let mut one = report(&[("hadron", 2)]);
        let m = &mut one.targets[0].results[0].measurements;
        m.push(skipped("resync select", Metric::Latency));
        m.push(bytes("baseline: bytes received", 1_500.0));
        let t = table(&one);
        assert!(t.contains("skipped: no QRESYNC"), "{t}");
        assert!(t.contains("1,500 B"), "{t}");
    }

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let r = report(&[("hadron", 2), ("dove<cot>", 4)]);
        let s = svg(&r);
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(s.contains("dove&lt;cot&gt;"));
        assert!(!s.contains("dove<cot>"));
        // One bar per target and measurement, the longest full width.
        assert_eq!(s.matches("<rect x=\"430\"").count(), 4);
        assert!(s.contains("width=\"380.0\""));
        assert_eq!(s.matches('<').count(), s.matches('>').count());
    }

    #[test]
    fn svg_of_one_target_uses_a_log_scale() {
        let s = svg(&report(&[("hadron", 2)]));
        assert!(s.contains("log scale"));
        // SELECT (2 ms) is the only time: full width; so is APPEND (the
        // only rate). A second, smaller time would be shorter.
        assert_eq!(s.matches("width=\"380.0\"").count(), 2, "{s}");
    }

    #[test]
    fn files_are_written() {
        let dir = std::env::temp_dir().join(format!("hadron-bench-test-{}", std::process::id()));
        let (j, s) = write_files(&report(&[("hadron", 2)]), &dir, "hadron").unwrap();
        assert!(std::fs::read_to_string(j).unwrap().contains("\"run_id\""));
        assert!(std::fs::read_to_string(s).unwrap().contains("<svg"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
