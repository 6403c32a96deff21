//! Follow operations (issue 5): the wire types of followUser/unfollowUser, the three follow
//! lists, follow counts and follow types, and the follow events' names and data.

use crate::wire::Op;
use serde::{Deserialize, Serialize};

/// Most users one followUser/unfollowUser call takes (seed).
pub const MAX_FOLLOW_BATCH: usize = 20;
/// Most users one user may follow (seed); followers are unlimited.
pub const MAX_FOLLOWING: usize = 5000;
/// Most users one page of a follow list holds (seed), and the default page size.
pub const MAX_PAGE: u32 = 500;
/// Most users one checkFollowType call takes (seed).
pub const MAX_CHECK: usize = 100;
/// Most users one getUserFollowInfo call takes (unstated in the seed; Tencent's REST
/// `follow_get_info` takes 20).
pub const MAX_INFO: usize = 20;
/// checkFollowType calls allowed per user within [`CHECK_WINDOW_SECS`] (seed).
pub const CHECK_RATE: usize = 20;
/// The checkFollowType rate-limit window, in seconds (seed).
pub const CHECK_WINDOW_SECS: u64 = 5;

/// `followType` values of checkFollowType (seed: 0 none, 1 follower, 2 following, 3 mutual).
pub mod follow_type {
    /// No relation.
    pub const NONE: u8 = 0;
    /// They follow me.
    pub const FOLLOWER: u8 = 1;
    /// I follow them.
    pub const FOLLOWING: u8 = 2;
    /// Both.
    pub const MUTUAL: u8 = FOLLOWER | FOLLOWING;
}

/// Codes of this module beyond the shared table.
pub mod code {
    /// followUser would take the caller over [`super::MAX_FOLLOWING`] followings (Tencent's
    /// "relation list full" code).
    pub const FOLLOWING_LIMIT: u32 = 30010;
}

/// The follow events (constants.json) and their data.
pub mod event {
    /// MY_FOLLOWERS_LIST_UPDATED: users started or stopped following me.
    pub const MY_FOLLOWERS_LIST_UPDATED: &str = "onMyFollowersListUpdated";
    /// MY_FOLLOWING_LIST_UPDATED: I started or stopped following users (any of my instances).
    pub const MY_FOLLOWING_LIST_UPDATED: &str = "onMyFollowingListUpdated";
    /// MUTUAL_FOLLOWERS_LIST_UPDATED: a follow became or stopped being mutual.
    pub const MUTUAL_FOLLOWERS_LIST_UPDATED: &str = "onMutualFollowersListUpdated";
}

/// A user in a follow list or follow event (profile fields as in the d.ts `Profile`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FollowUser {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Nickname ('' when unset).
    pub nick: String,
    /// Avatar URL ('' when unset).
    pub avatar: String,
}

/// `event.data` of the three follow events: who was added to or removed from the list
/// (the native SDKs' `(userInfoList, isAdd)` listener arguments as one object).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FollowListUpdate {
    /// The users that joined or left the list.
    pub user_info_list: Vec<FollowUser>,
    /// true: they joined the list; false: they left it.
    pub is_add: bool,
}

/// The outcome for one user of followUser/unfollowUser.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FollowResult {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// 0: done (also when it already was so).
    pub result_code: u32,
    /// '' on success.
    pub result_info: String,
}

/// Follows users (`followUser`): 1 to [`MAX_FOLLOW_BATCH`] others, all or nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FollowUsers {
    /// Users to follow.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}
impl Op for FollowUsers {
    const NAME: &'static str = "followUser";
    type Reply = Vec<FollowResult>;
}

/// Unfollows users (`unfollowUser`): 1 to [`MAX_FOLLOW_BATCH`], all or nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UnfollowUsers {
    /// Users to unfollow.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}
impl Op for UnfollowUsers {
    const NAME: &'static str = "unfollowUser";
    type Reply = Vec<FollowResult>;
}

/// Which follow list a [`GetFollowList`] reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FollowList {
    /// Users following me.
    #[default]
    Followers,
    /// Users I follow.
    Following,
    /// Users I follow who follow me.
    Mutual,
}

/// Reads one page of a follow list, newest follow first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetFollowList {
    /// The list.
    pub list: FollowList,
    /// '' for the first page, else a previous page's `nextCursor`.
    pub next_cursor: String,
    /// Page size, 1 to [`MAX_PAGE`]; 0 means [`MAX_PAGE`] (a Pigeon extension).
    pub count: u32,
}

/// One page of a follow list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FollowPage {
    /// The users of this page.
    pub result_list: Vec<FollowUser>,
    /// Where the next page starts; '' when this is the last.
    pub next_cursor: String,
}
impl Op for GetFollowList {
    const NAME: &'static str = "getFollowList";
    type Reply = FollowPage;
}

/// Follow counts of one user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FollowInfo {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// How many users they follow.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub following_count: u64,
    /// How many users follow them.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub followers_count: u64,
    /// How many of those are mutual.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub mutual_followers_count: u64,
}

/// Gets follow counts (`getUserFollowInfo`); an empty list means the caller's own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetUserFollowInfo {
    /// Users, at most [`MAX_INFO`]; empty for oneself.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}
impl Op for GetUserFollowInfo {
    const NAME: &'static str = "getUserFollowInfo";
    type Reply = Vec<FollowInfo>;
}

/// The follow relation between the caller and one user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FollowTypeResult {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// One of [`follow_type`].
    pub follow_type: u8,
}

/// Checks follow relations (`checkFollowType`): 1 to [`MAX_CHECK`] users, rate-limited.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckFollowType {
    /// Users to check.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}
impl Op for CheckFollowType {
    const NAME: &'static str = "checkFollowType";
    type Reply = Vec<FollowTypeResult>;
}
