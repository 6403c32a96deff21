//! The WebSocket gateway: `GET /` (and `/ws`) upgrades to the Pigeon protocol, `GET /healthz`
//! reports readiness. One task per connection: it logs the client in, then serves its requests
//! in order and forwards pushes queued for it by the [`crate::hub::Bus`].

use crate::hub::{EndReason, Registered};
use crate::limits::Bucket;
use crate::reply_json as to_value;
use crate::webhooks::SessionEnd;
use crate::{
    conversations, files, follows, groups, message_extras, message_ops, messages, now, profiles,
    relations, signaling, usersig, validate_user_id, AppState, Caller,
};
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Extension;
use axum::Router;
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::wire::{
    AcceptInvitation, AddConversationsToGroup, CancelInvitation, ClearHistoryMessage,
    CreateConversationGroup, CreateGroup, DeleteConversation, DeleteConversationGroup,
    DeleteConversationsFromGroup, DismissGroup, GetAllReceiveMessageOpt, GetConversationGroupList,
    GetConversationList, GetConversationProfile, GetGroupList, GetGroupProfile, GetMessageList,
    GetPendingInvitations, Invite, JoinGroup, Login, LoginReply, Logout, MarkConversation,
    ModifyInvitation, Op, PinConversation, Ping, Push, QuitGroup, RejectInvitation,
    RenameConversationGroup, Reply, Request, SendMessage, SetAllMessageRead,
    SetAllReceiveMessageOpt, SetConversationCustomData, SetMessageRead, SetMessageRemindType, Sync,
    MAX_FRAME_BYTES,
};
use pigeon_proto::ImError;
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, info, warn};

/// A connection that sends nothing for this long is dropped (clients ping every 20 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(75);

/// A write that cannot complete in this long means the peer is gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a login waits for the bus to confirm the user's subscription (cluster bus).
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(5);

/// Unauthenticated connections must log in within this long.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(20);

/// The HTTP routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(upgrade))
        .route("/ws", get(upgrade))
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::metrics::handler))
        .route(
            "/dev/usersig",
            get(dev_usersig).options(dev_usersig_preflight),
        )
        .merge(files::router())
        .merge(crate::rest::router())
        .with_state(state)
}

async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    match st.db(|s| s.last_seq("healthz")) {
        Ok(_) => (axum::http::StatusCode::OK, "ok\n").into_response(),
        Err(e) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.message).into_response(),
    }
}

/// The peer's address, when the server was started with connect info (`main` does).
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

fn peer_ip(peer: Peer) -> Option<IpAddr> {
    peer.map(|Extension(ConnectInfo(a))| a.ip().to_canonical())
}

/// How long a dev sign-in UserSig is valid.
const DEV_SIG_SECS: u64 = 7 * 86_400;

/// `GET /dev/usersig?userID=X`: a UserSig for anyone, only with `dev_sign_in` on (404 when
/// off) and only to loopback peers (403 otherwise), for local development (the desktop app).
async fn dev_usersig(
    State(st): State<Arc<AppState>>,
    peer: Peer,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    use axum::http::StatusCode;
    if !st.config.dev_sign_in {
        return StatusCode::NOT_FOUND.into_response();
    }
    let cors = [(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")];
    if !peer_ip(peer).is_some_and(|ip| ip.is_loopback()) {
        return (
            StatusCode::FORBIDDEN,
            cors,
            "dev sign-in is for loopback clients only\n",
        )
            .into_response();
    }
    let user = q.get("userID").map(String::as_str).unwrap_or_default();
    if let Err(e) = check_user_id(user) {
        return (StatusCode::BAD_REQUEST, cors, e.message).into_response();
    }
    let sig = usersig::generate(
        st.creds.sdk_app_id,
        &st.creds.secret_key,
        user,
        DEV_SIG_SECS,
        now(),
    );
    let body = serde_json::json!({
        "SDKAppID": st.creds.sdk_app_id,
        "userID": user,
        "userSig": sig,
    });
    (cors, axum::Json(body)).into_response()
}

/// CORS preflight of `/dev/usersig` (the desktop webview may call it directly).
async fn dev_usersig_preflight(State(st): State<Arc<AppState>>) -> Response {
    use axum::http::{header, StatusCode};
    if !st.config.dev_sign_in {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET"),
        ],
    )
        .into_response()
}

async fn upgrade(ws: WebSocketUpgrade, State(st): State<Arc<AppState>>, peer: Peer) -> Response {
    let ip = peer_ip(peer);
    // Small buffers: tungstenite's default 128 KiB read buffer per socket would make an
    // idle connection cost ~150 KiB; frames are small (a bigger one grows the buffer).
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection(st, socket, ip))
}

