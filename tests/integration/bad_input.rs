//! Bad input never crashes the server, never stores anything, and always gets a clear code:
//! oversized and misaddressed messages, wrong argument types through `chat.invoke`, unknown
//! conversations, calls before login, and raw WebSocket frames that no SDK would send.

use futures_util::{SinkExt, StreamExt};
use pigeon_tests::*;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The 12 KB message body limit, in bytes.
const BODY_LIMIT: usize = 12 * 1024;

async fn raw_connect(server: &Server) -> RawSocket {
    let (ws, _) = tokio_tungstenite::connect_async(server.url())
        .await
        .expect("raw connect");
    ws
}

async fn send_frame(ws: &mut RawSocket, text: &str) {
    ws.send(Frame::Text(text.to_owned().into()))
        .await
        .expect("send a text frame");
}

/// The next reply frame (one without `push`), skipping pushes.
async fn next_reply(ws: &mut RawSocket) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no reply frame within {WAIT:?}"))
            .expect("connection closed while waiting for a reply")
            .expect("websocket error while waiting for a reply");
        match frame {
            Frame::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str())
                    .unwrap_or_else(|e| panic!("server sent a non-JSON frame {t:?}: {e}"));
                if v.get("push").is_none() {
                    return v;
                }
            }
            Frame::Close(c) => panic!("server closed the connection instead of replying: {c:?}"),
            _ => {}
        }
    }
}

/// Sends one frame and returns the reply to it.
async fn ask(ws: &mut RawSocket, text: &str) -> Value {
    send_frame(ws, text).await;
    next_reply(ws).await
}

/// Waits until the server ends the connection; panics if it sends any text frame first.
async fn expect_closed(ws: &mut RawSocket, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("{what}: connection still open after {WAIT:?}"));
        match next {
            None | Some(Err(_)) | Some(Ok(Frame::Close(_))) => return,
            Some(Ok(Frame::Text(t))) => panic!("{what}: expected the connection to close, got {t}"),
            Some(Ok(_)) => {}
        }
    }
}

fn login_frame(server: &Server, id: u64, user: &str, instance: &str) -> String {
    json!({"id": id, "op": "login", "data": {
        "userID": user,
        "userSig": server.sig(user),
        "SDKAppID": server.app_id,
        "instanceID": instance,
        "platform": "raw",
    }})
    .to_string()
}

async fn raw_login(server: &Server, user: &str, instance: &str) -> RawSocket {
    let mut ws = raw_connect(server).await;
    let r = ask(&mut ws, &login_frame(server, 1, user, instance)).await;
    assert_eq!(r["id"], json!(1), "{r}");
    assert_eq!(r["code"], json!(0), "raw login failed: {r}");
    assert_eq!(r["data"]["userID"], json!(user), "{r}");
    ws
}

fn text_message(id: &str, to: &str, text: &str) -> Value {
    json!({"ID": id, "type": "TIMTextElem", "payload": {"text": text}, "to": to,
           "conversationType": "C2C"})
}

/// The error code of a call that must fail.
async fn fails(c: &Client, method: &str, args: Vec<Value>) -> pigeon_sdk::ImError {
    match c.call(method, args.clone()).await {
        Ok(v) => panic!("{}: {method}({args:?}) must fail, got {v}", c.user),
        Err(e) => e,
    }
}

async fn created(c: &Client, to: &str, conv_type: &str, text: &str) -> Value {
    c.ok(
        "createTextMessage",
        vec![json!({"to": to, "conversationType": conv_type, "payload": {"text": text}})],
    )
    .await
}

async fn message_ids(c: &Client, conv: &str) -> Vec<String> {
    let page = c
        .ok("getMessageList", vec![json!({"conversationID": conv})])
        .await;
    page["messageList"]
        .as_array()
        .expect("messageList array")
        .iter()
        .map(|m| m["ID"].as_str().expect("message ID").to_owned())
        .collect()
}

fn conversation_ids(list: &Value) -> Vec<String> {
    list["conversationList"]
        .as_array()
        .expect("conversationList array")
        .iter()
        .map(|c| {
            c["conversationID"]
                .as_str()
                .expect("conversationID")
                .to_owned()
        })
        .collect()
}

