// Pure UI logic: ordering, formatting, merging, windowing maths, mention and key handling.
// No SDK calls and no DOM here, so all of it is unit-tested (test/app/logic.test.ts).
import { TYPES } from "../sdk";

/** The loose message shape the UI reads (the SDK's Message; payload differs by type). */
export type Msg = Record<string, any> & { ID: string; type: string; time: number; flow?: string };
/** The loose conversation shape the UI reads. */
export type Conv = Record<string, any> & { conversationID: string };

// ---------------------------------------------------------------- conversations

/** Pinned first, then the newest last message first (ties keep their order). */
export function sortConversations<T extends Conv>(list: readonly T[]): T[] {
  return list
    .map((c, i) => ({ c, i }))
    .sort((a, b) => {
      const pa = a.c.isPinned ? 1 : 0;
      const pb = b.c.isPinned ? 1 : 0;
      if (pa !== pb) return pb - pa;
      const ta = Number(a.c.lastMessage?.lastTime ?? 0);
      const tb = Number(b.c.lastMessage?.lastTime ?? 0);
      if (ta !== tb) return tb - ta;
      const sa = Number(a.c.lastMessage?.lastSequence ?? 0);
      const sb = Number(b.c.lastMessage?.lastSequence ?? 0);
      if (sa !== sb) return sb - sa;
      return a.i - b.i;
    })
    .map((x) => x.c);
}

/** The peer or group ID of a conversation ID. */
export function targetOf(conversationID: string): { type: string; id: string } {
  if (conversationID.startsWith("C2C")) return { type: String(TYPES.CONV_C2C), id: conversationID.slice(3) };
  if (conversationID.startsWith("GROUP")) return { type: String(TYPES.CONV_GROUP), id: conversationID.slice(5) };
  return { type: conversationID, id: conversationID };
}

/** The name a conversation is shown by: remark, nickname or group name, else the ID. */
export function conversationName(c: Conv): string {
  if (c.conversationID === TYPES.CONV_SYSTEM) return "System notifications";
  if (c.type === TYPES.CONV_GROUP || c.conversationID.startsWith("GROUP")) {
    return c.groupProfile?.name || targetOf(c.conversationID).id;
  }
  return c.remark || c.userProfile?.nick || c.userProfile?.userID || targetOf(c.conversationID).id;
}

/** The avatar URL of a conversation, or "". */
export function conversationAvatar(c: Conv): string {
  if (c.conversationID.startsWith("GROUP")) return c.groupProfile?.avatar || "";
  return c.userProfile?.avatar || "";
}

/** Whether the conversation does not notify (remind type other than AcceptAndNotify). */
export function isMuted(c: Conv): boolean {
  const t = c.messageRemindType;
  return !!t && t !== TYPES.MSG_REMIND_ACPT_AND_NOTE;
}

/** "@me", "@all", "@all @me" or "" from groupAtInfoList. */
export function atMark(c: Conv): string {
  const list: any[] = Array.isArray(c.groupAtInfoList) ? c.groupAtInfoList : [];
  let me = false;
  let all = false;
  for (const a of list) {
    const t = Number(a?.atTypeArray?.[0] ?? a?.atType ?? TYPES.CONV_AT_ME);
    if (t === TYPES.CONV_AT_ME) me = true;
    else if (t === TYPES.CONV_AT_ALL) all = true;
    else if (t === TYPES.CONV_AT_ALL_AT_ME) {
      me = true;
      all = true;
    }
  }
  if (me && all) return "[@all @me]";
  if (me) return "[@me]";
  if (all) return "[@all]";
  return "";
}

/** Filters conversations by a query on name or ID (case-insensitive). */
export function filterConversations<T extends Conv>(list: readonly T[], query: string): T[] {
  const q = query.trim().toLowerCase();
  if (!q) return list as T[];
  return list.filter(
    (c) => conversationName(c).toLowerCase().includes(q) || c.conversationID.toLowerCase().includes(q),
  );
}

