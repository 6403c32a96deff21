//! Conversations: the list and profiles, read marks, and every per-user conversation setting
//! (pin, custom data, marks, remind type, folders, global do-not-disturb). Settings live on the
//! server and every change is pushed to the user's other sessions.

use crate::invalid;
use crate::store::{ConvRow, MemberRow, SettingChange};
use crate::{now, validate_user_id, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::model::{Conversation, Group, LastMessage, UserProfile};
use pigeon_proto::wire::{
    AddConversationsToGroup, BatchReply, ClearHistoryMessage, ConversationFailure,
    ConversationIdList, ConversationIdReply, ConversationListReply, ConversationReply,
    CreateConversationGroup, DeleteConversation, DeleteConversationGroup,
    DeleteConversationsFromGroup, Empty, GetConversationList, MarkConversation, PinConversation,
    Push, ReceiveMessageOpt, RemindTypeReply, RenameConversationGroup, SetAllMessageRead,
    SetAllReceiveMessageOpt, SetConversationCustomData, SetMessageRemindType, UserFailure, UserRef,
    CONVERSATION_PAGE_MAX,
};
use pigeon_proto::{ImError, Result};
use std::collections::HashMap;

/// Most conversations one batch call takes.
const MAX_BATCH: usize = 100;
/// Most C2C peers one `setMessageRemindType` takes (seed).
const MAX_REMIND_USERS: usize = 30;
/// Longest custom data (seed).
const MAX_CUSTOM_DATA: usize = 256;
/// Longest conversation group name (seed).
const MAX_GROUP_NAME: usize = 32;
/// Most conversation groups per user.
const MAX_CONV_GROUPS: usize = 20;
/// Most conversations per conversation group.
const MAX_CONV_GROUP_SIZE: usize = 1000;

/// What a conversation ID points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One-to-one with this peer.
    C2c(String),
    /// A group.
    Group(String),
    /// The system conversation.
    System,
}

/// Parses `C2C<userID>`, `GROUP<groupID>` or `@TIM#SYSTEM`.
pub fn parse_id(conv_id: &str) -> Result<Target> {
    if conv_id == types::CONV_SYSTEM {
        return Ok(Target::System);
    }
    if let Some(peer) = conv_id.strip_prefix("C2C").filter(|p| !p.is_empty()) {
        return Ok(Target::C2c(peer.to_owned()));
    }
    if let Some(g) = conv_id.strip_prefix("GROUP").filter(|g| !g.is_empty()) {
        return Ok(Target::Group(g.to_owned()));
    }
    Err(ImError::new(
        code::INVALID_CONV_ID,
        format!(
            "invalid conversationID {conv_id:?}: expected C2C<userID>, GROUP<groupID> or @TIM#SYSTEM"
        ),
    ))
}

/// Storage key of the one-to-one conversation of `a` and `b` (the same for both sides).
pub fn c2c_key(a: &str, b: &str) -> String {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    format!("c2c\u{1f}{x}\u{1f}{y}")
}

/// Storage key of a user's system conversation (group system notices).
pub fn system_key(user_id: &str) -> String {
    format!("system\u{1f}{user_id}")
}

/// Storage key of a group's conversation.
pub fn group_key(group_id: &str) -> String {
    format!("group\u{1f}{group_id}")
}

/// The set bits of a mark set, lowest first (`Conversation.markList`).
pub fn mark_list(marks: u64) -> Vec<u64> {
    (0..64)
        .map(|b| 1u64 << b)
        .filter(|bit| marks & bit != 0)
        .collect()
}

/// What every member's view of one group conversation shares (the group row and who is in
/// it), read once per fan-out instead of twice per recipient.
pub struct GroupCtx {
    group_id: String,
    group: Option<Group>,
    members: HashMap<String, MemberRow>,
}

impl GroupCtx {
    /// Reads group `group_id` (dismissed or not, as [`crate::groups::view`] does) and its
    /// members.
    pub fn load(st: &AppState, group_id: &str) -> Result<Self> {
        let group = st.db(|s| s.group(group_id))?.map(|row| row.group);
        let members = match group {
            Some(_) => st
                .db(|s| s.members(group_id))?
                .into_iter()
                .map(|m| (m.user_id.clone(), m))
                .collect(),
            None => HashMap::new(),
        };
        Ok(Self {
            group_id: group_id.to_owned(),
            group,
            members,
        })
    }

