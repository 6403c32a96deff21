//! Messages: `sendMessage` (with idempotent resends), `getMessageList`, and the inbox `sync`
//! that lets a client catch up on what it missed.

use crate::conversations::{self, c2c_key, group_key, Target};
use crate::hub::SessionId;
use crate::invalid;
use crate::store::{ConvRow, Recipient, Stored};
use crate::{now, validate_user_id, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::model::{status, Conversation, Message};
use pigeon_proto::wire::{
    GetMessageList, InboxEntry, MessageListReply, SendMessage, SendMessageReply, Sync, SyncReply,
    MAX_MESSAGE_BODY_BYTES, MESSAGE_PAGE_SIZE,
};
use pigeon_proto::{ImError, Result};
use std::collections::HashMap;
use std::sync::Arc;

/// Longest message ID accepted.
const MAX_ID_LEN: usize = 128;

/// Most inbox entries one sync page returns.
const MAX_SYNC_PAGE: u32 = 200;

/// Checks a message's shape: the kinds a client may send and their payloads.
pub fn validate(m: &Message) -> Result<()> {
    if m.id.is_empty() || m.id.len() > MAX_ID_LEN || m.id.chars().any(char::is_control) {
        return Err(invalid("message ID must be 1 to 128 printable characters"));
    }
    if m.to == types::CONV_SYSTEM || m.conversation_type == types::CONV_SYSTEM {
        return Err(ImError::new(
            code::MSG_INVALID_CONV_TYPE,
            "messages cannot be sent to the system conversation",
        ));
    }
    if m.conversation_type != types::CONV_C2C && m.conversation_type != types::CONV_GROUP {
        return Err(ImError::new(
            code::MSG_INVALID_CONV_TYPE,
            format!(
                "conversationType {:?} is not C2C or GROUP",
                m.conversation_type
            ),
        ));
    }
    let p = &m.payload;
    let is_str = |k: &str| p.get(k).is_some_and(|v| v.is_string());
    let is_num = |k: &str| p.get(k).is_some_and(|v| v.is_number());
    let ok = match m.kind.as_str() {
        types::MSG_TEXT => is_str("text"),
        types::MSG_CUSTOM => ["data", "description", "extension"]
            .iter()
            .all(|k| p.get(*k).is_none_or(|v| v.is_string())),
        types::MSG_FACE => is_num("index") && p.get("data").is_none_or(|v| v.is_string()),
        types::MSG_LOCATION => is_str("description") && is_num("longitude") && is_num("latitude"),
        other => {
            match crate::files::check_payload(m).or_else(|| crate::message_ops::check_payload(m)) {
                Some(checked) => {
                    checked?;
                    true
                }
                None => {
                    return Err(invalid(format!(
                        "message type {other:?} cannot be sent here"
                    )));
                }
            }
        }
    };
    if !ok || !p.is_object() {
        return Err(invalid(format!(
            "payload does not fit message type {}",
            m.kind
        )));
    }
    if m.kind == types::MSG_LOCATION {
        let lon = p["longitude"].as_f64().unwrap_or(f64::NAN);
        let lat = p["latitude"].as_f64().unwrap_or(f64::NAN);
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(invalid(
                "longitude must be within ±180 and latitude within ±90",
            ));
        }
    }
    if !m.at_user_list.is_empty() && m.conversation_type != types::CONV_GROUP {
        return Err(invalid("@-mentions are only for group messages"));
    }
    if m.body_size() > MAX_MESSAGE_BODY_BYTES {
        return Err(ImError::new(
            code::MSG_TOO_LONG,
            format!(
                "message body is {} bytes, over the 12 KB limit",
                m.body_size()
            ),
        ));
    }
    let priorities = [
        types::MSG_PRIORITY_HIGH,
        types::MSG_PRIORITY_NORMAL,
        types::MSG_PRIORITY_LOW,
        types::MSG_PRIORITY_LOWEST,
    ];
    if !m.priority.is_empty() && !priorities.contains(&m.priority.as_str()) {
        return Err(invalid(format!("unknown priority {:?}", m.priority)));
    }
    Ok(())
}

