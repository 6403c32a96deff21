//! Profiles and user status: every profile field, custom fields registered in the server's
//! config file, PROFILE_UPDATED on the user's other instance, sender nick/avatar on messages,
//! and USER_STATUS_UPDATED driven by real logins, dropped connections and logouts.

use pigeon_tests::*;
use serde_json::{json, Value};

const PROFILE_UPDATED: &str = "onProfileUpdated";
const STATUS_UPDATED: &str = "onUserStatusUpdated";

/// A server whose config file registers two custom profile fields; the dir holds the file.
fn server_with_custom_fields() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("config dir");
    let path = dir.path().join("pigeon.toml");
    std::fs::write(
        &path,
        "profile_custom_fields = [\"Tag_Profile_Custom_Test1\", \"Tag_Profile_Custom_Test2\"]\n",
    )
    .expect("write config");
    let path = path.to_str().expect("utf-8 path").to_owned();
    (Server::start_with(&["--config", &path]), dir)
}

async fn login_on(server: &Server, user: &str, url: &str, platform: &str) -> Client {
    let opts = ClientOpts {
        url: url.to_owned(),
        data_dir: None,
        platform: platform.into(),
    };
    let mut c = Client::with(server, user, opts);
    c.login_ready(server).await;
    c
}

async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    match c.call(method, args).await {
        Ok(v) => panic!("{method} should fail, got {v}"),
        Err(e) => e.code,
    }
}

