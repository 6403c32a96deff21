//! The server REST API for backends, shaped like TencentCloudChat's server API so backend code
//! written for it works by changing only host and scheme:
//! `POST /v4/{service}/{command}?sdkappid=..&identifier=<admin>&usersig=..&random=..&contenttype=json`
//! with a JSON body, answered (always HTTP 200) with
//! `{"ActionStatus": "OK"|"FAIL", "ErrorCode": 0|N, "ErrorInfo": "...", ...command fields}`.
//!
//! Every change goes through the same service functions as the SDK path, acting as the user
//! the body names (`From_Account`, `Owner_Account`, ...) or as the app administrator, so online
//! clients see the same events. One file per service: [`login`], [`openim`], [`profile`],
//! [`sns`], [`group`], [`config`].

pub mod config;
pub mod group;
pub mod login;
pub mod openim;
pub mod profile;
pub mod sns;

use crate::db::{params, Exec, OptionalExtension};
use crate::hub::SessionId;
use crate::{now, usersig, AppState, Caller};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use pigeon_proto::consts::types;
use pigeon_proto::model::Message;
use pigeon_proto::ImError;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Error codes of the REST layer itself (TencentCloudChat's numbers).
pub mod code {
    /// The query string is missing `identifier` or `usersig`, or they are empty.
    pub const MISSING_AUTH: u32 = 60004;
    /// `contenttype` is given and is not `json`.
    pub const BAD_CONTENT_TYPE: u32 = 60002;
    /// The body is not a JSON object.
    pub const BAD_JSON: u32 = 60003;
    /// No such service or command.
    pub const UNKNOWN_COMMAND: u32 = 60009;
    /// `identifier` is not the configured app administrator.
    pub const NOT_ADMIN: u32 = 60010;
    /// The query string has no `sdkappid`.
    pub const MISSING_SDKAPPID: u32 = 60012;
    /// `sdkappid` is not this server's SDKAppID.
    pub const SDKAPPID_MISMATCH: u32 = 70014;
    /// im_open_login_svc: a parameter is missing or invalid.
    pub const LOGIN_PARAM: u32 = 70402;
    /// openim / open_msg_svc: a parameter is missing or invalid.
    pub const OPENIM_PARAM: u32 = 90001;
    /// profile: a parameter is missing or invalid.
    pub const PROFILE_PARAM: u32 = 40001;
    /// profile: an unknown `Tag` in `ProfileItem` / `TagList`.
    pub const PROFILE_BAD_TAG: u32 = 40008;
    /// sns: a parameter is missing or invalid.
    pub const SNS_PARAM: u32 = 30001;
    /// group_open_http_svc / openconfigsvr: a parameter is missing or invalid.
    pub const GROUP_PARAM: u32 = 10004;
    /// A C2C send by a user muted with setnospeaking.
    pub const C2C_NOSPEAKING: u32 = 20012;
    /// A group send by a user muted with setnospeaking.
    pub const GROUP_NOSPEAKING: u32 = 10017;
}

/// Session ID the REST API acts with: the hub never hands it out, so `except: Some(0)` skips
/// nobody and every session of the acting user hears of the change.
pub const REST_SESSION: SessionId = 0;

/// The routes: `POST /v4/{service}/{command}`.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v4/{service}/{command}", post(handle))
}

/// Whether `user` is the configured app administrator (who may do anything a group owner may).
pub fn is_admin(st: &AppState, user: &str) -> bool {
    !st.config.rest_admin.is_empty() && user == st.config.rest_admin
}

/// A caller acting as `user` for the shared service functions.
pub(crate) fn as_user(user: &str) -> Caller {
    Caller {
        user_id: user.to_owned(),
        session: REST_SESSION,
    }
}

