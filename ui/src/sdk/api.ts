// The `chat` instance's API as the TencentCloudChat web SDK declares it: every seed method
// (crates/proto/data/methods.txt, in its order) with the seed's parameters and what Pigeon's SDK
// resolves with. Option types keep the shipped SDK's d.ts names (LOGIN_OPTIONS, MESSAGE_OPTIONS,
// ...); object types come from the Rust types (./generated/types). CHAT_API_METHODS lists the
// interface's keys, checked by the compiler, and test/sdk/api.test.ts checks it against the seed.
import type { ChatEvent, ImResponse } from "./chat";
import type {
  AddFriendReply,
  AddGroupMemberReply,
  CheckFriendReply,
  Conversation,
  DeleteGroupMemberReply,
  Extension,
  ExtensionsReply,
  FollowInfo,
  FollowPage,
  FollowResult,
  FollowTypeResult,
  Friend,
  FriendApplicationList,
  FriendGroup,
  FriendGroupReply,
  FriendProfileReply,
  GetExtensionsReply,
  GetMessageReactionsReply,
  GetUserStatusReply,
  Group,
  GroupMemberListReply,
  GroupMemberReply,
  MarkGroupMemberListReply,
  MemberListReply,
  Message,
  Profile,
  ReactionChangeReply,
  ReactionUserPage,
  ReadMemberPage,
  ReadReceiptListReply,
  SearchReply,
  Signaling,
  SubscriptionReply,
  Topic,
  TopicFailure,
  TopicIdReply,
  TopicReply,
  TranslateReply,
  UserFailure,
  UserResults,
  UserStatus,
  VoiceToTextReply,
} from "./generated/types";

// ---- shapes the generated types do not have ----

/** `imResponse.data` of methods that resolve with nothing in particular. */
export type NoData = Record<string, never>;

/** What an `on`/`addSignalingListener` handler receives. */
export type EventHandler = (event: ChatEvent) => void;

/** `login` → `imResponse.data`. */
export interface LoginResult {
  /** Whether this account was already logged in on this instance. */
  repeatLogin: boolean;
  /** Says why, when `repeatLogin` (or when the first connection failed and the SDK retries). */
  errorInfo?: string;
}

/** `{message}`: sendMessage, resendMessage, revokeMessage, modifyMessage. */
export interface MessageResult {
  /** The message as the SDK has it now. */
  message: Message;
}

/** `getMessageList` → `imResponse.data`. */
export interface MessageListResult {
  /** Oldest first. */
  messageList: Message[];
  /** Pass back to get the page before; `""` once `isCompleted`. */
  nextReqMessageID: string;
  /** Whether there is nothing older. */
  isCompleted: boolean;
}

/** `getMessageListHopping` → `imResponse.data` (`nextMessageSeq` for groups, `nextMessageTime` for C2C). */
export interface MessageListHoppingResult {
  messageList: Message[];
  isCompleted: boolean;
  nextMessageSeq?: number | string;
  nextMessageTime?: number | string;
}

/** `getConversationList` → `imResponse.data`. */
export interface ConversationListResult {
  conversationList: Conversation[];
  /** Whether syncing the list from the server has finished. */
  isSyncCompleted: boolean;
}

/** One conversation a batch conversation call could not handle. */
export interface ConversationFailure {
  conversationID: string;
  code: number;
  message: string;
}

/** setConversationCustomData, markConversation and the conversation-group batch calls. */
export interface ConversationBatchResult {
  successConversationIDList: string[];
  failureConversationIDList: ConversationFailure[];
}

/** `setMessageRemindType` → `imResponse.data` (C2C: per user; groups: empty lists). */
export interface MessageRemindTypeResult {
  successUserIDList: { userID: string }[];
  failureUserIDList: UserFailure[];
}

/** `getAllReceiveMessageOpt` → `imResponse.data`. */
export interface ReceiveMessageOpt {
  messageRemindType: string;
  /** UNIX seconds. */
  startTime: number;
  /** UNIX seconds. */
  endTime: number;
  isRepeated: boolean;
}

/** `createGroup` → `imResponse.data`. */
export interface CreateGroupResult {
  group: Group;
  overLimitUserIDList: string[];
}

/** `joinGroup` → `imResponse.data`: `status` is `TYPES.JOIN_STATUS_*`; `group` once joined. */
export interface JoinGroupResult {
  status: string;
  group?: Group;
}

/** One pending join application or invitation (`getGroupApplicationList` item). */
export interface GroupApplication {
  applicant: string;
  applicantNick: string;
  groupID: string;
  groupName: string;
  /** 0: application to join; 2: invitation needing approval. */
  applicationType: number;
  /** The invited user when `applicationType` is 2. */
  userID: string;
  note: string;
  time: number;
}

/** `increaseGroupCounter` / `decreaseGroupCounter` → `imResponse.data` (`value`: the new value). */
export interface GroupCounterResult {
  groupID: string;
  key: string;
  value: number;
}

/** `{inviteID}`: what the signaling calls resolve with. */
export interface InviteResult {
  inviteID: string;
}

// ---- option types (names as in the shipped SDK's d.ts) ----

