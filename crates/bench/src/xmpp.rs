//! An XMPP-over-WebSocket client (RFC 7395) for ejabberd as the benchmark peer: SASL PLAIN,
//! resource bind, initial presence, one-to-one `chat` messages and MUC `groupchat`.
//!
//! Built for thousands of connections in one process: no task per connection (the `Conn`
//! owns its read half and `recv` reads it directly, which is cancel safe because a frame is
//! parsed synchronously once read), one text frame per stanza (RFC 7395 §3.3.3), and a
//! borrowing quick-xml parse of each frame that allocates only the fields returned.
//!
//! XMPP has no delivery ack without XEP-0198, so a send completes once its frame is written
//! ([`Driver::acked_sends`] is false), unlike Pigeon's stored-then-acked `sendMessage`.
//! Users and rooms are created out of band by scripts/ejabberd/{register,room}.sh (one rpc
//! into the running node), which `prepare_users`/`prepare_group` call when the driver knows
//! the instance directory. A MUC occupant only gets a room's messages while joined, so the
//! members of a Work group join it on `connect` (like a client's autojoin bookmarks).
use crate::driver::{BoxFuture, Conn, ConnRecv, ConnSend, Driver, Received};
use anyhow::{anyhow, bail, Context};
use base64::Engine;
use futures_util::stream::{SplitSink, SplitStream, StreamExt};
use futures_util::SinkExt;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::WebSocketStream;

type Stream = WebSocketStream<TcpStream>;
type Sink = SplitSink<Stream, Ws>;

/// The password register.sh gives every benchmark user (override: `EJABBERD_PASSWORD`).
pub const DEFAULT_PASSWORD: &str = "bench";
/// The XMPP domain of the benchmark instance (start.sh: `hosts: [localhost]`).
pub const DOMAIN: &str = "localhost";
/// The MUC service of the benchmark instance.
pub const MUC_SERVICE: &str = "conference.localhost";
/// The resource every benchmark client binds.
const RESOURCE: &str = "bench";
/// Bound on each login/join step, so a stuck server fails the run instead of hanging it.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// ejabberd (or any RFC 7395 server) as a protocol under test.
pub struct XmppDriver {
    name: String,
    addr: SocketAddr,
    url: String,
    password: String,
    /// The instance directory made by scripts/ejabberd/start.sh (for register.sh/room.sh).
    instance_dir: Option<PathBuf>,
    /// Users already registered through this driver (register.sh is idempotent; this only
    /// saves the rpc when a workload asks again).
    registered: Mutex<HashSet<String>>,
    /// Work rooms per member (from `prepare_group`): an XMPP member only gets a room's
    /// messages while joined, so `connect` joins them, as a client autojoins its bookmarks.
    rooms: Mutex<HashMap<String, Vec<String>>>,
}

impl XmppDriver {
    /// A driver named `name` ("ejabberd-nostore", "ejabberd-sqlite") for the WebSocket
    /// endpoint `ws://ADDR/ws`; users must already exist (scripts/ejabberd/register.sh).
    pub fn new(name: &str, addr: SocketAddr) -> Self {
        Self {
            name: name.to_owned(),
            addr,
            url: format!("ws://{addr}/ws"),
            password: std::env::var("EJABBERD_PASSWORD")
                .unwrap_or_else(|_| DEFAULT_PASSWORD.to_owned()),
            instance_dir: None,
            registered: Mutex::default(),
            rooms: Mutex::default(),
        }
    }