/// alice sends `text` to bob and bob receives it: both sides still work.
async fn still_chatting(alice: &Client, bob: &mut Client, text: &str) {
    let sent = alice.send_text("bob", "C2C", text).await;
    assert_eq!(sent["status"], json!("success"), "{sent}");
    let got = bob
        .wait_for("onMessageReceived", |d| {
            d.as_array()
                .into_iter()
                .flatten()
                .any(|m| m["payload"]["text"] == json!(text))
        })
        .await;
    let m = got
        .as_array()
        .and_then(|l| l.iter().find(|m| m["payload"]["text"] == json!(text)))
        .expect("the message");
    assert_eq!(m["from"], json!("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_over_12kb_is_refused_and_never_stored() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    still_chatting(&alice, &mut bob, "first").await;

    // Just under the limit (the JSON payload wrapper counts too, so leave room) goes through.
    let near = "n".repeat(BODY_LIMIT - 100);
    still_chatting(&alice, &mut bob, &near).await;

    let mut refused = Vec::new();
    for (what, text) in [
        ("12 KB + 1 of ASCII", "x".repeat(BODY_LIMIT + 1)),
        ("13 KB of ASCII", "y".repeat(13 * 1024)),
        // 4,500 characters but 13,500 bytes: the limit is in bytes.
        ("4500 three-byte characters", "用".repeat(4500)),
    ] {
        let m = created(&alice, "bob", "C2C", &text).await;
        let e = fails(&alice, "sendMessage", vec![m.clone()]).await;
        assert_eq!(e.code, 80002, "{what}: {e}");
        assert!(
            e.message.contains("12 KB"),
            "{what}: unclear message {:?}",
            e.message
        );
        refused.push(m["ID"].as_str().expect("ID").to_owned());
    }
    // The limit covers the custom data the message carries, not only its text.
    let m = alice
        .ok(
            "createTextMessage",
            vec![
                json!({"to": "bob", "conversationType": "C2C", "payload": {"text": "small"},
                        "cloudCustomData": "c".repeat(BODY_LIMIT)}),
            ],
        )
        .await;
    let e = fails(&alice, "sendMessage", vec![m.clone()]).await;
    assert_eq!(e.code, 80002, "12 KB of cloudCustomData: {e}");
    refused.push(m["ID"].as_str().expect("ID").to_owned());

    // Sent after the refused ones: once bob has it, anything before it would have arrived too.
    still_chatting(&alice, &mut bob, "after").await;
    assert_eq!(
        bob.received_texts().await,
        Vec::<String>::new(),
        "bob got a refused message"
    );

    let from_alice = message_ids(&alice, "C2Cbob").await;
    let from_bob = message_ids(&bob, "C2Calice").await;
    assert_eq!(from_alice.len(), 3, "{from_alice:?}");
    assert_eq!(from_alice, from_bob);
    for id in &refused {
        assert!(
            !from_alice.contains(id),
            "refused {id} stored (sender side)"
        );
        assert!(
            !from_bob.contains(id),
            "refused {id} stored (receiver side)"
        );
    }
    let conv = bob
        .ok("getConversationProfile", vec![json!("C2Calice")])
        .await;
    assert_eq!(
        conv["conversation"]["lastMessage"]["payload"]["text"],
        json!("after")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_to_the_system_conversation_is_refused_and_never_stored() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;

    let to_system = created(&alice, "@TIM#SYSTEM", "C2C", "to the system user").await;
    let e = fails(&alice, "sendMessage", vec![to_system]).await;
    assert_eq!(e.code, 2106, "{e}");

    let system_type = created(&alice, "bob", "@TIM#SYSTEM", "system type").await;
    let e = fails(&alice, "sendMessage", vec![system_type]).await;
    assert_eq!(e.code, 2106, "{e}");

    still_chatting(&alice, &mut bob, "after").await;
    assert_eq!(bob.received_texts().await, Vec::<String>::new());
    let convs = conversation_ids(&alice.ok("getConversationList", vec![]).await);
    assert_eq!(convs, vec!["C2Cbob".to_owned()]);
    assert!(message_ids(&alice, "@TIM#SYSTEM").await.is_empty());
    assert!(message_ids(&alice, "C2C@TIM#SYSTEM").await.is_empty());
    assert_eq!(message_ids(&bob, "C2Calice").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_argument_types_fail_clearly_and_the_client_keeps_working() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;

    let cases: Vec<(&str, Vec<Value>, u32)> = vec![
        (
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"text": 5}})],
            2905,
        ),
        (
            "createTextMessage",
            vec![json!({"conversationType": "C2C", "payload": {"text": "x"}})],
            2905,
        ),
        (
            "createTextMessage",
            vec![json!({"to": "", "conversationType": "C2C", "payload": {"text": "x"}})],
            2905,
        ),
        (
            "createTextMessage",
            vec![json!({"to": "bob", "conversationType": "nope", "payload": {"text": "x"}})],
            2905,
        ),
        ("createTextMessage", vec![json!("bob")], 2905),
        ("createTextMessage", vec![], 2905),
        ("getMessageList", vec![json!(5)], 2905),
        ("getMessageList", vec![json!({"conversationID": 5})], 2905),
        ("getConversationList", vec![json!(5)], 2905),
        ("getConversationList", vec![json!([5])], 2905),
        ("getConversationList", vec![json!({"nope": true})], 2905),
        ("getConversationProfile", vec![json!(5)], 2905),
        ("setMessageRead", vec![json!("C2Cbob")], 2905),
        ("findMessage", vec![json!(5)], 2905),
        ("sendMessage", vec![json!("hello")], 2105),
        ("sendMessage", vec![json!({})], 2105),
        ("sendMessage", vec![], 2105),
    ];
    for (method, args, code) in cases {
        let e = fails(&alice, method, args.clone()).await;
        assert_eq!(e.code, code, "{method}({args:?}): {e}");
        assert!(!e.message.is_empty(), "{method}({args:?}): empty message");
        if code == 2905 {
            assert!(
                e.message.contains(method),
                "{method}({args:?}): message {:?}",
                e.message
            );
        }
    }

    // A sendMessage with a broken options argument is refused before anything goes out.
    let m = created(&alice, "bob", "C2C", "bad options").await;
    let e = fails(&alice, "sendMessage", vec![m.clone(), json!(5)]).await;
    assert_eq!(e.code, 2905, "{e}");

    still_chatting(&alice, &mut bob, "still works").await;
    assert_eq!(
        bob.received_texts().await,
        Vec::<String>::new(),
        "a refused message arrived"
    );
    assert_eq!(message_ids(&bob, "C2Calice").await.len(), 1);
    assert_eq!(alice.ok("getLoginUser", vec![]).await, json!("alice"));
    assert_eq!(alice.ok("isReady", vec![]).await, json!(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_messages_are_refused_by_the_server() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;

    // Edited after createTextMessage, so only the server can catch them.
    let mut m = created(&bob, "alice", "C2C", "x").await;
    m["payload"] = json!({"text": 5});
    let e = fails(&bob, "sendMessage", vec![m]).await;
    assert_eq!(e.code, 10004, "payload.text a number: {e}");

    let mut m = created(&bob, "alice", "C2C", "x").await;
    m["conversationType"] = json!("nope");
    let e = fails(&bob, "sendMessage", vec![m]).await;
    assert_eq!(e.code, 2106, "conversationType nope: {e}");

    let mut m = created(&bob, "alice", "C2C", "x").await;
    m["type"] = json!("TIMNoSuchElem");
    let e = fails(&bob, "sendMessage", vec![m]).await;
    assert_eq!(e.code, 10004, "unknown message type: {e}");

    // Reusing the ID of someone else's message neither replaces it nor reveals it.
    let secret = alice
        .send_text("carol", "C2C", "alice's secret for carol")
        .await;
    let mut m = created(&bob, "alice", "C2C", "hijack").await;
    m["ID"] = secret["ID"].clone();
    let e = fails(&bob, "sendMessage", vec![m]).await;
    assert_eq!(e.code, 20001, "{e}");
    let leaked = format!("{} {:?}", e.message, e.data);
    assert!(
        !leaked.contains("secret"),
        "the refusal leaked the stored message: {leaked}"
    );
    let page = carol
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice"})],
        )
        .await;
    assert_eq!(
        page["messageList"][0]["payload"]["text"],
        json!("alice's secret for carol")
    );
    assert_eq!(page["messageList"][0]["from"], json!("alice"));

    // None of it reached alice; a good message from bob does.
    still_chatting_to(&bob, &mut alice, "fine").await;
    assert_eq!(alice.received_texts().await, Vec::<String>::new());
    assert_eq!(message_ids(&alice, "C2Cbob").await.len(), 1);

    // History is per pair: carol sees nothing of alice and bob's, not even by paging from
    // one of their message IDs.
    assert!(message_ids(&carol, "C2Cbob").await.is_empty());
    let theirs = message_ids(&alice, "C2Cbob").await;
    let e = fails(
        &carol,
        "getMessageList",
        vec![json!({"conversationID": "C2Cbob", "nextReqMessageID": theirs[0]})],
    )
    .await;
    assert_eq!(e.code, 10004, "{e}");
    assert!(e.data.is_none(), "{e:?}");
    let e = fails(
        &bob,
        "getMessageList",
        vec![json!({"conversationID": "C2Calice", "nextReqMessageID": secret["ID"]})],
    )
    .await;
    assert_eq!(e.code, 10004, "paging from another pair's message: {e}");
    assert!(!format!("{e:?}").contains("secret"), "{e:?}");

    // A recipient no userID can be is refused too.
    for to in ["x".repeat(129), "bad\nid".to_owned()] {
        let m = created(&bob, &to, "C2C", "to nobody").await;
        let e = fails(&bob, "sendMessage", vec![m]).await;
        assert_eq!(e.code, 10004, "to {to:?}: {e}");
    }
}

/// `from` sends `text` to `to`, who receives it.
async fn still_chatting_to(from: &Client, to: &mut Client, text: &str) {
    let sent = from.send_text(&to.user, "C2C", text).await;
    assert_eq!(sent["status"], json!("success"), "{sent}");
    to.wait_for("onMessageReceived", |d| {
        d.as_array()
            .into_iter()
            .flatten()
            .any(|m| m["payload"]["text"] == json!(text))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_conversations() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;

    let e = fails(&alice, "getConversationProfile", vec![json!("C2Cnobody")]).await;
    assert_eq!(e.code, 2500, "{e}");
    let e = fails(&alice, "getConversationProfile", vec![json!("xyz")]).await;
    assert_eq!(e.code, 2503, "{e}");
    let e = fails(&alice, "getConversationProfile", vec![json!("C2C")]).await;
    assert_eq!(e.code, 2503, "{e}");
    let e = fails(
        &alice,
        "setMessageRead",
        vec![json!({"conversationID": "C2Cnobody"})],
    )
    .await;
    assert_eq!(e.code, 2500, "{e}");
    let e = fails(
        &alice,
        "setMessageRead",
        vec![json!({"conversationID": "xyz"})],
    )
    .await;
    assert_eq!(e.code, 2503, "{e}");
    let e = fails(
        &alice,
        "getMessageList",
        vec![json!({"conversationID": "xyz"})],
    )
    .await;
    assert_eq!(e.code, 2503, "{e}");

    // Asking did not create anything.
    let list = alice.ok("getConversationList", vec![]).await;
    assert!(conversation_ids(&list).is_empty(), "{list}");
    assert!(message_ids(&alice, "C2Cnobody").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_before_login_fail_with_2024() {
    let server = Server::start();
    let mut alice = Client::new(&server, "alice");
    let m = created(&alice, "bob", "C2C", "too early").await;
    for (method, args) in [
        ("sendMessage", vec![m.clone()]),
        ("getConversationList", vec![]),
        ("getMessageList", vec![json!({"conversationID": "C2Cbob"})]),
        ("setMessageRead", vec![json!({"conversationID": "C2Cbob"})]),
        ("getConversationProfile", vec![json!("C2Cbob")]),
        ("getGroupList", vec![]),
    ] {
        let e = fails(&alice, method, args).await;
        assert_eq!(e.code, 2024, "{method}: {e}");
    }
    assert_eq!(alice.ok("getLoginUser", vec![]).await, json!(""));

    // Nothing was queued to go out later.
    alice.login_ready(&server).await;
    let mut bob = Client::login(&server, "bob").await;
    still_chatting(&alice, &mut bob, "now").await;
    assert_eq!(bob.received_texts().await, Vec::<String>::new());
    assert_eq!(message_ids(&bob, "C2Calice").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_frames_before_login_get_clear_errors() {
    let server = Server::start();
    let mut ws = raw_connect(&server).await;

    let r = ask(&mut ws, "garbage").await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(0), json!(400)),
        "{r}"
    );
    assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");

    let r = ask(&mut ws, r#"{"id": 3, "data": {}}"#).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(3), json!(400)),
        "no op: {r}"
    );

    let r = ask(&mut ws, r#"{"id": "seven", "op": "ping"}"#).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(0), json!(400)),
        "string id: {r}"
    );

    let r = ask(&mut ws, "[1, 2, 3]").await;
    assert_eq!(r["code"], json!(400), "array: {r}");

    ws.send(Frame::Binary(vec![0u8, 159, 146, 150].into()))
        .await
        .expect("send binary");
    let r = next_reply(&mut ws).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(0), json!(400)),
        "binary: {r}"
    );

    for (id, op) in [
        (4, "sendMessage"),
        (5, "getConversationList"),
        (6, "nosuchop"),
    ] {
        let r = ask(
            &mut ws,
            &json!({"id": id, "op": op, "data": {}}).to_string(),
        )
        .await;
        assert_eq!(
            (r["id"].clone(), r["code"].clone()),
            (json!(id), json!(2024)),
            "{op}: {r}"
        );
    }

    let bad_login = json!({"id": 7, "op": "login", "data": {"userID": "x", "userSig": "abc",
        "SDKAppID": server.app_id}});
    let r = ask(&mut ws, &bad_login.to_string()).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(7), json!(70003)),
        "{r}"
    );
    let r = ask(&mut ws, r#"{"id": 8, "op": "login", "data": 5}"#).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(8), json!(10004)),
        "{r}"
    );

    // The same connection can still log in and work.
    let r = ask(&mut ws, &login_frame(&server, 9, "x", "raw1")).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(9), json!(0)),
        "{r}"
    );
    let r = ask(&mut ws, r#"{"id": 10, "op": "ping"}"#).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(10), json!(0)),
        "{r}"
    );

    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    still_chatting(&alice, &mut bob, "server is fine").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_frames_after_login_get_clear_errors() {
    let server = Server::start();
    let mut bob = Client::login(&server, "bob").await;
    let mut ws = raw_login(&server, "x", "raw1").await;

    let r = ask(&mut ws, "garbage").await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(0), json!(400)),
        "{r}"
    );
    let r = ask(&mut ws, r#"{"id": 2}"#).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(2), json!(400)),
        "{r}"
    );
    ws.send(Frame::Binary(vec![1u8, 2, 3].into()))
        .await
        .expect("send binary");
    let r = next_reply(&mut ws).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(0), json!(400)),
        "binary: {r}"
    );

    let r = ask(&mut ws, r#"{"id": 3, "op": "noSuchOp", "data": {}}"#).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(3), json!(10004)),
        "{r}"
    );
    assert!(
        r["message"]
            .as_str()
            .is_some_and(|m| m.contains("noSuchOp")),
        "{r}"
    );

    let r = ask(&mut ws, &login_frame(&server, 4, "x", "raw1")).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(4), json!(2025)),
        "{r}"
    );

    let r = ask(
        &mut ws,
        r#"{"id": 5, "op": "sendMessage", "data": {"message": 5}}"#,
    )
    .await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(5), json!(10004)),
        "{r}"
    );

    // The server enforces the body limit and the system conversation itself.
    let big = text_message("raw-big", "bob", &"z".repeat(BODY_LIMIT + 1));
    let r = ask(
        &mut ws,
        &json!({"id": 6, "op": "sendMessage", "data": {"message": big}}).to_string(),
    )
    .await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(6), json!(80002)),
        "{r}"
    );
    let sys = text_message("raw-sys", "@TIM#SYSTEM", "hi");
    let r = ask(
        &mut ws,
        &json!({"id": 7, "op": "sendMessage", "data": {"message": sys}}).to_string(),
    )
    .await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(7), json!(2106)),
        "{r}"
    );
    let r = ask(
        &mut ws,
        r#"{"id": 8, "op": "getMessageList", "data": {"conversationID": "C2Cbob", "count": "x"}}"#,
    )
    .await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(8), json!(10004)),
        "{r}"
    );

    let r = ask(&mut ws, r#"{"id": 9, "op": "ping"}"#).await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(9), json!(0)),
        "{r}"
    );
    let ok = text_message("raw-ok", "bob", "from raw");
    let r = ask(
        &mut ws,
        &json!({"id": 10, "op": "sendMessage", "data": {"message": ok}}).to_string(),
    )
    .await;
    assert_eq!(
        (r["id"].clone(), r["code"].clone()),
        (json!(10), json!(0)),
        "{r}"
    );

    let got = bob.wait_event("onMessageReceived").await;
    let texts: Vec<&str> = got
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["payload"]["text"].as_str())
        .collect();
    assert_eq!(texts, vec!["from raw"], "only the good message arrives");
    let ids = message_ids(&bob, "C2Cx").await;
    assert_eq!(ids, vec!["raw-ok".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_close_only_that_connection() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let huge = "A".repeat(100 * 1024);

    // Before login.
    let mut ws = raw_connect(&server).await;
    // The server may close while the frame is still being written; that is fine.
    let _ = ws.send(Frame::Text(huge.clone().into())).await;
    expect_closed(&mut ws, "100 KB frame before login").await;

    // After login, as a well-formed request that is simply too big.
    let mut ws = raw_login(&server, "x", "raw1").await;
    let m = text_message("raw-huge", "bob", &huge);
    let frame = json!({"id": 2, "op": "sendMessage", "data": {"message": m}}).to_string();
    assert!(frame.len() > 64 * 1024);
    let _ = ws.send(Frame::Text(frame.into())).await;
    expect_closed(&mut ws, "100 KB frame after login").await;

    // The others never noticed; the refused user can come back.
    still_chatting(&alice, &mut bob, "still up").await;
    let mut x = Client::login(&server, "x").await;
    still_chatting_to(&bob, &mut x, "welcome back").await;
    assert_eq!(
        bob.received_texts().await,
        Vec::<String>::new(),
        "the huge message arrived"
    );
    let page = bob
        .ok("getMessageList", vec![json!({"conversationID": "C2Cx"})])
        .await;
    let texts: Vec<&str> = page["messageList"]
        .as_array()
        .expect("messageList")
        .iter()
        .filter_map(|m| m["payload"]["text"].as_str())
        .collect();
    assert_eq!(texts, vec!["welcome back"], "the huge message was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_cannot_set_server_fields() {
    let server = Server::start();
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut bob = Client::login(&server, "bob").await;
    let alice = Client::login(&server, "alice").await;
    let forged = json!({
        "from": "someoneelse", "sequence": 999, "isRevoked": true, "isPeerRead": true,
        "isDeleted": true, "isModified": true, "revoker": "admin", "hasRiskContent": true,
        "isBroadcastMessage": true, "time": 1, "status": "fail", "flow": "in",
        "conversationID": "C2Csomeoneelse",
    });

    // Through a raw socket, which sends whatever it likes.
    let mut ws = raw_login(&server, "x", "raw1").await;
    let mut m = text_message("raw-forged", "bob", "forged by x");
    for (k, v) in forged.as_object().expect("object") {
        m[k] = v.clone();
    }
    let r = ask(
        &mut ws,
        &json!({"id": 2, "op": "sendMessage", "data": {"message": m}}).to_string(),
    )
    .await;
    assert_eq!(r["code"], json!(0), "{r}");
    check_stored(&r["data"]["message"], "x", start);
    assert_eq!(r["data"]["message"]["conversationID"], json!("C2Cbob"));

    // Through the SDK, with the fields edited after createTextMessage.
    let mut m = created(&alice, "bob", "C2C", "forged by alice").await;
    for (k, v) in forged.as_object().expect("object") {
        m[k] = v.clone();
    }
    let sent = alice.ok("sendMessage", vec![m]).await;
    check_stored(&sent["message"], "alice", start);

    for (sender, text) in [("x", "forged by x"), ("alice", "forged by alice")] {
        let got = bob
            .wait_for("onMessageReceived", |d| {
                d.as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m["payload"]["text"] == json!(text))
            })
            .await;
        let m = got
            .as_array()
            .and_then(|l| l.iter().find(|m| m["payload"]["text"] == json!(text)))
            .expect("the message");
        check_stored(m, sender, start);
        assert_eq!(m["flow"], json!("in"));
        assert_eq!(m["conversationID"], json!(format!("C2C{sender}")));

        let page = bob
            .ok(
                "getMessageList",
                vec![json!({"conversationID": format!("C2C{sender}")})],
            )
            .await;
        let list = page["messageList"].as_array().expect("messageList");
        assert_eq!(list.len(), 1, "{page}");
        check_stored(&list[0], sender, start);
        assert_eq!(list[0]["sequence"], json!(1), "server assigns the sequence");
    }
    let convs = conversation_ids(&bob.ok("getConversationList", vec![]).await);
    assert!(!convs.contains(&"C2Csomeoneelse".to_owned()), "{convs:?}");
    let e = fails(
        &bob,
        "getConversationProfile",
        vec![json!("C2Csomeoneelse")],
    )
    .await;
    assert_eq!(e.code, 2500, "{e}");
}

/// A stored message carries the real sender and the server's own values.
fn check_stored(m: &Value, sender: &str, start: u64) {
    assert_eq!(m["from"], json!(sender), "{m}");
    assert_ne!(m["sequence"], json!(999), "{m}");
    assert_eq!(m["isRevoked"], json!(false), "{m}");
    assert_eq!(m["isPeerRead"], json!(false), "{m}");
    assert_eq!(m["isDeleted"], json!(false), "{m}");
    assert_eq!(m["isModified"], json!(false), "{m}");
    assert_eq!(m["revoker"], json!(""), "{m}");
    assert_eq!(m["hasRiskContent"], json!(false), "{m}");
    assert_eq!(m["isBroadcastMessage"], json!(false), "{m}");
    assert_eq!(m["status"], json!("success"), "{m}");
    assert!(
        m["time"].as_u64().is_some_and(|t| t >= start),
        "server time, not the client's: {m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_cannot_set_their_display_name_on_a_message() {
    // nick, avatar and nameCard are the sender's profile and group card as the server knows
    // them; a sender that could set them per message could pose as anyone in the UI.
    let server = Server::start();
    let mut bob = Client::login(&server, "bob").await;
    let alice = Client::login(&server, "alice").await;
    let mut m = created(&alice, "bob", "C2C", "it's me, your boss").await;
    m["nick"] = json!("The Boss");
    m["avatar"] = json!("https://evil.example/boss.png");
    m["nameCard"] = json!("Boss");
    let sent = alice.ok("sendMessage", vec![m]).await;
    let got = bob.wait_event("onMessageReceived").await;
    let page = bob
        .ok(
            "getMessageList",
            vec![json!({"conversationID": "C2Calice"})],
        )
        .await;
    for (what, m) in [
        ("sender's copy", &sent["message"]),
        ("delivered", &got[0]),
        ("stored", &page["messageList"][0]),
    ] {
        assert_eq!(m["from"], json!("alice"), "{what}: {m}");
        assert_ne!(
            m["nick"],
            json!("The Boss"),
            "{what}: forged nick kept: {m}"
        );
        assert_ne!(
            m["avatar"],
            json!("https://evil.example/boss.png"),
            "{what}: {m}"
        );
        assert_ne!(
            m["nameCard"],
            json!("Boss"),
            "{what}: forged nameCard kept: {m}"
        );
    }
    let conv = bob
        .ok("getConversationProfile", vec![json!("C2Calice")])
        .await;
    let last = &conv["conversation"]["lastMessage"];
    assert_ne!(last["nick"], json!("The Boss"), "{last}");
    assert_ne!(last["nameCard"], json!("Boss"), "{last}");
}
