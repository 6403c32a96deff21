// The `chat` instance of the TencentCloudChat web SDK over a Transport. Every seed method is
// here: asynchronous ones resolve with imResponse `{code: 0, data}` or reject with an imError;
// the seed's synchronous ones (getLoginUser, isReady, create*Message, findMessage,
// getTotalUnreadMessageCount, getSignalingInfo, on/off, ...) return at once from what the facade
// mirrors of the SDK's state. No business rule lives here: the Rust SDK decides everything.
import methodsTxt from "../../../crates/proto/data/methods.txt?raw";
import constants from "./constants.json";
import type { ChatAPI } from "./api";
import type { Message, Signaling } from "./generated/types";
import type { Transport, WireError } from "./transport";

/** TencentCloudChat.EVENT. */
export const EVENT: Readonly<typeof constants.EVENT> = constants.EVENT;
/** TencentCloudChat.TYPES. */
export const TYPES: Readonly<typeof constants.TYPES> = constants.TYPES;
/** TencentCloudChat.TSignaling. */
export const TSignaling: Readonly<typeof constants.TSignaling> = constants.TSignaling;

/** The seed's method names, in its order (crates/proto/data/methods.txt: one table for all). */
export const SEED_METHODS: readonly string[] = methodsTxt
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l.length > 0);

/** Every event name the SDK emits (EVENT and TSignaling string values, plus upload progress). */
export const EVENT_NAMES: readonly string[] = [
  ...new Set([
    ...Object.values(constants.EVENT),
    ...Object.values(constants.TSignaling).filter((v): v is string => typeof v === "string"),
    "onMessageUploadProgress",
  ]),
];

/** The SDK's upload progress event: `{messageID, percent}`. */
const UPLOAD_PROGRESS = "onMessageUploadProgress";

/** Code of an argument the facade refuses before it reaches the SDK (the SDK's own 2905). */
const INVALID_ARGUMENT = 2905;

/** imError: a rejected promise's value, with the SDK's code. */
export class ImError extends Error {
  code: number;
  data?: unknown;
  constructor(e: WireError) {
    super(e.message);
    this.name = "ImError";
    this.code = e.code;
    if (e.data !== undefined) this.data = e.data;
  }
}

/** imResponse: a resolved promise's value. */
export interface ImResponse<T = any> {
  code: 0;
  data: T;
}

/** What an event handler receives. */
export interface ChatEvent<T = any> {
  name: string;
  data: T;
}

type Handler = (event: ChatEvent) => void;
type AnyMessage = Record<string, any>;

/** The message type each create*Message makes before the SDK fills it in. */
const CREATE_TYPES: Record<string, string> = {
  createTextMessage: "TIMTextElem",
  createTextAtMessage: "TIMTextElem",
  createImageMessage: "TIMImageElem",
  createAudioMessage: "TIMSoundElem",
  createVideoMessage: "TIMVideoFileElem",
  createCustomMessage: "TIMCustomElem",
  createFaceMessage: "TIMFaceElem",
  createFileMessage: "TIMFileElem",
  createLocationMessage: "TIMLocationElem",
  createMergerMessage: "TIMRelayElem",
  createForwardMessage: "",
};

/** The seed's synchronous methods the facade answers itself. */
const LOCAL = new Set([
  "getLoginUser",
  "isReady",
  "findMessage",
  "getTotalUnreadMessageCount",
  "getSignalingInfo",
  "on",
  "off",
  "registerPlugin",
  "setLogLevel",
  "addSignalingListener",
  "removeSignalingListener",
]);

/** Methods whose first argument is a message the SDK hands back updated (status, sequence). */
const SENDS = new Set(["sendMessage", "resendMessage", "modifyMessage", "revokeMessage"]);

/** Messages remembered for findMessage; the oldest are forgotten beyond this. */
const FIND_CAPACITY = 50_000;

function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(s);
}

/** A Blob's bytes (FileReader: Blob.arrayBuffer is missing from older WebKit and jsdom). */
function readBlob(b: Blob): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result as ArrayBuffer);
    r.onerror = () => reject({ code: 9502, message: `cannot read ${(b as File).name || "the file"}` });
    r.readAsArrayBuffer(b);
  });
}

/** `payload.file` as the SDK takes it: a path, `{path}`, or a File/Blob/input element → `{base64, name}`. */
async function fileArgument(file: unknown): Promise<unknown> {
  let f: unknown = file;
  if (typeof HTMLInputElement !== "undefined" && f instanceof HTMLInputElement) {
    f = f.files?.[0];
  }
  if (typeof Blob !== "undefined" && f instanceof Blob) {
    const name = (f as File).name || "file";
    const buf = new Uint8Array(await readBlob(f));
    return { base64: bytesToBase64(buf), name };
  }
  return f;
}

