// Generated from pigeon-proto by `cargo test -p pigeon-proto --features ts`; do not edit.
// Regenerate: UPDATE_TS_BINDINGS=1 cargo test -p pigeon-proto --features ts

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

/** A message (d.ts `Message`). */
export type Message = {
  /** Message ID, made by the sending client; sends are idempotent by it. */
  ID: string,
  /** `TYPES.MSG_*`. */
  type: string,
  /** Type-specific content. */
  payload: JsonValue,
  /** `C2C<peer>` or `GROUP<groupID>`, from the viewer's side. */
  conversationID: string,
  /** `TYPES.CONV_C2C` or `TYPES.CONV_GROUP`. */
  conversationType: string,
  /** Receiver: userID or groupID. */
  to: string,
  /** Sender's userID. */
  from: string,
  /** `in` (received) or `out` (sent), from the viewer's side. */
  flow: string,
  /** Server time in unix seconds (client time until sent). */
  time: number,
  /** `unSend`, `success` or `fail`. */
  status: string,
  /** Whether the message was revoked. */
  isRevoked: boolean,
  /** `TYPES.MSG_PRIORITY_*`. */
  priority: string,
  /** Sender's nickname. */
  nick: string,
  /** Sender's avatar URL. */
  avatar: string,
  /** Whether the C2C peer has read it. */
  isPeerRead: boolean,
  /** Sender's group name card. */
  nameCard: string,
  /** Mentioned userIDs (and possibly `TYPES.MSG_AT_ALL`). */
  atUserList: Array<string>,
  /** Custom data stored and delivered with the message. */
  cloudCustomData: string,
  /** Whether this user deleted it. */
  isDeleted: boolean,
  /** Whether it was modified after sending. */
  isModified: boolean,
  /** Whether the sender asked for read receipts. */
  needReadReceipt: boolean,
  /** Read receipt state. */
  readReceiptInfo: JsonValue,
  /** Whether it is a broadcast message. */
  isBroadcastMessage: boolean,
  /** Whether it supports extensions. */
  isSupportExtension: boolean,
  /** Who revoked it. */
  revoker: string,
  /** Profile of who revoked it. */
  revokerInfo: JsonValue,
  /** Why it was revoked. */
  revokeReason: string,
  /** Per-conversation sequence assigned by the server (0 until sent). */
  sequence: number,
  /** Whether moderation flagged it. */
  hasRiskContent: boolean,
  /** Random number making the ID unique, as the shipped SDK has it. */
  random: number,
  /** Client clock when the message was created (unix seconds). */
  clientTime: number,
  /** Targeted group message receivers. */
  receiverList?: Array<string>,
  /** Edit version, bumped by every modifyMessage (a stale copy's modify is a conflict). */
  version?: number,
};

/** `Conversation.lastMessage` in the shipped SDK's shape. */
export type LastMessage = {
  /** ID of the last message. */
  ID: string,
  /** Its server time (unix seconds). */
  lastTime: number,
  /** Its sequence. */
  lastSequence: number,
  /** Its sender. */
  fromAccount: string,
  /** Its `TYPES.MSG_*`. */
  type: string,
  /** Its payload. */
  payload: JsonValue,
  /** Its custom data. */
  cloudCustomData: string,
  /** Whether it was revoked. */
  isRevoked: boolean,
  /** Whether the peer read it. */
  isPeerRead: boolean,
  /** Sender's nickname. */
  nick: string,
  /** Sender's name card. */
  nameCard: string,
  /** Text for the conversation list. */
  messageForShow: string,
};

/** The few profile fields a conversation list needs (d.ts `Profile` subset). */
export type UserProfile = {
  /** userID. */
  userID: string,
  /** Nickname. */
  nick: string,
  /** Avatar URL. */
  avatar: string,
};

