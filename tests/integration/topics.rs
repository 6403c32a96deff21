//! Communities and topics against the real server: getJoinedCommunityList,
//! createTopicInCommunity, deleteTopicFromCommunity, updateTopicProfile, getTopicList, sending
//! to a topic (its own conversation and unread count, mute, deletion), TOPIC_CREATED /
//! TOPIC_DELETED / TOPIC_UPDATED on every member's instance, with owner, admin, member and
//! non-member, and bad input.

use pigeon_tests::*;
use serde_json::{json, Value};

/// alice owns the topic-enabled community `cid` with bob as admin and carol as member; dave is
/// outside. alice also owns a community without topics (`cid-plain`) and a Public group
/// (`cid-pub`).
async fn setup(server: &Server, cid: &str) -> [Client; 4] {
    let alice = Client::login(server, "alice").await;
    let bob = Client::login(server, "bob").await;
    let carol = Client::login(server, "carol").await;
    let dave = Client::login(server, "dave").await;
    let members = json!([{"userID": "bob", "role": "Admin"}, {"userID": "carol"}]);
    alice
        .ok(
            "createGroup",
            vec![
                json!({"name": "topics", "type": "Community", "groupID": cid,
                "isSupportTopic": true, "memberList": members}),
            ],
        )
        .await;
    alice
        .ok(
            "createGroup",
            vec![
                json!({"name": "plain", "type": "Community", "groupID": format!("{cid}-plain"),
                "memberList": members}),
            ],
        )
        .await;
    alice
        .ok(
            "createGroup",
            vec![
                json!({"name": "pub", "type": "Public", "groupID": format!("{cid}-pub"),
                "memberList": members}),
            ],
        )
        .await;
    [alice, bob, carol, dave]
}

