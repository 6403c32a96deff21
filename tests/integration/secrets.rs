//! Secrets never reach the logs: a server and a bridge both at `PIGEON_LOG=trace`, through a
//! whole session (logins, messages, a file upload with a ticket and one with a UserSig
//! header, a REST call with the admin UserSig in its query, dev sign-in, a refused login),
//! and neither log holds the secret key, any UserSig or an upload ticket.

use crate::authz::Raw;
use pigeon_tests::{Bridge, Client, Server};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A raw HTTP/1.1 request (Connection: close); the reply's body.
async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.expect("send");
    s.write_all(body).await.expect("send body");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_trace_logs() {
    let logs = tempfile::tempdir().expect("tempdir");
    let (server_log, bridge_log) = (
        logs.path().join("server.log"),
        logs.path().join("bridge.log"),
    );
    let server = Server::start_logged(&["--dev-sign-in"], &server_log);
    let mut secrets: Vec<(String, String)> = vec![("secret key".into(), server.key.clone())];

    // The bridge logs in (its UserSig crosses its stdin and the WebSocket) and sends.
    let mut b = Bridge::start_logged(&server, &[], &bridge_log);
    let alice_sig = server.sig("alice");
    secrets.push(("alice's UserSig".into(), alice_sig.clone()));
    b.ok("login", json!([{"userID": "alice", "userSig": alice_sig}]));
    b.wait_event("sdkStateReady");
    let mut bob = Client::login(&server, "bob").await;
    let m = b.ok(
        "createTextMessage",
        json!([{"to": "bob", "conversationType": "C2C", "payload": {"text": "hello bob"}}]),
    );
    b.ok("sendMessage", json!([m]));
    bob.wait_text("hello bob").await;
    // A file message through the bridge: the SDK asks for a ticket and uploads with it.
    let f = b.ok(
        "createFileMessage",
        json!([{"to": "bob", "conversationType": "C2C",
                "payload": {"file": {"base64": "aGVsbG8gZmlsZQ==", "name": "a.txt"}}}]),
    );
    b.ok("sendMessage", json!([f]));
    secrets.push(("bob's UserSig".into(), server.sig("bob")));

    // A ticket of our own, used for an upload, and an upload authenticated by UserSig header.
    let mut raw = Raw::login(&server, "carol").await;
    let t = raw.call("uploadTicket", json!({})).await;
    let ticket = t["data"]["ticket"].as_str().expect("ticket").to_owned();
    secrets.push(("upload ticket".into(), ticket.clone()));
    let up = http(
        &server.addr,
        "POST",
        &format!("/files/{}/file", server.app_id),
        &[("X-Pigeon-Ticket", &ticket)],
        b"ticket upload",
    )
    .await;
    assert!(up.contains("sha256"), "ticket upload: {up}");
    let carol_sig = server.sig("carol");
    secrets.push(("carol's UserSig".into(), carol_sig.clone()));
    let up = http(
        &server.addr,
        "POST",
        &format!("/files/{}/file?usersig={carol_sig}", server.app_id),
        &[("X-Pigeon-User", "carol"), ("X-Pigeon-UserSig", &carol_sig)],
        b"usersig upload",
    )
    .await;
    assert!(up.contains("sha256"), "UserSig upload: {up}");

    // REST with the admin UserSig in the query, and one refused (wrong sig) that gets logged.
    let admin_sig = server.sig("administrator");
    secrets.push(("admin UserSig".into(), admin_sig.clone()));
    let q = format!(
        "/v4/profile/portrait_get?sdkappid={}&identifier=administrator&usersig={admin_sig}&random=7&contenttype=json",
        server.app_id
    );
    let r = server
        .rest_raw(
            &q,
            &json!({"To_Account": ["alice"], "TagList": ["Tag_Profile_IM_Nick"]}).to_string(),
        )
        .await;
    assert_eq!(r["ErrorCode"], 0, "{r}");
    let bad_sig = server.sig("alice");
    let q = format!(
        "/v4/profile/portrait_get?sdkappid={}&identifier=administrator&usersig={bad_sig}&random=8",
        server.app_id
    );
    let r = server.rest_raw(&q, "{}").await;
    assert_ne!(r["ErrorCode"], 0, "{r}");

    // Dev sign-in hands out a UserSig.
    let body = http(&server.addr, "GET", "/dev/usersig?userID=dave", &[], b"").await;
    let dev: Value = serde_json::from_str(&body).expect("dev sign-in JSON");
    let dev_sig = dev["userSig"].as_str().expect("userSig").to_owned();
    secrets.push(("dev sign-in UserSig".into(), dev_sig.clone()));
    let mut dave = Client::new(&server, "dave");
    dave.chat
        .login("dave", &dev_sig)
        .await
        .expect("dev sig logs in");
    dave.wait_event("sdkStateReady").await;

    // A refused login (a sig of someone else) is logged as refused, without the sig.
    let eve_sig = server.sig("eve");
    secrets.push(("eve's UserSig".into(), eve_sig.clone()));
    let (_, reply) = Raw::connect(
        &server.url(),
        json!({"userID": "mallory", "userSig": eve_sig, "SDKAppID": server.app_id}),
    )
    .await;
    assert_ne!(reply["code"], 0);

    // Both processes wrote plenty (trace), and none of it is a secret.
    drop(b);
    drop(server);
    for (name, path, min_lines) in [("server", &server_log, 10), ("bridge", &bridge_log, 1)] {
        let log = std::fs::read_to_string(path).expect("read log");
        assert!(
            log.lines().count() >= min_lines,
            "the {name} logged at trace: {log}"
        );
        for (what, s) in &secrets {
            assert!(
                !log.contains(s.as_str()),
                "the {name} log holds the {what}: {}",
                log.lines()
                    .find(|l| l.contains(s.as_str()))
                    .unwrap_or_default()
            );
        }
    }
}
