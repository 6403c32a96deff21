//! The NATS [`Bus`] for several nodes sharing one Store and one NATS server.
//!
//! - Pushes: delivered to this node's sessions directly and published on
//!   `pigeon.<SDKAppID>.u.<hex of userID>`; a node subscribes to a user's subject while it
//!   holds a session of that user. The connection is `no_echo`, so a node never gets back
//!   what it published. All publishes go through one task in send order, which keeps each
//!   user's pushes in order.
//! - Node control: `pigeon.<SDKAppID>.n.<node_id>` carries targeted commands (end session S of
//!   user U with reason R), for kicks decided on another node.
//! - Presence: every session is a row in the Store ([`crate::presence`]); the node heartbeats
//!   its `nodes` row, and rows of nodes silent for [`STALE_MS`] count as offline and are swept.
//!   Login rules, online checks and counts read those rows, never one node's memory.

use crate::hub::{Bus, EndReason, Hub, Registered, SessionId};
use crate::presence::PresenceRow;
use crate::store::Store;
use crate::{AppState, Caller};
use anyhow::Context;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

/// How often a node refreshes its `nodes` row (and sweeps dead nodes' sessions).
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// A node not seen for this long is dead: its sessions count as offline.
pub const STALE_MS: i64 = 15_000;

/// A command to one node, on its control subject.
#[derive(Debug, Serialize, Deserialize)]
struct Control {
    /// Whose session.
    user: String,
    /// Which session, on the receiving node.
    session: SessionId,
    /// What to tell it.
    reason: WireReason,
}

/// The [`EndReason`]s that cross nodes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum WireReason {
    Kicked(String),
    Replaced,
}

impl WireReason {
    fn of(r: &EndReason) -> Option<Self> {
        match r {
            EndReason::Kicked(k) => Some(Self::Kicked(k.clone())),
            EndReason::Replaced => Some(Self::Replaced),
            // Local-only reasons: a slow reader or this node's own shutdown.
            EndReason::TooSlow | EndReason::ShuttingDown => None,
        }
    }

    fn into_reason(self) -> EndReason {
        match self {
            Self::Kicked(k) => EndReason::Kicked(k),
            Self::Replaced => EndReason::Replaced,
        }
    }
}

/// Changes to this node's user subscriptions, applied in order by one task.
enum SubCmd {
    Subscribe(String, oneshot::Sender<()>),
    Unsubscribe(String),
}

/// What this node holds, for subscriptions and for re-adding its rows after a sweep.
#[derive(Default)]
struct Local {
    /// Sessions per user on this node.
    users: HashMap<String, usize>,
    /// This node's presence rows.
    rows: HashMap<SessionId, PresenceRow>,
}

/// The NATS bus: this node's [`Hub`] plus NATS for the others, presence in the Store.
pub struct ClusterBus {
    hub: Arc<Hub>,
    store: Arc<dyn Store>,
    node_id: String,
    prefix: String,
    max_per_platform: usize,
    publish: mpsc::UnboundedSender<(String, bytes::Bytes)>,
    subs: mpsc::UnboundedSender<SubCmd>,
    local: Mutex<Local>,
}

