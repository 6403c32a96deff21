//! Process-wide operational metrics, served by `GET /metrics` in the Prometheus/OpenMetrics
//! text format. One set per process: the server runs one app, and statics keep the counters
//! out of every function signature on the hot paths.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::sync::OnceLock;
use std::time::Instant;

/// The server's metrics.
pub struct Metrics {
    /// Open WebSocket connections (logged in or not).
    pub connections: Gauge,
    /// Successful logins.
    pub logins: Counter,
    /// Refused logins.
    pub login_failures: Counter,
    /// `sendMessage` requests received.
    pub messages_in: Counter,
    /// Message pushes queued to recipients (one per recipient user).
    pub messages_out: Counter,
    /// Seconds from a `sendMessage` request's arrival to its message being queued to every
    /// recipient (stored and fanned out).
    pub delivery_seconds: Histogram,
    /// Seconds per storage call.
    pub store_seconds: Histogram,
    /// Transactions committed for sends: under load several messages share one, so
    /// `messages_in` over this is the group commit's batch size.
    pub send_commits: Counter,
    /// Seconds per webhook call (answered or not).
    pub webhook_seconds: Histogram,
    /// Webhook calls that failed: no connection, timeout, non-2xx status or a bad reply.
    pub webhook_errors: Counter,
    registry: Registry,
}

/// The metrics of this process.
pub fn get() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Self {
        // 100 µs .. ~13 s: covers an in-memory push up to a webhook timing out.
        let buckets = || exponential_buckets(0.0001, 2.0, 18);
        let m = Metrics {
            connections: Gauge::default(),
            logins: Counter::default(),
            login_failures: Counter::default(),
            messages_in: Counter::default(),
            messages_out: Counter::default(),
            delivery_seconds: Histogram::new(buckets()),
            store_seconds: Histogram::new(buckets()),
            send_commits: Counter::default(),
            webhook_seconds: Histogram::new(buckets()),
            webhook_errors: Counter::default(),
            registry: Registry::with_prefix("pigeon"),
        };
        let mut r = Registry::with_prefix("pigeon");
        r.register(
            "connections",
            "Open WebSocket connections",
            m.connections.clone(),
        );
        r.register("logins", "Successful logins", m.logins.clone());
        r.register("login_failures", "Refused logins", m.login_failures.clone());
        r.register(
            "messages_in",
            "sendMessage requests received",
            m.messages_in.clone(),
        );
        r.register(
            "messages_out",
            "Message pushes queued to recipients",
            m.messages_out.clone(),
        );
        r.register_with_unit(
            "delivery",
            "From a sendMessage request to its message queued to every recipient",
            Unit::Seconds,
            m.delivery_seconds.clone(),
        );
        r.register_with_unit(
            "store",
            "Storage call latency",
            Unit::Seconds,
            m.store_seconds.clone(),
        );
        r.register(
            "send_commits",
            "Transactions committed for sends (a group commit counts once)",
            m.send_commits.clone(),
        );
        r.register_with_unit(
            "webhook",
            "Webhook call latency",
            Unit::Seconds,
            m.webhook_seconds.clone(),
        );
        r.register(
            "webhook_errors",
            "Webhook calls that failed or timed out",
            m.webhook_errors.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// The metrics as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "could not encode metrics");
        }
        out
    }
}

/// Seconds since `t`, for a histogram.
pub fn since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// `GET /metrics`.
pub async fn handler() -> Response {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        get().render(),
    )
        .into_response()
}
