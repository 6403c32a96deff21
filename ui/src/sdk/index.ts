// TencentCloudChat, as `@tencentcloud/chat` exports it, over Pigeon's SDK: code written for the
// TencentCloudChat web SDK runs with only its import changed.
//
//   import TencentCloudChat from "./sdk";
//   const chat = TencentCloudChat.create({ SDKAppID });                     // inside the app
//   const chat = TencentCloudChat.create({ SDKAppID, bridge: "ws://127.0.0.1:7357" }); // a browser
import { invoke } from "@tauri-apps/api/core";
import { Chat, EVENT, TSignaling, TYPES } from "./chat";
import { BridgeTransport, TauriTransport, inTauri, type Transport } from "./transport";

export { Chat, EVENT, TSignaling, TYPES, ImError, SEED_METHODS, EVENT_NAMES } from "./chat";
export type { ImResponse, ChatEvent } from "./chat";
export { CHAT_API_METHODS } from "./api";
export type * from "./api";
export type * from "./generated/types";

/** Options of TencentCloudChat.create. */
export interface CreateOptions {
  /** The app's SDKAppID. */
  SDKAppID: number;
  /**
   * `ws://host:port` of the Pigeon server (inside the app; default ws://127.0.0.1:8080), or the
   * nodes of one deployment (a list, or comma-separated): the SDK moves to another when one dies.
   */
  server?: string | string[];
  /** `ws://127.0.0.1:PORT` of `pigeon bridge --listen`: use that SDK instead of the app's. */
  bridge?: string;
  /** A transport of one's own (tests). */
  transport?: Transport;
  [key: string]: unknown;
}

/** The server address used when create() is given none. */
export const DEFAULT_SERVER = "ws://127.0.0.1:8080";

const instances = new Map<number, Chat>();

function create(options: CreateOptions): Chat {
  if (!options || typeof options.SDKAppID !== "number") {
    throw new Error("TencentCloudChat.create needs {SDKAppID: number}");
  }
  const existing = instances.get(options.SDKAppID);
  if (existing) return existing;
  let transport: Transport;
  let init: () => Promise<void> = async () => {};
  if (options.transport) {
    transport = options.transport;
  } else if (options.bridge) {
    transport = new BridgeTransport(options.bridge);
  } else if (inTauri()) {
    transport = new TauriTransport();
    const server = Array.isArray(options.server)
      ? options.server.join(",")
      : (options.server ?? DEFAULT_SERVER);
    init = async () => {
      await invoke("app_create", { options: { SDKAppID: options.SDKAppID, server } });
    };
  } else {
    throw new Error(
      "outside the Pigeon app, create the instance with {bridge: 'ws://127.0.0.1:PORT'} of `pigeon bridge --listen`",
    );
  }
  const chat = new Chat(options, transport, init);
  const destroy = chat.destroy as (...a: unknown[]) => Promise<unknown>;
  chat.destroy = (async (...args: unknown[]) => {
    try {
      return await destroy.apply(chat, args);
    } finally {
      instances.delete(options.SDKAppID);
      chat.dispose();
    }
  }) as Chat["destroy"];
  instances.set(options.SDKAppID, chat);
  return chat;
}

/** The TencentCloudChat namespace: create, EVENT, TYPES, TSignaling. */
const TencentCloudChat = { create, EVENT, TYPES, TSignaling, VERSION: "3.6.6-pigeon" };

export { create };
export default TencentCloudChat;
