//! `group_open_http_svc`: groups driven by the backend. Changes run through the SDK's group
//! functions acting as the app administrator (who may do anything an owner may), so members
//! get the same tips, GROUP_LIST_UPDATED and group system notices.

use super::code::GROUP_PARAM as P;
use super::{as_user, body_to_payload, check_user, parse, payload_to_body, required, MsgElem};
use crate::conversations::group_key;
use crate::store::MemberRow;
use crate::{now, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::group_admin::{ChangeGroupOwner, UpdateGroupProfile};
use pigeon_proto::group_members::{
    AddGroupMember, DeleteGroupMember, MemberCustomField, SetGroupMemberCustomField,
    SetGroupMemberMuteTime, SetGroupMemberNameCard, SetGroupMemberRole,
};
use pigeon_proto::message_ops::RevokeMessage;
use pigeon_proto::model::{Group, Message};
use pigeon_proto::wire::{CreateGroup, GroupMemberInit, Push, SendMessage, SetMessageRemindType};
use pigeon_proto::ImError;
use serde::Deserialize;
use serde_json::{json, Value};

/// `operationType` of a custom group system notice (send_group_system_notification).
pub const NOTICE_CUSTOM: u32 = 255;

/// Most groups one get_group_info reads.
const MAX_INFO_BATCH: usize = 50;

/// Routes one command; None for an unknown one.
pub fn dispatch(st: &AppState, command: &str, body: Value) -> Option<Result<Value, ImError>> {
    Some(match command {
        "create_group" => create_group(st, body, false),
        "import_group" => create_group(st, body, true),
        "get_group_info" => get_group_info(st, body),
        "get_appid_group_list" => get_appid_group_list(st, body),
        "get_joined_group_list" => get_joined_group_list(st, body),
        "get_group_member_info" => get_group_member_info(st, body),
        "add_group_member" => add_group_member(st, body),
        "import_group_member" => import_group_member(st, body),
        "delete_group_member" => delete_group_member(st, body),
        "modify_group_base_info" => modify_group_base_info(st, body),
        "modify_group_member_info" => modify_group_member_info(st, body),
        "destroy_group" => destroy_group(st, body),
        "change_group_owner" => change_group_owner(st, body),
        "send_group_msg" => send_group_msg(st, body),
        "import_group_msg" => import_group_msg(st, body),
        "send_group_system_notification" => send_group_system_notification(st, body),
        "group_msg_recall" => group_msg_recall(st, body),
        "group_msg_get_simple" => group_msg_get_simple(st, body),
        "forbid_send_msg" => forbid_send_msg(st, body),
        "get_group_shutted_uin" => get_group_shutted_uin(st, body),
        "get_role_in_group" => get_role_in_group(st, body),
        "set_unread_msg_num" => set_unread_msg_num(st, body),
        "delete_group_msg_by_sender" => delete_group_msg_by_sender(st, body),
        _ => return None,
    })
}

fn admin(st: &AppState) -> Caller {
    as_user(&st.config.rest_admin)
}

/// The `GroupId` every command but a few carries.
fn group_id_of(body: &Value) -> Result<String, ImError> {
    body.get("GroupId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| required(P, "GroupId"))
}

/// TencentCloudChat's REST group types (Work/Meeting are the new names of Private/ChatRoom).
fn group_type(t: &str) -> &str {
    match t {
        "Work" => types::GRP_WORK,
        "Meeting" => types::GRP_MEETING,
        other => other,
    }
}

fn role_of(g: &Group, row: &MemberRow) -> String {
    if !g.owner_id.is_empty() && g.owner_id == row.user_id {
        types::GRP_MBR_ROLE_OWNER.to_owned()
    } else {
        row.role.clone()
    }
}

#[derive(Deserialize)]
struct KeyValue {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", default)]
    value: String,
}

#[derive(Deserialize)]
struct MemberItem {
    #[serde(rename = "Member_Account")]
    member: String,
    #[serde(rename = "Role", default)]
    role: Option<String>,
    #[serde(rename = "JoinTime", default)]
    join_time: Option<u64>,
}

#[derive(Deserialize)]
struct CreateGroupReq {
    #[serde(rename = "Owner_Account", default)]
    owner: Option<String>,
    #[serde(rename = "Type", default)]
    kind: String,
    #[serde(rename = "GroupId", default)]
    group_id: Option<String>,
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "Introduction", default)]
    introduction: Option<String>,
    #[serde(rename = "Notification", default)]
    notification: Option<String>,
    #[serde(rename = "FaceUrl", default)]
    face_url: Option<String>,
    #[serde(rename = "MaxMemberCount", alias = "MaxMemberNum", default)]
    max_member_count: Option<u64>,
    #[serde(rename = "ApplyJoinOption", default)]
    apply_join_option: Option<String>,
    #[serde(rename = "InviteJoinOption", default)]
    invite_join_option: Option<String>,
    #[serde(rename = "MemberList", default)]
    member_list: Vec<MemberItem>,
    #[serde(rename = "AppDefinedData", default)]
    app_defined_data: Vec<KeyValue>,
    #[serde(rename = "SupportTopic", default)]
    support_topic: u32,
}

