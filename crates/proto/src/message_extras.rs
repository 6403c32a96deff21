//! Message extensions, reactions, read receipts, cloud search, translation and speech-to-text (issue 3). Wire types.
//!
//! Messages are named by their ID on the wire; the server looks them up and checks that the
//! caller may see them.

use crate::model::Message;
use crate::wire::Op;
use serde::{Deserialize, Serialize};

/// `EVENT.MESSAGE_EXTENSIONS_UPDATED`: data is `{messageID, extensions: [{key, value}]}`.
pub const EVENT_MESSAGE_EXTENSIONS_UPDATED: &str = "onMessageExtensionsUpdated";
/// `EVENT.MESSAGE_EXTENSIONS_DELETED`: data is `{messageID, keyList}`.
pub const EVENT_MESSAGE_EXTENSIONS_DELETED: &str = "onMessageExtensionsDeleted";
/// `EVENT.MESSAGE_REACTIONS_UPDATED`: data is `{messageID, conversationID, reactionList}`.
pub const EVENT_MESSAGE_REACTIONS_UPDATED: &str = "onMessageReactionsUpdated";
/// `EVENT.MESSAGE_READ_RECEIPT_RECEIVED`: data is
/// `[{conversationID, messageID, readCount, unreadCount}]` (group) or
/// `[{conversationID, messageID, isPeerRead}]` (C2C).
pub const EVENT_MESSAGE_READ_RECEIPT_RECEIVED: &str = "onMessageReadReceiptReceived";

/// Longest extension key, in bytes (seed).
pub const MAX_EXTENSION_KEY_BYTES: usize = 100;
/// Longest extension value, in bytes (seed: 1 KB).
pub const MAX_EXTENSION_VALUE_BYTES: usize = 1024;
/// Extensions per `setMessageExtensions` call (seed).
pub const MAX_EXTENSIONS_PER_CALL: usize = 20;
/// Extensions one message may hold (seed).
pub const MAX_EXTENSIONS_PER_MESSAGE: usize = 300;
/// Different reactions one message may hold (seed).
pub const MAX_REACTIONS_PER_MESSAGE: usize = 10;
/// Users one reaction may hold (seed).
pub const MAX_USERS_PER_REACTION: usize = 100;
/// Longest reaction ID, in bytes.
pub const MAX_REACTION_ID_BYTES: usize = 100;
/// Messages per `getMessageReactions` call (seed).
pub const MAX_REACTION_QUERY: usize = 20;
/// Users per reaction returned by `getMessageReactions` (seed: range [0, 10]).
pub const MAX_PARTIAL_USERS: u32 = 10;
/// Page size limit of `getAllUserListOfMessageReaction` (seed).
pub const MAX_REACTION_USER_PAGE: u32 = 100;
/// Messages per read-receipt call (seed).
pub const MAX_RECEIPT_MESSAGES: usize = 30;
/// Page size limit of `getGroupMessageReadMemberList` (seed).
pub const MAX_READ_MEMBER_PAGE: u32 = 100;
/// Keywords per search (seed).
pub const MAX_SEARCH_KEYWORDS: usize = 5;
/// Senders per search (seed).
pub const MAX_SEARCH_SENDERS: usize = 5;
/// Conversations per page of an all-conversation search.
pub const SEARCH_CONVERSATIONS_PER_PAGE: usize = 10;
/// Messages per page of a one-conversation search.
pub const SEARCH_MESSAGES_PER_PAGE: usize = 20;
/// How long an all-conversation search cursor stays valid, in seconds (seed: 2 minutes).
pub const SEARCH_CURSOR_TTL_SECS: u64 = 120;
/// Searches one SDK instance may start per second (seed's local rate limit).
pub const SEARCH_CALLS_PER_SECOND: usize = 2;
/// Texts per `translateText` call.
pub const MAX_TRANSLATE_TEXTS: usize = 50;
/// Longest text to translate, in bytes.
pub const MAX_TRANSLATE_TEXT_BYTES: usize = 5000;

