//! The group calls needed to chat in one: `createGroup`, `getGroupList`, `getGroupProfile`,
//! `joinGroup`, `quitGroup`, `dismissGroup`.

use crate::Chat;
use pigeon_proto::error::code;
use pigeon_proto::wire::{
    CreateGroup, DismissGroup, GetGroupList, GetGroupProfile, GroupIdArg, JoinGroup, Op, QuitGroup,
};
use pigeon_proto::{ImError, Result};
use serde_json::{json, Value};

fn parse<T: Op>(method: &str, v: Value) -> Result<T> {
    if !v.is_object() {
        return Err(ImError::invalid(format!(
            "{method} takes an options object"
        )));
    }
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{method}: {e}")))
}

fn group_id_arg(method: &str, v: Value) -> Result<GroupIdArg> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(GroupIdArg { group_id: s }),
        _ => Err(ImError::invalid(format!("{method} takes a groupID string"))),
    }
}

impl Chat {
    async fn group_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    /// Implements `createGroup`.
    pub async fn create_group(&self, options: Value) -> Result<Value> {
        let op: CreateGroup = parse("createGroup", options)?;
        if op.name.is_empty() {
            return Err(ImError::invalid("createGroup: name is required"));
        }
        self.group_call(&op).await
    }

    /// Implements `getGroupList`: from the server when connected, else the cache.
    pub async fn get_group_list(&self) -> Result<Value> {
        self.inner().require_login()?;
        if let Some(conn) = self.inner().conn() {
            match conn.call(&GetGroupList {}).await {
                Ok(reply) => return Ok(json!(reply)),
                Err(e) if e.code != code::NETWORK_ERROR && e.code != code::NETWORK_TIMEOUT => {
                    return Err(e);
                }
                Err(_) => {}
            }
        }
        Ok(json!({ "groupList": self.inner().lock_state().groups }))
    }

    /// Implements `getGroupProfile`.
    pub async fn get_group_profile(&self, options: Value) -> Result<Value> {
        let op: GetGroupProfile = parse("getGroupProfile", options)?;
        if op.group_id.is_empty() {
            return Err(ImError::invalid("getGroupProfile: groupID is required"));
        }
        self.group_call(&op).await
    }

    /// Implements `joinGroup`.
    pub async fn join_group(&self, options: Value) -> Result<Value> {
        let op: JoinGroup = parse("joinGroup", options)?;
        if op.group_id.is_empty() {
            return Err(ImError::invalid("joinGroup: groupID is required"));
        }
        self.group_call(&op).await
    }

    /// Implements `quitGroup`.
    pub async fn quit_group(&self, group_id: Value) -> Result<Value> {
        self.group_call(&QuitGroup(group_id_arg("quitGroup", group_id)?))
            .await
    }

    /// Implements `dismissGroup`.
    pub async fn dismiss_group(&self, group_id: Value) -> Result<Value> {
        self.group_call(&DismissGroup(group_id_arg("dismissGroup", group_id)?))
            .await
    }
}
