//! Tests: durability. An acked message survives the server being killed; a message is stored
//! once however often it is sent (resendMessage, a lost request, a lost ack).

use pigeon_proto::model::Message;
use pigeon_proto::wire::{Login, SendMessage};
use pigeon_sdk::conn::Conn;
use pigeon_tests::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn count_id(list: &[Value], id: &str) -> usize {
    list.iter().filter(|m| m["ID"] == id).count()
}

fn create_text(c: &Client, to: &str, text: &str) -> Value {
    c.chat
        .create_text_message(
            json!({"to": to, "conversationType": "C2C", "payload": {"text": text}}),
        )
        .map(|m| serde_json::to_value(m).expect("message json"))
        .expect("createTextMessage")
}

async fn login_on(server: &Server, user: &str, url: &str, platform: &str) -> Client {
    let opts = ClientOpts {
        url: url.to_owned(),
        data_dir: None,
        platform: platform.into(),
    };
    let mut c = Client::with(server, user, opts);
    c.login_ready(server).await;
    c
}

/// Asserts that `id` is in `user`'s (and the peer's) history exactly once, that the peer got
/// one onMessageReceived for it, and that the sender got none (checked after a marker from the
/// peer, which arrives after anything sent before it).
async fn assert_delivered_once(sender: &mut Client, peer: &mut Client, id: &str) {
    let marker = format!("marker-after-{id}");
    peer.send_text(&sender.user, "C2C", &marker).await;
    sender.wait_text(&marker).await;
    let peer_conv = format!("C2C{}", sender.user);
    let sender_conv = format!("C2C{}", peer.user);
    eventually("the peer to receive the message", || {
        count_id(&peer.received_messages(), id) > 0
    })
    .await;
    assert_eq!(
        count_id(&peer.received_messages(), id),
        1,
        "{} gets the message once",
        peer.user
    );
    assert_eq!(
        count_id(&sender.received_messages(), id),
        0,
        "the sending instance gets no event"
    );
    assert_eq!(
        count_id(&peer.history(&peer_conv).await, id),
        1,
        "once in the peer's history"
    );
    assert_eq!(
        count_id(&sender.history(&sender_conv).await, id),
        1,
        "once in the sender's history"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_messages_survive_kill9_and_page_in_order() {
    let mut server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut acked = Vec::new();
    for i in 1..=20 {
        let m = alice.send_text("bob", "C2C", &format!("durable-{i}")).await;
        assert_eq!(m["status"], "success", "acked: {m}");
        acked.push(m["ID"].as_str().expect("ID").to_owned());
    }
    alice.clear();
    server.kill9();
    server.restart();
    alice.wait_state("connected").await;

    // A fresh device reads history; it gets no replay of it as new messages.
    let mut bob = Client::login(&server, "bob").await;
    let first = bob
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice"})],
        )
        .await;
    let page1: Vec<Value> = first["messageList"]
        .as_array()
        .cloned()
        .expect("messageList");
    let ids1: Vec<&str> = page1
        .iter()
        .map(|m| m["ID"].as_str().expect("ID"))
        .collect();
    assert_eq!(ids1, acked[5..], "first page: the 15 newest, oldest first");
    assert_eq!(first["isCompleted"], false);
    assert_eq!(
        first["nextReqMessageID"], acked[5],
        "next page starts before the oldest shown"
    );
    let second = bob
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice", "nextReqMessageID": first["nextReqMessageID"]})],
        )
        .await;
    let page2: Vec<Value> = second["messageList"]
        .as_array()
        .cloned()
        .expect("messageList");
    let ids2: Vec<&str> = page2
        .iter()
        .map(|m| m["ID"].as_str().expect("ID"))
        .collect();
    assert_eq!(ids2, acked[..5], "second page: the 5 oldest");
    assert_eq!(second["isCompleted"], true);
    let texts: Vec<String> = page2.iter().chain(&page1).map(text_of).collect();
    let expected: Vec<String> = (1..=20).map(|i| format!("durable-{i}")).collect();
    assert_eq!(texts, expected);

    alice.send_text("bob", "C2C", "after-restart").await;
    bob.wait_text("after-restart").await;
    let got: Vec<String> = bob.received_messages().iter().map(text_of).collect();
    assert_eq!(
        got,
        ["after-restart"],
        "a fresh device starts at the inbox head"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_the_same_message_stores_and_delivers_it_once() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut alice_desktop = login_on(&server, "alice", &server.url(), "desktop").await;
    let mut bob = Client::login(&server, "bob").await;

    let m = create_text(&alice, "bob", "only once");
    let id = m["ID"].as_str().expect("ID").to_owned();
    let first = alice.ok("sendMessage", vec![m.clone()]).await["message"].clone();
    assert_eq!(first["ID"], id);
    for _ in 0..2 {
        let again = alice.ok("resendMessage", vec![m.clone()]).await["message"].clone();
        assert_eq!(again["ID"], id);
        assert_eq!(
            again["sequence"], first["sequence"],
            "a resend is the same message"
        );
    }
    let again = alice.ok("sendMessage", vec![first.clone()]).await["message"].clone();
    assert_eq!(again["sequence"], first["sequence"]);

    // The same ID straight over the wire from another session of alice.
    let (conn, _pushes) = Conn::connect(&server.url()).await.expect("raw connect");
    let login = Login {
        user_id: "alice".into(),
        user_sig: server.sig("alice"),
        sdk_app_id: server.app_id,
        instance_id: "raw-durability".into(),
        platform: "raw".into(),
    };
    conn.call(&login).await.expect("raw login");
    let message: Message = serde_json::from_value(m.clone()).expect("Message");
    let raw = conn
        .call(&SendMessage {
            message,
            ..Default::default()
        })
        .await
        .expect("raw sendMessage of a known ID");
    assert_eq!(raw.message.id, id);
    assert_eq!(json!(raw.message.sequence), first["sequence"]);
    assert_eq!(raw.inbox_seq, None, "a resend takes no new inbox position");
    conn.close();

    assert_delivered_once(&mut alice, &mut bob, &id).await;
    // The other instance of alice learns of it once too.
    alice_desktop.wait_text(&format!("marker-after-{id}")).await;
    let desktop = alice_desktop.received_messages();
    assert_eq!(
        count_id(&desktop, &id),
        1,
        "alice's other instance gets it once: {desktop:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_cut_off_mid_flight_resolves_and_is_stored_once() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let mut alice = login_on(&server, "alice", &proxy.url, "web").await;
    let mut bob = Client::login(&server, "bob").await;
    alice.clear();

    let m = create_text(&alice, "bob", "cut mid-flight");
    let id = m["ID"].as_str().expect("ID").to_owned();
    let chat = alice.chat.clone();
    let mut send = Box::pin(async move { chat.invoke("sendMessage", vec![m]).await });
    // Issue the send: run it until it first waits, which is for the ack of a request already
    // queued on the live connection. Only then cut, so the cut always hits a send in flight.
    let early = tokio::select! {
        biased;
        r = &mut send => Some(r),
        _ = std::future::ready(()) => None,
    };
    let send = tokio::spawn(async move {
        match early {
            Some(r) => r,
            None => send.await,
        }
    });
    proxy.cut();
    // Either the ack came back before the cut, or the SDK resends the same ID once it is
    // connected again: both must end with one stored copy and a successful send.
    alice.wait_state("connecting").await;
    proxy.restore();
    let sent = send
        .await
        .expect("send task")
        .expect("the send resolves successfully");
    assert_eq!(sent["message"]["ID"], id);
    assert_eq!(sent["message"]["status"], "success");
    alice.wait_state("connected").await;
    assert_delivered_once(&mut alice, &mut bob, &id).await;
}

/// What [`LossyProxy`] loses next.
#[derive(Default)]
pub(crate) struct Loss {
    /// Drop the connection at the next bytes from the client, without forwarding them.
    next_request: bool,
    /// Drop the connection at the first server bytes containing this, without forwarding.
    reply_containing: Option<Vec<u8>>,
    /// How many connections were dropped.
    dropped: usize,
}

/// A TCP proxy that loses exactly one request or one reply, and the connection with it, at a
/// point the test chooses (unlike [`Proxy::cut`], whose timing against the send is open).
pub(crate) struct LossyProxy {
    pub(crate) url: String,
    loss: Arc<Mutex<Loss>>,
    orphan: tokio::sync::watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl LossyProxy {
    pub(crate) async fn start(target: &str) -> LossyProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let url = format!("ws://{}", listener.local_addr().expect("addr"));
        let loss: Arc<Mutex<Loss>> = Arc::default();
        let (orphan, _) = tokio::sync::watch::channel(0);
        let (l, o, target) = (loss.clone(), orphan.clone(), target.to_owned());
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                let Ok(outbound) = tokio::net::TcpStream::connect(&target).await else {
                    continue;
                };
                tokio::spawn(Self::pipe(inbound, outbound, l.clone(), o.subscribe()));
            }
        });
        LossyProxy {
            url,
            loss,
            orphan,
            task,
        }
    }

    async fn pipe(
        inbound: tokio::net::TcpStream,
        outbound: tokio::net::TcpStream,
        loss: Arc<Mutex<Loss>>,
        mut orphan: tokio::sync::watch::Receiver<u64>,
    ) {
        let (mut client_r, mut client_w) = inbound.into_split();
        let (mut server_r, mut server_w) = outbound.into_split();
        let lose = |f: &mut dyn FnMut(&mut Loss) -> bool| {
            let mut l = loss.lock().expect("lock");
            let hit = f(&mut l);
            if hit {
                l.dropped += 1;
            }
            hit
        };
        let up = async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = client_r.read(&mut buf).await.unwrap_or(0);
                if n == 0 || lose(&mut |l| std::mem::take(&mut l.next_request)) {
                    return;
                }
                if server_w.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        };
        let down = async {
            let mut buf = vec![0u8; 64 * 1024];
            // The end of the previous read, so a pattern split across reads still matches.
            let mut tail: Vec<u8> = Vec::new();
            loop {
                let n = server_r.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    return;
                }
                let mut window = std::mem::take(&mut tail);
                window.extend_from_slice(&buf[..n]);
                let hit = lose(&mut |l| {
                    let found = l
                        .reply_containing
                        .as_ref()
                        .is_some_and(|p| window.windows(p.len()).any(|w| w == p.as_slice()));
                    if found {
                        l.reply_containing = None;
                    }
                    found
                });
                if hit || client_w.write_all(&buf[..n]).await.is_err() {
                    return;
                }
                tail = window[window.len().saturating_sub(256)..].to_vec();
            }
        };
        // Either direction ending drops both sockets: the connection is gone for both sides.
        let orphaned = tokio::select! {
            _ = up => false,
            _ = down => false,
            _ = orphan.changed() => true,
        };
        if orphaned {
            // Only the client's side goes; the server's stays open and unanswered, as after a
            // failure the server has not noticed yet, until the server itself ends it.
            drop((client_r, client_w));
            let mut buf = vec![0u8; 64 * 1024];
            while server_r.read(&mut buf).await.unwrap_or(0) > 0 {}
        }
    }

    /// Drops the client's side of every connection, leaving the server's side half-open.
    pub(crate) fn orphan_server_sides(&self) {
        self.orphan.send_modify(|n| *n += 1);
    }

    fn lose_next_request(&self) {
        self.loss.lock().expect("lock").next_request = true;
    }

    fn lose_reply_containing(&self, pattern: &str) {
        self.loss.lock().expect("lock").reply_containing = Some(pattern.as_bytes().to_vec());
    }

    fn dropped(&self) -> usize {
        self.loss.lock().expect("lock").dropped
    }
}

