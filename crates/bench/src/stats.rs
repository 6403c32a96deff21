//! Measurements: latency summaries, the shared clock, and a process's CPU and memory from /proc.
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the process's shared epoch (one monotonic clock for senders and receivers).
pub fn now_ns() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Encodes a message body: `SEQ:SEND_NS`, padded to `pad` bytes with `.`.
pub fn body(seq: u64, sent_ns: u64, pad: usize) -> String {
    let mut b = format!("{seq}:{sent_ns}");
    while b.len() < pad {
        b.push('.');
    }
    b
}

/// Decodes a body made by [`body`]: (seq, send instant).
pub fn parse_body(b: &str) -> Option<(u64, u64)> {
    let b = b.trim_end_matches('.');
    let (s, t) = b.split_once(':')?;
    Some((s.parse().ok()?, t.parse().ok()?))
}

/// Percentiles and a CDF of latency samples (milliseconds).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// (latency ms, fraction ≤) pairs for plots, at most ~200.
    pub cdf: Vec<(f64, f64)>,
}

impl Latency {
    /// Summarizes samples in nanoseconds.
    pub fn from_ns(mut v: Vec<u64>) -> Self {
        if v.is_empty() {
            return Self::default();
        }
        v.sort_unstable();
        let n = v.len();
        let ms = |x: u64| x as f64 / 1e6;
        let q = |p: f64| ms(v[((p * n as f64).ceil() as usize).clamp(1, n) - 1]);
        let mut cdf = Vec::new();
        for i in 0..=200 {
            let p = i as f64 / 200.0;
            cdf.push((q(p.max(1.0 / n as f64)), p));
        }
        Self {
            n,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            max: ms(v[n - 1]),
            mean: v.iter().map(|&x| x as f64).sum::<f64>() / n as f64 / 1e6,
            cdf,
        }
    }
}

/// CPU and memory of a process at one instant.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ProcSample {
    /// utime + stime, seconds.
    pub cpu_s: f64,
    /// VmRSS, KiB.
    pub rss_kib: u64,
    /// VmHWM (peak RSS), KiB.
    pub hwm_kib: u64,
}

/// Reads /proc/PID/stat and /proc/PID/status (`None` when the process is gone or unknown).
pub fn sample(pid: Option<u32>) -> Option<ProcSample> {
    let pid = pid?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    // utime and stime are fields 14 and 15 overall, 12 and 13 after the name.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let hz = rustix::param::clock_ticks_per_second() as f64;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Some(ProcSample {
        cpu_s: ticks as f64 / hz,
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
    })
}

/// The 1-minute load average.
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(-1.0)
}

/// The processes whose CPU and memory count as the server's, in named groups (the nodes,
/// PostgreSQL, NATS), each process counted with its live descendants (PostgreSQL forks a
/// backend per connection) and its reaped children (their CPU moves into the parent's).
#[derive(Debug, Clone, Default)]
pub struct Procs {
    /// (group name, root process ids).
    pub groups: Vec<(String, Vec<u32>)>,
}

/// One [`Procs::sample_groups`] reading.
#[derive(Debug, Clone, Default)]
pub struct GroupSample {
    /// Sum over every group.
    pub total: ProcSample,
    /// (group name, its CPU seconds).
    pub groups: Vec<(String, f64)>,
}

impl Procs {
    /// One process (or none), in a group named "server".
    pub fn one(pid: Option<u32>) -> Self {
        Self {
            groups: pid
                .map(|p| vec![("server".to_owned(), vec![p])])
                .unwrap_or_default(),
        }
    }

    /// The first root process id, for messages.
    pub fn first(&self) -> Option<u32> {
        self.groups.iter().flat_map(|(_, p)| p).copied().next()
    }

    /// The sum over every group (`None` when no process is known or none could be read).
    pub fn sample(&self) -> Option<ProcSample> {
        self.sample_groups().map(|g| g.total)
    }

    /// The sum and each group's CPU.
    pub fn sample_groups(&self) -> Option<GroupSample> {
        if self.groups.is_empty() {
            return None;
        }
        let parents = parent_map();
        let mut out = GroupSample::default();
        let mut any = false;
        for (name, roots) in &self.groups {
            let mut cpu = 0.0;
            for pid in with_descendants(roots, &parents) {
                if let Some(s) = sample_with_children(pid) {
                    any = true;
                    cpu += s.cpu_s;
                    out.total.rss_kib += s.rss_kib;
                    out.total.hwm_kib += s.hwm_kib;
                }
            }
            out.total.cpu_s += cpu;
            out.groups.push((name.clone(), cpu));
        }
        any.then_some(out)
    }
}

/// (pid, parent pid) of every process.
fn parent_map() -> Vec<(u32, u32)> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after = stat.get(stat.rfind(')')? + 2..)?;
        let ppid = after.split(' ').nth(1)?.parse().ok()?;
        Some((pid, ppid))
    })
    .collect()
}

fn with_descendants(roots: &[u32], parents: &[(u32, u32)]) -> Vec<u32> {
    let mut all: Vec<u32> = roots.to_vec();
    let mut i = 0;
    while i < all.len() {
        let p = all[i];
        for &(c, pp) in parents {
            if pp == p && !all.contains(&c) {
                all.push(c);
            }
        }
        i += 1;
    }
    all
}

/// Like [`sample`], with the CPU of reaped children (cutime + cstime) added.
fn sample_with_children(pid: u32) -> Option<ProcSample> {
    let mut s = sample(Some(pid))?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = after.split(' ').collect();
    // cutime and cstime are fields 16 and 17 overall, 14 and 15 after the name.
    let ticks: u64 = f.get(13)?.parse::<u64>().ok()? + f.get(14)?.parse::<u64>().ok()?;
    s.cpu_s += ticks as f64 / rustix::param::clock_ticks_per_second() as f64;
    Some(s)
}
