//! The client/server protocol: JSON text frames over one WebSocket.
//!
//! Client → server: `{"id": 7, "op": "sendMessage", "data": {...}}` ([`Request`]).
//! Server → client: a reply `{"id": 7, "code": 0, "data": {...}}` or
//! `{"id": 7, "code": 80002, "message": "..."}`, or a push `{"push": "message", "data": {...}}`
//! ([`Push`]). Each operation is a typed struct implementing [`Op`], so the server's handler and
//! the SDK's call agree on both shapes at compile time.

use crate::error::{code, ImError};
use crate::model::{Conversation, Group, Message};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest frame the server accepts from a client; bigger frames are refused, not buffered.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Largest frame a client accepts from the server (a sync page of 200 messages of 12 KB).
pub const MAX_SERVER_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// Largest message body (payload plus custom data), the seed's fixed 12 KB.
pub const MAX_MESSAGE_BODY_BYTES: usize = 12 * 1024;

/// Messages per `getMessageList` page.
pub const MESSAGE_PAGE_SIZE: u32 = 15;

/// A request frame.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// Correlates the reply.
    pub id: u64,
    /// Operation name ([`Op::NAME`]).
    pub op: String,
    /// Operation arguments.
    #[serde(default)]
    pub data: Value,
}

/// A reply frame (has `id`) as the client reads it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Reply {
    /// The request's id.
    pub id: u64,
    /// 0 on success.
    pub code: u32,
    /// Error text when `code != 0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Result on success, `imError.data` on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl Reply {
    /// A success reply.
    pub fn ok(id: u64, data: Value) -> Self {
        Self {
            id,
            code: 0,
            message: None,
            data: Some(data),
        }
    }

    /// A failure reply.
    pub fn err(id: u64, e: &ImError) -> Self {
        Self {
            id,
            code: e.code,
            message: Some(e.message.clone()),
            data: e.data.clone(),
        }
    }

    /// The reply as a result.
    pub fn into_result(self) -> Result<Value, ImError> {
        if self.code == 0 {
            Ok(self.data.unwrap_or(Value::Null))
        } else {
            Err(ImError {
                code: self.code,
                message: self.message.unwrap_or_default(),
                data: self.data,
            })
        }
    }
}

/// A typed operation: its wire name, its request (Self) and its reply.
pub trait Op: Serialize + DeserializeOwned {
    /// Wire name.
    const NAME: &'static str;
    /// What a successful reply carries.
    type Reply: Serialize + DeserializeOwned;

    /// Parses a request's `data` into this op, with a clear error naming the op.
    fn parse(data: Value) -> Result<Self, ImError> {
        serde_json::from_value(data)
            .map_err(|e| ImError::new(code::SERVER_INVALID_PARAM, format!("{}: {e}", Self::NAME)))
    }
}

macro_rules! op {
    ($ty:ident, $name:literal, $reply:ty) => {
        impl Op for $ty {
            const NAME: &'static str = $name;
            type Reply = $reply;
        }
    };
}

/// An empty object, for ops without arguments or result data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Empty {}

/// Authenticates the connection. Must be the first request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Login {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// TLSSigAPIv2 UserSig.
    pub user_sig: String,
    /// The app the client was created for.
    #[serde(rename = "SDKAppID")]
    pub sdk_app_id: u64,
    /// Random per SDK instance: a reconnect of the same instance replaces its old session
    /// instead of counting as a second login.
    #[serde(rename = "instanceID")]
    pub instance_id: String,
    /// Login platform (`web`, `desktop`, ...): the multi-login limit counts per platform.
    pub platform: String,
}

/// Reply to [`Login`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginReply {
    /// The user, as the server knows them.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Server clock (unix seconds).
    pub server_time: u64,
    /// When the UserSig expires (unix seconds).
    pub expires_at: u64,
    /// Newest position in the user's inbox: a client without a cursor starts here, since
    /// history is read with getMessageList rather than replayed as new messages.
    pub inbox_head: u64,
}
op!(Login, "login", LoginReply);

