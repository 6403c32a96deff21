//! A lean client of Pigeon's real wire protocol (crates/proto/src/wire.rs): one WebSocket, a
//! reader task that routes replies to their callers and message pushes to a queue, and a
//! keepalive `ping` (the gateway closes connections idle for 75 s).
use crate::driver::{BoxFuture, Conn, ConnRecv, ConnSend, Driver, Received};
use anyhow::{anyhow, bail, Context};
use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use pigeon_proto::model::Message;
use pigeon_proto::wire::{self, Op};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::WebSocketStream;

type Sink = SplitSink<WebSocketStream<TcpStream>, Ws>;
type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<wire::Reply>>>>;

/// Small client buffers: thousands of idle clients live in the generator process.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(wire::MAX_SERVER_FRAME_BYTES))
}

/// Opens a TCP connection from `src` (port chosen by the kernel) and does the WebSocket
/// handshake on `url`.
pub async fn ws_connect(
    url: &str,
    addr: SocketAddr,
    src: IpAddr,
) -> anyhow::Result<WebSocketStream<TcpStream>> {
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    sock.bind(SocketAddr::new(src, 0))
        .with_context(|| format!("bind {src}"))?;
    let tcp = sock
        .connect(addr)
        .await
        .with_context(|| format!("connect {addr}"))?;
    tcp.set_nodelay(true)?;
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(ws_config()))
        .await
        .context("websocket handshake")?;
    Ok(ws)
}

/// Pigeon as a protocol under test: one node, or several nodes of one cluster over which
/// logins are spread round-robin.
pub struct PigeonDriver {
    /// The nodes: (`ws://HOST:PORT`, address).
    nodes: Vec<(String, SocketAddr)>,
    /// The next node for a login without a slot (W4–W6).
    next: AtomicUsize,
    /// Which node each user last logged in on (to tell how many C2C pairs span two nodes).
    placed: Mutex<HashMap<String, usize>>,
    /// The app's SDKAppID.
    pub app_id: u64,
    /// The app's secret key (UserSigs are made here, as an app backend would).
    pub key: String,
}

/// Parses `ws://HOST:PORT[/]` (a loopback benchmark: no TLS) into an address.
pub fn parse_ws_addr(url: &str) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    let hostport = url
        .trim()
        .strip_prefix("ws://")
        .ok_or_else(|| anyhow!("{url:?}: only ws:// addresses are supported"))?
        .trim_end_matches('/');
    hostport
        .to_socket_addrs()
        .with_context(|| format!("resolve {hostport:?}"))?
        .next()
        .ok_or_else(|| anyhow!("{hostport:?} resolves to nothing"))
}

impl PigeonDriver {
    /// A driver for the server at `addr` with the app credentials from its credentials.json.
    pub fn new(addr: SocketAddr, app_id: u64, key: String) -> Self {
        Self::cluster(vec![addr], app_id, key)
    }

    /// A driver for the nodes of one cluster (shared app credentials); logins go round-robin.
    pub fn cluster(addrs: Vec<SocketAddr>, app_id: u64, key: String) -> Self {
        Self {
            nodes: addrs
                .into_iter()
                .map(|a| (format!("ws://{a}"), a))
                .collect(),
            next: AtomicUsize::new(0),
            placed: Mutex::default(),
            app_id,
            key,
        }
    }

    /// The number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The node `user` last logged in on.
    pub fn node_of(&self, user: &str) -> Option<usize> {
        lock(&self.placed).get(user).copied()
    }

    /// A UserSig for `user`, valid for a day.
    pub fn sig(&self, user: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        pigeon_server::usersig::generate(self.app_id, &self.key, user, 86_400, now)
    }

    /// Logs `user` in with a given sig on the next node round-robin and returns the concrete
    /// connection and the login reply.
    pub async fn login(
        &self,
        user: &str,
        sig: &str,
        src: IpAddr,
    ) -> anyhow::Result<(PigeonConn, wire::LoginReply)> {
        let node = self.next.fetch_add(1, Ordering::Relaxed);
        self.login_on(node, user, sig, src).await
    }

