import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { TYPES } from "../../sdk";
import { acceptCall, acknowledgeKick, cancelCall, dismissToast, nameOf, rejectCall } from "../session";
import { useStore } from "../store";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";

/** A centred modal dialog; Escape or a click outside closes it. */
export function Modal(props: { title?: string; onClose?: () => void; children: ComponentChildren; testid?: string; class?: string }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose?.();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [props.onClose]);
  return (
    <div class="backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose?.()}>
      <div class={`modal ${props.class ?? ""}`} role="dialog" aria-modal="true" data-testid={props.testid}>
        {props.title && <h2 class="modal-title">{props.title}</h2>}
        {props.children}
      </div>
    </div>
  );
}

/** A menu item. */
export interface MenuItem {
  label: string;
  onClick: () => void;
  danger?: boolean;
  testid?: string;
}

/** A context menu at a point; closes on any outside click or Escape. */
export function Menu(props: { x: number; y: number; items: MenuItem[]; onClose: () => void; header?: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const close = (e: Event) => {
      if (ref.current && e.target instanceof Node && ref.current.contains(e.target)) return;
      props.onClose();
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
    setTimeout(() => {
      window.addEventListener("mousedown", close);
      window.addEventListener("wheel", close, { passive: true });
    });
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("mousedown", close);
      window.removeEventListener("wheel", close);
      window.removeEventListener("keydown", onKey);
    };
  }, []);
  const x = Math.min(props.x, (typeof window !== "undefined" ? window.innerWidth : 1000) - 220);
  const y = Math.min(props.y, (typeof window !== "undefined" ? window.innerHeight : 800) - (props.items.length * 36 + 60));
  return (
    <div class="menu" ref={ref} style={{ left: `${x}px`, top: `${Math.max(8, y)}px` }} role="menu">
      {props.header}
      {props.items.map((it) => (
        <button
          key={it.label}
          class={`menu-item ${it.danger ? "danger" : ""}`}
          role="menuitem"
          data-testid={it.testid}
          onClick={() => {
            props.onClose();
            it.onClick();
          }}
        >
          {it.label}
        </button>
      ))}
    </div>
  );
}

/** Error and info toasts, newest at the bottom. */
export function Toasts() {
  const toasts = useStore((s) => s.toasts);
  return (
    <div class="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} class={`toast ${t.kind}`} data-testid="toast" onClick={() => dismissToast(t.id)}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

/** The banner shown while the SDK is not connected. */
export function OfflineBanner() {
  const net = useStore((s) => s.net);
  if (net === TYPES.NET_STATE_CONNECTED || !net) return null;
  const text = net === TYPES.NET_STATE_CONNECTING ? "Connecting…" : "Waiting for network… Messages will be sent when you are back online.";
  return (
    <div class={`offline-banner ${net}`} data-testid="offline-banner" role="status">
      <span class="spinner" /> {text}
    </div>
  );
}

/** The dialog after KICKED_OUT. */
export function KickedDialog() {
  const kicked = useStore((s) => s.kicked);
  if (!kicked) return null;
  return (
    <Modal title="You were signed out" testid="kicked-dialog">
      <p>{kicked}</p>
      <div class="modal-actions">
        <button class="btn primary" onClick={acknowledgeKick} data-testid="kicked-ok">
          Back to sign-in
        </button>
      </div>
    </Modal>
  );
}

/** Incoming and outgoing call invitations. */
export function CallDialog() {
  const call = useStore((s) => s.call);
  if (!call) return null;
  const name = nameOf(call.peer);
  return (
    <div class="backdrop">
      <div class="modal call" role="dialog" data-testid="call-dialog">
        <Avatar id={call.peer} name={name} size={88} />
        <h2>{name}</h2>
        <p class="muted">
          {call.mode === "incoming"
            ? call.groupID
              ? `invites you to a group call`
              : "is calling you…"
            : call.status === "accepted"
              ? "accepted your call"
              : "Calling…"}
        </p>
        <div class="call-actions">
          {call.mode === "incoming" ? (
            <>
              <button class="round-btn red" data-testid="call-reject" onClick={rejectCall} title="Decline">
                <Icon name="close" size={26} />
              </button>
              <button class="round-btn green" data-testid="call-accept" onClick={acceptCall} title="Accept">
                <Icon name="phone" size={24} />
              </button>
            </>
          ) : (
            <button class="round-btn red" data-testid="call-cancel" onClick={cancelCall} title="Hang up">
              <Icon name="close" size={26} />
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

/** A full-size image. */
export function ImageViewer(props: { url: string; onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <div class="backdrop viewer" onClick={props.onClose} data-testid="image-viewer">
      <img src={props.url} alt="" />
    </div>
  );
}
