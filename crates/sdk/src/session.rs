//! A login session: connect and log in, sync what was missed, apply pushes in inbox order,
//! ping, and on any loss reconnect with backoff, reporting NET_STATE_CHANGE on the way.
//! With several server addresses, each connect tries them in turn (see [`try_order`]); the
//! login and resync after a reconnect are the same whichever node answers, since the inbox
//! cursor is per user, not per node.

use crate::conn::Conn;
use crate::state::PendingEntry;
use crate::{Event, Inner};
use pigeon_proto::consts::{event, types};
use pigeon_proto::error::code;
use pigeon_proto::wire::{GetConversationList, GetGroupList, Login, LoginReply, Ping, Push, Sync};
use pigeon_proto::ImError;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// Default ping interval; the server drops connections silent for 75 s.
const PING_EVERY: Duration = Duration::from_secs(20);

/// Default heartbeat timeout: a connection with no frame from the server for this long is
/// dropped and re-established (two missed pings and then some).
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

/// Heartbeat tuning. A half-open connection (peer gone without a FIN or RST, a middlebox that
/// stopped forwarding, a server that stopped answering) raises no socket error, so liveness is
/// judged by frames received: the SDK pings every `interval`, and when nothing at all has come
/// from the server for `timeout` it drops the connection, reports NET_STATE_CHANGE and
/// reconnects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// How often to ping the server.
    pub interval: Duration,
    /// How long the server may stay silent before the connection counts as lost.
    pub timeout: Duration,
}

impl Heartbeat {
    /// The values from `PIGEON_SDK_HEARTBEAT_MS` / `PIGEON_SDK_HEARTBEAT_TIMEOUT_MS` (read once
    /// per process), else 20 s / 45 s. A timeout not above the interval becomes 2.25 intervals,
    /// so one late pong never drops a healthy connection.
    pub fn from_env() -> Heartbeat {
        static FROM_ENV: std::sync::OnceLock<Heartbeat> = std::sync::OnceLock::new();
        *FROM_ENV.get_or_init(|| {
            let ms = |name: &str| {
                std::env::var(name)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .filter(|n| *n > 0)
                    .map(Duration::from_millis)
            };
            let interval = ms("PIGEON_SDK_HEARTBEAT_MS");
            let timeout = ms("PIGEON_SDK_HEARTBEAT_TIMEOUT_MS");
            Heartbeat::new(
                interval.unwrap_or(PING_EVERY),
                timeout.unwrap_or(if interval.is_some() {
                    Duration::ZERO
                } else {
                    SILENCE_LIMIT
                }),
            )
        })
    }

    /// A heartbeat pinging every `interval` (at least 10 ms) that gives up after `timeout`
    /// of silence (2.25 intervals when `timeout` is not above `interval`).
    pub fn new(interval: Duration, timeout: Duration) -> Heartbeat {
        let interval = interval.max(Duration::from_millis(10));
        let timeout = if timeout > interval {
            timeout
        } else {
            interval.mul_f64(2.25)
        };
        Heartbeat { interval, timeout }
    }
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat::from_env()
    }
}

/// How long to wait for a missing inbox entry before fetching it.
const GAP_WAIT: Duration = Duration::from_millis(300);

/// Reconnect backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Failed attempts after which the state reads `disconnected` rather than `connecting`.
const ATTEMPTS_BEFORE_DISCONNECTED: u32 = 3;

/// Handle to a running session task.
pub(crate) struct SessionCtl {
    pub stop: watch::Sender<bool>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Who logs in.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub user_id: String,
    pub user_sig: String,
    pub generation: u64,
    /// Whether a network failure on the first attempt may continue offline from the cache.
    pub offline_ok: bool,
}

/// How the first connection attempt went.
pub(crate) enum FirstResult {
    Online,
    Offline(ImError),
    Failed(ImError),
}

enum Outcome {
    Stopped,
    Lost,
    Kicked(String),
}

/// The connection is gone. The server closes a kicked session right after telling it why, so
/// that kick may still be queued behind the close: it must win over reconnecting, which would
/// log in again and kick the newer session in turn. Other queued pushes are dropped; the
/// resync after the reconnect brings them.
fn lost(pushes: &mut mpsc::UnboundedReceiver<Push>) -> Outcome {
    while let Ok(p) = pushes.try_recv() {
        if let Push::Kicked { kind } = p {
            return Outcome::Kicked(kind);
        }
    }
    Outcome::Lost
}