/** A conversation (d.ts `Conversation`). */
export type Conversation = {
  /** `C2C<userID>`, `GROUP<groupID>` or `@TIM#SYSTEM`. */
  conversationID: string,
  /** `TYPES.CONV_*`. */
  type: string,
  /** Unread messages for this user. */
  unreadCount: number,
  /** Summary of the last message. */
  lastMessage: LastMessage,
  /** The group, for group conversations. */
  groupProfile: Group | null,
  /** The peer, for C2C conversations. */
  userProfile: UserProfile | null,
  /** @-mentions of this user not read yet. */
  groupAtInfoList: Array<JsonValue>,
  /** Friend remark. */
  remark: string,
  /** Pinned on top. */
  isPinned: boolean,
  /** `TYPES.MSG_REMIND_*`. */
  messageRemindType: string,
  /** Set marks: `TYPES.CONV_MARK_TYPE_*` and custom 2^n (32 <= n < 64). */
  markList: Array<number>,
  /** Custom data. */
  customData: string,
  /** Conversation groups it belongs to. */
  conversationGroupList: Array<string>,
  /** Draft text. */
  draftText: string,
};

/** The viewer's membership in a group (`Group.selfInfo`). */
export type GroupSelfInfo = {
  /** `TYPES.GRP_MBR_ROLE_*`. */
  role: string,
  /** `TYPES.MSG_REMIND_*`. */
  messageRemindType: string,
  /** When the viewer joined (unix seconds). */
  joinTime: number,
  /** The viewer's name card. */
  nameCard: string,
};

/** A group (d.ts `Group`). */
export type Group = {
  /** groupID. */
  groupID: string,
  /** Name. */
  name: string,
  /** Avatar URL. */
  avatar: string,
  /** `TYPES.GRP_*`. */
  type: string,
  /** Introduction. */
  introduction: string,
  /** Announcement. */
  notification: string,
  /** Owner's userID. */
  ownerID: string,
  /** Creation time (unix seconds). */
  createTime: number,
  /** Profile version, bumped on every profile change. */
  infoSequence: number,
  /** Last profile change (unix seconds). */
  lastInfoTime: number,
  /** The viewer's membership. */
  selfInfo: GroupSelfInfo,
  /** Summary of the last message. */
  lastMessage: LastMessage,
  /** Sequence the next message will get. */
  nextMessageSeq: number,
  /** Members now. */
  memberCount: number,
  /** Member limit. */
  maxMemberCount: number,
  /** Whether everyone is muted. */
  muteAllMembers: boolean,
  /** `TYPES.JOIN_OPTIONS_*`. */
  joinOption: string,
  /** `TYPES.INVITE_OPTIONS_*`. */
  inviteOption: string,
  /** `[{key, value}]`. */
  groupCustomField: Array<JsonValue>,
  /** Whether it is a community with topics. */
  isSupportTopic: boolean,
};

/** `payload` of a `TYPES.MSG_GRP_TIP` message. */
export type GroupTipPayload = {
  /** Who did it. */
  operatorID: string,
  /** `TYPES.GRP_TIP_*`. */
  operationType: number,
  /** Who it happened to. */
  userIDList: Array<string>,
};

/**
 * A signaling invitation or an action on one (d.ts `Signaling`). It travels as the `data` of
 * a custom message, `{"businessID": 1, ...}`, the way the shipped SDK carries it.
 */
export type Signaling = {
  /** The invitation. */
  inviteID: string,
  /** The group, for group invitations. */
  groupID: string,
  /** Who invited. */
  inviter: string,
  /** Who is invited (for a timeout: who timed out). */
  inviteeList: Array<string>,
  /** Custom data. */
  data: string,
  /** `TSignaling.ACTION_TYPE_*`. */
  actionType: number,
  /** Seconds before it times out (0: never). */
  timeout: number,
};

/** An imError: a numeric code, a human message, and sometimes data (e.g. the conflicting message). */
export type ImError = {
  /** Stable numeric code (see docs/errors.md). */
  code: number,
  /** What went wrong, for people. */
  message: string,
  /** Extra data some errors carry (`imError.data` in the seed). */
  data?: JsonValue,
};

