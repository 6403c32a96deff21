//! The workloads W1–W6, each sized by [`Sizes`].
use crate::driver::Driver;
use crate::engine::{self, bar, connect_all, src_addr, Dest, FlowSpec};
use crate::result::RunResult;
use crate::stats::{self, Latency};
use crate::target::{self, ServerOpts, Target};
use anyhow::{bail, Context};
use pigeon_proto::wire;
use serde_json::json;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sizing of every workload (the sizes are the defaults).
#[derive(Debug, Clone, clap::Args)]
pub struct Sizes {
    /// W1: round trips.
    #[arg(long, default_value_t = 2000)]
    pub w1_round_trips: u64,
    /// W2: connection counts (half send, half receive).
    #[arg(long, value_delimiter = ',', default_value = "50,500")]
    pub w2_conns: Vec<usize>,
    /// W2: messages per sender.
    #[arg(long, default_value_t = 200)]
    pub w2_messages: u64,
    /// W2: messages in flight per sender.
    #[arg(long, value_delimiter = ',', default_value = "1,10")]
    pub w2_inflight: Vec<usize>,
    /// W2 sweep: offered total msg/s (open loop, 50 connections); 0 skips the sweep.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000,2000,4000,8000,16000,32000"
    )]
    pub w2_rates: Vec<f64>,
    /// W2 sweep: seconds per rate.
    #[arg(long, default_value_t = 3.0)]
    pub w2_rate_secs: f64,
    /// W3: group members.
    #[arg(long, default_value_t = 500)]
    pub w3_members: usize,
    /// W3: sender counts.
    #[arg(long, value_delimiter = ',', default_value = "1,5")]
    pub w3_senders: Vec<usize>,
    /// W3: messages per sender.
    #[arg(long, default_value_t = 50)]
    pub w3_messages: u64,
    /// W3: messages in flight per sender.
    #[arg(long, default_value_t = 1)]
    pub w3_inflight: usize,
    /// W3b: AVChatRoom online members (0 skips).
    #[arg(long, default_value_t = 10_000)]
    pub w3b_members: usize,
    /// W3b: messages (one sender).
    #[arg(long, default_value_t = 20)]
    pub w3b_messages: u64,
    /// W4: messages in the measured conversation.
    #[arg(long, default_value_t = 100_000)]
    pub w4_messages: u64,
    /// W4: messages elsewhere.
    #[arg(long, default_value_t = 100_000)]
    pub w4_other: u64,
    /// W4: history requests per concurrency level.
    #[arg(long, default_value_t = 2000)]
    pub w4_requests: u64,
    /// W4: concurrency levels.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    pub w4_concurrency: Vec<usize>,
    /// W4: messages the resyncing client missed.
    #[arg(long, default_value_t = 1000)]
    pub w4_missed: u64,
    /// W5: logins.
    #[arg(long, default_value_t = 5000)]
    pub w5_logins: usize,
    /// W5: logins at once.
    #[arg(long, default_value_t = 500)]
    pub w5_parallel: usize,
    /// W6: idle connection counts to measure at.
    #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
    pub w6_steps: Vec<usize>,
    /// W6: go on past the steps up to this many (the most the machine allows).
    #[arg(long, default_value_t = 60_000)]
    pub w6_max: usize,
    /// Number of 127.0.0.x source addresses.
    #[arg(long, default_value_t = 16)]
    pub src_addrs: u32,
    /// Body size in bytes.
    #[arg(long, default_value_t = 32)]
    pub pad: usize,
    /// Seconds to wait for stragglers after the last send.
    #[arg(long, default_value_t = 10.0)]
    pub drain_secs: f64,
}

fn base(t: &Target, workload: &str, variant: &str, params: serde_json::Value) -> RunResult {
    RunResult {
        target: t.driver.name().to_owned(),
        workload: workload.into(),
        variant: variant.into(),
        params,
        started_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        load_before: stats::loadavg(),
        acked_sends: t.driver.acked_sends(),
        ..Default::default()
    }
}

