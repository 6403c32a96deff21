//! Profile and user status operations (issue 5): their wire types, the `Profile` object of the
//! d.ts, the limits both sides check, and the module's events and error codes.

use crate::wire::Op;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `EVENT.PROFILE_UPDATED`: data is `Profile[]`.
pub const EVENT_PROFILE_UPDATED: &str = "onProfileUpdated";
/// `EVENT.USER_STATUS_UPDATED`: data is `[{userID, statusType, customStatus}]`.
pub const EVENT_USER_STATUS_UPDATED: &str = "onUserStatusUpdated";

/// `TYPES.GENDER_UNKNOWN`.
pub const GENDER_UNKNOWN: &str = "Gender_Type_Unknown";
/// `TYPES.GENDER_FEMALE`.
pub const GENDER_FEMALE: &str = "Gender_Type_Female";
/// `TYPES.GENDER_MALE`.
pub const GENDER_MALE: &str = "Gender_Type_Male";
/// `TYPES.ALLOW_TYPE_ALLOW_ANY`.
pub const ALLOW_TYPE_ALLOW_ANY: &str = "AllowType_Type_AllowAny";
/// `TYPES.ALLOW_TYPE_NEED_CONFIRM` (the default).
pub const ALLOW_TYPE_NEED_CONFIRM: &str = "AllowType_Type_NeedConfirm";
/// `TYPES.ALLOW_TYPE_DENY_ANY`.
pub const ALLOW_TYPE_DENY_ANY: &str = "AllowType_Type_DenyAny";
/// `TYPES.FORBID_TYPE_NONE` (the default).
pub const FORBID_TYPE_NONE: &str = "AdminForbid_Type_None";
/// `TYPES.FORBID_TYPE_SEND_OUT`.
pub const FORBID_TYPE_SEND_OUT: &str = "AdminForbid_Type_SendOut";

/// `TYPES.USER_STATUS_UNKNOWN`.
pub const USER_STATUS_UNKNOWN: u32 = 0;
/// `TYPES.USER_STATUS_ONLINE`: the user has at least one session.
pub const USER_STATUS_ONLINE: u32 = 1;
/// `TYPES.USER_STATUS_OFFLINE`: logged in before, no session now.
pub const USER_STATUS_OFFLINE: u32 = 2;
/// `TYPES.USER_STATUS_UNLOGINED`: never logged in.
pub const USER_STATUS_UNLOGINED: u32 = 3;

/// Longest nick, avatar URL and self signature, in bytes (d.ts).
pub const MAX_TEXT_FIELD_BYTES: usize = 500;
/// Longest location, in bytes (d.ts).
pub const MAX_LOCATION_BYTES: usize = 16;
/// Longest custom profile field value, in bytes.
pub const MAX_CUSTOM_VALUE_BYTES: usize = 500;
/// Longest custom status, in bytes.
pub const MAX_CUSTOM_STATUS_BYTES: usize = 100;
/// Users per `getUserProfile` call; longer lists are cut to this (seed).
pub const MAX_PROFILE_BATCH: usize = 100;
/// Users per `getUserStatus` call (seed).
pub const MAX_STATUS_QUERY: usize = 500;
/// Users per `subscribeUserStatus` / `unsubscribeUserStatus` call (seed).
pub const MAX_SUBSCRIBE_BATCH: usize = 100;
/// Subscriptions one user may hold; past it the earliest are evicted (seed: "a size limit").
pub const MAX_SUBSCRIPTIONS: usize = 200;

/// Error codes of this module (shipped SDK numbers, docs/errors.md).
pub mod code {
    /// `updateMyProfile` with a bad value or an unregistered custom key
    /// (UPDATE_PROFILE_INVALID_PARAM).
    pub const UPDATE_PROFILE_INVALID_PARAM: u32 = 2721;
    /// `updateMyProfile` without any profile field (UPDATE_PROFILE_NO_KEY).
    pub const UPDATE_PROFILE_NO_KEY: u32 = 2722;
}

/// One custom profile field (`profileCustomField` item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    /// A key registered in the server's `profile_custom_fields`.
    pub key: String,
    /// A string or an integer; an empty string removes the field.
    pub value: Value,
}

