//! `openconfigsvr`: getappinfo, setnospeaking, getnospeaking.

use super::code::GROUP_PARAM as P;
use super::{check_user, parse, required};
use crate::{now, AppState};
use pigeon_proto::ImError;
use serde::Deserialize;
use serde_json::{json, Value};

/// A nospeaking time meaning "for ever" (TencentCloudChat's 2^32-1).
pub const FOREVER: u64 = 4_294_967_295;

/// What "for ever" is stored as: the largest time SQLite's INTEGER holds.
const FOREVER_UNTIL: u64 = i64::MAX as u64;

/// Routes one command; None for an unknown one.
pub fn dispatch(st: &AppState, command: &str, body: Value) -> Option<Result<Value, ImError>> {
    Some(match command {
        "getappinfo" => getappinfo(st, body),
        "setnospeaking" => setnospeaking(st, body),
        "getnospeaking" => getnospeaking(st, body),
        _ => return None,
    })
}

#[derive(Deserialize)]
struct AppInfo {
    #[serde(rename = "RequestField", default)]
    request_field: Vec<String>,
}

/// The counters this server can compute, as TencentCloudChat's string-valued fields.
fn getappinfo(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: AppInfo = parse(body, P)?;
    let c = st.db(|s| s.app_counts())?;
    let (online_users, _) = st.bus.online_counts();
    let all = [
        ("AppId", st.creds.sdk_app_id.to_string()),
        ("RegistUserNumTotal", c.accounts.to_string()),
        ("LoginUserNum", c.logged_in.to_string()),
        ("ActiveUserNum", online_users.to_string()),
        ("MaxOnlineNum", online_users.to_string()),
        ("UpMsgNum", (c.c2c_messages + c.group_messages).to_string()),
        ("C2CUpMsgNum", c.c2c_messages.to_string()),
        ("GroupUpMsgNum", c.group_messages.to_string()),
        ("GroupAllGroupNum", c.groups.to_string()),
        ("APNSMsgNum", "0".to_owned()),
        ("C2CAPNSMsgNum", "0".to_owned()),
        ("GroupAPNSMsgNum", "0".to_owned()),
    ];
    for f in &req.request_field {
        if all.iter().all(|(k, _)| k != f) {
            return Err(ImError::new(
                P,
                format!("RequestField {f:?} is not one this server reports"),
            ));
        }
    }
    let mut out = serde_json::Map::new();
    for (k, v) in all {
        if req.request_field.is_empty() || req.request_field.iter().any(|f| f == k) {
            out.insert(k.to_owned(), v.into());
        }
    }
    Ok(json!({ "Result": [Value::Object(out)] }))
}

#[derive(Deserialize)]
struct SetNoSpeaking {
    #[serde(rename = "Set_Account", default)]
    account: String,
    #[serde(rename = "C2CmsgNospeakingTime", default)]
    c2c: Option<u64>,
    #[serde(rename = "GroupmsgNospeakingTime", default)]
    group: Option<u64>,
}

fn until(secs: u64) -> u64 {
    match secs {
        0 => 0,
        s if s >= FOREVER => FOREVER_UNTIL,
        s => now() + s,
    }
}

/// Mutes a user everywhere for C2C and/or group sends (0 lifts, 4294967295 is for ever).
fn setnospeaking(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: SetNoSpeaking = parse(body, P)?;
    if req.account.is_empty() {
        return Err(required(P, "Set_Account"));
    }
    check_user(P, "Set_Account", &req.account)?;
    if req.c2c.is_none() && req.group.is_none() {
        return Err(required(
            P,
            "C2CmsgNospeakingTime or GroupmsgNospeakingTime",
        ));
    }
    st.db(|s| s.set_nospeaking(&req.account, req.c2c.map(until), req.group.map(until)))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct GetNoSpeaking {
    #[serde(rename = "Get_Account", default)]
    account: String,
}

fn remaining(until: u64) -> u64 {
    if until >= FOREVER_UNTIL {
        FOREVER
    } else {
        until.saturating_sub(now())
    }
}

/// The seconds of mute left (4294967295: for ever).
fn getnospeaking(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: GetNoSpeaking = parse(body, P)?;
    if req.account.is_empty() {
        return Err(required(P, "Get_Account"));
    }
    check_user(P, "Get_Account", &req.account)?;
    let (c2c, group) = st.db(|s| s.nospeaking(&req.account))?.unwrap_or((0, 0));
    Ok(json!({
        "C2CmsgNospeakingTime": remaining(c2c),
        "GroupmsgNospeakingTime": remaining(group),
    }))
}
