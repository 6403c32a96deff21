//! Message operations: revoke, delete, modify, forward, merger, hopping (issue 3).
//!
//! - `revokeMessage`: the sender within the revoke window (default 120 s; the environment
//!   variable `PIGEON_REVOKE_WINDOW_SECS`, else `revoke_window_secs = N` in
//!   `<data dir>/message_ops.toml`, sets it), a group's owner or admins any time. The stored body
//!   becomes revoked, so history and lastMessage show it; MESSAGE_REVOKED reaches every member
//!   of the conversation except the calling session.
//! - `deleteMessages`: per-user deletions, hidden from that user's history by [`filter_for`];
//!   their conversation's lastMessage moves back to the newest message they still see.
//! - `modifyMessage`: the sender only, optimistic by a `version` kept in the stored body;
//!   MESSAGE_MODIFIED reaches the whole conversation, the caller's sessions included (seed).
//! - `getMessageListHopping`: by sequence (groups) or server time (C2C), both directions.
//! - Merger messages: the history is stored here under a random downloadKey
//!   (`putMergerMessages`) and fetched on demand (`downloadMergerMessage`) by anyone who can
//!   see a message carrying the key, or a merged history that nests it.

use crate::conversations::{self, c2c_key, group_key, Target};
use crate::db::{params, Exec, OptionalExtension};
use crate::invalid;
use crate::reply_json as to_value;
use crate::{now, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code as core_code;
use pigeon_proto::message_ops::{
    code, with_version, DeleteMessages, DeleteMessagesReply, DownloadMergerMessage,
    DownloadMergerReply, GetMessageListHopping, HoppingReply, MessageReply, ModifyMessage,
    PutMergerMessages, PutMergerMessagesReply, RevokeMessage, DEFAULT_REVOKE_WINDOW_SECS,
    EVENT_MESSAGE_MODIFIED, EVENT_MESSAGE_REVOKED, MAX_DELETE_BATCH, MAX_HOPPING_COUNT,
    MAX_MERGER_BYTES, MAX_MERGER_MESSAGES, VERSION_KEY,
};
use pigeon_proto::model::{status, Message};
use pigeon_proto::wire::{Op, Push};
use pigeon_proto::ImError;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::OnceLock;

/// How deep nested merger messages are followed when checking download access.
const MAX_MERGER_NESTING: usize = 8;

fn not_found(id: &str) -> ImError {
    ImError::new(code::MSG_NOT_FOUND, format!("message {id} does not exist"))
}

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(
    st: &AppState,
    c: &Caller,
    op: &str,
    data: &Value,
) -> Option<Result<Value, ImError>> {
    let d = || data.clone();
    Some(match op {
        RevokeMessage::NAME => to_value(RevokeMessage::parse(d()).and_then(|r| revoke(st, c, r))),
        DeleteMessages::NAME => to_value(DeleteMessages::parse(d()).and_then(|r| delete(st, c, r))),
        ModifyMessage::NAME => to_value(ModifyMessage::parse(d()).and_then(|r| modify(st, c, r))),
        GetMessageListHopping::NAME => {
            to_value(GetMessageListHopping::parse(d()).and_then(|r| hopping(st, c, r)))
        }
        PutMergerMessages::NAME => {
            to_value(PutMergerMessages::parse(d()).and_then(|r| put_merger(st, c, r)))
        }
        DownloadMergerMessage::NAME => {
            to_value(DownloadMergerMessage::parse(d()).and_then(|r| download_merger(st, c, r)))
        }
        _ => return None,
    })
}

/// Checks the payload of the kinds this module sends (merger); None for other kinds.
pub fn check_payload(m: &Message) -> Option<Result<(), ImError>> {
    if m.kind != types::MSG_MERGER {
        return None;
    }
    Some(check_merger_payload(&m.payload))
}

fn check_merger_payload(p: &Value) -> Result<(), ImError> {
    let bad = |what: &str| {
        Err(ImError::new(
            code::MSG_MERGER_TYPE_INVALID,
            format!("merger message payload: {what}"),
        ))
    };
    if !p.is_object() {
        return bad("must be an object");
    }
    if !p.get("title").is_some_and(Value::is_string) {
        return bad("title must be a string");
    }
    if !p.get("compatibleText").is_some_and(Value::is_string) {
        return bad("compatibleText must be a string");
    }
    let abstracts_ok = p
        .get("abstractList")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().all(Value::is_string));
    if !abstracts_ok {
        return bad("abstractList must be an array of strings");
    }
    let key = match p.get("downloadKey") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return bad("downloadKey must be a string"),
    };
    let list = match p.get("messageList") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => return bad("messageList must be an array"),
    };
    if key.is_empty() && list.is_empty() {
        return bad("messageList is empty and there is no downloadKey");
    }
    if list.iter().any(|v| !v.is_object()) {
        return bad("messageList holds something that is not a message");
    }
    Ok(())
}

