//! Webhooks: the app backend's callbacks, called the way TencentCloudChat calls them, so a
//! backend written for its third-party callbacks works against Pigeon unchanged.
//!
//! One URL (`[webhooks] url`) receives every enabled callback as
//! `POST {url}?SdkAppid=..&CallbackCommand=..&contenttype=json&ClientIP=..&OptPlatform=..` with
//! TencentCloudChat's JSON body (`From_Account`, `To_Account`, `MsgBody: [{MsgType,
//! MsgContent}]`, ...). Only `http://` URLs are supported (no TLS client in the server; put a
//! local proxy in front of an `https://` backend).
//!
//! - Before-send callbacks (`C2C.CallbackBeforeSendMsg`, `Group.CallbackBeforeSendMsg`) are
//!   awaited, bounded by `timeout_ms`. The reply's `ErrorCode` decides: 0 allow (with an
//!   optional `MsgBody` / `CloudCustomData` that replaces the message's), 1 refuse (the sender
//!   gets 20006 for C2C, 10016 for groups), 2 drop silently (the sender is told it was sent,
//!   nobody receives it), a code in 120001..=130000 refuses with that code and `ErrorInfo`. No
//!   answer in time, a non-2xx status or a reply that is not JSON: `fail_open` allows, else
//!   the send is refused with 20006 / 10016. A modified message is stored and delivered
//!   modified (`isModified`), the sender's ack carries it and the sender's sessions get
//!   MESSAGE_MODIFIED.
//! - Every other callback is fire-and-forget: spawned, bounded by the same timeout, and never
//!   delays what caused it.

use crate::hub::SessionId;
use crate::metrics;
use crate::{now, AppState, Caller};
use pigeon_proto::consts::{event, types};
use pigeon_proto::model::{status, Group, Message};
use pigeon_proto::wire::{Op, SendMessage, SendMessageReply};
use pigeon_proto::ImError;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Before a C2C message is sent (awaited; may refuse or modify).
pub const C2C_BEFORE_SEND: &str = "C2C.CallbackBeforeSendMsg";
/// After a C2C message was sent.
pub const C2C_AFTER_SEND: &str = "C2C.CallbackAfterSendMsg";
/// Before a group message is sent (awaited; may refuse or modify).
pub const GROUP_BEFORE_SEND: &str = "Group.CallbackBeforeSendMsg";
/// After a group message was sent.
pub const GROUP_AFTER_SEND: &str = "Group.CallbackAfterSendMsg";
/// A user logged in, logged out or was disconnected.
pub const STATE_CHANGE: &str = "State.StateChange";
/// Friends were added.
pub const FRIEND_ADD: &str = "Sns.CallbackFriendAdd";
/// Friends were deleted.
pub const FRIEND_DELETE: &str = "Sns.CallbackFriendDelete";
/// A group was created.
pub const GROUP_CREATED: &str = "Group.CallbackAfterCreateGroup";
/// Members joined a group.
pub const GROUP_MEMBER_JOINED: &str = "Group.CallbackAfterNewMemberJoin";
/// Members left a group (quit or kicked).
pub const GROUP_MEMBER_EXITED: &str = "Group.CallbackAfterMemberExit";

/// Every callback Pigeon makes.
pub const ALL: [&str; 10] = [
    C2C_BEFORE_SEND,
    C2C_AFTER_SEND,
    GROUP_BEFORE_SEND,
    GROUP_AFTER_SEND,
    STATE_CHANGE,
    FRIEND_ADD,
    FRIEND_DELETE,
    GROUP_CREATED,
    GROUP_MEMBER_JOINED,
    GROUP_MEMBER_EXITED,
];

/// A C2C message refused by the before-send webhook (TencentCloudChat's 20006).
pub const C2C_REFUSED: u32 = 20006;
/// A group message refused by the before-send webhook (TencentCloudChat's 10016).
pub const GROUP_REFUSED: u32 = 10016;
/// Refusal codes the app backend may choose; they reach the sender with its `ErrorInfo`.
const APP_CODES: std::ops::RangeInclusive<u32> = 120_001..=130_000;

/// Most bytes read from a webhook reply.
const MAX_REPLY: usize = 1 << 20;