/// Counts an open connection for `/metrics` while it lives.
struct Open;

impl Open {
    fn new() -> Self {
        crate::metrics::get().connections.inc();
        Open
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        crate::metrics::get().connections.dec();
    }
}

async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, socket.send(WsMessage::Text(text.into()))).await,
        Ok(Ok(()))
    )
}

async fn send_reply(socket: &mut WebSocket, reply: Reply) -> bool {
    match serde_json::to_string(&reply) {
        Ok(text) => send_text(socket, text).await,
        Err(_) => false,
    }
}

fn malformed(detail: impl std::fmt::Display) -> Reply {
    Reply::err(
        0,
        &ImError::new(
            code::MALFORMED_REQUEST,
            format!("malformed request frame: {detail}"),
        ),
    )
}

/// What a frame from the client turned out to be.
enum Incoming {
    Request(Request),
    /// Answer this and go on.
    Bad(Reply),
    /// Not for us (ping/pong).
    Skip,
    Closed,
}

/// Parses one text frame into a request, or the 400 reply to send back (no sockets, so it can
/// be fuzzed).
pub fn decode_request(text: &[u8]) -> Result<Request, Reply> {
    match serde_json::from_slice::<Request>(text) {
        Ok(r) => Ok(r),
        Err(e) => {
            // Keep the id when there is one, so the client can fail the right call.
            let id = serde_json::from_slice::<Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_u64))
                .unwrap_or(0);
            let mut r = malformed(e);
            r.id = id;
            Err(r)
        }
    }
}

/// WebSocket close code 1009, "message too big": a frame or message over [`MAX_FRAME_BYTES`].
pub const CLOSE_TOO_BIG: u16 = 1009;
/// WebSocket close code 1007, "invalid frame payload data": a text frame that is not UTF-8.
pub const CLOSE_INVALID_PAYLOAD: u16 = 1007;
/// WebSocket close code 1002, "protocol error": any other broken frame.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;

/// The close code and reason for a failed read, from the codec's error text (its error type
/// is not exposed through axum).
fn close_for_read_error(error: &str) -> (u16, String) {
    let lower = error.to_ascii_lowercase();
    if lower.contains("too long") || lower.contains("too big") || lower.contains("space limit") {
        (
            CLOSE_TOO_BIG,
            format!("frame or message over {MAX_FRAME_BYTES} bytes"),
        )
    } else if lower.contains("utf-8") || lower.contains("utf8") {
        (
            CLOSE_INVALID_PAYLOAD,
            "text frame is not valid UTF-8".to_owned(),
        )
    } else {
        // A close reason is at most 123 bytes.
        let mut reason: String = format!("protocol error: {error}");
        while reason.len() > 120 {
            reason.pop();
        }
        (CLOSE_PROTOCOL_ERROR, reason)
    }
}