/// Whether a USER_STATUS_UPDATED payload reports `user` with `status`.
fn reports(d: &Value, user: &str, status: u64) -> bool {
    d.as_array().is_some_and(|l| {
        l.iter()
            .any(|s| s["userID"] == user && s["statusType"] == json!(status))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_field_round_trips_and_reaches_the_other_instance() {
    let (server, _cfg) = server_with_custom_fields();
    let mut alice = Client::login(&server, "alice").await;
    let mut alice_desk = login_on(&server, "alice", &server.url(), "desktop").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;

    // Never set: the default profile.
    let me = alice.ok("getMyProfile", vec![]).await;
    assert_eq!(me["userID"], "alice");
    assert_eq!(me["nick"], "");
    assert_eq!(me["gender"], "Gender_Type_Unknown");
    assert_eq!(me["allowType"], "AllowType_Type_NeedConfirm");
    assert_eq!(me["adminForbidType"], "AdminForbid_Type_None");
    assert_eq!(me["profileCustomField"], json!([]));

    alice.clear();
    alice_desk.clear();
    let update = json!({
        "nick": "Alice A.",
        "avatar": "https://example.com/a.png",
        "gender": "Gender_Type_Female",
        "selfSignature": "hello there",
        "allowType": "AllowType_Type_AllowAny",
        "birthday": 20000101,
        "location": "1-2-3-4",
        "language": 7,
        "messageSettings": 1,
        "adminForbidType": "AdminForbid_Type_SendOut",
        "level": 12,
        "role": 3,
        "profileCustomField": [
            {"key": "Tag_Profile_Custom_Test1", "value": "blue"},
            {"key": "Tag_Profile_Custom_Test2", "value": 42},
        ],
    });
    let got = alice.ok("updateMyProfile", vec![update.clone()]).await;
    for (k, v) in update.as_object().expect("object") {
        if k != "profileCustomField" {
            assert_eq!(&got[k], v, "updateMyProfile reply field {k}");
        }
    }
    assert_eq!(got["profileCustomField"], update["profileCustomField"]);
    assert!(
        got["lastUpdatedNumber"]
            .as_u64()
            .expect("lastUpdatedNumber")
            > 0
    );

    // The caller and the other instance both hear of it.
    let mine = alice.wait_event(PROFILE_UPDATED).await;
    assert_eq!(mine[0]["nick"], "Alice A.");
    let other = alice_desk.wait_event(PROFILE_UPDATED).await;
    assert_eq!(other[0], got);

    // Everyone reads the same profile back; unknown and never-set users get the default.
    assert_eq!(alice_desk.ok("getMyProfile", vec![]).await, got);
    let list = bob
        .ok(
            "getUserProfile",
            vec![json!({"userIDList": ["alice", "carol", "nobody", "alice"]})],
        )
        .await;
    let list = list.as_array().expect("Profile[]");
    assert_eq!(list.len(), 3, "duplicates are looked up once: {list:?}");
    assert_eq!(list[0], got);
    assert_eq!(list[1]["userID"], "carol");
    assert_eq!(list[1]["nick"], "");
    assert_eq!(list[2]["userID"], "nobody");
    assert_eq!(list[2]["gender"], "Gender_Type_Unknown");

    // Over 100 users: the first 100, the rest dropped (seed).
    let many: Vec<String> = (0..150).map(|i| format!("u{i}")).collect();
    let list = carol
        .ok("getUserProfile", vec![json!({ "userIDList": many })])
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(100));
    assert_eq!(list[99]["userID"], "u99");

    // A partial update leaves the other fields; '' removes a custom field.
    let got2 = alice
        .ok(
            "updateMyProfile",
            vec![json!({"nick": "Al", "profileCustomField": [
                {"key": "Tag_Profile_Custom_Test1", "value": ""}]})],
        )
        .await;
    assert_eq!(got2["nick"], "Al");
    assert_eq!(got2["selfSignature"], "hello there");
    assert_eq!(got2["level"], 12);
    assert_eq!(
        got2["profileCustomField"],
        json!([{"key": "Tag_Profile_Custom_Test2", "value": 42}])
    );
    alice_desk
        .wait_for(PROFILE_UPDATED, |d| d[0]["nick"] == "Al")
        .await;

    // Messages carry the sender's nick and avatar from the profile, whatever the client put.
    let mut bob = bob;
    let m = alice
        .ok(
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "hi"}})],
        )
        .await;
    let mut m = m;
    m["nick"] = json!("forged");
    let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
    assert_eq!(sent["nick"], "Al");
    assert_eq!(sent["avatar"], "https://example.com/a.png");
    let got_msg = bob
        .wait_for("onMessageReceived", |d| d[0]["payload"]["text"] == "hi")
        .await;
    assert_eq!(got_msg[0]["nick"], "Al");
    assert_eq!(got_msg[0]["avatar"], "https://example.com/a.png");
    // A sender without a profile has empty display fields.
    let sent = carol.send_text("bob", "C2C", "from carol").await;
    assert_eq!(sent["nick"], "");
    assert_eq!(sent["avatar"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_profile_input_is_refused_and_changes_nothing() {
    let (server, _cfg) = server_with_custom_fields();
    let alice = Client::login(&server, "alice").await;
    let _bob = Client::login(&server, "bob").await;
    let _carol = Client::login(&server, "carol").await;
    let before = alice
        .ok("updateMyProfile", vec![json!({"nick": "A"})])
        .await;

    let long = "x".repeat(501);
    let cases = [
        (json!({}), 2722),
        (
            json!({"nick": "B", "profileCustomField": [{"key": "Tag_Profile_Custom_Nope", "value": "x"}]}),
            2721,
        ),
        (
            json!({"profileCustomField": [{"key": "Tag_Profile_Custom_Test1", "value": {"a": 1}}]}),
            2721,
        ),
        (
            json!({"profileCustomField": [
                {"key": "Tag_Profile_Custom_Test1", "value": "a"},
                {"key": "Tag_Profile_Custom_Test1", "value": "b"}]}),
            2721,
        ),
        (
            json!({"profileCustomField": [{"key": "Tag_Profile_Custom_Test1", "value": long}]}),
            2721,
        ),
        (json!({"nick": long}), 2721),
        (json!({"avatar": long}), 2721),
        (json!({"selfSignature": long}), 2721),
        (json!({"location": "x".repeat(17)}), 2721),
        (json!({"gender": "Gender_Type_Robot"}), 2721),
        (json!({"allowType": "sometimes"}), 2721),
        (json!({"adminForbidType": "maybe"}), 2721),
        (json!({"birthday": -1}), 2721),
        (json!({"level": "high"}), 2721),
        (json!({"nick": 5}), 2721),
        (json!({"nickname": "B"}), 2721),
        (
            json!({"profileCustomField": {"key": "Tag_Profile_Custom_Test1"}}),
            2721,
        ),
        (json!("B"), 2905),
    ];
    for (args, want) in cases {
        let got = code_of(&alice, "updateMyProfile", vec![args.clone()]).await;
        assert_eq!(got, want, "updateMyProfile({args})");
    }
    assert_eq!(alice.ok("getMyProfile", vec![]).await, before);

    assert_eq!(code_of(&alice, "getUserProfile", vec![]).await, 2905);
    assert_eq!(
        code_of(&alice, "getUserProfile", vec![json!({"userIDList": "bob"})]).await,
        2905
    );
    assert_eq!(
        code_of(&alice, "getUserProfile", vec![json!({"userIDList": [1]})]).await,
        2905
    );
    assert_eq!(
        code_of(&alice, "getUserProfile", vec![json!({"userIDList": []})]).await,
        10004
    );
    assert_eq!(
        code_of(&alice, "getUserProfile", vec![json!({"userIDList": [""]})]).await,
        10004
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_fields_are_refused_without_registration() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let _bob = Client::login(&server, "bob").await;
    let _carol = Client::login(&server, "carol").await;
    let r = alice
        .call(
            "updateMyProfile",
            vec![
                json!({"profileCustomField": [{"key": "Tag_Profile_Custom_Test1", "value": "x"}]}),
            ],
        )
        .await;
    let e = r.expect_err("no custom field is registered");
    assert_eq!(e.code, 2721);
    assert!(e.message.contains("Tag_Profile_Custom_Test1"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_follows_logins_drops_logouts_and_custom_status() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let mut alice = Client::login(&server, "alice").await;

    // Before anyone else logged in.
    let st = alice
        .ok(
            "getUserStatus",
            vec![json!({"userIDList": ["alice", "bob", "carol", ""]})],
        )
        .await;
    assert_eq!(
        st["successUserList"],
        json!([
            {"userID": "alice", "statusType": 1, "customStatus": ""},
            {"userID": "bob", "statusType": 3, "customStatus": ""},
            {"userID": "carol", "statusType": 3, "customStatus": ""},
        ])
    );
    assert_eq!(st["failureUserList"][0]["userID"], "");
    assert_eq!(st["failureUserList"][0]["code"], 10004);

    let r = alice
        .ok(
            "subscribeUserStatus",
            vec![json!({"userIDList": ["bob", "carol", "alice"]})],
        )
        .await;
    assert_eq!(r["failureUserList"][0]["userID"], "alice");
    assert_eq!(r["failureUserList"].as_array().map(Vec::len), Some(1));

    // bob comes online (through the proxy), then his connection is cut: online, offline.
    let mut bob = login_on(&server, "bob", &proxy.url, "web").await;
    alice
        .wait_for(STATUS_UPDATED, |d| reports(d, "bob", 1))
        .await;
    proxy.cut();
    alice
        .wait_for(STATUS_UPDATED, |d| reports(d, "bob", 2))
        .await;
    let st = alice
        .ok("getUserStatus", vec![json!({"userIDList": ["bob"]})])
        .await;
    assert_eq!(st["successUserList"][0]["statusType"], 2);

    // Subscriptions live on the server: alice logs in anew and still hears bob come back.
    alice.chat.logout().await.expect("alice logout");
    let mut alice = Client::login(&server, "alice").await;
    proxy.restore();
    bob.wait_state("connected").await;
    alice
        .wait_for(STATUS_UPDATED, |d| reports(d, "bob", 1))
        .await;

    // A second instance of bob: no new online event; his custom status reaches his other
    // instance, himself and alice.
    alice.clear();
    let mut bob_desk = login_on(&server, "bob", &server.url(), "desktop").await;
    bob.clear();
    let me = bob
        .ok("setSelfStatus", vec![json!({"customStatus": "busy"})])
        .await;
    assert_eq!(
        me,
        json!({"userID": "bob", "statusType": 1, "customStatus": "busy"})
    );
    let own = bob.wait_event(STATUS_UPDATED).await;
    assert_eq!(own, json!([me]));
    let other = bob_desk.wait_event(STATUS_UPDATED).await;
    assert_eq!(other, json!([me]));
    let seen = alice
        .wait_for(STATUS_UPDATED, |d| d[0]["customStatus"] == "busy")
        .await;
    assert_eq!(seen, json!([me]));
    assert!(
        alice.events_named(STATUS_UPDATED).is_empty(),
        "no online event for bob's second instance"
    );

    // Logging out one instance keeps bob online; the last one makes him offline.
    bob.chat.logout().await.expect("bob logout");
    bob_desk.chat.logout().await.expect("bob desktop logout");
    let off = alice
        .wait_for(STATUS_UPDATED, |d| reports(d, "bob", 2))
        .await;
    assert_eq!(off[0]["customStatus"], "busy");
    assert!(
        alice.events_named(STATUS_UPDATED).is_empty(),
        "one offline event, only after the last instance"
    );

    // Unsubscribed users send nothing more.
    let mut carol = Client::login(&server, "carol").await;
    alice
        .wait_for(STATUS_UPDATED, |d| reports(d, "carol", 1))
        .await;
    alice
        .ok(
            "unsubscribeUserStatus",
            vec![json!({"userIDList": ["carol"]})],
        )
        .await;
    alice
        .ok("subscribeUserStatus", vec![json!({"userIDList": ["dave"]})])
        .await;
    carol
        .ok("setSelfStatus", vec![json!({"customStatus": "away"})])
        .await;
    carol.wait_event(STATUS_UPDATED).await;
    let dave = Client::login(&server, "dave").await;
    alice
        .wait_for(STATUS_UPDATED, |d| reports(d, "dave", 1))
        .await;
    assert!(
        alice.events_named(STATUS_UPDATED).is_empty(),
        "nothing about carol after unsubscribing"
    );

    // Cancel everything: dave's status change no longer arrives (his message after it does).
    let r = alice.ok("unsubscribeUserStatus", vec![]).await;
    assert_eq!(r["failureUserList"], json!([]));
    dave.ok(
        "setSelfStatus",
        vec![json!({"customStatus": "in a meeting"})],
    )
    .await;
    dave.send_text("alice", "C2C", "after status").await;
    alice.wait_text("after status").await;
    assert!(
        alice.events_named(STATUS_UPDATED).is_empty(),
        "nothing after unsubscribing from all"
    );

    // Online, offline and never-logged-in users side by side.
    let st = alice
        .ok(
            "getUserStatus",
            vec![json!({"userIDList": ["dave", "bob", "erin", "carol"]})],
        )
        .await;
    assert_eq!(
        st["successUserList"],
        json!([
            {"userID": "dave", "statusType": 1, "customStatus": "in a meeting"},
            {"userID": "bob", "statusType": 2, "customStatus": "busy"},
            {"userID": "erin", "statusType": 3, "customStatus": ""},
            {"userID": "carol", "statusType": 1, "customStatus": "away"},
        ])
    );
    assert_eq!(st["failureUserList"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_status_input_is_refused() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let _bob = Client::login(&server, "bob").await;
    let _carol = Client::login(&server, "carol").await;
    let many = |n: usize| -> Vec<String> { (0..n).map(|i| format!("u{i}")).collect() };

    assert_eq!(code_of(&alice, "setSelfStatus", vec![]).await, 2905);
    assert_eq!(
        code_of(&alice, "setSelfStatus", vec![json!({"customStatus": 5})]).await,
        2905
    );
    assert_eq!(
        code_of(
            &alice,
            "setSelfStatus",
            vec![json!({"customStatus": "x".repeat(101)})]
        )
        .await,
        10004
    );
    for method in [
        "getUserStatus",
        "subscribeUserStatus",
        "unsubscribeUserStatus",
    ] {
        assert_eq!(
            code_of(&alice, method, vec![json!({"userIDList": "bob"})]).await,
            2905,
            "{method}"
        );
        assert_eq!(
            code_of(&alice, method, vec![json!({"userIDList": [true]})]).await,
            2905,
            "{method}"
        );
        assert_eq!(
            code_of(&alice, method, vec![json!({"userIDList": many(501)})]).await,
            10004,
            "{method}"
        );
    }
    assert_eq!(code_of(&alice, "getUserStatus", vec![]).await, 2905);
    assert_eq!(
        code_of(&alice, "getUserStatus", vec![json!({"userIDList": []})]).await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "subscribeUserStatus",
            vec![json!({"userIDList": many(101)})]
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(
            &alice,
            "subscribeUserStatus",
            vec![json!({"userIDList": []})]
        )
        .await,
        10004
    );
    // Nothing changed: the custom status is still empty.
    let st = alice
        .ok("getUserStatus", vec![json!({"userIDList": ["alice"]})])
        .await;
    assert_eq!(st["successUserList"][0]["customStatus"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friends_hear_of_profile_changes() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    alice
        .ok(
            "updateMyProfile",
            vec![json!({"allowType": "AllowType_Type_AllowAny"})],
        )
        .await;
    let added = bob
        .ok(
            "addFriend",
            vec![json!({"to": "alice", "source": "AddSource_Type_Web"})],
        )
        .await;
    assert_eq!(added["code"], 0, "{added}");
    bob.clear();
    carol.clear();
    alice
        .ok("updateMyProfile", vec![json!({"nick": "Alice A."})])
        .await;
    let got = bob
        .wait_for("onProfileUpdated", |d| d[0]["userID"] == json!("alice"))
        .await;
    assert_eq!(got[0]["nick"], "Alice A.");
    // A round trip proves carol, who is no friend, had her chance to hear of it.
    carol.send_text("bob", "C2C", "ping").await;
    bob.wait_for("onMessageReceived", |_| true).await;
    assert!(carol.events_named("onProfileUpdated").is_empty());
}