export interface LOGIN_OPTIONS {
  userID: string;
  userSig: string;
}

/** `payload` of createTextMessage. */
export interface TEXT_PAYLOAD {
  text: string;
}
/** `payload` of createTextAtMessage: `atUserList` may hold `TYPES.MSG_AT_ALL`. */
export interface TEXT_AT_PAYLOAD {
  text: string;
  atUserList: string[];
}
/** `payload` of createImage/Audio/Video/FileMessage: a file input, a File/Blob, a path or `{path}`. */
export interface FILE_PAYLOAD {
  file: HTMLInputElement | File | Blob | string | { path: string } | Record<string, unknown>;
}
/** `payload` of createCustomMessage. */
export interface CUSTOM_PAYLOAD {
  data?: string;
  description?: string;
  extension?: string;
}
/** `payload` of createFaceMessage. */
export interface FACE_PAYLOAD {
  index: number;
  data: string;
}
/** `payload` of createLocationMessage. */
export interface LOCATION_PAYLOAD {
  description: string;
  longitude: number;
  latitude: number;
}
/** `payload` of createMergerMessage. */
export interface MERGER_PAYLOAD {
  messageList: Message[];
  title: string;
  abstractList: string[];
  compatibleText: string;
}

/** Options of the create*Message methods; `P` is the method's payload. */
export interface MESSAGE_OPTIONS<P = unknown> {
  /** Receiver: userID, groupID or topicID. */
  to: string;
  /** `TYPES.CONV_C2C` or `TYPES.CONV_GROUP`. */
  conversationType: string;
  /** `TYPES.MSG_PRIORITY_*`. */
  priority?: string;
  payload: P;
  cloudCustomData?: string;
  needReadReceipt?: boolean;
  receiverList?: string[];
  isSupportExtension?: boolean;
  /** Upload progress, 0..1 (file messages). */
  onProgress?: (percent: number) => void;
  customModerationConfigurationID?: string;
}

export interface OFFLINE_ANDROID_INFO {
  sound?: string;
  XiaoMiChannelID?: string;
  OPPOChannelID?: string;
  FCMChannelID?: string;
  VIVOClassification?: number;
  VIVOCategory?: string;
  HuaWeiCategory?: string;
  OPPOCategory?: string;
}

export interface OFFLINE_APNS_INFO {
  sound?: string;
  ignoreIOSBadge?: boolean;
  disableVoipPush?: boolean;
}

export interface OFFLINE_PUSH_INFO_PARAMS {
  disablePush?: boolean;
  disableVoipPush?: boolean;
  title?: string;
  description?: string;
  extension?: string;
  androidInfo?: OFFLINE_ANDROID_INFO;
  apnsInfo?: OFFLINE_APNS_INFO;
  androidOPPOChannelID?: string;
  ignoreIOSBadge?: boolean;
}

/** The second argument of sendMessage and resendMessage. */
export interface SEND_MESSAGE_OPTIONS {
  onlineUserOnly?: boolean;
  offlinePushInfo?: OFFLINE_PUSH_INFO_PARAMS;
  messageControlInfo?: {
    excludedFromUnreadCount?: boolean;
    excludedFromLastMessage?: boolean;
    excludedFromContentModeration?: boolean;
  };
}

export interface MESSAGE_SEARCH_OPTIONS {
  keywordList?: string[];
  keywordListMatchType?: "or" | "and";
  senderUserIDList?: string[];
  messageTypeList?: string[];
  conversationID?: string;
  timePosition?: number;
  timePeriod?: number;
  count?: number;
  cursor?: string;
}

export interface TRANSLATE_TEXT_OPTIONS {
  sourceTextList: string[];
  sourceLanguage: string;
  targetLanguage: string;
}

export interface CONVERT_VOICE_TO_TEXT_OPTIONS {
  message: Message;
  language?: string;
}

export interface GET_MESSAGE_REACTIONS_OPTIONS {
  messageList: Message[];
  maxUserCountPerReaction?: number;
}

export interface GET_USER_LIST_MESSAGE_REACTIONS_OPTIONS {
  message: Message;
  reactionID: string;
  nextSeq: number;
  count?: number;
}

export interface GET_MESSAGE_LIST_OPTIONS {
  conversationID: string;
  nextReqMessageID?: string;
}

export interface GET_MESSAGE_LIST_HOPPING_OPTIONS {
  conversationID: string;
  sequence?: number;
  time?: number;
  /** 0: older (default); 1: newer. */
  direction?: number;
  count?: number;
}

export interface GET_GROUP_MESSAGE_READ_MEMBER_LIST_OPTIONS {
  message: Message;
  cursor: string;
  /** 0: members who read it; 1: who did not. */
  filter: number;
  count: number;
}

export interface SET_MESSAGE_READ_OPTIONS {
  conversationID: string;
}

export interface GET_CONVERSATION_LIST_OPTIONS {
  type?: string;
  groupName?: string;
  markType?: number;
  hasUnreadCount?: boolean;
  hasGroupAtInfo?: boolean;
}

