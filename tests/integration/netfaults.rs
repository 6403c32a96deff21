//! Tests: network faults. A fault-injecting proxy sits between one SDK client and the server:
//! both directions stalled (packets dropped), one direction stalled (half-open), added
//! latency (small, then past the heartbeat timeout), a reset (RST), and a server that goes
//! silent after connecting. For each, the client notices within its heartbeat window (or
//! at once for a reset), reports netStateChange, reconnects when the fault clears and resyncs:
//! what others sent during the fault arrives exactly once, in order, and what it sent itself
//! during the fault is stored and delivered exactly once.

use pigeon_sdk::Heartbeat;
use pigeon_tests::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The victim's heartbeat: fast enough for a test, loose enough for a busy machine.
const PING: Duration = Duration::from_millis(300);
const SILENCE: Duration = Duration::from_millis(1500);

/// How many rounds of each fault one test injects.
const ROUNDS: usize = 2;

#[derive(Debug, Clone, Copy)]
enum Fault {
    DropBoth,
    HalfOpenServerToClient,
    HalfOpenClientToServer,
    SmallDelay,
    DelayPastTimeout,
    Reset,
    SilentServer,
}

impl Fault {
    fn inject(self, proxy: &Proxy) {
        match self {
            Fault::DropBoth => proxy.drop_traffic(true, true),
            Fault::HalfOpenServerToClient => proxy.drop_traffic(false, true),
            Fault::HalfOpenClientToServer => proxy.drop_traffic(true, false),
            Fault::SmallDelay => proxy.delay(Duration::from_millis(150)),
            Fault::DelayPastTimeout => proxy.delay(SILENCE * 3),
            Fault::Reset => proxy.reset(),
            Fault::SilentServer => proxy.blackhole(),
        }
    }

    /// Whether the client must lose the connection (a small delay is ridden out).
    fn breaks_connection(self) -> bool {
        !matches!(self, Fault::SmallDelay)
    }
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|m| m["ID"].as_str().expect("ID").to_owned())
        .collect()
}

fn assert_once_in_order(who: &str, got: &[String], expected: &[String]) {
    let mut seen = HashSet::new();
    for id in got {
        assert!(seen.insert(id), "{who}: {id} more than once in {got:?}");
    }
    let filtered: Vec<&String> = got.iter().filter(|i| expected.contains(i)).collect();
    let expected: Vec<&String> = expected.iter().collect();
    assert_eq!(filtered, expected, "{who}: each exactly once, in order");
}

fn assert_once(what: &str, who: &str, got: &[String], expected: &[String]) {
    for id in expected {
        let n = got.iter().filter(|g| *g == id).count();
        assert_eq!(n, 1, "{what} ({who}): {id} {n} times in {got:?}");
    }
}

fn text_message(c: &Client, to: &str, conv_type: &str, text: &str) -> Value {
    c.chat
        .create_text_message(
            json!({"to": to, "conversationType": conv_type, "payload": {"text": text}}),
        )
        .map(|m| serde_json::to_value(m).expect("message json"))
        .expect("createTextMessage")
}