async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    c.call(method, args)
        .await
        .expect_err("the call must be refused")
        .code
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|t| t["topicID"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn topic_ids(c: &Client, cid: &str) -> Vec<String> {
    let r = c.ok("getTopicList", vec![json!({"groupID": cid})]).await;
    ids(&r["successTopicList"])
}

async fn topic(c: &Client, cid: &str, tid: &str) -> Value {
    let r = c
        .ok(
            "getTopicList",
            vec![json!({"groupID": cid, "topicIDList": [tid]})],
        )
        .await;
    r["successTopicList"][0].clone()
}

async fn create_topic(c: &Client, cid: &str, name: &str) -> String {
    let r = c
        .ok(
            "createTopicInCommunity",
            vec![json!({"groupID": cid, "topicName": name})],
        )
        .await;
    r["topicID"].as_str().expect("topicID").to_owned()
}

fn is_text_in(l: &Value, conv: &str, text: &str) -> bool {
    l.as_array()
        .into_iter()
        .flatten()
        .any(|m| m["conversationID"] == conv && text_of(m) == text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn community_list_and_topic_lifecycle_with_events() {
    let server = Server::start();
    let cid = "tp-life";
    let [mut alice, mut bob, mut carol, mut dave] = setup(&server, cid).await;

    // Only the topic-enabled community is listed, and only for its members.
    let l = alice.ok("getJoinedCommunityList", vec![]).await;
    let listed: Vec<_> = l["groupList"]
        .as_array()
        .expect("groupList")
        .iter()
        .map(|g| g["groupID"].clone())
        .collect();
    assert_eq!(listed, vec![json!(cid)]);
    assert_eq!(l["groupList"][0]["isSupportTopic"], true);
    assert_eq!(l["groupList"][0]["selfInfo"]["role"], "Owner");
    let l = carol.ok("getJoinedCommunityList", vec![]).await;
    assert_eq!(l["groupList"][0]["groupID"], cid);
    let l = dave.ok("getJoinedCommunityList", vec![]).await;
    assert_eq!(l["groupList"], json!([]));

    // The owner creates a topic with a generated ID; members hear of it.
    let t1 = create_topic(&alice, cid, "general").await;
    assert!(t1.starts_with(&format!("{cid}@TOPIC#_")), "{t1}");
    for c in [&mut bob, &mut carol] {
        let e = c.wait_for("onTopicCreated", |d| d["topicID"] == t1).await;
        assert_eq!(e["groupID"], cid);
    }
    // The admin creates one with a custom ID and every field.
    let t2 = format!("{cid}@TOPIC#_news");
    let r = bob
        .ok(
            "createTopicInCommunity",
            vec![json!({"groupID": cid, "topicName": "news", "topicID": t2,
                "avatar": "http://a/n.png", "notification": "read me", "introduction": "daily",
                "customData": "cd"})],
        )
        .await;
    assert_eq!(r["topicID"], t2);
    for c in [&mut alice, &mut carol] {
        c.wait_for("onTopicCreated", |d| d["topicID"] == t2).await;
    }
    // A member and a non-member may not create topics.
    for c in [&carol, &dave] {
        let e = code_of(
            c,
            "createTopicInCommunity",
            vec![json!({"groupID": cid, "topicName": "mine"})],
        )
        .await;
        assert_eq!(e, 10007, "{}", c.user);
    }

    // Members list the topics, whole or by ID; unknown IDs are failure entries.
    let mut all = topic_ids(&carol, cid).await;
    all.sort();
    let mut want = vec![t1.clone(), t2.clone()];
    want.sort();
    assert_eq!(all, want);
    let unknown = format!("{cid}@TOPIC#_nope");
    let r = carol
        .ok(
            "getTopicList",
            vec![json!({"groupID": cid, "topicIDList": [t2, unknown]})],
        )
        .await;
    let t = &r["successTopicList"][0];
    assert_eq!(r["successTopicList"].as_array().map(Vec::len), Some(1));
    assert_eq!(t["topicID"], t2);
    assert_eq!(t["topicName"], "news");
    assert_eq!(t["avatar"], "http://a/n.png");
    assert_eq!(t["notification"], "read me");
    assert_eq!(t["introduction"], "daily");
    assert_eq!(t["customData"], "cd");
    assert_eq!(t["muteAllMembers"], false);
    assert_eq!(t["unreadCount"], 0);
    assert_eq!(t["groupAtInfoList"], json!([]));
    assert!(t.get("lastMessage").is_some() && t.get("selfInfo").is_some());
    assert_eq!(r["failureTopicList"][0]["topicID"], unknown);
    assert_eq!(r["failureTopicList"][0]["code"], 10010);
    assert_eq!(
        code_of(&dave, "getTopicList", vec![json!({"groupID": cid})]).await,
        10007
    );

    // The admin updates a topic; the others get TOPIC_UPDATED with the new profile.
    let r = bob
        .ok(
            "updateTopicProfile",
            vec![json!({"groupID": cid, "topicID": t1, "topicName": "lobby",
                "introduction": "hello", "customData": "x"})],
        )
        .await;
    assert_eq!(r["topic"]["topicName"], "lobby");
    assert_eq!(r["topic"]["introduction"], "hello");
    assert_eq!(r["topic"]["customData"], "x");
    for c in [&mut alice, &mut carol] {
        let e = c
            .wait_for("onTopicUpdated", |d| d["topic"]["topicID"] == t1)
            .await;
        assert_eq!(e["groupID"], cid);
        assert_eq!(e["topic"]["topicName"], "lobby");
    }
    assert_eq!(topic(&carol, cid, &t1).await["topicName"], "lobby");
    // Member and non-member may not; nothing changes.
    for c in [&carol, &dave] {
        let e = code_of(
            c,
            "updateTopicProfile",
            vec![json!({"groupID": cid, "topicID": t1, "topicName": "hijack"})],
        )
        .await;
        assert_eq!(e, 10007, "{}", c.user);
    }
    assert_eq!(topic(&alice, cid, &t1).await["topicName"], "lobby");
    // Member and non-member may not delete.
    for c in [&carol, &dave] {
        let e = code_of(
            c,
            "deleteTopicFromCommunity",
            vec![json!({"groupID": cid, "topicIDList": [t1]})],
        )
        .await;
        assert_eq!(e, 10007, "{}", c.user);
    }

    // The owner deletes one topic (and an unknown one, which fails alone).
    let r = alice
        .ok(
            "deleteTopicFromCommunity",
            vec![json!({"groupID": cid, "topicIDList": [t2, unknown]})],
        )
        .await;
    assert_eq!(r["successTopicList"], json!([{"topicID": t2}]));
    assert_eq!(r["failureTopicList"][0]["topicID"], unknown);
    assert_eq!(r["failureTopicList"][0]["code"], 10010);
    for c in [&mut bob, &mut carol] {
        let e = c
            .wait_for("onTopicDeleted", |d| d["topicIDList"] == json!([t2]))
            .await;
        assert_eq!(e["groupID"], cid);
    }
    assert_eq!(topic_ids(&carol, cid).await, vec![t1.clone()]);

    // The admin deletes all the rest by omitting topicIDList.
    let t3 = create_topic(&alice, cid, "third").await;
    carol
        .wait_for("onTopicCreated", |d| d["topicID"] == t3)
        .await;
    let r = bob
        .ok("deleteTopicFromCommunity", vec![json!({"groupID": cid})])
        .await;
    let mut gone = ids(&r["successTopicList"]);
    gone.sort();
    let mut want = vec![t1.clone(), t3.clone()];
    want.sort();
    assert_eq!(gone, want);
    assert_eq!(r["failureTopicList"], json!([]));
    carol
        .wait_for("onTopicDeleted", |d| {
            d["topicIDList"].as_array().map(Vec::len) == Some(2)
        })
        .await;
    assert!(topic_ids(&alice, cid).await.is_empty());

    // The outsider heard none of it; the calling instance gets no echo of its own change.
    for name in ["onTopicCreated", "onTopicUpdated", "onTopicDeleted"] {
        assert!(dave.events_named(name).is_empty(), "dave got {name}");
    }
    assert!(bob.events_named("onTopicUpdated").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_in_topics_unread_mute_and_deletion() {
    let server = Server::start();
    let cid = "tp-msg";
    let [mut alice, mut bob, mut carol, dave] = setup(&server, cid).await;
    let t1 = create_topic(&alice, cid, "one").await;
    let t2 = create_topic(&alice, cid, "two").await;
    let (c1, c2) = (format!("GROUP{t1}"), format!("GROUP{t2}"));

    // A member's message reaches the others in the topic's own conversation.
    carol.send_text(&t1, "GROUP", "hi from carol").await;
    for c in [&mut alice, &mut bob] {
        c.wait_for("onMessageReceived", |l| is_text_in(l, &c1, "hi from carol"))
            .await;
    }
    // A non-member is refused.
    let m = dave
        .ok(
            "createTextMessage",
            vec![json!({"to": t1, "conversationType": "GROUP", "payload": {"text": "intruder"}})],
        )
        .await;
    let e = dave
        .call("sendMessage", vec![m])
        .await
        .expect_err("a non-member may not send to a topic");
    assert_eq!(e.code, 10007);
    // The community itself takes no messages: they belong in its topics.
    let m = carol
        .ok(
            "createTextMessage",
            vec![json!({"to": cid, "conversationType": "GROUP", "payload": {"text": "to all"}})],
        )
        .await;
    let e = carol
        .call("sendMessage", vec![m])
        .await
        .expect_err("a topic community takes messages in topics only");
    assert_eq!(e.code, 2115);

    // Unread counts are per topic.
    alice.send_text(&t1, "GROUP", "a1").await;
    alice.send_text(&t1, "GROUP", "a2").await;
    alice.send_text(&t2, "GROUP", "b1").await;
    for c in [&mut bob, &mut carol] {
        c.wait_for("onMessageReceived", |l| is_text_in(l, &c2, "b1"))
            .await;
    }
    carol
        .wait_for("onMessageReceived", |l| is_text_in(l, &c1, "a2"))
        .await;
    let one = topic(&carol, cid, &t1).await;
    assert_eq!(one["unreadCount"], 2);
    assert_eq!(one["lastMessage"]["payload"]["text"], "a2");
    assert_eq!(topic(&carol, cid, &t2).await["unreadCount"], 1);
    assert_eq!(topic(&bob, cid, &t1).await["unreadCount"], 3);
    assert_eq!(topic(&bob, cid, &t2).await["unreadCount"], 1);
    assert_eq!(topic(&alice, cid, &t1).await["unreadCount"], 1);
    // History of the topic conversation: members read it, outsiders may not.
    let texts = carol.history_texts(&c1).await;
    assert_eq!(texts, vec!["hi from carol", "a1", "a2"]);
    let e = dave
        .call("getMessageList", vec![json!({"conversationID": c1})])
        .await
        .expect_err("a non-member may not read a topic");
    assert_eq!(e.code, 10007, "{e}");

    // A muted topic refuses members but not the owner or admins; other topics are unaffected.
    alice
        .ok(
            "updateTopicProfile",
            vec![json!({"groupID": cid, "topicID": t1, "muteAllMembers": true})],
        )
        .await;
    let ev = carol
        .wait_for("onTopicUpdated", |d| d["topic"]["topicID"] == t1)
        .await;
    assert_eq!(ev["topic"]["muteAllMembers"], true);
    assert_eq!(ev["topic"]["unreadCount"], 2, "carol's own unread count");
    let m = carol
        .ok(
            "createTextMessage",
            vec![json!({"to": t1, "conversationType": "GROUP", "payload": {"text": "muted"}})],
        )
        .await;
    let e = carol
        .call("sendMessage", vec![m])
        .await
        .expect_err("a member may not send to a muted topic");
    assert_eq!(e.code, 10017);
    alice.send_text(&t1, "GROUP", "owner speaks").await;
    bob.send_text(&t1, "GROUP", "admin speaks").await;
    carol.send_text(&t2, "GROUP", "elsewhere").await;
    carol
        .wait_for("onMessageReceived", |l| is_text_in(l, &c1, "admin speaks"))
        .await;
    alice
        .ok(
            "updateTopicProfile",
            vec![json!({"groupID": cid, "topicID": t1, "muteAllMembers": false})],
        )
        .await;
    carol.send_text(&t1, "GROUP", "free again").await;

    // A deleted topic takes no more messages.
    alice
        .ok(
            "deleteTopicFromCommunity",
            vec![json!({"groupID": cid, "topicIDList": [t2]})],
        )
        .await;
    let m = carol
        .ok(
            "createTextMessage",
            vec![json!({"to": t2, "conversationType": "GROUP", "payload": {"text": "late"}})],
        )
        .await;
    let e = carol
        .call("sendMessage", vec![m])
        .await
        .expect_err("a deleted topic takes no messages");
    assert_eq!(e.code, 10010, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_changes_nothing() {
    let server = Server::start();
    let cid = "tp-bad";
    let [alice, _bob, carol, _dave] = setup(&server, cid).await;
    let t1 = create_topic(&alice, cid, "one").await;
    let create = |g: &str, extra: Value| {
        let mut o = json!({"groupID": g, "topicName": "t"});
        if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        vec![o]
    };

    // Not a community, a community without topics, no such group.
    let plain = format!("{cid}-plain");
    let public = format!("{cid}-pub");
    for g in [&plain, &public] {
        let e = code_of(&alice, "createTopicInCommunity", create(g, json!({}))).await;
        assert_eq!(e, 2600, "{g}");
        let e = code_of(&alice, "getTopicList", vec![json!({"groupID": g})]).await;
        assert_eq!(e, 2600, "{g}");
        let e = code_of(
            &alice,
            "deleteTopicFromCommunity",
            vec![json!({"groupID": g})],
        )
        .await;
        assert_eq!(e, 2600, "{g}");
    }
    let e = code_of(
        &alice,
        "createTopicInCommunity",
        create("tp-none", json!({})),
    )
    .await;
    assert_eq!(e, 10010);

    // Custom topic IDs: must be the community ID + @TOPIC#_ + a custom part.
    let long = format!("{cid}@TOPIC#_{}", "x".repeat(49));
    for bad in [
        "other@TOPIC#_x".to_owned(),
        format!("{cid}@TOPIC#_"),
        format!("{cid}-x"),
        format!("{plain}@TOPIC#_x"),
        format!("{cid}@TOPIC#_a b"),
        long,
    ] {
        let e = code_of(
            &alice,
            "createTopicInCommunity",
            create(cid, json!({ "topicID": bad })),
        )
        .await;
        assert_eq!(e, 3021, "{bad}");
    }
    let e = code_of(
        &alice,
        "createTopicInCommunity",
        create(cid, json!({ "topicID": t1 })),
    )
    .await;
    assert_eq!(e, 10021, "a taken topicID");

    // Limits and required fields.
    let e = code_of(
        &alice,
        "createTopicInCommunity",
        create(cid, json!({"topicName": "n".repeat(101)})),
    )
    .await;
    assert_eq!(e, 10004);
    let e = code_of(
        &alice,
        "createTopicInCommunity",
        create(cid, json!({"introduction": "i".repeat(401)})),
    )
    .await;
    assert_eq!(e, 10004);
    let e = code_of(
        &alice,
        "updateTopicProfile",
        vec![json!({"groupID": cid, "topicID": t1})],
    )
    .await;
    assert_eq!(e, 10004, "nothing to update");
    let e = code_of(
        &alice,
        "updateTopicProfile",
        vec![json!({"groupID": cid, "topicID": t1, "topicName": ""})],
    )
    .await;
    assert_eq!(e, 10004, "empty name");
    let e = code_of(
        &alice,
        "updateTopicProfile",
        vec![json!({"groupID": cid, "topicID": format!("{cid}@TOPIC#_nope"), "topicName": "x"})],
    )
    .await;
    assert_eq!(e, 10010);

    // Argument types are checked by the SDK.
    for (method, args) in [
        ("createTopicInCommunity", vec![json!("x")]),
        ("createTopicInCommunity", vec![json!({"groupID": cid})]),
        ("createTopicInCommunity", vec![json!({"topicName": "t"})]),
        ("createTopicInCommunity", create(cid, json!({"avatar": 5}))),
        (
            "getTopicList",
            vec![json!({"groupID": cid, "topicIDList": "x"})],
        ),
        (
            "getTopicList",
            vec![json!({"groupID": cid, "topicIDList": [1]})],
        ),
        ("getTopicList", vec![]),
        ("deleteTopicFromCommunity", vec![json!({"groupID": 3})]),
        (
            "updateTopicProfile",
            vec![json!({"groupID": cid, "topicID": t1, "muteAllMembers": "yes"})],
        ),
        (
            "updateTopicProfile",
            vec![json!({"groupID": cid, "topicName": "x"})],
        ),
    ] {
        let e = code_of(&alice, method, args.clone()).await;
        assert_eq!(e, 2905, "{method} {args:?}");
    }

    // Nothing changed.
    assert_eq!(topic_ids(&carol, cid).await, vec![t1.clone()]);
    let t = topic(&carol, cid, &t1).await;
    assert_eq!(t["topicName"], "one");
    assert_eq!(t["introduction"], "");
    assert_eq!(t["muteAllMembers"], false);
    let plain_topics = alice
        .call("getTopicList", vec![json!({"groupID": plain})])
        .await;
    assert!(plain_topics.is_err());
}