export interface DELETE_CONVERSATION_OPTIONS {
  conversationIDList: string[];
  clearHistoryMessage?: boolean;
}

export interface SET_CONVERSATION_DRAFT_OPTIONS {
  conversationID: string;
  draftText: string;
}

export interface PIN_CONVERSATION_OPTIONS {
  conversationID: string;
  isPinned: boolean;
}

export interface SET_ALL_MESSAGE_READ_OPTIONS {
  /** `TYPES.READ_ALL_*`; default READ_ALL_MSG. */
  scope?: string;
}

export interface SET_MESSAGE_REMIND_TYPE_OPTIONS {
  groupID?: string;
  userIDList?: string[];
  messageRemindType: string;
}

export interface SET_ALL_RECEIVE_MESSAGE_OPTIONS {
  messageRemindType?: string;
  startHour?: number;
  startMinute?: number;
  startSecond?: number;
  duration?: number;
  isRepeated?: boolean;
}

export interface SET_CONVERSATION_CUSTOM_DATA_OPTIONS {
  conversationIDList: string[];
  customData: string;
}

export interface MARK_CONVERSATION_OPTIONS {
  conversationIDList: string[];
  markType: number;
  enableMark: boolean;
}

export interface CREATE_CONVERSATION_GROUP_OPTIONS {
  conversationIDList: string[];
  groupName: string;
}

export interface RENAME_CONVERSATION_GROUP_OPTIONS {
  oldName: string;
  newName: string;
}

export interface ADD_CONVERSATIONS_TO_GROUP_OPTIONS {
  conversationIDList: string[];
  groupName: string;
}

export interface DELETE_CONVERSATIONS_FROM_GROUP_OPTIONS {
  conversationIDList: string[];
  groupName: string;
}

export interface GET_USER_PROFILE_OPTIONS {
  userIDList: string[];
}

/** A `{key, value}` custom field item (profile, friend, group, member). */
export interface CUSTOM_FIELD {
  key: string;
  value: string | number;
}

export interface UPDATE_YOUR_PROFILE_OPTIONS {
  nick?: string;
  avatar?: string;
  gender?: string;
  selfSignature?: string;
  allowType?: string;
  birthday?: number;
  location?: string;
  language?: number;
  messageSettings?: number;
  adminForbidType?: string;
  level?: number;
  role?: number;
  profileCustomField?: CUSTOM_FIELD[];
}

export interface ADD_TO_BLOCKLIST_LIST_OPTIONS {
  userIDList: string[];
}

export interface REMOVE_FROM_BLOCKLIST_LIST_OPTIONS {
  userIDList: string[];
}

export interface SET_SELF_STATUS_OPTIONS {
  customStatus: string;
}

export interface GET_USER_STATUS_OPTIONS {
  userIDList: string[];
}

export interface SUBSCRIBE_USER_STATUS_OPTIONS {
  userIDList: string[];
}

export interface UNSUBSCRIBE_USER_STATUS_OPTIONS {
  /** Omitted or empty: all subscriptions. */
  userIDList?: string[];
}

export interface ADD_FRIEND_OPTIONS {
  to: string;
  source: string;
  wording?: string;
  type?: string;
  remark?: string;
  groupName?: string;
}

export interface DELETE_FRIEND_OPTIONS {
  userIDList: string[];
  type?: string;
}

export interface CHECK_FRIEND_OPTIONS {
  userIDList: string[];
  type?: string;
}

export interface GET_FRIEND_PROFILE_OPTIONS {
  userIDList: string[];
}

export interface UPDATE_FRIEND_OPTIONS {
  userID: string;
  remark?: string;
  friendCustomField?: CUSTOM_FIELD[];
}

export interface ACCEPT_FRIEND_APPLICATION_OPTIONS {
  userID: string;
  remark?: string;
  type: string;
}

export interface REFUSE_FRIEND_APPLICATION_OPTIONS {
  userID: string;
}

export interface DELETE_FRIEND_APPLICATION_OPTIONS {
  userID: string;
  type: string;
}

export interface CREATE_FRIEND_GROUP_OPTIONS {
  name: string;
  userIDList: string[];
}

export interface DELETE_FRIEND_GROUP_OPTIONS {
  name: string;
}

export interface ADD_TO_FRIEND_GROUP_OPTIONS {
  name: string;
  userIDList: string[];
}

export interface REMOVE_FROM_FRIEND_GROUP_OPTIONS {
  name: string;
  userIDList: string[];
}

export interface RENAME_FRIEND_GROUP_OPTIONS {
  oldName: string;
  newName: string;
}

export interface GET_GROUP_PROFILE_OPTIONS {
  groupID: string;
  groupCustomFieldFilter?: string[];
}

/** A `createGroup` initial member. */
export interface CREATE_GROUP_MEMBER {
  userID: string;
  role?: string;
  memberCustomField?: CUSTOM_FIELD[];
}

export interface CREATE_GROUP_OPTIONS {
  name: string;
  /** `TYPES.GRP_*`; default GRP_WORK. */
  type?: string;
  groupID?: string;
  introduction?: string;
  notification?: string;
  avatar?: string;
  maxMemberNum?: number;
  joinOption?: string;
  inviteOption?: string;
  memberList?: CREATE_GROUP_MEMBER[];
  groupCustomField?: CUSTOM_FIELD[];
  isSupportTopic?: boolean;
}

