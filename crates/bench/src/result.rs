//! The JSON result of one measured run.
use crate::stats::{Latency, ProcSample};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One measured variant of a workload against one target.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunResult {
    /// "pigeon", "floor", "ejabberd-nostore", "ejabberd-sqlite".
    pub target: String,
    /// "w1" ... "w6".
    pub workload: String,
    /// The variant within the workload ("c50-w10", "rate-5000", "senders-5", ...).
    pub variant: String,
    /// Its sizing.
    pub params: serde_json::Value,
    /// Unix seconds at the start.
    pub started_unix: u64,
    /// 1-minute load average before the run.
    pub load_before: f64,
    /// Whether the target's sends return after a server ack.
    pub acked_sends: bool,
    /// Server CPU seconds used during the timed part.
    pub server_cpu_s: f64,
    /// Generator CPU seconds used during the timed part.
    pub gen_cpu_s: f64,
    /// Server process at the end of the timed part.
    pub server_after: Option<ProcSample>,
    /// Wall seconds of the timed part.
    pub elapsed_s: f64,
    /// Workload figures (msg_per_s, delivered_per_cpu_s, kib_per_conn, ...).
    pub metrics: BTreeMap<String, f64>,
    /// One-way latency (send to each receipt), when measured.
    pub latency: Option<Latency>,
    /// Send until the last receiver has it, when measured (fan-out), or request latency (W4).
    pub completion: Option<Latency>,
    /// Receipts expected.
    pub expected: u64,
    /// Distinct receipts.
    pub delivered: u64,
    /// Expected but never received.
    pub lost: u64,
    /// Received more than once.
    pub duplicates: u64,
    /// Received but not expected (wrong sender, group or sequence).
    pub unexpected: u64,
    /// Failed sends or operations.
    pub errors: u64,
    /// No loss, no duplicate, nothing unexpected, no error.
    pub clean: bool,
    /// Remarks (limits hit, substitutions).
    pub notes: Vec<String>,
}

impl RunResult {
    /// Sets `clean` from the counters.
    pub fn finish(&mut self) {
        self.lost = self.expected.saturating_sub(self.delivered);
        self.clean =
            self.lost == 0 && self.duplicates == 0 && self.unexpected == 0 && self.errors == 0;
    }

    /// Adds a metric.
    pub fn m(&mut self, k: &str, v: f64) {
        self.metrics.insert(k.to_owned(), v);
    }
}