    /// The group as `user_id` sees it, like [`crate::groups::view`].
    fn view(&self, user_id: &str) -> Option<Group> {
        self.group
            .as_ref()
            .map(|g| crate::groups::view_of(g.clone(), self.members.get(user_id).cloned()))
    }
}

/// Builds the user's view of a stored conversation row.
pub fn build(st: &AppState, user_id: &str, row: ConvRow) -> Result<Conversation> {
    build_in(st, user_id, row, None)
}

/// [`build`], taking a group conversation's shared part from `ctx` when it is that group's.
pub fn build_in(
    st: &AppState,
    user_id: &str,
    row: ConvRow,
    ctx: Option<&GroupCtx>,
) -> Result<Conversation> {
    let remind = if row.settings.remind_type.is_empty() {
        types::MSG_REMIND_ACPT_AND_NOTE.to_owned()
    } else {
        row.settings.remind_type.clone()
    };
    let mut c = Conversation {
        conversation_id: row.conv_id.clone(),
        unread_count: row.unread,
        last_message: row
            .last_message
            .map(|m| LastMessage::from_message(&m.view_as(user_id)))
            .unwrap_or_default(),
        message_remind_type: remind.clone(),
        is_pinned: row.settings.pinned,
        custom_data: row.settings.custom_data,
        mark_list: mark_list(row.settings.marks),
        conversation_group_list: row.groups,
        group_at_info_list: row.at_info,
        ..Default::default()
    };
    match parse_id(&row.conv_id)? {
        Target::C2c(peer) => {
            c.kind = types::CONV_C2C.to_owned();
            let p = crate::profiles::profiles_of(st, std::slice::from_ref(&peer))?;
            let (nick, avatar) = p
                .into_iter()
                .next()
                .map(|p| (p.nick, p.avatar))
                .unwrap_or_default();
            c.user_profile = Some(UserProfile {
                user_id: peer,
                nick,
                avatar,
            });
        }
        Target::Group(gid) => {
            c.kind = types::CONV_GROUP.to_owned();
            let group = match ctx.filter(|x| x.group_id == gid) {
                Some(x) => x.view(user_id),
                None => crate::groups::view(st, &gid, user_id)?,
            };
            c.group_profile = group.map(|mut g| {
                if !g.self_info.role.is_empty() {
                    g.self_info.message_remind_type = remind.clone();
                }
                g
            });
        }
        Target::System => c.kind = types::CONV_SYSTEM.to_owned(),
    }
    Ok(c)
}

/// The user's conversation `conv_id`, built, if it exists.
pub fn load(st: &AppState, user_id: &str, conv_id: &str) -> Result<Option<Conversation>> {
    st.db(|s| s.conversation(user_id, conv_id))?
        .map(|row| build(st, user_id, row))
        .transpose()
}

/// Implements `getConversationList`, a page at a time in conversationID order (the SDK sorts).
pub fn list(
    st: &AppState,
    caller: &Caller,
    req: GetConversationList,
) -> Result<ConversationListReply> {
    let limit = if req.count == 0 {
        CONVERSATION_PAGE_MAX
    } else {
        req.count.min(CONVERSATION_PAGE_MAX)
    };
    let rows = st.db(|s| s.conversations(&caller.user_id, req.after.as_deref(), limit + 1))?;
    let is_completed = rows.len() <= limit as usize;
    let conversation_list = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| build(st, &caller.user_id, r))
        .collect::<Result<_>>()?;
    Ok(ConversationListReply {
        conversation_list,
        is_completed,
    })
}

fn not_found(conv_id: &str) -> ImError {
    ImError::new(
        code::CONV_NOT_FOUND,
        format!("conversation {conv_id} not found"),
    )
}