/// The `[webhooks]` table of the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// The callback URL (`http://` only); empty turns webhooks off.
    pub url: String,
    /// How long one callback may take, in milliseconds.
    pub timeout_ms: u64,
    /// Whether a before-send callback that fails or times out lets the message through.
    pub fail_open: bool,
    /// The enabled `CallbackCommand`s (all of them by default).
    pub callbacks: Vec<String>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            timeout_ms: 2000,
            fail_open: true,
            callbacks: ALL.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl WebhookConfig {
    /// Refuses settings that cannot work (a non-`http://` URL, unknown callbacks).
    pub fn check(&self) -> Result<(), String> {
        if !self.url.is_empty() {
            let uri: hyper::Uri = self
                .url
                .parse()
                .map_err(|e| format!("webhooks.url is not a URL: {e}"))?;
            if uri.scheme_str() != Some("http") || uri.host().is_none() {
                return Err("webhooks.url must be an http:// URL".into());
            }
        }
        if let Some(bad) = self.callbacks.iter().find(|c| !ALL.contains(&c.as_str())) {
            return Err(format!(
                "webhooks.callbacks: unknown callback {bad:?} (known: {})",
                ALL.join(", ")
            ));
        }
        if self.timeout_ms == 0 {
            return Err("webhooks.timeout_ms must be above 0".into());
        }
        Ok(())
    }

    fn enabled(&self, command: &str) -> bool {
        !self.url.is_empty() && self.callbacks.iter().any(|c| c == command)
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Where a session connects from: the callbacks' `ClientIP` and `OptPlatform`.
#[derive(Debug, Clone)]
struct Peer {
    ip: String,
    platform: &'static str,
}

/// Changes not made through a client session (REST, server-made) carry this platform.
const NO_SESSION: Peer = Peer {
    ip: String::new(),
    platform: "RESTAPI",
};

fn peers() -> &'static Mutex<HashMap<SessionId, Peer>> {
    static P: OnceLock<Mutex<HashMap<SessionId, Peer>>> = OnceLock::new();
    P.get_or_init(Mutex::default)
}

fn peer_of(session: SessionId) -> Peer {
    peers()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&session)
        .cloned()
        .unwrap_or(NO_SESSION)
}

/// TencentCloudChat's `OptPlatform` for a login platform.
fn opt_platform(platform: &str) -> &'static str {
    match platform.to_ascii_lowercase().as_str() {
        "web" => "Web",
        "android" => "Android",
        "ios" => "iOS",
        "ipad" => "iPad",
        "windows" => "Windows",
        "mac" | "macos" => "Mac",
        _ => "Unknown",
    }
}

/// How a session ended, for `State.StateChange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client logged out.
    Logout,
    /// Kicked (another login, REST kick, UserSig expiry).
    Kicked,
    /// The connection closed or the server ended it.
    Closed,
    /// No heartbeat in time.
    TimedOut,
}

/// Records where a new session connects from and sends `State.StateChange` Login.
pub fn session_started(st: &AppState, c: &Caller, ip: Option<std::net::IpAddr>, platform: &str) {
    let peer = Peer {
        ip: ip.map(|i| i.to_string()).unwrap_or_default(),
        platform: opt_platform(platform),
    };
    peers()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(c.session, peer);
    state_change(st, c, "Login", "Register");
}

/// Sends `State.StateChange` for a session that ended and forgets it.
pub fn session_ended(st: &AppState, c: &Caller, how: SessionEnd) {
    let (action, reason) = match how {
        SessionEnd::Logout => ("Logout", "Unregister"),
        SessionEnd::Kicked => ("Logout", "Kicked"),
        SessionEnd::Closed => ("Disconnect", "LinkClose"),
        SessionEnd::TimedOut => ("Disconnect", "TimeOut"),
    };
    state_change(st, c, action, reason);
    peers()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&c.session);
}

fn state_change(st: &AppState, c: &Caller, action: &str, reason: &str) {
    fire(
        st,
        STATE_CHANGE,
        peer_of(c.session),
        json!({
            "Info": { "Action": action, "To_Account": c.user_id, "Reason": reason },
            "KickedDevice": [],
        }),
    );
}

