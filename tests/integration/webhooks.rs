//! Webhooks: a real callback server in the test, a real pigeon-server configured to call it.
//! Before-send callbacks allow, refuse (with TencentCloudChat's codes or the app's own), drop,
//! modify and time out (fail-open and fail-closed); after-send, state, friend and group
//! callbacks arrive with TencentCloudChat's fields.

use axum::extract::{Query, State};
use axum::Json;
use futures_util::SinkExt;
use pigeon_tests::{eventually, text_of, Client, ClientOpts, Proxy, Server};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as Frame;

/// One callback the app backend received.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The URL's query parameters.
    pub query: HashMap<String, String>,
    /// The JSON body.
    pub body: Value,
}

/// The app backend: records every callback and answers before-send callbacks by the text
/// of the message ("refuse me", "app code", "drop me", "modify me", "slow", else allow).
pub(crate) struct Hook {
    /// The callback URL to configure.
    pub url: String,
    calls: Arc<Mutex<Vec<Call>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    State(calls): State<Arc<Mutex<Vec<Call>>>>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let command = query.get("CallbackCommand").cloned().unwrap_or_default();
    calls.lock().expect("calls").push(Call {
        query,
        body: body.clone(),
    });
    let ok = json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""});
    if !command.ends_with("CallbackBeforeSendMsg") {
        return Json(ok);
    }
    let text = body["MsgBody"][0]["MsgContent"]["Text"]
        .as_str()
        .unwrap_or_default();
    Json(match text {
        "refuse me" => json!({"ActionStatus": "OK", "ErrorCode": 1, "ErrorInfo": "not allowed"}),
        "app code" => {
            json!({"ActionStatus": "OK", "ErrorCode": 120123, "ErrorInfo": "custom refusal"})
        }
        "drop me" => json!({"ActionStatus": "OK", "ErrorCode": 2, "ErrorInfo": ""}),
        "modify me" => json!({
            "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "modified!"}}],
            "CloudCustomData": "checked",
        }),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            ok
        }
        _ => ok,
    })
}

impl Hook {
    /// Starts the callback server on a loopback port.
    pub async fn start() -> Hook {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the webhook server");
        let url = format!(
            "http://{}/im-callback",
            listener.local_addr().expect("addr")
        );
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let app = axum::Router::new()
            .route("/im-callback", axum::routing::post(answer))
            .with_state(calls.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Hook { url, calls, task }
    }

    /// Every call of `command` so far.
    pub fn calls(&self, command: &str) -> Vec<Call> {
        self.calls
            .lock()
            .expect("calls")
            .iter()
            .filter(|c| c.query.get("CallbackCommand").map(String::as_str) == Some(command))
            .cloned()
            .collect()
    }

    /// Waits for a call of `command` whose body matches `pred`.
    pub async fn wait(&self, command: &str, pred: impl Fn(&Value) -> bool) -> Call {
        let what = format!("a {command} callback");
        eventually(&what, || self.calls(command).iter().any(|c| pred(&c.body))).await;
        self.calls(command)
            .into_iter()
            .find(|c| pred(&c.body))
            .expect("found above")
    }

    /// A config file pointing pigeon-server at this hook.
    pub fn config(&self, dir: &std::path::Path, fail_open: bool, timeout_ms: u64) -> PathBuf {
        let path = dir.join("pigeon.toml");
        let text = format!(
            "[webhooks]\nurl = \"{}\"\ntimeout_ms = {timeout_ms}\nfail_open = {fail_open}\n",
            self.url
        );
        std::fs::write(&path, text).expect("write the config file");
        path
    }
}

/// A server whose webhooks go to `hook`.
fn server(hook: &Hook, fail_open: bool, timeout_ms: u64) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = hook.config(dir.path(), fail_open, timeout_ms);
    let server = Server::start_with(&["--config", cfg.to_str().expect("utf-8 path")]);
    (server, dir)
}