/** A user named in a reply. */
export type UserRef = {
  /** The user. */
  userID: string,
};

/** One failed user of [`SetMessageRemindType`]. */
export type UserFailure = {
  /** The user. */
  userID: string,
  /** Why. */
  code: number,
  /** Why, for people. */
  message: string,
};

/** One custom profile field (`profileCustomField` item). */
export type CustomField = {
  /** A key registered in the server's `profile_custom_fields`. */
  key: string,
  /** A string or an integer; an empty string removes the field. */
  value: JsonValue,
};

/** A user's profile (d.ts `Profile`). */
export type Profile = {
  /** The user. */
  userID: string,
  /** Nickname. */
  nick: string,
  /** `TYPES.GENDER_*`. */
  gender: string,
  /** Birthday, e.g. 20000101. */
  birthday: number,
  /** Location (up to 16 bytes). */
  location: string,
  /** Personal signature. */
  selfSignature: string,
  /** `TYPES.ALLOW_TYPE_*`: how friend requests to this user are handled. */
  allowType: string,
  /** Language. */
  language: number,
  /** Avatar URL. */
  avatar: string,
  /** Bit 0 set: do not receive messages. */
  messageSettings: number,
  /** `TYPES.FORBID_TYPE_*`. */
  adminForbidType: string,
  /** Level. */
  level: number,
  /** Role. */
  role: number,
  /** When the profile last changed (unix seconds; 0 if never set). */
  lastUpdatedNumber: number,
  /** Custom fields that have a value and are registered on the server. */
  profileCustomField: Array<CustomField>,
};

/** One user's status (`getUserStatus` item and `USER_STATUS_UPDATED` item). */
export type UserStatus = {
  /** The user. */
  userID: string,
  /** `TYPES.USER_STATUS_*`. */
  statusType: number,
  /** Their custom status ('' when none). */
  customStatus: string,
};

/** A user a batch status call could not handle. */
export type UserStatusFailure = {
  /** The user. */
  userID: string,
  /** Why, as an error code. */
  code: number,
  /** Why, for people. */
  message: string,
};

/** What `getUserStatus` resolves with. */
export type GetUserStatusReply = {
  /** Users found. */
  successUserList: Array<UserStatus>,
  /** Users that could not be looked up (malformed IDs). */
  failureUserList: Array<UserStatusFailure>,
};

/** What `subscribeUserStatus` and `unsubscribeUserStatus` resolve with. */
export type SubscriptionReply = {
  /** Users that could not be (un)subscribed. */
  failureUserList: Array<UserStatusFailure>,
};

/** One `friendCustomField` entry: a `Tag_SNS_Custom_*` key and its string value. */
export type FriendCustomField = {
  /** `Tag_SNS_Custom_<name>`. */
  key: string,
  /** The value. */
  value: string,
};

/** A friend (d.ts `Friend`). */
export type Friend = {
  /** The friend. */
  userID: string,
  /** My remark for them. */
  remark: string,
  /** My friend groups they are in. */
  groupList: Array<string>,
  /** How they were added (`AddSource_Type_*`). */
  source: string,
  /** The request's wording. */
  wording: string,
  /** Their profile (`{userID, nick, avatar}` until profiles fill in the rest). */
  profile: JsonValue,
  /** `[{key, value}]`. */
  friendCustomField: Array<FriendCustomField>,
};

/** A friend application (d.ts `FriendApplication`). */
export type FriendApplication = {
  /** The applicant when sent to me, the target when sent by me. */
  userID: string,
  /** Their avatar. */
  avatar: string,
  /** Their nick. */
  nick: string,
  /** When it was made (unix seconds). */
  time: number,
  /** `AddSource_Type_*`. */
  source: string,
  /** The applicant's message. */
  wording: string,
  /** `TYPES.SNS_APPLICATION_SENT_TO_ME` or `SNS_APPLICATION_SENT_BY_ME`. */
  type: string,
};

