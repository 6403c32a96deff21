//! Messages: the `create*Message` family, `sendMessage`, `resendMessage`, `getMessageList`,
//! `findMessage`, `setMessageRead`.

use crate::state::PendingEntry;
use crate::Chat;
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::model::{status, Message};
use pigeon_proto::wire::{
    GetMessageList, SendMessage, SetMessageRead, MAX_MESSAGE_BODY_BYTES, MESSAGE_PAGE_SIZE,
};
use pigeon_proto::{ImError, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// How long a send started while reconnecting waits for the connection.
const RECONNECT_GRACE: Duration = Duration::from_secs(5);

/// How long a send whose connection dropped waits for a reconnect to resend the same ID.
const SEND_RETRY_WINDOW: Duration = Duration::from_secs(20);

/// Options every `create*Message` takes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateOptions {
    to: String,
    conversation_type: String,
    payload: Value,
    #[serde(default)]
    cloud_custom_data: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    need_read_receipt: Option<bool>,
    #[serde(default)]
    receiver_list: Option<Vec<String>>,
    #[serde(default)]
    is_support_extension: Option<bool>,
}

#[derive(Deserialize)]
struct TextPayload {
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextAtPayload {
    text: String,
    at_user_list: Vec<String>,
}

#[derive(Deserialize, serde::Serialize)]
struct CustomPayload {
    #[serde(default)]
    data: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    extension: String,
}

#[derive(Deserialize, serde::Serialize)]
struct FacePayload {
    index: i64,
    #[serde(default)]
    data: String,
}

#[derive(Deserialize, serde::Serialize)]
struct LocationPayload {
    description: String,
    longitude: f64,
    latitude: f64,
}

/// `sendMessage` options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct SendOptions {
    online_user_only: bool,
    message_control_info: MessageControlInfo,
    offline_push_info: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct MessageControlInfo {
    excluded_from_unread_count: bool,
    excluded_from_last_message: bool,
    excluded_from_content_moderation: bool,
}

/// `getMessageList` options.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MessageListOptions {
    #[serde(rename = "conversationID")]
    conversation_id: String,
    #[serde(rename = "nextReqMessageID", default)]
    next_req_message_id: Option<String>,
}

/// `setMessageRead` options.
#[derive(Debug, Deserialize)]
pub(crate) struct ConversationIdOptions {
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{what}: {e}")))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Checks a conversation ID's form (C2C…, GROUP…, @TIM#SYSTEM).
pub(crate) fn check_conversation_id(id: &str) -> Result<()> {
    let ok = id == types::CONV_SYSTEM
        || id.strip_prefix("C2C").is_some_and(|r| !r.is_empty())
        || id.strip_prefix("GROUP").is_some_and(|r| !r.is_empty());
    if ok {
        Ok(())
    } else {
        Err(ImError::new(
            code::INVALID_CONV_ID,
            format!("invalid conversationID {id:?}: expected C2C<userID>, GROUP<groupID> or @TIM#SYSTEM"),
        ))
    }
}

impl Chat {
    fn new_message(
        &self,
        method: &str,
        kind: &str,
        o: CreateOptions,
        payload: Value,
    ) -> Result<Message> {
        if o.to.is_empty() {
            return Err(ImError::invalid(format!("{method}: to is required")));
        }
        let conv_type = o.conversation_type.as_str();
        if ![types::CONV_C2C, types::CONV_GROUP, types::CONV_SYSTEM].contains(&conv_type) {
            return Err(ImError::invalid(format!(
                "{method}: conversationType must be TYPES.CONV_C2C or TYPES.CONV_GROUP, not {conv_type:?}"
            )));
        }
        let priority = o
            .priority
            .unwrap_or_else(|| types::MSG_PRIORITY_NORMAL.to_owned());
        let from = self.get_login_user();
        let time = now();
        let random: u32 = rand::random();
        let mut m = Message {
            id: format!("{}-{}-{}", rand::random::<u64>() >> 8, time, random),
            kind: kind.to_owned(),
            payload,
            conversation_type: o.conversation_type.clone(),
            to: o.to,
            from,
            flow: "out".to_owned(),
            time,
            status: status::UNSEND.to_owned(),
            priority,
            cloud_custom_data: o.cloud_custom_data.unwrap_or_default(),
            need_read_receipt: o.need_read_receipt.unwrap_or(false),
            is_support_extension: o.is_support_extension.unwrap_or(false),
            receiver_list: o.receiver_list,
            read_receipt_info: json!({}),
            random,
            client_time: time,
            ..Default::default()
        };
        m.conversation_id = if conv_type == types::CONV_SYSTEM {
            types::CONV_SYSTEM.to_owned()
        } else {
            m.conversation_id_for(&m.from.clone())
        };
        Ok(m)
    }

    /// Implements `createTextMessage`.
    pub fn create_text_message(&self, options: Value) -> Result<Message> {
        let o: CreateOptions = parse("createTextMessage", options)?;
        let p: TextPayload = parse("createTextMessage: payload", o.payload.clone())?;
        self.new_message(
            "createTextMessage",
            types::MSG_TEXT,
            o,
            json!({ "text": p.text }),
        )
    }

