//! Tests: crash consistency. Concurrent senders (SDK clients that resend unacked messages with
//! the same ID, and a raw-protocol client that records exactly which sends were acked and
//! abandons the rest) write to C2C peers and a group while the server is SIGKILLed and
//! restarted several times. Afterwards every acked message exists exactly once, in
//! per-conversation sequence order without gaps, in every party's history, inbox and event
//! stream, and nothing is half-stored: checked over the wire and with the store's own queries
//! on the data dir. A kill in the middle of a file upload leaves nothing addressable, and the
//! upload then succeeds with the right content hash.

use pigeon_proto::model::Message;
use pigeon_proto::wire::{Login, SendMessage};
use pigeon_sdk::conn::Conn;
use pigeon_server::store::Store;
use pigeon_tests::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Kills under load.
const KILLS: usize = 5;
/// Acks between kills.
const ACKS_PER_KILL: usize = 30;
/// Messages per SDK sender.
const SDK_MESSAGES: usize = 60;
/// Messages the raw sender attempts.
const RAW_MESSAGES: usize = 60;
/// Raw sends in flight at once (so a kill catches several mid-request).
const RAW_IN_FLIGHT: usize = 4;

const GROUP: &str = "crashgrp";
const MEMBERS: [&str; 5] = ["s1", "s2", "raw", "p1", "p2"];

/// What a sender knows about one message.
#[derive(Debug, Clone)]
struct Sent {
    id: String,
    conv_key: String,
    /// Sequence from the ack; None when the send was never acked (abandoned).
    acked_seq: Option<u64>,
}

#[derive(Default)]
struct Ledger {
    sent: Mutex<Vec<Sent>>,
    acks: AtomicUsize,
    resends: AtomicUsize,
}

impl Ledger {
    fn record(&self, s: Sent) {
        if s.acked_seq.is_some() {
            self.acks.fetch_add(1, Ordering::SeqCst);
        }
        self.sent.lock().expect("ledger").push(s);
    }
}

fn c2c_key(a: &str, b: &str) -> String {
    pigeon_server::conversations::c2c_key(a, b)
}

fn group_key() -> String {
    pigeon_server::conversations::group_key(GROUP)
}

/// The conversation keys and their participants.
fn conversations() -> Vec<(String, Vec<&'static str>)> {
    let mut out = vec![(group_key(), MEMBERS.to_vec())];
    for s in ["s1", "s2", "raw"] {
        for p in ["p1", "p2"] {
            out.push((c2c_key(s, p), vec![s, p]));
        }
    }
    out
}

/// Target `i` of sender `me`: alternately each peer and the group.
fn target(me: &str, i: usize) -> (String, &'static str, String) {
    match i % 3 {
        0 => ("p1".into(), "C2C", c2c_key(me, "p1")),
        1 => (GROUP.into(), "GROUP", group_key()),
        _ => ("p2".into(), "C2C", c2c_key(me, "p2")),
    }
}