/// `Sns.CallbackFriendAdd`: `(owner, friend)` pairs now in `owner`'s list, added at
/// `initiator`'s request; `client_cmd` is `friend_add` or `friend_response`.
pub fn friends_added(
    st: &AppState,
    c: &Caller,
    pairs: &[(String, String)],
    initiator: &str,
    client_cmd: &str,
) {
    if pairs.is_empty() {
        return;
    }
    let list: Vec<Value> = pairs
        .iter()
        .map(|(owner, friend)| {
            json!({ "From_Account": owner, "To_Account": friend, "Initiator_Account": initiator })
        })
        .collect();
    fire(
        st,
        FRIEND_ADD,
        peer_of(c.session),
        json!({ "ClientCmd": client_cmd, "PairList": list, "ForceFlag": 0 }),
    );
}

/// `Sns.CallbackFriendDelete`: `(owner, friend)` pairs taken out of `owner`'s list.
pub fn friends_deleted(st: &AppState, c: &Caller, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        return;
    }
    let list: Vec<Value> = pairs
        .iter()
        .map(|(owner, friend)| json!({ "From_Account": owner, "To_Account": friend }))
        .collect();
    fire(
        st,
        FRIEND_DELETE,
        peer_of(c.session),
        json!({ "ClientCmd": "friend_delete", "PairList": list }),
    );
}

/// `Group.CallbackAfterCreateGroup`.
pub fn group_created(st: &AppState, c: &Caller, g: &Group, members: &[String]) {
    let list: Vec<Value> = members
        .iter()
        .map(|m| json!({ "Member_Account": m }))
        .collect();
    fire(
        st,
        GROUP_CREATED,
        peer_of(c.session),
        json!({
            "GroupId": g.group_id,
            "Type": g.kind,
            "Name": g.name,
            "Operator_Account": c.user_id,
            "Owner_Account": g.owner_id,
            "MemberList": list,
            "UserDefinedDataList": g.group_custom_field,
        }),
    );
}

/// `Group.CallbackAfterNewMemberJoin`; `join_type` is `Apply` or `Invited`.
pub fn members_joined(st: &AppState, c: &Caller, g: &Group, join_type: &str, users: &[String]) {
    if users.is_empty() {
        return;
    }
    let list: Vec<Value> = users
        .iter()
        .map(|m| json!({ "Member_Account": m }))
        .collect();
    fire(
        st,
        GROUP_MEMBER_JOINED,
        peer_of(c.session),
        json!({
            "GroupId": g.group_id,
            "Type": g.kind,
            "JoinType": join_type,
            "Operator_Account": c.user_id,
            "NewMemberList": list,
        }),
    );
}

/// `Group.CallbackAfterMemberExit`; `exit_type` is `Quit` or `Kicked`.
pub fn members_exited(st: &AppState, c: &Caller, g: &Group, exit_type: &str, users: &[String]) {
    if users.is_empty() {
        return;
    }
    let list: Vec<Value> = users
        .iter()
        .map(|m| json!({ "Member_Account": m }))
        .collect();
    fire(
        st,
        GROUP_MEMBER_EXITED,
        peer_of(c.session),
        json!({
            "GroupId": g.group_id,
            "Type": g.kind,
            "ExitType": exit_type,
            "Operator_Account": c.user_id,
            "ExitMemberList": list,
        }),
    );
}

/// The after-send callback for a message that was just stored (or, online-only, pushed).
pub fn after_send(st: &AppState, c: &Caller, m: &Message, online_only: bool) {
    let (command, body) = if m.conversation_type == types::CONV_GROUP {
        let (group_id, topic_id, kind) = group_of(st, &m.to);
        let mut body = json!({
            "GroupId": group_id,
            "Type": kind,
            "From_Account": m.from,
            "Operator_Account": c.user_id,
            "Random": m.random,
            "MsgSeq": m.sequence,
            "MsgTime": m.time,
            "MsgId": m.id,
            "OnlineOnlyFlag": u8::from(online_only),
            "MsgBody": msg_body(m),
            "CloudCustomData": m.cloud_custom_data,
        });
        if let Some(t) = topic_id {
            body["TopicId"] = json!(t);
        }
        (GROUP_AFTER_SEND, body)
    } else {
        (
            C2C_AFTER_SEND,
            json!({
                "From_Account": m.from,
                "To_Account": m.to,
                "MsgSeq": m.sequence,
                "MsgRandom": m.random,
                "MsgTime": m.time,
                "MsgKey": m.id,
                "MsgId": m.id,
                "OnlineOnlyFlag": u8::from(online_only),
                "MsgBody": msg_body(m),
                "CloudCustomData": m.cloud_custom_data,
                "SendMsgResult": 0,
                "ErrorInfo": "send msg succeed",
            }),
        )
    };
    fire(st, command, peer_of(c.session), body);
}

