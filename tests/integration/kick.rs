//! Tests: kick. Logins of one user on several instances: the per-platform limit kicks the
//! oldest (multipleAccount), an expired UserSig ends the session (userSigExpired), logout ends
//! only its own instance, and a user's other instances see what this one sends.

use pigeon_tests::*;
use serde_json::{json, Value};

async fn login_on(server: &Server, user: &str, platform: &str) -> Client {
    let opts = ClientOpts {
        url: server.url(),
        data_dir: None,
        platform: platform.into(),
    };
    let mut c = Client::with(server, user, opts);
    c.login_ready(server).await;
    c
}

/// Waits for `c` to be kicked with `kind`; asserts SDK_NOT_READY came first and only once.
async fn assert_kicked(c: &mut Client, kind: &str) {
    let what = format!("{} to be kicked out", c.user);
    eventually(&what, || c.names().iter().any(|n| n == "kickedOut")).await;
    let log = c.event_log();
    let kicks: Vec<&Value> = log
        .iter()
        .filter(|(n, _)| n == "kickedOut")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        kicks,
        [&json!({ "type": kind })],
        "one kick, with its reason: {log:?}"
    );
    let not_ready = log.iter().position(|(n, _)| n == "sdkStateNotReady");
    let kicked = log.iter().position(|(n, _)| n == "kickedOut");
    assert!(
        not_ready.is_some() && not_ready < kicked,
        "sdkStateNotReady, then kickedOut: {log:?}"
    );
    assert_eq!(
        log.iter().filter(|(n, _)| n == "sdkStateNotReady").count(),
        1,
        "{log:?}"
    );
    assert_eq!(
        c.chat.get_login_user(),
        "",
        "a kicked instance is logged out"
    );
    assert!(!c.chat.is_ready());
}

/// `c` is still logged in and was never told otherwise.
fn assert_untouched(c: &mut Client) {
    let names = c.names();
    for bad in ["kickedOut", "sdkStateNotReady"] {
        assert!(
            !names.iter().any(|n| n == bad),
            "{} got {bad}: {names:?}",
            c.user
        );
    }
    assert!(c.chat.is_ready(), "{} is still ready", c.user);
    let states = c.events_named("netStateChange");
    assert!(
        states.iter().all(|d| d["state"] == "connected"),
        "{}'s connection was never disturbed: {states:?}",
        c.user
    );
}