/// Ends the session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Logout {}
op!(Logout, "logout", Empty);

/// Keeps the connection alive and proves the server is there.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ping {}
op!(Ping, "ping", Empty);

/// Sends a message (`sendMessage`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SendMessage {
    /// The message as created by the client.
    pub message: Message,
    /// Deliver only to online users; not stored, not counted as unread.
    pub online_user_only: bool,
    /// Do not count towards receivers' unread count.
    pub excluded_from_unread_count: bool,
    /// Do not become the conversation's last message.
    pub excluded_from_last_message: bool,
}

/// Reply to [`SendMessage`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SendMessageReply {
    /// The stored message, with server time and sequence.
    pub message: Message,
    /// The sender's conversation after the send (none for online-only messages).
    pub conversation: Option<Conversation>,
    /// The message's position in the sender's own inbox (none for online-only messages), so
    /// the sending instance does not fetch back what it sent.
    pub inbox_seq: Option<u64>,
}
op!(SendMessage, "sendMessage", SendMessageReply);

/// Fetches this user's inbox entries after a cursor: what the client missed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Sync {
    /// Last inbox sequence the client has.
    pub after: u64,
    /// Page size (server caps it).
    pub limit: u32,
}

/// One message in a user's inbox, in delivery order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InboxEntry {
    /// Position in this user's inbox (gapless, increasing).
    pub inbox_seq: u64,
    /// The message, seen from this user's side; none when the user has cleared it since (the
    /// entry still moves the cursor).
    pub message: Option<Message>,
}

/// Reply to [`Sync`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncReply {
    /// Entries after the cursor, oldest first.
    pub entries: Vec<InboxEntry>,
    /// Whether there is nothing more after these.
    pub is_completed: bool,
}
op!(Sync, "sync", SyncReply);

/// A page of history (`getMessageList`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetMessageList {
    /// The conversation.
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// Continue before this message (from the previous page).
    #[serde(rename = "nextReqMessageID")]
    pub next_req_message_id: Option<String>,
    /// Page size.
    pub count: u32,
}

/// Reply to [`GetMessageList`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageListReply {
    /// Oldest first.
    pub message_list: Vec<Message>,
    /// Cursor for the next (older) page; empty when complete.
    #[serde(rename = "nextReqMessageID")]
    pub next_req_message_id: String,
    /// Whether there is nothing older.
    pub is_completed: bool,
}
op!(GetMessageList, "getMessageList", MessageListReply);

/// Marks a conversation read (`setMessageRead`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SetMessageRead {
    /// The conversation.
    #[serde(rename = "conversationID", default)]
    pub conversation_id: String,
}

/// A reply carrying one conversation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConversationReply {
    /// The conversation.
    pub conversation: Conversation,
}
op!(SetMessageRead, "setMessageRead", ConversationReply);

/// A page of this user's conversations, in conversationID order (`getConversationList`).
/// Pages keep every frame small and stay stable while conversations change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetConversationList {
    /// Continue after this conversationID (from the previous page).
    pub after: Option<String>,
    /// Page size (server caps it at [`CONVERSATION_PAGE_MAX`]).
    pub count: u32,
}

/// Most conversations one [`GetConversationList`] page returns.
pub const CONVERSATION_PAGE_MAX: u32 = 500;

/// Reply to [`GetConversationList`] (and the list of conversations other calls changed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConversationListReply {
    /// The conversations.
    pub conversation_list: Vec<Conversation>,
    /// Whether this is the last page.
    pub is_completed: bool,
}
op!(
    GetConversationList,
    "getConversationList",
    ConversationListReply
);

/// One conversation (`getConversationProfile`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetConversationProfile {
    /// The conversation.
    #[serde(rename = "conversationID", default)]
    pub conversation_id: String,
}
op!(
    GetConversationProfile,
    "getConversationProfile",
    ConversationReply
);