fn say(r: &RunResult) {
    let lat = r
        .latency
        .as_ref()
        .map(|l| format!(" p50 {:.2} ms p99 {:.2} ms", l.p50, l.p99))
        .unwrap_or_default();
    let m: Vec<String> = r
        .metrics
        .iter()
        .map(|(k, v)| format!("{k}={v:.1}"))
        .collect();
    eprintln!(
        "  {} {} {}: {}{lat} | delivered {}/{} lost {} dup {} unexpected {} errors {} → {}",
        r.target,
        r.workload,
        r.variant,
        m.join(" "),
        r.delivered,
        r.expected,
        r.lost,
        r.duplicates,
        r.unexpected,
        r.errors,
        if r.clean { "CLEAN" } else { "NOT CLEAN" }
    );
}

/// W1: one pair, `n` round trips; one-way latency of every leg.
pub async fn w1(t: &Target, s: &Sizes) -> anyhow::Result<Vec<RunResult>> {
    let n = s.w1_round_trips;
    let mut r = base(t, "w1", "pair", json!({ "round_trips": n }));
    let users = vec!["w1a".to_owned(), "w1b".to_owned()];
    t.driver.prepare_users(&users).await?;
    let mut conns = connect_all(&t.driver, &users, 0, 1, 2, "logging in").await?;
    let mut b = conns.pop().context("b")?;
    let mut a = conns.pop().context("a")?;
    let srv0 = t.procs.sample();
    let gen0 = stats::sample(Some(std::process::id()));
    let start = Instant::now();
    let wait = Duration::from_secs(10);
    let echo = tokio::spawn(async move {
        let mut lat = Vec::new();
        let (mut got, mut bad) = (0u64, 0u64);
        let mut expect = 0;
        while expect < n {
            let Ok(Ok(m)) = tokio::time::timeout(wait, b.recv()).await else {
                break;
            };
            let now = stats::now_ns();
            match stats::parse_body(&m.body) {
                Some((seq, sent)) if m.from == "w1a" && seq == expect => {
                    lat.push(now - sent);
                    got += 1;
                    expect += 1;
                    let body = stats::body(seq, stats::now_ns(), 32);
                    if b.send_direct("w1a", &body).await.is_err() {
                        break;
                    }
                }
                _ => bad += 1,
            }
        }
        let _ = b.close().await;
        (lat, got, bad)
    });
    let pb = bar(n, "round trips");
    let mut lat = Vec::new();
    let (mut got, mut bad, mut errors) = (0u64, 0u64, 0u64);
    'outer: for seq in 0..n {
        let body = stats::body(seq, stats::now_ns(), s.pad);
        if a.send_direct("w1b", &body).await.is_err() {
            errors += 1;
            break;
        }
        loop {
            let Ok(Ok(m)) = tokio::time::timeout(wait, a.recv()).await else {
                break 'outer;
            };
            let now = stats::now_ns();
            match stats::parse_body(&m.body) {
                Some((rs, sent)) if m.from == "w1b" && rs == seq => {
                    lat.push(now - sent);
                    got += 1;
                    break;
                }
                _ => bad += 1,
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let elapsed = start.elapsed().as_secs_f64();
    let srv1 = t.procs.sample();
    let gen1 = stats::sample(Some(std::process::id()));
    let (blat, bgot, bbad) = echo.await?;
    let _ = a.close().await;
    lat.extend(blat);
    r.expected = 2 * n;
    r.delivered = got + bgot;
    r.unexpected = bad + bbad;
    r.errors = errors;
    r.elapsed_s = elapsed;
    if let (Some(x), Some(y)) = (srv0, srv1) {
        r.server_cpu_s = y.cpu_s - x.cpu_s;
        r.server_after = Some(y);
    }
    if let (Some(x), Some(y)) = (gen0, gen1) {
        r.gen_cpu_s = y.cpu_s - x.cpu_s;
    }
    r.m("round_trips_per_s", got as f64 / elapsed);
    if r.server_cpu_s > 0.0 {
        r.m(
            "delivered_per_server_cpu_s",
            r.delivered as f64 / r.server_cpu_s,
        );
    }
    r.latency = Some(Latency::from_ns(lat));
    r.finish();
    say(&r);
    Ok(vec![r])
}

fn drain(s: &Sizes) -> Duration {
    Duration::from_secs_f64(s.drain_secs)
}

fn pairs(prefix: &str, n: usize) -> FlowSpec {
    let senders = (0..n)
        .map(|i| {
            (
                format!("{prefix}s{i}"),
                Dest::Direct(format!("{prefix}r{i}")),
            )
        })
        .collect();
    let receivers = (0..n).map(|i| (format!("{prefix}r{i}"), vec![i])).collect();
    FlowSpec {
        senders,
        receivers,
        per_sender: 0,
        window: 1,
        rate: None,
        pad: 32,
        join: None,
        drain: Duration::from_secs(10),
        src_addrs: 16,
        procs: stats::Procs::default(),
    }
}

/// (sender, receiver) of each direct pair of a flow.
fn pair_names(spec: &FlowSpec) -> Vec<(String, String)> {
    spec.senders
        .iter()
        .filter_map(|(s, d)| match d {
            Dest::Direct(r) => Some((s.clone(), r.clone())),
            Dest::Group(_) => None,
        })
        .collect()
}

/// With several Pigeon nodes: the share of pairs whose two users were on different nodes.
fn cross_node(t: &Target, pairs: &[(String, String)], r: &mut RunResult) {
    let Some(p) = &t.pigeon else { return };
    if p.node_count() < 2 || pairs.is_empty() {
        return;
    }
    let cross = pairs
        .iter()
        .filter(|(a, b)| match (p.node_of(a), p.node_of(b)) {
            (Some(x), Some(y)) => x != y,
            _ => false,
        })
        .count();
    r.m("nodes", p.node_count() as f64);
    r.m("cross_node_pairs", cross as f64 / pairs.len() as f64);
}

/// W2: sustained C2C at each connection count and window, then the fixed-rate sweep.
pub async fn w2(t: &Target, s: &Sizes) -> anyhow::Result<Vec<RunResult>> {
    let mut out = Vec::new();
    for &conns in &s.w2_conns {
        for &w in &s.w2_inflight {
            let np = (conns / 2).max(1);
            let variant = format!("c{conns}-w{w}");
            let mut r = base(
                t,
                "w2",
                &variant,
                json!({"connections": conns, "inflight": w, "messages_per_sender": s.w2_messages}),
            );
            let mut spec = pairs(&format!("w2{variant}"), np);
            spec.per_sender = s.w2_messages;
            spec.window = w;
            spec.pad = s.pad;
            spec.drain = drain(s);
            spec.src_addrs = s.src_addrs;
            spec.procs = t.procs.clone();
            let names = pair_names(&spec);
            engine::run_flow(t.driver.clone(), spec, &mut r).await?;
            cross_node(t, &names, &mut r);
            say(&r);
            out.push(r);
        }
    }
    let np = 25;
    for &rate in s.w2_rates.iter().filter(|r| **r > 0.0) {
        let variant = format!("rate-{rate}");
        let per = ((rate * s.w2_rate_secs) / np as f64).ceil().max(1.0) as u64;
        let mut r = base(
            t,
            "w2",
            &variant,
            json!({"connections": np * 2, "offered_per_s": rate, "secs": s.w2_rate_secs}),
        );
        let mut spec = pairs(&format!("w2r{rate}"), np);
        spec.per_sender = per;
        spec.rate = Some(rate);
        spec.pad = s.pad;
        spec.drain = drain(s);
        spec.src_addrs = s.src_addrs;
        spec.procs = t.procs.clone();
        let names = pair_names(&spec);
        engine::run_flow(t.driver.clone(), spec, &mut r).await?;
        cross_node(t, &names, &mut r);
        say(&r);
        let overloaded = r.latency.as_ref().is_some_and(|l| l.p99 > 500.0) || !r.clean;
        out.push(r);
        if overloaded {
            eprintln!("  (overloaded: higher rates skipped)");
            break;
        }
    }
    Ok(out)
}

/// W3: a Work group (all online) with 1 and 5 senders; W3b: an AVChatRoom.
pub async fn w3(t: &Target, s: &Sizes) -> anyhow::Result<Vec<RunResult>> {
    let mut out = Vec::new();
    let members: Vec<String> = (0..s.w3_members).map(|i| format!("w3m{i}")).collect();
    let group = format!("w3g{}", s.w3_members);
    t.driver.prepare_users(&members).await?;
    t.driver.prepare_group(&group, "Work", &members).await?;
    for &ns in &s.w3_senders {
        let ns = ns.min(members.len());
        let variant = format!("work{}-senders{ns}", s.w3_members);
        let mut r = base(
            t,
            "w3",
            &variant,
            json!({"members": s.w3_members, "senders": ns, "messages_per_sender": s.w3_messages,
                   "inflight": s.w3_inflight}),
        );
        let spec = FlowSpec {
            senders: members[..ns]
                .iter()
                .map(|m| (m.clone(), Dest::Group(group.clone())))
                .collect(),
            receivers: members[ns..]
                .iter()
                .map(|m| (m.clone(), (0..ns).collect()))
                .collect(),
            per_sender: s.w3_messages,
            window: s.w3_inflight,
            rate: None,
            pad: s.pad,
            join: None,
            drain: drain(s),
            src_addrs: s.src_addrs,
            procs: t.procs.clone(),
        };
        engine::run_flow(t.driver.clone(), spec, &mut r).await?;
        if let Some(c) = &r.completion {
            r.metrics.insert("last_member_p50_ms".into(), c.p50);
            r.metrics.insert("last_member_p99_ms".into(), c.p99);
        }
        say(&r);
        out.push(r);
    }
    if s.w3b_members > 0 {
        let n = s.w3b_members;
        let members: Vec<String> = (0..n).map(|i| format!("w3bm{i}")).collect();
        let room = format!("w3room{n}");
        t.driver.prepare_users(&members).await?;
        t.driver
            .prepare_group(&room, "AVChatRoom", &members)
            .await?;
        let variant = format!("avchatroom{n}");
        let mut r = base(
            t,
            "w3",
            &variant,
            json!({"members": n, "senders": 1, "messages_per_sender": s.w3b_messages}),
        );
        let spec = FlowSpec {
            senders: vec![(members[0].clone(), Dest::Group(room.clone()))],
            receivers: members[1..].iter().map(|m| (m.clone(), vec![0])).collect(),
            per_sender: s.w3b_messages,
            window: 1,
            rate: None,
            pad: s.pad,
            join: Some(room.clone()),
            drain: drain(s),
            src_addrs: s.src_addrs,
            procs: t.procs.clone(),
        };
        engine::run_flow(t.driver.clone(), spec, &mut r).await?;
        if let Some(c) = &r.completion {
            r.metrics.insert("last_member_p50_ms".into(), c.p50);
            r.metrics.insert("last_member_p99_ms".into(), c.p99);
        }
        say(&r);
        out.push(r);
    }
    Ok(out)
}

/// Writes W4's history straight into the store before the server starts.
pub fn seed_history(dir: &std::path::Path, s: &Sizes) -> anyhow::Result<()> {
    use pigeon_server::store::{Recipient, SqliteStore, Store};
    let store = SqliteStore::open(&dir.join("pigeon.sqlite3"))?;
    let total = s.w4_messages + s.w4_other;
    let pb = bar(total, "seeding history");
    let rec = |user: &str, peer: &str| Recipient {
        user_id: user.to_owned(),
        conv_id: format!("C2C{peer}"),
        counts_unread: false,
        sets_last: true,
        at_type: 0,
    };
    for i in 0..total {
        let (from, to, id) = if i < s.w4_messages {
            let (f, t) = if i % 2 == 0 {
                ("w4h0", "w4h1")
            } else {
                ("w4h1", "w4h0")
            };
            (f.to_owned(), t.to_owned(), format!("h-{i}"))
        } else {
            let k = i % 200;
            (format!("w4x{k}"), format!("w4y{k}"), format!("o-{i}"))
        };
        let m = pigeon_proto::model::Message {
            id,
            kind: "TIMTextElem".into(),
            payload: json!({ "text": format!("history {i}") }),
            conversation_type: "C2C".into(),
            from: from.clone(),
            to: to.clone(),
            status: "success".into(),
            priority: "Normal".into(),
            ..Default::default()
        };
        let key = pigeon_server::conversations::c2c_key(&from, &to);
        store.store_message(
            &key,
            &m,
            1_700_000_000 + i / 10,
            &[rec(&from, &to), rec(&to, &from)],
        )?;
        if i % 1000 == 0 {
            pb.set_position(i);
        }
    }
    pb.finish_and_clear();
    Ok(())
}

/// W4: history pages at each concurrency, then the resync of a client that missed messages.
pub async fn w4(t: &Target, s: &Sizes) -> anyhow::Result<Vec<RunResult>> {
    let Some(p) = t.pigeon.clone() else {
        bail!("W4 runs against Pigeon only");
    };
    let mut out = Vec::new();
    let lo = 20u64;
    for &conc in &s.w4_concurrency {
        let variant = format!("history-c{conc}");
        let mut r = base(
            t,
            "w4",
            &variant,
            json!({"conversation": s.w4_messages, "elsewhere": s.w4_other, "concurrency": conc,
                   "requests": s.w4_requests, "page": 20}),
        );
        let mut conns = Vec::new();
        for i in 0..conc {
            let (c, _) = p
                .login("w4h0", &p.sig("w4h0"), src_addr(i, s.src_addrs))
                .await?;
            conns.push(Arc::new(c));
        }
        let next = Arc::new(AtomicU64::new(0));
        let bad = Arc::new(AtomicU64::new(0));
        let srv0 = t.procs.sample();
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in conns {
            let (next, bad, n, total) = (next.clone(), bad.clone(), s.w4_requests, s.w4_messages);
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return lat;
                    }
                    // A cursor spread over the whole conversation.
                    let cur = lo + (i * 7919) % total.saturating_sub(lo).max(1);
                    let t0 = stats::now_ns();
                    let reply = c
                        .call(&wire::GetMessageList {
                            conversation_id: "C2Cw4h1".into(),
                            next_req_message_id: Some(format!("h-{cur}")),
                            count: 20,
                        })
                        .await;
                    lat.push(stats::now_ns() - t0);
                    // The 20 messages just before the cursor, oldest first.
                    let good = reply.is_ok_and(|rep| {
                        rep.message_list.len() == 20
                            && rep.message_list.last().map(|m| m.id.as_str())
                                == Some(format!("h-{}", cur - 1).as_str())
                    });
                    if !good {
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        let mut lat = Vec::new();
        for task in tasks {
            lat.extend(task.await?);
        }
        let el = start.elapsed().as_secs_f64();
        let srv1 = t.procs.sample();
        if let (Some(a), Some(b)) = (srv0, srv1) {
            r.server_cpu_s = b.cpu_s - a.cpu_s;
            r.server_after = Some(b);
        }
        r.elapsed_s = el;
        r.expected = s.w4_requests;
        r.errors = bad.load(Ordering::Relaxed);
        r.delivered = s.w4_requests - r.errors;
        r.m("requests_per_s", s.w4_requests as f64 / el);
        let l = Latency::from_ns(lat);
        r.m("p50_ms", l.p50);
        r.m("p99_ms", l.p99);
        r.completion = Some(l);
        r.finish();
        say(&r);
        out.push(r);
    }
    // Resync: w4r1 logs in, goes away, misses `w4_missed` messages from w4r0, comes back.
    let missed = s.w4_missed;
    let mut r = base(t, "w4", "resync", json!({ "missed": missed }));
    let lo_ip = src_addr(0, 1);
    let (c1, login) = p.login("w4r1", &p.sig("w4r1"), lo_ip).await?;
    let cursor = login.inbox_head;
    drop(c1);
    let (c0, _) = p.login("w4r0", &p.sig("w4r0"), lo_ip).await?;
    let pb = bar(missed, "sending while offline");
    for seq in 0..missed {
        let m = pigeon_proto::model::Message {
            id: format!("rs-{seq}-{}", rand::random::<u32>()),
            kind: "TIMTextElem".into(),
            payload: json!({ "text": stats::body(seq, 0, 32) }),
            to: "w4r1".into(),
            conversation_type: "C2C".into(),
            ..Default::default()
        };
        c0.call(&wire::SendMessage {
            message: m,
            ..Default::default()
        })
        .await?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    let srv0 = t.procs.sample();
    let t0 = Instant::now();
    let (c1, _) = p.login("w4r1", &p.sig("w4r1"), lo_ip).await?;
    let mut after = cursor;
    let mut seen = HashSet::new();
    let (mut dups, mut unexpected, mut pages) = (0u64, 0u64, 0u64);
    loop {
        let page = c1.call(&wire::Sync { after, limit: 200 }).await?;
        pages += 1;
        for e in &page.entries {
            after = after.max(e.inbox_seq);
            let seq = e
                .message
                .as_ref()
                .and_then(|m| m.payload.get("text")?.as_str().map(str::to_owned))
                .and_then(|b| stats::parse_body(&b));
            match seq {
                Some((q, _)) if q < missed => {
                    if !seen.insert(q) {
                        dups += 1;
                    }
                }
                _ => unexpected += 1,
            }
        }
        if page.is_completed || page.entries.is_empty() {
            break;
        }
    }
    let el = t0.elapsed().as_secs_f64();
    let srv1 = t.procs.sample();
    if let (Some(a), Some(b)) = (srv0, srv1) {
        r.server_cpu_s = b.cpu_s - a.cpu_s;
        r.server_after = Some(b);
    }
    r.elapsed_s = el;
    r.expected = missed;
    r.delivered = seen.len() as u64;
    r.duplicates = dups;
    r.unexpected = unexpected;
    r.m("resync_ms", el * 1e3);
    r.m("pages", pages as f64);
    r.finish();
    say(&r);
    out.push(r);
    Ok(out)
}

/// W5: a login storm.
pub async fn w5(t: &Target, s: &Sizes) -> anyhow::Result<Vec<RunResult>> {
    let n = s.w5_logins;
    let mut r = base(
        t,
        "w5",
        &format!("logins{n}-parallel{}", s.w5_parallel),
        json!({"logins": n, "parallel": s.w5_parallel}),
    );
    let users: Vec<String> = (0..n).map(|i| format!("w5u{i}")).collect();
    t.driver.prepare_users(&users).await?;
    let srv0 = t.procs.sample();
    let start = Instant::now();
    let pb = bar(n as u64, "logging in");
    let sem = Arc::new(tokio::sync::Semaphore::new(s.w5_parallel));
    let mut tasks = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let (d, u, sem, pb, k) = (
            t.driver.clone(),
            u.clone(),
            sem.clone(),
            pb.clone(),
            s.src_addrs,
        );
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire_owned().await;
            let c = d.connect(&u, src_addr(i, k)).await;
            pb.inc(1);
            c
        }));
    }
    let mut conns = Vec::new();
    let mut fails = 0u64;
    let mut first_err = None;
    for task in tasks {
        match task.await? {
            Ok(c) => conns.push(c),
            Err(e) => {
                fails += 1;
                first_err.get_or_insert(e.to_string());
            }
        }
    }
    let el = start.elapsed().as_secs_f64();
    let srv1 = t.procs.sample();
    pb.finish_and_clear();
    if let Some(e) = first_err {
        r.notes.push(format!("first failure: {e}"));
    }
    if let (Some(a), Some(b)) = (srv0, srv1) {
        r.server_cpu_s = b.cpu_s - a.cpu_s;
        r.server_after = Some(b);
        r.m("server_cpu_ms_per_login", r.server_cpu_s * 1e3 / n as f64);
    }
    r.elapsed_s = el;
    r.expected = n as u64;
    r.delivered = conns.len() as u64;
    r.errors = fails;
    r.m("all_in_s", el);
    r.m("logins_per_s", conns.len() as f64 / el);
    r.finish();
    say(&r);
    drop(conns);
    Ok(vec![r])
}

