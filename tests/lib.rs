//! Fixtures for Pigeon's cross-crate tests: the real `pigeon-server` binary on a loopback port
//! with its own data dir, SDK clients ([`Client`]) and `pigeon bridge` processes ([`Bridge`]),
//! and a TCP [`Proxy`] that can cut one client's connection.
//!
//! The binaries must be built first (`cargo build --workspace --bins`; the README's test
//! command does it).

use pigeon_sdk::{Chat, ChatOptions, Event};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(15);

/// Path of a workspace binary next to the test executable's target dir.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the tests",
        path.display()
    );
    path
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running `pigeon-server serve`.
pub struct Server {
    child: Option<Child>,
    /// Its data dir (kept across restarts).
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The app's SDKAppID.
    pub app_id: u64,
    /// The app's secret key.
    pub key: String,
    extra: Vec<String>,
    /// Serving wss:// (started with a certificate): [`Server::url`] says so.
    pub tls: bool,
    /// When set, the server logs at `trace` into this file instead of `warn` to stderr.
    log_to: Option<PathBuf>,
    /// The server's own PostgreSQL database, when the suite runs on PostgreSQL.
    pub pg_url: Option<String>,
}

/// Where a data dir records its server's PostgreSQL database, so a restart over the same dir
/// finds the same state.
const PG_URL_FILE: &str = "test-postgres-url";

impl Server {
    /// The server's store opened directly (its SQLite file, or its PostgreSQL database), for
    /// checks made behind the server's back.
    pub fn open_store(&self) -> pigeon_server::store::SqlStore {
        match &self.pg_url {
            Some(url) => pigeon_server::store::SqlStore::postgres(url, 2).expect("open PostgreSQL"),
            None => pigeon_server::store::SqlStore::open(&self.dir.join("pigeon.sqlite3"))
                .expect("open the store"),
        }
    }
}

/// The PostgreSQL server the suite runs on: `PIGEON_TEST_BACKEND=postgres` with
/// `PIGEON_TEST_PG_URL` (scripts/services.sh starts one); None runs on SQLite.
pub fn test_postgres() -> Option<String> {
    if std::env::var("PIGEON_TEST_BACKEND").as_deref() != Ok("postgres") {
        return None;
    }
    Some(
        std::env::var("PIGEON_TEST_PG_URL")
            .expect("PIGEON_TEST_BACKEND=postgres needs PIGEON_TEST_PG_URL"),
    )
}

/// A new empty database on the test PostgreSQL server, as a URL.
pub fn fresh_postgres_database(base: &str) -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "pigeon_t{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        rand_suffix()
    );
    pigeon_server::db::create_postgres_database(base, &name).expect("create test database")
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos().into())
        .unwrap_or(0)
}

