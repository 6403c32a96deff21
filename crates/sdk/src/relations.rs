//! Friends, friend applications, friend groups and the blacklist. The server does the work and
//! pushes FRIEND_LIST_UPDATED, FRIEND_APPLICATION_LIST_UPDATED, FRIEND_GROUP_LIST_UPDATED and
//! BLACKLIST_UPDATED, each carrying the whole list, to every instance of every user a call
//! touches (the calling instance too). The four list getters keep their last answer in the
//! local cache and return it while offline.

use crate::Chat;
use pigeon_proto::error::code;
use pigeon_proto::relations::{
    AcceptFriendApplication, AddFriend, AddToBlacklist, AddToFriendGroup, CheckFriend,
    CreateFriendGroup, DeleteFriend, DeleteFriendApplication, DeleteFriendGroup, GetBlacklist,
    GetFriendApplicationList, GetFriendGroupList, GetFriendList, GetFriendProfile,
    RefuseFriendApplication, RemoveFromBlacklist, RemoveFromFriendGroup, RenameFriendGroup,
    SetFriendApplicationRead, UpdateFriend,
};
use pigeon_proto::wire::Op;
use pigeon_proto::{ImError, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "getBlacklist",
    "addToBlacklist",
    "removeFromBlacklist",
    "getFriendList",
    "addFriend",
    "deleteFriend",
    "checkFriend",
    "getFriendProfile",
    "updateFriend",
    "getFriendApplicationList",
    "acceptFriendApplication",
    "refuseFriendApplication",
    "deleteFriendApplication",
    "setFriendApplicationRead",
    "getFriendGroupList",
    "createFriendGroup",
    "deleteFriendGroup",
    "addToFriendGroup",
    "removeFromFriendGroup",
    "renameFriendGroup",
];

/// The seed's options object as `T`; anything else is INVALID_OPERATION.
fn options<T: DeserializeOwned>(method: &str, args: &mut [Value]) -> Result<T> {
    let v = args.first_mut().map(Value::take).unwrap_or(Value::Null);
    if !v.is_object() {
        return Err(ImError::invalid(format!(
            "{method} takes an options object"
        )));
    }
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{method}: {e}")))
}

impl Chat {
    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_relations(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        let a = args;
        Some(match method {
            "getBlacklist" => self.cached_list(&GetBlacklist {}).await,
            "addToBlacklist" => self.call_as(method, a, AddToBlacklist).await,
            "removeFromBlacklist" => self.call_as(method, a, RemoveFromBlacklist).await,
            "getFriendList" => self.cached_list(&GetFriendList {}).await,
            "addFriend" => self.call_as(method, a, |o: AddFriend| o).await,
            "deleteFriend" => self.call_as(method, a, |o: DeleteFriend| o).await,
            "checkFriend" => self.call_as(method, a, |o: CheckFriend| o).await,
            "getFriendProfile" => self.call_as(method, a, GetFriendProfile).await,
            "updateFriend" => self.call_as(method, a, |o: UpdateFriend| o).await,
            "getFriendApplicationList" => self.cached_list(&GetFriendApplicationList {}).await,
            "acceptFriendApplication" => {
                self.call_as(method, a, |o: AcceptFriendApplication| o)
                    .await
            }
            "refuseFriendApplication" => self.call_as(method, a, RefuseFriendApplication).await,
            "deleteFriendApplication" => {
                self.call_as(method, a, |o: DeleteFriendApplication| o)
                    .await
            }
            "setFriendApplicationRead" => self.relation_call(&SetFriendApplicationRead {}).await,
            "getFriendGroupList" => self.cached_list(&GetFriendGroupList {}).await,
            "createFriendGroup" => self.call_as(method, a, CreateFriendGroup).await,
            "deleteFriendGroup" => self.call_as(method, a, |o: DeleteFriendGroup| o).await,
            "addToFriendGroup" => self.call_as(method, a, AddToFriendGroup).await,
            "removeFromFriendGroup" => self.call_as(method, a, RemoveFromFriendGroup).await,
            "renameFriendGroup" => self.call_as(method, a, |o: RenameFriendGroup| o).await,
            _ => return None,
        })
    }

    /// Parses the options as `T` and calls the server with `wrap(options)`.
    async fn call_as<T: DeserializeOwned, O: Op>(
        &self,
        method: &str,
        args: &mut [Value],
        wrap: impl FnOnce(T) -> O,
    ) -> Result<Value> {
        let op = wrap(options(method, args)?);
        self.relation_call(&op).await
    }

    async fn relation_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    /// One of the four lists: from the server when connected (and kept in the local cache),
    /// else the cached copy; a network error when there is none.
    async fn cached_list<O: Op>(&self, op: &O) -> Result<Value> {
        let inner = self.inner();
        inner.require_login()?;
        let key = format!("relations.{}", O::NAME);
        let network = match inner.conn() {
            Some(conn) => match conn.call(op).await {
                Ok(reply) => {
                    let v = serde_json::to_value(reply)
                        .map_err(|e| ImError::internal(e.to_string()))?;
                    if let Some(c) = inner.lock_state().cache.as_ref() {
                        if let Err(e) = c.set(&key, &v.to_string()) {
                            tracing::warn!(error = %e, "could not cache {}", O::NAME);
                        }
                    }
                    return Ok(v);
                }
                Err(e) if e.code != code::NETWORK_ERROR && e.code != code::NETWORK_TIMEOUT => {
                    return Err(e)
                }
                Err(e) => e,
            },
            None => crate::conn::network_error("not connected to the server"),
        };
        let cached = inner
            .lock_state()
            .cache
            .as_ref()
            .map(|c| c.get(&key))
            .transpose()?
            .flatten();
        match cached.map(|s| serde_json::from_str::<Value>(&s)) {
            Some(Ok(v)) => Ok(v),
            _ => Err(network),
        }
    }
}
