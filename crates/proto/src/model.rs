//! The objects the SDK hands out, with the field names and value types of
//! spec/tencentcloud-chat-3.6.6.d.ts. The server stores and sends the same shapes, so one type
//! serves the wire, the local cache, the bridge and the UI.

use crate::consts::types;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message (d.ts `Message`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Message {
    /// Message ID, made by the sending client; sends are idempotent by it.
    #[serde(rename = "ID")]
    pub id: String,
    /// `TYPES.MSG_*`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Type-specific content.
    pub payload: Value,
    /// `C2C<peer>` or `GROUP<groupID>`, from the viewer's side.
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// `TYPES.CONV_C2C` or `TYPES.CONV_GROUP`.
    pub conversation_type: String,
    /// Receiver: userID or groupID.
    pub to: String,
    /// Sender's userID.
    pub from: String,
    /// `in` (received) or `out` (sent), from the viewer's side.
    pub flow: String,
    /// Server time in unix seconds (client time until sent).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time: u64,
    /// `unSend`, `success` or `fail`.
    pub status: String,
    /// Whether the message was revoked.
    pub is_revoked: bool,
    /// `TYPES.MSG_PRIORITY_*`.
    pub priority: String,
    /// Sender's nickname.
    pub nick: String,
    /// Sender's avatar URL.
    pub avatar: String,
    /// Whether the C2C peer has read it.
    pub is_peer_read: bool,
    /// Sender's group name card.
    pub name_card: String,
    /// Mentioned userIDs (and possibly `TYPES.MSG_AT_ALL`).
    pub at_user_list: Vec<String>,
    /// Custom data stored and delivered with the message.
    pub cloud_custom_data: String,
    /// Whether this user deleted it.
    pub is_deleted: bool,
    /// Whether it was modified after sending.
    pub is_modified: bool,
    /// Whether the sender asked for read receipts.
    pub need_read_receipt: bool,
    /// Read receipt state.
    pub read_receipt_info: Value,
    /// Whether it is a broadcast message.
    pub is_broadcast_message: bool,
    /// Whether it supports extensions.
    pub is_support_extension: bool,
    /// Who revoked it.
    pub revoker: String,
    /// Profile of who revoked it.
    pub revoker_info: Value,
    /// Why it was revoked.
    pub revoke_reason: String,
    /// Per-conversation sequence assigned by the server (0 until sent).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sequence: u64,
    /// Whether moderation flagged it.
    pub has_risk_content: bool,
    /// Random number making the ID unique, as the shipped SDK has it.
    pub random: u32,
    /// Client clock when the message was created (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub client_time: u64,
    /// Targeted group message receivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub receiver_list: Option<Vec<String>>,
    /// Edit version, bumped by every modifyMessage (a stale copy's modify is a conflict).
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>", optional))]
    pub version: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Delivery status values of `Message.status`.
pub mod status {
    /// Created, not sent yet.
    pub const UNSEND: &str = "unSend";
    /// Acked by the server.
    pub const SUCCESS: &str = "success";
    /// Sending failed.
    pub const FAIL: &str = "fail";
}

impl Message {
    /// The conversation ID of this message as `viewer` sees it.
    pub fn conversation_id_for(&self, viewer: &str) -> String {
        if self.conversation_type == types::CONV_SYSTEM {
            types::CONV_SYSTEM.to_owned()
        } else if self.conversation_type == types::CONV_GROUP {
            format!("GROUP{}", self.to)
        } else if self.from == viewer {
            format!("C2C{}", self.to)
        } else {
            format!("C2C{}", self.from)
        }
    }

    /// Sets the viewer-relative fields (`conversationID`, `flow`).
    pub fn view_as(mut self, viewer: &str) -> Self {
        self.conversation_id = self.conversation_id_for(viewer);
        self.flow = if self.from == viewer { "out" } else { "in" }.to_owned();
        self
    }

    /// Bytes the 12 KB body limit counts: the content and the custom data the message carries.
    pub fn body_size(&self) -> usize {
        let payload = serde_json::to_string(&self.payload)
            .map(|s| s.len())
            .unwrap_or(0);
        payload
            + self.cloud_custom_data.len()
            + self.at_user_list.iter().map(String::len).sum::<usize>()
    }

    /// The short text a conversation list shows for this message.
    pub fn text_for_show(&self) -> String {
        let p = &self.payload;
        match self.kind.as_str() {
            types::MSG_TEXT => p["text"].as_str().unwrap_or_default().to_owned(),
            types::MSG_CUSTOM => "[Custom Messages]".to_owned(),
            types::MSG_FACE => "[Animated Sticker]".to_owned(),
            types::MSG_LOCATION => "[Location]".to_owned(),
            types::MSG_IMAGE => "[Image]".to_owned(),
            types::MSG_AUDIO => "[Voice]".to_owned(),
            types::MSG_VIDEO => "[Video]".to_owned(),
            types::MSG_FILE => "[File]".to_owned(),
            types::MSG_MERGER => "[Chat History]".to_owned(),
            types::MSG_GRP_TIP => "[Group Notification]".to_owned(),
            _ => "[Message]".to_owned(),
        }
    }
}

/// `Conversation.lastMessage` in the shipped SDK's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct LastMessage {
    /// ID of the last message.
    #[serde(rename = "ID")]
    pub id: String,
    /// Its server time (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_time: u64,
    /// Its sequence.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_sequence: u64,
    /// Its sender.
    pub from_account: String,
    /// Its `TYPES.MSG_*`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its payload.
    pub payload: Value,
    /// Its custom data.
    pub cloud_custom_data: String,
    /// Whether it was revoked.
    pub is_revoked: bool,
    /// Whether the peer read it.
    pub is_peer_read: bool,
    /// Sender's nickname.
    pub nick: String,
    /// Sender's name card.
    pub name_card: String,
    /// Text for the conversation list.
    pub message_for_show: String,
}

impl LastMessage {
    /// The conversation-list summary of `m`.
    pub fn from_message(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            last_time: m.time,
            last_sequence: m.sequence,
            from_account: m.from.clone(),
            kind: m.kind.clone(),
            payload: m.payload.clone(),
            cloud_custom_data: m.cloud_custom_data.clone(),
            is_revoked: m.is_revoked,
            is_peer_read: m.is_peer_read,
            nick: m.nick.clone(),
            name_card: m.name_card.clone(),
            message_for_show: m.text_for_show(),
        }
    }
}

