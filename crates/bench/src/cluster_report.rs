//! docs/benchmarks-cluster.md: W2 against one node and three nodes on PostgreSQL + NATS, and
//! one node on SQLite for reference, from the JSON results of scripts/bench-cluster.sh.
use crate::result::RunResult;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The configurations in the order the report shows them (others follow, sorted).
const ORDER: [&str; 3] = ["pigeon-1node-pg", "pigeon-3node-pg", "pigeon-1node-sqlite"];

use crate::report::{f, get};

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// The server side's CPU split: "nodes / PostgreSQL / NATS" seconds, when measured.
fn split(r: &RunResult) -> String {
    let parts: Vec<String> = ["pigeon", "postgres", "nats"]
        .iter()
        .filter_map(|g| get(r, &format!("server_cpu_s_{g}")).map(|v| f(Some(v))))
        .collect();
    if parts.len() > 1 {
        parts.join(" / ")
    } else {
        f(Some(r.server_cpu_s))
    }
}

fn configs(rs: &[RunResult]) -> Vec<String> {
    let seen: BTreeSet<&str> = rs.iter().map(|r| r.target.as_str()).collect();
    let mut out: Vec<String> = ORDER
        .iter()
        .filter(|c| seen.contains(*c))
        .map(|c| (*c).to_owned())
        .collect();
    out.extend(
        seen.iter()
            .filter(|c| !ORDER.contains(c))
            .map(|c| (*c).to_owned()),
    );
    out
}

fn find<'a>(rs: &'a [RunResult], target: &str, variant: &str) -> Option<&'a RunResult> {
    rs.iter()
        .rev()
        .find(|r| r.target == target && r.workload == "w2" && r.variant == variant)
}

