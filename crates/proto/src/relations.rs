//! Friends, friend applications, friend groups and the blacklist: the objects (Friend,
//! FriendApplication, FriendGroup with the d.ts field names), the constant values, the codes
//! and the wire operations. Each operation's wire name is its seed method name.

use crate::wire::{Empty, Op, UserFailure, UserRef};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `TencentCloudChat.EVENT.*` values of this module.
pub mod event {
    /// FRIEND_LIST_UPDATED: `Friend[]`, the whole list.
    pub const FRIEND_LIST_UPDATED: &str = "onFriendListUpdated";
    /// FRIEND_APPLICATION_LIST_UPDATED: `{friendApplicationList, unreadCount}`.
    pub const FRIEND_APPLICATION_LIST_UPDATED: &str = "onFriendApplicationListUpdated";
    /// FRIEND_GROUP_LIST_UPDATED: `FriendGroup[]`, every group.
    pub const FRIEND_GROUP_LIST_UPDATED: &str = "onFriendGroupListUpdated";
    /// BLACKLIST_UPDATED: `userID[]`, the whole blacklist.
    pub const BLACKLIST_UPDATED: &str = "blacklistUpdated";
}

/// `TencentCloudChat.TYPES.*` values of this module.
pub mod types {
    /// ALLOW_TYPE_ALLOW_ANY: anyone becomes my friend at once.
    pub const ALLOW_TYPE_ALLOW_ANY: &str = "AllowType_Type_AllowAny";
    /// ALLOW_TYPE_NEED_CONFIRM: a friend request waits for my answer (the default).
    pub const ALLOW_TYPE_NEED_CONFIRM: &str = "AllowType_Type_NeedConfirm";
    /// ALLOW_TYPE_DENY_ANY: every friend request is refused.
    pub const ALLOW_TYPE_DENY_ANY: &str = "AllowType_Type_DenyAny";
    /// SNS_ADD_TYPE_SINGLE: only the adder's list gains the other.
    pub const SNS_ADD_TYPE_SINGLE: &str = "Add_Type_Single";
    /// SNS_ADD_TYPE_BOTH: both lists (the default).
    pub const SNS_ADD_TYPE_BOTH: &str = "Add_Type_Both";
    /// SNS_DELETE_TYPE_SINGLE: only the deleter's list loses the other.
    pub const SNS_DELETE_TYPE_SINGLE: &str = "Delete_Type_Single";
    /// SNS_DELETE_TYPE_BOTH: both lists (the default).
    pub const SNS_DELETE_TYPE_BOTH: &str = "Delete_Type_Both";
    /// SNS_CHECK_TYPE_SINGLE: only whether my list has them.
    pub const SNS_CHECK_TYPE_SINGLE: &str = "CheckResult_Type_Single";
    /// SNS_CHECK_TYPE_BOTH: both directions (the default).
    pub const SNS_CHECK_TYPE_BOTH: &str = "CheckResult_Type_Both";
    /// SNS_TYPE_NO_RELATION.
    pub const SNS_TYPE_NO_RELATION: &str = "CheckResult_Type_NoRelation";
    /// SNS_TYPE_A_WITH_B: my list has them.
    pub const SNS_TYPE_A_WITH_B: &str = "CheckResult_Type_AWithB";
    /// SNS_TYPE_B_WITH_A: their list has me, mine lacks them.
    pub const SNS_TYPE_B_WITH_A: &str = "CheckResult_Type_BWithA";
    /// SNS_TYPE_BOTH_WAY: mutual friends.
    pub const SNS_TYPE_BOTH_WAY: &str = "CheckResult_Type_BothWay";
    /// SNS_APPLICATION_SENT_TO_ME.
    pub const SNS_APPLICATION_SENT_TO_ME: &str = "Pendency_Type_ComeIn";
    /// SNS_APPLICATION_SENT_BY_ME.
    pub const SNS_APPLICATION_SENT_BY_ME: &str = "Pendency_Type_SendOut";
    /// SNS_APPLICATION_AGREE: the applicant's list gains me.
    pub const SNS_APPLICATION_AGREE: &str = "Response_Action_Agree";
    /// SNS_APPLICATION_AGREE_AND_ADD: both lists.
    pub const SNS_APPLICATION_AGREE_AND_ADD: &str = "Response_Action_AgreeAndAdd";
}