/** A friend group (d.ts `FriendGroup`). */
export type FriendGroup = {
  /** Its name. */
  name: string,
  /** Its friends. */
  userIDList: Array<string>,
  /** How many. */
  count: number,
};

/** Reply to [`AddFriend`]. */
export type AddFriendReply = {
  /** The user. */
  userID: string,
  /** 0 added, 30539 waiting for their confirmation. */
  code: number,
  /** What happened, for people. */
  message: string,
};

/** Per-user outcome of a batch call. */
export type UserResults = {
  /** Users done. */
  successUserIDList: Array<UserRef>,
  /** Users not done, with why. */
  failureUserIDList: Array<UserFailure>,
};

/** One checked user. */
export type CheckResult = {
  /** The user. */
  userID: string,
  /** Always 0. */
  code: number,
  /** `TYPES.SNS_TYPE_*`. */
  relation: string,
};

/** Reply to [`CheckFriend`]. */
export type CheckFriendReply = {
  /** Users checked. */
  successUserIDList: Array<CheckResult>,
  /** Users not checked (malformed IDs), with why. */
  failureUserIDList: Array<UserFailure>,
};

/** Reply to [`GetFriendProfile`]. */
export type FriendProfileReply = {
  /** The friends asked for. */
  friendList: Array<Friend>,
  /** Users that are not my friends, with why. */
  failureUserIDList: Array<UserFailure>,
};

/** Reply to [`GetFriendApplicationList`] and data of FRIEND_APPLICATION_LIST_UPDATED. */
export type FriendApplicationList = {
  /** Applications to me and by me, newest first. */
  friendApplicationList: Array<FriendApplication>,
  /** Applications to me not yet read. */
  unreadCount: number,
};

/** Reply to the friend group membership calls. */
export type FriendGroupReply = {
  /** The group now. */
  friendGroup: FriendGroup,
  /** Users left out (not my friends), with why. */
  failureUserIDList: Array<UserFailure>,
};

/** One member custom field (`{key, value}`). */
export type MemberCustomField = {
  /** The key. */
  key: string,
  /** The value. */
  value: string,
};

/** A group member (d.ts `GroupMember`). */
export type GroupMember = {
  /** The member. */
  userID: string,
  /** Avatar URL from their profile. */
  avatar: string,
  /** Nickname from their profile. */
  nick: string,
  /** `TYPES.GRP_MBR_ROLE_*`. */
  role: string,
  /** Joined at (unix seconds). */
  joinTime: number,
  /** Name card in this group. */
  nameCard: string,
  /** Muted until (unix seconds); 0 or past means not muted. */
  muteUntil: number,
  /** `[{key, value}]`. */
  memberCustomField: Array<MemberCustomField>,
};

/** Reply of [`GetGroupMemberList`]. */
export type GroupMemberListReply = {
  /** This page. */
  memberList: Array<GroupMember>,
  /** Where the next page starts; 0 (`"0"` in a Community) when all were fetched. */
  offset: JsonValue,
};

/** Reply of [`GetGroupMemberProfile`]. */
export type MemberListReply = {
  /** The members found (users not in the group are left out). */
  memberList: Array<GroupMember>,
};

/** Reply of [`AddGroupMember`]. */
export type AddGroupMemberReply = {
  /** Added. */
  successUserIDList: Array<string>,
  /** Not added. */
  failureUserIDList: Array<string>,
  /** Already members. */
  existedUserIDList: Array<string>,
  /** At their joined-groups limit (Pigeon sets none, so always empty). */
  overLimitUserIDList: Array<string>,
  /**
   * Pigeon: invited by a member where invitations need approval; they wait in the
   * group's application list for the owner or an admin.
   */
  pendingUserIDList: Array<string>,
  /** The group afterwards. */
  group: Group,
};

