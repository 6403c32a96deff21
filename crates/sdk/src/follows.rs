//! Follows (issue 5): `followUser`, `unfollowUser`, `getMyFollowersList`, `getMyFollowingList`,
//! `getMutualFollowersList`, `getUserFollowInfo`, `checkFollowType`. The server owns follow
//! state and pushes the follow events whole, so these are thin calls: argument types are
//! checked here (2905), everything else (limits, self, rate limit) by the server.

use crate::Chat;
use pigeon_proto::follows::{
    CheckFollowType, FollowList, FollowUsers, GetFollowList, GetUserFollowInfo, UnfollowUsers,
};
use pigeon_proto::wire::Op;
use pigeon_proto::{ImError, Result};
use serde_json::Value;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "followUser",
    "unfollowUser",
    "getMyFollowersList",
    "getMyFollowingList",
    "getMutualFollowersList",
    "getUserFollowInfo",
    "checkFollowType",
];

fn arg(args: &mut [Value], i: usize) -> Value {
    args.get_mut(i).map(Value::take).unwrap_or(Value::Null)
}

/// A `userIDList` argument: an array of strings (`optional`: null/absent means empty).
fn id_list(method: &str, v: Value, optional: bool) -> Result<Vec<String>> {
    match v {
        Value::Null if optional => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                other => Err(ImError::invalid(format!(
                    "{method}: userIDList holds strings, not {other}"
                ))),
            })
            .collect(),
        other => Err(ImError::invalid(format!(
            "{method} takes a userIDList array, not {other}"
        ))),
    }
}

/// The paging arguments of the list methods: `nextCursor` (String, '' or absent for the first
/// page) and Pigeon's optional page size `count` (1 to 500, default 500).
fn paging(method: &str, cursor: Value, count: Value) -> Result<(String, u32)> {
    let cursor = match cursor {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => {
            return Err(ImError::invalid(format!(
                "{method}: nextCursor is a string, not {other}"
            )))
        }
    };
    let count = match count {
        Value::Null => 0,
        Value::Number(n) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n > 0 => n,
            _ => {
                return Err(ImError::invalid(format!(
                    "{method}: count is a positive integer, not {n}"
                )))
            }
        },
        other => {
            return Err(ImError::invalid(format!(
                "{method}: count is a number, not {other}"
            )))
        }
    };
    Ok((cursor, count))
}

impl Chat {
    async fn follow_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    async fn follow_list(
        &self,
        method: &str,
        list: FollowList,
        args: &mut [Value],
    ) -> Result<Value> {
        let (next_cursor, count) = paging(method, arg(args, 0), arg(args, 1))?;
        self.follow_call(&GetFollowList {
            list,
            next_cursor,
            count,
        })
        .await
    }

    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_follows(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        let out = match method {
            "followUser" => match id_list(method, arg(args, 0), false) {
                Ok(user_id_list) => self.follow_call(&FollowUsers { user_id_list }).await,
                Err(e) => Err(e),
            },
            "unfollowUser" => match id_list(method, arg(args, 0), false) {
                Ok(user_id_list) => self.follow_call(&UnfollowUsers { user_id_list }).await,
                Err(e) => Err(e),
            },
            "getMyFollowersList" => self.follow_list(method, FollowList::Followers, args).await,
            "getMyFollowingList" => self.follow_list(method, FollowList::Following, args).await,
            "getMutualFollowersList" => self.follow_list(method, FollowList::Mutual, args).await,
            "getUserFollowInfo" => match id_list(method, arg(args, 0), true) {
                Ok(user_id_list) => self.follow_call(&GetUserFollowInfo { user_id_list }).await,
                Err(e) => Err(e),
            },
            "checkFollowType" => match id_list(method, arg(args, 0), false) {
                Ok(user_id_list) => self.follow_call(&CheckFollowType { user_id_list }).await,
                Err(e) => Err(e),
            },
            _ => return None,
        };
        Some(out)
    }
}