/** "alice recalled a message" / "You recalled a message". */
export function recalledText(who: string, isMe: boolean): string {
  return `${isMe ? "You" : who || "Someone"} recalled a message`;
}

/** The list's second line: draft, recall, or the SDK's messageForShow (group: "sender: …"). */
export function previewText(c: Conv, me: string): { draft: boolean; text: string } {
  if (c.draftText) return { draft: true, text: `Draft: ${c.draftText}` };
  const m = c.lastMessage;
  if (!m || (!m.messageForShow && !m.isRevoked)) return { draft: false, text: "" };
  if (m.isRevoked) {
    const who = m.nameCard || m.nick || m.fromAccount || "";
    return { draft: false, text: recalledText(who, m.fromAccount === me) };
  }
  const text = m.type === TYPES.MSG_GRP_SYS_NOTICE ? systemNoticeText(m.payload) : String(m.messageForShow ?? "");
  const group = c.conversationID.startsWith("GROUP");
  if (group && m.fromAccount && m.type !== TYPES.MSG_GRP_TIP && m.fromAccount !== "@TIM#SYSTEM") {
    const who = m.fromAccount === me ? "You" : m.nameCard || m.nick || m.fromAccount;
    return { draft: false, text: `${who}: ${text}` };
  }
  return { draft: false, text };
}

// ---------------------------------------------------------------- time

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const WEEKDAYS_LONG = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Whole calendar days between two instants (local time), `later` − `earlier`. */
export function dayDiff(earlierMs: number, laterMs: number): number {
  return Math.round((startOfDay(new Date(laterMs)) - startOfDay(new Date(earlierMs))) / 86_400_000);
}

