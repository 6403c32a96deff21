//! `sns`: friends, blacklist and friend groups, through the same relation functions as the
//! SDK (FRIEND_LIST_UPDATED, BLACKLIST_UPDATED, FRIEND_GROUP_LIST_UPDATED on clients).

use super::code::SNS_PARAM as P;
use super::profile::{profile_items, TagValue};
use super::{as_user, check_user, parse, required, result_item};
use crate::relations::{self, FriendRow};
use crate::{now, AppState};
use pigeon_proto::relations::{
    types as sns, AddFriend, AddToBlacklist, CheckFriend, CreateFriendGroup, DeleteFriend,
    DeleteFriendGroup, Friend, FriendCustomField, FriendGroupUsers, GetFriendProfile,
    RemoveFromBlacklist, UpdateFriend, UserIdList,
};
use pigeon_proto::ImError;
use serde::Deserialize;
use serde_json::{json, Value};

/// Source recorded when a REST call gives none.
const DEFAULT_SOURCE: &str = "AddSource_Type_RestAPI";

/// Friends per friend_get page.
const PAGE: usize = 100;

/// Routes one command; None for an unknown one.
pub fn dispatch(st: &AppState, command: &str, body: Value) -> Option<Result<Value, ImError>> {
    Some(match command {
        "friend_add" => friend_add(st, body),
        "friend_import" => friend_import(st, body),
        "friend_update" => friend_update(st, body),
        "friend_delete" => friend_delete(st, body),
        "friend_delete_all" => friend_delete_all(st, body),
        "friend_check" => friend_check(st, body),
        "friend_get" => friend_get(st, body),
        "friend_get_list" => friend_get_list(st, body),
        "black_list_add" => black_list_add(st, body),
        "black_list_delete" => black_list_delete(st, body),
        "black_list_get" => black_list_get(st, body),
        "black_list_check" => black_list_check(st, body),
        "group_add" => group_add(st, body),
        "group_delete" => group_delete(st, body),
        _ => return None,
    })
}

/// The `From_Account` every sns command carries.
fn from_of(body: &Value) -> Result<String, ImError> {
    let from = body
        .get("From_Account")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| required(P, "From_Account"))?;
    check_user(P, "From_Account", from)?;
    Ok(from.to_owned())
}

#[derive(Deserialize)]
struct AddItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "Remark", default)]
    remark: String,
    #[serde(rename = "GroupName", default)]
    group_name: Value,
    #[serde(rename = "AddSource", default)]
    add_source: String,
    #[serde(rename = "AddWording", default)]
    add_wording: String,
    #[serde(rename = "CustomItem", default)]
    custom_item: Vec<TagValue>,
}

impl AddItem {
    fn source(&self) -> String {
        if self.add_source.is_empty() {
            DEFAULT_SOURCE.to_owned()
        } else {
            self.add_source.clone()
        }
    }

    /// `GroupName` is a string for friend_add and a list for friend_import.
    fn groups(&self) -> Vec<String> {
        match &self.group_name {
            Value::String(s) if !s.is_empty() => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => vec![],
        }
    }
}

#[derive(Deserialize)]
struct FriendAdd {
    #[serde(rename = "AddFriendItem", default)]
    items: Vec<AddItem>,
    #[serde(rename = "AddType", default)]
    add_type: Option<String>,
    #[serde(rename = "ForceAddFlags", default)]
    force_add_flags: u32,
}

/// The reply of a per-user batch: `ResultItem` and the failed `Fail_Account`.
fn batch_reply(items: Outcomes) -> Value {
    let fail: Vec<&String> = items
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(u, _)| u)
        .collect();
    let fail = json!(fail);
    let results: Vec<Value> = items
        .into_iter()
        .map(|(u, r)| result_item("To_Account", &u, r))
        .collect();
    json!({ "ResultItem": results, "Fail_Account": fail })
}

