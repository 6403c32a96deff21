// The app's one store: a plain state object, replaced (never mutated) on every change, and a
// hook for components. The SDK stays the source of truth; this only mirrors what it reports.
import { useEffect, useReducer, useRef } from "preact/hooks";
import type { Conv, Msg } from "./logic";

/** One conversation's loaded history. */
export interface History {
  list: Msg[];
  nextReqMessageID: string;
  isCompleted: boolean;
  loading: boolean;
}

/** A call dialog. */
export interface CallState {
  mode: "incoming" | "outgoing";
  inviteID: string;
  peer: string;
  groupID: string;
  status: string;
}

/** A toast. */
export interface Toast {
  id: number;
  text: string;
  kind: "error" | "info";
}

/** The account signed in with. */
export interface Account {
  server: string;
  SDKAppID: number;
  userID: string;
  userSig: string;
}

export type Tab = "chats" | "contacts" | "settings" | "profile";

export interface AppState {
  phase: "signin" | "signing-in" | "main";
  account: Account | null;
  me: string;
  myProfile: Record<string, any> | null;
  ready: boolean;
  net: string;
  conversations: Conv[];
  conversationsLoaded: boolean;
  totalUnread: number;
  currentID: string;
  histories: Record<string, History>;
  reactions: Record<string, any[]>;
  uploads: Record<string, number>;
  downloads: Record<string, { percent: number; path?: string; error?: boolean }>;
  tab: Tab;
  panel: "" | "info";
  friends: any[];
  applications: any[];
  applicationUnread: number;
  groups: any[];
  members: Record<string, any[]>;
  toasts: Toast[];
  kicked: string;
  call: CallState | null;
  dragOver: boolean;
  settings: { notifications: boolean; notificationPreviews: boolean } | null;
  replyTo: Record<string, Msg | null>;
}

export function initialState(): AppState {
  return {
    phase: "signin",
    account: null,
    me: "",
    myProfile: null,
    ready: false,
    net: "connected",
    conversations: [],
    conversationsLoaded: false,
    totalUnread: 0,
    currentID: "",
    histories: {},
    reactions: {},
    uploads: {},
    downloads: {},
    tab: "chats",
    panel: "",
    friends: [],
    applications: [],
    applicationUnread: 0,
    groups: [],
    members: {},
    toasts: [],
    kicked: "",
    call: null,
    dragOver: false,
    settings: null,
    replyTo: {},
  };
}

let state: AppState = initialState();
const listeners = new Set<() => void>();

/** The current state (read-only). */
export function getState(): AppState {
  return state;
}

/** Applies a patch (or a function of the state returning one) and notifies subscribers. */
export function setState(patch: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void {
  const p = typeof patch === "function" ? patch(state) : patch;
  state = { ...state, ...p };
  for (const l of [...listeners]) l();
}

/** Subscribes to changes; returns the unsubscribe function. */
export function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Back to the initial state, keeping what `keep` names. */
export function resetState(keep: Partial<AppState> = {}): void {
  state = { ...initialState(), ...keep };
  for (const l of [...listeners]) l();
}

/** Updates one conversation's history. */
export function patchHistory(id: string, f: (h: History) => Partial<History>): void {
  setState((s) => {
    const h = s.histories[id] ?? { list: [], nextReqMessageID: "", isCompleted: false, loading: false };
    return { histories: { ...s.histories, [id]: { ...h, ...f(h) } } };
  });
}

/** A component hook: re-renders when the selected value changes (Object.is). */
export function useStore<T>(select: (s: AppState) => T): T {
  const [, force] = useReducer((n: number) => n + 1, 0);
  const selRef = useRef(select);
  selRef.current = select;
  const valRef = useRef<T>(select(state));
  valRef.current = select(state);
  useEffect(() => {
    const check = () => {
      const next = selRef.current(state);
      if (!Object.is(next, valRef.current)) {
        valRef.current = next;
        force(0);
      }
    };
    const off = subscribe(check);
    check();
    return off;
  }, []);
  return valRef.current;
}