    /// Implements `createTextAtMessage` (group chats; `TYPES.MSG_AT_ALL` mentions everyone).
    pub fn create_text_at_message(&self, options: Value) -> Result<Message> {
        let o: CreateOptions = parse("createTextAtMessage", options)?;
        if o.conversation_type != types::CONV_GROUP {
            return Err(ImError::invalid(
                "createTextAtMessage: conversationType must be TYPES.CONV_GROUP",
            ));
        }
        let p: TextAtPayload = parse("createTextAtMessage: payload", o.payload.clone())?;
        if p.at_user_list.iter().any(String::is_empty) {
            return Err(ImError::invalid(
                "createTextAtMessage: atUserList has an empty userID",
            ));
        }
        let mut m = self.new_message(
            "createTextAtMessage",
            types::MSG_TEXT,
            o,
            json!({ "text": p.text, "atUserList": p.at_user_list }),
        )?;
        m.at_user_list = p.at_user_list;
        Ok(m)
    }

    /// Implements `createCustomMessage`.
    pub fn create_custom_message(&self, options: Value) -> Result<Message> {
        let o: CreateOptions = parse("createCustomMessage", options)?;
        let p: CustomPayload = parse("createCustomMessage: payload", o.payload.clone())?;
        let payload = serde_json::to_value(p).map_err(|e| ImError::internal(e.to_string()))?;
        self.new_message("createCustomMessage", types::MSG_CUSTOM, o, payload)
    }

    /// Implements `createFaceMessage`.
    pub fn create_face_message(&self, options: Value) -> Result<Message> {
        let o: CreateOptions = parse("createFaceMessage", options)?;
        let p: FacePayload = parse("createFaceMessage: payload", o.payload.clone())?;
        let payload = serde_json::to_value(p).map_err(|e| ImError::internal(e.to_string()))?;
        self.new_message("createFaceMessage", types::MSG_FACE, o, payload)
    }

    /// Implements `createLocationMessage`.
    pub fn create_location_message(&self, options: Value) -> Result<Message> {
        let o: CreateOptions = parse("createLocationMessage", options)?;
        let p: LocationPayload = parse("createLocationMessage: payload", o.payload.clone())?;
        if !(-180.0..=180.0).contains(&p.longitude) || !(-90.0..=90.0).contains(&p.latitude) {
            return Err(ImError::invalid(
                "createLocationMessage: longitude must be within ±180 and latitude within ±90",
            ));
        }
        let payload = serde_json::to_value(p).map_err(|e| ImError::internal(e.to_string()))?;
        self.new_message("createLocationMessage", types::MSG_LOCATION, o, payload)
    }

    /// Implements `sendMessage`. The message is cached before it goes out, so this instance
    /// never gets it back as new; if the connection drops before the ack, the same ID is
    /// resent after the reconnect and the server keeps one copy.
    pub async fn send_message(&self, message: Value, options: Value) -> Result<Value> {
        if !message.is_object()
            || message
                .get("ID")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            return Err(ImError::new(
                code::MSG_INSTANCE_REQUIRED,
                "sendMessage takes a Message made by a create*Message method",
            ));
        }
        let mut m: Message = parse("sendMessage: message", message)?;
        let opts: SendOptions = if options.is_null() {
            SendOptions::default()
        } else {
            parse("sendMessage: options", options)?
        };
        let _ = (
            &opts.offline_push_info,
            opts.message_control_info.excluded_from_content_moderation,
        );
        let me = self.inner().require_login()?;
        if m.to == types::CONV_SYSTEM || m.conversation_type == types::CONV_SYSTEM {
            return Err(ImError::new(
                code::MSG_INVALID_CONV_TYPE,
                "messages cannot be sent to the system conversation",
            ));
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
        if opts.online_user_only
            && (opts.message_control_info.excluded_from_unread_count
                || opts.message_control_info.excluded_from_last_message)
        {
            return Err(ImError::invalid(
                "sendMessage: onlineUserOnly and messageControlInfo cannot be used together",
            ));
        }
        m.from = me.clone();
        m = m.view_as(&me);
        // Media is uploaded first (with progress events); the message then carries its URLs.
        self.prepare_outgoing(&mut m).await?;
        let req = SendMessage {
            message: m.clone(),
            online_user_only: opts.online_user_only,
            excluded_from_unread_count: opts.message_control_info.excluded_from_unread_count,
            excluded_from_last_message: opts.message_control_info.excluded_from_last_message,
        };
        if !opts.online_user_only {
            self.cache_messages(vec![m.clone()]);
        }
        let result = self.call_idempotent(&req).await;
        match result {
            Ok(reply) => {
                let sent = reply.message;
                let gen = {
                    let st = self.inner().lock_state();
                    st.generation
                };
                if !opts.online_user_only {
                    self.cache_messages(vec![sent.clone()]);
                }
                let events =
                    {
                        let mut st = self.inner().lock_state();
                        if st.generation != gen {
                            vec![]
                        } else {
                            let mut ev = Vec::new();
                            if let Some(n) = reply.inbox_seq {
                                ev.extend(st.take_inbox(n, PendingEntry::Own));
                            }
                            ev.extend(st.update_conversations(
                                reply.conversation.into_iter().collect(),
                                false,
                            ));
                            ev
                        }
                    };
                self.inner().emit_all(events);
                Ok(json!({ "message": sent }))
            }
            Err(e) => {
                m.status = status::FAIL.to_owned();
                if !opts.online_user_only {
                    self.cache_messages(vec![m.clone()]);
                }
                Err(e.with_data(json!({ "message": m })))
            }
        }
    }

