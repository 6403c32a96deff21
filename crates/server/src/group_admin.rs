//! Group administration: profile updates, search, online count, ownership, applications, attributes and counters (issue 6).
//!
//! Profile changes and ownership transfers post a GRP_TIP_GRP_PROFILE_UPDATED tip carrying
//! `newGroupProfile` and refresh every member's group list. Attributes and counters live in
//! their own tables; every change is computed whole here and emitted to every member's sessions
//! (the caller's included). Counter updates happen in one SQL transaction each, so concurrent
//! increments never lose an update. Application notices (MSG_GRP_SYS_NOTICE) go to online
//! sessions only, as the seed describes ("all online admins receive ...").

use crate::conversations::group_key;
use crate::db::{params, Exec, OptionalExtension, TransactionBehavior};
use crate::group_no_permission as no_permission;
use crate::groups::{live, view, SYSTEM_SENDER};
use crate::invalid;
use crate::messages::deliver_system;
use crate::store::{MemberRow, Recipient};
use crate::to_json as to_value;
use crate::{now, validate_user_id, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::group_admin::{
    event, invite_options, notice, ApplicationList, AttributesUpdate, ChangeGroupOwner,
    CounterValue, DecreaseGroupCounter, DeleteGroupAttributes, GetGroupApplicationList,
    GetGroupAttributes, GetGroupCounters, GetGroupOnlineMemberCount, GroupApplication,
    GroupAttributes, GroupCounters, HandleGroupApplication, IncreaseGroupCounter,
    InitGroupAttributes, KeyList, OnlineMemberCount, SearchGroupById, SetGroupAttributes,
    SetGroupCounters, UpdateGroupProfile, MAX_ATTR_KEYS, MAX_ATTR_KEY_BYTES, MAX_ATTR_TOTAL_BYTES,
    MAX_ATTR_VALUE_BYTES, MAX_AVATAR_BYTES, MAX_COUNTER_KEYS, MAX_COUNTER_KEY_BYTES,
    MAX_HANDLE_MESSAGE_BYTES, MAX_NAME_BYTES, MAX_TEXT_BYTES,
};
use pigeon_proto::model::{Group, Message};
use pigeon_proto::wire::{GroupReply, Op, Push};
use pigeon_proto::ImError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Operation type of a group-profile tip (`TYPES.GRP_TIP_GRP_PROFILE_UPDATED`).
const GRP_TIP_GRP_PROFILE_UPDATED: u32 = 6;

type Result<T> = std::result::Result<T, ImError>;

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(st: &AppState, c: &Caller, op: &str, data: &Value) -> Option<Result<Value>> {
    let d = data.clone();
    let out = match op {
        UpdateGroupProfile::NAME => UpdateGroupProfile::parse(d)
            .and_then(|r| update_profile(st, c, r))
            .and_then(to_value),
        SearchGroupById::NAME => SearchGroupById::parse(d)
            .and_then(|r| search(st, c, &r.0.group_id))
            .and_then(to_value),
        GetGroupOnlineMemberCount::NAME => GetGroupOnlineMemberCount::parse(d)
            .and_then(|r| online_count(st, c, &r.0.group_id))
            .and_then(to_value),
        ChangeGroupOwner::NAME => ChangeGroupOwner::parse(d)
            .and_then(|r| change_owner(st, c, r))
            .and_then(to_value),
        GetGroupApplicationList::NAME => GetGroupApplicationList::parse(d)
            .and_then(|_| applications(st, c))
            .and_then(to_value),
        HandleGroupApplication::NAME => HandleGroupApplication::parse(d)
            .and_then(|r| handle_application(st, c, r))
            .and_then(to_value),
        InitGroupAttributes::NAME => InitGroupAttributes::parse(d)
            .and_then(|r| write_attributes(st, c, &r.group_id, r.group_attributes, true))
            .and_then(to_value),
        SetGroupAttributes::NAME => SetGroupAttributes::parse(d)
            .and_then(|r| write_attributes(st, c, &r.group_id, r.group_attributes, false))
            .and_then(to_value),
        DeleteGroupAttributes::NAME => DeleteGroupAttributes::parse(d)
            .and_then(|r| delete_attributes(st, c, r))
            .and_then(to_value),
        GetGroupAttributes::NAME => GetGroupAttributes::parse(d)
            .and_then(|r| get_attributes(st, c, r))
            .and_then(to_value),
        SetGroupCounters::NAME => SetGroupCounters::parse(d)
            .and_then(|r| set_counters(st, c, r))
            .and_then(to_value),
        IncreaseGroupCounter::NAME => IncreaseGroupCounter::parse(d)
            .and_then(|r| add_counter(st, c, &r.group_id, &r.key, r.value, false))
            .and_then(to_value),
        DecreaseGroupCounter::NAME => DecreaseGroupCounter::parse(d)
            .and_then(|r| add_counter(st, c, &r.group_id, &r.key, r.value, true))
            .and_then(to_value),
        GetGroupCounters::NAME => GetGroupCounters::parse(d)
            .and_then(|r| get_counters(st, c, r))
            .and_then(to_value),
        _ => return None,
    };
    Some(out)
}

fn not_found(group_id: &str) -> ImError {
    ImError::new(
        code::GROUP_NOT_FOUND,
        format!("group {group_id} does not exist"),
    )
}

fn check_len(what: &str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(invalid(format!(
            "{what} is {} bytes, over the {max}-byte limit",
            value.len()
        )));
    }
    Ok(())
}

