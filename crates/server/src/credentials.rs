//! The app credentials (SDKAppID + secret key): made on first start, kept in
//! `DATA_DIR/credentials.json` (mode 0600), or given by environment variables.

use anyhow::{bail, Context};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The app's identity and signing key.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// The app ID clients are created with.
    #[serde(rename = "SDKAppID")]
    pub sdk_app_id: u64,
    /// HMAC key of UserSigs; never logged.
    #[serde(rename = "secretKey")]
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("sdk_app_id", &self.sdk_app_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Where the credentials in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `PIGEON_SDK_APP_ID` and `PIGEON_SECRET_KEY`.
    Env,
    /// The data dir's credentials.json.
    File,
    /// Made on this start and written to credentials.json.
    Created,
}

/// Where the credentials file of a data dir is.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join("credentials.json")
}

impl Credentials {
    /// New random credentials.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let key: [u8; 32] = rng.random();
        Self {
            sdk_app_id: rng.random_range(1_400_000_000..1_500_000_000),
            secret_key: key.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// From `PIGEON_SDK_APP_ID` and `PIGEON_SECRET_KEY` when both are set.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        match (
            std::env::var("PIGEON_SDK_APP_ID"),
            std::env::var("PIGEON_SECRET_KEY"),
        ) {
            (Ok(id), Ok(key)) => {
                let sdk_app_id = id
                    .trim()
                    .parse()
                    .context("PIGEON_SDK_APP_ID is not a number")?;
                if key.is_empty() {
                    bail!("PIGEON_SECRET_KEY is empty");
                }
                Ok(Some(Self {
                    sdk_app_id,
                    secret_key: key,
                }))
            }
            (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
                bail!("set both PIGEON_SDK_APP_ID and PIGEON_SECRET_KEY, or neither")
            }
            _ => Ok(None),
        }
    }

    /// Reads the data dir's credentials; None when there are none yet.
    pub fn load(data_dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = path_in(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("parsing {}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// The environment's credentials, else the data dir's, else new ones written there.
    /// Returns where they came from.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<(Self, Source)> {
        if let Some(c) = Self::from_env()? {
            return Ok((c, Source::Env));
        }
        if let Some(c) = Self::load(data_dir)? {
            return Ok((c, Source::File));
        }
        let c = Self::generate();
        c.write(data_dir)?;
        Ok((c, Source::Created))
    }

    fn write(&self, data_dir: &Path) -> anyhow::Result<()> {
        use std::io::Write;
        let path = path_in(data_dir);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
        f.sync_all()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reloaded_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Credentials::generate();
        first.write(dir.path()).expect("write");
        let again = Credentials::load(dir.path())
            .expect("load")
            .expect("present");
        assert_eq!(first.sdk_app_id, again.sdk_app_id);
        assert_eq!(first.secret_key, again.secret_key);
        assert_eq!(again.secret_key.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path_in(dir.path()))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{again:?}").contains(&again.secret_key));
    }
}
