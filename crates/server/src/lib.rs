//! pigeon-server: the Pigeon server.
//!
//! # Layout
//! - [`gateway`]: the WebSocket endpoint, one task per connection, login and dispatch.
//! - [`hub`]: who is online and the [`hub::Bus`] that delivers pushes to them.
//! - [`messages`], [`conversations`], [`groups`], [`signaling`]: the domain services, one
//!   function per operation.
//! - [`store`]: the [`store::Store`] trait and its SQLite implementation.
//! - [`usersig`]: TLSSigAPIv2 UserSigs.
//! - [`credentials`]: the app's SDKAppID and secret key.
//! - [`webhooks`]: the app backend's TencentCloudChat-style callbacks.
//! - [`metrics`]: the counters and histograms behind `GET /metrics`.
//! - [`limits`]: rate limits, connection and upload bounds (docs/limits.md).

pub mod cluster;
pub mod conversations;
pub mod credentials;
pub mod db;
pub mod files;
pub mod follows;
pub mod gateway;
pub mod group_admin;
pub mod group_members;
pub mod groups;
pub mod hub;
pub mod limits;
pub mod message_extras;
pub mod message_ops;
pub mod messages;
pub mod metrics;
pub mod presence;
pub mod profiles;
pub mod relations;
pub mod rest;
pub mod signaling;
pub mod store;
pub mod tls;
pub mod topics;
pub mod usersig;
pub mod webhooks;

use credentials::Credentials;
use hub::{Bus, Hub, SessionId};
use pigeon_proto::error::code;
use pigeon_proto::ImError;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use store::{Store, StoreError};

/// Server settings (the `--config` TOML file and flags).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Where the database, credentials and files live.
    pub data_dir: PathBuf,
    /// Sessions one user may have per platform before the oldest is kicked.
    pub max_logins_per_platform: usize,
    /// Refuse C2C messages between users who are not friends (code 20009).
    pub friend_check: bool,
    /// Profile custom field keys users may set (`Tag_Profile_Custom_*`).
    pub profile_custom_fields: Vec<String>,
    /// Group custom field keys groups may carry (createGroup, updateGroupProfile); none by
    /// default, as custom fields must be enabled before use.
    pub group_custom_fields: Vec<String>,
    /// The app administrator's identifier: the only account the REST API (`/v4/...`) accepts.
    pub rest_admin: String,
    /// The app backend's callbacks (`[webhooks]`).
    pub webhooks: webhooks::WebhookConfig,
    /// Serve `GET /dev/usersig` to loopback peers: UserSigs for anyone, for local development.
    pub dev_sign_in: bool,
    /// On SIGTERM/SIGINT, how long open sessions and requests may take to finish (seconds).
    pub drain_timeout_secs: u64,
    /// `[limits]`: rates, sizes and timeouts that bound what one client may cost
    /// (docs/limits.md).
    pub limits: limits::LimitsConfig,
    /// `[tls]`: serve wss:// and https:// with this certificate and key (plain when absent).
    pub tls: Option<tls::TlsConfig>,
    /// `[store]`: embedded SQLite (default) or a shared PostgreSQL.
    pub store: StoreConfig,
    /// `[bus]`: in-process (default, one node) or NATS (several nodes).
    pub bus: BusConfig,
}

/// Which database holds the server's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// One SQLite file in the data directory: zero setup, one node.
    #[default]
    Sqlite,
    /// A PostgreSQL database shared by every node.
    Postgres,
}

/// `[store]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// The backend.
    pub backend: StoreBackend,
    /// PostgreSQL connection string (`postgres://user:pass@host:port/db` or key=value form).
    pub url: String,
    /// Connections this node keeps open to PostgreSQL.
    pub pool_size: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            backend: StoreBackend::Sqlite,
            url: String::new(),
            pool_size: 16,
        }
    }
}

/// How pushes reach sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BusBackend {
    /// Sessions on this node only.
    #[default]
    Local,
    /// A NATS server connecting every node.
    Nats,
}

/// `[bus]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    /// The backend.
    pub backend: BusBackend,
    /// NATS server URL(s), comma-separated (`nats://127.0.0.1:4222`).
    pub url: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: default_data_dir(),
            max_logins_per_platform: 1,
            friend_check: false,
            profile_custom_fields: Vec::new(),
            group_custom_fields: Vec::new(),
            rest_admin: "administrator".into(),
            webhooks: webhooks::WebhookConfig::default(),
            dev_sign_in: false,
            drain_timeout_secs: 10,
            limits: limits::LimitsConfig::default(),
            tls: None,
            store: StoreConfig::default(),
            bus: BusConfig::default(),
        }
    }
}

