//! Group members: lists, profiles, adding and removing, mute, roles, name cards, custom fields, marks (issue 6). Wire types.

use crate::model::Group;
use crate::wire::Op;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Default page size of getGroupMemberList (seed).
pub const DEFAULT_PAGE: u32 = 15;
/// Largest page of getGroupMemberList; larger counts are capped (seed).
pub const MAX_PAGE: u32 = 100;
/// AVChatRoom lists: at most this many of the most recent joiners (seed).
pub const AV_LIST_WINDOW: usize = 1000;
/// AVChatRoom lists: members per call, whatever `count` says (seed).
pub const AV_PAGE: usize = 500;
/// Users one getGroupMemberProfile call reads; extra entries are dropped (seed).
pub const MAX_PROFILE_BATCH: usize = 50;
/// Users one addGroupMember / deleteGroupMember call takes (seed).
pub const MAX_CHANGE_BATCH: usize = 20;
/// Users one markGroupMemberList call takes (seed).
pub const MAX_MARK_BATCH: usize = 500;
/// Smallest custom mark value (seed).
pub const MIN_MARK: u64 = 1000;
/// Distinct marks one AVChatRoom may use (seed).
pub const MAX_MARKS_PER_GROUP: usize = 10;
/// Longest name card, in bytes (Tencent's NameCard limit).
pub const MAX_NAME_CARD: usize = 50;
/// Longest member custom field key, in bytes (Tencent's limit).
pub const MAX_FIELD_KEY: usize = 16;
/// Longest member custom field value, in bytes (Tencent's limit).
pub const MAX_FIELD_VALUE: usize = 64;
/// Distinct member custom field keys one member may hold (Tencent allows 5 per app).
pub const MAX_FIELDS: usize = 5;
/// Longest kick reason, in bytes.
pub const MAX_REASON: usize = 200;
/// Longest mute or ban, in seconds (a u32 of seconds, as Tencent's API takes).
pub const MAX_MUTE_SECS: u64 = u32::MAX as u64;

/// Codes of this module beyond the shared table.
pub mod code {
    /// The sender is muted, or the group is muted for everyone but owner and admins (seed's
    /// server code for sending while muted).
    pub const MUTED: u32 = 10017;
    /// addGroupMember with a userID that is not a valid account (seed).
    pub const INVALID_ACCOUNT: u32 = 10019;
    /// A target user is not a member of the group (MEMBER_NOT_IN_GRP).
    pub const MEMBER_NOT_IN_GROUP: u32 = 2623;
    /// addGroupMember on an AVChatRoom (CANNOT_ADD_MEMBER_IN_AV).
    pub const CANNOT_ADD_MEMBER_IN_AV: u32 = 2661;
    /// setGroupMemberRole on a Work group or AVChatRoom (seed).
    pub const ROLE_NOT_SUPPORTED: u32 = 2682;
    /// A role that is not Admin or Member (Custom in communities) (INVALID_MEMBER_ROLE).
    pub const INVALID_MEMBER_ROLE: u32 = 2683;
    /// The owner changing their own role (CANNOT_SET_SELF_MEMBER_ROLE).
    pub const CANNOT_SET_SELF_MEMBER_ROLE: u32 = 2684;
    /// Muting oneself (CANNOT_MUTE_SELF).
    pub const CANNOT_MUTE_SELF: u32 = 2685;
    /// A kick `duration` that is negative or too long (BAN_DURATION_INVALID).
    pub const BAN_DURATION_INVALID: u32 = 2686;
    /// Member profiles, name cards or custom fields in an AVChatRoom (seed).
    pub const NOT_SUPPORTED_IN_AV: u32 = 2687;
}

/// One member custom field (`{key, value}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct MemberCustomField {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A group member (d.ts `GroupMember`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct GroupMember {
    /// The member.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Avatar URL from their profile.
    pub avatar: String,
    /// Nickname from their profile.
    pub nick: String,
    /// `TYPES.GRP_MBR_ROLE_*`.
    pub role: String,
    /// Joined at (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub join_time: u64,
    /// Name card in this group.
    pub name_card: String,
    /// Muted until (unix seconds); 0 or past means not muted.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub mute_until: u64,
    /// `[{key, value}]`.
    pub member_custom_field: Vec<MemberCustomField>,
}

/// `getGroupMemberList`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetGroupMemberList {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Only members with this role (all when absent).
    pub role: Option<String>,
    /// Page size: default 15, capped at 100.
    pub count: Option<u32>,
    /// Where to start: a number, or a numeric string (Community).
    pub offset: Value,
    /// AVChatRoom only: members with this mark.
    pub filter: Option<u64>,
}
impl Op for GetGroupMemberList {
    const NAME: &'static str = "getGroupMemberList";
    type Reply = GroupMemberListReply;
}

