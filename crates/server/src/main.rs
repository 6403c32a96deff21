//! `pigeon-server`: run the server, or print a UserSig for a user.

use anyhow::Context;
use clap::{Parser, Subcommand};
use pigeon_server::credentials::{Credentials, Source};
use pigeon_server::hub::Hub;
use pigeon_server::store::SqlStore;
use pigeon_server::StoreBackend;
use pigeon_server::{gateway, usersig, AppState, Config};
use std::future::IntoFuture;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "pigeon-server", version, about = "The Pigeon messaging server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve clients over WebSocket, with an embedded SQLite store.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// Directory for the database and credentials.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// TOML settings file (every option: docs/configuration.md); flags override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Sessions per user and platform before the oldest is kicked.
        #[arg(long)]
        max_logins_per_platform: Option<usize>,
        /// Refuse C2C messages between users who are not friends (20009).
        #[arg(long)]
        friend_check: bool,
        /// Serve `GET /dev/usersig` (UserSigs for anyone) to loopback clients: development only.
        #[arg(long)]
        dev_sign_in: bool,
        /// Log lines as `text` or `json` (one JSON object per line).
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
        /// Log level or filter (`info`, `debug`, `pigeon_server=debug,info`, ...); the
        /// PIGEON_LOG environment variable, when set, wins.
        #[arg(long, default_value = "info")]
        log_level: String,
        /// PEM certificate chain: serve wss:// and https:// (needs --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Keep state in this PostgreSQL database instead of SQLite (`[store]` in the config).
        #[arg(long, env = "PIGEON_POSTGRES_URL")]
        postgres_url: Option<String>,
        /// Reach the other nodes through this NATS server (`[bus]` in the config).
        #[arg(long, env = "PIGEON_NATS_URL")]
        nats_url: Option<String>,
    },
    /// Print a UserSig for a user of this server's app.
    Usersig {
        /// The userID.
        #[arg(long)]
        user: String,
        /// Validity in seconds (default 180 days).
        #[arg(long, default_value_t = 180 * 86400)]
        expire: u64,
        /// Directory holding credentials.json.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

/// How log lines are written.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logs to stderr: PIGEON_LOG when set, else `level`.
fn init_logs(format: LogFormat, level: &str) -> anyhow::Result<()> {
    let filter = match tracing_subscriber::EnvFilter::try_from_env("PIGEON_LOG") {
        Ok(f) => f,
        Err(_) => tracing_subscriber::EnvFilter::try_new(level)
            .with_context(|| format!("--log-level {level:?} is not a log filter"))?,
    };
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => fmt.finish().with(no_frame_dumps()).init(),
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .finish()
            .with(no_frame_dumps())
            .init(),
    }
    Ok(())
}