/// Unix time in milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A userID as a subject token: hex, because userIDs may hold `.`, `*`, `>` or spaces.
fn hex(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

impl ClusterBus {
    /// Connects to NATS at `url` (comma-separated servers), registers this node (a fresh
    /// random ID) in the Store and starts the publish, subscription and control tasks.
    pub async fn connect(
        url: &str,
        sdk_app_id: u64,
        hub: Arc<Hub>,
        store: Arc<dyn Store>,
        max_per_platform: usize,
    ) -> anyhow::Result<Arc<Self>> {
        let node_id = format!("{:016x}", rand::random::<u64>());
        let servers: Vec<&str> = url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        anyhow::ensure!(
            !servers.is_empty(),
            "[bus] url is empty: name the NATS server"
        );
        // Reconnects are async-nats's job (unlimited, with backoff); they are only logged.
        let client = async_nats::ConnectOptions::new()
            .no_echo()
            .name(format!("pigeon-server {node_id}"))
            .event_callback(|e| async move {
                match e {
                    async_nats::Event::Connected => info!("NATS connected"),
                    other => warn!(event = %other, "NATS"),
                }
            })
            .connect(servers)
            .await
            .with_context(|| format!("connecting to NATS at {url}"))?;
        let prefix = format!("pigeon.{sdk_app_id}");
        {
            let (s, id) = (store.clone(), node_id.clone());
            tokio::task::spawn_blocking(move || s.node_seen(&id, now_ms()))
                .await?
                .context("registering the node in the store")?;
        }
        let control = client
            .subscribe(format!("{prefix}.n.{node_id}"))
            .await
            .context("subscribing to the node's control subject")?;
        let (publish, publish_rx) = mpsc::unbounded_channel();
        let (subs, subs_rx) = mpsc::unbounded_channel();
        tokio::spawn(publisher(client.clone(), publish_rx));
        tokio::spawn(subscriptions(
            client.clone(),
            prefix.clone(),
            hub.clone(),
            subs_rx,
        ));
        tokio::spawn(control_loop(control, hub.clone()));
        info!(node = %node_id, "cluster bus up");
        Ok(Arc::new(Self {
            hub,
            store,
            node_id,
            prefix,
            max_per_platform: max_per_platform.max(1),
            publish,
            subs,
            local: Mutex::new(Local::default()),
        }))
    }

    /// This node's ID (random per start).
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    fn user_subject(&self, user_id: &str) -> String {
        format!("{}.u.{}", self.prefix, hex(user_id))
    }

    /// Runs a blocking Store call off the async workers; failures are logged and give `None`.
    fn db<T>(
        &self,
        what: &str,
        f: impl FnOnce(&dyn Store) -> crate::store::Result<T>,
    ) -> Option<T> {
        crate::db::blocking(|| f(self.store.as_ref()))
            .map_err(|e| warn!(error = %e, "presence: could not {what}"))
            .ok()
    }

    /// Ends a session wherever it is: here directly, elsewhere through its node's subject.
    fn end_row(&self, row: &PresenceRow, reason: EndReason) {
        if row.node_id == self.node_id {
            self.hub.end_session(&row.user_id, row.session_id, reason);
            return;
        }
        let Some(reason) = WireReason::of(&reason) else {
            return;
        };
        let cmd = Control {
            user: row.user_id.clone(),
            session: row.session_id,
            reason,
        };
        match serde_json::to_vec(&cmd) {
            Ok(body) => {
                let subject = format!("{}.n.{}", self.prefix, row.node_id);
                let _ = self.publish.send((subject, body.into()));
            }
            Err(e) => warn!(error = %e, "could not encode a node command"),
        }
    }

    fn live_since() -> i64 {
        now_ms() - STALE_MS
    }

    /// Heartbeat: refreshes this node's row; if others swept it (this node could not reach
    /// the store for a while), writes its sessions back.
    fn heartbeat(&self) {
        let Some(existed) = self.db("heartbeat", |s| s.node_seen(&self.node_id, now_ms())) else {
            return;
        };
        if !existed {
            let rows: Vec<PresenceRow> = self
                .local
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .rows
                .values()
                .cloned()
                .collect();
            warn!(
                node = %self.node_id,
                sessions = rows.len(),
                "this node was counted as dead: writing its sessions back"
            );
            self.db("re-add sessions", |s| {
                for r in &rows {
                    s.presence_add(r)?;
                }
                Ok(())
            });
        }
    }
}

impl Bus for ClusterBus {
    fn send_to_user(&self, user_id: &str, frame: Arc<str>, except: Option<SessionId>) {
        let payload = bytes::Bytes::copy_from_slice(frame.as_bytes());
        Bus::send_to_user(self.hub.as_ref(), user_id, frame, except);
        let _ = self.publish.send((self.user_subject(user_id), payload));
    }

    fn is_online(&self, user_id: &str) -> bool {
        if Bus::is_online(self.hub.as_ref(), user_id) {
            return true;
        }
        self.db("check presence", |s| {
            s.presence_online_among(&[user_id.to_owned()], Self::live_since())
        })
        .is_some_and(|v| !v.is_empty())
    }

    fn online_among(&self, ids: &[String]) -> HashSet<String> {
        self.db("check presence", |s| {
            s.presence_online_among(ids, Self::live_since())
        })
        .unwrap_or_default()
        .into_iter()
        // This node's own sessions count even when the store is unreachable.
        .chain(
            ids.iter()
                .filter(|id| Bus::is_online(self.hub.as_ref(), id))
                .cloned(),
        )
        .collect()
    }

    fn online_counts(&self) -> (usize, usize) {
        match self.db("count presence", |s| s.presence_counts(Self::live_since())) {
            Some((u, s)) => (
                usize::try_from(u).unwrap_or(usize::MAX),
                usize::try_from(s).unwrap_or(usize::MAX),
            ),
            None => self.hub.online_counts(),
        }
    }

    fn platforms_of(&self, user_id: &str) -> Vec<String> {
        match self.db("read presence", |s| {
            s.presence_of(user_id, Self::live_since())
        }) {
            Some(rows) => rows.into_iter().map(|r| r.platform).collect(),
            None => self.hub.platforms_of(user_id),
        }
    }

    fn end_user(&self, user_id: &str, reason: EndReason) {
        self.hub.end_user(user_id, reason.clone());
        let rows = self
            .db("read presence", |s| {
                s.presence_of(user_id, Self::live_since())
            })
            .unwrap_or_default();
        for r in rows.iter().filter(|r| r.node_id != self.node_id) {
            self.end_row(r, reason.clone());
        }
    }

    fn register(&self, user_id: &str, instance_id: &str, platform: &str) -> Registered {
        // This node's rules first (they need no store), then the same rules over the cluster.
        let mut reg = self.hub.register(user_id, instance_id, platform);
        let row = PresenceRow {
            node_id: self.node_id.clone(),
            session_id: reg.id,
            user_id: user_id.to_owned(),
            instance_id: instance_id.to_owned(),
            platform: platform.to_owned(),
            since_ms: now_ms(),
        };
        {
            let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
            local.rows.insert(reg.id, row.clone());
            let n = local.users.entry(user_id.to_owned()).or_insert(0);
            *n += 1;
            if *n == 1 {
                // Under the lock, so subscribe and unsubscribe reach the task in order.
                let (tx, rx) = oneshot::channel();
                let _ = self.subs.send(SubCmd::Subscribe(user_id.to_owned(), tx));
                reg.ready = Some(rx);
            }
        }
        let rows = self.db("record a session", |s| {
            s.presence_add(&row)?;
            s.presence_of(user_id, Self::live_since())
        });
        let Some(rows) = rows else {
            return reg;
        };
        let key = |r: &PresenceRow| (r.since_ms, r.node_id.clone(), r.session_id);
        let mine = key(&row);
        let others: Vec<&PresenceRow> = rows
            .iter()
            .filter(|r| !(r.node_id == row.node_id && r.session_id == row.session_id))
            .collect();
        // First anywhere = no older live session: of two concurrent first logins, the older
        // one announces.
        reg.first_anywhere = Some(!others.iter().any(|r| key(r) < mine));
        let mut same_platform = Vec::new();
        for r in others {
            if r.instance_id == instance_id {
                self.end_row(r, EndReason::Replaced);
            } else if r.platform == platform {
                same_platform.push(r);
            }
        }
        // `rows` are oldest first, so the oldest go.
        let excess = (same_platform.len() + 1).saturating_sub(self.max_per_platform);
        for r in same_platform.into_iter().take(excess) {
            self.end_row(
                r,
                EndReason::Kicked(pigeon_proto::consts::types::KICKED_OUT_MULT_ACCOUNT.to_owned()),
            );
        }
        reg
    }

    fn unregister(&self, user_id: &str, id: SessionId) -> Option<bool> {
        self.hub.unregister(user_id, id);
        {
            let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
            local.rows.remove(&id);
            if let Some(n) = local.users.get_mut(user_id) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    local.users.remove(user_id);
                    let _ = self.subs.send(SubCmd::Unsubscribe(user_id.to_owned()));
                }
            }
        }
        // Delete, then look, as two statements: of two last sessions ending at once on two
        // nodes, at least one sees none left.
        self.db("remove a session", |s| {
            s.presence_remove(&self.node_id, id)?;
            s.presence_online_among(&[user_id.to_owned()], Self::live_since())
        })
        .map(|left| left.is_empty())
    }

    fn stop(&self) {
        self.db("remove the node", |s| s.node_remove(&self.node_id));
    }
}