    /// A driver for the instance that `scripts/ejabberd/start.sh MODE PORT DIR` started in
    /// `dir` (reads DIR/instance.env); named "ejabberd-MODE"; `prepare_users` and
    /// `prepare_group` then register users and create rooms through the scripts.
    pub fn from_instance_dir(dir: &Path) -> anyhow::Result<Self> {
        let env = std::fs::read_to_string(dir.join("instance.env"))
            .with_context(|| format!("read {}/instance.env", dir.display()))?;
        let field = |k: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::trim)
                .ok_or_else(|| anyhow!("{k} missing in {}/instance.env", dir.display()))
        };
        let mode = field("MODE")?;
        let port: u16 = field("PORT")?.parse().context("PORT in instance.env")?;
        let mut d = Self::new(
            &format!("ejabberd-{mode}"),
            SocketAddr::from(([127, 0, 0, 1], port)),
        );
        d.instance_dir = Some(dir.to_owned());
        Ok(d)
    }

    /// Runs scripts/ejabberd/SCRIPT with `args`, extra `env` and `names` on stdin (one a line).
    async fn run_script(
        &self,
        script: &str,
        args: &[&str],
        env: &[(&str, &str)],
        names: &[&str],
    ) -> anyhow::Result<()> {
        let Some(dir) = &self.instance_dir else {
            return Ok(()); // Users/rooms were prepared by scripts/bench.sh.
        };
        let path = scripts_dir().join(script);
        let mut child = tokio::process::Command::new(&path)
            .args(args)
            .arg("-")
            .arg(dir)
            .env("EJABBERD_PASSWORD", &self.password)
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("run {}", path.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            let mut list = String::with_capacity(names.len() * 8);
            for n in names {
                list.push_str(n);
                list.push('\n');
            }
            stdin.write_all(list.as_bytes()).await?;
        }
        let status = tokio::time::timeout(Duration::from_secs(600), child.wait())
            .await
            .context("script in time")??;
        if !status.success() {
            bail!("{} {args:?} failed: {status}", path.display());
        }
        Ok(())
    }

    /// Connects and logs `user` in, returning the concrete connection. Under a login storm
    /// ejabberd 23.01 now and then accepts the WebSocket but never answers the stream
    /// `<open/>` (it closes the socket 30 s later); such a login is retried on a new socket
    /// after [`OPEN_TIMEOUT`] and counted in [`login_retries`].
    pub async fn login(&self, user: &str, src: IpAddr) -> anyhow::Result<XmppConn> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.login_once(user, src).await {
                Err(e) if tries < 3 && e.chain().any(|c| c.to_string() == OPEN_STALLED) => {
                    LOGIN_RETRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                r => return r,
            }
        }
    }

    async fn login_once(&self, user: &str, src: IpAddr) -> anyhow::Result<XmppConn> {
        let ws = tokio::time::timeout(STEP_TIMEOUT, ws_connect(&self.url, self.addr, src))
            .await
            .context("websocket connect in time")??;
        let (sink, stream) = ws.split();
        let mut c = XmppConn {
            tx: Arc::new(Tx {
                sink: tokio::sync::Mutex::new(sink),
                user: user.to_owned(),
            }),
            stream,
            queue: VecDeque::new(),
        };
        tokio::time::timeout(STEP_TIMEOUT, c.handshake(&self.password))
            .await
            .with_context(|| format!("login {user} in time"))?
            .with_context(|| format!("login {user}"))?;
        Ok(c)
    }
}

/// How long the server may take to answer the stream `<open/>` before the login is retried.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(5);
const OPEN_STALLED: &str = "no stream features after <open/>";
static LOGIN_RETRIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Logins retried in this process because the server did not answer the stream `<open/>`.
pub fn login_retries() -> u64 {
    LOGIN_RETRIES.load(std::sync::atomic::Ordering::Relaxed)
}

/// The instance directory of the ejabberd started in `mode` ("ejabberd-nostore" or
/// "ejabberd-sqlite"): `EJABBERD_DIR` when it holds that mode, else the one start.sh recorded
/// in /tmp/pigeon-ejabberd-MODE.dir.
pub fn instance_dir(mode: &str) -> Option<PathBuf> {
    let m = mode.strip_prefix("ejabberd-").unwrap_or(mode);
    let holds = |d: &Path| {
        std::fs::read_to_string(d.join("instance.env"))
            .is_ok_and(|e| e.lines().any(|l| l.trim() == format!("MODE={m}")))
    };
    if let Some(d) = std::env::var_os("EJABBERD_DIR").map(PathBuf::from) {
        if holds(&d) {
            return Some(d);
        }
    }
    let recorded = std::fs::read_to_string(format!("/tmp/pigeon-ejabberd-{m}.dir")).ok()?;
    let d = PathBuf::from(recorded.trim());
    holds(&d).then_some(d)
}

/// The beam.smp process id start.sh recorded for the ejabberd running in `mode`.
pub fn instance_pid(mode: &str) -> Option<u32> {
    let env = std::fs::read_to_string(instance_dir(mode)?.join("instance.env")).ok()?;
    env.lines()
        .find_map(|l| l.strip_prefix("PID=")?.trim().parse().ok())
}

