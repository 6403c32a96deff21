//! TLS: the server serves wss:// and https:// (files, REST, health) with a certificate made
//! here by a test CA; SDK clients and the bridge that trust that CA log in, chat, upload and
//! download; without it, or with another CA, login fails with TLS_VERIFICATION_FAILED; plain
//! ws:// to the TLS port fails cleanly and the server keeps serving.

use pigeon_tests::{Bridge, Client, Server, WAIT};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// pigeon_sdk::tls::TLS_VERIFICATION_FAILED, spelled out as docs/errors.md has it.
const TLS_VERIFICATION_FAILED: u32 = 2806;

/// A test PKI in a temp dir: a CA, a server cert for 127.0.0.1/localhost it signed, and an
/// unrelated CA.
pub(crate) struct Pki {
    _dir: tempfile::TempDir,
    /// The CA that signed the server certificate (PEM).
    pub ca: PathBuf,
    /// Another CA (PEM).
    pub other_ca: PathBuf,
    /// The server's certificate (PEM).
    pub cert: PathBuf,
    /// The server's private key (PEM).
    pub key: PathBuf,
}

fn make_ca(name: &str) -> (rcgen::Issuer<'static, rcgen::KeyPair>, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let key = rcgen::KeyPair::generate().expect("CA key");
    let cert = params.self_signed(&key).expect("CA cert");
    (rcgen::Issuer::new(params, key), cert.pem())
}

impl Pki {
    /// Generates everything.
    pub(crate) fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let (issuer, ca_pem) = make_ca("Pigeon test CA");
        let (_, other_pem) = make_ca("Some other CA");
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("server params");
        let key = rcgen::KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &issuer).expect("server cert");
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).expect("write PEM");
            p
        };
        Pki {
            ca: write("ca.pem", &ca_pem),
            other_ca: write("other-ca.pem", &other_pem),
            cert: write("cert.pem", &cert.pem()),
            key: write("key.pem", &key.serialize_pem()),
            _dir: dir,
        }
    }

    /// A server with this certificate.
    pub(crate) fn server(&self) -> Server {
        let (cert, key) = (self.cert.to_string_lossy(), self.key.to_string_lossy());
        let s = Server::start_with(&["--tls-cert", &cert, "--tls-key", &key]);
        assert!(s.tls, "the server announces wss://");
        s
    }
}