/// Drops from a history page what `user` may not see (messages they deleted) and marks what
/// changed (revoked, modified: both are in the stored body already). The page is newest
/// first; deleted messages are replaced by older ones so a page stays full while history
/// remains (the caller reads `isCompleted` from the page length).
pub fn filter_for(st: &AppState, user: &str, page: &mut Vec<Message>) -> Result<(), ImError> {
    let Some(first) = page.first() else {
        return Ok(());
    };
    let conv_key = conv_key_of(first);
    let want = page.len();
    let mut oldest = page.iter().map(|m| m.sequence).min().unwrap_or(0);
    let ids: Vec<String> = page.iter().map(|m| m.id.clone()).collect();
    let deleted = st.db(|s| s.deleted_among(user, &ids))?;
    if deleted.is_empty() {
        return Ok(());
    }
    page.retain(|m| !deleted.contains(&m.id));
    let cleared = st.db(|s| s.cleared_seq(user, &conv_key))?;
    while page.len() < want {
        let need = (want - page.len()) as u32;
        let more = st.db(|s| s.messages_before(&conv_key, Some(oldest), cleared, need))?;
        let Some(last) = more.last() else {
            break;
        };
        oldest = last.sequence;
        let got = more.len();
        let ids: Vec<String> = more.iter().map(|m| m.id.clone()).collect();
        let deleted = st.db(|s| s.deleted_among(user, &ids))?;
        page.extend(more.into_iter().filter(|m| !deleted.contains(&m.id)));
        if (got as u32) < need {
            break;
        }
    }
    Ok(())
}

/// Storage key of the conversation a stored message belongs to.
fn conv_key_of(m: &Message) -> String {
    if m.conversation_type == types::CONV_GROUP {
        group_key(&m.to)
    } else {
        c2c_key(&m.from, &m.to)
    }
}

