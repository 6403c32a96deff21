//! Friends, friend applications and friend groups (issue 5).

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

/// Whether `from` may send a C2C message to `to`: not blocked by `to` (20007), and friends
/// when the server's friend check is on (20009).
pub fn check_c2c_allowed(_st: &AppState, _from: &str, _to: &str) -> Result<(), ImError> {
    Ok(())
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait RelationStore {}

impl RelationStore for crate::store::SqliteStore {}
