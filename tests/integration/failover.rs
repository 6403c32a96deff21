//! Tests: failover between server addresses. A client given several addresses
//! (`ws://A,ws://B`) logs in through the first that answers; when its node is killed it
//! reconnects to another by itself, resyncs, and gets every message exactly once.
//!
//! Two SQLite servers must never share a data dir, so "another node" here is a second
//! `pigeon-server` started on B's port over A's data dir once A is dead: the same users,
//! inboxes and credentials behind a different address, which is what a client of a
//! scale-out deployment sees when its node dies.

use pigeon_proto::error::code;
use pigeon_tests::*;
use serde_json::{json, Value};
use std::collections::HashSet;

/// A loopback address with nothing listening on it (yet).
fn unused_addr() -> String {
    format!("127.0.0.1:{}", free_port())
}

async fn login_with(server: &Server, user: &str, url: &str) -> Client {
    let opts = ClientOpts {
        url: url.to_owned(),
        data_dir: None,
        platform: "web".into(),
    };
    let mut c = Client::with(server, user, opts);
    c.login_ready(server).await;
    c
}

fn create_text(c: &Client, to: &str, text: &str) -> Value {
    c.chat
        .create_text_message(
            json!({"to": to, "conversationType": "C2C", "payload": {"text": text}}),
        )
        .map(|m| serde_json::to_value(m).expect("message json"))
        .expect("createTextMessage")
}

/// Sends `text` from `c` until the server has stored it. A send made while the SDK is still
/// reconnecting waits for the connection; should the SDK have given up waiting (its state
/// went to `disconnected` before the new node was up), the same message (same ID) is resent
/// once connected, which the server stores at most once.
async fn send_surely(c: &mut Client, to: &str, text: &str) {
    let m = create_text(c, to, text);
    let first = c.call("sendMessage", vec![m.clone()]).await;
    match first {
        Ok(_) => {}
        Err(e) if e.code == code::NETWORK_ERROR || e.code == code::NETWORK_TIMEOUT => {
            c.wait_state("connected").await;
            c.ok("resendMessage", vec![m]).await;
        }
        Err(e) => panic!("{} sendMessage {text:?}: {e}", c.user),
    }
}

fn assert_once_each(who: &str, got: &[String], expected: &[String]) {
    let mut seen = HashSet::new();
    for t in got {
        assert!(
            seen.insert(t),
            "{who} received {t:?} more than once: {got:?}"
        );
    }
    assert_eq!(got, expected, "{who} receives every message once, in order");
}

fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

