//! `openim`: sendmsg, batchsendmsg, importmsg, admin_msgwithdraw, querystate; and
//! `open_msg_svc/get_history`.

use super::code::OPENIM_PARAM as P;
use super::{as_user, body_to_payload, check_user, parse, payload_to_body, required, MsgElem};
use crate::conversations::c2c_key;
use crate::{now, AppState};
use pigeon_proto::consts::types;
use pigeon_proto::message_ops::RevokeMessage;
use pigeon_proto::model::{status, Message};
use pigeon_proto::wire::SendMessage;
use pigeon_proto::ImError;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Most recipients of one batchsendmsg / querystate.
const MAX_BATCH: usize = 500;

/// Routes one command; None for an unknown one.
pub fn dispatch(
    st: &AppState,
    service: &str,
    command: &str,
    body: Value,
) -> Option<Result<Value, ImError>> {
    Some(match (service, command) {
        ("openim", "sendmsg") => sendmsg(st, body),
        ("openim", "batchsendmsg") => batchsendmsg(st, body),
        ("openim", "importmsg") => importmsg(st, body),
        ("openim", "admin_msgwithdraw") => admin_msgwithdraw(st, body),
        ("openim", "querystate") => querystate(st, body),
        ("open_msg_svc", "get_history") => get_history(st, body),
        _ => return None,
    })
}

/// The fields sendmsg and batchsendmsg share.
#[derive(Deserialize)]
struct SendCommon {
    #[serde(rename = "SyncOtherMachine", default)]
    sync_other_machine: Option<u32>,
    #[serde(rename = "From_Account", default)]
    from: Option<String>,
    #[serde(rename = "MsgLifeTime", default)]
    msg_life_time: Option<u64>,
    #[serde(rename = "MsgRandom", default)]
    msg_random: Option<u32>,
    #[serde(rename = "MsgBody", default)]
    msg_body: Vec<MsgElem>,
    #[serde(rename = "CloudCustomData", default)]
    cloud_custom_data: String,
    #[serde(rename = "SendMsgControl", default)]
    send_msg_control: Vec<String>,
    #[serde(rename = "IsNeedReadReceipt", default)]
    is_need_read_receipt: u32,
}

#[derive(Deserialize)]
struct SendMsg {
    #[serde(flatten)]
    common: SendCommon,
    #[serde(rename = "To_Account", default)]
    to: String,
}

#[derive(Deserialize)]
struct BatchSendMsg {
    #[serde(flatten)]
    common: SendCommon,
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
}

/// A short stable tag of a userID, for per-recipient message IDs within one batch.
fn tag(user: &str) -> String {
    let h = Sha256::digest(user.as_bytes());
    h.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// A checked send: sender, element kind and payload, MsgRandom.
struct Prepared {
    from: String,
    kind: String,
    payload: Value,
    random: u32,
}

/// Checks the common fields.
fn prepare(st: &AppState, c: &SendCommon) -> Result<Prepared, ImError> {
    let from = c
        .from
        .clone()
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| st.config.rest_admin.clone());
    check_user(P, "From_Account", &from)?;
    let random = c.msg_random.ok_or_else(|| required(P, "MsgRandom"))?;
    let (kind, payload) = body_to_payload(&c.msg_body, P)?;
    if let Some(s) = c.sync_other_machine.filter(|s| *s != 1 && *s != 2) {
        return Err(ImError::new(
            P,
            format!("SyncOtherMachine is 1 or 2, not {s}"),
        ));
    }
    for ctl in &c.send_msg_control {
        if ctl != "NoUnread" && ctl != "NoLastMsg" {
            return Err(ImError::new(
                P,
                format!("SendMsgControl {ctl:?} is not NoUnread or NoLastMsg"),
            ));
        }
    }
    Ok(Prepared {
        from,
        kind,
        payload,
        random,
    })
}

/// Sends one C2C message the SDK way (same checks, same events); returns (time, key, seq).
fn send_one(
    st: &AppState,
    c: &SendCommon,
    p: &Prepared,
    to: &str,
    id: String,
) -> Result<Message, ImError> {
    let (from, kind, payload, random) = (p.from.as_str(), &p.kind, &p.payload, p.random);
    check_user(P, "To_Account", to)?;
    let mut message = super::new_message(
        from,
        to,
        types::CONV_C2C,
        kind.to_owned(),
        payload.clone(),
        random,
        c.cloud_custom_data.clone(),
    );
    message.id = id;
    message.need_read_receipt = c.is_need_read_receipt == 1;
    let req = SendMessage {
        message,
        online_user_only: c.msg_life_time == Some(0),
        excluded_from_unread_count: c.send_msg_control.iter().any(|x| x == "NoUnread"),
        excluded_from_last_message: c.send_msg_control.iter().any(|x| x == "NoLastMsg"),
    };
    let sync = c.sync_other_machine != Some(2);
    Ok(crate::messages::send_as(st, &as_user(from), req, sync)?.message)
}