impl Drop for LossyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_ack_send_resolves_and_is_stored_once() {
    let server = Server::start();
    let proxy = LossyProxy::start(&server.addr).await;
    let mut alice = login_on(&server, "alice", &proxy.url, "web").await;
    let mut bob = Client::login(&server, "bob").await;
    alice.clear();

    // The server stores the message and acks it; the ack never reaches alice.
    let text = "ack-lost-7f3a";
    proxy.lose_reply_containing(text);
    let sent = alice.send_text("bob", "C2C", text).await;
    assert_eq!(proxy.dropped(), 1, "the ack was lost");
    assert_eq!(sent["status"], "success");
    let id = sent["ID"].as_str().expect("ID").to_owned();
    alice.wait_state("connected").await;
    let states: Vec<Value> = alice.events_named("netStateChange");
    assert_eq!(
        states.first(),
        Some(&json!({"state": "connecting"})),
        "{states:?}"
    );
    assert_delivered_once(&mut alice, &mut bob, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_request_send_resolves_and_is_stored_once() {
    let server = Server::start();
    let proxy = LossyProxy::start(&server.addr).await;
    let mut alice = login_on(&server, "alice", &proxy.url, "web").await;
    let mut bob = Client::login(&server, "bob").await;
    alice.clear();

    // The request never reaches the server; the connection drops under it.
    proxy.lose_next_request();
    let sent = alice.send_text("bob", "C2C", "request-lost").await;
    assert_eq!(proxy.dropped(), 1, "the request was lost");
    assert_eq!(sent["status"], "success");
    let id = sent["ID"].as_str().expect("ID").to_owned();
    assert_delivered_once(&mut alice, &mut bob, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_whose_ack_is_lost_to_a_server_crash_resolves_once() {
    let mut server = Server::start();
    let proxy = LossyProxy::start(&server.addr).await;
    let alice = login_on(&server, "alice", &proxy.url, "web").await;

    // The server stores the message, its ack is lost, and the server dies right after.
    let text = "crash-ack-91c2";
    proxy.lose_reply_containing(text);
    let m = create_text(&alice, "bob", text);
    let id = m["ID"].as_str().expect("ID").to_owned();
    let chat = alice.chat.clone();
    let send = tokio::spawn(async move { chat.invoke("sendMessage", vec![m]).await });
    eventually("the ack to be lost", || proxy.dropped() == 1).await;
    server.kill9();
    server.restart();
    // The resend of the same ID (to the restarted server, or to the old one if it was quicker
    // than the kill) finds the stored copy.
    let sent = send
        .await
        .expect("send task")
        .expect("the send resolves successfully");
    assert_eq!(sent["message"]["ID"], id);
    assert_eq!(sent["message"]["status"], "success");

    let bob = Client::login(&server, "bob").await;
    assert_eq!(
        count_id(&bob.history("C2Calice").await, &id),
        1,
        "once in bob's history"
    );
    assert_eq!(
        count_id(&alice.history("C2Cbob").await, &id),
        1,
        "once in alice's history"
    );
}