/// The netStateChange states after a loss: first `connecting`, last `connected` (with
/// `disconnected` in between when the new node took several rounds to come up).
fn assert_reconnected(c: &mut Client) {
    let states = c.net_states();
    assert_eq!(
        states.first().map(String::as_str),
        Some("connecting"),
        "{}: states {states:?}",
        c.user
    );
    assert_eq!(
        states.last().map(String::as_str),
        Some("connected"),
        "{}: states {states:?}",
        c.user
    );
    let names = c.names();
    assert!(
        !names
            .iter()
            .any(|n| n == "kickedOut" || n == "sdkStateNotReady"),
        "{}: a failover is not a logout: {names:?}",
        c.user
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_node_moves_its_clients_to_the_next_address_without_loss_or_duplicates() {
    let mut node_a = Server::start();
    let b_addr = unused_addr();
    let b_url = format!("ws://{b_addr}");
    let urls = format!("{},{b_url}", node_a.url());
    let mut alice = login_with(&node_a, "alice", &urls).await;
    let mut bob = login_with(&node_a, "bob", &urls).await;
    assert_eq!(alice.chat.current_server_url(), node_a.url());
    assert_eq!(bob.chat.current_server_url(), node_a.url());

    // Traffic both ways on node A.
    let before = numbered("before", 3);
    for t in &before {
        bob.send_text("alice", "C2C", t).await;
    }
    alice.send_text("bob", "C2C", "hello-bob").await;
    alice.wait_text("before-3").await;
    bob.wait_text("hello-bob").await;
    assert_once_each("alice", &alice.seen_texts(), &before);
    alice.clear();
    bob.clear();

    node_a.kill9();
    alice.wait_state("connecting").await;
    bob.wait_state("connecting").await;
    // Node B comes up on its own address, over the same data (A is dead, so one process only).
    let node_b = Server::start_at(&b_addr, &node_a.dir);

    // Bob sends while both are still reconnecting (the sends wait for bob's connection).
    let during = numbered("during", 5);
    for t in &during {
        send_surely(&mut bob, "alice", t).await;
    }
    alice.wait_state("connected").await;
    bob.wait_state("connected").await;
    assert_eq!(alice.chat.current_server_url(), b_url, "alice is on node B");
    assert_eq!(bob.chat.current_server_url(), b_url, "bob is on node B");

    // Pushes flow on node B both ways; the marker comes after everything sent before it.
    alice.send_text("bob", "C2C", "hello-again-bob").await;
    bob.wait_text("hello-again-bob").await;
    bob.send_text("alice", "C2C", "marker").await;
    alice.wait_text("marker").await;

    let mut expected = during.clone();
    expected.push("marker".into());
    assert_once_each("alice", &alice.seen_texts(), &expected);
    assert_once_each("bob", &bob.seen_texts(), &["hello-again-bob".to_owned()]);
    let mut history = before.clone();
    history.push("hello-bob".into());
    history.extend(during);
    history.extend(["hello-again-bob".to_owned(), "marker".to_owned()]);
    assert_eq!(
        alice.history_texts("C2Cbob").await,
        history,
        "the whole conversation, once, on node B"
    );
    assert_reconnected(&mut alice);
    assert_reconnected(&mut bob);
    drop(node_b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_stored_while_a_client_is_between_nodes_arrive_by_resync() {
    let mut node_a = Server::start();
    let b_addr = unused_addr();
    // Alice reaches node B through a proxy held shut, so she is still reconnecting while bob,
    // already on node B, sends: those messages can only reach her by the resync.
    let proxy = Proxy::start(&b_addr).await;
    proxy.cut();
    let mut alice = login_with(&node_a, "alice", &format!("{},{}", node_a.url(), proxy.url)).await;
    let mut bob = login_with(&node_a, "bob", &format!("{},ws://{b_addr}", node_a.url())).await;
    bob.send_text("alice", "C2C", "before").await;
    alice.wait_text("before").await;
    alice.clear();
    bob.clear();

    node_a.kill9();
    alice.wait_state("connecting").await;
    let node_b = Server::start_at(&b_addr, &node_a.dir);
    bob.wait_state("connected").await;
    assert_eq!(bob.chat.current_server_url(), format!("ws://{b_addr}"));
    let missed = numbered("missed", 5);
    for t in &missed {
        bob.send_text("alice", "C2C", t).await;
    }
    assert!(
        alice.seen_texts().is_empty(),
        "alice has no connection yet: {:?}",
        alice.seen_texts()
    );

    proxy.restore();
    alice.wait_state("connected").await;
    assert_eq!(alice.chat.current_server_url(), proxy.url);
    bob.send_text("alice", "C2C", "marker").await;
    alice.wait_text("marker").await;
    let mut expected = missed.clone();
    expected.push("marker".into());
    assert_once_each("alice", &alice.seen_texts(), &expected);
    assert_reconnected(&mut alice);
    drop(node_b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_login_skips_an_address_that_does_not_answer() {
    let server = Server::start();
    let dead = format!("ws://{}", unused_addr());
    let urls = format!("{dead} , {}", server.url());
    let mut alice = login_with(&server, "alice", &urls).await;
    assert_eq!(alice.chat.current_server_url(), server.url());
    let mut bob = Client::login(&server, "bob").await;
    alice
        .send_text("bob", "C2C", "through the second address")
        .await;
    bob.wait_text("through the second address").await;
    bob.send_text("alice", "C2C", "back").await;
    alice.wait_text("back").await;
    assert_once_each("alice", &alice.seen_texts(), &["back".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_login_with_no_address_answering_fails_with_a_network_error() {
    let server = Server::start();
    let urls = format!("ws://{},ws://{}", unused_addr(), unused_addr());
    let alice = Client::with(
        &server,
        "alice",
        ClientOpts {
            url: urls,
            data_dir: None,
            platform: "web".into(),
        },
    );
    let e = alice
        .chat
        .login("alice", &server.sig("alice"))
        .await
        .expect_err("no server answers");
    assert_eq!(e.code, code::NETWORK_ERROR, "{e}");
    assert_eq!(alice.chat.get_login_user(), "");
}
