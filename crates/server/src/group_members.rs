//! Group members: lists, profiles, adding and removing, mute, roles, name cards, custom fields, marks (issue 6).

use crate::{AppState, Caller};
use pigeon_proto::ImError;
use serde_json::Value;

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(
    _st: &AppState,
    _c: &Caller,
    _op: &str,
    _data: &Value,
) -> Option<Result<Value, ImError>> {
    None
}

/// Whether `user` may send to `group_id` now: refuses a muted member (or everyone but owner
/// and admins while the group is muted).
pub fn check_can_send(_st: &AppState, _group_id: &str, _user: &str) -> Result<(), ImError> {
    Ok(())
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait GroupMemberStore {}

impl GroupMemberStore for crate::store::SqliteStore {}