async fn handle(
    State(st): State<Arc<AppState>>,
    Path((service, command)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let out = authorize(&st, query.as_deref().unwrap_or(""))
        .and_then(|()| parse_body(&body))
        .and_then(|body| route(&st, &service, &command, body));
    let reply = envelope(out);
    if let Some(code) = reply["ErrorCode"].as_u64().filter(|c| *c != 0) {
        tracing::debug!(%service, %command, code, "REST call failed");
    }
    axum::Json(reply).into_response()
}

/// The reply object: the envelope plus the command's fields.
fn envelope(out: Result<Value, ImError>) -> Value {
    match out {
        Ok(v) => {
            let mut m = Map::new();
            m.insert("ActionStatus".into(), "OK".into());
            m.insert("ErrorCode".into(), 0.into());
            m.insert("ErrorInfo".into(), "".into());
            if let Value::Object(fields) = v {
                m.extend(fields);
            }
            Value::Object(m)
        }
        Err(e) => {
            let mut m = Map::new();
            m.insert("ActionStatus".into(), "FAIL".into());
            m.insert("ErrorCode".into(), e.code.into());
            m.insert("ErrorInfo".into(), e.message.into());
            // Partial results ride along (e.g. the ErrorList of a failed batch).
            if let Some(Value::Object(fields)) = e.data {
                for (k, v) in fields {
                    m.entry(k).or_insert(v);
                }
            }
            Value::Object(m)
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string's parameters (the last of a repeated name wins).
fn query_params(q: &str) -> std::collections::HashMap<String, String> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k).to_ascii_lowercase(), percent_decode(v))
        })
        .collect()
}

/// The URL's auth: this app's SDKAppID, the admin identifier and a valid UserSig of it.
fn authorize(st: &AppState, query: &str) -> Result<(), ImError> {
    let q = query_params(query);
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let app = get("sdkappid");
    if app.is_empty() {
        return Err(ImError::new(
            code::MISSING_SDKAPPID,
            "the URL must carry sdkappid",
        ));
    }
    if app.parse::<u64>().ok() != Some(st.creds.sdk_app_id) {
        return Err(ImError::new(
            code::SDKAPPID_MISMATCH,
            format!("sdkappid {app} is not this server's SDKAppID"),
        ));
    }
    let (identifier, sig) = (get("identifier"), get("usersig"));
    if identifier.is_empty() || sig.is_empty() {
        return Err(ImError::new(
            code::MISSING_AUTH,
            "the URL must carry identifier and usersig",
        ));
    }
    if !is_admin(st, identifier) {
        return Err(ImError::new(
            code::NOT_ADMIN,
            format!("identifier {identifier} is not the app administrator"),
        ));
    }
    let ct = get("contenttype");
    if !ct.is_empty() && !ct.eq_ignore_ascii_case("json") {
        return Err(ImError::new(
            code::BAD_CONTENT_TYPE,
            format!("contenttype {ct:?} is not json"),
        ));
    }
    usersig::verify(
        sig,
        st.creds.sdk_app_id,
        &st.creds.secret_key,
        identifier,
        now(),
    )
    .map_err(|e| ImError::new(e.code(), format!("UserSig refused: {e}")))?;
    Ok(())
}

/// The body as a JSON object (an empty body is `{}`).
fn parse_body(body: &[u8]) -> Result<Value, ImError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(ImError::new(
            code::BAD_JSON,
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ImError::new(
            code::BAD_JSON,
            format!("the request body is not JSON: {e}"),
        )),
    }
}

fn route(st: &AppState, service: &str, command: &str, body: Value) -> Result<Value, ImError> {
    let out = match service {
        "im_open_login_svc" => login::dispatch(st, command, body),
        "openim" | "open_msg_svc" => openim::dispatch(st, service, command, body),
        "profile" => profile::dispatch(st, command, body),
        "sns" => sns::dispatch(st, command, body),
        "group_open_http_svc" => group::dispatch(st, command, body),
        "openconfigsvr" => config::dispatch(st, command, body),
        _ => None,
    };
    out.unwrap_or_else(|| {
        Err(ImError::new(
            code::UNKNOWN_COMMAND,
            format!("unknown REST command {service}/{command}"),
        ))
    })
}

