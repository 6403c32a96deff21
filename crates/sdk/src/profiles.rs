//! Profiles and user status: `getMyProfile`, `getUserProfile`, `updateMyProfile`,
//! `setSelfStatus`, `getUserStatus`, `subscribeUserStatus`, `unsubscribeUserStatus`. The server
//! pushes PROFILE_UPDATED and USER_STATUS_UPDATED to other instances and subscribers; the
//! calling instance emits its own after a successful update, as the seed says.

use crate::Chat;
use pigeon_proto::profiles::{
    GetMyProfile, GetUserProfile, GetUserStatus, SetSelfStatus, SubscribeUserStatus,
    UnsubscribeUserStatus, UpdateMyProfile, EVENT_PROFILE_UPDATED, EVENT_USER_STATUS_UPDATED,
};
use pigeon_proto::wire::Op;
use pigeon_proto::{ImError, Result};
use serde_json::{json, Value};

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "getMyProfile",
    "getUserProfile",
    "updateMyProfile",
    "setSelfStatus",
    "getUserStatus",
    "subscribeUserStatus",
    "unsubscribeUserStatus",
];

fn arg(args: &mut [Value], i: usize) -> Value {
    args.get_mut(i).map(Value::take).unwrap_or(Value::Null)
}

/// `options.userIDList` as strings; `required` says whether it may be missing.
fn user_id_list(method: &str, options: &Value, required: bool) -> Result<Option<Vec<String>>> {
    // Only a method whose options are optional accepts none at all.
    let absent_ok = options.is_null() && !required;
    if !options.is_object() && !absent_ok {
        return Err(ImError::invalid(format!(
            "{method} takes an options object"
        )));
    }
    match options.get("userIDList") {
        None | Some(Value::Null) if !required => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    ImError::invalid(format!("{method}: userIDList takes userID strings"))
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        _ => Err(ImError::invalid(format!(
            "{method}: userIDList must be an array of userIDs"
        ))),
    }
}

impl Chat {
    async fn profile_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    /// Implements `getMyProfile`: resolves with the user's Profile.
    pub async fn get_my_profile(&self) -> Result<Value> {
        self.profile_call(&GetMyProfile {}).await
    }

    /// Implements `getUserProfile({userIDList})`: resolves with Profile[] (the first 100).
    pub async fn get_user_profile(&self, options: Value) -> Result<Value> {
        let list = user_id_list("getUserProfile", &options, true)?.unwrap_or_default();
        self.profile_call(&GetUserProfile { user_id_list: list })
            .await
    }

    /// Implements `updateMyProfile(options)`: resolves with the new Profile and emits
    /// PROFILE_UPDATED here (other instances get it from the server).
    pub async fn update_my_profile(&self, options: Value) -> Result<Value> {
        if !options.is_object() {
            return Err(ImError::invalid("updateMyProfile takes an options object"));
        }
        let op = UpdateMyProfile::parse(options)?;
        let profile = self.profile_call(&op).await?;
        self.inner()
            .emit(EVENT_PROFILE_UPDATED, json!([profile.clone()]));
        Ok(profile)
    }

    /// Implements `setSelfStatus({customStatus})`: resolves with `{userID, statusType,
    /// customStatus}` and emits USER_STATUS_UPDATED here.
    pub async fn set_self_status(&self, options: Value) -> Result<Value> {
        let Some(custom_status) = options.get("customStatus").and_then(Value::as_str) else {
            return Err(ImError::invalid(
                "setSelfStatus: customStatus (a string) is required",
            ));
        };
        let op = SetSelfStatus {
            custom_status: custom_status.to_owned(),
        };
        let status = self.profile_call(&op).await?;
        self.inner()
            .emit(EVENT_USER_STATUS_UPDATED, json!([status.clone()]));
        Ok(status)
    }

    /// Implements `getUserStatus({userIDList})`: `{successUserList, failureUserList}`.
    pub async fn get_user_status(&self, options: Value) -> Result<Value> {
        let list = user_id_list("getUserStatus", &options, true)?.unwrap_or_default();
        self.profile_call(&GetUserStatus { user_id_list: list })
            .await
    }

    /// Implements `subscribeUserStatus({userIDList})`: `{failureUserList}`.
    pub async fn subscribe_user_status(&self, options: Value) -> Result<Value> {
        let list = user_id_list("subscribeUserStatus", &options, true)?.unwrap_or_default();
        self.profile_call(&SubscribeUserStatus { user_id_list: list })
            .await
    }

    /// Implements `unsubscribeUserStatus(options?)`: no options or an empty list cancels
    /// every subscription; `{failureUserList}`.
    pub async fn unsubscribe_user_status(&self, options: Value) -> Result<Value> {
        let list = user_id_list("unsubscribeUserStatus", &options, false)?;
        self.profile_call(&UnsubscribeUserStatus { user_id_list: list })
            .await
    }

    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_profiles(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        if !METHODS.contains(&method) {
            // Leave the arguments untouched for the next module.
            return None;
        }
        let a = arg(args, 0);
        Some(match method {
            "getMyProfile" => self.get_my_profile().await,
            "getUserProfile" => self.get_user_profile(a).await,
            "updateMyProfile" => self.update_my_profile(a).await,
            "setSelfStatus" => self.set_self_status(a).await,
            "getUserStatus" => self.get_user_status(a).await,
            "subscribeUserStatus" => self.subscribe_user_status(a).await,
            "unsubscribeUserStatus" => self.unsubscribe_user_status(a).await,
            _ => return None,
        })
    }
}
