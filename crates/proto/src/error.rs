//! `imError`: every failure crosses the wire, the bridge and IPC as `{code, message}` with a stable
//! numeric code (docs/errors.md), so callers branch on numbers, never on strings.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Result with an [`ImError`].
pub type Result<T, E = ImError> = std::result::Result<T, E>;

/// An imError: a numeric code, a human message, and sometimes data (e.g. the conflicting message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("imError {code}: {message}")]
pub struct ImError {
    /// Stable numeric code (see docs/errors.md).
    pub code: u32,
    /// What went wrong, for people.
    pub message: String,
    /// Extra data some errors carry (`imError.data` in the seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub data: Option<Value>,
}

impl ImError {
    /// An error with a code and message.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches `imError.data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// A bad argument to an SDK method.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_ARGUMENT, message)
    }

    /// An unexpected failure on our side (storage, internal channel closed).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(code::INTERNAL, message)
    }
}

/// The numeric codes. SDK-side ones are the shipped SDK's (data/error-codes.json); server-side
/// ones are the seed's where it names them, Tencent's documented server codes otherwise.
pub mod code {
    /// A seed method Pigeon does not implement yet (bridge contract).
    pub const NOT_IMPLEMENTED: u32 = 404;
    /// A method name that is not a seed method at all.
    pub const UNKNOWN_METHOD: u32 = 405;
    /// A request line or frame that is not valid JSON or lacks `id`/`method`.
    pub const MALFORMED_REQUEST: u32 = 400;
    /// Bad argument types or values (shipped SDK: INVALID_OPERATION).
    pub const INVALID_ARGUMENT: u32 = 2905;
    /// Internal failure (shipped SDK: UNCAUGHT_ERROR).
    pub const INTERNAL: u32 = 2903;
    /// login without userID (NO_IDENTIFIER).
    pub const NO_IDENTIFIER: u32 = 2002;
    /// login without userSig (NO_USERSIG).
    pub const NO_USERSIG: u32 = 2003;
    /// An authenticated call before login (USER_NOT_LOGGED_IN).
    pub const USER_NOT_LOGGED_IN: u32 = 2024;
    /// login while already logged in as another user (REPEAT_LOGIN).
    pub const REPEAT_LOGIN: u32 = 2025;
    /// Sending failed (MSG_SEND_FAIL).
    pub const MSG_SEND_FAIL: u32 = 2100;
    /// sendMessage without a Message (MSG_INSTANCE_REQUIRED).
    pub const MSG_INSTANCE_REQUIRED: u32 = 2105;
    /// Sending to the system conversation or an unknown conversation type (MSG_INVALID_CONV_TYPE).
    pub const MSG_INVALID_CONV_TYPE: u32 = 2106;
    /// A conversation group name already used.
    pub const CONV_GROUP_EXISTS: u32 = 51008;
    /// No conversation group by that name.
    pub const CONV_GROUP_NOT_FOUND: u32 = 51009;
    /// Unknown, ended or timed-out invitation (SIGNALING_INVALID_INVITE_ID).
    pub const SIGNALING_INVALID_INVITE_ID: u32 = 8010;
    /// The caller may not take this action on the invitation (SIGNALING_NO_PERMISSION).
    pub const SIGNALING_NO_PERMISSION: u32 = 8011;
    /// The invitee already answered (SIGNALING_ALREADY_EXISTS).
    pub const SIGNALING_ALREADY_ANSWERED: u32 = 8012;
    /// Sending to a topic-enabled community itself (MSG_SEND_GRP_WITH_TOPIC_FAIL).
    pub const MSG_SEND_GRP_WITH_TOPIC_FAIL: u32 = 2115;
    /// Unknown conversation (CONV_NOT_FOUND).
    pub const CONV_NOT_FOUND: u32 = 2500;
    /// Malformed conversation ID (INVALID_CONV_ID).
    pub const INVALID_CONV_ID: u32 = 2503;
    /// Unknown group type (ILLEGAL_GRP_TYPE).
    pub const ILLEGAL_GRP_TYPE: u32 = 2600;
    /// Malformed group ID (ILLEGAL_GRP_ID).
    pub const ILLEGAL_GRP_ID: u32 = 2602;
    /// No connection to the server (NETWORK_ERROR).
    pub const NETWORK_ERROR: u32 = 2800;
    /// The server did not answer in time (NETWORK_TIMEOUT).
    pub const NETWORK_TIMEOUT: u32 = 2801;
    /// An authenticated call before SDK_READY (SDK_IS_NOT_READY).
    pub const SDK_IS_NOT_READY: u32 = 2999;
    /// Login refused for a reason other than the UserSig (LOGIN_FAILED).
    pub const LOGIN_FAILED: u32 = 3001;
    /// Rate limit hit (OVER_FREQUENCY_LIMIT).
    pub const OVER_FREQUENCY_LIMIT: u32 = 2996;
    /// UserSig expired.
    pub const USERSIG_EXPIRED: u32 = 70001;
    /// UserSig is not a valid TLSSigAPIv2 token.
    pub const USERSIG_MALFORMED: u32 = 70003;
    /// UserSig signature does not verify with this app's key.
    pub const USERSIG_BAD_SIGNATURE: u32 = 70009;
    /// UserSig was made for another user.
    pub const USERSIG_USER_MISMATCH: u32 = 70013;
    /// UserSig was made for another SDKAppID.
    pub const USERSIG_APPID_MISMATCH: u32 = 70014;
    /// Message body over 12 KB (seed, sendMessage).
    pub const MSG_TOO_LONG: u32 = 80002;
    /// Server-side: malformed request (Tencent 10003 / 10004 style invalid parameters).
    pub const SERVER_INVALID_PARAM: u32 = 10004;
    /// Server-side: the operator has no permission (e.g. not a member, not the owner).
    pub const GROUP_NO_PERMISSION: u32 = 10007;
    /// The owner may not quit this kind of group.
    pub const GROUP_OWNER_CANNOT_QUIT: u32 = 10009;
    /// The group does not exist or was dismissed.
    pub const GROUP_NOT_FOUND: u32 = 10010;
    /// The group is full.
    pub const GROUP_FULL: u32 = 10014;
    /// The group ID is malformed.
    pub const GROUP_ID_INVALID: u32 = 10015;
    /// The custom group ID is taken.
    pub const GROUP_ID_TAKEN: u32 = 10021;
    /// A message ID already used by another sender.
    pub const MSG_ID_CONFLICT: u32 = 20001;
    /// Server-side internal error.
    pub const SERVER_INTERNAL: u32 = 10002;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where Pigeon raises one of the shipped SDK's conditions, it must use the shipped number.
    #[test]
    fn sdk_side_codes_match_shipped_sdk() {
        let shipped: Value =
            serde_json::from_str(include_str!("../data/error-codes.json")).expect("valid json");
        let c = &shipped["codes"];
        for (name, ours) in [
            ("NO_IDENTIFIER", code::NO_IDENTIFIER),
            ("NO_USERSIG", code::NO_USERSIG),
            ("USER_NOT_LOGGED_IN", code::USER_NOT_LOGGED_IN),
            ("REPEAT_LOGIN", code::REPEAT_LOGIN),
            ("MSG_SEND_FAIL", code::MSG_SEND_FAIL),
            ("MSG_INSTANCE_REQUIRED", code::MSG_INSTANCE_REQUIRED),
            ("MSG_INVALID_CONV_TYPE", code::MSG_INVALID_CONV_TYPE),
            ("CONV_NOT_FOUND", code::CONV_NOT_FOUND),
            ("INVALID_CONV_ID", code::INVALID_CONV_ID),
            ("ILLEGAL_GRP_TYPE", code::ILLEGAL_GRP_TYPE),
            ("ILLEGAL_GRP_ID", code::ILLEGAL_GRP_ID),
            ("NETWORK_ERROR", code::NETWORK_ERROR),
            ("NETWORK_TIMEOUT", code::NETWORK_TIMEOUT),
            ("SDK_IS_NOT_READY", code::SDK_IS_NOT_READY),
            ("LOGIN_FAILED", code::LOGIN_FAILED),
            ("INVALID_OPERATION", code::INVALID_ARGUMENT),
            ("UNCAUGHT_ERROR", code::INTERNAL),
            ("OVER_FREQUENCY_LIMIT", code::OVER_FREQUENCY_LIMIT),
            (
                "MSG_SEND_GRP_WITH_TOPIC_FAIL",
                code::MSG_SEND_GRP_WITH_TOPIC_FAIL,
            ),
            (
                "SIGNALING_INVALID_INVITE_ID",
                code::SIGNALING_INVALID_INVITE_ID,
            ),
            ("SIGNALING_NO_PERMISSION", code::SIGNALING_NO_PERMISSION),
            ("SIGNALING_ALREADY_EXISTS", code::SIGNALING_ALREADY_ANSWERED),
        ] {
            assert_eq!(c[name].as_u64(), Some(u64::from(ours)), "{name}");
        }
    }

    #[test]
    fn serializes_as_code_and_message() {
        let e = ImError::new(80002, "too long");
        assert_eq!(
            serde_json::to_value(&e).expect("serializes"),
            serde_json::json!({"code": 80002, "message": "too long"})
        );
    }
}
