//! getConversationList with 10,000 conversations: from the SDK's local cache (a cold read of
//! the SQLite file, as at app start, and the in-memory answer after it) and from the server
//! (the `getConversationList` round trip over loopback, as at sync).
//!
//! `cargo build --release --bins && cargo bench -p pigeon-tests --bench conversation_list`
//! (PIGEON_BENCH_CONVERSATIONS, default 10000; PIGEON_BENCH_ROUNDS, default 10).

use pigeon_proto::wire::{GetConversationList, Login};
use pigeon_sdk::cache::Cache;
use pigeon_sdk::conn::Conn;
use pigeon_sdk::{Chat, ChatOptions};
use pigeon_server::store::{Recipient, SqliteStore, Store};
use pigeon_tests::Server;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn find_cache(dir: &Path) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(found) = find_cache(&p) {
                return Some(found);
            }
        } else if p.file_name().is_some_and(|n| n == "cache.sqlite3") {
            return Some(p);
        }
    }
    None
}

/// One message from each of `n` peers to alice, written straight into the server's store.
fn populate(server: &Server, n: usize) {
    let store = SqliteStore::open(&server.dir.join("pigeon.sqlite3")).expect("open store");
    let mut last = 0;
    for i in 0..n {
        let peer = format!("peer{i:05}");
        let m = pigeon_proto::model::Message {
            id: format!("seed-{i}"),
            kind: "TIMTextElem".into(),
            payload: json!({"text": format!("hello from {peer}")}),
            conversation_type: "C2C".into(),
            from: peer.clone(),
            to: "alice".into(),
            status: "success".into(),
            priority: "Normal".into(),
            ..Default::default()
        };
        let recips = [
            Recipient {
                user_id: peer.clone(),
                conv_id: "C2Calice".into(),
                counts_unread: false,
                sets_last: true,
                at_type: 0,
            },
            Recipient {
                user_id: "alice".into(),
                conv_id: format!("C2C{peer}"),
                counts_unread: true,
                sets_last: true,
                at_type: 0,
            },
        ];
        let key = pigeon_server::conversations::c2c_key(&peer, "alice");
        store
            .store_message(&key, &m, 1_700_000_000 + i as u64, &recips)
            .expect("store");
        let pct = (i + 1) * 10 / n;
        if pct > last {
            last = pct;
            eprintln!("  populating: {}%", pct * 10);
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let n = env_usize("PIGEON_BENCH_CONVERSATIONS", 10_000);
    let rounds = env_usize("PIGEON_BENCH_ROUNDS", 10);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        eprintln!("conversation list: {n} conversations, median of {rounds} rounds");
        let server = Server::start();
        populate(&server, n);

        // Server: the list round trip as the SDK makes it at sync.
        let (conn, _pushes) = Conn::connect(&server.url()).await.expect("connect");
        let login = Login {
            user_id: "alice".into(),
            user_sig: server.sig("alice"),
            sdk_app_id: server.app_id,
            instance_id: "bench".into(),
            platform: "bench-raw".into(),
        };
        conn.call(&login).await.expect("login");
        let mut server_times = Vec::new();
        for r in 0..rounds {
            let t = Instant::now();
            let mut got = 0;
            let mut after = None;
            loop {
                let page = conn
                    .call(&GetConversationList {
                        after: after.clone(),
                        count: 0,
                    })
                    .await
                    .expect("list");
                got += page.conversation_list.len();
                after = page
                    .conversation_list
                    .last()
                    .map(|c| c.conversation_id.clone());
                if page.is_completed {
                    break;
                }
            }
            server_times.push(t.elapsed());
            assert_eq!(got, n);
            eprintln!("  server round {}/{rounds}", r + 1);
        }

        // SDK: log in once so the cache holds the list, then read it back cold.
        let data = tempfile::tempdir().expect("tempdir");
        let chat = Chat::create(ChatOptions {
            server_url: server.url(),
            sdk_app_id: server.app_id,
            data_dir: data.path().to_path_buf(),
            platform: "bench".into(),
        });
        chat.login("alice", &server.sig("alice"))
            .await
            .expect("login");
        while !chat.is_ready() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut memory_times = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let v: Value = chat
                .invoke("getConversationList", vec![])
                .await
                .expect("list");
            memory_times.push(t.elapsed());
            assert_eq!(v["conversationList"].as_array().map(Vec::len), Some(n));
        }
        chat.logout().await.expect("logout");
        let path = find_cache(data.path()).expect("cache file");
        let mut cache_times = Vec::new();
        for r in 0..rounds {
            let t = Instant::now();
            let cache = Cache::open(&path).expect("open cache");
            let list = cache.conversations().expect("read");
            cache_times.push(t.elapsed());
            assert_eq!(list.len(), n);
            eprintln!("  cache round {}/{rounds}", r + 1);
        }
        let (s, c, m) = (
            median(server_times),
            median(cache_times),
            median(memory_times),
        );
        println!(
            "server getConversationList ({n}):        {:>9.2} ms",
            s.as_secs_f64() * 1e3
        );
        println!(
            "local cache, cold read from SQLite:       {:>9.2} ms",
            c.as_secs_f64() * 1e3
        );
        println!(
            "SDK getConversationList, in memory:       {:>9.2} ms",
            m.as_secs_f64() * 1e3
        );
        println!(
            "cache share of the server time: {:.1}%",
            100.0 * c.as_secs_f64() / s.as_secs_f64()
        );
    });
}
