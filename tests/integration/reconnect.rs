//! Tests: reconnect. A client that loses its connection (network cut, server killed) gets it
//! back by itself, reports it with netStateChange, and then receives exactly what it missed:
//! every message once, in inbox order.

use pigeon_tests::*;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};

/// Every recorded event of `c`, in order, without consuming any.
fn event_log(c: &mut Client) -> Vec<(String, Value)> {
    let names = c.names();
    let mut by_name: HashMap<String, VecDeque<Value>> = HashMap::new();
    for n in &names {
        if !by_name.contains_key(n) {
            by_name.insert(n.clone(), c.events_named(n).into());
        }
    }
    names
        .into_iter()
        .map(|n| {
            let data = by_name
                .get_mut(&n)
                .and_then(VecDeque::pop_front)
                .expect("every name has its data");
            (n, data)
        })
        .collect()
}

/// Texts of every message delivered by onMessageReceived so far, in order (not consumed).
fn received_texts(c: &mut Client) -> Vec<String> {
    c.events_named("onMessageReceived")
        .iter()
        .flat_map(|d| {
            d.as_array()
                .cloned()
                .expect("onMessageReceived carries Message[]")
        })
        .map(|m| m["payload"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Waits until `c` has received a message with text `text`.
async fn wait_text(c: &mut Client, text: &str) {
    let what = format!("{} to receive {text:?}", c.user);
    eventually(&what, || received_texts(c).iter().any(|t| t == text)).await;
}

/// The netStateChange states `c` reported, in order.
fn net_states(c: &mut Client) -> Vec<String> {
    c.events_named("netStateChange")
        .iter()
        .map(|d| {
            d["state"]
                .as_str()
                .expect("netStateChange carries a state")
                .to_owned()
        })
        .collect()
}

/// Waits until `c` has reported netStateChange `state` (without consuming the event).
async fn wait_state(c: &mut Client, state: &str) {
    let what = format!("{} to report netStateChange {state}", c.user);
    eventually(&what, || net_states(c).iter().any(|s| s == state)).await;
}

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

/// The whole history of a conversation, oldest first, read page by page.
async fn history_texts(c: &Client, conv_id: &str) -> Vec<String> {
    let mut all: Vec<Value> = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut opts = json!({ "conversationID": conv_id });
        if let Some(id) = &next {
            opts["nextReqMessageID"] = json!(id);
        }
        let page = c.ok("getMessageList", vec![opts]).await;
        let list = page["messageList"]
            .as_array()
            .cloned()
            .expect("messageList");
        all.splice(0..0, list);
        if page["isCompleted"] == json!(true) {
            break;
        }
        next = Some(
            page["nextReqMessageID"]
                .as_str()
                .expect("nextReqMessageID")
                .to_owned(),
        );
    }
    all.iter()
        .map(|m| m["payload"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
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
    wait_state(&mut bob, "connecting").await;
    let sent = numbered("while-cut", 5);
    for t in &sent {
        alice.send_text("bob", "C2C", t).await;
    }
    proxy.restore();
    wait_state(&mut bob, "connected").await;
    eventually("bob to receive the 5 missed messages", || {
        received_texts(&mut bob).len() >= 5
    })
    .await;
    eventually("bob's unread count for alice to reach 5", || {
        unread(&bob, "C2Calice") == 5
    })
    .await;
    assert_eq!(
        history_texts(&bob, "C2Calice").await,
        sent,
        "bob's history after the reconnect"
    );

    // Marker: anything still in flight from before it would arrive before it.
    alice.send_text("bob", "C2C", "marker").await;
    wait_text(&mut bob, "marker").await;
    let mut expected = sent.clone();
    expected.push("marker".into());
    let got = received_texts(&mut bob);
    assert_no_duplicates("bob", &got);
    assert_eq!(
        got, expected,
        "bob receives the missed messages, in order, once"
    );

    // The connection came back before the missed messages were reported.
    let log = event_log(&mut bob);
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
    let states = net_states(&mut bob);
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
        history_texts(&bob, "C2Calice").await,
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
    wait_state(&mut bob, "connecting").await;
    for t in numbered("unread", 5) {
        alice.send_text("bob", "C2C", &t).await;
    }
    proxy.restore();
    wait_state(&mut bob, "connected").await;
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
    wait_text(&mut bob, "before-a").await;
    bob.send_text("alice", "C2C", "before-b").await;
    wait_text(&mut alice, "before-b").await;
    alice.clear();
    bob.clear();

    server.restart();
    for c in [&mut alice, &mut bob] {
        wait_state(c, "connected").await;
        let states = net_states(c);
        assert_eq!(
            states.first().map(String::as_str),
            Some("connecting"),
            "{}: {states:?}",
            c.user
        );
    }
    alice.send_text("bob", "C2C", "after-a").await;
    bob.send_text("alice", "C2C", "after-b").await;
    wait_text(&mut bob, "after-a").await;
    wait_text(&mut alice, "after-b").await;

    assert_eq!(
        received_texts(&mut alice),
        ["after-b"],
        "alice gets nothing from before again"
    );
    assert_eq!(
        received_texts(&mut bob),
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
        history_texts(&bob, "C2Calice").await,
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
    wait_text(&mut bob, "marker").await;
    let mut expected = sent.clone();
    expected.push("marker".into());
    assert_eq!(received_texts(&mut bob), expected);
    eventually("bob's unread count for alice to reach 31", || {
        unread(&bob, "C2Calice") == 31
    })
    .await;
    assert_eq!(history_texts(&bob, "C2Calice").await, expected);
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
        !received_texts(&mut bob).is_empty()
    })
    .await;
    proxy.cut();
    wait_state(&mut bob, "connecting").await;
    proxy.restore();
    wait_state(&mut bob, "connected").await;
    sender.await.expect("sender task");

    alice.send_text("bob", "C2C", "marker").await;
    wait_text(&mut bob, "marker").await;
    let mut expected = sent.clone();
    expected.push("marker".into());
    let got = received_texts(&mut bob);
    assert_no_duplicates("bob", &got);
    assert_eq!(got, expected);
    eventually("bob's unread count for alice to reach 31", || {
        unread(&bob, "C2Calice") == 31
    })
    .await;
    assert_eq!(history_texts(&bob, "C2Calice").await, expected);
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
    wait_text(&mut bob, "marker").await;
    let mut expected = sent.clone();
    expected.push("marker".into());
    let got = received_texts(&mut bob);
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
    wait_state(&mut bob, "disconnected").await;
    assert!(
        !bob.chat.get_login_user().is_empty(),
        "still logged in while disconnected"
    );
    proxy.restore();
    wait_state(&mut bob, "connected").await;
    wait_text(&mut bob, "during the outage").await;
    let states = net_states(&mut bob);
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
    assert_eq!(received_texts(&mut bob), ["during the outage"]);
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
    wait_text(&mut bob, "a-end").await;
    wait_text(&mut alice, "b-end").await;

    let mut want_bob = from_alice.clone();
    want_bob.push("a-end".into());
    let mut want_alice = from_bob.clone();
    want_alice.push("b-end".into());
    assert_eq!(
        received_texts(&mut bob),
        want_bob,
        "bob gets alice's messages, and only them"
    );
    assert_eq!(
        received_texts(&mut alice),
        want_alice,
        "alice gets bob's messages, and only them"
    );
    let history = history_texts(&alice, "C2Cbob").await;
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
    wait_text(&mut bob, "before").await;

    // Bob's side of the connection dies; the server's side lingers, so the server goes on
    // pushing into it until bob's reconnect (same SDK instance) replaces it.
    proxy.orphan_server_sides();
    let sent = numbered("half-open", 5);
    for t in &sent {
        alice.send_text("bob", "C2C", t).await;
    }
    wait_state(&mut bob, "connected").await;
    alice.send_text("bob", "C2C", "marker").await;
    wait_text(&mut bob, "marker").await;

    let mut expected = vec!["before".to_owned()];
    expected.extend(sent);
    expected.push("marker".into());
    assert_eq!(received_texts(&mut bob), expected);
    let names = bob.names();
    assert!(
        !names
            .iter()
            .any(|n| n == "kickedOut" || n == "sdkStateNotReady"),
        "{names:?}"
    );
    assert_eq!(
        net_states(&mut bob).first().map(String::as_str),
        Some("connecting")
    );
}
