//! Message extensions, reactions, read receipts, cloud search, translation and speech-to-text (issue 3).
//!
//! Who may touch a message: the two sides of its C2C conversation, or the current members of
//! its group. Anyone else is told the message does not exist, so IDs leak nothing.
//!
//! Extension keys are first-writer-wins: a key belongs to whoever set it first; anyone else who
//! sets or deletes it gets 23001 with the stored value (the message's sender may delete any key).
//!
//! Translation and speech-to-text go to HTTP providers named by env vars:
//! - `PIGEON_TRANSLATE_URL`: LibreTranslate's API, `POST {q, source, target, format}` (JSON) →
//!   `{translatedText}`, one request per text.
//! - `PIGEON_STT_URL`: `POST <url>?language=<code>` with the audio bytes as the body →
//!   `{text}` (or `{result}`). The audio is fetched from the message's `payload.url`.
//!
//! Only `http://` URLs are supported (no TLS client, to keep the build small).

use crate::conversations::{c2c_key, group_key};
use crate::db::{params, Exec, OptionalExtension};
use crate::invalid;
use crate::reply_json as to_value;
use crate::{AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code as core_code;
use pigeon_proto::message_extras::*;
use pigeon_proto::model::Message;
use pigeon_proto::wire::Op;
use pigeon_proto::ImError;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

fn not_found(id: &str) -> ImError {
    ImError::new(
        code::MESSAGE_NOT_FOUND,
        format!("message {id} does not exist"),
    )
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
        SetMessageExtensions::NAME => {
            to_value(SetMessageExtensions::parse(d()).and_then(|r| set_extensions(st, c, r)))
        }
        GetMessageExtensions::NAME => {
            to_value(GetMessageExtensions::parse(d()).and_then(|r| get_extensions(st, c, r)))
        }
        DeleteMessageExtensions::NAME => {
            to_value(DeleteMessageExtensions::parse(d()).and_then(|r| delete_extensions(st, c, r)))
        }
        AddMessageReaction::NAME => {
            to_value(AddMessageReaction::parse(d()).and_then(|r| change_reaction(st, c, r.0, true)))
        }
        RemoveMessageReaction::NAME => to_value(
            RemoveMessageReaction::parse(d()).and_then(|r| change_reaction(st, c, r.0, false)),
        ),
        GetMessageReactions::NAME => {
            to_value(GetMessageReactions::parse(d()).and_then(|r| get_reactions(st, c, r)))
        }
        GetAllUserListOfMessageReaction::NAME => to_value(
            GetAllUserListOfMessageReaction::parse(d()).and_then(|r| reaction_users(st, c, r)),
        ),
        SendMessageReadReceipt::NAME => {
            to_value(SendMessageReadReceipt::parse(d()).and_then(|r| send_receipts(st, c, r)))
        }
        GetMessageReadReceiptList::NAME => {
            to_value(GetMessageReadReceiptList::parse(d()).and_then(|r| receipt_list(st, c, r)))
        }
        GetGroupMessageReadMemberList::NAME => {
            to_value(GetGroupMessageReadMemberList::parse(d()).and_then(|r| read_members(st, c, r)))
        }
        SearchCloudMessages::NAME => {
            to_value(SearchCloudMessages::parse(d()).and_then(|r| search(st, c, r)))
        }
        TranslateText::NAME => to_value(TranslateText::parse(d()).and_then(translate)),
        ConvertVoiceToText::NAME => {
            to_value(ConvertVoiceToText::parse(d()).and_then(|r| voice_to_text(st, c, r)))
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Messages and who may see them

/// A stored message with the users who may see it.
struct Visible {
    message: Message,
    /// Everyone who may see it now (both C2C sides, or the group's members).
    audience: Vec<String>,
    /// `Some(groupID)` for a group message.
    group_id: Option<String>,
}

/// The users `conv_key` is shared by, and its group if it is one.
fn audience_of(st: &AppState, conv_key: &str) -> Result<(Vec<String>, Option<String>), ImError> {
    let mut parts = conv_key.split('\u{1f}');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("c2c"), Some(a), Some(b)) => {
            let mut v = vec![a.to_owned()];
            if a != b {
                v.push(b.to_owned());
            }
            Ok((v, None))
        }
        (Some("group"), Some(g), None) => {
            let members = st.db(|s| s.members(g))?;
            Ok((
                members.into_iter().map(|m| m.user_id).collect(),
                Some(g.to_owned()),
            ))
        }
        _ => Ok((Vec::new(), None)),
    }
}

/// Loads message `id` if `me` may see it; otherwise "does not exist".
fn visible(st: &AppState, me: &str, id: &str) -> Result<Visible, ImError> {
    if id.is_empty() || id.len() > 256 {
        return Err(invalid("messageID must be 1 to 256 bytes"));
    }
    let Some((conv_key, message)) = st.db(|s| s.message(id))? else {
        return Err(not_found(id));
    };
    let (audience, group_id) = audience_of(st, &conv_key)?;
    if !audience.iter().any(|u| u == me) {
        return Err(not_found(id));
    }
    Ok(Visible {
        message: message.view_as(me),
        audience,
        group_id,
    })
}

/// Sends `name` with `data` to every session of everyone in `audience`.
fn emit_all(st: &AppState, audience: &[String], name: &str, data: &Value) {
    for u in audience {
        st.emit_to(u, name, data.clone(), None);
    }
}

// ---------------------------------------------------------------------------------------------
// Extensions

fn extendable(v: &Visible) -> Result<(), ImError> {
    if !v.message.is_support_extension {
        return Err(ImError::new(
            code::EXTENSION_NOT_SUPPORTED,
            format!(
                "message {} was not sent with isSupportExtension",
                v.message.id
            ),
        ));
    }
    if v.message.is_revoked {
        return Err(ImError::new(
            code::EXTENSION_NOT_SUPPORTED,
            format!("message {} is revoked", v.message.id),
        ));
    }
    Ok(())
}

/// Implements `setMessageExtensions`.
pub fn set_extensions(
    st: &AppState,
    c: &Caller,
    req: SetMessageExtensions,
) -> Result<ExtensionsReply, ImError> {
    if req.extensions.is_empty() || req.extensions.len() > MAX_EXTENSIONS_PER_CALL {
        return Err(invalid(format!(
            "setMessageExtensions takes 1 to {MAX_EXTENSIONS_PER_CALL} extensions"
        )));
    }
    let mut seen = Vec::new();
    for e in &req.extensions {
        if e.key.is_empty() || e.key.len() > MAX_EXTENSION_KEY_BYTES {
            return Err(invalid(format!(
                "extension keys are 1 to {MAX_EXTENSION_KEY_BYTES} bytes"
            )));
        }
        if e.value.len() > MAX_EXTENSION_VALUE_BYTES {
            return Err(invalid(format!(
                "extension values are at most {MAX_EXTENSION_VALUE_BYTES} bytes"
            )));
        }
        if seen.contains(&&e.key) {
            return Err(invalid(format!("extension key {:?} given twice", e.key)));
        }
        seen.push(&e.key);
    }
    let v = visible(st, &c.user_id, &req.message_id)?;
    extendable(&v)?;
    let results = st
        .db(|s| s.ext_set(&req.message_id, &c.user_id, &req.extensions))?
        .ok_or_else(|| {
            ImError::new(
                code::EXTENSION_LIMIT,
                format!("a message holds at most {MAX_EXTENSIONS_PER_MESSAGE} extensions"),
            )
        })?;
    let changed: Vec<Extension> = results
        .iter()
        .filter(|r| r.code == 0)
        .map(|r| Extension {
            key: r.key.clone(),
            value: r.value.clone(),
        })
        .collect();
    if !changed.is_empty() {
        let data = json!({ "messageID": req.message_id, "extensions": changed });
        emit_all(st, &v.audience, EVENT_MESSAGE_EXTENSIONS_UPDATED, &data);
    }
    Ok(ExtensionsReply {
        extensions: results,
    })
}

/// Implements `getMessageExtensions`.
pub fn get_extensions(
    st: &AppState,
    c: &Caller,
    req: GetMessageExtensions,
) -> Result<GetExtensionsReply, ImError> {
    let v = visible(st, &c.user_id, &req.message_id)?;
    extendable(&v)?;
    let extensions = st
        .db(|s| s.ext_list(&req.message_id))?
        .into_iter()
        .map(|(key, value, _)| Extension { key, value })
        .collect();
    Ok(GetExtensionsReply { extensions })
}

/// Implements `deleteMessageExtensions`.
pub fn delete_extensions(
    st: &AppState,
    c: &Caller,
    req: DeleteMessageExtensions,
) -> Result<ExtensionsReply, ImError> {
    if let Some(keys) = &req.key_list {
        if keys.is_empty() || keys.len() > MAX_EXTENSIONS_PER_CALL {
            return Err(invalid(format!(
                "keyList takes 1 to {MAX_EXTENSIONS_PER_CALL} keys; omit it to clear all"
            )));
        }
        if keys
            .iter()
            .any(|k| k.is_empty() || k.len() > MAX_EXTENSION_KEY_BYTES)
        {
            return Err(invalid(format!(
                "extension keys are 1 to {MAX_EXTENSION_KEY_BYTES} bytes"
            )));
        }
    }
    let v = visible(st, &c.user_id, &req.message_id)?;
    extendable(&v)?;
    let is_sender = v.message.from == c.user_id;
    let results = st.db(|s| {
        s.ext_delete(
            &req.message_id,
            &c.user_id,
            is_sender,
            req.key_list.as_deref(),
        )
    })?;
    let deleted: Vec<&str> = results
        .iter()
        .filter(|r| r.code == 0)
        .map(|r| r.key.as_str())
        .collect();
    if !deleted.is_empty() {
        let data = json!({ "messageID": req.message_id, "keyList": deleted });
        emit_all(st, &v.audience, EVENT_MESSAGE_EXTENSIONS_DELETED, &data);
    }
    Ok(ExtensionsReply {
        extensions: results,
    })
}

// ---------------------------------------------------------------------------------------------
// Reactions

fn check_reaction_id(id: &str) -> Result<(), ImError> {
    if id.is_empty() || id.len() > MAX_REACTION_ID_BYTES || id.chars().any(char::is_control) {
        return Err(invalid(format!(
            "reactionID must be 1 to {MAX_REACTION_ID_BYTES} bytes without control characters"
        )));
    }
    Ok(())
}

/// The reactions of `message_id` with at most `max_users` users each, with profiles.
fn reaction_list(
    st: &AppState,
    message_id: &str,
    max_users: usize,
) -> Result<Vec<Reaction>, ImError> {
    let rows = st.db(|s| s.reactions_of(message_id))?;
    let mut ids: Vec<String> = Vec::new();
    for (_, users) in &rows {
        for u in users.iter().take(max_users) {
            if !ids.contains(u) {
                ids.push(u.clone());
            }
        }
    }
    let profiles = users_of(st, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(reaction_id, users)| Reaction {
            reaction_id,
            total_user_count: users.len() as u64,
            partial_user_list: users
                .iter()
                .take(max_users)
                .map(|u| profiles.get(u).cloned().unwrap_or_default())
                .collect(),
        })
        .collect())
}

