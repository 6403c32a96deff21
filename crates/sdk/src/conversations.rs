//! Conversations: the list (with the seed's filters), profiles, unread totals, and every
//! conversation setting: delete, drafts, clear, pin, read-all, remind types, global
//! do-not-disturb, custom data, marks and conversation groups.

use crate::messages::check_conversation_id;
use crate::state::{Event, State};
use crate::{Chat, Inner};
use pigeon_proto::consts::{event, types};
use pigeon_proto::error::code;
use pigeon_proto::model::Conversation;
use pigeon_proto::wire::{
    AddConversationsToGroup, ClearHistoryMessage, CreateConversationGroup, DeleteConversation,
    DeleteConversationGroup, DeleteConversationsFromGroup, GetAllReceiveMessageOpt,
    GetConversationGroupList, GetConversationProfile, MarkConversation, Op, PinConversation,
    ReceiveMessageOpt, RenameConversationGroup, SetAllMessageRead, SetAllReceiveMessageOpt,
    SetConversationCustomData, SetMessageRemindType,
};
use pigeon_proto::{ImError, Result};
use serde::Deserialize;
use serde_json::{json, Value};

/// The object form of `getConversationList`'s argument.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Filter {
    #[serde(rename = "type")]
    kind: Option<String>,
    mark_type: Option<u64>,
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

fn is_hidden(c: &Conversation) -> bool {
    c.mark_list.contains(&types::CONV_MARK_TYPE_HIDE)
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{what}: {e}")))
}

/// Checks that the seed's required options are present. The wire types default every field,
/// so without this a missing `isPinned`, `customData` or `enableMark` would quietly unpin,
/// clear or unmark.
fn require(method: &str, v: &Value, keys: &[&str]) -> Result<()> {
    let Some(o) = v.as_object() else {
        return Err(ImError::invalid(format!(
            "{method} takes an options object"
        )));
    };
    match keys.iter().find(|k| !o.contains_key(**k)) {
        Some(k) => Err(ImError::invalid(format!("{method}: {k} is required"))),
        None => Ok(()),
    }
}

fn id_arg(method: &str, v: Value) -> Result<String> {
    match v {
        Value::String(s) => {
            check_conversation_id(&s)?;
            Ok(s)
        }
        _ => Err(ImError::invalid(format!(
            "{method} takes a conversationID string"
        ))),
    }
}

/// The reply as the seed shapes it: without the `updated` list meant for the SDK.
fn public(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("updated");
    }
    v
}

impl State {
    /// Applies conversations changed and removed elsewhere.
    pub(crate) fn apply_conversation_changes(
        &mut self,
        updated: Vec<Conversation>,
        deleted: Vec<String>,
    ) -> Vec<Event> {
        let mut removed = false;
        for id in &deleted {
            removed |= self.conversations.remove(id).is_some();
            if let Some(c) = self.cache.as_mut() {
                if let Err(e) = c.delete_conversation(id) {
                    tracing::warn!(error = %e, "could not uncache a conversation");
                }
            }
        }
        let mut events = self.update_conversations(updated, false);
        let listed = events
            .iter()
            .any(|e| e.name == event::CONVERSATION_LIST_UPDATED);
        if removed && !listed {
            events.extend(self.list_events(true));
        }
        events
    }

    /// Replaces the conversation group names.
    pub(crate) fn set_conv_groups(&mut self, names: Vec<String>) -> Vec<Event> {
        if names == self.conv_groups {
            return vec![];
        }
        self.conv_groups = names;
        vec![Event::new(
            event::CONVERSATION_GROUP_LIST_UPDATED,
            json!(self.conv_groups),
        )]
    }

    /// Conversations joined or left a conversation group.
    pub(crate) fn conversations_in_group(
        &mut self,
        group_name: String,
        list: Vec<Conversation>,
    ) -> Vec<Event> {
        let mut events = self.update_conversations(list.clone(), false);
        events.push(Event::new(
            event::CONVERSATION_IN_GROUP_UPDATED,
            json!({ "groupName": group_name, "conversationList": list }),
        ));
        events
    }