/// The few profile fields a conversation list needs (d.ts `Profile` subset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct UserProfile {
    /// userID.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Nickname.
    pub nick: String,
    /// Avatar URL.
    pub avatar: String,
}

/// A conversation (d.ts `Conversation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Conversation {
    /// `C2C<userID>`, `GROUP<groupID>` or `@TIM#SYSTEM`.
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// `TYPES.CONV_*`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unread messages for this user.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unread_count: u64,
    /// Summary of the last message.
    pub last_message: LastMessage,
    /// The group, for group conversations.
    pub group_profile: Option<Group>,
    /// The peer, for C2C conversations.
    pub user_profile: Option<UserProfile>,
    /// @-mentions of this user not read yet.
    pub group_at_info_list: Vec<Value>,
    /// Friend remark.
    pub remark: String,
    /// Pinned on top.
    pub is_pinned: bool,
    /// `TYPES.MSG_REMIND_*`.
    pub message_remind_type: String,
    /// Set marks: `TYPES.CONV_MARK_TYPE_*` and custom 2^n (32 <= n < 64).
    #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
    pub mark_list: Vec<u64>,
    /// Custom data.
    pub custom_data: String,
    /// Conversation groups it belongs to.
    pub conversation_group_list: Vec<String>,
    /// Draft text.
    pub draft_text: String,
}

impl Conversation {
    /// Sort key of the list: pinned first, then newest last message.
    pub fn sort_key(&self) -> (bool, u64, u64) {
        (
            self.is_pinned,
            self.last_message.last_time,
            self.last_message.last_sequence,
        )
    }
}

/// The viewer's membership in a group (`Group.selfInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct GroupSelfInfo {
    /// `TYPES.GRP_MBR_ROLE_*`.
    pub role: String,
    /// `TYPES.MSG_REMIND_*`.
    pub message_remind_type: String,
    /// When the viewer joined (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub join_time: u64,
    /// The viewer's name card.
    pub name_card: String,
}

/// A group (d.ts `Group`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Group {
    /// groupID.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Name.
    pub name: String,
    /// Avatar URL.
    pub avatar: String,
    /// `TYPES.GRP_*`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Introduction.
    pub introduction: String,
    /// Announcement.
    pub notification: String,
    /// Owner's userID.
    #[serde(rename = "ownerID")]
    pub owner_id: String,
    /// Creation time (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub create_time: u64,
    /// Profile version, bumped on every profile change.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub info_sequence: u64,
    /// Last profile change (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_info_time: u64,
    /// The viewer's membership.
    pub self_info: GroupSelfInfo,
    /// Summary of the last message.
    pub last_message: LastMessage,
    /// Sequence the next message will get.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub next_message_seq: u64,
    /// Members now.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub member_count: u64,
    /// Member limit.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_member_count: u64,
    /// Whether everyone is muted.
    pub mute_all_members: bool,
    /// `TYPES.JOIN_OPTIONS_*`.
    pub join_option: String,
    /// `TYPES.INVITE_OPTIONS_*`.
    pub invite_option: String,
    /// `[{key, value}]`.
    pub group_custom_field: Vec<Value>,
    /// Whether it is a community with topics.
    pub is_support_topic: bool,
}