fn friend_add(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: FriendAdd = parse(body, P)?;
    if req.items.is_empty() {
        return Err(required(P, "AddFriendItem"));
    }
    let both = match req.add_type.as_deref() {
        None | Some("") | Some(sns::SNS_ADD_TYPE_BOTH) => true,
        Some(sns::SNS_ADD_TYPE_SINGLE) => false,
        Some(other) => return Err(ImError::new(P, format!("unknown AddType {other:?}"))),
    };
    let mut out = Vec::new();
    for item in req.items {
        let r = if req.force_add_flags == 1 {
            forced_add(st, &from, &item, both)
        } else {
            let add = AddFriend {
                to: item.to.clone(),
                source: item.source(),
                wording: item.add_wording.clone(),
                kind: Some(
                    if both {
                        sns::SNS_ADD_TYPE_BOTH
                    } else {
                        sns::SNS_ADD_TYPE_SINGLE
                    }
                    .to_owned(),
                ),
                remark: item.remark.clone(),
                group_name: item.groups().into_iter().next().unwrap_or_default(),
            };
            relations::add_friend(st, &as_user(&from), add).and_then(|r| {
                if r.code == 0 {
                    Ok(())
                } else {
                    Err(ImError::new(r.code, r.message))
                }
            })
        };
        out.push((item.to, r));
    }
    Ok(batch_reply(out))
}

/// ForceAddFlags = 1: friends at once whatever the target's allowType (not over a block).
fn forced_add(st: &AppState, from: &str, item: &AddItem, both: bool) -> Result<(), ImError> {
    check_target(from, &item.to)?;
    relations::check_not_blocked(st, from, &item.to)?;
    let time = now();
    let mut rows = vec![FriendRow {
        owner: from.to_owned(),
        friend_id: item.to.clone(),
        remark: item.remark.clone(),
        source: item.source(),
        wording: item.add_wording.clone(),
        added: time,
        groups: item.groups(),
        ..Default::default()
    }];
    if both {
        rows.push(FriendRow {
            owner: item.to.clone(),
            friend_id: from.to_owned(),
            source: item.source(),
            wording: item.add_wording.clone(),
            added: time,
            ..Default::default()
        });
    }
    let added = relations::import_friends(st, &rows)?;
    if added.first() == Some(&false) && (!both || added.get(1) == Some(&false)) {
        return Err(already_friend(&item.to));
    }
    Ok(())
}

/// A friend request's target must be a valid userID other than the requester.
fn check_target(from: &str, to: &str) -> Result<(), ImError> {
    check_user(P, "To_Account", to)?;
    if to == from {
        return Err(ImError::new(P, "one cannot add oneself as a friend"));
    }
    Ok(())
}

fn already_friend(to: &str) -> ImError {
    ImError::new(
        pigeon_proto::relations::code::ALREADY_MY_FRIEND,
        format!("{to} is already a friend"),
    )
}

/// A tag's value as the SDK stores it: strings as they are, anything else as its JSON text.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
struct FriendImport {
    #[serde(rename = "AddFriendItem", default)]
    items: Vec<AddItem>,
}

/// One-way import into From_Account's list (TencentCloudChat semantics), custom fields kept.
fn friend_import(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: FriendImport = parse(body, P)?;
    if req.items.is_empty() {
        return Err(required(P, "AddFriendItem"));
    }
    let mut out = Vec::new();
    for item in req.items {
        let r = (|| {
            check_target(&from, &item.to)?;
            let custom = item
                .custom_item
                .iter()
                .map(|c| FriendCustomField {
                    key: c.tag.clone(),
                    value: value_text(&c.value),
                })
                .collect();
            let row = FriendRow {
                owner: from.clone(),
                friend_id: item.to.clone(),
                remark: item.remark.clone(),
                source: item.source(),
                wording: item.add_wording.clone(),
                custom,
                added: now(),
                groups: item.groups(),
            };
            let added = relations::import_friends(st, std::slice::from_ref(&row))?;
            if added.first() == Some(&false) {
                return Err(already_friend(&item.to));
            }
            Ok(())
        })();
        out.push((item.to, r));
    }
    Ok(batch_reply(out))
}

#[derive(Deserialize)]
struct UpdateItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "SnsItem", default)]
    sns_item: Vec<TagValue>,
}

#[derive(Deserialize)]
struct FriendUpdate {
    #[serde(rename = "UpdateItem", default)]
    items: Vec<UpdateItem>,
}

