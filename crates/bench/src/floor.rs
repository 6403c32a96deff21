//! The floor: a minimal relay over tokio-tungstenite that forwards frames between sockets
//! with no auth and no storage, and its driver.
//!
//! Framing (text frames, space separated, the body last so it may hold spaces):
//! - client → relay: `login USER` (first frame), `d TO BODY`, `g GROUP BODY`,
//!   `mkgroup GROUP m1,m2,...` (answered with `ok`);
//! - relay → client: `d FROM BODY`, `g GROUP FROM BODY`, `ok`.
//!
//! Sends are not acknowledged (nothing is stored, so there is nothing to confirm).
use crate::driver::{BoxFuture, Conn, ConnRecv, ConnSend, Driver, Received};
use crate::pigeon::ws_connect;
use anyhow::{anyhow, bail};
use futures_util::stream::{SplitSink, SplitStream, StreamExt};
use futures_util::SinkExt;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::WebSocketStream;

#[derive(Default)]
struct Relay {
    users: HashMap<String, mpsc::UnboundedSender<Ws>>,
    groups: HashMap<String, Arc<Vec<String>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs the relay on `listen` until the process ends.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    let relay = Arc::new(Mutex::new(Relay::default()));
    loop {
        let (stream, _) = listener.accept().await?;
        let relay = relay.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let Ok(ws) = tokio_tungstenite::accept_async_with_config(
                stream,
                Some(crate::pigeon::ws_config()),
            )
            .await
            else {
                return;
            };
            let (mut sink, mut source) = ws.split();
            let (tx, mut rx) = mpsc::unbounded_channel::<Ws>();
            let writer = tokio::spawn(async move {
                while let Some(m) = rx.recv().await {
                    if sink.send(m).await.is_err() {
                        break;
                    }
                }
            });
            let mut me = None::<String>;
            while let Some(Ok(Ws::Text(t))) = source.next().await {
                let t = t.as_str();
                let (verb, rest) = t.split_once(' ').unwrap_or((t, ""));
                match verb {
                    "login" => {
                        lock(&relay).users.insert(rest.to_owned(), tx.clone());
                        me = Some(rest.to_owned());
                        let _ = tx.send(Ws::text("ok"));
                    }
                    "d" => {
                        let (Some(from), Some((to, body))) = (&me, rest.split_once(' ')) else {
                            continue;
                        };
                        let out = lock(&relay).users.get(to).cloned();
                        if let Some(out) = out {
                            let _ = out.send(Ws::text(format!("d {from} {body}")));
                        }
                    }
                    "g" => {
                        let (Some(from), Some((group, body))) = (&me, rest.split_once(' ')) else {
                            continue;
                        };
                        let frame = Ws::text(format!("g {group} {from} {body}"));
                        let r = lock(&relay);
                        if let Some(members) = r.groups.get(group).cloned() {
                            for m in members.iter().filter(|m| *m != from) {
                                if let Some(out) = r.users.get(m) {
                                    let _ = out.send(frame.clone());
                                }
                            }
                        }
                    }
                    "mkgroup" => {
                        let (group, list) = rest.split_once(' ').unwrap_or((rest, ""));
                        let members = list.split(',').map(str::to_owned).collect();
                        lock(&relay)
                            .groups
                            .insert(group.to_owned(), Arc::new(members));
                        let _ = tx.send(Ws::text("ok"));
                    }
                    _ => {}
                }
            }
            if let Some(me) = me {
                let mut r = lock(&relay);
                if r.users.get(&me).is_some_and(|s| s.same_channel(&tx)) {
                    r.users.remove(&me);
                }
            }
            writer.abort();
        });
    }
}

/// The floor relay as a protocol under test.
pub struct FloorDriver {
    url: String,
    addr: SocketAddr,
}

impl FloorDriver {
    /// A driver for the relay at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            url: format!("ws://{addr}"),
            addr,
        }
    }
}

type Sink = SplitSink<WebSocketStream<TcpStream>, Ws>;

/// One connection to the relay.
pub struct FloorConn {
    sink: Sink,
    stream: SplitStream<WebSocketStream<TcpStream>>,
}

impl Driver for FloorDriver {
    fn name(&self) -> &str {
        "floor"
    }