/// An initial member of `createGroup`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupMemberInit {
    /// The member.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Only `Admin` may be given.
    pub role: Option<String>,
    /// `[{key, value}]`.
    pub member_custom_field: Vec<Value>,
}

/// Creates a group (`createGroup`, d.ts CREATE_GROUP_OPTIONS).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateGroup {
    /// Name (≤ 100 bytes).
    pub name: String,
    /// `TYPES.GRP_*`; Work when absent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Custom group ID.
    #[serde(rename = "groupID")]
    pub group_id: Option<String>,
    /// Introduction (≤ 400 bytes).
    pub introduction: Option<String>,
    /// Announcement (≤ 400 bytes).
    pub notification: Option<String>,
    /// Avatar URL (≤ 500 bytes).
    pub avatar: Option<String>,
    /// Member limit.
    pub max_member_num: Option<u64>,
    /// `TYPES.JOIN_OPTIONS_*`.
    pub join_option: Option<String>,
    /// `TYPES.INVITE_OPTIONS_*`.
    pub invite_option: Option<String>,
    /// Initial members (≤ 100).
    pub member_list: Vec<GroupMemberInit>,
    /// `[{key, value}]`.
    pub group_custom_field: Vec<Value>,
    /// Community with topics.
    pub is_support_topic: bool,
}

/// Reply to [`CreateGroup`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateGroupReply {
    /// The new group.
    pub group: Group,
    /// Members that could not be added because of their joined-group limit.
    #[serde(rename = "overLimitUserIDList")]
    pub over_limit_user_id_list: Vec<String>,
}
op!(CreateGroup, "createGroup", CreateGroupReply);

/// My groups (`getGroupList`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetGroupList {}

/// Reply to [`GetGroupList`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupListReply {
    /// The groups.
    pub group_list: Vec<Group>,
}
op!(GetGroupList, "getGroupList", GroupListReply);

/// A group's profile (`getGroupProfile`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetGroupProfile {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
}

/// A reply carrying one group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupReply {
    /// The group.
    pub group: Group,
}
op!(GetGroupProfile, "getGroupProfile", GroupReply);

/// Joins or applies to join a group (`joinGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JoinGroup {
    /// The group.
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Application text.
    pub apply_message: String,
}

/// Reply to [`JoinGroup`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JoinGroupReply {
    /// `TYPES.JOIN_STATUS_*`.
    pub status: String,
    /// The group when joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
}
op!(JoinGroup, "joinGroup", JoinGroupReply);

/// A request naming one group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupIdArg {
    /// The group.
    #[serde(rename = "groupID", default)]
    pub group_id: String,
}

/// Leaves a group (`quitGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QuitGroup(pub GroupIdArg);
op!(QuitGroup, "quitGroup", GroupIdArg);

/// Dismisses a group (`dismissGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DismissGroup(pub GroupIdArg);
op!(DismissGroup, "dismissGroup", GroupIdArg);

/// Per-conversation outcome of a batch operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConversationFailure {
    /// The conversation.
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// Why it failed.
    pub code: u32,
    /// Why it failed, for people.
    pub message: String,
}

/// Reply of the batch conversation operations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchReply {
    /// Conversations changed.
    #[serde(rename = "successConversationIDList")]
    pub success_conversation_id_list: Vec<String>,
    /// Conversations not changed, with why.
    #[serde(rename = "failureConversationIDList")]
    pub failure_conversation_id_list: Vec<ConversationFailure>,
    /// The changed conversations as they are now, for the calling SDK (it strips this).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updated: Vec<Conversation>,
}

/// A list of conversation IDs (`deleteConversation` reply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationIdList {
    /// The IDs.
    #[serde(rename = "conversationIDList", default)]
    pub conversation_id_list: Vec<String>,
}