/// `Tag_SNS_IM_Remark` and `Tag_SNS_Custom_*` through `updateFriend`.
fn friend_update(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: FriendUpdate = parse(body, P)?;
    if req.items.is_empty() {
        return Err(required(P, "UpdateItem"));
    }
    let mut out = Vec::new();
    for item in req.items {
        let mut update = UpdateFriend {
            user_id: item.to.clone(),
            remark: None,
            friend_custom_field: None,
        };
        let mut bad = None;
        for tv in &item.sns_item {
            let value = value_text(&tv.value);
            match tv.tag.as_str() {
                "Tag_SNS_IM_Remark" => update.remark = Some(value),
                t if t.starts_with("Tag_SNS_Custom_") => update
                    .friend_custom_field
                    .get_or_insert_with(Vec::new)
                    .push(FriendCustomField {
                        key: t.to_owned(),
                        value,
                    }),
                t => {
                    bad = Some(ImError::new(
                        P,
                        format!("SnsItem Tag {t:?} cannot be updated (Tag_SNS_IM_Remark and Tag_SNS_Custom_* can)"),
                    ))
                }
            }
        }
        let r = match bad {
            Some(e) => Err(e),
            None => relations::update_friend(st, &as_user(&from), update).map(|_| ()),
        };
        out.push((item.to, r));
    }
    Ok(batch_reply(out))
}

#[derive(Deserialize)]
struct FriendDelete {
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
    #[serde(rename = "DeleteType", default)]
    delete_type: Option<String>,
}

/// Per-user outcomes of a batch.
type Outcomes = Vec<(String, Result<(), ImError>)>;

fn delete_some(
    st: &AppState,
    from: &str,
    ids: Vec<String>,
    kind: Option<String>,
) -> Result<Outcomes, ImError> {
    let r = relations::delete_friend(
        st,
        &as_user(from),
        DeleteFriend {
            user_id_list: ids,
            kind,
        },
    )?;
    let mut out: Outcomes = r
        .success_user_id_list
        .into_iter()
        .map(|u| (u.user_id, Ok(())))
        .collect();
    out.extend(
        r.failure_user_id_list
            .into_iter()
            .map(|f| (f.user_id, Err(ImError::new(f.code, f.message)))),
    );
    Ok(out)
}

fn friend_delete(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: FriendDelete = parse(body, P)?;
    if req.to.is_empty() {
        return Err(required(P, "To_Account"));
    }
    Ok(batch_reply(delete_some(
        st,
        &from,
        req.to,
        req.delete_type,
    )?))
}

fn friend_delete_all(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: FriendDelete = parse(body, P)?;
    let ids: Vec<String> = st
        .db(|s| s.friends(&from))?
        .into_iter()
        .map(|r| r.friend_id)
        .collect();
    for chunk in ids.chunks(100) {
        delete_some(st, &from, chunk.to_vec(), req.delete_type.clone())?;
    }
    Ok(json!({}))
}

#[derive(Deserialize)]
struct FriendCheck {
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
    #[serde(rename = "CheckType", default)]
    check_type: Option<String>,
}

fn friend_check(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: FriendCheck = parse(body, P)?;
    let r = relations::check_friend(
        st,
        &as_user(&from),
        CheckFriend {
            user_id_list: req.to,
            kind: req.check_type,
        },
    )?;
    let mut items: Vec<Value> = r
        .success_user_id_list
        .into_iter()
        .map(|c| json!({ "To_Account": c.user_id, "Relation": c.relation, "ResultCode": 0, "ResultInfo": "" }))
        .collect();
    let fail: Vec<String> = r
        .failure_user_id_list
        .iter()
        .map(|f| f.user_id.clone())
        .collect();
    items.extend(r.failure_user_id_list.into_iter().map(|f| {
        json!({ "To_Account": f.user_id, "Relation": "", "ResultCode": f.code, "ResultInfo": f.message })
    }));
    Ok(json!({ "InfoItem": items, "Fail_Account": fail }))
}

