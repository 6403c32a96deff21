//! Group administration: profile updates, search, online count, ownership, applications, attributes and counters (issue 6). Wire types.

use crate::wire::{GroupIdArg, GroupReply, Op};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Most attribute keys a group holds (seed).
pub const MAX_ATTR_KEYS: usize = 16;
/// Longest attribute key in bytes (seed).
pub const MAX_ATTR_KEY_BYTES: usize = 32;
/// Longest attribute value in bytes (seed: 4 KB).
pub const MAX_ATTR_VALUE_BYTES: usize = 4096;
/// Largest whole attribute set, keys plus values, in bytes (seed: 16 KB).
pub const MAX_ATTR_TOTAL_BYTES: usize = 16 * 1024;
/// Most counters a group holds (not in the seed; Tencent's documented limit is 20).
pub const MAX_COUNTER_KEYS: usize = 20;
/// Longest counter key in bytes (not in the seed; Tencent's documented limit is 128).
pub const MAX_COUNTER_KEY_BYTES: usize = 128;
/// Longest group name in bytes (seed).
pub const MAX_NAME_BYTES: usize = 100;
/// Longest introduction or notification in bytes (seed).
pub const MAX_TEXT_BYTES: usize = 400;
/// Longest avatar URL in bytes (seed).
pub const MAX_AVATAR_BYTES: usize = 500;
/// Longest handleMessage in bytes (Pigeon's limit, like joinGroup's applyMessage).
pub const MAX_HANDLE_MESSAGE_BYTES: usize = 300;

/// `TYPES.INVITE_OPTIONS_*` values the shared constants module does not name.
pub mod invite_options {
    /// INVITE_OPTIONS_FREE_ACCESS: members invite without approval.
    pub const FREE_ACCESS: &str = "FreeAccess";
    /// INVITE_OPTIONS_NEED_PERMISSION: invitations need owner/admin approval.
    pub const NEED_PERMISSION: &str = "NeedPermission";
}

/// The events of this module (constants.json) and their data.
pub mod event {
    /// GROUP_ATTRIBUTES_UPDATED; data `{groupID, groupAttributes}` (the whole set after the change).
    pub const GROUP_ATTRIBUTES_UPDATED: &str = "groupAttributesUpdated";
    /// GROUP_COUNTER_UPDATED; data `{groupID, key, value}` (the counter's new value), one per key.
    pub const GROUP_COUNTER_UPDATED: &str = "onGroupCounterUpdated";
}

/// `payload.operationType` values of group system notices (`TYPES.MSG_GRP_SYS_NOTICE`).
pub mod notice {
    /// Someone applied to join (to owner and admins).
    pub const APPLY: u32 = 1;
    /// An application was agreed (to the applicant).
    pub const ACCEPTED: u32 = 2;
    /// An application was rejected (to the applicant).
    pub const REFUSED: u32 = 3;
    /// Kicked out of the group (to the kicked).
    pub const KICKED: u32 = 4;
    /// The group was dismissed (to every member).
    pub const DISMISSED: u32 = 5;
    /// The group was created (to the creator).
    pub const CREATED: u32 = 6;
    /// Invited into the group (to the invited).
    pub const INVITED: u32 = 7;
    /// Quit the group (to the one who quit).
    pub const QUIT: u32 = 8;
    /// Made an admin (to the new admin).
    pub const SET_ADMIN: u32 = 9;
    /// No longer an admin (to the former admin).
    pub const CANCELED_ADMIN: u32 = 10;
}

/// `updateGroupProfile`: only the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateGroupProfile {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// New name (1 to 100 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New avatar URL (at most 500 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// New introduction (at most 400 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// New notification (at most 400 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    /// Mute (true) or unmute (false) everyone but the owner and admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute_all_members: Option<bool>,
    /// New `TYPES.JOIN_OPTIONS_*` (Public and Community only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_option: Option<String>,
    /// New `TYPES.INVITE_OPTIONS_*` (not AVChatRoom).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_option: Option<String>,
    /// `[{key, value}]`, merged into the group's custom fields by key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_custom_field: Option<Vec<Value>>,
}
impl Op for UpdateGroupProfile {
    const NAME: &'static str = "updateGroupProfile";
    type Reply = GroupReply;
}

/// `searchGroupByID`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SearchGroupById(pub GroupIdArg);
impl Op for SearchGroupById {
    const NAME: &'static str = "searchGroupByID";
    type Reply = GroupReply;
}

/// `getGroupOnlineMemberCount`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetGroupOnlineMemberCount(pub GroupIdArg);
impl Op for GetGroupOnlineMemberCount {
    const NAME: &'static str = "getGroupOnlineMemberCount";
    type Reply = OnlineMemberCount;
}

/// Reply to [`GetGroupOnlineMemberCount`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OnlineMemberCount {
    /// Members with at least one live session.
    pub member_count: u64,
}