impl Server {
    /// Starts a server in a new temporary data dir.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// Starts a server with extra `serve` flags.
    pub fn start_with(extra: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut s = Server {
            child: None,
            dir,
            _tmp: Some(tmp),
            addr: format!("127.0.0.1:{}", free_port()),
            app_id: 0,
            key: String::new(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            tls: false,
            log_to: None,
            pg_url: test_postgres().map(|b| fresh_postgres_database(&b)),
        };
        s.spawn();
        s
    }

    /// Starts a server with extra flags that logs everything (`PIGEON_LOG=trace`) to `log`.
    pub fn start_logged(extra: &[&str], log: &Path) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut s = Server {
            child: None,
            dir,
            _tmp: Some(tmp),
            addr: format!("127.0.0.1:{}", free_port()),
            app_id: 0,
            key: String::new(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            tls: false,
            log_to: Some(log.to_path_buf()),
            pg_url: test_postgres().map(|b| fresh_postgres_database(&b)),
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        if let Some(url) = &self.pg_url {
            std::fs::write(self.dir.join(PG_URL_FILE), url).expect("note the database URL");
        }
        let mut child = Command::new(bin("pigeon-server"))
            .arg("serve")
            .arg("--listen")
            .arg(&self.addr)
            .arg("--data-dir")
            .arg(&self.dir)
            .args(&self.extra)
            .env(
                "PIGEON_LOG",
                if self.log_to.is_some() {
                    "trace"
                } else {
                    "warn"
                },
            )
            .env_remove("PIGEON_SDK_APP_ID")
            .env_remove("PIGEON_SECRET_KEY")
            .env_remove("PIGEON_NATS_URL")
            .env("PIGEON_POSTGRES_URL", self.pg_url.as_deref().unwrap_or(""))
            .stdout(Stdio::piped())
            .stderr(match &self.log_to {
                Some(p) => std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .expect("server log file")
                    .into(),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("spawn pigeon-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut ready = false;
        for line in lines.by_ref() {
            let line = line.expect("server stdout");
            if line.starts_with("listening on ws://") || line.starts_with("listening on wss://") {
                self.tls = line.starts_with("listening on wss://");
                ready = true;
                break;
            }
        }
        assert!(ready, "pigeon-server exited before listening");
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let creds: Value = serde_json::from_str(
            &std::fs::read_to_string(self.dir.join("credentials.json")).expect("credentials"),
        )
        .expect("credentials json");
        self.app_id = creds["SDKAppID"].as_u64().expect("SDKAppID");
        self.key = creds["secretKey"].as_str().expect("secretKey").to_owned();
        self.child = Some(child);
    }

    /// `ws://127.0.0.1:PORT` (`wss://` when the server serves TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}", self.addr)
    }

    /// A UserSig for `user`, valid for a day.
    pub fn sig(&self, user: &str) -> String {
        self.sig_for(user, 86_400)
    }

    /// A UserSig for `user`, valid for `expire` seconds from now.
    pub fn sig_for(&self, user: &str, expire: u64) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        pigeon_server::usersig::generate(self.app_id, &self.key, user, expire, now)
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM (graceful shutdown); waits for the process to exit and returns its status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("the server is running");
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Some(s) = c.try_wait().expect("wait for pigeon-server") {
                return s;
            }
            if std::time::Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("pigeon-server did not exit within {WAIT:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts again on the same port and data dir.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }
}

impl Server {
    /// Calls the REST API as the app administrator (`administrator`) and returns the reply
    /// object (`ActionStatus`, `ErrorCode`, `ErrorInfo` and the command's fields).
    pub async fn rest(&self, service: &str, command: &str, body: Value) -> Value {
        let query = format!(
            "sdkappid={}&identifier=administrator&usersig={}&random={}&contenttype=json",
            self.app_id,
            self.sig("administrator"),
            rand_u32()
        );
        self.rest_raw(
            &format!("/v4/{service}/{command}?{query}"),
            &body.to_string(),
        )
        .await
    }

    /// POSTs `body` to `path_and_query` and returns the JSON reply (HTTP 200 expected).
    pub async fn rest_raw(&self, path_and_query: &str, body: &str) -> Value {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(&self.addr)
            .await
            .expect("connect for REST");
        let req = format!(
            "POST {path_and_query} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        s.write_all(req.as_bytes())
            .await
            .expect("write REST request");
        let mut out = Vec::new();
        tokio::time::timeout(WAIT, s.read_to_end(&mut out))
            .await
            .expect("REST reply in time")
            .expect("read REST reply");
        let text = String::from_utf8(out).expect("REST reply is UTF-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("HTTP reply");
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "REST replies HTTP 200: {head}"
        );
        serde_json::from_str(body).expect("REST reply is JSON")
    }
}

fn rand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// An SDK instance with a record of its events.
pub struct Client {
    /// The SDK.
    pub chat: Chat,
    /// Its user.
    pub user: String,
    events: mpsc::UnboundedReceiver<Event>,
    seen: Vec<Event>,
    _cache: Option<tempfile::TempDir>,
}

/// Options of [`Client::connect`].
pub struct ClientOpts {
    /// Server URL (a proxy's, to cut the connection).
    pub url: String,
    /// Cache dir; a fresh temp dir when None.
    pub data_dir: Option<PathBuf>,
    /// Login platform.
    pub platform: String,
}

impl Client {
    /// A logged-out client of `server` for `user`.
    pub fn new(server: &Server, user: &str) -> Client {
        Self::with(
            server,
            user,
            ClientOpts {
                url: server.url(),
                data_dir: None,
                platform: "web".into(),
            },
        )
    }

    /// A logged-out client with options.
    pub fn with(server: &Server, user: &str, o: ClientOpts) -> Client {
        let (tmp, dir) = match o.data_dir {
            Some(d) => (None, d),
            None => {
                let t = tempfile::tempdir().expect("tempdir");
                let d = t.path().to_path_buf();
                (Some(t), d)
            }
        };
        let chat = Chat::create(ChatOptions {
            server_url: o.url,
            sdk_app_id: server.app_id,
            data_dir: dir,
            platform: o.platform,
        });
        let events = chat.subscribe();
        Client {
            chat,
            user: user.to_owned(),
            events,
            seen: vec![],
            _cache: tmp,
        }
    }

    /// Logs in with a valid sig and waits for SDK_READY.
    pub async fn login(server: &Server, user: &str) -> Client {
        let mut c = Self::new(server, user);
        c.login_ready(server).await;
        c
    }

    /// Logs this client in and waits for SDK_READY.
    pub async fn login_ready(&mut self, server: &Server) {
        let sig = server.sig(&self.user);
        self.chat.login(&self.user, &sig).await.expect("login");
        self.wait_event("sdkStateReady").await;
    }

    /// Calls a seed method.
    pub async fn call(&self, method: &str, args: Vec<Value>) -> pigeon_sdk::Result<Value> {
        self.chat.invoke(method, args).await
    }

    /// Calls a seed method that must succeed.
    pub async fn ok(&self, method: &str, args: Vec<Value>) -> Value {
        match self.call(method, args).await {
            Ok(v) => v,
            Err(e) => panic!("{} {method}: {e}", self.user),
        }
    }

    /// Creates and sends a text message; returns the sent message.
    pub async fn send_text(&self, to: &str, conv_type: &str, text: &str) -> Value {
        let m = self
            .ok(
                "createTextMessage",
                vec![json!({"to": to, "conversationType": conv_type, "payload": {"text": text}})],
            )
            .await;
        self.ok("sendMessage", vec![m]).await["message"].clone()
    }

    /// Waits for the next event named `name` matching `pred` (events before it are kept).
    pub async fn wait_for(&mut self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self
            .seen
            .iter()
            .position(|e| e.name == name && pred(&e.data))
        {
            return self.seen.remove(i).data;
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let Ok(e) = tokio::time::timeout_at(deadline, self.events.recv()).await else {
                let seen: Vec<_> = self.seen.iter().map(|e| e.name.clone()).collect();
                panic!(
                    "{}: no {name} event within {WAIT:?}; saw {seen:?}",
                    self.user
                );
            };
            let e = e.expect("event stream open");
            if e.name == name && pred(&e.data) {
                return e.data;
            }
            self.seen.push(e);
        }
    }

    /// Waits for the next event named `name`.
    pub async fn wait_event(&mut self, name: &str) -> Value {
        self.wait_for(name, |_| true).await
    }

    /// Every message received so far (from MESSAGE_RECEIVED events), draining them.
    pub async fn received_texts(&mut self) -> Vec<String> {
        self.drain();
        let mut out = vec![];
        self.seen.retain(|e| {
            if e.name == "onMessageReceived" {
                for m in e.data.as_array().into_iter().flatten() {
                    out.push(m["payload"]["text"].as_str().unwrap_or_default().to_owned());
                }
                false
            } else {
                true
            }
        });
        out
    }

    /// Moves pending events into the record.
    pub fn drain(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            self.seen.push(e);
        }
    }

    /// Names of the recorded events.
    pub fn names(&mut self) -> Vec<String> {
        self.drain();
        self.seen.iter().map(|e| e.name.clone()).collect()
    }

    /// Forgets recorded events.
    pub fn clear(&mut self) {
        self.drain();
        self.seen.clear();
    }

    /// The recorded events named `name`.
    pub fn events_named(&mut self, name: &str) -> Vec<Value> {
        self.drain();
        self.seen
            .iter()
            .filter(|e| e.name == name)
            .map(|e| e.data.clone())
            .collect()
    }
}

/// The text of a text message (empty for other kinds).
pub fn text_of(m: &Value) -> String {
    m["payload"]["text"].as_str().unwrap_or_default().to_owned()
}

impl Client {
    /// Every recorded event, in order, without consuming any.
    pub fn event_log(&mut self) -> Vec<(String, Value)> {
        self.drain();
        self.seen
            .iter()
            .map(|e| (e.name.clone(), e.data.clone()))
            .collect()
    }

    /// Every message delivered by onMessageReceived so far, in order (not consumed).
    pub fn received_messages(&mut self) -> Vec<Value> {
        self.events_named("onMessageReceived")
            .iter()
            .flat_map(|d| {
                d.as_array()
                    .cloned()
                    .expect("onMessageReceived carries Message[]")
            })
            .collect()
    }

    /// Texts of every message delivered so far, in order (not consumed).
    pub fn seen_texts(&mut self) -> Vec<String> {
        self.received_messages().iter().map(text_of).collect()
    }

    /// The netStateChange states reported so far, in order.
    pub fn net_states(&mut self) -> Vec<String> {
        self.events_named("netStateChange")
            .iter()
            .map(|d| {
                d["state"]
                    .as_str()
                    .expect("netStateChange carries a state")
                    .to_owned()
            })
            .collect()
    }

    /// Waits until a message with `text` has been delivered (without consuming events).
    pub async fn wait_text(&mut self, text: &str) {
        let what = format!("{} to receive {text:?}", self.user);
        eventually(&what, || self.seen_texts().iter().any(|t| t == text)).await;
    }

    /// Waits until netStateChange `state` has been reported (without consuming events).
    pub async fn wait_state(&mut self, state: &str) {
        let what = format!("{} to report netStateChange {state}", self.user);
        eventually(&what, || self.net_states().iter().any(|s| s == state)).await;
    }

    /// The whole history of a conversation, oldest first, read page by page.
    pub async fn history(&self, conv_id: &str) -> Vec<Value> {
        let mut all: Vec<Value> = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut opts = json!({ "conversationID": conv_id });
            if let Some(id) = &next {
                opts["nextReqMessageID"] = json!(id);
            }
            let page = self.ok("getMessageList", vec![opts]).await;
            all.splice(
                0..0,
                page["messageList"]
                    .as_array()
                    .cloned()
                    .expect("messageList"),
            );
            if page["isCompleted"] == json!(true) {
                return all;
            }
            let cursor = page["nextReqMessageID"].as_str().expect("nextReqMessageID");
            next = Some(cursor.to_owned());
        }
    }

    /// Texts of the whole history of a conversation, oldest first.
    pub async fn history_texts(&self, conv_id: &str) -> Vec<String> {
        self.history(conv_id).await.iter().map(text_of).collect()
    }
}

/// Waits until `f` is true, polling every 20 ms, up to [`WAIT`].
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A `pigeon bridge` process.
pub struct Bridge {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: std::sync::mpsc::Receiver<Value>,
    /// Lines read but not yet asked for.
    pub backlog: Vec<Value>,
    next_id: u64,
    _cache: tempfile::TempDir,
}

impl Bridge {
    /// Starts `pigeon bridge` against `server`.
    pub fn start(server: &Server, extra: &[&str]) -> Bridge {
        Self::start_inner(server, extra, None)
    }

    /// [`Bridge::start`] logging everything (`PIGEON_LOG=trace`) to `log`.
    pub fn start_logged(server: &Server, extra: &[&str], log: &Path) -> Bridge {
        Self::start_inner(server, extra, Some(log))
    }

    fn start_inner(server: &Server, extra: &[&str], log: Option<&Path>) -> Bridge {
        let cache = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new(bin("pigeon"));
        if log.is_some() {
            cmd.env("PIGEON_LOG", "trace");
        }
        let mut child = cmd
            .args([
                "bridge",
                "--server",
                &server.url(),
                "--app-id",
                &server.app_id.to_string(),
            ])
            .arg("--data-dir")
            .arg(cache.path())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(match log {
                Some(p) => std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .expect("bridge log file")
                    .into(),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("spawn pigeon bridge");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("bridge printed a non-JSON line {line:?}: {e}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Bridge {
            stdin: child.stdin.take(),
            child,
            lines: rx,
            backlog: vec![],
            next_id: 1,
            _cache: cache,
        }
    }

    /// Writes a raw line.
    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).expect("write");
        stdin.write_all(b"\n").expect("write");
        stdin.flush().expect("flush");
    }

    /// Waits for a line matching `pred`.
    pub fn wait_line(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let v = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "bridge: no {what} within {WAIT:?}; backlog {:?}",
                    self.backlog
                )
            });
            if pred(&v) {
                return v;
            }
            self.backlog.push(v);
        }
    }