/// `payload` of a `TYPES.MSG_GRP_TIP` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct GroupTipPayload {
    /// Who did it.
    #[serde(rename = "operatorID")]
    pub operator_id: String,
    /// `TYPES.GRP_TIP_*`.
    pub operation_type: u32,
    /// Who it happened to.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

/// A signaling invitation or an action on one (d.ts `Signaling`). It travels as the `data` of
/// a custom message, `{"businessID": 1, ...}`, the way the shipped SDK carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Signaling {
    /// The invitation.
    #[serde(rename = "inviteID")]
    pub invite_id: String,
    /// The group, for group invitations.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Who invited.
    pub inviter: String,
    /// Who is invited (for a timeout: who timed out).
    pub invitee_list: Vec<String>,
    /// Custom data.
    pub data: String,
    /// `TSignaling.ACTION_TYPE_*`.
    pub action_type: u32,
    /// Seconds before it times out (0: never).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timeout: u64,
}

/// Marks a custom message's data as signaling.
pub const SIGNALING_BUSINESS_ID: u64 = 1;

/// `TSignaling.ACTION_TYPE_*` values.
pub mod action {
    /// ACTION_TYPE_INVITE (also a modified invitation, with `isModified`).
    pub const INVITE: u32 = 1;
    /// ACTION_TYPE_CANCEL_INVITE.
    pub const CANCEL: u32 = 2;
    /// ACTION_TYPE_ACCEPT_INVITE.
    pub const ACCEPT: u32 = 3;
    /// ACTION_TYPE_REJECT_INVITE.
    pub const REJECT: u32 = 4;
    /// ACTION_TYPE_INVITE_TIMEOUT.
    pub const TIMEOUT: u32 = 5;
}

impl Signaling {
    /// The custom message `data` carrying this signaling; `modified` marks a modifyInvitation.
    pub fn to_data(&self, modified: bool) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["businessID"] = SIGNALING_BUSINESS_ID.into();
        if modified {
            v["isModified"] = true.into();
        }
        v.to_string()
    }

    /// The signaling a message carries, if it is a signaling message; also whether it is a
    /// modification.
    pub fn from_message(m: &Message) -> Option<(Signaling, bool)> {
        if m.kind != crate::consts::types::MSG_CUSTOM {
            return None;
        }
        let v: Value = serde_json::from_str(m.payload.get("data")?.as_str()?).ok()?;
        if v.get("businessID").and_then(Value::as_u64) != Some(SIGNALING_BUSINESS_ID) {
            return None;
        }
        let modified = v
            .get("isModified")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let s: Signaling = serde_json::from_value(v).ok()?;
        (!s.invite_id.is_empty()).then_some((s, modified))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn message_uses_dts_field_names() {
        let m = Message {
            id: "1-2-3".into(),
            conversation_id: "C2Cbob".into(),
            ..Default::default()
        };
        let v = serde_json::to_value(&m).expect("serializes");
        for k in [
            "ID",
            "type",
            "payload",
            "conversationID",
            "conversationType",
            "to",
            "from",
            "flow",
            "time",
            "status",
            "isRevoked",
            "priority",
            "nick",
            "avatar",
            "isPeerRead",
            "nameCard",
            "atUserList",
            "cloudCustomData",
            "isDeleted",
            "isModified",
            "needReadReceipt",
            "readReceiptInfo",
            "isBroadcastMessage",
            "isSupportExtension",
            "revoker",
            "revokerInfo",
            "revokeReason",
            "sequence",
            "hasRiskContent",
        ] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        assert_eq!(v["conversationID"], json!("C2Cbob"));
    }

    #[test]
    fn conversation_id_is_relative_to_the_viewer() {
        let m = Message {
            from: "alice".into(),
            to: "bob".into(),
            conversation_type: "C2C".into(),
            ..Default::default()
        };
        assert_eq!(m.conversation_id_for("alice"), "C2Cbob");
        assert_eq!(m.conversation_id_for("bob"), "C2Calice");
        let m = m.view_as("bob");
        assert_eq!(m.flow, "in");
        let g = Message {
            to: "g1".into(),
            conversation_type: "GROUP".into(),
            ..Default::default()
        };
        assert_eq!(g.conversation_id_for("anyone"), "GROUPg1");
    }

    #[test]
    fn group_and_conversation_field_names() {
        let g = serde_json::to_value(Group::default()).expect("serializes");
        for k in [
            "groupID",
            "ownerID",
            "memberCount",
            "maxMemberCount",
            "joinOption",
            "selfInfo",
        ] {
            assert!(g.get(k).is_some(), "missing {k}");
        }
        let c = serde_json::to_value(Conversation::default()).expect("serializes");
        for k in [
            "conversationID",
            "type",
            "unreadCount",
            "lastMessage",
            "isPinned",
            "markList",
        ] {
            assert!(c.get(k).is_some(), "missing {k}");
        }
    }
}