fn sendmsg(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: SendMsg = parse(body, P)?;
    if req.to.is_empty() {
        return Err(required(P, "To_Account"));
    }
    let p = prepare(st, &req.common)?;
    let id = super::new_message_id(p.random);
    let m = send_one(st, &req.common, &p, &req.to, id)?;
    Ok(json!({
        "MsgTime": m.time,
        "MsgKey": m.id,
        "MsgId": m.id,
        "MsgSeq": m.sequence,
    }))
}

/// One message per recipient, all under one `MsgKey` (each stored with the ID
/// `<MsgKey>.<tag of the recipient>`, which admin_msgwithdraw resolves).
fn batchsendmsg(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: BatchSendMsg = parse(body, P)?;
    if req.to.is_empty() || req.to.len() > MAX_BATCH {
        return Err(ImError::new(
            P,
            format!("To_Account must hold 1 to {MAX_BATCH} userIDs"),
        ));
    }
    let p = prepare(st, &req.common)?;
    let key = super::new_message_id(p.random);
    let mut errors = Vec::new();
    for to in &req.to {
        let id = format!("{key}.{}", tag(to));
        if let Err(e) = send_one(st, &req.common, &p, to, id) {
            errors.push(json!({ "To_Account": to, "ErrorCode": e.code, "ErrorInfo": e.message }));
        }
    }
    Ok(json!({ "MsgKey": key, "ErrorList": errors }))
}

#[derive(Deserialize)]
struct ImportMsg {
    #[serde(rename = "SyncFromOldSystem", default)]
    sync_from_old_system: Option<u32>,
    #[serde(rename = "From_Account", default)]
    from: String,
    #[serde(rename = "To_Account", default)]
    to: String,
    #[serde(rename = "MsgRandom", default)]
    msg_random: Option<u32>,
    #[serde(rename = "MsgTimeStamp", default)]
    msg_time_stamp: Option<u64>,
    #[serde(rename = "MsgBody", default)]
    msg_body: Vec<MsgElem>,
    #[serde(rename = "CloudCustomData", default)]
    cloud_custom_data: String,
}

/// A message imported into history: stored in its conversation, pushed to nobody.
pub(crate) fn imported(st: &AppState, mut m: Message, time: u64) -> Result<Message, ImError> {
    let (from, to, conv_type) = (m.from.clone(), m.to.clone(), m.conversation_type.clone());
    // Deterministic, so importing the same message again stores nothing new.
    m.id = format!(
        "import-{time}-{}-{}",
        m.random,
        tag(&format!("{from}\u{1f}{to}"))
    );
    m.client_time = time;
    m.status = status::SUCCESS.to_owned();
    m.priority = types::MSG_PRIORITY_NORMAL.to_owned();
    crate::messages::validate(&m)?;
    crate::profiles::decorate(st, &mut m)?;
    let key = if conv_type == types::CONV_C2C {
        c2c_key(&from, &to)
    } else {
        crate::conversations::group_key(&to)
    };
    Ok(st.db(|s| s.store_message(&key, &m, time, &[]))?.message)
}

