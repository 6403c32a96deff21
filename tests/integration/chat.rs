//! Text chat end to end: every message kind of the foundation, send options, events,
//! conversation list and unread counts.

use pigeon_tests::*;
use serde_json::{json, Value};

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|m| m["payload"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn conversation<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["conversationList"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["conversationID"] == json!(id)))
        .unwrap_or_else(|| panic!("no conversation {id} in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_chat_with_events_and_unread_counts() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    assert_eq!(alice.ok("getLoginUser", vec![]).await, json!("alice"));
    assert_eq!(bob.ok("isReady", vec![]).await, json!(true));

    let sent = alice.send_text("bob", "C2C", "hello bob").await;
    assert_eq!(sent["status"], "success");
    assert_eq!(sent["flow"], "out");
    assert_eq!(sent["conversationID"], "C2Cbob");
    assert_eq!(sent["sequence"], 1);

    let got = bob.wait_event("onMessageReceived").await;
    assert_eq!(texts(&got), vec!["hello bob"]);
    let m = &got[0];
    assert_eq!(m["from"], "alice");
    assert_eq!(m["to"], "bob");
    assert_eq!(m["flow"], "in");
    assert_eq!(m["conversationID"], "C2Calice");
    assert_eq!(m["conversationType"], "C2C");
    assert_eq!(m["ID"], sent["ID"]);
    assert_eq!(
        bob.wait_event("onTotalUnreadMessageCountUpdated").await,
        json!(1)
    );
    let convs = bob.wait_event("onConversationListUpdated").await;
    assert_eq!(convs[0]["conversationID"], "C2Calice");
    assert_eq!(convs[0]["lastMessage"]["messageForShow"], "hello bob");

    let list = bob.ok("getConversationList", vec![]).await;
    let c = conversation(&list, "C2Calice");
    assert_eq!(c["unreadCount"], 1);
    assert_eq!(c["type"], "C2C");
    assert_eq!(c["userProfile"]["userID"], "alice");
    assert_eq!(bob.ok("getTotalUnreadMessageCount", vec![]).await, json!(1));
    let profile = bob
        .ok("getConversationProfile", vec![json!("C2Calice")])
        .await;
    assert_eq!(
        profile["conversation"]["lastMessage"]["fromAccount"],
        "alice"
    );

    // The sender's own instance gets no MESSAGE_RECEIVED for what it sent.
    bob.send_text("alice", "C2C", "hi alice").await;
    let back = alice.wait_event("onMessageReceived").await;
    assert_eq!(
        texts(&back),
        vec!["hi alice"],
        "alice must not receive her own message"
    );
    let alice_list = alice.ok("getConversationList", vec![]).await;
    assert_eq!(conversation(&alice_list, "C2Cbob")["unreadCount"], 1);

    bob.ok(
        "setMessageRead",
        vec![json!({"conversationID": "C2Calice"})],
    )
    .await;
    assert_eq!(bob.ok("getTotalUnreadMessageCount", vec![]).await, json!(0));
    bob.wait_for("onTotalUnreadMessageCountUpdated", |v| *v == json!(0))
        .await;
    let list = bob.ok("getConversationList", vec![]).await;
    assert_eq!(conversation(&list, "C2Calice")["unreadCount"], 0);

    let history = bob
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice"})],
        )
        .await;
    assert_eq!(
        texts(&history["messageList"]),
        vec!["hello bob", "hi alice"]
    );
    assert_eq!(history["isCompleted"], true);
    assert_eq!(history["nextReqMessageID"], "");
    assert_eq!(history["messageList"][1]["flow"], "out");

    // findMessage answers from the local cache.
    let found = bob.ok("findMessage", vec![sent["ID"].clone()]).await;
    assert_eq!(found["payload"]["text"], "hello bob");
    assert_eq!(
        bob.ok("findMessage", vec![json!("no-such-id")]).await,
        Value::Null
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_list_pages_of_fifteen() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    for i in 0..32 {
        alice.send_text("bob", "C2C", &format!("m{i}")).await;
    }
    let mut all = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut opts = json!({"conversationID": "C2Calice"});
        if let Some(n) = &next {
            opts["nextReqMessageID"] = json!(n);
        }
        let page = bob.ok("getMessageList", vec![opts]).await;
        pages += 1;
        let mut t = texts(&page["messageList"]);
        assert!(t.len() <= 15);
        t.extend(all);
        all = t;
        if page["isCompleted"] == json!(true) {
            assert_eq!(page["nextReqMessageID"], "");
            break;
        }
        next = Some(
            page["nextReqMessageID"]
                .as_str()
                .expect("cursor")
                .to_owned(),
        );
        assert_eq!(
            page["messageList"][0]["ID"],
            json!(next.as_deref().expect("cursor"))
        );
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = (0..32).map(|i| format!("m{i}")).collect();
    assert_eq!(all, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_foundation_message_kind_and_option_is_delivered() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let group = alice
        .ok(
            "createGroup",
            vec![json!({"name": "kinds", "type": "Public", "memberList": [{"userID": "bob"}]})],
        )
        .await;
    let gid = group["group"]["groupID"]
        .as_str()
        .expect("groupID")
        .to_owned();
    bob.wait_for("onGroupListUpdated", |g| {
        g.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    bob.clear();

    let custom = alice
        .ok(
            "createCustomMessage",
            vec![json!({"to": "bob", "conversationType": "C2C",
                "payload": {"data": "dice", "description": "a die", "extension": "6"},
                "cloudCustomData": "ccd-1", "priority": "High", "needReadReceipt": true})],
        )
        .await;
    assert_eq!(custom["type"], "TIMCustomElem");
    assert_eq!(custom["status"], "unSend");
    alice.ok("sendMessage", vec![custom]).await;
    let face = alice
        .ok("createFaceMessage", vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"index": 3, "data": "tt00"}})])
        .await;
    alice.ok("sendMessage", vec![face]).await;
    let loc = alice
        .ok(
            "createLocationMessage",
            vec![json!({"to": "bob", "conversationType": "C2C",
                "payload": {"description": "Shenzhen", "longitude": 113.9, "latitude": 22.5}})],
        )
        .await;
    alice.ok("sendMessage", vec![loc]).await;
    let at = alice
        .ok(
            "createTextAtMessage",
            vec![json!({"to": gid, "conversationType": "GROUP",
                "payload": {"text": "@bob @all look", "atUserList": ["bob", "__kImSDK_MesssageAtALL__"]}})],
        )
        .await;
    assert_eq!(at["atUserList"], json!(["bob", "__kImSDK_MesssageAtALL__"]));
    alice.ok("sendMessage", vec![at]).await;

    let mut got: Vec<Value> = Vec::new();
    while got.len() < 4 {
        let batch = bob.wait_event("onMessageReceived").await;
        // The group's invitation notice may come first; this test is about user messages.
        got.extend(
            batch
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m["type"] != json!("TIMGroupSystemNoticeElem")),
        );
    }
    let kinds: Vec<&str> = got
        .iter()
        .map(|m| m["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "TIMCustomElem",
            "TIMFaceElem",
            "TIMLocationElem",
            "TIMTextElem"
        ]
    );
    assert_eq!(
        got[0]["payload"],
        json!({"data": "dice", "description": "a die", "extension": "6"})
    );
    assert_eq!(got[0]["cloudCustomData"], "ccd-1");
    assert_eq!(got[0]["priority"], "High");
    assert_eq!(got[0]["needReadReceipt"], true);
    assert_eq!(got[1]["payload"]["index"], 3);
    assert_eq!(got[2]["payload"]["longitude"], 113.9);
    assert_eq!(got[3]["conversationID"], json!(format!("GROUP{gid}")));
    assert_eq!(
        got[3]["atUserList"],
        json!(["bob", "__kImSDK_MesssageAtALL__"])
    );

    // Stored as delivered: history says the same.
    let history = bob
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice"})],
        )
        .await;
    assert_eq!(history["messageList"][0]["cloudCustomData"], "ccd-1");
    assert_eq!(history["messageList"][0]["needReadReceipt"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_user_only_and_message_control_info() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let carol_offline = "carol";

    // onlineUserOnly: delivered to online bob, not stored, not counted; offline carol gets nothing.
    let m = alice
        .ok(
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "typing..."}})],
        )
        .await;
    alice
        .ok("sendMessage", vec![m, json!({"onlineUserOnly": true})])
        .await;
    let got = bob.wait_event("onMessageReceived").await;
    assert_eq!(texts(&got), vec!["typing..."]);
    let m = alice
        .ok("createTextMessage", vec![json!({"to": carol_offline, "conversationType": "C2C", "payload": {"text": "lost"}})])
        .await;
    alice
        .ok("sendMessage", vec![m, json!({"onlineUserOnly": true})])
        .await;

    // excludedFromUnreadCount / excludedFromLastMessage.
    let m = alice
        .ok(
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "first"}})],
        )
        .await;
    alice.ok("sendMessage", vec![m]).await;
    let m = alice
        .ok(
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "quiet"}})],
        )
        .await;
    alice
        .ok(
            "sendMessage",
            vec![
                m,
                json!({"messageControlInfo": {"excludedFromUnreadCount": true}}),
            ],
        )
        .await;
    let m = alice
        .ok(
            "createTextMessage",
            vec![
                json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "hidden-last"}}),
            ],
        )
        .await;
    alice
        .ok(
            "sendMessage",
            vec![
                m,
                json!({"messageControlInfo": {"excludedFromLastMessage": true}}),
            ],
        )
        .await;
    let mut seen = Vec::new();
    while !seen.contains(&"hidden-last".to_owned()) {
        seen.extend(texts(&bob.wait_event("onMessageReceived").await));
    }
    bob.ok("logout", vec![]).await;
    // A fresh device reads the server's state, not what bob's instance pieced together.
    let reader = Client::login(&server, "bob").await;
    let list = reader.ok("getConversationList", vec![]).await;
    let c = conversation(&list, "C2Calice");
    assert_eq!(c["unreadCount"], 2, "quiet message must not count: {c}");
    assert_eq!(
        c["lastMessage"]["messageForShow"], "quiet",
        "excluded message must not be last"
    );
    let history = reader
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice"})],
        )
        .await;
    assert_eq!(
        texts(&history["messageList"]),
        vec!["first", "quiet", "hidden-last"]
    );

    // Online-only messages left no trace for the offline user.
    let carol = Client::login(&server, carol_offline).await;
    let list = carol.ok("getConversationList", vec![]).await;
    assert_eq!(list["conversationList"], json!([]));

    // Both together are refused.
    let m = alice
        .ok(
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "x"}})],
        )
        .await;
    let e = alice
        .call("sendMessage", vec![m, json!({"onlineUserOnly": true, "messageControlInfo": {"excludedFromUnreadCount": true}})])
        .await
        .expect_err("must be refused");
    assert_eq!(e.code, 2905);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversation_list_filters() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let g = alice
        .ok(
            "createGroup",
            vec![json!({"name": "filters", "type": "Public", "memberList": [{"userID": "bob"}]})],
        )
        .await;
    let gid = g["group"]["groupID"].as_str().expect("id").to_owned();
    alice.send_text("bob", "C2C", "c2c").await;
    alice.send_text(&gid, "GROUP", "group").await;
    let mut n = 0;
    while n < 2 {
        n += texts(&bob.wait_event("onMessageReceived").await)
            .iter()
            .filter(|t| *t == "c2c" || *t == "group")
            .count();
    }
    let ids = |v: Value| -> Vec<String> {
        v["conversationList"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["conversationID"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // Bob was invited at creation: the system conversation holds that notice.
    let mut all = ids(bob.ok("getConversationList", vec![]).await);
    let system = bob
        .ok("getConversationProfile", vec![json!("@TIM#SYSTEM")])
        .await;
    assert_eq!(
        system["conversation"]["lastMessage"]["type"],
        "TIMGroupSystemNoticeElem"
    );
    all.retain(|id| id != "@TIM#SYSTEM");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], format!("GROUP{gid}"), "newest first");
    assert_eq!(
        ids(bob
            .ok("getConversationList", vec![json!({"type": "C2C"})])
            .await),
        vec!["C2Calice"]
    );
    assert_eq!(
        ids(bob
            .ok("getConversationList", vec![json!(["C2Calice"])])
            .await),
        vec!["C2Calice"]
    );
    assert!(ids(bob.ok("getConversationList", vec![json!([])]).await).is_empty());
    assert_eq!(
        ids(bob
            .ok(
                "getConversationList",
                vec![json!({"hasUnreadCount": true, "type": "C2C"})]
            )
            .await)
        .len(),
        1
    );
    let group_conv = bob
        .ok("getConversationProfile", vec![json!(format!("GROUP{gid}"))])
        .await;
    assert_eq!(group_conv["conversation"]["type"], "GROUP");
    assert_eq!(
        group_conv["conversation"]["groupProfile"]["groupID"],
        json!(gid)
    );
    assert_eq!(
        group_conv["conversation"]["groupProfile"]["selfInfo"]["role"],
        "Member"
    );
    let e = bob
        .call("getConversationList", vec![json!({"nope": 1})])
        .await
        .expect_err("unknown filter");
    assert_eq!(e.code, 2905);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_c2c_conversation_tells_the_peer() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let first = alice.send_text("bob", "C2C", "one").await;
    let second = alice.send_text("bob", "C2C", "two").await;
    let mut n = 0;
    while n < 2 {
        n += texts(&bob.wait_event("onMessageReceived").await).len();
    }
    bob.ok(
        "setMessageRead",
        vec![json!({"conversationID": "C2Calice"})],
    )
    .await;
    let read = alice.wait_event("onMessageReadByPeer").await;
    let ids: Vec<&Value> = read
        .as_array()
        .expect("list")
        .iter()
        .map(|m| &m["ID"])
        .collect();
    assert_eq!(ids, vec![&first["ID"], &second["ID"]]);
    assert!(read
        .as_array()
        .expect("list")
        .iter()
        .all(|m| m["isPeerRead"] == json!(true)));
    assert_eq!(read[0]["conversationID"], "C2Cbob");
    // Nothing unread: no second report.
    bob.ok(
        "setMessageRead",
        vec![json!({"conversationID": "C2Calice"})],
    )
    .await;
    bob.send_text("alice", "C2C", "marker").await;
    alice.wait_for("onMessageReceived", |_| true).await;
    assert!(alice.events_named("onMessageReadByPeer").is_empty());
    // The sender's cache follows: findMessage shows the read state.
    assert_eq!(
        alice.ok("findMessage", vec![first["ID"].clone()]).await["isPeerRead"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoke_reaches_the_receivers_cache() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let sent = alice.send_text("bob", "C2C", "oops").await;
    bob.wait_event("onMessageReceived").await;
    assert_eq!(
        bob.ok("findMessage", vec![sent["ID"].clone()]).await["isRevoked"],
        false
    );
    alice.ok("revokeMessage", vec![sent.clone()]).await;
    bob.wait_event("onMessageRevoked").await;
    assert_eq!(
        bob.ok("findMessage", vec![sent["ID"].clone()]).await["isRevoked"],
        true
    );
}

/// Read ticks survive a reload: after the peer reads a C2C conversation, the sender's history
/// (a fresh getMessageList, as after a restart) shows those messages read by the peer, and a
/// message sent after that read as not read yet. Group history is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c2c_history_keeps_read_ticks() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    alice.send_text("bob", "C2C", "one").await;
    alice.send_text("bob", "C2C", "two").await;
    bob.wait_text("two").await;
    bob.ok(
        "setMessageRead",
        vec![json!({"conversationID": "C2Calice"})],
    )
    .await;
    alice.send_text("bob", "C2C", "three").await;
    bob.wait_text("three").await;
    let read: Vec<(String, bool)> = alice
        .history("C2Cbob")
        .await
        .iter()
        .map(|m| {
            (
                m["payload"]["text"].as_str().unwrap_or_default().to_owned(),
                m["isPeerRead"] == json!(true),
            )
        })
        .collect();
    assert_eq!(
        read,
        vec![
            ("one".to_owned(), true),
            ("two".to_owned(), true),
            ("three".to_owned(), false)
        ]
    );
    // Bob's own history: messages from alice are not "peer read" from his side.
    assert!(bob
        .history("C2Calice")
        .await
        .iter()
        .all(|m| m["isPeerRead"] != json!(true)));
    // setAllMessageRead records the position too.
    bob.ok("setAllMessageRead", vec![json!({})]).await;
    assert!(alice
        .history("C2Cbob")
        .await
        .iter()
        .all(|m| m["isPeerRead"] == json!(true)));
}