/// create_group (and import_group: the same, see docs/rest-api.md).
fn create_group(st: &AppState, body: Value, import: bool) -> Result<Value, ImError> {
    let req: CreateGroupReq = parse(body, P)?;
    if req.kind.is_empty() {
        return Err(required(P, "Type"));
    }
    if req.name.is_empty() {
        return Err(required(P, "Name"));
    }
    let owner = req.owner.filter(|o| !o.is_empty());
    if let Some(o) = &owner {
        check_user(P, "Owner_Account", o)?;
    }
    let create = CreateGroup {
        name: req.name,
        kind: Some(group_type(&req.kind).to_owned()),
        group_id: req.group_id.filter(|g| !g.is_empty()),
        introduction: req.introduction,
        notification: req.notification,
        avatar: req.face_url,
        max_member_num: req.max_member_count,
        join_option: req.apply_join_option,
        invite_option: req.invite_join_option,
        member_list: if import {
            vec![]
        } else {
            req.member_list
                .into_iter()
                .map(|m| GroupMemberInit {
                    user_id: m.member,
                    role: m.role,
                    member_custom_field: vec![],
                })
                .collect()
        },
        group_custom_field: req
            .app_defined_data
            .into_iter()
            .map(|kv| json!({ "key": kv.key, "value": kv.value }))
            .collect(),
        is_support_topic: req.support_topic == 1,
    };
    let reply = crate::groups::create_by(st, &admin(st), owner.as_deref(), create)?;
    Ok(json!({ "GroupId": reply.group.group_id }))
}