/// The driver for ejabberd in `mode`: the instance start.sh recorded (users and rooms then
/// prepared through its scripts), at `url` (`ws://127.0.0.1:PORT/ws`) when given.
pub fn target(mode: &str, url: Option<&str>) -> anyhow::Result<Arc<dyn Driver>> {
    let mut d = match instance_dir(mode) {
        Some(dir) => XmppDriver::from_instance_dir(&dir)?,
        None => {
            let url = url.ok_or_else(|| {
                anyhow!("{mode}: no instance from scripts/ejabberd/start.sh and no --xmpp-url")
            })?;
            XmppDriver::new(mode, ws_addr(url)?)
        }
    };
    if let Some(url) = url {
        d.addr = ws_addr(url)?;
        d.url = url.to_owned();
    }
    Ok(Arc::new(d))
}

/// The socket address of a `ws://IP:PORT/...` URL.
fn ws_addr(url: &str) -> anyhow::Result<SocketAddr> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| anyhow!("{url}: only ws:// URLs"))?;
    let hostport = rest.split('/').next().unwrap_or(rest);
    hostport
        .replace("localhost", "127.0.0.1")
        .parse()
        .with_context(|| format!("{url}: want ws://IP:PORT/ws"))
}

/// Where the ejabberd scripts are: `PIGEON_EJABBERD_SCRIPTS`, else this checkout's.
fn scripts_dir() -> PathBuf {
    std::env::var_os("PIGEON_EJABBERD_SCRIPTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ejabberd"))
}

impl Driver for XmppDriver {
    fn name(&self) -> &str {
        &self.name
    }

    fn acked_sends(&self) -> bool {
        false
    }

    fn connect(&self, user: &str, src: IpAddr) -> BoxFuture<'_, anyhow::Result<Box<dyn Conn>>> {
        let user = user.to_owned();
        Box::pin(async move {
            let mut c = self.login(&user, src).await?;
            let rooms = lock(&self.rooms).get(&user).cloned().unwrap_or_default();
            for room in rooms {
                c.join_group(&room).await?;
            }
            Ok(Box::new(c) as Box<dyn Conn>)
        })
    }

    fn prepare_users<'a>(&'a self, users: &'a [String]) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let new: Vec<&str> = {
                let done = lock(&self.registered);
                users
                    .iter()
                    .filter(|u| !done.contains(u.as_str()))
                    .map(String::as_str)
                    .collect()
            };
            if new.is_empty() {
                return Ok(());
            }
            self.run_script("register.sh", &[], &[], &new).await?;
            lock(&self.registered).extend(new.iter().map(|u| (*u).to_owned()));
            Ok(())
        })
    }

    fn prepare_group<'a>(
        &'a self,
        group: &'a str,
        kind: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        // Both kinds are a persistent open MUC room whose members join live: Work members on
        // connect (see `rooms`), AVChatRoom members through the generator's `join_group`. A live
        // room (10,000 members) does not broadcast occupant presence, or the joins alone would
        // be O(N^2) presence stanzas.
        Box::pin(async move {
            self.prepare_users(members).await?;
            let names: Vec<&str> = members.iter().map(String::as_str).collect();
            let live = kind == "AVChatRoom";
            let presence = if live { "none" } else { "all" };
            self.run_script(
                "room.sh",
                &[group],
                &[("EJABBERD_ROOM_PRESENCE", presence)],
                &names,
            )
            .await?;
            if !live {
                let mut rooms = lock(&self.rooms);
                for m in members {
                    let r = rooms.entry(m.clone()).or_default();
                    if !r.iter().any(|g| g == group) {
                        r.push(group.to_owned());
                    }
                }
            }
            Ok(())
        })
    }
}

/// Opens a TCP connection from `src` and does the WebSocket handshake with the `xmpp`
/// subprotocol (RFC 7395 §3.1).
async fn ws_connect(url: &str, addr: SocketAddr, src: IpAddr) -> anyhow::Result<Stream> {
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
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("xmpp"));
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(1 << 20));
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(config))
        .await
        .context("websocket handshake")?;
    Ok(ws)
}

/// The sending side of a connection, shared with the [`ConnSend`] half after a split.
struct Tx {
    sink: tokio::sync::Mutex<Sink>,
    user: String,
}

