//! One WebSocket connection to the server: a writer task, a reader task that matches replies to
//! calls and hands pushes on in order, and typed [`Conn::call`]s.

use futures_util::{SinkExt, StreamExt};
use pigeon_proto::error::code;
use pigeon_proto::wire::{Op, Push, Reply, Request, MAX_SERVER_FRAME_BYTES};
use pigeon_proto::ImError;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// How long a call waits for its reply.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// How long one call may wait in total for the server's rate limit before giving up with 2996.
const MAX_RATE_WAIT: Duration = Duration::from_secs(10);

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Reply>>>>;

/// A live connection. Dropping every handle closes it.
pub struct Conn {
    out: mpsc::Sender<WsMessage>,
    pending: Pending,
    next_id: AtomicU64,
    closed: watch::Receiver<bool>,
    /// When the last frame of any kind came from the server (the heartbeat's liveness clock).
    last_frame: Arc<Mutex<tokio::time::Instant>>,
    /// Set by [`Conn::abort`]: both tasks stop at once and drop the socket.
    abort: watch::Sender<bool>,
}

/// The network went away under a call.
pub fn network_error(detail: impl std::fmt::Display) -> ImError {
    ImError::new(code::NETWORK_ERROR, format!("network error: {detail}"))
}

impl Conn {
    /// Connects to `url`; pushes arrive on the returned receiver, which closes when the
    /// connection does.
    pub async fn connect(url: &str) -> Result<(Arc<Conn>, mpsc::UnboundedReceiver<Push>), ImError> {
        Self::connect_with_ca(url, crate::tls::ca_file_from_env().as_deref()).await
    }