/**
 * A TencentCloudChat `chat` instance, typed by ChatAPI (declaration merging: the interface below
 * adds the seed methods' types). Seed methods not written out below are added by name.
 */
export interface Chat extends ChatAPI {}
export class Chat {
  /** The options given to TencentCloudChat.create. */
  readonly options: Record<string, unknown>;
  private transport: Transport;
  private ready_: Promise<void>;
  private handlers = new Map<string, Set<{ fn: Handler; ctx: unknown; once: boolean }>>();
  private unsubscribe: (() => void) | null = null;
  private loginUser = "";
  private sdkReady = false;
  private totalUnread = 0;
  private known = new Map<string, AnyMessage>();
  private pending = new WeakMap<object, { method: string; created: Promise<AnyMessage> }>();
  private progress = new Map<string, (p: number) => void>();
  private creations = 0;

  constructor(options: Record<string, unknown>, transport: Transport, init: () => Promise<void>) {
    this.options = options;
    this.transport = transport;
    for (const m of SEED_METHODS) {
      if (LOCAL.has(m) || m in CREATE_TYPES || typeof (this as any)[m] === "function") continue;
      (this as any)[m] = (...args: unknown[]) => this.call(m, args);
    }
    this.ready_ = (async () => {
      await init();
      this.unsubscribe = await transport.subscribe([...EVENT_NAMES], (n, d) => this.onEvent(n, d));
      await this.refreshMirrors();
    })();
    this.ready_.catch(() => {});
  }

  /** Resolves when the transport is up (calls wait for it anyway). */
  whenConnected(): Promise<void> {
    return this.ready_;
  }

  private async refreshMirrors(): Promise<void> {
    const [user, ready, total] = await Promise.all([
      this.transport.call("getLoginUser", []),
      this.transport.call("isReady", []),
      this.transport.call("getTotalUnreadMessageCount", []),
    ]).catch(() => ["", false, 0]);
    this.loginUser = String(user ?? "");
    this.sdkReady = Boolean(ready);
    this.totalUnread = Number(total ?? 0);
  }

  /** Runs a seed method on the SDK: imResponse, or a rejected imError. */
  async call(method: string, args: unknown[]): Promise<ImResponse> {
    try {
      await this.ready_;
    } catch (e) {
      throw new ImError(e as WireError);
    }
    const ready = await Promise.all(args.map((a) => this.materialize(a)));
    let data: unknown;
    try {
      data = await this.transport.call(method, ready);
    } catch (e) {
      const err = new ImError(e as WireError);
      const failed = (err.data as AnyMessage | undefined)?.message;
      if (failed && typeof failed === "object") this.remember(failed as AnyMessage);
      throw err;
    }
    this.afterCall(method, args, data);
    return { code: 0, data };
  }

  private afterCall(method: string, args: unknown[], data: any): void {
    if (method === "login") {
      this.loginUser = String((args[0] as AnyMessage | undefined)?.userID ?? "");
    } else if (method === "logout" || method === "destroy") {
      this.loginUser = "";
      this.sdkReady = false;
      this.totalUnread = 0;
    }
    if (data && typeof data === "object") {
      if (data.message && typeof data.message === "object") {
        this.remember(data.message);
        const sent = args[0];
        if (SENDS.has(method) && sent && typeof sent === "object") Object.assign(sent, data.message);
      }
      // Hopping results are not cached by the SDK, so findMessage does not know them either.
      if (Array.isArray(data.messageList) && method !== "getMessageListHopping") {
        data.messageList.forEach((m: AnyMessage) => this.remember(m));
      }
      // deleteMessage marks the caller's own message objects deleted, as the seed says.
      if (method === "deleteMessage" && Array.isArray(args[0]) && Array.isArray(data.messageList)) {
        const byId = new Map(data.messageList.map((m: AnyMessage) => [m.ID, m]));
        for (const m of args[0] as AnyMessage[]) {
          const d = m && byId.get(m.ID);
          if (d) Object.assign(m, { isDeleted: true });
        }
      }
    }
  }