/// The caller's conversation, or CONV_NOT_FOUND.
fn existing(st: &AppState, caller: &Caller, conv_id: &str) -> Result<Conversation> {
    parse_id(conv_id)?;
    load(st, &caller.user_id, conv_id)?.ok_or_else(|| not_found(conv_id))
}

/// Tells the caller's other sessions what changed.
fn sync_others(st: &AppState, caller: &Caller, updated: Vec<Conversation>, deleted: Vec<String>) {
    if !updated.is_empty() || !deleted.is_empty() {
        st.push(
            &caller.user_id,
            &Push::Conversations { updated, deleted },
            Some(caller.session),
        );
    }
}

/// Implements `getConversationProfile`.
pub fn profile(st: &AppState, caller: &Caller, conv_id: &str) -> Result<ConversationReply> {
    Ok(ConversationReply {
        conversation: existing(st, caller, conv_id)?,
    })
}

/// Implements `setMessageRead`: unread to zero, @-mentions and the unread mark cleared, and
/// the user's other sessions follow.
pub fn set_read(st: &AppState, caller: &Caller, conv_id: &str) -> Result<ConversationReply> {
    let target = parse_id(conv_id)?;
    let unread_before = st
        .db(|s| s.conversation(&caller.user_id, conv_id))?
        .map(|c| c.unread);
    if !st.db(|s| s.mark_read(&caller.user_id, conv_id))? {
        return Err(not_found(conv_id));
    }
    let conversation = existing(st, caller, conv_id)?;
    sync_others(st, caller, vec![conversation.clone()], vec![]);
    if let (Target::C2c(peer), Some(n)) = (target, unread_before) {
        if n > 0 {
            report_read_to_peer(st, &caller.user_id, &peer)?;
        }
    }
    Ok(ConversationReply { conversation })
}

/// The C2C read report: the peer's instances get MESSAGE_READ_BY_PEER for the messages they
/// sent that `reader` has now read (the most recent page of them), with `isPeerRead` true.
fn report_read_to_peer(st: &AppState, reader: &str, peer: &str) -> Result<()> {
    let key = c2c_key(reader, peer);
    let recent = st.db(|s| s.messages_before(&key, None, 0, 30))?;
    let read: Vec<_> = recent
        .into_iter()
        .filter(|m| m.from == peer)
        .map(|mut m| {
            m.is_peer_read = true;
            m.view_as(peer)
        })
        .rev()
        .collect();
    if !read.is_empty() {
        let data = serde_json::to_value(read).unwrap_or_default();
        st.emit_to(
            peer,
            pigeon_proto::consts::event::MESSAGE_READ_BY_PEER,
            data,
            None,
        );
    }
    Ok(())
}

/// Implements `setAllMessageRead` for a scope; returns the conversations that changed.
pub fn set_all_read(
    st: &AppState,
    caller: &Caller,
    req: SetAllMessageRead,
) -> Result<pigeon_proto::wire::ConversationListReply> {
    let prefix = match req.scope.as_str() {
        "" | types::READ_ALL_MSG => None,
        types::READ_ALL_C2C_MSG => Some("C2C"),
        types::READ_ALL_GROUP_MSG => Some("GROUP"),
        other => return Err(invalid(format!("unknown scope {other:?}"))),
    };
    let ids = st.db(|s| s.mark_all_read(&caller.user_id, prefix))?;
    let mut updated = Vec::with_capacity(ids.len());
    for id in &ids {
        updated.extend(load(st, &caller.user_id, id)?);
    }
    sync_others(st, caller, updated.clone(), vec![]);
    Ok(ConversationListReply {
        conversation_list: updated,
        is_completed: true,
    })
}

fn check_batch(ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Err(invalid("conversationIDList is empty"));
    }
    if ids.len() > MAX_BATCH {
        return Err(invalid(format!(
            "conversationIDList holds at most {MAX_BATCH} IDs"
        )));
    }
    Ok(())
}