fn users_of(st: &AppState, ids: &[String]) -> Result<HashMap<String, ReactionUser>, ImError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(crate::profiles::profiles_of(st, ids)?
        .into_iter()
        .map(|p| {
            (
                p.user_id.clone(),
                ReactionUser {
                    user_id: p.user_id,
                    nick: p.nick,
                    avatar: p.avatar,
                },
            )
        })
        .collect())
}

/// Implements `addMessageReaction` (`add`) and `removeMessageReaction`.
pub fn change_reaction(
    st: &AppState,
    c: &Caller,
    req: ReactionChange,
    add: bool,
) -> Result<ReactionChangeReply, ImError> {
    check_reaction_id(&req.reaction_id)?;
    let v = visible(st, &c.user_id, &req.message_id)?;
    let outcome = if add {
        st.db(|s| s.reaction_add(&req.message_id, &req.reaction_id, &c.user_id))?
    } else {
        st.db(|s| s.reaction_remove(&req.message_id, &req.reaction_id, &c.user_id))?
    };
    match outcome {
        0 => {}
        code::REACTION_LIMIT => {
            return Err(ImError::new(
                outcome,
                format!("a message holds at most {MAX_REACTIONS_PER_MESSAGE} reactions"),
            ))
        }
        code::REACTION_USER_LIMIT => {
            return Err(ImError::new(
                outcome,
                format!("a reaction holds at most {MAX_USERS_PER_REACTION} users"),
            ))
        }
        code::REACTION_ALREADY_ADDED => {
            return Err(ImError::new(
                outcome,
                format!("{} already added reaction {}", c.user_id, req.reaction_id),
            ))
        }
        code::REACTION_NOT_FOUND => {
            return Err(ImError::new(
                outcome,
                format!("message has no reaction {}", req.reaction_id),
            ))
        }
        _ => {
            return Err(ImError::new(
                outcome,
                format!(
                    "reaction {} does not contain {}",
                    req.reaction_id, c.user_id
                ),
            ))
        }
    }
    let reaction_list = reaction_list(st, &req.message_id, MAX_PARTIAL_USERS as usize)?;
    for u in &v.audience {
        let data = json!({
            "messageID": req.message_id,
            "conversationID": v.message.conversation_id_for(u),
            "reactionList": reaction_list,
        });
        st.emit_to(u, EVENT_MESSAGE_REACTIONS_UPDATED, data, None);
    }
    Ok(ReactionChangeReply {
        message_id: req.message_id,
        reaction_list,
    })
}