/// Reads a command's body into its typed request; a mismatch is `param_code`, nothing changed.
pub(crate) fn parse<T: DeserializeOwned>(body: Value, param_code: u32) -> Result<T, ImError> {
    serde_json::from_value(body).map_err(|e| ImError::new(param_code, format!("bad body: {e}")))
}

/// A missing required field (`param_code`).
pub(crate) fn required(param_code: u32, what: &str) -> ImError {
    ImError::new(param_code, format!("{what} is required"))
}

/// Checks a userID of the body, with the service's parameter code.
pub(crate) fn check_user(param_code: u32, what: &str, id: &str) -> Result<(), ImError> {
    crate::validate_user_id(what, id).map_err(|e| ImError::new(param_code, e.message))
}

/// `{To_Account, ResultCode, ResultInfo}`-style item for a per-user outcome.
pub(crate) fn result_item(key: &str, user: &str, r: Result<(), ImError>) -> Value {
    let (code, info) = match r {
        Ok(()) => (0, String::new()),
        Err(e) => (e.code, e.message),
    };
    json!({ key: user, "ResultCode": code, "ResultInfo": info })
}

/// One `MsgBody` element `{MsgType, MsgContent}`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct MsgElem {
    /// `TIMTextElem`, `TIMCustomElem`, `TIMFaceElem`, `TIMLocationElem`.
    #[serde(rename = "MsgType")]
    pub msg_type: String,
    /// The element's content, TencentCloudChat field names.
    #[serde(rename = "MsgContent", default)]
    pub msg_content: Value,
}

/// Turns a REST `MsgBody` into a Pigeon message kind and payload. Pigeon messages hold one
/// element, so a body holds exactly one.
pub(crate) fn body_to_payload(
    body: &[MsgElem],
    param_code: u32,
) -> Result<(String, Value), ImError> {
    let [elem] = body else {
        return Err(ImError::new(
            param_code,
            format!("MsgBody must hold exactly one element, not {}", body.len()),
        ));
    };
    let c = &elem.msg_content;
    let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let bad = |what: &str| {
        ImError::new(
            param_code,
            format!("{} MsgContent needs {what}", elem.msg_type),
        )
    };
    let payload = match elem.msg_type.as_str() {
        types::MSG_TEXT => {
            let text = c.get("Text").and_then(Value::as_str).ok_or_else(|| bad("Text"))?;
            json!({ "text": text })
        }
        types::MSG_CUSTOM => json!({
            "data": s("Data"),
            "description": s("Desc"),
            "extension": s("Ext"),
        }),
        types::MSG_FACE => {
            let index = c.get("Index").and_then(Value::as_i64).ok_or_else(|| bad("Index"))?;
            json!({ "index": index, "data": s("Data") })
        }
        types::MSG_LOCATION => {
            let lat = c.get("Latitude").and_then(Value::as_f64);
            let lon = c.get("Longitude").and_then(Value::as_f64);
            let (Some(lat), Some(lon)) = (lat, lon) else {
                return Err(bad("Latitude and Longitude"));
            };
            json!({ "description": s("Desc"), "latitude": lat, "longitude": lon })
        }
        other => {
            return Err(ImError::new(
                param_code,
                format!("MsgType {other:?} cannot be sent over the REST API (text, custom, face and location can)"),
            ))
        }
    };
    Ok((elem.msg_type.clone(), payload))
}

/// A Pigeon message as a REST `MsgBody`.
pub(crate) fn payload_to_body(m: &Message) -> Value {
    let p = &m.payload;
    let s = |k: &str| p.get(k).cloned().unwrap_or(Value::String(String::new()));
    let content = match m.kind.as_str() {
        types::MSG_TEXT => json!({ "Text": s("text") }),
        types::MSG_CUSTOM => {
            json!({ "Data": s("data"), "Desc": s("description"), "Ext": s("extension") })
        }
        types::MSG_FACE => json!({ "Index": s("index"), "Data": s("data") }),
        types::MSG_LOCATION => {
            json!({ "Desc": s("description"), "Latitude": s("latitude"), "Longitude": s("longitude") })
        }
        // Other kinds keep Pigeon's own payload (documented in docs/rest-api.md).
        _ => p.clone(),
    };
    json!([{ "MsgType": m.kind, "MsgContent": content }])
}

