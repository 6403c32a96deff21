//! UserSigs against the live server: sigs from the independent TLSSigAPIv2 generator on PyPI
//! (tests/tools/gen_usersig.py) and its recorded vectors log in or are refused for the right
//! reason, `pigeon-server usersig` output logs in, and every refusal has its own code and
//! leaves the client logged out.

use pigeon_sdk::{Chat, ChatOptions, Event, ImError};
use pigeon_server::usersig::generate;
use pigeon_tests::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use tokio::sync::mpsc::UnboundedReceiver;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A UserSig made by the reference TLSSigAPIv2 implementation (PyPI `tls-sig-api-v2`).
fn python_sig(app_id: u64, key: &str, user: &str, expire: u64) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/gen_usersig.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([&app_id.to_string(), key, user, &expire.to_string()])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 ({e}): the UserSig tests need python3 with the reference \
                 generator, `pip install tls-sig-api-v2`"
            )
        });
    assert!(
        out.status.success(),
        "{} failed ({}): {}\nthe UserSig tests need `pip install tls-sig-api-v2`",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let sig = String::from_utf8(out.stdout)
        .expect("UTF-8 sig")
        .trim()
        .to_owned();
    assert!(!sig.is_empty(), "gen_usersig.py printed nothing");
    sig
}

/// The recorded reference vectors.
fn vectors() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/server/tests/data/usersig-vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("vectors JSON");
    doc["vectors"].as_array().expect("vectors array").clone()
}

/// `pigeon-server serve` with its credentials from `PIGEON_SDK_APP_ID`/`PIGEON_SECRET_KEY`
/// (the [`Server`] fixture clears those).
struct EnvServer {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
    /// What it printed before `listening on`.
    printed: Vec<String>,
}

impl EnvServer {
    fn start(app_id: u64, key: &str) -> EnvServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let addr = format!("127.0.0.1:{}", free_port());
        let mut child = Command::new(bin("pigeon-server"))
            .args(["serve", "--listen", &addr, "--data-dir"])
            .arg(dir.path())
            .env("PIGEON_LOG", "warn")
            .env("PIGEON_SDK_APP_ID", app_id.to_string())
            .env("PIGEON_SECRET_KEY", key)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn pigeon-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads every line, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = EnvServer {
            child,
            url: format!("ws://{addr}"),
            dir,
            printed: vec![],
        };
        let printed = &mut server.printed;
        loop {
            let line = rx.recv_timeout(WAIT).unwrap_or_else(|_| {
                panic!("pigeon-server did not start listening; printed {printed:?}")
            });
            if line.starts_with("listening on ws://") {
                break;
            }
            printed.push(line);
        }
        assert!(
            printed.contains(&format!("SDKAppID {app_id}")),
            "{printed:?}"
        );
        server
    }
}

impl Drop for EnvServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An SDK instance outside the [`Client`] fixture (which needs a fixture [`Server`]).
struct Sdk {
    chat: Chat,
    events: UnboundedReceiver<Event>,
    _cache: tempfile::TempDir,
}

impl Sdk {
    fn new(url: &str, app_id: u64) -> Sdk {
        let cache = tempfile::tempdir().expect("tempdir");
        let chat = Chat::create(ChatOptions {
            server_url: url.to_owned(),
            sdk_app_id: app_id,
            data_dir: cache.path().to_path_buf(),
            platform: "web".into(),
        });
        let events = chat.subscribe();
        Sdk {
            chat,
            events,
            _cache: cache,
        }
    }

    /// Logs in and waits for SDK_READY.
    async fn login_ready(&mut self, user: &str, sig: &str) {
        let r = self.chat.login(user, sig).await;
        let r = r.unwrap_or_else(|e| panic!("{user}: login refused: {e}"));
        assert_eq!(r["repeatLogin"], json!(false), "{r}");
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let e = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("{user}: no sdkStateReady within {WAIT:?}"))
                .expect("event stream open");
            if e.name == "sdkStateReady" {
                break;
            }
        }
        assert_eq!(self.chat.get_login_user(), user);
    }

    /// A login that must be refused; returns the error after checking nothing is logged in.
    async fn refused(&mut self, user: &str, sig: &str) -> ImError {
        let e = match self.chat.login(user, sig).await {
            Ok(v) => panic!("{user}: login with a bad sig succeeded: {v}"),
            Err(e) => e,
        };
        assert_logged_out(&self.chat, &e);
        while let Ok(ev) = self.events.try_recv() {
            assert_ne!(
                ev.name, "sdkStateReady",
                "SDK_READY after a refused login ({e})"
            );
        }
        e
    }
}

