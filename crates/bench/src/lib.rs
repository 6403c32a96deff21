//! pigeon-bench: a load generator with many real WebSocket clients per process, driving
//! Pigeon, the floor relay and ejabberd through one [`driver::Driver`] interface, and the
//! report (docs/benchmarks.md) built from its JSON results.
pub mod cluster_report;
pub mod driver;
pub mod engine;
pub mod floor;
pub mod pigeon;
pub mod report;
pub mod result;
pub mod stats;
pub mod target;
pub mod workloads;
pub mod xmpp;

use std::sync::Arc;

/// The XMPP driver for ejabberd in `mode` ("ejabberd-nostore" or "ejabberd-sqlite").
pub fn xmpp_target(mode: &str, url: Option<&str>) -> anyhow::Result<Arc<dyn driver::Driver>> {
    xmpp::target(mode, url)
}
