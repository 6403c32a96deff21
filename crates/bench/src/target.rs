//! Starting the server under test (pinned to CPU 0) and building its driver.
use crate::driver::Driver;
use crate::floor::FloorDriver;
use crate::pigeon::PigeonDriver;
use crate::stats::Procs;
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
    /// The server side's processes, for /proc sampling (several nodes, PostgreSQL, NATS).
    pub procs: Procs,
    children: Vec<Child>,
    /// The servers' data dirs (removed on drop).
    pub data_dirs: Vec<PathBuf>,
}

impl Drop for Target {
    fn drop(&mut self) {
        for mut c in self.children.drain(..) {
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
        for d in self.data_dirs.drain(..) {
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
    /// Pigeon as a cluster (or on PostgreSQL/NATS), or already running nodes.
    pub cluster: ClusterOpts,
}

/// Pigeon on the shared store and bus: nodes started here, or running nodes to attach to.
#[derive(Debug, Clone, Default)]
pub struct ClusterOpts {
    /// Running nodes (`ws://HOST:PORT`) to attach to instead of starting any; the app
    /// credentials come from PIGEON_SDK_APP_ID and PIGEON_SECRET_KEY.
    pub servers: Vec<String>,
    /// Their process ids (for CPU sampling) when attaching.
    pub server_pids: Vec<u32>,
    /// Nodes to start (all on CPU 0 when pinned).
    pub nodes: usize,
    /// The shared PostgreSQL (`[store] backend = "postgres"`); SQLite when None.
    pub postgres_url: Option<String>,
    /// The shared NATS (`[bus] backend = "nats"`); the in-process bus when None.
    pub nats_url: Option<String>,
    /// More processes whose CPU counts as the server side's: (name, pid), e.g. PostgreSQL's
    /// postmaster (its backends are its children) and nats-server.
    pub extra: Vec<(String, u32)>,
}

impl ClusterOpts {
    /// Whether Pigeon runs anything but one plain SQLite node started here.
    pub fn is_cluster(&self) -> bool {
        !self.servers.is_empty()
            || self.nodes > 1
            || self.postgres_url.is_some()
            || self.nats_url.is_some()
    }

    /// `extra` as process groups, one per name.
    fn extra_groups(&self) -> Vec<(String, Vec<u32>)> {
        let mut groups: Vec<(String, Vec<u32>)> = Vec::new();
        for (name, pid) in &self.extra {
            match groups.iter_mut().find(|(n, _)| n == name) {
                Some((_, pids)) => pids.push(*pid),
                None => groups.push((name.clone(), vec![*pid])),
            }
        }
        groups
    }
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
        procs: Procs::one(Some(child.id())),
        children: vec![child],
        data_dirs: vec![data_dir.to_owned()],
    })
}

/// The config every benchmark node gets (see [`start_pigeon`]) plus the shared store and bus.
fn cluster_config(c: &ClusterOpts) -> String {
    let mut cfg = String::from(
        "[limits]\nrequests_per_sec = 0\nsends_per_sec = 0\nmax_connections = 1000000\n\
         max_members_work = 100000\n",
    );
    // TOML basic strings: the URLs are escaped as JSON strings, which TOML reads the same.
    let q = |v: &str| serde_json::Value::from(v).to_string();
    if let Some(u) = &c.postgres_url {
        cfg.push_str(&format!(
            "[store]\nbackend = \"postgres\"\nurl = {}\n",
            q(u)
        ));
    }
    if let Some(u) = &c.nats_url {
        cfg.push_str(&format!("[bus]\nbackend = \"nats\"\nurl = {}\n", q(u)));
    }
    cfg
}

/// Starts `opts.cluster.nodes` nodes sharing the configured store and bus and one set of app
/// credentials (each node has its own data dir); logins are spread over them round-robin.
pub fn start_cluster(opts: &ServerOpts) -> anyhow::Result<Target> {
    let c = &opts.cluster;
    let n = c.nodes.max(1);
    if n > 1 && c.postgres_url.is_none() {
        bail!("several nodes need a shared store: give --postgres-url");
    }
    if n > 1 && c.nats_url.is_none() {
        bail!("several nodes need a shared bus: give --nats-url");
    }
    let creds = pigeon_server::credentials::Credentials::generate();
    // Filled as nodes start, so a failure half way stops what started (Target's drop).
    let mut t = Target {
        driver: Arc::new(PigeonDriver::cluster(Vec::new(), 0, String::new())),
        pigeon: None,
        procs: Procs::default(),
        children: Vec::new(),
        data_dirs: Vec::new(),
    };
    let mut addrs = Vec::new();
    for i in 0..n {
        let dir = fresh_dir()?;
        t.data_dirs.push(dir.clone());
        let port = free_port()?;
        let config = dir.join("bench.toml");
        std::fs::write(&config, cluster_config(c))?;
        let mut cmd = Command::new(&opts.server_bin);
        cmd.arg("serve")
            .arg("--config")
            .arg(&config)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(&dir)
            .arg("--max-logins-per-platform")
            .arg("64")
            .env("PIGEON_LOG", "warn")
            .env("PIGEON_SDK_APP_ID", creds.sdk_app_id.to_string())
            .env("PIGEON_SECRET_KEY", &creds.secret_key)
            .env_remove("PIGEON_POSTGRES_URL")
            .env_remove("PIGEON_NATS_URL");
        let (child, _) = spawn_logged(cmd, opts.pin).with_context(|| format!("node {i}"))?;
        t.children.push(child);
        addrs.push(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    let pigeon = Arc::new(PigeonDriver::cluster(
        addrs,
        creds.sdk_app_id,
        creds.secret_key,
    ));
    let pids = t.children.iter().map(Child::id).collect();
    t.procs.groups.push(("pigeon".to_owned(), pids));
    t.procs.groups.extend(c.extra_groups());
    t.driver = pigeon.clone();
    t.pigeon = Some(pigeon);
    Ok(t)
}

/// Attaches to running Pigeon nodes (`opts.cluster.servers`) with the app credentials of
/// PIGEON_SDK_APP_ID and PIGEON_SECRET_KEY.
pub fn attach_pigeon(opts: &ServerOpts) -> anyhow::Result<Target> {
    let c = &opts.cluster;
    let creds = pigeon_server::credentials::Credentials::from_env()?.ok_or_else(|| {
        anyhow!("--server needs the nodes' PIGEON_SDK_APP_ID and PIGEON_SECRET_KEY")
    })?;
    let addrs = c
        .servers
        .iter()
        .map(|u| crate::pigeon::parse_ws_addr(u))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pigeon = Arc::new(PigeonDriver::cluster(
        addrs,
        creds.sdk_app_id,
        creds.secret_key,
    ));
    let mut groups = Vec::new();
    if !c.server_pids.is_empty() {
        groups.push(("pigeon".to_owned(), c.server_pids.clone()));
    }
    groups.extend(c.extra_groups());
    Ok(Target {
        driver: pigeon.clone(),
        pigeon: Some(pigeon),
        procs: Procs { groups },
        children: Vec::new(),
        data_dirs: Vec::new(),
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
        procs: Procs::one(Some(child.id())),
        children: vec![child],
        data_dirs: Vec::new(),
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
        procs: Procs::one(pid),
        children: Vec::new(),
        data_dirs: Vec::new(),
    })
}
