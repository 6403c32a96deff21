//! The JSON-lines bridge (`pigeon bridge`): chatting through it, one reply per request for every
//! seed method, malformed lines, on/off of events, exit on EOF, and the `--listen` WebSocket mode.

use futures_util::{SinkExt, StreamExt};
use pigeon_proto::methods::seed_methods;
use pigeon_tests::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use tokio_tungstenite::tungstenite::Message as Frame;

/// A bridge logged in as `user`, past SDK_READY.
fn logged_in(server: &Server, user: &str) -> Bridge {
    let mut b = Bridge::start(server, &[]);
    let r = b.ok(
        "login",
        json!([{"userID": user, "userSig": server.sig(user)}]),
    );
    assert_eq!(r["repeatLogin"], json!(false), "{r}");
    b.wait_event("sdkStateReady");
    b
}

/// Creates and sends a text message through a bridge; returns the sent message.
fn send_text(b: &mut Bridge, to: &str, text: &str) -> Value {
    let m = b.ok(
        "createTextMessage",
        json!([{"to": to, "conversationType": "C2C", "payload": {"text": text}}]),
    );
    assert_eq!(m["status"], json!("unSend"), "{m}");
    let sent = b.ok("sendMessage", json!([m]))["message"].clone();
    assert_eq!(sent["status"], json!("success"), "{sent}");
    assert_eq!(sent["ID"], m["ID"], "{sent}");
    sent
}

fn is_event(v: &Value, name: &str) -> bool {
    v["event"] == json!(name)
}

fn has_text(v: &Value, text: &str) -> bool {
    v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| m["payload"]["text"] == json!(text))
}

/// A reply line to a request without a usable id (`"id": null`, not an event line).
fn null_id_reply(v: &Value) -> bool {
    v.get("id") == Some(&Value::Null) && v.get("code").is_some()
}

fn conversation<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|c| c["conversationID"] == json!(id))
}

#[test]
fn two_bridges_chat_and_read() {
    let server = Server::start();
    let mut alice = logged_in(&server, "alice");
    let mut bob = logged_in(&server, "bob");
    assert_eq!(bob.ok("isReady", json!([])), json!(true));
    assert_eq!(bob.ok("getTotalUnreadMessageCount", json!([])), json!(0));

    let sent = send_text(&mut alice, "bob", "hello over JSON lines");
    // The events a request causes come before its reply.
    assert!(
        conversation_update_for(&alice.backlog, &sent["ID"]),
        "sendMessage replied before its conversation update: {:?}",
        alice.backlog
    );
    assert_eq!(sent["from"], json!("alice"));
    assert_eq!(sent["flow"], json!("out"));
    assert_eq!(sent["conversationID"], json!("C2Cbob"));

    let got = bob.wait_line("onMessageReceived", |v| {
        is_event(v, "onMessageReceived") && has_text(v, "hello over JSON lines")
    });
    let m = &got["data"][0];
    assert_eq!(m["ID"], sent["ID"], "{got}");
    assert_eq!(m["from"], json!("alice"));
    assert_eq!(m["flow"], json!("in"));
    assert_eq!(m["conversationID"], json!("C2Calice"));
    bob.wait_line("unread count 1", |v| {
        is_event(v, "onTotalUnreadMessageCountUpdated") && v["data"] == json!(1)
    });

    let list = bob.ok("getConversationList", json!([]));
    let c = conversation(&list["conversationList"], "C2Calice").expect("C2Calice listed");
    assert_eq!(c["unreadCount"], json!(1), "{c}");
    assert_eq!(c["type"], json!("C2C"), "{c}");
    assert_eq!(
        c["lastMessage"]["payload"]["text"],
        json!("hello over JSON lines"),
        "{c}"
    );
    assert_eq!(bob.ok("getTotalUnreadMessageCount", json!([])), json!(1));

    bob.ok("setMessageRead", json!([{"conversationID": "C2Calice"}]));
    bob.wait_line("unread count 0", |v| {
        is_event(v, "onTotalUnreadMessageCountUpdated") && v["data"] == json!(0)
    });
    let list = bob.ok("getConversationList", json!([]));
    let c = conversation(&list["conversationList"], "C2Calice").expect("C2Calice listed");
    assert_eq!(c["unreadCount"], json!(0), "{c}");
    assert_eq!(bob.ok("getTotalUnreadMessageCount", json!([])), json!(0));

    // History and the local cache agree with what was delivered.
    let page = bob.ok("getMessageList", json!([{"conversationID": "C2Calice"}]));
    assert_eq!(
        page["messageList"].as_array().map(Vec::len),
        Some(1),
        "{page}"
    );
    assert_eq!(page["messageList"][0]["ID"], sent["ID"]);
    assert_eq!(bob.ok("findMessage", json!([sent["ID"]]))["ID"], sent["ID"]);
    // alice's own sends never come back to her as received.
    assert_eq!(alice.ok("getLoginUser", json!([])), json!("alice"));
    assert!(
        !alice
            .backlog
            .iter()
            .any(|v| is_event(v, "onMessageReceived")),
        "{:?}",
        alice.backlog
    );
}