/// Codes of this module (docs/errors.md, "Friends and blacklist").
pub mod code {
    /// The other user is not in my friend list (shipped SDK NOT_MY_FRIEND).
    pub const NOT_MY_FRIEND: u32 = 2700;
    /// The other user is already in my friend list (shipped SDK ALREADY_MY_FRIEND).
    pub const ALREADY_MY_FRIEND: u32 = 2701;
    /// A friend group by that name exists (shipped SDK FRIEND_GRP_EXISTED).
    pub const FRIEND_GRP_EXISTED: u32 = 2710;
    /// No friend group by that name (shipped SDK FRIEND_GRP_NOT_EXIST).
    pub const FRIEND_GRP_NOT_EXIST: u32 = 2711;
    /// No such friend application (shipped SDK FRIEND_APPLICATION_NOT_EXIST).
    pub const FRIEND_APPLICATION_NOT_EXIST: u32 = 2716;
    /// Blocking oneself (shipped SDK CANNOT_ADD_SELF_TO_BLACKLIST).
    pub const CANNOT_ADD_SELF_TO_BLACKLIST: u32 = 2742;
    /// A C2C message to someone who has blocked the sender (Tencent server code).
    pub const BLOCKED_BY_PEER: u32 = 20007;
    /// Friend check on: neither user has the other as a friend (seed).
    pub const NOT_FRIENDS: u32 = 20009;
    /// Friend check on: the recipient's list lacks the sender (Tencent server code).
    pub const NOT_FRIEND_OF_PEER: u32 = 20010;
    /// Friend check on: the sender's list lacks the recipient (Tencent server code).
    pub const PEER_NOT_MY_FRIEND: u32 = 20011;
    /// addFriend result: the target must confirm; an application was made (seed).
    pub const APPLICATION_PENDING: u32 = 30539;
    /// addFriend to someone I have blocked (Tencent server code).
    pub const PEER_IN_MY_BLACKLIST: u32 = 30515;
    /// addFriend to someone whose allowType is DenyAny (Tencent server code).
    pub const PEER_DENIES_ANY: u32 = 30516;
    /// addFriend to someone who has blocked me (Tencent server code).
    pub const IN_PEER_BLACKLIST: u32 = 30525;
}

/// One `friendCustomField` entry: a `Tag_SNS_Custom_*` key and its string value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct FriendCustomField {
    /// `Tag_SNS_Custom_<name>`.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A friend (d.ts `Friend`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Friend {
    /// The friend.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// My remark for them.
    pub remark: String,
    /// My friend groups they are in.
    pub group_list: Vec<String>,
    /// How they were added (`AddSource_Type_*`).
    pub source: String,
    /// The request's wording.
    pub wording: String,
    /// Their profile (`{userID, nick, avatar}` until profiles fill in the rest).
    pub profile: Value,
    /// `[{key, value}]`.
    pub friend_custom_field: Vec<FriendCustomField>,
}

/// A friend application (d.ts `FriendApplication`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FriendApplication {
    /// The applicant when sent to me, the target when sent by me.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Their avatar.
    pub avatar: String,
    /// Their nick.
    pub nick: String,
    /// When it was made (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time: u64,
    /// `AddSource_Type_*`.
    pub source: String,
    /// The applicant's message.
    pub wording: String,
    /// `TYPES.SNS_APPLICATION_SENT_TO_ME` or `SNS_APPLICATION_SENT_BY_ME`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A friend group (d.ts `FriendGroup`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FriendGroup {
    /// Its name.
    pub name: String,
    /// Its friends.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    /// How many.
    pub count: usize,
}

macro_rules! op {
    ($ty:ident, $name:literal, $reply:ty) => {
        impl Op for $ty {
            const NAME: &'static str = $name;
            type Reply = $reply;
        }
    };
}

/// My friends (`getFriendList`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetFriendList {}
op!(GetFriendList, "getFriendList", Vec<Friend>);

