//! Friends, friend applications, friend groups and the blacklist: the allowType matrix, one-way
//! and two-way adds and deletes, applications with their unread count, friend groups, blocking
//! (which ends friendships and refuses the blocked user's messages with 20007), the server's
//! friend check (20009 and its one-way variants), every event on each side, and bad input.

use pigeon_tests::*;
use serde_json::{json, Value};

const FRIENDS: &str = "onFriendListUpdated";
const APPLICATIONS: &str = "onFriendApplicationListUpdated";
const GROUPS: &str = "onFriendGroupListUpdated";
const BLACKLIST: &str = "blacklistUpdated";

const ALLOW_ANY: &str = "AllowType_Type_AllowAny";
const DENY_ANY: &str = "AllowType_Type_DenyAny";
const SOURCE: &str = "AddSource_Type_Web";

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

async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    match c.call(method, args).await {
        Ok(v) => panic!("{} {method} should fail, got {v}", c.user),
        Err(e) => e.code,
    }
}

/// The userIDs of a Friend[] / FriendApplication[] / userID[] list.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            x.as_str()
                .or_else(|| x["userID"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// `user`'s `groupList` in a Friend[] (null when they are not in it).
fn groups_of(list: &Value, user: &str) -> Value {
    list.as_array()
        .into_iter()
        .flatten()
        .find(|f| f["userID"] == user)
        .map(|f| f["groupList"].clone())
        .unwrap_or(Value::Null)
}

fn friend<'a>(list: &'a Value, user: &str) -> &'a Value {
    list.as_array()
        .into_iter()
        .flatten()
        .find(|f| f["userID"] == user)
        .unwrap_or_else(|| panic!("{user} is not in {list}"))
}

async fn set_allow_type(c: &Client, allow_type: &str) {
    c.ok("updateMyProfile", vec![json!({"allowType": allow_type})])
        .await;
}

async fn add(c: &Client, to: &str, extra: Value) -> Value {
    let mut o = json!({"to": to, "source": SOURCE});
    if let (Some(o), Some(extra)) = (o.as_object_mut(), extra.as_object()) {
        o.extend(extra.clone());
    }
    c.ok("addFriend", vec![o]).await
}

/// Makes `a` and `b` mutual friends (b accepts anyone first).
async fn befriend(a: &Client, b: &Client) {
    set_allow_type(b, ALLOW_ANY).await;
    let r = add(a, &b.user, json!({})).await;
    assert_eq!(r["code"], 0, "{r}");
}

async fn relation(c: &Client, other: &str, kind: &str) -> String {
    let r = c
        .ok(
            "checkFriend",
            vec![json!({"userIDList": [other], "type": kind})],
        )
        .await;
    assert_eq!(r["failureUserIDList"], json!([]));
    assert_eq!(r["successUserIDList"][0]["code"], 0);
    r["successUserIDList"][0]["relation"]
        .as_str()
        .expect("relation")
        .to_owned()
}

async fn send_c2c(c: &Client, to: &str, text: &str) -> Result<Value, pigeon_sdk::ImError> {
    let m = c
        .ok(
            "createTextMessage",
            vec![json!({"to": to, "conversationType": "C2C", "payload": {"text": text}})],
        )
        .await;
    c.call("sendMessage", vec![m]).await
}