export interface UPDATE_GROUP_PROFILE_OPTIONS {
  groupID: string;
  name?: string;
  avatar?: string;
  introduction?: string;
  notification?: string;
  muteAllMembers?: boolean;
  joinOption?: string;
  inviteOption?: string;
  groupCustomField?: CUSTOM_FIELD[];
}

export interface JOIN_GROUP_OPTIONS {
  groupID: string;
  applyMessage?: string;
  type?: string;
}

export interface CHANGE_GROUP_OWNER_OPTIONS {
  groupID: string;
  newOwnerID: string;
}

export interface HANDLE_GROUP_APPLICATION_OPTIONS {
  /** `'Agree'` or `'Reject'`. */
  handleAction: string;
  handleMessage?: string;
  /** The application's group system notice; or pass `application`. */
  message?: Message;
  /** An item of getGroupApplicationList. */
  application?: GroupApplication;
}

export interface INIT_GROUP_ATTRIBUTE_OPTIONS {
  groupID: string;
  groupAttributes: Record<string, string>;
}

export interface SET_GROUP_ATTRIBUTE_OPTIONS {
  groupID: string;
  groupAttributes: Record<string, string>;
}

export interface DELETE_GROUP_ATTRIBUTE_OPTIONS {
  groupID: string;
  /** `[]`: all keys. */
  keyList: string[];
}

export interface GET_GROUP_ATTRIBUTE_OPTIONS {
  groupID: string;
  /** `[]`: all keys. */
  keyList: string[];
}

export interface SET_GROUP_COUNTER_OPTIONS {
  groupID: string;
  counters: Record<string, number>;
}

export interface INCREASE_GROUP_COUNTER_OPTIONS {
  groupID: string;
  key: string;
  value: number;
}

export interface DECREASE_GROUP_COUNTER_OPTIONS {
  groupID: string;
  key: string;
  value: number;
}

export interface GET_GROUP_COUNTERS_OPTIONS {
  groupID: string;
  /** Omitted: all counters. */
  keyList?: string[];
}

export interface GET_GROUP_MEMBER_LIST_OPTIONS {
  groupID: string;
  count?: number;
  offset?: number | string;
  filter?: number;
  role?: string;
}

export interface GET_GROUP_MEMBER_PROFILE_OPTIONS {
  groupID: string;
  userIDList: string[];
  memberCustomFieldFilter?: string[];
}

export interface ADD_GROUP_MEMBER_OPTIONS {
  groupID: string;
  userIDList: string[];
}

export interface DELETE_GROUP_MEMBER_OPTIONS {
  groupID: string;
  userIDList: string[];
  reason?: string;
  duration?: number;
}

export interface SET_GROUP_MEMBER_MUTE_TIME_OPTIONS {
  groupID: string;
  userID: string;
  /** Seconds from now; 0 unmutes. */
  muteTime: number;
}

export interface SET_GROUP_MEMBER_ROLE_OPTIONS {
  groupID: string;
  userID: string;
  role: string;
}

export interface SET_GROUP_MEMBER_NAME_CARD_OPTIONS {
  groupID: string;
  nameCard: string;
  userID?: string;
}

export interface SET_GROUP_MEMBER_CUSTOM_FIELD_OPTIONS {
  groupID: string;
  memberCustomField: CUSTOM_FIELD[];
  userID?: string;
}

export interface MARK_GROUP_MEMBER_LIST_OPTIONS {
  groupID: string;
  userIDList: string[];
  markType: number;
  enableMark: boolean;
}

export interface CREATE_TOPIC_IN_COMMUNICATION_OPTIONS {
  groupID: string;
  topicName: string;
  topicID?: string;
  avatar?: string;
  notification?: string;
  introduction?: string;
  customData?: string;
}

export interface DELETE_TOPIC_FROM_COMMUNICATION_OPTIONS {
  groupID: string;
  /** Omitted: every topic. */
  topicIDList?: string[];
}

export interface UPDATE_TOPIC_PROFILE_OPTIONS {
  groupID: string;
  topicID: string;
  topicName?: string;
  avatar?: string;
  notification?: string;
  introduction?: string;
  customData?: string;
  muteAllMembers?: boolean;
}

export interface GET_TOPIC_LIST_OPTIONS {
  groupID: string;
  /** Omitted: every topic. */
  topicIDList?: string[];
}

export interface INVITE_OPTIONS {
  userID: string;
  data?: string;
  timeout?: number;
  onlineUserOnly?: boolean;
  offlinePushInfo?: OFFLINE_PUSH_INFO_PARAMS;
}

export interface INVITE_IN_GROUP_OPTIONS {
  groupID: string;
  inviteeList: string[];
  data?: string;
  timeout?: number;
  onlineUserOnly?: boolean;
  offlinePushInfo?: OFFLINE_PUSH_INFO_PARAMS;
}

export interface INVITATION_HANDLE_OPTIONS {
  inviteID: string;
  data?: string;
}