    /// [`Conn::connect`]; a `wss://` server's certificate is verified against `ca_file` (PEM)
    /// when given, else against the public roots.
    pub async fn connect_with_ca(
        url: &str,
        ca_file: Option<&std::path::Path>,
    ) -> Result<(Arc<Conn>, mpsc::UnboundedReceiver<Push>), ImError> {
        let mut config = WebSocketConfig::default();
        config.max_message_size = Some(MAX_SERVER_FRAME_BYTES);
        config.max_frame_size = Some(MAX_SERVER_FRAME_BYTES);
        let connector = if url.starts_with("wss://") {
            tokio_tungstenite::Connector::Rustls(crate::tls::client_config(ca_file)?)
        } else {
            tokio_tungstenite::Connector::Plain
        };
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            url,
            Some(config),
            true,
            Some(connector),
        );
        let (ws, _) = tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| {
                ImError::new(
                    code::NETWORK_TIMEOUT,
                    format!("connecting to {url} timed out"),
                )
            })?
            .map_err(|e| {
                crate::tls::verification_error(&e, url)
                    .unwrap_or_else(|| network_error(format!("connecting to {url}: {e}")))
            })?;
        let (mut sink, mut stream) = ws.split();
        let (out_tx, mut out_rx) = mpsc::channel::<WsMessage>(256);
        let (push_tx, push_rx) = mpsc::unbounded_channel();
        let (closed_tx, closed_rx) = watch::channel(false);
        let pending: Pending = Arc::default();
        let last_frame = Arc::new(Mutex::new(tokio::time::Instant::now()));
        let (abort_tx, abort_rx) = watch::channel(false);

        let closed_w = closed_tx.clone();
        let mut abort_w = abort_rx.clone();
        tokio::spawn(async move {
            // An aborted connection may be half-open: a graceful close could block on it, so
            // the sink is dropped as it is.
            let aborted = async move {
                let _ = abort_w.wait_for(|a| *a).await;
            };
            tokio::pin!(aborted);
            loop {
                let msg = tokio::select! {
                    m = out_rx.recv() => m,
                    _ = &mut aborted => break,
                };
                let Some(msg) = msg else {
                    let _ = sink.close().await;
                    break;
                };
                let is_close = matches!(msg, WsMessage::Close(_));
                if sink.send(msg).await.is_err() || is_close {
                    let _ = sink.close().await;
                    break;
                }
            }
            let _ = closed_w.send(true);
        });

        let pending_r = pending.clone();
        let last_r = last_frame.clone();
        let mut abort_r = abort_rx;
        tokio::spawn(async move {
            let aborted = async move {
                let _ = abort_r.wait_for(|a| *a).await;
            };
            tokio::pin!(aborted);
            loop {
                let frame = tokio::select! {
                    f = stream.next() => f,
                    _ = &mut aborted => break,
                };
                let Some(frame) = frame else { break };
                if frame.is_ok() {
                    *last_r.lock().unwrap_or_else(|p| p.into_inner()) = tokio::time::Instant::now();
                }
                let text = match frame {
                    Ok(WsMessage::Text(t)) => t,
                    Ok(WsMessage::Close(_)) | Err(_) => break,
                    Ok(_) => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                    tracing::warn!("unparsable frame from server");
                    continue;
                };
                if v.get("push").is_some() {
                    match serde_json::from_value::<Push>(v) {
                        Ok(p) => {
                            if push_tx.send(p).is_err() {
                                break;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "unknown push"),
                    }
                } else if let Ok(reply) = serde_json::from_value::<Reply>(v) {
                    let waiter = pending_r
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&reply.id);
                    match waiter {
                        Some(w) => {
                            let _ = w.send(reply);
                        }
                        None => tracing::warn!(id = reply.id, code = reply.code, "unmatched reply"),
                    }
                }
            }
            // Closed first, then fail every call still waiting, so none hangs until its
            // timeout: a call registered after the clear sees the closed flag (`call_raw`
            // checks it after registering), and a retry never picks this connection again.
            let _ = closed_tx.send(true);
            pending_r.lock().unwrap_or_else(|p| p.into_inner()).clear();
        });

        let conn = Arc::new(Conn {
            out: out_tx,
            pending,
            next_id: AtomicU64::new(1),
            closed: closed_rx,
            last_frame,
            abort: abort_tx,
        });
        Ok((conn, push_rx))
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Waits until the connection ends.
    pub async fn closed(&self) {
        let mut rx = self.closed.clone();
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Ends the connection.
    pub fn close(&self) {
        let _ = self.out.try_send(WsMessage::Close(None));
    }

    /// Drops the connection at once, without a closing handshake (which a half-open or
    /// silent peer would never finish); calls still waiting fail with a network error.
    pub fn abort(&self) {
        let _ = self.abort.send(true);
    }

    /// When the last frame (reply, push, ping or pong) arrived from the server.
    pub fn last_frame(&self) -> tokio::time::Instant {
        *self.last_frame.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends a raw request and waits for its reply.
    pub async fn call_raw(&self, op: &str, data: Value) -> Result<Value, ImError> {
        // Over the server's rate limit a request is refused unserved, with the wait before a
        // retry: waiting and retrying here lets a burst (following 300 users, sending an album)
        // slow down instead of failing. Requests are safe to repeat (sends by message ID).
        let mut waited = Duration::ZERO;
        loop {
            match self.call_once(op, data.clone()).await {
                Err(e) if e.code == code::OVER_FREQUENCY_LIMIT => {
                    let wait = e
                        .data
                        .as_ref()
                        .and_then(|d| d.get("retryAfterMs"))
                        .and_then(Value::as_u64)
                        .map(|ms| Duration::from_millis(ms.clamp(1, 1000)));
                    match wait {
                        Some(w) if waited + w <= MAX_RATE_WAIT => {
                            waited += w;
                            tokio::time::sleep(w).await;
                        }
                        _ => return Err(e),
                    }
                }
                other => return other,
            }
        }
    }

    /// Sends one request and waits for its reply.
    async fn call_once(&self, op: &str, data: Value) -> Result<Value, ImError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, tx);
        let text = serde_json::to_string(&Request {
            id,
            op: op.to_owned(),
            data,
        })
        .map_err(|e| ImError::internal(e.to_string()))?;
        if self.is_closed() || self.out.send(WsMessage::Text(text.into())).await.is_err() {
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            return Err(network_error("not connected"));
        }
        match tokio::time::timeout(CALL_TIMEOUT, rx).await {
            Ok(Ok(reply)) => reply.into_result(),
            Ok(Err(_)) => Err(network_error("connection lost before the reply")),
            Err(_) => {
                self.pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id);
                Err(ImError::new(
                    code::NETWORK_TIMEOUT,
                    format!("{op}: no reply in time"),
                ))
            }
        }
    }

    /// Sends a typed operation and waits for its typed reply.
    pub async fn call<O: Op>(&self, op: &O) -> Result<O::Reply, ImError> {
        let data = serde_json::to_value(op).map_err(|e| ImError::internal(e.to_string()))?;
        let v = self.call_raw(O::NAME, data).await?;
        serde_json::from_value(v)
            .map_err(|e| ImError::internal(format!("{}: unexpected reply: {e}", O::NAME)))
    }
}
