//! Communities and topics (issue 6). Wire types.

use crate::wire::{GroupListReply, Op};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What separates a community's ID from a topic's own part in a topic ID (seed).
pub const TOPIC_ID_MARK: &str = "@TOPIC#_";
/// Longest topic name in bytes (like a group name).
pub const MAX_TOPIC_NAME_BYTES: usize = 100;
/// Longest topic introduction or notification in bytes (like a group's).
pub const MAX_TOPIC_TEXT_BYTES: usize = 400;
/// Longest topic avatar URL in bytes (like a group's).
pub const MAX_TOPIC_AVATAR_BYTES: usize = 500;
/// Longest topic customData in bytes (Pigeon's limit).
pub const MAX_TOPIC_CUSTOM_DATA_BYTES: usize = 4096;
/// Longest custom part of a topic ID in bytes (like a custom group ID).
pub const MAX_TOPIC_SUFFIX_BYTES: usize = 48;

/// The events of this module (constants.json) and their data.
pub mod event {
    /// TOPIC_CREATED; data `{groupID, topicID}`.
    pub const TOPIC_CREATED: &str = "onTopicCreated";
    /// TOPIC_DELETED; data `{groupID, topicIDList}`.
    pub const TOPIC_DELETED: &str = "onTopicDeleted";
    /// TOPIC_UPDATED; data `{groupID, topic}` (the topic as the receiver sees it).
    pub const TOPIC_UPDATED: &str = "onTopicUpdated";
}

/// A topic as a user sees it (d.ts `Topic`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Topic {
    /// topicID (`<communityID>@TOPIC#_...`).
    #[serde(rename = "topicID")]
    pub topic_id: String,
    /// Name.
    pub topic_name: String,
    /// Avatar URL.
    pub avatar: String,
    /// Introduction.
    pub introduction: String,
    /// Notification.
    pub notification: String,
    /// The user's unread messages in conversation `GROUP<topicID>`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unread_count: u64,
    /// Everyone but the community's owner and admins is muted in the topic.
    pub mute_all_members: bool,
    /// Custom data.
    pub custom_data: String,
    /// The user's unread @-mentions in the topic.
    pub group_at_info_list: Vec<Value>,
    /// The topic's last message as the user sees it (null when none).
    pub last_message: Value,
    /// The user's own settings in the topic (`{messageRemindType}`).
    pub self_info: Value,
}

/// `getJoinedCommunityList`: no options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetJoinedCommunityList {}
impl Op for GetJoinedCommunityList {
    const NAME: &'static str = "getJoinedCommunityList";
    type Reply = GroupListReply;
}

/// `createTopicInCommunity`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateTopicInCommunity {
    /// The community.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Name (1 to 100 bytes).
    pub topic_name: String,
    /// Custom topic ID: the community ID + `@TOPIC#_` + a custom part.
    #[serde(rename = "topicID", skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
    /// Avatar URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    /// Introduction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// Custom data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
}

/// Reply to [`CreateTopicInCommunity`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TopicIdReply {
    /// The new topic's ID.
    #[serde(rename = "topicID")]
    pub topic_id: String,
}
impl Op for CreateTopicInCommunity {
    const NAME: &'static str = "createTopicInCommunity";
    type Reply = TopicIdReply;
}

/// `deleteTopicFromCommunity`: the listed topics, or all when `topicIDList` is absent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteTopicFromCommunity {
    /// The community.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Topics to delete; None = all.
    #[serde(rename = "topicIDList", skip_serializing_if = "Option::is_none")]
    pub topic_id_list: Option<Vec<String>>,
}
impl Op for DeleteTopicFromCommunity {
    const NAME: &'static str = "deleteTopicFromCommunity";
    type Reply = TopicResults;
}

/// `getTopicList`: the listed topics, or all when `topicIDList` is absent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetTopicList {
    /// The community.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Topics to get; None = all.
    #[serde(rename = "topicIDList", skip_serializing_if = "Option::is_none")]
    pub topic_id_list: Option<Vec<String>>,
}
impl Op for GetTopicList {
    const NAME: &'static str = "getTopicList";
    type Reply = TopicResults;
}

/// One topic a list operation could not handle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TopicFailure {
    /// The topic.
    #[serde(rename = "topicID")]
    pub topic_id: String,
    /// Why, as an error code.
    pub code: u32,
    /// Why, for people.
    pub message: String,
}

/// Reply of the list operations: `{successTopicList, failureTopicList}`. Success items are
/// `{topicID}` for deletions and whole [`Topic`]s for `getTopicList`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct TopicResults {
    /// Topics handled.
    pub success_topic_list: Vec<Value>,
    /// Topics not handled, with the reason.
    pub failure_topic_list: Vec<TopicFailure>,
}

/// `updateTopicProfile`: only the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateTopicProfile {
    /// The community.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The topic.
    #[serde(rename = "topicID")]
    pub topic_id: String,
    /// New name (1 to 100 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<String>,
    /// New avatar URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// New notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    /// New introduction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// New custom data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
    /// Mute (true) or unmute (false) everyone but the community's owner and admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute_all_members: Option<bool>,
}

/// Reply to [`UpdateTopicProfile`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TopicReply {
    /// The topic after the change.
    pub topic: Topic,
}
impl Op for UpdateTopicProfile {
    const NAME: &'static str = "updateTopicProfile";
    type Reply = TopicReply;
}
