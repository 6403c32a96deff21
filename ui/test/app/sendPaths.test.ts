import { afterEach, describe, expect, it } from "vitest";
import TencentCloudChat from "../../src/sdk";
import type { Transport } from "../../src/sdk/transport";
import { sendPaths } from "../../src/app/sendPaths";
import { setChat } from "../../src/app/session";
import { getState, resetState } from "../../src/app/store";

/** A fake SDK: records calls, makes messages, fires upload progress. */
function fakeTransport() {
  const calls: { method: string; args: any[] }[] = [];
  let sink: (n: string, d: unknown) => void = () => {};
  let n = 0;
  const t: Transport = {
    async call(method, args) {
      calls.push({ method, args });
      if (method.startsWith("create")) {
        const o = args[0] as any;
        return { ID: `m${++n}`, type: "X", payload: o.payload, conversationID: `C2C${o.to}`, to: o.to, flow: "out", time: 1, status: "unSend" };
      }
      if (method === "sendMessage") {
        const m = args[0] as any;
        sink("onMessageUploadProgress", { messageID: m.ID, percent: 50 });
        return { message: { ...m, status: "success" } };
      }
      if (method === "getLoginUser") return "alice";
      if (method === "isReady") return true;
      if (method === "getTotalUnreadMessageCount") return 0;
      return null;
    },
    async subscribe(_names, s) {
      sink = s;
      return () => {};
    },
    close() {},
  };
  return { t, calls };
}

afterEach(() => {
  setChat(null);
  resetState();
});

describe("sendPaths", () => {
  it("creates one message per path by its kind and sends each", async () => {
    const { t, calls } = fakeTransport();
    const chat = TencentCloudChat.create({ SDKAppID: 901, transport: t });
    setChat(chat);
    const progress: number[] = [];
    const info = async (paths: string[]) =>
      paths.map((path) => ({
        path,
        name: path.split("/").pop()!,
        size: 10,
        kind: (path.endsWith(".png") ? "image" : path.endsWith(".mp4") ? "video" : path.endsWith(".mp3") ? "audio" : "file") as any,
        thumbnail: null,
      }));
    const ok = await sendPaths("C2Cbob", ["/a/p.png", "/a/v.mp4", "/a/s.mp3", "/a/d.pdf"], info);
    expect(ok).toEqual([true, true, true, true]);
    const created = calls.filter((c) => c.method.startsWith("create")).map((c) => [c.method, c.args[0].payload.file, c.args[0].to, c.args[0].conversationType]);
    expect(created).toEqual([
      ["createImageMessage", "/a/p.png", "bob", "C2C"],
      ["createVideoMessage", "/a/v.mp4", "bob", "C2C"],
      ["createAudioMessage", "/a/s.mp3", "bob", "C2C"],
      ["createFileMessage", "/a/d.pdf", "bob", "C2C"],
    ]);
    expect(calls.filter((c) => c.method === "sendMessage").length).toBe(4);
    // Every message ends up in the conversation's history, sent.
    const list = getState().histories["C2Cbob"].list;
    expect(list.map((m) => m.ID)).toEqual(["m1", "m2", "m3", "m4"]);
    expect(list.every((m) => m.status === "success")).toBe(true);
    expect(getState().uploads).toEqual({});
    void progress;
    await chat.destroy().catch(() => {});
  });

  it("sends to groups with the group conversation type", async () => {
    const { t, calls } = fakeTransport();
    const chat = TencentCloudChat.create({ SDKAppID: 902, transport: t });
    setChat(chat);
    await sendPaths("GROUPteam", ["/x/readme.txt"]);
    const c = calls.find((x) => x.method === "createFileMessage")!;
    expect(c.args[0].to).toBe("team");
    expect(c.args[0].conversationType).toBe("GROUP");
  });
});