/// `(GroupId, TopicId, Type)` of a group message's target (a topic reports its community).
fn group_of(st: &AppState, to: &str) -> (String, Option<String>, String) {
    let community = crate::topics::community_of(st, to).ok().flatten();
    let group_id = community.clone().unwrap_or_else(|| to.to_owned());
    let kind = crate::groups::live(st, &group_id)
        .map(|g| g.kind)
        .unwrap_or_default();
    let topic = community.map(|_| to.to_owned());
    (group_id, topic, kind)
}

/// What the before-send callback decided.
enum Verdict {
    /// Send, with the callback's replacement body and cloud data when it gave them.
    Allow {
        body: Option<(String, Value)>,
        cloud_custom_data: Option<String>,
    },
    /// Refuse with this error.
    Refuse(ImError),
    /// Tell the sender it was sent; store and deliver nothing.
    Drop,
}

/// `sendMessage` as the gateway serves it: the before-send callback (awaited, bounded), then
/// [`crate::messages::send`], then MESSAGE_MODIFIED to the sender when the callback
/// changed the message.
pub async fn send_message(st: &AppState, c: &Caller, data: Value) -> Result<Value, ImError> {
    let received = Instant::now();
    metrics::get().messages_in.inc();
    let mut req = SendMessage::parse(data)?;
    crate::messages::validate(&req.message)?;
    let mut modified = false;
    match before_send(st, c, &req).await {
        Verdict::Refuse(e) => return Err(e),
        Verdict::Drop => {
            let mut m = req.message;
            m.from = c.user_id.clone();
            m.status = status::SUCCESS.to_owned();
            m.time = now();
            let reply = SendMessageReply {
                message: m.view_as(&c.user_id),
                conversation: None,
                inbox_seq: None,
            };
            return crate::to_json(reply);
        }
        Verdict::Allow {
            body,
            cloud_custom_data,
        } => {
            let m = &mut req.message;
            if let Some((kind, payload)) = body {
                modified |= kind != m.kind || payload != m.payload;
                m.kind = kind;
                m.payload = payload;
            }
            if let Some(ccd) = cloud_custom_data {
                modified |= ccd != m.cloud_custom_data;
                m.cloud_custom_data = ccd;
            }
        }
    }
    // The client's own `isModified` never counts: only the webhook's verdict sets it.
    req.message.is_modified = modified;
    let reply = crate::messages::send_async(st, c, req).await?;
    metrics::get()
        .delivery_seconds
        .observe(metrics::since(received));
    if modified {
        st.emit_to(
            &c.user_id,
            event::MESSAGE_MODIFIED,
            json!([reply.message]),
            None,
        );
    }
    crate::to_json(reply)
}