/// `$XDG_DATA_HOME/pigeon-server`, else `~/.local/share/pigeon-server`, else `./pigeon-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("pigeon-server");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/share/pigeon-server"),
        None => PathBuf::from("pigeon-data"),
    }
}

/// Everything a request handler needs.
pub struct AppState {
    /// Persistent state.
    pub store: Arc<dyn Store>,
    /// Sessions on this node.
    pub hub: Arc<Hub>,
    /// Where pushes go.
    pub bus: Arc<dyn Bus>,
    /// The app's credentials.
    pub creds: Credentials,
    /// Settings.
    pub config: Config,
}

/// The logged-in user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Their userID.
    pub user_id: String,
    /// The connection the request came on.
    pub session: SessionId,
}

/// A storage call's result as the services see it, its time counted in `pigeon_store_seconds`.
fn timed_store_call<T>(started: std::time::Instant, out: store::Result<T>) -> Result<T, ImError> {
    metrics::get()
        .store_seconds
        .observe(metrics::since(started));
    out.map_err(store_error)
}

impl AppState {
    /// Runs a storage call: as it is when the store's calls are quick (SQLite), otherwise
    /// (PostgreSQL, round trips) off the async worker with `block_in_place`.
    pub fn db<T>(&self, f: impl FnOnce(&dyn Store) -> store::Result<T>) -> Result<T, ImError> {
        let run = || f(self.store.as_ref());
        let started = std::time::Instant::now();
        let out = if self.store.quick() {
            run()
        } else {
            db::blocking(run)
        };
        timed_store_call(started, out)
    }

    /// Stores a message through the store's writer (see [`Store::submit_message`]), waiting
    /// for it without holding a thread.
    pub async fn store_message(
        &self,
        conv_key: &str,
        message: &pigeon_proto::model::Message,
        recipients: &[store::Recipient],
    ) -> Result<store::Stored, ImError> {
        let started = std::time::Instant::now();
        let pending = self
            .store
            .submit_message(conv_key, message, now(), recipients);
        timed_store_call(started, pending.wait().await)
    }

    /// Sends an SDK event, worked out whole, to every session of `user_id` except `except`.
    pub fn emit_to(
        &self,
        user_id: &str,
        name: &str,
        data: serde_json::Value,
        except: Option<SessionId>,
    ) {
        let push = pigeon_proto::wire::Push::Event {
            name: name.to_owned(),
            data,
        };
        self.push(user_id, &push, except);
    }

    /// Sends a push to every session of `user_id` except `except`.
    pub fn push(&self, user_id: &str, push: &pigeon_proto::wire::Push, except: Option<SessionId>) {
        if matches!(push, pigeon_proto::wire::Push::Message { .. }) {
            metrics::get().messages_out.inc();
        }
        match serde_json::to_string(push) {
            Ok(text) => self.bus.send_to_user(user_id, Arc::from(text), except),
            Err(e) => tracing::error!(error = %e, "could not serialize a push"),
        }
    }
}

fn store_error(e: StoreError) -> ImError {
    match e {
        StoreError::IdConflict(id) => ImError::new(
            code::MSG_ID_CONFLICT,
            format!("message ID {id} is already used"),
        ),
        other => {
            tracing::error!(error = %other, "storage failure");
            ImError::new(code::SERVER_INTERNAL, "internal storage error")
        }
    }
}

/// A server-side invalid parameter (10004): the one constructor every service uses.
pub(crate) fn invalid(msg: impl Into<String>) -> ImError {
    ImError::new(code::SERVER_INVALID_PARAM, msg)
}

/// A group permission refusal (10007).
pub(crate) fn group_no_permission(msg: impl Into<String>) -> ImError {
    ImError::new(code::GROUP_NO_PERMISSION, msg)
}

/// A reply's data as JSON.
pub(crate) fn to_json<T: serde::Serialize>(v: T) -> Result<serde_json::Value, ImError> {
    serde_json::to_value(v).map_err(|e| ImError::new(code::SERVER_INTERNAL, e.to_string()))
}

/// A service result as reply JSON.
pub(crate) fn reply_json<T: serde::Serialize>(
    r: Result<T, ImError>,
) -> Result<serde_json::Value, ImError> {
    r.and_then(to_json)
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Checks a userID: 1..=128 bytes, no control characters.
pub fn validate_user_id(what: &str, id: &str) -> Result<(), ImError> {
    if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} must be 1 to 128 bytes without control characters"
        )));
    }
    Ok(())
}