/// Implements `getMessageReactions`.
pub fn get_reactions(
    st: &AppState,
    c: &Caller,
    req: GetMessageReactions,
) -> Result<GetMessageReactionsReply, ImError> {
    if req.message_id_list.is_empty() || req.message_id_list.len() > MAX_REACTION_QUERY {
        return Err(invalid(format!(
            "messageList takes 1 to {MAX_REACTION_QUERY} messages"
        )));
    }
    if req.max_user_count_per_reaction > MAX_PARTIAL_USERS {
        return Err(invalid(format!(
            "maxUserCountPerReaction is 0 to {MAX_PARTIAL_USERS}"
        )));
    }
    let mut result_list = Vec::new();
    for id in &req.message_id_list {
        visible(st, &c.user_id, id)?;
        result_list.push(MessageReactions {
            message_id: id.clone(),
            reaction_list: reaction_list(st, id, req.max_user_count_per_reaction as usize)?,
        });
    }
    Ok(GetMessageReactionsReply { result_list })
}

/// Implements `getAllUserListOfMessageReaction`.
pub fn reaction_users(
    st: &AppState,
    c: &Caller,
    req: GetAllUserListOfMessageReaction,
) -> Result<ReactionUserPage, ImError> {
    check_reaction_id(&req.reaction_id)?;
    if req.count == 0 || req.count > MAX_REACTION_USER_PAGE {
        return Err(invalid(format!("count is 1 to {MAX_REACTION_USER_PAGE}")));
    }
    visible(st, &c.user_id, &req.message_id)?;
    let (rows, more) = st.db(|s| {
        s.reaction_users(
            &req.message_id,
            &req.reaction_id,
            req.next_seq,
            req.count as usize,
        )
    })?;
    if rows.is_empty() && req.next_seq == 0 {
        return Err(ImError::new(
            code::REACTION_NOT_FOUND,
            format!("message has no reaction {}", req.reaction_id),
        ));
    }
    let ids: Vec<String> = rows.iter().map(|(_, u)| u.clone()).collect();
    let profiles = users_of(st, &ids)?;
    let next_seq = if more {
        rows.last().map(|(s, _)| *s).unwrap_or(0)
    } else {
        0
    };
    Ok(ReactionUserPage {
        user_list: ids
            .iter()
            .map(|u| profiles.get(u).cloned().unwrap_or_default())
            .collect(),
        next_seq,
        is_completed: !more,
    })
}

// ---------------------------------------------------------------------------------------------
// Read receipts

/// The messages of one receipt call, with who may see their conversation.
struct ReceiptBatch {
    messages: Vec<Message>,
    audience: Vec<String>,
    group: Option<String>,
}

/// Loads the messages of one receipt call: 1 to 30, visible, of one conversation.
fn receipt_messages(st: &AppState, me: &str, ids: &[String]) -> Result<ReceiptBatch, ImError> {
    if ids.is_empty() {
        return Err(ImError::new(
            code::READ_RECEIPT_MSG_LIST_EMPTY,
            "messageList must not be empty",
        ));
    }
    if ids.len() > MAX_RECEIPT_MESSAGES {
        return Err(invalid(format!(
            "messageList takes at most {MAX_RECEIPT_MESSAGES} messages"
        )));
    }
    let mut out = Vec::new();
    let mut conv: Option<String> = None;
    let mut audience = Vec::new();
    let mut group = None;
    for id in ids {
        let v = visible(st, me, id)?;
        match &conv {
            None => {
                conv = Some(v.message.conversation_id.clone());
                audience = v.audience;
                group = v.group_id;
            }
            Some(c) if *c != v.message.conversation_id => {
                return Err(invalid("messageList must be messages of one conversation"));
            }
            Some(_) => {}
        }
        if !out.iter().any(|m: &Message| m.id == v.message.id) {
            out.push(v.message);
        }
    }
    Ok(ReceiptBatch {
        messages: out,
        audience,
        group,
    })
}

/// The read-receipt info of `m` (sent by its sender) right now.
fn receipt_info(
    st: &AppState,
    m: &Message,
    audience: &[String],
    group: &Option<String>,
) -> Result<Value, ImError> {
    let readers = st.db(|s| s.receipt_readers(&m.id))?;
    Ok(if group.is_some() {
        let others = audience.iter().filter(|u| **u != m.from).count();
        let read = audience
            .iter()
            .filter(|u| **u != m.from && readers.contains(u))
            .count();
        json!({ "readCount": read, "unreadCount": others - read })
    } else {
        json!({ "isPeerRead": readers.iter().any(|u| *u != m.from) })
    })
}

/// Implements `sendMessageReadReceipt`: records the caller's receipts for the messages that
/// asked for one and were sent by someone else; their senders get MESSAGE_READ_RECEIPT_RECEIVED.
pub fn send_receipts(
    st: &AppState,
    c: &Caller,
    req: SendMessageReadReceipt,
) -> Result<NoData, ImError> {
    let ReceiptBatch {
        messages,
        audience,
        group,
    } = receipt_messages(st, &c.user_id, &req.message_id_list)?;
    let wanted: Vec<&Message> = messages
        .iter()
        .filter(|m| m.need_read_receipt && m.from != c.user_id)
        .collect();
    if wanted.is_empty() {
        return Err(ImError::new(
            code::READ_RECEIPT_NOT_FOUND,
            "none of these messages asks this user for a read receipt (needReadReceipt)",
        ));
    }
    let ids: Vec<String> = wanted.iter().map(|m| m.id.clone()).collect();
    let added = st.db(|s| s.receipt_add(&ids, &c.user_id))?;
    let mut by_sender: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for m in wanted.into_iter().filter(|m| added.contains(&m.id)) {
        let mut info = receipt_info(st, m, &audience, &group)?;
        if let Value::Object(o) = &mut info {
            o.insert("messageID".into(), json!(m.id));
            o.insert(
                "conversationID".into(),
                json!(m.conversation_id_for(&m.from)),
            );
        }
        by_sender.entry(m.from.clone()).or_default().push(info);
    }
    for (sender, list) in by_sender {
        st.emit_to(
            &sender,
            EVENT_MESSAGE_READ_RECEIPT_RECEIVED,
            json!(list),
            None,
        );
    }
    Ok(NoData {})
}

/// Implements `getMessageReadReceiptList`: the caller's own messages that asked for receipts
/// get `readReceiptInfo`; other messages come back as stored.
pub fn receipt_list(
    st: &AppState,
    c: &Caller,
    req: GetMessageReadReceiptList,
) -> Result<ReadReceiptListReply, ImError> {
    let ReceiptBatch {
        messages,
        audience,
        group,
    } = receipt_messages(st, &c.user_id, &req.message_id_list)?;
    let mut message_list = Vec::new();
    for mut m in messages {
        if m.need_read_receipt && m.from == c.user_id {
            m.read_receipt_info = receipt_info(st, &m, &audience, &group)?;
        }
        message_list.push(m);
    }
    Ok(ReadReceiptListReply { message_list })
}

