//! Group members: lists, profiles, adding and removing, mute, roles, name cards, custom fields, marks (issue 6).
//!
//! Thin calls: the options object is checked for types here (2905); every rule (roles, group
//! types, limits) is the server's.

use crate::Chat;
use pigeon_proto::group_members::{
    AddGroupMember, DeleteGroupMember, GetGroupMemberList, GetGroupMemberProfile,
    MarkGroupMemberList, SetGroupMemberCustomField, SetGroupMemberMuteTime, SetGroupMemberNameCard,
    SetGroupMemberRole,
};
use pigeon_proto::wire::Op;
use pigeon_proto::{ImError, Result};
use serde_json::Value;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "getGroupMemberList",
    "getGroupMemberProfile",
    "addGroupMember",
    "deleteGroupMember",
    "setGroupMemberMuteTime",
    "setGroupMemberRole",
    "setGroupMemberNameCard",
    "setGroupMemberCustomField",
    "markGroupMemberList",
];

/// Reads the options object of `method` into its op; wrong types are the caller's mistake.
fn options<O: Op>(method: &str, args: &mut [Value]) -> Result<O> {
    let v = args.get_mut(0).map(Value::take).unwrap_or(Value::Null);
    if !v.is_object() {
        return Err(ImError::invalid(format!(
            "{method} takes an options object, not {v}"
        )));
    }
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{method}: {e}")))
}

impl Chat {
    async fn member_call<O: Op>(&self, method: &str, args: &mut [Value]) -> Result<Value> {
        let op: O = options(method, args)?;
        let conn = self.inner().online()?;
        let reply = conn.call(&op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_group_members(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        let out = match method {
            "getGroupMemberList" => self.member_call::<GetGroupMemberList>(method, args).await,
            "getGroupMemberProfile" => {
                self.member_call::<GetGroupMemberProfile>(method, args)
                    .await
            }
            "addGroupMember" => self.member_call::<AddGroupMember>(method, args).await,
            "deleteGroupMember" => self.member_call::<DeleteGroupMember>(method, args).await,
            "setGroupMemberMuteTime" => {
                self.member_call::<SetGroupMemberMuteTime>(method, args)
                    .await
            }
            "setGroupMemberRole" => self.member_call::<SetGroupMemberRole>(method, args).await,
            "setGroupMemberNameCard" => {
                self.member_call::<SetGroupMemberNameCard>(method, args)
                    .await
            }
            "setGroupMemberCustomField" => {
                self.member_call::<SetGroupMemberCustomField>(method, args)
                    .await
            }
            "markGroupMemberList" => self.member_call::<MarkGroupMemberList>(method, args).await,
            _ => return None,
        };
        Some(out)
    }
}
