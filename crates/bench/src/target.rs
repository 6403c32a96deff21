//! Starting the server under test (pinned to CPU 0) and building its driver.
use crate::driver::Driver;
use crate::floor::FloorDriver;
use crate::pigeon::PigeonDriver;
use anyhow::{anyhow, bail, Context};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

/// A running system under test.
pub struct Target {
    /// Its driver.
    pub driver: Arc<dyn Driver>,
    /// The Pigeon driver, when the target is Pigeon (for W4's history ops).
    pub pigeon: Option<Arc<PigeonDriver>>,
    /// The server's process id, for /proc sampling.
    pub pid: Option<u32>,
    child: Option<Child>,
    /// The server's data dir (removed on drop).
    pub data_dir: Option<PathBuf>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SIGTERM first (a server under valgrind writes its profile on exit), then KILL.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            for _ in 0..200 {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(d) = self.data_dir.take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// A free loopback port.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// How to start servers.
#[derive(Debug, Clone)]
pub struct ServerOpts {
    /// The pigeon-server binary.
    pub server_bin: PathBuf,
    /// Pin the server to CPU 0 with taskset.
    pub pin: bool,
    /// For ejabberd (started by scripts/ejabberd): its process id, found with pgrep when None.
    pub server_pid: Option<u32>,
    /// For ejabberd: its WebSocket URL.
    pub xmpp_url: Option<String>,
}

fn spawn_logged(mut cmd: Command, pin: bool) -> anyhow::Result<(Child, String)> {
    let mut cmd = if pin {
        let mut t = Command::new("taskset");
        t.arg("-c")
            .arg("0")
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => t.env(k, v),
                None => t.env_remove(k),
            };
        }
        t
    } else {
        std::mem::replace(&mut cmd, Command::new("true"))
    };
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("spawning the server")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line?;
        if let Some(u) = line.strip_prefix("listening on ") {
            url = Some(u.trim().to_owned());
            break;
        }
    }
    let Some(url) = url else {
        let _ = child.kill();
        bail!("the server exited before listening");
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((child, url))
}

/// Starts Pigeon in `data_dir` (which may already hold a seeded store).
pub fn start_pigeon(opts: &ServerOpts, data_dir: &Path) -> anyhow::Result<Target> {
    let port = free_port()?;
    // The benchmark measures throughput, so the per-client rate limits, the connection cap
    // and the Work group size cap (docs/limits.md) are lifted.
    let config = data_dir.join("bench.toml");
    std::fs::write(
        &config,
        "[limits]\nrequests_per_sec = 0\nsends_per_sec = 0\nmax_connections = 1000000\n\
         max_members_work = 100000\n",
    )?;
    let mut cmd = Command::new(&opts.server_bin);
    cmd.arg("serve")
        .arg("--config")
        .arg(&config)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data_dir)
        // W4 reads one conversation from 16 sessions of one user.
        .arg("--max-logins-per-platform")
        .arg("64")
        .env("PIGEON_LOG", "warn")
        .env_remove("PIGEON_SDK_APP_ID")
        .env_remove("PIGEON_SECRET_KEY");
    let (child, _) = spawn_logged(cmd, opts.pin)?;
    let creds: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data_dir.join("credentials.json")).context("credentials.json")?,
    )?;
    let app_id = creds["SDKAppID"]
        .as_u64()
        .ok_or_else(|| anyhow!("no SDKAppID"))?;
    let key = creds["secretKey"]
        .as_str()
        .ok_or_else(|| anyhow!("no secretKey"))?
        .to_owned();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let pigeon = Arc::new(PigeonDriver::new(addr, app_id, key));
    Ok(Target {
        driver: pigeon.clone(),
        pigeon: Some(pigeon),
        pid: Some(child.id()),
        child: Some(child),
        data_dir: Some(data_dir.to_owned()),
    })
}

/// A fresh data dir under the system temp dir.
pub fn fresh_dir() -> anyhow::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!(
        "pigeon-bench-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// Starts the floor relay (this binary's `floor-relay` subcommand).
pub fn start_floor(opts: &ServerOpts) -> anyhow::Result<Target> {
    let port = free_port()?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("floor-relay")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"));
    let (child, _) = spawn_logged(cmd, opts.pin)?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    Ok(Target {
        driver: Arc::new(FloorDriver::new(addr)),
        pigeon: None,
        pid: Some(child.id()),
        child: Some(child),
        data_dir: None,
    })
}

/// The process id of a running ejabberd (its Erlang VM).
pub fn ejabberd_pid() -> Option<u32> {
    let out = Command::new("pgrep")
        .args(["-o", "-f", "beam.smp.*ejabberd"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Attaches to a running ejabberd (started by scripts/ejabberd/start.sh in `mode`).
pub fn attach_ejabberd(opts: &ServerOpts, mode: &str) -> anyhow::Result<Target> {
    let pid = opts
        .server_pid
        .or_else(|| crate::xmpp::instance_pid(mode))
        .or_else(ejabberd_pid);
    let driver = crate::xmpp_target(mode, opts.xmpp_url.as_deref())?;
    Ok(Target {
        driver,
        pigeon: None,
        pid,
        child: None,
        data_dir: None,
    })
}
