//! Group members: lists, profiles, adding and removing, mute, roles, name cards, custom fields, marks (issue 6).
//!
//! Every rule is enforced here (the SDK only checks argument types). A refused call changes
//! nothing. Changes post a group tip (`crate::groups::tip`) so every member's sessions get
//! MESSAGE_RECEIVED, and users whose own view of the group changed get GROUP_LIST_UPDATED.

use crate::db::{params, Exec, OptionalExtension};
use crate::group_no_permission as no_permission;
use crate::invalid;
use crate::store::MemberRow;
use crate::to_json as to_value;
use crate::{now, validate_user_id, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::group_members::{
    code as mcode, AddGroupMember, AddGroupMemberReply, DeleteGroupMember, DeleteGroupMemberReply,
    GetGroupMemberList, GetGroupMemberProfile, GroupMember, GroupMemberListReply, GroupMemberReply,
    MarkGroupMemberList, MarkGroupMemberListReply, MemberCustomField, MemberListReply,
    SetGroupMemberCustomField, SetGroupMemberMuteTime, SetGroupMemberNameCard, SetGroupMemberRole,
    AV_LIST_WINDOW, AV_PAGE, DEFAULT_PAGE, MAX_CHANGE_BATCH, MAX_FIELDS, MAX_FIELD_KEY,
    MAX_FIELD_VALUE, MAX_MARKS_PER_GROUP, MAX_MARK_BATCH, MAX_MUTE_SECS, MAX_NAME_CARD, MAX_PAGE,
    MAX_PROFILE_BATCH, MAX_REASON, MIN_MARK,
};
use pigeon_proto::model::Group;
use pigeon_proto::wire::{Op, Push};
use pigeon_proto::ImError;
use serde_json::{json, Value};
use std::collections::HashSet;

type Result<T, E = ImError> = std::result::Result<T, E>;

/// Group tip operation types this module posts (constants.json `GRP_TIP_*`).
mod tip_op {
    /// GRP_TIP_MBR_JOIN.
    pub const JOIN: u32 = 1;
    /// GRP_TIP_MBR_KICKED_OUT.
    pub const KICKED_OUT: u32 = 3;
    /// GRP_TIP_MBR_SET_ADMIN.
    pub const SET_ADMIN: u32 = 4;
    /// GRP_TIP_MBR_CANCELED_ADMIN.
    pub const CANCELED_ADMIN: u32 = 5;
    /// GRP_TIP_MBR_PROFILE_UPDATED.
    pub const MBR_PROFILE_UPDATED: u32 = 7;
    /// GRP_TIP_BAN_AVCHATROOM_MEMBER.
    pub const BAN_AVCHATROOM_MEMBER: u32 = 10;
}

/// `TYPES.INVITE_OPTIONS_FREE_ACCESS` (constants.json).
const INVITE_FREE_ACCESS: &str = "FreeAccess";
/// `TYPES.INVITE_OPTIONS_NEED_PERMISSION` (constants.json).
const INVITE_NEED_PERMISSION: &str = "NeedPermission";

/// `TYPES.GRP_MBR_ROLE_CUSTOM` (communities only).
const ROLE_CUSTOM: &str = "Custom";

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(
    st: &AppState,
    c: &Caller,
    op: &str,
    data: &Value,
) -> Option<Result<Value, ImError>> {
    let d = || data.clone();
    let out = match op {
        GetGroupMemberList::NAME => GetGroupMemberList::parse(d())
            .and_then(|r| list(st, c, r))
            .and_then(to_value),
        GetGroupMemberProfile::NAME => GetGroupMemberProfile::parse(d())
            .and_then(|r| profiles(st, c, r))
            .and_then(to_value),
        AddGroupMember::NAME => AddGroupMember::parse(d())
            .and_then(|r| add(st, c, r))
            .and_then(to_value),
        DeleteGroupMember::NAME => DeleteGroupMember::parse(d())
            .and_then(|r| delete(st, c, r))
            .and_then(to_value),
        SetGroupMemberMuteTime::NAME => SetGroupMemberMuteTime::parse(d())
            .and_then(|r| mute(st, c, r))
            .and_then(to_value),
        SetGroupMemberRole::NAME => SetGroupMemberRole::parse(d())
            .and_then(|r| set_role(st, c, r))
            .and_then(to_value),
        SetGroupMemberNameCard::NAME => SetGroupMemberNameCard::parse(d())
            .and_then(|r| name_card(st, c, r))
            .and_then(to_value),
        SetGroupMemberCustomField::NAME => SetGroupMemberCustomField::parse(d())
            .and_then(|r| custom_field(st, c, r))
            .and_then(to_value),
        MarkGroupMemberList::NAME => MarkGroupMemberList::parse(d())
            .and_then(|r| mark(st, c, r))
            .and_then(to_value),
        _ => return None,
    };
    Some(out)
}

fn not_member(user: &str, group_id: &str) -> ImError {
    ImError::new(
        mcode::MEMBER_NOT_IN_GROUP,
        format!("{user} is not a member of group {group_id}"),
    )
}

/// What this module keeps about one membership beyond [`MemberRow`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemberInfo {
    /// The membership row.
    pub row: MemberRow,
    /// Muted until (unix seconds), 0 when never muted.
    pub mute_until: u64,
    /// `[{key, value}]`.
    pub custom: Vec<MemberCustomField>,
}