/// Clears what only the server may set and fills the sender's fields.
fn normalize(mut m: Message, from: &str) -> Message {
    m.from = from.to_owned();
    m.status = status::SUCCESS.to_owned();
    if m.priority.is_empty() {
        m.priority = types::MSG_PRIORITY_NORMAL.to_owned();
    }
    m.is_revoked = false;
    m.is_deleted = false;
    // `isModified` is left to the caller: the gateway sets it from the before-send webhook's
    // verdict (`webhooks::send_message`, which overwrites the client's value), messages the
    // server makes leave it false.
    m.is_peer_read = false;
    m.revoker.clear();
    m.revoke_reason.clear();
    m.revoker_info = serde_json::Value::Null;
    m.has_risk_content = false;
    // Display fields come from the server's profiles, never from the sender's client.
    m.nick.clear();
    m.avatar.clear();
    m.name_card.clear();
    m.is_broadcast_message = false;
    m.sequence = 0;
    m.read_receipt_info = serde_json::json!({});
    m
}

/// How `viewer` is mentioned by `m` (`TYPES.CONV_AT_*`, 0 when not).
fn at_type(m: &Message, viewer: &str) -> u32 {
    let me = m.at_user_list.iter().any(|u| u == viewer);
    let all = m.at_user_list.iter().any(|u| u == types::MSG_AT_ALL);
    match (me, all) {
        (true, true) => types::CONV_AT_ALL_AT_ME,
        (true, false) => types::CONV_AT_ME,
        (false, true) => types::CONV_AT_ALL,
        (false, false) => 0,
    }
}

/// Whether a receiver's remind type keeps this message from them (it stays in history).
fn discarded(st: &AppState, user: &str, conv_id: &str, at: u32) -> Result<bool> {
    let remind = st.db(|s| s.settings(user, conv_id))?.remind_type;
    Ok(discards(&remind, at))
}

/// Whether remind type `remind` keeps a message mentioning its reader as `at` from them.
fn discards(remind: &str, at: u32) -> bool {
    remind == types::MSG_REMIND_DISCARD
        || (remind == types::MSG_REMIND_DISCARD_EXCEPT_AT && at == 0)
}

/// Who receives a message and their conversation for it.
fn recipients(st: &AppState, m: &Message, req: &SendMessage) -> Result<(String, Vec<Recipient>)> {
    let sender = &m.from;
    let sets_last = !req.excluded_from_last_message;
    let counts = !req.excluded_from_unread_count && !req.online_user_only;
    if m.conversation_type == types::CONV_C2C {
        validate_user_id("to", &m.to)?;
        // The app administrator (REST API) may write to anyone.
        if !crate::rest::is_admin(st, sender) {
            crate::relations::check_c2c_allowed(st, sender, &m.to)?;
        }
        let mut list = vec![Recipient {
            user_id: sender.clone(),
            conv_id: format!("C2C{}", m.to),
            counts_unread: false,
            sets_last,
            at_type: 0,
        }];
        let conv_id = format!("C2C{sender}");
        if m.to != *sender && !discarded(st, &m.to, &conv_id, 0)? {
            list.push(Recipient {
                user_id: m.to.clone(),
                conv_id,
                counts_unread: counts,
                sets_last,
                at_type: 0,
            });
        }
        return Ok((c2c_key(sender, &m.to), list));
    }
    // A topic's messages go to its community's members, in the topic's own conversation.
    let community = crate::topics::community_of(st, &m.to)?;
    let group = crate::groups::live(st, community.as_deref().unwrap_or(&m.to))?;
    crate::group_members::check_can_send(st, &group.group_id, sender)?;
    if community.is_some() {
        crate::topics::check_can_send(st, &m.to, &group.group_id, sender)?;
    } else if group.kind == types::GRP_COMMUNITY && group.is_support_topic {
        return Err(ImError::new(
            code::MSG_SEND_GRP_WITH_TOPIC_FAIL,
            "a community with topics takes messages in its topics, not the community itself",
        ));
    }
    let members = st.db(|s| s.members(&group.group_id))?;
    if !members.iter().any(|mm| mm.user_id == *sender) && !crate::rest::is_admin(st, sender) {
        return Err(ImError::new(
            code::GROUP_NO_PERMISSION,
            format!("{sender} is not a member of group {}", m.to),
        ));
    }
    let conv_id = format!("GROUP{}", m.to);
    // Every receiver's remind type in one read, not one per member.
    let receivers: Vec<String> = members
        .iter()
        .filter(|mm| mm.user_id != *sender)
        .map(|mm| mm.user_id.clone())
        .collect();
    let settings = st.db(|s| s.settings_of(&conv_id, &receivers))?;
    let mut list = Vec::with_capacity(members.len());
    for mm in members {
        let is_sender = mm.user_id == *sender;
        let at = if is_sender {
            0
        } else {
            at_type(m, &mm.user_id)
        };
        let remind = settings
            .get(&mm.user_id)
            .map_or("", |s| s.remind_type.as_str());
        if !is_sender && discards(remind, at) {
            continue;
        }
        list.push(Recipient {
            counts_unread: counts && !is_sender,
            user_id: mm.user_id,
            conv_id: conv_id.clone(),
            sets_last,
            at_type: at,
        });
    }
    Ok((group_key(&m.to), list))
}