  /** A placeholder made by create*Message → the SDK's message (copied into the same object). */
  private async materialize(arg: unknown): Promise<unknown> {
    if (!arg || typeof arg !== "object") return arg;
    if (Array.isArray(arg)) return Promise.all(arg.map((a) => this.materialize(a)));
    const p = this.pending.get(arg);
    if (p) {
      const made = await p.created.catch((e) => {
        throw new ImError(e as WireError);
      });
      Object.assign(arg, made);
      this.pending.delete(arg);
      return arg;
    }
    const o = arg as AnyMessage;
    if (Array.isArray(o.messageList)) {
      return { ...o, messageList: await this.materialize(o.messageList) };
    }
    return arg;
  }

  private remember(m: AnyMessage): void {
    if (!m || typeof m.ID !== "string") return;
    const prev = this.known.get(m.ID);
    if (prev) {
      Object.assign(prev, m);
      return;
    }
    this.known.set(m.ID, m);
    if (this.known.size > FIND_CAPACITY) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }

  private onEvent(name: string, data: any): void {
    switch (name) {
      case EVENT.SDK_READY:
        this.sdkReady = true;
        break;
      case EVENT.SDK_NOT_READY:
        this.sdkReady = false;
        break;
      case EVENT.KICKED_OUT:
        this.loginUser = "";
        this.sdkReady = false;
        break;
      case EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED:
        this.totalUnread = Number(data ?? 0);
        break;
      case EVENT.MESSAGE_RECEIVED:
      case EVENT.MESSAGE_MODIFIED:
      case EVENT.MESSAGE_REVOKED:
        if (Array.isArray(data)) data.forEach((m) => this.remember(m));
        break;
      case UPLOAD_PROGRESS: {
        const cb = this.progress.get(data?.messageID);
        if (cb) {
          cb(Number(data.percent ?? 0) / 100);
          if (Number(data.percent) >= 100) this.progress.delete(data.messageID);
        }
        break;
      }
    }
    const set = this.handlers.get(name);
    if (!set) return;
    for (const h of [...set]) {
      if (h.once) set.delete(h);
      try {
        h.fn.call(h.ctx, { name, data });
      } catch (e) {
        console.error(`handler for ${name} threw`, e);
      }
    }
  }

  // ---- the seed's synchronous methods ----

  /** `getLoginUser`: the logged-in userID, or "". */
  getLoginUser(): string {
    return this.loginUser;
  }

  /** `isReady`: whether SDK_READY has fired since the last login. */
  isReady(): boolean {
    return this.sdkReady;
  }

  /** `getTotalUnreadMessageCount`: as last reported by the SDK. */
  getTotalUnreadMessageCount(): number {
    return this.totalUnread;
  }

  /** `findMessage`: a message this instance has seen (lists, events, sends), or null. */
  findMessage(messageID: string): Message | null {
    return (this.known.get(messageID) as Message | undefined) ?? null;
  }

  /** `getSignalingInfo`: the signaling carried by a custom message, or null. The seed makes it
   *  synchronous, so it cannot ask the SDK; it mirrors `Signaling::from_message` in
   *  pigeon-proto (businessID 1 with an inviteID), and the facade test pins that format. */
  getSignalingInfo(message: Message): Signaling | null {
    if (!message || message.type !== TYPES.MSG_CUSTOM) return null;
    let v: AnyMessage;
    try {
      v = JSON.parse(String((message.payload as AnyMessage | null)?.data ?? ""));
    } catch {
      return null;
    }
    if (!v || v.businessID !== 1 || !v.inviteID) return null;
    return {
      inviteID: v.inviteID,
      groupID: v.groupID ?? "",
      inviter: v.inviter ?? "",
      inviteeList: v.inviteeList ?? [],
      data: v.data ?? "",
      actionType: v.actionType ?? 0,
      timeout: v.timeout ?? 0,
    };
  }

  /** `on`: calls `handler(event)` for every event `name`. */
  on(name: string, handler: Handler, context?: unknown): void {
    if (typeof handler !== "function") {
      throw new ImError({ code: INVALID_ARGUMENT, message: "on takes a handler function" });
    }
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add({ fn: handler, ctx: context, once: false });
  }

  /** `off`: removes a handler added with `on` (the same function and context). */
  off(name: string, handler: Handler, context?: unknown, once?: boolean): void {
    const set = this.handlers.get(name);
    if (!set) return;
    for (const h of set) {
      if (h.fn === handler && (context === undefined || h.ctx === context)) {
        set.delete(h);
        if (once) return;
      }
    }
  }

  /** `addSignalingListener`: `on` for TSignaling events. */
  addSignalingListener(name: string, handler: Handler, context?: unknown): void {
    this.on(name, handler, context);
  }

  /** `removeSignalingListener`: `off` for TSignaling events. */
  removeSignalingListener(name: string, handler: Handler, context?: unknown): void {
    this.off(name, handler, context);
  }

