// Drift check of the typed API: ChatAPI (src/sdk/api.ts) declares exactly the seed's methods
// (crates/proto/data/methods.txt), in its order, and a created instance has each as a function.
// CHAT_API_METHODS `satisfies Record<keyof ChatAPI, true>`, so the compiler keeps its keys equal to
// the interface's; this test keeps them equal to the seed's. The expectTypeOf lines are checked by
// `tsc --noEmit` (npm run build).
import { describe, expect, expectTypeOf, it } from "vitest";
import TencentCloudChat, {
  CHAT_API_METHODS,
  SEED_METHODS,
  type Chat,
  type ChatAPI,
  type Conversation,
  type GroupMember,
  type ImResponse,
  type Message,
  type Signaling,
} from "../../src/sdk";
import type { EventSink, Transport } from "../../src/sdk/transport";

class NullTransport implements Transport {
  async call(method: string): Promise<unknown> {
    if (method === "getLoginUser") return "";
    if (method === "isReady") return false;
    if (method === "getTotalUnreadMessageCount") return 0;
    return null;
  }
  async subscribe(_names: string[], _sink: EventSink) {
    return () => {};
  }
  close() {}
}

describe("ChatAPI", () => {
  it("declares exactly the seed's 139 methods, in the seed's order", () => {
    const declared = Object.keys(CHAT_API_METHODS);
    expect(SEED_METHODS.length).toBe(139);
    expect(new Set(declared).size).toBe(declared.length);
    expect([...declared].sort()).toEqual([...SEED_METHODS].sort());
    expect(declared).toEqual([...SEED_METHODS]);
  });

  it("every declared method is a function on a created instance", async () => {
    const chat = TencentCloudChat.create({ SDKAppID: 424242, transport: new NullTransport() });
    await chat.whenConnected();
    const api: ChatAPI = chat;
    for (const m of Object.keys(CHAT_API_METHODS) as (keyof ChatAPI)[]) {
      expect(typeof api[m], m).toBe("function");
    }
    await chat.destroy();
  });

  it("types methods with the seed's signatures", () => {
    expectTypeOf<Chat>().toMatchTypeOf<ChatAPI>();
    expectTypeOf<ChatAPI["getLoginUser"]>().returns.toEqualTypeOf<string>();
    expectTypeOf<ChatAPI["isReady"]>().returns.toEqualTypeOf<boolean>();
    expectTypeOf<ChatAPI["getTotalUnreadMessageCount"]>().returns.toEqualTypeOf<number>();
    expectTypeOf<ChatAPI["createTextMessage"]>().returns.toEqualTypeOf<Message>();
    expectTypeOf<ChatAPI["findMessage"]>().returns.toEqualTypeOf<Message | null>();
    expectTypeOf<ChatAPI["getSignalingInfo"]>().returns.toEqualTypeOf<Signaling | null>();
    expectTypeOf<ChatAPI["on"]>().returns.toEqualTypeOf<void>();
    expectTypeOf<ChatAPI["sendMessage"]>().returns.toEqualTypeOf<Promise<ImResponse<{ message: Message }>>>();
    expectTypeOf<Awaited<ReturnType<ChatAPI["getConversationList"]>>["data"]>().toMatchTypeOf<{
      conversationList: Conversation[];
      isSyncCompleted: boolean;
    }>();
    expectTypeOf<Awaited<ReturnType<ChatAPI["getGroupMemberList"]>>["data"]["memberList"]>().toEqualTypeOf<
      GroupMember[]
    >();
    // No catch-all index signature: a name outside the seed is a type error.
    // @ts-expect-error notASeedMethod is not a ChatAPI method
    expectTypeOf<Chat["notASeedMethod"]>().toBeAny();
  });
});
