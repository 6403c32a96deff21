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
    /// CONVERSATION_LIST_UPDATED.
    pub const CONVERSATION_LIST_UPDATED: &str = "onConversationListUpdated";
    /// TOTAL_UNREAD_MESSAGE_COUNT_UPDATED.
    pub const TOTAL_UNREAD_MESSAGE_COUNT_UPDATED: &str = "onTotalUnreadMessageCountUpdated";
    /// GROUP_LIST_UPDATED.
    pub const GROUP_LIST_UPDATED: &str = "onGroupListUpdated";
    /// KICKED_OUT.
    pub const KICKED_OUT: &str = "kickedOut";
    /// ERROR.
    pub const ERROR: &str = "error";
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
        ] {
            assert_eq!(ty(k), v, "TYPES.{k}");
        }
    }
}
