// The facade's two transports behind one interface (DESIGN.md, "Desktop IPC"): Tauri IPC inside
// the app, and the bridge's local WebSocket (`pigeon bridge --listen`) anywhere else.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

/** An SDK failure as it crosses a transport: imError's fields. */
export interface WireError {
  code: number;
  message: string;
  data?: unknown;
}

/** Receives every SDK event: its EVENT/TSignaling name and event.data. */
export type EventSink = (name: string, data: unknown) => void;

/** How the facade reaches a real SDK. */
export interface Transport {
  /** Runs one SDK operation by its seed name; resolves with imResponse.data. */
  call(method: string, args: unknown[]): Promise<unknown>;
  /** Starts delivering events (names are listened to individually where the transport needs it). */
  subscribe(names: string[], sink: EventSink): Promise<() => void>;
  /** Closes the transport. */
  close(): void;
}

/** `sendMessage` → `send_message`: the Tauri command of a seed method. */
export function commandName(method: string): string {
  return method.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

/** Whether the page runs inside the Tauri window. */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

function asWireError(e: unknown): WireError {
  if (e && typeof e === "object" && "code" in e) {
    const o = e as { code: unknown; message?: unknown; data?: unknown };
    return { code: Number(o.code), message: String(o.message ?? ""), data: o.data };
  }
  return { code: 9500, message: typeof e === "string" ? e : String(e) };
}

/** Tauri IPC: one command per SDK operation, events emitted to the window. */
export class TauriTransport implements Transport {
  call(method: string, args: unknown[]): Promise<unknown> {
    return invoke(commandName(method), { args }).catch((e) => {
      throw asWireError(e);
    });
  }

  async subscribe(names: string[], sink: EventSink): Promise<() => void> {
    const offs: UnlistenFn[] = await Promise.all(
      names.map((name) => listen(name, (e) => sink(name, e.payload))),
    );
    return () => offs.forEach((off) => off());
  }

  close(): void {}
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: WireError) => void;
}

/** Code for "the bridge connection is gone" (docs/errors.md, "Desktop app"). */
export const BRIDGE_CLOSED = 9505;

/** The bridge's JSON messages over a loopback WebSocket. */
export class BridgeTransport implements Transport {
  private ws: WebSocket;
  private opened: Promise<void>;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private sinks = new Set<EventSink>();

  constructor(url: string, socketFactory: (url: string) => WebSocket = (u) => new WebSocket(u)) {
    this.ws = socketFactory(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve());
      this.ws.addEventListener("error", () =>
        reject({ code: BRIDGE_CLOSED, message: `cannot reach the bridge at ${url}` }),
      );
    });
    // A failed open is reported by call(); nobody else awaits `opened`.
    this.opened.catch(() => {});
    this.ws.addEventListener("message", (ev: MessageEvent) => this.onFrame(String(ev.data)));
    this.ws.addEventListener("close", () => {
      for (const p of this.pending.values()) {
        p.reject({ code: BRIDGE_CLOSED, message: "the bridge connection closed" });
      }
      this.pending.clear();
    });
  }

  private onFrame(text: string): void {
    let msg: { id?: number | null; code?: number; data?: unknown; message?: string; event?: string };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg.event === "string") {
      for (const s of this.sinks) s(msg.event, msg.data);
      return;
    }
    if (typeof msg.id !== "number") return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.code === 0) p.resolve(msg.data ?? null);
    else p.reject({ code: Number(msg.code), message: String(msg.message ?? ""), data: msg.data });
  }

  async call(method: string, args: unknown[]): Promise<unknown> {
    await this.opened;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, args }));
    });
  }

  async subscribe(_names: string[], sink: EventSink): Promise<() => void> {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  close(): void {
    this.ws.close();
  }
}
