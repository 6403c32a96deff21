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
