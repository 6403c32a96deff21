//! The app's own settings (notifications on/off, the last account), kept in one JSON file in
//! the app data dir with mode 0600, as it holds the last UserSig.

use crate::{code, err, Desktop, IpcError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Mutex;
use tauri::State;

/// The account the app signs in with again on start.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// `ws://host:port` of the server.
    pub server: String,
    /// The app's SDKAppID.
    #[serde(rename = "SDKAppID")]
    pub sdk_app_id: u64,
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// The UserSig that last signed in.
    pub user_sig: String,
}

/// Everything the settings screen changes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Raise native notifications for new messages.
    pub notifications: bool,
    /// Show message previews in notifications (off hides the text).
    pub notification_previews: bool,
    /// The last account that signed in; cleared on sign-out.
    pub last_account: Option<Account>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            notifications: true,
            notification_previews: true,
            last_account: None,
        }
    }
}

/// Settings in memory, written through to disk on every change.
pub struct Store {
    path: PathBuf,
    current: Mutex<Settings>,
}

impl Store {
    /// Loads the file, or defaults when it is missing or unreadable (a corrupt file must not
    /// keep the app from starting).
    pub fn open(path: PathBuf) -> Self {
        let current = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Self {
            path,
            current: Mutex::new(current),
        }
    }

    /// A copy of the current settings.
    pub fn get(&self) -> Settings {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the settings and writes them (atomically: temp file, then rename).
    pub fn set(&self, s: Settings) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(&s).map_err(std::io::Error::other)?;
        let tmp = self.path.with_extension("json.tmp");
        write_private(&tmp, &bytes)?;
        std::fs::rename(&tmp, &self.path)?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = s;
        Ok(())
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// The current settings.
#[tauri::command]
pub fn app_settings(state: State<'_, Desktop>) -> Settings {
    state.settings.get()
}

/// Replaces the settings.
#[tauri::command]
pub fn app_set_settings(state: State<'_, Desktop>, settings: Settings) -> Result<(), IpcError> {
    state
        .settings
        .set(settings)
        .map_err(|e| err(code::LOCAL_FILE, format!("cannot save settings: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_survive_a_corrupt_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.json");
        let store = Store::open(path.clone());
        assert_eq!(store.get(), Settings::default());
        let s = Settings {
            notifications: false,
            notification_previews: true,
            last_account: Some(Account {
                server: "ws://127.0.0.1:8080".into(),
                sdk_app_id: 7,
                user_id: "alice".into(),
                user_sig: "sig".into(),
            }),
        };
        store.set(s.clone()).expect("save");
        assert_eq!(Store::open(path.clone()).get(), s);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the file holds a UserSig");
        }
        std::fs::write(&path, b"{not json").expect("corrupt");
        assert_eq!(Store::open(path).get(), Settings::default());
    }
}