/// Adds a friend or applies to (`addFriend`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddFriend {
    /// The user to add.
    pub to: String,
    /// `AddSource_Type_` + 1 to 8 letters.
    pub source: String,
    /// Request message (≤ 256 bytes).
    pub wording: String,
    /// `TYPES.SNS_ADD_TYPE_*`; both when absent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// My remark for them (≤ 96 bytes).
    pub remark: String,
    /// My friend group to put them in (≤ 30 bytes), made when missing.
    pub group_name: String,
}

/// Reply to [`AddFriend`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct AddFriendReply {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// 0 added, 30539 waiting for their confirmation.
    pub code: u32,
    /// What happened, for people.
    pub message: String,
}
op!(AddFriend, "addFriend", AddFriendReply);

/// Deletes friends (`deleteFriend`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeleteFriend {
    /// Up to 100 users.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    /// `TYPES.SNS_DELETE_TYPE_*`; both when absent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Per-user outcome of a batch call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct UserResults {
    /// Users done.
    #[serde(rename = "successUserIDList")]
    pub success_user_id_list: Vec<UserRef>,
    /// Users not done, with why.
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<UserFailure>,
}
op!(DeleteFriend, "deleteFriend", UserResults);

/// Checks relations (`checkFriend`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckFriend {
    /// Up to 1000 users.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    /// `TYPES.SNS_CHECK_TYPE_*`; both when absent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// One checked user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct CheckResult {
    /// The user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Always 0.
    pub code: u32,
    /// `TYPES.SNS_TYPE_*`.
    pub relation: String,
}

/// Reply to [`CheckFriend`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct CheckFriendReply {
    /// Users checked.
    #[serde(rename = "successUserIDList")]
    pub success_user_id_list: Vec<CheckResult>,
    /// Users not checked (malformed IDs), with why.
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<UserFailure>,
}
op!(CheckFriend, "checkFriend", CheckFriendReply);

/// A request naming users.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserIdList {
    /// The users.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

/// Friends' data (`getFriendProfile`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetFriendProfile(pub UserIdList);

/// Reply to [`GetFriendProfile`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FriendProfileReply {
    /// The friends asked for.
    pub friend_list: Vec<Friend>,
    /// Users that are not my friends, with why.
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<UserFailure>,
}
op!(GetFriendProfile, "getFriendProfile", FriendProfileReply);

/// Changes a friend's remark or custom fields (`updateFriend`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateFriend {
    /// The friend.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// New remark (≤ 96 bytes); unchanged when absent.
    pub remark: Option<String>,
    /// Fields to set; the others stay.
    pub friend_custom_field: Option<Vec<FriendCustomField>>,
}
op!(UpdateFriend, "updateFriend", Friend);

/// My friend applications, both ways (`getFriendApplicationList`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetFriendApplicationList {}

/// Reply to [`GetFriendApplicationList`] and data of FRIEND_APPLICATION_LIST_UPDATED.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FriendApplicationList {
    /// Applications to me and by me, newest first.
    pub friend_application_list: Vec<FriendApplication>,
    /// Applications to me not yet read.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unread_count: u64,
}
op!(
    GetFriendApplicationList,
    "getFriendApplicationList",
    FriendApplicationList
);

/// Accepts an application (`acceptFriendApplication`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AcceptFriendApplication {
    /// The applicant.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// My remark for them (≤ 96 bytes), with AgreeAndAdd.
    pub remark: String,
    /// `TYPES.SNS_APPLICATION_AGREE` or `SNS_APPLICATION_AGREE_AND_ADD`.
    #[serde(rename = "type")]
    pub kind: String,
}
op!(AcceptFriendApplication, "acceptFriendApplication", UserRef);

/// Refuses an application (`refuseFriendApplication`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefuseFriendApplication(pub UserRef);
op!(RefuseFriendApplication, "refuseFriendApplication", UserRef);

/// Deletes an application to me or by me (`deleteFriendApplication`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeleteFriendApplication {
    /// The other user.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// `TYPES.SNS_APPLICATION_SENT_TO_ME` or `SNS_APPLICATION_SENT_BY_ME`.
    #[serde(rename = "type")]
    pub kind: String,
}
op!(DeleteFriendApplication, "deleteFriendApplication", UserRef);

