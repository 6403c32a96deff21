import { describe, expect, it } from "vitest";
import {
  anchoredScrollTop,
  atMark,
  atUserList,
  composerKeyAction,
  conversationName,
  createMethodFor,
  dateLabel,
  filterConversations,
  fixedWindow,
  groupTipText,
  insertMention,
  isMuted,
  kindOfPath,
  listTime,
  mentionQuery,
  mergeMessages,
  parseReply,
  prefixOffsets,
  previewText,
  replaceMessage,
  replyCloudData,
  rowAt,
  sortConversations,
  updateMessages,
  variableWindow,
  withDateSeparators,
  formatSize,
  type Msg,
} from "../../src/app/logic";

const conv = (id: string, lastTime: number, extra: Record<string, unknown> = {}) => ({
  conversationID: id,
  type: id.startsWith("GROUP") ? "GROUP" : "C2C",
  unreadCount: 0,
  lastMessage: { lastTime, lastSequence: 0, messageForShow: "hi", fromAccount: id.slice(3) },
  ...extra,
});
const msg = (ID: string, time: number, extra: Record<string, unknown> = {}): Msg => ({ ID, time, type: "TIMTextElem", payload: { text: ID }, ...extra });

describe("conversation ordering and marks", () => {
  it("puts pinned first, then newest", () => {
    const list = [conv("C2Ca", 10), conv("C2Cb", 30), conv("C2Cc", 5, { isPinned: true }), conv("C2Cd", 20)];
    expect(sortConversations(list).map((c) => c.conversationID)).toEqual(["C2Cc", "C2Cb", "C2Cd", "C2Ca"]);
  });
  it("keeps several pinned ones ordered by time", () => {
    const list = [conv("C2Ca", 1, { isPinned: true }), conv("C2Cb", 9), conv("C2Cc", 3, { isPinned: true })];
    expect(sortConversations(list).map((c) => c.conversationID)).toEqual(["C2Cc", "C2Ca", "C2Cb"]);
  });
  it("names by remark, nick, group name, ID", () => {
    expect(conversationName(conv("C2Cbob", 1, { remark: "Bobby", userProfile: { nick: "Bob" } }))).toBe("Bobby");
    expect(conversationName(conv("C2Cbob", 1, { userProfile: { nick: "Bob" } }))).toBe("Bob");
    expect(conversationName(conv("C2Cbob", 1))).toBe("bob");
    expect(conversationName(conv("GROUPg1", 1, { groupProfile: { name: "Team" } }))).toBe("Team");
    expect(conversationName(conv("GROUPg1", 1))).toBe("g1");
  });
  it("knows muted and @me", () => {
    expect(isMuted(conv("C2Ca", 1, { messageRemindType: "AcceptNotNotify" }))).toBe(true);
    expect(isMuted(conv("C2Ca", 1, { messageRemindType: "AcceptAndNotify" }))).toBe(false);
    expect(isMuted(conv("C2Ca", 1, { messageRemindType: "" }))).toBe(false);
    expect(atMark(conv("GROUPa", 1, { groupAtInfoList: [{ atType: 1 }] }))).toBe("[@me]");
    expect(atMark(conv("GROUPa", 1, { groupAtInfoList: [{ atType: 2 }] }))).toBe("[@all]");
    expect(atMark(conv("GROUPa", 1, { groupAtInfoList: [{ atType: 3 }] }))).toBe("[@all @me]");
    expect(atMark(conv("GROUPa", 1, { groupAtInfoList: [] }))).toBe("");
  });
  it("filters by name or ID", () => {
    const list = [conv("C2Calice", 1, { userProfile: { nick: "Alice W" } }), conv("C2Cbob", 2), conv("GROUPteam", 3, { groupProfile: { name: "Work" } })];
    expect(filterConversations(list, "wor").map((c) => c.conversationID)).toEqual(["GROUPteam"]);
    expect(filterConversations(list, "ALICE").length).toBe(1);
    expect(filterConversations(list, "c2cbob").length).toBe(1);
    expect(filterConversations(list, "  ").length).toBe(3);
  });
  it("previews drafts, recalls and group senders", () => {
    expect(previewText(conv("C2Cb", 1, { draftText: "unsent" }), "me")).toEqual({ draft: true, text: "Draft: unsent" });
    const revoked = conv("C2Cb", 1, { lastMessage: { isRevoked: true, fromAccount: "b", nick: "Bob" } });
    expect(previewText(revoked, "me").text).toBe("Bob recalled a message");
    const own = conv("C2Cb", 1, { lastMessage: { isRevoked: true, fromAccount: "me" } });
    expect(previewText(own, "me").text).toBe("You recalled a message");
    const g = conv("GROUPg", 1, { lastMessage: { messageForShow: "yo", fromAccount: "carl", nick: "Carl", type: "TIMTextElem" } });
    expect(previewText(g, "me").text).toBe("Carl: yo");
    expect(previewText(conv("C2Cb", 1), "me").text).toBe("hi");
  });
});

