//! pigeon-sdk: the Pigeon client, implementing the TencentCloudChat web SDK's `chat` API.
//!
//! A [`Chat`] holds one logged-in user: a WebSocket connection that reconnects with backoff and
//! resyncs what it missed, a local SQLite cache (one file per user) that answers reads before
//! and without the network, and an event stream with the seed's event names and data.
//! [`Chat::invoke`] calls any method by its seed name with the seed's positional arguments;
//! that is what the bridge and the desktop app use.
//!
//! # Layout
//! - [`conn`]: one WebSocket connection and its typed calls.
//! - `session`: the login session: connect, sync, push handling, reconnect.
//! - `state`: what the SDK knows (conversations, groups, inbox cursor) and its events.
//! - `messages`, `conversations`, `groups`, `lifecycle`: the API, one function per method.
//! - [`dispatch`]: the seed method table behind [`Chat::invoke`].
//! - [`cache`]: the local SQLite cache.

pub mod cache;
pub mod conn;
mod conversations;
pub mod dispatch;
mod files;
mod follows;
mod group_admin;
mod group_members;
mod groups;
mod lifecycle;
mod message_extras;
mod message_ops;
mod messages;
mod profiles;
mod relations;
mod session;
mod signaling;
mod state;
pub mod tls;
mod topics;

pub use pigeon_proto::{ImError, Result};
pub use session::Heartbeat;
pub use state::Event;

use conn::Conn;
use pigeon_proto::error::code;
use state::State;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// How to reach the server and where to keep the cache.
#[derive(Debug, Clone)]
pub struct ChatOptions {
    /// `ws://host:port` of a pigeon-server, or several comma-separated
    /// (`ws://a:1,ws://b:2`): nodes of one deployment, tried in turn when one cannot be
    /// reached (see [`ChatOptions::server_urls`]).
    pub server_url: String,
    /// The app's SDKAppID.
    pub sdk_app_id: u64,
    /// Directory for local caches (one subdirectory per app and user).
    pub data_dir: PathBuf,
    /// Login platform; sessions beyond the server's per-platform limit kick older ones.
    pub platform: String,
}

impl ChatOptions {
    /// The addresses in `server_url`, split at commas and trimmed, empty entries dropped.
    /// A `server_url` with no address at all is returned as it is, so connecting to it fails
    /// with the same error as before lists were accepted.
    pub fn server_urls(&self) -> Vec<String> {
        split_server_urls(&self.server_url)
    }
}

/// [`ChatOptions::server_urls`] on a bare string.
pub fn split_server_urls(server_url: &str) -> Vec<String> {
    let urls: Vec<String> = server_url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    if urls.is_empty() {
        vec![server_url.to_owned()]
    } else {
        urls
    }
}

type Handler = Box<dyn Fn(&Event) + Send + Sync>;

struct Listener {
    id: u64,
    name: Option<String>,
    handler: Handler,
}

/// A TencentCloudChat `chat` instance.
#[derive(Clone)]
pub struct Chat {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    opts: ChatOptions,
    instance_id: String,
    listeners: Mutex<Vec<Listener>>,
    next_listener: AtomicU64,
    state: Mutex<State>,
    conn: watch::Sender<Option<Arc<Conn>>>,
    session: Mutex<Option<session::SessionCtl>>,
    login_lock: tokio::sync::Mutex<()>,
    log_level: AtomicU8,
    plugins: Mutex<Vec<String>>,
    /// PEM CA file trusted for wss:// and https:// instead of the public roots.
    pub(crate) ca_file: Option<PathBuf>,
    /// Ping interval and silence timeout, read by each new connection.
    heartbeat: Mutex<session::Heartbeat>,
    /// `opts.server_urls()`, split once.
    server_urls: Vec<String>,
    /// Index in `server_urls` of the address of the live connection, or of the last one that
    /// worked: reconnects start there, and uploads go to it.
    active_server: AtomicUsize,
}

impl Chat {
    /// `TencentCloudChat.create({SDKAppID})`: a new instance, logged out. A `wss://` server
    /// is verified against the CA file in `PIGEON_CA_FILE` when set, else the public roots.
    pub fn create(opts: ChatOptions) -> Self {
        Self::create_with_ca_file(opts, tls::ca_file_from_env())
    }

    /// [`Chat::create`] trusting only the CA in `ca_file` (PEM) for `wss://` and `https://`
    /// (a self-hosted server with its own CA); None: the public roots. (A separate
    /// constructor rather than a `ChatOptions` field, so existing struct literals still build.)
    pub fn create_with_ca_file(opts: ChatOptions, ca_file: Option<PathBuf>) -> Self {
        let (conn, _) = watch::channel(None);
        let server_urls = opts.server_urls();
        Self {
            inner: Arc::new(Inner {
                opts,
                instance_id: format!("{:016x}", rand::random::<u64>()),
                listeners: Mutex::new(Vec::new()),
                next_listener: AtomicU64::new(1),
                state: Mutex::new(State::default()),
                conn,
                session: Mutex::new(None),
                login_lock: tokio::sync::Mutex::new(()),
                log_level: AtomicU8::new(0),
                plugins: Mutex::new(Vec::new()),
                ca_file,
                heartbeat: Mutex::new(session::Heartbeat::default()),
                server_urls,
                active_server: AtomicUsize::new(0),
            }),
        }
    }

    /// The CA file this instance trusts for TLS, if any.
    pub fn ca_file(&self) -> Option<&std::path::Path> {
        self.inner.ca_file.as_deref()
    }