  /** `registerPlugin`: recorded by the SDK (uploads need no plugin here). */
  registerPlugin(options: Record<string, unknown>): void {
    const names = Object.keys(options ?? {});
    this.call("registerPlugin", [Object.fromEntries(names.map((n) => [n, n]))]).catch(() => {});
  }

  /** `setLogLevel`: 0 (all) to 4 (none), applied to the SDK. */
  setLogLevel(level: number): void {
    this.call("setLogLevel", [level]).catch(() => {});
  }

  /** Makes a create*Message placeholder that the SDK fills in before its first use. */
  private create(method: string, options: object): Message {
    if (!options || typeof options !== "object") {
      throw new ImError({ code: INVALID_ARGUMENT, message: `${method} takes an options object` });
    }
    const { onProgress, ...rest } = options as AnyMessage;
    const n = ++this.creations;
    const conversationType = String(rest.conversationType ?? "");
    const to = String(rest.to ?? "");
    const now = Math.floor(Date.now() / 1000);
    const message: AnyMessage = {
      ID: `local-${now}-${n}`,
      // createForwardMessage's payload is the message being forwarded.
      type: CREATE_TYPES[method] || rest.payload?.type || "",
      payload: (method === "createForwardMessage" ? rest.payload?.payload : rest.payload) ?? {},
      conversationType,
      conversationID: conversationType === TYPES.CONV_GROUP ? `GROUP${to}` : `C2C${to}`,
      to,
      from: this.loginUser,
      flow: "out",
      time: now,
      status: "unSend",
      priority: rest.priority ?? TYPES.MSG_PRIORITY_NORMAL,
      cloudCustomData: rest.cloudCustomData ?? "",
      isRevoked: false,
      isPeerRead: false,
    };
    const created = (async () => {
      const args = { ...rest };
      if (rest.payload && typeof rest.payload === "object" && "file" in rest.payload) {
        args.payload = { ...rest.payload, file: await fileArgument(rest.payload.file) };
      }
      const made = (await this.call(method, [args])).data as AnyMessage;
      if (typeof onProgress === "function") this.progress.set(made.ID, onProgress);
      return made;
    })();
    created.catch(() => {});
    this.pending.set(message, { method, created });
    return message as Message;
  }

  /** `createTextMessage`. */
  createTextMessage(options: Parameters<ChatAPI["createTextMessage"]>[0]): Message {
    return this.create("createTextMessage", options);
  }
  /** `createTextAtMessage`. */
  createTextAtMessage(options: Parameters<ChatAPI["createTextAtMessage"]>[0]): Message {
    return this.create("createTextAtMessage", options);
  }
  /** `createImageMessage` (`payload.file`: a path, File, Blob or file input). */
  createImageMessage(options: Parameters<ChatAPI["createImageMessage"]>[0]): Message {
    return this.create("createImageMessage", options);
  }
  /** `createAudioMessage`. */
  createAudioMessage(options: Parameters<ChatAPI["createAudioMessage"]>[0]): Message {
    return this.create("createAudioMessage", options);
  }
  /** `createVideoMessage`. */
  createVideoMessage(options: Parameters<ChatAPI["createVideoMessage"]>[0]): Message {
    return this.create("createVideoMessage", options);
  }
  /** `createCustomMessage`. */
  createCustomMessage(options: Parameters<ChatAPI["createCustomMessage"]>[0]): Message {
    return this.create("createCustomMessage", options);
  }
  /** `createFaceMessage`. */
  createFaceMessage(options: Parameters<ChatAPI["createFaceMessage"]>[0]): Message {
    return this.create("createFaceMessage", options);
  }
  /** `createFileMessage`. */
  createFileMessage(options: Parameters<ChatAPI["createFileMessage"]>[0]): Message {
    return this.create("createFileMessage", options);
  }
  /** `createLocationMessage`. */
  createLocationMessage(options: Parameters<ChatAPI["createLocationMessage"]>[0]): Message {
    return this.create("createLocationMessage", options);
  }
  /** `createMergerMessage`. */
  createMergerMessage(options: Parameters<ChatAPI["createMergerMessage"]>[0]): Message {
    return this.create("createMergerMessage", options);
  }
  /** `createForwardMessage`. */
  createForwardMessage(options: Parameters<ChatAPI["createForwardMessage"]>[0]): Message {
    return this.create("createForwardMessage", options);
  }

  /** Ends the instance's event subscription and closes its transport (after `destroy`). */
  dispose(): void {
    this.unsubscribe?.();
    this.transport.close();
  }
}