/// An application list event or reply that holds exactly these `(userID, type)` and unread count.
fn apps_are(d: &Value, want: &[(&str, &str)], unread: u64) -> bool {
    let got: Vec<(String, String)> = d["friendApplicationList"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["userID"].as_str().unwrap_or_default().to_owned(),
                a["type"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(u, t)| (u.to_string(), t.to_string()))
        .collect();
    got == want && d["unreadCount"] == json!(unread)
}

const TO_ME: &str = "Pendency_Type_ComeIn";
const BY_ME: &str = "Pendency_Type_SendOut";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn need_confirm_applications_accept_refuse_delete_and_read() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut bob_desk = login_on(&server, "bob", "desktop").await;
    let mut carol = Client::login(&server, "carol").await;

    // NeedConfirm is everyone's default: an application, reply code 30539, on both sides.
    assert_eq!(
        bob.ok("getMyProfile", vec![]).await["allowType"],
        "AllowType_Type_NeedConfirm"
    );
    let r = add(
        &alice,
        "bob",
        json!({"wording": "hi, I am alice", "remark": "Bobby", "groupName": "pals"}),
    )
    .await;
    assert_eq!(r["code"], 30539, "{r}");
    alice
        .wait_for(APPLICATIONS, |d| apps_are(d, &[("bob", BY_ME)], 0))
        .await;
    for b in [&mut bob, &mut bob_desk] {
        let d = b
            .wait_for(APPLICATIONS, |d| apps_are(d, &[("alice", TO_ME)], 1))
            .await;
        let a = &d["friendApplicationList"][0];
        assert_eq!(a["wording"], "hi, I am alice");
        assert_eq!(a["source"], SOURCE);
        assert!(a["time"].as_u64().expect("time") > 0);
        for k in ["nick", "avatar"] {
            assert!(a[k].is_string(), "{k} in {a}");
        }
    }
    assert!(alice.ok("getFriendList", vec![]).await == json!([]));
    let listed = bob.ok("getFriendApplicationList", vec![]).await;
    assert!(apps_are(&listed, &[("alice", TO_ME)], 1), "{listed}");

    // Read: the unread count drops to 0 on both of bob's instances.
    bob.ok("setFriendApplicationRead", vec![]).await;
    for b in [&mut bob, &mut bob_desk] {
        b.wait_for(APPLICATIONS, |d| apps_are(d, &[("alice", TO_ME)], 0))
            .await;
    }
    let listed = bob_desk.ok("getFriendApplicationList", vec![]).await;
    assert_eq!(listed["unreadCount"], 0);

    // A second applicant counts as unread again; the list is newest first.
    let r = add(&carol, "bob", json!({"type": "Add_Type_Single"})).await;
    assert_eq!(r["code"], 30539);
    bob.wait_for(APPLICATIONS, |d| {
        d["unreadCount"] == 1 && ids(&d["friendApplicationList"]).len() == 2
    })
    .await;

    // Accept alice's with AgreeAndAdd: mutual friends, the application gone on both sides,
    // alice's remark and friend group from her request, bob's remark from his answer.
    let r = bob
        .ok(
            "acceptFriendApplication",
            vec![json!({"userID": "alice", "remark": "Al", "type": "Response_Action_AgreeAndAdd"})],
        )
        .await;
    assert_eq!(r["userID"], "alice");
    let mine = alice.wait_for(FRIENDS, |d| ids(d) == ["bob"]).await;
    let b = friend(&mine, "bob");
    assert_eq!(b["remark"], "Bobby");
    assert_eq!(b["groupList"], json!(["pals"]));
    assert_eq!(b["source"], SOURCE);
    assert_eq!(b["wording"], "hi, I am alice");
    assert_eq!(b["profile"]["userID"], "bob");
    assert_eq!(b["friendCustomField"], json!([]));
    let groups = alice.wait_for(GROUPS, |d| d[0]["name"] == "pals").await;
    assert_eq!(
        groups,
        json!([{"name": "pals", "userIDList": ["bob"], "count": 1}])
    );
    for b in [&mut bob, &mut bob_desk] {
        let list = b.wait_for(FRIENDS, |d| ids(d) == ["alice"]).await;
        assert_eq!(friend(&list, "alice")["remark"], "Al");
        b.wait_for(APPLICATIONS, |d| apps_are(d, &[("carol", TO_ME)], 1))
            .await;
    }
    alice.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    assert_eq!(
        relation(&alice, "bob", "CheckResult_Type_Both").await,
        "CheckResult_Type_BothWay"
    );
    let e = code_of(
        &bob,
        "acceptFriendApplication",
        vec![json!({"userID": "alice", "type": "Response_Action_Agree"})],
    )
    .await;
    assert_eq!(e, 2716, "answered already");

    // Agree (one way): carol's list gains bob, bob's does not gain carol.
    bob.ok(
        "acceptFriendApplication",
        vec![json!({"userID": "carol", "type": "Response_Action_Agree"})],
    )
    .await;
    carol.wait_for(FRIENDS, |d| ids(d) == ["bob"]).await;
    carol.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    assert_eq!(ids(&bob.ok("getFriendList", vec![]).await), ["alice"]);
    assert_eq!(
        relation(&carol, "bob", "CheckResult_Type_Both").await,
        "CheckResult_Type_AWithB"
    );
    assert_eq!(
        relation(&bob, "carol", "CheckResult_Type_Both").await,
        "CheckResult_Type_BWithA"
    );
    assert_eq!(
        relation(&bob, "carol", "CheckResult_Type_Single").await,
        "CheckResult_Type_NoRelation"
    );
    assert_eq!(
        relation(&carol, "bob", "CheckResult_Type_Single").await,
        "CheckResult_Type_AWithB"
    );
    assert_eq!(
        relation(&alice, "carol", "CheckResult_Type_Both").await,
        "CheckResult_Type_NoRelation"
    );

    // Refuse: gone on both sides; refusing again finds nothing.
    add(&alice, "carol", json!({"wording": "again?"})).await;
    carol
        .wait_for(APPLICATIONS, |d| apps_are(d, &[("alice", TO_ME)], 1))
        .await;
    carol
        .ok("refuseFriendApplication", vec![json!({"userID": "alice"})])
        .await;
    alice.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    carol.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    assert_eq!(
        code_of(
            &carol,
            "refuseFriendApplication",
            vec![json!({"userID": "alice"})]
        )
        .await,
        2716
    );
    assert_eq!(
        alice
            .ok("getFriendList", vec![])
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Delete: the applicant withdraws (SENT_BY_ME), then the target deletes (SENT_TO_ME).
    add(&alice, "carol", json!({})).await;
    carol
        .wait_for(APPLICATIONS, |d| apps_are(d, &[("alice", TO_ME)], 1))
        .await;
    alice
        .ok(
            "deleteFriendApplication",
            vec![json!({"userID": "carol", "type": BY_ME})],
        )
        .await;
    carol.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    assert_eq!(
        code_of(
            &alice,
            "deleteFriendApplication",
            vec![json!({"userID": "carol", "type": BY_ME})]
        )
        .await,
        2716
    );
    add(&carol, "alice", json!({})).await;
    alice
        .wait_for(APPLICATIONS, |d| apps_are(d, &[("carol", TO_ME)], 1))
        .await;
    alice
        .ok(
            "deleteFriendApplication",
            vec![json!({"userID": "carol", "type": TO_ME})],
        )
        .await;
    alice.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    carol.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    assert!(apps_are(
        &carol.ok("getFriendApplicationList", vec![]).await,
        &[],
        0
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_type_decides_add_friend() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let mut dave = Client::login(&server, "dave").await;

    // AllowAny: friends at once both ways (code 0), no application anywhere.
    set_allow_type(&bob, ALLOW_ANY).await;
    let r = add(&alice, "bob", json!({"remark": "B", "groupName": "g"})).await;
    assert_eq!(
        (r["code"].clone(), r["userID"].clone()),
        (json!(0), json!("bob"))
    );
    let mine = alice.wait_for(FRIENDS, |d| ids(d) == ["bob"]).await;
    assert_eq!(friend(&mine, "bob")["remark"], "B");
    assert_eq!(friend(&mine, "bob")["groupList"], json!(["g"]));
    alice
        .wait_for(GROUPS, |d| {
            d == &json!([{"name": "g", "userIDList": ["bob"], "count": 1}])
        })
        .await;
    let theirs = bob.wait_for(FRIENDS, |d| ids(d) == ["alice"]).await;
    assert_eq!(friend(&theirs, "alice")["remark"], "");
    assert_eq!(friend(&theirs, "alice")["groupList"], json!([]));
    assert!(apps_are(
        &bob.ok("getFriendApplicationList", vec![]).await,
        &[],
        0
    ));
    assert_eq!(
        relation(&bob, "alice", "CheckResult_Type_Both").await,
        "CheckResult_Type_BothWay"
    );
    assert_eq!(
        code_of(
            &alice,
            "addFriend",
            vec![json!({"to": "bob", "source": SOURCE})]
        )
        .await,
        2701
    );
    assert_eq!(
        code_of(
            &bob,
            "addFriend",
            vec![json!({"to": "alice", "source": SOURCE, "type": "Add_Type_Single"})]
        )
        .await,
        2701
    );

    // AllowAny with Add_Type_Single: only the adder's list changes.
    set_allow_type(&dave, ALLOW_ANY).await;
    let r = add(&carol, "dave", json!({"type": "Add_Type_Single"})).await;
    assert_eq!(r["code"], 0);
    assert_eq!(
        relation(&carol, "dave", "CheckResult_Type_Both").await,
        "CheckResult_Type_AWithB"
    );
    assert!(dave.ok("getFriendList", vec![]).await == json!([]));
    assert!(
        dave.events_named(FRIENDS).is_empty(),
        "dave's list did not change"
    );
    // Adding back two-way completes it: dave's list gains carol.
    let r = add(&carol, "dave", json!({})).await;
    assert_eq!(r["code"], 0);
    dave.wait_for(FRIENDS, |d| ids(d) == ["carol"]).await;

    // DenyAny: refused with 30516, nothing stored, no event.
    set_allow_type(&bob, DENY_ANY).await;
    assert_eq!(
        code_of(
            &carol,
            "addFriend",
            vec![json!({"to": "bob", "source": SOURCE})]
        )
        .await,
        30516
    );
    assert!(apps_are(
        &bob.ok("getFriendApplicationList", vec![]).await,
        &[],
        0
    ));
    assert_eq!(
        relation(&carol, "bob", "CheckResult_Type_Both").await,
        "CheckResult_Type_NoRelation"
    );

    // NeedConfirm again: an application.
    set_allow_type(&bob, "AllowType_Type_NeedConfirm").await;
    assert_eq!(add(&carol, "bob", json!({})).await["code"], 30539);
    bob.wait_for(APPLICATIONS, |d| apps_are(d, &[("carol", TO_ME)], 1))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_one_way_and_both_ways() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    befriend(&alice, &bob).await;
    befriend(&alice, &carol).await;
    alice
        .wait_for(FRIENDS, |d| ids(d) == ["bob", "carol"])
        .await;
    bob.wait_for(FRIENDS, |d| ids(d) == ["alice"]).await;
    bob.clear();

    // One way: only alice's list loses bob.
    let r = alice
        .ok(
            "deleteFriend",
            vec![json!({"userIDList": ["bob"], "type": "Delete_Type_Single"})],
        )
        .await;
    assert_eq!(r["successUserIDList"], json!([{"userID": "bob"}]));
    assert_eq!(r["failureUserIDList"], json!([]));
    alice.wait_for(FRIENDS, |d| ids(d) == ["carol"]).await;
    assert_eq!(
        relation(&bob, "alice", "CheckResult_Type_Both").await,
        "CheckResult_Type_AWithB"
    );
    assert!(
        bob.events_named(FRIENDS).is_empty(),
        "bob's list did not change"
    );

    // Both ways (the default), with a user who is not a friend: per-user results.
    let r = bob
        .ok(
            "deleteFriend",
            vec![json!({"userIDList": ["alice", "carol", "alice"]})],
        )
        .await;
    assert_eq!(r["successUserIDList"], json!([{"userID": "alice"}]));
    assert_eq!(r["failureUserIDList"][0]["userID"], "carol");
    assert_eq!(r["failureUserIDList"][0]["code"], 2700);
    assert!(r["failureUserIDList"][0]["message"].is_string());
    bob.wait_for(FRIENDS, |d| ids(d).is_empty()).await;
    assert_eq!(
        relation(&alice, "bob", "CheckResult_Type_Both").await,
        "CheckResult_Type_NoRelation"
    );

    // Both ways from a mutual friendship: both lists change, both get the event.
    alice.clear();
    alice
        .ok("deleteFriend", vec![json!({"userIDList": ["carol"]})])
        .await;
    alice.wait_for(FRIENDS, |d| ids(d).is_empty()).await;
    carol.wait_for(FRIENDS, |d| ids(d).is_empty()).await;
    let r = alice
        .ok("deleteFriend", vec![json!({"userIDList": ["carol"]})])
        .await;
    assert_eq!(r["failureUserIDList"][0]["code"], 2700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friend_groups_and_updating_friends() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut alice_desk = login_on(&server, "alice", "desktop").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    befriend(&alice, &bob).await;
    befriend(&alice, &carol).await;
    bob.ok("updateMyProfile", vec![json!({"nick": "Bobby"})])
        .await;

    let r = alice
        .ok(
            "createFriendGroup",
            vec![json!({"name": "work", "userIDList": ["bob", "dave"]})],
        )
        .await;
    assert_eq!(
        r["friendGroup"],
        json!({"name": "work", "userIDList": ["bob"], "count": 1})
    );
    assert_eq!(r["failureUserIDList"][0]["userID"], "dave");
    assert_eq!(r["failureUserIDList"][0]["code"], 2700);
    for a in [&mut alice, &mut alice_desk] {
        a.wait_for(GROUPS, |d| d[0]["name"] == "work" && d[0]["count"] == 1)
            .await;
        let l = a
            .wait_for(FRIENDS, |d| groups_of(d, "bob") == json!(["work"]))
            .await;
        assert_eq!(friend(&l, "carol")["groupList"], json!([]));
    }
    assert_eq!(
        code_of(
            &alice,
            "createFriendGroup",
            vec![json!({"name": "work", "userIDList": []})]
        )
        .await,
        2710
    );
    let r = alice
        .ok(
            "addToFriendGroup",
            vec![json!({"name": "work", "userIDList": ["carol"]})],
        )
        .await;
    assert_eq!(r["friendGroup"]["userIDList"], json!(["bob", "carol"]));
    assert_eq!(r["friendGroup"]["count"], 2);
    alice_desk.wait_for(GROUPS, |d| d[0]["count"] == 2).await;
    let r = alice
        .ok(
            "removeFromFriendGroup",
            vec![json!({"name": "work", "userIDList": ["bob"]})],
        )
        .await;
    assert_eq!(r["friendGroup"]["userIDList"], json!(["carol"]));
    assert_eq!(r["failureUserIDList"], json!([]));
    alice_desk
        .wait_for(GROUPS, |d| d[0]["userIDList"] == json!(["carol"]))
        .await;

    let g = alice
        .ok(
            "renameFriendGroup",
            vec![json!({"oldName": "work", "newName": "team"})],
        )
        .await;
    assert_eq!(
        g,
        json!({"name": "team", "userIDList": ["carol"], "count": 1})
    );
    alice_desk
        .wait_for(GROUPS, |d| d[0]["name"] == "team")
        .await;
    let l = alice_desk
        .wait_for(FRIENDS, |d| groups_of(d, "carol") == json!(["team"]))
        .await;
    assert_eq!(friend(&l, "bob")["groupList"], json!([]));
    alice
        .ok(
            "createFriendGroup",
            vec![json!({"name": "home", "userIDList": ["bob"]})],
        )
        .await;
    for (args, code) in [
        (json!({"oldName": "team", "newName": "home"}), 2710),
        (json!({"oldName": "nope", "newName": "x"}), 2711),
        (json!({"oldName": "team", "newName": "x".repeat(31)}), 10004),
    ] {
        assert_eq!(
            code_of(&alice, "renameFriendGroup", vec![args.clone()]).await,
            code,
            "{args}"
        );
    }
    let lists = alice.ok("getFriendGroupList", vec![]).await;
    assert_eq!(
        lists,
        json!([{"name": "team", "userIDList": ["carol"], "count": 1},
               {"name": "home", "userIDList": ["bob"], "count": 1}])
    );
    let gone = alice
        .ok("deleteFriendGroup", vec![json!({"name": "team"})])
        .await;
    assert_eq!(gone["name"], "team");
    alice_desk
        .wait_for(GROUPS, |d| {
            d == &json!([{"name": "home", "userIDList": ["bob"], "count": 1}])
        })
        .await;
    for (method, args) in [
        ("deleteFriendGroup", json!({"name": "team"})),
        (
            "addToFriendGroup",
            json!({"name": "team", "userIDList": ["bob"]}),
        ),
        (
            "removeFromFriendGroup",
            json!({"name": "team", "userIDList": ["bob"]}),
        ),
    ] {
        assert_eq!(code_of(&alice, method, vec![args]).await, 2711, "{method}");
    }

    // Deleting a friend takes them out of every group.
    alice
        .ok(
            "deleteFriend",
            vec![json!({"userIDList": ["bob"], "type": "Delete_Type_Single"})],
        )
        .await;
    alice_desk
        .wait_for(GROUPS, |d| {
            d == &json!([{"name": "home", "userIDList": [], "count": 0}])
        })
        .await;

    // updateFriend: remark and custom fields, merged, pushed to both instances.
    let f = alice
        .ok(
            "updateFriend",
            vec![json!({"userID": "carol", "remark": "Caz",
                "friendCustomField": [{"key": "Tag_SNS_Custom_city", "value": "Oslo"}]})],
        )
        .await;
    assert_eq!(f["userID"], "carol");
    assert_eq!(f["remark"], "Caz");
    let f = alice
        .ok(
            "updateFriend",
            vec![json!({"userID": "carol",
                "friendCustomField": [{"key": "Tag_SNS_Custom_age", "value": "30"},
                                      {"key": "Tag_SNS_Custom_city", "value": "Bergen"}]})],
        )
        .await;
    assert_eq!(f["remark"], "Caz", "an absent remark stays");
    assert_eq!(
        f["friendCustomField"],
        json!([{"key": "Tag_SNS_Custom_city", "value": "Bergen"},
               {"key": "Tag_SNS_Custom_age", "value": "30"}])
    );
    alice_desk
        .wait_for(FRIENDS, |d| {
            d.as_array().into_iter().flatten().any(|f| {
                f["userID"] == "carol" && f["friendCustomField"].as_array().map(Vec::len) == Some(2)
            })
        })
        .await;

    // getFriendProfile: friends with their profiles; others fail with 2700. bob still lists
    // alice after her one-way delete.
    let r = bob
        .ok(
            "getFriendProfile",
            vec![json!({"userIDList": ["alice", "carol"]})],
        )
        .await;
    assert_eq!(ids(&r["friendList"]), ["alice"]);
    assert_eq!(r["friendList"][0]["profile"]["userID"], "alice");
    assert_eq!(r["failureUserIDList"][0]["userID"], "carol");
    assert_eq!(r["failureUserIDList"][0]["code"], 2700);
    add(&alice, "bob", json!({"type": "Add_Type_Single"})).await;
    let r = alice
        .ok(
            "getFriendProfile",
            vec![json!({"userIDList": ["bob", "carol"]})],
        )
        .await;
    assert_eq!(ids(&r["friendList"]), ["bob", "carol"]);
    assert_eq!(friend(&r["friendList"], "bob")["profile"]["nick"], "Bobby");
    assert_eq!(friend(&r["friendList"], "carol")["remark"], "Caz");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_ends_friendship_and_refuses_messages() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut alice_desk = login_on(&server, "alice", "desktop").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    befriend(&alice, &bob).await;
    alice
        .ok(
            "createFriendGroup",
            vec![json!({"name": "close", "userIDList": ["bob"]})],
        )
        .await;
    add(&carol, "alice", json!({})).await;
    alice
        .wait_for(APPLICATIONS, |d| apps_are(d, &[("carol", TO_ME)], 1))
        .await;
    send_c2c(&bob, "alice", "before")
        .await
        .expect("friends may chat");
    alice.wait_text("before").await;

    // Blocking bob: the whole blacklist back, the friendship gone both ways, out of the group.
    let list = alice
        .ok("addToBlacklist", vec![json!({"userIDList": ["bob"]})])
        .await;
    assert_eq!(list, json!(["bob"]));
    for a in [&mut alice, &mut alice_desk] {
        a.wait_for(BLACKLIST, |d| d == &json!(["bob"])).await;
        a.wait_for(FRIENDS, |d| ids(d).is_empty()).await;
        a.wait_for(GROUPS, |d| d[0]["name"] == "close" && d[0]["count"] == 0)
            .await;
    }
    bob.wait_for(FRIENDS, |d| ids(d).is_empty()).await;
    assert!(
        bob.events_named(BLACKLIST).is_empty(),
        "bob's blacklist did not change"
    );
    assert_eq!(
        relation(&bob, "alice", "CheckResult_Type_Both").await,
        "CheckResult_Type_NoRelation"
    );
    assert_eq!(alice.ok("getBlacklist", vec![]).await, json!(["bob"]));

    // bob's messages to alice are refused with 20007; hers to him still go.
    let e = send_c2c(&bob, "alice", "blocked?")
        .await
        .expect_err("blocked");
    assert_eq!(e.code, 20007, "{e}");
    send_c2c(&alice, "bob", "from the blocker")
        .await
        .expect("blocker may send");
    bob.wait_text("from the blocker").await;
    assert!(!alice.seen_texts().contains(&"blocked?".to_owned()));
    // Neither may send the other a friend request.
    assert_eq!(
        code_of(
            &bob,
            "addFriend",
            vec![json!({"to": "alice", "source": SOURCE})]
        )
        .await,
        30525
    );
    assert_eq!(
        code_of(
            &alice,
            "addFriend",
            vec![json!({"to": "bob", "source": SOURCE})]
        )
        .await,
        30515
    );

    // Blocking carol drops her pending application on both sides.
    let list = alice
        .ok(
            "addToBlacklist",
            vec![json!({"userIDList": ["carol", "bob"]})],
        )
        .await;
    assert_eq!(list, json!(["bob", "carol"]));
    alice_desk
        .wait_for(BLACKLIST, |d| d == &json!(["bob", "carol"]))
        .await;
    carol.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    alice.wait_for(APPLICATIONS, |d| apps_are(d, &[], 0)).await;
    assert_eq!(
        code_of(
            &alice,
            "addToBlacklist",
            vec![json!({"userIDList": ["alice"]})]
        )
        .await,
        2742
    );

    // Unblocking: the list shrinks, bob may write again (the friendship stays ended).
    let list = alice
        .ok(
            "removeFromBlacklist",
            vec![json!({"userIDList": ["bob", "nobody"]})],
        )
        .await;
    assert_eq!(list, json!(["carol"]));
    alice_desk
        .wait_for(BLACKLIST, |d| d == &json!(["carol"]))
        .await;
    send_c2c(&bob, "alice", "after").await.expect("unblocked");
    alice.wait_text("after").await;
    assert!(alice.ok("getFriendList", vec![]).await == json!([]));
    assert_eq!(add(&bob, "alice", json!({})).await["code"], 30539);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friend_check_refuses_non_friends() {
    let server = Server::start_with(&["--friend-check"]);
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let e = send_c2c(&alice, "bob", "hi")
        .await
        .expect_err("not friends");
    assert_eq!(e.code, 20009, "{e}");

    // One way: alice lists bob, bob does not list alice.
    set_allow_type(&bob, ALLOW_ANY).await;
    add(&alice, "bob", json!({"type": "Add_Type_Single"})).await;
    let e = send_c2c(&alice, "bob", "hi")
        .await
        .expect_err("bob lacks alice");
    assert_eq!(e.code, 20010, "{e}");
    let e = send_c2c(&bob, "alice", "hi")
        .await
        .expect_err("bob lacks alice");
    assert_eq!(e.code, 20011, "{e}");

    // Mutual friends chat both ways; messages to oneself are never checked.
    add(&alice, "bob", json!({})).await;
    send_c2c(&alice, "bob", "hello bob").await.expect("friends");
    bob.wait_text("hello bob").await;
    send_c2c(&bob, "alice", "hello alice")
        .await
        .expect("friends");
    alice.wait_text("hello alice").await;
    send_c2c(&alice, "alice", "note to self")
        .await
        .expect("self");

    // Group messages are not friend-checked.
    let g = alice
        .ok(
            "createGroup",
            vec![json!({"name": "g", "type": "Public", "memberList": [{"userID": "bob"}]})],
        )
        .await;
    let gid = g["group"]["groupID"].as_str().expect("groupID").to_owned();
    alice.send_text(&gid, "GROUP", "to the group").await;

    // Deleting the friendship closes the conversation again.
    alice
        .ok("deleteFriend", vec![json!({"userIDList": ["bob"]})])
        .await;
    let e = send_c2c(&bob, "alice", "still?").await.expect_err("ended");
    assert_eq!(e.code, 20009, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_codes() {
    let server = Server::start();
    let logged_out = Client::new(&server, "zed");
    assert_eq!(code_of(&logged_out, "getFriendList", vec![]).await, 2024);
    assert_eq!(
        code_of(
            &logged_out,
            "addFriend",
            vec![json!({"to": "bob", "source": SOURCE})]
        )
        .await,
        2024
    );
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    befriend(&alice, &bob).await;
    let long_id = "u".repeat(129);
    let many: Vec<String> = (0..1001).map(|i| format!("u{i}")).collect();
    let cases: Vec<(&str, Value, u32)> = vec![
        // Not an options object, or a field of the wrong type: the SDK refuses (2905).
        ("addFriend", json!("bob"), 2905),
        ("addFriend", Value::Null, 2905),
        ("deleteFriend", json!({"userIDList": "bob"}), 2905),
        ("checkFriend", json!({"userIDList": [1, 2]}), 2905),
        ("addToBlacklist", json!({"userIDList": "bob"}), 2905),
        (
            "updateFriend",
            json!({"userID": "bob", "friendCustomField": [{"key": "Tag_SNS_Custom_a"}]}),
            2905,
        ),
        ("createFriendGroup", json!(["work"]), 2905),
        // Values the server refuses (10004 and the seed's codes).
        ("addFriend", json!({"to": "alice", "source": SOURCE}), 10004),
        ("addFriend", json!({"to": "", "source": SOURCE}), 10004),
        ("addFriend", json!({"to": long_id, "source": SOURCE}), 10004),
        ("addFriend", json!({"to": "carol"}), 10004),
        ("addFriend", json!({"to": "carol", "source": "Web"}), 10004),
        (
            "addFriend",
            json!({"to": "carol", "source": "AddSource_Type_Web2"}),
            10004,
        ),
        (
            "addFriend",
            json!({"to": "carol", "source": "AddSource_Type_Toolonger"}),
            10004,
        ),
        (
            "addFriend",
            json!({"to": "carol", "source": SOURCE, "wording": "w".repeat(257)}),
            10004,
        ),
        (
            "addFriend",
            json!({"to": "carol", "source": SOURCE, "remark": "r".repeat(97)}),
            10004,
        ),
        (
            "addFriend",
            json!({"to": "carol", "source": SOURCE, "groupName": "g".repeat(31)}),
            10004,
        ),
        (
            "addFriend",
            json!({"to": "carol", "source": SOURCE, "type": "Both"}),
            10004,
        ),
        ("deleteFriend", json!({"userIDList": []}), 10004),
        ("deleteFriend", json!({"userIDList": many[..101]}), 10004),
        (
            "deleteFriend",
            json!({"userIDList": ["bob"], "type": "Single"}),
            10004,
        ),
        ("checkFriend", json!({"userIDList": []}), 10004),
        ("checkFriend", json!({"userIDList": many}), 10004),
        (
            "checkFriend",
            json!({"userIDList": ["bob"], "type": "Both"}),
            10004,
        ),
        ("getFriendProfile", json!({"userIDList": []}), 10004),
        ("updateFriend", json!({"userID": "bob"}), 10004),
        (
            "updateFriend",
            json!({"userID": "bob", "remark": "r".repeat(97)}),
            10004,
        ),
        (
            "updateFriend",
            json!({"userID": "bob", "friendCustomField": [{"key": "city", "value": "x"}]}),
            10004,
        ),
        (
            "updateFriend",
            json!({"userID": "bob", "friendCustomField": [{"key": "Tag_SNS_Custom_", "value": "x"}]}),
            10004,
        ),
        (
            "updateFriend",
            json!({"userID": "bob", "friendCustomField": [{"key": "Tag_SNS_Custom_a", "value": "v".repeat(513)}]}),
            10004,
        ),
        (
            "updateFriend",
            json!({"userID": "carol", "remark": "x"}),
            2700,
        ),
        ("acceptFriendApplication", json!({"userID": "carol"}), 10004),
        (
            "acceptFriendApplication",
            json!({"userID": "carol", "type": "Agree"}),
            10004,
        ),
        (
            "acceptFriendApplication",
            json!({"userID": "carol", "type": "Response_Action_Agree"}),
            2716,
        ),
        ("refuseFriendApplication", json!({"userID": ""}), 10004),
        ("deleteFriendApplication", json!({"userID": "carol"}), 10004),
        (
            "deleteFriendApplication",
            json!({"userID": "carol", "type": TO_ME}),
            2716,
        ),
        ("createFriendGroup", json!({"name": ""}), 10004),
        ("createFriendGroup", json!({"name": "g".repeat(31)}), 10004),
        (
            "addToFriendGroup",
            json!({"name": "none", "userIDList": ["bob"]}),
            2711,
        ),
        ("addToBlacklist", json!({"userIDList": []}), 10004),
        ("addToBlacklist", json!({"userIDList": many}), 10004),
        ("addToBlacklist", json!({"userIDList": [long_id]}), 10004),
        ("removeFromBlacklist", json!({"userIDList": []}), 10004),
    ];
    for (method, args, want) in cases {
        let got = code_of(&alice, method, vec![args.clone()]).await;
        assert_eq!(got, want, "{method}({args})");
    }
    // Nothing above changed anything.
    assert_eq!(ids(&alice.ok("getFriendList", vec![]).await), ["bob"]);
    assert_eq!(alice.ok("getBlacklist", vec![]).await, json!([]));
    assert_eq!(alice.ok("getFriendGroupList", vec![]).await, json!([]));
    let f = friend(&alice.ok("getFriendList", vec![]).await, "bob").clone();
    assert_eq!(f["remark"], "");
    assert_eq!(f["friendCustomField"], json!([]));
    // checkFriend reports a malformed userID per user.
    let r = alice
        .ok("checkFriend", vec![json!({"userIDList": ["bob", long_id]})])
        .await;
    assert_eq!(
        r["successUserIDList"][0]["relation"],
        "CheckResult_Type_BothWay"
    );
    assert_eq!(r["failureUserIDList"][0]["code"], 10004);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_survive_going_offline() {
    let mut server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    befriend(&alice, &bob).await;
    alice
        .ok("addToBlacklist", vec![json!({"userIDList": ["carol"]})])
        .await;
    alice
        .ok(
            "createFriendGroup",
            vec![json!({"name": "g", "userIDList": ["bob"]})],
        )
        .await;
    let friends = alice.ok("getFriendList", vec![]).await;
    let groups = alice.ok("getFriendGroupList", vec![]).await;
    let black = alice.ok("getBlacklist", vec![]).await;
    let apps = alice.ok("getFriendApplicationList", vec![]).await;
    assert_eq!(ids(&friends), ["bob"]);
    assert_eq!(groups[0]["userIDList"], json!(["bob"]));
    assert_eq!(black, json!(["carol"]));
    let mut alice = alice;
    let mut bob = bob;
    alice.clear();
    bob.clear();
    server.kill9();
    alice.wait_state("connecting").await;
    assert_eq!(alice.ok("getFriendList", vec![]).await, friends);
    assert_eq!(alice.ok("getFriendGroupList", vec![]).await, groups);
    assert_eq!(alice.ok("getBlacklist", vec![]).await, black);
    assert_eq!(alice.ok("getFriendApplicationList", vec![]).await, apps);
    // Calls that change something need the server.
    assert_eq!(
        code_of(
            &alice,
            "addFriend",
            vec![json!({"to": "dave", "source": SOURCE})]
        )
        .await,
        2800
    );
    // The relations are stored: after a restart they are all still there.
    server.restart();
    alice.wait_state("connected").await;
    bob.wait_state("connected").await;
    assert_eq!(ids(&bob.ok("getFriendList", vec![]).await), ["alice"]);
    assert_eq!(alice.ok("getBlacklist", vec![]).await, black);
    assert_eq!(alice.ok("getFriendGroupList", vec![]).await, groups);
}
