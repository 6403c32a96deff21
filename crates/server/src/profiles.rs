//! Profiles, blacklist and user status (issue 5).

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

/// Fills the sender's display fields (nick, avatar) of an outgoing message from their profile.
pub fn decorate(_st: &AppState, _m: &mut pigeon_proto::model::Message) -> Result<(), ImError> {
    Ok(())
}

/// A session of `c.user_id` has logged in (user status: online).
pub fn session_started(_st: &AppState, _c: &Caller) {}

/// A session of `c.user_id` has ended (user status: offline when it was the last).
pub fn session_ended(_st: &AppState, _c: &Caller) {}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait ProfileStore {}

impl ProfileStore for crate::store::SqliteStore {}