impl Tx {
    async fn send_raw(&self, stanza: String) -> anyhow::Result<()> {
        self.sink
            .lock()
            .await
            .send(Ws::text(stanza))
            .await
            .context("send stanza")
    }

    async fn send_message(&self, to: &str, kind: &str, body: &str) -> anyhow::Result<()> {
        let (domain, kind) = match kind {
            "chat" => (DOMAIN, "chat"),
            _ => (MUC_SERVICE, "groupchat"),
        };
        let to = quick_xml::escape::escape(to);
        let body = quick_xml::escape::escape(body);
        let mut s = String::with_capacity(60 + to.len() + body.len());
        for part in [
            "<message type='",
            kind,
            "' to='",
            &to,
            "@",
            domain,
            "'><body>",
            &body,
            "</body></message>",
        ] {
            s.push_str(part);
        }
        self.send_raw(s).await
    }
}

/// One logged-in XMPP session over WebSocket.
pub struct XmppConn {
    tx: Arc<Tx>,
    stream: SplitStream<Stream>,
    /// Chat messages read while waiting for something else (a login step, a MUC join).
    queue: VecDeque<Received>,
}

impl XmppConn {
    /// Next stanza frame (text frames only; pings are answered by tungstenite).
    async fn next_frame(&mut self) -> anyhow::Result<tokio_tungstenite::tungstenite::Utf8Bytes> {
        loop {
            match self.stream.next().await {
                Some(Ok(Ws::Text(t))) => return Ok(t),
                Some(Ok(Ws::Close(_))) | None => bail!("connection closed"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).context("read frame"),
            }
        }
    }

    /// Reads frames until `want` accepts one; chat messages seen meanwhile are queued.
    async fn wait_for<T>(
        &mut self,
        mut want: impl FnMut(&Stanza<'_>) -> Option<anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        loop {
            let frame = self.next_frame().await?;
            let st = parse(frame.as_str())?;
            if let Some(r) = want(&st) {
                return r;
            }
            match st {
                Stanza::Message { .. } => {
                    if let Some(m) = st.into_received(&self.tx.user) {
                        self.queue.push_back(m);
                    }
                }
                Stanza::Close | Stanza::StreamError => bail!("stream closed by server"),
                _ => {}
            }
        }
    }

    /// RFC 7395 open, SASL PLAIN, reopen, bind, initial presence; returns once the server
    /// has processed the presence (so messages to the bare JID reach this session).
    async fn handshake(&mut self, password: &str) -> anyhow::Result<()> {
        const OPEN: &str = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' \
                            version='1.0'/>";
        self.tx.send_raw(OPEN.to_owned()).await?;
        let features = self.wait_for(|s| matches!(s, Stanza::Features).then_some(Ok(())));
        tokio::time::timeout(OPEN_TIMEOUT, features)
            .await
            .map_err(|_| anyhow!(OPEN_STALLED))?
            .context("stream open")?;
        let mut plain = Vec::with_capacity(self.tx.user.len() + password.len() + 2);
        plain.push(0);
        plain.extend_from_slice(self.tx.user.as_bytes());
        plain.push(0);
        plain.extend_from_slice(password.as_bytes());
        let auth = format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{}</auth>",
            base64::engine::general_purpose::STANDARD.encode(plain)
        );
        self.tx.send_raw(auth).await?;
        self.wait_for(|s| match s {
            Stanza::Success => Some(Ok(())),
            Stanza::Failure => Some(Err(anyhow!("SASL PLAIN failure (not registered?)"))),
            _ => None,
        })
        .await
        .context("SASL PLAIN")?;
        self.tx.send_raw(OPEN.to_owned()).await?;
        self.wait_for(|s| matches!(s, Stanza::Features).then_some(Ok(())))
            .await
            .context("stream reopen")?;
        // Bind, initial presence and a barrier iq in one flight: the session processes them
        // in order, so the barrier's reply means bind and presence are done.
        self.tx
            .send_raw(format!(
                "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                 <resource>{RESOURCE}</resource></bind></iq>"
            ))
            .await?;
        self.tx.send_raw("<presence/>".to_owned()).await?;
        self.tx
            .send_raw(
                "<iq type='get' id='ready' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
                    .to_owned(),
            )
            .await?;
        let mut bound = false;
        self.wait_for(|s| match s {
            Stanza::Iq { id, ok } if id == "bind" => {
                bound = *ok;
                (!ok).then(|| Err(anyhow!("resource bind refused")))
            }
            // Any reply (result, or error without mod_ping) is the barrier.
            Stanza::Iq { id, .. } if id == "ready" => Some(if bound {
                Ok(())
            } else {
                Err(anyhow!("no bind result"))
            }),
            _ => None,
        })
        .await
        .context("bind and presence")
    }
}

