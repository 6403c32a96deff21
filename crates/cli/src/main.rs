//! `pigeon`: the Pigeon command line. `pigeon bridge` drives one SDK instance with JSON lines.

mod bridge;
mod request_line;

use clap::{Parser, Subcommand};
use pigeon_sdk::{Chat, ChatOptions};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "pigeon", version, about = "Pigeon messenger command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Drive one SDK instance with JSON lines on stdin/stdout (or a loopback WebSocket).
    Bridge {
        /// Server address, ws://HOST:PORT or wss://HOST:PORT; or several nodes of one
        /// deployment, comma-separated (ws://A:1,ws://B:2): the SDK connects to the first that
        /// answers, and when a node goes down it reconnects to another and resyncs.
        #[arg(long)]
        server: String,
        /// The app's SDKAppID (default: $PIGEON_SDK_APP_ID).
        #[arg(long, env = "PIGEON_SDK_APP_ID")]
        app_id: u64,
        /// Where the local cache lives (default: ~/.local/share/pigeon).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Login platform (the server limits logins per platform).
        #[arg(long, default_value = "web")]
        platform: String,
        /// Serve a WebSocket on this loopback address instead of stdin/stdout.
        #[arg(long)]
        listen: Option<String>,
        /// PEM CA file to verify a wss:// server against instead of the public roots (a
        /// self-hosted server with its own CA).
        #[arg(long, env = "PIGEON_CA_FILE")]
        ca_file: Option<PathBuf>,
    },
}

fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("pigeon");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/share/pigeon"),
        None => PathBuf::from("pigeon-cache"),
    }
}

fn main() -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    // The WebSocket library logs every frame whole at `trace` (the login frame's UserSig,
    // upload tickets, message text): those lines are dropped whatever PIGEON_LOG says.
    let no_frame_dumps = tracing_subscriber::filter::filter_fn(|m| {
        !(*m.level() == tracing::Level::TRACE
            && (m.target().starts_with("tungstenite")
                || m.target().starts_with("tokio_tungstenite")))
    });
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PIGEON_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .finish()
        .with(no_frame_dumps)
        .init();
    let Command::Bridge {
        server,
        app_id,
        data_dir,
        platform,
        listen,
        ca_file,
    } = Cli::parse().command;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let chat = Chat::create_with_ca_file(
            ChatOptions {
                server_url: server,
                sdk_app_id: app_id,
                data_dir: data_dir.unwrap_or_else(default_data_dir),
                platform,
            },
            ca_file,
        );
        match listen {
            Some(addr) => bridge::run_ws(chat, &addr).await,
            None => bridge::run_stdio(chat).await,
        }
    })?;
    // Background reconnect tasks must not keep the process alive after EOF.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok(())
}