    /// Sends a request and returns its whole reply line.
    pub fn request(&mut self, method: &str, args: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send_raw(&json!({"id": id, "method": method, "args": args}).to_string());
        self.wait_line(&format!("reply to {method}"), |v| v["id"] == json!(id))
    }

    /// Sends a request that must succeed; returns its data.
    pub fn ok(&mut self, method: &str, args: Value) -> Value {
        let r = self.request(method, args);
        assert_eq!(r["code"], json!(0), "{method} failed: {r}");
        r["data"].clone()
    }

    /// Waits for an event line.
    pub fn wait_event(&mut self, name: &str) -> Value {
        self.wait_line(name, |v| v["event"] == json!(name))["data"].clone()
    }

    /// Closes stdin and waits for the exit status.
    pub fn finish(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "bridge did not exit after EOF"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback TCP proxy in front of the server; [`Proxy::cut`] drops every connection through
/// it and refuses new ones until [`Proxy::restore`], like a network outage for one client.
/// It also injects subtler faults: stalled directions (a path dropping packets, a half-open
/// connection), added latency, resets (RST) and a server that goes silent after connecting.
pub struct Proxy {
    /// `ws://` URL of the proxy.
    pub url: String,
    state: Arc<Mutex<ProxyState>>,
    task: tokio::task::JoinHandle<()>,
}

/// What the proxy does to the bytes of one direction of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flow {
    /// Nothing is forwarded (bytes are held, as TCP would keep retransmitting them) until the
    /// fault clears.
    pub stalled: bool,
    /// Added one-way latency.
    pub delay: Duration,
}

/// The faults of one connection: `up` is client → server, `down` server → client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Faults {
    /// Client → server.
    pub up: Flow,
    /// Server → client.
    pub down: Flow,
}