#[async_trait::async_trait]
impl Conn for XmppConn {
    async fn send_direct(&mut self, to: &str, body: &str) -> anyhow::Result<()> {
        self.tx.send_message(to, "chat", body).await
    }

    async fn send_group(&mut self, group: &str, body: &str) -> anyhow::Result<()> {
        self.tx.send_message(group, "groupchat", body).await
    }

    async fn recv(&mut self) -> anyhow::Result<Received> {
        if let Some(m) = self.queue.pop_front() {
            return Ok(m);
        }
        loop {
            let frame = self.next_frame().await?;
            match parse(frame.as_str())? {
                st @ Stanza::Message { .. } => {
                    if let Some(m) = st.into_received(&self.tx.user) {
                        return Ok(m);
                    }
                }
                Stanza::Close | Stanza::StreamError => bail!("stream closed by server"),
                _ => {}
            }
        }
    }

    fn can_split(&self) -> bool {
        true
    }

    fn split(self: Box<Self>) -> anyhow::Result<(Box<dyn ConnSend>, Box<dyn ConnRecv>)> {
        let send = XmppSend(self.tx.clone());
        Ok((Box::new(send), self))
    }

    async fn join_group(&mut self, group: &str) -> anyhow::Result<()> {
        let occupant = format!("{group}@{MUC_SERVICE}/{}", self.tx.user);
        self.tx
            .send_raw(format!(
                "<presence to='{occupant}'><x xmlns='http://jabber.org/protocol/muc'>\
                 <history maxstanzas='0'/></x></presence>"
            ))
            .await?;
        let occ = occupant.as_str();
        tokio::time::timeout(
            STEP_TIMEOUT,
            self.wait_for(|s| match s {
                Stanza::Presence { from, error } if *from == occ => Some(if *error {
                    Err(anyhow!("join {occ} refused"))
                } else {
                    Ok(())
                }),
                _ => None,
            }),
        )
        .await
        .with_context(|| format!("join {group} in time"))?
    }

    async fn close(self: Box<Self>) -> anyhow::Result<()> {
        let mut sink = self.tx.sink.lock().await;
        let bye = async {
            sink.send(Ws::text(
                "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
            ))
            .await?;
            sink.close().await
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), bye).await;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnRecv for XmppConn {
    async fn recv(&mut self) -> anyhow::Result<Received> {
        Conn::recv(self).await
    }
}

/// The sending half of a split [`XmppConn`].
struct XmppSend(Arc<Tx>);

#[async_trait::async_trait]
impl ConnSend for XmppSend {
    async fn send_direct(&self, to: &str, body: &str) -> anyhow::Result<()> {
        self.0.send_message(to, "chat", body).await
    }

