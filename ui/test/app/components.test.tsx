import { afterEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import TencentCloudChat from "../../src/sdk";
import type { Transport } from "../../src/sdk/transport";
import { setChat } from "../../src/app/session";
import { getState, resetState, setState } from "../../src/app/store";
import { Composer } from "../../src/app/components/Composer";
import { ConversationList } from "../../src/app/components/ConversationList";

function fake() {
  const calls: { method: string; args: any[] }[] = [];
  let n = 0;
  const t: Transport = {
    async call(method, args) {
      calls.push({ method, args });
      if (method.startsWith("create")) return { ID: `m${++n}`, type: "TIMTextElem", payload: (args[0] as any).payload, flow: "out", time: 1, status: "unSend", conversationID: "C2Cbob" };
      if (method === "sendMessage") return { message: { ...(args[0] as any), status: "success" } };
      return null;
    },
    async subscribe() {
      return () => {};
    },
    close() {},
  };
  return { t, calls };
}

const flush = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

let root: HTMLDivElement;
afterEach(() => {
  if (root) render(null, root);
  setChat(null);
  resetState();
});

function mount(vnode: any) {
  root = document.createElement("div");
  document.body.appendChild(root);
  act(() => render(vnode, root));
  return root;
}

describe("Composer", () => {
  it("sends on Enter and not on Shift+Enter", async () => {
    const { t, calls } = fake();
    setChat(TencentCloudChat.create({ SDKAppID: 911, transport: t }));
    setState({ me: "alice", phase: "main" });
    const el = mount(<Composer conversationID="C2Cbob" />);
    const area = el.querySelector('[data-testid="composer-input"]') as HTMLTextAreaElement;
    await act(() => {
      area.value = "line one";
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(() => {
      area.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true, bubbles: true, cancelable: true }));
    });
    await flush();
    expect(calls.some((c) => c.method === "sendMessage")).toBe(false);
    await act(() => {
      area.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
    });
    await flush();
    await flush();
    const created = calls.find((c) => c.method === "createTextMessage");
    expect(created?.args[0]).toMatchObject({ to: "bob", conversationType: "C2C", payload: { text: "line one" } });
    expect(calls.some((c) => c.method === "sendMessage")).toBe(true);
    expect(getState().histories["C2Cbob"].list[0].status).toBe("success");
    expect(area.value).toBe("");
  });
});

describe("ConversationList", () => {
  it("renders a window of 10,000 conversations, pinned first, with badges", async () => {
    const conversations = Array.from({ length: 10_000 }, (_, i) => ({
      conversationID: `C2Cuser${i}`,
      type: "C2C",
      unreadCount: i === 5 ? 3 : 0,
      isPinned: i === 9_999,
      messageRemindType: "AcceptAndNotify",
      lastMessage: { lastTime: 1_700_000_000 + i, messageForShow: `message ${i}` },
    }));
    setState({ conversations, conversationsLoaded: true, me: "alice" });
    const el = mount(<ConversationList />);
    await flush();
    const rows = el.querySelectorAll('[data-testid="conv-item"]');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0].getAttribute("data-conversation-id")).toBe("C2Cuser9999");
    expect(rows[1].getAttribute("data-conversation-id")).toBe("C2Cuser9998");
    expect(el.querySelector('[data-testid="unread-badge"]')).toBeNull();
    expect(rows[1].querySelector('[data-testid="conv-preview"]')?.textContent).toBe("message 9998");
  });
});
