//! Offline delivery: what was sent while a user was away is there when they come back, in
//! order and once.

use pigeon_tests::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_while_offline_are_there_on_a_new_device() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    for i in 0..5 {
        alice
            .send_text("bob", "C2C", &format!("while away {i}"))
            .await;
    }
    let bob = Client::login(&server, "bob").await;
    let list = bob.ok("getConversationList", vec![]).await;
    let c = &list["conversationList"][0];
    assert_eq!(c["conversationID"], "C2Calice");
    assert_eq!(c["unreadCount"], 5);
    assert_eq!(c["lastMessage"]["messageForShow"], "while away 4");
    assert_eq!(bob.ok("getTotalUnreadMessageCount", vec![]).await, json!(5));
    let history = bob
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice"})],
        )
        .await;
    let texts: Vec<_> = history["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["payload"]["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    let want: Vec<String> = (0..5).map(|i| format!("while away {i}")).collect();
    assert_eq!(texts, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_device_gets_missed_messages_as_events_once() {
    let server = Server::start();
    let cache = tempfile::tempdir().expect("tempdir");
    let opts = || ClientOpts {
        url: server.url(),
        data_dir: Some(cache.path().to_path_buf()),
        platform: "web".into(),
    };
    let mut bob = Client::with(&server, "bob", opts());
    bob.login_ready(&server).await;
    bob.ok("logout", vec![]).await;
    drop(bob);

    let alice = Client::login(&server, "alice").await;
    for i in 0..3 {
        alice.send_text("bob", "C2C", &format!("missed {i}")).await;
    }
    let mut bob = Client::with(&server, "bob", opts());
    bob.login_ready(&server).await;
    // SDK_READY comes after the sync, so everything missed has been announced by now.
    let got = bob.received_texts().await;
    assert_eq!(got, vec!["missed 0", "missed 1", "missed 2"]);
    alice.send_text("bob", "C2C", "live").await;
    bob.wait_for("onMessageReceived", |_| true).await;
    assert!(
        bob.received_texts().await.is_empty(),
        "nothing announced twice"
    );
    let list = bob.ok("getConversationList", vec![]).await;
    assert_eq!(list["conversationList"][0]["unreadCount"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_messages_reach_members_who_were_offline() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let g = alice
        .ok("createGroup", vec![json!({"name": "team", "type": "Private", "memberList": [{"userID": "bob"}, {"userID": "carol"}]})])
        .await;
    let gid = g["group"]["groupID"].as_str().expect("id").to_owned();
    alice.send_text(&gid, "GROUP", "standup at 10").await;
    let bob = Client::login(&server, "bob").await;
    let conv = bob
        .ok("getConversationProfile", vec![json!(format!("GROUP{gid}"))])
        .await;
    assert_eq!(
        conv["conversation"]["unreadCount"], 1,
        "tips do not count, the message does"
    );
    let history = bob
        .ok(
            "getMessageList",
            vec![json!({"conversationID": format!("GROUP{gid}")})],
        )
        .await;
    let list = history["messageList"].as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["type"], "TIMGroupTipElem");
    assert_eq!(list[0]["payload"]["operationType"], 1);
    assert_eq!(list[1]["payload"]["text"], "standup at 10");
    let groups = bob.ok("getGroupList", vec![]).await;
    assert_eq!(groups["groupList"][0]["groupID"], json!(gid));
}