/// How long one W6 login may take before it counts as refused.
const W6_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// W6: server memory per idle logged-in connection at each step, then up to the most the
/// machine allows.
pub async fn w6(t: &Target, s: &Sizes) -> anyhow::Result<Vec<RunResult>> {
    let mut out = Vec::new();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss0 = t.procs.sample().map(|p| p.rss_kib).unwrap_or(0);
    let mut steps: Vec<usize> = s.w6_steps.clone();
    let mut k = steps.last().copied().unwrap_or(0);
    while k < s.w6_max {
        k = (k * 2).min(s.w6_max).max(k + 1);
        steps.push(k);
    }
    let mut conns = Vec::new();
    let d: Arc<dyn Driver> = t.driver.clone();
    let mut failed = false;
    let start = Instant::now();
    for &step in &steps {
        if failed {
            break;
        }
        let from = conns.len();
        if step <= from {
            continue;
        }
        let users: Vec<String> = (from..step).map(|i| format!("w6u{i}")).collect();
        d.prepare_users(&users).await?;
        let pb = bar(users.len() as u64, &format!("idle connections → {step}"));
        let sem = Arc::new(tokio::sync::Semaphore::new(200));
        let mut tasks = Vec::new();
        for (j, u) in users.iter().enumerate() {
            let (d, u, sem, pb, ka) = (d.clone(), u.clone(), sem.clone(), pb.clone(), s.src_addrs);
            tasks.push(tokio::spawn(async move {
                let _p = sem.acquire_owned().await;
                // A server out of file descriptors leaves the TCP handshake done by the kernel
                // and never answers the upgrade: a bounded wait turns that into a failure.
                let c = match tokio::time::timeout(
                    W6_CONNECT_TIMEOUT,
                    d.connect(&u, src_addr(from + j, ka)),
                )
                .await
                {
                    Ok(c) => c,
                    Err(_) => Err(anyhow::anyhow!(
                        "login {u}: no answer within {W6_CONNECT_TIMEOUT:?}"
                    )),
                };
                pb.inc(1);
                c
            }));
        }
        let mut fails = 0u64;
        let mut first_err = None;
        for task in tasks {
            match task.await? {
                Ok(c) => conns.push(c),
                Err(e) => {
                    fails += 1;
                    first_err.get_or_insert(format!("{e:#}"));
                }
            }
        }
        pb.finish_and_clear();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let smp = t.procs.sample();
        let n = conns.len();
        let mut r = base(
            t,
            "w6",
            &format!("idle{n}"),
            json!({ "target": step, "connected": n }),
        );
        r.expected = step as u64;
        r.delivered = n as u64;
        r.errors = fails;
        r.elapsed_s = start.elapsed().as_secs_f64();
        if let Some(e) = first_err {
            r.notes.push(format!("stopped: {e}"));
            failed = true;
        }
        if let Some(p) = smp {
            r.server_after = Some(p);
            r.m("rss_kib", p.rss_kib as f64);
            r.m("rss0_kib", rss0 as f64);
            r.m("connections", n as f64);
            r.m(
                "kib_per_conn",
                (p.rss_kib.saturating_sub(rss0)) as f64 / n.max(1) as f64,
            );
        }
        r.finish();
        say(&r);
        out.push(r);
    }
    drop(conns);
    Ok(out)
}