    async fn send_group(&self, group: &str, body: &str) -> anyhow::Result<()> {
        self.0.send_message(group, "groupchat", body).await
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What one top-level element (one WebSocket frame) is, borrowing from the frame.
#[derive(Debug, PartialEq, Eq)]
enum Stanza<'a> {
    /// `<message>` with a body (`None` for bodiless ones: chat states, MUC subject).
    Message {
        from: Cow<'a, str>,
        groupchat: bool,
        body: Option<Cow<'a, str>>,
    },
    /// `<presence>`: its sender and whether it is `type='error'`.
    Presence { from: Cow<'a, str>, error: bool },
    /// `<iq>` reply: its id and whether it is `type='result'`.
    Iq { id: Cow<'a, str>, ok: bool },
    /// `<stream:features>` (or `<features>`).
    Features,
    /// SASL `<success/>`.
    Success,
    /// SASL `<failure/>`.
    Failure,
    /// RFC 7395 `<close/>`.
    Close,
    /// `<stream:error>`.
    StreamError,
    /// `<open/>` and anything else.
    Other,
}

impl Stanza<'_> {
    /// The generator's view of a chat message, or `None` (no body, an error bounce, or the
    /// room's echo of our own groupchat message).
    fn into_received(self, me: &str) -> Option<Received> {
        let Stanza::Message {
            from,
            groupchat,
            body: Some(body),
        } = self
        else {
            return None;
        };
        let (bare, resource) = from.split_once('/').unwrap_or((&from, ""));
        let local = bare.split_once('@').map_or(bare, |(l, _)| l);
        if groupchat {
            if resource.is_empty() || resource == me {
                return None; // Room notices, and the room's copy of our own message.
            }
            Some(Received {
                from: resource.to_owned(),
                body: body.into_owned(),
                group: Some(local.to_owned()),
            })
        } else {
            Some(Received {
                from: local.to_owned(),
                body: body.into_owned(),
                group: None,
            })
        }
    }
}

/// `sub` (a slice of `frame`'s bytes, as quick-xml hands out for a borrowed input) as a
/// `&str` with the frame's lifetime, so stanza fields need no copy.
fn reborrow<'a>(frame: &'a str, sub: &str) -> Option<&'a str> {
    let off = (sub.as_ptr() as usize).checked_sub(frame.as_ptr() as usize)?;
    frame.get(off..off.checked_add(sub.len())?)
}

/// The unescaped value of attribute `name` of `e`, borrowed from `frame` when it can be.
fn attr<'a>(
    frame: &'a str,
    e: &BytesStart<'_>,
    name: &str,
) -> anyhow::Result<Option<Cow<'a, str>>> {
    for a in e.attributes().with_checks(false) {
        let a = a?;
        if a.key.as_ref() != name {
            continue;
        }
        let v: Cow<'a, str> = match reborrow(frame, &a.value) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(a.value.clone().into_owned()),
        };
        if !v.contains('&') {
            return Ok(Some(v));
        }
        return Ok(Some(Cow::Owned(
            quick_xml::escape::unescape(&v)?.into_owned(),
        )));
    }
    Ok(None)
}

/// Parses one frame (one top-level element, RFC 7395 §3.3.3).
fn parse(frame: &str) -> anyhow::Result<Stanza<'_>> {
    let mut r = Reader::from_str(frame);
    loop {
        let (e, empty) = match r.read_event()? {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::Eof => return Ok(Stanza::Other),
            _ => continue,
        };
        let stanza = match e.local_name().as_ref() {
            "message" => {
                let from = attr(frame, &e, "from")?.unwrap_or_default();
                let kind = attr(frame, &e, "type")?;
                if kind.as_deref() == Some("error") {
                    return Ok(Stanza::Other);
                }
                let groupchat = kind.as_deref() == Some("groupchat");
                let body = if empty { None } else { body(&mut r, frame)? };
                Stanza::Message {
                    from,
                    groupchat,
                    body,
                }
            }
            "presence" => Stanza::Presence {
                from: attr(frame, &e, "from")?.unwrap_or_default(),
                error: attr(frame, &e, "type")?.as_deref() == Some("error"),
            },
            "iq" => {
                let ok = attr(frame, &e, "type")?.as_deref() == Some("result");
                match attr(frame, &e, "id")? {
                    Some(id) => Stanza::Iq { id, ok },
                    None => Stanza::Other,
                }
            }
            "features" => Stanza::Features,
            "success" => Stanza::Success,
            "failure" => Stanza::Failure,
            "close" => Stanza::Close,
            "error" => Stanza::StreamError,
            _ => Stanza::Other,
        };
        return Ok(stanza);
    }
}