/// A reply naming one conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationIdReply {
    /// The conversation.
    #[serde(rename = "conversationID", default)]
    pub conversation_id: String,
    /// The conversation as it is now, for the calling SDK (it strips this).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updated: Vec<Conversation>,
}

/// Deletes conversations (`deleteConversation`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteConversation {
    /// Up to 100 conversations.
    #[serde(rename = "conversationIDList")]
    pub conversation_id_list: Vec<String>,
    /// Also clear their history (the seed's default).
    pub clear_history_message: bool,
}
op!(DeleteConversation, "deleteConversation", ConversationIdList);

/// Clears a conversation's history for this user (`clearHistoryMessage`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClearHistoryMessage {
    /// The conversation.
    #[serde(rename = "conversationID", default)]
    pub conversation_id: String,
}
op!(
    ClearHistoryMessage,
    "clearHistoryMessage",
    ConversationReply
);

/// Pins or unpins (`pinConversation`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PinConversation {
    /// The conversation.
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// Pin or unpin.
    pub is_pinned: bool,
}
op!(PinConversation, "pinConversation", ConversationIdReply);

/// Marks every conversation of a scope read (`setAllMessageRead`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SetAllMessageRead {
    /// `TYPES.READ_ALL_*`.
    pub scope: String,
}
op!(
    SetAllMessageRead,
    "setAllMessageRead",
    ConversationListReply
);

/// Sets how conversations notify (`setMessageRemindType`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetMessageRemindType {
    /// A group (or topic).
    #[serde(rename = "groupID")]
    pub group_id: Option<String>,
    /// C2C peers (≤ 30).
    #[serde(rename = "userIDList")]
    pub user_id_list: Option<Vec<String>>,
    /// `TYPES.MSG_REMIND_*`.
    pub message_remind_type: String,
}

/// One failed user of [`SetMessageRemindType`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct UserFailure {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Why.
    pub code: u32,
    /// Why, for people.
    pub message: String,
}

/// A user named in a reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserRef {
    /// The user.
    #[serde(rename = "userID", default)]
    pub user_id: String,
}

/// Reply to [`SetMessageRemindType`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RemindTypeReply {
    /// Users set.
    #[serde(rename = "successUserIDList")]
    pub success_user_id_list: Vec<UserRef>,
    /// Users not set.
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<UserFailure>,
    /// The changed conversations as they are now, for the calling SDK (it strips this).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updated: Vec<Conversation>,
}
op!(
    SetMessageRemindType,
    "setMessageRemindType",
    RemindTypeReply
);

/// The global do-not-disturb setting (`setAllReceiveMessageOpt` arguments).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetAllReceiveMessageOpt {
    /// `AcceptNotNotify` (DND on) or `AcceptAndNotify` (off).
    pub message_remind_type: String,
    /// Start hour (0–23).
    pub start_hour: Option<u32>,
    /// Start minute (0–59).
    pub start_minute: Option<u32>,
    /// Start second (0–59).
    pub start_second: Option<u32>,
    /// Length in seconds.
    pub duration: Option<u64>,
    /// Daily (the default).
    pub is_repeated: Option<bool>,
    /// The client's UTC offset in seconds, so the start hour is the user's local hour.
    pub utc_offset: i64,
}
op!(
    SetAllReceiveMessageOpt,
    "setAllReceiveMessageOpt",
    ReceiveMessageOpt
);

/// The global do-not-disturb setting as stored (`getAllReceiveMessageOpt` reply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReceiveMessageOpt {
    /// `TYPES.MSG_REMIND_*`.
    pub message_remind_type: String,
    /// First start (unix seconds).
    pub start_time: u64,
    /// First end (unix seconds).
    pub end_time: u64,
    /// Daily.
    pub is_repeated: bool,
}

/// Reads the global do-not-disturb setting (`getAllReceiveMessageOpt`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetAllReceiveMessageOpt {}
op!(
    GetAllReceiveMessageOpt,
    "getAllReceiveMessageOpt",
    ReceiveMessageOpt
);