/// A group's TencentCloudChat `GroupInfo` with its `MemberList`.
fn group_info(st: &AppState, group_id: &str) -> Result<Value, ImError> {
    let g = crate::groups::live(st, group_id)?;
    let mute_all = st.db(|s| s.mute_all(group_id))?;
    let last = st.db(|s| s.messages_before(&group_key(group_id), None, 0, 1))?;
    let next_seq = st.db(|s| s.last_seq(&group_key(group_id)))? + 1;
    let infos = st.db(|s| s.member_infos(group_id))?;
    let members: Vec<Value> = infos
        .iter()
        .map(|i| {
            json!({
                "Member_Account": i.row.user_id,
                "Role": role_of(&g, &i.row),
                "JoinTime": i.row.join_time,
                "NameCard": i.row.name_card,
                "ShutUpUntil": i.mute_until,
                "AppMemberDefinedData": i.custom.iter().map(|c| json!({"Key": c.key, "Value": c.value})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "GroupId": g.group_id,
        "ErrorCode": 0,
        "ErrorInfo": "",
        "Type": g.kind,
        "Name": g.name,
        "Introduction": g.introduction,
        "Notification": g.notification,
        "FaceUrl": g.avatar,
        "Owner_Account": g.owner_id,
        "CreateTime": g.create_time,
        "InfoSeq": g.info_sequence,
        "LastInfoTime": g.last_info_time,
        "LastMsgTime": last.first().map(|m| m.time).unwrap_or(0),
        "NextMsgSeq": next_seq,
        "MemberNum": infos.len(),
        "MaxMemberNum": g.max_member_count,
        "ApplyJoinOption": g.join_option,
        "InviteJoinOption": g.invite_option,
        "ShutUpAllMember": if mute_all { "On" } else { "Off" },
        "AppDefinedData": g.group_custom_field.iter().map(|f| json!({"Key": f["key"], "Value": f["value"]})).collect::<Vec<_>>(),
        "MemberList": members,
    }))
}

#[derive(Deserialize)]
struct GroupIdList {
    #[serde(rename = "GroupIdList", default)]
    group_id_list: Vec<String>,
}

fn get_group_info(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: GroupIdList = parse(body, P)?;
    if req.group_id_list.is_empty() || req.group_id_list.len() > MAX_INFO_BATCH {
        return Err(ImError::new(
            P,
            format!("GroupIdList must hold 1 to {MAX_INFO_BATCH} groups"),
        ));
    }
    let mut out = Vec::new();
    for id in req.group_id_list {
        out.push(match group_info(st, &id) {
            Ok(v) => v,
            Err(e) => json!({ "GroupId": id, "ErrorCode": e.code, "ErrorInfo": e.message }),
        });
    }
    Ok(json!({ "GroupInfo": out }))
}

#[derive(Deserialize)]
struct AppGroupList {
    #[serde(rename = "Limit", default)]
    limit: Option<usize>,
    #[serde(rename = "Next", default)]
    next: usize,
    #[serde(rename = "GroupType", default)]
    group_type: Option<String>,
}

fn get_appid_group_list(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: AppGroupList = parse(body, P)?;
    let limit = req.limit.filter(|l| *l > 0).unwrap_or(10_000);
    let mut ids = st.db(|s| s.all_groups())?;
    if let Some(t) = req.group_type.as_deref().filter(|t| !t.is_empty()) {
        let t = group_type(t);
        let mut kept = Vec::new();
        for id in ids {
            if crate::groups::live(st, &id).is_ok_and(|g| g.kind == t) {
                kept.push(id);
            }
        }
        ids = kept;
    }
    let total = ids.len();
    let page: Vec<Value> = ids
        .iter()
        .skip(req.next)
        .take(limit)
        .map(|g| json!({ "GroupId": g }))
        .collect();
    let end = req.next.saturating_add(page.len());
    Ok(json!({
        "TotalCount": total,
        "GroupIdList": page,
        "Next": if end >= total { 0 } else { end },
    }))
}

#[derive(Deserialize)]
struct JoinedList {
    #[serde(rename = "Member_Account", default)]
    member: String,
    #[serde(rename = "Limit", default)]
    limit: Option<usize>,
    #[serde(rename = "Offset", default)]
    offset: usize,
    #[serde(rename = "GroupType", default)]
    group_type: Option<String>,
}

fn get_joined_group_list(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: JoinedList = parse(body, P)?;
    if req.member.is_empty() {
        return Err(required(P, "Member_Account"));
    }
    check_user(P, "Member_Account", &req.member)?;
    let mut groups = Vec::new();
    for id in st.db(|s| s.groups_of(&req.member))? {
        if let Ok(g) = crate::groups::live(st, &id) {
            let wanted = req
                .group_type
                .as_deref()
                .filter(|t| !t.is_empty())
                .is_none_or(|t| group_type(t) == g.kind);
            if wanted {
                groups.push(g);
            }
        }
    }
    let total = groups.len();
    let limit = req.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let page: Vec<Value> = groups
        .iter()
        .skip(req.offset)
        .take(limit)
        .map(|g| json!({ "GroupId": g.group_id, "Name": g.name, "Type": g.kind }))
        .collect();
    Ok(json!({ "TotalCount": total, "GroupIdList": page }))
}

#[derive(Deserialize)]
struct MemberInfoReq {
    #[serde(rename = "Limit", default)]
    limit: Option<usize>,
    #[serde(rename = "Offset", default)]
    offset: usize,
}

fn get_group_member_info(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: MemberInfoReq = parse(body, P)?;
    let info = group_info(st, &gid)?;
    let all = info["MemberList"].as_array().cloned().unwrap_or_default();
    let limit = req.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let page: Vec<Value> = all.iter().skip(req.offset).take(limit).cloned().collect();
    Ok(json!({ "MemberNum": all.len(), "MemberList": page }))
}

#[derive(Deserialize)]
struct AddMembers {
    #[serde(rename = "MemberList", default)]
    member_list: Vec<MemberItem>,
}

fn add_group_member(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: AddMembers = parse(body, P)?;
    let ids: Vec<String> = req.member_list.into_iter().map(|m| m.member).collect();
    let r = crate::group_members::add(
        st,
        &admin(st),
        AddGroupMember {
            group_id: gid,
            user_id_list: ids.clone(),
        },
    )?;
    let list: Vec<Value> = ids
        .iter()
        .map(|id| {
            let result = if r.success_user_id_list.contains(id) {
                1
            } else if r.existed_user_id_list.contains(id) {
                2
            } else {
                0
            };
            json!({ "Member_Account": id, "Result": result })
        })
        .collect();
    Ok(json!({ "MemberList": list }))
}

/// Adds members quietly (no tips, no notices; their group list is refreshed).
fn import_group_member(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: AddMembers = parse(body, P)?;
    if req.member_list.is_empty() {
        return Err(required(P, "MemberList"));
    }
    let g = crate::groups::live(st, &gid)?;
    let mut rows = Vec::new();
    for m in &req.member_list {
        check_user(P, "Member_Account", &m.member)?;
        let role = match m.role.as_deref() {
            None | Some("") | Some(types::GRP_MBR_ROLE_MEMBER) => types::GRP_MBR_ROLE_MEMBER,
            Some(types::GRP_MBR_ROLE_ADMIN) => types::GRP_MBR_ROLE_ADMIN,
            Some(r) => {
                return Err(ImError::new(
                    P,
                    format!("Role {r:?} is not Admin or Member"),
                ))
            }
        };
        rows.push(MemberRow {
            user_id: m.member.clone(),
            role: role.to_owned(),
            join_time: m.join_time.unwrap_or_else(now),
            name_card: String::new(),
        });
    }
    let added = match st.db(|s| s.add_members(&gid, &rows, g.max_member_count))? {
        crate::group_members::AddOutcome::Full => {
            return Err(ImError::new(
                pigeon_proto::error::code::GROUP_FULL,
                format!("group {gid} would exceed its member limit"),
            ))
        }
        crate::group_members::AddOutcome::Added(a) => a,
    };
    for u in &added {
        st.push(u, &Push::GroupsChanged {}, None);
    }
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            let result = if added.contains(&r.user_id) { 1 } else { 2 };
            json!({ "Member_Account": r.user_id, "Result": result })
        })
        .collect();
    Ok(json!({ "MemberList": list }))
}

