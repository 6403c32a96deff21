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

/// One platform per node, so one user's sessions on several nodes never kick each other.
const PLATFORMS: [&str; 3] = ["web", "desktop", "android"];

/// A client of `user` at `url` (one address or a comma-separated list) on `platform`.
fn client_at(node: &Server, user: &str, url: String, platform: &str) -> Client {
    let opts = ClientOpts {
        url,
        data_dir: None,
        platform: platform.into(),
    };
    Client::with(node, user, opts)
}

/// Logs `user` in on `node` with `platform`.
async fn login_on(node: &Server, user: &str, platform: &str) -> Client {
    let mut c = client_at(node, user, node.url(), platform);
    c.login_ready(node).await;
    c
}

/// Waits until `f` holds, polling every 50 ms, up to `timeout`.
async fn within(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends `texts` from `c` with up to `in_flight` sends outstanding; returns each acked text
/// with the sequence the ack gave it.
async fn send_many(
    c: &Client,
    to: &str,
    conv_type: &str,
    texts: Vec<String>,
    in_flight: usize,
) -> Vec<(String, u64)> {
    use futures_util::StreamExt;
    futures_util::stream::iter(texts)
        .map(|t| async move {
            let m = c.send_text(to, conv_type, &t).await;
            let seq = m["sequence"]
                .as_u64()
                .expect("an acked message has a sequence");
            (t, seq)
        })
        .buffer_unordered(in_flight)
        .collect()
        .await
}

/// The messages of `conv_id` delivered to `c` by onMessageReceived, in delivery order.
fn delivered_in(c: &mut Client, conv_id: &str) -> Vec<Value> {
    c.received_messages()
        .into_iter()
        .filter(|m| m["conversationID"] == conv_id)
        .collect()
}

/// Checks what `c` was delivered in `conv_id`: exactly the texts of `want` (once each), in
/// strictly increasing sequence order.
fn check_delivered(
    c: &mut Client,
    label: &str,
    conv_id: &str,
    prefix: &str,
    want: &std::collections::BTreeSet<String>,
) {
    let got = delivered_in(c, conv_id);
    let seqs: Vec<u64> = got
        .iter()
        .map(|m| m["sequence"].as_u64().expect("sequence"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "{label}: delivered out of sequence order or twice: {seqs:?}"
    );
    let texts: Vec<String> = got
        .iter()
        .map(text_of)
        .filter(|t| t.starts_with(prefix))
        .collect();
    let set: std::collections::BTreeSet<String> = texts.iter().cloned().collect();
    assert_eq!(set.len(), texts.len(), "{label}: a message delivered twice");
    assert_eq!(&set, want, "{label}: delivered set");
}

/// Checks a conversation's whole server history: sequences exactly 1..=N, every acked message
/// stored once with the sequence its ack gave, and nothing else with `prefix`.
fn check_history(label: &str, history: &[Value], prefix: &str, acked: &[(String, u64)]) {
    let seqs: Vec<u64> = history
        .iter()
        .map(|m| m["sequence"].as_u64().expect("sequence"))
        .collect();
    let want: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(
        seqs, want,
        "{label}: sequences are 1..=N, gap-free, in order"
    );
    let stored: Vec<(String, u64)> = history
        .iter()
        .filter(|m| text_of(m).starts_with(prefix))
        .map(|m| (text_of(m), m["sequence"].as_u64().unwrap_or(0)))
        .collect();
    let mut stored_sorted = stored.clone();
    stored_sorted.sort();
    let mut acked_sorted = acked.to_vec();
    acked_sorted.sort();
    assert_eq!(
        stored_sorted, acked_sorted,
        "{label}: every acked message stored once, at its acked sequence"
    );
}

/// Issue 8: sequences stay gap-free and ordered per conversation when several nodes assign
/// them at once. 3 nodes; a group with members on every node and one C2C conversation with
/// both sides on every node; 3 senders per node into each, 3 sends in flight each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_from_several_nodes_keep_sequences_gap_free() {
    // The per-user send rate limit is not under test here.
    let share = ClusterShare::new("[limits]\nsends_per_sec = 0\n");
    let nodes: Vec<Server> = (0..3).map(|_| share.node()).collect();
    const PER_SENDER: usize = 30;
    const IN_FLIGHT: usize = 3;
    let group = "cl-seq";
    let group_conv = format!("GROUP{group}");

    // Group: senders g<node><k> and one observer o<node> per node.
    let mut senders = Vec::new();
    let mut observers = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        for k in 0..3 {
            senders.push(Client::login(node, &format!("g{i}{k}")).await);
        }
        observers.push(Client::login(node, &format!("o{i}")).await);
    }
    let members: Vec<Value> = senders
        .iter()
        .chain(observers.iter())
        .skip(1)
        .map(|c| json!({"userID": c.user}))
        .collect();
    senders[0]
        .ok(
            "createGroup",
            vec![json!({"name": "seq", "type": "Public", "groupID": group, "memberList": members})],
        )
        .await;
    // C2C: alice and bob each on every node (a platform per node).
    let mut alices = Vec::new();
    let mut bobs = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        alices.push(login_on(node, "alice", PLATFORMS[i]).await);
        bobs.push(login_on(node, "bob", PLATFORMS[i]).await);
    }

    // Everything at once: 9 group senders, and on each node alice and bob (2 streams for
    // alice, 1 for bob, 45 messages per session) into the one C2C conversation.
    let group_sends = senders.iter().map(|c| {
        let texts = (0..PER_SENDER)
            .map(|n| format!("g {} {n}", c.user))
            .collect();
        send_many(c, group, "GROUP", texts, IN_FLIGHT)
    });
    let c2c_sends = alices.iter().enumerate().flat_map(|(i, a)| {
        let b = &bobs[i];
        let a_texts = (0..45).map(|n| format!("c alice{i} {n}")).collect();
        let b_texts = (0..45).map(|n| format!("c bob{i} {n}")).collect();
        [
            send_many(a, "bob", "C2C", a_texts, IN_FLIGHT),
            send_many(b, "alice", "C2C", b_texts, IN_FLIGHT),
        ]
    });
    let (group_acks, c2c_acks) = tokio::join!(
        futures_util::future::join_all(group_sends),
        futures_util::future::join_all(c2c_sends)
    );

    // The acks: distinct sequences per conversation.
    for (label, acks) in [("group", &group_acks), ("C2C", &c2c_acks)] {
        let all: Vec<u64> = acks.iter().flatten().map(|(_, s)| *s).collect();
        let distinct: std::collections::BTreeSet<u64> = all.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            all.len(),
            "{label}: two acks with one sequence"
        );
        assert_eq!(all.len(), 270, "{label}: every send acked");
    }

    // Every member is delivered every message it did not send, once, in sequence order.
    let group_all: std::collections::BTreeSet<String> = group_acks
        .iter()
        .flatten()
        .map(|(t, _)| t.clone())
        .collect();
    let own = |acks: &[(String, u64)]| -> std::collections::BTreeSet<String> {
        acks.iter().map(|(t, _)| t.clone()).collect()
    };
    let patience = Duration::from_secs(90);
    for (c, acks) in senders
        .iter_mut()
        .zip(group_acks.iter().map(Vec::as_slice))
        .chain(observers.iter_mut().zip(std::iter::repeat(&[][..])))
    {
        let want: std::collections::BTreeSet<String> =
            group_all.difference(&own(acks)).cloned().collect();
        let n = want.len();
        let what = format!("{} to be delivered {n} group messages", c.user);
        within(&what, patience, || {
            delivered_in(c, &group_conv)
                .iter()
                .filter(|m| text_of(m).starts_with("g "))
                .count()
                >= n
        })
        .await;
        let label = format!("group at {}", c.user);
        check_delivered(c, &label, &group_conv, "g ", &want);
    }
    // C2C: each session is delivered the other side's messages and its own user's from its
    // other sessions (multi-device sync), in sequence order.
    let c2c_all: std::collections::BTreeSet<String> =
        c2c_acks.iter().flatten().map(|(t, _)| t.clone()).collect();
    let c2c_sessions = alices
        .iter_mut()
        .map(|c| (c, "C2Cbob"))
        .zip(bobs.iter_mut().map(|c| (c, "C2Calice")))
        .enumerate()
        .flat_map(|(i, (a, b))| [(a, i * 2), (b, i * 2 + 1)]);
    for ((c, conv), ack_ix) in c2c_sessions {
        let want: std::collections::BTreeSet<String> = c2c_all
            .difference(&own(&c2c_acks[ack_ix]))
            .cloned()
            .collect();
        let n = want.len();
        let what = format!("{} to be delivered {n} C2C messages", c.user);
        within(&what, patience, || {
            delivered_in(c, conv)
                .iter()
                .filter(|m| text_of(m).starts_with("c "))
                .count()
                >= n
        })
        .await;
        let label = format!("C2C at {} ({ack_ix})", c.user);
        check_delivered(c, &label, conv, "c ", &want);
    }

    // The stored history, read by new devices on every node (empty caches: from the server).
    let group_flat: Vec<(String, u64)> = group_acks.into_iter().flatten().collect();
    let c2c_flat: Vec<(String, u64)> = c2c_acks.into_iter().flatten().collect();
    for (i, node) in nodes.iter().enumerate() {
        let o = login_on(node, &format!("o{i}"), "mac").await;
        let h = o.history(&group_conv).await;
        check_history(
            &format!("group history via node {i}"),
            &h,
            "g ",
            &group_flat,
        );
        let (user, conv) = [("alice", "C2Cbob"), ("bob", "C2Calice")][i % 2];
        let c = login_on(node, user, "mac").await;
        let h = c.history(conv).await;
        check_history(
            &format!("C2C history of {user} via node {i}"),
            &h,
            "c ",
            &c2c_flat,
        );
    }
}