export interface MODIFY_INVITATION_OPTIONS {
  inviteID: string;
  data: string;
}

type Res<T> = Promise<ImResponse<T>>;

/** The `chat` instance: the 139 seed methods, in the seed's order. */
export interface ChatAPI {
  // ---- lifecycle & events ----
  login(options: LOGIN_OPTIONS): Res<LoginResult>;
  logout(): Res<NoData>;
  getLoginUser(): string;
  isReady(): boolean;
  destroy(): Res<NoData>;
  on(eventName: string, handler: EventHandler, context?: unknown): void;
  off(eventName: string, handler: EventHandler, context?: unknown, once?: boolean): void;
  registerPlugin(options: Record<string, unknown>): void;
  setLogLevel(level: number): void;

  // ---- message creation ----
  createTextMessage(options: MESSAGE_OPTIONS<TEXT_PAYLOAD>): Message;
  createTextAtMessage(options: MESSAGE_OPTIONS<TEXT_AT_PAYLOAD>): Message;
  createImageMessage(options: MESSAGE_OPTIONS<FILE_PAYLOAD>): Message;
  createAudioMessage(options: MESSAGE_OPTIONS<FILE_PAYLOAD>): Message;
  createVideoMessage(options: MESSAGE_OPTIONS<FILE_PAYLOAD>): Message;
  createCustomMessage(options: MESSAGE_OPTIONS<CUSTOM_PAYLOAD>): Message;
  createFaceMessage(options: MESSAGE_OPTIONS<FACE_PAYLOAD>): Message;
  createFileMessage(options: MESSAGE_OPTIONS<FILE_PAYLOAD>): Message;
  createLocationMessage(options: MESSAGE_OPTIONS<LOCATION_PAYLOAD>): Message;
  createMergerMessage(options: MESSAGE_OPTIONS<MERGER_PAYLOAD>): Message;
  /** Resolves with the merger message, its `payload.messageList` filled. */
  downloadMergerMessage(message: Message): Res<Message>;
  /** `payload`: the message to forward. */
  createForwardMessage(options: MESSAGE_OPTIONS<Message>): Message;

  // ---- message operations ----
  sendMessage(message: Message, options?: SEND_MESSAGE_OPTIONS): Res<MessageResult>;
  searchCloudMessages(options: MESSAGE_SEARCH_OPTIONS): Res<SearchReply>;
  revokeMessage(message: Message): Res<MessageResult>;
  resendMessage(message: Message, options?: SEND_MESSAGE_OPTIONS): Res<MessageResult>;
  /** Resolves with the deleted messages (`isDeleted: true`). */
  deleteMessage(messageList: Message[]): Res<{ messageList: Message[] }>;
  translateText(options: TRANSLATE_TEXT_OPTIONS): Res<TranslateReply>;
  convertVoiceToText(options: CONVERT_VOICE_TO_TEXT_OPTIONS): Res<VoiceToTextReply>;
  setMessageExtensions(message: Message, extensions: Extension[]): Res<ExtensionsReply>;
  getMessageExtensions(message: Message): Res<GetExtensionsReply>;
  /** Without `keyList`, deletes every extension. */
  deleteMessageExtensions(message: Message, keyList?: string[]): Res<ExtensionsReply>;
  addMessageReaction(message: Message, reactionID: string): Res<ReactionChangeReply>;
  removeMessageReaction(message: Message, reactionID: string): Res<ReactionChangeReply>;
  getMessageReactions(options: GET_MESSAGE_REACTIONS_OPTIONS): Res<GetMessageReactionsReply>;
  getAllUserListOfMessageReaction(options: GET_USER_LIST_MESSAGE_REACTIONS_OPTIONS): Res<ReactionUserPage>;
  modifyMessage(message: Message): Res<MessageResult>;

  // ---- message list & read receipts ----
  getMessageList(options: GET_MESSAGE_LIST_OPTIONS): Res<MessageListResult>;
  getMessageListHopping(options: GET_MESSAGE_LIST_HOPPING_OPTIONS): Res<MessageListHoppingResult>;
  sendMessageReadReceipt(messageList: Message[]): Res<NoData>;
  getMessageReadReceiptList(messageList: Message[]): Res<ReadReceiptListReply>;
  getGroupMessageReadMemberList(options: GET_GROUP_MESSAGE_READ_MEMBER_LIST_OPTIONS): Res<ReadMemberPage>;
  findMessage(messageID: string): Message | null;
  setMessageRead(options: SET_MESSAGE_READ_OPTIONS): Res<NoData>;