/// Implements `deleteConversation` (history cleared too unless `clearHistoryMessage` is false).
pub fn delete(
    st: &AppState,
    caller: &Caller,
    req: DeleteConversation,
) -> Result<ConversationIdList> {
    check_batch(&req.conversation_id_list)?;
    for id in &req.conversation_id_list {
        existing(st, caller, id)?;
    }
    let mut deleted = Vec::new();
    for id in req.conversation_id_list {
        if req.clear_history_message {
            st.db(|s| s.clear_history(&caller.user_id, &id))?;
        }
        if st.db(|s| s.delete_conversation(&caller.user_id, &id))? {
            deleted.push(id);
        }
    }
    sync_others(st, caller, vec![], deleted.clone());
    Ok(ConversationIdList {
        conversation_id_list: deleted,
    })
}

/// Implements `clearHistoryMessage`: history hidden for this user, the conversation stays.
pub fn clear_history(
    st: &AppState,
    caller: &Caller,
    req: ClearHistoryMessage,
) -> Result<ConversationReply> {
    parse_id(&req.conversation_id)?;
    if !st.db(|s| s.clear_history(&caller.user_id, &req.conversation_id))? {
        return Err(not_found(&req.conversation_id));
    }
    let conversation = existing(st, caller, &req.conversation_id)?;
    sync_others(st, caller, vec![conversation.clone()], vec![]);
    Ok(ConversationReply { conversation })
}

/// Runs `apply` on each of the caller's conversations in `ids`, collecting per-ID failures
/// (unknown or malformed IDs included), and tells the caller's other sessions what changed.
fn for_each_conversation(
    st: &AppState,
    caller: &Caller,
    ids: &[String],
    mut apply: impl FnMut(&str) -> Result<()>,
) -> Result<BatchReply> {
    let mut reply = BatchReply::default();
    let mut updated = Vec::new();
    for id in ids {
        match existing(st, caller, id).and_then(|_| apply(id)) {
            Ok(()) => {
                updated.extend(load(st, &caller.user_id, id)?);
                reply.success_conversation_id_list.push(id.clone());
            }
            Err(e) => reply
                .failure_conversation_id_list
                .push(ConversationFailure {
                    conversation_id: id.clone(),
                    code: e.code,
                    message: e.message,
                }),
        }
    }
    sync_others(st, caller, updated.clone(), vec![]);
    reply.updated = updated;
    Ok(reply)
}

/// Applies one setting change to several conversations.
fn batch_setting(
    st: &AppState,
    caller: &Caller,
    ids: &[String],
    change: &SettingChange,
) -> Result<BatchReply> {
    for_each_conversation(st, caller, ids, |id| {
        st.db(|s| s.update_settings(&caller.user_id, id, change, now()))
    })
}

/// Implements `pinConversation`.
pub fn pin(st: &AppState, caller: &Caller, req: PinConversation) -> Result<ConversationIdReply> {
    existing(st, caller, &req.conversation_id)?;
    let ids = [req.conversation_id.clone()];
    let r = batch_setting(st, caller, &ids, &SettingChange::Pinned(req.is_pinned))?;
    Ok(ConversationIdReply {
        conversation_id: req.conversation_id,
        updated: r.updated,
    })
}

/// Implements `setConversationCustomData`.
pub fn set_custom_data(
    st: &AppState,
    caller: &Caller,
    req: SetConversationCustomData,
) -> Result<BatchReply> {
    check_batch(&req.conversation_id_list)?;
    if req.custom_data.len() > MAX_CUSTOM_DATA {
        return Err(invalid(format!(
            "customData is {} bytes, over the {MAX_CUSTOM_DATA}-byte limit",
            req.custom_data.len()
        )));
    }
    let change = SettingChange::CustomData(req.custom_data);
    batch_setting(st, caller, &req.conversation_id_list, &change)
}

/// Whether `mark` is one mark the seed allows: a built-in one or 2^n with 32 ≤ n < 64.
pub fn valid_mark(mark: u64) -> bool {
    mark.is_power_of_two() && (mark <= types::CONV_MARK_TYPE_HIDE || mark >= 1 << 32)
}

