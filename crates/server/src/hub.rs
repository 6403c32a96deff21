//! The in-process [`Bus`]: who is online on this node and how to reach them. A session's
//! outgoing queue is bounded; a client too slow to drain it is disconnected and resyncs on
//! reconnect, so one slow reader cannot grow the server's memory.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, Notify};

/// Frames queued per session before it counts as too slow.
pub const SESSION_QUEUE: usize = 1024;

/// Identifies one connection.
pub type SessionId = u64;

/// Why the server ends a session on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// Kicked, with the `TYPES.KICKED_OUT_*` value the client is told.
    Kicked(String),
    /// Replaced by a reconnect of the same SDK instance; the client is told nothing.
    Replaced,
    /// Could not keep up with its queue.
    TooSlow,
    /// The server is shutting down: the client is told to reconnect (close code 1012).
    ShuttingDown,
}

/// The server's handle on one logged-in connection.
#[derive(Clone)]
pub struct SessionHandle {
    /// Connection ID.
    pub id: SessionId,
    /// SDK instance that owns it.
    pub instance_id: String,
    /// Login platform.
    pub platform: String,
    tx: mpsc::Sender<Arc<str>>,
    end: Arc<EndSignal>,
}

/// Tells a connection task to end, and why.
#[derive(Default)]
pub struct EndSignal {
    reason: Mutex<Option<EndReason>>,
    notify: Notify,
}

impl EndSignal {
    /// Asks the session to end (the first reason wins).
    pub fn end(&self, reason: EndReason) {
        let mut r = self.reason.lock().unwrap_or_else(|p| p.into_inner());
        if r.is_none() {
            *r = Some(reason);
        }
        drop(r);
        self.notify.notify_one();
    }

    /// Waits until asked to end; returns why.
    pub async fn wait(&self) -> EndReason {
        loop {
            if let Some(r) = self
                .reason
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
            {
                return r;
            }
            self.notify.notified().await;
        }
    }
}

/// Delivers frames to users' sessions and answers who is online. One implementation per
/// deployment: in-process for one node ([`Hub`]), NATS plus Store-kept presence for several
/// ([`crate::cluster::ClusterBus`]).
pub trait Bus: Send + Sync + 'static {
    /// Sends `frame` to every session of `user_id` except `except`.
    fn send_to_user(&self, user_id: &str, frame: Arc<str>, except: Option<SessionId>);
    /// Whether `user_id` has any session.
    fn is_online(&self, user_id: &str) -> bool;
    /// Those of `ids` that have any session (one batch look-up instead of one per user).
    fn online_among(&self, ids: &[String]) -> HashSet<String> {
        ids.iter()
            .filter(|id| self.is_online(id))
            .cloned()
            .collect()
    }
    /// (users, sessions) online.
    fn online_counts(&self) -> (usize, usize);
    /// The platforms `user_id` has sessions on, one entry per session.
    fn platforms_of(&self, user_id: &str) -> Vec<String>;
    /// Ends every session of `user_id` with `reason`.
    fn end_user(&self, user_id: &str, reason: EndReason);
    /// Adds a session on this node, applying the login rules (same instance replaced, over
    /// the per-platform limit the oldest kicked).
    fn register(&self, user_id: &str, instance_id: &str, platform: &str) -> Registered;
    /// Removes a session that ended. `Some(last)` says whether it was the user's last session
    /// anywhere; `None` leaves that to the caller (the in-process bus).
    fn unregister(&self, user_id: &str, id: SessionId) -> Option<bool>;
    /// Called once the sessions have drained at shutdown.
    fn stop(&self) {}
}

/// Sessions on this node.
pub struct Hub {
    sessions: Mutex<HashMap<String, Vec<SessionHandle>>>,
    next_id: AtomicU64,
    max_per_platform: usize,
    /// Set once shutdown begins: new sessions are ended as soon as they register.
    shutting_down: std::sync::atomic::AtomicBool,
    /// Rung whenever a session is removed, for [`Hub::wait_empty`].
    removed: Notify,
}

/// What a new session gets from [`Hub::register`].
pub struct Registered {
    /// Its ID.
    pub id: SessionId,
    /// Frames for it.
    pub rx: mpsc::Receiver<Arc<str>>,
    /// Where it is told to end.
    pub end: Arc<EndSignal>,
    /// Resolves once pushes published anywhere reach this session (the cluster bus's
    /// subscription is in place); `None` when they already do.
    pub ready: Option<oneshot::Receiver<()>>,
    /// Whether this is the user's first session anywhere, when the bus knows (cluster);
    /// `None` leaves the decision to the caller.
    pub first_anywhere: Option<bool>,
}

