//! Tests: reconnect. A client that loses its connection (network cut, server killed) gets it
//! back by itself, reports it with netStateChange, and then receives exactly what it missed:
//! every message once, in inbox order.

use pigeon_tests::*;
use serde_json::{json, Value};
use std::collections::HashSet;

fn conversation(c: &Client, conv_id: &str) -> Option<Value> {
    let list = c
        .chat
        .get_conversation_list(Value::Null)
        .expect("getConversationList");
    list["conversationList"]
        .as_array()
        .expect("conversationList")
        .iter()
        .find(|x| x["conversationID"] == conv_id)
        .cloned()
}

fn unread(c: &Client, conv_id: &str) -> u64 {
    conversation(c, conv_id)
        .and_then(|x| x["unreadCount"].as_u64())
        .unwrap_or(0)
}

fn assert_no_duplicates(who: &str, texts: &[String]) {
    let mut seen = HashSet::new();
    for t in texts {
        assert!(
            seen.insert(t),
            "{who} received {t:?} more than once: {texts:?}"
        );
    }
}

fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

async fn via_proxy(server: &Server, proxy: &Proxy, user: &str) -> Client {
    let opts = ClientOpts {
        url: proxy.url.clone(),
        data_dir: None,
        platform: "web".into(),
    };
    let mut c = Client::with(server, user, opts);
    c.login_ready(server).await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_cut_then_restore_delivers_what_was_missed_once_in_order() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let alice = Client::login(&server, "alice").await;
    let mut bob = via_proxy(&server, &proxy, "bob").await;
    bob.clear();

    proxy.cut();
    bob.wait_state("connecting").await;
    let sent = numbered("while-cut", 5);
    for t in &sent {
        alice.send_text("bob", "C2C", t).await;
    }
    proxy.restore();
    bob.wait_state("connected").await;
    eventually("bob to receive the 5 missed messages", || {
        bob.seen_texts().len() >= 5
    })
    .await;
    eventually("bob's unread count for alice to reach 5", || {
        unread(&bob, "C2Calice") == 5
    })
    .await;
    assert_eq!(
        bob.history_texts("C2Calice").await,
        sent,
        "bob's history after the reconnect"
    );

    // Marker: anything still in flight from before it would arrive before it.
    alice.send_text("bob", "C2C", "marker").await;
    bob.wait_text("marker").await;
    let mut expected = sent.clone();
    expected.push("marker".into());
    let got = bob.seen_texts();
    assert_no_duplicates("bob", &got);
    assert_eq!(
        got, expected,
        "bob receives the missed messages, in order, once"
    );

    // The connection came back before the missed messages were reported.
    let log = bob.event_log();
    let connected = log
        .iter()
        .position(|(n, d)| n == "netStateChange" && d["state"] == "connected")
        .expect("a connected netStateChange");
    let first_message = log
        .iter()
        .position(|(n, _)| n == "onMessageReceived")
        .expect("an onMessageReceived");
    assert!(
        connected < first_message,
        "connected is reported before the missed messages: {log:?}"
    );
    let states = bob.net_states();
    assert_eq!(
        states.first().map(String::as_str),
        Some("connecting"),
        "states: {states:?}"
    );
    assert_eq!(
        states.last().map(String::as_str),
        Some("connected"),
        "states: {states:?}"
    );

    eventually("bob's unread count for alice to reach 6", || {
        unread(&bob, "C2Calice") == 6
    })
    .await;
    assert_eq!(
        bob.history_texts("C2Calice").await,
        expected,
        "bob's history"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_count_after_reconnect_counts_missed_messages() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let alice = Client::login(&server, "alice").await;
    let mut bob = via_proxy(&server, &proxy, "bob").await;
    bob.clear();

    proxy.cut();
    bob.wait_state("connecting").await;
    for t in numbered("unread", 5) {
        alice.send_text("bob", "C2C", &t).await;
    }
    proxy.restore();
    bob.wait_state("connected").await;
    bob.wait_for("onTotalUnreadMessageCountUpdated", |d| d == &json!(5))
        .await;
    eventually("bob's unread count for alice to reach 5", || {
        unread(&bob, "C2Calice") == 5
    })
    .await;
    assert_eq!(bob.chat.get_total_unread_message_count(), 5);
    let conv = conversation(&bob, "C2Calice").expect("bob has a conversation with alice");
    assert_eq!(
        conv["lastMessage"]["payload"]["text"], "unread-5",
        "last message: {conv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_reconnects_both_clients_without_duplicates() {
    let mut server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    alice.send_text("bob", "C2C", "before-a").await;
    bob.wait_text("before-a").await;
    bob.send_text("alice", "C2C", "before-b").await;
    alice.wait_text("before-b").await;
    alice.clear();
    bob.clear();

    server.restart();
    for c in [&mut alice, &mut bob] {
        c.wait_state("connected").await;
        let states = c.net_states();
        assert_eq!(
            states.first().map(String::as_str),
            Some("connecting"),
            "{}: {states:?}",
            c.user
        );
    }
    alice.send_text("bob", "C2C", "after-a").await;
    bob.send_text("alice", "C2C", "after-b").await;
    bob.wait_text("after-a").await;
    alice.wait_text("after-b").await;

    assert_eq!(
        alice.seen_texts(),
        ["after-b"],
        "alice gets nothing from before again"
    );
    assert_eq!(
        bob.seen_texts(),
        ["after-a"],
        "bob gets nothing from before again"
    );
    for c in [&mut alice, &mut bob] {
        let names = c.names();
        assert!(
            !names.iter().any(|n| n == "kickedOut"),
            "{}: {names:?}",
            c.user
        );
        assert!(
            !names.iter().any(|n| n == "sdkStateNotReady"),
            "{}: {names:?}",
            c.user
        );
    }
    assert_eq!(
        bob.history_texts("C2Calice").await,
        ["before-a", "before-b", "after-a", "after-b"],
        "history survives the restart, once each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_messages_arrive_all_in_order_once() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let sent = numbered("rapid", 30);
    for t in &sent {
        alice.send_text("bob", "C2C", t).await;
    }
    alice.send_text("bob", "C2C", "marker").await;
    bob.wait_text("marker").await;
    let mut expected = sent.clone();
    expected.push("marker".into());
    assert_eq!(bob.seen_texts(), expected);
    eventually("bob's unread count for alice to reach 31", || {
        unread(&bob, "C2Calice") == 31
    })
    .await;
    assert_eq!(bob.history_texts("C2Calice").await, expected);
}

/// Sends `texts` from `chat` to `to`, one after another, in a task.
fn spawn_sender(
    chat: pigeon_sdk::Chat,
    to: &str,
    texts: Vec<String>,
) -> tokio::task::JoinHandle<()> {
    let to = to.to_owned();
    tokio::spawn(async move {
        for t in texts {
            let m = chat
                .invoke(
                    "createTextMessage",
                    vec![json!({"to": to, "conversationType": "C2C", "payload": {"text": t}})],
                )
                .await
                .expect("createTextMessage");
            chat.invoke("sendMessage", vec![m])
                .await
                .expect("sendMessage");
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_messages_across_a_reconnect_arrive_all_in_order_once() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let alice = Client::login(&server, "alice").await;
    let mut bob = via_proxy(&server, &proxy, "bob").await;
    let sent = numbered("racing", 30);
    let sender = spawn_sender(alice.chat.clone(), "bob", sent.clone());

    // Cut bob off while alice is still sending, and let him back while she still is (or just
    // after): his resync races with her live pushes.
    eventually("bob to receive some messages", || {
        !bob.seen_texts().is_empty()
    })
    .await;
    proxy.cut();
    bob.wait_state("connecting").await;
    proxy.restore();
    bob.wait_state("connected").await;
    sender.await.expect("sender task");

    alice.send_text("bob", "C2C", "marker").await;
    bob.wait_text("marker").await;
    let mut expected = sent.clone();
    expected.push("marker".into());
    let got = bob.seen_texts();
    assert_no_duplicates("bob", &got);
    assert_eq!(got, expected);
    eventually("bob's unread count for alice to reach 31", || {
        unread(&bob, "C2Calice") == 31
    })
    .await;
    assert_eq!(bob.history_texts("C2Calice").await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_reads_racing_pushes_do_not_swallow_new_messages() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let sent = numbered("read-race", 30);
    let sender = spawn_sender(alice.chat.clone(), "bob", sent.clone());

    // Bob keeps the conversation open (reading its history) while the messages come in: every
    // one is still a new message for him.
    while !sender.is_finished() {
        bob.ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice"})],
        )
        .await;
    }
    sender.await.expect("sender task");
    alice.send_text("bob", "C2C", "marker").await;
    bob.wait_text("marker").await;
    let mut expected = sent.clone();
    expected.push("marker".into());
    let got = bob.seen_texts();
    assert_no_duplicates("bob", &got);
    assert_eq!(
        got, expected,
        "every new message is reported once, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_outage_reports_disconnected_then_recovers() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let alice = Client::login(&server, "alice").await;
    let mut bob = via_proxy(&server, &proxy, "bob").await;
    bob.clear();

    proxy.cut();
    alice.send_text("bob", "C2C", "during the outage").await;
    // Several failed attempts in a row: the state turns from connecting to disconnected.
    bob.wait_state("disconnected").await;
    assert!(
        !bob.chat.get_login_user().is_empty(),
        "still logged in while disconnected"
    );
    proxy.restore();
    bob.wait_state("connected").await;
    bob.wait_text("during the outage").await;
    let states = bob.net_states();
    assert_eq!(
        states,
        ["connecting", "disconnected", "connected"],
        "states: {states:?}"
    );
    let names = bob.names();
    assert!(
        !names
            .iter()
            .any(|n| n == "sdkStateNotReady" || n == "kickedOut"),
        "{names:?}"
    );
    assert_eq!(bob.seen_texts(), ["during the outage"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sides_sending_at_once_each_receive_the_other_in_order_once() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    // Each side's own sends and the other side's pushes interleave in its inbox, so replies
    // and pushes race to fill it in order.
    let from_alice = numbered("a", 25);
    let from_bob = numbered("b", 25);
    let a = spawn_sender(alice.chat.clone(), "bob", from_alice.clone());
    let b = spawn_sender(bob.chat.clone(), "alice", from_bob.clone());
    a.await.expect("alice's sender");
    b.await.expect("bob's sender");
    alice.send_text("bob", "C2C", "a-end").await;
    bob.send_text("alice", "C2C", "b-end").await;
    bob.wait_text("a-end").await;
    alice.wait_text("b-end").await;

    let mut want_bob = from_alice.clone();
    want_bob.push("a-end".into());
    let mut want_alice = from_bob.clone();
    want_alice.push("b-end".into());
    assert_eq!(
        bob.seen_texts(),
        want_bob,
        "bob gets alice's messages, and only them"
    );
    assert_eq!(
        alice.seen_texts(),
        want_alice,
        "alice gets bob's messages, and only them"
    );
    let history = alice.history_texts("C2Cbob").await;
    assert_eq!(history.len(), 52, "every message once: {history:?}");
    for (who, sent) in [("alice", &want_bob), ("bob", &want_alice)] {
        let in_history: Vec<&String> = history.iter().filter(|t| sent.contains(t)).collect();
        assert_eq!(
            in_history,
            sent.iter().collect::<Vec<_>>(),
            "{who}'s messages in order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_while_the_server_still_holds_the_dead_connection() {
    let server = Server::start();
    let proxy = crate::durability::LossyProxy::start(&server.addr).await;
    let alice = Client::login(&server, "alice").await;
    let opts = ClientOpts {
        url: proxy.url.clone(),
        data_dir: None,
        platform: "web".into(),
    };
    let mut bob = Client::with(&server, "bob", opts);
    bob.login_ready(&server).await;
    bob.clear();
    alice.send_text("bob", "C2C", "before").await;
    bob.wait_text("before").await;

    // Bob's side of the connection dies; the server's side lingers, so the server goes on
    // pushing into it until bob's reconnect (same SDK instance) replaces it.
    proxy.orphan_server_sides();
    let sent = numbered("half-open", 5);
    for t in &sent {
        alice.send_text("bob", "C2C", t).await;
    }
    bob.wait_state("connected").await;
    alice.send_text("bob", "C2C", "marker").await;
    bob.wait_text("marker").await;

    let mut expected = vec!["before".to_owned()];
    expected.extend(sent);
    expected.push("marker".into());
    assert_eq!(bob.seen_texts(), expected);
    let names = bob.names();
    assert!(
        !names
            .iter()
            .any(|n| n == "kickedOut" || n == "sdkStateNotReady"),
        "{names:?}"
    );
    assert_eq!(
        bob.net_states().first().map(String::as_str),
        Some("connecting")
    );
}