/// Implements `markConversation`.
pub fn mark(st: &AppState, caller: &Caller, req: MarkConversation) -> Result<BatchReply> {
    check_batch(&req.conversation_id_list)?;
    if !valid_mark(req.mark_type) {
        return Err(invalid(format!(
            "markType {} is neither a built-in mark nor 2^n with 32 <= n < 64",
            req.mark_type
        )));
    }
    let change = SettingChange::Mark(req.mark_type, req.enable_mark);
    batch_setting(st, caller, &req.conversation_id_list, &change)
}

fn check_remind_type(t: &str) -> Result<()> {
    let known = [
        types::MSG_REMIND_ACPT_AND_NOTE,
        types::MSG_REMIND_ACPT_NOT_NOTE,
        types::MSG_REMIND_DISCARD,
        types::MSG_REMIND_NOT_NOTE_EXCEPT_AT,
        types::MSG_REMIND_DISCARD_EXCEPT_AT,
    ];
    if known.contains(&t) {
        Ok(())
    } else {
        Err(invalid(format!("unknown messageRemindType {t:?}")))
    }
}

/// Implements `setMessageRemindType` for a group (as a member) or C2C peers.
pub fn set_remind_type(
    st: &AppState,
    caller: &Caller,
    req: SetMessageRemindType,
) -> Result<RemindTypeReply> {
    check_remind_type(&req.message_remind_type)?;
    let me = &caller.user_id;
    let change = SettingChange::RemindType(req.message_remind_type.clone());
    let mut reply = RemindTypeReply::default();
    let mut targets = Vec::new();
    match (req.group_id.filter(|g| !g.is_empty()), req.user_id_list) {
        (Some(gid), None) => {
            crate::groups::live(st, &gid)?;
            if st.db(|s| s.member(&gid, me))?.is_none() {
                return Err(ImError::new(
                    code::GROUP_NO_PERMISSION,
                    format!("{me} is not a member of group {gid}"),
                ));
            }
            targets.push(format!("GROUP{gid}"));
        }
        (None, Some(users)) => {
            if users.is_empty() || users.len() > MAX_REMIND_USERS {
                return Err(invalid(format!(
                    "userIDList takes 1 to {MAX_REMIND_USERS} userIDs"
                )));
            }
            for u in users {
                match validate_user_id("userID", &u) {
                    Ok(()) => {
                        targets.push(format!("C2C{u}"));
                        reply.success_user_id_list.push(UserRef { user_id: u });
                    }
                    Err(e) => reply.failure_user_id_list.push(UserFailure {
                        user_id: u,
                        code: e.code,
                        message: e.message,
                    }),
                }
            }
        }
        _ => return Err(invalid("give either groupID or userIDList")),
    }
    let mut updated = Vec::new();
    for conv_id in &targets {
        st.db(|s| s.update_settings(me, conv_id, &change, now()))?;
        updated.extend(load(st, me, conv_id)?);
    }
    sync_others(st, caller, updated.clone(), vec![]);
    reply.updated = updated;
    Ok(reply)
}

/// Implements `setAllReceiveMessageOpt`: the global do-not-disturb window.
pub fn set_receive_opt(
    st: &AppState,
    caller: &Caller,
    req: SetAllReceiveMessageOpt,
) -> Result<ReceiveMessageOpt> {
    let opt = match req.message_remind_type.as_str() {
        types::MSG_REMIND_ACPT_AND_NOTE => ReceiveMessageOpt {
            message_remind_type: types::MSG_REMIND_ACPT_AND_NOTE.to_owned(),
            ..Default::default()
        },
        types::MSG_REMIND_ACPT_NOT_NOTE | "" => {
            let (h, m, s) = (
                req.start_hour.unwrap_or(0),
                req.start_minute.unwrap_or(0),
                req.start_second.unwrap_or(0),
            );
            if h > 23 || m > 59 || s > 59 {
                return Err(invalid(
                    "startHour must be 0-23, startMinute and startSecond 0-59",
                ));
            }
            if req.utc_offset.abs() > 14 * 3600 {
                return Err(invalid("utcOffset must be within ±14 hours"));
            }
            // Today's start in the user's local day, as a unix time.
            let local_now = now() as i64 + req.utc_offset;
            let local_midnight = local_now - local_now.rem_euclid(86_400);
            let start = local_midnight - req.utc_offset + i64::from(h * 3600 + m * 60 + s);
            let start = start.max(0) as u64;
            let duration = req.duration.unwrap_or(0);
            ReceiveMessageOpt {
                message_remind_type: types::MSG_REMIND_ACPT_NOT_NOTE.to_owned(),
                start_time: start,
                end_time: start.saturating_add(duration),
                is_repeated: req.is_repeated.unwrap_or(true),
            }
        }
        other => {
            return Err(invalid(format!(
                "messageRemindType for all conversations is AcceptNotNotify or AcceptAndNotify, not {other:?}"
            )));
        }
    };
    st.db(|s| s.set_receive_opt(&caller.user_id, &opt))?;
    st.push(
        &caller.user_id,
        &Push::ReceiveOpt { opt: opt.clone() },
        Some(caller.session),
    );
    Ok(opt)
}

