//! Group administration: profile updates, search, online count, ownership, applications, attributes and counters (issue 6).

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

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait GroupAdminStore {}

impl GroupAdminStore for crate::store::SqliteStore {}
