//! Group administration: profile updates, search, online count, ownership, applications, attributes and counters (issue 6).
//!
//! Thin calls: argument types are checked here (2905); permissions, limits and events are the
//! server's (it emits GROUP_ATTRIBUTES_UPDATED / GROUP_COUNTER_UPDATED whole).

use crate::Chat;
use pigeon_proto::group_admin::{
    ChangeGroupOwner, DecreaseGroupCounter, DeleteGroupAttributes, GetGroupApplicationList,
    GetGroupAttributes, GetGroupCounters, GetGroupOnlineMemberCount, HandleGroupApplication,
    IncreaseGroupCounter, InitGroupAttributes, SearchGroupById, SetGroupAttributes,
    SetGroupCounters, UpdateGroupProfile,
};
use pigeon_proto::wire::{GroupIdArg, Op};
use pigeon_proto::{ImError, Result};
use serde_json::Value;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "updateGroupProfile",
    "searchGroupByID",
    "getGroupOnlineMemberCount",
    "changeGroupOwner",
    "getGroupApplicationList",
    "handleGroupApplication",
    "initGroupAttributes",
    "setGroupAttributes",
    "deleteGroupAttributes",
    "getGroupAttributes",
    "setGroupCounters",
    "increaseGroupCounter",
    "decreaseGroupCounter",
    "getGroupCounters",
];

fn arg(args: &mut [Value], i: usize) -> Value {
    args.get_mut(i).map(Value::take).unwrap_or(Value::Null)
}

/// An options object parsed into the op, with a groupID (when the op has one) required.
fn options<T: Op>(method: &str, v: Value) -> Result<T> {
    if !v.is_object() {
        return Err(ImError::invalid(format!(
            "{method} takes an options object"
        )));
    }
    if v.get("groupID").is_some_and(|g| !g.is_string()) {
        return Err(ImError::invalid(format!("{method}: groupID is a string")));
    }
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{method}: {e}")))
}

fn require_group(method: &str, group_id: &str) -> Result<()> {
    if group_id.is_empty() {
        return Err(ImError::invalid(format!("{method}: groupID is required")));
    }
    Ok(())
}

fn group_id_arg(method: &str, v: Value) -> Result<GroupIdArg> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(GroupIdArg { group_id: s }),
        _ => Err(ImError::invalid(format!("{method} takes a groupID string"))),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

/// handleGroupApplication's options, with the application named by `application` (a
/// getGroupApplicationList item) or `message` (the application's system notice).
fn handle_options(v: Value) -> Result<HandleGroupApplication> {
    const M: &str = "handleGroupApplication";
    if !v.is_object() {
        return Err(ImError::invalid(format!("{M} takes an options object")));
    }
    let handle_action = match v.get("handleAction") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(ImError::invalid(format!("{M}: handleAction is required"))),
    };
    let handle_message = match v.get("handleMessage") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ImError::invalid(format!("{M}: handleMessage is a string"))),
    };
    let (group_id, applicant) = if let Some(a) = v.get("application").filter(|a| !a.is_null()) {
        (str_at(a, &["groupID"]), str_at(a, &["applicant"]))
    } else if let Some(m) = v.get("message").filter(|m| !m.is_null()) {
        (
            str_at(m, &["payload", "groupProfile", "groupID"]),
            str_at(m, &["payload", "operatorID"]),
        )
    } else {
        return Err(ImError::invalid(format!(
            "{M}: pass the application (or its system notice message)"
        )));
    };
    match (group_id, applicant) {
        (Some(g), Some(a)) if !g.is_empty() && !a.is_empty() => Ok(HandleGroupApplication {
            handle_action,
            handle_message,
            group_id: g.to_owned(),
            applicant: a.to_owned(),
        }),
        _ => Err(ImError::invalid(format!(
            "{M}: the application names no groupID and applicant"
        ))),
    }
}

impl Chat {
    async fn admin_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    async fn admin_options<O: Op>(
        &self,
        method: &str,
        v: Value,
        group_id: impl Fn(&O) -> &str,
    ) -> Result<Value> {
        let op: O = options(method, v)?;
        require_group(method, group_id(&op))?;
        self.admin_call(&op).await
    }

    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_group_admin(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        if !METHODS.contains(&method) {
            return None;
        }
        // Every method here takes at most one argument.
        let a0 = arg(args, 0);
        let out = match method {
            "updateGroupProfile" => {
                self.admin_options(method, a0, |o: &UpdateGroupProfile| &o.group_id)
                    .await
            }
            "searchGroupByID" => match group_id_arg(method, a0) {
                Ok(g) => self.admin_call(&SearchGroupById(g)).await,
                Err(e) => Err(e),
            },
            "getGroupOnlineMemberCount" => match group_id_arg(method, a0) {
                Ok(g) => self.admin_call(&GetGroupOnlineMemberCount(g)).await,
                Err(e) => Err(e),
            },
            "changeGroupOwner" => match options::<ChangeGroupOwner>(method, a0) {
                Ok(op) if op.group_id.is_empty() || op.new_owner_id.is_empty() => Err(
                    ImError::invalid("changeGroupOwner: groupID and newOwnerID are required"),
                ),
                Ok(op) => self.admin_call(&op).await,
                Err(e) => Err(e),
            },
            "getGroupApplicationList" => self.admin_call(&GetGroupApplicationList {}).await,
            "handleGroupApplication" => match handle_options(a0) {
                Ok(op) => self.admin_call(&op).await,
                Err(e) => Err(e),
            },
            "initGroupAttributes" => {
                self.admin_options(method, a0, |o: &InitGroupAttributes| &o.group_id)
                    .await
            }
            "setGroupAttributes" => {
                self.admin_options(method, a0, |o: &SetGroupAttributes| &o.group_id)
                    .await
            }
            "deleteGroupAttributes" => {
                self.admin_options(method, a0, |o: &DeleteGroupAttributes| &o.group_id)
                    .await
            }
            "getGroupAttributes" => {
                self.admin_options(method, a0, |o: &GetGroupAttributes| &o.group_id)
                    .await
            }
            "setGroupCounters" => {
                self.admin_options(method, a0, |o: &SetGroupCounters| &o.group_id)
                    .await
            }
            "increaseGroupCounter" => {
                self.admin_options(method, a0, |o: &IncreaseGroupCounter| &o.group_id)
                    .await
            }
            "decreaseGroupCounter" => {
                self.admin_options(method, a0, |o: &DecreaseGroupCounter| &o.group_id)
                    .await
            }
            "getGroupCounters" => {
                self.admin_options(method, a0, |o: &GetGroupCounters| &o.group_id)
                    .await
            }
            _ => return None,
        };
        Some(out)
    }
}