/// Sets conversations' custom data (`setConversationCustomData`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetConversationCustomData {
    /// The conversations.
    #[serde(rename = "conversationIDList")]
    pub conversation_id_list: Vec<String>,
    /// ≤ 256 bytes; '' clears.
    pub custom_data: String,
}
op!(
    SetConversationCustomData,
    "setConversationCustomData",
    BatchReply
);

/// Sets or clears a mark (`markConversation`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MarkConversation {
    /// The conversations.
    #[serde(rename = "conversationIDList")]
    pub conversation_id_list: Vec<String>,
    /// A built-in mark (1, 2, 4, 8) or 2^n with 32 ≤ n < 64.
    pub mark_type: u64,
    /// Set (true) or clear.
    pub enable_mark: bool,
}
op!(MarkConversation, "markConversation", BatchReply);

/// The names of this user's conversation groups (`getConversationGroupList`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetConversationGroupList {}
op!(
    GetConversationGroupList,
    "getConversationGroupList",
    Vec<String>
);

/// Creates a conversation group (`createConversationGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateConversationGroup {
    /// Its first conversations.
    #[serde(rename = "conversationIDList")]
    pub conversation_id_list: Vec<String>,
    /// Name (≤ 32 bytes).
    pub group_name: String,
}
op!(
    CreateConversationGroup,
    "createConversationGroup",
    BatchReply
);

/// Deletes a conversation group (`deleteConversationGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteConversationGroup {
    /// Name.
    pub group_name: String,
}
op!(DeleteConversationGroup, "deleteConversationGroup", Empty);

/// Renames a conversation group (`renameConversationGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RenameConversationGroup {
    /// Current name.
    pub old_name: String,
    /// New name (≤ 32 bytes).
    pub new_name: String,
}
op!(RenameConversationGroup, "renameConversationGroup", Empty);

/// Adds conversations to a conversation group (`addConversationsToGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddConversationsToGroup {
    /// The conversations.
    #[serde(rename = "conversationIDList")]
    pub conversation_id_list: Vec<String>,
    /// The group.
    pub group_name: String,
}
op!(
    AddConversationsToGroup,
    "addConversationsToGroup",
    BatchReply
);

/// Removes conversations from a conversation group (`deleteConversationsFromGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteConversationsFromGroup {
    /// The conversations.
    #[serde(rename = "conversationIDList")]
    pub conversation_id_list: Vec<String>,
    /// The group.
    pub group_name: String,
}
op!(
    DeleteConversationsFromGroup,
    "deleteConversationsFromGroup",
    BatchReply
);

/// Sends a signaling invitation (`invite` with `userID`, `inviteInGroup` with `groupID`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Invite {
    /// The invitee of a C2C invitation.
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    /// The group of a group invitation.
    #[serde(rename = "groupID")]
    pub group_id: Option<String>,
    /// Invitees of a group invitation.
    pub invitee_list: Vec<String>,
    /// Custom data (JSON with `excludeFromHistoryMessage: true` keeps it out of unread and
    /// last message).
    pub data: String,
    /// Seconds without an answer before INVITATION_TIMEOUT; 0 for none.
    pub timeout: u64,
    /// Online users only: nothing stored, no offline delivery.
    pub online_user_only: bool,
    /// Offline push settings (stored with the invitation).
    pub offline_push_info: Option<Value>,
}

/// Reply to [`Invite`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InviteReply {
    /// The new invitation's ID.
    #[serde(rename = "inviteID", default)]
    pub invite_id: String,
}
op!(Invite, "invite", InviteReply);

/// An action on an invitation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvitationAction {
    /// The invitation.
    #[serde(rename = "inviteID")]
    pub invite_id: String,
    /// Custom data.
    pub data: String,
}

/// The inviter cancels (`cancel`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CancelInvitation(pub InvitationAction);
op!(CancelInvitation, "cancel", InviteReply);