/// Implements `sendMessage`. Idempotent by message ID: a resend returns the first copy and
/// delivers nothing again.
pub fn send(st: &AppState, caller: &Caller, req: SendMessage) -> Result<SendMessageReply> {
    send_as(st, caller, req, true)
}

/// [`send`], with the choice the REST API's `SyncOtherMachine` makes: when `sync_sender` is
/// false the message is not put in the sender's own inbox and conversation.
pub fn send_as(
    st: &AppState,
    caller: &Caller,
    req: SendMessage,
    sync_sender: bool,
) -> Result<SendMessageReply> {
    match prepare(st, caller, req, sync_sender)? {
        Prepared::Done(reply) => Ok(*reply),
        Prepared::Store(out) => {
            let stored =
                st.db(|s| s.store_message(&out.conv_key, &out.message, now(), &out.recipients))?;
            finish(st, caller, stored)
        }
    }
}

/// [`send`] for the gateway: the same, but the wait for the store's writer holds no thread,
/// so many senders' messages share one commit.
pub async fn send_async(
    st: &AppState,
    caller: &Caller,
    req: SendMessage,
) -> Result<SendMessageReply> {
    match prepare(st, caller, req, true)? {
        Prepared::Done(reply) => Ok(*reply),
        Prepared::Store(out) => {
            let stored = st
                .store_message(&out.conv_key, &out.message, &out.recipients)
                .await?;
            finish(st, caller, stored)
        }
    }
}

/// What a send comes to before storing.
enum Prepared {
    /// Answered without storing (online-only and AVChatRoom messages, pushed live).
    Done(Box<SendMessageReply>),
    /// To be stored, then [`finish`]ed.
    Store(Box<Outgoing>),
}

/// A checked message with its conversation and recipients, ready to store.
struct Outgoing {
    conv_key: String,
    message: Message,
    recipients: Vec<Recipient>,
}

/// The send up to storing: checks, the server's fields, recipients; live messages are pushed
/// here and answered.
fn prepare(
    st: &AppState,
    caller: &Caller,
    req: SendMessage,
    sync_sender: bool,
) -> Result<Prepared> {
    validate(&req.message)?;
    crate::rest::check_nospeaking(st, &caller.user_id, &req.message.conversation_type)?;
    if req.online_user_only && (req.excluded_from_unread_count || req.excluded_from_last_message) {
        return Err(invalid(
            "onlineUserOnly and messageControlInfo cannot be used together",
        ));
    }
    let mut m = normalize(req.message.clone(), &caller.user_id);
    crate::profiles::decorate(st, &mut m)?;
    let (conv_key, mut recips) = recipients(st, &m, &req)?;
    if !sync_sender {
        recips.retain(|r| r.user_id != caller.user_id);
    }
    // AVChatRoom messages are live only: no roaming history, no unread (seed).
    let live_room = m.conversation_type == types::CONV_GROUP
        && crate::groups::live(st, &m.to).is_ok_and(|g| g.kind == types::GRP_AVCHATROOM);
    if req.online_user_only || live_room {
        let mut m = m;
        m.time = now();
        push_live(
            st,
            &m,
            recips.iter().map(|r| r.user_id.as_str()),
            Some(caller.session),
        );
        crate::webhooks::after_send(st, caller, &m, true);
        return Ok(Prepared::Done(Box::new(SendMessageReply {
            message: m.view_as(&caller.user_id),
            conversation: None,
            inbox_seq: None,
        })));
    }
    Ok(Prepared::Store(Box::new(Outgoing {
        conv_key,
        message: m,
        recipients: recips,
    })))
}