/// Error codes of this module (docs/errors.md).
pub mod code {
    /// The message does not exist or the caller may not see it (shipped: message not found).
    pub const MESSAGE_NOT_FOUND: u32 = 20026;
    /// Another user set or deleted this extension key first (seed).
    pub const EXTENSION_CONFLICT: u32 = 23001;
    /// The message was not sent with `isSupportExtension` (or is revoked).
    pub const EXTENSION_NOT_SUPPORTED: u32 = 23002;
    /// The message already holds 300 extensions.
    pub const EXTENSION_LIMIT: u32 = 23003;
    /// The message already holds 10 reactions (seed).
    pub const REACTION_LIMIT: u32 = 23005;
    /// The reaction already holds 100 users (seed).
    pub const REACTION_USER_LIMIT: u32 = 23006;
    /// The caller already added this reaction (seed).
    pub const REACTION_ALREADY_ADDED: u32 = 23007;
    /// The message has no such reaction (seed).
    pub const REACTION_NOT_FOUND: u32 = 23008;
    /// The reaction does not contain the caller (seed).
    pub const REACTION_NOT_ADDED: u32 = 23009;
    /// No read-receipt info: the message was sent without `needReadReceipt`, or the caller is
    /// not its sender (seed 10062).
    pub const READ_RECEIPT_NOT_FOUND: u32 = 10062;
    /// A read-receipt call without messages (READ_RECEIPT_MSG_LIST_EMPTY).
    pub const READ_RECEIPT_MSG_LIST_EMPTY: u32 = 2114;
    /// Translation failed or no translation provider is configured (TRANSLATE_TEXT_FAIL).
    pub const TRANSLATE_TEXT_FAIL: u32 = 2117;
    /// Speech-to-text failed or no provider is configured (VOICE_TO_TEXT_FAIL).
    pub const VOICE_TO_TEXT_FAIL: u32 = 2118;
    /// `convertVoiceToText` on a message that is not an audio message (UNSUPPORTED_VOICE_FORMAT).
    pub const UNSUPPORTED_VOICE_FORMAT: u32 = 2119;
}

/// One extension as the caller gives it (`{key, value}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Extension {
    /// Key, 1 to 100 bytes.
    pub key: String,
    /// Value, at most 1 KB.
    pub value: String,
}

/// One key's outcome of a set or delete (`{code, key, value}`): 0, or 23001 with the stored
/// value that won.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtensionResult {
    /// 0 or [`code::EXTENSION_CONFLICT`].
    pub code: u32,
    /// The key.
    pub key: String,
    /// The value now stored (empty once deleted).
    pub value: String,
}

/// `setMessageExtensions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetMessageExtensions {
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// Extensions to set, 1 to 20.
    pub extensions: Vec<Extension>,
}

/// Reply of `setMessageExtensions` and `deleteMessageExtensions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtensionsReply {
    /// One entry per key asked.
    pub extensions: Vec<ExtensionResult>,
}

impl Op for SetMessageExtensions {
    const NAME: &'static str = "setMessageExtensions";
    type Reply = ExtensionsReply;
}

/// `getMessageExtensions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetMessageExtensions {
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
}

/// Reply of `getMessageExtensions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GetExtensionsReply {
    /// Every extension of the message, by key.
    pub extensions: Vec<Extension>,
}

impl Op for GetMessageExtensions {
    const NAME: &'static str = "getMessageExtensions";
    type Reply = GetExtensionsReply;
}

/// `deleteMessageExtensions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteMessageExtensions {
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// Keys to delete; None clears every extension the caller may delete.
    #[serde(default)]
    pub key_list: Option<Vec<String>>,
}

impl Op for DeleteMessageExtensions {
    const NAME: &'static str = "deleteMessageExtensions";
    type Reply = ExtensionsReply;
}

/// `addMessageReaction` and `removeMessageReaction` arguments.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReactionChange {
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// The reaction, e.g. an emoji ID.
    #[serde(rename = "reactionID")]
    pub reaction_id: String,
}

/// `addMessageReaction`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddMessageReaction(pub ReactionChange);

/// `removeMessageReaction`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemoveMessageReaction(pub ReactionChange);

/// Reply of the reaction changes: the message's reactions afterwards.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReactionChangeReply {
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// Its reactions now.
    pub reaction_list: Vec<Reaction>,
}

impl Op for AddMessageReaction {
    const NAME: &'static str = "addMessageReaction";
    type Reply = ReactionChangeReply;
}

impl Op for RemoveMessageReaction {
    const NAME: &'static str = "removeMessageReaction";
    type Reply = ReactionChangeReply;
}

/// A user in a reaction's user list (`{userID, nick, avatar}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReactionUser {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Their nickname.
    pub nick: String,
    /// Their avatar URL.
    pub avatar: String,
}

/// One reaction of a message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    /// The reaction.
    #[serde(rename = "reactionID")]
    pub reaction_id: String,
    /// How many users hold it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_user_count: u64,
    /// The first users who added it.
    pub partial_user_list: Vec<ReactionUser>,
}

/// `getMessageReactions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetMessageReactions {
    /// Up to 20 messages.
    #[serde(rename = "messageIDList")]
    pub message_id_list: Vec<String>,
    /// Users per reaction, 0 to 10.
    pub max_user_count_per_reaction: u32,
}

/// One message's reactions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MessageReactions {
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// Its reactions, oldest first.
    pub reaction_list: Vec<Reaction>,
}

/// Reply of `getMessageReactions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GetMessageReactionsReply {
    /// One entry per message asked.
    pub result_list: Vec<MessageReactions>,
}

impl Op for GetMessageReactions {
    const NAME: &'static str = "getMessageReactions";
    type Reply = GetMessageReactionsReply;
}

/// `getAllUserListOfMessageReaction`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetAllUserListOfMessageReaction {
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// The reaction.
    #[serde(rename = "reactionID")]
    pub reaction_id: String,
    /// 0 the first time, then the returned `nextSeq`.
    pub next_seq: u64,
    /// Page size, 1 to 100.
    pub count: u32,
}

