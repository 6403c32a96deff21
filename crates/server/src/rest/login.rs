//! `im_open_login_svc`: account_import, multiaccount_import, account_delete, account_check,
//! kick.

use super::code::LOGIN_PARAM as P;
use super::{check_user, parse, required};
use crate::hub::EndReason;
use crate::{now, AppState};
use pigeon_proto::profiles::UpdateMyProfile;
use pigeon_proto::ImError;
use serde::Deserialize;
use serde_json::{json, Value};

/// Most accounts one multiaccount_import / account_delete / account_check takes.
const MAX_BATCH: usize = 100;

/// TencentCloudChat `TYPES.KICKED_OUT_REST_API`.
pub const KICKED_OUT_REST_API: &str = "REST_API_Kick";

/// Routes one command of this service; None for an unknown one.
pub fn dispatch(st: &AppState, command: &str, body: Value) -> Option<Result<Value, ImError>> {
    Some(match command {
        "account_import" => account_import(st, body),
        "multiaccount_import" => multiaccount_import(st, body),
        "account_delete" => account_delete(st, body),
        "account_check" => account_check(st, body),
        "kick" => kick(st, body),
        _ => return None,
    })
}

#[derive(Deserialize)]
struct AccountImport {
    #[serde(rename = "UserID", alias = "Identifier", default)]
    user_id: String,
    #[serde(rename = "Nick")]
    nick: Option<String>,
    #[serde(rename = "FaceUrl")]
    face_url: Option<String>,
}

fn account_import(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: AccountImport = parse(body, P)?;
    if req.user_id.is_empty() {
        return Err(required(P, "UserID"));
    }
    check_user(P, "UserID", &req.user_id)?;
    if req.nick.is_some() || req.face_url.is_some() {
        let update = UpdateMyProfile {
            nick: req.nick,
            avatar: req.face_url,
            ..Default::default()
        };
        crate::profiles::update_my_profile(st, &super::as_user(&req.user_id), update)
            .map_err(|e| ImError::new(P, e.message))?;
    }
    st.db(|s| s.import_accounts(std::slice::from_ref(&req.user_id), now()))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct MultiImport {
    #[serde(rename = "Accounts", default)]
    accounts: Vec<String>,
}

fn multiaccount_import(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: MultiImport = parse(body, P)?;
    if req.accounts.is_empty() || req.accounts.len() > MAX_BATCH {
        return Err(ImError::new(
            P,
            format!("Accounts must hold 1 to {MAX_BATCH} userIDs"),
        ));
    }
    let (good, fail): (Vec<String>, Vec<String>) = req
        .accounts
        .into_iter()
        .partition(|id| crate::validate_user_id("Accounts[]", id).is_ok());
    st.db(|s| s.import_accounts(&good, now()))?;
    Ok(json!({ "FailAccounts": fail }))
}

#[derive(Deserialize)]
struct UserItem {
    #[serde(rename = "UserID")]
    user_id: String,
}

#[derive(Deserialize)]
struct AccountDelete {
    #[serde(rename = "DeleteItem", default)]
    items: Vec<UserItem>,
}

fn account_delete(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: AccountDelete = parse(body, P)?;
    if req.items.is_empty() || req.items.len() > MAX_BATCH {
        return Err(ImError::new(
            P,
            format!("DeleteItem must hold 1 to {MAX_BATCH} items"),
        ));
    }
    let mut out = Vec::new();
    for item in req.items {
        let r = check_user(P, "UserID", &item.user_id).and_then(|()| {
            st.db(|s| s.delete_account(&item.user_id))?;
            Ok(())
        });
        out.push(super::result_item("UserID", &item.user_id, r));
    }
    Ok(json!({ "ResultItem": out }))
}

#[derive(Deserialize)]
struct AccountCheck {
    #[serde(rename = "CheckItem", default)]
    items: Vec<UserItem>,
}

fn account_check(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: AccountCheck = parse(body, P)?;
    if req.items.is_empty() || req.items.len() > MAX_BATCH {
        return Err(ImError::new(
            P,
            format!("CheckItem must hold 1 to {MAX_BATCH} items"),
        ));
    }
    let mut out = Vec::new();
    for item in req.items {
        let mut v = match check_user(P, "UserID", &item.user_id) {
            Ok(()) => {
                let exists = st.db(|s| s.account_exists(&item.user_id))?;
                let mut v = super::result_item("UserID", &item.user_id, Ok(()));
                v["AccountStatus"] = json!(if exists { "Imported" } else { "NotImported" });
                v
            }
            Err(e) => super::result_item("UserID", &item.user_id, Err(e)),
        };
        if v.get("AccountStatus").is_none() {
            v["AccountStatus"] = json!("");
        }
        out.push(v);
    }
    Ok(json!({ "ResultItem": out }))
}

#[derive(Deserialize)]
struct Kick {
    #[serde(rename = "UserID", alias = "Identifier", default)]
    user_id: String,
}

/// Ends every session of the user; each is told KICKED_OUT with `REST_API_Kick`.
fn kick(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: Kick = parse(body, P)?;
    if req.user_id.is_empty() {
        return Err(required(P, "UserID"));
    }
    check_user(P, "UserID", &req.user_id)?;
    st.bus.end_user(
        &req.user_id,
        EndReason::Kicked(KICKED_OUT_REST_API.to_owned()),
    );
    Ok(json!({}))
}