/// Runs one workload against one target and returns its results.
pub async fn run(
    target: &str,
    workload: &str,
    s: &Sizes,
    opts: &ServerOpts,
) -> anyhow::Result<Vec<RunResult>> {
    let t = match target {
        "pigeon" if !opts.cluster.servers.is_empty() => target::attach_pigeon(opts)?,
        "pigeon" if opts.cluster.is_cluster() => {
            if workload == "w4" {
                bail!("W4 seeds an SQLite store: run it on one plain node");
            }
            target::start_cluster(opts)?
        }
        "pigeon" => {
            let dir = target::fresh_dir()?;
            if workload == "w4" {
                seed_history(&dir, s)?;
            }
            target::start_pigeon(opts, &dir)?
        }
        "floor" => target::start_floor(opts)?,
        "ejabberd-nostore" | "ejabberd-sqlite" => target::attach_ejabberd(opts, target)?,
        other => bail!("unknown target {other}"),
    };
    eprintln!(
        "== {target} {workload} (server processes {:?}, load {:.2})",
        t.procs.groups,
        stats::loadavg()
    );
    match workload {
        "w1" => w1(&t, s).await,
        "w2" => w2(&t, s).await,
        "w3" => w3(&t, s).await,
        "w4" => w4(&t, s).await,
        "w5" => w5(&t, s).await,
        "w6" => w6(&t, s).await,
        other => bail!("unknown workload {other}"),
    }
}