/// Reply of [`GetGroupMemberList`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct GroupMemberListReply {
    /// This page.
    pub member_list: Vec<GroupMember>,
    /// Where the next page starts; 0 (`"0"` in a Community) when all were fetched.
    pub offset: Value,
}

/// `getGroupMemberProfile`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetGroupMemberProfile {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Members to read (the first 50 count).
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    /// Custom field keys to return (all when absent).
    pub member_custom_field_filter: Option<Vec<String>>,
}
impl Op for GetGroupMemberProfile {
    const NAME: &'static str = "getGroupMemberProfile";
    type Reply = MemberListReply;
}

/// Reply of [`GetGroupMemberProfile`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct MemberListReply {
    /// The members found (users not in the group are left out).
    pub member_list: Vec<GroupMember>,
}

/// `addGroupMember`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddGroupMember {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Users to add, 1 to 20.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}
impl Op for AddGroupMember {
    const NAME: &'static str = "addGroupMember";
    type Reply = AddGroupMemberReply;
}

/// Reply of [`AddGroupMember`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct AddGroupMemberReply {
    /// Added.
    #[serde(rename = "successUserIDList")]
    pub success_user_id_list: Vec<String>,
    /// Not added.
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<String>,
    /// Already members.
    #[serde(rename = "existedUserIDList")]
    pub existed_user_id_list: Vec<String>,
    /// At their joined-groups limit (Pigeon sets none, so always empty).
    #[serde(rename = "overLimitUserIDList")]
    pub over_limit_user_id_list: Vec<String>,
    /// Pigeon: invited by a member where invitations need approval; they wait in the
    /// group's application list for the owner or an admin.
    #[serde(rename = "pendingUserIDList")]
    pub pending_user_id_list: Vec<String>,
    /// The group afterwards.
    pub group: Group,
}

/// `deleteGroupMember`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteGroupMember {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Members to remove, 1 to 20.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    /// Why.
    pub reason: String,
    /// AVChatRoom only: seconds the removed users may not rejoin.
    pub duration: Option<u64>,
}
impl Op for DeleteGroupMember {
    const NAME: &'static str = "deleteGroupMember";
    type Reply = DeleteGroupMemberReply;
}

/// Reply of [`DeleteGroupMember`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteGroupMemberReply {
    /// The group afterwards.
    pub group: Group,
    /// Who was removed.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

/// `setGroupMemberMuteTime`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetGroupMemberMuteTime {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The member.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Seconds from now; 0 unmutes.
    pub mute_time: u64,
}
impl Op for SetGroupMemberMuteTime {
    const NAME: &'static str = "setGroupMemberMuteTime";
    type Reply = GroupMemberReply;
}

/// Reply of the single-member setters: the group and the member afterwards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct GroupMemberReply {
    /// The group.
    pub group: Group,
    /// The member.
    pub member: GroupMember,
}

/// `setGroupMemberRole`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetGroupMemberRole {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The member.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// `Admin`, `Member` (or `Custom` in a Community).
    pub role: String,
}
impl Op for SetGroupMemberRole {
    const NAME: &'static str = "setGroupMemberRole";
    type Reply = GroupMemberReply;
}

/// `setGroupMemberNameCard`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetGroupMemberNameCard {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The member (the caller when absent).
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    /// The new name card ('' clears it).
    pub name_card: String,
}
impl Op for SetGroupMemberNameCard {
    const NAME: &'static str = "setGroupMemberNameCard";
    type Reply = GroupMemberReply;
}

/// `setGroupMemberCustomField`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetGroupMemberCustomField {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// The member (the caller when absent).
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    /// Fields to set; other keys keep their values.
    pub member_custom_field: Vec<MemberCustomField>,
}
impl Op for SetGroupMemberCustomField {
    const NAME: &'static str = "setGroupMemberCustomField";
    type Reply = GroupMemberReply;
}

/// `markGroupMemberList` (AVChatRoom only).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MarkGroupMemberList {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Members to mark, 1 to 500.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    /// The mark, at least 1000.
    pub mark_type: u64,
    /// true adds the mark, false removes it.
    pub enable_mark: bool,
}
impl Op for MarkGroupMemberList {
    const NAME: &'static str = "markGroupMemberList";
    type Reply = MarkGroupMemberListReply;
}

/// Reply of [`MarkGroupMemberList`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct MarkGroupMemberListReply {
    /// Marked (or unmarked).
    #[serde(rename = "successUserIDList")]
    pub success_user_id_list: Vec<String>,
    /// Not members of the group.
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<String>,
}