/// Publishes in the order frames were sent (one task: per-user order holds).
async fn publisher(
    client: async_nats::Client,
    mut rx: mpsc::UnboundedReceiver<(String, bytes::Bytes)>,
) {
    while let Some((subject, payload)) = rx.recv().await {
        if let Err(e) = client.publish(subject, payload).await {
            warn!(error = %e, "NATS publish failed");
        }
    }
}

/// Keeps one subscription per user with a session here; what arrives goes to the local
/// sessions.
async fn subscriptions(
    client: async_nats::Client,
    prefix: String,
    hub: Arc<Hub>,
    mut rx: mpsc::UnboundedReceiver<SubCmd>,
) {
    let mut readers: HashMap<String, tokio::task::AbortHandle> = HashMap::new();
    while let Some(cmd) = rx.recv().await {
        match cmd {
            SubCmd::Subscribe(user, ready) => {
                let subject = format!("{prefix}.u.{}", hex(&user));
                let mut sub = match client.subscribe(subject).await {
                    Ok(s) => s,
                    Err(e) => {
                        warn!(user = %user, error = %e, "NATS subscribe failed");
                        continue;
                    }
                };
                let (hub, who) = (hub.clone(), user.clone());
                let reader = tokio::spawn(async move {
                    while let Some(m) = sub.next().await {
                        match std::str::from_utf8(&m.payload) {
                            Ok(text) => {
                                Bus::send_to_user(hub.as_ref(), &who, Arc::from(text), None)
                            }
                            Err(_) => warn!("a NATS push was not UTF-8"),
                        }
                    }
                });
                if let Some(old) = readers.insert(user, reader.abort_handle()) {
                    old.abort();
                }
                // Once the server has answered a flush it has the subscription: from then on
                // every publish anywhere reaches this node.
                let c = client.clone();
                tokio::spawn(async move {
                    if let Err(e) = c.flush().await {
                        warn!(error = %e, "NATS flush failed");
                    }
                    let _ = ready.send(());
                });
            }
            SubCmd::Unsubscribe(user) => {
                // Dropping the subscriber (with its task) unsubscribes.
                if let Some(r) = readers.remove(&user) {
                    r.abort();
                }
            }
        }
    }
}

/// Applies commands addressed to this node.
async fn control_loop(mut sub: async_nats::Subscriber, hub: Arc<Hub>) {
    while let Some(m) = sub.next().await {
        match serde_json::from_slice::<Control>(&m.payload) {
            Ok(c) => hub.end_session(&c.user, c.session, c.reason.into_reason()),
            Err(e) => warn!(error = %e, "bad node command"),
        }
    }
}

/// The node's background work: heartbeat, and sweeping the sessions of dead nodes (whose
/// users, if now offline everywhere, are announced offline).
pub async fn run(st: Arc<AppState>, bus: Arc<ClusterBus>) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        bus.heartbeat();
        let Some(swept) = bus.db("sweep dead nodes", |s| {
            s.presence_sweep(ClusterBus::live_since())
        }) else {
            continue;
        };
        let users: HashSet<String> = swept.into_iter().collect();
        if !users.is_empty() {
            info!(users = users.len(), "swept sessions of dead nodes");
        }
        for user in users {
            if !bus.is_online(&user) {
                let c = Caller {
                    user_id: user,
                    session: 0,
                };
                crate::profiles::session_ended(&st, &c, Some(true));
            }
        }
    }
}