/// A new message ID for a REST-made message.
pub(crate) fn new_message_id(random: u32) -> String {
    format!("rest-{random}-{:016x}", rand::random::<u64>())
}

/// A ready-to-send message from `from` (the server fills time, sequence, display fields).
pub(crate) fn new_message(
    from: &str,
    to: &str,
    conv_type: &str,
    kind: String,
    payload: Value,
    random: u32,
    cloud_custom_data: String,
) -> Message {
    Message {
        id: new_message_id(random),
        kind,
        payload,
        conversation_type: conv_type.to_owned(),
        to: to.to_owned(),
        from: from.to_owned(),
        random,
        client_time: now(),
        cloud_custom_data,
        ..Default::default()
    }
}

/// Refuses a send by a user muted with `setnospeaking` (C2C: 20012, group: 10017). Called by
/// the core send path for SDK and REST sends alike.
pub fn check_nospeaking(st: &AppState, user: &str, conv_type: &str) -> Result<(), ImError> {
    let Some((c2c, group)) = st.db(|s| s.nospeaking(user))? else {
        return Ok(());
    };
    let t = now();
    if conv_type == types::CONV_C2C && c2c > t {
        return Err(ImError::new(
            code::C2C_NOSPEAKING,
            format!("{user} is muted for one-to-one messages"),
        ));
    }
    if conv_type == types::CONV_GROUP && group > t {
        return Err(ImError::new(
            code::GROUP_NOSPEAKING,
            format!("{user} is muted for group messages"),
        ));
    }
    Ok(())
}

/// The REST API's storage; every [`crate::store::Store`] backend implements it.
pub trait RestStore {
    /// Marks users as imported; returns for each whether it was new.
    fn import_accounts(&self, ids: &[String], time: u64) -> crate::store::Result<()>;
    /// Whether a user was imported or has logged in.
    fn account_exists(&self, id: &str) -> crate::store::Result<bool>;
    /// Forgets an account (import and login record); false when it was unknown.
    fn delete_account(&self, id: &str) -> crate::store::Result<bool>;
    /// (c2c_until, group_until) of a global mute, None when never set.
    fn nospeaking(&self, id: &str) -> crate::store::Result<Option<(u64, u64)>>;
    /// Sets a user's global mutes (unix seconds; None leaves one as it is).
    fn set_nospeaking(
        &self,
        id: &str,
        c2c_until: Option<u64>,
        group_until: Option<u64>,
    ) -> crate::store::Result<()>;
    /// Counts for getappinfo: (accounts, messages, C2C messages, group messages, groups).
    fn app_counts(&self) -> crate::store::Result<AppCounts>;
    /// IDs of every live group, oldest first.
    fn all_groups(&self) -> crate::store::Result<Vec<String>>;
    /// Sets a user's unread count of a conversation; false when they have no such conversation.
    fn set_unread(&self, user: &str, conv_id: &str, unread: u64) -> crate::store::Result<bool>;
    /// IDs of the messages `sender` sent in conversation `conv_key`.
    fn message_ids_by_sender(
        &self,
        conv_key: &str,
        sender: &str,
    ) -> crate::store::Result<Vec<String>>;
    /// Stored messages with `from <= time < to`, C2C or group ones, oldest first.
    fn messages_between(
        &self,
        from: u64,
        to: u64,
        group: bool,
    ) -> crate::store::Result<Vec<Message>>;
}

/// What getappinfo reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppCounts {
    /// Imported or logged-in accounts.
    pub accounts: u64,
    /// Accounts that ever logged in.
    pub logged_in: u64,
    /// C2C messages stored.
    pub c2c_messages: u64,
    /// Group messages stored (tips included).
    pub group_messages: u64,
    /// Live groups.
    pub groups: u64,
}