/// Outcome of [`GroupMemberStore::add_members`].
#[derive(Debug, Clone, PartialEq)]
pub enum AddOutcome {
    /// The group would exceed its limit; nothing was added.
    Full,
    /// Added these; the others already were members.
    Added(Vec<String>),
}

/// Outcome of [`GroupMemberStore::merge_member_custom`].
#[derive(Debug, Clone, PartialEq)]
pub enum CustomOutcome {
    /// The user is not a member.
    NotMember,
    /// The member would hold more than the allowed number of keys; nothing changed.
    TooMany,
    /// Stored.
    Done,
}

/// Outcome of [`GroupMemberStore::mark_members`].
#[derive(Debug, Clone, PartialEq)]
pub enum MarkOutcome {
    /// The group would use more distinct marks than allowed; nothing changed.
    TooManyMarks,
    /// Marked (or unmarked) these members; the others are not members.
    Done(Vec<String>),
}

/// The caller's role in `g`: the owner by `ownerID` (an AVChatRoom owner need not have
/// joined), else the membership row's role; None for a non-member.
fn role_in(g: &Group, user: &str, row: Option<&MemberRow>) -> Option<String> {
    if !g.owner_id.is_empty() && g.owner_id == user {
        return Some(types::GRP_MBR_ROLE_OWNER.to_owned());
    }
    row.map(|r| r.role.clone())
}

fn is_manager(role: &str) -> bool {
    role == types::GRP_MBR_ROLE_OWNER || role == types::GRP_MBR_ROLE_ADMIN
}

/// The caller's role, refusing non-members with 10007.
fn caller_role(st: &AppState, g: &Group, user: &str) -> Result<String> {
    // The app administrator (REST API) may do anything the owner may.
    if crate::rest::is_admin(st, user) {
        return Ok(types::GRP_MBR_ROLE_OWNER.to_owned());
    }
    let row = st.db(|s| s.member(&g.group_id, user))?;
    role_in(g, user, row.as_ref())
        .ok_or_else(|| no_permission(format!("{user} is not a member of group {}", g.group_id)))
}

/// Members as the d.ts `GroupMember`, with nick and avatar from their profiles.
fn to_members(st: &AppState, g: &Group, infos: Vec<MemberInfo>) -> Vec<GroupMember> {
    let ids: Vec<String> = infos.iter().map(|i| i.row.user_id.clone()).collect();
    // A failed profile lookup only leaves nick/avatar empty; the list itself is still right.
    let profiles = crate::profiles::profiles_of(st, &ids).unwrap_or_default();
    infos
        .into_iter()
        .map(|i| {
            let p = profiles.iter().find(|p| p.user_id == i.row.user_id);
            let role = role_in(g, &i.row.user_id, Some(&i.row)).unwrap_or(i.row.role);
            GroupMember {
                nick: p.map(|p| p.nick.clone()).unwrap_or_default(),
                avatar: p.map(|p| p.avatar.clone()).unwrap_or_default(),
                user_id: i.row.user_id,
                role,
                join_time: i.row.join_time,
                name_card: i.row.name_card,
                mute_until: i.mute_until,
                member_custom_field: i.custom,
            }
        })
        .collect()
}

fn one_member(st: &AppState, g: &Group, user: &str) -> Result<GroupMember> {
    let info = st
        .db(|s| s.member_info(&g.group_id, user))?
        .ok_or_else(|| not_member(user, &g.group_id))?;
    to_members(st, g, vec![info])
        .pop()
        .ok_or_else(|| ImError::new(code::SERVER_INTERNAL, "member lookup returned nothing"))
}

fn group_view(st: &AppState, group_id: &str, user: &str) -> Result<Group> {
    crate::groups::view(st, group_id, user)?.ok_or_else(|| {
        ImError::new(
            code::GROUP_NOT_FOUND,
            format!("group {group_id} does not exist"),
        )
    })
}

fn member_reply(st: &AppState, c: &Caller, g: &Group, user: &str) -> Result<GroupMemberReply> {
    Ok(GroupMemberReply {
        group: group_view(st, &g.group_id, &c.user_id)?,
        member: one_member(st, g, user)?,
    })
}

fn check_group_id(group_id: &str) -> Result<()> {
    if group_id.is_empty() {
        return Err(invalid("groupID is required"));
    }
    Ok(())
}

/// A live group by ID (10004 for an empty ID, 10010 when it is gone).
fn live(st: &AppState, group_id: &str) -> Result<Group> {
    check_group_id(group_id)?;
    crate::groups::live(st, group_id)
}