/// Marks the applications to me read (`setFriendApplicationRead`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SetFriendApplicationRead {}
op!(SetFriendApplicationRead, "setFriendApplicationRead", Empty);

/// My friend groups (`getFriendGroupList`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetFriendGroupList {}
op!(GetFriendGroupList, "getFriendGroupList", Vec<FriendGroup>);

/// A friend group and users (create, add, remove).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FriendGroupUsers {
    /// The group (1 to 30 bytes).
    pub name: String,
    /// The friends.
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

/// Reply to the friend group membership calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct FriendGroupReply {
    /// The group now.
    pub friend_group: FriendGroup,
    /// Users left out (not my friends), with why.
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<UserFailure>,
}

/// Creates a friend group (`createFriendGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateFriendGroup(pub FriendGroupUsers);
op!(CreateFriendGroup, "createFriendGroup", FriendGroupReply);

/// Adds friends to a friend group (`addToFriendGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AddToFriendGroup(pub FriendGroupUsers);
op!(AddToFriendGroup, "addToFriendGroup", FriendGroupReply);

/// Takes friends out of a friend group (`removeFromFriendGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RemoveFromFriendGroup(pub FriendGroupUsers);
op!(
    RemoveFromFriendGroup,
    "removeFromFriendGroup",
    FriendGroupReply
);

/// Deletes a friend group (`deleteFriendGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeleteFriendGroup {
    /// The group.
    pub name: String,
}
op!(DeleteFriendGroup, "deleteFriendGroup", FriendGroup);

/// Renames a friend group (`renameFriendGroup`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RenameFriendGroup {
    /// Current name.
    pub old_name: String,
    /// New name (1 to 30 bytes).
    pub new_name: String,
}
op!(RenameFriendGroup, "renameFriendGroup", FriendGroup);

/// My blacklist (`getBlacklist`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetBlacklist {}
op!(GetBlacklist, "getBlacklist", Vec<String>);

/// Blocks users (`addToBlacklist`); replies the whole blacklist.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AddToBlacklist(pub UserIdList);
op!(AddToBlacklist, "addToBlacklist", Vec<String>);

