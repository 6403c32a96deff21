//! Groups, as much as chatting in one needs: `createGroup`, `getGroupList`, `getGroupProfile`,
//! `joinGroup`, `quitGroup`, `dismissGroup`. Membership changes post a group tip into the group
//! conversation (in an AVChatRoom a live one, not stored, and only up to
//! [`AV_TIP_MAX_MEMBERS`] members) and tell every affected user's sessions that their group
//! list changed.

use crate::conversations::group_key;
use crate::group_no_permission as no_permission;
use crate::invalid;
use crate::messages::deliver_system;
use crate::store::{MemberRow, Recipient};
use crate::{now, validate_user_id, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::model::{Group, GroupSelfInfo, GroupTipPayload, Message};
use pigeon_proto::wire::{
    CreateGroup, CreateGroupReply, GroupIdArg, GroupListReply, GroupReply, JoinGroup,
    JoinGroupReply, Push,
};
use pigeon_proto::{ImError, Result};
use rand::Rng;

/// Largest AVChatRoom whose members are each told of every join and departure (a live tip);
/// bigger rooms skip these tips, which would cost a frame per member per join.
pub const AV_TIP_MAX_MEMBERS: usize = 1000;

/// Sender of server-made messages such as group tips.
pub const SYSTEM_SENDER: &str = "@TIM#SYSTEM";

fn not_found(group_id: &str) -> ImError {
    ImError::new(
        code::GROUP_NOT_FOUND,
        format!("group {group_id} does not exist"),
    )
}

/// A group that exists and is not dismissed.
pub fn live(st: &AppState, group_id: &str) -> Result<Group> {
    match st.db(|s| s.group(group_id))? {
        Some(row) if !row.dismissed => Ok(row.group),
        _ => Err(not_found(group_id)),
    }
}

/// The group as `user_id` sees it (with selfInfo), or None when it is gone.
pub fn view(st: &AppState, group_id: &str, user_id: &str) -> Result<Option<Group>> {
    let Some(row) = st.db(|s| s.group(group_id))? else {
        return Ok(None);
    };
    let member = st.db(|s| s.member(group_id, user_id))?;
    Ok(Some(view_of(row.group, member)))
}

/// [`view`] from a group row already read and the viewer's membership (None: not a member),
/// so a fan-out reads the group once for all its members.
pub fn view_of(mut g: Group, member: Option<MemberRow>) -> Group {
    if let Some(m) = member {
        g.self_info = GroupSelfInfo {
            role: m.role,
            message_remind_type: types::MSG_REMIND_ACPT_AND_NOTE.to_owned(),
            join_time: m.join_time,
            name_card: m.name_card,
        };
    }
    g
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

fn new_group_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("@TGS#{tail}")
}

/// Posts a membership tip into the group and tells `affected` their group list changed.
pub fn tip(
    st: &AppState,
    group_id: &str,
    operator: &str,
    op: u32,
    users: Vec<String>,
    affected: &[String],
) -> Result<()> {
    let members = st.db(|s| s.members(group_id))?;
    let is_av = st
        .db(|s| s.group(group_id))?
        .is_some_and(|row| row.group.kind == types::GRP_AVCHATROOM);
    let conv_id = format!("GROUP{group_id}");
    let recips: Vec<Recipient> = members
        .into_iter()
        .map(|m| Recipient {
            user_id: m.user_id,
            conv_id: conv_id.clone(),
            counts_unread: false,
            sets_last: true,
            at_type: 0,
        })
        .collect();
    let mut rng = rand::rng();
    let time = now();
    let random: u32 = rng.random();
    let payload = GroupTipPayload {
        operator_id: operator.to_owned(),
        operation_type: op,
        user_id_list: users,
    };
    let m = Message {
        id: format!("tip-{group_id}-{time}-{random}"),
        kind: types::MSG_GRP_TIP.to_owned(),
        payload: serde_json::to_value(payload).unwrap_or_default(),
        conversation_type: types::CONV_GROUP.to_owned(),
        to: group_id.to_owned(),
        from: SYSTEM_SENDER.to_owned(),
        status: pigeon_proto::model::status::SUCCESS.to_owned(),
        priority: types::MSG_PRIORITY_NORMAL.to_owned(),
        random,
        client_time: time,
        ..Default::default()
    };
    if is_av {
        // An AVChatRoom keeps no history (its messages are live only, see
        // `messages::send_as`), so neither do its tips: storing one per join in every
        // member's inbox and conversation made each join cost O(members) writes and a room
        // of 10,000 take over an hour to fill. Past AV_TIP_MAX_MEMBERS nobody is told of each
        // join or departure: every one would go to every member, O(members²) frames for a
        // room filling up.
        if recips.len() <= AV_TIP_MAX_MEMBERS {
            let mut m = m;
            m.time = time;
            crate::messages::push_live(st, &m, recips.iter().map(|r| r.user_id.as_str()), None);
        }
    } else if !recips.is_empty() {
        deliver_system(st, &group_key(group_id), &m, &recips)?;
    }
    for u in affected {
        st.push(u, &Push::GroupsChanged {}, None);
    }
    Ok(())
}

/// Implements `createGroup`.
pub fn create(st: &AppState, caller: &Caller, req: CreateGroup) -> Result<CreateGroupReply> {
    create_by(st, caller, Some(&caller.user_id), req)
}

/// Creates a group for `owner` (None: a group without owner, as the REST API's create_group
/// without `Owner_Account` makes), made by `caller` (the tips' and notices' operator).
pub fn create_by(
    st: &AppState,
    caller: &Caller,
    owner: Option<&str>,
    req: CreateGroup,
) -> Result<CreateGroupReply> {
    let kind = req
        .kind
        .clone()
        .unwrap_or_else(|| types::GRP_WORK.to_owned());
    let (join_settable, default_join) = match kind.as_str() {
        types::GRP_WORK => (false, types::JOIN_OPTIONS_DISABLE_APPLY),
        types::GRP_PUBLIC => (true, types::JOIN_OPTIONS_FREE_ACCESS),
        types::GRP_MEETING => (false, types::JOIN_OPTIONS_FREE_ACCESS),
        types::GRP_AVCHATROOM => (false, types::JOIN_OPTIONS_FREE_ACCESS),
        types::GRP_COMMUNITY => (true, types::JOIN_OPTIONS_FREE_ACCESS),
        other => {
            return Err(ImError::new(
                code::ILLEGAL_GRP_TYPE,
                format!("unknown group type {other:?}"),
            ));
        }
    };
    if req.name.trim().is_empty() {
        return Err(invalid("group name is required"));
    }
    check_len("name", &req.name, 100)?;
    check_len(
        "introduction",
        req.introduction.as_deref().unwrap_or(""),
        400,
    )?;
    check_len(
        "notification",
        req.notification.as_deref().unwrap_or(""),
        400,
    )?;
    check_len("avatar", req.avatar.as_deref().unwrap_or(""), 500)?;
    let join_option = match req.join_option.as_deref() {
        None => default_join.to_owned(),
        Some(_) if !join_settable => {
            return Err(invalid(format!(
                "joinOption cannot be set for {kind} groups"
            )));
        }
        Some(
            o @ (types::JOIN_OPTIONS_FREE_ACCESS
            | types::JOIN_OPTIONS_NEED_PERMISSION
            | types::JOIN_OPTIONS_DISABLE_APPLY),
        ) => o.to_owned(),
        Some(o) => return Err(invalid(format!("unknown joinOption {o:?}"))),
    };
    if kind == types::GRP_AVCHATROOM && !req.member_list.is_empty() {
        return Err(invalid("AVChatRoom groups cannot be created with members"));
    }
    if req.member_list.len() > 100 {
        return Err(invalid("memberList holds at most 100 members"));
    }
    // The type's cap (`[limits] max_members_*`, the seed's defaults) is also the most a
    // creator may ask for.
    let type_max = st.config.limits.max_members(&kind).unwrap_or(0);
    let max = req.max_member_num.filter(|n| *n > 0).unwrap_or(type_max);
    if max > type_max {
        return Err(invalid(format!(
            "maxMemberNum {max} is over the {type_max} members a {kind} group may have"
        )));
    }
    let group_id = match req.group_id.as_deref().filter(|g| !g.is_empty()) {
        Some(g) => {
            if g.len() > 48
                || !g.bytes().all(|b| (0x20..=0x7e).contains(&b))
                || g.starts_with("@TGS#")
            {
                return Err(ImError::new(
                    code::GROUP_ID_INVALID,
                    "groupID must be printable ASCII, at most 48 bytes, not starting with @TGS#",
                ));
            }
            g.to_owned()
        }
        None => new_group_id(),
    };
    let time = now();
    let mut members = Vec::new();
    if let Some(owner) = owner.filter(|_| kind != types::GRP_AVCHATROOM) {
        members.push(MemberRow {
            user_id: owner.to_owned(),
            role: types::GRP_MBR_ROLE_OWNER.to_owned(),
            join_time: time,
            name_card: String::new(),
        });
    }
    for m in &req.member_list {
        validate_user_id("memberList[].userID", &m.user_id)?;
        let role = match m.role.as_deref() {
            None | Some("") | Some(types::GRP_MBR_ROLE_MEMBER) => types::GRP_MBR_ROLE_MEMBER,
            Some(types::GRP_MBR_ROLE_ADMIN) => types::GRP_MBR_ROLE_ADMIN,
            Some(r) => return Err(invalid(format!("memberList role {r:?} is not Admin"))),
        };
        if members.iter().all(|x: &MemberRow| x.user_id != m.user_id) {
            members.push(MemberRow {
                user_id: m.user_id.clone(),
                role: role.to_owned(),
                join_time: time,
                name_card: String::new(),
            });
        }
    }
    if members.len() as u64 > max {
        return Err(ImError::new(
            code::GROUP_FULL,
            "memberList is larger than maxMemberNum",
        ));
    }
    // Work group members invite freely by default (seed); other types need it enabled.
    let invite_option = req.invite_option.unwrap_or_else(|| {
        if kind == types::GRP_WORK {
            "FreeAccess"
        } else {
            types::INVITE_OPTIONS_DISABLE_INVITE
        }
        .to_owned()
    });
    let group = Group {
        group_id: group_id.clone(),
        name: req.name,
        avatar: req.avatar.unwrap_or_default(),
        kind,
        introduction: req.introduction.unwrap_or_default(),
        notification: req.notification.unwrap_or_default(),
        owner_id: owner.unwrap_or_default().to_owned(),
        create_time: time,
        info_sequence: 1,
        last_info_time: time,
        max_member_count: max,
        join_option,
        invite_option,
        group_custom_field: req
            .group_custom_field
            .iter()
            .map(|f| {
                let (key, value) = crate::group_admin::custom_field(st, f)?;
                Ok(serde_json::json!({"key": key, "value": value}))
            })
            .collect::<Result<_>>()?,
        is_support_topic: req.is_support_topic,
        ..Default::default()
    };
    if !st.db(|s| s.create_group(&group, &members))? {
        return Err(ImError::new(
            code::GROUP_ID_TAKEN,
            format!("groupID {group_id} is taken"),
        ));
    }
    let ids: Vec<String> = members.iter().map(|m| m.user_id.clone()).collect();
    tip(
        st,
        &group_id,
        &caller.user_id,
        types::GRP_TIP_MBR_JOIN,
        ids.clone(),
        &ids,
    )?;
    let group = view(st, &group_id, &caller.user_id)?.ok_or_else(|| not_found(&group_id))?;
    crate::webhooks::group_created(st, caller, &group, &ids);
    let me = &caller.user_id;
    if let Some(owner) = owner {
        crate::group_admin::system_notice(
            st,
            owner,
            &group,
            pigeon_proto::group_admin::notice::CREATED,
            me,
            "",
        );
    }
    for m in ids.iter().filter(|m| Some(m.as_str()) != owner) {
        crate::group_admin::system_notice(
            st,
            m,
            &group,
            pigeon_proto::group_admin::notice::INVITED,
            me,
            "",
        );
    }
    Ok(CreateGroupReply {
        group,
        over_limit_user_id_list: vec![],
    })
}

/// Implements `getGroupList`: joined groups, without AVChatRooms and topic communities.
pub fn list(st: &AppState, caller: &Caller) -> Result<GroupListReply> {
    let ids = st.db(|s| s.groups_of(&caller.user_id))?;
    let mut group_list = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(g) = view(st, &id, &caller.user_id)? {
            let hidden = g.kind == types::GRP_AVCHATROOM
                || (g.kind == types::GRP_COMMUNITY && g.is_support_topic);
            if !hidden {
                group_list.push(g);
            }
        }
    }
    Ok(GroupListReply { group_list })
}

