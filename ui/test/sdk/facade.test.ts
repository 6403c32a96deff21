// The facade against a fake transport: seed coverage, imResponse/imError shapes, the synchronous
// methods' mirrors, create*Message placeholders, listeners, and the bridge transport's framing.
import { describe, expect, it } from "vitest";
import TencentCloudChat, { SEED_METHODS, EVENT_NAMES, ImError, type Message } from "../../src/sdk";
import { BridgeTransport, commandName, type EventSink, type Transport } from "../../src/sdk/transport";

class FakeTransport implements Transport {
  calls: { method: string; args: unknown[] }[] = [];
  sink: EventSink | null = null;
  subscribed: string[] = [];
  answers: Record<string, (args: unknown[]) => unknown> = {};
  async call(method: string, args: unknown[]): Promise<unknown> {
    this.calls.push({ method, args: JSON.parse(JSON.stringify(args)) });
    const a = this.answers[method];
    if (a) return a(args);
    if (method === "getLoginUser") return "";
    if (method === "isReady") return false;
    if (method === "getTotalUnreadMessageCount") return 0;
    return null;
  }
  async subscribe(names: string[], sink: EventSink) {
    this.subscribed = names;
    this.sink = sink;
    return () => (this.sink = null);
  }
  close() {}
  emit(name: string, data: unknown) {
    this.sink?.(name, data);
  }
}

let appId = 1000;
async function make(t = new FakeTransport()) {
  const chat = TencentCloudChat.create({ SDKAppID: appId++, transport: t });
  await chat.whenConnected();
  return { chat, t };
}

/** A message with only the fields a test needs. */
const partial = (m: object) => m as Message;

