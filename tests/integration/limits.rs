//! Limits and rate limits (docs/limits.md), each with its code: the per-connection request
//! rate and per-user send rate (2996 with `data.limit`), the 12 KB message body (80002), the
//! configured upload size (the kind's SIZE_LIMIT code), group sizes (10014, 10004 for a
//! maxMemberNum over the type's cap), and batch sizes. A refused request changes nothing.

use futures_util::{SinkExt, StreamExt};
use pigeon_tests::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as Frame;

type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw connection logged in as `user` on its own platform (so sessions do not kick each
/// other).
async fn raw_login(server: &Server, user: &str, platform: &str) -> RawSocket {
    let (mut ws, _) = tokio_tungstenite::connect_async(server.url())
        .await
        .expect("raw connect");
    let login = json!({"id": 1, "op": "login", "data": {
        "userID": user, "userSig": server.sig(user), "SDKAppID": server.app_id,
        "instanceID": format!("limits-{platform}"), "platform": platform,
    }});
    ws.send(Frame::Text(login.to_string().into()))
        .await
        .expect("send login");
    let r = next_reply(&mut ws).await;
    assert_eq!(r["code"], 0, "login: {r}");
    ws
}

async fn next_reply(ws: &mut RawSocket) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no reply within {WAIT:?}"))
        {
            Some(Ok(Frame::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("JSON frame");
                if v.get("push").is_none() {
                    return v;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended while waiting for a reply: {other:?}"),
        }
    }
}

fn text_request(id: u64, to: &str, text: &str) -> String {
    json!({"id": id, "op": "sendMessage", "data": {"message": {
        "ID": format!("limits-{id}-{text}"), "type": "TIMTextElem", "to": to,
        "conversationType": "C2C", "conversationID": format!("C2C{to}"),
        "payload": {"text": text},
    }}})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_rate_per_connection() {
    let (server, _cfg) = server_with_config("[limits]\nrequests_per_sec = 5\nrequest_burst = 10\n");
    let mut ws = raw_login(&server, "alice", "raw").await;
    // 60 pings at once: the burst is served, the rest refused with 2996; every one answered.
    for id in 100..160u64 {
        ws.send(Frame::Text(
            json!({"id": id, "op": "ping"}).to_string().into(),
        ))
        .await
        .expect("send ping");
    }
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..60 {
        let r = next_reply(&mut ws).await;
        match r["code"].as_u64() {
            Some(0) => ok += 1,
            Some(2996) => {
                refused += 1;
                assert_eq!(r["data"]["limit"], "requests per connection", "{r}");
                assert!(
                    r["data"]["retryAfterMs"].as_u64().is_some_and(|n| n > 0),
                    "{r}"
                );
            }
            _ => panic!("unexpected reply {r}"),
        }
    }
    eprintln!("request flood: {ok} served, {refused} refused with 2996");
    assert!(refused > 0 && ok >= 9, "{ok} served, {refused} refused");
    // Another connection of the same user has its own bucket.
    let mut other = raw_login(&server, "alice", "raw2").await;
    other
        .send(Frame::Text(r#"{"id":1,"op":"ping"}"#.into()))
        .await
        .expect("ping");
    assert_eq!(next_reply(&mut other).await["code"], 0);
    // And the flooded one recovers once tokens refill.
    let mut id = 1000;
    loop {
        id += 1;
        ws.send(Frame::Text(
            json!({"id": id, "op": "ping"}).to_string().into(),
        ))
        .await
        .expect("ping");
        let r = next_reply(&mut ws).await;
        if r["code"] == 0 {
            break;
        }
        let wait = r["data"]["retryAfterMs"].as_u64().unwrap_or(50);
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_rate_per_user_across_sessions() {
    let (server, _cfg) = server_with_config(
        "[limits]\nsends_per_sec = 1\nsend_burst = 4\nrequests_per_sec = 1000\nrequest_burst = 1000\n",
    );
    let mut bob = Client::login(&server, "bob").await;
    let mut a1 = raw_login(&server, "alice", "raw1").await;
    let mut a2 = raw_login(&server, "alice", "raw2").await;
    // 12 sends alternating between Alice's two sessions: the user's burst is shared.
    let mut acked = Vec::new();
    let mut refused = 0;
    for i in 0..12u64 {
        let ws = if i % 2 == 0 { &mut a1 } else { &mut a2 };
        let text = format!("m{i}");
        ws.send(Frame::Text(text_request(10 + i, "bob", &text).into()))
            .await
            .expect("send");
        let r = next_reply(ws).await;
        match r["code"].as_u64() {
            Some(0) => acked.push(text),
            Some(2996) => {
                refused += 1;
                assert_eq!(r["data"]["limit"], "sends per user", "{r}");
            }
            _ => panic!("unexpected reply {r}"),
        }
    }
    eprintln!("send flood: {} acked, {refused} refused", acked.len());
    assert!(refused > 0 && acked.len() >= 4, "{acked:?}");
    // Exactly the acked messages were stored and delivered.
    for t in &acked {
        bob.wait_text(t).await;
    }
    assert_eq!(bob.history_texts("C2Calice").await, acked);
    // Other users are not limited by Alice's sends.
    let mut carol = Client::login(&server, "carol").await;
    carol.send_text("bob", "C2C", "carol is fine").await;
    bob.wait_text("carol is fine").await;
    carol.clear();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_file_group_and_batch_limits() {
    let (server, _cfg) = server_with_config(
        "[limits]\nmax_upload_bytes = 4096\nmax_members_work = 3\nmax_members_public = 50\n",
    );
    let alice = Client::login(&server, "alice").await;
    let _bob = Client::login(&server, "bob").await;

    // The 12 KB message body (80002).
    let big = alice
        .ok(
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C",
                        "payload": {"text": "x".repeat(12 * 1024 + 1)}})],
        )
        .await;
    let e = alice
        .call("sendMessage", vec![big])
        .await
        .expect_err("over 12 KB");
    assert_eq!(e.code, 80002, "{e:?}");
    assert!(alice.history("C2Cbob").await.is_empty(), "nothing stored");

    // Upload size: 4096 bytes pass, 4097 are refused with the kind's SIZE_LIMIT code, both
    // when declared and when streamed without a length.
    assert_eq!(upload(&server, "file", &[7u8; 4096], true).await.0, 201);
    for declared in [true, false] {
        let (status, r) = upload(&server, "file", &[7u8; 4097], declared).await;
        assert_eq!((status, r["code"].clone()), (413, json!(2402)), "{r}");
    }
    let (status, r) = upload(&server, "image", &[7u8; 5000], true).await;
    assert_eq!((status, r["code"].clone()), (413, json!(2253)), "{r}");

    // Group size: a Work group holds at most 3 (owner included).
    let e = alice
        .call(
            "createGroup",
            vec![json!({"type": "Private", "name": "w",
                        "memberList": [{"userID": "bob"}, {"userID": "carol"}, {"userID": "dave"}]})],
        )
        .await
        .expect_err("4 members in a Work group of 3");
    assert_eq!(e.code, 10014, "{e:?}");
    let e = alice
        .call(
            "createGroup",
            vec![json!({"type": "Public", "name": "p", "maxMemberNum": 51})],
        )
        .await
        .expect_err("maxMemberNum over the type's cap");
    assert_eq!(e.code, 10004, "{e:?}");
    let g = alice
        .ok(
            "createGroup",
            vec![json!({"type": "Private", "name": "w", "groupID": "w1",
                        "memberList": [{"userID": "bob"}]})],
        )
        .await;
    assert_eq!(g["group"]["maxMemberCount"], 3, "{g}");
    let e = alice
        .call(
            "addGroupMember",
            vec![json!({"groupID": "w1", "userIDList": ["carol", "dave"]})],
        )
        .await
        .expect_err("over the Work cap");
    assert_eq!(e.code, 10014, "{e:?}");

    // Batch sizes: addGroupMember takes at most 20 (10004); getUserProfile answers the first
    // 100 of a longer list (the seed's rule).
    let many: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
    let e = alice
        .call(
            "addGroupMember",
            vec![json!({"groupID": "w1", "userIDList": many})],
        )
        .await
        .expect_err("21 at once");
    assert_eq!(e.code, 10004, "{e:?}");
    let ids: Vec<String> = (0..101).map(|i| format!("p{i}")).collect();
    let profiles = alice
        .ok("getUserProfile", vec![json!({"userIDList": ids})])
        .await;
    assert!(
        profiles.as_array().is_some_and(|l| l.len() <= 100),
        "{profiles}"
    );
    let members = alice
        .ok(
            "getGroupMemberList",
            vec![json!({"groupID": "w1", "count": 100, "offset": 0})],
        )
        .await;
    assert_eq!(
        members["memberList"].as_array().map(Vec::len),
        Some(2),
        "{members}"
    );
}

/// Uploads `body` as `kind` (with or without Content-Length); returns status and JSON body.
async fn upload(server: &Server, kind: &str, body: &[u8], declared: bool) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connect");
    let framing = if declared {
        format!("Content-Length: {}\r\n", body.len())
    } else {
        "Transfer-Encoding: chunked\r\n".to_owned()
    };
    let head = format!(
        "POST /files/{}/{kind} HTTP/1.1\r\nHost: {}\r\nx-pigeon-user: alice\r\nx-pigeon-usersig: {}\r\nConnection: close\r\n{framing}\r\n",
        server.app_id,
        server.addr,
        server.sig("alice")
    );
    s.write_all(head.as_bytes()).await.expect("head");
    // The server may answer (and close) before the whole body is sent.
    if declared {
        let _ = s.write_all(body).await;
    } else {
        for chunk in body.chunks(1000) {
            let _ = s
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await;
            let _ = s.write_all(chunk).await;
            let _ = s.write_all(b"\r\n").await;
        }
        let _ = s.write_all(b"0\r\n\r\n").await;
    }
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(WAIT, s.read_to_end(&mut buf))
        .await
        .expect("response in time");
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    // Chunked responses: the JSON is the line that parses.
    let json = body
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// The SDK rides the rate limit: a burst over the per-user send rate is slowed down (the SDK
/// waits `retryAfterMs` and retries), not failed, and every message arrives once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_waits_out_the_send_rate_instead_of_failing() {
    let (server, _cfg) = server_with_config(
        "[limits]\nsends_per_sec = 20\nsend_burst = 5\nrequests_per_sec = 1000\nrequest_burst = 1000\n",
    );
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let texts: Vec<String> = (0..25).map(|i| format!("burst {i}")).collect();
    for t in &texts {
        alice.send_text("bob", "C2C", t).await;
    }
    bob.wait_text("burst 24").await;
    assert_eq!(bob.history_texts("C2Calice").await, texts);
}
