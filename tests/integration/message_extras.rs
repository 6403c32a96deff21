//! Message extensions, reactions, read receipts, cloud search, translation and speech-to-text.

use pigeon_tests::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const UPDATED: &str = "onMessageExtensionsUpdated";
const DELETED: &str = "onMessageExtensionsDeleted";
const REACTIONS: &str = "onMessageReactionsUpdated";
const RECEIPT: &str = "onMessageReadReceiptReceived";

/// The error code of a call that must fail.
async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    match c.call(method, args.clone()).await {
        Ok(v) => panic!("{} {method}({args:?}) succeeded: {v}", c.user),
        Err(e) => e.code,
    }
}

/// Creates and sends a text message with extra creation options; returns the sent message.
async fn send_with(c: &Client, to: &str, conv_type: &str, text: &str, extra: Value) -> Value {
    let mut opts = json!({"to": to, "conversationType": conv_type, "payload": {"text": text}});
    if let (Some(o), Some(e)) = (opts.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    let m = c.ok("createTextMessage", vec![opts]).await;
    c.ok("sendMessage", vec![m]).await["message"].clone()
}

async fn group(owner: &Client, id: &str, members: &[&str]) {
    let list: Vec<Value> = members.iter().map(|m| json!({"userID": m})).collect();
    owner
        .ok(
            "createGroup",
            vec![json!({"name": id, "type": "Private", "groupID": id, "memberList": list})],
        )
        .await;
}

fn msg_id(m: &Value) -> &str {
    m["ID"].as_str().expect("a sent message has an ID")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extensions_events_conflicts_and_limits() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;

    let m = send_with(
        &alice,
        "bob",
        "C2C",
        "vote",
        json!({"isSupportExtension": true}),
    )
    .await;
    let id = msg_id(&m).to_owned();
    let r = alice
        .ok(
            "setMessageExtensions",
            vec![m.clone(), json!([{"key": "alice", "value": "yes"}])],
        )
        .await;
    assert_eq!(
        r["extensions"],
        json!([{"code": 0, "key": "alice", "value": "yes"}])
    );
    for c in [&mut alice, &mut bob] {
        let e = c.wait_for(UPDATED, |d| d["messageID"] == json!(id)).await;
        assert_eq!(e["extensions"], json!([{"key": "alice", "value": "yes"}]));
    }
    // bob writes his own key and tries alice's: first writer wins.
    let r = bob
        .ok(
            "setMessageExtensions",
            vec![
                m.clone(),
                json!([{"key": "bob", "value": "no"}, {"key": "alice", "value": "hijack"}]),
            ],
        )
        .await;
    assert_eq!(
        r["extensions"],
        json!([{"code": 0, "key": "bob", "value": "no"},
               {"code": 23001, "key": "alice", "value": "yes"}])
    );
    let e = alice
        .wait_for(UPDATED, |d| d["messageID"] == json!(id))
        .await;
    assert_eq!(e["extensions"], json!([{"key": "bob", "value": "no"}]));
    let got = bob.ok("getMessageExtensions", vec![m.clone()]).await;
    assert_eq!(
        got["extensions"],
        json!([{"key": "alice", "value": "yes"}, {"key": "bob", "value": "no"}])
    );
    // carol is not in the conversation.
    assert_eq!(
        code_of(&carol, "getMessageExtensions", vec![m.clone()]).await,
        20026
    );
    assert_eq!(
        code_of(
            &carol,
            "setMessageExtensions",
            vec![m.clone(), json!([{"key": "c", "value": "1"}])]
        )
        .await,
        20026
    );
    // Bad input changes nothing.
    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    assert_eq!(
        code_of(
            &alice,
            "setMessageExtensions",
            vec![m.clone(), json!(too_many)]
        )
        .await,
        10004
    );
    let long_key = "k".repeat(101);
    assert_eq!(
        code_of(
            &alice,
            "setMessageExtensions",
            vec![m.clone(), json!([{"key": long_key, "value": "v"}])]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "setMessageExtensions",
            vec![
                m.clone(),
                json!([{"key": "big", "value": "v".repeat(1025)}])
            ]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(&alice, "setMessageExtensions", vec![m.clone(), json!([])]).await,
        10004
    );
    assert_eq!(
        code_of(&alice, "setMessageExtensions", vec![m.clone(), json!("x")]).await,
        2905
    );
    assert_eq!(
        code_of(
            &alice,
            "getMessageExtensions",
            vec![json!({"ID": "no-such-message"})]
        )
        .await,
        20026
    );
    assert_eq!(
        code_of(&alice, "getMessageExtensions", vec![json!(1)]).await,
        2905
    );
    let got = alice.ok("getMessageExtensions", vec![m.clone()]).await;
    assert_eq!(got["extensions"].as_array().map(Vec::len), Some(2));
    // A message sent without isSupportExtension takes none.
    let plain = alice.send_text("bob", "C2C", "plain").await;
    assert_eq!(
        code_of(
            &alice,
            "setMessageExtensions",
            vec![plain.clone(), json!([{"key": "a", "value": "b"}])]
        )
        .await,
        23002
    );
    assert_eq!(
        code_of(&alice, "getMessageExtensions", vec![plain]).await,
        23002
    );

    // Deleting: bob may not delete alice's key; alice (the sender) may delete any.
    let r = bob
        .ok("deleteMessageExtensions", vec![m.clone(), json!(["alice"])])
        .await;
    assert_eq!(
        r["extensions"],
        json!([{"code": 23001, "key": "alice", "value": "yes"}])
    );
    let r = alice
        .ok("deleteMessageExtensions", vec![m.clone(), json!(["bob"])])
        .await;
    assert_eq!(r["extensions"][0]["code"], 0);
    for c in [&mut alice, &mut bob] {
        let e = c.wait_for(DELETED, |d| d["messageID"] == json!(id)).await;
        assert_eq!(e["keyList"], json!(["bob"]));
    }
    alice.ok("deleteMessageExtensions", vec![m.clone()]).await;
    let e = bob.wait_for(DELETED, |d| d["messageID"] == json!(id)).await;
    assert_eq!(e["keyList"], json!(["alice"]));
    let got = bob.ok("getMessageExtensions", vec![m.clone()]).await;
    assert_eq!(got["extensions"], json!([]));

    // 300 extensions per message at most.
    for round in 0..15 {
        let batch: Vec<Value> = (0..20)
            .map(|i| json!({"key": format!("k{round}-{i}"), "value": "v"}))
            .collect();
        alice
            .ok("setMessageExtensions", vec![m.clone(), json!(batch)])
            .await;
    }
    assert_eq!(
        code_of(
            &alice,
            "setMessageExtensions",
            vec![m.clone(), json!([{"key": "one-more", "value": "v"}])]
        )
        .await,
        23003
    );
    let got = alice.ok("getMessageExtensions", vec![m.clone()]).await;
    assert_eq!(got["extensions"].as_array().map(Vec::len), Some(300));
    // Updating an existing key is still fine at the limit.
    alice
        .ok(
            "setMessageExtensions",
            vec![m.clone(), json!([{"key": "k0-0", "value": "w"}])],
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_extensions_reach_every_member() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let dave = Client::login(&server, "dave").await;
    group(&alice, "g-ext", &["bob", "carol"]).await;
    let m = send_with(
        &alice,
        "g-ext",
        "GROUP",
        "sign up",
        json!({"isSupportExtension": true}),
    )
    .await;
    let id = msg_id(&m).to_owned();
    carol
        .ok(
            "setMessageExtensions",
            vec![m.clone(), json!([{"key": "carol", "value": "in"}])],
        )
        .await;
    for c in [&mut alice, &mut bob, &mut carol] {
        let e = c.wait_for(UPDATED, |d| d["messageID"] == json!(id)).await;
        assert_eq!(e["extensions"], json!([{"key": "carol", "value": "in"}]));
    }
    assert_eq!(
        code_of(&dave, "getMessageExtensions", vec![m.clone()]).await,
        20026
    );
    carol
        .ok("deleteMessageExtensions", vec![m.clone(), json!(["carol"])])
        .await;
    for c in [&mut alice, &mut bob, &mut carol] {
        let e = c.wait_for(DELETED, |d| d["messageID"] == json!(id)).await;
        assert_eq!(e["keyList"], json!(["carol"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_events_paging_and_limits() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let dave = Client::login(&server, "dave").await;
    alice
        .ok("updateMyProfile", vec![json!({"nick": "Alice"})])
        .await;
    group(&alice, "g-react", &["bob", "carol"]).await;
    let m = alice.send_text("g-react", "GROUP", "react to me").await;
    let id = msg_id(&m).to_owned();

    bob.ok("addMessageReaction", vec![m.clone(), json!("smile")])
        .await;
    for c in [&mut alice, &mut bob, &mut carol] {
        let e = c.wait_for(REACTIONS, |d| d["messageID"] == json!(id)).await;
        assert_eq!(e["conversationID"], "GROUPg-react");
        assert_eq!(e["reactionList"][0]["reactionID"], "smile");
        assert_eq!(e["reactionList"][0]["totalUserCount"], 1);
        assert_eq!(e["reactionList"][0]["partialUserList"][0]["userID"], "bob");
    }
    alice
        .ok("addMessageReaction", vec![m.clone(), json!("smile")])
        .await;
    carol
        .ok("addMessageReaction", vec![m.clone(), json!("heart")])
        .await;
    let e = bob
        .wait_for(REACTIONS, |d| {
            d["reactionList"].as_array().map(Vec::len) == Some(2)
        })
        .await;
    assert_eq!(e["reactionList"][1]["reactionID"], "heart");
    assert_eq!(
        code_of(&bob, "addMessageReaction", vec![m.clone(), json!("smile")]).await,
        23007
    );
    assert_eq!(
        code_of(
            &carol,
            "removeMessageReaction",
            vec![m.clone(), json!("smile")]
        )
        .await,
        23009
    );
    assert_eq!(
        code_of(
            &carol,
            "removeMessageReaction",
            vec![m.clone(), json!("nope")]
        )
        .await,
        23008
    );
    assert_eq!(
        code_of(&dave, "addMessageReaction", vec![m.clone(), json!("smile")]).await,
        20026
    );
    assert_eq!(
        code_of(&bob, "addMessageReaction", vec![m.clone(), json!("")]).await,
        10004
    );
    assert_eq!(
        code_of(&bob, "addMessageReaction", vec![m.clone(), json!(5)]).await,
        2905
    );

    let plain = alice.send_text("g-react", "GROUP", "no reactions").await;
    let r = carol
        .ok(
            "getMessageReactions",
            vec![json!({"messageList": [m.clone(), plain.clone()], "maxUserCountPerReaction": 1})],
        )
        .await;
    let list = &r["resultList"];
    assert_eq!(list[0]["messageID"], json!(id));
    let smile = &list[0]["reactionList"][0];
    assert_eq!(smile["reactionID"], "smile");
    assert_eq!(smile["totalUserCount"], 2);
    assert_eq!(smile["partialUserList"].as_array().map(Vec::len), Some(1));
    assert_eq!(list[1]["reactionList"], json!([]));
    assert_eq!(
        code_of(
            &carol,
            "getMessageReactions",
            vec![json!({"messageList": [m.clone()], "maxUserCountPerReaction": 11})]
        )
        .await,
        10004
    );
    let many: Vec<Value> = (0..21).map(|_| m.clone()).collect();
    assert_eq!(
        code_of(
            &carol,
            "getMessageReactions",
            vec![json!({"messageList": many})]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &dave,
            "getMessageReactions",
            vec![json!({"messageList": [m.clone()]})]
        )
        .await,
        20026
    );

    // Paging through the users of a reaction.
    let p1 = carol
        .ok(
            "getAllUserListOfMessageReaction",
            vec![json!({"message": m.clone(), "reactionID": "smile", "nextSeq": 0, "count": 1})],
        )
        .await;
    assert_eq!(p1["userList"][0]["userID"], "bob");
    assert_eq!(p1["isCompleted"], false);
    let p2 = carol
        .ok(
            "getAllUserListOfMessageReaction",
            vec![json!({"message": m.clone(), "reactionID": "smile",
                        "nextSeq": p1["nextSeq"].clone(), "count": 1})],
        )
        .await;
    assert_eq!(
        p2["userList"],
        json!([{"userID": "alice", "nick": "Alice", "avatar": ""}])
    );
    assert_eq!(p2["isCompleted"], true);
    assert_eq!(p2["nextSeq"], 0);
    assert_eq!(
        code_of(
            &carol,
            "getAllUserListOfMessageReaction",
            vec![json!({"message": m.clone(), "reactionID": "smile", "nextSeq": 0, "count": 101})]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &carol,
            "getAllUserListOfMessageReaction",
            vec![json!({"message": m.clone(), "reactionID": "none", "nextSeq": 0})]
        )
        .await,
        23008
    );

    // Removing reports the new state to everyone.
    bob.ok("removeMessageReaction", vec![m.clone(), json!("smile")])
        .await;
    let e = carol
        .wait_for(REACTIONS, |d| {
            d["messageID"] == json!(id) && d["reactionList"][0]["totalUserCount"] == 1
        })
        .await;
    assert_eq!(
        e["reactionList"][0]["partialUserList"][0]["userID"],
        "alice"
    );

    // At most 10 different reactions per message.
    for i in 0..8 {
        alice
            .ok(
                "addMessageReaction",
                vec![m.clone(), json!(format!("r{i}"))],
            )
            .await;
    }
    assert_eq!(
        code_of(&alice, "addMessageReaction", vec![m.clone(), json!("r8")]).await,
        23005
    );
    // Joining an existing reaction is still fine.
    bob.ok("addMessageReaction", vec![m.clone(), json!("r0")])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_receipts_c2c_and_group() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let dave = Client::login(&server, "dave").await;
    let eve = Client::login(&server, "eve").await;

    // C2C.
    let m = send_with(
        &alice,
        "bob",
        "C2C",
        "read me",
        json!({"needReadReceipt": true}),
    )
    .await;
    let id = msg_id(&m).to_owned();
    let before = alice
        .ok("getMessageReadReceiptList", vec![json!([m.clone()])])
        .await;
    assert_eq!(
        before["messageList"][0]["readReceiptInfo"]["isPeerRead"],
        false
    );
    bob.ok("sendMessageReadReceipt", vec![json!([m.clone()])])
        .await;
    let e = alice
        .wait_for(RECEIPT, |d| d[0]["messageID"] == json!(id))
        .await;
    assert_eq!(e[0]["conversationID"], "C2Cbob");
    assert_eq!(e[0]["isPeerRead"], true);
    let after = alice
        .ok("getMessageReadReceiptList", vec![json!([m.clone()])])
        .await;
    assert_eq!(after["messageList"][0]["ID"], json!(id));
    assert_eq!(
        after["messageList"][0]["readReceiptInfo"]["isPeerRead"],
        true
    );
    assert_eq!(
        code_of(&eve, "sendMessageReadReceipt", vec![json!([m.clone()])]).await,
        20026
    );
    assert_eq!(
        code_of(&eve, "getMessageReadReceiptList", vec![json!([m.clone()])]).await,
        20026
    );
    let plain = alice.send_text("bob", "C2C", "no receipt").await;
    assert_eq!(
        code_of(&bob, "sendMessageReadReceipt", vec![json!([plain])]).await,
        10062
    );
    assert_eq!(
        code_of(&bob, "sendMessageReadReceipt", vec![json!([])]).await,
        2114
    );
    assert_eq!(
        code_of(&bob, "sendMessageReadReceipt", vec![json!("x")]).await,
        2905
    );
    let too_many: Vec<Value> = (0..31).map(|_| m.clone()).collect();
    assert_eq!(
        code_of(&bob, "sendMessageReadReceipt", vec![json!(too_many)]).await,
        10004
    );
    assert_eq!(
        code_of(
            &bob,
            "sendMessageReadReceipt",
            vec![json!([{"ID": "no-such-message"}])]
        )
        .await,
        20026
    );

    // Group.
    group(&alice, "g-read", &["bob", "carol", "dave"]).await;
    let g = send_with(
        &alice,
        "g-read",
        "GROUP",
        "group read",
        json!({"needReadReceipt": true}),
    )
    .await;
    let gid = msg_id(&g).to_owned();
    // Mixed conversations are refused.
    assert_eq!(
        code_of(
            &bob,
            "sendMessageReadReceipt",
            vec![json!([g.clone(), m.clone()])]
        )
        .await,
        10004
    );
    bob.ok("sendMessageReadReceipt", vec![json!([g.clone()])])
        .await;
    let e = alice
        .wait_for(RECEIPT, |d| d[0]["messageID"] == json!(gid))
        .await;
    assert_eq!(e[0]["conversationID"], "GROUPg-read");
    assert_eq!(e[0]["readCount"], 1);
    assert_eq!(e[0]["unreadCount"], 2);
    let info = alice
        .ok("getMessageReadReceiptList", vec![json!([g.clone()])])
        .await;
    assert_eq!(
        info["messageList"][0]["readReceiptInfo"],
        json!({"readCount": 1, "unreadCount": 2})
    );
    let read = alice
        .ok(
            "getGroupMessageReadMemberList",
            vec![json!({"message": g.clone(), "cursor": "", "filter": 0, "count": 100})],
        )
        .await;
    assert_eq!(read["readUserIDList"], json!(["bob"]));
    assert_eq!(read["isCompleted"], true);
    assert_eq!(read["messageID"], json!(gid));
    let u1 = alice
        .ok(
            "getGroupMessageReadMemberList",
            vec![json!({"message": g.clone(), "cursor": "", "filter": 1, "count": 1})],
        )
        .await;
    assert_eq!(u1["unreadUserIDList"], json!(["carol"]));
    assert_eq!(u1["isCompleted"], false);
    let u2 = alice
        .ok(
            "getGroupMessageReadMemberList",
            vec![json!({"message": g.clone(), "cursor": u1["cursor"].clone(), "filter": 1, "count": 1})],
        )
        .await;
    assert_eq!(u2["unreadUserIDList"], json!(["dave"]));
    assert_eq!(u2["isCompleted"], true);
    // Only the sender sees who read it; outsiders cannot see the message at all.
    assert_eq!(
        code_of(
            &bob,
            "getGroupMessageReadMemberList",
            vec![json!({"message": g.clone(), "cursor": "", "filter": 0, "count": 10})]
        )
        .await,
        10062
    );
    assert_eq!(
        code_of(
            &eve,
            "getGroupMessageReadMemberList",
            vec![json!({"message": g.clone(), "cursor": "", "filter": 0, "count": 10})]
        )
        .await,
        20026
    );
    assert_eq!(
        code_of(
            &alice,
            "getGroupMessageReadMemberList",
            vec![json!({"message": g.clone(), "cursor": "", "filter": 2, "count": 10})]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "getGroupMessageReadMemberList",
            vec![json!({"message": g.clone(), "cursor": "", "filter": 0, "count": 101})]
        )
        .await,
        10004
    );
    // A reader's view of someone else's message carries no counts.
    let theirs = bob
        .ok("getMessageReadReceiptList", vec![json!([g.clone()])])
        .await;
    assert!(theirs["messageList"][0]["readReceiptInfo"]
        .get("readCount")
        .is_none());
    // carol and dave read: everyone has.
    carol
        .ok("sendMessageReadReceipt", vec![json!([g.clone()])])
        .await;
    dave.ok("sendMessageReadReceipt", vec![json!([g.clone()])])
        .await;
    alice
        .wait_for(RECEIPT, |d| {
            d[0]["messageID"] == json!(gid) && d[0]["unreadCount"] == 0
        })
        .await;
}

/// `searchCloudMessages`, retrying while the local rate limit (2996) holds.
async fn search(c: &Client, opts: Value) -> Value {
    loop {
        match c.call("searchCloudMessages", vec![opts.clone()]).await {
            Ok(v) => return v,
            Err(e) if e.code == 2996 => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await
            }
            Err(e) => panic!("{} searchCloudMessages({opts}): {e}", c.user),
        }
    }
}

/// The error code of a search that must fail (past the rate limit).
async fn search_code(c: &Client, opts: Value) -> u32 {
    loop {
        match c.call("searchCloudMessages", vec![opts.clone()]).await {
            Ok(v) => panic!("{} searchCloudMessages({opts}) succeeded: {v}", c.user),
            Err(e) if e.code == 2996 => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await
            }
            Err(e) => return e.code,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_search() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    alice.send_text("bob", "C2C", "Hello world").await;
    let there = alice.send_text("bob", "C2C", "hello there").await;
    bob.send_text("alice", "C2C", "goodbye world").await;
    group(&alice, "g-search", &["bob", "carol"]).await;
    carol.send_text("g-search", "GROUP", "hello group").await;
    carol.send_text("bob", "C2C", "secret hello").await;
    let custom = alice
        .ok(
            "createCustomMessage",
            vec![json!({"to": "bob", "conversationType": "C2C",
                        "payload": {"data": "poll", "description": "hello poll", "extension": ""}})],
        )
        .await;
    alice.ok("sendMessage", vec![custom]).await;

    // All conversations: grouped, a single match is shown, several are counted.
    let r = search(&alice, json!({"keywordList": ["hello"]})).await;
    assert_eq!(r["totalCount"], 2);
    assert_eq!(r["cursor"], "");
    let list = r["searchResultList"].as_array().expect("searchResultList");
    let c2c = list
        .iter()
        .find(|x| x["conversationID"] == "C2Cbob")
        .expect("C2Cbob has matches");
    assert_eq!(c2c["messageCount"], 3);
    assert_eq!(c2c["messageList"], json!([]));
    let grp = list
        .iter()
        .find(|x| x["conversationID"] == "GROUPg-search")
        .expect("the group has a match");
    assert_eq!(grp["messageCount"], 1);
    assert_eq!(text_of(&grp["messageList"][0]), "hello group");
    // Keywords under three characters are found too.
    let r = search(
        &alice,
        json!({"keywordList": ["lo"], "conversationID": "GROUPg-search"}),
    )
    .await;
    assert_eq!(r["totalCount"], 1);
    // carol's message to bob is not alice's to see.
    let r = search(&alice, json!({"keywordList": ["secret"]})).await;
    assert_eq!(r["totalCount"], 0);
    assert_eq!(r["searchResultList"], json!([]));

    // AND / OR.
    let r = search(
        &alice,
        json!({"keywordList": ["hello", "WORLD"], "keywordListMatchType": "and"}),
    )
    .await;
    assert_eq!(r["totalCount"], 1);
    assert_eq!(
        text_of(&r["searchResultList"][0]["messageList"][0]),
        "Hello world"
    );
    let r = search(
        &alice,
        json!({"keywordList": ["goodbye", "there"], "conversationID": "C2Cbob"}),
    )
    .await;
    assert_eq!(r["totalCount"], 2);
    // One conversation: the messages, newest first.
    let texts: Vec<String> = r["searchResultList"][0]["messageList"]
        .as_array()
        .expect("messageList")
        .iter()
        .map(text_of)
        .collect();
    assert_eq!(texts, vec!["goodbye world", "hello there"]);
    // Senders and types without keywords.
    let r = search(
        &alice,
        json!({"senderUserIDList": ["bob"], "conversationID": "C2Cbob"}),
    )
    .await;
    assert_eq!(r["totalCount"], 1);
    let r = search(&alice, json!({"messageTypeList": ["TIMCustomElem"]})).await;
    assert_eq!(r["totalCount"], 1);
    assert_eq!(
        r["searchResultList"][0]["messageList"][0]["type"],
        "TIMCustomElem"
    );
    // Time range: nothing before 1971.
    let r = search(
        &alice,
        json!({"keywordList": ["hello"], "timePosition": 1000, "timePeriod": 1000}),
    )
    .await;
    assert_eq!(r["totalCount"], 0);

    // Paging one conversation with a cursor.
    for i in 0..25 {
        bob.send_text("alice", "C2C", &format!("page {i}")).await;
    }
    let p1 = search(
        &alice,
        json!({"keywordList": ["page"], "conversationID": "C2Cbob"}),
    )
    .await;
    assert_eq!(p1["totalCount"], 25);
    let n1 = p1["searchResultList"][0]["messageList"]
        .as_array()
        .map(Vec::len)
        .expect("page 1");
    let cursor = p1["cursor"].as_str().expect("cursor").to_owned();
    assert!(!cursor.is_empty());
    let p2 = search(
        &alice,
        json!({"keywordList": ["page"], "conversationID": "C2Cbob", "cursor": cursor}),
    )
    .await;
    let n2 = p2["searchResultList"][0]["messageList"]
        .as_array()
        .map(Vec::len)
        .expect("page 2");
    assert_eq!(n1 + n2, 25);
    assert_eq!(p2["cursor"], "");

    // Deleted (for this user) and cleared history are not found; the peer still finds them.
    alice.ok("deleteMessage", vec![json!([there])]).await;
    let r = search(&alice, json!({"keywordList": ["there"]})).await;
    assert_eq!(r["totalCount"], 0);
    let r = search(&bob, json!({"keywordList": ["there"]})).await;
    assert_eq!(r["totalCount"], 1);
    bob.ok("clearHistoryMessage", vec![json!("C2Calice")]).await;
    let r = search(&bob, json!({"keywordList": ["world"]})).await;
    assert_eq!(r["totalCount"], 0);
    let r = search(&alice, json!({"keywordList": ["world"]})).await;
    assert_eq!(r["totalCount"], 1);

    // Bad input.
    assert_eq!(
        search_code(
            &alice,
            json!({"keywordList": ["a", "b", "c", "d", "e", "f"]})
        )
        .await,
        10004
    );
    assert_eq!(search_code(&alice, json!({"keywordList": []})).await, 10004);
    assert_eq!(
        search_code(
            &alice,
            json!({"keywordList": ["a"], "keywordListMatchType": "xor"})
        )
        .await,
        10004
    );
    assert_eq!(
        search_code(&alice, json!({"messageTypeList": ["TIMFaceElem"]})).await,
        10004
    );
    assert_eq!(
        search_code(
            &alice,
            json!({"keywordList": ["a"], "conversationID": "nobody"})
        )
        .await,
        2503
    );
    assert_eq!(
        search_code(&alice, json!({"keywordList": ["a"], "cursor": "junk"})).await,
        10004
    );
    assert_eq!(search_code(&alice, json!("hello")).await, 2905);

    // The local rate limit: two searches a second.
    let mut limited = false;
    for _ in 0..4 {
        if let Err(e) = alice
            .call("searchCloudMessages", vec![json!({"keywordList": ["x"]})])
            .await
        {
            assert_eq!(e.code, 2996, "{e}");
            limited = true;
        }
    }
    assert!(
        limited,
        "four searches in a row must hit the 2-per-second limit"
    );
}

/// Reads one HTTP/1.1 request: (method, path with query, body).
async fn read_request(s: &mut tokio::net::TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let len: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((method, path, body))
}

/// A test provider speaking LibreTranslate's `POST /translate` and a speech-to-text
/// `POST /stt?language=..` (audio bytes in, `{text}` out). Returns its base URL.
async fn start_provider() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the test provider");
    let addr = listener.local_addr().expect("provider address");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Some((method, path, body)) = read_request(&mut s).await else {
                    return;
                };
                let (status, reply) = if method == "POST" && path == "/translate" {
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let q = v["q"].as_str().unwrap_or_default();
                    let target = v["target"].as_str().unwrap_or_default();
                    if q == "fail" {
                        (500, json!({"error": "boom"}))
                    } else {
                        (200, json!({"translatedText": format!("[{target}] {q}")}))
                    }
                } else if method == "POST" && path.starts_with("/stt?language=") {
                    let lang = path.trim_start_matches("/stt?language=");
                    (
                        200,
                        json!({"text": format!("{} bytes in {lang}: {}", body.len(),
                                               String::from_utf8_lossy(&body))}),
                    )
                } else {
                    (404, json!({"error": "not found"}))
                };
                let text = reply.to_string();
                let resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// Uploads `bytes` as audio to the server's file service; returns the download URL.
async fn upload_audio(server: &Server, user: &str, bytes: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connect to the file service");
    let head = format!(
        "POST /files/{}/audio HTTP/1.1\r\nhost: {}\r\nx-pigeon-user: {user}\r\nx-pigeon-usersig: {}\r\ncontent-type: audio/mpeg\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        server.app_id,
        server.addr,
        server.sig(user),
        bytes.len()
    );
    s.write_all(head.as_bytes()).await.expect("send head");
    s.write_all(bytes).await.expect("send body");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)
        .await
        .expect("read the upload reply");
    let text = String::from_utf8_lossy(&resp).to_string();
    let body = text.split("\r\n\r\n").nth(1).expect("an HTTP body");
    let v: Value = serde_json::from_str(body.trim()).expect("upload reply JSON");
    v["url"].as_str().expect("upload url").to_owned()
}

async fn send_audio(c: &Client, server: &Server, to: &str) -> Value {
    let url = upload_audio(server, &c.user, b"ID3 fake voice").await;
    let m = json!({
        "ID": format!("voice-{}-{}", c.user, url.len()),
        "type": "TIMSoundElem",
        "to": to,
        "conversationType": "C2C",
        "payload": {"url": url, "second": 1, "size": 14, "uuid": "", "downloadFlag": 2, "remoteAudioUrl": url},
    });
    c.ok("sendMessage", vec![m]).await["message"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn translate_and_voice_to_text_through_providers() {
    // Without providers: clear codes.
    let bare = Server::start();
    let alice = Client::login(&bare, "alice").await;
    let args = json!({"sourceTextList": ["hello"], "sourceLanguage": "en", "targetLanguage": "de"});
    assert_eq!(
        code_of(&alice, "translateText", vec![args.clone()]).await,
        2117
    );
    let voice = send_audio(&alice, &bare, "bob").await;
    assert_eq!(
        code_of(
            &alice,
            "convertVoiceToText",
            vec![json!({"message": voice, "language": "en-US"})]
        )
        .await,
        2118
    );
    drop(alice);
    drop(bare);

    // With providers (env vars read by the server; only the child started here needs them).
    let base = start_provider().await;
    std::env::set_var("PIGEON_TRANSLATE_URL", format!("{base}/translate"));
    std::env::set_var("PIGEON_STT_URL", format!("{base}/stt"));
    let server = Server::start();
    std::env::remove_var("PIGEON_TRANSLATE_URL");
    std::env::remove_var("PIGEON_STT_URL");
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;

    let r = alice
        .ok(
            "translateText",
            vec![
                json!({"sourceTextList": ["hello", "world"], "sourceLanguage": "auto",
                        "targetLanguage": "de"}),
            ],
        )
        .await;
    assert_eq!(r["translatedTextList"], json!(["[de] hello", "[de] world"]));
    assert_eq!(
        code_of(
            &alice,
            "translateText",
            vec![
                json!({"sourceTextList": ["fail"], "sourceLanguage": "en", "targetLanguage": "de"})
            ]
        )
        .await,
        2117
    );
    assert_eq!(
        code_of(
            &alice,
            "translateText",
            vec![
                json!({"sourceTextList": "hello", "sourceLanguage": "en", "targetLanguage": "de"})
            ]
        )
        .await,
        2905
    );
    assert_eq!(
        code_of(
            &alice,
            "translateText",
            vec![json!({"sourceTextList": [], "sourceLanguage": "en", "targetLanguage": "de"})]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "translateText",
            vec![json!({"sourceTextList": ["x"], "sourceLanguage": "en"})]
        )
        .await,
        2905
    );

    let voice = send_audio(&alice, &server, "bob").await;
    let r = bob
        .ok(
            "convertVoiceToText",
            vec![json!({"message": voice.clone(), "language": "en-US"})],
        )
        .await;
    assert_eq!(r["result"], "14 bytes in en-US: ID3 fake voice");
    assert_eq!(
        code_of(
            &carol,
            "convertVoiceToText",
            vec![json!({"message": voice.clone()})]
        )
        .await,
        20026
    );
    let text = alice.send_text("bob", "C2C", "not audio").await;
    assert_eq!(
        code_of(&bob, "convertVoiceToText", vec![json!({"message": text})]).await,
        2119
    );
    assert_eq!(
        code_of(
            &bob,
            "convertVoiceToText",
            vec![json!({"message": {"ID": "missing"}})]
        )
        .await,
        20026
    );
}