async fn next_incoming(socket: &mut WebSocket) -> Incoming {
    match socket.recv().await {
        None | Some(Ok(WsMessage::Close(_))) => Incoming::Closed,
        Some(Err(e)) => {
            // Over the frame limit, not UTF-8 in a text frame, or another protocol violation:
            // the connection ends, with a close frame that says why when it can still be sent.
            debug!(error = %e, "websocket read failed");
            let (code, reason) = close_for_read_error(&e.to_string());
            let close = WsMessage::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            }));
            let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(close)).await;
            Incoming::Closed
        }
        Some(Ok(WsMessage::Text(t))) => match decode_request(t.as_str().as_bytes()) {
            Ok(r) => Incoming::Request(r),
            Err(reply) => Incoming::Bad(reply),
        },
        Some(Ok(WsMessage::Binary(_))) => Incoming::Bad(malformed("binary frames are not used")),
        Some(Ok(_)) => Incoming::Skip,
    }
}

/// Takes a token for a frame that would be answered; over the connection's request rate the
/// frame is answered with 2996 instead of being served.
fn rate_limited(st: &AppState, bucket: &mut Bucket, incoming: Incoming) -> Incoming {
    let id = match &incoming {
        Incoming::Request(r) => r.id,
        Incoming::Bad(r) => r.id,
        Incoming::Skip | Incoming::Closed => return incoming,
    };
    match bucket.take() {
        Ok(()) => incoming,
        Err(retry) => {
            let l = &st.config.limits;
            let e = crate::limits::over_rate(
                "requests per connection",
                l.requests_per_sec,
                l.request_burst,
                retry,
            );
            Incoming::Bad(Reply::err(id, &e))
        }
    }
}

async fn connection(st: Arc<AppState>, mut socket: WebSocket, ip: Option<IpAddr>) {
    let _open = Open::new();
    let limits = &st.config.limits;
    let mut bucket = Bucket::new(limits.requests_per_sec, limits.request_burst);
    // Phase 1: nothing but login.
    let login_deadline = tokio::time::Instant::now() + LOGIN_TIMEOUT;
    let (caller, reg, expires_at, platform) = loop {
        let incoming = tokio::select! {
            i = next_incoming(&mut socket) => i,
            _ = tokio::time::sleep_until(login_deadline) => return,
        };
        let incoming = rate_limited(&st, &mut bucket, incoming);
        let req = match incoming {
            Incoming::Request(r) => r,
            Incoming::Bad(reply) => {
                if !send_reply(&mut socket, reply).await {
                    return;
                }
                continue;
            }
            Incoming::Skip => continue,
            Incoming::Closed => return,
        };
        if req.op != Login::NAME {
            let e = ImError::new(code::USER_NOT_LOGGED_IN, "log in first");
            if !send_reply(&mut socket, Reply::err(req.id, &e)).await {
                return;
            }
            continue;
        }
        match login(&st, req.data) {
            Ok((login, reply)) => {
                let mut reg = st
                    .bus
                    .register(&login.user_id, &login.instance_id, &login.platform);
                // With several nodes, pushes published elsewhere reach this session only once
                // the node's subscription is in place: wait for it (briefly) before the reply,
                // so whatever the client's first sync misses is pushed.
                if let Some(ready) = reg.ready.take() {
                    if tokio::time::timeout(SUBSCRIBE_WAIT, ready).await.is_err() {
                        warn!(user = %login.user_id, "bus subscription not confirmed in time");
                    }
                }
                let caller = Caller {
                    user_id: login.user_id.clone(),
                    session: reg.id,
                };
                info!(user = %caller.user_id, session = reg.id, platform = %login.platform, "login");
                crate::metrics::get().logins.inc();
                let expires_at = reply.expires_at;
                let data = serde_json::to_value(&reply).unwrap_or_default();
                if !send_reply(&mut socket, Reply::ok(req.id, data)).await {
                    // Never announced online, so there is no offline to announce either.
                    let _ = st.bus.unregister(&caller.user_id, caller.session);
                    return;
                }
                break (caller, reg, expires_at, login.platform);
            }
            Err(e) => {
                crate::metrics::get().login_failures.inc();
                debug!(code = e.code, "login refused");
                if !send_reply(&mut socket, Reply::err(req.id, &e)).await {
                    return;
                }
            }
        }
    };
    profiles::session_started(&st, &caller, reg.first_anywhere);
    crate::webhooks::session_started(&st, &caller, ip, &platform);
    let how = serve_session(&st, &mut socket, &caller, reg, expires_at, &mut bucket).await;
    let last_anywhere = st.bus.unregister(&caller.user_id, caller.session);
    profiles::session_ended(&st, &caller, last_anywhere);
    crate::webhooks::session_ended(&st, &caller, how);
    let _ = socket.send(WsMessage::Close(None)).await;
    debug!(user = %caller.user_id, session = caller.session, "session ended");
}