/// The send after storing: delivery to every recipient, the after-send webhook, the reply.
fn finish(st: &AppState, caller: &Caller, stored: Stored) -> Result<SendMessageReply> {
    let fanned = fan_out(st, &stored, Some(caller.session), &caller.user_id)?;
    if stored.is_new {
        crate::webhooks::after_send(st, caller, &stored.message, false);
    }
    let own_inbox = stored
        .inbox
        .iter()
        .find(|(user, _)| *user == caller.user_id)
        .map(|(_, n)| *n);
    // A resend stores nothing: own_inbox stays None and the client keeps the first position.
    let conversation = match fanned {
        Some(c) => Some(c),
        None => {
            let conv_id = stored.message.conversation_id_for(&caller.user_id);
            conversations::load(st, &caller.user_id, &conv_id)?
        }
    };
    Ok(SendMessageReply {
        conversation,
        message: stored.message.view_as(&caller.user_id),
        inbox_seq: own_inbox,
    })
}

/// Stores and delivers a message the server itself makes (group tips), to every session.
pub fn deliver_system(
    st: &AppState,
    conv_key: &str,
    m: &Message,
    recips: &[Recipient],
) -> Result<()> {
    let stored = st.db(|s| s.store_message(conv_key, m, now(), recips))?;
    fan_out(st, &stored, None, "").map(|_| ())
}

/// Pushes a message that is not stored (online-only, AVChatRoom) to `users`' sessions (except
/// `except`). Every receiver's frame is the same but for the sender's own view, so each
/// distinct frame is serialized once and shared.
pub fn push_live<'a>(
    st: &AppState,
    m: &Message,
    users: impl Iterator<Item = &'a str>,
    except: Option<SessionId>,
) {
    let mut views = Views::new(m);
    let mut frames: Vec<(usize, Arc<str>)> = Vec::new();
    for user in users {
        let Some((view, json)) = views.get(user) else {
            continue;
        };
        let frame = match frames.iter().find(|(v, _)| *v == view) {
            Some((_, f)) => f.clone(),
            None => {
                let f: Arc<str> = Arc::from(message_frame(None, json, None));
                frames.push((view, f.clone()));
                f
            }
        };
        send_frame(st, user, frame, except);
    }
}

/// A message serialized once per distinct viewer-relative view (`conversationID`, `flow`):
/// a group message has two, the sender's and everyone else's.
struct Views<'a> {
    message: &'a Message,
    /// (conversationID, outgoing) → the view's JSON.
    made: Vec<((String, bool), String)>,
}

impl<'a> Views<'a> {
    fn new(message: &'a Message) -> Self {
        Self {
            message,
            made: Vec::new(),
        }
    }

    /// The index and JSON of `viewer`'s view; None (logged) if it does not serialize.
    fn get(&mut self, viewer: &str) -> Option<(usize, &str)> {
        let key = (
            self.message.conversation_id_for(viewer),
            self.message.from == viewer,
        );
        let i = match self.made.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => match serde_json::to_string(&self.message.clone().view_as(viewer)) {
                Ok(json) => {
                    self.made.push((key, json));
                    self.made.len() - 1
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not serialize a message");
                    return None;
                }
            },
        };
        Some((i, self.made[i].1.as_str()))
    }
}