struct ProxyConn {
    abort: tokio::task::AbortHandle,
    faults: tokio::sync::watch::Sender<Faults>,
    reset: tokio::sync::watch::Sender<bool>,
}

#[derive(Default)]
struct ProxyState {
    cut: bool,
    /// Faults a new connection starts with.
    new_faults: Faults,
    conns: Vec<ProxyConn>,
}

/// Forwards `r` to `w` under the faults `pick` selects, until either side ends.
async fn proxy_pump(
    mut r: tokio::net::tcp::ReadHalf<'_>,
    mut w: tokio::net::tcp::WriteHalf<'_>,
    faults: tokio::sync::watch::Receiver<Faults>,
    pick: fn(&Faults) -> Flow,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (tx, mut rx) = mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let mut gate = faults.clone();
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let delay = pick(&faults.borrow()).delay;
            if tx
                .send((tokio::time::Instant::now() + delay, buf[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if gate.wait_for(|f| !pick(f).stalled).await.is_err() {
                break;
            }
            if w.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = w.shutdown().await;
    };
    tokio::join!(reader, writer);
}

impl Proxy {
    /// Starts a proxy to `target` (`127.0.0.1:PORT`).
    pub async fn start(target: &str) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let url = format!("ws://{}", listener.local_addr().expect("addr"));
        let state: Arc<Mutex<ProxyState>> = Arc::default();
        let (st, target) = (state.clone(), target.to_owned());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut guard = st.lock().expect("lock");
                if guard.cut {
                    drop(inbound);
                    continue;
                }
                let (faults, faults_rx) = tokio::sync::watch::channel(guard.new_faults);
                let (reset, mut reset_rx) = tokio::sync::watch::channel(false);
                let target = target.clone();
                let h = tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    {
                        let (ri, wi) = inbound.split();
                        let (ro, wo) = outbound.split();
                        let up = proxy_pump(ri, wo, faults_rx.clone(), |f| f.up);
                        let down = proxy_pump(ro, wi, faults_rx, |f| f.down);
                        tokio::select! {
                            _ = async { tokio::join!(up, down) } => return,
                            _ = reset_rx.wait_for(|r| *r) => {}
                        }
                    }
                    // SO_LINGER 0: closing sends RST instead of FIN, an abrupt reset for both
                    // ends (it does not block: the linger time is zero).
                    #[allow(deprecated)]
                    for s in [&inbound, &outbound] {
                        let _ = s.set_linger(Some(Duration::ZERO));
                    }
                });
                guard.conns.push(ProxyConn {
                    abort: h.abort_handle(),
                    faults,
                    reset,
                });
            }
        });
        Proxy { url, state, task }
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        let mut st = self.state.lock().expect("lock");
        st.cut = true;
        for c in st.conns.drain(..) {
            c.abort.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.state.lock().expect("lock").cut = false;
    }

    /// Applies `faults` to every live connection and, when `new_too`, to new ones.
    pub fn set_faults(&self, faults: Faults, new_too: bool) {
        let mut st = self.state.lock().expect("lock");
        st.conns.retain(|c| !c.abort.is_finished());
        for c in &st.conns {
            c.faults.send_replace(faults);
        }
        if new_too {
            st.new_faults = faults;
        }
    }

    /// Stops forwarding silently in the chosen directions, on live and new connections: with
    /// one direction, a half-open connection; with both, a path that drops every packet.
    pub fn drop_traffic(&self, up: bool, down: bool) {
        let stall = |on: bool| Flow {
            stalled: on,
            delay: Duration::ZERO,
        };
        self.set_faults(
            Faults {
                up: stall(up),
                down: stall(down),
            },
            true,
        );
    }

    /// Adds `latency` each way, on live and new connections.
    pub fn delay(&self, latency: Duration) {
        let flow = Flow {
            stalled: false,
            delay: latency,
        };
        self.set_faults(
            Faults {
                up: flow,
                down: flow,
            },
            true,
        );
    }

    /// The server goes silent on the live connections (it still receives, nothing comes
    /// back); new connections are served normally.
    pub fn blackhole(&self) {
        self.set_faults(
            Faults {
                up: Flow::default(),
                down: Flow {
                    stalled: true,
                    delay: Duration::ZERO,
                },
            },
            false,
        );
    }

    /// Resets (RST) every live connection; new ones go through.
    pub fn reset(&self) {
        let mut st = self.state.lock().expect("lock");
        for c in st.conns.drain(..) {
            c.reset.send_replace(true);
        }
    }

    /// Clears every fault set by [`Proxy::set_faults`] and its shorthands, for live and new
    /// connections (held bytes flow again).
    pub fn heal(&self) {
        self.set_faults(Faults::default(), true);
    }

    /// How many connections have gone through the proxy and are still open.
    pub fn live_connections(&self) -> usize {
        let mut st = self.state.lock().expect("lock");
        st.conns.retain(|c| !c.abort.is_finished());
        st.conns.len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

impl Client {
    /// A logged-out client of `server` at `url` that trusts only the CA in `ca_file` (PEM) for
    /// TLS (the public roots when None).
    pub fn with_ca(server: &Server, user: &str, url: &str, ca_file: Option<PathBuf>) -> Client {
        let t = tempfile::tempdir().expect("tempdir");
        let chat = Chat::create_with_ca_file(
            ChatOptions {
                server_url: url.to_owned(),
                sdk_app_id: server.app_id,
                data_dir: t.path().to_path_buf(),
                platform: "web".into(),
            },
            ca_file,
        );
        let events = chat.subscribe();
        Client {
            chat,
            user: user.to_owned(),
            events,
            seen: vec![],
            _cache: Some(t),
        }
    }
}

impl Bridge {
    /// Writes raw bytes as one line (which need not be UTF-8), for hostile-input tests.
    pub fn send_raw_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.write_all(b"\n").expect("write");
        stdin.flush().expect("flush");
    }
}