impl Hub {
    /// A hub allowing `max_per_platform` sessions per user and platform (at least 1).
    pub fn new(max_per_platform: usize) -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            max_per_platform: max_per_platform.max(1),
            shutting_down: std::sync::atomic::AtomicBool::new(false),
            removed: Notify::new(),
        }
    }

    /// Adds a session for `user_id`; ends an older session of the same instance (replaced) and,
    /// over the per-platform limit, the oldest ones (kicked with `multipleAccount`).
    pub fn register(&self, user_id: &str, instance_id: &str, platform: &str) -> Registered {
        let (tx, rx) = mpsc::channel(SESSION_QUEUE);
        let end = Arc::new(EndSignal::default());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let list = all.entry(user_id.to_owned()).or_default();
        list.retain(|s| {
            if s.instance_id == instance_id {
                s.end.end(EndReason::Replaced);
                false
            } else {
                true
            }
        });
        let same_platform = list.iter().filter(|s| s.platform == platform).count();
        let mut to_kick = (same_platform + 1).saturating_sub(self.max_per_platform);
        list.retain(|s| {
            if to_kick > 0 && s.platform == platform {
                to_kick -= 1;
                s.end.end(EndReason::Kicked(
                    pigeon_proto::consts::types::KICKED_OUT_MULT_ACCOUNT.to_owned(),
                ));
                false
            } else {
                true
            }
        });
        list.push(SessionHandle {
            id,
            instance_id: instance_id.to_owned(),
            platform: platform.to_owned(),
            tx,
            end: end.clone(),
        });
        drop(all);
        if self.shutting_down.load(Ordering::SeqCst) {
            end.end(EndReason::ShuttingDown);
        }
        Registered {
            id,
            rx,
            end,
            ready: None,
            first_anywhere: None,
        }
    }

    /// Removes a session that ended.
    pub fn unregister(&self, user_id: &str, id: SessionId) {
        let mut all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = all.get_mut(user_id) {
            list.retain(|s| s.id != id);
            if list.is_empty() {
                all.remove(user_id);
            }
        }
        drop(all);
        self.removed.notify_waiters();
    }

    /// Starts shutdown: every session, and any that registers from now on, is told to end
    /// with [`EndReason::ShuttingDown`] once its current request is answered.
    pub fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        for s in all.values().flatten() {
            s.end.end(EndReason::ShuttingDown);
        }
    }

    /// Waits until no session is left.
    pub async fn wait_empty(&self) {
        loop {
            let removed = self.removed.notified();
            tokio::pin!(removed);
            removed.as_mut().enable();
            if self
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
            {
                return;
            }
            removed.await;
        }
    }

    /// Ends every session of a user (e.g. on shutdown or account removal).
    pub fn end_user(&self, user_id: &str, reason: EndReason) {
        let all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        for s in all.get(user_id).into_iter().flatten() {
            s.end.end(reason.clone());
        }
    }
}

impl Hub {
    /// Ends one session of `user_id` (a cross-node kick); unknown sessions are ignored.
    pub fn end_session(&self, user_id: &str, id: SessionId, reason: EndReason) {
        let all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        for s in all.get(user_id).into_iter().flatten() {
            if s.id == id {
                s.end.end(reason.clone());
            }
        }
    }

    /// (users, sessions) online on this node.
    pub fn online_counts(&self) -> (usize, usize) {
        let all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        (all.len(), all.values().map(Vec::len).sum())
    }

    /// The platforms `user_id` has sessions on here, one entry per session.
    pub fn platforms_of(&self, user_id: &str) -> Vec<String> {
        let all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        all.get(user_id)
            .into_iter()
            .flatten()
            .map(|s| s.platform.clone())
            .collect()
    }
}

impl Bus for Hub {
    fn send_to_user(&self, user_id: &str, frame: Arc<str>, except: Option<SessionId>) {
        let all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        for s in all.get(user_id).into_iter().flatten() {
            if Some(s.id) == except {
                continue;
            }
            if s.tx.try_send(frame.clone()).is_err() {
                s.end.end(EndReason::TooSlow);
            }
        }
    }

    fn is_online(&self, user_id: &str) -> bool {
        let all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        all.get(user_id).is_some_and(|l| !l.is_empty())
    }

    fn online_counts(&self) -> (usize, usize) {
        Hub::online_counts(self)
    }

    fn platforms_of(&self, user_id: &str) -> Vec<String> {
        Hub::platforms_of(self, user_id)
    }

    fn end_user(&self, user_id: &str, reason: EndReason) {
        Hub::end_user(self, user_id, reason)
    }

    fn register(&self, user_id: &str, instance_id: &str, platform: &str) -> Registered {
        Hub::register(self, user_id, instance_id, platform)
    }

    fn unregister(&self, user_id: &str, id: SessionId) -> Option<bool> {
        Hub::unregister(self, user_id, id);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_login_on_same_platform_kicks_the_first() {
        let hub = Hub::new(1);
        let a = hub.register("alice", "i1", "web");
        let _b = hub.register("alice", "i2", "web");
        assert_eq!(
            a.end.wait().await,
            EndReason::Kicked("multipleAccount".into())
        );
    }

    #[tokio::test]
    async fn other_platform_and_higher_limit_do_not_kick() {
        let hub = Hub::new(2);
        let a = hub.register("alice", "i1", "web");
        let _b = hub.register("alice", "i2", "web");
        let _c = hub.register("alice", "i3", "desktop");
        assert!(a.end.reason.lock().expect("lock").is_none());
        let _d = hub.register("alice", "i4", "web");
        assert_eq!(
            a.end.wait().await,
            EndReason::Kicked("multipleAccount".into())
        );
    }

    #[tokio::test]
    async fn reconnect_of_same_instance_replaces_silently() {
        let hub = Hub::new(1);
        let a = hub.register("alice", "i1", "web");
        let mut b = hub.register("alice", "i1", "web");
        assert_eq!(a.end.wait().await, EndReason::Replaced);
        hub.send_to_user("alice", Arc::from("x"), None);
        assert_eq!(b.rx.recv().await.as_deref(), Some("x"));
    }
}