describe("time", () => {
  const now = new Date(2024, 4, 15, 18, 30).getTime(); // Wednesday 15 May 2024
  const sec = (d: Date) => Math.floor(d.getTime() / 1000);
  it("formats the list time", () => {
    expect(listTime(sec(new Date(2024, 4, 15, 9, 5)), now)).toBe("09:05");
    expect(listTime(sec(new Date(2024, 4, 13, 9, 5)), now)).toBe("Mon");
    expect(listTime(sec(new Date(2024, 4, 1, 9, 5)), now)).toBe("2024-05-01");
    expect(listTime(0, now)).toBe("");
  });
  it("labels date separators", () => {
    expect(dateLabel(sec(new Date(2024, 4, 15, 1)), now)).toBe("Today");
    expect(dateLabel(sec(new Date(2024, 4, 14, 23)), now)).toBe("Yesterday");
    expect(dateLabel(sec(new Date(2024, 4, 11, 12)), now)).toBe("Saturday");
    expect(dateLabel(sec(new Date(2024, 2, 3, 12)), now)).toBe("3 Mar");
    expect(dateLabel(sec(new Date(2023, 2, 3, 12)), now)).toBe("3 Mar 2023");
  });
  it("puts a separator before each day", () => {
    const d1 = sec(new Date(2024, 4, 14, 10));
    const d2 = sec(new Date(2024, 4, 15, 10));
    const rows = withDateSeparators([msg("a", d1), msg("b", d1 + 60), msg("c", d2)], now);
    expect(rows.map((r) => (r.kind === "date" ? r.label : r.key))).toEqual(["Yesterday", "a", "b", "Today", "c"]);
  });
});

describe("message lists", () => {
  it("merges, dedupes and sorts", () => {
    const a = [msg("1", 10), msg("2", 20)];
    const merged = mergeMessages(a, [msg("2", 20, { payload: { text: "edited" } }), msg("3", 30)]);
    expect(merged.map((m) => m.ID)).toEqual(["1", "2", "3"]);
    expect(merged[1].payload.text).toBe("edited");
  });
  it("prepends an older page", () => {
    const merged = mergeMessages([msg("3", 30), msg("4", 40)], [msg("1", 10), msg("2", 20), msg("3", 30)]);
    expect(merged.map((m) => m.ID)).toEqual(["1", "2", "3", "4"]);
  });
  it("orders equal times by sequence, else by arrival", () => {
    const merged = mergeMessages([msg("b", 5, { sequence: 2 })], [msg("a", 5, { sequence: 1 }), msg("c", 5)]);
    expect(merged.map((m) => m.ID)).toEqual(["a", "b", "c"]);
  });
  it("drops deleted ones and returns the same list for nothing new", () => {
    const a = [msg("1", 1)];
    expect(mergeMessages(a, [])).toBe(a);
    expect(mergeMessages(a, [msg("1", 1, { isDeleted: true })])).toEqual([]);
  });
  it("updates only known messages in place", () => {
    const a = [msg("1", 1), msg("2", 2)];
    expect(updateMessages(a, [msg("9", 9)])).toBe(a);
    const u = updateMessages(a, [{ ...msg("2", 2), isRevoked: true }]);
    expect(u[1].isRevoked).toBe(true);
    expect(u.length).toBe(2);
  });
  it("replaces a local placeholder by the sent message", () => {
    const a = [msg("1", 1), msg("local-1", 5, { status: "unSend" })];
    const r = replaceMessage(a, "local-1", msg("srv-1", 5, { status: "success" }));
    expect(r.map((m) => m.ID)).toEqual(["1", "srv-1"]);
  });
  it("writes and reads UIKit replies", () => {
    const data = replyCloudData(msg("m1", 1, { payload: { text: "original" } }), "Bob");
    const parsed = parseReply(msg("m2", 2, { cloudCustomData: data }));
    expect(parsed).toMatchObject({ messageID: "m1", messageAbstract: "original", messageSender: "Bob", messageType: 1, version: 1 });
    expect(parseReply(msg("x", 1, { cloudCustomData: "not json" }))).toBeNull();
  });
  it("describes group tips", () => {
    expect(groupTipText({ operationType: 1, operatorID: "a", userIDList: ["b"] })).toBe("a invited b");
    expect(groupTipText({ operationType: 1, operatorID: "b", userIDList: ["b"] })).toBe("b joined the group");
    expect(groupTipText({ operationType: 2, userIDList: ["c"] })).toBe("c left the group");
    expect(groupTipText({ operationType: 6, operatorID: "a", newGroupProfile: { name: "X" } })).toBe('a renamed the group to "X"');
  });
  it("formats sizes", () => {
    expect(formatSize(500)).toBe("500 B");
    expect(formatSize(1536)).toBe("1.5 KB");
    expect(formatSize(3 * 1024 * 1024)).toBe("3.0 MB");
  });
});