#[test]
fn every_seed_method_gets_exactly_one_reply() {
    let server = Server::start();
    let mut b = logged_in(&server, "zed");
    let all: Vec<&str> = seed_methods().collect();
    assert_eq!(all.len(), 139);
    // logout and destroy end the session: they go last, one at a time.
    let (last, first): (Vec<&str>, Vec<&str>) =
        all.iter().partition(|m| ["logout", "destroy"].contains(m));
    assert_eq!(last.len(), 2);

    // All at once: the bridge serves requests concurrently and must not lose or mix replies.
    const BASE: u64 = 1000;
    for (i, m) in first.iter().enumerate() {
        b.send_raw(&json!({"id": BASE + i as u64, "method": m, "args": []}).to_string());
    }
    for (i, m) in first.iter().enumerate() {
        let id = json!(BASE + i as u64);
        let r = b.wait_line(&format!("reply to {m}"), |v| v.get("id") == Some(&id));
        check_reply(m, &r);
    }
    let ids: Vec<Value> = (0..first.len()).map(|i| json!(BASE + i as u64)).collect();
    assert_eq!(
        b.ok("getLoginUser", json!([])),
        json!("zed"),
        "the session survived"
    );
    assert_eq!(b.ok("isReady", json!([])), json!(true));
    let extra: Vec<&Value> = b
        .backlog
        .iter()
        .filter(|v| v.get("id").is_some_and(|id| ids.contains(id)))
        .collect();
    assert!(extra.is_empty(), "second replies: {extra:?}");

    let r = b.request("logout", json!([]));
    check_reply("logout", &r);
    assert_eq!(r["code"], json!(0), "{r}");
    b.wait_event("sdkStateNotReady");
    assert_eq!(b.ok("getLoginUser", json!([])), json!(""));
    let r = b.request("destroy", json!([]));
    check_reply("destroy", &r);
    assert_eq!(r["code"], json!(0), "{r}");
    b.wait_event("sdkDestroy");

    // Still answering after all of it, and a non-seed name gets its own code.
    assert_eq!(b.ok("getLoginUser", json!([])), json!(""));
    let r = b.request("sendmessage", json!([]));
    assert_eq!(r["code"], json!(405), "{r}");
    let status = b.finish();
    assert!(status.success(), "{status:?}");
}

