//! Lifecycle: `login`, `logout`, `destroy`, `getLoginUser`, `isReady`, `registerPlugin`,
//! `setLogLevel`.

use crate::cache::Cache;
use crate::session::{self, Credentials, FirstResult, SessionCtl};
use crate::{Chat, Inner};
use pigeon_proto::consts::event;
use pigeon_proto::error::code;
use pigeon_proto::wire::Logout;
use pigeon_proto::{ImError, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// `login` options.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginOptions {
    #[serde(rename = "userID", default)]
    pub user_id: String,
    #[serde(default)]
    pub user_sig: String,
}

/// Plugin names the SDK knows (`registerPlugin` keys).
const KNOWN_PLUGINS: &[&str] = &[
    "tim-upload-plugin",
    "tim-profanity-filter-plugin",
    "tim-push",
    "pushConfig",
    "cos-js-sdk",
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Inner {
    fn cache_path(&self, user_id: &str) -> PathBuf {
        // Hashed, so any userID makes a safe directory name.
        let digest = Sha256::digest(user_id.as_bytes());
        self.opts
            .data_dir
            .join(self.opts.sdk_app_id.to_string())
            .join(hex(&digest[..16]))
            .join("cache.sqlite3")
    }

    async fn stop_session(&self) {
        let ctl = self
            .session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(ctl) = ctl {
            let _ = ctl.stop.send(true);
            let _ = tokio::time::timeout(Duration::from_secs(5), ctl.task).await;
        }
    }
}

impl Chat {
    /// Implements `login`. Resolves once the server accepted the UserSig (SDK_READY follows
    /// after the first sync). When the server cannot be reached and this device has logged in
    /// with the same UserSig before, it resolves offline from the cache and keeps reconnecting.
    pub async fn login(&self, user_id: &str, user_sig: &str) -> Result<Value> {
        let inner = &self.inner;
        let _serial = inner.login_lock.lock().await;
        if user_id.is_empty() {
            return Err(ImError::new(code::NO_IDENTIFIER, "userID is required"));
        }
        if user_sig.is_empty() {
            return Err(ImError::new(code::NO_USERSIG, "userSig is required"));
        }
        {
            let st = inner.lock_state();
            if st.user_id == user_id {
                return Ok(
                    json!({ "repeatLogin": true, "errorInfo": format!("{user_id} is already logged in") }),
                );
            }
            if !st.user_id.is_empty() {
                return Err(ImError::new(
                    code::REPEAT_LOGIN,
                    format!("logged in as {}: log out first", st.user_id),
                ));
            }
        }
        inner.stop_session().await;
        let cache = Cache::open(&inner.cache_path(user_id))?;
        let sig_hash = hex(&Sha256::digest(user_sig.as_bytes()));
        let offline_ok = cache.get("sig_hash")?.as_deref() == Some(sig_hash.as_str());
        let conversations = cache.conversations()?;
        let groups = cache.groups()?;
        let cursor = cache.get("cursor")?.and_then(|c| c.parse::<u64>().ok());
        let drafts = cache
            .get("drafts")?
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or_default();
        let generation = {
            let mut st = inner.lock_state();
            st.clear_session();
            st.user_id = user_id.to_owned();
            st.cache = Some(cache);
            st.cursor = cursor;
            st.drafts = drafts;
            st.groups = groups;
            // Loading the cache raises no events: nothing changed for the app.
            let _ = st.update_conversations(conversations, true);
            st.generation
        };
        let (first_tx, first_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = watch::channel(false);
        let creds = Credentials {
            user_id: user_id.to_owned(),
            user_sig: user_sig.to_owned(),
            generation,
            offline_ok,
        };
        let task = tokio::spawn(session::run(inner.clone(), creds, first_tx, stop_rx));
        *inner.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(SessionCtl {
            stop: stop_tx,
            task,
        });
        let first = first_rx
            .await
            .unwrap_or_else(|_| FirstResult::Failed(ImError::internal("login task ended")));
        match first {
            FirstResult::Online => {
                if let Some(c) = inner.lock_state().cache.as_ref() {
                    c.set("sig_hash", &sig_hash)?;
                }
                Ok(json!({ "repeatLogin": false }))
            }
            FirstResult::Offline(e) => Ok(json!({
                "repeatLogin": false,
                "offline": true,
                "errorInfo": format!("working offline from the local cache: {}", e.message),
            })),
            FirstResult::Failed(e) => {
                inner.stop_session().await;
                let mut st = inner.lock_state();
                if st.generation == generation {
                    st.clear_session();
                }
                Err(e)
            }
        }
    }

    /// Implements `logout`: the server session ends, local state is cleared, SDK_NOT_READY.
    pub async fn logout(&self) -> Result<Value> {
        let inner = &self.inner;
        let _serial = inner.login_lock.lock().await;
        let gen = inner.lock_state().generation;
        // Stop the session task first, so it takes the closing socket for the end of the session
        // rather than a loss to reconnect from; the logout frame is a courtesy (the server ends
        // the session when the socket closes either way).
        let conn = inner.conn();
        if let Some(ctl) = inner
            .session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = ctl.stop.send(true);
        }
        if let Some(conn) = conn {
            let _ = tokio::time::timeout(Duration::from_secs(2), conn.call(&Logout {})).await;
        }
        inner.stop_session().await;
        inner.end_session(gen, None);
        Ok(json!({}))
    }

    /// Implements `destroy`: logs out, closes the connection, SDK_DESTROY.
    pub async fn destroy(&self) -> Result<Value> {
        self.logout().await?;
        self.inner.emit(event::SDK_DESTROY, Value::Null);
        Ok(json!({}))
    }

    /// Implements `getLoginUser`: the userID, or '' when logged out.
    pub fn get_login_user(&self) -> String {
        self.inner.lock_state().user_id.clone()
    }

    /// Implements `isReady`.
    pub fn is_ready(&self) -> bool {
        self.inner.lock_state().ready
    }

    /// Implements `registerPlugin`: records the plugins by name. Pigeon's SDK uploads media
    /// itself, so `tim-upload-plugin` needs no code behind it; unknown names are refused.
    pub fn register_plugin(&self, options: &Value) -> Result<Value> {
        let map = options.as_object().ok_or_else(|| {
            ImError::invalid("registerPlugin takes an object keyed by plugin name")
        })?;
        if map.is_empty() {
            return Err(ImError::new(3153, "registerPlugin: options is empty"));
        }
        for name in map.keys() {
            if !KNOWN_PLUGINS.contains(&name.as_str()) {
                return Err(ImError::invalid(format!(
                    "registerPlugin: unknown plugin {name:?}"
                )));
            }
        }
        let mut plugins = self.inner.plugins.lock().unwrap_or_else(|p| p.into_inner());
        for name in map.keys() {
            if !plugins.contains(name) {
                plugins.push(name.clone());
            }
        }
        Ok(Value::Null)
    }

    /// Names of the registered plugins.
    pub fn plugins(&self) -> Vec<String> {
        self.inner
            .plugins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Implements `setLogLevel` (0 verbose … 4 none).
    pub fn set_log_level(&self, level: &Value) -> Result<Value> {
        let n = level
            .as_u64()
            .filter(|n| *n <= 4)
            .ok_or_else(|| ImError::invalid("setLogLevel takes a number from 0 to 4"))?;
        self.inner.log_level.store(n as u8, Ordering::Relaxed);
        Ok(Value::Null)
    }

    /// The log level set by `setLogLevel`.
    pub fn log_level(&self) -> u8 {
        self.inner.log_level.load(Ordering::Relaxed)
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }
}