async fn try_send(c: &Client, to: &str, conv_type: &str, text: &str) -> pigeon_sdk::Result<Value> {
    let m = c
        .ok(
            "createTextMessage",
            vec![json!({"to": to, "conversationType": conv_type, "payload": {"text": text}})],
        )
        .await;
    c.call("sendMessage", vec![m]).await
}

/// Sends a marker and waits until `to` has it: anything sent before it that `to` has not seen
/// by then was never delivered.
async fn marker(from: &Client, to: &mut Client, target: &str, conv_type: &str, text: &str) {
    from.send_text(target, conv_type, text).await;
    to.wait_text(text).await;
}

fn text_in_body(c: &Call) -> String {
    c.body["MsgBody"][0]["MsgContent"]["Text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_send_allows_refuses_drops_and_modifies() {
    let hook = Hook::start().await;
    let (server, _cfg) = server(&hook, true, 500);
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;

    // Allowed: delivered, with both callbacks and TencentCloudChat's URL parameters.
    alice.send_text("bob", "C2C", "hello").await;
    bob.wait_text("hello").await;
    let before = hook
        .wait("C2C.CallbackBeforeSendMsg", |b| {
            b["MsgBody"][0]["MsgContent"]["Text"] == "hello"
        })
        .await;
    assert_eq!(before.query["SdkAppid"], server.app_id.to_string());
    assert_eq!(before.query["contenttype"], "json");
    assert_eq!(before.query["ClientIP"], "127.0.0.1");
    assert_eq!(before.query["OptPlatform"], "Web");
    assert_eq!(before.body["CallbackCommand"], "C2C.CallbackBeforeSendMsg");
    assert_eq!(before.body["From_Account"], "alice");
    assert_eq!(before.body["To_Account"], "bob");
    assert_eq!(before.body["MsgBody"][0]["MsgType"], "TIMTextElem");
    assert!(before.body["MsgRandom"].is_u64() && before.body["MsgTime"].is_u64());
    let after = hook
        .wait("C2C.CallbackAfterSendMsg", |b| {
            b["MsgBody"][0]["MsgContent"]["Text"] == "hello"
        })
        .await;
    assert_eq!(after.body["From_Account"], "alice");
    assert_eq!(after.body["To_Account"], "bob");
    assert_eq!(after.body["SendMsgResult"], 0);
    assert!(after.body["MsgSeq"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(after.body["OnlineOnlyFlag"], 0);

    // Refused (ErrorCode 1): the sender gets 20006, the receiver nothing, no after-send.
    let e = try_send(&alice, "bob", "C2C", "refuse me")
        .await
        .expect_err("the webhook refuses");
    assert_eq!(e.code, 20006);
    assert!(e.message.contains("not allowed"), "{}", e.message);
    // The app's own code (120001..=130000) reaches the sender with its ErrorInfo.
    let e = try_send(&alice, "bob", "C2C", "app code")
        .await
        .expect_err("the webhook refuses with its code");
    assert_eq!(e.code, 120123);
    assert_eq!(e.message, "custom refusal");
    // Dropped (ErrorCode 2): the sender is told it was sent, nobody gets it.
    let dropped = try_send(&alice, "bob", "C2C", "drop me")
        .await
        .expect("a silent drop looks sent");
    assert_eq!(text_of(&dropped["message"]), "drop me");
    marker(&alice, &mut bob, "bob", "C2C", "after refusals").await;
    let seen = bob.seen_texts();
    for t in ["refuse me", "app code", "drop me"] {
        assert!(!seen.iter().any(|s| s == t), "bob got {t:?}: {seen:?}");
    }
    assert!(hook.calls("C2C.CallbackAfterSendMsg").iter().all(|c| ![
        "refuse me",
        "app code",
        "drop me"
    ]
    .contains(&text_in_body(c).as_str())));
    assert!(!alice
        .history_texts("C2Cbob")
        .await
        .iter()
        .any(|t| t == "refuse me" || t == "drop me"));

    // Modified: stored and delivered modified; the sender's ack carries it and the sender
    // gets MESSAGE_MODIFIED.
    let mut alice = alice;
    let sent = alice
        .ok(
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "modify me"}})],
        )
        .await;
    let acked = alice.ok("sendMessage", vec![sent.clone()]).await["message"].clone();
    assert_eq!(text_of(&acked), "modified!");
    assert_eq!(acked["isModified"], true);
    assert_eq!(acked["cloudCustomData"], "checked");
    assert_eq!(acked["ID"], sent["ID"]);
    let ev = alice
        .wait_for("onMessageModified", |d| d[0]["ID"] == sent["ID"])
        .await;
    assert_eq!(text_of(&ev[0]), "modified!");
    bob.wait_text("modified!").await;
    let got = bob
        .received_messages()
        .into_iter()
        .find(|m| m["ID"] == sent["ID"])
        .expect("bob got the modified message");
    assert_eq!(got["isModified"], true);
    assert_eq!(got["cloudCustomData"], "checked");
    assert!(!bob.seen_texts().iter().any(|t| t == "modify me"));
    let history = bob.history("C2Calice").await;
    let stored = history
        .iter()
        .find(|m| m["ID"] == sent["ID"])
        .expect("stored");
    assert_eq!(text_of(stored), "modified!");
    let after = hook
        .wait("C2C.CallbackAfterSendMsg", |b| b["MsgId"] == sent["ID"])
        .await;
    assert_eq!(
        text_in_body(&after),
        "modified!",
        "after-send sees the modified message"
    );

    // A webhook slower than timeout_ms with fail_open: delivered anyway.
    alice.send_text("bob", "C2C", "slow").await;
    bob.wait_text("slow").await;

    // Groups: the same verdicts with the group codes (10016) and group fields.
    let group = alice
        .ok(
            "createGroup",
            vec![json!({"name": "hooked", "type": "Public",
                        "memberList": [{"userID": "bob"}, {"userID": "carol"}]})],
        )
        .await;
    let gid = group["group"]["groupID"]
        .as_str()
        .expect("groupID")
        .to_owned();
    let created = hook
        .wait("Group.CallbackAfterCreateGroup", |b| b["GroupId"] == gid)
        .await;
    assert_eq!(created.body["Type"], "Public");
    assert_eq!(created.body["Owner_Account"], "alice");
    assert_eq!(created.body["Operator_Account"], "alice");
    assert_eq!(created.body["Name"], "hooked");
    let members: Vec<&str> = created.body["MemberList"]
        .as_array()
        .expect("MemberList")
        .iter()
        .filter_map(|m| m["Member_Account"].as_str())
        .collect();
    for u in ["alice", "bob", "carol"] {
        assert!(members.contains(&u), "{u} missing from {members:?}");
    }
    carol
        .wait_for("onGroupListUpdated", |g| {
            g.as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    let e = try_send(&alice, &gid, "GROUP", "refuse me")
        .await
        .expect_err("the webhook refuses");
    assert_eq!(e.code, 10016);
    alice.send_text(&gid, "GROUP", "group hello").await;
    carol.wait_text("group hello").await;
    assert!(!carol.seen_texts().iter().any(|t| t == "refuse me"));
    let gb = hook
        .wait("Group.CallbackBeforeSendMsg", |b| {
            b["MsgBody"][0]["MsgContent"]["Text"] == "group hello"
        })
        .await;
    assert_eq!(gb.body["GroupId"], gid.as_str());
    assert_eq!(gb.body["Type"], "Public");
    assert_eq!(gb.body["From_Account"], "alice");
    assert_eq!(gb.body["Operator_Account"], "alice");
    let ga = hook
        .wait("Group.CallbackAfterSendMsg", |b| {
            b["MsgBody"][0]["MsgContent"]["Text"] == "group hello"
        })
        .await;
    assert_eq!(ga.body["GroupId"], gid.as_str());
    assert!(ga.body["MsgSeq"].as_u64().is_some_and(|n| n > 0));
    // A modified group message reaches the members modified.
    alice.send_text(&gid, "GROUP", "modify me").await;
    carol.wait_text("modified!").await;
    bob.wait_text("modified!").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_webhook_refuses_when_fail_closed() {
    let hook = Hook::start().await;
    let (server, _cfg) = server(&hook, false, 300);
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let _carol = Client::login(&server, "carol").await;
    let errors_before = crate::ops::metric(&server, "pigeon_webhook_errors_total").await;
    let e = try_send(&alice, "bob", "C2C", "slow")
        .await
        .expect_err("no answer in time and fail_open = false");
    assert_eq!(e.code, 20006);
    marker(&alice, &mut bob, "bob", "C2C", "next").await;
    assert!(!bob.seen_texts().iter().any(|t| t == "slow"));
    assert!(crate::ops::metric(&server, "pigeon_webhook_errors_total").await > errors_before);
    assert!(crate::ops::metric(&server, "pigeon_webhook_seconds_count").await > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_friend_and_group_membership_callbacks() {
    let hook = Hook::start().await;
    let (server, _cfg) = server(&hook, true, 2000);
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let dave = Client::login(&server, "dave").await;

    let login = hook
        .wait("State.StateChange", |b| {
            b["Info"]["To_Account"] == "alice" && b["Info"]["Action"] == "Login"
        })
        .await;
    assert_eq!(login.body["Info"]["Reason"], "Register");
    assert_eq!(login.query["OptPlatform"], "Web");
    assert_eq!(login.query["ClientIP"], "127.0.0.1");
    assert!(login.body["EventTime"].is_u64());

    // Friends: a direct add (allowType AllowAny) both ways, then a delete.
    bob.ok(
        "updateMyProfile",
        vec![json!({"allowType": "AllowType_Type_AllowAny"})],
    )
    .await;
    alice
        .ok(
            "addFriend",
            vec![json!({"to": "bob", "source": "AddSource_Type_Web"})],
        )
        .await;
    let add = hook
        .wait("Sns.CallbackFriendAdd", |b| b["ClientCmd"] == "friend_add")
        .await;
    let pairs = add.body["PairList"].as_array().expect("PairList");
    assert!(pairs.iter().any(|p| p["From_Account"] == "alice"
        && p["To_Account"] == "bob"
        && p["Initiator_Account"] == "alice"));
    alice
        .ok(
            "deleteFriend",
            vec![json!({"userIDList": ["bob"], "type": "Delete_Type_Both"})],
        )
        .await;
    let del = hook
        .wait("Sns.CallbackFriendDelete", |b| {
            b["ClientCmd"] == "friend_delete"
        })
        .await;
    let pairs = del.body["PairList"].as_array().expect("PairList");
    assert!(pairs
        .iter()
        .any(|p| p["From_Account"] == "alice" && p["To_Account"] == "bob"));
    assert!(pairs
        .iter()
        .any(|p| p["From_Account"] == "bob" && p["To_Account"] == "alice"));

    // An accepted application (carol needs to confirm): friend_response, initiated by dave.
    dave.ok(
        "addFriend",
        vec![json!({"to": "carol", "source": "AddSource_Type_Web"})],
    )
    .await;
    carol
        .ok(
            "acceptFriendApplication",
            vec![json!({"userID": "dave", "type": "Response_Action_AgreeAndAdd"})],
        )
        .await;
    let resp = hook
        .wait("Sns.CallbackFriendAdd", |b| {
            b["ClientCmd"] == "friend_response"
        })
        .await;
    let pairs = resp.body["PairList"].as_array().expect("PairList");
    assert!(pairs.iter().any(|p| p["From_Account"] == "dave"
        && p["To_Account"] == "carol"
        && p["Initiator_Account"] == "dave"));
    assert!(pairs
        .iter()
        .any(|p| p["From_Account"] == "carol" && p["To_Account"] == "dave"));

    // Groups: join, quit, invite, kick.
    let public = alice
        .ok(
            "createGroup",
            vec![json!({"name": "open", "type": "Public"})],
        )
        .await["group"]["groupID"]
        .as_str()
        .expect("groupID")
        .to_owned();
    carol
        .ok("joinGroup", vec![json!({"groupID": public})])
        .await;
    let joined = hook
        .wait("Group.CallbackAfterNewMemberJoin", |b| {
            b["GroupId"] == public.as_str() && b["JoinType"] == "Apply"
        })
        .await;
    assert_eq!(
        joined.body["NewMemberList"],
        json!([{"Member_Account": "carol"}])
    );
    assert_eq!(joined.body["Operator_Account"], "carol");
    carol.ok("quitGroup", vec![json!(public)]).await;
    let quit = hook
        .wait("Group.CallbackAfterMemberExit", |b| {
            b["GroupId"] == public.as_str() && b["ExitType"] == "Quit"
        })
        .await;
    assert_eq!(
        quit.body["ExitMemberList"],
        json!([{"Member_Account": "carol"}])
    );
    alice
        .ok(
            "addGroupMember",
            vec![json!({"groupID": public, "userIDList": ["dave"]})],
        )
        .await;
    let invited = hook
        .wait("Group.CallbackAfterNewMemberJoin", |b| {
            b["GroupId"] == public.as_str() && b["JoinType"] == "Invited"
        })
        .await;
    assert_eq!(
        invited.body["NewMemberList"],
        json!([{"Member_Account": "dave"}])
    );
    assert_eq!(invited.body["Operator_Account"], "alice");
    alice
        .ok(
            "deleteGroupMember",
            vec![json!({"groupID": public, "userIDList": ["dave"]})],
        )
        .await;
    let kicked = hook
        .wait("Group.CallbackAfterMemberExit", |b| {
            b["GroupId"] == public.as_str() && b["ExitType"] == "Kicked"
        })
        .await;
    assert_eq!(
        kicked.body["ExitMemberList"],
        json!([{"Member_Account": "dave"}])
    );
    assert_eq!(kicked.body["Type"], "Public");

    // Logout (the SDK may close before its courtesy logout frame: either counts) and a raw
    // client's explicit logout.
    bob.ok("logout", vec![]).await;
    hook.wait("State.StateChange", |b| {
        b["Info"]["To_Account"] == "bob"
            && (b["Info"]["Action"] == "Logout" || b["Info"]["Action"] == "Disconnect")
    })
    .await;
    let mut raw = crate::ops::raw_login(&server, "frank").await;
    raw.send(Frame::text(
        json!({"id": 2, "op": "logout", "data": {}}).to_string(),
    ))
    .await
    .expect("send logout");
    let out = hook
        .wait("State.StateChange", |b| {
            b["Info"]["To_Account"] == "frank" && b["Info"]["Action"] == "Logout"
        })
        .await;
    assert_eq!(out.body["Info"]["Reason"], "Unregister");
    let proxy = Proxy::start(&server.addr).await;
    let mut erin = Client::with(
        &server,
        "erin",
        ClientOpts {
            url: proxy.url.clone(),
            data_dir: None,
            platform: "web".into(),
        },
    );
    erin.login_ready(&server).await;
    proxy.cut();
    let gone = hook
        .wait("State.StateChange", |b| {
            b["Info"]["To_Account"] == "erin" && b["Info"]["Action"] == "Disconnect"
        })
        .await;
    assert_eq!(gone.body["Info"]["Reason"], "LinkClose");
    drop((dave, erin));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_webhook_config_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pigeon.toml");
    for text in [
        "[webhooks]\nurl = \"https://example.invalid/cb\"\n",
        "[webhooks]\nurl = \"http://127.0.0.1:9/cb\"\ncallbacks = [\"C2C.NoSuchCallback\"]\n",
        "[webhooks]\nurl = \"http://127.0.0.1:9/cb\"\nsurprise = 1\n",
    ] {
        std::fs::write(&path, text).expect("write config");
        let out = std::process::Command::new(pigeon_tests::bin("pigeon-server"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .arg("--config")
            .arg(&path)
            .output()
            .expect("run pigeon-server");
        assert!(!out.status.success(), "{text} was accepted");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("listening"),
            "{text}"
        );
    }
}
