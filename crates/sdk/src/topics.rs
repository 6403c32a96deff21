//! Communities and topics (issue 6).
//!
//! Thin calls: argument types are checked here (2905); permissions, topic IDs, limits and the
//! TOPIC_CREATED / TOPIC_DELETED / TOPIC_UPDATED events are the server's.

use crate::Chat;
use pigeon_proto::topics::{
    CreateTopicInCommunity, DeleteTopicFromCommunity, GetJoinedCommunityList, GetTopicList,
    UpdateTopicProfile,
};
use pigeon_proto::wire::Op;
use pigeon_proto::{ImError, Result};
use serde_json::Value;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "getJoinedCommunityList",
    "createTopicInCommunity",
    "deleteTopicFromCommunity",
    "updateTopicProfile",
    "getTopicList",
];

/// An options object parsed into the op, with a non-empty string groupID.
fn options<T: Op>(method: &str, v: Value) -> Result<T> {
    if !v.is_object() {
        return Err(ImError::invalid(format!(
            "{method} takes an options object"
        )));
    }
    match v.get("groupID") {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => {
            return Err(ImError::invalid(format!(
                "{method}: groupID (a string) is required"
            )))
        }
    }
    if let Some(l) = v.get("topicIDList").filter(|l| !l.is_null()) {
        let strings = l.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        if !strings {
            return Err(ImError::invalid(format!(
                "{method}: topicIDList is an array of topicID strings"
            )));
        }
    }
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{method}: {e}")))
}

impl Chat {
    async fn topic_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    async fn topic_options<O: Op>(&self, method: &str, v: Value) -> Result<Value> {
        let op: O = options(method, v)?;
        self.topic_call(&op).await
    }

    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_topics(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        if !METHODS.contains(&method) {
            return None;
        }
        let a0 = args.get_mut(0).map(Value::take).unwrap_or(Value::Null);
        let out = match method {
            "getJoinedCommunityList" => self.topic_call(&GetJoinedCommunityList {}).await,
            "createTopicInCommunity" => match options::<CreateTopicInCommunity>(method, a0) {
                Ok(op) if op.topic_name.is_empty() => Err(ImError::invalid(
                    "createTopicInCommunity: topicName is required",
                )),
                Ok(op) => self.topic_call(&op).await,
                Err(e) => Err(e),
            },
            "deleteTopicFromCommunity" => {
                self.topic_options::<DeleteTopicFromCommunity>(method, a0)
                    .await
            }
            "updateTopicProfile" => match options::<UpdateTopicProfile>(method, a0) {
                Ok(op) if op.topic_id.is_empty() => {
                    Err(ImError::invalid("updateTopicProfile: topicID is required"))
                }
                Ok(op) => self.topic_call(&op).await,
                Err(e) => Err(e),
            },
            "getTopicList" => self.topic_options::<GetTopicList>(method, a0).await,
            _ => return None,
        };
        Some(out)
    }
}