  // ---- conversations ----
  /** No options: all; an array: those conversations; an object: a filter. */
  getConversationList(options?: string[] | GET_CONVERSATION_LIST_OPTIONS): Res<ConversationListResult>;
  getConversationProfile(conversationID: string): Res<{ conversation: Conversation }>;
  deleteConversation(conversationID: string): Res<{ conversationID: string }>;
  deleteConversation(options: DELETE_CONVERSATION_OPTIONS): Res<{ conversationIDList: string[] }>;
  setConversationDraft(options: SET_CONVERSATION_DRAFT_OPTIONS): Res<NoData>;
  clearHistoryMessage(conversationID: string): Res<NoData>;
  pinConversation(options: PIN_CONVERSATION_OPTIONS): Res<{ conversationID: string }>;
  setAllMessageRead(options?: SET_ALL_MESSAGE_READ_OPTIONS): Res<NoData>;
  setMessageRemindType(options: SET_MESSAGE_REMIND_TYPE_OPTIONS): Res<MessageRemindTypeResult>;
  setAllReceiveMessageOpt(options: SET_ALL_RECEIVE_MESSAGE_OPTIONS): Res<NoData>;
  getAllReceiveMessageOpt(): Res<ReceiveMessageOpt>;
  getTotalUnreadMessageCount(): number;
  setConversationCustomData(options: SET_CONVERSATION_CUSTOM_DATA_OPTIONS): Res<ConversationBatchResult>;
  markConversation(options: MARK_CONVERSATION_OPTIONS): Res<ConversationBatchResult>;

  // ---- conversation groups ----
  /** Resolves with the group names. */
  getConversationGroupList(): Res<string[]>;
  createConversationGroup(options: CREATE_CONVERSATION_GROUP_OPTIONS): Res<ConversationBatchResult>;
  deleteConversationGroup(groupName: string): Res<NoData>;
  renameConversationGroup(options: RENAME_CONVERSATION_GROUP_OPTIONS): Res<NoData>;
  addConversationsToGroup(options: ADD_CONVERSATIONS_TO_GROUP_OPTIONS): Res<ConversationBatchResult>;
  deleteConversationsFromGroup(options: DELETE_CONVERSATIONS_FROM_GROUP_OPTIONS): Res<ConversationBatchResult>;

  // ---- profile, blacklist & user status ----
  getMyProfile(): Res<Profile>;
  getUserProfile(options: GET_USER_PROFILE_OPTIONS): Res<Profile[]>;
  /** Resolves with the profile after the change. */
  updateMyProfile(options: UPDATE_YOUR_PROFILE_OPTIONS): Res<Profile>;
  /** Resolves with the blacklisted userIDs. */
  getBlacklist(): Res<string[]>;
  /** Resolves with the whole blacklist afterwards. */
  addToBlacklist(options: ADD_TO_BLOCKLIST_LIST_OPTIONS): Res<string[]>;
  /** Resolves with the whole blacklist afterwards. */
  removeFromBlacklist(options: REMOVE_FROM_BLOCKLIST_LIST_OPTIONS): Res<string[]>;
  setSelfStatus(options: SET_SELF_STATUS_OPTIONS): Res<UserStatus>;
  getUserStatus(options: GET_USER_STATUS_OPTIONS): Res<GetUserStatusReply>;
  subscribeUserStatus(options: SUBSCRIBE_USER_STATUS_OPTIONS): Res<SubscriptionReply>;
  unsubscribeUserStatus(options?: UNSUBSCRIBE_USER_STATUS_OPTIONS): Res<SubscriptionReply>;

  // ---- friends, friend applications & friend groups ----
  getFriendList(): Res<Friend[]>;
  addFriend(options: ADD_FRIEND_OPTIONS): Res<AddFriendReply>;
  deleteFriend(options: DELETE_FRIEND_OPTIONS): Res<UserResults>;
  checkFriend(options: CHECK_FRIEND_OPTIONS): Res<CheckFriendReply>;
  getFriendProfile(options: GET_FRIEND_PROFILE_OPTIONS): Res<FriendProfileReply>;
  /** Resolves with the friend afterwards. */
  updateFriend(options: UPDATE_FRIEND_OPTIONS): Res<Friend>;
  getFriendApplicationList(): Res<FriendApplicationList>;
  acceptFriendApplication(options: ACCEPT_FRIEND_APPLICATION_OPTIONS): Res<{ userID: string }>;
  refuseFriendApplication(options: REFUSE_FRIEND_APPLICATION_OPTIONS): Res<{ userID: string }>;
  deleteFriendApplication(options: DELETE_FRIEND_APPLICATION_OPTIONS): Res<{ userID: string }>;
  setFriendApplicationRead(): Res<NoData>;
  getFriendGroupList(): Res<FriendGroup[]>;
  createFriendGroup(options: CREATE_FRIEND_GROUP_OPTIONS): Res<FriendGroupReply>;
  /** Resolves with the deleted group. */
  deleteFriendGroup(options: DELETE_FRIEND_GROUP_OPTIONS): Res<FriendGroup>;
  addToFriendGroup(options: ADD_TO_FRIEND_GROUP_OPTIONS): Res<FriendGroupReply>;
  removeFromFriendGroup(options: REMOVE_FROM_FRIEND_GROUP_OPTIONS): Res<FriendGroupReply>;
  /** Resolves with the renamed group. */
  renameFriendGroup(options: RENAME_FRIEND_GROUP_OPTIONS): Res<FriendGroup>;