fn assert_logged_out(chat: &Chat, after: &ImError) {
    assert_eq!(chat.get_login_user(), "", "logged in after refusal {after}");
    assert!(!chat.is_ready(), "ready after refusal {after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigs_from_the_reference_generator_log_in() {
    let server = Server::start();
    let mut clients = vec![];
    for user in ["alice", "用户_7", "user.with-marks@example"] {
        let sig = python_sig(server.app_id, &server.key, user, 86_400);
        let mut c = Client::new(&server, user);
        c.chat
            .login(user, &sig)
            .await
            .unwrap_or_else(|e| panic!("{user}: {e}"));
        c.wait_event("sdkStateReady").await;
        assert_eq!(c.ok("getLoginUser", vec![]).await, json!(user));
        clients.push(c);
    }
    // The sessions are real: a message crosses between two of them.
    let text = "hello from a python-made sig";
    clients[0].send_text("用户_7", "C2C", text).await;
    let got = clients[1]
        .wait_for("onMessageReceived", |d| {
            d[0]["payload"]["text"] == json!(text)
        })
        .await;
    assert_eq!(got[0]["from"], json!("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_vectors_on_a_server_with_env_credentials() {
    let vectors = vectors();
    let v0 = &vectors[0];
    let app_id = v0["SDKAppID"].as_u64().expect("SDKAppID");
    let key = v0["secretKey"].as_str().expect("secretKey");
    let server = EnvServer::start(app_id, key);
    assert!(
        !server.dir.path().join("credentials.json").exists(),
        "credentials from the environment must not be written to disk"
    );
    let now = unix_now();

    // The vectors of this app: valid until time + expire, refused with 70001 after it.
    let mut same_app = 0;
    for v in vectors
        .iter()
        .filter(|v| v["SDKAppID"] == v0["SDKAppID"] && v["secretKey"] == v0["secretKey"])
    {
        same_app += 1;
        let user = v["userID"].as_str().expect("userID");
        let sig = v["userSig"].as_str().expect("userSig");
        let until = v["time"].as_u64().expect("time") + v["expire"].as_u64().expect("expire");
        let mut sdk = Sdk::new(&server.url, app_id);
        if now >= until {
            let e = sdk.refused(user, sig).await;
            assert_eq!(e.code, 70001, "vector for {user}, expired at {until}: {e}");
        } else {
            sdk.login_ready(user, sig).await;
        }
        // Whether expired or not, it is never good for someone else.
        let e = Sdk::new(&server.url, app_id).refused("mallory", sig).await;
        assert_eq!(e.code, 70013, "vector for {user} used by mallory: {e}");
    }
    assert!(same_app >= 1);
    // Vector 0 is expired in real time (2025-11-25), so the 70001 path above did run.
    assert!(now >= 1_764_000_000 + 86_400);

    // A vector of another app and key: its signature cannot verify with this key.
    for v in vectors.iter().filter(|v| v["secretKey"] != v0["secretKey"]) {
        let user = v["userID"].as_str().expect("userID");
        let e = Sdk::new(&server.url, app_id)
            .refused(user, v["userSig"].as_str().expect("userSig"))
            .await;
        assert_eq!(e.code, 70009, "foreign vector for {user}: {e}");
    }

    // Fresh sigs for this app and key: from the reference generator and from the CLI.
    let mut alice = Sdk::new(&server.url, app_id);
    alice
        .login_ready("alice", &python_sig(app_id, key, "alice", 3600))
        .await;
    let out = Command::new(bin("pigeon-server"))
        .args(["usersig", "--user", "bob", "--data-dir"])
        .arg(server.dir.path())
        .env("PIGEON_SDK_APP_ID", app_id.to_string())
        .env("PIGEON_SECRET_KEY", key)
        .output()
        .expect("run pigeon-server usersig");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned();
    let mut bob = Sdk::new(&server.url, app_id);
    bob.login_ready("bob", &sig).await;
}

fn cli_usersig(data_dir: &Path, user: &str) -> std::process::Output {
    Command::new(bin("pigeon-server"))
        .args(["usersig", "--user", user, "--data-dir"])
        .arg(data_dir)
        .env_remove("PIGEON_SDK_APP_ID")
        .env_remove("PIGEON_SECRET_KEY")
        .output()
        .expect("run pigeon-server usersig")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_usersig_logs_in() {
    let server = Server::start();
    let out = cli_usersig(&server.dir, "alice");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned();
    let mut alice = Client::new(&server, "alice");
    alice
        .chat
        .login("alice", &sig)
        .await
        .expect("login with the CLI's sig");
    alice.wait_event("sdkStateReady").await;
    // It is alice's sig only.
    let e = Client::new(&server, "bob")
        .chat
        .login("bob", &sig)
        .await
        .expect_err("not bob's");
    assert_eq!(e.code, 70013, "{e}");

    // Bad uses fail with a message instead of printing a sig.
    let out = cli_usersig(&server.dir, "");
    assert!(
        !out.status.success(),
        "usersig for an empty user printed {:?}",
        out.stdout
    );
    let empty = tempfile::tempdir().expect("tempdir");
    let out = cli_usersig(empty.path(), "alice");
    assert!(
        !out.status.success(),
        "usersig without credentials printed {:?}",
        out.stdout
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("credentials"), "unclear error: {err}");
    assert!(
        !empty.path().join("credentials.json").exists(),
        "usersig created credentials"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_sigs_have_their_own_codes_and_leave_the_client_logged_out() {
    let server = Server::start();
    let (app, key) = (server.app_id, server.key.as_str());
    let now = unix_now();
    let cases: Vec<(&str, &str, String, u32)> = vec![
        (
            "wrong key",
            "alice",
            generate(app, "not-the-key", "alice", 86_400, now),
            70009,
        ),
        (
            "wrong key, reference generator",
            "alice",
            python_sig(app, "not-the-key", "alice", 86_400),
            70009,
        ),
        (
            "another SDKAppID",
            "alice",
            generate(app + 1, key, "alice", 86_400, now),
            70014,
        ),
        ("another user", "alice", server.sig("bob"), 70013),
        (
            "expired",
            "alice",
            generate(app, key, "alice", 10, now - 100),
            70001,
        ),
        ("garbage", "alice", "abc".to_owned(), 70003),
        ("empty sig", "alice", String::new(), 2003),
        ("empty user", "", server.sig("alice"), 2002),
    ];
    let mut c = Client::new(&server, "alice");
    for (what, user, sig, code) in &cases {
        let e = match c.chat.login(user, sig).await {
            Ok(v) => panic!("{what}: login succeeded: {v}"),
            Err(e) => e,
        };
        assert_eq!(e.code, *code, "{what}: {e}");
        assert!(!e.message.is_empty(), "{what}: no message");
        assert_logged_out(&c.chat, &e);
        assert_eq!(c.ok("getLoginUser", vec![]).await, json!(""), "{what}");
        let err = c
            .call("getConversationList", vec![])
            .await
            .expect_err("logged out");
        assert_eq!(err.code, 2024, "{what}: {err}");
    }
    assert!(
        !c.names().contains(&"sdkStateReady".to_owned()),
        "{:?}",
        c.names()
    );

    // An instance made for another SDKAppID is refused even with a sig for that app.
    let mut other = Sdk::new(&server.url(), app + 1);
    let e = other
        .refused("alice", &generate(app + 1, key, "alice", 86_400, now))
        .await;
    assert_eq!(e.code, 70014, "{e}");

    // None of the refusals left anything behind: the same instance logs in normally.
    c.login_ready(&server).await;
    assert_eq!(c.ok("getLoginUser", vec![]).await, json!("alice"));
}

#[test]
fn env_credentials_are_not_reported_as_a_file() {
    // "prints where they are": with the environment's credentials there is no file to point at.
    let server = EnvServer::start(1_400_000_001, "a-key-from-the-environment");
    assert!(!server.dir.path().join("credentials.json").exists());
    for line in &server.printed {
        assert!(
            !line.contains("credentials.json"),
            "points at a credentials file that does not exist: {line:?} (all: {:?})",
            server.printed
        );
    }
    assert!(
        server
            .printed
            .iter()
            .any(|l| l.contains("PIGEON_SDK_APP_ID")),
        "does not say the credentials come from the environment: {:?}",
        server.printed
    );
}
