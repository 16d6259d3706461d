//! Latency samples and their summary: count, percentiles, throughput.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Every latency of one kind of operation, kept exactly (4 bytes each, in
/// microseconds), so percentiles are exact.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    micros: Vec<u32>,
    bytes: u64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one operation that took `latency`.
    pub fn record(&mut self, latency: Duration) {
        self.micros
            .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    /// Records one operation that moved `bytes` bytes.
    pub fn record_bytes(&mut self, latency: Duration, bytes: u64) {
        self.record(latency);
        self.bytes += bytes;
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Histogram) {
        self.micros.extend_from_slice(&other.micros);
        self.bytes += other.bytes;
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.micros.len() as u64
    }

    /// Bytes recorded with [`Histogram::record_bytes`].
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The `p`-th percentile (0 < `p` ≤ 100) by nearest rank: the smallest
    /// sample that at least `p`% of the samples are at or below. `None`
    /// without samples.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        percentile_sorted(&sorted, p).map(|us| Duration::from_micros(u64::from(us)))
    }

    /// The summary of the samples, with `elapsed` the wall-clock time they
    /// were taken in (for throughput).
    pub fn summary(&self, elapsed: Duration) -> Summary {
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let ms = |p: f64| percentile_sorted(&sorted, p).map_or(0.0, |us| f64::from(us) / 1000.0);
        let secs = elapsed.as_secs_f64();
        let count = sorted.len() as u64;
        let total_us: u64 = sorted.iter().map(|&us| u64::from(us)).sum();
        Summary {
            count,
            elapsed_s: secs,
            mean_ms: if count == 0 {
                0.0
            } else {
                total_us as f64 / count as f64 / 1000.0
            },
            p50_ms: ms(50.0),
            p99_ms: ms(99.0),
            max_ms: sorted.last().map_or(0.0, |&us| f64::from(us) / 1000.0),
            per_s: if secs > 0.0 { count as f64 / secs } else { 0.0 },
            mb_per_s: (self.bytes > 0 && secs > 0.0)
                .then(|| self.bytes as f64 / 1_000_000.0 / secs),
            bytes: self.bytes,
        }
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile_sorted(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// What a [`Histogram`] says, in milliseconds and per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of operations.
    pub count: u64,
    /// Wall-clock seconds the operations took together.
    pub elapsed_s: f64,
    /// Mean latency.
    pub mean_ms: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th-percentile latency.
    pub p99_ms: f64,
    /// Slowest operation.
    pub max_ms: f64,
    /// Operations per second of wall-clock time.
    pub per_s: f64,
    /// Megabytes (10^6) per second, when bytes were recorded.
    pub mb_per_s: Option<f64>,
    /// Bytes moved.
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut h = Histogram::new();
        for i in (1..=100).rev() {
            h.record(ms(i));
        }
        assert_eq!(h.percentile(50.0), Some(ms(50)));
        assert_eq!(h.percentile(99.0), Some(ms(99)));
        assert_eq!(h.percentile(100.0), Some(ms(100)));
        assert_eq!(h.percentile(0.1), Some(ms(1)));
        let s = h.summary(Duration::from_secs(2));
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert!((s.mean_ms - 50.5).abs() < 1e-9);
        assert!((s.per_s - 50.0).abs() < 1e-9);
        assert_eq!(s.mb_per_s, None);
    }

    #[test]
    fn small_and_empty_samples() {
        let mut h = Histogram::new();
        assert_eq!(h.percentile(50.0), None);
        assert_eq!(h.summary(Duration::ZERO).p99_ms, 0.0);
        h.record(ms(3));
        h.record(ms(1));
        h.record(ms(2));
        assert_eq!(h.percentile(50.0), Some(ms(2)));
        assert_eq!(h.percentile(99.0), Some(ms(3)));
    }

    #[test]
    fn bytes_give_megabytes_per_second() {
        let mut h = Histogram::new();
        h.record_bytes(ms(1), 3_000_000);
        let mut other = Histogram::new();
        other.record_bytes(ms(5), 1_000_000);
        h.merge(&other);
        let s = h.summary(Duration::from_secs(2));
        assert_eq!(s.count, 2);
        assert_eq!(s.mb_per_s, Some(2.0));
        assert_eq!(s.max_ms, 5.0);
    }
}
