//! Message operations: revoke, delete, modify, forward, merger, hopping (issue 3).
//!
//! `createMergerMessage` stores the merged history on the server (in parts that fit a frame)
//! and the message carries only its `downloadKey`; receivers fetch it with
//! `downloadMergerMessage`. Modified messages carry a `version` beside the Message fields;
//! `modifyMessage` sends it back so the server can refuse an outdated copy (2480).

use crate::Chat;
use pigeon_proto::consts::types;
use pigeon_proto::message_ops::{
    code, with_version, DeleteMessages, DownloadMergerMessage, GetMessageListHopping,
    ModifyMessage, PutMergerMessages, RevokeMessage, MAX_DELETE_BATCH, MAX_HOPPING_COUNT,
    MAX_MERGER_MESSAGES, VERSION_KEY,
};
use pigeon_proto::model::{status, Message};
use pigeon_proto::wire::MAX_FRAME_BYTES;
use pigeon_proto::{ImError, Result};
use serde_json::{json, Value};

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "createMergerMessage",
    "downloadMergerMessage",
    "createForwardMessage",
    "revokeMessage",
    "deleteMessage",
    "modifyMessage",
    "getMessageListHopping",
];

/// Bytes of messages per merger upload frame (leaves room for the envelope).
const MERGER_CHUNK_BYTES: usize = MAX_FRAME_BYTES / 2;

fn arg(args: &mut [Value], i: usize) -> Value {
    args.get_mut(i).map(Value::take).unwrap_or(Value::Null)
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| ImError::internal(e.to_string()))
}

/// A Message argument: an object with an `ID`.
fn message_arg(method: &str, v: Value) -> Result<Message> {
    if !v.is_object()
        || v.get("ID")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        return Err(ImError::invalid(format!(
            "{method} takes a Message with an ID"
        )));
    }
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{method}: {e}")))
}

/// The creation options shared with `createCustomMessage` (target, custom data, priority).
fn base_options(method: &str, o: &Value) -> Result<Value> {
    if !o.is_object() {
        return Err(ImError::invalid(format!(
            "{method} takes an options object"
        )));
    }
    let mut base = json!({ "payload": {} });
    for k in ["to", "conversationType", "cloudCustomData", "priority"] {
        if let Some(v) = o.get(k) {
            base[k] = v.clone();
        }
    }
    Ok(base)
}

/// A merger message nested in another keeps only its key: its history stays on the server.
fn strip_nested(mut m: Message) -> Message {
    if m.kind == types::MSG_MERGER
        && m.payload
            .get("downloadKey")
            .and_then(Value::as_str)
            .is_some_and(|k| !k.is_empty())
    {
        m.payload["messageList"] = json!([]);
    }
    m
}

impl Chat {
    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_message_ops(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        Some(match method {
            "createMergerMessage" => self.create_merger_message(arg(args, 0)).await,
            "downloadMergerMessage" => self.download_merger_message(arg(args, 0)).await,
            "createForwardMessage" => self.create_forward_message(arg(args, 0)).and_then(to_json),
            "revokeMessage" => self.revoke_message(arg(args, 0)).await,
            "deleteMessage" => self.delete_message(arg(args, 0)).await,
            "modifyMessage" => self.modify_message(arg(args, 0)).await,
            "getMessageListHopping" => self.get_message_list_hopping(arg(args, 0)).await,
            _ => return None,
        })
    }

    fn put_cached(&self, list: &[Message]) {
        let mut st = self.inner().lock_state();
        if let Some(c) = st.cache.as_mut() {
            if let Err(e) = c.put_messages(list) {
                tracing::warn!(error = %e, "could not cache messages");
            }
        }
    }

    fn is_cached(&self, id: &str) -> bool {
        let st = self.inner().lock_state();
        st.cache
            .as_ref()
            .is_some_and(|c| c.has_message(id).unwrap_or(false))
    }

