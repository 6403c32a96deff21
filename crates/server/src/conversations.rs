//! Conversations: `getConversationList`, `getConversationProfile`, `setMessageRead`, and the
//! conversation IDs and storage keys every other service uses.

use crate::store::ConvRow;
use crate::{AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::model::{Conversation, LastMessage, UserProfile};
use pigeon_proto::wire::{ConversationListReply, ConversationReply, Push};
use pigeon_proto::{ImError, Result};

/// What a conversation ID points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One-to-one with this peer.
    C2c(String),
    /// A group.
    Group(String),
    /// The system conversation.
    System,
}

/// Parses `C2C<userID>`, `GROUP<groupID>` or `@TIM#SYSTEM`.
pub fn parse_id(conv_id: &str) -> Result<Target> {
    if conv_id == types::CONV_SYSTEM {
        return Ok(Target::System);
    }
    if let Some(peer) = conv_id.strip_prefix("C2C").filter(|p| !p.is_empty()) {
        return Ok(Target::C2c(peer.to_owned()));
    }
    if let Some(g) = conv_id.strip_prefix("GROUP").filter(|g| !g.is_empty()) {
        return Ok(Target::Group(g.to_owned()));
    }
    Err(ImError::new(
        code::INVALID_CONV_ID,
        format!("invalid conversationID {conv_id:?}: expected C2C<userID>, GROUP<groupID> or @TIM#SYSTEM"),
    ))
}

/// Storage key of the one-to-one conversation of `a` and `b` (the same for both sides).
pub fn c2c_key(a: &str, b: &str) -> String {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    format!("c2c\u{1f}{x}\u{1f}{y}")
}

/// Storage key of a group's conversation.
pub fn group_key(group_id: &str) -> String {
    format!("group\u{1f}{group_id}")
}

/// Builds the user's view of a stored conversation row.
pub fn build(st: &AppState, user_id: &str, row: ConvRow) -> Result<Conversation> {
    let mut c = Conversation {
        conversation_id: row.conv_id.clone(),
        unread_count: row.unread,
        last_message: row
            .last_message
            .map(|m| LastMessage::from_message(&m.view_as(user_id)))
            .unwrap_or_default(),
        message_remind_type: types::MSG_REMIND_ACPT_AND_NOTE.to_owned(),
        ..Default::default()
    };
    match parse_id(&row.conv_id)? {
        Target::C2c(peer) => {
            c.kind = types::CONV_C2C.to_owned();
            c.user_profile = Some(UserProfile {
                user_id: peer,
                ..Default::default()
            });
        }
        Target::Group(gid) => {
            c.kind = types::CONV_GROUP.to_owned();
            c.group_profile = crate::groups::view(st, &gid, user_id)?;
        }
        Target::System => c.kind = types::CONV_SYSTEM.to_owned(),
    }
    Ok(c)
}

/// The user's conversation `conv_id`, built, if it exists.
pub fn load(st: &AppState, user_id: &str, conv_id: &str) -> Result<Option<Conversation>> {
    st.db(|s| s.conversation(user_id, conv_id))?
        .map(|row| build(st, user_id, row))
        .transpose()
}

/// Implements `getConversationList`: newest first.
pub fn list(st: &AppState, caller: &Caller) -> Result<ConversationListReply> {
    let rows = st.db(|s| s.conversations(&caller.user_id))?;
    let conversation_list = rows
        .into_iter()
        .map(|r| build(st, &caller.user_id, r))
        .collect::<Result<_>>()?;
    Ok(ConversationListReply { conversation_list })
}

fn not_found(conv_id: &str) -> ImError {
    ImError::new(
        code::CONV_NOT_FOUND,
        format!("conversation {conv_id} not found"),
    )
}

/// Implements `getConversationProfile`.
pub fn profile(st: &AppState, caller: &Caller, conv_id: &str) -> Result<ConversationReply> {
    parse_id(conv_id)?;
    let conversation = load(st, &caller.user_id, conv_id)?.ok_or_else(|| not_found(conv_id))?;
    Ok(ConversationReply { conversation })
}

/// Implements `setMessageRead`: unread to zero, and the user's other sessions follow.
pub fn set_read(st: &AppState, caller: &Caller, conv_id: &str) -> Result<ConversationReply> {
    parse_id(conv_id)?;
    if !st.db(|s| s.mark_read(&caller.user_id, conv_id))? {
        return Err(not_found(conv_id));
    }
    let conversation = load(st, &caller.user_id, conv_id)?.ok_or_else(|| not_found(conv_id))?;
    st.push(
        &caller.user_id,
        &Push::Conversation {
            conversation: conversation.clone(),
        },
        Some(caller.session),
    );
    Ok(ConversationReply { conversation })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse() {
        assert_eq!(parse_id("C2Cbob"), Ok(Target::C2c("bob".into())));
        assert_eq!(parse_id("GROUP@TGS#1"), Ok(Target::Group("@TGS#1".into())));
        assert_eq!(parse_id("@TIM#SYSTEM"), Ok(Target::System));
        for bad in ["", "C2C", "GROUP", "bob", "c2cbob"] {
            assert_eq!(
                parse_id(bad).map_err(|e| e.code),
                Err(code::INVALID_CONV_ID),
                "{bad}"
            );
        }
        assert_eq!(c2c_key("bob", "alice"), c2c_key("alice", "bob"));
    }
}