/// Implements `getGroupProfile`. Work groups are visible to their members only.
pub fn profile(st: &AppState, caller: &Caller, group_id: &str) -> Result<GroupReply> {
    let g = live(st, group_id)?;
    let group = view(st, group_id, &caller.user_id)?.ok_or_else(|| not_found(group_id))?;
    if g.kind == types::GRP_WORK && group.self_info.role.is_empty() {
        return Err(no_permission(format!(
            "only members can see work group {group_id}"
        )));
    }
    Ok(GroupReply { group })
}

/// Implements `joinGroup`.
pub fn join(st: &AppState, caller: &Caller, req: JoinGroup) -> Result<JoinGroupReply> {
    let g = live(st, &req.group_id)?;
    let me = &caller.user_id;
    if st.db(|s| s.member(&g.group_id, me))?.is_some() {
        return Ok(JoinGroupReply {
            status: types::JOIN_STATUS_ALREADY_IN_GROUP.to_owned(),
            group: view(st, &g.group_id, me)?,
        });
    }
    crate::group_members::check_not_banned(st, &g.group_id, me)?;
    if g.kind == types::GRP_WORK {
        return Err(no_permission(
            "work groups can only be joined by invitation",
        ));
    }
    match g.join_option.as_str() {
        types::JOIN_OPTIONS_DISABLE_APPLY => {
            return Err(no_permission(format!(
                "group {} does not accept applications",
                g.group_id
            )));
        }
        types::JOIN_OPTIONS_NEED_PERMISSION => {
            check_len("applyMessage", &req.apply_message, 300)?;
            st.db(|s| s.add_application(&g.group_id, me, &req.apply_message, now()))?;
            crate::group_admin::notify_application(st, &g.group_id, me, &req.apply_message)?;
            return Ok(JoinGroupReply {
                status: types::JOIN_STATUS_WAIT_APPROVAL.to_owned(),
                group: None,
            });
        }
        _ => {}
    }
    if g.member_count >= g.max_member_count {
        return Err(ImError::new(
            code::GROUP_FULL,
            format!("group {} is full", g.group_id),
        ));
    }
    let row = MemberRow {
        user_id: me.clone(),
        role: types::GRP_MBR_ROLE_MEMBER.to_owned(),
        join_time: now(),
        name_card: String::new(),
    };
    st.db(|s| s.add_member(&g.group_id, &row))?;
    crate::webhooks::members_joined(st, caller, &g, "Apply", std::slice::from_ref(me));
    tip(
        st,
        &g.group_id,
        me,
        types::GRP_TIP_MBR_JOIN,
        vec![me.clone()],
        std::slice::from_ref(me),
    )?;
    Ok(JoinGroupReply {
        status: types::JOIN_STATUS_SUCCESS.to_owned(),
        group: view(st, &g.group_id, me)?,
    })
}