fn check_reply(method: &str, r: &Value) {
    let code = r["code"]
        .as_u64()
        .unwrap_or_else(|| panic!("{method}: no numeric code in {r}"));
    let implemented = pigeon_sdk::dispatch::is_implemented(method);
    if implemented {
        assert!(
            code != 404 && code != 405,
            "{method} is implemented but answered {r}"
        );
        if code != 0 {
            assert!(
                r["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{method}: {r}"
            );
        }
    } else {
        assert_eq!(code, 404, "{method} is not implemented: {r}");
        assert_eq!(
            r["message"],
            json!(format!("not implemented: {method}")),
            "{r}"
        );
        assert!(
            r.get("data").is_none(),
            "{method}: a failure carries no data: {r}"
        );
    }
}

#[test]
fn malformed_lines_get_error_lines_and_the_bridge_keeps_going() {
    let server = Server::start();
    let mut b = logged_in(&server, "alice");

    for line in ["garbage", "[]", "42", "\"a string\"", "{\"id\": 1,"] {
        b.send_raw(line);
        let r = b.wait_line(&format!("error for {line:?}"), null_id_reply);
        assert_eq!(r["code"], json!(400), "{line:?}: {r}");
        assert!(
            r["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{line:?}: {r}"
        );
    }

    b.send_raw(r#"{"id":5}"#);
    let r = b.wait_line("reply to id 5", |v| v.get("id") == Some(&json!(5)));
    assert_eq!(r["code"], json!(400), "{r}");
    b.send_raw(r#"{"id":6,"method":"login","args":{}}"#);
    let r = b.wait_line("reply to id 6", |v| v.get("id") == Some(&json!(6)));
    assert_eq!(r["code"], json!(2905), "{r}");
    b.send_raw(r#"{"id":7,"method":5,"args":[]}"#);
    let r = b.wait_line("reply to id 7", |v| v.get("id") == Some(&json!(7)));
    assert_eq!(r["code"], json!(400), "{r}");
    b.send_raw(r#"{"id":8,"method":"noSuchMethod","args":[]}"#);
    let r = b.wait_line("reply to id 8", |v| v.get("id") == Some(&json!(8)));
    assert_eq!(r["code"], json!(405), "{r}");
    b.send_raw(r#"{"id":9,"method":"getConversationList","args":"all"}"#);
    let r = b.wait_line("reply to id 9", |v| v.get("id") == Some(&json!(9)));
    assert_eq!(r["code"], json!(2905), "{r}");
    // Any JSON id comes back as it was sent.
    b.send_raw(r#"{"id":"abc","method":"getLoginUser","args":[]}"#);
    let r = b.wait_line("reply to id abc", |v| v.get("id") == Some(&json!("abc")));
    assert_eq!(
        (r["code"].clone(), r["data"].clone()),
        (json!(0), json!("alice")),
        "{r}"
    );

    // A line over the 1 MiB cap is refused without being parsed.
    let huge = format!(
        r#"{{"id":10,"method":"getLoginUser","args":["{}"]}}"#,
        "x".repeat(1 << 20)
    );
    b.send_raw(&huge);
    let r = b.wait_line("error for the huge line", null_id_reply);
    assert_eq!(r["code"], json!(400), "{r}");
    assert!(
        !b.backlog.iter().any(|v| v.get("id") == Some(&json!(10))),
        "{:?}",
        b.backlog
    );

    // Blank lines are ignored; the next request is answered normally.
    b.send_raw("");
    b.send_raw("   ");
    assert_eq!(b.ok("getLoginUser", json!([])), json!("alice"));
    assert_eq!(b.ok("isReady", json!([])), json!(true));
    let stray: Vec<&Value> = b.backlog.iter().filter(|v| v.get("id").is_some()).collect();
    assert!(stray.is_empty(), "unexpected replies: {stray:?}");
    let status = b.finish();
    assert!(status.success(), "{status:?}");
}

#[test]
fn off_stops_an_event_and_on_brings_it_back() {
    let server = Server::start();
    let mut alice = logged_in(&server, "alice");
    let mut bob = logged_in(&server, "bob");

    let r = bob.request("off", json!(["onNoSuchEvent"]));
    assert_eq!(r["code"], json!(2905), "{r}");
    let r = bob.request("off", json!([]));
    assert_eq!(r["code"], json!(2905), "{r}");
    let r = bob.request("on", json!([5]));
    assert_eq!(r["code"], json!(2905), "{r}");

    bob.ok("off", json!(["onMessageReceived"]));
    let muted = send_text(&mut alice, "bob", "while muted");
    // Stored on the server ...
    let page = bob.ok("getMessageList", json!([{"conversationID": "C2Calice"}]));
    assert_eq!(page["messageList"][0]["ID"], muted["ID"], "{page}");
    // ... and applied by bob's SDK: the conversation update follows the (muted) message event.
    bob.wait_line("conversation update with the muted message", |v| {
        is_event(v, "onConversationListUpdated")
            && conversation(&v["data"], "C2Calice")
                .is_some_and(|c| c["lastMessage"]["ID"] == muted["ID"])
    });
    let leaked: Vec<&Value> = bob
        .backlog
        .iter()
        .filter(|v| is_event(v, "onMessageReceived"))
        .collect();
    assert!(leaked.is_empty(), "muted event was printed: {leaked:?}");
    // Other events were not muted.
    bob.wait_line("unread count 1", |v| {
        is_event(v, "onTotalUnreadMessageCountUpdated") && v["data"] == json!(1)
    });

    bob.ok("on", json!(["onMessageReceived"]));
    send_text(&mut alice, "bob", "after on");
    let got = bob.wait_line("onMessageReceived after on", |v| {
        is_event(v, "onMessageReceived")
    });
    assert!(has_text(&got, "after on"), "{got}");
    assert!(
        !has_text(&got, "while muted"),
        "a muted event is not replayed: {got}"
    );
}

/// A process the test spawned itself, killed when dropped; its stdout lines on a channel.
struct Spawned {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Spawned {
    fn start(cmd: &mut Command) -> Spawned {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Spawned { child, lines }
    }

    /// The next stdout line; None at EOF.
    fn next_line(&self, what: &str) -> Option<String> {
        match self.lines.recv_timeout(WAIT) {
            Ok(l) => Some(l),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("no stdout line ({what}) within {WAIT:?}")
            }
        }
    }

    /// Every remaining stdout line, then the exit status (stdout closes when it exits).
    fn rest_and_exit(mut self) -> (Vec<String>, std::process::ExitStatus) {
        let mut rest = vec![];
        while let Some(l) = self.next_line("until exit") {
            rest.push(l);
        }
        let status = self.child.wait().expect("wait");
        (rest, status)
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bridge_command(server: &Server, cache: &std::path::Path) -> Command {
    let mut cmd = Command::new(bin("pigeon"));
    cmd.args([
        "bridge",
        "--server",
        &server.url(),
        "--app-id",
        &server.app_id.to_string(),
    ])
    .arg("--data-dir")
    .arg(cache)
    .env_remove("PIGEON_SDK_APP_ID");
    cmd
}

#[test]
fn eof_logs_out_and_exits_zero() {
    let server = Server::start();
    // Never logged in: EOF is a plain, successful exit.
    let b = Bridge::start(&server, &[]);
    let status = b.finish();
    assert!(status.success(), "{status:?}");

    let cache = tempfile::tempdir().expect("tempdir");
    let mut cmd = bridge_command(&server, cache.path());
    let mut p = Spawned::start(cmd.stdin(Stdio::piped()));
    let mut stdin = p.child.stdin.take().expect("stdin");
    let login = json!({"id": 1, "method": "login",
                       "args": [{"userID": "alice", "userSig": server.sig("alice")}]});
    writeln!(stdin, "{login}").expect("write login");
    stdin.flush().expect("flush");
    let (mut replied, mut ready) = (false, false);
    while !(replied && ready) {
        let line = p
            .next_line("login reply and sdkStateReady")
            .expect("bridge exited early");
        let v: Value = serde_json::from_str(&line).expect("JSON line");
        if v.get("id") == Some(&json!(1)) {
            assert_eq!(v["code"], json!(0), "{v}");
            replied = true;
        }
        ready |= is_event(&v, "sdkStateReady");
    }

    drop(stdin);
    let (rest, status) = p.rest_and_exit();
    assert!(status.success(), "{status:?}");
    let last: Value = serde_json::from_str(rest.last().expect("lines after EOF")).expect("JSON");
    assert_eq!(
        last,
        json!({"event": "sdkStateNotReady", "data": null}),
        "all: {rest:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_mode_serves_the_same_messages_over_a_websocket() {
    let server = Server::start();
    let cache = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = bridge_command(&server, cache.path());
    cmd.args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null());
    let p = Spawned::start(&mut cmd);
    let url = loop {
        let line = p
            .next_line("bridge listening")
            .expect("bridge exited before listening");
        if let Some(url) = line.strip_prefix("bridge listening on ") {
            break url.to_owned();
        }
    };
    assert_eq!(url, format!("ws://127.0.0.1:{port}"));

    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect to bridge");
    let mut backlog: Vec<Value> = vec![];
    let login = json!({"id": 1, "method": "login",
                       "args": [{"userID": "carol", "userSig": server.sig("carol")}]});
    ws.send(Frame::Text(login.to_string().into()))
        .await
        .expect("send login");
    let r = next_frame(&mut ws, &mut backlog, |v| v.get("id") == Some(&json!(1))).await;
    assert_eq!(r["code"], json!(0), "{r}");
    assert_eq!(r["data"]["repeatLogin"], json!(false), "{r}");
    next_frame(&mut ws, &mut backlog, |v| is_event(v, "sdkStateReady")).await;

    ws.send(Frame::Text(
        r#"{"id":2,"method":"getLoginUser","args":[]}"#.into(),
    ))
    .await
    .expect("send");
    let r = next_frame(&mut ws, &mut backlog, |v| v.get("id") == Some(&json!(2))).await;
    assert_eq!(
        (r["code"].clone(), r["data"].clone()),
        (json!(0), json!("carol")),
        "{r}"
    );

    ws.send(Frame::Text("garbage".into())).await.expect("send");
    let r = next_frame(&mut ws, &mut backlog, null_id_reply).await;
    assert_eq!(r["code"], json!(400), "{r}");

    // Events of the SDK behind the bridge arrive as frames too.
    let alice = Client::login(&server, "alice").await;
    alice.send_text("carol", "C2C", "to the browser").await;
    let got = next_frame(&mut ws, &mut backlog, |v| is_event(v, "onMessageReceived")).await;
    assert!(has_text(&got, "to the browser"), "{got}");
    assert_eq!(got["data"][0]["from"], json!("alice"));

    ws.send(Frame::Text(
        r#"{"id":3,"method":"noSuchMethod","args":[]}"#.into(),
    ))
    .await
    .expect("send");
    let r = next_frame(&mut ws, &mut backlog, |v| v.get("id") == Some(&json!(3))).await;
    assert_eq!(r["code"], json!(405), "{r}");

    // A binary frame is malformed input too: it gets an error, not silence.
    ws.send(Frame::Binary(vec![1u8, 2, 3].into()))
        .await
        .expect("send binary");
    let r = next_frame(&mut ws, &mut backlog, null_id_reply).await;
    assert_eq!(r["code"], json!(400), "{r}");

    // As on stdio, the events a request causes come before its reply.
    let m = ws_ok(
        &mut ws,
        &mut backlog,
        4,
        "createTextMessage",
        json!([{"to": "alice", "conversationType": "C2C", "payload": {"text": "from the browser"}}]),
    )
    .await;
    let sent = ws_ok(&mut ws, &mut backlog, 5, "sendMessage", json!([m])).await;
    assert_eq!(sent["message"]["status"], json!("success"), "{sent}");
    assert!(
        conversation_update_for(&backlog, &sent["message"]["ID"]),
        "sendMessage replied before its conversation update: {backlog:?}"
    );

    // A second page on the same bridge gets the events too, and only its own replies.
    let (mut ws2, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("second connection");
    let mut backlog2: Vec<Value> = vec![];
    ws_ok(
        &mut ws2,
        &mut backlog2,
        1,
        "off",
        json!(["onConversationListUpdated"]),
    )
    .await;
    alice.send_text("carol", "C2C", "to both pages").await;
    for (ws, backlog) in [(&mut ws, &mut backlog), (&mut ws2, &mut backlog2)] {
        let got = next_frame(ws, backlog, |v| {
            is_event(v, "onMessageReceived") && has_text(v, "to both pages")
        })
        .await;
        assert_eq!(got["data"][0]["from"], json!("alice"));
    }
    // off is per connection: the first page still gets conversation updates, the second not.
    next_frame(&mut ws, &mut backlog, |v| {
        is_event(v, "onConversationListUpdated")
    })
    .await;
    ws_ok(&mut ws2, &mut backlog2, 2, "getLoginUser", json!([])).await;
    assert!(
        !backlog2
            .iter()
            .any(|v| is_event(v, "onConversationListUpdated") || v.get("id").is_some()),
        "{backlog2:?}"
    );
}

/// Whether `lines` hold an onConversationListUpdated whose last message is `id`.
fn conversation_update_for(lines: &[Value], id: &Value) -> bool {
    lines.iter().any(|v| {
        is_event(v, "onConversationListUpdated")
            && v["data"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["lastMessage"]["ID"] == *id)
    })
}

/// A request over the bridge's WebSocket that must succeed; returns its data.
async fn ws_ok(
    ws: &mut WsStream,
    backlog: &mut Vec<Value>,
    id: u64,
    method: &str,
    args: Value,
) -> Value {
    let req = json!({"id": id, "method": method, "args": args});
    ws.send(Frame::Text(req.to_string().into()))
        .await
        .expect("send request");
    let r = next_frame(ws, backlog, |v| v.get("id") == Some(&json!(id))).await;
    assert_eq!(r["code"], json!(0), "{method} failed: {r}");
    r["data"].clone()
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON text frame matching `pred`; others go to `backlog`.
async fn next_frame(
    ws: &mut WsStream,
    backlog: &mut Vec<Value>,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    if let Some(i) = backlog.iter().position(&pred) {
        return backlog.remove(i);
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no matching frame within {WAIT:?}; backlog {backlog:?}"))
            .expect("bridge closed the WebSocket")
            .expect("WebSocket error");
        if let Frame::Text(t) = frame {
            let v: Value = serde_json::from_str(t.as_str())
                .unwrap_or_else(|e| panic!("bridge sent a non-JSON frame {t:?}: {e}"));
            if pred(&v) {
                return v;
            }
            backlog.push(v);
        }
    }
}

#[test]
fn listen_mode_refuses_non_loopback_addresses() {
    let server = Server::start();
    let cache = tempfile::tempdir().expect("tempdir");
    let mut cmd = bridge_command(&server, cache.path());
    cmd.args(["--listen", "0.0.0.0:0"]).stdin(Stdio::null());
    let (lines, status) = Spawned::start(&mut cmd).rest_and_exit();
    assert!(!status.success(), "bridge served on 0.0.0.0: {lines:?}");
    assert!(
        !lines.iter().any(|l| l.starts_with("bridge listening")),
        "{lines:?}"
    );
}