    /// Implements `resendMessage`: sends the same message (same ID) again; the server stores
    /// it at most once.
    pub async fn resend_message(&self, message: Value, options: Value) -> Result<Value> {
        self.send_message(message, options).await
    }

    async fn call_idempotent(
        &self,
        req: &SendMessage,
    ) -> Result<pigeon_proto::wire::SendMessageReply> {
        let inner = self.inner();
        // While the SDK is reconnecting (a drop it noticed just now), the send waits a little
        // for the connection rather than failing at once; fully offline, it fails at once.
        let mut conn = match inner.online() {
            Ok(c) => c,
            Err(e)
                if e.code == code::NETWORK_ERROR
                    && inner.lock_state().net_state == types::NET_STATE_CONNECTING =>
            {
                inner.wait_online(RECONNECT_GRACE).await.map_err(|_| e)?
            }
            Err(e) => return Err(e),
        };
        let deadline = tokio::time::Instant::now() + SEND_RETRY_WINDOW;
        loop {
            match conn.call(req).await {
                Err(e) if e.code == code::NETWORK_ERROR || e.code == code::NETWORK_TIMEOUT => {
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    if left.is_zero() {
                        return Err(e);
                    }
                    conn = inner.wait_online(left).await.map_err(|_| e)?;
                }
                other => return other,
            }
        }
    }

    fn cache_messages(&self, list: Vec<Message>) {
        let mut st = self.inner().lock_state();
        if let Some(c) = st.cache.as_mut() {
            if let Err(e) = c.put_messages(&list) {
                tracing::warn!(error = %e, "could not cache messages");
            }
        }
    }

    /// Implements `getMessageList`: pages of 15, oldest first within a page; from the server
    /// when connected, from the local cache otherwise.
    pub async fn get_message_list(&self, options: Value) -> Result<Value> {
        let o: MessageListOptions = parse("getMessageList", options)?;
        check_conversation_id(&o.conversation_id)?;
        self.inner().require_login()?;
        let next = o.next_req_message_id.filter(|s| !s.is_empty());
        if let Some(conn) = self.inner().conn() {
            let req = GetMessageList {
                conversation_id: o.conversation_id.clone(),
                next_req_message_id: next.clone(),
                count: MESSAGE_PAGE_SIZE,
            };
            match conn.call(&req).await {
                Ok(page) => {
                    self.cache_messages(page.message_list.clone());
                    return Ok(json!(page));
                }
                Err(e) if e.code != code::NETWORK_ERROR && e.code != code::NETWORK_TIMEOUT => {
                    return Err(e);
                }
                Err(_) => {}
            }
        }
        let st = self.inner().lock_state();
        let cache = st
            .cache
            .as_ref()
            .ok_or_else(|| ImError::internal("no local cache"))?;
        let before = match &next {
            Some(id) => Some(cache.message(id)?.ok_or_else(|| {
                ImError::invalid(format!("getMessageList: unknown nextReqMessageID {id}"))
            })?),
            None => None,
        };
        let mut list =
            cache.messages_before(&o.conversation_id, before.as_ref(), MESSAGE_PAGE_SIZE + 1)?;
        let is_completed = list.len() <= MESSAGE_PAGE_SIZE as usize;
        list.truncate(MESSAGE_PAGE_SIZE as usize);
        list.reverse();
        let next = if is_completed {
            String::new()
        } else {
            list[0].id.clone()
        };
        Ok(json!({ "messageList": list, "nextReqMessageID": next, "isCompleted": is_completed }))
    }

    /// Implements `findMessage`: a message from the local cache, or None.
    pub fn find_message(&self, id: &str) -> Option<Message> {
        let st = self.inner().lock_state();
        st.cache.as_ref().and_then(|c| c.message(id).ok().flatten())
    }

    /// Implements `setMessageRead`: the conversation's unread count becomes 0 here, on the
    /// server, and on this user's other instances.
    pub async fn set_message_read(&self, options: Value) -> Result<Value> {
        let o: ConversationIdOptions = parse("setMessageRead", options)?;
        check_conversation_id(&o.conversation_id)?;
        let conn = self.inner().online()?;
        let reply = conn
            .call(&SetMessageRead {
                conversation_id: o.conversation_id,
            })
            .await?;
        let events = self
            .inner()
            .lock_state()
            .update_conversations(vec![reply.conversation], false);
        self.inner().emit_all(events);
        Ok(json!({}))
    }
}
