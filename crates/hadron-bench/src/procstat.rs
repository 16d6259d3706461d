//! The server's resource use, read from `/proc/<pid>` (Linux): CPU seconds
//! (user + system) and resident memory (current and peak).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::BenchError;

/// One reading of a process's counters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProcSample {
    /// User plus system CPU time so far, in seconds.
    pub cpu_s: f64,
    /// Resident set size now (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// Peak resident set size (`VmHWM`), KiB: since the process started, or
    /// since [`ProcStat::reset_peak`] when that worked.
    pub peak_rss_kib: u64,
}

/// A process whose counters are read.
#[derive(Debug, Clone)]
pub struct ProcStat {
    pid: u32,
    root: PathBuf,
    ticks_per_s: u64,
}

impl ProcStat {
    /// The process `pid` (under `/proc`).
    pub fn new(pid: u32) -> Self {
        ProcStat {
            pid,
            root: PathBuf::from("/proc"),
            ticks_per_s: rustix::param::clock_ticks_per_second(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Reads the counters now, for the process and all its descendants:
    /// a server that forks per connection (Dovecot) is measured whole.
    /// CPU adds the live processes' time and the time of children the
    /// process has reaped; RSS and peak RSS are sums over the live
    /// processes (so for a process tree the peak is the sum of each live
    /// process's own peak, an upper bound).
    pub fn sample(&self) -> Result<ProcSample, BenchError> {
        let dir = self.root.join(self.pid.to_string());
        let stat = std::fs::read_to_string(dir.join("stat"))
            .map_err(|e| BenchError::Proc(format!("reading {}/stat: {e}", dir.display())))?;
        let mut ticks = parse_cpu_ticks(&stat)
            .ok_or_else(|| BenchError::Proc(format!("unexpected {}/stat", dir.display())))?;
        ticks += parse_child_cpu_ticks(&stat).unwrap_or(0);
        let mut rss_kib = 0;
        let mut peak_rss_kib = 0;
        for pid in std::iter::once(self.pid).chain(self.descendants()) {
            let dir = self.root.join(pid.to_string());
            if pid != self.pid {
                // A child may exit between listing and reading: skip it.
                let Some(t) = std::fs::read_to_string(dir.join("stat"))
                    .ok()
                    .and_then(|s| parse_cpu_ticks(&s))
                else {
                    continue;
                };
                ticks += t;
            }
            if let Ok(status) = std::fs::read_to_string(dir.join("status")) {
                rss_kib += status_kib(&status, "VmRSS:").unwrap_or(0);
                peak_rss_kib += status_kib(&status, "VmHWM:").unwrap_or(0);
            }
        }
        Ok(ProcSample {
            cpu_s: ticks as f64 / self.ticks_per_s.max(1) as f64,
            rss_kib,
            peak_rss_kib,
        })
    }

    /// Every live descendant of the process (children, their children, ...).
    fn descendants(&self) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let parents: Vec<(u32, u32)> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(|pid| {
                let stat =
                    std::fs::read_to_string(self.root.join(pid.to_string()).join("stat")).ok()?;
                Some((pid, parse_ppid(&stat)?))
            })
            .collect();
        let mut found = Vec::new();
        let mut frontier = vec![self.pid];
        while let Some(parent) = frontier.pop() {
            for &(pid, ppid) in &parents {
                if ppid == parent && pid != self.pid && !found.contains(&pid) {
                    found.push(pid);
                    frontier.push(pid);
                }
            }
        }
        found
    }

    /// Resets the peak RSS to the current RSS (writing `5` to
    /// `/proc/<pid>/clear_refs`, Linux 4.0+), so that the next sample's peak
    /// covers only what follows. Returns whether it worked (it needs the
    /// rights to write there).
    pub fn reset_peak(&self) -> bool {
        let path = self.root.join(self.pid.to_string()).join("clear_refs");
        std::fs::write(path, b"5").is_ok()
    }
}

/// Several processes measured as one: the instances of a server that runs
/// as several processes on one database. Samples are sums (CPU time and
/// RSS; the peak is the sum of each process's peak, an upper bound).
#[derive(Debug, Clone)]
pub struct ProcGroup {
    members: Vec<ProcStat>,
}

impl ProcGroup {
    /// The processes `pids`, each with its descendants.
    pub fn new(pids: impl IntoIterator<Item = u32>) -> Self {
        ProcGroup {
            members: pids.into_iter().map(ProcStat::new).collect(),
        }
    }

    /// The sum of every member's [`ProcStat::sample`]; an error if any
    /// member cannot be read.
    pub fn sample(&self) -> Result<ProcSample, BenchError> {
        let mut sum = ProcSample {
            cpu_s: 0.0,
            rss_kib: 0,
            peak_rss_kib: 0,
        };
        for member in &self.members {
            let s = member.sample()?;
            sum.cpu_s += s.cpu_s;
            sum.rss_kib += s.rss_kib;
            sum.peak_rss_kib += s.peak_rss_kib;
        }
        Ok(sum)
    }

    /// [`ProcStat::reset_peak`] on every member; whether all worked.
    pub fn reset_peak(&self) -> bool {
        let reset: Vec<bool> = self.members.iter().map(ProcStat::reset_peak).collect();
        reset.iter().all(|&r| r)
    }
}

/// `utime + stime` (fields 14 and 15) of `/proc/<pid>/stat`. The command
/// name (field 2) is in parentheses and may contain spaces and parentheses,
/// so fields are counted after the last `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state).
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// The fields of `/proc/<pid>/stat` from field 3 (state) on: the command
/// name (field 2) is in parentheses and may contain anything, so fields
/// are counted after the last `)`.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    Some(stat[stat.rfind(')')? + 1..].split_whitespace().collect())
}

/// The parent pid (field 4) of `/proc/<pid>/stat`.
pub fn parse_ppid(stat: &str) -> Option<u32> {
    stat_fields(stat)?.get(4 - 3)?.parse().ok()
}

/// `cutime + cstime` (fields 16 and 17): CPU time of reaped children.
pub fn parse_child_cpu_ticks(stat: &str) -> Option<u64> {
    let fields = stat_fields(stat)?;
    let cutime: u64 = fields.get(16 - 3)?.parse().ok()?;
    let cstime: u64 = fields.get(17 - 3)?.parse().ok()?;
    Some(cutime + cstime)
}

/// The value in KiB of a `Name:   123 kB` line of `/proc/<pid>/status`.
pub fn status_kib(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_from_stat_with_a_strange_command_name() {
        let stat = "1234 (ha) (d ron) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 8 0 100 1000000 500 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert_eq!(parse_cpu_ticks("garbage"), None);
        assert_eq!(parse_ppid(stat), Some(1));
        assert_eq!(parse_child_cpu_ticks(stat), Some(0));
        let reaped = stat.replace("250 50 0 0 20", "250 50 7 5 20");
        assert_eq!(parse_child_cpu_ticks(&reaped), Some(12));
    }

    #[test]
    fn a_process_tree_is_measured_whole() {
        // This test process plus a child that burns a little CPU.
        let mut child = std::process::Command::new("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5",
            ])
            .spawn()
            .unwrap();
        let me = ProcStat::new(std::process::id());
        assert!(me.descendants().contains(&child.id()));
        let with_child = me.sample().unwrap();
        let child_only = ProcStat::new(child.id()).sample().unwrap();
        assert!(with_child.rss_kib > child_only.rss_kib);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!me.descendants().contains(&child.id()));
    }

    #[test]
    fn status_fields() {
        let status = "Name:\thadron\nVmHWM:\t  20480 kB\nVmRSS:\t  10240 kB\n";
        assert_eq!(status_kib(status, "VmHWM:"), Some(20480));
        assert_eq!(status_kib(status, "VmRSS:"), Some(10240));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn reads_its_own_process() {
        let me = ProcStat::new(std::process::id());
        let s = me.sample().unwrap();
        assert!(s.rss_kib > 0 && s.peak_rss_kib >= s.rss_kib / 2, "{s:?}");
        assert!(ProcStat::new(u32::MAX).sample().is_err());
    }
}
