//! Limits and rate limits (`[limits]`, docs/limits.md): what one connection, one user and one
//! upload may cost the server, and the clear code each refusal carries.
//!
//! - Request rate per connection and send rate per user: token buckets ([`Bucket`]); a request
//!   over the rate is answered with OVER_FREQUENCY_LIMIT (2996) and not served.
//! - Connections: [`LimitedListener`] caps how many are open at once (accepting waits for a free
//!   slot) and closes any whose first request's headers do not arrive within the header timeout
//!   (slowloris, half-open connections).
//! - Upload size, upload stall and group size limits are read from [`LimitsConfig`] by the file
//!   service and the group service.

use pigeon_proto::error::code;
use pigeon_proto::ImError;
use serde::Deserialize;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The `[limits]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Requests one WebSocket connection may make per second, sustained (0: no limit).
    pub requests_per_sec: u32,
    /// Requests one connection may make in a burst above the sustained rate.
    pub request_burst: u32,
    /// Messages one user may send per second across all their sessions (0: no limit).
    pub sends_per_sec: u32,
    /// Messages one user may send in a burst above the sustained rate.
    pub send_burst: u32,
    /// Largest upload of any kind in bytes (each kind's own cap still applies: 20 MB images
    /// and audio, 100 MB videos and files).
    pub max_upload_bytes: u64,
    /// An upload whose body sends nothing for this long is ended (seconds).
    pub upload_idle_timeout_secs: u64,
    /// Connections (WebSocket and HTTP) open at once; more wait to be accepted.
    pub max_connections: usize,
    /// A connection must have sent its first request's headers within this long (seconds).
    pub header_timeout_secs: u64,
    /// Largest (and default) member count of a Work group.
    pub max_members_work: u64,
    /// Largest (and default) member count of a Public group.
    pub max_members_public: u64,
    /// Largest (and default) member count of a Meeting group.
    pub max_members_meeting: u64,
    /// Largest (and default) member count of a Community.
    pub max_members_community: u64,
    /// Largest (and default) member count of an AVChatRoom.
    pub max_members_avchatroom: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            requests_per_sec: 100,
            request_burst: 200,
            sends_per_sec: 20,
            send_burst: 40,
            max_upload_bytes: 100 * 1024 * 1024,
            upload_idle_timeout_secs: 30,
            max_connections: 10_000,
            header_timeout_secs: 15,
            max_members_work: 200,
            max_members_public: 2000,
            max_members_meeting: 10_000,
            max_members_community: 100_000,
            max_members_avchatroom: u64::from(u32::MAX),
        }
    }
}

impl LimitsConfig {
    /// The member cap of a group type (None for a type that is not one).
    pub fn max_members(&self, group_type: &str) -> Option<u64> {
        use pigeon_proto::consts::types;
        match group_type {
            types::GRP_WORK => Some(self.max_members_work),
            types::GRP_PUBLIC => Some(self.max_members_public),
            types::GRP_MEETING => Some(self.max_members_meeting),
            types::GRP_COMMUNITY => Some(self.max_members_community),
            types::GRP_AVCHATROOM => Some(self.max_members_avchatroom),
            _ => None,
        }
    }
}

/// A token bucket: `rate` tokens a second up to `burst`; each request takes one.
#[derive(Debug, Clone)]
pub struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket (rate 0 means unlimited).
    pub fn new(rate: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(rate).max(1));
        Self {
            rate: f64::from(rate),
            burst,
            tokens: burst,
            at: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        self.at = now;
    }

    /// Takes a token at `now`; Err carries how long until one is available.
    pub fn take_at(&mut self, now: Instant) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }

    /// Takes a token now.
    pub fn take(&mut self) -> Result<(), Duration> {
        self.take_at(Instant::now())
    }

    /// Whether the bucket is full at `now` (an idle entry that can be forgotten).
    fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }
}

/// The refusal of a request over a rate: OVER_FREQUENCY_LIMIT, with which limit and when to
/// retry in `data`.
pub fn over_rate(which: &str, rate: u32, burst: u32, retry: Duration) -> ImError {
    let retry_ms = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX).max(1);
    ImError::new(
        code::OVER_FREQUENCY_LIMIT,
        format!("{which} over {rate}/s (burst {burst}); retry in {retry_ms} ms"),
    )
    .with_data(serde_json::json!({ "limit": which, "retryAfterMs": retry_ms }))
}

/// Per-user send buckets, shared by every session of the process.
static SENDERS: LazyLock<Mutex<HashMap<String, Bucket>>> = LazyLock::new(Default::default);

/// Users tracked before idle (full) buckets are forgotten.
const SENDERS_PRUNE_AT: usize = 10_000;

/// Takes one send for `user` (across all their sessions), or refuses with 2996.
pub fn check_send(cfg: &LimitsConfig, user: &str) -> Result<(), ImError> {
    if cfg.sends_per_sec == 0 {
        return Ok(());
    }
    let now = Instant::now();
    let mut map = SENDERS.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() >= SENDERS_PRUNE_AT && !map.contains_key(user) {
        map.retain(|_, b| !b.is_full(now));
    }
    let bucket = map
        .entry(user.to_owned())
        .or_insert_with(|| Bucket::new(cfg.sends_per_sec, cfg.send_burst));
    bucket
        .take_at(now)
        .map_err(|retry| over_rate("sends per user", cfg.sends_per_sec, cfg.send_burst, retry))
}

/// A listener that keeps at most `max_connections` connections open and guards each with
/// [`GuardedIo`]. Wrap it with `axum::serve::ListenerExt::tap_io` to keep `ConnectInfo`.
pub struct LimitedListener<L> {
    inner: L,
    slots: Arc<Semaphore>,
    header_timeout: Duration,
}

impl<L> LimitedListener<L> {
    /// Limits `inner` as `cfg` says.
    pub fn new(inner: L, cfg: &LimitsConfig) -> Self {
        Self {
            inner,
            slots: Arc::new(Semaphore::new(cfg.max_connections.max(1))),
            header_timeout: Duration::from_secs(cfg.header_timeout_secs.max(1)),
        }
    }
}

impl<L: axum::serve::Listener> axum::serve::Listener for LimitedListener<L> {
    type Io = GuardedIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // Waiting here leaves further connections in the kernel's backlog, costing us nothing.
        let permit = loop {
            match self.slots.clone().acquire_owned().await {
                Ok(p) => break p,
                // The semaphore is never closed; should it be, do not spin.
                Err(_) => std::future::pending::<()>().await,
            }
        };
        let (io, addr) = self.inner.accept().await;
        (GuardedIo::new(io, permit, self.header_timeout), addr)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection's stream: holds its connection slot, and fails reads once the header deadline
/// passes before the end of the first request's headers (`\r\n\r\n`) was read, so a client
/// that trickles or never sends its headers is dropped.
pub struct GuardedIo<T> {
    inner: T,
    _permit: OwnedSemaphorePermit,
    /// Until the headers are in: the deadline, and the last bytes seen (to find `\r\n\r\n`
    /// across reads).
    guard: Option<(Pin<Box<tokio::time::Sleep>>, [u8; 3])>,
}

impl<T> GuardedIo<T> {
    fn new(inner: T, permit: OwnedSemaphorePermit, header_timeout: Duration) -> Self {
        Self {
            inner,
            _permit: permit,
            guard: Some((Box::pin(tokio::time::sleep(header_timeout)), [0; 3])),
        }
    }
}

/// Whether `tail` (the 3 bytes before) followed by `data` contains `\r\n\r\n`; updates `tail`.
pub fn find_headers_end(tail: &mut [u8; 3], data: &[u8]) -> bool {
    let mut window = u32::from_be_bytes([0, tail[0], tail[1], tail[2]]);
    let mut found = false;
    for &b in data {
        window = (window << 8) | u32::from(b);
        if window == u32::from_be_bytes(*b"\r\n\r\n") {
            found = true;
            break;
        }
    }
    let [_, a, b, c] = window.to_be_bytes();
    *tail = [a, b, c];
    found
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if let Some((deadline, _)) = this.guard.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                tracing::debug!("connection sent no complete request headers in time");
                return Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "request headers not received in time",
                )));
            }
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some((_, tail))) = (&r, this.guard.as_mut()) {
            if find_headers_end(tail, &buf.filled()[before..]) {
                this.guard = None;
            }
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(10, 20);
        b.at = t0;
        for _ in 0..20 {
            assert!(b.take_at(t0).is_ok());
        }
        let retry = b.take_at(t0).expect_err("burst spent");
        assert!(retry <= Duration::from_millis(100));
        assert!(b.take_at(t0 + Duration::from_millis(100)).is_ok());
        assert!(b.take_at(t0 + Duration::from_millis(100)).is_err());
        assert!(Bucket::new(0, 0).take_at(t0).is_ok(), "0 is unlimited");
    }

    #[test]
    fn headers_end_across_reads() {
        let mut tail = [0; 3];
        assert!(!find_headers_end(&mut tail, b"GET / HTTP/1.1\r\nHost: x\r"));
        assert!(!find_headers_end(&mut tail, b"\n"));
        assert!(find_headers_end(&mut tail, b"\r\nbody"));
        let mut tail = [0; 3];
        for b in b"a\r\n\r" {
            assert!(!find_headers_end(&mut tail, &[*b]));
        }
        assert!(find_headers_end(&mut tail, b"\n"));
    }
}