/// A friend's `[{Tag, Value}]`: SNS tags, then the profile's tags; only `tags` when given.
fn friend_items(f: &Friend, tags: Option<&[String]>) -> Vec<Value> {
    let wanted = |t: &str| tags.is_none_or(|ts| ts.iter().any(|x| x == t));
    let mut out = Vec::new();
    let sns_tags = [
        ("Tag_SNS_IM_Group", json!(f.group_list)),
        ("Tag_SNS_IM_Remark", json!(f.remark)),
        ("Tag_SNS_IM_AddSource", json!(f.source)),
        ("Tag_SNS_IM_AddWording", json!(f.wording)),
    ];
    for (t, v) in sns_tags {
        if wanted(t) {
            out.push(json!({ "Tag": t, "Value": v }));
        }
    }
    for c in &f.friend_custom_field {
        if wanted(&c.key) {
            out.push(json!({ "Tag": c.key, "Value": c.value }));
        }
    }
    if tags.is_some() {
        out.extend(profile_items(&f.profile, tags));
    }
    out
}

#[derive(Deserialize)]
struct FriendGet {
    #[serde(rename = "StartIndex", default)]
    start_index: usize,
}

fn friend_get(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: FriendGet = parse(body, P)?;
    let all = relations::friend_list(st, &from)?;
    let total = all.len();
    let page: Vec<Value> = all
        .iter()
        .skip(req.start_index)
        .take(PAGE)
        .map(|f| json!({ "To_Account": f.user_id, "ValueItem": friend_items(f, None) }))
        .collect();
    let end = req.start_index.saturating_add(page.len());
    let complete = end >= total;
    Ok(json!({
        "UserDataItem": page,
        "StandardSequence": 0,
        "CustomSequence": 0,
        "FriendNum": total,
        "CompleteFlag": u32::from(complete),
        "NextStartIndex": if complete { 0 } else { end },
    }))
}

#[derive(Deserialize)]
struct FriendGetList {
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
    #[serde(rename = "TagList", default)]
    tag_list: Vec<String>,
}

fn friend_get_list(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: FriendGetList = parse(body, P)?;
    if req.tag_list.is_empty() {
        return Err(required(P, "TagList"));
    }
    let r = relations::friend_profile(
        st,
        &as_user(&from),
        GetFriendProfile(UserIdList {
            user_id_list: req.to,
        }),
    )?;
    let mut items: Vec<Value> = r
        .friend_list
        .iter()
        .map(|f| {
            json!({
                "To_Account": f.user_id,
                "SnsProfileItem": friend_items(f, Some(&req.tag_list)),
                "ResultCode": 0,
                "ResultInfo": "",
            })
        })
        .collect();
    let fail: Vec<String> = r
        .failure_user_id_list
        .iter()
        .map(|f| f.user_id.clone())
        .collect();
    items.extend(r.failure_user_id_list.into_iter().map(|f| {
        json!({ "To_Account": f.user_id, "SnsProfileItem": [], "ResultCode": f.code, "ResultInfo": f.message })
    }));
    Ok(json!({ "InfoItem": items, "Fail_Account": fail }))
}

#[derive(Deserialize)]
struct Accounts {
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
}

fn black_list_add(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: Accounts = parse(body, P)?;
    let ids = req.to.clone();
    relations::add_to_blacklist(
        st,
        &as_user(&from),
        AddToBlacklist(UserIdList {
            user_id_list: req.to,
        }),
    )?;
    Ok(batch_reply(ids.into_iter().map(|u| (u, Ok(()))).collect()))
}

fn black_list_delete(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: Accounts = parse(body, P)?;
    let before = relations::blacklist(st, &from)?;
    let ids = req.to.clone();
    relations::remove_from_blacklist(
        st,
        &as_user(&from),
        RemoveFromBlacklist(UserIdList {
            user_id_list: req.to,
        }),
    )?;
    let out = ids
        .into_iter()
        .map(|u| {
            let r = if before.contains(&u) {
                Ok(())
            } else {
                Err(ImError::new(P, format!("{u} is not in the blacklist")))
            };
            (u, r)
        })
        .collect();
    Ok(batch_reply(out))
}

#[derive(Deserialize)]
struct BlackListGet {
    #[serde(rename = "StartIndex", default)]
    start_index: usize,
    #[serde(rename = "MaxLimited", default)]
    max_limited: usize,
}

