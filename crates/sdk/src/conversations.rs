//! Conversations: `getConversationList` (with the seed's filters), `getConversationProfile`,
//! `getTotalUnreadMessageCount`.

use crate::messages::check_conversation_id;
use crate::Chat;
use pigeon_proto::error::code;
use pigeon_proto::model::Conversation;
use pigeon_proto::wire::GetConversationProfile;
use pigeon_proto::{ImError, Result};
use serde::Deserialize;
use serde_json::{json, Value};

/// The object form of `getConversationList`'s argument.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Filter {
    #[serde(rename = "type")]
    kind: Option<String>,
    mark_type: Option<u32>,
    group_name: Option<String>,
    has_unread_count: Option<bool>,
    has_group_at_info: Option<bool>,
}

impl Filter {
    fn matches(&self, c: &Conversation) -> bool {
        self.kind.as_ref().is_none_or(|k| *k == c.kind)
            && self.mark_type.is_none_or(|m| {
                if m == 0 {
                    c.mark_list.is_empty()
                } else {
                    c.mark_list.contains(&m)
                }
            })
            && self.group_name.as_ref().is_none_or(|g| {
                if g.is_empty() {
                    c.conversation_group_list.is_empty()
                } else {
                    c.conversation_group_list.contains(g)
                }
            })
            && self
                .has_unread_count
                .is_none_or(|want| (c.unread_count > 0) == want)
            && self
                .has_group_at_info
                .is_none_or(|want| c.group_at_info_list.is_empty() != want)
    }
}

impl Chat {
    /// Implements `getConversationList`: all (no argument), some (an array of IDs), or a
    /// filter object `{type, markType, groupName, hasUnreadCount, hasGroupAtInfo}`.
    pub fn get_conversation_list(&self, options: Value) -> Result<Value> {
        self.inner().require_login()?;
        let st = self.inner().lock_state();
        let all = st.sorted_conversations();
        let list: Vec<Conversation> = match options {
            Value::Null => all,
            Value::Array(ids) => {
                let ids = ids
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        other => Err(ImError::invalid(format!(
                            "getConversationList: conversation IDs are strings, got {other}"
                        ))),
                    })
                    .collect::<Result<Vec<_>>>()?;
                all.into_iter()
                    .filter(|c| ids.contains(&c.conversation_id))
                    .collect()
            }
            obj @ Value::Object(_) => {
                let f: Filter = serde_json::from_value(obj)
                    .map_err(|e| ImError::invalid(format!("getConversationList: {e}")))?;
                all.into_iter().filter(|c| f.matches(c)).collect()
            }
            other => {
                return Err(ImError::invalid(format!(
                    "getConversationList takes nothing, an array of IDs or a filter object, got {other}"
                )));
            }
        };
        Ok(json!({ "conversationList": list, "isSyncCompleted": st.ready }))
    }

    /// Implements `getConversationProfile`: from the server when connected, else the cache.
    pub async fn get_conversation_profile(&self, conversation_id: Value) -> Result<Value> {
        let id = conversation_id
            .as_str()
            .ok_or_else(|| {
                ImError::invalid("getConversationProfile takes a conversationID string")
            })?
            .to_owned();
        check_conversation_id(&id)?;
        self.inner().require_login()?;
        if let Some(conn) = self.inner().conn() {
            match conn
                .call(&GetConversationProfile {
                    conversation_id: id.clone(),
                })
                .await
            {
                Ok(reply) => {
                    let c = reply.conversation;
                    let events = self
                        .inner()
                        .lock_state()
                        .update_conversations(vec![c.clone()], false);
                    self.inner().emit_all(events);
                    return Ok(json!({ "conversation": c }));
                }
                Err(e) if e.code != code::NETWORK_ERROR && e.code != code::NETWORK_TIMEOUT => {
                    return Err(e);
                }
                Err(_) => {}
            }
        }
        let st = self.inner().lock_state();
        match st.conversations.get(&id) {
            Some(c) => Ok(json!({ "conversation": c })),
            None => Err(ImError::new(
                code::CONV_NOT_FOUND,
                format!("conversation {id} not found"),
            )),
        }
    }

    /// Implements `getTotalUnreadMessageCount`: C2C and group unread, without the system
    /// conversation and muted ones.
    pub fn get_total_unread_message_count(&self) -> u64 {
        self.inner().lock_state().total_unread
    }
}