/// A user's profile (d.ts `Profile`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Nickname.
    pub nick: String,
    /// `TYPES.GENDER_*`.
    pub gender: String,
    /// Birthday, e.g. 20000101.
    pub birthday: u32,
    /// Location (up to 16 bytes).
    pub location: String,
    /// Personal signature.
    pub self_signature: String,
    /// `TYPES.ALLOW_TYPE_*`: how friend requests to this user are handled.
    pub allow_type: String,
    /// Language.
    pub language: u32,
    /// Avatar URL.
    pub avatar: String,
    /// Bit 0 set: do not receive messages.
    pub message_settings: u32,
    /// `TYPES.FORBID_TYPE_*`.
    pub admin_forbid_type: String,
    /// Level.
    pub level: u32,
    /// Role.
    pub role: u32,
    /// When the profile last changed (unix seconds; 0 if never set).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_updated_number: u64,
    /// Custom fields that have a value and are registered on the server.
    pub profile_custom_field: Vec<CustomField>,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            user_id: String::new(),
            nick: String::new(),
            gender: GENDER_UNKNOWN.to_owned(),
            birthday: 0,
            location: String::new(),
            self_signature: String::new(),
            allow_type: ALLOW_TYPE_NEED_CONFIRM.to_owned(),
            language: 0,
            avatar: String::new(),
            message_settings: 0,
            admin_forbid_type: FORBID_TYPE_NONE.to_owned(),
            level: 0,
            role: 0,
            last_updated_number: 0,
            profile_custom_field: Vec::new(),
        }
    }
}

impl Profile {
    /// The profile of a user who never set one.
    pub fn empty(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
            ..Self::default()
        }
    }
}

/// `getMyProfile`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetMyProfile {}

impl Op for GetMyProfile {
    const NAME: &'static str = "getMyProfile";
    type Reply = Profile;
}

/// `getUserProfile({userIDList})`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetUserProfile {
    /// Users to look up (at most [`MAX_PROFILE_BATCH`] are used).
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

impl Op for GetUserProfile {
    const NAME: &'static str = "getUserProfile";
    type Reply = Vec<Profile>;
}

/// `updateMyProfile(options)`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct UpdateMyProfile {
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    /// Avatar URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// `TYPES.GENDER_*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Personal signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_signature: Option<String>,
    /// `TYPES.ALLOW_TYPE_*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_type: Option<String>,
    /// Birthday.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<u32>,
    /// Location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<u32>,
    /// Message settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_settings: Option<u32>,
    /// `TYPES.FORBID_TYPE_*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_forbid_type: Option<String>,
    /// Level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    /// Role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<u32>,
    /// Custom fields to set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_custom_field: Option<Vec<CustomField>>,
}

impl UpdateMyProfile {
    /// Whether no field is given at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl Op for UpdateMyProfile {
    const NAME: &'static str = "updateMyProfile";
    type Reply = Profile;

    /// Type errors are UPDATE_PROFILE_INVALID_PARAM, as the shipped SDK reports them.
    fn parse(data: Value) -> Result<Self, crate::ImError> {
        serde_json::from_value(data).map_err(|e| {
            crate::ImError::new(
                code::UPDATE_PROFILE_INVALID_PARAM,
                format!("updateMyProfile: {e}"),
            )
        })
    }
}

/// One user's status (`getUserStatus` item and `USER_STATUS_UPDATED` item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UserStatus {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// `TYPES.USER_STATUS_*`.
    pub status_type: u32,
    /// Their custom status ('' when none).
    pub custom_status: String,
}

/// A user a batch status call could not handle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "UserStatusFailure"))]
pub struct UserFailure {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Why, as an error code.
    pub code: u32,
    /// Why, for people.
    pub message: String,
}

/// `setSelfStatus({customStatus})`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetSelfStatus {
    /// The new custom status; '' clears it.
    pub custom_status: String,
}

impl Op for SetSelfStatus {
    const NAME: &'static str = "setSelfStatus";
    type Reply = UserStatus;
}

/// `getUserStatus({userIDList})`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetUserStatus {
    /// Users to look up (at most [`MAX_STATUS_QUERY`]).
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

/// What `getUserStatus` resolves with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GetUserStatusReply {
    /// Users found.
    pub success_user_list: Vec<UserStatus>,
    /// Users that could not be looked up (malformed IDs).
    pub failure_user_list: Vec<UserFailure>,
}

impl Op for GetUserStatus {
    const NAME: &'static str = "getUserStatus";
    type Reply = GetUserStatusReply;
}

/// `subscribeUserStatus({userIDList})`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SubscribeUserStatus {
    /// Users to follow the status of (at most [`MAX_SUBSCRIBE_BATCH`]).
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

/// What `subscribeUserStatus` and `unsubscribeUserStatus` resolve with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionReply {
    /// Users that could not be (un)subscribed.
    pub failure_user_list: Vec<UserFailure>,
}

impl Op for SubscribeUserStatus {
    const NAME: &'static str = "subscribeUserStatus";
    type Reply = SubscriptionReply;
}

/// `unsubscribeUserStatus({userIDList})`; no list or an empty one cancels every subscription.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnsubscribeUserStatus {
    /// Users to stop following (at most [`MAX_SUBSCRIBE_BATCH`]).
    #[serde(rename = "userIDList", default)]
    pub user_id_list: Option<Vec<String>>,
}

impl Op for UnsubscribeUserStatus {
    const NAME: &'static str = "unsubscribeUserStatus";
    type Reply = SubscriptionReply;
}