describe("TencentCloudChat facade", () => {
  it("has every seed method, EVENT, TYPES and TSignaling", async () => {
    const { chat } = await make();
    expect(SEED_METHODS.length).toBe(139);
    for (const m of SEED_METHODS) expect(typeof (chat as unknown as Record<string, unknown>)[m], m).toBe("function");
    expect(TencentCloudChat.EVENT.MESSAGE_RECEIVED).toBe("onMessageReceived");
    expect(TencentCloudChat.TYPES.CONV_C2C).toBe("C2C");
    expect(TencentCloudChat.TSignaling.NEW_INVITATION_RECEIVED).toBe("newInvitationReceived");
    expect(EVENT_NAMES).toContain("sdkStateReady");
    expect(EVENT_NAMES).toContain("ts_invitation_timeout");
  });

  it("returns one instance per SDKAppID", () => {
    const t = new FakeTransport();
    const a = TencentCloudChat.create({ SDKAppID: 77, transport: t });
    expect(TencentCloudChat.create({ SDKAppID: 77, transport: new FakeTransport() })).toBe(a);
  });

  it("maps seed names to snake_case commands", () => {
    expect(commandName("sendMessage")).toBe("send_message");
    expect(commandName("getConversationList")).toBe("get_conversation_list");
    expect(commandName("login")).toBe("login");
  });

  it("resolves imResponse and rejects imError with the SDK's code", async () => {
    const { chat, t } = await make();
    t.answers.getConversationList = () => ({ conversationList: [], isSyncCompleted: true });
    const r = await chat.getConversationList();
    expect(r).toEqual({ code: 0, data: { conversationList: [], isSyncCompleted: true } });
    t.answers.getGroupProfile = () => {
      throw { code: 10010, message: "no such group", data: { groupID: "g" } };
    };
    const e = await chat.getGroupProfile({ groupID: "g" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ImError);
    expect(e).toMatchObject({ code: 10010, message: "no such group", data: { groupID: "g" } });
  });

  it("mirrors login user, readiness and the total unread count from events", async () => {
    const { chat, t } = await make();
    expect(chat.getLoginUser()).toBe("");
    await chat.login({ userID: "alice", userSig: "sig" });
    expect(chat.getLoginUser()).toBe("alice");
    expect(chat.isReady()).toBe(false);
    t.emit("sdkStateReady", null);
    expect(chat.isReady()).toBe(true);
    t.emit(TencentCloudChat.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, 5);
    expect(chat.getTotalUnreadMessageCount()).toBe(5);
    t.emit(TencentCloudChat.EVENT.KICKED_OUT, { type: "multipleAccount" });
    expect(chat.getLoginUser()).toBe("");
    expect(chat.isReady()).toBe(false);
  });

  it("delivers events to on() handlers with {name, data} and honours off()", async () => {
    const { chat, t } = await make();
    const got: unknown[] = [];
    const ctx = { tag: "ctx" };
    function h(this: unknown, e: { name: string; data: unknown }) {
      got.push([this, e.name, e.data]);
    }
    chat.on("onMessageReceived", h, ctx);
    t.emit("onMessageReceived", [{ ID: "m1" }]);
    chat.off("onMessageReceived", h);
    t.emit("onMessageReceived", [{ ID: "m2" }]);
    expect(got).toEqual([[ctx, "onMessageReceived", [{ ID: "m1" }]]]);
    expect(chat.findMessage("m1")).toEqual({ ID: "m1" });
    expect(chat.findMessage("m2")).toEqual({ ID: "m2" });
    expect(chat.findMessage("nope")).toBeNull();
    expect(() => chat.on("x", 5 as never)).toThrow(ImError);
  });

  it("create*Message returns a message at once; sendMessage sends the SDK's one into the same object", async () => {
    const { chat, t } = await make();
    await chat.login({ userID: "alice", userSig: "s" });
    t.answers.createTextMessage = (args) => ({
      ID: "sdk-1",
      type: "TIMTextElem",
      payload: (args[0] as any).payload,
      to: "bob",
      from: "alice",
      conversationType: "C2C",
      conversationID: "C2Cbob",
      flow: "out",
      status: "unSend",
    });
    t.answers.sendMessage = (args) => ({ message: { ...(args[0] as object), status: "success", sequence: 3 } });
    const m = chat.createTextMessage({ to: "bob", conversationType: "C2C", payload: { text: "hi" } });
    expect(m).toMatchObject({ type: "TIMTextElem", to: "bob", from: "alice", flow: "out", status: "unSend", conversationID: "C2Cbob", payload: { text: "hi" } });
    const r = await chat.sendMessage(m);
    expect(r.code).toBe(0);
    expect(r.data.message).toMatchObject({ ID: "sdk-1", status: "success" });
    expect(m).toMatchObject({ ID: "sdk-1", status: "success", sequence: 3 });
    const sent = t.calls.find((c) => c.method === "sendMessage")!;
    expect((sent.args[0] as any).ID).toBe("sdk-1");
    expect(chat.findMessage("sdk-1")).toMatchObject({ status: "success" });
  });

  it("sends a File as base64 and reports upload progress to onProgress", async () => {
    const { chat, t } = await make();
    t.answers.createFileMessage = (args) => ({ ID: "f1", type: "TIMFileElem", payload: (args[0] as any).payload });
    t.answers.sendMessage = (args) => ({ message: args[0] });
    const progress: number[] = [];
    const file = new File([new Uint8Array([104, 105])], "hi.txt");
    const m = chat.createFileMessage({
      to: "bob",
      conversationType: "C2C",
      payload: { file },
      onProgress: (p: number) => progress.push(p),
    });
    await chat.sendMessage(m);
    const created = t.calls.find((c) => c.method === "createFileMessage")!;
    expect((created.args[0] as any).payload.file).toEqual({ base64: "aGk=", name: "hi.txt" });
    expect((created.args[0] as any).onProgress).toBeUndefined();
    t.emit("onMessageUploadProgress", { messageID: "f1", percent: 50 });
    t.emit("onMessageUploadProgress", { messageID: "f1", percent: 100 });
    expect(progress).toEqual([0.5, 1]);
  });

  it("an invalid create surfaces from sendMessage as the SDK's imError", async () => {
    const { chat, t } = await make();
    t.answers.createTextMessage = () => {
      throw { code: 2905, message: "createTextMessage: payload.text is required" };
    };
    const m = chat.createTextMessage({ to: "bob", conversationType: "C2C", payload: {} as { text: string } });
    const e = await chat.sendMessage(m).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 2905 });
    expect(t.calls.some((c) => c.method === "sendMessage")).toBe(false);
    expect(() => chat.createTextMessage(undefined as never)).toThrow(ImError);
  });

  it("parses signaling info locally, as the SDK does", async () => {
    const { chat } = await make();
    const data = JSON.stringify({ businessID: 1, inviteID: "i1", inviter: "a", inviteeList: ["b"], actionType: 1, timeout: 30, data: "x" });
    expect(chat.getSignalingInfo(partial({ type: "TIMCustomElem", payload: { data } }))).toEqual({
      inviteID: "i1", groupID: "", inviter: "a", inviteeList: ["b"], data: "x", actionType: 1, timeout: 30,
    });
    expect(chat.getSignalingInfo(partial({ type: "TIMCustomElem", payload: { data: "{}" } }))).toBeNull();
    expect(chat.getSignalingInfo(partial({ type: "TIMTextElem", payload: { text: "x" } }))).toBeNull();
  });

  it("revoke and delete update the caller's message objects; forward placeholders take the forwarded type", async () => {
    const { chat, t } = await make();
    t.answers.revokeMessage = (args) => ({ message: { ...(args[0] as object), isRevoked: true } });
    t.answers.deleteMessage = (args) => ({ messageList: (args[0] as any[]).map((m) => ({ ...m, isDeleted: true })) });
    const m: any = { ID: "m1", type: "TIMTextElem", payload: { text: "x" } };
    await chat.revokeMessage(m);
    expect(m.isRevoked).toBe(true);
    const d: any = { ID: "m2", type: "TIMTextElem", payload: { text: "y" } };
    await chat.deleteMessage([d]);
    expect(d.isDeleted).toBe(true);
    const f: any = chat.createForwardMessage({ to: "carol", conversationType: "C2C", payload: { ID: "m3", type: "TIMImageElem", payload: { uuid: "u" } } } as any);
    expect(f.type).toBe("TIMImageElem");
    expect(f.payload).toEqual({ uuid: "u" });
  });

  it("destroy forgets the instance", async () => {
    const t = new FakeTransport();
    const a = TencentCloudChat.create({ SDKAppID: 4242, transport: t });
    await a.destroy();
    expect(TencentCloudChat.create({ SDKAppID: 4242, transport: new FakeTransport() })).not.toBe(a);
  });
});