/// Issue 8: killing one node. alice's and bob's SDKs know all three addresses and start on
/// different nodes; bob sends all along; alice's node is SIGKILLed; her SDK moves to another
/// node by itself, resyncs, and sees every message exactly once and in order; what she sends
/// afterwards reaches bob. carol, only on the killed node, ages out of presence; alice, now
/// elsewhere, stays online.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_clients_fail_over_and_resync_without_loss() {
    let (_share, mut nodes) = cluster(3);
    let urls = |order: [usize; 3]| -> String {
        order
            .iter()
            .map(|&i| nodes[i].url())
            .collect::<Vec<_>>()
            .join(",")
    };
    let (alice_urls, bob_urls) = (urls([0, 1, 2]), urls([1, 2, 0]));
    let mut alice = client_at(&nodes[0], "alice", alice_urls, "web");
    alice.login_ready(&nodes[0]).await;
    let mut bob = client_at(&nodes[1], "bob", bob_urls, "web");
    bob.login_ready(&nodes[1]).await;
    assert_eq!(alice.chat.current_server_url(), nodes[0].url());
    assert_eq!(bob.chat.current_server_url(), nodes[1].url());
    let _carol = Client::login(&nodes[0], "carol").await;
    bob.ok(
        "subscribeUserStatus",
        vec![json!({"userIDList": ["alice", "carol"]})],
    )
    .await;
    assert_eq!(status_of(&bob, "carol").await, 1);

    // bob sends all along, one message every 30 ms, from its own task.
    const TOTAL: usize = 150;
    let chat = bob.chat.clone();
    let sender = tokio::spawn(async move {
        for i in 0..TOTAL {
            let m = chat
                .invoke(
                    "createTextMessage",
                    vec![json!({"to": "alice", "conversationType": "C2C",
                        "payload": {"text": format!("k {i}")}})],
                )
                .await
                .expect("createTextMessage");
            chat.invoke("sendMessage", vec![m])
                .await
                .unwrap_or_else(|e| panic!("bob's send {i}: {e}"));
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    });
    alice.wait_text("k 30").await;
    let before = alice.net_states().len();
    nodes[0].kill9();
    // alice's SDK notices, reconnects to another node on its own and is live there.
    within(
        "alice to reconnect after her node died",
        Duration::from_secs(30),
        || {
            let states = alice.net_states();
            states[before..].iter().any(|s| s == "connecting")
                && states.last().map(String::as_str) == Some("connected")
        },
    )
    .await;
    let now = alice.chat.current_server_url();
    assert!(
        now == nodes[1].url() || now == nodes[2].url(),
        "alice on a live node: {now}"
    );
    sender.await.expect("bob's sender");
    let last = format!("k {}", TOTAL - 1);
    within(
        "alice to be delivered all of bob's messages",
        Duration::from_secs(30),
        || alice.seen_texts().contains(&last),
    )
    .await;
    let got: Vec<String> = alice
        .seen_texts()
        .into_iter()
        .filter(|t| t.starts_with("k "))
        .collect();
    let want: Vec<String> = (0..TOTAL).map(|i| format!("k {i}")).collect();
    assert_eq!(
        got, want,
        "every message once, in order, across the failover"
    );
    let seqs: Vec<u64> = alice
        .received_messages()
        .iter()
        .map(|m| m["sequence"].as_u64().expect("sequence"))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    assert_eq!(
        alice.history_texts("C2Cbob").await,
        want,
        "alice's history after the failover"
    );
    assert_eq!(alice.events_named("kickedOut"), Vec::<Value>::new());

    // What she sends now reaches bob.
    for i in 0..10 {
        alice.send_text("bob", "C2C", &format!("back {i}")).await;
    }
    bob.wait_text("back 9").await;
    let back: Vec<String> = bob
        .seen_texts()
        .into_iter()
        .filter(|t| t.starts_with("back "))
        .collect();
    let want: Vec<String> = (0..10).map(|i| format!("back {i}")).collect();
    assert_eq!(back, want);

    // The dead node's sessions age out: carol (only there) goes offline, alice does not.
    until_eq(
        "carol offline after her node died",
        2,
        Duration::from_secs(40),
        || status_of(&bob, "carol"),
    )
    .await;
    bob.wait_for(STATUS_UPDATED, |d| reports(d, "carol", 2))
        .await;
    assert_eq!(
        status_of(&bob, "alice").await,
        1,
        "alice is on another node"
    );
    assert!(
        !bob.events_named(STATUS_UPDATED)
            .iter()
            .any(|d| reports(d, "alice", 2)),
        "alice was never reported offline"
    );
}

