//! Constant values of `TencentCloudChat.EVENT`, `TYPES` and `TSignaling`, as the shipped SDK has
//! them (data/constants.json), so existing code that compares against them keeps working.

use serde_json::Value;
use std::sync::OnceLock;

/// The raw constants file: `{"EVENT": {...}, "TYPES": {...}, "TSignaling": {...}}`.
pub const CONSTANTS_JSON: &str = include_str!("../data/constants.json");

/// The constants as JSON, parsed once; the bridge and the JS facade hand this out as is.
pub fn constants() -> &'static Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(CONSTANTS_JSON).unwrap_or(Value::Null))
}

/// Event names (`TencentCloudChat.EVENT.*`).
pub mod event {
    /// SDK_READY.
    pub const SDK_READY: &str = "sdkStateReady";
    /// SDK_NOT_READY.
    pub const SDK_NOT_READY: &str = "sdkStateNotReady";
    /// SDK_DESTROY.
    pub const SDK_DESTROY: &str = "sdkDestroy";
    /// MESSAGE_RECEIVED.
    pub const MESSAGE_RECEIVED: &str = "onMessageReceived";
    /// MESSAGE_REVOKED.
    pub const MESSAGE_REVOKED: &str = "onMessageRevoked";
    /// MESSAGE_MODIFIED.
    pub const MESSAGE_MODIFIED: &str = "onMessageModified";
    /// MESSAGE_READ_BY_PEER.
    pub const MESSAGE_READ_BY_PEER: &str = "onMessageReadByPeer";
    /// CONVERSATION_LIST_UPDATED.
    pub const CONVERSATION_LIST_UPDATED: &str = "onConversationListUpdated";
    /// TOTAL_UNREAD_MESSAGE_COUNT_UPDATED.
    pub const TOTAL_UNREAD_MESSAGE_COUNT_UPDATED: &str = "onTotalUnreadMessageCountUpdated";
    /// GROUP_LIST_UPDATED.
    pub const GROUP_LIST_UPDATED: &str = "onGroupListUpdated";
    /// KICKED_OUT.
    pub const KICKED_OUT: &str = "kickedOut";
    /// CONVERSATION_GROUP_LIST_UPDATED.
    pub const CONVERSATION_GROUP_LIST_UPDATED: &str = "onConversationGroupListUpdated";
    /// CONVERSATION_IN_GROUP_UPDATED.
    pub const CONVERSATION_IN_GROUP_UPDATED: &str = "onConversationInGroupUpdated";
    /// ALL_RECEIVE_MESSAGE_OPT_UPDATED.
    pub const ALL_RECEIVE_MESSAGE_OPT_UPDATED: &str = "onAllReceiveMessageOptUpdated";
    /// ERROR.
    pub const ERROR: &str = "error";
    /// TSignaling.NEW_INVITATION_RECEIVED.
    pub const NEW_INVITATION_RECEIVED: &str = "newInvitationReceived";
    /// TSignaling.INVITEE_ACCEPTED.
    pub const INVITEE_ACCEPTED: &str = "ts_invitee_accepted";
    /// TSignaling.INVITEE_REJECTED.
    pub const INVITEE_REJECTED: &str = "ts_invitee_rejected";
    /// TSignaling.INVITATION_CANCELLED.
    pub const INVITATION_CANCELLED: &str = "ts_invitation_cancelled";
    /// TSignaling.INVITATION_TIMEOUT.
    pub const INVITATION_TIMEOUT: &str = "ts_invitation_timeout";
    /// TSignaling.INVITATION_MODIFIED.
    pub const INVITATION_MODIFIED: &str = "ts_invitation_modified";
    /// NET_STATE_CHANGE.
    pub const NET_STATE_CHANGE: &str = "netStateChange";
}