async fn serve_session(
    st: &AppState,
    socket: &mut WebSocket,
    caller: &Caller,
    mut reg: Registered,
    expires_at: u64,
    bucket: &mut Bucket,
) -> SessionEnd {
    // Capped, so an absurd `TLS.expire` cannot overflow the timer.
    let left = expires_at.saturating_sub(now()).min(10 * 365 * 86_400);
    let expiry = tokio::time::Instant::now() + Duration::from_secs(left);
    let end = reg.end.clone();
    let mut idle = Box::pin(tokio::time::sleep(IDLE_TIMEOUT));
    loop {
        tokio::select! {
            incoming = next_incoming(socket) => {
                idle.as_mut().reset(tokio::time::Instant::now() + IDLE_TIMEOUT);
                let reply = match rate_limited(st, bucket, incoming) {
                    Incoming::Closed => return SessionEnd::Closed,
                    Incoming::Skip => continue,
                    Incoming::Bad(reply) => reply,
                    Incoming::Request(req) if req.op == Logout::NAME => {
                        let _ = send_reply(socket, Reply::ok(req.id, serde_json::json!({}))).await;
                        return SessionEnd::Logout;
                    }
                    // Async: the before-send webhook is awaited here, bounded by its timeout.
                    Incoming::Request(req) if req.op == SendMessage::NAME => {
                        // The per-user send rate counts every session of the user.
                        let sent = match crate::limits::check_send(&st.config.limits, &caller.user_id) {
                            Ok(()) => crate::webhooks::send_message(st, caller, req.data).await,
                            Err(e) => Err(e),
                        };
                        match sent {
                            Ok(data) => Reply::ok(req.id, data),
                            Err(e) => Reply::err(req.id, &e),
                        }
                    }
                    Incoming::Request(req) => match dispatch(st, caller, &req.op, req.data) {
                        Ok(data) => Reply::ok(req.id, data),
                        Err(e) => Reply::err(req.id, &e),
                    },
                };
                if !send_reply(socket, reply).await {
                    return SessionEnd::Closed;
                }
            }
            Some(frame) = reg.rx.recv() => {
                if !send_text(socket, frame.to_string()).await {
                    return SessionEnd::Closed;
                }
            }
            reason = end.wait() => {
                match reason {
                    EndReason::Kicked(kind) => {
                        info!(user = %caller.user_id, session = caller.session, %kind, "kicked");
                        kick(socket, &kind).await;
                        return SessionEnd::Kicked;
                    }
                    EndReason::ShuttingDown => {
                        going_away(socket, &mut reg).await;
                        return SessionEnd::Closed;
                    }
                    reason => {
                        warn!(user = %caller.user_id, ?reason, "session ended by server");
                        return SessionEnd::Closed;
                    }
                }
            }
            _ = tokio::time::sleep_until(expiry) => {
                info!(user = %caller.user_id, "UserSig expired");
                kick(socket, types::KICKED_OUT_USERSIG_EXPIRED).await;
                return SessionEnd::Kicked;
            }
            _ = &mut idle => {
                debug!(user = %caller.user_id, "idle timeout");
                return SessionEnd::TimedOut;
            }
        }
    }
}

/// WebSocket close code 1012, "service restart": reconnect (to this or another node).
pub const CLOSE_SERVICE_RESTART: u16 = 1012;