async fn before_send(st: &AppState, c: &Caller, req: &SendMessage) -> Verdict {
    let m = &req.message;
    let cfg = &st.config.webhooks;
    let is_group = m.conversation_type == types::CONV_GROUP;
    let command = if is_group {
        GROUP_BEFORE_SEND
    } else {
        C2C_BEFORE_SEND
    };
    if !cfg.enabled(command) {
        return Verdict::Allow {
            body: None,
            cloud_custom_data: None,
        };
    }
    let refused_code = if is_group { GROUP_REFUSED } else { C2C_REFUSED };
    let time = now();
    let mut body = if is_group {
        let (group_id, topic_id, kind) = group_of(st, &m.to);
        let mut b = json!({
            "GroupId": group_id,
            "Type": kind,
            "From_Account": c.user_id,
            "Operator_Account": c.user_id,
            "Random": m.random,
            "MsgTime": time,
            "MsgId": m.id,
            "OnlineOnlyFlag": u8::from(req.online_user_only),
            "MsgBody": msg_body(m),
            "CloudCustomData": m.cloud_custom_data,
        });
        if let Some(t) = topic_id {
            b["TopicId"] = json!(t);
        }
        b
    } else {
        json!({
            "From_Account": c.user_id,
            "To_Account": m.to,
            "MsgRandom": m.random,
            "MsgTime": time,
            "MsgKey": m.id,
            "MsgId": m.id,
            "OnlineOnlyFlag": u8::from(req.online_user_only),
            "MsgBody": msg_body(m),
            "CloudCustomData": m.cloud_custom_data,
        })
    };
    body["CallbackCommand"] = json!(command);
    body["EventTime"] = json!(now_ms());
    let answer = call(
        cfg,
        st.creds.sdk_app_id,
        command,
        &peer_of(c.session),
        &body,
    )
    .await;
    let reply = match answer {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(command, error = %e, fail_open = cfg.fail_open, "before-send webhook failed");
            if cfg.fail_open {
                return Verdict::Allow {
                    body: None,
                    cloud_custom_data: None,
                };
            }
            return Verdict::Refuse(ImError::new(
                refused_code,
                format!("the message was not checked by the app's webhook: {e}"),
            ));
        }
    };
    let code = reply.get("ErrorCode").and_then(Value::as_u64).unwrap_or(0);
    let info = reply
        .get("ErrorInfo")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    match u32::try_from(code).unwrap_or(u32::MAX) {
        0 => {
            let body = match reply.get("MsgBody") {
                None | Some(Value::Null) => None,
                Some(v) => match from_msg_body(v, &m.kind) {
                    Some(b) => Some(b),
                    None => {
                        tracing::warn!(command, "webhook replied with an unusable MsgBody");
                        if !cfg.fail_open {
                            return Verdict::Refuse(ImError::new(
                                refused_code,
                                "the app's webhook replied with an unusable MsgBody",
                            ));
                        }
                        None
                    }
                },
            };
            let cloud_custom_data = reply
                .get("CloudCustomData")
                .and_then(Value::as_str)
                .map(str::to_owned);
            Verdict::Allow {
                body,
                cloud_custom_data,
            }
        }
        2 => Verdict::Drop,
        n if APP_CODES.contains(&n) => Verdict::Refuse(ImError::new(
            n,
            info.unwrap_or("refused by the app's webhook"),
        )),
        _ => Verdict::Refuse(ImError::new(
            refused_code,
            info.unwrap_or("refused by the app's webhook"),
        )),
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Sends a fire-and-forget callback when it is enabled (spawned; never waited for).
fn fire(st: &AppState, command: &'static str, peer: Peer, mut body: Value) {
    let cfg = &st.config.webhooks;
    if !cfg.enabled(command) {
        return;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    body["CallbackCommand"] = json!(command);
    body["EventTime"] = json!(now_ms());
    let cfg = cfg.clone();
    let app_id = st.creds.sdk_app_id;
    rt.spawn(async move {
        if let Err(e) = call(&cfg, app_id, command, &peer, &body).await {
            tracing::warn!(command, error = %e, "webhook failed");
        }
    });
}

/// One callback: POST, bounded by the timeout; the reply's JSON.
async fn call(
    cfg: &WebhookConfig,
    app_id: u64,
    command: &str,
    peer: &Peer,
    body: &Value,
) -> Result<Value, String> {
    let sep = if cfg.url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{sep}SdkAppid={app_id}&CallbackCommand={command}&contenttype=json&ClientIP={}&OptPlatform={}",
        cfg.url, peer.ip, peer.platform
    );
    let started = Instant::now();
    let out = match tokio::time::timeout(cfg.timeout(), post_json(&url, body.to_string())).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} ms", cfg.timeout_ms)),
    };
    let m = metrics::get();
    m.webhook_seconds.observe(metrics::since(started));
    if out.is_err() {
        m.webhook_errors.inc();
    }
    out
}