/// Implements `quitGroup`. Owners may only quit work groups, which then have no owner.
pub fn quit(st: &AppState, caller: &Caller, req: GroupIdArg) -> Result<GroupIdArg> {
    let g = live(st, &req.group_id)?;
    let me = &caller.user_id;
    let Some(member) = st.db(|s| s.member(&g.group_id, me))? else {
        return Err(no_permission(format!(
            "{me} is not a member of group {}",
            g.group_id
        )));
    };
    if member.role == types::GRP_MBR_ROLE_OWNER && g.kind != types::GRP_WORK {
        return Err(ImError::new(
            code::GROUP_OWNER_CANNOT_QUIT,
            "the owner cannot quit this group: transfer ownership or dismiss it",
        ));
    }
    st.db(|s| s.remove_member(&g.group_id, me))?;
    crate::webhooks::members_exited(st, caller, &g, "Quit", std::slice::from_ref(me));
    if member.role == types::GRP_MBR_ROLE_OWNER {
        st.db(|s| s.set_group_owner(&g.group_id, "", now()))?;
    }
    tip(
        st,
        &g.group_id,
        me,
        types::GRP_TIP_MBR_QUIT,
        vec![me.clone()],
        std::slice::from_ref(me),
    )?;
    crate::group_admin::system_notice(st, me, &g, pigeon_proto::group_admin::notice::QUIT, me, "");
    Ok(GroupIdArg {
        group_id: g.group_id,
    })
}

/// Implements `dismissGroup`: owner only, never for work groups.
pub fn dismiss(st: &AppState, caller: &Caller, req: GroupIdArg) -> Result<GroupIdArg> {
    let g = live(st, &req.group_id)?;
    if g.owner_id != caller.user_id {
        return Err(no_permission("only the owner can dismiss the group"));
    }
    if g.kind == types::GRP_WORK {
        return Err(no_permission(
            "work groups cannot be dismissed by their owner",
        ));
    }
    let members = st.db(|s| s.members(&g.group_id))?;
    st.db(|s| s.dismiss_group(&g.group_id))?;
    for m in members {
        crate::group_admin::system_notice(
            st,
            &m.user_id,
            &g,
            pigeon_proto::group_admin::notice::DISMISSED,
            &caller.user_id,
            "",
        );
        st.push(&m.user_id, &Push::GroupsChanged {}, None);
    }
    Ok(GroupIdArg {
        group_id: g.group_id,
    })
}