/// Implements `getGroupMessageReadMemberList`: only the sender sees who read their message.
pub fn read_members(
    st: &AppState,
    c: &Caller,
    req: GetGroupMessageReadMemberList,
) -> Result<ReadMemberPage, ImError> {
    if req.filter > 1 {
        return Err(invalid("filter is 0 (read) or 1 (unread)"));
    }
    if req.count == 0 || req.count > MAX_READ_MEMBER_PAGE {
        return Err(invalid(format!("count is 1 to {MAX_READ_MEMBER_PAGE}")));
    }
    let offset: usize = if req.cursor.is_empty() {
        0
    } else {
        req.cursor
            .parse()
            .map_err(|_| invalid("cursor must be '' or a cursor this method returned"))?
    };
    let v = visible(st, &c.user_id, &req.message_id)?;
    if v.group_id.is_none() {
        return Err(invalid(
            "getGroupMessageReadMemberList takes a group message",
        ));
    }
    if !v.message.need_read_receipt || v.message.from != c.user_id {
        return Err(ImError::new(
            code::READ_RECEIPT_NOT_FOUND,
            "no read receipt info: the message was not sent by you with needReadReceipt",
        ));
    }
    let readers = st.db(|s| s.receipt_readers(&req.message_id))?;
    let mut list: Vec<String> = v
        .audience
        .into_iter()
        .filter(|u| *u != c.user_id && readers.contains(u) == (req.filter == 0))
        .collect();
    list.sort();
    let end = (offset + req.count as usize).min(list.len());
    let page: Vec<String> = list.get(offset.min(end)..end).unwrap_or_default().to_vec();
    let done = end >= list.len();
    Ok(ReadMemberPage {
        is_completed: done,
        cursor: if done { String::new() } else { end.to_string() },
        message_id: req.message_id,
        read_user_id_list: (req.filter == 0).then(|| page.clone()),
        unread_user_id_list: (req.filter == 1).then_some(page),
    })
}

// ---------------------------------------------------------------------------------------------
// Cloud search

/// Message types the search can match (the seed excludes face, group tip and group notice).
const SEARCHABLE: &[&str] = &[
    types::MSG_TEXT,
    types::MSG_IMAGE,
    types::MSG_AUDIO,
    types::MSG_VIDEO,
    types::MSG_FILE,
    types::MSG_CUSTOM,
    types::MSG_LOCATION,
    types::MSG_MERGER,
];

/// What a search looks for, checked and resolved.
pub struct SearchFilter {
    /// Lower-cased keywords.
    pub keywords: Vec<String>,
    /// All keywords must match (else any).
    pub match_all: bool,
    /// Only these senders (empty = any).
    pub senders: Vec<String>,
    /// Only these types.
    pub types: Vec<String>,
    /// Only this conversation key.
    pub conv_key: Option<String>,
    /// Times from (inclusive).
    pub time_from: u64,
    /// Times up to (inclusive).
    pub time_to: u64,
}

/// Implements `searchCloudMessages` over the messages in the caller's inbox.
pub fn search(st: &AppState, c: &Caller, req: SearchCloudMessages) -> Result<SearchReply, ImError> {
    let me = &c.user_id;
    if req.keyword_list.len() > MAX_SEARCH_KEYWORDS {
        return Err(invalid(format!(
            "keywordList takes at most {MAX_SEARCH_KEYWORDS} keywords"
        )));
    }
    if req
        .keyword_list
        .iter()
        .any(|k| k.is_empty() || k.len() > 100)
    {
        return Err(invalid("keywords are 1 to 100 bytes"));
    }
    if req.sender_user_id_list.len() > MAX_SEARCH_SENDERS {
        return Err(invalid(format!(
            "senderUserIDList takes at most {MAX_SEARCH_SENDERS} users"
        )));
    }
    if req.keyword_list.is_empty()
        && req.sender_user_id_list.is_empty()
        && req.message_type_list.is_empty()
    {
        return Err(invalid(
            "keywordList must not be empty without senderUserIDList or messageTypeList",
        ));
    }
    let match_all = match req.keyword_list_match_type.as_str() {
        "" | "or" => false,
        "and" => true,
        other => {
            return Err(invalid(format!(
                "keywordListMatchType is 'or' or 'and', not {other:?}"
            )))
        }
    };
    for t in &req.message_type_list {
        if !SEARCHABLE.contains(&t.as_str()) {
            return Err(invalid(format!("message type {t:?} cannot be searched")));
        }
    }
    let conv_key = match req.conversation_id.as_deref() {
        None | Some("") => None,
        Some(id) => {
            if let Some(peer) = id.strip_prefix("C2C").filter(|p| !p.is_empty()) {
                Some(c2c_key(me, peer))
            } else if let Some(g) = id.strip_prefix("GROUP").filter(|p| !p.is_empty()) {
                Some(group_key(g))
            } else {
                return Err(ImError::new(
                    core_code::INVALID_CONV_ID,
                    format!("conversationID {id:?} is not C2C<userID> or GROUP<groupID>"),
                ));
            }
        }
    };
    let now = crate::now();
    let time_to = if req.time_position == 0 {
        now
    } else {
        req.time_position
    };
    let time_from = if req.time_period == 0 {
        0
    } else {
        time_to.saturating_sub(req.time_period)
    };
    let one_conv = conv_key.is_some();
    let offset = parse_cursor(req.cursor.as_deref(), one_conv, now)?;
    let filter = SearchFilter {
        keywords: req.keyword_list.iter().map(|k| k.to_lowercase()).collect(),
        match_all,
        senders: req.sender_user_id_list,
        types: if req.message_type_list.is_empty() {
            SEARCHABLE.iter().map(|s| s.to_string()).collect()
        } else {
            req.message_type_list
        },
        conv_key,
        time_from,
        time_to,
    };
    let hits = st.db(|s| s.search_inbox(me, &filter))?;
    let view = |body: &str| -> Result<Message, ImError> {
        serde_json::from_str::<Message>(body)
            .map(|m| m.view_as(me))
            .map_err(|e| ImError::new(core_code::SERVER_INTERNAL, e.to_string()))
    };
    if one_conv {
        let total = hits.len();
        let end = (offset + SEARCH_MESSAGES_PER_PAGE).min(total);
        let page = hits.get(offset.min(end)..end).unwrap_or_default();
        let mut list = Vec::new();
        for (_, body) in page {
            list.push(view(body)?);
        }
        let conversation_id = req.conversation_id.unwrap_or_default();
        Ok(SearchReply {
            total_count: total as u64,
            cursor: if end < total {
                end.to_string()
            } else {
                String::new()
            },
            search_result_list: if list.is_empty() {
                vec![]
            } else {
                vec![SearchResult {
                    conversation_id,
                    message_count: list.len() as u64,
                    message_list: list,
                }]
            },
        })
    } else {
        // Conversations ordered by their newest match.
        let mut order: Vec<&str> = Vec::new();
        let mut by_conv: HashMap<&str, Vec<&str>> = HashMap::new();
        for (k, body) in &hits {
            let e = by_conv.entry(k.as_str()).or_default();
            if e.is_empty() {
                order.push(k.as_str());
            }
            e.push(body.as_str());
        }
        let total = order.len();
        let end = (offset + SEARCH_CONVERSATIONS_PER_PAGE).min(total);
        let mut results = Vec::new();
        for k in order.get(offset.min(end)..end).unwrap_or_default() {
            let bodies = by_conv.get(k).cloned().unwrap_or_default();
            let first = match bodies.first() {
                Some(b) => view(b)?,
                None => continue,
            };
            results.push(SearchResult {
                conversation_id: first.conversation_id.clone(),
                message_count: bodies.len() as u64,
                message_list: if bodies.len() == 1 {
                    vec![first]
                } else {
                    vec![]
                },
            });
        }
        Ok(SearchReply {
            total_count: total as u64,
            cursor: if end < total {
                format!("{end}:{now}")
            } else {
                String::new()
            },
            search_result_list: results,
        })
    }
}

