//! Signaling: invitations for calls, carried as messages, with server-run timeouts.

use pigeon_tests::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_accept_and_timeout() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let r = alice
        .ok(
            "invite",
            vec![json!({"userID": "bob", "data": "video", "timeout": 30})],
        )
        .await;
    let id = r["inviteID"].as_str().expect("inviteID").to_owned();
    let got = bob.wait_event("newInvitationReceived").await;
    assert_eq!(got["inviteID"], json!(id));
    assert_eq!(got["inviter"], "alice");
    assert_eq!(got["data"], "video");
    let msg = bob.wait_event("onMessageReceived").await;
    let info = bob.ok("getSignalingInfo", vec![msg[0].clone()]).await;
    assert_eq!(info["inviteID"], json!(id));
    assert_eq!(info["actionType"], 1);
    bob.ok("accept", vec![json!({"inviteID": id, "data": "ok"})])
        .await;
    let acc = alice.wait_event("ts_invitee_accepted").await;
    assert_eq!(acc["invitee"], "bob");
    let late = bob
        .call("reject", vec![json!({"inviteID": id})])
        .await
        .expect_err("answered");
    assert!(late.code == 8010 || late.code == 8012, "{late:?}");

    let r = alice
        .ok("invite", vec![json!({"userID": "bob", "timeout": 1})])
        .await;
    let id2 = r["inviteID"].as_str().expect("inviteID").to_owned();
    let t = alice
        .wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(id2))
        .await;
    assert_eq!(t["inviteeList"], json!(["bob"]));
    let tb = bob
        .wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(id2))
        .await;
    assert_eq!(tb["isSelfTimeout"], true);
    let late = bob
        .call("accept", vec![json!({"inviteID": id2})])
        .await
        .expect_err("late");
    assert_eq!(late.code, 8010);
    let plain = alice.send_text("bob", "C2C", "not signaling").await;
    assert_eq!(alice.ok("getSignalingInfo", vec![plain]).await, Value::Null);
}

/// The TSignaling event names (constants.json).
const SIGNALING_EVENTS: [&str; 6] = [
    "newInvitationReceived",
    "ts_invitee_accepted",
    "ts_invitee_rejected",
    "ts_invitation_cancelled",
    "ts_invitation_timeout",
    "ts_invitation_modified",
];

/// Sends `method` and returns the inviteID it resolves with.
async fn invite_id(c: &Client, method: &str, opts: Value) -> String {
    let r = c.ok(method, vec![opts]).await;
    r["inviteID"]
        .as_str()
        .expect("an invitation resolves with its inviteID")
        .to_owned()
}

/// The error code of a call that must fail.
async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    match c.call(method, args.clone()).await {
        Ok(v) => panic!("{} {method}({args:?}) succeeded: {v}", c.user),
        Err(e) => e.code,
    }
}

fn has_text(messages: &Value, text: &str) -> bool {
    messages
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| m["payload"]["text"] == json!(text))
}

/// `from` sends `text` to `to` (C2C) and `to` waits for it: everything `to` was sent before is
/// then applied, so what it did not record by now it will not get.
async fn barrier(from: &Client, to: &mut Client, text: &str) {
    from.send_text(&to.user, "C2C", text).await;
    to.wait_for("onMessageReceived", |d| has_text(d, text))
        .await;
}

