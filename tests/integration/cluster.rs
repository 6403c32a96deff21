//! Tests: several `pigeon-server` nodes sharing one store and one NATS server (`[bus] backend =
//! "nats"`). Chat, group fan-out and events cross nodes; a login on one node kicks a session
//! on another; presence (user status, online member counts) is the cluster's, and a node
//! killed with SIGKILL drops out of it. The store is the shared SQLite data dir, or one
//! PostgreSQL database when the suite runs on PostgreSQL.

use pigeon_tests::*;
use serde_json::{json, Value};
use std::time::Duration;

const STATUS_UPDATED: &str = "onUserStatusUpdated";

/// Whether a USER_STATUS_UPDATED payload reports `user` with `status`.
fn reports(d: &Value, user: &str, status: u64) -> bool {
    d.as_array().is_some_and(|l| {
        l.iter()
            .any(|s| s["userID"] == user && s["statusType"] == json!(status))
    })
}

/// A cluster of `n` nodes, started one after another.
fn cluster(n: usize) -> (ClusterShare, Vec<Server>) {
    let share = ClusterShare::new("");
    let nodes = (0..n).map(|_| share.node()).collect();
    (share, nodes)
}

async fn status_of(c: &Client, user: &str) -> u64 {
    let st = c
        .ok("getUserStatus", vec![json!({"userIDList": [user]})])
        .await;
    st["successUserList"][0]["statusType"]
        .as_u64()
        .expect("statusType")
}