#[derive(Deserialize)]
struct DeleteMembers {
    #[serde(rename = "MemberToDel_Account", default)]
    members: Vec<String>,
    #[serde(rename = "Reason", default)]
    reason: String,
}

fn delete_group_member(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: DeleteMembers = parse(body, P)?;
    crate::group_members::delete(
        st,
        &admin(st),
        DeleteGroupMember {
            group_id: gid,
            user_id_list: req.members,
            reason: req.reason,
            duration: None,
        },
    )?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct ModifyBase {
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "Introduction", default)]
    introduction: Option<String>,
    #[serde(rename = "Notification", default)]
    notification: Option<String>,
    #[serde(rename = "FaceUrl", default)]
    face_url: Option<String>,
    #[serde(rename = "MaxMemberNum", default)]
    max_member_num: Option<u64>,
    #[serde(rename = "ApplyJoinOption", default)]
    apply_join_option: Option<String>,
    #[serde(rename = "InviteJoinOption", default)]
    invite_join_option: Option<String>,
    #[serde(rename = "ShutUpAllMember", default)]
    shut_up_all_member: Option<String>,
    #[serde(rename = "AppDefinedData", default)]
    app_defined_data: Option<Vec<KeyValue>>,
}

fn modify_group_base_info(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: ModifyBase = parse(body, P)?;
    if req.max_member_num.is_some() {
        return Err(ImError::new(
            P,
            "MaxMemberNum cannot be changed on this server",
        ));
    }
    let mute = match req.shut_up_all_member.as_deref() {
        None => None,
        Some("On") => Some(true),
        Some("Off") => Some(false),
        Some(o) => {
            return Err(ImError::new(
                P,
                format!("ShutUpAllMember is On or Off, not {o:?}"),
            ))
        }
    };
    let update = UpdateGroupProfile {
        group_id: gid,
        name: req.name,
        avatar: req.face_url,
        introduction: req.introduction,
        notification: req.notification,
        mute_all_members: mute,
        join_option: req.apply_join_option,
        invite_option: req.invite_join_option,
        group_custom_field: req.app_defined_data.map(|l| {
            l.into_iter()
                .map(|kv| json!({ "key": kv.key, "value": kv.value }))
                .collect()
        }),
    };
    crate::group_admin::update_profile(st, &admin(st), update)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct ModifyMember {
    #[serde(rename = "Member_Account", default)]
    member: String,
    #[serde(rename = "Role", default)]
    role: Option<String>,
    #[serde(rename = "NameCard", default)]
    name_card: Option<String>,
    #[serde(rename = "ShutUpTime", default)]
    shut_up_time: Option<u64>,
    #[serde(rename = "MsgFlag", default)]
    msg_flag: Option<String>,
    #[serde(rename = "AppMemberDefinedData", default)]
    app_member_defined_data: Option<Vec<KeyValue>>,
}

fn modify_group_member_info(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: ModifyMember = parse(body, P)?;
    if req.member.is_empty() {
        return Err(required(P, "Member_Account"));
    }
    let a = admin(st);
    if let Some(role) = req.role {
        crate::group_members::set_role(
            st,
            &a,
            SetGroupMemberRole {
                group_id: gid.clone(),
                user_id: req.member.clone(),
                role,
            },
        )?;
    }
    if let Some(name_card) = req.name_card {
        crate::group_members::name_card(
            st,
            &a,
            SetGroupMemberNameCard {
                group_id: gid.clone(),
                user_id: Some(req.member.clone()),
                name_card,
            },
        )?;
    }
    if let Some(mute_time) = req.shut_up_time {
        crate::group_members::mute(
            st,
            &a,
            SetGroupMemberMuteTime {
                group_id: gid.clone(),
                user_id: req.member.clone(),
                mute_time,
            },
        )?;
    }
    if let Some(fields) = req.app_member_defined_data {
        crate::group_members::custom_field(
            st,
            &a,
            SetGroupMemberCustomField {
                group_id: gid.clone(),
                user_id: Some(req.member.clone()),
                member_custom_field: fields
                    .into_iter()
                    .map(|kv| MemberCustomField {
                        key: kv.key,
                        value: kv.value,
                    })
                    .collect(),
            },
        )?;
    }
    if let Some(flag) = req.msg_flag {
        if st.db(|s| s.member(&gid, &req.member))?.is_none() {
            return Err(ImError::new(
                pigeon_proto::group_members::code::MEMBER_NOT_IN_GROUP,
                format!("{} is not a member of group {gid}", req.member),
            ));
        }
        crate::conversations::set_remind_type(
            st,
            &as_user(&req.member),
            SetMessageRemindType {
                group_id: Some(gid),
                user_id_list: None,
                message_remind_type: flag,
            },
        )?;
    }
    Ok(json!({}))
}

/// Dismisses any group (Work groups too, as the administrator may): the members get the
/// DISMISSED system notice and GROUP_LIST_UPDATED, as with dismissGroup.
fn destroy_group(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let g = crate::groups::live(st, &gid)?;
    let members = st.db(|s| s.members(&gid))?;
    st.db(|s| s.dismiss_group(&gid))?;
    for m in members {
        crate::group_admin::system_notice(
            st,
            &m.user_id,
            &g,
            pigeon_proto::group_admin::notice::DISMISSED,
            &st.config.rest_admin,
            "",
        );
        st.push(&m.user_id, &Push::GroupsChanged {}, None);
    }
    Ok(json!({}))
}

#[derive(Deserialize)]
struct ChangeOwner {
    #[serde(rename = "NewOwner_Account", default)]
    new_owner: String,
}

fn change_group_owner(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: ChangeOwner = parse(body, P)?;
    if req.new_owner.is_empty() {
        return Err(required(P, "NewOwner_Account"));
    }
    let g = crate::groups::live(st, &gid)?;
    if g.owner_id == req.new_owner {
        return Ok(json!({}));
    }
    if g.owner_id.is_empty() {
        // No owner to hand over from: the store's swap with an empty old owner only promotes.
        if !st.db(|s| s.change_owner(&gid, "", &req.new_owner, now()))? {
            return Err(ImError::new(
                P,
                format!("{} is not a member of group {gid}", req.new_owner),
            ));
        }
        crate::group_admin::profile_tip(
            st,
            &gid,
            &st.config.rest_admin,
            json!({ "ownerID": req.new_owner }),
        )?;
        return Ok(json!({}));
    }
    // With an owner, the SDK's transfer (checks, tip) acting as that owner.
    let owner = as_user(&g.owner_id);
    crate::group_admin::change_owner(
        st,
        &owner,
        ChangeGroupOwner {
            group_id: gid,
            new_owner_id: req.new_owner,
        },
    )?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct SendGroupMsg {
    #[serde(rename = "From_Account", default)]
    from: Option<String>,
    #[serde(rename = "Random", default)]
    random: Option<u32>,
    #[serde(rename = "MsgPriority", default)]
    msg_priority: Option<String>,
    #[serde(rename = "MsgBody", default)]
    msg_body: Vec<MsgElem>,
    #[serde(rename = "CloudCustomData", default)]
    cloud_custom_data: String,
    #[serde(rename = "OnlineOnlyFlag", default)]
    online_only_flag: u32,
    #[serde(rename = "SendMsgControl", default)]
    send_msg_control: Vec<String>,
    #[serde(rename = "To_Account", default)]
    to_account: Vec<String>,
}

fn send_group_msg(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: SendGroupMsg = parse(body, P)?;
    let from = req
        .from
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| st.config.rest_admin.clone());
    check_user(P, "From_Account", &from)?;
    let random = req.random.ok_or_else(|| required(P, "Random"))?;
    let (kind, payload) = body_to_payload(&req.msg_body, P)?;
    let mut m = super::new_message(
        &from,
        &gid,
        types::CONV_GROUP,
        kind,
        payload,
        random,
        req.cloud_custom_data,
    );
    if let Some(p) = req.msg_priority {
        m.priority = p;
    }
    if !req.to_account.is_empty() {
        m.receiver_list = Some(req.to_account);
    }
    let send = SendMessage {
        message: m,
        online_user_only: req.online_only_flag == 1,
        excluded_from_unread_count: req.send_msg_control.iter().any(|x| x == "NoUnread"),
        excluded_from_last_message: req.send_msg_control.iter().any(|x| x == "NoLastMsg"),
    };
    let r = crate::messages::send_as(st, &as_user(&from), send, true)?;
    Ok(json!({ "MsgTime": r.message.time, "MsgSeq": r.message.sequence, "MsgKey": r.message.id }))
}

#[derive(Deserialize)]
struct ImportedMsg {
    #[serde(rename = "From_Account", default)]
    from: String,
    #[serde(rename = "SendTime", default)]
    send_time: Option<u64>,
    #[serde(rename = "Random", default)]
    random: Option<u32>,
    #[serde(rename = "MsgBody", default)]
    msg_body: Vec<MsgElem>,
    #[serde(rename = "CloudCustomData", default)]
    cloud_custom_data: String,
}

#[derive(Deserialize)]
struct ImportGroupMsg {
    #[serde(rename = "MsgList", default)]
    msg_list: Vec<ImportedMsg>,
}

/// Stores messages in the group's history without pushing them (TencentCloudChat semantics).
fn import_group_msg(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: ImportGroupMsg = parse(body, P)?;
    crate::groups::live(st, &gid)?;
    if req.msg_list.is_empty() || req.msg_list.len() > 20 {
        return Err(ImError::new(P, "MsgList must hold 1 to 20 messages"));
    }
    let mut out = Vec::new();
    for m in req.msg_list {
        let r = (|| {
            check_user(P, "From_Account", &m.from)?;
            let time = m.send_time.ok_or_else(|| required(P, "SendTime"))?;
            let (kind, payload) = body_to_payload(&m.msg_body, P)?;
            let msg = super::new_message(
                &m.from,
                &gid,
                types::CONV_GROUP,
                kind,
                payload,
                m.random.unwrap_or_else(rand::random),
                m.cloud_custom_data.clone(),
            );
            super::openim::imported(st, msg, time)
        })();
        out.push(match r {
            Ok(stored) => json!({ "MsgSeq": stored.sequence, "MsgTime": stored.time, "Result": 0 }),
            Err(e) => json!({ "MsgSeq": 0, "MsgTime": m.send_time.unwrap_or(0), "Result": 1, "ErrorCode": e.code, "ErrorInfo": e.message }),
        });
    }
    Ok(json!({ "ImportMsgResult": out }))
}

#[derive(Deserialize)]
struct SystemNotification {
    #[serde(rename = "ToMembers_Account", default)]
    to_members: Vec<String>,
    #[serde(rename = "Content", default)]
    content: Option<String>,
}

/// A custom group system notice (operationType 255, the text in `userDefinedField`) in each
/// target's `@TIM#SYSTEM` conversation; every member when no target is named.
fn send_group_system_notification(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: SystemNotification = parse(body, P)?;
    let content = req.content.ok_or_else(|| required(P, "Content"))?;
    let g = crate::groups::live(st, &gid)?;
    let members: Vec<String> = st
        .db(|s| s.members(&gid))?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let targets = if req.to_members.is_empty() {
        members
    } else {
        for u in &req.to_members {
            if !members.contains(u) {
                return Err(ImError::new(
                    pigeon_proto::group_members::code::MEMBER_NOT_IN_GROUP,
                    format!("{u} is not a member of group {gid}"),
                ));
            }
        }
        req.to_members
    };
    for to in targets {
        custom_notice(st, &to, &g, &content)?;
    }
    Ok(json!({}))
}

fn custom_notice(st: &AppState, to: &str, g: &Group, content: &str) -> Result<(), ImError> {
    let time = now();
    let random: u32 = rand::random();
    let m = Message {
        id: format!("notice-{}-{to}-{time}-{random}", g.group_id),
        kind: types::MSG_GRP_SYS_NOTICE.to_owned(),
        payload: json!({
            "operationType": NOTICE_CUSTOM,
            "operatorID": st.config.rest_admin,
            "groupProfile": {"groupID": g.group_id, "name": g.name, "type": g.kind},
            "handleMessage": "",
            "userDefinedField": content,
        }),
        conversation_type: types::CONV_SYSTEM.to_owned(),
        to: to.to_owned(),
        from: crate::groups::SYSTEM_SENDER.to_owned(),
        status: pigeon_proto::model::status::SUCCESS.to_owned(),
        priority: types::MSG_PRIORITY_NORMAL.to_owned(),
        random,
        client_time: time,
        ..Default::default()
    };
    let recipient = crate::store::Recipient {
        user_id: to.to_owned(),
        conv_id: types::CONV_SYSTEM.to_owned(),
        counts_unread: true,
        sets_last: true,
        at_type: 0,
    };
    crate::messages::deliver_system(st, &crate::conversations::system_key(to), &m, &[recipient])
}

/// The group message with sequence `seq`.
fn message_at(st: &AppState, gid: &str, seq: u64) -> Result<Option<Message>, ImError> {
    let page = st.db(|s| s.messages_before(&group_key(gid), Some(seq + 1), 0, 1))?;
    Ok(page.into_iter().find(|m| m.sequence == seq))
}

#[derive(Deserialize)]
struct SeqItem {
    #[serde(rename = "MsgSeq")]
    msg_seq: u64,
}

#[derive(Deserialize)]
struct Recall {
    #[serde(rename = "MsgSeqList", default)]
    msg_seq_list: Vec<SeqItem>,
}

fn group_msg_recall(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: Recall = parse(body, P)?;
    crate::groups::live(st, &gid)?;
    if req.msg_seq_list.is_empty() {
        return Err(required(P, "MsgSeqList"));
    }
    let a = admin(st);
    let mut out = Vec::new();
    for item in req.msg_seq_list {
        let r = match message_at(st, &gid, item.msg_seq)? {
            None => Err(ImError::new(
                pigeon_proto::message_ops::code::MSG_NOT_FOUND,
                "no such message",
            )),
            Some(m) => {
                crate::message_ops::revoke(st, &a, RevokeMessage { message_id: m.id }).map(|_| ())
            }
        };
        let code = r.err().map(|e| e.code).unwrap_or(0);
        out.push(json!({ "MsgSeq": item.msg_seq, "RetCode": code }));
    }
    Ok(json!({ "RecallRetList": out }))
}

#[derive(Deserialize)]
struct GetSimple {
    #[serde(rename = "ReqMsgSeq", default)]
    req_msg_seq: Option<u64>,
    #[serde(rename = "ReqMsgNumber", default)]
    req_msg_number: Option<u32>,
}

/// Group history from `ReqMsgSeq` (inclusive; newest when absent) backwards, newest first.
fn group_msg_get_simple(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: GetSimple = parse(body, P)?;
    crate::groups::live(st, &gid)?;
    let n = req
        .req_msg_number
        .ok_or_else(|| required(P, "ReqMsgNumber"))?;
    if n == 0 || n > 20 {
        return Err(ImError::new(P, "ReqMsgNumber is 1 to 20"));
    }
    let before = req.req_msg_seq.map(|s| s + 1);
    let mut page = st.db(|s| s.messages_before(&group_key(&gid), before, 0, n + 1))?;
    let finished = page.len() <= n as usize;
    page.truncate(n as usize);
    let list: Vec<Value> = page
        .iter()
        .map(|m| {
            json!({
                "From_Account": m.from,
                "IsPlaceMsg": u32::from(m.is_revoked || m.is_deleted),
                "IsSystemMsg": u32::from(m.from == crate::groups::SYSTEM_SENDER),
                "MsgBody": payload_to_body(m),
                "MsgPriority": 1,
                "MsgRandom": m.random,
                "MsgSeq": m.sequence,
                "MsgTimeStamp": m.time,
                "CloudCustomData": m.cloud_custom_data,
            })
        })
        .collect();
    Ok(json!({ "GroupId": gid, "IsFinished": u32::from(finished), "RspMsgList": list }))
}

#[derive(Deserialize)]
struct Forbid {
    #[serde(rename = "Members_Account", default)]
    members: Vec<String>,
    #[serde(rename = "MuteTime", alias = "ShutUpTime", default)]
    mute_time: Option<u64>,
}

fn forbid_send_msg(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: Forbid = parse(body, P)?;
    if req.members.is_empty() {
        return Err(required(P, "Members_Account"));
    }
    let mute_time = req.mute_time.ok_or_else(|| required(P, "MuteTime"))?;
    let a = admin(st);
    for u in req.members {
        crate::group_members::mute(
            st,
            &a,
            SetGroupMemberMuteTime {
                group_id: gid.clone(),
                user_id: u,
                mute_time,
            },
        )?;
    }
    Ok(json!({}))
}

fn get_group_shutted_uin(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    crate::groups::live(st, &gid)?;
    let t = now();
    let list: Vec<Value> = st
        .db(|s| s.member_infos(&gid))?
        .into_iter()
        .filter(|i| i.mute_until > t)
        .map(|i| json!({ "Member_Account": i.row.user_id, "ShuttedUntil": i.mute_until }))
        .collect();
    Ok(json!({ "ShuttedUinList": list }))
}

#[derive(Deserialize)]
struct RoleReq {
    #[serde(rename = "User_Account", default)]
    users: Vec<String>,
}

fn get_role_in_group(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: RoleReq = parse(body, P)?;
    if req.users.is_empty() {
        return Err(required(P, "User_Account"));
    }
    let g = crate::groups::live(st, &gid)?;
    let mut out = Vec::new();
    for u in req.users {
        let role = match st.db(|s| s.member(&gid, &u))? {
            Some(row) => role_of(&g, &row),
            None => "NotMember".to_owned(),
        };
        out.push(json!({ "Member_Account": u, "Role": role }));
    }
    Ok(json!({ "UserIdList": out }))
}

#[derive(Deserialize)]
struct Unread {
    #[serde(rename = "Member_Account", default)]
    member: String,
    #[serde(rename = "UnreadMsgNum", default)]
    unread: Option<u64>,
}

/// Sets a member's unread count of the group conversation; their sessions get the updated
/// conversation.
fn set_unread_msg_num(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: Unread = parse(body, P)?;
    if req.member.is_empty() {
        return Err(required(P, "Member_Account"));
    }
    let n = req.unread.ok_or_else(|| required(P, "UnreadMsgNum"))?;
    crate::groups::live(st, &gid)?;
    if st.db(|s| s.member(&gid, &req.member))?.is_none() {
        return Err(ImError::new(
            pigeon_proto::group_members::code::MEMBER_NOT_IN_GROUP,
            format!("{} is not a member of group {gid}", req.member),
        ));
    }
    let conv_id = format!("GROUP{gid}");
    if !st.db(|s| s.set_unread(&req.member, &conv_id, n))? {
        return Err(ImError::new(
            pigeon_proto::error::code::CONV_NOT_FOUND,
            format!("{} has no conversation with group {gid} yet", req.member),
        ));
    }
    if let Some(conversation) = crate::conversations::load(st, &req.member, &conv_id)? {
        st.push(&req.member, &Push::Conversation { conversation }, None);
    }
    Ok(json!({}))
}

#[derive(Deserialize)]
struct BySender {
    #[serde(rename = "Sender_Account", default)]
    sender: String,
}

/// Deletes a sender's messages from the group's history for every member (as deleteMessage
/// does for one user); members' conversations whose last message moved are pushed.
fn delete_group_msg_by_sender(st: &AppState, body: Value) -> Result<Value, ImError> {
    let gid = group_id_of(&body)?;
    let req: BySender = parse(body, P)?;
    if req.sender.is_empty() {
        return Err(required(P, "Sender_Account"));
    }
    crate::groups::live(st, &gid)?;
    let key = group_key(&gid);
    let ids = st.db(|s| s.message_ids_by_sender(&key, &req.sender))?;
    if ids.is_empty() {
        return Ok(json!({}));
    }
    let mut users: Vec<String> = st
        .db(|s| s.members(&gid))?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    if !users.contains(&req.sender) {
        users.push(req.sender.clone());
    }
    let t = now();
    for u in users {
        let cleared = st.db(|s| s.cleared_seq(&u, &key))?;
        let moved = st.db(|s| s.delete_for(&u, &key, &ids, cleared, t))?;
        for conv_id in moved {
            if let Some(conversation) = crate::conversations::load(st, &u, &conv_id)? {
                st.push(&u, &Push::Conversation { conversation }, None);
            }
        }
    }
    Ok(json!({}))
}