/// The highest offered rate with p99 < 50 ms and every message delivered.
fn best_rate(rs: &[RunResult], target: &str) -> Option<(f64, f64)> {
    rs.iter()
        .filter(|r| r.target == target && r.workload == "w2" && r.variant.starts_with("rate-"))
        .filter(|r| r.clean && r.latency.as_ref().is_some_and(|l| l.p99 < 50.0))
        .filter_map(|r| Some((get(r, "offered_per_s")?, r.latency.as_ref()?.p99)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// Writes the report from result files.
pub fn write(
    inputs: &[PathBuf],
    out: &Path,
    load: Option<&str>,
    pg_stats: &[String],
) -> anyhow::Result<()> {
    let mut rs: Vec<RunResult> = Vec::new();
    for p in inputs {
        let text = std::fs::read_to_string(p)?;
        rs.extend(serde_json::from_str::<Vec<RunResult>>(&text)?);
    }
    let cfgs = configs(&rs);
    let mut variants: Vec<String> = Vec::new();
    for r in rs.iter().filter(|r| r.workload == "w2") {
        if !r.variant.starts_with("rate-") && !variants.contains(&r.variant) {
            variants.push(r.variant.clone());
        }
    }
    let max_load = rs.iter().map(|r| r.load_before).fold(0.0, f64::max);
    let mut md = String::new();
    md.push_str("# Benchmarks: one node vs three nodes (issue 8)\n\n");
    md.push_str(
        "Written by `pigeon-bench cluster-report` from the results of `scripts/bench-cluster.sh` \
         (rerun: `scripts/bench-cluster.sh`; a 30-second check: `scripts/bench-cluster.sh --smoke`). \
         W2 is sustained C2C: half the connections send to the other half, one sender per \
         receiver, each with 1 or 10 messages in flight (a send returns when the server stored \
         and acked the message); the rate sweep offers a fixed total rate from 25 pairs.\n\n",
    );
    md.push_str(
        "Same CPU budget for every configuration on this 2-core machine: every pigeon-server \
         node, PostgreSQL (all its processes) and nats-server are pinned to CPU 0, the load \
         generator to CPU 1 (taskset). With three nodes, clients are spread over the nodes \
         round-robin, so the two users of a pair sit on different nodes and every message \
         crosses NATS. *Delivered per server CPU-s* divides messages delivered by the CPU \
         seconds of all server-side processes (the nodes, PostgreSQL's postmaster and \
         backends, nats-server) read from /proc over the timed part; *CPU 0 busy* is that \
         CPU time over the wall time (1.0 = the core is saturated). PostgreSQL runs with \
         `fsync = on` and the default `synchronous_commit = on`; SQLite is in WAL with \
         `synchronous = NORMAL`. Every run checks each receiver for lost and duplicated \
         messages.\n\n",
    );
    let _ = writeln!(
        md,
        "Highest 1-minute load average at the start of a run: {max_load:.2}{}. Other \
         engineers' builds and tests share the machine unpinned, so they also take CPU 0: the \
         load column gives each run's 1-minute load at its start, and a *CPU 0 busy* well \
         below 1.0 with queueing latency means someone else had the core.\n",
        load.map(|l| format!(" (`uptime` before the runs: {l})"))
            .unwrap_or_default()
    );
    md.push_str("## W2 sustained C2C\n\n");
    md.push_str(
        "| variant | configuration | msg/s | delivered per server CPU-s | p50 ms | p99 ms | \
         server CPU s (nodes / PostgreSQL / NATS) | CPU 0 busy | cross-node pairs | load | clean (lost/dup) |\n",
    );
    md.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for v in &variants {
        for c in &cfgs {
            let Some(r) = find(&rs, c, v) else { continue };
            let l = r.latency.clone().unwrap_or_default();
            let _ = writeln!(
                md,
                "| {v} | {c} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} ({}/{}) |",
                f(get(r, "msg_per_s")),
                f(get(r, "delivered_per_server_cpu_s")),
                f(Some(l.p50)),
                f(Some(l.p99)),
                split(r),
                if r.elapsed_s > 0.0 {
                    f(Some(r.server_cpu_s / r.elapsed_s))
                } else {
                    "–".into()
                },
                get(r, "cross_node_pairs").map_or("–".into(), pct),
                r.load_before,
                if r.clean { "yes" } else { "**no**" },
                r.lost,
                r.duplicates
            );
        }
    }
    md.push_str("\n## Fixed-rate sweep (25 pairs)\n\n");
    md.push_str(
        "| configuration | offered/s | delivered msg/s | p50 ms | p99 ms | CPU 0 busy | load | clean |\n",
    );
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---|\n");
    for c in &cfgs {
        let mut rates: Vec<&RunResult> = rs
            .iter()
            .filter(|r| &r.target == c && r.workload == "w2" && r.variant.starts_with("rate-"))
            .collect();
        rates.sort_by(|a, b| {
            get(a, "offered_per_s")
                .unwrap_or(0.0)
                .total_cmp(&get(b, "offered_per_s").unwrap_or(0.0))
        });
        for r in rates {
            let l = r.latency.clone().unwrap_or_default();
            let _ = writeln!(
                md,
                "| {c} | {} | {} | {} | {} | {} | {:.1} | {} |",
                f(get(r, "offered_per_s")),
                f(get(r, "msg_per_s")),
                f(Some(l.p50)),
                f(Some(l.p99)),
                if r.elapsed_s > 0.0 {
                    f(Some(r.server_cpu_s / r.elapsed_s))
                } else {
                    "–".into()
                },
                r.load_before,
                if r.clean { "yes" } else { "**no**" }
            );
        }
    }
    md.push_str("\nHighest offered rate with p99 < 50 ms and nothing lost:\n\n");
    for c in &cfgs {
        let _ = writeln!(
            md,
            "- {c}: {}",
            best_rate(&rs, c).map_or("none of the offered rates".into(), |(rate, p99)| format!(
                "{rate:.0} msg/s (p99 {p99:.1} ms)"
            ))
        );
    }
    md.push_str("\n## Where the server side's CPU goes\n\n");
    md.push_str(
        "Server CPU seconds per 1,000 delivered messages, by process group (the same runs as \
         above):\n\n| variant | configuration | nodes | PostgreSQL | NATS | total |\n\
         |---|---|---:|---:|---:|---:|\n",
    );
    for v in &variants {
        for c in &cfgs {
            let Some(r) = find(&rs, c, v) else { continue };
            if r.delivered == 0 {
                continue;
            }
            let k = 1000.0 / r.delivered as f64;
            let g = |name: &str| get(r, &format!("server_cpu_s_{name}")).map(|v| v * k);
            let nodes = g("pigeon").or(Some(r.server_cpu_s * k));
            let _ = writeln!(
                md,
                "| {v} | {c} | {} | {} | {} | {} |",
                f(nodes),
                f(g("postgres")),
                f(g("nats")),
                f(Some(r.server_cpu_s * k))
            );
        }
    }
    md.push('\n');
    let pg: Vec<String> = pg_stats.iter().filter_map(|s| pg_line(&rs, s)).collect();
    if !pg.is_empty() {
        md.push_str(
            "PostgreSQL's own counters (pg_stat_database) over each configuration's runs, per \
             message sent (user imports and logins included):\n\n",
        );
        for l in pg {
            md.push_str(&l);
        }
        md.push('\n');
    }
    if let Some(notes) = limits_section(&rs, &cfgs) {
        md.push_str(&notes);
    }
    if let Some(d) = out.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(out, md)?;
    Ok(())
}

/// One `LABEL=COMMITS,ROWS` as a list item per message sent (`None` when malformed).
fn pg_line(rs: &[RunResult], stat: &str) -> Option<String> {
    let (label, nums) = stat.split_once('=')?;
    let (commits, rows) = nums.split_once(',')?;
    let (commits, rows): (f64, f64) = (commits.trim().parse().ok()?, rows.trim().parse().ok()?);
    let sent: f64 = rs
        .iter()
        .filter(|r| r.target == label)
        .filter_map(|r| get(r, "messages_sent"))
        .sum();
    (sent > 0.0).then(|| {
        format!(
            "- {label}: {commits:.0} commits and {rows:.0} rows written for {sent:.0} messages: \
             {:.2} commits and {:.1} rows per message\n",
            commits / sent,
            rows / sent
        )
    })
}

/// "What limits it": ratios computed from the runs, then the mechanisms behind them.
fn limits_section(rs: &[RunResult], cfgs: &[String]) -> Option<String> {
    let mut md = String::from("## What limits it\n\n");
    let one = "pigeon-1node-pg";
    let three = "pigeon-3node-pg";
    let sqlite = "pigeon-1node-sqlite";
    let mut any = false;
    for v in ["c50-w10", "c500-w10", "c50-w1", "c500-w1"] {
        let (Some(a), Some(b)) = (find(rs, one, v), find(rs, three, v)) else {
            continue;
        };
        let (Some(ma), Some(mb)) = (get(a, "msg_per_s"), get(b, "msg_per_s")) else {
            continue;
        };
        any = true;
        let share = |r: &RunResult, g: &str| {
            get(r, &format!("server_cpu_s_{g}"))
                .filter(|_| r.server_cpu_s > 0.0)
                .map_or("–".into(), |x| pct(x / r.server_cpu_s))
        };
        let _ = writeln!(
            md,
            "- {v}: three nodes deliver {mb:.0} msg/s, {:.2}× one node's {ma:.0} msg/s \
             (CPU 0 busy {:.2} vs {:.2}); of the server side's CPU, PostgreSQL takes {} vs {}, \
             NATS {} vs {}, the nodes {} vs {}.{}",
            mb / ma,
            b.server_cpu_s / b.elapsed_s.max(1e-9),
            a.server_cpu_s / a.elapsed_s.max(1e-9),
            share(b, "postgres"),
            share(a, "postgres"),
            share(b, "nats"),
            share(a, "nats"),
            share(b, "pigeon"),
            share(a, "pigeon"),
            find(rs, sqlite, v)
                .and_then(|s| get(s, "msg_per_s"))
                .map(|s| format!(" One node on SQLite: {s:.0} msg/s."))
                .unwrap_or_default()
        );
    }
    if !any || !cfgs.iter().any(|c| c == three) {
        return None;
    }
    md.push_str(
        "\nWhy, per message (crates/server/src/cluster.rs, store.rs):\n\n\
         - **PostgreSQL round trips, more than commits.** Sends are group-committed per \
         node (store.rs `GroupCommit`: one transaction with a savepoint per message, one batch \
         at a time per node), so the WAL flush is shared; yet the counters above show about eight \
         PostgreSQL transactions per message, so most must be single statements outside the \
         group commit (PostgreSQL counts every autocommit statement, reads included, as one), \
         and every statement is a round trip from the \
         node's synchronous Store API through `block_in_place` + `block_on` to the \
         tokio-postgres connection task and a backend process, all on the same core. That is \
         why the nodes' own CPU per message on PostgreSQL is about twice a whole SQLite \
         node's (the SQLite node does the same SQL in-process, without a round trip per \
         statement and without an fsync per commit: WAL with `synchronous = NORMAL`).\n\
         - **The NATS hop.** With the NATS bus every push is published on the recipient's \
         subject even when the recipient is on the same node (the local session is served \
         directly as well; the node's connection is `no_echo`), so one message costs a \
         publish on the sending node, routing in nats-server and a decode + push on the \
         receiving node: three processes touch it instead of one.\n\
         - **Presence lookups** are not on the C2C send path (a push goes to the user's \
         subject without asking where the user is); they cost at login (a presence row \
         insert per session) and in online checks, which W2 does not time.\n\
         - **More nodes on one core do not add CPU**: three nodes split the same core three \
         ways, so what one extra node buys is overlap of PostgreSQL waits (more transactions \
         in flight over three pools), paid for with more context switches; on separate \
         machines each node would bring its own cores and PostgreSQL would be the shared \
         bottleneck.\n",
    );
    Some(md)
}