/** Reply of [`DeleteGroupMember`]. */
export type DeleteGroupMemberReply = {
  /** The group afterwards. */
  group: Group,
  /** Who was removed. */
  userIDList: Array<string>,
};

/** Reply of the single-member setters: the group and the member afterwards. */
export type GroupMemberReply = {
  /** The group. */
  group: Group,
  /** The member. */
  member: GroupMember,
};

/** Reply of [`MarkGroupMemberList`]. */
export type MarkGroupMemberListReply = {
  /** Marked (or unmarked). */
  successUserIDList: Array<string>,
  /** Not members of the group. */
  failureUserIDList: Array<string>,
};

/** A topic as a user sees it (d.ts `Topic`). */
export type Topic = {
  /** topicID (`<communityID>@TOPIC#_...`). */
  topicID: string,
  /** Name. */
  topicName: string,
  /** Avatar URL. */
  avatar: string,
  /** Introduction. */
  introduction: string,
  /** Notification. */
  notification: string,
  /** The user's unread messages in conversation `GROUP<topicID>`. */
  unreadCount: number,
  /** Everyone but the community's owner and admins is muted in the topic. */
  muteAllMembers: boolean,
  /** Custom data. */
  customData: string,
  /** The user's unread @-mentions in the topic. */
  groupAtInfoList: Array<JsonValue>,
  /** The topic's last message as the user sees it (null when none). */
  lastMessage: JsonValue,
  /** The user's own settings in the topic (`{messageRemindType}`). */
  selfInfo: JsonValue,
};

/** Reply to [`CreateTopicInCommunity`]. */
export type TopicIdReply = {
  /** The new topic's ID. */
  topicID: string,
};

/** One topic a list operation could not handle. */
export type TopicFailure = {
  /** The topic. */
  topicID: string,
  /** Why, as an error code. */
  code: number,
  /** Why, for people. */
  message: string,
};

/**
 * Reply of the list operations: `{successTopicList, failureTopicList}`. Success items are
 * `{topicID}` for deletions and whole [`Topic`]s for `getTopicList`.
 */
export type TopicResults = {
  /** Topics handled. */
  successTopicList: Array<JsonValue>,
  /** Topics not handled, with the reason. */
  failureTopicList: Array<TopicFailure>,
};

/** Reply to [`UpdateTopicProfile`]. */
export type TopicReply = {
  /** The topic after the change. */
  topic: Topic,
};

/** A user in a follow list or follow event (profile fields as in the d.ts `Profile`). */
export type FollowUser = {
  /** The user. */
  userID: string,
  /** Nickname ('' when unset). */
  nick: string,
  /** Avatar URL ('' when unset). */
  avatar: string,
};

/**
 * `event.data` of the three follow events: who was added to or removed from the list
 * (the native SDKs' `(userInfoList, isAdd)` listener arguments as one object).
 */
export type FollowListUpdate = {
  /** The users that joined or left the list. */
  userInfoList: Array<FollowUser>,
  /** true: they joined the list; false: they left it. */
  isAdd: boolean,
};

/** The outcome for one user of followUser/unfollowUser. */
export type FollowResult = {
  /** The user. */
  userID: string,
  /** 0: done (also when it already was so). */
  resultCode: number,
  /** '' on success. */
  resultInfo: string,
};

/** One page of a follow list. */
export type FollowPage = {
  /** The users of this page. */
  resultList: Array<FollowUser>,
  /** Where the next page starts; '' when this is the last. */
  nextCursor: string,
};

/** Follow counts of one user. */
export type FollowInfo = {
  /** The user. */
  userID: string,
  /** How many users they follow. */
  followingCount: number,
  /** How many users follow them. */
  followersCount: number,
  /** How many of those are mutual. */
  mutualFollowersCount: number,
};