/// The offset a cursor stands for; all-conversation cursors carry their issue time and expire.
fn parse_cursor(cursor: Option<&str>, one_conv: bool, now: u64) -> Result<usize, ImError> {
    let bad = || invalid("cursor is not one searchCloudMessages returned for this search");
    let Some(c) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(0);
    };
    if one_conv {
        return c.parse().map_err(|_| bad());
    }
    let (off, issued) = c.split_once(':').ok_or_else(bad)?;
    let issued: u64 = issued.parse().map_err(|_| bad())?;
    if now.saturating_sub(issued) > SEARCH_CURSOR_TTL_SECS {
        return Err(invalid(
            "the all-conversation search cursor expired (valid for 2 minutes); search again",
        ));
    }
    off.parse().map_err(|_| bad())
}

// ---------------------------------------------------------------------------------------------
// Translation and speech-to-text

/// The provider URL in env var `name`, if set.
fn provider(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Runs `f` to completion from synchronous code: on its own thread and runtime, so it neither
/// blocks an async worker (block_in_place) nor needs one.
fn run_blocking<T: Send>(f: impl std::future::Future<Output = T> + Send) -> Result<T, String> {
    let go = || {
        std::thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
                    .map(|rt| rt.block_on(f))
            })
            .join()
            .map_err(|_| "provider call panicked".to_owned())?
        })
    };
    crate::db::blocking(go)
}

/// Most bytes read from a provider or an audio URL.
const MAX_HTTP_BODY: usize = 32 << 20;
/// How long one provider exchange may take.
const HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// One HTTP/1.1 exchange with an `http://` URL; returns the status and body.
async fn http(
    method: &str,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), String> {
    use http_body_util::{BodyExt, Full, Limited};
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL {url}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("only http:// URLs are supported, not {url}"));
    }
    let host = uri.host().ok_or_else(|| format!("URL {url} has no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let exchange = async {
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
        let req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", authority)
            .header("content-type", content_type)
            .body(Full::new(hyper::body::Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = Limited::new(resp.into_body(), MAX_HTTP_BODY)
            .collect()
            .await
            .map_err(|e| format!("reading the response: {e}"))?
            .to_bytes();
        Ok::<_, String>((status, bytes.to_vec()))
    };
    tokio::time::timeout(HTTP_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("{url} did not answer within {HTTP_TIMEOUT:?}"))?
}

/// Implements `translateText` through the LibreTranslate-style provider.
pub fn translate(req: TranslateText) -> Result<TranslateReply, ImError> {
    let fail = |m: String| ImError::new(code::TRANSLATE_TEXT_FAIL, m);
    if req.source_text_list.is_empty() || req.source_text_list.len() > MAX_TRANSLATE_TEXTS {
        return Err(invalid(format!(
            "sourceTextList takes 1 to {MAX_TRANSLATE_TEXTS} texts"
        )));
    }
    if req
        .source_text_list
        .iter()
        .any(|t| t.len() > MAX_TRANSLATE_TEXT_BYTES)
    {
        return Err(invalid(format!(
            "texts to translate are at most {MAX_TRANSLATE_TEXT_BYTES} bytes"
        )));
    }
    for (n, l) in [
        ("sourceLanguage", &req.source_language),
        ("targetLanguage", &req.target_language),
    ] {
        if l.is_empty() || l.len() > 20 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(invalid(format!("{n} must be a language code")));
        }
    }
    if req.target_language == "auto" {
        return Err(invalid("targetLanguage cannot be auto"));
    }
    let url = provider("PIGEON_TRANSLATE_URL").ok_or_else(|| {
        fail("translation is not available: no provider configured (PIGEON_TRANSLATE_URL)".into())
    })?;
    let out = run_blocking(async {
        let mut out = Vec::new();
        for q in &req.source_text_list {
            let body = json!({ "q": q, "source": req.source_language,
                               "target": req.target_language, "format": "text" });
            let (status, resp) = http(
                "POST",
                &url,
                "application/json",
                body.to_string().into_bytes(),
            )
            .await?;
            if status != 200 {
                return Err(format!("translation provider answered HTTP {status}"));
            }
            let v: Value = serde_json::from_slice(&resp)
                .map_err(|e| format!("translation provider sent bad JSON: {e}"))?;
            let t = v["translatedText"]
                .as_str()
                .ok_or("translation provider's answer has no translatedText")?;
            out.push(t.to_owned());
        }
        Ok(out)
    })
    .and_then(|r| r)
    .map_err(fail)?;
    Ok(TranslateReply {
        translated_text_list: out,
    })
}

/// Implements `convertVoiceToText`: fetches the audio message's file and posts it to the
/// speech-to-text provider.
pub fn voice_to_text(
    st: &AppState,
    c: &Caller,
    req: ConvertVoiceToText,
) -> Result<VoiceToTextReply, ImError> {
    let fail = |m: String| ImError::new(code::VOICE_TO_TEXT_FAIL, m);
    if req.language.len() > 20
        || !req
            .language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(invalid(
            "language must be a language code such as zh or en-US",
        ));
    }
    let v = visible(st, &c.user_id, &req.message_id)?;
    if v.message.kind != types::MSG_AUDIO {
        return Err(ImError::new(
            code::UNSUPPORTED_VOICE_FORMAT,
            format!("message {} is not an audio message", req.message_id),
        ));
    }
    let audio_url = v.message.payload["url"]
        .as_str()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| fail("the audio message has no url".into()))?
        .to_owned();
    let url = provider("PIGEON_STT_URL").ok_or_else(|| {
        fail("speech-to-text is not available: no provider configured (PIGEON_STT_URL)".into())
    })?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let target = format!("{url}{sep}language={}", req.language);
    let text = run_blocking(async {
        let (status, audio) = http("GET", &audio_url, "application/octet-stream", vec![]).await?;
        if status != 200 {
            return Err(format!("fetching the audio answered HTTP {status}"));
        }
        let (status, resp) = http("POST", &target, "application/octet-stream", audio).await?;
        if status != 200 {
            return Err(format!("speech-to-text provider answered HTTP {status}"));
        }
        let v: Value = serde_json::from_slice(&resp)
            .map_err(|e| format!("speech-to-text provider sent bad JSON: {e}"))?;
        v["text"]
            .as_str()
            .or_else(|| v["result"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| "speech-to-text provider's answer has no text".to_owned())
    })
    .and_then(|r| r)
    .map_err(fail)?;
    Ok(VoiceToTextReply { result: text })
}