/// Resolves once nothing at all has come from the server for `timeout`: the heartbeat's
/// verdict that the connection is dead even though the socket reports no error.
async fn silent_for(conn: &Conn, timeout: Duration) {
    loop {
        tokio::time::sleep_until(conn.last_frame() + timeout).await;
        // A frame may have come in while sleeping.
        if conn.last_frame().elapsed() >= timeout {
            return;
        }
    }
}

fn is_auth_error(e: &ImError) -> bool {
    (70_000..71_000).contains(&e.code)
        || [code::NO_IDENTIFIER, code::NO_USERSIG, code::LOGIN_FAILED].contains(&e.code)
        || e.code == code::SERVER_INVALID_PARAM
}

async fn connect_login(
    inner: &Inner,
    creds: &Credentials,
    url: &str,
) -> Result<(Arc<Conn>, mpsc::UnboundedReceiver<Push>, LoginReply), ImError> {
    let (conn, pushes) = Conn::connect_with_ca(url, inner.ca_file.as_deref()).await?;
    let login = Login {
        user_id: creds.user_id.clone(),
        user_sig: creds.user_sig.clone(),
        sdk_app_id: inner.opts.sdk_app_id,
        instance_id: inner.instance_id.clone(),
        platform: inner.opts.platform.clone(),
    };
    match conn.call(&login).await {
        Ok(reply) => Ok((conn, pushes, reply)),
        Err(e) => {
            conn.close();
            Err(e)
        }
    }
}

/// The order in which to try `n` server addresses: each once, starting at `last_good` (the
/// one that worked last), or, when the live connection to `failed` just dropped, right after
/// it, so a node that went down is tried last rather than first (it is still tried: with one
/// node, or a node restarted in place, it is the one that comes back).
pub(crate) fn try_order(n: usize, last_good: usize, failed: Option<usize>) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let start = match failed {
        // `f % n + 1 <= n`: no overflow whatever `f` is.
        Some(f) => (f % n + 1) % n,
        None => last_good % n,
    };
    (0..n).map(|k| (start + k) % n).collect()
}

/// A connection that logged in, with the index of its address.
type Connected = (usize, Arc<Conn>, mpsc::UnboundedReceiver<Push>, LoginReply);

