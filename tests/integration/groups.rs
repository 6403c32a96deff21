//! Groups, as far as chatting in one needs: create (Work, Public, Meeting), list, profile,
//! join, quit, dismiss, and group chat.

use pigeon_tests::*;
use serde_json::{json, Value};

fn group_ids(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|g| g["groupID"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_each_type_with_members_and_chat() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    for (kind, max) in [("Private", 200), ("Public", 2000), ("ChatRoom", 10000)] {
        let r = alice
            .ok(
                "createGroup",
                vec![json!({"name": format!("{kind} group"), "type": kind,
                "introduction": "intro", "memberList": [{"userID": "bob"}]})],
            )
            .await;
        let g = &r["group"];
        assert_eq!(g["type"], kind);
        assert_eq!(g["ownerID"], "alice");
        assert_eq!(g["memberCount"], 2);
        assert_eq!(g["maxMemberCount"], max);
        assert_eq!(g["selfInfo"]["role"], "Owner");
        assert_eq!(r["overLimitUserIDList"], json!([]));
        assert!(g["groupID"].as_str().expect("id").starts_with("@TGS#"));
        let gid = g["groupID"].as_str().expect("id").to_owned();
        let updated = bob
            .wait_for("onGroupListUpdated", |l| group_ids(l).contains(&gid))
            .await;
        assert!(group_ids(&updated).contains(&gid));
        alice
            .send_text(&gid, "GROUP", &format!("hello {kind}"))
            .await;
        let got = bob
            .wait_for("onMessageReceived", |l| {
                l[0]["type"] == json!("TIMTextElem")
            })
            .await;
        assert_eq!(got[0]["payload"]["text"], json!(format!("hello {kind}")));
        assert_eq!(got[0]["conversationID"], json!(format!("GROUP{gid}")));
        let p = bob
            .ok("getGroupProfile", vec![json!({"groupID": gid})])
            .await;
        assert_eq!(p["group"]["selfInfo"]["role"], "Member");
        assert_eq!(p["group"]["introduction"], "intro");
    }
    let mine = bob.ok("getGroupList", vec![]).await;
    assert_eq!(mine["groupList"].as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_quit_and_dismiss() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let public = alice
        .ok(
            "createGroup",
            vec![json!({"name": "open", "type": "Public", "groupID": "open-1"})],
        )
        .await;
    assert_eq!(public["group"]["groupID"], "open-1");
    let e = alice
        .call(
            "createGroup",
            vec![json!({"name": "again", "type": "Public", "groupID": "open-1"})],
        )
        .await
        .expect_err("taken");
    assert_eq!(e.code, 10021);

    // Not a member yet: cannot send.
    let m = bob
        .ok(
            "createTextMessage",
            vec![json!({"to": "open-1", "conversationType": "GROUP", "payload": {"text": "x"}})],
        )
        .await;
    assert_eq!(
        bob.call("sendMessage", vec![m])
            .await
            .expect_err("not member")
            .code,
        10007
    );

    let joined = bob
        .ok(
            "joinGroup",
            vec![json!({"groupID": "open-1", "applyMessage": "hi"})],
        )
        .await;
    assert_eq!(joined["status"], "JoinedSuccess");
    assert_eq!(joined["group"]["memberCount"], 2);
    bob.wait_for("onGroupListUpdated", |l| group_ids(l) == ["open-1"])
        .await;
    let again = bob
        .ok("joinGroup", vec![json!({"groupID": "open-1"})])
        .await;
    assert_eq!(again["status"], "AlreadyInGroup");
    bob.send_text("open-1", "GROUP", "I'm in").await;

    // Needs permission: waits for approval.
    alice
        .ok("createGroup", vec![json!({"name": "closed", "type": "Public", "groupID": "closed-1", "joinOption": "NeedPermission"})])
        .await;
    let waiting = bob
        .ok(
            "joinGroup",
            vec![json!({"groupID": "closed-1", "applyMessage": "let me in"})],
        )
        .await;
    assert_eq!(waiting["status"], "WaitAdminApproval");
    // Work groups: invitation only; disabled applications refused.
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "work", "type": "Private", "groupID": "work-1"})],
        )
        .await;
    assert_eq!(
        bob.call("joinGroup", vec![json!({"groupID": "work-1"})])
            .await
            .expect_err("work")
            .code,
        10007
    );
    alice
        .ok("createGroup", vec![json!({"name": "shut", "type": "Public", "groupID": "shut-1", "joinOption": "DisableApply"})])
        .await;
    assert_eq!(
        bob.call("joinGroup", vec![json!({"groupID": "shut-1"})])
            .await
            .expect_err("disabled")
            .code,
        10007
    );
    assert_eq!(
        bob.call("joinGroup", vec![json!({"groupID": "nope"})])
            .await
            .expect_err("missing")
            .code,
        10010
    );
    assert_eq!(
        bob.call("getGroupProfile", vec![json!({"groupID": "work-1"})])
            .await
            .expect_err("members only")
            .code,
        10007
    );

    // The owner cannot quit a public group; a member can.
    assert_eq!(
        alice
            .call("quitGroup", vec![json!("open-1")])
            .await
            .expect_err("owner")
            .code,
        10009
    );
    assert_eq!(
        bob.ok("quitGroup", vec![json!("open-1")]).await,
        json!({"groupID": "open-1"})
    );
    bob.wait_for("onGroupListUpdated", |l| group_ids(l).is_empty())
        .await;
    assert_eq!(
        bob.call("quitGroup", vec![json!("open-1")])
            .await
            .expect_err("not member")
            .code,
        10007
    );
    // The conversation stays after quitting.
    let c = bob
        .ok("getConversationProfile", vec![json!("GROUPopen-1")])
        .await;
    assert_eq!(c["conversation"]["conversationID"], "GROUPopen-1");

    // Dismiss: owner only, not for work groups, members are told.
    bob.ok("joinGroup", vec![json!({"groupID": "open-1"})])
        .await;
    bob.wait_for("onGroupListUpdated", |l| group_ids(l) == ["open-1"])
        .await;
    assert_eq!(
        bob.call("dismissGroup", vec![json!("open-1")])
            .await
            .expect_err("not owner")
            .code,
        10007
    );
    assert_eq!(
        alice
            .call("dismissGroup", vec![json!("work-1")])
            .await
            .expect_err("work")
            .code,
        10007
    );
    assert_eq!(
        alice.ok("dismissGroup", vec![json!("open-1")]).await,
        json!({"groupID": "open-1"})
    );
    bob.wait_for("onGroupListUpdated", |l| group_ids(l).is_empty())
        .await;
    assert_eq!(
        bob.call("joinGroup", vec![json!({"groupID": "open-1"})])
            .await
            .expect_err("gone")
            .code,
        10010
    );

    // Work group owner may quit, leaving it ownerless.
    assert_eq!(
        alice.ok("quitGroup", vec![json!("work-1")]).await,
        json!({"groupID": "work-1"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_group_validates_its_options() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let code = |r: pigeon_sdk::Result<Value>| r.expect_err("must be refused").code;
    assert_eq!(
        code(
            alice
                .call("createGroup", vec![json!({"name": "x", "type": "Nope"})])
                .await
        ),
        2600
    );
    assert_eq!(
        code(alice.call("createGroup", vec![json!({"name": ""})]).await),
        2905
    );
    assert_eq!(
        code(
            alice
                .call("createGroup", vec![json!({"name": "x".repeat(101)})])
                .await
        ),
        10004
    );
    assert_eq!(
        code(
            alice
                .call(
                    "createGroup",
                    vec![json!({"name": "x", "type": "Private", "joinOption": "FreeAccess"})]
                )
                .await
        ),
        10004
    );
    assert_eq!(
        code(
            alice
                .call(
                    "createGroup",
                    vec![json!({"name": "x", "groupID": "@TGS#mine"})]
                )
                .await
        ),
        10015
    );
    assert_eq!(
        code(
            alice
                .call("createGroup", vec![json!("not an object")])
                .await
        ),
        2905
    );
    let members: Vec<Value> = (0..101)
        .map(|i| json!({"userID": format!("u{i}")}))
        .collect();
    assert_eq!(
        code(
            alice
                .call(
                    "createGroup",
                    vec![json!({"name": "x", "memberList": members})]
                )
                .await
        ),
        10004
    );
    let default_type = alice
        .ok("createGroup", vec![json!({"name": "default"})])
        .await;
    assert_eq!(default_type["group"]["type"], "Private");
    assert_eq!(
        alice.ok("getGroupList", vec![]).await["groupList"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn av_chat_room_messages_are_live_only() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let g = alice
        .ok(
            "createGroup",
            vec![json!({"name": "live", "type": "AVChatRoom", "groupID": "live-1"})],
        )
        .await;
    assert_eq!(g["group"]["type"], "AVChatRoom");
    alice
        .ok("joinGroup", vec![json!({"groupID": "live-1"})])
        .await;
    bob.ok("joinGroup", vec![json!({"groupID": "live-1"})])
        .await;
    alice.send_text("live-1", "GROUP", "on air").await;
    let got = bob
        .wait_for("onMessageReceived", |l| {
            l[0]["payload"]["text"] == json!("on air")
        })
        .await;
    assert_eq!(got[0]["conversationID"], "GROUPlive-1");
    // Nothing roams: a member who reads history finds no message.
    let history = bob
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "GROUPlive-1"})],
        )
        .await;
    let texts: Vec<&Value> = history["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|m| m["type"] == json!("TIMTextElem"))
        .collect();
    assert!(texts.is_empty(), "{history}");
    // And AVChatRooms stay out of the group list (seed).
    assert!(group_ids(&bob.ok("getGroupList", vec![]).await["groupList"]).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_system_notices_are_stored_in_the_system_conversation() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    alice
        .ok("createGroup", vec![json!({"name": "n", "type": "Public", "groupID": "sys-1", "memberList": [{"userID": "bob"}]})])
        .await;
    let invited = bob
        .wait_for("onMessageReceived", |l| {
            l[0]["type"] == json!("TIMGroupSystemNoticeElem")
        })
        .await;
    assert_eq!(invited[0]["conversationID"], "@TIM#SYSTEM");
    assert_eq!(invited[0]["payload"]["operationType"], 7);
    assert_eq!(invited[0]["payload"]["groupProfile"]["groupID"], "sys-1");
    alice.ok("dismissGroup", vec![json!("sys-1")]).await;
    let dismissed = bob
        .wait_for("onMessageReceived", |l| {
            l[0]["payload"]["operationType"] == json!(5)
        })
        .await;
    assert_eq!(dismissed[0]["payload"]["operatorID"], "alice");
    // Stored: a fresh device reads both notices, oldest first, and they count as unread there
    // but not in the total (the system conversation never does).
    bob.ok("logout", vec![]).await;
    let again = Client::login(&server, "bob").await;
    let history = again
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "@TIM#SYSTEM"})],
        )
        .await;
    let ops: Vec<&Value> = history["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| &m["payload"]["operationType"])
        .collect();
    assert_eq!(ops, vec![&json!(7), &json!(5)]);
    let conv = again
        .ok("getConversationProfile", vec![json!("@TIM#SYSTEM")])
        .await;
    assert_eq!(conv["conversation"]["unreadCount"], 2);
    assert_eq!(
        again.ok("getTotalUnreadMessageCount", vec![]).await,
        json!(0)
    );
    // Nobody can send into it.
    let m = again
        .ok(
            "createTextMessage",
            vec![json!({"to": "@TIM#SYSTEM", "conversationType": "C2C", "payload": {"text": "x"}})],
        )
        .await;
    assert_eq!(
        again
            .call("sendMessage", vec![m])
            .await
            .expect_err("system")
            .code,
        2106
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_custom_fields_must_be_enabled_on_the_server() {
    let config = tempfile::tempdir().expect("config dir");
    let path = config.path().join("pigeon.toml");
    std::fs::write(&path, "group_custom_fields = [\"topic\"]\n").expect("write config");
    let server = Server::start_with(&["--config", path.to_str().expect("utf-8 path")]);
    let alice = Client::login(&server, "alice").await;
    let made = alice
        .ok(
            "createGroup",
            vec![json!({"name": "f", "type": "Public",
            "groupCustomField": [{"key": "topic", "value": "rust"}]})],
        )
        .await;
    assert_eq!(
        made["group"]["groupCustomField"],
        json!([{"key": "topic", "value": "rust"}])
    );
    let e = alice
        .call(
            "createGroup",
            vec![json!({"name": "g", "type": "Public",
            "groupCustomField": [{"key": "other", "value": "x"}]})],
        )
        .await
        .expect_err("not enabled");
    assert_eq!(e.code, 10004);
    assert_eq!(
        alice.ok("getGroupList", vec![]).await["groupList"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
