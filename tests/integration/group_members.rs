//! Group members against the real server: lists and paging, profiles, adding and removing,
//! mute (per member and the send check), roles, name cards, custom fields and marks, with a
//! permission matrix (owner, admin, member, non-member, muted, kicked), the tips every member
//! receives, and bad input.

use pigeon_tests::*;
use serde_json::{json, Value};

/// Waits until `c` receives a group tip of `op` in `gid` naming `user`.
async fn wait_tip(c: &mut Client, gid: &str, op: u64, user: &str) -> Value {
    let (gid, user) = (gid.to_owned(), user.to_owned());
    let msgs = c
        .wait_for("onMessageReceived", move |l| {
            l.as_array().into_iter().flatten().any(|m| {
                m["type"] == "TIMGroupTipElem"
                    && m["to"] == json!(gid)
                    && m["payload"]["operationType"] == json!(op)
                    && m["payload"]["userIDList"]
                        .as_array()
                        .is_some_and(|u| u.contains(&json!(user)))
            })
        })
        .await;
    msgs[0].clone()
}

async fn code_of(c: &Client, method: &str, args: Value) -> u32 {
    c.call(method, vec![args])
        .await
        .map(|v| panic!("{method} should fail, got {v}"))
        .unwrap_or_else(|e| e.code)
}