/// Sends `m` through `chat` until the server acks it, resending the same message (same ID)
/// after a failure, as an app does with resendMessage.
async fn send_until_acked(chat: pigeon_sdk::Chat, m: Value) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    loop {
        match chat.invoke("sendMessage", vec![m.clone()]).await {
            Ok(r) => return r["message"].clone(),
            Err(e) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "send never acked: {e}"
                );
                // Poll again shortly: the SDK is reconnecting.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn run(fault: Fault) {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let mut alice = Client::login(&server, "alice").await;
    let mut carol = Client::login(&server, "carol").await;
    let mut bob = Client::with(
        &server,
        "bob",
        ClientOpts {
            url: proxy.url.clone(),
            data_dir: None,
            platform: "web".into(),
        },
    );
    bob.chat.set_heartbeat(Heartbeat::new(PING, SILENCE));
    bob.login_ready(&server).await;
    let g = alice
        .ok(
            "createGroup",
            vec![json!({"name": "faults", "type": "Private", "groupID": "nf",
                "memberList": [{"userID": "bob"}, {"userID": "carol"}]})],
        )
        .await;
    assert_eq!(g["group"]["memberCount"], 3);
    bob.wait_for("onGroupListUpdated", |l| {
        l.as_array()
            .is_some_and(|a| a.iter().any(|g| g["groupID"] == "nf"))
    })
    .await;

    // The group's creation tips are there before any fault.
    let tips = ids(&alice.history("GROUPnf").await);
    let mut from_others: Vec<String> = Vec::new();
    let mut bob_sent: Vec<String> = Vec::new();
    let mut bob_c2c_to_alice: Vec<String> = Vec::new();
    let (mut c2c, mut group) = (HashSet::new(), HashSet::new());
    let mut detections = Vec::new();
    for round in 0..ROUNDS {
        let base = bob.net_states().len();
        let started = Instant::now();
        fault.inject(&proxy);
        // Bob sends while the fault is on: his sends wait, fail over to the next connection
        // and are resent there with the same IDs.
        let mut pending = Vec::new();
        for i in 0..3 {
            let (to, kind) = if i == 1 {
                ("nf", "GROUP")
            } else {
                ("alice", "C2C")
            };
            let m = text_message(&bob, to, kind, &format!("{fault:?}-{round}-bob-{i}"));
            let id = m["ID"].as_str().expect("ID").to_owned();
            bob_sent.push(id.clone());
            if kind == "C2C" {
                c2c.insert(id.clone());
                bob_c2c_to_alice.push(id);
            } else {
                group.insert(id);
            }
            pending.push(tokio::spawn(send_until_acked(bob.chat.clone(), m)));
        }
        // Others send to bob meanwhile.
        for i in 0..3 {
            let a = alice
                .send_text("bob", "C2C", &format!("{fault:?}-{round}-alice-{i}"))
                .await;
            let a = a["ID"].as_str().expect("ID").to_owned();
            c2c.insert(a.clone());
            from_others.push(a);
            let c = carol
                .send_text("nf", "GROUP", &format!("{fault:?}-{round}-carol-{i}"))
                .await;
            let c = c["ID"].as_str().expect("ID").to_owned();
            group.insert(c.clone());
            from_others.push(c);
        }
        if fault.breaks_connection() {
            eventually("bob to notice the fault", || {
                bob.net_states()[base..].iter().any(|s| s == "connecting")
            })
            .await;
            detections.push(started.elapsed());
        }
        proxy.heal();
        if fault.breaks_connection() {
            eventually("bob to reconnect after the fault", || {
                let states = bob.net_states();
                let lost = states[base..].iter().position(|s| s == "connecting");
                lost.is_some_and(|i| states[base + i..].iter().any(|s| s == "connected"))
            })
            .await;
        }
        for p in pending {
            let m = p.await.expect("send task");
            assert_eq!(m["status"], "success", "bob's send is acked: {m}");
        }
    }

    // Markers: anything sent before them arrives before them.
    let marker = alice.send_text("bob", "C2C", "marker-a").await;
    let marker_g = carol.send_text("nf", "GROUP", "marker-c").await;
    bob.wait_text("marker-a").await;
    bob.wait_text("marker-c").await;
    let bob_marker = bob.send_text("alice", "C2C", "marker-b").await;
    alice.wait_text("marker-b").await;
    let bob_marker_g = bob.send_text("nf", "GROUP", "marker-bg").await;
    carol.wait_text("marker-bg").await;

    // Bob received what others sent during the faults exactly once, in order.
    let got = ids(&bob.received_messages());
    assert_once_in_order("bob's onMessageReceived", &got, &from_others);
    // His own sends are never reported back to him.
    assert!(
        got.iter().all(|i| !bob_sent.contains(i)),
        "bob gets no event for his own sends: {got:?}"
    );
    // Alice and carol got bob's sends during the faults exactly once.
    // (Bob's sends run concurrently, so their order is the server's; history checks it.)
    let bob_group: Vec<String> = bob_sent
        .iter()
        .filter(|i| !bob_c2c_to_alice.contains(i))
        .cloned()
        .collect();
    for (who, c, expected) in [
        ("alice", &mut alice, &bob_sent),
        ("carol", &mut carol, &bob_group),
    ] {
        let got = ids(&c.received_messages());
        assert_once("onMessageReceived", who, &got, expected);
    }
    // Histories hold everything once, with sequences 1..=n, for every party.
    let markers: HashSet<String> = [&marker, &marker_g, &bob_marker, &bob_marker_g]
        .iter()
        .map(|m| m["ID"].as_str().expect("ID").to_owned())
        .chain(tips)
        .collect();
    for (who, c, conv, expected) in [
        ("bob", &bob, "C2Calice", &c2c),
        ("alice", &alice, "C2Cbob", &c2c),
        ("bob", &bob, "GROUPnf", &group),
        ("carol", &carol, "GROUPnf", &group),
    ] {
        let h = c.history(conv).await;
        let seqs: Vec<u64> = h
            .iter()
            .map(|m| m["sequence"].as_u64().expect("sequence"))
            .collect();
        let expected_seqs: Vec<u64> = (1..=h.len() as u64).collect();
        assert_eq!(seqs, expected_seqs, "{who} {conv}: sequences 1..=n");
        let hid: Vec<String> = ids(&h)
            .into_iter()
            .filter(|i| !markers.contains(i))
            .collect();
        let set: HashSet<String> = hid.iter().cloned().collect();
        assert_eq!(
            set.len(),
            hid.len(),
            "{who} {conv}: no duplicate in history"
        );
        assert_eq!(
            &set, expected,
            "{who} {conv}: every message of the faults, once"
        );
    }
    eprintln!(
        "netfaults {fault:?}: {ROUNDS} faults injected; detection times {detections:?} \
         (heartbeat {PING:?}/{SILENCE:?}); bob sent {} and received {} messages during faults, \
         none lost or duplicated",
        bob_sent.len(),
        from_others.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_packets_both_ways() {
    run(Fault::DropBoth).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_server_to_client() {
    run(Fault::HalfOpenServerToClient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_client_to_server() {
    run(Fault::HalfOpenClientToServer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_delay_is_ridden_out() {
    run(Fault::SmallDelay).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_past_the_heartbeat_timeout() {
    run(Fault::DelayPastTimeout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_reset() {
    run(Fault::Reset).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stops_answering_heartbeats() {
    run(Fault::SilentServer).await;
}