/// Polls `f` until it gives `want` (presence is eventually consistent by design only for dead
/// nodes; everything else should already hold, so most calls return at once).
async fn until_eq<F, Fut>(what: &str, want: u64, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u64>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let got = f().await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: still {got}, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn online_count(c: &Client) -> u64 {
    c.ok("getGroupOnlineMemberCount", vec![json!("cl-count")])
        .await["memberCount"]
        .as_u64()
        .expect("memberCount")
}

fn is_name_tip(l: &Value, name: &str) -> bool {
    l.as_array()
        .into_iter()
        .flatten()
        .any(|m| m["type"] == "TIMGroupTipElem" && m["payload"]["newGroupProfile"]["name"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_groups_and_events_cross_nodes() {
    let (_share, nodes) = cluster(3);
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let mut alice = Client::login(a, "alice").await;
    let mut bob = Client::login(b, "bob").await;
    let mut carol = Client::login(c, "carol").await;

    // C2C both ways between nodes A and B.
    alice.send_text("bob", "C2C", "a->b over nats").await;
    bob.wait_text("a->b over nats").await;
    bob.send_text("alice", "C2C", "b->a over nats").await;
    alice.wait_text("b->a over nats").await;
    // In order: a burst from A arrives on B as sent.
    for i in 0..20 {
        alice.send_text("bob", "C2C", &format!("burst {i}")).await;
    }
    bob.wait_text("burst 19").await;
    let burst: Vec<String> = bob
        .received_texts()
        .await
        .into_iter()
        .filter(|t| t.starts_with("burst "))
        .collect();
    let want: Vec<String> = (0..20).map(|i| format!("burst {i}")).collect();
    assert_eq!(burst, want, "per-user order holds across nodes");

    // A group with members on A, B and C (carol on C owns it); a message from C reaches all.
    carol
        .ok(
            "createGroup",
            vec![
                json!({"name": "cluster", "type": "Public", "groupID": "cl-1",
                "memberList": [{"userID": "alice"}, {"userID": "bob"}]}),
            ],
        )
        .await;
    carol.send_text("cl-1", "GROUP", "from C to all").await;
    alice.wait_text("from C to all").await;
    bob.wait_text("from C to all").await;
    bob.send_text("cl-1", "GROUP", "from B to all").await;
    alice.wait_text("from B to all").await;
    carol.wait_text("from B to all").await;

    // A change made on node C raises the events on A and B.
    carol
        .ok(
            "updateGroupProfile",
            vec![json!({"groupID": "cl-1", "name": "renamed on C"})],
        )
        .await;
    for cl in [&mut alice, &mut bob] {
        cl.wait_for("onMessageReceived", |l| is_name_tip(l, "renamed on C"))
            .await;
    }
    // A profile change on C reaches the user's own instance on A (another platform, so the
    // login does not kick the one on C).
    let opts = ClientOpts {
        url: a.url(),
        data_dir: None,
        platform: "desktop".into(),
    };
    let mut carol_a = Client::with(a, "carol", opts);
    carol_a.login_ready(a).await;
    carol
        .ok("updateMyProfile", vec![json!({"nick": "Carol C"})])
        .await;
    carol_a
        .wait_for("onProfileUpdated", |d| {
            d.as_array()
                .into_iter()
                .flatten()
                .any(|p| p["userID"] == "carol" && p["nick"] == "Carol C")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_on_one_node_kicks_the_session_on_another() {
    let (_share, nodes) = cluster(2);
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut alice_a = Client::login(a, "alice").await;
    let bob = Client::login(b, "bob").await;
    // Same user, same platform, other node: the session on A is kicked.
    let mut alice_b = Client::login(b, "alice").await;
    eventually("alice on A to be kicked", || {
        alice_a.names().iter().any(|n| n == "kickedOut")
    })
    .await;
    let kicks = alice_a.events_named("kickedOut");
    assert_eq!(kicks, [json!({"type": "multipleAccount"})], "one kick");
    assert!(!alice_a.chat.is_ready());
    // The new session works, and is the only one: alice stays online.
    bob.send_text("alice", "C2C", "to the new one").await;
    alice_b.wait_text("to the new one").await;
    assert_eq!(status_of(&bob, "alice").await, 1);
    assert!(!alice_b.names().iter().any(|n| n == "kickedOut"));
    // Another platform does not kick.
    let opts = ClientOpts {
        url: a.url(),
        data_dir: None,
        platform: "desktop".into(),
    };
    let mut alice_desk = Client::with(a, "alice", opts);
    alice_desk.login_ready(a).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!alice_b.names().iter().any(|n| n == "kickedOut"));

    // REST kick through node A ends alice's sessions on both nodes.
    let r = a
        .rest("im_open_login_svc", "kick", json!({"UserID": "alice"}))
        .await;
    assert_eq!(r["ActionStatus"], "OK", "{r}");
    for cl in [&mut alice_b, &mut alice_desk] {
        eventually("REST kick everywhere", || {
            cl.names().iter().any(|n| n == "kickedOut")
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_online_counts_are_the_clusters() {
    let (_share, nodes) = cluster(3);
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let mut bob = Client::login(b, "bob").await;
    bob.ok(
        "subscribeUserStatus",
        vec![json!({"userIDList": ["alice"]})],
    )
    .await;
    assert_eq!(status_of(&bob, "alice").await, 3, "never logged in");

    // alice on A: bob on B hears she is online and sees it.
    let alice = Client::login(a, "alice").await;
    bob.wait_for(STATUS_UPDATED, |d| reports(d, "alice", 1))
        .await;
    assert_eq!(status_of(&bob, "alice").await, 1);

    // A second session of alice on C: no second online event; ending it keeps her online.
    bob.clear();
    let opts = ClientOpts {
        url: c.url(),
        data_dir: None,
        platform: "desktop".into(),
    };
    let mut alice_c = Client::with(c, "alice", opts);
    alice_c.login_ready(c).await;
    alice_c.chat.logout().await.expect("logout on C");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !bob.events_named(STATUS_UPDATED)
            .iter()
            .any(|d| reports(d, "alice", 2)),
        "still online on A"
    );
    assert_eq!(status_of(&bob, "alice").await, 1);

    // Online member counts: members on A, B and C.
    let carol = Client::login(c, "carol").await;
    alice
        .ok(
            "createGroup",
            vec![
                json!({"name": "count", "type": "Public", "groupID": "cl-count",
                "memberList": [{"userID": "bob"}, {"userID": "carol"}]}),
            ],
        )
        .await;
    assert_eq!(online_count(&alice).await, 3);
    assert_eq!(online_count(&bob).await, 3);
    carol.chat.logout().await.expect("carol logout");
    until_eq("online members after carol left", 2, WAIT, || {
        online_count(&bob)
    })
    .await;

    // alice logs out on A: bob on B hears she is offline.
    alice.chat.logout().await.expect("alice logout");
    bob.wait_for(STATUS_UPDATED, |d| reports(d, "alice", 2))
        .await;
    assert_eq!(status_of(&bob, "alice").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_drops_out_of_presence() {
    let (_share, mut nodes) = cluster(2);
    let mut bob = Client::login(&nodes[1], "bob").await;
    bob.ok(
        "subscribeUserStatus",
        vec![json!({"userIDList": ["alice"]})],
    )
    .await;
    let _alice = Client::login(&nodes[0], "alice").await;
    bob.wait_for(STATUS_UPDATED, |d| reports(d, "alice", 1))
        .await;
    assert_eq!(status_of(&bob, "alice").await, 1);

    // SIGKILL: node A cleans up nothing. Its heartbeat stops, so within ~15 s (plus a sweep
    // period) alice counts as offline and bob is told.
    nodes[0].kill9();
    let started = std::time::Instant::now();
    until_eq(
        "alice offline after node A died",
        2,
        Duration::from_secs(40),
        || status_of(&bob, "alice"),
    )
    .await;
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "not before the heartbeat window: {:?}",
        started.elapsed()
    );
    bob.wait_for(STATUS_UPDATED, |d| reports(d, "alice", 2))
        .await;
}