/// `changeGroupOwner`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ChangeGroupOwner {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The member who becomes owner.
    #[serde(rename = "newOwnerID")]
    pub new_owner_id: String,
}
impl Op for ChangeGroupOwner {
    const NAME: &'static str = "changeGroupOwner";
    type Reply = GroupReply;
}

/// `getGroupApplicationList`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetGroupApplicationList {}
impl Op for GetGroupApplicationList {
    const NAME: &'static str = "getGroupApplicationList";
    type Reply = ApplicationList;
}

/// One pending application (seed's `applicationList` item).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupApplication {
    /// Who applied.
    pub applicant: String,
    /// The applicant's nickname ('' when unset).
    pub applicant_nick: String,
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The group's name.
    pub group_name: String,
    /// 0: join application; 2: invitation approval.
    pub application_type: u32,
    /// For invitations, the invited user; '' for join applications.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// The applicant's message.
    pub note: String,
    /// When it was made (unix seconds).
    pub time: u64,
}

/// Reply to [`GetGroupApplicationList`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationList {
    /// Pending applications to groups the caller owns or administers, oldest first.
    pub application_list: Vec<GroupApplication>,
}

/// `handleGroupApplication`, with the application named by group and applicant (the SDK takes
/// them from the `application` item or the system-notice `message`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HandleGroupApplication {
    /// `Agree` or `Reject`.
    pub handle_action: String,
    /// Reply text for the applicant.
    pub handle_message: String,
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Who applied.
    pub applicant: String,
}
impl Op for HandleGroupApplication {
    const NAME: &'static str = "handleGroupApplication";
    type Reply = GroupReply;
}

/// `initGroupAttributes` (replaces the whole set).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InitGroupAttributes {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// `{key: value}`.
    pub group_attributes: BTreeMap<String, String>,
}
impl Op for InitGroupAttributes {
    const NAME: &'static str = "initGroupAttributes";
    type Reply = GroupAttributes;
}

/// `setGroupAttributes` (adds or updates the keys given).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetGroupAttributes {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// `{key: value}`.
    pub group_attributes: BTreeMap<String, String>,
}
impl Op for SetGroupAttributes {
    const NAME: &'static str = "setGroupAttributes";
    type Reply = GroupAttributes;
}

/// `deleteGroupAttributes`; an empty `keyList` deletes all.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteGroupAttributes {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Keys to delete; empty: all.
    pub key_list: Vec<String>,
}
impl Op for DeleteGroupAttributes {
    const NAME: &'static str = "deleteGroupAttributes";
    type Reply = KeyList;
}

/// `getGroupAttributes`; an empty `keyList` gets all.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetGroupAttributes {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Keys to get; empty: all.
    pub key_list: Vec<String>,
}
impl Op for GetGroupAttributes {
    const NAME: &'static str = "getGroupAttributes";
    type Reply = GroupAttributes;
}

/// Reply carrying attributes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupAttributes {
    /// `{key: value}`.
    pub group_attributes: BTreeMap<String, String>,
}

/// Reply of [`DeleteGroupAttributes`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyList {
    /// The keys that were deleted.
    pub key_list: Vec<String>,
}

/// `setGroupCounters`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetGroupCounters {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// `{key: value}`.
    pub counters: BTreeMap<String, i64>,
}
impl Op for SetGroupCounters {
    const NAME: &'static str = "setGroupCounters";
    type Reply = GroupCounters;
}

/// `increaseGroupCounter`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IncreaseGroupCounter {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The counter.
    pub key: String,
    /// How much to add (not negative).
    pub value: i64,
}
impl Op for IncreaseGroupCounter {
    const NAME: &'static str = "increaseGroupCounter";
    type Reply = CounterValue;
}

/// `decreaseGroupCounter`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DecreaseGroupCounter {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The counter.
    pub key: String,
    /// How much to subtract (not negative).
    pub value: i64,
}
impl Op for DecreaseGroupCounter {
    const NAME: &'static str = "decreaseGroupCounter";
    type Reply = CounterValue;
}

/// `getGroupCounters`; no or an empty `keyList` gets all.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetGroupCounters {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Counters to get; empty: all.
    pub key_list: Vec<String>,
}
impl Op for GetGroupCounters {
    const NAME: &'static str = "getGroupCounters";
    type Reply = GroupCounters;
}

/// Reply carrying counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupCounters {
    /// `{key: value}`.
    pub counters: BTreeMap<String, i64>,
}

/// One counter's new value: the reply of increase/decrease and GROUP_COUNTER_UPDATED's data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CounterValue {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The counter.
    pub key: String,
    /// Its value now.
    pub value: i64,
}

/// GROUP_ATTRIBUTES_UPDATED's data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AttributesUpdate {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The whole set after the change.
    pub group_attributes: BTreeMap<String, String>,
}