impl RestStore for crate::store::SqliteStore {
    fn import_accounts(&self, ids: &[String], time: u64) -> crate::store::Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            for id in ids {
                tx.execute(
                    "INSERT INTO rest_accounts (user_id, imported_at) VALUES (?1, ?2)
                     ON CONFLICT (user_id) DO NOTHING",
                    params![id, time],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn account_exists(&self, id: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM rest_accounts WHERE user_id = ?1
                     UNION SELECT 1 FROM user_status WHERE user_id = ?1",
                    [id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
    }

    fn delete_account(&self, id: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let a = tx.execute("DELETE FROM rest_accounts WHERE user_id = ?1", [id])?;
            let b = tx.execute("DELETE FROM user_status WHERE user_id = ?1", [id])?;
            tx.commit()?;
            Ok(a + b > 0)
        })
    }

    fn nospeaking(&self, id: &str) -> crate::store::Result<Option<(u64, u64)>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT c2c_until, group_until FROM rest_nospeaking WHERE user_id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
    }

    fn set_nospeaking(
        &self,
        id: &str,
        c2c_until: Option<u64>,
        group_until: Option<u64>,
    ) -> crate::store::Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO rest_nospeaking (user_id, c2c_until, group_until)
                 VALUES (?1, COALESCE(CAST(?2 AS BIGINT), 0), COALESCE(CAST(?3 AS BIGINT), 0))
                 ON CONFLICT (user_id) DO UPDATE SET
                   c2c_until = COALESCE(CAST(?2 AS BIGINT), rest_nospeaking.c2c_until),
                   group_until = COALESCE(CAST(?3 AS BIGINT), rest_nospeaking.group_until)",
                params![id, c2c_until, group_until],
            )?;
            Ok(())
        })
    }

    fn app_counts(&self) -> crate::store::Result<AppCounts> {
        self.with(|conn| {
            let one = |sql: &str| -> crate::store::Result<u64> {
                Ok(conn.query_row(sql, [], |r| r.get(0))?)
            };
            let kind = |prefix: &str| -> crate::store::Result<u64> {
                Ok(conn.query_row(
                    "SELECT COUNT(*) FROM messages WHERE conv_key LIKE ?1",
                    [format!("{prefix}\u{1f}%")],
                    |r| r.get(0),
                )?)
            };
            Ok(AppCounts {
                accounts: one("SELECT COUNT(*) FROM (SELECT user_id FROM rest_accounts
                     UNION SELECT user_id FROM user_status) AS u")?,
                logged_in: one("SELECT COUNT(*) FROM user_status")?,
                c2c_messages: kind("c2c")?,
                group_messages: kind("group")?,
                groups: one("SELECT COUNT(*) FROM groups WHERE dismissed = 0")?,
            })
        })
    }

    fn all_groups(&self) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT group_id FROM groups WHERE dismissed = 0 ORDER BY create_time, group_id",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn set_unread(&self, user: &str, conv_id: &str, unread: u64) -> crate::store::Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE conversations SET unread = ?3 WHERE user_id = ?1 AND conv_id = ?2",
                params![user, conv_id, unread],
            )?;
            Ok(n > 0)
        })
    }

    fn message_ids_by_sender(
        &self,
        conv_key: &str,
        sender: &str,
    ) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM messages WHERE conv_key = ?1 AND sender = ?2 ORDER BY seq",
            )?;
            let rows = stmt.query_map([conv_key, sender], |r| r.get(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn messages_between(
        &self,
        from: u64,
        to: u64,
        group: bool,
    ) -> crate::store::Result<Vec<Message>> {
        self.with(|conn| {
            let pattern = if group { "group\u{1f}%" } else { "c2c\u{1f}%" };
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM messages WHERE time >= ?1 AND time < ?2 AND conv_key LIKE ?3
                 ORDER BY time, conv_key, seq",
            )?;
            let rows = stmt.query_map(params![from, to, pattern], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for body in rows {
                out.push(serde_json::from_str(&body?)?);
            }
            Ok(out)
        })
    }
}
