//! `pigeon-bench`: run a workload against a target, serve the floor relay, or write the report.
use clap::{Parser, Subcommand};
use pigeon_bench::{
    cluster_report, floor, report,
    target::{ClusterOpts, ServerOpts},
    workloads,
};
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Load generator: Pigeon, the floor relay and ejabberd side by side")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
// Parsed once at start, so the size of the biggest variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Cmd {
    /// Runs one workload against one target and writes (appends to) a JSON result file.
    Run {
        /// pigeon | floor | ejabberd-nostore | ejabberd-sqlite.
        #[arg(long)]
        target: String,
        /// w1 ... w6.
        #[arg(long)]
        workload: String,
        /// The pigeon-server binary (default: next to this one).
        #[arg(long)]
        server_bin: Option<PathBuf>,
        /// Do not pin the server to CPU 0 and the generator to CPU 1.
        #[arg(long)]
        no_pin: bool,
        /// ejabberd's pid (default: found with pgrep).
        #[arg(long)]
        server_pid: Option<u32>,
        /// ejabberd's WebSocket URL.
        #[arg(long)]
        xmpp_url: Option<String>,
        /// Result file (a JSON array; results are appended).
        #[arg(long)]
        out: PathBuf,
        /// The target's name in the results (default: the driver's, e.g. "pigeon"), to tell
        /// configurations of one target apart ("pigeon-3node-pg").
        #[arg(long)]
        label: Option<String>,
        /// Pigeon: running nodes to attach to, comma-separated or repeated
        /// (`ws://127.0.0.1:8081,ws://127.0.0.1:8082`); clients go round-robin over them.
        /// Needs PIGEON_SDK_APP_ID and PIGEON_SECRET_KEY.
        #[arg(long = "server", value_delimiter = ',')]
        servers: Vec<String>,
        /// Pigeon with --server: the nodes' process ids (CPU sampling), comma-separated.
        #[arg(long, value_delimiter = ',')]
        server_pids: Vec<u32>,
        /// Pigeon: nodes to start (all pinned to CPU 0); more than one needs --postgres-url
        /// and --nats-url.
        #[arg(long, default_value_t = 1)]
        nodes: usize,
        /// Pigeon: the shared PostgreSQL store of the started nodes.
        #[arg(long)]
        postgres_url: Option<String>,
        /// Pigeon: the shared NATS bus of the started nodes.
        #[arg(long)]
        nats_url: Option<String>,
        /// More server-side processes whose CPU (with their children's) is counted:
        /// NAME=PID, repeated (`--cpu-pid postgres=123 --cpu-pid nats=456`).
        #[arg(long = "cpu-pid", value_parser = parse_cpu_pid)]
        cpu_pids: Vec<(String, u32)>,
        /// Workload sizes.
        #[command(flatten)]
        sizes: workloads::Sizes,
    },
    /// Runs the floor relay.
    FloorRelay {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
    },
    /// Writes docs/benchmarks-cluster.md (one node vs three nodes) from result files.
    ClusterReport {
        /// Result files.
        #[arg(long = "in", num_args = 1..)]
        inputs: Vec<PathBuf>,
        /// The Markdown file.
        #[arg(long)]
        out: PathBuf,
        /// The machine's load before the runs (`uptime`), quoted in the report.
        #[arg(long)]
        load: Option<String>,
        /// PostgreSQL's counters over one configuration's runs: LABEL=COMMITS,ROWS (from
        /// pg_stat_database), repeated.
        #[arg(long = "pg-stat")]
        pg_stats: Vec<String>,
    },
    /// Writes the Markdown report and its SVG plots from result files.
    Report {
        /// Result files.
        #[arg(long = "in", num_args = 1..)]
        inputs: Vec<PathBuf>,
        /// The Markdown file (plots go to a directory of the same stem).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Raises the open-file limit as far as allowed (W6 holds tens of thousands of sockets; the
/// server started from here inherits it).
fn raise_nofile() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let cur = getrlimit(Resource::Nofile);
    let want = 1_048_576;
    let up = Rlimit {
        current: Some(want),
        maximum: Some(want.max(cur.maximum.unwrap_or(0))),
    };
    if setrlimit(Resource::Nofile, up).is_err() {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: cur.maximum,
                maximum: cur.maximum,
            },
        );
    }
}

fn parse_cpu_pid(s: &str) -> Result<(String, u32), String> {
    let (name, pid) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected NAME=PID"))?;
    let pid = pid
        .trim()
        .parse()
        .map_err(|_| format!("{pid:?} is not a process id"))?;
    Ok((name.trim().to_owned(), pid))
}

fn pin_self(cpu: usize) -> bool {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).is_ok()
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::FloorRelay { listen } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?;
            rt.block_on(floor::serve(listen))
        }
        Cmd::Report { inputs, out } => report::write(&inputs, &out),
        Cmd::ClusterReport {
            inputs,
            out,
            load,
            pg_stats,
        } => cluster_report::write(&inputs, &out, load.as_deref(), &pg_stats),
        Cmd::Run {
            target,
            workload,
            server_bin,
            no_pin,
            server_pid,
            xmpp_url,
            out,
            label,
            servers,
            server_pids,
            nodes,
            postgres_url,
            nats_url,
            cpu_pids,
            sizes,
        } => {
            raise_nofile();
            let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get());
            let pin = !no_pin && ncpu >= 2;
            let server_bin = match server_bin {
                Some(b) => b,
                None => std::env::current_exe()?
                    .parent()
                    .map(|d| d.join("pigeon-server"))
                    .ok_or_else(|| anyhow::anyhow!("no exe dir"))?,
            };
            let opts = ServerOpts {
                server_bin,
                pin,
                server_pid,
                xmpp_url,
                cluster: ClusterOpts {
                    servers,
                    server_pids,
                    nodes,
                    postgres_url,
                    nats_url,
                    extra: cpu_pids,
                },
            };
            // The generator on CPU 1 with one worker thread... two would fight over one core.
            if pin && !pin_self(1) {
                eprintln!("warning: could not pin the generator to CPU 1");
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(if pin { 1 } else { 2 })
                .enable_all()
                .build()?;
            let mut results = rt.block_on(workloads::run(&target, &workload, &sizes, &opts))?;
            if let Some(l) = label {
                for r in &mut results {
                    r.target = l.clone();
                }
            }
            let mut all: Vec<pigeon_bench::result::RunResult> = std::fs::read_to_string(&out)
                .ok()
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default();
            let dirty = results.iter().filter(|r| !r.clean).count();
            all.extend(results);
            if let Some(d) = out.parent() {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(&out, serde_json::to_string_pretty(&all)?)?;
            if dirty > 0 {
                anyhow::bail!("{dirty} run(s) lost, duplicated or failed messages (see {out:?})");
            }
            Ok(())
        }
    }
}