/// An invitee accepts (`accept`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AcceptInvitation(pub InvitationAction);
op!(AcceptInvitation, "accept", InviteReply);

/// An invitee rejects (`reject`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RejectInvitation(pub InvitationAction);
op!(RejectInvitation, "reject", InviteReply);

/// The inviter changes the data (`modifyInvitation`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModifyInvitation(pub InvitationAction);
op!(ModifyInvitation, "modifyInvitation", InviteReply);

/// Invitations waiting for this user's answer (fetched at login).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetPendingInvitations {}

/// Reply to [`GetPendingInvitations`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PendingInvitations {
    /// The invitations, oldest first.
    #[serde(default)]
    pub invitations: Vec<crate::model::Signaling>,
}
op!(
    GetPendingInvitations,
    "getPendingInvitations",
    PendingInvitations
);

/// What the server pushes without being asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
// Built once and serialized straight away, so the variant size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[serde(tag = "push", content = "data", rename_all = "camelCase")]
pub enum Push {
    /// A new message for this user (including their own, sent from another instance).
    Message {
        /// Inbox position; none for online-only messages, which are not stored.
        #[serde(rename = "inboxSeq")]
        inbox_seq: Option<u64>,
        /// The message from this user's side.
        message: Message,
        /// This user's conversation after the message.
        conversation: Option<Conversation>,
    },
    /// One of this user's conversations changed (e.g. read on another instance).
    Conversation {
        /// The conversation now.
        conversation: Conversation,
    },
    /// Several conversations changed or were deleted (settings, read-all, clears).
    Conversations {
        /// Conversations now.
        updated: Vec<Conversation>,
        /// Conversation IDs removed.
        deleted: Vec<String>,
    },
    /// The names of this user's conversation groups changed.
    ConversationGroups {
        /// All names now.
        #[serde(rename = "groupNameList")]
        group_name_list: Vec<String>,
    },
    /// Conversations joined or left a conversation group.
    ConversationInGroup {
        /// The conversation group.
        #[serde(rename = "groupName")]
        group_name: String,
        /// Its conversations now.
        #[serde(rename = "conversationList")]
        conversation_list: Vec<Conversation>,
    },
    /// The global do-not-disturb setting changed.
    ReceiveOpt {
        /// The setting now.
        opt: ReceiveMessageOpt,
    },
    /// An SDK event the server worked out whole (profiles, relations, follows, status): the
    /// SDK emits it as is.
    Event {
        /// `EVENT.*` value.
        name: String,
        /// `event.data`.
        data: Value,
    },
    /// This user's group list changed; the client refetches it.
    GroupsChanged {},
    /// The session is over; the server closes the socket after this.
    Kicked {
        /// `TYPES.KICKED_OUT_*`.
        #[serde(rename = "type")]
        kind: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_frames_are_tagged() {
        let p = Push::Kicked {
            kind: "multipleAccount".into(),
        };
        assert_eq!(
            serde_json::to_value(&p).expect("serializes"),
            json!({"push": "kicked", "data": {"type": "multipleAccount"}})
        );
        let back: Push =
            serde_json::from_value(json!({"push": "groupsChanged", "data": {}})).expect("parses");
        assert!(matches!(back, Push::GroupsChanged {}));
    }

    #[test]
    fn reply_round_trip() {
        let e = ImError::new(80002, "too big");
        let r = Reply::err(3, &e);
        let text = serde_json::to_string(&r).expect("serializes");
        let back: Reply = serde_json::from_str(&text).expect("parses");
        assert_eq!(back.into_result(), Err(e));
        assert_eq!(
            Reply::ok(1, json!({"a": 1})).into_result(),
            Ok(json!({"a": 1}))
        );
    }

    #[test]
    fn op_parse_names_the_op_on_error() {
        let e = SendMessage::parse(json!({"message": 5})).expect_err("must fail");
        assert!(e.message.starts_with("sendMessage:"), "{}", e.message);
    }
}