/// The WebSocket library logs every frame whole at `trace` — login frames with their UserSig,
/// upload tickets, message text — so those lines are dropped whatever the filter says.
fn no_frame_dumps<S: tracing::Subscriber>() -> impl tracing_subscriber::Layer<S> {
    tracing_subscriber::filter::filter_fn(|m| {
        !(*m.level() == tracing::Level::TRACE
            && (m.target().starts_with("tungstenite")
                || m.target().starts_with("tokio_tungstenite")))
    })
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Command::Serve {
            log_format,
            log_level,
            ..
        } => init_logs(*log_format, log_level)?,
        Command::Usersig { .. } => init_logs(LogFormat::Text, "info")?,
    }
    match cli.command {
        Command::Serve {
            listen,
            data_dir,
            config,
            max_logins_per_platform,
            friend_check,
            dev_sign_in,
            log_format: _,
            log_level: _,
            tls_cert,
            tls_key,
            postgres_url,
            nats_url,
        } => {
            let mut cfg = match config {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
                }
                None => Config::default(),
            };
            if let Some(l) = listen {
                cfg.listen = l;
            }
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if friend_check {
                cfg.friend_check = true;
            }
            if let Some(n) = max_logins_per_platform {
                cfg.max_logins_per_platform = n;
            }
            if dev_sign_in {
                cfg.dev_sign_in = true;
            }
            if let Some(url) = postgres_url.filter(|u| !u.is_empty()) {
                cfg.store.backend = StoreBackend::Postgres;
                cfg.store.url = url;
            }
            if let Some(url) = nats_url.filter(|u| !u.is_empty()) {
                cfg.bus.backend = pigeon_server::BusBackend::Nats;
                cfg.bus.url = url;
            }
            if let (Some(cert), Some(key)) = (tls_cert, tls_key) {
                cfg.tls = Some(pigeon_server::tls::TlsConfig { cert, key });
            }
            cfg.webhooks.check().map_err(|e| anyhow::anyhow!(e))?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let out = rt.block_on(serve(cfg));
            // Whatever is still running (a fire-and-forget webhook) gets a moment, not more.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            out
        }
        Command::Usersig {
            user,
            expire,
            data_dir,
        } => {
            pigeon_server::gateway::check_user_id(&user).map_err(|e| anyhow::anyhow!(e.message))?;
            let dir = data_dir.unwrap_or_else(pigeon_server::default_data_dir);
            let creds = match Credentials::from_env()? {
                Some(c) => c,
                None => Credentials::load(&dir)?.with_context(|| {
                    format!(
                        "no credentials in {}: start `pigeon-server serve --data-dir {}` once first",
                        dir.display(),
                        dir.display()
                    )
                })?,
            };
            let now = pigeon_server::now();
            println!(
                "{}",
                usersig::generate(creds.sdk_app_id, &creds.secret_key, &user, expire, now)
            );
            Ok(())
        }
    }
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating {}", cfg.data_dir.display()))?;
    let (creds, source) = Credentials::load_or_create(&cfg.data_dir)?;
    let store = match cfg.store.backend {
        StoreBackend::Sqlite => {
            SqlStore::open(&cfg.data_dir.join("pigeon.sqlite3")).context("opening database")?
        }
        StoreBackend::Postgres => {
            if cfg.store.url.is_empty() {
                anyhow::bail!("[store] backend = \"postgres\" needs a url");
            }
            SqlStore::postgres(&cfg.store.url, cfg.store.pool_size)
                .context("connecting to PostgreSQL")?
        }
    };
    let stale = pigeon_server::files::clear_staging(&cfg.data_dir);
    if stale > 0 {
        tracing::info!(
            count = stale,
            "removed staging files of uploads cut off by a crash"
        );
    }
    // Read the certificate before binding, so a bad one fails the start, not the first client.
    let tls = match &cfg.tls {
        Some(t) => Some(pigeon_server::tls::server_config(&t.cert, &t.key)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("binding {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let hub = Arc::new(Hub::new(cfg.max_logins_per_platform));
    let store: Arc<dyn pigeon_server::store::Store> = Arc::new(store);
    // The bus: this node's hub alone, or the hub plus NATS and Store-kept presence.
    let cluster = match cfg.bus.backend {
        pigeon_server::BusBackend::Local => None,
        pigeon_server::BusBackend::Nats => Some(
            pigeon_server::cluster::ClusterBus::connect(
                &cfg.bus.url,
                creds.sdk_app_id,
                hub.clone(),
                store.clone(),
                cfg.max_logins_per_platform,
            )
            .await?,
        ),
    };
    let bus: Arc<dyn pigeon_server::hub::Bus> = match &cluster {
        Some(c) => c.clone(),
        None => hub.clone(),
    };
    let creds_path = pigeon_server::credentials::path_in(&cfg.data_dir);
    let state = Arc::new(AppState {
        store,
        bus,
        hub,
        creds: creds.clone(),
        config: cfg,
    });
    if let Some(c) = cluster {
        tokio::spawn(pigeon_server::cluster::run(state.clone(), c));
    }
    {
        let mut out = std::io::stdout().lock();
        match source {
            Source::Created => {
                writeln!(out, "created app credentials in {}", creds_path.display())?
            }
            Source::File => writeln!(out, "app credentials: {}", creds_path.display())?,
            Source::Env => writeln!(
                out,
                "app credentials from PIGEON_SDK_APP_ID and PIGEON_SECRET_KEY"
            )?,
        }
        writeln!(out, "SDKAppID {}", creds.sdk_app_id)?;
        if tls.is_some() {
            writeln!(
                out,
                "listening on wss://{addr} (https:// for files and REST)"
            )?;
        } else {
            writeln!(out, "listening on ws://{addr}")?;
        }
        out.flush()?;
    }
    if state.config.dev_sign_in {
        tracing::warn!(
            "dev sign-in is on: GET /dev/usersig hands out UserSigs to loopback clients"
        );
    }
    tokio::spawn(pigeon_server::signaling::run_timeouts(state.clone()));
    // Shutdown: stop accepting, tell every session to reconnect elsewhere (close 1012) once
    // its current request is answered, let HTTP requests in flight finish, and give all of it
    // at most `drain_timeout_secs`.
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let app = gateway::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let stopped = async move {
        let _ = stop_rx.wait_for(|s| *s).await;
    };
    let server = match tls {
        Some(tls) => {
            use axum::serve::ListenerExt;
            // `tap_io` only gives the listener axum's connect-info impl (the peer address).
            let listener = pigeon_server::tls::TlsListener::new(listener, tls)?;
            // Connection cap and header deadline (docs/limits.md).
            let listener =
                pigeon_server::limits::LimitedListener::new(listener, &state.config.limits)
                    .tap_io(|_| {});
            tokio::spawn(
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .into_future(),
            )
        }
        None => {
            use axum::serve::ListenerExt;
            // No Nagle: a reply and the push after it are small frames written back to back,
            // and Nagle would hold the second until the peer's delayed ACK (up to 40 ms).
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            // Connection cap and header deadline (docs/limits.md); `tap_io` keeps connect info.
            let listener =
                pigeon_server::limits::LimitedListener::new(listener, &state.config.limits)
                    .tap_io(|_| {});
            tokio::spawn(
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .into_future(),
            )
        }
    };
    shutdown_signal().await;
    tracing::info!("shutting down: draining sessions");
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(state.config.drain_timeout_secs);
    let _ = stop_tx.send(true);
    state.hub.shut_down();
    let drained = async {
        if let Ok(Err(e)) = server.await {
            tracing::warn!(error = %e, "server error while draining");
        }
        state.hub.wait_empty().await;
    };
    if tokio::time::timeout_at(deadline, drained).await.is_err() {
        tracing::warn!("drain timeout: exiting with sessions still open");
    }
    // Cluster: this node's presence goes with it.
    state.bus.stop();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
