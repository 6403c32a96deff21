//! The desktop app end to end: the real Tauri window under Xvfb, driven over WebDriver by
//! tauri-driver and Debian's WebKitWebDriver, against a real server, with a `pigeon bridge`
//! playing the other user.
//!
//! Needs a display (scripts/test.sh wraps it in `xvfb-run` and `dbus-run-session`), the app
//! binary (`pigeon-desktop`, next to the other binaries or at `$PIGEON_DESKTOP_BIN`) and
//! `tauri-driver` on PATH. With `PIGEON_SCREENSHOTS=DIR` it saves the main screens there.

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use pigeon_tests::{bin, free_port, Bridge, Server};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one step may take before the test fails.
const STEP: Duration = Duration::from_secs(30);

/// A running tauri-driver; SIGTERM on drop, so it takes WebKitWebDriver and the app with it.
struct Driver {
    child: Child,
    port: u16,
    _home: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
        let home = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let native = free_port();
        let child = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            // A fresh data dir: no remembered account, no cache from an earlier run.
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("XDG_DOWNLOAD_DIR", home.path().join("downloads"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("PIGEON_E2E_VERBOSE").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("tauri-driver on PATH (cargo install tauri-driver --locked)");
        Driver {
            child,
            port,
            _home: home,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A notification server on the test's session bus and display, so the app's notifications are
/// real D-Bus notifications that `dunstctl` can click.
struct Dunst(Child);

impl Dunst {
    fn start() -> Dunst {
        let child = Command::new("dunst")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dunst on PATH (apt-get install dunst)");
        // It owns org.freedesktop.Notifications once `dunstctl` can talk to it.
        let deadline = Instant::now() + STEP;
        while !Command::new("dunstctl")
            .arg("is-paused")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(Instant::now() < deadline, "dunst did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        Dunst(child)
    }

    /// Clicks the newest notification (its default action).
    fn click(&self) {
        let ok = Command::new("dunstctl")
            .args(["action", "0"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "dunstctl action failed");
    }
}

impl Drop for Dunst {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Another X client taking the input focus, as when the user switches to another app.
struct OtherApp(Child);

impl OtherApp {
    fn focus() -> OtherApp {
        let child = Command::new("xmessage")
            .args(["-title", "pigeon-e2e-other-app", "another app"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xmessage on PATH (apt-get install x11-utils)");
        let ok = Command::new("xdotool")
            .args([
                "search",
                "--sync",
                "--name",
                "^pigeon-e2e-other-app$",
                "windowfocus",
                "--sync",
            ])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "xdotool could not focus the other window");
        OtherApp(child)
    }
}

impl Drop for OtherApp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn app_binary() -> PathBuf {
    match std::env::var_os("PIGEON_DESKTOP_BIN") {
        Some(p) => PathBuf::from(p),
        None => bin("pigeon-desktop"),
    }
}

/// Opens a WebDriver session on the app, retrying while tauri-driver starts.
async fn connect(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        json!({ "application": app_binary() }),
    );
    caps.insert("browserName".into(), json!("wry"));
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = Instant::now() + STEP;
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no WebDriver session from tauri-driver: {e}"),
        }
    }
}

/// Waits for the element at `css`.
async fn find(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(STEP)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} within {STEP:?}: {e}"))
}

/// Waits until `check` holds, polling.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + STEP;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Text of the element at `css`, or "" when there is none.
async fn text_of(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Runs an app command the way the UI does (Tauri IPC) and returns its value.
async fn app_command(c: &Client, command: &str) -> Value {
    let script = format!(
        "const done = arguments[arguments.length - 1];\
         window.__TAURI_INTERNALS__.invoke({command:?}).then(done, (e) => done({{error: e}}));"
    );
    c.execute_async(&script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{command}: {e}"))
}

async fn screenshot(c: &Client, name: &str) {
    let Some(dir) = std::env::var_os("PIGEON_SCREENSHOTS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// Blocks on the bridge without stalling the runtime's other tasks.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn bridge_login(server: &Server, user: &str) -> Bridge {
    let mut b = Bridge::start(server, &[]);
    b.ok(
        "login",
        json!([{ "userID": user, "userSig": server.sig(user) }]),
    );
    b.wait_event("sdkStateReady");
    b
}

fn bridge_send_text(b: &mut Bridge, to: &str, text: &str) {
    let m = b.ok(
        "createTextMessage",
        json!([{ "to": to, "conversationType": "C2C", "payload": { "text": text } }]),
    );
    b.ok("sendMessage", json!([m]));
}

/// Waits for a message from `from` at the bridge matching `pred`.
fn bridge_wait_message(b: &mut Bridge, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let line = b.wait_line(what, |v| {
        v["event"] == "onMessageReceived"
            && v["data"].as_array().is_some_and(|ms| ms.iter().any(&pred))
    });
    line["data"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| pred(m)).cloned())
        .expect("the matching message")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop app, a display and tauri-driver: scripts/test.sh runs it under Xvfb"]
async fn sign_in_chat_with_a_bridge_send_a_file_and_watch_the_unread_counts() {
    let dunst = Dunst::start();
    let server = Server::start_with(&["--dev-sign-in"]);
    let mut bob = blocking(|| bridge_login(&server, "bob"));
    let driver = Driver::start();
    let c = connect(&driver).await;

    // Sign in as alice with the server's dev sign-in.
    let server_field = find(&c, "[data-testid=signin-server]").await;
    screenshot(&c, "sign-in").await;
    server_field.clear().await.expect("clear server");
    server_field
        .send_keys(&server.url())
        .await
        .expect("type server");
    find(&c, "[data-testid=signin-user]")
        .await
        .send_keys("alice")
        .await
        .expect("type user");
    find(&c, "[data-testid=signin-dev]")
        .await
        .click()
        .await
        .expect("dev sign-in");
    find(&c, "[data-testid=main]").await;

    // Alice switches to another app; bob writes. Her list shows the conversation with one
    // unread, and so does the tray.
    let other = blocking(OtherApp::focus);
    blocking(|| bridge_send_text(&mut bob, "alice", "hello from the bridge"));
    let row = "[data-testid=conv-item][data-conversation-id=C2Cbob]";
    find(&c, row).await;
    until("an unread badge of 1", || async {
        text_of(&c, &format!("{row} [data-testid=unread-badge]")).await == "1"
    })
    .await;
    until("the tray to count 1 unread", || async {
        app_command(&c, "app_tray_state").await["unread"] == 1
    })
    .await;
    assert_eq!(text_of(&c, "[data-testid=total-unread]").await, "1");
    let tray = app_command(&c, "app_tray_state").await;
    assert_eq!(tray["tooltip"], "Pigeon — 1 unread message", "{tray}");
    screenshot(&c, "conversation-list").await;

    // The window is not focused, so bob's message raised a native notification; clicking it
    // brings the window back with the conversation open, which reads it.
    until("a native notification", || async {
        app_command(&c, "app_tray_state").await["notifications"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    })
    .await;
    blocking(|| dunst.click());
    drop(other);
    find(&c, "[data-testid=chat-view][data-conversation-id=C2Cbob]").await;
    until("bob's message in the chat view", || async {
        text_of(
            &c,
            "[data-testid=message][data-flow=in] [data-testid=message-text]",
        )
        .await
            == "hello from the bridge"
    })
    .await;
    until("the unread badge to go", || async {
        c.find(Locator::Css(&format!("{row} [data-testid=unread-badge]")))
            .await
            .is_err()
    })
    .await;
    until("the tray to count 0 unread", || async {
        app_command(&c, "app_tray_state").await["unread"] == 0
    })
    .await;

    // Alice replies with Enter; the bridge gets it.
    let input = find(&c, "[data-testid=composer-input]").await;
    input
        .send_keys("hi bob, from the desktop")
        .await
        .expect("type reply");
    input.send_keys("\u{E007}").await.expect("press Enter");
    let reply = blocking(|| {
        bridge_wait_message(&mut bob, "alice's reply", |m| {
            m["payload"]["text"] == "hi bob, from the desktop"
        })
    });
    assert_eq!(reply["from"], "alice");
    until("the reply in alice's chat view", || async {
        let rows = c
            .find_all(Locator::Css(
                "[data-testid=message][data-flow=out] [data-testid=message-text]",
            ))
            .await
            .unwrap_or_default();
        for r in rows {
            if r.text().await.unwrap_or_default() == "hi bob, from the desktop" {
                return true;
            }
        }
        false
    })
    .await;
    screenshot(&c, "chat").await;

    // A file through the drag-and-drop handler's code path arrives at the bridge whole.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.txt");
    let content = "quarterly numbers\n".repeat(2000);
    std::fs::write(&path, &content).expect("write file");
    let script = "const done = arguments[arguments.length - 1];\
                  window.pigeonTest.sendPaths(arguments[0], [arguments[1]])\
                    .then(() => done(true), (e) => done({error: String(e && e.message || e)}));";
    let sent = c
        .execute_async(script, vec![json!("C2Cbob"), json!(path.to_string_lossy())])
        .await
        .expect("sendPaths");
    assert_eq!(sent, json!(true), "sendPaths failed: {sent}");
    let file = blocking(|| {
        bridge_wait_message(&mut bob, "the file message", |m| m["type"] == "TIMFileElem")
    });
    assert_eq!(file["payload"]["fileName"], "report.txt");
    assert_eq!(file["payload"]["fileSize"], content.len());
    find(&c, "[data-testid=file-card]").await;
    screenshot(&c, "file-sent").await;

    // A second message while the chat is open does not stay unread.
    blocking(|| bridge_send_text(&mut bob, "alice", "got it, thanks"));
    until("bob's second message", || async {
        let rows = c
            .find_all(Locator::Css(
                "[data-testid=message][data-flow=in] [data-testid=message-text]",
            ))
            .await
            .unwrap_or_default();
        for r in rows {
            if r.text().await.unwrap_or_default() == "got it, thanks" {
                return true;
            }
        }
        false
    })
    .await;
    until("the tray to stay at 0", || async {
        app_command(&c, "app_tray_state").await["unread"] == 0
    })
    .await;

    // The other main screens.
    find(&c, "[data-testid=rail-contacts]")
        .await
        .click()
        .await
        .expect("contacts tab");
    find(&c, "[data-testid=contacts]").await;
    screenshot(&c, "contacts").await;
    find(&c, "[data-testid=rail-settings]")
        .await
        .click()
        .await
        .expect("settings tab");
    find(&c, "[data-testid=settings]").await;
    screenshot(&c, "settings").await;

    // Alice signs in on another desktop: this window is kicked out and says why.
    let mut alice_elsewhere = blocking(|| Bridge::start(&server, &["--platform", "desktop"]));
    blocking(|| {
        alice_elsewhere.ok(
            "login",
            json!([{ "userID": "alice", "userSig": server.sig("alice") }]),
        )
    });
    find(&c, "[data-testid=kicked-dialog]").await;
    screenshot(&c, "kicked-out").await;
    until("the tray to be reset", || async {
        app_command(&c, "app_tray_state").await["unread"] == 0
    })
    .await;

    c.close().await.expect("end the session");
    drop(driver);
}