    /// The options this instance was created with.
    pub fn options(&self) -> &ChatOptions {
        &self.inner.opts
    }

    /// The server address in use: the live connection's, else the last one that worked (the
    /// first of [`ChatOptions::server_urls`] before any did). File URLs and downloads go to it.
    pub fn current_server_url(&self) -> String {
        self.inner.current_server_url().to_owned()
    }

    /// Sets the heartbeat (ping interval, silence timeout) for connections made from now on;
    /// the default comes from [`Heartbeat::from_env`].
    pub fn set_heartbeat(&self, heartbeat: Heartbeat) {
        *self
            .inner
            .heartbeat
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = heartbeat;
    }

    /// Implements `on`: calls `handler` for every event named `name` (every event when None).
    /// Returns the id `off` takes.
    pub fn on(&self, name: Option<&str>, handler: impl Fn(&Event) + Send + Sync + 'static) -> u64 {
        let id = self.inner.next_listener.fetch_add(1, Ordering::Relaxed);
        self.inner.lock_listeners().push(Listener {
            id,
            name: name.map(str::to_owned),
            handler: Box::new(handler),
        });
        id
    }

    /// Implements `off`: removes a handler; false when there was none with that id.
    pub fn off(&self, id: u64) -> bool {
        let mut l = self.inner.lock_listeners();
        let before = l.len();
        l.retain(|x| x.id != id);
        l.len() != before
    }

    /// Every event from now on, in order, without loss.
    pub fn subscribe(&self) -> tokio::sync::mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.on(None, move |e| {
            let _ = tx.send(e.clone());
        });
        rx
    }
}

impl Inner {
    fn lock_listeners(&self) -> std::sync::MutexGuard<'_, Vec<Listener>> {
        self.listeners.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The heartbeat a new connection uses.
    pub(crate) fn heartbeat(&self) -> session::Heartbeat {
        *self.heartbeat.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Calls the listeners. Never call with the state lock held: handlers may call back in.
    pub(crate) fn emit_all(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let listeners = self.lock_listeners();
        for e in &events {
            for l in listeners.iter() {
                if l.name.as_deref().is_none_or(|n| n == e.name) {
                    (l.handler)(e);
                }
            }
        }
    }

    pub(crate) fn emit(&self, name: &str, data: serde_json::Value) {
        self.emit_all(vec![Event::new(name, data)]);
    }

    /// The server addresses, in the order given.
    pub(crate) fn server_urls(&self) -> &[String] {
        &self.server_urls
    }

    /// Index of the address of the live connection (or of the last one that worked).
    pub(crate) fn active_server(&self) -> usize {
        self.active_server.load(Ordering::Relaxed)
    }

    /// Records that the connection to address `i` is up.
    pub(crate) fn set_active_server(&self, i: usize) {
        self.active_server.store(i, Ordering::Relaxed);
    }

    /// The address of the live connection (or of the last one that worked; the first one
    /// before any did): where uploads go, since a node serves the files of the deployment.
    pub(crate) fn current_server_url(&self) -> &str {
        self.server_urls
            .get(self.active_server())
            .or(self.server_urls.first())
            .map_or(self.opts.server_url.as_str(), String::as_str)
    }

    /// The live connection, if any.
    pub(crate) fn conn(&self) -> Option<Arc<Conn>> {
        self.conn.borrow().clone().filter(|c| !c.is_closed())
    }

    /// The live connection, or the error an online call gets without one.
    pub(crate) fn online(&self) -> Result<Arc<Conn>> {
        self.require_login()?;
        self.conn()
            .ok_or_else(|| conn::network_error("not connected to the server"))
    }

    /// Waits up to `within` for a connection (for idempotent retries).
    pub(crate) async fn wait_online(&self, within: std::time::Duration) -> Result<Arc<Conn>> {
        let mut rx = self.conn.subscribe();
        let wait = async {
            rx.wait_for(|c| c.as_ref().is_some_and(|c| !c.is_closed()))
                .await
                .map(|c| c.clone())
        };
        match tokio::time::timeout(within, wait).await {
            Ok(Ok(Some(c))) => Ok(c),
            _ => Err(conn::network_error("not connected to the server")),
        }
    }

    /// The logged-in userID, or USER_NOT_LOGGED_IN.
    pub(crate) fn require_login(&self) -> Result<String> {
        let st = self.lock_state();
        if st.user_id.is_empty() {
            return Err(ImError::new(code::USER_NOT_LOGGED_IN, "not logged in"));
        }
        Ok(st.user_id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::split_server_urls;

    #[test]
    fn one_address_is_kept_as_is() {
        assert_eq!(split_server_urls("ws://a:1"), vec!["ws://a:1"]);
        assert_eq!(
            split_server_urls("wss://chat.example/ws"),
            vec!["wss://chat.example/ws"]
        );
    }

    #[test]
    fn a_list_is_split_and_trimmed() {
        assert_eq!(
            split_server_urls(" ws://a:1 , ws://b:2,,ws://c:3, "),
            vec!["ws://a:1", "ws://b:2", "ws://c:3"]
        );
    }

    #[test]
    fn nothing_usable_is_returned_unchanged() {
        // So connecting fails with the same error as before lists were accepted.
        assert_eq!(split_server_urls(""), vec![""]);
        assert_eq!(split_server_urls(" , "), vec![" , "]);
    }
}