/// One HTTP/1.1 POST of a JSON body to an `http://` URL; the 2xx reply as JSON.
async fn post_json(url: &str, body: String) -> Result<Value, String> {
    use http_body_util::{BodyExt, Full, Limited};
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let host = uri.host().ok_or("the URL has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or(&host);
    let req = hyper::Request::builder()
        .method("POST")
        .uri(path)
        .header("host", authority)
        .header("content-type", "application/json")
        .body(Full::new(hyper::body::Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let bytes = Limited::new(resp.into_body(), MAX_REPLY)
        .collect()
        .await
        .map_err(|e| format!("reading the reply: {e}"))?
        .to_bytes();
    if !status.is_success() {
        return Err(format!("HTTP status {status}"));
    }
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("the reply is not JSON: {e}"))?;
    if !v.is_object() {
        return Err("the reply is not a JSON object".into());
    }
    Ok(v)
}

/// A message's content as TencentCloudChat's `MsgBody` (one element). Kinds without a
/// mapping here carry Pigeon's payload object as `MsgContent`.
pub fn msg_body(m: &Message) -> Value {
    let p = &m.payload;
    let s = |k: &str| p.get(k).cloned().unwrap_or(json!(""));
    let content = match m.kind.as_str() {
        types::MSG_TEXT => json!({ "Text": s("text") }),
        types::MSG_CUSTOM => {
            json!({ "Data": s("data"), "Desc": s("description"), "Ext": s("extension") })
        }
        types::MSG_FACE => {
            json!({ "Index": p.get("index").cloned().unwrap_or(json!(0)), "Data": s("data") })
        }
        types::MSG_LOCATION => json!({
            "Desc": s("description"),
            "Latitude": p.get("latitude").cloned().unwrap_or(json!(0)),
            "Longitude": p.get("longitude").cloned().unwrap_or(json!(0)),
        }),
        _ => p.clone(),
    };
    json!([{ "MsgType": m.kind, "MsgContent": content }])
}

/// The `(type, payload)` a callback's `MsgBody` asks for: its first element, mapped back from
/// TencentCloudChat's field names; another kind's content passes as it is only when it keeps
/// the message's kind. None when unusable.
fn from_msg_body(v: &Value, current_kind: &str) -> Option<(String, Value)> {
    let el = v.as_array()?.first()?;
    let kind = el.get("MsgType")?.as_str()?;
    let c = el.get("MsgContent")?;
    if !c.is_object() {
        return None;
    }
    let s = |k: &str| c.get(k).cloned().unwrap_or(json!(""));
    let payload = match kind {
        types::MSG_TEXT => json!({ "text": c.get("Text")?.as_str()? }),
        types::MSG_CUSTOM => {
            json!({ "data": s("Data"), "description": s("Desc"), "extension": s("Ext") })
        }
        types::MSG_FACE => json!({ "index": c.get("Index")?.clone(), "data": s("Data") }),
        types::MSG_LOCATION => json!({
            "description": s("Desc"),
            "latitude": c.get("Latitude")?.clone(),
            "longitude": c.get("Longitude")?.clone(),
        }),
        other if other == current_kind => c.clone(),
        _ => return None,
    };
    Some((kind.to_owned(), payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_body_round_trips() {
        let mut m = Message {
            kind: types::MSG_TEXT.into(),
            payload: json!({"text": "hi"}),
            ..Default::default()
        };
        let b = msg_body(&m);
        assert_eq!(
            b,
            json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}])
        );
        assert_eq!(
            from_msg_body(&b, &m.kind),
            Some((m.kind.clone(), m.payload.clone()))
        );
        m.kind = types::MSG_CUSTOM.into();
        m.payload = json!({"data": "d", "description": "x", "extension": "e"});
        assert_eq!(
            from_msg_body(&msg_body(&m), &m.kind),
            Some((m.kind.clone(), m.payload.clone()))
        );
        assert_eq!(from_msg_body(&json!([]), "TIMTextElem"), None);
        assert_eq!(
            from_msg_body(
                &json!([{"MsgType": "TIMImageElem", "MsgContent": {}}]),
                "TIMTextElem"
            ),
            None
        );
    }

    #[test]
    fn config_check() {
        assert!(WebhookConfig::default().check().is_ok());
        let bad = WebhookConfig {
            url: "https://example.com/cb".into(),
            ..Default::default()
        };
        assert!(bad.check().is_err());
        let bad = WebhookConfig {
            callbacks: vec!["C2C.Nope".into()],
            ..Default::default()
        };
        assert!(bad.check().is_err());
    }
}