  // ---- follow ----
  followUser(userIDList: string[]): Res<FollowResult[]>;
  unfollowUser(userIDList: string[]): Res<FollowResult[]>;
  getMyFollowersList(nextCursor?: string): Res<FollowPage>;
  getMyFollowingList(nextCursor?: string): Res<FollowPage>;
  getMutualFollowersList(nextCursor?: string): Res<FollowPage>;
  /** Without userIDList: the caller's own counts. */
  getUserFollowInfo(userIDList?: string[]): Res<FollowInfo[]>;
  checkFollowType(userIDList: string[]): Res<FollowTypeResult[]>;

  // ---- groups ----
  getGroupList(): Res<{ groupList: Group[] }>;
  getGroupProfile(options: GET_GROUP_PROFILE_OPTIONS): Res<{ group: Group }>;
  createGroup(options: CREATE_GROUP_OPTIONS): Res<CreateGroupResult>;
  dismissGroup(groupID: string): Res<{ groupID: string }>;
  updateGroupProfile(options: UPDATE_GROUP_PROFILE_OPTIONS): Res<{ group: Group }>;
  joinGroup(options: JOIN_GROUP_OPTIONS): Res<JoinGroupResult>;
  quitGroup(groupID: string): Res<{ groupID: string }>;
  searchGroupByID(groupID: string): Res<{ group: Group }>;
  getGroupOnlineMemberCount(groupID: string): Res<{ memberCount: number }>;
  changeGroupOwner(options: CHANGE_GROUP_OWNER_OPTIONS): Res<{ group: Group }>;

  // ---- group applications ----
  getGroupApplicationList(): Res<{ applicationList: GroupApplication[] }>;
  handleGroupApplication(options: HANDLE_GROUP_APPLICATION_OPTIONS): Res<{ group: Group }>;

  // ---- group attributes & counters ----
  initGroupAttributes(options: INIT_GROUP_ATTRIBUTE_OPTIONS): Res<{ groupAttributes: Record<string, string> }>;
  setGroupAttributes(options: SET_GROUP_ATTRIBUTE_OPTIONS): Res<{ groupAttributes: Record<string, string> }>;
  deleteGroupAttributes(options: DELETE_GROUP_ATTRIBUTE_OPTIONS): Res<{ keyList: string[] }>;
  getGroupAttributes(options: GET_GROUP_ATTRIBUTE_OPTIONS): Res<{ groupAttributes: Record<string, string> }>;
  setGroupCounters(options: SET_GROUP_COUNTER_OPTIONS): Res<{ counters: Record<string, number> }>;
  increaseGroupCounter(options: INCREASE_GROUP_COUNTER_OPTIONS): Res<GroupCounterResult>;
  decreaseGroupCounter(options: DECREASE_GROUP_COUNTER_OPTIONS): Res<GroupCounterResult>;
  getGroupCounters(options: GET_GROUP_COUNTERS_OPTIONS): Res<{ counters: Record<string, number> }>;

  // ---- group members ----
  getGroupMemberList(options: GET_GROUP_MEMBER_LIST_OPTIONS): Res<GroupMemberListReply>;
  getGroupMemberProfile(options: GET_GROUP_MEMBER_PROFILE_OPTIONS): Res<MemberListReply>;
  addGroupMember(options: ADD_GROUP_MEMBER_OPTIONS): Res<AddGroupMemberReply>;
  deleteGroupMember(options: DELETE_GROUP_MEMBER_OPTIONS): Res<DeleteGroupMemberReply>;
  setGroupMemberMuteTime(options: SET_GROUP_MEMBER_MUTE_TIME_OPTIONS): Res<GroupMemberReply>;
  setGroupMemberRole(options: SET_GROUP_MEMBER_ROLE_OPTIONS): Res<GroupMemberReply>;
  setGroupMemberNameCard(options: SET_GROUP_MEMBER_NAME_CARD_OPTIONS): Res<GroupMemberReply>;
  setGroupMemberCustomField(options: SET_GROUP_MEMBER_CUSTOM_FIELD_OPTIONS): Res<GroupMemberReply>;
  markGroupMemberList(options: MARK_GROUP_MEMBER_LIST_OPTIONS): Res<MarkGroupMemberListReply>;

  // ---- community & topics ----
  getJoinedCommunityList(): Res<{ groupList: Group[] }>;
  createTopicInCommunity(options: CREATE_TOPIC_IN_COMMUNICATION_OPTIONS): Res<TopicIdReply>;
  deleteTopicFromCommunity(
    options: DELETE_TOPIC_FROM_COMMUNICATION_OPTIONS,
  ): Res<{ successTopicList: { topicID: string }[]; failureTopicList: TopicFailure[] }>;
  updateTopicProfile(options: UPDATE_TOPIC_PROFILE_OPTIONS): Res<TopicReply>;
  getTopicList(options: GET_TOPIC_LIST_OPTIONS): Res<{ successTopicList: Topic[]; failureTopicList: TopicFailure[] }>;