/// Seconds a sender may revoke: `PIGEON_REVOKE_WINDOW_SECS`, else `revoke_window_secs` in
/// `<data dir>/message_ops.toml`, else 120. Read once per process.
fn revoke_window(st: &AppState) -> u64 {
    static WINDOW: OnceLock<u64> = OnceLock::new();
    *WINDOW.get_or_init(|| {
        if let Some(n) = std::env::var("PIGEON_REVOKE_WINDOW_SECS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
        {
            return n;
        }
        let file = st.config.data_dir.join("message_ops.toml");
        std::fs::read_to_string(file)
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .and_then(|t| t.get("revoke_window_secs").and_then(|v| v.as_integer()))
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(DEFAULT_REVOKE_WINDOW_SECS)
    })
}

/// A stored message, its version, and whether `user` takes part in its conversation.
fn load_visible(st: &AppState, user: &str, id: &str) -> Result<(Message, u64), ImError> {
    if id.is_empty() {
        return Err(invalid("messageID is required"));
    }
    let (m, version) = st
        .db(|s| s.message_with_version(id))?
        .ok_or_else(|| not_found(id))?;
    // The app administrator (REST API) sees every message.
    let takes_part = crate::rest::is_admin(st, user)
        || if m.conversation_type == types::CONV_GROUP {
            st.db(|s| s.member(&m.to, user))?.is_some()
                || st
                    .db(|s| s.conversation(user, &format!("GROUP{}", m.to)))?
                    .is_some()
        } else {
            m.from == user || m.to == user
        };
    if !takes_part {
        // Someone else's message looks the same as a missing one: nothing leaks.
        return Err(not_found(id));
    }
    Ok((m, version))
}

/// Changing a group message for everyone takes being in the group now: a former member keeps
/// reading (and deleting for themselves) what they saw, but may no longer revoke or modify.
fn still_member(st: &AppState, user: &str, m: &Message) -> Result<(), ImError> {
    if m.conversation_type != types::CONV_GROUP || crate::rest::is_admin(st, user) {
        return Ok(());
    }
    let community = crate::topics::community_of(st, &m.to)?;
    let gid = community.as_deref().unwrap_or(&m.to);
    if st.db(|s| s.member(gid, user))?.is_none() {
        return Err(ImError::new(
            core_code::GROUP_NO_PERMISSION,
            format!("{user} is no longer a member of group {gid}"),
        ));
    }
    Ok(())
}

/// Everyone who sees the conversation of `m`.
fn audience(st: &AppState, m: &Message) -> Result<Vec<String>, ImError> {
    if m.conversation_type == types::CONV_GROUP {
        Ok(st
            .db(|s| s.members(&m.to))?
            .into_iter()
            .map(|mm| mm.user_id)
            .collect())
    } else if m.from == m.to {
        Ok(vec![m.from.clone()])
    } else {
        Ok(vec![m.from.clone(), m.to.clone()])
    }
}

/// Pushes the conversation of everyone whose lastMessage is `id` (it changed in place).
fn refresh_last_message(st: &AppState, id: &str) -> Result<(), ImError> {
    for (user, conv_id) in st.db(|s| s.last_message_holders(id))? {
        if let Some(conversation) = conversations::load(st, &user, &conv_id)? {
            st.push(&user, &Push::Conversation { conversation }, None);
        }
    }
    Ok(())
}

/// Implements `revokeMessage`.
pub fn revoke(st: &AppState, c: &Caller, req: RevokeMessage) -> Result<MessageReply, ImError> {
    let me = &c.user_id;
    let (m, version) = load_visible(st, me, &req.message_id)?;
    still_member(st, me, &m)?;
    if m.is_revoked {
        return Ok(MessageReply {
            message: m.view_as(me),
            version,
        });
    }
    if m.kind == types::MSG_GRP_TIP || m.kind == types::MSG_GRP_SYS_NOTICE {
        return Err(ImError::new(
            core_code::GROUP_NO_PERMISSION,
            "group notifications cannot be revoked",
        ));
    }
    let is_admin = crate::rest::is_admin(st, me)
        || (m.conversation_type == types::CONV_GROUP
            && st.db(|s| s.member(&m.to, me))?.is_some_and(|mm| {
                mm.role == types::GRP_MBR_ROLE_OWNER || mm.role == types::GRP_MBR_ROLE_ADMIN
            }));
    if !is_admin {
        if m.from != *me {
            return Err(ImError::new(
                core_code::GROUP_NO_PERMISSION,
                "only the sender, or a group's owner or admin, may revoke a message",
            ));
        }
        let window = revoke_window(st);
        if now() >= m.time.saturating_add(window) {
            return Err(ImError::new(
                code::REVOKE_TIME_LIMIT,
                format!("the {window} s revoke window of this message has passed"),
            ));
        }
    }
    let profile = crate::profiles::profiles_of(st, std::slice::from_ref(me))?
        .pop()
        .map(|p| json!({"userID": p.user_id, "nick": p.nick, "avatar": p.avatar}))
        .unwrap_or_else(|| json!({"userID": me, "nick": "", "avatar": ""}));
    let revoked = st
        .db(|s| s.mark_revoked(&m.id, me, &profile))?
        .ok_or_else(|| not_found(&m.id))?;
    for user in audience(st, &revoked)? {
        let except = (user == *me).then_some(c.session);
        let data = json!([revoked.clone().view_as(&user)]);
        st.emit_to(&user, EVENT_MESSAGE_REVOKED, data, except);
    }
    refresh_last_message(st, &revoked.id)?;
    Ok(MessageReply {
        message: revoked.view_as(me),
        version,
    })
}

/// Implements `deleteMessage` (server side): for the caller only.
pub fn delete(
    st: &AppState,
    c: &Caller,
    req: DeleteMessages,
) -> Result<DeleteMessagesReply, ImError> {
    let me = &c.user_id;
    let conv_key = match conversations::parse_id(&req.conversation_id)? {
        Target::C2c(peer) => c2c_key(me, &peer),
        Target::Group(gid) => {
            if let Some(row) = st.db(|s| s.group(&gid))? {
                if row.group.kind == types::GRP_AVCHATROOM {
                    return Err(ImError::new(
                        code::DELETE_NOT_SUPPORTED_IN_AV,
                        "messages of an AVChatRoom cannot be deleted",
                    ));
                }
            }
            group_key(&gid)
        }
        Target::System => {
            return Err(ImError::new(
                code::CANNOT_DELETE_GRP_SYSTEM_NOTICE,
                "group system notices cannot be deleted",
            ));
        }
    };
    if req.message_id_list.is_empty() {
        return Err(invalid("messageIDList is empty"));
    }
    let ids: Vec<String> = req
        .message_id_list
        .into_iter()
        .take(MAX_DELETE_BATCH)
        .collect();
    for id in &ids {
        let (m, _) = load_visible(st, me, id)?;
        if conv_key_of(&m) != conv_key {
            return Err(invalid(format!(
                "message {id} is not in conversation {}",
                req.conversation_id
            )));
        }
        if m.kind == types::MSG_GRP_SYS_NOTICE {
            return Err(ImError::new(
                code::CANNOT_DELETE_GRP_SYSTEM_NOTICE,
                "group system notices cannot be deleted",
            ));
        }
    }
    let cleared = st.db(|s| s.cleared_seq(me, &conv_key))?;
    let moved = st.db(|s| s.delete_for(me, &conv_key, &ids, cleared, now()))?;
    let mut conversation = None;
    for conv_id in moved {
        if let Some(conv) = conversations::load(st, me, &conv_id)? {
            st.push(
                me,
                &Push::Conversation {
                    conversation: conv.clone(),
                },
                Some(c.session),
            );
            if conv_id == req.conversation_id {
                conversation = Some(conv);
            }
        }
    }
    Ok(DeleteMessagesReply {
        message_id_list: ids,
        conversation,
    })
}

/// Whether the type and payload of messages of `kind` may be modified (seed: text, custom,
/// location and face; every kind's cloudCustomData).
fn content_modifiable(kind: &str) -> bool {
    [
        types::MSG_TEXT,
        types::MSG_CUSTOM,
        types::MSG_LOCATION,
        types::MSG_FACE,
    ]
    .contains(&kind)
}

/// Implements `modifyMessage`.
pub fn modify(st: &AppState, c: &Caller, req: ModifyMessage) -> Result<MessageReply, ImError> {
    let me = &c.user_id;
    let (stored, version) = load_visible(st, me, &req.message.id)?;
    still_member(st, me, &stored)?;
    if stored.conversation_type == types::CONV_GROUP {
        if let Some(row) = st.db(|s| s.group(&stored.to))? {
            if row.group.kind == types::GRP_AVCHATROOM {
                return Err(ImError::new(
                    code::MSG_MODIFY_DISABLED_IN_AV,
                    "messages of an AVChatRoom cannot be modified",
                ));
            }
        }
    }
    if stored.from != *me {
        return Err(ImError::new(
            core_code::GROUP_NO_PERMISSION,
            "only the sender may modify a message",
        ));
    }
    if stored.is_revoked {
        return Err(invalid("a revoked message cannot be modified"));
    }
    if req.version != version {
        return Err(conflict(&stored, version, me));
    }
    let new = &req.message;
    let content_changed = new.kind != stored.kind || new.payload != stored.payload;
    if content_changed && !(content_modifiable(&stored.kind) && content_modifiable(&new.kind)) {
        return Err(invalid(format!(
            "only cloudCustomData of a {} message can be modified; type and payload only of text, custom, location and face messages",
            stored.kind
        )));
    }
    let mut candidate = stored.clone();
    candidate.kind = new.kind.clone();
    candidate.payload = new.payload.clone();
    candidate.cloud_custom_data = new.cloud_custom_data.clone();
    crate::messages::validate(&candidate)?;
    let outcome = st.db(|s| {
        s.modify_body(
            &stored.id,
            version,
            &candidate.kind,
            &candidate.payload,
            &candidate.cloud_custom_data,
        )
    })?;
    let (m, version) = match outcome {
        Modified::Done(m, v) => (m, v),
        Modified::Conflict(m, v) => return Err(conflict(&m, v, me)),
        Modified::Missing => return Err(not_found(&stored.id)),
    };
    for user in audience(st, &m)? {
        let data = json!([with_version(&m.clone().view_as(&user), version)]);
        st.emit_to(&user, EVENT_MESSAGE_MODIFIED, data, None);
    }
    refresh_last_message(st, &m.id)?;
    Ok(MessageReply {
        message: m.view_as(me),
        version,
    })
}

fn conflict(latest: &Message, version: u64, viewer: &str) -> ImError {
    ImError::new(
        code::MSG_MODIFY_CONFLICT,
        "the message was modified since this copy: imError.data.message is the latest",
    )
    .with_data(json!({ "message": with_version(&latest.clone().view_as(viewer), version) }))
}

/// Implements `getMessageListHopping`.
pub fn hopping(
    st: &AppState,
    c: &Caller,
    req: GetMessageListHopping,
) -> Result<HoppingReply, ImError> {
    let me = &c.user_id;
    if req.direction > 1 {
        return Err(invalid("direction must be 0 (older) or 1 (newer)"));
    }
    let count = if req.count == 0 {
        MAX_HOPPING_COUNT
    } else {
        req.count
    };
    if count > MAX_HOPPING_COUNT {
        return Err(invalid(format!("count must be 1 to {MAX_HOPPING_COUNT}")));
    }
    let newer = req.direction == 1;
    let mut upto = None;
    let (conv_key, by_time, start) = match conversations::parse_id(&req.conversation_id)? {
        Target::C2c(peer) => (c2c_key(me, &peer), true, req.time),
        Target::Group(gid) => {
            let conv = st.db(|s| s.conversation(me, &req.conversation_id))?;
            if st.db(|s| s.member(&gid, me))?.is_none() {
                let Some(conv) = conv else {
                    crate::groups::live(st, &gid)?;
                    return Err(ImError::new(
                        core_code::GROUP_NO_PERMISSION,
                        format!("{me} is not a member of group {gid}"),
                    ));
                };
                upto = Some(crate::messages::former_member_bound(&conv));
            }
            (group_key(&gid), false, req.sequence)
        }
        Target::System => (String::new(), false, None),
    };
    let done = |by_time: bool| HoppingReply {
        message_list: vec![],
        is_completed: true,
        next_message_seq: (!by_time).then(|| json!("")),
        next_message_time: by_time.then(|| json!("")),
    };
    // Seed: without a start, newer-direction pages are empty and complete.
    if conv_key.is_empty() || (start.is_none() && newer) {
        return Ok(done(by_time));
    }
    let cleared = st.db(|s| s.cleared_seq(me, &conv_key))?;
    let q = Hop {
        conv_key: &conv_key,
        user: me,
        by_time,
        start,
        newer,
        cleared,
        limit: count + 1,
    };
    let mut rows = st.db(|s| s.hop(&q))?;
    let key = |m: &Message| if by_time { m.time } else { m.sequence };
    let mut next = None;
    if rows.len() > count as usize {
        let boundary = key(&rows[count as usize]);
        rows.truncate(count as usize);
        if by_time {
            // Times repeat within a second: a page ends between two seconds, so the next one
            // (which starts at `boundary`, inclusive) repeats nothing and skips nothing.
            let kept: Vec<Message> = rows
                .iter()
                .filter(|m| key(m) != boundary)
                .cloned()
                .collect();
            if kept.is_empty() {
                // More than a page in one second: that whole second is one page.
                let q = Hop {
                    start: Some(boundary),
                    limit: 10_000,
                    ..q
                };
                rows = st
                    .db(|s| s.hop(&q))?
                    .into_iter()
                    .filter(|m| m.time == boundary)
                    .collect();
                let after = if newer {
                    boundary.checked_add(1)
                } else {
                    boundary.checked_sub(1)
                };
                next = after;
            } else {
                rows = kept;
                next = Some(boundary);
            }
        } else {
            next = Some(boundary);
        }
    }
    if !newer {
        rows.reverse();
    }
    // A former member sees nothing said after their removal.
    if let Some(u) = upto {
        rows.retain(|m| m.sequence <= u);
    }
    let is_completed = next.is_none();
    let next_v = next.map(|n| json!(n)).unwrap_or_else(|| json!(""));
    Ok(HoppingReply {
        message_list: rows.into_iter().map(|m| m.view_as(me)).collect(),
        is_completed,
        next_message_seq: (!by_time).then(|| next_v.clone()),
        next_message_time: by_time.then_some(next_v),
    })
}

/// Implements `putMergerMessages`: stores a merger message's history in parts.
pub fn put_merger(
    st: &AppState,
    c: &Caller,
    req: PutMergerMessages,
) -> Result<PutMergerMessagesReply, ImError> {
    let me = &c.user_id;
    let key_invalid = |msg: &str| ImError::new(code::MSG_MERGER_KEY_INVALID, msg.to_owned());
    let (key, count, bytes) = if req.download_key.is_empty() {
        (format!("{:032x}", rand::random::<u128>()), 0, 0)
    } else {
        match st.db(|s| s.merger_meta(&req.download_key))? {
            Some(meta) if meta.uploader == *me && !meta.complete => {
                (req.download_key.clone(), meta.count, meta.bytes)
            }
            Some(meta) if meta.uploader == *me => {
                return Err(key_invalid("this merged history is complete already"))
            }
            _ => return Err(key_invalid("unknown downloadKey")),
        }
    };
    let mut children = Vec::new();
    let mut items = Vec::with_capacity(req.message_list.len());
    for m in &req.message_list {
        if m.status == status::FAIL || m.id.is_empty() {
            return Err(ImError::new(
                code::MSG_MERGER_TYPE_INVALID,
                "messages that failed to send cannot be merged",
            ));
        }
        if m.kind == types::MSG_MERGER {
            let child = m
                .payload
                .get("downloadKey")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !child.is_empty() {
                if !may_download(st, me, child, 0)? {
                    return Err(key_invalid(
                        "a nested merger message has an unknown downloadKey",
                    ));
                }
                children.push(child.to_owned());
            }
        }
        items.push(serde_json::to_string(m).map_err(|e| invalid(e.to_string()))?);
    }
    let new_count = count + items.len();
    let new_bytes = bytes + items.iter().map(String::len).sum::<usize>();
    if new_count > MAX_MERGER_MESSAGES || new_bytes > MAX_MERGER_BYTES {
        return Err(ImError::new(
            code::MSG_MERGER_TYPE_INVALID,
            format!(
                "a merger message holds at most {MAX_MERGER_MESSAGES} messages and {MAX_MERGER_BYTES} bytes"
            ),
        ));
    }
    if req.complete && new_count == 0 {
        return Err(ImError::new(
            code::MSG_MERGER_TYPE_INVALID,
            "a merger message needs at least one message",
        ));
    }
    st.db(|s| s.merger_append(&key, me, &items, new_bytes, req.complete, &children, now()))?;
    Ok(PutMergerMessagesReply { download_key: key })
}

/// Whether `user` may download the merged history `key`: they stored it, or can see a message
/// carrying it, or may download a history that nests it.
fn may_download(st: &AppState, user: &str, key: &str, depth: usize) -> Result<bool, ImError> {
    if depth > MAX_MERGER_NESTING {
        return Ok(false);
    }
    let Some(meta) = st.db(|s| s.merger_meta(key))? else {
        return Ok(false);
    };
    if meta.uploader == user {
        return Ok(true);
    }
    if !meta.complete {
        return Ok(false);
    }
    for conv_key in st.db(|s| s.merger_holders(key))? {
        if let Some(rest) = conv_key.strip_prefix("c2c\u{1f}") {
            if rest.split('\u{1f}').any(|u| u == user) {
                return Ok(true);
            }
        } else if let Some(gid) = conv_key.strip_prefix("group\u{1f}") {
            if st.db(|s| s.member(gid, user))?.is_some()
                || st
                    .db(|s| s.conversation(user, &format!("GROUP{gid}")))?
                    .is_some()
            {
                return Ok(true);
            }
        }
    }
    for parent in st.db(|s| s.merger_parents(key))? {
        if may_download(st, user, &parent, depth + 1)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Implements `downloadMergerMessage` (server side).
pub fn download_merger(
    st: &AppState,
    c: &Caller,
    req: DownloadMergerMessage,
) -> Result<DownloadMergerReply, ImError> {
    let key_invalid = || {
        ImError::new(
            code::MSG_MERGER_KEY_INVALID,
            "unknown downloadKey, or a merged history this user cannot see",
        )
    };
    if req.download_key.is_empty() || !may_download(st, &c.user_id, &req.download_key, 0)? {
        return Err(key_invalid());
    }
    let body = st
        .db(|s| s.merger_body(&req.download_key))?
        .ok_or_else(key_invalid)?;
    let message_list: Vec<Message> = serde_json::from_str(&body)
        .map_err(|e| ImError::new(core_code::SERVER_INTERNAL, e.to_string()))?;
    Ok(DownloadMergerReply { message_list })
}

/// Outcome of [`MessageOpsStore::modify_body`].
#[derive(Debug, Clone)]
pub enum Modified {
    /// Stored; the message and its new version.
    Done(Message, u64),
    /// The stored version differs; the latest message and its version.
    Conflict(Message, u64),
    /// No such message.
    Missing,
}

/// A stored merged history's bookkeeping.
#[derive(Debug, Clone)]
pub struct MergerMeta {
    /// Who stored it.
    pub uploader: String,
    /// Messages so far.
    pub count: usize,
    /// Bytes so far.
    pub bytes: usize,
    /// Whether the last part came.
    pub complete: bool,
}

/// One history-hopping query.
#[derive(Debug, Clone)]
pub struct Hop<'a> {
    /// Conversation storage key.
    pub conv_key: &'a str,
    /// Whose deletions to hide.
    pub user: &'a str,
    /// By server time (C2C) rather than sequence.
    pub by_time: bool,
    /// Inclusive start; None for the newest.
    pub start: Option<u64>,
    /// Newer messages (ascending) rather than older (descending).
    pub newer: bool,
    /// The user's cleared-history sequence: only later messages count.
    pub cleared: u64,
    /// Most rows.
    pub limit: u32,
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait MessageOpsStore {
    /// A stored message with its modification version.
    fn message_with_version(&self, id: &str) -> crate::store::Result<Option<(Message, u64)>>;
    /// Marks a message revoked by `revoker`; the message as stored now, None when missing.
    fn mark_revoked(
        &self,
        id: &str,
        revoker: &str,
        revoker_info: &Value,
    ) -> crate::store::Result<Option<Message>>;
    /// Replaces type, payload and custom data when the stored version is `expected`.
    fn modify_body(
        &self,
        id: &str,
        expected: u64,
        kind: &str,
        payload: &Value,
        cloud_custom_data: &str,
    ) -> crate::store::Result<Modified>;
    /// Users and conversation IDs whose lastMessage is message `id`.
    fn last_message_holders(&self, id: &str) -> crate::store::Result<Vec<(String, String)>>;
    /// Which of `ids` `user` deleted.
    fn deleted_among(&self, user: &str, ids: &[String]) -> crate::store::Result<HashSet<String>>;
    /// Deletes `ids` for `user`; moves their lastMessage of `conv_key` back to the newest
    /// message they still see (after `cleared`). Returns the conversation IDs whose
    /// lastMessage moved.
    fn delete_for(
        &self,
        user: &str,
        conv_key: &str,
        ids: &[String],
        cleared: u64,
        time: u64,
    ) -> crate::store::Result<Vec<String>>;
    /// A page of history from a sequence or time, without the user's deletions.
    fn hop(&self, q: &Hop<'_>) -> crate::store::Result<Vec<Message>>;
    /// Bookkeeping of a merged history.
    fn merger_meta(&self, key: &str) -> crate::store::Result<Option<MergerMeta>>;
    /// Appends serialized messages to a merged history (creating it).
    #[allow(clippy::too_many_arguments)]
    fn merger_append(
        &self,
        key: &str,
        uploader: &str,
        items: &[String],
        bytes: usize,
        complete: bool,
        children: &[String],
        time: u64,
    ) -> crate::store::Result<()>;
    /// The merged history as a JSON array.
    fn merger_body(&self, key: &str) -> crate::store::Result<Option<String>>;
    /// Conversation keys of the messages that carry `key`.
    fn merger_holders(&self, key: &str) -> crate::store::Result<Vec<String>>;
    /// Merged histories that nest `key`.
    fn merger_parents(&self, key: &str) -> crate::store::Result<Vec<String>>;
}

fn body_version(body: &Value) -> u64 {
    body.get(VERSION_KEY).and_then(Value::as_u64).unwrap_or(0)
}

impl MessageOpsStore for crate::store::SqliteStore {
    fn message_with_version(&self, id: &str) -> crate::store::Result<Option<(Message, u64)>> {
        self.with(|conn| {
            let body: Option<String> = conn
                .query_row("SELECT body FROM messages WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(body) = body else {
                return Ok(None);
            };
            let v: Value = serde_json::from_str(&body)?;
            let version = body_version(&v);
            Ok(Some((serde_json::from_value(v)?, version)))
        })
    }

    fn mark_revoked(
        &self,
        id: &str,
        revoker: &str,
        revoker_info: &Value,
    ) -> crate::store::Result<Option<Message>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let body: Option<String> = tx
                .query_row("SELECT body FROM messages WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(body) = body else {
                return Ok(None);
            };
            let mut v: Value = serde_json::from_str(&body)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("isRevoked".into(), true.into());
                o.insert("revoker".into(), revoker.into());
                o.insert("revokerInfo".into(), revoker_info.clone());
            }
            tx.execute(
                "UPDATE messages SET body = ?2 WHERE id = ?1",
                params![id, v.to_string()],
            )?;
            tx.commit()?;
            Ok(Some(serde_json::from_value(v)?))
        })
    }

    fn modify_body(
        &self,
        id: &str,
        expected: u64,
        kind: &str,
        payload: &Value,
        cloud_custom_data: &str,
    ) -> crate::store::Result<Modified> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let body: Option<String> = tx
                .query_row("SELECT body FROM messages WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(body) = body else {
                return Ok(Modified::Missing);
            };
            let mut v: Value = serde_json::from_str(&body)?;
            let version = body_version(&v);
            if version != expected {
                return Ok(Modified::Conflict(serde_json::from_value(v)?, version));
            }
            let next = version + 1;
            if let Some(o) = v.as_object_mut() {
                o.insert("type".into(), kind.into());
                o.insert("payload".into(), payload.clone());
                o.insert("cloudCustomData".into(), cloud_custom_data.into());
                o.insert("isModified".into(), true.into());
                o.insert(VERSION_KEY.into(), next.into());
            }
            tx.execute(
                "UPDATE messages SET body = ?2 WHERE id = ?1",
                params![id, v.to_string()],
            )?;
            tx.commit()?;
            Ok(Modified::Done(serde_json::from_value(v)?, next))
        })
    }

    fn last_message_holders(&self, id: &str) -> crate::store::Result<Vec<(String, String)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user_id, conv_id FROM conversations WHERE last_message_id = ?1",
            )?;
            let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn deleted_among(&self, user: &str, ids: &[String]) -> crate::store::Result<HashSet<String>> {
        self.with(|conn| {
            let list = serde_json::to_string(ids)?;
            let mut stmt = conn.prepare_cached(
                "SELECT d.message_id FROM message_deletions d
                 WHERE d.user_id = ?1 AND d.message_id IN (SELECT value FROM json_each(?2))",
            )?;
            let rows = stmt.query_map(params![user, list], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn delete_for(
        &self,
        user: &str,
        conv_key: &str,
        ids: &[String],
        cleared: u64,
        time: u64,
    ) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            for id in ids {
                tx.execute(
                    "INSERT OR IGNORE INTO message_deletions (user_id, message_id, conv_key, time)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![user, id, conv_key, time],
                )?;
            }
            let list = serde_json::to_string(ids)?;
            let convs: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT conv_id FROM conversations WHERE user_id = ?1 AND conv_key = ?2
                     AND last_message_id IN (SELECT value FROM json_each(?3))",
                )?;
                let rows = stmt.query_map(params![user, conv_key, list], |r| r.get(0))?;
                rows.collect::<crate::db::Result<_>>()?
            };
            if !convs.is_empty() {
                let newest: Option<(String, u64)> = tx
                    .query_row(
                        "SELECT m.id, m.time FROM messages m WHERE m.conv_key = ?1 AND m.seq > ?3
                         AND NOT EXISTS (SELECT 1 FROM message_deletions d
                                         WHERE d.user_id = ?2 AND d.message_id = m.id)
                         ORDER BY m.seq DESC LIMIT 1",
                        params![conv_key, user, cleared],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let (id, _) = newest.clone().unwrap_or_default();
                for conv_id in &convs {
                    // The conversation keeps its place in the list (last_time stays).
                    tx.execute(
                        "UPDATE conversations SET last_message_id = ?3
                         WHERE user_id = ?1 AND conv_id = ?2",
                        params![user, conv_id, id],
                    )?;
                }
            }
            tx.commit()?;
            Ok(convs)
        })
    }

    fn hop(&self, q: &Hop<'_>) -> crate::store::Result<Vec<Message>> {
        self.with(|conn| {
            let col = if q.by_time { "time" } else { "seq" };
            let (cmp, order) = if q.newer {
                (">=", "ASC")
            } else {
                ("<=", "DESC")
            };
            let start = q.start.unwrap_or(i64::MAX as u64).min(i64::MAX as u64);
            let sql = format!(
                "SELECT m.body FROM messages m WHERE m.conv_key = ?1 AND m.{col} {cmp} ?2
                 AND m.seq > ?3
                 AND NOT EXISTS (SELECT 1 FROM message_deletions d
                                 WHERE d.user_id = ?4 AND d.message_id = m.id)
                 ORDER BY m.{col} {order}, m.seq {order} LIMIT ?5"
            );
            let limit = i64::from(q.limit);
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![q.conv_key, start, q.cleared, q.user, limit], |r| {
                    r.get::<_, String>(0)
                })?;
            let mut out = Vec::new();
            for b in rows {
                out.push(serde_json::from_str(&b?)?);
            }
            Ok(out)
        })
    }

    fn merger_meta(&self, key: &str) -> crate::store::Result<Option<MergerMeta>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT uploader, count, bytes, complete FROM merger_lists
                     WHERE download_key = ?1",
                    [key],
                    |r| {
                        Ok(MergerMeta {
                            uploader: r.get(0)?,
                            count: r.get::<_, i64>(1)? as usize,
                            bytes: r.get::<_, i64>(2)? as usize,
                            complete: r.get(3)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn merger_append(
        &self,
        key: &str,
        uploader: &str,
        items: &[String],
        bytes: usize,
        complete: bool,
        children: &[String],
        time: u64,
    ) -> crate::store::Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT body FROM merger_lists WHERE download_key = ?1",
                    [key],
                    |r| r.get(0),
                )
                .optional()?;
            let mut list: Vec<Value> = match existing {
                Some(b) => serde_json::from_str(&b)?,
                None => Vec::new(),
            };
            for item in items {
                list.push(serde_json::from_str(item)?);
            }
            tx.execute(
                "INSERT INTO merger_lists (download_key, uploader, body, count, bytes, complete, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(download_key) DO UPDATE SET
                   body = excluded.body, count = excluded.count, bytes = excluded.bytes,
                   complete = excluded.complete",
                params![
                    key,
                    uploader,
                    serde_json::to_string(&list)?,
                    list.len() as i64,
                    bytes as i64,
                    complete,
                    time
                ],
            )?;
            for child in children {
                tx.execute(
                    "INSERT OR IGNORE INTO merger_links (parent_key, child_key) VALUES (?1, ?2)",
                    params![key, child],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn merger_body(&self, key: &str) -> crate::store::Result<Option<String>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT body FROM merger_lists WHERE download_key = ?1",
                    [key],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    fn merger_holders(&self, key: &str) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT conv_key FROM messages
                 WHERE json_extract(body, '$.payload.downloadKey') = ?1
                   AND json_extract(body, '$.type') = 'TIMRelayElem'",
            )?;
            let rows = stmt.query_map([key], |r| r.get(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn merger_parents(&self, key: &str) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT parent_key FROM merger_links WHERE child_key = ?1")?;
            let rows = stmt.query_map([key], |r| r.get(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }
}
