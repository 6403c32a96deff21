// The chat instance and everything the UI asks of it: sign-in, SDK events into the store,
// and the actions components call. Every rejected imError becomes a toast.
import TencentCloudChat, {
  EVENT,
  TSignaling,
  TYPES,
  type Chat,
  type GET_MESSAGE_LIST_OPTIONS,
  type Message,
  type MESSAGE_OPTIONS,
  type TEXT_PAYLOAD,
} from "../sdk";
import * as desktop from "../sdk/desktop";
import {
  conversationName,
  kickedReason,
  mergeMessages,
  removeMessages,
  replaceMessage,
  replyCloudData,
  targetOf,
  updateMessages,
  type Conv,
  type Mention,
  type Msg,
} from "./logic";
import { getState, patchHistory, resetState, setState, type Account } from "./store";
import { loadSettings, saveSettings } from "./prefs";

let chat: Chat | null = null;
const wired = new WeakSet<object>();
let toastSeq = 0;

/** The chat instance (null before the first sign-in). */
export function getChat(): Chat | null {
  return chat;
}

/** Uses `c` as the chat instance (tests, and sign-in). */
export function setChat(c: Chat | null): void {
  chat = c;
  if (c && !wired.has(c)) {
    wired.add(c);
    wire(c);
  }
}

function need(): Chat {
  if (!chat) throw new Error("not signed in");
  return chat;
}

// ---------------------------------------------------------------- toasts

/** Shows a toast that goes away by itself. */
export function toast(text: string, kind: "error" | "info" = "info", ms = 5000): void {
  const id = ++toastSeq;
  setState((s) => ({ toasts: [...s.toasts.slice(-3), { id, text, kind }] }));
  setTimeout(() => dismissToast(id), ms);
}

/** Removes a toast. */
export function dismissToast(id: number): void {
  setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}

/** The words of an imError (or any error). */
export function errorText(e: unknown): string {
  const o = e as { code?: unknown; message?: unknown };
  if (o && typeof o === "object" && "code" in o) return `Error ${String(o.code)}: ${String(o.message ?? "")}`;
  return String((o as Error)?.message ?? e);
}

/** Reports a failure as an error toast. */
export function reportError(e: unknown): void {
  console.warn(e);
  toast(errorText(e), "error", 6000);
}

/** Awaits `p`; a rejection becomes a toast and `undefined`. */
export async function run<T>(p: Promise<T> | (() => Promise<T>)): Promise<T | undefined> {
  try {
    return await (typeof p === "function" ? p() : p);
  } catch (e) {
    reportError(e);
    return undefined;
  }
}

// ---------------------------------------------------------------- sign-in

/** `?bridge=ws://…` of the page (browser mode), or "". */
export function bridgeURL(): string {
  if (typeof location === "undefined") return "";
  return new URLSearchParams(location.search).get("bridge") ?? "";
}

/** Whether the UI can reach an SDK at all (inside the app, or with ?bridge=). */
export function canConnect(): boolean {
  return desktop.available() || !!bridgeURL();
}

function makeChat(account: Account): Chat {
  if (chat && Number(chat.options.SDKAppID) !== account.SDKAppID) {
    const old = chat;
    chat = null;
    old.destroy().catch(() => {});
  }
  const bridge = bridgeURL();
  const c = desktop.available()
    ? TencentCloudChat.create({ SDKAppID: account.SDKAppID, server: account.server })
    : TencentCloudChat.create({ SDKAppID: account.SDKAppID, bridge });
  setChat(c);
  return c;
}