// ---------------------------------------------------------------------------------------------
// Storage

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait MessageExtrasStore {
    /// Every extension of `message_id`: (key, value, owner), by key.
    fn ext_list(&self, message_id: &str) -> crate::store::Result<Vec<(String, String, String)>>;
    /// Sets `items` as `user`; keys owned by someone else come back with 23001 and their
    /// stored value. None when the message would exceed its extension limit (nothing changed).
    fn ext_set(
        &self,
        message_id: &str,
        user: &str,
        items: &[Extension],
    ) -> crate::store::Result<Option<Vec<ExtensionResult>>>;
    /// Deletes `keys` (None: every key `user` may delete) as `user`; `any_key` lets the
    /// message's sender delete keys others own. Keys owned by someone else get 23001.
    fn ext_delete(
        &self,
        message_id: &str,
        user: &str,
        any_key: bool,
        keys: Option<&[String]>,
    ) -> crate::store::Result<Vec<ExtensionResult>>;
    /// Adds `user` to a reaction: 0, or 23005 / 23006 / 23007.
    fn reaction_add(
        &self,
        message_id: &str,
        reaction: &str,
        user: &str,
    ) -> crate::store::Result<u32>;
    /// Removes `user` from a reaction: 0, or 23008 / 23009.
    fn reaction_remove(
        &self,
        message_id: &str,
        reaction: &str,
        user: &str,
    ) -> crate::store::Result<u32>;
    /// The reactions of a message, oldest first, each with its users in the order they came.
    fn reactions_of(&self, message_id: &str) -> crate::store::Result<Vec<(String, Vec<String>)>>;
    /// Up to `count` users of a reaction after position `after`: (position, user), and
    /// whether more follow.
    fn reaction_users(
        &self,
        message_id: &str,
        reaction: &str,
        after: u64,
        count: usize,
    ) -> crate::store::Result<(Vec<(u64, String)>, bool)>;
    /// Records `user`'s read receipts; returns the message IDs that were new.
    fn receipt_add(&self, message_ids: &[String], user: &str) -> crate::store::Result<Vec<String>>;
    /// Who sent a read receipt for a message.
    fn receipt_readers(&self, message_id: &str) -> crate::store::Result<Vec<String>>;
    /// Messages in `user`'s inbox matching `filter`, newest first: (conv_key, body). Messages
    /// the user deleted or cleared from history, and revoked ones, are not found.
    fn search_inbox(
        &self,
        user: &str,
        filter: &SearchFilter,
    ) -> crate::store::Result<Vec<(String, String)>>;
}

/// Most rows one search looks at, so a broad query cannot exhaust memory.
const MAX_SEARCH_ROWS: i64 = 5000;

/// `n` conditions matching a message's searchable text against a LIKE pattern each (bound
/// from [`like_pattern`]), joined by `joiner` (" AND " / " OR ").
fn text_scan(n: usize, joiner: &str) -> String {
    let one = format!(
        "LOWER({}) LIKE ? ESCAPE '\\'",
        crate::store::SEARCH_TEXT_SQL
    );
    vec![one; n].join(joiner)
}