/// The live group, with the mute-all flag the shared store row does not carry.
fn live_group(st: &AppState, group_id: &str) -> Result<Group> {
    if group_id.is_empty() {
        return Err(invalid("groupID is required"));
    }
    let mut g = live(st, group_id)?;
    g.mute_all_members = st.db(|s| s.mute_all(group_id))?;
    Ok(g)
}

/// The group as `user` sees it, with the mute-all flag.
fn group_view(st: &AppState, group_id: &str, user: &str) -> Result<Group> {
    let mut g = view(st, group_id, user)?.ok_or_else(|| not_found(group_id))?;
    g.mute_all_members = st.db(|s| s.mute_all(group_id))?;
    Ok(g)
}

/// The caller's role in the group, or 10007 when they are not a member.
fn member_role(st: &AppState, g: &Group, user: &str) -> Result<String> {
    // The app administrator (REST API) may do anything the owner may.
    if crate::rest::is_admin(st, user) {
        return Ok(types::GRP_MBR_ROLE_OWNER.to_owned());
    }
    match st.db(|s| s.member(&g.group_id, user))? {
        Some(m) => Ok(m.role),
        None => Err(no_permission(format!(
            "{user} is not a member of group {}",
            g.group_id
        ))),
    }
}

/// 10007 unless `user` is the group's owner (by the group row or their role) or an admin.
fn require_admin(st: &AppState, g: &Group, user: &str, what: &str) -> Result<()> {
    // An AVChatRoom's creator owns it without a member row (they join as a plain member).
    if !g.owner_id.is_empty() && g.owner_id == user {
        return Ok(());
    }
    let role = member_role(st, g, user)?;
    if role == types::GRP_MBR_ROLE_OWNER || role == types::GRP_MBR_ROLE_ADMIN {
        Ok(())
    } else {
        Err(no_permission(format!(
            "only the owner or an admin can {what}"
        )))
    }
}

/// Sends an event to every session of every member of the group.
fn emit_members(st: &AppState, group_id: &str, name: &str, data: &Value) -> Result<()> {
    for m in st.db(|s| s.members(group_id))? {
        st.emit_to(&m.user_id, name, data.clone(), None);
    }
    Ok(())
}

/// Posts a GRP_TIP_GRP_PROFILE_UPDATED tip carrying `new_profile` and refreshes every member's
/// group list (the shared tip helper has no room for `newGroupProfile`).
pub(crate) fn profile_tip(
    st: &AppState,
    group_id: &str,
    operator: &str,
    new_profile: Value,
) -> Result<()> {
    let members = st.db(|s| s.members(group_id))?;
    let conv_id = format!("GROUP{group_id}");
    let recips: Vec<Recipient> = members
        .iter()
        .map(|m| Recipient {
            user_id: m.user_id.clone(),
            conv_id: conv_id.clone(),
            counts_unread: false,
            sets_last: true,
            at_type: 0,
        })
        .collect();
    let time = now();
    let random: u32 = rand::random();
    let m = Message {
        id: format!("tip-{group_id}-{time}-{random}"),
        kind: types::MSG_GRP_TIP.to_owned(),
        payload: json!({
            "operatorID": operator,
            "operationType": GRP_TIP_GRP_PROFILE_UPDATED,
            "userIDList": [],
            "newGroupProfile": new_profile,
        }),
        conversation_type: types::CONV_GROUP.to_owned(),
        to: group_id.to_owned(),
        from: SYSTEM_SENDER.to_owned(),
        status: pigeon_proto::model::status::SUCCESS.to_owned(),
        priority: types::MSG_PRIORITY_NORMAL.to_owned(),
        random,
        client_time: time,
        ..Default::default()
    };
    if !recips.is_empty() {
        deliver_system(st, &group_key(group_id), &m, &recips)?;
    }
    for mem in &members {
        st.push(&mem.user_id, &Push::GroupsChanged {}, None);
    }
    Ok(())
}

