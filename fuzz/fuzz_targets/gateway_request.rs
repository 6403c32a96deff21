//! The gateway's request path without sockets: a text frame's bytes through
//! `gateway::decode_request`, then its `data` through every operation's `parse`, as
//! `dispatch` would. Nothing may panic, and every refusal must be a 400 reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pigeon_proto::wire::Op;
use serde_json::Value;

/// Parses `data` as every op (the matching one first, as `dispatch` does).
macro_rules! parse_all {
    ($op:expr, $data:expr; $($ty:ty),* $(,)?) => {{
        let mut known = false;
        $(
            if $op == <$ty as Op>::NAME {
                known = true;
            }
            if let Ok(parsed) = <$ty>::parse($data.clone()) {
                // A parsed op must serialize again (replies and logs do).
                let _ = serde_json::to_string(&parsed);
            }
        )*
        known
    }};
}

fuzz_target!(|data: &[u8]| {
    match pigeon_server::gateway::decode_request(data) {
        Ok(req) => {
            let data: Value = req.data;
            let _known = parse_all!(req.op.as_str(), data;
            pigeon_proto::files::UploadTicket,
            pigeon_proto::follows::FollowUsers,
            pigeon_proto::follows::UnfollowUsers,
            pigeon_proto::follows::GetFollowList,
            pigeon_proto::follows::GetUserFollowInfo,
            pigeon_proto::follows::CheckFollowType,
            pigeon_proto::group_admin::UpdateGroupProfile,
            pigeon_proto::group_admin::SearchGroupById,
            pigeon_proto::group_admin::GetGroupOnlineMemberCount,
            pigeon_proto::group_admin::ChangeGroupOwner,
            pigeon_proto::group_admin::GetGroupApplicationList,
            pigeon_proto::group_admin::HandleGroupApplication,
            pigeon_proto::group_admin::InitGroupAttributes,
            pigeon_proto::group_admin::SetGroupAttributes,
            pigeon_proto::group_admin::DeleteGroupAttributes,
            pigeon_proto::group_admin::GetGroupAttributes,
            pigeon_proto::group_admin::SetGroupCounters,
            pigeon_proto::group_admin::IncreaseGroupCounter,
            pigeon_proto::group_admin::DecreaseGroupCounter,
            pigeon_proto::group_admin::GetGroupCounters,
            pigeon_proto::group_members::GetGroupMemberList,
            pigeon_proto::group_members::GetGroupMemberProfile,
            pigeon_proto::group_members::AddGroupMember,
            pigeon_proto::group_members::DeleteGroupMember,
            pigeon_proto::group_members::SetGroupMemberMuteTime,
            pigeon_proto::group_members::SetGroupMemberRole,
            pigeon_proto::group_members::SetGroupMemberNameCard,
            pigeon_proto::group_members::SetGroupMemberCustomField,
            pigeon_proto::group_members::MarkGroupMemberList,
            pigeon_proto::message_extras::SetMessageExtensions,
            pigeon_proto::message_extras::GetMessageExtensions,
            pigeon_proto::message_extras::DeleteMessageExtensions,
            pigeon_proto::message_extras::AddMessageReaction,
            pigeon_proto::message_extras::RemoveMessageReaction,
            pigeon_proto::message_extras::GetMessageReactions,
            pigeon_proto::message_extras::GetAllUserListOfMessageReaction,
            pigeon_proto::message_extras::SendMessageReadReceipt,
            pigeon_proto::message_extras::GetMessageReadReceiptList,
            pigeon_proto::message_extras::GetGroupMessageReadMemberList,
            pigeon_proto::message_extras::SearchCloudMessages,
            pigeon_proto::message_extras::TranslateText,
            pigeon_proto::message_extras::ConvertVoiceToText,
            pigeon_proto::message_ops::RevokeMessage,
            pigeon_proto::message_ops::DeleteMessages,
            pigeon_proto::message_ops::ModifyMessage,
            pigeon_proto::message_ops::GetMessageListHopping,
            pigeon_proto::message_ops::PutMergerMessages,
            pigeon_proto::message_ops::DownloadMergerMessage,
            pigeon_proto::profiles::GetMyProfile,
            pigeon_proto::profiles::GetUserProfile,
            pigeon_proto::profiles::UpdateMyProfile,
            pigeon_proto::profiles::SetSelfStatus,
            pigeon_proto::profiles::GetUserStatus,
            pigeon_proto::profiles::SubscribeUserStatus,
            pigeon_proto::profiles::UnsubscribeUserStatus,
            pigeon_proto::relations::GetFriendList,
            pigeon_proto::relations::AddFriend,
            pigeon_proto::relations::DeleteFriend,
            pigeon_proto::relations::CheckFriend,
            pigeon_proto::relations::GetFriendProfile,
            pigeon_proto::relations::UpdateFriend,
            pigeon_proto::relations::AcceptFriendApplication,
            pigeon_proto::relations::RefuseFriendApplication,
            pigeon_proto::relations::DeleteFriendApplication,
            pigeon_proto::relations::SetFriendApplicationRead,
            pigeon_proto::relations::GetFriendGroupList,
            pigeon_proto::relations::CreateFriendGroup,
            pigeon_proto::relations::AddToFriendGroup,
            pigeon_proto::relations::DeleteFriendGroup,
            pigeon_proto::relations::RenameFriendGroup,
            pigeon_proto::relations::GetBlacklist,
            pigeon_proto::relations::AddToBlacklist,
            pigeon_proto::relations::RemoveFromBlacklist,
            pigeon_proto::topics::GetJoinedCommunityList,
            pigeon_proto::topics::CreateTopicInCommunity,
            pigeon_proto::topics::DeleteTopicFromCommunity,
            pigeon_proto::topics::GetTopicList,
            pigeon_proto::topics::UpdateTopicProfile,
            pigeon_proto::wire::Login,
            pigeon_proto::wire::Logout,
            pigeon_proto::wire::Ping,
            pigeon_proto::wire::SendMessage,
            pigeon_proto::wire::Sync,
            pigeon_proto::wire::GetMessageList,
            pigeon_proto::wire::SetMessageRead,
            pigeon_proto::wire::CreateGroup,
            pigeon_proto::wire::GetGroupList,
            pigeon_proto::wire::GetGroupProfile,
            pigeon_proto::wire::JoinGroup,
            pigeon_proto::wire::QuitGroup,
            pigeon_proto::wire::DismissGroup,
            pigeon_proto::wire::DeleteConversation,
            pigeon_proto::wire::PinConversation,
            pigeon_proto::wire::MarkConversation,
            pigeon_proto::wire::DeleteConversationGroup,
            pigeon_proto::wire::RenameConversationGroup,
            pigeon_proto::wire::Invite,
            pigeon_proto::wire::CancelInvitation,
            pigeon_proto::wire::AcceptInvitation,
            pigeon_proto::wire::RejectInvitation,
            pigeon_proto::wire::ModifyInvitation,
                    );
        }
        Err(reply) => {
            assert_eq!(reply.code, pigeon_proto::error::code::MALFORMED_REQUEST);
        }
    }
});