fn importmsg(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: ImportMsg = parse(body, P)?;
    if let Some(s) = req.sync_from_old_system.filter(|s| *s != 1 && *s != 2) {
        return Err(ImError::new(
            P,
            format!("SyncFromOldSystem is 1 or 2, not {s}"),
        ));
    }
    if req.from.is_empty() || req.to.is_empty() {
        return Err(required(P, "From_Account and To_Account"));
    }
    check_user(P, "From_Account", &req.from)?;
    check_user(P, "To_Account", &req.to)?;
    let random = req.msg_random.ok_or_else(|| required(P, "MsgRandom"))?;
    let time = req
        .msg_time_stamp
        .ok_or_else(|| required(P, "MsgTimeStamp"))?;
    let (kind, payload) = body_to_payload(&req.msg_body, P)?;
    let m = super::new_message(
        &req.from,
        &req.to,
        types::CONV_C2C,
        kind,
        payload,
        random,
        req.cloud_custom_data,
    );
    imported(st, m, time)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct Withdraw {
    #[serde(rename = "From_Account", default)]
    from: String,
    #[serde(rename = "To_Account", default)]
    to: String,
    #[serde(rename = "MsgKey", default)]
    msg_key: String,
}

/// Revokes a C2C message as the administrator: MESSAGE_REVOKED to both sides, as the SDK.
fn admin_msgwithdraw(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: Withdraw = parse(body, P)?;
    if req.from.is_empty() || req.to.is_empty() || req.msg_key.is_empty() {
        return Err(required(P, "From_Account, To_Account and MsgKey"));
    }
    // A batchsendmsg key names one message per recipient.
    let batch_id = format!("{}.{}", req.msg_key, tag(&req.to));
    let mut found = None;
    for id in [req.msg_key.clone(), batch_id] {
        if let Some((_, m)) = st.db(|s| s.message(&id))? {
            if m.conversation_type == types::CONV_C2C && m.from == req.from && m.to == req.to {
                found = Some(m);
                break;
            }
        }
    }
    let m = found.ok_or_else(|| {
        ImError::new(
            pigeon_proto::message_ops::code::MSG_NOT_FOUND,
            format!("no message {} from {} to {}", req.msg_key, req.from, req.to),
        )
    })?;
    let admin = as_user(&st.config.rest_admin);
    crate::message_ops::revoke(st, &admin, RevokeMessage { message_id: m.id })?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct QueryState {
    #[serde(rename = "IsNeedDetail", default)]
    is_need_detail: u32,
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
}

/// Online when the user has a session on this server, else Offline (Pigeon has no offline
/// push, so PushOnline never occurs).
fn querystate(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: QueryState = parse(body, P)?;
    if req.to.is_empty() || req.to.len() > MAX_BATCH {
        return Err(ImError::new(
            P,
            format!("To_Account must hold 1 to {MAX_BATCH} userIDs"),
        ));
    }
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for id in req.to {
        if let Err(e) = check_user(P, "To_Account", &id) {
            errors.push(json!({ "To_Account": id, "ErrorCode": e.code }));
            continue;
        }
        let platforms = st.bus.platforms_of(&id);
        let status = if platforms.is_empty() {
            "Offline"
        } else {
            "Online"
        };
        let mut item = json!({ "To_Account": id, "Status": status });
        if req.is_need_detail == 1 {
            item["Detail"] = platforms
                .into_iter()
                .map(|p| json!({ "Platform": p, "Status": "Online" }))
                .collect();
        }
        results.push(item);
    }
    Ok(json!({ "QueryResult": results, "ErrorList": errors }))
}

#[derive(Deserialize)]
struct GetHistory {
    #[serde(rename = "ChatType", default)]
    chat_type: String,
    #[serde(rename = "MsgTime", default)]
    msg_time: String,
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The hour's messages (UTC, `MsgTime` = `YYYYMMDDHH`), C2C or group. TencentCloudChat answers
/// with download URLs of gzip files; Pigeon puts the messages in the reply itself, in the
/// files' format, as `File: [{MsgList: [...]}]`-free `MsgList` (see docs/rest-api.md).
fn get_history(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: GetHistory = parse(body, P)?;
    let group = match req.chat_type.as_str() {
        "C2C" => false,
        "Group" => true,
        other => {
            return Err(ImError::new(
                P,
                format!("ChatType is C2C or Group, not {other:?}"),
            ))
        }
    };
    let t = &req.msg_time;
    let num = |a: usize, b: usize| t.get(a..b).and_then(|s| s.parse::<i64>().ok());
    let parsed = if t.len() == 10 && t.bytes().all(|b| b.is_ascii_digit()) {
        num(0, 4).zip(num(4, 6)).zip(num(6, 8)).zip(num(8, 10))
    } else {
        None
    };
    let Some((((y, mo), d), h)) = parsed.filter(|(((_, mo), d), h)| {
        (1..=12).contains(mo) && (1..=31).contains(d) && (0..24).contains(h)
    }) else {
        return Err(ImError::new(P, format!("MsgTime {t:?} is not YYYYMMDDHH")));
    };
    let start = u64::try_from(days_from_civil(y, mo, d) * 86_400 + h * 3600)
        .map_err(|_| ImError::new(P, "MsgTime is before 1970"))?;
    if start > now() {
        return Err(ImError::new(P, "MsgTime is in the future"));
    }
    let list = st.db(|s| s.messages_between(start, start + 3600, group))?;
    let msgs: Vec<Value> = list
        .into_iter()
        .filter(|m| m.kind != types::MSG_GRP_TIP && m.kind != types::MSG_GRP_SYS_NOTICE)
        .map(|m| {
            let mut v = json!({
                "From_Account": m.from,
                "MsgTimestamp": m.time,
                "MsgSeq": m.sequence,
                "MsgRandom": m.random,
                "MsgBody": payload_to_body(&m),
                "CloudCustomData": m.cloud_custom_data,
                "MsgKey": m.id,
            });
            if group {
                v["GroupId"] = json!(m.to);
            } else {
                v["To_Account"] = json!(m.to);
            }
            v
        })
        .collect();
    Ok(json!({ "ChatType": req.chat_type, "MsgTime": req.msg_time, "MsgList": msgs }))
}