/// `bob` and `c` (an alice instance) exchange a message both ways.
async fn assert_chats(c: &mut Client, bob: &mut Client, tag: &str) {
    let to_bob = format!("{tag}: alice to bob");
    let to_alice = format!("{tag}: bob to alice");
    c.send_text("bob", "C2C", &to_bob).await;
    bob.wait_text(&to_bob).await;
    bob.send_text("alice", "C2C", &to_alice).await;
    c.wait_text(&to_alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_login_on_the_same_platform_kicks_the_first() {
    let server = Server::start();
    let mut bob = Client::login(&server, "bob").await;
    let mut first = Client::login(&server, "alice").await;
    let unsent = first
        .ok(
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "too late"}})],
        )
        .await;
    let mut second = Client::login(&server, "alice").await;

    assert_kicked(&mut first, "multipleAccount").await;
    let e = first
        .call("sendMessage", vec![unsent])
        .await
        .expect_err("kicked instance cannot send");
    assert_eq!(e.code, 2024, "not logged in: {e}");

    assert_chats(&mut second, &mut bob, "after the kick").await;
    assert_untouched(&mut second);
    // The kicked instance stays out: it neither reconnects nor hears of new messages.
    let names = first.names();
    assert!(
        !names.iter().any(|n| n == "sdkStateReady"),
        "kicked instance came back: {names:?}"
    );
    assert!(
        first.received_messages().is_empty(),
        "kicked instance received messages"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_of_two_per_platform_kicks_the_oldest_of_three() {
    let server = Server::start_with(&["--max-logins-per-platform", "2"]);
    let mut bob = Client::login(&server, "bob").await;
    let mut one = Client::login(&server, "alice").await;
    let mut two = Client::login(&server, "alice").await;

    // Two web instances coexist, and both hear what bob sends.
    bob.send_text("alice", "C2C", "to both").await;
    one.wait_text("to both").await;
    two.wait_text("to both").await;
    assert_untouched(&mut one);
    assert_untouched(&mut two);

    let mut three = Client::login(&server, "alice").await;
    assert_kicked(&mut one, "multipleAccount").await;
    assert_chats(&mut three, &mut bob, "third").await;
    two.wait_text("third: bob to alice").await;
    assert_untouched(&mut two);
    assert_untouched(&mut three);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_instances_of_the_sender_receive_its_messages() {
    let server = Server::start();
    let mut bob = Client::login(&server, "bob").await;
    let mut web = login_on(&server, "alice", "web").await;
    let mut desktop = login_on(&server, "alice", "desktop").await;

    let sent = web.send_text("bob", "C2C", "from web").await;
    let id = sent["ID"].as_str().expect("ID").to_owned();
    desktop.wait_text("from web").await;
    let copies: Vec<Value> = desktop
        .received_messages()
        .into_iter()
        .filter(|m| m["ID"] == id)
        .collect();
    assert_eq!(copies.len(), 1, "desktop gets it once: {copies:?}");
    assert_eq!(copies[0]["flow"], "out", "{}", copies[0]);
    assert_eq!(copies[0]["conversationID"], "C2Cbob", "{}", copies[0]);
    assert_eq!(copies[0]["from"], "alice");

    // Anything for web sent before bob's marker would have arrived before it.
    bob.wait_text("from web").await;
    bob.send_text("alice", "C2C", "marker").await;
    web.wait_text("marker").await;
    let web_got: Vec<String> = web
        .received_messages()
        .iter()
        .map(|m| text_of(m).to_owned())
        .collect();
    assert_eq!(
        web_got,
        ["marker"],
        "the sending instance gets no event for its own message"
    );
    desktop.wait_text("marker").await;
    assert_untouched(&mut web);
    assert_untouched(&mut desktop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_usersig_kicks_out_with_usersig_expired() {
    let server = Server::start();
    let mut alice = Client::new(&server, "alice");
    let sig = server.sig_for("alice", 3);
    alice
        .chat
        .login("alice", &sig)
        .await
        .expect("login with a 3 s UserSig");
    alice.wait_event("sdkStateReady").await;
    assert_kicked(&mut alice, "userSigExpired").await;
    let e = alice
        .call("getConversationList", vec![])
        .await
        .expect_err("logged out");
    assert_eq!(e.code, 2024, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_only_its_own_instance() {
    let server = Server::start();
    let mut bob = Client::login(&server, "bob").await;
    let mut web = login_on(&server, "alice", "web").await;
    let mut desktop = login_on(&server, "alice", "desktop").await;
    desktop.clear();

    web.chat.logout().await.expect("logout");
    web.wait_event("sdkStateNotReady").await;
    assert_eq!(web.chat.get_login_user(), "");
    let names = web.names();
    assert!(
        !names.iter().any(|n| n == "kickedOut"),
        "logout is no kick: {names:?}"
    );

    assert_chats(&mut desktop, &mut bob, "after logout").await;
    assert_untouched(&mut desktop);
    let states = desktop.events_named("netStateChange");
    assert!(
        states.is_empty(),
        "desktop's connection was not disturbed: {states:?}"
    );
    assert!(
        web.received_messages().is_empty(),
        "a logged-out instance receives nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kicked_instance_can_log_in_again() {
    let server = Server::start();
    let mut bob = Client::login(&server, "bob").await;
    let mut first = Client::login(&server, "alice").await;
    let mut second = Client::login(&server, "alice").await;
    assert_kicked(&mut first, "multipleAccount").await;

    first.clear();
    first.login_ready(&server).await;
    assert_kicked(&mut second, "multipleAccount").await;
    assert_chats(&mut first, &mut bob, "back again").await;
    assert_untouched(&mut first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usersig_expiring_while_disconnected_kicks_out_on_reconnect() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let opts = ClientOpts {
        url: proxy.url.clone(),
        data_dir: None,
        platform: "web".into(),
    };
    let mut alice = Client::with(&server, "alice", opts);
    let issued = std::time::SystemTime::now();
    let sig = server.sig_for("alice", 3);
    alice
        .chat
        .login("alice", &sig)
        .await
        .expect("login with a 3 s UserSig");
    alice.wait_event("sdkStateReady").await;
    proxy.cut();
    eventually("alice to notice the cut", || {
        alice
            .events_named("netStateChange")
            .iter()
            .any(|d| d["state"] == "connecting")
    })
    .await;
    // Back only once the UserSig is over (a condition on the clock, not a fixed pause): the
    // server then refuses the reconnect and the SDK must end the session, not retry forever.
    eventually("the UserSig to expire", || {
        issued
            .elapsed()
            .is_ok_and(|d| d > std::time::Duration::from_secs(4))
    })
    .await;
    proxy.restore();
    assert_kicked(&mut alice, "userSigExpired").await;
}