/** The follow relation between the caller and one user. */
export type FollowTypeResult = {
  /** The user. */
  userID: string,
  /** One of [`follow_type`]. */
  followType: number,
};

/** One extension as the caller gives it (`{key, value}`). */
export type Extension = {
  /** Key, 1 to 100 bytes. */
  key: string,
  /** Value, at most 1 KB. */
  value: string,
};

/**
 * One key's outcome of a set or delete (`{code, key, value}`): 0, or 23001 with the stored
 * value that won.
 */
export type ExtensionResult = {
  /** 0 or [`code::EXTENSION_CONFLICT`]. */
  code: number,
  /** The key. */
  key: string,
  /** The value now stored (empty once deleted). */
  value: string,
};

/** Reply of `setMessageExtensions` and `deleteMessageExtensions`. */
export type ExtensionsReply = {
  /** One entry per key asked. */
  extensions: Array<ExtensionResult>,
};

/** Reply of `getMessageExtensions`. */
export type GetExtensionsReply = {
  /** Every extension of the message, by key. */
  extensions: Array<Extension>,
};

/** A user in a reaction's user list (`{userID, nick, avatar}`). */
export type ReactionUser = {
  /** The user. */
  userID: string,
  /** Their nickname. */
  nick: string,
  /** Their avatar URL. */
  avatar: string,
};

/** One reaction of a message. */
export type Reaction = {
  /** The reaction. */
  reactionID: string,
  /** How many users hold it. */
  totalUserCount: number,
  /** The first users who added it. */
  partialUserList: Array<ReactionUser>,
};

/** Reply of the reaction changes: the message's reactions afterwards. */
export type ReactionChangeReply = {
  /** The message. */
  messageID: string,
  /** Its reactions now. */
  reactionList: Array<Reaction>,
};

/** One message's reactions. */
export type MessageReactions = {
  /** The message. */
  messageID: string,
  /** Its reactions, oldest first. */
  reactionList: Array<Reaction>,
};

/** Reply of `getMessageReactions`. */
export type GetMessageReactionsReply = {
  /** One entry per message asked. */
  resultList: Array<MessageReactions>,
};

/** Reply of `getAllUserListOfMessageReaction`. */
export type ReactionUserPage = {
  /** Users of this page, in the order they reacted. */
  userList: Array<ReactionUser>,
  /** Where the next page starts (0 when complete). */
  nextSeq: number,
  /** Whether this was the last page. */
  isCompleted: boolean,
};

/** Reply of `getMessageReadReceiptList`. */
export type ReadReceiptListReply = {
  /** The messages with `readReceiptInfo` filled. */
  messageList: Array<Message>,
};

/** Reply of `getGroupMessageReadMemberList`. */
export type ReadMemberPage = {
  /** Whether this was the last page. */
  isCompleted: boolean,
  /** Where the next page starts (`''` when complete). */
  cursor: string,
  /** The message. */
  messageID: string,
  /** Members who read it (filter 0). */
  readUserIDList?: Array<string>,
  /** Members who did not read it (filter 1). */
  unreadUserIDList?: Array<string>,
};

/** One conversation's matches. */
export type SearchResult = {
  /** The conversation, as the caller sees it. */
  conversationID: string,
  /** How many messages match in it. */
  messageCount: number,
  /** The matches (all-conversation search: only when there is exactly one). */
  messageList: Array<Message>,
};

/** Reply of `searchCloudMessages`. */
export type SearchReply = {
  /** Conversations with matches (all) or matching messages (one conversation). */
  totalCount: number,
  /** Where the next page starts (`''` when finished). */
  cursor: string,
  /** This page's results, grouped by conversation. */
  searchResultList: Array<SearchResult>,
};

/** Reply of `translateText`. */
export type TranslateReply = {
  /** One translation per source text, same order. */
  translatedTextList: Array<string>,
};

/** Reply of `convertVoiceToText`. */
export type VoiceToTextReply = {
  /** The recognised text. */
  result: string,
};
