//! [`Chat::invoke`]: any seed method by name with the seed's positional arguments. The bridge
//! and the desktop app go through here, so coverage is this one table.

use crate::Chat;
use pigeon_proto::error::code;
use pigeon_proto::methods::is_seed_method;
use pigeon_proto::{ImError, Result};
use serde_json::{json, Value};

/// Seed methods a front end must handle itself, because they take a callback.
pub const FRONT_END_METHODS: &[&str] = &[
    "on",
    "off",
    "addSignalingListener",
    "removeSignalingListener",
];

/// Seed methods [`Chat::invoke`] implements.
pub const IMPLEMENTED: &[&str] = &[
    "login",
    "logout",
    "getLoginUser",
    "isReady",
    "destroy",
    "registerPlugin",
    "setLogLevel",
    "createTextMessage",
    "createTextAtMessage",
    "createCustomMessage",
    "createFaceMessage",
    "createLocationMessage",
    "sendMessage",
    "resendMessage",
    "getMessageList",
    "findMessage",
    "setMessageRead",
    "getConversationList",
    "getConversationProfile",
    "getTotalUnreadMessageCount",
    "deleteConversation",
    "setConversationDraft",
    "clearHistoryMessage",
    "pinConversation",
    "setAllMessageRead",
    "setMessageRemindType",
    "setAllReceiveMessageOpt",
    "getAllReceiveMessageOpt",
    "setConversationCustomData",
    "markConversation",
    "getConversationGroupList",
    "createConversationGroup",
    "deleteConversationGroup",
    "renameConversationGroup",
    "addConversationsToGroup",
    "deleteConversationsFromGroup",
    "invite",
    "inviteInGroup",
    "cancel",
    "accept",
    "reject",
    "modifyInvitation",
    "getSignalingInfo",
    "getGroupList",
    "getGroupProfile",
    "createGroup",
    "dismissGroup",
    "joinGroup",
    "quitGroup",
];

/// Whether a seed method works through [`Chat::invoke`] or a front end's on/off.
pub fn is_implemented(method: &str) -> bool {
    IMPLEMENTED.contains(&method)
        || FRONT_END_METHODS.contains(&method)
        || crate::profiles::METHODS.contains(&method)
        || crate::relations::METHODS.contains(&method)
        || crate::follows::METHODS.contains(&method)
        || crate::files::METHODS.contains(&method)
        || crate::message_ops::METHODS.contains(&method)
        || crate::message_extras::METHODS.contains(&method)
        || crate::group_members::METHODS.contains(&method)
        || crate::group_admin::METHODS.contains(&method)
        || crate::topics::METHODS.contains(&method)
}

fn arg(args: &mut [Value], i: usize) -> Value {
    args.get_mut(i).map(Value::take).unwrap_or(Value::Null)
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| ImError::internal(e.to_string()))
}

