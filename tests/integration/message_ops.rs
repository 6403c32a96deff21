//! Message operations: revoke, delete, modify, forward, merger, hopping, resend.

use pigeon_tests::*;
use serde_json::{json, Value};

fn desktop(server: &Server, user: &str) -> Client {
    Client::with(
        server,
        user,
        ClientOpts {
            url: server.url(),
            data_dir: None,
            platform: "desktop".into(),
        },
    )
}

async fn group_of(owner: &Client, id: &str, members: Value) -> String {
    let r = owner
        .ok(
            "createGroup",
            vec![json!({"name": id, "type": "Public", "groupID": id,
                        "joinOption": "FreeAccess", "memberList": members})],
        )
        .await;
    r["group"]["groupID"].as_str().expect("groupID").to_owned()
}

fn code_of(e: pigeon_sdk::ImError) -> u32 {
    e.code
}

fn has_id(list: &Value, id: &Value) -> bool {
    list.as_array()
        .is_some_and(|l| l.iter().any(|m| m["ID"] == *id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_reaches_everyone_and_follows_the_rules() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut alice2 = desktop(&server, "alice");
    alice2.login_ready(&server).await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;

    // C2C: the sender revokes within the window; the peer and the sender's other instance hear.
    let m = alice.send_text("bob", "C2C", "oops").await;
    bob.wait_text("oops").await;
    let r = alice.ok("revokeMessage", vec![m.clone()]).await;
    assert_eq!(r["message"]["isRevoked"], true);
    for c in [&mut bob, &mut alice2] {
        let ev = c
            .wait_for("onMessageRevoked", |l| has_id(l, &m["ID"]))
            .await;
        assert_eq!(ev[0]["isRevoked"], true);
        assert_eq!(ev[0]["revoker"], "alice");
        assert_eq!(ev[0]["revokerInfo"]["userID"], "alice");
    }
    let conv = bob
        .wait_for("onConversationListUpdated", |l| {
            l.as_array().is_some_and(|l| {
                l.iter().any(|c| {
                    c["conversationID"] == "C2Calice" && c["lastMessage"]["isRevoked"] == true
                })
            })
        })
        .await;
    assert!(conv.is_array());
    let hist = bob.history("C2Calice").await;
    assert_eq!(hist.last().expect("history")["isRevoked"], true);
    // Revoking again is harmless.
    alice.ok("revokeMessage", vec![m.clone()]).await;

    // The peer may not revoke the sender's message; unknown IDs are refused.
    let m2 = alice.send_text("bob", "C2C", "mine").await;
    let e = bob
        .call("revokeMessage", vec![m2.clone()])
        .await
        .expect_err("peer");
    assert_eq!(code_of(e), 10007);
    let mut ghost = m2.clone();
    ghost["ID"] = json!("no-such-message");
    let e = alice
        .call("revokeMessage", vec![ghost])
        .await
        .expect_err("unknown");
    assert_eq!(code_of(e), 20026);
    let e = alice
        .call("revokeMessage", vec![json!(5)])
        .await
        .expect_err("bad arg");
    assert_eq!(code_of(e), 2905);
    // Carol, outside the conversation, sees it as missing.
    let e = carol
        .call("revokeMessage", vec![m2.clone()])
        .await
        .expect_err("outsider");
    assert_eq!(code_of(e), 20026);

    // Group: an admin revokes a member's message; a member may not revoke another's.
    let gid = group_of(
        &alice,
        "rv-group",
        json!([{"userID": "bob", "role": "Admin"}, {"userID": "carol"}]),
    )
    .await;
    let gm = carol.send_text(&gid, "GROUP", "group oops").await;
    bob.wait_text("group oops").await;
    alice2.wait_text("group oops").await;
    let bm = bob.send_text(&gid, "GROUP", "admin text").await;
    let e = carol
        .call("revokeMessage", vec![bm])
        .await
        .expect_err("member");
    assert_eq!(code_of(e), 10007);
    bob.ok("revokeMessage", vec![gm.clone()]).await;
    for c in [&mut carol, &mut alice2] {
        let ev = c
            .wait_for("onMessageRevoked", |l| has_id(l, &gm["ID"]))
            .await;
        assert_eq!(ev[0]["revoker"], "bob");
        assert_eq!(ev[0]["conversationID"], format!("GROUP{gid}"));
    }
    let hist = alice.history(&format!("GROUP{gid}")).await;
    let got = hist
        .iter()
        .find(|m| m["ID"] == gm["ID"])
        .expect("in history");
    assert_eq!(got["isRevoked"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_window_binds_senders_not_admins() {
    let mut server = Server::start();
    std::fs::write(
        server.dir.join("message_ops.toml"),
        "revoke_window_secs = 0\n",
    )
    .expect("write message_ops.toml");
    server.restart();
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let m = alice.send_text("bob", "C2C", "too late").await;
    let e = alice
        .call("revokeMessage", vec![m])
        .await
        .expect_err("window");
    assert_eq!(code_of(e), 20016);
    let gid = group_of(&alice, "win-group", json!([{"userID": "bob"}])).await;
    let bm = bob.send_text(&gid, "GROUP", "member text").await;
    let e = bob
        .call("revokeMessage", vec![bm.clone()])
        .await
        .expect_err("window");
    assert_eq!(code_of(e), 20016);
    let r = alice.ok("revokeMessage", vec![bm]).await;
    assert_eq!(r["message"]["isRevoked"], true);
    assert_eq!(r["message"]["revoker"], "alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_hides_messages_for_one_user_only() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let mut sent = Vec::new();
    for i in 0..20 {
        sent.push(alice.send_text("bob", "C2C", &format!("d{i}")).await);
    }
    // Delete the newest three: alice's history drops them (pages stay full), bob's keeps them.
    let victims: Vec<Value> = sent[17..].to_vec();
    let r = alice.ok("deleteMessage", vec![json!(victims)]).await;
    assert_eq!(r["messageList"].as_array().expect("list").len(), 3);
    assert!(r["messageList"][0]["isDeleted"] == true);
    let mine = alice.history_texts("C2Cbob").await;
    let want: Vec<String> = (0..17).map(|i| format!("d{i}")).collect();
    assert_eq!(mine, want);
    let first = alice
        .ok("getMessageList", vec![json!({"conversationID": "C2Cbob"})])
        .await;
    assert_eq!(first["messageList"].as_array().expect("page").len(), 15);
    assert_eq!(first["isCompleted"], false);
    assert_eq!(bob.history_texts("C2Calice").await.len(), 20);
    // Alice's conversation now ends at the newest message she still sees.
    let conv = alice
        .wait_for("onConversationListUpdated", |l| {
            l.as_array().is_some_and(|l| {
                l.iter().any(|c| {
                    c["conversationID"] == "C2Cbob" && c["lastMessage"]["payload"]["text"] == "d16"
                })
            })
        })
        .await;
    assert!(conv.is_array());
    let found = alice.ok("findMessage", vec![sent[19]["ID"].clone()]).await;
    assert_eq!(found["isDeleted"], true);

    // Bad input: empty, not an array, unknown ID, a message of another conversation, system.
    let e = alice
        .call("deleteMessage", vec![json!([])])
        .await
        .expect_err("empty");
    assert_eq!(code_of(e), 2905);
    let e = alice
        .call("deleteMessage", vec![json!("x")])
        .await
        .expect_err("type");
    assert_eq!(code_of(e), 2905);
    let mut ghost = sent[0].clone();
    ghost["ID"] = json!("ghost-id");
    let e = alice
        .call("deleteMessage", vec![json!([ghost])])
        .await
        .expect_err("unknown");
    assert_eq!(code_of(e), 20026);
    let other = alice.send_text("carol", "C2C", "to carol").await;
    let mut mixed = sent[0].clone();
    mixed["ID"] = other["ID"].clone();
    let e = alice
        .call("deleteMessage", vec![json!([mixed])])
        .await
        .expect_err("mixed");
    assert_eq!(code_of(e), 10004);
    let e = carol
        .call("deleteMessage", vec![json!([sent[0].clone()])])
        .await;
    assert!(e.is_err(), "carol cannot delete a message of alice and bob");
    let mut sys = sent[0].clone();
    sys["conversationID"] = json!("@TIM#SYSTEM");
    let e = alice
        .call("deleteMessage", vec![json!([sys])])
        .await
        .expect_err("system");
    assert_eq!(code_of(e), 2116);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modify_by_sender_with_conflicts() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut alice2 = desktop(&server, "alice");
    alice2.login_ready(&server).await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let gid = group_of(
        &alice,
        "mod-group",
        json!([{"userID": "bob"}, {"userID": "carol"}]),
    )
    .await;
    let m = alice.send_text(&gid, "GROUP", "draft one").await;
    bob.wait_text("draft one").await;

    let mut edit = m.clone();
    edit["payload"]["text"] = json!("final one");
    edit["cloudCustomData"] = json!("edited");
    let r = alice.ok("modifyMessage", vec![edit.clone()]).await;
    assert_eq!(r["message"]["payload"]["text"], "final one");
    assert_eq!(r["message"]["isModified"], true);
    assert_eq!(r["message"]["version"], 1);
    for c in [&mut bob, &mut carol, &mut alice2, &mut alice] {
        let ev = c
            .wait_for("onMessageModified", |l| has_id(l, &m["ID"]))
            .await;
        assert_eq!(ev[0]["payload"]["text"], "final one");
        assert_eq!(ev[0]["cloudCustomData"], "edited");
    }
    // An outdated copy conflicts; data.message is the latest, and modifying that works.
    let mut stale = m.clone();
    stale["payload"]["text"] = json!("stale edit");
    let e = alice2
        .call("modifyMessage", vec![stale])
        .await
        .expect_err("conflict");
    assert_eq!(e.code, 2480);
    let latest = e.data.expect("data")["message"].clone();
    assert_eq!(latest["payload"]["text"], "final one");
    let mut again = latest.clone();
    again["payload"]["text"] = json!("second edit");
    let r = alice2.ok("modifyMessage", vec![again]).await;
    assert_eq!(r["message"]["version"], 2);
    let hist = carol.history(&format!("GROUP{gid}")).await;
    let got = hist
        .iter()
        .find(|x| x["ID"] == m["ID"])
        .expect("in history");
    assert_eq!(got["payload"]["text"], "second edit");
    assert_eq!(got["isModified"], true);

    // Only the sender; unknown IDs; payload of the wrong shape; revoked messages.
    let mut theirs = r["message"].clone();
    theirs["payload"]["text"] = json!("bob edit");
    let e = bob
        .call("modifyMessage", vec![theirs])
        .await
        .expect_err("not sender");
    assert_eq!(e.code, 10007);
    let mut ghost = m.clone();
    ghost["ID"] = json!("ghost");
    let e = alice
        .call("modifyMessage", vec![ghost])
        .await
        .expect_err("unknown");
    assert_eq!(e.code, 20026);
    let mut bad = r["message"].clone();
    bad["payload"] = json!({"text": 5});
    let e = alice
        .call("modifyMessage", vec![bad])
        .await
        .expect_err("shape");
    assert_eq!(e.code, 10004);
    let c2c = alice.send_text("bob", "C2C", "to revoke").await;
    alice.ok("revokeMessage", vec![c2c.clone()]).await;
    let e = alice
        .call("modifyMessage", vec![c2c])
        .await
        .expect_err("revoked");
    assert_eq!(e.code, 10004);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hopping_by_sequence_and_time() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let gid = group_of(&alice, "hop-group", json!([{"userID": "bob"}])).await;
    for i in 0..20 {
        alice.send_text(&gid, "GROUP", &format!("g{i}")).await;
        alice.send_text("bob", "C2C", &format!("c{i}")).await;
    }
    let conv = format!("GROUP{gid}");
    let texts = |r: &Value| -> Vec<String> {
        r["messageList"]
            .as_array()
            .expect("list")
            .iter()
            .map(text_of)
            .collect()
    };
    // Group, older from the newest: two pages cover everything, oldest first within a page.
    let p1 = bob
        .ok(
            "getMessageListHopping",
            vec![json!({"conversationID": conv})],
        )
        .await;
    let t1 = texts(&p1);
    assert_eq!(t1.len(), 15);
    assert_eq!(t1.last().expect("newest"), "g19");
    assert_eq!(p1["isCompleted"], false);
    let next = p1["nextMessageSeq"].clone();
    assert!(next.is_u64());
    let p2 = bob
        .ok(
            "getMessageListHopping",
            vec![json!({"conversationID": conv, "sequence": next, "direction": 0})],
        )
        .await;
    assert_eq!(p2["isCompleted"], true);
    assert_eq!(p2["nextMessageSeq"], "");
    let mut all = texts(&p2);
    all.extend(t1);
    let group_texts: Vec<String> = all.into_iter().filter(|t| t.starts_with('g')).collect();
    assert_eq!(
        group_texts,
        (0..20).map(|i| format!("g{i}")).collect::<Vec<_>>()
    );
    // Newer from a sequence, and newer without one (empty, complete).
    let first_seq = p2["messageList"][0]["sequence"].as_u64().expect("seq");
    let p3 = bob
        .ok(
            "getMessageListHopping",
            vec![
                json!({"conversationID": conv, "sequence": first_seq, "direction": 1, "count": 3}),
            ],
        )
        .await;
    let seqs: Vec<u64> = p3["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["sequence"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, vec![first_seq, first_seq + 1, first_seq + 2]);
    assert_eq!(p3["nextMessageSeq"], json!(first_seq + 3));
    let p4 = bob
        .ok(
            "getMessageListHopping",
            vec![json!({"conversationID": conv, "direction": 1})],
        )
        .await;
    assert_eq!(p4["messageList"], json!([]));
    assert_eq!(p4["isCompleted"], true);

    // C2C by time: pages never repeat or skip a message, whatever the seconds hold.
    let mut seen: Vec<String> = Vec::new();
    let mut opts = json!({"conversationID": "C2Calice", "count": 4});
    loop {
        let p = bob.ok("getMessageListHopping", vec![opts.clone()]).await;
        let mut page = texts(&p);
        page.extend(seen);
        seen = page;
        if p["isCompleted"] == true {
            assert_eq!(p["nextMessageTime"], "");
            break;
        }
        opts["time"] = p["nextMessageTime"].clone();
    }
    assert_eq!(seen, (0..20).map(|i| format!("c{i}")).collect::<Vec<_>>());

    // Bad input and strangers.
    for bad in [
        json!({"conversationID": conv, "count": 16}),
        json!({"conversationID": conv, "direction": 2}),
        json!({"conversationID": conv, "sequence": "x"}),
        json!({"conversationID": 5}),
        json!("x"),
    ] {
        let e = bob
            .call("getMessageListHopping", vec![bad])
            .await
            .expect_err("bad");
        assert_eq!(e.code, 2905);
    }
    let e = bob
        .call(
            "getMessageListHopping",
            vec![json!({"conversationID": "nope"})],
        )
        .await
        .expect_err("bad id");
    assert_eq!(e.code, 2503);
    let e = carol
        .call(
            "getMessageListHopping",
            vec![json!({"conversationID": conv})],
        )
        .await
        .expect_err("stranger");
    assert_eq!(e.code, 10007);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merger_and_forward() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let dave = Client::login(&server, "dave").await;
    let gid = group_of(&alice, "merge-group", json!([{"userID": "carol"}])).await;
    let mut picked = Vec::new();
    for i in 0..3 {
        picked.push(alice.send_text(&gid, "GROUP", &format!("m{i}")).await);
    }
    let merger = alice
        .ok(
            "createMergerMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {
                "messageList": picked, "title": "group history",
                "abstractList": ["alice: m0", "alice: m1", "alice: m2"],
                "compatibleText": "upgrade to see this"}})],
        )
        .await;
    assert_eq!(merger["type"], "TIMRelayElem");
    let key = merger["payload"]["downloadKey"]
        .as_str()
        .expect("key")
        .to_owned();
    assert!(!key.is_empty());
    alice.ok("sendMessage", vec![merger.clone()]).await;
    let got = bob
        .wait_for("onMessageReceived", |l| has_id(l, &merger["ID"]))
        .await;
    let received = got[0].clone();
    assert_eq!(received["payload"]["title"], "group history");
    let full = bob
        .ok("downloadMergerMessage", vec![received.clone()])
        .await;
    let texts: Vec<String> = full["payload"]["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .map(text_of)
        .collect();
    assert_eq!(texts, vec!["m0", "m1", "m2"]);
    // Someone who never saw the merger message cannot fetch its history.
    let e = dave
        .call("downloadMergerMessage", vec![received.clone()])
        .await
        .expect_err("stranger");
    assert_eq!(e.code, 2451);
    // Forwarding the merger message to carol lets her fetch it.
    let fwd = bob
        .ok(
            "createForwardMessage",
            vec![json!({"to": "carol", "conversationType": "C2C", "payload": full})],
        )
        .await;
    assert_eq!(fwd["type"], "TIMRelayElem");
    assert_eq!(fwd["payload"]["messageList"], json!([]));
    assert_ne!(fwd["ID"], merger["ID"]);
    bob.ok("sendMessage", vec![fwd.clone()]).await;
    let got = carol
        .wait_for("onMessageReceived", |l| has_id(l, &fwd["ID"]))
        .await;
    let carol_full = carol
        .ok("downloadMergerMessage", vec![got[0].clone()])
        .await;
    assert_eq!(
        carol_full["payload"]["messageList"]
            .as_array()
            .expect("list")
            .len(),
        3
    );
    // Forwarding a text to a group.
    let t = bob.send_text("alice", "C2C", "pass it on").await;
    let fwd = alice
        .ok(
            "createForwardMessage",
            vec![json!({"to": gid, "conversationType": "GROUP", "payload": t})],
        )
        .await;
    alice.ok("sendMessage", vec![fwd]).await;
    carol.wait_text("pass it on").await;

    // Bad input.
    let mut failed = picked[0].clone();
    failed["status"] = json!("fail");
    let e = alice
        .call(
            "createMergerMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {
                "messageList": [failed], "title": "t", "abstractList": [], "compatibleText": "c"}})],
        )
        .await
        .expect_err("failed message");
    assert_eq!(e.code, 2450);
    let e = alice
        .call(
            "createMergerMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {
                "messageList": [], "title": "t", "abstractList": [], "compatibleText": "c"}})],
        )
        .await
        .expect_err("empty");
    assert_eq!(e.code, 2450);
    let mut tampered = received.clone();
    tampered["payload"]["downloadKey"] = json!("0123456789abcdef");
    let e = bob
        .call("downloadMergerMessage", vec![tampered])
        .await
        .expect_err("bad key");
    assert_eq!(e.code, 2451);
    let e = bob
        .call("downloadMergerMessage", vec![picked[0].clone()])
        .await
        .expect_err("not a merger");
    assert_eq!(e.code, 2450);
    let mut tip = picked[0].clone();
    tip["type"] = json!("TIMGroupTipElem");
    let e = alice
        .call(
            "createForwardMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": tip})],
        )
        .await
        .expect_err("tip");
    assert_eq!(e.code, 2453);
    // A merger message sent by hand with neither a list nor a key is refused by the server.
    let mut hand = alice
        .ok(
            "createCustomMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"data": "x"}})],
        )
        .await;
    hand["type"] = json!("TIMRelayElem");
    hand["payload"] = json!({"title": "t", "abstractList": [], "compatibleText": "c"});
    let e = alice
        .call("sendMessage", vec![hand])
        .await
        .expect_err("empty merger");
    assert_eq!(e.code, 2450);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_after_a_failed_send_is_idempotent() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let gid = group_of(&alice, "resend-group", json!([{"userID": "bob"}])).await;
    let m = carol
        .ok(
            "createTextMessage",
            vec![json!({"to": gid, "conversationType": "GROUP", "payload": {"text": "let me in"}})],
        )
        .await;
    let e = carol
        .call("sendMessage", vec![m.clone()])
        .await
        .expect_err("not a member");
    let failed = e.data.expect("data")["message"].clone();
    assert_eq!(failed["status"], "fail");
    carol.ok("joinGroup", vec![json!({"groupID": gid})]).await;
    let r1 = carol.ok("resendMessage", vec![failed.clone()]).await;
    assert_eq!(r1["message"]["status"], "success");
    let r2 = carol.ok("resendMessage", vec![failed]).await;
    assert_eq!(r2["message"]["sequence"], r1["message"]["sequence"]);
    bob.wait_text("let me in").await;
    let hist = alice.history_texts(&format!("GROUP{gid}")).await;
    assert_eq!(hist.iter().filter(|t| *t == "let me in").count(), 1);
}