/// One round over the server addresses in `order`, without waiting between them: the first
/// that accepts the login wins. A node that cannot be reached (or fails otherwise) moves on
/// to the next address at once; a refused login ends the round, since every node of a
/// deployment checks the same credentials. After a round of failures, the last error.
async fn connect_round(
    inner: &Inner,
    creds: &Credentials,
    order: &[usize],
) -> Result<Connected, ImError> {
    let urls = inner.server_urls();
    let mut last_error = None;
    for &i in order {
        let Some(url) = urls.get(i) else { continue };
        match connect_login(inner, creds, url).await {
            Ok((conn, pushes, reply)) => {
                tracing::info!(server = %url, "connected and logged in");
                return Ok((i, conn, pushes, reply));
            }
            Err(e) if is_auth_error(&e) => return Err(e),
            Err(e) => {
                if urls.len() > 1 {
                    tracing::info!(server = %url, error = %e, "server unreachable; trying the next address");
                } else {
                    tracing::debug!(server = %url, error = %e, "server unreachable");
                }
                last_error = Some(e);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| crate::conn::network_error("no server address")))
}

impl Inner {
    pub(crate) fn set_net_state(&self, gen: u64, state: &'static str) {
        {
            let mut st = self.lock_state();
            if st.generation != gen || st.net_state == state {
                return;
            }
            st.net_state = state;
        }
        self.emit(event::NET_STATE_CHANGE, json!({ "state": state }));
    }

    /// Runs the events an update of generation `gen` produced, unless the session changed.
    fn apply(&self, gen: u64, f: impl FnOnce(&mut crate::state::State) -> Vec<Event>) {
        let events = {
            let mut st = self.lock_state();
            if st.generation != gen {
                return;
            }
            f(&mut st)
        };
        self.emit_all(events);
    }

    /// Fetches inbox entries after the cursor until none are left.
    async fn sync_inbox(&self, gen: u64, conn: &Conn) -> Result<(), ImError> {
        loop {
            let after = self.lock_state().cursor.unwrap_or(0);
            let page = conn.call(&Sync { after, limit: 200 }).await?;
            let done = page.is_completed || page.entries.is_empty();
            for e in page.entries {
                self.apply(gen, |st| {
                    // A message cleared since only moves the cursor.
                    let entry = match e.message {
                        Some(m) => PendingEntry::Received(Box::new(m), None),
                        None => PendingEntry::Own,
                    };
                    st.take_inbox(e.inbox_seq, entry)
                });
            }
            if done {
                return Ok(());
            }
        }
    }

    pub(crate) async fn refresh_conversations(&self, gen: u64, conn: &Conn) -> Result<(), ImError> {
        let mut list = Vec::new();
        let mut after = None;
        loop {
            let page = conn
                .call(&GetConversationList {
                    after: after.clone(),
                    count: 0,
                })
                .await?;
            after = page
                .conversation_list
                .last()
                .map(|c| c.conversation_id.clone());
            list.extend(page.conversation_list);
            if page.is_completed || after.is_none() {
                break;
            }
        }
        self.apply(gen, |st| st.update_conversations(list, true));
        Ok(())
    }

    pub(crate) async fn refresh_groups(
        &self,
        gen: u64,
        conn: &Conn,
        always: bool,
    ) -> Result<(), ImError> {
        let list = conn.call(&GetGroupList {}).await?.group_list;
        self.apply(gen, |st| st.update_groups(list, always));
        Ok(())
    }

    async fn sync_all(&self, gen: u64, conn: &Conn, inbox_head: u64) -> Result<(), ImError> {
        {
            let mut st = self.lock_state();
            if st.generation != gen {
                return Ok(());
            }
            if st.cursor.is_none() {
                // A new device reads history with getMessageList; it does not replay it.
                st.cursor = Some(inbox_head);
                if let Some(c) = st.cache.as_ref() {
                    let _ = c.set("cursor", &inbox_head.to_string());
                }
            }
            let cursor = st.cursor.unwrap_or(0);
            st.pending.retain(|n, _| *n > cursor);
        }
        self.sync_inbox(gen, conn).await?;
        self.refresh_conversations(gen, conn).await?;
        self.refresh_groups(gen, conn, false).await?;
        self.refresh_conversation_settings(gen, conn).await?;
        self.announce_pending_invitations(gen, conn).await
    }

    async fn drive(
        &self,
        gen: u64,
        conn: &Arc<Conn>,
        mut pushes: mpsc::UnboundedReceiver<Push>,
        reply: &LoginReply,
        stop: &mut watch::Receiver<bool>,
    ) -> Outcome {
        let hb = self.heartbeat();
        // The heartbeat covers the sync too: a connection that goes silent right after the
        // login must not hold the session for a whole call timeout.
        let synced = tokio::select! {
            r = self.sync_all(gen, conn, reply.inbox_head) => r,
            _ = silent_for(conn, hb.timeout) => {
                conn.abort();
                return lost(&mut pushes);
            }
        };
        match synced {
            Ok(()) => {}
            Err(e) if e.code == code::NETWORK_ERROR || e.code == code::NETWORK_TIMEOUT => {
                return lost(&mut pushes);
            }
            Err(e) => tracing::warn!(error = %e, "sync failed"),
        }
        let became_ready = {
            let mut st = self.lock_state();
            let first = st.generation == gen && !st.ready;
            if first {
                st.ready = true;
            }
            first
        };
        if became_ready {
            self.emit(event::SDK_READY, serde_json::Value::Null);
        }
        let mut ping = tokio::time::interval(hb.interval);
        ping.tick().await;
        let mut gap_at: Option<tokio::time::Instant> = None;
        // Rung when a send's ack filled the gap before received messages: they are applied and
        // reported here, so MESSAGE_RECEIVED only ever comes from this task, in inbox order.
        let wake = self.lock_state().wake.clone();
        loop {
            let gap_timer = async {
                match gap_at {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.changed() => return Outcome::Stopped,
                p = pushes.recv() => match p {
                    // Closed and drained: no kick can be left behind.
                    None => return Outcome::Lost,
                    Some(Push::Kicked { kind }) => return Outcome::Kicked(kind),
                    Some(Push::Message { inbox_seq: Some(n), message, conversation }) => {
                        self.apply(gen, |st| {
                            st.take_inbox(n, PendingEntry::Received(Box::new(message), conversation.map(Box::new)))
                        });
                        let gap = self.lock_state().has_gap();
                        gap_at = if gap { gap_at.or(Some(tokio::time::Instant::now() + GAP_WAIT)) } else { None };
                    }
                    Some(Push::Message { inbox_seq: None, message, .. }) => {
                        self.apply(gen, |st| {
                            let mut ev = vec![Event::new(event::MESSAGE_RECEIVED, json!([message]))];
                            ev.extend(st.signaling_events(std::slice::from_ref(&message)));
                            ev
                        });
                    }
                    Some(Push::Conversation { conversation }) => {
                        self.apply(gen, |st| st.update_conversations(vec![conversation], false));
                    }
                    Some(Push::Conversations { updated, deleted }) => {
                        self.apply(gen, |st| st.apply_conversation_changes(updated, deleted));
                    }
                    Some(Push::ConversationGroups { group_name_list }) => {
                        self.apply(gen, |st| st.set_conv_groups(group_name_list));
                    }
                    Some(Push::ConversationInGroup { group_name, conversation_list }) => {
                        self.apply(gen, |st| st.conversations_in_group(group_name, conversation_list));
                    }
                    Some(Push::ReceiveOpt { opt }) => {
                        self.apply(gen, |st| st.set_receive_opt(opt));
                    }
                    Some(Push::Event { name, data }) => {
                        self.apply(gen, |st| {
                            st.refresh_cached_messages(&name, &data);
                            vec![Event::new(&name, data)]
                        });
                    }
                    Some(Push::GroupsChanged {}) => {
                        tokio::select! {
                            r = self.refresh_groups(gen, conn, true) => if let Err(e) = r {
                                tracing::warn!(error = %e, "group list refresh failed");
                            },
                            _ = silent_for(conn, hb.timeout) => {
                                conn.abort();
                                return lost(&mut pushes);
                            }
                        }
                    }
                },
                _ = wake.notified() => {
                    self.apply(gen, |st| st.release());
                    if !self.lock_state().has_gap() {
                        gap_at = None;
                    }
                }
                _ = gap_timer => {
                    gap_at = None;
                    let synced = async {
                        self.sync_inbox(gen, conn).await?;
                        self.refresh_conversations(gen, conn).await
                    };
                    tokio::select! {
                        r = synced => if let Err(e) = r {
                            tracing::warn!(error = %e, "gap sync failed");
                        },
                        _ = silent_for(conn, hb.timeout) => {
                            conn.abort();
                            return lost(&mut pushes);
                        }
                    }
                    if self.lock_state().has_gap() {
                        gap_at = Some(tokio::time::Instant::now() + GAP_WAIT);
                    }
                }
                _ = ping.tick() => {
                    // Not awaited here: the answer only matters as a frame received, and the
                    // loop keeps applying pushes meanwhile.
                    let c = conn.clone();
                    tokio::spawn(async move {
                        if let Err(e) = c.call(&Ping {}).await {
                            tracing::debug!(error = %e, "ping failed");
                        }
                    });
                }
                _ = silent_for(conn, hb.timeout) => {
                    tracing::info!(timeout = ?hb.timeout, "server silent past the heartbeat timeout; reconnecting");
                    conn.abort();
                    return lost(&mut pushes);
                }
                _ = conn.closed() => return lost(&mut pushes),
            }
        }
    }

    /// Ends the login session locally (after a kick or a refused re-login): state cleared,
    /// SDK_NOT_READY, then KICKED_OUT when `kicked` says why.
    pub(crate) fn end_session(&self, gen: u64, kicked: Option<&str>) {
        let was_logged_in = {
            let mut st = self.lock_state();
            if st.generation != gen {
                return;
            }
            let was = !st.user_id.is_empty();
            st.clear_session();
            was
        };
        self.conn.send_replace(None);
        let mut events = Vec::new();
        if was_logged_in {
            events.push(Event::new(event::SDK_NOT_READY, serde_json::Value::Null));
        }
        if let Some(kind) = kicked {
            events.push(Event::new(event::KICKED_OUT, json!({ "type": kind })));
        }
        self.emit_all(events);
    }
}

/// The session task.
pub(crate) async fn run(
    inner: Arc<Inner>,
    creds: Credentials,
    first: oneshot::Sender<FirstResult>,
    mut stop: watch::Receiver<bool>,
) {
    let gen = creds.generation;
    let mut first = Some(first);
    let mut failures: u32 = 0;
    // The address whose live connection just dropped: the next round starts after it.
    let mut failed: Option<usize> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let order = try_order(
            inner.server_urls().len(),
            inner.active_server(),
            failed.take(),
        );
        let attempt = tokio::select! {
            r = connect_round(&inner, &creds, &order) => r,
            _ = stop.changed() => return,
        };
        match attempt {
            Ok((server, conn, pushes, reply)) => {
                failures = 0;
                inner.set_active_server(server);
                if let Some(f) = first.take() {
                    let _ = f.send(FirstResult::Online);
                }
                inner.conn.send_replace(Some(conn.clone()));
                inner.set_net_state(gen, types::NET_STATE_CONNECTED);
                let outcome = inner.drive(gen, &conn, pushes, &reply, &mut stop).await;
                inner.conn.send_replace(None);
                conn.close();
                if matches!(outcome, Outcome::Lost) {
                    // A lost connection may be half-open: do not wait on its closing handshake.
                    conn.abort();
                }
                match outcome {
                    Outcome::Stopped => return,
                    Outcome::Kicked(kind) => {
                        inner.end_session(gen, Some(&kind));
                        return;
                    }
                    Outcome::Lost if *stop.borrow() => return,
                    Outcome::Lost => {
                        tracing::info!(
                            server = %inner.current_server_url(),
                            "connection lost; reconnecting"
                        );
                        failed = Some(server);
                        inner.set_net_state(gen, types::NET_STATE_CONNECTING);
                    }
                }
            }
            Err(e) if is_auth_error(&e) => {
                if let Some(f) = first.take() {
                    let _ = f.send(FirstResult::Failed(e));
                    return;
                }
                if e.code == code::USERSIG_EXPIRED {
                    inner.end_session(gen, Some(types::KICKED_OUT_USERSIG_EXPIRED));
                } else {
                    inner.emit(
                        event::ERROR,
                        json!({ "code": e.code, "message": e.message }),
                    );
                    inner.end_session(gen, None);
                }
                return;
            }
            // A whole round of addresses failed: only now the backoff below applies.
            Err(e) => {
                if let Some(f) = first.take() {
                    if !creds.offline_ok {
                        let _ = f.send(FirstResult::Failed(e));
                        return;
                    }
                    let _ = f.send(FirstResult::Offline(e));
                }
                failures += 1;
                let state = if failures >= ATTEMPTS_BEFORE_DISCONNECTED {
                    types::NET_STATE_DISCONNECTED
                } else {
                    types::NET_STATE_CONNECTING
                };
                inner.set_net_state(gen, state);
            }
        }
        let exp = failures.min(10);
        let base = BACKOFF_MIN.saturating_mul(1 << exp).min(BACKOFF_MAX);
        let jitter = rand::random::<f64>() * 0.4 + 0.8;
        let wait = base.mul_f64(jitter);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::try_order;

    #[test]
    fn one_address_is_always_tried() {
        assert_eq!(try_order(1, 0, None), vec![0]);
        assert_eq!(try_order(1, 0, Some(0)), vec![0]);
        assert_eq!(try_order(1, 5, Some(7)), vec![0]);
    }

    #[test]
    fn no_address_gives_nothing_to_try() {
        assert!(try_order(0, 0, None).is_empty());
        assert!(try_order(0, 3, Some(1)).is_empty());
    }

    #[test]
    fn a_connect_starts_at_the_last_good_address_and_wraps() {
        assert_eq!(try_order(3, 0, None), vec![0, 1, 2]);
        assert_eq!(try_order(3, 1, None), vec![1, 2, 0]);
        assert_eq!(try_order(3, 2, None), vec![2, 0, 1]);
    }

    #[test]
    fn a_dropped_connection_starts_after_its_address_and_tries_it_last() {
        assert_eq!(try_order(3, 0, Some(0)), vec![1, 2, 0]);
        assert_eq!(try_order(3, 2, Some(2)), vec![0, 1, 2]);
        assert_eq!(try_order(2, 1, Some(1)), vec![0, 1]);
        // The failed address wins over the last good one.
        assert_eq!(try_order(4, 3, Some(1)), vec![2, 3, 0, 1]);
    }

    #[test]
    fn out_of_range_indexes_wrap_instead_of_panicking() {
        assert_eq!(try_order(3, 4, None), vec![1, 2, 0]);
        assert_eq!(try_order(3, 0, Some(usize::MAX)), {
            let f = usize::MAX % 3;
            vec![(f + 1) % 3, (f + 2) % 3, f]
        });
    }

    #[test]
    fn every_order_is_a_permutation() {
        for n in 1..6 {
            for last in 0..n {
                for failed in std::iter::once(None).chain((0..n).map(Some)) {
                    let mut o = try_order(n, last, failed);
                    o.sort_unstable();
                    assert_eq!(
                        o,
                        (0..n).collect::<Vec<_>>(),
                        "n={n} last={last} failed={failed:?}"
                    );
                }
            }
        }
    }
}