/// A server started with `config` as its `--config` TOML file (kept as long as the guard).
pub fn server_with_config(config: &str) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pigeon.toml");
    std::fs::write(&path, config).expect("write config");
    let server = Server::start_with(&["--config", path.to_str().expect("utf-8 temp path")]);
    (server, dir)
}

impl Server {
    /// Starts a server listening on `addr` (`127.0.0.1:PORT`, e.g. a [`free_port`] reserved
    /// earlier) over the existing data dir `dir`: another node's, once that one is stopped
    /// (two processes must never share one SQLite data dir). The same credentials.json means
    /// the same SDKAppID and key, so UserSigs made by either stay valid. `dir` is left in
    /// place when this server is dropped.
    pub fn start_at(addr: &str, dir: &Path) -> Server {
        let mut s = Server {
            child: None,
            dir: dir.to_path_buf(),
            _tmp: None,
            addr: addr.to_owned(),
            app_id: 0,
            key: String::new(),
            extra: Vec::new(),
            tls: false,
            log_to: None,
            // On PostgreSQL the other node's state is its database, named in its data dir.
            pg_url: test_postgres().map(|b| {
                std::fs::read_to_string(dir.join(PG_URL_FILE))
                    .unwrap_or_else(|_| fresh_postgres_database(&b))
            }),
        };
        s.spawn();
        s
    }
}

