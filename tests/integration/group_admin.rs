//! Group administration against the real server: updateGroupProfile, searchGroupByID,
//! getGroupOnlineMemberCount, changeGroupOwner, applications, attributes and counters, with a
//! permission matrix (owner, admin, member, non-member), events on every member's instance,
//! concurrent counter increments and bad input.

use pigeon_tests::*;
use serde_json::{json, Value};

/// alice owns a Public group `gid` with bob as admin and carol as member; dave is outside.
async fn setup(server: &Server, gid: &str, extra: Value) -> [Client; 4] {
    let alice = Client::login(server, "alice").await;
    let bob = Client::login(server, "bob").await;
    let carol = Client::login(server, "carol").await;
    let dave = Client::login(server, "dave").await;
    let mut opts = json!({"name": "admin test", "type": "Public", "groupID": gid,
        "memberList": [{"userID": "bob", "role": "Admin"}, {"userID": "carol"}]});
    if let (Some(o), Some(e)) = (opts.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    alice.ok("createGroup", vec![opts]).await;
    [alice, bob, carol, dave]
}

async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    c.call(method, args)
        .await
        .expect_err("the call must be refused")
        .code
}

fn is_profile_tip(l: &Value, key: &str) -> bool {
    l.as_array().into_iter().flatten().any(|m| {
        m["type"] == "TIMGroupTipElem"
            && m["payload"]["operationType"] == 6
            && !m["payload"]["newGroupProfile"][key].is_null()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_profile_permissions_tips_and_limits() {
    // Group custom fields must be enabled on the server before use.
    let config = tempfile::tempdir().expect("config dir");
    let path = config.path().join("pigeon.toml");
    std::fs::write(&path, "group_custom_fields = [\"level\"]\n").expect("write config");
    let server = Server::start_with(&["--config", path.to_str().expect("utf-8 path")]);
    let [mut alice, mut bob, mut carol, dave] = setup(&server, "ga-prof", json!({})).await;
    let before = alice
        .ok("getGroupProfile", vec![json!({"groupID": "ga-prof"})])
        .await["group"]
        .clone();
    // Member and non-member are refused, and nothing changes.
    for c in [&carol, &dave] {
        let e = code_of(
            c,
            "updateGroupProfile",
            vec![json!({"groupID": "ga-prof", "name": "hijack"})],
        )
        .await;
        assert_eq!(e, 10007, "{}", c.user);
    }
    let same = alice
        .ok("getGroupProfile", vec![json!({"groupID": "ga-prof"})])
        .await["group"]
        .clone();
    assert_eq!(same["name"], "admin test");
    assert_eq!(same["infoSequence"], before["infoSequence"]);
    // The admin may.
    let r = bob
        .ok(
            "updateGroupProfile",
            vec![
                json!({"groupID": "ga-prof", "name": "renamed", "introduction": "hi",
                "groupCustomField": [{"key": "level", "value": "high"}]}),
            ],
        )
        .await;
    assert_eq!(r["group"]["name"], "renamed");
    assert_eq!(r["group"]["introduction"], "hi");
    assert_eq!(
        r["group"]["groupCustomField"],
        json!([{"key": "level", "value": "high"}])
    );
    let seq = before["infoSequence"].as_u64().expect("infoSequence");
    assert_eq!(r["group"]["infoSequence"], seq + 1);
    // Every member's instance gets the tip with newGroupProfile.
    for c in [&mut alice, &mut bob, &mut carol] {
        let got = c
            .wait_for("onMessageReceived", |l| is_profile_tip(l, "name"))
            .await;
        let tip = &got[0]["payload"];
        assert_eq!(tip["operatorID"], "bob");
        assert_eq!(tip["newGroupProfile"]["name"], "renamed");
        assert_eq!(
            tip["newGroupProfile"]["groupCustomField"],
            json!([{"key": "level", "value": "high"}])
        );
        c.wait_for("onGroupListUpdated", |l| {
            l.as_array()
                .into_iter()
                .flatten()
                .any(|g| g["groupID"] == "ga-prof" && g["name"] == "renamed")
        })
        .await;
    }
    // The owner mutes everyone and changes options.
    let r = alice
        .ok(
            "updateGroupProfile",
            vec![json!({"groupID": "ga-prof", "muteAllMembers": true,
                "joinOption": "NeedPermission", "inviteOption": "FreeAccess"})],
        )
        .await;
    assert_eq!(r["group"]["muteAllMembers"], true);
    assert_eq!(r["group"]["joinOption"], "NeedPermission");
    assert_eq!(r["group"]["inviteOption"], "FreeAccess");
    carol
        .wait_for("onMessageReceived", |l| is_profile_tip(l, "muteAllMembers"))
        .await;
    let r = alice
        .ok(
            "updateGroupProfile",
            vec![json!({"groupID": "ga-prof", "muteAllMembers": false})],
        )
        .await;
    assert_eq!(r["group"]["muteAllMembers"], false);

    // Bad input: 10004 from the server, 2905 from the SDK, nothing changed.
    let long = "x".repeat(101);
    for bad in [
        json!({"groupID": "ga-prof", "name": long}),
        json!({"groupID": "ga-prof", "name": ""}),
        json!({"groupID": "ga-prof", "introduction": "x".repeat(401)}),
        json!({"groupID": "ga-prof", "notification": "x".repeat(401)}),
        json!({"groupID": "ga-prof", "avatar": "x".repeat(501)}),
        json!({"groupID": "ga-prof", "joinOption": "Whenever"}),
        json!({"groupID": "ga-prof", "inviteOption": "Whenever"}),
        json!({"groupID": "ga-prof", "groupCustomField": [{"key": "k"}]}),
        json!({"groupID": "ga-prof", "groupCustomField": [{"key": "unregistered", "value": "v"}]}),
        json!({"groupID": "ga-prof"}),
    ] {
        assert_eq!(
            code_of(&alice, "updateGroupProfile", vec![bad.clone()]).await,
            10004,
            "{bad}"
        );
    }
    for bad in [
        json!({"groupID": "ga-prof", "name": 5}),
        json!({"groupID": "ga-prof", "muteAllMembers": "yes"}),
        json!("ga-prof"),
        json!({"name": "x"}),
    ] {
        assert_eq!(
            code_of(&alice, "updateGroupProfile", vec![bad.clone()]).await,
            2905,
            "{bad}"
        );
    }
    assert_eq!(
        code_of(
            &alice,
            "updateGroupProfile",
            vec![json!({"groupID": "nope", "name": "x"})]
        )
        .await,
        10010
    );
    // joinOption cannot change for Work, Meeting or AVChatRoom groups.
    for kind in ["Private", "ChatRoom", "AVChatRoom"] {
        let g = alice
            .ok(
                "createGroup",
                vec![json!({"name": "typed", "type": kind, "groupID": format!("ga-{kind}")})],
            )
            .await;
        if kind == "AVChatRoom" {
            alice
                .ok("joinGroup", vec![json!({"groupID": "ga-AVChatRoom"})])
                .await;
        }
        let gid = g["group"]["groupID"].clone();
        let e = code_of(
            &alice,
            "updateGroupProfile",
            vec![json!({"groupID": gid, "joinOption": "FreeAccess"})],
        )
        .await;
        assert_eq!(e, 10004, "{kind}");
    }
    let e = code_of(
        &alice,
        "updateGroupProfile",
        vec![json!({"groupID": "ga-AVChatRoom", "inviteOption": "FreeAccess"})],
    )
    .await;
    assert_eq!(e, 10004, "inviteOption of an AVChatRoom");
    // An outsider is refused before any option is looked at.
    let e = code_of(
        &dave,
        "updateGroupProfile",
        vec![json!({"groupID": "ga-AVChatRoom", "name": "x"})],
    )
    .await;
    assert_eq!(e, 10007);
    let after = alice
        .ok("getGroupProfile", vec![json!({"groupID": "ga-prof"})])
        .await["group"]
        .clone();
    assert_eq!(after["name"], "renamed");
    assert_eq!(after["infoSequence"], seq + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_online_count_and_change_owner() {
    let server = Server::start();
    let [mut alice, bob, mut carol, dave] = setup(&server, "ga-own", json!({})).await;
    // Search: any group but Work groups, members or not.
    let r = dave.ok("searchGroupByID", vec![json!("ga-own")]).await;
    assert_eq!(r["group"]["groupID"], "ga-own");
    assert_eq!(r["group"]["memberCount"], 3);
    alice
        .ok(
            "createGroup",
            vec![
                json!({"name": "work", "type": "Private", "groupID": "ga-work",
                "memberList": [{"userID": "bob"}]}),
            ],
        )
        .await;
    assert_eq!(
        code_of(&dave, "searchGroupByID", vec![json!("ga-work")]).await,
        10010
    );
    assert_eq!(
        code_of(&alice, "searchGroupByID", vec![json!("ga-work")]).await,
        10010
    );
    assert_eq!(
        code_of(&dave, "searchGroupByID", vec![json!("ga-none")]).await,
        10010
    );
    assert_eq!(
        code_of(&dave, "searchGroupByID", vec![json!(7)]).await,
        2905
    );

    // Online count: members only; counts members with a live session.
    let r = carol
        .ok("getGroupOnlineMemberCount", vec![json!("ga-own")])
        .await;
    assert_eq!(r["memberCount"], 3);
    assert_eq!(
        code_of(&dave, "getGroupOnlineMemberCount", vec![json!("ga-own")]).await,
        10007
    );
    bob.ok("logout", vec![]).await;
    let mut n = 3;
    for _ in 0..100 {
        n = carol
            .ok("getGroupOnlineMemberCount", vec![json!("ga-own")])
            .await["memberCount"]
            .as_u64()
            .expect("count");
        if n == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(n, 2, "bob logged out");

    // changeGroupOwner: only the owner, only to a member.
    let bob = Client::login(&server, "bob").await;
    for c in [&bob, &carol, &dave] {
        let e = code_of(
            c,
            "changeGroupOwner",
            vec![json!({"groupID": "ga-own", "newOwnerID": "carol"})],
        )
        .await;
        assert_eq!(e, 10007, "{}", c.user);
    }
    assert_eq!(
        code_of(
            &alice,
            "changeGroupOwner",
            vec![json!({"groupID": "ga-own", "newOwnerID": "dave"})]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "changeGroupOwner",
            vec![json!({"groupID": "ga-own", "newOwnerID": "alice"})]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "changeGroupOwner",
            vec![json!({"groupID": "ga-own"})]
        )
        .await,
        2905
    );
    let p = alice
        .ok("getGroupProfile", vec![json!({"groupID": "ga-own"})])
        .await;
    assert_eq!(p["group"]["ownerID"], "alice");
    alice.clear();
    carol.clear();
    let r = alice
        .ok(
            "changeGroupOwner",
            vec![json!({"groupID": "ga-own", "newOwnerID": "carol"})],
        )
        .await;
    assert_eq!(r["group"]["ownerID"], "carol");
    assert_eq!(r["group"]["selfInfo"]["role"], "Member");
    for c in [&mut alice, &mut carol] {
        c.wait_for("onMessageReceived", |l| is_profile_tip(l, "ownerID"))
            .await;
    }
    let p = carol
        .ok("getGroupProfile", vec![json!({"groupID": "ga-own"})])
        .await;
    assert_eq!(p["group"]["selfInfo"]["role"], "Owner");
    // The former owner is now an ordinary member.
    assert_eq!(
        code_of(
            &alice,
            "updateGroupProfile",
            vec![json!({"groupID": "ga-own", "name": "mine again"})]
        )
        .await,
        10007
    );
    // AVChatRooms cannot be transferred.
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "live", "type": "AVChatRoom", "groupID": "ga-live"})],
        )
        .await;
    alice
        .ok("joinGroup", vec![json!({"groupID": "ga-live"})])
        .await;
    bob.ok("joinGroup", vec![json!({"groupID": "ga-live"})])
        .await;
    assert_eq!(
        code_of(
            &alice,
            "changeGroupOwner",
            vec![json!({"groupID": "ga-live", "newOwnerID": "bob"})]
        )
        .await,
        10007
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_listed_and_handled_once() {
    let server = Server::start();
    let [alice, bob, carol, mut dave] =
        setup(&server, "ga-app", json!({"joinOption": "NeedPermission"})).await;
    let mut erin = Client::login(&server, "erin").await;
    erin.ok("updateMyProfile", vec![json!({"nick": "Erin E."})])
        .await;
    for (c, note) in [(&dave, "let me in"), (&erin, "me too")] {
        let r = c
            .ok(
                "joinGroup",
                vec![json!({"groupID": "ga-app", "applyMessage": note})],
            )
            .await;
        assert_eq!(r["status"], "WaitAdminApproval");
    }
    // Owner and admin see both; a member and an outsider see none.
    for c in [&alice, &bob] {
        let list = c.ok("getGroupApplicationList", vec![]).await["applicationList"].clone();
        let items = list.as_array().expect("list");
        assert_eq!(items.len(), 2, "{}", c.user);
        let d = items
            .iter()
            .find(|a| a["applicant"] == "dave")
            .expect("dave's application");
        assert_eq!(d["groupID"], "ga-app");
        assert_eq!(d["groupName"], "admin test");
        assert_eq!(d["applicationType"], 0);
        assert_eq!(d["note"], "let me in");
        assert_eq!(d["userID"], "");
        let e = items
            .iter()
            .find(|a| a["applicant"] == "erin")
            .expect("erin's application");
        assert_eq!(e["applicantNick"], "Erin E.");
    }
    for c in [&carol, &dave] {
        let list = c.ok("getGroupApplicationList", vec![]).await;
        assert_eq!(list["applicationList"], json!([]), "{}", c.user);
    }
    let app = alice.ok("getGroupApplicationList", vec![]).await["applicationList"]
        .as_array()
        .and_then(|l| l.iter().find(|a| a["applicant"] == "dave").cloned())
        .expect("dave's application");
    // Member and outsider cannot handle it.
    for c in [&carol, &dave] {
        let e = code_of(
            c,
            "handleGroupApplication",
            vec![json!({"handleAction": "Agree", "application": app})],
        )
        .await;
        assert_eq!(e, 10007, "{}", c.user);
    }
    // Bad input.
    assert_eq!(
        code_of(
            &alice,
            "handleGroupApplication",
            vec![json!({"handleAction": "Maybe", "application": app})]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "handleGroupApplication",
            vec![json!({"handleAction": "Agree"})]
        )
        .await,
        2905
    );
    assert_eq!(
        code_of(&alice, "handleGroupApplication", vec![json!("Agree")]).await,
        2905
    );
    // The admin agrees: dave is in, gets his group list and an accepted notice; the members get
    // the join tip.
    let r = bob
        .ok(
            "handleGroupApplication",
            vec![json!({"handleAction": "Agree", "handleMessage": "welcome", "application": app})],
        )
        .await;
    assert_eq!(r["group"]["groupID"], "ga-app");
    assert_eq!(r["group"]["memberCount"], 4);
    dave.wait_for("onGroupListUpdated", |l| {
        l.as_array()
            .into_iter()
            .flatten()
            .any(|g| g["groupID"] == "ga-app")
    })
    .await;
    let n = dave
        .wait_for("onMessageReceived", |l| {
            l[0]["type"] == "TIMGroupSystemNoticeElem"
        })
        .await;
    assert_eq!(n[0]["payload"]["operationType"], 2);
    assert_eq!(n[0]["payload"]["handleMessage"], "welcome");
    assert_eq!(n[0]["payload"]["groupProfile"]["groupID"], "ga-app");
    let p = dave
        .ok("getGroupProfile", vec![json!({"groupID": "ga-app"})])
        .await;
    assert_eq!(p["group"]["selfInfo"]["role"], "Member");
    // Handled once: the owner cannot handle it again.
    assert_eq!(
        code_of(
            &alice,
            "handleGroupApplication",
            vec![json!({"handleAction": "Reject", "application": app})]
        )
        .await,
        10004
    );
    // Rejecting through the system-notice message form.
    let notice = json!({"type": "TIMGroupSystemNoticeElem",
        "payload": {"operationType": 1, "operatorID": "erin", "groupProfile": {"groupID": "ga-app"}}});
    alice
        .ok(
            "handleGroupApplication",
            vec![json!({"handleAction": "Reject", "handleMessage": "sorry", "message": notice})],
        )
        .await;
    let n = erin
        .wait_for("onMessageReceived", |l| {
            l[0]["type"] == "TIMGroupSystemNoticeElem"
        })
        .await;
    assert_eq!(n[0]["payload"]["operationType"], 3);
    assert_eq!(n[0]["payload"]["handleMessage"], "sorry");
    let p = alice
        .ok("getGroupProfile", vec![json!({"groupID": "ga-app"})])
        .await;
    assert_eq!(p["group"]["memberCount"], 4);
    let list = alice.ok("getGroupApplicationList", vec![]).await;
    assert_eq!(list["applicationList"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributes_members_events_and_limits() {
    let server = Server::start();
    let [mut alice, mut bob, mut carol, dave] = setup(&server, "ga-attr", json!({})).await;
    let gid = "ga-attr";
    let r = carol
        .ok(
            "initGroupAttributes",
            vec![json!({"groupID": gid, "groupAttributes": {"a": "1", "b": "2"}})],
        )
        .await;
    assert_eq!(r["groupAttributes"], json!({"a": "1", "b": "2"}));
    for c in [&mut alice, &mut bob, &mut carol] {
        let e = c
            .wait_for("groupAttributesUpdated", |d| {
                d["groupAttributes"] == json!({"a": "1", "b": "2"})
            })
            .await;
        assert_eq!(e["groupID"], gid);
    }
    let r = bob
        .ok(
            "setGroupAttributes",
            vec![json!({"groupID": gid, "groupAttributes": {"b": "two", "c": "3"}})],
        )
        .await;
    assert_eq!(r["groupAttributes"], json!({"b": "two", "c": "3"}));
    let all = json!({"a": "1", "b": "two", "c": "3"});
    for c in [&mut alice, &mut bob, &mut carol] {
        c.wait_for("groupAttributesUpdated", |d| d["groupAttributes"] == all)
            .await;
    }
    let r = alice
        .ok(
            "getGroupAttributes",
            vec![json!({"groupID": gid, "keyList": []})],
        )
        .await;
    assert_eq!(r["groupAttributes"], all);
    let r = alice
        .ok(
            "getGroupAttributes",
            vec![json!({"groupID": gid, "keyList": ["a", "zz"]})],
        )
        .await;
    assert_eq!(r["groupAttributes"], json!({"a": "1"}));
    let r = alice
        .ok(
            "deleteGroupAttributes",
            vec![json!({"groupID": gid, "keyList": ["a", "zz"]})],
        )
        .await;
    assert_eq!(r["keyList"], json!(["a"]));
    for c in [&mut alice, &mut bob, &mut carol] {
        c.wait_for("groupAttributesUpdated", |d| {
            d["groupAttributes"] == json!({"b": "two", "c": "3"})
        })
        .await;
    }

    // A non-member can do nothing.
    for (m, args) in [
        (
            "initGroupAttributes",
            json!({"groupID": gid, "groupAttributes": {"x": "1"}}),
        ),
        (
            "setGroupAttributes",
            json!({"groupID": gid, "groupAttributes": {"x": "1"}}),
        ),
        (
            "deleteGroupAttributes",
            json!({"groupID": gid, "keyList": []}),
        ),
        ("getGroupAttributes", json!({"groupID": gid, "keyList": []})),
    ] {
        assert_eq!(code_of(&dave, m, vec![args]).await, 10007, "{m}");
    }
    // Limits: 16 keys, key 32 bytes, value 4 KB, 16 KB in all; nothing changes.
    let seventeen: serde_json::Map<String, Value> =
        (0..17).map(|i| (format!("k{i}"), json!("v"))).collect();
    let fifteen: serde_json::Map<String, Value> =
        (0..15).map(|i| (format!("n{i}"), json!("v"))).collect();
    let big: serde_json::Map<String, Value> = (0..5)
        .map(|i| (format!("big{i}"), json!("x".repeat(4000))))
        .collect();
    for (m, attrs) in [
        ("initGroupAttributes", Value::Object(seventeen)),
        ("setGroupAttributes", Value::Object(fifteen)),
        ("setGroupAttributes", json!({"k".repeat(33): "v"})),
        ("setGroupAttributes", json!({"": "v"})),
        ("setGroupAttributes", json!({"k": "x".repeat(4097)})),
        ("initGroupAttributes", Value::Object(big)),
        ("setGroupAttributes", json!({})),
    ] {
        let e = code_of(
            &carol,
            m,
            vec![json!({"groupID": gid, "groupAttributes": attrs})],
        )
        .await;
        assert_eq!(e, 10004, "{m}");
    }
    for bad in [
        json!({"groupID": gid, "groupAttributes": {"k": 1}}),
        json!({"groupID": gid, "groupAttributes": "k"}),
        json!({"groupAttributes": {"k": "v"}}),
    ] {
        assert_eq!(
            code_of(&carol, "setGroupAttributes", vec![bad.clone()]).await,
            2905,
            "{bad}"
        );
    }
    let r = alice
        .ok(
            "getGroupAttributes",
            vec![json!({"groupID": gid, "keyList": []})],
        )
        .await;
    assert_eq!(r["groupAttributes"], json!({"b": "two", "c": "3"}));
    // Exactly at the limits is fine; delete all empties the set.
    let sixteen: serde_json::Map<String, Value> = (0..16)
        .map(|i| (format!("{i:0>32}"), json!("y".repeat(990))))
        .collect();
    alice
        .ok(
            "initGroupAttributes",
            vec![json!({"groupID": gid, "groupAttributes": Value::Object(sixteen)})],
        )
        .await;
    let r = alice
        .ok(
            "deleteGroupAttributes",
            vec![json!({"groupID": gid, "keyList": []})],
        )
        .await;
    assert_eq!(r["keyList"].as_array().map(Vec::len), Some(16));
    for c in [&mut alice, &mut bob, &mut carol] {
        c.wait_for("groupAttributesUpdated", |d| {
            d["groupAttributes"] == json!({})
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_concurrent_increments_sum_exactly() {
    let server = Server::start();
    let [mut alice, mut bob, mut carol, dave] = setup(&server, "ga-cnt", json!({})).await;
    let gid = "ga-cnt";
    let r = alice
        .ok(
            "setGroupCounters",
            vec![json!({"groupID": gid, "counters": {"likes": 0, "gifts": 5}})],
        )
        .await;
    assert_eq!(r["counters"], json!({"likes": 0, "gifts": 5}));
    for c in [&mut alice, &mut bob, &mut carol] {
        c.wait_for("onGroupCounterUpdated", |d| {
            d["key"] == "gifts" && d["value"] == 5
        })
        .await;
    }
    // Three clients, twenty increments each, all at once.
    const EACH: i64 = 20;
    let (a, b, cc) = tokio::join!(
        bump(&alice, gid, EACH),
        bump(&bob, gid, EACH),
        bump(&carol, gid, EACH)
    );
    let mut values: Vec<i64> = a
        .iter()
        .chain(&b)
        .chain(&cc)
        .map(|r| r["value"].as_i64().expect("value"))
        .collect();
    values.sort_unstable();
    let expected: Vec<i64> = (1..=3 * EACH).collect();
    assert_eq!(values, expected, "every increment saw a distinct value");
    let r = all_counters(&alice, gid).await;
    assert_eq!(r["counters"]["likes"], 3 * EACH);
    for c in [&mut alice, &mut bob, &mut carol] {
        c.wait_for("onGroupCounterUpdated", |d| {
            d["key"] == "likes" && d["value"] == 3 * EACH && d["groupID"] == gid
        })
        .await;
    }
    let r = bob
        .ok(
            "decreaseGroupCounter",
            vec![json!({"groupID": gid, "key": "likes", "value": 10})],
        )
        .await;
    assert_eq!(
        r,
        json!({"groupID": gid, "key": "likes", "value": 3 * EACH - 10})
    );
    carol
        .wait_for("onGroupCounterUpdated", |d| d["value"] == 3 * EACH - 10)
        .await;
    let r = carol
        .ok(
            "getGroupCounters",
            vec![json!({"groupID": gid, "keyList": ["gifts", "nope"]})],
        )
        .await;
    assert_eq!(r["counters"], json!({"gifts": 5}));

    // A non-member can do nothing.
    for (m, args) in [
        (
            "setGroupCounters",
            json!({"groupID": gid, "counters": {"x": 1}}),
        ),
        (
            "increaseGroupCounter",
            json!({"groupID": gid, "key": "likes", "value": 1}),
        ),
        (
            "decreaseGroupCounter",
            json!({"groupID": gid, "key": "likes", "value": 1}),
        ),
        ("getGroupCounters", json!({"groupID": gid})),
    ] {
        assert_eq!(code_of(&dave, m, vec![args]).await, 10007, "{m}");
    }
    // Bad input and overflow; nothing changes.
    alice
        .ok(
            "setGroupCounters",
            vec![json!({"groupID": gid, "counters": {"max": i64::MAX}})],
        )
        .await;
    for (m, args) in [
        (
            "increaseGroupCounter",
            json!({"groupID": gid, "key": "max", "value": 1}),
        ),
        (
            "increaseGroupCounter",
            json!({"groupID": gid, "key": "likes", "value": -1}),
        ),
        (
            "increaseGroupCounter",
            json!({"groupID": gid, "key": "", "value": 1}),
        ),
        (
            "increaseGroupCounter",
            json!({"groupID": gid, "key": "k".repeat(129), "value": 1}),
        ),
        ("setGroupCounters", json!({"groupID": gid, "counters": {}})),
    ] {
        assert_eq!(code_of(&alice, m, vec![args]).await, 10004, "{m}");
    }
    let many: serde_json::Map<String, Value> =
        (0..18).map(|i| (format!("c{i}"), json!(i))).collect();
    assert_eq!(
        code_of(
            &alice,
            "setGroupCounters",
            vec![json!({"groupID": gid, "counters": Value::Object(many)})]
        )
        .await,
        10004,
        "3 existing + 18 new is over 20 counters"
    );
    for bad in [
        json!({"groupID": gid, "key": "likes", "value": 1.5}),
        json!({"groupID": gid, "key": "likes", "value": "1"}),
        json!({"groupID": gid, "counters": {"x": "1"}}),
    ] {
        let m = if bad.get("counters").is_some() {
            "setGroupCounters"
        } else {
            "increaseGroupCounter"
        };
        assert_eq!(code_of(&alice, m, vec![bad.clone()]).await, 2905, "{bad}");
    }
    let r = all_counters(&alice, gid).await;
    assert_eq!(
        r["counters"],
        json!({"likes": 3 * EACH - 10, "gifts": 5, "max": i64::MAX})
    );
}

/// All counters of `gid` as `c` sees them.
async fn all_counters(c: &Client, gid: &str) -> Value {
    c.ok("getGroupCounters", vec![json!({"groupID": gid})])
        .await
}

/// `n` concurrent increaseGroupCounter(likes, 1) calls from `c`; their replies.
async fn bump(c: &Client, gid: &str, n: i64) -> Vec<Value> {
    let calls = (0..n).map(|_| {
        c.ok(
            "increaseGroupCounter",
            vec![json!({"groupID": gid, "key": "likes", "value": 1})],
        )
    });
    futures_util::future::join_all(calls).await
}
