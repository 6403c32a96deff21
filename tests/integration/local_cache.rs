//! Tests: local_cache. What a device saw stays on it: a new SDK instance over the same data dir
//! logs in offline with the same UserSig and answers from the cache, then catches up when the
//! server is back.

use pigeon_tests::*;
use serde_json::Value;

use std::path::Path;

fn on_disk(server: &Server, user: &str, dir: &Path) -> Client {
    let opts = ClientOpts {
        url: server.url(),
        data_dir: Some(dir.to_path_buf()),
        platform: "web".into(),
    };
    Client::with(server, user, opts)
}

fn conversation(c: &Client, conv_id: &str) -> Value {
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
        .unwrap_or_else(|| panic!("{} has no conversation {conv_id}: {list}", c.user))
}

/// Bob logs in once online with `sig` over `dir`, receives three messages from alice, and then
/// loses the server (kill9) and his process (the instance stops without telling anyone).
async fn seed_cache(server: &mut Server, alice: &Client, dir: &Path, sig: &str) {
    let mut bob = on_disk(server, "bob", dir);
    bob.chat
        .login("bob", sig)
        .await
        .expect("first login is online");
    bob.wait_event("sdkStateReady").await;
    for t in ["one", "two", "three"] {
        alice.send_text("bob", "C2C", t).await;
    }
    bob.wait_text("three").await;
    eventually("bob's unread count to reach 3", || {
        conversation(&bob, "C2Calice")["unreadCount"] == 3
    })
    .await;
    server.kill9();
    // With the server gone, logout only stops the instance locally, as a process exit would.
    bob.chat.logout().await.expect("local logout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_login_answers_from_cache_then_catches_up() {
    let mut server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let sig = server.sig("bob");
    let mut alice = Client::login(&server, "alice").await;
    seed_cache(&mut server, &alice, dir.path(), &sig).await;
    alice.clear();

    // A new instance over the same data dir, with the server down.
    let mut bob = on_disk(&server, "bob", dir.path());
    let login = bob.chat.login("bob", &sig).await.expect("offline login");
    assert_eq!(login["offline"], true, "login reports offline: {login}");
    assert_eq!(bob.chat.get_login_user(), "bob");
    assert!(!bob.chat.is_ready(), "not ready before the server answered");

    let conv = conversation(&bob, "C2Calice");
    assert_eq!(conv["unreadCount"], 3, "unread from the cache: {conv}");
    assert_eq!(
        conv["lastMessage"]["payload"]["text"], "three",
        "last message from the cache: {conv}"
    );
    assert_eq!(bob.chat.get_total_unread_message_count(), 3);
    assert_eq!(bob.history_texts("C2Calice").await, ["one", "two", "three"]);

    server.restart();
    alice.wait_state("connected").await;
    alice.send_text("bob", "C2C", "four").await;

    bob.wait_state("connected").await;
    bob.wait_event("sdkStateReady").await;
    bob.wait_text("four").await;
    assert_eq!(bob.seen_texts(), ["four"], "only what he missed is new");
    eventually("bob's unread count to reach 4", || {
        conversation(&bob, "C2Calice")["unreadCount"] == 4
    })
    .await;
    assert_eq!(
        bob.history_texts("C2Calice").await,
        ["one", "two", "three", "four"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_comes_only_after_the_offline_instance_connects() {
    let mut server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let sig = server.sig("bob");
    let alice = Client::login(&server, "alice").await;
    seed_cache(&mut server, &alice, dir.path(), &sig).await;

    let mut bob = on_disk(&server, "bob", dir.path());
    let login = bob.chat.login("bob", &sig).await.expect("offline login");
    assert_eq!(login["offline"], true);
    server.restart();
    eventually("bob to become ready", || {
        bob.names().iter().any(|n| n == "sdkStateReady")
    })
    .await;
    assert!(bob.chat.is_ready());
    let log = bob.event_log();
    let connected = log
        .iter()
        .position(|(n, d)| n == "netStateChange" && d["state"] == "connected")
        .expect("a connected netStateChange");
    let ready = log
        .iter()
        .position(|(n, _)| n == "sdkStateReady")
        .expect("sdkStateReady");
    assert!(connected < ready, "connected, then ready: {log:?}");
    assert_eq!(
        log.iter().filter(|(n, _)| n == "sdkStateReady").count(),
        1,
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_login_with_another_sig_fails_with_network_error() {
    let mut server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let sig = server.sig("bob");
    let alice = Client::login(&server, "alice").await;
    seed_cache(&mut server, &alice, dir.path(), &sig).await;

    let other_sig = server.sig_for("bob", 86_400 * 2);
    assert_ne!(other_sig, sig);
    let bob = on_disk(&server, "bob", dir.path());
    let e = bob
        .chat
        .login("bob", &other_sig)
        .await
        .expect_err("offline login with another sig");
    assert_eq!(e.code, 2800, "network error: {e}");
    assert_eq!(bob.chat.get_login_user(), "");
    assert!(!bob.chat.is_ready());
    let e = bob
        .call("getConversationList", vec![])
        .await
        .expect_err("logged out");
    assert_eq!(e.code, 2024, "{e}");

    // The refused attempt changed nothing: the UserSig this device knows still works offline.
    let login = bob
        .chat
        .login("bob", &sig)
        .await
        .expect("offline login with the known sig");
    assert_eq!(login["offline"], true, "{login}");
    assert_eq!(conversation(&bob, "C2Calice")["unreadCount"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_with_a_cache_catches_up_from_its_cursor_after_an_app_restart() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Client::login(&server, "alice").await;
    {
        let mut bob = on_disk(&server, "bob", dir.path());
        bob.login_ready(&server).await;
        alice.send_text("bob", "C2C", "seen").await;
        bob.wait_text("seen").await;
        bob.chat.logout().await.expect("logout");
    }
    // While bob's app is closed.
    for t in ["missed-1", "missed-2"] {
        alice.send_text("bob", "C2C", t).await;
    }
    // Not a fresh device: it resumes from its cursor, so what it missed is new to it.
    let mut bob = on_disk(&server, "bob", dir.path());
    bob.login_ready(&server).await;
    bob.wait_text("missed-2").await;
    alice.send_text("bob", "C2C", "live").await;
    bob.wait_text("live").await;
    assert_eq!(bob.seen_texts(), ["missed-1", "missed-2", "live"]);
    assert_eq!(
        bob.history_texts("C2Calice").await,
        ["seen", "missed-1", "missed-2", "live"]
    );
}