    /// Stores the global do-not-disturb setting.
    pub(crate) fn set_receive_opt(&mut self, opt: ReceiveMessageOpt) -> Vec<Event> {
        if self.receive_opt.as_ref() == Some(&opt) {
            return vec![];
        }
        let data = json!(opt);
        self.receive_opt = Some(opt);
        vec![Event::new(event::ALL_RECEIVE_MESSAGE_OPT_UPDATED, data)]
    }
}

impl Inner {
    /// Fetches the conversation groups and the global do-not-disturb setting.
    pub(crate) async fn refresh_conversation_settings(
        &self,
        gen: u64,
        conn: &crate::conn::Conn,
    ) -> Result<()> {
        let names = conn.call(&GetConversationGroupList {}).await?;
        let opt = conn.call(&GetAllReceiveMessageOpt {}).await?;
        let events = {
            let mut st = self.lock_state();
            if st.generation != gen {
                return Ok(());
            }
            let mut ev = st.set_conv_groups(names);
            // The first fetch after login is not a change the app made.
            let first = st.receive_opt.is_none();
            let opt_events = st.set_receive_opt(opt);
            if !first {
                ev.extend(opt_events);
            }
            ev
        };
        self.emit_all(events);
        Ok(())
    }
}

impl Chat {
    /// Calls `op` online and applies the conversations its reply says changed.
    async fn conv_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        let v = serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))?;
        let updated: Vec<Conversation> = v
            .get("updated")
            .cloned()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| ImError::internal(e.to_string()))?
            .unwrap_or_default();
        if !updated.is_empty() {
            let events = self
                .inner()
                .lock_state()
                .update_conversations(updated, false);
            self.inner().emit_all(events);
        }
        Ok(public(v))
    }

    fn apply_local(&self, f: impl FnOnce(&mut State) -> Vec<Event>) {
        let events = f(&mut self.inner().lock_state());
        self.inner().emit_all(events);
    }

    /// Implements `getConversationList`: all (no argument), some (an array of IDs), or a
    /// filter object `{type, markType, groupName, hasUnreadCount, hasGroupAtInfo}`. Hidden
    /// conversations (`CONV_MARK_TYPE_HIDE`) are left out unless asked for by that mark.
    pub fn get_conversation_list(&self, options: Value) -> Result<Value> {
        self.inner().require_login()?;
        let st = self.inner().lock_state();
        let all = st.sorted_conversations();
        let list: Vec<Conversation> = match options {
            Value::Null => all.into_iter().filter(|c| !is_hidden(c)).collect(),
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
                let want_hidden = f.mark_type == Some(types::CONV_MARK_TYPE_HIDE);
                all.into_iter()
                    .filter(|c| f.matches(c) && (want_hidden || !is_hidden(c)))
                    .collect()
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
        let id = id_arg("getConversationProfile", conversation_id)?;
        self.inner().require_login()?;
        if let Some(conn) = self.inner().conn() {
            match conn
                .call(&GetConversationProfile {
                    conversation_id: id.clone(),
                })
                .await
            {
                Ok(reply) => {
                    let mut c = reply.conversation;
                    self.apply_local(|st| st.update_conversations(vec![c.clone()], false));
                    // The server knows no drafts; this instance's own one belongs in the profile.
                    if let Some(d) = self.inner().lock_state().drafts.get(&id) {
                        c.draft_text = d.clone();
                    }
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

    /// Implements `deleteConversation`: a conversationID string, or
    /// `{conversationIDList, clearHistoryMessage = true}`.
    pub async fn delete_conversation(&self, options: Value) -> Result<Value> {
        let (op, single) = match options {
            Value::String(id) => {
                check_conversation_id(&id)?;
                let op = DeleteConversation {
                    conversation_id_list: vec![id.clone()],
                    clear_history_message: true,
                };
                (op, Some(id))
            }
            obj @ Value::Object(_) => {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct O {
                    #[serde(rename = "conversationIDList")]
                    ids: Vec<String>,
                    clear_history_message: Option<bool>,
                }
                let o: O = parse("deleteConversation", obj)?;
                for id in &o.ids {
                    check_conversation_id(id)?;
                }
                let op = DeleteConversation {
                    conversation_id_list: o.ids,
                    clear_history_message: o.clear_history_message.unwrap_or(true),
                };
                (op, None)
            }
            _ => {
                return Err(ImError::invalid(
                    "deleteConversation takes a conversationID or {conversationIDList}",
                ));
            }
        };
        let conn = self.inner().online()?;
        let clear = op.clear_history_message;
        let deleted = conn.call(&op).await?.conversation_id_list;
        self.apply_local(|st| {
            if clear {
                if let Some(c) = st.cache.as_mut() {
                    for id in &deleted {
                        let _ = c.delete_messages_of(id);
                    }
                }
            }
            st.apply_conversation_changes(vec![], deleted.clone())
        });
        Ok(match single {
            Some(id) => json!({ "conversationID": id }),
            None => json!({ "conversationIDList": deleted }),
        })
    }

    /// Implements `setConversationDraft`: kept on this device only (seed: drafts are not stored
    /// on the server), in memory and in the local cache.
    pub fn set_conversation_draft(&self, options: Value) -> Result<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct O {
            #[serde(rename = "conversationID")]
            id: String,
            draft_text: String,
        }
        let o: O = parse("setConversationDraft", options)?;
        check_conversation_id(&o.id)?;
        self.inner().require_login()?;
        let mut st = self.inner().lock_state();
        let Some(c) = st.conversations.get(&o.id).cloned() else {
            return Err(ImError::new(
                code::CONV_NOT_FOUND,
                format!("conversation {} not found", o.id),
            ));
        };
        if o.draft_text.is_empty() {
            st.drafts.remove(&o.id);
        } else {
            st.drafts.insert(o.id.clone(), o.draft_text);
        }
        let drafts = serde_json::to_string(&st.drafts).unwrap_or_default();
        if let Some(cache) = st.cache.as_ref() {
            cache.set("drafts", &drafts)?;
        }
        let events = st.update_conversations(vec![c], false);
        drop(st);
        self.inner().emit_all(events);
        Ok(json!({}))
    }

    /// Implements `clearHistoryMessage`: history gone here and in the cloud for this user; the
    /// conversation stays with no unread and no last message.
    pub async fn clear_history_message(&self, conversation_id: Value) -> Result<Value> {
        let id = id_arg("clearHistoryMessage", conversation_id)?;
        let conn = self.inner().online()?;
        let c = conn
            .call(&ClearHistoryMessage {
                conversation_id: id.clone(),
            })
            .await?
            .conversation;
        self.apply_local(|st| {
            if let Some(cache) = st.cache.as_mut() {
                let _ = cache.delete_messages_of(&id);
            }
            st.update_conversations(vec![c], false)
        });
        Ok(json!({}))
    }

    /// Implements `pinConversation`.
    pub async fn pin_conversation(&self, options: Value) -> Result<Value> {
        require("pinConversation", &options, &["conversationID", "isPinned"])?;
        let op: PinConversation = parse("pinConversation", options)?;
        check_conversation_id(&op.conversation_id)?;
        self.conv_call(&op).await
    }

    /// Implements `setAllMessageRead` (scope C2C, group or all; all by default).
    pub async fn set_all_message_read(&self, options: Value) -> Result<Value> {
        let op: SetAllMessageRead = if options.is_null() {
            SetAllMessageRead {
                scope: types::READ_ALL_MSG.to_owned(),
            }
        } else {
            parse("setAllMessageRead", options)?
        };
        let conn = self.inner().online()?;
        let list = conn.call(&op).await?.conversation_list;
        self.apply_local(|st| st.update_conversations(list, false));
        Ok(json!({}))
    }

    /// Implements `setMessageRemindType` for a group or up to 30 C2C peers.
    pub async fn set_message_remind_type(&self, options: Value) -> Result<Value> {
        let op: SetMessageRemindType = parse("setMessageRemindType", options)?;
        self.conv_call(&op).await
    }

    /// Implements `setAllReceiveMessageOpt`: the global do-not-disturb window. An extra
    /// `utcOffset` (seconds) places the start hour in the user's time zone; UTC otherwise.
    pub async fn set_all_receive_message_opt(&self, options: Value) -> Result<Value> {
        let op: SetAllReceiveMessageOpt = parse("setAllReceiveMessageOpt", options)?;
        let conn = self.inner().online()?;
        let opt = conn.call(&op).await?;
        self.apply_local(|st| st.set_receive_opt(opt));
        Ok(json!({}))
    }

    /// Implements `getAllReceiveMessageOpt`.
    pub async fn get_all_receive_message_opt(&self) -> Result<Value> {
        let opt = match self.inner().conn() {
            Some(conn) => conn.call(&GetAllReceiveMessageOpt {}).await?,
            None => {
                self.inner().require_login()?;
                self.inner()
                    .lock_state()
                    .receive_opt
                    .clone()
                    .ok_or_else(|| crate::conn::network_error("not connected to the server"))?
            }
        };
        Ok(json!(opt))
    }

    /// Whether a message in `conversation_id` should raise a notification now: its remind
    /// type says notify (or it mentions the user and the type allows that), and the global
    /// do-not-disturb window is not open at `now` (unix seconds).
    pub fn should_notify(&self, conversation_id: &str, mentions_me: bool, now: u64) -> bool {
        let st = self.inner().lock_state();
        let remind = st
            .conversations
            .get(conversation_id)
            .map(|c| c.message_remind_type.clone())
            .unwrap_or_default();
        let by_conversation = match remind.as_str() {
            "" | types::MSG_REMIND_ACPT_AND_NOTE => true,
            types::MSG_REMIND_NOT_NOTE_EXCEPT_AT | types::MSG_REMIND_DISCARD_EXCEPT_AT => {
                mentions_me
            }
            _ => false,
        };
        by_conversation && !st.receive_opt.as_ref().is_some_and(|o| dnd_open(o, now))
    }

    /// Implements `setConversationCustomData`.
    pub async fn set_conversation_custom_data(&self, options: Value) -> Result<Value> {
        require(
            "setConversationCustomData",
            &options,
            &["conversationIDList", "customData"],
        )?;
        let op: SetConversationCustomData = parse("setConversationCustomData", options)?;
        self.conv_call(&op).await
    }

    /// Implements `markConversation`.
    pub async fn mark_conversation(&self, options: Value) -> Result<Value> {
        require(
            "markConversation",
            &options,
            &["conversationIDList", "markType", "enableMark"],
        )?;
        let op: MarkConversation = parse("markConversation", options)?;
        self.conv_call(&op).await
    }

    /// Implements `getConversationGroupList`.
    pub async fn get_conversation_group_list(&self) -> Result<Value> {
        let names = match self.inner().conn() {
            Some(conn) => conn.call(&GetConversationGroupList {}).await?,
            None => {
                self.inner().require_login()?;
                self.inner().lock_state().conv_groups.clone()
            }
        };
        Ok(json!(names))
    }

    /// Implements `createConversationGroup`.
    pub async fn create_conversation_group(&self, options: Value) -> Result<Value> {
        let op: CreateConversationGroup = parse("createConversationGroup", options)?;
        let reply = self.conv_call(&op).await?;
        self.refresh_group_names().await?;
        Ok(reply)
    }

    /// Implements `deleteConversationGroup`.
    pub async fn delete_conversation_group(&self, group_name: Value) -> Result<Value> {
        let Value::String(group_name) = group_name else {
            return Err(ImError::invalid(
                "deleteConversationGroup takes a group name",
            ));
        };
        self.conv_call(&DeleteConversationGroup { group_name })
            .await?;
        self.refresh_after_folder_change().await?;
        Ok(json!({}))
    }

    /// Implements `renameConversationGroup`.
    pub async fn rename_conversation_group(&self, options: Value) -> Result<Value> {
        let op: RenameConversationGroup = parse("renameConversationGroup", options)?;
        self.conv_call(&op).await?;
        self.refresh_after_folder_change().await?;
        Ok(json!({}))
    }

    /// Implements `addConversationsToGroup`.
    pub async fn add_conversations_to_group(&self, options: Value) -> Result<Value> {
        let op: AddConversationsToGroup = parse("addConversationsToGroup", options)?;
        let name = op.group_name.clone();
        let reply = self.conv_call(&op).await?;
        self.announce_group_members(&name);
        Ok(reply)
    }

    /// Implements `deleteConversationsFromGroup`.
    pub async fn delete_conversations_from_group(&self, options: Value) -> Result<Value> {
        let op: DeleteConversationsFromGroup = parse("deleteConversationsFromGroup", options)?;
        let name = op.group_name.clone();
        let reply = self.conv_call(&op).await?;
        self.announce_group_members(&name);
        Ok(reply)
    }

    fn announce_group_members(&self, name: &str) {
        self.apply_local(|st| {
            let list: Vec<Conversation> = st
                .sorted_conversations()
                .into_iter()
                .filter(|c| c.conversation_group_list.iter().any(|g| g == name))
                .collect();
            vec![Event::new(
                event::CONVERSATION_IN_GROUP_UPDATED,
                json!({ "groupName": name, "conversationList": list }),
            )]
        });
    }

    async fn refresh_group_names(&self) -> Result<()> {
        let conn = self.inner().online()?;
        let names = conn.call(&GetConversationGroupList {}).await?;
        self.apply_local(|st| st.set_conv_groups(names));
        Ok(())
    }

    async fn refresh_after_folder_change(&self) -> Result<()> {
        let conn = self.inner().online()?;
        let gen = self.inner().lock_state().generation;
        self.inner().refresh_conversations(gen, &conn).await?;
        self.refresh_group_names().await
    }
}

/// Whether the global do-not-disturb window is open at `now`.
pub(crate) fn dnd_open(o: &ReceiveMessageOpt, now: u64) -> bool {
    if o.message_remind_type != types::MSG_REMIND_ACPT_NOT_NOTE || now < o.start_time {
        return false;
    }
    let len = o.end_time.saturating_sub(o.start_time);
    if !o.is_repeated {
        return now < o.end_time;
    }
    // Daily: open for `len` seconds from the start time every day; a day or more is always.
    len >= 86_400 || (now - o.start_time) % 86_400 < len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnd_windows() {
        let daily = ReceiveMessageOpt {
            message_remind_type: types::MSG_REMIND_ACPT_NOT_NOTE.into(),
            start_time: 1000,
            end_time: 1000 + 3600,
            is_repeated: true,
        };
        assert!(!dnd_open(&daily, 999));
        assert!(dnd_open(&daily, 1000));
        assert!(!dnd_open(&daily, 1000 + 3600));
        assert!(dnd_open(&daily, 1000 + 86_400 + 10));
        let once = ReceiveMessageOpt {
            is_repeated: false,
            ..daily.clone()
        };
        assert!(!dnd_open(&once, 1000 + 86_400 + 10));
        let forever = ReceiveMessageOpt {
            end_time: 1000 + 86_400,
            ..daily.clone()
        };
        assert!(dnd_open(&forever, 1000 + 86_400 * 5));
        let off = ReceiveMessageOpt {
            message_remind_type: types::MSG_REMIND_ACPT_AND_NOTE.into(),
            ..daily
        };
        assert!(!dnd_open(&off, 1000));
    }
}