/// The signaling events recorded for `invite` (all TSignaling names).
fn signaling_for(c: &mut Client, invite: &str) -> Vec<String> {
    c.drain();
    let mut out = vec![];
    for name in SIGNALING_EVENTS {
        for e in c.events_named(name) {
            if e["inviteID"] == json!(invite) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// Every message of a conversation, oldest first.
async fn history(c: &Client, conv_id: &str) -> Vec<Value> {
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
            return all;
        }
        next = Some(
            page["nextReqMessageID"]
                .as_str()
                .expect("nextReqMessageID")
                .to_owned(),
        );
    }
}

/// getSignalingInfo of every signaling message in a conversation's history for `invite`.
async fn infos_of(c: &Client, conv_id: &str, invite: &str) -> Vec<Value> {
    let mut out = vec![];
    for m in history(c, conv_id).await {
        let info = c.ok("getSignalingInfo", vec![m]).await;
        if info["inviteID"] == json!(invite) {
            out.push(info);
        }
    }
    out
}

/// A client for `user` over the cache dir `dir`.
fn on_disk(server: &Server, user: &str, dir: &std::path::Path) -> Client {
    Client::with(
        server,
        user,
        ClientOpts {
            url: server.url(),
            data_dir: Some(dir.to_path_buf()),
            platform: "web".into(),
        },
    )
}

/// The local conversation `conv_id` of `c`.
fn local_conversation(c: &Client, conv_id: &str) -> Value {
    let list = c
        .chat
        .get_conversation_list(Value::Null)
        .expect("getConversationList");
    list["conversationList"]
        .as_array()
        .expect("conversationList")
        .iter()
        .find(|x| x["conversationID"] == json!(conv_id))
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c2c_accept_reject_cancel_modify_and_wrong_actors() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;

    // accept
    let id = invite_id(
        &alice,
        "invite",
        json!({"userID": "bob", "data": "call-1", "timeout": 60}),
    )
    .await;
    let got = bob
        .wait_for("newInvitationReceived", |d| d["inviteID"] == json!(id))
        .await;
    assert_eq!(got["inviter"], "alice", "{got}");
    assert_eq!(got["groupID"], "", "{got}");
    assert_eq!(got["inviteeList"], json!(["bob"]), "{got}");
    assert_eq!(got["data"], "call-1", "{got}");
    assert_eq!(got["timeout"], 60, "{got}");
    // Wrong actors: only the inviter cancels or modifies, only invitees answer.
    for (who, method) in [
        (&bob, "cancel"),
        (&carol, "cancel"),
        (&alice, "accept"),
        (&alice, "reject"),
        (&carol, "accept"),
        (&carol, "reject"),
    ] {
        let c = code_of(who, method, vec![json!({"inviteID": id})]).await;
        assert_eq!(c, 8011, "{} {method}", who.user);
    }
    for who in [&bob, &carol] {
        let c = code_of(
            who,
            "modifyInvitation",
            vec![json!({"inviteID": id, "data": "x"})],
        )
        .await;
        assert_eq!(c, 8011, "{} modifyInvitation", who.user);
    }
    bob.ok("accept", vec![json!({"inviteID": id, "data": "yes"})])
        .await;
    let acc = alice
        .wait_for("ts_invitee_accepted", |d| d["inviteID"] == json!(id))
        .await;
    assert_eq!(acc["inviter"], "alice", "{acc}");
    assert_eq!(acc["invitee"], "bob", "{acc}");
    assert_eq!(acc["groupID"], "", "{acc}");
    assert_eq!(acc["data"], "yes", "{acc}");
    // Finished: every action is refused with 8010.
    for (who, method) in [
        (&alice, "cancel"),
        (&alice, "modifyInvitation"),
        (&bob, "accept"),
        (&bob, "reject"),
    ] {
        let c = code_of(who, method, vec![json!({"inviteID": id, "data": "late"})]).await;
        assert_eq!(c, 8010, "{} {method} after the answer", who.user);
    }

    // reject
    let id2 = invite_id(&alice, "invite", json!({"userID": "bob"})).await;
    bob.wait_for("newInvitationReceived", |d| d["inviteID"] == json!(id2))
        .await;
    bob.ok("reject", vec![json!({"inviteID": id2, "data": "busy"})])
        .await;
    let rej = alice
        .wait_for("ts_invitee_rejected", |d| d["inviteID"] == json!(id2))
        .await;
    assert_eq!(rej["invitee"], "bob", "{rej}");
    assert_eq!(rej["inviter"], "alice", "{rej}");
    assert_eq!(rej["data"], "busy", "{rej}");
    let c = code_of(&bob, "accept", vec![json!({"inviteID": id2})]).await;
    assert_eq!(c, 8010, "accept after reject");

    // modify, then cancel
    let id3 = invite_id(&alice, "invite", json!({"userID": "bob", "data": "audio"})).await;
    bob.wait_for("newInvitationReceived", |d| d["inviteID"] == json!(id3))
        .await;
    alice
        .ok(
            "modifyInvitation",
            vec![json!({"inviteID": id3, "data": "video"})],
        )
        .await;
    let m = bob
        .wait_for("ts_invitation_modified", |d| d["inviteID"] == json!(id3))
        .await;
    assert_eq!(m["data"], "video", "{m}");
    assert_eq!(m["inviter"], "alice", "{m}");
    assert_eq!(m["groupID"], "", "{m}");
    alice
        .ok("cancel", vec![json!({"inviteID": id3, "data": "bye"})])
        .await;
    let can = bob
        .wait_for("ts_invitation_cancelled", |d| d["inviteID"] == json!(id3))
        .await;
    assert_eq!(can["inviter"], "alice", "{can}");
    for (who, method) in [
        (&bob, "accept"),
        (&bob, "reject"),
        (&alice, "cancel"),
        (&alice, "modifyInvitation"),
    ] {
        let c = code_of(who, method, vec![json!({"inviteID": id3, "data": "late"})]).await;
        assert_eq!(c, 8010, "{} {method} after cancel", who.user);
    }

    // Nobody hears of invitations that are not theirs, nor of their own actions.
    barrier(&alice, &mut carol, "carol barrier").await;
    barrier(&bob, &mut alice, "alice barrier").await;
    barrier(&alice, &mut bob, "bob barrier").await;
    for id in [&id, &id2, &id3] {
        assert_eq!(signaling_for(&mut carol, id), Vec::<String>::new());
    }
    assert_eq!(signaling_for(&mut alice, &id), Vec::<String>::new());
    assert_eq!(signaling_for(&mut alice, &id3), Vec::<String>::new());
    assert_eq!(signaling_for(&mut bob, &id3), Vec::<String>::new());
    // Each invitation was announced once.
    let news = bob.events_named("newInvitationReceived");
    assert!(news.is_empty(), "announced again: {news:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signaling_info_for_every_action_type_and_null_for_ordinary_messages() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;

    let a = invite_id(&alice, "invite", json!({"userID": "bob", "data": "d1"})).await;
    alice
        .ok(
            "modifyInvitation",
            vec![json!({"inviteID": a, "data": "d2"})],
        )
        .await;
    alice
        .ok("cancel", vec![json!({"inviteID": a, "data": "d3"})])
        .await;
    let b = invite_id(&alice, "invite", json!({"userID": "bob"})).await;
    bob.ok("accept", vec![json!({"inviteID": b, "data": "d4"})])
        .await;
    let c = invite_id(&alice, "invite", json!({"userID": "bob"})).await;
    bob.ok("reject", vec![json!({"inviteID": c, "data": "d5"})])
        .await;
    let d = invite_id(&alice, "invite", json!({"userID": "bob", "timeout": 1})).await;
    alice
        .wait_for("ts_invitation_timeout", |e| e["inviteID"] == json!(d))
        .await;
    bob.wait_for("ts_invitation_timeout", |e| e["inviteID"] == json!(d))
        .await;

    // The same infos from both sides' history.
    for (who, conv) in [(&alice, "C2Cbob"), (&bob, "C2Calice")] {
        let infos = infos_of(who, conv, &a).await;
        let types: Vec<&Value> = infos.iter().map(|i| &i["actionType"]).collect();
        assert_eq!(types, vec![&json!(1), &json!(1), &json!(2)], "{infos:?}");
        let datas: Vec<&Value> = infos.iter().map(|i| &i["data"]).collect();
        assert_eq!(datas, vec![&json!("d1"), &json!("d2"), &json!("d3")]);
        for i in &infos {
            assert_eq!(i["inviter"], "alice", "{i}");
            assert_eq!(i["groupID"], "", "{i}");
            assert_eq!(i["inviteeList"], json!(["bob"]), "{i}");
            assert_eq!(i["timeout"], 0, "{i}");
        }
        let accept = infos_of(who, conv, &b).await;
        assert_eq!(accept.len(), 2, "invite and accept: {accept:?}");
        assert_eq!(accept[0]["actionType"], 1);
        assert_eq!(accept[1]["actionType"], 3);
        assert_eq!(accept[1]["data"], "d4");
        assert_eq!(accept[1]["inviteeList"], json!(["bob"]));
        let reject = infos_of(who, conv, &c).await;
        assert_eq!(reject.len(), 2, "invite and reject: {reject:?}");
        assert_eq!(reject[1]["actionType"], 4);
        assert_eq!(reject[1]["data"], "d5");
        let timeout = infos_of(who, conv, &d).await;
        assert_eq!(timeout.len(), 2, "invite and timeout: {timeout:?}");
        assert_eq!(timeout[1]["actionType"], 5);
        assert_eq!(timeout[1]["inviteeList"], json!(["bob"]));
        assert_eq!(timeout[1]["timeout"], 1);
    }
    // The messages are custom messages carrying the JSON with businessID 1; a modification is
    // an invite with isModified.
    let msgs = history(&bob, "C2Calice").await;
    let modified: Vec<Value> = msgs
        .iter()
        .filter_map(|m| {
            let v: Value = serde_json::from_str(m["payload"]["data"].as_str()?).ok()?;
            (v["inviteID"] == json!(a) && v["actionType"] == 1).then_some(v)
        })
        .collect();
    assert_eq!(modified.len(), 2, "{modified:?}");
    assert_eq!(modified[0]["businessID"], 1);
    assert_ne!(modified[0]["isModified"], true);
    assert_eq!(modified[1]["isModified"], true);
    assert!(msgs
        .iter()
        .all(|m| m["type"] == "TIMCustomElem" && m["payload"]["data"].is_string()));

    // Ordinary messages: null.
    let text = alice.send_text("bob", "C2C", "plain text").await;
    assert_eq!(alice.ok("getSignalingInfo", vec![text]).await, Value::Null);
    for data in [
        "not json",
        "{}",
        r#"{"businessID": 2, "inviteID": "x", "actionType": 1}"#,
        r#"{"businessID": 1}"#,
    ] {
        let m = alice
            .ok(
                "createCustomMessage",
                vec![json!({"to": "bob", "conversationType": "C2C",
                    "payload": {"data": data, "description": "", "extension": ""}})],
            )
            .await;
        let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
        assert_eq!(
            alice.ok("getSignalingInfo", vec![sent]).await,
            Value::Null,
            "custom data {data}"
        );
    }
}

/// Alice creates a group with bob, carol and dave; returns its ID once all three know it.
async fn group_of_four(alice: &Client, others: &mut [&mut Client]) -> String {
    let r = alice
        .ok(
            "createGroup",
            vec![json!({"name": "calls", "type": "Private", "memberList":
                [{"userID": "bob"}, {"userID": "carol"}, {"userID": "dave"}]})],
        )
        .await;
    let gid = r["group"]["groupID"].as_str().expect("groupID").to_owned();
    for c in others.iter_mut() {
        c.wait_for("onGroupListUpdated", |l| {
            l.as_array()
                .into_iter()
                .flatten()
                .any(|g| g["groupID"] == json!(gid))
        })
        .await;
    }
    gid
}

/// `from` sends a group text and every one of `to` waits for it.
async fn group_barrier(from: &Client, gid: &str, to: &mut [&mut Client], text: &str) {
    from.send_text(gid, "GROUP", text).await;
    for c in to.iter_mut() {
        c.wait_for("onMessageReceived", |d| has_text(d, text)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_accept_reject_cancel_modify_timeout() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let mut dave = Client::login(&server, "dave").await;
    let eve = Client::login(&server, "eve").await;
    let gid = group_of_four(&alice, &mut [&mut bob, &mut carol, &mut dave]).await;
    let invite = |data: &str, timeout: u64| json!({"groupID": gid, "inviteeList": ["bob", "carol"], "data": data, "timeout": timeout});

    // Refused invitations.
    let bad = [
        (
            &alice,
            json!({"groupID": gid, "inviteeList": ["bob", "eve"]}),
            10004,
        ),
        (
            &alice,
            json!({"groupID": gid, "inviteeList": ["alice", "bob"]}),
            10004,
        ),
        (&eve, json!({"groupID": gid, "inviteeList": ["bob"]}), 10007),
        (
            &alice,
            json!({"groupID": gid, "inviteeList": ["bob"], "timeout": 86_401}),
            10004,
        ),
    ];
    for (who, opts, want) in bad {
        assert_eq!(
            code_of(who, "inviteInGroup", vec![opts.clone()]).await,
            want,
            "{} inviteInGroup {opts}",
            who.user
        );
    }

    // accept by bob, reject by carol: the inviter and the other invitee hear of each.
    let id = invite_id(&alice, "inviteInGroup", invite("meet", 60)).await;
    for c in [&mut bob, &mut carol] {
        let got = c
            .wait_for("newInvitationReceived", |d| d["inviteID"] == json!(id))
            .await;
        assert_eq!(got["groupID"], json!(gid), "{got}");
        assert_eq!(got["inviter"], "alice", "{got}");
        assert_eq!(got["inviteeList"], json!(["bob", "carol"]), "{got}");
        assert_eq!(got["data"], "meet", "{got}");
        assert_eq!(got["timeout"], 60, "{got}");
    }
    // Wrong actors: dave is a member but not invited.
    for (who, method) in [
        (&dave, "accept"),
        (&dave, "reject"),
        (&dave, "cancel"),
        (&bob, "cancel"),
        (&alice, "accept"),
    ] {
        let c = code_of(who, method, vec![json!({"inviteID": id})]).await;
        assert_eq!(c, 8011, "{} {method}", who.user);
    }
    let c = code_of(
        &carol,
        "modifyInvitation",
        vec![json!({"inviteID": id, "data": "x"})],
    )
    .await;
    assert_eq!(c, 8011, "an invitee modifies");
    bob.ok("accept", vec![json!({"inviteID": id, "data": "in"})])
        .await;
    // Duplicate answers while the invitation is still open (carol has not answered).
    for method in ["accept", "reject"] {
        let c = code_of(&bob, method, vec![json!({"inviteID": id})]).await;
        assert_eq!(c, 8012, "bob {method} twice");
    }
    for c in [&mut alice, &mut carol] {
        let acc = c
            .wait_for("ts_invitee_accepted", |d| d["inviteID"] == json!(id))
            .await;
        assert_eq!(acc["invitee"], "bob", "{acc}");
        assert_eq!(acc["groupID"], json!(gid), "{acc}");
        assert_eq!(acc["inviter"], "alice", "{acc}");
        assert_eq!(acc["data"], "in", "{acc}");
    }
    carol
        .ok("reject", vec![json!({"inviteID": id, "data": "out"})])
        .await;
    for c in [&mut alice, &mut bob] {
        let rej = c
            .wait_for("ts_invitee_rejected", |d| d["inviteID"] == json!(id))
            .await;
        assert_eq!(rej["invitee"], "carol", "{rej}");
        assert_eq!(rej["groupID"], json!(gid), "{rej}");
        assert_eq!(rej["data"], "out", "{rej}");
    }
    // Everyone answered: finished.
    for (who, method) in [(&alice, "cancel"), (&bob, "reject"), (&carol, "accept")] {
        let c = code_of(who, method, vec![json!({"inviteID": id})]).await;
        assert_eq!(c, 8010, "{} {method} after all answered", who.user);
    }

    // modify, then cancel: both invitees hear of each.
    let id2 = invite_id(&alice, "inviteInGroup", invite("audio", 0)).await;
    alice
        .ok(
            "modifyInvitation",
            vec![json!({"inviteID": id2, "data": "video"})],
        )
        .await;
    for c in [&mut bob, &mut carol] {
        let m = c
            .wait_for("ts_invitation_modified", |d| d["inviteID"] == json!(id2))
            .await;
        assert_eq!(m["data"], "video", "{m}");
        assert_eq!(m["groupID"], json!(gid), "{m}");
    }
    alice.ok("cancel", vec![json!({"inviteID": id2})]).await;
    for c in [&mut bob, &mut carol] {
        let can = c
            .wait_for("ts_invitation_cancelled", |d| d["inviteID"] == json!(id2))
            .await;
        assert_eq!(can["groupID"], json!(gid), "{can}");
        assert_eq!(can["inviter"], "alice", "{can}");
    }
    let c = code_of(&bob, "accept", vec![json!({"inviteID": id2})]).await;
    assert_eq!(c, 8010, "accept after cancel");

    // timeout with bob answered and carol silent: only carol times out.
    let id3 = invite_id(&alice, "inviteInGroup", invite("", 1)).await;
    bob.wait_for("newInvitationReceived", |d| d["inviteID"] == json!(id3))
        .await;
    bob.ok("accept", vec![json!({"inviteID": id3})]).await;
    let t = alice
        .wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(id3))
        .await;
    assert_eq!(t["inviteeList"], json!(["carol"]), "{t}");
    assert_eq!(t["isSelfTimeout"], false, "{t}");
    assert_eq!(t["groupID"], json!(gid), "{t}");
    assert_eq!(t["inviter"], "alice", "{t}");
    let t = carol
        .wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(id3))
        .await;
    assert_eq!(t["inviteeList"], json!(["carol"]), "{t}");
    assert_eq!(t["isSelfTimeout"], true, "{t}");
    let c = code_of(&carol, "accept", vec![json!({"inviteID": id3})]).await;
    assert_eq!(c, 8010, "late answer");

    // After a barrier: bob got no timeout, and dave (not invited) no signaling event at all.
    group_barrier(
        &alice,
        &gid,
        &mut [&mut bob, &mut carol, &mut dave],
        "end of calls",
    )
    .await;
    assert_eq!(
        signaling_for(&mut bob, &id3),
        Vec::<String>::new(),
        "bob answered: no timeout for him"
    );
    for id in [&id, &id2, &id3] {
        assert_eq!(
            signaling_for(&mut dave, id),
            Vec::<String>::new(),
            "dave was not invited"
        );
    }
    // The signaling messages themselves are in the group's history, for everyone.
    let infos = infos_of(&dave, &format!("GROUP{gid}"), &id).await;
    let types: Vec<&Value> = infos.iter().map(|i| &i["actionType"]).collect();
    assert_eq!(types, vec![&json!(1), &json!(3), &json!(4)], "{infos:?}");
    assert!(infos.iter().all(|i| i["groupID"] == json!(gid)));
    let infos = infos_of(&alice, &format!("GROUP{gid}"), &id3).await;
    let types: Vec<&Value> = infos.iter().map(|i| &i["actionType"]).collect();
    assert_eq!(types, vec![&json!(1), &json!(3), &json!(5)], "{infos:?}");
    assert_eq!(infos[2]["inviteeList"], json!(["carol"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c2c_invite_refusals() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let c = code_of(&alice, "invite", vec![json!({"userID": "alice"})]).await;
    assert_eq!(c, 10004, "inviting yourself");
    let c = code_of(
        &alice,
        "invite",
        vec![json!({"userID": "bob", "timeout": 86_401})],
    )
    .await;
    assert_eq!(c, 10004, "timeout over a day");
    // A day is fine.
    invite_id(
        &alice,
        "invite",
        json!({"userID": "bob", "timeout": 86_400}),
    )
    .await;
    for method in ["accept", "reject", "cancel"] {
        let c = code_of(&alice, method, vec![json!({"inviteID": "no-such-invite"})]).await;
        assert_eq!(c, 8010, "{method} of an unknown invitation");
    }
    let c = code_of(
        &alice,
        "modifyInvitation",
        vec![json!({"inviteID": "no-such-invite", "data": "x"})],
    )
    .await;
    assert_eq!(c, 8010, "modify of an unknown invitation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_2905() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut cases: Vec<(&str, Vec<Value>)> = vec![
        ("invite", vec![]),
        ("invite", vec![json!("bob")]),
        ("invite", vec![json!({})]),
        ("invite", vec![json!({"userID": ""})]),
        ("invite", vec![json!({"userID": 5})]),
        ("invite", vec![json!({"userID": "bob", "timeout": "30"})]),
        ("invite", vec![json!({"userID": "bob", "timeout": -1})]),
        ("invite", vec![json!({"userID": "bob", "data": 7})]),
        (
            "invite",
            vec![json!({"userID": "bob", "onlineUserOnly": "yes"})],
        ),
        ("inviteInGroup", vec![]),
        ("inviteInGroup", vec![json!({})]),
        ("inviteInGroup", vec![json!({"inviteeList": ["bob"]})]),
        ("inviteInGroup", vec![json!({"groupID": "g1"})]),
        (
            "inviteInGroup",
            vec![json!({"groupID": "g1", "inviteeList": []})],
        ),
        (
            "inviteInGroup",
            vec![json!({"groupID": "g1", "inviteeList": "bob"})],
        ),
        (
            "inviteInGroup",
            vec![json!({"groupID": 1, "inviteeList": ["bob"]})],
        ),
        ("modifyInvitation", vec![json!({"inviteID": "x"})]),
        (
            "modifyInvitation",
            vec![json!({"inviteID": "x", "data": 1})],
        ),
        ("modifyInvitation", vec![json!({"data": "x"})]),
        ("getSignalingInfo", vec![]),
        ("getSignalingInfo", vec![json!("message")]),
    ];
    for method in ["cancel", "accept", "reject"] {
        cases.push((method, vec![]));
        cases.push((method, vec![json!("an-id")]));
        cases.push((method, vec![json!({})]));
        cases.push((method, vec![json!({"inviteID": ""})]));
        cases.push((method, vec![json!({"inviteID": 5})]));
        cases.push((method, vec![json!({"inviteID": "x", "data": 5})]));
    }
    for (method, args) in cases {
        let c = code_of(&alice, method, args.clone()).await;
        assert_eq!(c, 2905, "{method}({args:?})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_invitee_gets_the_invitation_at_login_once() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    // bob's device knows the server already (it has a cache); carol's is new.
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut bob = on_disk(&server, "bob", dir.path());
        bob.login_ready(&server).await;
        barrier(&alice, &mut bob, "before").await;
        bob.ok("logout", vec![]).await;
    }
    let for_bob = invite_id(
        &alice,
        "invite",
        json!({"userID": "bob", "data": "b", "timeout": 120}),
    )
    .await;
    let for_carol = invite_id(
        &alice,
        "invite",
        json!({"userID": "carol", "data": "c", "timeout": 120}),
    )
    .await;

    let mut bob = on_disk(&server, "bob", dir.path());
    bob.login_ready(&server).await;
    let mut carol = Client::login(&server, "carol").await;
    barrier(&alice, &mut bob, "after bob's login").await;
    barrier(&alice, &mut carol, "after carol's login").await;
    for (c, id, data) in [(&mut bob, &for_bob, "b"), (&mut carol, &for_carol, "c")] {
        let news = c.events_named("newInvitationReceived");
        assert_eq!(news.len(), 1, "{}: exactly once: {news:?}", c.user);
        assert_eq!(news[0]["inviteID"], json!(id));
        assert_eq!(news[0]["inviter"], "alice");
        assert_eq!(news[0]["data"], data);
        assert_eq!(news[0]["timeout"], 120);
        c.ok("accept", vec![json!({"inviteID": id})]).await;
    }
    for id in [&for_bob, &for_carol] {
        alice
            .wait_for("ts_invitee_accepted", |d| d["inviteID"] == json!(id))
            .await;
    }

    // Answered before the login: nothing to announce.
    let answered = invite_id(&alice, "invite", json!({"userID": "carol"})).await;
    carol
        .wait_for("newInvitationReceived", |d| {
            d["inviteID"] == json!(answered)
        })
        .await;
    carol
        .ok("reject", vec![json!({"inviteID": answered})])
        .await;
    let mut carol2 = Client::login(&server, "carol").await;
    barrier(&alice, &mut carol2, "carol's second device").await;
    let news = carol2.events_named("newInvitationReceived");
    assert!(news.is_empty(), "answered or ended invitations: {news:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_user_only_reaches_online_invitees_and_leaves_no_history() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;

    let id = invite_id(
        &alice,
        "invite",
        json!({"userID": "bob", "data": "ring", "timeout": 60, "onlineUserOnly": true}),
    )
    .await;
    let got = bob
        .wait_for("newInvitationReceived", |d| d["inviteID"] == json!(id))
        .await;
    assert_eq!(got["data"], "ring", "{got}");
    let c = code_of(
        &alice,
        "modifyInvitation",
        vec![json!({"inviteID": id, "data": "x"})],
    )
    .await;
    assert_eq!(c, 10004, "modify of an onlineUserOnly invitation");
    bob.ok("accept", vec![json!({"inviteID": id})]).await;
    alice
        .wait_for("ts_invitee_accepted", |d| d["inviteID"] == json!(id))
        .await;
    // A timeout, online only too.
    let t = invite_id(
        &alice,
        "invite",
        json!({"userID": "bob", "timeout": 1, "onlineUserOnly": true}),
    )
    .await;
    alice
        .wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(t))
        .await;
    bob.wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(t))
        .await;
    // An invitation to carol, offline: her later login does not bring it.
    let for_carol = invite_id(
        &alice,
        "invite",
        json!({"userID": "carol", "timeout": 60, "onlineUserOnly": true}),
    )
    .await;
    let mut carol = Client::login(&server, "carol").await;
    barrier(&alice, &mut carol, "carol is here").await;
    assert_eq!(signaling_for(&mut carol, &for_carol), Vec::<String>::new());

    // Nothing in history, no unread.
    barrier(&alice, &mut bob, "bob barrier").await;
    for (who, conv) in [(&alice, "C2Cbob"), (&bob, "C2Calice"), (&carol, "C2Calice")] {
        let msgs = history(who, conv).await;
        let custom: Vec<&Value> = msgs.iter().filter(|m| m["type"] != "TIMTextElem").collect();
        assert!(custom.is_empty(), "{} {conv}: {custom:?}", who.user);
    }
    let p = bob
        .ok("getConversationProfile", vec![json!("C2Calice")])
        .await;
    assert_eq!(p["conversation"]["unreadCount"], 1, "only the barrier: {p}");
    assert_eq!(
        p["conversation"]["lastMessage"]["payload"]["text"],
        "bob barrier"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclude_from_history_keeps_unread_and_last_message() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let hi = alice.send_text("bob", "C2C", "hi").await;
    bob.wait_for("onMessageReceived", |d| has_text(d, "hi"))
        .await;
    let hush = json!({"excludeFromHistoryMessage": true}).to_string();

    let id = invite_id(
        &alice,
        "invite",
        json!({"userID": "bob", "data": hush, "timeout": 60}),
    )
    .await;
    bob.wait_for("newInvitationReceived", |d| d["inviteID"] == json!(id))
        .await;
    let p = bob
        .ok("getConversationProfile", vec![json!("C2Calice")])
        .await;
    assert_eq!(p["conversation"]["unreadCount"], 1, "{p}");
    assert_eq!(p["conversation"]["lastMessage"]["ID"], hi["ID"], "{p}");
    bob.ok("accept", vec![json!({"inviteID": id, "data": hush})])
        .await;
    alice
        .wait_for("ts_invitee_accepted", |d| d["inviteID"] == json!(id))
        .await;
    let p = alice
        .ok("getConversationProfile", vec![json!("C2Cbob")])
        .await;
    assert_eq!(p["conversation"]["unreadCount"], 0, "{p}");
    assert_eq!(p["conversation"]["lastMessage"]["ID"], hi["ID"], "{p}");

    // Locally too: after a barrier the counts only hold the ordinary messages.
    barrier(&alice, &mut bob, "bob barrier").await;
    barrier(&bob, &mut alice, "alice barrier").await;
    eventually("bob's conversation to show the last barrier", || {
        local_conversation(&bob, "C2Calice")["lastMessage"]["payload"]["text"] == "alice barrier"
    })
    .await;
    eventually("alice's conversation to show the barrier", || {
        local_conversation(&alice, "C2Cbob")["lastMessage"]["payload"]["text"] == "alice barrier"
    })
    .await;
    let b = local_conversation(&bob, "C2Calice");
    assert_eq!(b["unreadCount"], 2, "hi and the barrier: {b}");
    assert_eq!(local_conversation(&alice, "C2Cbob")["unreadCount"], 1);

    // ... but the messages are in the history.
    for (who, conv) in [(&alice, "C2Cbob"), (&bob, "C2Calice")] {
        let infos = infos_of(who, conv, &id).await;
        let types: Vec<&Value> = infos.iter().map(|i| &i["actionType"]).collect();
        assert_eq!(types, vec![&json!(1), &json!(3)], "{} {infos:?}", who.user);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_survives_a_server_restart() {
    let mut server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let id = invite_id(&alice, "invite", json!({"userID": "bob", "timeout": 3})).await;
    bob.wait_for("newInvitationReceived", |d| d["inviteID"] == json!(id))
        .await;
    server.kill9();
    server.restart();
    let t = alice
        .wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(id))
        .await;
    assert_eq!(t["inviteeList"], json!(["bob"]), "{t}");
    assert_eq!(t["isSelfTimeout"], false, "{t}");
    let t = bob
        .wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(id))
        .await;
    assert_eq!(t["isSelfTimeout"], true, "{t}");
    assert_eq!(
        code_of(&bob, "accept", vec![json!({"inviteID": id})]).await,
        8010
    );
    // Announced once in all.
    barrier(&alice, &mut bob, "after the restart").await;
    let news = bob.events_named("newInvitationReceived");
    assert!(
        news.is_empty(),
        "announced again after reconnecting: {news:?}"
    );
}

#[test]
fn bridge_signaling_listeners() {
    let server = Server::start();
    let login = |user: &str| {
        let mut b = Bridge::start(&server, &[]);
        b.ok(
            "login",
            json!([{"userID": user, "userSig": server.sig(user)}]),
        );
        b.wait_event("sdkStateReady");
        b
    };
    let mut alice = login("alice");
    let mut bob = login("bob");
    let is = |v: &Value, name: &str| v["event"] == json!(name);

    for args in [json!(["onNoSuchEvent"]), json!([]), json!([5])] {
        for method in ["addSignalingListener", "removeSignalingListener"] {
            let r = bob.request(method, args.clone());
            assert_eq!(r["code"], json!(2905), "{method} {args}: {r}");
        }
    }

    // Removed: the message comes, the signaling event not.
    bob.ok("removeSignalingListener", json!(["newInvitationReceived"]));
    let id = alice.ok("invite", json!([{"userID": "bob", "data": "quiet"}]))["inviteID"].clone();
    bob.wait_line("the invitation message", |v| is(v, "onMessageReceived"));
    bob.ok("isReady", json!([]));
    let leaked: Vec<&Value> = bob
        .backlog
        .iter()
        .filter(|v| is(v, "newInvitationReceived"))
        .collect();
    assert!(
        leaked.is_empty(),
        "removed listener still printed: {leaked:?}"
    );

    // Added back: the next one comes.
    bob.ok("addSignalingListener", json!(["newInvitationReceived"]));
    let id2 = alice.ok("invite", json!([{"userID": "bob", "data": "loud"}]))["inviteID"].clone();
    let got = bob.wait_event("newInvitationReceived");
    assert_eq!(got["inviteID"], id2, "{got}");
    assert_eq!(got["data"], "loud", "{got}");

    // The same on the inviter's side, for answers.
    alice.ok("removeSignalingListener", json!(["ts_invitee_accepted"]));
    bob.ok("accept", json!([{"inviteID": id}]));
    alice.wait_line("the accept message", |v| is(v, "onMessageReceived"));
    alice.ok("isReady", json!([]));
    assert!(
        !alice.backlog.iter().any(|v| is(v, "ts_invitee_accepted")),
        "{:?}",
        alice.backlog
    );
    alice.ok("addSignalingListener", json!(["ts_invitee_accepted"]));
    bob.ok("accept", json!([{"inviteID": id2}]));
    let acc = alice.wait_event("ts_invitee_accepted");
    assert_eq!(acc["inviteID"], id2, "{acc}");
    assert_eq!(acc["invitee"], "bob", "{acc}");
}
