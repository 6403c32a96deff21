//! Hostile input against the real server and bridge: oversized WebSocket frames, deeply nested
//! JSON, invalid UTF-8 in text and binary frames, garbage before login, slowloris uploads and
//! stalled bodies, huge declared Content-Lengths, many half-open connections, and 2 MiB /
//! non-UTF-8 / deeply nested bridge lines. Each gets a clear refusal (a close or an imError
//! code), the server keeps serving other clients, and stored data stays intact afterwards.
//! Every test prints how many bad inputs it tried.

use futures_util::{SinkExt, StreamExt};
use pigeon_tests::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame as RawFrame;
use tokio_tungstenite::tungstenite::Message as Frame;

type RawSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// Bad inputs tried, over all tests of this module (printed by each test).
static BAD: AtomicUsize = AtomicUsize::new(0);

fn bad(what: &str) {
    let n = BAD.fetch_add(1, Ordering::SeqCst) + 1;
    eprintln!("hostile input #{n}: {what}");
}

async fn raw_connect(server: &Server) -> RawSocket {
    let (ws, _) = tokio_tungstenite::connect_async(server.url())
        .await
        .expect("raw connect");
    ws
}

/// The next reply frame (not a push); None when the connection ended instead.
async fn next_reply(ws: &mut RawSocket) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no reply within {WAIT:?}"));
        match frame {
            None | Some(Err(_)) | Some(Ok(Frame::Close(_))) => return None,
            Some(Ok(Frame::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("server frames are JSON");
                if v.get("push").is_none() {
                    return Some(v);
                }
            }
            Some(Ok(_)) => {}
        }
    }
}

async fn ask(ws: &mut RawSocket, frame: Frame) -> Value {
    ws.send(frame).await.expect("send a frame");
    next_reply(ws)
        .await
        .expect("the server answers instead of closing")
}

/// Sends `frame` and waits for the server to end the connection; returns the close frame's
/// code and reason when one came.
async fn expect_closed(ws: &mut RawSocket, frame: Frame, what: &str) -> Option<(u16, String)> {
    // The send itself may fail once the server has hung up mid-frame.
    let _ = ws.send(frame).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("{what}: connection still open after {WAIT:?}"));
        match next {
            None | Some(Err(_)) => return None,
            Some(Ok(Frame::Close(c))) => {
                return c.map(|c| (u16::from(c.code), c.reason.to_string()))
            }
            Some(Ok(Frame::Text(t))) => panic!("{what}: expected a close, got {t}"),
            Some(Ok(_)) => {}
        }
    }
}

fn login_frame(server: &Server, id: u64, user: &str) -> Frame {
    Frame::Text(
        json!({"id": id, "op": "login", "data": {
            "userID": user, "userSig": server.sig(user), "SDKAppID": server.app_id,
            "instanceID": format!("hostile-{id}"), "platform": "raw",
        }})
        .to_string()
        .into(),
    )
}

fn text(s: impl Into<String>) -> Frame {
    Frame::Text(s.into().into())
}

/// A text frame whose payload is not UTF-8 (no SDK can send one).
fn non_utf8_text() -> Frame {
    Frame::Frame(RawFrame::message(
        b"{\"id\":1,\"op\":\"\xff\xfe\"}".to_vec(),
        OpCode::Data(Data::Text),
        true,
    ))
}