impl Chat {
    /// Calls seed method `method` with positional `args`; returns `imResponse.data` (or the
    /// return value of a synchronous method).
    pub async fn invoke(&self, method: &str, mut args: Vec<Value>) -> Result<Value> {
        let a = &mut args;
        match method {
            "login" => {
                let o: crate::lifecycle::LoginOptions = serde_json::from_value(arg(a, 0))
                    .map_err(|e| ImError::invalid(format!("login: {e}")))?;
                self.login(&o.user_id, &o.user_sig).await
            }
            "logout" => self.logout().await,
            "destroy" => self.destroy().await,
            "getLoginUser" => Ok(json!(self.get_login_user())),
            "isReady" => Ok(json!(self.is_ready())),
            "registerPlugin" => self.register_plugin(&arg(a, 0)),
            "setLogLevel" => self.set_log_level(&arg(a, 0)),
            "createTextMessage" => to_json(self.create_text_message(arg(a, 0))?),
            "createTextAtMessage" => to_json(self.create_text_at_message(arg(a, 0))?),
            "createCustomMessage" => to_json(self.create_custom_message(arg(a, 0))?),
            "createFaceMessage" => to_json(self.create_face_message(arg(a, 0))?),
            "createLocationMessage" => to_json(self.create_location_message(arg(a, 0))?),
            "sendMessage" => self.send_message(arg(a, 0), arg(a, 1)).await,
            "resendMessage" => self.resend_message(arg(a, 0), arg(a, 1)).await,
            "getMessageList" => self.get_message_list(arg(a, 0)).await,
            "findMessage" => match arg(a, 0) {
                Value::String(id) => to_json(self.find_message(&id)),
                _ => Err(ImError::invalid("findMessage takes a messageID string")),
            },
            "setMessageRead" => self.set_message_read(arg(a, 0)).await,
            "getConversationList" => self.get_conversation_list(arg(a, 0)),
            "getConversationProfile" => self.get_conversation_profile(arg(a, 0)).await,
            "getTotalUnreadMessageCount" => Ok(json!(self.get_total_unread_message_count())),
            "deleteConversation" => self.delete_conversation(arg(a, 0)).await,
            "setConversationDraft" => self.set_conversation_draft(arg(a, 0)),
            "clearHistoryMessage" => self.clear_history_message(arg(a, 0)).await,
            "pinConversation" => self.pin_conversation(arg(a, 0)).await,
            "setAllMessageRead" => self.set_all_message_read(arg(a, 0)).await,
            "setMessageRemindType" => self.set_message_remind_type(arg(a, 0)).await,
            "setAllReceiveMessageOpt" => self.set_all_receive_message_opt(arg(a, 0)).await,
            "getAllReceiveMessageOpt" => self.get_all_receive_message_opt().await,
            "setConversationCustomData" => self.set_conversation_custom_data(arg(a, 0)).await,
            "markConversation" => self.mark_conversation(arg(a, 0)).await,
            "getConversationGroupList" => self.get_conversation_group_list().await,
            "createConversationGroup" => self.create_conversation_group(arg(a, 0)).await,
            "deleteConversationGroup" => self.delete_conversation_group(arg(a, 0)).await,
            "renameConversationGroup" => self.rename_conversation_group(arg(a, 0)).await,
            "addConversationsToGroup" => self.add_conversations_to_group(arg(a, 0)).await,
            "deleteConversationsFromGroup" => self.delete_conversations_from_group(arg(a, 0)).await,
            "invite" => self.invite(arg(a, 0)).await,
            "inviteInGroup" => self.invite_in_group(arg(a, 0)).await,
            "cancel" => self.cancel(arg(a, 0)).await,
            "accept" => self.accept(arg(a, 0)).await,
            "reject" => self.reject(arg(a, 0)).await,
            "modifyInvitation" => self.modify_invitation(arg(a, 0)).await,
            "getSignalingInfo" => to_json(self.get_signaling_info(arg(a, 0))?),
            "getGroupList" => self.get_group_list().await,
            "getGroupProfile" => self.get_group_profile(arg(a, 0)).await,
            "createGroup" => self.create_group(arg(a, 0)).await,
            "dismissGroup" => self.dismiss_group(arg(a, 0)).await,
            "joinGroup" => self.join_group(arg(a, 0)).await,
            "quitGroup" => self.quit_group(arg(a, 0)).await,
            "on" | "off" | "addSignalingListener" | "removeSignalingListener" => {
                Err(ImError::invalid(format!(
                    "{method} takes a handler function: use Chat::on/off, or the bridge's on/off"
                )))
            }
            m if is_implemented(m) => {
                if let Some(r) = self.invoke_profiles(m, a).await {
                    return r;
                }
                if let Some(r) = self.invoke_relations(m, a).await {
                    return r;
                }
                if let Some(r) = self.invoke_follows(m, a).await {
                    return r;
                }
                if let Some(r) = self.invoke_files(m, a).await {
                    return r;
                }
                if let Some(r) = self.invoke_message_ops(m, a).await {
                    return r;
                }
                if let Some(r) = self.invoke_message_extras(m, a).await {
                    return r;
                }
                if let Some(r) = self.invoke_group_members(m, a).await {
                    return r;
                }
                if let Some(r) = self.invoke_group_admin(m, a).await {
                    return r;
                }
                if let Some(r) = self.invoke_topics(m, a).await {
                    return r;
                }
                Err(ImError::internal(format!("{m} has no handler")))
            }
            m if is_seed_method(m) => Err(ImError::new(
                code::NOT_IMPLEMENTED,
                format!("not implemented: {m}"),
            )),
            m => Err(ImError::new(
                code::UNKNOWN_METHOD,
                format!("unknown method: {m}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pigeon_proto::methods::seed_methods;

    #[test]
    fn every_implemented_name_is_a_seed_method() {
        for m in IMPLEMENTED.iter().chain(FRONT_END_METHODS) {
            assert!(is_seed_method(m), "{m}");
        }
        assert!(seed_methods().count() > IMPLEMENTED.len());
    }

    #[tokio::test]
    async fn unknown_and_unimplemented_methods_fail_clearly() {
        let chat = Chat::create(crate::ChatOptions {
            server_url: "ws://127.0.0.1:9".into(),
            sdk_app_id: 1,
            data_dir: std::env::temp_dir(),
            platform: "web".into(),
        });
        for m in seed_methods().filter(|m| !is_implemented(m)) {
            let e = chat.invoke(m, vec![]).await.expect_err("must fail");
            assert_eq!(e.code, code::NOT_IMPLEMENTED, "{m}");
            assert_eq!(e.message, format!("not implemented: {m}"));
        }
        let e = chat
            .invoke("sendmessage", vec![])
            .await
            .expect_err("must fail");
        assert_eq!(e.code, code::UNKNOWN_METHOD);
        let e = chat
            .invoke("getMessageList", vec![json!(5)])
            .await
            .expect_err("must fail");
        assert_eq!(e.code, code::INVALID_ARGUMENT);
    }
}