/// Stores a group system notice (MSG_GRP_SYS_NOTICE) in `to`'s `@TIM#SYSTEM` conversation and
/// delivers it (MESSAGE_RECEIVED). A failure is logged: the action it reports has happened.
pub fn system_notice(st: &AppState, to: &str, g: &Group, op_type: u32, operator: &str, text: &str) {
    let time = now();
    let random: u32 = rand::random();
    let m = Message {
        id: format!("notice-{}-{to}-{time}-{random}", g.group_id),
        kind: types::MSG_GRP_SYS_NOTICE.to_owned(),
        payload: json!({
            "operationType": op_type,
            "operatorID": operator,
            "groupProfile": {"groupID": g.group_id, "name": g.name, "type": g.kind},
            "handleMessage": text,
        }),
        conversation_type: types::CONV_SYSTEM.to_owned(),
        to: to.to_owned(),
        from: SYSTEM_SENDER.to_owned(),
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
    let key = crate::conversations::system_key(to);
    if let Err(e) = crate::messages::deliver_system(st, &key, &m, &[recipient]) {
        tracing::warn!(error = %e, "could not deliver a group system notice");
    }
}

/// Tells the owner and admins of `group_id` (online sessions) that `applicant` applied to join
/// with `note`. Meant to be called by `joinGroup` after it stores a NeedPermission application.
pub fn notify_application(
    st: &AppState,
    group_id: &str,
    applicant: &str,
    note: &str,
) -> Result<()> {
    let g = live(st, group_id)?;
    for m in st.db(|s| s.members(group_id))? {
        if m.role == types::GRP_MBR_ROLE_OWNER || m.role == types::GRP_MBR_ROLE_ADMIN {
            system_notice(st, &m.user_id, &g, notice::APPLY, applicant, note);
        }
    }
    Ok(())
}

/// A `{key, value}` custom field with a string key the server enabled and a string value.
pub(crate) fn custom_field(st: &AppState, v: &Value) -> Result<(String, String)> {
    let key = v.get("key").and_then(Value::as_str).unwrap_or_default();
    let Some(value) = v.get("value").and_then(Value::as_str) else {
        return Err(invalid(
            "groupCustomField items are {key, value} with string values",
        ));
    };
    if key.is_empty() {
        return Err(invalid(
            "groupCustomField items need a non-empty string key",
        ));
    }
    check_len("groupCustomField key", key, 16)?;
    check_len("groupCustomField value", value, 4096)?;
    if !st.config.group_custom_fields.iter().any(|k| k == key) {
        return Err(invalid(format!(
            "group custom field {key:?} is not enabled on this server (group_custom_fields)"
        )));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// Implements `updateGroupProfile`: owner or admin; only the fields given change.
pub fn update_profile(st: &AppState, c: &Caller, req: UpdateGroupProfile) -> Result<GroupReply> {
    let g = live_group(st, &req.group_id)?;
    require_admin(st, &g, &c.user_id, "update the group profile")?;
    let mut change = ProfileChange::default();
    let mut new_profile = Map::new();
    if let Some(name) = req.name {
        if name.trim().is_empty() {
            return Err(invalid("name cannot be empty"));
        }
        check_len("name", &name, MAX_NAME_BYTES)?;
        new_profile.insert("name".into(), name.clone().into());
        change.name = Some(name);
    }
    if let Some(avatar) = req.avatar {
        check_len("avatar", &avatar, MAX_AVATAR_BYTES)?;
        new_profile.insert("avatar".into(), avatar.clone().into());
        change.avatar = Some(avatar);
    }
    if let Some(intro) = req.introduction {
        check_len("introduction", &intro, MAX_TEXT_BYTES)?;
        new_profile.insert("introduction".into(), intro.clone().into());
        change.introduction = Some(intro);
    }
    if let Some(notification) = req.notification {
        check_len("notification", &notification, MAX_TEXT_BYTES)?;
        new_profile.insert("notification".into(), notification.clone().into());
        change.notification = Some(notification);
    }
    if let Some(mute) = req.mute_all_members {
        new_profile.insert("muteAllMembers".into(), mute.into());
        change.mute_all = Some(mute);
    }
    if let Some(opt) = req.join_option {
        if g.kind != types::GRP_PUBLIC && g.kind != types::GRP_COMMUNITY {
            return Err(invalid(format!(
                "joinOption cannot be changed for {} groups",
                g.kind
            )));
        }
        if ![
            types::JOIN_OPTIONS_FREE_ACCESS,
            types::JOIN_OPTIONS_NEED_PERMISSION,
            types::JOIN_OPTIONS_DISABLE_APPLY,
        ]
        .contains(&opt.as_str())
        {
            return Err(invalid(format!("unknown joinOption {opt:?}")));
        }
        new_profile.insert("joinOption".into(), opt.clone().into());
        change.join_option = Some(opt);
    }
    if let Some(opt) = req.invite_option {
        if g.kind == types::GRP_AVCHATROOM {
            return Err(invalid("inviteOption cannot be set for AVChatRoom groups"));
        }
        if ![
            invite_options::FREE_ACCESS,
            invite_options::NEED_PERMISSION,
            types::INVITE_OPTIONS_DISABLE_INVITE,
        ]
        .contains(&opt.as_str())
        {
            return Err(invalid(format!("unknown inviteOption {opt:?}")));
        }
        new_profile.insert("inviteOption".into(), opt.clone().into());
        change.invite_option = Some(opt);
    }
    if let Some(fields) = req.group_custom_field {
        if fields.is_empty() {
            return Err(invalid("groupCustomField is empty"));
        }
        let mut merged = g.group_custom_field.clone();
        for f in &fields {
            let (key, value) = custom_field(st, f)?;
            let item = json!({"key": key, "value": value});
            match merged
                .iter_mut()
                .find(|m| m.get("key").and_then(Value::as_str) == Some(key.as_str()))
            {
                Some(slot) => *slot = item,
                None => merged.push(item),
            }
        }
        new_profile.insert("groupCustomField".into(), Value::Array(fields));
        change.custom_fields = Some(merged);
    }
    if new_profile.is_empty() {
        return Err(invalid("updateGroupProfile: nothing to update"));
    }
    st.db(|s| s.update_group_profile(&g.group_id, &change, now()))?;
    profile_tip(st, &g.group_id, &c.user_id, Value::Object(new_profile))?;
    Ok(GroupReply {
        group: group_view(st, &g.group_id, &c.user_id)?,
    })
}

/// Implements `searchGroupByID`: any live group but Work groups, which cannot be found.
pub fn search(st: &AppState, c: &Caller, group_id: &str) -> Result<GroupReply> {
    let g = live_group(st, group_id)?;
    if g.kind == types::GRP_WORK {
        return Err(not_found(group_id));
    }
    Ok(GroupReply {
        group: group_view(st, group_id, &c.user_id)?,
    })
}

/// Implements `getGroupOnlineMemberCount`: members with a live session (members only).
pub fn online_count(st: &AppState, c: &Caller, group_id: &str) -> Result<OnlineMemberCount> {
    let g = live_group(st, group_id)?;
    member_role(st, &g, &c.user_id)?;
    let members = st.db(|s| s.members(group_id))?;
    let ids: Vec<String> = members.into_iter().map(|m| m.user_id).collect();
    let member_count = st.bus.online_among(&ids).len() as u64;
    Ok(OnlineMemberCount { member_count })
}

/// Implements `changeGroupOwner`: owner only, to a member, never for AVChatRooms.
pub fn change_owner(st: &AppState, c: &Caller, req: ChangeGroupOwner) -> Result<GroupReply> {
    validate_user_id("newOwnerID", &req.new_owner_id)?;
    let g = live_group(st, &req.group_id)?;
    if g.kind == types::GRP_AVCHATROOM {
        return Err(no_permission("AVChatRoom ownership cannot be transferred"));
    }
    if member_role(st, &g, &c.user_id)? != types::GRP_MBR_ROLE_OWNER {
        return Err(no_permission("only the owner can transfer the group"));
    }
    if req.new_owner_id == c.user_id {
        return Err(invalid("newOwnerID is already the owner"));
    }
    if !st.db(|s| s.change_owner(&g.group_id, &c.user_id, &req.new_owner_id, now()))? {
        return Err(invalid(format!(
            "newOwnerID {} is not a member of group {}",
            req.new_owner_id, g.group_id
        )));
    }
    profile_tip(
        st,
        &g.group_id,
        &c.user_id,
        json!({"ownerID": req.new_owner_id}),
    )?;
    Ok(GroupReply {
        group: group_view(st, &g.group_id, &c.user_id)?,
    })
}

/// Implements `getGroupApplicationList`: pending applications to the caller's groups (as owner
/// or admin).
pub fn applications(st: &AppState, c: &Caller) -> Result<ApplicationList> {
    let mut application_list = st.db(|s| s.applications_for(&c.user_id))?;
    let mut ids: Vec<String> = application_list
        .iter()
        .map(|a| a.applicant.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let profiles = st.db(|s| s.load_profiles(&ids))?;
    for a in &mut application_list {
        if let Some(p) = profiles.iter().find(|p| p.user_id == a.applicant) {
            a.applicant_nick = p.nick.clone();
        }
    }
    Ok(ApplicationList { application_list })
}

/// Implements `handleGroupApplication`: owner or admin; each application is handled once.
pub fn handle_application(
    st: &AppState,
    c: &Caller,
    req: HandleGroupApplication,
) -> Result<GroupReply> {
    let agree = match req.handle_action.as_str() {
        "Agree" => true,
        "Reject" => false,
        other => {
            return Err(invalid(format!(
                "handleAction is Agree or Reject, not {other:?}"
            )))
        }
    };
    validate_user_id("applicant", &req.applicant)?;
    check_len(
        "handleMessage",
        &req.handle_message,
        MAX_HANDLE_MESSAGE_BYTES,
    )?;
    let g = live_group(st, &req.group_id)?;
    require_admin(st, &g, &c.user_id, "handle applications")?;
    let member = agree.then(|| MemberRow {
        user_id: req.applicant.clone(),
        role: types::GRP_MBR_ROLE_MEMBER.to_owned(),
        join_time: now(),
        name_card: String::new(),
    });
    match st.db(|s| {
        s.take_application(
            &g.group_id,
            &req.applicant,
            member.as_ref(),
            g.max_member_count,
        )
    })? {
        Taken::Done => {}
        Taken::Missing => {
            return Err(invalid(format!(
                "no pending application from {} to group {} (already handled?)",
                req.applicant, g.group_id
            )))
        }
        Taken::Full => {
            return Err(ImError::new(
                code::GROUP_FULL,
                format!("group {} is full", g.group_id),
            ))
        }
    }
    if agree {
        crate::webhooks::members_joined(st, c, &g, "Apply", std::slice::from_ref(&req.applicant));
        crate::groups::tip(
            st,
            &g.group_id,
            &c.user_id,
            types::GRP_TIP_MBR_JOIN,
            vec![req.applicant.clone()],
            std::slice::from_ref(&req.applicant),
        )?;
    }
    let op = if agree {
        notice::ACCEPTED
    } else {
        notice::REFUSED
    };
    system_notice(st, &req.applicant, &g, op, &c.user_id, &req.handle_message);
    Ok(GroupReply {
        group: group_view(st, &g.group_id, &c.user_id)?,
    })
}

/// Checks an attribute set against the seed's limits.
fn check_attributes(attrs: &BTreeMap<String, String>) -> Result<()> {
    if attrs.len() > MAX_ATTR_KEYS {
        return Err(invalid(format!(
            "a group holds at most {MAX_ATTR_KEYS} attributes"
        )));
    }
    let mut total = 0;
    for (k, v) in attrs {
        if k.is_empty() {
            return Err(invalid("attribute keys cannot be empty"));
        }
        check_len("attribute key", k, MAX_ATTR_KEY_BYTES)?;
        check_len(&format!("attribute {k:?}"), v, MAX_ATTR_VALUE_BYTES)?;
        total += k.len() + v.len();
    }
    if total > MAX_ATTR_TOTAL_BYTES {
        return Err(invalid(format!(
            "group attributes total {total} bytes, over the {MAX_ATTR_TOTAL_BYTES}-byte limit"
        )));
    }
    Ok(())
}

/// Implements `initGroupAttributes` (`replace`) and `setGroupAttributes`: members only.
pub fn write_attributes(
    st: &AppState,
    c: &Caller,
    group_id: &str,
    attrs: BTreeMap<String, String>,
    replace: bool,
) -> Result<GroupAttributes> {
    check_attributes(&attrs)?;
    if !replace && attrs.is_empty() {
        return Err(invalid("groupAttributes is empty"));
    }
    let g = live_group(st, group_id)?;
    member_role(st, &g, &c.user_id)?;
    let all = st
        .db(|s| s.write_attributes(group_id, &attrs, replace))?
        .ok_or_else(|| {
            invalid(format!(
                "the group's attributes would exceed {MAX_ATTR_KEYS} keys or {MAX_ATTR_TOTAL_BYTES} bytes"
            ))
        })?;
    let data = to_value(AttributesUpdate {
        group_id: group_id.to_owned(),
        group_attributes: all,
    })?;
    emit_members(st, group_id, event::GROUP_ATTRIBUTES_UPDATED, &data)?;
    Ok(GroupAttributes {
        group_attributes: attrs,
    })
}

/// Implements `deleteGroupAttributes`: members only; an empty keyList deletes all.
pub fn delete_attributes(st: &AppState, c: &Caller, req: DeleteGroupAttributes) -> Result<KeyList> {
    if req.key_list.iter().any(String::is_empty) {
        return Err(invalid("keyList holds non-empty keys"));
    }
    let g = live_group(st, &req.group_id)?;
    member_role(st, &g, &c.user_id)?;
    let (key_list, rest) = st.db(|s| s.delete_attributes(&g.group_id, &req.key_list))?;
    if !key_list.is_empty() {
        let data = to_value(AttributesUpdate {
            group_id: g.group_id.clone(),
            group_attributes: rest,
        })?;
        emit_members(st, &g.group_id, event::GROUP_ATTRIBUTES_UPDATED, &data)?;
    }
    Ok(KeyList { key_list })
}

/// Implements `getGroupAttributes`: members only; an empty keyList gets all.
pub fn get_attributes(
    st: &AppState,
    c: &Caller,
    req: GetGroupAttributes,
) -> Result<GroupAttributes> {
    let g = live_group(st, &req.group_id)?;
    member_role(st, &g, &c.user_id)?;
    let mut group_attributes = st.db(|s| s.attributes(&g.group_id))?;
    if !req.key_list.is_empty() {
        group_attributes.retain(|k, _| req.key_list.contains(k));
    }
    Ok(GroupAttributes { group_attributes })
}

fn check_counter_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid("counter keys cannot be empty"));
    }
    check_len("counter key", key, MAX_COUNTER_KEY_BYTES)
}

fn emit_counter(st: &AppState, group_id: &str, key: &str, value: i64) -> Result<()> {
    let data = to_value(CounterValue {
        group_id: group_id.to_owned(),
        key: key.to_owned(),
        value,
    })?;
    emit_members(st, group_id, event::GROUP_COUNTER_UPDATED, &data)
}

/// Implements `setGroupCounters`: members only.
pub fn set_counters(st: &AppState, c: &Caller, req: SetGroupCounters) -> Result<GroupCounters> {
    if req.counters.is_empty() {
        return Err(invalid("counters is empty"));
    }
    if req.counters.len() > MAX_COUNTER_KEYS {
        return Err(invalid(format!(
            "a group holds at most {MAX_COUNTER_KEYS} counters"
        )));
    }
    for k in req.counters.keys() {
        check_counter_key(k)?;
    }
    let g = live_group(st, &req.group_id)?;
    member_role(st, &g, &c.user_id)?;
    if !st.db(|s| s.set_counters(&g.group_id, &req.counters))? {
        return Err(invalid(format!(
            "a group holds at most {MAX_COUNTER_KEYS} counters"
        )));
    }
    for (k, v) in &req.counters {
        emit_counter(st, &g.group_id, k, *v)?;
    }
    Ok(GroupCounters {
        counters: req.counters,
    })
}

/// Implements `increaseGroupCounter` and (`decrease`) `decreaseGroupCounter`: members only;
/// the change is one SQL transaction, so concurrent calls all count.
pub fn add_counter(
    st: &AppState,
    c: &Caller,
    group_id: &str,
    key: &str,
    value: i64,
    decrease: bool,
) -> Result<CounterValue> {
    check_counter_key(key)?;
    if value < 0 {
        return Err(invalid(
            "value is the amount of change and cannot be negative",
        ));
    }
    let g = live_group(st, group_id)?;
    member_role(st, &g, &c.user_id)?;
    let delta = if decrease { -value } else { value };
    let new = match st.db(|s| s.add_counter(group_id, key, delta))? {
        Added::Value(v) => v,
        Added::Overflow => {
            return Err(invalid(format!(
                "counter {key:?} would overflow a 64-bit integer"
            )))
        }
        Added::TooMany => {
            return Err(invalid(format!(
                "a group holds at most {MAX_COUNTER_KEYS} counters"
            )))
        }
    };
    emit_counter(st, group_id, key, new)?;
    Ok(CounterValue {
        group_id: group_id.to_owned(),
        key: key.to_owned(),
        value: new,
    })
}

/// Implements `getGroupCounters`: members only; no keyList (or an empty one) gets all.
pub fn get_counters(st: &AppState, c: &Caller, req: GetGroupCounters) -> Result<GroupCounters> {
    let g = live_group(st, &req.group_id)?;
    member_role(st, &g, &c.user_id)?;
    let mut counters = st.db(|s| s.counters(&g.group_id))?;
    if !req.key_list.is_empty() {
        counters.retain(|k, _| req.key_list.contains(k));
    }
    Ok(GroupCounters { counters })
}

/// The profile fields an `updateGroupProfile` sets (None: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    /// New name.
    pub name: Option<String>,
    /// New avatar.
    pub avatar: Option<String>,
    /// New introduction.
    pub introduction: Option<String>,
    /// New notification.
    pub notification: Option<String>,
    /// New mute-all flag.
    pub mute_all: Option<bool>,
    /// New join option.
    pub join_option: Option<String>,
    /// New invite option.
    pub invite_option: Option<String>,
    /// The whole custom field list after the merge.
    pub custom_fields: Option<Vec<Value>>,
}