/// The text of `Push::Message` from its parts already serialized (the same bytes serde makes
/// of the whole: checked by a test), so the message is serialized once, not per recipient.
fn message_frame(inbox_seq: Option<u64>, message: &str, conversation: Option<&str>) -> String {
    let seq = inbox_seq.map_or_else(|| "null".to_owned(), |n| n.to_string());
    let conversation = conversation.unwrap_or("null");
    let mut f = String::with_capacity(64 + message.len() + conversation.len());
    f.push_str(r#"{"push":"message","data":{"inboxSeq":"#);
    f.push_str(&seq);
    f.push_str(r#","message":"#);
    f.push_str(message);
    f.push_str(r#","conversation":"#);
    f.push_str(conversation);
    f.push_str("}}");
    f
}

/// Sends a serialized message push, as [`AppState::push`] does.
fn send_frame(st: &AppState, user: &str, frame: Arc<str>, except: Option<SessionId>) {
    crate::metrics::get().messages_out.inc();
    st.bus.send_to_user(user, frame, except);
}

/// Pushes a newly stored message, with each recipient's conversation, to their sessions
/// (except the sending one).
/// Returns the conversation of `author` as it now is (loaded once for both the pushes and the
/// sender's reply).
///
/// What the recipients share is read and serialized once: their conversation rows in one
/// query per conversation ID, the group row and members once, the message once per view.
fn fan_out(
    st: &AppState,
    stored: &Stored,
    except: Option<SessionId>,
    author: &str,
) -> Result<Option<Conversation>> {
    let m = &stored.message;
    // Recipients by their conversation ID (one for a group message, two for C2C).
    let mut by_conv: Vec<(String, Vec<String>)> = Vec::new();
    for (user, _) in &stored.inbox {
        let conv_id = m.conversation_id_for(user);
        match by_conv.iter_mut().find(|(c, _)| *c == conv_id) {
            Some((_, users)) => users.push(user.clone()),
            None => by_conv.push((conv_id, vec![user.clone()])),
        }
    }
    let mut rows: HashMap<(String, String), ConvRow> = HashMap::new();
    let mut ctx = None;
    for (conv_id, users) in &by_conv {
        for (user, row) in st.db(|s| s.conversations_of(conv_id, users))? {
            rows.insert((user, conv_id.clone()), row);
        }
        if ctx.is_none() {
            if let Ok(Target::Group(gid)) = conversations::parse_id(conv_id) {
                ctx = Some(conversations::GroupCtx::load(st, &gid)?);
            }
        }
    }
    let mut views = Views::new(m);
    let mut authors = None;
    for (user, inbox_seq) in &stored.inbox {
        let conv_id = m.conversation_id_for(user);
        let conversation = match rows.remove(&(user.clone(), conv_id)) {
            Some(row) => Some(conversations::build_in(st, user, row, ctx.as_ref())?),
            // No row read for it (listed twice, or gone since): read it as before.
            None => conversations::load(st, user, &m.conversation_id_for(user))?,
        };
        let conv_json = match conversation.as_ref().map(serde_json::to_string).transpose() {
            Ok(j) => j,
            Err(e) => {
                tracing::error!(error = %e, "could not serialize a push");
                continue;
            }
        };
        if user == author {
            authors = conversation;
        }
        let Some((_, message)) = views.get(user) else {
            continue;
        };
        let frame = message_frame(Some(*inbox_seq), message, conv_json.as_deref());
        send_frame(st, user, Arc::from(frame), except);
    }
    Ok(authors)
}

/// Implements the server side of `getMessageList`: a page of history, oldest first.
pub fn list(st: &AppState, caller: &Caller, req: GetMessageList) -> Result<MessageListReply> {
    let me = &caller.user_id;
    let mut upto = None;
    let conv_key = match conversations::parse_id(&req.conversation_id)? {
        Target::C2c(peer) => c2c_key(me, &peer),
        Target::Group(gid) => {
            let conv = st.db(|s| s.conversation(me, &req.conversation_id))?;
            let community = crate::topics::community_of(st, &gid)?;
            let group_id = community.as_deref().unwrap_or(&gid);
            let is_member = st.db(|s| s.member(group_id, me))?.is_some();
            if !is_member {
                let Some(conv) = conv else {
                    crate::groups::live(st, group_id)?;
                    return Err(ImError::new(
                        code::GROUP_NO_PERMISSION,
                        format!("{me} is not a member of group {gid}"),
                    ));
                };
                upto = Some(former_member_bound(&conv));
            }
            group_key(&gid)
        }
        Target::System => crate::conversations::system_key(me),
    };
    let before = match req.next_req_message_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => {
            let (key, m) = st.db(|s| s.message(id))?.ok_or_else(|| {
                invalid(format!(
                    "nextReqMessageID {id} is not a message of this conversation"
                ))
            })?;
            if key != conv_key {
                return Err(invalid(format!(
                    "nextReqMessageID {id} is not a message of this conversation"
                )));
            }
            Some(m.sequence)
        }
    };
    // A former member pages only through what was said up to their departure.
    let before = match upto {
        Some(u) => Some(before.map_or(u.saturating_add(1), |b| b.min(u.saturating_add(1)))),
        None => before,
    };
    let count = if req.count == 0 {
        MESSAGE_PAGE_SIZE
    } else {
        req.count.min(100)
    };
    let cleared = st.db(|s| s.cleared_seq(me, &conv_key))?;
    let mut page = st.db(|s| s.messages_before(&conv_key, before, cleared, count + 1))?;
    crate::message_ops::filter_for(st, me, &mut page)?;
    // The peer's read position, so history keeps the read ticks the live events gave.
    if let Target::C2c(peer) = conversations::parse_id(&req.conversation_id)? {
        let read = st.db(|s| s.c2c_read_seq(&peer, &conv_key))?;
        for m in page
            .iter_mut()
            .filter(|m| &m.from == me && m.sequence <= read)
        {
            m.is_peer_read = true;
        }
    }
    let is_completed = page.len() <= count as usize;
    page.truncate(count as usize);
    page.reverse();
    let next = if is_completed {
        String::new()
    } else {
        page[0].id.clone()
    };
    Ok(MessageListReply {
        message_list: page.into_iter().map(|m| m.view_as(me)).collect(),
        next_req_message_id: next,
        is_completed,
    })
}

/// The last sequence a former member of a group may still read: the conversation's last
/// message, which is the last one that reached them while they were in it (messages after
/// their removal are not fanned out to them). None left (deleted): nothing.
pub(crate) fn former_member_bound(conv: &crate::store::ConvRow) -> u64 {
    conv.last_message.as_ref().map_or(0, |m| m.sequence)
}

/// What a client missed: its inbox after its cursor.
pub fn sync(st: &AppState, caller: &Caller, req: Sync) -> Result<SyncReply> {
    let limit = if req.limit == 0 {
        MAX_SYNC_PAGE
    } else {
        req.limit.min(MAX_SYNC_PAGE)
    };
    let rows = st.db(|s| s.inbox_after(&caller.user_id, req.after, limit + 1))?;
    let is_completed = rows.len() <= limit as usize;
    let entries = rows
        .into_iter()
        .take(limit as usize)
        .map(|(inbox_seq, m)| InboxEntry {
            inbox_seq,
            message: m.map(|m| m.view_as(&caller.user_id)),
        })
        .collect();
    Ok(SyncReply {
        entries,
        is_completed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pigeon_proto::wire::Push;
    use serde_json::json;

    fn text(to: &str, conv_type: &str, text: &str) -> Message {
        Message {
            id: "1-1-1".into(),
            kind: types::MSG_TEXT.into(),
            payload: json!({ "text": text }),
            to: to.into(),
            conversation_type: conv_type.into(),
            ..Default::default()
        }
    }

    #[test]
    fn message_frames_are_what_serde_makes() {
        let m = text("g1", "GROUP", "hi").view_as("bob");
        let conv = Conversation {
            conversation_id: "GROUPg1".into(),
            unread_count: 3,
            ..Default::default()
        };
        for (seq, c) in [(Some(7), Some(conv)), (None, None)] {
            let push = Push::Message {
                inbox_seq: seq,
                message: m.clone(),
                conversation: c.clone(),
            };
            let whole = serde_json::to_string(&push).expect("push");
            let msg = serde_json::to_string(&m).expect("message");
            let c = c.map(|c| serde_json::to_string(&c).expect("conversation"));
            assert_eq!(message_frame(seq, &msg, c.as_deref()), whole);
        }
    }

    #[test]
    fn validation() {
        assert!(validate(&text("bob", "C2C", "hi")).is_ok());
        let code_of = |m: &Message| validate(m).map_err(|e| e.code).err();
        assert_eq!(
            code_of(&text("@TIM#SYSTEM", "C2C", "x")),
            Some(code::MSG_INVALID_CONV_TYPE)
        );
        assert_eq!(
            code_of(&text("bob", "@TIM#SYSTEM", "x")),
            Some(code::MSG_INVALID_CONV_TYPE)
        );
        assert_eq!(
            code_of(&text("bob", "C2C", &"x".repeat(13 * 1024))),
            Some(code::MSG_TOO_LONG)
        );
        let mut m = text("bob", "C2C", "x");
        m.payload = json!({ "text": 5 });
        assert_eq!(code_of(&m), Some(code::SERVER_INVALID_PARAM));
        m.kind = "TIMNoSuchElem".into();
        assert_eq!(code_of(&m), Some(code::SERVER_INVALID_PARAM));
        let mut loc = text("bob", "C2C", "");
        loc.kind = types::MSG_LOCATION.into();
        loc.payload = json!({"description": "x", "longitude": 200.0, "latitude": 1.0});
        assert_eq!(code_of(&loc), Some(code::SERVER_INVALID_PARAM));
    }
}