    fn acked_sends(&self) -> bool {
        false
    }

    fn connect(&self, user: &str, src: IpAddr) -> BoxFuture<'_, anyhow::Result<Box<dyn Conn>>> {
        let user = user.to_owned();
        Box::pin(async move {
            let ws = ws_connect(&self.url, self.addr, src).await?;
            let (mut sink, mut stream) = ws.split();
            sink.send(Ws::text(format!("login {user}"))).await?;
            match stream.next().await {
                Some(Ok(Ws::Text(t))) if t.as_str() == "ok" => {}
                other => bail!("login {user}: {other:?}"),
            }
            Ok(Box::new(FloorConn { sink, stream }) as Box<dyn Conn>)
        })
    }

    fn prepare_group<'a>(
        &'a self,
        group: &'a str,
        _kind: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let ws = ws_connect(&self.url, self.addr, IpAddr::from([127, 0, 0, 1])).await?;
            let (mut sink, mut stream) = ws.split();
            sink.send(Ws::text(format!("mkgroup {group} {}", members.join(","))))
                .await?;
            match stream.next().await {
                Some(Ok(Ws::Text(t))) if t.as_str() == "ok" => Ok(()),
                other => bail!("mkgroup: {other:?}"),
            }
        })
    }
}

async fn next_received(
    stream: &mut SplitStream<WebSocketStream<TcpStream>>,
) -> anyhow::Result<Received> {
    loop {
        let t = match stream.next().await {
            Some(Ok(Ws::Text(t))) => t,
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err(anyhow!("connection closed")),
        };
        let mut it = t.as_str().splitn(2, ' ');
        match (it.next(), it.next()) {
            (Some("d"), Some(rest)) => {
                if let Some((from, body)) = rest.split_once(' ') {
                    return Ok(Received {
                        from: from.to_owned(),
                        body: body.to_owned(),
                        group: None,
                    });
                }
            }
            (Some("g"), Some(rest)) => {
                let mut it = rest.splitn(3, ' ');
                if let (Some(g), Some(from), Some(body)) = (it.next(), it.next(), it.next()) {
                    return Ok(Received {
                        from: from.to_owned(),
                        body: body.to_owned(),
                        group: Some(g.to_owned()),
                    });
                }
            }
            _ => {}
        }
    }
}

#[async_trait::async_trait]
impl Conn for FloorConn {
    async fn send_direct(&mut self, to: &str, body: &str) -> anyhow::Result<()> {
        Ok(self.sink.send(Ws::text(format!("d {to} {body}"))).await?)
    }

    async fn send_group(&mut self, group: &str, body: &str) -> anyhow::Result<()> {
        Ok(self
            .sink
            .send(Ws::text(format!("g {group} {body}")))
            .await?)
    }

    async fn recv(&mut self) -> anyhow::Result<Received> {
        next_received(&mut self.stream).await
    }

    fn can_split(&self) -> bool {
        true
    }

    fn split(self: Box<Self>) -> anyhow::Result<(Box<dyn ConnSend>, Box<dyn ConnRecv>)> {
        let this = *self;
        Ok((
            Box::new(FloorSend(tokio::sync::Mutex::new(this.sink))),
            Box::new(FloorRecv(this.stream)),
        ))
    }

    async fn close(mut self: Box<Self>) -> anyhow::Result<()> {
        let _ = self.sink.close().await;
        Ok(())
    }
}

struct FloorSend(tokio::sync::Mutex<Sink>);

#[async_trait::async_trait]
impl ConnSend for FloorSend {
    async fn send_direct(&self, to: &str, body: &str) -> anyhow::Result<()> {
        Ok(self
            .0
            .lock()
            .await
            .send(Ws::text(format!("d {to} {body}")))
            .await?)
    }

    async fn send_group(&self, group: &str, body: &str) -> anyhow::Result<()> {
        Ok(self
            .0
            .lock()
            .await
            .send(Ws::text(format!("g {group} {body}")))
            .await?)
    }
}

struct FloorRecv(SplitStream<WebSocketStream<TcpStream>>);

#[async_trait::async_trait]
impl ConnRecv for FloorRecv {
    async fn recv(&mut self) -> anyhow::Result<Received> {
        next_received(&mut self.0).await
    }
}
