//! Signaling: invitations for calls, carried as messages, with server-run timeouts.

use pigeon_tests::*;
use serde_json::json;

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
    assert_eq!(
        alice.ok("getSignalingInfo", vec![plain]).await,
        serde_json::Value::Null
    );
}