/// Reply of `getAllUserListOfMessageReaction`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReactionUserPage {
    /// Users of this page, in the order they reacted.
    pub user_list: Vec<ReactionUser>,
    /// Where the next page starts (0 when complete).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub next_seq: u64,
    /// Whether this was the last page.
    pub is_completed: bool,
}

impl Op for GetAllUserListOfMessageReaction {
    const NAME: &'static str = "getAllUserListOfMessageReaction";
    type Reply = ReactionUserPage;
}

/// `sendMessageReadReceipt`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendMessageReadReceipt {
    /// Up to 30 messages of one conversation.
    #[serde(rename = "messageIDList")]
    pub message_id_list: Vec<String>,
}

/// An empty reply.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NoData {}

impl Op for SendMessageReadReceipt {
    const NAME: &'static str = "sendMessageReadReceipt";
    type Reply = NoData;
}

/// `getMessageReadReceiptList`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetMessageReadReceiptList {
    /// Messages of one conversation.
    #[serde(rename = "messageIDList")]
    pub message_id_list: Vec<String>,
}

/// Reply of `getMessageReadReceiptList`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReadReceiptListReply {
    /// The messages with `readReceiptInfo` filled.
    pub message_list: Vec<Message>,
}

impl Op for GetMessageReadReceiptList {
    const NAME: &'static str = "getMessageReadReceiptList";
    type Reply = ReadReceiptListReply;
}

/// `getGroupMessageReadMemberList`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetGroupMessageReadMemberList {
    /// A group message the caller sent with `needReadReceipt`.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// `''` the first time, then the returned cursor.
    pub cursor: String,
    /// 0 = members who read it, 1 = members who did not.
    pub filter: u32,
    /// Page size, 1 to 100.
    pub count: u32,
}

/// Reply of `getGroupMessageReadMemberList`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReadMemberPage {
    /// Whether this was the last page.
    pub is_completed: bool,
    /// Where the next page starts (`''` when complete).
    pub cursor: String,
    /// The message.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// Members who read it (filter 0).
    #[serde(
        rename = "readUserIDList",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub read_user_id_list: Option<Vec<String>>,
    /// Members who did not read it (filter 1).
    #[serde(
        rename = "unreadUserIDList",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub unread_user_id_list: Option<Vec<String>>,
}

impl Op for GetGroupMessageReadMemberList {
    const NAME: &'static str = "getGroupMessageReadMemberList";
    type Reply = ReadMemberPage;
}

/// `searchCloudMessages`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SearchCloudMessages {
    /// Up to 5 keywords.
    pub keyword_list: Vec<String>,
    /// `or` (default) or `and`.
    pub keyword_list_match_type: String,
    /// Up to 5 senders.
    #[serde(rename = "senderUserIDList")]
    pub sender_user_id_list: Vec<String>,
    /// `TYPES.MSG_*`; empty = every searchable type.
    pub message_type_list: Vec<String>,
    /// One conversation (`C2C<userID>` / `GROUP<groupID>`), or None for all.
    #[serde(rename = "conversationID")]
    pub conversation_id: Option<String>,
    /// End of the time range in seconds; 0 = now.
    pub time_position: u64,
    /// Length of the time range back from `timePosition`, seconds; 0 = unlimited.
    pub time_period: u64,
    /// The previous page's cursor.
    pub cursor: Option<String>,
}

/// One conversation's matches.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// The conversation, as the caller sees it.
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// How many messages match in it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub message_count: u64,
    /// The matches (all-conversation search: only when there is exactly one).
    pub message_list: Vec<Message>,
}

/// Reply of `searchCloudMessages`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchReply {
    /// Conversations with matches (all) or matching messages (one conversation).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_count: u64,
    /// Where the next page starts (`''` when finished).
    pub cursor: String,
    /// This page's results, grouped by conversation.
    pub search_result_list: Vec<SearchResult>,
}

impl Op for SearchCloudMessages {
    const NAME: &'static str = "searchCloudMessages";
    type Reply = SearchReply;
}

/// `translateText`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranslateText {
    /// Texts to translate.
    pub source_text_list: Vec<String>,
    /// A language code or `auto`.
    pub source_language: String,
    /// A language code.
    pub target_language: String,
}

/// Reply of `translateText`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TranslateReply {
    /// One translation per source text, same order.
    pub translated_text_list: Vec<String>,
}

impl Op for TranslateText {
    const NAME: &'static str = "translateText";
    type Reply = TranslateReply;
}

/// `convertVoiceToText`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConvertVoiceToText {
    /// An audio message the caller may see.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// Language code, empty for the provider's default.
    #[serde(default)]
    pub language: String,
}

/// Reply of `convertVoiceToText`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VoiceToTextReply {
    /// The recognised text.
    pub result: String,
}

impl Op for ConvertVoiceToText {
    const NAME: &'static str = "convertVoiceToText";
    type Reply = VoiceToTextReply;
}