/// Implements `getAllReceiveMessageOpt`.
pub fn receive_opt(st: &AppState, caller: &Caller) -> Result<ReceiveMessageOpt> {
    Ok(st
        .db(|s| s.receive_opt(&caller.user_id))?
        .unwrap_or_else(|| ReceiveMessageOpt {
            message_remind_type: types::MSG_REMIND_ACPT_AND_NOTE.to_owned(),
            ..Default::default()
        }))
}

fn check_group_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_GROUP_NAME {
        return Err(invalid(format!(
            "{what} must be 1 to {MAX_GROUP_NAME} bytes"
        )));
    }
    Ok(())
}

fn conv_group_missing(name: &str) -> ImError {
    ImError::new(
        code::CONV_GROUP_NOT_FOUND,
        format!("conversation group {name:?} does not exist"),
    )
}

fn push_groups(st: &AppState, caller: &Caller) -> Result<()> {
    let names = st.db(|s| s.conv_groups(&caller.user_id))?;
    st.push(
        &caller.user_id,
        &Push::ConversationGroups {
            group_name_list: names,
        },
        Some(caller.session),
    );
    Ok(())
}

fn push_in_group(st: &AppState, caller: &Caller, name: &str) -> Result<()> {
    let ids = st.db(|s| s.conv_group_members(&caller.user_id, name))?;
    let mut list = Vec::with_capacity(ids.len());
    for id in ids {
        list.extend(load(st, &caller.user_id, &id)?);
    }
    st.push(
        &caller.user_id,
        &Push::ConversationInGroup {
            group_name: name.to_owned(),
            conversation_list: list,
        },
        Some(caller.session),
    );
    Ok(())
}

/// Implements `getConversationGroupList`.
pub fn conv_groups(st: &AppState, caller: &Caller) -> Result<Vec<String>> {
    st.db(|s| s.conv_groups(&caller.user_id))
}

/// Puts conversations in or out of a folder.
fn move_conversations(
    st: &AppState,
    caller: &Caller,
    name: &str,
    ids: &[String],
    member: bool,
) -> Result<BatchReply> {
    let mut size = st
        .db(|s| s.conv_group_members(&caller.user_id, name))?
        .len();
    for_each_conversation(st, caller, ids, |id| {
        if member && size >= MAX_CONV_GROUP_SIZE {
            return Err(invalid(format!(
                "conversation group {name:?} holds at most {MAX_CONV_GROUP_SIZE} conversations"
            )));
        }
        if st.db(|s| s.set_in_conv_group(&caller.user_id, name, id, member))? && member {
            size += 1;
        }
        Ok(())
    })
}

/// Implements `createConversationGroup`.
pub fn create_conv_group(
    st: &AppState,
    caller: &Caller,
    req: CreateConversationGroup,
) -> Result<BatchReply> {
    check_group_name("groupName", &req.group_name)?;
    check_batch(&req.conversation_id_list)?;
    let names = st.db(|s| s.conv_groups(&caller.user_id))?;
    if names.contains(&req.group_name) {
        return Err(ImError::new(
            code::CONV_GROUP_EXISTS,
            format!("conversation group {:?} already exists", req.group_name),
        ));
    }
    if names.len() >= MAX_CONV_GROUPS {
        return Err(invalid(format!(
            "at most {MAX_CONV_GROUPS} conversation groups"
        )));
    }
    st.db(|s| s.create_conv_group(&caller.user_id, &req.group_name, now()))?;
    let reply = move_conversations(st, caller, &req.group_name, &req.conversation_id_list, true)?;
    push_groups(st, caller)?;
    Ok(reply)
}