/// Unblocks users (`removeFromBlacklist`); replies the whole blacklist.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RemoveFromBlacklist(pub UserIdList);
op!(RemoveFromBlacklist, "removeFromBlacklist", Vec<String>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::constants;
    use serde_json::json;

    #[test]
    fn constants_match_the_shipped_sdk() {
        let c = constants();
        for (k, v) in [
            ("FRIEND_LIST_UPDATED", event::FRIEND_LIST_UPDATED),
            (
                "FRIEND_APPLICATION_LIST_UPDATED",
                event::FRIEND_APPLICATION_LIST_UPDATED,
            ),
            (
                "FRIEND_GROUP_LIST_UPDATED",
                event::FRIEND_GROUP_LIST_UPDATED,
            ),
            ("BLACKLIST_UPDATED", event::BLACKLIST_UPDATED),
        ] {
            assert_eq!(c["EVENT"][k], v, "EVENT.{k}");
        }
        for (k, v) in [
            ("ALLOW_TYPE_ALLOW_ANY", types::ALLOW_TYPE_ALLOW_ANY),
            ("ALLOW_TYPE_NEED_CONFIRM", types::ALLOW_TYPE_NEED_CONFIRM),
            ("ALLOW_TYPE_DENY_ANY", types::ALLOW_TYPE_DENY_ANY),
            ("SNS_ADD_TYPE_SINGLE", types::SNS_ADD_TYPE_SINGLE),
            ("SNS_ADD_TYPE_BOTH", types::SNS_ADD_TYPE_BOTH),
            ("SNS_DELETE_TYPE_SINGLE", types::SNS_DELETE_TYPE_SINGLE),
            ("SNS_DELETE_TYPE_BOTH", types::SNS_DELETE_TYPE_BOTH),
            ("SNS_CHECK_TYPE_SINGLE", types::SNS_CHECK_TYPE_SINGLE),
            ("SNS_CHECK_TYPE_BOTH", types::SNS_CHECK_TYPE_BOTH),
            ("SNS_TYPE_NO_RELATION", types::SNS_TYPE_NO_RELATION),
            ("SNS_TYPE_A_WITH_B", types::SNS_TYPE_A_WITH_B),
            ("SNS_TYPE_B_WITH_A", types::SNS_TYPE_B_WITH_A),
            ("SNS_TYPE_BOTH_WAY", types::SNS_TYPE_BOTH_WAY),
            (
                "SNS_APPLICATION_SENT_TO_ME",
                types::SNS_APPLICATION_SENT_TO_ME,
            ),
            (
                "SNS_APPLICATION_SENT_BY_ME",
                types::SNS_APPLICATION_SENT_BY_ME,
            ),
            ("SNS_APPLICATION_AGREE", types::SNS_APPLICATION_AGREE),
            (
                "SNS_APPLICATION_AGREE_AND_ADD",
                types::SNS_APPLICATION_AGREE_AND_ADD,
            ),
        ] {
            assert_eq!(c["TYPES"][k], v, "TYPES.{k}");
        }
    }

    #[test]
    fn sdk_side_codes_match_the_shipped_sdk() {
        let shipped: Value =
            serde_json::from_str(include_str!("../data/error-codes.json")).expect("valid json");
        for (name, ours) in [
            ("NOT_MY_FRIEND", code::NOT_MY_FRIEND),
            ("ALREADY_MY_FRIEND", code::ALREADY_MY_FRIEND),
            ("FRIEND_GRP_EXISTED", code::FRIEND_GRP_EXISTED),
            ("FRIEND_GRP_NOT_EXIST", code::FRIEND_GRP_NOT_EXIST),
            (
                "FRIEND_APPLICATION_NOT_EXIST",
                code::FRIEND_APPLICATION_NOT_EXIST,
            ),
            (
                "CANNOT_ADD_SELF_TO_BLACKLIST",
                code::CANNOT_ADD_SELF_TO_BLACKLIST,
            ),
        ] {
            assert_eq!(
                shipped["codes"][name].as_u64(),
                Some(u64::from(ours)),
                "{name}"
            );
        }
    }

    #[test]
    fn objects_have_the_dts_field_names() {
        let f = Friend {
            user_id: "bob".into(),
            friend_custom_field: vec![FriendCustomField {
                key: "Tag_SNS_Custom_a".into(),
                value: "1".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&f).expect("serializes"),
            json!({"userID": "bob", "remark": "", "groupList": [], "source": "", "wording": "",
                   "profile": null, "friendCustomField": [{"key": "Tag_SNS_Custom_a", "value": "1"}]})
        );
        let a = FriendApplication {
            kind: types::SNS_APPLICATION_SENT_TO_ME.into(),
            ..Default::default()
        };
        let v = serde_json::to_value(&a).expect("serializes");
        for k in [
            "userID", "avatar", "nick", "time", "source", "wording", "type",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        let g = serde_json::to_value(FriendGroup::default()).expect("serializes");
        assert_eq!(g, json!({"name": "", "userIDList": [], "count": 0}));
    }

    #[test]
    fn requests_parse_from_seed_options() {
        let a = AddFriend::parse(json!({"to": "bob", "source": "AddSource_Type_Web",
            "type": "Add_Type_Single", "groupName": "g"}))
        .expect("parses");
        assert_eq!(a.kind.as_deref(), Some(types::SNS_ADD_TYPE_SINGLE));
        assert_eq!(a.group_name, "g");
        let u = UpdateFriend::parse(json!({"userID": "bob",
            "friendCustomField": [{"key": "Tag_SNS_Custom_x", "value": "y"}]}))
        .expect("parses");
        assert_eq!(u.remark, None);
        assert_eq!(u.friend_custom_field.map(|f| f.len()), Some(1));
        let e = DeleteFriend::parse(json!({"userIDList": "bob"})).expect_err("not a list");
        assert!(e.message.starts_with("deleteFriend:"), "{}", e.message);
        let r = RenameFriendGroup::parse(json!({"oldName": "a", "newName": "b"})).expect("parses");
        assert_eq!((r.old_name.as_str(), r.new_name.as_str()), ("a", "b"));
    }
}