    /// Logs `user` in on node `node % node_count()`.
    pub async fn login_on(
        &self,
        node: usize,
        user: &str,
        sig: &str,
        src: IpAddr,
    ) -> anyhow::Result<(PigeonConn, wire::LoginReply)> {
        let node = node % self.nodes.len().max(1);
        let (url, addr) = self
            .nodes
            .get(node)
            .ok_or_else(|| anyhow!("no server address"))?;
        lock(&self.placed).insert(user.to_owned(), node);
        let ws = ws_connect(url, *addr, src).await?;
        let conn = PigeonConn::start(ws, user);
        let reply: wire::LoginReply = conn
            .call(&wire::Login {
                user_id: user.to_owned(),
                user_sig: sig.to_owned(),
                sdk_app_id: self.app_id,
                instance_id: format!("bench-{}", rand::random::<u64>()),
                platform: "web".into(),
            })
            .await
            .with_context(|| format!("login {user}"))?;
        Ok((conn, reply))
    }

    /// Calls the REST API (on the first node: they share one store) as the app
    /// administrator; fails unless `ActionStatus` is OK.
    pub async fn rest(&self, service: &str, command: &str, body: Value) -> anyhow::Result<Value> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self
            .nodes
            .first()
            .map(|n| n.1)
            .ok_or_else(|| anyhow!("no server address"))?;
        let query = format!(
            "sdkappid={}&identifier=administrator&usersig={}&random={}&contenttype=json",
            self.app_id,
            self.sig("administrator"),
            rand::random::<u32>()
        );
        let body = body.to_string();
        let mut s = TcpStream::connect(addr).await?;
        let req = format!(
            "POST /v4/{service}/{command}?{query} HTTP/1.1\r\nHost: {}\r\nContent-Type: \
             application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            addr,
            body.len()
        );
        s.write_all(req.as_bytes()).await?;
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut out))
            .await
            .context("REST reply in time")??;
        let text = String::from_utf8(out)?;
        let (_, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| anyhow!("bad HTTP reply"))?;
        let v: Value = serde_json::from_str(body).context("REST JSON")?;
        if v["ActionStatus"] != "OK" {
            bail!("REST {service}/{command}: {v}");
        }
        Ok(v)
    }
}

impl Driver for PigeonDriver {
    fn name(&self) -> &str {
        "pigeon"
    }

    fn acked_sends(&self) -> bool {
        true
    }

    fn connect(&self, user: &str, src: IpAddr) -> BoxFuture<'_, anyhow::Result<Box<dyn Conn>>> {
        let user = user.to_owned();
        Box::pin(async move {
            let sig = self.sig(&user);
            let (c, _) = self.login(&user, &sig, src).await?;
            Ok(Box::new(c) as Box<dyn Conn>)
        })
    }

    fn connect_slot(
        &self,
        user: &str,
        src: IpAddr,
        slot: usize,
    ) -> BoxFuture<'_, anyhow::Result<Box<dyn Conn>>> {
        let user = user.to_owned();
        Box::pin(async move {
            let sig = self.sig(&user);
            let (c, _) = self.login_on(slot, &user, &sig, src).await?;
            Ok(Box::new(c) as Box<dyn Conn>)
        })
    }

    fn prepare_users<'a>(&'a self, users: &'a [String]) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for chunk in users.chunks(100) {
                self.rest(
                    "im_open_login_svc",
                    "multiaccount_import",
                    json!({ "Accounts": chunk }),
                )
                .await?;
            }
            Ok(())
        })
    }

    fn prepare_group<'a>(
        &'a self,
        group: &'a str,
        kind: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let exists = self
                .rest(
                    "group_open_http_svc",
                    "get_group_info",
                    json!({ "GroupIdList": [group] }),
                )
                .await?;
            if exists["GroupInfo"][0]["ErrorCode"] == 0 {
                return Ok(());
            }
            if kind == "AVChatRoom" {
                // Live rooms have no stored members: each member joins when online.
                self.rest(
                    "group_open_http_svc",
                    "create_group",
                    json!({"Type": "AVChatRoom", "GroupId": group, "Name": group}),
                )
                .await?;
                return Ok(());
            }
            self.prepare_users(members).await?;
            self.rest(
                "group_open_http_svc",
                "create_group",
                json!({"Type": kind, "GroupId": group, "Name": group,
                       "MaxMemberCount": members.len().max(1000)}),
            )
            .await?;
            for chunk in members.chunks(20) {
                let list: Vec<Value> = chunk
                    .iter()
                    .map(|m| json!({ "Member_Account": m }))
                    .collect();
                let r = self
                    .rest(
                        "group_open_http_svc",
                        "add_group_member",
                        json!({"GroupId": group, "MemberList": list, "Silence": 1}),
                    )
                    .await?;
                if let Some(failed) = r["MemberList"]
                    .as_array()
                    .and_then(|l| l.iter().find(|m| m["Result"] == 0))
                {
                    bail!("add_group_member {group}: {failed}");
                }
            }
            Ok(())
        })
    }
}

