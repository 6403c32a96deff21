//! Message operations: revoke, delete, modify, forward, merger, hopping (issue 3).

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

/// Checks the payload of the kinds this module sends (merger); None for other kinds.
pub fn check_payload(_m: &pigeon_proto::model::Message) -> Option<Result<(), ImError>> {
    None
}

/// Drops from a history page what `user` may not see (messages they deleted) and marks what
/// changed (revoked, modified).
pub fn filter_for(
    _st: &AppState,
    _user: &str,
    _page: &mut Vec<pigeon_proto::model::Message>,
) -> Result<(), ImError> {
    Ok(())
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait MessageOpsStore {}

impl MessageOpsStore for crate::store::SqliteStore {}
