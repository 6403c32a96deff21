//! Messages per second from one sender to one receiver through the real server (release
//! binary, SQLite persistence, fan-out, the receiver's SDK), next to the floor: the same
//! client connection against a bare tokio-tungstenite echo that acks each request at once.
//!
//! `cargo build --release --bins && cargo bench -p pigeon-tests --bench throughput`
//! (PIGEON_BENCH_N messages, default 20000; PIGEON_BENCH_WINDOW in flight, default 32).

use futures_util::{SinkExt, StreamExt};
use pigeon_sdk::conn::Conn;
use pigeon_sdk::{Chat, ChatOptions};
use pigeon_tests::{free_port, Server};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn progress(label: &str, done: usize, total: usize, last: &mut usize) {
    let pct = done * 10 / total.max(1);
    if pct > *last {
        *last = pct;
        eprintln!("  {label}: {}%", pct * 10);
    }
}

/// The floor: parse the request, answer `{"id", "code": 0, "data"}` — no storage, no fan-out.
async fn echo_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let (mut sink, mut source) = ws.split();
                while let Some(Ok(WsMessage::Text(t))) = source.next().await {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    let reply = json!({"id": v["id"], "code": 0, "data": v["data"]});
                    if sink
                        .send(WsMessage::Text(reply.to_string().into()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    format!("ws://{addr}")
}

fn text_request(i: usize) -> Value {
    json!({"message": {"ID": format!("bench-{i}-{}", rand_suffix()), "type": "TIMTextElem",
        "payload": {"text": format!("benchmark message {i}")}, "to": "bob", "conversationType": "C2C"}})
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

async fn floor(n: usize, window: usize) -> f64 {
    let url = echo_server().await;
    let (conn, _pushes) = Conn::connect(&url).await.expect("connect echo");
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..window {
        let (conn, next, done) = (conn.clone(), next.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                conn.call_raw("sendMessage", text_request(i))
                    .await
                    .expect("echo reply");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut last = 0;
    while done.load(Ordering::Relaxed) < n {
        progress("floor (echo)", done.load(Ordering::Relaxed), n, &mut last);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for t in tasks {
        t.await.expect("task");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn pigeon(server: &Server, n: usize, window: usize) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let mk = |sub: &str| {
        Chat::create(ChatOptions {
            server_url: server.url(),
            sdk_app_id: server.app_id,
            data_dir: dir.path().join(sub),
            platform: "bench".into(),
        })
    };
    let (alice, bob) = (mk("alice"), mk("bob"));
    alice
        .login("alice", &server.sig("alice"))
        .await
        .expect("alice login");
    bob.login("bob", &server.sig("bob"))
        .await
        .expect("bob login");
    let received = Arc::new(AtomicUsize::new(0));
    let r = received.clone();
    bob.on(Some("onMessageReceived"), move |e| {
        r.fetch_add(
            e.data.as_array().map(Vec::len).unwrap_or(0),
            Ordering::Relaxed,
        );
    });
    while !bob.is_ready() || !alice.is_ready() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..window {
        let (alice, next) = (alice.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                let m = alice
                    .create_text_message(json!({"to": "bob", "conversationType": "C2C",
                        "payload": {"text": format!("benchmark message {i}")}}))
                    .expect("create");
                let m = serde_json::to_value(m).expect("json");
                alice.send_message(m, Value::Null).await.expect("send");
            }
        }));
    }
    let mut last = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    while received.load(Ordering::Relaxed) < n {
        assert!(
            Instant::now() < deadline,
            "receiver got {} of {n}",
            received.load(Ordering::Relaxed)
        );
        progress(
            "pigeon (server + SQLite + receiver SDK)",
            received.load(Ordering::Relaxed),
            n,
            &mut last,
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    for t in tasks {
        t.await.expect("task");
    }
    let _ = alice.logout().await;
    let _ = bob.logout().await;
    rate
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `cargo bench -- --list`: nothing to list.
    }
    let n = env_usize("PIGEON_BENCH_N", 20_000);
    let window = env_usize("PIGEON_BENCH_WINDOW", 32);
    let _ = free_port;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        eprintln!("throughput: {n} messages, {window} in flight, one sender to one receiver");
        let server = Server::start();
        let floor_rate = floor(n, window).await;
        let pigeon_rate = pigeon(&server, n, window).await;
        println!("floor  (same client, bare tokio-tungstenite echo): {floor_rate:>10.0} msg/s");
        println!("pigeon (server + SQLite WAL + receiver SDK):       {pigeon_rate:>10.0} msg/s");
        println!("ratio pigeon/floor: {:.3}", pigeon_rate / floor_rate);
    });
}