/// Checks a batch of userIDs (1 to `max`, well formed; `bad_code` otherwise) and drops
/// repeats, keeping the first occurrence's order.
fn batch(ids: Vec<String>, max: usize, what: &str, bad_code: u32) -> Result<Vec<String>> {
    if ids.is_empty() || ids.len() > max {
        return Err(invalid(format!(
            "{what}: userIDList takes 1 to {max} userIDs"
        )));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        validate_user_id("userIDList[]", &id).map_err(|e| ImError::new(bad_code, e.message))?;
        if seen.insert(id.clone()) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Whether `user` may send to `group_id` now: refuses a muted member (or everyone but owner
/// and admins while the group is muted).
pub fn check_can_send(st: &AppState, group_id: &str, user: &str) -> Result<(), ImError> {
    let Some((role, mute_until, owner, mute_all)) = st.db(|s| s.send_state(group_id, user))? else {
        // Not a member (or no such group): the caller's own checks answer that.
        return Ok(());
    };
    if owner == user || is_manager(&role) {
        return Ok(());
    }
    let t = now();
    if mute_until > t {
        return Err(ImError::new(
            mcode::MUTED,
            format!(
                "{user} is muted in group {group_id} for another {} s",
                mute_until - t
            ),
        )
        .with_data(json!({ "muteUntil": mute_until })));
    }
    if mute_all {
        return Err(ImError::new(
            mcode::MUTED,
            format!("group {group_id} is muted for everyone but the owner and admins"),
        ));
    }
    Ok(())
}

/// Refuses a user still banned from an AVChatRoom by a kick with a `duration`; joinGroup
/// should call this before letting them back in.
pub fn check_not_banned(st: &AppState, group_id: &str, user: &str) -> Result<(), ImError> {
    let until = st.db(|s| s.banned_until(group_id, user))?;
    let t = now();
    if until > t {
        return Err(no_permission(format!(
            "{user} was removed from group {group_id} and may not rejoin for another {} s",
            until - t
        )));
    }
    Ok(())
}

fn parse_offset(v: &Value) -> Result<usize> {
    match v {
        Value::Null => Ok(0),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| invalid(format!("offset must be a non-negative integer, not {n}"))),
        Value::String(s) if s.is_empty() => Ok(0),
        Value::String(s) => s
            .parse::<usize>()
            .map_err(|_| invalid(format!("offset {s:?} is not one this server handed out"))),
        other => Err(invalid(format!(
            "offset is a number or string, not {other}"
        ))),
    }
}

/// Implements `getGroupMemberList`: members in join order (AVChatRoom: the most recent
/// joiners, newest first, with only userID, nick, avatar, joinTime and role).
pub fn list(st: &AppState, c: &Caller, req: GetGroupMemberList) -> Result<GroupMemberListReply> {
    let g = live(st, &req.group_id)?;
    caller_role(st, &g, &c.user_id)?;
    let is_av = g.kind == types::GRP_AVCHATROOM;
    let role = match req.role.as_deref() {
        None | Some("") => None,
        Some(
            r @ (types::GRP_MBR_ROLE_OWNER
            | types::GRP_MBR_ROLE_ADMIN
            | types::GRP_MBR_ROLE_MEMBER
            | ROLE_CUSTOM),
        ) => Some(r.to_owned()),
        Some(r) => {
            return Err(ImError::new(
                mcode::INVALID_MEMBER_ROLE,
                format!("role {r:?} is not Owner, Admin or Member"),
            ))
        }
    };
    if req.filter.is_some() && !is_av {
        return Err(invalid(
            "filter (member marks) works in AVChatRoom groups only",
        ));
    }
    let offset = parse_offset(&req.offset)?;
    let mut infos = st.db(|s| s.member_infos(&g.group_id))?;
    if let Some(mark) = req.filter {
        let marked: HashSet<String> = st
            .db(|s| s.marked_members(&g.group_id, mark))?
            .into_iter()
            .collect();
        infos.retain(|i| marked.contains(&i.row.user_id));
    }
    if let Some(r) = &role {
        infos.retain(|i| role_in(&g, &i.row.user_id, Some(&i.row)).as_deref() == Some(r));
    }
    let page = if is_av {
        infos.reverse();
        infos.truncate(AV_LIST_WINDOW);
        AV_PAGE
    } else {
        let n = req.count.filter(|n| *n > 0).unwrap_or(DEFAULT_PAGE);
        n.min(MAX_PAGE) as usize
    };
    let total = infos.len();
    let page_infos: Vec<MemberInfo> = infos.into_iter().skip(offset).take(page).collect();
    let end = offset.saturating_add(page_infos.len());
    let next = if end < total { end } else { 0 };
    let mut member_list = to_members(st, &g, page_infos);
    if is_av {
        for m in &mut member_list {
            m.name_card.clear();
            m.mute_until = 0;
            m.member_custom_field.clear();
        }
    }
    let offset = if g.kind == types::GRP_COMMUNITY {
        Value::String(next.to_string())
    } else {
        json!(next)
    };
    Ok(GroupMemberListReply {
        member_list,
        offset,
    })
}

/// Implements `getGroupMemberProfile` (not in AVChatRooms: 2687).
pub fn profiles(st: &AppState, c: &Caller, req: GetGroupMemberProfile) -> Result<MemberListReply> {
    let g = live(st, &req.group_id)?;
    if g.kind == types::GRP_AVCHATROOM {
        return Err(ImError::new(
            mcode::NOT_SUPPORTED_IN_AV,
            "getGroupMemberProfile is not supported in AVChatRoom groups",
        ));
    }
    caller_role(st, &g, &c.user_id)?;
    let mut ids = req.user_id_list;
    if ids.is_empty() {
        return Err(invalid("userIDList takes 1 to 50 userIDs"));
    }
    // The seed: more than 50 are not an error, only the first 50 are read.
    ids.truncate(MAX_PROFILE_BATCH);
    let mut seen = HashSet::new();
    let mut infos = Vec::new();
    for id in ids {
        validate_user_id("userIDList[]", &id)?;
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(i) = st.db(|s| s.member_info(&g.group_id, &id))? {
            infos.push(i);
        }
    }
    let mut member_list = to_members(st, &g, infos);
    if let Some(keys) = &req.member_custom_field_filter {
        for m in &mut member_list {
            m.member_custom_field.retain(|f| keys.contains(&f.key));
        }
    }
    Ok(MemberListReply { member_list })
}

/// Implements `addGroupMember`. Work: any member unless invitations are disabled; Public,
/// Meeting, Community: owner and admins always, members per `inviteOption`; AVChatRoom: nobody.
pub fn add(st: &AppState, c: &Caller, req: AddGroupMember) -> Result<AddGroupMemberReply> {
    let g = live(st, &req.group_id)?;
    if g.kind == types::GRP_AVCHATROOM {
        return Err(ImError::new(
            mcode::CANNOT_ADD_MEMBER_IN_AV,
            "nobody can add members to an AVChatRoom: users join it themselves",
        ));
    }
    let role = caller_role(st, &g, &c.user_id)?;
    let ids = batch(
        req.user_id_list,
        MAX_CHANGE_BATCH,
        "addGroupMember",
        mcode::INVALID_ACCOUNT,
    )?;
    let invite = g.invite_option.as_str();
    let needs_approval = if g.kind == types::GRP_WORK {
        if invite == types::INVITE_OPTIONS_DISABLE_INVITE {
            return Err(no_permission(format!(
                "group {} has not enabled invitation",
                g.group_id
            )));
        }
        false
    } else if is_manager(&role) {
        false
    } else {
        match invite {
            INVITE_FREE_ACCESS => false,
            INVITE_NEED_PERMISSION => true,
            _ => {
                return Err(no_permission(format!(
                    "group {} has not enabled invitation by members",
                    g.group_id
                )))
            }
        }
    };
    let mut reply = AddGroupMemberReply::default();
    if needs_approval {
        let t = now();
        let msg = format!("invited by {}", c.user_id);
        for id in ids {
            if st.db(|s| s.member(&g.group_id, &id))?.is_some() {
                reply.existed_user_id_list.push(id);
            } else {
                st.db(|s| s.add_application(&g.group_id, &id, &msg, t))?;
                reply.pending_user_id_list.push(id);
            }
        }
        reply.group = group_view(st, &g.group_id, &c.user_id)?;
        return Ok(reply);
    }
    let t = now();
    let rows: Vec<MemberRow> = ids
        .iter()
        .map(|id| MemberRow {
            user_id: id.clone(),
            role: types::GRP_MBR_ROLE_MEMBER.to_owned(),
            join_time: t,
            name_card: String::new(),
        })
        .collect();
    let added = match st.db(|s| s.add_members(&g.group_id, &rows, g.max_member_count))? {
        AddOutcome::Full => {
            return Err(ImError::new(
                code::GROUP_FULL,
                format!(
                    "adding {} would take group {} over its {} members",
                    ids.len(),
                    g.group_id,
                    g.max_member_count
                ),
            ))
        }
        AddOutcome::Added(a) => a,
    };
    for id in ids {
        if added.contains(&id) {
            reply.success_user_id_list.push(id);
        } else {
            reply.existed_user_id_list.push(id);
        }
    }
    crate::webhooks::members_joined(st, c, &g, "Invited", &added);
    if !added.is_empty() {
        crate::groups::tip(
            st,
            &g.group_id,
            &c.user_id,
            tip_op::JOIN,
            added.clone(),
            &added,
        )?;
        for u in &added {
            crate::group_admin::system_notice(
                st,
                u,
                &g,
                pigeon_proto::group_admin::notice::INVITED,
                &c.user_id,
                "",
            );
        }
    }
    reply.group = group_view(st, &g.group_id, &c.user_id)?;
    Ok(reply)
}

/// Implements `deleteGroupMember`: the owner removes anyone but themselves, an admin removes
/// ordinary members. A `duration` (AVChatRoom only) bans the users from rejoining for that
/// long. The kicked users still get the tip, then GROUP_LIST_UPDATED.
pub fn delete(st: &AppState, c: &Caller, req: DeleteGroupMember) -> Result<DeleteGroupMemberReply> {
    let g = live(st, &req.group_id)?;
    let role = caller_role(st, &g, &c.user_id)?;
    let is_av = g.kind == types::GRP_AVCHATROOM;
    let duration = req.duration.unwrap_or(0);
    if duration > 0 && !is_av {
        return Err(ImError::new(
            mcode::BAN_DURATION_INVALID,
            "duration works in AVChatRoom groups only",
        ));
    }
    if duration > MAX_MUTE_SECS {
        return Err(ImError::new(
            mcode::BAN_DURATION_INVALID,
            format!("duration is at most {MAX_MUTE_SECS} s"),
        ));
    }
    if req.reason.len() > MAX_REASON {
        return Err(invalid(format!("reason is over {MAX_REASON} bytes")));
    }
    let ids = batch(
        req.user_id_list,
        MAX_CHANGE_BATCH,
        "deleteGroupMember",
        code::SERVER_INVALID_PARAM,
    )?;
    if !is_manager(&role) {
        return Err(no_permission(
            "only the owner and admins can remove members",
        ));
    }
    let mut targets = Vec::new();
    for id in ids {
        if id == c.user_id {
            return Err(invalid("you cannot remove yourself: use quitGroup"));
        }
        let Some(row) = st.db(|s| s.member(&g.group_id, &id))? else {
            continue;
        };
        let their = role_in(&g, &id, Some(&row)).unwrap_or_default();
        if their == types::GRP_MBR_ROLE_OWNER
            || (their == types::GRP_MBR_ROLE_ADMIN && role != types::GRP_MBR_ROLE_OWNER)
        {
            return Err(no_permission(format!(
                "a {role} cannot remove the {their} {id}"
            )));
        }
        targets.push(id);
    }
    if !targets.is_empty() {
        let op = if duration > 0 {
            tip_op::BAN_AVCHATROOM_MEMBER
        } else {
            tip_op::KICKED_OUT
        };
        // The tip goes out while they are still members, so the kicked see why they left.
        crate::groups::tip(st, &g.group_id, &c.user_id, op, targets.clone(), &[])?;
        for u in &targets {
            crate::group_admin::system_notice(
                st,
                u,
                &g,
                pigeon_proto::group_admin::notice::KICKED,
                &c.user_id,
                &req.reason,
            );
        }
        let until = if duration > 0 { now() + duration } else { 0 };
        let removed = st.db(|s| s.remove_members(&g.group_id, &targets, until))?;
        crate::webhooks::members_exited(st, c, &g, "Kicked", &removed);
        for u in &removed {
            st.push(u, &Push::GroupsChanged {}, None);
        }
        targets = removed;
    }
    Ok(DeleteGroupMemberReply {
        group: group_view(st, &g.group_id, &c.user_id)?,
        user_id_list: targets,
    })
}

/// Implements `setGroupMemberMuteTime`: the owner mutes admins and members, an admin
/// members; not in Work groups.
pub fn mute(st: &AppState, c: &Caller, req: SetGroupMemberMuteTime) -> Result<GroupMemberReply> {
    let g = live(st, &req.group_id)?;
    if g.kind == types::GRP_WORK {
        return Err(no_permission("Work groups do not support muting members"));
    }
    let role = caller_role(st, &g, &c.user_id)?;
    validate_user_id("userID", &req.user_id)?;
    if req.mute_time > MAX_MUTE_SECS {
        return Err(invalid(format!("muteTime is at most {MAX_MUTE_SECS} s")));
    }
    if !is_manager(&role) {
        return Err(no_permission("only the owner and admins can mute members"));
    }
    if req.user_id == c.user_id {
        return Err(ImError::new(
            mcode::CANNOT_MUTE_SELF,
            "you cannot mute yourself",
        ));
    }
    let row = st
        .db(|s| s.member(&g.group_id, &req.user_id))?
        .ok_or_else(|| not_member(&req.user_id, &g.group_id))?;
    let their = role_in(&g, &req.user_id, Some(&row)).unwrap_or_default();
    if their == types::GRP_MBR_ROLE_OWNER
        || (their == types::GRP_MBR_ROLE_ADMIN && role != types::GRP_MBR_ROLE_OWNER)
    {
        return Err(no_permission(format!(
            "a {role} cannot mute the {their} {}",
            req.user_id
        )));
    }
    let until = if req.mute_time == 0 {
        0
    } else {
        now() + req.mute_time
    };
    st.db(|s| s.set_mute_until(&g.group_id, &req.user_id, until))?;
    crate::groups::tip(
        st,
        &g.group_id,
        &c.user_id,
        tip_op::MBR_PROFILE_UPDATED,
        vec![req.user_id.clone()],
        &[],
    )?;
    member_reply(st, c, &g, &req.user_id)
}

/// Implements `setGroupMemberRole`: owner only; not Work groups or AVChatRooms (2682).
pub fn set_role(st: &AppState, c: &Caller, req: SetGroupMemberRole) -> Result<GroupMemberReply> {
    let g = live(st, &req.group_id)?;
    if g.kind == types::GRP_WORK || g.kind == types::GRP_AVCHATROOM {
        return Err(ImError::new(
            mcode::ROLE_NOT_SUPPORTED,
            format!("{} groups do not support member roles", g.kind),
        ));
    }
    let role = caller_role(st, &g, &c.user_id)?;
    validate_user_id("userID", &req.user_id)?;
    let new_role = match req.role.as_str() {
        r @ (types::GRP_MBR_ROLE_ADMIN | types::GRP_MBR_ROLE_MEMBER) => r,
        ROLE_CUSTOM if g.kind == types::GRP_COMMUNITY => ROLE_CUSTOM,
        r => {
            return Err(ImError::new(
                mcode::INVALID_MEMBER_ROLE,
                format!("role {r:?} is not Admin or Member (Custom in communities)"),
            ))
        }
    };
    if role != types::GRP_MBR_ROLE_OWNER {
        return Err(no_permission("only the owner can change member roles"));
    }
    if req.user_id == c.user_id {
        return Err(ImError::new(
            mcode::CANNOT_SET_SELF_MEMBER_ROLE,
            "the owner cannot change their own role: use changeGroupOwner",
        ));
    }
    let row = st
        .db(|s| s.member(&g.group_id, &req.user_id))?
        .ok_or_else(|| not_member(&req.user_id, &g.group_id))?;
    if row.role != new_role {
        st.db(|s| s.set_member_role(&g.group_id, &req.user_id, new_role))?;
        let op = if new_role == types::GRP_MBR_ROLE_ADMIN {
            Some(tip_op::SET_ADMIN)
        } else if row.role == types::GRP_MBR_ROLE_ADMIN {
            Some(tip_op::CANCELED_ADMIN)
        } else {
            None
        };
        if let Some(op) = op {
            let who = vec![req.user_id.clone()];
            crate::groups::tip(st, &g.group_id, &c.user_id, op, who.clone(), &who)?;
            let notice = if op == tip_op::SET_ADMIN {
                pigeon_proto::group_admin::notice::SET_ADMIN
            } else {
                pigeon_proto::group_admin::notice::CANCELED_ADMIN
            };
            crate::group_admin::system_notice(st, &req.user_id, &g, notice, &c.user_id, "");
        } else {
            st.push(&req.user_id, &Push::GroupsChanged {}, None);
        }
    }
    member_reply(st, c, &g, &req.user_id)
}

/// Whom `role` may edit (name cards, custom fields): the owner anyone, an admin themselves and
/// ordinary members, a member only themselves.
fn may_edit(st: &AppState, g: &Group, c: &Caller, role: &str, target: &str) -> Result<MemberRow> {
    let row = st
        .db(|s| s.member(&g.group_id, target))?
        .ok_or_else(|| not_member(target, &g.group_id))?;
    if target == c.user_id || role == types::GRP_MBR_ROLE_OWNER {
        return Ok(row);
    }
    let their = role_in(g, target, Some(&row)).unwrap_or_default();
    if role == types::GRP_MBR_ROLE_ADMIN
        && their != types::GRP_MBR_ROLE_OWNER
        && their != types::GRP_MBR_ROLE_ADMIN
    {
        return Ok(row);
    }
    Err(no_permission(format!(
        "a {role} cannot change the {their} {target}"
    )))
}

/// The group, the caller's role and the member whose own fields (name card, custom fields)
/// are edited: `user_id`, or the caller when none is given. AVChatRooms have no such fields.
fn edit_target(
    st: &AppState,
    c: &Caller,
    group_id: &str,
    user_id: Option<String>,
    what: &str,
) -> Result<(Group, String, String)> {
    let g = live(st, group_id)?;
    if g.kind == types::GRP_AVCHATROOM {
        return Err(ImError::new(
            mcode::NOT_SUPPORTED_IN_AV,
            format!("{what} are not supported in AVChatRoom groups"),
        ));
    }
    let role = caller_role(st, &g, &c.user_id)?;
    let target = user_id
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| c.user_id.clone());
    validate_user_id("userID", &target)?;
    Ok((g, role, target))
}

/// Implements `setGroupMemberNameCard` (not in AVChatRooms: 2687).
pub fn name_card(
    st: &AppState,
    c: &Caller,
    req: SetGroupMemberNameCard,
) -> Result<GroupMemberReply> {
    let (g, role, target) = edit_target(st, c, &req.group_id, req.user_id, "name cards")?;
    if req.name_card.len() > MAX_NAME_CARD {
        return Err(invalid(format!(
            "nameCard is {} bytes, over the {MAX_NAME_CARD}-byte limit",
            req.name_card.len()
        )));
    }
    if req.name_card.chars().any(char::is_control) {
        return Err(invalid("nameCard holds control characters"));
    }
    let row = may_edit(st, &g, c, &role, &target)?;
    if row.name_card != req.name_card {
        st.db(|s| s.set_name_card(&g.group_id, &target, &req.name_card))?;
        let who = vec![target.clone()];
        crate::groups::tip(
            st,
            &g.group_id,
            &c.user_id,
            tip_op::MBR_PROFILE_UPDATED,
            who.clone(),
            &who,
        )?;
    }
    member_reply(st, c, &g, &target)
}

/// Implements `setGroupMemberCustomField` (not in AVChatRooms: 2687): the given keys are set,
/// the others keep their values.
pub fn custom_field(
    st: &AppState,
    c: &Caller,
    req: SetGroupMemberCustomField,
) -> Result<GroupMemberReply> {
    let (g, role, target) = edit_target(st, c, &req.group_id, req.user_id, "member custom fields")?;
    if req.member_custom_field.is_empty() {
        return Err(invalid("memberCustomField holds at least one {key, value}"));
    }
    for f in &req.member_custom_field {
        if f.key.is_empty() || f.key.len() > MAX_FIELD_KEY {
            return Err(invalid(format!(
                "memberCustomField key {:?} must be 1 to {MAX_FIELD_KEY} bytes",
                f.key
            )));
        }
        if f.value.len() > MAX_FIELD_VALUE {
            return Err(invalid(format!(
                "memberCustomField value of {:?} is over {MAX_FIELD_VALUE} bytes",
                f.key
            )));
        }
    }
    may_edit(st, &g, c, &role, &target)?;
    match st
        .db(|s| s.merge_member_custom(&g.group_id, &target, &req.member_custom_field, MAX_FIELDS))?
    {
        CustomOutcome::NotMember => return Err(not_member(&target, &g.group_id)),
        CustomOutcome::TooMany => {
            return Err(invalid(format!(
                "a member holds at most {MAX_FIELDS} custom fields"
            )))
        }
        CustomOutcome::Done => {}
    }
    crate::groups::tip(
        st,
        &g.group_id,
        &c.user_id,
        tip_op::MBR_PROFILE_UPDATED,
        vec![target.clone()],
        &[],
    )?;
    member_reply(st, c, &g, &target)
}

/// Implements `markGroupMemberList`: AVChatRoom only, owner only.
pub fn mark(
    st: &AppState,
    c: &Caller,
    req: MarkGroupMemberList,
) -> Result<MarkGroupMemberListReply> {
    let g = live(st, &req.group_id)?;
    if g.kind != types::GRP_AVCHATROOM {
        return Err(no_permission(
            "markGroupMemberList works in AVChatRoom groups only",
        ));
    }
    if g.owner_id != c.user_id {
        return Err(no_permission("only the owner can mark members"));
    }
    if req.mark_type < MIN_MARK {
        return Err(invalid(format!("markType must be at least {MIN_MARK}")));
    }
    let ids = batch(
        req.user_id_list,
        MAX_MARK_BATCH,
        "markGroupMemberList",
        code::SERVER_INVALID_PARAM,
    )?;
    let done = match st.db(|s| {
        s.mark_members(
            &g.group_id,
            &ids,
            req.mark_type,
            req.enable_mark,
            MAX_MARKS_PER_GROUP,
        )
    })? {
        MarkOutcome::TooManyMarks => {
            return Err(invalid(format!(
                "an AVChatRoom uses at most {MAX_MARKS_PER_GROUP} distinct marks"
            )))
        }
        MarkOutcome::Done(d) => d,
    };
    let (success_user_id_list, failure_user_id_list) =
        ids.into_iter().partition(|id| done.contains(id));
    Ok(MarkGroupMemberListReply {
        success_user_id_list,
        failure_user_id_list,
    })
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait GroupMemberStore {
    /// One member with mute and custom fields.
    fn member_info(
        &self,
        group_id: &str,
        user_id: &str,
    ) -> crate::store::Result<Option<MemberInfo>>;
    /// All members with mute and custom fields, in join order.
    fn member_infos(&self, group_id: &str) -> crate::store::Result<Vec<MemberInfo>>;
    /// What a send check needs: (role, mute_until, owner_id, mute_all) for a member.
    fn send_state(
        &self,
        group_id: &str,
        user_id: &str,
    ) -> crate::store::Result<Option<(String, u64, String, bool)>>;
    /// Adds members unless the group would exceed `max`; in one transaction.
    fn add_members(
        &self,
        group_id: &str,
        rows: &[MemberRow],
        max: u64,
    ) -> crate::store::Result<AddOutcome>;
    /// Removes members (and their marks), banning them until `ban_until` when it is not 0;
    /// returns who was removed.
    fn remove_members(
        &self,
        group_id: &str,
        users: &[String],
        ban_until: u64,
    ) -> crate::store::Result<Vec<String>>;
    /// Until when `user_id` is banned from rejoining (0: not banned).
    fn banned_until(&self, group_id: &str, user_id: &str) -> crate::store::Result<u64>;
    /// Sets a member's mute end; false when not a member.
    fn set_mute_until(
        &self,
        group_id: &str,
        user_id: &str,
        until: u64,
    ) -> crate::store::Result<bool>;
    /// Sets a member's role; false when not a member.
    fn set_member_role(
        &self,
        group_id: &str,
        user_id: &str,
        role: &str,
    ) -> crate::store::Result<bool>;
    /// Sets a member's name card; false when not a member.
    fn set_name_card(
        &self,
        group_id: &str,
        user_id: &str,
        card: &str,
    ) -> crate::store::Result<bool>;
    /// Sets some of a member's custom fields atomically, keeping at most `max_keys` keys.
    fn merge_member_custom(
        &self,
        group_id: &str,
        user_id: &str,
        fields: &[MemberCustomField],
        max_keys: usize,
    ) -> crate::store::Result<CustomOutcome>;
    /// Adds or removes `mark` on the members among `users`, keeping at most `max_marks`
    /// distinct marks in the group.
    fn mark_members(
        &self,
        group_id: &str,
        users: &[String],
        mark: u64,
        enable: bool,
        max_marks: usize,
    ) -> crate::store::Result<MarkOutcome>;
    /// Members carrying `mark`.
    fn marked_members(&self, group_id: &str, mark: u64) -> crate::store::Result<Vec<String>>;
}

fn info_from_row(r: &crate::db::Row<'_>) -> crate::db::Result<(MemberRow, u64, String)> {
    Ok((
        MemberRow {
            user_id: r.get(0)?,
            role: r.get(1)?,
            join_time: r.get(2)?,
            name_card: r.get(3)?,
        },
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_info(
    (row, mute_until, custom): (MemberRow, u64, String),
) -> crate::store::Result<MemberInfo> {
    Ok(MemberInfo {
        row,
        mute_until,
        custom: serde_json::from_str(&custom)?,
    })
}

const INFO_COLS: &str = "user_id, role, join_time, name_card, mute_until, custom_fields";

impl GroupMemberStore for crate::store::SqliteStore {
    fn member_info(
        &self,
        group_id: &str,
        user_id: &str,
    ) -> crate::store::Result<Option<MemberInfo>> {
        let raw = self.with(|conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {INFO_COLS} FROM group_members WHERE group_id = ?1 AND user_id = ?2"
                    ),
                    [group_id, user_id],
                    info_from_row,
                )
                .optional()?)
        })?;
        raw.map(to_info).transpose()
    }

    fn member_infos(&self, group_id: &str) -> crate::store::Result<Vec<MemberInfo>> {
        let raw = self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {INFO_COLS} FROM group_members WHERE group_id = ?1
                 ORDER BY join_time, user_id"
            ))?;
            let rows = stmt.query_map([group_id], info_from_row)?;
            Ok(rows.collect::<crate::db::Result<Vec<_>>>()?)
        })?;
        raw.into_iter().map(to_info).collect()
    }

    fn send_state(
        &self,
        group_id: &str,
        user_id: &str,
    ) -> crate::store::Result<Option<(String, u64, String, bool)>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT m.role, m.mute_until, g.owner_id, g.mute_all FROM group_members m
                     JOIN groups g ON g.group_id = m.group_id
                     WHERE m.group_id = ?1 AND m.user_id = ?2",
                    [group_id, user_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0)),
                )
                .optional()?)
        })
    }

    fn add_members(
        &self,
        group_id: &str,
        rows: &[MemberRow],
        max: u64,
    ) -> crate::store::Result<AddOutcome> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut added = Vec::new();
            for m in rows {
                let n = tx.execute(
                    "INSERT OR IGNORE INTO group_members (group_id, user_id, role, join_time, name_card)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![group_id, m.user_id, m.role, m.join_time, m.name_card],
                )?;
                if n > 0 {
                    added.push(m.user_id.clone());
                }
            }
            let count: u64 = tx.query_row(
                "SELECT COUNT(*) FROM group_members WHERE group_id = ?1",
                [group_id],
                |r| r.get(0),
            )?;
            if count > max {
                // Dropping the transaction rolls the inserts back.
                return Ok(AddOutcome::Full);
            }
            tx.commit()?;
            Ok(AddOutcome::Added(added))
        })
    }

    fn remove_members(
        &self,
        group_id: &str,
        users: &[String],
        ban_until: u64,
    ) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut removed = Vec::new();
            for u in users {
                let n = tx.execute(
                    "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                    [group_id, u],
                )?;
                tx.execute(
                    "DELETE FROM group_member_marks WHERE group_id = ?1 AND user_id = ?2",
                    [group_id, u],
                )?;
                if ban_until > 0 {
                    tx.execute(
                        "INSERT INTO group_bans (group_id, user_id, until) VALUES (?1, ?2, ?3)
                         ON CONFLICT(group_id, user_id) DO UPDATE SET until = excluded.until",
                        params![group_id, u, ban_until],
                    )?;
                }
                if n > 0 {
                    removed.push(u.clone());
                }
            }
            tx.commit()?;
            Ok(removed)
        })
    }

    fn banned_until(&self, group_id: &str, user_id: &str) -> crate::store::Result<u64> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT until FROM group_bans WHERE group_id = ?1 AND user_id = ?2",
                    [group_id, user_id],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
    }

    fn set_mute_until(
        &self,
        group_id: &str,
        user_id: &str,
        until: u64,
    ) -> crate::store::Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE group_members SET mute_until = ?3 WHERE group_id = ?1 AND user_id = ?2",
                params![group_id, user_id, until],
            )?;
            Ok(n > 0)
        })
    }

    fn set_member_role(
        &self,
        group_id: &str,
        user_id: &str,
        role: &str,
    ) -> crate::store::Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE group_members SET role = ?3 WHERE group_id = ?1 AND user_id = ?2",
                [group_id, user_id, role],
            )?;
            Ok(n > 0)
        })
    }

    fn set_name_card(
        &self,
        group_id: &str,
        user_id: &str,
        card: &str,
    ) -> crate::store::Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE group_members SET name_card = ?3 WHERE group_id = ?1 AND user_id = ?2",
                [group_id, user_id, card],
            )?;
            Ok(n > 0)
        })
    }

    fn merge_member_custom(
        &self,
        group_id: &str,
        user_id: &str,
        fields: &[MemberCustomField],
        max_keys: usize,
    ) -> crate::store::Result<CustomOutcome> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let Some(raw) = tx
                .query_row(
                    "SELECT custom_fields FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                    [group_id, user_id],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
            else {
                return Ok(CustomOutcome::NotMember);
            };
            let mut have: Vec<MemberCustomField> = serde_json::from_str(&raw)?;
            for f in fields {
                match have.iter_mut().find(|h| h.key == f.key) {
                    Some(h) => h.value = f.value.clone(),
                    None => have.push(f.clone()),
                }
            }
            if have.len() > max_keys {
                return Ok(CustomOutcome::TooMany);
            }
            tx.execute(
                "UPDATE group_members SET custom_fields = ?3 WHERE group_id = ?1 AND user_id = ?2",
                params![group_id, user_id, serde_json::to_string(&have)?],
            )?;
            tx.commit()?;
            Ok(CustomOutcome::Done)
        })
    }

    fn mark_members(
        &self,
        group_id: &str,
        users: &[String],
        mark: u64,
        enable: bool,
        max_marks: usize,
    ) -> crate::store::Result<MarkOutcome> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut done = Vec::new();
            for u in users {
                let is_member = tx
                    .query_row(
                        "SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                        [group_id, u],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some();
                if !is_member {
                    continue;
                }
                if enable {
                    tx.execute(
                        "INSERT OR IGNORE INTO group_member_marks (group_id, user_id, mark)
                         VALUES (?1, ?2, ?3)",
                        params![group_id, u, mark],
                    )?;
                } else {
                    tx.execute(
                        "DELETE FROM group_member_marks WHERE group_id = ?1 AND user_id = ?2 AND mark = ?3",
                        params![group_id, u, mark],
                    )?;
                }
                done.push(u.clone());
            }
            let marks: usize = tx.query_row(
                "SELECT COUNT(DISTINCT mark) FROM group_member_marks WHERE group_id = ?1",
                [group_id],
                |r| r.get(0),
            )?;
            if marks > max_marks {
                return Ok(MarkOutcome::TooManyMarks);
            }
            tx.commit()?;
            Ok(MarkOutcome::Done(done))
        })
    }

    fn marked_members(&self, group_id: &str, mark: u64) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT k.user_id FROM group_member_marks k
                 JOIN group_members m ON m.group_id = k.group_id AND m.user_id = k.user_id
                 WHERE k.group_id = ?1 AND k.mark = ?2",
            )?;
            let rows = stmt.query_map(params![group_id, mark], |r| r.get(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }
}
