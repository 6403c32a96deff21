//! Tests: the server REST API (`POST /v4/{service}/{command}`). Each command's effect is
//! observed by SDK clients: REST sends raise MESSAGE_RECEIVED, a REST kick raises KICKED_OUT
//! with REST_API_Kick, group changes raise tips and GROUP_LIST_UPDATED, relation and profile
//! changes reach getFriendList / getUserProfile and their events. Plus the auth refusals and
//! bad bodies.

use pigeon_tests::*;
use serde_json::{json, Value};

/// Asserts an OK reply and returns it.
#[track_caller]
fn ok(v: Value) -> Value {
    assert_eq!(v["ActionStatus"], "OK", "REST call failed: {v}");
    assert_eq!(v["ErrorCode"], 0, "{v}");
    v
}

/// Asserts a FAIL reply with `code`.
#[track_caller]
fn fail(v: &Value, code: u64) {
    assert_eq!(v["ActionStatus"], "FAIL", "REST call should fail: {v}");
    assert_eq!(v["ErrorCode"], code, "{v}");
    assert!(
        v["ErrorInfo"].as_str().is_some_and(|s| !s.is_empty()),
        "{v}"
    );
}

fn text_body(text: &str) -> Value {
    json!([{ "MsgType": "TIMTextElem", "MsgContent": { "Text": text } }])
}

fn has_text(d: &Value, text: &str) -> bool {
    d.as_array()
        .is_some_and(|a| a.iter().any(|m| m["payload"]["text"] == text))
}