/// Alice sends `msg` to Bob, who receives it, and both histories end with it.
async fn still_chats(alice: &mut Client, bob: &mut Client, msg: &str) {
    alice.send_text("bob", "C2C", msg).await;
    bob.wait_text(msg).await;
    assert_eq!(
        alice
            .history_texts("C2Cbob")
            .await
            .last()
            .map(String::as_str),
        Some(msg)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_deep_json_bad_utf8_and_garbage() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    still_chats(&mut alice, &mut bob, "before").await;

    // A 100 KiB text frame (the limit is 64 KiB), before and after login: the connection is
    // closed by the protocol layer (close 1009 when it can still send one).
    for logged_in in [false, true] {
        let mut ws = raw_connect(&server).await;
        if logged_in {
            let r = ask(&mut ws, login_frame(&server, 1, "mallory")).await;
            assert_eq!(r["code"], 0, "{r}");
        }
        bad(&format!("100 KiB text frame (logged in: {logged_in})"));
        let close = expect_closed(&mut ws, text("x".repeat(100 * 1024)), "oversized frame").await;
        eprintln!("oversized frame: closed with {close:?}");
        let (code, reason) = close.expect("a close frame that says why");
        assert_eq!(
            code, 1009,
            "close code for a message over the limit: {reason}"
        );
        assert!(reason.contains("65536"), "{reason}");
    }
    // A 1 MiB binary frame: the same.
    let mut ws = raw_connect(&server).await;
    bad("1 MiB binary frame");
    expect_closed(
        &mut ws,
        Frame::Binary(vec![0u8; 1 << 20].into()),
        "big binary",
    )
    .await;
    still_chats(&mut alice, &mut bob, "after big frames").await;

    // Invalid UTF-8 in a text frame: a protocol violation, the connection is closed.
    let mut ws = raw_connect(&server).await;
    bad("text frame with invalid UTF-8");
    let close = expect_closed(&mut ws, non_utf8_text(), "invalid UTF-8 text").await;
    eprintln!("invalid UTF-8 text frame: closed with {close:?}");
    assert_eq!(
        close.map(|c| c.0),
        Some(1007),
        "close code for invalid UTF-8"
    );

    // Garbage before login, on one connection that then logs in normally.
    let mut ws = raw_connect(&server).await;
    let garbage: Vec<(&str, Frame, u64)> = vec![
        ("non-JSON text", text("hello"), 400),
        ("empty object", text("{}"), 400),
        ("JSON array", text("[1,2,3]"), 400),
        ("string op id", text(r#"{"id":"7","op":"sync"}"#), 400),
        ("request before login", text(r#"{"id":3,"op":"sync","data":{}}"#), 2024),
        ("sendMessage before login", text(r#"{"id":4,"op":"sendMessage","data":{}}"#), 2024),
        ("binary garbage", Frame::Binary(vec![0xff, 0x00, 0xfe].into()), 400),
        ("binary frame with invalid UTF-8", Frame::Binary(b"\xc3\x28{}".to_vec().into()), 400),
        ("login with garbage data", text(r#"{"id":5,"op":"login","data":5}"#), 10004),
        ("login with a garbage sig", text(
            json!({"id":6,"op":"login","data":{"userID":"mallory","userSig":"\u{0}\u{1}garbage","SDKAppID": server.app_id}}).to_string()), 70003),
        ("NUL bytes", text("\u{0}\u{0}\u{0}"), 400),
    ];
    for (what, frame, code) in garbage {
        bad(what);
        let r = ask(&mut ws, frame).await;
        assert_eq!(r["code"], json!(code), "{what}: {r}");
        assert!(
            r["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {r}"
        );
    }
    let r = ask(&mut ws, login_frame(&server, 9, "mallory")).await;
    assert_eq!(r["code"], 0, "login after garbage: {r}");

    // Deeply nested JSON within the frame limit: serde_json's recursion limit refuses it with
    // a 400 (no stack overflow), and the connection goes on.
    for (what, doc) in [
        ("60k '[' request", "[".repeat(60_000)),
        (
            "60k '[' in data",
            format!(r#"{{"id":11,"op":"sync","data":{}}}"#, "[".repeat(60_000)),
        ),
        ("12k nested objects", r#"{"a":"#.repeat(12_000)),
    ] {
        bad(what);
        let r = ask(&mut ws, text(doc)).await;
        assert_eq!(r["code"], 400, "{what}: {r}");
        let m = r["message"].as_str().unwrap_or_default();
        assert!(m.starts_with("malformed request frame"), "{what}: {m}");
        if what.contains("data") {
            assert!(m.contains("recursion limit"), "{what}: {m}");
        }
    }
    // Binary frames after login: 400 and the connection stays.
    bad("binary frame after login");
    let r = ask(&mut ws, Frame::Binary(b"\xff\xfe\xfd".to_vec().into())).await;
    assert_eq!(r["code"], 400, "{r}");
    let r = ask(&mut ws, text(r#"{"id":12,"op":"ping"}"#)).await;
    assert_eq!((r["id"].clone(), r["code"].clone()), (json!(12), json!(0)));

    still_chats(&mut alice, &mut bob, "after garbage").await;
    assert_eq!(
        bob.history_texts("C2Calice").await,
        ["before", "after big frames", "after garbage"],
        "stored data intact"
    );
    eprintln!(
        "hostile inputs tried so far: {}",
        BAD.load(Ordering::SeqCst)
    );
}

/// An HTTP request's start (headers only), with `extra` headers.
fn upload_head(server: &Server, user: &str, kind: &str, extra: &str) -> String {
    format!(
        "POST /files/{}/{kind} HTTP/1.1\r\nHost: {}\r\nx-pigeon-user: {user}\r\nx-pigeon-usersig: {}\r\n{extra}\r\n",
        server.app_id,
        server.addr,
        server.sig(user)
    )
}

/// Reads an HTTP response until the server closes or a full JSON body is in; returns status
/// and body.
async fn read_response(s: &mut TcpStream, what: &str) -> (u16, Value) {
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, s.read(&mut chunk))
            .await
            .unwrap_or_else(|_| panic!("{what}: no response within {WAIT:?}"))
            .unwrap_or(0);
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or_else(|| panic!("{what}: bad status line {head:?}"));
            if let Ok(v) = serde_json::from_str::<Value>(body.trim()) {
                return (status, v);
            }
            if n == 0 {
                return (status, Value::Null);
            }
        } else if n == 0 {
            panic!("{what}: closed without a response ({text:?})");
        }
    }
}

/// Waits until the server closes `s` without answering (headers never completed).
async fn expect_dropped(s: &mut TcpStream, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Err(_) => panic!("{what}: still open after {WAIT:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => {
                let t = String::from_utf8_lossy(&chunk[..n]);
                // hyper may answer 408 before closing; anything else is a bug.
                assert!(t.starts_with("HTTP/1.1 408"), "{what}: got {t:?}");
            }
        }
    }
}

/// A normal upload; returns its status and body.
async fn upload(server: &Server, user: &str, kind: &str, body: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(&server.addr).await.expect("connect");
    let head = upload_head(
        server,
        user,
        kind,
        &format!("Content-Length: {}\r\nConnection: close\r\n", body.len()),
    );
    s.write_all(head.as_bytes()).await.expect("write head");
    s.write_all(body).await.expect("write body");
    read_response(&mut s, "upload").await
}

const LIMITS: &str = "[limits]\nheader_timeout_secs = 1\nupload_idle_timeout_secs = 1\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_uploads_and_lying_content_length() {
    let (server, _cfg) = server_with_config(LIMITS);
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    still_chats(&mut alice, &mut bob, "before").await;

    // Headers a byte at a time, then a stall: dropped at the header deadline.
    let mut slow_head = TcpStream::connect(&server.addr).await.expect("connect");
    bad("upload headers one byte at a time, then stalled");
    for b in upload_head(&server, "alice", "file", "Content-Length: 10\r\n")
        .as_bytes()
        .iter()
        .take(40)
    {
        slow_head.write_all(&[*b]).await.expect("write a byte");
    }
    // Body trickled after complete headers, then stalled: 408 with the kind's upload code.
    let mut slow_body = TcpStream::connect(&server.addr).await.expect("connect");
    bad("upload body of 1000 declared bytes stalled after 10");
    slow_body
        .write_all(upload_head(&server, "alice", "file", "Content-Length: 1000\r\n").as_bytes())
        .await
        .expect("head");
    for b in b"0123456789" {
        slow_body.write_all(&[*b]).await.expect("write a byte");
    }

    // Meanwhile normal uploads go through.
    let (status, r) = upload(&server, "bob", "file", b"a normal file").await;
    assert_eq!(status, 201, "normal upload during slowloris: {r}");
    let url = r["url"].as_str().expect("url").to_owned();

    expect_dropped(&mut slow_head, "slow headers").await;
    let (status, r) = read_response(&mut slow_body, "stalled body").await;
    assert_eq!((status, r["code"].clone()), (408, json!(2400)), "{r}");

    // A huge declared Content-Length with a tiny body: refused before reading (2402).
    bad("Content-Length 10^12 with a 5-byte body");
    let mut s = TcpStream::connect(&server.addr).await.expect("connect");
    s.write_all(
        upload_head(
            &server,
            "alice",
            "file",
            "Content-Length: 1000000000000\r\n",
        )
        .as_bytes(),
    )
    .await
    .expect("head");
    s.write_all(b"hello").await.expect("body");
    let (status, r) = read_response(&mut s, "huge length").await;
    assert_eq!((status, r["code"].clone()), (413, json!(2402)), "{r}");
    // Content-Length larger than u64, and not a number: hyper refuses the request (400).
    for (what, len) in [
        ("Content-Length over u64", "99999999999999999999999"),
        ("Content-Length not a number", "ten"),
        ("negative Content-Length", "-5"),
    ] {
        bad(what);
        let mut s = TcpStream::connect(&server.addr).await.expect("connect");
        s.write_all(
            upload_head(
                &server,
                "alice",
                "file",
                &format!("Content-Length: {len}\r\n"),
            )
            .as_bytes(),
        )
        .await
        .expect("head");
        let (status, _) = read_response(&mut s, what).await;
        assert!((400..500).contains(&status), "{what}: {status}");
    }
    // A declared 5 MB body cut off after 5 bytes: the upload fails cleanly (2400).
    bad("5 MB declared, 5 bytes sent, then the client hangs up");
    let mut s = TcpStream::connect(&server.addr).await.expect("connect");
    s.write_all(upload_head(&server, "alice", "file", "Content-Length: 5000000\r\n").as_bytes())
        .await
        .expect("head");
    s.write_all(b"hello").await.expect("body");
    s.shutdown().await.expect("half-close");
    let (status, r) = read_response(&mut s, "cut body").await;
    assert!(status == 400 || status == 408, "cut body: {status} {r}");
    // Garbage instead of HTTP, and a request line that never ends.
    for (what, bytes) in [
        ("binary garbage instead of HTTP", vec![0xffu8; 64]),
        ("a 1 MiB request line", vec![b'A'; 1 << 20]),
    ] {
        bad(what);
        let mut s = TcpStream::connect(&server.addr).await.expect("connect");
        let _ = s.write_all(&bytes).await;
        expect_dropped_or_400(&mut s, what).await;
    }

    // Nothing half-uploaded stays behind, the stored file is intact, chat goes on.
    let staging = server.dir.join("files").join("tmp");
    eventually("no staging files left", || {
        std::fs::read_dir(&staging).map_or(true, |d| d.count() == 0)
    })
    .await;
    let got = http_get(&server, &url).await;
    assert_eq!(got, b"a normal file");
    still_chats(&mut alice, &mut bob, "after slowloris").await;
    eprintln!(
        "hostile inputs tried so far: {}",
        BAD.load(Ordering::SeqCst)
    );
}

async fn expect_dropped_or_400(s: &mut TcpStream, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Err(_) => panic!("{what}: still open after {WAIT:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => {
                let t = String::from_utf8_lossy(&chunk[..n]);
                assert!(t.starts_with("HTTP/1.1 4"), "{what}: got {t:?}");
            }
        }
    }
}

/// GETs a URL of the server's file service; returns the body.
async fn http_get(server: &Server, url: &str) -> Vec<u8> {
    let path = url.split_once(&server.addr).map_or(url, |(_, p)| p);
    let mut s = TcpStream::connect(&server.addr).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("request");
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut buf))
        .await
        .expect("download in time")
        .expect("download");
    let at = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    assert!(
        buf.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&buf)
    );
    buf[at + 4..].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_are_bounded_and_dropped() {
    let (server, _cfg) =
        server_with_config("[limits]\nheader_timeout_secs = 1\nmax_connections = 8\n");
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    still_chats(&mut alice, &mut bob, "before").await;

    // 24 connections that never send a byte, 3 times the connection cap.
    let mut idle = Vec::new();
    for _ in 0..24 {
        bad("half-open TCP connection that sends nothing");
        idle.push(TcpStream::connect(&server.addr).await.expect("connect"));
    }
    // A new client still gets in (slots free up as the idle ones time out), and chats.
    let carol = Client::login(&server, "carol").await;
    carol.send_text("alice", "C2C", "carol was let in").await;
    alice.wait_text("carol was let in").await;
    // Every idle connection is dropped by the server.
    for (i, s) in idle.iter_mut().enumerate() {
        expect_dropped(s, &format!("idle connection {i}")).await;
    }
    still_chats(&mut alice, &mut bob, "after half-open").await;
    assert_eq!(
        bob.history_texts("C2Calice").await,
        ["before", "after half-open"]
    );
    eprintln!(
        "hostile inputs tried so far: {}",
        BAD.load(Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_survives_huge_non_utf8_and_deep_lines() {
    let server = Server::start();
    let mut bob = Client::login(&server, "bob").await;
    let mut bridge = Bridge::start(&server, &[]);
    let sig = server.sig("alice");
    bridge.ok("login", json!([{"userID": "alice", "userSig": sig}]));
    bridge.wait_event("sdkStateReady");

    let lines: Vec<(&str, Vec<u8>)> = vec![
        ("a 2 MiB line", vec![b'x'; 2 << 20]),
        ("a 2 MiB JSON request", {
            let mut l = br#"{"id":1,"method":"sendMessage","args":[""#.to_vec();
            l.extend(vec![b'a'; 2 << 20]);
            l.extend(br#""]}"#);
            l
        }),
        (
            "a line of invalid UTF-8",
            b"\xff\xfe\xfd{\"id\":2}\xc3\x28".to_vec(),
        ),
        ("100k '[' line", vec![b'['; 100_000]),
        (
            "100k nested objects",
            r#"{"a":"#.repeat(100_000).into_bytes(),
        ),
        ("NUL bytes", vec![0u8; 16]),
    ];
    for (what, line) in lines {
        bad(&format!("bridge: {what}"));
        bridge.send_raw_bytes(&line);
        let r = bridge.wait_line(what, |v| v["id"].is_null() && v.get("code").is_some());
        assert_eq!(r["code"], 400, "{what}: {r}");
        assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
    }
    // Invalid UTF-8 inside a string is read lossily: a method name no one knows (405).
    bad("bridge: a method name of invalid UTF-8");
    bridge.send_raw_bytes(b"{\"id\":3,\"method\":\"\xff\"}");
    let r = bridge.wait_line("reply 3", |v| v["id"] == json!(3));
    assert_eq!(r["code"], 405, "{r}");
    // The bridge keeps running: it sends, and Bob gets it.
    let msg = bridge.ok(
        "createTextMessage",
        json!([{"to": "bob", "conversationType": "C2C", "payload": {"text": "bridge ok"}}]),
    );
    bridge.ok("sendMessage", json!([msg]));
    bob.wait_text("bridge ok").await;
    assert_eq!(bob.history_texts("C2Calice").await, ["bridge ok"]);
    eprintln!(
        "hostile inputs tried so far: {}",
        BAD.load(Ordering::SeqCst)
    );
}
