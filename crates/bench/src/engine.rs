//! The message-flow engine behind W2 and W3: senders with a window (or a fixed rate), the
//! receivers that should get each message, one-way latency, fan-out completion, and the
//! loss/duplicate accounting.
use crate::driver::{Conn, ConnSend, Driver};
use crate::result::RunResult;
use crate::stats::{self, Latency};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Where a sender sends.
#[derive(Debug, Clone)]
pub enum Dest {
    /// A direct message to this user.
    Direct(String),
    /// A group message.
    Group(String),
}

/// One flow run.
#[derive(Debug, Clone)]
pub struct FlowSpec {
    /// Sending users, with where each sends.
    pub senders: Vec<(String, Dest)>,
    /// Receiving users, with the sender indexes each should hear from.
    pub receivers: Vec<(String, Vec<usize>)>,
    /// Messages per sender.
    pub per_sender: u64,
    /// Messages per sender not yet delivered to all their receivers (closed loop).
    pub window: usize,
    /// Total offered msg/s over all senders (open loop) instead of the window.
    pub rate: Option<f64>,
    /// Body padding in bytes.
    pub pad: usize,
    /// Groups to join after connecting (AVChatRoom); every connection joins.
    pub join: Option<String>,
    /// How long to wait for stragglers after the last send.
    pub drain: Duration,
    /// Number of 127.0.0.x source addresses.
    pub src_addrs: u32,
    /// The server's processes, for CPU sampling.
    pub procs: stats::Procs,
}

/// The local address for the `i`th connection: 127.0.0.1 ... 127.0.0.N.
pub fn src_addr(i: usize, n: u32) -> IpAddr {
    let k = (i as u32 % n.max(1)) + 1;
    IpAddr::from([127, 0, (k >> 8) as u8, (k & 0xff) as u8])
}

/// A spinner-less progress bar with a message.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("  {msg:<28} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Connects `users` with at most `parallel` logins at a time; index order is kept.
pub async fn connect_all(
    driver: &Arc<dyn Driver>,
    users: &[String],
    offset: usize,
    src_addrs: u32,
    parallel: usize,
    what: &str,
) -> anyhow::Result<Vec<Box<dyn Conn>>> {
    let pb = bar(users.len() as u64, what);
    let sem = Arc::new(Semaphore::new(parallel));
    let mut tasks = Vec::with_capacity(users.len());
    for (i, u) in users.iter().enumerate() {
        let (d, u, sem, pb) = (driver.clone(), u.clone(), sem.clone(), pb.clone());
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire_owned().await;
            let r = d
                .connect_slot(&u, src_addr(offset + i, src_addrs), offset + i)
                .await;
            pb.inc(1);
            r.with_context(|| format!("connect {u}"))
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await??);
    }
    pb.finish_and_clear();
    Ok(out)
}

enum Sender {
    Split(Arc<dyn ConnSend>),
    Whole(Box<dyn Conn>),
}

struct Shared {
    per_sender: u64,
    fanout: Vec<u32>,
    slots: Vec<AtomicU32>,
    permits: Vec<Arc<Semaphore>>,
    delivered: AtomicU64,
    last_ns: AtomicU64,
    completion: Mutex<Vec<u64>>,
}