    /// Implements `createMergerMessage`: checks the merged messages (none failed), stores them
    /// on the server and returns a `TYPES.MSG_MERGER` message carrying their `downloadKey`.
    pub async fn create_merger_message(&self, options: Value) -> Result<Value> {
        let method = "createMergerMessage";
        let base = base_options(method, &options)?;
        let p = options.get("payload").cloned().unwrap_or(Value::Null);
        let bad = |what: &str| {
            ImError::new(
                code::MSG_MERGER_TYPE_INVALID,
                format!("{method}: payload.{what}"),
            )
        };
        let list = p
            .get("messageList")
            .and_then(Value::as_array)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("messageList must be a non-empty array of messages"))?;
        if list.len() > MAX_MERGER_MESSAGES {
            return Err(bad(&format!(
                "messageList holds at most {MAX_MERGER_MESSAGES} messages"
            )));
        }
        let title = p
            .get("title")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("title must be a string"))?;
        let compatible = p
            .get("compatibleText")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("compatibleText must be a non-empty string"))?;
        let abstracts = match p.get("abstractList") {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => Value::Array(a.clone()),
            Some(Value::String(s)) => json!([s]),
            _ => return Err(bad("abstractList must be an array of strings")),
        };
        let mut messages = Vec::with_capacity(list.len());
        for v in list {
            let m: Message =
                serde_json::from_value(v.clone()).map_err(|e| bad(&format!("messageList: {e}")))?;
            if m.id.is_empty() || m.status != status::SUCCESS {
                return Err(bad(
                    "messageList may only hold messages that were sent successfully",
                ));
            }
            messages.push(strip_nested(m));
        }
        let mut m = self.create_custom_message(base)?;
        let conn = self.inner().online()?;
        let mut key = String::new();
        let mut chunk: Vec<Message> = Vec::new();
        let mut size = 0;
        let total = messages.len();
        for (i, msg) in messages.into_iter().enumerate() {
            let n = serde_json::to_string(&msg).map(|s| s.len()).unwrap_or(0);
            if n > MERGER_CHUNK_BYTES {
                return Err(bad(&format!("message {} is too large to merge", msg.id)));
            }
            if size + n > MERGER_CHUNK_BYTES && !chunk.is_empty() {
                let part = PutMergerMessages {
                    download_key: key.clone(),
                    message_list: std::mem::take(&mut chunk),
                    complete: false,
                };
                key = conn.call(&part).await?.download_key;
                size = 0;
            }
            size += n;
            chunk.push(msg);
            if i + 1 == total {
                let part = PutMergerMessages {
                    download_key: key.clone(),
                    message_list: std::mem::take(&mut chunk),
                    complete: true,
                };
                key = conn.call(&part).await?.download_key;
            }
        }
        m.kind = types::MSG_MERGER.to_owned();
        m.payload = json!({
            "messageList": [],
            "title": title,
            "abstractList": abstracts,
            "compatibleText": compatible,
            "downloadKey": key,
            "layersOverLimit": false,
        });
        to_json(m)
    }

    /// Implements `downloadMergerMessage`: fills `payload.messageList` of a merger message
    /// whose history is on the server; resolves with the message.
    pub async fn download_merger_message(&self, message: Value) -> Result<Value> {
        let method = "downloadMergerMessage";
        let m = message_arg(method, message.clone())?;
        if m.kind != types::MSG_MERGER {
            return Err(ImError::new(
                code::MSG_MERGER_TYPE_INVALID,
                format!("{method} takes a TYPES.MSG_MERGER message"),
            ));
        }
        let key = m
            .payload
            .get("downloadKey")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if key.is_empty() {
            return Ok(message);
        }
        let conn = self.inner().online()?;
        let reply = conn
            .call(&DownloadMergerMessage { download_key: key })
            .await?;
        let list = to_json(&reply.message_list)?;
        let mut out = message;
        out["payload"]["messageList"] = list;
        Ok(out)
    }

    /// Implements `createForwardMessage`: a new message to `to` with the content of
    /// `payload` (a message this user received or sent).
    pub fn create_forward_message(&self, options: Value) -> Result<Message> {
        let method = "createForwardMessage";
        let base = base_options(method, &options)?;
        let orig = message_arg(
            method,
            options.get("payload").cloned().unwrap_or(Value::Null),
        )
        .map_err(|e| ImError::new(code::MSG_FORWARD_TYPE_INVALID, e.message))?;
        let refused = |why: &str| {
            Err(ImError::new(
                code::MSG_FORWARD_TYPE_INVALID,
                format!("{method}: {why}"),
            ))
        };
        if orig.kind == types::MSG_GRP_TIP || orig.kind == types::MSG_GRP_SYS_NOTICE {
            return refused("group notifications cannot be forwarded");
        }
        if orig.status != status::SUCCESS {
            return refused("only messages that were sent successfully can be forwarded");
        }
        if orig.is_revoked {
            return refused("a revoked message cannot be forwarded");
        }
        let orig = strip_nested(orig);
        let mut m = self.create_custom_message(base)?;
        m.kind = orig.kind;
        m.payload = orig.payload;
        Ok(m)
    }

    /// Implements `revokeMessage`: resolves with `{message}` (isRevoked true); everyone else
    /// in the conversation gets MESSAGE_REVOKED.
    pub async fn revoke_message(&self, message: Value) -> Result<Value> {
        let m = message_arg("revokeMessage", message)?;
        let conn = self.inner().online()?;
        let reply = conn.call(&RevokeMessage { message_id: m.id }).await?;
        self.put_cached(std::slice::from_ref(&reply.message));
        Ok(json!({ "message": with_version(&reply.message, reply.version) }))
    }

    /// Implements `deleteMessage`: deletes up to 30 messages of the first one's conversation
    /// for this user, on the server and in the local cache; resolves with
    /// `{messageList}` (isDeleted true).
    pub async fn delete_message(&self, list: Value) -> Result<Value> {
        let method = "deleteMessage";
        let Value::Array(items) = list else {
            return Err(ImError::invalid(format!(
                "{method} takes an array of messages"
            )));
        };
        if items.is_empty() {
            return Err(ImError::invalid(format!(
                "{method}: the message list is empty"
            )));
        }
        let mut messages = Vec::new();
        for v in items.into_iter().take(MAX_DELETE_BATCH) {
            messages.push(message_arg(method, v)?);
        }
        let conv_id = messages[0].conversation_id.clone();
        crate::messages::check_conversation_id(&conv_id)?;
        if conv_id == types::CONV_SYSTEM
            || messages.iter().any(|m| m.kind == types::MSG_GRP_SYS_NOTICE)
        {
            return Err(ImError::new(
                code::CANNOT_DELETE_GRP_SYSTEM_NOTICE,
                "group system notices cannot be deleted",
            ));
        }
        let conn = self.inner().online()?;
        let reply = conn
            .call(&DeleteMessages {
                conversation_id: conv_id,
                message_id_list: messages.iter().map(|m| m.id.clone()).collect(),
            })
            .await?;
        // The cache has no per-message delete: a deleted copy with sequence 0 is left out of
        // cached history pages and still tells findMessage it was deleted.
        let deleted: Vec<Message> = messages
            .into_iter()
            .map(|mut m| {
                m.is_deleted = true;
                m.sequence = 0;
                m
            })
            .collect();
        self.put_cached(&deleted);
        if let Some(conv) = reply.conversation {
            let events = self
                .inner()
                .lock_state()
                .update_conversations(vec![conv], false);
            self.inner().emit_all(events);
        }
        Ok(json!({ "messageList": deleted }))
    }

    /// Implements `modifyMessage`: resolves with `{message}`, the latest version; on 2480
    /// `imError.data.message` is the latest instead.
    pub async fn modify_message(&self, message: Value) -> Result<Value> {
        let version = message
            .get(VERSION_KEY)
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let m = message_arg("modifyMessage", message)?;
        if m.status != status::SUCCESS {
            return Err(ImError::invalid(
                "modifyMessage: only messages that were sent successfully can be modified",
            ));
        }
        let conn = self.inner().online()?;
        match conn
            .call(&ModifyMessage {
                message: m,
                version,
            })
            .await
        {
            Ok(reply) => {
                self.put_cached(std::slice::from_ref(&reply.message));
                Ok(json!({ "message": with_version(&reply.message, reply.version) }))
            }
            Err(e) => {
                if e.code == code::MSG_MODIFY_CONFLICT {
                    let latest = e
                        .data
                        .as_ref()
                        .and_then(|d| d.get("message"))
                        .and_then(|v| serde_json::from_value::<Message>(v.clone()).ok());
                    if let Some(latest) = latest {
                        if self.is_cached(&latest.id) {
                            self.put_cached(&[latest]);
                        }
                    }
                }
                Err(e)
            }
        }
    }

    /// Implements `getMessageListHopping`: history from a sequence (groups) or server time
    /// (C2C), older (direction 0) or newer (1), oldest first; not cached (seed).
    pub async fn get_message_list_hopping(&self, options: Value) -> Result<Value> {
        let method = "getMessageListHopping";
        if !options.is_object() {
            return Err(ImError::invalid(format!(
                "{method} takes an options object"
            )));
        }
        let conv_id = options
            .get("conversationID")
            .and_then(Value::as_str)
            .ok_or_else(|| ImError::invalid(format!("{method}: conversationID is required")))?
            .to_owned();
        crate::messages::check_conversation_id(&conv_id)?;
        let num = |k: &str| -> Result<Option<u64>> {
            match options.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                    ImError::invalid(format!("{method}: {k} must be a non-negative integer"))
                }),
            }
        };
        let direction = num("direction")?.unwrap_or(0);
        if direction > 1 {
            return Err(ImError::invalid(format!(
                "{method}: direction must be 0 (older) or 1 (newer)"
            )));
        }
        let count = num("count")?.unwrap_or(u64::from(MAX_HOPPING_COUNT));
        if count == 0 || count > u64::from(MAX_HOPPING_COUNT) {
            return Err(ImError::invalid(format!(
                "{method}: count must be 1 to {MAX_HOPPING_COUNT}"
            )));
        }
        let req = GetMessageListHopping {
            conversation_id: conv_id,
            sequence: num("sequence")?,
            time: num("time")?,
            direction: direction as u32,
            count: count as u32,
        };
        let conn = self.inner().online()?;
        let reply = conn.call(&req).await?;
        to_json(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_mergers_keep_only_their_key() {
        let m = Message {
            kind: types::MSG_MERGER.into(),
            payload: json!({"downloadKey": "k", "messageList": [{"ID": "x"}]}),
            ..Default::default()
        };
        assert_eq!(strip_nested(m).payload["messageList"], json!([]));
    }
}