/// Outcome of [`GroupAdminStore::take_application`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Handled (and the applicant added when agreed).
    Done,
    /// No such pending application.
    Missing,
    /// Agreeing would overfill the group; nothing changed.
    Full,
}

/// Outcome of [`GroupAdminStore::add_counter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The counter's new value.
    Value(i64),
    /// The result would not fit in an i64; nothing changed.
    Overflow,
    /// A new counter would exceed the per-group limit; nothing changed.
    TooMany,
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait GroupAdminStore {
    /// Whether the group mutes everyone but owner and admins.
    fn mute_all(&self, group_id: &str) -> crate::store::Result<bool>;
    /// Applies `change` to the group row, bumping its info sequence and time.
    fn update_group_profile(
        &self,
        group_id: &str,
        change: &ProfileChange,
        time: u64,
    ) -> crate::store::Result<()>;
    /// Makes member `new` the owner and `old` a member; false (nothing changed) when `new` is
    /// not a member.
    fn change_owner(
        &self,
        group_id: &str,
        old: &str,
        new: &str,
        time: u64,
    ) -> crate::store::Result<bool>;
    /// Pending applications to live groups where `user_id` is owner or admin, oldest first
    /// (applicantNick left empty).
    fn applications_for(&self, user_id: &str) -> crate::store::Result<Vec<GroupApplication>>;
    /// Removes the pending application of `applicant`, adding `member` when given unless the
    /// group already has `max` members; one transaction.
    fn take_application(
        &self,
        group_id: &str,
        applicant: &str,
        member: Option<&MemberRow>,
        max: u64,
    ) -> crate::store::Result<Taken>;
    /// Replaces (`replace`) or merges the attributes; the whole set after, or None (nothing
    /// changed) when it would break the seed's limits.
    fn write_attributes(
        &self,
        group_id: &str,
        attrs: &BTreeMap<String, String>,
        replace: bool,
    ) -> crate::store::Result<Option<BTreeMap<String, String>>>;
    /// Deletes `keys` (empty: all); the keys deleted and the set left.
    #[allow(clippy::type_complexity)]
    fn delete_attributes(
        &self,
        group_id: &str,
        keys: &[String],
    ) -> crate::store::Result<(Vec<String>, BTreeMap<String, String>)>;
    /// The group's attributes.
    fn attributes(&self, group_id: &str) -> crate::store::Result<BTreeMap<String, String>>;
    /// Sets counters; false (nothing changed) when the group would hold too many.
    fn set_counters(
        &self,
        group_id: &str,
        counters: &BTreeMap<String, i64>,
    ) -> crate::store::Result<bool>;
    /// Adds `delta` to a counter (created at 0) in one transaction.
    fn add_counter(&self, group_id: &str, key: &str, delta: i64) -> crate::store::Result<Added>;
    /// The group's counters.
    fn counters(&self, group_id: &str) -> crate::store::Result<BTreeMap<String, i64>>;
}