class FakeSocket extends EventTarget {
  sent: string[] = [];
  send(s: string) {
    this.sent.push(s);
  }
  close() {
    this.dispatchEvent(new Event("close"));
  }
  reply(v: unknown) {
    this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(v) }));
  }
}

describe("BridgeTransport", () => {
  it("frames requests, matches replies by id, and forwards events", async () => {
    const sock = new FakeSocket();
    const t = new BridgeTransport("ws://127.0.0.1:1", () => sock as unknown as WebSocket);
    const events: unknown[] = [];
    await t.subscribe([], (n, d) => events.push([n, d]));
    sock.dispatchEvent(new Event("open"));
    const p1 = t.call("getLoginUser", []);
    const p2 = t.call("getGroupProfile", [{ groupID: "x" }]);
    await Promise.resolve();
    await Promise.resolve();
    const [r1, r2] = sock.sent.map((s) => JSON.parse(s));
    expect(r1).toEqual({ id: 1, method: "getLoginUser", args: [] });
    expect(r2.method).toBe("getGroupProfile");
    sock.reply({ id: 2, code: 10010, message: "no group" });
    sock.reply({ event: "onMessageReceived", data: [{ ID: "m" }] });
    sock.reply({ id: 1, code: 0, data: "alice" });
    await expect(p1).resolves.toBe("alice");
    await expect(p2).rejects.toEqual({ code: 10010, message: "no group", data: undefined });
    expect(events).toEqual([["onMessageReceived", [{ ID: "m" }]]]);
    const p3 = t.call("logout", []);
    await Promise.resolve();
    sock.close();
    await expect(p3).rejects.toMatchObject({ code: 9505 });
  });
});