/// After a folder was renamed or deleted: its conversations and the folder names, to the
/// caller's other sessions.
fn folder_changed(st: &AppState, caller: &Caller, members: Vec<String>) -> Result<Empty> {
    let mut updated = Vec::new();
    for id in members {
        updated.extend(load(st, &caller.user_id, &id)?);
    }
    sync_others(st, caller, updated, vec![]);
    push_groups(st, caller)?;
    Ok(Empty {})
}

/// Implements `deleteConversationGroup`.
pub fn delete_conv_group(
    st: &AppState,
    caller: &Caller,
    req: DeleteConversationGroup,
) -> Result<Empty> {
    let members = st.db(|s| s.conv_group_members(&caller.user_id, &req.group_name))?;
    if !st.db(|s| s.delete_conv_group(&caller.user_id, &req.group_name))? {
        return Err(conv_group_missing(&req.group_name));
    }
    folder_changed(st, caller, members)
}

/// Implements `renameConversationGroup`.
pub fn rename_conv_group(
    st: &AppState,
    caller: &Caller,
    req: RenameConversationGroup,
) -> Result<Empty> {
    check_group_name("newName", &req.new_name)?;
    let names = st.db(|s| s.conv_groups(&caller.user_id))?;
    if !names.contains(&req.old_name) {
        return Err(conv_group_missing(&req.old_name));
    }
    if req.old_name != req.new_name
        && !st.db(|s| s.rename_conv_group(&caller.user_id, &req.old_name, &req.new_name))?
    {
        return Err(ImError::new(
            code::CONV_GROUP_EXISTS,
            format!("conversation group {:?} already exists", req.new_name),
        ));
    }
    let members = st.db(|s| s.conv_group_members(&caller.user_id, &req.new_name))?;
    folder_changed(st, caller, members)
}

/// Implements `addConversationsToGroup`.
pub fn add_to_conv_group(
    st: &AppState,
    caller: &Caller,
    req: AddConversationsToGroup,
) -> Result<BatchReply> {
    change_folder(st, caller, &req.group_name, &req.conversation_id_list, true)
}

/// Implements `deleteConversationsFromGroup`.
pub fn remove_from_conv_group(
    st: &AppState,
    caller: &Caller,
    req: DeleteConversationsFromGroup,
) -> Result<BatchReply> {
    change_folder(
        st,
        caller,
        &req.group_name,
        &req.conversation_id_list,
        false,
    )
}

/// Moves conversations into (`member`) or out of an existing folder and tells the caller's
/// other sessions who is in it now.
fn change_folder(
    st: &AppState,
    caller: &Caller,
    name: &str,
    ids: &[String],
    member: bool,
) -> Result<BatchReply> {
    check_batch(ids)?;
    if !st
        .db(|s| s.conv_groups(&caller.user_id))?
        .iter()
        .any(|n| n == name)
    {
        return Err(conv_group_missing(name));
    }
    let reply = move_conversations(st, caller, name, ids, member)?;
    push_in_group(st, caller, name)?;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse() {
        assert_eq!(parse_id("C2Cbob"), Ok(Target::C2c("bob".into())));
        assert_eq!(parse_id("GROUP@TGS#1"), Ok(Target::Group("@TGS#1".into())));
        assert_eq!(parse_id("@TIM#SYSTEM"), Ok(Target::System));
        for bad in ["", "C2C", "GROUP", "bob", "c2cbob"] {
            assert_eq!(
                parse_id(bad).map_err(|e| e.code),
                Err(code::INVALID_CONV_ID),
                "{bad}"
            );
        }
        assert_eq!(c2c_key("bob", "alice"), c2c_key("alice", "bob"));
    }
}
