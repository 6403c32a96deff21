//! Message operations: revoke, delete, modify, forward, merger, hopping (issue 3). Wire types.
//!
//! A modified message carries a `version` (0 until first modified) next to the Message fields
//! in the JSON the SDK hands out (modify replies, MESSAGE_MODIFIED, conflict data); modifying
//! an older version than the stored one fails with [`code::MSG_MODIFY_CONFLICT`].

use crate::model::{Conversation, Message};
use crate::wire::Op;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `EVENT.MESSAGE_REVOKED`.
pub const EVENT_MESSAGE_REVOKED: &str = "onMessageRevoked";
/// `EVENT.MESSAGE_MODIFIED`.
pub const EVENT_MESSAGE_MODIFIED: &str = "onMessageModified";

/// Default seconds a sender may revoke their message (the seed's 2 minutes).
pub const DEFAULT_REVOKE_WINDOW_SECS: u64 = 120;
/// Most messages one deleteMessage call deletes (the rest are ignored, as the seed says).
pub const MAX_DELETE_BATCH: usize = 30;
/// Default and largest page of getMessageListHopping.
pub const MAX_HOPPING_COUNT: u32 = 15;
/// Most messages one merger message holds.
pub const MAX_MERGER_MESSAGES: usize = 300;
/// Most bytes of stored merged history per downloadKey.
pub const MAX_MERGER_BYTES: usize = 4 * 1024 * 1024;
/// Key of the modification counter in message JSON.
pub const VERSION_KEY: &str = "version";

/// Error codes of this module.
pub mod code {
    /// A merger message of a kind or state that cannot be merged (MSG_MERGER_TYPE_INVALID).
    pub const MSG_MERGER_TYPE_INVALID: u32 = 2450;
    /// An unknown or inaccessible downloadKey (MSG_MERGER_KEY_INVALID).
    pub const MSG_MERGER_KEY_INVALID: u32 = 2451;
    /// A message that cannot be forwarded (MSG_FORWARD_TYPE_INVALID).
    pub const MSG_FORWARD_TYPE_INVALID: u32 = 2453;
    /// modifyMessage on an outdated version; `imError.data.message` is the latest (seed).
    pub const MSG_MODIFY_CONFLICT: u32 = 2480;
    /// modifyMessage in an AVChatRoom (seed).
    pub const MSG_MODIFY_DISABLED_IN_AV: u32 = 2481;
    /// Group system notices cannot be deleted (CANNOT_DELETE_GRP_SYSTEM_NOTICE).
    pub const CANNOT_DELETE_GRP_SYSTEM_NOTICE: u32 = 2116;
    /// deleteMessage in an AVChatRoom (seed).
    pub const DELETE_NOT_SUPPORTED_IN_AV: u32 = 10035;
    /// The sender's revoke window has passed (Tencent's revoke time limit code).
    pub const REVOKE_TIME_LIMIT: u32 = 20016;
    /// The message does not exist (seed, modifyMessage; also revoke, delete).
    pub const MSG_NOT_FOUND: u32 = 20026;
}

/// Revokes a message for everyone in its conversation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RevokeMessage {
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
}

/// Reply to [`RevokeMessage`] and [`ModifyMessage`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageReply {
    /// The message as stored now, from the caller's side.
    pub message: Message,
    /// Its modification version.
    pub version: u64,
}

impl Op for RevokeMessage {
    const NAME: &'static str = "revokeMessage";
    type Reply = MessageReply;
}

/// Deletes messages of one conversation for the caller only.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteMessages {
    /// The conversation (from the caller's side).
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// The messages (the first 30 count).
    #[serde(rename = "messageIDList")]
    pub message_id_list: Vec<String>,
}

/// Reply to [`DeleteMessages`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteMessagesReply {
    /// IDs deleted.
    #[serde(rename = "messageIDList")]
    pub message_id_list: Vec<String>,
    /// The caller's conversation now, when its last message changed.
    pub conversation: Option<Conversation>,
}

impl Op for DeleteMessages {
    const NAME: &'static str = "deleteMessages";
    type Reply = DeleteMessagesReply;
}

/// Modifies a sent message (type, payload, cloudCustomData).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModifyMessage {
    /// The message with the caller's changes.
    pub message: Message,
    /// The version the caller's copy has (0 when never modified).
    pub version: u64,
}

impl Op for ModifyMessage {
    const NAME: &'static str = "modifyMessage";
    type Reply = MessageReply;
}

/// Pages a conversation's history from a sequence (groups) or server time (C2C).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetMessageListHopping {
    /// The conversation.
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// Start sequence (groups), inclusive; None for the newest.
    pub sequence: Option<u64>,
    /// Start server time (C2C), inclusive; None for the newest.
    pub time: Option<u64>,
    /// 0: older messages, 1: newer.
    pub direction: u32,
    /// Page size, 1..=15.
    pub count: u32,
}

/// Reply to [`GetMessageListHopping`]: the seed's shape, oldest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HoppingReply {
    /// The page, oldest first.
    pub message_list: Vec<Message>,
    /// Whether nothing is left in that direction.
    pub is_completed: bool,
    /// Groups: where the next page starts ('' when completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_message_seq: Option<Value>,
    /// C2C: where the next page starts ('' when completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_message_time: Option<Value>,
}

impl Op for GetMessageListHopping {
    const NAME: &'static str = "getMessageListHopping";
    type Reply = HoppingReply;
}

/// Stores (part of) the history of a merger message; the first call makes the downloadKey.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PutMergerMessages {
    /// '' on the first call, then the key it returned.
    pub download_key: String,
    /// The next messages.
    pub message_list: Vec<Message>,
    /// True on the last call; the history cannot change after.
    pub complete: bool,
}

/// Reply to [`PutMergerMessages`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PutMergerMessagesReply {
    /// The key the merger message carries.
    pub download_key: String,
}

impl Op for PutMergerMessages {
    const NAME: &'static str = "putMergerMessages";
    type Reply = PutMergerMessagesReply;
}

/// Fetches the history of a merger message.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DownloadMergerMessage {
    /// `payload.downloadKey` of the merger message.
    pub download_key: String,
}

/// Reply to [`DownloadMergerMessage`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DownloadMergerReply {
    /// The merged messages.
    pub message_list: Vec<Message>,
}

impl Op for DownloadMergerMessage {
    const NAME: &'static str = "downloadMergerMessage";
    type Reply = DownloadMergerReply;
}

/// `message` as JSON with its `version` beside the Message fields.
pub fn with_version(message: &Message, version: u64) -> Value {
    let mut v = serde_json::to_value(message).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(VERSION_KEY.to_owned(), version.into());
    }
    v
}