/// One HTTPS exchange (Connection: close) verified with `ca`: status and body.
pub(crate) async fn https(
    addr: &str,
    ca: &Path,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let cfg = pigeon_sdk::tls::client_config(Some(ca)).map_err(|e| e.to_string())?;
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("IP name");
    let mut s = tokio_rustls::TlsConnector::from(Arc::clone(&cfg))
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(body).await.map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match tokio::time::timeout(WAIT, s.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
            // A peer that closes without close_notify ends the body all the same.
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err("no HTTPS reply in time".into()),
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no header block")?;
    let status = String::from_utf8_lossy(&raw[..split])
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no status")?;
    Ok((status, raw[split + 4..].to_vec()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_chat_and_https_files_with_a_custom_ca() {
    let pki = Pki::new();
    let server = pki.server();
    let url = server.url();
    assert!(url.starts_with("wss://"), "{url}");
    let mut alice = Client::with_ca(&server, "alice", &url, Some(pki.ca.clone()));
    alice.login_ready(&server).await;
    let mut bob = Client::with_ca(&server, "bob", &url, Some(pki.ca.clone()));
    bob.login_ready(&server).await;

    alice.send_text("bob", "C2C", "over TLS").await;
    bob.wait_text("over TLS").await;

    // A file message: the SDK uploads over https:// with a ticket; bob downloads it.
    let content: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    use base64::Engine as _;
    let m = alice
        .ok(
            "createFileMessage",
            vec![
                json!({"to": "bob", "conversationType": "C2C", "payload": {"file": {
                "base64": base64::engine::general_purpose::STANDARD.encode(&content),
                "name": "tls.bin"}}}),
            ],
        )
        .await;
    let id = m["ID"].as_str().expect("ID").to_owned();
    alice.ok("sendMessage", vec![m]).await;
    let want = id.clone();
    let got = bob
        .wait_for("onMessageReceived", move |d| {
            d.as_array()
                .is_some_and(|l| l.iter().any(|m| m["ID"] == want.as_str()))
        })
        .await;
    let msg = got
        .as_array()
        .and_then(|l| l.iter().find(|m| m["ID"] == id.as_str()).cloned())
        .expect("the file message");
    let file_url = msg["payload"]["fileUrl"].as_str().expect("fileUrl");
    let path = file_url
        .strip_prefix(&format!("https://{}", server.addr))
        .unwrap_or_else(|| panic!("an https URL of this server: {file_url}"));
    let (status, body) = https(&server.addr, &pki.ca, "GET", path, b"")
        .await
        .expect("download over https");
    assert_eq!(status, 200);
    assert_eq!(body, content, "downloaded bytes are the uploaded ones");

    // The REST API and the health check are on https:// too.
    let (status, body) = https(&server.addr, &pki.ca, "GET", "/healthz", b"")
        .await
        .expect("healthz over https");
    assert_eq!((status, body.as_slice()), (200, &b"ok\n"[..]));
    let q = format!(
        "/v4/profile/portrait_get?sdkappid={}&identifier=administrator&usersig={}&random=1&contenttype=json",
        server.app_id,
        server.sig("administrator")
    );
    let (status, body) = https(
        &server.addr,
        &pki.ca,
        "POST",
        &q,
        json!({"To_Account": ["alice"], "TagList": ["Tag_Profile_IM_Nick"]})
            .to_string()
            .as_bytes(),
    )
    .await
    .expect("REST over https");
    let reply: Value = serde_json::from_slice(&body).expect("REST JSON");
    assert_eq!(
        (status, reply["ErrorCode"].clone()),
        (200, json!(0)),
        "{reply}"
    );

    // The same download verified with another CA is refused by the client.
    let wrong = https(&server.addr, &pki.other_ca, "GET", path, b"").await;
    assert!(wrong.is_err(), "a wrong CA must not verify: {wrong:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unverified_servers_and_plain_clients_are_refused_cleanly() {
    let pki = Pki::new();
    let server = pki.server();
    let url = server.url();
    let sig = server.sig("carol");

    // The public roots (no CA given) and an unrelated CA: login fails with the TLS code.
    for ca in [None, Some(pki.other_ca.clone())] {
        let c = Client::with_ca(&server, "carol", &url, ca.clone());
        let e = c
            .chat
            .login("carol", &sig)
            .await
            .expect_err("an unverified server must not be logged in to");
        assert_eq!(e.code, TLS_VERIFICATION_FAILED, "CA {ca:?}: {e}");
        assert!(e.message.contains("TLS verification failed"), "{e}");
    }

    // A CA file that is not a certificate: a clear argument error, not a panic.
    let junk = pki.cert.with_file_name("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("write junk");
    let c = Client::with_ca(&server, "carol", &url, Some(junk));
    let e = c.chat.login("carol", &sig).await.expect_err("junk CA");
    assert_eq!(e.code, 2905, "{e}");

    // Plain ws:// to the TLS port: a network error, promptly.
    let plain = url.replacen("wss://", "ws://", 1);
    let c = Client::with_ca(&server, "carol", &plain, Some(pki.ca.clone()));
    let e = tokio::time::timeout(WAIT, c.chat.login("carol", &sig))
        .await
        .expect("a plain client is answered in time")
        .expect_err("plain ws:// to a TLS port");
    assert_eq!(e.code, 2800, "{e}");

    // A client that connects and never starts its handshake holds up nobody.
    let _silent = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connect");
    let mut ok = Client::with_ca(&server, "carol", &url, Some(pki.ca.clone()));
    ok.login_ready(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_trusts_its_ca_file() {
    let pki = Pki::new();
    let server = pki.server();
    let ca = pki.ca.to_string_lossy().into_owned();
    let mut b = Bridge::start(&server, &["--ca-file", &ca]);
    b.ok(
        "login",
        json!([{"userID": "dan", "userSig": server.sig("dan")}]),
    );
    b.wait_event("sdkStateReady");
    let mut erin = Client::with_ca(&server, "erin", &server.url(), Some(pki.ca.clone()));
    erin.login_ready(&server).await;
    let m = b.ok(
        "createTextMessage",
        json!([{"to": "erin", "conversationType": "C2C", "payload": {"text": "bridge over TLS"}}]),
    );
    b.ok("sendMessage", json!([m]));
    erin.wait_text("bridge over TLS").await;

    // Without the CA the bridge's login fails with the TLS code.
    let mut nob = Bridge::start(&server, &[]);
    let r = nob.request(
        "login",
        json!([{"userID": "dan2", "userSig": server.sig("dan2")}]),
    );
    assert_eq!(r["code"], json!(TLS_VERIFICATION_FAILED), "{r}");
}