/// Finds the direct `<body>` child of the message just opened and returns its unescaped text.
fn body<'a>(r: &mut Reader<&'a [u8]>, frame: &'a str) -> anyhow::Result<Option<Cow<'a, str>>> {
    let mut depth = 0u32;
    loop {
        match r.read_event()? {
            Event::Start(e) => {
                if depth == 0 && e.local_name().as_ref() == "body" {
                    let span = r.read_to_end(e.name())?;
                    let raw = frame
                        .get(span.start as usize..span.end as usize)
                        .ok_or_else(|| anyhow!("body span"))?;
                    return Ok(Some(quick_xml::escape::unescape(raw)?));
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 0 && e.local_name().as_ref() == "body" => {
                return Ok(Some(Cow::Borrowed("")));
            }
            Event::End(_) => {
                if depth == 0 {
                    return Ok(None);
                }
                depth -= 1;
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chat_groupchat_and_control_stanzas() {
        let chat = "<message xmlns='jabber:client' type='chat' to='u2@localhost/bench' \
                    from='u1@localhost/bench'><archived/><body>7 a&amp;b &lt;x&gt;</body>\
                    <stanza-id xmlns='urn:xmpp:sid:0' id='1'/></message>";
        let m = parse(chat).expect("parses").into_received("u2");
        assert_eq!(
            m,
            Some(Received {
                from: "u1".into(),
                body: "7 a&b <x>".into(),
                group: None
            })
        );
        let gc = "<message type=\"groupchat\" from=\"g5@conference.localhost/u3\">\
                  <body>hi</body></message>";
        let m = parse(gc).expect("parses");
        assert_eq!(
            m.into_received("u1"),
            Some(Received {
                from: "u3".into(),
                body: "hi".into(),
                group: Some("g5".into())
            })
        );
        // Our own echo and the subject are dropped.
        assert_eq!(parse(gc).expect("parses").into_received("u3"), None);
        let subject =
            "<message type='groupchat' from='g5@conference.localhost'><subject/></message>";
        assert_eq!(parse(subject).expect("parses").into_received("u1"), None);
        let nested = "<message type='chat' from='a@localhost'><x><body>no</body></x></message>";
        assert_eq!(parse(nested).expect("parses").into_received("b"), None);
        assert_eq!(
            parse("<iq type='result' id='bind'><bind/></iq>").expect("parses"),
            Stanza::Iq {
                id: "bind".into(),
                ok: true
            }
        );
        assert_eq!(
            parse("<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms/></stream:features>")
                .expect("parses"),
            Stanza::Features
        );
        assert_eq!(
            parse("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>").expect("parses"),
            Stanza::Success
        );
        assert!(matches!(
            parse("<presence type='error' from='g@conference.localhost/u1'/>").expect("parses"),
            Stanza::Presence { error: true, .. }
        ));
    }
}

/// End to end against a running instance (scripts/ejabberd/start.sh), so ignored by default:
/// `PIGEON_XMPP_E2E=ejabberd-nostore cargo test -p pigeon-bench --lib xmpp -- --ignored`.
#[cfg(test)]
mod e2e {
    use super::*;
    use std::net::Ipv4Addr;

    const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs a running ejabberd (scripts/ejabberd/start.sh)"]
    async fn ping_pong_and_room_fan_out() {
        let mode = std::env::var("PIGEON_XMPP_E2E").unwrap_or_else(|_| "ejabberd-nostore".into());
        let d = target(&mode, None).expect("an instance started by start.sh");
        let users: Vec<String> = (0..50).map(|i| format!("e2e{i}")).collect();
        let t0 = std::time::Instant::now();
        d.prepare_users(&users).await.expect("register");
        eprintln!("registered in {:?}", t0.elapsed());

        // Ping-pong 100 messages between two clients.
        let mut a = d.connect(&users[0], LOCAL).await.expect("login a");
        let mut b = d.connect(&users[1], LOCAL).await.expect("login b");
        for i in 0..100 {
            let body = format!("{i} ping <&>");
            a.send_direct(&users[1], &body).await.expect("send a");
            let got = b.recv().await.expect("recv b");
            assert_eq!(
                (got.from.as_str(), got.body.as_str()),
                (users[0].as_str(), body.as_str())
            );
            assert_eq!(got.group, None);
            b.send_direct(&users[0], &format!("{i} pong"))
                .await
                .expect("send b");
            let got = a.recv().await.expect("recv a");
            assert_eq!(got.body, format!("{i} pong"));
        }

        eprintln!("ping-pong done at {:?}", t0.elapsed());
        // A 50-member room: everyone joins, one sends, the 49 others get it once.
        d.prepare_group("e2eroom", "Work", &users)
            .await
            .expect("room");
        eprintln!("room at {:?}", t0.elapsed());
        let mut conns = vec![a, b];
        for u in &users[2..] {
            conns.push(d.connect(u, LOCAL).await.expect("login member"));
        }
        eprintln!("logins at {:?}", t0.elapsed());
        for c in conns.iter_mut() {
            c.join_group("e2eroom").await.expect("join");
        }
        eprintln!("joins at {:?}", t0.elapsed());
        for round in 0..3 {
            let body = format!("fan {round}");
            conns[round]
                .send_group("e2eroom", &body)
                .await
                .expect("send group");
            for (i, c) in conns.iter_mut().enumerate() {
                if i == round {
                    continue;
                }
                let got = tokio::time::timeout(Duration::from_secs(10), c.recv())
                    .await
                    .expect("fan-out in time")
                    .expect("recv group");
                assert_eq!(got.body, body);
                assert_eq!(got.from, users[round]);
                assert_eq!(got.group.as_deref(), Some("e2eroom"));
            }
        }
        // Nothing else (no echo to the senders, no duplicates).
        for c in conns.iter_mut() {
            let extra = tokio::time::timeout(Duration::from_millis(50), c.recv()).await;
            assert!(extra.is_err(), "unexpected extra message: {extra:?}");
        }
        eprintln!("fan-out at {:?}", t0.elapsed());
        for c in conns {
            c.close().await.expect("close");
        }
        eprintln!("closed at {:?}", t0.elapsed());
    }

    /// Login storm and a big room; sizes from `PIGEON_XMPP_E2E_USERS` (default 2,000 logins,
    /// 500 at once) and `PIGEON_XMPP_E2E_ROOM` (default 500 members).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs a running ejabberd (scripts/ejabberd/start.sh)"]
    async fn login_storm_and_big_room() {
        let mode = std::env::var("PIGEON_XMPP_E2E").unwrap_or_else(|_| "ejabberd-nostore".into());
        let n: usize = std::env::var("PIGEON_XMPP_E2E_USERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000);
        let room: usize = std::env::var("PIGEON_XMPP_E2E_ROOM")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(500);
        let d = target(&mode, None).expect("an instance started by start.sh");
        let prefix = std::env::var("PIGEON_XMPP_E2E_PREFIX").unwrap_or_else(|_| "u".into());
        let users: Vec<String> = (0..n.max(room)).map(|i| format!("{prefix}{i}")).collect();
        d.prepare_users(&users).await.expect("register");
        let t0 = std::time::Instant::now();
        let sem = Arc::new(tokio::sync::Semaphore::new(500));
        let mut tasks = Vec::new();
        for u in &users[..n] {
            let u = u.clone();
            let d = d.clone();
            let sem = sem.clone();
            tasks.push(tokio::spawn(async move {
                let _p = sem.acquire().await.expect("semaphore");
                let t = std::time::Instant::now();
                let c = d.connect(&u, LOCAL).await;
                (t.elapsed(), c)
            }));
        }
        let mut conns = Vec::new();
        let mut failed = 0;
        let mut took = Vec::new();
        for t in tasks {
            let (el, c) = t.await.expect("task");
            took.push(el);
            match c {
                Ok(c) => conns.push(c),
                Err(e) => {
                    failed += 1;
                    eprintln!("login failed: {e:#}");
                }
            }
        }
        took.sort();
        eprintln!(
            "login time p50 {:?} p99 {:?} max {:?}",
            took[took.len() / 2],
            took[took.len() * 99 / 100],
            took[took.len() - 1]
        );
        assert_eq!(failed, 0, "failed logins");
        eprintln!("{n} logins (500 at once) in {:?}", t0.elapsed());
        let members: Vec<String> = users[..room].to_vec();
        let t1 = std::time::Instant::now();
        d.prepare_group("big", "Work", &members)
            .await
            .expect("room");
        eprintln!("room of {room} prepared in {:?}", t1.elapsed());
        let t1 = std::time::Instant::now();
        for c in conns.iter_mut().take(room) {
            c.join_group("big").await.expect("join");
        }
        eprintln!("{room} joins in {:?}", t1.elapsed());
        let t1 = std::time::Instant::now();
        conns[0].send_group("big", "x").await.expect("send");
        for c in conns.iter_mut().take(room).skip(1) {
            let got = tokio::time::timeout(Duration::from_secs(30), c.recv())
                .await
                .expect("in time")
                .expect("recv");
            assert_eq!(got.body, "x");
        }
        eprintln!("fan-out to {} in {:?}", room - 1, t1.elapsed());
        let t1 = std::time::Instant::now();
        for c in conns {
            c.close().await.expect("close");
        }
        eprintln!("closed in {:?}", t1.elapsed());
    }
}