fn black_list_get(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: BlackListGet = parse(body, P)?;
    let limit = if req.max_limited == 0 {
        PAGE
    } else {
        req.max_limited
    };
    let all = relations::blacklist(st, &from)?;
    let page: Vec<Value> = all
        .iter()
        .skip(req.start_index)
        .take(limit)
        .map(|u| json!({ "To_Account": u, "AddBlackTimeStamp": 0 }))
        .collect();
    let end = req.start_index.saturating_add(page.len());
    Ok(json!({
        "BlackListItem": page,
        "StartIndex": if end >= all.len() { 0 } else { end },
        "CurruentSequence": 0,
    }))
}

#[derive(Deserialize)]
struct BlackListCheck {
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
    #[serde(rename = "CheckType", default)]
    check_type: Option<String>,
}

fn black_list_check(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: BlackListCheck = parse(body, P)?;
    if req.to.is_empty() {
        return Err(required(P, "To_Account"));
    }
    let both = match req.check_type.as_deref() {
        None | Some("") | Some("BlackCheckResult_Type_Both") => true,
        Some("BlackCheckResult_Type_Single") => false,
        Some(other) => return Err(ImError::new(P, format!("unknown CheckType {other:?}"))),
    };
    let mut items = Vec::new();
    let mut fail = Vec::new();
    for id in req.to {
        if let Err(e) = check_user(P, "To_Account", &id) {
            items.push(json!({ "To_Account": id, "Relation": "", "ResultCode": e.code, "ResultInfo": e.message }));
            fail.push(id);
            continue;
        }
        let mine = st.db(|s| s.blocks(&from, &id))?;
        let theirs = both && st.db(|s| s.blocks(&id, &from))?;
        let relation = match (mine, theirs) {
            (true, true) => "BlackCheckResult_Type_BothWay",
            (true, false) => "BlackCheckResult_Type_AWithB",
            (false, true) => "BlackCheckResult_Type_BWithA",
            (false, false) => "BlackCheckResult_Type_NO",
        };
        items.push(
            json!({ "To_Account": id, "Relation": relation, "ResultCode": 0, "ResultInfo": "" }),
        );
    }
    Ok(json!({ "BlackListCheckItem": items, "Fail_Account": fail }))
}

#[derive(Deserialize)]
struct GroupAdd {
    #[serde(rename = "GroupName", default)]
    group_name: Vec<String>,
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
}

/// Creates friend groups, optionally holding `To_Account` friends.
fn group_add(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: GroupAdd = parse(body, P)?;
    if req.group_name.is_empty() {
        return Err(required(P, "GroupName"));
    }
    let mut failed: Vec<(String, ImError)> = Vec::new();
    for name in &req.group_name {
        let r = relations::create_friend_group(
            st,
            &as_user(&from),
            CreateFriendGroup(FriendGroupUsers {
                name: name.clone(),
                user_id_list: req.to.clone(),
            }),
        )?;
        for f in r.failure_user_id_list {
            if failed.iter().all(|(u, _)| *u != f.user_id) {
                failed.push((f.user_id, ImError::new(f.code, f.message)));
            }
        }
    }
    let out = req
        .to
        .into_iter()
        .map(|u| {
            let r = match failed.iter().find(|(x, _)| *x == u) {
                Some((_, e)) => Err(e.clone()),
                None => Ok(()),
            };
            (u, r)
        })
        .collect();
    let mut reply = batch_reply(out);
    reply["CurrentSequence"] = json!(0);
    Ok(reply)
}

#[derive(Deserialize)]
struct GroupDelete {
    #[serde(rename = "GroupName", default)]
    group_name: Vec<String>,
}

fn group_delete(st: &AppState, body: Value) -> Result<Value, ImError> {
    let from = from_of(&body)?;
    let req: GroupDelete = parse(body, P)?;
    if req.group_name.is_empty() {
        return Err(required(P, "GroupName"));
    }
    for name in req.group_name {
        relations::delete_friend_group(st, &as_user(&from), DeleteFriendGroup { name })?;
    }
    Ok(json!({ "CurrentSequence": 0 }))
}