/** A UserSig from a local server started with --dev-sign-in. */
export async function devSignIn(server: string, userID: string): Promise<{ SDKAppID: number; userID: string; userSig: string }> {
  if (desktop.available()) return desktop.devSignIn(server, userID);
  const http = server.replace(/^ws(s?):\/\//, "http$1://").replace(/\/+$/, "");
  let r: Response;
  try {
    r = await fetch(`${http}/dev/usersig?userID=${encodeURIComponent(userID)}`);
  } catch (e) {
    throw { code: 9505, message: `cannot reach ${http}: ${String((e as Error).message ?? e)}` };
  }
  if (!r.ok) {
    throw { code: r.status, message: `the server refused a dev sign-in (${r.status}); start it with --dev-sign-in, or use a UserSig` };
  }
  return r.json();
}

/** Signs in; true on success. */
export async function signIn(account: Account): Promise<boolean> {
  setState({ phase: "signing-in", kicked: "" });
  try {
    const c = makeChat(account);
    await c.login({ userID: account.userID, userSig: account.userSig });
    setState({ phase: "main", account, me: account.userID, tab: "chats" });
    const settings = await loadSettings();
    await saveSettings({ ...settings, lastAccount: account });
    setState({ settings: { notifications: settings.notifications, notificationPreviews: settings.notificationPreviews } });
    void refreshAll();
    return true;
  } catch (e) {
    reportError(e);
    setState({ phase: "signin" });
    return false;
  }
}

/** Loads the lists the main screen shows. */
export async function refreshAll(): Promise<void> {
  const c = need();
  setState({ totalUnread: c.getTotalUnreadMessageCount() });
  await Promise.all([
    run(c.getConversationList()).then((r: any) => {
      if (r) setState({ conversations: r.data.conversationList ?? [], conversationsLoaded: true });
    }),
    run(c.getMyProfile()).then((r: any) => r && setState({ myProfile: r.data })),
    refreshContacts(),
  ]);
  setState({ totalUnread: c.getTotalUnreadMessageCount() });
}

/** Friends, friend applications and groups. */
export async function refreshContacts(): Promise<void> {
  const c = need();
  await Promise.all([
    c.getFriendList().then((r: any) => setState({ friends: r.data ?? [] })).catch(() => {}),
    c
      .getFriendApplicationList()
      .then((r: any) =>
        setState({ applications: r.data?.friendApplicationList ?? [], applicationUnread: Number(r.data?.unreadCount ?? 0) }),
      )
      .catch(() => {}),
    c.getGroupList().then((r: any) => setState({ groups: r.data?.groupList ?? [] })).catch(() => {}),
  ]);
}

/** Signs out and forgets the account. */
export async function signOut(): Promise<void> {
  const c = chat;
  if (c) await c.logout().catch(() => {});
  const settings = await loadSettings();
  await saveSettings({ ...settings, lastAccount: null });
  resetState();
}

/** After KICKED_OUT: back to sign-in (the account is kept so the form is filled in). */
export function acknowledgeKick(): void {
  resetState();
}

// ---------------------------------------------------------------- events

function merge(convID: string, list: Msg[]): void {
  if (!getState().histories[convID]) return;
  patchHistory(convID, (h) => ({ list: mergeMessages(h.list, list) }));
}

function byConversation(list: Msg[]): Map<string, Msg[]> {
  const out = new Map<string, Msg[]>();
  for (const m of list) {
    if (!m?.conversationID) continue;
    const a = out.get(m.conversationID) ?? [];
    a.push(m);
    out.set(m.conversationID, a);
  }
  return out;
}

function windowActive(): boolean {
  if (typeof document === "undefined") return false;
  return document.visibilityState === "visible" && document.hasFocus();
}

function wire(c: Chat): void {
  c.on(EVENT.SDK_READY, () => {
    setState({ ready: true });
    if (getState().phase === "main") void refreshAll();
  });
  c.on(EVENT.SDK_NOT_READY, () => setState({ ready: false }));
  c.on(EVENT.MESSAGE_RECEIVED, (e) => {
    const list = (e.data ?? []) as Msg[];
    for (const [id, msgs] of byConversation(list)) {
      merge(id, msgs);
      if (id === getState().currentID && windowActive()) void markRead(id, msgs);
    }
  });
  const update = (e: { data: any }) => {
    const list = (Array.isArray(e.data) ? e.data : []) as Msg[];
    for (const [id, msgs] of byConversation(list)) {
      if (getState().histories[id]) patchHistory(id, (h) => ({ list: updateMessages(h.list, msgs) }));
    }
  };
  c.on(EVENT.MESSAGE_MODIFIED, update);
  c.on(EVENT.MESSAGE_REVOKED, update);
  c.on(EVENT.MESSAGE_READ_BY_PEER, update);
  c.on(EVENT.MESSAGE_READ_RECEIPT_RECEIVED, (e) => {
    const list = (Array.isArray(e.data) ? e.data : []) as any[];
    for (const r of list) {
      const id = r.conversationID;
      if (!id || !getState().histories[id]) continue;
      patchHistory(id, (h) => ({
        list: h.list.map((m) =>
          m.ID === r.messageID ? { ...m, readReceiptInfo: { ...(m.readReceiptInfo ?? {}), ...r } } : m,
        ),
      }));
    }
  });
  c.on(EVENT.MESSAGE_REACTIONS_UPDATED, (e) => {
    const d = e.data ?? {};
    const items = Array.isArray(d) ? d : [d];
    setState((s) => {
      const reactions = { ...s.reactions };
      for (const it of items) if (it?.messageID) reactions[it.messageID] = it.reactionList ?? [];
      return { reactions };
    });
  });
  c.on(EVENT.CONVERSATION_LIST_UPDATED, (e) => {
    setState({ conversations: (e.data ?? []) as Conv[], conversationsLoaded: true });
  });
  c.on(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (e) => setState({ totalUnread: Number(e.data ?? 0) }));
  c.on(EVENT.GROUP_LIST_UPDATED, (e) => setState({ groups: (e.data ?? []) as any[] }));
  c.on(EVENT.FRIEND_LIST_UPDATED, (e) => setState({ friends: (e.data ?? []) as any[] }));
  c.on(EVENT.FRIEND_APPLICATION_LIST_UPDATED, (e) =>
    setState({
      applications: e.data?.friendApplicationList ?? [],
      applicationUnread: Number(e.data?.unreadCount ?? 0),
    }),
  );
  c.on(EVENT.PROFILE_UPDATED, (e) => {
    const me = getState().me;
    const mine = ((e.data ?? []) as any[]).find((p) => p?.userID === me);
    if (mine) setState((s) => ({ myProfile: { ...(s.myProfile ?? {}), ...mine } }));
  });
  c.on(EVENT.KICKED_OUT, (e) => {
    setState({ kicked: kickedReason(String(e.data?.type ?? "")), call: null });
    void loadSettings().then((s) => saveSettings({ ...s, lastAccount: null }));
  });
  c.on(EVENT.NET_STATE_CHANGE, (e) => setState({ net: String(e.data?.state ?? TYPES.NET_STATE_CONNECTED) }));
  c.on(EVENT.ERROR, (e) => reportError(e.data));

  c.addSignalingListener(String(TSignaling.NEW_INVITATION_RECEIVED), (e) => {
    const d = e.data ?? {};
    if (d.inviter === getState().me) return;
    setState({
      call: { mode: "incoming", inviteID: d.inviteID, peer: d.inviter, groupID: d.groupID ?? "", status: "ringing" },
    });
  });
  const closeIf = (status: string) => (e: { data: any }) => {
    const call = getState().call;
    if (!call || call.inviteID !== e.data?.inviteID) return;
    setState({ call: null });
    toast(status);
  };
  c.addSignalingListener(String(TSignaling.INVITATION_CANCELLED), closeIf("The call was cancelled"));
  c.addSignalingListener(String(TSignaling.INVITATION_TIMEOUT), closeIf("No answer"));
  c.addSignalingListener(String(TSignaling.INVITEE_REJECTED), closeIf("The call was declined"));
  c.addSignalingListener(String(TSignaling.INVITEE_ACCEPTED), (e) => {
    const call = getState().call;
    if (call && call.inviteID === e.data?.inviteID) setState({ call: { ...call, status: "accepted" } });
  });
}

// ---------------------------------------------------------------- conversations

/** The conversation object for an ID (a bare one when the SDK has none yet). */
export function conversationOf(id: string): Conv {
  return (
    getState().conversations.find((c) => c.conversationID === id) ?? {
      conversationID: id,
      type: targetOf(id).type,
      unreadCount: 0,
      draftText: "",
    }
  );
}

/** Opens a conversation: saves the previous draft, loads history, marks it read. */
export async function openConversation(id: string): Promise<void> {
  const s = getState();
  setState({ currentID: id, tab: "chats", panel: s.currentID === id ? s.panel : "" });
  if (!s.histories[id]) await loadOlder(id);
  void markRead(id);
}

/** Marks a conversation read, and sends read receipts for messages that ask for one. */
export async function markRead(id: string, fresh?: Msg[]): Promise<void> {
  const c = chat;
  if (!c) return;
  const conv = getState().conversations.find((x) => x.conversationID === id);
  if (!conv || conv.unreadCount > 0 || fresh) await c.setMessageRead({ conversationID: id }).catch(() => {});
  const list = (fresh ?? getState().histories[id]?.list ?? []).filter(
    (m) => m.flow === "in" && m.needReadReceipt && !m.readReceiptInfo?.isPeerRead && !m.__receiptSent,
  );
  if (list.length) {
    for (const m of list) m.__receiptSent = true;
    await c.sendMessageReadReceipt(list.slice(-30) as Message[]).catch(() => {});
  }
}

/** Loads the next page of older messages. */
export async function loadOlder(id: string): Promise<void> {
  const c = need();
  const h = getState().histories[id];
  if (h && (h.loading || h.isCompleted)) return;
  patchHistory(id, () => ({ loading: true }));
  try {
    const opts: GET_MESSAGE_LIST_OPTIONS = { conversationID: id };
    if (h?.nextReqMessageID) opts.nextReqMessageID = h.nextReqMessageID;
    const r: any = await c.getMessageList(opts);
    const page = (r.data.messageList ?? []) as Msg[];
    patchHistory(id, (cur) => ({
      list: mergeMessages(cur.list, page),
      nextReqMessageID: r.data.nextReqMessageID ?? "",
      isCompleted: !!r.data.isCompleted,
      loading: false,
    }));
    void loadExtras(id, page);
  } catch (e) {
    patchHistory(id, () => ({ loading: false, isCompleted: true }));
    reportError(e);
  }
}

/** Reactions and read receipts of a page of messages (both optional features: failures are quiet). */
async function loadExtras(id: string, page: Msg[]): Promise<void> {
  const c = chat;
  if (!c || page.length === 0 || id === TYPES.CONV_SYSTEM) return;
  const sent = page.filter((m) => m.status === "success" && !m.isRevoked);
  for (let i = 0; i < sent.length; i += 20) {
    const chunk = sent.slice(i, i + 20);
    c.getMessageReactions({ messageList: chunk as Message[], maxUserCountPerReaction: 5 })
      .then((r: any) => {
        const list = (r.data?.resultList ?? []) as any[];
        setState((s) => {
          const reactions = { ...s.reactions };
          for (const it of list) if (it.reactionList?.length) reactions[it.messageID] = it.reactionList;
          return { reactions };
        });
      })
      .catch(() => {});
  }
  const mine = sent.filter((m) => m.flow === "out" && m.needReadReceipt);
  if (mine.length) {
    c.getMessageReadReceiptList(mine.slice(-30) as Message[])
      .then((r: any) => {
        const list = (r.data?.messageList ?? []) as Msg[];
        if (list.length) patchHistory(id, (h) => ({ list: updateMessages(h.list, list) }));
      })
      .catch(() => {});
  }
}

/** Saves a conversation's draft in the SDK (only when it changed). */
export async function saveDraft(id: string, text: string): Promise<void> {
  const c = chat;
  if (!c || !id) return;
  const conv = getState().conversations.find((x) => x.conversationID === id);
  if ((conv?.draftText ?? "") === text) return;
  if (!conv && !text) return;
  await c.setConversationDraft({ conversationID: id, draftText: text }).catch(() => {});
}

// ---------------------------------------------------------------- sending

/** Shows `msg` at once, sends it, then shows what the SDK made of it (or the failure). */
export async function sendMessage(convID: string, msg: Msg): Promise<boolean> {
  const c = need();
  const localID = msg.ID;
  patchHistory(convID, (h) => ({ list: mergeMessages(h.list, [{ ...msg }]) }));
  try {
    const r: any = await c.sendMessage(msg as Message);
    const made = (r.data?.message ?? msg) as Msg;
    patchHistory(convID, (h) => ({ list: replaceMessage(h.list, localID, made) }));
    return true;
  } catch (e: any) {
    const failed = (e?.data?.message ?? msg) as Msg;
    patchHistory(convID, (h) => ({ list: replaceMessage(h.list, localID, { ...failed, status: "fail" }) }));
    reportError(e);
    return false;
  } finally {
    setState((s) => {
      const uploads = { ...s.uploads };
      delete uploads[localID];
      return { uploads };
    });
  }
}

/** Sends text (with @mentions in groups, and a quoted reply). */
export async function sendText(convID: string, text: string, mentions: Mention[], atList: string[], replyTo: Msg | null): Promise<boolean> {
  const c = need();
  const t = targetOf(convID);
  const group = t.type === TYPES.CONV_GROUP;
  const options: MESSAGE_OPTIONS<TEXT_PAYLOAD> = {
    to: t.id,
    conversationType: t.type,
    payload: { text },
  };
  if (group) options.needReadReceipt = true;
  if (replyTo) options.cloudCustomData = replyCloudData(replyTo, senderName(replyTo));
  let msg: Msg;
  if (group && atList.length && mentions.length) {
    msg = c.createTextAtMessage({ ...options, payload: { text, atUserList: atList } }) as Msg;
  } else {
    msg = c.createTextMessage(options) as Msg;
  }
  return sendMessage(convID, msg);
}

/** Resends a failed message. */
export async function resend(convID: string, m: Msg): Promise<void> {
  const c = need();
  const r: any = await run(c.resendMessage(m as Message));
  if (r?.data?.message) patchHistory(convID, (h) => ({ list: mergeMessages(h.list, [r.data.message]) }));
}

/** The name shown for a message's sender. */
export function senderName(m: Msg): string {
  if (m.flow === "out" || m.from === getState().me) return getState().myProfile?.nick || m.from || "You";
  return m.nameCard || m.nick || m.from || "";
}

/** Forwards `m` to the conversations `ids`. */
export async function forward(m: Msg, ids: string[]): Promise<void> {
  const c = need();
  for (const id of ids) {
    const t = targetOf(id);
    const f = c.createForwardMessage({ to: t.id, conversationType: t.type, payload: m as Message }) as Msg;
    await sendMessage(id, f);
  }
}

/** Revokes one's own message. */
export async function revoke(m: Msg): Promise<void> {
  const r: any = await run(need().revokeMessage(m as Message));
  if (r) {
    const updated = (r.data?.message ?? { ...m, isRevoked: true, revoker: getState().me }) as Msg;
    patchHistory(m.conversationID, (h) => ({ list: updateMessages(h.list, [updated]) }));
  }
}

/** Deletes messages for oneself. */
export async function deleteMessages(list: Msg[]): Promise<void> {
  if (!list.length) return;
  const id = list[0].conversationID;
  const sent = list.filter((m) => m.status === "success");
  if (sent.length) {
    const r = await run(need().deleteMessage(sent as Message[]));
    if (r === undefined) return;
  }
  patchHistory(id, (h) => ({ list: removeMessages(h.list, list.map((m) => m.ID)) }));
}

/** Adds (or, when already one's own, removes) a reaction. */
export async function toggleReaction(m: Msg, reactionID: string): Promise<void> {
  const me = getState().me;
  const current = getState().reactions[m.ID] ?? [];
  const mine = current.find((r) => r.reactionID === reactionID)?.partialUserList?.some((u: any) => u.userID === me);
  const c = need();
  const msg = m as Message;
  await run(mine ? c.removeMessageReaction(msg, reactionID) : c.addMessageReaction(msg, reactionID));
  const r: any = await c.getMessageReactions({ messageList: [msg], maxUserCountPerReaction: 5 }).catch(() => null);
  const item = r?.data?.resultList?.[0];
  if (item) setState((s) => ({ reactions: { ...s.reactions, [m.ID]: item.reactionList ?? [] } }));
}

// ---------------------------------------------------------------- conversation actions

export async function pin(c: Conv, isPinned: boolean): Promise<void> {
  await run(need().pinConversation({ conversationID: c.conversationID, isPinned }));
}

/** Mutes (AcceptNotNotify) or unmutes (AcceptAndNotify) a conversation. */
export async function mute(c: Conv, muted: boolean): Promise<void> {
  const t = targetOf(c.conversationID);
  const messageRemindType = muted ? TYPES.MSG_REMIND_ACPT_NOT_NOTE : TYPES.MSG_REMIND_ACPT_AND_NOTE;
  const opts = t.type === TYPES.CONV_GROUP ? { groupID: t.id, messageRemindType } : { userIDList: [t.id], messageRemindType };
  await run(need().setMessageRemindType(opts));
}

export async function removeConversation(c: Conv): Promise<void> {
  const r = await run(need().deleteConversation(c.conversationID));
  if (r !== undefined) {
    setState((s) => {
      const histories = { ...s.histories };
      delete histories[c.conversationID];
      return { histories, currentID: s.currentID === c.conversationID ? "" : s.currentID };
    });
  }
}

export async function readConversation(c: Conv): Promise<void> {
  await run(need().setMessageRead({ conversationID: c.conversationID }));
}

// ---------------------------------------------------------------- calls

/** Calls the peer of a C2C conversation. */
export async function startCall(convID: string): Promise<void> {
  const t = targetOf(convID);
  if (t.type !== TYPES.CONV_C2C) return;
  const r: any = await run(need().invite({ userID: t.id, data: JSON.stringify({ call_type: 1 }), timeout: 30 }));
  if (r) setState({ call: { mode: "outgoing", inviteID: r.data.inviteID, peer: t.id, groupID: "", status: "calling" } });
}

export async function acceptCall(): Promise<void> {
  const call = getState().call;
  if (!call) return;
  const ok = await run(need().accept({ inviteID: call.inviteID, data: "" }));
  setState({ call: null });
  if (ok !== undefined) toast(`Call with ${call.peer} accepted`);
}

export async function rejectCall(): Promise<void> {
  const call = getState().call;
  if (!call) return;
  setState({ call: null });
  await run(need().reject({ inviteID: call.inviteID, data: "" }));
}

export async function cancelCall(): Promise<void> {
  const call = getState().call;
  if (!call) return;
  setState({ call: null });
  await run(need().cancel({ inviteID: call.inviteID, data: "" }));
}

/** The display name of a userID as far as the UI knows it (friends, conversations). */
export function nameOf(userID: string): string {
  const s = getState();
  if (userID === s.me) return "You";
  const f = s.friends.find((x) => x.userID === userID);
  if (f) return f.remark || f.profile?.nick || userID;
  const c = s.conversations.find((x) => x.conversationID === `C2C${userID}`);
  if (c) return conversationName(c);
  return userID;
}