  // ---- signaling ----
  addSignalingListener(eventName: string, handler: EventHandler, context?: unknown): void;
  removeSignalingListener(eventName: string, handler: EventHandler, context?: unknown): void;
  invite(options: INVITE_OPTIONS): Res<InviteResult>;
  inviteInGroup(options: INVITE_IN_GROUP_OPTIONS): Res<InviteResult>;
  cancel(options: INVITATION_HANDLE_OPTIONS): Res<InviteResult>;
  accept(options: INVITATION_HANDLE_OPTIONS): Res<InviteResult>;
  reject(options: INVITATION_HANDLE_OPTIONS): Res<InviteResult>;
  getSignalingInfo(message: Message): Signaling | null;
  modifyInvitation(options: MODIFY_INVITATION_OPTIONS): Res<InviteResult>;
}

/**
 * Every ChatAPI method name. `satisfies` makes the compiler reject a missing or extra name, so
 * these keys are exactly the interface's; the drift test compares them with the seed's list.
 */
export const CHAT_API_METHODS = {
  login: true,
  logout: true,
  getLoginUser: true,
  isReady: true,
  destroy: true,
  on: true,
  off: true,
  registerPlugin: true,
  setLogLevel: true,
  createTextMessage: true,
  createTextAtMessage: true,
  createImageMessage: true,
  createAudioMessage: true,
  createVideoMessage: true,
  createCustomMessage: true,
  createFaceMessage: true,
  createFileMessage: true,
  createLocationMessage: true,
  createMergerMessage: true,
  downloadMergerMessage: true,
  createForwardMessage: true,
  sendMessage: true,
  searchCloudMessages: true,
  revokeMessage: true,
  resendMessage: true,
  deleteMessage: true,
  translateText: true,
  convertVoiceToText: true,
  setMessageExtensions: true,
  getMessageExtensions: true,
  deleteMessageExtensions: true,
  addMessageReaction: true,
  removeMessageReaction: true,
  getMessageReactions: true,
  getAllUserListOfMessageReaction: true,
  modifyMessage: true,
  getMessageList: true,
  getMessageListHopping: true,
  sendMessageReadReceipt: true,
  getMessageReadReceiptList: true,
  getGroupMessageReadMemberList: true,
  findMessage: true,
  setMessageRead: true,
  getConversationList: true,
  getConversationProfile: true,
  deleteConversation: true,
  setConversationDraft: true,
  clearHistoryMessage: true,
  pinConversation: true,
  setAllMessageRead: true,
  setMessageRemindType: true,
  setAllReceiveMessageOpt: true,
  getAllReceiveMessageOpt: true,
  getTotalUnreadMessageCount: true,
  setConversationCustomData: true,
  markConversation: true,
  getConversationGroupList: true,
  createConversationGroup: true,
  deleteConversationGroup: true,
  renameConversationGroup: true,
  addConversationsToGroup: true,
  deleteConversationsFromGroup: true,
  getMyProfile: true,
  getUserProfile: true,
  updateMyProfile: true,
  getBlacklist: true,
  addToBlacklist: true,
  removeFromBlacklist: true,
  setSelfStatus: true,
  getUserStatus: true,
  subscribeUserStatus: true,
  unsubscribeUserStatus: true,
  getFriendList: true,
  addFriend: true,
  deleteFriend: true,
  checkFriend: true,
  getFriendProfile: true,
  updateFriend: true,
  getFriendApplicationList: true,
  acceptFriendApplication: true,
  refuseFriendApplication: true,
  deleteFriendApplication: true,
  setFriendApplicationRead: true,
  getFriendGroupList: true,
  createFriendGroup: true,
  deleteFriendGroup: true,
  addToFriendGroup: true,
  removeFromFriendGroup: true,
  renameFriendGroup: true,
  followUser: true,
  unfollowUser: true,
  getMyFollowersList: true,
  getMyFollowingList: true,
  getMutualFollowersList: true,
  getUserFollowInfo: true,
  checkFollowType: true,
  getGroupList: true,
  getGroupProfile: true,
  createGroup: true,
  dismissGroup: true,
  updateGroupProfile: true,
  joinGroup: true,
  quitGroup: true,
  searchGroupByID: true,
  getGroupOnlineMemberCount: true,
  changeGroupOwner: true,
  getGroupApplicationList: true,
  handleGroupApplication: true,
  initGroupAttributes: true,
  setGroupAttributes: true,
  deleteGroupAttributes: true,
  getGroupAttributes: true,
  setGroupCounters: true,
  increaseGroupCounter: true,
  decreaseGroupCounter: true,
  getGroupCounters: true,
  getGroupMemberList: true,
  getGroupMemberProfile: true,
  addGroupMember: true,
  deleteGroupMember: true,
  setGroupMemberMuteTime: true,
  setGroupMemberRole: true,
  setGroupMemberNameCard: true,
  setGroupMemberCustomField: true,
  markGroupMemberList: true,
  getJoinedCommunityList: true,
  createTopicInCommunity: true,
  deleteTopicFromCommunity: true,
  updateTopicProfile: true,
  getTopicList: true,
  addSignalingListener: true,
  removeSignalingListener: true,
  invite: true,
  inviteInGroup: true,
  cancel: true,
  accept: true,
  reject: true,
  getSignalingInfo: true,
  modifyInvitation: true,
} as const satisfies Record<keyof ChatAPI, true>;