/// Runs a flow and fills the delivery figures of `res`.
pub async fn run_flow(
    driver: Arc<dyn Driver>,
    spec: FlowSpec,
    res: &mut RunResult,
) -> anyhow::Result<()> {
    let nsend = spec.senders.len();
    let sender_names: Vec<String> = spec.senders.iter().map(|(s, _)| s.clone()).collect();
    let receiver_names: Vec<String> = spec.receivers.iter().map(|(r, _)| r.clone()).collect();
    let sender_set: HashSet<&String> = sender_names.iter().collect();
    let mut all = sender_names.clone();
    all.extend(
        receiver_names
            .iter()
            .filter(|r| !sender_set.contains(r))
            .cloned(),
    );
    driver.prepare_users(&all).await?;
    let mut rconns = connect_all(
        &driver,
        &receiver_names,
        0,
        spec.src_addrs,
        200,
        "receivers logging in",
    )
    .await?;
    let mut sconns = connect_all(
        &driver,
        &sender_names,
        receiver_names.len(),
        spec.src_addrs,
        200,
        "senders logging in",
    )
    .await?;
    if let Some(g) = &spec.join {
        let pb = bar((rconns.len() + sconns.len()) as u64, "joining the room");
        for c in rconns.iter_mut().chain(sconns.iter_mut()) {
            c.join_group(g).await?;
            pb.inc(1);
        }
        pb.finish_and_clear();
    }
    let mut fanout = vec![0u32; nsend];
    for (_, hears) in &spec.receivers {
        for &s in hears {
            fanout[s] += 1;
        }
    }
    let window = if spec.rate.is_some() {
        100_000
    } else {
        spec.window
    };
    let shared = Arc::new(Shared {
        per_sender: spec.per_sender,
        slots: (0..nsend as u64 * spec.per_sender)
            .map(|_| AtomicU32::new(0))
            .collect(),
        permits: (0..nsend)
            .map(|_| Arc::new(Semaphore::new(window)))
            .collect(),
        fanout: fanout.clone(),
        delivered: AtomicU64::new(0),
        last_ns: AtomicU64::new(0),
        completion: Mutex::new(Vec::new()),
    });
    let expected: u64 = fanout.iter().map(|&f| f as u64 * spec.per_sender).sum();
    let index: Arc<HashMap<String, usize>> = Arc::new(
        sender_names
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i))
            .collect(),
    );
    // Senders: split when the driver can; the receiving half is drained (senders are not
    // counted as receivers).
    let mut senders = Vec::new();
    for c in sconns {
        if c.can_split() {
            let (s, mut r) = c.split()?;
            tokio::spawn(async move { while r.recv().await.is_ok() {} });
            senders.push(Sender::Split(Arc::from(s)));
        } else {
            // Sends one at a time; what it receives stays unread (senders are not receivers).
            senders.push(Sender::Whole(c));
        }
    }
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut rtasks = Vec::new();
    for ((_, hears), conn) in spec.receivers.iter().zip(rconns) {
        let hears: HashSet<usize> = hears.iter().copied().collect();
        let want = hears.len() as u64 * spec.per_sender;
        let (shared, index, stop, stopped) =
            (shared.clone(), index.clone(), stop.clone(), stopped.clone());
        rtasks.push(tokio::spawn(async move {
            receive(conn, hears, want, shared, index, stop, stopped).await
        }));
    }
    let pb = bar(expected, "delivered");
    let gen0 = stats::sample(Some(std::process::id()));
    let srv0 = spec.procs.sample_groups();
    let t0 = stats::now_ns();
    let errors = Arc::new(AtomicU64::new(0));
    let mut stasks = Vec::new();
    for (si, ((_, dest), sender)) in spec.senders.iter().zip(senders).enumerate() {
        let (shared, errors, dest) = (shared.clone(), errors.clone(), dest.clone());
        let (rate, pad, n, window) = (spec.rate, spec.pad, spec.per_sender, spec.window);
        stasks.push(tokio::spawn(async move {
            let mut sender = sender;
            let mut inflight = tokio::task::JoinSet::new();
            for seq in 0..n {
                let stamp = match rate {
                    Some(r) => {
                        // Open loop: the scheduled instant is the send stamp, so a late send
                        // counts against latency (no coordinated omission).
                        let at = t0 + ((seq * nsend as u64 + si as u64) as f64 * 1e9 / r) as u64;
                        let now = stats::now_ns();
                        if at > now {
                            tokio::time::sleep(Duration::from_nanos(at - now)).await;
                        }
                        at
                    }
                    None => {
                        match shared.permits[si].acquire().await {
                            Ok(p) => p.forget(),
                            Err(_) => return,
                        }
                        stats::now_ns()
                    }
                };
                let body = stats::body(seq, stamp, pad);
                match &mut sender {
                    Sender::Split(s) if window > 1 || rate.is_some() => {
                        let (s, dest, errors) = (s.clone(), dest.clone(), errors.clone());
                        inflight.spawn(async move {
                            if send(&*s, &dest, &body).await.is_err() {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        });
                        while inflight.try_join_next().is_some() {}
                    }
                    Sender::Split(s) => {
                        if send(&**s, &dest, &body).await.is_err() {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Sender::Whole(c) => {
                        let r = match &dest {
                            Dest::Direct(to) => c.send_direct(to, &body).await,
                            Dest::Group(g) => c.send_group(g, &body).await,
                        };
                        if r.is_err() {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            while inflight.join_next().await.is_some() {}
        }));
    }
    // Progress while sending; then wait for the receivers or the drain deadline.
    let mut senders_done = None;
    loop {
        pb.set_position(shared.delivered.load(Ordering::Relaxed));
        if shared.delivered.load(Ordering::Relaxed) >= expected {
            break;
        }
        if senders_done.is_none() && stasks.iter().all(|t| t.is_finished()) {
            senders_done = Some(std::time::Instant::now());
        }
        if senders_done.is_some_and(|t| t.elapsed() > spec.drain) {
            res.notes.push(format!(
                "stopped waiting {:?} after the last send",
                spec.drain
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let t_end = shared.last_ns.load(Ordering::Relaxed).max(t0 + 1);
    let srv1 = spec.procs.sample_groups();
    let gen1 = stats::sample(Some(std::process::id()));
    pb.finish_and_clear();
    stopped.store(true, Ordering::SeqCst);
    stop.notify_waiters();
    for t in stasks {
        t.abort();
    }
    let mut lat = Vec::new();
    for t in rtasks {
        let r = t.await?;
        lat.extend(r.lat);
        res.delivered += r.unique;
        res.duplicates += r.dups;
        res.unexpected += r.unexpected;
        if let Some(e) = r.error {
            res.notes.push(format!("a receiver failed: {e}"));
        }
    }
    res.expected = expected;
    res.errors += errors.load(Ordering::Relaxed);
    res.acked_sends = driver.acked_sends();
    let elapsed = (t_end - t0) as f64 / 1e9;
    res.elapsed_s = elapsed;
    if let (Some(a), Some(b)) = (srv0, srv1) {
        res.server_cpu_s = b.total.cpu_s - a.total.cpu_s;
        res.server_after = Some(b.total);
        // Where the server side's CPU went (nodes, PostgreSQL, NATS) when there are groups.
        if b.groups.len() > 1 {
            for ((name, x), (_, y)) in a.groups.iter().zip(&b.groups) {
                res.m(&format!("server_cpu_s_{name}"), y - x);
            }
        }
    }
    if let (Some(a), Some(b)) = (gen0, gen1) {
        res.gen_cpu_s = b.cpu_s - a.cpu_s;
    }
    let sent = nsend as u64 * spec.per_sender;
    res.m("messages_sent", sent as f64);
    res.m("deliveries_per_s", res.delivered as f64 / elapsed);
    // Messages fully delivered per second (for C2C the same as deliveries).
    let complete = lock(&shared.completion).len() as f64;
    res.m("msg_per_s", complete / elapsed);
    if res.server_cpu_s > 0.0 {
        res.m(
            "delivered_per_server_cpu_s",
            res.delivered as f64 / res.server_cpu_s,
        );
    }
    res.latency = Some(Latency::from_ns(lat));
    res.completion = Some(Latency::from_ns(std::mem::take(&mut *lock(
        &shared.completion,
    ))));
    if let Some(r) = spec.rate {
        res.m("offered_per_s", r);
    }
    res.finish();
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn send(s: &dyn ConnSend, dest: &Dest, body: &str) -> anyhow::Result<()> {
    match dest {
        Dest::Direct(to) => s.send_direct(to, body).await,
        Dest::Group(g) => s.send_group(g, body).await,
    }
}

struct RecvStats {
    lat: Vec<u64>,
    unique: u64,
    dups: u64,
    unexpected: u64,
    error: Option<String>,
}

async fn receive(
    conn: Box<dyn Conn>,
    hears: HashSet<usize>,
    want: u64,
    shared: Arc<Shared>,
    index: Arc<HashMap<String, usize>>,
    stop: Arc<tokio::sync::Notify>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
) -> RecvStats {
    let mut conn = conn;
    let mut st = RecvStats {
        lat: Vec::with_capacity(want as usize),
        unique: 0,
        dups: 0,
        unexpected: 0,
        error: None,
    };
    let mut seen: HashSet<(usize, u64)> = HashSet::with_capacity(want as usize);
    loop {
        if stopped.load(Ordering::SeqCst) {
            break;
        }
        let r = tokio::select! {
            r = conn.recv() => r,
            _ = stop.notified() => break,
        };
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                st.error = Some(e.to_string());
                break;
            }
        };
        let now = stats::now_ns();
        let (Some(&si), Some((seq, sent))) = (index.get(&r.from), stats::parse_body(&r.body))
        else {
            st.unexpected += 1;
            continue;
        };
        if !hears.contains(&si) || seq >= shared.per_sender {
            st.unexpected += 1;
            continue;
        }
        if !seen.insert((si, seq)) {
            st.dups += 1;
            continue;
        }
        st.unique += 1;
        let l = now.saturating_sub(sent);
        st.lat.push(l);
        shared.last_ns.fetch_max(now, Ordering::Relaxed);
        shared.delivered.fetch_add(1, Ordering::Relaxed);
        let slot = &shared.slots[si * shared.per_sender as usize + seq as usize];
        if slot.fetch_add(1, Ordering::AcqRel) + 1 == shared.fanout[si] {
            lock(&shared.completion).push(l);
            shared.permits[si].add_permits(1);
        }
    }
    let _ = conn.close().await;
    st
}