/// The shared state of one connection.
struct Shared {
    sink: tokio::sync::Mutex<Sink>,
    pending: Pending,
    next_id: AtomicU64,
    user: String,
}

impl Shared {
    async fn call_raw(&self, op: &str, data: Value) -> anyhow::Result<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        let frame = serde_json::to_string(&wire::Request {
            id,
            op: op.to_owned(),
            data,
        })?;
        let sent = self.sink.lock().await.send(Ws::text(frame)).await;
        if let Err(e) = sent {
            lock(&self.pending).remove(&id);
            return Err(e).context("send frame");
        }
        let reply = rx.await.map_err(|_| anyhow!("connection closed"))?;
        reply
            .into_result()
            .map_err(|e| anyhow!("{op}: {} {}", e.code, e.message))
    }

    async fn send_message(&self, to: &str, conv_type: &str, body: &str) -> anyhow::Result<()> {
        let m = Message {
            id: format!("b-{}-{}", self.user, rand::random::<u64>()),
            kind: "TIMTextElem".into(),
            payload: json!({ "text": body }),
            to: to.to_owned(),
            conversation_type: conv_type.to_owned(),
            ..Default::default()
        };
        let req = wire::SendMessage {
            message: m,
            ..Default::default()
        };
        self.call_raw(wire::SendMessage::NAME, serde_json::to_value(&req)?)
            .await
            .map(|_| ())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One logged-in Pigeon connection.
pub struct PigeonConn {
    shared: Arc<Shared>,
    pushes: mpsc::UnboundedReceiver<Received>,
    reader: tokio::task::JoinHandle<()>,
}

/// The fields of a frame the generator looks at (replies and message pushes).
#[derive(Deserialize)]
struct Frame {
    id: Option<u64>,
    #[serde(default)]
    code: u32,
    message: Option<String>,
    push: Option<String>,
    data: Option<Value>,
}

impl PigeonConn {
    fn start(ws: WebSocketStream<TcpStream>, user: &str) -> Self {
        let (sink, mut stream) = ws.split();
        let pending: Pending = Arc::default();
        let shared = Arc::new(Shared {
            sink: tokio::sync::Mutex::new(sink),
            pending: pending.clone(),
            next_id: AtomicU64::new(1),
            user: user.to_owned(),
        });
        let (tx, pushes) = mpsc::unbounded_channel();
        let weak = Arc::downgrade(&shared);
        let reader = tokio::spawn(async move {
            let mut keepalive = tokio::time::interval(Duration::from_secs(30));
            keepalive.tick().await;
            loop {
                let frame = tokio::select! {
                    f = stream.next() => f,
                    _ = keepalive.tick() => {
                        if let Some(s) = weak.upgrade() {
                            tokio::spawn(async move { let _ = s.call_raw("ping", json!({})).await; });
                        }
                        continue;
                    }
                };
                let text = match frame {
                    Some(Ok(Ws::Text(t))) => t,
                    Some(Ok(_)) => continue,
                    _ => break,
                };
                let Ok(f) = serde_json::from_str::<Frame>(text.as_str()) else {
                    continue;
                };
                if let Some(id) = f.id {
                    if let Some(waiter) = lock(&pending).remove(&id) {
                        let _ = waiter.send(wire::Reply {
                            id,
                            code: f.code,
                            message: f.message,
                            data: f.data,
                        });
                    }
                } else if f.push.as_deref() == Some("message") {
                    if let Some(r) = f.data.and_then(|d| received(&d)) {
                        let _ = tx.send(r);
                    }
                }
            }
            // Fail every caller still waiting.
            lock(&pending).clear();
        });
        Self {
            shared,
            pushes,
            reader,
        }
    }

    /// Calls a typed op.
    pub async fn call<O: Op>(&self, op: &O) -> anyhow::Result<O::Reply> {
        let v = self.call_raw(O::NAME, serde_json::to_value(op)?).await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Calls an op by name.
    pub async fn call_raw(&self, op: &str, data: Value) -> anyhow::Result<Value> {
        self.shared.call_raw(op, data).await
    }
}

fn received(d: &Value) -> Option<Received> {
    let m = d.get("message")?;
    let body = m.get("payload")?.get("text")?.as_str()?.to_owned();
    let from = m.get("from")?.as_str()?.to_owned();
    let group = (m.get("conversationType")?.as_str()? == "GROUP")
        .then(|| m.get("to").and_then(Value::as_str).map(str::to_owned))
        .flatten();
    Some(Received { from, body, group })
}

impl Drop for PigeonConn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

#[async_trait::async_trait]
impl Conn for PigeonConn {
    async fn send_direct(&mut self, to: &str, body: &str) -> anyhow::Result<()> {
        self.shared.send_message(to, "C2C", body).await
    }

    async fn send_group(&mut self, group: &str, body: &str) -> anyhow::Result<()> {
        self.shared.send_message(group, "GROUP", body).await
    }

    async fn recv(&mut self) -> anyhow::Result<Received> {
        self.pushes
            .recv()
            .await
            .ok_or_else(|| anyhow!("connection closed"))
    }

    fn can_split(&self) -> bool {
        true
    }

    fn split(self: Box<Self>) -> anyhow::Result<(Box<dyn ConnSend>, Box<dyn ConnRecv>)> {
        let this = *self;
        let send = PigeonSend(this.shared.clone());
        Ok((Box::new(send), Box::new(this)))
    }

    async fn join_group(&mut self, group: &str) -> anyhow::Result<()> {
        let r = self
            .call_raw("joinGroup", json!({ "groupID": group, "applyMessage": "" }))
            .await;
        match r {
            Ok(_) => Ok(()),
            // Already a member (a Work group member "joining" again).
            Err(e) if e.to_string().contains("10013") => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn close(self: Box<Self>) -> anyhow::Result<()> {
        let _ = self.call_raw("logout", json!({})).await;
        let _ = self.shared.sink.lock().await.close().await;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnRecv for PigeonConn {
    async fn recv(&mut self) -> anyhow::Result<Received> {
        self.pushes
            .recv()
            .await
            .ok_or_else(|| anyhow!("connection closed"))
    }
}

/// The sending half of a split [`PigeonConn`].
struct PigeonSend(Arc<Shared>);

#[async_trait::async_trait]
impl ConnSend for PigeonSend {
    async fn send_direct(&self, to: &str, body: &str) -> anyhow::Result<()> {
        self.0.send_message(to, "C2C", body).await
    }

    async fn send_group(&self, group: &str, body: &str) -> anyhow::Result<()> {
        self.0.send_message(group, "GROUP", body).await
    }
}