/// Values of `TencentCloudChat.TYPES.*` that Pigeon's code branches on.
pub mod types {
    /// MSG_TEXT.
    pub const MSG_TEXT: &str = "TIMTextElem";
    /// MSG_IMAGE.
    pub const MSG_IMAGE: &str = "TIMImageElem";
    /// MSG_AUDIO / MSG_SOUND.
    pub const MSG_AUDIO: &str = "TIMSoundElem";
    /// MSG_FILE.
    pub const MSG_FILE: &str = "TIMFileElem";
    /// MSG_FACE.
    pub const MSG_FACE: &str = "TIMFaceElem";
    /// MSG_VIDEO.
    pub const MSG_VIDEO: &str = "TIMVideoFileElem";
    /// MSG_LOCATION.
    pub const MSG_LOCATION: &str = "TIMLocationElem";
    /// MSG_GRP_TIP.
    pub const MSG_GRP_TIP: &str = "TIMGroupTipElem";
    /// MSG_GRP_SYS_NOTICE.
    pub const MSG_GRP_SYS_NOTICE: &str = "TIMGroupSystemNoticeElem";
    /// MSG_CUSTOM.
    pub const MSG_CUSTOM: &str = "TIMCustomElem";
    /// MSG_MERGER.
    pub const MSG_MERGER: &str = "TIMRelayElem";
    /// MSG_PRIORITY_HIGH.
    pub const MSG_PRIORITY_HIGH: &str = "High";
    /// MSG_PRIORITY_NORMAL.
    pub const MSG_PRIORITY_NORMAL: &str = "Normal";
    /// MSG_PRIORITY_LOW.
    pub const MSG_PRIORITY_LOW: &str = "Low";
    /// MSG_PRIORITY_LOWEST.
    pub const MSG_PRIORITY_LOWEST: &str = "Lowest";
    /// CONV_C2C.
    pub const CONV_C2C: &str = "C2C";
    /// CONV_GROUP.
    pub const CONV_GROUP: &str = "GROUP";
    /// CONV_TOPIC.
    pub const CONV_TOPIC: &str = "TOPIC";
    /// CONV_SYSTEM: the system conversation, which nobody may send to.
    pub const CONV_SYSTEM: &str = "@TIM#SYSTEM";
    /// GRP_WORK (and GRP_PRIVATE).
    pub const GRP_WORK: &str = "Private";
    /// GRP_PUBLIC.
    pub const GRP_PUBLIC: &str = "Public";
    /// GRP_MEETING (and GRP_CHATROOM).
    pub const GRP_MEETING: &str = "ChatRoom";
    /// GRP_AVCHATROOM.
    pub const GRP_AVCHATROOM: &str = "AVChatRoom";
    /// GRP_COMMUNITY.
    pub const GRP_COMMUNITY: &str = "Community";
    /// GRP_MBR_ROLE_OWNER.
    pub const GRP_MBR_ROLE_OWNER: &str = "Owner";
    /// GRP_MBR_ROLE_ADMIN.
    pub const GRP_MBR_ROLE_ADMIN: &str = "Admin";
    /// GRP_MBR_ROLE_MEMBER.
    pub const GRP_MBR_ROLE_MEMBER: &str = "Member";
    /// GRP_TIP_MBR_JOIN.
    pub const GRP_TIP_MBR_JOIN: u32 = 1;
    /// GRP_TIP_MBR_QUIT.
    pub const GRP_TIP_MBR_QUIT: u32 = 2;
    /// MSG_REMIND_ACPT_AND_NOTE.
    pub const MSG_REMIND_ACPT_AND_NOTE: &str = "AcceptAndNotify";
    /// MSG_REMIND_ACPT_NOT_NOTE: receive without notifying.
    pub const MSG_REMIND_ACPT_NOT_NOTE: &str = "AcceptNotNotify";
    /// MSG_REMIND_DISCARD: do not receive.
    pub const MSG_REMIND_DISCARD: &str = "Discard";
    /// RECEIVE_WITH_OFFLINE_PUSH_EXCEPT_AT: receive without notifying, except @-mentions.
    pub const MSG_REMIND_NOT_NOTE_EXCEPT_AT: &str = "AcceptNotNotifyExceptAt";
    /// NOT_RECEIVE_MSG_EXCEPT_AT: receive only @-mentions.
    pub const MSG_REMIND_DISCARD_EXCEPT_AT: &str = "NotReceiveMsgExceptAt";
    /// CONV_AT_ME.
    pub const CONV_AT_ME: u32 = 1;
    /// CONV_AT_ALL.
    pub const CONV_AT_ALL: u32 = 2;
    /// CONV_AT_ALL_AT_ME.
    pub const CONV_AT_ALL_AT_ME: u32 = 3;
    /// CONV_MARK_TYPE_STAR.
    pub const CONV_MARK_TYPE_STAR: u64 = 1;
    /// CONV_MARK_TYPE_UNREAD.
    pub const CONV_MARK_TYPE_UNREAD: u64 = 2;
    /// CONV_MARK_TYPE_FOLD.
    pub const CONV_MARK_TYPE_FOLD: u64 = 4;
    /// CONV_MARK_TYPE_HIDE.
    pub const CONV_MARK_TYPE_HIDE: u64 = 8;
    /// READ_ALL_C2C_MSG.
    pub const READ_ALL_C2C_MSG: &str = "readAllC2CMessage";
    /// READ_ALL_GROUP_MSG.
    pub const READ_ALL_GROUP_MSG: &str = "readAllGroupMessage";
    /// READ_ALL_MSG.
    pub const READ_ALL_MSG: &str = "readAllMessage";
    /// JOIN_OPTIONS_FREE_ACCESS.
    pub const JOIN_OPTIONS_FREE_ACCESS: &str = "FreeAccess";
    /// JOIN_OPTIONS_NEED_PERMISSION.
    pub const JOIN_OPTIONS_NEED_PERMISSION: &str = "NeedPermission";
    /// JOIN_OPTIONS_DISABLE_APPLY.
    pub const JOIN_OPTIONS_DISABLE_APPLY: &str = "DisableApply";
    /// JOIN_STATUS_SUCCESS.
    pub const JOIN_STATUS_SUCCESS: &str = "JoinedSuccess";
    /// JOIN_STATUS_ALREADY_IN_GROUP.
    pub const JOIN_STATUS_ALREADY_IN_GROUP: &str = "AlreadyInGroup";
    /// JOIN_STATUS_WAIT_APPROVAL.
    pub const JOIN_STATUS_WAIT_APPROVAL: &str = "WaitAdminApproval";
    /// INVITE_OPTIONS_DISABLE_INVITE.
    pub const INVITE_OPTIONS_DISABLE_INVITE: &str = "DisableInvite";
    /// KICKED_OUT_MULT_ACCOUNT.
    pub const KICKED_OUT_MULT_ACCOUNT: &str = "multipleAccount";
    /// KICKED_OUT_MULT_DEVICE.
    pub const KICKED_OUT_MULT_DEVICE: &str = "multipleDevice";
    /// KICKED_OUT_USERSIG_EXPIRED.
    pub const KICKED_OUT_USERSIG_EXPIRED: &str = "userSigExpired";
    /// NET_STATE_CONNECTED.
    pub const NET_STATE_CONNECTED: &str = "connected";
    /// NET_STATE_CONNECTING.
    pub const NET_STATE_CONNECTING: &str = "connecting";
    /// NET_STATE_DISCONNECTED.
    pub const NET_STATE_DISCONNECTED: &str = "disconnected";
    /// MSG_AT_ALL: the @all marker in `atUserList`.
    pub const MSG_AT_ALL: &str = "__kImSDK_MesssageAtALL__";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Rust constants must agree with the shipped values, or code comparing them breaks.
    #[test]
    fn rust_constants_match_constants_json() {
        let c = constants();
        let ev = |k: &str| c["EVENT"][k].as_str().unwrap_or_default().to_owned();
        let ty = |k: &str| c["TYPES"][k].clone();
        assert_eq!(ev("SDK_READY"), event::SDK_READY);
        assert_eq!(ev("SDK_NOT_READY"), event::SDK_NOT_READY);
        assert_eq!(ev("MESSAGE_RECEIVED"), event::MESSAGE_RECEIVED);
        assert_eq!(
            ev("CONVERSATION_LIST_UPDATED"),
            event::CONVERSATION_LIST_UPDATED
        );
        assert_eq!(
            ev("TOTAL_UNREAD_MESSAGE_COUNT_UPDATED"),
            event::TOTAL_UNREAD_MESSAGE_COUNT_UPDATED
        );
        assert_eq!(ev("GROUP_LIST_UPDATED"), event::GROUP_LIST_UPDATED);
        assert_eq!(ev("KICKED_OUT"), event::KICKED_OUT);
        assert_eq!(ev("NET_STATE_CHANGE"), event::NET_STATE_CHANGE);
        assert_eq!(ev("SDK_DESTROY"), event::SDK_DESTROY);
        assert_eq!(ev("ERROR"), event::ERROR);
        assert_eq!(ev("MESSAGE_REVOKED"), event::MESSAGE_REVOKED);
        assert_eq!(ev("MESSAGE_MODIFIED"), event::MESSAGE_MODIFIED);
        assert_eq!(ev("MESSAGE_READ_BY_PEER"), event::MESSAGE_READ_BY_PEER);
        let sig = |k: &str| c["TSignaling"][k].as_str().unwrap_or_default().to_owned();
        assert_eq!(
            sig("NEW_INVITATION_RECEIVED"),
            event::NEW_INVITATION_RECEIVED
        );
        assert_eq!(sig("INVITEE_ACCEPTED"), event::INVITEE_ACCEPTED);
        assert_eq!(sig("INVITEE_REJECTED"), event::INVITEE_REJECTED);
        assert_eq!(sig("INVITATION_CANCELLED"), event::INVITATION_CANCELLED);
        assert_eq!(sig("INVITATION_TIMEOUT"), event::INVITATION_TIMEOUT);
        assert_eq!(sig("INVITATION_MODIFIED"), event::INVITATION_MODIFIED);
        assert_eq!(
            ev("CONVERSATION_GROUP_LIST_UPDATED"),
            event::CONVERSATION_GROUP_LIST_UPDATED
        );
        assert_eq!(
            ev("CONVERSATION_IN_GROUP_UPDATED"),
            event::CONVERSATION_IN_GROUP_UPDATED
        );
        assert_eq!(
            ev("ALL_RECEIVE_MESSAGE_OPT_UPDATED"),
            event::ALL_RECEIVE_MESSAGE_OPT_UPDATED
        );
        for (k, v) in [
            ("MSG_TEXT", types::MSG_TEXT),
            ("MSG_CUSTOM", types::MSG_CUSTOM),
            ("MSG_FACE", types::MSG_FACE),
            ("MSG_LOCATION", types::MSG_LOCATION),
            ("MSG_GRP_TIP", types::MSG_GRP_TIP),
            ("MSG_AT_ALL", types::MSG_AT_ALL),
            ("CONV_SYSTEM", types::CONV_SYSTEM),
            ("GRP_WORK", types::GRP_WORK),
            ("GRP_PUBLIC", types::GRP_PUBLIC),
            ("GRP_MEETING", types::GRP_MEETING),
            ("KICKED_OUT_MULT_ACCOUNT", types::KICKED_OUT_MULT_ACCOUNT),
            (
                "KICKED_OUT_USERSIG_EXPIRED",
                types::KICKED_OUT_USERSIG_EXPIRED,
            ),
            ("NET_STATE_CONNECTING", types::NET_STATE_CONNECTING),
            (
                "JOIN_STATUS_WAIT_APPROVAL",
                types::JOIN_STATUS_WAIT_APPROVAL,
            ),
            ("MSG_PRIORITY_NORMAL", types::MSG_PRIORITY_NORMAL),
            ("MSG_REMIND_ACPT_NOT_NOTE", types::MSG_REMIND_ACPT_NOT_NOTE),
            ("MSG_REMIND_DISCARD", types::MSG_REMIND_DISCARD),
            (
                "RECEIVE_WITH_OFFLINE_PUSH_EXCEPT_AT",
                types::MSG_REMIND_NOT_NOTE_EXCEPT_AT,
            ),
            (
                "NOT_RECEIVE_MSG_EXCEPT_AT",
                types::MSG_REMIND_DISCARD_EXCEPT_AT,
            ),
            ("READ_ALL_C2C_MSG", types::READ_ALL_C2C_MSG),
            ("READ_ALL_GROUP_MSG", types::READ_ALL_GROUP_MSG),
            ("READ_ALL_MSG", types::READ_ALL_MSG),
        ] {
            assert_eq!(ty(k), v, "TYPES.{k}");
        }
        for (k, v) in [
            ("CONV_AT_ME", u64::from(types::CONV_AT_ME)),
            ("CONV_AT_ALL", u64::from(types::CONV_AT_ALL)),
            ("CONV_AT_ALL_AT_ME", u64::from(types::CONV_AT_ALL_AT_ME)),
            ("CONV_MARK_TYPE_STAR", types::CONV_MARK_TYPE_STAR),
            ("CONV_MARK_TYPE_UNREAD", types::CONV_MARK_TYPE_UNREAD),
            ("CONV_MARK_TYPE_FOLD", types::CONV_MARK_TYPE_FOLD),
            ("CONV_MARK_TYPE_HIDE", types::CONV_MARK_TYPE_HIDE),
        ] {
            assert_eq!(ty(k), v, "TYPES.{k}");
        }
    }
}