/// The ts_invitation_timeout events `c` got for `invite`.
fn timeouts_of(c: &mut Client, invite: &str) -> usize {
    c.events_named("ts_invitation_timeout")
        .iter()
        .filter(|d| d["inviteID"] == invite)
        .count()
}

/// The signaling infos in `c`'s history of `conv_id` for `invite` with `action_type`.
async fn stored_actions(c: &Client, conv_id: &str, invite: &str, action_type: u64) -> usize {
    let mut n = 0;
    for m in c.history(conv_id).await {
        let info = c.ok("getSignalingInfo", vec![m]).await;
        if info["inviteID"] == invite && info["actionType"] == json!(action_type) {
            n += 1;
        }
    }
    n
}

/// Issue 8: every node runs the invitation sweeper, yet a timeout fires once: one timeout
/// event per session and one timeout message per invitation, for C2C and group invitations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signaling_timeout_fires_once_across_nodes() {
    let (_share, nodes) = cluster(3);
    let mut alice = Client::login(&nodes[0], "alice").await;
    let mut alice_2 = login_on(&nodes[2], "alice", "desktop").await;
    let mut bob = Client::login(&nodes[1], "bob").await;
    let mut carol = Client::login(&nodes[2], "carol").await;
    alice
        .ok(
            "createGroup",
            vec![
                json!({"name": "calls", "type": "Public", "groupID": "cl-calls",
                "memberList": [{"userID": "bob"}, {"userID": "carol"}]}),
            ],
        )
        .await;
    let mut c2c = Vec::new();
    for _ in 0..4 {
        let r = alice
            .ok(
                "invite",
                vec![json!({"userID": "bob", "data": "ring", "timeout": 2})],
            )
            .await;
        c2c.push(r["inviteID"].as_str().expect("inviteID").to_owned());
    }
    let r = alice
        .ok(
            "inviteInGroup",
            vec![json!({"groupID": "cl-calls", "inviteeList": ["bob", "carol"], "timeout": 2})],
        )
        .await;
    let group = r["inviteID"].as_str().expect("inviteID").to_owned();

    // Nobody answers. Everyone concerned hears of each timeout...
    for id in &c2c {
        for c in [&mut alice, &mut alice_2, &mut bob] {
            c.wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(id))
                .await;
        }
    }
    for c in [&mut alice, &mut alice_2, &mut bob, &mut carol] {
        c.wait_for("ts_invitation_timeout", |d| d["inviteID"] == json!(group))
            .await;
    }
    // ... and after every node's sweeper (every 200 ms) has run many more times, still once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    // wait_for consumed the one it found; none may be left.
    for c in [&mut alice, &mut alice_2, &mut bob, &mut carol] {
        for id in c2c.iter().chain([&group]) {
            assert_eq!(
                timeouts_of(c, id),
                0,
                "{}: a second timeout for {id}",
                c.user
            );
        }
    }
    for id in &c2c {
        assert_eq!(stored_actions(&alice, "C2Cbob", id, 5).await, 1, "{id}");
        assert_eq!(stored_actions(&bob, "C2Calice", id, 5).await, 1, "{id}");
    }
    for c in [&alice, &bob, &carol] {
        assert_eq!(
            stored_actions(c, "GROUPcl-calls", &group, 5).await,
            1,
            "{}: one group timeout message",
            c.user
        );
    }
}