fn like_pattern(k: &str) -> String {
    let mut p = String::from("%");
    for ch in k.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

impl MessageExtrasStore for crate::store::SqliteStore {
    fn ext_list(&self, message_id: &str) -> crate::store::Result<Vec<(String, String, String)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT key, value, owner FROM message_extensions WHERE message_id = ?1 ORDER BY key",
            )?;
            let rows = stmt
                .query_map([message_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn ext_set(
        &self,
        message_id: &str,
        user: &str,
        items: &[Extension],
    ) -> crate::store::Result<Option<Vec<ExtensionResult>>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut out = Vec::new();
            let mut new_keys = 0usize;
            for e in items {
                let cur: Option<(String, String)> = tx
                    .query_row(
                        "SELECT value, owner FROM message_extensions WHERE message_id = ?1 AND key = ?2",
                        params![message_id, e.key],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                match cur {
                    Some((value, owner)) if owner != user => out.push(ExtensionResult {
                        code: code::EXTENSION_CONFLICT,
                        key: e.key.clone(),
                        value,
                    }),
                    other => {
                        if other.is_none() {
                            new_keys += 1;
                        }
                        tx.execute(
                            "INSERT INTO message_extensions (message_id, key, value, owner)
                             VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT(message_id, key) DO UPDATE SET value = excluded.value",
                            params![message_id, e.key, e.value, user],
                        )?;
                        out.push(ExtensionResult {
                            code: 0,
                            key: e.key.clone(),
                            value: e.value.clone(),
                        });
                    }
                }
            }
            let total: i64 = tx.query_row(
                "SELECT COUNT(*) FROM message_extensions WHERE message_id = ?1",
                [message_id],
                |r| r.get(0),
            )?;
            if new_keys > 0 && total as usize > MAX_EXTENSIONS_PER_MESSAGE {
                // Dropping the transaction rolls every change back.
                return Ok(None);
            }
            tx.commit()?;
            Ok(Some(out))
        })
    }

    fn ext_delete(
        &self,
        message_id: &str,
        user: &str,
        any_key: bool,
        keys: Option<&[String]>,
    ) -> crate::store::Result<Vec<ExtensionResult>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let stored: Vec<(String, String, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT key, value, owner FROM message_extensions WHERE message_id = ?1 ORDER BY key",
                )?;
                stmt.query_map([message_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            let targets: Vec<String> = match keys {
                Some(k) => k.to_vec(),
                None => stored
                    .iter()
                    .filter(|(_, _, o)| any_key || o == user)
                    .map(|(k, _, _)| k.clone())
                    .collect(),
            };
            let mut out = Vec::new();
            for key in targets {
                match stored.iter().find(|(k, _, _)| *k == key) {
                    Some((_, value, owner)) if owner != user && !any_key => {
                        out.push(ExtensionResult {
                            code: code::EXTENSION_CONFLICT,
                            key,
                            value: value.clone(),
                        })
                    }
                    Some(_) => {
                        tx.execute(
                            "DELETE FROM message_extensions WHERE message_id = ?1 AND key = ?2",
                            params![message_id, key],
                        )?;
                        out.push(ExtensionResult {
                            code: 0,
                            key,
                            value: String::new(),
                        });
                    }
                    // Deleting a key that is not there leaves nothing to conflict with.
                    None => out.push(ExtensionResult {
                        code: 0,
                        key,
                        value: String::new(),
                    }),
                }
            }
            tx.commit()?;
            Ok(out)
        })
    }

    fn reaction_add(
        &self,
        message_id: &str,
        reaction: &str,
        user: &str,
    ) -> crate::store::Result<u32> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let users: i64 = tx.query_row(
                "SELECT COUNT(*) FROM message_reactions WHERE message_id = ?1 AND reaction_id = ?2",
                params![message_id, reaction],
                |r| r.get(0),
            )?;
            let mine: i64 = tx.query_row(
                "SELECT COUNT(*) FROM message_reactions
                 WHERE message_id = ?1 AND reaction_id = ?2 AND user_id = ?3",
                params![message_id, reaction, user],
                |r| r.get(0),
            )?;
            if mine > 0 {
                return Ok(code::REACTION_ALREADY_ADDED);
            }
            if users == 0 {
                let kinds: i64 = tx.query_row(
                    "SELECT COUNT(DISTINCT reaction_id) FROM message_reactions WHERE message_id = ?1",
                    [message_id],
                    |r| r.get(0),
                )?;
                if kinds as usize >= MAX_REACTIONS_PER_MESSAGE {
                    return Ok(code::REACTION_LIMIT);
                }
            }
            if users as usize >= MAX_USERS_PER_REACTION {
                return Ok(code::REACTION_USER_LIMIT);
            }
            tx.execute(
                "INSERT INTO message_reactions (message_id, reaction_id, user_id) VALUES (?1, ?2, ?3)",
                params![message_id, reaction, user],
            )?;
            tx.commit()?;
            Ok(0)
        })
    }

    fn reaction_remove(
        &self,
        message_id: &str,
        reaction: &str,
        user: &str,
    ) -> crate::store::Result<u32> {
        self.with(|conn| {
            let users: i64 = conn.query_row(
                "SELECT COUNT(*) FROM message_reactions WHERE message_id = ?1 AND reaction_id = ?2",
                params![message_id, reaction],
                |r| r.get(0),
            )?;
            if users == 0 {
                return Ok(code::REACTION_NOT_FOUND);
            }
            let n = conn.execute(
                "DELETE FROM message_reactions
                 WHERE message_id = ?1 AND reaction_id = ?2 AND user_id = ?3",
                params![message_id, reaction, user],
            )?;
            Ok(if n == 0 { code::REACTION_NOT_ADDED } else { 0 })
        })
    }

    fn reactions_of(&self, message_id: &str) -> crate::store::Result<Vec<(String, Vec<String>)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT r.reaction_id, r.user_id FROM message_reactions r
                 JOIN (SELECT reaction_id, MIN(pos) AS first FROM message_reactions
                       WHERE message_id = ?1 GROUP BY reaction_id) f
                   ON f.reaction_id = r.reaction_id
                 WHERE r.message_id = ?1 ORDER BY f.first, r.pos",
            )?;
            let rows = stmt
                .query_map([message_id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut out: Vec<(String, Vec<String>)> = Vec::new();
            for (rid, user) in rows {
                match out.last_mut() {
                    Some((last, users)) if *last == rid => users.push(user),
                    _ => out.push((rid, vec![user])),
                }
            }
            Ok(out)
        })
    }

    fn reaction_users(
        &self,
        message_id: &str,
        reaction: &str,
        after: u64,
        count: usize,
    ) -> crate::store::Result<(Vec<(u64, String)>, bool)> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT pos, user_id FROM message_reactions
                 WHERE message_id = ?1 AND reaction_id = ?2 AND pos > ?3
                 ORDER BY pos LIMIT ?4",
            )?;
            let mut rows = stmt
                .query_map(
                    params![message_id, reaction, after as i64, count as i64 + 1],
                    |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)),
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let more = rows.len() > count;
            rows.truncate(count);
            Ok((rows, more))
        })
    }

    fn receipt_add(&self, message_ids: &[String], user: &str) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut added = Vec::new();
            for id in message_ids {
                let n = tx.execute(
                    "INSERT OR IGNORE INTO message_read_receipts (message_id, user_id, time)
                     VALUES (?1, ?2, ?3)",
                    params![id, user, crate::now() as i64],
                )?;
                if n > 0 {
                    added.push(id.clone());
                }
            }
            tx.commit()?;
            Ok(added)
        })
    }

    fn receipt_readers(&self, message_id: &str) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT user_id FROM message_read_receipts WHERE message_id = ?1 ORDER BY user_id",
            )?;
            let rows = stmt
                .query_map([message_id], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn search_inbox(
        &self,
        user: &str,
        f: &SearchFilter,
    ) -> crate::store::Result<Vec<(String, String)>> {
        self.with(|conn| {
            let mut sql = String::from(
                "SELECT m.conv_key, m.body FROM inbox i JOIN messages m ON m.id = i.message_id
                 LEFT JOIN history_cleared h ON h.user_id = i.user_id AND h.conv_key = m.conv_key
                 WHERE i.user_id = ? AND m.time >= ? AND m.time <= ?
                   AND (h.seq IS NULL OR m.seq > h.seq)
                   AND NOT EXISTS (SELECT 1 FROM message_deletions d
                                   WHERE d.user_id = i.user_id AND d.message_id = m.id)
                   AND ",
            );
            let pg = conn.dialect() == crate::db::Dialect::Postgres;
            sql.push_str(if pg {
                "COALESCE(m.body::jsonb #>> '{isRevoked}', 'false') = 'false'"
            } else {
                "COALESCE(json_extract(m.body, '$.isRevoked'), 0) = 0"
            });
            let mut args: Vec<crate::db::Value> = vec![
                user.to_owned().into(),
                (f.time_from as i64).into(),
                (f.time_to as i64).into(),
            ];
            if let Some(k) = &f.conv_key {
                sql.push_str(" AND m.conv_key = ?");
                args.push(k.clone().into());
            }
            if !f.senders.is_empty() {
                sql.push_str(" AND m.sender IN (");
                sql.push_str(&vec!["?"; f.senders.len()].join(","));
                sql.push(')');
                args.extend(f.senders.iter().map(|s| s.clone().into()));
            }
            sql.push_str(" AND json_extract(m.body, '$.type') IN (");
            sql.push_str(&vec!["?"; f.types.len()].join(","));
            sql.push(')');
            args.extend(f.types.iter().map(|s| s.clone().into()));
            let joiner = if f.match_all { " AND " } else { " OR " };
            if f.keywords.is_empty() {
                // Senders and/or types only: no text condition.
            } else if pg {
                // PostgreSQL keeps the searchable text in message_search, under a trigram
                // index that serves LIKE at any keyword length.
                let parts = vec!["lower(s.text) LIKE ? ESCAPE '\\'"; f.keywords.len()];
                sql.push_str(" AND m.id IN (SELECT s.message_id FROM message_search s WHERE ");
                sql.push_str(&parts.join(joiner));
                sql.push(')');
                args.extend(
                    f.keywords
                        .iter()
                        .map(|k| like_pattern(&k.to_lowercase()).into()),
                );
            } else if f.keywords.iter().all(|k| k.chars().count() >= 3) {
                // The trigram index finds substrings of three characters or more.
                let query: Vec<String> = f
                    .keywords
                    .iter()
                    .map(|k| format!("\"{}\"", k.replace('"', "\"\"")))
                    .collect();
                // Messages stored but not yet indexed (see index_pending_search; normally
                // none between commits) are matched by scanning their text.
                sql.push_str(
                    " AND (m.id IN (SELECT r.message_id FROM message_search s
                       JOIN message_search_rows r ON r.rid = s.rowid
                       WHERE message_search MATCH ?)
                      OR (m.id IN (SELECT message_id FROM message_search_pending) AND (",
                );
                sql.push_str(&text_scan(f.keywords.len(), joiner));
                sql.push_str(")))");
                args.push(query.join(joiner).into());
                args.extend(f.keywords.iter().map(|k| like_pattern(k).into()));
            } else {
                // Shorter keywords: scan the searchable text of the user's messages.
                sql.push_str(" AND (");
                sql.push_str(&text_scan(f.keywords.len(), joiner));
                sql.push(')');
                args.extend(f.keywords.iter().map(|k| like_pattern(k).into()));
            }
            sql.push_str(" ORDER BY m.time DESC, i.inbox_seq DESC LIMIT ?");
            args.push(MAX_SEARCH_ROWS.into());
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt
                .query_map(crate::db::params_from_iter(args), |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    #[test]
    fn reaction_limits() {
        let s = SqliteStore::in_memory().expect("in-memory store");
        for i in 0..MAX_USERS_PER_REACTION {
            assert_eq!(
                s.reaction_add("m", "smile", &format!("u{i}")).expect("add"),
                0
            );
        }
        assert_eq!(
            s.reaction_add("m", "smile", "late").expect("add"),
            code::REACTION_USER_LIMIT
        );
        assert_eq!(
            s.reaction_add("m", "smile", "u0").expect("add"),
            code::REACTION_ALREADY_ADDED
        );
        let (page, more) = s.reaction_users("m", "smile", 0, 60).expect("page");
        assert_eq!(page.len(), 60);
        assert!(more);
        let after = page.last().map(|(p, _)| *p).expect("a last row");
        let (rest, more) = s.reaction_users("m", "smile", after, 60).expect("page");
        assert_eq!(rest.len(), 40);
        assert!(!more);
        for i in 1..MAX_REACTIONS_PER_MESSAGE {
            assert_eq!(s.reaction_add("m", &format!("r{i}"), "u0").expect("add"), 0);
        }
        assert_eq!(
            s.reaction_add("m", "one-too-many", "u0").expect("add"),
            code::REACTION_LIMIT
        );
        assert_eq!(
            s.reaction_remove("m", "nope", "u0").expect("remove"),
            code::REACTION_NOT_FOUND
        );
        assert_eq!(
            s.reaction_remove("m", "r1", "u1").expect("remove"),
            code::REACTION_NOT_ADDED
        );
        let all = s.reactions_of("m").expect("reactions");
        assert_eq!(all.len(), MAX_REACTIONS_PER_MESSAGE);
        assert_eq!(all[0].0, "smile");
        assert_eq!(all[0].1.len(), MAX_USERS_PER_REACTION);
    }

    #[test]
    fn search_index_follows_inserts_updates_and_deletes() {
        let s = SqliteStore::in_memory().expect("in-memory store");
        let body = |text: &str| {
            json!({"ID": "m1", "type": types::MSG_TEXT, "payload": {"text": text},
                   "from": "a", "to": "b", "conversationType": "C2C"})
            .to_string()
        };
        s.with(|c| {
            c.execute(
                "INSERT INTO messages (id, conv_key, seq, sender, time, body)
                 VALUES ('m1', 'k', 1, 'a', 10, ?1)",
                [body("Hello Wörld")],
            )?;
            c.execute(
                "INSERT INTO inbox (user_id, inbox_seq, message_id) VALUES ('b', 1, 'm1')",
                [],
            )?;
            Ok(())
        })
        .expect("seed");
        let find = |kw: &[&str], all: bool| {
            let f = SearchFilter {
                keywords: kw.iter().map(|k| k.to_lowercase()).collect(),
                match_all: all,
                senders: vec![],
                types: vec![types::MSG_TEXT.to_owned()],
                conv_key: None,
                time_from: 0,
                time_to: 100,
            };
            s.search_inbox("b", &f).expect("search").len()
        };
        assert_eq!(find(&["hello"], false), 1);
        assert_eq!(find(&["WÖRLD"], false), 1);
        assert_eq!(find(&["llo w"], false), 1);
        assert_eq!(find(&["hello", "nothing"], true), 0);
        assert_eq!(find(&["hello", "nothing"], false), 1);
        assert_eq!(find(&["lo"], false), 1);
        assert_eq!(find(&["with \"quote"], false), 0);
        s.with(|c| {
            c.execute(
                "UPDATE messages SET body = ?1 WHERE id = 'm1'",
                [body("changed")],
            )?;
            Ok(())
        })
        .expect("update");
        assert_eq!(find(&["hello"], false), 0);
        assert_eq!(find(&["change"], false), 1);
        s.with(|c| {
            c.execute("DELETE FROM messages WHERE id = 'm1'", [])?;
            Ok(())
        })
        .expect("delete");
        assert_eq!(find(&["change"], false), 0);
    }

    #[test]
    fn extension_ownership_and_limit() {
        let s = SqliteStore::in_memory().expect("in-memory store");
        let ext = |k: &str, v: &str| Extension {
            key: k.into(),
            value: v.into(),
        };
        let r = s
            .ext_set("m", "a", &[ext("k", "1")])
            .expect("set")
            .expect("within the limit");
        assert_eq!(r[0].code, 0);
        let r = s
            .ext_set("m", "b", &[ext("k", "2")])
            .expect("set")
            .expect("within the limit");
        assert_eq!(
            (r[0].code, r[0].value.as_str()),
            (code::EXTENSION_CONFLICT, "1")
        );
        let r = s.ext_delete("m", "b", false, None).expect("delete");
        assert!(r.is_empty(), "b owns nothing to clear");
        let r = s.ext_delete("m", "b", true, None).expect("delete");
        assert_eq!(r[0].code, 0);
        assert!(s.ext_list("m").expect("list").is_empty());
        let many: Vec<Extension> = (0..=MAX_EXTENSIONS_PER_MESSAGE)
            .map(|i| ext(&format!("k{i}"), "v"))
            .collect();
        assert!(s.ext_set("m", "a", &many).expect("set").is_none());
        assert!(s.ext_list("m").expect("list").is_empty(), "rolled back");
    }
}
