//! The interface between the generator and the protocols under test.
//!
//! The generator's workloads only talk to a [`Driver`] (log a user in, make sure a group
//! exists) and the [`Conn`]s it returns (send, receive, close), so W1, W2, W3, W5 and W6 run
//! unchanged against Pigeon, the floor relay and ejabberd.
//!
//! Decisions written down here (the file wins over the brief's sketch):
//! - `Conn` uses `#[async_trait::async_trait]` (boxed futures, object safe: the generator holds
//!   `Box<dyn Conn>`). `Driver` returns [`BoxFuture`]s by hand so it needs no macro.
//! - Bodies are opaque ASCII strings made by the generator (`seq` + send time, see
//!   `crate::body`); a driver must deliver them byte for byte, and must not deliver a
//!   message back to its own sender.
//! - `send_direct`/`send_group` of a durable protocol return when the server acked the message
//!   (Pigeon: the sendMessage reply). A protocol without acks (XMPP without XEP-0198, the
//!   floor) returns once the frame is written; the report notes the difference via
//!   [`Driver::acked_sends`].
//! - `recv` returns only chat messages; everything else (presence, receipts, pings,
//!   conversation events) is handled or dropped inside. It must be cancel safe (the generator
//!   uses it inside `tokio::select!` / `timeout`), i.e. no message may be lost when the future
//!   is dropped before completion — read frames into an internal queue if needed.
//! - The generator uses one `Conn` from one task at a time (`&mut self`). For several sends in
//!   flight on one connection (W2 with 10 in flight, the rate sweep, W3 senders) it calls
//!   [`Conn::split`] when [`Conn::can_split`] says so; otherwise it awaits each send in turn
//!   (fine for fire-and-forget protocols, whose send returns once written).
//! - Users are plain names ("u0", "u1", ...); the driver maps them to its own addressing (JIDs
//!   for XMPP). Groups are plain names too ("g500"); for XMPP a MUC room.
//! - `connect` is given the local source address to bind (127.0.0.x spreading for W6; the
//!   generator passes 127.0.0.1 otherwise). The target's address and any credentials are
//!   fields of the driver, set when it is built.
use std::net::IpAddr;

pub use futures_util::future::BoxFuture;

/// A received chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The sender's user name (as given to [`Driver::connect`]).
    pub from: String,
    /// The body exactly as sent.
    pub body: String,
    /// The group/room name for a group message, `None` for a direct one.
    pub group: Option<String>,
}

/// One logged-in connection of a protocol under test.
#[async_trait::async_trait]
pub trait Conn: Send {
    /// Sends a direct message with an opaque body; returns when acked (durable protocols) or
    /// written (others).
    async fn send_direct(&mut self, to: &str, body: &str) -> anyhow::Result<()>;
    /// Sends to a group/room the sender is a member of (it must not receive its own copy
    /// through `recv`; filter it out inside if the protocol echoes it).
    async fn send_group(&mut self, group: &str, body: &str) -> anyhow::Result<()>;
    /// Next received chat message. Acks, receipts, presence and pings are handled inside.
    /// Cancel safe.
    async fn recv(&mut self) -> anyhow::Result<Received>;
    /// Whether [`Conn::split`] works. Default: no (the generator then sends one message at
    /// a time on this connection and does not read what a sender receives).
    fn can_split(&self) -> bool {
        false
    }
    /// Splits into an independent sender and receiver (for several messages in flight while
    /// receiving on the same connection). Called only when [`Conn::can_split`] is true.
    fn split(self: Box<Self>) -> anyhow::Result<(Box<dyn ConnSend>, Box<dyn ConnRecv>)> {
        anyhow::bail!("this driver's connections cannot be split")
    }
    /// Joins a room where the protocol needs a live join (XMPP MUC presence; Pigeon
    /// AVChatRoom joinGroup). Called by the generator for each member after
    /// [`Driver::prepare_group`] and before the timed part; returns once joined.
    /// Default: nothing to do.
    async fn join_group(&mut self, group: &str) -> anyhow::Result<()> {
        let _ = group;
        Ok(())
    }
    /// Closes politely.
    async fn close(self: Box<Self>) -> anyhow::Result<()>;
}

/// The sending half of a split [`Conn`]; `Sync` + `&self` so many sends can be in flight.
#[async_trait::async_trait]
pub trait ConnSend: Send + Sync {
    /// Same as [`Conn::send_direct`]; may be called concurrently.
    async fn send_direct(&self, to: &str, body: &str) -> anyhow::Result<()>;
    /// Same as [`Conn::send_group`]; may be called concurrently.
    async fn send_group(&self, group: &str, body: &str) -> anyhow::Result<()>;
}

/// The receiving half of a split [`Conn`].
#[async_trait::async_trait]
pub trait ConnRecv: Send {
    /// Same as [`Conn::recv`].
    async fn recv(&mut self) -> anyhow::Result<Received>;
}

/// A protocol under test: builds logged-in connections.
pub trait Driver: Send + Sync {
    /// Name for reports ("pigeon", "floor", "ejabberd-nostore", "ejabberd-sqlite").
    fn name(&self) -> &str;
    /// Whether `send_*` returns only after the server acknowledged (and for Pigeon, stored) the
    /// message.
    fn acked_sends(&self) -> bool;
    /// Logs `user` in from local source address `src`, returns the connection.
    fn connect(&self, user: &str, src: IpAddr) -> BoxFuture<'_, anyhow::Result<Box<dyn Conn>>>;
    /// Logs `user` in as the `slot`th connection of a batch: a driver for several server
    /// nodes puts it on node `slot % nodes`, so the placement does not depend on which login
    /// task runs first. Default: [`Driver::connect`].
    fn connect_slot(
        &self,
        user: &str,
        src: IpAddr,
        slot: usize,
    ) -> BoxFuture<'_, anyhow::Result<Box<dyn Conn>>> {
        let _ = slot;
        self.connect(user, src)
    }
    /// Makes sure `group` exists with exactly these members (before the timed part). `kind`
    /// is "Work" (a 500-member group / MUC room) or "AVChatRoom" (a live-stream room: members
    /// join by connecting; a driver may treat it as "Work").
    fn prepare_group<'a>(
        &'a self,
        group: &'a str,
        kind: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, anyhow::Result<()>>;
    /// Makes sure these users exist (registration; a no-op where any name can log in).
    fn prepare_users<'a>(&'a self, users: &'a [String]) -> BoxFuture<'a, anyhow::Result<()>> {
        let _ = users;
        Box::pin(async { Ok(()) })
    }
}
