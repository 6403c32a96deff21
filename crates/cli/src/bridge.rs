//! `pigeon bridge`: one SDK instance driven by JSON lines, over stdin/stdout or a loopback
//! WebSocket (DESIGN.md, "The JSON-lines bridge").
//!
//! Request `{"id": 7, "method": "sendMessage", "args": [...]}` → reply
//! `{"id": 7, "code": 0, "data": ...}` or `{"id": 7, "code": N, "message": "..."}`; events go
//! out as `{"event": "onMessageReceived", "data": [...]}`.

use futures_util::{SinkExt, StreamExt};
use pigeon_proto::consts::constants;
use pigeon_proto::error::code;
use pigeon_proto::ImError;
use pigeon_sdk::{Chat, Event};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Longest request line accepted; longer ones are refused without being buffered whole.
const MAX_LINE: usize = 1 << 20;

/// Frames as large as the longest line stdin accepts, and no larger.
fn ws_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    let mut c = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default();
    c.max_message_size = Some(MAX_LINE);
    c.max_frame_size = Some(MAX_LINE);
    c
}

/// Events the client asked not to get (`off`); `on` takes them back.
#[derive(Default, Clone)]
pub struct Muted(Arc<Mutex<HashSet<String>>>);

impl Muted {
    fn is_muted(&self, name: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(name)
    }
}

fn is_event_name(name: &str) -> bool {
    let c = constants();
    ["EVENT", "TSignaling"].iter().any(|k| {
        c[k].as_object()
            .is_some_and(|o| o.values().any(|v| v.as_str() == Some(name)))
    })
}

fn reply(id: &Value, result: Result<Value, ImError>) -> String {
    let v = match result {
        Ok(data) => json!({ "id": id, "code": 0, "data": data }),
        Err(e) => {
            let mut v = json!({ "id": id, "code": e.code, "message": e.message });
            if let Some(d) = e.data {
                v["data"] = d;
            }
            v
        }
    };
    v.to_string()
}

/// Answers one request line (None for a blank line).
pub async fn handle_line(chat: &Chat, muted: &Muted, line: &str) -> Option<String> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let (id, method, args) = match crate::request_line::parse_request_line(line) {
        Ok(req) => req,
        Err((id, e)) => return Some(reply(&id, Err(e))),
    };
    let method = method.as_str();
    let result = match method {
        "on" | "off" | "addSignalingListener" | "removeSignalingListener" => {
            match args.first().and_then(Value::as_str) {
                Some(name) if is_event_name(name) => {
                    let mut set = muted.0.lock().unwrap_or_else(|p| p.into_inner());
                    if method == "on" || method == "addSignalingListener" {
                        set.remove(name);
                    } else {
                        set.insert(name.to_owned());
                    }
                    Ok(Value::Null)
                }
                Some(name) => Err(ImError::invalid(format!(
                    "{method}: unknown event {name:?}"
                ))),
                None => Err(ImError::invalid(format!("{method} takes an event name"))),
            }
        }
        _ => chat.invoke(method, args).await,
    };
    Some(reply(&id, result))
}

fn event_line(e: &Event) -> String {
    json!({ "event": e.name, "data": e.data }).to_string()
}

/// Sends every event not muted to `out`; returns the listener id for `Chat::off`. Forwarded
/// from inside the listener, so events keep their order with the replies: the events a request
/// causes go out before its reply, and `off` takes effect from its reply on.
fn forward_events(chat: &Chat, muted: &Muted, out: &mpsc::UnboundedSender<String>) -> u64 {
    let (out, muted) = (out.clone(), muted.clone());
    chat.on(None, move |e| {
        if !muted.is_muted(&e.name) {
            let _ = out.send(event_line(e));
        }
    })
}

/// Serves stdin/stdout until EOF, then logs out.
pub async fn run_stdio(chat: Chat) -> anyhow::Result<()> {
    let muted = Muted::default();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(line) = out_rx.recv().await {
            if stdout.write_all(line.as_bytes()).await.is_err()
                || stdout.write_all(b"\n").await.is_err()
                || stdout.flush().await.is_err()
            {
                break;
            }
        }
    });
    let listener = forward_events(&chat, &muted, &out_tx);
    let mut lines = BufReader::new(tokio::io::stdin());
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let mut buf = Vec::new();
        let n = read_line_capped(&mut lines, &mut buf).await?;
        if n == 0 {
            break;
        }
        if buf.len() > MAX_LINE {
            let e = ImError::new(code::MALFORMED_REQUEST, "request line over 1 MiB");
            let _ = out_tx.send(reply(&Value::Null, Err(e)));
            continue;
        }
        let line = String::from_utf8_lossy(&buf).into_owned();
        let (chat, muted, out) = (chat.clone(), muted.clone(), out_tx.clone());
        tasks.spawn(async move {
            if let Some(r) = handle_line(&chat, &muted, &line).await {
                let _ = out.send(r);
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    if !chat.get_login_user().is_empty() {
        let _ = chat.logout().await;
    }
    chat.off(listener);
    drop(out_tx);
    let _ = writer.await;
    Ok(())
}

/// Reads one line into `buf`, keeping at most MAX_LINE + 1 bytes of it; returns bytes read.
async fn read_line_capped<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(total);
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = (MAX_LINE + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        r.consume(take);
        total += take;
        if done {
            return Ok(total);
        }
    }
}

/// Serves the same JSON messages over a WebSocket on a loopback address: one text frame per
/// message, each connection with its own replies, its own `on`/`off`, and every event.
pub async fn run_ws(chat: Chat, listen: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        anyhow::bail!("the bridge only listens on loopback addresses, not {addr}");
    }
    println!("bridge listening on ws://{addr}");
    loop {
        let (stream, peer) = listener.accept().await?;
        if !peer.ip().is_loopback() {
            continue;
        }
        tokio::spawn(serve_ws_connection(chat.clone(), stream));
    }
}

async fn serve_ws_connection(chat: Chat, stream: tokio::net::TcpStream) {
    use tokio_tungstenite::tungstenite::Message as Frame;
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(ws_config())).await
    else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let muted = Muted::default();
    let listener = forward_events(&chat, &muted, &out_tx);
    let writer = tokio::spawn(async move {
        while let Some(text) = out_rx.recv().await {
            if sink.send(Frame::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(msg)) = source.next().await {
        match msg {
            Frame::Text(t) => {
                let (chat, muted, out) = (chat.clone(), muted.clone(), out_tx.clone());
                tokio::spawn(async move {
                    if let Some(r) = handle_line(&chat, &muted, t.as_str()).await {
                        let _ = out.send(r);
                    }
                });
            }
            Frame::Binary(_) => {
                let e = ImError::new(code::MALFORMED_REQUEST, "requests are JSON text frames");
                let _ = out_tx.send(reply(&Value::Null, Err(e)));
            }
            _ => {}
        }
    }
    chat.off(listener);
    writer.abort();
}