async fn received(c: &mut Client, text: &str) -> Value {
    let d = c.wait_for("onMessageReceived", |d| has_text(d, text)).await;
    d.as_array()
        .and_then(|a| a.iter().find(|m| m["payload"]["text"] == text).cloned())
        .expect("the message")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_refusals_and_bad_bodies() {
    let server = Server::start();
    let admin_sig = server.sig("administrator");
    let app = server.app_id;
    let call = |q: String| {
        let server = &server;
        async move {
            server
                .rest_raw(
                    &format!("/v4/openim/querystate?{q}"),
                    r#"{"To_Account":["a"]}"#,
                )
                .await
        }
    };
    // The good query works.
    let good = format!(
        "sdkappid={app}&identifier=administrator&usersig={admin_sig}&random=1&contenttype=json"
    );
    ok(call(good.clone()).await);
    // Missing sdkappid, wrong sdkappid.
    fail(
        &call(format!("identifier=administrator&usersig={admin_sig}")).await,
        60012,
    );
    fail(
        &call(format!(
            "sdkappid=1&identifier=administrator&usersig={admin_sig}"
        ))
        .await,
        70014,
    );
    // Missing identifier or usersig.
    fail(
        &call(format!("sdkappid={app}&usersig={admin_sig}")).await,
        60004,
    );
    fail(
        &call(format!("sdkappid={app}&identifier=administrator")).await,
        60004,
    );
    // Another identifier, even with its own valid sig.
    let alice_sig = server.sig("alice");
    fail(
        &call(format!(
            "sdkappid={app}&identifier=alice&usersig={alice_sig}"
        ))
        .await,
        60010,
    );
    // The admin identifier with someone else's sig, or garbage.
    fail(
        &call(format!(
            "sdkappid={app}&identifier=administrator&usersig={alice_sig}"
        ))
        .await,
        70013,
    );
    fail(
        &call(format!(
            "sdkappid={app}&identifier=administrator&usersig=garbage"
        ))
        .await,
        70003,
    );
    // An expired admin sig.
    let old = pigeon_server::usersig::generate(app, &server.key, "administrator", 10, 1_000);
    fail(
        &call(format!(
            "sdkappid={app}&identifier=administrator&usersig={old}"
        ))
        .await,
        70001,
    );
    // contenttype other than json.
    fail(&call(format!("{good}&contenttype=xml")).await, 60002);
    // Unknown service or command.
    let v = server.rest("openim", "no_such_command", json!({})).await;
    fail(&v, 60009);
    let v = server.rest("no_such_service", "sendmsg", json!({})).await;
    fail(&v, 60009);
    // Malformed JSON and non-object bodies change nothing.
    let v = server
        .rest_raw(&format!("/v4/openim/sendmsg?{good}"), "{not json")
        .await;
    fail(&v, 60003);
    let v = server
        .rest_raw(&format!("/v4/openim/sendmsg?{good}"), "[1,2]")
        .await;
    fail(&v, 60003);
    // Wrong field types: the service's parameter code.
    let v = server
        .rest(
            "openim",
            "sendmsg",
            json!({"To_Account": 5, "MsgRandom": 1, "MsgBody": text_body("x")}),
        )
        .await;
    fail(&v, 90001);
    let v = server
        .rest(
            "openim",
            "sendmsg",
            json!({"To_Account": "bob", "MsgBody": text_body("x")}),
        )
        .await;
    fail(&v, 90001);
    let v = server
        .rest("openim", "sendmsg", json!({"To_Account": "bob", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMNoSuchElem", "MsgContent": {}}]}))
        .await;
    fail(&v, 90001);
    let v = server
        .rest("im_open_login_svc", "account_import", json!({}))
        .await;
    fail(&v, 70402);
    let v = server
        .rest(
            "profile",
            "portrait_get",
            json!({"To_Account": ["a"], "TagList": ["Tag_Nope"]}),
        )
        .await;
    fail(&v, 40008);
    let v = server
        .rest("sns", "friend_add", json!({"AddFriendItem": []}))
        .await;
    fail(&v, 30001);
    let v = server
        .rest(
            "group_open_http_svc",
            "create_group",
            json!({"Type": "Public"}),
        )
        .await;
    fail(&v, 10004);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_service_import_check_delete_kick() {
    let server = Server::start();
    // account_import with a profile; account_check sees it; a logged-in user counts too.
    ok(server
        .rest(
            "im_open_login_svc",
            "account_import",
            json!({"UserID": "alice", "Nick": "Alice", "FaceUrl": "https://x/a.png"}),
        )
        .await);
    let v = ok(server
        .rest(
            "im_open_login_svc",
            "multiaccount_import",
            json!({"Accounts": ["bob", "carol", ""]}),
        )
        .await);
    assert_eq!(v["FailAccounts"], json!([""]));
    let mut dave = Client::login(&server, "dave").await;
    let p = dave
        .ok("getUserProfile", vec![json!({"userIDList": ["alice"]})])
        .await;
    assert_eq!(p[0]["nick"], "Alice");
    assert_eq!(p[0]["avatar"], "https://x/a.png");
    let v = ok(server
        .rest("im_open_login_svc", "account_check", json!({"CheckItem": [{"UserID": "alice"}, {"UserID": "bob"}, {"UserID": "dave"}, {"UserID": "nobody"}]}))
        .await);
    let status: Vec<&str> = v["ResultItem"]
        .as_array()
        .expect("ResultItem")
        .iter()
        .map(|i| i["AccountStatus"].as_str().expect("AccountStatus"))
        .collect();
    assert_eq!(status, ["Imported", "Imported", "Imported", "NotImported"]);
    // account_delete: gone for account_check.
    let v = ok(server
        .rest(
            "im_open_login_svc",
            "account_delete",
            json!({"DeleteItem": [{"UserID": "bob"}]}),
        )
        .await);
    assert_eq!(v["ResultItem"][0]["ResultCode"], 0);
    let v = ok(server
        .rest(
            "im_open_login_svc",
            "account_check",
            json!({"CheckItem": [{"UserID": "bob"}]}),
        )
        .await);
    assert_eq!(v["ResultItem"][0]["AccountStatus"], "NotImported");
    // querystate: dave online, alice offline, with platform detail.
    let v = ok(server
        .rest(
            "openim",
            "querystate",
            json!({"IsNeedDetail": 1, "To_Account": ["dave", "alice"]}),
        )
        .await);
    assert_eq!(v["QueryResult"][0]["Status"], "Online");
    assert_eq!(v["QueryResult"][0]["Detail"][0]["Platform"], "web");
    assert_eq!(v["QueryResult"][1]["Status"], "Offline");
    // kick: KICKED_OUT with REST_API_Kick.
    ok(server
        .rest("im_open_login_svc", "kick", json!({"UserID": "dave"}))
        .await);
    let k = dave.wait_event("kickedOut").await;
    assert_eq!(k, json!({"type": "REST_API_Kick"}));
    let v = ok(server
        .rest("openim", "querystate", json!({"To_Account": ["dave"]}))
        .await);
    // The session ends asynchronously; wait until the hub agrees.
    let mut status = v["QueryResult"][0]["Status"].clone();
    for _ in 0..50 {
        if status == "Offline" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let v = ok(server
            .rest("openim", "querystate", json!({"To_Account": ["dave"]}))
            .await);
        status = v["QueryResult"][0]["Status"].clone();
    }
    assert_eq!(status, "Offline");
    let v = server.rest("im_open_login_svc", "kick", json!({})).await;
    fail(&v, 70402);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openim_send_batch_import_withdraw_history() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    // sendmsg from alice to bob; SyncOtherMachine=1 also reaches alice's own session.
    let v = ok(server
        .rest("openim", "sendmsg", json!({"SyncOtherMachine": 1, "From_Account": "alice", "To_Account": "bob", "MsgRandom": 7, "MsgBody": text_body("rest hi"), "CloudCustomData": "cc"}))
        .await);
    let key = v["MsgKey"].as_str().expect("MsgKey").to_owned();
    assert!(v["MsgTime"].as_u64().is_some_and(|t| t > 0), "{v}");
    let m = received(&mut bob, "rest hi").await;
    assert_eq!(m["from"], "alice");
    assert_eq!(m["ID"], key.as_str());
    assert_eq!(m["cloudCustomData"], "cc");
    let mine = received(&mut alice, "rest hi").await;
    assert_eq!(mine["flow"], "out");
    // SyncOtherMachine=2: bob gets it, alice's sessions do not.
    ok(server
        .rest("openim", "sendmsg", json!({"SyncOtherMachine": 2, "From_Account": "alice", "To_Account": "bob", "MsgRandom": 8, "MsgBody": text_body("not synced")}))
        .await);
    received(&mut bob, "not synced").await;
    // Without From_Account the administrator sends; custom elements map to custom payloads.
    ok(server
        .rest("openim", "sendmsg", json!({"To_Account": "carol", "MsgRandom": 9, "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d", "Desc": "desc", "Ext": "e"}}]}))
        .await);
    let d = carol
        .wait_for("onMessageReceived", |d| d[0]["type"] == "TIMCustomElem")
        .await;
    assert_eq!(d[0]["from"], "administrator");
    assert_eq!(
        d[0]["payload"],
        json!({"data": "d", "description": "desc", "extension": "e"})
    );
    // batchsendmsg to bob and carol.
    let v = ok(server
        .rest("openim", "batchsendmsg", json!({"From_Account": "alice", "To_Account": ["bob", "carol", ""], "MsgRandom": 10, "MsgBody": text_body("batch")}))
        .await);
    assert_eq!(v["ErrorList"].as_array().map(Vec::len), Some(1), "{v}");
    let batch_key = v["MsgKey"].as_str().expect("MsgKey").to_owned();
    received(&mut bob, "batch").await;
    let cm = received(&mut carol, "batch").await;
    assert_eq!(cm["from"], "alice");
    // admin_msgwithdraw: MESSAGE_REVOKED for both sides, even past the sender's window.
    ok(server
        .rest(
            "openim",
            "admin_msgwithdraw",
            json!({"From_Account": "alice", "To_Account": "bob", "MsgKey": key}),
        )
        .await);
    let r = bob.wait_event("onMessageRevoked").await;
    assert_eq!(r[0]["ID"], key.as_str());
    assert_eq!(r[0]["isRevoked"], true);
    alice
        .wait_for("onMessageRevoked", |d| d[0]["ID"] == key.as_str())
        .await;
    ok(server
        .rest(
            "openim",
            "admin_msgwithdraw",
            json!({"From_Account": "alice", "To_Account": "carol", "MsgKey": batch_key}),
        )
        .await);
    carol.wait_event("onMessageRevoked").await;
    let v = server
        .rest(
            "openim",
            "admin_msgwithdraw",
            json!({"From_Account": "alice", "To_Account": "carol", "MsgKey": "nope"}),
        )
        .await;
    fail(&v, 20026);
    // importmsg: in history, pushed to nobody.
    bob.clear();
    ok(server
        .rest("openim", "importmsg", json!({"SyncFromOldSystem": 2, "From_Account": "carol", "To_Account": "bob", "MsgRandom": 11, "MsgTimeStamp": 1_600_000_000u64, "MsgBody": text_body("imported")}))
        .await);
    let h = bob.history_texts("C2Ccarol").await;
    assert!(h.contains(&"imported".to_owned()), "{h:?}");
    assert!(!bob.seen_texts().contains(&"imported".to_owned()));
    // get_history of the import's hour (2020-09-13 12:00 UTC).
    let v = ok(server
        .rest(
            "open_msg_svc",
            "get_history",
            json!({"ChatType": "C2C", "MsgTime": "2020091312"}),
        )
        .await);
    assert_eq!(v["MsgList"][0]["From_Account"], "carol");
    assert_eq!(v["MsgList"][0]["MsgBody"], text_body("imported"));
    let v = server
        .rest(
            "open_msg_svc",
            "get_history",
            json!({"ChatType": "C2C", "MsgTime": "2020"}),
        )
        .await;
    fail(&v, 90001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_and_sns() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let _carol = Client::login(&server, "carol").await;
    // portrait_set → PROFILE_UPDATED on alice's session, and getUserProfile.
    ok(server
        .rest("profile", "portrait_set", json!({"From_Account": "alice", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "Al"}, {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_AllowAny"}]}))
        .await);
    let e = alice.wait_event("onProfileUpdated").await;
    assert_eq!(e[0]["nick"], "Al");
    let p = bob
        .ok("getUserProfile", vec![json!({"userIDList": ["alice"]})])
        .await;
    assert_eq!(p[0]["nick"], "Al");
    let v = ok(server
        .rest("profile", "portrait_get", json!({"To_Account": ["alice"], "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_IM_AllowType"]}))
        .await);
    assert_eq!(
        v["UserProfileItem"][0]["ProfileItem"],
        json!([{"Tag": "Tag_Profile_IM_Nick", "Value": "Al"}, {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_AllowAny"}])
    );
    let v = server
        .rest("profile", "portrait_set", json!({"From_Account": "alice", "ProfileItem": [{"Tag": "Tag_Profile_IM_Gender", "Value": "Nope"}]}))
        .await;
    assert_eq!(v["ActionStatus"], "FAIL", "{v}");
    // friend_add: bob adds alice (AllowAny) both ways → FRIEND_LIST_UPDATED for both.
    let v = ok(server
        .rest("sns", "friend_add", json!({"From_Account": "bob", "AddFriendItem": [{"To_Account": "alice", "AddSource": "AddSource_Type_Web", "Remark": "al"}]}))
        .await);
    assert_eq!(v["ResultItem"][0]["ResultCode"], 0, "{v}");
    alice.wait_event("onFriendListUpdated").await;
    bob.wait_event("onFriendListUpdated").await;
    let fl = bob.ok("getFriendList", vec![]).await;
    assert_eq!(fl[0]["userID"], "alice");
    assert_eq!(fl[0]["remark"], "al");
    // friend_add to carol (NeedConfirm) without force: pending (30539); with force: friends.
    let v = ok(server
        .rest("sns", "friend_add", json!({"From_Account": "bob", "AddFriendItem": [{"To_Account": "carol", "AddSource": "AddSource_Type_Web"}]}))
        .await);
    assert_eq!(v["ResultItem"][0]["ResultCode"], 30539, "{v}");
    let v = ok(server
        .rest("sns", "friend_add", json!({"From_Account": "bob", "ForceAddFlags": 1, "AddType": "Add_Type_Single", "AddFriendItem": [{"To_Account": "carol"}]}))
        .await);
    assert_eq!(v["ResultItem"][0]["ResultCode"], 0, "{v}");
    // friend_import (one way, with a group), friend_check, friend_get, friend_get_list.
    ok(server
        .rest("sns", "friend_import", json!({"From_Account": "alice", "AddFriendItem": [{"To_Account": "carol", "GroupName": ["work"], "AddSource": "AddSource_Type_Import", "Remark": "c"}]}))
        .await);
    let v = ok(server
        .rest("sns", "friend_check", json!({"From_Account": "alice", "To_Account": ["bob", "carol"], "CheckType": "CheckResult_Type_Both"}))
        .await);
    assert_eq!(v["InfoItem"][0]["Relation"], "CheckResult_Type_BothWay");
    assert_eq!(v["InfoItem"][1]["Relation"], "CheckResult_Type_AWithB");
    let v = ok(server
        .rest(
            "sns",
            "friend_get",
            json!({"From_Account": "alice", "StartIndex": 0}),
        )
        .await);
    assert_eq!(v["FriendNum"], 2);
    assert_eq!(v["CompleteFlag"], 1);
    let v = ok(server
        .rest("sns", "friend_get_list", json!({"From_Account": "alice", "To_Account": ["carol", "bob"], "TagList": ["Tag_SNS_IM_Remark", "Tag_SNS_IM_Group", "Tag_Profile_IM_Nick"]}))
        .await);
    assert_eq!(
        v["InfoItem"][0]["SnsProfileItem"],
        json!([{"Tag": "Tag_SNS_IM_Group", "Value": ["work"]}, {"Tag": "Tag_SNS_IM_Remark", "Value": "c"}, {"Tag": "Tag_Profile_IM_Nick", "Value": ""}])
    );
    // friend_update: the remark, seen by getFriendList.
    alice.clear();
    ok(server
        .rest("sns", "friend_update", json!({"From_Account": "alice", "UpdateItem": [{"To_Account": "bob", "SnsItem": [{"Tag": "Tag_SNS_IM_Remark", "Value": "bobby"}]}]}))
        .await);
    alice.wait_event("onFriendListUpdated").await;
    let fl = alice.ok("getFriendList", vec![]).await;
    assert!(
        fl.as_array()
            .expect("list")
            .iter()
            .any(|f| f["userID"] == "bob" && f["remark"] == "bobby"),
        "{fl}"
    );
    // group_add / group_delete: friend groups.
    ok(server
        .rest(
            "sns",
            "group_add",
            json!({"From_Account": "alice", "GroupName": ["pals"], "To_Account": ["bob"]}),
        )
        .await);
    let g = alice.ok("getFriendGroupList", vec![]).await;
    assert!(
        g.as_array()
            .expect("groups")
            .iter()
            .any(|x| x["name"] == "pals" && x["userIDList"] == json!(["bob"])),
        "{g}"
    );
    ok(server
        .rest(
            "sns",
            "group_delete",
            json!({"From_Account": "alice", "GroupName": ["pals"]}),
        )
        .await);
    let g = alice.ok("getFriendGroupList", vec![]).await;
    assert!(
        !g.as_array()
            .expect("groups")
            .iter()
            .any(|x| x["name"] == "pals"),
        "{g}"
    );
    // Blacklist: add, check, get, delete → BLACKLIST_UPDATED and getBlacklist.
    ok(server
        .rest(
            "sns",
            "black_list_add",
            json!({"From_Account": "alice", "To_Account": ["carol"]}),
        )
        .await);
    alice.wait_event("blacklistUpdated").await;
    assert_eq!(alice.ok("getBlacklist", vec![]).await, json!(["carol"]));
    let v = ok(server
        .rest("sns", "black_list_check", json!({"From_Account": "carol", "To_Account": ["alice"], "CheckType": "BlackCheckResult_Type_Both"}))
        .await);
    assert_eq!(
        v["BlackListCheckItem"][0]["Relation"],
        "BlackCheckResult_Type_BWithA"
    );
    let v = ok(server
        .rest(
            "sns",
            "black_list_get",
            json!({"From_Account": "alice", "StartIndex": 0, "MaxLimited": 10}),
        )
        .await);
    assert_eq!(v["BlackListItem"][0]["To_Account"], "carol");
    ok(server
        .rest(
            "sns",
            "black_list_delete",
            json!({"From_Account": "alice", "To_Account": ["carol"]}),
        )
        .await);
    assert_eq!(alice.ok("getBlacklist", vec![]).await, json!([]));
    // friend_delete and friend_delete_all.
    let v = ok(server
        .rest("sns", "friend_delete", json!({"From_Account": "bob", "To_Account": ["carol"], "DeleteType": "Delete_Type_Single"}))
        .await);
    assert_eq!(v["ResultItem"][0]["ResultCode"], 0, "{v}");
    ok(server
        .rest(
            "sns",
            "friend_delete_all",
            json!({"From_Account": "alice", "DeleteType": "Delete_Type_Both"}),
        )
        .await);
    assert_eq!(alice.ok("getFriendList", vec![]).await, json!([]));
    assert_eq!(bob.ok("getFriendList", vec![]).await, json!([]));
}

fn tip_of(d: &Value, group: &str, op: u64) -> Option<Value> {
    d.as_array()?
        .iter()
        .find(|m| {
            m["type"] == "TIMGroupTipElem"
                && m["to"] == group
                && m["payload"]["operationType"] == op
        })
        .cloned()
}

async fn tip(c: &mut Client, group: &str, op: u64) -> Value {
    let d = c
        .wait_for("onMessageReceived", |d| tip_of(d, group, op).is_some())
        .await;
    tip_of(&d, group, op).expect("the tip")
}

async fn send_code(c: &Client, to: &str, conv_type: &str, text: &str) -> u32 {
    let m = c
        .ok(
            "createTextMessage",
            vec![json!({"to": to, "conversationType": conv_type, "payload": {"text": text}})],
        )
        .await;
    c.call("sendMessage", vec![m])
        .await
        .err()
        .map(|e| e.code)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_service_changes_reach_members() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let mut dave = Client::login(&server, "dave").await;
    let g = "rest-g1";
    // create_group: alice owns, bob is in; both get the join tip and GROUP_LIST_UPDATED.
    let v = ok(server
        .rest("group_open_http_svc", "create_group", json!({"Owner_Account": "alice", "Type": "Public", "GroupId": g, "Name": "Rest", "MemberList": [{"Member_Account": "bob"}]}))
        .await);
    assert_eq!(v["GroupId"], g);
    let t = tip(&mut bob, g, 1).await;
    assert_eq!(t["payload"]["operatorID"], "administrator");
    bob.wait_event("onGroupListUpdated").await;
    alice.wait_event("onGroupListUpdated").await;
    let gl = bob.ok("getGroupList", vec![]).await;
    assert_eq!(gl["groupList"][0]["groupID"], g, "{gl}");
    let v = server
        .rest(
            "group_open_http_svc",
            "create_group",
            json!({"Owner_Account": "alice", "Type": "Public", "GroupId": g, "Name": "Again"}),
        )
        .await;
    assert_eq!(v["ActionStatus"], "FAIL");
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_group_info",
            json!({"GroupIdList": [g, "missing"]}),
        )
        .await);
    assert_eq!(v["GroupInfo"][0]["Owner_Account"], "alice");
    assert_eq!(v["GroupInfo"][0]["MemberNum"], 2);
    assert_eq!(v["GroupInfo"][1]["ErrorCode"], 10010);
    // add_group_member: carol joins with a tip and GROUP_LIST_UPDATED.
    let v = ok(server
        .rest("group_open_http_svc", "add_group_member", json!({"GroupId": g, "MemberList": [{"Member_Account": "carol"}, {"Member_Account": "bob"}]}))
        .await);
    assert_eq!(
        v["MemberList"],
        json!([{"Member_Account": "carol", "Result": 1}, {"Member_Account": "bob", "Result": 2}])
    );
    carol.wait_event("onGroupListUpdated").await;
    alice
        .wait_for("onMessageReceived", |d| {
            tip_of(d, g, 1).is_some_and(|t| t["payload"]["userIDList"] == json!(["carol"]))
        })
        .await;
    // modify_group_base_info: the profile tip, seen by getGroupProfile.
    ok(server
        .rest(
            "group_open_http_svc",
            "modify_group_base_info",
            json!({"GroupId": g, "Name": "Renamed", "Notification": "n"}),
        )
        .await);
    tip(&mut bob, g, 6).await;
    let p = bob.ok("getGroupProfile", vec![json!({"groupID": g})]).await;
    assert_eq!(p["group"]["name"], "Renamed");
    // modify_group_member_info: bob becomes admin (tip 4), gets a name card (tip 7).
    ok(server
        .rest(
            "group_open_http_svc",
            "modify_group_member_info",
            json!({"GroupId": g, "Member_Account": "bob", "Role": "Admin", "NameCard": "B"}),
        )
        .await);
    tip(&mut carol, g, 4).await;
    tip(&mut carol, g, 7).await;
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_role_in_group",
            json!({"GroupId": g, "User_Account": ["alice", "bob", "carol", "dave"]}),
        )
        .await);
    let roles: Vec<&str> = v["UserIdList"]
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["Role"].as_str().expect("Role"))
        .collect();
    assert_eq!(roles, ["Owner", "Admin", "Member", "NotMember"]);
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_group_member_info",
            json!({"GroupId": g, "Limit": 2, "Offset": 1}),
        )
        .await);
    assert_eq!(v["MemberNum"], 3);
    assert_eq!(v["MemberList"][0]["Member_Account"], "bob");
    assert_eq!(v["MemberList"][0]["NameCard"], "B");
    // forbid_send_msg: carol muted (tip 7), her send refused, get_group_shutted_uin lists her.
    ok(server
        .rest(
            "group_open_http_svc",
            "forbid_send_msg",
            json!({"GroupId": g, "Members_Account": ["carol"], "MuteTime": 600}),
        )
        .await);
    tip(&mut alice, g, 7).await;
    assert_eq!(send_code(&carol, g, "GROUP", "muted?").await, 10017);
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_group_shutted_uin",
            json!({"GroupId": g}),
        )
        .await);
    assert_eq!(v["ShuttedUinList"][0]["Member_Account"], "carol");
    ok(server
        .rest(
            "group_open_http_svc",
            "forbid_send_msg",
            json!({"GroupId": g, "Members_Account": ["carol"], "MuteTime": 0}),
        )
        .await);
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_group_shutted_uin",
            json!({"GroupId": g}),
        )
        .await);
    assert_eq!(v["ShuttedUinList"], json!([]));
    // send_group_msg as bob, and as the administrator.
    let v = ok(server
        .rest("group_open_http_svc", "send_group_msg", json!({"GroupId": g, "From_Account": "bob", "Random": 1, "MsgBody": text_body("group rest")}))
        .await);
    let seq = v["MsgSeq"].as_u64().expect("MsgSeq");
    let m = received(&mut carol, "group rest").await;
    assert_eq!(m["from"], "bob");
    received(&mut alice, "group rest").await;
    ok(server
        .rest(
            "group_open_http_svc",
            "send_group_msg",
            json!({"GroupId": g, "Random": 2, "MsgBody": text_body("from admin")}),
        )
        .await);
    let m = received(&mut carol, "from admin").await;
    assert_eq!(m["from"], "administrator");
    // group_msg_get_simple: newest first.
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "group_msg_get_simple",
            json!({"GroupId": g, "ReqMsgNumber": 2}),
        )
        .await);
    assert_eq!(v["RspMsgList"][0]["MsgBody"], text_body("from admin"));
    assert_eq!(v["RspMsgList"][1]["MsgSeq"], seq);
    // group_msg_recall: MESSAGE_REVOKED on members.
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "group_msg_recall",
            json!({"GroupId": g, "MsgSeqList": [{"MsgSeq": seq}, {"MsgSeq": 9999}]}),
        )
        .await);
    assert_eq!(v["RecallRetList"][0]["RetCode"], 0);
    assert_eq!(v["RecallRetList"][1]["RetCode"], 20026);
    let r = alice.wait_event("onMessageRevoked").await;
    assert_eq!(r[0]["payload"]["text"], "group rest");
    // import_group_msg: in history, pushed to nobody.
    let v = ok(server
        .rest("group_open_http_svc", "import_group_msg", json!({"GroupId": g, "MsgList": [{"From_Account": "dave", "SendTime": 1_600_000_000u64, "Random": 3, "MsgBody": text_body("old group msg")}]}))
        .await);
    assert_eq!(v["ImportMsgResult"][0]["Result"], 0);
    let h = alice.history_texts(&format!("GROUP{g}")).await;
    assert!(h.contains(&"old group msg".to_owned()), "{h:?}");
    assert!(!alice.seen_texts().contains(&"old group msg".to_owned()));
    // send_group_system_notification: a custom notice (255) to carol only.
    ok(server
        .rest(
            "group_open_http_svc",
            "send_group_system_notification",
            json!({"GroupId": g, "ToMembers_Account": ["carol"], "Content": "hello members"}),
        )
        .await);
    let d = carol
        .wait_for("onMessageReceived", |d| {
            d[0]["type"] == "TIMGroupSystemNoticeElem" && d[0]["payload"]["operationType"] == 255
        })
        .await;
    assert_eq!(d[0]["payload"]["userDefinedField"], "hello members");
    assert_eq!(d[0]["conversationID"], "@TIM#SYSTEM");
    // set_unread_msg_num: carol's conversation shows 5 unread.
    ok(server
        .rest(
            "group_open_http_svc",
            "set_unread_msg_num",
            json!({"GroupId": g, "Member_Account": "carol", "UnreadMsgNum": 5}),
        )
        .await);
    carol
        .wait_for("onConversationListUpdated", |d| {
            d.as_array().is_some_and(|a| {
                a.iter()
                    .any(|c| c["conversationID"] == format!("GROUP{g}") && c["unreadCount"] == 5)
            })
        })
        .await;
    // delete_group_msg_by_sender: the administrator's message leaves everyone's history.
    ok(server
        .rest(
            "group_open_http_svc",
            "delete_group_msg_by_sender",
            json!({"GroupId": g, "Sender_Account": "administrator"}),
        )
        .await);
    let h = bob.history_texts(&format!("GROUP{g}")).await;
    assert!(!h.contains(&"from admin".to_owned()), "{h:?}");
    // delete_group_member: carol is kicked (tip 3) and her group list changes.
    carol.clear();
    ok(server
        .rest(
            "group_open_http_svc",
            "delete_group_member",
            json!({"GroupId": g, "MemberToDel_Account": ["carol"], "Reason": "r"}),
        )
        .await);
    tip(&mut alice, g, 3).await;
    carol.wait_event("onGroupListUpdated").await;
    // change_group_owner to bob: the profile tip with the new owner.
    ok(server
        .rest(
            "group_open_http_svc",
            "change_group_owner",
            json!({"GroupId": g, "NewOwner_Account": "bob"}),
        )
        .await);
    alice
        .wait_for("onMessageReceived", |d| {
            tip_of(d, g, 6).is_some_and(|t| t["payload"]["newGroupProfile"]["ownerID"] == "bob")
        })
        .await;
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_role_in_group",
            json!({"GroupId": g, "User_Account": ["bob", "alice"]}),
        )
        .await);
    assert_eq!(v["UserIdList"][0]["Role"], "Owner");
    assert_eq!(v["UserIdList"][1]["Role"], "Member");
    // Lists.
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_joined_group_list",
            json!({"Member_Account": "alice"}),
        )
        .await);
    assert_eq!(v["GroupIdList"][0]["GroupId"], g);
    // import_group (no owner) and import_group_member: dave's group list has it.
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "import_group",
            json!({"Type": "Work", "GroupId": "rest-imp", "Name": "Imported"}),
        )
        .await);
    assert_eq!(v["GroupId"], "rest-imp");
    let v = ok(server
        .rest("group_open_http_svc", "import_group_member", json!({"GroupId": "rest-imp", "MemberList": [{"Member_Account": "dave", "Role": "Admin", "JoinTime": 1_600_000_000u64}]}))
        .await);
    assert_eq!(v["MemberList"][0]["Result"], 1);
    dave.wait_event("onGroupListUpdated").await;
    let gl = dave.ok("getGroupList", vec![]).await;
    assert_eq!(gl["groupList"][0]["groupID"], "rest-imp", "{gl}");
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_appid_group_list",
            json!({"Limit": 10}),
        )
        .await);
    assert_eq!(v["TotalCount"], 2);
    let v = ok(server
        .rest(
            "group_open_http_svc",
            "get_appid_group_list",
            json!({"GroupType": "Work"}),
        )
        .await);
    assert_eq!(v["GroupIdList"], json!([{"GroupId": "rest-imp"}]));
    // destroy_group: even a Work group; members told.
    dave.clear();
    ok(server
        .rest(
            "group_open_http_svc",
            "destroy_group",
            json!({"GroupId": "rest-imp"}),
        )
        .await);
    dave.wait_event("onGroupListUpdated").await;
    let gl = dave.ok("getGroupList", vec![]).await;
    assert_eq!(gl["groupList"], json!([]), "{gl}");
    let v = server
        .rest(
            "group_open_http_svc",
            "destroy_group",
            json!({"GroupId": "rest-imp"}),
        )
        .await;
    fail(&v, 10010);
    let v = server
        .rest(
            "group_open_http_svc",
            "add_group_member",
            json!({"MemberList": []}),
        )
        .await;
    fail(&v, 10004);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_service_nospeaking_and_appinfo() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let _bob = Client::login(&server, "bob").await;
    ok(server
        .rest("group_open_http_svc", "create_group", json!({"Owner_Account": "bob", "Type": "Public", "GroupId": "cfg", "Name": "cfg", "MemberList": [{"Member_Account": "alice"}]}))
        .await);
    assert_eq!(send_code(&alice, "bob", "C2C", "before").await, 0);
    // C2C mute: C2C refused (20012), group still allowed.
    ok(server
        .rest(
            "openconfigsvr",
            "setnospeaking",
            json!({"Set_Account": "alice", "C2CmsgNospeakingTime": 600}),
        )
        .await);
    assert_eq!(send_code(&alice, "bob", "C2C", "muted").await, 20012);
    assert_eq!(send_code(&alice, "cfg", "GROUP", "group ok").await, 0);
    let v = server.rest("openim", "sendmsg", json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text_body("rest muted")})).await;
    fail(&v, 20012);
    // Group mute for ever; getnospeaking reports both.
    ok(server
        .rest(
            "openconfigsvr",
            "setnospeaking",
            json!({"Set_Account": "alice", "GroupmsgNospeakingTime": 4_294_967_295u64}),
        )
        .await);
    assert_eq!(
        send_code(&alice, "cfg", "GROUP", "group muted").await,
        10017
    );
    let v = ok(server
        .rest(
            "openconfigsvr",
            "getnospeaking",
            json!({"Get_Account": "alice"}),
        )
        .await);
    let c2c = v["C2CmsgNospeakingTime"].as_u64().expect("C2C time");
    assert!(c2c > 0 && c2c <= 600, "{v}");
    assert_eq!(v["GroupmsgNospeakingTime"], 4_294_967_295u64);
    // Lifted.
    ok(server
        .rest(
            "openconfigsvr",
            "setnospeaking",
            json!({"Set_Account": "alice", "C2CmsgNospeakingTime": 0, "GroupmsgNospeakingTime": 0}),
        )
        .await);
    assert_eq!(send_code(&alice, "bob", "C2C", "free").await, 0);
    let v = ok(server
        .rest(
            "openconfigsvr",
            "getnospeaking",
            json!({"Get_Account": "bob"}),
        )
        .await);
    assert_eq!(v["C2CmsgNospeakingTime"], 0);
    let v = server
        .rest(
            "openconfigsvr",
            "setnospeaking",
            json!({"Set_Account": "alice"}),
        )
        .await;
    fail(&v, 10004);
    // getappinfo: counters that move with use.
    let v = ok(server.rest("openconfigsvr", "getappinfo", json!({})).await);
    let r = &v["Result"][0];
    assert_eq!(r["GroupAllGroupNum"], "1");
    assert_eq!(r["LoginUserNum"], "2");
    assert_eq!(r["ActiveUserNum"], "2");
    assert!(
        r["C2CUpMsgNum"]
            .as_str()
            .expect("string")
            .parse::<u64>()
            .expect("number")
            >= 2
    );
    let v = ok(server
        .rest(
            "openconfigsvr",
            "getappinfo",
            json!({"RequestField": ["GroupAllGroupNum"]}),
        )
        .await);
    assert_eq!(v["Result"][0].as_object().map(|o| o.len()), Some(1));
}
