//! Communities and topics (issue 6): topic-enabled communities, their topics, and sending to
//! a topic (conversationID `GROUP<topicID>`, delivered to the community's members).

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

/// The community a topic ID belongs to, when `id` is a topic's (`<communityID>@TOPIC#_...`)
/// and the topic exists; None for any other ID.
pub fn community_of(_st: &AppState, _id: &str) -> Result<Option<String>, ImError> {
    Ok(None)
}

/// Whether `user` may send to the topic now (the topic's muteAllMembers).
pub fn check_can_send(
    _st: &AppState,
    _topic_id: &str,
    _community_id: &str,
    _user: &str,
) -> Result<(), ImError> {
    Ok(())
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait TopicStore {}

impl TopicStore for crate::store::SqliteStore {}