fn attrs_of(conn: &impl Exec, group_id: &str) -> crate::db::Result<BTreeMap<String, String>> {
    let mut stmt =
        conn.prepare_cached("SELECT key, value FROM group_attributes WHERE group_id = ?1")?;
    let rows = stmt.query_map([group_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn counters_of(conn: &impl Exec, group_id: &str) -> crate::db::Result<BTreeMap<String, i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT key, value FROM group_counters WHERE group_id = ?1")?;
    let rows = stmt.query_map([group_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn attrs_fit(all: &BTreeMap<String, String>) -> bool {
    all.len() <= MAX_ATTR_KEYS
        && all.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() <= MAX_ATTR_TOTAL_BYTES
}

impl GroupAdminStore for crate::store::SqliteStore {
    fn mute_all(&self, group_id: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT mute_all FROM groups WHERE group_id = ?1",
                    [group_id],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(false))
        })
    }

    fn update_group_profile(
        &self,
        group_id: &str,
        ch: &ProfileChange,
        time: u64,
    ) -> crate::store::Result<()> {
        self.with(|conn| {
            let fields = match &ch.custom_fields {
                Some(f) => Some(serde_json::to_string(f)?),
                None => None,
            };
            conn.execute(
                "UPDATE groups SET
                   name = COALESCE(?2, name),
                   avatar = COALESCE(?3, avatar),
                   introduction = COALESCE(?4, introduction),
                   notification = COALESCE(?5, notification),
                   mute_all = COALESCE(?6, mute_all),
                   join_option = COALESCE(?7, join_option),
                   invite_option = COALESCE(?8, invite_option),
                   custom_fields = COALESCE(?9, custom_fields),
                   info_seq = info_seq + 1,
                   last_info_time = ?10
                 WHERE group_id = ?1",
                params![
                    group_id,
                    ch.name,
                    ch.avatar,
                    ch.introduction,
                    ch.notification,
                    ch.mute_all,
                    ch.join_option,
                    ch.invite_option,
                    fields,
                    time
                ],
            )?;
            Ok(())
        })
    }

    fn change_owner(
        &self,
        group_id: &str,
        old: &str,
        new: &str,
        time: u64,
    ) -> crate::store::Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE group_members SET role = ?3 WHERE group_id = ?1 AND user_id = ?2",
                params![group_id, new, types::GRP_MBR_ROLE_OWNER],
            )?;
            if n == 0 {
                return Ok(false);
            }
            tx.execute(
                "UPDATE group_members SET role = ?3 WHERE group_id = ?1 AND user_id = ?2",
                params![group_id, old, types::GRP_MBR_ROLE_MEMBER],
            )?;
            tx.execute(
                "UPDATE groups SET owner_id = ?2, info_seq = info_seq + 1, last_info_time = ?3
                 WHERE group_id = ?1",
                params![group_id, new, time],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn applications_for(&self, user_id: &str) -> crate::store::Result<Vec<GroupApplication>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT a.user_id, a.group_id, g.name, a.message, a.time
                 FROM group_applications a
                 JOIN groups g ON g.group_id = a.group_id AND g.dismissed = 0
                 JOIN group_members m ON m.group_id = a.group_id AND m.user_id = ?1
                 WHERE m.role IN (?2, ?3)
                 ORDER BY a.time, a.group_id, a.user_id",
            )?;
            let rows = stmt.query_map(
                params![
                    user_id,
                    types::GRP_MBR_ROLE_OWNER,
                    types::GRP_MBR_ROLE_ADMIN
                ],
                |r| {
                    Ok(GroupApplication {
                        applicant: r.get(0)?,
                        group_id: r.get(1)?,
                        group_name: r.get(2)?,
                        note: r.get(3)?,
                        time: r.get(4)?,
                        ..Default::default()
                    })
                },
            )?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn take_application(
        &self,
        group_id: &str,
        applicant: &str,
        member: Option<&MemberRow>,
        max: u64,
    ) -> crate::store::Result<Taken> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "DELETE FROM group_applications WHERE group_id = ?1 AND user_id = ?2",
                [group_id, applicant],
            )?;
            if n == 0 {
                return Ok(Taken::Missing);
            }
            if let Some(m) = member {
                let count: u64 = tx.query_row(
                    "SELECT COUNT(*) FROM group_members WHERE group_id = ?1",
                    [group_id],
                    |r| r.get(0),
                )?;
                if count >= max {
                    // Dropping the transaction rolls the delete back: the application stays.
                    return Ok(Taken::Full);
                }
                tx.execute(
                    "INSERT OR IGNORE INTO group_members (group_id, user_id, role, join_time, name_card)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![group_id, m.user_id, m.role, m.join_time, m.name_card],
                )?;
            }
            tx.commit()?;
            Ok(Taken::Done)
        })
    }

    fn write_attributes(
        &self,
        group_id: &str,
        attrs: &BTreeMap<String, String>,
        replace: bool,
    ) -> crate::store::Result<Option<BTreeMap<String, String>>> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut all = if replace {
                BTreeMap::new()
            } else {
                attrs_of(&tx, group_id)?
            };
            all.extend(attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
            if !attrs_fit(&all) {
                return Ok(None);
            }
            if replace {
                tx.execute(
                    "DELETE FROM group_attributes WHERE group_id = ?1",
                    [group_id],
                )?;
            }
            for (k, v) in attrs {
                tx.execute(
                    "INSERT INTO group_attributes (group_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(group_id, key) DO UPDATE SET value = excluded.value",
                    params![group_id, k, v],
                )?;
            }
            tx.commit()?;
            Ok(Some(all))
        })
    }

    fn delete_attributes(
        &self,
        group_id: &str,
        keys: &[String],
    ) -> crate::store::Result<(Vec<String>, BTreeMap<String, String>)> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut all = attrs_of(&tx, group_id)?;
            let deleted: Vec<String> = if keys.is_empty() {
                all.keys().cloned().collect()
            } else {
                let mut d: Vec<String> = keys
                    .iter()
                    .filter(|k| all.contains_key(*k))
                    .cloned()
                    .collect();
                d.sort();
                d.dedup();
                d
            };
            for k in &deleted {
                tx.execute(
                    "DELETE FROM group_attributes WHERE group_id = ?1 AND key = ?2",
                    [group_id, k],
                )?;
                all.remove(k);
            }
            tx.commit()?;
            Ok((deleted, all))
        })
    }

    fn attributes(&self, group_id: &str) -> crate::store::Result<BTreeMap<String, String>> {
        self.with(|conn| Ok(attrs_of(conn, group_id)?))
    }

    fn set_counters(
        &self,
        group_id: &str,
        counters: &BTreeMap<String, i64>,
    ) -> crate::store::Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing = counters_of(&tx, group_id)?;
            let new_keys = counters
                .keys()
                .filter(|k| !existing.contains_key(*k))
                .count();
            if existing.len() + new_keys > MAX_COUNTER_KEYS {
                return Ok(false);
            }
            for (k, v) in counters {
                tx.execute(
                    "INSERT INTO group_counters (group_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(group_id, key) DO UPDATE SET value = excluded.value",
                    params![group_id, k, v],
                )?;
            }
            tx.commit()?;
            Ok(true)
        })
    }

    fn add_counter(&self, group_id: &str, key: &str, delta: i64) -> crate::store::Result<Added> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: Option<i64> = tx
                .query_row(
                    "SELECT value FROM group_counters WHERE group_id = ?1 AND key = ?2",
                    [group_id, key],
                    |r| r.get(0),
                )
                .optional()?;
            match current {
                None => {
                    let count: usize = tx.query_row(
                        "SELECT COUNT(*) FROM group_counters WHERE group_id = ?1",
                        [group_id],
                        |r| r.get(0),
                    )?;
                    if count >= MAX_COUNTER_KEYS {
                        return Ok(Added::TooMany);
                    }
                }
                Some(v) if v.checked_add(delta).is_none() => return Ok(Added::Overflow),
                Some(_) => {}
            }
            // The increment itself is done by SQL on the stored value, inside the transaction.
            let value: i64 = tx.query_row(
                "INSERT INTO group_counters (group_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(group_id, key) DO UPDATE SET value = group_counters.value + excluded.value
                 RETURNING value",
                params![group_id, key, delta],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(Added::Value(value))
        })
    }

    fn counters(&self, group_id: &str) -> crate::store::Result<BTreeMap<String, i64>> {
        self.with(|conn| Ok(counters_of(conn, group_id)?))
    }
}
