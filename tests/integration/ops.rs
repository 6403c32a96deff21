//! Operations: `/metrics` counters moving with logins and messages, the dev sign-in endpoint,
//! and graceful shutdown (SIGTERM: close 1012, exit 0, clients reconnect to the next server on
//! the same data dir and nothing acked is lost).

use futures_util::{SinkExt, StreamExt};
use pigeon_tests::{Client, Server};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as Frame;

/// A raw HTTP/1.1 GET (Connection: close): status, lowercase headers, body.
pub(crate) async fn get(addr: &str, path: &str) -> (u16, Vec<(String, String)>, String) {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the server");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("send request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    // Small bodies only: chunked framing, when used, is stripped by taking the JSON or text
    // between the first chunk size line and the terminating zero chunk.
    let body = if head.to_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, headers, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The value of the sample `name` (exact name, no labels) on `/metrics`; 0 when absent.
pub(crate) async fn metric(server: &Server, name: &str) -> f64 {
    let (status, _, body) = get(&server.addr, "/metrics").await;
    assert_eq!(status, 200, "GET /metrics");
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map(|v| v.trim().parse().expect("a number"))
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_with_logins_and_messages() {
    let server = Server::start();
    let (status, headers, body) = get(&server.addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").is_some_and(|c| c.contains("openmetrics-text")));
    for name in [
        "pigeon_connections",
        "pigeon_logins_total",
        "pigeon_login_failures_total",
        "pigeon_messages_in_total",
        "pigeon_messages_out_total",
        "pigeon_delivery_seconds_bucket",
        "pigeon_store_seconds_count",
        "pigeon_webhook_seconds_count",
        "pigeon_webhook_errors_total",
    ] {
        assert!(body.contains(name), "{name} missing from /metrics:\n{body}");
    }
    assert!(header(&headers, "access-control-allow-origin").is_none());
    let logins = metric(&server, "pigeon_logins_total").await;
    let failures = metric(&server, "pigeon_login_failures_total").await;
    let msgs_in = metric(&server, "pigeon_messages_in_total").await;
    let msgs_out = metric(&server, "pigeon_messages_out_total").await;
    let delivered = metric(&server, "pigeon_delivery_seconds_count").await;
    let stored = metric(&server, "pigeon_store_seconds_count").await;

    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let intruder = Client::new(&server, "mallory");
    intruder
        .chat
        .login("mallory", &server.sig("alice"))
        .await
        .expect_err("a sig for someone else");
    assert!(metric(&server, "pigeon_connections").await >= 3.0);
    alice.send_text("bob", "C2C", "one").await;
    bob.send_text("carol", "C2C", "two").await;
    carol.send_text("alice", "C2C", "three").await;
    bob.wait_text("one").await;
    carol.wait_text("two").await;

    assert!(metric(&server, "pigeon_logins_total").await >= logins + 3.0);
    assert!(metric(&server, "pigeon_login_failures_total").await > failures);
    assert!(metric(&server, "pigeon_messages_in_total").await >= msgs_in + 3.0);
    // Each message goes to its receiver and to the sender's own other sessions (none here).
    assert!(metric(&server, "pigeon_messages_out_total").await >= msgs_out + 3.0);
    assert!(metric(&server, "pigeon_delivery_seconds_count").await >= delivered + 3.0);
    assert!(metric(&server, "pigeon_store_seconds_count").await > stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_sign_in_hands_out_working_sigs_only_when_enabled() {
    let off = Server::start();
    let (status, _, _) = get(&off.addr, "/dev/usersig?userID=alice").await;
    assert_eq!(status, 404, "dev sign-in is off by default");

    let server = Server::start_with(&["--dev-sign-in"]);
    let (status, headers, body) = get(&server.addr, "/dev/usersig?userID=alice").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    let v: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["SDKAppID"], json!(server.app_id));
    assert_eq!(v["userID"], "alice");
    let sig = v["userSig"].as_str().expect("userSig");
    let mut alice = Client::new(&server, "alice");
    alice
        .chat
        .login("alice", sig)
        .await
        .expect("the dev sig logs in");
    alice.wait_event("sdkStateReady").await;
    let bob = Client::login(&server, "bob").await;
    bob.send_text("alice", "C2C", "hi dev").await;
    alice.wait_text("hi dev").await;

    for bad in [
        "/dev/usersig",
        "/dev/usersig?userID=",
        "/dev/usersig?userID=a%01b",
    ] {
        let (status, _, body) = get(&server.addr, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let long = format!("/dev/usersig?userID={}", "x".repeat(129));
    assert_eq!(get(&server.addr, &long).await.0, 400);
}

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw protocol client logged in as `user`.
pub(crate) async fn raw_login(server: &Server, user: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(server.url())
        .await
        .expect("connect");
    let login = json!({"id": 1, "op": "login", "data": {
        "userID": user, "userSig": server.sig(user), "SDKAppID": server.app_id,
        "instanceID": "raw", "platform": "web"}});
    ws.send(Frame::text(login.to_string()))
        .await
        .expect("send login");
    loop {
        match ws.next().await.expect("a reply").expect("a frame") {
            Frame::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("JSON");
                if v["id"] == 1 {
                    assert_eq!(v["code"], 0, "login: {v}");
                    return ws;
                }
            }
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_tells_clients_to_reconnect_and_loses_nothing() {
    let mut server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let _carol = Client::login(&server, "carol").await;
    let mut raw = raw_login(&server, "dave").await;
    alice.clear();
    bob.clear();

    // Alice sends while the server is told to stop and a new one starts on the same data dir.
    let acked: Mutex<Vec<String>> = Mutex::default();
    let count = AtomicUsize::new(0);
    let restarted = AtomicBool::new(false);
    let sending = async {
        for i in 0..200 {
            if restarted.load(Ordering::SeqCst) {
                break;
            }
            let m = alice
                .ok(
                    "createTextMessage",
                    vec![json!({"to": "bob", "conversationType": "C2C",
                                "payload": {"text": format!("m{i}")}})],
                )
                .await;
            if let Ok(r) = alice.call("sendMessage", vec![m]).await {
                let id = r["message"]["ID"].as_str().expect("ID").to_owned();
                acked.lock().expect("acked").push(id);
                count.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    let stopping = async {
        while count.load(Ordering::SeqCst) < 5 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let status = tokio::task::block_in_place(|| server.terminate());
        assert!(status.success(), "pigeon-server exited with {status}");
        tokio::task::block_in_place(|| server.restart());
        restarted.store(true, Ordering::SeqCst);
    };
    tokio::join!(sending, stopping);

    // The raw client was told "service restart".
    let mut close_code = None;
    while let Some(Ok(frame)) = raw.next().await {
        if let Frame::Close(c) = frame {
            close_code = c.map(|c| c.code);
            break;
        }
    }
    assert_eq!(close_code, Some(CloseCode::Restart), "close frame 1012");

    // The SDK clients noticed, reconnected to the new server and are served again.
    for c in [&mut alice, &mut bob] {
        c.wait_state("connecting").await;
        let who = format!("{} to reconnect", c.user);
        pigeon_tests::eventually(&who, || {
            let s = c.net_states();
            let lost = s
                .iter()
                .position(|x| x == "connecting")
                .expect("seen above");
            s[lost..].iter().any(|x| x == "connected")
        })
        .await;
    }
    alice.send_text("bob", "C2C", "after restart").await;
    bob.wait_text("after restart").await;

    // Nothing acked was lost: every acked message is in the history and reached bob.
    let acked = acked.into_inner().expect("acked");
    assert!(acked.len() >= 5);
    let history: Vec<String> = bob
        .history("C2Calice")
        .await
        .iter()
        .filter_map(|m| m["ID"].as_str().map(str::to_owned))
        .collect();
    for id in &acked {
        assert!(
            history.contains(id),
            "acked message {id} is not in the history"
        );
    }
    let what = "bob to receive every acked message";
    pigeon_tests::eventually(what, || {
        let got: Vec<String> = bob
            .received_messages()
            .iter()
            .filter_map(|m| m["ID"].as_str().map(str::to_owned))
            .collect();
        acked.iter().all(|id| got.contains(id))
    })
    .await;
}