async fn send_code(c: &Client, gid: &str, text: &str) -> Option<u32> {
    let m = c
        .ok(
            "createTextMessage",
            vec![json!({"to": gid, "conversationType": "GROUP", "payload": {"text": text}})],
        )
        .await;
    c.call("sendMessage", vec![m]).await.err().map(|e| e.code)
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|m| m["userID"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_group_invite_list_and_kick() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let dave = Client::login(&server, "dave").await;
    let gid = "work-1";
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "w", "type": "Private", "groupID": gid,
                "inviteOption": "FreeAccess", "memberList": [{"userID": "bob"}]})],
        )
        .await;
    // Any Work member may pull others in.
    let r = bob
        .ok(
            "addGroupMember",
            vec![json!({"groupID": gid, "userIDList": ["carol", "alice", "carol"]})],
        )
        .await;
    assert_eq!(r["successUserIDList"], json!(["carol"]));
    assert_eq!(r["existedUserIDList"], json!(["alice"]));
    assert_eq!(r["failureUserIDList"], json!([]));
    assert_eq!(r["group"]["memberCount"], 3);
    carol
        .wait_for("onGroupListUpdated", |l| {
            l.as_array()
                .is_some_and(|a| a.iter().any(|g| g["groupID"] == "work-1"))
        })
        .await;
    for c in [&mut alice, &mut bob, &mut carol] {
        let tip = wait_tip(c, gid, 1, "carol").await;
        assert_eq!(tip["payload"]["operatorID"], "bob");
    }
    // Non-members cannot invite.
    assert_eq!(
        code_of(
            &dave,
            "addGroupMember",
            json!({"groupID": gid, "userIDList": ["dave"]})
        )
        .await,
        10007
    );
    // Paging: 2 per page, offset 0 at the end.
    let p1 = carol
        .ok(
            "getGroupMemberList",
            vec![json!({"groupID": gid, "count": 2, "offset": 0})],
        )
        .await;
    assert_eq!(p1["memberList"].as_array().map(Vec::len), Some(2));
    assert_eq!(p1["offset"], 2);
    let m0 = &p1["memberList"][0];
    assert_eq!(m0["userID"], "alice");
    assert_eq!(m0["role"], "Owner");
    assert_eq!(m0["muteUntil"], 0);
    assert!(m0["joinTime"].as_u64().is_some_and(|t| t > 0));
    assert_eq!(m0["memberCustomField"], json!([]));
    let p2 = carol
        .ok(
            "getGroupMemberList",
            vec![json!({"groupID": gid, "count": 2, "offset": 2})],
        )
        .await;
    assert_eq!(ids(&p2["memberList"]), ["carol"]);
    assert_eq!(p2["offset"], 0);
    let owners = carol
        .ok(
            "getGroupMemberList",
            vec![json!({"groupID": gid, "role": "Owner"})],
        )
        .await;
    assert_eq!(ids(&owners["memberList"]), ["alice"]);
    assert_eq!(
        code_of(&dave, "getGroupMemberList", json!({"groupID": gid})).await,
        10007
    );
    // Work groups: no mute, no roles; members cannot kick.
    assert_eq!(
        code_of(
            &alice,
            "setGroupMemberMuteTime",
            json!({"groupID": gid, "userID": "bob", "muteTime": 60})
        )
        .await,
        10007
    );
    assert_eq!(
        code_of(
            &alice,
            "setGroupMemberRole",
            json!({"groupID": gid, "userID": "bob", "role": "Admin"})
        )
        .await,
        2682
    );
    assert_eq!(
        code_of(
            &bob,
            "deleteGroupMember",
            json!({"groupID": gid, "userIDList": ["carol"]})
        )
        .await,
        10007
    );
    assert_eq!(
        code_of(
            &alice,
            "deleteGroupMember",
            json!({"groupID": gid, "userIDList": ["carol"], "duration": 60})
        )
        .await,
        2686
    );
    // The owner kicks carol: everyone, carol included, sees the tip; carol's list empties.
    let r = alice
        .ok(
            "deleteGroupMember",
            vec![json!({"groupID": gid, "userIDList": ["carol", "dave"], "reason": "bye"})],
        )
        .await;
    assert_eq!(r["userIDList"], json!(["carol"]));
    assert_eq!(r["group"]["memberCount"], 2);
    for c in [&mut alice, &mut bob, &mut carol] {
        wait_tip(c, gid, 3, "carol").await;
    }
    carol
        .wait_for("onGroupListUpdated", |l| {
            l.as_array().is_some_and(|a| a.is_empty())
        })
        .await;
    // Kicked: no longer allowed anything.
    assert_eq!(send_code(&carol, gid, "still here?").await, Some(10007));
    assert_eq!(
        code_of(
            &carol,
            "setGroupMemberNameCard",
            json!({"groupID": gid, "nameCard": "x"})
        )
        .await,
        10007
    );
    // Invitations disabled: 10007.
    alice
        .ok(
            "createGroup",
            vec![
                json!({"name": "closed", "type": "Private", "groupID": "work-2",
                "inviteOption": "DisableInvite"}),
            ],
        )
        .await;
    assert_eq!(
        code_of(
            &alice,
            "addGroupMember",
            json!({"groupID": "work-2", "userIDList": ["bob"]})
        )
        .await,
        10007
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_group_permission_matrix() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let mut dave = Client::login(&server, "dave").await;
    let erin = Client::login(&server, "erin").await;
    let gid = "pub-1";
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "p", "type": "Public", "groupID": gid,
                "memberList": [{"userID": "bob", "role": "Admin"}, {"userID": "carol"},
                    {"userID": "dave"}]})],
        )
        .await;
    // Invitations: members may not (DisableInvite by default), the admin may.
    assert_eq!(
        code_of(
            &carol,
            "addGroupMember",
            json!({"groupID": gid, "userIDList": ["erin"]})
        )
        .await,
        10007
    );
    let r = bob
        .ok(
            "addGroupMember",
            vec![json!({"groupID": gid, "userIDList": ["erin"]})],
        )
        .await;
    assert_eq!(r["successUserIDList"], json!(["erin"]));
    alice
        .ok(
            "deleteGroupMember",
            vec![json!({"groupID": gid, "userIDList": ["erin"]})],
        )
        .await;

    // Roles: owner only.
    for (who, code) in [(&bob, 10007), (&carol, 10007), (&erin, 10007)] {
        assert_eq!(
            code_of(
                who,
                "setGroupMemberRole",
                json!({"groupID": gid, "userID": "dave", "role": "Admin"})
            )
            .await,
            code
        );
    }
    let r = alice
        .ok(
            "setGroupMemberRole",
            vec![json!({"groupID": gid, "userID": "carol", "role": "Admin"})],
        )
        .await;
    assert_eq!(r["member"]["role"], "Admin");
    for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
        wait_tip(c, gid, 4, "carol").await;
    }
    alice
        .ok(
            "setGroupMemberRole",
            vec![json!({"groupID": gid, "userID": "carol", "role": "Member"})],
        )
        .await;
    for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
        wait_tip(c, gid, 5, "carol").await;
    }
    assert_eq!(
        code_of(
            &alice,
            "setGroupMemberRole",
            json!({"groupID": gid, "userID": "carol", "role": "Owner"})
        )
        .await,
        2683
    );
    assert_eq!(
        code_of(
            &alice,
            "setGroupMemberRole",
            json!({"groupID": gid, "userID": "alice", "role": "Member"})
        )
        .await,
        2684
    );
    assert_eq!(
        code_of(
            &alice,
            "setGroupMemberRole",
            json!({"groupID": gid, "userID": "erin", "role": "Admin"})
        )
        .await,
        2623
    );

    // Mute: owner → admin and members, admin → members, members and outsiders → nobody.
    for (who, target) in [
        (&carol, "dave"),
        (&erin, "dave"),
        (&bob, "alice"),
        (&alice, "alice"),
    ] {
        let code = code_of(
            who,
            "setGroupMemberMuteTime",
            json!({"groupID": gid, "userID": target, "muteTime": 60}),
        )
        .await;
        assert!(code == 10007 || code == 2685, "{target}: {code}");
    }
    assert_eq!(
        code_of(
            &alice,
            "setGroupMemberMuteTime",
            json!({"groupID": gid, "userID": "alice", "muteTime": 60})
        )
        .await,
        2685
    );
    let r = bob
        .ok(
            "setGroupMemberMuteTime",
            vec![json!({"groupID": gid, "userID": "dave", "muteTime": 600})],
        )
        .await;
    let until = r["member"]["muteUntil"].as_u64().expect("muteUntil");
    assert!(until > 0);
    for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
        wait_tip(c, gid, 7, "dave").await;
    }
    // The muted member cannot send, nor do anything an ordinary member cannot.
    assert_eq!(send_code(&dave, gid, "let me speak").await, Some(10017));
    assert_eq!(
        code_of(
            &dave,
            "setGroupMemberMuteTime",
            json!({"groupID": gid, "userID": "carol", "muteTime": 60})
        )
        .await,
        10007
    );
    let p = carol
        .ok(
            "getGroupMemberProfile",
            vec![json!({"groupID": gid, "userIDList": ["dave", "nobody"]})],
        )
        .await;
    assert_eq!(ids(&p["memberList"]), ["dave"]);
    assert_eq!(p["memberList"][0]["muteUntil"], until);
    // The owner mutes the admin; the admin unmutes dave; sending works again.
    alice
        .ok(
            "setGroupMemberMuteTime",
            vec![json!({"groupID": gid, "userID": "bob", "muteTime": 60})],
        )
        .await;
    // Owner and admins are never blocked by the send check.
    assert_eq!(send_code(&bob, gid, "admin speaks").await, None);
    bob.ok(
        "setGroupMemberMuteTime",
        vec![json!({"groupID": gid, "userID": "dave", "muteTime": 0})],
    )
    .await;
    assert_eq!(send_code(&dave, gid, "free again").await, None);

    // Name cards: owner anyone, admin self and members, member self.
    assert_eq!(
        code_of(
            &carol,
            "setGroupMemberNameCard",
            json!({"groupID": gid, "userID": "dave", "nameCard": "x"})
        )
        .await,
        10007
    );
    assert_eq!(
        code_of(
            &bob,
            "setGroupMemberNameCard",
            json!({"groupID": gid, "userID": "alice", "nameCard": "x"})
        )
        .await,
        10007
    );
    assert_eq!(
        code_of(
            &erin,
            "setGroupMemberNameCard",
            json!({"groupID": gid, "nameCard": "x"})
        )
        .await,
        10007
    );
    let r = carol
        .ok(
            "setGroupMemberNameCard",
            vec![json!({"groupID": gid, "nameCard": "Caro"})],
        )
        .await;
    assert_eq!(r["member"]["nameCard"], "Caro");
    assert_eq!(r["group"]["selfInfo"]["nameCard"], "Caro");
    for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
        wait_tip(c, gid, 7, "carol").await;
    }
    bob.ok(
        "setGroupMemberNameCard",
        vec![json!({"groupID": gid, "userID": "dave", "nameCard": "D"})],
    )
    .await;
    alice
        .ok(
            "setGroupMemberNameCard",
            vec![json!({"groupID": gid, "userID": "bob", "nameCard": "B"})],
        )
        .await;
    assert_eq!(
        code_of(
            &carol,
            "setGroupMemberNameCard",
            json!({"groupID": gid, "nameCard": "x".repeat(51)})
        )
        .await,
        10004
    );

    // Custom fields: members only their own; keys merge; filter on read.
    assert_eq!(
        code_of(
            &carol,
            "setGroupMemberCustomField",
            json!({"groupID": gid, "userID": "dave",
                "memberCustomField": [{"key": "k", "value": "v"}]})
        )
        .await,
        10007
    );
    carol
        .ok(
            "setGroupMemberCustomField",
            vec![json!({"groupID": gid, "memberCustomField": [{"key": "a", "value": "1"}]})],
        )
        .await;
    let r = carol
        .ok(
            "setGroupMemberCustomField",
            vec![json!({"groupID": gid, "memberCustomField": [
                {"key": "b", "value": "2"}, {"key": "a", "value": "3"}]})],
        )
        .await;
    assert_eq!(
        r["member"]["memberCustomField"],
        json!([{"key": "a", "value": "3"}, {"key": "b", "value": "2"}])
    );
    let p = dave
        .ok(
            "getGroupMemberProfile",
            vec![json!({"groupID": gid, "userIDList": ["carol"],
                "memberCustomFieldFilter": ["b"]})],
        )
        .await;
    assert_eq!(
        p["memberList"][0]["memberCustomField"],
        json!([{"key": "b", "value": "2"}])
    );
    let many: Vec<Value> = (0..6)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    assert_eq!(
        code_of(
            &dave,
            "setGroupMemberCustomField",
            json!({"groupID": gid, "memberCustomField": many})
        )
        .await,
        10004
    );

    // Kicking: the admin cannot kick the owner or another admin; members cannot kick.
    alice
        .ok(
            "setGroupMemberRole",
            vec![json!({"groupID": gid, "userID": "carol", "role": "Admin"})],
        )
        .await;
    for (who, target) in [
        (&bob, "alice"),
        (&bob, "carol"),
        (&dave, "carol"),
        (&erin, "dave"),
    ] {
        assert_eq!(
            code_of(
                who,
                "deleteGroupMember",
                json!({"groupID": gid, "userIDList": [target]})
            )
            .await,
            10007,
            "{target}"
        );
    }
    bob.ok(
        "deleteGroupMember",
        vec![json!({"groupID": gid, "userIDList": ["dave"]})],
    )
    .await;
    for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
        wait_tip(c, gid, 3, "dave").await;
    }
    let all = alice
        .ok("getGroupMemberList", vec![json!({"groupID": gid})])
        .await;
    assert_eq!(ids(&all["memberList"]), ["alice", "bob", "carol"]);
    let admins = alice
        .ok(
            "getGroupMemberList",
            vec![json!({"groupID": gid, "role": "Admin"})],
        )
        .await;
    assert_eq!(ids(&admins["memberList"]), ["bob", "carol"]);
    // Marks are AVChatRoom only.
    assert_eq!(
        code_of(
            &alice,
            "markGroupMemberList",
            json!({"groupID": gid, "userIDList": ["bob"], "markType": 1000, "enableMark": true})
        )
        .await,
        10007
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avchatroom_rules_marks_and_bans() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let gid = "av-1";
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "live", "type": "AVChatRoom", "groupID": gid})],
        )
        .await;
    for c in [&alice, &bob, &carol] {
        c.ok("joinGroup", vec![json!({"groupID": gid})]).await;
    }
    assert_eq!(
        code_of(
            &alice,
            "addGroupMember",
            json!({"groupID": gid, "userIDList": ["dave"]})
        )
        .await,
        2661
    );
    assert_eq!(
        code_of(
            &alice,
            "getGroupMemberProfile",
            json!({"groupID": gid, "userIDList": ["bob"]})
        )
        .await,
        2687
    );
    assert_eq!(
        code_of(
            &bob,
            "setGroupMemberNameCard",
            json!({"groupID": gid, "nameCard": "b"})
        )
        .await,
        2687
    );
    assert_eq!(
        code_of(
            &bob,
            "setGroupMemberCustomField",
            json!({"groupID": gid, "memberCustomField": [{"key": "a", "value": "b"}]})
        )
        .await,
        2687
    );
    assert_eq!(
        code_of(
            &alice,
            "setGroupMemberRole",
            json!({"groupID": gid, "userID": "bob", "role": "Admin"})
        )
        .await,
        2682
    );
    // Newest first; the owner shows as Owner.
    let l = bob
        .ok("getGroupMemberList", vec![json!({"groupID": gid})])
        .await;
    let got = ids(&l["memberList"]);
    assert_eq!(got.len(), 3);
    assert!(l["memberList"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| m["userID"] == "alice" && m["role"] == "Owner"));
    // Marks: owner only, markType ≥ 1000, filter lists the marked.
    assert_eq!(
        code_of(
            &bob,
            "markGroupMemberList",
            json!({"groupID": gid, "userIDList": ["carol"], "markType": 1000, "enableMark": true})
        )
        .await,
        10007
    );
    assert_eq!(
        code_of(
            &alice,
            "markGroupMemberList",
            json!({"groupID": gid, "userIDList": ["carol"], "markType": 999, "enableMark": true})
        )
        .await,
        10004
    );
    let r = alice
        .ok(
            "markGroupMemberList",
            vec![json!({"groupID": gid, "userIDList": ["carol", "zed"],
                "markType": 1000, "enableMark": true})],
        )
        .await;
    assert_eq!(r["successUserIDList"], json!(["carol"]));
    assert_eq!(r["failureUserIDList"], json!(["zed"]));
    let l = bob
        .ok(
            "getGroupMemberList",
            vec![json!({"groupID": gid, "filter": 1000, "offset": 0})],
        )
        .await;
    assert_eq!(ids(&l["memberList"]), ["carol"]);
    // Mute in an AVChatRoom works; kick with a duration bans.
    alice
        .ok(
            "setGroupMemberMuteTime",
            vec![json!({"groupID": gid, "userID": "bob", "muteTime": 100})],
        )
        .await;
    assert_eq!(send_code(&bob, gid, "hi").await, Some(10017));
    let r = alice
        .ok(
            "deleteGroupMember",
            vec![json!({"groupID": gid, "userIDList": ["carol"], "duration": 60})],
        )
        .await;
    assert_eq!(r["userIDList"], json!(["carol"]));
    let l = alice
        .ok(
            "getGroupMemberList",
            vec![json!({"groupID": gid, "filter": 1000})],
        )
        .await;
    assert_eq!(l["memberList"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_limits() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "p", "type": "Public", "groupID": "g"})],
        )
        .await;
    // Wrong types: 2905 from the SDK.
    for (method, args) in [
        ("getGroupMemberList", json!("g")),
        ("getGroupMemberList", json!({"groupID": 5})),
        (
            "addGroupMember",
            json!({"groupID": "g", "userIDList": "bob"}),
        ),
        (
            "setGroupMemberMuteTime",
            json!({"groupID": "g", "userID": "bob", "muteTime": -1}),
        ),
        (
            "markGroupMemberList",
            json!({"groupID": "g", "enableMark": "yes"}),
        ),
    ] {
        assert_eq!(code_of(&alice, method, args).await, 2905, "{method}");
    }
    // Server-side: missing or unknown group, batch limits, bad accounts, bad role filter.
    assert_eq!(
        code_of(&alice, "getGroupMemberList", json!({})).await,
        10004
    );
    assert_eq!(
        code_of(&alice, "getGroupMemberList", json!({"groupID": "nope"})).await,
        10010
    );
    let many: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
    assert_eq!(
        code_of(
            &alice,
            "addGroupMember",
            json!({"groupID": "g", "userIDList": many})
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "addGroupMember",
            json!({"groupID": "g", "userIDList": ["bad\u{1}id"]})
        )
        .await,
        10019
    );
    assert_eq!(
        code_of(
            &alice,
            "getGroupMemberList",
            json!({"groupID": "g", "role": "Boss"})
        )
        .await,
        2683
    );
    assert_eq!(
        code_of(
            &alice,
            "getGroupMemberList",
            json!({"groupID": "g", "filter": 1000})
        )
        .await,
        10004
    );
    // count is capped at 100; more than 50 profiles are dropped silently.
    let users: Vec<String> = (0..20).map(|i| format!("user{i:02}")).collect();
    for chunk in users.chunks(20) {
        alice
            .ok(
                "addGroupMember",
                vec![json!({"groupID": "g", "userIDList": chunk})],
            )
            .await;
    }
    let l = alice
        .ok(
            "getGroupMemberList",
            vec![json!({"groupID": "g", "count": 1000})],
        )
        .await;
    assert_eq!(l["memberList"].as_array().map(Vec::len), Some(21));
    assert_eq!(l["offset"], 0);
    let l = alice
        .ok("getGroupMemberList", vec![json!({"groupID": "g"})])
        .await;
    assert_eq!(l["memberList"].as_array().map(Vec::len), Some(15));
    assert_eq!(l["offset"], 15);
    let asked: Vec<String> = (0..60).map(|i| format!("user{i:02}")).collect();
    let p = alice
        .ok(
            "getGroupMemberProfile",
            vec![json!({"groupID": "g", "userIDList": asked})],
        )
        .await;
    assert_eq!(p["memberList"].as_array().map(Vec::len), Some(20));
    // A group at its limit refuses more members and adds none.
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "s", "type": "Public", "groupID": "small", "maxMemberNum": 2})],
        )
        .await;
    assert_eq!(
        code_of(
            &alice,
            "addGroupMember",
            json!({"groupID": "small", "userIDList": ["b1", "b2"]})
        )
        .await,
        10014
    );
    let l = alice
        .ok("getGroupMemberList", vec![json!({"groupID": "small"})])
        .await;
    assert_eq!(ids(&l["memberList"]), ["alice"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_all_spares_owner_and_admins() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let gid = "quiet";
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "q", "type": "Public", "groupID": gid,
                "memberList": [{"userID": "bob", "role": "Admin"}, {"userID": "carol"}]})],
        )
        .await;
    alice
        .ok(
            "updateGroupProfile",
            vec![json!({"groupID": gid, "muteAllMembers": true})],
        )
        .await;
    assert_eq!(send_code(&carol, gid, "hello?").await, Some(10017));
    assert_eq!(send_code(&bob, gid, "admin").await, None);
    assert_eq!(send_code(&alice, gid, "owner").await, None);
    alice
        .ok(
            "updateGroupProfile",
            vec![json!({"groupID": gid, "muteAllMembers": false})],
        )
        .await;
    assert_eq!(send_code(&carol, gid, "finally").await, None);
}
