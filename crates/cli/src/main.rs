//! `pigeon`: the Pigeon command line. `pigeon bridge` drives one SDK instance with JSON lines.

mod bridge;

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
        /// Server address, ws://HOST:PORT.
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PIGEON_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::Bridge {
        server,
        app_id,
        data_dir,
        platform,
        listen,
    } = Cli::parse().command;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let chat = Chat::create(ChatOptions {
            server_url: server,
            sdk_app_id: app_id,
            data_dir: data_dir.unwrap_or_else(default_data_dir),
            platform,
        });
        match listen {
            Some(addr) => bridge::run_ws(chat, &addr).await,
            None => bridge::run_stdio(chat).await,
        }
    })?;
    // Background reconnect tasks must not keep the process alive after EOF.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok(())
}