describe("virtual list maths", () => {
  it("windows a fixed-height list", () => {
    expect(fixedWindow(0, 720, 72, 10_000, 5)).toEqual({ start: 0, end: 16, offset: 0, total: 720_000 });
    const w = fixedWindow(72_000, 720, 72, 10_000, 5);
    expect(w.start).toBe(995);
    expect(w.end).toBe(1016);
    expect(w.offset).toBe(995 * 72);
    expect(fixedWindow(10_000_000, 720, 72, 10_000, 5).end).toBe(10_000);
    expect(fixedWindow(0, 720, 72, 0)).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });
  it("renders only a handful of rows of 10,000", () => {
    const w = fixedWindow(500_000, 800, 72, 10_000, 6);
    expect(w.end - w.start).toBeLessThan(30);
  });
  it("finds rows of variable heights", () => {
    const offsets = prefixOffsets([10, 20, 30, 40]);
    expect(offsets).toEqual([0, 10, 30, 60, 100]);
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 29)).toBe(1);
    expect(rowAt(offsets, 30)).toBe(2);
    expect(rowAt(offsets, 1000)).toBe(3);
    expect(variableWindow(offsets, 15, 20, 0)).toEqual({ start: 1, end: 3 });
  });
  it("keeps the anchor row in place when rows are prepended", () => {
    const before = prefixOffsets([50, 50, 50]);
    // Reader sees row "c" 10px above the viewport top.
    const keys = ["c", "d", "e"];
    expect(anchoredScrollTop(keys, before, "c", 10)).toBe(10);
    const afterKeys = ["a", "b", "c", "d", "e"];
    const after = prefixOffsets([80, 40, 50, 50, 50]);
    expect(anchoredScrollTop(afterKeys, after, "c", 10)).toBe(130);
    expect(anchoredScrollTop(afterKeys, after, "zz", 10)).toBeNull();
  });
});

describe("composer", () => {
  it("sends on Enter, breaks lines on Shift+Enter", () => {
    expect(composerKeyAction({ key: "Enter" })).toBe("send");
    expect(composerKeyAction({ key: "Enter", shiftKey: true })).toBe("newline");
    expect(composerKeyAction({ key: "Enter", isComposing: true })).toBe("none");
    expect(composerKeyAction({ key: "a" })).toBe("none");
  });
  it("finds the @query at the caret", () => {
    expect(mentionQuery("hi @bo", 6)).toEqual({ start: 3, query: "bo" });
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQuery("mail a@b", 8)).toBeNull();
    expect(mentionQuery("hi @bob there", 13)).toBeNull();
    expect(mentionQuery("no at", 5)).toBeNull();
  });
  it("inserts a mention and lists the mentioned", () => {
    const r = insertMention("hi @bo!", 3, 6, "Bob");
    expect(r).toEqual({ text: "hi @Bob !", caret: 8 });
    const picked = [
      { userID: "bob", name: "Bob" },
      { userID: "carl", name: "Carl" },
      { userID: "bob", name: "Bob" },
    ];
    expect(atUserList("hi @Bob and @Carl", picked)).toEqual(["bob", "carl"]);
    expect(atUserList("hi @Bob", picked)).toEqual(["bob"]);
  });
});

describe("files", () => {
  it("chooses the create method by kind", () => {
    expect(kindOfPath("/x/a.PNG")).toBe("image");
    expect(kindOfPath("/x/a.mp4")).toBe("video");
    expect(kindOfPath("C:\\x\\a.mp3")).toBe("audio");
    expect(kindOfPath("/x/a.pdf")).toBe("file");
    expect(createMethodFor("image")).toBe("createImageMessage");
    expect(createMethodFor("video")).toBe("createVideoMessage");
    expect(createMethodFor("audio")).toBe("createAudioMessage");
    expect(createMethodFor("file")).toBe("createFileMessage");
  });
});