/// Shutdown: the current request was answered (requests are served one at a time), so send
/// what is still queued for this session, then close with 1012 so the client reconnects.
async fn going_away(socket: &mut WebSocket, reg: &mut Registered) {
    while let Ok(frame) = reg.rx.try_recv() {
        if !send_text(socket, frame.to_string()).await {
            return;
        }
    }
    let close = WsMessage::Close(Some(CloseFrame {
        code: CLOSE_SERVICE_RESTART,
        reason: "service restart".into(),
    }));
    let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(close)).await;
}

async fn kick(socket: &mut WebSocket, kind: &str) {
    if let Ok(text) = serde_json::to_string(&Push::Kicked {
        kind: kind.to_owned(),
    }) {
        let _ = send_text(socket, text).await;
    }
}

fn login(st: &AppState, data: Value) -> Result<(Login, LoginReply), ImError> {
    let mut req = Login::parse(data)?;
    if req.user_id.is_empty() {
        return Err(ImError::new(code::NO_IDENTIFIER, "userID is required"));
    }
    if req.user_sig.is_empty() {
        return Err(ImError::new(code::NO_USERSIG, "userSig is required"));
    }
    validate_user_id("userID", &req.user_id)?;
    if req.sdk_app_id != st.creds.sdk_app_id {
        return Err(ImError::new(
            code::USERSIG_APPID_MISMATCH,
            format!("SDKAppID {} is not this server's app", req.sdk_app_id),
        ));
    }
    let info = usersig::verify(
        &req.user_sig,
        st.creds.sdk_app_id,
        &st.creds.secret_key,
        &req.user_id,
        now(),
    )
    .map_err(|e| ImError::new(e.code(), format!("UserSig refused: {e}")))?;
    if req.instance_id.is_empty() {
        req.instance_id = format!("anon-{}", rand::random::<u64>());
    }
    if req.platform.is_empty() {
        req.platform = "web".to_owned();
    }
    let inbox_head = st.db(|s| s.inbox_head(&req.user_id))?;
    let reply = LoginReply {
        user_id: req.user_id.clone(),
        server_time: now(),
        expires_at: info.expires_at(),
        inbox_head,
    };
    Ok((req, reply))
}