/** HH:MM of a unix-seconds time. */
export function clock(sec: number): string {
  const d = new Date(sec * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The conversation list's time: today → HH:MM, within the week → weekday, else the date. */
export function listTime(sec: number, nowMs = Date.now()): string {
  if (!sec) return "";
  const d = new Date(sec * 1000);
  const days = dayDiff(d.getTime(), nowMs);
  if (days <= 0) return clock(sec);
  if (days < 7) return WEEKDAYS[d.getDay()];
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A date separator's label: Today, Yesterday, a weekday, or "12 Mar" / "12 Mar 2023". */
export function dateLabel(sec: number, nowMs = Date.now()): string {
  const d = new Date(sec * 1000);
  const days = dayDiff(d.getTime(), nowMs);
  if (days <= 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days < 7) return WEEKDAYS_LONG[d.getDay()];
  const sameYear = d.getFullYear() === new Date(nowMs).getFullYear();
  return `${d.getDate()} ${MONTHS[d.getMonth()]}${sameYear ? "" : ` ${d.getFullYear()}`}`;
}

function dayKey(sec: number): string {
  const d = new Date(sec * 1000);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

// ---------------------------------------------------------------- messages

/** Orders messages oldest first: by time, then sequence; equal ones keep their order. */
function byTime(a: Msg, b: Msg): number {
  if (a.time !== b.time) return a.time - b.time;
  const sa = Number(a.sequence ?? 0);
  const sb = Number(b.sequence ?? 0);
  if (sa && sb && sa !== sb) return sa - sb;
  return 0;
}

/**
 * Merges messages into a list: one entry per ID (the incoming copy wins), deleted messages
 * dropped, oldest first. Works for a page of older messages (prepend), new arrivals
 * (append) and updates (modified/revoked) alike.
 */
export function mergeMessages(existing: readonly Msg[], incoming: readonly Msg[]): Msg[] {
  if (incoming.length === 0) return existing as Msg[];
  const byId = new Map<string, Msg>();
  const order: string[] = [];
  for (const m of existing) {
    if (!byId.has(m.ID)) order.push(m.ID);
    byId.set(m.ID, m);
  }
  for (const m of incoming) {
    if (!m || typeof m.ID !== "string") continue;
    if (!byId.has(m.ID)) order.push(m.ID);
    byId.set(m.ID, { ...(byId.get(m.ID) ?? {}), ...m });
  }
  const list = order.map((id) => byId.get(id)!).filter((m) => !m.isDeleted);
  // A stable sort keeps arrival order among equal times.
  return list.map((m, i) => ({ m, i })).sort((a, b) => byTime(a.m, b.m) || a.i - b.i).map((x) => x.m);
}

/** Only updates messages already in the list (MESSAGE_MODIFIED / REVOKED for other chats are ignored). */
export function updateMessages(existing: readonly Msg[], updates: readonly Msg[]): Msg[] {
  const ids = new Set(existing.map((m) => m.ID));
  const known = updates.filter((m) => ids.has(m.ID));
  return known.length ? mergeMessages(existing, known) : (existing as Msg[]);
}

/** Replaces the message `oldID` (a local placeholder) by `m`, keeping its place. */
export function replaceMessage(existing: readonly Msg[], oldID: string, m: Msg): Msg[] {
  const rest = existing.filter((x) => x.ID !== m.ID || x.ID === oldID);
  let found = false;
  const out = rest.map((x) => {
    if (x.ID === oldID) {
      found = true;
      // The row keeps its key (no remount, open menus stay) when the ID changes.
      return { ...m, __key: x.__key ?? oldID };
    }
    return x;
  });
  return found ? out : mergeMessages(existing, [m]);
}

/** Removes messages by ID. */
export function removeMessages(existing: readonly Msg[], ids: readonly string[]): Msg[] {
  const drop = new Set(ids);
  return existing.filter((m) => !drop.has(m.ID));
}

/** A row of the chat view: a date separator or a message. */
export type ChatRow = { kind: "date"; key: string; label: string } | { kind: "msg"; key: string; message: Msg };

/** Inserts a date separator before the first message of each day. */
export function withDateSeparators(list: readonly Msg[], nowMs = Date.now()): ChatRow[] {
  const rows: ChatRow[] = [];
  let last = "";
  for (const m of list) {
    const k = dayKey(m.time);
    if (k !== last) {
      rows.push({ kind: "date", key: `date-${k}`, label: dateLabel(m.time, nowMs) });
      last = k;
    }
    rows.push({ kind: "msg", key: m.__key ?? m.ID, message: m });
  }
  return rows;
}

/** "1.2 MB". */
export function formatSize(bytes: number): string {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** "1:05" of seconds. */
export function formatDuration(sec: number): string {
  const s = Math.max(0, Math.round(Number(sec) || 0));
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** The image URL to show inline (thumbnail, else big, else original) and the full-size one. */
export function imageUrls(payload: any): { thumb: string; full: string; width: number; height: number } {
  const arr: any[] = Array.isArray(payload?.imageInfoArray) ? payload.imageInfoArray : [];
  const find = (t: number) => arr.find((i) => Number(i?.type) === t);
  const orig = find(0) ?? arr[0];
  const thumb = find(2) ?? find(1) ?? orig;
  return {
    thumb: thumb?.url ?? "",
    full: orig?.url ?? thumb?.url ?? "",
    width: Number(orig?.width ?? payload?.localFile?.width ?? 0),
    height: Number(orig?.height ?? payload?.localFile?.height ?? 0),
  };
}

/** The size an inline image is shown at: within 240×240, keeping its ratio. */
export function fitImage(w: number, h: number, max = 240): { width: number; height: number } {
  if (!w || !h) return { width: max, height: Math.round(max * 0.66) };
  const k = Math.min(1, max / w, max / h);
  return { width: Math.max(40, Math.round(w * k)), height: Math.max(40, Math.round(h * k)) };
}

/** A short description of a message for quotes, forwards and notifications. */
export function messageAbstract(m: Msg): string {
  const p = m.payload ?? {};
  switch (m.type) {
    case TYPES.MSG_TEXT:
      return String(p.text ?? "");
    case TYPES.MSG_IMAGE:
      return "[Image]";
    case TYPES.MSG_AUDIO:
      return "[Voice]";
    case TYPES.MSG_VIDEO:
      return "[Video]";
    case TYPES.MSG_FILE:
      return `[File] ${p.fileName ?? ""}`.trim();
    case TYPES.MSG_FACE:
      return "[Sticker]";
    case TYPES.MSG_LOCATION:
      return `[Location] ${p.description ?? ""}`.trim();
    case TYPES.MSG_MERGER:
      return `[Chat History] ${p.title ?? ""}`.trim();
    case TYPES.MSG_CUSTOM:
      return String(p.description || "[Custom Message]");
    default:
      return "[Message]";
  }
}

/** The numbers TencentCloudChat's UIKit gives message types in `messageReply.messageType`. */
const UIKIT_TYPE: Record<string, number> = {
  TIMTextElem: 1,
  TIMCustomElem: 2,
  TIMImageElem: 3,
  TIMSoundElem: 4,
  TIMVideoFileElem: 5,
  TIMFileElem: 6,
  TIMLocationElem: 7,
  TIMFaceElem: 8,
  TIMGroupTipElem: 9,
  TIMRelayElem: 10,
};

/** A quoted reply as the TencentCloudChat UIKit writes it: cloudCustomData `{messageReply}`. */
export interface Reply {
  messageID: string;
  messageAbstract: string;
  messageSender: string;
  messageType: number;
  version: number;
}

/** The cloudCustomData of a reply to `m` (keeps other keys of `existing`). */
export function replyCloudData(m: Msg, senderName: string, existing = ""): string {
  let base: Record<string, unknown> = {};
  try {
    base = existing ? JSON.parse(existing) : {};
  } catch {
    base = {};
  }
  const messageReply: Reply = {
    messageID: m.ID,
    messageAbstract: messageAbstract(m).slice(0, 200),
    messageSender: senderName,
    messageType: UIKIT_TYPE[m.type] ?? 0,
    version: 1,
  };
  return JSON.stringify({ ...base, messageReply });
}

/** The quoted reply a message carries, or null. */
export function parseReply(m: Msg): Reply | null {
  if (!m.cloudCustomData) return null;
  try {
    const r = JSON.parse(String(m.cloudCustomData))?.messageReply;
    if (r && typeof r === "object" && typeof r.messageID === "string") return r as Reply;
  } catch {
    /* not JSON: no reply */
  }
  return null;
}

/** Words for a group tip (TIMGroupTipElem). `name` turns userIDs into names. */
export function groupTipText(payload: any, name: (id: string) => string = (x) => x): string {
  const op = payload?.operatorID ? name(String(payload.operatorID)) : "";
  const users: string[] = (payload?.userIDList ?? []).map((u: string) => name(u));
  const list = users.join(", ");
  switch (Number(payload?.operationType)) {
    case TYPES.GRP_TIP_MBR_JOIN:
      if (op && list && !users.includes(op)) return `${op} invited ${list}`;
      if (op && users.includes(op) && users.length > 1) return `${op} added ${users.filter((u) => u !== op).join(", ")}`;
      return `${list || op} joined the group`;
    case TYPES.GRP_TIP_MBR_QUIT:
      return `${list || op} left the group`;
    case TYPES.GRP_TIP_MBR_KICKED_OUT:
      return `${op || "An admin"} removed ${list}`;
    case TYPES.GRP_TIP_MBR_SET_ADMIN:
      return `${list} became an admin`;
    case TYPES.GRP_TIP_MBR_CANCELED_ADMIN:
      return `${list} is no longer an admin`;
    case TYPES.GRP_TIP_GRP_PROFILE_UPDATED: {
      const p = payload?.newGroupProfile ?? {};
      if (p.name) return `${op || "Someone"} renamed the group to "${p.name}"`;
      if (p.notification !== undefined) return `${op || "Someone"} updated the group notice`;
      if (p.muteAllMembers !== undefined) return p.muteAllMembers ? "Everyone is muted" : "Everyone may speak again";
      if (p.ownerID) return `${name(String(p.ownerID))} is now the owner`;
      return `${op || "Someone"} updated the group profile`;
    }
    case TYPES.GRP_TIP_MBR_PROFILE_UPDATED: {
      const muted = (payload?.memberList ?? []).filter((m: any) => Number(m?.muteTime) > 0);
      if (muted.length) return `${muted.map((m: any) => name(m.userID)).join(", ")} muted`;
      return `${list || "A member"} updated their group profile`;
    }
    default:
      return "Group notification";
  }
}

/** Words for a group system notice (TIMGroupSystemNoticeElem). */
export function systemNoticeText(payload: any): string {
  const g = payload?.groupProfile?.name || payload?.groupProfile?.groupID || "a group";
  const op = payload?.operatorID || "";
  const t = Number(payload?.operationType);
  const base: Record<number, string> = {
    1: `${op} asked to join ${g}`,
    2: `Your request to join ${g} was accepted`,
    3: `Your request to join ${g} was declined`,
    4: `You were removed from ${g}`,
    5: `${g} was dismissed`,
    6: `You created ${g}`,
    7: `${op} invited you to ${g}`,
    8: `You left ${g}`,
    9: `You became an admin of ${g}`,
    10: `You are no longer an admin of ${g}`,
    12: `${op} invited you to ${g}`,
  };
  const text = base[t] ?? `Notice from ${g}`;
  return payload?.handleMessage ? `${text}: ${payload.handleMessage}` : text;
}

/** The KICKED_OUT reason in words. */
export function kickedReason(type: string): string {
  switch (type) {
    case TYPES.KICKED_OUT_MULT_ACCOUNT:
      return "You signed in with this account in another window or browser.";
    case TYPES.KICKED_OUT_MULT_DEVICE:
      return "You signed in with this account on another device.";
    case TYPES.KICKED_OUT_USERSIG_EXPIRED:
      return "Your sign-in (UserSig) expired. Please sign in again.";
    case TYPES.KICKED_OUT_REST_API:
      return "An administrator signed you out.";
    default:
      return `You were signed out (${type || "unknown reason"}).`;
  }
}

// ---------------------------------------------------------------- composer

/** What a key press in the composer does: Enter sends, Shift+Enter (or IME composing) types. */
export function composerKeyAction(e: { key: string; shiftKey?: boolean; isComposing?: boolean; ctrlKey?: boolean; metaKey?: boolean }): "send" | "newline" | "none" {
  if (e.key !== "Enter") return "none";
  if (e.isComposing) return "none";
  if (e.shiftKey) return "newline";
  return "send";
}

/** The @query being typed at the caret: `{start, query}` (start = index of "@"), or null. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf("@");
  if (at < 0) return null;
  if (at > 0 && !/\s/.test(before[at - 1])) return null;
  const query = before.slice(at + 1);
  if (/\s/.test(query) || query.length > 32) return null;
  return { start: at, query };
}

/** Replaces the @query at `start..caret` by "@name "; returns the text and the new caret. */
export function insertMention(text: string, start: number, caret: number, name: string): { text: string; caret: number } {
  const ins = `@${name} `;
  return { text: text.slice(0, start) + ins + text.slice(caret), caret: start + ins.length };
}

/** A mention picked in the composer. */
export interface Mention {
  userID: string;
  name: string;
}

/** The atUserList for `text`: the picked mentions whose "@name" is still in it (deduplicated). */
export function atUserList(text: string, picked: readonly Mention[]): string[] {
  const out: string[] = [];
  for (const p of picked) {
    if (text.includes(`@${p.name}`) && !out.includes(p.userID)) out.push(p.userID);
  }
  return out;
}

/** Members matching an @query by name or userID (at most `limit`). */
export function matchMembers<T extends { userID: string; nick?: string; nameCard?: string }>(
  members: readonly T[],
  query: string,
  limit = 8,
): T[] {
  const q = query.toLowerCase();
  return members
    .filter(
      (m) =>
        m.userID.toLowerCase().includes(q) ||
        (m.nick ?? "").toLowerCase().includes(q) ||
        (m.nameCard ?? "").toLowerCase().includes(q),
    )
    .slice(0, limit);
}

// ---------------------------------------------------------------- files

/** The kind of a local file by its extension (used when the shell cannot tell). */
export function kindOfPath(path: string): "image" | "video" | "audio" | "file" {
  const ext = (path.split(/[\\/]/).pop() ?? "").split(".").pop()?.toLowerCase() ?? "";
  if (["png", "jpg", "jpeg", "gif", "webp", "bmp"].includes(ext)) return "image";
  if (["mp4", "mov", "webm", "mkv", "avi", "m4v"].includes(ext)) return "video";
  if (["mp3", "m4a", "aac", "wav", "ogg", "opus", "flac"].includes(ext)) return "audio";
  return "file";
}

/** The file name of a path. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** The create*Message method for a file kind. */
export function createMethodFor(kind: string): "createImageMessage" | "createVideoMessage" | "createAudioMessage" | "createFileMessage" {
  switch (kind) {
    case "image":
      return "createImageMessage";
    case "video":
      return "createVideoMessage";
    case "audio":
      return "createAudioMessage";
    default:
      return "createFileMessage";
  }
}

// ---------------------------------------------------------------- windowing

/** The rows of a fixed-height list to render for a scroll position. */
export function fixedWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  count: number,
  overscan = 6,
): { start: number; end: number; offset: number; total: number } {
  const total = count * rowHeight;
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0, total: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, Math.min(count - 1, first) - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offset: start * rowHeight, total };
}

/** Prefix offsets of variable-height rows: offsets[i] = top of row i, offsets[n] = total. */
export function prefixOffsets(heights: readonly number[]): number[] {
  const out = new Array<number>(heights.length + 1);
  out[0] = 0;
  for (let i = 0; i < heights.length; i++) out[i + 1] = out[i] + heights[i];
  return out;
}

/** The index of the row containing `y` (binary search over prefix offsets). */
export function rowAt(offsets: readonly number[], y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The rows of a variable-height list to render for a scroll position. */
export function variableWindow(
  offsets: readonly number[],
  scrollTop: number,
  viewport: number,
  overscan = 4,
): { start: number; end: number } {
  const n = offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const first = rowAt(offsets, Math.max(0, scrollTop));
  const last = rowAt(offsets, Math.max(0, scrollTop + viewport));
  return { start: Math.max(0, first - overscan), end: Math.min(n, last + 1 + overscan) };
}

/**
 * Where to scroll after rows changed so the row `anchorKey` stays `delta` px below the top of
 * the viewport (older messages prepended, rows above re-measured). Null when the row is gone.
 */
export function anchoredScrollTop(keys: readonly string[], offsets: readonly number[], anchorKey: string, delta: number): number | null {
  const i = keys.indexOf(anchorKey);
  if (i < 0) return null;
  return offsets[i] + delta;
}

// ---------------------------------------------------------------- avatars

const PALETTE = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774", "#5b8def"];

/** A stable colour for an ID's initials avatar. */
export function avatarColor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}

/** One or two initials of a name. */
export function initials(name: string): string {
  const words = name.trim().split(/[\s_.-]+/).filter(Boolean);
  if (words.length === 0) return "?";
  const first = Array.from(words[0])[0] ?? "?";
  const second = words.length > 1 ? Array.from(words[1])[0] ?? "" : "";
  return (first + second).toUpperCase();
}