/// A NATS server for cluster tests: `PIGEON_TEST_NATS_URL` when set, else a private
/// `nats-server` on a free loopback port, killed on drop.
pub struct Nats {
    child: Option<Child>,
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
}

impl Nats {
    /// Starts (or names) the NATS server and waits until it accepts connections.
    pub fn start() -> Nats {
        if let Ok(url) = std::env::var("PIGEON_TEST_NATS_URL") {
            if !url.is_empty() {
                return Nats { child: None, url };
            }
        }
        let port = free_port();
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nats-server (apt-get install nats-server, or set PIGEON_TEST_NATS_URL)");
        let deadline = std::time::Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nats {
            child: Some(child),
            url: format!("nats://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What the nodes of one test cluster share: a data dir (credentials, files and, without
/// PostgreSQL, the SQLite database: WAL lets several processes use one file), the store and
/// the NATS server.
pub struct ClusterShare {
    /// The shared data dir.
    pub dir: tempfile::TempDir,
    /// The nodes' `--config` file.
    pub config: PathBuf,
    /// The one PostgreSQL database of all nodes (when the suite runs on PostgreSQL).
    pub pg_url: Option<String>,
    /// The NATS server.
    pub nats: Nats,
}

impl ClusterShare {
    /// A new cluster: a NATS server, a data dir, and a fresh PostgreSQL database when the
    /// suite runs on PostgreSQL (`extra_config` is appended to the nodes' config file).
    pub fn new(extra_config: &str) -> ClusterShare {
        let nats = Nats::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let pg_url = test_postgres().map(|b| fresh_postgres_database(&b));
        let mut toml = format!("[bus]\nbackend = \"nats\"\nurl = \"{}\"\n", nats.url);
        if let Some(url) = &pg_url {
            toml.push_str(&format!(
                "[store]\nbackend = \"postgres\"\nurl = \"{url}\"\n"
            ));
        }
        let toml = format!("{extra_config}\n{toml}");
        let config = dir.path().join("cluster.toml");
        std::fs::write(&config, toml).expect("write cluster config");
        ClusterShare {
            dir,
            config,
            pg_url,
            nats,
        }
    }

    /// Starts one more node (start them one after another: the first creates the
    /// credentials and the schema).
    pub fn node(&self) -> Server {
        let config = self.config.to_str().expect("utf-8 temp path").to_owned();
        let mut s = Server {
            child: None,
            dir: self.dir.path().to_path_buf(),
            _tmp: None,
            addr: format!("127.0.0.1:{}", free_port()),
            app_id: 0,
            key: String::new(),
            extra: vec!["--config".into(), config],
            tls: false,
            log_to: None,
            pg_url: self.pg_url.clone(),
        };
        s.spawn();
        s
    }
}