/// Routes one request of a logged-in session to its service.
fn dispatch(st: &AppState, c: &Caller, op: &str, data: Value) -> Result<Value, ImError> {
    match op {
        Ping::NAME => Ok(serde_json::json!({})),
        // Served by `serve_session` through `webhooks::send_message`; this synchronous path
        // (no before-send webhook) stays for callers without an async context.
        SendMessage::NAME => to_value(messages::send(st, c, SendMessage::parse(data)?)),
        Sync::NAME => to_value(messages::sync(st, c, Sync::parse(data)?)),
        GetMessageList::NAME => to_value(messages::list(st, c, GetMessageList::parse(data)?)),
        SetMessageRead::NAME => to_value(conversations::set_read(
            st,
            c,
            &SetMessageRead::parse(data)?.conversation_id,
        )),
        GetConversationList::NAME => to_value(conversations::list(
            st,
            c,
            GetConversationList::parse(data)?,
        )),
        GetConversationProfile::NAME => to_value(conversations::profile(
            st,
            c,
            &GetConversationProfile::parse(data)?.conversation_id,
        )),
        CreateGroup::NAME => to_value(groups::create(st, c, CreateGroup::parse(data)?)),
        GetGroupList::NAME => to_value(groups::list(st, c)),
        GetGroupProfile::NAME => to_value(groups::profile(
            st,
            c,
            &GetGroupProfile::parse(data)?.group_id,
        )),
        JoinGroup::NAME => to_value(groups::join(st, c, JoinGroup::parse(data)?)),
        QuitGroup::NAME => to_value(groups::quit(st, c, QuitGroup::parse(data)?.0)),
        DismissGroup::NAME => to_value(groups::dismiss(st, c, DismissGroup::parse(data)?.0)),
        DeleteConversation::NAME => to_value(conversations::delete(
            st,
            c,
            DeleteConversation::parse(data)?,
        )),
        ClearHistoryMessage::NAME => to_value(conversations::clear_history(
            st,
            c,
            ClearHistoryMessage::parse(data)?,
        )),
        PinConversation::NAME => to_value(conversations::pin(st, c, PinConversation::parse(data)?)),
        SetAllMessageRead::NAME => to_value(conversations::set_all_read(
            st,
            c,
            SetAllMessageRead::parse(data)?,
        )),
        SetMessageRemindType::NAME => to_value(conversations::set_remind_type(
            st,
            c,
            SetMessageRemindType::parse(data)?,
        )),
        SetAllReceiveMessageOpt::NAME => to_value(conversations::set_receive_opt(
            st,
            c,
            SetAllReceiveMessageOpt::parse(data)?,
        )),
        GetAllReceiveMessageOpt::NAME => to_value(conversations::receive_opt(st, c)),
        SetConversationCustomData::NAME => to_value(conversations::set_custom_data(
            st,
            c,
            SetConversationCustomData::parse(data)?,
        )),
        MarkConversation::NAME => {
            to_value(conversations::mark(st, c, MarkConversation::parse(data)?))
        }
        GetConversationGroupList::NAME => to_value(conversations::conv_groups(st, c)),
        CreateConversationGroup::NAME => to_value(conversations::create_conv_group(
            st,
            c,
            CreateConversationGroup::parse(data)?,
        )),
        DeleteConversationGroup::NAME => to_value(conversations::delete_conv_group(
            st,
            c,
            DeleteConversationGroup::parse(data)?,
        )),
        RenameConversationGroup::NAME => to_value(conversations::rename_conv_group(
            st,
            c,
            RenameConversationGroup::parse(data)?,
        )),
        AddConversationsToGroup::NAME => to_value(conversations::add_to_conv_group(
            st,
            c,
            AddConversationsToGroup::parse(data)?,
        )),
        DeleteConversationsFromGroup::NAME => to_value(conversations::remove_from_conv_group(
            st,
            c,
            DeleteConversationsFromGroup::parse(data)?,
        )),
        Invite::NAME => to_value(signaling::invite(st, c, Invite::parse(data)?)),
        CancelInvitation::NAME => {
            to_value(signaling::cancel(st, c, CancelInvitation::parse(data)?.0))
        }
        AcceptInvitation::NAME => to_value(signaling::answer(
            st,
            c,
            AcceptInvitation::parse(data)?.0,
            signaling::Answer::Accept,
        )),
        RejectInvitation::NAME => to_value(signaling::answer(
            st,
            c,
            RejectInvitation::parse(data)?.0,
            signaling::Answer::Reject,
        )),
        ModifyInvitation::NAME => {
            to_value(signaling::modify(st, c, ModifyInvitation::parse(data)?.0))
        }
        GetPendingInvitations::NAME => to_value(signaling::pending(st, c)),
        Login::NAME => Err(ImError::new(
            code::REPEAT_LOGIN,
            "this connection is logged in",
        )),
        other => profiles::dispatch(st, c, other, &data)
            .or_else(|| relations::dispatch(st, c, other, &data))
            .or_else(|| follows::dispatch(st, c, other, &data))
            .or_else(|| files::dispatch(st, c, other, &data))
            .or_else(|| message_ops::dispatch(st, c, other, &data))
            .or_else(|| message_extras::dispatch(st, c, other, &data))
            .or_else(|| crate::group_members::dispatch(st, c, other, &data))
            .or_else(|| crate::group_admin::dispatch(st, c, other, &data))
            .or_else(|| crate::topics::dispatch(st, c, other, &data))
            .unwrap_or_else(|| {
                Err(ImError::new(
                    code::SERVER_INVALID_PARAM,
                    format!("unknown operation {other:?}"),
                ))
            }),
    }
}

/// Validates a user ID the way login does (exposed for tools).
pub fn check_user_id(id: &str) -> Result<(), ImError> {
    validate_user_id("userID", id)
}