/// An SDK sender: every message is sent until acked, resending the same message (same ID)
/// after a failure, as an app does with resendMessage.
async fn sdk_sender(chat: pigeon_sdk::Chat, me: &'static str, ledger: Arc<Ledger>) {
    for i in 0..SDK_MESSAGES {
        let (to, kind, conv_key) = target(me, i);
        let m = chat
            .create_text_message(
                json!({"to": to, "conversationType": kind, "payload": {"text": format!("{me}-{i}")}}),
            )
            .expect("createTextMessage");
        let m = serde_json::to_value(m).expect("message json");
        let deadline = tokio::time::Instant::now() + WAIT * 4;
        let acked = loop {
            match chat.invoke("sendMessage", vec![m.clone()]).await {
                Ok(r) => break r["message"].clone(),
                Err(e) => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "{me}: send never acked: {e}"
                    );
                    ledger.resends.fetch_add(1, Ordering::SeqCst);
                    // The SDK is reconnecting; poll again shortly.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        assert_eq!(acked["ID"], m["ID"], "the ack is for the same ID");
        ledger.record(Sent {
            id: acked["ID"].as_str().expect("ID").to_owned(),
            conv_key,
            acked_seq: Some(acked["sequence"].as_u64().expect("sequence")),
        });
    }
}

async fn raw_login(url: &str, app_id: u64, sig: &str) -> Option<Arc<Conn>> {
    let (conn, mut pushes) = Conn::connect(url).await.ok()?;
    // Pushes are not this client's concern; drain them so nothing piles up.
    tokio::spawn(async move { while pushes.recv().await.is_some() {} });
    let login = Login {
        user_id: "raw".into(),
        user_sig: sig.to_owned(),
        sdk_app_id: app_id,
        instance_id: "raw-crash".into(),
        platform: "raw".into(),
    };
    conn.call(&login).await.ok()?;
    Some(conn)
}

/// A raw-protocol sender: several sends in flight; an ack is recorded as acked, anything
/// else (connection lost, timeout) as abandoned: it is never resent, so it must end up either
/// whole or absent.
async fn raw_sender(url: String, app_id: u64, sig: String, ledger: Arc<Ledger>) {
    let mut i = 0;
    let deadline = tokio::time::Instant::now() + WAIT * 6;
    while i < RAW_MESSAGES {
        assert!(tokio::time::Instant::now() < deadline, "raw sender stuck");
        let Some(conn) = raw_login(&url, app_id, &sig).await else {
            // The server is down; poll again shortly.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        while i < RAW_MESSAGES && !conn.is_closed() {
            let batch: Vec<(Message, String)> = (i..(i + RAW_IN_FLIGHT).min(RAW_MESSAGES))
                .map(|n| {
                    let (to, kind, conv_key) = target("raw", n);
                    let m = Message {
                        id: format!("raw-{n}-{}", rand_id()),
                        kind: "TIMTextElem".into(),
                        payload: json!({"text": format!("raw-{n}")}),
                        conversation_type: kind.into(),
                        to,
                        from: "raw".into(),
                        flow: "out".into(),
                        ..Default::default()
                    };
                    (m, conv_key)
                })
                .collect();
            i += batch.len();
            let calls = batch.into_iter().map(|(m, conv_key)| {
                let conn = conn.clone();
                async move {
                    let id = m.id.clone();
                    let r = conn
                        .call(&SendMessage {
                            message: m,
                            ..Default::default()
                        })
                        .await;
                    (id, conv_key, r)
                }
            });
            for (id, conv_key, r) in futures_util::future::join_all(calls).await {
                let acked_seq = match r {
                    Ok(reply) => {
                        assert_eq!(reply.message.id, id);
                        Some(reply.message.sequence)
                    }
                    Err(e) => {
                        assert!(
                            e.code == pigeon_proto::error::code::NETWORK_ERROR
                                || e.code == pigeon_proto::error::code::NETWORK_TIMEOUT,
                            "raw send refused for a reason other than the crash: {e}"
                        );
                        None
                    }
                };
                ledger.record(Sent {
                    id,
                    conv_key,
                    acked_seq,
                });
            }
        }
    }
}

fn rand_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The whole history of `conv_id` as `c` sees it: (ID, sequence), oldest first.
async fn history_ids(c: &Client, conv_id: &str) -> Vec<(String, u64)> {
    c.history(conv_id)
        .await
        .iter()
        .map(|m| {
            (
                m["ID"].as_str().expect("ID").to_owned(),
                m["sequence"].as_u64().expect("sequence"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_messages_survive_repeated_sigkill_under_load() {
    let mut server = Server::start();
    let mut s1 = Client::login(&server, "s1").await;
    let s2 = Client::login(&server, "s2").await;
    let mut p1 = Client::login(&server, "p1").await;
    let mut p2 = Client::login(&server, "p2").await;
    let g = s1
        .ok(
            "createGroup",
            vec![json!({"name": "crash", "type": "Private", "groupID": GROUP,
                "memberList": [{"userID": "s2"}, {"userID": "raw"}, {"userID": "p1"}, {"userID": "p2"}]})],
        )
        .await;
    assert_eq!(g["group"]["memberCount"], 5);
    for p in [&mut p1, &mut p2] {
        p.wait_for("onGroupListUpdated", |l| {
            l.as_array()
                .is_some_and(|a| a.iter().any(|g| g["groupID"] == GROUP))
        })
        .await;
    }

    // The group's creation tips are there before any load.
    let tips: Vec<String> = history_ids(&s1, &format!("GROUP{GROUP}"))
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();

    let ledger = Arc::new(Ledger::default());
    let senders = vec![
        tokio::spawn(sdk_sender(s1.chat.clone(), "s1", ledger.clone())),
        tokio::spawn(sdk_sender(s2.chat.clone(), "s2", ledger.clone())),
        tokio::spawn(raw_sender(
            server.url(),
            server.app_id,
            server.sig("raw"),
            ledger.clone(),
        )),
    ];

    let mut kills = 0;
    for k in 1..=KILLS {
        let what = format!("{} acks before kill {k}", k * ACKS_PER_KILL);
        eventually(&what, || {
            ledger.acks.load(Ordering::SeqCst) >= k * ACKS_PER_KILL
        })
        .await;
        tokio::task::block_in_place(|| server.restart());
        kills += 1;
    }
    for s in senders {
        s.await.expect("sender task");
    }
    let sent = ledger.sent.lock().expect("ledger").clone();
    let acked: Vec<&Sent> = sent.iter().filter(|s| s.acked_seq.is_some()).collect();
    let abandoned: HashSet<&str> = sent
        .iter()
        .filter(|s| s.acked_seq.is_none())
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(
        acked.len() + abandoned.len(),
        2 * SDK_MESSAGES + RAW_MESSAGES
    );

    // Markers: anything stored before them reaches the recipients before them.
    let mut markers: HashSet<String> = tips.into_iter().collect();
    for p in [&mut p1, &mut p2] {
        let marker = format!("marker-{}", p.user);
        let m = s1.send_text(&p.user, "C2C", &marker).await;
        markers.insert(m["ID"].as_str().expect("ID").to_owned());
        p.wait_text(&marker).await;
    }
    let m = s1.send_text(GROUP, "GROUP", "marker-group").await;
    markers.insert(m["ID"].as_str().expect("ID").to_owned());
    p1.wait_text("marker-group").await;
    p2.wait_text("marker-group").await;
    s1.clear();

    // Over the wire: every party's history of every conversation is the same gapless
    // sequence, holds every acked message once at its acked sequence, and nothing unknown.
    let acked_ids: HashMap<&str, (&str, u64)> = acked
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                (s.conv_key.as_str(), s.acked_seq.expect("acked")),
            )
        })
        .collect();
    let raw_view = Client::login(&server, "raw").await;
    let clients: HashMap<&str, &Client> = [
        ("s1", &s1),
        ("s2", &s2),
        ("raw", &raw_view),
        ("p1", &p1),
        ("p2", &p2),
    ]
    .into_iter()
    .collect();
    let mut wire: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for (key, parties) in conversations() {
        let mut views = Vec::new();
        for who in &parties {
            let conv_id = if key == group_key() {
                format!("GROUP{GROUP}")
            } else {
                let peer = parties.iter().find(|p| *p != who).expect("peer");
                format!("C2C{peer}")
            };
            views.push((who, history_ids(clients[who], &conv_id).await));
        }
        let (_, first) = &views[0];
        for (who, v) in &views {
            assert_eq!(v, first, "{who} sees the same history of {key:?}");
        }
        let seqs: Vec<u64> = first.iter().map(|(_, s)| *s).collect();
        let gapless: Vec<u64> = (1..=first.len() as u64).collect();
        assert_eq!(seqs, gapless, "{key:?}: sequences 1..=n, no gap");
        let mut seen = HashSet::new();
        for (id, seq) in first {
            assert!(seen.insert(id.clone()), "{key:?}: {id} twice");
            match acked_ids.get(id.as_str()) {
                Some((k, s)) => {
                    assert_eq!(*k, key.as_str(), "{id} in its own conversation");
                    assert_eq!(s, seq, "{id} at its acked sequence");
                }
                None => assert!(
                    abandoned.contains(id.as_str()) || markers.contains(id),
                    "{key:?}: {id} is neither acked nor abandoned"
                ),
            }
        }
        for (id, (k, _)) in &acked_ids {
            if *k == key {
                assert!(seen.contains(*id), "{key:?}: acked {id} is missing");
            }
        }
        wire.insert(key, first.clone());
    }

    // The recipients' event streams: each message of theirs exactly once, and in sequence
    // order within each conversation.
    for p in [&mut p1, &mut p2] {
        let got = p.received_messages();
        let mut once = HashSet::new();
        let mut last: HashMap<String, u64> = HashMap::new();
        for m in &got {
            let id = m["ID"].as_str().expect("ID").to_owned();
            assert!(once.insert(id.clone()), "{} got {id} twice", p.user);
            let conv = m["conversationID"].as_str().expect("conversationID");
            let seq = m["sequence"].as_u64().expect("sequence");
            let prev = last.insert(conv.to_owned(), seq).unwrap_or(0);
            assert!(
                seq > prev,
                "{}: {conv} out of order ({prev} then {seq})",
                p.user
            );
        }
        for (key, parties) in conversations() {
            if !parties.contains(&p.user.as_str()) {
                continue;
            }
            for (id, _) in &wire[&key] {
                assert!(once.contains(id), "{} never got {id} of {key:?}", p.user);
            }
        }
    }

    // With the store's own queries on the data dir: every message whole, or absent.
    server.kill9();
    let store = server.open_store();
    let mut stored_ids: HashSet<String> = HashSet::new();
    for (key, parties) in conversations() {
        let msgs = store
            .messages_before(&key, None, 0, 100_000)
            .expect("messages_before");
        let seqs: Vec<u64> = msgs.iter().rev().map(|m| m.sequence).collect();
        let gapless: Vec<u64> = (1..=msgs.len() as u64).collect();
        assert_eq!(seqs, gapless, "store {key:?}: sequences 1..=n");
        assert_eq!(
            store.last_seq(&key).expect("last_seq"),
            msgs.len() as u64,
            "store {key:?}: the counter matches the rows"
        );
        let ids: Vec<(String, u64)> = msgs
            .iter()
            .rev()
            .map(|m| (m.id.clone(), m.sequence))
            .collect();
        assert_eq!(ids, wire[&key], "store {key:?}: what the clients saw");
        for m in &msgs {
            stored_ids.insert(m.id.clone());
        }
        // Each participant's conversation row points at the newest message.
        for who in &parties {
            let conv_id = if key == group_key() {
                format!("GROUP{GROUP}")
            } else {
                let peer = parties.iter().find(|p| *p != who).expect("peer");
                format!("C2C{peer}")
            };
            let row = store
                .conversation(who, &conv_id)
                .expect("conversation")
                .unwrap_or_else(|| panic!("{who} has no {conv_id} row"));
            assert_eq!(
                row.last_message.map(|m| m.id),
                msgs.first().map(|m| m.id.clone()),
                "{who} {conv_id}: lastMessage is the newest"
            );
        }
    }
    for who in MEMBERS {
        let inbox = store.inbox_after(who, 0, 100_000).expect("inbox_after");
        let seqs: Vec<u64> = inbox.iter().map(|(n, _)| *n).collect();
        let gapless: Vec<u64> = (1..=inbox.len() as u64).collect();
        assert_eq!(seqs, gapless, "{who}'s inbox: 1..=n");
        assert_eq!(
            store.inbox_head(who).expect("inbox_head"),
            inbox.len() as u64
        );
        let mut in_inbox = HashSet::new();
        for (_, m) in &inbox {
            let m = m.as_ref().expect("no history was cleared");
            assert!(
                in_inbox.insert(m.id.clone()),
                "{who}: {} twice in the inbox",
                m.id
            );
        }
        // Whole: every stored message of each of the user's conversations is in the inbox.
        for (key, parties) in conversations() {
            if parties.contains(&who) {
                for (id, _) in &wire[&key] {
                    assert!(
                        in_inbox.contains(id),
                        "{who}: {id} stored but not in the inbox"
                    );
                }
            }
        }
    }
    let abandoned_stored = abandoned
        .iter()
        .filter(|id| stored_ids.contains(**id))
        .count();
    eprintln!(
        "crash: {kills} SIGKILLs under load; {} messages attempted, {} acked (all present \
         once, in order), {} SDK resends after failures, {} raw sends unacked at a kill \
         ({abandoned_stored} of them stored whole, the rest absent), {} messages in the store",
        sent.len(),
        acked.len(),
        ledger.resends.load(Ordering::SeqCst),
        abandoned.len(),
        stored_ids.len()
    );
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Status and body of a GET.
async fn get(addr: &str, path: &str) -> (u16, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, raw[split + 4..].to_vec())
}

/// Files under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_upload_leaves_nothing_and_the_retry_succeeds() {
    let mut server = Server::start();
    let app = server.app_id;
    // 6 MiB of varied bytes, so a prefix hashes differently from the whole.
    let content: Vec<u8> = (0..6 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let full_sha = sha_hex(&content);
    let mut kills = 0;
    for cut_at in [content.len() / 3, content.len() * 2 / 3] {
        let mut s = tokio::net::TcpStream::connect(&server.addr)
            .await
            .expect("connect");
        let head = format!(
            "POST /files/{app}/file HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nX-Pigeon-User: up\r\nX-Pigeon-UserSig: {}\r\nContent-Length: {}\r\n\r\n",
            server.addr,
            server.sig("up"),
            content.len()
        );
        s.write_all(head.as_bytes()).await.expect("send head");
        s.write_all(&content[..cut_at]).await.expect("send part");
        // Kill once the server has staged part of the body.
        let staging = server.dir.join("files/tmp");
        eventually("the upload to be staged", || {
            files_under(&staging)
                .iter()
                .any(|p| p.metadata().map(|m| m.len() > 0).unwrap_or(false))
        })
        .await;
        tokio::task::block_in_place(|| server.restart());
        kills += 1;
        drop(s);

        // Nothing of it is addressable: not the whole hash, not the prefix's.
        for sha in [full_sha.clone(), sha_hex(&content[..cut_at])] {
            let (st, _) = get(&server.addr, &format!("/files/{app}/{sha}")).await;
            assert_eq!(st, 404, "a killed upload is not served");
        }
        let blobs: Vec<_> = files_under(&server.dir.join("files"))
            .into_iter()
            .filter(|p| !p.starts_with(&staging))
            .collect();
        assert!(blobs.is_empty(), "no blob from a killed upload: {blobs:?}");
        let left = files_under(&staging);
        assert!(
            left.is_empty(),
            "staging files left after the restart: {left:?}"
        );
    }

    // The retry succeeds and the content hash matches.
    let mut s = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /files/{app}/file HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nX-Pigeon-User: up\r\nX-Pigeon-UserSig: {}\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        server.sig("up"),
        content.len()
    );
    s.write_all(head.as_bytes()).await.expect("send head");
    s.write_all(&content).await.expect("send body");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read reply");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 201"), "{text}");
    let body = &text[text.find("\r\n\r\n").expect("body") + 4..];
    let reply: Value = serde_json::from_str(body).expect("upload reply json");
    assert_eq!(
        reply["sha256"], full_sha,
        "the stored hash is the content's"
    );
    assert_eq!(reply["size"], content.len());
    let (st, got) = get(&server.addr, &format!("/files/{app}/{full_sha}")).await;
    assert_eq!(st, 200);
    assert_eq!(sha_hex(&got), full_sha, "the download hashes the same");
    eprintln!(
        "crash: {kills} SIGKILLs mid-upload ({} byte file); nothing served after them, the \
         retry stored it whole",
        content.len()
    );
}
